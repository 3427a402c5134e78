"""`make bench SECTION=alarms`: the alarm engine against the peers (issue 4).

Scores the engine (tools/replay.py on the MicroPython unix port) and the
peers' algorithms (tools/alarmbench/peers.py: threshold, Nightscout AR2,
xDrip+, Nightguard) over ../shared/traces (simulated, reference = true_bg)
and ../shared/real-cgm (recorded, reference = the CGM itself); prints one
table per set and returns {"simulated": {system: figures}, "real": {...},
"ceiling": {"simulated": ...}} (the last: how far the sensor hides the
simulated lows, alarmbench/ceiling.py) and "burden" (how often it sounds
for a family that answers each sound, alarmbench/burden.py). When the engine's row of either set is
an error (its replay missing, failing or printing something else; a set with
no reading), run() raises NotScored after every table is printed: `make bench`
then exits 1, and bench.json keeps the figures with the error.
Definitions: tools/alarmbench/score.py. Quick runs while tuning:
`python -m tools.alarmbench --set simulated --systems engine,ar2 --cpython`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from alarmbench import ceiling, runner, score  # noqa: E402


class NotScored(RuntimeError):
    """The section ran, but the engine could not be scored on a set: `make bench`
    fails (tools/bench.py) and keeps the figures in `results` (the peers' rows)."""

    def __init__(self, message, results):
        RuntimeError.__init__(self, message)
        self.results = results


def run():
    out = {}
    for name in ("simulated", "real"):
        results, onsets = runner.run_set(runner.SETS[name], keep_onsets=True)
        print(score.table("%s (%s)" % (name, runner.SETS[name]), results), flush=True)
        out[name] = results
        try:  # one typical urgent night per system (a picture, not a figure)
            from alarmbench import plot
            for path in plot.plot_nights(runner.SETS[name], onsets, name):
                print("plot:", os.path.relpath(path, os.path.dirname(os.path.dirname(plot.OUT))))
        except Exception as e:
            print("plot skipped: %r" % (e,), flush=True)
    # how many simulated lows the CGM shows at all (see alarmbench/ceiling.py)
    if all("error" in r for r in out["simulated"].values()):   # e.g. no reading in the set
        out["ceiling"] = {"simulated": {"error": "the simulated set was not scored"}}
    else:
        out["ceiling"] = {"simulated": ceiling.study(runner.SETS["simulated"])}
        print(ceiling.table("simulated: ceiling", out["ceiling"]["simulated"]), flush=True)
    # how often it sounds for a family that answers (alarmbench/burden.py, engine on CPython)
    out["burden"] = {}
    for name in ("simulated", "real"):
        try:   # (imported here: a study that cannot even load costs its own figures only)
            from alarmbench import burden
            out["burden"][name] = burden.study(runner.SETS[name])
            print(burden.table("%s: burden" % name, out["burden"][name]), flush=True)
        except Exception as e:   # (a set the scorer already reported as an error)
            out["burden"][name] = {"error": "%s: %s" % (type(e).__name__, e)}
    engine_errors = ["%s: %s" % (name, out[name]["engine"]["error"]) for name in ("simulated", "real")
                     if "error" in out[name]["engine"]]
    if engine_errors:
        # the peers' rows are printed above; the section fails (it printed this and
        # exited 0, so a bench run whose engine never ran looked like a good one)
        raise NotScored("ENGINE NOT SCORED: " + "; ".join(engine_errors), out)
    return out


if __name__ == "__main__":
    run()
