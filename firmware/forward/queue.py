# The Nightscout upload queue: pure bookkeeping (no I/O except the two small
# file helpers at the end, which the uploader calls).
#
# - Bounded: `capacity` entries (default 600 > 288 readings a day + a full
#   Dexcom backfill); when full the oldest entry is dropped and counted.
# - In time order: entries are kept sorted by wall time, so an outage drains
#   oldest first and backfill slots into place.
# - A live reading re-dates those dated while the box's clock ran ahead
#   (forward.redate): unsent ones go to Nightscout dated right, and the LAN
#   API (keep_sent) no longer shows a sent one as the newest.
# - Dedup by transmitter time: a reading whose dex_s is already queued, or was
#   uploaded recently, is ignored (same dex_s and wall times within 150 s: a
#   new transmitter restarting its clock is not mistaken for a duplicate).
# - Persistence is the caller's choice of moment: dumps()/restore() give a
#   compact binary image; should_save(now_s) says when it is worth a flash
#   write (dirty and save_interval_s since the last one). A power cut loses RTC
#   memory, so the link backfills 3 h and such readings come back (the sent
#   memory is RAM only: those already uploaded keep their dates, as Nightscout
#   knows them, through the activation app/txclock.py keeps); a watchdog
#   or soft reset keeps it and the link resumes after its newest reading: the
#   readings queued since the last save go with it (forward.nightscout
#   held_image), else up to save_interval_s of them (one reading) were lost.
#   (Flash wear: a 7.2 KB image every 5 min of an outage is ~2 MB a day, well
#   within LittleFS's wear levelling.)
# - keep_sent=True (the box's LAN API is on too): an acknowledged reading stays
#   in place, marked sent, until its room is needed, and held()/record(i) read
#   every record, sent or not: the LAN API's history (history.QueueHistory),
#   without a second copy of the same readings (a History ring: 3.7 KB). A full
#   queue makes room from its oldest sent reading first; only unsent ones are
#   ever batched, saved or counted (len()). 600 more bytes for the marks.
import struct
from binascii import crc32

from forward.redate import redate

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_MAGIC = b"NSQ2"      # + entry count, CRC-32 of the records, the records
_MAGIC_V1 = b"NSQ1"   # the first firmware's: + entry count, the records (no CRC)
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
    # Storage: one bytearray of `capacity` packed records (the dumps() record
    # format), allocated once at start. A list of tuples would grow by ~40 B
    # (ESP32) to ~78 B (64-bit host) per entry during a long outage, just when
    # the box must keep its heap for the alarms; this stays at 12 B per entry.
    def __init__(self, capacity=600, sent_memory=48, save_interval_s=300, keep_sent=False):
        if capacity < 300:
            raise ValueError("capacity must hold at least a day of readings (>= 300)")
        if sent_memory < 1:
            raise ValueError("sent_memory >= 1")
        self.capacity = capacity
        self.sent_memory = sent_memory
        self.save_interval_s = save_interval_s
        self._buf = bytearray(capacity * _REC_SIZE)  # sorted by unix_s, oldest first
        self._n = 0              # records in _buf (sent ones too, with keep_sent)
        self._unsent = 0
        # keep_sent: a byte per record, 1 once sent, moved with the records
        self._flags = bytearray(capacity) if keep_sent else None
        self._sent = bytearray(sent_memory * 8)  # recently acknowledged (dex_s, unix_s)
        self._sent_n = 0
        self._sent_next = 0  # ring position of the next acknowledgement
        self.dropped = 0
        self.dirty = False
        self._saved_at = None
        self._saved_empty = True

    def __len__(self):
        """The readings waiting for the server."""
        return self._unsent

    def _is_sent(self, i):
        return self._flags is not None and self._flags[i]

    def _get(self, i):
        dex_s, unix_s, sgv, trend = struct.unpack_from(_REC, self._buf, i * _REC_SIZE)
        return dex_s, unix_s, sgv, None if trend == _NO_TREND else trend

    def _unix(self, i):
        return struct.unpack_from("<I", self._buf, i * _REC_SIZE + 4)[0]

    def _place(self, unix_s):
        """Index after the last queued entry at or before unix_s (binary search)."""
        lo, hi = 0, self._n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._unix(mid) > unix_s:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _known(self, dex_s, unix_s, i):
        """Queued (near index i) or recently sent: same dex_s, wall times within 150 s."""
        for j in range(i - 1, -1, -1):
            d, u = struct.unpack_from("<II", self._buf, j * _REC_SIZE)
            if u <= unix_s - _SAME_READING_S:
                break
            if d == dex_s:
                return True
        for j in range(i, self._n):
            d, u = struct.unpack_from("<II", self._buf, j * _REC_SIZE)
            if u >= unix_s + _SAME_READING_S:
                break
            if d == dex_s:
                return True
        for j in range(self._sent_n):
            d, u = struct.unpack_from("<II", self._sent, j * 8)
            if d == dex_s and -_SAME_READING_S < u - unix_s < _SAME_READING_S:
                return True
        return False

    def _remove(self, i):
        if not self._is_sent(i):
            self._unsent -= 1
        mv = memoryview(self._buf)
        mv[i * _REC_SIZE:(self._n - 1) * _REC_SIZE] = mv[(i + 1) * _REC_SIZE:self._n * _REC_SIZE]
        f = self._flags
        if f is not None:
            memoryview(f)[i:self._n - 1] = memoryview(f)[i + 1:self._n]
        self._n -= 1

    def _oldest_sent(self):
        """Index of the oldest sent record, or -1."""
        f = self._flags
        if f is not None:
            for i in range(self._n):
                if f[i]:
                    return i
        return -1

    def push(self, reading, back_s=0):
        """Queue a reading tuple (firmware/reading.py). Returns True when queued,
        False for a duplicate or a reading Nightscout cannot take (no wall time
        or no glucose value); raises ValueError for a field out of range.
        back_s: clock.back_s(), how far a live reading may re-date (0: not at all)."""
        dex_s, unix_s, sgv, trend = reading[0], reading[1], reading[2], reading[3]
        if unix_s is None or sgv is None:
            return False
        unix_s = int(unix_s)
        if not (0 <= dex_s <= 0xFFFFFFFF and 0 <= unix_s <= 0xFFFFFFFF and 0 <= sgv <= 0xFFFF
                and (trend is None or -32767 <= trend <= 32767)):
            # not a reading (the packed record would silently wrap it): say so
            raise ValueError("upload queue: reading out of range %r" % (tuple(reading[:4]),))
        if len(reading) > 5 and reading[5] == "live" and redate(
                self._buf, self._n, _REC_SIZE, dex_s, unix_s, back_s, self._flags):
            self.dirty = True    # readings dated while the clock ran ahead (forward.redate)
        i = self._place(unix_s)
        if self._known(dex_s, unix_s, i):
            return False
        self.dirty = True
        if self._n == self.capacity:
            j = self._oldest_sent()
            if j < 0:  # full of unsent ones: the oldest goes (maybe this one)
                self.dropped += 1
                if i == 0:
                    return True
                j = 0
            self._remove(j)   # (a sent one: still on the server)
            if j < i:
                i -= 1
        mv = memoryview(self._buf)
        mv[(i + 1) * _REC_SIZE:(self._n + 1) * _REC_SIZE] = bytes(mv[i * _REC_SIZE:self._n * _REC_SIZE])
        struct.pack_into(_REC, self._buf, i * _REC_SIZE, dex_s, unix_s, sgv,
                         _NO_TREND if trend is None else trend)
        f = self._flags
        if f is not None:
            memoryview(f)[i + 1:self._n + 1] = bytes(memoryview(f)[i:self._n])
            f[i] = 0
        self._n += 1
        self._unsent += 1
        return True

    def batch(self, n):
        """The oldest n unsent entries (not removed until ack())."""
        f = self._flags
        if f is None:
            return [self._get(i) for i in range(min(n, self._n))]
        out = []
        i = 0
        while len(out) < n and i < self._n:
            if not f[i]:
                out.append(self._get(i))
            i += 1
        return out

    def ack(self, entries):
        """The server stored these entries: forget them (remembered as sent;
        with keep_sent, kept in place and marked sent)."""
        f = self._flags
        for e in entries:
            for i in range(self._n):  # acknowledged entries are at the front (of the unsent)
                if f is not None and f[i]:
                    continue
                if self._get(i) == e:
                    if f is None:
                        self._remove(i)
                    else:
                        f[i] = 1
                        self._unsent -= 1
                    break  # (or dropped by overflow meanwhile)
            struct.pack_into("<II", self._sent, self._sent_next * 8, e[0], e[1])
            self._sent_next = (self._sent_next + 1) % self.sent_memory
            self._sent_n = min(self._sent_n + 1, self.sent_memory)
        self.dirty = True

    def entries(self):
        return self.batch(self._unsent)

    def held(self):
        """How many records it holds, sent ones (keep_sent) too."""
        return self._n

    def record(self, i):
        """Record i of held(), oldest first, sent or not: (dex_s, unix_s, sgv, trend)."""
        return self._get(i)

    def _runs(self):
        """(start, end) record index ranges of the unsent records, in order."""
        i, n = 0, self._n
        while i < n:
            while i < n and self._is_sent(i):
                i += 1
            j = i
            while j < n and not self._is_sent(j):
                j += 1
            if j > i:
                yield i, j
            i = j

    # --- persistence (image and policy; the file write is the caller's) ---
    def image(self):
        """The saved form as parts to write one after the other: a 12-byte header
        and a view of the records, so a save copies nothing (a full queue is ~7 KB:
        on a fragmented heap a free block that size may not be found all night).
        The header's CRC-32 lets a damaged file of the right length be refused:
        its readings would reach Nightscout with wrong values or times.
        With keep_sent, the unsent records only: the header and a view of each
        run of them (the same file)."""
        mv = memoryview(self._buf)
        if self._flags is None:
            records = mv[:self._n * _REC_SIZE]
            return (_MAGIC + struct.pack("<II", self._n, crc32(records)), records)
        crc = 0
        for a, b in self._runs():
            crc = crc32(mv[a * _REC_SIZE:b * _REC_SIZE], crc)
        parts = [_MAGIC + struct.pack("<II", self._unsent, crc)]
        for a, b in self._runs():
            parts.append(mv[a * _REC_SIZE:b * _REC_SIZE])
        return tuple(parts)

    def dumps(self):
        """The image as one bytes object (what restore() reads)."""
        return b"".join(bytes(p) for p in self.image())

    def restore(self, data):
        """Merge a dumps() image (bytes). Raises QueueError if corrupt."""
        import io
        self.load(io.BytesIO(data), len(data))

    def load(self, f, size):
        """Merge the image in the open (seekable) file f of `size` bytes (after a
        restart), a record at a time: no copy of a full queue (~7 KB) is made.
        Raises QueueError if corrupt, before anything is merged: the records
        are read twice, once for the CRC and once to merge them."""
        head = f.read(12)
        if len(head) >= 8 and head[0:4] == _MAGIC_V1:
            head_size, want_crc = 8, None
        elif len(head) == 12 and head[0:4] == _MAGIC:
            head_size, want_crc = 12, struct.unpack_from("<I", head, 8)[0]
        else:
            raise QueueError("not an upload-queue image (bad magic)")
        n = struct.unpack_from("<I", head, 4)[0]
        if size != head_size + _REC_SIZE * n:
            raise QueueError("upload-queue image truncated: %d entries, %d bytes" % (n, size))
        rec = bytearray(_REC_SIZE)
        for merge in (False, True):
            f.seek(head_size)
            crc = 0
            for _ in range(n):
                if f.readinto(rec) != _REC_SIZE:
                    raise QueueError("upload-queue image shorter than its %d entries" % n)
                if merge:
                    dex_s, unix_s, sgv, trend = struct.unpack_from(_REC, rec, 0)
                    self.push((dex_s, unix_s, sgv, None if trend == _NO_TREND else trend))
                else:
                    crc = crc32(rec, crc)
            if not merge and want_crc is not None and crc != want_crc:
                raise QueueError("upload-queue image damaged (CRC mismatch)")
        self.dirty = False
        self._saved_empty = not self._unsent

    def should_save(self, now_s):
        """True when a flash write is worth it: the image changed, differs from
        an empty one already on flash, and save_interval_s passed since the
        last write (or since the first change after start)."""
        if not self.dirty:
            return False
        if not self._unsent and self._saved_empty:
            self.dirty = False  # nothing pending, and flash already says so
            return False
        if self._saved_at is None:
            self._saved_at = now_s
        return now_s - self._saved_at >= self.save_interval_s

    def mark_saved(self, now_s):
        self.dirty = False
        self._saved_at = now_s
        self._saved_empty = not self._unsent
