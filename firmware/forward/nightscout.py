# Nightscout uploader: drains the upload queue with POST /api/v1/entries.
#
#   up = NightscoutUploader(cfg["nightscout"], on_condition=cb, wifi=keeper,
#                           store_path="/nsqueue.bin", on_server_date=timesync.offer_date,
#                           held=rtc.held)   # rtc.held_of = up.held_image
#   up.submit(reading)          # from the reading path; never blocks
#   asyncio.create_task(up.run())
#   NightscoutUploader(..., session=fn, start_path="/nsstart.txt")   # the link's sensor session:
#                               # its "Sensor Start" treatment, once (forward.sensorstart)
#
# Config: {"url": "https://ns.example.org", "secret": "...12+ chars" | "token": "name-hash",
#          "ca_file": "/ca.pem" (https), "lan": false, "device": "bedside-cgm",
#          "batch": 12, "timeout_s": 20}
# Conditions raised through on_condition(kind, name, active), kind "forwarding":
#   "nightscout_auth"        401/403: secret or token rejected (backs off 1 min .. 1 h)
#   "nightscout_unreachable" no upload for `alert_after_s` with readings waiting
#   "nightscout_queue_full"  the queue overflowed and dropped its oldest readings
#   "nightscout_queue_damaged"  a queue file read at start was damaged (flash): the
#                            readings it held since the copy before are lost to the
#                            server; clears 30 min later (an event, not a state)
#   "nightscout_undated"     readings held without a wall time could not be dated (the
#                            transmitter's clock restarted: forget_held, _date_held; or
#                            at the boot, held_lost=n from app.persist's own()): lost to
#                            the server; clears 30 min later
# Readings without a wall time (the link gives them until the box's clock is
# set) are held, up to 3 h, and dated by the first reading that has one
# (same transmitter clock: wall = its wall - its dex_s + dex_s; forget_held() when the
# link meets another clock, tx_clock: the new one's wall time cannot date them). The link
# resumes after them at a reset: they are kept in RTC memory with its resume
# point (held_image(), given back as `held` at the next start; app.persist),
# and, once dated, until the queue's next save to flash, as is every reading
# queued since that save (the link resumes after it too; with its date). While some
# are held and the clock is not set, the uploader asks the server for the time
# (GET /api/v1/status.json, its Date header to on_server_date): with NTP
# blocked nothing else would ever give the box a clock. Over https it asks
# before each post too while there is no clock (a handshake needs one).
# With session given, a sensor session's start is posted (POST /api/v1/treatments)
# once the queue is empty: after the readings, its own retries (1 min doubling
# to 1 h) and no condition of its own (a failing server raises the ones above).
# The secret is hashed at construction and never logged; the token is sent as
# ?token= and the request path is therefore never logged either.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import gc
import json
import hashlib
import binascii
import struct

import clock
from forward import ConfigError, need, log_print
from forward import http, failure
from forward.entries import sgv_entry
from app import fsutil
from forward.queue import UploadQueue, QueueError
from reading import BACKFILL_MAX_S, PERIOD_S

_RETRY_MIN_S = const(5)
_RETRY_MAX_S = 300
_AUTH_MIN_S = const(60)
_AUTH_MAX_S = const(3600)
# Readings kept while the box has no wall clock: a power-on's first session, its live reading
# and the link's whole backfill before it (37; with 36 one of them was dropped and
# nightscout_queue_full sounded the forwarding alarm after a power-on without a clock,
# though nothing was lost). Past that the oldest goes: a real overflow, told
_HELD_MAX = BACKFILL_MAX_S // PERIOD_S + 1
_WIFI_CHECK_S = const(60)   # while Wi-Fi is down or a back-off lasts: queue housekeeping (and the unreachable check)
_HELD_SPAN_S = const(86400)  # held readings are dated from one at most this far on the transmitter clock
_SAVE_BLOCK_MS = const(500)  # a queue save (erase, program, rename) holds the loop: kept out of a burst
_START_RETRY_MIN_S = const(60)   # a sensor start not stored: tried again after this, doubling to
_START_RETRY_MAX_S = const(3600)  # ... this
_START_REFUSED_S = const(86400)   # refused (401, 403): the log's ring is 48 lines, an hourly line fills it
_HELD_FILE = const(".held")  # beside the queue file: held readings, as the firmware before RTC memory
                      # kept them at a planned reset (read once, then removed)
_HELD_REC = const("<IHh")    # dex_s, sgv, trend (-32768: none): 8 bytes (app.persist.HELD_REC)
# In held_image() the readings that had a wall time are followed by a mark, a record of
# glucose 0 (no reading has it) whose first field is their activation, Unix seconds -
# dex_s: they come back dated as they were. Dated again by the first reading after the
# reset, those of a transmitter whose clock restarted meanwhile (or of another one)
# reached Nightscout hours in the future (chaos seed 4999: 6 h ahead, the newest entry a
# follower saw). Firmware before the mark skips it and dates the readings as it did.
_CLEAR_AFTER_S = const(1800)  # queue_full clears only this long after the last drop (a drop per
                       # reading must not raise and clear it every 5 min all night); queue_damaged
                       # this long after it was found


def validate(cfg):
    """Check a `nightscout` config dict; return a normalised copy. Raises ConfigError."""
    w = "nightscout"
    url = need(cfg, "url", str, w)
    try:
        scheme, host, port, base = http.parse_url(url)
    except ValueError as e:
        raise ConfigError("nightscout.url: %s" % e)
    lan = need(cfg, "lan", bool, w, False, False)
    if scheme == "http" and not lan:
        raise ConfigError("nightscout.url: plain http sends the secret in clear; "
                          "use https, or set nightscout.lan: true for a server on the home network")
    secret = need(cfg, "secret", str, w, None, False)
    token = need(cfg, "token", str, w, None, False)
    if (secret is None) == (token is None):
        raise ConfigError("nightscout.secret / nightscout.token: give exactly one")
    if secret is not None and len(secret) < 12:
        raise ConfigError("nightscout.secret: Nightscout ignores API secrets shorter than 12 characters")
    ca = None
    if scheme == "https":
        ca_file = need(cfg, "ca_file", str, w, None, False)
        ca = need(cfg, "ca_data", (str, bytes), w, None, False)
        if ca is None and ca_file is None:
            raise ConfigError("nightscout.ca_file: needed for https (the CA that signed the "
                              "server's certificate; the uploader verifies it)")
        if ca is None:
            ca = fsutil.read_bytes(ca_file)
            if ca is None:
                raise ConfigError("nightscout.ca_file: cannot read %s" % ca_file)
        if isinstance(ca, str):
            ca = ca.encode()
    batch = need(cfg, "batch", int, w, 12, False)
    if not 1 <= batch <= 50:
        raise ConfigError("nightscout.batch: 1..50")
    timeout_s = need(cfg, "timeout_s", (int, float), w, 20, False)
    if not 1 <= timeout_s <= 120:
        raise ConfigError("nightscout.timeout_s: 1..120")
    return {"scheme": scheme, "host": host, "port": port, "base": base, "lan": lan,
            "secret_sha1": None if secret is None else
            binascii.hexlify(hashlib.sha1(secret.encode()).digest()).decode(),
            "token": token, "ca": ca, "batch": batch, "timeout_s": timeout_s,
            "device": need(cfg, "device", str, w, "bedside-cgm", False),
            "alert_after_s": need(cfg, "alert_after_s", int, w, 3600, False)}


def _activation(h):
    """The mark a kept reading goes with (held_image), or None: held for want of a wall
    time, or an activation a mark cannot carry."""
    a = h[3]
    return a if a is not None and 0 < a <= 0xFFFFFFFF else None


class NightscoutUploader:
    def __init__(self, cfg, on_condition=None, wifi=None, queue=None, store_path=None,
                 on_server_date=None, log=log_print, on_memory=None, session=None, start_path=None,
                 held=None, held_lost=0):
        c = validate(cfg)
        self._c = c
        self._ctx = http.tls_context(c["ca"]) if c["scheme"] == "https" else None
        self.date_port = None   # plain HTTP's port for a Date (None: http.DATE_PORT, 80)
        c["ca"] = None
        self.queue = queue if queue is not None else UploadQueue()  # (an empty queue is falsy)
        self._on_condition = on_condition
        self._on_memory = on_memory  # fn(): a MemoryError survived here (the app counts them)
        self._wifi = wifi
        self._store = store_path
        self._on_date = on_server_date
        self._log = log
        self._wake = asyncio.Event()
        self._active = {}
        self._dropped_seen = 0
        self._dropped_s = None  # clock.ms() // 1000 of the last drop seen
        self._lost = {}  # condition -> clock.ms() // 1000 of readings lost to the server (an event)
        self._held = []  # (dex_s, sgv, trend, None) of readings that came without a wall time
        self._dated = []  # (dex_s, sgv, trend, activation) of those only the queue in RAM has:
        # queued (or held, then dated) since its last save to flash, not yet stored by the server
        self.delay_s = 0
        self.last_ok_ms = clock.ms()
        self.stats = {"posted": 0, "stored": 0, "failures": 0, "auth_failures": 0}
        # what stopped the last request, until one is stored (the status page's "failing:
        # certificate expired, ..."): else only the log said why
        self.last_failure = None
        self._session = session   # fn(): the link's sensor session (forward.sensorstart), or None
        self._start = None
        self._start_ms = self._start_delay_s = 0   # clock.ms() of the next try, and the back-off
        if session is not None:
            from forward.sensorstart import SensorStart
            self._start = SensorStart(start_path, log, "%s:%d%s" % (c["host"], c["port"], c["base"]))
        if store_path:
            # a save cut by a reset: finished or undone; when the flash refuses, the files are
            # read as they are (the cut save's temp file where the file is missing)
            here, state = fsutil.readable(store_path)
            if isinstance(state, OSError):
                self._log("nightscout: queue file %s not recovered: %r" % (store_path, state))
            self._restore(here) is False and self._restore(store_path + fsutil.BAK)
            self._restore_held_file(store_path + _HELD_FILE)
        if held:
            self._log("nightscout: %d readings without a wall time kept through the reset"
                      % self._take_held(held))
        if held_lost:   # (app.persist's own() dropped them, and the app said how many)
            self._lose("nightscout_undated")

    def _restore(self, path):
        """Queue the readings saved in path: True, None (no file) or False (corrupt,
        or the flash cannot read it: the uploader runs on all the same, the file
        only keeps readings across a reset)."""
        size = fsutil.size(path)
        if not size:
            return None
        try:
            with open(path, "rb") as f:
                self.queue.load(f, size)
        except (QueueError, OSError) as e:
            self._log("nightscout: queue file %s ignored: %s" % (path, e))
            self._lose("nightscout_queue_damaged")
            return False
        self._log("nightscout: %d readings restored from %s" % (len(self.queue), path))
        return True

    def _take_held(self, data):
        """Hold the readings of packed records (held_image); those no link can
        have given (damage) are left out. Returns how many were taken: the dated ones,
        and those held (not the ones a full hold dropped, nor one given twice)."""
        n = 0
        group = []
        for i in range(len(data) // 8):
            d, sgv, t = struct.unpack_from(_HELD_REC, data, i * 8)
            if sgv == 0 and t == 0 and d:   # a mark: the readings before it are dated by d
                for dex_s, g, trend in group:
                    if d + dex_s > 0xFFFFFFFF:   # damage the sum let through: no date the
                        continue                 # queue holds (it refused it, and the start)
                    self.queue.push((dex_s, d + dex_s, g, trend))
                    self._dated.append((dex_s, g, trend, d))   # still in RAM only
                    n += 1
                group = []
            elif 13 < sgv <= 0xFFF and (t == -32768 or -128 <= t <= 127):
                group.append((d, sgv, None if t == -32768 else t))
        for h in group:   # no mark after them: held for want of a wall time
            self._hold(*h)
        held = set(h[0] for h in self._held)
        return n + len(set(h[0] for h in group) & held)

    def _restore_held_file(self, path):
        """Readings the firmware before this one wrote at a planned reset: taken
        once, then the file goes. Never in the way of the start (a save cut by a
        power cut, a damaged or unreadable file: what can be read is taken)."""
        if fsutil.size(path) is None and fsutil.size(path + fsutil.TMP) is None:
            return   # (the usual case)
        # a save cut by the power whose last rename the flash refuses: read where it is
        # (the readings sat in the temp file, never read)
        here, state = fsutil.readable(path)
        if isinstance(state, OSError):
            self._log("nightscout: held file %s not recovered: %r" % (path, state))
        data = fsutil.read_bytes(here)
        for p in (path, path + fsutil.TMP, path + fsutil.BAK):
            fsutil.remove_if_present(p)
        if data:
            self._log("nightscout: %d readings without a wall time restored" % self._take_held(data))

    def held_image(self):
        """The held readings (and those only the queue in RAM has) as packed records,
        for RTC memory: the link resumes after them at a reset and never gives them
        again."""
        # the newest by transmitter time (a session's backfill comes after its live
        # reading), as many as a start holds again: more would count as dropped there.
        # The dated ones by activation, each group with its mark; the held ones last
        # (app.persist keeps the end of the image when RTC memory is short)
        keep = sorted(self._dated + self._held, key=lambda h: h[0])[-_HELD_MAX:]
        marks = []
        for h in keep:
            a = _activation(h)
            if a is not None and a not in marks:
                marks.append(a)
        out = []
        for a in marks + [None]:
            out += [struct.pack(_HELD_REC, h[0], h[1], -32768 if h[2] is None else h[2])
                    for h in keep if _activation(h) == a]
            if a is not None:
                out.append(struct.pack(_HELD_REC, a, 0, 0))
        return b"".join(out)

    # --- called from the reading path -------------------------------------
    def submit(self, reading):
        """Queue a reading (live or backfill) for upload. Cheap, never blocks."""
        dex_s, unix_s, sgv = reading[0], reading[1], reading[2]
        if unix_s is None:
            if sgv is None:
                return False
            self._hold(dex_s, sgv, reading[3])
            self._wake.set()
            return True
        # the reading first: its re-date (forward.redate) walks back from the newest
        # record, and the held ones, dated right by it, stopped the walk short
        queued = self.queue.push(reading, clock.back_s())
        if queued and self._store:
            # on flash at the queue's next save (5 min): until then it goes with the link's
            # resume point (held_image), else a reset between lost it from Nightscout
            self._dated.append((dex_s, sgv, reading[3], int(unix_s) - dex_s))
            if len(self._dated) > 2 * _HELD_MAX:   # (a save failing for hours)
                self._dated = self._dated[-_HELD_MAX:]
        if self._held:
            self._date_held(dex_s, int(unix_s))
            self._wake.set()
        if queued:
            self._wake.set()
        return queued

    def _hold(self, dex_s, sgv, trend):
        for h in self._held:
            if h[0] == dex_s:
                return  # a backfill of one already held
        if len(self._held) >= _HELD_MAX:
            # the oldest by the transmitter's clock goes, not the first held: after a power
            # cut the live reading comes first, then the backfill of 3 h before it
            oldest = min(range(len(self._held)), key=lambda i: self._held[i][0])
            self.queue.dropped += 1  # lost: raises nightscout_queue_full
            if dex_s < self._held[oldest][0]:
                return
            self._held.pop(oldest)
        self._held.append((dex_s, sgv, trend, None))

    def _date_held(self, dex_s, unix_s):
        """A reading with a wall time dates the held ones of the same transmitter clock."""
        activation = unix_s - dex_s
        lost = 0
        for d, sgv, trend, _ in self._held:
            if -_HELD_SPAN_S <= dex_s - d <= _HELD_SPAN_S and activation + d > 0:
                self.queue.push((d, activation + d, sgv, trend))
                self._dated.append((d, sgv, trend, activation))
            else:
                lost += 1  # another transmitter (its clock restarted): no way to date it
        if lost:
            self._log("nightscout: %d readings from before the wall clock could not be dated" % lost)
            self._lose("nightscout_undated")
        self._held = []

    def forget_held(self):
        """The link met another transmitter clock (link event tx_clock: a reset of the
        transmitter, or another one; or app.persist's own() at a link start later than
        this uploader's, app.wiring): the readings held for want of a wall time were the
        old clock's, and the new one's first wall time dated them by its own activation
        (both clocks within a day: hours off on Nightscout). They go, said."""
        if self._held:
            self._log("nightscout: %d readings without a wall time dropped: the transmitter's "
                      "clock restarted, its wall times cannot date them" % len(self._held))
            self._held = []
            self._lose("nightscout_undated")

    # --- the task ---------------------------------------------------------
    def _lose(self, name):
        """Readings lost to the server: `name` raised for _CLEAR_AFTER_S from now."""
        self._lost[name] = clock.ms() // 1000   # (told at the task's next turn: a minute at most)

    def _condition(self, name, active):
        if self._active.get(name, False) != active:
            self._log("nightscout: %s %s" % (name, "raised" if active else "cleared"))
            if self._on_condition:
                self._on_condition("forwarding", name, active)
            # only once told: a MemoryError above (its log line) is told again at the next call
            self._active[name] = active

    def _headers(self):
        h = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if self._c["secret_sha1"]:
            h.append(("api-secret", self._c["secret_sha1"]))
        return h

    def _path(self, what="/api/v1/entries"):
        p = self._c["base"] + what
        if self._c["token"]:
            p += "?token=" + self._c["token"]
        return p

    async def ask_time(self):
        """GET /api/v1/status.json for the server's Date header (any answer has
        one). Returns True when the wall clock is valid afterwards. Over https,
        first the host's plain HTTP Date (http.plain_date): the handshake needs a
        clock."""
        if self._ctx is not None and not clock.wall_valid() and self._on_date:
            await http.offer_plain_date(self._c["host"], self.date_port, self._c["timeout_s"],
                                        self._on_date, self._log, "nightscout")
            if clock.wall_valid():
                return True
            if self._wifi is not None:
                # the pause waited for was spent on the plain request (its timeout when
                # port 80 hangs): the handshake waits for one of its own
                await self._wifi.wait_quiet(self._c["timeout_s"] * 1000, blocks=True)
        try:
            status, date, _ = await http.request(
                "GET", self._c["host"], self._c["port"], self._path("/api/v1/status.json"),
                self._headers(), None, self._ctx, self._c["timeout_s"], 512)
        except asyncio.TimeoutError:
            self.last_failure = "no answer within %d s" % self._c["timeout_s"]
            self._log("nightscout: %s (asking the time)" % self.last_failure)
            return False
        except (OSError, ValueError) as e:
            self.last_failure = failure.words(e)
            self._log("nightscout: connection failed (asking the time): %s" % type(e).__name__)
            if isinstance(e, OSError) and not isinstance(e, http.HttpError):
                http.forget_address(self._c["host"], self._c["port"])
            return False
        if date and self._on_date:
            self._on_date(date)
        if not clock.wall_valid():
            self.last_failure = "HTTP %d without a usable Date: the box has no clock" % status
            self._log("nightscout: HTTP %d, no usable Date header: no wall clock yet" % status)
            return False
        return True

    async def post_once(self):
        """Post one batch. Returns the HTTP status, or 0 for a network failure/timeout."""
        batch = self.queue.batch(self._c["batch"])
        if not batch:
            return None
        dev = self._c["device"]
        body = json.dumps([sgv_entry(e[1], e[2], e[3], dev) for e in batch]).encode()
        self.stats["posted"] += 1
        status = await self._post("/api/v1/entries", body, "")
        if 200 <= status < 300:
            self.queue.ack(batch)
            self.stats["stored"] += len(batch)
            if self._dated:   # on the server: not kept for a reset (sent again, and doubled on
                sent = [e[0] for e in batch]   # Nightscout where the activation moved meanwhile)
                self._dated = [h for h in self._dated if h[0] not in sent]
        return status

    async def _post(self, what, body, about):
        """POST body to what: the HTTP status, 0 for a network failure or timeout,
        or for a 2xx that does not show what it stored. `about`: the log's note."""
        try:
            status, date, answer = await http.request(
                "POST", self._c["host"], self._c["port"], self._path(what), self._headers(), body,
                self._ctx, self._c["timeout_s"])
        except asyncio.TimeoutError:
            self.last_failure = "no answer within %d s" % self._c["timeout_s"]
            self._log("nightscout: %s%s" % (self.last_failure, about))
            return 0
        except (OSError, ValueError) as e:
            # never log the request: path and headers carry credentials
            self.last_failure = failure.words(e)
            self._log("nightscout: connection failed%s: %s %s" % (about, type(e).__name__, self.last_failure))
            if isinstance(e, OSError) and not isinstance(e, http.HttpError):
                http.forget_address(self._c["host"], self._c["port"])
            return 0
        if date and self._on_date:
            self._on_date(date)
        if 200 <= status < 300:
            answer = answer.strip()
            if answer[:1] != b"[" or answer[1:].lstrip()[:1] == b"]":
                # Nightscout answers what it stored as a JSON array; a 2xx with
                # anything else (an error object, a captive portal's or a host's
                # page, a cut-off answer, an empty array: Nightscout's answer to
                # a body without entries) stored nothing we can count on: keep
                # the batch (a repeat is harmless: the server upserts)
                self.last_failure = "HTTP %d without the stored entries" % status
                self._log("nightscout: HTTP %d without the stored entries%s, kept for a retry"
                          % (status, about))
                return 0
        return status

    async def _sensor_start(self):
        """Post the sensor session's start when one is due (forward.sensorstart)
        and its retry time has come; True when it tried."""
        st = self._start
        if st is None or clock.ms() - self._start_ms < 0 or not clock.wall_valid():
            return False
        job = st.due(self._session(), clock.unix())
        if job is None:
            return False
        await self._network_ready()
        from forward.sensorstart import body
        status = await self._post("/api/v1/treatments", body(job, self._c["device"]), " (sensor start)")
        if 200 <= status < 300:
            self._start_delay_s = 0
            if self._wifi is not None:
                await self._wifi.wait_sound_pause(_SAVE_BLOCK_MS)   # a flash write: see _save_if_due
            st.posted(job)
            self._log("nightscout: sensor start posted")
            return True
        if status in (401, 403):   # a token without api:treatments:create: once a day, not
            self._log("nightscout: HTTP %d (sensor start): the token may lack "   # every hour
                      "api:treatments:create; tried again in a day or at a restart" % status)
            self._start_ms = clock.ms() + _START_REFUSED_S * 1000
            return True
        if status:
            self._log("nightscout: HTTP %d (sensor start)" % status)
        self._start_delay_s = min(max(self._start_delay_s * 2, _START_RETRY_MIN_S), _START_RETRY_MAX_S)
        self._start_ms = clock.ms() + self._start_delay_s * 1000
        return True

    def _after(self, status):
        """Book-keeping after one attempt; returns the delay before the next, s."""
        if status is not None and 200 <= status < 300:
            self.delay_s = 0
            self.last_ok_ms = clock.ms()
            self.last_failure = None
            self._condition("nightscout_auth", False)
            self._condition("nightscout_unreachable", False)
            return 0
        if status in (401, 403):
            self.last_failure = "HTTP %d: the API secret or token was refused" % status
            self.stats["auth_failures"] += 1
            self._log("nightscout: %d, the server rejected the API secret/token" % status)
            self._condition("nightscout_auth", True)
            self.delay_s = min(max(self.delay_s * 2, _AUTH_MIN_S), _AUTH_MAX_S)
            return self.delay_s
        self.stats["failures"] += 1
        if status:
            self.last_failure = "HTTP %d" % status
            self._log("nightscout: HTTP %d" % status)
        if clock.ms() - self.last_ok_ms >= self._c["alert_after_s"] * 1000:
            self._condition("nightscout_unreachable", True)
        if self._active.get("nightscout_auth"):
            # rejected credentials stay the likely cause until an upload succeeds:
            # keep the long back-off (Nightscout holds a request that comes within
            # 5 s of a failure from the same address, 5 s more per failure: a
            # quick retry, or other devices behind our address failing, time out)
            self.delay_s = min(max(self.delay_s * 2, _AUTH_MIN_S), _AUTH_MAX_S)
        else:
            self.delay_s = min(max(self.delay_s * 2, _RETRY_MIN_S), _RETRY_MAX_S)
        return self.delay_s

    def _housekeeping(self):
        q = self.queue
        now_s = clock.ms() // 1000
        if q.dropped != self._dropped_seen:
            self._dropped_seen, self._dropped_s = q.dropped, now_s
            self._log("nightscout: queue full, %d oldest readings dropped" % q.dropped)
            self._condition("nightscout_queue_full", True)
        elif len(q) < q.capacity // 2 and (self._dropped_s is None
                                           or now_s - self._dropped_s >= _CLEAR_AFTER_S):
            self._condition("nightscout_queue_full", False)
        for name in list(self._lost):
            # before, only a log line: readings lost with nothing heard or seen
            # (told once at least: a back-off without a clock waits up to an hour unlooked-after)
            gone = now_s - self._lost[name] >= _CLEAR_AFTER_S and self._active.get(name, False)
            self._condition(name, not gone)
            if gone:
                del self._lost[name]

    async def _save_if_due(self):
        q = self.queue
        if not (self._store and q.should_save(clock.ms() // 1000)):
            return
        if self._wifi is not None:
            # a flash write holds the loop like a handshake: not inside a burst
            # (at most SOUND_WAIT_MAX_MS later; the radio's window does not matter)
            await self._wifi.wait_sound_pause(_SAVE_BLOCK_MS)
        if not q.should_save(clock.ms() // 1000):
            return
        try:
            fsutil.write_atomic(self._store, q.image())
            q.mark_saved(clock.ms() // 1000)
            self._dated = []
        except (OSError, MemoryError) as e:
            # a fragmented heap (a full queue's image is ~7 KB) must not kill the
            # uploader: this runs first in every loop, so the task would die at once
            # after each restart and never upload again; the next round retries
            gc.collect()
            self._log("nightscout: queue not saved: %s %s" % (type(e).__name__, e))
            self._survived(e)

    def _survived(self, e):
        """Out of memory and going on: tell the app, which sheds the forwarders
        when that keeps happening (else it never learnt: a day of upload errors)."""
        if isinstance(e, MemoryError) and self._on_memory is not None:
            self._on_memory()

    def flush_to_flash(self):
        """Write the queue now (before a planned reset; the held readings stay in
        RTC memory, held_image)."""
        if self._store:
            fsutil.write_atomic(self._store, self.queue.image())
            self.queue.mark_saved(clock.ms() // 1000)
            self._dated = []

    async def _wait(self, delay_s):
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), delay_s)
        except asyncio.TimeoutError:
            pass

    async def _network_ready(self):
        """Wi-Fi up and no transmitter window during the request's timeout. While
        Wi-Fi is down the queue is still looked after (saved to flash, overflow
        reported) and readings waiting alert_after_s raise nightscout_unreachable,
        as a failing server does: a router off all night is no quieter."""
        if self._wifi is not None:
            while not self._wifi.is_up():
                try:
                    await asyncio.wait_for(self._wifi.wait_up(), _WIFI_CHECK_S)
                except asyncio.TimeoutError:
                    await self._look_after_queue()
                    if (len(self.queue) or self._held) and \
                            clock.ms() - self.last_ok_ms >= self._c["alert_after_s"] * 1000:
                        self._condition("nightscout_unreachable", True)
            await self._wifi.wait_quiet(self._c["timeout_s"] * 1000, blocks=True,
                                        host=self._c["host"], port=self._c["port"])

    async def _time_asked(self):
        """ask_time(), a failure of its own (a bug, no memory) survived: False."""
        try:
            return await self.ask_time()
        except Exception as e:  # a bug here must not kill the task silently
            self._log("nightscout: time request error %r" % e)
            self.last_failure = "the box's own error (%s)" % type(e).__name__
            self._survived(e)
            return False

    async def _look_after_queue(self):
        """While nothing can be posted: overflow told, the queue saved 5 min after a change."""
        self._housekeeping()
        await self._save_if_due()

    async def _back_off(self, delay_s):
        """Wait delay_s: a new reading does not cut a back-off short, but the queue is
        looked after meanwhile, a minute at a time (saved 5 min after a change, overflow
        told). A refused secret backs off up to an hour: the readings of that hour were
        in RAM only, and a reset then (the link resumes after its newest reading) lost
        them from Nightscout."""
        while delay_s > 0:
            step = min(delay_s, _WIFI_CHECK_S)
            await asyncio.sleep(step)
            delay_s -= step
            await self._look_after_queue()

    async def run(self):
        """Forever: wait for readings and Wi-Fi, post in time order, back off on failure."""
        delay = 0
        while True:
            await self._look_after_queue()
            if not len(self.queue):
                if not self._held:
                    self.last_ok_ms = clock.ms()  # nothing waiting: not "unreachable"
                elif not clock.wall_valid() and self._on_date is not None:
                    # the readings wait for a wall clock that only a server may give
                    await self._network_ready()
                    if not await self._time_asked():
                        await asyncio.sleep(self._after(0))
                    continue
                elif clock.wall_valid():
                    # they wait for the link's next dated reading, not for the server
                    self.last_ok_ms = clock.ms()
                elif clock.ms() - self.last_ok_ms >= self._c["alert_after_s"] * 1000:
                    self._condition("nightscout_unreachable", True)
                try:
                    if await self._sensor_start():
                        continue
                except Exception as e:  # a bug here must not kill the task silently
                    self._log("nightscout: sensor start error %r" % e)
                    self._survived(e)
                    self._start_ms = clock.ms() + _START_RETRY_MAX_S * 1000
                await self._wait(60)
                continue
            if delay:
                await self._back_off(delay)
            if self._ctx is not None and not clock.wall_valid() and self._on_date is not None:
                # over https every post fails its handshake without a clock (the
                # certificates' dates), and readings waiting (restored from flash after
                # a power cut) kept the server from being asked the time: with NTP
                # blocked, no clock for good, and those held for want of one dropped
                await self._network_ready()
                if not await self._time_asked():
                    delay = self._after(0)
                    continue
            await self._network_ready()
            try:
                status = await self.post_once()
            except Exception as e:  # a bug here must not kill the task silently
                self._log("nightscout: upload error %r" % e)
                self.last_failure = "the box's own error (%s)" % type(e).__name__
                self._survived(e)
                status = 0
            delay = self._after(status)
