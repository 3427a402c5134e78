# WifiKeeper's quiet rules (forward/wifi.py): forwarders' traffic keeps out of the
# transmitter's BLE window, and a step that holds the event loop waits for a pause
# in a sounding alarm, for at most SOUND_WAIT_MAX_MS. The keeper's clock (time's
# ticks, wrapping as MicroPython's do) and asyncio's sleep_ms are stand-ins, so the
# waits are counted, not slept. Runs on CPython and MicroPython.
from async_steps import finish
from fakes import NamesWorld
from forward import names, wifi

NETS = [{"ssid": "home", "password": "password123"}]
_PERIOD = 1 << 30   # MicroPython's ticks_ms wrap


class Ticks:
    """time for wifi.py: ticks_ms from self.ms, wrapping at 2**30."""

    def __init__(self, ms=0):
        self.ms = ms

    def ticks_ms(self):
        return self.ms % _PERIOD

    def ticks_add(self, t, d):
        return (t + d) % _PERIOD

    def ticks_diff(self, a, b):
        return ((a - b + _PERIOD // 2) % _PERIOD) - _PERIOD // 2


class Sleeps:
    """asyncio for wifi.py: sleep_ms moves the clock on and is recorded."""

    def __init__(self, clock):
        self.clock, self.slept = clock, []

    async def sleep_ms(self, ms):
        self.slept.append(ms)
        self.clock.ms += ms


def in_world(clock, fn):
    real_time, real_asyncio = wifi.time, wifi.asyncio
    sleeps = Sleeps(clock)
    wifi.time, wifi.asyncio = clock, sleeps
    try:
        fn()
    finally:
        wifi.time, wifi.asyncio = real_time, real_asyncio
    return sleeps.slept


def keeper(sound_pause=None):
    return wifi.WifiKeeper(NETS, wlan=object(), sound_pause=sound_pause)


def _window_delays(start_ms):
    clock = Ticks(start_ms)
    k = keeper()
    out = []

    def run():
        k.transmitter_window(10, 30)      # opens 10 s from now for 30 s; quiet from 8 s
        out.append(k.quiet_delay_ms(8000))      # done as the guard starts: go
        out.append(k.quiet_delay_ms(8001))      # would run into it: after the window
        clock.ms += 20000
        out.append(k.quiet_delay_ms(1))         # inside: until it ends
        clock.ms += 19999
        out.append(k.quiet_delay_ms(1))
        clock.ms += 1
        out.append(k.quiet_delay_ms(60000))     # over: anything goes, and it is forgotten
        out.append(k._win_start)
    in_world(clock, run)
    return out


def test_traffic_keeps_out_of_the_transmitters_window_and_its_guard():
    assert _window_delays(0) == [0, 40000, 20000, 1, 0, None]


def test_the_window_holds_across_the_ticks_wrap():
    # ticks_ms wraps every 12.4 days on the board: a window that opens across it
    assert _window_delays(_PERIOD - 9000) == [0, 40000, 20000, 1, 0, None]


def test_the_window_lasts_30_s_unless_told():
    clock = Ticks(0)
    k = keeper()
    out = []

    def run():
        k.transmitter_window(2)
        out.append(k.quiet_delay_ms(1))
    in_world(clock, run)
    assert out == [32000]


def test_no_window_announced_means_no_wait():
    clock = Ticks(5)
    k = keeper()
    out = []
    in_world(clock, lambda: out.append(k.quiet_delay_ms(600000)))
    assert out == [0]


def test_a_step_waits_for_the_window_then_for_the_sound_and_the_sound_for_30_s_at_most():
    clock = Ticks(0)
    asked = []

    def always_a_burst(need_ms):      # a sound that never leaves a long enough pause
        asked.append(need_ms)
        return 4000

    k = keeper(always_a_burst)

    def run():
        k.transmitter_window(1, 30)
        finish(k.wait_quiet(20000, blocks=True))
    slept = in_world(clock, run)
    # the window first (it ends 31 s from now), then the sound's pauses until 30 s
    # of them have passed (the eighth 4-s wait crosses it): then the step goes
    assert wifi.SOUND_WAIT_MAX_MS == 30000
    assert slept == [31000] + [4000] * 8, slept
    # pauses of 3 s: the tenth reaches 30 s exactly, and the step goes
    k = keeper(lambda need_ms: 3000)
    clock = Ticks(0)
    assert in_world(clock, lambda: finish(k.wait_quiet(500, blocks=True))) == [3000] * 10
    assert set(asked) == {wifi.BLOCK_MS}     # a long request waits for its set-up's block only


def test_a_step_that_does_not_block_waits_for_the_window_only():
    clock = Ticks(0)
    asked = []
    k = keeper(lambda need_ms: asked.append(need_ms) or 4000)

    def run():
        k.transmitter_window(1, 30)
        finish(k.wait_quiet(5000))
    assert in_world(clock, run) == [31000] and asked == []


def test_a_flash_write_waits_for_the_sound_not_for_the_window():
    clock = Ticks(0)
    pauses = [3000, 1500, 0]
    k = keeper(lambda need_ms: pauses.pop(0))

    def run():
        k.transmitter_window(1, 30)
        finish(k.wait_sound_pause(500))
    assert in_world(clock, run) == [3000, 1500] and pauses == []


class _SlowDns:
    SOCK_STREAM = 1

    def __init__(self, world):
        self.world, self.calls = world, 0

    def getaddrinfo(self, host, port, *a):
        self.calls += 1
        return [(2, 1, 0, "", ("192.0.2.7", port))]


def test_a_due_name_lookup_gets_a_pause_of_its_own_before_the_step():
    clock = Ticks(0)
    asked = []

    def pause(need_ms):
        asked.append(need_ms)
        return 0

    k = keeper(pause)
    with NamesWorld(_SlowDns) as w:
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 1 and asked == [wifi.LOOKUP_MS, wifi.BLOCK_MS]
        del asked[:]   # the address is kept now: the step's own pause only
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 1 and asked == [wifi.BLOCK_MS]
        del asked[:]   # an address, or a step that does not block: no lookup here
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="192.0.2.9", port=443)))
        in_world(clock, lambda: finish(k.wait_quiet(20000, host="other.example", port=443)))
        assert w.sock.calls == 1 and asked == [wifi.BLOCK_MS]


def test_a_lookup_that_may_take_lwips_whole_timeout_keeps_out_of_the_window_too():
    # the window opens in 10 s (quiet from 8 s): a 5-s step alone goes now, but a due
    # lookup first (up to LOOKUP_MS) and then the step would run into it
    clock = Ticks(0)
    k = keeper()
    with NamesWorld(_SlowDns) as w:
        def run():
            k.transmitter_window(10, 30)
            finish(k.wait_quiet(5000, blocks=True, host="ns.example", port=443))
        assert in_world(clock, run) == [40000] and w.sock.calls == 1
        clock.ms = 0
        k2 = keeper()

        def kept():
            k2.transmitter_window(10, 30)
            finish(k2.wait_quiet(5000, blocks=True, host="ns.example", port=443))
        assert in_world(clock, kept) == [] and w.sock.calls == 1   # kept address: no lookup


class _SilentDns(_SlowDns):
    def getaddrinfo(self, host, port, *a):
        self.calls += 1
        self.world.t += 7                       # lwIP's wait for a server that never answers
        raise OSError(-202)


def test_a_sound_without_a_long_pause_passes_over_a_lookup_when_the_dns_held_the_board():
    # an escalated urgent low pauses 3.3 s: the 7-s lookup would break its rhythm
    # every 5 min while DNS does not answer; it waits for a long enough pause instead
    fits = []

    def pause_fits(need_ms):
        fits.append(need_ms)
        return False

    clock = Ticks(0)
    k = wifi.WifiKeeper(NETS, wlan=object(), sound_pause=lambda need_ms: 0, sound_fits=pause_fits)
    with NamesWorld(_SilentDns) as w:
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        # DNS not known to hold the board yet: the lookup goes (in what pause there is)
        assert w.sock.calls == 1 and names.dns_stalls()
        w.t += names.RESOLVE_FAILED_S
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 1, "looked up although the sound leaves no pause for it"
        assert fits == [wifi.LOOKUP_MS]
        assert not names.lookup_due("ns.example", 443)            # passed over: as if it failed
        w.t += names.RESOLVE_FAILED_S
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 1 and not names.lookup_due("ns.example", 443)   # passed over again
        w.t = 7 + names.DEFER_S          # DEFER_S after the lookup that held the board
        in_world(clock, lambda: finish(k.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 2         # the DNS may be back: looked up all the same
        w.t += names.RESOLVE_FAILED_S
        k2 = wifi.WifiKeeper(NETS, wlan=object(), sound_pause=lambda need_ms: 0,
                             sound_fits=lambda need_ms: True)     # a long pause, or silence
        in_world(clock, lambda: finish(k2.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 3
        w.t += names.RESOLVE_FAILED_S

        def broken(need_ms):
            raise RuntimeError("a bug in the annunciator")
        k3 = wifi.WifiKeeper(NETS, wlan=object(), sound_fits=broken)
        in_world(clock, lambda: finish(k3.wait_quiet(20000, blocks=True, host="ns.example", port=443)))
        assert w.sock.calls == 4                                  # forwarding goes on
