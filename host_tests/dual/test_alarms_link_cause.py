# The link alarm names what to fix. A transmitter heard and refused (a wrong ID typed with
# our last two characters, so the box connects to ours and its hash does not match: rogue;
# or an authentication refused) gives no reading either, so no_transmitter (windows unread)
# follows 15 min later. Before, that newest reason renamed the alarm "not heard" for the rest
# of the night and sounded it again after a snooze, as a new problem: the family looked for a
# transmitter out of range while the ID was wrong (helper-256, make sim with a wrong ID).
# Now no_transmitter beside rogue or auth_failed is their effect (kinds.EFFECTS): no rename,
# no new sound; it names the alarm once the cause ends without a reading.
# Runs on CPython and MicroPython.
from alarm_steps import MIN, make, alarm


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
