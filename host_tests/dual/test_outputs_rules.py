# The buzzer and light drivers (sound/outputs.py), against a stand-in `machine`
# that records every write: each part starts silent and dark at its own "off"
# level (an active-low part high, a common-anode LED at full duty), a colour or
# a tone becomes the right duty for the wiring, nothing is written again while
# the value stays, deinit leaves the part off, and a set of separate LEDs is
# never dark while a colour is shown. `python tools/mutation.py --package sound
# --only outputs --mpy` found these unpinned by test_sound.py and
# test_board_calls.py (56.8%). Runs on CPython and on MicroPython.
from fakes import swap_module

from sound import outputs


class Log:
    writes = []


class Pin:
    OUT = 3

    def __init__(self, n, mode=None, value=None):
        self.n = n
        Log.writes.append(("pin", n, "init", value))

    def value(self, v=None):
        Log.writes.append(("pin", self.n, "value", v))


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None):
        self.n = pin.n
        Log.writes.append(("pwm", self.n, "init", (freq, duty_u16)))

    def freq(self, f):
        Log.writes.append(("pwm", self.n, "freq", f))

    def duty_u16(self, d):
        Log.writes.append(("pwm", self.n, "duty", d))

    def deinit(self):
        Log.writes.append(("pwm", self.n, "deinit", None))


class Machine:
    Pin, PWM = Pin, PWM


class NeoPixel:
    def __init__(self, pin, count):
        self.n = pin.n
        Log.writes.append(("np", self.n, "init", count))

    def fill(self, rgb):
        Log.writes.append(("np", self.n, "fill", rgb))

    def write(self):
        Log.writes.append(("np", self.n, "write", None))


class NeoModule:
    NeoPixel = NeoPixel


def _writes(fn):
    """What fn() wrote, through the stand-in machine (and neopixel)."""
    del Log.writes[:]
    real = outputs.machine
    outputs.machine = Machine
    try:
        swap_module("neopixel", NeoModule, fn)
    finally:
        outputs.machine = real
    return list(Log.writes)


def _made(kind_fn, cfg):
    box = []
    w = _writes(lambda: box.append(kind_fn(cfg)))
    return box[0], w


def test_a_pwm_buzzer_starts_silent_and_plays_the_tone_at_its_duty():
    bz, made = _made(outputs.make_buzzer, {"kind": "pwm", "pin": 25})
    assert made == [("pin", 25, "init", None), ("pwm", 25, "init", (1000, 0))], made
    assert _writes(lambda: bz.set(False, 2600, 50)) == []          # silent already
    assert _writes(lambda: bz.set(True, 2600, 50)) == [("pwm", 25, "freq", 2600),
                                                       ("pwm", 25, "duty", 32767)]
    assert _writes(lambda: bz.set(True, 2600, 50)) == []           # the same: nothing written
    assert _writes(lambda: bz.set(True, 2600, 100)) == [("pwm", 25, "duty", 65535)]   # louder only
    assert _writes(lambda: bz.set(False, 2600, 100)) == [("pwm", 25, "duty", 0)]
    assert _writes(lambda: bz.set(False, 900, 10)) == []           # off is off, whatever the tone
    assert _writes(lambda: bz.set(True, 2600, 1)) == [("pwm", 25, "freq", 2600), ("pwm", 25, "duty", 655)]
    assert _writes(bz.deinit) == [("pwm", 25, "deinit", None)]


def test_a_resonant_piezo_plays_its_own_frequency():
    bz, _ = _made(outputs.make_buzzer, {"kind": "pwm", "pin": 25, "freq_hz": 4000})
    assert _writes(lambda: bz.set(True, 2600, 50)) == [("pwm", 25, "freq", 4000), ("pwm", 25, "duty", 32767)]
    assert _writes(lambda: bz.set(True, 880, 50)) == []


def test_a_piezo_loud_higher_up_plays_every_tone_its_octaves_up():
    bz, _ = _made(outputs.make_buzzer, {"kind": "pwm", "pin": 25, "octaves": 2})
    assert _writes(lambda: bz.set(True, 988, 30)) == [("pwm", 25, "freq", 3952), ("pwm", 25, "duty", 19660)]
    assert _writes(lambda: bz.set(True, 659, 30))[0] == ("pwm", 25, "freq", 2636)
    bz, _ = _made(outputs.make_buzzer, {"kind": "pwm", "pin": 25, "octaves": None})
    assert _writes(lambda: bz.set(True, 988, 30))[0] == ("pwm", 25, "freq", 988)


def test_an_active_buzzer_starts_off_at_its_off_level_and_follows_on_off():
    for active_low, off, on in ((True, 1, 0), (False, 0, 1)):
        bz, made = _made(outputs.make_buzzer, {"kind": "pin", "pin": 4, "active_low": active_low})
        assert made == [("pin", 4, "init", off)], made
        assert _writes(lambda: bz.set(True, 2600, 50)) == [("pin", 4, "value", on)]
        assert _writes(lambda: bz.set(True, 900, 20)) == []
        assert _writes(lambda: bz.set(False, 0, 0)) == [("pin", 4, "value", off)]
        assert _writes(lambda: bz.set(True, 2600, 50)) == [("pin", 4, "value", on)]
        assert _writes(bz.deinit) == [("pin", 4, "value", off)]


def test_an_rgb_led_starts_dark_and_drives_each_colour_for_its_wiring():
    for common, dark, full in (("cathode", 0, 65535), ("anode", 65535, 0)):
        cfg = {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33}, "common": common}
        led, made = _made(outputs.make_led, cfg)
        assert made == [("pin", 26, "init", None), ("pwm", 26, "init", (1000, dark)),
                        ("pin", 27, "init", None), ("pwm", 27, "init", (1000, dark)),
                        ("pin", 33, "init", None), ("pwm", 33, "init", (1000, dark))], made
        assert _writes(lambda: led.set((0, 0, 0))) == []          # dark already
        half = 128 * 257 if common == "cathode" else 65535 - 128 * 257
        assert _writes(lambda: led.set((255, 128, 0))) == [("pwm", 26, "duty", full),
                                                           ("pwm", 27, "duty", half),
                                                           ("pwm", 33, "duty", dark)]
        assert _writes(lambda: led.set((255, 128, 0))) == []
        assert _writes(led.deinit) == [("pwm", n, "deinit", None) for n in (26, 27, 33)]
    led, made = _made(outputs.make_led, dict(cfg, pwm_freq=5000))
    assert made[1] == ("pwm", 26, "init", (5000, 65535)), made   # its own frequency, dark


def test_a_neopixel_starts_with_its_count_and_writes_each_change_once():
    led, made = _made(outputs.make_led, {"kind": "neopixel", "pin": 13})
    assert made == [("pin", 13, "init", None), ("np", 13, "init", 1)], made
    led, made = _made(outputs.make_led, {"kind": "neopixel", "pin": 13, "count": 8})
    assert made[1] == ("np", 13, "init", 8), made
    assert _writes(lambda: led.set((0, 0, 0))) == [("np", 13, "fill", (0, 0, 0)), ("np", 13, "write", None)]
    assert _writes(lambda: led.set((0, 0, 0))) == []
    assert _writes(lambda: led.set((255, 0, 0))) == [("np", 13, "fill", (255, 0, 0)), ("np", 13, "write", None)]
    assert _writes(led.deinit) == [("np", 13, "fill", (0, 0, 0)), ("np", 13, "write", None)]


def test_a_single_led_is_as_bright_as_the_brightest_part_and_off_at_deinit():
    for active_low, dark in ((False, 0), (True, 65535)):
        led, made = _made(outputs.make_led, {"kind": "single", "pin": 19, "active_low": active_low})
        assert made == [("pin", 19, "init", None), ("pwm", 19, "init", (1000, dark))], made
        assert _writes(lambda: led.set((0, 0, 0))) == []
        lit = 40 * 257 if not active_low else 65535 - 40 * 257
        assert _writes(lambda: led.set((0, 40, 10))) == [("pwm", 19, "duty", lit)]
        assert _writes(lambda: led.set((40, 0, 0))) == []          # as bright: nothing written
        assert _writes(led.deinit) == [("pwm", 19, "deinit", None),
                                       ("pin", 19, "init", 1 if active_low else 0)]


def test_separate_leds_show_the_nearest_colour_they_have_and_are_never_dark_while_shown():
    led, made = _made(outputs.make_led, {"kind": "separate", "pins": {"red": 26, "green": 27}})
    assert sorted(made) == [("pin", 26, "init", 0), ("pin", 27, "init", 0)], made

    def lit(rgb):
        w = _writes(lambda: led.set(rgb))
        return sorted((n, v) for _, n, _, v in w)
    assert lit((255, 200, 0)) == [(26, 1), (27, 1)]       # yellow: red and green
    assert lit((255, 200, 0)) == []                       # no change, no write
    assert lit((255, 0, 0)) == [(26, 1), (27, 0)]         # red
    assert lit((255, 0, 255)) == []                       # magenta, which it lacks: red, not dark
    assert lit((0, 0, 0)) == [(26, 0), (27, 0)]           # off
    assert sorted(_writes(led.deinit)) == [("pin", 26, "value", 0), ("pin", 27, "value", 0)]


def test_on_separate_leds_no_alarm_light_looks_like_the_calm_green():
    # a red-and-green board lacks cyan (low priority) and blue (no data): green
    # alone would say all is well, so they show yellow (red and green)
    from sound import patterns
    calm = patterns.LIGHTS["ok"][0]
    for pins in ({"red": 26, "green": 27}, {"green": 27, "yellow": 25}, {"green": 27, "blue": 33},
                 {"red": 26, "green": 27, "blue": 33}):
        led, _ = _made(outputs.make_led, {"kind": "separate", "pins": pins})
        led.set(calm)
        calm_lit = led.lit
        assert calm_lit == ("green",), (pins, calm_lit)
        for state, (rgb, _, _) in patterns.LIGHTS.items():
            if state != "ok":
                led.set(rgb)
                assert led.lit and led.lit != calm_lit, (pins, state, led.lit)
    led, _ = _made(outputs.make_led, {"kind": "separate", "pins": {"red": 26, "green": 27}})
    for rgb in (patterns.CYAN, patterns.BLUE):
        led.set(rgb)
        assert sorted(led.lit) == ["green", "red"], (rgb, led.lit)
