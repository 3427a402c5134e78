"""Bench section `link`: the firmware's link against the virtual transmitter
for 7 simulated days over a trace, with 5 % of windows missed at random and
2 % of sessions cut mid-exchange (tools/link_sim.py on the unix port).

Figures: capture_rate (transmitter readings that reached the reading stream,
live plus backfill), duplicates, median_session_ms (simulated), scan_duty
(fraction of time spent scanning), wall_s (real seconds for the run)."""
import json
import os
import subprocess
import time

from runtime import MICROPYTHON

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TRACE = "../shared/traces/adult_001.csv"


def simulate(minutes, faults, seed=7, trace=TRACE):
    env = dict(os.environ, MICROPYPATH=".frozen:%s/firmware:%s/.mpylib" % (ROOT, ROOT))
    cmd = [MICROPYTHON, "-X", "heapsize=32M", "tools/link_sim.py",
           "--trace", trace, "--faults", faults, "--minutes", str(minutes), "--seed", str(seed),
           "--bond", "/tmp/bench_link_bond.json"]
    if os.path.exists("/tmp/bench_link_bond.json"):
        os.remove("/tmp/bench_link_bond.json")
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    wall = time.time() - t0
    line = [l for l in r.stdout.splitlines() if l.startswith("SUMMARY ")]
    if r.returncode or not line:
        raise RuntimeError("link_sim failed:\n%s\n%s" % (r.stdout[-3000:], r.stderr[-3000:]))
    s = json.loads(line[-1][8:])
    s["wall_s"] = round(wall, 1)
    return s


def run():
    s = simulate(7 * 24 * 60, "miss:0.05,cut:0.02")
    out = {
        "days": 7, "faults": "miss:0.05,cut:0.02", "trace": os.path.basename(TRACE),
        "windows": s["windows"], "capture_rate": round(s["capture_rate"], 5),
        "duplicates": s["duplicates"], "wrong_readings": s["n_wrong"],
        "live": s["live"], "backfill": s["backfill"], "windows_missed_by_tx": s["missed_by_tx"],
        "median_session_ms": s["median_session_ms"], "scan_duty": round(s["scan_duty"], 4),
        "sessions": s["sessions"], "wall_s": s["wall_s"],
    }
    print("%-22s %s" % ("figure", "value"))
    for k in sorted(out):
        print("%-22s %s" % (k, out[k]))
    return out


if __name__ == "__main__":
    run()
