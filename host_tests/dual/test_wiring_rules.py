# app/wiring.py's rules over stand-ins: what each part is given from the
# configuration and what it is wired to. A wrong line there is a feature
# silently not wired, which no alarm test notices: the box still sounds, but a
# secret is not passed, an alarm never reaches MQTT, a forwarder's condition
# never reaches the alarm engine. Pinned here (README "Forwarding"):
#   - the config's names to the forwarders' (nightscout.api_secret -> secret,
#     allow_http -> lan, mqtt.topic -> topic_prefix, lan_api.api_secret ->
#     secret), their defaults (MQTT port 1883, topic "cgm", LAN API port 17580),
#     an empty secret passed as none;
#   - a forwarder's conditions raise the app's alarm; every reading (and only a
#     reading) reaches Nightscout, MQTT and the LAN API's history; the unsent
#     readings are written to flash before a restart; an alarm event, the link's
#     state and the transmitter's battery reach their MQTT topics, and the alarm
#     and link in force at the publisher's start are told at once;
#   - the Wi-Fi keeper told when the box's own access point is open;
#   - nothing forwarded without Wi-Fi; the history only for the LAN API, a day
#     (288) of its own or read from the upload queue that keeps what it sent;
#   - the link's slot, bond file and progress watch; the Wi-Fi keeper kept out
#     of the transmitter's next window (30 s);
#   - a part that ran out of memory is undone and tried again after 5 min, then
#     less often (doubling to an hour), only the alarm path's parts under memory
#     pressure; one that fails otherwise raises device start_<name> for good;
#   - the buttons (the boot hold looked for once), the setup access point opened
#     on a box without Wi-Fi and by the button, the factory reset that cannot
#     wipe says so, a restart 3 s after a save with every hook run;
#   - the phone's clock sets a box 60 s or more off, not less;
#   - the link events a family hears of: the sensor's state (failed, expired,
#     stopped, warm-up; attention when it needs a person; warm-up done once; a
#     sensor error standing while the state is noise, ended by the next), the
#     transmitter's battery (an answered warning restored through a reset held,
#     unless the record's transmitter is another), another transmitter's clock, a session short of
#     memory counted; a board's own battery watched, its display driven by its
#     panel's driver; the captive DNS looking every second while the AP is closed
#     (without the wait the loop would hold the board).
# test_device.py's programs cannot see a mutant (tools/mutation.py --mpy: they put
# firmware/ itself on the path), so the sensor, battery and button rules they
# check through the whole box are pinned here too.
# A World puts stand-ins of the forwarders' modules in sys.modules (wiring
# imports them inside its functions) and a fake clock in wiring; its App has
# the attributes of main.App that wiring uses. Runs on CPython and MicroPython.
import sys

from async_steps import finish
from fakes import swap


class FakeClock:
    def __init__(self, now=0):
        self.now = now
        self.wall = None    # unix seconds; None: not set
        self.sets = []
        self.back = 0

    def ms(self):
        return self.now

    def unix(self):
        return self.wall if self.wall is not None else 86400

    def wall_valid(self):
        return self.wall is not None

    def set_unix(self, t):
        if self.wall is not None:   # as clock.set_unix: how far behind its furthest
            self.back = max(0, self.back - int(t - self.wall))
        self.sets.append(t)
        self.wall = t

    def back_s(self):
        return self.back


try:
    import clock as _real_clock  # noqa: F401
    from app import log, wiring
except (ImportError, AttributeError):   # CPython: its time has no ticks_ms
    sys.modules["clock"] = FakeClock()
    try:
        from app import log, wiring
    finally:
        del sys.modules["clock"]
from app import fsutil

LOGGED = []


def _logged(text):
    return [ln for ln in LOGGED if text in ln]


# --- stand-ins of what wiring makes ----------------------------------------------
class Made:
    """Base of the stand-ins: records its constructor's arguments in MADE."""

    def __init__(self, *args, **kw):
        self.args, self.kw = args, kw
        self.calls = []
        MADE.setdefault(type(self).__name__, []).append(self)

    async def run(self, *a):
        self.calls.append(("run",) + a)


MADE = {}


def made(name):
    return MADE.get(name, [])


def one(name):
    got = made(name)
    assert len(got) == 1, (name, len(got))
    return got[0]


class SetupServer(Made):
    def __init__(self, *args, **kw):
        Made.__init__(self, *args, **kw)
        self.app = _module(squeezed=None)()   # its BoundedServer


class WifiKeeper(Made):
    def transmitter_window(self, in_s, dur_s):
        self.calls.append(("window", in_s, dur_s))

    async def wait_quiet(self, ms, **kw):
        self.calls.append(("quiet", ms, kw))


class UploadQueue(Made):
    pass


class History(Made):
    def __init__(self, capacity=288):
        Made.__init__(self, capacity)
        self.added = []

    def add(self, r, back_s=0):
        self.added.append(r)
        self.back_s = back_s


class QueueHistory(Made):
    pass


class TimeSync(Made):
    source = None
    dispute = None

    def disputed(self):
        return self.dispute is not None

    def offer_date(self, d):
        self.calls.append(("date", d))

    def phone_set(self):
        self.calls.append(("phone_set",))
        self.source = "phone"

    def transmitter_set(self):
        self.calls.append(("transmitter_set",))
        self.source = "transmitter"

    def lone_answer(self):
        return self.source == "lone"


class NightscoutUploader(Made):
    def submit(self, r):
        self.calls.append(("submit", r))

    def flush_to_flash(self):
        self.calls.append(("flush",))

    def held_image(self):
        return b"held by " + str(id(self)).encode()


class MqttPublisher(Made):
    def publish_alarm(self, loudest, unanswered):
        self.calls.append(("alarm", loudest, unanswered))

    def publish_link(self, what):
        self.calls.append(("link", what))

    def publish_reading(self, r):
        self.calls.append(("reading", r))

    def publish_battery(self, name):
        self.calls.append(("battery", name))

    def publish_sensor(self, kind):
        self.calls.append(("sensor", kind))


class Routes:
    def __init__(self):
        self.routes = {}

    def route(self, path):
        def add(fn):
            self.routes[path] = fn
            return fn
        return add


class LanApi(Made):
    def __init__(self, *a, **kw):
        Made.__init__(self, *a, **kw)
        self.app = Routes()


class Link(Made):
    def __init__(self, *a, **kw):
        Made.__init__(self, *a, **kw)
        self.st = {}
        self.next_ms = None

    def status(self):
        return self.st

    def next_window_ms(self):
        return self.next_ms


class Follower(Made):
    poll_s = 60
    host, port = "leader.local", 17580

    def __init__(self, *a, **kw):
        Made.__init__(self, *a, **kw)
        self.on_alarms = kw.get("on_alarms")


class Buttons(Made):
    async def boot_hold(self):
        self.calls.append(("boot_hold",))


class TransmitterClock(Made):
    def seen(self, *a):
        pass


class AccessPoint(Made):
    fail = None

    def open(self, reason):
        if AccessPoint.fail:
            raise AccessPoint.fail
        self.calls.append(("open", reason))

    def is_open(self):
        return bool(self.calls)


class ApError(Exception):
    pass


class Machine:
    resets = []

    @staticmethod
    def unique_id():
        return b"\x01\x02\x03\x04\x05\x06"

    @staticmethod
    def reset():
        Machine.resets.append(True)


class Names:
    restored = []

    @staticmethod
    def restore(kept):
        Names.restored.append(kept)

    @staticmethod
    def kept():
        return ()


def _module(**attrs):
    return type("Module", (), attrs)


MODULES = {
    "forward.wifi": _module(WifiKeeper=WifiKeeper, BLOCK_MS=1500),
    "forward.queue": _module(UploadQueue=UploadQueue),
    "forward.history": _module(History=History, QueueHistory=QueueHistory),
    "forward.names": Names,
    "forward.timesync": _module(TimeSync=TimeSync),
    "forward.nightscout": _module(NightscoutUploader=NightscoutUploader),
    "forward.mqtt": _module(MqttPublisher=MqttPublisher),
    "forward.lanapi": _module(LanApi=LanApi),
    "forward.follower": _module(Follower=Follower, TIMEOUT_S=15, ALARMS_TIMEOUT_S=5),
    "link.core": _module(Link=Link),
    "sound.buttons": _module(Buttons=Buttons),
    "app.txclock": _module(TransmitterClock=TransmitterClock),
    "setup.ap": _module(AccessPoint=AccessPoint, ApError=ApError, KEY_PATH="setup_key.bin",
                        device_key=lambda path, uid: b"label-key"),
    "setup.web": _module(SetupServer=SetupServer, state_from_app=lambda app: {}),
    "machine": Machine,
    "network": _module(),
}


# --- the app ---------------------------------------------------------------------
class Ann:
    def __init__(self):
        self.cues = []

    def pause_in_ms(self, need_ms):
        return 0

    def pause_fits(self, need_ms):
        return True

    def cue(self, what, over=False):
        self.cues.append(what)
        self.over = over

    def test(self):
        pass

    def busy(self):
        return False


class Engine:
    def __init__(self):
        self.loud = None
        self.unans = None

    def loudest(self, skip=()):
        return self.loud

    def unanswered(self, skip=()):
        return self.unans

    def shown(self):
        return None

    def last_glucose(self):
        return None, None

    def active(self):
        return []

    def has_reason(self, kind, name):
        # (a stand-in's alarm has its one reason; the engine's keeps every reason raised)
        return any(a["type"] == kind and a.get("reason") == name for a in self.active())

    def current_settings(self):
        return {"urgent_low": 55, "low": 70, "high": 180, "urgent_high": 250, "stale_minutes": 15}


class Rtc:
    def __init__(self):
        self.names = ("kept",)
        self.names_of = None
        self.held, self.held_of = b"", None
        self.held_lost = 0   # own()'s count of them dropped
        self.last_dex = 0
        self.hole = None
        self.away_s = None   # from the last save to this boot (None: not known)
        self.owned = []
        self.forgot = 0
        self.tx_id = None   # the transmitter the record's resume point is of

    def own(self, tx):
        self.owned.append(tx)
        return self.held_lost

    def forget_all(self):
        self.forgot += 1

    def forget_transmitter(self):
        pass

    def planned_restart(self):
        Machine.resets.append("planned")


class Sup:
    def __init__(self):
        self.tasks = []


class App:
    def __init__(self, cfg, board=None):
        self.cfg = cfg
        self.board = board or {}
        self.status = {"link": None, "last_reading": None, "last_reading_t": None}
        self.conds, self.events, self.tasks, self.oom = [], [], {}, []
        self.listeners, self.before_reset, self.pending_starts = [], [], []
        self.sup = Sup()
        self.link = self.wifi = self.buttons = self.lan_api = self.setup_ap = self.timesync = None
        self.nightscout = None
        self.reserve = bytearray(16)
        self.ann, self.engine, self.rtc = Ann(), Engine(), Rtc()
        self.http_host = "0.0.0.0"
        self.setup_port = self.dns_port = None
        self.config_path = "config.json"
        self.gate, self.gate_poll_s = None, 60
        self.disputed_s = None
        self.day = True
        self.time_notices = []

    def shown(self):
        return self.engine.shown()

    def time_disputed_s(self):   # (main.App's: a time server's step the transmitter disputes)
        return self.disputed_s

    def in_family_day(self):   # (main.App's: no time of day, as a box without Wi-Fi)
        return self.day

    def time_notice(self, reason):   # (main.App's: forward.timesync's notice, by day or owed)
        self.time_notices.append(reason)

    def quiet(self):
        return ()

    def alarm_report(self):
        return {"alarms": [], "age_s": 0}

    def leader_alarms(self, report):
        self.events.append(("leader", report))

    def condition(self, kind, name, active):
        self.conds.append((kind, name, active))

    def emit(self, ev):
        self.events.append(ev)
        for fn in list(self.listeners):
            fn(ev)

    def add_task(self, name, fn, period_s, critical=False, restart_on_hang=False):
        self.tasks[name] = (fn, period_s)
        self.sup.tasks.append(name)

    def out_of_memory(self, part):
        self.oom.append(part)

    def snooze(self):
        pass

    def acknowledge(self):
        pass

    def unacknowledge(self, within_ms):
        pass

    def on_reading(self, r):
        pass

    def now_s(self):
        return 0


class World:
    """The stand-in modules in sys.modules, a fake clock in wiring and the log
    lines in LOGGED for a `with` block."""

    def __init__(self, cfg=None, board=None, now=0):
        self.app = App(cfg or {}, board)
        self.clock = FakeClock(now)

    def __enter__(self):
        MADE.clear()
        del LOGGED[:]
        AccessPoint.fail = None
        del Machine.resets[:], Names.restored[:]
        self._old = dict((k, sys.modules.get(k)) for k in MODULES)
        self._attrs = []   # (package, name, what it held): `from forward import names` reads the
        for k, m in MODULES.items():   # package's attribute first, set once the real one was imported
            sys.modules[k] = m
            parent, _, name = k.rpartition(".")
            if parent:
                pkg = __import__(parent)
                self._attrs.append((pkg, name, getattr(pkg, name, None)))
                setattr(pkg, name, m)
        self._real = wiring.clock, log.sink, wiring.supervise
        wiring.clock, log.sink, wiring.supervise = self.clock, LOGGED.append, self._supervise
        wiring._said.clear()
        return self

    def __exit__(self, *exc):
        for pkg, name, was in self._attrs:
            if was is None:
                delattr(pkg, name)
            else:
                setattr(pkg, name, was)
        for k, m in self._old.items():
            if m is None:
                del sys.modules[k]
            else:
                sys.modules[k] = m
        wiring.clock, log.sink, wiring.supervise = self._real

    def _supervise(self, app, name, make_coro, period_s, alive=None):
        app.add_task(name, (make_coro, alive), period_s)

    def child(self, name):
        """The coroutine the supervised part `name` runs: its make_coro()."""
        return self.app.tasks[name][0][0]()

    def alive(self, name):
        return self.app.tasks[name][0][1]


def reading_event(sgv=120):
    return {"event": "reading", "dex_s": 1000, "unix_s": 1700000000, "sgv": sgv, "trend": -1,
            "state": 6, "source": "live"}


NS = {"url": "https://my.ns.example", "api_secret": "0123456789abcdef"}
WIFI = [{"ssid": "home", "password": "secret12"}]


def forwarding(cfg, fn=None):
    cfg = dict(cfg)
    cfg.setdefault("wifi", WIFI)
    with World(cfg) as w:
        wiring._forwarding(w.app)
        return fn(w) if fn else w


# --- forwarding: the config's names, the defaults ------------------------------------
def test_the_nightscout_settings_reach_the_uploader_under_its_own_names():
    def cfg_of(w):
        up = one("NightscoutUploader")
        return up.args[0], up.kw["store_path"]
    got, path = forwarding({"nightscout": {"url": "https://my.ns.example", "api_secret": "0123456789abcdef",
                                           "token": "box-1a2b3c", "allow_http": True,
                                           "ca_file": "ca.pem"}}, cfg_of)
    assert got == {"url": "https://my.ns.example", "secret": "0123456789abcdef", "token": "box-1a2b3c",
                   "lan": True, "ca_file": "ca.pem"}, got
    assert path == "nsqueue.bin"
    # what the setup form leaves empty is none, and plain HTTP is refused unless allowed
    got, _ = forwarding({"nightscout": {"url": "https://my.ns.example", "api_secret": "", "token": "",
                                        "ca_file": ""}}, cfg_of)
    assert got == {"url": "https://my.ns.example", "secret": None, "token": None, "lan": False,
                   "ca_file": None}, got
    got, _ = forwarding({"nightscout": {"url": "http://192.168.1.5:1337", "allow_http": False}}, cfg_of)
    assert got["lan"] is False


def test_the_uploaders_held_readings_go_to_rtc_memory_and_come_back_from_it():
    # readings held for want of a wall time: the link resumes after them at a reset
    cfg = {"wifi": WIFI, "nightscout": {"url": "https://my.ns.example", "api_secret": "0123456789abcdef",
                                        "ca_file": "ca.pem"}}
    with World(cfg) as w:
        w.app.rtc.held = b"kept record"
        wiring._forwarding(w.app)
        up = one("NightscoutUploader")
        assert up.kw["held"] == b"kept record"
        assert w.app.rtc.held_of() == up.held_image()
        assert up.kw["held_lost"] == 0


def test_held_readings_the_boot_dropped_reach_the_uploader_that_tells_them():
    # RtcStore.own() dropped the last transmitter's (no other clock dates them): before,
    # a log line only; the uploader raises nightscout_undated for them
    cfg = {"transmitter_id": "8G1234", "wifi": WIFI,
           "nightscout": {"url": "https://my.ns.example", "api_secret": "0123456789abcdef", "ca_file": "ca.pem"}}
    with World(cfg) as w:
        w.app.rtc.held_lost = 2
        wiring._source(w.app)
        wiring._forwarding(w.app)
        assert one("NightscoutUploader").kw["held_lost"] == 2


class ConfigError(ValueError):
    pass


def test_a_forwarder_its_configuration_refuses_costs_only_itself():
    # the setup page saved a Nightscout URL the uploader refuses (no secret, user@...):
    # its constructor raised, the whole forwarding part stopped there, and MQTT and the
    # LAN API (a follower box's source) never ran. Now each forwarder starts on its own
    # and the refused one sounds the device alarm under its name
    def refuse(*a, **kw):
        raise ConfigError("nightscout: give exactly one of api_secret and token")
    real = NightscoutUploader.__init__
    NightscoutUploader.__init__ = refuse
    try:
        w = forwarding({"nightscout": NS, "mqtt": {"host": "10.0.0.9"}, "lan_api": {"enabled": True}})
    finally:
        NightscoutUploader.__init__ = real
    assert made("NightscoutUploader") == [] and len(made("MqttPublisher")) == 1, MADE
    assert len(made("LanApi")) == 1 and "mqtt" in w.app.tasks and "web" in w.app.tasks, w.app.tasks
    assert "nightscout" not in w.app.tasks
    assert ("device", "start_nightscout", True) in w.app.conds, w.app.conds
    assert _logged("cannot start nightscout"), LOGGED
    # the LAN API still serves readings: its history beside Nightscout was the upload
    # queue's, fed by the uploader alone, and answered empty all night
    hist = one("History")
    assert hist.args == (288,) and one("LanApi").args[1] is hist and made("QueueHistory") != []
    w.app.emit(reading_event(97))
    assert hist.added == [(1000, 1700000000, 97, -1, 6, "live")], hist.added
    # out of memory is still the whole part's (undone and tried again by _start)
    def short(*a, **kw):
        raise MemoryError
    MqttPublisher.__init__, real = short, MqttPublisher.__init__
    try:
        with World({"wifi": WIFI, "mqtt": {"host": "10.0.0.9"}}) as w:
            assert wiring._start(w.app, "forwarding", wiring._forwarding) is False
            assert [p[0] for p in w.app.pending_starts] == ["forwarding"], w.app.pending_starts
    finally:
        MqttPublisher.__init__ = real


def test_the_mqtt_settings_reach_the_publisher_under_its_own_names_and_defaults():
    def cfg_of(w):
        return one("MqttPublisher").args[0]
    got = forwarding({"mqtt": {"host": "broker.lan", "port": 8883, "user": "cgm", "password": "pw12345",
                               "topic": "kitchen/cgm"}}, cfg_of)
    assert got == {"host": "broker.lan", "port": 8883, "user": "cgm", "password": "pw12345",
                   "topic_prefix": "kitchen/cgm"}, got
    got = forwarding({"mqtt": {"host": "broker.lan", "user": "", "password": ""}}, cfg_of)
    assert got == {"host": "broker.lan", "port": 1883, "user": None, "password": None,
                   "topic_prefix": "cgm"}, got


def test_the_lan_api_settings_reach_it_and_it_listens_where_the_app_says():
    with World({"wifi": WIFI, "lan_api": {"enabled": True, "port": 8080, "api_secret": "lan-secret-1"}}) as w:
        wiring._forwarding(w.app)
        api = one("LanApi")
        assert api.args[0] == {"port": 8080, "secret": "lan-secret-1"}, api.args[0]
        assert w.app.lan_api is api
        # its thresholds: the alarm settings in force, under Nightscout's names
        assert api.kw["thresholds"]() == {"bgHigh": 250, "bgTargetTop": 180, "bgTargetBottom": 70,
                                          "bgLow": 55}
        assert api.kw["alarms"]() == w.app.alarm_report()   # its alarms, for a follower box
        # the log ring, for whoever looks after the box
        log.info("hello from the ring")
        body, status, headers = api.app.routes["/log"](None)
        assert not isinstance(body, str)    # sent in pieces, never the whole ring at once
        parts = list(body)
        body = b"".join(parts).decode()
        assert status == 200 and "hello from the ring" in body and body.endswith("\n"), body
        assert headers == {"Content-Type": "text/plain; charset=UTF-8"}
        assert body == "".join(l + "\n" for l in log.lines())
        for i in range(60):   # a full ring of long lines: pieces of about 512 characters
            log.info("line %d %s", i, "x" * 150)
        parts = list(api.app.routes["/log"](None)[0])
        assert len(parts) > 10 and max(len(p) for p in parts) < 512 + 170, [len(p) for p in parts]
        assert b"".join(parts).decode() == "".join(l + "\n" for l in log.lines())
        w.app.http_host = "192.168.1.40"
        finish(w.child("web"))
        assert api.calls == [("run", "192.168.1.40")], api.calls
    with World({"wifi": WIFI, "lan_api": {"enabled": True, "api_secret": ""}}) as w:
        wiring._forwarding(w.app)
        assert one("LanApi").args[0] == {"port": 17580, "secret": None}


def test_nothing_is_forwarded_without_wi_fi():
    with World({"nightscout": NS, "mqtt": {"host": "broker.lan"}, "lan_api": {"enabled": True}}) as w:
        wiring._forwarding(w.app)
        assert MADE == {} and w.app.tasks == {} and w.app.listeners == [] and w.app.wifi is None
        assert w.app.reserve is not None   # add_all frees it after every part


def test_with_wi_fi_the_keeper_and_the_time_sync_run_and_the_reserve_is_freed():
    with World({"wifi": WIFI}) as w:
        wiring._forwarding(w.app)
        keeper, ts = one("WifiKeeper"), one("TimeSync")
        assert keeper.args[0] == WIFI and w.app.wifi is keeper and w.app.timesync is ts
        assert w.app.reserve is None
        assert ts.kw["wifi"] is keeper
        assert sorted(w.app.tasks) == ["time", "wifi"], w.app.tasks
        assert w.app.tasks["wifi"][1] == 120 and w.app.tasks["time"][1] == 3600
        # the keeper stays quiet while the BLE link runs, and its changes are events
        assert keeper.kw["ble_active"]() is False
        w.app.link = object()
        assert keeper.kw["ble_active"]() is True
        keeper.kw["on_change"](True)
        assert w.app.events == [{"event": "wifi", "up": True}], w.app.events
        # a step that holds the board waits for a pause in the sound and for no press under
        # way (chaos seed 5518: a handshake inside a long press held its answer 2 s)
        pause = keeper.kw["sound_pause"]
        w.app.ann.pause_in_ms = lambda need: 700 if need == 2000 else 0
        assert pause(2000) == 700 and pause(500) == 0
        w.app.buttons = type("B", (), {"pressed": True})()
        assert pause(500) == wiring.PRESS_POLL_MS > 0
        w.app.buttons.pressed = False
        assert pause(500) == 0
        assert keeper.kw["sound_fits"] == w.app.ann.pause_fits
        # the box's own access point open (a phone on the setup page): the keeper stops the
        # port's own reconnect scans, which took the access point down with the radio
        ap_open = keeper.kw["ap_open"]
        assert ap_open() is False
        w.app.setup_ap = AccessPoint()
        assert ap_open() is False
        w.app.setup_ap.calls.append(("open", "button"))
        assert ap_open() is True
        # the servers' addresses kept through a reset
        assert Names.restored == [("kept",)] and w.app.rtc.names_of == Names.kept
        # no Nightscout, no MQTT, no LAN API: no queue, no history, no listener
        assert made("UploadQueue") == made("History") == made("LanApi") == [] and w.app.listeners == []


def test_the_time_syncs_notices_go_to_the_app_which_tells_them_by_day_or_owes_them_to_the_morning():
    # a clock step is news, no danger (the status page shows a dispute while it lasts): at
    # 3 a.m. its low pattern sounded for 30 min; told at night, it was never told at all.
    # main.App.time_notice tells it by day, owes it to the morning at night (test_main_rules)
    with World({"wifi": WIFI}) as w:
        wiring._forwarding(w.app)
        tell = one("TimeSync").kw["notice"]
        tell("time_changed")
        tell("time_disputed")
        assert w.app.time_notices == ["time_changed", "time_disputed"] and w.app.conds == [], \
            (w.app.time_notices, w.app.conds)


# --- forwarding: what reaches the forwarders ---------------------------------------------
def test_a_forwarders_condition_raises_the_apps_alarm():
    with World({"wifi": WIFI, "nightscout": NS, "mqtt": {"host": "broker.lan"}}) as w:
        wiring._forwarding(w.app)
        one("NightscoutUploader").kw["on_condition"]("forwarding", "nightscout_auth", True)
        one("MqttPublisher").kw["on_condition"]("forwarding", "mqtt_unreachable", True)
        one("NightscoutUploader").kw["on_condition"]("forwarding", "nightscout_auth", False)
        assert w.app.conds == [("forwarding", "nightscout_auth", True),
                               ("forwarding", "mqtt_unreachable", True),
                               ("forwarding", "nightscout_auth", False)], w.app.conds
        # a forwarder short of memory tells the app, under its name
        one("NightscoutUploader").kw["on_memory"]()
        one("MqttPublisher").kw["on_memory"]()
        assert w.app.oom == ["nightscout", "mqtt"]


def test_every_reading_and_only_a_reading_reaches_nightscout_and_its_unsent_ones_survive_a_restart():
    with World({"wifi": WIFI, "nightscout": NS}) as w:
        wiring._forwarding(w.app)
        up = one("NightscoutUploader")
        w.app.emit({"event": "alarm_onset", "type": "low"})
        w.app.emit(reading_event(101))
        w.app.emit({"event": "link", "what": "connected"})
        assert up.calls == [("submit", (1000, 1700000000, 101, -1, 6, "live"))], up.calls
        assert up.kw["queue"] is one("UploadQueue") and up.kw["wifi"] is one("WifiKeeper")
        assert up.kw["on_server_date"] == one("TimeSync").offer_date   # the Date header sets the clock
        assert one("UploadQueue").kw == {"keep_sent": False}   # no LAN API: it reads nothing back
        for hook in w.app.before_reset:
            hook()
        assert up.calls[-1] == ("flush",)
        assert w.app.tasks["nightscout"][1] == 600
        finish(w.child("nightscout"))
        assert up.calls[-1] == ("run",)


class SessionLink:
    tx_id = "8G1234"
    session_start_dex = None
    session_left_s = None
    activation_unix = None


def test_a_box_reading_a_transmitter_gives_nightscout_its_sensor_session_a_follower_none():
    with World({"wifi": WIFI, "nightscout": NS, "transmitter_id": "8G1234"}) as w:
        wiring._forwarding(w.app)
        up = one("NightscoutUploader")
        assert up.kw["start_path"] == "nsstart.txt"
        session = up.kw["session"]
        assert session() is None                    # no link (yet)
        w.app.link = link = SessionLink()
        assert session() is None                    # no sensor session
        link.session_start_dex, link.session_left_s = 5000, 86400
        assert session() == ("8G1234", 5000, None, 86400)   # no wall clock yet
        link.activation_unix = 1700000000
        assert session() == ("8G1234", 5000, 1700005000, 86400)
    for cfg in ({"role": "follower", "transmitter_id": "8G1234"}, {}):
        cfg.update({"wifi": WIFI, "nightscout": NS})
        with World(cfg) as w:
            wiring._forwarding(w.app)
            assert one("NightscoutUploader").kw["session"] is None, cfg


def test_the_lan_apis_history_is_a_day_of_readings_only_and_read_from_the_queue_beside_nightscout():
    with World({"wifi": WIFI, "lan_api": {"enabled": True}}) as w:
        wiring._forwarding(w.app)
        hist = one("History")
        assert hist.args == (288,) and one("LanApi").args[1] is hist
        assert made("UploadQueue") == []
        w.app.emit({"event": "alarm_onset", "type": "low"})
        w.app.emit(reading_event(99))
        w.app.emit({"event": "wifi", "up": True})
        assert hist.added == [(1000, 1700000000, 99, -1, 6, "live")], hist.added
        assert hist.back_s == 0
        w.clock.wall = 1700001200
        w.clock.set_unix(1700000000)      # the clock put back 20 min: a live reading may re-date so far
        w.app.emit(reading_event(98))
        assert hist.back_s == 1200
    with World({"wifi": WIFI, "lan_api": {"enabled": True}, "nightscout": NS}) as w:
        wiring._forwarding(w.app)
        queue = one("UploadQueue")
        assert queue.kw == {"keep_sent": True}     # the history reads what it sent
        qh = one("QueueHistory")
        assert qh.args == (queue, 288) and one("LanApi").args[1] is qh
        assert made("History") == []
        # fed by the uploader's submit(): one listener, Nightscout's
        w.app.emit(reading_event(98))
        assert len(w.app.listeners) == 1 and one("NightscoutUploader").calls[0][0] == "submit"


def test_with_an_mqtt_broker_alarms_readings_the_link_and_the_battery_reach_their_topics():
    with World({"wifi": WIFI, "transmitter_id": "8G1234", "mqtt": {"host": "broker.lan"}}) as w:
        w.app.engine.loud = {"type": "urgent_low"}
        w.app.engine.unans = "low"
        wiring._forwarding(w.app)
        pub = one("MqttPublisher")
        # at its start: the alarm in force (restored, or device at boot) and the link's state
        assert pub.calls == [("alarm", "urgent_low", "low"), ("link", "starting")], pub.calls
        assert pub.kw["wifi"] is one("WifiKeeper")
        del pub.calls[:]
        w.app.engine.loud, w.app.engine.unans = None, None
        for kind in ("alarm_onset", "alarm_clear", "alarm_snooze", "alarm_ack", "alarm_escalate"):
            w.app.emit({"event": kind})
        assert pub.calls == [("alarm", None, None)] * 5, pub.calls
        del pub.calls[:]
        w.app.emit(reading_event(77))
        w.app.emit({"event": "link", "what": "connected"})
        w.app.emit({"event": "link", "what": "battery_low", "name": "low_battery"})
        w.app.emit({"event": "link", "what": "battery_low"})
        w.app.emit({"event": "link", "what": "tx_clock"})   # transmitter news, not the link's state
        # the sensor's state on its own topic, not the link's: `alarm` named only "sensor",
        # then "no_data", after a transmitter reset ended the session (helper-369)
        w.app.emit({"event": "link", "what": "sensor_state", "kind": "stopped", "name": "stopped"})
        w.app.emit({"event": "wifi", "up": True})
        assert pub.calls == [("reading", (1000, 1700000000, 77, -1, 6, "live")), ("link", "connected"),
                             ("battery", "low_battery"), ("battery", "unknown"),
                             ("sensor", "stopped")], pub.calls
        assert w.app.tasks["mqtt"][1] == 600
        finish(w.child("mqtt"))
        assert pub.calls[-1] == ("run",)


def test_the_link_topic_at_the_start_says_what_the_box_runs():
    def told(cfg, status_link=None):
        cfg = dict(cfg, wifi=WIFI, mqtt={"host": "broker.lan"})
        with World(cfg) as w:
            w.app.status["link"] = status_link
            wiring._forwarding(w.app)
            return [c for c in one("MqttPublisher").calls if c[0] == "link"]
    assert told({"role": "follower", "transmitter_id": "8G1234"}) == [("link", "follower")]
    assert told({"transmitter_id": ""}) == [("link", "not_configured")]
    assert told({"transmitter_id": "8G1234"}, "encrypted") == [("link", "encrypted")]
    assert told({"transmitter_id": "8G1234"}) == [("link", "starting")]


def test_the_sensor_topic_at_the_start_is_the_state_told_before_it():
    # a publisher made after the link told the sensor's state (told only on a change) kept
    # the broker's retained one, another session's, until the next change
    with World({"wifi": WIFI, "transmitter_id": "8G1234", "mqtt": {"host": "broker.lan"}}) as w:
        wiring._forwarding(w.app)
        assert [c for c in one("MqttPublisher").calls if c[0] == "sensor"] == []   # not told yet
    with World({"wifi": WIFI, "transmitter_id": "8G1234", "mqtt": {"host": "broker.lan"}}) as w:
        w.app.status["sensor_kind"] = "stopped"
        wiring._forwarding(w.app)
        assert [c for c in one("MqttPublisher").calls if c[0] == "sensor"] == [("sensor", "stopped")]


# --- where readings come from ---------------------------------------------------------
def source(cfg, fn):
    with World(cfg) as w:
        wiring._source(w.app)
        return fn(w)


def test_the_link_takes_the_receivers_slot_unless_told_the_phones():
    def cfg_of(w):
        return one("Link").args[0]
    got = source({"transmitter_id": "8G1234"}, cfg_of)
    assert got["slot"] == 1 and got["transmitter_id"] == "8G1234" and got["bond_path"] == "ble_secrets.json"
    assert source({"transmitter_id": "8G1234", "slot": "receiver"}, cfg_of)["slot"] == 1
    assert source({"transmitter_id": "8G1234", "slot": "phone"}, cfg_of)["slot"] == 2


def test_the_link_resumes_where_the_rtc_record_says_and_owns_it():
    def of(w):
        return one("Link").args[0], w.app.rtc.owned, w.app.link is one("Link")
    cfg, owned, kept = source({"transmitter_id": "8G1234"}, of)
    assert cfg["resume_dex_s"] is None and cfg["resume_hole"] is None and owned == ["8G1234"] and kept
    with World({"transmitter_id": "8G1234"}) as w:
        w.app.rtc.last_dex, w.app.rtc.hole = 86400, (80000, 82000)
        wiring._source(w.app)
        cfg = one("Link").args[0]
        assert cfg["resume_dex_s"] == 86400 and cfg["resume_hole"] == (80000, 82000)
        assert cfg["resume_dex_min_s"] is None   # the time away not known: no least time
        assert cfg["on_time"] == one("TransmitterClock").seen
        assert one("TransmitterClock").args[:2] == ("8G1234", "tx_clock.txt")


def test_the_transmitters_clock_is_held_against_a_lone_answer_and_tells_the_time_sync_it_set():
    # app.txclock takes the kept activation over one answer NTP or a server's Date gave the
    # unset clock at the power-on, and NTP's and a server's later answers are then held
    # against the transmitter's time as against any set clock (a Nightscout's Date 3 h off
    # set the clock again 5 min after it was put right)
    with World({"transmitter_id": "8G1234"}) as w:
        wiring._source(w.app)
        set_unix, lone_answer = one("TransmitterClock").args[2:4]
        assert lone_answer() is False               # no time sync (no Wi-Fi): no answer
        set_unix(1780000000)
        assert w.clock.wall == 1780000000
        ts = w.app.timesync = TimeSync()
        assert lone_answer() is False
        ts.source = "lone"
        assert lone_answer() is True
        set_unix(1780000300)
        assert w.clock.wall == 1780000300 and ts.calls == [("transmitter_set",)]


def test_the_link_knows_the_least_time_the_resumed_transmitter_clock_can_show():
    # its newest reading's and the time away since the save after it: a clock behind that
    # restarted during the reset (link.core _check_clock), even when ahead of the newest
    with World({"transmitter_id": "8G1234"}) as w:
        w.app.rtc.last_dex, w.app.rtc.away_s = 86400, 600
        wiring._source(w.app)
        assert one("Link").args[0]["resume_dex_min_s"] == 87000
    with World({"transmitter_id": "8G1234"}) as w:   # no resume point: none
        w.app.rtc.last_dex, w.app.rtc.away_s = 0, 600
        wiring._source(w.app)
        assert one("Link").args[0]["resume_dex_min_s"] is None


def test_held_readings_another_transmitter_cannot_date_are_dropped_with_a_log_line():
    # chaos seed 5688 (helper-253): the record's own() drops the last transmitter's readings
    # held without a wall time (persist._dated_only); the loss is said, not silent
    with World({"transmitter_id": "8G1234"}) as w:
        w.app.rtc.own = lambda tx: 2
        wiring._source(w.app)
        assert _logged("nightscout: 2 readings without a wall time of the last transmitter dropped"), LOGGED[-5:]
    with World({"transmitter_id": "8G1234"}) as w:   # nothing dropped: nothing said
        w.app.rtc.own = lambda tx: 0
        before = len(_logged("readings without a wall time of the last transmitter dropped"))
        wiring._source(w.app)
        assert len(_logged("readings without a wall time of the last transmitter dropped")) == before


def test_held_readings_own_drops_at_a_late_link_start_are_taken_from_the_uploader_too():
    # the link's start ran out of memory before own() and was retried after forwarding
    # started: the uploader had taken them back from the record and dated them by the new
    # transmitter's clock (test_memory_pressure.py, on the whole firmware)
    forgot = []
    up = type("Up", (), {"forget_held": lambda self: forgot.append(1)})()
    for dropped, want in ((2, [1]), (0, [])):
        del forgot[:]
        with World({"transmitter_id": "8G1234"}) as w:
            w.app.rtc.own = lambda tx: dropped
            w.app.nightscout = up
            wiring._source(w.app)
            assert forgot == want, (dropped, forgot)


def test_a_link_that_makes_no_progress_for_20_minutes_is_hung():
    with World({"transmitter_id": "8G1234"}, now=1000) as w:
        wiring._source(w.app)
        link, alive = one("Link"), w.alive("link")
        assert w.app.tasks["link"][1] == 60
        assert alive() is True
        w.clock.now = 1000 + 20 * 60 * 1000 - 1
        assert alive() is True
        w.clock.now = 1000 + 20 * 60 * 1000
        assert alive() is False
        link.st["sessions"] = 1          # a session: progress
        assert alive() is True
        w.clock.now += 20 * 60 * 1000 - 1
        link.st["missed_windows"] = 1    # a missed window is progress too
        assert alive() is True
        w.clock.now += 20 * 60 * 1000 - 1
        assert alive() is True
        w.clock.now += 1
        assert alive() is False
        link.st["sessions"] += 1         # a session and a missed window since the last look
        link.st["missed_windows"] += 1
        assert alive() is True


def test_a_box_without_a_transmitter_id_says_so_and_runs_no_link():
    with World({"transmitter_id": ""}) as w:
        wiring._source(w.app)
        assert made("Link") == [] and w.app.link is None
        assert w.app.conds[-1] == ("link", "not_configured", True)
        assert _logged("no transmitter_id configured")


def test_a_follower_polls_its_leader_and_its_conditions_raise_the_apps_alarm():
    with World({"role": "follower", "follow": {"url": "http://leader.local:17580"}}) as w:
        w.app.engine.no_data_grace_s = 60
        wiring._source(w.app)
        f = one("Follower")
        assert f.args[0] == {"url": "http://leader.local:17580"} and made("Link") == []
        f.args[2]("link", "leader_silent", True)
        assert w.app.conds[-1] == ("link", "leader_silent", True)
        assert w.app.tasks["follower"][1] == 600
        assert w.app.engine.no_data_grace_s == 60 + 60 + 15
        assert f.kw["on_alarms"] is None and w.app.gate is None     # "all": every alarm sounds here
        assert f.kw["holding"] is None                              # nor asked again soon
        # a leader_unanswered restored from RTC memory (the box was gated before a save) ends
        assert ("link", "leader_unanswered", False) in w.app.conds, w.app.conds
        assert f.kw["since_fresh_s"] is None          # no reading kept: the grace of a start
    with World({"role": "follower", "follow": {"url": "http://leader.local:17580"}}) as w:
        w.app.engine.last_glucose = lambda: (100, w.app.now_s() - 1740)   # restored: 29 min old
        wiring._source(w.app)
        assert one("Follower").kw["since_fresh_s"] == 1740
    with World({"transmitter_id": "8G1234"}) as w:   # nor does a leader box keep one
        wiring._source(w.app)
        assert ("link", "leader_unanswered", False) in w.app.conds, w.app.conds


def test_a_gated_followers_mqtt_alarm_follows_what_it_plays():
    class Pub:
        def __init__(self):
            self.calls = []

        def publish_alarm(self, loudest, unanswered):
            self.calls.append((loudest, unanswered))
    app, pub = App({}), Pub()
    app.engine.loud = {"type": "low"}
    wiring._mqtt_event(pub, app, {"event": "annunciator", "pattern": "medium"})
    assert pub.calls == []            # a box that is no gated follower: its alarm events say all
    app.gate = object()               # a gated one: the leader's word changes what it plays
    wiring._mqtt_event(pub, app, {"event": "annunciator", "pattern": "at_leader"})
    assert pub.calls == [("low", None)], pub.calls


def test_a_follower_that_sounds_only_the_unanswered_gets_the_leaders_alarms_and_the_gate():
    cfg = {"role": "follower", "follow": {"url": "http://leader.local:17580", "sound": "unanswered"}}
    with World(cfg) as w:
        wiring._source(w.app)
        f = one("Follower")
        f.kw["on_alarms"]({"alarms": {}, "age_s": 0})
        assert w.app.events[-1] == ("leader", {"alarms": {}, "age_s": 0})
        from alarms import gate
        assert w.app.gate is gate and w.app.gate_poll_s == f.poll_s
        # a poll without the leader's word is asked again soon while the box plays an
        # alarm silently on it (forward.follower.RETRY_S): what main.App.quiet() holds
        assert f.kw["holding"]() is False
        w.app.quiet = lambda: ["urgent_low"]
        assert f.kw["holding"]() is True
        assert ("link", "leader_unanswered", False) not in w.app.conds   # the first report judges it
        assert w.app.engine.no_data_grace_s == 60 + 60 + 15 + 5   # and the alarms' request


def test_the_wi_fi_keeper_is_kept_out_of_the_transmitters_next_window():
    with World({"transmitter_id": "8G1234"}, now=50000) as w:
        wiring._source(w.app)
        link = one("Link")
        keeper = WifiKeeper([])
        w.app.wifi = keeper
        link.next_ms = 50000 + 95500
        wiring.on_link_event(w.app, {"event": "link", "what": "disconnected"})
        link.next_ms = 49000            # a window already due: now
        wiring.on_link_event(w.app, {"event": "link", "what": "disconnected"})
        link.next_ms = 50000 + 999      # within the second: now
        wiring.on_link_event(w.app, {"event": "link", "what": "disconnected"})
        link.next_ms = None             # not known: nothing
        wiring.on_link_event(w.app, {"event": "link", "what": "disconnected"})
        assert keeper.calls == [("window", 95, 30), ("window", 0, 30), ("window", 0, 30)], keeper.calls


def test_a_follower_request_waits_for_a_quiet_moment_of_the_wi_fi():
    with World({"role": "follower", "follow": {"url": "http://leader.local:17580"}}) as w:
        wiring._source(w.app)
        pause = one("Follower").kw["pause"]
        finish(pause())          # no Wi-Fi keeper: nothing to wait for
        keeper = WifiKeeper([])
        w.app.wifi = keeper
        finish(pause())
        assert keeper.calls == [("quiet", 1500, {"blocks": True, "host": "leader.local", "port": 17580})], \
            keeper.calls


# --- starting the parts, and again after a memory shortage -----------------------------
def _oom_part(app):
    app.listeners.append(len)
    app.before_reset.append(len)
    app.sup.tasks.append("half")
    app.wifi = "half made"
    raise MemoryError


def test_a_part_that_ran_out_of_memory_is_undone_and_tried_again_after_5_min_then_less_often():
    with World({}, now=10000) as w:
        app = w.app
        assert wiring._start(app, "forwarding", _oom_part) is False
        assert app.listeners == [] and app.before_reset == [] and app.sup.tasks == [] and app.wifi is None
        assert app.conds == [("device", "start_forwarding", True)]
        assert len(_logged("cannot start forwarding")) == 1
        assert [p[0] for p in app.pending_starts] == ["forwarding"]
        tries = []

        def fn(a):
            tries.append(w.clock.now)
            _oom_part(a)
        app.pending_starts[0][1] = fn
        due = 10000 + 300 * 1000
        for wait_s in (600, 1200, 2400, 3600, 3600):
            w.clock.now = due - 1
            wiring.retry_starts(app)
            w.clock.now = due
            wiring.retry_starts(app)
            assert tries[-1] == due, (wait_s, tries)
            due += wait_s * 1000
        assert len(tries) == 5 and len(app.pending_starts) == 1
        # quiet while it fails again: the alarm once, the log line once
        assert app.conds == [("device", "start_forwarding", True)], app.conds
        assert len(_logged("cannot start forwarding")) == 1
        app.pending_starts[0][1] = lambda a: None     # the heap allows it now
        w.clock.now = due
        wiring.retry_starts(app)
        assert app.pending_starts == [] and app.conds[-1] == ("device", "start_forwarding", False)
        assert _logged("started forwarding")


def test_under_memory_pressure_only_the_alarm_paths_parts_are_tried_again():
    with World({}, now=0) as w:
        app = w.app
        for name in ("forwarding", "buttons", "source", "power", "setup"):
            wiring._start(app, name, _oom_part)
        started = []
        for p in app.pending_starts:
            p[1] = (lambda name: lambda a: started.append(name))(p[0])
        w.clock.now = 300 * 1000
        wiring.retry_starts(app, under_pressure=True)
        assert started == ["buttons", "source", "power"], started
        wiring.retry_starts(app)
        assert started == ["buttons", "source", "power", "forwarding", "setup"], started


def test_a_part_that_fails_otherwise_sounds_once_and_is_not_tried_again():
    def broken(app):
        app.listeners.append(len)
        raise ValueError("bad config")
    with World({}, now=0) as w:
        app = w.app
        wiring._start(app, "forwarding", _oom_part)     # first short of memory...
        app.pending_starts[0][1] = broken                # ...then broken when tried again
        w.clock.now = 300 * 1000
        wiring.retry_starts(app)
        assert app.pending_starts == [], app.pending_starts
        assert app.conds[-1] == ("device", "start_forwarding", True), app.conds   # and never cleared
        assert len(_logged("cannot start forwarding")) == 2
        assert wiring._start(app, "mqtt", broken) is False
        assert app.conds[-1] == ("device", "start_mqtt", True) and app.pending_starts == []
        assert wiring._start(app, "power", lambda a: None) is True


def test_add_all_starts_every_part_and_gives_the_reserve_back():
    with World({"transmitter_id": ""}) as w:
        w.app.board = {}
        wiring.add_all(w.app)
        assert w.app.reserve is None
        assert [c for c in w.app.conds if c[0] == "device"] == [], w.app.conds
        assert w.app.conds[-1] == ("link", "not_configured", True)
        assert "setup_ap" in w.app.tasks and one("AccessPoint").calls == [("open", "no_wifi")]


# --- buttons, the setup access point, the factory reset, the restart ------------------------
def test_the_buttons_look_for_the_boot_hold_once_then_run():
    with World({}, board={"button": {"pin": 0}}) as w:
        wiring._buttons(w.app)
        btn = one("Buttons")
        assert btn.args == ({"pin": 0},) and w.app.buttons is btn
        assert btn.kw["on_snooze"] == w.app.snooze and btn.kw["on_ack"] == w.app.acknowledge
        assert btn.kw["on_unack"] == w.app.unacknowledge
        finish(w.child("buttons"))
        finish(w.child("buttons"))      # a restarted task goes straight to run()
        assert btn.calls == [("boot_hold",), ("run",), ("run",)], btn.calls
        btn.kw["on_fault"]({"event": "button", "active": True})
        assert w.app.conds == [("device", "button", True)] and w.app.events[-1]["event"] == "button"
    with World({}, board={}) as w:
        wiring._buttons(w.app)
        assert made("Buttons") == [] and w.app.tasks == {}


def test_a_box_without_wi_fi_opens_its_setup_access_point():
    with World({}) as w:
        wiring._setup(w.app)
        ap = one("AccessPoint")
        assert ap.calls == [("open", "no_wifi")] and w.app.setup_ap is ap
        assert ap.args[1] == Machine.unique_id() and ap.args[2] == b"label-key"
        ap.kw["on_change"](True, "no_wifi")
        assert w.app.events == [{"event": "setup_ap", "open": True, "reason": "no_wifi"}]
        assert "setup_ap" in w.app.tasks
    with World({"wifi": WIFI}) as w:
        wiring._setup(w.app)
        assert one("AccessPoint").calls == []
    with World({}) as w:
        AccessPoint.fail = ApError("no AP")
        wiring._setup(w.app)
        assert w.app.conds == [("device", "setup_ap", True)]
        assert _logged("cannot open the setup access point")


def test_the_setup_page_narrows_to_one_request_while_the_memory_watch_sees_pressure():
    # it is not paused with the forwarders (it is how the settings are mended); slow
    # clients must not take what the alarm path needs (app.webserver: squeezed)
    with World({"wifi": WIFI}) as w:
        w.app.setup_port = 80
        w.app.memory = _module(alarm=False)()
        wiring._setup(w.app)
        squeezed = one("SetupServer").app.squeezed
        assert squeezed() is False and "setup_web" in w.app.tasks
        w.app.memory.alarm = True
        assert squeezed() is True


def test_the_servers_requests_that_run_out_of_memory_reach_the_memory_watch():
    # app.webserver tells on_memory once per episode; unset, the watch never heard of them
    with World({"wifi": WIFI, "lan_api": {"enabled": True}}) as w:
        w.app.setup_port = 80
        w.app.memory = _module(alarm=False)()
        wiring._setup(w.app)
        wiring._forwarding(w.app)
        one("SetupServer").app.on_memory()
        one("LanApi").app.on_memory()
        assert w.app.oom == ["setup_web", "web"], w.app.oom


def test_the_boot_holds_cues_play_over_a_technical_alarm_not_over_one_a_parent_answers():
    # helper-125: refused over any alarm (929dfb3), a box whose settings have a problem or
    # that has no transmitter (device / link alarms from power-on) could no longer be
    # factory-reset with the button. Over glucose alarms and no_data (restored through the
    # reset) they are refused: the hold acknowledges that alarm instead (sound.buttons)
    with World({}) as w:
        fb = wiring._boot_feedback(w.app)
        for kind in (None, "device", "link", "sensor"):
            w.app.engine.active = lambda: [] if kind is None else [{"type": kind, "status": "sounding"}]
            w.app.ann.over = None
            assert fb("reset_done") is not False and w.app.ann.over is True, kind
        assert w.app.ann.cues == ["reset_done"] * 4
        # refused by what the engine sounds, before the annunciator plays it (a restored
        # alarm sounds after the chirp; before, the 1-s cue could play first and the
        # hold's acknowledge came at 2 s, not at 1.5 s): no cue is started at all
        for kind in ("urgent_low", "urgent_low_soon", "low", "high", "no_data"):
            w.app.engine.active = lambda: [{"type": kind, "status": "sounding"}]
            assert fb("reset_warn") is False and w.app.ann.cues == ["reset_done"] * 4, kind
        # ... one answered refuses nothing
        w.app.engine.active = lambda: [{"type": "urgent_low", "status": "snoozed"}]
        assert fb("reset_warn") is not False and w.app.ann.cues[-1] == "reset_warn"
        # a follower's alarm its leader sounds is played silently here: it refuses nothing
        w.app.engine.active = lambda: [{"type": "urgent_low", "status": "sounding"}]
        w.app.quiet = lambda: ("urgent_low",)
        assert fb("reset_done") is not False and w.app.ann.cues[-1] == "reset_done"
        # ... but its own link alarm for the patient's alarm unanswered at the leader
        # stands for that glucose alarm: a hold answers it, it never wipes the follower
        # (helper-244, session 54); its other link reasons are the box's own faults
        cues = len(w.app.ann.cues)
        for reason, refused in (("leader_unanswered", True), ("leader_silent", False), ("rogue", False)):
            w.app.engine.active = lambda: [{"type": "urgent_low", "status": "sounding"},
                                           {"type": "link", "status": "sounding", "reason": reason}]
            assert (fb("reset_warn") is False) is refused, reason
            cues += 0 if refused else 1
            assert len(w.app.ann.cues) == cues, reason


def test_the_boot_holds_cues_are_refused_over_a_glucose_alarm_a_louder_fault_outranks():
    # README: the rising triple "is not played over a glucose alarm or no_data restored
    # through a reset". A high (low priority at its onset) beside a link alarm (medium,
    # transmitter lost 15 min; no_data comes at 21): the link alarm is the loudest, and
    # the cues played over the high, so a hold through a reset could wipe the box
    from alarm_steps import MIN, make, feed
    eng = make()
    feed(eng, 0, 255)
    feed(eng, 5 * MIN, 256)
    eng.set_condition("link", "auth_failed", True, 6 * MIN)
    assert eng.loudest()["type"] == "link"
    with World({}) as w:
        w.app.engine = eng
        fb = wiring._boot_feedback(w.app)
        assert fb("reset_warn") is False and fb("reset_done") is False
        assert w.app.ann.cues == []
        # the high played silently (a follower's leader sounds it): the link alarm alone
        w.app.quiet = lambda: ("high",)
        assert fb("reset_done") is not False and w.app.ann.cues == ["reset_done"]


def test_the_boot_holds_cues_are_refused_over_a_leader_unanswered_alarm_a_later_reason_names():
    # a follower's link alarm raised for the patient's alarm unanswered at the leader,
    # then the leader fell silent (its last verdict stands: main._watch_leader): the alarm
    # is named leader_silent, still for the unanswered patient's alarm (restored through a
    # reset as well), and a hold through a reset over it must answer it, not wipe the box
    from alarm_steps import MIN, make, feed
    from alarms import persist
    eng = make()
    feed(eng, 0, 120)
    eng.set_condition("link", "leader_unanswered", True, 1 * MIN)
    eng.set_condition("link", "leader_silent", True, 2 * MIN)
    back = make()
    persist.restore(back, persist.save(eng), 2 * MIN)
    for e in (eng, back):
        link = [a for a in e.active() if a["type"] == "link"][0]
        assert link["status"] == "sounding" and link["reason"] == "leader_silent", link
        assert e.has_reason("link", "leader_unanswered")
        with World({}) as w:
            w.app.engine = e
            fb = wiring._boot_feedback(w.app)
            assert fb("reset_warn") is False and fb("reset_done") is False
            assert w.app.ann.cues == [], w.app.ann.cues


def test_the_button_opens_the_setup_access_point_with_a_confirmation_sound():
    with World({"wifi": WIFI}) as w:
        wiring._open_setup(w.app, "button")          # no access point: nothing
        assert w.app.ann.cues == [] and w.app.conds == []
        wiring._setup(w.app)
        wiring._open_setup(w.app, "button")
        assert one("AccessPoint").calls == [("open", "button")] and w.app.ann.cues == ["setup_open"]
        AccessPoint.fail = ApError("radio busy")
        wiring._open_setup(w.app, "button")
        assert w.app.conds == [("device", "setup_ap", True)] and w.app.ann.cues == ["setup_open"]
        assert _logged("cannot open the setup access point")
        # it opens at the next try: the failure is over (it sounded until the next boot)
        AccessPoint.fail = None
        one("AccessPoint").kw["on_change"](True, "button")
        assert w.app.conds[-1] == ("device", "setup_ap", False), w.app.conds
        one("AccessPoint").kw["on_change"](False, "idle 15 min")    # closing says nothing
        assert w.app.conds[-1] == ("device", "setup_ap", False) and len(w.app.conds) == 2


class FakeAsyncio:
    def __init__(self):
        self.slept, self.tasks = [], []

    async def sleep(self, s):
        self.slept.append(s)

    def create_task(self, coro):
        self.tasks.append(coro)


class SleepMsAsyncio:
    """asyncio.sleep_ms recorded; busy() of the Ann given turns False after `polls` sleeps."""

    def __init__(self, polls):
        self.polls, self.slept = polls, []

    async def sleep_ms(self, ms):
        self.slept.append(ms)


def test_the_radios_start_after_the_boots_self_test_has_played():
    # helper-138: starting Bluetooth (about 0.5 s) or Wi-Fi (0.3 s) holds the board; inside
    # the self-test it ran the chirp's two beeps into one and skipped colours of the light
    # sequence that is there to show a dead buzzer or LED channel
    for polls, slept in ((0, 0), (3, 3), (1000, wiring.SELFTEST_WAIT_MS // 50)):
        with World({}) as w:
            aio = SleepMsAsyncio(polls)
            w.app.ann.busy = lambda: len(aio.slept) < aio.polls
            ran = []

            async def run():
                ran.append(len(aio.slept))
            swap(wiring, "asyncio", aio, lambda: finish(wiring._after_selftest(w.app, run)))
            assert ran == [slept + 1] and aio.slept == [50] * slept + [0], (polls, ran, aio.slept)
    # then in a pause of a sounding alarm (one restored through a reset sounds right after
    # the self-test: helper-140 heard its first burst's pulses merged into one tone)
    with World({}) as w:
        aio = SleepMsAsyncio(0)
        asked = []
        w.app.ann.pause_in_ms = lambda need: asked.append(need) or 640
        ran = []

        async def run():
            ran.append(list(aio.slept))
        swap(wiring, "asyncio", aio, lambda: finish(wiring._after_selftest(w.app, run)))
        assert asked == [wiring.RADIO_START_MS] and ran == [[640]], (asked, ran)


def test_new_settings_restart_the_box_3_s_later_after_every_hook():
    aio = FakeAsyncio()
    with World({}) as w:
        ran = []

        def broken():
            ran.append("broken")
            raise OSError(28)
        w.app.before_reset[:] = [broken, lambda: ran.append("queue")]
        swap(wiring, "asyncio", aio, lambda: wiring._restart_soon(w.app))
        assert _logged("settings saved: restarting to apply them")
        assert Machine.resets == [] and len(aio.tasks) == 1
        swap(wiring, "asyncio", aio, lambda: finish(aio.tasks[0]))
        # the restart is marked planned just before it: the next boot is not counted
        # as a reset in a row (two saves at set-up sounded "3 resets in a row")
        assert aio.slept == [3] and ran == ["broken", "queue"] and Machine.resets == ["planned", True]
        assert _logged("before restart")


def test_a_factory_reset_that_cannot_wipe_says_so_and_keeps_running():
    gone = []
    stuck = ("config.json",)
    aio = FakeAsyncio()

    def run(fn):   # fn() on a stand-in flash: removals recorded, the `stuck` files stay
        return swap(fsutil, "remove_if_present", gone.append,
                    lambda: swap(fsutil, "exists", lambda p: p in stuck,
                                 lambda: swap(wiring, "asyncio", aio, fn)))
    with World({}) as w:
        run(lambda: wiring._factory_reset(w.app))
        assert w.app.conds == [("device", "factory_reset", True)] and aio.tasks == []
        assert _logged("factory reset: forgetting the configuration")
        assert _logged("factory reset: cannot remove config.json")
        assert "config.json" in gone and "ble_secrets.json" in gone and "nsqueue.bin" in gone
        assert "config.json.bak" in gone and "tx_clock.txt.tmp" in gone
    stuck = ()
    del gone[:]
    with World({}) as w:
        run(lambda: wiring._factory_reset(w.app))
        assert w.app.conds == [] and len(aio.tasks) == 1 and len(w.app.before_reset) == 1
        assert _logged("factory reset: restarting with the defaults")
        run(w.app.before_reset[0])     # the last hook: wipes again, forgets RTC memory
        assert w.app.rtc.forgot == 1 and gone.count("nsqueue.bin") == 2
        aio.tasks[0].close()


def test_the_phones_clock_sets_a_box_a_minute_or_more_off():
    with World({}) as w:
        w.clock.wall = 1780000000
        assert wiring.clock_from_phone(w.app, 1780000059) is False
        assert wiring.clock_from_phone(w.app, 1780000000 - 59) is False
        assert wiring.clock_from_phone(w.app, 1780000060) is True and w.clock.wall == 1780000060
        assert _logged("it was -60 s off")
        # a clock a server's Date set (a hotel's captive portal: its own clock) is put right
        # by the phone; one NTP set is not (NTP is better than the phone)
        ts = w.app.timesync = TimeSync()
        ts.source = "server"
        assert wiring.clock_from_phone(w.app, 1780007260) is True and w.clock.wall == 1780007260
        assert ts.calls[-1] == ("phone_set",)       # (the portal's Date no longer undoes it)
        ts.source = "ntp"
        assert wiring.clock_from_phone(w.app, 1780000060) is False and w.clock.wall == 1780007260
        # (helper-293) unless NTP asks for a step of over a day the transmitter's clock refused:
        # the server put right, or the box wrong, a person judges
        ts.dispute = 410227200
        assert wiring.clock_from_phone(w.app, 1780000060) is True and w.clock.wall == 1780000060


class Child:
    """The supervised part's task: done() after `runs` looks; awaiting it raises `error`."""

    def __init__(self, runs, error=None):
        self.runs, self.error, self.cancelled = runs, error, False

    def done(self):
        self.runs -= 1
        return self.runs < 0

    def cancel(self):
        self.cancelled = True

    def __iter__(self):
        if self.error:
            raise self.error
        return iter(())

    __await__ = __iter__


def test_a_supervised_part_checks_in_while_it_runs_and_makes_progress():
    class Aio(FakeAsyncio):
        def create_task(self, coro):
            coro.close()
            self.tasks.append(self.child)
            return self.child
    aio = Aio()
    app = App({})
    progress = [True, False, True, True]
    wiring_supervise = wiring.supervise
    swap(wiring, "asyncio", aio, lambda: wiring_supervise(app, "mqtt", lambda: Made().run(), 600,
                                                          lambda: progress.pop(0)))
    task, period = app.tasks["mqtt"]
    assert period == 600
    checkins = []
    aio.child = Child(3)
    swap(wiring, "asyncio", aio, lambda: finish(task(lambda: checkins.append(1))))
    assert len(checkins) == 2 and aio.slept == [5, 5, 5] and aio.child.cancelled
    aio.child, aio.slept = Child(1, ValueError("broken")), []
    try:   # its failure reaches the supervisor
        swap(wiring, "asyncio", aio, lambda: finish(task(lambda: None)))
        raise AssertionError("not raised")
    except ValueError:
        pass
    assert aio.child.cancelled


def test_a_forwarders_message_its_part_repeats_is_logged_once():
    with World({}) as w:
        for msg in ("time: NTP failed: timeout", "time: NTP failed: timeout", "wifi: joined home",
                    "time: NTP failed: timeout", "time: set from NTP", "time: NTP failed: timeout"):
            wiring._log(msg)
        assert [ln.split(" ", 2)[2] for ln in LOGGED] == [
            "time: NTP failed: timeout", "wifi: joined home", "time: set from NTP",
            "time: NTP failed: timeout"], LOGGED


def test_a_wake_ups_retries_that_end_alike_are_logged_once_and_a_forwarders_lines_still_are():
    # helper-392: a codec refusing a transmitter's reply ended every try alike, one log line
    # each (two or more a wake-up in a 48-line ring); said once per 150 s (half a period)
    with World({"transmitter_id": "8G1234"}, now=1000) as w:
        def end(reason, at_ms):
            w.clock.now = at_ms
            wiring.on_link_event(w.app, {"event": "link", "what": "disconnected", "reason": reason, "read": False})
        end("bad message: GlucoseRx", 1000)
        end("bad message: GlucoseRx", 3000)        # the retry: not again
        end("connection lost", 5000)               # another end: said
        end("connection lost", 150999)             # within 150 s of it: not again
        end("connection lost", 155000)             # the next wake-up: said
        end("done", 160000)                        # a good session: nothing
        wiring.on_link_event(w.app, {"event": "link", "what": "no_transmitter", "windows": 3, "heard": True})
        wiring.on_link_event(w.app, {"event": "link", "what": "no_transmitter", "windows": 3, "heard": False})
        wiring._log("time: NTP failed: timeout")   # (the forwarders' own once-only log, beside it)
        assert [ln.split(" ", 2)[2] for ln in LOGGED] == [
            "link disconnected bad message: GlucoseRx", "link disconnected connection lost",
            "link disconnected connection lost", "link no_transmitter heard, unread", "link no_transmitter ",
            "time: NTP failed: timeout"], LOGGED


def test_the_link_starts_without_the_transmitters_clock_and_says_why():
    def broken(tx_id, path):
        raise OSError(5)
    with World({"transmitter_id": "8G1234"}) as w:
        swap(MODULES["app.txclock"], "TransmitterClock", broken, lambda: wiring._source(w.app))
        assert one("Link").args[0]["on_time"] is None
        assert _logged("time: the transmitter's clock will not set the box's")


# --- link events: the sensor, the battery, memory -------------------------------------------
def sensor(app, kind, usable):
    del app.conds[:]
    wiring.on_link_event(app, {"event": "link", "what": "sensor_state", "kind": kind, "usable": usable})
    return dict(((k, n), a) for k, n, a in app.conds)


def test_the_sensors_state_raises_its_own_sensor_alarm_and_clears_the_others():
    with World({"transmitter_id": "8G1234"}) as w:
        app = w.app
        for kind in ("failed", "expired", "stopped", "warmup"):
            got = sensor(app, kind, False)
            for name in ("failed", "expired", "stopped", "warmup"):
                assert got[("sensor", name)] is (name == kind), (kind, got)
            assert got[("sensor", "attention")] is False and ("sensor", "warmup_done") not in got, got
            # the session's end came (or a new one warms up): the `ending` notice is taken back
            # (helper-157: it stayed beside the new sensor's warm-up and hid its warm-up done)
            assert got[("sensor", "ending")] is False, got
        assert ("sensor", "ending") not in sensor(app, "ok", True) and ("sensor", "ending") not in sensor(app, "calibration", False)
        sensor(app, "warmup", False)
        assert app.status["sensor_kind"] == "warmup" and app.status["link"] is None
        # warm-up over with a usable reading: a notice that says so
        got = sensor(app, "ok", True)
        assert got[("sensor", "warmup")] is False and got[("sensor", "warmup_done")] is True, got
        assert [c for c in app.conds if c[2]] == [("sensor", "warmup_done", True)], app.conds
        got = sensor(app, "ok", True)          # said once, not at every status
        assert ("sensor", "warmup_done") not in got and not [c for c in app.conds if c[2]], got
        # no glucose until a person acts, or a code nobody documents: attention
        for kind in ("calibration", "unknown"):
            assert sensor(app, kind, False)[("sensor", "attention")] is True, kind
            assert sensor(app, kind, True)[("sensor", "attention")] is False, kind
        assert sensor(app, "ok", False)[("sensor", "attention")] is False
        # warm-up that ends unusable (a failed sensor) is no warm-up done
        sensor(app, "warmup", False)
        got = sensor(app, "failed", False)
        assert ("sensor", "warmup_done") not in got and got[("sensor", "failed")] is True, got
        # the new reason is set before the old ones are cleared: in between the sensor alarm
        # would have no reason that says why there is no glucose, which ends no_data's hold
        # (alarms.engine: SENSOR_HOLD_S); a sensor stopped, then its successor's warm-up
        sensor(app, "stopped", False)
        sensor(app, "warmup", False)
        told = [(n, a) for k, n, a in app.conds if k == "sensor"]
        assert told.index(("warmup", True)) < told.index(("stopped", False)), told


def test_a_sensor_state_told_again_after_a_condition_ran_out_of_memory_still_says_warmup_done():
    # helper-351: the state was recorded before its conditions; one short of memory sent the
    # link's word back (link.core tells it again at the next reading), which found the state
    # already recorded: its warm-up done was never said
    with World({"transmitter_id": "8G1234"}) as w:
        app = w.app
        sensor(app, "warmup", False)
        told, short = app.condition, [True]

        def condition(kind, name, active):
            if short[0] and (kind, name, active) == ("sensor", "warmup", False):
                short[0] = False
                raise MemoryError("memory allocation failed")
            told(kind, name, active)
        app.condition = condition
        try:
            sensor(app, "ok", True)
            raise AssertionError("not raised")
        except MemoryError:
            pass
        got = sensor(app, "ok", True)   # the link's word again
        assert got[("sensor", "warmup")] is False and got[("sensor", "warmup_done")] is True, got
        assert app.status["sensor_kind"] == "ok"
        assert ("sensor", "warmup_done") not in sensor(app, "ok", True)   # and once only


def test_a_sensor_error_stands_while_the_state_is_noise_and_ends_with_the_next_state():
    # main.App._watch_sensor_error raised `error` for a noise state once no_data sounded:
    # the link tells the state only when it changes, so its word "noise" again (after a
    # reset) keeps it, and its next word (the sensor back, or another state) ends it
    with World({"transmitter_id": "8G1234"}) as w:
        app = w.app
        got = sensor(app, "noise", False)   # no error told yet: no sensor alarm of its own
        assert not [n for n, a in got.items() if a], got
        app.engine.active = lambda: [{"type": "sensor", "reason": "error", "status": "sounding"}]
        got = sensor(app, "noise", False)
        assert got[("sensor", "error")] is True and ("sensor", "ending") not in got, got
        got = sensor(app, "ok", True)
        assert got[("sensor", "error")] is False and not [n for n, a in got.items() if a], got
        got = sensor(app, "failed", False)
        assert got[("sensor", "failed")] is True and got[("sensor", "error")] is False, got


def test_the_transmitters_battery_and_another_transmitters_clock():
    with World({"transmitter_id": "8G1234"}) as w:
        app = w.app
        forgot = []
        app.rtc.forget_transmitter = lambda: forgot.append(1)
        app.status["link"] = "encrypted"
        wiring.on_link_event(app, {"event": "link", "what": "battery_low", "name": "low_battery"})
        # a cell near its end that recovers a little for a session is no better: the
        # warning holds (review helper-193: it re-sounded at each sag, all night)
        wiring.on_link_event(app, {"event": "link", "what": "battery_low", "active": False})
        assert [c for c in app.conds if c[1] == "battery_low"] == [
            ("transmitter_battery", "battery_low", True)], app.conds
        assert ("transmitter_battery", "tx_expired", True) not in app.conds
        app.status["last_reading"] = (1, 2, 120)
        forgot_held = []   # the uploader's readings held for want of a wall time: the old clock's
        app.nightscout = type("Up", (), {"forget_held": lambda self: forgot_held.append(1)})()
        wiring.on_link_event(app, {"event": "link", "what": "tx_clock", "detail": "new"})
        assert app.status["last_reading"] is None and forgot == [1] and forgot_held == [1]
        assert app.status["link"] == "encrypted"     # transmitter news is not the link's state
        # another transmitter (its clock restarted: a G5's new batteries): its word clears it
        wiring.on_link_event(app, {"event": "link", "what": "battery_low", "active": False})
        assert [c for c in app.conds if c[1] == "battery_low"] == [
            ("transmitter_battery", "battery_low", True), ("transmitter_battery", "battery_low", False)], app.conds
        assert [e["what"] for e in app.events] == ["battery_low", "battery_low", "tx_clock", "battery_low"]


def test_a_battery_warning_answered_before_a_reset_holds_unless_the_transmitter_is_another():
    # the first battery word since a boot: a warning restored from RTC memory and answered is
    # this transmitter's, and its recovery does not clear it (the next sag re-sounded it in the
    # night the family had answered it); one of the record's other transmitter (a new ID typed
    # in) is forgotten, and the new transmitter's word clears it
    answered = [{"type": "transmitter_battery", "reason": "battery_low", "status": "acknowledged"}]
    recovered = {"event": "link", "what": "battery_low", "active": False}
    for rtc_tx, cleared in ((None, False), ("8G1234", False), ("8GOLD1", True)):
        with World({"transmitter_id": "8G1234"}) as w:
            app = w.app
            app.engine.active = lambda: answered
            app.rtc.tx_id = rtc_tx
            wiring._source(app)
            del app.conds[:]
            wiring.on_link_event(app, recovered)
            got = [c for c in app.conds if c[0] == "transmitter_battery"]
            assert (("transmitter_battery", "battery_low", False) in got) is cleared, (rtc_tx, got)
            assert not [c for c in got if c[2]], (rtc_tx, got)


def test_a_link_session_that_ran_out_of_memory_is_counted_and_unusual_events_are_logged():
    with World({"transmitter_id": "8G1234"}) as w:
        app = w.app
        wiring.on_link_event(app, {"event": "link", "what": "disconnected", "reason": "MemoryError: x"})
        wiring.on_link_event(app, {"event": "link", "what": "error", "detail": "MemoryError()"})
        wiring.on_link_event(app, {"event": "link", "what": "disconnected", "reason": "timeout"})
        wiring.on_link_event(app, {"event": "link", "what": "no_transmitter", "detail": "MemoryError"})
        assert app.oom == ["link", "link"], app.oom
        del LOGGED[:]
        for ev in ({"what": "connected"}, {"what": "authenticated"}, {"what": "encrypted"},
                   {"what": "disconnected", "reason": "done"}, {"what": "disconnected"}):
            ev["event"] = "link"
            wiring.on_link_event(app, ev)
        assert LOGGED == [], LOGGED      # a routine session says nothing
        w.clock.now += 150000            # (the next wake-up: a retry ending alike is said once)
        wiring.on_link_event(app, {"event": "link", "what": "disconnected", "reason": "timeout"})
        wiring.on_link_event(app, {"event": "link", "what": "rogue", "name": "DexcomZZ"})
        assert _logged("link disconnected timeout") and _logged("link rogue DexcomZZ"), LOGGED


# --- the board's parts: battery, display ---------------------------------------------------
def swap_attr(obj, name, value, fn):
    """fn() with obj.name set to value; put back, or removed if it was not there."""
    missing = object()
    old = getattr(obj, name, missing)
    setattr(obj, name, value)
    try:
        return fn()
    finally:
        if old is missing:
            delattr(obj, name)
        else:
            setattr(obj, name, old)


def test_a_board_with_its_own_battery_watches_it_and_warns_before_it_runs_out():
    import app as app_pkg
    watched = []

    async def watch(board, changed, low=False):
        watched.append((board, low))   # low: the warning the engine holds (a restarted watch)
        changed(True, 3350)
        changed(False, 3900)
    power = _module(watch=watch)
    board = {"power": {"battery_adc_pin": 38}}
    with World({}, board=board) as w:
        swap_attr(app_pkg, "power", power, lambda: wiring._power(w.app))
        assert w.app.tasks["power"][1] == 120
        finish(w.child("power"))
        assert watched == [(board, False)]
        assert w.app.conds == [("device", "power", True), ("device", "power", False)], w.app.conds
        assert _logged("battery 3350 mV: running out") and _logged("battery 3900 mV: recovered")
    for board in ({}, {"power": {"hold_pin": 4}}):
        with World({}, board=board) as w:
            wiring._power(w.app)
            assert w.app.tasks == {}


def test_a_board_with_a_display_draws_with_its_own_panels_driver():
    import screen as screen_pkg
    ran = []

    class Run:
        @staticmethod
        async def run(open_panel, state, fault, warn, units):
            ran.append((open_panel(), state(), units))
            fault(True)

    def panel(name):
        return _module(open_panel=lambda cfg: (name, cfg["kind"]))

    def shown(kind, units=None, disputed_s=None):
        cfg = {"display": {"kind": kind}}
        with World({"units": units} if units else {}, board=cfg) as w:
            w.app.disputed_s = disputed_s
            w.app.now_s = lambda: 10000
            w.app.status["last_reading"], w.app.status["last_reading_t"] = (1, 2, 99), 9700
            w.app.engine.shown = lambda: "low"
            swap_attr(screen_pkg, "run", Run, lambda: swap_attr(
                screen_pkg, "st7789", panel("tft"), lambda: swap_attr(
                    screen_pkg, "oled", panel("oled"), lambda: wiring._display(w.app))))
            assert w.app.tasks["display"][1] == 60
            swap_attr(screen_pkg, "run", Run, lambda: finish(w.child("display")))
            assert w.app.conds == [("device", "display", True)]
            return ran.pop()
    assert shown("st7789") == (("tft", "st7789"), ((1, 2, 99), 300, "low", 15 * 60, 10000, ""), "mg/dl")
    # (helper-298) a time server's step the transmitter disputes: the detail line's note
    assert shown("st7789", disputed_s=-2 * 86400)[1][5] == "time disputed"
    assert shown("ssd1306", "mmol/l")[0] == ("oled", "ssd1306")
    assert shown("ssd1306", "mmol/l")[2] == "mmol/l"
    with World({}, board={}) as w:
        wiring._display(w.app)
        assert w.app.tasks == {}


def test_the_screens_reading_age_is_never_negative_and_none_without_a_reading():
    import screen as screen_pkg
    got = []

    class Run:
        @staticmethod
        async def run(open_panel, state, fault, warn, units):
            got.append(state())

    with World({}, board={"display": {"kind": "ssd1306"}}) as w:
        w.app.now_s = lambda: 1000
        w.app.status["last_reading"], w.app.status["last_reading_t"] = (1, 2, 99), 1005   # a clock step back
        swap_attr(screen_pkg, "run", Run, lambda: swap_attr(screen_pkg, "oled", _module(), lambda: (
            wiring._display(w.app), finish(w.child("display")))))
        w.app.status["last_reading"] = None
        swap_attr(screen_pkg, "run", Run, lambda: finish(w.child("display")))
        # after a reset the engine's kept value (RTC memory), until the next reading:
        # not "---" under the urgent low it sounds for again (review28)
        w.app.engine.last_glucose = lambda: (52, 700)
        swap_attr(screen_pkg, "run", Run, lambda: finish(w.child("display")))
        w.app.engine.last_glucose = lambda: (None, None)
        swap_attr(screen_pkg, "run", Run, lambda: finish(w.child("display")))
    assert got[0][1] == 0 and got[1][1] is None, got
    assert got[2][0][2] == 52 and got[2][0][3] is None and got[2][1] == 300, got
    assert got[3][0] is None and got[3][1] is None, got


# --- the setup access point's captive DNS -------------------------------------------------
class Stop(Exception):
    pass


def test_the_captive_dns_runs_while_the_access_point_is_open_and_waits_a_second_between_looks():
    class Point:
        def __init__(self):
            self.looks = 0

        def is_open(self):
            self.looks += 1
            if self.looks > 8:
                raise Stop()
            return self.looks in (3, 5)
    served = []

    async def serve(point, port):
        served.append(port)
        if len(served) == 2:
            raise OSError(98)

    aio = FakeAsyncio()
    app = App({})
    app.dns_port = 5353
    app.status["captive_dns_error"] = "old"
    try:
        swap(wiring, "asyncio", aio, lambda: finish(wiring._captive_dns(app, Point(), serve)))
    except Stop:
        pass
    assert served == [5353, 5353]
    # closed: a look a second; open: served, the old error cleared; a failure: said, 30 s
    assert aio.slept == [1, 1, 1, 1, 30, 1, 1, 1, 1], aio.slept
    assert app.status["captive_dns_error"] == repr(OSError(98)), app.status
