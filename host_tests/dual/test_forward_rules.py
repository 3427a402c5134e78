# Rules of the forwarders' pure parts that `python tools/mutation.py --package
# forward` found unpinned: the Nightscout/Dexcom trend codes, the calendar behind
# every `date`/`dateString` (leap years, centuries, the 2038 and u32 limits), the
# HTTP Date header (RFC 7231 IMF-fixdate: fields out of range are not a date), the
# wall-clock rules of TimeSync (NTP first, the server's Date only as a fallback,
# nothing before 2024, back-off after a slow failure) and the LAN history ring
# (with the re-dating of what a clock put back had dated ahead).
# Facts from ../shared/research/peers.md (2.1, 2.2, 4.5) and the modules' own
# comments. Runs on both runtimes.
import sys

from async_steps import run_until
from fakes import swap

from forward import names, timesync, wifi
from forward.entries import civil, direction, iso_utc, sgv_entry, TREND_CODES
from forward import history
from forward.history import History
from forward.timesync import http_date, parse_http_date, TimeSync


# --- entries ---------------------------------------------------------------

def test_trend_codes_are_dexcoms():
    # peers.md 2.1: 1..7 = DoubleUp..DoubleDown, 0 none, 8 not computable, 9 out of range
    assert TREND_CODES == {"NONE": 0, "DoubleUp": 1, "SingleUp": 2, "FortyFiveUp": 3, "Flat": 4,
                           "FortyFiveDown": 5, "SingleDown": 6, "DoubleDown": 7,
                           "NOT COMPUTABLE": 8, "RATE OUT OF RANGE": 9}
    for t in (None, 500, 40, 30, 15, 0, -15, -30, -40):
        assert direction(t) in TREND_CODES, t


def _leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def test_the_calendar_matches_a_day_by_day_count_from_1970_to_2110():
    # every day: an independent walk with month lengths and the Gregorian leap rule
    lengths = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    y, m, d = 1970, 1, 1
    day = 0
    while y < 2110:
        t = day * 86400 + (day % 86400)          # a different second of each day
        rem = day % 86400
        assert civil(t) == (y, m, d, rem // 3600, rem % 3600 // 60, rem % 60), (day, y, m, d)
        day += 1
        d += 1
        if d > lengths[m - 1] + (1 if m == 2 and _leap(y) else 0):
            d, m = 1, m + 1
            if m == 13:
                m, y = 1, y + 1


def test_known_instants():
    assert civil(0) == (1970, 1, 1, 0, 0, 0)
    assert civil(3600) == (1970, 1, 1, 1, 0, 0)
    assert civil(3599) == (1970, 1, 1, 0, 59, 59)
    assert civil(86399) == (1970, 1, 1, 23, 59, 59)
    assert iso_utc(951782400) == "2000-02-29T00:00:00.000Z"     # 2000 is a leap year (400)
    assert iso_utc(951868800) == "2000-03-01T00:00:00.000Z"
    assert iso_utc(946684799) == "1999-12-31T23:59:59.000Z"
    assert iso_utc(4107542399) == "2100-02-28T23:59:59.000Z"    # 2100 is not (100)
    assert iso_utc(4107542400) == "2100-03-01T00:00:00.000Z"
    assert iso_utc(2147483648) == "2038-01-19T03:14:08.000Z"    # past a signed 32-bit second
    assert iso_utc(4294967295) == "2106-02-07T06:28:15.000Z"    # the last u32 second
    assert iso_utc(1704067200.9) == "2024-01-01T00:00:00.000Z"  # whole seconds


def test_an_entry_takes_date_and_datestring_from_the_same_instant():
    # peers.md 2.2: the server upserts on {sysTime, type}, sysTime from dateString first
    e = sgv_entry(1704067200.75, 39, None, "box")
    assert e["date"] == 1704067200000 and e["dateString"] == e["sysTime"] == "2024-01-01T00:00:00.000Z"
    assert e["direction"] == "NOT COMPUTABLE" and e["sgv"] == 39 and e["type"] == "sgv"
    assert e["device"] == "box"


# --- the HTTP Date header ------------------------------------------------------

def test_http_date_names_the_weekday():
    names_ = ("Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed")
    for k in range(14):
        assert http_date(k * 86400 + 43200).startswith(names_[k % 7] + ", "), k
    assert http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT"
    assert http_date(951868800) == "Wed, 01 Mar 2000 00:00:00 GMT"
    assert http_date(4107542400) == "Mon, 01 Mar 2100 00:00:00 GMT"
    assert http_date(1704067200 + 86399) == "Mon, 01 Jan 2024 23:59:59 GMT"


def test_http_dates_parse_across_leap_days_and_centuries():
    for s, t in (("Tue, 29 Feb 2000 00:00:00 GMT", 951782400),
                 ("Wed, 01 Mar 2000 00:00:00 GMT", 951868800),
                 ("Fri, 31 Dec 1999 23:59:59 GMT", 946684799),
                 ("Sun, 28 Feb 2100 23:59:59 GMT", 4107542399),
                 ("Mon, 01 Mar 2100 00:00:00 GMT", 4107542400),
                 ("Mon, 01 Jan 2024 00:00:00 GMT", 1704067200),
                 ("Sun, 07 Feb 2106 06:28:15 GMT", 4294967295),
                 ("  Mon, 01 Jan 2024 00:00:00 GMT\r\n", 1704067200)):   # as read from a header line
        assert parse_http_date(s) == t, s
    # every month's first day of a leap and a common year round-trips
    for y in (2023, 2024):
        for mon in range(12):
            s = "Mon, 01 %s %d 12:00:00 GMT" % (timesync._MONTHS[mon], y)
            t = parse_http_date(s)
            assert t is not None and http_date(t)[5:] == s[5:], s


def test_a_field_out_of_range_is_not_a_date():
    base = "Mon, %s Jan 2024 %s GMT"
    assert parse_http_date(base % ("01", "00:00:00")) == 1704067200
    assert parse_http_date(base % ("31", "23:59:59")) == 1704067200 + 30 * 86400 + 86399
    assert parse_http_date(base % ("01", "23:59:60")) == 1704067200 + 86400   # a leap second
    for day, hms in (("00", "12:00:00"), ("32", "12:00:00"), ("01", "24:00:00"),
                     ("01", "-1:00:00"), ("01", "12:60:00"), ("01", "12:-1:00"),
                     ("01", "12:00:61"), ("01", "12:00:-1"), ("01", "12:00"), ("01", "12:00:00:00")):
        assert parse_http_date(base % (day, hms)) is None, (day, hms)
    for bad in ("Mon, 01 Foo 2024 00:00:00 GMT", "Mon, 01 Jan 2024 00:00:00", "Mon, 01 Jan 24",
                "Mon, 01 Jan 2024 00:00:00 UTC", None, 1704067200):
        assert parse_http_date(bad) is None, bad


# --- TimeSync: the wall clock ------------------------------------------------

class FakeClock:
    """Stands in for firmware/clock.py (the adapter TimeSync imports)."""
    EPOCH_OFFSET = 946684800   # the ESP32's epoch: ntptime answers from 2000

    def __init__(self, wall=None):
        self.now_ms = 1000
        self.wall = wall
        self.set_calls = []      # through the setter TimeSync was given
        self.clock_sets = []     # through clock.set_unix (TimeSync's default)
        self.back = 0            # clock.back_s()

    def ms(self):
        return self.now_ms

    def unix(self):
        return self.wall if self.wall is not None else 0

    def wall_valid(self):
        return self.wall is not None and self.wall >= 1577836800

    def set_unix(self, u):
        if self.wall_valid():        # as clock.set_unix: how far behind its furthest
            self.back = max(0, self.back - int(u - self.wall))
        self.clock_sets.append(u)
        self.wall = u

    def back_s(self):
        return self.back

    def setter(self, u):
        self.set_calls.append(u)
        self.wall = u


class FakeNtp:
    """ntptime: answers (seconds in the ESP32's epoch, or an exception to raise)
    in turn, the last one for ever; each query takes takes_ms of `clock`."""

    def __init__(self, answer, clock=None, takes_ms=0):
        self.answers = answer if isinstance(answer, list) else [answer]
        self.clock, self.takes_ms = clock, takes_ms
        self.asked = 0
        self.host = self.timeout = None

    def time(self):
        a = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        if self.clock is not None:
            self.clock.now_ms += self.takes_ms[min(self.asked - 1, len(self.takes_ms) - 1)] \
                if isinstance(self.takes_ms, list) else self.takes_ms
        if isinstance(a, Exception):
            raise a
        return a


def _with_clock(fake, fn, ntptime=None):
    """fn() with `clock` (and so TimeSync, forward.names) being `fake`, and
    `ntptime` that one when given; the real modules and names' lookup state are
    put back afterwards."""
    swapped = {"clock": fake}
    if ntptime is not None:
        swapped["ntptime"] = ntptime
    before = dict((k, sys.modules.get(k)) for k in swapped)
    stalled = names._stalled_s, names._last_slow
    sys.modules.update(swapped)
    try:
        return fn()
    finally:
        for k, v in before.items():
            if v is None:
                del sys.modules[k]
            else:
                sys.modules[k] = v
        timesync.clock = before["clock"]
        names._stalled_s, names._last_slow = stalled


def _ts(fake, ntp=None, logs=None, **kw):
    return TimeSync({"ntp_host": "192.168.1.1"}, set_unix=fake.setter, ntp=ntp,
                    log=(logs.append if logs is not None else (lambda m: None)), **kw)


T = 1767225600   # 2026-01-01


def test_ntp_sets_the_clock_from_its_own_epoch():
    fake = FakeClock()
    logs = []

    def run():
        ntp = FakeNtp(T - fake.EPOCH_OFFSET)
        ts = _ts(fake, ntp, logs)
        assert ts.source is None and ts.synced_ms is None
        assert ts.sync_ntp() is True
        assert ntp.host == "192.168.1.1" and ntp.timeout == 1 and ntp.asked == 1
        return ts
    ts = _with_clock(fake, run)
    assert fake.set_calls == [T] and ts.source == "ntp" and ts.synced_ms == 1000
    assert logs == ["time: set from ntp"] and fake.clock_sets == []


def test_by_default_ntptime_is_asked_and_the_clock_adapter_set():
    fake = FakeClock()
    ntp = FakeNtp(T - fake.EPOCH_OFFSET)

    def run():
        ts = TimeSync({"ntp_host": "10.0.0.1"}, log=lambda m: None)
        assert ts.sync_ntp() is True and ts.sync_ntp() is True
        return ts
    ts = _with_clock(fake, run, ntptime=ntp)
    assert ntp.asked == 2 and ntp.host == "10.0.0.1" and ntp.timeout == 1
    assert fake.clock_sets == [T, T] and ts.source == "ntp"


def test_ntp_failures_are_logged_and_leave_the_clock_alone():
    for err in (OSError("timed out"), IndexError("short answer")):
        fake = FakeClock()
        logs = []
        ok = _with_clock(fake, lambda: _ts(fake, FakeNtp(err), logs).sync_ntp())
        assert ok is False and fake.set_calls == [], err
        assert len(logs) == 1 and logs[0].startswith("time: NTP failed: "), logs


def test_an_answer_before_2024_is_wrong():
    fake = FakeClock()

    def run():
        ts = _ts(fake)
        assert ts.offer_date("Sun, 31 Dec 2023 23:59:59 GMT") is False
        assert _ts(fake, FakeNtp(1704067199 - fake.EPOCH_OFFSET)).sync_ntp() is False
        assert ts.offer_date("not a date") is False
        assert fake.set_calls == [] and ts.source is None
        assert ts.offer_date("Mon, 01 Jan 2024 00:00:00 GMT") is True
        return ts
    ts = _with_clock(fake, run)
    assert fake.set_calls == [1704067200] and ts.source == "server"


def test_an_answer_from_2100_on_is_wrong():
    # a broken or forged server (or NTP answer) must not throw the box's clock,
    # and so every schedule and the readings' dates, a century ahead
    fake = FakeClock()

    def run():
        ts = _ts(fake)
        assert ts.offer_date("Fri, 01 Jan 2100 00:00:00 GMT") is False
        assert ts.offer_date("Sat, 01 Jan 9999 00:00:00 GMT") is False
        assert _ts(fake, FakeNtp(4102444800 - fake.EPOCH_OFFSET)).sync_ntp() is False
        assert fake.set_calls == [] and ts.source is None
        assert ts.offer_date("Thu, 31 Dec 2099 23:59:59 GMT") is True
        return ts
    ts = _with_clock(fake, run)
    assert fake.set_calls == [4102444799] and ts.source == "server"


def test_the_servers_date_is_only_a_fallback_for_ntp():
    fake = FakeClock()

    def run():
        ts = _ts(fake, FakeNtp(T - fake.EPOCH_OFFSET))
        assert ts.sync_ntp()
        assert ts.offer_date(http_date(T + 600)) is False       # NTP is better
        return ts
    ts = _with_clock(fake, run)
    assert fake.set_calls == [T] and ts.source == "ntp"


def test_a_date_within_two_seconds_does_not_step_the_clock():
    fake = FakeClock(wall=T)

    def run():
        ts = _ts(fake)
        assert ts.max_step_s == 2
        assert ts.offer_date(http_date(T + 2)) is True           # close enough: kept
        assert ts.offer_date(http_date(T - 2)) is True
        assert fake.set_calls == [] and ts.source == "server" and ts.synced_ms is None
        assert ts.offer_date(http_date(T + 3)) is True            # off by more: set
        assert fake.set_calls == [T + 3] and ts.synced_ms == 1000
        # with no valid wall clock, even a close date sets it
        fake.wall = None
        ts2 = _ts(fake)
        assert ts2.offer_date(http_date(T)) is True
        return ts2
    ts2 = _with_clock(fake, run)
    assert fake.set_calls == [T + 3, T] and ts2.source == "server"


def test_one_wrong_answer_does_not_throw_a_set_clock():
    # a pool server hours off would move the schedules and date the uploads wrongly
    # (followers then judge them stale) until the next sync, 6 h on: a step of more than
    # CONFIRM_STEP_S from a set clock waits for a second answer that agrees with it
    fake = FakeClock(wall=T)
    logs = []
    off = 3 * 3600
    answers = [T + off, T + 300, T + 300 + off + 5, T + 600 + off + 7, T + 900 + off - 3]
    ntp = FakeNtp([a - fake.EPOCH_OFFSET for a in answers])

    def run():
        ts = _ts(fake, ntp, logs)
        out = [ts.sync_ntp()]
        fake.wall = T + 300                     # the box's clock ran on 5 min
        out.append(ts.sync_ntp())               # the truth: a small step, taken; the 3 h forgotten
        fake.wall = T + 300                     # (the setter set it to the same)
        out.append(ts.sync_ntp())               # 3 h again: a first answer once more
        fake.wall = T + 600
        out.append(ts.sync_ntp())               # agrees within AGREE_S (2 s apart): taken
        return ts, out
    ts, out = _with_clock(fake, run)
    assert out == [False, True, False, True], out
    assert fake.set_calls == [T + 300, T + 600 + off + 7] and ts.source == "ntp"
    assert logs[0] == "time: ntp says the clock is +10800 s off: not set until a second answer agrees", logs


def test_the_step_and_agreement_bounds_are_the_readmes_2_min_and_10_s():
    # README: "a step of more than 2 min ... is taken only when a second answer ...
    # asks for the same step (within 10 s)": both bounds hold exactly
    fake = FakeClock(wall=T)
    off = 3 * 3600
    ntp = FakeNtp([a - fake.EPOCH_OFFSET for a in (T + 120, T + 121, T + off, T + off + 11,
                                                   T + off + 21)])

    def run():
        ts = _ts(fake, ntp)
        out = [ts.sync_ntp()]             # 2 min: taken at once
        fake.wall = T
        out.append(ts.sync_ntp())         # 2 min 1 s: waits for a second answer
        fake.wall = T
        out += [ts.sync_ntp(), ts.sync_ntp()]   # 3 h, then 3 h 11 s: 11 s apart, no agreement
        out.append(ts.sync_ntp())         # 3 h 21 s: 10 s from the one before: taken
        return out
    out = _with_clock(fake, run)
    assert out == [True, False, False, False, True], out
    assert fake.set_calls == [T + 120, T + off + 21], fake.set_calls


def test_after_ntp_the_servers_date_never_moves_the_clock():
    # NTP is better: a Nightscout backend's Date, even one that says the same
    # 3 h twice (which would confirm a step), is not taken once NTP set the clock
    fake = FakeClock(wall=T)
    ntp = FakeNtp(T - fake.EPOCH_OFFSET)

    def run():
        ts = _ts(fake, ntp)
        assert ts.sync_ntp()
        return [ts.offer_date(timesync.http_date(T + 3 * 3600)),   # the clock stands still here:
                ts.offer_date(timesync.http_date(T + 3 * 3600)),   # the same step twice
                ts.offer_date(timesync.http_date(T + 1)), ts.source]
    assert _with_clock(fake, run) == [False, False, False, "ntp"]
    assert fake.set_calls == [T]


def test_an_ntp_name_that_does_not_resolve_is_a_failed_query_in_the_log():
    fake = FakeClock(wall=T)
    logs = []

    def run():
        ts = TimeSync({"ntp_host": "pool.example"}, set_unix=fake.setter, ntp=FakeNtp(T),
                      log=logs.append)
        return ts.sync_ntp()
    assert _ntp_with_dns(fake, _NtpDns(fake, fail=True), run) is False
    assert fake.set_calls == [] and len(logs) == 1 and logs[0].startswith("time: NTP failed: cannot resolve pool.example"), logs


def test_two_answers_that_disagree_set_nothing_and_a_small_step_needs_no_second():
    fake = FakeClock(wall=T)
    ntp = FakeNtp([a - fake.EPOCH_OFFSET for a in (T + 3 * 3600, T - 5 * 3600, T + 3 * 3600 + 11,
                                                   T + timesync.CONFIRM_STEP_S)])

    def run():
        ts = _ts(fake, ntp)
        out = [ts.sync_ntp(), ts.sync_ntp(), ts.sync_ntp()]   # the third is 11 s from the first
        fake.set_calls[:] = []
        out.append(ts.sync_ntp())                              # 120 s: set at once
        return out
    out = _with_clock(fake, run)
    assert out == [False, False, False, True] and fake.set_calls == [T + timesync.CONFIRM_STEP_S], out
    # a clock that was never set takes the first answer, however far
    fresh = FakeClock()
    assert _with_clock(fresh, lambda: _ts(fresh, FakeNtp(T + 3 * 3600 - fresh.EPOCH_OFFSET)).sync_ntp())
    assert fresh.set_calls == [T + 3 * 3600]


def test_a_wrong_server_date_between_two_ntp_answers_does_not_block_them():
    # each source confirms its own answers: the Nightscout server's Date, 5 h off,
    # between NTP's two (a clock restored 3 h wrong after a power cut, say)
    fake = FakeClock(wall=T)
    ntp = FakeNtp(T + 3 * 3600 - fake.EPOCH_OFFSET)

    def run():
        ts = _ts(fake, ntp)
        out = [ts.sync_ntp(), ts.offer_date(http_date(T + 5 * 3600)), ts.sync_ntp()]
        out.append(ts.offer_date(http_date(T + 5 * 3600 + 1)))   # NTP set it: no fallback now
        return ts, out
    ts, out = _with_clock(fake, run)
    assert out == [False, False, True, False] and fake.set_calls == [T + 3 * 3600], out


def test_a_servers_date_never_steps_a_set_clock_by_more_than_two_minutes():
    # a hotel's captive portal answers for every name (a Nightscout on the LAN, a follower's
    # leader: plain http) with its own clock, again and again: its second answer, seconds
    # later, agreed with the first and stepped the clock hours (the night schedule and the
    # readings' dates with it; the phone could not put it right, helper-152). A set clock
    # now takes the Date's small steps only (drift); an unset one still takes its first
    fake = FakeClock(wall=T)
    logs = []

    def run():
        ts = _ts(fake, None, logs)
        out = [ts.offer_date(http_date(T + 7200)), ts.offer_date(http_date(T + 7205)),
               ts.offer_date(http_date(T + 7200 + 300)), ts.offer_date(http_date(T - 3600)),
               ts.offer_date(http_date(T + 120))]          # 2 min: a step the Date may make
        return out
    assert _with_clock(fake, run) == [False, False, False, False, True]
    assert fake.set_calls == [T + 120], fake.set_calls
    said = [l for l in logs if "not stepped by it" in l]
    # said once per step (+7205 agrees with +7200), not at every upload
    assert [l.split(" s off")[0].split()[-1] for l in said] == ["+7200", "+7500", "-3600"], logs
    assert said[0] == ("time: the server's Date says the clock is +7200 s off: a set clock is not "
                       "stepped by it (NTP or a phone's settings save put it right)"), logs
    # a clock that is not set takes the server's first answer, as before
    unset = FakeClock(wall=None)
    assert _with_clock(unset, lambda: _ts(unset).offer_date(http_date(T + 7200))) is True
    assert unset.set_calls == [T + 7200]


def test_a_clock_a_servers_date_set_is_put_right_by_the_next_servers_dates():
    # a power cut on a trip, the clock unset: a portal's Date sets it 3 h ahead (and agrees
    # with itself at every upload); back home, NTP blocked, the home Nightscout's right Date
    # puts it right at its second answer (helper-153: it stayed 3 h off for good). Once the
    # phone set the clock, a server's Date no longer steps it (a portal undid the fix)
    fake = FakeClock(wall=None)

    def run():
        ts = _ts(fake)
        out = [ts.offer_date(http_date(T + 3 * 3600))]          # the portal, from unset
        fake.wall = T + 3 * 3600
        out.append(ts.offer_date(http_date(T + 3 * 3600 + 1)))   # the portal again: agrees
        out += [ts.offer_date(http_date(T)), ts.offer_date(http_date(T + 3))]   # home: 2 answers
        ts.phone_set()                                           # (the phone at a settings save)
        fake.wall = T
        out += [ts.offer_date(http_date(T + 7200)), ts.offer_date(http_date(T + 7201))]
        return ts, out
    ts, out = _with_clock(fake, run)
    assert out == [True, True, False, True, False, False], out
    assert fake.set_calls == [T + 3 * 3600, T + 3], fake.set_calls
    assert ts.source == "phone"


class _NtpDns:
    """socket for forward.names: getaddrinfo answers pool.example with 192.0.2.1
    (or fails), taking took_ms of the fake clock; lookups counted."""
    SOCK_STREAM = 1

    def __init__(self, clock, took_ms=0, fail=False):
        self.clock, self.took_ms, self.fail, self.lookups = clock, took_ms, fail, []

    def getaddrinfo(self, host, port, *a):
        self.lookups.append((host, port))
        self.clock.now_ms += self.took_ms
        if self.fail:
            raise OSError(-202)
        return [(2, 1, 0, "", ("192.0.2.1", port))]


def _pool_ts(fake, ntp):
    """A TimeSync asking ntp about the pool name pool.example."""
    return TimeSync({"ntp_host": "pool.example"}, set_unix=fake.setter, ntp=ntp, log=lambda m: None)


def _ntp_with_dns(fake, dns, fn):
    from forward import names
    real = names.socket
    names.socket = dns
    names._addr_cache.clear()
    try:
        return _with_clock(fake, fn)
    finally:
        names.socket = real
        names._addr_cache.clear()


def _in_pool(answers, body):
    """body(ts, ntp, fake, dns) with a TimeSync asking ntp (answers: unix seconds or
    exceptions, in turn) about pool.example, whose DNS answers 192.0.2.1: its result."""
    fake = FakeClock()
    dns = _NtpDns(fake)
    ntp = FakeNtp([a if isinstance(a, Exception) else a - fake.EPOCH_OFFSET for a in answers])
    return _ntp_with_dns(fake, dns, lambda: body(_pool_ts(fake, ntp), ntp, fake, dns))


def test_ntp_gets_its_server_address_through_the_common_lookup_rules():
    # ntptime looks its host up at every query; the box looks the name up through
    # forward.names (under the forwarders' common limit, in a pause of its own)
    # and gives ntptime the address; each query looks it up again, as ntptime
    # did and the NTP pool asks (a pool name is many servers)
    def run(ts, ntp, fake, dns):
        out = [ts.sync_ntp(), ntp.host, ts.sync_ntp(), ntp.asked]
        return out, dns.lookups
    out, lookups = _in_pool([T], run)
    assert out == [True, "192.0.2.1", True, 2]
    assert lookups == [("pool.example", 123)] * 2


def test_a_failed_ntp_query_looks_the_name_up_again_at_the_next_query():
    # not only after RESOLVE_AGAIN_S: a pool server gone dead was asked at every
    # retry until then (review 26)
    def run(ts, ntp, fake, dns):
        from forward import names
        out = [ts.sync_ntp(), names.lookup_due("pool.example", 123)]
        fake.now_ms += 300 * 1000
        out += [names.lookup_due("pool.example", 123), ts.sync_ntp()]
        return out, dns.lookups
    out, lookups = _in_pool([OSError("timed out"), T], run)
    assert out == [False, True, True, True]
    assert len(lookups) == 2


def test_no_ntp_lookup_while_dns_is_blocking_the_board():
    def run(ts, ntp, fake, dns):
        from forward import names
        names._stalled_s = fake.now_ms // 1000      # a lookup just blocked the board
        assert ts.sync_ntp() is False and ntp.asked == 0 and dns.lookups == []
        names._stalled_s = None
        assert ts.sync_ntp() is True and ntp.asked == 1
        # an IP literal needs no lookup: asked even while names are blocked
        names._stalled_s = fake.now_ms // 1000
        ts_ip = _ts(fake, ntp)
        assert ts_ip.sync_ntp() is True and ntp.asked == 2
        # NTP's lookup that blocked the board counts for everyone
        names._stalled_s = None
        names._addr_cache.clear()
        dns.took_ms, dns.fail = 4000, True
        assert ts.sync_ntp() is False and ntp.asked == 2
        assert not names.lookup_allowed(fake.now_ms // 1000)
    _in_pool([T], run)


class _PoolDns(_NtpDns):
    """pool.example's DNS: each lookup gives the next of `addrs` (the pool rotates)."""

    def __init__(self, clock, addrs, took_ms=0, fail=False):
        _NtpDns.__init__(self, clock, took_ms, fail)
        self.addrs = addrs

    def getaddrinfo(self, host, port, *a):
        r = _NtpDns.getaddrinfo(self, host, port, *a)
        return [(2, 1, 0, "", (self.addrs[(len(self.lookups) - 1) % len(self.addrs)], port))]


class _PoolNtp:
    """ntptime over a pool: the server at `host` answers the true time (`truth`,
    else the box's wall clock) plus its offset (s), or None: a kiss-of-death
    (transmit time zero)."""

    def __init__(self, fake, offsets, truth=None):
        self.fake, self.offsets, self.truth = fake, offsets, truth
        self.asked, self.host, self.timeout = [], None, None

    def time(self):
        self.asked.append(self.host)
        off = self.offsets[self.host]
        now = self.truth if self.truth is not None else self.fake.wall
        u = timesync.ZERO_ANSWER_UNIX if off is None else now + off
        return u - self.fake.EPOCH_OFFSET


def test_a_wrong_ntp_answer_is_checked_against_another_pool_server():
    # a step from a set clock waits for a second answer, "as a rule from another
    # pool server": ntptime looked the name up at every query. With the address kept
    # the second query went to the same server hours off, which confirmed its own
    # step: the clock (schedules, uploads' dates) was thrown 3 h
    fake = FakeClock(wall=T)
    dns = _PoolDns(fake, ["192.0.2.1", "192.0.2.2"])
    ntp = _PoolNtp(fake, {"192.0.2.1": 3 * 3600, "192.0.2.2": 0})

    def run():
        ts = _pool_ts(fake, ntp)
        out = [ts.sync_ntp()]
        fake.now_ms += 300 * 1000
        fake.wall += 300                          # the retry period later
        out.append(ts.sync_ntp())
        return out
    out = _ntp_with_dns(fake, dns, run)
    assert ntp.asked == ["192.0.2.1", "192.0.2.2"], ntp.asked
    assert out == [False, True] and fake.set_calls == [T + 300], (out, fake.set_calls)


def test_a_pool_server_that_refuses_the_box_is_not_asked_for_ever():
    # a kiss-of-death (RATE) or an unsynchronised server answers without a time:
    # with its address kept (it does not fail a query) it was the only server asked
    fake = FakeClock()       # no wall clock yet
    dns = _PoolDns(fake, ["192.0.2.1", "192.0.2.2"])
    ntp = _PoolNtp(fake, {"192.0.2.1": None, "192.0.2.2": 0}, truth=T)

    def run():
        ts = _pool_ts(fake, ntp)
        out = [ts.sync_ntp()]
        fake.now_ms += 300 * 1000
        out.append(ts.sync_ntp())
        return out
    out = _ntp_with_dns(fake, dns, run)
    assert ntp.asked == ["192.0.2.1", "192.0.2.2"] and out == [False, True], (ntp.asked, out)
    assert fake.set_calls == [T]


def test_a_dns_that_does_not_answer_backs_ntp_off_as_its_own_lookup_did():
    # the name is looked up in wait_quiet's pause now, before the query is timed: a
    # DNS server that does not answer (an internet outage, the router up) blocked the
    # board lwIP's 7 s every retry_s all night; before, the slow query backed off to
    # an hour (next_delay)
    fake = FakeClock()
    fake.now_ms = 10000
    dns = _PoolDns(fake, ["192.0.2.1"], took_ms=7000, fail=True)
    ntp = _PoolNtp(fake, {"192.0.2.1": 0})
    keeper = wifi.WifiKeeper([{"ssid": "home", "password": "password123"}], wlan=object())
    keeper._up = True

    class Sleeps(FakeAsyncio):
        async def sleep(self, s):
            fake.now_ms += int(s * 1000)   # the clock runs through the sleep
            await FakeAsyncio.sleep(self, s)

    def run():
        ts = TimeSync({"ntp_host": "pool.example"}, wifi=keeper, set_unix=fake.setter, ntp=ntp,
                      log=lambda m: None)
        sleeps = Sleeps(5)
        swap(timesync, "asyncio", sleeps, lambda: run_until(ts.run(), _Stop))
        return sleeps.sleeps
    sleeps = _ntp_with_dns(fake, dns, run)
    assert sleeps == [600, 1200, 2400, 3600, 3600], sleeps
    assert len(dns.lookups) == 5 and ntp.asked == [], (dns.lookups, ntp.asked)



def test_a_plain_http_date_the_clock_does_not_take_is_logged():
    # before a0422f4 the uploader logged "no usable Date over plain HTTP" when port
    # 80 answered with a Date the clock refused (a captive portal's 1970, a
    # malformed one); the shared helper said nothing then: the box had no clock,
    # its TLS failed, and the log did not say why
    import asyncio
    from fakes import swap
    from forward import http
    logs, offered = [], []

    async def plain_date(host, port=None, timeout_s=20):
        return "Thu, 01 Jan 1970 00:00:00 GMT"

    def refuse(d):
        offered.append(d)
        return False

    def take(d):
        offered.append(d)
        return True

    def go():
        asyncio.run(http.offer_plain_date("ns.example", None, 5, refuse, logs.append, "nightscout"))
        asyncio.run(http.offer_plain_date("ns.example", None, 5, take, logs.append, "follow"))
    swap(http, "plain_date", plain_date, go)
    assert offered == ["Thu, 01 Jan 1970 00:00:00 GMT"] * 2
    assert logs == ["nightscout: no usable Date over plain HTTP"], logs


def test_defaults():
    fake = FakeClock()
    ts = _with_clock(fake, lambda: TimeSync(None, set_unix=fake.setter))
    assert ts.ntp_host == "pool.ntp.org"
    assert ts.resync_s == 6 * 3600 and ts.retry_s == 300 and ts.max_step_s == 2
    assert ts.source is None and ts.synced_ms is None
    assert timesync.SLOW_MS == 2000 and timesync.MAX_RETRY_S == 3600


def test_a_slow_failure_backs_off_up_to_an_hour_and_a_fast_one_or_success_resets():
    fake = FakeClock()
    ts = _with_clock(fake, lambda: _ts(fake))
    assert ts.next_delay(True, 100) == 6 * 3600
    assert ts.next_delay(False, 100) == 300          # a quick failure: the normal retry
    assert ts.next_delay(False, 2000) == 300         # at SLOW_MS: not slow yet
    assert [ts.next_delay(False, 2001) for _ in range(6)] == [600, 1200, 2400, 3600, 3600, 3600]
    assert ts.next_delay(False, 100) == 300
    assert ts.next_delay(False, 5000) == 600
    assert ts.next_delay(True, 5000) == 6 * 3600     # success: resync, and the back-off is over
    assert ts.next_delay(False, 5000) == 600
    custom = _with_clock(fake, lambda: _ts(fake, resync_s=1000, retry_s=60))
    assert custom.next_delay(False, 3000) == 120 and custom.next_delay(True, 0) == 1000
    assert custom.next_delay(False, 0) == 60


class _Stop(Exception):
    pass


class FakeAsyncio:
    """timesync's asyncio for run(): each sleep is recorded; the n-th ends the loop."""

    def __init__(self, n):
        self.sleeps, self.n = [], n

    async def sleep(self, s):
        self.sleeps.append(s)
        if len(self.sleeps) == self.n:
            raise _Stop()


class FakeWifi:
    def __init__(self):
        self.calls = []

    async def wait_up(self):
        self.calls.append("up")

    async def wait_quiet(self, ms, blocks=False, host=None, port=None):
        self.calls.append(("quiet", ms, blocks, host, port))


def _run_loop(ts, n):
    """Drive TimeSync.run() (which never returns) through n sleeps; nothing in it
    really suspends, so no event loop is needed."""
    fake_asyncio = FakeAsyncio(n)
    swap(timesync, "asyncio", fake_asyncio, lambda: run_until(ts.run(), _Stop))
    return fake_asyncio.sleeps


def test_run_waits_for_quiet_wifi_then_asks_ntp_and_sleeps_as_next_delay_says():
    fake = FakeClock()
    fake.now_ms = 10000
    # a quick failure, two slow ones (3 s: the DNS did not answer), then success
    ntp = FakeNtp([OSError("x"), OSError("x"), OSError("x"), T - fake.EPOCH_OFFSET], fake, [0, 3000, 3000, 50])
    wifi = FakeWifi()

    def run():
        ts = TimeSync({"ntp_host": "10.0.0.1"}, wifi=wifi, set_unix=fake.setter, ntp=ntp, log=lambda m: None)
        return _run_loop(ts, 5)
    sleeps = _with_clock(fake, run)
    # the clock was unset: its first answer is checked 5 min on, then 6 h
    assert sleeps == [300, 600, 1200, 300, 6 * 3600], sleeps
    # an NTP query holds the loop: out of the BLE window and of an alarm's bursts
    # (with the server's name: a lookup due gets a pause of its own first)
    assert wifi.calls == ["up", ("quiet", 3000, True, "10.0.0.1", 123)] * 5
    assert fake.set_calls == [T, T]
    # without Wi-Fi to wait for (a test, a wired host), it just asks
    ntp2 = FakeNtp(T - fake.EPOCH_OFFSET)
    sleeps = _with_clock(fake, lambda: _run_loop(_ts(fake, ntp2), 2))
    assert sleeps == [6 * 3600, 6 * 3600] and ntp2.asked == 2


def test_a_clock_set_from_nothing_by_one_wrong_answer_is_put_right_in_minutes_not_hours():
    # after a power cut the RTC is unset and the first NTP answer is taken as it is: a
    # pool server 3 h off would move the day/night schedules and date the uploads wrongly
    # for the 6 h to the next sync. The next query comes 5 min on instead; the right time
    # is then a big step, held, and taken when the query after agrees with it
    fake = FakeClock()
    off = 3 * 3600
    ntp = FakeNtp([a - fake.EPOCH_OFFSET for a in (T + off, T + 300, T + 600, T + 900)])

    def run():
        ts = _ts(fake, ntp)
        out = [ts.sync_ntp()]
        out.append(ts.next_delay(out[-1], 0))
        fake.wall = T + off + 300                 # the box's clock ran on 5 min
        out.append(ts.sync_ntp())                 # the truth: 3 h back, held
        out.append(ts.next_delay(out[-1], 0))
        fake.wall = T + off + 600
        out.append(ts.sync_ntp())                 # the truth again, agreeing: taken
        out.append(ts.next_delay(out[-1], 0))
        return out
    out = _with_clock(fake, run)
    assert out == [True, 300, False, 300, True, 6 * 3600], out
    assert fake.set_calls == [T + off, T + 600], fake.set_calls
    # a server's Date that set an unset clock is checked by NTP 5 min on the same way,
    # and a right first answer is trusted for 6 h once the next one agrees
    fake2 = FakeClock()
    ntp2 = FakeNtp([T + 300 - fake2.EPOCH_OFFSET, T + 6 * 3600 - fake2.EPOCH_OFFSET])

    def run2():
        ts = _ts(fake2, ntp2)
        out = [ts.offer_date(http_date(T))]
        fake2.wall = T + 300
        out.append(ts.sync_ntp())
        out.append(ts.next_delay(out[-1], 0))
        return out
    assert _with_clock(fake2, run2) == [True, True, 6 * 3600]
    assert fake2.set_calls == [T, T + 300], fake2.set_calls


# --- the LAN history ring --------------------------------------------------------

def _r(dex, unix, sgv=100, trend=0, state=6, source="live"):
    return (dex, unix, sgv, trend, state, source)


def test_the_ring_holds_a_day_by_default_and_refuses_no_room():
    assert History().capacity == 288 and len(History()) == 0
    for bad in (0, -1):
        try:
            History(bad)
            assert False, bad
        except ValueError:
            pass
    one = History(1)
    assert one.add(_r(300, T)) is True and one.add(_r(600, T + 300)) is True
    assert len(one) == 1 and one.latest()[0] == 600


def test_a_record_comes_back_whole():
    h = History(10)
    assert h.latest() is None
    assert h.add(_r(300, T + 0.9, 39, None, 6)) is True
    assert h.add(_r(600, T + 300, 401, -35, None)) is True
    assert h.add(_r(900, T + 600, 120, 17, 7)) is True
    assert len(h) == 3
    got = [rec for rec, _ in h.query(10)]
    assert got == [(900, T + 600, 120, 17, 7), (600, T + 300, 401, -35, 0), (300, T, 39, None, 6)], got
    assert h.latest() == (900, T + 600, 120, 17, 7)


def test_readings_without_wall_time_or_glucose_or_seen_twice_are_not_kept():
    h = History(10)
    assert h.add(_r(300, None)) is False
    assert h.add(_r(300, T, sgv=None)) is False
    assert len(h) == 0
    assert h.add(_r(300, T)) is True
    assert h.add(_r(300, T)) is False                       # the same reading again
    assert h.add(_r(300, T + 100)) is False                 # ... re-dated by a clock step
    assert h.add(_r(300, T - 100)) is False
    assert h.add(_r(300, T + 86400)) is True                # another transmitter's dex 300
    assert h.add(_r(600, T + 86400)) is True                # another reading at the same second
    assert len(h) == 3


def test_the_ring_stays_in_time_order_and_drops_the_oldest():
    h = History(4)
    for dex, u in ((300, T + 300), (900, T + 900), (600, T + 600), (1200, T + 1200)):
        assert h.add(_r(dex, u)) is True
    assert [rec[1] for rec, _ in h.query(10)] == [T + 1200, T + 900, T + 600, T + 300]
    assert h.add(_r(0, T)) is False                         # older than everything in a full ring
    assert h.add(_r(750, T + 750)) is True                  # a backfilled one: the oldest goes
    assert [rec[1] for rec, _ in h.query(10)] == [T + 1200, T + 900, T + 750, T + 600]


def test_each_record_comes_with_the_one_before_it():
    h = History(10)
    for k in range(4):
        h.add(_r(300 * (k + 1), T + 300 * k, 100 + k))
    pairs = list(h.query(10))
    assert [(rec[2], prev[2] if prev else None) for rec, prev in pairs] == [
        (103, 102), (102, 101), (101, 100), (100, None)]
    # the previous record is there even when the count stops before it
    rec, prev = list(h.query(1))[0]
    assert rec[2] == 103 and prev[2] == 102


def _dates(h):
    return [(rec[0], rec[1]) for rec, _ in h.query(1000)]


def _add(h, reading, back_s=86400):
    """h.add on a box whose clock stepped back by back_s since power-on (a day: these
    cases are about which records, not how far; the bound has its own test)."""
    return h.add(reading, back_s)


def test_a_live_reading_re_dates_what_a_clock_put_back_had_dated_ahead():
    # A reading's date is its transmitter time plus the session's activation estimate
    # by the wall clock. The box's clock ran 20 min ahead for three readings (a wrong
    # first NTP answer), then was put right: before, those three stayed the newest
    # (the LAN API's current.json, /pebble and properties showed 104 as current for
    # 20 min, and a follower asking for newer ones got none); the next live reading
    # dates them by its transmitter time
    act = T - 500000          # the transmitter's activation
    h = History(10)
    for k in range(6):
        dex = 480000 + 300 * k
        assert _add(h, _r(dex, act + dex + (1200 if 2 <= k <= 4 else 0), 100 + k)) is True
    assert [rec[2] for rec, _ in h.query(10)] == [105, 104, 103, 102, 101, 100]
    assert _dates(h) == [(480000 + 300 * k, act + 480000 + 300 * k) for k in range(5, -1, -1)]
    assert h.latest()[2] == 105
    # then the backfill of one of them is the same reading
    assert _add(h, _r(480600, act + 480600, 102, source="backfill")) is False
    # the same reading dated ahead, then again by the clock put right: kept once, dated right
    h = History(10)
    _add(h, _r(480600, act + 480600 + 1200))
    assert _add(h, _r(480600, act + 480600)) is False
    assert _dates(h) == [(480600, act + 480600)]
    # once the newest is dated after it: those before it too when more than SAME_S
    # further ahead than the clock now gives; SAME_S or less (the estimate's jitter): left
    assert history.SAME_S == 150
    for ahead, moved in ((150, 0), (151, 151), (299, 299)):
        h = History(10)
        _add(h, _r(480000, act + 480000))
        _add(h, _r(480300, act + 480300 + ahead))
        _add(h, _r(480600, act + 480600 + 1200))
        _add(h, _r(480900, act + 480900))
        assert _dates(h) == [(480900, act + 480900), (480600, act + 480600),
                             (480300, act + 480300 + ahead - moved), (480000, act + 480000)], ahead
    # ... dated after it too: an earlier transmitter time 100 s before, dated 50 s after
    h = History(10)
    _add(h, _r(480500, act + 480650))
    _add(h, _r(480600, act + 480600))
    assert _dates(h) == [(480500, act + 480650), (480600, act + 480600)]
    # nothing dated after it (at its second is not after): nothing re-dated (a clock
    # put back by no more than the readings' interval leaves their order right)
    h = History(10)
    _add(h, _r(480300, act + 480300 + 300))
    _add(h, _r(480600, act + 480600))
    assert _dates(h) == [(480600, act + 480600), (480300, act + 480600)]
    # in a full ring, nothing is lost; the first record re-dated too
    h = History(4)
    for k in range(4):
        _add(h, _r(480000 + 300 * k, act + 480000 + 300 * k + 1200))
    assert _add(h, _r(481200, act + 481200)) is True
    assert _dates(h) == [(480000 + 300 * k, act + 480000 + 300 * k) for k in range(4, 0, -1)]


def test_the_history_re_dates_no_further_back_than_the_clock_stepped_back():
    act = T - 500000
    for back_s, want in ((0, act + 480300 + 1200), (1049, act + 480300 + 1200),
                         (1050, act + 480300), (7200, act + 480300)):
        h = History(10)
        h.add(_r(480300, act + 480300 + 1200))
        h.add(_r(480600, act + 480600), back_s)
        assert dict(_dates(h))[480300] == want, back_s


def test_the_walk_stops_at_the_first_record_dated_right():
    # (the ring's 288 are not all read): the clock put back by SAME_S twice, then put
    # 20 min ahead and back: the first record, 300 s ahead of the clock now, stays so
    act = T - 500000
    h = History(10)
    _add(h, _r(480000, act + 480000 + 300))
    _add(h, _r(480300, act + 480300 + 150))
    _add(h, _r(480600, act + 480600 + 1200))
    _add(h, _r(480900, act + 480900))
    assert _dates(h) == [(480900, act + 480900), (480600, act + 480600), (480300, act + 480450),
                         (480000, act + 480300)]
    # nor another transmitter's record dated at the same second as the reading
    h = History(10)
    _add(h, _r(480000, act + 480000 + 300))
    _add(h, _r(900000, act + 480900))
    _add(h, _r(480600, act + 480600 + 1200))
    _add(h, _r(480900, act + 480900))
    assert _dates(h) == [(480900, act + 480900), (900000, act + 480900), (480600, act + 480600),
                         (480000, act + 480300)]


def test_a_transmitter_used_again_does_not_move_the_others_records():
    # back to a transmitter activated 30 days before the one used since: the other's
    # records (a smaller transmitter time, an activation 30 days later) stay as dated
    act = T - 500000
    h = History(10)
    for k in range(3):
        _add(h, _r(480000 + 300 * k, act + 480000 + 300 * k))
    _add(h, _r(480600 + 30 * 86400 + 300, act + 480900))
    assert _dates(h)[1:] == [(480000 + 300 * k, act + 480000 + 300 * k) for k in range(2, -1, -1)]


def test_only_a_live_reading_of_a_later_transmitter_time_re_dates():
    act = T - 500000
    ahead = [(480000, act + 480000 + 1200), (480300, act + 480300 + 1200)]
    # a backfilled reading (its session's live one did), a reading with no source
    for later in (_r(480600, act + 480600, source="backfill"), (480600, act + 480600, 100, 0, 6)):
        h = History(10)
        for d, u in ahead:
            _add(h, _r(d, u))
        _add(h, later)
        assert _dates(h) == ahead[::-1] + [(480600, act + 480600)], later
    # nor does another transmitter's first reading: the old one's, dated after it, stay
    # as dated (their transmitter times cannot be placed against its own)
    h = History(10)
    for d, u in ahead:
        _add(h, _r(d, u))
    _add(h, _r(300, act + 480600))
    assert _dates(h) == ahead[::-1] + [(300, act + 480600)]
    # nor a follower box's readings (dex_s is the unix_s), put in time order as ever
    h = History(10)
    for u in (T + 600, T + 900, T):
        _add(h, _r(u, u))
    assert _dates(h) == [(T + 900, T + 900), (T + 600, T + 600), (T, T)]
    # a re-dated one goes back into time order, before one it cannot place (another
    # transmitter's, dated after it), after one of the same second (as add puts one)
    L, M = (480600, act + 480600), (480300, act + 480300)   # M dated 20 min ahead before L
    for other, want in ((act + 480700, [(900000, act + 480700), L, M]),
                        (act + 482000, [(900000, act + 482000), L, M]),
                        (act + 480300, [L, M, (900000, act + 480300)])):
        h = History(10)
        _add(h, _r(900000, other))
        _add(h, _r(M[0], M[1] + 1200))
        _add(h, _r(L[0], L[1]))
        assert _dates(h) == want, (other, _dates(h))


def test_a_date_before_1970_is_never_written():
    # (the record cannot hold it: add raised, and the LAN API's feed failed): a
    # reading whose activation is not after 1970 (a follower box's: dex_s = unix_s)
    # re-dates nothing; by a follower's reading the queue's were dated back to 1970
    for live in ((101, 100), (550, 550)):          # the activation by it: -1, 0
        h = History(10)
        _add(h, _r(1, 500))
        _add(h, _r(0, 600))
        assert _add(h, _r(*live)) is True
        assert sorted(_dates(h)) == sorted([(1, 500), (0, 600), live]), live
    h = History(10)                                # (and with an activation of 1 s: re-dated)
    _add(h, _r(1, 500))
    _add(h, _r(0, 600))
    _add(h, _r(101, 102))
    assert (1, 2) in _dates(h)


def test_query_bounds_are_unix_ms_like_nightscouts_find_date():
    h = History(10)
    for k in range(5):
        h.add(_r(300 * (k + 1), T + 300 * k))
    ms = [(T + 300 * k) * 1000 for k in range(5)]
    q = lambda **b: [rec[1] for rec, _ in h.query(10, **b)]
    assert q(gt=ms[2]) == [T + 1200, T + 900]
    assert q(gte=ms[2]) == [T + 1200, T + 900, T + 600]
    assert q(lt=ms[2]) == [T + 300, T]
    assert q(lte=ms[2]) == [T + 600, T + 300, T]
    assert q(gt=ms[0], lt=ms[4]) == [T + 900, T + 600, T + 300]
    assert [rec[1] for rec, _ in h.query(2, gte=ms[1])] == [T + 1200, T + 900]
    assert q(gt=ms[4]) == [] and q(lt=ms[0]) == []


def test_a_wrong_date_held_long_ago_is_not_confirmed_by_the_next_one_after_right_ones():
    # review 21: a Date within max_step_s returned before the held step was dropped, so
    # one wrong Date (a load-balanced Nightscout with one backend an hour off), then hours
    # of right ones, then the next wrong one 1 h off: taken as the "second answer" at once
    fake = FakeClock(wall=T)

    def run():
        ts = _ts(fake)
        out = [ts.offer_date(http_date(T + 3600))]               # held: a first answer
        for i in range(1, 13):                                    # an hour of right Dates
            fake.wall = T + 300 * i
            out.append(ts.offer_date(http_date(T + 300 * i + 1)))
        fake.wall = T + 3900
        out.append(ts.offer_date(http_date(T + 3900 + 3600)))   # the wrong one again: a first answer
        return out
    out = _with_clock(fake, run)
    assert out == [False] + [True] * 12 + [False], out
    assert fake.set_calls == [] and fake.wall == T + 3900, fake.set_calls


def test_a_step_that_blocks_the_loop_also_waits_for_a_pause_in_the_alarm_sound():
    # a TLS handshake or an NTP query holds the event loop: started in a burst,
    # the beep under way rang as long as it, or the rest of the burst was lost
    asked = []

    def pause(need_ms):
        asked.append(need_ms)
        return 1234

    k = wifi.WifiKeeper([{"ssid": "home", "password": "password123"}], wlan=object(),
                        sound_pause=pause)
    assert k.quiet_delay_ms(20000) == 0 and asked == []   # traffic that does not block
    assert k.quiet_delay_ms(20000, blocks=True) == 1234
    assert k.quiet_delay_ms(500, blocks=True) == 1234
    assert asked == [wifi.BLOCK_MS, 500]   # a long request's block is its set-up's

    def broken(need_ms):
        raise RuntimeError("a bug in the annunciator")

    k = wifi.WifiKeeper([{"ssid": "home", "password": "password123"}], wlan=object(),
                        sound_pause=broken)
    assert k.quiet_delay_ms(20000, blocks=True) == 0      # forwarding goes on
    k = wifi.WifiKeeper([{"ssid": "home", "password": "password123"}], wlan=object())
    assert k.quiet_delay_ms(20000, blocks=True) == 0


def test_a_small_date_step_does_not_let_later_dates_step_a_clock_the_phone_or_transmitter_set():
    # (helper-291's suspicion, proven by helper-293) the phone set the clock on a trip, or the
    # transmitter gave it back after a power cut with NTP blocked; the family's Nightscout's
    # Date, 5 s off (its clock, or the phone's), stepped it 5 s and marked it a clock a
    # server's Date set: a hotel portal's two Dates 3 h off then stepped it 3 h (the phone's
    # fix undone, the schedules and the readings' dates 3 h off)
    for mark in ("phone_set", "transmitter_set"):
        fake = FakeClock(wall=T)

        def run():
            ts = _ts(fake)
            getattr(ts, mark)()
            out = [ts.offer_date(http_date(T + 5))]                # a small step: taken
            fake.wall = T + 60
            out += [ts.offer_date(http_date(T + 60 + 3 * 3600)), ts.offer_date(http_date(T + 60 + 3 * 3600 + 1))]
            return out
        out = _with_clock(fake, run)
        assert out == [True, False, False], (mark, out)
        assert fake.set_calls == [T + 5], (mark, fake.set_calls)


def test_a_step_of_over_a_day_is_refused_while_the_transmitter_vouches_and_big_steps_are_told():
    # (helper-293) a router's NTP 13 years ahead moved the box to 2040 at its second answer,
    # and nothing said so. While the transmitter's clock agrees with the box's, a step of
    # more than a day is refused and told once (time_disputed; the phone may then set the
    # time); a smaller one is taken and told (time_changed)
    ahead = 410227200
    fake = FakeClock(wall=T)
    told, logs = [], []
    vouch = [True]
    ntp = FakeNtp([T + ahead - fake.EPOCH_OFFSET] * 3 + [T + 3 * 3600 - fake.EPOCH_OFFSET] * 2)

    def run():
        ts = _ts(fake, ntp, logs, vouched=lambda: vouch[0], notice=told.append)
        out = [ts.sync_ntp(), ts.sync_ntp(), ts.disputed(), ts.sync_ntp()]   # held, refused, refused
        out += [ts.sync_ntp(), ts.sync_ntp(), ts.disputed()]                # 3 h: held, taken
        return out
    out = _with_clock(fake, run)
    assert out == [False, False, True, False, False, True, False], out
    assert fake.set_calls == [T + 3 * 3600] and told == ["time_disputed", "time_changed"], (fake.set_calls, told)
    assert [l for l in logs if "transmitter" in l] == [
        "time: ntp says the clock is +410227200 s off, but the transmitter's clock agrees with the "
        "box's: not taken (a phone's settings save sets the time)"], logs
    assert logs[-1] == "time: set from ntp: the clock moved +10800 s", logs


def test_a_step_of_over_a_day_is_taken_without_the_transmitter_or_within_a_day_of_a_server_moving_the_clock():
    # nothing vouches (no session agreed since the clock last stepped): taken as before, and told
    days = 5 * 86400
    fake = FakeClock(wall=T)
    told = []
    ntp = FakeNtp(T + days - fake.EPOCH_OFFSET)

    def run_alone():
        ts = _ts(fake, ntp, vouched=lambda: False, notice=told.append)
        return [ts.sync_ntp(), ts.sync_ntp()]
    out = _with_clock(fake, run_alone)
    assert out == [False, True] and fake.set_calls == [T + days] and told == ["time_changed"], (out, told)
    # a clock a server's answer set from unset (or moved) within the day, a server wrong from
    # the start, is put right by its next answers though the transmitter agrees with it since
    fake = FakeClock(wall=None)
    told = []
    ntp = FakeNtp([a - fake.EPOCH_OFFSET for a in (T + days, T + 3600, T + 3600, T + days + 86400 + 3600)])

    def run():
        ts = _ts(fake, ntp, vouched=lambda: True, notice=told.append)
        out = [ts.sync_ntp()]                      # the unset clock takes the first answer
        fake.now_ms += 3600 * 1000
        fake.wall = T + days + 3600
        out += [ts.sync_ntp(), ts.sync_ntp()]      # right: held, then taken
        fake.now_ms += 86400 * 1000                # a day on, the same server wrong again:
        fake.wall = T + 86400 + 3600
        out += [ts.sync_ntp(), ts.sync_ntp()]      # held, then refused
        return out
    out = _with_clock(fake, run)
    assert out == [True, False, True, False, False], out
    assert fake.set_calls == [T + days, T + 3600] and told == ["time_changed", "time_disputed"], (fake.set_calls, told)


def test_a_notice_that_fails_does_not_keep_the_clock_from_being_set():
    # (helper-307) time_changed is told before the step: RTC memory refusing what is owed
    # (main.App.time_notice raising) kept the clock where it was, at every second answer
    fake = FakeClock(wall=T)
    ntp = FakeNtp(T + 3600 - fake.EPOCH_OFFSET)
    logs = []

    def refused(reason):
        raise OSError(5)

    def run():
        ts = _ts(fake, ntp, logs, vouched=lambda: False, notice=refused)
        return [ts.sync_ntp(), ts.sync_ntp()]
    out = _with_clock(fake, run)
    assert out == [False, True] and fake.set_calls == [T + 3600], (out, fake.set_calls)
    assert [l for l in logs if "time_changed not kept" in l], logs


def test_a_transmitter_out_of_reach_half_an_hour_does_not_let_a_refused_step_of_years_in():
    # (helper-297) a router's NTP 13 years ahead, refused while the transmitter vouched for the
    # box's clock; the wearer then away 35 min (a walk, a night on the transmitter's side): the
    # vouch lapsed with the 30 min, and the retry 5 min on, its step held as the first of two,
    # moved the box to 2040. Nothing had moved the box's clock since the transmitter agreed
    from fakes import import_txclock
    from scratch import fresh
    txclock = import_txclock()[0]
    ahead = 410227200
    fake = FakeClock(wall=T)
    fake.lost_s = lambda: None
    told = []
    ntp = FakeNtp([T + 300 * i + ahead - fake.EPOCH_OFFSET for i in range(14)])
    path = fresh("build/txclock", "away.txt")

    def run():
        tc = txclock.TransmitterClock("8G1234", path, fake.setter)
        ts = _ts(fake, ntp, vouched=tc.vouches, notice=told.append)
        out = []
        for i in range(2):                          # two sessions: kept, then agreed
            tc.seen(86400 + 300 * i)
            out.append(ts.sync_ntp())               # 13 y ahead: held, then refused
            fake.now_ms += 300000
            fake.wall += 300
        for _ in range(12):                         # an hour out of reach, NTP every 5 min
            out.append(ts.sync_ntp())
            fake.now_ms += 300000
            fake.wall += 300
        return out
    out = swap(txclock, "clock", fake, lambda: _with_clock(fake, run))
    assert fake.set_calls == [] and told == ["time_disputed"], (out, fake.set_calls, told)


def _day_of_queries(fake, ts, hours=24, took_ms=50):
    """ts's queries over `hours` as run() makes them (its sleep from next_delay): how many."""
    asked, end_ms = 0, fake.now_ms + hours * 3600 * 1000
    while fake.now_ms < end_ms:
        ok = ts.sync_ntp()
        asked += 1
        d = ts.next_delay(ok, took_ms)
        fake.now_ms += d * 1000
        fake.wall += d
    return asked


def test_a_refused_step_backs_off_like_a_slow_failure_and_a_phone_or_an_agreeing_answer_ends_it():
    # (helper-298) a router's NTP 13 years ahead, refused while the transmitter vouched:
    # asked again every retry period (5 min), 288 queries a day for as long as it stays
    # wrong. Refused answers back off as slow failures do, to MAX_RETRY_S
    ahead = 410227200
    fake = FakeClock(wall=T)

    class Ahead(FakeNtp):
        def time(self):
            self.asked += 1
            return fake.wall + ahead - fake.EPOCH_OFFSET

    ntp = Ahead(None)
    told = []

    def run():
        ts = _ts(fake, ntp, vouched=lambda: True, notice=told.append)
        asked = _day_of_queries(fake, ts)
        out = [asked, ts.disputed()]
        ts.phone_set()                             # a phone's save: the dispute is over at once
        out.append(ts.disputed())
        return out
    out = _with_clock(fake, run)
    assert fake.set_calls == [] and told == ["time_disputed"], (fake.set_calls, told)
    # held, refused, then 10, 20, 40 min and hourly: 2 + 3 + 22 in the day
    assert out == [27, True, False], out
    # an answer that agrees ends it: the next query comes at the resync, the back-off over
    fake = FakeClock(wall=T)
    ntp = FakeNtp([T + ahead - fake.EPOCH_OFFSET] * 6 + [T - fake.EPOCH_OFFSET])

    def put_right():
        ts = _ts(fake, ntp, vouched=lambda: True)
        delays = []
        for _ in range(7):
            ok = ts.sync_ntp()
            delays.append(ts.next_delay(ok, 50))
        return delays, ts.disputed()
    delays, disputed = _with_clock(fake, put_right)
    assert delays == [300, 600, 1200, 2400, 3600, 3600, 6 * 3600] and not disputed, (delays, disputed)


class _LoneWrongStart:
    """(helper-298) helper-293's left case: a power-on with no kept activation, the router's
    NTP 2 days ahead; its lone answer sets the unset clock, the transmitter's activation is
    then kept by that clock and vouches for it; the router is put right more than a day on.
    The world's time, the box's, a TimeSync and an app.txclock.TransmitterClock, run in
    5-min rounds: a session each round, NTP when next_delay says, a Nightscout's `Date` each
    round when dated=True."""
    AHEAD = 2 * 86400
    ACTIVATION = T - 10 * 86400   # the transmitter's, in the world's time

    def __init__(self, dated, path_name):
        from fakes import import_txclock
        from scratch import fresh
        self.txclock = import_txclock()[0]
        self.fake = FakeClock(wall=None)
        self.fake.lost_s = lambda: 0          # a power-on: the RTC counted from 0
        self.truth = T
        self.right = False                   # the router's NTP put right
        self.dated = dated
        self.told = []
        self.path = fresh("build/txclock", path_name)
        self.ntp = FakeNtp(None)
        self.ntp.time = self._ntp_time
        self.due_ms = self.fake.now_ms

    def _ntp_time(self):
        self.ntp.asked += 1
        return self.truth + (0 if self.right else self.AHEAD) - self.fake.EPOCH_OFFSET

    def boot(self):
        """A start (power-on, or a reset: the RTC's clock kept): new objects, as wiring makes."""
        box = self
        self.tc = self.txclock.TransmitterClock("8G1234", self.path, self.fake.setter,
                                                lambda: box.ts.lone_answer())
        self.ts = _ts(self.fake, self.ntp, vouched=self.tc.vouches, notice=self.told.append)
        self.due_ms = self.fake.now_ms

    def rounds(self, hours):
        for _ in range(int(hours * 12)):
            if self.fake.now_ms >= self.due_ms:
                ok = self.ts.sync_ntp()
                self.due_ms = self.fake.now_ms + self.ts.next_delay(ok, 50) * 1000
            self.tc.seen(self.truth - self.ACTIVATION)
            if self.dated:
                self.ts.offer_date(http_date(self.truth))
            self.fake.now_ms += 300000
            self.truth += 300
            if self.fake.wall is not None:
                self.fake.wall += 300

    def off_s(self):
        return self.fake.wall - self.truth


def test_a_box_a_lone_wrong_answer_set_stays_wrong_when_its_server_is_put_right_a_day_on():
    # (helper-298, helper-293's left case) without a second source the box cannot tell this
    # from the 2040 case: it keeps its time until a phone's save, refused and said (the
    # notice, and disputed() for the status page and the screen)
    w = _LoneWrongStart(False, "lone.txt")

    def run():
        w.boot()
        w.rounds(25)
        out = [w.off_s(), w.tc.vouches()]
        w.right = True
        w.rounds(12)
        out += [w.off_s(), w.ts.disputed()]
        return out
    out = swap(w.txclock, "clock", w.fake, lambda: _with_clock(w.fake, run))
    assert out == [w.AHEAD, True, w.AHEAD, True], out
    assert w.told == ["time_disputed"], w.told
    # a reset (a settings save) within the day: the day's grace (the server's answer moved
    # the clock) is RAM, and the transmitter vouches again at its next session
    w = _LoneWrongStart(False, "lone2.txt")

    def reset_run():
        w.boot()
        w.rounds(2)
        w.boot()
        w.rounds(1)
        w.right = True
        w.rounds(6)
        return [w.off_s(), w.ts.disputed()]
    out = swap(w.txclock, "clock", w.fake, lambda: _with_clock(w.fake, reset_run))
    assert out == [w.AHEAD, True], out


def test_a_nightscout_date_that_agrees_with_a_refused_ntp_step_lets_it_in():
    # (helper-298) the same box with Nightscout: its server's `Date` (its own clock, not the
    # router's) said the box was 2 days ahead all along, ignored beside NTP; NTP put right
    # then asks for the same step: two sources against the box's clock, which the
    # transmitter only saw run on from a wrong start. Taken, and told (time_changed)
    w = _LoneWrongStart(True, "dated.txt")

    def run():
        w.boot()
        w.rounds(25)
        out = [w.off_s()]
        w.right = True
        w.rounds(7)                   # to the next sync (6 h) and its second answer
        out += [w.off_s(), w.ts.disputed()]
        return out
    out = swap(w.txclock, "clock", w.fake, lambda: _with_clock(w.fake, run))
    assert out == [w.AHEAD, 0, False], out
    assert w.told == ["time_changed"], w.told
    # the 2040 case with a Nightscout: its `Date` agrees with the box, not with NTP: refused
    ahead = 410227200
    fake = FakeClock(wall=T)
    ntp = FakeNtp([T + ahead - fake.EPOCH_OFFSET] * 3)

    def years():
        ts = _ts(fake, ntp, vouched=lambda: True)
        ts.sync_ntp()
        ts.offer_date(http_date(T))
        ts.offer_date(http_date(T + ahead))        # (the last Date is the one that counts)
        ts.offer_date(http_date(T + 1))
        return [ts.sync_ntp(), ts.sync_ntp(), ts.disputed()]
    out = _with_clock(fake, years)
    assert out == [False, False, True] and fake.set_calls == [], (out, fake.set_calls)


def test_a_portal_that_answers_ntp_and_the_nightscout_date_alike_is_one_source():
    # (helper-301) a hotel's captive portal answers every name with its own address and
    # its own clock, 2 days ahead: NTP (pool.example looked up there) and the Date of a
    # plain-http Nightscout (nightscout.lan) are the same box. The Date seconded NTP's
    # step and the clock the transmitter vouches for moved 2 days: one wrong source
    ahead = 2 * 86400
    fake = FakeClock(wall=T)
    truth = [T]

    class Portal(_NtpDns):
        def getaddrinfo(self, host, port, *a):
            self.lookups.append((host, port))
            return [(2, 1, 0, "", ("10.0.0.1", port))]

    class PortalNtp(FakeNtp):
        def time(self):
            self.asked += 1
            return truth[0] + ahead - fake.EPOCH_OFFSET

    ntp = PortalNtp(None)
    told = []

    def run():
        ts = TimeSync({"ntp_host": "pool.example"}, set_unix=fake.setter, ntp=ntp,
                      log=lambda m: None, vouched=lambda: True, notice=told.append)
        for _ in range(4):
            names.resolve("ns.example.org", 80)        # the uploader's lookup: the portal
            ts.offer_date(http_date(truth[0] + ahead))
            ts.sync_ntp()
            fake.now_ms += 300000
            fake.wall += 300
            truth[0] += 300
        return ts.disputed()
    disputed = _ntp_with_dns(fake, Portal(fake), run)
    assert fake.set_calls == [] and disputed and told == ["time_disputed"], (fake.set_calls, told)


def test_a_failed_lookup_after_a_refused_step_is_a_fast_failure_not_a_refusal():
    # (helper-301) a refusal, then the Wi-Fi lost (the router restarting, maybe put right):
    # the name's lookup fails at once and no server is asked, but the refusal's flag was
    # the last query's still, so each failed lookup doubled the retry as a refusal does
    ahead = 2 * 86400
    fake = FakeClock(wall=T)
    dns = _NtpDns(fake)

    class Ahead(FakeNtp):
        def time(self):
            self.asked += 1
            return fake.wall + ahead - fake.EPOCH_OFFSET

    def run():
        ts = TimeSync({"ntp_host": "pool.example"}, set_unix=fake.setter, ntp=Ahead(None),
                      log=lambda m: None, vouched=lambda: True)
        delays = []
        for fail in (False, False, False, True, True):
            dns.fail = fail
            names._addr_cache.clear()
            fake.now_ms += 400 * 1000     # (past RESOLVE_FAILED_S: the name is looked up)
            delays.append(ts.next_delay(ts.sync_ntp(), 50))
        return delays
    delays = _ntp_with_dns(fake, dns, run)
    # held, refused twice (backed off), then two failed lookups: the retry period
    assert delays == [300, 600, 1200, 300, 300] and fake.set_calls == [], (delays, fake.set_calls)


def test_a_dispute_a_servers_date_raised_ends_when_the_servers_date_agrees_again():
    # (helper-301) NTP blocked at home: the home server's Date set the clock from unset. A
    # day on, on a trip, a portal's Dates 2 days ahead were refused as disputed; home again,
    # the home server's Date agrees with the box, but the dispute stayed: the screen said
    # "time disputed" and the status page asked for a phone's save, for as long as NTP
    # stayed blocked (an agreeing answer ends a dispute: disputed())
    ahead = 2 * 86400
    fake = FakeClock(wall=None)
    told = []

    def run():
        ts = _ts(fake, vouched=lambda: True, notice=told.append)
        ts.offer_date(http_date(T))                 # home, NTP blocked: the clock from unset
        fake.wall = T
        fake.now_ms += 2 * 86400 * 1000            # two days on (moved no more recently)
        fake.wall += 2 * 86400
        for _ in range(3):                          # the portal's Dates
            ts.offer_date(http_date(fake.wall + ahead))
        out = [ts.disputed()]
        out.append(ts.offer_date(http_date(fake.wall)))   # home again: it agrees
        out.append(ts.disputed())
        return out
    out = _with_clock(fake, run)
    assert out == [True, True, False] and told == ["time_disputed"], (out, told)
    assert fake.set_calls == [T], fake.set_calls
    # NTP's dispute stays NTP's: a Date that agrees with the box (the transmitter set the
    # clock) does not end it, else each refusal was told again
    fake = FakeClock(wall=T)
    told = []

    def ntp_dispute():
        ts = _ts(fake, FakeNtp(T + ahead - fake.EPOCH_OFFSET), vouched=lambda: True, notice=told.append)
        ts.transmitter_set()
        out = []
        for _ in range(3):
            ts.sync_ntp()
            ts.offer_date(http_date(T))
            out.append(ts.disputed())
        return out
    out = _with_clock(fake, ntp_dispute)
    assert out == [False, True, True] and told == ["time_disputed"], (out, told)


# session 63 (helper-315): the rules of sessions 59-61 that timesync's mutants showed no test held

def _ntp_steps(fake, steps, vouched=True, before=None):
    """(sync_ntp's results, notices told, the TimeSync) for NTP answers asking these steps of
    the box's clock at each query (before(ts): what happens first)."""
    told = []

    class Stepping(FakeNtp):
        def time(self):
            self.asked += 1
            return fake.wall + steps[self.asked - 1] - fake.EPOCH_OFFSET

    def run():
        ts = _ts(fake, Stepping(None), vouched=lambda: vouched, notice=told.append)
        if before is not None:
            before(ts)
        return [ts.sync_ntp() for _ in steps], ts
    out, ts = _with_clock(fake, run)
    return out, told, ts


def _one_answer(ts, fake, unix):
    """NTP's answer of `unix` to one query, before the answers _ntp_steps gives: sync_ntp's result."""
    stepping, ts._ntp = ts._ntp, FakeNtp(unix - fake.EPOCH_OFFSET)
    try:
        return ts.sync_ntp()
    finally:
        ts._ntp = stepping


def test_a_step_of_exactly_a_day_is_taken_and_a_servers_move_grants_a_day_to_the_second():
    # "a server's step of more than a day is refused while the transmitter vouches for the
    # clock unless a server's answer moved the clock in the last day" (KNOWN_GAPS, session 60)
    for step, taken in ((86400, True), (86401, False), (-86400, True), (-86401, False)):
        fake = FakeClock(wall=T)
        fake.now_ms = 7 * 86400 * 1000             # a box up a week
        out, told, _ = _ntp_steps(fake, [step, step])
        assert out == [False, taken], (step, out)
        assert told == (["time_changed"] if taken else ["time_disputed"]), (step, told)
    for since_s, taken in ((86399, True), (86400, False)):
        fake = FakeClock(wall=None)
        fake.now_ms = 7 * 86400 * 1000

        def move(ts):                              # NTP sets the unset clock, then runs on
            assert _one_answer(ts, fake, T)
            fake.now_ms += since_s * 1000
            fake.wall += since_s
        out, _, _ = _ntp_steps(fake, [2 * 86400, 2 * 86400], before=move)
        assert out == [False, taken], (since_s, out)


def test_a_wrong_date_held_before_right_ones_is_not_confirmed_on_a_clock_a_date_set():
    # review 21's rule on the clock a server's Date set from unset (NTP blocked), where the
    # next Dates may still step it: a right Date drops the wrong one held before it
    fake = FakeClock(wall=None)

    def run():
        ts = _ts(fake)
        out = [ts.offer_date(http_date(T)), ts.offer_date(http_date(T + 3600))]   # set, then held
        for i in range(1, 13):
            fake.wall = T + 300 * i
            out.append(ts.offer_date(http_date(T + 300 * i + 1)))
        out.append(ts.offer_date(http_date(fake.wall + 3600)))   # wrong again: a first answer
        return out
    out = _with_clock(fake, run)
    assert out == [True, False] + [True] * 12 + [False], out
    assert fake.set_calls == [T], fake.set_calls


def test_a_date_that_agrees_with_the_one_that_set_the_clock_confirms_it():
    # a lone answer is one "not yet confirmed" (lone_answer: app.txclock takes the kept
    # activation over it); a second Date within max_step_s is that confirmation
    fake = FakeClock(wall=None)

    def run():
        ts = _ts(fake)
        out = [ts.offer_date(http_date(T)), ts.lone_answer()]
        fake.wall = T + 300
        out += [ts.offer_date(http_date(T + 301)), ts.lone_answer()]
        return out
    assert _with_clock(fake, run) == [True, True, True, False]
    assert fake.set_calls == [T]


def test_a_refused_server_whose_error_drifts_is_refused_each_time_and_told_once_per_step():
    # each refusal is the first of two for the next answer (a server's time running off its
    # own way stays refused and backed off); a step within AGREE_S of the one told is the
    # same step (told once), the step shown is the last refused (disputed_step)
    a = 2 * 86400
    fake = FakeClock(wall=T)
    delays = []

    def backoff(ts):
        real = ts.sync_ntp

        def sync():
            ok = real()
            delays.append(ts.next_delay(ok, 50))
            return ok
        ts.sync_ntp = sync
    out, told, ts = _ntp_steps(fake, [a, a, a + 10, a + 20, a + 31, a + 31], before=backoff)
    assert out == [False] * 6 and fake.set_calls == [], out
    assert delays == [300, 600, 1200, 2400, 300, 600], delays   # the fifth: a new step, held
    assert told == ["time_disputed", "time_disputed"], told
    assert ts.disputed_step() == a + 31


def test_a_step_of_exactly_two_minutes_is_taken_at_once_and_not_told():
    # "a step over 2 min taken is told" (KNOWN_GAPS, session 60); one of 2 min needs no second answer
    for step, out_ok, told_ok in ((120, [True], []), (-120, [True], []),
                                  (121, [False, True], ["time_changed"])):
        fake = FakeClock(wall=T)
        out, told, _ = _ntp_steps(fake, [step] * len(out_ok), vouched=False)
        assert out == out_ok and told == told_ok, (step, out, told)


def test_a_nightscout_date_seconds_a_refused_step_within_ten_seconds():
    # "a refused step is taken when the Nightscout server's last Date asked for the same step
    # within 10 s" (KNOWN_GAPS, session 60)
    a = 2 * 86400
    for off, taken in ((10, True), (-10, True), (11, False)):
        fake = FakeClock(wall=T)
        out, _, _ = _ntp_steps(fake, [a, a], before=lambda ts: ts.offer_date(http_date(T + a + off)))
        assert out == [False, taken], (off, out)


def test_the_phones_or_the_transmitters_time_over_a_servers_lone_answer_ends_its_day_of_grace():
    # a router's NTP 2 days ahead set the unset clock (its move grants the server a day); the
    # phone's save or the transmitter's kept activation put it right: "its time, not a
    # server's", so the same server's next answers are refused while the transmitter vouches
    # (with the grace kept, its two answers undid the fix), and a step held before the fix
    # asks two answers again
    for mark in ("phone_set", "transmitter_set"):
        fake = FakeClock(wall=None)

        def wrong_then_fixed(ts):
            assert _one_answer(ts, fake, T + 2 * 86400)
            fake.wall = T
            getattr(ts, mark)()
        out, told, _ = _ntp_steps(fake, [2 * 86400] * 2, before=wrong_then_fixed)
        assert out == [False, False] and told == ["time_disputed"], (mark, out, told)
        fake = FakeClock(wall=T)

        def held_then_fixed(ts):
            assert not _one_answer(ts, fake, T + 3 * 3600)   # held: a first answer
            getattr(ts, mark)()                      # the same time given again
        out, _, _ = _ntp_steps(fake, [3 * 3600] * 2, vouched=False, before=held_then_fixed)
        assert out == [False, True], (mark, out)
