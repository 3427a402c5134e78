# The annunciator's rules (sound/annunciator.py), from its module comment and
# docstrings, that `python tools/mutation.py --package sound --mpy` found
# unpinned by test_sound.py and test_blocked_loop.py (64.6%): a malformed alarm
# sounds high and is reported; a sounding alarm interrupts a test or cue and is
# never covered by one; the base lights (show) and the calm light; a snoozed
# alarm's dim steady light; a buzzer or light that fails is reported once,
# retried within a second and made again; an escalation of the same priority
# lets a burst under way complete as it began; pause_in_ms / pause_fits with
# nothing sounding; stalled(). The drawing is driven by hand (_step(now)) with a
# fake clock, buzzer and light. Runs on CPython and MicroPython.
from sound import annunciator, patterns


class Out:
    """A buzzer or light that keeps the last thing it was told, and fails while fail is set.
    (Keeping every call, ~1160 tuples or 76 KB in the failing-part test, made the file fail
    below 400 KB of the port's heap, its buzzer's fault never cleared; the last only: 256 KB.)"""

    def __init__(self):
        self.last, self.fail = None, None

    def set(self, *args):
        if self.fail is not None:
            raise self.fail
        self.last = args


class Rig:
    """An Annunciator over fake outputs and clock for a `with` block."""

    def __init__(self):
        self.now, self.faults, self.changes, self.made = 0, [], [], []
        self.buzzer, self.led = Out(), Out()

    def __enter__(self):
        self._real = annunciator.make_buzzer, annunciator.make_led
        annunciator.make_buzzer = lambda cfg: self._make(self.buzzer, "buzzer")
        annunciator.make_led = lambda cfg: self._make(self.led, "led")
        self.ann = annunciator.Annunciator({"buzzer": {}, "led": {}}, clock_ms=lambda: self.now,
                                           on_fault=self.faults.append, on_change=self.changes.append)
        return self

    def __exit__(self, *exc):
        annunciator.make_buzzer, annunciator.make_led = self._real

    def _make(self, out, name):
        self.made.append(name)
        return out

    def at(self, ms):
        """Draw at ms: (buzzer (on, freq, duty), light rgb, ms to the next change)."""
        self.now = ms
        nxt = self.ann._step(ms)
        return self.buzzer.last, self.led.last and self.led.last[0], nxt


def _alarm(priority, level=0, status="sounding", typ="urgent_low"):
    return {"type": typ, "priority": priority, "level": level, "status": status}


def test_a_malformed_alarm_sounds_high_and_is_reported_until_a_good_one_comes():
    with Rig() as r:
        r.ann.set({"type": "low", "priority": "loudest"})
        assert [f["what"] for f in r.faults if f["active"]] == ["alarm_input"]
        on, rgb, _ = r.at(0)
        assert on == (True, 988, 30) and rgb == patterns.RED   # high, level 0
        r.ann.set(_alarm("medium"))
        assert r.faults[-1] == {"event": "device", "what": "alarm_input", "active": False}


def test_a_sounding_alarm_interrupts_a_test_and_no_test_or_cue_covers_it():
    with Rig() as r:
        assert r.ann.test() is True and r.ann.busy()
        r.ann.set(_alarm("medium", typ="low"))
        assert not r.ann.busy()
        on, rgb, _ = r.at(0)
        assert on == (True, 784, 20) and rgb == patterns.YELLOW
        assert r.ann.test() is False and r.ann.cue("reset_warn") is False and not r.ann.busy()
        r.ann.set(_alarm("medium", status="snoozed", typ="low"))   # silent: a test may play
        assert r.ann.test() is True and r.ann.busy()


def test_an_unknown_cue_is_reported_not_raised():
    with Rig() as r:
        assert r.ann.cue("fanfare") is False and not r.ann.busy()
        assert r.faults[-1]["what"] == "alarm_input" and r.faults[-1]["active"]
        assert r.ann.cue("reset_done") is True and r.ann.busy()


def test_the_base_light_follows_show_from_the_moment_it_changes():
    with Rig() as r:
        r.now = 12100                  # not a whole number of no_data's 3-s blinks
        r.ann.show("no_data")
        on, rgb, nxt = r.at(12100)
        # a hint, not an alarm: as dim as the calm light (20 %), and never off
        assert rgb == (0, 0, 255 * 20 // 100) and nxt == 300 and on == (False, 0, 0)
        assert r.changes[-1] == {"event": "annunciator", "pattern": "no_data", "alarm": None, "level": 0}
        assert r.at(12400)[1] == patterns.OFF
        r.ann.calm = 0                 # a calm light dimmer than an answered alarm
        assert r.at(15100)[1] == (0, 0, 255 * patterns.PAUSED_BRIGHTNESS // 100)
        r.ann.show("bogus")            # an unknown state: reported, shown as a fault
        assert r.faults[-1]["what"] == "alarm_input" and r.ann._base == "fault"
        assert r.at(12400)[1] == patterns.MAGENTA and r.at(12900)[1] == patterns.OFF


def test_a_snoozed_alarm_shows_its_colour_dim_and_steady_and_is_silent():
    with Rig() as r:
        r.ann.set(_alarm("high", status="snoozed"))
        on, rgb, nxt = r.at(0)
        assert on == (False, 0, 0) and rgb == (255 * 15 // 100, 0, 0) and nxt is None
        assert r.at(250)[1] == rgb    # no blinking
        assert r.changes[-1]["pattern"] == "snoozed"
        r.now = 777                   # the snooze is over: the sound starts at once
        r.ann.set(_alarm("high"))
        assert r.at(777)[0] == (True, 988, 30) and not [f for f in r.faults if f["active"]]


def test_a_failing_buzzer_or_light_is_reported_once_retried_within_a_second_and_made_again():
    for part in ("buzzer", "led"):
        with Rig() as r:
            out = getattr(r, part)
            r.ann.set(_alarm("low", typ="high"))
            out.fail = OSError(5)
            _, _, nxt = r.at(0)
            assert nxt <= 1000, part
            _, _, nxt = r.at(1000)
            assert nxt <= 1000, part
            reports = [f for f in r.faults if f["what"] == part]
            assert reports == [{"event": "device", "what": part, "active": True,
                                "error": "OSError: %s" % (out.fail,)}]
            made = r.made.count(part)
            out.fail = None
            on, rgb, _ = r.at(2000)
            assert r.made.count(part) == made + 1, part   # made again after a failure
            # only a tone (a light) proves it: a part that takes the silence (the dark) between
            # pulses but refuses every tone kept its fault flickering off (helper-175)
            t = 2000
            while r.faults[-1]["active"] and t < 120000:
                assert not (on[0] if part == "buzzer" else rgb != patterns.OFF), (part, t)
                t += 100
                on, rgb, _ = r.at(t)
            assert r.faults[-1] == {"event": "device", "what": part, "active": False}, part
            assert (on[0] if part == "buzzer" else rgb != patterns.OFF), (part, t)


def test_a_fault_report_the_reporter_could_not_take_is_made_again_not_lost():
    # the box's reporter (the engine's device alarm) out of memory once: a buzzer that
    # failed then was never reported again, silent with no device alarm (session 66)
    for part in ("buzzer", "led"):
        with Rig() as r:
            taken = r.faults

            def refuse_once(ev):                       # each time `refused` is emptied
                if not refused:
                    refused.append(ev)
                    raise MemoryError
                taken.append(ev)
            refused = []
            r.ann._on_fault = refuse_once
            out = getattr(r, part)
            r.ann.set(_alarm("low", typ="high"))
            out.fail = OSError(5)
            r.at(0)
            assert [f["what"] for f in refused] == [part] and taken == [], part
            r.at(1000)                                 # the next failure tells it
            assert taken == [{"event": "device", "what": part, "active": True,
                              "error": "OSError: %s" % (out.fail,)}], part
            del refused[:]
            out.fail = None
            t = 2000
            while len(taken) < 2 and t < 120000:       # the clear refused once, then told
                r.at(t)
                t += 100
            assert [f["what"] for f in refused] == [part], part
            assert taken[-1] == {"event": "device", "what": part, "active": False}, part
            assert part not in r.ann.faults


def test_an_escalation_at_a_bursts_first_pulse_lets_the_burst_finish_as_it_began():
    with Rig() as r:
        r.ann.set(_alarm("high"))                      # level 0: 30 % duty, every 10 s
        end = patterns.burst_ms(patterns.HIGH_PULSES)
        r.now = 10000                                  # the second burst's first instant
        r.ann.set(_alarm("high", level=2))             # louder, every 6 s
        assert r.at(10000)[0] == (True, 988, 30)       # this burst as it began
        assert r.at(10000 + end)[0][0] is False
        assert r.at(16000)[0] == (True, 988, 50)       # the next, a new period after it began
    with Rig() as r:
        r.ann.set(_alarm("high"))
        r.now = 10005                                  # inside the second burst's first pulse
        r.ann.set(_alarm("high", level=2))
        assert r.at(10005)[0] == (True, 988, 30)
    gap = annunciator.BURST_GAP_MS
    with Rig() as r:
        r.ann.set(_alarm("high"))
        r.now = 10000 + end + 50                       # just after the burst: louder, but 2.5 s
        r.ann.set(_alarm("high", level=2))             # after it ended, not at once: 20 pulses
        assert r.at(r.now)[0][0] is False              # run together (review28)
        assert r.at(10000 + end + gap - 1)[0][0] is False
        assert r.at(10000 + end + gap)[0] == (True, 988, 50)
        assert r.at(10000 + end + gap + 6000)[0] == (True, 988, 50)   # then every 6 s
    with Rig() as r:
        r.ann.set(_alarm("high"))
        r.now = 10000 + end + gap                      # 2.5 s after the burst ended: at once
        r.ann.set(_alarm("high", level=2))
        assert r.at(r.now)[0] == (True, 988, 50)
    with Rig() as r:
        r.ann.set(_alarm("high"))
        r.now = 17000                                  # well past the gap: a whole burst from now,
        r.ann.set(_alarm("high", level=2))             # its fifth pulse at +2400 (not one begun in
        assert r.at(17000)[0] == (True, 988, 50)       # the past and cut into)
        assert r.at(17000 + 2450)[0] == (True, 988, 50) and r.at(17000 + 2750)[0][0] is False
    with Rig() as r:                                   # medium: 2.5 s between its bursts too
        r.ann.set({"type": "low", "priority": "medium", "level": 1, "volume": 100})
        r.now = 1300                                   # its burst (3 x 200 ms) ended at 1000
        r.ann.set({"type": "low", "priority": "medium", "level": 2, "volume": 100})
        assert r.at(1300)[0][0] is False and r.at(3499)[0][0] is False
        assert r.at(3500)[0][0] is True
    with Rig() as r:                                   # two changes within the gap: the gap is
        r.ann.set(_alarm("high"))                      # still from the last real burst (review28:
        r.now = 10000 + end + 50                       # the second change ran a burst 1 s after it)
        r.ann.set(_alarm("high", level=1))
        r.now = 10000 + end + 1000
        r.ann.set(_alarm("high", level=2))
        assert r.at(10000 + end + gap - 1)[0][0] is False
        assert r.at(10000 + end + gap)[0] == (True, 988, 50)
    with Rig() as r:                                   # quieter (a night volume): no early burst,
        r.ann.set({"type": "low", "priority": "medium", "level": 0, "volume": 100})
        r.now = 1300                                   # its rhythm goes on (was: at once, 6 beeps
        r.ann.set({"type": "low", "priority": "medium", "level": 0, "volume": 30})   # in 2.3 s)
        assert r.at(1300)[0][0] is False and r.at(19999)[0][0] is False
        assert r.at(20000)[0][0] is True


def test_with_nothing_sounding_a_blocking_step_may_go_now_and_always_fits():
    with Rig() as r:
        assert r.ann.pause_in_ms(5000) == 0 and r.ann.pause_fits(10 ** 6)
        r.ann.test()                                   # a test sequence is no alarm
        assert r.ann.pause_in_ms(5000) == 0 and r.ann.pause_fits(10 ** 6)
        r.ann.set(_alarm("high", status="acknowledged"))
        assert r.ann.pause_in_ms(5000) == 0 and r.ann.pause_fits(10 ** 6)
        r.ann.set(_alarm("high"))
        pause = 10000 - patterns.burst_ms(patterns.HIGH_PULSES) - 50
        assert r.ann.pause_fits(pause) and not r.ann.pause_fits(pause + 1)
        r.now = 1                                      # inside the first burst: 50 ms after its end
        assert r.ann.pause_in_ms(1000) == patterns.burst_ms(patterns.HIGH_PULSES) + 50 - 1


def test_stalled_once_a_change_waits_longer_than_the_limit():
    with Rig() as r:
        r.now = 500
        r.ann.set(_alarm("low", typ="high"))          # run() has not drawn it yet
        assert not r.ann.stalled(500 + 2000, 2000) and r.ann.stalled(500 + 2001, 2000)
        r.ann._pending_since, r.ann._due = None, 9000  # drawn; the next edge due at 9000
        assert not r.ann.stalled(11000, 2000) and r.ann.stalled(11001, 2000)


def test_another_alarm_with_the_same_sound_keeps_the_rhythm():
    with Rig() as r:
        r.ann.set(_alarm("high"))
        r.now = 5000                                   # in the pause between bursts
        r.ann.set(_alarm("high", typ="no_data"))       # the same sound: no burst now
        assert r.at(5000)[0][0] is False
        assert r.at(10000)[0] == (True, 988, 30)       # the next on its old beat


def test_a_cue_is_refused_over_a_sounding_alarm_unless_asked_to_play_over_it():
    # the boot hold's cues play over a technical alarm of the boot (app.wiring._boot_feedback)
    with Rig() as r:
        r.ann.set(_alarm("medium"))
        assert r.ann.cue("reset_done") is False and not r.ann.busy()
        assert r.ann.cue("reset_done", True) is True and r.ann.busy()


def test_a_slower_sound_of_the_same_priority_starts_no_burst_in_the_middle():
    # an urgent low at level 1 under a device fault left unanswered up to the high sound
    # (level 3, every 6 s): the fault clears 300 ms after a burst, and the urgent low's own
    # sound, every 10 s, took the old start: its rhythm fell 1 s into a burst, and pulses
    # 5-10 ran 300 ms after the ten of the last one (16 beeps, no longer a high alarm's)
    with Rig() as r:
        r.ann.set(_alarm("high", level=2, typ="device"))   # bursts at 0, 6, 12, 18 s
        end = patterns.burst_ms(patterns.HIGH_PULSES)
        r.now = 18000 + end + 300
        r.ann.set(_alarm("high", level=1))
        starts, was = [], False
        for t in range(r.now, 28000 + end, 10):
            on = r.at(t)[0]
            if on[0] and not was:
                starts.append((t, on[2]))
            was = on[0]
        # silent until the next burst, a new period after the last began, whole
        assert len(starts) == 10 and starts[0] == (28000, 50), starts


# Session 63 (helper-320): what `--package sound --only annunciator` (CPython, this file alone)
# found unpinned here: the clear back to the calm light, an unchanged alarm handed over again,
# the boot's self-test and the test and cue sequences as drawn, a burst held through a second
# change, the poke of show() and test(), the rhythm's slip when woken late.

def test_an_alarm_that_clears_leaves_silence_and_the_calm_green():
    with Rig() as r:
        r.ann.set(_alarm("high"))
        assert r.at(0)[:2] == ((True, 988, 30), patterns.RED)
        r.now = 50
        r.ann.set(None)                                # all well: silent at once, steady dim green
        on, rgb, nxt = r.at(50)
        assert on == (False, 0, 0) and rgb == (0, 255 * 20 // 100, 0) and nxt is None
        assert r.changes[-1] == {"event": "annunciator", "pattern": "off", "alarm": None, "level": 0}
        assert r.ann.pause_in_ms(5000) == 0


def test_the_same_alarm_handed_over_again_goes_on_where_it_was():
    # the alarm task hands the loudest alarm over at every round: the same key must not
    # start the burst again (a beep at every reading)
    with Rig() as r:
        r.ann.set({"type": "low", "priority": "medium", "status": "sounding"})   # no level: fresh
        assert r.at(0)[0] == (True, 784, 20)
        r.now = 300                                    # between the first two pulses
        r.ann.set({"type": "low", "priority": "medium", "status": "sounding"})
        assert r.at(300)[0][0] is False and r.at(400)[0] == (True, 784, 20)
        r.now = 900                                    # the third pulse, on its beat
        r.ann.set({"type": "low", "priority": "medium", "status": "sounding"})
        assert r.at(900)[0][0] is True and r.at(1000)[0][0] is False


def test_the_boots_self_test_plays_whole_and_an_alarm_follows_right_after_it():
    with Rig() as r:
        assert r.ann.selftest() == 1000 and r.ann.busy()
        assert r.at(0)[:2] == ((True, 1319, 50), patterns.RED)
        r.now = 100
        r.ann.set(_alarm("high"))                      # restored through the reset: after the chirp
        assert r.ann.busy() and r.at(100)[:2] == ((True, 1319, 50), patterns.RED)
        assert r.at(300)[:2] == ((True, 1760, 50), patterns.YELLOW)
        assert r.at(600)[:2] == ((False, 0, 0), patterns.GREEN)
        assert r.at(999)[:2] == ((False, 0, 0), patterns.BLUE)
        assert r.changes[-1]["pattern"] == "selftest"
        assert r.at(1000)[:2] == ((True, 988, 30), patterns.RED) and not r.ann.busy()
        assert r.changes[-1] == {"event": "annunciator", "pattern": "high", "alarm": "urgent_low", "level": 0}
        assert r.at(1100)[0][0] is False and r.at(1200)[0][0] is True   # from its first pulse


def test_the_test_and_a_cue_play_as_written_then_the_base_light_comes_back():
    with Rig() as r:
        assert r.ann.test() is True
        assert r.at(0)[:2] == ((True, 988, 50), patterns.RED)
        assert r.changes[-1]["pattern"] == "test"
        med = patterns.burst_ms(patterns.HIGH_PULSES) + 700
        assert r.at(med)[:2] == ((True, 784, 50), patterns.YELLOW)
        end = patterns.sequence_ms(patterns.test_sequence())
        assert r.at(end - 1)[:2] == ((False, 0, 0), patterns.GREEN)   # the calm green, full
        assert r.at(end)[:2] == ((False, 0, 0), (0, 255 * 20 // 100, 0)) and not r.ann.busy()
        assert r.changes[-1]["pattern"] == "off"
    with Rig() as r:
        r.now = 5000
        assert r.ann.cue("reset_warn") is True
        assert r.at(5000)[:2] == ((True, 1760, 50), patterns.WHITE)
        assert r.changes[-1]["pattern"] == "reset_warn"
        on, rgb, _ = r.at(5080)
        assert on[0] is False and rgb == patterns.WHITE
        assert r.at(5300)[1] == (0, 255 * 20 // 100, 0) and not r.ann.busy()


def test_a_burst_held_by_one_change_stays_held_through_the_next():
    with Rig() as r:
        r.ann.set(_alarm("high"))                      # level 0: 30 %
        r.now = 50
        r.ann.set(_alarm("high", level=1))             # inside the first pulse: held at 30 %
        r.now = 150
        r.ann.set(_alarm("high", level=2))             # still the same burst: still 30 %
        assert r.at(200)[0] == (True, 988, 30)
        assert r.at(2650)[0] == (True, 988, 30)        # its last pulse, as it began
        assert r.at(2700)[0][0] is False
        assert r.at(5999)[0][0] is False and r.at(6000)[0] == (True, 988, 50)   # then every 6 s


def test_show_and_a_test_wake_the_task_a_change_left_undrawn_is_a_stall():
    with Rig() as r:
        r.now = 500
        r.ann.show("no_data")
        assert r.ann.stalled(2501, 2000)
        r.ann._pending_since = None                    # drawn (run() clears it)
        r.now = 3000
        r.ann.test()
        assert r.ann.stalled(5001, 2000)


def test_woken_late_for_an_edge_the_rhythm_slips_by_as_much_up_to_a_burst():
    # run() calls _slip(lateness) when it wakes late for an edge of the sound
    with Rig() as r:
        r.ann.set(_alarm("high"))
        r.at(0)
        r.ann._slip(30)                                # pulse 1's end drawn 30 ms late
        assert r.at(200)[0][0] is False and r.at(230)[0][0] is True   # pulse 2 30 ms on
        r.ann._slip(10)                                # 10 ms late is on time
        assert r.at(229)[0][0] is False and r.at(230)[0][0] is True
        r.ann._slip(2701)                              # a block longer than a burst: no move
        assert r.at(429)[0][0] is False and r.at(430)[0][0] is True
        r.ann._slip(2700)                              # a whole burst: moved
        assert r.at(3129)[0][0] is False and r.at(3130)[0][0] is True
    with Rig() as r:                                   # a held burst and a put-off burst slip too
        r.ann.set(_alarm("high"))
        r.at(0)
        r.now = 50
        r.ann.set(_alarm("high", level=2))             # held to 2700
        r.ann._slip(40)
        assert r.at(2690)[0] == (True, 988, 30)        # the held burst's last pulse, still 30 %
        assert r.at(2739)[0] == (True, 988, 30) and r.at(2740)[0][0] is False
    with Rig() as r:
        end = patterns.burst_ms(patterns.HIGH_PULSES)
        r.ann.set(_alarm("high"))
        r.at(0)
        r.now = end + 50
        r.ann.set(_alarm("high", level=1))             # put off to 2.5 s after the burst
        r.ann._slip(20)
        r.now = end + 1000
        r.ann.set(_alarm("high", level=2))             # a second change keeps the slipped gap
        gap = annunciator.BURST_GAP_MS
        assert r.at(end + gap + 19)[0][0] is False and r.at(end + gap + 20)[0] == (True, 988, 50)
    with Rig() as r:                                   # and so does a sequence
        r.ann.selftest()
        r.at(0)
        r.ann._slip(20)
        assert r.at(259)[0][1] == 1319 and r.at(270)[0] == (True, 1760, 50)


def test_a_louder_sound_between_bursts_starts_at_once_once_the_gap_has_passed():
    end, gap = patterns.burst_ms(patterns.HIGH_PULSES), annunciator.BURST_GAP_MS
    with Rig() as r:
        r.now = 3000
        r.ann.set(_alarm("high"))                      # bursts at 3000, 13000, ...
        r.now = t = 3000 + end + gap + 800             # louder at the same period: at once
        r.ann.set(_alarm("high", level=1))
        assert r.at(t)[0] == (True, 988, 50)
        assert r.at(t + 9999)[0][0] is False and r.at(t + 10000)[0] == (True, 988, 50)
    with Rig() as r:                                   # an alarm begun at any time: the burst
        r.now = 3000                                   # under way is the one from its start
        r.ann.set(_alarm("high"))
        r.now = 13050                                  # inside the second burst's first pulse
        r.ann.set(_alarm("high", level=1))
        assert r.at(13050)[0] == (True, 988, 30) and r.at(13000 + end - 50)[0] == (True, 988, 30)
        r.now = 13000 + end + 50                       # just after it: faster, 2.5 s after it ended
        r.ann.set(_alarm("high", level=2))
        assert r.at(13000 + end + gap - 1)[0][0] is False
        assert r.at(13000 + end + gap)[0] == (True, 988, 50)


def test_a_blocking_step_waits_for_a_pause_that_holds_it_with_a_margin():
    end = patterns.burst_ms(patterns.HIGH_PULSES)
    with Rig() as r:
        r.now = 3000
        r.ann.set(_alarm("high"))                      # bursts at 3000, 13000, ...
        r.now = 3001
        # longer than the pause: cut to it (waits for the pause, not for ever)
        assert r.ann.pause_in_ms(20000) == 3000 + end + 50 - 3001
        # the 300 ms after pulse 3 leave no 50-ms margin for a 300-ms step: the 500 after pulse 5
        assert r.ann.pause_in_ms(300) == 3000 + 1100 + 50 - 3001
        r.now = 3000 + end + 20                        # the pause began 20 ms ago: 30 ms more
        assert r.ann.pause_in_ms(1000) == 30
        r.now = 8000
        assert r.ann.pause_in_ms(1000) == 0
        r.now = 13050
        r.ann.set(_alarm("high", level=2))             # a held burst: after it
        assert r.ann.pause_in_ms(1000) == 13000 + end + 50 - 13050
        r.ann._t0 = None                               # a broken state: 0, never an exception
        assert r.ann.pause_in_ms(1000) == 0
        r.ann._alarm = r.ann._alarm[:4] + (None,) + r.ann._alarm[5:]   # no sound: it fits
        assert r.ann.pause_fits(1000) is True


def test_each_step_says_when_the_next_edge_is_and_each_change_is_told_once():
    # run() sleeps for what _step returns: the sound's next edge, not the light's alone
    with Rig() as r:
        r.ann.set(_alarm("low", typ="high"))           # two 200-ms beeps, a steady cyan light
        assert r.at(0)[2] == 200 and r.at(200)[2] == 200 and r.at(600)[2] == 60000 - 600
        r.ann.set(_alarm("high"))                      # beeps of 100 ms, a red blink of 250
        assert r.at(600)[2] == 100 and r.at(700)[2] == 100
        assert [c["pattern"] for c in r.changes] == ["low", "high"], r.changes
