# The firmware process of `make sim` (runs on the MicroPython unix port).
# Boots the virtual ESP32, starts the virtual transmitter on the virtual
# radio, then runs the unchanged firmware/main.py from a "flash" folder
# (build/sim-flash: config.json, bond file, upload queue). Every firmware
# event is printed as one JSON line with t_ms (the firmware clock); the
# firmware's console log goes to stderr. A watchdog or machine reset reboots
# the firmware in place, as the board would (RTC memory and flash survive).
# Options come as JSON in SIM_OPTIONS (see tools/sim.py).
import sys
import os
import json

OPTS = json.loads(os.getenv("SIM_OPTIONS") or "{}")
ROOT = os.getcwd()
TRACE_EPOCH = 1767225600  # the traces' minute 0: 2026-01-01 00:00 UTC
DEFAULT_TX_ID = "8G1234"
WIFI = {"ssid": "sim-home", "password": "sim-password"}

import virtual_esp32  # noqa: E402  (tools/host is on MICROPYPATH)

start_min = int(OPTS.get("start", 0))
virtual_esp32.install(OPTS.get("speed", 0), TRACE_EPOCH + start_min * 60)
import vtime  # noqa: E402
import machine  # noqa: E402
import network  # noqa: E402

machine.log_limit = 400  # the pin log is for tests; keep it out of the firmware's heap


class SimDone(Exception):
    pass


def _now_ms():
    return vtime.monotonic_us() // 1000


def emit(ev):
    ev = dict(ev)
    ev["t_ms"] = _now_ms()
    print(json.dumps(ev))


def _mkdirs(path):
    cur = ""
    for part in path.split("/"):
        cur = cur + "/" + part if cur or path.startswith("/") else part
        try:
            os.mkdir(cur)
        except OSError:
            pass


def config():
    if OPTS.get("config"):
        with open(OPTS["config"]) as f:
            cfg = json.load(f)
    else:
        cfg = {"transmitter_id": OPTS.get("tx_id", DEFAULT_TX_ID), "board": "esp32-devkitc",
               "lan_api": {"enabled": False}}
    if OPTS.get("http_port"):
        cfg.setdefault("lan_api", {})
        cfg["lan_api"]["enabled"] = True
        cfg["lan_api"]["port"] = int(OPTS["http_port"])
    if OPTS.get("nightscout_url"):
        cfg.setdefault("nightscout", {})
        cfg["nightscout"]["url"] = OPTS["nightscout_url"]
        if OPTS["nightscout_url"].startswith("http:"):
            cfg["nightscout"]["allow_http"] = True
        if OPTS.get("nightscout_secret"):
            cfg["nightscout"]["api_secret"] = OPTS["nightscout_secret"]
    if OPTS.get("mqtt"):
        host, _, port = OPTS["mqtt"].partition(":")
        cfg.setdefault("mqtt", {})
        cfg["mqtt"]["host"] = host
        cfg["mqtt"]["port"] = int(port or 1883)
    forwarding = (cfg.get("lan_api") or {}).get("enabled") or (cfg.get("nightscout") or {}).get(
        "url") or (cfg.get("mqtt") or {}).get("host")
    if forwarding and not cfg.get("wifi"):
        cfg["wifi"] = [WIFI]
    for w in cfg.get("wifi") or []:
        network.world.add_ap(w["ssid"], w.get("password", ""))
    return cfg


def main():
    flash = OPTS.get("flash") or ROOT + "/build/sim-flash"
    _mkdirs(flash)
    for f in ("config.json", "ble_secrets.json", "nsqueue.bin"):
        try:
            os.remove(flash + "/" + f)
        except OSError:
            pass
    with open(flash + "/config.json", "w") as f:
        json.dump(config(), f)
    trace = OPTS["trace"]
    import vtx
    tx = vtx.start(trace, transmitter_id=OPTS.get("tx_id", DEFAULT_TX_ID),
                   faults=OPTS.get("faults", ""), seed=int(OPTS.get("seed", 1)),
                   start_minute=start_min)
    os.chdir(flash)
    end_us = int(OPTS.get("hours", 11) * 3600e6)

    def stop():
        raise SimDone()

    vtime.call_at(end_us, stop)
    boots = 0
    while True:
        boots += 1
        import asyncio
        from app import log
        log.sink = lambda line: print(line, file=sys.stderr)
        import main as firmware
        app = firmware.App("config.json", boards_dirs=(ROOT + "/boards",))
        app.http_host = "127.0.0.1"
        app.listeners.append(emit)
        try:
            asyncio.run(app.start())
        except SimDone:
            break
        except SystemExit as e:  # machine.reset() or the watchdog
            emit({"event": "reset", "cause": machine.reset_cause(), "detail": str(e)})
            virtual_esp32.forget_firmware()
            asyncio.new_event_loop()
    st = tx.stats() if hasattr(tx, "stats") else {}
    emit({"event": "sim_end", "boots": boots, "transmitter": st})


main()
