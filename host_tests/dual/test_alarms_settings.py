# Alarm settings: defaults, bounds, every problem reported. CPython and MicroPython.
from alarms import settings
from fakes import REPO


def test_defaults_are_complete_and_documented():
    s = settings.validate({})
    assert s["urgent_low"] == 55 and s["low"] == 70 and s["high"] == 250 and s["urgent_high"] == 300
    assert s["urgent_low_soon"] is True and s["urgent_low_soon_minutes"] == 20
    assert s["no_data_minutes"] == 20 and s["stale_minutes"] == 10 and s["forwarding"] is True
    assert s["fall_enabled"] is False and s["rise_enabled"] is False
    assert s["persistent_high_enabled"] is False and s["schedule"] == []
    src = open(REPO + "/firmware/alarms/settings.py").read()
    for key in settings.DEFAULTS:
        assert "# " + key + " " in src, key + " is not documented in settings.py"


def test_every_problem_is_listed_with_key_and_range():
    try:
        settings.validate({"urgent_low": 30, "low": "x", "high": 1000, "bogus": 1,
                           "urgent_low_enabled": False})
        assert False
    except settings.SettingsError as e:
        msg = str(e)
        assert len(e.problems) == 5, e.problems
        assert "urgent_low=30" in msg and "50..70" in msg
        assert "low=" in msg and "60..100" in msg
        assert "high=1000" in msg and "120..400" in msg
        assert "bogus: unknown setting" in msg
        assert "cannot be disabled" in msg


def test_order_between_thresholds():
    try:
        settings.validate({"high": 300, "urgent_high": 250})
        assert False
    except settings.SettingsError as e:
        assert "urgent_high=250 must be above high=300" in str(e)


def test_low_must_stay_above_urgent_low():
    # each within its own range (low 60..100, urgent_low 50..70), yet a low
    # alarm at or below the urgent low would never warn first
    for user, msg in (({"low": 60, "urgent_low": 65}, "low=60 must be above urgent_low=65"),
                      ({"low": 65, "urgent_low": 65}, "low=65 must be above urgent_low=65"),
                      ({"urgent_low": 65, "schedule": [{"start": 0, "end": 60, "low": 60}]},
                       "schedule[0].low=60 must be above urgent_low=65")):
        try:
            settings.validate(user)
            assert False, "accepted %r" % (user,)
        except settings.SettingsError as e:
            assert msg in e.problems, e.problems
    assert settings.validate({"low": 66, "urgent_low": 65})["low"] == 66


def test_booleans_are_strict():
    try:
        settings.validate({"low_enabled": 1})
        assert False
    except settings.SettingsError as e:
        assert "low_enabled=1: must be true or false" in str(e)


def test_schedule_validation_and_effect():
    s = settings.validate({"schedule": [{"start": 1320, "end": 420, "low": 80, "volume": 30}]})
    assert settings.effective(s, 23 * 60)["low"] == 80
    assert settings.effective(s, 3 * 60)["volume"] == 30
    assert settings.effective(s, 12 * 60)["low"] == 70
    assert settings.effective(s, None)["low"] == 70
    try:
        settings.validate({"schedule": [{"start": 2000, "end": 60, "urgent_low": 60, "low": 10}]})
        assert False
    except settings.SettingsError as e:
        msg = str(e)
        assert "schedule[0].start=2000" in msg
        assert "schedule[0].urgent_low: cannot be scheduled" in msg
        assert "schedule[0].low=10: out of range 60..100" in msg


def test_one_bad_key_keeps_the_familys_other_settings():
    # a typo beside a stricter low must not bring low back to 70 (before: every
    # setting fell back to its default while the device alarm said "config")
    user = {"low": 90, "high": 200, "urgent_high": 1000, "volume": 40,
            "schedule": [{"start": 1320, "end": 420, "low": 100},
                         {"start": 600, "end": 700, "lowe": 80}]}
    try:
        settings.validate(user)
        assert False, "accepted"
    except settings.SettingsError as e:
        u = e.usable
    assert u["low"] == 90 and u["high"] == 200 and u["volume"] == 40
    assert u["urgent_high"] == 300                      # the bad value: its default
    assert u["schedule"] == [{"start": 1320, "end": 420, "low": 100}]   # the bad entry dropped
    assert settings.validate(dict((k, v) for k, v in u.items())) == u   # a valid whole
    # a low not above urgent_low: the family's urgent_low stays, low goes above it
    # (never less strict than asked: before, both went back to 70 / 55)
    for urgent, low in ((65, 60), (70, 65), (55, 55)):
        try:
            settings.validate({"low": low, "urgent_low": urgent, "volume": 30})
            assert False
        except settings.SettingsError as e:
            u = e.usable
        assert (u["urgent_low"], u["volume"]) == (urgent, 30), u
        assert u["low"] == max(70, urgent + 10) and u["low"] > low, u
    # urgent_high not above high: both at their defaults
    try:
        settings.validate({"high": 300, "urgent_high": 250})
        assert False
    except settings.SettingsError as e:
        assert (e.usable["high"], e.usable["urgent_high"]) == (250, 300)
    # not even a dict: nothing to keep
    try:
        settings.validate([1])
        assert False
    except settings.SettingsError as e:
        assert e.usable is None


def test_a_schedule_entry_that_never_applies_is_refused():
    try:
        settings.validate({"schedule": [{"start": 600, "end": 600, "low": 90}]})
        assert False, "accepted"
    except settings.SettingsError as e:
        assert any("start=end=600" in p for p in e.problems), e.problems


def test_alarm_settings_that_are_not_an_object_are_refused_even_when_empty():
    for bad in ([], 0, "", False):
        try:
            settings.validate(bad)
            assert False, bad
        except settings.SettingsError as e:
            assert "must be a dict" in e.problems[0] and e.usable is None
    assert settings.validate(None) == settings.validate({})
