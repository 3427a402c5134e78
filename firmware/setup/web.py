# The setup and status web page (microdot), on the box's access point and on
# the home network.
#
#   srv = SetupServer(config_path, state=lambda: state_from_app(app),
#                     on_saved=fn, ap=access_point_or_None, networks=fn_or_None)
#   await srv.run(host="0.0.0.0", port=80)     # serve until srv.stop()
#
#   GET  /          status for anyone: last reading, trend, alarms, connections, thresholds,
#                   and the problems app.config.load found (also on the settings form)
#   GET  /settings  sign-in form; or, while no admin password is stored, the
#                   settings form asking to set one (first set-up on the AP)
#   POST /settings  password=...: sign in -> the settings form with a session token
#   POST /save      the settings form (needs the token): validated by
#                   app.config.validate and file_problems (a CA file not on the
#                   box); any problem -> the form again with a
#                   message next to each field and NOTHING saved; else
#                   app.config.save (atomic) and on_saved(clean_cfg)
#
# Safety: changing anything needs the admin password; the session token lives
# in the form (never a cookie), so another web page cannot post for the user
# (CSRF); one session at a time, SESSION_S idle, dropped after a save. After
# MAX_FAILS wrong passwords from one address, sign-in from it is refused for
# LOCK_S (another device of the family can still sign in); after MAX_FAILS_ALL
# within a minute from all addresses together (guesses spread over many), from all
# but the last _TRUSTED addresses that signed in with it (a family's phone is not
# locked out by a guesser on the LAN; each still has its own lock, which a wrong
# password while all are locked sets at once: a guesser that takes over a trusted
# address by DHCP or by hand gains one guess a minute, and a parent's typo costs a
# minute, not the trust). Secrets are never
# written into a page. Bounded: MAX_CONNECTIONS at once, REQUEST_TIMEOUT_S per
# request, bodies <= MAX_BODY bytes, pages streamed in CHUNK-byte pieces.
#
# state() returns {"last_reading": reading tuple or None, "reading_age_s": its age on the
# box's own clock or None, "stale_s": the alarms' stale bound (s), "now_unix": int or None,
# "minute_of_day": local minute (the wall's: the schedules' too, but in an hour the clocks went back through) or None,
# "alarms": engine.active() (a follower's silent ones "at_leader"; a condition's every reason as "reasons"), "link": the link's last state (event name) or None,
# "sensor": the sensor's state as the link last told it (dexcom.states.state_kind) or None,
# "wifi": True/False/None (no Wi-Fi keeper), "session_left_s": the sensor session's time
# left or None, "session_end_minute": the local minute of day it ends, or None,
# "time_disputed_s": a time server's step the transmitter's clock disputes, or None, ...};
# state_from_app(app) builds it.
import asyncio
import binascii
import gc
import os

import civil
import clock
from microdot import Microdot
from app.webserver import BoundedServer, client_ip
from app import config as appconfig
from app import log
from setup import form, page

# the largest settings form a family can send is 5.2 KB (every field at the longest
# app.config takes, in characters a browser percent-encodes: test_setup_web_rules);
# each post holds its body while it arrives: 4 slow ones at once, 24 KB (16 at 4096)
MAX_BODY = 6144
CHUNK = 512
SESSION_S = 15 * 60
MAX_FAILS = 5
MAX_FAILS_ALL = 20
LOCK_S = 60
_TRACKED = 8          # addresses whose wrong passwords are counted (the oldest is forgotten)
_TRUSTED = 4          # addresses that signed in, kept clear of the lock on all
MAX_CONNECTIONS = 4
# connectivity probes of Android, Apple, Windows and Firefox
CAPTIVE_PROBES = ("/generate_204", "/gen_204", "/hotspot-detect.html", "/library/test/success.html",
                  "/connecttest.txt", "/ncsi.txt", "/redirect", "/canonical.html", "/success.txt")
REQUEST_TIMEOUT_S = 10

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
           "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                      "script-src 'sha256-" + page.CLOCK_SCRIPT_SHA256 + "'; "
                                      "form-action 'self'; frame-ancestors 'none'"}


def state_from_app(app):
    """The status the page shows, from main.App."""
    wifi = address = why = None
    if getattr(app, "wifi", None) is not None:
        try:
            wifi = bool(app.wifi.is_up())
            address = app.wifi.address()
            why = app.wifi.why()
        except Exception:
            pass
    follower = getattr(app, "follower", None)
    # the reading's age by the box's own count, as the screen and the alarms take it: a
    # box without a wall clock (no Wi-Fi after a power cut) knows it all the same
    r, t = app.status.get("last_reading"), app.status.get("last_reading_t")
    if r is None:
        # after a reset (every save makes one), until the next reading: the value the
        # engine kept through it, which it may sound for, as the screen shows it
        sgv, t = app.engine.last_glucose()
        if sgv is not None and t is not None:
            r = (None, None, sgv, None, None, "restored")
    left = _left_s(app.status.get("session_end_ms"))
    now = clock.unix() if clock.wall_valid() else None
    link = getattr(app, "link", None)
    heard = getattr(link, "heard_unread", None)
    return {"last_reading": r,
            "reading_age_s": None if t is None else max(0, app.now_s() - t),
            "stale_s": app.engine.current_settings()["stale_minutes"] * 60,
            "follow": follower.status() if follower is not None else None,
            "leader_age_s": app.leader_age_s() if follower is not None else None,
            # (type, reason) of the leader's alarm its leader_unanswered is about, as the screen names it
            "leader": app.unanswered_there() if follower is not None and hasattr(app, "unanswered_there")
            else None,
            "now_unix": now,
            "minute_of_day": app.minute_of_day(),
            "alarms": _alarms(app), "link": app.status.get("link"),
            # the last session's end ("bad message: ..."), and no_transmitter's wake-ups all heard
            "link_reason": getattr(link, "last_reason", None), "link_heard": bool(heard and heard()),
            "sensor": app.status.get("sensor_kind"), "wifi": wifi,
            "wifi_address": address, "wifi_why": why,
            "nightscout_why": getattr(getattr(app, "nightscout", None), "last_failure", None),
            "mqtt_why": getattr(getattr(app, "mqtt", None), "last_failure", None),
            "config_problems": getattr(app, "config_problems", None) or [],
            "captive_dns_error": app.status.get("captive_dns_error"),
            "session_left_s": left,
            "time_disputed_s": app.time_disputed_s() if hasattr(app, "time_disputed_s") else None,
            "session_end_minute": None if left is None or left <= 0 or now is None
            else app.minute_of_day(now + left)}


def _alarms(app):
    """engine.active(), a follower's alarms that its leader box sounds or answered
    (alarms.gate) as "at_leader": the page must not say "sounding" of a silent box; a
    condition's every reason as "reasons" (one alarm stands for both forwarders)."""
    alarms = app.engine.active()
    quiet = app.quiet() if getattr(app, "quiet", None) else ()
    for a in alarms:
        if a["type"] in quiet:
            a["status"] = "at_leader"
        reasons = app.engine.reasons(a["type"])
        if reasons:
            a["reasons"] = reasons
    return alarms


def _left_s(end_ms):
    return None if end_ms is None else (end_ms - clock.ms()) // 1000


def _same(a, b):
    """Constant-time comparison of two passwords / tokens."""
    a, b = a.encode(), b.encode()
    diff = len(a) ^ len(b)
    for i in range(len(a)):
        diff |= a[i] ^ b[i % len(b)] if b else 1
    return diff == 0


def _host_is_box(req, name):
    """True when the request names the box by an IPv4 address or by its own mDNS
    name `name`.local (with or without a port). A web page whose name an attacker
    re-points at the box (DNS rebinding) arrives with the attacker's host name: it
    must not reach the settings, above all on a new box without an admin password.
    A .local name is answered only on the home network itself (mDNS), so no page
    from outside can carry the box's."""
    from forward.names import is_ipv4
    host = (req.headers.get("Host") or "").rsplit(":", 1)[0].lower()
    if host.endswith("."):
        host = host[:-1]
    return is_ipv4(host) or (bool(name) and host == name + ".local")


def _random_hex(n):
    try:
        raw = os.urandom(n)
    except (AttributeError, NotImplementedError):
        import random
        raw = bytes(random.getrandbits(8) for _ in range(n))
    return binascii.hexlify(raw).decode()


def _chunks(gen):
    buf = []
    size = 0
    for s in gen:
        buf.append(s)
        size += len(s)
        if size >= CHUNK:
            yield "".join(buf)
            buf, size = [], 0
    if buf:
        yield "".join(buf)


def _through_ap(req, ap):
    """The request came from a phone joined to the setup access point (its /24), or
    from an address not known: only those keep the access point open. A tablet on the
    home network left on the status page kept it open for good."""
    addr = getattr(req, "client_addr", None)
    if not addr:
        return True
    try:
        return addr[0].rsplit(".", 1)[0] == ap.address().rsplit(".", 1)[0]
    except Exception:
        return True


class _Server(BoundedServer):
    def __init__(self):
        BoundedServer.__init__(self, MAX_CONNECTIONS, REQUEST_TIMEOUT_S,
                               lambda m: log.warn("%s", m), max_body=MAX_BODY, name="setup")

    async def dispatch_request(self, req):
        # The LAN API sets microdot's class-wide body limit to 0 (it takes no
        # body); this server's own limit is set on each request instead.
        if req is not None:
            req.max_content_length = MAX_BODY
        return await Microdot.dispatch_request(self, req)


def _secrets_typed(fields):
    """The secrets a form carried (not the session's token): held should its save be
    refused, so the form sent back need not have them typed again (never shown)."""
    return {k: v for k, v in fields.items() if v and k != "token" and form.is_secret(k)}


def _as_typed(values, name, rows, shown):
    """The form's rows `name` ("wifi", "alarms.schedule") in values_from_config(new) put
    back where they were typed (form.apply: rows[i] is the row of new's i-th entry; a
    row left blank is not saved, so those below it moved up). The save that follows
    judges each row against the stored one of its number, and the secrets held are the
    rows' as typed: moved up, a new open network was refused ("type the password") and a
    schedule entry took the removed one's settings the form does not show. An entry
    past the `shown` rows, kept as it is, is on none (it would be saved twice)."""
    prefix = name + "["
    moved = {}
    for k in [k for k in values if k.startswith(prefix)]:
        i = int(k[len(prefix):k.index("]")])
        v = values.pop(k)
        if rows[i] < shown:
            moved["%s%d%s" % (prefix, rows[i], k[k.index("]"):])] = v
    values.update(moved)


class SetupServer:
    def __init__(self, config_path, state=None, on_saved=None, ap=None, networks=None,
                 phone_clock=None):
        self.path = config_path
        self.state = state or (lambda: {})
        self.on_saved = on_saved          # fn(clean cfg) after a successful save
        self.phone_clock = phone_clock    # fn(unix s): the phone's clock, sent with a signed-in save
        self._phone_ms = 0                # the last phone_ms taken (a resubmitted form repeats it)
        self.ap = ap                      # setup.ap.AccessPoint or None
        self.networks = networks          # fn() -> list of SSIDs in range, or None
        # the problems are shown on the pages: the `device` alarm (reason config)
        # sounds for them, and the family must be able to see why
        self.cfg, self.problems = appconfig.load(config_path)
        for p in self.problems:
            log.warn("setup: config: %s", p)
        self._token = None
        self._token_ms = 0
        self._held = {}             # secrets typed into this session's refused saves (never shown)
        self._saved_token = None    # the session of the last save (a second tap on its Save)
        self._fails = {}            # address -> [wrong passwords, locked until ms, last ms]
        # all addresses together: [wrong passwords in the minute from `since`, locked until, since]
        self._fails_all = [0, 0, 0]
        self._trusted = []          # the last _TRUSTED addresses that signed in, oldest first
        self.saves = 0
        self.app = app = _Server()
        app.before_request(self._seen)
        app.route("/")(self._status)
        app.route("/settings", methods=["GET"])(self._settings)
        app.route("/settings", methods=["POST"])(self._signin)
        app.route("/save", methods=["POST"])(self._save)
        # the probes through the 404 handler, not a route each: a route costs ~180 B
        # of heap for as long as the box runs, and this server always runs
        app.errorhandler(404)(self._not_found)
        # a request microdot refuses before any route (a form over MAX_BODY: 400 while
        # the server reads it, 413 past microdot's own limit): a page that says so
        app.errorhandler(400)(self._refused)
        app.errorhandler(413)(self._refused)

    async def run(self, host="0.0.0.0", port=80):
        await self.app.start_server(host=host, port=port)

    def stop(self):
        self.app.shutdown()

    # --- sessions -------------------------------------------------------------
    def _has_password(self):
        return bool(self.cfg.get("admin_password"))

    def _new_session(self):
        self._held = {}
        self._token = _random_hex(16)
        self._token_ms = clock.ms()
        return self._token

    def _session_ok(self, token):
        if not self._token or not token:
            return False
        if clock.ms() - self._token_ms > SESSION_S * 1000:
            self._token = None
            return False
        if not _same(token, self._token):
            return False
        self._token_ms = clock.ms()
        return True

    def _check_password(self, given, addr=""):
        """"ok", "wrong" or "locked" for a sign-in from address `addr`."""
        now = clock.ms()
        mine = self._fails.get(addr)
        if (now < self._fails_all[1] and addr not in self._trusted) or (mine is not None and now < mine[1]):
            return "locked"
        if given and _same(given, self.cfg.get("admin_password") or ""):
            self._fails.pop(addr, None)
            if addr:
                if addr in self._trusted:
                    self._trusted.remove(addr)
                self._trusted = self._trusted[-(_TRUSTED - 1):] + [addr]
            return "ok"
        if mine is None:
            if len(self._fails) >= _TRACKED:
                oldest = min(self._fails, key=lambda a: self._fails[a][2])
                del self._fails[oldest]
            mine = self._fails[addr] = [0, 0, now]
        mine[2] = now
        if now - self._fails_all[2] >= LOCK_S * 1000:
            # counted a minute at a time: one address, held to MAX_FAILS a minute
            # by its own lock, never reaches MAX_FAILS_ALL by itself
            self._fails_all[0], self._fails_all[2] = 0, now
        log.warn("setup: wrong admin password from %s (%d)", addr, mine[0] + 1)
        if now < self._fails_all[1]:      # (only a trusted address gets this far then)
            mine[0], mine[1] = 0, now + LOCK_S * 1000
            return "wrong"
        for rec, limit in ((mine, MAX_FAILS), (self._fails_all, MAX_FAILS_ALL)):
            rec[0] += 1
            if rec[0] >= limit:
                rec[0] = 0
                rec[1] = now + LOCK_S * 1000
        return "wrong"

    # --- handlers -----------------------------------------------------------
    def _seen(self, req):
        gc.collect()   # a page needs ~15 KB at once: start from a swept heap
        if self.ap is not None and _through_ap(req, self.ap):
            self.ap.touch()

    def _not_found(self, req):
        if req.path in CAPTIVE_PROBES and req.method in ("GET", "HEAD"):
            self._seen(req)
            return self._to_status(req)
        return "Not found", 404

    async def _refused(self, req):
        # req None: microdot read no request (a body over MAX_BODY, logged by the
        # server; or a connection closed or garbled before one: not logged, a phone's
        # preconnects and a router's scans make many)
        # (the body is read after this page is sent, by the server: app.webserver's aclose)
        if req is not None:   # 413: microdot left the body unread
            log.warn("setup: %s %s refused: a body of %d bytes (over %d)", req.method, req.path,
                     req.content_length, MAX_BODY)
        return self._html(page.message_page(
            "Not saved", "The box did not take this (a form over %d KB, or garbled on the way). "
            "Nothing was changed: go back, shorten a long entry (a password, a name, an "
            "address), and save again." % (MAX_BODY // 1024), "refused"), 400)

    def _to_status(self, req):
        # a phone's connectivity probe (every name resolves to the box while
        # the setup AP is open, see setup/dns.py): send it to the status page,
        # which makes the phone show it as a captive portal
        host = self.ap.address() if self.ap is not None else None
        return "", 302, {"Location": "http://%s/" % host if host else "/"}

    def _html(self, gen, status=200):
        return _chunks(gen), status, HEADERS

    def _status(self, req):
        try:
            st = self.state() or {}
        except Exception as e:
            log.exc(e, "setup: state")
            st = {}
        ap = self.ap.status() if self.ap is not None else None
        # the name the box answers to (its own when none is set)
        shown = dict(self.cfg, hostname=appconfig.hostname(self.cfg))
        return self._html(page.status_page(st, shown, ap, self._problems(st)))

    def _problems(self, st=None):
        """This server's load's problems and those the box's own load found at boot
        (a save that load completed, the board file, the tz rule): the device alarm
        (config) sounds for either, and the family must see why."""
        if st is None:
            try:
                st = self.state() or {}
            except Exception:
                st = {}
        more = [p for p in st.get("config_problems") or () if p not in self.problems]
        return self.problems + more if more else self.problems

    def _names_itself(self, cfg):
        """A follower whose follow.url names this very box (its name at home, before or
        after this save, its address at home or on its access point, localhost): it
        would read its own LAN API, hear its own alarm reports (never `leader_silent`)
        and play its own alarms silently as its leader's."""
        if cfg.get("role") != "follower":
            return False
        url = (cfg.get("follow") or {}).get("url") or ""
        host = appconfig.url_host(url)[0]
        if host == "localhost" or host.startswith("127."):
            return True
        own = [appconfig.hostname(c) for c in (self.cfg, cfg)]
        own = [n + ".local" for n in own if n]
        try:
            own.append((self.state() or {}).get("wifi_address"))
            if self.ap is not None:
                own.append(self.ap.address())
        except Exception:   # (the names still count)
            pass
        return host in own

    def _keep_typed(self, fields):
        """A secret typed into a refused save of this session is not sent back into the
        page (never shown): left blank in the save that follows, it is the one typed, not
        the stored one (a new network saved open, a new admin password lost). A Wi-Fi
        row whose name was cleared forgets its password."""
        for k, v in self._held.items():
            if fields.get(k):
                continue
            if k.startswith("wifi[") and not fields.get(k[:k.find("]") + 1] + ".ssid", "").strip():
                continue
            fields[k] = v

    def _form_page(self, token, values, errors, status=200):
        nets = ()
        if self.networks is not None:
            try:
                nets = self.networks() or ()
            except Exception as e:
                log.warn("setup: scan: %r", e)
        return self._html(page.settings_page(self.cfg, token, values, errors,
                                             first_time=not self._has_password(), networks=nets,
                                             problems=self._problems(), held=self._held),
                          status)

    def _settings(self, req):
        if not _host_is_box(req, appconfig.hostname(self.cfg)):
            return self._by_address()
        if self._has_password():
            return self._html(page.signin_page())
        return self._form_page(self._new_session(), form.values_from_config(self.cfg), {})

    async def _fields(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/x-www-form-urlencoded":
            return None
        n = req.content_length
        body = req.body
        if n and not body:   # not read by microdot (class-wide limit): read it here
            try:
                body = await req.stream.readexactly(n)  # capped at MAX_BODY by the server
            except EOFError:   # (its "failed: EOFError()" read as the box's fault)
                log.info("setup: %s %s: the phone went before its form came whole: nothing taken",
                         req.method, req.path)
                return None
        try:
            return form.parse_urlencoded(body or b"")
        except ValueError:   # raw bytes that are not UTF-8 (UnicodeError): browsers
            return None      # percent-encode a form, so this is not one

    def _take_phone_clock(self, text):
        """The phone's clock (ms, filled in by page.CLOCK_SCRIPT) of a signed-in save,
        whatever else the form holds: the box may have no other source of the time."""
        if self.phone_clock is None or not text:
            return
        try:
            phone_ms = int(text)
        except ValueError:
            return
        # a form sent again (the browser's resubmit of a refused save, minutes
        # later) carries the very same time, which is no longer the phone's clock
        if phone_ms == self._phone_ms:
            return
        self._phone_ms = phone_ms
        unix_s = phone_ms // 1000
        if civil.settable(unix_s):
            try:
                self.phone_clock(unix_s)
            except Exception as e:
                log.exc(e, "setup: phone clock")

    def _by_address(self):
        return self._html(page.message_page(
            "Open the box by its address", "Settings are changed only at http://%s.local/ "
            "or http://<the box's IP address>/ (for example http://192.168.4.1/ on its own "
            "network). Nothing was changed." % appconfig.hostname(self.cfg)), 403)

    async def _signin(self, req):
        if not _host_is_box(req, appconfig.hostname(self.cfg)):
            return self._by_address()
        fields = await self._fields(req)
        if fields is None:
            return self._html(page.message_page("Bad request", "not a form"), 400)
        if not self._has_password():
            return self._form_page(self._new_session(), form.values_from_config(self.cfg), {})
        verdict = self._check_password(fields.get("password", ""), client_ip(req))
        if verdict == "locked":
            return self._html(page.signin_page(
                "Too many wrong passwords: wait a minute and try again."), 429)
        if verdict == "wrong":
            return self._html(page.signin_page("Wrong admin password. Nothing was changed."), 403)
        return self._form_page(self._new_session(), form.values_from_config(self.cfg), {})

    async def _save(self, req):
        if not _host_is_box(req, appconfig.hostname(self.cfg)):
            return self._by_address()
        fields = await self._fields(req)
        if fields is None:
            return self._html(page.message_page("Bad request", "not a form"), 400)
        if self._saved_token and _same(fields.get("token", ""), self._saved_token):
            # Save tapped twice: the browser shows the second answer, and the first saved
            return self._html(page.saved_page(appconfig.missing(self.cfg), appconfig.hostname(self.cfg)))
        if not self._session_ok(fields.get("token", "")):
            # (also a form sent again after its own save restarted the box: not "lost")
            return self._html(page.signin_page(
                "Your session ended (15 minutes unused, a sign-in from another device, or the "
                "restart after a save): sign in again. This form was not taken; the status "
                "page shows the settings in force."), 403)
        self._take_phone_clock(fields.get("phone_ms"))
        self._keep_typed(fields)
        new, errors, rows = form.apply(self.cfg, fields, self._has_password())
        clean, problems = appconfig.validate(new)
        # a CA file that is not on the box: saved, the forwarder would refuse to start
        problems += appconfig.file_problems(clean, self.path)
        if self._names_itself(clean):
            problems.append("follow.url: is this box's own address: give the leader box's, "
                            "http://cgm-alarm-XXXX.local:17580 (its status page shows its name)")
        errors_all = form.problems_to_fields(problems, rows, form.field_names(),
                                             form.shown_units(fields))
        for k, v in errors.items():   # the form's own checks come first
            errors_all[k] = v
        # (a zone or an offset refused: validate put a default in its place)
        zone = None if "tz" in errors_all or "utc_offset_min" in errors_all \
            else form.zone_mismatch(clean, fields)
        if zone is not None:
            if zone[0]:
                errors_all["tz"] = zone[0]
            else:   # kept, so a later save from this phone is not asked again; or agreed
                new[form.ZONE_CHECKED] = zone[1]
        if errors_all:
            # a page from before showed no "More alarm settings": the page sent back shows
            # them as stored, not blank and off (the next save would take them)
            values = {} if form.MORE_SHOWN in fields else form.more_values(
                self.cfg, form.shown_units(fields))
            for k, v in fields.items():
                if k.endswith(".url"):   # a secret typed into it (user@, ?token=) is not shown
                    values[k] = appconfig.redacted({"url": v})["url"]
                elif not form.is_secret(k):
                    values[k] = v
            if zone is not None and zone[0]:   # told once: the same form saved again keeps them
                values[form.ZONE_CHECKED] = zone[1]
            # (one marked is typed again; the admin pair goes together)
            self._held = {k: v for k, v in _secrets_typed(fields).items()
                          if k not in errors_all and not (k.startswith("admin_") and (
                              form.ADMIN_NEW in errors_all or form.ADMIN_REPEAT in errors_all))}
            return self._form_page(self._token, values, errors_all, 400)
        # not needed again: their heap (~2 KB) is the save's, which validates once more; the
        # secrets typed are held, should the write fail (the form comes back without them)
        held = _secrets_typed(fields)
        fields = clean = None
        try:
            clean = appconfig.save(self.path, new)
        except (appconfig.ConfigError, OSError) as e:
            # the form comes back as typed (from `new`): the parent saves again, not retypes
            if isinstance(e, OSError):
                log.error("setup: could not write %s: %r", self.path, e)
                why, status = ("Not saved: the settings could not be written (%s). Nothing was "
                               "changed: save again (passwords typed are kept)." % e), 500
            else:   # validate said yes a moment ago; keep it honest
                why, status = "; ".join(e.problems), 400
            self._held = held
            values = form.values_from_config(new)
            values[form.ZONE_CHECKED] = new.get(form.ZONE_CHECKED, "")   # (kept: not asked again)
            _as_typed(values, "wifi", rows["wifi"], form.WIFI_ROWS)
            _as_typed(values, "alarms.schedule", rows["alarms.schedule"], form.SCHEDULE_ROWS)
            return self._form_page(self._token, values, {form.GENERAL: why}, status)
        self.cfg = clean
        self.problems = appconfig.missing(clean)
        self.saves += 1
        self._saved_token, self._token, self._held = self._token, None, {}
        log.info("setup: settings saved")
        if self.on_saved is not None:
            try:
                self.on_saved(clean)
            except Exception as e:   # no restart: the box still alarms on the old settings
                log.exc(e, "setup: on_saved")
                return self._html(page.message_page(
                    "Saved, not in force", "The settings were saved, but the box could not "
                    "restart to apply them (%s): it still alarms on the old ones. Unplug it "
                    "and plug it in again." % type(e).__name__, "not-applied"), 500)
        return self._html(page.saved_page(appconfig.missing(clean), appconfig.hostname(clean)))
