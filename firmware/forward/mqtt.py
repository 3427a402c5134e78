# MQTT for Home Assistant: each reading, the alarm state, transmitter battery,
# link status and the sensor's state, with MQTT discovery and availability through a last will.
#
#   mq = MqttPublisher(cfg["mqtt"], wifi=keeper, on_condition=cb)
#   asyncio.create_task(mq.run())
#   mq.publish_reading(reading); mq.publish_alarm("low"); mq.publish_battery("ok")
#   mq.publish_link("connected"); mq.publish_sensor("stopped")
#
# Client: micropython-lib umqtt.simple (package.json) encodes the protocol and
# does the CONNECT handshake. It is synchronous, so it is wrapped to keep the
# alarm path free:
# - CONNECT blocks for at most `connect_timeout_s` (default 1 s, a LAN
#   broker answers in ms; one deadline for the whole handshake, _connect_within),
#   happens only with Wi-Fi up and outside the BLE
#   window, and is retried with back-off (2 s .. 5 min) after a failure; at most
#   1 min for the first 30 min after losing a broker that served the box this boot
#   (its retained states, `alarm_unanswered` too, stand as current in Home
#   Assistant until the box is back: _OUTAGE_BACKOFF_MAX_S), unless it answers, then
#   throws the box out (each connection took every state);
# - after CONNECT the socket is non-blocking, and each packet (umqtt writes one
#   in four parts) is written whole, one at a time, awaiting room as the
#   broker's ACKs free the send buffer: the ESP32's lwIP holds 5.7 KB and 16
#   segments unacknowledged, and what follows each CONNECT (discovery, every
#   state, the availability: 2.9 KB in 64 writes, more with a long topic)
#   written in one go did not fit, so every connection failed alike. A packet
#   not all taken within _WRITE_S (a stalled broker) ends the connection, and
#   the publisher reconnects;
# - nothing is ever read synchronously: a reader task awaits the socket with
#   asyncio (we publish only, so all the broker sends is PINGRESP), notices
#   EOF at once; a ping after CONNECT and every keepalive/2 keeps the
#   session alive, and a ping left unanswered for keepalive means a broker
#   that vanished without closing (powered off, cable pulled): the publisher
#   reconnects instead of writing into a dead connection until the kernel
#   gives up, and raises `mqtt_unreachable` after an hour without an answer
#   (or an hour of a broker that closes each connection at once: it serves nothing);
#   the back-off is cut short so that an attempt is made at the hour's edge and
#   its failure raises it then, not up to a back-off (5 min) later;
# - a broker that refuses the box's login (CONNACK 4, bad user name or password, or 5,
#   not authorized) at every attempt for _REFUSED_S raises `mqtt_auth` instead (the
#   broker answers: it is not unreachable), at the edge of those minutes as at the
#   hour's, cleared when the broker takes the box; the hour without an answer counts
#   from the last refusal. The _REFUSED_S count only time with Wi-Fi up (a refusal before
#   an outage and one after it are not minutes of refusals, nor the back-off between).
# publish_*() only store the latest value per topic; the task sends them.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import errno
import sys

import clock
from forward import ConfigError, need, log_print, names, failure

_BACKOFF_MIN_S = const(2)
_BACKOFF_MAX_S = 300
# ... at most this for the first _OUTAGE_S after losing a broker that served the box this
# boot: meanwhile its retained states are what Home Assistant shows as current (an
# `alarm_unanswered` "none" through an urgent low: mosquitto down 300 s, the box back
# 230 s after it, session 58). An attempt holds the board connect_timeout_s at most,
# after a pause in the sound, and looks no name up more often (forward.names: once per
# RESOLVE_AGAIN_S); an outage longer than that is a broker off for a while, and costs
# no more attempts than before
_OUTAGE_BACKOFF_MAX_S = 60
_OUTAGE_S = 1800
_BRIEF_MAX = const(3)   # connections in a row the broker closed soon after answering: backed off from then
_BRIEF_S = const(30)    # ... within this (a broker throwing out a shared client_id does so in ms)
_BACKFILL_SPAN_S = const(86400)  # an older reading within this span is a backfill, not a new transmitter
_SESSION_BACKFILL_S = const(6 * 3600)  # a backfill this far behind its session's live reading at most
                                # (the link's backfill_max_s is 3 h): else of another clock
_WRITE_S = 10    # a packet the broker's ACKs make no room for this long: the broker is stalled
# Refused logins in a row this long (s, with Wi-Fi up) raise mqtt_auth. Not at the first: Home
# Assistant's Mosquitto add-on checks each login with Home Assistant, and refuses them
# ("not authorised", CONNACK 5) while Home Assistant restarts (an update, a reboot of its
# box: minutes). Ten outlast that and still tell a password changed in Home Assistant
# 50 min before mqtt_unreachable's hour would have, and in words that say what to fix.
_REFUSED_S = 600
_HOUR_S = const(3600)   # without service this long: mqtt_unreachable
_UNREACHABLE = const("mqtt_unreachable")
_AUTH = const("mqtt_auth")

# Home Assistant turns glucose and trend "unavailable" this long after their last
# update (discovery's expire_after): three readings missed. Without it HA showed
# the last glucose for ever once readings stopped, as if it were current.
READING_EXPIRE_S = 900
_READING_OBJECTS = const(("glucose", "glucose_mmol", "trend"))
# ... and from the same moment the retained `reading_availability` says offline (they are
# available only while it and the box's availability are online): a Home Assistant
# restarted meanwhile took the retained old glucose as a new update and showed it as
# current for another expire_after; "None" as the state showed "unknown", not
# "unavailable", and restarted the expiry (HA's mqtt sensor.py _update_state).
# It says offline too from a boot's first connection until that boot's first reading:
# what the broker keeps is a past boot's glucose, however old (a whole-house power cut
# restarts Home Assistant, which took it as current for 15 min after the boot).
_READING_AVAIL = const("reading_availability")

# object id, name, unit, icon
_SENSORS = const((
    ("glucose", "Glucose", "mg/dL", "mdi:diabetes"),
    ("glucose_mmol", "Glucose mmol/L", "mmol/L", "mdi:diabetes"),
    ("trend", "Trend", None, "mdi:trending-up"),
    ("alarm", "Alarm", None, "mdi:alarm-light"),
    ("alarm_unanswered", "Alarm unanswered", None, "mdi:alarm-light-outline"),
    ("battery", "Transmitter battery", None, "mdi:battery"),
    ("link", "Transmitter link", None, "mdi:bluetooth"),
    ("sensor", "Sensor", None, "mdi:access-point"),
))


def validate(cfg):
    w = "mqtt"
    host = need(cfg, "host", str, w)
    if not host:
        raise ConfigError("mqtt.host: empty")
    port = need(cfg, "port", int, w, 1883, False)
    if not 1 <= port <= 65535:
        raise ConfigError("mqtt.port: 1..65535")
    prefix = need(cfg, "topic_prefix", str, w, "bedside_cgm", False)
    if not prefix or "+" in prefix or "#" in prefix or "\x00" in prefix:
        raise ConfigError("mqtt.topic_prefix: non-empty, without +, # or NUL")
    user = need(cfg, "user", str, w, None, False)
    pw = need(cfg, "password", str, w, None, False)
    if pw is not None and user is None:
        raise ConfigError("mqtt.password: given without mqtt.user")
    keepalive = need(cfg, "keepalive_s", int, w, 60, False)
    if not 10 <= keepalive <= 3600:
        raise ConfigError("mqtt.keepalive_s: 10..3600")
    connect_s = need(cfg, "connect_timeout_s", (int, float), w, 1, False)
    if not 0.1 <= connect_s <= 5:   # CONNECT blocks the loop, the alarms' too, this long at most
        raise ConfigError("mqtt.connect_timeout_s: 0.1..5")
    prefix = prefix.rstrip("/")
    # a box with a topic of its own (a follower box beside its leader) is a device
    # of its own in Home Assistant: one device_id for all put both boxes'
    # discovery under the same retained config topics, and the last to connect
    # took the entities over. The default topics keep the ids they always had.
    own = prefix not in ("cgm", "bedside_cgm")
    dev_id = "bedside_cgm_" + _slug(prefix) if own else "bedside_cgm"
    dev_name = "Bedside CGM alarm" + (" (%s)" % prefix if own else "")
    return {"host": host, "port": port, "prefix": prefix, "user": user,
            "password": pw or "", "keepalive": keepalive,
            "discovery": need(cfg, "discovery_prefix", str, w, "homeassistant", False),
            "device_id": need(cfg, "device_id", str, w, dev_id, False),
            "client_id": need(cfg, "client_id", str, w, None, False),
            "device_name": need(cfg, "device_name", str, w, dev_name, False),
            "connect_timeout_s": connect_s}


def _json(d):
    import json
    return json.dumps(d)


class MqttPublisher:
    def __init__(self, cfg, wifi=None, on_condition=None, log=log_print, client_factory=None,
                 on_memory=None):
        self.c = c = validate(cfg)
        if c["client_id"] is None:
            c["client_id"] = _client_id(c["device_id"])
        self._wifi = wifi
        self._on_condition = on_condition
        self._on_memory = on_memory  # fn(): a MemoryError survived here (the app counts them)
        self._log = log
        if client_factory is None:
            from umqtt.simple import MQTTClient as client_factory
        self._factory = client_factory
        self.avail_topic = c["prefix"] + "/availability"
        self._state = {}  # topic -> latest payload (bounded by the sensor set)
        self._pending = set()  # topics not yet sent on this connection
        self._wake = asyncio.Event()
        self._client = None
        self._alive = False
        self._ping_at = None  # ms of the oldest ping not yet answered
        self._answered = False  # the broker has answered on this connection
        self._conditions = {}   # reason -> raised (mqtt_unreachable, mqtt_auth)
        self._refused_since = None   # ms of the first of the box's logins refused in a row
        self._refused_last = None    # ms of the last of them
        self._brief = 0   # answered connections in a row the broker closed within _BRIEF_S
        self._newest = None  # dex_s of the reading in the glucose state
        self._live = None    # (dex_s, clock.ms()) of the newest live reading, usable or not
        self._reading_ms = clock.ms()  # clock.ms() when it was taken
        # reading_availability told offline for it; from the boot until the first
        # reading, offline: what the broker retains is a past boot's glucose
        self._expired = True
        self._put(_READING_AVAIL, "offline")
        self.connects = 0
        self.published = 0
        self.last_failure = None   # what ended the last connection or try, until the broker answers (the status page)

    # --- producer side (never blocks) ---------------------------------------
    def _put(self, obj, value):
        topic = self.c["prefix"] + "/" + obj
        self._state[topic] = value
        self._pending.add(topic)
        self._wake.set()

    def publish_reading(self, reading):
        from forward.entries import direction
        sgv, trend = reading[2], reading[3]
        if reading[5] == "live":   # (a sensor error too) dates its session's backfill below
            self._live = (reading[0], clock.ms())
        if sgv is None:
            return
        # the states are "now": a backfill reading (delivered after the live one
        # of its session) older than the one shown must not replace it. Ordered
        # by the transmitter's clock (a wall clock may be stepped); a live
        # reading is always the newest (a new transmitter's clock starts again)
        dex_s = reading[0]
        if (reading[5] == "backfill" and self._newest is not None
                and 0 <= self._newest - dex_s < _BACKFILL_SPAN_S):
            return
        self._newest = dex_s
        age_s = 0   # a follower's reading, or one stored through an outage, can come old
        if reading[1] is not None and clock.wall_valid():
            age_s = max(0, clock.unix() - reading[1])
        elif reading[5] == "backfill" and self._live is not None \
                and 0 <= self._live[0] - dex_s <= _SESSION_BACKFILL_S:
            # no wall clock (a power cut, NTP not yet answered): dated by the transmitter's
            # clock against its session's live reading (delivered first), as the app does,
            # not taken as 0 s old (an hour-old value showed in Home Assistant as the
            # current glucose)
            u = self._live
            age_s = max(0, (clock.ms() - u[1]) // 1000 + u[0] - dex_s)
        self._reading_ms = clock.ms() - age_s * 1000
        self._expired = False
        self._put("glucose", str(sgv))
        self._put("glucose_mmol", "%.1f" % (sgv / 18.0182))
        self._put("trend", direction(trend))
        self._put(_READING_AVAIL, "online")

    def publish_alarm(self, loudest, unanswered=None):
        """`alarm`: the loudest sounding alarm's type (AlarmEngine.loudest()), or
        "none"; `alarm_unanswered`: the type of an alarm that escalated all the
        way without a button press (AlarmEngine.unanswered(): nobody at the box
        has heard it, a home automation can wake someone else), or "none"."""
        self._put("alarm", loudest or "none")
        self._put("alarm_unanswered", unanswered or "none")

    def publish_battery(self, status):
        """`battery`: the transmitter's own status from its replies, "ok",
        "low_battery", "expired", "bricked" or "unknown" (dexcom.protocol
        status_name). Not a voltage: the raw voltages' unit is not known for
        sure (0.01 V by xDrip's thresholds, V/200 by xdrip-js's README)."""
        self._put("battery", str(status))

    def publish_link(self, status):
        self._put("link", str(status))

    def publish_sensor(self, kind):
        """`sensor`: the sensor's state as the transmitter tells it (dexcom.states
        state_kind: "ok", "warmup", "stopped", "expired"...): `alarm` names only the
        type ("sensor", or "no_data" once readings are missed), not what to do."""
        self._put("sensor", str(kind))

    def is_connected(self):
        return self._alive

    # --- connection ----------------------------------------------------------
    def _discovery(self):
        c = self.c
        dev = {"identifiers": [c["device_id"]], "name": c["device_name"],
               "manufacturer": "open firmware", "model": "ESP32 bedside CGM alarm"}
        for obj, name, unit, icon in _SENSORS:
            d = {"name": name, "unique_id": c["device_id"] + "_" + obj,
                 "state_topic": c["prefix"] + "/" + obj, "icon": icon, "device": dev}
            if unit:
                d["unit_of_measurement"] = unit
                d["state_class"] = "measurement"
            if obj in _READING_OBJECTS:
                d["availability"] = [{"topic": self.avail_topic},
                                     {"topic": c["prefix"] + "/" + _READING_AVAIL}]
                d["availability_mode"] = "all"
                d["expire_after"] = READING_EXPIRE_S
            else:
                d["availability_topic"] = self.avail_topic
            yield "%s/sensor/%s/%s/config" % (c["discovery"], c["device_id"], obj), _json(d)

    def _connect(self):
        c = self.c
        # umqtt looks the server up at every connect (a blocking getaddrinfo):
        # give it the address forward.names keeps, so a DNS server that does not
        # answer costs one stalled lookup an hour, not one per reconnect
        ip = names.resolve(c["host"], c["port"])[0]
        # every text as UTF-8 bytes: umqtt.simple sends len() as the byte count,
        # and a str's len() counts characters (an umlaut in the password or the
        # topic made every packet malformed, and the broker hung up)
        cl = self._factory(_b(c["client_id"]), ip, c["port"], _b(c["user"]), _b(c["password"]),
                           c["keepalive"])
        cl.set_last_will(_b(self.avail_topic), b"offline", retain=True)
        try:
            _connect_within(cl, c["connect_timeout_s"])
            try:  # no Nagle: a PINGREQ queued behind publishes waits for the
                # broker's delayed ACK (40 ms on Linux, more on lwIP)
                cl.sock.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY (same numbers on lwIP)
            except OSError:
                pass  # a port without the option only answers later
            cl.sock.setblocking(False)
            cl.sock = _NonBlockingSocket(cl.sock)
        except Exception as e:
            _close(cl)
            if not _broker_answered(e):   # (a refusal came from the broker at that address)
                names.forget_address(c["host"], c["port"])
            raise
        return cl

    async def _announce(self, cl):
        """Discovery, every state, then the availability, first on each connection: a
        broker that does not take them has failed the connect. The states before
        `online`: the broker's retained ones are a past connection's (a past boot's
        urgent low, its glucose with its reading_availability online), which Home
        Assistant showed as current from `online` until this boot's came."""
        # a restarted broker may have lost the retained states: send them all again
        for topic in self._state:
            self._pending.add(topic)
        try:
            for topic, payload in self._discovery():
                cl.publish(_b(topic), _b(payload), retain=True)
                await cl.sock.send()
            if self._wifi is not None:   # (as every publish: out of the BLE window)
                await self._wifi.wait_quiet(500)
            await self._flush(cl)
            cl.publish(_b(self.avail_topic), b"online", retain=True)
            await cl.sock.send()
        except BaseException:   # cancelled too: the socket is closed. The address is kept:
            _close(cl)          # the broker took the CONNECT there (a stall on discovery at
            raise               # each connection cost a lookup every RESOLVE_AGAIN_S)

    def _drop(self, why):
        if self._client is not None:
            self._log("mqtt: connection lost (%s)" % why)
            _close(self._client)
        self._client = None
        self._alive = False

    async def _reader(self, cl):
        try:
            self._why = await self._read_until_gone(cl)
        except Exception as e:
            # nobody awaits this task: a MemoryError here (or any other) ended it
            # unseen, and _serve read a reason never set (an AttributeError out
            # of run, the memory pressure not counted) or a past connection's
            self._why = "read error %s" % type(e).__name__
            if isinstance(e, MemoryError) and self._on_memory is not None:
                self._on_memory()
        self._wake.set()

    async def _read_until_gone(self, cl):
        """Await broker bytes without blocking; returns why the broker is gone.
        (A broker that vanishes without closing is noticed by _serve: its
        ping goes unanswered.)"""
        stream = asyncio.StreamReader(cl.sock.s)
        while True:
            try:
                data = await stream.read(16)
            except OSError as e:
                return "read error %s" % e
            if not data:
                return "closed by broker"
            self._ping_at = None  # the broker answered
            if not self._answered:
                self._answered = True
                self.last_failure = None
                if not self._brief:   # in a storm, only a connection that lasts (_serve)
                    self._set_condition(False)

    def _stale(self):
        return clock.ms() - self._reading_ms >= READING_EXPIRE_S * 1000

    def _expire_reading(self):
        if not self._expired and self._stale():
            self._put(_READING_AVAIL, "offline")
            self._expired = True

    async def _flush(self, cl):
        self._expire_reading()
        # a reading past its expiry is not sent again (a reconnect re-sends every
        # state): HA would restart the expiry. Judged at each state: a reading can come
        # while one waits for room
        while self._pending:
            topic = self._next_pending()
            if topic.rsplit("/", 1)[1] in _READING_OBJECTS and self._stale():
                continue
            try:
                cl.publish(_b(topic), _b(self._state[topic]), retain=True)
                await cl.sock.send()
            except BaseException:
                self._pending.add(topic)  # resend on the next connection
                raise
            self.published += 1

    def _next_pending(self):
        # reading_availability last: `online` before the new glucose showed the old one
        # (a past boot's, one 15 min old) as current until the new one came
        for topic in self._pending:
            if not topic.endswith("/" + _READING_AVAIL):
                self._pending.remove(topic)
                return topic
        return self._pending.pop()

    def _set_condition(self, on, reason=_UNREACHABLE):
        if on != self._conditions.get(reason, False):
            if self._on_condition:
                try:
                    self._on_condition("forwarding", reason, on)
                except Exception as e:  # the reporter's trouble must not end this task
                    self._log("mqtt: reporting the condition failed: %r" % (e,))
                    return   # not marked: told again at the next call
            self._conditions[reason] = on

    async def run(self):
        """Forever: connect, publish what is pending, ping, reconnect after a loss."""
        backoff = _BACKOFF_MIN_S
        fail_since = clock.ms()   # since the broker last served the box
        lost_at = None   # when a connection that served the box ended (None: none this boot)
        while True:
            if self._wifi is not None:
                waited = False
                while not self._wifi.is_up():   # no broker answers without Wi-Fi either
                    waited = True
                    try:
                        await asyncio.wait_for(self._wifi.wait_up(), 60)
                    except asyncio.TimeoutError:
                        if clock.ms() - fail_since > _HOUR_S * 1000:
                            self._set_condition(True)
                if waited and self._refused_since is not None:
                    # refused through no attempt meanwhile: not from the last refusal, since
                    # the Wi-Fi went at some time in the back-off after it (up to 5 min)
                    self._refused_since += clock.ms() - self._refused_last
                await self._wifi.wait_quiet(2000, blocks=True,  # connect blocks
                                            host=self.c["host"], port=self.c["port"])
            try:
                cl = self._connect()
                self._refused_since = None
                self._set_condition(False, _AUTH)   # the broker took the box's login
                await self._announce(cl)
            except Exception as e:
                self.last_failure = failure.mqtt_words(e) or type(e).__name__
                self._log("mqtt: connect to %s:%d failed: %s" % (self.c["host"], self.c["port"],
                                                                  self.last_failure))
                if isinstance(e, MemoryError) and self._on_memory is not None:
                    self._on_memory()
                if _login_refused(e):
                    self._refused(clock.ms())
                    fail_since = clock.ms()   # it answered: the hour without an answer starts again
                else:
                    self._refused_since = None
                    if clock.ms() - fail_since > _HOUR_S * 1000:
                        self._set_condition(True)
                await asyncio.sleep(_pause(backoff, fail_since, self._refused_since))
                backoff = min(backoff * 2, _backoff_max(lost_at))
                continue
            self._client, self._alive = cl, True
            self.connects += 1
            self._answered = False  # healthy only once the broker answers a ping
            self._log("mqtt: connected to %s:%d" % (self.c["host"], self.c["port"]))
            started = clock.ms()
            reader = asyncio.create_task(self._reader(cl))
            why = "stopped"
            try:
                why = await self._serve(cl, reader, started)
            finally:
                reader.cancel()
                self._drop(why)
            self.last_failure = ("connection lost: " if self._answered else "no answer after connecting: ") + why
            if self._answered:
                # a broker that answers, then closes the connection at once, again
                # and again (two boxes given one client_id, an ACL) is backed off like a
                # refusal, not reconnected to in a loop; not a Wi-Fi that drops us.
                # It serves nothing: an hour of it raises mqtt_unreachable too
                # (a broker's reset is a read error: it throws out a client whose
                # publishes it has not read with an RST, not a close)
                kicked = ((why == "closed by broker" or why.startswith("read error"))
                          and clock.ms() - started < _BRIEF_S * 1000
                          and (self._wifi is None or self._wifi.is_up()))
                if kicked:
                    self._brief += 1
                    if clock.ms() - fail_since > _HOUR_S * 1000:
                        self._set_condition(True)
                else:   # (a condition the storm raised clears at the next answer)
                    self._brief = 0
                    fail_since = lost_at = clock.ms()
                if self._brief < _BRIEF_MAX:
                    backoff = _BACKOFF_MIN_S
                    continue
                self._log("mqtt: the broker closed %d connections in a row at once; next in %d s"
                          % (self._brief, backoff))
            elif clock.ms() - fail_since > _HOUR_S * 1000:  # accepted, never answered: a refusal
                self._set_condition(True)
            await asyncio.sleep(_pause(backoff, fail_since))
            # (not the minute after a loss for a broker that answers, then throws the box out:
            # each connection took the discovery and every state, 2.9 KB of the heap's churn)
            backoff = min(backoff * 2, _BACKOFF_MAX_S if self._answered else _backoff_max(lost_at))

    def _refused(self, now):
        """The broker refused the box's login (CONNACK 4 or 5) at `now`: once every attempt
        has been for _REFUSED_S, mqtt_auth; the broker answers, so it is not unreachable.
        A row's first refusal has the name looked up once more (when forward.names allows): a
        broker that moved can leave another at its old address, refusing the box for ever."""
        self._refused_last = now
        if self._refused_since is None:
            self._refused_since = now
            names.forget_address(self.c["host"], self.c["port"])
        if now - self._refused_since >= _REFUSED_S * 1000:
            self._set_condition(True, _AUTH)   # (raised first: the alarm does not end between)
            self._set_condition(False)

    async def _serve(self, cl, reader, started):
        # a ping right after connecting, then every keepalive/2 whatever else is
        # sent: a publish-only client hears from the broker only through
        # PINGRESP, so that is how a live broker is told from a vanished one
        ping_ms = self.c["keepalive"] * 1000 // 2
        last_ping = None
        self._ping_at = None
        while True:
            if reader.done():
                return self._why
            if self._brief and self._answered and clock.ms() - started >= _BRIEF_S * 1000:
                self._brief = 0   # kept this long: the storm is over
                self._set_condition(False)
            if self._ping_at is not None and clock.ms() - self._ping_at > 2 * ping_ms:
                return "no answer to a ping within %d s" % (2 * ping_ms // 1000)
            # (cleared first: a state or the reader's end while a packet waits for
            # room is not left waiting for the timeout below)
            self._wake.clear()
            try:
                self._expire_reading()
                if self._pending:
                    if self._wifi is not None:
                        await self._wifi.wait_quiet(500)
                    await self._flush(cl)
                if last_ping is None or clock.ms() - last_ping >= ping_ms:
                    last_ping = clock.ms()   # (before: its answer can come during send)
                    if self._ping_at is None:
                        self._ping_at = last_ping
                    cl.ping()
                    await cl.sock.send()
            except (OSError, AttributeError) as e:
                return "write failed: %s" % e
            try:
                await asyncio.wait_for_ms(self._wake.wait(), 1000)
            except asyncio.TimeoutError:
                pass


def _connect_within(cl, timeout_s):
    """cl.connect() with one deadline for the whole handshake. umqtt.simple gives its
    socket `timeout` and reads the CONNACK with read(4), which the port retries for each
    part that arrives in time: a broker sending it a byte at a time held the board up to
    four times as long, beside the TCP connect (3.6 s for 1 s, the alarm's beep
    under way stretched into a tone). umqtt.simple makes its socket from its module's
    `socket`; for the call it gets one that keeps the deadline, then the real one back."""
    mod = sys.modules.get("umqtt.simple")
    real = getattr(mod, "socket", None)
    if real is None:   # another client (tests' stand-ins)
        return cl.connect(timeout=timeout_s)
    mod.socket = _DeadlineSockets(real, clock.ms() + int(timeout_s * 1000))
    try:
        ok = cl.connect(timeout=timeout_s)
    finally:
        mod.socket = real
    if isinstance(cl.sock, _DeadlineSocket):
        cl.sock = cl.sock.s
    return ok


class _DeadlineSockets:
    """The socket module umqtt.simple sees during CONNECT."""

    def __init__(self, real, end_ms):
        self.real, self.end_ms = real, end_ms

    def socket(self, *args):
        return _DeadlineSocket(self.real.socket(*args), self.end_ms)

    def getaddrinfo(self, *args):
        return self.real.getaddrinfo(*args)


class _DeadlineSocket:
    def __init__(self, s, end_ms):
        self.s, self.end_ms = s, end_ms

    def _left(self):
        left = self.end_ms - clock.ms()
        if left <= 0:
            raise OSError(errno.ETIMEDOUT)
        self.s.settimeout(left / 1000)

    def settimeout(self, t):
        pass   # the deadline decides

    def connect(self, addr):
        self._left()
        self.s.connect(addr)

    def write(self, data, n=None):
        self._left()
        return self.s.write(data) if n is None else self.s.write(data, n)

    def read(self, n):
        got = b""
        while len(got) < n:
            self._left()
            part = self.s.recv(n - len(got))
            if not part:
                break   # closed: umqtt refuses the short answer
            got += part
        return got

    def close(self):
        self.s.close()


class _NonBlockingSocket:
    """What umqtt writes to after CONNECT: the real socket, non-blocking. umqtt
    writes a packet in parts (header, topic length, topic, payload), each a
    segment of its own on lwIP with TCP_NODELAY: they are gathered here, and
    send() writes the packet whole, what does not fit now as the broker's ACKs
    make room (never blocking the loop, never another packet in between); a
    packet not all taken within _WRITE_S raises, and the publisher reconnects.
    Reads go through asyncio (the reader task)."""

    def __init__(self, s):
        self.s = s
        self.out = b""   # the packet umqtt is writing
        self._stream = None

    def write(self, data, n=None):
        if n is not None:
            data = memoryview(data)[:n]
        self.out += bytes(data)
        return len(data)

    async def send(self):
        if self._stream is None:
            self._stream = asyncio.StreamWriter(self.s)
        out, self.out = self.out, b""
        self._stream.write(out)
        try:
            await asyncio.wait_for_ms(self._stream.drain(), _WRITE_S * 1000)
        except asyncio.TimeoutError:
            raise OSError("mqtt: send buffer full")

    def read(self, n):
        return self.s.read(n)

    def setblocking(self, flag):
        pass  # stays non-blocking

    def close(self):
        self.s.close()


def _backoff_max(lost_at):
    """The longest back-off now (s): shorter in the first _OUTAGE_S after a connection
    that served the box ended at lost_at (clock.ms(); None: none has this boot)."""
    if lost_at is not None and clock.ms() - lost_at < _OUTAGE_S * 1000:
        return _OUTAGE_BACKOFF_MAX_S
    return _BACKOFF_MAX_S


def _pause(backoff, fail_since, refused_since=None):
    """The back-off (s), cut short to end just past the next edge ahead: the hour without
    service that fail_since began, the _REFUSED_S of refused logins from refused_since.
    The attempt made then tells whether it is one."""
    pause = backoff
    for edge in (fail_since + _HOUR_S * 1000,
                 None if refused_since is None else refused_since + _REFUSED_S * 1000):
        if edge is not None:
            left = (edge - clock.ms()) // 1000 + 1
            if 0 < left < pause:
                pause = left
    return pause


def _broker_answered(e):
    """umqtt.simple's MQTTException: the broker answered the CONNECT (a CONNACK refusing it,
    its code in e.args), so the address it was made to is a broker's: its name is not
    looked up again for each (a lookup every RESOLVE_AGAIN_S through a span of refused logins,
    each holding the board up to 7 s while the DNS server is silent; once per row: _refused)."""
    return type(e).__name__ == "MQTTException"


def _login_refused(e):
    """umqtt.simple's MQTTException with the CONNACK's code 4 (bad user name or password)
    or 5 (not authorized): the broker answered, and refused the box's login."""
    return _broker_answered(e) and e.args[:1] in ((4,), (5,))


def _client_id(device_id):
    """device_id and this board's own id: a broker closes the older connection of
    a client id that connects again (MQTT 3.1.1, 3.1.4), so two boxes (a leader
    and a follower box) with the same settings threw each other off without end.
    23 bytes at most, what every MQTT 3.1.1 broker must take (3.1.3.1): a longer
    device_id (a box with its own topic) is cut; the board's id keeps it apart."""
    try:
        import machine
        import binascii
        board = "-" + binascii.hexlify(machine.unique_id()[-4:]).decode()
    except (ImportError, AttributeError):
        return device_id
    while len(device_id.encode()) > 23 - len(board):
        device_id = device_id[:-1]
    return device_id + board


def _slug(text):
    """text as Home Assistant's node ids allow it: letters, digits, _ and -."""
    return "".join(c if c.isalpha() and c < "\x80" or c.isdigit() or c in "_-" else "_"
                   for c in text)


def _b(text):
    """UTF-8 bytes of a str (None and bytes as they are)."""
    return text.encode() if isinstance(text, str) else text


def _close(cl):
    try:
        if cl.sock:
            cl.sock.close()
    except Exception:
        pass
