"""Score the alarm engine and the peers quickly, e.g. while tuning the engine.

    python -m tools.alarmbench --set simulated                  # all systems
    python -m tools.alarmbench --set real --systems engine,ar2
    python -m tools.alarmbench --set simulated --systems engine --cpython
    python -m tools.alarmbench --traces DIR --systems engine    # any folder of CSVs
    python -m tools.alarmbench --set simulated --plot           # build/alarm_plots/*.png

(run from the repo root with .venv/bin/python; `cd tools && python -m alarmbench`
works too). --cpython runs the engine's tools/replay.py under CPython (fast,
for tuning); without it the engine runs on .venv/bin/micropython like the
official `make bench SECTION=alarms`. --json FILE writes the figures.
Systems: engine, threshold, ar2, xdrip, nightguard.
"""
import argparse
import json
import os
import sys
import time

from . import runner, score


def main(argv=None):
    ap = argparse.ArgumentParser(prog="alarmbench", description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=("simulated", "real", "both"), default="simulated")
    ap.add_argument("--traces", help="a folder of CSV traces instead of --set")
    ap.add_argument("--systems", default=",".join(runner.SYSTEMS),
                    help="comma-separated, default: all")
    ap.add_argument("--cpython", action="store_true", help="run the engine's replay on CPython")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--plot", action="store_true", help="also plot one night per system")
    a = ap.parse_args(argv)
    systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    bad = [s for s in systems if s not in runner.SYSTEMS]
    if bad:
        ap.error("unknown system(s) %s; have %s" % (", ".join(bad), ", ".join(runner.SYSTEMS)))
    if a.traces:
        sets = {os.path.basename(os.path.normpath(a.traces)): a.traces}
    else:
        sets = {k: v for k, v in runner.SETS.items() if a.set in (k, "both")}
    out = {}
    for name, directory in sets.items():
        t0 = time.time()
        results, onsets = runner.run_set(directory, systems, a.cpython, keep_onsets=True)
        print(score.table("%s (%s)%s" % (name, directory, " [engine on CPython]" if a.cpython else ""),
                          results))
        print("(%.1f s)" % (time.time() - t0))
        out[name] = results
        if a.plot:
            from . import plot
            for path in plot.plot_nights(directory, onsets, name):
                print("wrote", path)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
    errors = [s for r in out.values() for s, f in r.items() if "error" in f]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
