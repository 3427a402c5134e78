# CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR (check
# value 0x31C3 for b"123456789"). Dexcom appends it low byte first to every
# control-characteristic message except Disconnect (0x09).
# Bit by bit, without a 256-entry table: the table (built at import) kept 0.5 KB
# of heap for the few hundred bytes a session checks. The loops run over
# range() and small integers, so it allocates nothing.


def crc16(buf, start=0, end=-1, crc=0):
    """CRC-16/XMODEM of buf[start:end] (end=-1: to the end), continuing from
    `crc` (so a stream can be checked frame by frame)."""
    if end < 0:
        end = len(buf)
    for i in range(start, end):
        crc ^= buf[i] << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        crc &= 0xFFFF
    return crc


def trailer_ok(buf, n):
    """True when the last 2 of the first n bytes are the little-endian CRC of
    the bytes before them."""
    return n >= 2 and crc16(buf, 0, n - 2) == (buf[n - 2] | (buf[n - 1] << 8))


def append(body):
    """body + its CRC, low byte first (bytes)."""
    c = crc16(body)
    return bytes(body) + bytes((c & 0xFF, c >> 8))
