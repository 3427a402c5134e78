# A schedule's switch under a sounding alarm, and an answered urgent-low-soon warning that
# clears and comes back inside its snooze (review of session 44, helper-188; each test
# failed on the code before its mend). Runs on CPython and MicroPython.
from alarm_steps import MIN, make, feed, kinds, alarm, series

# a family strict about highs by day (180) that sleeps through anything under 250,
# and watches lows closer at night (80)
NIGHT = [{"start": 22 * 60, "end": 7 * 60, "high": 250, "low": 80}]


def _run(eng, start_min, mod0, values, t0_min=0):
    """A reading every 5 min from start_min (engine minutes, minute of day mod0 + that),
    5-s ticks between them; returns the events and the status of each alarm after
    each reading."""
    events, seen = [], []
    for i, v in enumerate(values):
        m = start_min + 5 * i
        events += feed(eng, m * MIN, v, mod=(mod0 + m) % 1440)
        seen.append((m, v, [(a["type"], a["status"], a["level"], a["priority"]) for a in eng.active()]))
        for s in range(5, 300, 5):
            events += eng.tick(m * MIN + s, minute_of_day=(mod0 + m + s // 60) % 1440)
    return events, seen


def test_a_high_raised_by_the_days_threshold_stops_at_the_night_switch_when_the_night_calls_it_in_range():
    # 21:40, 200 mg/dL: the day's high (180) sounds, nobody is at the box. From 22:00
    # the night's high is 250 and glucose sits at 240: in range by the settings in force.
    # Before: the day's alarm was held by the night threshold's hysteresis (235..250)
    # and went on sounding all night, escalating to the medium-priority sound
    eng = make(high=180, schedule=NIGHT)
    mod0 = 21 * 60 + 40
    ev, seen = _run(eng, 0, mod0, [200, 200, 200])             # 21:40 .. 21:50
    assert kinds(ev) == ["high"]
    ev, seen = _run(eng, 20, mod0, [240] * 12)                 # 22:00 .. 22:55
    still = [(m, lv, p) for m, v, st in seen for (k, status, lv, p) in st
             if k == "high" and status == "sounding"]
    assert still == [], still


def test_a_low_raised_by_the_nights_threshold_stops_at_the_morning_switch_when_the_day_calls_it_in_range():
    # 06:35, 76 mg/dL flat: the night's low (80) sounds unanswered and escalates. From
    # 07:00 the day's low is 70: 76 is in range, yet the night's alarm was held by the
    # day threshold's hysteresis (70..79) and went on, one priority up: the urgent sound
    eng = make(urgent_low_soon=False, schedule=NIGHT)
    mod0 = 6 * 60 + 20
    ev, seen = _run(eng, 0, mod0, [76] * 8)                    # 06:20 .. 06:55
    assert kinds(ev) == ["low"]
    ev, seen = _run(eng, 40, mod0, [76] * 12)                  # 07:00 .. 07:55
    still = [(m, lv, p) for m, v, st in seen for (k, status, lv, p) in st
             if k == "low" and status == "sounding"]
    assert still == [], still


def test_at_a_switch_a_glucose_exactly_at_the_new_threshold_is_in_range():
    # README: the first reading judged clears a sounding low or high "that the new threshold
    # would only hold in its hysteresis"; "below 70" and "above 250": exactly 70 by day, or
    # exactly 250 at night, is in range, and the alarm the other threshold raised stops
    eng = make(urgent_low_soon=False, schedule=NIGHT)
    ev, seen = _run(eng, 0, 6 * 60 + 20, [76] * 3 + [70] * 5)     # 06:20 .. 06:55
    assert kinds(ev) == ["low"]
    ev, seen = _run(eng, 40, 6 * 60 + 20, [70] * 3)               # 07:00 .. 07:10
    assert [st for m, v, st in seen if st] == [], seen
    eng = make(high=180, schedule=NIGHT)
    ev, seen = _run(eng, 0, 21 * 60 + 40, [200, 200, 250])        # 21:40 .. 21:50
    assert kinds(ev) == ["high"]
    ev, seen = _run(eng, 20, 21 * 60 + 40, [250] * 3)             # 22:00 .. 22:10
    assert [st for m, v, st in seen if st] == [], seen


def test_a_snoozed_urgent_low_soon_does_not_sound_again_inside_its_snooze_on_a_fall_that_levels_off():
    # a fall of 2 mg/dL/min that levels off at about 80 (a bedtime snack), readings with
    # a few mg/dL of noise: the predicted urgent low (high priority) sounds at 77 and is
    # snoozed for its 30 min; the next reading (82) cleared it (its hold, the mean
    # prediction under 65, is narrower than its raise, the lower 1.5-sigma bound under
    # 55: at 82 the prediction was 74.7 +- 12.8), and at 76, 10 minutes after the
    # press, it started again as a new alarm, sounding. Glucose never went under 76
    eng = make()
    values = [149, 138, 131, 120, 110, 104, 92, 77, 82, 76, 77, 80, 82, 83, 77, 79]
    sounding, pressed = [], None
    for k, v in enumerate(values):
        feed(eng, k * 5 * MIN, v)
        a = alarm(eng, "urgent_low_soon")
        if a is not None and a["status"] == "sounding":
            sounding.append((k * 5, v))
            if pressed is None:
                assert kinds(eng.snooze(k * 5 * MIN + 60), "alarm_snooze") == ["urgent_low_soon"]
                pressed = k * 5
    assert pressed == 35
    # within its 30-min snooze (to minute 66) it does not sound again
    assert [s for s in sounding if pressed < s[0] <= pressed + 30] == [], sounding
    assert eng.loudest() is None


def _after_an_unanswered_outage(snooze_it, sgv=50, kind="urgent_low"):
    # readings at 150, then none for 40 min: no_data at 20 min, escalating unanswered
    # (or snoozed); the transmitter back with sgv mg/dL
    eng = make(urgent_low_soon=False)
    feed(eng, 0, 150)
    for t in range(5, 40 * MIN, 5):
        eng.tick(t)
        if snooze_it and alarm(eng, "no_data") is not None and alarm(eng, "no_data")["status"] == "sounding":
            eng.snooze(t)
    nd = alarm(eng, "no_data")
    ev = feed(eng, 40 * MIN, sgv)
    return nd, alarm(eng, kind), ev


def test_an_urgent_low_ending_an_unanswered_no_data_sounds_at_its_level():
    # review of session 43: nobody answered the box for 20 min (no_data escalated to the
    # top), and the urgent low that came with the data started fresh: duty 30 every 10 s
    # instead of 50 every 6 s, the family still asleep
    nd, ul, ev = _after_an_unanswered_outage(False)
    assert nd["status"] == "sounding" and nd["level"] == 3, nd
    assert ul["status"] == "sounding" and ul["level"] == 3 and ul["priority"] == "high", ul
    assert kinds(ev, "alarm_escalate") == ["urgent_low"], ev   # its listeners are told
    # answered, the outage lends nothing: the urgent low starts as ever
    nd, ul, ev = _after_an_unanswered_outage(True)
    assert nd["status"] == "snoozed", nd
    assert ul["status"] == "sounding" and ul["level"] == 0, ul


def test_a_low_ending_an_unanswered_no_data_sounds_at_its_level_one_priority_up():
    # the low takes the top level nobody answered, and with it what the top level
    # brings to any alarm: one priority up (medium -> high), as if it had escalated there
    nd, low, ev = _after_an_unanswered_outage(False, sgv=65, kind="low")
    assert nd["level"] == 3, nd
    assert low["status"] == "sounding" and low["level"] == 3 and low["priority"] == "high", low
    # answered, it starts as ever: level 0, medium
    nd, low, ev = _after_an_unanswered_outage(True, sgv=65, kind="low")
    assert low["status"] == "sounding" and low["level"] == 0 and low["priority"] == "medium", low


def test_a_snoozed_low_that_clears_comes_back_snoozed_to_the_same_end():
    # the low has urgent_low_soon's shape (raised on a prediction or a confirmed reading
    # under 70, held only while the reading is under 80): 21 restarts inside its own
    # snooze on the recorded CGM (helper-188)
    eng = make(urgent_low_soon=False)
    series(eng, 0, [130] * 6 + [120, 110, 100, 90, 80, 72, 66])
    assert alarm(eng, "low")["status"] == "sounding"
    eng.snooze(60 * MIN + 30)
    assert alarm(eng, "low")["status"] == "snoozed"
    series(eng, 65, [82])                              # cleared: 82 holds nothing
    assert alarm(eng, "low") is None
    ev = series(eng, 70, [66])                         # back, 10 min into its 30-min snooze
    assert kinds(ev) == ["low"] and alarm(eng, "low")["status"] == "snoozed", ev
    assert eng.loudest() is None
    series(eng, 75, [64, 63, 62, 62])                  # still low: quiet to the end ...
    assert alarm(eng, "low")["status"] == "snoozed"
    for t in range(90 * MIN, 91 * MIN + 5, 5):         # ... and sounding when it ends
        eng.tick(t)
    assert alarm(eng, "low")["status"] == "sounding"


def _low_sounding_then_paused(clear_min=15):
    """A low nobody answers (10 min: two escalation steps), then one reading that holds
    nothing (82) clears it; returns the engine and the level it had when it cleared."""
    eng = make(urgent_low_soon=False)
    series(eng, 0, [130] * 6 + [120, 110, 100, 90, 80, 72, 66])      # low sounds at minute 60
    for t in range(60 * MIN, 60 * MIN + clear_min * MIN, 5):
        eng.tick(t)
        if t % 300 == 0 and t > 60 * MIN:
            feed(eng, t, 66)
    level = alarm(eng, "low")["level"]
    series(eng, 60 + clear_min, [82])                              # cleared: 82 holds nothing
    assert alarm(eng, "low") is None
    return eng, level


def test_an_unanswered_low_that_clears_for_a_reading_comes_back_at_the_level_it_had():
    # the prediction wavers as a fall levels off: a warning nobody answered clears for one
    # reading and starts again (17 times within 10 min on the recorded CGM). It came back
    # at level 0, quieter and slower than the sound nobody had answered
    eng, level = _low_sounding_then_paused()
    assert level >= 2, level
    ev = series(eng, 80, [66])                                     # back 5 min later
    assert kinds(ev) == ["low"], ev
    back = alarm(eng, "low")
    assert back["status"] == "sounding" and back["level"] == level, back
    # it goes on escalating from there, a step later
    for t in range(80 * MIN, 86 * MIN, 5):
        eng.tick(t)
    assert alarm(eng, "low")["level"] == level + 1, alarm(eng, "low")


def test_a_low_back_10_minutes_after_its_clear_is_still_the_same_episode():
    # README: one of the low side that follows "within 10 min" is one episode; the last
    # reading inside that pause (cleared at minute 75, back at 85) keeps the level reached
    eng, level = _low_sounding_then_paused()
    series(eng, 80, [82])
    ev = series(eng, 85, [66])
    assert kinds(ev) == ["low"], ev
    assert alarm(eng, "low")["level"] == level, (alarm(eng, "low"), level)


def _urgent_low_unanswered(eng):
    """An urgent low at 50 from minute 20 to 40, nobody at the box; returns eng."""
    series(eng, 0, [110, 110, 110, 110])
    series(eng, 20, [50])
    for t in range(20 * MIN, 40 * MIN, 5):
        eng.tick(t)
        if t % 300 == 0 and t > 20 * MIN:
            feed(eng, t, 50)
    return eng


def test_a_low_back_long_after_its_clear_or_after_a_press_starts_afresh():
    # past the pause (10 min), the fall that brings it back is a new episode
    eng, level = _low_sounding_then_paused()
    series(eng, 80, [82, 82])
    series(eng, 90, [66])
    assert alarm(eng, "low")["level"] == 0, alarm(eng, "low")
    # a press meanwhile (someone is at the box, nothing sounding): afresh too
    eng, level = _low_sounding_then_paused()
    eng.snooze(78 * MIN)
    series(eng, 80, [66])
    assert alarm(eng, "low")["level"] == 0, alarm(eng, "low")


def test_an_urgent_low_nobody_answered_hands_over_to_a_low_at_the_level_it_had_reached():
    # urgent low at 50 for 20 min, nobody at the box, then 66: the urgent low clears and
    # hands over to low on that reading. The low started afresh at level 0, the quiet
    # medium sound, for a glucose still low that nobody had answered for 20 min
    eng = _urgent_low_unanswered(make())
    ul = alarm(eng, "urgent_low")
    assert ul["status"] == "sounding" and ul["level"] == 3, ul
    ev = series(eng, 40, [66])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == ["low"], ev
    low = alarm(eng, "low")
    # the top level brings one priority up to any alarm: medium -> high
    assert low["status"] == "sounding" and low["level"] == 3 and low["priority"] == "high", low
    # answered before the handover, the low starts as ever
    eng = make()
    series(eng, 0, [110, 110, 110, 110])
    series(eng, 20, [50])
    eng.acknowledge(21 * MIN)
    for t in range(21 * MIN, 40 * MIN, 5):
        eng.tick(t)
        if t % 300 == 0:
            feed(eng, t, 50)
    ev = series(eng, 40, [66])
    low = alarm(eng, "low")
    assert low is not None and low["level"] == 0 and low["priority"] == "medium", low
