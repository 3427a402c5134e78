# Sound and light patterns (pure: numbers in, numbers out; CPython too).
#
# Rhythm after IEC 60601-1-8 (see ../shared/research/alarms.md §2):
#   high   10 pulses as 3+2, pause, 3+2; pulse 100 ms, spacing 100 ms
#          (t_s 50-125 ms), the gap after pulse 3 is 2*t_s + t_d, pulses 5-6
#          are 500 ms apart (0.35-1.30 s); burst repeats every 2.5-15 s
#   medium 3 pulses of 200 ms, 200 ms apart (t_s 125-250 ms); repeat 2.5-30 s
#   low    2 pulses of 200 ms, 200 ms apart; repeat > 15 s
# A sound is a tuple (pulses, period_ms, duty_pct, freq_hz): pulses is a
# tuple of (start_ms, length_ms) from the burst start, period_ms the burst
# repeat interval (start to start; 0 = play once), duty_pct the PWM duty
# (50 = loudest square wave; loudness), freq_hz the tone.
# Volume (the alarm settings' "volume", 10..100 %, e.g. lower in a night
# schedule) scales the duty of a fresh (level 0) medium or low alarm, never
# below MIN_DUTY; a high-priority alarm and any escalated one play at their
# own loudness whatever the volume, so no setting makes an urgent low quiet.
# Escalation level (the engine's "level", 0 while fresh): 1 = louder
# (full duty), 2 and above = louder and more often. Going one priority up
# (the engine's level 3) is the engine's: it hands over the raised priority,
# and the pattern plays it as given.
#
# A light is (rgb, period_ms, on_ms): period 0 = steady. High = red at 2 Hz,
# medium = yellow at 0.6 Hz (40 % on), low = cyan steady (IEC visual
# indicators); "ok" = green steady (its brightness is the caller's calm /
# night setting), "no_data" = blue short blink every 3 s, "fault" =
# magenta at 1 Hz. A paused (snoozed/acknowledged) alarm shows its
# priority's colour steady and dim, without sound.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

PRIORITIES = ("low", "medium", "high")
MAX_LEVEL = const(2)
LOUD = const(50)
MIN_DUTY = const(5)  # the quietest a volume can make a sound (a piezo still heard)


class PatternError(ValueError):
    """An unknown priority, state or cue name."""


# Pulses as (start_ms, length_ms) from the burst start. Written out, not
# computed, so the frozen build keeps them (and every table below built of
# const names and numbers) in flash instead of the heap.
# high: 3+2, pause, 3+2; within a group 100 ms apart (end of one pulse to the
# start of the next); within a half the gap after pulse 3 is 2*100 + 100 (one
# slot left out); between the halves 500 ms
HIGH_PULSES = const(((0, 100), (200, 100), (400, 100), (800, 100), (1000, 100),
                     (1600, 100), (1800, 100), (2000, 100), (2400, 100), (2600, 100)))
MEDIUM_PULSES = const(((0, 200), (400, 200), (800, 200)))
LOW_PULSES = const(((0, 200), (400, 200)))

# priority -> (pulses, (period L0, L1, L2), base duty, freq)
_SOUNDS = {
    "high": (HIGH_PULSES, (10000, 10000, 6000), 30, 988),
    "medium": (MEDIUM_PULSES, (20000, 20000, 10000), 20, 784),
    "low": (LOW_PULSES, (60000, 60000, 20000), 12, 659),
}

RED = const((255, 0, 0))
YELLOW = const((255, 160, 0))
CYAN = const((0, 200, 255))
GREEN = const((0, 255, 0))
BLUE = const((0, 0, 255))
MAGENTA = const((255, 0, 255))
WHITE = const((255, 255, 255))
OFF = const((0, 0, 0))

LIGHTS = {
    "high": (RED, 500, 250),
    "medium": (YELLOW, 1667, 667),
    "low": (CYAN, 0, 0),
    "ok": (GREEN, 0, 0),
    "no_data": (BLUE, 3000, 300),
    "fault": (MAGENTA, 1000, 500),
}
BASE_STATES = ("ok", "no_data", "fault")
PAUSED_BRIGHTNESS = const(15)  # % for a snoozed / acknowledged alarm


def _check_priority(priority):
    if priority not in _SOUNDS:
        raise PatternError("unknown priority %r (want high, medium or low)" % (priority,))


def effective(priority, level):
    """(priority, level) as played: the priority as given, the level 0..MAX_LEVEL."""
    _check_priority(priority)
    level = int(level or 0)
    return priority, max(0, min(level, MAX_LEVEL))


def _volume(volume):
    # anything but a number 0..100 plays at full volume: never quieter by mistake
    if isinstance(volume, bool) or not isinstance(volume, (int, float)) or not 0 <= volume < 100:
        return 100
    return int(volume)


def sound(priority, level=0, volume=100):
    """The sound tuple (pulses, period_ms, duty_pct, freq_hz) for an alarm."""
    priority, level = effective(priority, level)
    pulses, periods, duty, freq = _SOUNDS[priority]
    if level:
        duty = LOUD
    elif priority != "high":
        duty = max(MIN_DUTY, duty * _volume(volume) // 100)
    return (pulses, periods[level], duty, freq)


def light(state):
    """The light tuple (rgb, period_ms, on_ms) for a priority or base state."""
    try:
        return LIGHTS[state]
    except KeyError:
        raise PatternError("unknown light state %r" % (state,))


def burst_ms(pulses):
    s, d = pulses[-1]
    return s + d


def sound_at(snd, t):
    """(on, ms until the next change or None) of a sound at t ms from its start."""
    pulses, period = snd[0], snd[1]
    if t < 0:
        return False, -t
    if period:
        t %= period
    for s, d in pulses:
        if t < s:
            return False, s - t
        if t < s + d:
            return True, s + d - t
    if period:
        return False, period - t
    return False, None


def light_at(lt, t):
    """(on, ms until the next change or None) of a light at t ms from its start."""
    period, on_ms = lt[1], lt[2]
    if not period:
        return True, None
    ph = t % period
    if ph < on_ms:
        return True, on_ms - ph
    return False, period - ph


# --- finite sequences: self-test, the button's test gesture, cues ------------
# A sequence is a tuple of steps (length_ms, sound or None, light or None);
# a step's sound and light start with the step and play once.
def _once(priority, level=0):
    s = sound(priority, level)
    return (s[0], 0, s[2], s[3])


# A tone played once is (((0, length_ms),), 0, duty_pct, freq_hz) and a steady
# light (rgb, 0, 0): written out, not built by a helper, so that the frozen
# build keeps these sequences in flash instead of the heap.
SELFTEST = (
    (250, (((0, 120),), 0, LOUD, 1319), (RED, 0, 0)),
    (250, (((0, 120),), 0, LOUD, 1760), (YELLOW, 0, 0)),
    (250, None, (GREEN, 0, 0)),
    (250, None, (BLUE, 0, 0)),
)


def test_sequence():
    """Every alarm pattern once, loudest first, then the base lights."""
    seq = []
    for p in ("high", "medium", "low"):
        s = _once(p, 1)
        seq.append((burst_ms(s[0]) + 700, s, light(p)))
    for state in ("no_data", "fault", "ok"):
        seq.append((3000, None, light(state)))
    return tuple(seq)


CUES = {
    # factory reset: a beep each second while the button is held at boot,
    # a rising triple when done, a low double when cancelled
    "reset_warn": ((300, (((0, 80),), 0, LOUD, 1760), (WHITE, 0, 0)),),
    "reset_done": (
        (200, (((0, 150),), 0, LOUD, 1047), (WHITE, 0, 0)),
        (200, (((0, 150),), 0, LOUD, 1319), (WHITE, 0, 0)),
        (600, (((0, 400),), 0, LOUD, 1760), (WHITE, 0, 0)),
    ),
    "reset_cancel": (
        (250, (((0, 150),), 0, LOUD, 659), (GREEN, 0, 0)),
        (250, (((0, 150),), 0, LOUD, 523), (GREEN, 0, 0)),
    ),
    # the setup access point opened (a 6-s hold in use): two even tones in blue, not
    # the factory reset's rising triple, which teaches "let go now to wipe"
    "setup_open": (
        (300, (((0, 150),), 0, LOUD, 1319), (BLUE, 0, 0)),
        (300, (((0, 150),), 0, LOUD, 1319), (BLUE, 0, 0)),
    ),
}


def cue(name):
    try:
        return CUES[name]
    except KeyError:
        raise PatternError("unknown cue %r" % (name,))


def sequence_ms(seq):
    t = 0
    for step in seq:
        t += step[0]
    return t


def sequence_at(seq, t):
    """(step, t within the step, ms left in the step) or None after the end."""
    for step in seq:
        if t < step[0]:
            return step, t, step[0] - t
        t -= step[0]
    return None


_NAMED = (("red", RED), ("yellow", YELLOW), ("green", GREEN), ("cyan", CYAN),
          ("blue", BLUE), ("magenta", MAGENTA), ("white", WHITE))


def color_name(rgb):
    """Nearest named colour of an (r, g, b) by hue, or "off" when dark."""
    m = max(rgb)
    if m <= 0:
        return "off"
    best, bd = "off", None
    for name, ref in _NAMED:
        d = 0
        for a, b in zip(rgb, ref):
            e = a * 255 // m - b
            d += e * e
        if bd is None or d < bd:
            best, bd = name, d
    return best
