"""How often the box sounds for a family that answers it: the alarm burden.

    python -m alarmbench.burden [DIR ...]        (from tools/; default: ../shared/real-cgm)

The sensitivity bench (score.py) counts onsets with nobody at the box. A family
hears more than onsets: an alarm they snooze comes back at the snooze's end if
its condition still holds, and one that clears and starts again is a new sound.
This replays each trace through the engine (default settings, CPython, the
same steps as tools/replay.py) with a person who gives a short press (snooze)
RESPONSE_S after the box starts sounding (and again RESPONSE_S later while
something still sounds), and counts, per day of trace:
- sounds: the box going from silent to sounding;
- wake-ups: sounds more than WAKE_GAP_S after the previous sound's start (one
  getting up answers a cluster);
- presses;
- alarm starts, by type: each alarm that starts sounding (an onset, or a re-raise
  after a snooze); several may start in one sound.
High-side sound starts are also split by the glucose trend at the moment
(falling: the engine's filtered rate at or below -FALLING mg/dL/min), the share
that peers' "smart snooze" would keep quiet.
The traces carry no time of day, so the figures are per day, not per night.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import replay  # noqa: E402  (tools/replay.py: puts the firmware on sys.path)
from alarms import settings as alarm_settings  # noqa: E402
from alarms.engine import AlarmEngine  # noqa: E402
from alarms.kinds import HIGH_SIDE, TYPES  # noqa: E402

from . import runner  # noqa: E402

RESPONSE_S = 60
WAKE_GAP_S = 15 * 60
FALLING = 0.5


def burden(rows, settings=None, response_s=RESPONSE_S):
    """Counts over one trace: {"days", "sounds" (the box going from silent to
    sounding), "starts": {type: n} (each alarm that starts sounding: several may
    start in one sound), "wakeups", "presses", "high_side_starts",
    "high_side_falling"}."""
    engine = AlarmEngine(alarm_settings.validate(settings or {}))
    starts = {}
    out = {"starts": starts, "sounds": 0, "wakeups": 0, "presses": 0, "high_side_starts": 0,
           "high_side_falling": 0}
    first = last = None
    last_sound = None
    sounding_since = None
    for events, minute in replay._steps(engine, rows):
        now = minute * 60
        first = minute if first is None else first
        last = minute
        onsets = [e["type"] for e in events if e["event"] == "alarm_onset"]
        if onsets:
            status = {a["type"]: a["status"] for a in engine.active()}
            for kind in onsets:
                if status.get(kind) != "sounding":   # started answered (held): no sound
                    continue
                starts[kind] = starts.get(kind, 0) + 1
                if kind in HIGH_SIDE:
                    out["high_side_starts"] += 1
                    if engine._pred.ready() and engine._pred.rate() <= -FALLING:
                        out["high_side_falling"] += 1
        if engine.loudest() is None:
            sounding_since = None
            continue
        if sounding_since is None:   # the box starts sounding
            sounding_since = now
            out["sounds"] += 1
            if last_sound is None or now - last_sound > WAKE_GAP_S:
                out["wakeups"] += 1
            last_sound = now
        if now - sounding_since >= response_s:
            engine.snooze(now)
            out["presses"] += 1
            # (another alarm still sounding is answered response_s later: the person
            # hears it go on, and presses again)
            sounding_since = now if engine.loudest() is not None else None
    out["days"] = 0.0 if first is None else (last - first) / 1440.0
    return out


def _one(path):
    """burden() of one trace file, or {"error": ...} for a file the replay refuses."""
    try:
        replay.check_trace(path)
        return burden(replay.trace_readings(path))
    except (replay.TraceError, OSError) as e:
        return {"error": "%s: %s" % (os.path.basename(path), e)}


def total(results):
    """The counts of several traces added, with per-day rates; the files refused
    are listed under "errors" (none scored: every rate None)."""
    errors = [r["error"] for r in results if "error" in r]
    results = [r for r in results if "error" not in r]
    days = sum(r["days"] for r in results)
    starts = {}
    for r in results:
        for kind, n in r["starts"].items():
            starts[kind] = starts.get(kind, 0) + n
    per_day = (lambda n: round(n / days, 3) if days else None)
    hs = sum(r["high_side_starts"] for r in results)
    out = {"traces": len(results), "days": round(days, 1),
           "sounds_per_day": per_day(sum(r["sounds"] for r in results)),
           "wakeups_per_day": per_day(sum(r["wakeups"] for r in results)),
           "presses_per_day": per_day(sum(r["presses"] for r in results)),
           "alarm_starts_per_day": per_day(sum(starts.values())),
           "starts_per_day": {k: per_day(starts[k]) for k in TYPES if k in starts},
           "high_side_falling_share": round(sum(r["high_side_falling"] for r in results) / hs, 3)
           if hs else None}
    if errors:
        out["errors"] = errors
    return out


def study(directory):
    paths = runner.trace_paths(directory)
    with ProcessPoolExecutor(runner.WORKERS) as pool:
        return total(list(pool.map(_one, paths)))


def table(title, t):
    lines = ["%s: %d traces, %.1f days" % (title, t["traces"], t["days"]),
             "  the box starts sounding %s times a day (wake-ups %s, presses %s)" % (
                 t["sounds_per_day"], t["wakeups_per_day"], t["presses_per_day"]),
             "  alarms starting to sound, a day: %s; by type: %s" % (
                 t["alarm_starts_per_day"], ", ".join("%s %s" % kv for kv in t["starts_per_day"].items())),
             "  high-side alarms starting while glucose falls: %s" % (t["high_side_falling_share"],)]
    for e in t.get("errors", ()):
        lines.append("  NOT SCORED: %s" % e)
    return "\n".join(lines)


def main(argv):
    for directory in argv or [runner.SETS["real"]]:
        print(table(directory, study(directory)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
