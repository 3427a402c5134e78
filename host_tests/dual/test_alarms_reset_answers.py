# A reset (the watchdog's, a crash's, a settings save's) keeps RTC memory, and what the
# engine holds there must give the same alarms as a box that never reset: what a person
# answered stays answered, no more and no less, and a schedule's switch still judges the
# alarm its old threshold raised. Each test runs the same readings and presses through
# a box that resets and one that does not (review helper-192; each failed on the code
# before its mend; session 44). Runs on CPython and MicroPython.
from alarm_steps import MIN, make, feed, kinds, alarm, series

NIGHT = [{"start": 22 * 60, "end": 7 * 60, "high": 250, "low": 80}]


class Box:
    """An engine on a board's clock, which starts at 0 at every boot: `at(t)` is the
    time since the night's start, what the engine is given is the boot's own clock."""

    def __init__(self, **user):
        self.user = user
        self.eng = make(**user)
        self.boot_at = 0      # the night's time of this boot's clock 0

    def t(self, t):
        return t - self.boot_at

    def feed(self, t, sgv, mod=None):
        return feed(self.eng, self.t(t), sgv, mod=mod)

    def tick(self, t, mod=None):
        return self.eng.tick(self.t(t), minute_of_day=mod)

    def snooze(self, t):
        return self.eng.snooze(self.t(t))

    def reset(self, t, away_s=5, mod=None):
        """Saved at t (as main's _dispatch does), restored away_s later on a new
        boot's clock, as main's _restore does."""
        self.tick(t, mod)
        data = self.eng.save()
        self.eng = make(**self.user)
        self.boot_at = t + away_s
        self.eng.restore(data, 0, away_s)


def _low_snoozed_then_cleared(box):
    # the low of test_a_snoozed_low_that_clears_comes_back_snoozed_to_the_same_end:
    # it sounds at 66 (60 min), is snoozed 30 s later to 90:30, clears at 82 (65 min)
    for i, v in enumerate([130] * 6 + [120, 110, 100, 90, 80, 72, 66]):
        box.feed(i * 5 * MIN, v)
    assert alarm(box.eng, "low")["status"] == "sounding"
    box.snooze(60 * MIN + 30)
    box.feed(65 * MIN, 82)
    assert alarm(box.eng, "low") is None


def test_a_held_snooze_of_a_cleared_low_survives_a_reset():
    # The family answered the low at 60:30 (30 min, to 90:30); it cleared at 82 and came
    # back at 66, 10 min into its snooze: snoozed to the same end (helper-188). A reset
    # in between (the watchdog at 67 min, 5 s away) forgot that end (engine._held is not
    # saved): the low came back sounding, the family woken again inside the snooze
    # they gave
    for resets in (False, True):
        box = Box(urgent_low_soon=False)
        _low_snoozed_then_cleared(box)
        if resets:
            box.reset(67 * MIN)
        ev = box.feed(70 * MIN, 66)
        assert kinds(ev) == ["low"], ev
        assert alarm(box.eng, "low")["status"] == "snoozed", (resets, alarm(box.eng, "low"))
        assert box.eng.loudest() is None, resets
        for t in range(75 * MIN, 90 * MIN, 5 * MIN):            # still low, quiet to the end ...
            box.feed(t, 62)
            assert box.eng.loudest() is None, (resets, t)
        for t in range(90 * MIN, 91 * MIN + 5, 5):              # ... and sounding when it ends
            box.tick(t)
        assert alarm(box.eng, "low")["status"] == "sounding", resets


def test_a_held_snooze_survives_a_reset_loop_and_ends_when_it_ended():
    # three resets in the held time, each 20 s away: the same end, 90:30
    box = Box(urgent_low_soon=False)
    _low_snoozed_then_cleared(box)
    for t in (66 * MIN, 68 * MIN, 69 * MIN):
        box.reset(t, away_s=20)
    box.feed(70 * MIN, 66)
    assert alarm(box.eng, "low")["status"] == "snoozed"
    box.tick(90 * MIN + 25)
    assert alarm(box.eng, "low")["status"] == "snoozed"
    box.feed(90 * MIN + 30, 64)
    assert alarm(box.eng, "low")["status"] == "sounding"


def _unanswered_low_cleared(box):
    """A low nobody answers (sounding at 60 min, 66) clears at 82 (75 min); returns the
    level it reached."""
    for i, v in enumerate([130] * 6 + [120, 110, 100, 90, 80, 72, 66]):
        box.feed(i * 5 * MIN, v)
    for t in range(60 * MIN, 75 * MIN, 5):
        box.tick(t)
        if t % 300 == 0 and t > 60 * MIN:
            box.feed(t, 66)
    level = alarm(box.eng, "low")["level"]
    box.feed(75 * MIN, 82)
    assert alarm(box.eng, "low") is None and level >= 2, level
    return level


def test_an_unanswered_low_that_clears_comes_back_at_its_level_across_a_reset():
    # The low nobody answered comes back at 66 (80 min) at the level it reached
    # (engine.PAUSE_S), not afresh. A reset in between (the watchdog at 77 min, 5 s away)
    # forgot that: the low came back at level 0, the quiet sound, for a fall nobody had
    # answered for 15 min
    for resets in (False, True):
        box = Box(urgent_low_soon=False)
        level = _unanswered_low_cleared(box)
        if resets:
            box.reset(77 * MIN)
        box.feed(80 * MIN, 66)
        back = alarm(box.eng, "low")
        assert back["status"] == "sounding" and back["level"] == level, (resets, back)
    # past the pause (a reset 10 min away) a fall is a new episode: afresh
    box = Box(urgent_low_soon=False)
    _unanswered_low_cleared(box)
    box.reset(77 * MIN, away_s=600)
    box.feed(90 * MIN, 66)
    assert alarm(box.eng, "low")["level"] == 0, alarm(box.eng, "low")


def test_a_reset_late_in_the_pause_keeps_its_time_left_not_the_whole_pause():
    # the pause of the low that cleared unanswered at 75 min ends at 85 min; a reset at
    # 83 min (5 s away) keeps its 2 min left: the low back at 86 min is a new episode,
    # afresh at level 0, as on a box that did not reset (restored as a whole pause from
    # the save, to 93 min, it came back at the level reached 11 min before)
    for resets in (False, True):
        box = Box(urgent_low_soon=False)
        _unanswered_low_cleared(box)
        box.feed(80 * MIN, 82)
        if resets:
            box.reset(83 * MIN)
        box.feed(86 * MIN, 66)
        back = alarm(box.eng, "low")
        assert back["status"] == "sounding" and back["level"] == 0, (resets, back)


def _episode(box, values, press_at):
    for i, v in enumerate(values):
        box.feed(i * 5 * MIN, v)
    return box.snooze(press_at)


def test_an_episode_answered_on_its_higher_alarm_stays_answered_across_a_reset():
    # A family that wants a high reminded every 30 min (high_snooze 30) answers the
    # urgent high at 320 for its 60 min; the high beside it is answered with it, to the
    # same end, 70:30 (kinds.COVERS: one press is for the episode). A reset at 20 min
    # restored the high's snooze capped by high_snooze, 30 min from the save: the high
    # woke them at 50 min, 20 min inside the snooze they gave the episode
    for resets in (False, True):
        box = Box(high_snooze=30)
        ev = _episode(box, [200, 260, 320], 10 * MIN + 30)
        assert sorted(kinds(ev, "alarm_snooze")) == ["high", "urgent_high"], ev
        if resets:
            box.reset(20 * MIN)
        sounded = []
        for t in range(15 * MIN, 70 * MIN + 1, 5 * MIN):
            box.feed(t, 320)
            for s in range(5, 300, 5):
                box.tick(t + s)
                a = box.eng.loudest()
                if a is not None and t + s < 70 * MIN + 30:
                    sounded.append((t + s, a["type"]))
        assert sounded == [], (resets, sounded[:3])
    # the low side: an urgent low answered for 30 min (urgent_low_snooze 30) answers the
    # low sounding beside it (low_snooze 15) to the same end
    for resets in (False, True):
        box = Box(urgent_low_snooze=30, low_snooze=15, urgent_low_soon=False)
        ev = _episode(box, [100, 90, 80, 68, 64, 50], 25 * MIN + 30)
        assert sorted(kinds(ev, "alarm_snooze")) == ["low", "urgent_low"], ev
        if resets:
            box.reset(28 * MIN)
        for t in range(30 * MIN, 55 * MIN + 1, 5 * MIN):
            box.feed(t, 52)
            for s in range(5, 300, 5):
                box.tick(t + s)
                if t + s < 55 * MIN + 30:
                    assert box.eng.loudest() is None, (resets, t + s, box.eng.loudest())


def test_a_schedule_switch_next_to_a_reset_clears_a_high_the_days_threshold_raised():
    # test_a_high_raised_by_the_days_threshold_stops_at_the_night_switch_when_the_night_
    # calls_it_in_range with a reset between the day's last reading (21:55) and the
    # night's first (22:00), before the switch (21:59:58) or after it (22:00:00, the
    # reading late): engine._judged_by (the thresholds of the last judged reading) is not
    # saved, the switch went unseen, and the day's high went on sounding at 240 under the
    # night's 250 all night, escalated to the medium sound
    mod0 = 21 * 60 + 40
    for reset_at in (None, 19 * MIN + 58, 20 * MIN):
        box = Box(high=180, schedule=NIGHT)
        for m in range(0, 20, 5):                                   # 21:40 .. 21:55
            box.feed(m * MIN, 200, mod=(mod0 + m) % 1440)
            for s in range(5, 300, 5):
                box.tick(m * MIN + s, mod=(mod0 + m + s // 60) % 1440)
        assert alarm(box.eng, "high")["status"] == "sounding"
        start = 20 * MIN
        if reset_at is not None:
            box.reset(reset_at, mod=(mod0 + reset_at // MIN) % 1440)
            start = reset_at + 5 + 30                               # the reading after the boot
        still = []
        for i in range(12):                                         # 22:00 .. 22:55
            t = start + i * 5 * MIN
            box.feed(t, 240, mod=(mod0 + t // MIN) % 1440)
            a = alarm(box.eng, "high")
            if a is not None and a["status"] == "sounding":
                still.append((t // MIN, a["level"], a["priority"]))
            for s in range(5, 300, 5):
                box.tick(t + s, mod=(mod0 + (t + s) // MIN) % 1440)
        assert still == [], (reset_at, still[:3])


def test_a_reset_keeps_a_high_the_nights_threshold_holds_when_no_switch_came():
    # the other side: with no switch since the last reading the night's own high (raised
    # at 260, held at 240 in its hysteresis) goes on sounding across a reset
    mod0 = 23 * 60
    box = Box(high=180, schedule=NIGHT)
    box.feed(0, 260, mod=mod0)
    box.reset(2 * MIN, mod=mod0 + 2)
    box.feed(5 * MIN, 240, mod=mod0 + 5)
    assert alarm(box.eng, "high")["status"] == "sounding"


# session 63 (helper-317): a rule of a reset that the mutation run of persist.py found no test holding
def test_a_battery_warning_pressed_in_the_day_stays_held_to_the_next_morning_across_a_reset():
    # told at 09:00, pressed: held to 08:00 the next day (23 h); a reset at 10:00
    # (persist._longest caps a restored snooze; capped at condition_snooze, 60 min, it
    # sounded again at 11:00, and every hour after each reset)
    for resets in (False, True):
        box = Box()
        box.feed(0, 120, mod=9 * 60)
        box.eng.set_condition("transmitter_battery", "battery_low", True, 1, 9 * 60)
        box.snooze(10)
        if resets:
            box.reset(60 * MIN, mod=10 * 60)
        onsets = []
        for t in range(60 * MIN + 10, 24 * 3600, 30):
            mod = (9 * 60 + t // MIN) % 1440
            ev = box.feed(t, 120, mod=mod) if t % (5 * MIN) == 10 else box.tick(t, mod)
            onsets += [t // MIN for e in ev if e.get("type") == "transmitter_battery"
                       and e["event"] == "alarm_onset"]
        assert onsets[:1] == [23 * 60], (resets, onsets)


# session 63 (helper-319): engine._judged_by across a reset for an answered alarm (persist's
# JUDGED_OTHER: the threshold of the last judged reading is not the one in force at the save)
def _answered_across_a_switch(user, mod0, before, after, press_at, reset_at):
    """Readings every 5 min from mod0 (local minute), `before` up to the first at or past
    the schedule's switch (27 min), `after` from then; the sounding alarm is snoozed at
    press_at; a box that resets at reset_at (None: never). Returns the loudest alarm
    type at each 5-s round from the switch (27 min) on. mod0 None: no time of day."""
    box = Box(**user)
    heard = []   # the types alone: tuples with the rounds' times, kept through the loop, scattered
    # the port's heap, and the list's growth then found no 4-KB block (a MemoryError by layout)
    for t in range(0, 60 * MIN, 5):
        mod = None if mod0 is None else (mod0 + t // MIN) % 1440
        if t == press_at:
            box.snooze(t)
        if t == reset_at:
            box.reset(t, mod=mod)      # (saved at t, back 5 s later: the next round)
        elif t % (5 * MIN) == 0:
            box.feed(t, before if t < 27 * MIN else after, mod=mod)
        else:
            box.tick(t, mod)
        a = box.eng.loudest()
        if t >= 27 * MIN:
            heard.append(None if a is None else a["type"])
    return heard


def _times(heard, kind):
    """The times (s) of the rounds in _answered_across_a_switch's `heard` loudest with kind."""
    return [27 * MIN + 5 * i for i, a in enumerate(heard) if a == kind]


def test_a_high_snoozed_by_day_that_sounds_again_after_the_night_switch_stops_alike_across_a_reset():
    # 21:33, 255: the day's high (180) sounds; snoozed at 21:46 for 15 min (to 22:01).
    # The night (high 250) begins at 22:00; the box resets at 22:00:30, no reading judged
    # since 21:58. At 22:01 the snooze ends and 255 is above the night's 250 too: the
    # high sounds again; the reading of 22:03, 240, is in range by the night's threshold,
    # judged for the first time since the switch: the high stops, as on a box that did
    # not reset (persist's JUDGED_OTHER: restored as judged by the night's threshold, the
    # switch went unseen and the high sounded on at 240 all night, held by the night's
    # hysteresis, escalating; lost with the snooze, the 22:01 sound never came)
    user = dict(high=180, high_snooze=15, schedule=NIGHT)
    kept = _answered_across_a_switch(user, 21 * 60 + 33, 255, 240, 13 * MIN, None)
    assert _times(kept, "high") == list(range(28 * MIN, 30 * MIN, 5)), kept
    assert _answered_across_a_switch(user, 21 * 60 + 33, 255, 240, 13 * MIN, 27 * MIN + 30) == kept


def test_a_low_snoozed_at_night_that_sounds_again_after_the_day_switch_stops_alike_across_a_reset():
    # the low side: the night's low (80) sounds at 64 from 06:33, snoozed at 06:46 to
    # 07:01; the day (low 70) from 07:00, a reset at 07:00:30. At 07:01 64 is under the
    # day's 70 too: the low sounds again; at 07:03, 74, in range by the day's 70: it stops
    user = dict(low=70, low_snooze=15, urgent_low_soon=False, urgent_low=55, schedule=NIGHT)
    kept = _answered_across_a_switch(user, 6 * 60 + 33, 64, 74, 13 * MIN, None)
    assert _times(kept, "low") == list(range(28 * MIN, 30 * MIN, 5)), kept
    assert _answered_across_a_switch(user, 6 * 60 + 33, 64, 74, 13 * MIN, 27 * MIN + 30) == kept


def test_an_answered_alarm_with_no_switch_since_its_reading_goes_on_sounding_across_a_reset():
    # the other side: all at night (00:00 is the save's minute), the night's own high
    # (250) sounds again at its snooze's end and 240 holds it (hysteresis), reset or not;
    # the night's low (80) alike at 76, held at 84; the day's high (180) at 190, held at
    # 175 at 14:03, and so on a box with no time of day (no schedule applies)
    high = dict(high=180, high_snooze=15, schedule=NIGHT)
    low = dict(low=70, low_snooze=15, urgent_low_soon=False, urgent_low=55, schedule=NIGHT)
    for user, kind, mod0, before, after in ((high, "high", 23 * 60 + 33, 255, 240),
                                            (low, "low", 23 * 60 + 33, 76, 84),
                                            (high, "high", 13 * 60 + 33, 190, 175),
                                            (high, "high", None, 190, 175)):
        for reset_at in (None, 27 * MIN + 30):
            heard = _answered_across_a_switch(user, mod0, before, after, 13 * MIN, reset_at)
            assert set(heard[MIN // 5:]) == {kind}, (kind, mod0, reset_at, heard[:3])   # from 28 min


def test_a_sounding_high_of_a_threshold_between_whole_numbers_goes_on_sounding_across_a_reset():
    # a hand-edited config.json's high of 180.5 (validate keeps it): the save marks the
    # threshold of a sounding alarm's last reading only when it is a whole number
    # (JUDGED_AT); without it the restore takes the one in force at the save, and 175,
    # in its hysteresis, holds the high as on a box that did not reset
    box = Box(high=180.5)
    box.feed(0, 200)
    box.reset(2 * MIN)
    box.feed(5 * MIN, 175)
    assert alarm(box.eng, "high")["status"] == "sounding"
