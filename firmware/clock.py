# The firmware's one clock.
# - ms(): monotonic milliseconds since boot, never wraps (built on ticks_*).
# - unix(): wall time as Unix seconds (1970 epoch) whatever the port's epoch
#   (the ESP32's time.time() counts from 2000, the unix port's from 1970).
# - wall_valid(): False until NTP, the server or the transmitter set it.
# On the host, tools/host/vtime.py replaces `time`, so this runs on simulated
# time without a change.
import time

EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0
_VALID_AFTER = 1577836800  # 2020-01-01: a wall clock before this was never set

_last_ticks = time.ticks_ms()
_ms = 0


def ms():
    """Monotonic ms since boot. Call at least once every 6 days (ticks wrap at 2**30 ms)."""
    global _last_ticks, _ms
    t = time.ticks_ms()
    _ms += time.ticks_diff(t, _last_ticks)
    _last_ticks = t
    return _ms


def unix():
    return time.time() + EPOCH_OFFSET


def wall_valid():
    return unix() >= _VALID_AFTER


def lost_s():
    """While the wall clock is unset: the seconds the RTC has counted since it was lost,
    at the power-on (it starts from the port's epoch then, and ESP-IDF keeps it through
    a software reset), so the power came back at least that long ago. None when set."""
    if wall_valid():
        return None
    return max(0, time.time())


_back_s = 0
on_step = None      # fn(step_s): the RTC's time moved by more than 2 s, a set from unset too
                    # (the RTC counted on from its epoch: the step is exact); main: RTC memory


def back_s():
    """How far the wall clock now stands behind the furthest it has been since it was
    set from unset (s; 0: none; steps of 2 s or less not counted): readings dated
    before its steps back may be dated up to that far ahead (forward.redate). A reset
    keeps it through RTC memory (app.persist, keep_back()), as the RTC keeps the time;
    a power cut loses both."""
    return _back_s


def keep_back(s):
    """At boot: back_s() as the last boot left it (RTC memory), while the clock is
    set (an RTC memory that outlived its clock's time gives nothing)."""
    global _back_s
    if wall_valid():
        _back_s = max(_back_s, int(s))


def set_unix(unix_s):
    """Set the wall clock (NTP, the Nightscout server's Date header)."""
    global _back_s
    import machine
    step = int(unix_s) - int(unix())
    if -2 <= step <= 2:   # (NTP's drift corrections, a second or two: no date moves by them)
        step = 0
    if wall_valid():
        _back_s = max(0, _back_s - step)
    else:
        _back_s = 0     # set from unset: no step back (what it was before is not this clock's)
    tm = time.gmtime(int(unix_s) - EPOCH_OFFSET)
    machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
    if step and on_step is not None:
        try:
            on_step(step)
        except Exception:   # (the clock is set either way; RTC memory follows at its next save)
            pass
