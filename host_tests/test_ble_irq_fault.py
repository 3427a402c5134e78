"""One exception inside the Bluetooth IRQ handler (review of session 43, helper-187).

On the ESP32, MicroPython's extmod/modbluetooth.c (invoke_irq_handler_run_protected,
1.29: lines 1240-1247) prints an uncaught exception from the handler set by
`ble.irq()` and then DISABLES it: `o->irq_handler = mp_const_none`. aioble sets its
handler once, at import (aioble/core.py: `ble.irq(ble_irq)`), so from then on no scan
result, connect, GATT or encryption event reaches aioble or the link until the board
resets. The host's vradio "printed and carried on", kinder than the board; since
session 43 it drops the handler as the port does (vradio.Controller._irq).

This test runs the real firmware (tools/sim.py -> simboot) with one MemoryError
raised by the handler for one advert at 1 h (aioble's scan-result handler allocates a
ScanResult, bytes of the address and advert per advert: the 64 KiB heap's MemoryError
"anywhere" that the supervisor is built for)."""
import json
import os
import subprocess
import sys

from conftest import ROOT

PATCH = r'''
import vradio, vtime
FAULT_US = %d
_real = vradio.Controller._irq
_state = {"done": False}
def _irq(self, event, data, scratch=()):
    if (self._handler is not None and self is vradio.default_controller() and event == 5
            and not _state["done"] and vtime.monotonic_us() >= FAULT_US):
        _state["done"] = True   # aioble's scan-result handler runs out of heap, once
        handler = self._handler
        def short_of_heap(event, data):
            if not _state.get("raised"):
                _state["raised"] = True
                raise MemoryError("memory allocation failed")
            return handler(event, data)
        self._handler = short_of_heap
    return _real(self, event, data, scratch)
vradio.Controller._irq = _irq
'''

DRIVER = r'''
import os, sys
sys.path.insert(0, os.path.join(ROOT, "tools"))
import sim
real = sim.firmware_process
def patched(o):
    import subprocess, json
    import mpybuild
    env = dict(os.environ)
    env["MICROPYPATH"] = PATCH_DIR + ":" + mpybuild.build()
    o = dict(o, mpy=True)
    env["SIM_OPTIONS"] = json.dumps(o)
    cmd = [sim.micropython_binary(), "-X", "heapsize=" + o["heap"], "-c", "import irqfault\nimport simboot"]
    os.makedirs(os.path.dirname(sim.log_path(o)), exist_ok=True)
    log = open(sim.log_path(o), "w")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=ROOT)
sim.firmware_process = patched
sim.main()
'''


def sim_with_an_irq_fault(tmp_path, hours, fault_s):
    pdir = tmp_path / "patch"
    pdir.mkdir()
    (pdir / "irqfault.py").write_text(PATCH % (fault_s * 1000000))
    env = dict(os.environ, HEADLESS="1", HOURS=str(hours), PLOT="", FLASH=str(tmp_path / "flash"))
    for k in ("TRACE", "START", "DAYS", "CONFIG", "HTTP_PORT", "INJECT"):
        env.pop(k, None)
    prog = "ROOT, PATCH_DIR = %r, %r\n" % (ROOT, str(pdir)) + DRIVER
    r = subprocess.run([sys.executable, "-c", prog], env=env, capture_output=True, text=True,
                       timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]


def test_one_exception_in_the_ble_irq_handler_does_not_end_the_readings_for_the_night(tmp_path):
    fault_s = 3600
    ev = sim_with_an_irq_fault(tmp_path, 4, fault_s)
    readings = [e["t_ms"] for e in ev if e["event"] == "reading" and e.get("sgv") is not None]
    assert [t for t in readings if t < fault_s * 1000], "no readings before the fault"
    after = [t for t in readings if t > fault_s * 1000]
    resets = [e for e in ev if e["event"] == "reset"]
    onsets = [(e["t_ms"] // 60000, e["type"], e.get("reason")) for e in ev if e["event"] == "alarm_onset"]
    summary = {"readings_before": len(readings) - len(after), "readings_after": len(after),
               "resets": [(e["t_ms"] // 60000, e.get("cause")) for e in resets],
               "onsets_after_fault": [o for o in onsets if o[0] >= fault_s // 60]}
    # the handler disabled, the link hears nothing more: its progress check stops the
    # watchdog's feeding (LINK_SILENT_MS), the board resets, and the readings come back,
    # within 30 min of the fault; `no_data` meanwhile
    assert [c for m, c in summary["resets"] if m >= fault_s // 60] == [3], summary
    assert [t for t in after if t < (fault_s + 1800) * 1000], summary
    assert any(o[1] == "no_data" for o in summary["onsets_after_fault"]), summary
