# Supervisor: starts the firmware's tasks, restarts a task that raises, and
# feeds the hardware watchdog only while every task checks in.
#
# - A task is `async def fn(checkin)`; it calls checkin() at least every
#   `period_s` seconds. A task that stops checking in (awaits something that
#   never comes, or blocks the loop) stops the feeding, and the watchdog
#   resets the board: the alarm state survives in RTC memory (app.persist).
#   A task added with restart_on_hang (the annunciator: the sound must not
#   wait for a reset) is cancelled and restarted at once instead, counted as
#   a failure; a second hang within `window_s` takes the watchdog path.
# - A task that raises is logged and restarted after a backoff (none for
#   critical tasks, i.e. the alarm path); `max_failures` failures within
#   `window_s` raise the `device` alarm through on_condition(name, active).
#   A task added with a window of its own (longer) counts them within that: a
#   task of the alarm path that a poison reading fails once a transmitter window
#   (5 min) had its third failure 600 s after its first, out of a 600-s window.
#   A critical task that has failed RESET_AFTER times within `window_s` takes
#   the watchdog path: restarting it has not helped, and a reset (a fresh heap,
#   the alarm state back from RTC memory) is the one repair left; the box's
#   reset count says it if that does not help either.
# - MemoryError anywhere is caught per task like any other failure, after a
#   gc.collect(), so a forwarder that runs out of heap never stops the alarms;
#   on_memory(name), when set, hears of it (the app counts memory pressure) and
#   owns its `device` alarm: such a failure counts for the watchdog, not for
#   task_<name> (unless on_memory itself fails).
# - pause(names) stops tasks and keeps them stopped (no restart, no hang
#   check) until resume(names): the app sheds the forwarders under memory
#   pressure.
# - A call that blocks the whole event loop (a DNS lookup nobody answers)
#   freezes the sound and the buttons, yet shorter than the watchdog it resets
#   nothing. The supervisor notices its own round coming back BLOCKED_MS late:
#   each is logged, and max_failures within window_s raise the `device` alarm
#   (reason "blocked"), cleared after a window without one.
import asyncio
import gc

import clock
from app import log

BLOCKED_MS = 5000  # a supervision round this much later than asked: the loop was blocked
RESET_AFTER = 30   # failures of a critical task within window_s that stop the feeding


class _Task:
    def __init__(self, name, fn, period_s, critical, restart_on_hang, window_ms):
        self.name = name
        self.window_ms = window_ms   # its failures count for `device` within this
        self.restart_on_hang = restart_on_hang
        self.hang_restart = None  # clock.ms() of its last restart for a hang
        self.fn = fn
        self.period_ms = int(period_s * 1000)
        self.critical = critical
        self.last_checkin = 0
        self.failures = []  # clock.ms() of recent failures
        self.task = None
        self.restart_at = 0
        self.alarmed = False
        self.restarts = 0
        self.paused = False


class Supervisor:
    def __init__(self, on_condition, wdt=None, max_failures=3, window_s=600, poll_s=2):
        self.on_condition = on_condition  # (name, active) -> None
        self.wdt = wdt
        self.max_failures = max_failures
        self.window_ms = window_s * 1000
        self.poll_ms = int(poll_s * 1000)
        self.tasks = []
        self.hung = None
        self.on_memory = None  # fn(task name): a task failed with MemoryError
        self.blocks = []       # clock.ms() of recent rounds that came back blocked
        self._block_alarm = False

    def add(self, name, fn, period_s, critical=False, restart_on_hang=False, window_s=None):
        # (window_s: at least the supervisor's, which RESET_AFTER counts within)
        self.tasks.append(_Task(name, fn, period_s, critical, restart_on_hang,
                                self.window_ms if window_s is None else window_s * 1000))

    def names(self):
        return [t.name for t in self.tasks]

    def pause(self, names):
        for t in self.tasks:
            if t.name in names and not t.paused:
                t.paused = True
                if t.task is not None:
                    task, t.task = t.task, None  # first: its end is no failure
                    task.cancel()
                log.warn("task %s paused", t.name)

    def resume(self, names):
        now = clock.ms()
        for t in self.tasks:
            if t.name in names and t.paused:
                t.paused = False
                t.restart_at = now  # started at the next round
                log.info("task %s resumed", t.name)

    def status(self):
        now = clock.ms()
        return {t.name: {"alive": t.task is not None and not t.task.done(),
                         "checkin_age_ms": now - t.last_checkin, "restarts": t.restarts}
                for t in self.tasks}

    def _start(self, t):
        t.last_checkin = clock.ms()
        try:
            t.task = asyncio.create_task(self._guard(t))
        except MemoryError:
            # the heap still short from the failure that ended it (review of session 43:
            # this left check() and run(), and the box stopped): tried again next round
            t.task = None
            gc.collect()
            t.restart_at = clock.ms() + self.poll_ms
            log.error("task %s: no memory to start it; trying again", t.name)

    async def _guard(self, t):
        me = asyncio.current_task()

        def checkin():
            # only the current copy counts: one cancelled by a restart for a
            # hang that swallowed its cancellation must not hide a hang of
            # its replacement
            if t.task is me:
                t.last_checkin = clock.ms()

        oom = False
        try:
            await t.fn(checkin)
            log.warn("task %s returned", t.name)
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # noqa: B036 - report everything but cancellation
            if isinstance(e, MemoryError):
                gc.collect()
                oom = True
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            log.exc(e, "task %s failed", t.name)
        # a MemoryError told to on_memory is the memory watch's `device` (memory): a
        # task_<name> for it too sounded again through that alarm's snooze (helper-393)
        told = oom and self.on_memory is not None
        if t.task is me:
            self._failed(t, counted=not told)
        else:  # replaced by a restart: its end is no news (already counted)
            log.warn("task %s ended after it was replaced", t.name)
        if told:  # after the failure is booked: it may pause tasks
            try:
                self.on_memory(t.name)
            except Exception as e:
                log.exc(e, "memory report")
                self._alarm_if_many(t)   # not heard there: counted here

    def _failed(self, t, counted=True):
        now = clock.ms()
        t.task = None   # first: restarted by check() whatever fails below
        try:
            t.failures = [f for f in t.failures if now - f < t.window_ms] + [now]
        except MemoryError:   # (counted once more in place: a list of its own)
            gc.collect()
            t.failures.append(now)
        backoff = 0 if t.critical else min(60000, 1000 << min(len(t.failures) - 1, 6))
        t.restart_at = now + backoff
        if counted:
            self._alarm_if_many(t)

    def _alarm_if_many(self, t):
        if len(t.failures) >= self.max_failures and not t.alarmed:
            t.alarmed = True
            self._condition("task_" + t.name, True)

    def _condition(self, name, active):
        try:
            self.on_condition(name, active)
        except Exception as e:
            log.exc(e, "supervisor could not raise %s", name)

    def check(self):
        """One supervision round: restart failed tasks, find hung ones, feed
        the watchdog when all is well. Returns True when it fed it."""
        now = clock.ms()
        hung = failing = None
        for t in self.tasks:
            if t.paused:
                continue
            if (t.critical and len(t.failures) >= RESET_AFTER
                    and now - t.failures[-RESET_AFTER] < self.window_ms):
                # (review of session 43: restarted every round for ever, the watchdog fed,
                # while the alarm path did not run)
                hung = failing = t.name
            if t.task is None:
                if now >= t.restart_at:
                    t.restarts += 1
                    log.info("restarting task %s", t.name)
                    self._start(t)
                continue
            if now - t.last_checkin > t.period_ms:
                if t.restart_on_hang and (t.hang_restart is None
                                          or now - t.hang_restart > self.window_ms):
                    t.hang_restart = now
                    log.error("task %s stopped checking in; restarting it", t.name)
                    t.task.cancel()
                    self._failed(t)
                    t.restarts += 1
                    self._start(t)
                    continue
                hung = t.name
            elif t.alarmed and t.failures and now - t.failures[-1] > t.window_ms:
                t.alarmed = False
                self._condition("task_" + t.name, False)
        if hung != self.hung:
            self.hung = hung
            if hung:
                log.error("task %s %s; watchdog will reset", hung,
                          "keeps failing" if hung == failing else "stopped checking in")
        if hung is None and self.wdt is not None:
            self.wdt.feed()
            return True
        return False

    def _late(self, late_ms):
        """The loop came back late_ms after its round was due."""
        now = clock.ms()
        if self.blocks:   # (no new list each round while all is well)
            self.blocks = [b for b in self.blocks if now - b < self.window_ms]
        if late_ms >= BLOCKED_MS:
            self.blocks.append(now)
            log.error("event loop blocked for %d ms (%d in %d min)", late_ms, len(self.blocks),
                      self.window_ms // 60000)
        active = len(self.blocks) >= self.max_failures or (self._block_alarm and bool(self.blocks))
        if active != self._block_alarm:
            self._block_alarm = active
            self._condition("blocked", active)

    async def run(self):
        for t in self.tasks:
            self._start(t)
        while True:
            try:
                self.check()
            except MemoryError:   # not fed this round; the alarms' tasks run on
                gc.collect()
                log.error("supervisor: out of memory in its round")
            due = clock.ms() + self.poll_ms
            await asyncio.sleep_ms(self.poll_ms)
            self._late(clock.ms() - due)
