# Rules of alarms/glucose.py that its mutation run of session 62 found unpinned
# (helper-313; docs/TESTING.md). Derived from the README's "## Alarms" and the module's
# comments, not from the mutants. Runs on CPython and MicroPython.
from alarm_steps import MIN, make, feed, kinds, alarm, series


def test_a_gap_a_minute_shorter_than_the_persistent_high_window_is_bridged():
    # "a gap without readings as long as that starts the count again": one shorter,
    # by a minute, is bridged, and the count from the first reading above goes on
    eng = make(persistent_high_enabled=True, high_enabled=False, urgent_high_enabled=False)
    series(eng, 0, [200] * 6)                                  # 0..25 min, above 180
    ev = feed(eng, (25 + 119) * MIN, 195)                      # 119 min without data
    assert kinds(ev) == ["persistent_high"], ev                # above since minute 0


def test_a_sounding_fall_holds_through_close_readings_after_a_gap_while_they_fall():
    # "with no rate (missed readings ...) a sounding or snoozed one holds unless the
    # last two readings turn": after a gap, a CGM reading each minute gives three
    # readings spanning 2 min (no rate over 10); they keep falling, so it holds
    eng = make(fall_enabled=True, fall_rate=3)
    series(eng, 0, [300, 280, 260, 240])                       # 4 mg/dL/min down
    assert alarm(eng, "fall") is not None
    ev = []
    for i, v in enumerate((180, 176, 172)):                    # 20 min later, 1 min apart
        ev += feed(eng, (35 + i) * MIN, v)
    assert "fall" not in kinds(ev, "alarm_clear") and "fall" not in kinds(ev), ev
    assert alarm(eng, "fall")["status"] == "sounding"
    # the last two turn: it clears
    assert kinds(feed(eng, 38 * MIN, 180), "alarm_clear") == ["fall"]


def test_a_reading_back_at_low_as_the_urgent_low_snooze_ends_is_the_recovery():
    # an urgent low that clears above its band hands over to low on that reading only
    # when glucose is still below low: "a reading back at low after the drop is the
    # recovery, and a low the lagging rate alone predicts there waits a reading". A snooze
    # is over at its end (the tick re-raises then): a reading that very second is judged
    # as one after it, and the low comes a reading later if glucose stays low
    eng = make(urgent_low_soon=False)
    series(eng, 0, [120] * 6 + [90, 52])                       # urgent low at minute 35
    assert alarm(eng, "urgent_low")["status"] == "sounding"
    eng.snooze(35 * MIN)                                       # 15 min: until minute 50
    feed(eng, 40 * MIN, 50)
    ev = feed(eng, 50 * MIN, 72)                               # the fall still predicts a low
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == [], ev
    assert eng.active() == []
    assert kinds(feed(eng, 55 * MIN, 66)) == ["low"]
