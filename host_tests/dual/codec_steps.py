# Shared steps of the codec's dual tests (CPython and MicroPython).
from dexcom.errors import DexcomError


def raises(fn, *args, **kw):
    """Call fn; return the DexcomError message it raises (fail otherwise)."""
    want = kw.pop("contains", None)
    try:
        fn(*args)
    except DexcomError as e:
        msg = str(e)
        assert msg, "empty error message"
        if want is not None:
            assert want in msg, "%r not in %r" % (want, msg)
        return msg
    raise AssertionError("%s%r did not raise DexcomError" % (getattr(fn, "__name__", fn), args))


def crc_xmodem(data):
    """CRC-16/XMODEM (poly 0x1021, init 0), written out from its definition: an oracle
    for dexcom.crc, not a copy of it."""
    c = 0
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c
