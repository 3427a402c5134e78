# The rules of the sound and light patterns (sound/patterns.py) that
# `python tools/mutation.py --package sound` found unpinned, from the module
# comment (the rhythms after IEC 60601-1-8, ../shared/research/alarms.md §2),
# the README (volume never below 5 % duty) and the docstrings: the exact pulse
# trains, loudness and volume scaling, the lights' rates, the one-shot
# sequences and cues, colour names, the repeat periods the README's night table
# gives. Table values the documents leave open (the tones' frequencies, the
# medium and low base duties) are left to test_sound_patterns.py's IEC ranges.
# Runs on CPython and MicroPython.
from sound import patterns as P


def test_the_pulse_trains_are_the_documented_ones():
    # high: 100-ms pulses 100 ms apart as 3+2, a 500-ms pause, 3+2; the gap after
    # pulse 3 (and 8) is 2*t_s + t_d = 300 ms
    assert P.HIGH_PULSES == ((0, 100), (200, 100), (400, 100), (800, 100), (1000, 100),
                             (1600, 100), (1800, 100), (2000, 100), (2400, 100), (2600, 100))
    assert P.sound("high")[0] == P.HIGH_PULSES
    # medium: 3 pulses of 200 ms, 200 ms apart; low: 2 of them
    assert P.sound("medium")[0] == ((0, 200), (400, 200), (800, 200))
    assert P.sound("low")[0] == ((0, 200), (400, 200))


def test_each_priority_repeats_as_the_readme_says_fresh_louder_and_faster():
    # README "At night": high every 10 s, medium 20 s, low 60 s; after 5 min unanswered
    # louder at the same pace, after 10 more often: high every 6 s, medium 10 s, low 20 s
    for prio, fresh, faster in (("high", 10000, 6000), ("medium", 20000, 10000),
                                ("low", 60000, 20000)):
        assert [P.sound(prio, level)[1] for level in (0, 1, 2)] == [fresh, fresh, faster], prio


def test_a_burst_lasts_until_its_last_pulse_ends():
    assert P.burst_ms(P.HIGH_PULSES) == 2700
    assert P.burst_ms(((0, 200), (400, 150))) == 550


def test_loudest_is_50_and_the_volume_floor_is_5_percent():
    assert P.LOUD == 50 and P.MIN_DUTY == 5
    for prio in ("low", "medium", "high"):
        assert P.sound(prio, 1)[2] == 50 and P.sound(prio, 2)[2] == 50
    for prio in ("low", "medium"):
        assert P.sound(prio, 0, 10)[2] == 5


def test_the_volume_scales_the_duty_of_a_fresh_medium_or_low_alarm():
    for prio in ("low", "medium"):
        full = P.sound(prio, 0)[2]
        assert P.sound(prio) == P.sound(prio, 0, 100)
        for v in (99, 80, 60, 45.5):
            assert P.sound(prio, 0, v)[2] == max(5, full * int(v) // 100), (prio, v)


def test_anything_but_a_number_below_100_plays_at_full_volume():
    for v in (None, "40", True, False, [40], 100, 100.0, 150, 1e9, -1, -0.5):   # (helper-320: -1)
        assert P._volume(v) == 100, v
    assert P._volume(99) == 99 and P._volume(10.9) == 10 and P._volume(0) == 0


def test_a_missing_or_odd_level_is_fresh():
    for level in (None, 0, 0.0, -3):
        assert P.effective("medium", level) == ("medium", 0), level
    assert P.effective("medium", 1.0) == ("medium", 1)
    assert P.effective("low", "3") == ("low", 2)
    assert P.sound("medium", None) == P.sound("medium")


def test_the_lights_flash_at_the_documented_rates():
    assert P.light("high")[:2] == (P.RED, 500)                       # 2 Hz
    rgb, period, on = P.light("medium")
    assert rgb == P.YELLOW and period == round(1000 / 0.6) and on == round(0.4 * period)
    assert P.light("no_data")[:2] == (P.BLUE, 3000)                  # every 3 s
    assert P.light("no_data")[2] < P.light("no_data")[1] // 5       # a short blink
    assert P.light("fault")[:2] == (P.MAGENTA, 1000)                 # 1 Hz
    assert P.light("low")[:2] == (P.CYAN, 0) and P.light("ok")[:2] == (P.GREEN, 0)


def test_light_at_is_on_for_on_ms_of_each_period():
    high = P.light("high")
    on = high[2]
    assert P.light_at(high, 0) == (True, on)
    assert P.light_at(high, on - 1) == (True, 1)
    assert P.light_at(high, on) == (False, 500 - on)
    assert P.light_at(high, 500 + 10) == (True, on - 10)


def test_off_is_dark_and_the_colours_have_their_names():
    assert P.OFF == (0, 0, 0) and P.color_name(P.OFF) == "off"
    for rgb, name in ((P.RED, "red"), (P.YELLOW, "yellow"), (P.GREEN, "green"), (P.CYAN, "cyan"),
                      (P.BLUE, "blue"), (P.MAGENTA, "magenta"), (P.WHITE, "white")):
        assert P.color_name(rgb) == name, (rgb, name)


def test_the_colours_are_8_bit_at_full_brightness_and_the_primaries_pure():
    # the caller dims them (calm / night setting, a paused alarm's PAUSED_BRIGHTNESS)
    for rgb in (P.RED, P.YELLOW, P.CYAN, P.GREEN, P.BLUE, P.MAGENTA, P.WHITE):
        assert len(rgb) == 3 and all(0 <= c <= 255 for c in rgb) and max(rgb) == 255, rgb
    assert (P.RED, P.GREEN, P.BLUE) == ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    assert (P.MAGENTA, P.WHITE) == ((255, 0, 255), (255, 255, 255))


def test_colour_names_go_by_hue_whatever_the_brightness():
    assert P.color_name((1, 0, 0)) == "red" and P.color_name((0, 0, 2)) == "blue"
    assert P.color_name((40, 26, 0)) == "yellow" and P.color_name((20, 20, 20)) == "white"
    assert P.color_name((200, 10, 10)) == "red" and P.color_name((10, 200, 30)) == "green"


def test_the_states_and_the_paused_brightness():
    assert P.PRIORITIES == ("low", "medium", "high")
    assert P.BASE_STATES == ("ok", "no_data", "fault")
    for s in P.BASE_STATES:
        P.light(s)
    assert 0 < P.PAUSED_BRIGHTNESS < 50     # dim


def test_the_test_gesture_plays_each_alarm_once_loud_then_the_base_lights():
    seq = P.test_sequence()
    assert len(seq) == 6
    for step, prio in zip(seq[:3], ("high", "medium", "low")):
        length, snd, lt = step
        loud = P.sound(prio, 1)
        assert snd == (loud[0], 0, P.LOUD, loud[3]), (prio, snd)
        assert length > P.burst_ms(snd[0]) and lt == P.light(prio)
    assert [step[2] for step in seq[3:]] == [P.light(s) for s in ("no_data", "fault", "ok")]
    assert all(step[1] is None and step[0] >= 1000 for step in seq[3:])


def test_sequence_length_and_position():
    seq = ((100, None, None), (250, None, None), (50, None, None))
    assert P.sequence_ms(seq) == 400 and P.sequence_ms(()) == 0
    assert P.sequence_at(seq, 0) == (seq[0], 0, 100)
    assert P.sequence_at(seq, 120) == (seq[1], 20, 230)
    assert P.sequence_at(seq, 399) == (seq[2], 49, 1)
    assert P.sequence_at(seq, 400) is None


def test_selftest_and_cues_are_one_shot_steps_with_steady_lights():
    for seq in (P.SELFTEST, P.cue("reset_warn"), P.cue("reset_done"), P.cue("reset_cancel")):
        for length, snd, lt in seq:
            assert lt is not None and lt[1] == 0, lt            # steady
            if snd is not None:
                pulses, period = snd[0], snd[1]
                assert period == 0 and pulses[0][0] == 0, snd      # once, from the step's start
                assert P.burst_ms(pulses) <= length
    assert [s[2][0] for s in P.SELFTEST] == [P.RED, P.YELLOW, P.GREEN, P.BLUE]


def test_reset_done_rises_and_reset_cancel_falls_low():
    done = [s[1][3] for s in P.cue("reset_done")]
    cancel = [s[1][3] for s in P.cue("reset_cancel")]
    assert len(done) == 3 and done[0] < done[1] < done[2]
    assert len(cancel) == 2 and cancel[0] > cancel[1] and max(cancel) < min(done)
    assert len(P.cue("reset_warn")) == 1 and P.sequence_ms(P.cue("reset_warn")) < 1000  # each second


def test_a_sound_is_silent_before_its_start():
    # helper-320: a start put off (a burst after the 2.5-s gap, the alarm after the boot's
    # self-test) is silence until then, not the pattern's phase a period back
    snd = P.sound("high", 2)
    assert P.sound_at(snd, -5950) == (False, 5950)
    assert P.sound_at(P.sound("low"), -100) == (False, 100)
