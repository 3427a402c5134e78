# LAN read API for followers, on microdot (installed through package.json):
# the formats existing followers already read.
#   /sgv.json, /api/v1/entries/sgv.json   xDrip+ local web service (count, brief_mode, find[date])
#   /api/v1/entries.json, /api/v1/entries Nightscout entries (count, find[date][$gt|$gte|$lt|$lte])
#   /api/v1/entries/current.json          Nightscout's newest entry (home-made widgets and displays)
#   /api/v1/status.json                    Nightscout status (units, thresholds, serverTimeEpoch)
#   /status.json                           xDrip+ thresholds (its bgHigh / bgLow: the high and low lines)
#   /pebble                                Nightscout Pebble format
#   /api/v2/properties                     Nightscout bgnow and delta (Nightguard's current value)
#   /api/v1/alarms.json                    this box's own: its active alarms, for a follower box
#                                          that sounds only what goes unanswered here (alarms.gate)
#
#   api = LanApi(cfg.get("lan_api", {}), history)   # history: forward.history.History
#   api = LanApi(cfg, history, thresholds=fn)  # fn() -> {"bgLow", ...} mg/dL: the box's alarm
#                                              # settings now (else cfg's fixed thresholds)
#   LanApi(cfg, history, alarms=fn)  # fn() -> {"alarms": [{"type", "priority", "status",
#                                    # "level", "reason"}], "age_s": s since the engine's last
#                                    # tick, "muted": its sound failed, "time_disputed_s": a
#                                    # time server's step the transmitter disputes or null,
#                                    # "cause": [type, reason] why no glucose comes, as its
#                                    # screen's no_data says it, or null};
#                                    # without it (or if it fails) 503
#   asyncio.create_task(api.run())
#
# Secret (optional) checked like xDrip+: when set, callers must send header
# `api-secret` = SHA-1 hex of it (403 otherwise; loopback callers are
# trusted unless trust_loopback is false); when not set, a caller that sends
# the header is refused too (it expects a different server).
# Bounded: at most max_connections at once (more are closed unanswered),
# request_timeout_s per request (slow clients are cut off), request lines and
# headers <= 512 bytes (a longer Cookie line is dropped, app/webserver.py), no request
# body, responses streamed record by record.
import asyncio
import binascii
import hashlib

import clock
from microdot import Request
from app.webserver import BadRequest, BoundedServer, client_ip
from forward import ConfigError, need, log_print
from forward.entries import direction, iso_utc, MMOL as _MMOL, TREND_CODES
from forward.timesync import http_date

_LINE_MAX = 512
_CADENCE_S = 330  # readings 5 min apart, with the transmitter's jitter


def validate(cfg):
    w = "lan_api"
    cfg = cfg or {}
    port = need(cfg, "port", int, w, 17580, False)
    if not 1 <= port <= 65535:
        raise ConfigError("lan_api.port: 1..65535")
    secret = need(cfg, "secret", str, w, None, False)
    if secret is not None and not secret:
        raise ConfigError("lan_api.secret: empty (use null for none)")
    units = need(cfg, "units", str, w, "mg/dl", False)
    if units not in ("mg/dl", "mmol"):
        raise ConfigError("lan_api.units: 'mg/dl' or 'mmol'")
    th = need(cfg, "thresholds", dict, w, {}, False)
    thresholds = {"bgHigh": 260, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 55}
    for k, v in th.items():
        if k not in thresholds or isinstance(v, bool) or not isinstance(v, int) or not 30 <= v <= 400:
            raise ConfigError("lan_api.thresholds.%s: one of %s, 30..400 mg/dL" % (k, list(thresholds)))
        thresholds[k] = v
    maxc = need(cfg, "max_connections", int, w, 4, False)
    if not 1 <= maxc <= 16:
        raise ConfigError("lan_api.max_connections: 1..16")
    timeout_s = need(cfg, "request_timeout_s", (int, float), w, 5, False)
    if not 1 <= timeout_s <= 60:   # 0 cut every caller off; a long one holds a slot
        raise ConfigError("lan_api.request_timeout_s: 1..60")
    return {"port": port, "units": units, "thresholds": thresholds, "max_connections": maxc,
            "secret_sha1": None if secret is None else
            binascii.hexlify(hashlib.sha1(secret.encode()).digest()).decode(),
            "trust_loopback": need(cfg, "trust_loopback", bool, w, True, False),
            "request_timeout_s": timeout_s,
            "device": need(cfg, "device", str, w, "bedside-cgm", False)}


def _int_arg(args, name, default, lo, hi):
    """An integer argument; above hi it is taken as hi: Nightscout takes any
    count, and followers ask for more than any box holds (xDrip+'s Nightscout
    follow 2880, LoopFollow 4 uploaders' worth of days, Nightguard's chart 1440):
    a 400 left them with nothing."""
    v = args.get(name)
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise BadRequest("%s: not an integer" % name)
    if n < lo:
        raise BadRequest("%s: %d or more" % (name, lo))
    return min(n, hi)


def _ms_bound(v, up):
    """A date bound in Unix ms, exactly: "1767225900000" or "1767225900000.0"
    (Nightguard sends a Swift Double) without float(), whose single precision on
    the board is 131 s apart at these values; a fraction rounds down, or up
    with `up` ($gte, $lt: the next whole ms is the first that passes / fails)."""
    whole, dot, frac = v.partition(".")
    if whole.isdigit() and (not dot or frac.isdigit()):
        n = int(whole)
        return n + 1 if up and dot and frac.strip("0") else n
    return int(float(v))  # an exponent, a sign: rare, and close enough


def _bounds(args):
    out = {}
    for op in ("gt", "gte", "lt", "lte"):
        v = args.get("find[date][$%s]" % op)
        if v is not None:
            try:
                out[op] = _ms_bound(v, op in ("gte", "lt"))
            except (ValueError, OverflowError):  # "soon", "nan"; "1e999" is inf
                raise BadRequest("find[date][$%s]: not a number" % op)
    return out


class LanApi:
    def __init__(self, cfg, history, log=log_print, thresholds=None, alarms=None):
        self.c = c = validate(cfg)
        self.history = history
        self._log = log
        self._thresholds_fn = thresholds
        self._alarms_fn = alarms
        Request.max_content_length = 0  # GET only: any body is refused (413)
        Request.max_body_length = 0
        Request.max_readline = _LINE_MAX
        self.app = app = BoundedServer(c["max_connections"], c["request_timeout_s"], log,
                                       line_max=_LINE_MAX, max_body=0, name="lanapi")
        app.before_request(self._auth)
        app.errorhandler(BadRequest)(self._bad)
        app.route("/sgv.json")(self._sgv)
        app.route("/api/v1/entries/sgv.json")(self._sgv)
        app.route("/api/v1/entries.json")(self._entries)
        app.route("/api/v1/entries")(self._entries)
        # (not the extensionless /current: Nightscout answers it as text to a caller
        # without an Accept header, and scripts that cut its columns would get JSON)
        app.route("/api/v1/entries/current.json")(self._current)
        app.route("/api/v1/status.json")(self._status)
        app.route("/status.json")(self._xdrip_status)
        app.route("/pebble")(self._pebble)
        app.route("/api/v2/properties")(self._properties)
        app.route("/api/v1/alarms.json")(self._alarms)

    async def run(self, host="0.0.0.0"):
        """Serve forever (returns only when stop() is called)."""
        await self.app.start_server(host=host, port=self.c["port"])

    def stop(self):
        self.app.shutdown()

    # --- handlers ---------------------------------------------------------------
    def _auth(self, req):
        sent = req.headers.get("api-secret")
        want = self.c["secret_sha1"]
        if want is None:
            if sent:
                return {"error": "api-secret sent but this box has no secret set"}, 403
            return None
        if self.c["trust_loopback"] and client_ip(req) in ("127.0.0.1", "::1"):
            return None
        if not sent or sent.strip().lower() != want:
            return {"error": "api-secret missing or wrong"}, 403
        return None

    def _bad(self, req, e):
        return {"error": str(e)}, 400

    def _record(self, r, prev, brief, first):
        dex_s, unix_s, sgv, trend, _ = r
        d = {"date": unix_s * 1000, "sgv": sgv, "direction": direction(trend),
             "trend": TREND_CODES[direction(trend)]}
        gap = 0 if prev is None else unix_s - prev[1]
        if 0 < gap <= 600:
            # per 5 min, as xDrip+'s (its slope x 5 min): after a missed reading the
            # raw difference was twice what a follower's watch face read it as.
            # A shorter gap is not scaled up (seconds apart would make a jump)
            d["delta"] = sgv - prev[2] if gap <= _CADENCE_S else round((sgv - prev[2]) * 300 / gap, 1)
        if not brief:
            iso = iso_utc(unix_s)
            d["_id"] = "%x%08x" % (dex_s, unix_s)
            d["device"] = self.c["device"]
            d["dateString"] = iso
            d["sysTime"] = iso
            d["type"] = "sgv"
            d["noise"] = 1
        if first:
            d["units_hint"] = "mmol" if self.c["units"] == "mmol" else "mgdl"
        return d

    def _stream(self, count, bounds, brief, xdrip):
        import json
        rows = self.history.query(count, **bounds)
        yield "["
        first = True
        for r, prev in rows:
            d = self._record(r, prev, brief, first and xdrip)
            yield ("" if first else ",") + json.dumps(d)
            first = False
        yield "]"

    def _json_stream(self, gen):
        headers = {"Content-Type": "application/json"}
        if clock.wall_valid():
            # a follower box whose clock is off re-dates the readings by it
            # (forward/follower.py): without it, one an hour behind took them
            # an hour late and still judged them fresh
            headers["Date"] = http_date(clock.unix())
        return gen, 200, headers

    def _sgv(self, req):
        count = _int_arg(req.args, "count", 24, 1, 1000)
        brief = (req.args.get("brief_mode") or "").upper() in ("Y", "YES", "TRUE", "1")
        return self._json_stream(self._stream(count, _bounds(req.args), brief, True))

    def _entries(self, req):
        count = _int_arg(req.args, "count", 10, 1, 1000)
        return self._json_stream(self._stream(count, _bounds(req.args), False, False))

    def _current(self, req):
        # as Nightscout's (lib/api/entries): the newest entry alone, whatever is asked
        return self._json_stream(self._stream(1, {}, False, False))

    def _status(self, req):
        now = clock.unix()
        return {"status": "ok", "name": self.c["device"], "version": "0.1.0",
                "serverTime": iso_utc(now), "serverTimeEpoch": now * 1000, "apiEnabled": True,
                "careportalEnabled": False,
                "settings": {"units": self.c["units"], "thresholds": self._thresholds()}}

    def _thresholds(self):
        """The thresholds followers draw: the box's alarm settings when given (a
        schedule's too), else the configured ones; the configured ones if that fails."""
        if self._thresholds_fn is not None:
            try:
                return self._thresholds_fn()
            except Exception as e:  # a status page must not fail on it
                self._log("lanapi: thresholds: %r" % (e,))
        return self.c["thresholds"]

    def _xdrip_status(self, req):
        # xDrip+'s own /status.json (WebServiceStatus.java) sends its high and low
        # range lines (Pref highValue, lowValue) as bgHigh / bgLow, not Nightscout's
        # urgent ones: here the box's high and low alarms
        t = self._thresholds()
        high, low = t["bgTargetTop"], t["bgTargetBottom"]
        if self.c["units"] == "mmol":
            return {"thresholds": {"bgHigh": round(high / _MMOL, 1), "bgLow": round(low / _MMOL, 1)}}
        return {"thresholds": {"bgHigh": high, "bgLow": low}}

    def _pebble(self, req):
        count = _int_arg(req.args, "count", 1, 1, 24)
        mmol = (req.args.get("units") or self.c["units"]).startswith("mmol")
        bgs = []
        for r, prev in self.history.query(count):
            sgv = r[2]
            name = direction(r[3])
            d = {"sgv": ("%.1f" % (sgv / _MMOL)) if mmol else str(sgv),
                 "trend": TREND_CODES[name], "direction": name, "datetime": r[1] * 1000}
            if prev is not None and 0 < r[1] - prev[1] <= 600:
                delta = sgv - prev[2]
                d["bgdelta"] = ("%.1f" % (delta / _MMOL)) if mmol else delta
            elif not bgs:
                # Nightscout's pebble.js always gives the first one a bgdelta, 0
                # when it has none ("for legacy reasons"): watch faces read it
                d["bgdelta"] = "0.0" if mmol else 0
            bgs.append(d)
        return {"status": [{"now": clock.unix() * 1000}], "bgs": bgs, "cals": []}

    def _properties(self, req):
        """Nightscout's /api/v2/properties, its bgnow and delta (lib/plugins/bgnow.js)
        for the newest reading, in mg/dL: what Nightguard's main screen reads
        (bgnow.last, bgnow.mills, bgnow.sgvs[0].direction, delta.mgdl,
        delta.display); it showed nothing from the box without it. No delta
        without an earlier reading within 20 min (Nightscout's four 5-min buckets);
        over 9 min apart it is scaled to 5 min, "interpolated", as there."""
        out = {}
        for r, prev in self.history.query(1):
            ms, sgv = r[1] * 1000, r[2]
            out["bgnow"] = {"mean": sgv, "last": sgv, "mills": ms, "sgvs": [
                {"mgdl": sgv, "scaled": sgv, "mills": ms, "device": self.c["device"],
                 "direction": direction(r[3]), "type": "sgv"}]}
            gap = 0 if prev is None else r[1] - prev[1]
            if 0 < gap <= 1200:
                d = sgv - prev[2]
                mgdl = d if gap <= 540 else (d * 300 * 2 + gap) // (2 * gap)  # rounded
                out["delta"] = {"absolute": d, "elapsedMins": gap / 60, "interpolated": gap > 540,
                                "mean5MinsAgo": sgv - mgdl, "mgdl": mgdl, "scaled": mgdl,
                                "display": ("+" if mgdl >= 0 else "") + str(mgdl),
                                "previous": {"mean": prev[2], "last": prev[2], "mills": prev[1] * 1000}}
        return out

    def _alarms(self, req):
        """The box's alarms, for a follower box (follow.sound "unanswered"): an
        error is a 503, which the follower takes as "not known" and sounds its own."""
        if self._alarms_fn is None:
            return {"error": "no alarm state here"}, 503
        try:
            return self._alarms_fn()
        except Exception as e:
            self._log("lanapi: alarms: %r" % (e,))
            return {"error": "alarm state unavailable"}, 503
