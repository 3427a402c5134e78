# Rules of the alarm engine that its mutation run of session 62 found unpinned (helper-311:
# each test kills mutants that every other test let live; docs/TESTING.md). Derived from
# the README's "## Alarms" and engine.py's rules, not from the mutants: the low side's
# pause and priorities, presses under an urgent low, backfill, what is shown.
# Runs on CPython and MicroPython.
from alarm_steps import MIN, make, feed, kinds, alarm, series, ticks


def _rounds(eng, start_min, values):
    """A reading every 5 min from start_min, the engine's 5-s rounds between them:
    the events."""
    ev = []
    for i, v in enumerate(values):
        m = start_min + 5 * i
        ev += feed(eng, m * MIN, v) + ticks(eng, m * MIN + 5, m * MIN + 300, 5)
    return ev


def test_an_urgent_low_back_within_the_pause_at_the_top_level_stays_at_high_priority():
    # urgent low at 50 for 15 min, nobody at the box: level 3, high priority. One
    # reading of 66 clears it (above 55 + 10), the next is 52: the same episode nobody
    # answered, so it comes back at the level reached (PAUSE_S). Its priority is
    # already the top one: the level's step up must not go past "high"
    eng = make(low_enabled=False)
    series(eng, 0, [110] * 4)
    _rounds(eng, 20, [50, 50, 50, 50])
    assert alarm(eng, "urgent_low")["level"] == 3
    ev = _rounds(eng, 40, [66])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and eng.active() == [], ev
    ev = feed(eng, 45 * MIN, 52)
    assert [(e["type"], e["level"], e["priority"]) for e in ev if e["event"] == "alarm_onset"] == \
        [("urgent_low", 3, "high")], ev
    back = alarm(eng, "urgent_low")
    assert back["status"] == "sounding" and back["priority"] == "high", back
    assert eng.loudest()["priority"] == "high" and eng.loudest()["level"] == 3


def test_a_low_back_two_readings_after_its_clear_is_still_the_episode_nobody_answered():
    # PAUSE_S: a low-side alarm that starts within 10 min of one that cleared sounding
    # unanswered sounds at the level reached. Readings come every 5 min: the one two
    # readings after the clear is 10 min later and still within it
    eng = make(urgent_low_soon=False)
    series(eng, 0, [130] * 6 + [120, 110, 100, 90, 80, 72])
    _rounds(eng, 60, [66, 66, 66])                  # low at minute 60, nobody answers
    level = alarm(eng, "low")["level"]
    assert level == 2, alarm(eng, "low")
    assert kinds(_rounds(eng, 75, [82, 82]), "alarm_clear") == ["low"]    # clears at 75
    ev = feed(eng, 85 * MIN, 66)
    assert kinds(ev) == ["low"] and alarm(eng, "low")["level"] == level, (ev, alarm(eng, "low"))


def test_a_long_press_with_nothing_sounding_ends_the_pause_as_a_short_one_does():
    # someone at the box after the low cleared: the low back within the pause is news
    # to them, and starts afresh at level 0, whichever press they made
    eng = make(urgent_low_soon=False)
    series(eng, 0, [130] * 6 + [120, 110, 100, 90, 80, 72])
    _rounds(eng, 60, [66, 66, 66, 82])
    assert alarm(eng, "low") is None
    assert eng.acknowledge(77 * MIN) == []
    ev = _rounds(eng, 80, [66])
    assert kinds(ev) == ["low"] and ev[0]["level"] == 0, ev


def test_a_dip_on_the_reading_that_starts_the_filter_waits_a_reading_with_predictions_off():
    # "a lone dip from a steady level waits for the next reading": a reading below low
    # raises when the filter's level is low too, or glucose was already falling. On the
    # second reading after a restart (a gap over 30 min) no fall was known before it
    eng = make(low_minutes=0, urgent_low_soon=False)
    series(eng, 0, [110, 110, 110])
    assert kinds(series(eng, 50, [110, 64])) == []
    assert kinds(series(eng, 60, [64])) == ["low"]          # still low: it sounds


FALL = [140 - 7.5 * i for i in range(10)]     # 5-min readings, 1.5 mg/dL/min down to 72.5


def test_backfill_older_than_the_fall_window_still_gives_the_warning_at_once():
    # a 35-min gap (the filter restarts on the live reading) whose backfill holds only
    # its first readings, all older than the 15-min fall window: they reach the
    # predictor, so the newest reading is judged again with them (rejudge), as with a
    # whole backfill, not 5 min later
    eng = make()
    for i in range(3):
        feed(eng, i * 5 * MIN, FALL[i])
    t = 45 * MIN + 10
    assert kinds(feed(eng, t, FALL[9], age_s=10)) == []
    for i in (3, 4, 5):
        feed(eng, t + 2, FALL[i], age_s=t + 2 - i * 5 * MIN)
    assert kinds(eng.rejudge(t + 3)) == ["urgent_low_soon"]
    # told once: the next reading's events do not hand the re-judging's onset out again
    assert kinds(feed(eng, 50 * MIN, 70)) == [] and eng.rejudge(50 * MIN + 1) == []


def test_an_urgent_low_back_after_two_clears_in_a_row_sounds_at_the_louder_level_reached():
    # low at 68, urgent low at 54: one press at 50.5 min answers both (15 min). Glucose
    # falls 10 lower (44): the urgent low sounds again at once, nobody answers it (level
    # 3 by minute 70); the low sounds again at its snooze's end (level 1 at 70). 66
    # clears the urgent low, 82 the low a reading later (level 2), 52 brings the urgent
    # low back: within the pause of both clears, the episode nobody answered since the
    # fall, at the level it reached (3), not the quieter low's
    eng = make(urgent_low_soon=False)
    series(eng, 0, [110] * 6 + [95, 85, 75, 68])
    assert kinds(feed(eng, 50 * MIN, 54)) == ["urgent_low"]
    assert kinds(eng.snooze(50 * MIN + 30), "alarm_snooze") == ["urgent_low", "low"]
    _rounds(eng, 55, [44, 44, 44, 44])
    assert [(a["type"], a["status"], a["level"]) for a in eng.active()] == \
        [("urgent_low", "sounding", 3), ("low", "sounding", 1)], eng.active()
    assert kinds(_rounds(eng, 75, [66]), "alarm_clear") == ["urgent_low"]
    assert alarm(eng, "low")["level"] == 2
    assert kinds(_rounds(eng, 80, [82]), "alarm_clear") == ["low"]
    ev = feed(eng, 85 * MIN, 52)
    assert kinds(ev) == ["urgent_low"] and alarm(eng, "urgent_low")["level"] == 3, ev


def test_a_battery_warning_held_as_the_clock_comes_at_night_does_not_escalate_in_that_round():
    # told without a time of day it sounds at once; the clock comes at 23:00 in the very
    # round its first escalation falls due: it waits for 08:00, dim and silent "as if
    # snoozed", and a snoozed alarm does not escalate (the log and MQTT said it did)
    eng = make()
    feed(eng, 0, 120)
    assert kinds(eng.set_condition("transmitter_battery", "battery_low", True, 1, None)) == \
        ["transmitter_battery"]
    for t in range(5, 301, 5):
        assert eng.tick(t) == []
    ev = eng.tick(301, 23 * 60)
    assert [e["event"] for e in ev] == ["alarm_snooze"] and ev[0]["until_s"] == 301 + 9 * 3600, ev
    held = alarm(eng, "transmitter_battery")
    assert held["status"] == "snoozed" and held["level"] == 0, held


def test_a_press_on_an_urgent_low_back_under_a_longer_low_snooze_ends_that_snooze_with_its_own():
    # urgent low at 54 beside a low: one press (50.5 min) answers both to 65.5. Glucose
    # settles at 60 (the urgent low only holds there): the low sounds at 65.5 and a
    # press gives it its own 30 min (to 96). 50 brings the urgent low back (its snooze is
    # over) and a press answers it to 85.5: the urgent low's end is the episode's next
    # word, so the low's longer snooze ends with it and the low sounds at 85.5, not at 96
    # (README "## Alarms": under an urgent low, a lesser snoozed to a later end too)
    eng = make(urgent_low_soon=False)
    series(eng, 0, [110] * 6 + [95, 85, 75, 68])
    presses = (50 * MIN + 30, 66 * MIN, 70 * MIN + 30)
    ends = []
    for i, v in enumerate([54, 60, 60, 60, 50, 60, 60, 60]):
        m = 50 + 5 * i
        feed(eng, m * MIN, v)
        for t in range(m * MIN + 5, m * MIN + 300, 5):
            if t in presses:
                ends.append([(e["type"], e["until_s"]) for e in eng.snooze(t)])
            eng.tick(t)
    assert ends == [[("urgent_low", 65.5 * MIN), ("low", 65.5 * MIN)], [("low", 96 * MIN)],
                    [("urgent_low", 85.5 * MIN), ("low", 85.5 * MIN)]], ends
    assert eng.loudest()["type"] == "low" and alarm(eng, "low")["status"] == "sounding"


def test_an_urgent_low_that_ends_an_unanswered_no_data_takes_its_next_step_a_full_period_later():
    # no_data (10 min) sounding unanswered to level 2; the first reading back, 50, starts
    # the urgent low at that level (nobody has answered the box): from there it escalates
    # every escalate_minutes like any sounding alarm, its next step 5 min on, not at once
    eng = make(no_data_minutes=10)
    series(eng, 0, [110, 110, 110])
    for t in range(10 * MIN + 5, 33 * MIN, 5):
        eng.tick(t)
    assert alarm(eng, "no_data")["level"] == 2
    ev = feed(eng, 33 * MIN, 50)
    assert [(e["event"], e["type"], e["level"]) for e in ev if e["type"] == "urgent_low"] == \
        [("alarm_onset", "urgent_low", 0), ("alarm_escalate", "urgent_low", 2)], ev
    steps = [(t, e["level"]) for t in range(33 * MIN + 5, 40 * MIN, 5) for e in eng.tick(t)]
    assert steps == [(38 * MIN, 3)], steps


def test_a_snoozed_urgent_low_is_shown_over_its_snoozed_warning_of_the_same_priority():
    # one press answers the urgent low and the urgent-low-soon warning beside it: both
    # high priority, both silent. What the light and screen show is the most urgent
    # type (it wins a tie): the urgent low itself, not the warning that it may come
    eng = make()
    assert kinds(series(eng, 0, [100, 90, 80, 70, 64, 62, 54])) == ["urgent_low_soon", "urgent_low"]
    assert kinds(eng.snooze(31 * MIN), "alarm_snooze") == ["urgent_low", "urgent_low_soon"]
    assert eng.loudest() is None
    shown = eng.shown()
    assert shown["type"] == "urgent_low" and shown["status"] == "snoozed", shown


def test_no_data_beside_a_link_named_by_another_problem_gives_the_oldest_reason_that_says_why():
    # the link alarm named by a slot conflict (its newest problem, no reason for a gap)
    # while a lost bond and then an unheard transmitter keep glucose away: no_data's
    # "cause" for the screen is one that says why no glucose comes, the first of them
    eng = make()
    eng.tick(0)                                                  # the last reading
    eng.set_condition("link", "bond_lost", True, 1 * MIN)
    eng.set_condition("link", "no_transmitter", True, 2 * MIN)
    eng.set_condition("link", "slot_conflict", True, 3 * MIN)
    assert alarm(eng, "link")["reason"] == "slot_conflict"
    for t in range(3 * MIN, 22 * MIN, 30):
        eng.tick(t)
    shown = eng.shown()
    assert shown["type"] == "no_data" and shown.get("cause") == ("link", "bond_lost"), shown


def test_a_backfill_reading_right_after_a_reset_is_taken_quietly():
    # a reset keeps the newest reading but not the fall window: the gap's backfill that
    # arrives next finds the window empty and changes nothing (it must not fail the round)
    from alarms import settings
    from alarms.engine import AlarmEngine
    eng = make()
    series(eng, 0, [130, 125, 120])
    again = AlarmEngine(settings.validate({}))
    again.restore(eng.save(), 11 * MIN)
    assert feed(again, 11 * MIN + 10, 123, age_s=3 * MIN + 10) == []
    assert again.rejudge(11 * MIN + 11) == []


def test_has_reason_answers_for_a_condition_alarms_own_reasons_only():
    # main.App asks it whether a condition restored from RTC memory still stands
    eng = make()
    eng.tick(0)
    assert eng.has_reason("link", "no_transmitter") is False
    eng.set_condition("link", "no_transmitter", True, 1 * MIN)
    eng.set_condition("link", "bond_lost", True, 2 * MIN)
    assert eng.has_reason("link", "no_transmitter") and eng.has_reason("link", "bond_lost")
    assert not eng.has_reason("link", "rogue") and not eng.has_reason("sensor", "no_transmitter")
    for t in range(2 * MIN, 22 * MIN, 30):
        eng.tick(t)
    assert eng.is_active("no_data") and eng.has_reason("no_data", "") is False
    eng.set_condition("link", "no_transmitter", False, 22 * MIN)
    assert not eng.has_reason("link", "no_transmitter") and eng.has_reason("link", "bond_lost")
