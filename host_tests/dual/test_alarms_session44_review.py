# Review of session 44, helper-194 (each fails on 1fbbce4): a threshold the family changes by a settings save
# (whose restart applies it) is a switch as a schedule's is. Runs on CPython and MicroPython.
from alarm_steps import MIN, make, feed, alarm


def test_a_high_the_family_raised_by_a_settings_save_stops_as_a_schedules_switch_does():
    # 21:40, 200 mg/dL: the high (180) sounds, escalating. At 21:50 the family raises
    # high to 250 on the setup page (glucose at 240: in range by what they now asked);
    # the save restarts the box (RTC memory kept, main._restore). persist.restore rebuilt
    # engine._judged_by from the NEW settings at the saved minute, so the switch the save
    # made went unseen: the old threshold's high, held by the new one's hysteresis
    # (235..250), went on sounding all night at 240 and escalated to the medium sound,
    # where a schedule making the same change at 22:00 stops it
    eng = make(high=180)
    for m in range(0, 15, 5):
        feed(eng, m * MIN, 200 if m < 10 else 240)
        for s in range(5, 300, 5):
            eng.tick(m * MIN + s)
    assert alarm(eng, "high")["status"] == "sounding"
    data = eng.save()
    eng = make(high=250)                      # the saved settings, on the next boot
    eng.restore(data, 0, 5)
    assert alarm(eng, "high")["status"] == "sounding"    # (restored, until a reading judges it)
    still = []
    for i in range(12):
        t = 30 + i * 5 * MIN
        feed(eng, t, 240)
        a = alarm(eng, "high")
        if a is not None and a["status"] == "sounding":
            still.append((t // MIN, a["level"], a["priority"]))
        for s in range(5, 300, 5):
            eng.tick(t + s)
    assert still == [], still[:3]


def test_a_low_under_the_new_threshold_is_not_cleared_by_a_schedules_switch():
    # a family that watches lows closer at night (90). 06:20-06:55: 84 flat, the night's
    # low sounds unanswered and escalates to its top (high priority). 07:00, the day's low
    # (70) in force: the reading is 69, under it. Its filter level (75.5) is at least
    # LOW_LEVEL_MARGIN above 70, so the low's condition is only "hold" (1), and the
    # switch's mend (glucose.evaluate, engine._judged_by) took that for "in range by the
    # new settings": it cleared the low under 70, and the next reading (68) started it
    # afresh at level 0: 5 min of no alarm under the threshold, then the quiet sound
    eng = make(urgent_low_soon=False, schedule=[{"start": 22 * 60, "end": 7 * 60, "low": 90}])
    mod0 = 6 * 60 + 20
    levels = []
    for i, v in enumerate([84] * 8 + [69, 68, 67]):
        m = 5 * i
        feed(eng, m * MIN, v, mod=(mod0 + m) % 1440)
        a = alarm(eng, "low")
        levels.append((m, v, None if a is None else (a["status"], a["level"])))
        for s in range(5, 300, 5):
            eng.tick(m * MIN + s, minute_of_day=(mod0 + m + s // 60) % 1440)
    assert levels[7][2] == ("sounding", 3), levels
    assert [x for x in levels[8:] if x[2] != ("sounding", 3)] == [], levels[7:]


def test_a_refused_snooze_too_short_runs_at_its_bound_not_its_longer_default():
    # settings._nearest's rule (a refused number at its nearest bound when that is at
    # least as strict as its default) left the snoozes out of _STRICTER: a hand-edited
    # urgent_low_snooze of 3 ("wake me again soon") ran at 15, three times the 5 allowed;
    # a low_snooze of 2 at 30, a no_data_snooze of "5" (text) at 15
    from alarms import settings
    try:
        settings.validate({"urgent_low_snooze": 3, "low_snooze": 2, "no_data_snooze": "5",
                           "urgent_low_soon_snooze": 0})
        assert False
    except settings.SettingsError as e:
        u = e.usable
    assert (u["urgent_low_snooze"], u["low_snooze"], u["no_data_snooze"],
            u["urgent_low_soon_snooze"]) == (5, 5, 5, 5), u
    assert settings.validate(u) == u
