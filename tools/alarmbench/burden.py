"""How often the box sounds for a family that answers it: the alarm burden.

    python -m alarmbench.burden [DIR ...]        (from tools/; default: ../shared/real-cgm)

The sensitivity bench (score.py) counts onsets with nobody at the box. A family
hears more than onsets: an alarm they snooze comes back at the snooze's end if
its condition still holds, and one that clears and starts again is a new sound.
This replays each trace through the engine (default settings, CPython, the
same steps as tools/replay.py) with a person who gives a short press (snooze)
RESPONSE_S after a sound starts, and counts, per day of trace:
- sound starts: an alarm that starts sounding (an onset, or a re-raise after a
  snooze), by type;
- wake-ups: sound starts more than WAKE_GAP_S after the previous one (one
  getting up answers a cluster);
- presses.
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
    """Counts over one trace: {"days", "starts": {type: n}, "wakeups", "presses",
    "high_side_starts", "high_side_falling"}."""
    engine = AlarmEngine(alarm_settings.validate(settings or {}))
    starts = {}
    out = {"starts": starts, "wakeups": 0, "presses": 0, "high_side_starts": 0,
           "high_side_falling": 0}
    first = last = None
    last_start = None
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
                if last_start is None or now - last_start > WAKE_GAP_S:
                    out["wakeups"] += 1
                last_start = now
                if kind in HIGH_SIDE:
                    out["high_side_starts"] += 1
                    if engine._pred.ready() and engine._pred.rate() <= -FALLING:
                        out["high_side_falling"] += 1
        if engine.loudest() is None:
            sounding_since = None
            continue
        if sounding_since is None:
            sounding_since = now
        if now - sounding_since >= response_s:
            engine.snooze(now)
            out["presses"] += 1
            sounding_since = None
    out["days"] = 0.0 if first is None else (last - first) / 1440.0
    return out


def _one(path):
    return burden(replay.trace_readings(path))


def total(results):
    """The counts of several traces added, with per-day rates."""
    days = sum(r["days"] for r in results)
    starts = {}
    for r in results:
        for kind, n in r["starts"].items():
            starts[kind] = starts.get(kind, 0) + n
    per_day = (lambda n: round(n / days, 3) if days else None)
    sound = sum(starts.values())
    hs = sum(r["high_side_starts"] for r in results)
    return {"traces": len(results), "days": round(days, 1),
            "sound_starts_per_day": per_day(sound),
            "wakeups_per_day": per_day(sum(r["wakeups"] for r in results)),
            "presses_per_day": per_day(sum(r["presses"] for r in results)),
            "starts_per_day": {k: per_day(starts[k]) for k in TYPES if k in starts},
            "high_side_falling_share": round(sum(r["high_side_falling"] for r in results) / hs, 3)
            if hs else None}


def study(directory):
    paths = runner.trace_paths(directory)
    with ProcessPoolExecutor(runner.WORKERS) as pool:
        return total(list(pool.map(_one, paths)))


def table(title, t):
    lines = ["%s: %d traces, %.1f days" % (title, t["traces"], t["days"]),
             "  sound starts/day %s, wake-ups/day %s, presses/day %s" % (
                 t["sound_starts_per_day"], t["wakeups_per_day"], t["presses_per_day"]),
             "  by type: " + ", ".join("%s %s" % kv for kv in t["starts_per_day"].items()),
             "  high-side sound starts while falling: %s" % (t["high_side_falling_share"],)]
    return "\n".join(lines)


def main(argv):
    for directory in argv or [runner.SETS["real"]]:
        print(table(directory, study(directory)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
