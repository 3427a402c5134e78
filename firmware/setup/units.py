# The setup form's number fields (pure: CPython and MicroPython): glucose and
# rates in the units the page shows them in, whole numbers, and validate's
# problems about them in those units.
# config.json keeps glucose in mg/dL and rates in mg/dL/min; with "units": "mmol"
# the form shows and takes glucose in mmol/L to a tenth and rates in mmol/L/min to
# two decimals (0.01 is 0.18 mg/dL/min; a rate is stored to a tenth of a mg/dL/min,
# which shows again as typed). A hidden field says which units the page used, so
# a save that also changes the units reads them right. A value sent back as it
# was shown keeps the stored one: 56 shows as 3.1, and 3.1 would be 56 again only
# by chance. A number in the other units is refused with its conversion; a number
# that shows as a bound is that bound.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

from alarms.settings import DEFAULTS
from forward.entries import MMOL, mmol_text

SHOWN_UNITS = "threshold_units"   # hidden: the units the page showed the glucose fields in
_SWITCH = const("'Glucose units' above, then save")
_MMOL_MAX = const(35)   # no threshold reaches 35 mmol/L (22.2 is 400 mg/dL); every mg/dL one does
GLUCOSE_KEYS = ("urgent_low", "low", "high", "urgent_high", "persistent_high")   # mg/dL or mmol/L
RATE_KEYS = ("fall_rate", "rise_rate")   # mg/dL/min or mmol/L/min
# a rate's other units: mmol/L/min ones are under 0.5 (0.28 is 5 mg/dL/min), mg/dL/min ones 1 or more
_RATE_MMOL_BELOW = const(0.5)
_RATE_MG_FROM = const(1.0)


def whole(fields, name, errors, required):
    """A whole-number field -> int; None when blank or not one (said in `errors`)."""
    s = fields.get(name, "").strip()
    if not s:
        if required:
            errors[name] = "required"
        return None
    try:
        return int(s)
    except ValueError:
        errors[name] = "must be a whole number"
        return None


def glucose_text(mg, units):
    """A stored threshold (mg/dL) as the form shows it."""
    return mmol_text(mg) if units == "mmol" else str(mg)


def rate_text(rate, units):
    """A stored rate (mg/dL/min) as the form shows it: "3.0", or "0.17" (mmol/L/min)."""
    return "%.2f" % (rate / MMOL) if units == "mmol" else str(rate)


def shown(key, value, units):
    """A stored alarm setting as the form shows it."""
    if key in GLUCOSE_KEYS:
        return glucose_text(value, units)
    return rate_text(value, units) if key in RATE_KEYS else str(value)


def unit(key, units):
    """The units a field of `key` is shown in ("" for minutes, percent, on/off)."""
    u = "mmol/L" if units == "mmol" else "mg/dL"
    return u if key in GLUCOSE_KEYS else (u + "/min" if key in RATE_KEYS else "")


def shown_units(fields):
    """The units the posted page showed its thresholds in (a page from before: mg/dL)."""
    return "mmol" if fields.get(SHOWN_UNITS) == "mmol" else "mg/dl"


def number(fields, name, key, errors, required, units, old):
    """A number field -> its stored value (glucose and rates in the units the page showed)."""
    if _number(old) and fields.get(name, "").strip() == shown(key, old, units):
        return old   # as shown, also a number config.json holds otherwise (15.0, 70.4)
    if key in GLUCOSE_KEYS:
        return _glucose(fields, name, key, errors, required, units, old)
    if key in RATE_KEYS:
        return _rate(fields, name, key, errors, units, old)
    return whole(fields, name, errors, required)


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _float(s):
    """A typed number (a comma from a phone's keyboard too); NaN when it is none."""
    try:
        return float(s.replace(",", "."))
    except ValueError:
        return float("nan")


def _glucose(fields, name, key, errors, required, units, old):
    """A threshold field -> mg/dL (int), read in the units the page showed it in."""
    s = fields.get(name, "").strip()
    v = _float(s)
    if units != "mmol":
        mg = whole(fields, name, errors, required)
        if mg is None and s and 0 < v < _MMOL_MAX:   # a mmol/L number
            errors[name] = ("in mg/dL here: %s mmol/L is %d (or show mmol/L: %s)" % (
                s, int(v * MMOL + 0.5), _SWITCH))
        return mg
    if not s:
        if required:
            errors[name] = "required"
        return None
    if _number(old) and 0 < v < _MMOL_MAX and mmol_text(old) == mmol_text(v * MMOL):
        return old   # the tenth shown ("3.1", "3.10", "3,1"): the stored value, not a rounding
    if not 0 < v < _MMOL_MAX:   # (NaN too)
        if _MMOL_MAX <= v < 1000:   # mg/dL, or "3,9" that a browser sent as 39
            errors[name] = ("not mmol/L: type mmol/L with a point, e.g. 3.9 (%s mg/dL would be "
                            "%s; or show mg/dL: %s)" % (s, mmol_text(v), _SWITCH))
        else:
            errors[name] = "must be a number in mmol/L, e.g. 3.9"
        return None
    return _to_bound(key, int(v * MMOL + 0.5), mmol_text)


def _rate(fields, name, key, errors, units, old):
    """A rate field (required) -> mg/dL/min, read in the units the page showed it in."""
    s = fields.get(name, "").strip()
    if not s:
        errors[name] = "required"
        return None
    v = _float(s)
    if _number(old) and (s == rate_text(old, units) or units == "mmol" and 0 < v < _RATE_MG_FROM
                         and "%.2f" % v == rate_text(old, units)):
        return old   # as shown ("0.17", "0,17", "0.170"): the stored value, not a rounding
    if units != "mmol":
        if v != v:
            errors[name] = "must be a number, e.g. 3.0"
        elif 0 < v < _RATE_MMOL_BELOW:
            errors[name] = "in mg/dL/min here: %s mmol/L/min is %.1f (or show mmol/L: %s)" % (
                s, v * MMOL, _SWITCH)
        return None if name in errors else v
    if not 0 < v < _RATE_MG_FROM:   # (NaN too)
        if _RATE_MG_FROM <= v < 100:
            errors[name] = "in mmol/L/min here: %s mg/dL/min is %s (or show mg/dL: %s)" % (
                s, rate_text(v, units), _SWITCH)
        else:
            errors[name] = "must be a number in mmol/L/min, e.g. 0.17"
        return None
    return _to_bound(key, int(v * MMOL * 10 + 0.5) / 10, lambda r: rate_text(r, units))


def _to_bound(key, value, text):
    """The page gives each bound as it shows it: a number that shows as the bound is the bound."""
    lo, hi = DEFAULTS[key][1], DEFAULTS[key][2]
    if value < lo and text(value) == text(lo):
        return lo
    if value > hi and text(value) == text(hi):
        return hi
    return value


def in_mmol(msg, field):
    """The mg/dL numbers of a glucose or rate field's problem in mmol/L ("54: out of
    range 60..100" -> "3.0: out of range 3.3..5.5 (mmol/L)")."""
    rate = field.rpartition(".")[2] in RATE_KEYS
    out, i, n = [], 0, len(msg)
    while i < n:
        j = i
        while j < n and (msg[j].isdigit() or (msg[j] == "." and j > i and j + 1 < n
                                               and msg[j + 1].isdigit())):
            j += 1
        if j == i:
            out.append(msg[i])
            i += 1
        else:
            v = float(msg[i:j])
            out.append(rate_text(v, "mmol") if rate else mmol_text(int(v)))
            i = j
    return "".join(out) + (" (mmol/L/min)" if rate else " (mmol/L)")


def converted(field):
    """Whether `field` is shown in mmol/L (/min) when the page shows mmol/L."""
    key = field.rpartition(".")[2]
    return field.startswith("alarms.") and (key in GLUCOSE_KEYS or key in RATE_KEYS)
