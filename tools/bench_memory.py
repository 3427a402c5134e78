"""`make bench SECTION=memory`: the whole firmware with every forwarder on, in a heap
that runs short.

Runs `bench_device.full_day()`'s day (Nightscout to tools/nsserver.py, MQTT to
mosquitto when installed, the LAN API) on the frozen 32-bit build
(build/micropython32-frozen: the firmware in the image, as on the board) with
HEAP = the code's size (sim.py's probe run) + DATA KB, for each DATA in
MEMORY_STEPS (default 75,65,55: sizes where the day is cut short or forwarding
cannot start, so the failure paths are seen; the README's figures use
MEMORY_STEPS=120,90,75,65,55, 120 being the clean size), and
judges each run by tools/chaos.py's invariants at the default settings: every
urgent low sounds high-priority, no stale stretch without a sound, every logged
exception ends in a `device` alarm, the process lives to the end. Per size:
the first MemoryError the console logged (which part), how many, the `device`
alarms (reasons), resets, readings, and the verdict. A few minutes per size.

    make bench SECTION=memory                      # the default sizes
    MEMORY_STEPS=90,85,80,75,70,65,60 make bench SECTION=memory
    MICROPYTHON=build/micropython32 ...            # another build
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import chaos  # noqa: E402

FROZEN32 = os.path.join(ROOT, "build", "micropython32-frozen")
FLASH = "bench-memory"
DAY_MS = 86400000
SIM = os.path.join(HERE, "sim.py")


def default_settings():
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    try:
        from alarms import settings
    finally:
        sys.path.pop(0)
    return settings.validate({})


def code_size(env):
    """The code's heap on this build (sim.py's probe run). The probe runs this
    process's $MICROPYTHON: set to the build for it and put back after, so the
    sections `make bench` runs next keep the build they were given."""
    import sim
    o = sim.options(dict(env, HEADLESS="1", DAYS="1"))
    o["flash"] = os.path.join(ROOT, "build", FLASH)
    before = os.environ.get("MICROPYTHON")
    os.environ["MICROPYTHON"] = env["MICROPYTHON"]
    try:
        return sim.code_heap(o)
    finally:
        if before is None:
            del os.environ["MICROPYTHON"]
        else:
            os.environ["MICROPYTHON"] = before


def run_day(heap_k, env, days=1.0):
    """(events, console, return code, wall s, Nightscout entries) of one day with
    every forwarder on (bench_device.ForwardingServers), in a heap of heap_k KB."""
    from bench_device import ForwardingServers
    flash = os.path.join(ROOT, "build", FLASH)
    shutil.rmtree(flash, ignore_errors=True)
    e = dict(env, HEADLESS="1", DAYS=str(days), PLOT="", SPEED="0", FLASH=flash, HEAP="%dK" % heap_k)
    for k in ("TRACE", "START", "HOURS", "CONFIG", "INJECT", "FAULTS"):
        e.pop(k, None)
    t0 = time.time()
    with ForwardingServers() as srv:
        e.update({k: str(v) for k, v in srv.env.items()})
        r = subprocess.run([sys.executable, SIM], env=e, capture_output=True, text=True, timeout=3600)
    events = []
    for line in r.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    try:
        with open(os.path.join(flash, "sim-console.log")) as f:
            console = f.read()
    except OSError:
        console = ""
    return events, console, r.returncode, time.time() - t0, len(srv.entries)


_MEM = re.compile(r"MemoryError")


def memory_lines(console):
    """The console lines that name a MemoryError, or say a task failed/stopped."""
    return [ln for ln in console.splitlines() if _MEM.search(ln)]


def judge(events, console, rc, days=1.0):
    s = default_settings()
    end_ms = int(days * DAY_MS)
    if events and not any(e.get("event") == "sim_end" for e in events):
        end_ms = max(e.get("t_ms", 0) for e in events)
    fails = {
        "urgent_low": chaos.check_urgent_low(events, s["urgent_low"], s["urgent_low_snooze"],
                                             s["stale_minutes"], end_ms),
        "stale": chaos.check_stale(events, s["no_data_minutes"], end_ms),
        "console": chaos.check_console(console, events, end_ms),
    }
    if rc != 0 or not any(e.get("event") == "sim_end" for e in events):
        fails["process"] = [(end_ms, "process ended with code %d at t=%d ms" % (rc, end_ms))]
    return {k: v for k, v in fails.items() if v}


def summarize(data_k, code, events, console, rc, wall, ns_entries):
    mem = memory_lines(console)
    devices = ["%s@%dmin" % (e.get("reason") or e.get("what"), e["t_ms"] // 60000) for e in events
               if e.get("event") == "alarm_onset" and e.get("type") == "device"]
    onsets = sorted({e.get("type") for e in events if e.get("event") == "alarm_onset"})
    fails = judge(events, console, rc)
    return {
        "data_kb": data_k, "heap_kb": (code + 1023) // 1024 + data_k, "rc": rc,
        "first_memory_error": mem[0][:200] if mem else None, "memory_errors": len(mem),
        "device_alarms": devices[:10], "alarm_types": onsets,
        "resets": sum(1 for e in events if e.get("event") == "reset"),
        "readings": sum(1 for e in events if e.get("event") == "reading"),
        "nightscout_entries": ns_entries,
        "heap_peak": chaos.heap_peak(events),
        "fails": {k: [t for _, t in v][:2] for k, v in fails.items()},
        "wall_s": round(wall, 1),
    }


def run():
    env = dict(os.environ)
    venv_port = os.path.join(ROOT, ".venv", "bin", "micropython")
    given = env.get("MICROPYTHON") or ""
    if not given or os.path.abspath(given) == venv_port:  # make's default: not the board's word size
        if not os.path.exists(FROZEN32):
            why = ("needs the frozen 32-bit build %s (FROZEN=1 tools/build_unix32.sh MPY_SRC_DIR %s);"
                   " the venv's 64-bit port's heap is not the board's" % (os.path.relpath(FROZEN32, ROOT),
                                                                         os.path.relpath(FROZEN32, ROOT)))
            print("memory: skipped: " + why)
            return {"skipped": why}
        env["MICROPYTHON"] = FROZEN32
    steps = [int(x) for x in (env.get("MEMORY_STEPS") or "75,65,55").split(",")]
    import mpybuild
    mpybuild.build()
    code = code_size(env)
    out = {"micropython": os.path.relpath(env["MICROPYTHON"], ROOT), "code_bytes": code, "runs": []}
    print("memory pressure, a full day with every forwarder (%s, code %.1f KB):"
          % (out["micropython"], code / 1024))
    for data_k in steps:
        heap_k = (code + 1023) // 1024 + data_k
        r = summarize(data_k, code, *run_day(heap_k, env))
        out["runs"].append(r)
        print("  code+%dK (%dK): rc %d, %d MemoryErrors, first: %s" % (
            data_k, heap_k, r["rc"], r["memory_errors"], r["first_memory_error"]))
        print("      device %s, resets %d, readings %d, NS %d, %s, %.0f s" % (
            r["device_alarms"], r["resets"], r["readings"], r["nightscout_entries"],
            "OK" if not r["fails"] else "FAIL " + json.dumps(r["fails"]), r["wall_s"]))
        sys.stdout.flush()
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
