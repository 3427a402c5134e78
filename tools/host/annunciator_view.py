# Host views of the annunciator (never on the board); MicroPython and CPython.
#   render(board)            -> "BUZZ ▮▮▯  988Hz  LED red" from the machine fake's pin state
#   event_line(ev, t_ms)     -> the headless JSON line {"t_ms", "event": "annunciator", ...}
#   EventLines(write, clock) -> an on_change callback for Annunciator writing those lines
#   buzzer_pulses(log, pin)  -> [(start_ms, end_ms), ...] from the recorded pin log
#   check_iec(priority, pulses) -> (problems, info): the pulses against the IEC 60601-1-8 rhythm
import json

try:
    import machine
except ImportError:  # pragma: no cover
    machine = None

from sound.patterns import color_name


def _st(state, pin):
    return state.get(pin, {})


def _level(s, active_low):
    """On (1) or off (0) of a plain output; a pin a reset left as an input drives nothing."""
    if s.get("mode") == 1:   # machine.IN
        return 0
    return s.get("value", 0) ^ (1 if active_low else 0)


def render(board, state=None):
    """A short line for the terminal: buzzer loudness and tone, LED colour."""
    if state is None:
        state = machine.STATE
    bz = board["buzzer"]
    s = _st(state, bz["pin"])
    if bz["kind"] == "pwm":
        duty = s.get("duty_u16", 0) if s.get("pwm", 1) else 0
        if duty:
            bars = min(3, 1 + duty * 3 // 32768)
            buzz = "BUZZ " + "\u25ae" * bars + "\u25af" * (3 - bars) + " %5dHz" % s.get("freq", 0)
        else:
            buzz = "buzz \u25af\u25af\u25af        "
    else:
        on = _level(s, bz.get("active_low"))
        buzz = ("BUZZ \u25ae\u25ae\u25ae " if on else "buzz \u25af\u25af\u25af ") + "       "
    return buzz + "  LED " + led_text(board["led"], state)


def led_rgb(led, state=None):
    """The LED's colour as (r, g, b) 0-255 from the pin state (None: not RGB)."""
    if state is None:
        state = machine.STATE
    k = led["kind"]
    if k == "rgb":
        out = []
        for c in ("red", "green", "blue"):
            d = _st(state, led["pins"][c]).get("duty_u16", 0)
            if led.get("common") == "anode":
                d = 65535 - d if "duty_u16" in _st(state, led["pins"][c]) else 0
            out.append(d // 257)
        return tuple(out)
    if k == "neopixel":
        px = _st(state, led["pin"]).get("neopixel")
        return px[0] if px else (0, 0, 0)
    return None


def led_text(led, state=None):
    if state is None:
        state = machine.STATE
    k = led["kind"]
    if k in ("rgb", "neopixel"):
        rgb = led_rgb(led, state)
        name = color_name(rgb)
        m = max(rgb)
        return name if m >= 250 or name == "off" else "%s %d%%" % (name, m * 100 // 255)
    if k == "single":
        s = _st(state, led["pin"])
        if "duty_u16" in s:  # on PWM: "on", "off" or "on <brightness>%"
            d = s["duty_u16"] if s.get("pwm", 1) else 0
            if led.get("active_low"):
                d = 65535 - d
            pct = d * 100 // 65535
            return "on" if pct >= 98 else ("off" if pct == 0 else "on %d%%" % pct)
        return "on" if _level(s, led.get("active_low")) else "off"
    lit = [c for c, p in sorted(led["pins"].items()) if _level(_st(state, p), False)]
    return "+".join(lit) or "off"


def event_line(ev, t_ms):
    """One headless line: {"t_ms": ..., "event": "annunciator", "pattern", "alarm", ...}."""
    d = {"t_ms": t_ms}
    d.update(ev)
    return json.dumps(d)


class EventLines:
    """on_change callback for Annunciator: writes event_line()s."""

    def __init__(self, write=print, clock_ms=None):
        self.write = write
        self.clock_ms = clock_ms or machine.now_ms

    def __call__(self, ev):
        self.write(event_line(ev, self.clock_ms()))


def buzzer_pulses(log, pin, since=0, until=None, active_low=False):
    """Sound pulses [(start_ms, end_ms)] of the buzzer on `pin` from a machine.LOG."""
    out = []
    start = None
    for t, p, attr, v in log:
        if p != pin or t < since or (until is not None and t > until):
            continue
        if attr == "duty_u16":
            on = v > 0
        elif attr == "value":
            on = bool(v) != bool(active_low)
        elif attr == "pwm" and v == 0:
            on = False
        else:
            continue
        if on and start is None:
            start = t
        elif not on and start is not None:
            out.append((start, t))
            start = None
    return out


# IEC 60601-1-8 Table 3 (burst) and Table 4 (pulse), see ../shared/research/alarms.md §2
IEC = {
    # pulses per burst, pulse length, spacing t_s, repeat interval (start to start)
    "high": ((10,), (75, 200), (50, 125), (2500, 15000)),
    "medium": ((3,), (125, 250), (125, 250), (2500, 30000)),
    "low": ((1, 2), (125, 250), (125, 250), (15000, None)),
}
GAP_5_6 = (350, 1300)
BURST_SPLIT_MS = 2000  # a silence longer than this ends a burst


def bursts(pulses):
    out = []
    for p in pulses:
        if out and p[0] - out[-1][-1][1] <= BURST_SPLIT_MS:
            out[-1].append(p)
        else:
            out.append([p])
    return out


def check_iec(priority, pulses, tol=2):
    """(problems, info): each complete burst and each repeat against the rhythm.
    Needs at least two bursts to judge the repeat interval (unless low)."""
    counts, plen, space, rep = IEC[priority]
    problems = []
    bs = bursts(pulses)
    info = {"bursts": len(bs), "pulses": [len(b) for b in bs], "period_ms": []}

    def within(v, lo, hi, what):
        if (lo is not None and v < lo - tol) or (hi is not None and v > hi + tol):
            problems.append("%s: %s %d ms outside %s-%s" % (priority, what, v, lo, hi))

    if not bs:
        problems.append("%s: no sound" % priority)
        return problems, info
    for bi, b in enumerate(bs):
        if len(b) not in counts:
            problems.append("%s: burst %d has %d pulses, want %s" % (priority, bi, len(b), counts))
            continue
        for s, e in b:
            within(e - s, plen[0], plen[1], "pulse length")
        gaps = [b[i + 1][0] - b[i][1] for i in range(len(b) - 1)]
        if priority == "high":
            ts = gaps[0]
            td = b[0][1] - b[0][0]
            for i in (0, 1, 3, 5, 6, 8):
                within(gaps[i], space[0], space[1], "spacing %d-%d" % (i + 1, i + 2))
            for i in (2, 7):  # a pulse left out: 2 t_s + t_d
                within(gaps[i], 2 * ts + td, 2 * ts + td, "gap %d-%d" % (i + 1, i + 2))
            within(gaps[4], GAP_5_6[0], GAP_5_6[1], "gap 5-6")
        else:
            for i, g in enumerate(gaps):
                within(g, space[0], space[1], "spacing %d-%d" % (i + 1, i + 2))
    for i in range(len(bs) - 1):
        period = bs[i + 1][0][0] - bs[i][0][0]
        info["period_ms"].append(period)
        within(period, rep[0], rep[1], "repeat interval")
    if len(bs) < 2 and priority != "low":
        problems.append("%s: only %d burst(s), cannot judge the repeat" % (priority, len(bs)))
    return problems, info
