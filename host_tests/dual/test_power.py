# A battery-backed board (app/power.py, the "power" key of boards/*.json):
# pure parts, on CPython and MicroPython.
from app import power
from sound import board


def _board(**pw):
    return {"buzzer": {"kind": "pwm", "pin": 2}, "led": {"kind": "single", "pin": 19},
            "button": {"pin": 37, "pull": None, "active_low": True}, "power": pw}


def _err(data):
    try:
        board.validate(data, "stick")
    except board.BoardError as e:
        return str(e)
    return None


def test_power_key_is_validated():
    assert _err(_board(hold_pin=4, battery_adc_pin=38, battery_divider=2)) is None
    assert _err(_board(hold_pin=None, battery_adc_pin=None)) is None
    assert "input-only" in _err(_board(hold_pin=36))
    assert "ADC1" in _err(_board(battery_adc_pin=25))          # ADC2: Wi-Fi has it
    assert "battery_divider" in _err(_board(battery_adc_pin=38, battery_divider=0))
    assert "battery_divider" in _err(_board(battery_adc_pin=38, battery_divider="2"))
    assert "'power' must be an object" in _err(dict(_board(), power=[4]))
    assert board.load("m5stickc-plus2")["power"]["hold_pin"] == 4


def test_battery_watch_takes_the_median_and_has_hysteresis():
    w = power.BatteryWatch()
    assert [w.add(mv) for mv in (4150, 4140, 3300, 4130, 4120)] == [None] * 5  # one bad read
    assert w.low is False
    # the window is now 3300 4130 4120 3540 3530: the median crosses LOW_MV
    got = [w.add(mv) for mv in (3540, 3530, 3520)]
    assert got == [None, True, None] and w.low
    assert [w.add(mv) for mv in (3650, 3680, 3690, 3690, 3690)] == [None] * 5  # below OK_MV
    assert [w.add(mv) for mv in (3720, 3720, 3720)] == [None, None, False]     # cleared
