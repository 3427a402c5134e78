# Memory pressure: owns the `device` alarm with reason memory, and which parts
# are shed for it.
#
# A part that catches a MemoryError and retries (the link's session, a
# listener, a restarted task) reports it to out_of_memory(). ERRORS of them
# within WINDOW_S, or a free heap under LOW_FREE at a check, raise the alarm
# and pause the parts the alarms do not need (SHED_TASKS), so the link and the
# alarm task keep the heap. QUIET_S without either clears it and resumes them.
# Pressure that comes back within that long of resuming them (the forwarders
# themselves are too much for this heap) doubles the wait, up to QUIET_MAX_S:
# else the alarm would sound anew every half hour all night.
# A MemoryError that ends a task of the alarm path (ALARM_PATH: the supervisor
# restarts it) raises the alarm at once: the link's own loop catches its
# sessions' errors, so one that leaves it came from its start or its error
# report, and a restart on that heap may never read (session 69's bench: the
# alarm 21 min after, no_data sounding meanwhile for the box's own fault).
import gc

import clock
from app import log

ERRORS = 3
WINDOW_S = 900      # three transmitter windows in a row fit in it
QUIET_S = 1800
QUIET_MAX_S = 8 * 3600
LOW_FREE = 4096     # free heap after a full collection below this: low
SHED_TASKS = ("nightscout", "mqtt", "web")
ALARM_PATH = ("link", "follower", "alarms", "annunciator")  # their readings and their sound


class MemoryWatch:
    def __init__(self, sup, on_condition):
        self.sup = sup                 # the Supervisor: pause/resume the shed tasks
        self.on_condition = on_condition  # (active) -> raises or clears device/memory
        self.alarm = False             # under pressure: the shed tasks are to be paused
        self._raised = False           # the device alarm (memory) is raised
        self._shed = False             # the shed tasks are paused
        self._errors = []              # clock.ms() of recent MemoryErrors a part survived
        self._low = False              # free heap under LOW_FREE at the last check
        self._pressure_ms = None       # clock.ms() of the last MemoryError or low-heap check
        self._quiet_s = QUIET_S        # how long without pressure before resuming
        self._resumed_ms = None        # clock.ms() of the last resume

    def out_of_memory(self, part):
        """A part survived a MemoryError (it retries): count it."""
        gc.collect()
        now = clock.ms()
        self._errors = [t for t in self._errors if now - t < WINDOW_S * 1000] + [now]
        self._pressure_ms = now
        log.error("out of memory in %s (%d in %d min)", part, len(self._errors), WINDOW_S // 60)
        if len(self._errors) >= ERRORS:
            self._state(True)

    def task_ended(self, name):
        """The supervisor's word: a MemoryError ended task `name` (it restarts it)."""
        if name in ALARM_PATH:   # first: a count that runs short too must not cost the alarm
            self._pressure_ms = clock.ms()   # (held, and retried by check() if raising it fails)
            self._state(True)
        self.out_of_memory(name)

    def check(self):
        """The periodic heap check (the app's health task)."""
        gc.collect()
        free = gc.mem_free()
        if (free < LOW_FREE) != self._low:
            self._low = free < LOW_FREE
            log.warn("free heap %d", free)
        if self._low:
            self._pressure_ms = clock.ms()
        # raised by ERRORS (out_of_memory) or a low free heap; held while either
        # recurs (a heap short only while the forwarders run must not flap the alarm)
        recent = self._pressure_ms is not None and clock.ms() - self._pressure_ms < self._quiet_s * 1000
        self._state(bool(self._low or (self.alarm and recent)))

    def _state(self, active):
        now = clock.ms()
        if active != self.alarm:
            self.alarm = active
            if active:
                soon = self._resumed_ms is not None and now - self._resumed_ms < self._quiet_s * 1000
                self._quiet_s = min(2 * self._quiet_s, QUIET_MAX_S) if soon else QUIET_S
        if active != self._shed:
            # apart too: a shed that ran out of memory half way (the moment it is for) is
            # tried again at the next report or check, not left undone for the episode
            names = [n for n in SHED_TASKS if n in self.sup.names()]
            if active:
                log.error("memory pressure: pausing %s for the alarm path", ", ".join(names) or "nothing")
                self.sup.pause(names)
                gc.collect()
            else:
                log.info("memory pressure over: resuming %s", ", ".join(names) or "nothing")
                self.sup.resume(names)
                self._resumed_ms = now
            self._shed = active
        if active != self._raised:
            # apart: raising it may itself run out of memory; the next report or
            # check tries again
            self.on_condition(active)
            self._raised = active
