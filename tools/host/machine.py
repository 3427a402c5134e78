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
# the firmware again (RTC memory survives: it is module state).
# Analog inputs: ADC(pin, atten=...) reads the voltage the virtual world set
# with set_adc_uv(pin, microvolts) (default 0); read_uv() as on the ESP32 port.
# WDT expiry needs vtime (it schedules its deadline on the virtual clock);
# without vtime, feed() only records feeds and expiry is checked on feed().
import struct
import sys
import time

IN = 1
OUT = 3
OPEN_DRAIN = 7
PULL_UP = 1
PULL_DOWN = 2
IRQ_FALLING = 2
IRQ_RISING = 1

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

ATTRS = ("value", "freq", "duty_u16", "pwm", "neopixel", "drive", "mode", "reset")


class PinLog:
    """A ring of (t_ms, pin, attr, value) in preallocated arrays: no object
    per entry, so a long simulation neither fills nor fragments the heap.
    Iterating yields tuples, oldest first; a neopixel value is logged as
    0xRRGGBB of pixel 0."""

    def __init__(self, limit):
        self.limit = limit
        self.buf = bytearray(10 * limit)  # one allocation: "<ibbi" per entry
        self.n = 0  # entries ever appended

    def append(self, t, pin, attr, value):
        struct.pack_into("<ibbi", self.buf, 10 * (self.n % self.limit), t, pin,
                         ATTRS.index(attr), value)
        self.n += 1

    def __len__(self):
        return min(self.n, self.limit)

    def dropped(self):
        return self.n - len(self)

    def __iter__(self):
        for k in range(self.n - len(self), self.n):
            t, pin, attr, val = struct.unpack_from("<ibbi", self.buf, 10 * (k % self.limit))
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
    """Forget every pin, PWM, IRQ and the log (between test scenarios)."""
    clear_log()
    STATE.clear()
    _levels.clear()
    _outputs.clear()
    _pulls.clear()
    _irqs.clear()
    _adc_uv.clear()
    del listeners[:]


def _pin_id(p):
    return p.id if isinstance(p, Pin) else int(p)


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
    if pin in _outputs:
        return _outputs[pin]
    return 1 if _pulls.get(pin) == PULL_UP else 0


class Pin:
    IN = IN
    OUT = OUT
    OPEN_DRAIN = OPEN_DRAIN
    PULL_UP = PULL_UP
    PULL_DOWN = PULL_DOWN
    IRQ_FALLING = IRQ_FALLING
    IRQ_RISING = IRQ_RISING

    def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
        if not isinstance(id, int) or id < 0 or id > 48:
            raise ValueError("invalid pin %r" % (id,))
        self.id = id
        self.mode = IN
        self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None, **kw):
        if mode != -1:
            self.mode = mode
            record(self.id, "mode", mode)
        if pull != -1:
            _pulls[self.id] = pull
        if value is not None:
            self.value(value)

    def value(self, x=None):
        if x is None:
            return _read(self.id)
        x = 1 if x else 0
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


class PWM:
    def __init__(self, pin, freq=None, duty_u16=None, duty=None, duty_ns=None, **kw):
        self.pin = _pin_id(pin)
        self._freq = 5000
        self._duty = 0
        self._active = True
        record(self.pin, "pwm", 1)
        self.init(freq=freq, duty_u16=duty_u16, duty=duty, duty_ns=duty_ns)

    def init(self, freq=None, duty_u16=None, duty=None, duty_ns=None, **kw):
        self._active = True
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        elif duty is not None:
            self.duty(duty)
        elif duty_ns is not None:
            self.duty_u16(int(duty_ns * self._freq * 65535 // 1000000000))

    def _check(self):
        if not self._active:
            raise OSError("PWM on pin %d is deinitialised" % self.pin)

    def _set(self, name, attr, value, lo, hi):
        """Check and record one PWM setting (the board raises on out-of-range values)."""
        self._check()
        value = int(value)
        if value < lo or value > hi:
            raise ValueError(name + " out of range")
        if value != getattr(self, attr) or name not in STATE.get(self.pin, {}):
            setattr(self, attr, value)
            record(self.pin, name, value)

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._set("freq", "_freq", f, 1, 40000000)

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._set("duty_u16", "_duty", d, 0, 65535)

    def duty(self, d=None):
        if d is None:
            return self._duty * 1023 // 65535
        self.duty_u16(int(d) * 65535 // 1023)

    def deinit(self):
        if self._active:
            self._active = False
            self._duty = 0
            STATE.setdefault(self.pin, {})["duty_u16"] = 0
            record(self.pin, "pwm", 0)


_adc_uv = {}


def set_adc_uv(pin, uv):
    """The voltage (microvolts) an ADC on this pin reads from now on."""
    _adc_uv[pin] = int(uv)


class ADC:
    ATTN_0DB, ATTN_2_5DB, ATTN_6DB, ATTN_11DB = 0, 1, 2, 3
    WIDTH_12BIT = 3
    _FULL_UV = (950000, 1250000, 1750000, 3100000)  # ESP32 range per attenuation

    def __init__(self, pin, atten=None):
        self.pin = _pin_id(pin)
        if self.pin not in (32, 33, 34, 35, 36, 37, 38, 39):
            raise ValueError("invalid Pin for ADC")  # ADC1 only: ADC2 is Wi-Fi's
        self.atten = self.ATTN_0DB if atten is None else atten

    def read_uv(self):
        return min(_adc_uv.get(self.pin, 0), self._FULL_UV[self.atten])

    def read_u16(self):
        return self.read_uv() * 65535 // self._FULL_UV[self.atten]


class RTC:
    def __init__(self, id=0):
        pass

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
        y, mo, d, wd, h, mi, s = dt[:7]
        if virtual:
            vt.set_wall(vt.mktime((y, mo, d, h, mi, s, 0, 0)))
        else:
            target = _civil_to_unix(y, mo, d, h, mi, s)
            _rtc_offset_s = target - int(time.time())

    def init(self, dt):
        self.datetime(dt)

    def memory(self, data=None):
        """RTC slow memory: 2048 bytes, kept across simulated resets (module state)."""
        global _rtc_memory
        if data is None:
            return _rtc_memory
        data = bytes(data)
        if len(data) > 2048:
            raise ValueError("RTC memory holds at most 2048 bytes")
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
    ms of virtual time -> _do_reset(WDT_RESET) (see the module comment)."""

    def __init__(self, id=0, timeout=5000):
        if timeout < 1000:
            raise ValueError("ESP32 WDT timeout is at least 1000 ms")
        self.timeout = int(timeout)
        _wdts.append(self)
        self._last = now_ms()
        self._timer = None
        self.expired = False
        self._arm()

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


def reset():
    _do_reset(HARD_RESET)


def soft_reset():
    _do_reset(SOFT_RESET)


def reset_cause():
    return _reset_cause


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
