# Byte-level helpers shared by the parsers: little-endian fields read by
# index (no slices, no allocation) and the length / opcode / CRC gate every
# parser goes through first.
from dexcom import crc
from dexcom.errors import DexcomError


def u16(b, i):
    return b[i] | (b[i + 1] << 8)


def u32(b, i):
    return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)


def i8(v):
    return v - 256 if v > 127 else v


def check(buf, op, name, lo, hi, has_crc=True):
    """Raise DexcomError unless buf is lo..hi bytes long (hi None: no upper
    bound), starts with `op` and (when has_crc) ends with a valid
    CRC-16/XMODEM; return the length.

    hi=None is for replies whose fields sit at fixed offsets and which the
    peers accept longer (xDrip, CGMBLEKit, xdrip-js: ">= n" plus the CRC
    over everything before the last two bytes): a firmware that appends
    bytes must not silence the box (docs/CODEC_AUDIT.md)."""
    n = len(buf)
    if n == 0:
        raise DexcomError("%s: empty message" % name)
    if buf[0] != op:
        raise DexcomError("%s: wrong opcode 0x%02x, expected 0x%02x" % (name, buf[0], op))
    if n < lo:
        raise DexcomError("%s: too short (%d bytes, expected %s)" % (name, n, _span(lo, hi)))
    if hi is not None and n > hi:
        raise DexcomError("%s: too long (%d bytes, expected %s)" % (name, n, _span(lo, hi)))
    if has_crc and not crc.trailer_ok(buf, n):
        raise DexcomError("%s: bad CRC (trailer 0x%04x, computed 0x%04x)"
                          % (name, u16(buf, n - 2), crc.crc16(buf, 0, n - 2)))
    return n


def _span(lo, hi):
    if hi is None:
        return "%d or more" % lo
    return str(lo) if lo == hi else "%d..%d" % (lo, hi)


def head(op, crc_valid, status=None):
    """The fields every parsed reply starts with. crc_valid: True = trailer
    checked; None = an authentication-characteristic message (no CRC)."""
    d = {"opcode": op, "crc_valid": crc_valid}
    if status is not None:
        d["status"] = status
    return d
