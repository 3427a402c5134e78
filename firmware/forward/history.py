# Recent readings for the LAN API: a fixed-size, time-ordered ring of packed
# records (13 bytes each; 288 = 24 h in 3.7 KiB), pure (CPython and MicroPython).
#   h = History(288); h.add(reading); h.query(count, gt=, gte=, lt=, lte=)
#   h = QueueHistory(upload_queue, 288)   the same, read from a keep_sent upload queue
# query() yields (dex_s, unix_s, sgv, trend, state) newest first; times in Unix ms
# for the bounds (as Nightscout's find[date]).
#
# A live reading first re-dates the records dated while the box's clock ran
# ahead (forward.redate). QueueHistory: the upload queue re-dates its own.
import struct

from forward.redate import SAME_S, redate

_REC = "<IIHhB"
_R = 13
_NO_TREND = -32768


class History:
    def __init__(self, capacity=288):
        if capacity < 1:
            raise ValueError("capacity >= 1")
        self.capacity = capacity
        self._buf = bytearray(capacity * _R)
        self._n = 0

    def __len__(self):
        return self._n

    def _get(self, i):
        d, u, s, t, st = struct.unpack_from(_REC, self._buf, i * _R)
        return d, u, s, None if t == _NO_TREND else t, st

    def add(self, reading, back_s=0):
        """Keep a reading (tuple of firmware/reading.py). Readings without wall time
        or glucose are not kept; the same transmitter time twice is kept once.
        back_s: clock.back_s(), how far a live reading may re-date (0: not at all)."""
        dex_s, unix_s, sgv, trend, state = reading[0], reading[1], reading[2], reading[3], reading[4]
        if unix_s is None or sgv is None:
            return False
        unix_s = int(unix_s)
        if len(reading) > 5 and reading[5] == "live":   # (a backfill comes after its live one)
            redate(self._buf, self._n, _R, dex_s, unix_s, back_s)
        n = self._n
        i = n
        while i > 0:
            d, u = struct.unpack_from("<II", self._buf, (i - 1) * _R)
            if d == dex_s and abs(u - unix_s) < SAME_S:
                return False
            if u <= unix_s:
                break
            i -= 1
        mv = memoryview(self._buf)
        if n == self.capacity:
            if i == 0:
                return False  # older than everything in a full ring
            mv[0:(i - 1) * _R] = mv[_R:i * _R]  # drop the oldest, open slot i-1
            i -= 1
        else:
            mv[(i + 1) * _R:(n + 1) * _R] = bytes(mv[i * _R:n * _R])
            self._n = n + 1
        struct.pack_into(_REC, self._buf, i * _R, dex_s, unix_s, sgv,
                         _NO_TREND if trend is None else trend, state or 0)
        return True

    def latest(self):
        return self._get(self._n - 1) if self._n else None

    def query(self, count, gt=None, gte=None, lt=None, lte=None):
        """Up to count records, newest first, filtered by date in Unix ms. Yields
        (record, previous_record_or_None)."""
        return _query(self._get, self._n, count, gt, gte, lt, lte)


class QueueHistory:
    """The same history read from the Nightscout upload queue, when both run: the
    queue keeps what it sent (UploadQueue(keep_sent=True)) and gets every reading
    with a wall time, so a History beside it held the same readings a second
    time (3.7 KB). The newest `capacity` records, as History(capacity) keeps;
    the queue does not keep the calibration state (state 0: the LAN API does
    not send it)."""

    def __init__(self, queue, capacity=288):
        self.queue = queue
        self.capacity = capacity

    def _window(self):
        n = self.queue.held()
        return max(0, n - self.capacity), min(n, self.capacity)

    def __len__(self):
        return self._window()[1]

    def _get(self, i):
        return self.queue.record(self._window()[0] + i) + (0,)

    def latest(self):
        n = len(self)
        return self._get(n - 1) if n else None

    def query(self, count, gt=None, gte=None, lt=None, lte=None):
        return _query(self._get, len(self), count, gt, gte, lt, lte)


def _query(get, n, count, gt, gte, lt, lte):
    i = n - 1
    while i >= 0 and count > 0:
        r = get(i)
        ms = r[1] * 1000
        if (gt is not None and ms <= gt) or (gte is not None and ms < gte):
            return  # all older ones fail too
        if (lt is None or ms < lt) and (lte is None or ms <= lte):
            yield r, (get(i - 1) if i > 0 else None)
            count -= 1
        i -= 1
