"""Forwarding benchmark: an outage of the Nightscout server, and a server that
hangs, with the uploader running beside a stand-in for the alarm path on
MicroPython (virtual clock, real loopback sockets to tools/nsserver.py).

    make bench SECTION=forwarding
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from nsserver import NsServer  # noqa: E402

from runtime import MICROPYTHON  # noqa: E402


def _scenario(name, runs):
    outs = []
    for _ in range(runs):
        ns = NsServer(secret="0123456789abcdef", bad_delay_s=0.002)
        try:
            env = dict(os.environ, MICROPYPATH=".frozen:%s:%s" % (
                os.path.join(ROOT, "firmware"), os.path.join(ROOT, ".mpylib")))
            r = subprocess.run([MICROPYTHON, "-X", "heapsize=512K",
                                "host_tests/forward_mpy/ns_scenarios.py", name, str(ns.port),
                                str(ns.control_port)], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=300)
            line = [ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1]
            out = json.loads(line)
            out["posts"] = ns.state()["posts"]
            outs.append(out)
        finally:
            ns.close()
    return outs


def run(runs=3):
    outage = _scenario("outage", runs)
    hang = _scenario("hang", runs)
    sent = sum(o["sent"] for o in outage)
    stored = sum(o["stored"] for o in outage)
    dup = sum(sum(1 for n in o["posts"].values() if n > 1) for o in outage)
    res = {
        "runs": runs,
        "delivered_after_outage": round(stored / sent, 4) if sent else 0,
        "in_time_order": all(o["dates_in_order"] for o in outage),
        "duplicates": dup,
        "alarm_latency_ms_during_outage": {
            "median": round(sorted(o["lat_median_ms"] for o in hang)[len(hang) // 2], 3),
            "p99": round(max(o["lat_p99_ms"] for o in hang), 3)},
        "alarm_latency_ms_baseline": {
            "median": round(sorted(o["base_median_ms"] for o in hang)[len(hang) // 2], 3),
            "p99": round(max(o["base_p99_ms"] for o in hang), 3)},
    }
    print("%-34s %s" % ("metric", "value"))
    for k, v in res.items():
        print("%-34s %s" % (k, v))
    return res


if __name__ == "__main__":
    run()
