# A schedule entry whose thresholds are out of order is mended as the settings' own are
# (settings._usable, _mend_order), not dropped: high goes LOW_GAP under the urgent_high in
# force in its window, a low not above urgent_low goes LOW_GAP above it; a threshold the
# entry did not ask for keeps its alarm's own on/off, one it asked for turns it on as a
# kept entry does. Each test pins one rule a plausible slip in the mend would break.
# Runs on CPython and MicroPython.
from alarms import settings
from alarm_steps import MIN, make, feed, kinds

NIGHT = {"start": 22 * 60, "end": 7 * 60}


def _usable(user):
    try:
        settings.validate(user)
    except settings.SettingsError as e:
        return e.usable
    raise AssertionError("accepted: %r" % (user,))


def _entry(user, entry):
    user = dict(user)
    user["schedule"] = [entry]
    u = _usable(user)
    assert settings.validate(dict(u)) == u, u   # what the box runs on is a valid whole
    assert len(u["schedule"]) == 1, (user, u["schedule"])   # kept, not dropped
    return u, u["schedule"][0]


def test_an_entry_is_mended_at_equality_and_left_alone_one_above_it():
    # "not above" is the wrong order: equal is mended, one above is the family's own
    u, e = _entry({}, dict(NIGHT, urgent_high=250))               # the day's high is 250
    assert (e["urgent_high"], e["high"]) == (250, 240), e
    u, e = _entry({"low": 90, "urgent_low": 65, "volume": 5}, dict(NIGHT, urgent_high=251))
    assert "high" not in e and e["urgent_high"] == 251, e          # (volume 5: refused)
    u, e = _entry({"urgent_low": 65, "volume": 5}, dict(NIGHT, low=65))
    assert e["low"] == 75, e
    u, e = _entry({"urgent_low": 65, "volume": 5}, dict(NIGHT, low=66))
    assert e["low"] == 66, e                                        # above it: as asked


def test_the_mend_lowers_high_and_keeps_the_entrys_urgent_high_never_the_other_way():
    # a night entry's high of 320 over the family's urgent_high 300: the night high runs at
    # 290 (stricter than asked, as the settings' own mend); urgent_high stays as the family
    # set it, not raised to make room (that would be less strict than asked)
    u, e = _entry({"high": 180}, dict(NIGHT, high=320))
    assert e == dict(NIGHT, high=290), e
    at_night = settings.effective(u, 23 * 60)
    assert (at_night["high"], at_night["urgent_high"], at_night["high_enabled"]) == (290, 300, True)
    assert settings.effective(u, 12 * 60)["high"] == 180             # the day as the family set it


def test_a_mended_high_the_entry_asked_for_turns_the_high_alarm_on_in_its_window():
    # the family's high is off by day; the night entry asks for a high (above urgent_high,
    # so mended): the night high sounds, as an entry that sets a threshold does. A mend that
    # copied the day's off switch into every entry silenced the night high the family asked
    u, e = _entry({"high_enabled": False, "urgent_high": 200}, dict(NIGHT, high=220))
    assert e == dict(NIGHT, high=190), e
    assert settings.effective(u, 23 * 60)["high_enabled"] is True
    assert settings.effective(u, 12 * 60)["high_enabled"] is False
    eng = make(**u)
    feed(eng, 0, 195, mod=23 * 60)
    assert eng.is_active("high"), eng.active()
    eng = make(**u)
    feed(eng, 0, 195, mod=12 * 60)
    assert not eng.is_active("high"), eng.active()


def test_an_entrys_own_switch_wins_over_the_days_when_its_high_is_mended():
    # the entry sets urgent_high 180 and says high_enabled itself: its word is kept whichever
    # way the day's switch is (a mend that took the day's switch for an entry's high it did
    # not ask for overrode the family's night choice)
    for day, night in ((False, True), (True, False)):
        u, e = _entry({"high_enabled": day, "high": 200, "urgent_high": 190},
                      dict(NIGHT, urgent_high=180, high_enabled=night))
        assert e == dict(NIGHT, urgent_high=180, high=170, high_enabled=night), (day, night, e)
        assert settings.effective(u, 23 * 60)["high_enabled"] is night
        assert settings.effective(u, 12 * 60)["high_enabled"] is day
    # said neither: the day's switch, whichever way it is
    for day in (False, True):
        u, e = _entry({"high_enabled": day, "high": 200, "urgent_high": 190},
                      dict(NIGHT, urgent_high=180))
        assert e["high_enabled"] is day and e["high"] == 170, (day, e)


def test_a_mended_entry_applies_in_its_window_only_across_midnight():
    # the whole entry, night low with it, from its start (inclusive) to its end (exclusive)
    u, e = _entry({"urgent_high": 200}, dict(NIGHT, high=220, low=80))
    for mod, low, high in ((22 * 60 - 1, 70, 190), (22 * 60, 80, 190), (0, 80, 190),
                           (7 * 60 - 1, 80, 190), (7 * 60, 70, 190)):
        s = settings.effective(u, mod)
        assert (s["low"], s["high"]) == (low, high), (mod, s["low"], s["high"])
    eng = make(**u)
    ev = feed(eng, 0, 78, mod=23 * 60 + 30)                          # the night low sounds
    assert "low" in kinds(ev), ev
    eng = make(**u)
    ev = feed(eng, 0, 78, mod=7 * 60)                                # the day's low is 70
    assert "low" not in kinds(ev) and "urgent_low_soon" not in kinds(ev), ev


def test_a_refused_number_in_an_entry_is_taken_first_then_the_order_mended():
    # urgent_high 150 (under its bound 180) is taken at 180, stricter than the family's
    # 300; then the family's high 250 is above it and runs at 170 in the window, its
    # switch the day's (the entry did not ask for a high)
    u, e = _entry({}, dict(NIGHT, urgent_high=150))
    assert e == dict(NIGHT, urgent_high=180, high=170, high_enabled=True), e
    # urgent_high written as text, "190": taken at 190, then the family's high 250 runs at 180
    u, e = _entry({}, dict(NIGHT, urgent_high="190"))
    assert e == dict(NIGHT, urgent_high=190, high=180, high_enabled=True), e
    eng = make(**u)
    assert "high" in kinds(feed(eng, 0, 185, mod=23 * 60)), eng.active()
    eng = make(**u)
    assert "high" not in kinds(feed(eng, 0, 185, mod=12 * 60)), eng.active()
