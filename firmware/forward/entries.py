# Nightscout / xDrip+ record shapes (pure; CPython and MicroPython).
# Trend in: mg/dL/min x10 (firmware/reading.py). Direction names and slope
# thresholds as xDrip+ Dex_Constants.TREND_ARROW_VALUES.getTrend and
# Nightscout lib/plugins/direction.js use them (peers.md 2.1).

from civil import civil_from_unix as civil  # noqa: F401  (UTC date parts; also timesync's)

# (upper bound of the slope x10, name), walked from the top like xDrip+:
# (3.5, 40] DoubleUp, (2, 3.5] SingleUp, (1, 2] FortyFiveUp, (-1, 1] Flat,
# (-2, -1] FortyFiveDown, (-3.5, -2] SingleDown, <= -3.5 DoubleDown, > 40 NONE.
_ARROWS = ((400, "DoubleUp"), (35, "SingleUp"), (20, "FortyFiveUp"), (10, "Flat"),
           (-10, "FortyFiveDown"), (-20, "SingleDown"), (-35, "DoubleDown"))
MMOL = 18.0182   # mg/dL per mmol/L, as xDrip+ (glucose 180.16 g/mol): the LAN API, the screen
# Dexcom/Nightscout numeric trend codes (pebble, xDrip "trend").
TREND_CODES = {"NONE": 0, "DoubleUp": 1, "SingleUp": 2, "FortyFiveUp": 3, "Flat": 4,
               "FortyFiveDown": 5, "SingleDown": 6, "DoubleDown": 7,
               "NOT COMPUTABLE": 8, "RATE OUT OF RANGE": 9}


def mmol_text(mg):
    """mg/dL -> mmol/L to a tenth, rounded as the apps show it: "3.9" for 70."""
    tenths = int(mg * 10 / MMOL + 0.5)
    return "%d.%d" % (tenths // 10, tenths % 10)


def direction(trend_x10):
    """Nightscout direction name for a trend in mg/dL/min x10 (None: unknown)."""
    if trend_x10 is None:
        return "NOT COMPUTABLE"
    name = "NONE"
    for bound, arrow in _ARROWS:
        if trend_x10 > bound:
            return name
        name = arrow
    return name


def iso_utc(unix_s):
    """ISO 8601 UTC with milliseconds, as Nightscout stores dateString."""
    return "%04d-%02d-%02dT%02d:%02d:%02d.000Z" % civil(unix_s)


def sgv_entry(unix_s, sgv, trend, device):
    """One Nightscout v1 `sgv` entry. `date` and `dateString`/`sysTime` come from
    the same instant (the reading's own time), so the server's upsert key
    {sysTime, type} is stable across retries and backfill."""
    iso = iso_utc(unix_s)
    return {"type": "sgv", "sgv": sgv, "date": int(unix_s) * 1000, "dateString": iso,
            "sysTime": iso, "direction": direction(trend), "device": device}
