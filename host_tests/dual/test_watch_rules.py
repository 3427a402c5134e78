# The rules of the memory watch (app/memory.py), the battery watch (app/power.py)
# and the shared limit on name lookups (forward/names.py) that
# `python tools/mutation.py --package app --only memory,power` and
# `--package forward --only names` found unpinned, from their module comments and
# the README (battery: "below 3.55 V, median of the last five readings, every
# 30 s; clears above 3.7 V"). Fakes stand for the clock, gc, the supervisor,
# `machine` and the resolver. Runs on CPython and MicroPython.
import sys

from fakes import NamesWorld, swap
from async_steps import FakeAsyncio

try:
    import clock as _real_clock
except (ImportError, AttributeError):   # CPython: its time has no ticks_ms
    _real_clock = None


class FakeClock:
    def __init__(self, now_ms=0):
        self.now = now_ms

    def ms(self):
        return self.now


if _real_clock is None:   # app.log and app.memory import clock: a stand-in for the import
    sys.modules["clock"] = FakeClock()
    from app import log, memory, power
    del sys.modules["clock"]
else:
    from app import log, memory, power
from forward import names


# --- memory: MemoryWatch -----------------------------------------------------------

class FakeGc:
    """A heap of `free` bytes plus `garbage` that only a collection frees."""

    def __init__(self, free=50000, garbage=0):
        self.free, self.garbage, self.collects = free, garbage, 0

    def collect(self):
        self.collects += 1
        self.free += self.garbage
        self.garbage = 0

    def mem_free(self):
        return self.free


class FakeSup:
    def __init__(self, names=("alarms", "link", "nightscout", "mqtt", "web")):
        self._names = list(names)
        self.paused, self.calls = set(), []

    def names(self):
        return list(self._names)

    def pause(self, names):
        self.calls.append(("pause", tuple(names)))
        self.paused.update(names)

    def resume(self, names):
        self.calls.append(("resume", tuple(names)))
        self.paused.difference_update(names)


class MemWorld:
    """A MemoryWatch on a fake clock, gc and supervisor; the log captured."""

    def __init__(self, sup=None, fail_raise=0):
        self.clock, self.gc, self.sup = FakeClock(10 ** 7), FakeGc(), sup or FakeSup()
        self.conditions, self.lines, self.fail_raise = [], [], fail_raise
        self.w = memory.MemoryWatch(self.sup, self._condition)

    def _condition(self, active):
        if self.fail_raise:   # raising the alarm itself ran out of memory
            self.fail_raise -= 1
            raise MemoryError("raising the alarm")
        self.conditions.append(active)

    def run(self, fn):
        def inner():
            return swap(log, "sink", self.lines.append, fn)
        return swap(memory, "clock", self.clock, lambda: swap(memory, "gc", self.gc, inner))

    def at_s(self, s, fn):
        self.clock.now = 10 ** 7 + int(s * 1000)
        return self.run(fn)

    def oom(self, s, part="link"):
        self.at_s(s, lambda: self.w.out_of_memory(part))

    def check(self, s, free=None):
        if free is not None:
            self.gc.free = free
        self.at_s(s, self.w.check)


def test_three_memory_errors_within_the_window_raise_the_alarm_and_shed_the_forwarders():
    m = MemWorld()
    m.oom(0)
    m.oom(300)
    assert m.conditions == [] and not m.w.alarm and not m.sup.paused
    m.oom(600)   # three transmitter windows in a row
    assert m.conditions == [True] and m.w.alarm
    assert m.sup.paused == set(memory.SHED_TASKS) == {"nightscout", "mqtt", "web"}
    assert m.sup.calls == [("pause", ("nightscout", "mqtt", "web"))]
    m.oom(700)   # more errors: nothing new to say
    assert m.conditions == [True] and len(m.sup.calls) == 1


def test_errors_further_apart_than_the_window_raise_nothing():
    m = MemWorld()
    for s in (0, 500, 1000, 1500, 2000, 2500):   # never 3 within 900 s
        m.oom(s)
    assert m.conditions == [] and not m.w.alarm and not m.sup.paused
    m.oom(2600)                                   # 2000, 2500, 2600: three within 900 s
    assert m.conditions == [True]


def test_only_the_shed_tasks_that_run_are_paused():
    m = MemWorld(FakeSup(("alarms", "link", "web")))
    for s in (0, 1, 2):
        m.oom(s)
    assert m.sup.calls == [("pause", ("web",))]
    assert "alarms" not in m.sup.paused and "link" not in m.sup.paused


def test_a_memory_error_report_collects_and_logs_the_part():
    m = MemWorld()
    m.gc.garbage = 1000
    m.oom(0, part="listener")
    assert m.gc.collects >= 1 and m.gc.garbage == 0
    assert any("listener" in line and "(1 in 15 min)" in line for line in m.lines), m.lines


def test_the_window_is_900_s():
    m = MemWorld()
    for s in (0, 450, 899.5):                  # within 900 s
        m.oom(s)
    assert m.conditions == [True]
    m = MemWorld()
    for s in (0, 450, 900.5):                  # the first is 900.5 s old: two in the window
        m.oom(s)
    assert m.conditions == []


def test_shedding_frees_the_shed_tasks_memory_at_once():
    m = MemWorld()
    pause = m.sup.pause

    def pause_and_drop(names):                 # the paused tasks' buffers become garbage
        pause(names)
        m.gc.garbage += 6000
    m.sup.pause = pause_and_drop
    for s in (0, 1, 2):
        m.oom(s)
    assert m.sup.paused and m.gc.garbage == 0


def test_the_log_says_what_is_paused_and_resumed():
    m = MemWorld(FakeSup(("alarms", "link")))
    m.check(0, free=100)
    assert any("pausing nothing" in line for line in m.lines), m.lines
    m.check(memory.QUIET_S, free=50000)
    assert any("resuming nothing" in line for line in m.lines), m.lines
    m = MemWorld()
    m.check(0, free=100)
    assert any("pausing nightscout, mqtt, web" in line for line in m.lines), m.lines


def test_a_fine_heap_logs_nothing():
    m = MemWorld()
    m.check(0, free=memory.LOW_FREE)
    m.check(60, free=50000)
    assert m.lines == [] and m.conditions == []


def test_a_low_free_heap_after_a_collection_raises_at_once():
    m = MemWorld()
    m.check(0, free=memory.LOW_FREE)          # "below this: low"; 4096 is not
    assert m.conditions == [] and not m.w.alarm
    m.check(60, free=memory.LOW_FREE - 1)
    assert m.conditions == [True] and m.w.alarm and m.sup.paused == set(memory.SHED_TASKS)
    assert any("free heap" in line for line in m.lines), m.lines


def test_a_heap_short_only_of_garbage_is_not_low():
    # "free heap after a full collection below this": the check collects first
    m = MemWorld()
    m.gc.free, m.gc.garbage = 1000, 20000
    m.check(0)
    assert m.conditions == [] and not m.w.alarm and m.gc.collects >= 1


def test_quiet_s_without_pressure_clears_and_resumes():
    m = MemWorld()
    m.check(0, free=100)
    m.check(60, free=100)                      # still low: held
    assert m.conditions == [True]
    m.check(120, free=memory.LOW_FREE)         # the heap is back (4096 is not low): held
    assert m.w.alarm and m.conditions == [True]
    m.check(60 + memory.QUIET_S - 1)           # QUIET_S after the last low check: not yet
    assert m.w.alarm and m.conditions == [True] and m.sup.paused
    m.check(60 + memory.QUIET_S)
    assert not m.w.alarm and m.conditions == [True, False] and not m.sup.paused
    assert m.sup.calls[-1] == ("resume", ("nightscout", "mqtt", "web"))
    assert any("resum" in line for line in m.lines)
    m.check(60 + memory.QUIET_S + 60)
    assert m.conditions == [True, False]       # nothing more to say


def test_errors_alone_hold_the_alarm_until_quiet_s_after_the_last():
    m = MemWorld()
    for s in (0, 300, 600):
        m.oom(s)
    m.check(700)                               # the heap looks fine: the errors still count
    assert m.w.alarm
    m.oom(1000)                                # one more error: the wait starts again
    m.check(1000 + memory.QUIET_S - 1)
    assert m.w.alarm
    m.check(1000 + memory.QUIET_S)
    assert not m.w.alarm and m.conditions == [True, False]


def test_a_fine_heap_with_no_alarm_raises_nothing():
    m = MemWorld()
    m.oom(0)                                   # one error: pressure, but no alarm
    m.check(10)
    assert m.conditions == [] and not m.w.alarm and m.sup.calls == []


def test_pressure_soon_after_resuming_doubles_the_wait_up_to_quiet_max_s():
    m = MemWorld()
    q = memory.QUIET_S
    t = 0
    for wait in (q, 2 * q, 4 * q, 8 * q, 16 * q, memory.QUIET_MAX_S):
        m.check(t, free=100)
        m.check(t + 1, free=50000)
        m.check(t + wait - 1)
        assert m.w.alarm, wait
        m.check(t + wait)
        assert not m.w.alarm, wait
        t += wait + 60                          # back a minute after the resume
    assert 16 * q == memory.QUIET_MAX_S == 8 * 3600


def test_the_wait_is_exactly_doubled_and_back_to_quiet_s_after_a_calm_spell():
    m = MemWorld()
    q = memory.QUIET_S
    m.check(0, free=100)
    m.check(1, free=50000)
    m.check(q - 1)
    assert m.w.alarm
    m.check(q)                                  # cleared, resumed at q
    assert not m.w.alarm
    m.check(q + 10, free=100)                   # back 10 s after the resume: doubled
    m.check(q + 11, free=50000)
    m.check(q + 10 + 2 * q - 1)
    assert m.w.alarm
    m.check(q + 10 + 2 * q)
    assert not m.w.alarm
    resumed = 3 * q + 10
    m.check(resumed + 2 * q - 1, free=100)      # back 1 s before the doubled wait ended: 4x
    m.check(resumed + 2 * q, free=50000)
    m.check(resumed + 2 * q - 1 + 4 * q - 1)
    assert m.w.alarm
    m.check(resumed + 2 * q - 1 + 4 * q)
    assert not m.w.alarm
    resumed += 6 * q - 1
    q2 = 4 * q
    # pressure again only after the (doubled) wait has passed since the resume: QUIET_S again
    back = resumed + q2
    m.check(back, free=100)
    m.check(back + 1, free=50000)
    m.check(back + q - 1)
    assert m.w.alarm
    m.check(back + q)
    assert not m.w.alarm


def test_the_first_pressure_waits_quiet_s_even_long_after_start():
    m = MemWorld()
    t = 5 * 3600
    m.check(t, free=100)
    m.check(t + 1, free=50000)
    m.check(t + memory.QUIET_S)
    assert not m.w.alarm and m.conditions == [True, False]


def test_a_raise_that_runs_out_of_memory_is_tried_again_at_the_next_check():
    # "raising it may itself run out of memory; the next report or check tries again"
    m = MemWorld(fail_raise=1)
    try:
        m.check(0, free=100)
    except MemoryError:
        pass
    assert m.conditions == [] and m.sup.paused   # the forwarders are shed all the same
    m.check(60, free=100)
    assert m.conditions == [True]
    m.check(120, free=100)
    assert m.conditions == [True]


def test_a_shed_that_runs_out_of_memory_is_tried_again_at_the_next_check():
    # helper-348: the pressure was marked before the pause, which ran out of memory
    # (the moment it is for): the forwarders ran on through the whole episode
    class ShortSup(FakeSup):
        short = 1

        def pause(self, names):
            if self.short:
                self.short -= 1
                raise MemoryError("pausing")
            FakeSup.pause(self, names)
    m = MemWorld(sup=ShortSup())
    try:
        m.check(0, free=100)
    except MemoryError:
        pass
    assert not m.sup.paused and m.w.alarm
    m.check(60, free=100)
    assert m.sup.paused == set(memory.SHED_TASKS) and m.conditions == [True]
    m.check(120, free=100)
    assert len(m.sup.calls) == 1, m.sup.calls     # paused once
    # one from the reports alone: the next report tries it again
    m = MemWorld(sup=ShortSup())
    for s in (0, 300, 600):
        try:
            m.oom(s)
        except MemoryError:
            assert s == 600
    assert not m.sup.paused and m.conditions == []
    m.oom(700)
    assert m.sup.paused == set(memory.SHED_TASKS) and m.conditions == [True]


def test_the_memory_constants_are_the_documented_ones():
    assert (memory.ERRORS, memory.WINDOW_S, memory.QUIET_S) == (3, 900, 1800)
    assert (memory.QUIET_MAX_S, memory.LOW_FREE) == (8 * 3600, 4096)


# --- power: BatteryWatch, hold, watch ---------------------------------------------

def _verdicts(mvs):
    w = power.BatteryWatch()
    return [w.add(mv) for mv in mvs], w


def test_low_is_below_3550_mv_not_at_it():
    got, w = _verdicts([3550] * 5)
    assert got == [None] * 5 and not w.low
    got, w = _verdicts([3549] * 3)
    assert got == [None, None, True] and w.low


def test_low_clears_above_3700_mv_only():
    got, w = _verdicts([3400] * 3 + [3699] * 5)
    assert got[2] is True and got[3:] == [None] * 5 and w.low
    got, w = _verdicts([3400] * 3 + [3701] * 5)
    assert got[2] is True and got[3:] == [None, None, False, None, None] and not w.low


def test_a_cell_back_at_exactly_3700_mv_keeps_the_warning():
    # "clears only above OK_MV": a cell that recovers to 3.70 V under a lighter load is not
    # charged, and the warning stays up until it is over it
    got, w = _verdicts([3400] * 3 + [3700] * 5)
    assert got[2] is True and got[3:] == [None] * 5 and w.low
    assert w.add(3701) is None and w.add(3701) is None and w.add(3701) is False


def test_the_verdict_is_the_median_of_the_last_five():
    # two low reads among five are outvoted; three are not
    got, w = _verdicts([4000, 4000, 3000, 3000, 4000])
    assert got == [None] * 5
    assert w.add(3000) is True   # window 4000 3000 3000 4000 3000
    got, w = _verdicts([4000, 4000, 4000, 4000, 4000, 3000, 3000])
    assert got == [None] * 7      # the old 4000s still count: 4000 4000 4000 3000 3000
    assert w.add(3000) is True    # 4000 4000 3000 3000 3000: the oldest fell out


def test_hold_drives_the_hold_pin_high_and_holds_it_through_a_reset():
    pins = []

    class Pin:
        OUT = "out"

        def __init__(self, pin, mode=None, value=None, hold=None):
            pins.append((pin, mode, value, hold))

    class Machine:
        pass

    Machine.Pin = Pin
    real = sys.modules.get("machine")
    sys.modules["machine"] = Machine
    try:
        power.hold({"power": {"hold_pin": 4}})
        # held: the pad keeps its level through a reset (the PLUS2 on battery stays on)
        assert pins == [(4, "out", 1, True)], pins
        power.hold({"power": {}})
        power.hold({"power": None})
        power.hold({})
        assert len(pins) == 1
    finally:
        if real is None:
            del sys.modules["machine"]
        else:
            sys.modules["machine"] = real


def _watch(board, uvs, **kw):
    """Drive power.watch with an ADC that reads `uvs` (microvolts at the pin):
    (on_change calls, ADC pins and attenuations, sleeps)."""
    made, changes, sleeps = [], [], []
    reads = list(uvs)

    class Pin:
        def __init__(self, n):
            self.n = n

    class ADC:
        ATTN_11DB = "11dB"

        def __init__(self, pin, atten=None):
            made.append((pin.n, atten))

        def read_uv(self):
            return reads.pop(0)

    class Machine:
        pass

    Machine.Pin, Machine.ADC = Pin, ADC
    real, real_asyncio = sys.modules.get("machine"), power.asyncio
    sys.modules["machine"], power.asyncio = Machine, FakeAsyncio
    try:
        co = power.watch(board, lambda low, mv: changes.append((low, mv)), **kw)
        while reads:
            try:
                sleeps.append(co.send(None).s)
            except StopIteration:
                break
    finally:
        power.asyncio = real_asyncio
        if real is None:
            del sys.modules["machine"]
        else:
            sys.modules["machine"] = real
    return changes, made, sleeps


def test_watch_reads_the_cell_every_30_s_through_the_divider():
    board = {"power": {"battery_adc_pin": 38, "battery_divider": 2}}
    # 1.77 V at the pin through 1:2 = 3.54 V at the cell: low after three reads
    changes, made, sleeps = _watch(board, [1770000] * 4 + [1900000] * 5)
    assert made == [(38, "11dB")]
    assert sleeps and set(sleeps) == {30} and power.PERIOD_S == 30
    assert changes == [(True, 3540), (False, 3800)], changes


def test_watch_without_a_divider_reads_the_pin_as_the_cell():
    changes, made, sleeps = _watch({"power": {"battery_adc_pin": 7}}, [3400000] * 3, period_s=5)
    assert changes == [(True, 3400)] and made == [(7, "11dB")] and set(sleeps) == {5}


def test_watch_on_a_board_without_a_battery_returns():
    for board in ({}, {"power": None}, {"power": {"hold_pin": 4}}):
        changes, made, sleeps = _watch(board, [3000000] * 3)
        assert changes == [] and made == [] and sleeps == []


# --- names: the limits on name lookups --------------------------------------------

class FakeSocket:
    SOCK_STREAM = 1

    def __init__(self, world):
        self.world, self.calls, self.takes_s = world, 0, 0
        self.answers = [("10.0.0.7", 443)]   # getaddrinfo's sockaddrs, preferred first

    def getaddrinfo(self, host, port, family=0, kind=0):
        self.calls += 1
        self.world.t += self.takes_s
        if family not in (0, 2):      # AF_UNSPEC or AF_INET; anything else: EAI_FAMILY
            raise OSError(-6)
        if not self.answers:
            raise OSError(-3)         # no answer from the DNS server
        return [(2, kind, 0, "", a) for a in self.answers]


class BytesSocket(FakeSocket):
    """A MicroPython port whose getaddrinfo gives the sockaddr as bytes."""

    def __init__(self, world):
        FakeSocket.__init__(self, world)
        self.answers = [b"\x02\x00\x01\xbb\x0a\x00\x00\x07"]

    def sockaddr(self, raw):
        return (2, raw[4:8], raw[2] * 256 + raw[3])

    def inet_ntop(self, family, packed):
        assert family == 2
        return ".".join(str(b) for b in packed)


class NameWorld(NamesWorld):
    def __init__(self, sock=FakeSocket, t=100000):
        NamesWorld.__init__(self, sock, t)

    def resolve(self, host="ns.example.org", port=443):
        return names.resolve(host, port)

    def refused(self, host="ns.example.org", port=443):
        try:
            got = names.resolve(host, port)
        except OSError as e:
            return str(e)
        raise AssertionError("resolved to %r" % (got,))


def test_at_start_no_lookup_is_held_back():
    assert names.lookup_allowed(0) and names.lookup_allowed(10 ** 6)


def test_the_clock_is_in_whole_seconds():
    real = sys.modules.get("clock")
    sys.modules["clock"] = FakeClock(1234999)
    try:
        assert names._now_s() == 1234
    finally:
        if real is None:
            del sys.modules["clock"]
        else:
            sys.modules["clock"] = real


def test_ipv4_literals_up_to_255():
    assert names.is_ipv4("255.255.255.255") and names.is_ipv4("0.0.0.0")
    assert not names.is_ipv4("256.1.1.1") and not names.is_ipv4("1.2.3.256")
    assert not names.is_ipv4("1.2.3") and not names.is_ipv4("a.b.c.d")
    with NameWorld() as w:
        assert w.resolve("255.255.255.255", 80) == ("255.255.255.255", 80) and w.sock.calls == 0


def test_the_first_answer_of_any_family_is_taken():
    with NameWorld() as w:
        w.sock.answers = [("10.0.0.7", 443), ("10.0.0.8", 443)]
        assert w.resolve() == ("10.0.0.7", 443)


def test_a_bytes_sockaddr_is_read_as_ip_and_port():
    with NameWorld(BytesSocket) as w:
        assert w.resolve() == ("10.0.0.7", 443)


def test_an_address_that_cannot_be_read_is_no_address():
    with NameWorld() as w:
        w.sock.answers = [b"\x02\x00"]   # bytes, and no socket.sockaddr to read them
        assert "cannot resolve" in w.refused()


def test_a_suspect_address_is_looked_up_again_after_resolve_again_s_not_before():
    with NameWorld() as w:
        w.resolve()
        names.forget_address("ns.example.org", 443)
        w.t += names.RESOLVE_AGAIN_S - 1
        w.resolve()
        assert w.sock.calls == 1
        w.t += 1
        w.sock.answers = [("10.0.0.9", 443)]
        assert w.resolve() == ("10.0.0.9", 443) and w.sock.calls == 2
        assert names.RESOLVE_AGAIN_S == 900


def test_without_a_connection_failure_an_address_is_kept():
    with NameWorld() as w:
        w.resolve()
        w.t += 10 * names.RESOLVE_AGAIN_S
        w.resolve()
        assert w.sock.calls == 1


def test_a_failed_look_is_not_repeated_for_resolve_failed_s():
    with NameWorld() as w:
        w.sock.answers = []
        w.refused()
        w.t += names.RESOLVE_FAILED_S - 1
        msg = w.refused()
        assert w.sock.calls == 1 and "up %d s ago" % (names.RESOLVE_FAILED_S - 1) in msg, msg
        w.t += 1
        w.refused()                    # fails again: an OSError, never None
        assert w.sock.calls == 2 and names.RESOLVE_FAILED_S == 300


def test_a_failed_new_look_keeps_the_old_address_and_is_not_repeated_soon():
    with NameWorld() as w:
        w.resolve()
        names.forget_address("ns.example.org", 443)
        w.t += names.RESOLVE_AGAIN_S
        w.sock.answers = []
        assert w.resolve() == ("10.0.0.7", 443) and w.sock.calls == 2   # failed: old one kept
        failed_at = w.t
        names.forget_address("ns.example.org", 443)   # the connection fails again at once
        w.t = failed_at + 1
        w.resolve()
        w.t = failed_at + names.RESOLVE_FAILED_S
        assert w.resolve() == ("10.0.0.7", 443)
        assert w.sock.calls == 2              # not repeated so soon after the failed look


def test_after_a_failed_new_look_a_working_address_is_not_looked_up_again():
    with NameWorld() as w:
        w.resolve()
        names.forget_address("ns.example.org", 443)
        w.t += names.RESOLVE_AGAIN_S
        w.sock.answers = []
        w.resolve()                           # failed: the old address is kept
        w.t += 10 * names.RESOLVE_AGAIN_S     # no new connection failure: no new look
        assert w.resolve() == ("10.0.0.7", 443) and w.sock.calls == 2


def test_a_slow_lookup_stops_every_lookup_for_resolve_failed_s():
    with NameWorld() as w:
        w.sock.takes_s = names.SLOW_S            # 3 clock seconds: the DNS server did not answer
        w.resolve("a.example.org")               # answered, but it blocked the board
        w.sock.takes_s = 0
        msg = w.refused("b.example.org")
        assert w.sock.calls == 1 and "DNS blocked 0 s ago" in msg, msg
        assert not names.lookup_allowed(w.t + names.RESOLVE_FAILED_S - 1)
        assert names.lookup_allowed(w.t + names.RESOLVE_FAILED_S)
        assert names.SLOW_S == 3


def test_a_lookup_of_two_clock_seconds_does_not_stop_the_others():
    with NameWorld() as w:
        w.sock.takes_s = names.SLOW_S - 1
        w.resolve("a.example.org")
        w.sock.takes_s = 0
        w.resolve("b.example.org")
        assert w.sock.calls == 2


def test_quick_lookups_late_in_the_day_stop_nothing():
    with NameWorld(t=86400) as w:
        names.lookup_took(w.t)
        assert names.lookup_allowed(w.t)
        for host in ("a.example.org", "b.example.org", "c.example.org"):
            w.resolve(host)
        assert w.sock.calls == 3


def test_a_failed_name_while_lookups_are_held_back_is_an_error_not_none():
    with NameWorld() as w:
        w.sock.answers = []
        w.refused("a.example.org")               # failed, no address
        w.t += names.RESOLVE_FAILED_S
        w.sock.answers = [("10.0.0.8", 443)]
        w.sock.takes_s = names.SLOW_S + 2        # another host's lookup blocks the board
        w.resolve("b.example.org")
        w.sock.takes_s = 0
        w.t += 1
        assert "DNS blocked" in w.refused("a.example.org")


def test_a_suspect_address_is_kept_while_lookups_are_held_back():
    with NameWorld() as w:
        w.resolve("a.example.org")
        names.forget_address("a.example.org", 443)
        w.t += names.RESOLVE_AGAIN_S
        w.sock.takes_s = names.SLOW_S
        w.resolve("b.example.org")
        w.sock.takes_s = 0
        calls = w.sock.calls
        assert w.resolve("a.example.org") == ("10.0.0.7", 443) and w.sock.calls == calls
