# Board fidelity (docs/BOARD_AUDIT.md): the host fakes of `machine`, `network`
# and `neopixel` refuse and return what the MicroPython 1.29 ESP32 port does
# (each test names the port source that decides it), and the firmware's own
# calls go through them on both boards. Runs on CPython and on MicroPython.
import sys

from fakes import BOARDS, REPO

if REPO + "/tools/host" not in sys.path:
    sys.path.insert(0, REPO + "/tools/host")
import machine  # noqa: E402
import network  # noqa: E402
import neopixel  # noqa: E402


def _raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return str(e)
    except Exception as e:
        raise AssertionError("%s raised %s(%s), the port raises %s"
                             % (fn, type(e).__name__, e, exc.__name__))
    raise AssertionError("%s did not raise; the port raises %s" % (fn, exc.__name__))


def _fresh():
    machine.reset_all()
    machine._pwms.clear()
    machine._stop_watchdogs()


# --- machine.Pin (ports/esp32/machine_pin.c, machine_pin.h) ------------------
def test_pin_constants_have_the_ports_values():
    P = machine.Pin
    # GPIO_MODE_INPUT / INPUT_OUTPUT / INPUT_OUTPUT_OD; machine_pin.c:51-52 pulls;
    # GPIO_INTR_POSEDGE / NEGEDGE
    assert (P.IN, P.OUT, P.OPEN_DRAIN) == (1, 3, 7)
    assert (P.PULL_DOWN, P.PULL_UP) == (1, 2)
    assert (P.IRQ_RISING, P.IRQ_FALLING) == (1, 2)


def test_pin_numbers_the_esp32_lacks_are_refused():
    _fresh()
    for n in (24, 28, 29, 30, 31, 40, 48, -1):
        assert _raises(ValueError, machine.Pin, n) == "invalid pin"
    for n in (0, 19, 20, 21, 23, 25, 27, 32, 39):
        assert machine.Pin(n).id == n
    assert machine.Pin(machine.Pin(25)).id == 25  # a Pin is taken as its id


def test_an_image_with_spiram_has_no_gpio16_or_17():
    # machine_pin.h enables GPIO16/17 only `#if !CONFIG_SPIRAM` (the PSRAM's CS and clock
    # on WROVER modules); machine_pin_find refuses an id it has no object for
    _fresh()
    machine.spiram_build()
    try:
        for n in (16, 17):
            assert _raises(ValueError, machine.Pin, n) == "invalid pin"
            assert _raises(ValueError, machine.PWM, n) == "invalid pin"
        assert machine.Pin(15).id == 15 and machine.Pin(18).id == 18
    finally:
        _fresh()
    assert machine.Pin(16).id == 16 and machine.Pin(17).id == 17   # the plain image has them


def test_input_only_pins_refuse_output_and_have_no_pull():
    _fresh()
    for n in range(34, 40):
        assert _raises(ValueError, machine.Pin, n, machine.Pin.OUT) == "pin can only be input"
        assert _raises(ValueError, machine.Pin, n, machine.Pin.OPEN_DRAIN) == "pin can only be input"
        # no pull resistor on 34-39: the pin floats (the fake reads 0), a
        # pull-up on 32 holds it high
        assert machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP).value() == 0
    assert machine.Pin(32, machine.Pin.IN, machine.Pin.PULL_UP).value() == 1
    assert machine.Pin(33, machine.Pin.IN, machine.Pin.PULL_DOWN).value() == 0


def test_pin_value_is_keyword_only_and_set_before_the_mode():
    _fresh()
    p = machine.Pin(26, machine.Pin.OUT, value=1)
    assert p.value() == 1
    assert _raises(TypeError, machine.Pin, 26, machine.Pin.OUT, None, 1)


# --- machine.PWM (ports/esp32/machine_pwm.c) ----------------------------------
def test_pwm_ranges_and_types():
    _fresh()
    pwm = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=1000, duty_u16=0)
    assert _raises(ValueError, pwm.freq, 0)             # check_freq_ranges :379
    assert _raises(ValueError, pwm.freq, 40000001)
    assert _raises(ValueError, pwm.duty_u16, 65536)     # check_duty_u16 :310
    assert _raises(ValueError, pwm.duty_u16, -1)
    assert _raises(ValueError, pwm.duty, 1024)          # check_duty_u10 :326
    assert _raises(TypeError, pwm.duty_u16, 32767.5)    # mp_obj_get_int of a float
    assert _raises(TypeError, pwm.freq, 988.0)
    pwm.duty_u16(65535)
    assert pwm.duty_u16() == 65535
    pwm.freq(988)
    assert pwm.freq() == 988


def test_pwm_without_a_duty_starts_at_half():
    _fresh()
    pwm = machine.PWM(machine.Pin(26, machine.Pin.OUT), freq=2000)
    assert pwm.duty_u16() == 32768                      # PWM_DUTY :65


def test_pwm_after_deinit_raises_runtime_error_until_init():
    _fresh()
    pwm = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=1000, duty_u16=0)
    pwm.deinit()
    for call in (lambda: pwm.duty_u16(100), lambda: pwm.freq(2000), pwm.freq, pwm.duty_u16):
        assert _raises(RuntimeError, call) == "PWM is inactive"  # pwm_is_active :200
    pwm.init(freq=1000, duty_u16=10)
    assert pwm.duty_u16() == 10


def test_pwm_has_16_channels_and_8_timers():
    _fresh()
    pins = [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 18, 19, 21, 22, 23, 25]
    pwms = [machine.PWM(machine.Pin(p, machine.Pin.OUT), freq=1000, duty_u16=0) for p in pins]
    assert _raises(RuntimeError, machine.PWM, machine.Pin(26, machine.Pin.OUT), freq=1000).startswith(
        "out of PWM channels")
    again = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=1000)  # its own channel again
    pwms[-1] = again
    for i in range(7):
        pwms[i].freq(2000 + i)           # timers: 1000 + 7 others = 8
    assert _raises(RuntimeError, pwms[8].freq, 5000).startswith("out of PWM timers")
    pwms[8].freq(2003)                   # a frequency in use shares its timer


# --- machine.ADC, RTC, WDT -----------------------------------------------------
def test_adc_constants_and_keyword_atten():
    _fresh()
    A = machine.ADC
    assert (A.ATTN_0DB, A.ATTN_2_5DB, A.ATTN_6DB, A.ATTN_11DB) == (0, 1, 2, 3)
    assert (A.WIDTH_9BIT, A.WIDTH_12BIT) == (9, 12)     # machine_adc.c:40-49
    assert _raises(TypeError, A, machine.Pin(38), 3)    # atten is keyword-only
    assert _raises(ValueError, A, machine.Pin(38), atten=4) == "invalid attenuation"
    machine.set_adc_uv(38, 1900000)
    assert A(machine.Pin(38), atten=A.ATTN_11DB).read_uv() == 1900000


def test_rtc_takes_no_id_and_an_8_tuple():
    _fresh()
    assert _raises(TypeError, machine.RTC, 0)           # machine_rtc.c:90
    rtc = machine.RTC()
    _raises(ValueError, rtc.datetime, (2026, 11, 30, 0, 3, 0, 0))
    saved = machine._rtc_memory
    try:
        assert _raises(ValueError, rtc.memory, bytes(2049)) == "buffer too long"
        rtc.memory(bytearray(b"ab"))
        got = rtc.memory()
        assert got == b"ab" and isinstance(got, bytes)
    finally:
        machine._rtc_memory = saved


def test_wdt_is_one_watchdog_id_0_timeout_above_0():
    _fresh()
    assert _raises(ValueError, machine.WDT, 1, 5000) == ""
    assert _raises(ValueError, machine.WDT, timeout=0) == "WDT timeout too short"
    w = machine.WDT(timeout=500)                         # machine_wdt.c:47: only <= 0 is refused
    assert machine.WDT(timeout=30000) is w and w.timeout == 30000
    machine._stop_watchdogs()


def test_reset_causes_have_the_ports_values():
    # modmachine.c:79-83
    assert (machine.PWRON_RESET, machine.HARD_RESET, machine.WDT_RESET,
            machine.DEEPSLEEP_RESET, machine.SOFT_RESET) == (1, 2, 3, 4, 5)


# --- neopixel (micropython-lib drivers/led/neopixel) ---------------------------
def test_neopixel_takes_a_pin_and_bytes():
    _fresh()
    _raises(AttributeError, neopixel.NeoPixel, 27, 1)
    assert _raises(ValueError, neopixel.NeoPixel, machine.Pin(35), 1) == "pin can only be input"
    np = neopixel.NeoPixel(machine.Pin(27), 2)
    assert machine.STATE[27]["mode"] == machine.Pin.OUT
    np[0] = (300, -1, 7, 9)                 # a bytearray store wraps; extra items ignored
    assert np[0] == (44, 255, 7)
    _raises(IndexError, np.__setitem__, 1, (1, 2))
    _raises(TypeError, np.__setitem__, 1, (1.5, 2, 3))


# --- network.WLAN (ports/esp32/network_wlan.c, modnetwork_globals.h) ------------
class _Ticks:
    """CPython's time has no ticks_ms (vtime is not installed here): the fake's
    clock for these tests, on the host's monotonic clock."""

    @staticmethod
    def ticks_ms():
        import time
        return int(time.monotonic() * 1000)

    @staticmethod
    def ticks_diff(a, b):
        return a - b


def _with_ticks(fn):
    def run():
        real = network.time
        if not hasattr(real, "ticks_ms"):
            network.time = _Ticks
        try:
            fn()
        finally:
            network.time = real
            network.world.reset()
            network._ifaces.clear()
    return run


def _wlans():
    network.world.reset()
    network._ifaces.clear()
    return network.WLAN(network.STA_IF), network.WLAN(network.AP_IF)


def test_wlan_constants_have_the_ports_values():
    assert (network.STA_IF, network.AP_IF) == (0, 1)
    assert (network.STAT_IDLE, network.STAT_CONNECTING, network.STAT_GOT_IP) == (1000, 1001, 1010)
    assert (network.STAT_BEACON_TIMEOUT, network.STAT_NO_AP_FOUND, network.STAT_WRONG_PASSWORD,
            network.STAT_CONNECT_FAIL, network.STAT_HANDSHAKE_TIMEOUT) == (200, 201, 202, 203, 204)
    W = network.WLAN
    assert (W.PM_NONE, W.PM_PERFORMANCE, W.PM_POWERSAVE) == (0, 1, 2)
    assert (network.AUTH_OPEN, network.AUTH_WPA2_PSK) == (0, 3)
    assert _raises(ValueError, network.WLAN, 2) == "invalid WLAN interface identifier"


@_with_ticks
def test_wlan_config_rules():
    sta, ap = _wlans()
    assert _raises(TypeError, sta.config, "pm", pm=1) == "either pos or kw args are allowed"
    assert _raises(TypeError, sta.config, "pm", "ssid") == "can query only one param"
    assert _raises(ValueError, sta.config, "nonsense") == "unknown config param"
    assert _raises(ValueError, ap.config, "password") == "unknown config param"  # write-only
    assert _raises(OSError, sta.config, essid="x") == "AP required"
    assert _raises(OSError, sta.config, password="12345678") == "AP required"
    ap.active(True)
    ap.config(essid="CGM-Alarm-ABCD", password="abcdefgh2345", authmode=network.AUTH_WPA2_PSK)
    assert ap.config("essid") == "CGM-Alarm-ABCD" and ap.config("ssid") == "CGM-Alarm-ABCD"
    assert ap.config("authmode") == 3
    sta.config(pm=sta.PM_PERFORMANCE)
    assert sta.config("pm") == 1
    assert sta.config("ssid") == ""          # never connected: the empty configured ssid


@_with_ticks
def test_the_world_log_keeps_only_its_last_entries():
    # the simulator runs the fake for days in the firmware's heap (chaos seed 1219)
    sta, ap = _wlans()
    ap.active(True)
    for i in range(200):
        ap.config(essid="CGM-Alarm-%04d" % i)
    assert len(network.world.log) <= 64
    assert network.world.log[-1][1:] == ("config", ("ssid", "CGM-Alarm-0199"))


@_with_ticks
def test_wlan_connect_disconnect_scan_status():
    sta, ap = _wlans()
    assert _raises(OSError, sta.connect, "home", "password1") == "Wifi Not Started"
    assert _raises(OSError, sta.disconnect) == "Wifi Not Started"
    assert _raises(OSError, sta.scan) == "STA must be active"
    assert sta.active(True) is True      # the new state (network_wlan.c:313)
    _raises(TypeError, sta.connect, ssid="home")  # ssid and key are positional only
    assert sta.status() == network.STAT_IDLE
    assert ap.status() is None                     # no bare status() on the AP
    assert _raises(ValueError, sta.status, "nonsense") == "unknown status param"
    assert _raises(OSError, sta.status, "stations") == "AP required"
    assert _raises(OSError, ap.status, "stations") == "Wifi Not Started"
    assert _raises(OSError, sta.status, "rssi")    # not connected
    ap.active(True)
    network.world.stations.append(b"\x01\x02\x03\x04\x05\x06")
    assert ap.status("stations") == [(b"\x01\x02\x03\x04\x05\x06", None)] and ap.isconnected()


@_with_ticks
def test_wlan_reconnects_by_itself_after_losing_the_ap():
    sta, ap = _wlans()
    network.world.add_ap("home", "password1", rssi=-50)
    network.world.connect_delay_ms = 0
    sta.active(True)
    sta.connect("home", "password1")
    assert sta.isconnected() and sta.status("rssi") == -50
    assert sta.config("ssid") == "home"
    network.world.connect_delay_ms = 10000
    network.world.set_ap("home", False)
    # the port's event handler calls esp_wifi_connect() again (network_wlan.c:155-172)
    assert not sta.isconnected() and sta.status() == network.STAT_CONNECTING
    network.world.connect_delay_ms = 0
    assert sta.status() == network.STAT_NO_AP_FOUND
    network.world.set_ap("home", True)
    assert sta.isconnected()                  # without a new connect() from the firmware


# --- the firmware's board file against what the port takes ---------------------
def _rgb_board(**led):
    d = {"buzzer": {"kind": "pwm", "pin": 25},
         "led": {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33}},
         "button": {"pin": 32, "pull": "up", "active_low": True}}
    d["led"].update(led)
    return d


def test_board_refuses_a_led_pwm_freq_the_port_would_refuse():
    # PWM(freq=...) takes an int (mp_arg_parse_all MP_ARG_INT: "1000" or 1000.0 is a
    # TypeError on the board, machine_pwm.c:644); the old fake int()-ed it, so a board
    # file with "pwm_freq": "1000" passed every test and lost its LED on the board
    from sound import board
    for bad in ("1000", 1000.0, 0, 50, True, 10 ** 6):
        _raises(board.BoardError, board.validate, _rgb_board(pwm_freq=bad), "t")
    assert board.validate(_rgb_board(pwm_freq=5000), "t")["led"]["pwm_freq"] == 5000
    assert "pwm_freq" not in board.validate(_rgb_board(), "t")["led"]


def test_board_refuses_a_neopixel_count_that_shows_nothing():
    from sound import board
    d = _rgb_board()
    d["led"] = {"kind": "neopixel", "pin": 27}
    board.validate(d, "t")
    for bad in (0, -1, "1", 1.0):
        d["led"]["count"] = bad
        _raises(board.BoardError, board.validate, d, "t")
    d["led"]["count"] = 8
    board.validate(d, "t")


def test_the_firmware_drives_both_boards_through_the_faithful_fakes():
    from sound import board, outputs
    for name in ("esp32-devkitc", "m5stickc-plus2"):
        _fresh()
        b = board.load(name, BOARDS)
        buz = outputs.make_buzzer(b["buzzer"])
        led = outputs.make_led(b["led"])
        for on, freq, duty in ((True, 988, 30), (True, 784, 50), (False, 0, 0), (True, 659, 12)):
            buz.set(on, freq, duty)
        for rgb in ((255, 0, 0), (0, 0, 0), (255, 160, 0), (38, 0, 0)):
            led.set(rgb)
        buz.deinit()
        led.deinit()
        assert machine.STATE[b["buzzer"]["pin"]]["duty_u16"] == 0


def test_a_second_pwm_on_a_pin_shares_its_channel():
    # find_channel() finds the pin's channel again (machine_pwm.c:470-480): the
    # older object still drives it, and no channel is used up
    _fresh()
    a = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=1000, duty_u16=0)
    b = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=1000, duty_u16=100)
    a.duty_u16(200)
    assert len(machine._pwms) == 1 and b.freq() == 1000
    assert machine.STATE[25]["duty_u16"] == 200


# --- what a reset does to the pads (machine.reset_pins; ESP-IDF gpio_hold_en) ---
def test_a_held_pad_keeps_its_level_through_a_reset_but_not_a_power_on():
    # machine_pin.c:255-263: hold= first releases the pad (gpio_hold_dis), then latches it
    _fresh()
    hold = machine.Pin(4, machine.Pin.OUT, value=1, hold=True)
    loose = machine.Pin(26, machine.Pin.OUT, value=1)
    hold.value(0)                      # a latched pad ignores writes until released
    assert hold.value() == 1
    for cause in (machine.HARD_RESET, machine.WDT_RESET):
        machine.reset_pins(cause)
        assert machine._read(4) == 1 and machine._read(26) == 0, cause
        assert machine.STATE[26]["mode"] == machine.IN   # the pad floats: nothing drives it
    machine.Pin(26, machine.Pin.OUT, value=1)
    machine.reset_pins(machine.PWRON_RESET)              # power gone: the hold goes too
    assert machine._read(4) == 0 and machine._read(26) == 0
    # released and driven again: it follows writes
    p = machine.Pin(4, machine.Pin.OUT, value=1, hold=False)
    p.value(0)
    assert p.value() == 0 and loose.value() == 0


def test_a_soft_reset_stops_every_pwm_and_leaves_plain_outputs_driven():
    # main.c: machine_pwm_deinit_all() at a soft reset; the chip keeps running, so GPIO
    # levels stay; any other reset stops the LEDC too
    _fresh()
    pwm = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=988, duty_u16=30000)
    machine.Pin(26, machine.Pin.OUT, value=1)
    machine.reset_pins(machine.SOFT_RESET)
    assert machine.STATE[25]["pwm"] == 0 and machine.STATE[25]["duty_u16"] == 0
    assert _raises(RuntimeError, pwm.duty_u16, 100) == "PWM is inactive"
    assert machine._read(26) == 1
    pwm = machine.PWM(machine.Pin(25, machine.Pin.OUT), freq=988, duty_u16=30000)
    machine.reset_pins(machine.WDT_RESET)
    assert machine.STATE[25]["pwm"] == 0 and not machine._pwms


def test_the_pin_log_is_a_ring_in_small_pieces():
    # the host's log of every output change: the newest `limit` entries, oldest first,
    # across its 10 KB pieces (one 80 KB block failed in a heap near the firmware's need)
    log = machine.PinLog(1100)
    assert [len(b) for b in log.bufs] == [10240, 760]
    for i in range(3000):
        log.append(i, i % 40, "value", i % 2)
    assert len(log) == 1100 and log.dropped() == 1900
    n = 0
    for want, e in zip(range(1900, 3000), log):
        assert e == (want, want % 40, "value", want % 2), (want, e)
        n += 1
    assert n == 1100
