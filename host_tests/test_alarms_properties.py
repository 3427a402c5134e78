"""Invariants of the alarm engine under random readings and button presses (hypothesis)."""
from hypothesis import example, given, settings as hsettings, strategies as st

from alarms import settings
from alarms.engine import AlarmEngine, GLUCOSE, HIGH_SIDE, NO_DATA_GRACE_S
import reading

# one step: (minutes since the previous step, sgv or None, age in minutes, action)
step = st.tuples(st.integers(1, 12), st.one_of(st.none(), st.integers(39, 401)),
                 st.sampled_from([0, 0, 0, 2, 11, 30]),
                 st.sampled_from(["none", "none", "snooze", "ack", "tick"]))


def run(steps):
    eng = AlarmEngine(settings.validate({}))
    t = 0
    for dt, sgv, age, action in steps:
        t += dt * 60
        if action == "snooze":
            eng.snooze(t)
        elif action == "ack":
            eng.acknowledge(t)
        elif action == "tick":
            eng.tick(t)
        else:
            eng.on_reading(reading.make(t, None, sgv, None, 6), t, age * 60)
    return eng, t


@hsettings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=40), st.integers(39, 54))
def test_fresh_reading_below_55_always_leaves_urgent_low_active(steps, sgv):
    eng, t = run(steps)
    eng.on_reading(reading.make(t + 60, None, sgv, None, 6), t + 60, 0)
    kinds = [a["type"] for a in eng.active()]
    assert "urgent_low" in kinds
    # ... and not acknowledged away for good: sounding or in a capped snooze
    ul = [a for a in eng.active() if a["type"] == "urgent_low"][0]
    assert ul["status"] in ("sounding", "snoozed")


@hsettings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=40), st.integers(39, 401), st.integers(601, 7200))
def test_no_glucose_alarm_is_raised_from_a_stale_reading(steps, sgv, age_s):
    # the stale reading adds no glucose onset to what the clock alone does at
    # that moment (a snooze that ends then re-raises from the last FRESH
    # reading, which is right)
    eng, t = run(steps)
    clock_only, _ = run(steps)
    t += 60
    events = eng.on_reading(reading.make(t, None, sgv, None, 6), t, age_s)
    raised = [e for e in events if e["event"] == "alarm_onset" and e["type"] in GLUCOSE]
    expected = [e for e in clock_only.tick(t) if e["event"] == "alarm_onset" and e["type"] in GLUCOSE]
    assert raised == expected
    if eng._last_t is None or t - eng._last_t > 600:   # nothing fresh at all: nothing raised
        assert raised == []



@hsettings(max_examples=200, deadline=None)
@given(st.lists(step, min_size=1, max_size=40))
def test_no_usable_reading_for_no_data_minutes_always_raises_no_data(steps):
    # "missing data raises no_data" (issue 4): counted from the last reading fresh
    # enough to judge, or from the first call when there was none; a stale
    # reading (here 11 or 30 min old) is not usable data
    eng, t = run(steps)
    newest, fresh, start, now = None, None, None, 0
    for dt, sgv, age, action in steps:
        now += dt * 60
        start = now if start is None else start
        if action in ("none",) and sgv is not None:
            t_read = now - age * 60
            if newest is None or t_read > newest:
                newest = t_read
                if age <= 10:
                    fresh = t_read
    since = start if fresh is None else fresh
    later = max(t, since + 20 * 60 + NO_DATA_GRACE_S)
    eng.tick(later)
    assert "no_data" in [a["type"] for a in eng.active()], (since, later)

@hsettings(max_examples=100, deadline=None)
@given(st.lists(step, max_size=40))
def test_snoozed_urgent_low_comes_back_within_its_cap(steps):
    eng, t = run(steps)
    eng.on_reading(reading.make(t + 60, None, 50, None, 6), t + 60, 0)
    for _ in range(3):
        eng.snooze(t + 61)
    # 15 min later with a fresh reading still below 55, it sounds again
    t2 = t + 61 + 15 * 60
    eng.tick(t2)
    eng.on_reading(reading.make(t2 + 1, None, 50, None, 6), t2 + 1, 0)
    ul = [a for a in eng.active() if a["type"] == "urgent_low"][0]
    assert ul["status"] == "sounding"


@hsettings(max_examples=100, deadline=None)
@given(st.lists(step, max_size=40))
def test_save_restore_roundtrip_and_small(steps):
    eng, t = run(steps)
    data = eng.save()
    assert len(data) <= 55 + 16 * 14
    eng2 = AlarmEngine(settings.validate({}))
    eng2.restore(data, 1000)
    a = [(x["type"], x["status"], x["level"]) for x in eng.active()]
    b = [(x["type"], x["status"], x["level"]) for x in eng2.active()]
    assert a == b
    assert eng2.save()[:2] == data[:2]


@hsettings(max_examples=100, deadline=None)
@given(st.lists(step, max_size=60))
def test_loudest_is_a_sounding_alarm_of_top_priority(steps):
    eng, t = run(steps)
    loud = eng.loudest()
    sounding = [a for a in eng.active() if a["status"] == "sounding"]
    if not sounding:
        assert loud is None
        return
    order = ("low", "medium", "high")
    if any(a["type"] == "no_data" for a in sounding):
        # an outage: high-side glucose alarms are stale news and rank under no_data
        assert loud["type"] not in HIGH_SIDE
        sounding = [a for a in sounding if a["type"] not in HIGH_SIDE]
    assert order.index(loud["priority"]) == max(order.index(a["priority"]) for a in sounding)
    assert loud["type"] in [a["type"] for a in sounding]


# --- the salvage of wrong alarm settings (SettingsError.usable) ---------------
_ANY = st.one_of(st.none(), st.booleans(), st.integers(-50, 1500),
                 st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
                 st.lists(st.integers(), max_size=2))


def _value(key):
    spec = settings.DEFAULTS[key]
    if spec[1] is settings._BOOL:
        good = st.booleans()
    elif isinstance(spec[0], float):
        good = st.floats(spec[1], spec[2])
    else:
        good = st.integers(spec[1], spec[2])
    return st.one_of(good, good, _ANY)  # mostly valid: the salvage has something to keep


_entry = st.dictionaries(
    st.sampled_from(("start", "end", "urgent_low", "lowe") + settings.SCHEDULE_KEYS),
    st.one_of(st.integers(0, 1439), st.integers(40, 420), _ANY), max_size=5)
_user = st.fixed_dictionaries({}, optional=dict(
    [(k, _value(k)) for k in settings.DEFAULTS] +
    [("schedule", st.one_of(st.lists(_entry, max_size=6), _ANY)),
     ("urgent_low_enabled", st.booleans()), ("typo", st.integers())]))


@hsettings(max_examples=400, deadline=None)
@given(_user)
def test_salvaged_alarm_settings_are_always_valid_and_keep_urgent_low(user):
    try:
        out = settings.validate(user)
        return
    except settings.SettingsError as e:
        assert e.problems
        usable = e.usable
    # what the box runs on passes the validator unchanged: in bounds, in order
    assert settings.validate(usable) == usable
    ul = usable["urgent_low"]
    assert 50 <= ul <= 70 and usable["low"] > ul and usable["urgent_high"] > usable["high"]
    assert set(usable) == set(settings.DEFAULTS) | {"schedule"}
    # every valid value outside a pair out of order is kept
    for key in settings.DEFAULTS:
        if key in ("low", "urgent_low", "high", "urgent_high"):
            continue
        v, bad = user.get(key), []
        if key in user and settings._check(key, v, settings.DEFAULTS[key], bad) is not None:
            assert usable[key] == v, key
    # no schedule entry can bring a threshold out of order at its time of day
    for entry in usable["schedule"]:
        s = settings.effective(usable, entry["start"])
        assert s["low"] > s["urgent_low"] and s["urgent_high"] > s["high"], entry
        assert entry["start"] != entry["end"]


# --- the events tell every change a listener shows ------------------------------
# (the log, MQTT's alarm topics, the chaos checkers and the annunciator's next sound
# all follow the events: a change of an active alarm's reason, priority, status or
# level with no event was heard nowhere until the next one; an ended sensor failure
# that left only its notice was such a change until alarm_update)
_REASONS_OF = {   # each kind with reasons its sources give (helper-167: drawn as pairs, a
    # problem ending under another of its kind's reasons is found far more often)
    "sensor": ["failed", "expired", "stopped", "warmup", "warmup_done", "ending", "attention"],
    "device": ["memory", "clock", "config", "resets"],
    "link": ["no_transmitter", "auth_failed", "rogue"],
    "forwarding": ["nightscout", "nightscout_queue_full", "network", "mqtt"],
    "transmitter_battery": ["battery_low", "tx_expired"]}
_condition = st.sampled_from(sorted(_REASONS_OF)).flatmap(
    lambda kind: st.tuples(st.just(kind), st.sampled_from(_REASONS_OF[kind]), st.booleans()))
_any_step = st.tuples(st.integers(0, 12), st.one_of(st.none(), st.integers(39, 401)),
                      st.sampled_from([0, 0, 0, 2, 11]),
                      st.sampled_from(["reading", "reading", "snooze", "ack", "tick", "condition",
                                       "condition", "unanswer"]), _condition)


def _told(mirror, events):
    for e in events:
        kind = e["type"]
        if e["event"] == "alarm_clear":
            mirror.pop(kind, None)
            continue
        status = mirror[kind][2] if kind in mirror else "sounding"
        if e["event"] == "alarm_onset":
            status = "sounding"
        elif e["event"] == "alarm_snooze" or (e["event"] == "alarm_ack" and e.get("until_s") is not None):
            status = "snoozed"   # (an acknowledgement that is only a capped snooze says until when)
        elif e["event"] == "alarm_ack":
            status = "acknowledged"
        mirror[kind] = (e["reason"], e["priority"], status, e["level"])


@hsettings(max_examples=400, deadline=None)
@given(st.lists(_any_step, max_size=50))
@example([(0, None, 0, "condition", ("sensor", "failed", True)),      # (found at 5000 examples)
          (0, None, 0, "condition", ("sensor", "attention", True)),
          (0, None, 0, "condition", ("sensor", "attention", False))])
@example([(0, None, 0, "condition", ("sensor", "failed", True)),
          (0, None, 0, "condition", ("sensor", "ending", True)),
          (12, None, 0, "tick", ("sensor", "ending", True)),
          (0, None, 0, "condition", ("sensor", "failed", False))])
def test_every_change_of_an_active_alarm_comes_with_an_event(steps):
    eng = AlarmEngine(settings.validate({}))
    mirror, t = {}, 0
    for dt, sgv, age, action, (kind, name, active) in steps:
        t += dt * 60
        if action == "snooze":
            events = eng.snooze(t)
        elif action == "ack":
            events = eng.acknowledge(t)
        elif action == "tick":
            events = eng.tick(t)
        elif action == "condition":
            events = eng.set_condition(kind, name, active, t)
        elif action == "unanswer":
            events = eng.unanswer([a["type"] for a in eng.active()], t)
        else:
            events = eng.on_reading(reading.make(t, None, sgv, None, 6), t, age * 60)
        _told(mirror, events)
        shown = dict((a["type"], (a["reason"], a["priority"], a["status"], a["level"])) for a in eng.active())
        assert shown == mirror, (action, kind, name, active, events)
