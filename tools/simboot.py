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
CA_FILE = "ca.pem"   # NIGHTSCOUT_CA's copy on the board's flash

import virtual_esp32  # noqa: E402  (tools/host is on MICROPYPATH)

start_min = int(OPTS.get("start", 0))
# The board's wall clock starts on the trace's own calendar (minute 0 =
# 2026-01-01 00:00 UTC), unless a real server takes part: its Date header and
# NTP would then move the clock to today, so start there.
_REAL_PEERS = OPTS.get("nightscout_url") or OPTS.get("mqtt")
if (OPTS.get("inject") or {}).get("calendar"):   # round 8: no Date, no real NTP reaches the box
    _REAL_PEERS = None
# The board's 10 lwIP sockets (tools/host/board_socket.py; SOCKETS=n, 0 the host's hundreds),
# installed before the firmware imports `socket`. The world's own parts in this process (the
# leader box, a phone, the stand-ins' control links) use the host's sockets: _host_socket(),
# _world(); the NTP stand-ins take the board's slot its query would (_NtpSocket, _WorldNtp).
# SOCKETS=0 counts them without a limit.
SOCKETS = int(OPTS["sockets"]) if OPTS.get("sockets") is not None else 10
virtual_esp32.install(OPTS.get("speed", 0), None if _REAL_PEERS else TRACE_EPOCH + start_min * 60,
                      sockets=SOCKETS)
import vtime  # noqa: E402
import machine  # noqa: E402

if (OPTS.get("inject") or {}).get("ticks_start_ms") is not None:   # round 10: up for days, near the wrap
    vtime.set_ticks_ms(int(OPTS["inject"]["ticks_start_ms"]))
import network  # noqa: E402
import board_time  # noqa: E402

# The board's time for its blocking C calls (tools/host/board_time.py: the radios'
# start, a TLS handshake's maths, flash writes), charged on the virtual clock by
# default: each is a `board_block` event (what, ms, detail) at its start, and sim_end gives the
# totals. BOARD_TIME=0 (or INJECT {"board_time": 0}) runs at the host's speed, as
# before session 30, for comparisons.
BOARD_TIME = (os.getenv("BOARD_TIME") or "1") not in ("0", "off") and \
    (OPTS.get("inject") or {}).get("board_time", 1) not in (0, False)

machine.set_log_limit(400)  # the pin log is for tests; keep it out of the firmware's heap
BOARD_SOCKET = sys.modules["board_socket"]
# lwIP's send queue on the firmware's stream sockets, a TLS connection's records too (board_socket:
# a write takes what the queue has room for until the peer's ACKs); SEND_BUFFER=0 leaves the host's loopback
BOARD_SOCKET.send_buffer = OPTS.get("send_buffer", True)


class SimDone(Exception):
    pass


def _now_ms():
    return vtime.monotonic_us() // 1000


def _us(s):
    """Seconds (an int or a float) as integer microseconds, exact on a single-precision
    port too (there int(9000 * 1e6) is 8999999488)."""
    whole = int(s)
    return whole * 1000000 + int((s - whole) * 1e6)


def emit(ev):
    ev = dict(ev)
    ev["t_ms"] = _now_ms()
    if ev.get("event") == "reading":   # the board's wall clock at its arrival (round 6: a swap's dating)
        ev["wall_s"] = vtime.time() + vtime.EPOCH_2000_UNIX
    print(json.dumps(ev))


def _host_socket():
    """The host's socket module, for the world's own links (not the board's budget)."""
    import socket
    return getattr(socket, "_real", socket)


def _world(coro):
    """A coroutine of the world's (the leader box, a phone): its sockets are the host's."""
    return BOARD_SOCKET.world(coro)


def _board_slot():
    """A UDP socket from the board's budget, for a stand-in whose query the board makes
    with one (NTP): OSError 23 when none is left, as the board's socket() raises."""
    import socket
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def watch_board_time():
    """Charge the board's time for its blocking calls (BOARD_TIME), each one an event."""
    if not BOARD_TIME:
        return
    def block(what, ms, detail):
        ev = {"event": "board_block", "what": what, "ms": ms}
        if detail:
            ev["detail"] = detail
        emit(ev)
    board_time.on_charge = block
    board_time.install()


PULSES = {"pin": None, "on": None}


def watch_pulses(board):
    """SIM_PULSES=1 (or INJECT {"pulses": 1}): a `pulse` event (start_ms, ms) for each of
    the buzzer's sounding spans, from the pin log's duty changes: the sound's timeline,
    for comparing runs (BOARD_TIME=0 against the default). Off by default: an alarm
    sounding all night is some 20 pulses a minute."""
    if not (os.getenv("SIM_PULSES") or (OPTS.get("inject") or {}).get("pulses")):
        return
    PULSES["pin"] = ((board or {}).get("buzzer") or {}).get("pin")
    if PULSES["pin"] is None or rec_pulse in machine.listeners:
        return
    machine.listeners.append(rec_pulse)


def rec_pulse(t, pin, attr, value):
    if pin != PULSES["pin"] or attr not in ("duty_u16", "pwm"):
        return
    if attr == "pwm":   # the PWM started (1: its duty comes next) or stopped (0: silent)
        if value:
            return
    on = PULSES["on"]
    if value and on is None:
        PULSES["on"] = t
    elif not value and on is not None:
        PULSES["on"] = None
        emit({"event": "pulse", "start_ms": on, "ms": t - on})


def watch_sockets():
    """socket_refused (what: "socket" or "accept", live) at each refusal of the budget."""
    BOARD_SOCKET.on_refuse = lambda what, live: emit({"event": "socket_refused", "what": what,
                                                      "live": live})


def _mkdirs(path):
    cur = ""
    for part in path.split("/"):
        cur = cur + "/" + part if cur or path.startswith("/") else part
        try:
            os.mkdir(cur)
        except OSError:
            pass


def _section(cfg, name, make=False):
    """cfg[name] when it is an object; else {} (make: a new one in its place, for what
    the command line sets). A broken file's odd shapes are the firmware's to judge."""
    v = cfg.get(name)
    if isinstance(v, dict):
        return v
    if make:
        v = cfg[name] = {}
        return v
    return {}


def config():
    """The configuration written to the virtual board's flash: CONFIG as it is
    (a broken file stays broken: the firmware must cope), or a leader for the
    virtual transmitter, plus what the command line asks for."""
    if OPTS.get("config"):
        with open(OPTS["config"]) as f:
            text = f.read()
        # read as the box reads it: MicroPython's json forgives a missing comma, keeps the
        # last of a key given twice and takes a checksum that does not match, and written
        # out again such a file would reach the box mended
        from app.config import parse
        cfg, problems = parse(text.encode(), "CONFIG")
        if not isinstance(cfg, dict) or problems:
            return text
    else:
        cfg = {"transmitter_id": OPTS.get("tx_id", DEFAULT_TX_ID), "board": "esp32-devkitc",
               "lan_api": {"enabled": False}}
    if OPTS.get("board"):   # BOARD=name: e.g. one with a display (esp32-devkitc-oled, m5stickc-plus2)
        cfg["board"] = OPTS["board"]
    if OPTS.get("http_port"):
        lan = _section(cfg, "lan_api", True)
        lan["enabled"] = True
        lan["port"] = int(OPTS["http_port"])
    if OPTS.get("nightscout_url"):
        ns = _section(cfg, "nightscout", True)
        ns["url"] = OPTS["nightscout_url"]
        if OPTS["nightscout_url"].startswith("http:"):
            ns["allow_http"] = True
        if OPTS.get("nightscout_secret"):
            ns["api_secret"] = OPTS["nightscout_secret"]
        if OPTS.get("nightscout_ca"):   # copied onto the board's flash by main()
            ns["ca_file"] = CA_FILE
    if OPTS.get("mqtt"):
        host, _, port = OPTS["mqtt"].partition(":")
        mq = _section(cfg, "mqtt", True)
        mq["host"] = host
        mq["port"] = int(port or 1883)
    forwarding = _section(cfg, "lan_api").get("enabled") or _section(cfg, "nightscout").get(
        "url") or _section(cfg, "mqtt").get("host")
    if forwarding and not cfg.get("wifi"):
        cfg["wifi"] = [WIFI]
    # the home's access points: the networks the file names well enough to exist
    wifi = cfg.get("wifi")
    for w in wifi if isinstance(wifi, list) else ():
        if isinstance(w, dict) and isinstance(w.get("ssid"), str):
            pw = w.get("password", "")
            network.world.add_ap(w["ssid"], pw if isinstance(pw, str) else "")
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
        for dev in (SWAP["dev"], SWAP["dev2"]):
            if dev is not None:
                del dev.tx.log[:-50]
        gc.collect()
        alloc = gc.mem_alloc()
        ev = {"event": "heap", "alloc": alloc, "data": alloc - HEAP["code"], "free": gc.mem_free()}
        # the board's sockets open now, and the most at once since the last sample
        ev["sockets"] = BOARD_SOCKET.live()
        ev["sockets_peak"] = BOARD_SOCKET.peak
        BOARD_SOCKET.peak = ev["sockets"]
        emit(ev)
        vtime.call_later(period_s * 1000, sample)

    vtime.call_later(period_s * 1000, sample)


def board_parts(cfg, period_s=5):
    """The board's own parts around the firmware. A battery-backed board runs on
    USB, its cell full (4.1 V; INJECT adc_at_s changes it), else the battery alarm
    would sound. A board with a display, in the live view or with BOARD=: a model
    of its panel on the bus
    (tools/host/vssd1306.py, vst7789.py), and what a person would see emitted
    whenever it changed, as braille text ({"event": "screen", "lines": [...]},
    each character 2x4 pixels; the TFT at half resolution). Made before the code
    is measured, so the models (the TFT's is 65 KB) are not counted as the
    firmware's data."""
    from sound import board
    try:
        b = board.load(cfg.get("board") or "esp32-devkitc", (ROOT + "/boards",))
    except Exception:   # a bad board or config: the firmware says so itself
        return
    pw = b.get("power") or {}
    USB["hold_pin"] = pw.get("hold_pin")
    if pw.get("battery_adc_pin") is not None:
        machine.set_adc_uv(pw["battery_adc_pin"], 4100000 // pw.get("battery_divider", 1))
    dp = b.get("display")
    if dp is None or not (OPTS.get("board") or not OPTS.get("headless")):
        # headless without BOARD= (chaos, the benches): nobody looks at the screen,
        # and decoding every byte sent to a TFT's model is most of such a run's time
        return
    if dp["kind"] == "ssd1306":
        import vssd1306
        panel = vssd1306.Panel(dp.get("width") or 128, dp.get("height") or 64)
        machine.attach_i2c(dp.get("address") or 0x3C, panel)
        w, h, step = panel.width, panel.height, 1

        def lit(x, y):
            return panel.lit(x, y)
    else:
        import vst7789
        panel = vst7789.Panel(rst=dp.get("rst"), backlight=dp.get("backlight"))
        machine.attach_spi(panel, sck=dp["sck"], mosi=dp["mosi"], cs=dp["cs"], dc=dp["dc"])
        machine.listeners.append(panel.pin_changed)
        turn = dp.get("rotation") or 1
        w, h, step = dp.get("width") or 240, dp.get("height") or 135, 2

        def lit(x, y):
            return panel.pixel(x, y, turn) != 0
    seen = [-1]
    dots = ((0, 0, 1), (0, 1, 2), (0, 2, 4), (1, 0, 8), (1, 1, 16), (1, 2, 32), (0, 3, 64), (1, 3, 128))

    def look():
        if panel.frames != seen[0]:
            seen[0] = panel.frames
            lines = []
            for by in range(0, h, 4 * step):
                line = []
                for bx in range(0, w, 2 * step):
                    code = 0
                    for dx, dy, bit in dots:
                        x, y = bx + dx * step, by + dy * step
                        if x < w and y < h and lit(x, y):
                            code |= bit
                    line.append(chr(0x2800 + code))
                lines.append("".join(line))
            emit({"event": "screen", "lines": lines})
        vtime.call_later(period_s * 1000, look)

    vtime.call_later(period_s * 1000, look)


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


def set_adv_interval(tx, ms):
    """The transmitter now advertises every ms (from its next advertisement)."""
    tx.adv_interval_us = int(ms) * 1000
    emit({"event": "vtx", "adv_interval_us": tx.adv_interval_us})


def set_routers(up):
    """Every access point of the world on or off (the home's router losing power)."""
    for ssid in network.world.aps:
        network.world.set_ap(ssid, up)
    ROUTERS["up"] = up
    emit({"event": "router", "up": up})
    if not up:   # round 17: the box's connection to the broker goes with the router
        mqtt_command({"cmd": "cut"})


POWER = {"off_s": None}
# USB power (inject usb_at_s). A board with a power hold pin ("power": {"hold_pin"}) runs on its
# battery without USB only while that pin is high: the M5StickC Plus2 switches itself off when it
# falls, and stays off until USB comes back (nobody presses its power button at 3 a.m.).
USB = {"on": True, "hold_pin": None}
UNTIL_USB = "usb"   # POWER["off_s"] of a board off until USB returns


def hold_lost():
    """True when the board would switch itself off now: on battery with its hold pin low."""
    pin = USB["hold_pin"]
    return pin is not None and not USB["on"] and machine._read(pin) != 1


def switch_off(why):
    """The board loses its power until USB returns (RTC memory with it)."""
    emit({"event": "power_off", "why": why})
    POWER["off_s"] = UNTIL_USB
    machine._rtc_memory = b""


def set_usb(on):
    """USB plugged in or pulled out. Pulled out while the hold pin is low: off at once."""
    USB["on"] = bool(on)
    emit({"event": "usb", "on": USB["on"]})
    if hold_lost() and not POWER.get("off") and POWER["off_s"] is None:
        switch_off("usb pulled with the hold pin low")
        machine._do_reset(machine.PWRON_RESET)


def power_cut(off_s):
    """The board loses power: RTC memory and the RTC's wall clock are gone (it counts
    from 2000-01-01 again until NTP or a server's Date sets it), flash stays; it
    powers on again off_s later (the boot loop waits, the world goes on). A cut while
    the board is already off cuts nothing (fault_skipped)."""
    if POWER.get("off"):
        emit({"event": "fault_skipped", "what": "power_cut", "off_s": off_s})
        return
    emit({"event": "power_cut", "off_s": off_s})
    machine._rtc_memory = b""
    POWER["off_s"] = off_s
    machine._do_reset(machine.PWRON_RESET)


def clock_sampler(period_s):
    """Every period_s (inject clock_sample_s, round 7): the board's wall clock (None while
    it is unset: before 2020, as clock.wall_valid) and the local minute the App's
    schedules follow (App.minute_of_day), at the same virtual instant, with what this
    boot's config says of them (tz, utc_offset_min, whether schedules are set). Nothing
    while the board is off or between boots."""
    def sample():
        app = CONFIG_SAVE["app"]
        if app is not None and not POWER.get("off"):
            wall = vtime.time() + vtime.EPOCH_2000_UNIX
            cfg = app.cfg
            emit({"event": "clock", "wall_s": wall if wall >= WALL_VALID_AFTER else None,
                  "minute_of_day": app.minute_of_day(), "tz": cfg.get("tz") or None,
                  "utc_offset_min": cfg.get("utc_offset_min", 0),
                  "schedule": bool((cfg.get("alarms") or {}).get("schedule"))})
        vtime.call_later(period_s * 1000, sample)

    vtime.call_later(period_s * 1000, sample)


WALL_VALID_AFTER = 1577836800   # firmware/clock.py _VALID_AFTER


def ticks_sampler(period_s):
    """Every period_s (inject ticks_sample_s, round 10): the port's ticks_ms and the
    firmware's own clock (clock.ms(): ms since this boot, built on the wrapping ticks) at
    the same virtual instant. Nothing while the board is off or between boots."""
    def sample():
        clock = sys.modules.get("clock")
        if CONFIG_SAVE["app"] is not None and clock is not None and not POWER.get("off"):
            emit({"event": "ticks", "ticks_ms": vtime.ticks_ms(), "fw_ms": clock.ms()})
        vtime.call_later(period_s * 1000, sample)

    vtime.call_later(period_s * 1000, sample)


def power_off_wait():
    """Run the world (transmitter, routers) for the time the board is off."""
    off_s, POWER["off_s"] = POWER["off_s"], None
    if off_s:
        import asyncio

        async def off():
            if off_s == UNTIL_USB:
                while not USB["on"]:
                    await asyncio.sleep(1)
            else:
                await asyncio.sleep(off_s)
        POWER["off"] = True   # the world's callbacks that need the board wait or skip
        try:
            asyncio.run(off())
        finally:
            POWER["off"] = False
    if not (OPTS.get("inject") or {}).get("_keep_wall"):
        vtime.set_wall(0)


DAMAGE = {"flips": None}
QUEUE_FILE = "nsqueue.bin"   # app/wiring.py NS_QUEUE_FILE, in the flash folder (the cwd)


def damage_queue_at_reset(flips):
    """Reset the board; before the next boot, nsqueue.bin is damaged (damage_queue())."""
    DAMAGE["flips"] = flips
    emit({"event": "fault_injected", "what": "queue_damage"})
    if not POWER.get("off"):   # off: the damage is found at the power-on
        machine.reset()


def reset_unless_off():
    """inject reset_at_s: a reset while the board has no power does nothing (fault_skipped);
    machine.reset() there ended the whole run (seed 1047: round 9 drew a power cut around
    round 1's reset)."""
    if POWER.get("off"):
        emit({"event": "fault_skipped", "what": "reset"})
        return
    machine.reset()


def soft_reset_unless_off():
    """inject soft_resets_at_s (round 12): machine.soft_reset(), as a person's Ctrl-D on the USB
    console does: RTC memory and ticks_ms run on (ticks_boot_zero keeps them), the firmware starts
    again. Nothing while the board has no power (fault_skipped)."""
    if POWER.get("off"):
        emit({"event": "fault_skipped", "what": "soft_reset"})
        return
    machine.soft_reset()


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
    before = bytes(data)
    offsets = _xor(data, flips)
    with open(QUEUE_FILE, "wb") as f:
        f.write(data)
    # changed False: two flips on one byte with one mask undid each other (seed 5515)
    emit({"event": "queue_damaged", "size": len(data), "offsets": offsets, "changed": bytes(data) != before})


# --- round 5: a power cut in the middle of a save, damaged files, RTC memory ------------
SAVE_STEPS = ("write", "temp", "nobak", "bak", "done")
CUT = {"spec": None, "armed": False}   # spec: [t_s, file name, step, off_s, fraction]


def _cut_save(step, name):
    """The power goes in the middle of a save of `name` (app.fsutil.write_atomic)."""
    CUT["armed"] = False
    emit({"event": "save_cut", "file": name, "step": step})
    power_cut(CUT["spec"][3])


class _CutWrite:
    """The temp file of a save cut while it is written: the first write() puts only
    a fraction of its bytes on flash, then the power goes."""

    def __init__(self, f, name):
        self.f, self.name = f, name

    def write(self, data):
        n = int(len(data) * CUT["spec"][4])
        self.f.write(data[:n])
        self.f.close()
        _cut_save("write", self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def __getattr__(self, name):
        return getattr(self.f, name)


class _OsWrapper:
    """`os` as the firmware's module sees it: the real one (or a wrapper of it), but for
    the methods a subclass puts in between."""

    def __init__(self, real):
        self._os = real

    def __getattr__(self, name):
        return getattr(self._os, name)


class _FlashOs(_OsWrapper):
    """`os` as app.fsutil sees it: the real module, except that an armed cut
    (save_cut_at_s) stops the next save of its file at its step:
      write  the temp file half written (a fraction of its first write)
      temp   the temp file complete, nothing renamed yet
      nobak  the old .bak removed, the file not yet renamed to .bak
      bak    the file renamed to .bak, the temp not yet renamed to the file
      done   the save complete (before os.sync)
    On a first save (no file, so no .bak step) temp, nobak and bak cut before the
    temp's rename. The firmware's fsutil is unchanged: only its file operations
    are watched."""

    def _target(self, path):
        spec = CUT["spec"]
        return CUT["armed"] and path.split("/")[-1] in (spec[1], spec[1] + ".tmp", spec[1] + ".bak")

    def remove(self, path):
        if self._target(path) and path.endswith(".bak"):
            step = CUT["spec"][2]
            if step == "temp":
                _cut_save(step, CUT["spec"][1])
            try:
                self._os.remove(path)
            finally:
                if step == "nobak":
                    _cut_save(step, CUT["spec"][1])
            return
        self._os.remove(path)

    def rename(self, a, b):
        if not self._target(a):
            return self._os.rename(a, b)
        step = CUT["spec"][2]
        if a.endswith(".tmp") and step in ("temp", "nobak", "bak"):
            _cut_save(step, CUT["spec"][1])   # a first save: no .bak step came
        self._os.rename(a, b)
        if (b.endswith(".bak") and step == "bak") or (a.endswith(".tmp") and step == "done"):
            _cut_save(step, CUT["spec"][1])


def _watched_open(path, mode="r", *a):
    # open() looked up at each call, so through the builtins' overrides: board_time's
    # flash timing when installed (on MicroPython, reading builtins.open gives the
    # built-in beneath it, so a wrapper of it skipped the board's time for every save)
    f = open(path, mode, *a)
    spec = CUT["spec"]
    if CUT["armed"] and spec[2] == "write" and "w" in mode and path.split("/")[-1] == spec[1] + ".tmp":
        return _CutWrite(f, spec[1])
    return f


def watch_saves():
    """At each boot (the firmware's modules are imported anew): fsutil's file
    operations go through _FlashOs / _watched_open."""
    fsutil = sys.modules.get("app.fsutil")
    if fsutil is None or not CUT["spec"]:
        return
    fsutil.os = _FlashOs(os)
    fsutil.open = _watched_open


def arm_save_cut():
    CUT["armed"] = True
    emit({"event": "fault_injected", "what": "save-cut-armed", "file": CUT["spec"][1], "step": CUT["spec"][2]})


# --- a flash that refuses writes (helper-259): worn out, or its filesystem full ------------
FLASH_REFUSE = {"spans": (), "errno": 5, "dir": None, "opens": []}


def _flash_refuses(op, path):
    """True, with a flash_refused event, when a write to the board's flash (a path
    relative to it, the firmware's cwd, or inside it) comes inside a refusing span."""
    p = str(path)
    if not FLASH_REFUSE["spans"] or (p.startswith("/") and not p.startswith(FLASH_REFUSE["dir"] + "/")):
        return False
    if not _in_spans(vtime.monotonic_us() // 1000000, FLASH_REFUSE["spans"]):
        return False
    emit({"event": "flash_refused", "op": op, "path": p.split("/")[-1]})
    return True


def refuse_flash_writes(spec, flash):
    """inject {"flash_refuses_at_s": [[a, b], ...], "flash_errno": n}: from a to b every
    open for writing, rename and remove on the board's flash raises OSError(n) (default
    5, EIO: a worn-out flash; 28, ENOSPC: a full one). Reads go on. The writers are
    patched at each boot before App() is built (watch_flash(), flash_os()): app.fsutil
    (every save of the firmware's, App.__init__'s too) and aioble.security (the bond keys).
    (Not builtins.open: on MicroPython reading it gives the built-in, so board_time's
    install would drop an override set before it.)"""
    FLASH_REFUSE["spans"] = [tuple(x) for x in spec["flash_refuses_at_s"]]
    FLASH_REFUSE["errno"] = int(spec.get("flash_errno") or 5)
    FLASH_REFUSE["dir"] = flash


def _refusing_open(real):
    def refusing_open(path, mode="r", *a):
        if ("w" in mode or "a" in mode or "+" in mode) and _flash_refuses("open", path):
            raise OSError(FLASH_REFUSE["errno"])
        return real(path, mode, *a) if real is not None else open(path, mode, *a)
    return refusing_open


class _RefusingOs(_OsWrapper):
    """`os` as app.fsutil sees it while FLASH_REFUSE holds: rename and remove refused."""

    def rename(self, a, b):
        if _flash_refuses("rename", b):
            raise OSError(FLASH_REFUSE["errno"])
        return self._os.rename(a, b)

    def remove(self, path):
        if _flash_refuses("remove", path):
            raise OSError(FLASH_REFUSE["errno"])
        return self._os.remove(path)


def watch_flash():
    """At each boot, before App() is built (the firmware's modules are imported by then,
    load_code()): its own saves (config.json's recovery, the board's name and file kept
    beside it, the setup key) meet the save cut and the refusing flash as every later one
    does. Patched in inject(), after App(), they were never refused nor cut."""
    CUT["spec"] = (OPTS.get("inject") or {}).get("save_cut_at_s")
    watch_saves()
    flash_os()


def flash_os():
    if not FLASH_REFUSE["spans"]:
        return
    for name in ("app.fsutil", "aioble.security"):
        mod = sys.modules.get(name)
        own = None if mod is None else mod.__dict__.get("open")
        if mod is not None and own not in FLASH_REFUSE["opens"]:   # (a module kept: once)
            # (open: fsutil's own when watch_saves set one, else the global)
            mod.open = _refusing_open(own)
            FLASH_REFUSE["opens"].append(mod.open)
    fsutil = sys.modules.get("app.fsutil")
    if fsutil is not None and not isinstance(fsutil.os, _RefusingOs):
        fsutil.os = _RefusingOs(fsutil.os)


CONFIG_SAVE = {"cfg": None, "app": None}
BOOT1 = {"engine": None}   # boot 1's alarm engine, for inject break_engine_at_s


def save_config(alarms=None, top=None, retry_s=None):
    """What the setup page does with a person's new settings (setup/web.py: app.config
    .save, then wiring._restart_soon): validate and write config.json atomically, run
    the before-reset hooks and the planned restart's RTC record (the next boot counts as
    the first) and reset 3 s later. A cut armed for config.json stops it.
    alarms: alarm settings changed (default CONFIG_SAVE["cfg"]); top: top-level keys
    changed (a new transmitter_id); retry_s: with the power off, the person tries again
    that much later (else the save is skipped)."""
    if POWER.get("off"):   # nobody saves settings on a board without power
        if retry_s:
            vtime.call_later(retry_s * 1000, save_config, alarms, top, retry_s)
        emit({"event": "config_save", "skipped": "power off", "retry_s": retry_s})
        return
    from app import config as appconfig
    cfg = json.loads(json.dumps(CONFIG_SAVE["app"].cfg))   # the settings it runs on, as the form shows them
    cfg["alarms"].update(CONFIG_SAVE["cfg"] if alarms is None else alarms)
    cfg.update(top or {})
    emit({"event": "config_save", "alarms": cfg["alarms"], "tx_id": cfg.get("transmitter_id")})
    appconfig.save("config.json", cfg)
    emit({"event": "config_saved"})

    def restart():
        app = CONFIG_SAVE["app"]
        for hook in app.before_reset:
            try:
                hook()
            except Exception:
                pass
        try:   # (seed 4037) a planned restart: without it two saves sounded "3 resets in a row"
            app.rtc.planned_restart()
        except Exception:
            pass
        machine.reset()
    vtime.call_later(3000, restart)


FILES_DAMAGE = {"files": None, "rtc": None}


def damage_at_reset(files=None, rtc=None):
    """Reset the board; before the next boot the named flash files ([[name, flips]])
    and/or RTC memory (flips) are damaged (damage_files())."""
    FILES_DAMAGE["files"], FILES_DAMAGE["rtc"] = files, rtc
    emit({"event": "fault_injected", "what": "files-damage" if files else "rtc-damage"})
    if not POWER.get("off"):   # off: the damage is found at the power-on
        machine.reset()


def _xor(data, flips):
    offsets = []
    for frac, xor in flips:
        if data:
            i = min(len(data) - 1, int(frac * len(data)))
            data[i] ^= xor or 1
            offsets.append(i)
    return offsets


def damage_files():
    files, rtc = FILES_DAMAGE["files"], FILES_DAMAGE["rtc"]
    FILES_DAMAGE["files"] = FILES_DAMAGE["rtc"] = None
    for name, flips in files or ():
        try:
            with open(name, "rb") as f:
                data = bytearray(f.read())
        except OSError:
            emit({"event": "file_damaged", "file": name, "size": None, "offsets": []})
            continue
        if flips == "remove":   # the file gone (a directory entry lost)
            os.remove(name)
            emit({"event": "file_damaged", "file": name, "size": len(data), "op": "remove", "offsets": []})
            continue
        if flips and flips[0] == "truncate":   # ["truncate", n]: only its first n bytes left
            with open(name, "wb") as f:
                f.write(data[:flips[1]])
            emit({"event": "file_damaged", "file": name, "size": len(data), "op": "truncate",
                  "offsets": [flips[1]]})
            continue
        offsets = _xor(data, flips)
        with open(name, "wb") as f:
            f.write(data)
        emit({"event": "file_damaged", "file": name, "size": len(data), "offsets": offsets})
    if rtc:
        data = bytearray(machine._rtc_memory)
        offsets = _xor(data, rtc)
        machine._rtc_memory = bytes(data)
        emit({"event": "rtc_damaged", "size": len(data), "offsets": offsets})


LEADER = {"history": None, "api": None, "alarms": None, "hung": None}
LEADER_TICK_S = 5   # main.TICK_S: the leader box's alarm task's round
HEALTHY_S = 1800     # main.HEALTHY_AFTER_S: uptime after which a reset loop counts as over


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
            r = (t.window_dex(k), epoch + at_us // 1000000, g, trend, 6, "live")
            hist.add(r)
            if box is not None:
                box[0].on_reading(r, _now_ms() // 1000, 0)
                changed()
        vtime.call_at(t.window_us(k + 1), window, k + 1)

    box, changed = leader_engine(spec.get("resets")) if spec.get("engine") else (None, None)
    vtime.call_at(t.window_us(0), window, 0)


def leader_engine(resets=None):
    """Round 22 (inject leader engine): the leader box's own alarm engine (default
    settings), fed the leader's readings as they come (age 0: its link's live one) and
    ticked every LEADER_TICK_S on the world's clock, nobody pressing at the leader. Its
    active alarms are the LAN API's /api/v1/alarms.json (LEADER["alarms"], as
    main.App.alarm_report makes it) for a follower with follow.sound "unanswered";
    each change is emitted as leader_alarms [[type, status, level], ...] for the checks.
    It runs on while the leader is off the network (down_at_s: the box is up, its
    server unreachable) and through the follower's resets. Round 23 (inject leader
    resets [a_s, b_s, every_s]): the leader box resets every every_s from a_s to b_s, a
    reset loop: its engine saved and restored into a new one (alarms.persist, as
    main.App does through RTC memory; the time away taken as none), a leader_reset event
    each time; from the third boot in a row its `device` alarm (resets) is raised again at
    each boot and cleared HEALTHY_S after the last, as main.App does (session 38). ([engine],
    changed()): the list holds the engine of the leader's boot."""
    from alarms import settings as alarm_settings
    from alarms.engine import AlarmEngine
    box = [AlarmEngine(alarm_settings.validate({}))]
    last = [None, None]   # the last round's now_s, the last snapshot emitted
    boots = [1]           # main.App's rtc.boots: boots in a row without HEALTHY_S up

    def reset(at_s):
        now = _now_ms() // 1000
        engine = AlarmEngine(alarm_settings.validate({}))
        engine.restore(box[0].save(), now, 0)
        box[0] = engine
        boots[0] += 1
        if boots[0] >= 3:   # main.App.__init__: "N resets in a row"
            engine.set_condition("device", "resets", True, now)
        emit({"event": "leader_reset"})
        changed()
        if at_s + resets[2] < resets[1]:
            vtime.call_at(_us(at_s + resets[2]), reset, at_s + resets[2])
        else:
            vtime.call_at(_us(at_s + HEALTHY_S), healthy)

    def healthy():   # main.App._health_task: up HEALTHY_S, the loop is over
        boots[0] = 1
        box[0].set_condition("device", "resets", False, _now_ms() // 1000)
        changed()

    def tick():
        now = _now_ms() // 1000
        box[0].tick(now)
        changed()
        last[0] = now
        vtime.call_at(_us(now + LEADER_TICK_S), tick)

    def report():
        now = _now_ms() // 1000
        return {"alarms": [{"type": a["type"], "priority": a["priority"], "status": a["status"],
                            "level": a["level"], "reason": a["reason"], "for_s": now - a["since_s"]}
                           for a in box[0].active()],
                "age_s": None if last[0] is None else now - last[0], "muted": False}

    def changed():
        snap = [[a["type"], a["status"], a["level"]] for a in box[0].active()]
        if snap != last[1]:
            last[1] = snap
            emit({"event": "leader_alarms", "alarms": snap})

    LEADER["alarms"] = report
    tick()
    if resets:
        vtime.call_at(_us(resets[0]), reset, resets[0])
    return box, changed


def leader_close():
    """Close the leader's listening socket now. At the follower's reset the event loop
    that would have closed it is dropped, and the next boot's server found the port
    taken (EADDRINUSE): the server task's coroutine is made to run its own close."""
    api, LEADER["api"] = LEADER["api"], None
    _close_server(api and api.app)
    leader_unhang()


def leader_hang(port):
    """The leader's host there but not answering (inject leader hung_at_s): a listener on its
    port that accepts nothing. The host's kernel completes the first connections' handshakes
    (the backlog: they connect, and their request is never read) and leaves the SYNs of the next
    unanswered (their connect hangs): a follower's request waits its whole timeout either way."""
    sock = _host_socket()
    s = sock.socket(sock.AF_INET, sock.SOCK_STREAM)
    s.setsockopt(sock.SOL_SOCKET, sock.SO_REUSEADDR, 1)
    s.bind(sock.getaddrinfo("127.0.0.1", port)[0][-1])
    s.listen(1)
    LEADER["hung"] = s


def leader_unhang():
    """Close the hung listener (leader_hang), if any: the connections it held are reset."""
    s, LEADER["hung"] = LEADER["hung"], None
    if s is not None:
        s.close()


SETUP_SRV = {"web": None}


def watch_setup_server():
    """Round 9: keep the boot's setup server (setup.web.SetupServer, OPTS setup_port) to
    close its socket at a reset or power cut (setup_close()), as the board's reset does:
    else the next boot's server found the port taken (EADDRINUSE, seed 1010's early cut)."""
    from setup import web
    real_run = web.SetupServer.run

    def run(self, *a, **k):
        SETUP_SRV["web"] = self
        return real_run(self, *a, **k)
    web.SetupServer.run = run


def setup_close():
    web, SETUP_SRV["web"] = SETUP_SRV["web"], None
    _close_server(web and web.app)


def _close_server(mdot):
    """Close a microdot app's listening socket while its event loop is gone."""
    srv = mdot and mdot.server
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
    off the network) and the router's outages (inject wifi_down_at_s), hung (the
    connection taken or its SYN unanswered, no answer ever: leader_hang) during
    spec["hung_at_s"] spans (a leader host that does not answer: powered off on a
    LAN that drops its packets, or its server stuck) where the router is up."""
    import asyncio
    from forward.lanapi import LanApi
    if spec.get("own_clock"):   # round 8: the leader's Date is its own clock, not the follower's
        sys.modules["forward.lanapi"].clock = _LeaderClock(sys.modules["clock"])
    real_start = app.start

    async def serve():
        # the home's router off cuts the follower from the leader too: the fake Wi-Fi
        # does not stop loopback sockets, and the follower polls without asking it
        down = sorted(list(spec.get("down_at_s") or ()) + list(OPTS["inject"].get("wifi_down_at_s") or ()))
        hung = sorted(spec.get("hung_at_s") or ())
        while True:
            now_s = _now_ms() // 1000
            if _in_spans(now_s, down):
                leader_unhang()   # (the router off: refused, as before)
                nxt = max(b for a, b in down if a <= now_s < b)
                # to the span's end itself: the leader is another box, on the world's
                # clock, not late by the follower's blocking calls at boot (board_time)
                await asyncio.sleep_ms(max(0, nxt * 1000 - _now_ms()))
                continue
            if _in_spans(now_s, hung):
                nxt = min([max(b for a, b in hung if a <= now_s < b)] + [a for a, b in down if a > now_s])
                if LEADER["hung"] is None:
                    leader_hang(int(spec["port"]))
                await asyncio.sleep_ms(max(0, nxt * 1000 - _now_ms()))
                leader_unhang()
                continue
            LEADER["api"] = api = LanApi({"port": int(spec["port"])}, LEADER["history"], log=lambda m: None,
                                         alarms=LEADER["alarms"])   # round 22: its engine's, when it has one
            server = asyncio.create_task(_world(api.run(host="127.0.0.1")))   # another box's sockets
            later = [a for a, b in down + hung if a > now_s]
            if not later:
                await server
                return
            await asyncio.sleep_ms(max(0, min(later) * 1000 - _now_ms()))
            now_s = _now_ms() // 1000
            hang = _in_spans(now_s, hung) and not _in_spans(now_s, down)
            ev = {"event": "leader", "up": False}
            if hang:
                ev["hung"] = True
            emit(ev)
            leader_close()
            if hang:   # at once: not a second of refusals first
                leader_hang(int(spec["port"]))
            await asyncio.sleep(1)
            server.cancel()
            api = server = None

    async def start():
        asyncio.create_task(serve())
        await real_start()
    app.start = start


# --- round 6: a transmitter swap, a sealed configuration, the setup AP's key -----------
SWAP = {"dev": None, "spec": None, "dev2": None}


def plan_swap(spec, old):
    """A new transmitter (inject tx_swap: {"at_s", "tx_id", "faults", "warmup_s", "age_s",
    "first_window_s", "old_until_s", "save_at_s"}): built now, before the code's heap is
    measured (it shares the trace's values with the old one), on its own controller and
    its own clock: activated at at_s with dex time age_s (near 0), first reading
    first_window_s later, reading the same person's glucose (the trace row of that
    time). In warm-up (state 0x02, no glucose) for warmup_s, with its sensor session
    started at activation. The old transmitter goes quiet at old_until_s (null: never,
    it lies in a drawer advertising). At save_at_s a person enters the new id through
    the setup page's path (save_config: then the box restarts), again a minute later
    while the board has no power. With "never": true the new transmitter is built but
    never advertises (an id typed for one that is not there, round 10)."""
    at_s, first_s = int(spec["at_s"]), int(spec.get("first_window_s", 60))
    faults = spec.get("faults", "")
    warm = int(spec.get("warmup_s") or 0)
    tx, dev = _new_transmitter(spec, old.tx.values, 7, start_min)
    if not spec.get("never"):   # round 10: an id entered for a transmitter that never appears
        dev.start()
    SWAP["dev"], SWAP["spec"] = dev, spec
    emit({"event": "tx_swap_planned", "tx_id": spec["tx_id"], "at_ms": at_s * 1000, "dex0": tx.dex0,
          "first_window_ms": (at_s + first_s) * 1000, "start_index": tx.start_index})
    if warm:
        vtime.call_at((at_s + warm) * 1000000, tx.set_faults, faults)
    vtime.call_at(at_s * 1000000, emit, {"event": "tx_swap", "tx_id": spec["tx_id"]})
    if spec.get("old_until_s") is not None:
        vtime.call_at(_us(spec["old_until_s"]), old.stop)
        vtime.call_at(_us(spec["old_until_s"]), emit, {"event": "tx_old_quiet"})
    vtime.call_at(_us(spec["save_at_s"]), save_config, {}, {"transmitter_id": spec["tx_id"]}, 60)


def tx_options(tx, which):
    """Round 21: the world's transmitter behaviours (inject backfill_reply_first,
    dex_jitter) set on a transmitter as it is built (vtx.transmitter.Transmitter: both off
    by default), and a vtx_options event read back from the object."""
    inj = OPTS.get("inject") or {}
    if "backfill_reply_first" not in inj and "dex_jitter" not in inj:
        return
    tx.backfill_reply_first = bool(inj.get("backfill_reply_first"))
    tx.dex_jitter = bool(inj.get("dex_jitter"))
    emit({"event": "vtx_options", "tx_id": tx.tx_id, "which": which,
          "backfill_reply_first": tx.backfill_reply_first, "dex_jitter": tx.dex_jitter})


def _new_transmitter(spec, values, seed_add, start_min):
    """A swapped-in transmitter (plan_swap, plan_swap2) and its radio, not yet advertising:
    its own clock (dex time age_s at at_s), its first window first_window_s after at_s,
    warming up for warmup_s when drawn so."""
    import vradio
    from vtx.transmitter import Transmitter
    from vtx.peripheral import VirtualTransmitter
    at_s, first_s = int(spec["at_s"]), int(spec.get("first_window_s", 60))
    faults, warm = spec.get("faults", ""), int(spec.get("warmup_s") or 0)
    tx = Transmitter(values, spec["tx_id"], ",".join(x for x in (faults, "warmup" * (warm > 0)) if x),
                     int(OPTS.get("seed", 1)) + seed_add, start_min + (at_s + first_s - 60) // 60,
                     t0_us=at_s * 1000000, age_s=int(spec.get("age_s", 0)), first_window_s=first_s,
                     session_age_s=0)
    tx_options(tx, "third" if seed_add == 11 else "swap")
    dev = VirtualTransmitter(vradio.Controller(vradio.default_air(), name=tx.name), tx,
                             int(OPTS.get("adv_interval_ms") or 0) or None)
    return tx, dev


def plan_swap2(spec, first):
    """Round 11: a second transmitter swap (inject tx_swap2: {"at_s", "save_at_s", "tx_id",
    "back", "b_until_s", and for a new one "faults", "warmup_s", "age_s", "first_window_s"}).
    With "back": true the person puts the first transmitter (first, still advertising in its
    drawer) back and enters its id again at save_at_s; else a third transmitter C, built as
    plan_swap builds the second (its own clock, dex time age_s at at_s). The second (B)
    goes quiet at b_until_s (null: never). Emits tx_swap2_planned (for C its clock: dex0 at
    at_ms) and tx_swap2 at at_s."""
    at_s = int(spec["at_s"])
    plan = {"event": "tx_swap2_planned", "tx_id": spec["tx_id"], "at_ms": at_s * 1000, "back": bool(spec.get("back"))}
    if not spec.get("back"):
        first_s = int(spec.get("first_window_s", 60))
        faults = spec.get("faults", "")
        warm = int(spec.get("warmup_s") or 0)
        tx, dev = _new_transmitter(spec, first.tx.values, 11, start_min)
        dev.start()
        SWAP["dev2"] = dev
        plan.update(dex0=tx.dex0, first_window_ms=(at_s + first_s) * 1000, start_index=tx.start_index)
        if warm:
            vtime.call_at((at_s + warm) * 1000000, tx.set_faults, faults)
    else:   # round 13: the first, pulled out after the first swap, put back; or its bond forgotten
        if spec.get("a_wake"):
            vtime.call_at(at_s * 1000000, _wake_again, first)
        if spec.get("a_forgets"):
            vtime.call_at(at_s * 1000000, _forget_bonds, first)
    emit(plan)
    vtime.call_at(at_s * 1000000, emit, {"event": "tx_swap2", "tx_id": spec["tx_id"]})
    if spec.get("b_until_s") is not None and SWAP["dev"] is not None:
        vtime.call_at(_us(spec["b_until_s"]), SWAP["dev"].stop)
        vtime.call_at(_us(spec["b_until_s"]), emit, {"event": "tx_b_quiet"})
    vtime.call_at(_us(spec["save_at_s"]), save_config, {}, {"transmitter_id": spec["tx_id"]}, 60)


def _wake_again(dev):
    """Round 13: a transmitter stopped (plan_swap's old_until_s: pulled out) is put back: it
    advertises again from its next window, its clock having run on all the while."""
    if dev.stopped:
        dev.stopped = False
        dev.start()
        emit({"event": "tx_a_back"})


def _forget_bonds(dev):
    """Round 13: the transmitter forgets every bond (its slot's peer and its stored keys), as
    after a phone paired with it in its drawer: the box it knew must pair again."""
    dev.tx.bonds.clear()
    dev.secrets.clear()
    emit({"event": "tx_a_forgot"})


def seal(text_or_cfg, flash, bak_alarms=None):
    """config.json written as the box and `make flash` write it (app.config.dumps: the
    crc32 line first); with bak_alarms, a config.json.bak: the copy a person saved
    before, with those alarm settings."""
    from app import config as appconfig
    if isinstance(text_or_cfg, str):
        return
    with open(flash + "/config.json", "w") as f:
        f.write(appconfig.dumps(text_or_cfg))
    if bak_alarms:
        old = json.loads(json.dumps(text_or_cfg))
        if not isinstance(old.get("alarms"), dict):   # (seed 876) a config whose alarms are no object
            old["alarms"] = {}
        old["alarms"].update(bak_alarms)
        with open(flash + "/config.json.bak", "w") as f:
            f.write(appconfig.dumps(old))
    emit({"event": "config_sealed", "bak": bool(bak_alarms)})


AP_KEY = "setup_key.bin"   # setup/ap.py KEY_PATH, in the flash folder (the cwd)


def watch_ap_key():
    """10 s after a boot: the setup access point's key file as the box left it."""
    from binascii import crc32
    try:
        with open(AP_KEY, "rb") as f:
            data = f.read()
        emit({"event": "ap_key", "size": len(data), "crc": crc32(data)})
    except OSError:
        emit({"event": "ap_key", "size": None, "crc": None})


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
    {"usb_at_s": [[t, 0|1], ...]} pulls USB power out (0) or plugs it in (set_usb(): a board
    with a power hold pin then lives on its battery while that pin is high);
    {"queue_damage_at_s": [t, [[fraction, xor], ...]]} resets the board at t and damages
    the Nightscout queue file before the next boot (damage_queue());
    {"leader": {"port": p, "silent_at_s": [[a, b]], "down_at_s": [[a, b]]}} runs a leader
    box stand-in for a follower configuration (leader_feed(), leader_serve(); "hung_at_s":
    [[a, b]] where its host takes connections and never answers, leader_hang()); with
    "engine": true it has its own alarm engine and serves its alarms (leader_engine()),
    with "resets": [a_s, b_s, every_s] that engine goes through a reset loop;
    {"flash_refuses_at_s": [[a, b], ...], "flash_errno": n} the board's flash refuses
    every write from a to b (refuse_flash_writes());
    {"save_cut_at_s": [t, file, step, off_s, fraction]} cuts the power (off_s) in the
    middle of the first save of `file` after t, at `step` (_FlashOs);
    {"config_save_at_s": [t, alarms]} saves the box's settings with these alarm settings
    changed, as the setup page does (save_config());
    {"files_damage_at_s": [t, [[file, [[fraction, xor], ...]], ...]]} resets at t and
    damages those flash files before the next boot, {"rtc_damage_at_s": [t, flips]}
    RTC memory (damage_files()); {"adv_interval_at_s": [[t, ms], ...]} changes the
    transmitter's advertising interval (set_adv_interval()). With config_save_at_s,
    files_damage_at_s, tx_swap or sealed each boot emits config_loaded (the alarm settings
    it runs on, whether it forwards to Nightscout or MQTT, a fingerprint of its MQTT settings
    (mqtt_sig()), its transmitter id).
    Round 6 (set up in main()): {"tx_swap": {...}} a new transmitter and the person
    entering its id (plan_swap()); {"new_session_at_s": [t, ...]} a new sensor session on
    the transmitter; {"sealed": {"bak_alarms": {...} or null}} config.json (and a .bak)
    written with the crc32 line (seal()); {"ap_key_watch": true} the setup AP's key file
    reported 10 s after each boot (watch_ap_key()); files_damage_at_s also takes "remove"
    or ["truncate", n] for a file's flips.
    Round 7 (set up in main()): {"clock_sample_s": n} a `clock` event every n s
    (clock_sampler()); {"more_power_cuts_at_s": [[t, off_s], ...]} more power cuts, each
    after the previous power-on. main() emits world_clock (the wall clock at t_ms 0).
    Round 8: {"calendar": true} the board's clock on the trace's calendar even with a
    Nightscout or MQTT stand-in (neither gives it a Date); {"ntp": true} an NTP server that
    answers the world's time while the router is up (_WorldNtp); {"phone_saves": [[t, what,
    save], ...]} setup-page saves carrying the phone's clock (phone_save()); {"tx_restart_at_s":
    [[t, age_s], ...]} the transmitter's clock restarted (restart_tx_clock(); [t, age_s, true]:
    a reset that also ends the session, session 68); leader
    {"own_clock": true} the leader stand-in's Date from its own clock (_LeaderClock).
    Round 9: {"phone_posts": [[t, what, save], ...]} a phone signing in and saving through
    the real setup server over HTTP (phone_post(); OPTS setup_port); {"ntp_script": [[t,
    kind, value], ...]} the real ntptime talking to an NTP stand-in that answers the
    world's time, a time off, a fixed time, a kiss-of-death or nothing (_ntp_answer()).
    Session 59: {"ns_date": [[t, kind, value], ...]} the servers' answers carry a Date on the
    world's clock, off it by value s, or fixed (watch_ns_date()).
    Round 10: {"ticks_start_ms": n} ticks_ms starts at n (a board up for days: the 2**30-ms
    wrap within the world; set at the top of this file); {"ticks_sample_s": n} a `ticks`
    event every n s (ticks_sampler()); tx_swap {"never": true} (plan_swap()).
    Round 11 (set up in main()): {"tx_swap2": {...}} a second swap after tx_swap, to a
    third transmitter or back to the first (plan_swap2()); {"ticks_boot_zero": true} ticks_ms
    starts again at 0 at each boot, as on the board (the process's ticks otherwise run on).
    Round 12: {"soft_resets_at_s": [t, ...]} soft resets (soft_reset_unless_off(): ticks_ms
    runs on across them, with ticks_boot_zero too); {"more_resets_at_s": [t, ...]} more resets
    like reset_at_s; {"tx_age_s": n} the first transmitter's clock n s old at t 0 (vtx's
    default: 10 days; main()); {"tx_session_age_s": n} its sensor session n s old at t 0
    (vtx's default: 2 days; a G6 session ends at 10).
    Round 13: {"trace_splice": [row, [value, ...]]} the trace's rows from row on replaced (main():
    before any swap builds a transmitter on the same values); tx_swap2 back {"a_wake": true} the
    first transmitter, stopped by tx_swap's old_until_s, advertises again at at_s (_wake_again()),
    {"a_forgets": true} it forgets its bonds at at_s (_forget_bonds()).
    Round 17 (set up in main()): {"mqtt_control": [address, port]} the MQTT broker stand-in's
    control port (tools/mqttserver.py, in the chaos process): its clock follows the world's
    (mqtt_tick, every MQTT_TICK_S), the box's connections go dead at a reset, a power cut or the
    router off (the broker hears nothing more: its keepalive, or a takeover, ends them);
    {"mqtt_script": [[t, mode], ...]} the broker down, refusing, hung or back ("ok") at t
    (round 27: refusing the box's login, bad_login or not_authorized: CONNACK 4, 5)
    (mqtt_mode: emits mqtt_mode); {"mqtt_host": name} the name dns_move moves the broker with.
    Round 21 (tx_options(), each transmitter as it is built, a swapped-in one too):
    {"backfill_reply_first": true} every transmitter sends a backfill's 0x51 before its
    frames; {"dex_jitter": true} its records 0 or 1 s before the 5-min grid (vtx record_dex)."""
    spec = OPTS.get("inject") or {}
    CONFIG_SAVE["app"] = app
    PHONE["srv"] = None   # the setup server is built anew at each boot
    if spec.get("ntp"):   # round 8: forward.timesync imports ntptime at its first query
        sys.modules["ntptime"] = _WorldNtp()
    if spec.get("ntp_script"):   # round 9: the real ntptime, its socket to the stand-in
        import ntptime
        NTP["script"] = spec["ntp_script"]
        ntptime.socket = _NtpNet()
    if spec.get("ntp") or spec.get("ntp_script") or spec.get("dns_names"):
        # the NTP server's name is looked up by forward.names (ntptime gets the address);
        # round 15: the Nightscout's and the MQTT broker's names too
        from forward import names
        names.socket = _WorldDns(names.socket)
    if spec.get("dns_names"):   # round 15: each upload's outcome, for the checks
        watch_posts()
    if spec.get("ns_clock"):   # the Nightscout stand-in's delay list on the world's clock
        watch_ns_clock(spec["ns_clock"])
    if spec.get("ns_date"):   # the Nightscout stand-in's Date header, on the world's clock
        watch_ns_date(spec["ns_date"])
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
        # boot 1's engine, which the reset loop forgets at a reset (BOOT1): the callback
        # held it, and through it the old boot, until its time, so a reset before it made
        # the next boot's code measure that much more and its `data` that much less
        BOOT1["engine"] = app.engine

        def broken(*a, **k):
            raise RuntimeError("injected: the alarm engine is broken")

        def break_it():
            eng = BOOT1["engine"]
            if eng is None:   # a reset came first: the engine it would break is gone
                return
            for name in ("on_reading", "tick", "set_condition", "snooze", "acknowledge"):
                setattr(eng, name, broken)
        vtime.call_at(_us(spec["break_engine_at_s"]), break_it)
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
            vtime.call_at(_us(spec["reset_at_s"]), reset_unless_off)
        for t in spec.get("more_resets_at_s") or ():   # round 12
            vtime.call_at(_us(t), reset_unless_off)
        for t in spec.get("soft_resets_at_s") or ():   # round 12
            vtime.call_at(_us(t), soft_reset_unless_off)
        if spec.get("power_cut_at_s"):
            t, off_s = spec["power_cut_at_s"]
            vtime.call_at(_us(t), power_cut, off_s)
        for t, off_s in spec.get("more_power_cuts_at_s") or ():   # round 7: each after the last power-on
            vtime.call_at(_us(t), power_cut, off_s)
        if spec.get("queue_damage_at_s"):
            t, flips = spec["queue_damage_at_s"]
            vtime.call_at(_us(t), damage_queue_at_reset, flips)
        if spec.get("save_cut_at_s"):
            vtime.call_at(_us(CUT["spec"][0]), arm_save_cut)
        if spec.get("config_save_at_s"):
            t, CONFIG_SAVE["cfg"] = spec["config_save_at_s"]
            vtime.call_at(_us(t), save_config)
        if spec.get("files_damage_at_s"):
            t, files = spec["files_damage_at_s"]
            vtime.call_at(_us(t), damage_at_reset, files)
        if spec.get("rtc_damage_at_s"):
            t, flips = spec["rtc_damage_at_s"]
            vtime.call_at(_us(t), damage_at_reset, None, flips)
        for t, delta in spec.get("wall_jumps") or ():
            vtime.call_at(_us(t), _wall_jump, delta)
        for host, moves in (spec.get("dns_names") or {}).items():   # round 15
            for t, addr in moves[1:]:
                vtime.call_at(_us(t), dns_move, host, addr)


def mqtt_sig(cfg):
    """A fingerprint of the MQTT settings a boot runs on (config_loaded): a boot on a damaged
    copy that still parses (a .bak written without the crc32 line, both copies damaged) may
    run on another host, login or topic than the world's, which chaos then does not hold it to."""
    from binascii import crc32
    return "%08x" % crc32(repr(sorted((cfg.get("mqtt") or {}).items())).encode())


def _wall_jump(delta):
    """The wall clock moved by delta s as NTP would: through the firmware's clock.set_unix
    (which counts a step back: forward.redate), by the RTC alone before it is imported."""
    fw_clock = sys.modules.get("clock")
    if fw_clock is not None and hasattr(fw_clock, "set_unix"):
        fw_clock.set_unix(fw_clock.unix() + delta)
    else:
        vtime.set_wall(vtime.time() + delta)


# --- round 8: the phone's clock, a restarted transmitter, network time ---------------
WORLD = {"epoch": None}     # the world's true Unix time at t 0 (world_clock)
PHONE = {"srv": None, "last_ms": None}


def world_ms():
    return WORLD["epoch"] * 1000 + _now_ms()


def world_now():
    """The world's true Unix seconds, an integer: a float of 1.7e9 steps by 128 s on a
    single-precision port (the ESP32's, build_unix32.sh's)."""
    return world_ms() // 1000


class _PhoneForm:
    """The setup server's state its phone-clock filter reads (setup.web.SetupServer:
    phone_clock, _phone_ms), one per boot as the server is: the real filter
    (SetupServer._take_phone_clock) and the real setter (app.wiring.clock_from_phone)
    run on it, without HTTP (as the soak's saves run without it)."""

    def __init__(self, app):
        wiring = sys.modules["app.wiring"]
        self.phone_clock = lambda unix_s: wiring.clock_from_phone(app, unix_s)
        self._phone_ms = 0


def phone_save(spec):
    """A signed-in save on the setup page that carries the phone's clock (inject
    phone_saves: [t_s, {"off_s": s} | {"ms": v} | {"repeat": true}, save]): phone_ms the
    world's time + off_s, a literal value, or the last post's again (a resubmitted form);
    then, if save, the settings saved and the restart (save_config), else the save refused
    (the form shown again: the box goes on). Emits phone_clock (the board's clock before
    and after, None while unset; the boot's network time source)."""
    _, what, save = spec
    if POWER.get("off"):
        emit({"event": "phone_clock", "skipped": "power off"})
        return
    app = CONFIG_SAVE["app"]
    if "repeat" in what:
        phone_ms = PHONE["last_ms"]
    elif "ms" in what:
        phone_ms = int(what["ms"])
    else:
        phone_ms = world_ms() + int(what["off_s"] * 1000)
    PHONE["last_ms"] = phone_ms
    if PHONE["srv"] is None:
        PHONE["srv"] = _PhoneForm(app)
    from setup.web import SetupServer

    def wall():
        w = vtime.time() + vtime.EPOCH_2000_UNIX
        return w if w >= WALL_VALID_AFTER else None
    before = wall()
    SetupServer._take_phone_clock(PHONE["srv"], str(phone_ms))
    ts = app.timesync
    emit({"event": "phone_clock", "phone_ms": phone_ms, "repeat": "repeat" in what, "wall_before": before,
          "wall_after": wall(), "true_s": world_now(), "net": ts.source if ts is not None else None,
          "save": bool(save)})
    if save:
        save_config({})


def restart_tx_clock(tx, age_s, wipe=False):
    """The transmitter's clock starts again (vtx restart_clock; wipe: the session ends
    with it, as the sources describe a ResetTx); emits tx_restart with the shift (old dex
    time - new) for the checker, and wipe when it did."""
    shift = tx.tx.restart_clock(vtime.monotonic_us(), int(age_s), wipe=bool(wipe))
    ev = {"event": "tx_restart", "age_s": int(age_s), "shift_s": shift, "board_off": bool(POWER.get("off"))}
    if wipe:
        ev["wipe"] = True
    emit(ev)


class _WorldNtp:
    """ntptime as the firmware imports it (forward.timesync), answering the world's
    true time while the home's router is up (inject ntp: a reachable NTP server);
    a router off times out as a real query does."""
    host = None
    timeout = 1

    def time(self):
        _board_slot().close()   # the query's UDP socket: none left, OSError 23 as ntptime's
        if not ROUTERS["up"]:
            raise OSError("ETIMEDOUT (router off)")
        import clock
        return world_now() - clock.EPOCH_OFFSET


ROUTERS = {"up": True}


# --- round 9: the phone's clock through HTTP, an NTP server that answers wrongly -------
NTP_DELTA = 2208988800      # 1900-01-01 (NTP's era 0) to 1970-01-01, in seconds
NTP = {"script": None}


def _ntp_answer():
    """(kind, value) the NTP stand-in answers now (inject ntp_script: [[t_s, kind, value],
    ...], each from t_s on): "true" the world's time, "off" the world's + value s,
    "unix" the fixed time value (Unix s, wrapped to NTP's 32 bits as a server's
    would be), "zero" a kiss-of-death style answer (stratum 0, leap 3, all timestamps
    zero, kiss code RATE), "none" no answer (the query times out, the router up)."""
    cur = ("true", 0)
    now_s = _now_ms() // 1000
    for a, kind, value in NTP["script"]:
        if a <= now_s:
            cur = (kind, value)
    return cur


class _NtpSocket:
    """One UDP exchange with the NTP stand-in: the packet a server would send, which the
    real ntptime module (micropython-lib) reads as it reads any; emits ntp (kind, the
    transmit timestamp's seconds or None, the board's clock before, None while unset)."""

    def __init__(self):
        self._slot = _board_slot()   # the board's socket the query takes, until close()
        self._pkt = None

    def settimeout(self, s):
        pass

    def sendto(self, data, addr):
        import struct
        kind, value = _ntp_answer()
        raw = None
        if ROUTERS["up"] and kind != "none":
            if kind == "zero":
                raw = 0
            elif kind == "unix":
                raw = (int(value) + NTP_DELTA) & 0xFFFFFFFF
            else:
                raw = (world_now() + (int(value) if kind == "off" else 0) + NTP_DELTA) & 0xFFFFFFFF
            pkt = bytearray(48)
            if kind == "zero":
                pkt[0], pkt[1] = 0xE4, 0   # leap 3 (unsynchronised), version 4, mode 4; stratum 0
                pkt[12:16] = b"RATE"
            else:
                pkt[0], pkt[1] = 0x24, 2   # version 4, mode 4 (server); stratum 2
                pkt[40:44] = struct.pack("!I", raw)
            self._pkt = bytes(pkt)
        wall = vtime.time() + vtime.EPOCH_2000_UNIX
        emit({"event": "ntp", "kind": kind if ROUTERS["up"] else "router_off", "raw": raw,
              "true_s": world_now(), "wall_before": wall if wall >= WALL_VALID_AFTER else None})
        return len(data)

    def recv(self, n):
        if self._pkt is None:
            raise OSError(110)   # ETIMEDOUT, as a query nobody answers
        return self._pkt[:n]

    def close(self):
        self._slot.close()


DNS_TIMEOUT_S = 7   # lwIP's resolver on ESP-IDF: 4 tries, 1+1+2+3 s (one server)


class _WorldDns:
    """forward.names' socket in a world with an NTP server: the home router's DNS
    gives any name the stand-in's address while the router is up; with it off a
    lookup fails (at once: Wi-Fi is down then, so only a lookup already under way
    meets it). During an internet outage with the router up (inject
    dns_silent_at_s, round 14) a lookup holds the board DNS_TIMEOUT_S, then fails.
    Round 15: {"dns_names": {name: [[t_s, address], ...]}} the Nightscout's and the
    MQTT broker's names, each resolving to its address of the time (dns_move() moves
    it); {"dns_fail_at_s": [[a, b], ...]} spans in which a lookup fails at once
    (NXDOMAIN, SERVFAIL). With dns_names every lookup emits `dns` when it ends: host,
    start_ms, took_ms, result ("ok", "silent", "fail", "router_off") and addr."""

    def __init__(self, real):
        self.real = real
        self.SOCK_STREAM = real.SOCK_STREAM

    def getaddrinfo(self, host, port, *a):
        spec = OPTS.get("inject") or {}
        start = _now_ms()
        try:
            addr = self._lookup(spec, host)
        except OSError as e:
            if spec.get("dns_names"):
                emit({"event": "dns", "host": host, "start_ms": start, "took_ms": _now_ms() - start,
                      "result": _dns_result(e), "addr": None})
            raise
        if spec.get("dns_names"):
            emit({"event": "dns", "host": host, "start_ms": start, "took_ms": _now_ms() - start,
                  "result": "ok", "addr": addr})
        return [(2, 1, 6, "", (addr, port))]

    def _lookup(self, spec, host):
        if not ROUTERS["up"]:
            raise OSError("DNS: no answer (router_off)")
        now_s = vtime.monotonic_us() / 1e6
        if any(a <= now_s < b for a, b in spec.get("dns_silent_at_s") or ()):
            emit({"event": "dns_silent", "host": host})
            vtime.sleep(DNS_TIMEOUT_S)   # the whole board waits, as lwIP's blocking lookup does
            raise OSError("DNS: no answer (silent)")
        if any(a <= now_s < b for a, b in spec.get("dns_fail_at_s") or ()):
            raise OSError("DNS: SERVFAIL (fail)")
        moves = (spec.get("dns_names") or {}).get(host)
        if not moves and not (spec.get("ntp") or spec.get("ntp_script")):
            # (round 15) a name the world does not serve (NTP without a stand-in): the
            # host's own resolver, as before round 15 installed this one
            return self.real.getaddrinfo(host, 123, 0, self.SOCK_STREAM)[0][-1][0]
        addr = "127.0.0.1"
        for t, a in moves or ():
            if t <= now_s:
                addr = a
        return addr


def _dns_result(err):
    """silent, fail or router_off from _WorldDns' own errors; fail for the host resolver's."""
    text = str(err.args[0]) if err.args else ""
    return text.split("(")[-1].rstrip(")") if text.startswith("DNS:") else "fail"


def dns_move(host, addr):
    """Round 15: the server named host moved to addr (a new DHCP lease, a new cloud IP): the
    world's DNS answers addr from now on (_WorldDns) and, for the Nightscout stand-in (inject
    ns_control: [address, port] of its control port), it listens there and its old address
    refuses connections (tools/nsserver.py move)."""
    spec = OPTS.get("inject") or {}
    ctl = spec.get("ns_control")
    moved = False
    if host == spec.get("mqtt_host") and spec.get("mqtt_control"):   # round 17
        moved = bool((mqtt_command({"cmd": "move", "host": addr}) or {}).get("ok"))
    if ctl and host == spec.get("ns_host"):
        moved = b" 200 " in _ns_control_post(ctl, "/mode", {"host": addr})[:64]
    emit({"event": "dns_move", "host": host, "addr": addr, "server_moved": moved})


def _ns_control_post(ctl, path, doc):
    """POST doc (JSON) to the Nightscout stand-in's control port ctl = [address, port]; its
    whole answer (status line, headers, body), as bytes."""
    socket = _host_socket()
    body = json.dumps(doc)
    s = socket.socket()
    try:
        s.connect(socket.getaddrinfo(ctl[0], ctl[1])[0][-1])
        s.send(("POST %s HTTP/1.0\r\nContent-Length: %d\r\n\r\n%s" % (path, len(body), body)).encode())
        answer = b""
        while True:   # to its end: closing before the server wrote it all resets its write
            part = s.recv(256)
            if not part:
                break
            answer += part
    finally:
        s.close()
    return answer


# --- round 17: the MQTT broker stand-in (tools/mqttserver.py, in the chaos process) ----------
MQTT = {"sock": None, "buf": b""}
MQTT_TICK_S = 10   # the broker's clock: the world's, sent this often (its records' resolution)


def mqtt_command(cmd):
    """One command to the broker stand-in's control port (inject mqtt_control: [address,
    port]) with the world's clock (vt_ms); its answer, or None without a broker stand-in."""
    ctl = (OPTS.get("inject") or {}).get("mqtt_control")
    if not ctl:
        return None
    socket = _host_socket()
    if MQTT["sock"] is None:
        s = socket.socket()
        s.connect(socket.getaddrinfo(ctl[0], ctl[1])[0][-1])
        MQTT["sock"] = s
    s = MQTT["sock"]
    cmd = dict(cmd)
    cmd["vt_ms"] = _now_ms()
    s.send((json.dumps(cmd) + "\n").encode())
    while b"\n" not in MQTT["buf"]:
        part = s.recv(4096)   # (read() would wait for all 4096)
        if not part:
            raise OSError("mqtt stand-in: control closed")
        MQTT["buf"] += part
    line, MQTT["buf"] = MQTT["buf"].split(b"\n", 1)
    return json.loads(line)


def mqtt_tick():
    mqtt_command({"cmd": "tick"})
    vtime.call_later(MQTT_TICK_S * 1000, mqtt_tick)


def mqtt_mode(mode):
    """Round 17 (inject mqtt_script: [[t_s, mode], ...]): the broker goes down, refuses,
    hangs or is back ("ok") at t_s (tools/mqttserver.py set_mode)."""
    mqtt_command({"cmd": "mode", "mode": mode})
    emit({"event": "mqtt_mode", "mode": mode})


def watch_posts():
    """Round 15: each Nightscout upload attempt emits ns_post (the HTTP status, 0 for a network
    failure or timeout, and how many readings it stored): when delivery stopped and resumed."""
    from forward import nightscout
    cls = nightscout.NightscoutUploader
    if getattr(cls, "_sim_watched", False):
        return
    real = cls.post_once

    async def post_once(self):
        n0 = self.stats["stored"]
        status = await real(self)
        if status is not None:
            emit({"event": "ns_post", "status": status, "stored": self.stats["stored"] - n0})
        return status
    cls.post_once = post_once
    cls._sim_watched = True


# --- the Nightscout stand-in on the world's clock (inject ns_clock) ------------------------
NS_CLOCK = {"n": 0}


def ns_clock(vt_ms, await_id=None):
    """POST /clock to the Nightscout stand-in's control port (tools/nsserver.py clock): the
    world's clock is vt_ms. Its answer (a dict): delay_until_ms, when its delay list holds
    the box's requests until then."""
    doc = {"vt_ms": vt_ms}
    if await_id is not None:
        doc["await"] = await_id
    answer = _ns_control_post(OPTS["inject"]["ns_clock"], "/clock", doc)
    return json.loads(answer.split(b"\r\n\r\n", 1)[1])


def watch_ns_clock(spec):
    """{"ns_clock": [control address, control port, host, port]}: the Nightscout stand-in's
    delay list (Nightscout holds a request from an address that failed to sign in within the
    last authFailDelay, 5 s) waits in the world's time, not in real seconds, which the
    simulated clock outruns (a silent peer gets ~15 ms of real time: the box timed out on
    every 401 it was owed). Each request of the firmware to host:port first gives the
    stand-in the world's clock and carries X-Sim-Clock (its moment, an id); when the stand-in
    says it would hold it, the world gives it its clock again at that moment (a vtime timer),
    and that call returns once the held answer is written, so the box reads it at the world's
    moment Nightscout would have sent it, before its own timeout or after, as on a real server."""
    from forward import http
    if getattr(http, "_sim_ns_clock", False):
        return
    real = http.request
    host, port = spec[2], int(spec[3])

    async def request(method, h, p, path, headers, *a, **kw):
        if (h, p) != (host, port):
            return await real(method, h, p, path, headers, *a, **kw)
        NS_CLOCK["n"] += 1
        n, now = NS_CLOCK["n"], _now_ms()
        until = ns_clock(now).get("delay_until_ms")
        sent = {"open": True}
        if until is not None and until > now:
            # awaited only while the box still waits for it (a request that never left, as
            # in a lookup that failed meanwhile, would hold the call to its real-time limit)
            vtime.call_at(int(until) * 1000, lambda: ns_clock(int(until), n if sent["open"] else None))
        try:
            return await real(method, h, p, path, list(headers) + [("X-Sim-Clock", "%d %d" % (now, n))],
                              *a, **kw)
        finally:
            sent["open"] = False
    http.request = request
    http._sim_ns_clock = True


def _ns_date_now(script):
    """(kind, value) of inject ns_date now ([[t_s, kind, value], ...], each from t_s on):
    "true" the world's time, "off" the world's + value s, "unix" the fixed time value,
    "none" no Date header (the stand-in's own way)."""
    cur = ("none", 0)
    now_s = _now_ms() // 1000
    for a, kind, value in script:
        if a <= now_s:
            cur = (kind, value)
    return cur


def watch_ns_date(script):
    """{"ns_date": [[t_s, kind, value], ...]}: each answer of an HTTP server (the
    Nightscout stand-in's, its plain HEAD too) carries a Date header as a real server's
    would, on the world's clock (or off it): the stand-in itself sends none, its real
    seconds being behind the simulated world's. Emits ns_date (kind, the Date's Unix s)."""
    from forward import http
    if getattr(http, "_sim_ns_date", False):
        return
    real = http.request
    from forward.timesync import http_date

    async def request(*a, **kw):
        status, date, body = await real(*a, **kw)
        kind, value = _ns_date_now(script)
        if kind != "none":
            u = world_now() + int(value) if kind == "off" else (int(value) if kind == "unix" else world_now())
            date = http_date(u)
            emit({"event": "ns_date", "kind": kind, "unix_s": u, "true_s": world_now(),
                  "method": a[0] if a else None})
        return status, date, body
    http.request = request
    http._sim_ns_date = True


class _NtpNet:
    """The socket module as ntptime uses it (getaddrinfo, socket), to the stand-in."""
    AF_INET = 2
    SOCK_DGRAM = 2

    def getaddrinfo(self, host, port, *a):
        return [(2, 2, 17, "", ("127.0.0.1", port))]

    def socket(self, *a):
        return _NtpSocket()


PHONE_PASSWORD = "chaos-admin-pw"   # chaos.py gives round-9 phone worlds this admin password
PHONE_BAD = {"alarms.urgent_low": "10"}   # a field the page refuses: the form comes back, nothing saved


def _quote(s):
    out = []
    for b in str(s).encode():
        c = chr(b)
        out.append(c if (c.isalpha() and b < 128) or c.isdigit() or c in "-_.~" else "%%%02X" % b)
    return "".join(out)


def _unescape(s):
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'") \
        .replace("&amp;", "&")


def _attrs(tag):
    """{name: value} of an HTML tag's attributes ('...', "..." or bare values; a bare
    attribute is "")."""
    out, i, n = {}, 0, len(tag)
    while i < n:
        while i < n and tag[i] in " \t\r\n/":
            i += 1
        j = i
        while j < n and tag[j] not in " \t\r\n=/":
            j += 1
        name = tag[i:j].lower()
        if not name:
            break
        i = j
        value = ""
        if i < n and tag[i] == "=":
            i += 1
            if i < n and tag[i] in "'\"":
                q = tag[i]
                j = tag.find(q, i + 1)
                j = n if j < 0 else j
                value, i = tag[i + 1:j], j + 1
            else:
                j = i
                while j < n and tag[j] not in " \t\r\n":
                    j += 1
                value, i = tag[i:j], j
        out[name] = _unescape(value)
    return out


def _tags(html, tag):
    """(attributes, index of its closing '>') of each <tag ...> in html, in order."""
    i = html.find("<" + tag)
    while i >= 0:
        j = html.find(">", i)
        yield _attrs(html[i + len(tag) + 1:j]), j
        i = html.find("<" + tag, j)


def form_fields(html):
    """The fields a browser sends for the page's form: every input's name and value
    (a checkbox only when checked, "on"), each select's selected option (else its
    first); passwords blank (the page never holds one)."""
    out = {}
    for a, _ in _tags(html, "input"):
        name = a.get("name")
        if not name:
            continue
        if a.get("type", "text") == "checkbox":
            if "checked" in a:
                out[name] = "on"
        else:
            out[name] = a.get("value", "")
    for a, j in _tags(html, "select"):
        end = html.find("</select>", j)
        first = None
        for opt in html[j:end].split("<option")[1:]:
            o = _attrs(opt[:opt.find(">")])
            first = o.get("value") if first is None else first
            if "selected" in o:
                first = o.get("value")
                break
        if a.get("name"):
            out[a["name"]] = first or ""
    return out


async def http_post(path, fields):
    """(status, body text) of a form POST to the box's setup server (127.0.0.1, OPTS
    setup_port), over a real socket, as a phone's browser sends it."""
    import asyncio
    port = int(OPTS["setup_port"])
    body = "&".join("%s=%s" % (_quote(k), _quote(v)) for k, v in fields.items())
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        w.write(("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (path, port, len(body), body)).encode())
        await w.drain()
        data = b""
        while True:
            chunk = await r.read(2048)
            if not chunk:
                break
            data += chunk
    finally:
        w.close()
        try:
            await w.wait_closed()
        except Exception:
            pass
    head, _, text = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), text.decode()


def phone_post(spec):
    """Round 9: a phone signs in on the setup page and saves (inject phone_posts: [t_s,
    what, save], what as phone_saves'), through the real setup server over HTTP: POST
    /settings with the admin password, the settings form it returns filled in as the
    page shows it, phone_ms the phone's clock at the moment of sending (as
    page.CLOCK_SCRIPT fills it on submit), POST /save. save false: one field the page
    refuses (the form comes back, nothing saved, the box goes on); {"repeat": true}: the
    last post's body again, as a browser resubmits it. Emits phone_clock as phone_save
    does, with http (the status of /save) and elapsed_ms (the virtual time the exchange
    took: wall_after is that much later)."""
    import asyncio
    _, what, save = spec
    if POWER.get("off"):
        emit({"event": "phone_clock", "skipped": "power off", "http": True, "at_s": spec[0]})
        return

    async def run():
        app = CONFIG_SAVE["app"]
        try:
            if "repeat" in what and PHONE.get("body"):
                fields = dict(PHONE["body"])
            else:
                status, page = await http_post("/settings", {"password": PHONE_PASSWORD})
                if status != 200 or "name=token" not in page:
                    emit({"event": "phone_clock", "skipped": "sign-in %d" % status, "http": True,
                          "at_s": spec[0]})
                    return
                fields = form_fields(page)
                fields.pop("password", None)
                if not save:
                    fields.update(PHONE_BAD)
                if "ms" in what:
                    fields["phone_ms"] = str(int(what["ms"]))
                else:
                    fields["phone_ms"] = str(world_ms() + int(what.get("off_s", 0) * 1000))
            PHONE["body"] = fields
            phone_ms = int(fields["phone_ms"])

            def wall():
                w = vtime.time() + vtime.EPOCH_2000_UNIX
                return w if w >= WALL_VALID_AFTER else None
            t0, before = _now_ms(), wall()
            status, _ = await http_post("/save", fields)
            ts = app.timesync
            emit({"event": "phone_clock", "phone_ms": phone_ms, "repeat": "repeat" in what,
                  "wall_before": before, "wall_after": wall(), "elapsed_ms": _now_ms() - t0,
                  "true_s": world_now(), "net": ts.source if ts is not None else None,
                  "save": status == 200, "http": status, "at_s": spec[0]})
        except Exception as e:   # the box reset under the exchange, or no server: the checker sees why
            emit({"event": "phone_clock", "skipped": "http: %r" % (e,), "http": True, "at_s": spec[0]})
    asyncio.create_task(_world(run()))   # the phone's sockets are its own


class _LeaderClock:
    """The leader box's wall clock (inject leader own_clock): the world's time, which a
    follower's power cut does not touch; its LAN API's Date header follows it. Until
    round 8 the stand-in's Date came from the follower's own clock (seeds 476, 643)."""

    def __init__(self, real):
        self._real = real

    def unix(self):
        return world_now()

    def wall_valid(self):
        return True

    def __getattr__(self, name):
        return getattr(self._real, name)


def main():
    flash = OPTS.get("flash") or ROOT + "/build/sim-flash"
    _mkdirs(flash)
    # tx_clock.txt too: a transmitter activation kept by an earlier run on another calendar
    # would set this world's clock wrong after a power cut before its first session
    for f in ("config.json", "config.json.bak", "config.json.tmp", "ble_secrets.json", "nsqueue.bin",
              "nsqueue.bin.bak", "nsqueue.bin.tmp", "tx_clock.txt", "tx_clock.txt.bak", "tx_clock.txt.tmp"):
        try:
            os.remove(flash + "/" + f)
        except OSError:
            pass
    cfg = config()
    if OPTS.get("nightscout_ca"):
        with open(OPTS["nightscout_ca"], "rb") as src, open(flash + "/" + CA_FILE, "wb") as f:
            f.write(src.read())
    with open(flash + "/config.json", "w") as f:
        f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))
    inj = OPTS.get("inject") or {}
    if inj.get("sealed"):
        seal(cfg, flash, inj["sealed"].get("bak_alarms"))
    trace = OPTS["trace"]
    hook_radio()
    import vtx
    from vtx import transmitter as _vtx_tx
    # the transmitter keeps 24 h for backfill; the link asks for at most 3 h:
    # keep 4 h, so the host's own memory stays out of the firmware's figure
    _vtx_tx._HISTORY_WINDOWS = 48
    adv_ms = int(OPTS.get("adv_interval_ms") or 0) or None
    age = {"age_s": int(inj["tx_age_s"])} if inj.get("tx_age_s") else {}   # round 12: an older first transmitter
    if inj.get("tx_session_age_s"):   # its sensor session this old at t 0 (vtx's default: 2 days)
        age["session_age_s"] = int(inj["tx_session_age_s"])
    tx = vtx.start(trace, transmitter_id=OPTS.get("tx_id", DEFAULT_TX_ID),
                   faults=OPTS.get("faults", ""), seed=int(OPTS.get("seed", 1)),
                   start_minute=start_min, adv_interval_ms=adv_ms, **age)
    tx_options(tx.tx, "first")
    if adv_ms:
        emit({"event": "vtx", "adv_interval_us": tx.adv_interval_us})
    if inj.get("trace_splice"):   # round 13: trace rows replaced (a drawn fall); shared by swapped-in ones
        row, vals = inj["trace_splice"]
        n = len(tx.tx.values)
        for i, v in enumerate(vals):
            tx.tx.values._a[(int(row) + i) % n] = v   # vtx.trace.Values: an array of the rows
    if int(OPTS.get("bystanders") or 0):   # other devices advertising in the room
        import bystanders
        bystanders.start(int(OPTS["bystanders"]), seed=int(OPTS.get("seed", 1)))
    for t, ms in (OPTS.get("inject") or {}).get("adv_interval_at_s") or ():
        vtime.call_at(_us(t), set_adv_interval, tx, ms)
    for t, spec in (OPTS.get("inject") or {}).get("faults_at_s") or ():
        vtime.call_at(_us(t), tx.tx.set_faults, spec)
    for t, pin, uv in (OPTS.get("inject") or {}).get("adc_at_s") or ():
        vtime.call_at(_us(t), machine.set_adc_uv, pin, uv)
    for t, on in inj.get("usb_at_s") or ():
        vtime.call_at(_us(t), set_usb, on)
    for a, b in (OPTS.get("inject") or {}).get("wifi_down_at_s") or ():
        vtime.call_at(_us(a), set_routers, False)
        vtime.call_at(_us(b), set_routers, True)
    if inj.get("mqtt_control"):   # round 17: the broker stand-in's clock and script
        mqtt_tick()
        for t, mode in inj.get("mqtt_script") or ():
            vtime.call_at(_us(t), mqtt_mode, mode)
    if (OPTS.get("inject") or {}).get("leader"):
        leader_feed(OPTS["inject"]["leader"], tx)
    if inj.get("tx_swap"):
        plan_swap(inj["tx_swap"], tx)
    if inj.get("tx_swap2"):   # round 11: after tx_swap, so it can quiet that one's transmitter
        plan_swap2(inj["tx_swap2"], tx)
    for t in inj.get("new_session_at_s") or ():   # a new sensor on the same transmitter
        vtime.call_at(_us(t), lambda: tx.tx.new_session(vtime.monotonic_us()))
    if inj.get("flash_refuses_at_s"):
        refuse_flash_writes(inj, flash)
    os.chdir(flash)
    if OPTS.get("probe"):
        return probe()
    end_us = _us(OPTS.get("hours", 11) * 3600)
    if isinstance(cfg, dict):
        board_parts(cfg)
    HEAP["code"] = load_code()
    import gc
    emit({"event": "heap_code", "alloc": HEAP["code"], "free": gc.mem_free()})
    heap_sampler(3600, tx)
    watch_sockets()
    watch_board_time()
    # the world's true time: the wall clock the board starts with (round 7: T1, T2)
    WORLD["epoch"] = vtime.time() + vtime.EPOCH_2000_UNIX
    emit({"event": "world_clock", "unix_s": WORLD["epoch"]})
    for spec in inj.get("phone_saves") or ():   # round 8
        vtime.call_at(_us(spec[0]), phone_save, spec)
    for spec in inj.get("phone_posts") or ():   # round 9
        vtime.call_at(_us(spec[0]), phone_post, spec)
    for spec in inj.get("tx_restart_at_s") or ():   # [t, age_s] or [t, age_s, wipe]
        vtime.call_at(_us(spec[0]), restart_tx_clock, tx, spec[1], len(spec) > 2 and spec[2])
    if inj.get("clock_sample_s"):
        clock_sampler(int(inj["clock_sample_s"]))
    if inj.get("ticks_sample_s"):
        ticks_sampler(int(inj["ticks_sample_s"]))

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
        watch_flash()
        app = firmware.App("config.json", boards_dirs=(ROOT + "/boards",), listeners=(emit,))
        app.http_host = "127.0.0.1"
        app.setup_port = int(OPTS["setup_port"]) if OPTS.get("setup_port") else None
        if app.setup_port:
            watch_setup_server()
        app.dns_port = None  # the virtual AP has no address this host can bind
        if app.config_problems:   # the live view says them (the log file alone did)
            emit({"event": "config_problems", "problems": list(app.config_problems)})
        inject(app, boots)
        watch_pulses(app.board)
        if set(inj) & {"config_save_at_s", "files_damage_at_s", "tx_swap", "tx_swap2", "sealed"}:
            emit({"event": "config_loaded", "alarms": app.cfg.get("alarms"),
                  "nightscout": bool((app.cfg.get("nightscout") or {}).get("url")),
                  "mqtt": bool((app.cfg.get("mqtt") or {}).get("host")), "mqtt_sig": mqtt_sig(app.cfg),
                  "transmitter": bool(app.cfg.get("transmitter_id")), "tx_id": app.cfg.get("transmitter_id")})
        if inj.get("ap_key_watch"):
            vtime.call_later(10000, watch_ap_key)
        measure_latency(app)
        try:
            asyncio.run(app.start())
        except SimDone:
            break
        except SystemExit as e:  # machine.reset() or the watchdog
            board_time.enabled = False   # the world's doings between boots take no board time
            leader_close()   # the leader stand-in is another box: its server restarts at the next boot
            setup_close()    # the board's own sockets close at its reset
            BOARD_SOCKET.reset()   # its slots free, its listeners closed (connections: unsaid)
            cut = POWER["off_s"] is not None
            mqtt_command({"cmd": "cut"})   # round 17: the board's connections die with it, unsaid
            if not cut:
                emit({"event": "reset", "cause": machine.reset_cause(), "detail": str(e)})
            virtual_esp32.reset_board()
            if not cut and hold_lost():   # on battery, the hold pin fell with the reset
                switch_off("the hold pin fell at a reset on battery")
                machine.set_reset_cause(machine.PWRON_RESET)
                machine.reset_pins(machine.PWRON_RESET)
                cut = True
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
            if FILES_DAMAGE["files"] or FILES_DAMAGE["rtc"]:
                damage_files()
            if inj.get("ticks_boot_zero") and machine.reset_cause() != machine.SOFT_RESET:
                # round 11: the board's ticks_ms starts again at 0 at each boot (round 12: a soft
                # reset leaves the chip's timer running, as on the board)
                vtime.set_ticks_ms(0)
            import asyncio.core
            asyncio.core.cur_task = None   # the task the reset came from: it holds the old App
            # the board's reset frees everything: so must this process before the
            # next boot (the old App stayed bound until the new one was built, and
            # two firmwares' data did not fit the sized heap); `log` too: it held the
            # old boot's log module and ring, which the re-measure below then counted
            # as code, so each boot's `data` started low by up to that ring; the phone's
            # form stand-in (phone_save's _PhoneForm: its phone_clock closure holds the
            # App) and boot 1's engine (break_engine_at_s) too: kept, they made a phone
            # save's restart measure the whole old App as code (chaos world 2076: `data`
            # -125 KB all run, so the 64 KiB budget judged nothing)
            app = firmware = CONFIG_SAVE["app"] = log = PHONE["srv"] = BOOT1["engine"] = None
            gc.collect()
            # the next boot imports the firmware anew, while the virtual transmitter
            # keeps the codec modules it imported with the first: measure the code
            # again, as at the first boot, so `data` stays the firmware's own
            HEAP["code"] = load_code()
            emit({"event": "heap_code", "alloc": HEAP["code"], "free": gc.mem_free()})
            board_time.enabled = BOARD_TIME
    emit({"event": "sim_end", "boots": boots, "reading_to_alarm_us": percentiles(LAT["hist"], LAT["n"]),
          "board_time": board_time.charged if BOARD_TIME else None,
          "send_refused": len(BOARD_SOCKET.send_refused) if BOARD_SOCKET.send_buffer else None,
          # handshakes the board's TLS refused for its clock against the certificates' dates
          "tls_date_refused": len(sys.modules["board_tls"].refused) if "board_tls" in sys.modules else None})


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
