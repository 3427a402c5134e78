# The link alarm names what to fix. A transmitter heard and refused (a wrong ID typed with
# our last two characters, so the box connects to ours and its hash does not match: rogue;
# or an authentication refused) gives no reading either, so no_transmitter (windows unread)
# follows 15 min later. Before, that newest reason renamed the alarm "not heard" for the rest
# of the night: the family looked for a transmitter out of range while the ID was wrong
# (helper-256, make sim with a wrong ID). Now no_transmitter beside rogue or auth_failed is
# their effect (kinds.EFFECTS): the alarm keeps the cause's name; answered, it still sounds
# again for it, as for any new problem (the outage is news: helper-258 showed that without
# that sound an answered refusal held no_data to 35 min); the cause gone, it names the alarm.
# Runs on CPython and MicroPython.
from alarm_steps import MIN, make, alarm, ticks
from alarms.kinds import _REASON


def test_windows_unread_after_a_refused_transmitter_keep_its_name():
    for cause in ("rogue", "auth_failed"):
        eng = make(escalate_minutes=5)
        eng.set_condition("link", cause, True, 1 * MIN)
        ticks(eng, 1 * MIN, 12 * MIN)
        assert alarm(eng, "link")["level"] == 2, cause
        ev = eng.set_condition("link", "no_transmitter", True, 12 * MIN)   # sounding: no news
        assert [e for e in ev if e["type"] == "link"] == [], (cause, ev)
        a = alarm(eng, "link")
        assert a["reason"] == cause and a["status"] == "sounding" and a["level"] == 2, (cause, a)


def test_answered_it_sounds_again_for_the_outage_under_the_causes_name():
    for press in ("acknowledge", "snooze"):
        eng = make()
        eng.set_condition("link", "rogue", True, 1 * MIN)
        getattr(eng, press)(2 * MIN)
        ev = eng.set_condition("link", "no_transmitter", True, 16 * MIN)
        assert [(e["event"], e["reason"]) for e in ev if e["type"] == "link"] == \
            [("alarm_onset", "rogue")], (press, ev)
        a = alarm(eng, "link")
        assert a["reason"] == "rogue" and a["status"] == "sounding", (press, a)


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


def test_an_answered_refusal_leaves_the_outages_no_data_at_20_min():
    # the refusal answered before its windows went unread (a short or a long press at
    # 2 min): no_transmitter sounds the link again at 16 min, so no_data, due at 21, sounds
    # (beside a link nobody answered since). With no sound at 16 (session 56's first
    # kinds.EFFECTS), no_data started held by the answered link: first sound at 36 min
    for press in ("acknowledge", "snooze"):
        eng = make()
        eng.tick(0)                                              # the last reading
        eng.set_condition("link", "rogue", True, 1 * MIN)
        getattr(eng, press)(2 * MIN)
        eng.set_condition("link", "no_transmitter", True, 16 * MIN)
        ev = ticks(eng, 16 * MIN, 22 * MIN)
        assert [(e["event"], e["type"]) for e in ev if e["type"] == "no_data"] == \
            [("alarm_onset", "no_data")], (press, ev)
        assert alarm(eng, "no_data")["status"] == "sounding", press


def test_a_reset_with_four_link_reasons_forgets_the_effect_not_the_cause():
    # the saved state holds a condition's newest reason and two older ones: of rogue,
    # slot_conflict, no_transmitter (rogue's effect) and bond_lost, the reset kept the two
    # newest older ones and forgot rogue, so the alarm read "not heard" once bond_lost ended
    # (helper-258). The effect whose cause is kept is what to forget: it names nothing
    eng = make()
    for i, why in enumerate(("rogue", "slot_conflict", "no_transmitter", "bond_lost")):
        eng.set_condition("link", why, True, (1 + 15 * i) * MIN)
    again = make()
    again.restore(eng.save(), 5)
    assert alarm(again, "link")["reason"] == "bond_lost"
    again.set_condition("link", "bond_lost", False, 60)
    again.set_condition("link", "slot_conflict", False, 70)
    a = alarm(again, "link")
    assert a is not None and a["reason"] == "rogue", a


def test_a_state_saved_by_firmware_before_the_effects_is_restored_under_the_causes_name():
    # firmware before session 56 named the link alarm by its newest reason: its saved state
    # has no_transmitter newest, rogue older; restored as it was, it read "not heard" until
    # its next change
    eng = make()
    eng.set_condition("link", "rogue", True, 1 * MIN)
    eng.set_condition("link", "no_transmitter", True, 16 * MIN)
    eng._alarms["link"][_REASON] = "no_transmitter"   # (how that firmware saved it)
    again = make()
    again.restore(eng.save(), 5)
    a = alarm(again, "link")
    assert a["reason"] == "rogue" and a["status"] == "sounding", a
    again.set_condition("link", "rogue", False, 60)
    assert alarm(again, "link")["reason"] == "no_transmitter"


def test_no_data_shown_beside_a_link_that_says_why_carries_its_name():
    # no_data outranks the link alarm from 21 min: shown() gives it the link's reason as its
    # "cause", so the screen keeps "wrong tx or ID" (a wrong ID to fix), not a bare NO DATA
    # (helper-267). The cause is the reason naming the link alarm, not an effect beside it
    for first, then, named in (("rogue", "no_transmitter", "rogue"),
                               ("no_transmitter", "rogue", "rogue"),
                               ("no_transmitter", None, "no_transmitter")):
        eng = make()
        eng.tick(0)                                              # the last reading
        eng.set_condition("link", first, True, 1 * MIN)
        if then:
            eng.set_condition("link", then, True, 16 * MIN)
        ticks(eng, 16 * MIN, 22 * MIN)
        shown = eng.shown()
        assert shown["type"] == "no_data" and shown.get("cause") == ("link", named), (first, then, shown)
    eng = make()
    eng.tick(0)
    eng.set_condition("link", "slot_conflict", True, 1 * MIN)   # not why no glucose comes
    ticks(eng, 1 * MIN, 22 * MIN)
    shown = eng.shown()
    assert shown["type"] == "no_data" and "cause" not in shown, shown
