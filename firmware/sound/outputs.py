# Thin drivers for the annunciator's buzzer and light, one class per kind of
# part in boards/<name>.json. They only write a pin when the value changes.
# Errors from `machine` (OSError, ValueError) propagate to the annunciator,
# which reports them and retries; nothing here swallows them.
import machine
from sound.patterns import color_name


class PwmBuzzer:
    """Passive piezo on a PWM pin: tone = freq, loudness = duty (50 % max)."""

    def __init__(self, cfg):
        self.fixed_freq = cfg.get("freq_hz")
        self.scale = 1 << (cfg.get("octaves") or 0)   # tones moved up to the part's loud band
        self.pwm = machine.PWM(machine.Pin(cfg["pin"], machine.Pin.OUT), freq=1000, duty_u16=0)
        self.state = (False, 0, 0)

    def set(self, on, freq, duty_pct):
        freq = self.fixed_freq or freq * self.scale
        st = (on, freq, duty_pct) if on else (False, 0, 0)
        if st == self.state:
            return
        if on:
            if freq != self.state[1]:
                self.pwm.freq(freq)
            self.pwm.duty_u16(duty_pct * 65535 // 100)
        else:
            self.pwm.duty_u16(0)
        self.state = st

    def deinit(self):
        self.pwm.deinit()


class PinBuzzer:
    """Active buzzer (own oscillator) on a plain pin: on/off only."""

    def __init__(self, cfg):
        self.inv = 1 if cfg.get("active_low") else 0
        self.pin = machine.Pin(cfg["pin"], machine.Pin.OUT, value=self.inv)
        self.on = False

    def set(self, on, freq, duty_pct):
        if on != self.on:
            self.pin.value((1 if on else 0) ^ self.inv)
            self.on = on

    def deinit(self):
        self.pin.value(self.inv)


def _led_duty(level, inverted):
    """duty_u16 for a colour level 0..255 on an LED driven high (or, inverted, low)."""
    d = level * 257
    return 65535 - d if inverted else d


class RgbLed:
    def __init__(self, cfg):
        f = cfg.get("pwm_freq", 1000)
        self.anode = cfg.get("common") == "anode"
        p = cfg["pins"]
        self.pwms = [machine.PWM(machine.Pin(p[c], machine.Pin.OUT), freq=f,
                                 duty_u16=_led_duty(0, self.anode))
                     for c in ("red", "green", "blue")]
        self.rgb = (0, 0, 0)

    def set(self, rgb):
        if rgb == self.rgb:
            return
        for pwm, c in zip(self.pwms, rgb):
            pwm.duty_u16(_led_duty(c, self.anode))
        self.rgb = rgb

    def deinit(self):
        for pwm in self.pwms:
            pwm.deinit()


class NeoLed:
    def __init__(self, cfg):
        import neopixel
        self.np = neopixel.NeoPixel(machine.Pin(cfg["pin"], machine.Pin.OUT), cfg.get("count", 1))
        self.rgb = None

    def set(self, rgb):
        if rgb != self.rgb:
            self.np.fill(rgb)
            self.np.write()
            self.rgb = rgb

    def deinit(self):
        self.set((0, 0, 0))


class SingleLed:
    """One LED: lit for any colour, as bright as the colour's brightest part
    (PWM), so the calm light and a snoozed or acknowledged alarm are dim and a
    sounding alarm full; priorities differ by blink rate."""

    def __init__(self, cfg):
        self.inv = bool(cfg.get("active_low"))
        self.pin_id = cfg["pin"]
        self.pwm = machine.PWM(machine.Pin(self.pin_id, machine.Pin.OUT), freq=1000,
                               duty_u16=_led_duty(0, self.inv))
        self.level = 0

    def set(self, rgb):
        level = max(rgb)
        if level != self.level:
            self.pwm.duty_u16(_led_duty(level, self.inv))
            self.level = level

    def deinit(self):
        self.pwm.deinit()
        machine.Pin(self.pin_id, machine.Pin.OUT, value=1 if self.inv else 0)  # off


# which separate LEDs show a named colour, best first. A colour other than the
# calm green never falls back to the green LED alone: on a red-and-green board a
# low-priority alarm (cyan) or no data (blue) would look like all is well, so they
# take yellow (red and green), IEC 60601-1-8's other low-priority colour
_SEPARATE = {
    "red": (("red",),), "yellow": (("yellow",), ("red", "green"), ("red",)),
    "green": (("green",),), "cyan": (("green", "blue"), ("blue",), ("red", "green"), ("yellow",)),
    "blue": (("blue",), ("red", "green"), ("yellow",), ("red",)),
    "magenta": (("red", "blue"), ("red",)),
    "white": (("red", "green", "blue"), ("yellow",), ("green",)),
}


class SeparateLeds:
    def __init__(self, cfg):
        self.pins = {}
        for c, n in cfg["pins"].items():
            self.pins[c] = machine.Pin(n, machine.Pin.OUT, value=0)
        self.lit = ()

    def set(self, rgb):
        name = color_name(rgb)
        lit = ()
        for choice in _SEPARATE.get(name, ()):
            if all(c in self.pins for c in choice):
                lit = choice
                break
        if name != "off" and not lit:  # never dark while something is shown, nor calm-looking
            lit = (min(self.pins, key=lambda c: (c == "green" and name != "green", c)),)
        if lit != self.lit:
            for c, p in self.pins.items():
                p.value(1 if c in lit else 0)
            self.lit = lit

    def deinit(self):
        for p in self.pins.values():
            p.value(0)


def make_buzzer(cfg):
    return PwmBuzzer(cfg) if cfg["kind"] == "pwm" else PinBuzzer(cfg)


def make_led(cfg):
    return {"rgb": RgbLed, "neopixel": NeoLed, "single": SingleLed,
            "separate": SeparateLeds}[cfg["kind"]](cfg)
