# Board definitions: boards/<name>.json says which pins and parts a board has.
#
#   b = board.load("esp32-devkitc")          # dict, validated
#
# Schema (keys not listed are ignored; "notes" and "title" are free text, which
# load() drops):
#   "buzzer": {"kind": "pwm", "pin": int, "freq_hz": int (optional: drive a
#               resonant piezo at one frequency instead of the pattern's),
#               "octaves": 0-2 (optional: play every tone that many octaves up, each
#               priority keeping a pitch of its own: 2 puts 659-988 Hz at 2.6-4 kHz,
#               where a small piezo is loudest; 3 would put the self-test's chirp at
#               14 kHz, which many adults do not hear; not with freq_hz)}
#           | {"kind": "pin", "pin": int, "active_low": bool}   (active buzzer)
#   "led":    {"kind": "rgb", "pins": {"red", "green", "blue": int},
#               "common": "cathode" | "anode", "pwm_freq": int 100-40000 (optional)}
#           | {"kind": "neopixel", "pin": int, "count": int 1-256 (optional)}
#           | {"kind": "single", "pin": int, "active_low": bool}
#           | {"kind": "separate", "pins": {"red"/"yellow"/"green"/"blue": int, ...}}
#   "button": {"pin": int, "pull": "up" | "down" | null, "active_low": bool}
#   "display": (optional) {"kind": "ssd1306", "sda": int, "scl": int, "address":
#              int (optional, 0x3C = 60), "width": 64-128, "height": 32 | 64}
#           | {"kind": "st7789", "sck": int, "mosi": int, "cs": int, "dc": int,
#              "rst": int or null, "backlight": int or null (PWM), "spi": 1 | 2
#              (optional, 1), "baudrate": 1-26.67 MHz (optional; the ESP32 port's
#              full-duplex SPI refuses more on GPIO-matrix pins), "width": 64-320,
#              "height": 32-240 (landscape, optional: 240 x 135), "offsets":
#              [column, row] of the panel in the controller's 240x320 RAM in
#              portrait (optional, [52, 40]), "rotation": 1 | 3 (landscape,
#              either way up), "bgr": bool (blue-green-red colour filter),
#              "invert": bool (IPS: INVON)}
#              Display pins must differ from each other and from the buzzer's,
#              the LED's, the button's and the power pins; I2C lines not on
#              GPIO12 (their pull-ups would set the flash to 1.8 V at power-on).
#   "power":  (optional, boards with their own battery) {"hold_pin": int or
#              null (driven high at start so the board stays on when USB power
#              goes), "battery_adc_pin": int or null (ADC1, GPIO32-39),
#              "battery_divider": number (battery volts per volt at the pin)}
# Output pins must be ESP32 output-capable (not 34-39). No pin may be one of
# the module's flash pins (6-11) or a GPIO the ESP32 lacks (20, 24, 28-31).
# The button must not be a strapping pin that a press at power-on (the
# factory reset gesture, or a stuck button) turns into a boot that never
# starts the firmware: GPIO0 pulled low (ROM download mode) or GPIO12 pulled
# high (flash at 1.8 V).
import json
import os

from strictjson import syntax_problem

BOARDS_DIRS = ("boards", "/boards")
INPUT_ONLY = (34, 35, 36, 37, 38, 39)
FLASH = (6, 7, 8, 9, 10, 11)
MISSING = (20, 24, 28, 29, 30, 31)


class BoardError(ValueError):
    """Unknown board, unreadable file, or a missing / bad key in it."""


def known(dirs=BOARDS_DIRS):
    names = []
    for d in dirs:
        try:
            for f in os.listdir(d):
                if f.endswith(".json") and f[:-5] not in names:
                    names.append(f[:-5])
        except OSError:
            pass
    names.sort()
    return names


def load(name, dirs=BOARDS_DIRS):
    """Read and validate boards/<name>.json; raise BoardError naming the board."""
    return usable(read(name, dirs), name)


def usable(data, name):
    """The validated board of a board file's data (as read()), without its notes."""
    board = validate(data, name)
    # free text for people ("notes" on the wiring, a "title"): nothing on the
    # box reads it, and the board dict is kept as long as the box runs
    # (0.8 KB of heap on the DevKitC, 3 KB on the M5StickC Plus2)
    board.pop("notes", None)
    board.pop("title", None)
    return board


def read(name, dirs=BOARDS_DIRS):
    """The data of boards/<name>.json, held to JSON's grammar; raise BoardError."""
    if not isinstance(name, str) or not name or "/" in name or "." in name:
        raise BoardError("bad board name %r" % (name,))
    for d in dirs:
        path = d + "/" + name + ".json"
        try:
            f = open(path)
        except OSError:
            continue
        try:
            text = f.read()
        finally:
            f.close()
        # held to JSON's grammar as the settings are: the board's json reads
        # "pin": 2 5 as pin 2, where a computer's refuses the file
        bad = syntax_problem(text.encode())
        if bad:
            raise BoardError("board %r: %s is not valid JSON (%s)" % (name, path, bad))
        try:
            return json.loads(text)
        except ValueError as e:
            raise BoardError("board %r: %s is not valid JSON (%s)" % (name, path, e))
    raise BoardError("unknown board %r: no %s.json in %s (known: %s)"
                     % (name, name, " or ".join(dirs), ", ".join(known(dirs)) or "none"))


def _get(d, key, where, name):
    if not isinstance(d, dict) or key not in d:
        raise BoardError("board %r: missing key %r" % (name, where + key))
    return d[key]


def _pin(d, key, where, name, output):
    p = _get(d, key, where, name)
    if not isinstance(p, int) or isinstance(p, bool) or p < 0 or p > 39:
        raise BoardError("board %r: %r must be a GPIO number 0-39, got %r" % (name, where + key, p))
    if p in FLASH:
        raise BoardError("board %r: %r is GPIO%d, one of the flash pins (6-11)" % (name, where + key, p))
    if p in MISSING:
        raise BoardError("board %r: %r: the ESP32 has no GPIO%d" % (name, where + key, p))
    if output and p in INPUT_ONLY:
        raise BoardError("board %r: %r is GPIO%d, which is input-only" % (name, where + key, p))
    return p


def _int(d, key, where, name, lo, hi):
    """An optional integer key in lo..hi (absent or null: the default)."""
    v = d.get(key)
    if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi):
        raise BoardError("board %r: %r must be an integer %d-%d, got %r"
                         % (name, where + key, lo, hi, v))


def _bool(d, key, where, name):
    """An optional true/false key (absent: the part's default); "false" is truthy."""
    if key in d and not isinstance(d[key], bool):
        raise BoardError("board %r: %r must be true or false, got %r" % (name, where + key, d[key]))


def _one_of(v, choices):
    """v absent (None) or an int among choices: 64.0 == 64 and True == 1 would pass "in"."""
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v in choices)


def _kind(d, where, name, kinds):
    k = _get(d, "kind", where, name)
    if k not in kinds:
        raise BoardError("board %r: %r is %r, want one of %s" % (name, where + "kind", k, ", ".join(kinds)))
    return k


def validate(data, name="?"):
    if not isinstance(data, dict):
        raise BoardError("board %r: the file must hold a JSON object" % (name,))
    data.setdefault("name", name)
    bz = _get(data, "buzzer", "", name)
    if _kind(bz, "buzzer.", name, ("pwm", "pin")) == "pin":
        _bool(bz, "active_low", "buzzer.", name)
    _pin(bz, "pin", "buzzer.", name, True)
    if "freq_hz" in bz and bz["freq_hz"] is not None:
        f = bz["freq_hz"]
        if not isinstance(f, int) or not 100 <= f <= 10000:
            raise BoardError("board %r: 'buzzer.freq_hz' must be 100-10000, got %r" % (name, f))
    _int(bz, "octaves", "buzzer.", name, 0, 2)
    if bz.get("octaves") and bz.get("freq_hz") is not None:
        raise BoardError("board %r: 'buzzer.octaves' and 'buzzer.freq_hz' both set: one tone "
                         "for every sound, or every tone moved up; not both" % (name,))
    led = _get(data, "led", "", name)
    k = _kind(led, "led.", name, ("rgb", "neopixel", "single", "separate"))
    if k == "rgb":
        pins = _get(led, "pins", "led.", name)
        for c in ("red", "green", "blue"):
            _pin(pins, c, "led.pins.", name, True)
        if led.get("common", "cathode") not in ("cathode", "anode"):
            raise BoardError("board %r: 'led.common' must be 'cathode' or 'anode'" % (name,))
        # the port's PWM takes an int frequency only ("1000" or 1000.0 raise
        # TypeError there); under 100 Hz a LED flickers
        _int(led, "pwm_freq", "led.", name, 100, 40000)
    elif k == "neopixel":
        _pin(led, "pin", "led.", name, True)
        _int(led, "count", "led.", name, 1, 256)  # 0 pixels would show nothing
    elif k == "separate":
        pins = _get(led, "pins", "led.", name)
        if not isinstance(pins, dict) or not pins:
            raise BoardError("board %r: 'led.pins' must name at least one LED" % (name,))
        for c in pins:
            if c not in ("red", "yellow", "green", "blue"):
                raise BoardError("board %r: 'led.pins.%s' is not red, yellow, green or blue" % (name, c))
            _pin(pins, c, "led.pins.", name, True)
    else:
        _pin(led, "pin", "led.", name, True)
        _bool(led, "active_low", "led.", name)
    btn = _get(data, "button", "", name)
    _pin(btn, "pin", "button.", name, False)
    _bool(btn, "active_low", "button.", name)
    pull = btn.get("pull")
    if pull not in ("up", "down", None):
        raise BoardError("board %r: 'button.pull' must be 'up', 'down' or null" % (name,))
    if pull is not None and btn["pin"] in INPUT_ONLY:
        raise BoardError("board %r: 'button.pin' GPIO%d has no internal pull; set 'pull': null"
                         " and fit an external resistor" % (name, btn["pin"]))
    pressed_high = not btn.get("active_low", True)
    if (btn["pin"] == 0 and not pressed_high) or (btn["pin"] == 12 and pressed_high):
        raise BoardError("board %r: 'button.pin' GPIO%d held at power-on stops the boot (%s):"
                         " use another pin" % (name, btn["pin"], "download mode" if btn["pin"] == 0
                                               else "flash voltage"))
    pw = data.get("power")
    if pw is not None:
        if not isinstance(pw, dict):
            raise BoardError("board %r: 'power' must be an object" % (name,))
        if pw.get("hold_pin") is not None:
            _pin(pw, "hold_pin", "power.", name, True)
        if pw.get("battery_adc_pin") is not None:
            if _pin(pw, "battery_adc_pin", "power.", name, False) < 32:  # ADC2 is taken by Wi-Fi
                raise BoardError("board %r: 'power.battery_adc_pin' must be an ADC1 pin (GPIO32-39)"
                                 % (name,))
            d = pw.get("battery_divider", 1)
            if not isinstance(d, (int, float)) or isinstance(d, bool) or not 1 <= d <= 10:
                raise BoardError("board %r: 'power.battery_divider' must be 1-10, got %r" % (name, d))
    seen = {}
    for where, p in _part_pins(data):
        if p in seen:   # two parts on one pin: the buzzer's PWM would drive the LED, or none works
            raise BoardError("board %r: %r and %r are both GPIO%d: each part needs its own pin"
                             % (name, seen[p], where, p))
        seen[p] = where
    dp = data.get("display")
    if dp is not None:
        _display(dp, data, name)
    return data


def _part_pins(data):
    """(key, pin) of every pin the alarms (buzzer, LED, button) and the power use."""
    led = data["led"]
    out = [("buzzer.pin", data["buzzer"]["pin"]), ("button.pin", data["button"]["pin"])]
    if led["kind"] in ("rgb", "separate"):
        out += [("led.pins." + c, p) for c, p in sorted(led["pins"].items())]
    else:
        out.append(("led.pin", led["pin"]))
    pw = data.get("power") or {}
    out += [("power." + key, pw[key]) for key in ("hold_pin", "battery_adc_pin") if pw.get(key) is not None]
    return out


def _display_keys(kind):
    return ("sda", "scl") if kind == "ssd1306" else ("sck", "mosi", "cs", "dc", "rst", "backlight")


def lacking(board):
    """A problem line for each pin of a validated board this MicroPython's machine.Pin
    lacks (none on a computer). The ESP32 images with SPIRAM have no GPIO16/17, the
    PSRAM's CS and clock on WROVER modules, PSRAM found or not (ports/esp32/machine_pin.h
    `#if !CONFIG_SPIRAM`; in 1.23-1.27 its old name, which ESP-IDF 5 still defines;
    micropython issue #7819: driving them crashed the board). That part fails alone
    ("invalid pin") and the others sound or show its device alarm (a buzzer there: the
    LED alone shows it): the file is not refused,
    as the default wiring might reach nothing on the family's box."""
    try:
        from machine import Pin
    except ImportError:
        return []
    pins = _part_pins(board)
    dp = board.get("display")
    if dp:
        pins += [("display." + k, dp[k]) for k in _display_keys(dp["kind"]) if dp.get(k) is not None]
    out = []
    for where, p in pins:
        try:
            Pin(p)   # no mode: nothing is driven (machine_pin.c mp_pin_make_new)
        except ValueError:
            out.append("board: %r GPIO%d is not in this MicroPython (a SPIRAM image gives 16/17 to"
                       " the PSRAM): that part cannot work" % (where, p))
    return out


def _display(dp, data, name):
    k = _kind(dp, "display.", name, ("ssd1306", "st7789"))
    # every pin the alarms (buzzer, LED, button) or the power hold use: a display
    # on one would take it (a reset pulse on the PLUS2's hold pin cuts its power)
    used = [p for _, p in _part_pins(data)]
    for key in _display_keys(k):
        if key in ("rst", "backlight") and dp.get(key) is None:
            continue   # optional: reset tied high, backlight always on
        p = _pin(dp, key, "display.", name, True)
        if p == 12 and k == "ssd1306":   # the module's pull-up holds it high at power-on
            raise BoardError("board %r: 'display.%s' GPIO12 pulled up at power-on sets the flash"
                             " to 1.8 V and stops the boot: use another pin" % (name, key))
        if p in used:   # a shared pin would take the buzzer (or the button) from the alarms
            raise BoardError("board %r: 'display.%s' GPIO%d is already used" % (name, key, p))
        used.append(p)
    if k == "st7789":
        _st7789(dp, name)
        return
    _int(dp, "address", "display.", name, 8, 119)
    _int(dp, "width", "display.", name, 64, 128)
    if not _one_of(dp.get("height"), (32, 64)):
        raise BoardError("board %r: 'display.height' must be 32 or 64, got %r" % (name, dp.get("height")))


def _st7789(dp, name):
    if not _one_of(dp.get("spi"), (1, 2)):   # the ESP32 port's SPI(1) HSPI, SPI(2) VSPI
        raise BoardError("board %r: 'display.spi' must be 1 or 2, got %r" % (name, dp.get("spi")))
    # 80 MHz / 3: more, and ESP-IDF refuses the full-duplex device the port opens
    # on GPIO-matrix pins; machine_hw_spi.c ignores that and the first write crashes
    _int(dp, "baudrate", "display.", name, 1000000, 26666666)
    _int(dp, "width", "display.", name, 64, 320)
    _int(dp, "height", "display.", name, 32, 240)
    if not _one_of(dp.get("rotation"), (1, 3)):
        raise BoardError("board %r: 'display.rotation' must be 1 or 3 (landscape), got %r"
                         % (name, dp.get("rotation")))
    for key in ("bgr", "invert"):
        if dp.get(key) not in (None, True, False):
            raise BoardError("board %r: 'display.%s' must be true or false" % (name, key))
    off = dp.get("offsets")
    if off is None:
        off = (52, 40)
    w, h = dp.get("width") or 240, dp.get("height") or 135
    if (not isinstance(off, (list, tuple)) or len(off) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in off)
            or off[0] + h > 240 or off[1] + w > 320):
        raise BoardError("board %r: 'display.offsets' must be [column, row] placing the %dx%d"
                         " panel inside the controller's 240x320 RAM, got %r" % (name, h, w, off))
