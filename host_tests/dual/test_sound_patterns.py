"""Pure sound/light patterns and board validation (CPython and MicroPython)."""
from sound import patterns as P
from sound import board
from fakes import BOARDS, board_refusal


def _pulses(snd, until):
    """Walk a sound with sound_at() as the annunciator does: [(start, end)]."""
    out, t, start = [], 0, None
    while t < until:
        on, dt = P.sound_at(snd, t)
        if on and start is None:
            start = t
        if not on and start is not None:
            out.append((start, t))
            start = None
        if dt is None:
            break
        t += dt
    return out


def test_high_is_ten_pulses_as_3_2_pause_3_2():
    p = P.sound("high", 0)[0]
    assert len(p) == 10
    gaps = [p[i + 1][0] - (p[i][0] + p[i][1]) for i in range(9)]
    ts, td = gaps[0], p[0][1]
    assert 50 <= ts <= 125 and 75 <= td <= 200
    assert gaps == [ts, ts, 2 * ts + td, ts, gaps[4], ts, ts, 2 * ts + td, ts]
    assert 350 <= gaps[4] <= 1300


def test_medium_and_low_pulses():
    m = P.sound("medium", 0)[0]
    assert len(m) == 3 and all(125 <= d <= 250 for s, d in m)
    assert all(125 <= m[i + 1][0] - m[i][0] - m[i][1] <= 250 for i in range(2))
    low = P.sound("low", 0)[0]
    assert len(low) in (1, 2) and all(125 <= d <= 250 for s, d in low)


def test_repeat_intervals_within_iec_at_every_level():
    limits = {"high": (2500, 15000), "medium": (2500, 30000), "low": (15001, 10 ** 9)}
    for prio in ("high", "medium", "low"):
        for level in range(3):
            pulses, period, duty, freq = P.sound(prio, level)
            lo, hi = limits[prio]
            assert lo <= period <= hi, (prio, level, period)
            assert period - P.burst_ms(pulses) >= 2500  # silence between bursts too
            assert 150 <= freq <= 1000  # IEC fundamental range
            assert 0 < duty <= 50


def test_escalation_louder_then_more_often_and_the_priority_stays_the_engines():
    for prio in ("high", "medium", "low"):
        s0, s1, s2 = P.sound(prio, 0), P.sound(prio, 1), P.sound(prio, 2)
        assert s1[2] > s0[2] and s1[1] == s0[1]  # louder
        assert s2[2] == s1[2] and s2[1] < s1[1]  # more often
        # one priority up (the engine's level 3) is the engine's to give: the pattern
        # plays the priority it is handed, at its own top level, never a second step up
        for level in (3, 5, 9):
            assert P.effective(prio, level) == (prio, P.MAX_LEVEL), (prio, level)
            assert P.sound(prio, level) == s2, (prio, level)
    assert P.effective("high", -1) == ("high", 0)


def test_volume_quietens_only_fresh_medium_and_low_alarms_and_never_to_silence():
    # the alarm settings' "volume" (10..100, e.g. a night schedule entry)
    for prio in ("medium", "low"):
        full = P.sound(prio, 0)[2]
        assert P.sound(prio, 0, 100)[2] == full
        assert P.MIN_DUTY <= P.sound(prio, 0, 40)[2] < full, prio
        for v in (0, 10):
            assert P.sound(prio, 0, v)[2] == P.MIN_DUTY > 0, (prio, v)
        for level in (1, 2, 3, 5):  # an unanswered alarm gets loud whatever the volume
            assert P.sound(prio, level, 10)[2] == P.LOUD, (prio, level)
        assert P.sound(prio, 0, 40)[:2] == P.sound(prio, 0)[:2]  # rhythm unchanged
    # high priority (urgent low) keeps its loudness at any volume
    for v in (0, 10, 40, 100):
        assert P.sound("high", 0, v) == P.sound("high", 0), v
    # a volume that is not a number is no reason to play quieter
    for v in (None, "loud", 3.5e9, 250, -5, float("nan")):
        assert P.sound("low", 0, v)[2] == P.sound("low", 0)[2], v


def test_sound_at_walks_the_bursts():
    snd = P.sound("high", 0)
    got = _pulses(snd, 2 * snd[1])
    want = [(s, s + d) for s, d in snd[0]] + [(snd[1] + s, snd[1] + s + d) for s, d in snd[0]]
    assert got == want
    assert P.sound_at(snd, -5) == (False, 5)
    once = (snd[0], 0, 30, 988)
    assert P.sound_at(once, 5000) == (False, None)


def test_lights():
    rgb, period, on = P.light("high")
    assert rgb == P.RED and 1.4 <= 1000 / period <= 2.8 and 0.2 <= on / period <= 0.6
    rgb, period, on = P.light("medium")
    assert rgb == P.YELLOW and 0.4 <= 1000 / period <= 0.8 and 0.2 <= on / period <= 0.6
    assert P.light("low")[1] == 0  # steady
    assert P.light("ok")[1] == 0
    names = set(P.color_name(P.light(s)[0]) for s in ("high", "medium", "low", "ok", "no_data", "fault"))
    assert len(names) == 6  # every state has its own colour
    assert P.light_at(P.light("high"), 260) == (False, 240)
    assert P.light_at(P.light("ok"), 10 ** 9) == (True, None)


def test_unknown_names_raise():
    for fn, arg in ((P.sound, "urgent"), (P.light, "blinky"), (P.cue, "nope")):
        try:
            fn(arg)
        except P.PatternError as e:
            assert repr(arg) in str(e)
        else:
            assert False, "no error for %r" % arg


def test_sequences():
    assert P.sequence_ms(P.SELFTEST) <= 1500
    seq = P.test_sequence()
    played = [step[1] for step in seq if step[1]]
    assert len(played) == 3  # one burst of each priority
    assert P.sequence_at(seq, P.sequence_ms(seq)) is None
    step, t, left = P.sequence_at(seq, 10)
    assert step is seq[0] and t == 10 and left == seq[0][0] - 10


def _devkit():
    return {"buzzer": {"kind": "pwm", "pin": 25},
            "led": {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33}},
            "button": {"pin": 32, "pull": "up", "active_low": True}}


def _err(data):
    return board_refusal(data)


def test_board_files_load_and_validate():
    names = board.known(BOARDS)
    assert "esp32-devkitc" in names and "m5stickc-plus2" in names
    for n in names:
        b = board.load(n, BOARDS)
        assert b["name"] == n


def test_unknown_board_names_the_board():
    try:
        board.load("no-such-box", BOARDS)
    except board.BoardError as e:
        assert "no-such-box" in str(e) and "esp32-devkitc" in str(e)
    else:
        assert False


def test_missing_or_bad_pins_name_the_key():
    assert _err(_devkit()) is None
    d = _devkit()
    del d["led"]["pins"]["green"]
    e = _err(d)
    assert "mybox" in e and "led.pins.green" in e
    d = _devkit()
    del d["buzzer"]["pin"]
    assert "buzzer.pin" in _err(d)
    d = _devkit()
    d["buzzer"]["pin"] = 35
    assert "input-only" in _err(d)
    d = _devkit()
    del d["button"]
    assert "'button'" in _err(d)
    d = _devkit()
    d["led"] = {"kind": "lamp", "pin": 4}
    assert "led.kind" in _err(d)
    d = _devkit()
    d["button"] = {"pin": 37, "pull": "up"}
    assert "button.pin" in _err(d)



def test_flash_and_missing_gpios_are_refused():
    # GPIO6-11 are the module's SPI flash (driving one crashes the board at
    # once); 20, 24 and 28-31 do not exist on the ESP32
    for pin in (6, 7, 8, 9, 10, 11):
        for where in ("buzzer", "led", "button"):
            d = _devkit()
            if where == "led":
                d["led"]["pins"]["blue"] = pin
            else:
                d[where]["pin"] = pin
            e = _err(d)
            assert e is not None and "flash" in e, (pin, where, e)
    for pin in (20, 24, 28, 29, 30, 31):
        d = _devkit()
        d["buzzer"]["pin"] = pin
        e = _err(d)
        assert e is not None and "no GPIO%d" % pin in e, (pin, e)
    assert "flash" in _err(_stick(hold_pin=6))


def test_a_button_that_would_stop_the_boot_is_refused():
    # held at power-on (the factory reset gesture, or a stuck button): GPIO0
    # low starts the ROM download mode, GPIO12 high sets the flash to 1.8 V;
    # either way the box never starts and nothing sounds
    d = _devkit()
    d["button"] = {"pin": 0, "pull": "up", "active_low": True}
    e = _err(d)
    assert e is not None and "GPIO0" in e and "boot" in e, e
    d["button"] = {"pin": 12, "pull": "down", "active_low": False}
    e = _err(d)
    assert e is not None and "GPIO12" in e and "boot" in e, e
    d["button"] = {"pin": 12, "pull": "up", "active_low": True}  # pressed = low: boots
    assert _err(d) is None
    d["button"] = {"pin": 2, "pull": "up", "active_low": True}   # low with GPIO0 high: boots
    assert _err(d) is None


def _stick(**pw):
    return {"buzzer": {"kind": "pwm", "pin": 2}, "led": {"kind": "single", "pin": 19},
            "button": {"pin": 37, "pull": None, "active_low": True}, "power": pw}


def test_power_key_is_validated():
    assert _err(_stick(hold_pin=4, battery_adc_pin=38, battery_divider=2)) is None
    assert _err(_stick(hold_pin=None, battery_adc_pin=None)) is None
    assert "input-only" in _err(_stick(hold_pin=36))
    assert "ADC1" in _err(_stick(battery_adc_pin=25))          # ADC2: Wi-Fi has it
    assert "battery_divider" in _err(_stick(battery_adc_pin=38, battery_divider=0))
    assert "battery_divider" in _err(_stick(battery_adc_pin=38, battery_divider="2"))
    assert "'power' must be an object" in _err(dict(_stick(), power=[4]))
    assert board.load("m5stickc-plus2", BOARDS)["power"]["hold_pin"] == 4
