# WifiKeeper's promises (forward/wifi.py, README "wifi"): validate()'s limits, the
# join order (the first network that works), an attempt's own verdict (refused at
# once, or timed out after connect_timeout_s), the back-off (2 s .. 2 min, and from
# 2 s again after being up), the up/down reports and log lines (a failure said once
# per outage), the name of a network the ESP32 joined by itself, join attempts kept
# out of the transmitter's window, modem sleep beside BLE (PM_NONE refused), wait_up,
# quiet_delay_ms, the sound wait's 30-s cap at its edge and a lookup's 7 s.
# run() is driven without an event loop: the keeper's time and asyncio are stand-ins
# whose sleeps move a clock on (nothing is slept), over a radio that behaves as the
# ESP32 port's WLAN does (tools/host/network.py: connect() returns at once, the
# verdict comes later, the last failure's status is kept until an address is got,
# the ESP32 keeps retrying by itself). Runs on CPython and MicroPython.
import asyncio

from async_steps import finish, run_until
from fakes import NamesWorld, swap_module
from forward import ConfigError, wifi

NETS = [{"ssid": "home", "password": "password123"}]

IDLE, CONNECTING, GOT_IP, BEACON_TIMEOUT = 1000, 1001, 1010, 200
NO_AP_FOUND, WRONG_PASSWORD, CONNECT_FAIL = 201, 202, 203


class FakeNetwork:
    """The port's `network` module as the keeper reads it."""
    STA_IF, AP_IF = 0, 1
    STAT_NO_AP_FOUND = NO_AP_FOUND
    STAT_WRONG_PASSWORD = WRONG_PASSWORD
    STAT_CONNECT_FAIL = CONNECT_FAIL
    made = []
    names = ["mpy-esp32"]   # network.hostname()'s, the ESP32 port's default first

    def WLAN(interface):    # noqa: N802 (the port's name); called on the class
        FakeNetwork.made.append(interface)
        return ("wlan", interface)

    def hostname(name=None):
        if name is None:
            return FakeNetwork.names[-1]
        FakeNetwork.names.append(name)


class OldNetwork(FakeNetwork):
    """A port before MicroPython 1.20: no network.hostname()."""
    hostname = None


class Clock:
    """time for wifi.py: ticks in ms from self.ms (no wrap: test_wifi_quiet.py has it)."""

    def __init__(self, ms=0):
        self.ms = ms

    def ticks_ms(self):
        return self.ms

    def ticks_add(self, t, d):
        return t + d

    def ticks_diff(self, a, b):
        return a - b


class Stop(Exception):
    pass


class Loop:
    """asyncio for wifi.py: sleep (s) and sleep_ms move the clock on and are recorded;
    events (t_ms, fn) fire as the clock passes them; at `until` the run stops."""

    def __init__(self, clock, until_ms, events=()):
        self.clock, self.until = clock, until_ms
        self.events = sorted(events, key=lambda e: e[0])
        self.seconds = []   # (t_ms, s): run()'s sleeps (back-off, check_s)
        self.slept_ms = []

    def _pass(self, ms):
        end = self.clock.ms + ms
        while self.events and self.events[0][0] <= end:
            t, fn = self.events.pop(0)
            self.clock.ms = max(self.clock.ms, t)
            fn()
        self.clock.ms = end
        if end >= self.until:
            raise Stop()

    async def sleep(self, s):
        self.seconds.append((self.clock.ms, s))
        self._pass(int(s * 1000))

    async def sleep_ms(self, ms):
        self.slept_ms.append(ms)
        self._pass(ms)


class Radio:
    """network.WLAN(STA_IF) as the ESP32 port's: aps maps ssid -> password (None: an
    access point that never answers); an ssid absent or in self.off has none in range."""
    PM_NONE, PM_PERFORMANCE, PM_POWERSAVE = 0, 1, 2

    def __init__(self, clock, aps, verdict_ms=1000):
        self.clock, self.aps, self.verdict_ms = clock, aps, verdict_ms
        self.off = set()
        self.calls = []              # (t_ms, what, detail)
        self.target = self.key = None
        self.state, self.reason, self.started = IDLE, None, 0
        self.ssid_cfg = ""           # config("ssid"): the last network connect() named
        self.raises = set()          # ssids whose connect() raises OSError
        self.ssid_unreadable = False
        self.on = False

    def ifconfig(self):
        # the ESP32 port's: (ip, netmask, gateway, dns); 0.0.0.0 until an address is got
        return ("192.168.1.23" if self.state == GOT_IP else "0.0.0.0", "255.255.255.0",
                "192.168.1.1", "192.168.1.1")

    def joined(self, ssid):
        """Joined before the keeper started (the ESP32's own retry)."""
        self.on = True
        self.target, self.key, self.ssid_cfg, self.state = ssid, self.aps[ssid], ssid, GOT_IP

    def _note(self, what, detail=None):
        self.calls.append((self.clock.ms, what, detail))

    def connects(self):
        return [(t, d) for t, what, d in self.calls if what == "connect"]

    def pms(self):
        return [(t, d[1]) for t, what, d in self.calls if what == "config" and d[0] == "pm"]

    def active(self, on=None):
        self._note("active", on)
        if on is not None:
            self.on = bool(on)
        return self.on

    def connect(self, ssid, key):
        if not self.on:
            raise OSError("Wifi Not Started")
        if ssid in self.raises:
            raise OSError("Wifi Internal Error")
        self._note("connect", ssid)
        self.ssid_cfg, self.target, self.key = ssid, ssid, key
        self.started, self.state = self.clock.ms, CONNECTING

    def disconnect(self):
        if not self.on:
            raise OSError("Wifi Not Started")
        self._note("disconnect")
        if self.state == GOT_IP:
            self.reason = IDLE
        self.target, self.state = None, IDLE

    def _update(self):
        if self.target is None:
            return
        in_range = self.target in self.aps and self.target not in self.off
        if self.state == GOT_IP:
            if not in_range:   # lost: the ESP32 connects again by itself
                self.reason, self.state, self.started = BEACON_TIMEOUT, CONNECTING, self.clock.ms
            return
        if self.clock.ms - self.started < self.verdict_ms:
            return
        if not in_range:
            self.state = self.reason = NO_AP_FOUND
        elif self.aps[self.target] is None:
            return                               # no answer: still connecting
        elif self.aps[self.target] != self.key:
            self.state = self.reason = WRONG_PASSWORD
        else:
            self.state, self.reason = GOT_IP, None

    def status(self):
        self._update()
        if self.state != GOT_IP and self.reason in (NO_AP_FOUND, WRONG_PASSWORD):
            return self.reason
        return self.state

    def isconnected(self):
        self._update()
        return self.state == GOT_IP

    def config(self, *args, **kw):
        if args:
            if self.ssid_unreadable:
                raise ValueError("unknown config param")
            return self.ssid_cfg
        for k in kw:
            self._note("config", (k, kw[k]))


class World:
    """A keeper over a Radio with the stand-in clock and loop."""

    def __init__(self, aps, nets, verdict_ms=1000, **kw):
        self.clock = Clock()
        self.radio = Radio(self.clock, aps, verdict_ms)
        self.log, self.changes = [], []
        self.k = wifi.WifiKeeper(nets, wlan=self.radio, log=self.log.append,
                                 on_change=self.changes.append, **kw)
        self.loop = None

    def within(self, fn):
        """fn() with wifi.py's time and asyncio the stand-ins, and the port's network module."""
        real = wifi.time, wifi.asyncio
        wifi.time, wifi.asyncio = self.clock, self.loop
        try:
            return swap_module("network", FakeNetwork, fn)
        finally:
            wifi.time, wifi.asyncio = real

    def run(self, until_ms, events=(), before=None):
        self.loop = Loop(self.clock, until_ms, events)

        def go():
            if before:
                before()
            run_until(self.k.run(), Stop)
        self.within(go)
        return self

    def at(self, t_ms, fn):
        return (t_ms, fn)

    def ap(self, ssid, on):
        def flip():
            if on:
                self.radio.off.discard(ssid)
            else:
                self.radio.off.add(ssid)
        return flip


def nets(*ssids):
    return [{"ssid": s, "password": "pw-" + s + "-1234"} for s in ssids]


def aps(*ssids):
    return dict((s, "pw-" + s + "-1234") for s in ssids)


def refusal(nets_):
    try:
        wifi.validate(nets_)
    except ConfigError as e:
        return str(e)
    return None


# --- validate ----------------------------------------------------------------------
def test_validate_takes_up_to_5_networks_ssids_of_1_to_32_and_passwords_empty_8_to_63_or_a_raw_key():
    # the limits of app.config (MAX_WIFI, README), which checks them first
    for bad in ([], "home", {"ssid": "home"}):
        assert refusal(bad) == "wifi: expected a non-empty list of {ssid, password}", bad
    assert refusal(nets(*["n%d" % i for i in range(5)])) is None
    assert refusal(nets(*["n%d" % i for i in range(6)])) == "wifi: at most 5 networks"
    assert wifi.validate([{"ssid": "x"}, {"ssid": "y" * 32, "password": ""}]) == [("x", ""), ("y" * 32, "")]
    assert refusal([{"ssid": ""}]) == "wifi[0].ssid: 1..32 bytes"
    assert refusal([{"ssid": "ok"}, {"ssid": "y" * 33}]) == "wifi[1].ssid: 1..32 bytes"
    assert wifi.validate([{"ssid": "a", "password": "p" * 8}, {"ssid": "b", "password": "q" * 63}]) == \
        [("a", "p" * 8), ("b", "q" * 63)]
    # in UTF-8 bytes, as the port copies them: 16 letters of 2 bytes fill the name
    assert wifi.validate([{"ssid": "\u00e9" * 16, "password": "\u00e9" * 31 + "p"}]) == \
        [("\u00e9" * 16, "\u00e9" * 31 + "p")]
    assert refusal([{"ssid": "\u00e9" * 17}]) == "wifi[0].ssid: 1..32 bytes"
    for pw in ("p" * 7, "p" * 64, "\u00e9" * 32, "0123456789abcdef" * 3 + "0123456789abcdeg", "ab" * 32 + "0"):
        assert refusal([{"ssid": "a", "password": pw}]) == \
            "wifi[0].password: 8..63 bytes, 64 hex digits (a raw key), or empty for an open network", pw
    # a raw key of 64 hex digits (a router's label): the ESP32 takes it as the key itself
    assert wifi.validate([{"ssid": "a", "password": "0123456789abcdef" * 4}, {"ssid": "b", "password": "AB12" * 16}]) == \
        [("a", "0123456789abcdef" * 4), ("b", "AB12" * 16)]


# --- joining -----------------------------------------------------------------------
def test_the_first_network_that_works_is_joined_and_a_refusal_moves_on_at_its_verdict():
    # "gone" has no access point, "typo" refuses the password: each is said once,
    # in words a family reads (the ESP32's status), as soon as its verdict comes (1 s, not _SETTLE_MS)
    w = World(dict(aps("typo", "home", "spare"), typo="another-password"),
              nets("gone", "typo", "home", "spare"))
    w.run(30000)
    assert w.radio.calls[0] == (0, "active", True), w.radio.calls   # the radio started first
    cs = w.radio.connects()
    assert [s for t, s in cs] == ["gone", "typo", "home"], cs
    assert cs[1][0] < 2000 and cs[2][0] < 3000, cs
    assert w.k.is_up() and w.k.ssid == "home" and w.changes == [True]
    assert w.log == ["wifi: joining gone", "wifi: gone refused (network not found)",
                     "wifi: joining typo", "wifi: typo refused (wrong password)",
                     "wifi: joining home", "wifi: up on home at 192.168.1.23"], w.log
    # the address the family finds the box at afterwards (the status page shows it)
    assert w.k.address() == "192.168.1.23"


def test_while_no_network_is_joined_why_says_each_ones_last_failure_for_the_status_page():
    # the router's password changed (typo now refused), the spare is away: the family
    # at the status page reads why, in the configured order
    w = World({"typo": "the-new-password"}, nets("typo", "gone"))
    assert w.k.why() is None   # nothing tried yet
    w.run(60000)
    assert not w.k.is_up()
    assert w.k.why() == "typo refused (wrong password); gone refused (network not found)", w.k.why()
    # the password put right: joined, and nothing is said of the failures before
    w.radio.aps["typo"] = "pw-typo-1234"
    w.run(200000)
    assert w.k.is_up() and w.k.why() is None, w.log
    # the router away: only this outage's failures are said
    w.radio.off.add("typo")
    w.run(400000)
    assert w.k.why() == "typo refused (network not found); gone refused (network not found)", w.k.why()


def test_why_says_which_network_was_saved_without_a_password():
    # a new network typed on the setup page with its password forgotten is taken as an
    # open one: the router refuses it, and the status page says what was saved
    w = World(aps("home"), [{"ssid": "home", "password": ""}])
    w.run(60000)
    assert not w.k.is_up()
    assert w.k.why() == "home refused (wrong password), saved without a password", w.k.why()


def test_a_network_that_never_answers_times_out_after_connect_timeout_s():
    w = World({"mute": None, "home": "pw-home-1234"}, nets("mute", "home"), connect_timeout_s=5)
    w.run(30000)
    cs = w.radio.connects()
    assert [s for t, s in cs] == ["mute", "home"], cs
    assert 5000 <= cs[1][0] < 5000 + wifi._POLL_MS, cs
    assert w.log[:3] == ["wifi: joining mute", "wifi: mute timed out", "wifi: joining home"], w.log
    assert w.k.ssid == "home" and w.changes == [True]


def test_a_connect_that_raises_is_said_and_the_next_network_tried():
    w = World(aps("home", "spare"), nets("home", "spare"))
    w.radio.raises.add("home")
    w.run(30000)
    assert [s for t, s in w.radio.connects()] == ["spare"]
    assert w.log[:2] == ["wifi: joining home", "wifi: home connect failed: Wifi Internal Error"], w.log
    assert w.k.ssid == "spare" and w.changes == [True]


def test_join_attempts_keep_out_of_the_transmitters_window():
    w = World(aps("home"), nets("home"))
    w.run(60000, before=lambda: w.k.transmitter_window(1, 30))
    assert w.radio.connects()[0] == (31000, "home"), w.radio.calls


# --- back-off and the log ------------------------------------------------------------
def test_no_network_backs_off_from_2_s_doubling_to_2_min_and_says_each_failure_once():
    w = World({}, nets("gone"))
    w.run(600000)
    waits = [s for t, s in w.loop.seconds]
    assert waits[:8] == [2, 4, 8, 16, 32, 64, 120, 120], waits
    assert w.log == ["wifi: joining gone", "wifi: gone refused (network not found)"] + \
        ["wifi: no network joined; retry in %d s" % s for s in (2, 4, 8, 16, 32, 64)], w.log
    assert w.changes == [] and not w.k.is_up()


def test_after_being_up_an_outage_is_reported_said_again_and_backs_off_from_2_s_again():
    # the router off at 10 s, on at 100 s (joined by the ESP32's own retry during
    # the back-off), off again at 200 s
    w = World(aps("home"), nets("home"))
    w.run(240000, [w.at(10000, w.ap("home", False)), w.at(100000, w.ap("home", True)),
                   w.at(200000, w.ap("home", False))])
    assert w.changes == [True, False, True, False], w.changes
    log = w.log
    downs = [i for i, m in enumerate(log) if m == "wifi: down"]
    assert len(downs) == 2 and log.count("wifi: up on home at 192.168.1.23") == 2, log
    for i in downs:
        after = log[i + 1:]
        assert "wifi: home refused (network not found)" in after, log   # said again after being up
        retries = [m for m in after if m.startswith("wifi: no network joined")]
        assert retries[0] == "wifi: no network joined; retry in 2 s", log
    assert log.count("wifi: home refused (network not found)") == 2, log   # once per outage
    assert w.k.ssid is None and not w.k.is_up()
    # the status page gives no address while down (the radio's says 0.0.0.0)
    assert w.k.address() is None and w.radio.ifconfig()[0] == "0.0.0.0"


def test_a_network_the_esp32_joined_by_itself_is_named_by_the_radio():
    # home and spare both off: the keeper tries home then spare and backs off; spare
    # comes back during the back-off (from 24 s) and the ESP32's own retry (of the
    # last network asked) joins it
    w = World(aps("home", "spare"), nets("home", "spare"))
    w.run(120000, [w.at(10000, w.ap("home", False)), w.at(10000, w.ap("spare", False)),
                   w.at(25000, w.ap("spare", True))])
    assert w.changes == [True, False, True], w.changes
    assert w.radio.connects()[-1][0] < 25000, w.radio.connects()   # not asked again
    assert w.log[-1] == "wifi: up on spare at 192.168.1.23" and w.k.ssid == "spare", w.log


def test_while_the_setup_access_point_is_open_the_radio_does_not_retry_by_itself():
    # each of the ESP32's own retries scans every channel, and the box's access point
    # goes with the radio: a phone on the setup page kept losing it. With the access
    # point open the keeper stops them after each round and retries alone
    w = World(aps("home", "spare"), nets("home", "spare"), ap_open=lambda: True)
    w.run(120000, [w.at(10000, w.ap("home", False)), w.at(10000, w.ap("spare", False)),
                   w.at(25000, w.ap("spare", True))])
    asked = [t for t, what, d in w.radio.calls if what == "connect"]
    stopped = [t for t, what, d in w.radio.calls if what == "disconnect"]
    # after the round that failed (home, then spare) the last ask is withdrawn ...
    assert [t for t in stopped if t > 10000 and t > asked[1]], w.radio.calls
    # ... so spare is joined by the keeper's own next round (asked after it came back)
    assert w.changes == [True, False, True] and w.k.ssid == "spare", (w.changes, w.log)
    assert w.radio.connects()[-1][0] > 25000, w.radio.connects()
    # an access point that cannot tell: as closed (the radio's own retry kept)
    def broken():
        raise OSError("no")
    w = World(aps("home", "spare"), nets("home", "spare"), ap_open=broken)
    w.run(120000, [w.at(10000, w.ap("home", False)), w.at(10000, w.ap("spare", False)),
                   w.at(25000, w.ap("spare", True))])
    assert w.changes == [True, False, True] and w.radio.connects()[-1][0] < 25000, w.radio.connects()


def test_a_radio_joined_before_the_keeper_started_is_up_on_its_network():
    w = World(aps("home", "spare"), nets("home", "spare"))
    assert w.k.ssid is None
    w.radio.joined("spare")
    w.run(20000)
    assert w.radio.connects() == [] and w.k.ssid == "spare" and w.changes == [True]
    assert w.log == ["wifi: up on spare at 192.168.1.23"], w.log
    w = World(aps("home"), nets("home"))
    w.radio.joined("home")
    w.radio.ssid_unreadable = True      # a port that cannot tell: named "?"
    w.run(20000)
    assert w.log == ["wifi: up on ? at 192.168.1.23"] and w.k.ssid == "?", w.log


def test_the_boxs_name_is_set_before_the_radio_starts_and_a_port_without_names_still_joins():
    # the ESP32's mDNS responder takes the name set at the first connection: set later,
    # http://<name>.local/ would not answer until a reset
    FakeNetwork.names[:] = ["mpy-esp32"]
    w = World(aps("home"), nets("home"), hostname="kitchen-box")
    seen = []
    w.radio.active = (lambda real: lambda on=None: (seen.append(FakeNetwork.names[-1]), real(on))[1])(
        w.radio.active)
    w.run(20000)
    assert FakeNetwork.names == ["mpy-esp32", "kitchen-box"] and seen[0] == "kitchen-box", seen
    assert w.changes == [True] and w.log[-1] == "wifi: up on home at 192.168.1.23", w.log
    assert not [m for m in w.log if "host name" in m], w.log
    w = World(aps("home"), nets("home"))           # no name configured: the port's own
    w.run(20000)
    assert FakeNetwork.names == ["mpy-esp32", "kitchen-box"] and w.changes == [True]
    w = World(aps("home"), nets("home"), hostname="kitchen-box")

    def old_port():
        real = wifi.time, wifi.asyncio
        wifi.time, wifi.asyncio = w.clock, w.loop
        try:
            return swap_module("network", OldNetwork, lambda: run_until(w.k.run(), Stop))
        finally:
            wifi.time, wifi.asyncio = real
    w.loop = Loop(w.clock, 20000)
    old_port()
    assert w.changes == [True], w.changes
    assert w.log[0].startswith("wifi: host name kitchen-box not set: "), w.log
    assert w.log[-1] == "wifi: up on home at 192.168.1.23", w.log


# --- BLE coexistence ------------------------------------------------------------------
def test_beside_ble_the_keeper_keeps_modem_sleep_and_refuses_pm_none():
    ble = [True]
    w = World(aps("home"), nets("home"), ble_active=lambda: ble[0])
    w.run(20000)
    first = w.radio.connects()[0][0]
    pms = w.radio.pms()
    assert pms and pms[0] == (0, Radio.PM_PERFORMANCE) and pms[0][0] <= first, pms
    assert set(p for t, p in pms) == {Radio.PM_PERFORMANCE}, pms
    try:
        w.k.set_power_mode(Radio.PM_NONE)
        assert False, "PM_NONE taken beside BLE"
    except ValueError:
        pass
    w.k.set_power_mode(Radio.PM_POWERSAVE)
    ble[0] = False
    w.k.set_power_mode(Radio.PM_NONE)                     # BLE off: anything goes
    assert [p for t, p in w.radio.pms()][-2:] == [Radio.PM_POWERSAVE, Radio.PM_NONE]
    # no ble_active given: BLE is taken as off
    w = World(aps("home"), nets("home"))
    w.k.set_power_mode(Radio.PM_NONE)
    assert w.radio.pms() == [(0, Radio.PM_NONE)]

    class OldRadio:
        """A port without the PM_* constants: PM_NONE is IDF's WIFI_PS_NONE, 0."""

        def config(self, **kw):
            pass

    old = wifi.WifiKeeper(NETS, wlan=OldRadio(), ble_active=lambda: True, log=lambda m: None)
    try:
        old.set_power_mode(0)
        assert False, "pm=0 taken beside BLE"
    except ValueError:
        pass


def test_ble_that_starts_during_a_join_gets_modem_sleep_once_joined():
    ble = [False]
    w = World(aps("home"), nets("home"), ble_active=lambda: ble[0])

    def ble_on():
        ble[0] = True
    w.run(20000, [w.at(500, ble_on)])
    joined = w.radio.verdict_ms        # the join's verdict comes 1 s after connect()
    assert [p for t, p in w.radio.pms() if t >= joined] == [Radio.PM_PERFORMANCE], w.radio.calls


# --- waiting -------------------------------------------------------------------------
def test_wait_up_returns_once_up_and_waits_again_after_down():
    k = wifi.WifiKeeper(NETS, wlan=object(), log=lambda m: None)
    seen = []

    async def waiter(tag):
        await k.wait_up()
        seen.append(tag)

    async def settle():
        for _ in range(5):
            await asyncio.sleep(0)

    async def main():
        asyncio.create_task(waiter(1))
        await settle()
        seen.append("down")
        k._set_up(True)
        await settle()
        await waiter(2)                # up: at once
        k._set_up(False)
        asyncio.create_task(waiter(3))
        await settle()
        seen.append("down again")
        k._set_up(True)
        await settle()
    asyncio.run(main())
    assert seen == ["down", 1, 2, "down again", 3], seen


def test_quiet_delay_ms_is_0_to_go_and_asks_the_sound_only_for_a_step_that_blocks():
    asked = []
    k = wifi.WifiKeeper(NETS, wlan=object(), sound_pause=lambda need_ms: asked.append(need_ms) or 1234)
    silent = wifi.WifiKeeper(NETS, wlan=object())
    w = World({}, NETS)
    out = []

    def go():
        out.append(k.quiet_delay_ms(20000))
        out.append(k.quiet_delay_ms(20000, blocks=True))
        out.append(k.quiet_delay_ms(500, blocks=True))
        k.transmitter_window(1, 30)
        out.append(k.quiet_delay_ms(500, blocks=True))   # the window first
        out.append(silent.quiet_delay_ms(20000, blocks=True))   # no sound given
    w.within(go)
    assert out == [0, 1234, 1234, 31000, 0], out
    # a long step waits for its set-up's block only: README's 3 s (a TLS handshake)
    assert asked == [3000, 500], asked


def test_a_keeper_without_a_wlan_takes_the_ports_station_interface():
    del FakeNetwork.made[:]
    k = swap_module("network", FakeNetwork, lambda: wifi.WifiKeeper(NETS, log=lambda m: None))
    assert k.wlan == ("wlan", FakeNetwork.STA_IF) and FakeNetwork.made == [FakeNetwork.STA_IF]


def test_the_sound_is_waited_for_while_less_than_30_s_were_waited_even_a_1_ms_pause():
    w = World({}, NETS)
    pauses = [29999, 1, 5]
    k = wifi.WifiKeeper(NETS, wlan=object(), sound_pause=lambda need_ms: pauses.pop(0))
    w.loop = Loop(w.clock, 10 ** 9)

    w.within(lambda: finish(k.wait_quiet(500, blocks=True)))
    assert w.loop.slept_ms == [29999, 1] and pauses == [5], (w.loop.slept_ms, pauses)


class _Dns:
    SOCK_STREAM = 1

    def __init__(self, world):
        self.calls = 0

    def getaddrinfo(self, host, port, *a):
        self.calls += 1
        return [(2, 1, 0, "", ("192.0.2.7", port))]


def test_a_due_lookup_is_given_lwips_7_s_before_the_transmitters_window():
    # quiet from 12 s (the window at 14 s, 2 s of guard): a 5-s step whose name is due
    # a lookup (up to 7 s) fits exactly; a millisecond later it waits for the window's end
    with NamesWorld(_Dns) as names_world:
        for late_ms, host, waits in ((0, "ns.example", []), (1, "mqtt.example", [43999])):
            w = World({}, NETS)
            w.loop = Loop(w.clock, 10 ** 9)

            def go():
                w.k.transmitter_window(14, 30)
                w.clock.ms += late_ms
                finish(w.k.wait_quiet(5000, blocks=True, host=host, port=443))
            w.within(go)
            assert w.loop.slept_ms == waits, (late_ms, w.loop.slept_ms)
        assert names_world.sock.calls == 2
