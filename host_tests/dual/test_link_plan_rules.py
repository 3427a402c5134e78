# The link's bookkeeping (firmware/link/plan.py), pinned from its comments and
# link/core.py's use of it: which transmitter wake-up to scan for (Windows),
# which readings already went out (Seen), what span to backfill (Seen.gap).
# Found unpinned by `python tools/mutation.py --package link` (0 of 142 mutants
# killed: only the MicroPython link runs used it, and those cannot see a mutant).
# Runs on both runtimes.
from link import plan   # pure: the package pulls in no BLE adapter
Windows, Seen = plan.Windows, plan.Seen
P = 300000   # a reading, and a wake-up, every 5 minutes
LEAD, TAIL = 5000, 20000


def test_the_period_is_five_minutes():
    assert plan.PERIOD_MS == 300000 and plan.PERIOD_S == 300


# --- Windows -------------------------------------------------------------------

def test_nothing_known_means_acquire():
    w = Windows(LEAD, TAIL)
    assert not w.synced()
    assert w.next_expected(123456) is None and w.scan_span(123456) is None
    assert w.local_ms(1000) is None


def test_the_next_wake_up_follows_the_newest_reading_by_one_period():
    w = Windows(LEAD, TAIL)
    # at local 1_000_000 ms the transmitter said its clock reads 5000 s
    w.anchor(1000000, 5000)
    assert w.synced()
    assert w.local_ms(5000) == 1000000 and w.local_ms(5300) == 1300000 and w.local_ms(4999) == 999000
    assert w.next_expected(1000000) is None    # anchored, no reading yet, no advert seen: acquire
    w.reading(4990)                             # the reading just taken, 10 s before "now"
    assert w.next_expected(1000000) == 990000 + P
    assert w.scan_span(1000000) == (990000 + P - LEAD, 990000 + P + TAIL)
    # an older reading (a backfill) does not move the expectation back
    w.reading(4690)
    assert w.next_expected(1000000) == 990000 + P
    w.reading(5290)
    assert w.next_expected(1000000) == 990000 + 2 * P


def test_the_scan_starts_now_when_the_lead_has_begun():
    w = Windows(LEAD, TAIL)
    w.anchor(0, 0)
    w.reading(0)                                 # next wake-up at local 300000
    assert w.scan_span(P - 2000) == (P - 2000, P + TAIL)   # inside the lead: from now
    assert w.scan_span(P + 5000) == (P + 5000, P + TAIL)   # inside the tail: still this one
    assert w.scan_span(0) == (P - LEAD, P + TAIL)


def test_a_window_whose_scan_has_ended_gives_way_to_the_next():
    w = Windows(LEAD, TAIL)
    w.anchor(0, 0)
    w.reading(0)
    assert w.next_expected(P + TAIL - 1) == P
    assert w.next_expected(P + TAIL) == 2 * P            # the scan ended at P + TAIL
    assert w.next_expected(2 * P + TAIL - 1) == 2 * P
    # many missed wake-ups later: still on the transmitter's 5-minute grid
    now = 7 * P + 12345
    t = w.next_expected(now)
    assert t == 7 * P and (t - P) + TAIL <= now < t + TAIL
    assert w.scan_span(now) == (now, t + TAIL)               # already inside it


def test_an_advert_seen_before_any_anchor_gives_a_coarse_expectation():
    w = Windows(LEAD, TAIL)
    w.seen(50000)
    assert w.synced()
    assert w.next_expected(60000) == 50000 + P
    assert w.next_expected(50000 + P + TAIL) == 50000 + 2 * P
    assert w.local_ms(100) is None              # no dex time known from an advert
    # once dex time and a reading are known they win over the advert
    w.anchor(100000, 1000)
    w.reading(1000)
    assert w.next_expected(100000) == 100000 + P


def test_forget_goes_back_to_acquiring():
    w = Windows(LEAD, TAIL)
    w.anchor(0, 0)
    w.reading(5000)
    w.seen(1000)
    w.forget()
    assert not w.synced() and w.next_expected(1) is None and w.scan_span(1) is None
    assert w.local_ms(0) is None
    w.anchor(0, 1000)                           # a new transmitter, its clock far behind
    assert w.next_expected(0) is None           # its first reading not yet known: acquire
    w.reading(900)
    assert w.next_expected(0) == w.local_ms(900) + P == 200000   # not the old one's newest


# --- Seen ---------------------------------------------------------------------

def test_each_reading_goes_out_once():
    s = Seen()
    assert s.newest is None
    assert s.add(600) and s.newest == 600
    assert s.add(600) is False
    assert s.add(300) and s.newest == 600       # a backfilled older reading is new too
    assert s.add(300) is False
    assert s.add(900) and s.newest == 900


def test_a_reading_at_or_beyond_the_horizon_is_refused():
    s = Seen(horizon_s=3600)
    assert s.horizon_s == 3600
    assert Seen().horizon_s == 4 * 3600
    s.add(10000)
    assert s.add(10000 - 3600) is False         # it may have gone out already
    assert s.add(10000 - 3599)
    assert s.newest == 10000


def test_a_reading_not_handed_over_can_come_again():
    s = Seen()
    s.add(600)
    s.add(900)
    s.forget(600)
    assert s.add(600)
    s.forget(12345)                             # never seen: nothing happens
    assert not s.add(900) and s.newest == 900


def test_the_memory_stays_bounded_and_forgets_only_beyond_the_horizon():
    s = Seen(horizon_s=3600)
    for k in range(200):
        assert s.add(k * 300)
    newest = 199 * 300
    assert s.newest == newest
    assert len(s.dex) < 100                    # not one entry per reading ever seen
    # every reading inside the horizon is still known as delivered
    for k in range(200):
        d = k * 300
        if d > newest - 3600:
            assert not s.add(d), d
    # pruning happens only past 64 entries, and keeps the horizon
    t = Seen(horizon_s=10 ** 9)
    for k in range(100):
        t.add(k)
    assert all(not t.add(k) for k in range(100))


# --- Seen.gap: what to backfill before the live reading at dex_now -----------------

def test_no_gap_after_a_reading_one_period_ago():
    s = Seen()
    s.add(10000)
    assert s.gap(10300, 3 * 3600) is None
    assert s.gap(10299, 3 * 3600) is None
    # records are 299-301 s apart (CGMBLEKit's captures): a reading 301 s, or a few more,
    # after the newest is the next one; the span between them holds none (before, 301 s
    # asked a backfill of it at every such session)
    for late in (301, 302, 330, 449):
        assert s.gap(10000 + late, 3 * 3600) is None, late


def test_a_missed_reading_is_a_gap_from_just_after_the_newest_to_just_before_now():
    s = Seen()
    s.add(10000)
    assert s.gap(10600, 3 * 3600) == (10001, 10599)
    assert s.gap(10000 + 300 + 300, 3 * 3600) == (10001, 10599)
    # half a period and more late: the span could hold a reading
    assert s.gap(10450, 3 * 3600) == (10001, 10449)
    assert s.gap(10000 + 598, 3 * 3600) == (10001, 10597)   # a missed one, records 299 s apart


def test_the_gap_is_limited_to_max_s_before_now():
    s = Seen()
    s.add(1000)
    assert s.gap(100000, 10800) == (100000 - 10800, 99999)


def test_with_nothing_delivered_the_whole_limit_is_asked():
    s = Seen()
    assert s.gap(100000, 10800) == (100000 - 10800, 99999)
    assert s.gap(100000, 60) == (100000 - 60, 99999)    # even a span shorter than a period
    # a young transmitter: not before its dex time 0
    assert s.gap(5000, 10800) == (0, 4999)
    assert s.gap(1, 10800) == (0, 0)
    assert s.gap(0, 10800) is None
    assert s.gap(100000, 1) == (99999, 99999)           # at most max_s long


def test_a_reading_older_than_the_newest_asks_nothing():
    s = Seen()
    s.add(50000)
    assert s.gap(40000, 10800) is None


def test_a_phase_is_anchored_only_by_a_transmitter_time():
    w = Windows(5000, 20000)
    assert not w.synced() and not w.anchored()
    w.seen(1000)                    # an advert: a phase, not proven
    assert w.synced() and not w.anchored()
    w.anchor(2000, 100000)          # a session read the transmitter's time
    assert w.synced() and w.anchored()
    w.forget()
    assert not w.synced() and not w.anchored()
