# The annunciator: plays what the alarm engine says is loudest on the
# board's buzzer and light, as its own asyncio task.
#
#   ann = Annunciator(board.load(name), clock_ms=clock.ms, on_fault=fn, on_change=fn)
#   asyncio.create_task(ann.run())
#   ann.set(engine.loudest())     # after every engine call; returns at once
#   ann.show("ok" | "no_data" | "fault")   # the light when no alarm is active
#   ann.test() / ann.selftest() / ann.cue("reset_warn" | "reset_done" | "reset_cancel")
#   ann.stalled(now_ms, limit_ms)  # True: run() is not drawing changes (supervision)
#   ann.pause_in_ms(need_ms)       # when a step that blocks the loop spoils no burst
#   ann.stop(task)                # end a run() task (shutdown, or a restart replacing it)
#
# set(alarm) takes the engine's alarm dict ({"type", "priority", "status",
# "level", "volume" (the settings' volume, patterns.sound), ...}) or None, never blocks and never raises: the engine never
# waits on the annunciator. A sounding alarm starts its pattern at once
# (and interrupts a test or a cue; the boot's self-test, 1 s, it lets end
# first); a snoozed / acknowledged
# one shows its colour dimmed, silent.
# Failures (a PWM or pin that raises, a bad alarm dict or state, a bug in
# here) are reported through on_fault({"event": "device", "what": "buzzer" |
# "led" | "alarm_input" | "annunciator", "active": True, "error": "..."})
# (a bad alarm dict sounds as a high alarm) — and "active": False once
# it works again — while the task keeps running and retries each second.
# on_change({"event": "annunciator", "pattern", "alarm", "level"}) is called
# on each change of what is sounding/showing: pattern is the priority played
# ("high" | "medium" | "low"), "snoozed" | "acknowledged" | "at_leader" (a
# follower box, alarms.gate), "off" (all well),
# "no_data", "fault", "selftest", "test" or a cue name.
# The task sleeps until the next edge of the pattern; with nothing blinking
# or sounding it sleeps an hour, or until set() / show() wakes it.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
from sound import patterns
from sound.outputs import make_buzzer, make_led

_RETRY_MS = const(1000)
_IDLE_MS = const(3600000)  # nothing changes: look again after an hour anyway
_EDGE_MS = const(50)  # pause_in_ms: how long after a pulse's end a blocking step may start
# the least silence between two bursts when a change of the same priority starts the
# next one early: IEC 60601-1-8's shortest interburst interval (high and medium, 2.5 s)
BURST_GAP_MS = 2500
_LATE_MS = const(10)  # a wake-up this late for an edge is on time (a 100-ms pulse still 90 ms)


def _pause_ms(snd):
    """What a blocking step may use of the pause between a repeating sound's
    bursts (None: the sound does not repeat)."""
    return snd[1] - patterns.burst_ms(snd[0]) - _EDGE_MS if snd[1] else None


class Annunciator:
    def __init__(self, board, clock_ms=None, on_fault=None, on_change=None, calm_brightness=20):
        if clock_ms is None:
            import clock
            clock_ms = clock.ms
        self._board = board
        self._clock = clock_ms
        self._on_fault = on_fault
        self._on_change = on_change
        self.calm = calm_brightness
        self._buzzer = None
        self._led = None
        self.faults = {}  # what -> error text while failing
        self._task = None
        self._sleeping = False
        self._poked = False
        self._dirty = False
        self._key = None
        self._alarm = None  # (type, priority, level, sounding, sound, light, label)
        self._t0 = 0
        self._hold = None  # (sound, clock ms): a burst under way completes as it began
        self._gap_burst = None  # clock ms of a burst put off by a change (_same_priority_start)
        self._base = "ok"
        self._base_t0 = 0
        self._seq = None
        self._seq_name = None
        self._seq_t0 = 0
        self._shown = None
        self._pending_since = None  # clock ms of the oldest change run() has not drawn yet
        self._due = None            # clock ms of the pattern's next edge
        self._sound_due = None      # ... of the sound's (run() slips the rhythm when late for it)
        self._sound_burst = 0       # the length of the sound's burst (ms)
        self.wakeups = 0
        self.updates = 0  # set() calls so far

    # --- inputs (synchronous, never raise) ----------------------------------
    def set(self, alarm):
        self.updates += 1
        try:
            self._set(alarm)
            self._ok("alarm_input")
        except Exception as e:  # a malformed alarm: sound high, report it
            self._fault("alarm_input", e)
            self._set({"type": "device", "priority": "high", "status": "sounding", "level": 0})

    def _set(self, alarm):
        if alarm is None:
            key = None
        else:
            prio, level = patterns.effective(alarm["priority"], alarm.get("level", 0))
            status = alarm.get("status", "sounding")
            key = (alarm.get("type"), prio, level, status, alarm.get("volume", 100))
        if key == self._key:
            return
        self._key = key
        hold, self._hold = self._hold, None
        old, t0 = self._alarm, self._clock()
        if key is None:
            self._alarm = None
        else:
            typ, prio, level, status, volume = key
            sounding = status == "sounding"
            snd = patterns.sound(prio, level, volume) if sounding else None
            lt = patterns.light(prio)
            if not sounding:
                lt = (lt[0], 0, 0)
            self._alarm = (typ, prio, level, sounding, snd, lt, prio if sounding else status)
            if sounding:
                if old is not None and old[3] and old[1] == prio:
                    t0 = self._same_priority_start(old[4], snd, t0, hold)
                if self._seq is not None and self._seq_name == "selftest":
                    # the boot's chirp and lights play whole (a chirp says the box restarted,
                    # and they show a dead buzzer or LED), the alarm from its first burst
                    # right after them: an alarm restored through a reset cut them unheard
                    t0 = max(t0, self._seq_t0 + patterns.sequence_ms(self._seq))
                else:
                    self._seq = None  # a real alarm interrupts tests and cues
        self._t0 = t0
        self._poke()

    def _same_priority_start(self, was, snd, now, hold):
        # A sounding alarm of the same priority replaces another (another type,
        # an escalation level, a volume): the same sound keeps its rhythm, and a
        # burst under way completes as it began (one loudness within a burst),
        # the new sound from the next burst, after the new period, instead of
        # being cut and started again: a high burst cut after 5 pulses and played
        # again whole was heard as 15 irregular beeps. Between bursts a louder or
        # faster sound starts at once, but never sooner than BURST_GAP_MS after the
        # last burst ended: at once, a change just after a burst played a second
        # burst 50 ms after the first (20 high pulses ran together; 6
        # medium beeps in 2.3 s). A burst already held by an earlier change stays
        # held, with the sound it began with.
        if hold is not None and now < hold[1]:
            self._hold = hold
            return self._t0
        if snd == was:
            return self._t0
        due = self._gap_burst
        if due is not None and now < due and self._t0 == due - was[1]:
            # an earlier change already put the next burst off to `due` (its gap after
            # the last real burst): a second change keeps that, not a gap of its own
            # measured from the made-up start (two changes 1 s apart ran a
            # burst 1 s after the last)
            if snd[1] - (due - now) >= patterns.burst_ms(snd[0]):
                self._gap_burst = due
                return due - snd[1]
        t = now - self._t0
        if was[1]:
            t %= was[1]
        end = patterns.burst_ms(was[0])
        if 0 <= t < end:
            self._hold = (was, now - t + end)
            return now - t
        if snd[1] >= was[1] and snd[2] <= was[2]:
            # neither louder nor faster (a night volume): its rhythm goes on; a slower one
            # from the last burst's start, the next a new period after it (from the old
            # start its phase could fall inside a burst: pulses 5-10 of a high one 300 ms
            # after the last burst ended)
            return self._t0 if snd[1] == was[1] else now - t
        wait = BURST_GAP_MS - (t - end)
        if wait > 0 and snd[1] - wait >= patterns.burst_ms(snd[0]):
            # its first burst `wait` from now: silent until then, as in its period's tail
            self._gap_burst = now + wait
            return now + wait - snd[1]
        return now

    def show(self, state):
        if state not in patterns.BASE_STATES:
            self._fault("alarm_input", patterns.PatternError("unknown state %r" % (state,)))
            state = "fault"
        if state != self._base:
            self._base = state
            self._base_t0 = self._clock()
            self._poke()

    def _start(self, name, seq, over=False):
        if self._alarm is not None and self._alarm[3] and not over:
            return False  # never cover a sounding alarm (unless asked: see cue)
        self._seq, self._seq_name, self._seq_t0 = seq, name, self._clock()
        self._poke()
        return True

    def test(self):
        """Play every pattern once (the button's test gesture)."""
        return self._start("test", patterns.test_sequence())

    def selftest(self):
        """Start-up chirp and light sequence; returns its length in ms."""
        self._start("selftest", patterns.SELFTEST)
        return patterns.sequence_ms(patterns.SELFTEST)

    def cue(self, name, over=False):
        """Play a cue; refused (False) while an alarm sounds, unless `over`: the boot
        hold's over a technical alarm of the boot (app.wiring._boot_feedback)."""
        try:
            return self._start(name, patterns.cue(name), over)
        except Exception as e:
            self._fault("alarm_input", e)
            return False

    def busy(self):
        """True while a test, self-test or cue sequence plays."""
        return self._seq is not None

    def pause_in_ms(self, need_ms):
        """ms until the sounding alarm leaves need_ms without a pulse (0: now, also
        with nothing sounding). For a step that holds the event loop (a forwarder's
        TLS handshake): started in a pause, it does not stretch a pulse into a long
        tone or swallow the rest of a burst. need_ms is cut to the pattern's pause,
        so the wait is at most about one period. Never raises (0 on a fault)."""
        try:
            a = self._alarm
            if self._seq is not None or a is None or not a[3]:
                return 0
            snd, t0, hold = a[4], self._t0, self._hold
            pause = _pause_ms(snd)
            if pause is not None:
                need_ms = min(need_ms, pause)
            # the pause must have begun _EDGE_MS ago: run() switches the pulse off
            # at its end, and a step woken at the same moment may run first
            now = self._clock()
            t = now - _EDGE_MS
            for _ in range(64):  # a burst is at most 20 edges, a held one 20 more
                if hold is not None and t < hold[1]:
                    on, dt = patterns.sound_at(hold[0], t - t0)
                    if dt is None or t + dt > hold[1]:
                        dt = hold[1] - t
                else:
                    on, dt = patterns.sound_at(snd, t - t0)
                if not on and (dt is None or dt >= need_ms + _EDGE_MS):
                    return max(0, t + _EDGE_MS - now)
                t += dt
        except Exception:
            pass
        return 0

    def pause_fits(self, need_ms):
        """Whether the sounding alarm's pattern leaves need_ms without a pulse
        between its bursts (True with nothing sounding). pause_in_ms waits for at
        most its pause: a longer step would run into the next burst. Never raises
        (True on a fault)."""
        try:
            a = self._alarm
            if self._seq is not None or a is None or not a[3]:
                return True
            pause = _pause_ms(a[4])
            return pause is None or pause >= need_ms
        except Exception:
            return True

    # --- the task ----------------------------------------------------------
    async def run(self):
        me = self._task = asyncio.current_task()
        self._sleeping = self._poked = False
        self._shown = None  # a restarted run reports what it plays again
        try:
            while True:
                self.wakeups += 1
                self._dirty = False
                self._pending_since = None
                now = self._clock()
                try:
                    dt = self._step(now)
                    self._ok("annunciator")
                except Exception as e:  # a bug here must not end the task
                    self._fault("annunciator", e)
                    dt = _RETRY_MS
                if self._dirty:  # set() from inside a callback of this step
                    continue
                self._due = None if dt is None else now + max(dt, 1)
                self._sleeping = True
                try:
                    await asyncio.sleep_ms(_IDLE_MS if dt is None else max(dt, 1))
                except asyncio.CancelledError:
                    # a poke of this run is "look again"; anything else (shutdown,
                    # or a run that was replaced by a restart) ends it
                    if self._task is not me or not self._poked:
                        raise
                self._sleeping = False
                if not self._poked and self._sound_due is not None:
                    self._slip(self._clock() - self._sound_due)
                self._poked = False
        finally:
            if self._task is me:
                self._task = None
                self._sleeping = False

    def _slip(self, late):
        # Woken late for an edge of the sound (another task held the loop: a collection,
        # a reading's judging, a display frame): the rhythm slips by that much. Drawn
        # where it should be by then, a pulse started 30 ms late sounded 70 ms (IEC's
        # least for a high pulse: 75) and one 100 ms late not at all: a high burst of 9
        # beeps is no longer a high alarm's. A block longer than a burst (a name lookup)
        # does not move the rhythm: its next burst would come that much late.
        if not _LATE_MS < late <= self._sound_burst:
            return
        self._t0 += late
        self._seq_t0 += late
        if self._hold is not None:
            self._hold = (self._hold[0], self._hold[1] + late)
        if self._gap_burst is not None:
            self._gap_burst += late

    def stop(self, task):
        """End the run() task `task` (shutdown, or a restart replacing it). Use
        this, not task.cancel(): a cancellation that meets a poke not yet
        handled would be taken for the poke's "look again", and the run would
        live on beside its replacement."""
        if self._task is task:
            self._task = None
            self._sleeping = self._poked = False
        task.cancel()

    def stalled(self, now, limit_ms):
        """True when run() has left a change undrawn, or a pattern edge unplayed,
        for more than limit_ms: the task is not running (for its supervisor)."""
        p, due = self._pending_since, self._due
        return (p is not None and now - p > limit_ms) or (due is not None and now - due > limit_ms)

    def _poke(self):
        # Wake the task now: cancelling a sleeping task throws CancelledError
        # into its sleep, which run() takes as "look again". (No Event +
        # wait_for: that costs two tasks per edge.)
        self._dirty = True
        if self._pending_since is None:
            self._pending_since = self._clock()
        if self._sleeping and self._task is not None:
            self._sleeping = False
            self._poked = True
            self._task.cancel()

    def _step(self, now):
        """Drive the outputs for `now`; return ms until the next change (None: none)."""
        snd = lt = None
        bright = 100
        t = 0
        typ = None
        level = 0
        nxt = None
        if self._seq is not None:
            at = patterns.sequence_at(self._seq, now - self._seq_t0)
            if at is None:
                self._seq = None
            else:
                step, t, nxt = at
                snd, lt = step[1], step[2]
                label = self._seq_name
        if self._seq is None:
            a = self._alarm
            if a is not None:
                typ, level, snd, lt, label = a[0], a[2], a[4], a[5], a[6]
                t = now - self._t0
                hold = self._hold
                if hold is not None and now < hold[1]:
                    snd = hold[0]  # the same pulses, as loud as the burst began
                    nxt = hold[1] - now
                if not a[3]:
                    bright = patterns.PAUSED_BRIGHTNESS
            else:
                lt = patterns.light(self._base)
                t = now - self._base_t0
                label = "off" if self._base == "ok" else self._base
                if self._base == "ok":
                    bright = self.calm
                elif self._base == "no_data":
                    # a hint, not an alarm (no_data sounds later): dim, and never
                    # dimmer than an answered alarm whatever the calm light's brightness
                    bright = max(self.calm, patterns.PAUSED_BRIGHTNESS)
        on, dt = patterns.sound_at(snd, t) if snd else (False, None)
        nxt = _min(nxt, dt)
        self._sound_due = None if not snd or nxt is None else now + nxt   # (before the light's)
        self._sound_burst = patterns.burst_ms(snd[0]) if snd else 0
        if lt is None:
            rgb = patterns.OFF
        else:
            lit, dt = patterns.light_at(lt, t)
            nxt = _min(nxt, dt)
            rgb = _scale(lt[0], bright) if lit else patterns.OFF
        if snd:
            self._drive_buzzer(on, snd[3], snd[2])
        else:
            self._drive_buzzer(False, 0, 0)
        self._drive_led(rgb)
        shown = (label, typ, level)
        if shown != self._shown:
            self._shown = shown
            self._notify({"event": "annunciator", "pattern": label, "alarm": typ, "level": level})
        if "buzzer" in self.faults or "led" in self.faults:
            nxt = _min(nxt, _RETRY_MS)
        return nxt

    def _drive_buzzer(self, on, freq, duty):
        try:
            if self._buzzer is None:
                self._buzzer = make_buzzer(self._board["buzzer"])
            self._buzzer.set(on, freq, duty)
            if on:   # only a tone proves it: a PWM that takes the silence between pulses but
                self._ok("buzzer")   # refuses every tone never sounds
        except Exception as e:
            self._buzzer = None  # re-create on the next try
            self._fault("buzzer", e)

    def _drive_led(self, rgb):
        try:
            if self._led is None:
                self._led = make_led(self._board["led"])
            self._led.set(rgb)
            if rgb != patterns.OFF:   # (as the buzzer: only a light proves it)
                self._ok("led")
        except Exception as e:
            self._led = None
            self._fault("led", e)

    # --- reporting ---------------------------------------------------------
    def _fault(self, what, err):
        msg = "%s: %s" % (type(err).__name__, err)
        if self.faults.get(what) == msg:
            return
        # a report the reporter failed to take (out of memory) is made again at the
        # next failure, not lost: "" still counts as failing (retries, muted)
        told = self._notify_fault({"event": "device", "what": what, "active": True, "error": msg})
        self.faults[what] = msg if told else ""

    def _ok(self, what):
        if what in self.faults and self._notify_fault({"event": "device", "what": what, "active": False}):
            del self.faults[what]   # (else told again at the next success)

    def _notify_fault(self, ev):
        if self._on_fault is not None:
            try:
                self._on_fault(ev)
            except Exception:
                return False  # the reporter failing must not stop the sound
        return True

    def _notify(self, ev):
        if self._on_change is not None:
            try:
                self._on_change(ev)
            except Exception:
                pass


def _min(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def _scale(rgb, pct):
    if pct >= 100:
        return rgb
    return (rgb[0] * pct // 100, rgb[1] * pct // 100, rgb[2] * pct // 100)
