# no_data beside a sensor alarm that says why no glucose comes (a warm-up, a sensor that
# expired, failed or was stopped: kinds.NO_GLUCOSE). Before, each was its own alarm: a
# bedtime sensor change took a press for the old sensor's end, another for no_data every
# 15 min of the night (escalating to the urgent-low sound), then one for the warm-up and
# no_data again; a family's only quiet was to unplug the box. Pinned: the two are one
# episode (a press on either answers both); a long press holds no_data until the reason
# ends, 2 h at most (then it sounds again if there is still no glucose); a no_data that
# starts after the sensor alarm was answered is held as that answer; the reason's end
# leaves a minute for the first reading; other sensor reasons change nothing; the hold
# survives a reset. Runs on CPython and MicroPython.
from alarms import settings
from alarms.engine import AlarmEngine, SENSOR_HOLD_S, SENSOR_END_S
from alarm_steps import MIN, make, feed, kinds, alarm


def _ticks(eng, start_s, end_s, step_s=30):
    ev = []
    for t in range(start_s, end_s, step_s):
        ev += eng.tick(t)
    return ev


def _pairs(events):
    return [(e["event"], e["type"]) for e in events]


def test_the_holds_figures():
    assert (SENSOR_HOLD_S, SENSOR_END_S) == (7200, 60)


def test_a_no_data_that_starts_after_the_sensor_alarm_was_long_pressed_is_held():
    # a new sensor at bedtime: the warm-up alarm long-pressed at once; no_data's onset 20 min
    # on is held from its start (no sound) until the warm-up ends, 2 h at most; a sensor
    # that expired alike
    for reason in ("warmup", "expired", "failed", "stopped"):
        eng = make()
        eng.set_condition("sensor", reason, True, 0)
        assert _pairs(eng.acknowledge(10)) == [("alarm_ack", "sensor")]
        ev = _ticks(eng, 0, 22 * MIN)
        assert _pairs(ev) == [("alarm_onset", "no_data"), ("alarm_snooze", "no_data")], (reason, ev)
        held = ev[1]["until_s"]
        assert held == 20 * MIN + 60 + SENSOR_HOLD_S, (reason, ev)
        assert eng.loudest() is None
        assert _ticks(eng, 22 * MIN, held) == [], reason          # silent for the hold
        assert alarm(eng, "no_data")["status"] == "snoozed"
        ev = eng.tick(held)                                      # then it sounds again
        assert _pairs(ev) == [("alarm_onset", "no_data")], (reason, ev)
        assert eng.loudest()["type"] == "no_data"


def test_a_long_press_on_no_data_answers_the_sensor_alarm_sounding_beside_it():
    # both sound (nobody pressed for 20 min): one long press answers the episode
    for reason in ("warmup", "expired", "failed", "stopped"):
        eng = make()
        eng.set_condition("sensor", reason, True, 0)
        _ticks(eng, 0, 22 * MIN)
        assert alarm(eng, "sensor")["status"] == "sounding" and alarm(eng, "no_data")["status"] == "sounding"
        ack = eng.acknowledge(22 * MIN)
        assert _pairs(ack) == [("alarm_ack", "no_data"), ("alarm_ack", "sensor")], (reason, ack)
        assert ack[0]["until_s"] == 22 * MIN + SENSOR_HOLD_S
        assert alarm(eng, "sensor")["status"] == "acknowledged"
        assert eng.loudest() is None
        assert _ticks(eng, 22 * MIN, 22 * MIN + SENSOR_HOLD_S) == [], reason
        assert kinds(eng.tick(22 * MIN + SENSOR_HOLD_S)) == ["no_data"]


def test_a_press_on_the_sensor_alarm_holds_a_no_data_snoozed_shorter():
    # no_data snoozed its own 15 min; then the sensor alarm sounds for a new reason (the
    # phone stopped the session, the new sensor's warm-up began): a long press on it holds
    # no_data too, 2 h from the press (it came back after its 15 min before); a short one
    # to the sensor alarm's snooze; a no_data held longer already is left as it is
    for long_press in (True, False):
        eng = make()
        eng.set_condition("sensor", "stopped", True, 0)
        eng.acknowledge(10)
        _ticks(eng, 0, 22 * MIN)
        nd = eng._alarms["no_data"]
        nd[4] = 30 * MIN                                  # (snoozed short: its own 15 min, say)
        eng.set_condition("sensor", "warmup", True, 25 * MIN)
        assert eng.loudest()["type"] == "sensor"
        ev = eng.acknowledge(26 * MIN) if long_press else eng.snooze(26 * MIN)
        want = 26 * MIN + (SENSOR_HOLD_S if long_press else 60 * MIN)
        assert [(e["type"], e.get("until_s")) for e in ev if e["type"] == "no_data"] == \
            [("no_data", want)], (long_press, ev)
        assert _ticks(eng, 26 * MIN, want) == [], long_press
    eng = make()
    eng.set_condition("sensor", "expired", True, 0)
    _ticks(eng, 0, 22 * MIN)
    eng.acknowledge(22 * MIN)                             # both: no_data held 2 h
    eng.set_condition("sensor", "failed", True, 30 * MIN)    # the sensor alarm sounds again
    ev = eng.snooze(31 * MIN)
    assert _pairs(ev) == [("alarm_snooze", "sensor")], ev
    assert alarm(eng, "no_data")["status"] == "snoozed"
    assert eng._alarms["no_data"][4] == 22 * MIN + SENSOR_HOLD_S


def test_a_short_press_snoozes_the_pair_until_the_same_time():
    eng = make()
    eng.set_condition("sensor", "expired", True, 0)
    _ticks(eng, 0, 22 * MIN)
    ev = eng.snooze(22 * MIN)
    until = 22 * MIN + 15 * MIN                          # no_data's own snooze
    assert sorted((e["type"], e["until_s"]) for e in ev if e["event"] == "alarm_snooze") == \
        [("no_data", until), ("sensor", until)], ev
    assert _ticks(eng, 22 * MIN, until) == []
    assert sorted(kinds(eng.tick(until))) == ["no_data", "sensor"]


def test_a_no_data_after_a_short_press_on_the_sensor_alarm_is_held_as_long_as_it():
    eng = make()
    eng.set_condition("sensor", "failed", True, 0)
    ev = eng.snooze(60)                                   # the sensor alarm: condition_snooze, 60 min
    assert ev[0]["until_s"] == 60 + 60 * MIN
    ev = _ticks(eng, 60, 30 * MIN)
    assert [(e["event"], e["type"], e.get("until_s")) for e in ev] == \
        [("alarm_onset", "no_data", None), ("alarm_snooze", "no_data", 60 + 60 * MIN)], ev
    assert _ticks(eng, 30 * MIN, 60 + 60 * MIN) == []
    assert sorted(kinds(eng.tick(60 + 60 * MIN))) == ["no_data", "sensor"]


def test_the_reasons_end_leaves_a_minute_for_the_first_reading():
    for first_reading in (False, True):
        eng = make()
        eng.set_condition("sensor", "warmup", True, 0)
        eng.acknowledge(10)
        _ticks(eng, 0, 22 * MIN)
        assert alarm(eng, "no_data")["status"] == "snoozed"
        eng.set_condition("sensor", "warmup", False, 110 * MIN)
        if first_reading:
            feed(eng, 110 * MIN + 20, 120)
        ev = _ticks(eng, 110 * MIN, 110 * MIN + SENSOR_END_S + 30, 5)
        if first_reading:
            assert kinds(ev) == [] and alarm(eng, "no_data") is None, ev
        else:
            assert kinds(ev) == ["no_data"], ev
            assert eng.loudest()["type"] == "no_data"
            assert alarm(eng, "no_data")["since_s"] <= 110 * MIN + SENSOR_END_S


def test_one_reason_ending_while_another_says_why_keeps_the_hold():
    # the phone stops the old session, then the new sensor's warm-up begins: the box is told
    # stopped, then warm-up; the hold runs on through the change (the warm-up sounds as a new
    # problem, once)
    eng = make()
    eng.set_condition("sensor", "stopped", True, 0)
    eng.acknowledge(10)
    _ticks(eng, 0, 22 * MIN)
    assert alarm(eng, "no_data")["status"] == "snoozed"
    eng.set_condition("sensor", "warmup", True, 30 * MIN)   # (app.wiring: the new reason first)
    ev = eng.set_condition("sensor", "stopped", False, 30 * MIN)
    assert alarm(eng, "no_data")["status"] == "snoozed"
    assert eng.loudest()["type"] == "sensor"
    assert all(e["type"] != "no_data" for e in ev), ev
    ack = eng.acknowledge(31 * MIN)                      # one press for the warm-up: 2 h from it
    assert [(e["event"], e["type"], e.get("until_s")) for e in ack] == \
        [("alarm_ack", "sensor", None), ("alarm_snooze", "no_data", 31 * MIN + SENSOR_HOLD_S)], ack
    assert _ticks(eng, 31 * MIN, 31 * MIN + SENSOR_HOLD_S) == []


def test_other_sensor_reasons_and_no_sensor_alarm_leave_no_data_as_it_was():
    # a calibration request ("attention") wants a person's act: no_data keeps its 15-min
    # snooze, and starts sounding even with the sensor alarm answered
    for reason in ("attention", None):
        eng = make()
        if reason:
            eng.set_condition("sensor", reason, True, 0)
            eng.acknowledge(10)
        ev = _ticks(eng, 0, 22 * MIN)
        assert _pairs(ev) == [("alarm_onset", "no_data")], (reason, ev)
        ack = eng.acknowledge(22 * MIN)
        assert _pairs(ack) == [("alarm_ack", "no_data")] and ack[0]["until_s"] == 37 * MIN, (reason, ack)


def test_a_sensor_reason_ending_leaves_a_plain_no_data_snooze_alone():
    # no_data snoozed its own 15 min, no reason ends early: the cut is only ever shorter
    eng = make()
    eng.set_condition("sensor", "expired", True, 0)
    _ticks(eng, 0, 22 * MIN)
    eng.snooze(22 * MIN)
    eng.set_condition("sensor", "expired", False, 36 * MIN + 30)
    assert alarm(eng, "no_data")["status"] == "snoozed"
    assert kinds(eng.tick(37 * MIN)) == ["no_data"]


def test_the_hold_survives_a_reset():
    # a reset in the warm-up (or after a sensor's end) kept no_data's snooze only as long
    # as no_data's own (15 min): it sounded 15 min after the boot under a silenced warm-up
    for reason in ("warmup", "expired"):
        eng = make()
        eng.set_condition("sensor", reason, True, 0)
        eng.acknowledge(10)
        _ticks(eng, 0, 22 * MIN)
        held = alarm(eng, "no_data")
        blob = eng.save()
        eng._now = 40 * MIN
        eng2 = AlarmEngine(settings.validate({}))
        assert eng2.restore(blob, 40 * MIN, away_s=40 * MIN - 22 * MIN + 30) == []
        assert alarm(eng2, "no_data")["status"] == "snoozed" and held["status"] == "snoozed"
        assert _ticks(eng2, 40 * MIN, 2 * 3600) == [], reason
        # and without the sensor's reason the restored snooze is no_data's own
    eng = make()
    _ticks(eng, 0, 22 * MIN)
    eng.acknowledge(22 * MIN)
    blob = eng.save()
    eng2 = AlarmEngine(settings.validate({}))
    eng2.restore(blob, 23 * MIN, away_s=30)
    assert kinds(_ticks(eng2, 23 * MIN, 40 * MIN)) == ["no_data"]


def test_a_fresh_urgent_low_sounds_through_the_hold():
    # the sensor's reason is the transmitter's last word; a reading that does come (a state
    # that lags, a backfill of a live value) is judged as always
    eng = make()
    eng.set_condition("sensor", "expired", True, 0)
    eng.acknowledge(10)
    _ticks(eng, 0, 22 * MIN)
    ev = feed(eng, 30 * MIN, 48)
    assert "urgent_low" in kinds(ev) and eng.loudest()["type"] == "urgent_low"
