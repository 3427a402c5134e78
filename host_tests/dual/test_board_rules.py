# The board file's rules (firmware/sound/board.py, its module comment; README
# "Wiring (ESP32-DevKitC)", "A board file is refused ..."): each bound at both
# edges, the last value taken and the first refused, with the documented values
# written out here (not the module's constants, so a changed constant fails).
# Runs on CPython and on MicroPython.
import os
import sys

import scratch
from fakes import board_refusal

from sound import board

WORK = "build/test_board_rules_" + sys.implementation.name
INPUT_ONLY = (34, 35, 36, 37, 38, 39)


def _devkit():
    return {"buzzer": {"kind": "pwm", "pin": 25},
            "led": {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33}},
            "button": {"pin": 32, "pull": "up", "active_low": True}}


def _spare():
    """A board leaving GPIO32 and 33 free (the DevKitC's button and blue LED)."""
    return {"buzzer": {"kind": "pwm", "pin": 25},
            "led": {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 14}},
            "button": {"pin": 13, "pull": "up", "active_low": True}}


def _stick():
    return {"buzzer": {"kind": "pwm", "pin": 2}, "led": {"kind": "single", "pin": 19},
            "button": {"pin": 37, "pull": None, "active_low": True}}


def _with(part, value, base=None):
    d = base or _devkit()
    d[part] = value
    return d


def _ok(d):
    e = board_refusal(d)
    assert e is None, e


def _refused(d, *words):
    e = board_refusal(d)
    assert e is not None, ("taken", d)
    assert "mybox" in e, e
    for w in words:
        assert w in e, (w, e)
    return e


def _board_error(fn, *args):
    try:
        fn(*args)
    except board.BoardError as e:
        return str(e)
    raise AssertionError("no BoardError from %r" % (args,))


# --- pins: 0-39, ints only, no flash pin, no missing GPIO, no input-only output ---

def test_pin_numbers_run_from_0_to_39_and_bools_are_refused():
    _ok(_with("buzzer", {"kind": "pwm", "pin": 0}))
    _refused(_with("buzzer", {"kind": "pwm", "pin": -1}), "buzzer.pin", "0-39")
    _ok(_with("button", {"pin": 39, "pull": None}))
    _refused(_with("button", {"pin": 40, "pull": None}), "button.pin", "0-39")
    for bad in (True, False, "25", 25.0, None, [25]):
        _refused(_with("buzzer", {"kind": "pwm", "pin": bad}), "buzzer.pin", "0-39")
        _refused(_with("button", {"pin": bad, "pull": None}), "button.pin")


def test_flash_pins_and_gpios_the_esp32_lacks_are_refused_their_neighbours_taken():
    for pin in (6, 7, 8, 9, 10, 11):
        _refused(_with("buzzer", {"kind": "pwm", "pin": pin}), "buzzer.pin", "flash")
        _refused(_with("button", {"pin": pin, "pull": "up"}), "button.pin", "flash")
        _refused(_with("led", {"kind": "single", "pin": pin}), "led.pin", "flash")
    for pin in (5, 12):
        _ok(_with("buzzer", {"kind": "pwm", "pin": pin}))
    for pin in (20, 24, 28, 29, 30, 31):
        _refused(_with("buzzer", {"kind": "pwm", "pin": pin}), "no GPIO%d" % pin)
        _refused(_with("button", {"pin": pin, "pull": "up"}), "no GPIO%d" % pin)
    for pin in (19, 21, 23, 25, 27):      # the LED out of the way (27 is the DevKitC's green)
        _ok(_with("buzzer", {"kind": "pwm", "pin": pin},
                  _with("led", {"kind": "single", "pin": 4, "active_low": True})))


def _outputs(pin):
    """Board files putting each output (and only it) on pin."""
    out = [("buzzer.pin", _with("buzzer", {"kind": "pwm", "pin": pin}, _spare())),
           ("buzzer.pin", _with("buzzer", {"kind": "pin", "pin": pin, "active_low": False}, _spare())),
           ("led.pin", _with("led", {"kind": "single", "pin": pin}, _spare())),
           ("led.pin", _with("led", {"kind": "neopixel", "pin": pin}, _spare())),
           ("led.pins.red", _with("led", {"kind": "separate", "pins": {"red": pin}}, _spare())),
           ("led.pins.blue", _with("led", {"kind": "separate", "pins": {"red": 26, "blue": pin}},
                                   _spare())),
           ("power.hold_pin", _with("power", {"hold_pin": pin}, _spare()))]
    for c in ("red", "green", "blue"):
        pins = {"red": 26, "green": 27, "blue": 14}
        pins[c] = pin
        out.append(("led.pins." + c, _with("led", {"kind": "rgb", "pins": pins}, _spare())))
    oled = {"kind": "ssd1306", "sda": 21, "scl": 22}
    for key in ("sda", "scl"):
        dp = dict(oled)
        dp[key] = pin
        out.append(("display." + key, _with("display", dp, _spare())))
    tft = {"kind": "st7789", "sck": 13, "mosi": 15, "cs": 5, "dc": 14, "rst": 12, "backlight": 27}
    for key in ("sck", "mosi", "cs", "dc", "rst", "backlight"):
        dp = dict(tft)
        dp[key] = pin
        out.append(("display." + key, _with("display", dp, _stick())))
    return out


def test_input_only_pins_are_refused_for_every_output():
    for pin in INPUT_ONLY:
        for where, d in _outputs(pin):
            _refused(d, where, "GPIO%d" % pin, "input-only")
    for where, d in _outputs(33):   # the highest output-capable GPIO
        assert board_refusal(d) is None, (where, board_refusal(d))


def test_input_only_pins_are_taken_for_the_button_and_the_battery():
    for pin in INPUT_ONLY:
        _ok(_with("button", {"pin": pin, "pull": None, "active_low": True}))
        _ok(_with("power", {"battery_adc_pin": pin}))
        # no internal pull on 34-39: an external resistor
        for pull in ("up", "down"):
            _refused(_with("button", {"pin": pin, "pull": pull}), "button.pin", "GPIO%d" % pin,
                     "no internal pull")
    _ok(_with("button", {"pin": 33, "pull": "down", "active_low": False}, _spare()))


# --- board names, files, known() ---

def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _dir(name):
    scratch.fresh(WORK, "x")
    path = WORK + "/" + name
    try:
        os.mkdir(path)
    except OSError:
        pass
    for f in os.listdir(path):
        try:
            os.remove(path + "/" + f)
        except OSError:   # a folder of an earlier test
            pass
    return path


def test_bad_board_names_are_refused():
    top = _dir("names")
    inner = _dir("names/inner")
    _write(top + "/up.json", '{"x": 1}')
    _write(inner + "/a.b.json", '{"x": 1}')
    for bad in ("", "../up", "/up", "a.b", ".", None, 5, b"up"):
        e = _board_error(board.load, bad, (inner,))
        assert "bad board name" in e, (bad, e)


def test_a_file_that_is_not_a_json_object_is_refused_with_board_error():
    d = _dir("files")
    _write(d + "/broken.json", '{"buzzer": {"kind": "pwm", "pin": 25}')
    _write(d + "/empty.json", "")
    _write(d + "/list.json", "[1, 2]")
    _write(d + "/number.json", "5")
    for name in ("broken", "empty"):
        e = _board_error(board.load, name, (d,))
        assert name in e and "not valid JSON" in e, e
    for name in ("list", "number"):
        e = _board_error(board.load, name, (d,))
        assert name in e and "JSON object" in e, e
    for data in ([], "x", 5, None):
        assert "JSON object" in _board_error(board.validate, data, "mybox")
    e = _board_error(board.load, "gone", (d, WORK + "/nowhere"))
    assert "unknown board 'gone'" in e and "broken, empty, list, number" in e, e


def test_a_board_file_is_held_to_jsons_grammar_as_the_settings_are():
    # MicroPython's json reads "pin": 2 5 as pin 2 and a missing comma as if it were
    # there, where a computer's refuses the file: on the board the buzzer would sit on
    # another pin, silent. Refused on both runtimes, saying the line.
    d = _dir("grammar")
    good = ('{"buzzer": {"kind": "pwm", "pin": 25},\n'
            ' "led": {"kind": "single", "pin": 19},\n'
            ' "button": {"pin": 32, "pull": "up"}}')
    _write(d + "/good.json", good)
    assert board.load("good", (d,))["buzzer"]["pin"] == 25
    for name, text, line, char in (
            ("split", good.replace('"pin": 25', '"pin": 2 5'), 1, "'5'"),
            ("comma", good.replace('"kind": "single",', '"kind": "single"'), 2, "'\"'"),
            ("trailing", good.replace('"up"}}', '"up"},}'), 3, "'}'"),
            ("colon", good.replace('"pin": 32', '"pin" 32'), 3, "'3'"),
            ("joined", good.replace('"pin": 25', '"pin": 25true'), 1, "'25true'")):
        _write(d + "/" + name + ".json", text)
        e = _board_error(board.load, name, (d,))
        assert name in e and "not valid JSON" in e and "line %d: %s" % (line, char) in e, (name, e)


def test_load_takes_the_first_dir_holding_the_name_and_names_the_board():
    a = _dir("first")
    b = _dir("second")
    _write(b + "/box.json", '{"buzzer": {"kind": "pwm", "pin": 4}, "led": {"kind": "single", "pin": 19},'
                            ' "button": {"pin": 32, "pull": "up"}}')
    got = board.load("box", (WORK + "/nowhere", a, b))
    assert got["buzzer"]["pin"] == 4 and got["name"] == "box"
    _write(a + "/box.json", '{"name": "kept", "buzzer": {"kind": "pwm", "pin": 5},'
                            ' "led": {"kind": "single", "pin": 19}, "button": {"pin": 32}}')
    got = board.load("box", (a, b))
    assert got["buzzer"]["pin"] == 5 and got["name"] == "kept"
    assert board.validate(_devkit(), "mybox")["name"] == "mybox"


def test_load_drops_the_free_text_and_keeps_every_part():
    # "notes" and "title" are for people; the loaded board is kept for as long as the
    # box runs, and nothing on it reads them (heap: 0.8 KB on the DevKitC's file)
    a = _dir("text")
    _write(a + "/box.json", '{"title": "A box", "notes": ["wire it", "then test it"],'
                            ' "buzzer": {"kind": "pwm", "pin": 4}, "led": {"kind": "single", "pin": 19},'
                            ' "button": {"pin": 32, "pull": "up"}, "extra": 1}')
    got = board.load("box", (a,))
    assert "notes" not in got and "title" not in got
    assert sorted(got) == ["button", "buzzer", "extra", "led", "name"]
    assert got["buzzer"] == {"kind": "pwm", "pin": 4} and got["button"]["pin"] == 32
    shipped = board.load("esp32-devkitc", ("boards",))
    assert "notes" not in shipped and shipped["led"]["kind"] == "rgb"


def test_known_lists_each_name_once_sorted_from_every_dir():
    a = _dir("known_a")
    b = _dir("known_b")
    for f in ("zeta.json", "mid.json", "notes.txt", "json", "mid.json.bak"):
        _write(a + "/" + f, "{}")
    for f in ("alpha.json", "mid.json", "beta.JSON"):
        _write(b + "/" + f, "{}")
    assert board.known((a, b, WORK + "/nowhere")) == ["alpha", "mid", "zeta"]
    assert board.known((WORK + "/nowhere",)) == []
    e = _board_error(board.load, "gone", (WORK + "/nowhere",))
    assert "(known: none)" in e, e


# --- the buzzer ---

def test_buzzer_kinds_and_its_fixed_frequency_from_100_to_10000_hz():
    _ok(_with("buzzer", {"kind": "pin", "pin": 25, "active_low": True}))
    for kind in ("PWM", "piezo", None, 1):
        _refused(_with("buzzer", {"kind": kind, "pin": 25}), "buzzer.kind")
    _refused(_with("buzzer", {"pin": 25}), "missing key", "buzzer.kind")
    _refused(_with("buzzer", [25]), "missing key", "buzzer.kind")
    for f in (100, 10000, 2700, None):
        _ok(_with("buzzer", {"kind": "pwm", "pin": 25, "freq_hz": f}))
    for f in (99, 10001, 0, -2700, 2700.0, "2700", True, [2700]):
        _refused(_with("buzzer", {"kind": "pwm", "pin": 25, "freq_hz": f}), "buzzer.freq_hz",
                 "100-10000")



def test_buzzer_octaves_from_0_to_2_and_not_beside_a_fixed_frequency():
    for n in (0, 1, 2, None):
        _ok(_with("buzzer", {"kind": "pwm", "pin": 25, "octaves": n}))
    for n in (3, -1, 2.0, "2", True):   # 3: the self-test's chirp at 14 kHz
        _refused(_with("buzzer", {"kind": "pwm", "pin": 25, "octaves": n}), "buzzer.octaves",
                 "0-2")
    _refused(_with("buzzer", {"kind": "pwm", "pin": 25, "octaves": 2, "freq_hz": 4000}),
             "buzzer.octaves", "buzzer.freq_hz", "not both")
    _ok(_with("buzzer", {"kind": "pwm", "pin": 25, "octaves": 0, "freq_hz": 4000}))
    assert board.load("m5stickc-plus2")["buzzer"]["octaves"] == 2


# --- the LED ---

def test_rgb_led_common_and_pwm_frequency_from_100_to_40000():
    for common in ("cathode", "anode"):
        _ok(_with("led", {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33},
                          "common": common}))
    for common in ("Anode", "both", None, 1):
        _refused(_with("led", {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33},
                               "common": common}), "led.common")
    for f in (100, 40000, None):
        _ok(_with("led", {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33},
                          "pwm_freq": f}))
    for f in (99, 40001, 1000.0, "1000", True):
        _refused(_with("led", {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33},
                               "pwm_freq": f}), "led.pwm_freq", "100-40000")
    for c in ("red", "green", "blue"):
        pins = {"red": 26, "green": 27, "blue": 33}
        del pins[c]
        _refused(_with("led", {"kind": "rgb", "pins": pins}), "missing key", "led.pins." + c)
    _refused(_with("led", {"kind": "rgb", "pin": 26}), "missing key", "led.pins")


def test_neopixel_count_from_1_to_256():
    for n in (1, 256, None):
        _ok(_with("led", {"kind": "neopixel", "pin": 18, "count": n}))
    _ok(_with("led", {"kind": "neopixel", "pin": 18}))
    for n in (0, 257, 1.0, "8", True):
        _refused(_with("led", {"kind": "neopixel", "pin": 18, "count": n}), "led.count", "1-256")
    _refused(_with("led", {"kind": "neopixel"}), "missing key", "led.pin")


def test_single_led_needs_its_pin():
    _ok(_with("led", {"kind": "single", "pin": 19, "active_low": True}))
    _refused(_with("led", {"kind": "single"}), "missing key", "led.pin")
    for kind in ("lamp", "RGB", None):
        _refused(_with("led", {"kind": kind, "pin": 19}), "led.kind")


def test_separate_leds_only_red_yellow_green_blue_and_at_least_one():
    for c in ("red", "yellow", "green", "blue"):
        _ok(_with("led", {"kind": "separate", "pins": {c: 4}}))
    _ok(_with("led", {"kind": "separate", "pins": {"red": 4, "yellow": 5, "green": 18, "blue": 19}}))
    for c in ("white", "Red", "amber"):
        _refused(_with("led", {"kind": "separate", "pins": {"red": 4, c: 5}}), "led.pins." + c,
                 "not red, yellow, green or blue")
    for pins in ({}, [], [4], None, 4):
        _refused(_with("led", {"kind": "separate", "pins": pins}), "at least one LED")
    _refused(_with("led", {"kind": "separate"}), "missing key", "led.pins")


# --- the button ---

def test_button_pull_values():
    for pull in ("up", "down", None):
        _ok(_with("button", {"pin": 32, "pull": pull}))
    _ok(_with("button", {"pin": 32}))
    for pull in ("UP", "none", "pullup", True, 1):
        _refused(_with("button", {"pin": 32, "pull": pull}), "button.pull")
    _refused(_with("button", {"pull": "up"}), "missing key", "button.pin")


def test_a_button_stopping_the_boot_is_refused_with_its_reason():
    # pressed at power-on: GPIO0 low = ROM download mode, GPIO12 high = 1.8 V flash
    for btn in ({"pin": 0, "pull": "up", "active_low": True},
                {"pin": 0, "pull": "up"}):                       # active low by default
        _refused(_with("button", btn), "button.pin", "GPIO0", "boot", "download mode")
    e = _refused(_with("button", {"pin": 12, "pull": "down", "active_low": False}),
                 "button.pin", "GPIO12", "boot", "flash voltage")
    assert "download" not in e, e
    _ok(_with("button", {"pin": 0, "pull": "down", "active_low": False}))
    _ok(_with("button", {"pin": 12, "pull": "up", "active_low": True}))
    _ok(_with("button", {"pin": 12, "pull": "up"}))              # active low by default
    for pin in (1, 2, 13):
        _ok(_with("button", {"pin": pin, "pull": "down", "active_low": False}))
        _ok(_with("button", {"pin": pin, "pull": "up", "active_low": True}))


# --- power ---

def test_battery_pin_on_adc1_and_its_divider_from_1_to_10():
    for pin in (32, 33) + INPUT_ONLY:
        _ok(_with("power", {"battery_adc_pin": pin}, _spare()))
    for pin in (0, 2, 4, 12, 13, 14, 15, 25, 26, 27):    # ADC2, which Wi-Fi takes
        _refused(_with("power", {"battery_adc_pin": pin}), "power.battery_adc_pin", "ADC1")
    for pin in (1, 3, 5, 16, 17, 18, 19, 21, 22, 23):    # no ADC at all
        _refused(_with("power", {"battery_adc_pin": pin}), "power.battery_adc_pin", "ADC1")
    for dv in (1, 10, 2, 1.5, 9.99):
        _ok(_with("power", {"battery_adc_pin": 38, "battery_divider": dv}))
    _ok(_with("power", {"battery_adc_pin": 38}))   # default 1
    for dv in (0.99, 10.01, 0, 11, -2, True, "2", None, [2]):
        _refused(_with("power", {"battery_adc_pin": 38, "battery_divider": dv}),
                 "power.battery_divider", "1-10")
    _ok(_with("power", {"hold_pin": 4, "battery_adc_pin": None}))
    _ok(_with("power", {}))
    for pw in ([4], 4, "on"):
        _refused(_with("power", pw), "'power' must be an object")


# --- the display ---

def _oled(**kw):
    dp = {"kind": "ssd1306", "sda": 21, "scl": 22}
    dp.update(kw)
    return dp


def _tft(**kw):
    dp = {"kind": "st7789", "sck": 13, "mosi": 15, "cs": 5, "dc": 14}
    dp.update(kw)
    return dp


def _disp(dp):
    return _with("display", dp)


def test_ssd1306_address_width_and_height():
    _ok(_disp(_oled()))
    for kw in ({"address": 8}, {"address": 119}, {"address": 60}, {"address": None},
               {"width": 64}, {"width": 128}, {"height": 32}, {"height": 64}, {"height": None}):
        _ok(_disp(_oled(**kw)))
    for v in (7, 120, 60.0, "0x3C", True):
        _refused(_disp(_oled(address=v)), "display.address", "8-119")
    for v in (63, 129, 128.0, "128", True):
        _refused(_disp(_oled(width=v)), "display.width", "64-128")
    for v in (31, 33, 48, 63, 65, 128, "64", True):
        _refused(_disp(_oled(height=v)), "display.height", "32 or 64")


def test_ssd1306_lines_not_on_gpio12():
    for key in ("sda", "scl"):
        d = _disp(_oled(**{key: 12}))
        _refused(d, "display." + key, "GPIO12", "1.8 V")
        _ok(_disp(_oled(**{key: 13})))
    # an ST7789's (push-pull SPI, no pull-up) may be
    _ok(_disp(_tft(rst=12)))


def test_st7789_bus_and_panel_bounds():
    _ok(_disp(_tft()))
    for kw in ({"spi": 1}, {"spi": 2}, {"spi": None},
               {"baudrate": 1000000}, {"baudrate": 26666666}, {"baudrate": None},
               {"width": 64}, {"width": 320, "offsets": [0, 0]},
               {"height": 32}, {"height": 240, "offsets": [0, 0]},
               {"rotation": 1}, {"rotation": 3}, {"rotation": None},
               {"bgr": True}, {"bgr": False}, {"invert": True}, {"invert": False},
               {"rst": None, "backlight": None}, {"rst": 12, "backlight": 4}):
        _ok(_disp(_tft(**kw)))
    for v in (0, 3, "1"):
        _refused(_disp(_tft(spi=v)), "display.spi", "1 or 2")
    for v in (999999, 26666667, 40000000, 2.0e7, "20000000"):
        _refused(_disp(_tft(baudrate=v)), "display.baudrate", "1000000-26666666")
    for v in (63, 321, 240.0):
        _refused(_disp(_tft(width=v, offsets=[0, 0])), "display.width", "64-320")
    for v in (31, 241, 135.0):
        _refused(_disp(_tft(height=v, offsets=[0, 0])), "display.height", "32-240")
    for v in (0, 2, 90, "1"):
        _refused(_disp(_tft(rotation=v)), "display.rotation", "1 or 3")
    for key in ("bgr", "invert"):
        for v in ("yes", "true", 2):
            _refused(_disp(_tft(**{key: v})), "display." + key, "true or false")
    for key in ("sck", "mosi", "cs", "dc"):
        dp = _tft()
        del dp[key]
        _refused(_disp(dp), "missing key", "display." + key)
    for kind in ("SSD1306", "ili9341", None):
        _refused(_disp({"kind": kind, "sda": 21, "scl": 22}), "display.kind")


def test_st7789_offsets_default_and_fit_the_240x320_ram():
    # default offsets (52, 40) and panel 240 x 135 (landscape): the panel's
    # 135 (height) columns from 52 and 240 (width) rows from 40 in portrait
    _ok(_disp(_tft(height=188)))                        # 52 + 188 = 240
    _refused(_disp(_tft(height=189)), "display.offsets", "240x320")
    _ok(_disp(_tft(width=280)))                         # 40 + 280 = 320
    _refused(_disp(_tft(width=281)), "display.offsets", "240x320")
    _ok(_disp(_tft(offsets=[105, 0])))                  # 105 + 135 = 240
    _refused(_disp(_tft(offsets=[106, 0])), "display.offsets", "135x240")
    _ok(_disp(_tft(offsets=[0, 80])))                   # 80 + 240 = 320
    _refused(_disp(_tft(offsets=[0, 81])), "display.offsets", "135x240")
    _ok(_disp(_tft(offsets=[0, 0])))
    _ok(_disp(_tft(offsets=None)))
    _ok(_disp(_tft(width=320, height=240, offsets=[0, 0])))
    _refused(_disp(_tft(width=320, height=240, offsets=[1, 0])), "display.offsets")
    _refused(_disp(_tft(width=320, height=240, offsets=[0, 1])), "display.offsets")
    for off in ([-1, 40], [52, -1], [52.0, 40], [52, "40"], [True, 40], [52, False],
                [52], [52, 40, 0], "52,40", 52, {"0": 52, "1": 40}):
        _refused(_disp(_tft(offsets=off)), "display.offsets")


def test_display_pins_differ_from_each_other_and_from_the_other_parts():
    stick = {"buzzer": {"kind": "pwm", "pin": 2}, "led": {"kind": "single", "pin": 19},
             "button": {"pin": 37, "pull": None, "active_low": True},
             "power": {"hold_pin": 4, "battery_adc_pin": 32}}
    keys = ("sck", "mosi", "cs", "dc", "rst", "backlight")
    tft = {"sck": 13, "mosi": 15, "cs": 5, "dc": 14, "rst": 12, "backlight": 27}

    def board_with(**kw):
        d = {}
        for k in stick:
            d[k] = dict(stick[k])
        dp = _tft(rst=12, backlight=27)
        dp.update(kw)
        d["display"] = dp
        return d
    _ok(board_with())
    for key in keys:
        for pin in (2, 19, 4, 32):       # buzzer, LED, power hold, battery
            _refused(board_with(**{key: pin}), "display." + key, "GPIO%d" % pin, "already used")
        for other in keys:
            if other != key:
                _refused(board_with(**{key: tft[other]}), "already used")
    d = board_with(sck=25)
    d["button"] = {"pin": 25, "pull": "up"}
    _refused(d, "display.sck", "GPIO25", "already used")
    # an OLED beside each kind of LED, on one of its pins
    _refused(_disp(_oled(sda=26)), "display.sda", "GPIO26", "already used")
    _refused(_disp(_oled(scl=25)), "display.scl", "GPIO25", "already used")
    _refused(_disp(_oled(sda=21, scl=21)), "display.scl", "GPIO21", "already used")
    for led in ({"kind": "neopixel", "pin": 21}, {"kind": "single", "pin": 21},
                {"kind": "separate", "pins": {"green": 18, "red": 21}}):
        _refused(_with("display", _oled(), _with("led", led)), "display.sda", "already used")


# --- defects found by this study (each failed before the fix) ---

def test_active_low_must_be_true_or_false():
    # "active_low": bool (module comment). A string is truthy: "false" on an
    # active buzzer (kind "pin") inverted it, sounding while all is well and
    # silent at an alarm; on the button, null meant pressed-high, the opposite
    # of leaving the key out
    parts = (("buzzer", {"kind": "pin", "pin": 25}), ("led", {"kind": "single", "pin": 19}),
             ("button", {"pin": 32, "pull": "up"}))
    for part, cfg in parts:
        _ok(_with(part, dict(cfg)))
        for v in (True, False):
            c = dict(cfg)
            c["active_low"] = v
            _ok(_with(part, c))
        for v in ("false", "true", "yes", 0, 1, None, [True]):
            c = dict(cfg)
            c["active_low"] = v
            _refused(_with(part, c), part + ".active_low", "true or false")



def test_a_display_on_the_led_pin_is_refused_whatever_other_keys_the_led_has():
    # "keys not listed are ignored": a single LED or NeoPixel left with a
    # "pins" key (a file edited from an RGB one) let a display take its pin,
    # or raised AttributeError (not BoardError) when "pins" was not an object
    for led in ({"kind": "single", "pin": 21, "pins": {"red": 4}},
                {"kind": "neopixel", "pin": 21, "pins": "none"},
                {"kind": "single", "pin": 21, "pins": [4]}):
        _refused(_with("display", _oled(), _with("led", led)), "display.sda", "GPIO21",
                 "already used")
    _ok(_with("display", _oled(), _with("led", {"kind": "single", "pin": 4, "pins": {"red": 5}})))


def test_display_choices_are_integers_not_floats_or_bools():
    # 64.0 == 64 and True == 1, so "in (32, 64)" took them: an SSD1306 of
    # height 64.0 has the driver's bytearray(8.0 * 128) raise TypeError, SPI(1.0)
    # the port's (no int), and the display never opens
    for v in (64.0, 32.0, True):
        _refused(_disp(_oled(height=v)), "display.height", "32 or 64")
    for v in (1.0, 2.0, True):
        _refused(_disp(_tft(spi=v)), "display.spi", "1 or 2")
    for v in (1.0, 3.0, True):
        _refused(_disp(_tft(rotation=v)), "display.rotation", "1 or 3")


def test_each_part_has_a_pin_of_its_own():
    # session 22: a buzzer on the LED's pin (or the button's, the hold's, the battery's)
    # was taken; one part's PWM would drive the other, or neither would work
    _refused(_with("buzzer", {"kind": "pwm", "pin": 26}), "buzzer.pin", "led.pins.red", "GPIO26")
    _refused(_with("button", {"pin": 25, "pull": "up"}), "buzzer.pin", "button.pin", "GPIO25")
    _refused(_with("led", {"kind": "rgb", "pins": {"red": 26, "green": 26, "blue": 33}}),
             "led.pins.green", "led.pins.red", "GPIO26")
    _refused(_with("led", {"kind": "separate", "pins": {"red": 26, "yellow": 32}}),
             "button.pin", "led.pins.yellow", "GPIO32")
    _refused(_with("led", {"kind": "single", "pin": 25, "active_low": True}), "led.pin", "GPIO25")
    _refused(_with("power", {"hold_pin": 27}), "led.pins.green", "power.hold_pin")
    _refused(_with("power", {"battery_adc_pin": 33}), "led.pins.blue", "power.battery_adc_pin")
    _ok(_with("power", {"hold_pin": 4, "battery_adc_pin": 38}))
    for name in board.known(("boards",)):         # the boards we ship
        board.load(name, ("boards",))


def _image(spiram):
    """The host's machine fake as MicroPython's ESP32 image with SPIRAM or the plain one."""
    from fakes import REPO
    if REPO + "/tools/host" not in sys.path:
        sys.path.insert(0, REPO + "/tools/host")
    import machine
    machine.spiram_build(spiram)


def test_a_part_on_gpio16_or_17_is_named_on_an_image_with_spiram_and_only_there():
    # helper-336's gap: the rules take GPIO16/17, which the SPIRAM images leave out of
    # machine.Pin (the PSRAM's on WROVER modules): the part failed at its first use with
    # "ValueError: invalid pin" and nothing said why; now the boot's problems do
    bad = []
    for where, base in (("buzzer.pin", _with("buzzer", {"kind": "pwm", "pin": 17})),
                        ("led.pins.red", _with("led", {"kind": "rgb", "pins": {
                            "red": 16, "green": 27, "blue": 33}})),
                        ("button.pin", _with("button", {"pin": 16, "pull": "up"})),
                        ("display.scl", _disp(_oled(scl=17))),
                        ("display.backlight", _disp(_tft(backlight=16))),
                        ("power.hold_pin", _with("power", {"hold_pin": 17}))):
        bad.append((where, board.validate(base, "mybox")))
    try:
        _image(True)
        for where, b in bad:
            said = board.lacking(b)
            assert len(said) == 1 and repr(where) in said[0] and "PSRAM" in said[0], (where, said)
        assert board.lacking(board.validate(_devkit(), "mybox")) == []   # 15, 18 and the rest kept
        assert board.lacking(board.validate(_disp(_tft(rst=12, backlight=18)), "mybox")) == []
        _image(False)
        for where, b in bad:
            assert board.lacking(b) == [], where
    finally:
        _image(False)
