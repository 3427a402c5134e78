# Host fake of the ESP32 `machine` module (never on the board).
#
# On the unix port a `machine.py` on the path wins over the built-in module,
# so putting tools/host on MICROPYPATH is enough; a host may also do
# `sys.modules["machine"] = machine` explicitly. Runs on CPython too.
#
# Every output change is recorded with its time on the firmware clock
# (virtual ms from vtime.monotonic_us() when vtime is installed, else the
# port's ticks_ms) into LOG, a ring (PinLog, 8192 entries by default, see
# set_log_limit()) that iterates as tuples (t_ms, pin, attr, value):
# attr: "value" (Pin/Signal level), "freq", "duty_u16" (PWM; duty() is
# logged as duty_u16 too), "pwm" (1 = PWM attached, 0 = deinit),
# "neopixel" (value: 0xRRGGBB of pixel 0), "drive" (an input driven by the
# virtual world), "mode", "reset" (pin -1, value: the cause).
# LOG.entries(pin, since, until) filters; LOG.dropped() counts overwritten
# entries. STATE[pin] holds the latest value of each attr (a neopixel's full
# tuple of pixels), for live renderers. listeners: callables
# fn(t_ms, pin, attr, value) called on each change (the simulator's hook).
#
# Inputs: the virtual world drives a pin with drive(pin, level) (e.g. from
# vtime.call_later); irq handlers registered with Pin.irq() fire on the
# matching edge, like an IRQ, between scheduler steps.
#
# Resets: reset(), soft_reset() and a watchdog that was not fed in time all
# go through _do_reset(cause): it records the cause (reset_cause() returns
# it afterwards, as after a real boot), then calls the hook registered with
# set_reset_hook(fn) as fn(cause); with no hook it raises SystemExit(cause),
# which ends asyncio.run() like a reset ends the program. A host that
# "reboots" the firmware registers a hook, or catches SystemExit and starts
# the firmware again (RTC memory survives: it is module state). What the reset
# does to the pads is reset_pins(cause), which the host calls once the old
# firmware has stopped (virtual_esp32.reset_board).
# Analog inputs: ADC(pin, atten=...) reads the voltage the virtual world set
# with set_adc_uv(pin, microvolts) (default 0); read_uv() as on the ESP32 port.
# WDT expiry needs vtime (it schedules its deadline on the virtual clock);
# without vtime, feed() only records feeds and expiry is checked on feed().
import struct
import sys
import time

# Values as on the ESP32 port (see docs/BOARD_AUDIT.md for the source lines).
IN = 1           # GPIO_MODE_INPUT
OUT = 3          # GPIO_MODE_INPUT_OUTPUT
OPEN_DRAIN = 7   # GPIO_MODE_INPUT_OUTPUT_OD
PULL_DOWN = 1    # ports/esp32/machine_pin.c:51
PULL_UP = 2      # ports/esp32/machine_pin.c:52
IRQ_FALLING = 2  # GPIO_INTR_NEGEDGE
IRQ_RISING = 1   # GPIO_INTR_POSEDGE

# The GPIOs the ESP32 port knows (machine_pin.h:36-72) and the input-only ones from
# GPIO_FIRST_NON_OUTPUT (machine_pin.c:55), which also have no internal pull resistors
# (ESP32 datasheet: GPI34-39). A build with SPIRAM has no GPIO16/17 (spiram_build()).
PLAIN_PINS = tuple(range(0, 24)) + (25, 26, 27) + tuple(range(32, 40))
VALID_PINS = PLAIN_PINS
FIRST_INPUT_ONLY = 34


def spiram_build(on=True):
    """Be MicroPython's ESP32 image with SPIRAM (ESP32_GENERIC-SPIRAM, M5Stack's): its
    machine_pin.h enables GPIO16/17 only `#if !CONFIG_SPIRAM` (1.23-1.27: its old name,
    the same; they are the PSRAM's CS and clock on WROVER modules: micropython issue
    #7819), so Pin(16) / Pin(17) raise ValueError("invalid pin") there, PSRAM found or
    not. on=False: the plain image."""
    global VALID_PINS
    VALID_PINS = tuple(p for p in PLAIN_PINS if not (on and p in (16, 17)))

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

ATTRS = ("value", "freq", "duty_u16", "pwm", "neopixel", "drive", "mode", "reset", "hold")


class PinLog:
    """A ring of (t_ms, pin, attr, value) in preallocated arrays: no object
    per entry, so a long simulation neither fills nor fragments the heap.
    Iterating yields tuples, oldest first; a neopixel value is logged as
    0xRRGGBB of pixel 0. Kept in 10 KB pieces: one 80 KB block could not be
    found at the start of a run in a heap sized near the firmware's need
    (make bench SECTION=memory on the frozen 32-bit build, code + 75 KB)."""

    CHUNK = 1024   # entries per piece

    def __init__(self, limit):
        self.limit = limit
        self.bufs = [bytearray(10 * min(self.CHUNK, limit - i))   # "<ibbi" per entry
                     for i in range(0, limit, self.CHUNK)]
        self.n = 0  # entries ever appended

    def _at(self, k):
        k %= self.limit
        return self.bufs[k // self.CHUNK], 10 * (k % self.CHUNK)

    def append(self, t, pin, attr, value):
        buf, off = self._at(self.n)
        struct.pack_into("<ibbi", buf, off, t, pin, ATTRS.index(attr), value)
        self.n += 1

    def __len__(self):
        return min(self.n, self.limit)

    def dropped(self):
        return self.n - len(self)

    def __iter__(self):
        for k in range(self.n - len(self), self.n):
            buf, off = self._at(k)
            t, pin, attr, val = struct.unpack_from("<ibbi", buf, off)
            yield (t, pin, ATTRS[attr], val)

    def entries(self, pin=None, since=0, until=None):
        return [e for e in self if (pin is None or e[1] == pin) and e[0] >= since
                and (until is None or e[0] <= until)]

    def clear(self):
        self.n = 0


LOG = PinLog(8192)  # 80 KB
STATE = {}
listeners = []

_levels = {}  # pin -> level driven from outside (inputs)
_outputs = {}  # pin -> level written by the firmware
_held = {}  # pin -> the level its pad keeps (Pin(..., hold=True), gpio_hold_en)
_pulls = {}
_irqs = {}  # pin -> (handler, trigger, Pin)
_reset_hook = None
_reset_cause = PWRON_RESET
_freq = 160000000
_unique_id = b"\x24\x0a\xc4\x12\x34\x56"
_rtc_memory = b""
_rtc_offset_s = 0  # wall offset when vtime is not installed


def now_ms():
    """The firmware clock in ms (virtual when vtime is installed)."""
    vt = sys.modules.get("vtime")
    if vt is not None and getattr(vt, "_installed", False):
        return vt.monotonic_us() // 1000
    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()
    return int(time.monotonic() * 1000)


def set_log_limit(n):
    """Resize (and clear) the log ring: n entries, 10 bytes each."""
    global LOG
    LOG = PinLog(n)


def record(pin, attr, value):
    t = now_ms()
    LOG.append(t, pin, attr, _rgb_int(value) if attr == "neopixel" else value)
    st = STATE.get(pin)
    if st is None:
        st = STATE[pin] = {}
    st[attr] = value
    for fn in listeners:
        fn(t, pin, attr, value)


def _rgb_int(px):
    r, g, b = px[0][:3] if px else (0, 0, 0)
    return (r << 16) | (g << 8) | b


def clear_log():
    LOG.clear()


def reset_all():
    """Forget every pin, PWM, IRQ and the log (between test scenarios); the plain image."""
    spiram_build(False)
    clear_log()
    STATE.clear()
    _levels.clear()
    _outputs.clear()
    _pulls.clear()
    _irqs.clear()
    _held.clear()
    _adc_uv.clear()
    i2c_devices.clear()
    del spi_devices[:]
    del listeners[:]


def _pin_id(p):
    """The GPIO number of a Pin or an int, ValueError("invalid pin") as on the
    port (machine_pin_find) for anything else."""
    if isinstance(p, Pin):
        return p.id
    if isinstance(p, int) and not isinstance(p, bool) and p in VALID_PINS:
        return p
    raise ValueError("invalid pin")


def drive(pin, level):
    """The virtual world sets an input level; fires the pin's irq on an edge."""
    pin = _pin_id(pin)
    old = _read(pin)
    _levels[pin] = 1 if level else 0
    record(pin, "drive", _levels[pin])
    new = _read(pin)
    irq = _irqs.get(pin)
    if irq is not None and new != old:
        handler, trigger, obj = irq
        if (new and trigger & IRQ_RISING) or (not new and trigger & IRQ_FALLING):
            handler(obj)


def release(pin):
    """Stop driving an input: it floats back to its pull."""
    pin = _pin_id(pin)
    if pin in _levels:
        del _levels[pin]


def _read(pin):
    if pin in _levels:
        return _levels[pin]
    if pin in _held:
        return _held[pin]
    if pin in _outputs:
        return _outputs[pin]
    return 1 if (_pulls.get(pin) or 0) & PULL_UP else 0


class Pin:
    IN = IN
    OUT = OUT
    OPEN_DRAIN = OPEN_DRAIN
    PULL_UP = PULL_UP
    PULL_DOWN = PULL_DOWN
    IRQ_FALLING = IRQ_FALLING
    IRQ_RISING = IRQ_RISING

    def __init__(self, id, mode=None, pull=-1, *, value=None, drive=None, hold=None):
        self.id = _pin_id(id)
        self.mode = IN
        self.init(mode, pull, value=value, hold=hold)

    def init(self, mode=None, pull=-1, *, value=None, drive=None, hold=None):
        # as machine_pin_obj_init_helper: value first, then mode, then pull, then the
        # pad hold: released first (gpio_hold_dis, "to apply outstanding config
        # changes"), then latched again if asked; a held pad ignores writes until then
        held = hold is not None and self.id < FIRST_INPUT_ONLY
        if held:
            _held.pop(self.id, None)
            record(self.id, "hold", 1 if hold else 0)
        if value is not None:
            self.value(value)
        if mode is not None and mode != -1:
            if self.id >= FIRST_INPUT_ONLY and mode & 2:  # GPIO_MODE_DEF_OUTPUT
                raise ValueError("pin can only be input")
            self.mode = mode
            record(self.id, "mode", mode)
        if pull != -1:
            # the port calls gpio_pullup_en()/pulldown_en() and ignores the result:
            # on 34-39, which have no pull resistors, the request does nothing
            _pulls[self.id] = 0 if self.id >= FIRST_INPUT_ONLY else (pull or 0)
        if held and hold:
            _held[self.id] = _read(self.id)

    def value(self, x=None):
        if x is None:
            return _read(self.id)
        x = 1 if x else 0
        if self.id in _held:
            return   # the pad is latched (gpio_hold_en): the level stays
        if _outputs.get(self.id) != x:
            _outputs[self.id] = x
            record(self.id, "value", x)

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, **kw):
        if handler is None:
            _irqs.pop(self.id, None)
        else:
            _irqs[self.id] = (handler, trigger, self)

    def __repr__(self):
        return "Pin(%d)" % self.id


class Signal:
    def __init__(self, pin, *args, invert=False, **kw):
        self.pin = pin if isinstance(pin, Pin) else Pin(pin, *args, **kw)
        self.invert = invert

    def value(self, x=None):
        if x is None:
            return self.pin.value() ^ (1 if self.invert else 0)
        self.pin.value((1 if x else 0) ^ (1 if self.invert else 0))

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


_PWM_CHANNELS = 16   # LEDC: 2 speed modes x 8 channels (machine_pwm.c:683)
_PWM_TIMERS = 8      # 2 speed modes x 4 timers; one per distinct frequency (machine_pwm.c:546)
_pwms = {}           # pin -> the active PWM on it (the port finds a pin's channel again)


class PWM:
    """The ESP32 port's PWM (ports/esp32/machine_pwm.c): freq 1 Hz-40 MHz and
    duty_u16 0-65535 else ValueError; a new PWM without a duty runs at 50 %;
    every call on a deinit()ed PWM raises RuntimeError("PWM is inactive") until
    init(); 16 channels and 8 timers (one per frequency in use), else
    RuntimeError("out of PWM channels/timers")."""

    def __init__(self, pin, freq=-1, *, duty=-1, duty_u16=-1, duty_ns=-1, invert=False,
                 lightsleep=False):
        self.pin = _pin_id(pin)
        self._freq = 5000
        self._duty = None
        self._active = False
        self.init(freq, duty=duty, duty_u16=duty_u16, duty_ns=duty_ns)

    def init(self, freq=-1, *, duty=-1, duty_u16=-1, duty_ns=-1, invert=False, lightsleep=False):
        if freq is None:
            freq = -1
        if freq != -1:
            _check_range("frequency", freq, 1, 40000000)
        if duty_u16 is not None and duty_u16 >= 0:
            _check_range("duty_u16", duty_u16, 0, 65535)
        elif duty is not None and duty >= 0:
            _check_range("duty", duty, 0, 1023)
        if not self._active:
            if self.pin not in _pwms and len(_pwms) >= _PWM_CHANNELS:
                raise RuntimeError("out of PWM channels:%d" % _PWM_CHANNELS)
            # a second PWM on a pin shares its channel (find_channel finds the pin's
            # channel again); the older object keeps working on it, as on the port
            self._active = True
            _pwms[self.pin] = self
            record(self.pin, "pwm", 1)
        self.freq(self._freq if freq == -1 else freq)
        if duty_u16 is not None and duty_u16 >= 0:
            self.duty_u16(duty_u16)
        elif duty_ns is not None and duty_ns >= 0:
            self.duty_u16(min(65535, int(duty_ns * self._freq * 65536 // 1000000000)))
        elif duty is not None and duty >= 0:
            self.duty(duty)
        elif self._duty is None:
            self.duty_u16(32768)  # PWM_DUTY: 50 % (machine_pwm.c:65)

    def _check(self):
        if not self._active:
            raise RuntimeError("PWM is inactive")  # machine_pwm.c:200

    def _set(self, name, attr, value):
        if value != getattr(self, attr) or name not in STATE.get(self.pin, {}):
            setattr(self, attr, value)
            record(self.pin, name, value)

    def freq(self, f=None):
        self._check()
        if f is None:
            return self._freq
        _check_range("frequency", f, 1, 40000000)
        f = int(f)
        others = set(p._freq for p in _pwms.values() if p is not self and p._active)
        if f not in others and len(others) >= _PWM_TIMERS:
            raise RuntimeError("out of PWM timers:%d" % _PWM_TIMERS)
        self._set("freq", "_freq", f)

    def duty_u16(self, d=None):
        self._check()
        if d is None:
            return self._duty
        _check_range("duty_u16", d, 0, 65535)
        self._set("duty_u16", "_duty", int(d))

    def duty(self, d=None):
        self._check()
        if d is None:
            return self._duty >> 6
        _check_range("duty", d, 0, 1023)
        self.duty_u16(65535 if d == 1023 else int(d) << 6)

    def deinit(self):
        if self._active:
            self._active = False
            if _pwms.get(self.pin) is self:
                del _pwms[self.pin]
            self._duty = None
            STATE.setdefault(self.pin, {})["duty_u16"] = 0
            record(self.pin, "pwm", 0)


def _check_range(name, value, lo, hi):
    """The port's argument check: an int in [lo, hi], else ValueError (TypeError for a non-number)."""
    if not isinstance(value, int) or isinstance(value, bool):
        if isinstance(value, float):
            raise TypeError("can't convert float to int")
        raise TypeError("can't convert %s to int" % type(value).__name__)
    if value < lo or value > hi:
        raise ValueError("%s must be from %d to %d" % (name, lo, hi))


_adc_uv = {}


def set_adc_uv(pin, uv):
    """The voltage (microvolts) an ADC on this pin reads from now on."""
    _adc_uv[pin] = int(uv)


class ADC:
    ATTN_0DB, ATTN_2_5DB, ATTN_6DB, ATTN_11DB = 0, 1, 2, 3   # ADC_ATTEN_DB_*
    WIDTH_9BIT, WIDTH_10BIT, WIDTH_11BIT, WIDTH_12BIT = 9, 10, 11, 12  # machine_adc.c:40-49
    _FULL_UV = (950000, 1250000, 1750000, 3100000)  # ESP32 range per attenuation

    def __init__(self, pin, *, atten=-1):
        self.pin = _pin_id(pin)
        if self.pin not in (32, 33, 34, 35, 36, 37, 38, 39):
            # stricter than the port, which also takes ADC2 pins (0, 2, 4, 12-15,
            # 25-27) but cannot read them while Wi-Fi is on
            raise ValueError("invalid pin")
        if atten is None or atten == -1:
            atten = self.ATTN_0DB
        if atten not in (0, 1, 2, 3):
            raise ValueError("invalid attenuation")  # machine_adc.c:261
        self.atten = atten

    def read_uv(self):
        return min(_adc_uv.get(self.pin, 0), self._FULL_UV[self.atten])

    def read_u16(self):
        return self.read_uv() * 65535 // self._FULL_UV[self.atten]


class RTC:
    def __init__(self):
        pass  # the port takes no arguments (machine_rtc.c:90): RTC(0) is a TypeError

    def datetime(self, dt=None):
        """Get or set (year, month, day, weekday, hours, minutes, seconds, subseconds).
        Setting moves vtime's wall clock when vtime is installed."""
        global _rtc_offset_s
        vt = sys.modules.get("vtime")
        virtual = vt is not None and getattr(vt, "_installed", False)
        if dt is None:
            if virtual:
                s = vt.time()
                tm = vt.gmtime(s)
                sub = (vt.monotonic_us() % 1000000)
            else:
                s = int(time.time()) + _rtc_offset_s
                tm = time.gmtime(s)
                sub = 0
            return (tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], sub)
        if len(dt) != 8:  # mp_obj_get_array_fixed_n(args[1], 8) (machine_rtc.c)
            raise ValueError("requested length 8 but object has length %d" % len(dt))
        y, mo, d, wd, h, mi, s = dt[:7]
        if virtual:
            vt.set_wall(vt.mktime((y, mo, d, h, mi, s, 0, 0)))
        else:
            target = _civil_to_unix(y, mo, d, h, mi, s)
            _rtc_offset_s = target - int(time.time())

    def init(self, dt):
        self.datetime(dt)

    def memory(self, data=None):
        """RTC slow memory: 2048 bytes (MICROPY_HW_RTC_USER_MEM_MAX), kept across
        simulated resets (module state); reads return bytes."""
        global _rtc_memory
        if data is None:
            return _rtc_memory
        data = bytes(data.encode() if isinstance(data, str) else data)  # any buffer, as on the port
        if len(data) > 2048:
            raise ValueError("buffer too long")  # machine_rtc.c:175
        _rtc_memory = data


def _civil_to_unix(y, mo, d, h, mi, s):
    y2 = y - (mo <= 2)
    era = (y2 if y2 >= 0 else y2 - 399) // 400
    yoe = y2 - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s


class WDT:
    """Watchdog: once created it cannot be stopped. Not fed within timeout
    ms of virtual time -> _do_reset(WDT_RESET) (see the module comment).
    As on the port (machine_wdt.c): id must be 0, timeout > 0 ms (ValueError
    otherwise); there is one watchdog: WDT() again returns it with the new
    timeout (esp_task_wdt_reconfigure)."""

    def __new__(cls, id=0, timeout=5000):
        if id != 0:
            raise ValueError()
        if not isinstance(timeout, int) or isinstance(timeout, bool):
            raise TypeError("can't convert %s to int" % type(timeout).__name__)
        if timeout <= 0:
            raise ValueError("WDT timeout too short")
        if _wdts:
            self = _wdts[0]
        else:
            self = object.__new__(cls)
            self._timer = None
            self.expired = False
            _wdts.append(self)
        self.timeout = timeout
        self._last = now_ms()
        self._arm()
        return self

    def __init__(self, id=0, timeout=5000):
        pass

    def _arm(self):
        vt = sys.modules.get("vtime")
        if vt is not None and getattr(vt, "_installed", False):
            if self._timer is not None:
                vt.cancel(self._timer)
            self._timer = vt.call_at((self._last + self.timeout) * 1000, self._check)

    def _check(self):
        self._timer = None
        if now_ms() - self._last >= self.timeout and not self.expired:
            self.expired = True
            _do_reset(WDT_RESET)
        elif not self.expired:
            self._arm()

    def feed(self):
        if self.expired:
            return
        if now_ms() - self._last > self.timeout:  # without vtime: checked lazily
            self.expired = True
            _do_reset(WDT_RESET)
            return
        self._last = now_ms()
        self._arm()


def set_reset_hook(fn):
    """fn(cause) replaces the default (raise SystemExit) for reset/WDT."""
    global _reset_hook
    _reset_hook = fn


_wdts = []


def _stop_watchdogs():
    """A reset stops the watchdog (the next boot arms its own)."""
    vt = sys.modules.get("vtime")
    for w in _wdts:
        w.expired = True
        if w._timer is not None and vt is not None:
            vt.cancel(w._timer)
            w._timer = None
    del _wdts[:]


def _do_reset(cause):
    global _reset_cause
    _reset_cause = cause
    _stop_watchdogs()
    record(-1, "reset", cause)
    if _reset_hook is not None:
        _reset_hook(cause)
    else:
        raise SystemExit("machine reset (cause %d)" % cause)


def reset_pins(cause):
    """What a reset does to the pads once the chip has stopped: every PWM stops (the
    port's machine_pwm_deinit_all at a soft reset; the LEDC itself at any other), so
    the buzzer falls silent. Any reset but a soft one (which leaves the chip running)
    returns every output to an input, except a pad held with hold=True, which keeps its
    level through every reset but a power-on (ESP-IDF gpio_hold_en). The M5StickC
    Plus2's power hold pin depends on that."""
    for pwm in list(_pwms.values()):
        pwm.deinit()
    if cause == SOFT_RESET:
        return
    if cause == PWRON_RESET:
        _held.clear()
    for pin in list(_outputs):
        del _outputs[pin]
        if pin not in _held:
            record(pin, "mode", IN)
    _pulls.clear()


def reset():
    _do_reset(HARD_RESET)


def soft_reset():
    _do_reset(SOFT_RESET)


def reset_cause():
    return _reset_cause


# --- I2C ----------------------------------------------------------------------
# Devices on the bus: address -> an object with write(bytes) (e.g. vssd1306.Panel).
# An address nobody answers raises OSError(ENODEV) as the ESP32 port does for a
# missing ACK (a panel unplugged or miswired).
i2c_devices = {}
ENODEV = 19


def attach_i2c(addr, device):
    i2c_devices[addr] = device


def detach_i2c(addr):
    i2c_devices.pop(addr, None)


class I2C:
    def __init__(self, id, *, scl, sda, freq=400000, timeout=50000):
        if id not in (0, 1):
            raise ValueError("I2C(%s) doesn't exist" % (id,))
        self.scl, self.sda = _pin_id(scl), _pin_id(sda)
        if self.scl >= FIRST_INPUT_ONLY or self.sda >= FIRST_INPUT_ONLY:
            raise ValueError("invalid pin")   # both lines are driven (open drain)
        self.freq = freq

    def _device(self, addr):
        d = i2c_devices.get(addr)
        if d is None:
            raise OSError(ENODEV)
        return d

    def writeto(self, addr, buf, stop=True):
        self._device(addr).write(bytes(buf))
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        self._device(addr).write(b"".join(bytes(b) for b in vector))
        return sum(len(b) for b in vector)

    def scan(self):
        return sorted(i2c_devices)


# --- SPI ----------------------------------------------------------------------
# Devices on a bus: (device, sck, mosi, cs, dc) (e.g. vst7789.Panel). write(buf)
# reaches each device wired to the bus's sck and mosi pins whose CS pin the
# firmware drives low at that moment (the Pin fake's levels), as
# device.write(dc_level, bytes): a wrong pin in a board file reaches nothing.
# Write-only (no MISO), as a panel is wired: nothing answers, so nothing fails
# when no device listens, as on the board.
# The clock: the ESP32 port opens its device full-duplex (machine_hw_spi.c sets
# no SPI_DEVICE_NO_DUMMY), and ESP-IDF then refuses a clock over 80 MHz / 3 on
# pins routed through the GPIO matrix (spi_hal_cal_clock_conf: "When work in
# full-duplex mode at frequency > 26.7MHz, device cannot read correct data";
# spi_bus_add_device: "assigned clock speed not supported"). machine_hw_spi.c
# does not check for that error: the SPI object is returned without a device
# and the first write crashes the board (russhughes/st7789_mpy#169, an
# M5StickC Plus at SPI(1, baudrate=40_000_000, sck=13, mosi=15)). Only the
# host's IO_MUX pins (HSPI 14/13/12, VSPI 18/23/19) take up to 80 MHz. The fake
# raises instead, so a test fails where the board would.
spi_devices = []
_DEFAULT = object()   # an SPI pin argument not given
SPI_GPIO_MATRIX_MAX_HZ = 80000000 // 3
_SPI_IOMUX = {1: (14, 13, 12), 2: (18, 23, 19)}   # sck, mosi, miso


def _spi_clock(hz):
    """The clock the ESP32 gives for hz: 80 MHz / n, the nearest (spi_ll_master_cal_clock)."""
    if hz > 60000000:
        return 80000000
    n = min(range(2, 65), key=lambda n: (abs(80000000 // n - hz), -n))
    return 80000000 // n


def attach_spi(device, sck, mosi, cs, dc):
    spi_devices.append((device, sck, mosi, cs, dc))


def detach_spi(device):
    spi_devices[:] = [d for d in spi_devices if d[0] is not device]


class SPI:
    MSB, LSB = 0, 1

    def __init__(self, id, baudrate=500000, *, polarity=0, phase=0, bits=8, firstbit=0,
                 sck=_DEFAULT, mosi=_DEFAULT, miso=_DEFAULT):
        if id not in (1, 2):   # the ESP32 port's hardware SPI: 1 (HSPI), 2 (VSPI)
            raise ValueError("SPI(%s) doesn't exist" % (id,))
        # a pin left out is the host's default (machine_hw_spi_argcheck), None is no pin
        dflt = {1: (14, 13, 12), 2: (18, 23, 19)}[id]
        self.sck, self.mosi, self.miso = [d if p is _DEFAULT else None if p is None else _pin_id(p)
                                          for p, d in zip((sck, mosi, miso), dflt)]
        for p in (self.sck, self.mosi):
            if p is not None and p >= FIRST_INPUT_ONLY:
                raise ValueError("invalid pin")   # driven lines
        iomux = all(p is None or p == q for p, q in zip((self.sck, self.mosi, self.miso), _SPI_IOMUX[id]))
        if not iomux and _spi_clock(baudrate) > SPI_GPIO_MATRIX_MAX_HZ:
            raise RuntimeError("SPI(%d) at %d Hz on GPIO-matrix pins: ESP-IDF refuses the device"
                               " (assigned clock speed not supported); the ESP32 port crashes at"
                               " the first write" % (id, baudrate))
        self.baudrate = baudrate
        self.written = 0   # bytes sent

    def write(self, buf):
        data = bytes(buf)
        self.written += len(data)
        for dev, sck, mosi, cs, dc in spi_devices:
            if sck == self.sck and mosi == self.mosi and _read(cs) == 0:
                dev.write(_read(dc), data)

    def deinit(self):
        pass


def set_reset_cause(cause):
    """Host: pretend the board booted for this reason."""
    global _reset_cause
    _reset_cause = cause


def unique_id():
    return _unique_id


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    _freq = int(hz)


def idle():
    pass


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def lightsleep(ms=None):
    if ms is not None:
        sys.modules["time"].sleep_ms(ms)


def deepsleep(ms=None):
    _do_reset(DEEPSLEEP_RESET)
