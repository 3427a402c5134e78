#!/usr/bin/env python3
"""`make sim`: the real firmware on the MicroPython unix port against the
virtual transmitter, replaying a CGM trace on an accelerated clock.

Options (environment variables, as `make sim` passes them):
  TRACE=file.csv     trace (minute,cgm[,true_bg]); default: one night with a low
  START=minute       trace minute where the run starts (default: the night's 21:00)
  HOURS=n | DAYS=n   how long to run (default 11 hours, one night)
  SPEED=x            x times real time; 0 = as fast as possible (default 600, headless 0)
  HEADLESS=1         JSON lines of events on stdout and nothing else (no live view)
  HTTP_PORT=n        serve the LAN API on 127.0.0.1:n
  SETUP_PORT=n       serve the setup/status page on 127.0.0.1:n
  NIGHTSCOUT_URL=... forward to this Nightscout (secret from CONFIG or NIGHTSCOUT_SECRET)
  NIGHTSCOUT_SECRET=...  that Nightscout's API secret
  NIGHTSCOUT_CA=file the CA certificate of an https NIGHTSCOUT_URL (copied onto the board's
                     flash as ca.pem: the board's TLS checks the server against it)
  MQTT=host:port     publish to this MQTT broker
  CONFIG=file.json   the box's configuration (default: a leader for the virtual transmitter)
  FLASH=folder       the board's flash (default build/sim-flash): the box's files, e.g. a CA
                     file CONFIG names; config, queue, bond and transmitter clock start afresh
  BOARD=name         the board it runs on (boards/NAME.json; default esp32-devkitc or CONFIG's):
                     one with a display (esp32-devkitc-oled, m5stickc-plus2) shows its
                     screen above the status line
  FAULTS=...         the virtual transmitter's fault modes (see tools/vtx)
  SEED=n             the seed of those faults' draws (default 1)
  TX_ID=8XXXXX       the virtual transmitter's ID (default 8G1234)
  ADV_INTERVAL_MS=n  how often the virtual transmitter advertises while awake
                     (default 100 ms, vtx.peripheral.ADV_INTERVAL_US)
  BYSTANDERS=n       n other devices advertising in the room (tools/host/bystanders.py)
  SOCKETS=n          the board's sockets (default 10, lwIP's CONFIG_LWIP_MAX_SOCKETS: past them
                     socket() raises OSError 23 and a connection is dropped unaccepted,
                     tools/host/board_socket.py; `socket_refused` events); 0: no limit
  SEND_BUFFER=0      the host's loopback for the firmware's writes; by default the board's
                     TCP send queue models each stream socket (tools/host/board_socket.py:
                     a non-blocking write takes only what lwIP's queue has room for until
                     the peer's ACKs free it; a TLS connection's records too)
  HEAP=n             MicroPython heap size; default: the code's size (measured by a
                     probe run) + 64K + a host allowance (see HEADROOM below). On the
                     board the firmware is frozen into the image, so its bytecode
                     lives in flash and the 64 KiB budget is for its data.
  BOARD_TIME=0       blocking C calls at the host's speed; by default they take the board's
                     time (tools/host/board_time.py), each a `board_block` event
  SIM_PULSES=1       a `pulse` event (start_ms, ms) for every buzzer pulse, to compare runs
  PLOT=path.png      where to draw the night (default build/sim.png; PLOT= to skip)
  INJECT={...}       host fault injection for the resilience tests (see tools/simboot.py inject())
  MICROPYTHON=path   the MicroPython binary to run (default .venv/bin/micropython)
The firmware process (tools/simboot.py) prints every event as a JSON line
with `t_ms`; this program renders them live, then prints a summary and plots.
"""
import importlib
import json
import math
import os
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from runtime import micropython_binary  # noqa: E402

SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
DEFAULT_TRACE = os.path.join(SHARED, "traces", "adolescent_003.csv")
DEFAULT_START = 21 * 60  # 21:00 of the first day; this patient goes low that night
# the annunciator's patterns that only light the LED (sound/annunciator.py on_change)
SILENT_PATTERNS = (None, "off", "no_data", "fault", "snoozed", "acknowledged", "at_leader")
ARROWS = [(35, "⇈"), (20, "↑"), (10, "↗"), (-10, "→"), (-20, "↘"), (-35, "↓")]


def arrow(trend):
    if trend is None:
        return "?"
    for bound, a in ARROWS:
        if trend > bound:
            return a
    return "⇊"


def _number(env, key, default, kind=float):
    """An option's number; a one-line exit for text that is not a finite one."""
    text = env.get(key)
    if not text:
        return default
    try:
        v = kind(text)
    except ValueError:
        sys.exit("sim: %s must be a number, got %r" % (key, text))
    if not math.isfinite(v):
        sys.exit("sim: %s must be a finite number, got %r" % (key, text))
    return v


def _trace_end_minute(path):
    """The minute after a trace's last row (its length from minute 0)."""
    import tracefile
    last = 0
    for minute, _ in tracefile.trace_readings(path):
        last = minute
    return last + 5


def options(env=os.environ):
    headless = env.get("HEADLESS", "") not in ("", "0")
    hours = _number(env, "DAYS", None) * 24 if env.get("DAYS") else _number(env, "HOURS", 11)
    o = {
        "trace": env.get("TRACE") or DEFAULT_TRACE,
        "start": _number(env, "START", DEFAULT_START if not env.get("TRACE") else 0, int),
        "hours": hours,
        "speed": _number(env, "SPEED", 0 if headless else 600),
        "headless": headless,
        "heap": env.get("HEAP") or "",
        "plot": env.get("PLOT", os.path.join(ROOT, "build", "sim.png")),
    }
    for key in ("HTTP_PORT", "NIGHTSCOUT_URL", "NIGHTSCOUT_SECRET", "NIGHTSCOUT_CA", "MQTT", "CONFIG",
                "FAULTS", "SEED", "TX_ID", "FLASH", "SETUP_PORT", "ADV_INTERVAL_MS", "BYSTANDERS", "BOARD"):
        if env.get(key):
            o[key.lower()] = env[key]
    for key in ("HTTP_PORT", "SETUP_PORT", "ADV_INTERVAL_MS", "BYSTANDERS", "SEED"):
        if env.get(key):
            _number(env, key, None, int)
    if env.get("INJECT"):
        try:
            o["inject"] = json.loads(env["INJECT"])
        except ValueError as e:
            sys.exit("sim: INJECT is not JSON (%s)" % e)
    if env.get("SOCKETS"):
        o["sockets"] = _number(env, "SOCKETS", None, int)
    if env.get("SEND_BUFFER"):
        o["send_buffer"] = env["SEND_BUFFER"] not in ("0", "off")
    if o.get("config") and not os.path.isfile(o["config"]):
        sys.exit("sim: no config file %s" % o["config"])
    if o.get("faults"):
        try:
            _faults().parse(o["faults"])
        except ValueError as e:
            sys.exit("sim: FAULTS: %s" % e)
    if not os.path.exists(o["trace"]):
        sys.exit("sim: no trace file %s" % o["trace"])
    import tracefile
    try:
        tracefile.check_trace(o["trace"])   # the virtual transmitter reads it by these rules
    except (tracefile.TraceError, OSError) as e:
        sys.exit("sim: %s" % e)
    if o["hours"] <= 0 or o["speed"] < 0:
        sys.exit("sim: HOURS/DAYS must be > 0 and SPEED >= 0")
    if o["start"] < 0:
        sys.exit("sim: START must be a minute of the trace (0 or more), got %d" % o["start"])
    # the virtual transmitter reads the trace round and round (tools/vtx/transmitter.py):
    # a START past its end is its minute START modulo the length, on a later day (the
    # chaos soak's worlds start months in)
    end = _trace_end_minute(o["trace"])
    at = o["start"] % end
    if at + o["hours"] * 60 > end:
        o["wraps_at"] = end - at
    return o


def _faults():
    """tools/vtx/faults.py, the virtual transmitter's own parser (read as a file: the
    package itself runs on MicroPython)."""
    import importlib.util
    if os.path.join(HERE, "host") not in sys.path:
        sys.path.append(os.path.join(HERE, "host"))   # its xorshift
    spec = importlib.util.spec_from_file_location("vtx_faults", os.path.join(HERE, "vtx", "faults.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


DATA_BUDGET = 64 * 1024
# The host loads the firmware's bytecode (frozen in flash on the board) into
# the heap, interleaved with the host fakes, the virtual radio and the
# virtual transmitter, whose runtime data also lives there; that heap
# fragments far more than the board's. So the process gets the code's size
# + the 64 KiB data budget + a host allowance, and the firmware's live data
# (sampled hourly after a collection, "data" in the heap events) is what is
# held to the budget. A reset (an in-place reboot on the host) imports the
# firmware anew; until session 51 the host still held part of the last boot's code
# there (96 to 220 KB measured), through modules the reset did not forget and
# MicroPython's scheduler queue (virtual_esp32.reset_board now clears both); the
# figures below were measured then, and the allowance was not measured again
# since (simboot measures the code again at each boot, so `data` stays the
# firmware's own either way). Chaos seed 881 (a
# transmitter swap's restart, then a power cut): 300 and 383 KB held after its
# two resets, and with 512 KB the fragmented rest had no 7200-byte block for the
# next boot's forwarding (data 73 KB, as with any heap): 1 MB. Chaos seed 2752 (an
# M5StickC Plus2 with its display and forwarding, one machine.reset): with 1 MB the
# second boot found no 824-byte block for its board file with 74 KB free (at 8ce2fe3 too),
# and the board file, its settings and its alarms fell back to the defaults: 1.5 MB.
HEADROOM = 1536 * 1024


def log_path(o):
    """The firmware's console (stderr), next to its flash folder."""
    return os.path.join(o.get("flash") or os.path.join(ROOT, "build"), "sim-console.log")


def code_heap(o):
    """Heap taken by code and host fakes before the firmware starts (probe run)."""
    p = dict(o, probe=True, heap="1M", headless=True)
    proc = firmware_process(p)
    out, err = proc.communicate(timeout=120)
    for line in out.splitlines():
        if '"probe"' in line:
            return json.loads(line)["heap_bytes"]
    # the unix port prints an uncaught exception on stdout, the firmware's log on stderr
    sys.exit("sim: the probe run failed:\n" + out[-3000:] + open(log_path(o)).read()[-3000:])


def firmware_process(o):
    import mpybuild
    env = dict(os.environ)
    env["MICROPYPATH"] = mpybuild.build()  # precompiled, as the board loads them
    o = dict(o, mpy=True)
    env["SIM_OPTIONS"] = json.dumps(o)
    cmd = [micropython_binary(), "-X", "heapsize=" + o["heap"], "-c", "import simboot"]
    os.makedirs(os.path.dirname(log_path(o)), exist_ok=True)
    log = open(log_path(o), "w")  # the firmware's console
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=ROOT)


class View:
    """The live terminal view, and what the summary and plot need."""

    def __init__(self, o):
        self.o = o
        self.readings = []   # (t_ms, sgv, trend, source)
        self.onsets = []     # [t_ms, type, priority, reason, t_ms it ended or None, how]
        self.active = {}
        self.answered = {}   # type -> "snoozed" / "acknowledged", while it lasts
        self.carried = {}    # type -> (its row, t_ms of the reset that forgot it)
        self.sound = ("off", None)
        self.link = ""
        self.events = 0
        self.last_draw = 0
        self.screen = []     # the board's display, braille lines (a board with one)
        self.drawn = 0       # screen lines on the terminal above the status line
        self.pending = False  # a change the live line does not show yet
        self.ended = False    # the firmware said sim_end: the whole run was simulated

    def take(self, e):
        """Take an event; returns the lines it adds to the log above the live line (an
        alarm's start, step and end, a reset, the configuration's problems): the live
        line alone, redrawn a few times a second, could show an alarm of a few minutes
        never (helper-177)."""
        self.events += 1
        kind = e.get("event")
        notes = []
        if kind == "sim_end":
            self.ended = True
        elif kind == "reading" and e.get("sgv") is not None:
            self.readings.append((e["t_ms"], e["sgv"], e.get("trend"), e.get("source")))
        elif kind == "alarm_onset":
            last = self.readings[-1][1] if self.readings else None
            said = "%s (%s)%s%s" % (
                e["type"], e["priority"], " " + e["reason"] if e.get("reason") else "",
                ", last reading %d mg/dL" % last if last is not None else "")
            row = self._carried(e)
            if e.get("reraise") and e["type"] in self.active:
                # the same alarm again after its snooze (or a press taken back): not a new
                # start, and its start's row is the one its clear ends
                notes.append("sounds again: " + said)
            elif row is not None:   # raised again by the boot, at its level: the same alarm
                row[4], row[5] = None, "cleared"
                notes.append("sounds again after the restart: " + said)
            else:
                self.onsets.append([e["t_ms"], e["type"], e["priority"], e.get("reason") or "", None,
                                    "cleared"])
                notes.append("ALARM " + said)
            self.active[e["type"]] = e["priority"]
            self.answered.pop(e["type"], None)
        elif kind in ("alarm_snooze", "alarm_ack") and e["type"] in self.active:
            # a press, or a start held at once (no_data under an answered link alarm, a
            # battery warning told at night): the live line no longer shows it as sounding
            self.answered[e["type"]] = "snoozed" if kind == "alarm_snooze" else "acknowledged"
            until = e.get("until_s")
            notes.append("acknowledged: %s" % e["type"] if kind == "alarm_ack" else "snoozed: %s%s" % (
                e["type"], " until " + self.clock(until * 1000) if until is not None else ""))
        elif kind in ("alarm_escalate", "alarm_update") and e["type"] in self.active:
            self.active[e["type"]] = e["priority"]   # one priority up; a problem's end left a notice
            if kind == "alarm_escalate":
                notes.append("louder: %s, level %s (%s)" % (e["type"], e.get("level"), e["priority"]))
        elif kind == "alarm_clear":
            self.answered.pop(e["type"], None)
            if self.active.pop(e["type"], None) is not None:
                notes.append("cleared: %s" % e["type"])
                onset = [o for o in self.onsets if o[1] == e["type"]][-1]   # its latest
                if onset[4] is None:
                    onset[4] = e["t_ms"]
        elif kind == "annunciator":
            self.sound = (e.get("pattern"), e.get("alarm"))
        elif kind == "link":
            self.link = self._link_state(e)
        elif kind == "screen":
            self.screen = e.get("lines") or []
        elif kind in ("power_cut", "power_off"):
            # RTC memory goes with the power: the box forgets every alarm, and says no clear
            gone = sorted(self.active)
            for typ in gone:
                onset = [o for o in self.onsets if o[1] == typ][-1]
                if onset[4] is None:
                    onset[4], onset[5] = e["t_ms"], "forgotten at the power cut"
            self.active, self.answered = {}, {}
            notes.append("the power is cut%s" % (
                ": the box forgets " + ", ".join(gone) if gone else ""))
        elif kind == "reset":
            gone = self._forget_conditions(e["t_ms"])
            notes.append("the box restarts (%s)%s" % (e.get("detail") or "reset", (
                ": it does not keep " + ", ".join(gone) + " (raised again if still true)") if gone else ""))
        elif kind == "config_problems":
            notes.extend("config problem: %s" % p for p in e.get("problems") or ())
        return notes

    def _forget_conditions(self, t_ms):
        """A reset keeps the glucose alarms (RTC memory) but not a device or forwarding
        condition: its part raises it again if the fault is still there, at its level when
        it was sounding (alarms/persist.py); else the box no longer has it."""
        persist = _firmware("alarms.persist")
        self.carried = {}
        gone = sorted(t for t in self.active if t in persist._RAISED_AGAIN)
        for typ in gone:
            row = [o for o in self.onsets if o[1] == typ][-1]
            row[4], row[5] = t_ms, "forgotten at the restart"
            if typ not in self.answered:   # a snoozed one is not carried: it starts afresh
                self.carried[typ] = (row, t_ms)
            self.active.pop(typ)
            self.answered.pop(typ, None)
        return gone

    def _carried(self, e):
        """The row of the alarm this onset carries on after a reset, or None."""
        c = self.carried.pop(e["type"], None)
        if c is None or e.get("reraise") or (e.get("reason") or "") != c[0][3] or \
                e["t_ms"] - c[1] > _firmware("alarms.persist").CARRY_S * 1000:
            return None
        return c[0]

    def _link_state(self, e):
        what = e.get("what", "")
        if what in ("connected", "authenticated", "encrypted", "bonded", "sensor_state", "battery_low"):
            return "talking to the transmitter"
        if what == "disconnected":
            r = e.get("reason")
            return "waiting for the next wake-up" if r in (None, "done") else "last session: %s" % r
        if what == "no_transmitter":
            return "TRANSMITTER NOT SEEN"
        return what

    def alarms_text(self):
        """The live line's alarms: each with its priority, and its answer while it holds."""
        return ", ".join("%s(%s%s)" % (k, p, ", " + self.answered[k] if k in self.answered else "")
                         for k, p in sorted(self.active.items())) or "none"

    def clock(self, t_ms):
        m = self.o["start"] + t_ms // 60000
        return "day %d %02d:%02d" % (m // 1440 + 1, (m // 60) % 24, m % 60)

    def log(self, notes, t_ms):
        """Lines above the live line (and the display), which stay on the terminal."""
        out = "\r\x1b[2K"
        if self.drawn:   # up to the display's first line, and clear from there
            out += "\x1b[%dF\x1b[J" % self.drawn
            self.drawn = 0
        out += "".join("%s  %s\n" % (self.clock(t_ms), n) for n in notes)
        sys.stdout.write(out)
        self.draw(t_ms, force=True)

    def draw(self, t_ms, force=False):
        now = time.time()
        if not force and now - self.last_draw < 0.2:
            return
        self.last_draw = now
        self.pending = False
        r = self.readings[-1] if self.readings else None
        bg = "%3d mg/dL %s" % (r[1], arrow(r[2])) if r else "--- mg/dL"
        alarms = self.alarms_text()
        pattern, alarm = self.sound
        led = {"high": "red flashing", "medium": "yellow flashing", "low": "cyan steady",
               "off": "calm", "no_data": "blue blink", "fault": "fault"}.get(pattern, pattern)
        line = "%s | %s | alarms: %s | buzzer: %s | LED: %s | link: %s" % (
            self.clock(t_ms), bg, alarms, "silent" if pattern in SILENT_PATTERNS else pattern,
            led, self.link)
        out = ""
        if self.screen:   # the display above the status line, redrawn in place
            if self.drawn:
                out += "\x1b[%dF" % self.drawn
            out += "".join("\x1b[2K" + s + "\n" for s in self.screen)
            self.drawn = len(self.screen)
        sys.stdout.write(out + "\r\x1b[2K" + line[:200])
        sys.stdout.flush()

    def summary(self, wall_s, t_ms=0):
        done = "simulated %.1f h" % self.o["hours"] if self.ended else \
            "ended at %s: simulated %.1f of %.1f h" % (self.clock(t_ms), t_ms / 3600000, self.o["hours"])
        lines = ["", "%s in %.1f s wall time" % (done, wall_s),
                 "readings: %d (%d backfilled)" % (len(self.readings),
                                                  sum(1 for r in self.readings if r[3] == "backfill"))]
        if self.readings:
            sg = [r[1] for r in self.readings]
            lines.append("glucose: min %d, max %d mg/dL" % (min(sg), max(sg)))
        for t, typ, prio, reason, cleared, how in self.onsets:
            lines.append("  alarm %-20s %-6s at %s%s, %s" % (
                typ, prio, self.clock(t), " (%s)" % reason if reason else "",
                "%s at %s" % (how, self.clock(cleared)) if cleared is not None else "still active"))
        if not self.onsets:
            lines.append("  no alarm raised")
        return "\n".join(lines)


def thresholds(o, minute_of_day=None):
    """The box's urgent low, low and high alarm thresholds (mg/dL) for the plot:
    CONFIG's alarm settings as the box runs them (its usable values when some are
    wrong), else the defaults (firmware/alarms/settings.py); at minute_of_day, with
    the schedule's entry for it."""
    from alarms import settings
    s = settings.effective(_settings(o), minute_of_day)
    return s["urgent_low"], s["low"], s["high"]


def threshold_lines(o, h0, h1):
    """(hours, [thresholds at each]) from h0 to h1 (the trace's clock, in hours), a
    point a minute; (None, [thresholds]) without a schedule: one line each. The
    schedules run on the box's local minute: the trace's clock is its wall clock (UTC)
    in CONFIG's zone, held where the clocks went back through minutes they had shown
    (alarms.engine REPLAY_MIN)."""
    if not _settings(o)["schedule"]:
        return None, [thresholds(o)]
    from alarms.engine import REPLAY_MIN
    offset_min = _zone(o)
    hours = [m / 60 for m in range(int(h0 * 60), int(h1 * 60) + 2)]
    lines, reached = [], None
    for h in hours:
        t = TRACE_EPOCH + int(round(h * 3600))
        minute = (t // 60 + offset_min(t)) % 1440
        if reached is not None and 0 < (reached - minute) % 1440 <= REPLAY_MIN:
            minute = reached
        reached = minute
        lines.append(thresholds(o, minute))
    return hours, lines


TRACE_EPOCH = 1767225600   # the board's wall clock at the trace's minute 0 (simboot's)


def _zone(o):
    """offset_min(unix_s): the box's local time minus UTC as main.App takes it from
    CONFIG: its tz rule, else (none, or one that does not parse) utc_offset_min."""
    from app import localtime
    cfg = {}
    try:
        with open(o["config"]) as f:
            cfg = json.load(f)
    except (KeyError, OSError, ValueError):
        pass
    cfg = cfg if isinstance(cfg, dict) else {}
    try:
        rule = localtime.parse(cfg["tz"]) if cfg.get("tz") else None
    except ValueError:
        rule = None
    if rule is not None:
        return lambda t: localtime.offset_min(rule, t)
    fixed = cfg.get("utc_offset_min", 0)
    if isinstance(fixed, bool) or not isinstance(fixed, int) or not -720 <= fixed <= 840:
        fixed = 0
    return lambda t: fixed


def _firmware(name):
    """A module of firmware/ (pure ones run on CPython too)."""
    if os.path.join(ROOT, "firmware") not in sys.path:
        sys.path.append(os.path.join(ROOT, "firmware"))
    return importlib.import_module(name)


def _settings(o):
    settings = _firmware("alarms.settings")
    user = {}
    try:
        with open(o["config"]) as f:
            user = json.load(f).get("alarms", {})
    except (KeyError, OSError, ValueError, AttributeError):
        pass
    try:
        return settings.validate(user)
    except settings.SettingsError as e:
        return e.usable or settings.validate({})


def plot(view, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (matplotlib.ticker.FuncFormatter below)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    start = view.o["start"]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    xs = [(start + t / 60000) / 60 for t, *_ in view.readings]
    ax.plot(xs, [r[1] for r in view.readings], ".-", lw=1, ms=3, label="CGM (as received)")
    hours, lines = threshold_lines(view.o, min(xs), max(xs))
    for i, (c, name) in enumerate((("darkred", "urgent low"), ("orange", "low"), ("gray", "high"))):
        if hours is None:
            ax.axhline(lines[0][i], color=c, lw=0.8, ls="--", label="%s %d" % (name, lines[0][i]))
        else:   # a schedule: what the box runs on at each minute
            ax.plot(hours, [t[i] for t in lines], color=c, lw=0.8, ls="--", label=name + " (schedule)")
    colors = {"high": "red", "medium": "orange", "low": "gold"}
    for t, typ, prio, *_ in view.onsets:
        x = (start + t / 60000) / 60
        ax.axvline(x, color=colors.get(prio, "k"), lw=1.2, alpha=0.7)
        ax.text(x, ax.get_ylim()[1] * 0.97, typ, rotation=90, va="top", fontsize=7)
    # the trace's minutes as the live line shows them: day 1 00:00 is the trace's minute 0
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        lambda h, _: "%02d:%02d" % (int(h) % 24, int(round(h * 60)) % 60)))
    ax.set_xlabel("time of day (the trace's clock, as the live line shows it)")
    ax.set_ylabel("mg/dL")
    ax.set_title("bedside CGM alarm: simulated night (%s)" % os.path.basename(view.o["trace"]))
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=sys.argv[1:]):
    if argv:   # (options are environment variables: `--help` ran a whole night before)
        if argv[0] in ("-h", "--help"):
            print(__doc__.strip())
            return
        sys.exit("sim: no arguments (%s); options are environment variables, e.g. "
                 "`make sim HOURS=2` or `HOURS=2 python tools/sim.py`; see --help" % " ".join(argv))
    o = options()
    view = View(o)
    t0 = time.time()
    try:   # (a fresh clone's first run builds the .mpy files here: about 5 s of nothing shown)
        if not o["heap"]:
            o["code_heap"] = code_heap(o)
            o["heap"] = "%dK" % ((o["code_heap"] + DATA_BUDGET + HEADROOM + 1023) // 1024)
        p = firmware_process(o)
    except KeyboardInterrupt:
        print("sim: stopped (Ctrl-C) before the night began", file=sys.stderr)
        sys.exit(130)
    if o.get("wraps_at") and not o["headless"]:
        print("sim: the trace ends %.1f h into the run; the virtual transmitter then goes on "
              "from its first row" % (o["wraps_at"] / 60.0))
    lines = queue.Queue()

    def read():   # a thread, so the live line is redrawn while no event comes
        for line in p.stdout:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    t_ms = 0
    stopped = False
    try:
        while True:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if view.pending and not o["headless"]:
                    view.draw(t_ms, force=True)
                continue
            if line is None:
                break
            if not line.startswith("{"):
                continue  # the firmware's console log goes to stderr; be strict anyway
            try:
                e = json.loads(line)
            except ValueError:
                continue
            t_ms = e.get("t_ms", t_ms)
            notes = view.take(e)
            if o["headless"]:
                sys.stdout.write(line)
            elif notes:
                view.log(notes, t_ms)
            else:
                view.pending = True
                view.draw(t_ms)
    except KeyboardInterrupt:
        stopped = True
        p.terminate()
    rc = p.wait()
    err = open(log_path(o)).read()
    out = sys.stderr if o["headless"] else sys.stdout
    if not o["headless"]:
        view.draw(t_ms, force=True)
    print(view.summary(time.time() - t0, t_ms), file=out)
    if o["plot"] and view.readings:
        plot(view, o["plot"])
        print("plot:", o["plot"], file=out)
    if stopped:   # Ctrl-C reached the firmware too: its exit code is no failure of it
        print("sim: stopped (Ctrl-C); the firmware's console: %s" % log_path(o), file=sys.stderr)
        sys.exit(130)
    if rc != 0:
        print("firmware process ended with code %d\n%s" % (rc, err[-4000:]), file=sys.stderr)
        sys.exit(rc)


if __name__ == "__main__":
    main()
