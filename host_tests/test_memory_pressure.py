"""The firmware when the heap runs short (tools/bench_memory.py measures a whole day).

On MicroPython, the real App with every forwarder configured, on the virtual
board and clock: MemoryErrors that a part catches and retries (the link's
session, an event listener) must end in the `device` alarm (reason memory),
and the non-essential parts (Nightscout, MQTT, the LAN API) are paused so the
alarm path keeps the heap, and come back once the errors stop."""
import json
import os

from conftest import ROOT, run_micropython

PROG = r'''
import sys
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import asyncio, json, main
from app import log, wiring
log.sink = lambda line: print(line, file=sys.stderr)
events = []
app = main.App(CFG, boards_dirs=(BOARDS,), listeners=(events.append,))
OOM = "error: MemoryError('memory allocation failed, allocating 512 bytes',)"
SHED = ("nightscout", "mqtt", "web")


def device_onsets():
    return [e.get("reason") for e in events if e.get("event") == "alarm_onset" and e.get("type") == "device"]


def alive():
    st = app.sup.status()
    return {n: st[n]["alive"] for n in SHED + ("alarms", "link") if n in st}


async def scenario():
    asyncio.create_task(app.start())
    out = {}
    await asyncio.sleep(60)
    out["start"] = {"device": device_onsets(), "alive": alive()}
    # the link's session caught a MemoryError at three windows in a row, and a listener ran out
    for i in range(MEMORY_EVENTS):
        wiring.on_link_event(app, {"event": "link", "what": "disconnected", "reason": OOM})
        await asyncio.sleep(300)
    out["pressure"] = {"device": device_onsets(), "alive": alive()}
    await asyncio.sleep(2 * 3600)  # no more MemoryErrors
    out["later"] = {"device": device_onsets(), "alive": alive(),
                    "cleared": [e.get("reason") for e in events if e.get("event") == "alarm_clear"
                                and e.get("type") == "device"]}
    print("RESULT " + json.dumps(out))
    sys.exit(0)

asyncio.run(scenario())
'''


def run(tmp_path, memory_events):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({
        "transmitter_id": "8G1234", "board": "esp32-devkitc",
        "wifi": [{"ssid": "home", "password": "password123"}],
        "nightscout": {"url": "http://127.0.0.1:9/", "api_secret": "0123456789abcdef",
                       "allow_http": True},
        "mqtt": {"host": "127.0.0.1", "port": 9},
        "lan_api": {"enabled": True, "port": 17599}}))
    prog = "CFG, BOARDS, MEMORY_EVENTS = %r, %r, %d\n" % (
        str(cfg), os.path.join(ROOT, "boards"), memory_events) + PROG
    r = run_micropython(["-c", prog], cwd=str(tmp_path), heap="2M", timeout=120, check=False, env={
        "MICROPYPATH": ".frozen:%s:%s:%s" % (os.path.join(ROOT, "tools", "host"),
                                            os.path.join(ROOT, "firmware"),
                                            os.path.join(ROOT, ".mpylib"))})
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(line[0][7:])


def test_memory_errors_a_part_survives_raise_device_and_pause_the_forwarders(tmp_path):
    out = run(tmp_path, 3)
    assert out["start"]["device"] == [], out
    assert all(out["start"]["alive"].values()), out
    # three MemoryErrors within 10 minutes: the family hears it, and the forwarders
    # stop competing with the link and the alarm task for the heap
    assert "memory" in out["pressure"]["device"], out
    shed = out["pressure"]["alive"]
    assert not shed["nightscout"] and not shed["mqtt"] and not shed["web"], out
    assert shed["alarms"] and shed["link"], out
    # quiet for long enough: the alarm clears and the forwarders run again
    assert "memory" in out["later"]["cleared"], out
    assert all(out["later"]["alive"].values()), out


def test_a_single_memory_error_is_retried_without_an_alarm(tmp_path):
    out = run(tmp_path, 1)
    assert out["pressure"]["device"] == [], out
    assert all(out["pressure"]["alive"].values()), out
