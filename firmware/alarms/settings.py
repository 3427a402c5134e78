# Alarm settings: every default and its safe bounds, and the validator.
#
# validate(user_dict) -> full settings dict (defaults filled in), or raises
# SettingsError listing EVERY problem (key, value, allowed range).
#
# Glucose in mg/dL, times in minutes, rates in mg/dL/min, volume in percent.
#
# key                     default  bounds       meaning
# urgent_low              55       54..70       urgent low below this (always on; cannot be disabled or set below
#                                               54: under 54 mg/dL is level-2 hypoglycaemia, consensus 2019)
# urgent_low_snooze       15       5..30        longest snooze of an urgent low (re-raises after it)
# urgent_low_soon         True     bool         predicted urgent low alarm on
# urgent_low_soon_minutes 20       10..30       "predicted to reach urgent_low within N minutes"
# urgent_low_soon_snooze  30       5..30        snooze of urgent_low_soon (re-raises after it if still
#                                               predicted; urgent_low sounds at once under it)
# low_enabled             True     bool
# low                     70       60..100      low below this (or predicted to cross it within low_minutes)
# low_minutes             15       0..30        prediction horizon of the low alarm (0 = threshold only)
# low_snooze              30       5..60
# high_enabled            True     bool
# high                    250      120..400     high above this
# high_snooze             120      15..360
# urgent_high_enabled     True     bool
# urgent_high             300      180..400     urgent high above this (must be above high)
# urgent_high_snooze      60       15..240
# fall_enabled            False    bool         falling fast
# fall_rate               3.0      1.0..5.0     mg/dL/min
# rise_enabled            False    bool         rising fast
# rise_rate               3.0      1.0..5.0     mg/dL/min
# rate_snooze             30       5..120       snooze of fall / rise
# persistent_high_enabled False    bool
# persistent_high         180      120..400     above this ...
# persistent_high_minutes 120      30..480      ... for this long
# persistent_high_snooze  60       15..360
# no_data_minutes         20       10..60       no usable reading for this long (always on)
# no_data_snooze          15       5..30
# stale_minutes           10       5..10        readings older than this never raise a glucose alarm
# escalate_minutes        5        1..15        unacknowledged: one escalation level per this many minutes
# notice_minutes          30       5..240       informational alarms (sensor warm-up done) clear after this
# forwarding              True     bool         forwarding trouble sounds a low-priority alarm (raised
#                                               only by forwarders that are configured; false silences it)
# condition_snooze        60       5..240       snooze of link/sensor/device/forwarding alarms (the
#                                               transmitter battery's: to the next morning, kinds.TILL_MORNING)
# volume                  100      10..100      base volume of the annunciator
# schedule                []       list         time-of-day overrides, see below
#
# schedule: a list of at most 4 entries {"start": minute, "end": minute, <overrides>}
# (minutes of the local day, 0..1439; an entry with start > end spans midnight).
# Overrides may set any of: low, high, urgent_high, low_enabled, high_enabled,
# urgent_high_enabled, fall_enabled, rise_enabled, persistent_high_enabled, volume,
# urgent_low_soon_minutes, low_minutes. The first matching entry wins; overrides
# are checked against the same bounds. An entry that sets low, high or urgent_high
# turns that alarm on in its window, whatever its *_enabled by day, unless the
# entry says <kind>_enabled: false (a threshold for an alarm that stays off would
# do nothing: "low 80 at night" with the low off by day gave no low alarm). The
# engine needs the local time of day to apply it: tick(now_s, minute_of_day=...) /
# on_reading(..., minute_of_day=...).
#
# Hysteresis (fixed, not configurable): a low-side alarm clears only when
# glucose is HYST_LOW above its threshold (and no longer predicted low), a high
# when HYST_HIGH below.
HYST_LOW = 10
HYST_HIGH = 15

_BOOL = (False, True)

# key: (default, low, high) ; (default, _BOOL) for booleans
DEFAULTS = {
    "urgent_low": (55, 54, 70),
    "urgent_low_snooze": (15, 5, 30),
    "urgent_low_soon": (True, _BOOL),
    "urgent_low_soon_minutes": (20, 10, 30),
    "urgent_low_soon_snooze": (30, 5, 30),
    "low_enabled": (True, _BOOL),
    "low": (70, 60, 100),
    "low_minutes": (15, 0, 30),
    "low_snooze": (30, 5, 60),
    "high_enabled": (True, _BOOL),
    "high": (250, 120, 400),
    "high_snooze": (120, 15, 360),
    "urgent_high_enabled": (True, _BOOL),
    "urgent_high": (300, 180, 400),
    "urgent_high_snooze": (60, 15, 240),
    "fall_enabled": (False, _BOOL),
    "fall_rate": (3.0, 1.0, 5.0),
    "rise_enabled": (False, _BOOL),
    "rise_rate": (3.0, 1.0, 5.0),
    "rate_snooze": (30, 5, 120),
    "persistent_high_enabled": (False, _BOOL),
    "persistent_high": (180, 120, 400),
    "persistent_high_minutes": (120, 30, 480),
    "persistent_high_snooze": (60, 15, 360),
    "no_data_minutes": (20, 10, 60),
    "no_data_snooze": (15, 5, 30),
    "stale_minutes": (10, 5, 10),
    "escalate_minutes": (5, 1, 15),
    "notice_minutes": (30, 5, 240),
    "forwarding": (True, _BOOL),
    "condition_snooze": (60, 5, 240),
    "volume": (100, 10, 100),
}

SCHEDULE_KEYS = ("low", "high", "urgent_high", "low_enabled", "high_enabled",
                 "urgent_high_enabled", "fall_enabled", "rise_enabled",
                 "persistent_high_enabled", "volume", "urgent_low_soon_minutes", "low_minutes")
MAX_SCHEDULE = 4
# the thresholds whose alarm a schedule entry setting them turns on (effective)
SCHEDULED_ON = ("low", "high", "urgent_high")


class SettingsError(ValueError):
    """Bad alarm settings; .problems lists every problem as a string; .usable is
    the full settings with every valid value kept and the rest at their
    defaults (None when the input was not even a dict)."""

    def __init__(self, problems, usable=None):
        super().__init__("bad alarm settings: " + "; ".join(problems))
        self.problems = problems
        self.usable = usable


def _check(key, value, spec, problems, where=""):
    name = where + key
    if spec[1] is _BOOL:
        if value is not True and value is not False:
            problems.append("%s=%r: must be true or false" % (name, value))
            return None
        return value
    lo, hi = spec[1], spec[2]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append("%s=%r: must be a number in %s..%s" % (name, value, lo, hi))
        return None
    if not lo <= value <= hi:
        problems.append("%s=%r: out of range %s..%s" % (name, value, lo, hi))
        return None
    return value


def _check_schedule(value, out, problems):
    if not isinstance(value, list) or len(value) > MAX_SCHEDULE:
        problems.append("schedule: must be a list of at most %d entries" % MAX_SCHEDULE)
        return []
    entries = []
    for i, entry in enumerate(value):
        where = "schedule[%d]." % i
        if not isinstance(entry, dict):
            problems.append("schedule[%d]: must be a dict" % i)
            continue
        clean = {}
        for key in ("start", "end"):
            m = entry.get(key)
            if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m <= 1439:
                problems.append("%s%s=%r: must be a minute of the day 0..1439" % (where, key, m))
            else:
                clean[key] = m
        if "start" in clean and clean.get("end") == clean["start"]:
            problems.append("%sstart=end=%d: the entry would never apply (a whole day is "
                            "the settings themselves)" % (where, clean["start"]))
        for key in entry:
            if key in ("start", "end"):
                continue
            if key not in SCHEDULE_KEYS:
                problems.append("%s%s: cannot be scheduled (allowed: %s)" % (where, key, ", ".join(SCHEDULE_KEYS)))
                continue
            v = _check(key, entry[key], DEFAULTS[key], problems, where)
            if v is not None:
                clean[key] = v
        merged = dict(out)
        merged.update(clean)
        # only a pair the entry sets: the settings' own wrong order is said once, above
        _check_order(merged, problems, where, clean)
        entries.append(clean)
    return entries


def _check_order(s, problems, where="", sets=None):
    """sets: a schedule entry's keys; a pair of which it sets neither is not its problem."""
    if (sets is None or "high" in sets or "urgent_high" in sets) and s.get("urgent_high") is not None \
            and s.get("high") is not None and s["urgent_high"] <= s["high"]:
        problems.append("%surgent_high=%r must be above high=%r" % (where, s["urgent_high"], s["high"]))
    if (sets is None or "low" in sets) and s.get("low") is not None and s.get("urgent_low") is not None \
            and s["low"] <= s["urgent_low"]:
        problems.append("%slow=%r must be above urgent_low=%r" % (where, s["low"], s["urgent_low"]))


def validate(user=None):
    """Return the full settings dict; raise SettingsError listing every problem."""
    if user is None:
        user = {}
    problems = []
    if not isinstance(user, dict):  # [] or 0 too: a file that says something else
        raise SettingsError(["settings must be a dict, got %r" % (user,)])
    out = {}
    near = {}   # each refused value as the box will run on it (_nearest)
    for key in DEFAULTS:
        spec = DEFAULTS[key]
        out[key] = spec[0]
        if key in user:
            v = _check(key, user[key], spec, problems)
            if v is None:
                near[key] = _nearest(user[key], key)
            else:
                out[key] = v
    for key in user:
        if key not in DEFAULTS and key != "schedule":
            if key in ("urgent_low_enabled",):
                problems.append("%s: the urgent low alarm cannot be disabled" % key)
            else:
                problems.append("%s: unknown setting" % key)
    _check_order(out, problems)
    out["schedule"] = _check_schedule(user.get("schedule", []), out, problems)
    if problems:
        out.update(near)
        raise SettingsError(problems, _usable(out, user.get("schedule")))
    return out


LOW_GAP = 10  # mg/dL between urgent_low and low (high and urgent_high) when a wrong order is mended


# which way a setting is stricter (sounds sooner, more, louder): +1 higher, -1 lower
_STRICTER = {"urgent_low": 1, "low": 1, "urgent_low_soon_minutes": 1, "low_minutes": 1, "volume": 1,
             "high": -1, "urgent_high": -1, "persistent_high": -1, "persistent_high_minutes": -1,
             "fall_rate": -1, "rise_rate": -1, "no_data_minutes": -1, "escalate_minutes": -1,
             # a snooze: shorter sounds again sooner
             "urgent_low_snooze": -1, "urgent_low_soon_snooze": -1, "low_snooze": -1,
             "high_snooze": -1, "urgent_high_snooze": -1, "rate_snooze": -1,
             "persistent_high_snooze": -1, "no_data_snooze": -1, "condition_snooze": -1}


def _nearest(value, key, default=None):
    """What the box runs on for a refused value: a number out of its range (or a
    number written as text, "60") at its nearest bound when that is at least as
    strict as the default, else at the default, as is anything else. Before, every
    refused value went back to its default: a hand-edited urgent_low of 75 or "60"
    sounded at 55, lower than asked (review of session 43); one of 40 still runs at 55.
    default: the value it falls back to (a schedule entry's: the family's own setting)."""
    spec = DEFAULTS[key]
    if default is None:
        default = spec[0]
    if spec[1] is _BOOL:
        # every switch here turns an alarm on: "true" (or 1) is taken, as stricter; anything
        # else runs at the default (a night entry with "true" was dropped whole)
        if isinstance(value, str):
            value = value.strip().lower()
        return True if value == "true" or value == 1 else default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return default
        if value - value == 0 and value == int(value):   # (inf and nan stay floats)
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return default
    near = min(max(value, spec[1]), spec[2])
    way = _STRICTER.get(key)
    return default if way is None or (near - default) * way < 0 else near


def _mend_order(s):
    """A wrong order mended in s the strict way (_usable says how)."""
    if s["urgent_high"] <= s["high"]:
        s["high"] = s["urgent_high"] - LOW_GAP   # (urgent_high's least, 180, keeps it in range)
    if s["low"] <= s["urgent_low"]:
        s["low"] = min(max(DEFAULTS["low"][0], s["urgent_low"] + LOW_GAP), DEFAULTS["low"][2])


def _usable(out, schedule):
    """What the box runs on while the settings are wrong: one bad key must not
    throw away the family's other thresholds (a stricter low, a night
    schedule). A low not above urgent_low keeps the family's urgent_low and
    puts low LOW_GAP above it (or at its default, whichever is higher): the
    lows are never made less strict than asked. urgent_high not above high keeps
    the family's urgent_high and puts high LOW_GAP under it when the family's high
    was not already lower: no high is made less strict than asked either (both went
    back to 250 / 300 before, a family's high of 200 lost). A schedule entry's numbers are taken as
    the settings' are (_nearest), against the family's own setting of that key, not
    its default (a night's low of "85 mg/dL" with the family's low at 90 ran at 70
    before), its true/false too, and its order as the settings' own (a night's
    high above the family's urgent_high dropped the entry, its night low with it);
    an entry with any other problem (its times, a key it cannot set) is dropped whole."""
    s = dict(out)
    _mend_order(s)
    base = dict(s)
    s["schedule"] = []
    for entry in schedule if isinstance(schedule, list) else ():
        if len(s["schedule"]) < MAX_SCHEDULE:
            if isinstance(entry, dict):   # its numbers out of range at their nearest bound
                entry = dict((k, _nearest(v, k, base[k]) if k in SCHEDULE_KEYS and
                              _check(k, v, DEFAULTS[k], []) is None else v)
                             for k, v in entry.items())
                night = dict(base)
                night.update((k, v) for k, v in entry.items() if k in SCHEDULE_KEYS)
                _mend_order(night)
                for k in ("high", "low"):
                    if night[k] != entry.get(k, base[k]):
                        if k not in entry:   # a mended threshold must not turn its alarm on
                            entry[k + "_enabled"] = entry.get(k + "_enabled", base[k + "_enabled"])
                        entry[k] = night[k]
            bad = []
            clean = _check_schedule([entry], base, bad)
            if not bad:
                s["schedule"] += clean
    return s


def effective(settings, minute_of_day):
    """Settings with the schedule entry for minute_of_day applied (a new dict
    only when an entry matches). An entry that sets low, high or urgent_high
    turns that alarm on for its window unless it also says <kind>_enabled: false:
    a night "low 80" with the low off by day meant a low alarm at night, and
    before this it did nothing (the family had no low alarm at all)."""
    if minute_of_day is None:
        return settings
    for entry in settings["schedule"]:
        a, b = entry["start"], entry["end"]
        if (a <= minute_of_day < b) if a <= b else (minute_of_day >= a or minute_of_day < b):
            s = dict(settings)
            for kind in SCHEDULED_ON:
                if kind in entry:
                    s[kind + "_enabled"] = True
            s.update(entry)   # its own <kind>_enabled, when it says one, wins
            return s
    return settings
