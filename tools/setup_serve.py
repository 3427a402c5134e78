# The setup page served by the firmware on the MicroPython unix port, for
# the browser test (host_tests/test_setup_browser.py) and for trying it by hand:
#
#   MICROPYPATH=.frozen:$PWD/firmware:$PWD/.mpylib:$PWD/tools/host \
#     .venv/bin/micropython -X heapsize=64K tools/setup_serve.py DIR PORT [--lan-api [--lan-api-port N]]
#
# DIR holds config.json (a missing one means the defaults, as on a new box)
# and the AP key. The clock is vtime at speed 1 (real time), `network` is the host fake
# (tools/host/network.py), the box state shown is a fixed sample (a reading,
# one alarm, the link authenticated). With --lan-api the forwarding LAN API
# also runs in this process (it changes microdot's class-wide limits; the
# setup page must keep working). Prints "READY <port>" when listening, one
# JSON line per event ({"event": "setup_saved"|"ap"|"phone_clock", ...}) and, with --measure,
# after each burst
# of requests {"event": "heap", "request_bytes", "peak_request_bytes", "free_idle"}
# (bytes allocated with the GC off: an upper bound of what serving needs).
import sys
import json

import vtime

vtime.install(1)
import machine  # noqa: E402  (host fakes: tools/host on MICROPYPATH)
import network  # noqa: E402

sys.modules["machine"] = machine
sys.modules["network"] = network

import asyncio  # noqa: E402
import gc  # noqa: E402
import micropython  # noqa: E402

import clock  # noqa: E402
from app import log  # noqa: E402
from setup import ap as setup_ap  # noqa: E402
from setup import web  # noqa: E402

folder, port = sys.argv[1], int(sys.argv[2])
lan_api = "--lan-api" in sys.argv
# --lan-api-port N: where the LAN API listens (default PORT + 1)
lan_api_port = (int(sys.argv[sys.argv.index("--lan-api-port") + 1]) if "--lan-api-port" in sys.argv
                else port + 1)
cfg_path = folder + "/config.json"
log.sink = lambda line: print(line, file=sys.stderr)
peak = [0]


def emit(ev):
    print(json.dumps(ev))


def sample_state():
    now = clock.unix()
    return {"last_reading": (86400, now - 130, 142, 15, 6, "live"), "now_unix": now,
            "minute_of_day": (now // 60) % 1440,
            "alarms": [{"type": "high", "priority": "low", "status": "snoozed", "level": 0,
                        "since_s": 10, "reason": "threshold"}],
            "link": "authenticated", "wifi": None}


def on_saved(cfg):
    emit({"event": "setup_saved", "transmitter_id": cfg["transmitter_id"],
          "low": cfg["alarms"]["low"]})


def measure(app):
    """Bytes each request allocates with the GC off: an upper bound of the
    extra heap it needs (overlapping requests are counted together)."""
    orig = app.handle_request
    busy = [0, 0]   # requests in flight, mem_alloc when the first began

    async def measured(reader, writer):
        if not busy[0]:
            gc.collect()
            gc.disable()
            busy[1] = gc.mem_alloc()
        busy[0] += 1
        try:
            await orig(reader, writer)
        finally:
            busy[0] -= 1
            if not busy[0]:
                used = gc.mem_alloc() - busy[1]
                gc.enable()
                gc.collect()
                if used > peak[0]:
                    peak[0] = used
                emit({"event": "heap", "request_bytes": used, "peak_request_bytes": peak[0],
                      "free_idle": gc.mem_free()})
    app.handle_request = measured


def count_refusals(app):
    """{"event": "refused", "total": n} each time the server closes a connection
    unanswered (too many at once, or too many from one address)."""
    orig = app.handle_request

    async def counted(reader, writer):
        before = app.refused
        await orig(reader, writer)
        if app.refused > before:
            emit({"event": "refused", "total": app.refused})
    app.handle_request = counted


def heap_line(tag=""):
    """The live heap after a collection on stderr, and before it, on stdout, the interned
    names' pools (micropython.qstr_info: "qstr pool: ... n_total_bytes=N"). Those pools are
    the interpreter's for good, not the page's: a new one (about 14 KB on the 64-bit port)
    is made whenever the last fills, which may be in the middle of a page (a module that
    interned four more names moved the moment into the browser test's pages)."""
    gc.collect()
    micropython.qstr_info()
    print("heap live %d free %d%s" % (gc.mem_alloc(), gc.mem_free(), tag), file=sys.stderr)


def trace_heap():
    """--heap-trace: heap_line at every page chunk and settings save."""
    orig = web._chunks

    def chunks(gen):
        for c in orig(gen):
            heap_line()
            yield c
    web._chunks = chunks
    save = web.appconfig.save

    def traced_save(path, cfg):
        heap_line(" (save)")
        return save(path, cfg)
    web.appconfig.save = traced_save


async def main():
    network.world.add_ap("home-net", "home-pass-1", rssi=-55)
    sta = network.WLAN(network.STA_IF)
    sta.active(True)
    key = setup_ap.device_key(folder + "/setup_key.bin", machine.unique_id())
    point = setup_ap.AccessPoint(network, machine.unique_id(), key,
                                 on_change=lambda is_open, why: emit(
                                     {"event": "ap", "open": is_open, "why": why}))
    srv = web.SetupServer(cfg_path, state=sample_state, on_saved=on_saved, ap=point,
                          networks=lambda: [s[0].decode() for s in sta.scan()],
                          phone_clock=lambda unix_s: emit({"event": "phone_clock",
                                                           "unix_s": unix_s}))
    if not srv.cfg.get("wifi"):
        point.open("no_wifi")
    if "--heap-trace" in sys.argv:
        trace_heap()
    if "--measure" in sys.argv:
        measure(srv.app)
    count_refusals(srv.app)
    tasks = [asyncio.create_task(point.run())]
    if lan_api:
        from forward.lanapi import LanApi
        from forward.history import History
        api = LanApi({"port": lan_api_port}, History(8))
        tasks.append(asyncio.create_task(api.run("127.0.0.1")))
    server = asyncio.create_task(srv.run("127.0.0.1", port))
    await asyncio.sleep(0.1)
    gc.collect()
    if "--heap-trace" in sys.argv:
        micropython.qstr_info()   # the pools at idle, on stdout before READY
    print("READY %d idle_alloc=%d" % (port, gc.mem_alloc()))
    if "--probe" in sys.argv:   # the heap the idle server holds (code + data), then exit
        return
    await server


asyncio.run(main())
