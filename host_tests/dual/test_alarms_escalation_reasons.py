# An unanswered condition alarm (link, sensor, device, forwarding) that gains a
# new problem keeps its level and goes on escalating; only an answered one (snoozed,
# acknowledged) or a notice sounds afresh at level 0. Before, every new reason
# restarted it at 0 and its base priority: an alarm nobody had answered for 10 min
# got quieter, and one whose reasons came faster than escalate_minutes never rose.
# Runs on CPython and MicroPython.
from alarm_steps import MIN, make, alarm


def _run(eng, t0, t1):
    for t in range(t0, t1, 10):
        eng.tick(t)


def test_a_new_problem_does_not_quiet_an_alarm_nobody_answered():
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    _run(eng, 0, 11 * MIN)
    assert alarm(eng, "device")["level"] == 2
    ev = eng.set_condition("device", "start_link", True, 11 * MIN)
    a = alarm(eng, "device")
    assert a["level"] == 2 and a["reason"] == "start_link" and a["status"] == "sounding", a
    assert any(e["event"] == "alarm_update" and e["type"] == "device" for e in ev), ev
    _run(eng, 11 * MIN, 16 * MIN)
    a = alarm(eng, "device")
    assert a["level"] == 3 and a["priority"] == "high", a   # its top level: up one priority


def test_reasons_coming_faster_than_the_escalation_do_not_keep_it_quiet():
    eng = make(escalate_minutes=5)
    names = ("radio", "memory", "flash", "config", "start_link")
    eng.set_condition("device", "resets", True, 0)
    for i, name in enumerate(names):
        _run(eng, i * 4 * MIN, (i + 1) * 4 * MIN)
        eng.set_condition("device", name, True, (i + 1) * 4 * MIN)
    assert alarm(eng, "device")["level"] == 3, alarm(eng, "device")


def test_a_snoozed_alarm_sounds_afresh_for_a_new_problem():
    eng = make(escalate_minutes=5)
    eng.set_condition("link", "no_transmitter", True, 0)
    _run(eng, 0, 11 * MIN)
    eng.snooze(11 * MIN)
    assert alarm(eng, "link")["status"] == "snoozed"
    eng.set_condition("link", "auth_failed", True, 12 * MIN)
    a = alarm(eng, "link")
    assert a["status"] == "sounding" and a["level"] == 0 and a["reason"] == "auth_failed", a
