# Runs the firmware's link against the virtual transmitter on the virtual
# radio, on simulated time, and prints one JSON summary line.
#   micropython tools/link_sim.py [--trace F] [--faults SPEC] [--minutes N]
#       [--seed S] [--tx ID] [--link-id ID] [--slot 1|2] [--bond FILE]
#       [--script "MIN:SPEC;MIN:SPEC"] [--restart MIN] [--events] [--refuse "N,N"]
#       [--adv-interval-ms MS] [--first-window-s S] [--wifi on|off] [--bystanders N]
# --script changes the transmitter's faults at the given minutes (recovery
# tests); --restart starts a fresh Link (and radio stack) at that minute, as a
# reboot would, keeping the bond file. --refuse makes the N-th hand-overs
# (counting from 1) fail with a MemoryError, as the alarm path's inbox may.
# --adv-interval-ms sets how often the transmitter advertises while awake (no
# source gives a real G6's figure; 100 ms by default) and --first-window-s when
# it first wakes: with both, first_reading_s shows how long acquiring takes.
# --wifi off: no Wi-Fi shares the radio (the link then scans blind continuously).
# --bond FILE: where the link keeps its bond keys (removed at the start unless
# --keep-bond); without it, a file in a folder of this run's own, removed at the end.
# --bystanders N: N other devices advertise in the room (tools/host/bystanders.py);
# the summary then says how many advertisements the scans heard and the longest
# backlog of them aioble's scanner held.
import sys
sys.path[:0] = ["tools/host", "tools"]
import vtime
vtime.install(0, wall_unix=1700000000)
import json
import asyncio
import vtx

ARGS = {"trace": "../shared/traces/adult_001.csv", "faults": "", "minutes": "60", "seed": "1",
        "tx": "8G1234", "link-id": None, "slot": "1", "bond": None,
        "script": "", "restart": None, "events": None, "jitter": "2000", "keep-bond": None, "mark": None,
        "refuse": "", "adv-interval-ms": "100", "first-window-s": "60", "wifi": "on",
        "bystanders": "0"}
FLAGS = ("events", "keep-bond")
a = sys.argv[1:]
while a:
    k = a.pop(0)[2:]
    if k not in ARGS:
        raise SystemExit("unknown option --" + k)
    ARGS[k] = "1" if k in FLAGS else a.pop(0)
try:
    if int(ARGS["minutes"]) < 1:
        raise ValueError
except ValueError:
    raise SystemExit("--minutes takes a whole number of minutes, 1 or more (not %s)" % ARGS["minutes"])
# a bond file of this run's own by default: the fixed /tmp/link_sim_bond.json was shared
# by every run at once, each deleting at its start the keys another had just saved
own_bond_dir = None
if ARGS["bond"] is None:
    if ARGS["keep-bond"]:
        raise SystemExit("--keep-bond needs --bond FILE (the file an earlier run kept)")
elif not ARGS["keep-bond"]:
    import os
    try:
        os.remove(ARGS["bond"])
    except OSError:
        pass

U0 = 1700000000
tx_dev = vtx.start(ARGS["trace"], transmitter_id=ARGS["tx"], faults=ARGS["faults"],
                   seed=int(ARGS["seed"]), jitter_ms=int(ARGS["jitter"]),
                   first_window_s=int(ARGS["first-window-s"]),
                   adv_interval_ms=int(ARGS["adv-interval-ms"]))
tx = tx_dev.tx
if int(ARGS["bystanders"]):
    import bystanders
    bystanders.start(int(ARGS["bystanders"]), seed=int(ARGS["seed"]))

import bluetooth
import clock
from link.core import Link

backlog = [0]   # the most advertisements aioble's scanner held unread


def _watch_backlog():
    import aioble.central as central
    ble = bluetooth.BLE()
    irq = ble._irq

    def watched(event, data, scratch=()):
        r = irq(event, data, scratch)
        s = central._active_scanner
        if s and len(s._queue) > backlog[0]:
            backlog[0] = len(s._queue)
        return r
    ble._irq = watched


_watch_backlog()

readings = []
first_reading_s = []
events = []
session_ms = []


MARK_S = int(ARGS["mark"]) * 60 if ARGS["mark"] else None
before_mark = [0]


REFUSE = [int(n) for n in ARGS["refuse"].split(",") if n]
handovers = [0]


def on_reading(r):
    handovers[0] += 1
    if handovers[0] in REFUSE:
        raise MemoryError("refused hand-over %d" % handovers[0])
    readings.append(r)
    if not first_reading_s:
        first_reading_s.append(vtime.monotonic_us() // 1000000)
    if MARK_S is not None and vtime.monotonic_us() < MARK_S * 1000000:
        before_mark[0] += 1


counts = {}


def on_event(e):
    e["t_s"] = vtime.monotonic_us() // 1000000
    counts[e["what"]] = counts.get(e["what"], 0) + 1
    if ARGS["events"]:
        events.append(e)
    if e["what"] == "disconnected":
        session_ms.append(e["ms"])


def make_link(resume=None, hole=None):
    cfg = {"transmitter_id": ARGS["link-id"] or ARGS["tx"], "slot": int(ARGS["slot"]),
           "bond_path": ARGS["bond"], "resume_dex_s": resume, "resume_hole": hole}
    if ARGS["wifi"] not in ("on", "off"):
        raise SystemExit("--wifi takes on or off, not %r" % ARGS["wifi"])
    if ARGS["wifi"] == "off":
        cfg["radio_shared"] = lambda: False   # the radio is the link's alone
    return Link(cfg, on_reading, on_event)


def script_faults():
    for part in ARGS["script"].split(";"):
        if part.strip():
            m, _, spec = part.partition(":")
            vtime.call_at(int(m) * 60 * 1000000, tx.set_faults, spec)


async def main():
    end_us = int(ARGS["minutes"]) * 60 * 1000000
    script_faults()
    link = make_link()
    task = asyncio.create_task(link.run())
    links = [link]
    if ARGS["restart"] is not None:
        await asyncio.sleep_ms(int(ARGS["restart"]) * 60000)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        import aioble
        aioble.stop()
        link = make_link(link.seen.newest, link.missing())  # as kept in RTC memory (main.py)
        links.append(link)
        task = asyncio.create_task(link.run())
    while vtime.monotonic_us() < end_us:
        await asyncio.sleep_ms(min(60000, (end_us - vtime.monotonic_us()) // 1000 + 1))
    return links


def _bond_len():
    try:
        return len(open(ARGS["bond"]).read())
    except OSError:
        return 0


if ARGS["bond"] is None:
    import scratch
    own_bond_dir = scratch.fresh_dir("link_sim")
    ARGS["bond"] = own_bond_dir + "/bond.json"
try:
    links = asyncio.run(main())
    bond_len = _bond_len()
finally:   # scratch, even when the run fails
    if own_bond_dir:
        scratch.remove_dir(own_bond_dir)
end_us = vtime.monotonic_us()

# Truth: every reading the transmitter took, except the newest window when it
# is younger than one period (a missed last window has had no next session
# to backfill it from).
k_last = tx.current_window(end_us - 330 * 1000000)
truth = {}
for k in range(0, k_last + 1):
    d, g, st, tr = tx.reading(k)
    truth[d] = (g if st in (6, 7) and g > 13 else None, U0 + tx.window_us(k) // 1000000, st)
got = {}
dups = 0
truth_n = len(truth)
wrong = []
for r in readings:
    d = r[0]
    if d in got:
        dups += 1
    got[d] = r
    t = truth.get(d)
    if t is None:
        if tx.current_window(end_us) < (d - tx.first_dex) // 300:
            wrong.append(("future", r))
        continue
    if r[2] != t[0] or r[1] is None or abs(r[1] - t[1]) > 1 or r[4] != t[2]:
        wrong.append(("mismatch", r, t))
captured = sum(1 for d in truth if d in got)
missing = sorted((d - tx.first_dex) // 300 for d in truth if d not in got)
session_ms.sort()
lk = links[-1]
summary = {
    "windows": len(truth), "captured": captured, "capture_rate": captured / len(truth) if truth else 0,
    "readings": len(readings), "duplicates": dups, "wrong": wrong[:5], "n_wrong": len(wrong),
    "live": sum(1 for r in readings if r[5] == "live"),
    "backfill": sum(1 for r in readings if r[5] == "backfill"),
    "sessions": len(session_ms),
    "median_session_ms": session_ms[len(session_ms) // 2] if session_ms else None,
    "max_session_ms": session_ms[-1] if session_ms else None,
    "scan_ms": sum(l.scan_ms for l in links), "sim_ms": end_us // 1000,
    "scan_duty": sum(l.scan_ms for l in links) / (end_us / 1000),
    # the share of time the radio listened (scan windows over intervals)
    "radio_scan_duty": bluetooth.BLE().stats["scan_us"] / end_us,
    "adv_heard": bluetooth.BLE().stats["adv_events_heard"], "scan_backlog_max": backlog[0],
    "readings_before_mark": before_mark[0],
    "first_reading_s": first_reading_s[0] if first_reading_s else None, "bond_file": bond_len,
    "bond_path": ARGS["bond"],
    "what": {}, "missing_windows": missing[:20], "tx_log": len(tx.log), "status": lk.status(),
    "missed_by_tx": sum(1 for x in tx.log if x[1] == "missed"), "damaged_by_tx": tx.damaged,
    "backfills_asked": tx.backfills,
}
summary["what"] = counts
if ARGS["events"]:
    summary["events"] = events
print("SUMMARY " + json.dumps(summary))
