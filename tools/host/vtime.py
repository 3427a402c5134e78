# Virtual time for the MicroPython unix port: the ESP32's `time` API on a
# simulated clock, so the unmodified asyncio scheduler, aioble and the
# firmware run days of simulated time in seconds.
#
#   import vtime; vtime.install(speed=0)      # before anything imports asyncio
#
# - `time` in sys.modules becomes this module: ticks_* wrap like the board's,
#   time()/gmtime()/mktime() use the ESP32 epoch (2000-01-01).
# - asyncio's scheduler waits in IOQueue.wait_io_event(dt); install() hooks
#   it so that, when nothing is ready, the clock jumps to the next deadline
#   (a task's sleep or a virtual-world timer) instead of sleeping.
# - The virtual world (radio, transmitter, fake peripherals) schedules its
#   own events with call_at()/call_later(); they fire in time order, like
#   IRQs, between scheduler steps.
# - Real sockets (a LAN server, an MQTT broker on loopback) still work: they
#   are polled each step; while they are active the clock waits up to
#   `grace_ms` of real time for them before jumping ahead (a peer that then
#   stays silent MAX_EMPTY_GRACES times in a row gets no more until it speaks).
# speed=0 runs as fast as possible; speed=x runs x times real time.
import sys
import heapq

_rt = __import__("time")  # the real module (captured before install)

EPOCH_2000_UNIX = 946684800
_MASK = (1 << 30) - 1
_HALF = 1 << 29

_now_us = 0
_tick_us = 0  # ticks_* read _now_us + this (set_ticks_ms: a board up for days, near the wrap)
_wall_base_s = 0  # epoch-2000 seconds at _now_us == 0
_timers = []
_seq = 0
speed = 0
grace_ms = 5
_last_real_activity = -10**9
_empty_graces = 0  # grace waits in a row in which no real event came
# Real microseconds owed to the pace (speed > 0) by steps too short to sleep on their
# own: a buzzer's 100-300 ms steps at 600x are each under a millisecond, and slept as
# none the sim ran 4 times too fast while an alarm sounded (helper-177)
_owed_us = 0.0
MAX_EMPTY_GRACES = 3  # then stop waiting for real peers until they speak again
_installed = False


# --- the `time` API -------------------------------------------------------
def ticks_us():
    return (_now_us + _tick_us) & _MASK


def ticks_ms():
    return ((_now_us + _tick_us) // 1000) & _MASK


def ticks_cpu():
    return (_now_us + _tick_us) & _MASK


def ticks_add(t, delta):
    return (t + delta) & _MASK


def ticks_diff(a, b):
    return ((a - b + _HALF) & _MASK) - _HALF


def monotonic_us():
    """Non-wrapping microseconds since boot (host only, for tests and logs)."""
    return _now_us


def time():
    return _wall_base_s + _now_us // 1000000


def time_ns():
    return (_wall_base_s * 1000000 + _now_us) * 1000


def sleep_us(us):
    advance_to(_now_us + int(us))


def sleep_ms(ms):
    sleep_us(int(ms) * 1000)


def sleep(s):
    sleep_us(int(s * 1000000))


def gmtime(t=None):
    if t is None:
        t = time()
    return _rt.gmtime(int(t) + EPOCH_2000_UNIX)


localtime = gmtime


def mktime(tup):
    y, mo, d, h, mi, s = tup[:6]
    # days from civil (proleptic Gregorian), then shift to the 2000 epoch
    y2 = y - (mo <= 2)
    era = (y2 if y2 >= 0 else y2 - 399) // 400
    yoe = y2 - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return days * 86400 + h * 3600 + mi * 60 + s - EPOCH_2000_UNIX


# --- the virtual world's side ----------------------------------------------
def set_wall(epoch2000_s):
    """Set the wall clock (what RTC.datetime() or NTP would do)."""
    global _wall_base_s
    _wall_base_s = int(epoch2000_s) - _now_us // 1000000


def set_wall_unix(unix_s):
    set_wall(int(unix_s) - EPOCH_2000_UNIX)


def set_ticks_ms(ticks):
    """Make ticks_ms() read `ticks` now (and ticks_us() ticks * 1000, wrapped): the
    ticks of a board that has been up for days, e.g. just before ticks_ms wraps at
    2**30 ms (12.4 days). monotonic_us(), time() and the timers are unchanged. Set it
    before the firmware reads a tick (app clock.py keeps the last one it read)."""
    global _tick_us
    _tick_us = int(ticks) * 1000 - _now_us


def call_at(t_us, fn, *args):
    """Run fn(*args) when the virtual clock reaches t_us (monotonic_us)."""
    global _seq
    _seq += 1
    entry = [int(t_us), _seq, fn, args]
    heapq.heappush(_timers, entry)
    return entry


def call_later(delay_ms, fn, *args):
    return call_at(_now_us + int(delay_ms * 1000), fn, *args)


def cancel(entry):
    entry[2] = None


def _next_timer():
    while _timers and _timers[0][2] is None:
        heapq.heappop(_timers)
    return _timers[0][0] if _timers else None


def advance_to(t_us):
    """Move the clock to t_us, firing every timer due on the way, in order."""
    global _now_us
    t_us = int(t_us)
    while True:
        nt = _next_timer()
        if nt is None or nt > t_us:
            break
        entry = heapq.heappop(_timers)
        if entry[0] > _now_us:
            _now_us = entry[0]
        entry[2](*entry[3])
    if t_us > _now_us:
        _now_us = t_us


# --- the asyncio hook -------------------------------------------------------
class _Poller:
    """asyncio's poller on the host: ThreadSafeFlags (set by virtual-world
    events) are checked in Python; only real objects (sockets) reach the
    real select.poll, which costs ~1 ms per call on the unix port as soon as
    it holds a non-fd object. A Python stream over a real socket (the board's
    send queue, board_socket) is polled as that socket, with the flags its
    poll_flags(flags) gives at each turn."""

    def __init__(self):
        import select
        self.real = select.poll()
        self.flags = {}
        self.wrapped = {}   # id(real socket): [wrapper, flags]
        self.n_real = 0
        self.events = 0

    def _socket(self, obj, flags=None):
        """The real socket obj is polled as (obj, or a wrapper's, kept with its flags
        until unregistered: flags None)."""
        if not hasattr(obj, "poll_flags"):
            return obj
        if flags is None:
            self.wrapped.pop(id(obj.s), None)
        else:
            self.wrapped[id(obj.s)] = [obj, flags]
        return obj.s

    def register(self, obj, flags):
        if _is_flag(obj):
            self.flags[id(obj)] = obj
        else:
            self.real.register(self._socket(obj, flags), flags)
            self.n_real += 1

    def modify(self, obj, flags):
        if not _is_flag(obj):
            self.real.modify(self._socket(obj, flags), flags)

    def unregister(self, obj):
        if _is_flag(obj):
            self.flags.pop(id(obj), None)
        else:
            self.real.unregister(self._socket(obj))
            self.n_real -= 1

    def ipoll(self, timeout):
        ready = [(f, 1) for f in self.flags.values() if f.state]  # 1 = POLLIN
        w = self.wrapped
        for o, flags in w.values():
            self.real.modify(o.s, o.poll_flags(flags))
        # ipoll() reuses one tuple for every event: copy each one
        real = [(w[id(o)][0] if id(o) in w else o, ev)
                for o, ev in self.real.ipoll(0 if ready else timeout)] if self.n_real else []
        self.events = len(ready) + len(real)
        self.real_events = len(real)
        return ready + real


_flag_type = None


def _is_flag(obj):
    return type(obj) is _flag_type


class _SelectShim:
    """Stands in for `select` inside asyncio.core, so every IOQueue (also
    those of new event loops) gets a _Poller."""

    def __init__(self, select):
        self.POLLIN = select.POLLIN
        self.POLLOUT = select.POLLOUT
        self.POLLERR = getattr(select, "POLLERR", 8)
        self.POLLHUP = getattr(select, "POLLHUP", 16)

    def poll(self):
        return _Poller()


def _install_hook():
    global _flag_type
    import select
    import asyncio.core as core
    from asyncio import ThreadSafeFlag
    _flag_type = ThreadSafeFlag
    core.select = _SelectShim(select)
    core._io_queue.poller = _Poller()
    orig = core.IOQueue.wait_io_event

    def wait_io_event(q, dt):
        if dt >= 0:
            return _step(q, dt)
        # dt < 0: no task sleeps; asyncio pops a task as soon as this returns,
        # so keep going (firing virtual-world timers) until one is ready
        while core._task_queue.peek() is None:
            _step(q, dt)

    def _step(q, dt):
        global _last_real_activity, _empty_graces, _owed_us
        p = q.poller
        orig(q, 0)
        if p.events:
            if p.real_events:
                _last_real_activity = _rt.ticks_ms()
                _empty_graces = 0
            return
        real_io = p.n_real > 0
        target = _now_us + dt * 1000 if dt >= 0 else None
        nt = _next_timer()
        if nt is not None and (target is None or nt < target):
            target = nt
        if target is None:
            if not real_io:
                raise RuntimeError("vtime: every task waits on virtual IO and no timer is due")
            wait = 50
        else:
            wait = 0
            if speed:
                _owed_us += (target - _now_us) / speed
                wait = int(_owed_us // 1000)
                _owed_us -= wait * 1000
            if (real_io and _empty_graces < MAX_EMPTY_GRACES
                    and _rt.ticks_diff(_rt.ticks_ms(), _last_real_activity) < 200):
                wait = max(wait, grace_ms)
        if wait > 0:
            t0 = _rt.ticks_us()
            if real_io:
                orig(q, int(wait))
            else:
                _rt.sleep_ms(int(wait))
            if p.events:
                _last_real_activity = _rt.ticks_ms()
                _empty_graces = 0
                _owed_us = 0.0   # the rest of this step is owed again at the next one
                el = int(_rt.ticks_diff(_rt.ticks_us(), t0) * (speed or 1))
                new = _now_us + el
                advance_to(new if target is None else min(new, target))
                return
            elif real_io:
                _empty_graces += 1  # a peer that stays silent gets no more real time
        if target is not None:
            advance_to(target)
        orig(q, 0)

    core.IOQueue.wait_io_event = wait_io_event


def install(speed_factor=0, wall_unix=None):
    """Make this module the `time` module and hook asyncio. Call first."""
    global speed, _installed
    speed = speed_factor
    if wall_unix is None:
        wall_unix = _rt.time()
    set_wall_unix(wall_unix)
    if _installed:
        return
    if "asyncio" in sys.modules:
        raise RuntimeError("vtime.install() must run before asyncio is imported")
    sys.modules["time"] = sys.modules[__name__]
    # The C `_asyncio` stamps a task pushed without a key with the *real*
    # ticks_ms; asyncio falls back to a Python TaskQueue/Task when `_asyncio`
    # is absent, so give it ours, which reads this clock.
    import vtask
    sys.modules["_asyncio"] = vtask
    _install_hook()
    _installed = True
