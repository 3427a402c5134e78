"""The link when the radio refuses a scan (OSError EBUSY: NimBLE's answer while a
connection attempt is still pending, e.g. one that timed out in aioble without being
cancelled). aioble keeps the scanner whose start failed as its active scanner and, at the
next scan, waits for that scanner's end for ever: the link made no progress until the
watchdog reset the board (found by tools/chaos.py, seed 189: no readings for 20 min)."""
import json
import os

from conftest import ROOT, run_micropython

PROG = r'''
import sys, json
sys.path.insert(0, HOST)
import vtime
vtime.install(0, wall_unix=1700000000)
import vradio
vradio.install()
import asyncio
import bluetooth
from link.core import Link

out = {}
link = Link({"transmitter_id": "8G1234", "slot": 1, "bond_path": BOND}, lambda r: None,
            lambda ev: None)


async def main():
    ble = bluetooth.BLE()
    ble.active(True)
    ble.gap_connect(0, b"\x01\x02\x03\x04\x05\x06", 2000)   # an attempt still pending
    try:
        await link._scan(1000, 1280000, 11250)
        out["first"] = "scanned"
    except OSError as e:
        out["first"] = "OSError %d" % e.errno
    try:
        out["second"] = repr(await asyncio.wait_for_ms(link._scan(1000, 1280000, 11250), 60000))
    except asyncio.TimeoutError:
        out["second"] = "hung"

asyncio.run(main())
print(json.dumps(out))
'''


def test_a_refused_scan_does_not_hang_the_next(tmp_path):
    prog = PROG.replace("HOST", repr(os.path.join(ROOT, "tools", "host"))).replace(
        "BOND", repr(str(tmp_path / "bond.json")))
    r = run_micropython(["-c", prog], timeout=60, cwd=str(tmp_path))
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["first"] in ("OSError 16", "scanned"), out
    assert out["second"] == "None", out   # the scan ran its second and found no transmitter
