# The supervisor's rules (app/supervisor.py), from its module comment: a task
# that fails is restarted after a backoff (1 s doubling to 60 s; none for a
# critical task); max_failures failures within window_s raise `device`
# task_<name>, cleared after a window without one; a task that stops checking
# in stops the watchdog's feeding, except one added with restart_on_hang,
# restarted at once (a failure) unless it hung within the window before; a
# paused task is neither restarted nor watched; rounds BLOCKED_MS late raise
# `device` blocked the same way. `python tools/mutation.py --package app --mpy`
# found these unpinned by test_supervisor.py (53.6%). A fake clock and a fake
# asyncio.create_task drive the rounds (check(), _late()) by hand. Runs on
# CPython and MicroPython.
import sys

from async_steps import run_until
from fakes import swap

try:
    import clock as _real_clock
except (ImportError, AttributeError):   # CPython: its time has no ticks_ms
    _real_clock = None


class FakeClock:
    def __init__(self):
        self.now = 0

    def ms(self):
        return self.now


if _real_clock is None:   # app.supervisor imports clock: a stand-in for the import
    sys.modules["clock"] = FakeClock()
    from app import log, supervisor
    del sys.modules["clock"]
else:
    from app import log, supervisor

LOGGED = []   # the log lines of the World under way (its own sink: other tests set theirs)
WINDOW_MS = 600 * 1000


def _logged(text):
    return [ln for ln in LOGGED if text in ln]


class FakeTask:
    def __init__(self):
        self.cancelled = False

    def done(self):
        return self.cancelled

    def cancel(self):
        self.cancelled = True


class FakeAsyncio:
    """create_task() records a task instead of running _guard (closed unrun)."""

    def __init__(self):
        self.started = []

    def create_task(self, coro):
        coro.close()
        t = FakeTask()
        self.started.append(t)
        return t


class Wdt:
    def __init__(self):
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class World:
    """A Supervisor with a fake clock, asyncio and watchdog for a `with` block;
    self.conds lists its on_condition calls."""

    def __init__(self, real_asyncio=False):
        self.clock, self.aio, self.wdt, self.conds = FakeClock(), FakeAsyncio(), Wdt(), []
        self.sup = supervisor.Supervisor(lambda name, active: self.conds.append((name, active)),
                                         wdt=self.wdt)
        if real_asyncio:
            self.aio = supervisor.asyncio
        del LOGGED[:]

    def __enter__(self):
        self._real = supervisor.clock, supervisor.asyncio, log.sink
        supervisor.clock, supervisor.asyncio, log.sink = self.clock, self.aio, LOGGED.append
        return self

    def __exit__(self, *exc):
        supervisor.clock, supervisor.asyncio, log.sink = self._real

    def add(self, name, period_s=60, critical=False, restart_on_hang=False, window_s=None):
        self.sup.add(name, None, period_s, critical, restart_on_hang, window_s)
        t = self.sup.tasks[-1]
        self.sup._start(t)
        return t

    def at(self, ms):
        self.clock.now = ms
        return self.sup.check()

    def fail(self, t, ms):
        """t raised at ms (what _guard books for the running copy)."""
        self.clock.now = ms
        self.sup._failed(t)


def test_a_failed_task_restarts_after_a_backoff_doubling_from_1_s_to_60_s():
    with World() as w:
        t = w.add("nightscout")
        base = 1000000
        for n, backoff in enumerate((1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000)):
            fail_at = base + n * 70000   # 8 failures inside one window
            w.fail(t, fail_at)
            assert t.task is None and t.restart_at == fail_at + backoff, (n, t.restart_at - fail_at)
            w.at(fail_at + backoff - 1)
            assert t.task is None and t.restarts == n, n        # not before its backoff
            w.at(fail_at + backoff)
            assert t.task is not None and t.restarts == n + 1, n  # at it


def test_a_critical_task_restarts_at_the_next_round():
    with World() as w:
        t = w.add("alarms", critical=True)
        w.fail(t, 5000)
        assert t.restart_at == 5000
        w.at(5000)
        assert t.task is not None and t.restarts == 1


def test_three_failures_within_the_window_raise_the_device_alarm_once_and_a_quiet_window_clears_it():
    with World() as w:
        t = w.add("mqtt")
        w.fail(t, 0)
        w.fail(t, WINDOW_MS)            # the first is exactly a window old: forgotten
        w.fail(t, WINDOW_MS + 1000)
        assert w.conds == [] and len(t.failures) == 2
        w.fail(t, WINDOW_MS + 2000)     # three within the window
        assert w.conds == [("task_mqtt", True)]
        w.fail(t, WINDOW_MS + 3000)     # a fourth: no second onset
        assert w.conds == [("task_mqtt", True)]
        last = WINDOW_MS + 3000
        w.at(last + 60000)              # restarted; it runs
        w.sup.tasks[0].last_checkin = last + WINDOW_MS
        w.at(last + WINDOW_MS)          # a window since the last failure, not more: still up
        assert w.conds == [("task_mqtt", True)]
        w.at(last + WINDOW_MS + 1)
        assert w.conds == [("task_mqtt", True), ("task_mqtt", False)]
        for n in range(3):              # three more in a window: raised again
            w.fail(t, last + 2 * WINDOW_MS + n)
        assert w.conds == [("task_mqtt", True), ("task_mqtt", False), ("task_mqtt", True)]


def test_failures_further_apart_than_the_window_never_raise_it():
    with World() as w:
        t = w.add("web")
        for n in range(6):
            w.fail(t, n * (WINDOW_MS // 2))   # two per window at most
        assert w.conds == []


def test_a_task_with_a_window_of_its_own_counts_its_failures_and_clears_within_it():
    # (helper-389) the alarm path (main.App.add_task: app.memory's 900 s): a poison reading
    # fails it once a transmitter window, and 0, 300, 600 s never made three within 600 s
    with World() as w:
        t = w.add("alarms", critical=True, window_s=900)
        for n in range(3):
            w.fail(t, 1000 + n * 300000)
        assert w.conds == [("task_alarms", True)], w.conds
        last = 601000
        w.at(last + 60000)              # restarted; it runs
        t.last_checkin = last + WINDOW_MS + 1
        w.at(last + WINDOW_MS + 1)      # the supervisor's window since the last: still up
        assert w.conds == [("task_alarms", True)], w.conds
        t.last_checkin = last + 900000
        w.at(last + 900000)             # its own, not more: still up
        assert w.conds == [("task_alarms", True)], w.conds
        w.at(last + 900001)
        assert w.conds == [("task_alarms", True), ("task_alarms", False)], w.conds
        for n in range(3):              # 450 s apart: the first is exactly a window old
            w.fail(t, 2000000 + n * 450000)
        assert w.conds == [("task_alarms", True), ("task_alarms", False)], w.conds


def test_a_window_of_its_own_leaves_the_watchdog_path_to_the_supervisors_window():
    # (helper-393) RESET_AFTER counts within the supervisor's 600 s whatever the task's own
    # window (900 s, the alarm path): a task failing in a loop resets the box no sooner
    for window_s in (None, 900):
        for gap_ms, resets in ((20000, True), (25000, False)):   # 30 span 580 s / 725 s
            with World() as w:
                t = w.add("alarms", critical=True, window_s=window_s)
                for n in range(30):
                    now = 100000 + n * gap_ms
                    w.fail(t, now)
                    t.last_checkin = now
                    w.at(now)
                assert (w.sup.hung == "alarms") == resets, (window_s, gap_ms)
                if resets:   # fed again once the 30th back is 600 s old, not 900
                    t.last_checkin = 100000 + WINDOW_MS
                    w.at(100000 + WINDOW_MS)
                    assert w.sup.hung is None, window_s


def test_a_restart_for_a_hang_counts_within_the_tasks_own_window():
    # (helper-393) the annunciator (the alarm path: 900 s): a restart for a hang is one of
    # its failures there; its second hang is the watchdog's only within the supervisor's 600 s
    with World() as w:
        t = w.add("annunciator", period_s=10, restart_on_hang=True, window_s=900)
        w.at(10001)                          # hangs: restarted, failure 1
        t.last_checkin = 710001
        w.at(720002)                         # hangs 700 s on: restarted again, failure 2
        assert t.restarts == 2 and w.sup.hung is None and t.failures == [10001, 720002]
        w.fail(t, 800000)                    # fails: the third within its 900 s
        assert w.conds == [("task_annunciator", True)], w.conds


def test_a_task_that_stops_checking_in_stops_the_watchdogs_feeding():
    with World() as w:
        t = w.add("link", period_s=60)
        w.at(60000)                      # exactly its period since the check-in: fed
        assert w.wdt.feeds == 1 and w.sup.hung is None
        w.at(60001)
        assert w.wdt.feeds == 1 and w.sup.hung == "link" and not t.task.cancelled
        t.last_checkin = 60001           # it checks in again: fed again
        w.at(62000)
        assert w.wdt.feeds == 2 and w.sup.hung is None


def test_a_hung_annunciator_is_restarted_once_per_window_then_the_watchdog_resets():
    with World() as w:
        t = w.add("annunciator", period_s=10, restart_on_hang=True)
        first = t.task
        w.at(10001)
        assert first.cancelled and t.task is not None and t.task is not first
        assert t.restarts == 1 and t.failures == [10001] and t.hang_restart == 10001
        assert w.wdt.feeds == 1 and w.sup.hung is None   # restarted, not a reset
        second = t.task
        w.at(10001 + 10001)              # hangs again within the window: the watchdog's turn
        assert not second.cancelled and w.sup.hung == "annunciator" and w.wdt.feeds == 1
        w.at(10001 + WINDOW_MS)          # a window after the restart, not more: still
        assert not second.cancelled and w.wdt.feeds == 1
        w.at(10001 + WINDOW_MS + 1)      # past it: restarted again
        assert second.cancelled and t.restarts == 2 and w.wdt.feeds == 2


def test_a_paused_task_is_neither_restarted_nor_watched_until_resumed():
    with World() as w:
        t = w.add("mqtt", period_s=60)
        running = t.task
        w.sup.pause(["mqtt"])
        assert running.cancelled and t.task is None and t.paused and t.failures == []
        w.at(10 * 60000)                 # no check-in for 10 min, no restart: the watchdog is fed
        assert t.task is None and t.restarts == 0 and w.wdt.feeds == 1 and w.sup.hung is None
        w.sup.pause(["mqtt"])            # again: nothing changes
        assert t.paused and t.failures == []
        w.clock.now = 700000
        w.sup.resume(["mqtt"])
        assert not t.paused and t.restart_at == 700000
        w.at(700000)
        assert t.task is not None and t.restarts == 1
        other = w.add("web")
        w.sup.resume(["web"])            # not paused: nothing to resume
        assert other.restart_at == 0 and not other.paused
        w.sup.pause(["mqtt"])            # pausing one leaves the others running
        assert t.paused and not other.paused and not other.task.cancelled


def test_a_task_added_plainly_is_neither_critical_nor_restarted_on_a_hang():
    with World() as w:
        w.sup.add("mqtt", None, 60)
        t = w.sup.tasks[0]
        w.sup._start(t)
        w.fail(t, 0)
        assert t.restart_at == 1000       # a backoff: not critical
        w.at(1000)
        w.at(1000 + 60001)               # a hang: the watchdog's, not a restart
        assert w.sup.hung == "mqtt" and t.restarts == 1


def test_rounds_that_come_back_blocked_raise_blocked_and_it_clears_after_a_window():
    with World() as w:
        sup = w.sup
        w.clock.now = 0
        sup._late(4999)                  # under 5 s late: not a block
        assert sup.blocks == []
        for n in range(3):
            w.clock.now = n * 1000
            sup._late(5000)
        assert w.conds == [("blocked", True)]
        w.clock.now = 2000 + WINDOW_MS - 1     # the last block is not yet a window old
        sup._late(0)
        assert w.conds == [("blocked", True)] and len(sup.blocks) == 1
        w.clock.now = 2000 + WINDOW_MS         # now it is: cleared
        sup._late(0)
        assert w.conds == [("blocked", True), ("blocked", False)] and sup.blocks == []


def test_status_tells_each_tasks_check_in_age_and_restarts():
    with World() as w:
        t = w.add("link")
        t.last_checkin = 4000
        w.clock.now = 9000
        assert w.sup.status() == {"link": {"alive": True, "checkin_age_ms": 5000, "restarts": 0}}
        t.task.cancel()
        assert w.sup.status()["link"]["alive"] is False
        assert w.sup.names() == ["link"]


def test_a_failing_condition_report_never_stops_the_supervisor():
    with World() as w:
        def broken(name, active):
            raise RuntimeError("engine")
        w.sup.on_condition = broken
        t = w.add("mqtt")
        for n in range(3):
            w.fail(t, n * 1000)      # the alarm's report raises: logged, the rounds go on
        assert t.alarmed and _logged("supervisor could not raise task_mqtt")
        swap(supervisor, "BLOCKED_MS", 1, lambda: [w.sup._late(5) for _ in range(3)])
        assert w.sup._block_alarm


def _guarded(w, name, fn, replaced=False):
    """Run the supervisor's guard of a task `name` running fn to its end, as the
    current copy of the task (or one a restart replaced): the task record."""
    import asyncio
    w.sup.add(name, fn, 60)
    t = w.sup.tasks[-1]

    async def main():
        t.task = "a newer copy" if replaced else asyncio.current_task()
        await w.sup._guard(t)
    asyncio.run(main())
    return t


def test_a_task_out_of_memory_is_booked_first_then_reported():
    with World(real_asyncio=True) as w:
        heard = []

        async def greedy(checkin):
            raise MemoryError()

        def on_memory(name):   # the app may pause tasks here: the failure is booked already
            heard.append((name, len(w.sup.tasks[-1].failures)))
        w.sup.on_memory = on_memory
        t = _guarded(w, "mqtt", greedy)
        assert heard == [("mqtt", 1)] and t.task is None and len(t.failures) == 1
        assert _logged("task mqtt failed")


def test_a_failing_memory_report_is_logged_and_other_failures_are_not_reported():
    with World(real_asyncio=True) as w:
        heard = []

        async def greedy(checkin):
            raise MemoryError()

        def broken(name):
            heard.append(name)
            raise RuntimeError("report")
        w.sup.on_memory = broken
        t = _guarded(w, "web", greedy)
        assert heard == ["web"] and len(t.failures) == 1 and _logged("memory report")

        async def wrong(checkin):
            raise ValueError("bug")
        t = _guarded(w, "link", wrong)
        assert heard == ["web"] and len(t.failures) == 1 and _logged("task link failed")
    with World(real_asyncio=True) as w:   # no one listening for memory failures: booked all the same
        t = _guarded(w, "mqtt", greedy)
        assert len(t.failures) == 1


def test_memory_errors_told_to_the_memory_watch_raise_no_task_alarm_of_their_own():
    # (helper-393) the alarm task failing on a short heap once a transmitter window: the
    # memory watch's `device` (memory) at once, snoozed, then task_alarms at the third
    # failure sounded the same fault again through the snooze. Told to on_memory, a
    # MemoryError is the memory watch's; booked all the same (the watchdog's count)
    async def greedy(checkin):
        raise MemoryError()

    async def wrong(checkin):
        raise ValueError("bug")
    with World(real_asyncio=True) as w:
        w.sup.on_memory = lambda name: None
        w.sup.add("alarms", greedy, 60, critical=True)
        t = w.sup.tasks[-1]
        for n in range(3):
            w.clock.now = n * 1000
            _guard_once(w, t)
        assert len(t.failures) == 3 and not t.alarmed and w.conds == [], w.conds
        t.fn = wrong   # a failure of another kind: the three of them now make the alarm
        _guard_once(w, t)
        assert t.alarmed and w.conds == [("task_alarms", True)], w.conds
    with World(real_asyncio=True) as w:   # the memory watch's report fails: counted here
        def broken(name):
            raise RuntimeError("report")
        w.sup.on_memory = broken
        w.sup.add("alarms", greedy, 60, critical=True)
        t = w.sup.tasks[-1]
        for n in range(3):
            _guard_once(w, t)
        assert t.alarmed and w.conds == [("task_alarms", True)], w.conds
    with World(real_asyncio=True) as w:   # no one listening for memory: counted here
        w.sup.add("alarms", greedy, 60, critical=True)
        t = w.sup.tasks[-1]
        for n in range(3):
            _guard_once(w, t)
        assert t.alarmed and w.conds == [("task_alarms", True)], w.conds


def _guard_once(w, t):
    import asyncio

    async def main():
        t.task = asyncio.current_task()
        await w.sup._guard(t)
    asyncio.run(main())


def test_a_reset_or_an_interrupt_inside_a_task_is_never_swallowed():
    import asyncio
    for stop in (SystemExit, KeyboardInterrupt):
        with World(real_asyncio=True) as w:
            async def resets(checkin):
                raise stop()
            try:
                _guarded(w, "web", resets)
            except stop:
                pass
            else:
                assert False, "%s was swallowed" % stop.__name__


def test_only_the_current_copy_of_a_task_checks_in():
    with World(real_asyncio=True) as w:
        w.clock.now = 5000

        async def checks_in(checkin):
            checkin()
        t = _guarded(w, "annunciator", checks_in, replaced=True)
        assert t.last_checkin == 0     # a copy a restart replaced: its check-ins count for nothing
        t = _guarded(w, "link", checks_in)
        assert t.last_checkin == 5000


def test_a_task_that_returns_is_a_failure_and_a_replaced_copys_end_is_not():
    with World(real_asyncio=True) as w:
        async def done(checkin):
            checkin()
        t = _guarded(w, "mqtt", done)
        assert len(t.failures) == 1 and _logged("task mqtt returned")
        t = _guarded(w, "web", done, replaced=True)
        assert t.failures == [] and t.task == "a newer copy" and _logged("task web ended after it was replaced")


def test_a_cancelled_task_is_cancelled_not_failed():
    import asyncio
    with World(real_asyncio=True) as w:
        async def forever(checkin):
            while True:
                await asyncio.sleep(1)
        w.sup.add("mqtt", forever, 60)
        t = w.sup.tasks[0]
        out = []

        async def main():
            t.task = asyncio.create_task(w.sup._guard(t))
            await asyncio.sleep(0)
            t.task.cancel()
            try:
                await t.task
            except asyncio.CancelledError:
                out.append("cancelled")
        asyncio.run(main())
        assert out == ["cancelled"] and t.failures == []


def test_restarts_hangs_and_blocks_are_logged():
    with World() as w:
        t = w.add("link", period_s=60)
        w.fail(t, 0)
        w.at(1000)
        assert _logged("restarting task link")
        w.at(1000 + 60001)
        assert len(_logged("task link stopped checking in; watchdog will reset")) == 1
        w.at(1000 + 62000)       # still hung: said once
        assert len(_logged("watchdog will reset")) == 1
        h = w.add("annunciator", period_s=10, restart_on_hang=True)
        t.last_checkin = w.clock.now = 200000
        h.last_checkin = 0
        w.at(200000)
        assert _logged("task annunciator stopped checking in; restarting it")
        w.sup.pause(["link"])
        w.sup.resume(["link"])
        assert _logged("task link paused") and _logged("task link resumed")
        w.sup._late(5000)
        assert _logged("event loop blocked for 5000 ms (1 in 10 min)")


def test_a_task_restarted_after_a_backoff_longer_than_its_period_is_not_taken_for_hung():
    with World() as w:
        t = w.add("link", period_s=10)
        for n in range(5):
            w.fail(t, 100000 + n)        # the fifth failure: a 16-s backoff
        assert t.restart_at == 100004 + 16000
        w.at(t.restart_at)
        assert t.task is not None
        w.at(t.restart_at + 2000)        # its check-in clock starts at the restart
        assert w.sup.hung is None and w.wdt.feeds == 2


def test_a_critical_task_failing_30_times_in_10_min_stops_the_feeding_a_lesser_one_never():
    # README: a box whose alarm task or sound fails 30 times in 10 min resets (restarting
    # has not helped; a fresh heap may); restarted meanwhile, said once in the log.
    # A forwarder failing as often is left to its backoff, the watchdog fed.
    assert supervisor.RESET_AFTER == 30
    with World() as w:
        t = w.add("alarms", critical=True)
        mqtt = w.add("mqtt")
        first = 100000
        for n in range(30):
            now = first + n * 1000
            w.fail(t, now)
            w.fail(mqtt, now)
            feeds = w.wdt.feeds
            t.last_checkin = mqtt.last_checkin = now
            w.at(now)
            assert t.task is not None and t.restarts == n + 1, n      # restarted at once
            assert w.wdt.feeds == feeds + (n < 29), n                  # fed until the 30th
        assert w.sup.hung == "alarms"
        assert len(_logged("task alarms keeps failing; watchdog will reset")) == 1
        # the 30th failure back to the first within the window: not fed until it is not
        for now in (first + 29000 + 1000, first + WINDOW_MS - 1):
            t.last_checkin = mqtt.last_checkin = now
            feeds = w.wdt.feeds
            w.at(now)
            assert w.wdt.feeds == feeds, now
        t.last_checkin = mqtt.last_checkin = first + WINDOW_MS
        w.at(first + WINDOW_MS)
        assert w.sup.hung is None and w.wdt.feeds == 29 + 1


def test_a_failure_is_counted_even_when_the_heap_cannot_build_the_pruned_list():
    class NoRoomToCopy:
        def __init__(self, items):
            self.items = list(items)

        def __iter__(self):
            raise MemoryError("no room for the pruned list")

        def append(self, x):
            self.items.append(x)

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    with World() as w:
        t = w.add("mqtt")
        w.fail(t, 1000)
        w.fail(t, 2000)
        t.failures = NoRoomToCopy(t.failures)
        w.fail(t, 3000)      # the third within the window: the device alarm all the same
        assert len(t.failures) == 3 and w.conds == [("task_mqtt", True)]


def test_a_task_the_heap_cannot_start_is_logged_and_tried_at_the_next_round():
    with World() as w:
        t = w.add("mqtt")
        w.fail(t, 1000)                      # restarted after 1 s
        started = w.aio.create_task

        def no_room(coro):
            coro.close()
            raise MemoryError()
        w.aio.create_task = no_room
        w.at(2000)
        assert t.task is None and _logged("task mqtt: no memory to start it; trying again")
        assert w.wdt.feeds == 1              # the round goes on, the watchdog fed
        w.aio.create_task = started
        w.at(2000 + w.sup.poll_ms - 1)
        assert t.task is None
        w.at(2000 + w.sup.poll_ms)
        assert t.task is not None and t.restarts == 2


def test_a_round_out_of_memory_is_logged_and_the_rounds_go_on():
    # run(): a MemoryError in a round leaves the watchdog unfed that round and is said
    # in the log a family sends; the next round runs as usual, and a round that comes
    # back BLOCKED_MS late is told as a blocked loop
    class Stop(Exception):
        pass

    with World() as w:
        rounds = []

        def check():
            rounds.append(w.clock.now)
            if len(rounds) == 1:
                raise MemoryError()

        async def sleep_ms(ms):   # the first sleep comes back 5 s late (a blocked loop)
            w.clock.now += ms + (supervisor.BLOCKED_MS if len(rounds) == 1 else 0)
            if len(rounds) == 2 or w.clock.now > 2 * ms + supervisor.BLOCKED_MS:   # (never a loop without rounds)
                raise Stop()
        w.sup.check = check
        w.aio.sleep_ms = sleep_ms
        run_until(w.sup.run(), Stop)
        assert rounds == [0, w.sup.poll_ms + supervisor.BLOCKED_MS]
        assert _logged("supervisor: out of memory in its round")
        assert _logged("event loop blocked for 5000 ms (1 in 10 min)") and len(w.sup.blocks) == 1
