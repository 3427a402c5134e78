"""Bench section `link`: the firmware's link against the virtual transmitter
for 7 simulated days over a trace, with 5 % of windows missed at random and
2 % of sessions cut mid-exchange (tools/link_sim.py on the unix port).

Figures: capture_rate (transmitter readings that reached the reading stream,
live plus backfill), duplicates, median_session_ms (simulated), scan_duty
(fraction of time spent scanning), wall_s (real seconds for the run).

acquisition: after a power cut the box does not know when the transmitter
wakes. For advertising intervals of 100 ms to 2 s (no source gives a real
G6's) and the radio beside Wi-Fi or alone, POWER_ONS power-ons spread over
the 5-minute cycle: the share found at the transmitter's first wake-up, and
the median and worst seconds from that wake-up to the first reading.

crowd: a day among 40 other advertising devices (every 0.1-1 s,
tools/host/bystanders.py), beside Wi-Fi and alone: capture, and how many
advertisements the scans heard (each runs the BLE IRQ handler and aioble's
scan bookkeeping in Python on the board), per day and per second scanned."""
import json
import os
import subprocess
import time

from runtime import MICROPYTHON

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TRACE = "../shared/traces/adult_001.csv"


POWER_ONS = 20


def simulate(minutes, faults, seed=7, trace=TRACE, extra=()):
    env = dict(os.environ, MICROPYPATH=".frozen:%s/firmware:%s/.mpylib" % (ROOT, ROOT))
    # no --bond: link_sim keeps the keys in a folder of the run's own (two benches at once
    # shared a fixed /tmp file, each deleting the keys the other had just saved)
    cmd = [MICROPYTHON, "-X", "heapsize=32M", "tools/link_sim.py",
           "--trace", trace, "--faults", faults, "--minutes", str(minutes), "--seed", str(seed)] + list(extra)
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    wall = time.time() - t0
    line = [l for l in r.stdout.splitlines() if l.startswith("SUMMARY ")]
    if r.returncode or not line:
        raise RuntimeError("link_sim failed:\n%s\n%s" % (r.stdout[-3000:], r.stderr[-3000:]))
    s = json.loads(line[-1][8:])
    s["wall_s"] = round(wall, 1)
    return s


def acquisition():
    rows = []
    for adv_ms in (100, 1000, 2000):
        for wifi in ("on", "off"):
            waits = []
            for i in range(POWER_ONS):
                first_s = 15 + i * 300 // POWER_ONS   # the transmitter's first wake-up
                s = simulate(20, "", seed=100 + i, extra=(
                    "--adv-interval-ms", str(adv_ms), "--first-window-s", str(first_s),
                    "--wifi", wifi))
                got = s["first_reading_s"]
                waits.append(None if got is None else got - first_s)
            found = sorted(w for w in waits if w is not None)
            rows.append({"adv_interval_ms": adv_ms, "wifi": wifi, "power_ons": len(waits),
                         "first_wake_share": sum(1 for w in found if w < 60) / len(waits),
                         "median_s": found[len(found) // 2] if found else None,
                         "worst_s": found[-1] if len(found) == len(waits) else None})
    print("%-16s %-5s %-16s %-9s %s" % ("adv interval ms", "wifi", "first wake-up", "median s",
                                          "worst s (None: not found in 20 min)"))
    for r in rows:
        print("%-16s %-5s %-16s %-9s %s" % (r["adv_interval_ms"], r["wifi"],
                                           "%.0f%%" % (100 * r["first_wake_share"]),
                                           r["median_s"], r["worst_s"]))
    return rows


def crowd():
    rows = []
    for wifi in ("on", "off"):
        s = simulate(24 * 60, "", extra=("--bystanders", "40", "--wifi", wifi))
        scan_s = s["radio_scan_duty"] * s["sim_ms"] / 1000.0
        rows.append({"wifi": wifi, "bystanders": 40, "capture_rate": round(s["capture_rate"], 5),
                     "backfill": s["backfill"], "adverts_heard": s["adv_heard"],
                     "adverts_per_scan_s": round(s["adv_heard"] / scan_s, 1) if scan_s else None,
                     "radio_scan_duty": round(s["radio_scan_duty"], 4), "wall_s": s["wall_s"]})
    print("%-5s %-8s %-9s %-14s %-18s %s" % ("wifi", "capture", "backfill", "adverts heard",
                                             "per second scanned", "radio duty"))
    for r in rows:
        print("%-5s %-8s %-9s %-14s %-18s %s" % (r["wifi"], r["capture_rate"], r["backfill"],
                                                r["adverts_heard"], r["adverts_per_scan_s"],
                                                r["radio_scan_duty"]))
    return rows


def run():
    acq = acquisition()
    crowded = crowd()
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
    out["acquisition"] = acq
    out["crowd"] = crowded
    return out


if __name__ == "__main__":
    run()
