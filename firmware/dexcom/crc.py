# CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR (check
# value 0x31C3 for b"123456789"). Dexcom appends it low byte first to every
# control-characteristic message except Disconnect (0x09).
# Table-driven; the loop runs over range() indexes so it allocates nothing.
from array import array


def _make_table():
    t = array("H", bytes(512))
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        t[i] = c & 0xFFFF
    return t


_TABLE = _make_table()


def crc16(buf, start=0, end=-1, crc=0):
    """CRC-16/XMODEM of buf[start:end] (end=-1: to the end), continuing from
    `crc` (so a stream can be checked frame by frame)."""
    if end < 0:
        end = len(buf)
    t = _TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ t[(crc >> 8) ^ buf[i]]
    return crc


def trailer_ok(buf, n):
    """True when the last 2 of the first n bytes are the little-endian CRC of
    the bytes before them."""
    return n >= 2 and crc16(buf, 0, n - 2) == (buf[n - 2] | (buf[n - 1] << 8))


def append(body):
    """body + its CRC, low byte first (bytes)."""
    c = crc16(body)
    return bytes(body) + bytes((c & 0xFF, c >> 8))
