# firmware/clock.py, the firmware's one clock, over a stand-in `time` (the port's
# API: ticks_ms wrapping at 2**30 ms, time() counted from the port's epoch, gmtime)
# and a stand-in machine.RTC that, as the ESP32's machine_rtc.c does, sets the
# wall clock from year..second of the 8-tuple (the weekday is ignored; the last
# field is microseconds, below what time() counts). Each test imports clock.py afresh under its own
# stand-in, so EPOCH_OFFSET is computed as on the board. Pinned:
# - unix() is Unix seconds on both epochs (the ESP32 counts from 2000: +946684800);
# - wall_valid() from 2020-01-01 on, not a second earlier; lost_s() is the RTC's
#   own count while the wall clock is unset, None once it is set, never negative;
# - set_unix() writes the UTC date and time of a Unix time into the RTC, so unix()
#   reads it back on both epochs;
# - ms() counts from 0 at import, through the ticks' wrap, and a wall-clock step
#   (NTP, a phone) moves a reading's age (unix() - its unix_s) but not ms().
# Before this file `python tools/mutation.py --package root --only clock` killed none
# of its 52 mutants on CPython (nothing there imports clock.py: no ticks_ms) and 18
# with --mpy over the port's tests: set_unix() and lost_s() were measured by nothing.
# Runs on both runtimes.
import sys

from fakes import swap_module

import reading

_MASK = (1 << 30) - 1
_HALF = 1 << 29
_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
E2000 = 946684800        # 2000-01-01 in Unix seconds
VALID_FROM = 1577836800  # 2020-01-01
T = 1774749599           # 2026-03-29 01:59:59 UTC, a Sunday


def _leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _year_days(y):
    return 366 if _leap(y) else 365


def _month_days(y, m):
    return _LENGTHS[m - 1] + (1 if m == 2 and _leap(y) else 0)


def _unix_of(y, mo, d, h, mi, s):
    """Unix seconds of a UTC date, counted year by year and month by month."""
    days = 0
    for yy in range(1970, y):
        days += _year_days(yy)
    for mm in range(1, mo):
        days += _month_days(y, mm)
    return (days + d - 1) * 86400 + h * 3600 + mi * 60 + s


class FakeTime:
    """The port's `time`: ticks_ms (ms, wraps at 2**30), time() (whole seconds from
    the port's epoch, 2000 on the ESP32, 1970 on the unix port), gmtime()."""

    def __init__(self, epoch_year, unix_s, ticks=0):
        self.offset = E2000 if epoch_year == 2000 else 0
        self.wall = unix_s - self.offset
        self.ticks = ticks

    def advance(self, ms):
        self.ticks += ms
        self.wall += ms // 1000

    def ticks_ms(self):
        return self.ticks & _MASK

    def ticks_diff(self, a, b):
        return ((a - b + _HALF) & _MASK) - _HALF

    def time(self):
        return self.wall

    def gmtime(self, s):
        """(year, month, day, hour, minute, second, weekday 0=Monday, yearday)."""
        days, rem = divmod(s + self.offset, 86400)
        weekday = (days + 3) % 7                  # 1970-01-01 was a Thursday
        y = 1970
        while days < 0:
            y -= 1
            days += _year_days(y)
        while days >= _year_days(y):
            days -= _year_days(y)
            y += 1
        yearday = days + 1
        m = 1
        while days >= _month_days(y, m):
            days -= _month_days(y, m)
            m += 1
        return (y, m, days + 1, rem // 3600, rem % 3600 // 60, rem % 60, weekday, yearday)


class FakeMachine:
    """machine with an RTC whose datetime() sets the FakeTime's wall clock."""

    def __init__(self, t):
        self.t = t
        self.sets = []

    def RTC(self):
        return _Rtc(self)


class _Rtc:
    def __init__(self, machine):
        self.machine = machine

    def datetime(self, dt):
        y, mo, d, _weekday, h, mi, s, _us = dt    # an 8-tuple, or this raises (as the port)
        self.machine.sets.append(tuple(dt))
        t = self.machine.t
        t.wall = _unix_of(y, mo, d, h, mi, s) - t.offset


def _fresh_clock(t):
    """clock.py imported afresh with t as its `time` (sys.modules put back after)."""
    saved = sys.modules.get("clock")
    if "clock" in sys.modules:
        del sys.modules["clock"]
    try:
        return swap_module("time", t, lambda: __import__("clock"))
    finally:
        if saved is not None:
            sys.modules["clock"] = saved
        elif "clock" in sys.modules:
            del sys.modules["clock"]


def _set(clock, t, unix_s):
    m = FakeMachine(t)
    swap_module("machine", m, lambda: clock.set_unix(unix_s))
    return m.sets


def test_unix_time_adds_the_2000_epoch_on_the_esp32_and_nothing_on_the_unix_port():
    esp = _fresh_clock(FakeTime(2000, T))
    assert esp.EPOCH_OFFSET == E2000
    assert esp.unix() == T
    unix_port = _fresh_clock(FakeTime(1970, T))
    assert unix_port.EPOCH_OFFSET == 0
    assert unix_port.unix() == T


def test_the_wall_clock_counts_as_set_from_2020_on_not_a_second_earlier():
    for epoch in (2000, 1970):
        t = FakeTime(epoch, VALID_FROM)
        clock = _fresh_clock(t)
        assert clock.wall_valid() is True, epoch
        t.wall -= 1
        assert clock.wall_valid() is False, epoch
        t.wall = 0                            # the RTC at its epoch: power just came back
        assert clock.wall_valid() is False, epoch


def test_while_unset_the_lost_time_is_the_rtcs_own_count_and_none_once_set():
    t = FakeTime(2000, E2000 + 3600)          # power back an hour ago: the RTC counted from 2000
    clock = _fresh_clock(t)
    assert clock.lost_s() == 3600             # the port's count, not Unix seconds
    t.wall = 0
    assert clock.lost_s() == 0
    t.wall = -5                               # a count before its epoch: never a negative loss
    assert clock.lost_s() == 0
    t.wall = T - E2000
    assert clock.lost_s() is None
    _set(clock, t, VALID_FROM - 1)            # a wall clock before 2020 was never set
    assert clock.lost_s() == VALID_FROM - 1 - E2000


def test_a_set_writes_the_utc_date_and_time_into_the_rtc_on_both_epochs():
    for epoch in (2000, 1970):
        t = FakeTime(epoch, E2000)
        clock = _fresh_clock(t)
        sets = _set(clock, t, T)
        assert len(sets) == 1, epoch
        y, mo, d, _weekday, h, mi, s, _us = sets[0]
        assert (y, mo, d, h, mi, s) == (2026, 3, 29, 1, 59, 59), (epoch, sets)
        assert clock.unix() == T, epoch
        assert clock.wall_valid(), epoch
        _set(clock, t, 951782400.75)          # 2000-02-29, a float (CPython's time.time())
        assert t.gmtime(t.time())[:6] == (2000, 2, 29, 0, 0, 0), epoch
        assert clock.unix() == 951782400, epoch
        _set(clock, t, 4102444799)            # the last settable second (civil.settable)
        assert clock.unix() == 4102444799, epoch


def test_ms_counts_from_import_through_the_ticks_wrap():
    t = FakeTime(2000, T, ticks=_MASK - 199)  # the ticks 200 ms before they wrap
    clock = _fresh_clock(t)
    assert clock.ms() == 0
    t.advance(300)
    assert clock.ms() == 300                  # across the wrap: +300, not -2**30
    assert clock.ms() == 300                  # read twice, counted once
    for _ in range(24 * 30):                  # a month in hours: the ticks wrap twice more
        t.advance(3600 * 1000)
        clock.ms()
    assert clock.ms() == 300 + 30 * 86400 * 1000


def test_a_wall_clock_step_moves_a_readings_age_but_not_the_monotonic_clock():
    t = FakeTime(2000, T, ticks=5000)
    clock = _fresh_clock(t)
    r = reading.make(7200, clock.unix(), 120, -5, 6)
    assert r[reading.UNIX_S] == T
    t.advance(300 * 1000)
    assert (clock.unix() - r[reading.UNIX_S], clock.ms()) == (300, 300000)
    _set(clock, t, clock.unix() + 3600)       # an NTP answer steps the wall clock an hour on
    assert (clock.unix() - r[reading.UNIX_S], clock.ms()) == (3900, 300000)
    _set(clock, t, T + 300)                   # and the next one puts it back
    assert (clock.unix() - r[reading.UNIX_S], clock.ms()) == (300, 300000)
    _set(clock, t, T - 600)                   # a step back past the reading: it is from the future
    assert clock.unix() - r[reading.UNIX_S] == -600
    assert clock.ms() == 300000


def test_how_far_the_clock_stands_behind_its_furthest_since_it_was_set_and_kept_through_a_reset():
    # forward.redate re-dates readings the clock dated ahead by no more than this: a
    # clock set from unset (a power-on, a wrong first NTP answer hours behind) is no
    # step back, and readings restored from flash keep their dates
    t = FakeTime(2000, E2000 + 60)            # power back a minute ago: unset
    clock = _fresh_clock(t)
    told = []
    clock.on_step = lambda step: told.append((step, clock.back_s()))
    assert clock.back_s() == 0
    _set(clock, t, T - 3 * 3600)              # set, from unset: no step back; the RTC's step told
    assert clock.back_s() == 0 and told == [(T - 3 * 3600 - (E2000 + 60), 0)]
    _set(clock, t, T)                         # forward 3 h: none back
    assert clock.back_s() == 0 and told[-1] == (10800, 0)   # RTC memory is told at once
    _set(clock, t, T - 1200)                  # back 20 min
    assert clock.back_s() == 1200 and told[-1] == (-1200, 1200)
    _set(clock, t, T - 1202)                  # a drift correction (2 s): no date moves by it
    assert clock.back_s() == 1200 and len(told) == 3
    _set(clock, t, T - 1200)                  # nor 2 s on
    assert clock.back_s() == 1200 and len(told) == 3
    _set(clock, t, T - 1202)
    _set(clock, t, T - 1205)                  # 3 s: counted
    assert clock.back_s() == 1203
    _set(clock, t, T - 4805)                  # back an hour more: two steps of one error
    assert clock.back_s() == 4803
    _set(clock, t, T - 4705)                  # forward 100 s: that much less behind
    assert clock.back_s() == 4703
    for _ in range(50):                       # a source that swings by 3 s: no growth
        _set(clock, t, T - 4708)
        _set(clock, t, T - 4705)
    assert clock.back_s() == 4703
    again = _fresh_clock(t)                   # a reset: RTC memory gives it back
    assert again.back_s() == 0
    again.keep_back(4703)
    assert again.back_s() == 4703
    t.wall = 0                                # the power cut: the RTC starts from its epoch
    lost = _fresh_clock(t)
    lost.keep_back(4703)                      # RTC memory that outlived its clock's time
    assert lost.back_s() == 0
    _set(again, t, T)                         # set from unset: what came before is not this clock's
    assert again.back_s() == 0


def test_a_failing_step_hook_neither_stops_the_set_nor_reaches_the_caller():
    # (RTC memory written at once: a MemoryError there must not cost NTP's task its set)
    t = FakeTime(2000, T)
    clock = _fresh_clock(t)

    def fail(step):
        raise MemoryError
    clock.on_step = fail
    _set(clock, t, T - 600)
    assert clock.unix() == T - 600 and clock.back_s() == 600
