"""How often each alarm starts on a set of traces, nobody pressing: the onset rates.

    python -m alarmbench.onset_rates [--all-on] [DIR ...]   (from tools/; default: ../shared/real-cgm)

The replay's onsets (tools/replay.py: default settings, CPython, no presses), by
type: onsets per day over the whole set, per day in the median trace and in the
worst one, and how many came back within BACK_MIN of the same alarm's clear (a
rule that clears and starts again on a wobble). --all-on switches on the alarms
that are off by default (fall, rise, persistent_high) at their default limits.
The traces carry no time of day, so there is no per-night figure: a night's
share is the day's. A press changes what comes back (a snooze re-raises): see
burden.py for a family that answers.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import replay  # noqa: E402  (tools/replay.py: puts the firmware on sys.path)
from alarms import settings as alarm_settings  # noqa: E402
from alarms.engine import AlarmEngine  # noqa: E402
from alarms.kinds import TYPES  # noqa: E402

from . import runner  # noqa: E402

BACK_MIN = 15
ALL_ON = {"fall_enabled": True, "rise_enabled": True, "persistent_high_enabled": True}


def rates(rows, settings=None):
    """{"days", "onsets": {type: n}, "back": {type: n}} over one trace: back counts the
    onsets within BACK_MIN minutes of that alarm's last clear."""
    engine = AlarmEngine(alarm_settings.validate(settings or {}))
    onsets, back, cleared, active = {}, {}, {}, set()
    first = last = None
    for events, minute in replay._steps(engine, rows):
        first = minute if first is None else first
        last = minute
        for e in events:
            kind = e["type"]
            if e["event"] == "alarm_onset" and kind not in active:
                active.add(kind)
                onsets[kind] = onsets.get(kind, 0) + 1
                if kind in cleared and minute - cleared[kind] <= BACK_MIN:
                    back[kind] = back.get(kind, 0) + 1
            elif e["event"] == "alarm_clear" and kind in active:
                active.discard(kind)
                cleared[kind] = minute
    return {"days": 0.0 if first is None else (last - first) / 1440.0, "onsets": onsets, "back": back}


def _one(args):
    path, settings = args
    try:
        replay.check_trace(path)
        out = rates(replay.trace_readings(path), settings)
    except (replay.TraceError, OSError) as e:
        return {"error": "%s: %s" % (os.path.basename(path), e)}
    out["name"] = os.path.basename(path)
    return out


def total(results):
    """Per type: {"onsets", "per_day", "median_trace", "worst": (name, per day), "back"};
    the traces of no length are left out of the median and the worst."""
    errors = [r["error"] for r in results if "error" in r]
    results = [r for r in results if "error" not in r]
    days = sum(r["days"] for r in results)
    timed = [r for r in results if r["days"]]
    out = {"traces": len(results), "days": round(days, 1), "types": {}}
    for kind in TYPES:
        n = sum(r["onsets"].get(kind, 0) for r in results)
        if not n:
            continue
        per = sorted((r["onsets"].get(kind, 0) / r["days"], r["name"]) for r in timed)
        out["types"][kind] = {"onsets": n, "per_day": round(n / days, 3) if days else None,
                              "median_trace": round(per[len(per) // 2][0], 2) if per else None,
                              "worst": (per[-1][1], round(per[-1][0], 2)) if per else None,
                              "back": sum(r["back"].get(kind, 0) for r in results)}
    if errors:
        out["errors"] = errors
    return out


def study(directory, settings=None):
    paths = runner.trace_paths(directory)
    with ProcessPoolExecutor(runner.WORKERS) as pool:
        return total(list(pool.map(_one, [(p, settings) for p in paths])))


def table(title, t):
    lines = ["%s: %d traces, %.1f days" % (title, t["traces"], t["days"]),
             "| alarm | onsets | a day | median trace, a day | worst trace, a day | back within %d min |" % BACK_MIN,
             "|---|---|---|---|---|---|"]
    for kind, f in t["types"].items():
        lines.append("| %s | %d | %s | %s | %s %s | %d |" % (
            kind, f["onsets"], f["per_day"], f["median_trace"], f["worst"][0], f["worst"][1], f["back"]))
    for e in t.get("errors", ()):
        lines.append("NOT SCORED: %s" % e)
    return "\n".join(lines)


def main(argv):
    settings = ALL_ON if "--all-on" in argv else None
    for directory in [a for a in argv if a != "--all-on"] or [runner.SETS["real"]]:
        print(table(directory + (" (fall, rise, persistent_high on)" if settings else ""),
                    study(directory, settings)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
