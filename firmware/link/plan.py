# Pure bookkeeping of the link (no I/O, no clock: times are arguments).
#   Windows: when the transmitter is expected to wake next, from its own
#            clock (dex seconds) mapped onto our monotonic ms.
#   Seen:    which readings (by dex_s) already went out, so live and
#            backfill never deliver one twice.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

from reading import PERIOD_S   # a G5/G6 reading (and wake-up) every 5 minutes

PERIOD_MS = const(300000)   # PERIOD_S * 1000


class Windows:
    """Predicts the transmitter's wake-ups.

    Once a session read the transmitter's time, `anchor(now_ms, dex_now)`
    ties dex time to our ms clock; each reading at dex d makes the next
    wake-up due at local(d + 300) (the transmitter advertises a moment
    after it takes a reading). Before that, an advertisement seen at
    `now_ms` gives a coarser anchor (`seen`)."""

    def __init__(self, lead_ms, tail_ms):
        self.lead_ms = lead_ms      # scan this long before the expected wake-up
        self.tail_ms = tail_ms      # ... and until this long after it
        self._ms_at_dex0 = None     # local ms when dex time was 0
        self._last_dex = None       # dex time of the newest reading
        self._seen_ms = None        # local ms of the last advert (no dex anchor yet)

    def synced(self):
        return self._ms_at_dex0 is not None or self._seen_ms is not None

    def anchored(self):
        """The phase comes from a session's transmitter time (not only an advert)."""
        return self._ms_at_dex0 is not None

    def anchor(self, now_ms, dex_now_s):
        self._ms_at_dex0 = now_ms - dex_now_s * 1000

    def reading(self, dex_s):
        if self._last_dex is None or dex_s > self._last_dex:
            self._last_dex = dex_s

    def seen(self, now_ms):
        self._seen_ms = now_ms

    def forget(self):
        self._ms_at_dex0 = None
        self._last_dex = None
        self._seen_ms = None

    def local_ms(self, dex_s):
        return None if self._ms_at_dex0 is None else self._ms_at_dex0 + dex_s * 1000

    def next_expected(self, now_ms):
        """Local ms of the next wake-up whose scan has not ended by now_ms
        (None when unknown: scan to acquire)."""
        if self._ms_at_dex0 is not None and self._last_dex is not None:
            t = self._ms_at_dex0 + (self._last_dex + PERIOD_S) * 1000
        elif self._seen_ms is not None:
            t = self._seen_ms + PERIOD_MS
        else:
            return None
        if t + self.tail_ms <= now_ms:
            t += ((now_ms - t - self.tail_ms) // PERIOD_MS + 1) * PERIOD_MS
        return t

    def scan_span(self, now_ms):
        """(start_ms, end_ms) of the next scan, or None to acquire."""
        t = self.next_expected(now_ms)
        if t is None:
            return None
        return (max(now_ms, t - self.lead_ms), t + self.tail_ms)


class Seen:
    """Dex times already delivered (`dex`, pruned to the horizon past 64), for
    `horizon_s` back from the newest."""

    def __init__(self, horizon_s=4 * 3600):
        self.horizon_s = horizon_s
        self.dex = []
        self.newest = None

    def add(self, dex_s):
        """True when dex_s is new (and records it), False for a duplicate or
        a reading older than the horizon (it may have gone out already)."""
        if self.newest is not None and dex_s <= self.newest - self.horizon_s:
            return False
        if dex_s in self.dex:
            return False
        self.dex.append(dex_s)
        if self.newest is None or dex_s > self.newest:
            self.newest = dex_s
        if len(self.dex) > 64:
            lim = self.newest - self.horizon_s
            self.dex = [d for d in self.dex if d > lim]
        return True

    def forget(self, dex_s):
        """dex_s was not delivered after all: a backfill may bring it again."""
        if dex_s in self.dex:
            self.dex.remove(dex_s)

    def gap(self, dex_now_s, max_s):
        """(start, end) dex span worth backfilling before the reading at
        dex_now_s, at most max_s long, or None when nothing is missing."""
        if self.newest is None:
            start = dex_now_s - max_s
        else:
            start = max(self.newest + 1, dex_now_s - max_s)
        end = dex_now_s - 1
        # a reading a period and a few seconds after the newest is the next one (records
        # are 299-301 s apart, CGMBLEKit's captures): nothing can lie between them. A missed
        # one makes the span about two periods; half a period more is the margin
        if end - start < PERIOD_S + PERIOD_S // 2 - 2 and self.newest is not None:
            return None
        if end < start or end < 0:
            return None
        return (max(0, start), end)
