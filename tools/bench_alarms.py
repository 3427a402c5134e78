"""`make bench SECTION=alarms`: the alarm engine against the peers (issue 4).

Scores the engine (tools/replay.py on the MicroPython unix port) and the
peers' algorithms (tools/alarmbench/peers.py: threshold, Nightscout AR2,
xDrip+, Nightguard) over ../shared/traces (simulated, reference = true_bg)
and ../shared/real-cgm (recorded, reference = the CGM itself); prints one
table per set and returns {"simulated": {system: figures}, "real": {...},
"ceiling": {"simulated": ...}} (the last: how far the sensor hides the
simulated lows, alarmbench/ceiling.py).
Definitions: tools/alarmbench/score.py. Quick runs while tuning:
`python -m tools.alarmbench --set simulated --systems engine,ar2 --cpython`.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from alarmbench import ceiling, runner, score  # noqa: E402


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
    out["ceiling"] = {"simulated": ceiling.study(runner.SETS["simulated"])}
    print(ceiling.table("simulated: ceiling", out["ceiling"]["simulated"]), flush=True)
    engine_errors = [r["error"] for r in (out["simulated"]["engine"], out["real"]["engine"])
                     if "error" in r]
    if engine_errors:
        print("ENGINE NOT SCORED:", engine_errors[0], flush=True)
    return out


if __name__ == "__main__":
    run()
