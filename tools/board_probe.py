# Runs ON a board (the firmware installed by `make flash`): measures what the host can
# only estimate (README "Known gaps": TLS handshake time, the PWM tones the LEDC really
# makes, the event loop's lateness and the alarm rhythm's, flash writes, a display frame,
# BLE adverts heard).
#
#   make probe PORT=/dev/ttyUSB0      (tools/probe.py sends this file through mpremote)
#   make probe                        (on the host's unix port over the fakes: a check of
#                                      this script, not figures of a board)
#
# One line per section: PROBE {"<section>": {...}}; a section that cannot run says why
# ({"skipped": ...} or {"error": ...}) and the next one runs. Harmless to the box: the
# buzzer stays silent (duty 0), the only file written is a scratch one it removes, and a
# server gets one TLS handshake and one HEAD / (no credentials). The firmware does not
# run meanwhile: `make probe` resets the board at the end.
import gc
import json
import sys
import time


FALLBACK_BOARD = "esp32-devkitc"   # main.FALLBACK_BOARD


def _us():
    return time.ticks_us()


def _ms_since(t0):
    return time.ticks_diff(time.ticks_us(), t0) / 1000


def _stats(xs):
    xs = sorted(xs)
    n = len(xs)
    return {"n": n, "p50": xs[n // 2], "p99": xs[min(n - 1, n * 99 // 100)], "max": xs[-1]}


def runtime():
    import machine
    gc.collect()
    free0, alloc0 = gc.mem_free(), gc.mem_alloc()
    before = set(sys.modules)
    t0 = _us()
    try:
        import main  # noqa: F401 (the firmware and what it imports at boot)
    except MemoryError:
        # .py files on a board without PSRAM (README): what came in goes, so the
        # sections after this one have the heap back
        for name in set(sys.modules) - before:
            del sys.modules[name]
        gc.collect()
        raise
    took = _ms_since(t0)
    gc.collect()
    return {"platform": sys.platform, "version": sys.version,
            "machine": getattr(sys.implementation, "_machine", ""),
            "cpu_hz": machine.freq() if hasattr(machine, "freq") else None,
            "heap_total": free0 + alloc0, "heap_free_before": free0,
            "import_main_ms": took, "import_main_bytes": gc.mem_alloc() - alloc0,
            "heap_free_after": gc.mem_free()}


def setup():
    """(config, board) as the box reads them at boot (without importing main: the
    sections after this one run on a board whose firmware does not fit as files)."""
    from app import config
    from sound import board as boards
    cfg, problems = config.load("config.json")
    name, fallback = cfg.get("board") or FALLBACK_BOARD, False
    try:
        board = boards.load(name)
    except Exception:
        board, fallback = boards.load(FALLBACK_BOARD), True
    return cfg, board, {"board": cfg.get("board"), "fallback_board": fallback,
                        "config_problems": len(problems)}


def loop():
    """How late a 10 ms sleep wakes (the annunciator's pulse edges sleep like it)."""
    import asyncio
    late = []

    async def ticker(n):
        for _ in range(n):
            t0 = _us()
            await asyncio.sleep_ms(10)
            late.append(_ms_since(t0) - 10)
    asyncio.run(ticker(300))
    return {"sleep_10ms_late_ms": _stats(late)}


def sound(board, seconds=12):
    """The rhythm's timing on this board's event loop: a high alarm played by the
    annunciator into a recorder in place of the buzzer and the light (silent, dark):
    each edge's lateness against the pattern, and the pulse lengths."""
    import asyncio
    from sound import annunciator, patterns
    edges = []

    class Buzzer:
        on = False

        def set(self, on, freq, duty):
            if on != self.on:
                self.on = on
                edges.append((_us(), on))

    class Light:
        def set(self, rgb):
            pass

    ann = annunciator.Annunciator(board)
    ann._buzzer, ann._led = Buzzer(), Light()

    async def play():
        task = asyncio.create_task(ann.run())
        ann.set({"type": "urgent_low", "priority": "high", "level": 0, "status": "sounding"})
        await asyncio.sleep_ms(seconds * 1000)
        ann.stop(task)
    asyncio.run(play())
    pulses, period = patterns.sound("high")[:2]
    want = []
    for k in range(seconds * 1000 // period + 1):
        for s, d in pulses:
            want += [(k * period + s, True), (k * period + s + d, False)]
    if not edges:
        return {"error": "no sound drawn"}
    t0 = edges[0][0]
    late = [time.ticks_diff(t, t0) / 1000 - w[0] for (t, on), w in zip(edges, want)]
    wrong = sum(1 for (t, on), w in zip(edges, want) if on != w[1])
    lengths = [time.ticks_diff(edges[i + 1][0], edges[i][0]) / 1000
               for i in range(len(edges) - 1) if edges[i][1]]
    return {"edges": len(edges), "out_of_order": wrong, "edge_late_ms": _stats(late),
            "pulse_ms": _stats(lengths) if lengths else None}


def pwm(board):
    """The tones the buzzer's LEDC channel really makes, silent (duty 0): each
    priority's tone set through the firmware's own driver, so moved up by the
    board's `octaves` or replaced by its `freq_hz` as at an alarm."""
    from sound import outputs, patterns
    bz = board["buzzer"]
    if bz.get("kind") != "pwm":
        return {"skipped": "buzzer kind %r" % bz.get("kind")}
    buzzer = outputs.PwmBuzzer(bz)
    got = {}
    try:
        for p in patterns.PRIORITIES:
            buzzer.set(True, patterns.sound(p)[3], 0)
            got[str(buzzer.state[1])] = buzzer.pwm.freq()
    finally:
        buzzer.set(False, 0, 0)
        buzzer.deinit()
    return {"pin": bz["pin"], "freq_hz_asked_got": got}


def flash():
    """An upload queue's save (7.2 KB, write_atomic as the firmware does it)."""
    import os
    from app import fsutil
    data = bytes(7200)
    took = []
    try:
        for _ in range(3):
            t0 = _us()
            fsutil.write_atomic("probe.tmp", data)
            took.append(_ms_since(t0))
    finally:
        for p in ("probe.tmp", "probe.tmp" + fsutil.BAK, "probe.tmp.tmp"):
            fsutil.remove_if_present(p)
    st = os.statvfs(".")
    return {"write_atomic_7200_ms": took, "fs_free_kb": st[0] * st[3] // 1024}


def display(board):
    """One whole frame as the display task draws it (paint + show)."""
    d = board.get("display")
    if not d:
        return {"skipped": "no display in the board file"}
    import reading
    from screen import draw, view
    if d["kind"] == "st7789":
        from screen import st7789 as panel_mod
    else:
        from screen import oled as panel_mod
    t0 = _us()
    panel = panel_mod.open_panel(d)
    opened = _ms_since(t0)
    v = view.compose(reading.make(600, None, 123, -1.2, 6, reading.LIVE), 60, None, 720)
    t0 = _us()
    for _ in draw.steps(panel, v, 0, True):
        pass
    drawn = _ms_since(t0)
    t0 = _us()
    panel.show(v[7])
    return {"kind": d["kind"], "open_ms": opened, "draw_ms": drawn, "show_ms": _ms_since(t0)}


def net(cfg):
    """Wi-Fi join, the server's DNS lookup, TCP connect, the TLS handshake (the step
    the forwarders hold the event loop for: forward.wifi.BLOCK_MS), and whether the
    host answers plain HTTP with a Date (how a box without a clock gets one)."""
    nets = cfg.get("wifi") or []
    if not nets:
        return {"skipped": "no wifi in config.json"}
    import network
    import socket
    from forward import http, wifi
    w = network.WLAN(network.STA_IF)
    w.active(True)
    t0 = _us()
    if not w.isconnected():
        w.connect(nets[0]["ssid"], nets[0]["password"])
        while not w.isconnected() and _ms_since(t0) < 20000:
            time.sleep_ms(100)
    out = {"wifi_join_ms": _ms_since(t0), "wifi_up": w.isconnected()}
    sect = cfg.get("nightscout") if (cfg.get("nightscout") or {}).get("url") else cfg.get("follow")
    if not out["wifi_up"] or not (sect or {}).get("url"):
        out["skipped"] = "Wi-Fi down" if not out["wifi_up"] else "no nightscout or follow url"
        return out
    scheme, host, port, _ = http.parse_url(sect["url"])
    t0 = _us()
    addr = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0][-1]
    out["dns_ms"] = _ms_since(t0)
    s = socket.socket()
    try:
        t0 = _us()
        s.connect(addr)
        out["tcp_connect_ms"] = _ms_since(t0)
        if scheme == "https":
            with open(sect["ca_file"], "rb") as f:
                ctx = http.tls_context(f.read())
            t0 = _us()
            s = ctx.wrap_socket(s, server_hostname=host)
            out["tls_handshake_ms"] = _ms_since(t0)
            out["block_ms_assumed"] = wifi.BLOCK_MS
    finally:
        s.close()
    import asyncio
    t0 = _us()
    try:
        out["port80_date"] = asyncio.run(http.plain_date(host, None, 10))
    except Exception as e:
        out["port80_date"] = "%s: %s" % (type(e).__name__, e)
    out["port80_ms"] = _ms_since(t0)
    return out


def ble(cfg, seconds=12):
    """Advertisements heard in a scan as the link's (passive, 30/30 ms), and the
    transmitter's name among them."""
    tx = cfg.get("transmitter_id")
    import asyncio
    import aioble
    from dexcom import protocol
    want = protocol.NAME_PREFIX + tx[-2:] if tx else None   # as the link scans for it
    seen = {"adverts": 0, "dexcom": {}}

    async def scan():
        async with aioble.scan(seconds * 1000, interval_us=30000, window_us=30000) as sc:
            async for r in sc:
                seen["adverts"] += 1
                n = r.name()
                if n and n.startswith(protocol.NAME_PREFIX):
                    seen["dexcom"][n] = max(r.rssi, seen["dexcom"].get(n, -200))
    asyncio.run(scan())
    return {"seconds": seconds, "adverts": seen["adverts"], "dexcom_rssi": seen["dexcom"],
            "transmitter_name": want, "transmitter_heard": want in seen["dexcom"]}


def _run(name, fn, *args):
    gc.collect()
    try:
        d = fn(*args)
    except Exception as e:
        d = {"error": "%s: %s" % (type(e).__name__, e)}
    print("PROBE " + json.dumps({name: d}))
    return d


def main_probe():
    _run("runtime", runtime)
    try:
        cfg, board, about = setup()
    except Exception as e:
        print("PROBE " + json.dumps({"setup": {"error": "%s: %s" % (type(e).__name__, e)}}))
        return
    print("PROBE " + json.dumps({"setup": about}))
    _run("loop", loop)
    _run("sound", sound, board)
    _run("pwm", pwm, board)
    _run("flash", flash)
    _run("display", display, board)
    _run("net", net, cfg)
    _run("ble", ble, cfg)
    print("PROBE-DONE")


main_probe()
