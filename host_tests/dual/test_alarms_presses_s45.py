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


def _battery_night(eng, start_mod, hours, press_after_min=5, reset_at_min=None):
    """The transmitter says its battery is low at local minute start_mod (None: no time of
    day known); a short press press_after_min later; the engine's rounds every 5 s for
    `hours`, a reading of 120 every 5 min. The minutes (since the warning) at which it
    sounds again."""
    mod = (lambda m: None) if start_mod is None else (lambda m: (start_mod + m) % 1440)

    def step(eng, t):
        if t % (5 * MIN) == 0:
            return feed(eng, t, 120, mod=mod(t // MIN))
        return eng.tick(t, mod(t // MIN))
    eng.set_condition("transmitter_battery", "battery_low", True, 0, mod(0))
    for t in range(0, press_after_min * MIN, 5):
        step(eng, t)
    assert [e["type"] for e in eng.snooze(press_after_min * MIN)] == ["transmitter_battery"]
    sounded = []
    for t in range(press_after_min * MIN + 5, hours * 3600, 5):
        if reset_at_min is not None and t == reset_at_min * MIN:
            data = eng.save()
            eng = make()
            eng.restore(data, t, 0)
        if [e for e in step(eng, t) if e["event"] == "alarm_onset"]:
            assert eng.loudest()["type"] == "transmitter_battery"
            sounded.append(t // MIN)
            eng.snooze(t)      # the family answers it again, the same way
    return sounded


def _near(got, want):
    """Each minute of `got` is the one of `want` or the next (the engine knows the minute
    of day as it was sampled at its last round)."""
    assert len(got) == len(want) and all(0 <= g - w <= 1 for g, w in zip(got, want)), (got, want)
    return True


def test_a_short_press_on_the_transmitter_battery_warning_holds_it_until_the_morning():
    # 20:00: the transmitter says its battery is low (status 0x81: days to weeks left).
    # The warning holds until another transmitter (app.wiring, helper-193), and a short
    # press snoozed it condition_snooze (60 min): it woke the family at 21:05, 22:05 ...
    # 07:05, eleven times a night, every night until the transmitter was changed
    eng = make()
    assert _near(_battery_night(eng, 20 * 60, 37), [12 * 60, 36 * 60])    # 08:00, each morning


def test_the_transmitter_battery_warning_held_to_the_morning_across_a_reset():
    # the press's end is kept through a reset (persist's bound was condition_snooze)
    eng = make()
    assert _near(_battery_night(eng, 20 * 60, 14, reset_at_min=5 * 60), [12 * 60])


def test_the_transmitter_battery_warning_without_a_time_of_day_holds_a_day():
    # no time of day known (no Wi-Fi, no phone save since a power cut): a day, at the hour
    # the family answered it, not hourly
    eng = make()
    assert _near(_battery_night(eng, None, 30), [24 * 60 + 5])
    # told at 20:59 and answered at once: at 08:00, and each morning (unanswered, it waits
    # from 21:00 all the same: it no longer sounds through the night to a press at 07:59)
    eng = make()
    assert _near(_battery_night(eng, 20 * 60 + 59, 37, press_after_min=0), [11 * 60 + 1, 35 * 60 + 1])


def _usable(user):
    from alarms import settings
    try:
        settings.validate(user)
    except settings.SettingsError as e:
        return e.usable
    assert False, "accepted"


def test_a_refused_number_in_a_schedule_entry_runs_at_the_familys_own_setting_not_the_default():
    # a family that watches lows closer (low 90, high 180) writes a night entry by hand and
    # gets one number wrong: the `device` alarm says so, and meanwhile the entry ran that
    # key at the global default (settings._nearest): a low of 70 and a high of 250 at
    # night, weaker than the family's own day settings
    night = {"start": 22 * 60, "end": 7 * 60, "volume": 40}
    for bad, key, want in ((dict(low="85 mg/dL"), "low", 90), (dict(low=40), "low", 90),
                           (dict(high=500), "high", 180), (dict(high="x"), "high", 180),
                           (dict(urgent_high=None), "urgent_high", 260)):
        entry = dict(night, **bad)
        s = _usable({"low": 90, "high": 180, "urgent_high": 260, "schedule": [entry]})
        assert len(s["schedule"]) == 1 and s["schedule"][0]["volume"] == 40, (bad, s["schedule"])
        assert s["schedule"][0][key] == want, (bad, s["schedule"])
    # a number stricter than the family's own, out of range, still runs at its bound
    s = _usable({"low": 90, "schedule": [dict(night, low=120)]})
    assert s["schedule"][0]["low"] == 100, s["schedule"]


def test_a_refused_true_or_false_in_a_schedule_entry_keeps_the_entry():
    # a night entry {low 90, low_enabled "true"} (text, not JSON's true) was dropped whole:
    # the night ran on the day's low (70), or with no low alarm at all when the family has it
    # off by day. The entry is kept; the refused switch runs as written when that is at
    # least as strict (on), else as the family's own setting; the `device` alarm says it
    night = {"start": 22 * 60, "end": 7 * 60, "low": 90}
    s = _usable({"low_enabled": False, "schedule": [dict(night, low_enabled="true")]})
    assert s["schedule"] == [dict(night, low_enabled=True)], s["schedule"]
    s = _usable({"schedule": [dict(night, high_enabled="no", fall_enabled=1)]})
    assert s["schedule"] == [dict(night, high_enabled=True, fall_enabled=True)], s["schedule"]
    # and so at the top: fall asked on as "true" runs on, low asked off as "false" runs on
    s = _usable({"fall_enabled": "true", "low_enabled": "false"})
    assert s["fall_enabled"] is True and s["low_enabled"] is True, s
