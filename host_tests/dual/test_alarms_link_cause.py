# The link alarm names what to fix. A transmitter heard and refused (a wrong ID typed with
# our last two characters, so the box connects to ours and its hash does not match: rogue;
# or an authentication refused) gives no reading either, so no_transmitter (windows unread)
# follows 15 min later. Before, that newest reason renamed the alarm "not heard" for the rest
# of the night and sounded it again after a snooze, as a new problem: the family looked for a
# transmitter out of range while the ID was wrong (helper-256, make sim with a wrong ID).
# Now no_transmitter beside rogue or auth_failed is their effect (kinds.EFFECTS): no rename,
# no new sound; it names the alarm once the cause ends without a reading.
# Runs on CPython and MicroPython.
from alarm_steps import MIN, make, alarm, ticks


def test_windows_unread_after_a_refused_transmitter_keep_its_name():
    for cause in ("rogue", "auth_failed"):
        eng = make()
        eng.set_condition("link", cause, True, 1 * MIN)
        eng.snooze(2 * MIN)
        ev = eng.set_condition("link", "no_transmitter", True, 16 * MIN)
        a = alarm(eng, "link")
        assert a["reason"] == cause and a["status"] == "snoozed", (cause, a)
        assert [e for e in ev if e["type"] == "link"] == [], (cause, ev)


def test_the_cause_ended_without_a_reading_leaves_not_heard():
    eng = make()
    eng.set_condition("link", "rogue", True, 1 * MIN)
    eng.set_condition("link", "no_transmitter", True, 16 * MIN)
    eng.set_condition("link", "bond_lost", True, 17 * MIN)       # a problem of its own: named
    assert alarm(eng, "link")["reason"] == "bond_lost"
    eng.set_condition("link", "bond_lost", False, 18 * MIN)      # the newest left is the effect
    assert alarm(eng, "link")["reason"] == "rogue"
    eng.set_condition("link", "rogue", False, 19 * MIN)          # ours authenticated, no reading
    a = alarm(eng, "link")
    assert a is not None and a["reason"] == "no_transmitter", a


def test_not_heard_first_then_a_refusal_still_sounds_as_a_new_problem():
    eng = make()
    eng.set_condition("link", "no_transmitter", True, 15 * MIN)
    eng.snooze(16 * MIN)
    ev = eng.set_condition("link", "rogue", True, 20 * MIN)
    a = alarm(eng, "link")
    assert a["reason"] == "rogue" and a["status"] == "sounding", a
    assert [e["event"] for e in ev if e["type"] == "link"] == ["alarm_onset"], ev


def test_the_name_survives_a_reset():
    eng = make()
    eng.set_condition("link", "rogue", True, 1 * MIN)
    eng.set_condition("link", "no_transmitter", True, 16 * MIN)
    again = make()
    again.restore(eng.save(), 5)
    assert alarm(again, "link")["reason"] == "rogue", alarm(again, "link")
    again.set_condition("link", "rogue", False, 60)
    assert alarm(again, "link")["reason"] == "no_transmitter"


def test_an_answered_refusal_holds_the_outages_no_data_for_no_datas_snooze():
    # the refusal answered before its windows went unread (a short or a long press at
    # 2 min): no_transmitter does not sound the link again (before kinds.EFFECTS it did, at
    # 16 min), and no_data, due at 21 min, starts held by the answered link (it says why):
    # the outage's first sound is no_data's at 21 + no_data_snooze (36 min), not at 20
    for press in ("acknowledge", "snooze"):
        eng = make()
        eng.tick(0)                                              # the last reading
        eng.set_condition("link", "rogue", True, 1 * MIN)
        getattr(eng, press)(2 * MIN)
        assert eng.set_condition("link", "no_transmitter", True, 16 * MIN) == [], press
        ev = ticks(eng, 16 * MIN, 36 * MIN)
        assert [(e["event"], e["type"], e.get("until_s")) for e in ev] == [
            ("alarm_onset", "no_data", None), ("alarm_snooze", "no_data", 36 * MIN)], (press, ev)
        assert eng.loudest() is None, press
        assert [e["type"] for e in eng.tick(36 * MIN) if e["event"] == "alarm_onset"] == ["no_data"], press
