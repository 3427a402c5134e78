# no_data beside a link alarm that says why no glucose comes (the transmitter not heard, not
# trusted, our bond lost; a follower's leader silent or refusing it; no transmitter
# configured: kinds.NO_LINK). Before, the two were two presses for one outage: the link
# alarm sounds 15 min in, the family answers it, and no_data woke them again about 6 min
# later. Pinned: a no_data that starts after that alarm was answered starts snoozed, to the
# link's snooze end or no_data's own snooze from its start, whichever is first (an
# acknowledged link: no_data's snooze); a link nobody answered changes nothing; a press on
# either, sounding beside the other, answers both to the same end; the hold's end sounds
# no_data; the sensor alarm's own hold is as it was. Runs on CPython and MicroPython.
from alarms import settings
from alarms.engine import AlarmEngine, SENSOR_HOLD_S
from alarms.kinds import NO_LINK
from alarm_steps import MIN, make, kinds, alarm, ticks as _ticks

DUE = 21 * MIN        # no_data's onset: 20 min without a reading, and the grace


def _told(events):
    return [(e["event"], e["type"], e.get("until_s")) for e in events]


def _outage(reason="no_transmitter", **user):
    """An engine that had no reading from 0 s; its link alarm (reason) from 15 min."""
    eng = make(**user)
    eng.tick(0)
    eng.set_condition("link", reason, True, 15 * MIN)
    return eng


def test_the_reasons_that_say_no_glucose_comes():
    assert NO_LINK == ("no_transmitter", "auth_failed", "rogue", "bond_lost",
                       "leader_silent", "leader_auth", "not_configured")


def test_a_gap_under_an_answered_slot_conflict_sounds_no_data_at_once():
    # a phone takes our slot: the box bonds again in each window and readings go on, so
    # the slot alarm does not say why a later gap has no glucose; answered (long press,
    # or a snooze of its hour), it must not hold that gap's no_data
    for press in ("acknowledge", "snooze"):
        eng = _outage("slot_conflict")
        getattr(eng, press)(15 * MIN + 10)
        ev = [e for e in _ticks(eng, 15 * MIN, DUE + 30) if e["type"] == "no_data"]
        assert _told(ev) == [("alarm_onset", "no_data", None)], (press, ev)
        assert eng.loudest()["type"] == "no_data", press


def test_a_short_press_on_the_link_alarm_holds_the_no_data_after_it_for_no_datas_snooze():
    # the link answered at 15 min for its 60 min: no_data starts snoozed 15 min (its own
    # snooze, not the link's hour), silent until then, then sounds as ever
    for reason in NO_LINK:
        eng = _outage(reason)
        ev = eng.snooze(15 * MIN + 10)
        assert _told(ev) == [("alarm_snooze", "link", 75 * MIN + 10)], (reason, ev)
        ev = _ticks(eng, 15 * MIN, DUE + 30)
        assert _told(ev) == [("alarm_onset", "no_data", None), ("alarm_snooze", "no_data", DUE + 15 * MIN)], \
            (reason, ev)
        assert eng.loudest() is None and alarm(eng, "no_data")["status"] == "snoozed"
        assert _ticks(eng, DUE + 30, DUE + 15 * MIN) == [], reason
        ev = eng.tick(DUE + 15 * MIN)
        assert _told(ev) == [("alarm_onset", "no_data", None)], (reason, ev)
        assert eng.loudest()["type"] == "no_data" and alarm(eng, "link")["status"] == "snoozed"


def test_a_long_press_on_the_link_alarm_holds_the_no_data_after_it_for_no_datas_snooze_only():
    for snooze in (5, 15, 30):
        eng = _outage(no_data_snooze=snooze)
        assert _told(eng.acknowledge(15 * MIN + 10)) == [("alarm_ack", "link", None)]
        ev = _ticks(eng, 15 * MIN, DUE + 30)
        assert _told(ev) == [("alarm_onset", "no_data", None), ("alarm_snooze", "no_data", DUE + snooze * MIN)], \
            (snooze, ev)
        assert _ticks(eng, DUE + 30, DUE + snooze * MIN) == [], snooze
        assert kinds(eng.tick(DUE + snooze * MIN)) == ["no_data"], snooze
        assert alarm(eng, "link")["status"] == "acknowledged"


def test_a_link_alarm_nobody_answered_leaves_no_data_sounding():
    eng = _outage()
    ev = [e for e in _ticks(eng, 15 * MIN, DUE + 30) if e["type"] == "no_data"]
    assert _told(ev) == [("alarm_onset", "no_data", None)], ev
    assert alarm(eng, "no_data")["status"] == "sounding" == alarm(eng, "link")["status"]
    assert eng.loudest()["type"] == "no_data"


def test_a_link_snoozed_shorter_holds_no_data_to_the_links_end():
    # condition_snooze 5: the link pressed at 17 min sounds again at 22 min; no_data, due at
    # 21, is held to that same minute, and the two sound together (one press for both)
    eng = _outage(condition_snooze=5)
    eng.snooze(17 * MIN)
    ev = _ticks(eng, 17 * MIN, DUE + 30)
    assert _told(ev) == [("alarm_onset", "no_data", None), ("alarm_snooze", "no_data", 22 * MIN)], ev
    assert _ticks(eng, DUE + 30, 22 * MIN) == []
    assert sorted(kinds(eng.tick(22 * MIN))) == ["link", "no_data"]
    ev = eng.snooze(22 * MIN + 10)                        # no_data heard first: its 15 min
    assert sorted((e["type"], e["until_s"]) for e in ev) == \
        [("link", 37 * MIN + 10), ("no_data", 37 * MIN + 10)], ev
    assert eng.loudest() is None


def test_a_link_snooze_ending_as_no_data_starts_leaves_it_sounding_with_one_onset():
    eng = _outage(condition_snooze=5)
    eng.snooze(16 * MIN)                                  # until 21 min, no_data's minute
    ev = eng.tick(DUE)
    assert [e["event"] for e in ev if e["type"] == "no_data"] == ["alarm_onset"], ev
    assert sorted(kinds(ev)) == ["link", "no_data"]


def test_a_press_on_no_data_answers_the_link_alarm_sounding_beside_it_to_the_same_end():
    # nobody answered the link: both sound from 21 min; one press, short or long, answers
    # both until no_data's snooze ends (the link's own hour would outlast no_data's cap)
    for long_press in (False, True):
        eng = _outage()
        _ticks(eng, 15 * MIN, DUE + 30)
        t = DUE + 60
        ev = eng.acknowledge(t) if long_press else eng.snooze(t)
        assert _told(ev) == [("alarm_ack" if long_press else "alarm_snooze", "no_data", t + 15 * MIN),
                             ("alarm_snooze", "link", t + 15 * MIN)], (long_press, ev)
        assert eng.loudest() is None
        assert _ticks(eng, t, t + 15 * MIN) == [], long_press
        assert sorted(kinds(eng.tick(t + 15 * MIN))) == ["link", "no_data"], long_press


def test_a_press_on_the_link_alarm_holds_a_no_data_snoozed_to_an_earlier_end():
    # the link sounds again for a new reason while no_data is held: its press holds no_data
    # too, no_data's snooze from the press at most; one held longer is left as it is
    eng = _outage()
    eng.snooze(15 * MIN)
    _ticks(eng, 15 * MIN, DUE + 30)                       # no_data held to 36 min
    eng.set_condition("link", "bond_lost", True, 30 * MIN)
    assert eng.loudest()["type"] == "link"
    ev = eng.snooze(31 * MIN)
    assert _told(ev) == [("alarm_snooze", "link", 91 * MIN), ("alarm_snooze", "no_data", 46 * MIN)], ev
    assert _ticks(eng, 31 * MIN, 46 * MIN) == []
    assert kinds(eng.tick(46 * MIN)) == ["no_data"]
    eng = _outage()
    eng.snooze(15 * MIN)
    _ticks(eng, 15 * MIN, DUE + 30)
    eng.set_condition("link", "auth_failed", True, 22 * MIN)
    ev = eng.acknowledge(22 * MIN + 30)                   # 37.5 min: later than 36, held to it
    assert _told(ev) == [("alarm_ack", "link", None), ("alarm_snooze", "no_data", 37 * MIN + 30)], ev
    # condition_snooze 5: a press on the link at 24 min ends at 29, before no_data's end
    eng = _outage(condition_snooze=5)
    eng.acknowledge(15 * MIN)
    _ticks(eng, 15 * MIN, DUE + 30)                       # no_data held to 36 min
    eng.set_condition("link", "rogue", True, 23 * MIN)
    ev = eng.snooze(24 * MIN)
    assert _told(ev) == [("alarm_snooze", "link", 29 * MIN)], ev
    assert eng._alarms["no_data"][4] == 36 * MIN


def test_other_link_reasons_leave_no_data_as_it_was():
    # a follower whose leader leaves an alarm unanswered still gets glucose: no episode
    eng = _outage("leader_unanswered")
    eng.acknowledge(15 * MIN + 10)
    ev = _ticks(eng, 15 * MIN, DUE + 30)
    assert _told(ev) == [("alarm_onset", "no_data", None)], ev
    ev = eng.snooze(DUE + 60)
    assert _told(ev) == [("alarm_snooze", "no_data", DUE + 60 + 15 * MIN)], ev


def test_the_sensor_alarms_hold_is_as_it_was_beside_an_answered_link():
    # the sensor says why (a warm-up) and was answered: no_data is held its 2 h, not the
    # link's 15 min; the sensor alarm sounding beside an answered link: no_data sounds
    eng = _outage("auth_failed")
    eng.set_condition("sensor", "warmup", True, 15 * MIN)
    eng.acknowledge(15 * MIN + 10)
    eng.acknowledge(15 * MIN + 20)
    assert alarm(eng, "link")["status"] == "acknowledged" == alarm(eng, "sensor")["status"]
    ev = _ticks(eng, 15 * MIN, DUE + 30)
    assert _told(ev) == [("alarm_onset", "no_data", None), ("alarm_snooze", "no_data", DUE + SENSOR_HOLD_S)], ev
    eng = _outage("auth_failed")
    eng.acknowledge(15 * MIN + 10)
    eng.set_condition("sensor", "expired", True, 16 * MIN)
    ev = [e for e in _ticks(eng, 16 * MIN, DUE + 30) if e["type"] == "no_data"]
    assert _told(ev) == [("alarm_onset", "no_data", None)], ev


def test_a_stuck_buttons_take_back_sounds_the_no_data_its_press_held():
    eng = _outage()
    press = eng.acknowledge(20 * MIN + 30)                # a book lands on the button
    answered = [e["type"] for e in press]
    assert answered == ["link"], press
    assert kinds(eng.tick(DUE + 1)) == ["no_data"]
    assert alarm(eng, "no_data")["status"] == "snoozed"
    back = eng.unanswer(answered, DUE + 31)              # found stuck: taken back
    assert sorted(kinds(back)) == ["link", "no_data"], back
    assert alarm(eng, "no_data")["status"] == "sounding" == alarm(eng, "link")["status"]


def test_the_hold_survives_a_reset_to_its_end():
    eng = _outage()
    eng.acknowledge(15 * MIN + 10)
    _ticks(eng, 15 * MIN, DUE + 30)
    until = eng._alarms["no_data"][4]
    assert until == DUE + 15 * MIN
    blob = eng.save()                                     # (relative to its last tick)
    eng2 = AlarmEngine(settings.validate({}))
    assert eng2.restore(blob, DUE, away_s=0) == []
    assert eng2._alarms["no_data"][4] == until and alarm(eng2, "link")["status"] == "acknowledged"
    assert _ticks(eng2, DUE, until) == []
    assert kinds(eng2.tick(until)) == ["no_data"]
