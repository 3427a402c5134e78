# One button, debounced, read as gestures:
#   short press (released before long_ms)          -> on_snooze()
#   long press (held long_ms; fires while held)    -> on_ack()
#   test_presses short presses, each within gap_ms -> on_test()  (the first
#                                                     press has snoozed already;
#                                                     not when that snooze answered
#                                                     an alarm: on_snooze() true)
#   held on for setup_ms (after the acknowledge)   -> on_setup()  (open the setup access point)
#   held at boot for reset_ms, then released within
#     release_ms of the "reset_done" cue           -> on_factory_reset(), by boot_hold()
#   held longer than stuck_ms (at boot: still held release_ms after "reset_done")
#                                                  -> on_fault(... "stuck" ...) until released,
#                                                     and on_unack(ms) (ms: the gesture's age): what
#                                                     its presses answered is taken back, a book on
#                                                     the button is no person answering
#
#   btn = Buttons(board["button"], on_snooze=..., on_ack=..., on_test=...,
#                 on_factory_reset=..., feedback=ann.cue, clock_ms=clock.ms)
#   if await btn.boot_hold(): ...        # once at start-up, before run()
#   asyncio.create_task(btn.run())
#
# The pin IRQ only sets a ThreadSafeFlag; the task sleeps on it while the
# button is idle and samples every sample_ms only during a gesture. A level
# counts once it has been stable for debounce_ms (contact bounce is ignored).
# Callbacks take no arguments; an exception in one is reported through
# on_fault({"event": "device", "what": ACTION, "active": True, "error"}),
# {"active": False} once every failed callback has worked again, and does not
# stop the task. A stuck or shorted button is reported as "what": "button" with
# "error": "stuck", and {"active": False} once it is released: it
# gives no further gesture while held. A report on_fault refuses (raises: out of
# memory) is made again: "stuck" at the next poll while held, its clear after
# each gesture, a callback's clear at its next success. feedback(name) plays a cue during the
# boot hold: "reset_warn" each second while held, "reset_done" at reset_ms
# (release now to confirm), "reset_cancel" when released early or stuck. A
# "reset_done" that feedback refuses (returns False: an alarm the person may be
# answering sounds) or that fails (raises: nothing was heard) wipes nothing: the
# hold acknowledges that alarm instead; once a cue is refused the hold is an
# ordinary press over that alarm (a snooze when released before long_ms, an
# acknowledge at long_ms).
# A factory reset needs the release: a button shorted at power-on must not
# wipe the box.
import asyncio
import machine

ACTION = "button_action"   # the device alarm's reason for a callback that failed


class Buttons:
    def __init__(self, cfg, on_snooze=None, on_ack=None, on_test=None, on_factory_reset=None,
                 feedback=None, on_fault=None, clock_ms=None, debounce_ms=30, sample_ms=5,
                 long_ms=1500, gap_ms=500, test_presses=3, reset_ms=10000, on_setup=None,
                 setup_ms=6000, release_ms=10000, stuck_ms=60000, on_unack=None):
        if clock_ms is None:
            import clock
            clock_ms = clock.ms
        self._clock = clock_ms
        self.on_snooze, self.on_ack, self.on_test = on_snooze, on_ack, on_test
        self.on_unack = on_unack
        self.on_factory_reset, self.feedback, self.on_fault = on_factory_reset, feedback, on_fault
        self.debounce_ms, self.sample_ms = debounce_ms, sample_ms
        self.long_ms, self.gap_ms, self.test_presses = long_ms, gap_ms, test_presses
        self.reset_ms, self.release_ms, self.stuck_ms = reset_ms, release_ms, stuck_ms
        self.stuck = False  # a stuck button is being reported
        self._failing = set()   # callbacks whose last call raised (reported as ACTION)
        self.on_setup, self.setup_ms = on_setup, setup_ms
        pull = {"up": machine.Pin.PULL_UP, "down": machine.Pin.PULL_DOWN}.get(cfg.get("pull"))
        if pull is None:
            self.pin = machine.Pin(cfg["pin"], machine.Pin.IN)
        else:
            self.pin = machine.Pin(cfg["pin"], machine.Pin.IN, pull)
        self._active = 0 if cfg.get("active_low", True) else 1
        self._flag = asyncio.ThreadSafeFlag()
        self.pin.irq(self._irq, machine.Pin.IRQ_FALLING | machine.Pin.IRQ_RISING)
        self.pressed = False  # debounced state
        self._after_boot = None   # (release ms, answered) of a boot hold's short press

    def _irq(self, pin):
        self._flag.set()

    def _raw(self):
        return self.pin.value() == self._active

    async def _settle(self):
        """Sample until the raw level has been stable for debounce_ms; return it."""
        level = self._raw()
        since = self._clock()
        while self._clock() - since < self.debounce_ms:
            await asyncio.sleep_ms(self.sample_ms)
            r = self._raw()
            if r != level:
                level, since = r, self._clock()
        return level

    def _call(self, fn, *args):
        if fn is None:
            return None
        try:
            r = fn(*args)
        except Exception as e:
            # its own reason, cleared when that callback works again: reported as
            # "button" it stayed a stuck button until a reboot (one
            # MemoryError in a snooze; the screen said "button stuck")
            self._failing.add(fn)
            self._report(True, e, ACTION)
            return None
        if fn in self._failing and (len(self._failing) > 1 or self._report(False, None, ACTION)):
            self._failing.discard(fn)   # (a clear refused is made again at its next success)
        return r

    def _cue(self, name):
        """A boot-hold cue: False when the feedback refused it (an alarm sounds) or
        failed (raised: nothing was heard, so no release may confirm a wipe)."""
        return self._call(self.feedback, name) is not False and self.feedback not in self._failing

    def _report(self, active, error=None, what="button"):
        """False when the reporter refused it (out of memory): the caller tells it again."""
        if self.on_fault is None:
            return True
        try:
            ev = {"event": "device", "what": what, "active": active}
            if error:
                ev["error"] = error if isinstance(error, str) else "%s: %s" % (type(error).__name__, error)
            self.on_fault(ev)
            return True
        except Exception:
            return False

    def _set_stuck(self, stuck):
        # recorded only once told: a refused report is made again at the next poll while
        # held (a clear, after each gesture: run), not lost with the button stuck unheard
        if stuck != self.stuck and self._report(stuck, "stuck" if stuck else None):
            self.stuck = stuck

    async def _wait_release(self, since=None):
        """A stuck button: report it (and take back what the gesture begun at
        `since` answered), poll slowly until it is released, clear it."""
        self._set_stuck(True)
        if since is not None:
            self._call(self.on_unack, self._clock() - since)
        while await self._settle():
            await asyncio.sleep_ms(200)
            self._set_stuck(True)
        self._set_stuck(False)

    async def boot_hold(self):
        """At start-up: True (after on_factory_reset) when the button was held
        for reset_ms and then released within release_ms of the "reset_done"
        cue; False at once when it is not pressed, when released early, or
        when still held release_ms after "reset_done" (stuck: reported through
        on_fault until released). Returns only after the button is released."""
        if not await self._settle():
            return False
        self.pressed = True   # (as in run(): app.wiring's forwarders hold no step while it is down)
        t0 = self._clock()
        beeps = 0
        refused = False   # the last cue was refused: an alarm sounds (restored through a reset)
        while True:
            held = self._clock() - t0
            if held >= self.reset_ms:
                break
            if held >= (beeps + 1) * 1000:
                beeps += 1
                refused = not self._cue("reset_warn")
            if refused and held >= self.long_ms:
                break   # a long press over that alarm, as after boot (it sounded on to 10 s)
            await asyncio.sleep_ms(50)
            if not await self._settle():
                self.pressed = False
                if not self._cue("reset_cancel"):
                    # released over a sounding alarm: the press answers it as after boot
                    # (it answered nothing, and the alarm sounded on); a short one is the
                    # first press of run()'s gesture (a quick second press answers no more)
                    if held < self.long_ms:
                        self._after_boot = (self._clock(), self._call(self.on_snooze))
                    else:
                        self._call(self.on_ack)
                return False
        released = False
        if refused or not self._cue("reset_done"):
            # the cue was not played: an alarm the person holding may be answering
            # sounds (the feedback refuses it over those: app.wiring._boot_feedback),
            # so this is no request to wipe the box; wiping unheard lost the
            # transmitter id and every alarm after it. A long press then:
            # the alarm is acknowledged
            self._call(self.on_ack)
            t_ack = self._clock()
            while await self._settle():
                if self._clock() - t_ack >= self.stuck_ms:
                    await self._wait_release(t0)
                    break
                await asyncio.sleep_ms(50)
        else:
            t_done = self._clock()   # release now to confirm
            while self._clock() - t_done < self.release_ms:
                if not await self._settle():
                    released = True
                    break
                await asyncio.sleep_ms(50)
            if released:
                self._call(self.on_factory_reset)
            else:
                self._call(self.feedback, "reset_cancel")
                await self._wait_release()
        self._flag.clear()
        self.pressed = False
        return released

    async def run(self):
        while True:
            if not self._raw():
                self._set_stuck(False)   # (up: a clear refused at the release, again)
                await self._flag.wait()
            await self._gesture()

    async def _gesture(self):
        count = 0
        long_fired = setup_fired = answered = False
        carry, self._after_boot = self._after_boot, None
        if carry is not None and self._clock() - carry[0] < self.gap_ms:
            count, answered = 1, carry[1]   # the boot hold's press was this gesture's first
        t_down = t_up = t_start = self._clock()
        while True:
            level = await self._settle()
            now = self._clock()
            if level and not self.pressed:  # press
                self.pressed = True
                t_down = now
                long_fired = False
            elif not level and self.pressed:  # release
                self.pressed = False
                t_up = now
                if not long_fired:
                    count += 1
                    if count == 1:
                        answered = self._call(self.on_snooze)
                    if count == self.test_presses:
                        # a parent pressing again and again at an alarm: its first press
                        # answered it; the rest must not play every pattern at full loudness
                        if not answered:
                            self._call(self.on_test)
                        count = 0
            if self.pressed:
                if now - t_down >= self.stuck_ms:
                    # no gesture from a stuck button; a bounce as a book landed was a short
                    # press (a snooze) before the long one: the whole gesture is taken back
                    await self._wait_release(t_start)
                    self.pressed = False
                    self._flag.clear()
                    return
                if not long_fired and now - t_down >= self.long_ms:
                    long_fired = True
                    count = 0
                    self._call(self.on_ack)
                elif (long_fired and not setup_fired and self.on_setup is not None
                      and now - t_down >= self.setup_ms):
                    setup_fired = True
                    self._call(self.on_setup)
            elif now - t_up >= self.gap_ms or (count == 0 and long_fired):
                self._flag.clear()
                return
            await asyncio.sleep_ms(self.sample_ms)
