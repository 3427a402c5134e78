# The Nightscout upload queue: pure bookkeeping (no I/O except the two small
# file helpers at the end, which the uploader calls).
#
# - Bounded: `capacity` entries (default 600 > 288 readings a day + a full
#   Dexcom backfill); when full the oldest entry is dropped and counted.
# - In time order: entries are kept sorted by wall time, so an outage drains
#   oldest first and backfill slots into place.
# - Dedup by transmitter time: a reading whose dex_s is already queued, or was
#   uploaded recently, is ignored (same dex_s and wall times within 150 s: a
#   new transmitter restarting its clock is not mistaken for a duplicate).
# - Persistence is the caller's choice of moment: dumps()/restore() give a
#   compact binary image; should_save(now_s) says when it is worth a flash
#   write (dirty and save_interval_s since the last one; readings lost to a
#   power cut in between come back with the transmitter's backfill).
import struct

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MAGIC = b"NSQ1"
_REC = "<IIHh"
_REC_SIZE = const(12)
_NO_TREND = const(-32768)
_SAME_READING_S = const(150)

DEX_S = 0
UNIX_S = 1
SGV = 2
TREND = 3


class QueueError(ValueError):
    """A stored queue image is corrupt or of an unknown version."""


class UploadQueue:
    def __init__(self, capacity=600, sent_memory=48, save_interval_s=1800):
        if capacity < 300:
            raise ValueError("capacity must hold at least a day of readings (>= 300)")
        self.capacity = capacity
        self.sent_memory = sent_memory
        self.save_interval_s = save_interval_s
        self._items = []  # (dex_s, unix_s, sgv, trend), sorted by unix_s
        self._sent = []  # recently acknowledged (dex_s, unix_s), oldest first
        self.dropped = 0
        self.dirty = False
        self._saved_at = None
        self._saved_empty = True

    def __len__(self):
        return len(self._items)

    def _known(self, dex_s, unix_s, seq):
        for e in seq:
            if e[0] == dex_s and -_SAME_READING_S < e[1] - unix_s < _SAME_READING_S:
                return True
        return False

    def push(self, reading):
        """Queue a reading tuple (firmware/reading.py). Returns True when queued,
        False for a duplicate or a reading Nightscout cannot take (no wall time
        or no glucose value)."""
        dex_s, unix_s, sgv, trend = reading[0], reading[1], reading[2], reading[3]
        if unix_s is None or sgv is None:
            return False
        if self._known(dex_s, unix_s, self._items) or self._known(dex_s, unix_s, self._sent):
            return False
        e = (dex_s, int(unix_s), sgv, trend)
        items = self._items
        i = len(items)
        while i > 0 and items[i - 1][1] > e[1]:
            i -= 1
        items.insert(i, e)
        if len(items) > self.capacity:
            items.pop(0)
            self.dropped += 1
        self.dirty = True
        return True

    def batch(self, n):
        """The oldest n entries (not removed until ack())."""
        return self._items[:n]

    def ack(self, entries):
        """The server stored these entries: forget them (remembered as sent)."""
        for e in entries:
            try:
                self._items.remove(e)
            except ValueError:
                pass  # dropped by overflow meanwhile
            self._sent.append((e[0], e[1]))
        if len(self._sent) > self.sent_memory:
            del self._sent[: len(self._sent) - self.sent_memory]
        self.dirty = True

    def entries(self):
        return list(self._items)

    # --- persistence (image and policy; the file write is the caller's) ---
    def dumps(self):
        buf = bytearray(8 + _REC_SIZE * len(self._items))
        buf[0:4] = _MAGIC
        struct.pack_into("<I", buf, 4, len(self._items))
        off = 8
        for dex_s, unix_s, sgv, trend in self._items:
            struct.pack_into(_REC, buf, off, dex_s, unix_s, sgv,
                             _NO_TREND if trend is None else trend)
            off += _REC_SIZE
        return bytes(buf)

    def restore(self, data):
        """Merge a dumps() image (after a restart). Raises QueueError if corrupt."""
        if len(data) < 8 or data[0:4] != _MAGIC:
            raise QueueError("not an upload-queue image (bad magic)")
        n = struct.unpack_from("<I", data, 4)[0]
        if len(data) != 8 + _REC_SIZE * n:
            raise QueueError("upload-queue image truncated: %d entries, %d bytes" % (n, len(data)))
        for i in range(n):
            dex_s, unix_s, sgv, trend = struct.unpack_from(_REC, data, 8 + i * _REC_SIZE)
            self.push((dex_s, unix_s, sgv, None if trend == _NO_TREND else trend))
        self.dirty = False
        self._saved_empty = not self._items

    def should_save(self, now_s):
        """True when a flash write is worth it: the image changed, differs from
        an empty one already on flash, and save_interval_s passed since the
        last write (or since the first change after start)."""
        if not self.dirty:
            return False
        if not self._items and self._saved_empty:
            self.dirty = False  # nothing pending, and flash already says so
            return False
        if self._saved_at is None:
            self._saved_at = now_s
        return now_s - self._saved_at >= self.save_interval_s

    def mark_saved(self, now_s):
        self.dirty = False
        self._saved_at = now_s
        self._saved_empty = not self._items


def save_atomic(path, data):
    """Write a file so that a power cut leaves either the old or the new one."""
    import os
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)  # littlefs and POSIX rename replace atomically


def load(path):
    """The file's bytes, or None when there is none."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None
