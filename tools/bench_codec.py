"""`make bench SECTION=codec`: the Dexcom codec on the MicroPython unix port
within the board's 64 KiB heap: messages parsed per second, heap bytes per
parse (tools/dexbench.py), and a large seeded fuzz campaign
(tools/dexfuzz.py). The unix port is 64-bit: object sizes are about twice
the ESP32's, and it runs far faster than a 240 MHz ESP32."""
import json
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
from runtime import MICROPYTHON  # noqa: E402  (tools/ is the script directory)
MICROPYPATH = ".frozen:%s:%s" % (os.path.join(ROOT, "firmware"), os.path.join(ROOT, ".mpylib"))
FUZZ_MESSAGES = 200000


def _mpy(args, heap):
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    r = subprocess.run([MICROPYTHON, "-X", "heapsize=" + heap] + args, cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0 and not r.stdout.strip():
        raise RuntimeError("micropython %s failed:\n%s" % (args, r.stderr))
    return json.loads(r.stdout.strip().splitlines()[-1])


def run():
    res = _mpy(["tools/dexbench.py", "1.0"], "64K")
    t0 = time.time()
    fuzz = _mpy(["tools/dexfuzz.py", "7", str(FUZZ_MESSAGES)], "512K")
    fuzz_s = time.time() - t0
    print("%-32s %12s %14s" % ("case (MicroPython, 64K heap)", "per second", "heap B/call"))
    for name in sorted(res["parse_per_s"]):
        print("%-32s %12d %14d" % (name, res["parse_per_s"][name], res["heap_bytes_per_call"][name]))
    print("heap bytes per glucose parse (Reading tuple):", res["heap_bytes_per_glucose_parse"])
    print("heap in use after importing the codec:", res["heap_in_use_after_import"])
    print("fuzz: %d messages, %d parser calls, %d corrupted backfill streams, %s in %.1f s"
          % (fuzz["messages"], fuzz["calls"], fuzz["streams"],
             "no failure" if fuzz["ok"] else "FAILURES", fuzz_s))
    out = {
        "runtime": "micropython unix port, -X heapsize=64K",
        "parse_per_s": res["parse_per_s"],
        "heap_bytes_per_call": res["heap_bytes_per_call"],
        "heap_bytes_per_glucose_parse": res["heap_bytes_per_glucose_parse"],
        "heap_bytes_per_glucose_dict_parse": res["heap_bytes_per_glucose_dict_parse"],
        "backfill_records_per_s": res["backfill_records_per_s"],
        "heap_in_use_after_import": res["heap_in_use_after_import"],
        "fuzz": {"messages": fuzz["messages"], "parser_calls": fuzz["calls"],
                 "streams": fuzz["streams"], "ok": fuzz["ok"], "failures": fuzz["failures"],
                 "seconds": round(fuzz_s, 1)},
    }
    if not fuzz["ok"]:
        raise AssertionError("codec fuzz failed: %r" % (fuzz["failures"][:3],))
    return out


if __name__ == "__main__":
    run()
