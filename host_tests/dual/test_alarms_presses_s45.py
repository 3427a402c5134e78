# Review of session 45 (helper-201): the answers of the alarm engine, gaps left by the
# review of session 44's changes. Each test failed before its mend. Runs on CPython and
# MicroPython.
from alarm_steps import MIN, make, feed, alarm


def _night(eng, values, press_at=(), start=0):
    """Readings every 5 min from `start` (min), the engine's rounds every 5 s between;
    a short press at the minutes in press_at. [(minute, value, low, urgent_low)] where
    each is the alarm's status (None: not active)."""
    out = []
    for i, v in enumerate(values):
        m = start + 5 * i
        feed(eng, m * MIN, v)
        if m in press_at:
            eng.snooze(m * MIN + 30)
        for s in range(5, 300, 5):
            eng.tick(m * MIN + s)
        low, ul = alarm(eng, "low"), alarm(eng, "urgent_low")
        out.append((m, v, low and low["status"], ul and ul["status"]))
    return out


def test_a_low_snoozed_before_an_urgent_low_nobody_answered_sounds_when_the_urgent_low_hands_over():
    # 00:25 a low at 72, snoozed at 00:30 (30 min). 00:40 glucose falls to 50: the urgent
    # low sounds, and nobody answers it (asleep: it escalates). 00:50 glucose is back to
    # 66, still under the low: the urgent low clears and hands over to the low, which was
    # still snoozed by the press made before the urgent low: nothing sounded from 00:50
    # to 01:00 under 70, right after an unanswered urgent low. A press answers what it
    # heard; the urgent low was worse than what that press answered (as an acknowledged
    # low sounds again when the urgent low starts, so a snoozed one)
    eng = make(urgent_low_soon=False)
    out = _night(eng, [120, 110, 100, 90, 80, 72, 68, 66, 50, 52, 66, 67, 67], press_at=(30,))
    assert out[6][2] == "snoozed" and out[8][3] == "sounding", out    # (the scene)
    assert [x for x in out[10:] if x[2] != "sounding"] == [], out[8:]


def test_a_low_held_from_before_an_urgent_low_does_not_come_back_snoozed_after_it():
    # the same night where the low cleared under its snooze (a bump to 82: engine._held
    # keeps the press's end, so a fall levelling off does not sound it again) before a
    # sharp fall to 50: after the unanswered urgent low, the low came back snoozed to the
    # end of the press made before it
    eng = make(urgent_low_soon=False)
    out = _night(eng, [120, 110, 100, 90, 80, 72, 68, 82, 50, 52, 66, 67, 67], press_at=(30,))
    assert out[7][2] is None and out[8][3] == "sounding", out         # (cleared, held)
    assert [x for x in out[10:] if x[2] != "sounding"] == [], out[8:]


def test_a_press_on_the_urgent_low_still_answers_the_low_for_its_snooze():
    # the mend's other side: the family that answers the urgent low answers the episode;
    # the low it hands over to keeps that answer (kinds.COVERS), not a sound of its own
    eng = make(urgent_low_soon=False)
    out = _night(eng, [120, 110, 100, 90, 80, 72, 68, 66, 50, 52, 66, 67, 67, 67, 67],
                 press_at=(30, 40))
    assert out[8][3] == "snoozed", out
    # the urgent low's 15-min snooze from 00:40: the low sounds again at its end, not before
    assert [x[0] for x in out[8:] if x[2] == "sounding"] == [55, 60, 65, 70], out[8:]
