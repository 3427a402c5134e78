# The alarm rules as documented (README "Alarms", settings.py's table, engine.py's
# header), edge by edge: thresholds and their hysteresis, priorities, snooze times,
# escalation, schedules, stale data, persistence, prediction sanity. Written to kill
# the mutants tools/mutation.py found alive. Runs on CPython and MicroPython.
from alarms import settings
from alarms.engine import EngineError, NO_DATA_GRACE_S as GRACE
import reading
from alarm_steps import MIN, make, feed, series, kinds, alarm  # noqa: F401


def problems(user):
    try:
        settings.validate(user)
    except settings.SettingsError as e:
        return e.problems
    return []


# ---- settings: the documented table ----------------------------------------
# key: (default, low bound, high bound, step beyond the bound), from settings.py's
# comment table and the README.
NUMBERS = {
    "urgent_low": (55, 54, 70, 1), "urgent_low_snooze": (15, 5, 30, 1),
    "urgent_low_soon_minutes": (20, 10, 30, 1), "urgent_low_soon_snooze": (30, 5, 30, 1),
    "low": (70, 60, 100, 1),
    "low_minutes": (15, 0, 30, 1), "low_snooze": (30, 5, 60, 1), "high": (250, 120, 400, 1),
    "high_snooze": (120, 15, 360, 1), "urgent_high": (300, 180, 400, 1),
    "urgent_high_snooze": (60, 15, 240, 1), "fall_rate": (3.0, 1.0, 5.0, 0.1),
    "rise_rate": (3.0, 1.0, 5.0, 0.1), "rate_snooze": (30, 5, 120, 1),
    "persistent_high": (180, 120, 400, 1), "persistent_high_minutes": (120, 30, 480, 1),
    "persistent_high_snooze": (60, 15, 360, 1), "no_data_minutes": (20, 10, 60, 1),
    "no_data_snooze": (15, 5, 30, 1), "stale_minutes": (10, 5, 10, 1),
    "escalate_minutes": (5, 1, 15, 1), "notice_minutes": (30, 5, 240, 1),
    "condition_snooze": (60, 5, 240, 1), "volume": (100, 10, 100, 1),
}
FLAGS = {"urgent_low_soon": True, "low_enabled": True, "high_enabled": True,
         "urgent_high_enabled": True, "fall_enabled": False, "rise_enabled": False,
         "persistent_high_enabled": False, "forwarding": True}


def _range_problem(key, value, probs):
    for p in probs:
        if p.startswith("%s=%r: out of range" % (key, value)):
            return p
    return None


def test_every_documented_default():
    s = settings.validate({})
    for key in NUMBERS:
        assert s[key] == NUMBERS[key][0], key
    for key in FLAGS:
        assert s[key] is FLAGS[key], key
    assert s["schedule"] == []
    assert settings.validate(None) == s
    assert sorted(s) == sorted(list(NUMBERS) + list(FLAGS) + ["schedule"])


def test_every_bound_is_inclusive_and_the_next_value_refused():
    for key in NUMBERS:
        default, lo, hi, step = NUMBERS[key]
        for ok in (lo, hi):
            assert _range_problem(key, ok, problems({key: ok})) is None, (key, ok)
        for bad in (lo - step, hi + step):
            p = _range_problem(key, bad, problems({key: bad}))
            assert p is not None and ("%s..%s" % (lo, hi)) in p, (key, bad)


def test_bounds_accept_a_whole_valid_configuration_at_the_edges():
    low_edge = {"urgent_low": 54, "low": 60, "high": 120, "urgent_high": 180, "fall_rate": 1.0,
                "stale_minutes": 5, "escalate_minutes": 1, "volume": 10, "low_minutes": 0}
    s = settings.validate(low_edge)
    for key in low_edge:
        assert s[key] == low_edge[key]
    high_edge = {"urgent_low": 70, "low": 100, "high": 399, "urgent_high": 400, "rise_rate": 5.0,
                 "persistent_high_minutes": 480, "no_data_minutes": 60}
    s = settings.validate(high_edge)
    for key in high_edge:
        assert s[key] == high_edge[key]


def test_wrong_types_are_refused_with_the_range():
    for bad in (True, "70", None, [70]):
        p = problems({"low": bad})
        assert len(p) == 1 and p[0].startswith("low=") and "must be a number in 60..100" in p[0], p
    for bad in (1, 0, "true", None):
        p = problems({"high_enabled": bad})
        assert len(p) == 1 and "must be true or false" in p[0], p
    assert settings.validate({"high_enabled": False})["high_enabled"] is False
    assert settings.validate({"fall_enabled": True})["fall_enabled"] is True
    assert settings.validate({"low": 72.5})["low"] == 72.5       # numbers need not be whole
    try:
        settings.validate([("low", 70)])
        assert False, "a list is not settings"
    except settings.SettingsError as e:
        assert "must be a dict" in str(e)


def test_threshold_order_is_strict():
    assert problems({"low": 60, "urgent_low": 59}) == []
    p = problems({"low": 60, "urgent_low": 60})
    assert p == ["low=60 must be above urgent_low=60"], p
    assert problems({"high": 299, "urgent_high": 300}) == []
    p = problems({"high": 300})
    assert p == ["urgent_high=300 must be above high=300"], p
    # a bad value is reported once, by its range, not again by the order check
    p = problems({"urgent_low": 200})
    assert len(p) == 1 and "urgent_low=200" in p[0]


def test_schedule_rules():
    entry = {"start": 0, "end": 1439, "volume": 40}
    s = settings.validate({"schedule": [entry] * 4})
    assert len(s["schedule"]) == 4 and s["schedule"][0] == entry
    p = problems({"schedule": [entry] * 5})
    assert p == ["schedule: must be a list of at most 4 entries"], p
    assert problems({"schedule": {"start": 0}}) == ["schedule: must be a list of at most 4 entries"]
    for bad in (-1, 1440, True, 1.5, None):
        p = problems({"schedule": [{"start": bad, "end": 60}]})
        assert len(p) == 1 and "schedule[0].start" in p[0] and "0..1439" in p[0], (bad, p)
        p = problems({"schedule": [{"start": 60, "end": bad}]})
        assert len(p) == 1 and "schedule[0].end" in p[0], (bad, p)
    p = problems({"schedule": ["night"]})
    assert p == ["schedule[0]: must be a dict"], p
    for key in settings.SCHEDULE_KEYS:      # each schedulable key is checked like the top level
        if key in NUMBERS:
            bad = NUMBERS[key][2] + NUMBERS[key][3]
        else:
            bad = 1
        p = problems({"schedule": [{"start": 0, "end": 60, key: bad}]})
        assert p and p[0].startswith("schedule[0]." + key), (key, p)
    # the order check sees the schedule merged with the top level
    p = problems({"schedule": [{"start": 0, "end": 60, "high": 300}]})
    assert p == ["schedule[0].urgent_high=300 must be above high=300"], p
    p = problems({"urgent_low": 65, "schedule": [{"start": 0, "end": 60, "low": 65}]})
    assert p == ["schedule[0].low=65 must be above urgent_low=65"], p
    for key in ("urgent_low", "stale_minutes", "no_data_minutes"):
        p = problems({"schedule": [{"start": 0, "end": 60, key: 20}]})
        assert len(p) == 1 and "cannot be scheduled" in p[0]


def test_a_wrong_order_of_the_days_thresholds_is_not_blamed_on_night_entries_that_do_not_set_them():
    # the day's urgent high under its high is said once, at the top level: a night entry
    # that sets only a low was named with it ("schedule[0].urgent_high=240 must be above
    # high=260"), sending a parent to look for an urgent high in the night that is not there
    # (on the status page, one line for every schedule entry)
    night = {"start": 1320, "end": 420, "low": 80, "volume": 40}
    morning = {"start": 420, "end": 480, "volume": 60}
    p = problems({"high": 260, "urgent_high": 240, "schedule": [night, morning]})
    assert p == ["urgent_high=240 must be above high=260"], p
    p = problems({"low": 60, "urgent_low": 65, "schedule": [dict(night, low=90), morning]})
    assert p == ["low=60 must be above urgent_low=65"], p
    # an entry that sets a threshold of the pair is still checked against the day's other
    p = problems({"high": 260, "urgent_high": 240, "schedule": [dict(night, high=250)]})
    assert p == ["urgent_high=240 must be above high=260",
                 "schedule[0].urgent_high=240 must be above high=250"], p
    p = problems({"urgent_low": 65, "schedule": [dict(night, low=65)]})
    assert p == ["schedule[0].low=65 must be above urgent_low=65"], p


def test_schedule_window_start_inclusive_end_exclusive_first_match_wins():
    day = {"start": 480, "end": 1200, "low": 65}
    night = {"start": 1320, "end": 360, "low": 80}
    wide = {"start": 0, "end": 1439, "low": 90}
    s = settings.validate({"schedule": [day, night, wide]})
    eff = settings.effective
    assert eff(s, 480)["low"] == 65 and eff(s, 1199)["low"] == 65
    assert eff(s, 1200)["low"] == 90 and eff(s, 479)["low"] == 90
    assert eff(s, 1320)["low"] == 80 and eff(s, 0)["low"] == 80 and eff(s, 359)["low"] == 80
    assert eff(s, 360)["low"] == 90 and eff(s, 1319)["low"] == 90
    assert eff(s, 1439)["low"] == 80
    only = settings.validate({"schedule": [night]})
    assert eff(only, 1319) is only and eff(only, 360) is only and eff(only, None) is only
    assert eff(only, 1400)["low"] == 80 and only["low"] == 70          # the base is not changed


# ---- glucose thresholds and hysteresis -------------------------------------
def test_urgent_low_below_55_clears_at_65():
    assert "urgent_low" not in kinds(series(make(), 0, [55, 55]))
    eng = make()
    ev = series(eng, 0, [56, 54])
    assert "urgent_low" in kinds(ev)
    on = [e for e in ev if e["type"] == "urgent_low"][0]
    assert on["priority"] == "high" and on["level"] == 0 and on["reason"] == "threshold"
    assert on["sgv"] == 54
    assert kinds(series(eng, 10, [60, 64]), "alarm_clear") == []
    ev = series(eng, 20, [65])
    assert "urgent_low" in kinds(ev, "alarm_clear")
    clear = [e for e in ev if e["type"] == "urgent_low"][0]
    assert clear["sgv"] == 65


def test_urgent_low_threshold_is_the_setting():
    eng = make(urgent_low=60, low=80)
    ev = series(eng, 0, [62, 59])
    assert "urgent_low" in kinds(ev)
    assert kinds(series(eng, 10, [69]), "alarm_clear") == []
    assert "urgent_low" in kinds(series(eng, 15, [70]), "alarm_clear")


def test_low_below_70_clears_at_80():
    eng = make(urgent_low_soon=False, low_minutes=0)
    assert kinds(series(eng, 0, [70, 70, 70])) == []
    ev = series(eng, 15, [69])
    assert kinds(ev) == ["low"] and ev[0]["priority"] == "medium" and ev[0]["reason"] == "threshold"
    assert kinds(series(eng, 20, [75, 79]), "alarm_clear") == []
    assert kinds(series(eng, 30, [80]), "alarm_clear") == ["low"]


def test_low_disabled_and_urgent_low_still_sounds():
    eng = make(low_enabled=False, urgent_low_soon=False)
    ev = series(eng, 0, [65, 60, 54])
    assert kinds(ev) == ["urgent_low"]


def test_a_reading_under_54_raises_the_urgent_low_at_every_urgent_low_the_settings_take():
    # under 54 mg/dL is level-2 hypoglycaemia (consensus on CGM targets, 2019): no setting
    # moves that floor. An urgent low of 50..53 was taken before session 65, and with the
    # low off a reading of 53 then sounded nothing
    taken = [ul for ul in range(40, 71) if not problems({"urgent_low": ul, "low_enabled": False})]
    assert taken[0] == 54, taken
    for ul in taken:
        eng = make(urgent_low=ul, low_enabled=False, urgent_low_soon=False)
        ev = feed(eng, 0, 53)
        assert kinds(ev) == ["urgent_low"] and ev[0]["priority"] == "high", (ul, ev)
    # nor does a schedule lower it: an entry's urgent_low is refused at any value, and the
    # settings the box runs on meanwhile drop that entry
    for ul in (50, 53, 54):
        try:
            settings.validate({"schedule": [{"start": 0, "end": 1439, "urgent_low": ul,
                                             "low_enabled": False}]})
            raise AssertionError("a schedule's urgent_low %d taken" % ul)
        except settings.SettingsError as e:
            assert len(e.problems) == 1 and e.problems[0].startswith(
                "schedule[0].urgent_low: cannot be scheduled"), e.problems
            assert e.usable["schedule"] == [] and e.usable["urgent_low"] == 55


def test_high_above_250_clears_at_235():
    eng = make()
    assert kinds(series(eng, 0, [250, 250])) == []
    ev = series(eng, 10, [251])
    assert kinds(ev) == ["high"] and ev[0]["priority"] == "low" and ev[0]["reason"] == "threshold"
    assert kinds(series(eng, 15, [240, 236]), "alarm_clear") == []
    assert kinds(series(eng, 25, [235]), "alarm_clear") == ["high"]
    assert kinds(series(make(high_enabled=False), 0, [260, 270])) == []


def test_urgent_high_above_300_clears_at_285():
    eng = make(high_enabled=False)
    assert kinds(series(eng, 0, [300, 300])) == []
    ev = series(eng, 10, [301])
    assert kinds(ev) == ["urgent_high"] and ev[0]["priority"] == "medium"
    assert kinds(series(eng, 15, [286]), "alarm_clear") == []
    assert kinds(series(eng, 20, [285]), "alarm_clear") == ["urgent_high"]
    assert kinds(series(make(urgent_high_enabled=False, high_enabled=False), 0, [350, 360])) == []


def test_fall_and_rise_rates():
    # 15-minute average rate against fall_rate / rise_rate (3 mg/dL/min by default)
    eng = make(fall_enabled=True, urgent_low_soon=False, low_enabled=False)
    assert kinds(series(eng, 0, [250, 240, 230, 220])) == []            # -2 mg/dL/min
    eng = make(fall_enabled=True, urgent_low_soon=False, low_enabled=False)
    ev = series(eng, 0, [250, 234, 218, 202])                             # -3.2 mg/dL/min
    assert kinds(ev) == ["fall"]
    on = [e for e in ev if e["type"] == "fall"][0]
    assert on["priority"] == "medium" and on["reason"] == "rate"
    assert kinds(series(eng, 20, [202, 202, 202, 202]), "alarm_clear") == ["fall"]
    eng = make(rise_enabled=True, high_enabled=False, urgent_high_enabled=False)
    assert kinds(series(eng, 0, [100, 110, 120, 130])) == []
    eng = make(rise_enabled=True, high_enabled=False, urgent_high_enabled=False)
    ev = series(eng, 0, [100, 116, 132, 148])
    assert kinds(ev) == ["rise"] and ev[0]["priority"] == "low" and ev[0]["reason"] == "rate"
    assert kinds(series(make(rise_enabled=True, rise_rate=1.5), 0, [100, 110, 120, 130])) == ["rise"]
    # a fall is not a rise, and needs 10 minutes of readings
    eng = make(rise_enabled=True, fall_enabled=True, urgent_low_soon=False, low_enabled=False)
    assert kinds(series(eng, 0, [250, 200])) == []
    assert kinds(series(eng, 10, [150])) == ["fall"]


def test_persistent_high_after_its_minutes_and_clear():
    eng = make(persistent_high_enabled=True, high_enabled=False, urgent_high_enabled=False)
    ev = series(eng, 0, [200] * 24)                      # 0..115 min above 180
    assert kinds(ev) == []
    ev = series(eng, 120, [200])
    assert kinds(ev) == ["persistent_high"] and ev[0]["priority"] == "low"
    assert kinds(series(eng, 125, [170]), "alarm_clear") == []          # within hysteresis
    assert kinds(series(eng, 130, [165]), "alarm_clear") == ["persistent_high"]
    # a dip that does not reach 165 does not restart the count; one that does, does
    eng = make(persistent_high_enabled=True, persistent_high_minutes=30, high_enabled=False,
               urgent_high_enabled=False)
    assert kinds(series(eng, 0, [200, 200, 175, 200, 200, 200])) == []
    assert kinds(series(eng, 30, [200])) == ["persistent_high"]
    eng = make(persistent_high_enabled=True, persistent_high_minutes=30, high_enabled=False,
               urgent_high_enabled=False)
    assert kinds(series(eng, 0, [200, 200, 165, 200, 200, 200, 200])) == []
    assert kinds(series(make(), 0, [200] * 30)) == []                     # off by default


def test_persistent_high_counts_across_a_gap_shorter_than_its_window_not_one_as_long():
    # helper-149 / ALARM_AUDIT: readings above 180 at 0 and 5 min, none for 2 h (a sensor
    # change and its warm-up), one of 195 at 125 min raised "above 180 for 120 min" at once
    user = {"persistent_high_enabled": True, "high_enabled": False, "urgent_high_enabled": False}
    eng = make(**user)
    series(eng, 0, [200, 200])
    assert kinds(series(eng, 125, [195])) == []                          # the count starts again
    assert kinds(series(eng, 130, [195] * 23)) == []
    assert kinds(series(eng, 245, [195])) == ["persistent_high"]         # 120 min from 125
    # a gap shorter than the window (a signal loss of an hour) is bridged, as before
    eng = make(**user)
    series(eng, 0, [200] * 6)                                            # 0..25 min
    assert kinds(series(eng, 115, [195])) == []                          # 90 min without data
    assert kinds(series(eng, 120, [195])) == ["persistent_high"]


# ---- the low side: prediction and hierarchy --------------------------------
def test_steady_fall_from_100_warns_before_55():
    eng = make()
    ev = series(eng, 0, [100, 90, 80, 70, 60, 50, 45])                   # -2 mg/dL/min
    onsets = [e for e in ev if e["event"] == "alarm_onset"]
    uls = [e for e in onsets if e["type"] == "urgent_low_soon"]
    assert uls and uls[0]["sgv"] >= 55 and uls[0]["reason"] == "predicted"
    assert uls[0]["priority"] == "high"
    assert [e["type"] for e in onsets].index("urgent_low_soon") < [e["type"] for e in onsets].index("urgent_low")


def test_prediction_quiet_on_flat_and_rising_glucose():
    for values in ([80] * 12, [60, 62, 64, 66, 68, 70, 72], [120, 118, 121, 119, 120, 122]):
        ev = series(make(), 0, values)
        assert "urgent_low_soon" not in kinds(ev), values
        assert [e for e in ev if e["type"] == "low" and e["reason"] == "predicted"] == [], values


def test_urgent_low_soon_holds_until_10_above_urgent_low_then_clears():
    eng = make(low_enabled=False)
    series(eng, 0, [100, 90, 80, 70, 62])
    assert alarm(eng, "urgent_low_soon") is not None
    assert kinds(series(eng, 25, [62, 63, 64, 64]), "alarm_clear") == []
    ev = series(eng, 45, [75, 80, 85, 90])
    assert "urgent_low_soon" in kinds(ev, "alarm_clear")


def test_urgent_low_soon_off_and_horizon():
    eng = make(urgent_low_soon=False, low_enabled=False)
    assert kinds(series(eng, 0, [100, 90, 80, 70, 60])) == []
    # a longer horizon warns no later than the default
    def first(**u):
        ev = series(make(low_enabled=False, **u), 0, [110, 106, 102, 98, 94, 90, 86, 82, 78, 74, 70, 66, 62, 58])
        return [e["sgv"] for e in ev if e["event"] == "alarm_onset" and e["type"] == "urgent_low_soon"]
    short, long_ = first(urgent_low_soon_minutes=10), first(urgent_low_soon_minutes=30)
    assert long_ and short and long_[0] > short[0]


def _first_low(vals, **user):
    ev = series(make(urgent_low_soon=False, **user), 0, vals)
    return [(e["sgv"], e["reason"]) for e in ev if e["event"] == "alarm_onset" and e["type"] == "low"][:1]


def test_low_prediction_horizon():
    vals = [140 - 10 * i for i in range(10)]                             # -2 mg/dL/min
    threshold_only = _first_low(vals, low_minutes=0)
    assert threshold_only and threshold_only[0][0] < 70 and threshold_only[0][1] == "threshold"
    default = _first_low(vals)
    assert default and default[0][0] >= 70 and default[0][1] == "predicted"
    longer = _first_low(vals, low_minutes=30)
    assert longer and longer[0][0] > default[0][0] and longer[0][1] == "predicted"


def known_gap_low_predicts_a_steady_moderate_fall():
    """NOT a test (kept out of the suite; it fails, see the mutation report):
    README promises the low "predicted below 70 within 15 min". A steady fall
    of 1.2 mg/dL/min reaches 70 ten minutes after the reading of 82, yet the
    low sounds only at the first reading below 70: the filter's rate settles at
    about half the true slope (-0.6), so its 15-minute prediction from 82 is
    ~80. Run: python -c "import sys; sys.path[:0]=['firmware','host_tests/dual'];
    import test_alarms_rules as t; t.known_gap_low_predicts_a_steady_moderate_fall()"."""
    vals = [140 - 6 * i for i in range(15)]                              # -1.2 mg/dL/min
    got = _first_low(vals)
    assert got and got[0][0] >= 70, got


def test_low_side_one_onset_per_episode():
    # urgent_low active: neither low nor urgent_low_soon starts under it
    eng = make()
    ev = series(eng, 0, [54])
    assert kinds(ev) == ["urgent_low"]
    ev = series(eng, 5, [52, 50, 48, 47, 50, 56, 60, 64])
    assert kinds(ev) == []
    assert alarm(eng, "low") is None and alarm(eng, "urgent_low_soon") is None
    # the urgent low clears at 65; low (below 70) follows as its own alarm on that very
    # reading (it started a reading later, with no alarm active for 5 min: review29)
    ev = series(eng, 45, [66])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == ["low"], ev


def test_an_urgent_low_that_clears_above_its_band_hands_over_to_low_at_once():
    # urgent_low 70, low 96, no prediction: it clears at 80 while glucose is still low
    eng = make(urgent_low=70, low=96, urgent_low_soon=False)
    ev = series(eng, 0, [66, 66, 79])
    assert kinds(ev) == ["urgent_low"] and alarm(eng, "low") is None
    ev = series(eng, 15, [84])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == ["low"], ev
    # after a sharp drop the predictor's rate still falls as glucose rises: the clearing
    # reading hands over to low alone, urgent_low_soon does not start beside it (helper-132)
    eng = make()
    series(eng, 0, [110, 110, 110, 110])
    ev = series(eng, 20, [50, 58])
    assert kinds(ev) == ["urgent_low"]
    ev = series(eng, 30, [66])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == ["low"], ev
    # ... while a snooze of the urgent low still runs, the low waits a reading, as before
    eng = make()
    series(eng, 0, [110, 110, 110, 110])
    series(eng, 20, [50])
    eng.snooze(20 * MIN + 1)
    series(eng, 25, [58])
    ev = series(eng, 30, [66])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == [], ev
    # still in its band (below 80): it stays, and low does not start under it
    eng = make(urgent_low=70, low=96, urgent_low_soon=False)
    ev = series(eng, 0, [66, 79])
    assert kinds(ev, "alarm_clear") == [] and alarm(eng, "low") is None


def test_an_urgent_low_that_clears_at_low_does_not_hand_over_to_a_predicted_low():
    # a sharp drop to 50 and back to 70 (a treated urgent low, or a sensor's dip): the
    # reading of 70 is not below low, yet the filter's rate, lagging the drop, still
    # predicts a low. The handover is for a glucose still below low; here the low
    # started on the rising reading and cleared on the next (recorded CGM: t1duom 2307
    # part 2 at minute 285, 135 128 94 74 52 70 81)
    eng = make()
    series(eng, 0, [110, 110, 110, 110, 110])
    ev = series(eng, 25, [80, 50])
    assert kinds(ev) == ["urgent_low"], ev
    ev = series(eng, 35, [70])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == [], ev
    assert alarm(eng, "low") is None
    # ... and the one below low still hands over on that reading
    eng = make()
    series(eng, 0, [110, 110, 110, 110, 110])
    series(eng, 25, [80, 50])
    ev = series(eng, 35, [69])
    assert kinds(ev, "alarm_clear") == ["urgent_low"] and kinds(ev) == ["low"], ev


def test_low_starts_when_nothing_higher_is_active():
    eng = make(urgent_low_soon=False)
    ev = series(eng, 0, [69, 68])
    assert kinds(ev) == ["low"]
    ev = series(eng, 10, [54])
    assert kinds(ev) == ["urgent_low"] and alarm(eng, "low") is not None


# ---- stale and missing data --------------------------------------------------
def test_stale_limit_is_ten_minutes():
    eng = make()
    assert "urgent_low" in kinds(feed(eng, 20 * MIN, 50, age_s=10 * MIN))
    eng = make()
    assert "urgent_low" not in kinds(feed(eng, 20 * MIN, 50, age_s=10 * MIN + 1))
    eng = make(stale_minutes=5)
    assert "urgent_low" not in kinds(feed(eng, 20 * MIN, 50, age_s=5 * MIN + 1))


def test_stale_reading_clears_no_alarm_either():
    eng = make()
    series(eng, 0, [50])
    ev = feed(eng, 30 * MIN, 120, age_s=11 * MIN)
    assert kinds(ev, "alarm_clear") == [] or kinds(ev, "alarm_clear") == ["no_data"]
    assert alarm(eng, "urgent_low") is not None


def test_older_backfill_does_not_raise():
    eng = make()
    series(eng, 0, [120, 120])
    ev = feed(eng, 10 * MIN, 50, age_s=6 * MIN)       # older than the newest reading
    assert kinds(ev) == []


def test_no_data_after_20_minutes_and_setting():
    eng = make()
    feed(eng, 0, 120)
    # 20 min, and GRACE for the reading due then to arrive (it is measured at the
    # mark and reaches the box a session later)
    assert GRACE == 60                                        # README: a minute's grace
    assert kinds(eng.tick(20 * MIN + GRACE - 1)) == []
    ev = eng.tick(20 * MIN + GRACE)
    assert kinds(ev) == ["no_data"] and ev[0]["priority"] == "medium"
    assert kinds(eng.tick(21 * MIN + GRACE)) == []            # raised once
    eng = make(no_data_minutes=30)
    feed(eng, 0, 120)
    assert kinds(eng.tick(30 * MIN + GRACE - 1)) == [] and kinds(eng.tick(30 * MIN + GRACE)) == ["no_data"]
    # the reading due at the mark, arriving within the grace: nothing sounds
    eng = make()
    feed(eng, 0, 120)
    assert kinds(eng.tick(20 * MIN) + feed(eng, 20 * MIN + 20, 120, age_s=20)) == []
    # a reading without a value is not usable data
    eng = make()
    feed(eng, 0, 120)
    ev = feed(eng, 10 * MIN, None) + feed(eng, 20 * MIN + GRACE, None)
    assert kinds(ev) == ["no_data"]
    # a stale reading is not fresh data either
    assert kinds(feed(eng, 22 * MIN, 120, age_s=11 * MIN), "alarm_clear") == []
    assert kinds(feed(eng, 23 * MIN, 120), "alarm_clear") == ["no_data"]


def test_a_fault_escalated_by_going_unanswered_never_takes_the_box_from_a_new_low():
    # review28: an unanswered device fault (a Nightscout upload problem) became high after
    # 15 min; a low (medium) then played under it: the screen said "BOX FAULT", the first
    # press snoozed the fault. The low is shown and answered first, at the fault's loudness
    eng = make(urgent_low_soon=False, low_minutes=0)
    series(eng, 0, [72] * 3)
    eng.set_condition("device", "nightscout", True, 10 * MIN)
    for m in range(11, 40):
        if m % 5 == 0:
            feed(eng, m * MIN, 72)
        eng.tick(m * MIN)
    assert alarm(eng, "device")["priority"] == "high"            # escalated, unanswered
    assert eng.loudest()["type"] == "device"
    feed(eng, 40 * MIN, 69)                                      # a low starts
    loud = eng.loudest()
    assert loud["type"] == "low" and loud["priority"] == "high", loud   # never quieter
    assert loud["level"] == alarm(eng, "device")["level"], loud
    assert kinds(eng.snooze(41 * MIN), "alarm_snooze") == ["low"]
    assert eng.loudest()["type"] == "device"                     # then the fault
    # not escalated: a fault of the same base priority as a low still yields to it, and
    # between faults the escalated one comes first, as before
    eng = make(urgent_low_soon=False, low_minutes=0)
    series(eng, 0, [72] * 3)
    eng.set_condition("link", "rogue", True, 10 * MIN)
    feed(eng, 15 * MIN, 69)
    assert eng.loudest()["type"] == "low" and eng.loudest()["priority"] == "medium"
    eng = make(urgent_low_soon=False, low_minutes=0)
    eng.set_condition("device", "nightscout", True, 0)
    for m in range(0, 30):
        if m % 5 == 0:
            feed(eng, m * MIN, 120)
        eng.tick(m * MIN)
    eng.set_condition("link", "rogue", True, 30 * MIN)
    assert eng.loudest()["type"] == "device" and eng.loudest()["priority"] == "high"
    # faults of one rank and priority: the type order breaks the tie (link before device)
    eng = make()
    series(eng, 0, [120])
    eng.set_condition("device", "nightscout", True, 1 * MIN)
    eng.set_condition("link", "rogue", True, 1 * MIN)
    assert eng.loudest()["type"] == "link", eng.loudest()
    # a notice (low priority whatever its kind) never outranks a sounding high or rise
    # (helper-125: the warm-up's end took the screen and the first press from a high)
    eng = make()
    series(eng, 0, [260])                            # high sounding (low priority, level 0)
    eng.set_condition("sensor", "warmup_done", True, 1 * MIN)
    assert alarm(eng, "high")["priority"] == "low", alarm(eng, "high")
    assert eng.loudest()["type"] == "high", eng.loudest()
    assert kinds(eng.snooze(2 * MIN), "alarm_snooze") == ["high"]


def test_during_an_outage_no_data_is_played_over_an_escalated_high_not_over_a_low():
    eng = make()
    series(eng, 0, [320] * 3)                         # urgent_high (and high) sounding
    assert eng.loudest()["type"] == "urgent_high"
    for m in range(10, 80, 1):
        eng.tick(m * MIN)                             # data stops after minute 10
    assert alarm(eng, "no_data") is not None
    assert alarm(eng, "urgent_high")["priority"] == "high"   # escalated past no_data's rank
    assert eng.loudest()["type"] == "no_data"
    # a press snoozes no_data first; the high then plays again
    assert kinds(eng.snooze(80 * MIN), "alarm_snooze") == ["no_data"]
    assert eng.loudest()["type"] == "urgent_high"
    # while no_data sounds, a high-side alarm played under it does not escalate
    # (nobody is failing to answer it); it goes on from where it was afterwards
    eng = make()
    series(eng, 0, [320] * 3)
    level = alarm(eng, "urgent_high")["level"]
    ev = []
    for m in range(31, 120, 1):                       # no_data from minute 31 on (20 + GRACE)
        ev += eng.tick(m * MIN)
    assert alarm(eng, "urgent_high")["level"] == level, alarm(eng, "urgent_high")
    assert not [e for e in ev if e["event"] == "alarm_escalate" and e["type"] == "urgent_high"]
    assert [e for e in ev if e["event"] == "alarm_escalate" and e["type"] == "no_data"]
    eng.snooze(120 * MIN)                             # no_data snoozed: the high is heard again
    ev = []
    for m in range(121, 140, 1):
        ev += eng.tick(m * MIN)
    assert [e for e in ev if e["event"] == "alarm_escalate" and e["type"] == "urgent_high"]
    # data back: no_data clears and the highs rank as before
    eng = make()
    series(eng, 0, [320] * 3)
    eng.tick(40 * MIN)
    assert eng.loudest()["type"] == "no_data"
    feed(eng, 41 * MIN, 320)
    assert alarm(eng, "no_data") is None and eng.loudest()["type"] == "urgent_high"
    # the last known danger is a low: it keeps its rank over no_data
    eng = make()
    series(eng, 0, [50] * 3)
    for m in range(10, 80, 1):
        eng.tick(m * MIN)
    assert alarm(eng, "no_data") is not None and eng.loudest()["type"] == "urgent_low"


def test_a_source_with_more_lag_sets_its_own_no_data_grace():
    eng = make()
    eng.no_data_grace_s = 135                         # a follower box polling every 60 s
    feed(eng, 0, 120)
    assert kinds(eng.tick(20 * MIN + 134)) == []
    assert kinds(eng.tick(20 * MIN + 135)) == ["no_data"]


def test_no_data_counts_from_the_last_reading_time_not_its_arrival():
    eng = make()
    feed(eng, 8 * MIN, 120, age_s=8 * MIN)            # measured at 0, arrived at 8 min
    assert kinds(eng.tick(20 * MIN + GRACE)) == ["no_data"]


# ---- snooze and acknowledge ------------------------------------------------
SNOOZE_CASES = (
    ("urgent_low", [50], {}, 15),
    ("urgent_low_soon", [100, 90, 80, 70, 62, 58], {}, 30),
    ("low", [69, 68], {"urgent_low_soon": False}, 30),
    ("high", [260], {}, 120),
    ("urgent_high", [320], {"high_enabled": False}, 60),
    ("persistent_high", [200] * 25, {"persistent_high_enabled": True, "high_enabled": False}, 60),
)


def test_the_board_shows_the_sounding_alarm_else_the_most_urgent_answered_one():
    # engine.shown(): what the annunciator plays. A snoozed or acknowledged alarm
    # shows its colour, dim and silent; before, only sounding ones were shown, and
    # a snoozed urgent low left the calm "all is well" light on
    eng = make()
    assert eng.shown() is None
    feed(eng, 10 * MIN, 50)
    assert eng.shown() == eng.loudest() and eng.shown()["type"] == "urgent_low"
    eng.set_condition("transmitter_battery", "battery_low", True, 10 * MIN)
    eng.snooze(11 * MIN)                                   # the urgent low
    shown = eng.shown()
    assert shown["type"] == "transmitter_battery" and shown["status"] == "sounding", shown
    eng.acknowledge(12 * MIN)                              # the battery: both answered now
    assert eng.loudest() is None
    shown = eng.shown()
    assert (shown["type"], shown["priority"], shown["status"]) == ("urgent_low", "high", "snoozed"), shown
    eng2 = make()
    eng2.set_condition("link", "rogue", True, 0)           # medium, before low-priority battery
    eng2.set_condition("transmitter_battery", "battery_low", True, 0)
    eng2.acknowledge(MIN)
    eng2.acknowledge(MIN)
    shown = eng2.shown()
    assert (shown["type"], shown["status"]) == ("link", "acknowledged"), (shown, eng2.active())
    feed(eng, 20 * MIN, 120)                               # glucose back up: the urgent low clears
    assert [a["type"] for a in eng.active()] == ["transmitter_battery"]
    assert eng.shown()["type"] == "transmitter_battery" and eng.shown()["status"] == "acknowledged"


def test_each_alarm_snoozes_for_its_own_documented_time():
    for kind, values, user, minutes in SNOOZE_CASES:
        eng = make(**user)
        series(eng, 0, values)
        now = len(values) * 5 * MIN
        ev = eng.snooze(now)
        assert len(ev) == 1 and ev[0]["event"] == "alarm_snooze" and ev[0]["type"] == kind, (kind, ev)
        assert ev[0]["until_s"] == now + minutes * MIN, (kind, ev)
        assert alarm(eng, kind)["status"] == "snoozed"
    for kind, key in (("fall", "fall_enabled"), ("rise", "rise_enabled")):
        eng = make(**{key: True, "urgent_low_soon": False, "low_enabled": False,
                      "high_enabled": False, "urgent_high_enabled": False})
        series(eng, 0, [200, 184, 168, 152] if kind == "fall" else [100, 116, 132, 148])
        ev = eng.snooze(20 * MIN)
        assert ev[0]["type"] == kind and ev[0]["until_s"] == 20 * MIN + 30 * MIN
    eng = make()
    eng.tick(0)
    eng.tick(20 * MIN + GRACE)
    ev = eng.snooze(22 * MIN)
    assert ev[0]["type"] == "no_data" and ev[0]["until_s"] == 22 * MIN + 15 * MIN
    eng = make()
    eng.set_condition("link", "rogue", True, 0)
    assert eng.snooze(MIN)[0]["until_s"] == MIN + 60 * MIN


def test_snooze_settings_are_used():
    eng = make(low_snooze=45, urgent_low_soon=False)
    series(eng, 0, [69, 68])
    assert eng.snooze(10 * MIN)[0]["until_s"] == 55 * MIN
    eng = make(urgent_low_snooze=5)
    series(eng, 0, [50])
    assert eng.acknowledge(MIN)[0]["until_s"] == 6 * MIN
    eng = make(condition_snooze=5)
    eng.set_condition("device", "memory", True, 0)
    assert eng.snooze(0)[0]["until_s"] == 5 * MIN
    eng = make(no_data_snooze=5)
    eng.tick(0)
    eng.tick(21 * MIN)
    assert eng.acknowledge(21 * MIN)[0]["until_s"] == 26 * MIN
    eng = make(rate_snooze=10, fall_enabled=True, urgent_low_soon=False, low_enabled=False)
    series(eng, 0, [200, 184, 168, 152])
    assert eng.snooze(20 * MIN)[0]["until_s"] == 30 * MIN


def test_snoozed_glucose_alarm_re_raises_exactly_at_snooze_end_if_still_true():
    eng = make(high_enabled=False)
    series(eng, 0, [320])
    eng.snooze(MIN)                                       # 60 min
    feed(eng, 58 * MIN, 320)
    assert kinds(eng.tick(61 * MIN - 1)) == []
    ev = eng.tick(61 * MIN)
    assert kinds(ev) == ["urgent_high"] and ev[0].get("reraise") is True
    a = alarm(eng, "urgent_high")
    assert a["status"] == "sounding" and a["level"] == 0 and a["priority"] == "medium"
    # the escalation clock restarts at the re-raise
    assert [e for e in eng.tick(65 * MIN) if e["event"] == "alarm_escalate"] == []
    assert [e["level"] for e in eng.tick(66 * MIN) if e["event"] == "alarm_escalate"] == [1]


def test_snooze_over_while_only_in_hysteresis_does_not_re_raise():
    eng = make(high_enabled=False)
    series(eng, 0, [320])
    eng.snooze(MIN)
    feed(eng, 58 * MIN, 290)                                # below 300, above 285
    assert kinds(eng.tick(61 * MIN)) == [] and alarm(eng, "urgent_high")["status"] == "snoozed"
    ev = feed(eng, 63 * MIN, 305)                          # true again: sounds
    assert kinds(ev) == ["urgent_high"]


def test_snoozed_alarm_re_raised_by_a_reading_after_its_end():
    eng = make(urgent_low_soon=False)
    series(eng, 0, [69, 68])
    eng.snooze(5 * MIN)                                    # until 35 min
    assert kinds(feed(eng, 34 * MIN, 67)) == []
    assert kinds(feed(eng, 35 * MIN, 67)) == ["low"]


def test_urgent_low_re_raises_at_once_10_below_the_snoozed_value():
    eng = make()
    series(eng, 0, [50])
    eng.snooze(MIN)
    assert kinds(feed(eng, 5 * MIN, 41)) == []
    ev = feed(eng, 10 * MIN, 40)
    assert kinds(ev) == ["urgent_low"] and ev[0]["reraise"] is True
    # the rule is urgent_low's own: a snoozed high does not come back early
    eng = make(high_enabled=False)
    series(eng, 0, [320])
    eng.snooze(MIN)
    assert kinds(series(eng, 5, [340, 360, 380, 400])) == []


def test_acknowledge_silences_until_clear_then_a_new_episode_sounds():
    eng = make(urgent_low_soon=False)
    series(eng, 0, [69, 68])
    ev = eng.acknowledge(6 * MIN)
    assert ev == [{"event": "alarm_ack", "type": "low", "priority": "medium", "level": 1,
                   "reason": "threshold", "sgv": 68}]
    assert alarm(eng, "low")["status"] == "acknowledged" and eng.loudest() is None
    assert kinds(series(eng, 15, [60, 62, 64] * 30)) == []               # hours, still silent
    assert [e for e in eng.tick(500 * MIN) if e["event"] == "alarm_escalate"] == []
    series(eng, 500, [85])
    assert alarm(eng, "low") is None
    assert kinds(series(eng, 505, [68, 67])) == ["low"]


def test_acknowledge_and_snooze_with_nothing_sounding():
    eng = make()
    assert eng.snooze(0) == [] and eng.acknowledge(0) == []
    series(eng, 0, [260])
    eng.acknowledge(MIN)
    assert eng.snooze(2 * MIN) == [] and eng.acknowledge(2 * MIN) == []


def test_acknowledged_condition_stays_silent():
    eng = make()
    eng.set_condition("link", "no_transmitter", True, 0)
    ev = eng.acknowledge(MIN)
    assert ev[0]["event"] == "alarm_ack" and alarm(eng, "link")["status"] == "acknowledged"
    assert [e for e in eng.tick(300 * MIN) if e["type"] == "link"] == []
    assert alarm(eng, "link")["level"] == 0


def test_a_press_taken_back_sounds_every_alarm_it_answered_again_as_it_was():
    # a stuck button's long press (a book on it) is no person answering: App takes it back
    eng = make()
    series(eng, 0, [69, 68])                     # low sounds, escalated once by 6 min
    series(eng, 10, [54])                        # urgent low over it
    ev = eng.acknowledge(11 * MIN)
    answered = [e["type"] for e in ev]
    assert sorted(answered) == ["low", "urgent_low"], ev
    level = alarm(eng, "low")["level"]
    assert level >= 1 and alarm(eng, "urgent_low")["status"] == "snoozed"
    back = eng.unanswer(answered, 12 * MIN)
    assert sorted(kinds(back)) == ["low", "urgent_low"] and all(e["reraise"] for e in back), back
    assert alarm(eng, "urgent_low")["status"] == "sounding" and eng.loudest()["type"] == "urgent_low"
    assert alarm(eng, "low")["status"] == "sounding" and alarm(eng, "low")["level"] == level
    # the snooze's mark is gone: a reading a little lower does not re-raise it anew
    assert kinds(feed(eng, 15 * MIN, 53)) == []
    # taken back once only: sounding alarms are left alone
    assert eng.unanswer(answered, 16 * MIN) == []


def test_a_press_taken_back_leaves_cleared_and_reanswered_alarms_alone():
    eng = make(urgent_low_soon=False)
    series(eng, 0, [69, 68])
    answered = [e["type"] for e in eng.acknowledge(6 * MIN)]
    series(eng, 10, [85])                        # cleared meanwhile
    assert alarm(eng, "low") is None and eng.unanswer(answered, 16 * MIN) == []
    assert alarm(eng, "low") is None
    # a condition keeps its reasons: it sounds again and clears when its last reason does
    eng = make()
    eng.set_condition("link", "no_transmitter", True, 0)
    eng.set_condition("link", "rogue", True, 0)
    answered = [e["type"] for e in eng.acknowledge(MIN)]
    assert kinds(eng.unanswer(answered, 2 * MIN)) == ["link"]
    assert alarm(eng, "link")["status"] == "sounding"
    eng.set_condition("link", "no_transmitter", False, 3 * MIN)
    assert alarm(eng, "link") is not None
    eng.set_condition("link", "rogue", False, 4 * MIN)
    assert alarm(eng, "link") is None


def test_a_press_taken_back_keeps_the_escalation_clock():
    eng = make(urgent_low_soon=False)            # escalate every 5 min
    series(eng, 0, [69])
    answered = [e["type"] for e in eng.acknowledge(2 * MIN)]
    eng.unanswer(answered, 3 * MIN)
    assert [e["level"] for e in eng.tick(5 * MIN) if e["event"] == "alarm_escalate"] == [1]


def test_no_data_acknowledge_is_only_a_snooze():
    eng = make()
    eng.tick(0)
    eng.tick(20 * MIN + GRACE)
    ev = eng.acknowledge(22 * MIN)
    assert ev[0]["event"] == "alarm_ack" and alarm(eng, "no_data")["status"] == "snoozed"
    assert kinds(eng.tick(37 * MIN - 1)) == []
    assert kinds(eng.tick(37 * MIN)) == ["no_data"]


def test_press_acts_on_the_loudest_only_and_urgent_type_breaks_ties():
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 60, 50])        # urgent_low_soon then urgent_low: both high
    assert alarm(eng, "urgent_low_soon") is not None and alarm(eng, "urgent_low") is not None
    assert eng.loudest()["type"] == "urgent_low"
    assert eng.snooze(30 * MIN)[0]["type"] == "urgent_low"
    assert eng.loudest() is None                      # its urgent_low_soon went with it (COVERS)
    eng = make()
    eng.set_condition("transmitter_battery", "battery_low", True, 0)
    eng.set_condition("device", "memory", True, 0)
    assert eng.loudest()["type"] == "device"          # medium over low
    eng.snooze(0)
    assert eng.loudest()["type"] == "transmitter_battery"


def test_one_press_answers_the_lesser_alarms_of_the_episode_beside_the_loudest():
    # session 15: at an urgent low a press snoozed urgent_low and left urgent_low_soon (and a
    # low) sounding, high priority: a second press was needed, at 3 a.m., to quiet the box
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 60, 50])
    ev = eng.snooze(30 * MIN)
    assert [(e["event"], e["type"]) for e in ev] == [("alarm_snooze", "urgent_low"),
                                                    ("alarm_snooze", "urgent_low_soon")], ev
    until = ev[0]["until_s"]
    assert ev[1]["until_s"] == until == 30 * MIN + 15 * 60     # urgent_low's snooze, not its own
    assert eng.loudest() is None and alarm(eng, "urgent_low_soon")["status"] == "snoozed"
    # both come back at that end if the reading still raises them; the urgent low first
    feed(eng, until - 60, 50)
    eng.tick(until)
    assert eng.loudest()["type"] == "urgent_low"
    assert alarm(eng, "urgent_low_soon")["status"] == "sounding"
    # a long press (for urgent_low a capped snooze) takes them too
    ev = eng.acknowledge(until + 10)
    assert [(e["event"], e["type"]) for e in ev] == [("alarm_ack", "urgent_low"),
                                                    ("alarm_snooze", "urgent_low_soon")], ev
    # urgent_high acknowledged (silent until it clears) takes its high with it, acknowledged
    eng = make()
    series(eng, 0, [250, 270, 290, 320])
    assert alarm(eng, "high")["status"] == alarm(eng, "urgent_high")["status"] == "sounding"
    ev = eng.acknowledge(20 * MIN)
    assert [(e["event"], e["type"]) for e in ev] == [("alarm_ack", "urgent_high"), ("alarm_ack", "high")], ev
    assert eng.loudest() is None
    # a low's press never touches a high (nor the other way): only the episode's lesser kinds
    eng = make()
    eng.set_condition("device", "memory", True, 0)
    series(eng, 0, [80, 70, 60, 52])
    ev = eng.snooze(15 * MIN)
    assert "device" not in [e["type"] for e in ev] and eng.loudest()["type"] == "device"


# ---- escalation ------------------------------------------------------------
def test_escalation_every_5_minutes_up_to_level_3_and_one_priority_up():
    eng = make()
    series(eng, 0, [260])                                   # high: priority low
    levels = []
    for t in range(1, 31):
        ev = feed(eng, t * MIN, 260) if t % 5 == 0 else []
        for e in ev + eng.tick(t * MIN):
            if e["event"] == "alarm_escalate" and e["type"] == "high":
                levels.append((t, e["level"], e["priority"]))
    assert levels == [(5, 1, "low"), (10, 2, "low"), (15, 3, "medium")], levels
    loud = eng.loudest()
    assert loud["level"] == 3 and loud["escalated"] is True and loud["priority"] == "medium"
    assert eng.unanswered() == "high"


def test_high_priority_stays_high_when_escalated():
    eng = make(escalate_minutes=1)
    series(eng, 0, [50])
    for t in range(1, 6):
        eng.tick(t * MIN)
    loud = eng.loudest()
    assert loud["level"] == 3 and loud["priority"] == "high"


def test_snoozed_alarm_does_not_escalate_and_unanswered_needs_level_3():
    eng = make()
    series(eng, 0, [260])
    assert eng.unanswered() is None
    eng.tick(5 * MIN)
    eng.tick(10 * MIN)
    assert eng.unanswered() is None
    eng.snooze(11 * MIN)
    for t in range(12, 120):
        if t % 5 == 0:
            feed(eng, t * MIN, 260)
        assert [e for e in eng.tick(t * MIN) if e["event"] == "alarm_escalate"] == []
    assert eng.unanswered() is None and alarm(eng, "high")["level"] == 2


def test_unanswered_reports_the_most_urgent_fully_escalated_alarm():
    eng = make(escalate_minutes=1)
    eng.set_condition("transmitter_battery", "battery_low", True, 0)   # low priority
    eng.set_condition("link", "no_transmitter", True, 0)               # medium
    for t in range(1, 4):
        eng.tick(t * MIN)
    assert eng.unanswered() == "link"
    eng.acknowledge(4 * MIN)
    assert eng.unanswered() == "transmitter_battery"


def test_escalate_minutes_setting():
    eng = make(escalate_minutes=15)
    eng.set_condition("device", "memory", True, 0)
    assert eng.tick(15 * MIN - 1) == []
    assert [e["level"] for e in eng.tick(15 * MIN)] == [1]


# ---- conditions ------------------------------------------------------------
def test_condition_priorities_and_reasons():
    eng = make()
    expect = (("link", "bond_lost", "medium"), ("sensor", "expired", "medium"),
              ("device", "config", "medium"), ("transmitter_battery", "battery_low", "low"),
              ("forwarding", "mqtt", "low"))
    for kind, reason, prio in expect:
        ev = eng.set_condition(kind, reason, True, 0)
        assert ev[0]["priority"] == prio and ev[0]["reason"] == reason and ev[0]["level"] == 0
        assert "sgv" not in ev[0]
    assert eng.set_condition("link", "bond_lost", True, 5) == []        # the same again: nothing


def test_a_second_reason_sounds_again_and_clearing_one_keeps_the_other():
    eng = make(escalate_minutes=1)
    eng.set_condition("link", "auth_failed", True, 0)
    eng.tick(MIN)
    eng.tick(2 * MIN)
    assert alarm(eng, "link")["level"] == 2
    eng.snooze(2 * MIN)
    ev = eng.set_condition("link", "rogue", True, 3 * MIN)
    assert kinds(ev) == ["link"] and ev[0]["reason"] == "rogue" and ev[0]["reraise"] is True
    a = alarm(eng, "link")
    assert a["status"] == "sounding" and a["level"] == 0 and a["reason"] == "rogue"
    assert kinds(eng.set_condition("link", "rogue", False, 3 * MIN + 30), "alarm_clear") == []
    assert alarm(eng, "link")["reason"] == "auth_failed"
    assert kinds(eng.set_condition("link", "never_raised", False, 4 * MIN), "alarm_clear") == []
    assert alarm(eng, "link") is not None
    assert kinds(eng.set_condition("link", "auth_failed", False, 5 * MIN), "alarm_clear") == ["link"]
    assert eng.set_condition("link", "auth_failed", False, 6 * MIN) == []
    assert alarm(eng, "link") is None


def test_snoozed_condition_keeps_its_reasons_after_sounding_again():
    eng = make(condition_snooze=5)
    eng.set_condition("sensor", "failed", True, 0)
    eng.set_condition("sensor", "expired", True, 0)
    eng.snooze(MIN)
    assert kinds(eng.tick(6 * MIN - 1)) == []
    assert kinds(eng.tick(6 * MIN)) == ["sensor"]
    eng.set_condition("sensor", "expired", False, 7 * MIN)
    assert alarm(eng, "sensor")["reason"] == "failed"


def test_warmup_done_notice():
    for notice in ("warmup_done", "ending"):   # (ending: the session ends within a day, main.py)
        eng = make()
        ev = eng.set_condition("sensor", notice, True, 0)
        assert ev[0]["priority"] == "low" and ev[0]["reason"] == notice
        ev = eng.tick(30 * MIN - 1)
        assert [e for e in ev if e["type"] == "sensor" and e["event"] != "alarm_escalate"] == []
        assert alarm(eng, "sensor") is not None
        assert kinds(eng.tick(30 * MIN), "alarm_clear") == ["sensor"]
    eng = make()
    eng.set_condition("sensor", "ending", True, 0)
    ev = eng.set_condition("sensor", "expired", True, MIN)    # the end itself: a problem, sounding
    assert ev[0]["priority"] == "medium" and ev[0]["reason"] == "expired"
    eng = make(notice_minutes=5)
    eng.set_condition("sensor", "warmup_done", True, 0)
    assert kinds(eng.tick(5 * MIN), "alarm_clear") == ["sensor"]
    # a press clears a notice instead of snoozing it
    for press in ("snooze", "acknowledge"):
        eng = make()
        eng.set_condition("sensor", "warmup_done", True, 0)
        ev = getattr(eng, press)(MIN)
        assert kinds(ev, "alarm_clear") == ["sensor"] and eng.active() == []


def test_a_notice_left_under_an_acknowledged_problem_clears_in_its_time():
    # helper-157: an acknowledged sensor problem, a notice beside it, the problem over:
    # the notice stayed, acknowledged, for good (only a snoozed one ran out)
    for press in ("snooze", "acknowledge"):
        eng = make()
        eng.set_condition("sensor", "attention", True, 0)
        getattr(eng, press)(MIN)
        eng.set_condition("sensor", "ending", True, 2 * MIN)
        eng.set_condition("sensor", "attention", False, 3 * MIN)
        assert [(a["reason"], a["priority"]) for a in eng.active()] == [("ending", "low")], press
        assert kinds(eng.tick(33 * MIN - 1), "alarm_clear") == [], press
        assert kinds(eng.tick(33 * MIN), "alarm_clear") == ["sensor"], press


def test_a_problem_on_top_of_a_notice_sounds_at_its_own_priority():
    eng = make()
    eng.set_condition("sensor", "warmup_done", True, 0)
    ev = eng.set_condition("sensor", "failed", True, MIN)
    assert kinds(ev) == ["sensor"] and ev[0]["priority"] == "medium" and ev[0]["reason"] == "failed"
    assert kinds(eng.tick(40 * MIN), "alarm_clear") == []    # not cleared like a notice
    # a notice on top of a problem does not sound again
    eng = make()
    eng.set_condition("sensor", "failed", True, 0)
    assert eng.set_condition("sensor", "warmup_done", True, MIN) == []
    assert alarm(eng, "sensor")["reason"] == "failed"


def test_when_the_problem_ends_and_only_a_notice_is_left_the_alarm_is_that_notice_from_then():
    # chaos seed 1127: a device alarm for a reset loop, the "no time of day" notice joined it
    # 15 min later; when the resets reason ended 30 min after the onset only the notice was
    # left, still medium and escalated, and notice_minutes counted from the alarm's onset
    # cleared it at once. It is now the notice: low, level 0, counted from when it was left
    eng = make(notice_minutes=30, escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    eng.set_condition("device", "clock", True, 15 * MIN)
    for m in range(1, 31):
        eng.tick(m * MIN)
    assert alarm(eng, "device")["level"] == 3 and alarm(eng, "device")["priority"] == "high"
    ev = eng.set_condition("device", "resets", False, 30 * MIN)
    assert kinds(ev, "alarm_clear") == [], ev
    left = alarm(eng, "device")
    assert (left["reason"], left["priority"], left["level"], left["since_s"]) == ("clock", "low", 0, 30 * MIN)
    assert eng.unanswered() is None
    assert "device" not in kinds(eng.tick(30 * MIN + 29 * MIN), "alarm_escalate") and alarm(eng, "device") is not None
    assert "device" in kinds(eng.tick(60 * MIN), "alarm_clear")
    # while a problem is left beside a notice, the alarm stays that problem's
    eng = make()
    eng.set_condition("device", "memory", True, 0)
    eng.set_condition("device", "clock", True, MIN)
    eng.set_condition("device", "flash", True, 2 * MIN)
    eng.set_condition("device", "flash", False, 3 * MIN)
    assert (alarm(eng, "device")["priority"], alarm(eng, "device")["reason"]) == ("medium", "memory")
    for m in range(4, 41):
        assert "device" not in kinds(eng.tick(m * MIN), "alarm_clear")   # not cleared like a notice
    assert alarm(eng, "device")["level"] == 3                            # it escalates as a problem


def test_a_reason_that_ends_and_leaves_another_is_told_as_an_update():
    # only a notice left: the alarm's listeners hear it at once (the sound steps down, the
    # log and MQTT's alarm_unanswered follow), not at the next event
    eng = make(escalate_minutes=5)
    eng.set_condition("sensor", "failed", True, 0)
    eng.set_condition("sensor", "ending", True, MIN)
    for m in range(2, 17):
        eng.tick(m * MIN)
    assert eng.unanswered() == "sensor"
    ev = eng.set_condition("sensor", "failed", False, 17 * MIN)
    assert [(e["event"], e["type"], e["reason"], e["priority"], e["level"]) for e in ev] == \
        [("alarm_update", "sensor", "ending", "low", 0)], ev
    # another problem left names the alarm
    eng = make()
    eng.set_condition("device", "memory", True, 0)
    eng.set_condition("device", "flash", True, MIN)
    ev = eng.set_condition("device", "flash", False, 2 * MIN)
    assert [(e["event"], e["reason"], e["priority"]) for e in ev] == [("alarm_update", "memory", "medium")], ev
    # a reason that did not name the alarm ends: nothing to tell
    eng.set_condition("device", "clock", True, 3 * MIN)
    assert eng.set_condition("device", "clock", False, 4 * MIN) == []
    eng = make()
    eng.set_condition("sensor", "failed", True, 0)
    eng.set_condition("sensor", "warmup_done", True, MIN)
    eng.set_condition("sensor", "ending", True, 2 * MIN)
    assert eng.set_condition("sensor", "warmup_done", False, 3 * MIN) == []
    # the last reason's end is a clear, not an update
    assert eng.set_condition("sensor", "ending", False, 4 * MIN) == []
    assert kinds(eng.set_condition("sensor", "failed", False, 5 * MIN), "alarm_clear") == ["sensor"]


def test_forwarding_switch_only_silences_forwarding():
    eng = make(forwarding=False)
    assert eng.set_condition("forwarding", "network", True, 0) == []
    assert kinds(eng.set_condition("device", "radio", True, 0)) == ["device"]
    try:
        eng.set_condition("glucose", "x", True, 0)
        assert False
    except EngineError as e:
        assert "link" in str(e) and "forwarding" in str(e)


# ---- schedules in the engine -----------------------------------------------
def test_minute_of_day_advances_with_the_clock_and_wraps():
    night = {"start": 1320, "end": 360, "low": 80, "volume": 40}
    eng = make(schedule=[night], urgent_low_soon=False, low_minutes=0)
    feed(eng, 0, 78, mod=1300)                              # 21:40: day rules
    assert alarm(eng, "low") is None and eng.minute_of_day(0) == 1300
    assert eng.minute_of_day(19 * MIN + 59) == 1319
    ev = feed(eng, 20 * MIN, 78)                            # 22:00 by the engine's own count
    assert kinds(ev) == ["low"] and eng.loudest()["volume"] == 40
    assert eng.minute_of_day(160 * MIN) == 20               # past midnight
    assert eng.current_settings(160 * MIN)["low"] == 80
    assert eng.current_settings(500 * MIN)["low"] == 70      # 06:20: day again
    assert make().minute_of_day(100) is None


def test_tick_takes_the_minute_of_day_too():
    night = {"start": 0, "end": 60, "high_enabled": False}
    eng = make(schedule=[night])
    eng.tick(0, minute_of_day=10)
    assert kinds(feed(eng, MIN, 260)) == []
    eng = make(schedule=[night])
    eng.tick(0, minute_of_day=120)
    assert kinds(feed(eng, MIN, 260)) == ["high"]


def test_snooze_length_follows_the_settings_not_the_schedule_volume():
    eng = make(schedule=[{"start": 0, "end": 1439, "volume": 30}])
    feed(eng, 0, 50, mod=600)
    assert eng.loudest()["volume"] == 30
    assert eng.snooze(MIN)[0]["until_s"] == 16 * MIN


# ---- persistence -----------------------------------------------------------
def test_save_is_55_bytes_plus_16_per_alarm():
    eng = make()
    assert len(eng.save()) == 55
    series(eng, 0, [260])
    eng.set_condition("link", "rogue", True, 5 * MIN)
    assert len(eng.save()) == 55 + 2 * 16


def test_restore_round_trip_of_levels_priorities_reasons_and_times():
    eng = make(escalate_minutes=1, schedule=[{"start": 0, "end": 720, "high": 200}])
    feed(eng, -5 * MIN, 250, mod=95)
    feed(eng, 0, 260)
    eng.set_condition("link", "bond_lost", True, 0)
    eng.set_condition("sensor", "failed", True, 0)
    eng.set_condition("device", "memory", True, 0)          # raised again by its part if still true
    for t in range(1, 4):
        eng.tick(t * MIN)
    eng.acknowledge(3 * MIN)                                # one of them is acknowledged
    now = 4 * MIN
    eng.tick(now)
    data = eng.save()
    eng2 = make(escalate_minutes=1, schedule=[{"start": 0, "end": 720, "high": 200}])
    ev = eng2.restore(data, 1000)
    kept = [a for a in eng.active() if a["type"] != "device"]
    assert len(kept) == len(eng.active()) - 1
    assert eng2.active() == [dict(a, since_s=a["since_s"] - now + 1000) for a in kept]
    restored = [e for e in ev if e["event"] == "alarm_onset"]
    assert all(e["restored"] is True for e in restored)
    assert sorted(e["type"] for e in restored) == sorted(a["type"] for a in kept
                                                          if a["status"] == "sounding")
    assert eng2.minute_of_day(1000) == eng.minute_of_day(now) == 104
    assert eng2.current_settings()["high"] == 200
    # the newest value and its age, for the screen until the next reading (review28)
    assert eng.last_glucose() == (260, 0) and eng2.last_glucose() == (260, 1000 - now)
    for minutes in (0, 10, 30):
        m1, s1 = eng.prediction(minutes)
        m2, s2 = eng2.prediction(minutes)
        assert abs(m1 - m2) < 0.01 and abs(s1 - s2) < 0.01
    # the last reading's time carries over: no_data comes 20 min after it, not after the reset
    assert kinds(eng2.tick(1000 + 16 * MIN + GRACE - 1)) == []
    assert "no_data" in kinds(eng2.tick(1000 + 16 * MIN + GRACE))


def test_restore_keeps_snooze_left_and_the_worse_rule():
    eng = make()
    series(eng, 0, [50])
    eng.snooze(MIN)                                         # until 16 min, at 50
    data = eng.save()
    eng2 = make()
    assert eng2.restore(data, 0) == []                      # snoozed: nothing sounds at once
    a = alarm(eng2, "urgent_low")
    assert a["status"] == "snoozed"
    assert kinds(feed(eng2, 4 * MIN, 41)) == []
    assert kinds(feed(eng2, 5 * MIN, 40)) == ["urgent_low"]  # 10 below the saved 50


def test_restore_persistent_high_count_and_last_value():
    user = {"persistent_high_enabled": True, "persistent_high_minutes": 30, "high_enabled": False}
    eng = make(**user)
    series(eng, 0, [200, 200, 200, 200, 200])               # above since 0, now 20 min
    data = eng.save()
    eng2 = make(**user)
    eng2.restore(data, 5000)
    assert kinds(feed(eng2, 5000 + 5 * MIN, 200)) == []     # 25 min above
    assert kinds(feed(eng2, 5000 + 10 * MIN, 200)) == ["persistent_high"]
    e = make()
    e.restore(make().save(), 0)
    assert e.active() == [] and e.prediction(10) is None and e.minute_of_day(0) is None


def test_restore_refuses_what_it_did_not_write():
    eng = make()
    series(eng, 0, [260])
    good = eng.save()
    bad_version = bytes([good[0] + 1]) + good[1:]
    bad_count = good[:1] + bytes([good[1] + 1]) + good[2:]
    bad_type = bytearray(good)
    bad_type[55] = 200
    bad_status = bytearray(good)
    bad_status[56] = 3
    bad_prio = bytearray(good)
    bad_prio[58] = 3
    for data, words in ((bad_version, "version"), (bad_count, "bytes"), (good[:-1], "bytes"),
                        (good[:20], "too short"), (bytes(bad_type), "bad alarm record"),
                        (bytes(bad_status), "bad alarm record"), (bytes(bad_prio), "bad alarm record")):
        try:
            make().restore(data, 0)
            assert False, words
        except EngineError as e:
            assert words in str(e), (words, str(e))


def test_restore_refuses_a_record_the_engine_cannot_have_written_and_takes_none_of_it():
    # RTC memory's checksum is 16 bits: a damaged record may pass it. A negative age
    # put the newest reading in the future: every later reading was judged as history,
    # no_data never came due, and a fall to 45 raised nothing at all
    import struct
    eng = make()
    series(eng, 0, [150, 148, 146, 144, 142, 140])
    feed(eng, 30 * MIN, 260)                          # high sounding: a record follows the header
    good = eng.save()

    def patched(offset, fmt, value):
        b = bytearray(good)
        struct.pack_into(fmt, b, offset, value)
        return bytes(b)
    nan = float("nan")
    damaged = [(4, "<i", -365 * 86400), (8, "<i", -60), (14, "<i", -1), (2, "<h", 30000),
               (2, "<h", -3), (12, "<h", 1440), (18, "<f", nan), (18, "<f", float("inf")),
               (22, "<f", 1e9), (30, "<f", -4.0), (18 + 4 * 6, "<f", nan), (59, "<i", -5)]
    for offset, fmt, value in damaged:
        fresh = make()
        try:
            fresh.restore(patched(offset, fmt, value), 100)
            assert False, (offset, value)
        except EngineError as e:
            assert "damaged" in str(e) or "bad alarm record" in str(e), (offset, str(e))
        # nothing of it taken: the engine is as new, and a fall raises its alarms
        assert fresh.active() == [] and fresh._last_t is None and fresh.prediction(0) is None, offset
        t = 100
        for g in (120, 100, 80, 66, 58, 50, 45):
            feed(fresh, t, g)
            t += 5 * MIN
        assert alarm(fresh, "urgent_low") is not None, (offset, fresh.active())
    # the undamaged record is taken whole
    ok = make()
    ev = ok.restore(good, 100)
    assert [e["type"] for e in ev] == ["high"] and ok._last_t is not None and ok.prediction(0) is not None


# ---- the predictor ---------------------------------------------------------
def test_prediction_sanity():
    eng = make()
    assert eng.prediction(10) is None
    feed(eng, 0, 120)
    assert eng.prediction(10) is None                       # one reading predicts nothing
    series(eng, 5, [120] * 6)
    m, sd = eng.prediction(20)
    assert abs(m - 120) < 3 and sd > 0
    assert eng.prediction(30)[1] > eng.prediction(5)[1] > 0     # uncertainty grows with time
    eng = make()
    series(eng, 0, [160, 150, 140, 130, 120, 110, 100])     # -2 mg/dL/min
    m0 = eng.prediction(0)[0]
    m20 = eng.prediction(20)[0]
    assert 85 < m0 < 115 and m20 < m0 - 15 and m20 > 100 - 2 * 20 - 10
    assert eng._pred.rate() < -1


def test_predictor_rate_limit_gap_restart_and_old_readings():
    from alarms.predict import Predictor, RATE_LIMIT
    p = Predictor()
    assert p.update(0, 300) and p.update(300, 100)         # -40 mg/dL/min: not physiological
    assert -RATE_LIMIT <= p.rate() < 0 and RATE_LIMIT == 5.0
    assert p.update(300, 90) is False and p.update(0, 90) is False and p.update(-100, 90) is False
    # (one between the last two is run through again: test_alarms_backfill_history.py)
    p = Predictor()
    p.update(0, 100)
    p.update(300, 100)
    assert p.ready()
    p.update(300 + 1801, 150)                               # a gap over 30 min restarts
    assert not p.ready() and p.level() == 150.0
    p = Predictor()
    p.update(0, 100)
    p.update(1800, 100)                                     # 30 min exactly: one filter
    assert p.ready()
    # predict(at_s=...) counts the time since the last reading
    p = Predictor()
    for i, v in enumerate([160, 150, 140, 130, 120]):
        p.update(i * 300, v)
    assert abs(p.predict(10, at_s=4 * 300 + 600)[0] - p.predict(20)[0]) < 1e-6
    assert p.predict(-5) == p.predict(0)


def test_since_is_the_onset_time_and_survives_a_restore():
    eng = make()
    feed(eng, 0, 120)
    feed(eng, 5 * MIN, 260)
    for t in (10, 15, 20):
        eng.tick(t * MIN)
    a = alarm(eng, "high")
    assert a["since_s"] == 5 * MIN and a["level"] == 3 and eng.loudest()["since_s"] == 5 * MIN
    eng2 = make()
    eng2.restore(eng.save(), 100)
    assert alarm(eng2, "high")["since_s"] == 100 - 15 * MIN


def test_restore_keeps_the_snooze_end():
    eng = make(high_enabled=False)
    series(eng, 0, [320])
    eng.snooze(MIN)                                         # until 61 min
    feed(eng, 10 * MIN, 320)
    data = eng.save()                                       # saved at 10 min: 51 min left
    eng2 = make(high_enabled=False)
    eng2.restore(data, 0)
    feed(eng2, 50 * MIN, 320)
    assert kinds(eng2.tick(51 * MIN - 1)) == []
    assert kinds(eng2.tick(51 * MIN)) == ["urgent_high"]


# ---- found by the mutation run (second round) --------------------------------
def test_re_raised_alarm_keeps_its_reason():
    eng = make(high_enabled=False)
    series(eng, 0, [320])
    eng.snooze(MIN)
    feed(eng, 58 * MIN, 320)
    ev = eng.tick(61 * MIN)
    assert ev[0]["reason"] == "threshold" and alarm(eng, "urgent_high")["reason"] == "threshold"


def test_on_reading_default_age_is_zero():
    eng = make()
    eng.on_reading(reading.make(0, None, 120, None, 6), 10 * MIN)
    assert kinds(eng.tick(30 * MIN + GRACE - 1)) == [] and kinds(eng.tick(30 * MIN + GRACE)) == ["no_data"]


def test_a_reading_at_the_time_of_the_newest_is_history_only():
    eng = make()
    feed(eng, 5 * MIN, 120)
    ev = eng.on_reading(reading.make(5 * MIN, None, 50, None, 6), 6 * MIN, MIN)
    assert kinds(ev) == [] and alarm(eng, "urgent_low") is None


def _fall_engine(**user):
    user.update(fall_enabled=True, urgent_low_soon=False, low_enabled=False)
    return make(**user)


def test_fall_rate_is_over_the_last_15_minutes_only():
    # the last 10 minutes fall at 3/min, the last 15 at 2/min: no fall alarm
    assert kinds(series(_fall_engine(), 0, [230, 230, 215, 200])) == []
    # exactly 3 mg/dL/min over 15 minutes sounds; just under does not
    assert kinds(series(_fall_engine(), 0, [245, 230, 215, 200])) == ["fall"]
    eng = _fall_engine()
    ev = []
    for t_s, v in ((0, 200), (300, 186), (600, 172), (890, 156)):   # 44 in 890 s = 2.97/min
        ev += feed(eng, t_s, v)
    assert kinds(ev) == []
    # a reading older than 15 minutes (and the minute a session may be late) is
    # out of the window; at 16 minutes it is still in
    eng = _fall_engine()
    ev = []
    for t_s, v in ((0, 203), (361, 180), (661, 171), (961, 154)):   # 2.6/min in the last 600 s
        ev += feed(eng, t_s, v)
    assert kinds(ev) == []
    eng = _fall_engine()
    ev = []
    for t_s, v in ((0, 203), (360, 180), (660, 171), (960, 154)):   # 49 in 960 s = 3.06/min
        ev += feed(eng, t_s, v)
    assert kinds(ev) == ["fall"]
    # three readings over 10 minutes, a minute short at most, give the rate
    for span, want in ((540, ["fall"]), (539, [])):
        eng = _fall_engine()
        ev = []
        for t_s, v in ((0, 230), (span // 2, 215), (span, 200)):
            ev += feed(eng, t_s, v)
        assert kinds(ev) == want, span
    # after a gap only the readings of the last 15 minutes count
    eng = _fall_engine(fall_rate=1.0)
    series(eng, 0, [200, 200])
    assert kinds(series(eng, 45, [150, 150, 150])) == []


def test_fall_alarm_holds_while_the_fall_goes_on_a_little_slower():
    eng = _fall_engine()
    assert kinds(series(eng, 0, [250, 238, 226, 214])) == []          # 2.4/min: below 3
    eng = _fall_engine()
    series(eng, 0, [250, 234, 218, 202])                               # 3.2/min: sounds
    ev = series(eng, 20, [190, 178, 166])                              # 2.4/min: goes on
    assert kinds(ev, "alarm_clear") == [] and alarm(eng, "fall") is not None
    assert kinds(series(eng, 35, [166, 166, 166, 166]), "alarm_clear") == ["fall"]


def test_a_fall_or_rise_at_exactly_70_percent_of_its_rate_holds_as_its_raise_includes_its_rate():
    # the hold's edge is inclusive as the raise's is (a fall exactly at the rate sounds);
    # 4.0 mg/dL/min: 0.7 * 4.0 and 42 mg/dL over 15 min are the same float on both runtimes
    for kind, sign in (("fall", -1), ("rise", 1)):
        def sounding():                                       # 150 to 90 or 210 in 15 min: 4/min
            eng = make(urgent_low_soon=False, low_enabled=False, high_enabled=False,
                       urgent_high_enabled=False, **{kind + "_enabled": True, kind + "_rate": 4.0})
            assert kinds(series(eng, 0, [150 + sign * 20 * i for i in range(4)])) == [kind]
            return eng
        last = 150 + sign * 60
        for last_step, holds in ((14, True), (13, False)):    # 42 mg/dL in 15 min: 2.8/min; 41 under it
            eng = sounding()
            series(eng, 20, [last + sign * n for n in (14, 28, 28 + last_step)])
            assert (alarm(eng, kind) is not None) is holds, (kind, last_step)
            # two readings missed: no rate over the window, the last two readings' holds alike
            eng = sounding()
            feed(eng, 30 * MIN, last + sign * (28 + last_step))
            assert (alarm(eng, kind) is not None) is holds, (kind, last_step, "no rate")


def test_persistent_high_is_strictly_above_and_counts_whole_minutes():
    user = {"persistent_high_enabled": True, "persistent_high_minutes": 30, "high_enabled": False}
    eng = make(**user)
    assert kinds(series(eng, 0, [180] * 7)) == []                      # 180 is not above 180
    assert kinds(series(eng, 35, [181])) == []                         # the count starts now
    eng = make(**user)
    series(eng, 0, [200] * 6)                                          # 0..25 min above
    assert kinds(feed(eng, 29 * MIN + 59, 200)) == []
    assert kinds(feed(eng, 30 * MIN, 180)) == []                       # not above at 30 min
    assert kinds(feed(eng, 31 * MIN, 181)) == ["persistent_high"]
    eng = make(persistent_high_enabled=True, high_enabled=False)
    series(eng, 0, [200] * 24)
    assert kinds(feed(eng, 119 * MIN, 200)) == []


def test_snooze_end_needs_a_reading_at_most_10_minutes_old():
    for last_at, sounds in ((51 * MIN, True), (51 * MIN - 1, False)):
        eng = make(high_enabled=False)
        series(eng, 0, [320])
        eng.snooze(MIN)                                                # until 61 min
        feed(eng, last_at, 320)
        assert (kinds(eng.tick(61 * MIN)) == ["urgent_high"]) is sounds, last_at


def test_notice_clears_notice_minutes_after_its_own_onset():
    eng = make(notice_minutes=30)
    eng.set_condition("sensor", "warmup_done", True, 10 * MIN)
    assert kinds(eng.tick(40 * MIN - 1), "alarm_clear") == []
    ev = eng.tick(40 * MIN)
    assert [(e["event"], e["type"]) for e in ev if e["type"] == "sensor"] == [("alarm_clear", "sensor")]
    eng = make(notice_minutes=5, escalate_minutes=5)                   # clear and escalation due together
    eng.set_condition("sensor", "warmup_done", True, 0)
    assert [e["event"] for e in eng.tick(5 * MIN) if e["type"] == "sensor"] == ["alarm_clear"]


def test_newest_remaining_reason_is_shown():
    eng = make()
    for t, reason in enumerate(("auth_failed", "bond_lost", "rogue")):
        eng.set_condition("link", reason, True, t)
    eng.set_condition("link", "rogue", False, 5)
    assert alarm(eng, "link")["reason"] == "bond_lost"


def test_set_condition_takes_the_minute_of_day():
    eng = make(schedule=[{"start": 0, "end": 60, "volume": 20}])
    eng.set_condition("device", "memory", True, 0, minute_of_day=30)
    assert eng.minute_of_day(0) == 30 and eng.loudest()["volume"] == 20


def test_loudest_after_a_press_uses_the_schedule_at_the_press():
    eng = make(schedule=[{"start": 0, "end": 60, "volume": 20}])
    feed(eng, 0, 260, mod=50)
    eng.set_condition("link", "rogue", True, 0)
    eng.acknowledge(15 * MIN)                                          # the link, at 01:05
    assert eng.loudest()["type"] == "high" and eng.loudest()["volume"] == 100


def test_unanswered_prefers_the_more_urgent_type_at_equal_priority():
    eng = make(escalate_minutes=1)
    eng.set_condition("device", "memory", True, 0)
    eng.set_condition("link", "rogue", True, 0)
    for t in range(1, 4):
        eng.tick(t * MIN)
    assert eng.unanswered() == "link"


def test_settings_error_message_lists_the_problems():
    try:
        settings.validate({"low": 10, "high": 10})
        assert False
    except settings.SettingsError as e:
        assert str(e) == "bad alarm settings: " + "; ".join(e.problems) and len(e.problems) == 2


# the RTC layout as documented in persist.py
HEAD = "<BBhiihi9fB"
ALARM = "<BBBBiihBB"


def test_save_writes_the_documented_layout():
    import struct
    eng = make()
    head = struct.unpack_from(HEAD, eng.save(), 0)
    assert head[0] == 2 and head[1] == 0 and head[2] == -1 and head[5] == -1 and head[-1] == 0
    feed(eng, 0, 120, mod=0)
    feed(eng, 5 * MIN, 260)
    eng.set_condition("device", "custom_problem", True, 6 * MIN)       # a reason save() does not know
    eng.tick(10 * MIN)
    data = eng.save()
    assert len(data) == struct.calcsize(HEAD) + 2 * struct.calcsize(ALARM) == 55 + 32
    head = struct.unpack_from(HEAD, data, 0)
    assert head[:7] == (2, 2, 260, 5 * MIN, 5 * MIN, 10, 5 * MIN) and head[-1] == 2
    high = struct.unpack_from(ALARM, data, 55)
    device = struct.unpack_from(ALARM, data, 55 + 16)
    # type high, sounding, level 1, low prio; its next escalation step 5 min on (flags: ESC_KEPT),
    # the high it was judged by (250) in its aux field (JUDGED_AT, review helper-194)
    assert high == (4, 0, 1, 0, 5 * MIN, 5 * MIN, 250, 1, 1 | 8)
    # a reason not in REASONS: by its hash (kinds.reason_code), 128-254 (255 was "unknown")
    from alarms.kinds import reason_code
    assert device[0] == 12 and device[4] == 4 * MIN and device[7] == reason_code("custom_problem")
    assert 128 <= device[7] < 255 and reason_code("resets") < 127
    eng.snooze(11 * MIN)                                                # the device (medium) alarm
    eng.snooze(11 * MIN)                                                # then the high, at 260
    high = struct.unpack_from(ALARM, eng.save(), 55)
    assert high[1] == 1 and high[5] == 120 * MIN and high[6] == 260
    for _ in range(300):                                                # a day of readings: count capped
        eng._pred.update(eng._pred.t_s + 300, 120)
    assert struct.unpack_from(HEAD, eng.save(), 0)[-1] == 255


def test_restore_reads_the_documented_layout():
    import struct
    head = struct.pack(HEAD, 2, 4, 52, 60, -0x7FFFFFFF, 0, -0x7FFFFFFF, *([0.0] * 9 + [0]))
    ul = struct.pack(ALARM, 0, 1, 2, 2, 600, 300, 52, 1, 0)           # urgent_low snoozed 5 min more
    link = struct.pack(ALARM, 11, 0, 1, 1, 120, 0, -1, 5, 0)          # link sounding, no_transmitter
    odd = struct.pack(ALARM, 9, 0, 0, 1, 120, 0, -1, 250, 0)          # sensor, unknown reason
    dev = struct.pack(ALARM, 12, 0, 1, 1, 120, 0, -1, 13, 0)          # device sounding, memory
    eng = make(schedule=[{"start": 0, "end": 10, "volume": 30}])
    series(eng, 0, [300])                                              # restore replaces what was there
    ev = eng.restore(head + ul + link + odd + dev, 1000)
    assert [(e["type"], e["restored"]) for e in ev] == [("link", True)]
    got = [(a["type"], a["status"], a["level"], a["priority"], a["since_s"], a["reason"]) for a in eng.active()]
    # not restored: a condition nothing could clear (reason unknown), and device /
    # forwarding conditions, which their parts raise again if still true (most
    # report only changes: a restored one would sound for ever)
    assert got == [("urgent_low", "snoozed", 2, "high", 400, "threshold"),
                   ("link", "sounding", 1, "medium", 880, "no_transmitter")], got
    assert eng.minute_of_day(1000) == 0 and eng.loudest()["volume"] == 30
    assert eng.prediction(10) is None
    assert [e["level"] for e in eng.tick(1000 + 5 * MIN - 1) if e["event"] == "alarm_escalate"] == []
    assert kinds(feed(eng, 1000 + MIN, 43)) == []                     # not 10 below 52
    assert kinds(feed(eng, 1000 + 2 * MIN, 42)) == ["urgent_low"]
    try:
        make().restore(struct.pack(HEAD, 3, 0, -1, 0, 0, 0, 0, *([0.0] * 9 + [0])), 0)
        assert False
    except EngineError as e:
        assert "version 3, expected 2" in str(e)
    try:
        make().restore(head[:1] + b"\x01" + head[2:] + struct.pack(ALARM, 14, 0, 0, 0, 0, 0, -1, 0, 0), 0)
        assert False
    except EngineError as e:
        assert "bad alarm record" in str(e)


def _restored(alarm_record, away_s=0, now_s=1000):
    import struct
    head = struct.pack(HEAD, 2, 1, 50, 60, -0x7FFFFFFF, 0, -0x7FFFFFFF, *([0.0] * 9 + [0]))
    eng = make()
    eng.restore(head + alarm_record, now_s, away_s)
    return eng


def test_a_restored_snooze_is_never_longer_than_its_setting():
    # RTC memory's checksum is 16 bits: a damaged record that passes it said an
    # urgent low was snoozed 10 more hours; the box must not believe it. The
    # longest snooze an urgent low can have (urgent_low_snooze, 15 min by
    # default) counts from the save
    import struct
    eng = _restored(struct.pack(ALARM, 0, 1, 0, 2, 600, 36000, 50, 1, 0), away_s=60)
    assert alarm(eng, "urgent_low")["status"] == "snoozed"
    assert kinds(feed(eng, 1000 - 60 + 15 * MIN - 1, 50)) == []
    assert kinds(feed(eng, 1000 - 60 + 15 * MIN, 50)) == ["urgent_low"]
    # a snooze within its setting keeps what was left
    eng = _restored(struct.pack(ALARM, 2, 1, 0, 1, 600, 300, -1, 1, 0))     # low, 5 min left
    assert kinds(feed(eng, 1000 + 5 * MIN - 1, 65)) == []
    assert kinds(feed(eng, 1000 + 5 * MIN, 65)) == ["low"]


def test_an_alarm_that_cannot_be_silenced_is_never_restored_acknowledged():
    # an acknowledged urgent low would stay silent until glucose rose past 60;
    # the engine never writes that (a long press only snoozes it): taken as a
    # snooze of the full length from the save
    import struct
    eng = _restored(struct.pack(ALARM, 0, 2, 0, 2, 600, 0, 50, 1, 0))
    assert alarm(eng, "urgent_low")["status"] == "snoozed"
    assert kinds(feed(eng, 1000 + 15 * MIN - 1, 50)) == []     # the snooze runs its length
    assert kinds(feed(eng, 1000 + 15 * MIN, 50)) == ["urgent_low"]
    # a low may be acknowledged, and stays so
    eng = _restored(struct.pack(ALARM, 2, 2, 0, 1, 600, 0, -1, 1, 0))
    assert alarm(eng, "low")["status"] == "acknowledged"


def test_a_restored_level_above_the_highest_is_refused():
    import struct
    try:
        _restored(struct.pack(ALARM, 0, 0, 4, 2, 600, 0, -1, 1, 0))
        assert False
    except EngineError as e:
        assert "bad alarm record" in str(e)


def test_restore_keeps_every_reason_of_a_condition():
    # two link problems at once: the older one must not be forgotten at a reset, or
    # clearing the newer one after it silences the alarm while the older still holds
    eng = make()
    eng.set_condition("link", "bond_lost", True, 0)
    eng.set_condition("link", "no_transmitter", True, MIN)
    eng.set_condition("sensor", "warmup", True, MIN)
    eng.set_condition("sensor", "stopped", True, MIN)
    eng2 = make()
    eng2.restore(eng.save(), 1000)
    assert [(a["type"], a["reason"]) for a in eng2.active()] == [
        ("sensor", "stopped"), ("link", "no_transmitter")]
    eng2.set_condition("link", "no_transmitter", False, 1000 + MIN)
    assert [(a["type"], a["reason"]) for a in eng2.active()] == [
        ("sensor", "stopped"), ("link", "bond_lost")]
    eng2.set_condition("sensor", "stopped", False, 1000 + MIN)
    eng2.set_condition("link", "bond_lost", False, 1000 + MIN)
    assert [a["type"] for a in eng2.active()] == ["sensor"]
    eng2.set_condition("sensor", "warmup", False, 1000 + MIN)
    assert eng2.active() == []


def test_restored_sgv_and_predictor_carry_on():
    eng = make()
    feed(eng, 0, 100, mod=600)
    series(eng, 5, [92, 84, 76])
    eng2 = make()
    ev = eng2.restore(eng.save(), 3000)
    assert [(e["type"], e["sgv"]) for e in ev] == [("urgent_low_soon", 76)]
    a = feed(eng, 20 * MIN, 70)
    b = feed(eng2, 3000 + 5 * MIN, 70)
    assert [e["type"] for e in a] == [e["type"] for e in b]
    m1, s1 = eng.prediction(20)
    m2, s2 = eng2.prediction(20)
    assert abs(m1 - m2) < 0.01 and abs(s1 - s2) < 0.01


# ---- the predictor, as a filter ----------------------------------------------
def _cov_ok(p):
    d = (p.p00, p.p11, p.p22)
    return (min(d) >= 0 and p.p01 * p.p01 <= p.p00 * p.p11 * 1.0001 and
            p.p02 * p.p02 <= p.p00 * p.p22 * 1.0001 and p.p12 * p.p12 <= p.p11 * p.p22 * 1.0001)


def test_predictor_settles_on_flat_glucose_and_follows_a_step():
    from alarms.predict import Predictor
    p = Predictor()
    sds = []
    for i in range(36):                                                # 3 h at 120, noisy
        p.update(i * 300, 120 + (2 if i % 2 else -2))
        assert _cov_ok(p), i
        sds.append(p.predict(20)[1])
    assert abs(p.level() - 120) < 3 and abs(p.rate()) < 0.1
    assert abs(p.predict(30)[0] - 120) < 4
    assert sds[-1] < sds[1] and abs(sds[-1] - sds[-2]) < 0.5            # learns, then stays
    for i in range(36, 72):                                            # then 3 h at 160
        p.update(i * 300, 160)
        assert _cov_ok(p), i
    assert abs(p.level() - 160) < 3 and abs(p.rate()) < 0.1
    assert abs(p.predict(30)[0] - 160) < 4


def test_predictor_rate_on_a_steady_fall_and_after_it_stops():
    from alarms.predict import Predictor
    p = Predictor()
    for i in range(13):                                                # 1 h at -2 mg/dL/min
        p.update(i * 300, 200 - 10 * i)
        assert _cov_ok(p)
    assert -2.5 < p.rate() < -0.5
    m0, s0 = p.predict(0)
    m30, s30 = p.predict(30)
    assert m30 < m0 < 200 - 120 + 15 and s30 > s0 > 0
    for i in range(13, 49):                                            # 3 h flat at 80
        p.update(i * 300, 80)
    assert abs(p.rate()) < 0.15 and abs(p.predict(30)[0] - 80) < 5


# ---- an answered low-side alarm never hides a glucose that stays low ----------
def test_a_snoozed_urgent_low_soon_hands_over_to_low_when_glucose_stays_low():
    """engine.py: snoozing one alarm never hides another. After urgent_low_soon
    is snoozed and glucose settles below 70 (its own prediction no longer
    raises), the low sounds once the snooze is over, not hours later; during
    the snooze nothing new starts (the person has just answered)."""
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 62, 58])
    assert alarm(eng, "urgent_low_soon")["status"] == "sounding"
    eng.snooze(26 * MIN)                                               # 15-min snooze: until 41
    ev = series(eng, 30, [58, 60])                                     # 30, 35: inside the snooze
    assert kinds(ev) == [] and alarm(eng, "low") is None
    ev = series(eng, 40, [62, 64, 66, 67, 68, 68])                     # 40..65
    onsets = [(e["type"], e.get("reraise", False)) for e in ev if e["event"] == "alarm_onset"]
    assert onsets and onsets[0] == ("low", False), ev
    assert alarm(eng, "low")["status"] == "sounding" and alarm(eng, "urgent_low_soon") is None
    # and it keeps re-sounding after its own snooze while glucose stays below 70
    eng.snooze(66 * MIN)
    ev = series(eng, 70, [68] * 12)
    assert "low" in kinds(ev)


def test_acknowledging_urgent_low_soon_is_only_its_capped_snooze():
    # README: acknowledging urgent_low_soon is its snooze (urgent_low_soon_snooze,
    # 30 min): a long press cannot silence it until it clears
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 62, 58])
    ev = eng.acknowledge(26 * MIN)
    assert [(e["event"], e["type"], e["until_s"]) for e in ev] == [("alarm_ack", "urgent_low_soon", 56 * MIN)]
    assert alarm(eng, "urgent_low_soon")["status"] == "snoozed"
    ev = series(eng, 30, [62, 66, 68, 68, 68, 68])      # 30..55: glucose stays below 70
    assert kinds(ev) == [], ev                          # inside the 30 min
    ev = series(eng, 60, [68])
    assert "low" in kinds(ev), ev                       # after them
    assert alarm(eng, "urgent_low_soon") is None
    # still falling toward the floor after the acknowledgement: it sounds again at its end
    # (a shorter snooze: 30 min of a fall that stays above 55 no longer predicts it)
    eng = make(urgent_low_soon_snooze=15)
    series(eng, 0, [100, 90, 80, 70, 62, 58])
    eng.acknowledge(26 * MIN)
    ev = series(eng, 30, [58, 57, 57, 56, 56])
    assert [(e["type"], e.get("reraise")) for e in ev if e["event"] == "alarm_onset"] == [
        ("urgent_low_soon", True)], ev


def test_urgent_low_soon_has_its_own_snooze_and_never_holds_the_urgent_low_back():
    """urgent_low_soon_snooze (30 min by default, 5..30): a predicted urgent low
    answered comes back after it if still predicted; the urgent low itself is
    not held by it and sounds at once when a fresh reading is under the floor."""
    for minutes in (5, 15):   # (30, the default: test_acknowledging_urgent_low_soon_...)
        eng = make(urgent_low_soon_snooze=minutes, low_enabled=False)
        series(eng, 0, [100, 90, 80, 70, 64, 62])       # -2 mg/dL/min, then slower
        assert alarm(eng, "urgent_low_soon")["status"] == "sounding"
        press = eng.snooze(26 * MIN)
        assert [(e["type"], e["until_s"]) for e in press] == [("urgent_low_soon", (26 + minutes) * MIN)]
        ev = []
        for t in range(26 * MIN + 30, (26 + minutes) * MIN, 30):
            ev += eng.tick(t) if t % (5 * MIN) else eng.on_reading(reading.make(t, None, 60, None, 6, reading.LIVE), t)
        assert kinds(ev) == [], (minutes, ev)            # quiet for the whole snooze
        ev = eng.tick((26 + minutes) * MIN)
        assert [(e["type"], e.get("reraise")) for e in ev if e["event"] == "alarm_onset"] == [
            ("urgent_low_soon", True)], (minutes, ev)
    # under its snooze, a reading below urgent_low sounds the urgent low at once
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 64])
    eng.snooze(21 * MIN)
    ev = series(eng, 25, [59, 54])
    assert [e["type"] for e in ev if e["event"] == "alarm_onset" and not e.get("reraise")] == ["urgent_low"], ev
    assert alarm(eng, "urgent_low")["status"] == "sounding" and eng.loudest()["type"] == "urgent_low"
    # (the snooze given before it is over: urgent_low_soon sounds beside it, unheard, so
    # one nobody answers does not hand over to a silent one; helper-201)
    assert alarm(eng, "urgent_low_soon")["status"] == "sounding"


def test_an_urgent_low_answered_under_a_longer_urgent_low_soon_snooze_hands_over_at_its_own_end():
    """urgent_low_soon answered (30 min), then the urgent low (15 min): the urgent
    low's end is the episode's next word. Its press ends the lesser ones' snoozes
    with its own, so glucose settling at 55-64 sounds the low when the urgent low's
    snooze ends (helper-155: before, the urgent low cleared there and the low waited,
    blocked by urgent_low_soon's snooze, 10 min more in silence)."""
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 64, 62])
    assert [e["until_s"] for e in eng.snooze(26 * MIN)] == [56 * MIN]      # urgent_low_soon: to 56
    feed(eng, 30 * MIN, 54)
    press = eng.snooze(31 * MIN)
    assert [(e["type"], e["until_s"]) for e in press] == [("urgent_low", 46 * MIN), ("urgent_low_soon", 46 * MIN)]
    ev, quiet = [], []
    for t in range(31 * MIN + 30, 60 * MIN, 30):
        ev += eng.tick(t) if t % (5 * MIN) else feed(eng, t, 59)
        if eng.loudest() is None:
            quiet.append(t)
    assert max(quiet) < 46 * MIN, (max(quiet) / 60.0, ev)
    assert alarm(eng, "low")["status"] == "sounding"
    # a low snoozed earlier to a later end ends with the urgent low's answer too
    eng = make(urgent_low_soon=False)
    series(eng, 0, [72, 68])
    eng.snooze(10 * MIN)                                                   # low: to 40
    feed(eng, 15 * MIN, 54)
    press = eng.snooze(16 * MIN)                                           # urgent low: to 31
    assert [(e["type"], e["until_s"]) for e in press] == [("urgent_low", 31 * MIN), ("low", 31 * MIN)]
    # one snoozed before the urgent low sounds again beside it (helper-201: its snooze was
    # for a lesser danger), so the press answers it, once, with the urgent low (before,
    # one whose snooze ended with the urgent low's was left alone, helper-158)
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 64, 62])
    eng.snooze(26 * MIN)                                                   # urgent_low_soon: to 56
    feed(eng, 40 * MIN, 54)
    press = eng.snooze(41 * MIN)                                           # urgent low: to 56
    assert [(e["type"], e["until_s"]) for e in press] == [
        ("urgent_low", 56 * MIN), ("urgent_low_soon", 56 * MIN)], press


def test_a_snoozed_urgent_low_hands_over_to_low_above_the_floor():
    """A glucose hovering at 56-64 after an urgent low's snooze (the urgent
    low only holds there, its hysteresis) sounds the low."""
    eng = make(urgent_low_soon=False)
    series(eng, 0, [53, 52])
    assert [a["type"] for a in eng.active()] == ["urgent_low"]
    eng.snooze(11 * MIN)                                               # urgent_low: 15 min
    ev = series(eng, 15, [56, 58])                                     # inside the snooze
    assert kinds(ev) == [] and alarm(eng, "low") is None
    ev = series(eng, 25, [60, 61, 60, 61])
    assert "low" in kinds(ev), ev
    assert alarm(eng, "urgent_low") is None
    ev = series(eng, 45, [54])                                         # and worse again: urgent
    assert kinds(ev) == ["urgent_low"]


def test_the_low_takes_over_when_the_snooze_ends_not_a_reading_later():
    """The hand-over from an answered urgent_low_soon to the low happens when
    its snooze ends (the engine's tick), like a re-raise: not up to a reading
    (5 min, or 10 with a missed window) later. From a stale reading it waits."""
    eng = make(urgent_low_soon_snooze=15)
    series(eng, 0, [100, 90, 80, 70, 62, 58])
    eng.snooze(26 * MIN)                                               # until 41
    ev = series(eng, 30, [62, 64, 66])                                 # 30, 35, 40
    assert kinds(ev) == [] and alarm(eng, "low") is None
    assert eng.tick(41 * MIN - 1) == []
    ev = eng.tick(41 * MIN)
    assert kinds(ev) == ["low"] and kinds(ev, "alarm_clear") == ["urgent_low_soon"], ev
    assert ev[-1]["sgv"] == 66 and alarm(eng, "low")["status"] == "sounding"
    assert eng.tick(41 * MIN + 5) == []                                # once
    eng = make(urgent_low_soon_snooze=15)
    series(eng, 0, [100, 90, 80, 70, 62, 58])
    eng.snooze(26 * MIN)
    series(eng, 30, [62])                                              # 11 min old at 41
    assert eng.tick(41 * MIN) == [] and alarm(eng, "urgent_low_soon")["status"] == "snoozed"


def test_restore_advances_the_minute_of_day_by_the_time_away():
    eng = make()
    feed(eng, 0, 120, mod=1430)                                        # 23:50
    data = eng.save()
    eng2 = make()
    eng2.restore(data, 5, away_s=20 * MIN + 59)                        # 20 min 59 s away
    assert eng2.minute_of_day(5) == 10                                 # 00:10, next day
    eng3 = make()
    eng3.restore(data, 5, away_s=61 * MIN)
    assert eng3.minute_of_day(5) == (1430 + 61) % 1440


def test_a_sounding_urgent_low_soon_still_ends_the_episode_with_one_clear():
    """Not answered: the higher alarm stays on while glucose is low, and the
    episode ends with its clear, not with a new low alarm."""
    eng = make()
    series(eng, 0, [100, 90, 80, 70, 62, 58])
    ev = series(eng, 30, [60, 64, 68, 72, 78, 84])
    assert kinds(ev) == [] and kinds(ev, "alarm_clear") == ["urgent_low_soon"]


def test_a_reading_below_low_on_a_clear_fall_raises_the_low():
    """README: low "below 70" (low_minutes 0 = threshold only). The filter's
    level lags a fall, so a reading below 70 on a fall of 1 mg/dL/min or more
    raises the low at once; a lone dip from a steady level still waits."""
    ev = series(make(low_minutes=0, urgent_low_soon=False), 0, [140, 125, 110, 95, 80, 65])
    assert kinds(ev) == ["low"] and ev[-1]["sgv"] == 65
    ev = series(make(low_minutes=0, urgent_low_soon=False), 0, [90] * 8 + [66])
    assert kinds(ev) == []
    # a sudden deep drop from a high steady level (a compression artifact looks
    # like this) is not a fall already under way: it waits for the next reading
    eng = make(low_minutes=0, urgent_low_soon=False)
    assert kinds(series(eng, 0, [150] * 8 + [66])) == []
    assert kinds(series(eng, 45, [64])) == ["low"]


def test_the_warmup_notice_stays_low_priority_and_never_unanswered():
    """README: the end of warm-up is "a low-priority notice" that clears after
    notice_minutes; it does not escalate like an alarm."""
    eng = make(notice_minutes=30)
    eng.set_condition("sensor", "warmup_done", True, 0)
    for t in (5, 10, 15, 20, 25):
        feed(eng, t * MIN, 120)
    a = alarm(eng, "sensor")
    assert a["priority"] == "low" and a["level"] == 0 and eng.unanswered() is None
    feed(eng, 30 * MIN, 120)
    assert alarm(eng, "sensor") is None


# ---- known gap: NOT a test (no test_ prefix, kept out of the suite) ----------
# It fails today; the limit is the prediction's, not a rule's. Run it by hand:
#   .venv/bin/python -c "import sys; sys.path[:0]=['firmware','host_tests/dual'];
#     import test_alarms_rules as t; t.known_gap_low_predicts_a_steady_moderate_fall()"
def _reference_filter(readings):
    """The model of predict.py's header, written as a plain 3-state Kalman
    filter with matrices: state (g, r, n), F = [[1, b, 0], [0, phi, 0],
    [0, 0, a]], H = [1, 0, 1], R = WHITE_SD^2, Q from Q_LEVEL, Q_RATE and the
    stationary AR(1) noise; restart on a gap over 30 min; rate clamped."""
    import math
    from alarms import predict as P

    def mul(A, B):
        return [[sum(A[i][k] * B[k][j] for k in range(3)) for j in range(3)] for i in range(3)]

    def tr(A):
        return [[A[j][i] for j in range(3)] for i in range(3)]

    x, Pm, last = None, None, None
    for t_s, z in readings:
        if last is None or t_s - last > 1800:
            x = [float(z), 0.0, 0.0]
            Pm = [[P._P0_LEVEL, 0.0, 0.0], [0.0, P._P0_RATE, 0.0], [0.0, 0.0, P.NOISE_SD ** 2]]
        else:
            dt = (t_s - last) / 60.0
            phi = math.exp(-dt / P.TAU_MIN)
            b = P.TAU_MIN * (1 - phi)
            a = math.exp(-dt / P.NOISE_TAU_MIN)
            F = [[1.0, b, 0.0], [0.0, phi, 0.0], [0.0, 0.0, a]]
            Q = [[P.Q_LEVEL * dt + P.Q_RATE * dt ** 3 / 3, P.Q_RATE * dt ** 2 / 2, 0.0],
                 [P.Q_RATE * dt ** 2 / 2, P.Q_RATE * dt, 0.0],
                 [0.0, 0.0, P.NOISE_SD ** 2 * (1 - a * a)]]
            x = [x[0] + b * x[1], phi * x[1], a * x[2]]
            FP = mul(mul(F, Pm), tr(F))
            Pm = [[FP[i][j] + Q[i][j] for j in range(3)] for i in range(3)]
        last = t_s
        PH = [Pm[i][0] + Pm[i][2] for i in range(3)]                  # P H'
        S = PH[0] + PH[2] + P.WHITE_SD ** 2
        K = [v / S for v in PH]
        e = z - x[0] - x[2]
        x = [x[i] + K[i] * e for i in range(3)]
        x[1] = max(-P.RATE_LIMIT, min(P.RATE_LIMIT, x[1]))
        Pm = [[Pm[i][j] - K[i] * PH[j] for j in range(3)] for i in range(3)]
    return x, Pm


def _close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def test_predictor_is_the_documented_kalman_filter():
    import math
    from alarms.predict import Predictor, TAU_MIN, Q_LEVEL, Q_RATE
    seq = [(0, 150), (300, 147), (600, 139), (910, 131), (1200, 126), (1500, 114), (1790, 109),
           (2100, 104), (2400, 99), (3300, 92), (3600, 95), (3900, 101), (4200, 135), (4500, 180),
           (4800, 178), (5100, 176), (7200, 90), (7500, 84), (7800, 60), (8100, 45)]
    p = Predictor()
    for n in range(1, len(seq) + 1):
        p.update(*seq[n - 1])
        x, Pm = _reference_filter(seq[:n])
        got = (p.g, p.r, p.n, p.p00, p.p01, p.p02, p.p11, p.p12, p.p22)
        want = (x[0], x[1], x[2], Pm[0][0], Pm[0][1], Pm[0][2], Pm[1][1], Pm[1][2], Pm[2][2])
        for i in range(9):
            assert _close(got[i], want[i]), (n, i, got[i], want[i])
        for h in (0, 10, 20, 30):
            b = TAU_MIN * (1 - math.exp(-h / TAU_MIN))
            var = Pm[0][0] + 2 * b * Pm[0][1] + b * b * Pm[1][1] + Q_LEVEL * h + Q_RATE * h ** 3 / 3
            m, sd = p.predict(h)
            assert _close(m, x[0] + b * x[1]) and _close(sd, math.sqrt(var)), (n, h)
    p = Predictor()
    p.update(0, 100)
    p.update(300, 400)                                                   # +60 mg/dL/min: clamped
    assert p.rate() == 5.0


# ---- found by the mutation re-run after the engine's later changes ------------
def _usable_of(user):
    try:
        settings.validate(user)
    except settings.SettingsError as e:
        return e.usable
    raise AssertionError("accepted: %r" % (user,))


def test_wrong_order_at_equality_falls_back_as_documented():
    # README: "a low not above urgent_low ... moves low 10 above it, at least 70;
    # urgent_high not above high moves high 10 under it": equal is not above.
    u = _usable_of({"high": 200, "urgent_high": 200})
    assert (u["high"], u["urgent_high"]) == (190, 200), u
    u = _usable_of({"low": 65, "urgent_low": 65})
    assert (u["urgent_low"], u["low"]) == (65, 75), u


def test_urgent_high_not_above_high_keeps_both_as_strict_as_asked():
    # a family that watches highs closer (high 200) swaps the two by hand: urgent_high
    # 180 under high 200. Both went back to 250 / 300: the box said nothing until 250,
    # while they asked for a sound at 180 (the device alarm tells the mistake meanwhile)
    for user, want in (({"high": 200, "urgent_high": 180}, (170, 180)),
                       ({"high": 400, "urgent_high": 400}, (390, 400)),
                       ({"urgent_high": 200}, (190, 200)),          # the default high, 250
                       ({"high": 350, "urgent_high": 300}, (290, 300))):
        u = _usable_of(user)
        assert (u["high"], u["urgent_high"]) == want, (user, u)
        assert settings.validate(dict(u)) == u   # a valid whole
    eng = make(**_usable_of({"high": 200, "urgent_high": 180}))
    assert "urgent_high" in kinds(series(eng, 0, [185]))      # (250 / 300 before: silent)


def test_a_schedule_entry_out_of_order_is_mended_as_the_settings_are_not_dropped():
    # urgent_high 200 under the default high (so high runs at 190): a night entry with a
    # high of 220 was then above urgent_high, and the whole entry went, its night low of 80
    # with it. It is kept, its order mended as the settings' own: high 10 under
    # urgent_high; a low not above urgent_low 10 above it (at least 70)
    night = {"start": 22 * 60, "end": 7 * 60, "low": 80}
    for user, entry, want in (
            ({"urgent_high": 200}, dict(night, high=220), dict(night, high=190)),
            ({"high": 260, "urgent_high": 200}, dict(night, urgent_high=180),
             dict(night, urgent_high=180, high=170, high_enabled=True)),
            ({"high_enabled": False, "high": 200, "urgent_high": 190},
             dict(night, urgent_high=180), dict(night, urgent_high=180, high=170, high_enabled=False)),
            ({"urgent_low": 65, "low": 60}, {"start": 0, "end": 360, "low": 62},
             {"start": 0, "end": 360, "low": 75})):
        user["schedule"] = [entry]
        u = _usable_of(user)
        assert u["schedule"] == [want], (user, u["schedule"])
        assert settings.validate(dict(u)) == u   # a valid whole
    # the mended night high that was not asked for does not turn the high alarm on
    u = _usable_of({"high_enabled": False, "high": 200, "urgent_high": 190,
                    "schedule": [dict(night, urgent_high=180)]})
    assert settings.effective(u, 23 * 60)["high_enabled"] is False


def test_usable_settings_keep_at_most_4_schedule_entries():
    # "Schedules: up to 4 entries"; five valid ones are refused, and what the
    # box runs on meanwhile is itself valid: the first four.
    entries = [{"start": 60 * i, "end": 60 * i + 30, "low": 80} for i in range(5)]
    u = _usable_of({"schedule": entries})
    assert u["schedule"] == entries[:4], u["schedule"]
    assert settings.validate(u) == u



def test_a_notice_left_under_a_snooze_clears_in_its_time_and_does_not_sound_after_it():
    # review 21: a device alarm for a reset loop, snoozed (condition_snooze 60 min); the
    # "no time of day" notice joined, then the resets ended: the alarm became the notice
    # (7f1676f), still snoozed. notice_minutes passed under the snooze, yet at the snooze's
    # end it sounded again (an onset at 61 min) only for the next tick to clear it: a chirp
    # and an onset/clear pair for the listeners, after the notice's time was over
    eng = make(notice_minutes=30, condition_snooze=60)
    eng.set_condition("device", "resets", True, 0)
    eng.snooze(MIN)
    eng.set_condition("device", "clock", True, 5 * MIN)
    eng.set_condition("device", "resets", False, 10 * MIN)
    assert (alarm(eng, "device")["status"], alarm(eng, "device")["reason"]) == ("snoozed", "clock")
    onsets, cleared_at = [], None
    for t in range(10 * MIN + 5, 70 * MIN, 5):
        ev = eng.tick(t)
        onsets += [t for e in ev if e["event"] == "alarm_onset" and e["type"] == "device"]
        if cleared_at is None and "device" in kinds(ev, "alarm_clear"):
            cleared_at = t
    assert onsets == [], onsets
    assert cleared_at == 40 * MIN, cleared_at          # notice_minutes after it was left
    # a snooze that ends before the notice's time sounds the notice for what is left of it
    eng = make(notice_minutes=30, condition_snooze=10)
    eng.set_condition("device", "resets", True, 0)
    eng.snooze(0)
    eng.set_condition("device", "clock", True, MIN)
    eng.set_condition("device", "resets", False, 2 * MIN)
    assert "device" in kinds(eng.tick(10 * MIN), "alarm_onset")
    assert alarm(eng, "device")["priority"] == "low"
    assert "device" not in kinds(eng.tick(31 * MIN), "alarm_clear")
    assert "device" in kinds(eng.tick(32 * MIN), "alarm_clear")


def _night(eng, values, press, t0=0):
    """Feed a reading every 5 min with ticks every 5 s; press(eng, t, sgv) after each
    reading. Returns the minutes (of 5-min steps) with an alarm sounding, per reading."""
    sound = []
    for i, v in enumerate(values):
        t = t0 + i * 5 * MIN
        feed(eng, t, v)
        press(eng, t, v)
        for k in range(60):
            eng.tick(t + 5 * k)
        sound.append(eng.loudest() is not None and eng.loudest()["status"] == "sounding")
    return sound


def test_a_low_long_pressed_before_an_urgent_low_is_silent_no_longer_than_its_snooze():
    # a parent long-presses a low at 69; glucose then drops to 50 (urgent_low) and they
    # short-press it; glucose stays 56-62: under low, inside urgent_low's hysteresis (it
    # stays snoozed past its end). The acknowledgement of the low held: 85 min of silence.
    # An acknowledgement holds only while things do not get worse
    tail = [56, 58, 60, 59, 60, 62, 60, 58, 59, 61, 60, 59, 60, 61, 62, 60, 59]
    values = [74, 73, 72, 71, 70, 69, 69, 68, 68, 67, 68, 58, 52, 50, 50] + tail
    done = []

    def press(eng, t, v):
        loud = eng.loudest()
        if loud is None or loud["status"] != "sounding":
            return
        if loud["type"] == "low" and "ack" not in done:
            done.append("ack")
            assert kinds(eng.acknowledge(t), "alarm_ack") == ["low"]
        elif loud["type"] == "urgent_low" and "snooze" not in done:
            done.append("snooze")
            assert kinds(eng.snooze(t), "alarm_snooze") == ["urgent_low", "low"]
    eng = make()
    sound = _night(eng, values, press)
    assert done == ["ack", "snooze"], done
    # the press at 60 min (52 mg/dL): silent for the urgent low's snooze (15 min), then
    # the low sounds again for as long as glucose stays under 70
    assert not any(sound[5:15]) and all(sound[15:]), sound
    assert alarm(eng, "low")["status"] == "sounding"


def test_an_acknowledged_low_sounds_again_when_urgent_low_soon_or_urgent_low_starts():
    # urgent_low: the low sounds again with it (its onset, then the low's re-raise)
    eng = make()
    series(eng, 0, [74, 72, 70, 69, 68, 68])
    eng.acknowledge(25 * MIN)
    assert alarm(eng, "low")["status"] == "acknowledged"
    ev = series(eng, 30, [67, 52])
    assert [(e["type"], bool(e.get("reraise"))) for e in ev if e["event"] == "alarm_onset"] == \
        [("urgent_low", False), ("low", True)], ev
    # urgent_low_soon (a fall predicted under 55 within 20 min) alike
    eng = make(low=85)
    series(eng, 0, [100, 96, 92, 88, 84, 80, 78])
    eng.acknowledge(30 * MIN)
    assert alarm(eng, "low")["status"] == "acknowledged"
    ev = series(eng, 35, [74, 70, 65, 60])
    onsets = [(e["type"], bool(e.get("reraise"))) for e in ev if e["event"] == "alarm_onset"]
    assert onsets == [("urgent_low_soon", False), ("low", True)], onsets
    # the high side alike: an acknowledged high sounds again when urgent_high starts
    eng = make(high_enabled=True)
    series(eng, 0, [240, 255, 260, 262])
    eng.acknowledge(20 * MIN)
    assert alarm(eng, "high")["status"] == "acknowledged"
    ev = series(eng, 25, [280, 305, 310])
    assert [(e["type"], bool(e.get("reraise"))) for e in ev if e["event"] == "alarm_onset"] == \
        [("urgent_high", False), ("high", True)], ev
    # a higher one that was already there when the low was long-pressed changes nothing
    eng = make()
    series(eng, 0, [74, 72, 70, 69, 68, 68])
    eng.acknowledge(30 * MIN)
    ev = series(eng, 35, [69, 70, 69])
    assert kinds(ev) == [] and alarm(eng, "low")["status"] == "acknowledged"


def _beside_an_answered_outage(reason, at_s):
    """nightscout_unreachable raised and acknowledged, then `reason` raised at at_s: the
    engine and that raise's events."""
    eng = make()
    eng.set_condition("forwarding", "nightscout_unreachable", True, 0)
    eng.acknowledge(60)
    return eng, eng.set_condition("forwarding", reason, True, at_s)


def test_readings_lost_for_want_of_a_clock_beside_the_outage_do_not_sound_it_again():
    # readings held without a wall time wait for a server or NTP: while the box has no clock,
    # Nightscout is out of reach too (its Date header would have set it). A transmitter reset
    # in that outage drops them (nightscout_undated): a consequence of the outage answered
    # at 10 p.m., not a new problem at 3 a.m.; alone, it sounds (readings lost, untold before)
    eng, ev = _beside_an_answered_outage("nightscout_undated", 5 * 3600)
    assert [e for e in ev if e["type"] == "forwarding"] == [], ev
    assert alarm(eng, "forwarding")["status"] == "acknowledged"
    eng = make()
    ev = eng.set_condition("forwarding", "nightscout_undated", True, 0)
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["forwarding"]


def test_a_full_upload_queue_beside_the_outage_that_filled_it_does_not_sound_again():
    # a trip without the home Wi-Fi: nightscout_unreachable after 1 h, acknowledged at 10 p.m.;
    # two days on the queue overflows (nightscout_queue_full, a consequence of the same outage)
    # and sounded the answered alarm again, at whatever hour that was (helper-152)
    eng, ev = _beside_an_answered_outage("nightscout_queue_full", 50 * 3600)
    assert [e for e in ev if e["type"] == "forwarding"] == [], ev
    a = alarm(eng, "forwarding")
    assert a["status"] == "acknowledged" and a["reason"] == "nightscout_unreachable", a
    # the outage ends, the queue is still full: the alarm stays, named by what is left
    eng.set_condition("forwarding", "nightscout_unreachable", False, 51 * 3600)
    a = alarm(eng, "forwarding")
    assert a is not None and a["reason"] == "nightscout_queue_full", a
    eng.set_condition("forwarding", "nightscout_queue_full", False, 52 * 3600)
    assert alarm(eng, "forwarding") is None
    # alone (nothing else wrong), a full queue is a problem of its own and sounds
    eng = make()
    ev = eng.set_condition("forwarding", "nightscout_queue_full", True, 0)
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["forwarding"]
    # a new problem that is no consequence still sounds an answered alarm again
    eng = make()
    eng.set_condition("forwarding", "nightscout_unreachable", True, 0)
    eng.acknowledge(60)
    ev = eng.set_condition("forwarding", "mqtt_unreachable", True, 120)
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["forwarding"], ev


def test_a_press_on_the_higher_alarm_also_answers_a_lesser_one_snoozed_to_an_earlier_end():
    # a long high: the high snoozed at midnight (120 min), the urgent high pressed at 02:15
    # (60 min); the high then sounded at 02:38, 23 min after the family answered the urgent
    # high, and again between its hourly repeats (helper-154: the night's top nuisance)
    eng = make()
    series(eng, 0, [240, 255, 260])                       # high at 255
    high_end = eng.snooze(10 * MIN)[0]["until_s"]
    assert high_end == 10 * MIN + 120 * MIN
    ev = series(eng, 15, [280, 305] + [320] * 20)          # urgent high from 20 min
    assert "urgent_high" in [e["type"] for e in ev if e["event"] == "alarm_onset"]
    press = eng.snooze(115 * MIN)                        # urgent high: 60 min, to 175
    assert [(e["event"], e["type"], e["until_s"]) for e in press] == [
        ("alarm_snooze", "urgent_high", 175 * MIN), ("alarm_snooze", "high", 175 * MIN)], press
    ev = []
    for t in range(115 * MIN, 175 * MIN, 30):
        ev += eng.tick(t)
    assert [e for e in ev if e["type"] in ("high", "urgent_high")] == [], ev   # quiet to 175
    # a long press (urgent high: until it clears) takes a snoozed high with it, acknowledged
    eng = make()
    series(eng, 0, [240, 255, 260])
    eng.snooze(10 * MIN)
    series(eng, 15, [280, 305])
    ack = eng.acknowledge(21 * MIN)
    assert [(e["event"], e["type"]) for e in ack] == [("alarm_ack", "urgent_high"), ("alarm_ack", "high")]
    assert alarm(eng, "high")["status"] == "acknowledged"
    # the low side alike: a low snoozed before the urgent low came waits for the urgent low's end
    eng = make()
    series(eng, 0, [80, 72, 68, 66])
    first = eng.snooze(16 * MIN)                           # (urgent_low_soon: 30 min, to 46)
    assert first and all(e["until_s"] == 46 * MIN for e in first), first
    series(eng, 20, [62, 58, 54, 50])
    ul = eng.snooze(36 * MIN)                              # urgent low: 15 min, to 51
    assert [e["type"] for e in ul][0] == "urgent_low", ul
    for kind in ("urgent_low", "urgent_low_soon", "low"):
        rec = eng._alarms.get(kind)
        assert rec is None or rec[0] != 1 or rec[4] >= 51 * MIN, (kind, rec, ul)
    assert eng.loudest() is None
    # a lesser one snoozed to a later end keeps it (the press shortens nothing)
    eng = make()
    series(eng, 0, [240, 255, 260])
    eng.snooze(10 * MIN)                                   # high to 130 min
    series(eng, 15, [280, 305])
    press = eng.snooze(21 * MIN)                           # urgent high to 81 min
    assert [e["type"] for e in press] == ["urgent_high"], press
    assert eng._alarms["high"][4] == 130 * MIN
