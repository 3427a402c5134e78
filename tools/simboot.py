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
if OPTS.get("mpy"):  # precompiled modules (build/mpy, tools/mpybuild.py) only
    sys.path.pop(0)  # the script's own folder (tools/), whose vtx is source
ROOT = os.getcwd()
TRACE_EPOCH = 1767225600  # the traces' minute 0: 2026-01-01 00:00 UTC
DEFAULT_TX_ID = "8G1234"
WIFI = {"ssid": "sim-home", "password": "sim-password"}

import virtual_esp32  # noqa: E402  (tools/host is on MICROPYPATH)

start_min = int(OPTS.get("start", 0))
# The board's wall clock starts on the trace's own calendar (minute 0 =
# 2026-01-01 00:00 UTC), unless a real server takes part: its Date header and
# NTP would then move the clock to today, so start there.
_REAL_PEERS = OPTS.get("nightscout_url") or OPTS.get("mqtt")
virtual_esp32.install(OPTS.get("speed", 0), None if _REAL_PEERS else TRACE_EPOCH + start_min * 60)
import vtime  # noqa: E402
import machine  # noqa: E402
import network  # noqa: E402

machine.set_log_limit(400)  # the pin log is for tests; keep it out of the firmware's heap


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
    """The configuration written to the virtual board's flash: CONFIG as it is
    (a broken file stays broken: the firmware must cope), or a leader for the
    virtual transmitter, plus what the command line asks for."""
    if OPTS.get("config"):
        with open(OPTS["config"]) as f:
            text = f.read()
        try:
            cfg = json.loads(text)
        except ValueError:
            return text
        if not isinstance(cfg, dict):
            return text
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


LIBRARIES = ("aioble", "microdot", "umqtt.simple", "ntptime")


def firmware_modules(root=ROOT + "/firmware", prefix=""):
    """Every module of firmware/ (all of it is frozen on the board)."""
    out = []
    for name in sorted(os.listdir(root)):
        path = root + "/" + name
        if name.endswith(".py") and name != "__init__.py":
            out.append(prefix + name[:-3])
        elif "." not in name and name != "__pycache__":
            try:
                os.stat(path + "/__init__.py")
            except OSError:
                continue
            out.append(prefix + name)
            out.extend(firmware_modules(path, prefix + name + "."))
    return out


def load_code():
    """Import the firmware's modules (bytecode the board keeps frozen in
    flash) next to the host fakes and the virtual transmitter; return the
    heap they take."""
    import gc
    for m in firmware_modules() + list(LIBRARIES):
        if m == "main":
            continue  # imported by the boot loop
        try:
            __import__(m)
        except ImportError:
            pass
    import main  # noqa: F401
    gc.collect()
    return gc.mem_alloc()


def probe():
    emit({"event": "probe", "heap_bytes": load_code()})


HEAP = {"code": 0, "ballast": None}


def heap_sampler(period_s, tx):
    import gc

    def sample():
        del tx.tx.log[:-50]  # the transmitter's own log is for tests: keep it out of the figure
        gc.collect()
        alloc = gc.mem_alloc()
        emit({"event": "heap", "alloc": alloc, "data": alloc - HEAP["code"], "free": gc.mem_free()})
        vtime.call_later(period_s * 1000, sample)

    vtime.call_later(period_s * 1000, sample)


# latency histogram, preallocated so the measurement does not grow the heap:
# 100 us buckets up to 200 ms (the last bucket holds the rest)
import array  # noqa: E402
LAT = {"irq_us": None, "hist": array.array("H", bytes(2 * 2000)), "n": 0}
_GLUCOSE_REPLIES = (0x31, 0x4F)


def hook_radio():
    """Stamp (real time) the IRQ that carries a glucose reply's last byte."""
    import bluetooth
    ctrl = bluetooth.BLE()
    real_irq = ctrl.irq
    rt = vtime._rt

    def irq(handler=None):
        if handler is None:
            return real_irq(handler)

        def wrapped(event, data):
            if event in (18, 19) and len(data) > 2 and len(data[2]) and data[2][0] in _GLUCOSE_REPLIES:
                LAT["irq_us"] = rt.ticks_us()
            return handler(event, data)
        return real_irq(wrapped)

    ctrl.irq = irq


def measure_latency(app):
    """Real microseconds from that IRQ to the alarm engine's decision."""
    take = app._take_reading
    rt = vtime._rt

    def timed(r):
        take(r)
        if LAT["irq_us"] is not None:
            us = rt.ticks_diff(rt.ticks_us(), LAT["irq_us"])
            LAT["hist"][min(1999, us // 100)] += 1
            LAT["n"] += 1
            LAT["irq_us"] = None
    app._take_reading = timed


def set_routers(up):
    """Every access point of the world on or off (the home's router losing power)."""
    for ssid in network.world.aps:
        network.world.set_ap(ssid, up)
    emit({"event": "router", "up": up})


POWER = {"off_s": None}


def power_cut(off_s):
    """The board loses power: RTC memory and the RTC's wall clock are gone (it counts
    from 2000-01-01 again until NTP or a server's Date sets it), flash stays; it
    powers on again off_s later (the boot loop waits, the world goes on)."""
    emit({"event": "power_cut", "off_s": off_s})
    machine._rtc_memory = b""
    POWER["off_s"] = off_s
    machine._do_reset(machine.PWRON_RESET)


def power_off_wait():
    """Run the world (transmitter, routers) for the time the board is off."""
    off_s, POWER["off_s"] = POWER["off_s"], None
    if off_s:
        import asyncio

        async def off():
            await asyncio.sleep(off_s)
        asyncio.run(off())
    if not (OPTS.get("inject") or {}).get("_keep_wall"):
        vtime.set_wall(0)


DAMAGE = {"flips": None}
QUEUE_FILE = "nsqueue.bin"   # app/wiring.py NS_QUEUE_FILE, in the flash folder (the cwd)


def damage_queue_at_reset(flips):
    """Reset the board; before the next boot, nsqueue.bin is damaged (damage_queue())."""
    DAMAGE["flips"] = flips
    emit({"event": "fault_injected", "what": "queue_damage"})
    machine.reset()


def damage_queue():
    """XOR bytes of the Nightscout queue file on the virtual flash (flips: [[fraction
    of the file's size, xor byte]]), as a flash fault or a half-written sector would;
    emits queue_damaged with the offsets (size None: there was no file)."""
    flips, DAMAGE["flips"] = DAMAGE["flips"], None
    try:
        with open(QUEUE_FILE, "rb") as f:
            data = bytearray(f.read())
    except OSError:
        emit({"event": "queue_damaged", "size": None, "offsets": []})
        return
    offsets = []
    for frac, xor in flips:
        if data:
            i = min(len(data) - 1, int(frac * len(data)))
            data[i] ^= xor or 1
            offsets.append(i)
    with open(QUEUE_FILE, "wb") as f:
        f.write(data)
    emit({"event": "queue_damaged", "size": len(data), "offsets": offsets})


LEADER = {"history": None, "api": None}


def _in_spans(t_s, spans):
    return any(a <= t_s < b for a, b in spans or ())


def leader_feed(spec, tx):
    """A leader box stand-in for a follower world (OPTS["inject"]["leader"]): it reads
    the same virtual transmitter's trace, one reading per window, into a History (the
    LAN API's own), as a leader box would, on its own wall clock (the sim's
    wall clock at power-on: a follower's power cut or wall jump does not move it). No reading
    while spec["silent_at_s"] spans (the leader lost its transmitter). Fed by
    vtime callbacks, so the leader lives on through the follower's resets."""
    from forward.history import History
    LEADER["history"] = hist = History(24)   # the follower asks for 12 at most
    epoch = vtime.time() + vtime.EPOCH_2000_UNIX   # the wall clock both boxes start with
    emit({"event": "leader_epoch", "unix_s": epoch})
    t = tx.tx

    def window(k):
        at_us = t.window_us(k)
        g = t.glucose(k)
        if g is not None and not _in_spans(at_us // 1000000, spec.get("silent_at_s")):
            prev = t.glucose(k - 1) if k > 0 else None
            trend = None if prev is None else (g - prev) * 2
            hist.add((t.window_dex(k), epoch + at_us // 1000000, g, trend, 6, "live"))
        vtime.call_at(t.window_us(k + 1), window, k + 1)

    vtime.call_at(t.window_us(0), window, 0)


def leader_close():
    """Close the leader's listening socket now. At the follower's reset the event loop
    that would have closed it is dropped, and the next boot's server found the port
    taken (EADDRINUSE): the server task's coroutine is made to run its own close."""
    api, LEADER["api"] = LEADER["api"], None
    srv = api and api.app.server
    if srv is None:
        return
    import asyncio
    srv.state = True   # asyncio's Server.close(), without waiting for the loop
    try:
        srv.task.coro.throw(asyncio.CancelledError)
    except BaseException:   # StopIteration: it closed its socket and returned
        pass


def leader_serve(app, spec):
    """At each boot of the follower: the leader's LAN API on 127.0.0.1:port, off
    (connection refused) during spec["down_at_s"] spans (the leader unplugged or
    off the network) and the router's outages (inject wifi_down_at_s)."""
    import asyncio
    from forward.lanapi import LanApi
    real_start = app.start

    async def serve():
        # the home's router off cuts the follower from the leader too: the fake Wi-Fi
        # does not stop loopback sockets, and the follower polls without asking it
        down = sorted(list(spec.get("down_at_s") or ()) + list(OPTS["inject"].get("wifi_down_at_s") or ()))
        while True:
            now_s = _now_ms() // 1000
            if _in_spans(now_s, down):
                nxt = max(b for a, b in down if a <= now_s < b)
                await asyncio.sleep(nxt - now_s)
                continue
            LEADER["api"] = api = LanApi({"port": int(spec["port"])}, LEADER["history"], log=lambda m: None)
            server = asyncio.create_task(api.run(host="127.0.0.1"))
            later = [a for a, b in down if a > now_s]
            if not later:
                await server
                return
            await asyncio.sleep(min(later) - now_s)
            emit({"event": "leader", "up": False})
            leader_close()
            await asyncio.sleep(1)
            server.cancel()
            api = server = None

    async def start():
        asyncio.create_task(serve())
        await real_start()
    app.start = start


def inject(app, boots):
    """Host-only fault injection for the resilience tests (OPTS["inject"]):
    {"task": name, "error": "MemoryError"|"ValueError"|"hang", "at_s": t, "times": n}
    makes that supervised task fail (or hang) from virtual time t;
    {"reset_at_s": t} resets the board at t; {"faults_at_s": [[t, spec], ...]} changes the
    virtual transmitter's fault modes at t and {"adc_at_s": [[t, pin, microvolts], ...]} an
    analog input (both set up in main()); {"wall_jumps": [[t, delta_s], ...]}
    moves the wall clock as NTP would; {"break_engine_at_s": t} makes every
    engine call raise from t; {"stall_annunciator_at_s": t} stops the
    annunciator's drawing task at t (once) while its supervised task lives on;
    {"button_at_boot": [boot, hold_s]} holds the push button down while boot number
    `boot` powers on and releases it hold_s later (null: never, a stuck button);
    {"button_held": [[t, hold_s], ...]} presses it at virtual time t for hold_s;
    {"wifi_down_at_s": [[a, b], ...]} turns every access point off from a to b (main());
    {"power_cut_at_s": [t, off_s]} cuts the power at t for off_s (power_cut());
    {"queue_damage_at_s": [t, [[fraction, xor], ...]]} resets the board at t and damages
    the Nightscout queue file before the next boot (damage_queue());
    {"leader": {"port": p, "silent_at_s": [[a, b]], "down_at_s": [[a, b]]}} runs a leader
    box stand-in for a follower configuration (leader_feed(), leader_serve())."""
    spec = OPTS.get("inject") or {}
    if spec.get("leader"):
        leader_serve(app, spec["leader"])
    if "button_at_boot" in spec or "button_held" in spec or not (app.board.get("button") or {}).get("pull"):
        import vbutton  # tools/host
        vbutton.inject(app, boots, spec)
    if spec.get("task") and boots == 1:
        real_add = app.add_task
        left = {"n": spec.get("times", 1)}

        def add_task(name, fn, period_s, critical=False, restart_on_hang=False):
            if name != spec["task"]:
                return real_add(name, fn, period_s, critical, restart_on_hang)

            async def faulty(checkin):
                import asyncio
                if left["n"] > 0 and _now_ms() >= spec.get("at_s", 0) * 1000:
                    left["n"] -= 1
                    if spec["error"] == "hang":
                        emit({"event": "fault_injected", "what": name + "_hang"})
                        await asyncio.Event().wait()
                    raise {"MemoryError": MemoryError, "ValueError": ValueError}[spec["error"]](
                        "injected into " + name)
                task = asyncio.create_task(fn(checkin))
                while not task.done():
                    if left["n"] > 0 and _now_ms() >= spec.get("at_s", 0) * 1000:
                        task.cancel()
                        return await faulty(checkin)
                    await asyncio.sleep(1)
                await task
            real_add(name, faulty, period_s, critical, restart_on_hang)

        app.add_task = add_task
    if boots == 1 and spec.get("break_engine_at_s"):
        eng = app.engine

        def broken(*a, **k):
            raise RuntimeError("injected: the alarm engine is broken")

        def break_it():
            for name in ("on_reading", "tick", "set_condition", "snooze", "acknowledge"):
                setattr(eng, name, broken)
        vtime.call_at(int(spec["break_engine_at_s"] * 1e6), break_it)
    if boots == 1 and spec.get("stall_annunciator_at_s") is not None:
        ann = app.ann
        real_run = ann.run

        async def stalling_run():
            import asyncio
            task = asyncio.create_task(real_run())
            while _now_ms() < spec["stall_annunciator_at_s"] * 1000:
                if task.done():
                    return
                await asyncio.sleep(1)
            ann.run = real_run  # once: a restarted annunciator runs normally
            emit({"event": "fault_injected", "what": "annunciator_stall"})
            ann.stop(task)
            await asyncio.Event().wait()  # an await that never returns
        ann.run = stalling_run
    if boots == 1:
        if spec.get("reset_at_s"):
            vtime.call_at(int(spec["reset_at_s"] * 1e6), machine.reset)
        if spec.get("power_cut_at_s"):
            t, off_s = spec["power_cut_at_s"]
            vtime.call_at(int(t * 1e6), power_cut, off_s)
        if spec.get("queue_damage_at_s"):
            t, flips = spec["queue_damage_at_s"]
            vtime.call_at(int(t * 1e6), damage_queue_at_reset, flips)
        for t, delta in spec.get("wall_jumps") or ():
            vtime.call_at(int(t * 1e6), lambda d=delta: vtime.set_wall(vtime.time() + d))


def main():
    flash = OPTS.get("flash") or ROOT + "/build/sim-flash"
    _mkdirs(flash)
    for f in ("config.json", "ble_secrets.json", "nsqueue.bin", "nsqueue.bin.bak"):
        try:
            os.remove(flash + "/" + f)
        except OSError:
            pass
    cfg = config()
    with open(flash + "/config.json", "w") as f:
        f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))
    trace = OPTS["trace"]
    hook_radio()
    import vtx
    from vtx import transmitter as _vtx_tx
    # the transmitter keeps 24 h for backfill; the link asks for at most 3 h:
    # keep 4 h, so the host's own memory stays out of the firmware's figure
    _vtx_tx._HISTORY_WINDOWS = 48
    adv_ms = int(OPTS.get("adv_interval_ms") or 0) or None
    tx = vtx.start(trace, transmitter_id=OPTS.get("tx_id", DEFAULT_TX_ID),
                   faults=OPTS.get("faults", ""), seed=int(OPTS.get("seed", 1)),
                   start_minute=start_min, adv_interval_ms=adv_ms)
    if adv_ms:
        emit({"event": "vtx", "adv_interval_us": tx.adv_interval_us})
    for t, spec in (OPTS.get("inject") or {}).get("faults_at_s") or ():
        vtime.call_at(int(t * 1e6), tx.tx.set_faults, spec)
    for t, pin, uv in (OPTS.get("inject") or {}).get("adc_at_s") or ():
        vtime.call_at(int(t * 1e6), machine.set_adc_uv, pin, uv)
    for a, b in (OPTS.get("inject") or {}).get("wifi_down_at_s") or ():
        vtime.call_at(int(a * 1e6), set_routers, False)
        vtime.call_at(int(b * 1e6), set_routers, True)
    if (OPTS.get("inject") or {}).get("leader"):
        leader_feed(OPTS["inject"]["leader"], tx)
    os.chdir(flash)
    if OPTS.get("probe"):
        return probe()
    end_us = int(OPTS.get("hours", 11) * 3600e6)
    HEAP["code"] = load_code()
    import gc
    emit({"event": "heap_code", "alloc": HEAP["code"], "free": gc.mem_free()})
    heap_sampler(3600, tx)

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
        app = firmware.App("config.json", boards_dirs=(ROOT + "/boards",), listeners=(emit,))
        app.http_host = "127.0.0.1"
        app.setup_port = int(OPTS["setup_port"]) if OPTS.get("setup_port") else None
        app.dns_port = None  # the virtual AP has no address this host can bind
        inject(app, boots)
        measure_latency(app)
        try:
            asyncio.run(app.start())
        except SimDone:
            break
        except SystemExit as e:  # machine.reset() or the watchdog
            leader_close()   # the leader stand-in is another box: its server restarts at the next boot
            cut = POWER["off_s"] is not None
            if not cut:
                emit({"event": "reset", "cause": machine.reset_cause(), "detail": str(e)})
            virtual_esp32.reset_board()
            virtual_esp32.forget_firmware()
            asyncio.new_event_loop()
            if cut:  # the reset event marks the power-on (the firmware's clock starts there)
                import asyncio.core
                asyncio.core.cur_task = None
                try:
                    power_off_wait()
                except SimDone:
                    break
                asyncio.new_event_loop()
                emit({"event": "reset", "cause": machine.reset_cause(), "detail": "power on"})
            if DAMAGE["flips"] is not None:
                damage_queue()
            import asyncio.core
            asyncio.core.cur_task = None   # the task the reset came from: it holds the old App
            # the board's reset frees everything: so must this process before the
            # next boot (the old App stayed bound until the new one was built, and
            # two firmwares' data did not fit the sized heap)
            app = firmware = None
            gc.collect()
            # the next boot imports the firmware anew, while the virtual transmitter
            # keeps the codec modules it imported with the first: measure the code
            # again, as at the first boot, so `data` stays the firmware's own
            HEAP["code"] = load_code()
            emit({"event": "heap_code", "alloc": HEAP["code"], "free": gc.mem_free()})
    emit({"event": "sim_end", "boots": boots, "reading_to_alarm_us": percentiles(LAT["hist"], LAT["n"])})


def percentiles(hist, n):
    """Upper bounds (us) of the buckets holding the median, p99 and max."""
    if not n:
        return None
    out = {"n": n}
    seen = 0
    marks = (("median", n // 2 + 1), ("p99", (n * 99 + 99) // 100), ("max", n))
    for i in range(len(hist)):
        seen += hist[i]
        for name, rank in marks:
            if name not in out and seen >= rank:
                out[name] = (i + 1) * 100
    return out


try:
    main()
except MemoryError:
    # the host process's heap (HEAP=, see tools/sim.py), not the firmware's budget
    # alone: say so, rather than end with a bare exit code
    import gc
    gc.collect()
    sys.stderr.write("simboot: the host process ran out of heap (%d free); try a larger HEAP=\n"
                     % gc.mem_free())
    sys.exit(3)
