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
from alarm_steps import MIN, make, feed, kinds, alarm, ticks as _ticks


def _pairs(events):
    return [(e["event"], e["type"]) for e in events]

def _held(reason, **user):
    """An engine whose sensor alarm (reason) was long-pressed at 10 s, ticked to 22 min:
    no_data started held at 21 min (20 and the grace)."""
    eng = make(**user)
    eng.set_condition("sensor", reason, True, 0)
    eng.acknowledge(10)
    _ticks(eng, 0, 22 * MIN)
    return eng



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
        eng = _held("stopped")
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
        eng = _held("warmup")
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
    eng = _held("stopped")
    assert alarm(eng, "no_data")["status"] == "snoozed"
    eng.set_condition("sensor", "warmup", True, 30 * MIN)   # (app.wiring: the new reason first)
    ev = eng.set_condition("sensor", "stopped", False, 30 * MIN)
    assert alarm(eng, "no_data")["status"] == "snoozed"
    assert eng.loudest()["type"] == "sensor"
    assert all(e["type"] != "no_data" for e in ev), ev
    assert [e for e in _ticks(eng, 30 * MIN, 31 * MIN, 5) if e["type"] == "no_data"] == []
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
        eng = _held(reason)
        held = alarm(eng, "no_data")
        blob = eng.save()
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
    eng = _held("expired")
    ev = feed(eng, 30 * MIN, 48)
    assert "urgent_low" in kinds(ev) and eng.loudest()["type"] == "urgent_low"


def test_no_hold_is_longer_than_two_hours_whatever_the_sensor_alarms_snooze():
    # condition_snooze reaches 240 min: a short press on the sensor alarm held no_data that
    # long (helper-150), on both paths: a no_data that starts after the press, and one
    # snoozed short that the press reaches
    eng = make(condition_snooze=240)
    eng.set_condition("sensor", "expired", True, 10)      # no_data counts from 10 s: due at 1270
    assert eng.snooze(20)[0]["until_s"] == 20 + 240 * MIN
    assert eng.tick(1260) == []
    ev = eng.tick(1280)
    assert [(e["event"], e.get("until_s")) for e in ev] == \
        [("alarm_onset", None), ("alarm_snooze", 1280 + SENSOR_HOLD_S)], ev
    assert _ticks(eng, 1280, 1280 + SENSOR_HOLD_S) == []
    assert kinds(eng.tick(1280 + SENSOR_HOLD_S)) == ["no_data"]
    # the cover: no_data snoozed short, the sensor alarm sounding again (a new reason)
    eng = make(condition_snooze=240)
    eng.set_condition("sensor", "expired", True, 0)
    _ticks(eng, 0, 22 * MIN)
    eng.snooze(22 * MIN)                                  # both, 15 min
    eng.set_condition("sensor", "failed", True, 30 * MIN)
    ev = eng.snooze(31 * MIN)                             # the sensor alarm: 240 min
    got = dict((e["type"], e["until_s"]) for e in ev)
    assert got == {"sensor": 31 * MIN + 240 * MIN, "no_data": 31 * MIN + SENSOR_HOLD_S}, ev


def test_a_sensor_snooze_ending_as_no_data_starts_leaves_it_sounding_with_one_onset():
    eng = make(condition_snooze=5)
    eng.set_condition("sensor", "warmup", True, 0)
    eng.snooze(990)                                       # until 1290: no_data is due at 1260
    ev = eng.tick(1300)
    assert [e["event"] for e in ev if e["type"] == "no_data"] == ["alarm_onset"], ev
    assert sorted(kinds(ev)) == ["no_data", "sensor"]
    assert eng.loudest()["type"] == "no_data"


def test_a_stuck_buttons_take_back_sounds_the_no_data_its_press_held():
    eng = make()
    eng.tick(0)
    eng.set_condition("sensor", "expired", True, 0)
    press = eng.acknowledge(20 * MIN + 30)                # a book lands on the button
    answered = [e["type"] for e in press]
    assert answered == ["sensor"], press
    assert kinds(eng.tick(21 * MIN + 1)) == ["no_data"]    # due: held as that answer
    assert alarm(eng, "no_data")["status"] == "snoozed"
    back = eng.unanswer(answered, 21 * MIN + 31)         # found stuck: taken back
    assert sorted(kinds(back)) == ["no_data", "sensor"], back
    assert alarm(eng, "no_data")["status"] == "sounding" == alarm(eng, "sensor")["status"]
    # without a reason that says why, a snoozed no_data is a person's own answer: kept
    eng = make()
    eng.set_condition("sensor", "attention", True, 0)
    _ticks(eng, 0, 22 * MIN)
    eng.acknowledge(22 * MIN)                             # no_data, its own 15 min
    press = eng.acknowledge(23 * MIN)                     # the sensor alarm
    assert kinds(eng.unanswer([e["type"] for e in press], 23 * MIN + 30)) == ["sensor"]
    assert alarm(eng, "no_data")["status"] == "snoozed"


def test_every_long_press_on_no_data_holds_two_hours_while_the_reason_lasts():
    # the first hold runs out with the sensor still expired: no_data sounds; a long press
    # holds it 2 h again (not the 15-min snooze the change was made against)
    eng = _held("expired")
    end = alarm(eng, "no_data")
    t = 22 * MIN + SENSOR_HOLD_S
    assert kinds(_ticks(eng, 22 * MIN, t)) == ["no_data"] and end["status"] == "snoozed"
    assert alarm(eng, "sensor")["status"] == "acknowledged"
    ack = eng.acknowledge(t)
    assert [(e["type"], e["until_s"]) for e in ack] == [("no_data", t + SENSOR_HOLD_S)], ack
    assert _ticks(eng, t, t + SENSOR_HOLD_S) == []


def test_every_reasons_end_cuts_the_hold_to_a_minute():
    for reason in ("warmup", "expired", "failed", "stopped"):
        eng = _held(reason)
        eng.set_condition("sensor", reason, False, 40 * MIN)
        assert _ticks(eng, 40 * MIN, 40 * MIN + SENSOR_END_S) == [], reason
        assert kinds(eng.tick(40 * MIN + SENSOR_END_S)) == ["no_data"], reason


def test_a_press_on_no_data_leaves_a_snoozed_sensor_alarms_snooze_as_it_was():
    # the person snoozed the sensor alarm before (for its own time); a press on no_data
    # answers no_data, and neither acknowledges nor re-snoozes the sensor alarm
    for long_press in (True, False):
        eng = make(condition_snooze=30)
        eng.set_condition("sensor", "stopped", True, 0)
        _ticks(eng, 0, 22 * MIN)
        eng.snooze(22 * MIN)                              # both until 37 min
        eng._alarms["sensor"][4] = 60 * MIN               # (the sensor's own longer snooze)
        t = 37 * MIN
        assert kinds(eng.tick(t)) == ["no_data"]
        ev = eng.acknowledge(t + 5) if long_press else eng.snooze(t + 5)
        assert [e["type"] for e in ev] == ["no_data"], (long_press, ev)
        assert alarm(eng, "sensor")["status"] == "snoozed" and eng._alarms["sensor"][4] == 60 * MIN


def test_a_restore_keeps_the_hold_to_its_end_and_no_longer():
    # the sensor alarm's reasons as saved: warm-up older, attention the newest (the hold
    # is the warm-up's all the same); the restored hold ends where it would have
    from alarms import engine as eng_mod
    eng = make()
    eng.set_condition("sensor", "warmup", True, 0)
    eng.set_condition("sensor", "attention", True, 60)
    eng.acknowledge(70)
    _ticks(eng, 0, 22 * MIN)
    until = eng._alarms["no_data"][4]
    assert until == 21 * MIN + SENSOR_HOLD_S              # due at 21 min (20 and the grace)
    blob = eng.save()                                     # (relative to its last tick, 21.5 min)
    eng2 = AlarmEngine(settings.validate({}))
    eng2.restore(blob, 21 * MIN + 30, away_s=0)
    assert eng2._alarms["no_data"][4] == until
    assert _ticks(eng2, 21 * MIN + 30, until) == []
    assert kinds(eng2.tick(until)) == ["no_data"]
    # a hold saved longer than the hold (a firmware with another figure): 2 h from the save
    saved_hold = eng_mod.SENSOR_HOLD_S
    try:
        eng_mod.SENSOR_HOLD_S = 4 * 3600
        eng = _held("expired")
        blob = eng.save()
    finally:
        eng_mod.SENSOR_HOLD_S = saved_hold
    eng2 = AlarmEngine(settings.validate({}))
    eng2.restore(blob, 21 * MIN + 30, away_s=0)
    assert eng2._alarms["no_data"][4] == 21 * MIN + 30 + SENSOR_HOLD_S


def test_a_restore_caps_other_snoozes_by_their_own_settings_beside_the_hold():
    # the hold's 2 h are no_data's alone, and only beside a sensor alarm that says why:
    # settings shortened before a reset (no_data_snooze 30 -> 5, condition_snooze 60 -> 5) cap
    # the restored snoozes of no_data without such a reason, and of the sensor alarm itself
    eng = make(no_data_snooze=30)
    _ticks(eng, 0, 22 * MIN)
    eng.acknowledge(22 * MIN)                             # no_data: its own 30 min
    blob = eng.save()
    eng2 = AlarmEngine(settings.validate({"no_data_snooze": 5}))
    eng2.restore(blob, 21 * MIN + 30, away_s=0)
    assert eng2._alarms["no_data"][4] == 21 * MIN + 30 + 5 * MIN
    eng = make(condition_snooze=60)
    eng.set_condition("sensor", "expired", True, 0)
    eng.snooze(10)                                        # the sensor alarm: 60 min
    _ticks(eng, 0, 22 * MIN)                              # no_data held as long (21 -> 60 min)
    blob = eng.save()
    eng2 = AlarmEngine(settings.validate({"condition_snooze": 5}))
    eng2.restore(blob, 21 * MIN + 30, away_s=0)
    assert eng2._alarms["sensor"][4] == 21 * MIN + 30 + 5 * MIN
    assert eng2._alarms["no_data"][4] == 10 + 60 * MIN    # the episode's hold, under 2 h: kept
