# forward/mqtt.py's rules (the MQTT / Home Assistant publisher), what a family
# relies on: the config's refusals and defaults (host, port, topic prefix,
# user/password, keepalive; a box with a topic of its own is a device of its
# own), the client id (device id and the board's id, cut to MQTT 3.1.1's 23
# bytes), discovery (device, unique ids, units, expire_after on glucose and
# trend only), availability with a retained last will, what each publish_* puts
# on which topic (alarm "none", battery, link, sensor, glucose in mg/dL and mmol/L,
# trend; a backfill never replaces a newer reading), every publish retained,
# the republish after a broker restart (a glucose older than 15 min is not
# sent again: Home Assistant would restart its expiry and show it as current),
# reading_availability offline from a boot's first connection until its first
# reading (the broker's glucose is a past boot's: HA restarted by the same power
# cut showed it as current for 15 min),
# the back-off, the pings after connect and every keepalive/2, the reconnect
# after an unanswered ping, `mqtt_unreachable` after an hour without an
# answering broker and its clearing, MemoryError through on_memory, a write
# that does not fit (it waits for room; none for 10 s: reconnect, resend), and UTF-8
# text as bytes.
#
# Stand-ins: mqtt.asyncio is a small loop on a virtual clock (mqtt.clock):
# sleeps and waits move the clock and never suspend the publisher's own
# coroutine; the reader task is stepped as the clock moves. A recording
# client factory takes umqtt.simple.MQTTClient's place and writes umqtt's
# bytes for publish and ping to a stand-in socket, which a stand-in broker
# parses (so a length counted in characters instead of bytes would show).
# mqtt.names is a recording stand-in. Runs on CPython and MicroPython.
import asyncio
import json

from async_steps import run_until
from fakes import NamesWorld, _beside_clock, swap_module
from forward import ConfigError
from forward.entries import direction


def _load():
    from forward import mqtt
    return mqtt


mqtt = _beside_clock(_load)

IP = "10.0.0.7"
HOUR_MS = 3600 * 1000


# --- the stand-in loop ------------------------------------------------------------

class Stop(BaseException):
    """The end of a run: the virtual clock reached the world's `until`."""


class Stuck(BaseException):
    """The publisher waits on and on without the clock moving (a loop without a pause)."""


class Suspend:
    """One await that hands the turn back to the stand-in loop."""

    def __iter__(self):
        yield None

    __await__ = __iter__


class Clock:
    def __init__(self, t=0):
        self.t = t
        self.wall = None   # Unix seconds at t 0; None: the wall clock not set

    def ms(self):
        return self.t

    def wall_valid(self):
        return self.wall is not None

    def unix(self):
        return self.wall + self.t // 1000


class Event:
    def __init__(self):
        self.on = False

    def set(self):
        self.on = True

    def clear(self):
        self.on = False

    def is_set(self):
        return self.on

    async def wait(self):
        while not self.on:
            await Suspend()


class Task:
    def __init__(self, coro):
        self.coro, self.finished, self.error = coro, False, None

    def step(self):
        if self.finished:
            return
        try:
            self.coro.send(None)
        except StopIteration:
            self.finished = True
        except Exception as e:
            self.finished, self.error = True, e

    def done(self):
        return self.finished

    def cancel(self):
        if not self.finished:
            self.coro.close()
            self.finished = True


class Stream:
    """asyncio.StreamReader over a stand-in socket: its inbox, its EOF, its error."""

    def __init__(self, sock):
        self.sock = sock

    async def read(self, n):
        s = self.sock
        while True:
            if s.read_error is not None:
                raise s.read_error
            if s.inbox:
                data, s.inbox = s.inbox[:n], s.inbox[n:]
                if not s.inbox and s.reset_after is not None:   # the next read: the reset
                    s.read_error, s.reset_after = s.reset_after, None
                return data
            if s.eof:
                return b""
            await Suspend()   # (closed here: nothing comes; the task must be cancelled)


class Writer:
    """asyncio.StreamWriter over a stand-in socket: write takes what fits now and
    keeps the rest, drain writes it as room comes (at each turn of the loop)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def write(self, data):
        if not self.buf:
            n = self.sock.write(data)
            if n == len(data):
                return
            data = data[n or 0:]
        self.buf += data

    async def drain(self):
        await Suspend()
        while self.buf:
            n = self.sock.write(self.buf)
            self.buf = self.buf[n or 0:]
            if self.buf:
                await Suspend()


class Loop:
    """asyncio for mqtt.py on a virtual clock: sleep and wait_for(_ms) move the
    clock on (to the next scripted event or the timeout), firing events (t, fn)
    and stepping the tasks as it passes; at `until` the run stops."""
    TimeoutError = asyncio.TimeoutError
    Event = Event
    StreamReader = Stream
    StreamWriter = Writer

    def __init__(self, clock, until):
        self.clock, self.until = clock, until
        self.events = []
        self.tasks = []
        self.errors = []
        self.sleeps = []      # seconds asked, in order
        self.still = 0        # waits in a row that did not move the clock
        self.wait_fors = []   # wait_for's timeouts (s)

    def at(self, t, fn):
        self.events.append((t, fn))
        self.events.sort(key=lambda e: e[0])

    def create_task(self, coro):
        task = Task(coro)
        self.tasks.append(task)
        return task

    def pump(self):
        for task in self.tasks:
            task.step()
            if task.error is not None:
                self.errors.append(task.error)
                task.error = None
        self.tasks = [task for task in self.tasks if not task.done()]

    def advance(self, t):
        self.still = 0 if t > self.clock.t else self.still + 1
        if self.still > 10000:
            raise Stuck()
        while self.events and self.events[0][0] <= t:
            et, fn = self.events.pop(0)
            self.clock.t = max(self.clock.t, et)
            fn()
            self.pump()
        self.clock.t = max(self.clock.t, t)
        self.pump()
        if self.clock.t >= self.until:
            raise Stop()

    async def sleep(self, s):
        self.sleeps.append(s)
        self.advance(self.clock.t + int(s * 1000))

    async def wait_for(self, aw, timeout):
        self.wait_fors.append(timeout)
        return await self.wait_for_ms(aw, int(timeout * 1000))

    async def wait_for_ms(self, aw, ms):
        end = self.clock.t + ms
        try:
            while True:
                for _ in (0, 1):  # the tasks have a turn before time moves on
                    try:
                        aw.send(None)
                    except StopIteration as e:
                        return e.args[0] if e.args else None
                    self.pump()
                if self.clock.t >= end:
                    raise self.TimeoutError()
                nxt = self.events[0][0] if self.events else end
                self.advance(min(max(nxt, self.clock.t), end))
        finally:
            aw.close()


# --- the stand-in broker and client ---------------------------------------------

class Sock:
    """The client's socket: bytes written go to the broker (at most `room` of
    them, then writes take nothing: a full send buffer); inbox is what the
    broker sent."""

    def __init__(self, broker):
        self.broker = broker
        self.out = b""          # written and not yet parsed
        self.inbox = b""
        self.eof = False
        self.read_error = None
        self.reset_after = None   # the read_error once the inbox is read (a reset after an answer)
        self.closed = False
        self.blocking = True
        self.opts = []
        self.room = None
        self.writes = []        # each write's bytes, as given

    def write(self, data):
        assert not self.closed, "written after close"
        data = bytes(data)
        self.writes.append(data)
        if self.room is not None:
            if self.room == 0:
                return None
            data = data[:self.room]
            self.room -= len(data)
        self.out += data
        self.broker.parse(self)
        return len(data)

    def read(self, n):
        data, self.inbox = self.inbox[:n], self.inbox[n:]
        return data

    def setsockopt(self, level, opt, value):
        if self.broker.no_nodelay:
            raise OSError(95)
        self.opts.append((level, opt, value))

    def setblocking(self, flag):
        self.blocking = flag

    def close(self):
        self.closed = True


def _encode_len(pkt, sz):  # umqtt.simple's
    i = 1
    while sz > 0x7F:
        pkt[i] = (sz & 0x7F) | 0x80
        sz >>= 7
        i += 1
    pkt[i] = sz
    return i


class Client:
    """umqtt.simple.MQTTClient as mqtt.py uses it: its arguments recorded, connect
    asks the broker, publish and ping write umqtt's bytes to self.sock."""

    def __init__(self, broker, client_id, server, port, user, password, keepalive):
        self.broker = broker
        self.args = (client_id, server, port, user, password, keepalive)
        self.sock = None
        self.will = None
        self.timeout = "not given"

    def set_last_will(self, topic, msg, retain=False, qos=0):
        self.will = (topic, msg, retain, qos)

    def connect(self, timeout=None):
        self.timeout = timeout
        self.sock = Sock(self.broker)
        self.broker.connect(self)
        return False

    def ping(self):
        self.sock.write(b"\xc0\0")

    def publish(self, topic, msg, retain=False, qos=0):
        assert type(topic) is bytes and type(msg) is bytes, (topic, msg)
        pkt = bytearray(b"\x30\0\0\0")
        pkt[0] |= qos << 1 | retain
        i = _encode_len(pkt, 2 + len(topic) + len(msg))
        self.sock.write(pkt, i + 1)
        self.sock.write(bytes((len(topic) >> 8, len(topic) & 0xFF)))
        self.sock.write(topic)
        self.sock.write(msg)


class Broker:
    """Takes connections (or refuses them with `refuse`), parses what is written:
    publishes (t, topic, payload, retain), retained states, pings (answered
    with a PINGRESP while `answering`)."""

    def __init__(self, clock):
        self.clock = clock
        self.clients = []       # every client made, connected or not
        self.refuse = None      # the exception a connect raises
        self.answering = True
        self.answer_ms = 0      # a PINGRESP this late (needs `later`, the loop's at)
        self.later = None
        self.no_nodelay = False
        self.kick = 0           # this many connections closed once they answer a first ping
        self.kick_reset = 0     # ... reset (TCP RST) once they answer it
        self.room = None        # a new connection's send room
        self.publishes = []
        self.retained = {}
        self.pings = []
        self.sock = None        # the current connection's socket

    def client(self, *args):
        cl = Client(self, *args)
        self.clients.append(cl)
        return cl

    def connect(self, cl):
        if self.refuse is not None:
            raise self.refuse
        cl.sock.room = self.room
        self.sock = cl.sock

    def parse(self, sock):
        while True:
            b = sock.out
            n, shift, i = 0, 0, 1
            while True:
                if i >= len(b):
                    return
                n |= (b[i] & 0x7F) << shift
                shift += 7
                i += 1
                if not b[i - 1] & 0x80:
                    break
            if len(b) < i + n:
                return
            first, body, sock.out = b[0], b[i:i + n], b[i + n:]
            if first >> 4 == 3:
                tl = body[0] << 8 | body[1]
                topic, payload = body[2:2 + tl].decode(), body[2 + tl:].decode()
                retain = bool(first & 1)
                self.publishes.append((self.clock.t, topic, payload, retain))
                if retain:
                    self.retained[topic] = payload
            elif first == 0xC0:
                assert n == 0
                self.pings.append(self.clock.t)
                if self.answering and self.answer_ms:
                    self.later(self.clock.t + self.answer_ms, lambda: self._answer(sock))
                elif self.answering:
                    self._answer(sock)
            else:
                raise AssertionError("unexpected packet %r" % first)

    def _answer(self, sock):
        sock.inbox += b"\xd0\x00"
        if self.kick > 0:
            self.kick -= 1
            sock.eof = True
        elif self.kick_reset > 0:
            self.kick_reset -= 1
            sock.reset_after = OSError(104)

    def restart(self):
        """Down and up again, its retained states lost: the connection sees EOF."""
        self.retained = {}
        if self.sock is not None:
            self.sock.eof = True

    def topics(self, since=0):
        return [p[1] for p in self.publishes if p[0] >= since]


class Names:
    def __init__(self):
        self.resolved, self.forgotten, self.fail = [], [], None

    def resolve(self, host, port):
        self.resolved.append((host, port))
        if self.fail is not None:
            raise self.fail
        return (IP, port)

    def forget_address(self, host, port):
        self.forgotten.append((host, port))


class Wifi:
    """The keeper: up or not; wait_quiet is recorded (t, need_ms, blocks, host, port)."""

    def __init__(self, clock, up=True):
        self.clock, self.up, self.quiet = clock, up, []

    def is_up(self):
        return self.up

    async def wait_up(self):
        while not self.up:
            await Suspend()

    async def wait_quiet(self, need_ms, blocks=False, host=None, port=None):
        self.quiet.append((self.clock.t, need_ms, blocks, host, port))


class World:
    """A publisher over the stand-ins for the length of a `with` block."""

    def __init__(self, cfg=None, until_s=60, wifi=False, on_memory=True, on_condition=None):
        self.cfg = {"host": "ha.lan", "topic_prefix": "cgm"} if cfg is None else cfg
        self.clock = Clock(0)
        self.loop = Loop(self.clock, until_s * 1000)
        self.broker = Broker(self.clock)
        self.broker.later = self.loop.at
        self.names = Names()
        self.wifi = Wifi(self.clock) if wifi else None
        self.logs, self.conds, self.memory = [], [], []
        self._on_memory = self._memory if on_memory else None
        self._on_condition = on_condition or self._cond

    def _memory(self):
        self.memory.append(self.clock.t)

    def _cond(self, kind, name, on):
        self.conds.append((self.clock.t, kind, name, on))

    def __enter__(self):
        self._old = (mqtt.asyncio, mqtt.clock, mqtt.names)
        mqtt.asyncio, mqtt.clock, mqtt.names = self.loop, self.clock, self.names
        self.pub = swap_module("machine", BOARD, lambda: mqtt.MqttPublisher(
            self.cfg, wifi=self.wifi, on_condition=self._on_condition, log=self.logs.append,
            client_factory=self.broker.client, on_memory=self._on_memory))
        return self

    def __exit__(self, *exc):
        mqtt.asyncio, mqtt.clock, mqtt.names = self._old

    def at(self, t_ms, fn):
        self.loop.at(t_ms, fn)

    def run(self):
        try:
            run_until(self.pub.run(), Stop)
        except Stuck:
            raise AssertionError("the clock stood still at %d ms" % self.clock.t)
        assert self.loop.errors == [], self.loop.errors
        self.loop.pump()
        assert self.loop.tasks == [], "a task left running"   # the reader ends with its connection

    def state(self, obj):
        return self.broker.retained.get(self.pub.c["prefix"] + "/" + obj)


def run_world(setup=None, **kw):
    """A World run to its end, setup(w) called first."""
    w = World(**kw)
    with w:
        if setup is not None:
            setup(w)
        w.run()
    return w


def refusal(cfg):
    try:
        mqtt.validate(cfg)
    except ConfigError as e:
        return str(e)
    return None


def reading(dex_s, sgv, trend=0, source="live"):
    # the wall clock runs against the transmitter's here: ordered by dex_s alone
    return (dex_s, 1700086400 - dex_s, sgv, trend, "ok", source)


class Machine:
    def __init__(self, uid):
        self.uid = uid

    def unique_id(self):
        return self.uid


BOARD = Machine(b"\x30\x31\xc4\x12\x34\x56")


def client_id(cfg):
    return swap_module("machine", BOARD, lambda: mqtt.MqttPublisher(cfg, client_factory=1).c["client_id"])


# --- config -----------------------------------------------------------------------

def test_validate_defaults_of_a_host_alone():
    assert mqtt.validate({"host": "ha.lan"}) == {
        "host": "ha.lan", "port": 1883, "prefix": "bedside_cgm", "user": None, "password": "",
        "keepalive": 60, "discovery": "homeassistant", "device_id": "bedside_cgm",
        "client_id": None, "device_name": "Bedside CGM alarm", "connect_timeout_s": 1}


def test_validate_refuses_with_the_key_named():
    for cfg, why in (({}, "mqtt.host: missing"),
                     ({"host": ""}, "mqtt.host: empty"),
                     ({"host": "h", "port": 0}, "mqtt.port: 1..65535"),
                     ({"host": "h", "port": 65536}, "mqtt.port: 1..65535"),
                     ({"host": "h", "port": -1883}, "mqtt.port: 1..65535"),
                     ({"host": "h", "port": "1883"}, "mqtt.port: wrong type str"),
                     ({"host": "h", "port": True}, "mqtt.port: expected int, got bool"),
                     ({"host": "h", "topic_prefix": ""}, "mqtt.topic_prefix: non-empty, without +, # or NUL"),
                     ({"host": "h", "topic_prefix": "cgm/+"}, "mqtt.topic_prefix: non-empty, without +, # or NUL"),
                     ({"host": "h", "topic_prefix": "cgm/#"}, "mqtt.topic_prefix: non-empty, without +, # or NUL"),
                     ({"host": "h", "topic_prefix": "#"}, "mqtt.topic_prefix: non-empty, without +, # or NUL"),
                     ({"host": "h", "topic_prefix": "cgm\x00"}, "mqtt.topic_prefix: non-empty, without +, # or NUL"),
                     ({"host": "h", "password": "pw"}, "mqtt.password: given without mqtt.user"),
                     ({"host": "h", "keepalive_s": 9}, "mqtt.keepalive_s: 10..3600"),
                     ({"host": "h", "keepalive_s": 3601}, "mqtt.keepalive_s: 10..3600"),
                     ({"host": "h", "user": 5}, "mqtt.user: wrong type int"),
                     ({"host": "h", "connect_timeout_s": "1"}, "mqtt.connect_timeout_s: wrong type str"),
                     ({"host": "h", "connect_timeout_s": True}, "mqtt.connect_timeout_s: expected a number, got bool"),
                     ({"host": "h", "connect_timeout_s": 0}, "mqtt.connect_timeout_s: 0.1..5"),
                     ({"host": "h", "connect_timeout_s": 5.5}, "mqtt.connect_timeout_s: 0.1..5"),
                     ("ha.lan", "mqtt: expected a dict, got 'str'")):
        assert refusal(cfg) == why, (cfg, refusal(cfg))


def test_validate_takes_the_bounds_and_a_user_without_password():
    for cfg in ({"host": "h", "port": 1}, {"host": "h", "port": 65535},
                {"host": "h", "keepalive_s": 10}, {"host": "h", "keepalive_s": 3600},
                {"host": "h", "connect_timeout_s": 0.5}, {"host": "h", "port": None},
                {"host": "h", "connect_timeout_s": 0.1}, {"host": "h", "connect_timeout_s": 5}):
        assert refusal(cfg) is None, cfg
    c = mqtt.validate({"host": "h", "user": "ha", "port": 8883, "keepalive_s": 120})
    assert (c["user"], c["password"], c["port"], c["keepalive"]) == ("ha", "", 8883, 120)
    c = mqtt.validate({"host": "h", "user": "ha", "password": "pw"})
    assert (c["user"], c["password"]) == ("ha", "pw")


def test_a_topic_of_its_own_is_a_device_of_its_own():
    for prefix, dev_id, name in (("cgm", "bedside_cgm", "Bedside CGM alarm"),
                                 ("cgm/", "bedside_cgm", "Bedside CGM alarm"),
                                 ("bedside_cgm//", "bedside_cgm", "Bedside CGM alarm"),
                                 ("cgm_follower", "bedside_cgm_cgm_follower",
                                  "Bedside CGM alarm (cgm_follower)"),
                                 ("home/Küche box-2/", "bedside_cgm_home_K_che_box-2",
                                  "Bedside CGM alarm (home/Küche box-2)"),
                                 ("CGM", "bedside_cgm_CGM", "Bedside CGM alarm (CGM)")):
        c = mqtt.validate({"host": "h", "topic_prefix": prefix})
        assert c["prefix"] == prefix.rstrip("/"), prefix
        assert (c["device_id"], c["device_name"]) == (dev_id, name), (prefix, c)
    c = mqtt.validate({"host": "h", "topic_prefix": "kid", "device_id": "mine", "device_name": "Mine",
                       "discovery_prefix": "ha", "client_id": "me"})
    assert (c["device_id"], c["device_name"], c["discovery"], c["client_id"]) == ("mine", "Mine", "ha", "me")


# --- the client id ----------------------------------------------------------------

def test_client_id_is_the_device_id_and_the_boards_last_four_bytes():
    assert client_id({"host": "h"}) == "bedside_cgm-c4123456"
    assert client_id({"host": "h", "topic_prefix": "cgm"}) == "bedside_cgm-c4123456"
    # two boxes: the same device id, different boards
    other = swap_module("machine", Machine(b"\x00\x00\x00\x00\x00\x01"),
                        lambda: mqtt.MqttPublisher({"host": "h"}, client_factory=1).c["client_id"])
    assert other == "bedside_cgm-00000001"


def test_client_id_is_cut_to_23_bytes_from_the_device_ids_end():
    assert client_id({"host": "h", "topic_prefix": "cgm_follower"}) == "bedside_cgm_cg-c4123456"
    assert client_id({"host": "h", "device_id": "abcdefghijklmn"}) == "abcdefghijklmn-c4123456"
    assert client_id({"host": "h", "device_id": "abcdefghijklmno"}) == "abcdefghijklmn-c4123456"
    # bytes, not characters: a two-byte letter at the cut goes as a whole
    got = client_id({"host": "h", "device_id": "abcdefghijklmü"})
    assert got == "abcdefghijklm-c4123456", got
    got = client_id({"host": "h", "device_id": "äöüäöüäöü"})
    assert got == "äöüäöüä-c4123456" and len(got.encode()) == 23, got
    # a client id given is taken as it is
    assert client_id({"host": "h", "client_id": "a-very-long-client-id-of-my-own"}) == \
        "a-very-long-client-id-of-my-own"


def test_client_id_without_a_board_id_is_the_device_id():
    class NoId:
        pass
    got = swap_module("machine", NoId(),
                      lambda: mqtt.MqttPublisher({"host": "h", "topic_prefix": "cgm_follower"},
                                                 client_factory=1).c["client_id"])
    assert got == "bedside_cgm_cgm_follower"   # not cut: no board part to keep it apart

    # no machine module (None in sys.modules: ImportError on CPython, None on the port)
    got = swap_module("machine", None,
                      lambda: mqtt.MqttPublisher({"host": "h"}, client_factory=1).c["client_id"])
    assert got == "bedside_cgm"


# --- connecting: umqtt's arguments, discovery, availability ---------------------

def test_connect_hands_umqtt_bytes_the_kept_address_and_a_retained_offline_will():
    w = run_world(cfg={"host": "ha.lan", "port": 1884, "user": "ha", "password": "pw",
                       "topic_prefix": "cgm", "keepalive_s": 30, "connect_timeout_s": 2}, until_s=5)
    cl = w.broker.clients[0]
    assert cl.args == (b"bedside_cgm-c4123456", IP, 1884, b"ha", b"pw", 30), cl.args
    assert cl.will == (b"cgm/availability", b"offline", True, 0), cl.will
    assert cl.timeout == 2
    assert w.names.resolved == [("ha.lan", 1884)] and w.names.forgotten == []
    raw = cl.sock.s
    assert raw.opts == [(6, 1, 1)]          # TCP_NODELAY: a ping does not wait behind publishes
    assert raw.blocking is False
    assert len(w.broker.clients) == 1 and w.pub.connects == 1
    assert w.logs[0] == "mqtt: connected to ha.lan:1884", w.logs
    # no user: no credentials (umqtt sends them when user is truthy)
    cl = run_world(until_s=1).broker.clients[0]
    assert cl.args == (b"bedside_cgm-c4123456", IP, 1883, None, b"", 60) and cl.timeout == 1, cl.args


def test_a_socket_without_tcp_nodelay_still_connects():
    def setup(w):
        w.broker.no_nodelay = True
        w.pub.publish_link("encrypted")
    w = run_world(setup, until_s=5)
    assert w.broker.clients[0].sock.s.opts == [] and w.pub.connects == 1
    assert w.state("link") == "encrypted" and w.state("availability") == "online"


DEV = {"identifiers": ["bedside_cgm"], "name": "Bedside CGM alarm", "manufacturer": "open firmware",
       "model": "ESP32 bedside CGM alarm"}
SENSORS = (("glucose", "Glucose", "mg/dL", "mdi:diabetes", True),
           ("glucose_mmol", "Glucose mmol/L", "mmol/L", "mdi:diabetes", True),
           ("trend", "Trend", None, "mdi:trending-up", True),
           ("alarm", "Alarm", None, "mdi:alarm-light", False),
           ("alarm_unanswered", "Alarm unanswered", None, "mdi:alarm-light-outline", False),
           ("battery", "Transmitter battery", None, "mdi:battery", False),
           ("link", "Transmitter link", None, "mdi:bluetooth", False),
           ("sensor", "Sensor", None, "mdi:access-point", False))


def test_discovery_names_every_sensor_of_the_device_retained_then_the_states_then_online():
    w = run_world(until_s=1)
    pubs = w.broker.publishes
    assert len(pubs) == 10, pubs
    for k, (obj, name, unit, icon, expires) in enumerate(SENSORS):
        t, topic, payload, retain = pubs[k]
        assert topic == "homeassistant/sensor/bedside_cgm/%s/config" % obj and retain, pubs[k]
        want = {"name": name, "unique_id": "bedside_cgm_" + obj, "state_topic": "cgm/" + obj,
                "icon": icon, "device": DEV}
        if unit:
            want["unit_of_measurement"] = unit
            want["state_class"] = "measurement"
        if expires:   # HA shows them unavailable 15 min after the last reading
            want["expire_after"] = 900
            want["availability"] = [{"topic": "cgm/availability"}, {"topic": "cgm/reading_availability"}]
            want["availability_mode"] = "all"
        else:
            want["availability_topic"] = "cgm/availability"
        assert json.loads(payload) == want, (obj, payload)
    # no reading yet in this boot: the glucose the broker keeps is unavailable, told before
    # `online` (after it, Home Assistant showed a past boot's glucose as current meanwhile)
    assert pubs[8][1:] == ("cgm/reading_availability", "offline", True), pubs[8]
    assert pubs[9][1:] == ("cgm/availability", "online", True), pubs[9]


def test_a_box_with_its_own_topic_is_discovered_as_its_own_device():
    w = run_world(cfg={"host": "ha.lan", "topic_prefix": "cgm_follower", "discovery_prefix": "ha"},
                  until_s=1)
    t, topic, payload, retain = w.broker.publishes[0]
    assert topic == "ha/sensor/bedside_cgm_cgm_follower/glucose/config", topic
    d = json.loads(payload)
    assert d["unique_id"] == "bedside_cgm_cgm_follower_glucose"
    assert d["state_topic"] == "cgm_follower/glucose"
    assert d["availability"] == [{"topic": "cgm_follower/availability"},
                                 {"topic": "cgm_follower/reading_availability"}]
    assert json.loads(w.broker.publishes[3][2])["availability_topic"] == "cgm_follower/availability"
    assert d["device"]["identifiers"] == ["bedside_cgm_cgm_follower"]
    assert d["device"]["name"] == "Bedside CGM alarm (cgm_follower)"
    assert w.broker.clients[0].will[0] == b"cgm_follower/availability"


def test_topic_user_and_password_in_any_utf8_text_go_as_bytes():
    # umqtt.simple sends len() as the byte count: a str with an umlaut made every
    # packet malformed. The stand-in broker parses the byte counts.
    def setup(w):
        w.pub.publish_alarm("low")
        w.pub.publish_link("verbunden ✓")
    w = run_world(setup, cfg={"host": "ha.lan", "topic_prefix": "Küche/bett", "user": "jörg",
                              "password": "pässwört"}, until_s=1)
    cl = w.broker.clients[0]
    assert cl.args[3:5] == ("jörg".encode(), "pässwört".encode()), cl.args
    assert cl.will[0] == "Küche/bett/availability".encode()
    assert w.broker.retained["Küche/bett/alarm"] == "low"
    assert w.broker.retained["Küche/bett/link"] == "verbunden ✓"
    assert w.broker.retained["Küche/bett/availability"] == "online"
    cfg = w.broker.retained["homeassistant/sensor/bedside_cgm_K_che_bett/alarm/config"]
    assert json.loads(cfg)["state_topic"] == "Küche/bett/alarm"


# --- what each publish_* tells ------------------------------------------------------

def snapshots(steps, objs, **kw):
    """Each step (t_ms, fn(pub)) run in a connected world, then the retained states
    of objs 500 ms later."""
    got = []

    def setup(w):
        for t, fn in steps:
            w.at(t, lambda fn=fn: fn(w.pub))
            w.at(t + 500, lambda: got.append(tuple(w.state(o) for o in objs)))
    kw.setdefault("until_s", steps[-1][0] // 1000 + 2)
    run_world(setup, **kw)
    return got


def test_alarm_and_alarm_unanswered_are_none_without_one():
    got = snapshots(((1000, lambda p: p.publish_alarm(None)),
                     (2000, lambda p: p.publish_alarm("urgent_low", "low")),
                     (3000, lambda p: p.publish_alarm("high")),
                     (4000, lambda p: p.publish_alarm("", None))),
                    ("alarm", "alarm_unanswered"))
    assert got == [("none", "none"), ("urgent_low", "low"), ("high", "none"), ("none", "none")], got


def test_battery_and_link_are_told_as_text():
    got = snapshots(((1000, lambda p: p.publish_battery("low_battery")),
                     (2000, lambda p: p.publish_link("encrypted")),
                     (3000, lambda p: p.publish_battery(129)),
                     (4000, lambda p: p.publish_link("disconnected"))),
                    ("battery", "link"))
    assert got == [("low_battery", None), ("low_battery", "encrypted"), ("129", "encrypted"),
                   ("129", "disconnected")], got


def test_glucose_in_mg_dl_and_mmol_l_and_the_trend_direction():
    got = snapshots(((1000, lambda p: p.publish_reading(reading(1000, 100, 0))),
                     (2000, lambda p: p.publish_reading(reading(1300, 181, 25))),
                     (3000, lambda p: p.publish_reading(reading(1600, 39, None))),
                     (4000, lambda p: p.publish_reading(reading(1900, 400, -40))),
                     (5000, lambda p: p.publish_reading(reading(2200, 90, 15)))),
                    ("glucose", "glucose_mmol", "trend"))
    assert got == [("100", "5.5", "Flat"), ("181", "10.0", "SingleUp"),
                   ("39", "2.2", "NOT COMPUTABLE"), ("400", "22.2", "DoubleDown"),
                   ("90", "5.0", "FortyFiveUp")], got
    assert direction(25) == "SingleUp"


def test_a_reading_without_a_glucose_value_changes_nothing():
    got = snapshots(((1000, lambda p: p.publish_reading(reading(1000, 120))),
                     (2000, lambda p: p.publish_reading(reading(1300, None))),
                     # still the newest shown is 1000: a backfill of 1200 is newer
                     (3000, lambda p: p.publish_reading(reading(1200, 118, source="backfill")))),
                    ("glucose",))
    assert got == [("120",), ("120",), ("118",)], got


def test_a_backfill_never_replaces_a_newer_reading():
    day = 86400
    got = snapshots(((1000, lambda p: p.publish_reading(reading(100000, 150))),
                     (2000, lambda p: p.publish_reading(reading(99700, 140, source="backfill"))),
                     (3000, lambda p: p.publish_reading(reading(100000, 149, source="backfill"))),
                     (4000, lambda p: p.publish_reading(reading(100000 - day + 1, 130, source="backfill"))),
                     # a day or more older: not this session's (a new transmitter's clock)
                     (5000, lambda p: p.publish_reading(reading(100000 - day, 111, source="backfill"))),
                     (6000, lambda p: p.publish_reading(reading(13900, 120, source="backfill"))),
                     (7000, lambda p: p.publish_reading(reading(13700, 119, source="backfill"))),
                     (7500, lambda p: p.publish_reading(reading(13901, 121, source="backfill"))),
                     # a live reading is always the newest (a new transmitter starts again)
                     (8000, lambda p: p.publish_reading(reading(500, 90))),
                     (9000, lambda p: p.publish_reading(reading(200, 95, source="backfill")))),
                    ("glucose",))
    assert got == [("150",), ("150",), ("150",), ("150",), ("111",), ("120",), ("120",),
                   ("121",), ("90",), ("90",)], got
    # the first reading of all may be a backfill
    got = snapshots(((1000, lambda p: p.publish_reading(reading(5000, 77, source="backfill"))),),
                    ("glucose",))
    assert got == [("77",)], got


def test_every_state_is_retained_and_only_the_latest_of_each_is_sent():
    def setup(w):
        p = w.pub
        p.publish_reading(reading(1000, 100))
        p.publish_reading(reading(1300, 110))
        p.publish_link("connecting")
        p.publish_link("encrypted")
        p.publish_alarm("low")
        p.publish_battery("ok")
        p.publish_sensor("warmup")
        p.publish_sensor("stopped")
    w = run_world(setup, until_s=3)
    assert w.broker.publishes[-1][1:3] == ("cgm/availability", "online"), w.broker.publishes
    states = [(topic, payload) for t, topic, payload, retain in w.broker.publishes[8:-1]]
    states.sort()
    assert states == [("cgm/alarm", "low"), ("cgm/alarm_unanswered", "none"), ("cgm/battery", "ok"),
                      ("cgm/glucose", "110"), ("cgm/glucose_mmol", "6.1"), ("cgm/link", "encrypted"),
                      ("cgm/reading_availability", "online"), ("cgm/sensor", "stopped"),
                      ("cgm/trend", "Flat")], states
    assert all(p[3] for p in w.broker.publishes), w.broker.publishes
    assert w.pub.published == 9


# --- reconnecting ------------------------------------------------------------------

def _all_states(p):
    p.publish_reading(reading(1000, 100))
    p.publish_alarm("low")
    p.publish_battery("ok")
    p.publish_link("encrypted")
    p.publish_sensor("ok")


def raw(cl):
    """A client's own socket (after CONNECT it is wrapped)."""
    return getattr(cl.sock, "s", cl.sock)


def connect_times(w):
    """When each connection was made: the times its discovery began."""
    return [t for t, topic, payload, retain in w.broker.publishes
            if topic.endswith("/glucose/config")]


def test_the_last_failure_says_what_ended_the_last_try_until_the_broker_answers():
    # for the status page (before: the MQTT row said the broker's name only)
    class MQTTException(Exception):   # umqtt.simple's, for a CONNACK that refuses
        pass
    snap = []

    def setup(w):
        snap.append(w.pub.last_failure)                  # nothing tried yet
        w.broker.refuse = MQTTException(5)
        w.at(1000, lambda: snap.append(w.pub.last_failure))
        w.at(1500, lambda: setattr(w.broker, "refuse", None))
        w.at(8000, lambda: snap.append(w.pub.last_failure))      # connected and answered
        w.at(9000, lambda: setattr(w.broker, "answering", False))
        w.at(9000, w.broker.restart)                              # taken again at once, never answered
        w.at(9500, lambda: snap.append(w.pub.last_failure))
        w.at(75000, lambda: snap.append(w.pub.last_failure))    # keepalive 60 s: a ping's answer waited 60 s
        w.at(76000, lambda: setattr(w.broker, "answering", True))
        w.at(120000, lambda: snap.append(w.pub.last_failure))
    run_world(setup, until_s=121)
    assert snap == [None, "broker not authorized (CONNACK 5)", None, "connection lost: closed by broker",
                    "no answer after connecting: no answer to a ping within 60 s", None], snap


def test_a_restarted_broker_gets_discovery_online_and_every_state_again():
    snap = []

    def setup(w):
        _all_states(w.pub)
        w.at(10000, w.broker.restart)
        w.at(9000, lambda: snap.append(w.pub.is_connected()))
    w = run_world(setup, until_s=12)
    assert connect_times(w) == [0, 10000], w.broker.publishes   # at once: no back-off
    assert w.loop.sleeps == [] and w.pub.connects == 2
    assert snap == [True]
    assert "mqtt: connection lost (closed by broker)" in w.logs, w.logs
    assert w.broker.clients[0].sock.s.closed
    again = w.broker.topics(since=10000)
    assert len(again) == 18, again   # 8 discovery, online, 9 states
    for obj in ("glucose", "glucose_mmol", "trend", "alarm", "alarm_unanswered", "battery", "link",
                "sensor"):
        assert "cgm/" + obj in again, obj
        assert "homeassistant/sensor/bedside_cgm/%s/config" % obj in again
    assert w.state("glucose") == "100" and w.state("link") == "encrypted"
    assert w.state("availability") == "online" and w.state("reading_availability") == "online"
    assert w.broker.pings[-1] == 10000      # a ping right after connecting again
    assert w.pub.published == 18


def test_a_reconnect_does_not_send_a_glucose_older_than_15_min_again():
    def setup(w):
        w.at(100000, lambda: _all_states(w.pub))
        w.at(100000 + 899999, w.broker.restart)
        w.at(100000 + 900000, w.broker.restart)
        w.at(100000 + 950000, lambda: w.pub.publish_reading(reading(2000, 140)))
    w = run_world(setup, until_s=1060, cfg={"host": "ha.lan", "topic_prefix": "home/cgm"})
    assert connect_times(w) == [0, 999999, 1000000], connect_times(w)
    just_fresh = w.broker.topics(since=999999)[:18]
    for obj in ("glucose", "glucose_mmol", "trend", "alarm", "link"):
        assert "home/cgm/" + obj in just_fresh, (obj, just_fresh)
    stale = dict((topic, payload) for t, topic, payload, retain in w.broker.publishes if t == 1000000)
    assert len(stale) == 15 and "home/cgm/alarm" in stale and "home/cgm/battery" in stale, stale
    for obj in ("glucose", "glucose_mmol", "trend"):
        assert "home/cgm/" + obj not in stale, (obj, stale)
    assert stale["home/cgm/reading_availability"] == "offline", stale   # HA: unavailable
    # a new reading is sent again
    new = [(topic, payload) for t, topic, payload, retain in w.broker.publishes if t == 1050000]
    new.sort()
    assert new == [("home/cgm/glucose", "140"), ("home/cgm/glucose_mmol", "7.8"),
                   ("home/cgm/reading_availability", "online"), ("home/cgm/trend", "Flat")], new


def test_a_reading_that_went_stale_while_the_broker_was_down_is_not_sent():
    def setup(w):
        w.broker.refuse = OSError(111)
        w.pub.publish_reading(reading(1000, 100))
        w.pub.publish_link("encrypted")
        w.at(1000 * 1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(setup, until_s=1200)
    assert connect_times(w) == [1110000], connect_times(w)
    assert w.state("link") == "encrypted" and w.state("glucose") is None
    assert w.state("reading_availability") == "offline"


def test_a_reading_15_min_old_makes_the_glucose_unavailable_on_the_broker_too():
    # HA's expire_after alone: a Home Assistant restarted while readings have stopped took the
    # retained glucose as a new update, current for another 15 min; "None" as the state showed
    # "unknown" and restarted the expiry. The reading's own availability says offline, retained
    def setup(w):
        _all_states(w.pub)
        w.at(1200 * 1000, lambda: w.pub.publish_reading(reading(2000, 140)))
    w = run_world(setup, until_s=2200)
    told = [(t, topic[4:], p) for t, topic, p, r in w.broker.publishes
            if t > 0 and topic.startswith("cgm/")]
    assert told[0] == (900000, "reading_availability", "offline"), told
    assert w.state("alarm") == "low" and w.state("link") == "encrypted"      # the others stand
    assert w.pub.connects == 1
    assert len(told) == 6 and sorted(told[1:5]) == [
        (1200000, "glucose", "140"), (1200000, "glucose_mmol", "7.8"),
        (1200000, "reading_availability", "online"), (1200000, "trend", "Flat")], told
    assert told[5] == (2100000, "reading_availability", "offline"), told    # and the next one expires too


def test_a_reading_that_comes_while_the_states_wait_for_room_is_sent():
    # the states go out a packet at a time, each waiting for the broker's ACKs to make room;
    # a reading that came meanwhile, after one that had expired, was skipped as stale with
    # it (the flush judged the reading's age once, at its start): the broker kept the old
    # glucose until the next reading (chaos seed 5052)
    def setup(w):
        w.pub.publish_reading(reading(1000, 132))
        w.pub.publish_link("encrypted")
        # 20 min on (between two pings): no room, and the link's news waits for it
        w.at(1210 * 1000, lambda: setattr(w.broker.sock, "room", 0))
        w.at(1210 * 1000 + 1, lambda: w.pub.publish_link("connected"))
        w.at(1213 * 1000, lambda: w.pub.publish_reading(reading(2000, 121)))
        w.at(1216 * 1000, lambda: setattr(w.broker.sock, "room", None))   # room again
    w = run_world(setup, until_s=1300)
    assert w.pub.connects == 1
    assert w.state("link") == "connected" and w.state("glucose") == "121", w.broker.publishes[-8:]
    assert w.state("reading_availability") == "online"


def test_a_reading_that_comes_old_expires_from_when_it_was_taken():
    # a follower's reading, or one the leader kept through an outage: 10 min old when it comes
    def setup(w):
        w.clock.wall = 1700000000
        w.pub.publish_reading((1000, 1700000000 - 600, 100, 0, "ok", "live"))
    w = run_world(setup, until_s=400)
    assert w.state("glucose") == "100"
    told = [(t, p) for t, topic, p, r in w.broker.publishes if topic == "cgm/reading_availability"]
    assert told == [(0, "online"), (300000, "offline")], told
    # 15 min old already: never shown as current
    def old(w):
        w.clock.wall = 1700000000
        w.pub.publish_reading((1000, 1700000000 - 900, 100, 0, "ok", "live"))
    w = run_world(old, until_s=5)
    assert w.state("glucose") is None and w.state("reading_availability") == "offline"
    # a wall clock not set, or a reading without a wall time: from its coming
    def unset(w):
        w.pub.publish_reading((1000, 1700000000 - 900, 100, 0, "ok", "live"))
    w = run_world(unset, until_s=5)
    assert w.state("glucose") == "100" and w.state("reading_availability") == "online"

    def undated(w):
        w.clock.wall = 1700000000
        w.pub.publish_reading((1000, None, 100, 0, "ok", "live"))
    w = run_world(undated, until_s=905)
    assert w.state("glucose") == "100"
    assert [(t, p) for t, topic, p, r in w.broker.publishes
            if topic == "cgm/reading_availability"] == [(0, "online"), (900000, "offline")]

    # dated after the box's clock (the clock behind): no longer than from its coming
    def ahead(w):
        w.clock.wall = 1700000000
        w.pub.publish_reading((1000, 1700000000 + 600, 100, 0, "ok", "live"))
    w = run_world(ahead, until_s=905)
    assert [(t, p) for t, topic, p, r in w.broker.publishes
            if topic == "cgm/reading_availability"] == [(0, "online"), (900000, "offline")]


def _reading_availability(w):
    return [(t, p) for t, topic, p, r in w.broker.publishes if topic == "cgm/reading_availability"]


def test_after_a_boot_the_old_glucose_is_unavailable_from_the_first_connection_to_the_first_reading():
    # helper-116: the broker still holds the last boot's glucose, however old. Left
    # "online" until a reading or 15 min, a Home Assistant restarted by the same
    # whole-house power cut took it as current for up to 15 min after the boot
    w = run_world(until_s=905)
    assert _reading_availability(w) == [(0, "offline")], _reading_availability(w)
    w = run_world(lambda w: w.at(200000, lambda: w.pub.publish_reading(reading(1000, 100))), until_s=300)
    assert _reading_availability(w) == [(0, "offline"), (200000, "online")], _reading_availability(w)
    assert w.state("glucose") == "100"
    # a broker that lost it (restarted) before the first reading is told again
    w = run_world(lambda w: w.at(10000, w.broker.restart), until_s=20)
    assert _reading_availability(w) == [(0, "offline"), (10000, "offline")], _reading_availability(w)
    # a reading before the first connection: online at once, never offline
    def early(w):
        w.broker.refuse = OSError(111)
        w.pub.publish_reading(reading(1000, 100))
        w.at(1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(early, until_s=10)
    assert _reading_availability(w) == [(2000, "online")], _reading_availability(w)


def broker_down(w, err):
    """The broker goes away: its connections closed, each new one refused with OSError(err)."""
    w.broker.refuse = OSError(err)
    w.broker.restart()


def test_back_off_doubles_from_2_s_to_5_min_and_starts_again_after_a_good_connection():
    snap = []

    def setup(w):
        w.broker.refuse = OSError(111)
        w.at(600000, lambda: setattr(w.broker, "refuse", None))
        w.at(700000, lambda: snap.append(w.pub.is_connected()))
        w.at(850000, lambda: snap.append(w.pub.is_connected()))
        w.at(950000, lambda: snap.append(w.pub.is_connected()))

        w.at(900000, lambda: broker_down(w, 113))
    w = run_world(setup, until_s=1000)
    # (from 900 s the broker that served the box is gone: a minute at most, mqtt._OUTAGE_S)
    assert w.loop.sleeps == [2, 4, 8, 16, 32, 64, 128, 256, 300, 2, 4, 8, 16, 32, 60], w.loop.sleeps
    assert connect_times(w) == [810000]
    assert snap == [False, True, False]
    assert w.logs[0] == "mqtt: connect to ha.lan:1883 failed: connection refused", w.logs
    assert len(w.broker.clients) == 9 + 1 + 6
    for cl in w.broker.clients:   # a refused connection's socket is closed too
        assert raw(cl).closed
    assert w.names.forgotten == [("ha.lan", 1883)] * 15, w.names.forgotten
    waits = run_world(lambda w: setattr(w.broker, "refuse", OSError(111)), until_s=4000).loop.sleeps
    # every 300 s, the one that would pass the hour's edge (3510 s + 300) cut to end just past it
    assert waits[8:] == [300] * 10 + [91, 300, 300], waits


def test_a_broker_lost_after_it_served_the_box_is_tried_every_minute_for_30_min():
    # (session 58, helper-266 on mosquitto) while the box is away the broker's retained
    # states are what Home Assistant shows as current: an `alarm_unanswered` "none" during
    # an urgent low. The broker served the box from 0 s, is down from 1000 s to 1300 s:
    # attempts at 1000, 1002, 1006, 1014, 1030, 1062, then every 60 s (1122, 1182, 1242,
    # 1302 s), not at 1126, 1254, 1510 s (back 210 s after the broker)
    def setup(w):
        w.at(1000 * 1000, lambda: broker_down(w, 111))
        w.at(1300 * 1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(setup, until_s=1400)
    assert connect_times(w) == [0, 1302000], connect_times(w)
    assert w.loop.sleeps == [2, 4, 8, 16, 32, 60, 60, 60, 60], w.loop.sleeps
    # past 30 min of the outage the back-off grows to 5 min again: the attempt at
    # 2802 s is the last a minute after the one before, the next at 2922, 3162, 3462 s
    def gone(w):
        w.at(1000 * 1000, lambda: broker_down(w, 111))
    w = run_world(gone, until_s=4000)
    sleeps = w.loop.sleeps
    assert sleeps[:5] == [2, 4, 8, 16, 32] and sleeps[5:34] == [60] * 29, sleeps
    assert sleeps[34:37] == [120, 240, 300], sleeps
    # before the broker has served the box this boot (a wrong host, a broker not set up
    # yet), the back-off is the usual 2 s .. 5 min (test_back_off_doubles_...)


def test_a_broker_lost_after_it_served_the_box_that_then_throws_it_out_is_not_tried_every_minute():
    # the minute is for a broker that does not answer (its retained states stand meanwhile);
    # one that answers, then closes each connection (an ACL, a shared client_id) took the
    # discovery and every state at each: served from 0 s, thrown out from 1000 s on, it was
    # connected to every minute for the 30 min (36 connections of 2.9 KB by 2800 s; 15 now)
    def setup(w):
        def storm():
            w.broker.kick = 10 ** 6
            w.broker.restart()
        w.at(1000 * 1000, storm)
    w = run_world(setup, until_s=2800)
    assert w.loop.sleeps == [2, 4, 8, 16, 32, 64, 128, 256] + [300] * 5, w.loop.sleeps
    assert len(connect_times(w)) == 1 + 15, connect_times(w)


def test_a_broker_that_drops_every_answered_connection_is_backed_off_from_the_third():
    # an ACL that drops the client, or two boxes sharing a client_id: each connection is
    # answered, then closed at once; not reconnected to in a loop
    def setup(w):
        w.broker.kick = 9       # a finite storm: a loop at one instant fails, not hangs
        w.at(330000, w.broker.restart)       # after a connection that lasted: at once again

        def storm():    # and a new storm is counted from nought: at once twice, then 2 s
            w.broker.kick = 3
            w.broker.restart()
        w.at(400000, storm)
    w = run_world(setup, until_s=410)
    assert connect_times(w) == [0, 0, 0, 2000, 6000, 14000, 30000, 62000, 126000, 254000,
                                330000, 400000, 400000, 400000, 402000], connect_times(w)
    assert w.loop.sleeps == [2, 4, 8, 16, 32, 64, 128, 2], w.loop.sleeps
    assert "mqtt: the broker closed 3 connections in a row at once; next in 2 s" in w.logs, w.logs
    assert "mqtt: the broker closed 9 connections in a row at once; next in 128 s" in w.logs, w.logs
    assert w.conds == []       # within the hour: not unreachable yet


def test_a_broker_that_resets_every_answered_connection_is_backed_off_from_the_third():
    # a broker that throws the box out while its publishes are still unread in the
    # broker's socket sends a reset, not a close (RFC 1122 4.2.2.13): the box read "read
    # error" and reconnected at once, again and again, with the discovery and every state
    def setup(w):
        w.broker.kick_reset = 9   # a finite storm: a loop at one instant fails, not hangs
    w = run_world(setup, until_s=300, wifi=True)
    assert connect_times(w) == [0, 0, 0, 2000, 6000, 14000, 30000, 62000, 126000, 254000], connect_times(w)
    assert w.loop.sleeps == [2, 4, 8, 16, 32, 64, 128], w.loop.sleeps


def test_connections_ended_by_the_wifi_or_a_write_are_taken_up_again_at_once():
    # (helper-97) a box at the edge of Wi-Fi range loses each connection within seconds; nor is
    # a write that does not fit the broker throwing the box out: no back-off for them
    def setup(w):
        def drop():
            w.wifi.up = False
            w.broker.restart()
        for t in (10000, 40000, 70000, 100000):
            w.at(t, drop)
            w.at(t + 5000, lambda: setattr(w.wifi, "up", True))
    w = run_world(setup, until_s=120, wifi=True)
    assert connect_times(w) == [0, 15000, 45000, 75000, 105000], connect_times(w)
    assert w.loop.sleeps == [], w.loop.sleeps

    def full(w):   # a packet the broker takes nothing of for 10 s (mqtt._WRITE_S)
        for t in (5000, 20000, 35000):
            w.at(t, lambda: setattr(w.broker.sock, "room", 0))
            w.at(t, lambda: w.pub.publish_link("l"))
    w = run_world(full, until_s=50)
    assert connect_times(w) == [0, 15000, 30000, 45000], connect_times(w)
    assert w.loop.sleeps == [], w.loop.sleeps
    # a broker that closes the box's connection after 30 s or more is no storm either
    def late(w):
        for t in (30000, 60000, 90000, 120000):
            w.at(t, w.broker.restart)
    w = run_world(late, until_s=125)
    assert connect_times(w) == [0, 30000, 60000, 90000, 120000] and w.loop.sleeps == [], w.loop.sleeps


def test_after_a_storm_a_connection_the_wifi_ended_starts_the_count_again():
    # thrown out 4 times (backed off from the third), then kept until Wi-Fi drops it after 4 s:
    # not the broker's doing, so it is taken up at once, and two more throws are not a storm
    def setup(w):
        w.broker.kick = 4

        def drop():
            w.wifi.up = False
            w.broker.restart()

        def back():
            w.wifi.up = True
            w.broker.kick = 2
        w.at(10000, drop)
        w.at(15000, back)
    w = run_world(setup, until_s=20, wifi=True)
    assert connect_times(w) == [0, 0, 0, 2000, 6000, 15000, 15000, 15000], connect_times(w)
    assert w.loop.sleeps == [2, 4], w.loop.sleeps


def test_a_failed_lookup_or_discovery_is_a_failed_connect():
    def setup(w):
        w.names.fail = OSError("no address for ha.lan")
        w.at(3000, lambda: setattr(w.names, "fail", None))
        w.at(3000, lambda: setattr(w.broker, "room", 40))   # discovery does not fit (10 s each)
        w.at(40000, lambda: setattr(w.broker, "room", None))
    w = run_world(setup, until_s=60)
    assert w.loop.sleeps == [2, 4, 8, 16], w.loop.sleeps
    assert len(w.broker.clients) == 3      # no client while the lookup fails
    assert [raw(cl).closed for cl in w.broker.clients[:2]] == [True, True]
    # a failed lookup forgets nothing, nor does a discovery not taken: the broker took the
    # CONNECT at that address (test_a_broker_that_takes_the_login_then_stalls_...)
    assert w.names.forgotten == [], w.names.forgotten
    assert connect_times(w) == [50000], connect_times(w)
    assert w.pub.connects == 1


def test_a_write_that_does_not_fit_waits_for_room_then_reconnects_and_sends_again():
    # the send buffer frees as the broker acknowledges: a packet that does not fit waits
    # for room (the board's lwIP takes 16 segments, 5.7 KB); one that gets none for 10 s
    # (a stalled broker) ends the connection, and it is sent whole on the next one
    def setup(w):
        w.at(5000, lambda: setattr(w.broker.sock, "room", 0))        # None: would block
        w.at(5000, lambda: w.pub.publish_link("encrypted"))
        w.at(20000, lambda: setattr(w.broker.sock, "room", 3))       # a part of the packet
        w.at(20000, lambda: w.pub.publish_link("disconnected"))
        w.at(40000, lambda: setattr(w.broker.sock, "room", 0))
        w.at(40000, lambda: w.pub.publish_link("scanning"))
        w.at(40000, lambda: w.pub.publish_alarm("low"))
        w.at(45000, lambda: setattr(w.broker.sock, "room", None))    # room again within 10 s
    w = run_world(setup, until_s=50)
    assert connect_times(w) == [0, 15000, 30000], connect_times(w)
    assert w.logs.count("mqtt: connection lost (write failed: mqtt: send buffer full)") == 2, w.logs
    # each sent whole once, on the connection after the one it did not fit
    links = [(t, payload) for t, topic, payload, retain in w.broker.publishes if topic == "cgm/link"]
    assert links == [(15000, "encrypted"), (30000, "disconnected"), (45000, "scanning")], links
    assert w.state("link") == "scanning" and w.state("alarm") == "low"


def test_a_read_error_reconnects():
    def setup(w):
        w.at(5000, lambda: setattr(w.broker.sock, "read_error", OSError(104)))
    w = run_world(setup, until_s=10)
    assert connect_times(w) == [0, 5000], connect_times(w)
    lost = [line for line in w.logs if line.startswith("mqtt: connection lost (read error ")]
    assert len(lost) == 1 and "104" in lost[0], w.logs


# --- pings ---------------------------------------------------------------------------

def test_a_ping_after_connecting_and_every_half_keepalive_whatever_is_sent():
    w = run_world(until_s=45, cfg={"host": "ha.lan", "keepalive_s": 20})
    assert w.broker.pings == [0, 10000, 20000, 30000, 40000], w.broker.pings

    def setup(w):
        for t in range(500, 45000, 700):
            w.at(t, lambda t=t: w.pub.publish_link("l%d" % t))
    w = run_world(setup, until_s=45, cfg={"host": "ha.lan", "keepalive_s": 20})
    pings = w.broker.pings
    assert pings[0] == 0 and len(pings) == 5, pings   # (the loop wakes at least every second)
    for a, b in zip(pings, pings[1:]):
        assert 10000 <= b - a <= 11000, pings
    assert w.pub.connects == 1


def test_a_broker_that_stops_answering_is_left_after_keepalive():
    def setup(w):
        w.at(15000, lambda: setattr(w.broker, "answering", False))
    w = run_world(setup, until_s=50, cfg={"host": "ha.lan", "keepalive_s": 20})
    # the ping at 20 s goes unanswered; more than 20 s later (checked each second) it is left
    assert connect_times(w) == [0, 41000], connect_times(w)
    assert "mqtt: connection lost (no answer to a ping within 20 s)" in w.logs, w.logs
    assert w.broker.pings[:4] == [0, 10000, 20000, 30000], w.broker.pings


def test_a_late_answer_within_keepalive_keeps_the_connection():
    def setup(w):
        w.broker.answer_ms = 19000
    w = run_world(setup, until_s=120, cfg={"host": "ha.lan", "keepalive_s": 20})
    assert w.pub.connects == 1 and len(w.broker.clients) == 1, w.logs
    assert w.conds == []


def test_a_broker_that_accepts_but_never_answers_is_left_and_backed_off():
    def setup(w):
        w.broker.answering = False
    w = run_world(setup, until_s=300)
    # left 61 s after each connect, then the back-off as after a refusal
    assert connect_times(w) == [0, 63000, 128000, 197000, 274000], connect_times(w)
    assert w.loop.sleeps == [2, 4, 8, 16], w.loop.sleeps
    assert w.conds == []


# --- mqtt_unreachable ----------------------------------------------------------------

UNREACHABLE = ("forwarding", "mqtt_unreachable")


def test_unreachable_after_an_hour_of_refusals_and_cleared_when_the_broker_answers():
    def setup(w):
        w.broker.refuse = OSError(111)
        w.at(3900 * 1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(setup, until_s=4200)
    # attempts at 0, 2, 6, ... 510, 810, then every 300 s to 3510 s, within the hour; the
    # next back-off is cut to 91 s: refused at 3601 s, past the hour (not at 3810 s, 5 min
    # late); the broker is back at 3900 s and answers the attempt at 3901 s
    assert w.conds == [(3601000,) + UNREACHABLE + (True,), (3901000,) + UNREACHABLE + (False,)], w.conds


def test_the_hour_counts_from_the_last_answered_connection():
    def setup(w):
        w.at(1000 * 1000, lambda: broker_down(w, 111))
    w = run_world(setup, until_s=5000)
    assert w.conds == [(4601000,) + UNREACHABLE + (True,)], w.conds
    # (every minute to 2802 s, then 120, 240, 300 s apart: 4362 s, cut to end past 4600 s)
    assert w.loop.sleeps[-3:] == [239, 300, 300], w.loop.sleeps


def test_an_accepted_connection_clears_it_only_once_the_broker_answers():
    def setup(w):
        w.broker.refuse = OSError(111)

        def mute():
            w.broker.refuse = None
            w.broker.answering = False
        w.at(3900 * 1000, mute)
        w.at(4500 * 1000, lambda: setattr(w.broker, "answering", True))
    w = run_world(setup, until_s=4800)
    assert w.conds[0] == (3601000,) + UNREACHABLE + (True,), w.conds
    assert len(w.conds) == 2 and w.conds[1][1:] == UNREACHABLE + (False,), w.conds
    assert w.conds[1][0] > 4500 * 1000, w.conds


def test_a_silent_broker_after_a_good_connection_counts_toward_the_hour():
    # a connection accepted and never answered does not start the hour again
    def setup(w):
        w.at(1000, lambda: setattr(w.broker, "answering", False))
        w.at(1000, w.broker.restart)
    w = run_world(setup, until_s=4000)
    assert len(w.conds) == 1 and w.conds[0][1:] == UNREACHABLE + (True,), w.conds
    assert 3601000 < w.conds[0][0] < 3601000 + 400000, w.conds
    sleeps = w.loop.sleeps
    assert sleeps[:9] == [2, 4, 8, 16, 32, 64, 128, 256, 300], sleeps


def test_an_hour_of_a_broker_throwing_the_box_out_is_unreachable_until_a_connection_lasts_30_s():
    # it answers every connection and closes it at once (an ACL, a client_id two boxes
    # share): nothing reaches Home Assistant, and that must not stay silent. Connections
    # at 0, 0, 0, 2, 6, ... 510, 810, then every 300 s to 3510 s; the back-off is cut to
    # 91 s so one is made just past the hour (3601 s). The first connection that is kept
    # (3901 s) clears it once it has lasted 30 s
    def setup(w):
        w.broker.kick = 10 ** 6
        w.at(3900 * 1000, lambda: setattr(w.broker, "kick", 0))
    w = run_world(setup, until_s=4200)
    assert w.conds == [(3601000,) + UNREACHABLE + (True,), (3931000,) + UNREACHABLE + (False,)], w.conds
    assert connect_times(w)[-3:] == [3510000, 3601000, 3901000], connect_times(w)


def test_a_storm_after_a_good_connection_counts_its_hour_from_when_that_one_ended():
    connects = []

    def keep_connects(w):   # (the broker's records of 45 connections outgrow the port's heap)
        connects.extend(connect_times(w))
        del w.broker.publishes[:]

    def setup(w):
        w.at(1000 * 1000, lambda: setattr(w.broker, "kick", 10 ** 6))
        w.at(1000 * 1000, w.broker.restart)
        for t in range(1500, 4900, 500):
            w.at(t * 1000, lambda: keep_connects(w))
    w = run_world(setup, until_s=4900)
    keep_connects(w)
    # kept from 0 to 1000 s; thrown out from then on: at 1000 s, at once twice more, then
    # 2, 4, ... 256 s apart (1510 s), then 300 s apart to 4510 s (not every 60 s for the
    # first 30 min after the broker served the box: it answers, test_a_broker_lost_after_it_
    # served_the_box_that_then_throws_it_out_...); the next cut to end just past 4600 s
    assert w.conds == [(4601000,) + UNREACHABLE + (True,)], w.conds
    assert connects[-2:] == [4510000, 4601000], connects


def test_unreachable_after_an_hour_without_wifi_and_cleared_after():
    def setup(w):
        w.wifi.up = False
        w.at(3700 * 1000, lambda: setattr(w.wifi, "up", True))
    w = run_world(setup, until_s=3800, wifi=True)
    # Wi-Fi waited for a minute at a time: at 3600 s it is an hour, not more
    assert w.conds == [(3660000,) + UNREACHABLE + (True,), (3700000,) + UNREACHABLE + (False,)], w.conds
    assert set(w.loop.wait_fors) == {60} and len(w.loop.wait_fors) == 62, w.loop.wait_fors
    assert connect_times(w) == [3700000]
    assert w.wifi.quiet[0] == (3700000, 2000, True, "ha.lan", 1883), w.wifi.quiet


def test_a_connect_waits_for_a_quiet_radio_and_so_does_a_publish():
    def setup(w):
        w.at(5000, lambda: w.pub.publish_link("encrypted"))
        w.at(6000, w.broker.restart)
    w = run_world(setup, until_s=10, wifi=True)
    # (the first publish at 0: the boot's reading_availability, offline)
    assert w.wifi.quiet == [(0, 2000, True, "ha.lan", 1883), (0, 500, False, None, None),
                            (5000, 500, False, None, None),
                            (6000, 2000, True, "ha.lan", 1883), (6000, 500, False, None, None)], w.wifi.quiet


def test_a_condition_reporter_that_fails_is_logged_and_the_publisher_goes_on():
    calls = []

    def boom(kind, name, on):
        calls.append((kind, name, on))
        raise RuntimeError("boom")

    def setup(w):
        w.broker.refuse = OSError(111)
        w.at(3900 * 1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(setup, until_s=4200, on_condition=boom)
    # (never told raised, its end is no news: only a raise told is cleared)
    assert calls == [UNREACHABLE + (True,)], calls
    failed = [line for line in w.logs if line.startswith("mqtt: reporting the condition failed: ")]
    assert len(failed) == 1 and "boom" in failed[0], w.logs
    assert connect_times(w) == [3901000]


def test_a_condition_whose_report_failed_is_told_again_at_the_next_call():
    # helper-351: it was marked told before the report, which ran out of memory: the broker
    # refused all night and mqtt_unreachable was never told (safe only while main.App.condition
    # kept a word the engine had no memory for; a MemoryError before it was lost)
    calls, world = [], []

    def short_once(kind, name, on):
        calls.append((world[0].clock.t, kind, name, on))
        if len(calls) == 1:
            raise MemoryError("memory allocation failed")

    def setup(w):
        world.append(w)
        w.broker.refuse = OSError(111)
        w.at(4200 * 1000, lambda: setattr(w.broker, "refuse", None))
    run_world(setup, until_s=4500, on_condition=short_once)
    assert calls == [(3601000,) + UNREACHABLE + (True,), (3901000,) + UNREACHABLE + (True,),
                     (4201000,) + UNREACHABLE + (False,)], calls


# --- mqtt_auth: the broker refuses the box's login ---------------------------------

AUTH = ("forwarding", "mqtt_auth")


class MQTTException(Exception):
    """umqtt.simple's, raised with the CONNACK's return code when the broker refuses."""


def test_a_login_refused_for_10_min_raises_mqtt_auth_until_the_broker_takes_the_box():
    # a Home Assistant user whose password changed: CONNACK 4 at every attempt. Attempts at
    # 0, 2, 6, ... 254, 510; the next back-off (300 s) is cut to 91 s so that one is made
    # at the 10 minutes' edge (601 s), not at 810 s. No mqtt_unreachable at the hour: the
    # broker answers, it refuses. The broker takes the box again from 4000 s (the
    # family set the password): the attempt at 4201 s clears it
    def setup(w):
        w.broker.refuse = MQTTException(4)
        w.at(4000 * 1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(setup, until_s=4300)
    assert w.conds == [(601000,) + AUTH + (True,), (4201000,) + AUTH + (False,)], w.conds
    assert w.loop.sleeps[:10] == [2, 4, 8, 16, 32, 64, 128, 256, 91, 300], w.loop.sleeps
    assert w.pub.last_failure is None and connect_times(w) == [4201000], w.pub.last_failure


def test_a_refusal_while_home_assistant_restarts_raises_nothing_a_lasting_one_does():
    # the Mosquitto add-on asks Home Assistant for each login, and refuses them (CONNACK 5)
    # while it restarts: 0 to 500 s here (attempts to 254 s refused, 510 s taken), then the
    # box is served. From 1000 s the box is refused again (1000, 1002, ... 1062 s, then every
    # minute: the broker served the box), except that the attempt at 1542 s is not taken at
    # all (the add-on restarting too): the 10 minutes count again from the next refusal
    # (1602 s), and end at 2202 s
    def setup(w):
        w.broker.refuse = MQTTException(5)
        w.at(500 * 1000, lambda: setattr(w.broker, "refuse", None))

        def refused():
            w.broker.refuse = MQTTException(5)
            w.broker.restart()
        w.at(1000 * 1000, refused)
        w.at(1535 * 1000, lambda: setattr(w.broker, "refuse", OSError(111)))
        w.at(1545 * 1000, lambda: setattr(w.broker, "refuse", MQTTException(5)))
    w = run_world(setup, until_s=2500)
    assert connect_times(w) == [510000], connect_times(w)
    assert w.conds == [(2202000,) + AUTH + (True,)], w.conds


def test_the_10_min_of_refusals_count_only_time_with_wifi_up():
    # refused (Home Assistant restarting, say) at 0, 2, 6, 14, 30, 62 s; the Wi-Fi down from
    # 100 s (seen at the attempt due at 126 s) to 1900 s; refused again from 1900 s. No
    # attempt was refused for those 30 min: before, the refusal at 1900 s raised mqtt_auth at
    # once ("your password is refused" after two refusals seconds of network apart). The
    # 62 s of refusals before the outage count (not the back-off after them, the Wi-Fi lost in
    # it: helper-290): the attempt at 2439 s ends 10 min of refusals with Wi-Fi up
    def setup(w):
        w.broker.refuse = MQTTException(5)
        w.at(100 * 1000, lambda: setattr(w.wifi, "up", False))
        w.at(1900 * 1000, lambda: setattr(w.wifi, "up", True))
    w = run_world(setup, until_s=2500, wifi=True)
    assert w.conds == [(2439000,) + AUTH + (True,)], w.conds
    refused = [t for t, _, _, _, _ in w.wifi.quiet]
    assert refused == [0, 2000, 6000, 14000, 30000, 62000, 1900000, 2028000, 2284000, 2439000], refused


def test_wifi_lost_during_the_back_off_does_not_count_toward_the_10_min():
    # refused at 0, 2, 6, 14, 30, 62, 126, 254 s; the Wi-Fi down from 256 s, seen only at the
    # attempt due at 510 s, to 2000 s. At most 256 s of refusals with Wi-Fi up came before the
    # outage: mqtt_auth no sooner than 344 s of them after it. Before, the 254 s of the back-off
    # the Wi-Fi was down for counted, and it came at 2090 s, 90 s after the outage
    def setup(w):
        w.broker.refuse = MQTTException(5)
        w.at(256 * 1000, lambda: setattr(w.wifi, "up", False))
        w.at(2000 * 1000, lambda: setattr(w.wifi, "up", True))
    w = run_world(setup, until_s=2800, wifi=True)
    assert len(w.conds) == 1 and w.conds[0][1:] == AUTH + (True,), w.conds
    assert w.conds[0][0] >= (2000 + 600 - 256) * 1000, w.conds


def test_a_refusal_after_an_hour_unreachable_says_refused_not_unreachable():
    # the broker gone an hour (mqtt_unreachable), then back refusing the box's login (a
    # Home Assistant reinstalled, its users made anew): once refused for 10 min the alarm
    # names the refusal, and the broker that answers is no longer called unreachable
    def setup(w):
        w.broker.refuse = OSError(111)
        w.at(3900 * 1000, lambda: setattr(w.broker, "refuse", MQTTException(4)))
    w = run_world(setup, until_s=4700)
    assert w.conds == [(3601000,) + UNREACHABLE + (True,), (4501000,) + AUTH + (True,),
                       (4501000,) + UNREACHABLE + (False,)], w.conds


def test_a_broker_restarted_after_an_hour_of_refusals_is_not_called_unreachable():
    # (chaos round 27) a password changed in Home Assistant: CONNACK 4 from 0 s, mqtt_auth at
    # 601 s. At 4150 s the family adds the box's login and restarts the Mosquitto add-on: down
    # (connection refused) for a minute, then it takes the box. The broker answered (refused)
    # until 4150 s: the attempt at 4201 s that finds it restarting is not an hour without an
    # answering broker, and raises no mqtt_unreachable (it did, at once: the hour counted from
    # 0 s, through the refusals); mqtt_auth is cleared when the broker takes the box (4501 s)
    def setup(w):
        w.broker.refuse = MQTTException(4)
        w.at(4150 * 1000, lambda: setattr(w.broker, "refuse", OSError(111)))
        w.at(4210 * 1000, lambda: setattr(w.broker, "refuse", None))
    w = run_world(setup, until_s=4600)
    assert w.conds == [(601000,) + AUTH + (True,), (4501000,) + AUTH + (False,)], w.conds
    # an hour without an answer after the last refusal (601 s) is one, as ever: raised at
    # the attempt just past its edge
    def gone(w):
        w.broker.refuse = MQTTException(4)
        w.at(700 * 1000, lambda: setattr(w.broker, "refuse", OSError(111)))
    w = run_world(gone, until_s=4700)
    assert [c for c in w.conds if c[1:3] == UNREACHABLE] == [(4202000,) + UNREACHABLE + (True,)], w.conds


def test_one_other_failure_among_refusals_for_hours_says_nothing_of_an_unreachable_broker():
    # a wrong password from 0 s: mqtt_auth at 601 s, answered. At 5101 s one attempt is
    # not taken at all (the broker restarting: connection refused), the next refused again.
    # A broker that refused the box 300 s before answered it: that one failure is no hour
    # without an answer. Before, it raised mqtt_unreachable at once (the hour counted from
    # the box's last service, at 0 s), a new reason that sounded the answered alarm again
    # and stood beside the refusal for 10 more minutes of refusals
    def setup(w):
        w.broker.refuse = MQTTException(4)
        w.at(5050 * 1000, lambda: setattr(w.broker, "refuse", OSError(111)))
        w.at(5150 * 1000, lambda: setattr(w.broker, "refuse", MQTTException(4)))
    w = run_world(setup, until_s=6200)
    assert w.conds == [(601000,) + AUTH + (True,)], w.conds


class Resolver:
    """forward.names' socket module: each lookup counted (s, host), answered with IP, or
    (silent, the world's clock given) none after holding the board 7 s."""
    SOCK_STREAM = 1

    def __init__(self, names_world):
        self.lookups = []
        self.clock = None

    def getaddrinfo(self, host, port, family=0, kind=0):
        from forward import names
        self.lookups.append((names._now_s(), host))
        if self.clock is not None:
            self.clock.t += 7000
            raise OSError(-3)
        return [(2, 1, 0, "", (IP, port))]


def test_a_broker_that_refuses_the_login_keeps_its_address():
    # the broker answered at the kept address (a CONNACK refusing the box: it spoke MQTT),
    # so the name is not looked up again for it: before, each refusal marked the address
    # for a new lookup, made every RESOLVE_AGAIN_S (15 min) through a refusal span, each
    # holding the board up to 7 s with a silent DNS server (the real forward.names here,
    # its lookups counted). A broker that does not answer still has its name looked up again.
    # A refused login's row has it looked up once more, at its first attempt RESOLVE_AGAIN_S
    # after the last lookup (901 s: test_a_refusal_at_the_kept_address_has_the_name_looked_...)
    from forward import names

    def refused(w, why):
        mqtt.names = names   # (World.__exit__ puts the stand-in back)
        names._now_s = lambda: w.clock.t // 1000
        w.broker.refuse = why
    for why in (MQTTException(4), MQTTException(5), MQTTException(3), OSError(111)):
        with NamesWorld(Resolver) as nw:
            w = run_world(lambda w: refused(w, why), until_s=7200)
            assert len(w.broker.clients) > 20
            if isinstance(why, OSError):   # at the first attempt RESOLVE_AGAIN_S after the last
                assert len(nw.sock.lookups) == 8, nw.sock.lookups   # (0, 1110, 2010 ... 6301 s)
            elif why.args == (3,):   # (server unavailable: not a refused login)
                assert nw.sock.lookups == [(0, "ha.lan")], (why, nw.sock.lookups)
            else:
                assert nw.sock.lookups == [(0, "ha.lan"), (901, "ha.lan")], (why, nw.sock.lookups)


class MovingResolver(Resolver):
    """Resolver whose answer is `ip` (the broker moved: set it to its new address)."""
    ip = IP

    def getaddrinfo(self, host, port, family=0, kind=0):
        Resolver.getaddrinfo(self, host, port)
        return [(2, 1, 0, "", (self.ip, port))]


def test_a_refusal_at_the_kept_address_has_the_name_looked_up_once_more():
    # the broker served the box at IP from 0 s; at 1000 s it moved (a new DHCP address, its
    # name's answer with it), and another broker took IP, refusing the box's login. Before,
    # a refusal kept the address: the box never looked the name up again, and told
    # mqtt_auth ("your password is refused") at 1601 s, for ever. Now the first refusal of
    # a row marks the address for one more lookup (when forward.names allows: RESOLVE_AGAIN_S
    # after the last), and the box finds the broker at its new address
    from forward import names
    moved = "10.0.0.8"

    def setup(w):
        mqtt.names = names   # (World.__exit__ puts the stand-in back)
        names._now_s = lambda: w.clock.t // 1000
        serve = w.broker.connect

        def connect(cl):
            if nw.sock.ip == moved and cl.args[1] != moved:
                raise MQTTException(5)   # the other broker, at the old address
            serve(cl)
        w.broker.connect = connect

        def move():
            nw.sock.ip = moved
            w.broker.restart()
        w.at(1000 * 1000, move)
    with NamesWorld(MovingResolver) as nw:
        w = run_world(setup, until_s=3000)
        assert nw.sock.lookups == [(0, "ha.lan"), (1002, "ha.lan")], nw.sock.lookups
    assert w.conds == [], w.conds
    assert connect_times(w) == [0, 1002000], connect_times(w)
    assert w.broker.clients[-1].args[1] == moved


def test_a_broker_that_takes_the_login_then_stalls_on_discovery_keeps_its_address():
    # the broker accepted the CONNECT (CONNACK 0 at the kept address: it is the broker), then
    # took nothing of the discovery for 10 s, at every connection: before, each such failure
    # marked the address for a new lookup, made every RESOLVE_AGAIN_S (15 min), each holding
    # the board up to 7 s with a silent DNS server (the real forward.names, lookups counted)
    from forward import names

    def stalls(w):
        mqtt.names = names   # (World.__exit__ puts the stand-in back)
        names._now_s = lambda: w.clock.t // 1000
        w.broker.room = 40   # each new connection's send buffer: not one discovery packet
    with NamesWorld(Resolver) as nw:
        w = run_world(stalls, until_s=7200)
        assert len(w.broker.clients) > 20 and w.pub.connects == 0, w.logs[-3:]
        assert nw.sock.lookups == [(0, "ha.lan")], nw.sock.lookups


def test_the_attempts_a_minute_after_losing_the_broker_look_its_name_up_no_more_often():
    # the back-off's minute (mqtt._OUTAGE_BACKOFF_MAX_S) against a DNS server gone silent
    # with the broker: each attempt forgets the address, yet forward.names looks the name
    # up once per RESOLVE_AGAIN_S at most (each lookup holding the board 7 s), as with 5 min
    from forward import names

    def setup(w):
        mqtt.names = names
        names._now_s = lambda: w.clock.t // 1000

        def down():
            w.broker.refuse = OSError(113)
            w.broker.restart()
            nw.sock.clock = w.clock
        w.at(1000 * 1000, down)
    with NamesWorld(Resolver) as nw:
        w = run_world(setup, until_s=1000 + 3600)
        looked = [t for t, host in nw.sock.lookups]
    assert looked == [0, 1002, 1909, 2816, 3783], looked
    assert len(w.broker.clients) > 40


# --- memory -------------------------------------------------------------------------

def test_a_memory_error_is_reported_through_on_memory():
    def setup(w):
        w.broker.refuse = MemoryError()
        w.at(5000, lambda: setattr(w.broker, "refuse", OSError(111)))
    w = run_world(setup, until_s=20)
    assert w.memory == [0, 2000], w.memory   # the OSError after them is not one
    assert w.logs[0] == "mqtt: connect to ha.lan:1883 failed: MemoryError", w.logs
    w = run_world(lambda w: setattr(w.broker, "refuse", MemoryError()), until_s=20, on_memory=False)
    assert len(w.broker.clients) == 4 and w.loop.sleeps == [2, 4, 8, 16], w.loop.sleeps


# --- the socket after CONNECT ------------------------------------------------------

def test_the_socket_after_connect_gathers_a_packet_for_send():
    b = Broker(Clock(7))
    s = Sock(b)
    nb = mqtt._NonBlockingSocket(s)
    assert nb.write(b"\xc0\x00\xff\xff", 2) == 2       # umqtt's write(pkt, n)
    assert nb.write(bytearray(b"\x30")) == 1
    assert nb.out == b"\xc0\x00\x30" and b.pings == [] and s.out == b""   # send() writes it
    s.inbox = b"\xd0\x00\xd0"
    assert nb.read(2) == b"\xd0\x00" and s.inbox == b"\xd0"
    nb.setblocking(True)                                # umqtt's wait_msg asks it: not taken
    assert s.blocking is True and (nb.setblocking(True) is None)
    s.blocking = False
    nb.setblocking(True)
    assert s.blocking is False
    nb.close()
    assert s.closed


def test_a_state_is_sent_at_once_not_at_the_next_wake():
    def setup(w):
        w.at(5300, lambda: w.pub.publish_alarm("urgent_low"))
        w.at(7010, lambda: w.pub.publish_link("disconnected"))
    w = run_world(setup, until_s=9)
    # after the discovery, online and the boot's reading_availability
    sent = [(t, topic) for t, topic, payload, retain in w.broker.publishes[10:]]
    assert sent[:2] == [(5300, "cgm/alarm"), (5300, "cgm/alarm_unanswered")] \
        or sent[:2] == [(5300, "cgm/alarm_unanswered"), (5300, "cgm/alarm")], sent
    assert sent[2:] == [(7010, "cgm/link")], sent


def test_the_default_client_is_umqtt_simples():
    made = []

    class Simple:
        def MQTTClient(*args):
            made.append(args[0])
            return w.broker.client(*args)
    Simple.MQTTClient = staticmethod(Simple.MQTTClient)
    w = World(until_s=2)

    def run():
        with w:
            w.pub = swap_module("machine", BOARD,
                                lambda: mqtt.MqttPublisher(w.cfg, log=w.logs.append))
            w.run()
    swap_module("umqtt", Simple(), lambda: swap_module("umqtt.simple", Simple(), run))
    assert made == [b"bedside_cgm-c4123456"], made
    assert w.pub.connects == 1 and w.state("availability") == "online"


def test_the_unanswered_ping_is_told_in_whole_seconds_of_keepalive():
    def setup(w):
        w.broker.answering = False
    w = run_world(setup, until_s=1002, cfg={"host": "ha.lan", "keepalive_s": 1000})
    assert w.logs[1] == "mqtt: connection lost (no answer to a ping within 1000 s)", w.logs
    assert connect_times(w) == [0], connect_times(w)


# --- the hour's edge: the first failure past an hour since the last answer ----------

D = 10000   # the answered connection ends 10 s after the start


def first_unreachable(refuse, wifi_up, wifi_down=None):
    """ms after D of the first mqtt_unreachable: at D the broker goes (refusing
    connections, or taking them and never answering) and Wi-Fi with it; Wi-Fi
    comes back at D + wifi_up (and goes again at D + wifi_down)."""
    def setup(w):
        def gone():
            if refuse:
                w.broker.refuse = OSError(111)
            w.broker.answering = False
            w.broker.restart()
            w.wifi.up = False
        w.at(D, gone)
        if wifi_up is not None:
            w.at(D + wifi_up, lambda: setattr(w.wifi, "up", True))
        if wifi_down is not None:
            w.at(D + wifi_down, lambda: setattr(w.wifi, "up", False))
    w = run_world(setup, until_s=(D + 3700000) // 1000, wifi=True)
    raised = [c[0] - D for c in w.conds if c[3]]
    assert len(raised) <= 1 and len(w.conds) == len(raised), w.conds
    return raised[0] if raised else None


def test_unreachable_at_the_first_refusal_past_the_hour():
    # refused at 3599.5 s: the 2-s back-off is cut to 1 s, to just past the hour
    assert first_unreachable(True, 3599500) == 3600500
    assert first_unreachable(True, 3600000) == 3601000     # an hour is not past it
    # 2 s before: the back-off is not cut; refused again at the hour, not past it, then 1 s
    assert first_unreachable(True, 3598000) == 3601000
    assert first_unreachable(True, 3597999) == 3600999
    assert first_unreachable(True, 3600500) == 3600500


def test_unreachable_at_the_first_wifi_wait_past_the_hour():
    assert first_unreachable(True, None) == 3660000        # waited a minute at a time
    # Wi-Fi back a moment at 58.5 s (a refusal, 2 s back-off), then minutes from 60.5 s
    assert first_unreachable(True, 58500, 59500) == 3600500


def test_unreachable_at_the_first_silent_connection_past_the_hour():
    # a connection taken and never answered is left 61 s after it was made
    assert first_unreachable(False, 3538500) == 3661500    # left at 3599.5 s, then 1 s + 61 s
    assert first_unreachable(False, 3539000) == 3662000    # left at the hour: not past it
    assert first_unreachable(False, 3539500) == 3600500


def test_a_memory_error_in_the_reader_is_a_lost_connection_reported_through_on_memory():
    # the reader task ended with the MemoryError unseen: the publisher then read a
    # reason never set (AttributeError out of run: the task failed and was
    # restarted, the memory pressure not counted), or a past connection's
    def setup(w):
        w.at(5000, lambda: setattr(w.broker.sock, "read_error", MemoryError()))
    w = run_world(setup, until_s=10)
    assert w.memory == [5000], w.memory
    assert connect_times(w) == [0, 5000], connect_times(w)
    lost = [line for line in w.logs if line.startswith("mqtt: connection lost (")]
    assert lost[0] == "mqtt: connection lost (read error MemoryError)", w.logs
    # another error there: a lost connection too, not a memory report
    w = run_world(lambda w: w.at(5000, lambda: setattr(w.broker.sock, "read_error", ValueError())),
                  until_s=10)
    assert w.memory == [] and connect_times(w) == [0, 5000], (w.memory, w.logs)
    assert "mqtt: connection lost (read error ValueError)" in w.logs, w.logs
    w = run_world(lambda w: w.at(5000, lambda: setattr(w.broker.sock, "read_error", MemoryError())),
                  until_s=10, on_memory=False)
    assert connect_times(w) == [0, 5000], w.logs


# --- rules the mutation run of session 63 found unheld (helper-314) ---------------------

def _undated_backfill(behind_s, came_ms=65000, until_s=1000):
    """No wall clock: its session's live reading a sensor error at 5 s (dex 30000), then a
    backfill behind_s behind it on the transmitter's clock, coming at came_ms."""
    def setup(w):
        w.at(5000, lambda: w.pub.publish_reading((30000, None, None, None, "error", "live")))
        w.at(came_ms, lambda: w.pub.publish_reading((30000 - behind_s, None, 100, 0, "ok", "backfill")))
    return run_world(setup, until_s=until_s)


def test_without_a_wall_clock_a_backfill_expires_from_its_time_on_the_transmitters_clock():
    # 10 min behind its session's live reading, a minute after it: 11 min old when it
    # comes, unavailable 4 min later (not shown 15 min as the current glucose)
    w = _undated_backfill(600)
    assert w.state("glucose") == "100"
    assert _reading_availability(w) == [(0, "offline"), (65000, "online"), (305000, "offline")], \
        _reading_availability(w)
    # at the live reading's own time: as old as the time since it
    w = _undated_backfill(0, came_ms=605000)
    assert _reading_availability(w)[1:] == [(605000, "online"), (905000, "offline")], \
        _reading_availability(w)
    # 6 h behind at most: dated (never shown as current); further, another clock's: from its coming
    w = _undated_backfill(6 * 3600)
    assert w.state("glucose") is None and [p for t, p in _reading_availability(w)] == ["offline"] * 2
    w = _undated_backfill(6 * 3600 + 1)
    assert _reading_availability(w) == [(0, "offline"), (65000, "online"), (965000, "offline")], \
        _reading_availability(w)


def _packets(data):
    """The MQTT packets in data, whole ones only: [(first byte, length)]."""
    got, i = [], 0
    while i < len(data):
        n, shift, j = 0, 0, i + 1
        while True:
            n |= (data[j] & 0x7F) << shift
            shift += 7
            j += 1
            if not data[j - 1] & 0x80:
                break
        got.append((data[i], j + n - i))
        i = j + n
    assert i == len(data), "a packet cut"
    return got


def test_each_packet_after_connect_goes_in_a_write_of_its_own_the_availability_last_of_the_states():
    # the board's lwIP holds 16 segments unacknowledged: what follows each CONNECT written in
    # one go did not fit, and every connection failed alike. `online` after every state (a
    # past boot's retained glucose showed as current from `online` until this boot's came),
    # and reading_availability after the reading's states (else the old glucose showed
    # `online` again until the new one came)
    def setup(w):
        w.pub.publish_reading(reading(1000, 132))
        w.pub.publish_alarm("low", "low")
        w.pub.publish_battery("ok")
        w.pub.publish_link("connected")
    w = run_world(setup, until_s=5)
    writes = w.broker.sock.writes
    assert all(len(_packets(d)) == 1 for d in writes), [_packets(d) for d in writes]
    topics = [t for _, t, _, _ in w.broker.publishes]
    states = [t for t in topics if not t.startswith("homeassistant/")]
    assert states[-1] == "cgm/availability" and states[-2] == "cgm/reading_availability", states
    assert len(states) == 9 and topics.index("cgm/glucose") > max(
        i for i, t in enumerate(topics) if t.startswith("homeassistant/")), topics


# --- the CONNECT's one deadline (_connect_within), umqtt.simple's socket module stood in ---

class _Raw:
    """The port's TCP socket to a broker: connect takes connect_ms, each recv recv_ms and
    gives the answer `step` bytes at a time (b"" once it is all given: closed)."""

    def __init__(self, clock, answer=b"\x20\x02\x00\x00", step=4, connect_ms=100, recv_ms=300):
        self.clock, self.answer, self.step = clock, answer, step
        self.connect_ms, self.recv_ms = connect_ms, recv_ms
        self.ops = []

    def settimeout(self, t):
        self.ops.append(("timeout", t))

    def connect(self, addr):
        self.ops.append(("connect", addr))
        self.clock.t += self.connect_ms

    def write(self, data, *n):
        self.ops.append(("write", bytes(data), n))
        return len(data)

    def recv(self, n):
        self.ops.append(("recv", n))
        self.clock.t += self.recv_ms
        part, self.answer = self.answer[:min(n, self.step)], self.answer[min(n, self.step):]
        return part

    def close(self):
        self.ops.append(("close",))


class _SocketModule:
    def __init__(self, raw):
        self.raw = raw

    def socket(self, *args):
        return self.raw

    def getaddrinfo(self, host, port):
        return [(2, 1, 0, "", (host, port))]


class _Umqtt:
    """umqtt.simple: its module's `socket`, looked up at each connect as the module does."""

    def __init__(self, raw):
        self.socket = self.real = _SocketModule(raw)


class _UmqttClient:
    """MQTTClient.connect's calls on its socket (umqtt.simple 1.x)."""

    def __init__(self, mod):
        self.mod, self.sock = mod, None

    def connect(self, clean_session=True, timeout=None):
        self.sock = self.mod.socket.socket()
        self.sock.settimeout(timeout)
        self.sock.connect(self.mod.socket.getaddrinfo("192.168.1.9", 1883)[0][-1])
        self.sock.write(bytearray(b"\x10\x0e\0\0\0\0"), 2)
        self.sock.write(b"\x00\x04MQTT\x04\x02\x00\x3c")
        resp = self.sock.read(4)
        assert resp[0] == 0x20 and resp[1] == 0x02
        return resp[2] & 1


class _Sys:
    def __init__(self, mod):
        self.modules = {"umqtt.simple": mod}


def _connect_within(raw_kw, timeout_s=1):
    """(what _connect_within returned or raised, the client, the stand-in module, the raw
    socket) at clock 5000."""
    clock = Clock(5000)
    raw = _Raw(clock, **raw_kw)
    mod = _Umqtt(raw)
    cl = _UmqttClient(mod)
    old = mqtt.clock, mqtt.sys
    mqtt.clock, mqtt.sys = clock, _Sys(mod)
    try:
        try:
            got = mqtt._connect_within(cl, timeout_s)
        except Exception as e:
            got = e
    finally:
        mqtt.clock, mqtt.sys = old
    return got, cl, mod, raw


def test_a_connack_a_byte_at_a_time_ends_at_the_one_deadline_of_the_whole_connect():
    # each recv in time, the four together 1.3 s: the board held past connect_timeout_s
    got, cl, mod, raw = _connect_within({"step": 1})
    assert isinstance(got, OSError) and got.args[0] == mqtt.errno.ETIMEDOUT, repr(got)
    assert raw.ops == [("timeout", 1.0), ("connect", ("192.168.1.9", 1883)),
                       ("timeout", 0.9), ("write", b"\x10\x0e\0\0\0\0", (2,)),
                       ("timeout", 0.9), ("write", b"\x00\x04MQTT\x04\x02\x00\x3c", ()),
                       ("timeout", 0.9), ("recv", 4), ("timeout", 0.6), ("recv", 3),
                       ("timeout", 0.3), ("recv", 2)], raw.ops
    assert mod.socket is mod.real   # the module's own socket back, whatever happened
    mqtt._close(cl)                 # (the publisher's, after a failed connect)
    assert raw.ops[-1] == ("close",)


def test_a_connect_answered_within_its_last_millisecond_is_taken_with_the_sockets_own():
    got, cl, mod, raw = _connect_within({"connect_ms": 999})
    assert got == 0 and cl.sock is raw and mod.socket is mod.real, repr(got)
    assert raw.ops[2] == ("timeout", 0.001) and raw.ops[-1] == ("recv", 4), raw.ops


def test_a_broker_that_closes_mid_answer_fails_the_connect_at_once_not_at_the_deadline():
    got, cl, mod, raw = _connect_within({"answer": b"\x20\x02", "recv_ms": 10})
    assert isinstance(got, IndexError), repr(got)   # umqtt's, on the short answer
    assert [o for o in raw.ops if o[0] == "recv"] == [("recv", 4), ("recv", 2)], raw.ops
