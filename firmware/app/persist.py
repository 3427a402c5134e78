# State that must survive a reset lives in RTC memory (kept across soft and
# watchdog resets, lost on power-off): the alarm engine's blob (what was
# sounding, snoozes, last readings) and a boot counter that reveals a reset
# loop. Written only when it changed (RTC memory is cheap, but the blob is
# rebuilt from the engine, so skip needless work).
#
# Also the newest transmitter time already delivered (so the link does not
# backfill again what the engine has seen).
# Layout: b"CG" | version u8 | boots u8 | last_dex u32 | blob length u16 | blob | sum u16
import struct

_MAGIC = b"CG"
_VERSION = 2
MAX_BYTES = 2048  # ESP32 RTC user memory


class RtcStore:
    def __init__(self, rtc):
        self.rtc = rtc
        self.boots = 0
        self.blob = b""
        self.last_dex = 0
        self._written = None

    def load(self):
        """Read what the previous run left. Returns the engine blob (b"" if
        none or corrupt) and counts this boot."""
        try:
            raw = bytes(self.rtc.memory())
        except Exception:
            raw = b""
        self.boots, self.last_dex, self.blob = _decode(raw)
        self.boots = min(self.boots + 1, 255)
        self._write()
        return self.blob

    def save(self, blob, last_dex=None):
        if last_dex is not None and last_dex > self.last_dex:
            self.last_dex = last_dex
        if blob != self.blob:
            self.blob = bytes(blob)
        self._write()

    def healthy(self):
        """Called after a stretch of good uptime: the reset loop is over."""
        if self.boots != 1:
            self.boots = 1
            self._write()

    def _write(self):
        data = _encode(self.boots, self.last_dex, self.blob)
        if data != self._written:
            self.rtc.memory(data)
            self._written = data


def _checksum(data):
    s = 0
    for b in data:
        s = (s * 31 + b) & 0xFFFF
    return s


_HEAD = 10  # magic, version, boots, last_dex, length


def _encode(boots, last_dex, blob):
    if len(blob) > MAX_BYTES - _HEAD - 2:
        raise ValueError("state blob of %d bytes exceeds RTC memory" % len(blob))
    head = _MAGIC + struct.pack("<BBIH", _VERSION, boots, last_dex, len(blob)) + blob
    return head + struct.pack("<H", _checksum(head))


def _decode(raw):
    if len(raw) < _HEAD + 2 or raw[:2] != _MAGIC or raw[2] != _VERSION:
        return 0, 0, b""
    boots, last_dex, n = struct.unpack_from("<BIH", raw, 3)
    if len(raw) < _HEAD + n + 2:
        return 0, 0, b""
    body = raw[:_HEAD + n]
    if struct.unpack_from("<H", raw, _HEAD + n)[0] != _checksum(body):
        return 0, 0, b""
    return boots, last_dex, bytes(raw[_HEAD:_HEAD + n])
