# Recent readings for the LAN API: a fixed-size, time-ordered ring of packed
# records (13 bytes each; 288 = 24 h in 3.7 KiB), pure (CPython and MicroPython).
#   h = History(288); h.add(reading); h.query(count, gt=, gte=, lt=, lte=)
#   h = QueueHistory(upload_queue, 288)   the same, read from a keep_sent upload queue
# query() yields (dex_s, unix_s, sgv, trend, state) newest first; times in Unix ms
# for the bounds (as Nightscout's find[date]).
#
# A reading's wall time is its transmitter time plus the session's activation
# estimate (the wall clock at the session minus the transmitter's clock): the
# readings taken while the box's clock ran ahead (a wrong first NTP answer, kept
# minutes) are dated ahead, and after the clock is put right they stayed the
# "newest" (current.json, /pebble, /api/v2/properties showed a stale value as
# current, and followers asking find[date][$gt] for newer ones got none) until
# real time passed them. So a live reading (the transmitter's newest, dated by
# the clock now) that finds the newest record dated after it first re-dates the
# records at the end dated more than SAME_S later than its transmitter time gives
# theirs (their session's clock further ahead than now's; SAME_S or less is the
# estimate's jitter): each gets the date that gives. The walk from the end stops
# at the first record dated right and not after the reading. Records of a later
# transmitter time (another transmitter's, a follower box's: dex_s = unix_s) are
# left as dated. With nothing dated after it (the usual case: one record's look),
# nothing is re-dated: a clock put back by less than a reading's interval leaves
# the order right, and the records of a transmitter used before one activated
# earlier (its activation later than this one's) are not moved days back. (Not
# QueueHistory: the upload queue's records are forward.queue's own.)
import struct

_REC = "<IIHhB"
_R = 13
_NO_TREND = -32768
SAME_S = 150     # the same transmitter time within this: the same reading (dates jitter)


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

    def add(self, reading):
        """Keep a reading (tuple of firmware/reading.py). Readings without wall time
        or glucose are not kept; the same transmitter time twice is kept once."""
        dex_s, unix_s, sgv, trend, state = reading[0], reading[1], reading[2], reading[3], reading[4]
        if unix_s is None or sgv is None:
            return False
        unix_s = int(unix_s)
        if len(reading) > 5 and reading[5] == "live":   # (a backfill comes after its live one)
            self._redate(dex_s, unix_s)
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

    def _redate(self, dex_s, unix_s):
        """Before the live reading (dex_s, unix_s) goes in: the records at the end
        dated by a clock further ahead than now's get the date its transmitter
        time gives, and go back in time order (see the top)."""
        buf = self._buf
        n = self._n
        if n == 0 or struct.unpack_from("<I", buf, (n - 1) * _R + 4)[0] <= unix_s:
            return               # the usual case: nothing dated after it
        act = unix_s - dex_s     # the transmitter's activation by the clock now
        j = n
        while j > 0:
            d, u = struct.unpack_from("<II", buf, (j - 1) * _R)
            if u <= unix_s and (d > dex_s or u - d - act <= SAME_S):
                break            # dated right: the ones before it too
            j -= 1
        mv = memoryview(buf)
        for i in range(j, n):
            d, u, s, t, st = struct.unpack_from(_REC, buf, i * _R)
            if d <= dex_s and u - d - act > SAME_S and act + d >= 0:   # (>= 0: the record's range)
                u = act + d
            k = i
            while k > 0 and struct.unpack_from("<I", buf, (k - 1) * _R + 4)[0] > u:
                k -= 1
            if k < i:
                mv[(k + 1) * _R:(i + 1) * _R] = bytes(mv[k * _R:i * _R])
            struct.pack_into(_REC, buf, k * _R, d, u, s, t, st)

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
