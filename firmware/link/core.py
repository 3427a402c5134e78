# The link: one asyncio task that finds the transmitter at each 5-minute
# wake-up, runs the G5/G6 session over aioble and hands out readings and
# link events. See link/__init__.py for the interface.
#
# A session (research section 8): scan for "Dexcom"+last two ID characters
# -> connect -> discover the CGM service -> authenticate with a fresh random
# token and CHECK the transmitter's token hash (a transmitter that fails it
# never gives a reading: event "rogue") -> bond when asked, or encrypt with
# the stored bond -> time, glucose (live reading), battery now and then ->
# backfill any gap (up to 3 h) -> Disconnect 0x09. Every await has a
# timeout; any failure ends the session with the connection closed, and the
# next window is tried. The bond keys persist through aioble.security
# (loaded before the radio starts, saved by aioble via micropython.schedule).
# The name tells only the ID's last two characters: another transmitter may
# carry it (the old one in a drawer after a swap, a sibling's). An address that
# answered rogue is passed over in the scans: for good once another address
# proved genuine after it (only our transmitter knows our key), else for
# ROGUE_SKIP_MS, one wake-up (a transmitter of ours taken for rogue once costs
# one reading, backfilled; a wrong ID in the settings is still tried every
# 10 min). A rogue answer does not end the window: ours may advertise in it too.
# Until a session proves a phase (reads our transmitter's time), the wake-ups
# are taken from adverts; a phase whose device answers rogue, or that
# UNPROVEN_MAX sessions in a row cannot get through to (an old one of our name
# at the edge of range), is looked for again blind once that wake-up is over
# (the old one, still advertising in it, was met again at once). That address
# is not passed over: it may be ours, at the edge of range after a power cut
# (passing it over delayed its first reading by wake-ups).
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import errno
from collections import deque

import bluetooth
import aioble
from aioble import security

import clock
import reading
from app import fsutil
from dexcom import auth, build, replies, protocol
from dexcom.backfill import Backfill
from dexcom.errors import DexcomError
from dexcom.glucose import glucose_reading, session_left_s
from dexcom.states import state_name, state_kind
from link.plan import Windows, Seen, PERIOD_MS

DEFAULTS = {
    "transmitter_id": None,     # required: the 6-character serial
    "slot": protocol.SLOT_ALTERNATE,  # 1: the receiver's slot, so a phone app keeps slot 2
    "bond_path": "ble_secrets.json",
    "scan_lead_ms": 5000,       # scan from this long before the expected wake-up
    "scan_tail_ms": 20000,      # ... to this long after it
    "scan_interval_us": 60000,  # around a wake-up: scan hard (window/interval = 50 %; see alone_scan_us)
    "scan_window_us": 30000,
    # Phase unknown (first boot, power cut, an hour unseen): scan blind. No source
    # gives a real transmitter's advertising interval; a 2-s advertiser shows only
    # 3 advertisements in its ~6-s wake-up, found at its first wake-up 43 % of the
    # time at 25 % duty, 95 % at 50 %, always at 100 % (tools/link_sim.py
    # --adv-interval-ms 2000 --first-window-s S).
    # - The radio alone (no Wi-Fi, no setup access point: radio_shared() False):
    #   continuous, as the ESP32 Dexcom readers scan; around wake-ups too (a 2-s
    #   advertiser's live reading was missed, and backfilled 5 min late, in 8 %
    #   of the windows at 50 %).
    # - Shared with Wi-Fi: for acquire_hard_ms (a power cut, first boot) the 50 %
    #   the box scans at around every wake-up anyway (30/60 ms), then 12.5 %
    #   (20/160 ms) so a transmitter away all night does not squeeze Wi-Fi for
    #   hours. Espressif's coexistence advice: a scan interval of at most ~160 ms;
    #   100 % starves Wi-Fi (research/peers.md).
    "radio_shared": None,       # fn() -> True while Wi-Fi shares the radio; None: assume it does
    "on_time": None,            # fn(the transmitter's time now, s): may set the wall clock; returns the activation to date by, or None (app.txclock)
    "alone_scan_us": 160000,    # interval = window: continuous
    "acquire_interval_us": 60000,
    "acquire_window_us": 30000,
    "acquire_hard_ms": 960000,         # 3 wake-ups and some
    "acquire_slow_interval_us": 160000,
    "acquire_slow_window_us": 20000,
    "acquire_chunk_ms": 60000,
    "alone_chunk_ms": 15000,    # blind and continuous: short, so a setup access point
                                # opened meanwhile gets its air back within seconds
    "resync_windows": 12,       # this many windows missed in a row: acquire again
    "no_tx_windows": 3,         # event no_transmitter after this many windows unread
    "code_fault_windows": 2,    # event code_fault after this many unread by a fault of ours (_CODE_FAULTS)
    "attempts_per_window": 2,
    "connect_timeout_ms": 4000,
    "op_timeout_ms": 2500,      # one request and its reply
    "read_after_ms": 500,       # no reply queued after this: read the characteristic (xDrip)
    "pair_timeout_ms": 15000,
    "bond_wait_ms": 2000,       # after BondRequest the transmitter pairs; ours only if it has not
    "session_timeout_ms": 45000,
    "keepalive_s": 25,
    "backfill_max_s": reading.BACKFILL_MAX_S,
    "battery_every": 12,        # read the battery every N sessions (status is in every reply)
    "resume_dex_s": None,       # newest dex_s delivered before a restart (RTC memory): no
                                # reading up to it is delivered again; None = backfill 3 h
    "resume_hole": None,        # (start, end) dex span still to backfill before that restart
    "resume_dex_min_s": None,   # the least time the same transmitter's clock can show now:
                                # resume_dex_s + the time since (RTC memory's time away)
}

_CGM = bluetooth.UUID(protocol.CGM_SERVICE_UUID)
_AUTH = bluetooth.UUID(protocol.AUTHENTICATION_UUID)
_CONTROL = bluetooth.UUID(protocol.CONTROL_UUID)
_BACKFILL = bluetooth.UUID(protocol.BACKFILL_UUID)
_FEBC = bluetooth.UUID(protocol.ADV_SERVICE_UUID16)
_FRAMES_MAX = const(40)   # 3 h of records = 17 frames; room to spare
# A gap answered "nothing" is asked again at most this many wake-ups in a row: the
# history before a first reading taken in a warm-up or across a reset would otherwise
# be asked at every wake-up for 3 h (helper-246), each asking lengthening the session
_EMPTY_ASKS = const(3)
# Characteristic properties (aioble ClientCharacteristic.properties)
_FLAG_READ = const(0x02)
_FLAG_NOTIFY = const(0x10)
_FLAG_INDICATE = const(0x20)
_PRE_REPLY = const(0xD0)  # some G6+ send this before the real reply (xdrip-js)


# Connections whose encryption failed (stored keys refused): aioble's security
# handler does not report failures, so the link listens to the IRQ as well.
_enc_failed = set()
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
# gap_pair while a security procedure runs (NimBLE BLE_HS_EALREADY). The port's own
# number: newlib's 120 on the ESP32, Linux's 114 on the unix port.
_EALREADY = errno.EALREADY
_BONDED_WAIT_MS = const(300)  # with a stored bond: let a transmitter's own request go first
_ST_ENOTCONN = const(7)   # a GATT procedure's status when the link ends under it (NimBLE BLE_HS_ENOTCONN)
_CONNECT_SETTLE_MS = const(500)  # aioble waits this much longer than the stack's connect attempt
ROGUE_SKIP_MS = 6 * 60000
UNPROVEN_MAX = 3
# A session's end that shows the device is not our transmitter: its phase is not
# ours to keep (a device of our name without the CGM service, kept as the phase,
# had the link scan at its times and miss ours for an hour, resync_windows)
_NO_CGM = const("no CGM service")
_NOT_OURS = const(("rogue", _NO_CGM))
_ROGUES_MAX = 4        # addresses remembered (the oldest is forgotten)
# the transmitter's clock started (its activation, on our ms clock) this much later than at
# the last session: it restarted (the two clocks drift apart by seconds a day)
_CLOCK_MOVED_S = const(300)
# Exceptions that end a session only by a fault of the box's own link or codec code, never
# the radio's (aioble, MicroPython): not ValueError (aioble's "Not connected", "Discovery in
# progress", "CCCD not found"), OSError, GattError, asyncio.TimeoutError,
# DeviceDisconnectedError, nor MemoryError (app.memory's). TypeError only while the
# connection stands: once the link is lost aioble hands its handle, None, to the bluetooth
# module, whose mp_obj_get_int raises TypeError on the ESP32 (extmod/modbluetooth.c)
_CODE_FAULTS = (AttributeError, IndexError, KeyError, NameError, ZeroDivisionError, ImportError)
# a backfill record dated this close to a reading delivered from before a reset, on one
# time line, is that reading again (its dates jitter by a second: forward.redate SAME_S)
_SAME_S = const(150)


def _irq(event, data):
    if event == _IRQ_ENCRYPTION_UPDATE and not data[1]:
        _enc_failed.add(data[0])
    elif event == _IRQ_PERIPHERAL_DISCONNECT:
        # NimBLE ends a security procedure the link's loss cuts short with an update
        # "not encrypted" just before this (ble_gap_conn_broken): a cut, not a refusal
        _enc_failed.discard(data[0])


aioble.core.register_irq_handler(_irq, None)


def _forget_refused_scan():
    """The radio refused to scan (EBUSY: a connection attempt is still pending,
    e.g. one aioble's timeout left running). aioble keeps the scanner whose
    start failed as its active one, and the next scan would wait for that
    scanner's end for ever: forget it, and cancel the pending attempt."""
    from aioble import central
    sc = central._active_scanner
    if sc is not None and not sc._done:
        central._active_scanner = None
    try:
        aioble.core.ble.gap_connect(None)
    except OSError:
        pass


class LinkConfigError(ValueError):
    """The link's configuration is unusable (message says which key)."""


class _End(Exception):
    """Ends a session on purpose; args[0] is the reason."""


class Link:
    def __init__(self, config, on_reading, on_event):
        cfg = dict(DEFAULTS)
        cfg.update(config or {})
        try:
            self.tx_id = auth.normalise_id(cfg["transmitter_id"])
        except DexcomError as e:
            raise LinkConfigError("transmitter_id: %s" % e)
        if cfg["slot"] not in (protocol.SLOT_ALTERNATE, protocol.SLOT_PHONE):
            raise LinkConfigError("slot must be 1 (alternate/receiver) or 2 (phone), got %r" % (cfg["slot"],))
        self.cfg = cfg
        self.key = auth.key_for(self.tx_id)
        self.name = protocol.NAME_PREFIX + self.tx_id[-2:]
        self.on_reading = on_reading
        self.on_event = on_event
        self.windows = Windows(cfg["scan_lead_ms"], cfg["scan_tail_ms"])
        self.seen = Seen(cfg["backfill_max_s"] + 3600)
        if cfg["resume_dex_s"] is not None:
            self.seen.newest = int(cfg["resume_dex_s"])
        self.state = "idle"
        self.have_bond = False
        self.missed = 0            # windows in a row without the transmitter
        self.unread = 0            # windows in a row without their reading (unseen, or not reached)
        self.unread_heard = 0      # of those, windows a session of which authenticated (heard_unread)
        self._heard = False        # a session authenticated since the last window counted or read
        self._unread_ms = None     # clock.ms() when one was last counted
        self._no_tx_told = False   # no_transmitter said since the last window's reading
        self.code_faults = 0       # windows in a row unread by a fault of ours (_CODE_FAULTS)
        # since the last window counted or read: None no session, False sessions, else how
        # one of them ended in an exception only a fault of ours raises (_CODE_FAULTS)
        self._fault = None
        self._fault_told = False   # code_fault said (active) since the last window's reading
        self.acquire_ms = 0
        self.acquiring_ms = 0   # scanning blind since the phase was lost (hard, then slow)
        self.sessions = 0
        self.good_sessions = 0
        self.readings = 0
        self.backfilled = 0
        self.bad_replies = 0       # malformed or foreign replies (each asked again once)
        self.scan_ms = 0           # total time spent scanning
        self.last_session_ms = None
        self.last_reason = None
        self.sensor_state = None
        self.tx_status = None
        self.battery = None
        self.bond_lost_row = 0
        self._hole = cfg["resume_hole"]  # (start, end) dex span a backfill failed to bring: asked again
        self._empty_asks = 0             # empty answers in a row kept as a hole (_EMPTY_ASKS)
        self._undelivered = None   # (start, end) dex span of readings on_reading refused: asked again
        # (dex times delivered before a reset, the _dex0_ms of their clock, the resume point
        # of a boot before or None, the span left then or None; all on that clock): mapped onto
        # the clock of the last session, also one a reset met before any reading of its own
        # brought (no tx_clock then: nothing newer to compare it with)
        self._before_reset = None
        # (the resume point, known on this boot's ms time line, a span before it given up):
        # a boot before delivered every reading up to it but those left in the hole; known
        # once a session of this boot found the clock unmoved (_check_clock), else a clock
        # reset maps it by a guess
        self._resumed = None if cfg["resume_dex_s"] is None else (int(cfg["resume_dex_s"]), False, None)
        self.activation_unix = None
        # clock.ms() when the transmitter's clock was 0, by the last session (before one: at
        # the latest, by the time away through a reset). Not windows' anchor, the same
        # figure: that one is forgotten with the wake-ups (a rogue's session, unproven ones),
        # this one is the transmitter clock's, compared at each session (_check_clock)
        self._dex0_ms = None
        if cfg["resume_dex_min_s"] is not None:
            self._dex0_ms = clock.ms() - int(cfg["resume_dex_min_s"]) * 1000
        # the sensor session's time left at session_at_ms (None: no session), by the last time
        # message, and its start on the transmitter's clock (None: no session)
        self.session_left_s = self.session_at_ms = self.session_start_dex = None
        self._window_t = None
        self._attempts = 0
        self._skip_until = None
        self._live = None
        self._by_read = set()      # UUIDs that answered by read in this session
        self._rogues = {}          # address -> clock.ms() when it answered rogue
        self._genuine = (None, None)  # (address, clock.ms()) of the last authenticated session
        self._unproven = 0         # sessions in a row, on an advert's phase, that did not authenticate

    # --- the outside world ----------------------------------------------------
    def next_window_ms(self):
        """clock.ms() when the transmitter is next expected to wake (None while
        its phase is unknown)."""
        return self.windows.next_expected(clock.ms())

    def missing(self):
        """The (start, end) dex span still to backfill, or None: kept across a
        restart (RTC memory) and given back as resume_hole."""
        return _span(self._hole, self._undelivered)

    def status(self):
        return {"state": self.state, "transmitter": self.tx_id, "slot": self.cfg["slot"],
                "bonded": self.have_bond, "sessions": self.sessions, "good_sessions": self.good_sessions,
                "readings": self.readings, "backfilled": self.backfilled, "missed_windows": self.missed,
                "bad_replies": self.bad_replies,
                "last_dex_s": self.seen.newest, "last_session_ms": self.last_session_ms,
                "last_reason": self.last_reason, "sensor_state": self.sensor_state,
                "tx_status": self.tx_status, "battery": self.battery, "scan_ms": self.scan_ms,
                "session_left_s": self.session_left_s, "session_at_ms": self.session_at_ms,
                "session_start_dex": self.session_start_dex,
                "next_window_ms": self.next_window_ms()}

    def _event(self, what, **kw):
        """Hand an event out; False when the consumer failed with it."""
        kw["event"] = "link"
        kw["what"] = what
        try:
            self.on_event(kw)
            return True
        except Exception as e:  # a consumer's bug must not stop the link
            print("link: on_event failed:", repr(e))
            return False

    def _emit(self, r):
        dex_s = r[reading.DEX_S]
        if r[reading.SOURCE] == reading.BACKFILL and self._copy(dex_s):
            return False
        if not self.seen.add(dex_s):
            return False
        self.windows.reading(dex_s)
        try:
            self.on_reading(r)
        except Exception as e:  # not handed over (out of memory): the next backfill brings it
            print("link: on_reading failed:", repr(e))
            self.seen.forget(dex_s)
            self._undelivered = _span(self._undelivered, (dex_s, dex_s))
            return False
        self.readings += 1
        return True

    # --- the loop ---------------------------------------------------------------
    async def run(self):
        security.load_secrets(self.cfg["bond_path"])  # before the radio starts
        aioble.core.ensure_active()   # (which loads them again when it starts the radio)
        _own_keys(self.tx_id)
        self.have_bond = _has_bond_keys()
        # Bond by default: the transmitter may start pairing itself (security
        # request) before we call pair(), and the stack answers with this.
        aioble.config(bond=True, le_secure=True, mitm=False, io=3)
        while True:
            try:
                await self._cycle()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # never let the link task die
                self._event("error", detail=repr(e))
                await asyncio.sleep_ms(1000)

    async def _cycle(self):
        cfg = self.cfg
        now = clock.ms()
        span = self.windows.scan_span(now)
        if span is not None and self._skip_until is not None and span[0] < self._skip_until:
            span = self.windows.scan_span(self._skip_until)
        if span is None:
            self.state = "acquiring"
            chunk_ms, interval_us, window_us = self._acquire_duty()
            dev = await self._scan(chunk_ms, interval_us, window_us)
            if dev is None:
                self.acquiring_ms += chunk_ms
                self.acquire_ms += chunk_ms
                if self.acquire_ms >= PERIOD_MS:
                    self.acquire_ms -= PERIOD_MS
                    self._missed_window()
                return
            window_t = clock.ms()
        else:
            start, end = span
            window_t = end - cfg["scan_tail_ms"]
            if window_t != self._window_t:
                self._window_t = window_t
                self._attempts = 0
            if start > now:
                self.state = "waiting"
                await asyncio.sleep_ms(start - now)
            self.state = "scanning"
            dev = await self._scan(end - clock.ms(), *self._window_duty())
            if dev is None:
                self._missed_window()
                return
        self.acquire_ms = self.acquiring_ms = 0
        if not self.windows.synced():
            self.windows.seen(clock.ms())
        self._attempts += 1
        t_session = clock.ms()
        ok, final = await self._session(dev)
        proven = self._genuine[1]
        # a refusal of our key (auth_failed) comes after the transmitter's hash of our
        # token proved it ours: its wake-ups are ours too (forgotten, the blind scan met
        # the same wake-up at once, a second refused session every other one)
        given_up = False    # an unproven phase dropped (a rogue's address is passed over instead)
        if self.windows.anchored() or (proven is not None and proven >= t_session) \
                or self.last_reason == "auth_failed":
            self._unproven = 0
        else:
            self._unproven += 1
            if self.last_reason in _NOT_OURS or self._unproven >= UNPROVEN_MAX:
                # maybe another transmitter's wake-ups: look for ours blind
                given_up = self.last_reason not in _NOT_OURS
                self._unproven = 0
                self.windows.forget()
        if ok:
            self.missed = self.unread = self.unread_heard = self.code_faults = 0
            self._no_tx_told = self._heard = False
            self._fault = None
            if self._fault_told and self._event("code_fault", active=False, detail="a session read"):
                self._fault_told = False   # (a failed telling is told again at the next reading)
        blind_failed = span is None and not ok and self.last_reason not in _NOT_OURS
        # a session ending past its window's scan leaves no retry in it: done with it too (left
        # uncounted, wake-ups heard only late never said no_transmitter, and a heard one made
        # the next, unseen, count as heard)
        late = span is not None and clock.ms() >= span[1]
        if final or late or self._attempts >= cfg["attempts_per_window"]:
            # Done with this window: the next scan is for the next one.
            self._skip_until = window_t + cfg["scan_tail_ms"] + 1
            if not ok:
                self._unread_window()
        elif blind_failed or given_up:
            # a blind session's wake-up (ours, not a rogue's) has no window to count its
            # attempts in (the next session's phase is the advert's, counted anew): a boot
            # beside a transmitter it never reaches left its first wake-up uncounted. Nor
            # has one whose phase was given up at its first attempt (its wake-up is left)
            self._unread_window()
        if blind_failed or given_up:
            # leave the window before acquiring again: a blind scan at once met the device
            # still advertising in it (an old one of our name at the edge of range, waking
            # before ours: its phase taken again at each wake-up, ours never read)
            await asyncio.sleep_ms(cfg["scan_tail_ms"])

    def _unread_window(self, unseen=False):
        """A wake-up passed without its reading: the transmitter unseen, or heard and
        not reached (each connection lost at the edge of range, a session cut before the
        reading). no_transmitter is said once no_tx_windows pass so, until a window's
        reading (app.wiring clears it at that session's `disconnected`, read=True; not
        at `authenticated`: a session cut after it left the alarm cleared, and never
        said again, for the rest of the absence). A window whose sessions all failed
        counts once, however many (blind, each advert heard starts one); heard when a
        session of it authenticated (heard_unread), also one before a retry's scan missed,
        not one whose later session of the same wake-up did (counted unheard: "not heard")."""
        now = clock.ms()
        heard, self._heard = self._heard, False
        fault, self._fault = self._fault, None
        if not unseen and self._unread_ms is not None and now - self._unread_ms < PERIOD_MS // 2:
            return
        self.unread += 1
        self.unread_heard += heard
        self._unread_ms = now
        if self.unread >= self.cfg["no_tx_windows"] and not self._no_tx_told:
            self._no_tx_told = True
            self._event("no_transmitter", windows=self.unread, heard=self.heard_unread())
        self._count_fault(fault)

    def _count_fault(self, fault):
        """A wake-up whose sessions failed (fault: _fault). One that a session of ended in an
        exception only a fault of ours raises adds to the row, one whose sessions ended
        otherwise ends it, one without a session leaves it (it says nothing of our code).
        code_fault_windows in a row: event code_fault (app.wiring: the device alarm,
        link_code), until a session reads. A one-off (the next wake-up reads, its reading
        backfilled) wakes nobody: the log has it."""
        if not fault:
            if fault is not None:
                self.code_faults = 0
            return
        self.code_faults += 1
        if self.code_faults >= self.cfg["code_fault_windows"] and not self._fault_told:
            # told once; a failed telling (the consumer out of memory) is told at the next one
            self._fault_told = self._event("code_fault", active=True, windows=self.code_faults,
                                           detail=fault)

    def heard_unread(self):
        """True while no_transmitter stands for windows that were all heard: each had a
        session that authenticated (our transmitter, genuine) and none brought its
        reading (the codec refusing a reply, a bug of ours, a session cut after
        authenticating at the edge of range). Moving the box nearer helps only the last.
        Words only (main.App.shown): the alarm stays no_transmitter. One window unseen
        among them: False, the transmitter may be away."""
        return self.unread >= self.cfg["no_tx_windows"] and self.unread_heard == self.unread

    def _missed_window(self):
        self.missed += 1
        self._unread_window(unseen=True)
        # A phase from an advert alone is when the advert was handled, which a blocking
        # call (a DNS lookup, a flash write) can put after the transmitter's burst: its
        # scans then start too late at every wake-up (chaos seed 4001: an hour without a
        # reading). Missed once, it is looked for again blind. A phase the transmitter's
        # own time gave is kept through resync_windows (away, or out of range).
        if self.missed >= self.cfg["resync_windows"] or not self.windows.anchored():
            self.windows.forget()

    def _alone(self):
        shared = self.cfg["radio_shared"]
        try:
            return shared is not None and not shared()
        except Exception:   # cannot tell: spare Wi-Fi, and keep scanning
            return False

    def _window_duty(self):
        """(interval_us, window_us) of the scan around an expected wake-up."""
        if self._alone():
            return self.cfg["alone_scan_us"], self.cfg["alone_scan_us"]
        return self.cfg["scan_interval_us"], self.cfg["scan_window_us"]

    def _acquire_duty(self):
        """(duration_ms, interval_us, window_us) of a blind scan (see DEFAULTS)."""
        cfg = self.cfg
        if self._alone():
            return cfg["alone_chunk_ms"], cfg["alone_scan_us"], cfg["alone_scan_us"]
        if self.acquiring_ms < cfg["acquire_hard_ms"]:
            return cfg["acquire_chunk_ms"], cfg["acquire_interval_us"], cfg["acquire_window_us"]
        return cfg["acquire_chunk_ms"], cfg["acquire_slow_interval_us"], cfg["acquire_slow_window_us"]

    async def _scan(self, duration_ms, interval_us, window_us):
        if duration_ms <= 0:
            return None
        t0 = clock.ms()
        found = None
        try:
            async with aioble.scan(duration_ms, interval_us, window_us, active=False) as scanner:
                async for r in scanner:
                    try:
                        ours = r.name() == self.name and self._is_dexcom(r)
                    except ValueError:
                        # another device's advert aioble cannot decode: a name cut inside
                        # a UTF-8 character or in Latin-1 (UnicodeError), an odd-length
                        # UUID list ("invalid UUID"). Raised here it ended the scan, and
                        # the next met the same advert 100 ms later (11 of 36
                        # readings live beside one such device)
                        continue
                    if ours and not self._passed_over(r.device):
                        found = r.device
                        break
        except OSError:
            _forget_refused_scan()
            raise
        finally:
            self.scan_ms += clock.ms() - t0
        return found

    def _mark_rogue(self, device):
        rogues = self._rogues
        a = bytes(device.addr)
        # an address marked again evicts no other
        if a not in rogues and len(rogues) >= _ROGUES_MAX:
            del rogues[min(rogues, key=rogues.get)]
        rogues[a] = clock.ms()

    def _passed_over(self, device):
        """True for an address that answered rogue (see the top)."""
        a = bytes(device.addr)
        marked = self._rogues.get(a)
        if marked is None:
            return False
        addr, t = self._genuine
        if t is not None and addr != a and t > marked:
            return True
        return clock.ms() - marked < ROGUE_SKIP_MS

    def _is_dexcom(self, r):
        for u in r.services():
            if u == _FEBC:
                return True
        for _ in r.manufacturer(protocol.MANUFACTURER_ID):
            return True
        return False

    # --- one session ------------------------------------------------------------
    async def _session(self, device):
        """Returns (got_live_reading, final): final = do not retry this window."""
        t0 = clock.ms()
        self.sessions += 1
        self.state = "connecting"
        conn = None
        reason = "done"
        ok = False
        final = False
        self._live = None
        keys = dict(security._secrets)
        if self._fault is None:
            self._fault = False
        try:
            # the stack's attempt (scan_duration_ms; MicroPython's default is 2 s) must
            # end before aioble stops waiting: NimBLE's cancel takes a few ms, and an
            # attempt still pending would refuse the next scan (EBUSY) or connect unheard
            conn = await device.connect(timeout_ms=self.cfg["connect_timeout_ms"] + _CONNECT_SETTLE_MS,
                                        scan_duration_ms=self.cfg["connect_timeout_ms"])
            self._event("connected", addr=device.addr_hex())
            ok = await asyncio.wait_for_ms(self._exchange(conn), self.cfg["session_timeout_ms"])
            final = True
        except _End as e:
            reason = e.args[0]
            final = reason == "auth_failed"
        except asyncio.TimeoutError:
            reason = "timeout"
        except aioble.DeviceDisconnectedError:
            reason = "connection lost"
        except DexcomError as e:
            reason = "bad message: %s" % e
        except asyncio.CancelledError:
            raise
        except Exception as e:
            reason = "error: %r" % (e,)
            # (asked before the finally's disconnect)
            if isinstance(e, _CODE_FAULTS) or (
                    isinstance(e, TypeError) and conn is not None and conn.is_connected()):
                self._fault = reason
        finally:
            if conn is not None:
                try:
                    await conn.disconnect(timeout_ms=2000)
                except Exception:
                    pass
            if security._secrets != keys:   # also when the session was cancelled
                self._save_keys()
        if self._live is not None:
            ok = True  # the window's reading arrived even if a later step failed
        self.last_session_ms = clock.ms() - t0
        self.last_reason = reason
        if ok:
            self.good_sessions += 1
        self.state = "idle"
        if conn is not None:
            self._event("disconnected", reason=reason, ms=self.last_session_ms, read=ok)
        return ok, final

    async def _exchange(self, conn):
        cfg = self.cfg
        op = cfg["op_timeout_ms"]
        self._live = None
        self._by_read = set()
        self.state = "discovering"
        service = None
        disc = conn.services(_CGM)
        with conn.timeout(op * 2):
            async for s in disc:
                if service is None and s.uuid == _CGM:
                    service = s
        if service is None and disc._status:
            # The discovery ended in an error, not in an answer without the service: a
            # link lost meanwhile (a connection request the transmitter did not hear is
            # reported made, then lost) fails it with status 7 before the disconnect, and
            # aioble ends it as if the device had no such service
            if disc._status == _ST_ENOTCONN:
                raise aioble.DeviceDisconnectedError
            raise _End("service discovery failed")
        if service is None:   # no Dexcom, whatever its name: passed over as a rogue is
            # (not the address that last proved genuine, as a safeguard)
            if bytes(conn.device.addr) != self._genuine[0]:
                self._mark_rogue(conn.device)
            raise _End(_NO_CGM)
        chars = {}
        with conn.timeout(op * 2):
            async for ch in service.characteristics():
                chars[ch.uuid] = ch
        a, c, b = chars.get(_AUTH), chars.get(_CONTROL), chars.get(_BACKFILL)
        if a is None or c is None or b is None:
            raise _End("CGM service lacks a characteristic")
        for ch in (a, c, b):
            _both_queues(ch)

        # Authentication: both sides prove they know the ID-derived key.
        self.state = "authenticating"
        await self._subscribe(conn, a)
        token = auth.random_token()
        ch = replies.parse_auth_challenge(await self._ask(a, build.auth_request(token, cfg["slot"]), 0x03))
        if auth.hash8(self.tx_id, token, self.key) != ch["token_hash"]:
            self._event("rogue", detail="token hash does not match the configured ID: not this transmitter or not genuine")
            self._mark_rogue(conn.device)
            raise _End("rogue")
        st = replies.parse_auth_status(await self._ask(a, build.auth_challenge(
            auth.hash8(self.tx_id, ch["challenge"], self.key)), 0x05))
        if not st["is_authenticated"]:
            self._event("auth_failed", detail="transmitter rejected our key (wrong transmitter ID?)")
            raise _End("auth_failed")
        self._event("authenticated")
        self._genuine = (bytes(conn.device.addr), clock.ms())
        self._heard = True

        self.state = "bonding"
        if st["needs_bond"] and self.have_bond and await self._keys_hold(conn):
            pass  # "not bonded" meant this link was not encrypted yet: our bond holds
        elif st["needs_bond"]:
            if self.have_bond:
                self.bond_lost_row += 1
                self._event("bond_lost", slot=cfg["slot"])
                if self.bond_lost_row == 2:
                    self._event("slot_conflict", slot=cfg["slot"],
                                detail="another device keeps taking this slot; change the slot setting")
            if _has_bond_keys():
                # The transmitter does not have our keys: drop them before it
                # pairs (xDrip unbonds first too); else the stack would answer
                # its Security Request by encrypting with the stale key. Judged
                # by the store, not have_bond: a pairing cut before the link
                # saw it leaves keys have_bond does not count.
                self._forget_bond()
            await self._bond(conn, a)
        else:
            if await self._encrypt(conn, _BONDED_WAIT_MS):
                self.bond_lost_row = 0
                self._event("encrypted")  # our bond held since the last session
            else:
                # Our stored keys were refused: the transmitter lost (or
                # replaced) the bond although it says it has one.
                self._event("bond_lost", slot=cfg["slot"], detail="stored bond keys refused")
                self._forget_bond()
                await self._bond(conn, a)

        # Data.
        self.state = "reading"
        await self._subscribe(conn, c)
        t_ask = clock.ms()
        tm = replies.parse_time(await self._ask(c, build.transmitter_time(), 0x25))
        dex_now = tm["current_time_dex_s"]
        self._check_clock(dex_now, t_ask)
        half_rtt_s = (clock.ms() - t_ask + 1000) // 2000  # the reply tells the time of its middle
        self.windows.anchor(clock.ms(), dex_now)
        kept = None
        if cfg["on_time"] is not None:   # before the dates below: it may give the clock back
            try:
                kept = cfg["on_time"](dex_now + half_rtt_s)
            except Exception as e:
                self._event("error", detail="on_time: %r" % e)
        self.activation_unix = (clock.unix() - half_rtt_s - dex_now) if clock.wall_valid() else None
        # the activation on_time keeps across power cuts dates the readings: it alone
        # judges whether this estimate agrees with it (app.txclock, SAME_WITHIN_S), so
        # readings backfilled again after a cut keep their first dates, by which
        # Nightscout knows them (one a second off was a second entry)
        if isinstance(kept, int) and self.activation_unix is not None:
            self.activation_unix = kept
        left = self.session_left_s = session_left_s(tm, self.tx_id)
        self.session_at_ms = clock.ms()
        self.session_start_dex = None if left is None else tm["session_start_time_dex_s"]
        self._status(tm["status"])
        g = await self._ask(c, build.glucose(), _GLUCOSE_REPLIES)
        live = glucose_reading(g, self.activation_unix, reading.LIVE)
        self._status(g[1])
        self._sensor(live[reading.STATE])
        known = self.seen.newest is not None   # a gap after readings seen, not the history before them
        gap = self._gap(live[reading.DEX_S])
        if gap is not None:
            # kept until a backfill brings it whole (_backfill): the live reading moves the
            # newest seen past it, so a session cut before the backfill forgot it (chaos 562)
            self._hole = gap
        self._emit(live)
        self._live = live
        if self.sessions % cfg["battery_every"] == 1 or cfg["battery_every"] <= 1:
            try:
                bat = replies.parse_battery(await self._ask(c, build.battery(), 0x23))
                self.battery = bat
                self._status(bat["status"])
            except DexcomError as e:  # information only: it must not cost the backfill
                self._event("error", detail="battery reply dropped: %s" % e)
            except asyncio.TimeoutError:   # nor must a request it leaves unanswered
                self._event("error", detail="no battery reply")
        if gap is not None:
            if live[reading.STATE] != 0x02 and live[reading.STATE] != 0x01:
                self.state = "backfilling"
                await self._backfill(conn, c, b, gap[0], gap[1], known)
            else:  # no session now (warm-up, stopped): ask once glucose is back, while in reach
                self._hole = _span(self._hole, gap)
        self.state = "closing"
        try:
            await self._write(c, build.disconnect())
        except Exception:
            pass  # the transmitter may drop the link before acknowledging
        return True

    async def _write(self, ch, msg):
        await ch.write(msg, True, self.cfg["op_timeout_ms"])

    async def _subscribe(self, conn, ch):
        """Subscribe with what the characteristic offers: indications when it
        has them (G5, G6, Firefly, ONE: authentication and control), else
        notifications; neither: its replies can only be read. Never a kind it
        does not offer (xDrip asks a G5 for notifications, which its
        authentication characteristic lacks, and relies on the read): aioble
        has no queue for it (a stray value would raise inside the IRQ), and
        the transmitter may ignore or refuse the CCCD bit."""
        p = ch.properties
        indicate = bool(p & _FLAG_INDICATE)
        notify = not indicate and bool(p & _FLAG_NOTIFY)
        ch.link_via = _VIA_INDICATE if indicate else (_VIA_NOTIFY if notify else None)
        ch.link_read = bool(p & _FLAG_READ)
        if indicate or notify:
            with conn.timeout(self.cfg["op_timeout_ms"]):
                await ch.subscribe(notify=notify, indicate=indicate)

    async def _ask(self, ch, msg, want_op):
        """Write a request, return the reply with opcode want_op (an int, or a
        tuple of the opcodes that answer it). A malformed or foreign reply gets
        one retry of the request."""
        op = self.cfg["op_timeout_ms"]
        for attempt in (0, 1):
            _drain(ch)  # a late reply to an earlier request is not this one's
            await ch.write(msg, True, op)
            rx = await self._reply(ch, want_op, op)
            if rx and _is_op(rx, want_op):
                if want_op in (0x03, 0x05):
                    return rx        # authentication: no CRC, parser checks length
                if _crc_ok(rx):
                    return rx
            self.bad_replies += 1
            if attempt:
                raise DexcomError("reply %s to request 0x%02x is malformed" % (bytes(rx[:4]).hex() if rx else "-", msg[0]))
        return rx

    async def _reply(self, ch, want_op, timeout_ms):
        """The reply to the request just written: the first value the
        subscription queues (after a 0xD0 pre-reply), or, when nothing came
        within read_after_ms and the characteristic is readable, its value
        read back if it carries want_op. A G5 answers authentication only by
        read (CGMBLEKit, xdrip-js); xDrip reads when nothing arrived within
        500 ms. A Firefly read returns our own request (xdrip-js #124): not a
        reply, so it is ignored. A characteristic that answered by read before
        in this session is read at once, as CGMBLEKit and xdrip-js do with a G5
        (not across sessions: reading first costs a G6 that indicates a round trip).
        asyncio.TimeoutError after timeout_ms."""
        deadline = clock.ms() + timeout_ms
        step = self.cfg["read_after_ms"]
        read_now = ch.link_read and ch.uuid in self._by_read
        while True:
            left = deadline - clock.ms()
            if left <= 0:
                raise asyncio.TimeoutError
            if not read_now:
                rx = await self._queued(ch, min(left, step) if ch.link_read else left)
                if rx is not None:
                    if rx and rx[0] == _PRE_REPLY:
                        continue
                    return rx
                left = deadline - clock.ms()
                if not ch.link_read or left <= 0:
                    continue
            read_now = False
            try:
                rx = await ch.read(timeout_ms=left)
            except aioble.GattError:
                ch.link_read = False   # read not permitted (Firefly): wait for the queue
                continue
            if rx and _is_op(rx, want_op):
                self._by_read.add(ch.uuid)
                return rx
            self._by_read.discard(ch.uuid)

    async def _queued(self, ch, wait_ms):
        """The next subscribed value within wait_ms, else None."""
        via = ch.link_via
        try:
            if via == _VIA_INDICATE:
                return await ch.indicated(timeout_ms=wait_ms)
            if via == _VIA_NOTIFY:
                return await ch.notified(timeout_ms=wait_ms)
        except asyncio.TimeoutError:
            return None
        await asyncio.sleep_ms(wait_ms)
        if not ch.connection.is_connected():
            raise aioble.DeviceDisconnectedError
        return None

    async def _keys_hold(self, conn):
        """The transmitter said "not bonded" while we hold its keys. That may
        mean only that this link is not encrypted yet: the reader encrypts it
        with the stored keys BEFORE authenticating in the peers whose stacks
        do that (ESP32R's setup_bonding() before connect: "so transmitter does
        not want to (re)bond"; iOS), and where the stack encrypts later xDrip
        re-authenticates after 1.5 s (its "Android 12+ workaround") or goes on
        to the data with the phone's bond (PR #2121: "the data can be
        received successfully"). NimBLE does not encrypt by itself, so every
        session would say "not bonded". Try our keys first: True when they
        encrypt the link (no BondRequest, no new pairing); False when refused
        or nothing happened, then the caller bonds as before. A cut during the
        try drops the keys (a transmitter that hangs up on them would
        otherwise be offered them again at every session)."""
        if not _has_bond_keys():
            return False
        try:
            held = await self._encrypt(conn, _BONDED_WAIT_MS)
        except asyncio.TimeoutError:
            return False
        except aioble.DeviceDisconnectedError:
            self.bond_lost_row += 1
            self._event("bond_lost", slot=self.cfg["slot"], detail="link cut while encrypting with the stored keys")
            self._forget_bond()
            raise
        if held:
            self.bond_lost_row = 0
            self._event("encrypted")
        return held

    async def _bond(self, conn, a):
        """KeepAlive 0x06 then BondRequest 0x07 on the authentication
        characteristic, as every peer does; the transmitter then starts the
        pairing itself (SMP Security Request, answered by the stack)."""
        await self._write(a, build.keep_alive(self.cfg["keepalive_s"]))
        await self._write(a, build.bond_request())
        if not await self._encrypt(conn, self.cfg["bond_wait_ms"]):
            raise _End("pairing failed")
        if not conn.is_connected():
            # lost while the keys were handed over: NimBLE reports the link encrypted (not
            # bonded) just before the disconnect, and no keys were stored
            raise aioble.DeviceDisconnectedError
        self.have_bond = True
        self._event("bonded", slot=self.cfg["slot"])

    async def _encrypt(self, conn, wait_ms):
        """True once the link is encrypted, False when the transmitter refused
        (stored keys it no longer has, or a failed pairing). The transmitter
        may start the security procedure itself (always after a BondRequest):
        it gets wait_ms before we ask from our side, because NimBLE runs one
        security procedure per link: gap_pair() during the transmitter's
        raises OSError(EALREADY) (and a Security Request arriving during ours
        can end ours)."""
        h = conn._conn_handle
        _enc_failed.discard(h)
        done = await self._encryption(conn, h, wait_ms)
        if done is None:
            try:
                aioble.core.ble.gap_pair(h)
            except OSError as e:
                if e.args[0] != _EALREADY:
                    raise
                # a procedure is already under way: wait for its outcome
            done = await self._encryption(conn, h, self.cfg["pair_timeout_ms"])
            if done is None:
                raise asyncio.TimeoutError
        return done

    async def _encryption(self, conn, h, wait_ms):
        """Waits up to wait_ms for the outcome of the security procedure: True
        encrypted, False refused, None nothing yet."""
        deadline = clock.ms() + wait_ms
        while True:
            if conn.encrypted:
                return True
            if h in _enc_failed:
                return False
            if not conn.is_connected():
                raise aioble.DeviceDisconnectedError
            if clock.ms() >= deadline:
                return None
            await asyncio.sleep_ms(20)

    def _save_keys(self):
        """Write the bond keys again once the session that changed them is over. aioble
        saves them from a callback scheduled at the first key of a pairing; when that save
        fails (a MemoryError, an OSError: printed and dropped by the scheduler) the file is
        left cut and aioble's store stays marked modified, so aioble never saves again:
        after a reset the transmitter had to pair again. (A key handed over inside aioble's
        save, as test_link_bond_save places it, does not happen on the ESP32: a scheduled
        callback runs with the scheduler locked, when the VM does not give up the GIL.)"""
        _save_bond_store("saving the bond keys")

    def _forget_bond(self):
        """Drop the bond keys. The flash refusing to write the store without them must not
        end the session before it bonds again: its retry in the window counted a second
        bond loss and sounded "slot in use". (The file keeps the old keys until the next
        save: after a reset the transmitter refuses them and the link bonds again.)"""
        _drop_bond_keys()
        self.have_bond = False
        _save_bond_store("dropping the bond keys")

    def _gap(self, dex_now):
        """The span to backfill before the live reading at dex_now: what is
        newer than the newest reading seen, and a span an earlier backfill
        failed to bring (a cut session, a damaged frame) or readings on_reading
        could not take, within the limit."""
        max_s = self.cfg["backfill_max_s"]
        gap = self.seen.gap(dex_now, max_s)
        b = self._before_reset
        if b is not None:
            top = b[0] if b[2] is None else b[0] + [b[2]]
            if not top or max(top) - (self._dex0_ms - b[1]) // 1000 + _SAME_S < dex_now - max_s:
                self._before_reset = None      # out of every backfill's reach now
        if self._undelivered is not None:
            self._hole = _span(self._hole, self._undelivered)
            self._undelivered = None
        hole = self._hole
        if hole is not None:
            if hole[1] < dex_now - max_s:
                self._forget_hole()        # too old to ask for now
            else:
                # the hole, and what is newer if that is missing too; readings
                # already seen are dropped as duplicates. The end stays the
                # hole's, so a span that keeps failing ages out of the limit.
                end = hole[1] if gap is None else max(hole[1], gap[1])
                gap = (max(hole[0], dex_now - max_s), end)
        return gap

    def _check_clock(self, dex_now, now_ms):
        """A transmitter clock behind the newest reading delivered: those were the
        old clock's, the transmitter was reset (another ID's newest dex time is
        forgotten at the boot, app.persist.own; only a record kept before the ID
        was can still be another's). Without this, every reading
        of the new one would be dropped as older than the ones seen. Or one that
        started well after the clock of the last session in this boot (or than the
        resume point and the time away allow): a clock restarted while out of reach
        longer than the old clock's age (a young transmitter reset) is ahead of the
        newest reading, and the readings held for want of a wall time were dated by
        it (35 min late on Nightscout)."""
        newest = self.seen.newest
        was, self._dex0_ms = self._dex0_ms, now_ms - dex_now * 1000
        r, self._resumed = self._resumed, None
        if newest is None:
            return
        if dex_now < newest:
            detail = "transmitter time %d is before the newest reading %d" % (dex_now, newest)
        elif was is not None and self._dex0_ms - was > _CLOCK_MOVED_S * 1000:
            detail = "transmitter clock started %d s after the last session's" % (
                (self._dex0_ms - was) // 1000)
        else:
            if r is not None:
                self._resumed = (r[0], True, r[2])
            return
        # (the same ID: app.persist.own forgot another transmitter's resume point at the boot)
        self._event("tx_clock", detail=detail + ": the transmitter was reset (its clock restarted)")
        # a transmitter reset may keep its records and offer them again at the new clock's
        # dex times (tools/vtx): a backfill reaching back brought readings already delivered
        # a second time (the LAN API's history, Nightscout: two points at one time, a second
        # apart). This boot's deliveries, of this transmitter ID (app.persist `own`
        # forgets another's), are known, on one ms time line: a swapped transmitter's
        # readings and those the old clock never delivered are kept
        # Those of a boot before this one (a watchdog's reset), up to the resume point, less
        # what it left to backfill and this boot has not brought (nor given up after empty
        # answers: "not now" perhaps, and a lost reading is worse than a copy)
        dex, b = self.seen.dex, self._before_reset
        upto, hole = (r[0], _span(self.missing(), r[2])) if r is not None and r[1] else (None, None)
        if b is not None:   # (set only once `was` is known: it stays known)
            # a reset before the last one's list was let go: the records of both clocks are
            # offered again (the older clock's, held only there, were handed over twice);
            # those out of the next backfill's reach are left out
            lim = dex_now - self.cfg["backfill_max_s"] - _SAME_S + (self._dex0_ms - was) // 1000
            s = (was - b[1]) // 1000      # b's clock to the last session's
            dex = [d for d in dex + [d - s for d in b[0]] if d >= lim]
            if b[2] is not None and b[2] - s >= lim:
                upto, hole = b[2] - s, b[3] and (b[3][0] - s, b[3][1] - s)
        self._before_reset = None if was is None else (dex, was, upto, hole)
        self.seen = Seen(self.seen.horizon_s)
        self._forget_hole()
        self._undelivered = None
        self.windows.forget()
        # its status is told at its first word, "ok" too: the app holds an old warning
        # through a recovery until another transmitter, and one saying "ok" as the old
        # one's last word did was never told (its warning stayed up)
        self.tx_status = None

    def _copy(self, dex_s):
        """A backfill record at dex_s is one delivered before the last reset."""
        b = self._before_reset
        if b is None:
            return False
        t = dex_s + (self._dex0_ms - b[1]) // 1000    # on the clock of b's times
        for d in b[0]:
            if -_SAME_S < d - t < _SAME_S:
                return True
        # up to the resume point, outside the span left then; a reading next to that span
        # (a second from its edge) is kept: twice rather than lose one lying at the edge
        h = b[3]
        return b[2] is not None and t < b[2] + _SAME_S and not (h and h[0] - _SAME_S < t < h[1] + _SAME_S)

    def _forget_hole(self):
        # with its count of empty answers: a later gap's asks are its own (a count
        # carried over forgot a new 3-h gap at its second empty answer, helper-247)
        self._hole = None
        self._empty_asks = 0

    async def _backfill(self, conn, c, b, start, end, missed=True):
        self._hole = (start, end)          # until the stream arrives whole
        op = self.cfg["op_timeout_ms"]
        # aioble keeps only the newest notification; give this characteristic a
        # queue that holds the whole burst (aioble appends when it is longer).
        if not b.properties & _FLAG_NOTIFY:
            self._event("error", detail="backfill characteristic does not notify: no backfill")
            return
        b._notify_queue = deque((), _FRAMES_MAX)
        with conn.timeout(op):
            await b.subscribe(notify=True, indicate=False)
        stream = Backfill(start, end)
        _drain(c)
        await c.write(build.backfill(start, end), True, op)
        stream.add_reply(await self._reply(c, 0x51, op * 2))
        while not stream.complete():
            stream.add_frame(await _next_frame(b, op))
        try:
            rs = stream.readings(self.activation_unix)
        except DexcomError as e:
            self._event("error", detail="backfill dropped: %s" % e)
            return
        if not rs and missed and self._empty_asks < _EMPTY_ASKS:
            self._empty_asks += 1
            # nothing announced for a span whose readings were missed after others were
            # seen (0x51 status 2, every field zero, in xdrip-js's captures; no source says
            # whether it means "none kept" or "not now"): the span stays a hole, asked again
            # at the next wake-ups (_EMPTY_ASKS at most, within the limit), as xDrip+ asks
            # while a gap lasts (it was forgotten). The history before the first reading seen
            # (a new transmitter, a power cut) is asked once: a new one has none
            r = stream.reply
            self._event("error", detail="backfill: nothing announced for %d..%d (0x51 status %d, "
                        "identifier %d): asked again later" % (start, end, r["backfill_status"],
                                                               r["identifier"]))
            return
        res = self._resumed
        if not rs and res is not None and start <= res[0]:
            # given up, never delivered: a new clock's backfill may bring it (helper-362)
            self._resumed = (res[0], res[1], _span(res[2], (start, end)))
        self._forget_hole()
        for r in rs:
            if self._emit(r):
                self.backfilled += 1

    # --- conditions -----------------------------------------------------------
    def _status(self, code):
        if code == self.tx_status:
            return
        prev = self.tx_status
        self.tx_status = code
        if code != protocol.STATUS_OK:
            told = self._event("battery_low", status=code, name=protocol.status_name(code))
        else:  # also the first time: an alarm restored after a reset must be able to clear
            told = self._event("battery_low", status=code, name="ok", active=False)
        if not told:   # told only on a change: a failed telling is told again next time
            self.tx_status = prev

    def _sensor(self, code):
        if code == self.sensor_state:
            return
        # reported the first time too, even when all is well: a sensor alarm
        # restored after a reset clears on it
        prev = self.sensor_state
        self.sensor_state = code
        usable = protocol.state_usable(code)
        if not self._event("sensor_state", state=code, name=state_name(code), kind=state_kind(code),
                           usable=usable):
            self.sensor_state = prev   # told only on a change: told again at the next reading


# GlucoseTx 0x30 is answered by GlucoseRx 0x31; CGMBLEKit also takes the G6
# EGlucoseRx 0x4F layout for it (the same fields at the same offsets)
_GLUCOSE_REPLIES = (0x31, 0x4F)


_VIA_INDICATE = 1
_VIA_NOTIFY = 2

# aioble's bond store holds more than a bond: MicroPython's NimBLE binding stores the
# radio's own IRK there at every start (extmod/nimble/modbluetooth_nimble.c load_irk,
# secret type 10), so on the ESP32 it is never empty; and the keys of a transmitter the
# box no longer reads stay until they are dropped. Only our and the peer's
# keys (types 1 and 2) are a bond, and only beside the transmitter ID they were made
# with (an entry of a type the stack never asks for, saved in aioble's own file).
_BOND_TYPES = const((1, 2))
_OWNER = const((0x7F, b"tx"))


def _has_bond_keys():
    for k in security._secrets:
        if k[0] in _BOND_TYPES:
            return True
    return False


def _drop_bond_keys():
    for k in [k for k in security._secrets if k[0] in _BOND_TYPES]:
        del security._secrets[k]


def _save_bond_store(what):
    """aioble's key store to flash. A refusal (OSError: a worn-out or full flash) leaves
    the keys in RAM, tried again at the next change, and counts toward the `device` flash
    alarm as the firmware's own saves do (app.fsutil.failed_writes); a good save ends
    the row. (aioble's own save, scheduled at a pairing's first key, is not counted: the
    link saves again after each session that changed the keys.) Out of memory in aioble's
    dump: the same, uncounted (no flash fault); it left the caller, and at a start _own_keys
    with it the link task, restarted into the same save."""
    try:
        security._save_secrets()
    except OSError as e:
        fsutil.count_write(False, _bond_store_bytes())
        print("link: %s failed:" % what, repr(e))
        return
    except MemoryError as e:
        print("link: %s failed:" % what, repr(e))
        return
    fsutil.count_write(True)


def _bond_store_bytes():
    """The size of the bond file aioble's save writes (its JSON, MicroPython's: each entry
    `[type, "key base64\\n", "value base64\\n"]`, ", " between): main's health-round try of
    the flash is as big (a full flash takes a few bytes, not the keys). Reckoned, not dumped:
    a copy of the store on a heap that had just refused aioble's raised MemoryError here."""
    return sum(len(str(t)) + 16 + 4 * ((len(k) + 2) // 3) + 4 * ((len(v) + 2) // 3)
               for (t, k), v in security._secrets.items()) or 2


def _own_keys(tx_id):
    """Drop the bond keys of another transmitter (or of none named: a file from
    before the name was kept), and name this one's. Else a swap offered the old
    keys: NimBLE, holding none for the new address, paired from our side without
    the BondRequest every peer sends first, and the status said bonded."""
    name = tx_id.encode()
    if security._secrets.get(_OWNER) == name:
        return
    if _has_bond_keys():
        _drop_bond_keys()
        security._secrets[_OWNER] = name
        # (in RAM they are gone: the next save writes it)
        _save_bond_store("dropping another transmitter's bond keys")
    else:
        security._secrets[_OWNER] = name   # saved with the first bond


def _both_queues(ch):
    """aioble gives a characteristic a notify (indicate) queue only when its
    properties say notify (indicate), and its IRQ handler uses that queue
    unguarded: a value of the other kind, which NimBLE passes up whatever was
    subscribed, raised AttributeError in the handler, and the port then disables
    the handler until a reset (no event reaches aioble: about 17 min of no_data).
    A stray value now waits unread."""
    if not hasattr(ch, "_notify_queue"):
        ch._notify_queue = deque((), 1)
        ch._notify_event = asyncio.ThreadSafeFlag()
    if not hasattr(ch, "_indicate_queue"):
        ch._indicate_queue = deque((), 1)
        ch._indicate_event = asyncio.ThreadSafeFlag()


def _span(a, b):
    """The dex span covering spans a and b (either may be None)."""
    return b if a is None else a if b is None else (min(a[0], b[0]), max(a[1], b[1]))


def _is_op(rx, want_op):
    return rx[0] == want_op if isinstance(want_op, int) else rx[0] in want_op


async def _next_frame(b, timeout_ms):
    """The backfill's next frame. aioble sets the queue's flag only when it goes
    from empty to one frame; a notified() woken after two or more had come (one
    connection event carries several) clears it with frames still queued, and
    the next call, finding one, waits on the cleared flag until the timeout: the
    whole backfill lost. It bit when 0x51 came before the frames (the loop was
    already waiting); so the flag is set again while any frame is queued."""
    frame = await b.notified(timeout_ms=timeout_ms)
    if len(b._notify_queue):
        b._notify_event.set()
    return frame


def _drain(ch):
    """Empty the subscription's one-entry queue (aioble keeps the latest value
    until it is taken, e.g. an indication that came after a read had already
    answered, or FF 06 01 after KeepAlive). Its flag is cleared with it: a
    set flag over an empty queue would make aioble pop from an empty deque.
    A value the IRQ queues just before the clear would stay behind a cleared
    flag, and aioble sets the flag only when its queue goes from empty to one
    entry: no later value would wake indicated(). So empty it again then."""
    via = ch.link_via
    if via == _VIA_INDICATE:
        q, flag = ch._indicate_queue, ch._indicate_event
    elif via == _VIA_NOTIFY:
        q, flag = ch._notify_queue, ch._notify_event
    else:
        return
    while True:
        while len(q):
            q.popleft()
        flag.clear()
        if not len(q):
            return


def _crc_ok(b):
    from dexcom.crc import trailer_ok
    return trailer_ok(b, len(b))
