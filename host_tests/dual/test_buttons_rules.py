# The button's rules (sound/buttons.py, its module comment), the ones
# `python tools/mutation.py --package sound --only buttons --mpy` found unpinned
# by test_sound.py (61.1%): a press is timed from its own start; presses more
# than gap_ms apart are gestures of their own (each snoozes); a missing callback
# is no fault, a failing one is reported and the task goes on; the pin's pull
# and active level from the board file (active low unless it says otherwise);
# the task sleeps while the button is idle and polls slowly while it is stuck;
# a stuck button gives no gesture, and the next press after it is an ordinary
# one; the boot hold's warnings each second, counted from the hold's start
# on any clock, and its release window. The button, the clock and asyncio are
# stand-ins whose sleeps move the clock on (nothing is slept). Runs on CPython
# and MicroPython.
from async_steps import finish
from sound import buttons

BOARD = {"pin": 32, "pull": "up", "active_low": True}
T0 = 5000000            # the clock at the start: not 0, so t - t0 and t + t0 differ


class Stop(Exception):
    pass


class Pin:
    IN, PULL_UP, PULL_DOWN, IRQ_FALLING, IRQ_RISING = 1, 2, 1, 2, 1
    made = []

    def __init__(self, *args):
        Pin.made.append(args)
        self.rig = Rig.current

    def irq(self, handler, trigger):
        self.rig.irq = (handler, trigger)

    def value(self):
        self.rig.reads += 1
        down = self.rig.held(self.rig.now)
        return (0 if down else 1) if self.rig.active_low else (1 if down else 0)


class Machine:
    Pin = Pin


class Flag:
    """asyncio.ThreadSafeFlag, set by the pin's IRQ handler (if the button registered one
    for that edge); wait() moves the clock from edge to edge until it is set."""

    def __init__(self, rig):
        self.rig, self.is_set = rig, False

    def set(self):
        self.is_set = True

    def clear(self):
        self.is_set = False

    async def wait(self):
        while not self.is_set:
            nxt = [t for t in self.rig.edges() if t > self.rig.now]
            if not nxt or nxt[0] >= self.rig.until:
                raise Stop()      # nothing will ever set it
            self.rig.now = nxt[0]
            self.rig.fire(nxt[0])
        self.is_set = False


class Aio:
    def __init__(self, rig):
        self.rig = rig

    def ThreadSafeFlag(self):   # noqa: N802 (asyncio's name)
        return Flag(self.rig)

    async def sleep_ms(self, ms):
        self.rig.pass_ms(ms)


class Rig:
    """Buttons over a scripted button: presses = [(down_ms, up_ms or None)] after T0;
    `chatter` = [(t, held)]: raw levels for 1 ms at those instants (contact bounce)."""
    current = None

    def __init__(self, presses, board=BOARD, until_s=60, chatter=(), **callbacks):
        self.presses = [(T0 + a, None if b is None else T0 + b) for a, b in presses]
        self.chatter = {T0 + t: v for t, v in chatter}
        self.active_low = board.get("active_low", True)
        self.now, self.until = T0, T0 + int(until_s * 1000)
        self.calls, self.faults, self.reads, self.sleeps = [], [], 0, 0
        self.irq = None
        real = buttons.machine, buttons.asyncio
        buttons.machine, buttons.asyncio = Machine, Aio(self)
        Rig.current = self
        self.unack_ms = []      # the gesture's age each on_unack was given
        kw = {"on_snooze": self._hit("snooze"), "on_ack": self._hit("ack"), "on_unack": self._unack,
              "on_test": self._hit("test"), "on_setup": self._hit("setup"),
              "on_factory_reset": self._hit("factory_reset"), "feedback": self._cue,
              "on_fault": self.faults.append}
        kw.update(callbacks)
        try:
            self.btn = buttons.Buttons(board, clock_ms=lambda: self.now, **kw)
        finally:
            buttons.machine, buttons.asyncio = real
        self._real = real

    def _hit(self, name):
        return lambda: self.calls.append((name, self.now - T0))

    def _unack(self, ms):
        self.unack_ms.append(ms)
        self.calls.append(("unack", self.now - T0))

    def _cue(self, name):
        self.calls.append((name, self.now - T0))

    def held(self, t):
        for c in self.chatter:
            if c <= t < c + 1:
                return self.chatter[c]
        return any(a <= t and (b is None or t < b) for a, b in self.presses)

    def edges(self):
        ts = set(self.chatter) | set(c + 1 for c in self.chatter)
        for a, b in self.presses:
            ts.add(a)
            if b is not None:
                ts.add(b)
        return sorted(ts)

    def fire(self, t):
        """The pin's IRQ at an edge at t, when the button asked for that edge."""
        if self.irq is None:
            return
        down = self.held(t)
        high = (0 if down else 1) if self.active_low else (1 if down else 0)
        handler, trigger = self.irq
        if trigger & (Pin.IRQ_RISING if high else Pin.IRQ_FALLING):
            handler(self.btn.pin)

    def pass_ms(self, ms):
        self.sleeps += 1
        end = self.now + ms
        for t in self.edges():
            if self.now < t <= end:
                self.fire(t)
        self.now = end
        if end >= self.until:
            raise Stop()

    def drive(self, coro):
        """Run a coroutine of the button's until it returns (its value) or the rig's end."""
        buttons.machine, buttons.asyncio = Machine, Aio(self)
        try:
            return finish(coro)
        except Stop:
            return Stop
        finally:
            buttons.machine, buttons.asyncio = self._real

    def run(self):
        return self.drive(self.btn.run())

    def names(self):
        return [n for n, _ in self.calls]


def test_presses_more_than_a_gap_apart_each_snooze():
    # the gesture ends gap_ms after a release: a later press starts a new one
    r = Rig([(1000, 1200), (3000, 3200), (6000, 6150)])
    r.run()
    assert r.names() == ["snooze", "snooze", "snooze"], r.calls
    # each at its release, once it is stable for the debounce
    assert 1230 <= r.calls[0][1] <= 1240 and 3230 <= r.calls[1][1] <= 3240, r.calls


def test_each_press_of_a_series_is_timed_from_its_own_start():
    # a short press, then a second within the gap held for a second: not long (1.5 s)
    r = Rig([(1000, 1400), (1800, 2800)], until_s=10)
    r.run()
    assert r.names() == ["snooze"], r.calls
    # the same second press held 1.6 s is an acknowledge, 1.5 s after it began
    r = Rig([(1000, 1400), (1800, 3400)], until_s=10)
    r.run()
    assert r.names() == ["snooze", "ack"] and 3300 <= r.calls[1][1] <= 3380, r.calls


def test_a_long_press_acknowledges_while_held_and_does_not_snooze():
    r = Rig([(1000, 4000)], until_s=10)
    r.run()
    assert r.names() == ["ack"] and 2500 <= r.calls[0][1] <= 2580, r.calls


def test_three_quick_presses_are_the_test_after_the_first_snoozed():
    r = Rig([(1000, 1120), (1300, 1420), (1600, 1720)], until_s=10)
    r.run()
    assert r.names() == ["snooze", "test"], r.calls


def test_three_quick_presses_at_a_sounding_alarm_snooze_it_and_play_no_test():
    # a half-awake parent hammering the button at an alarm: the first press snoozes it
    # (on_snooze true: it answered something); the third must not play every pattern at
    # full loudness (15 s of high, medium and low at 3 a.m.)
    r = Rig([(1000, 1120), (1300, 1420), (1600, 1720)], until_s=10)
    calls = r.calls
    r.btn.on_snooze = lambda: calls.append(("snooze", r.now - T0)) or True
    r.run()
    assert r.names() == ["snooze"], r.calls
    # the count starts again after the three: three more at nothing sounding are the test
    r = Rig([(1000, 1120), (1300, 1420), (1600, 1720), (1900, 2020), (2200, 2320), (2500, 2620)],
            until_s=10)
    answers = [True]

    def snooze():
        r.calls.append(("snooze", r.now - T0))
        return answers.pop() if answers else False
    r.btn.on_snooze = snooze
    r.run()
    assert r.names() == ["snooze", "snooze", "test"], r.calls


def test_the_count_starts_again_after_a_test_and_after_an_acknowledge():
    # four quick presses: the fourth starts a new count (a snooze)
    r = Rig([(1000, 1120), (1300, 1420), (1600, 1720), (1900, 2020)], until_s=10)
    r.run()
    assert r.names() == ["snooze", "test", "snooze"], r.calls
    # a short press, a long one within the gap, then a short one just after the long
    # one's release: snooze, acknowledge, snooze (not the second press of a series)
    r = Rig([(1000, 1120), (1300, 3300), (3500, 3600)], until_s=10)
    r.run()
    assert r.names() == ["snooze", "ack", "snooze"], r.calls


def test_holding_on_after_the_acknowledge_opens_the_setup_once():
    r = Rig([(1000, 9000)], until_s=15)
    r.run()
    assert r.names() == ["ack", "setup"] and 7000 <= r.calls[1][1] <= 7080, r.calls


def test_contact_bounce_shorter_than_the_debounce_is_no_press():
    r = Rig([], chatter=[(1000, True), (1002, True), (1004, True)], until_s=10)
    r.run()
    assert r.calls == [] and r.faults == [], (r.calls, r.faults)


def test_a_missing_callback_is_no_fault_and_a_failing_one_is_reported():
    r = Rig([(1000, 1120), (1300, 1420), (1600, 1720)], until_s=10, on_test=None)
    r.run()
    assert r.names() == ["snooze"] and r.faults == [], (r.calls, r.faults)

    def broken():
        raise ValueError("nope")
    r = Rig([(1000, 1200), (3000, 4800)], until_s=10, on_snooze=broken)
    r.run()
    assert r.faults == [{"event": "device", "what": "button_action", "active": True,
                         "error": "ValueError: nope"}], r.faults
    assert r.names() == ["ack"], r.calls      # the task went on


def test_a_callback_that_failed_once_is_cleared_when_it_works_again_and_is_no_stuck_button():
    # review28: one MemoryError in a snooze was reported as "button" (the screen: "button
    # stuck") and never cleared: the device alarm re-sounded hourly until a reboot
    fails = [True]
    calls = []

    def snooze():
        calls.append("snooze")
        if fails[0]:
            fails[0] = False
            raise MemoryError("memory allocation failed")
    r = Rig([(1000, 1200), (3000, 3200), (5000, 5200)], until_s=10, on_snooze=snooze)
    r.run()
    assert calls == ["snooze"] * 3, calls
    assert [(f["what"], f["active"]) for f in r.faults] == [("button_action", True),
                                                            ("button_action", False)], r.faults
    # two callbacks failing: cleared only once both worked again
    state = {"snooze": True, "ack": True}

    def hit(name):
        def fn():
            if state[name]:
                state[name] = False
                raise ValueError(name)
        return fn
    r = Rig([(1000, 1200), (3000, 4800), (7000, 7200), (9000, 10800)], until_s=14,
            on_snooze=hit("snooze"), on_ack=hit("ack"))
    r.run()
    assert [f["active"] for f in r.faults] == [True, True, False], r.faults


def test_the_pin_is_made_with_the_board_files_pull():
    del Pin.made[:]
    Rig([], board={"pin": 32, "pull": "up", "active_low": True})
    Rig([], board={"pin": 33, "pull": "down", "active_low": False})
    Rig([], board={"pin": 37, "pull": None, "active_low": True})    # M5StickC: input-only
    assert Pin.made == [(32, Pin.IN, Pin.PULL_UP), (33, Pin.IN, Pin.PULL_DOWN), (37, Pin.IN)], Pin.made


def test_the_active_level_is_low_unless_the_board_file_says_high():
    for board in ({"pin": 32, "pull": "up"}, {"pin": 33, "pull": "down", "active_low": False}):
        r = Rig([(1000, 1200)], board=board, until_s=5)
        r.run()
        assert r.names() == ["snooze"], (board, r.calls)


def test_an_idle_button_sleeps_until_an_edge():
    # an hour without a press: the task waits on the IRQ's flag, no sampling
    r = Rig([(3600000, 3600200)], until_s=3700)
    r.run()
    assert r.names() == ["snooze"], r.calls
    assert r.sleeps < 1000 and r.reads < 1000, (r.sleeps, r.reads)


def test_a_stuck_button_gives_no_gesture_is_polled_slowly_and_the_next_press_is_ordinary():
    # held 10 min (a book on it), released; then a short press and a long press
    r = Rig([(1000, 601000), (610000, 610200), (620000, 622000)], until_s=630)
    r.run()
    stuck = [f for f in r.faults if f.get("error") == "stuck"]
    assert len(stuck) == 1 and r.faults[-1] == {"event": "device", "what": "button",
                                                 "active": False}, r.faults
    # the acknowledge at 1.5 s, taken back once the hold is found stuck (a book is no
    # person answering), nothing more while stuck; then a snooze and an ack
    assert r.names() == ["ack", "setup", "unack", "snooze", "ack"], r.calls
    assert 61000 <= r.calls[2][1] <= 61100, r.calls
    assert [f.get("error") for f in r.faults[:1]] == ["stuck"], r.faults
    assert 60000 <= r.unack_ms[0] <= 60100, r.unack_ms     # back to the gesture's first press
    assert 621400 <= r.calls[4][1] <= 621580, r.calls
    # polled slowly while stuck (200 ms between polls): under 50 reads a second
    assert r.reads < 50 * 630, r.reads


def test_a_book_that_bounced_as_it_landed_takes_back_its_snooze_too():
    # helper-139: a first contact longer than the debounce is a short press (a snooze)
    # before the rest is a long one; the take-back reaches back to that first press
    r = Rig([(1000, 1060), (1120, None)], until_s=70)
    r.run()
    assert r.names() == ["snooze", "ack", "setup", "unack"], r.calls
    t_unack = r.calls[3][1]
    assert 1000 <= t_unack - r.unack_ms[0] <= 1100, (r.calls, r.unack_ms)


def test_a_long_hold_released_before_it_counts_as_stuck_keeps_its_acknowledgement():
    r = Rig([(1000, 60900)], until_s=70)
    r.run()
    assert r.names() == ["ack", "setup"] and r.faults == [], (r.calls, r.faults)


def _boot(presses, until_s=40):
    r = Rig(presses, until_s=until_s)
    return r, r.drive(r.btn.boot_hold())


def test_the_boot_hold_warns_each_second_and_resets_only_on_a_release_in_time():
    r, done = _boot([(0, 12000)])
    assert done is True and r.names() == ["reset_warn"] * 9 + ["reset_done", "factory_reset"], r.calls
    warns = [t for n, t in r.calls if n == "reset_warn"]
    assert all(0 <= t - 1000 * (i + 1) <= 200 for i, t in enumerate(warns)), warns
    assert 10000 <= r.calls[9][1] <= 10150, r.calls
    assert 12000 <= r.calls[10][1] <= 12100, r.calls     # at the release, not the window's end


def test_a_hold_at_boot_under_a_sounding_alarm_acknowledges_it_and_wipes_nothing():
    # review28: a parent holding the button to silence an alarm as the box restarts
    # (the watchdog's reset) let go 10-20 s after boot: the box wiped itself without
    # the rising triple (the annunciator never covers an alarm), lost its transmitter
    # id and sounded no glucose alarm for the rest of the night
    refused = []

    def cue(name):
        refused.append(name)
        return False          # an alarm sounds: no cue is played
    r = Rig([(0, 12000)], until_s=40, feedback=cue)
    done = r.drive(r.btn.boot_hold())
    assert done is False and "factory_reset" not in r.names(), r.calls
    # an ordinary long press over it: acknowledged at 1.5 s (it sounded on to 10 s)
    assert r.names() == ["ack"] and 1500 <= r.calls[0][1] <= 1650, r.calls
    assert refused == ["reset_warn"], refused
    assert r.faults == [] and 12000 <= r.now - T0 <= 12200, (r.faults, r.now - T0)
    # held on and on: then it is a stuck button (reported until released), and the
    # acknowledgement it made is taken back
    r = Rig([(0, 90000)], until_s=120, feedback=cue)
    assert r.drive(r.btn.boot_hold()) is False and r.names() == ["ack", "unack"], r.calls
    assert 61500 <= r.calls[1][1] <= 61700, r.calls
    assert 61500 <= r.unack_ms[0] <= 61700, r.unack_ms     # the whole hold, from power-on
    assert [f.get("active") for f in r.faults] == [True, False], r.faults
    # a feedback that plays (returns True or nothing) still confirms as before
    r, done = _boot([(0, 12000)])
    assert done is True


def test_a_boot_hold_whose_cues_fail_wipes_nothing():
    # helper-244: a feedback that raised (a broken engine or annunciator) was taken as a
    # cue played, so a release after 10 s wiped the box with no rising triple heard:
    # now it is a refused cue, the hold a long press that acknowledges
    def broken(name):
        raise MemoryError("cue")
    r = Rig([(0, 12000)], until_s=40, feedback=broken)
    assert r.drive(r.btn.boot_hold()) is False and "factory_reset" not in r.names(), r.calls
    assert r.names() == ["ack"] and 1500 <= r.calls[0][1] <= 1650, r.calls
    assert r.faults and r.faults[0]["active"] is True and "MemoryError" in r.faults[0]["error"], r.faults


def test_a_boot_hold_whose_rising_triple_fails_wipes_nothing():
    # the warning cues played, the "reset_done" one raised (a MemoryError building the
    # rising triple): nothing told the person to let go, so the release within 10 s is no
    # request to wipe the box; the hold acknowledges at reset_ms, as over a refused cue
    def fails_at_done(name):
        if name == "reset_done":
            raise MemoryError("cue")
        return True
    r = Rig([(0, 11000)], until_s=40, feedback=fails_at_done)
    assert r.drive(r.btn.boot_hold()) is False and "factory_reset" not in r.names(), r.calls
    assert r.names() == ["ack"] and 10000 <= r.calls[0][1] <= 10150, r.calls
    assert r.faults and "MemoryError" in r.faults[0]["error"], r.faults


def test_a_hold_let_go_past_long_ms_as_an_alarm_begins_acknowledges_it():
    # the warning cue at 1 s played (nothing sounded yet); the alarm begins before the
    # release at 1.8 s, whose cancel cue is refused: the hold was a long press over it
    def cue(name):
        return name != "reset_cancel"
    for hold, want in ((1200, ["snooze"]), (1800, ["ack"])):
        r = Rig([(0, hold)], until_s=20, feedback=cue)
        assert r.drive(r.btn.boot_hold()) is False and r.names() == want, (hold, r.calls)


def test_a_press_at_boot_over_a_sounding_alarm_answers_it_as_after_boot():
    # a parent pressing at an alarm restored through a reset (it sounds again within 5 s)
    # as the buttons task starts: a press of 0.5 s or 1.5-10 s answered nothing, and the
    # alarm sounded on
    def cue(name):
        return False          # an alarm sounds: no cue is played
    for hold, want in ((500, ["snooze"]), (1200, ["snooze"]), (4000, ["ack"])):
        r = Rig([(0, hold)], until_s=20, feedback=cue)
        assert r.drive(r.btn.boot_hold()) is False, hold
        assert r.names() == want, (hold, r.calls)
    # a quick second press (within gap_ms) is the same gesture's, as after boot: it answers
    # no second alarm (it snoozed the next one, nobody had heard); the third is the test
    # gesture's, as after boot (here the snooze answered nothing: the rig's returns None)
    for presses, want in (([(0, 300), (600, 800)], ["snooze"]),
                          ([(0, 300), (600, 800), (1100, 1300)], ["snooze", "test"]),
                          ([(0, 300), (1400, 1600)], ["snooze", "snooze"])):   # a new gesture
        r = Rig(presses, until_s=20, feedback=cue)
        assert r.drive(r.btn.boot_hold()) is False
        r.run()
        assert r.names() == want, (presses, r.calls)
    # the alarm starts while the hold goes on (the warning cues played until then): an
    # acknowledge at its first refused cue
    played = []

    def late(name):
        played.append(name)
        return len(played) < 3
    r = Rig([(0, 6000)], until_s=20, feedback=late)
    assert r.drive(r.btn.boot_hold()) is False and r.names() == ["ack"], r.calls
    assert 3000 <= r.calls[0][1] <= 3150 and played == ["reset_warn"] * 3, (r.calls, played)


def test_a_short_hold_at_boot_is_cancelled():
    r, done = _boot([(0, 2500)])
    assert done is False and r.names() == ["reset_warn", "reset_warn", "reset_cancel"], r.calls



def test_without_a_fault_reporter_a_cue_that_failed_once_and_then_played_counts_as_played():
    # no on_fault (its default): a clear has nobody to tell and counts as told (buttons#86,
    # #88, #89: every report refused, the feedback "failing" for good). The first warning
    # raised, the cancel at the release played: a cancelled hold, no snooze
    r = Rig([(0, 1200)], until_s=40, on_fault=None)
    played = r._cue

    def once_short(name):
        if name == "reset_warn" and "reset_warn" not in r.names():
            r.calls.append(("reset_warn", r.now - T0))
            raise MemoryError("cue")
        return played(name)
    r.btn.feedback = once_short
    assert r.drive(r.btn.boot_hold()) is False
    assert r.names() == ["reset_warn", "reset_cancel"], r.calls

def test_not_pressed_at_boot_returns_at_once():
    r, done = _boot([(5000, 5200)])
    assert done is False and r.calls == [] and r.now - T0 < 100, (r.calls, r.now)


def test_still_held_at_the_end_of_the_release_window_is_stuck_not_a_reset():
    r, done = _boot([(0, 25000)])
    assert done is False and "factory_reset" not in r.names(), r.calls
    assert r.names()[-1] == "reset_cancel" and r.calls[-1][1] >= 20000, r.calls
    assert [f.get("active") for f in r.faults] == [True, False], r.faults
    # released within the window's last moments: a reset
    r, done = _boot([(0, 19900)])
    assert done is True and r.names()[-1] == "factory_reset", r.calls


def test_the_boot_hold_says_the_button_is_down_while_it_is_held():
    # helper-247: the forwarders' steps that hold the board wait while `pressed`
    # (app.wiring._step_pause); the boot hold never set it, so a TLS handshake could
    # begin under a hold at power-on, as it could under a press before session 54
    for presses, result, tail in (([(0, 2500)], False, [("reset_cancel", False)]),
                                  ([(0, 12000)], True, [("reset_done", True)]),
                                  ([(0, 25000)], False, [("reset_done", True), ("reset_cancel", True)])):
        seen = []
        r = Rig(presses, until_s=40)
        r.btn.feedback = lambda name: seen.append((name, r.btn.pressed))
        assert r.drive(r.btn.boot_hold()) is result, presses
        warns = [p for n, p in seen if n == "reset_warn"]
        assert warns and all(warns), seen
        assert seen[len(warns):] == tail, seen     # the cancel after a release is told as up
        assert r.btn.pressed is False, presses     # and up once the hold is over


def test_after_a_cancelled_boot_hold_the_first_press_is_an_ordinary_one():
    r, done = _boot([(0, 2500), (6000, 6200), (9000, 11000)], until_s=20)
    assert done is False
    r.run()
    assert r.names()[-2:] == ["snooze", "ack"], r.calls
    assert 10400 <= r.calls[-1][1] <= 10580, r.calls


def test_a_stuck_button_once_released_reads_as_up():
    # helper-320: `pressed` holds the forwarders' blocking steps while the button is down
    # (app.wiring); a book lifted after 10 min must not leave it down until the next press
    r = Rig([(1000, 601000)], until_s=700)
    r.run()
    assert r.faults[-1] == {"event": "device", "what": "button", "active": False}, r.faults
    assert r.btn.pressed is False


class Refusing:
    """on_fault that refuses (MemoryError) the reports whose numbers are in `refuse`
    (0: the first), and keeps the others with the rig's time."""

    def __init__(self, rig_holder, refuse):
        self.holder, self.refuse, self.n, self.told = rig_holder, set(refuse), 0, []

    def __call__(self, ev):
        n, self.n = self.n, self.n + 1
        if n in self.refuse:
            raise MemoryError("memory allocation failed")
        self.told.append((ev.get("what"), ev["active"], ev.get("error"), self.holder[0].now - T0))


def test_a_stuck_report_the_reporter_could_not_take_is_made_again_while_held():
    # helper-348: `stuck` was recorded before its report; a report refused (out of
    # memory) was never made again: a book on the button, its presses taken back,
    # and no device alarm for the ten minutes it lay there
    holder = [None]
    f = Refusing(holder, {0})
    r = holder[0] = Rig([(1000, 601000)], until_s=610, on_fault=f)
    r.run()
    assert [t[:3] for t in f.told] == [("button", True, "stuck"), ("button", False, None)], f.told
    assert 61000 <= f.told[0][3] <= 61500, f.told    # at the next poll, not at the release
    assert f.n == 3, f.n


def test_a_refused_clear_of_a_stuck_button_is_made_again_after_each_gesture():
    holder = [None]
    f = Refusing(holder, {1, 2})   # the clear at the release, and once more as the task waits
    r = holder[0] = Rig([(1000, 601000), (610000, 610200)], until_s=620, on_fault=f)
    r.run()
    assert [t[:3] for t in f.told] == [("button", True, "stuck"), ("button", False, None)], f.told
    assert 610200 <= f.told[1][3] <= 611000, f.told   # after the next press's gesture
    assert r.names()[-1] == "snooze" and not r.btn.stuck, r.calls


def test_a_refused_clear_of_a_failed_callback_is_made_again_at_its_next_success():
    fails = [True]

    def snooze():
        if fails[0]:
            fails[0] = False
            raise MemoryError("memory allocation failed")
    holder = [None]
    f = Refusing(holder, {1})   # the clear at the second press
    r = holder[0] = Rig([(1000, 1200), (3000, 3200), (5000, 5200)], until_s=10,
                        on_snooze=snooze, on_fault=f)
    r.run()
    assert [t[:3] for t in f.told] == [("button_action", True, "MemoryError: memory allocation failed"),
                                       ("button_action", False, None)], f.told
    assert 5200 <= f.told[1][3] <= 5300, f.told
