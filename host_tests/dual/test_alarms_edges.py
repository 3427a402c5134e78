# The alarm engine at its edges (docs/ALARM_AUDIT.md): readings that are only ever
# stale, a reading exactly as old as the limits, settings at their bounds.
# Runs on CPython and MicroPython.
from alarms import settings
from alarms.engine import AlarmEngine, NO_DATA_GRACE_S as GRACE
import reading
from alarm_steps import MIN, make, feed, kinds, alarm  # noqa: F401


def _stale_stream(eng, start_min, end_min, sgv, age_s):
    """A reading every 5 min from start_min to end_min, each age_s old when it
    arrives, with the engine's 5-s ticks between them (every 30 s here)."""
    events = []
    for m in range(start_min, end_min, 5):
        events += feed(eng, m * MIN, sgv, age_s=age_s)
        for s in range(30, 300, 30):
            events += eng.tick(m * MIN + s)
    return events


def test_readings_that_are_only_ever_stale_raise_no_data():
    # every reading 12 min old when it arrives (a follower whose source lags, a
    # clock that dates readings early): none may raise a glucose alarm, and the
    # family must hear that no usable reading comes. Before, each stale reading
    # restarted the no_data count, so a day of them was silent, even at 45 mg/dL
    eng = make()
    eng.tick(0)                                       # the power-on
    ev = _stale_stream(eng, 12, 24 * 60, 45, 12 * MIN)
    assert [k for k in kinds(ev) if k != "no_data"] == []
    assert kinds(ev) == ["no_data"]
    assert ev[0]["event"] == "alarm_onset"
    # counted from the power-on (no usable reading ever): at 20 min (and the grace
    # a reading due then has to arrive)
    assert [e for e in ev if e["event"] == "alarm_onset"][0] is ev[0]
    nd = alarm(eng, "no_data")
    assert nd is not None and nd["status"] == "sounding" and nd["since_s"] == 20 * MIN + GRACE


def test_stale_readings_after_fresh_ones_do_not_hold_no_data_off():
    eng = make()
    for m in (0, 5, 10):
        feed(eng, m * MIN, 120)
    # from minute 15 on the readings arrive 11 min old: no_data 20 min after the
    # last usable reading (measured at minute 10), not 20 min after the last stale one
    ev = _stale_stream(eng, 15, 60, 120, 11 * MIN)
    onsets = [e for e in ev if e["event"] == "alarm_onset"]
    assert [e["type"] for e in onsets] == ["no_data"]
    assert alarm(eng, "no_data")["since_s"] == 30 * MIN + GRACE
    # a usable reading clears it
    assert kinds(feed(eng, 60 * MIN, 120), "alarm_clear") == ["no_data"]


def test_after_a_reset_stale_readings_still_end_in_no_data():
    eng = make()
    feed(eng, 0, 120)
    _stale_stream(eng, 15, 20, 120, 11 * MIN)          # measured at minute 4, 11 min old
    blob = eng.save()                                  # at 19.5 min
    eng2 = AlarmEngine(settings.validate({}))
    assert eng2.restore(blob, 19 * MIN + 30) == []
    ev = _stale_stream(eng2, 20, 60, 120, 11 * MIN)
    assert kinds(ev) == ["no_data"]
    # 20 min after the last usable reading (minute 0), as without the reset
    assert alarm(eng2, "no_data")["since_s"] == 20 * MIN + GRACE
    # a stale reading re-delivered after the reset raises nothing; a usable one clears
    assert kinds(feed(eng2, 60 * MIN, 50, age_s=56 * MIN)) == []
    assert kinds(feed(eng2, 61 * MIN, 120), "alarm_clear") == ["no_data"]


def test_a_reading_as_old_as_no_data_minutes_leaves_no_data_as_it_was():
    # settings at their bounds: no_data after 10 min, stale after 10 min. A reading
    # exactly 10 min old is usable, yet no usable reading is younger than 10 min:
    # no_data goes on as it was. Before, the reading cleared it and the tick right
    # after started it again at level 0: an escalated no_data fell back to quiet
    eng = make(no_data_minutes=10)
    feed(eng, 0, 120)
    for s in range(0, 26 * MIN + GRACE, 30):
        eng.tick(s)
    nd = alarm(eng, "no_data")
    assert nd is not None and nd["level"] == 3 and nd["priority"] == "high"
    ev = feed(eng, 26 * MIN + GRACE, 120, age_s=10 * MIN)
    assert [e["event"] for e in ev if e["type"] == "no_data"] == []
    assert alarm(eng, "no_data")["level"] == 3
    # a reading 10 min old minus a second clears it
    assert kinds(feed(eng, 27 * MIN + GRACE, 120, age_s=10 * MIN - 1), "alarm_clear") == ["no_data"]


def _drift_into_an_unanswered_low(eng):
    for i, v in enumerate([75, 72, 69, 68, 67, 66, 65, 64]):
        feed(eng, i * 5 * MIN, v)
        for s in range(30, 300, 30):
            eng.tick(i * 5 * MIN + s)


def test_an_urgent_low_on_top_of_an_unanswered_low_is_not_played_quieter():
    # nobody answered the low for half an hour: it plays escalated (level 3, high).
    # Then the urgent low starts. Two alarms of the same priority: the more urgent
    # type is played, and it must not be played fresh (level 0: 10 s apart at 30 %
    # duty instead of 6 s at 50 %): the box fell quieter exactly as glucose got worse
    from sound import patterns
    eng = make(urgent_low_soon=False)
    _drift_into_an_unanswered_low(eng)
    before = eng.loudest()
    assert (before["type"], before["priority"], before["level"]) == ("low", "high", 3)
    feed(eng, 40 * MIN, 53)
    now = eng.loudest()
    assert now["type"] == "urgent_low" and now["priority"] == "high"
    assert alarm(eng, "urgent_low")["level"] == 0        # its own escalation starts at 0
    played = patterns.sound(now["priority"], now["level"], now["volume"])
    was = patterns.sound(before["priority"], before["level"], before["volume"])
    assert played[1] <= was[1] and played[2] >= was[2]   # no slower, no quieter
    assert eng.shown()["level"] == now["level"]
    # answered (snoozed), the urgent low takes the low of its episode with it (one press,
    # session 15); the low keeps its level for when it comes back
    eng.snooze(40 * MIN + 10)
    assert eng.loudest() is None
    assert alarm(eng, "low")["status"] == "snoozed" and alarm(eng, "low")["level"] == 3
    # and a fresh alarm alone plays fresh
    eng2 = make()
    feed(eng2, 0, 53)
    assert eng2.loudest()["level"] == 0


def test_high_side_alarms_played_under_no_data_do_not_lend_it_their_level():
    # during an outage no_data is played over the high-side alarms, which stop
    # escalating (README): their level is theirs, not no_data's
    eng = make()
    for m in (0, 5, 10):
        feed(eng, m * MIN, 320)
    for s in range(10 * MIN, 32 * MIN, 30):
        eng.tick(s)
    assert alarm(eng, "urgent_high")["level"] == 3
    loud = eng.loudest()
    assert loud["type"] == "no_data" and loud["level"] == alarm(eng, "no_data")["level"] == 0


def test_a_high_side_alarm_does_not_escalate_under_no_data_nor_jump_when_data_returns():
    # nobody fails to answer a high the box plays no_data over: its level stays, and
    # its next step comes escalate_minutes after the data returns, not at once
    eng = make(escalate_minutes=15)
    for m in (0, 5, 10):
        feed(eng, m * MIN, 320)
    for s in range(10 * MIN, 31 * MIN, 5):
        eng.tick(s)
    assert alarm(eng, "urgent_high")["level"] == 2          # escalated at 15 and 30 min
    assert alarm(eng, "no_data") is None
    for s in range(31 * MIN, 120 * MIN, 5):
        eng.tick(s)
    assert alarm(eng, "no_data")["status"] == "sounding"
    assert alarm(eng, "urgent_high")["level"] == 2          # an hour and a half later
    feed(eng, 120 * MIN, 320)                               # the data is back
    assert alarm(eng, "no_data") is None and alarm(eng, "urgent_high")["level"] == 2
    for s in range(120 * MIN, 134 * MIN, 5):
        eng.tick(s)
    assert alarm(eng, "urgent_high")["level"] == 2
    for s in range(134 * MIN, 136 * MIN, 5):
        eng.tick(s)
    assert alarm(eng, "urgent_high")["level"] == 3


def test_an_urgent_high_on_top_of_an_unanswered_high_is_not_played_quieter():
    # the high side of the urgent-low rule above: a high nobody answered plays
    # escalated; the urgent high that follows as glucose climbs plays no fresher
    eng = make()
    for m in range(0, 25, 5):
        feed(eng, m * MIN, 270)      # high is 250, urgent high 300
        for s in range(m * MIN, (m + 5) * MIN, 5):
            eng.tick(s)
    assert alarm(eng, "high")["level"] == 3 and not eng._outage()
    feed(eng, 25 * MIN, 310)
    loud = eng.loudest()
    assert loud["type"] == "urgent_high" and alarm(eng, "urgent_high")["level"] == 0
    assert loud["level"] == 3, loud


NIGHT = [{"start": 22 * 60, "end": 7 * 60, "low": 80, "volume": 40}]


def test_a_low_snoozed_by_day_is_judged_by_the_nights_threshold_when_its_snooze_ends():
    # snoozed at 21:45 under the day's low (70) for 30 min; the night (low 80)
    # starts at 22:00; glucose holds at 75: the low sounds again at the snooze's end
    eng = make(schedule=NIGHT, urgent_low_soon=False)
    mod0 = 21 * 60 + 30
    for i, v in enumerate([72, 70, 68, 68]):
        feed(eng, i * 5 * MIN, v, mod=mod0 + i * 5)
    assert alarm(eng, "low") is not None
    assert kinds(eng.snooze(15 * MIN), "alarm_snooze") == ["low"]
    onsets = []
    for i in range(4, 12):
        ev = feed(eng, i * 5 * MIN, 75, mod=mod0 + i * 5)
        onsets += [(i * 5, e["type"]) for e in ev if e["event"] == "alarm_onset"]
    assert onsets == [(45, "low")]
    assert eng.loudest()["volume"] == 40
    # and the other way: snoozed by night at 78, the day's low (70) holds it only in
    # its hysteresis (below 80): it stays snoozed past its end, silent, and clears at 80
    eng = make(schedule=NIGHT, urgent_low_soon=False)
    mod0 = 6 * 60 + 30
    for i, v in enumerate([79, 78, 78]):
        feed(eng, i * 5 * MIN, v, mod=mod0 + i * 5)
    assert kinds(eng.snooze(10 * MIN), "alarm_snooze") == ["low"]
    ev = []
    for i in range(3, 12):
        ev += feed(eng, i * 5 * MIN, 78, mod=mod0 + i * 5)
    assert kinds(ev) == [] and alarm(eng, "low")["status"] == "snoozed"
    assert kinds(feed(eng, 60 * MIN, 80, mod=mod0 + 60), "alarm_clear") == ["low"]


def test_a_wall_clock_step_moves_the_schedule_not_the_snooze():
    # the snooze runs on the engine's monotonic seconds: NTP setting the wall clock
    # (a step of the minute of day, here from 12:07 to 23:00) neither shortens nor
    # lengthens it, while the night's settings apply from the step on
    eng = make(schedule=NIGHT)
    feed(eng, 0, 50, mod=12 * 60)
    eng.snooze(10)                                    # urgent low: 15 min
    feed(eng, 5 * MIN, 50, mod=12 * 60 + 5)
    assert kinds(eng.tick(7 * MIN, minute_of_day=23 * 60)) == []
    assert eng.current_settings()["low"] == 80
    feed(eng, 10 * MIN, 50, mod=23 * 60 + 3)
    assert kinds(eng.tick(10 + 15 * MIN - 1)) == []
    assert eng.minute_of_day(10 + 15 * MIN - 1) == 23 * 60 + 8
    assert kinds(eng.tick(10 + 15 * MIN)) == ["urgent_low"]


def _warning_then_a_long_gap():
    """Low alarms off: urgent_low_soon sounds on a fall to 62 (minute 40), then no reading
    for 35 min (the filter restarts); returns the engine and the events so far."""
    eng = make(low_enabled=False)
    ev = []
    for i, v in enumerate([110, 104, 98, 92, 86, 80, 74, 68, 62]):
        ev += feed(eng, i * 5 * MIN, v)
    assert kinds(ev) == ["urgent_low_soon"], ev
    for t in range(41 * MIN, 75 * MIN, 30):
        ev += eng.tick(t)
    return eng, ev


def test_a_predicted_urgent_low_holds_its_band_on_the_reading_after_a_long_gap():
    # low alarms off (a setting, or a night's schedule): urgent_low_soon is the warning
    # above 55. It sounds at 62; the signal is lost for 35 min, which restarts the
    # filter. The first reading after it, 60, is in the warning's band (urgent_low + 10):
    # it held there before the gap and must hold after it, not clear because the
    # restarted filter predicts nothing yet (glucose 57-60 was then silent: no rate
    # for a new prediction, not below 55)
    eng, ev = _warning_then_a_long_gap()
    assert "no_data" in kinds(ev)
    ev = feed(eng, 75 * MIN, 60)
    assert kinds(ev, "alarm_clear") == ["no_data"], ev
    assert alarm(eng, "urgent_low_soon") is not None
    for i, v in enumerate([60, 58, 57]):
        feed(eng, (80 + 5 * i) * MIN, v)
    assert alarm(eng, "urgent_low_soon") is not None
    # ... and it clears above the band, as without a gap
    feed(eng, 95 * MIN, 66)
    assert alarm(eng, "urgent_low_soon") is None


def test_after_a_long_gap_a_predicted_urgent_low_clears_at_the_top_of_its_band():
    # the band the reading alone holds after a gap is the one it has with a prediction:
    # below urgent_low + 10. At 65 (urgent_low 55) glucose is out of it, and the warning
    # clears on that first reading, as it does at 65 without a gap
    eng, ev = _warning_then_a_long_gap()
    ev = feed(eng, 75 * MIN, 65)
    assert sorted(kinds(ev, "alarm_clear")) == ["no_data", "urgent_low_soon"], ev
    assert alarm(eng, "urgent_low_soon") is None
