# forward/lanapi.py's rules (the LAN read API a parent's phone or a second box
# reads when every cloud is down), what a follower relies on: each route's
# fields and units (sgv in mg/dL, mmol/L where asked, `date` in ms,
# dateString/sysTime, direction and trend code, delta), newest first, `count`
# defaults and bounds (above the bound is the bound, below 1 a 400),
# find[date][$gt|$gte|$lt|$lte] read exactly (a fraction rounds the right way,
# no float), brief_mode, units_hint on xDrip+'s first record only, /pebble's
# strings and first bgdelta, /api/v2/properties' bgnow and 5-min delta
# (Nightscout's bgnow.js rounding, interpolated past 9 min, none past 20), the
# status thresholds from the box's alarm settings now (else the config's), the
# secret (SHA-1 hex in `api-secret`, any case; a box without one refuses a
# caller that sends one; loopback trusted unless trust_loopback is false; every
# route), 404 for other paths, GET only, a body refused (413), 512-byte lines,
# max_connections (more are closed unanswered), request_timeout_s, the Date
# header from a set clock only, /api/v1/alarms.json (the box's alarms for a
# follower box; 503 when it has none to give), responses streamed record by record, the newest
# reading current again once the box's clock is put back (forward/history.py
# re-dates what it had dated ahead), and the config's defaults and refusals.
#
# Each request is real bytes through the module's own microdot server
# (app.webserver.BoundedServer.handle_request) without an event loop: a
# stand-in reader hands the bytes (or stalls, a client that sends no more), a
# stand-in writer records what is written; app.webserver's asyncio is a
# stand-in whose wait_for records the timeout and, once the test says the
# time is up, closes the request and raises TimeoutError, as asyncio's does.
# On CPython microdot runs a plain handler in a thread pool
# (run_in_executor); the test uses microdot's MicroPython way on both
# runtimes (the handler called in place, as on the board). The history is the
# real forward.history.History behind a wrapper that records what was asked;
# the clock is fakes.WallClock. CPython does not have micropython-lib's folder
# (.mpylib, where microdot is installed) on its path: webfakes.py puts it
# there for microdot's import only.
# Runs on CPython and MicroPython.
import binascii
import hashlib
import json

from async_steps import finish
from fakes import WallClock, _beside_clock, swap
from webfakes import Answer, Aio, Reader, Writer, served, step as step_request
from forward import ConfigError
from forward.entries import MMOL
from forward.history import History
from forward.timesync import http_date


def _load():
    from forward import lanapi
    from app import webserver
    return lanapi, webserver


lanapi, webserver = _beside_clock(_load)
LanApi = lanapi.LanApi

T = 1767225600          # 2026-01-01 00:00:00 UTC, a Thursday
LAN = ("192.168.1.20", 50123)
SECRET = "follower-secret"
GOOD = binascii.hexlify(hashlib.sha1(SECRET.encode()).digest()).decode()


# --- stand-ins (webfakes.py; the history and the box) ----------------------------------

class Recorded:
    """forward.history.History, recording each query's count and bounds."""

    def __init__(self, readings, capacity=1200, back_s=0):
        self.h = History(capacity)
        for r in readings:
            self.h.add(r, back_s)
        self.asked = []

    def query(self, count, **bounds):
        self.asked.append((count, bounds))
        return self.h.query(count, **bounds)


def series(n, t_last=T - 60, step=300, sgv_last=150, dsgv=2, trend=5, dex_last=900000):
    """n readings `step` s apart ending at t_last, rising by dsgv each."""
    return [(dex_last - (n - 1 - i) * step, t_last - (n - 1 - i) * step,
             sgv_last - (n - 1 - i) * dsgv, trend, 6) for i in range(n)]


class Box:
    def __init__(self, readings=(), t=T, back_s=0):
        self.clock = WallClock(t)
        self.history = Recorded(readings, back_s=back_s)   # back_s: clock.back_s()
        self.aio = Aio()
        self.logs = []
        self.api = None

    def lan(self, cfg=None, thresholds=None, alarms=lambda: {"alarms": [], "age_s": 0}):
        self.api = LanApi(cfg or {}, self.history, log=self.logs.append, thresholds=thresholds,
                          alarms=alarms)
        return self.api

    def within(self, fn):
        return served(self.aio, lambda: swap(lanapi, "clock", self.clock, fn))

    def start(self, raw, addr=LAN, stall=False, step=None):
        """(coroutine, writer, finished) of a request begun and run as far as it goes."""
        if self.api is None:
            self.lan()
        w = Writer(addr)
        co = self.api.app.handle_request(Reader(raw, stall, step), w)
        return co, w, self.step(co)

    def step(self, co):
        return self.within(lambda: step_request(co))

    def send(self, raw, addr=LAN, step=None):
        co, w, finished = self.start(raw, addr, step=step)
        assert finished, "the request waited"
        return Answer(w)

    def get(self, path, headers="", addr=LAN, method="GET"):
        return self.send(("%s %s HTTP/1.1\r\nHost: box\r\n%s\r\n" % (method, path, headers)).encode(), addr)

    def json(self, path, headers="", addr=LAN):
        a = self.get(path, headers, addr)
        assert a.status == 200, (path, a.status, a.body)
        return a.json()


def secret_header(h=GOOD):
    return "api-secret: %s\r\n" % h


def refusal(cfg):
    try:
        lanapi.validate(cfg)
    except ConfigError as e:
        return str(e)
    return None


ROUTES = ("/sgv.json", "/api/v1/entries/sgv.json", "/api/v1/entries.json", "/api/v1/entries",
          "/api/v1/entries/current.json",
          "/api/v1/status.json", "/status.json", "/pebble", "/api/v2/properties", "/api/v1/alarms.json")


# --- configuration -------------------------------------------------------------------

def test_config_defaults_port_17580_mgdl_no_secret_4_connections_5_s_loopback_trusted():
    want = {"port": 17580, "units": "mg/dl", "max_connections": 4, "secret_sha1": None,
            "trust_loopback": True, "request_timeout_s": 5, "device": "bedside-cgm",
            "thresholds": {"bgHigh": 260, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 55}}
    assert lanapi.validate({}) == want
    assert lanapi.validate(None) == want
    assert lanapi.validate({"port": None, "secret": None, "units": None}) == want


def test_config_port_1_to_65535():
    assert lanapi.validate({"port": 1})["port"] == 1
    assert lanapi.validate({"port": 65535})["port"] == 65535
    for bad in (0, 65536, -1):
        assert "lan_api.port: 1..65535" == refusal({"port": bad}), bad
    assert "lan_api.port" in refusal({"port": "80"})
    assert "lan_api.port" in refusal({"port": True})


def test_config_secret_kept_as_its_sha1_hex_empty_refused():
    c = lanapi.validate({"secret": SECRET})
    assert c["secret_sha1"] == GOOD and len(GOOD) == 40 and GOOD == GOOD.lower()
    assert "lan_api.secret: empty" in refusal({"secret": ""})
    assert "lan_api.secret" in refusal({"secret": 1234})


def test_config_units_mgdl_or_mmol_only():
    assert lanapi.validate({"units": "mmol"})["units"] == "mmol"
    assert lanapi.validate({"units": "mg/dl"})["units"] == "mg/dl"
    for bad in ("mmol/l", "mgdl", "MMOL", ""):
        assert refusal({"units": bad}) == "lan_api.units: 'mg/dl' or 'mmol'", bad


def test_config_thresholds_override_one_by_one_30_to_400_mgdl_known_names_only():
    t = lanapi.validate({"thresholds": {"bgLow": 30, "bgHigh": 400}})["thresholds"]
    assert t == {"bgHigh": 400, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 30}
    t = lanapi.validate({"thresholds": {"bgTargetTop": 170, "bgTargetBottom": 75}})["thresholds"]
    assert t == {"bgHigh": 260, "bgTargetTop": 170, "bgTargetBottom": 75, "bgLow": 55}
    for k, v in (("bgLow", 29), ("bgHigh", 401), ("bgLow", True), ("bgHigh", 250.0),
                 ("bgHigh", "250"), ("urgentLow", 55), ("bglow", 55)):
        e = refusal({"thresholds": {k: v}})
        assert e is not None and e.startswith("lan_api.thresholds.%s: one of " % k), (k, v, e)
        assert "30..400 mg/dL" in e and "bgTargetBottom" in e, e
    assert "lan_api.thresholds" in refusal({"thresholds": [55]})


def test_config_max_connections_1_to_16():
    assert lanapi.validate({"max_connections": 1})["max_connections"] == 1
    assert lanapi.validate({"max_connections": 16})["max_connections"] == 16
    for bad in (0, 17):
        assert refusal({"max_connections": bad}) == "lan_api.max_connections: 1..16", bad


def test_config_trust_loopback_timeout_and_device_as_given_and_of_their_types():
    c = lanapi.validate({"trust_loopback": False, "request_timeout_s": 2.5, "device": "kitchen"})
    assert c["trust_loopback"] is False and c["request_timeout_s"] == 2.5 and c["device"] == "kitchen"
    assert "lan_api.trust_loopback" in refusal({"trust_loopback": 0})
    assert "lan_api.request_timeout_s" in refusal({"request_timeout_s": "5"})
    # 0 cut every caller off unanswered; true is no number of seconds
    for bad in (0, -1, 0.5, 61):
        assert refusal({"request_timeout_s": bad}) == "lan_api.request_timeout_s: 1..60", bad
    assert refusal({"request_timeout_s": True}) == "lan_api.request_timeout_s: expected a number, got bool"
    assert lanapi.validate({"request_timeout_s": 1})["request_timeout_s"] == 1
    assert lanapi.validate({"request_timeout_s": 60})["request_timeout_s"] == 60
    assert "lan_api.device" in refusal({"device": 7})
    assert "lan_api: expected a dict" in refusal([("port", 80)])


def test_a_refused_config_makes_no_server():
    try:
        LanApi({"port": 0}, Recorded(()))
    except ConfigError as e:
        assert "port" in str(e)
    else:
        raise AssertionError("LanApi took port 0")


def test_run_serves_on_the_configured_port_on_every_interface_and_stop_closes_it():
    api = LanApi({"port": 8080}, Recorded(()))
    started = []

    async def start_server(host, port):
        started.append((host, port))
    api.app.start_server = start_server
    finish(api.run())
    finish(api.run("127.0.0.1"))
    assert started == [("0.0.0.0", 8080), ("127.0.0.1", 8080)]

    class Server:
        closed = 0

        def close(self):
            Server.closed += 1
    api.app.server = Server()
    api.stop()
    assert Server.closed == 1


# --- /sgv.json (xDrip+'s local web service) ---------------------------------------------

def test_sgv_json_newest_first_with_xdrip_fields_date_in_ms_and_iso_strings():
    box = Box(series(3, t_last=T - 60, sgv_last=150, dsgv=4, trend=25))
    got = box.json("/sgv.json")
    assert [e["date"] for e in got] == [(T - 60) * 1000, (T - 360) * 1000, (T - 660) * 1000]
    assert got[0] == {"date": (T - 60) * 1000, "sgv": 150, "direction": "SingleUp", "trend": 2,
                      "delta": 4, "_id": "%x%08x" % (900000, T - 60), "device": "bedside-cgm",
                      "dateString": "2025-12-31T23:59:00.000Z", "sysTime": "2025-12-31T23:59:00.000Z",
                      "type": "sgv", "noise": 1, "units_hint": "mgdl"}
    assert got[1]["sgv"] == 146 and got[1]["delta"] == 4 and got[1]["dateString"] == "2025-12-31T23:54:00.000Z"
    assert "delta" not in got[2]          # the oldest: no reading before it
    assert "units_hint" not in got[1] and "units_hint" not in got[2]


def test_sgv_json_units_hint_mmol_on_the_first_only_the_values_stay_mgdl():
    box = Box(series(2, sgv_last=180))
    box.lan({"units": "mmol", "device": "kitchen-box"})
    got = box.json("/sgv.json")
    assert got[0]["units_hint"] == "mmol" and got[0]["sgv"] == 180 and got[0]["device"] == "kitchen-box"
    assert "units_hint" not in got[1]


def test_sgv_json_direction_and_trend_code_follow_the_readings_trend():
    readings = [(100 + i, T - 3000 + i * 300, 120, tr, 6)
                for i, tr in enumerate((None, 500, 40, 15, 0, -15, -25, -36))]
    got = Box(readings).json("/sgv.json")
    assert [(e["direction"], e["trend"]) for e in reversed(got)] == [
        ("NOT COMPUTABLE", 8), ("NONE", 0), ("DoubleUp", 1), ("FortyFiveUp", 3), ("Flat", 4),
        ("FortyFiveDown", 5), ("SingleDown", 6), ("DoubleDown", 7)]


def test_sgv_json_delta_only_from_a_reading_at_most_10_min_older_and_signed():
    # 601 s after the previous (none), a fall of 7 over 10 min (600 s: still a delta,
    # per 5 min), one at the same second (none: 0 s is not an earlier reading), then
    # 1 s later (+3, not scaled up)
    readings = [(1, T - 2000, 130, 0, 6), (2, T - 2000 + 601, 125, 0, 6),
                (3, T - 2000 + 1201, 118, 0, 6), (4, T - 2000 + 1201, 119, 0, 6),
                (5, T - 2000 + 1202, 122, 0, 6)]
    got = Box(readings).json("/sgv.json")
    assert [e.get("delta") for e in got] == [3, None, -3.5, None, None], got


def test_sgv_json_delta_is_per_5_min_as_xdrip_after_a_missed_reading():
    # xDrip+ sends its slope x 5 min: a rise of 12 over 10 min is +6, not +12 (a
    # follower's watch face read the raw difference as twice as fast); within a
    # 5-min cadence and its jitter (up to 330 s) the plain difference
    def delta(gap, d):
        box = Box([(1, T - 60 - gap, 100, 0, 6), (2, T - 60, 100 + d, 0, 6)])
        return box.json("/sgv.json")[0]["delta"]
    assert delta(600, 12) == 6 and delta(600, -12) == -6
    assert delta(450, 9) == 6 and delta(331, 10) == 9.1   # 10 x 300 / 331, to 0.1
    assert delta(330, 10) == 10 and delta(290, -4) == -4 and delta(300, 0) == 0
    assert delta(420, -8) == -5.7                        # -5.714, to 0.1
    assert delta(599, -29) == -14.5                      # -14.524: per 300 s, not 301


def test_sgv_json_brief_mode_drops_the_long_fields_any_case_of_y_yes_true_1():
    box = Box(series(3))
    for v in ("Y", "y", "yes", "TRUE", "true", "1"):
        got = box.json("/sgv.json?count=2&brief_mode=" + v)
        assert len(got) == 2
        assert sorted(got[0]) == ["date", "delta", "direction", "sgv", "trend", "units_hint"], (v, got[0])
        assert sorted(got[1]) == ["date", "delta", "direction", "sgv", "trend"], (v, got[1])
    for v in ("N", "no", "0", "", "false"):
        got = box.json("/sgv.json?count=1&brief_mode=" + v)
        assert "dateString" in got[0] and got[0]["type"] == "sgv", v


def test_sgv_json_count_default_24_at_least_1_above_1000_taken_as_1000():
    box = Box(series(30))
    assert len(box.json("/sgv.json")) == 24
    assert len(box.json("/sgv.json?count=")) == 24
    assert len(box.json("/sgv.json?count=1")) == 1
    assert len(box.json("/sgv.json?count=30")) == 30
    assert box.json("/sgv.json?count=2880") and box.json("/sgv.json?count=1001")
    assert [c for c, b in box.history.asked] == [24, 24, 1, 30, 1000, 1000]
    box.json("/api/v1/entries/sgv.json?count=1000")
    assert box.history.asked[-1][0] == 1000


def test_a_count_below_1_or_not_an_integer_is_a_400_saying_why():
    box = Box(series(3))
    for path, why in (("/sgv.json?count=0", "count: 1 or more"), ("/sgv.json?count=-5", "count: 1 or more"),
                      ("/sgv.json?count=abc", "count: not an integer"),
                      ("/api/v1/entries.json?count=2.5", "count: not an integer"),
                      ("/pebble?count=0", "count: 1 or more")):
        a = box.get(path)
        assert a.status == 400 and a.json() == {"error": why}, (path, a.status, a.body)
    assert box.history.asked == []


def test_an_empty_history_is_an_empty_list():
    box = Box(())
    for path in ("/sgv.json", "/api/v1/entries.json", "/api/v1/entries/sgv.json"):
        a = box.get(path)
        assert a.status == 200 and a.body == b"[]", (path, a.body)


# --- Nightscout entries ------------------------------------------------------------

def test_entries_count_default_10_nightscout_fields_and_no_units_hint():
    box = Box(series(12, trend=-15))
    for path in ("/api/v1/entries.json", "/api/v1/entries"):
        got = box.json(path)
        assert len(got) == 10 and got[0]["date"] == (T - 60) * 1000 and got[9]["date"] == (T - 60 - 9 * 300) * 1000
        assert got[0]["type"] == "sgv" and got[0]["direction"] == "FortyFiveDown" and got[0]["sgv"] == 150
        assert got[0]["sysTime"] == got[0]["dateString"] == "2025-12-31T23:59:00.000Z"
        assert all("units_hint" not in e for e in got), got[0]
    assert [c for c, b in box.history.asked] == [10, 10]
    assert len(box.json("/api/v1/entries.json?count=12")) == 12
    assert len(box.json("/api/v1/entries.json?count=1")) == 1
    a = box.get("/api/v1/entries.json?count=0")
    assert a.status == 400 and a.json() == {"error": "count: 1 or more"}
    box.json("/api/v1/entries.json?count=2304&find[type][$ne]=cal")     # LoopFollow's
    assert box.history.asked[-1] == (1000, {})


def test_current_is_the_newest_entry_alone_whatever_is_asked():
    # Nightscout's /api/v1/entries/current.json (count 1, the query ignored): what home-made
    # widgets and ESP displays read, pointed at the box while the Nightscout site is down
    box = Box(series(3, trend=-15))
    entries = box.json("/api/v1/entries.json?count=1")
    for path in ("/api/v1/entries/current.json", "/api/v1/entries/current.json?count=2",
                 "/api/v1/entries/current.json?find[date][$lt]=1"):
        got = box.json(path)
        assert got == entries and got[0]["date"] == (T - 60) * 1000 and got[0]["sgv"] == 150, (path, got)
    assert box.history.asked[-3:] == [(1, {})] * 3
    # Nightscout answers the extensionless /current as text to a caller without an Accept
    # header: not served rather than JSON where a script cuts columns
    assert box.get("/api/v1/entries/current").status == 404
    assert Box().json("/api/v1/entries/current.json") == []


def test_after_the_boxs_clock_is_put_back_current_is_the_newest_reading_again():
    # the box's clock ran 20 min ahead for three readings (a wrong first NTP answer):
    # they were dated ahead, and once the clock was put right current.json, /pebble
    # and properties showed the last of them (a stale value) as current for 20 min;
    # the next live reading dates them by its transmitter time (forward/history.py)
    act = T - 500000
    readings = [(480000 + 300 * k, act + 480000 + 300 * k + (1200 if 2 <= k <= 4 else 0), 100 + k, 0, 6,
                 "live") for k in range(6)]
    box = Box(readings, t=act + 481530, back_s=1200)
    assert [e["sgv"] for e in box.json("/api/v1/entries/current.json")] == [105]
    assert [e["sgv"] for e in box.json("/api/v1/entries.json?count=6")] == [105, 104, 103, 102, 101, 100]
    assert box.json("/pebble")["bgs"][0]["sgv"] == "105"
    assert box.json("/api/v2/properties")["bgnow"]["last"] == 105


def test_find_date_bounds_gt_gte_lt_lte_in_ms_passed_to_the_history():
    box = Box(series(10, t_last=T, step=300))     # readings at T - 2700 .. T, every 300 s
    ms = lambda s: s * 1000   # noqa: E731
    got = box.json("/api/v1/entries.json?count=50&find[date][$gt]=%d&find[date][$lte]=%d"
                   % (ms(T - 1500), ms(T - 300)))
    assert [e["date"] for e in got] == [ms(T - 300), ms(T - 600), ms(T - 900), ms(T - 1200)]
    assert box.history.asked[-1] == (50, {"gt": ms(T - 1500), "lte": ms(T - 300)})
    got = box.json("/api/v1/entries.json?find[date][$gte]=%d&find[date][$lt]=%d"
                   % (ms(T - 1500), ms(T - 300)))
    assert [e["date"] for e in got] == [ms(T - 600), ms(T - 900), ms(T - 1200), ms(T - 1500)]
    assert box.history.asked[-1] == (10, {"gte": ms(T - 1500), "lt": ms(T - 300)})
    # URL-encoded, as browsers and some followers send it; on the xDrip+ route too
    got = box.json("/api/v1/entries/sgv.json?find%%5Bdate%%5D%%5B%%24gte%%5D=%d&count=2" % ms(T - 300))
    assert [e["date"] for e in got] == [ms(T), ms(T - 300)]
    got = box.json("/sgv.json?find[date][$lt]=%d" % ms(T - 2400))
    assert [e["date"] for e in got] == [ms(T - 2700)]


def test_a_date_bound_with_a_fraction_rounds_toward_what_passes():
    box = Box(series(3, t_last=T, step=300))
    M = T * 1000
    cases = (("gt", "%d.5" % M, {"gt": M}),          # > M.5: M fails, M + 1 passes
             ("gte", "%d.5" % M, {"gte": M + 1}),     # >= M.5: M + 1 is the first that passes
             ("lt", "%d.5" % M, {"lt": M + 1}),       # < M.5: M passes, M + 1 fails
             ("lte", "%d.5" % M, {"lte": M}),
             ("gte", "%d.0" % M, {"gte": M}), ("lt", "%d.000" % M, {"lt": M}),    # Nightguard's Double
             ("gte", "%d" % M, {"gte": M}), ("lt", "%d" % M, {"lt": M}),
             ("gte", "%d.99999999999" % (M - 1), {"gte": M}))
    for op, v, want in cases:
        box.json("/api/v1/entries.json?find[date][$%s]=%s" % (op, v))
        assert box.history.asked[-1] == (10, want), (op, v, box.history.asked[-1])
    assert [e["date"] for e in box.json("/api/v1/entries.json?find[date][$gte]=%d.5" % M)] == []
    assert [e["date"] for e in box.json("/api/v1/entries.json?find[date][$lt]=%d.5" % M)] == [M, M - 300000, M - 600000]


def test_a_date_bound_is_read_exactly_not_through_float():
    # float() loses digits (on the board, single precision: 131 s at today's dates;
    # here a double past 2**53): the bound must be the very integer sent
    big = 2 ** 53 + 1
    box = Box(series(2))
    for op in ("gt", "lte"):
        box.json("/api/v1/entries.json?find[date][$%s]=%d" % (op, big))
        assert box.history.asked[-1][1] == {op: big}
        box.json("/api/v1/entries.json?find[date][$%s]=%d.25" % (op, big))
        assert box.history.asked[-1][1] == {op: big}


def test_a_date_bound_with_an_exponent_is_taken_and_one_not_a_number_is_a_400():
    box = Box(series(2))
    box.json("/api/v1/entries.json?find[date][$gt]=1.5e3")
    assert box.history.asked[-1][1] == {"gt": 1500}
    for op, v in (("gt", "soon"), ("lte", "1e999"), ("gte", "nan"), ("lt", "")):
        a = box.get("/api/v1/entries.json?find[date][$%s]=%s" % (op, v))
        assert a.status == 400 and a.json() == {"error": "find[date][$%s]: not a number" % op}, (op, v, a.body)


# --- status -------------------------------------------------------------------------

def test_nightscout_status_fields_server_time_in_ms_and_the_config_thresholds():
    box = Box(())
    box.clock.t = T + 5
    assert box.json("/api/v1/status.json") == {
        "status": "ok", "name": "bedside-cgm", "version": "0.1.0",
        "serverTime": "2026-01-01T00:00:05.000Z", "serverTimeEpoch": (T + 5) * 1000,
        "apiEnabled": True, "careportalEnabled": False,
        "settings": {"units": "mg/dl",
                     "thresholds": {"bgHigh": 260, "bgTargetTop": 180, "bgTargetBottom": 80, "bgLow": 55}}}
    box.lan({"units": "mmol", "device": "kitchen", "thresholds": {"bgLow": 60}})
    got = box.json("/api/v1/status.json")
    assert got["settings"] == {"units": "mmol", "thresholds": {"bgHigh": 260, "bgTargetTop": 180,
                                                               "bgTargetBottom": 80, "bgLow": 60}}
    assert got["name"] == "kitchen"


def test_status_thresholds_are_the_alarm_settings_now_asked_at_each_request():
    now = [{"bgHigh": 250, "bgTargetTop": 170, "bgTargetBottom": 75, "bgLow": 60}]
    box = Box(())
    box.lan({"thresholds": {"bgLow": 50}}, thresholds=lambda: now[0])
    assert box.json("/api/v1/status.json")["settings"]["thresholds"] == now[0]
    assert box.json("/status.json") == {"thresholds": {"bgHigh": 170, "bgLow": 75}}
    # a schedule changed the alarm settings: the next request reports them
    now[0] = {"bgHigh": 300, "bgTargetTop": 200, "bgTargetBottom": 90, "bgLow": 65}
    assert box.json("/api/v1/status.json")["settings"]["thresholds"] == now[0]
    assert box.json("/status.json") == {"thresholds": {"bgHigh": 200, "bgLow": 90}}
    assert box.logs == []


def test_status_thresholds_fall_back_to_the_config_when_the_alarm_settings_fail():
    def broken():
        raise KeyError("urgent_low")
    box = Box(())
    box.lan({"thresholds": {"bgTargetTop": 190}}, thresholds=broken)
    got = box.json("/api/v1/status.json")["settings"]["thresholds"]
    assert got == {"bgHigh": 260, "bgTargetTop": 190, "bgTargetBottom": 80, "bgLow": 55}
    assert box.json("/status.json") == {"thresholds": {"bgHigh": 190, "bgLow": 80}}
    assert len(box.logs) == 2 and box.logs[0].startswith("lanapi: thresholds: ") and "urgent_low" in box.logs[0]


def test_xdrip_status_is_the_high_and_low_lines_in_the_boxs_units():
    box = Box(())
    assert box.json("/status.json") == {"thresholds": {"bgHigh": 180, "bgLow": 80}}
    box.lan({"units": "mmol"})
    got = box.json("/status.json")["thresholds"]
    assert got == {"bgHigh": 10.0, "bgLow": 4.4}, got       # 180 / 18.0182, 80 / 18.0182 to a tenth
    assert isinstance(got["bgHigh"], float) and isinstance(got["bgLow"], float)
    box.lan({"units": "mmol", "thresholds": {"bgTargetTop": 250, "bgTargetBottom": 70}})
    assert box.json("/status.json")["thresholds"] == {"bgHigh": 13.9, "bgLow": 3.9}


# --- /pebble -----------------------------------------------------------------------

def test_pebble_newest_one_by_default_sgv_a_string_datetime_in_ms_first_bgdelta():
    box = Box(series(3, sgv_last=150, dsgv=-6, trend=-25))
    box.clock.t = T + 7
    assert box.json("/pebble") == {
        "status": [{"now": (T + 7) * 1000}],
        "bgs": [{"sgv": "150", "trend": 6, "direction": "SingleDown", "datetime": (T - 60) * 1000,
                 "bgdelta": -6}],
        "cals": []}
    assert box.history.asked == [(1, {})]


def test_pebble_count_up_to_24_and_bgdelta_within_10_min_only():
    readings = [(1, T - 1500, 100, 0, 6), (2, T - 1200, 104, 0, 6), (3, T - 599, 110, 0, 6),
                (4, T - 300, 105, 0, 6)] + series(30, t_last=T - 3600, dsgv=1)
    box = Box(readings)
    got = box.json("/pebble?count=4")["bgs"]
    assert [b["datetime"] for b in got] == [(T - 300) * 1000, (T - 599) * 1000, (T - 1200) * 1000, (T - 1500) * 1000]
    assert [b.get("bgdelta") for b in got] == [-5, None, 4, None]   # 601 s before 110: none
    # the same window as /sgv.json's: (0, 600] s
    box2 = Box([(1, T - 2000, 100, 0, 6), (2, T - 1400, 103, 0, 6), (3, T - 1400, 107, 0, 6),
                (4, T - 1399, 108, 0, 6), (5, T - 798, 109, 0, 6)])
    assert [b.get("bgdelta") for b in box2.json("/pebble?count=5")["bgs"]] == [0, 1, None, 3, None]
    assert len(box.json("/pebble?count=24")["bgs"]) == 24
    assert len(box.json("/pebble?count=25")["bgs"]) == 24
    assert [c for c, b in box.history.asked] == [4, 24, 24]


def test_pebble_first_bgdelta_0_when_it_has_none_and_in_mmol_strings():
    box = Box([(1, T - 1200, 90, 0, 6), (2, T - 60, 100, 0, 6)])   # 19 min apart: no delta
    got = box.json("/pebble")["bgs"]
    assert got[0]["bgdelta"] == 0 and got[0]["sgv"] == "100"
    got = box.json("/pebble?units=mmol&count=2")["bgs"]
    assert got[0]["bgdelta"] == "0.0" and got[0]["sgv"] == "5.5"
    assert "bgdelta" not in got[1] and got[1]["sgv"] == "5.0"
    box = Box(series(2, sgv_last=180, dsgv=-9, trend=None))
    got = box.json("/pebble?units=mmol")["bgs"][0]
    assert got == {"sgv": "10.0", "bgdelta": "-0.5", "trend": 8, "direction": "NOT COMPUTABLE",
                   "datetime": (T - 60) * 1000}


def test_pebble_units_from_the_config_unless_the_caller_asks():
    box = Box(series(2, sgv_last=200, dsgv=18))
    box.lan({"units": "mmol"})
    assert box.json("/pebble")["bgs"][0]["sgv"] == "11.1" and box.json("/pebble")["bgs"][0]["bgdelta"] == "1.0"
    assert box.json("/pebble?units=mg/dl")["bgs"][0]["sgv"] == "200"
    assert box.json("/pebble?units=mg/dl")["bgs"][0]["bgdelta"] == 18


# --- /api/v2/properties (Nightguard's current value) --------------------------------------

def test_properties_bgnow_the_newest_reading_in_mgdl_with_mills():
    box = Box(series(2, sgv_last=143, dsgv=3, trend=15))
    box.lan({"device": "kitchen"})
    got = box.json("/api/v2/properties")
    ms = (T - 60) * 1000
    assert got["bgnow"] == {"mean": 143, "last": 143, "mills": ms, "sgvs": [
        {"mgdl": 143, "scaled": 143, "mills": ms, "device": "kitchen", "direction": "FortyFiveUp", "type": "sgv"}]}
    assert got["delta"] == {"absolute": 3, "elapsedMins": 5, "interpolated": False, "mean5MinsAgo": 140,
                            "mgdl": 3, "scaled": 3, "display": "+3",
                            "previous": {"mean": 140, "last": 140, "mills": ms - 300000}}
    assert box.history.asked == [(1, {})]


def test_properties_delta_as_bgnow_js_raw_to_9_min_scaled_to_5_min_after_none_past_20():
    def delta(gap, d):
        box = Box([(1, T - 60 - gap, 120 - d, 0, 6), (2, T - 60, 120, 0, 6)])
        return box.json("/api/v2/properties").get("delta")
    got = delta(540, -12)          # 9 min: not interpolated
    assert got["mgdl"] == -12 and got["interpolated"] is False and got["display"] == "-12"
    assert got["elapsedMins"] == 9 and got["mean5MinsAgo"] == 132
    got = delta(541, -12)          # past 9 min: to 5 min, rounded as Math.round
    assert got["interpolated"] is True and got["mgdl"] == -7 and got["absolute"] == -12   # -6.65
    for gap, d, want in ((600, 11, 6), (600, -11, -5), (600, 10, 5), (1200, 7, 2), (1200, -6, -1),
                         (600, 1, 1), (600, -1, 0), (900, 0, 0), (1199, 100, 25), (541, 100, 55),
                         (1200, 2, 1), (1200, -2, 0), (720, 1, 0), (720, -1, 0)):
        # Math.round(d * 5 / elapsedMins): halves go up (-5.5 is -5)
        got = delta(gap, d)
        assert got["mgdl"] == want and got["scaled"] == want, (gap, d, got)
        assert got["mean5MinsAgo"] == 120 - want and got["interpolated"] is True, (gap, d, got)
        assert got["elapsedMins"] == gap / 60, (gap, got)
    assert delta(600, -1)["display"] == "+0"     # Nightscout: scaled >= 0 gets its "+"
    assert delta(600, -2)["display"] == "-1"
    assert delta(1, 4)["mgdl"] == 4 and delta(1, 4)["interpolated"] is False
    assert delta(1200, 2)["display"] == "+1"
    assert delta(1201, 30) is None               # Nightscout's four 5-min buckets
    assert delta(0, 5) is None                   # two readings at the same second


def test_properties_of_one_reading_has_no_delta_and_of_none_is_empty():
    got = Box([(1, T - 60, 99, None, 6)]).json("/api/v2/properties")
    assert "delta" not in got and got["bgnow"]["last"] == 99
    assert got["bgnow"]["sgvs"][0]["direction"] == "NOT COMPUTABLE"
    assert Box(()).json("/api/v2/properties") == {}


# --- the secret ----------------------------------------------------------------------

def test_with_a_secret_every_route_wants_its_sha1_hex_in_api_secret():
    box = Box(series(2))
    box.lan({"secret": SECRET})
    for path in ROUTES:
        a = box.get(path)
        assert a.status == 403 and a.json() == {"error": "api-secret missing or wrong"}, (path, a.status)
        assert box.get(path, secret_header("0" * 40)).status == 403, path
        assert box.get(path, secret_header(SECRET)).status == 403, path        # the secret itself: no
        assert box.get(path, secret_header(GOOD[:-1])).status == 403, path
        assert box.get(path, secret_header(GOOD)).status == 200, path
    assert box.get("/sgv.json", secret_header(GOOD.upper())).status == 200      # hex in any case
    assert box.get("/sgv.json", "API-Secret: %s\r\n" % GOOD).status == 200       # a header name in any case
    assert box.get("/sgv.json", "api-secret:  %s \r\n" % GOOD).status == 200


def test_a_refused_caller_gets_no_readings():
    box = Box(series(2))
    box.lan({"secret": SECRET})
    a = box.get("/sgv.json", secret_header("0" * 40))
    assert b"sgv" not in a.body and box.history.asked == []


def test_loopback_is_trusted_without_the_secret_unless_trust_loopback_is_false():
    box = Box(series(2))
    box.lan({"secret": SECRET})
    for addr in (("127.0.0.1", 4000), ("::1", 4000)):
        assert box.get("/sgv.json", addr=addr).status == 200, addr
    assert box.get("/sgv.json", addr=("127.0.0.2", 4000)).status == 403
    assert box.get("/sgv.json", addr=("192.168.1.1", 4000)).status == 403
    box.lan({"secret": SECRET, "trust_loopback": False})
    for addr in (("127.0.0.1", 4000), ("::1", 4000)):
        assert box.get("/sgv.json", addr=addr).status == 403, addr
        assert box.get("/sgv.json", secret_header(GOOD), addr=addr).status == 200, addr


def test_without_a_secret_anyone_reads_but_a_caller_sending_one_is_refused():
    box = Box(series(2))
    for path in ROUTES:
        assert box.get(path).status == 200, path
        a = box.get(path, secret_header(GOOD))
        assert a.status == 403 and a.json() == {"error": "api-secret sent but this box has no secret set"}, path
    assert box.get("/sgv.json", "api-secret: \r\n").status == 200       # an empty header is no secret
    # loopback too: it expects another server
    assert box.get("/sgv.json", secret_header(GOOD), addr=("127.0.0.1", 4000)).status == 403


# --- paths, methods, bounds ------------------------------------------------------------

def test_other_paths_are_404_and_a_path_is_matched_as_text():
    box = Box(series(2))
    for path in ("/", "/nope", "/sgvXjson", "/sgv.json/", "/api/v1/entries/current.csv", "/api/v1/treatments",
                 "/api/v1/devicestatus.json", "/SGV.JSON", "/api/v1/status", "/status"):
        assert box.get(path).status == 404, path
    assert box.history.asked == []


def test_get_only_other_methods_405_head_answers_without_a_body():
    box = Box(series(2))
    for m in ("POST", "PUT", "DELETE", "PATCH"):
        assert box.get("/sgv.json", method=m).status == 405, m
    a = box.get("/api/v1/status.json", method="HEAD")
    assert a.status == 200 and a.body == b"" and "application/json" in a.headers["content-type"]


def test_a_request_with_a_body_is_refused_413_whatever_its_method():
    box = Box(series(2))
    for m in ("GET", "POST"):
        a = box.send(("%s /sgv.json HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" % m).encode())
        assert a.status == 413, (m, a.status, a.body)
    a = box.send(b"GET /sgv.json HTTP/1.1\r\nContent-Length: 1\r\n\r\nx")
    assert a.status == 413 and box.history.asked == []


def test_request_line_and_header_lines_of_512_bytes_taken_513_refused():
    box = Box(series(2))

    def line(n):                       # a request line of n bytes with its CRLF
        pad = n - len("GET /sgv.json?x= HTTP/1.1\r\n")
        return ("GET /sgv.json?x=%s HTTP/1.1\r\n" % ("a" * pad)).encode()
    for step in (None, 7):
        assert len(line(512)) == 512
        assert box.send(line(512) + b"\r\n", step=step).status == 200, step
        assert box.send(line(513) + b"\r\n", step=step).status == 400, step
        hdr = lambda n: ("X-Pad: %s\r\n" % ("b" * (n - 9))).encode()   # noqa: E731
        assert len(hdr(512)) == 512
        assert box.send(line(40) + hdr(512) + b"\r\n", step=step).status == 200, step
        assert box.send(line(40) + hdr(513) + b"\r\n", step=step).status == 400, step
    # an endless line is cut, not buffered
    a = box.send(b"GET /" + b"a" * 4000)
    assert a.status == 400


def test_a_flood_of_short_header_lines_is_refused():
    box = Box(series(2))
    head = b"GET /sgv.json HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(40)) + b"\r\n"
    assert box.send(head).status == 400
    assert box.history.asked == []


def test_garbage_is_a_400():
    box = Box(series(2))
    assert box.send(b"\x16\x03\x01 hello there\r\n\r\n").status == 400
    assert box.send(b"GET\r\n\r\n").status == 400


def test_each_request_is_given_request_timeout_s_default_5():
    box = Box(series(2))
    box.lan()
    box.get("/sgv.json")
    box.lan({"request_timeout_s": 2.5})
    box.get("/sgv.json")
    assert box.aio.timeouts == [5, 2.5]


def test_a_client_that_stops_sending_is_cut_off_at_the_timeout_unanswered():
    box = Box(series(2))
    box.lan()
    co, w, finished = box.start(b"GET /sgv.json HTTP/1.1\r\nHost: x\r\n", stall=True)
    assert not finished and not w.closed and box.api.app.active == 1
    box.aio.expired = True
    assert box.step(co)
    assert w.closed and w.writes == [] and box.api.app.timeouts == 1 and box.api.app.active == 0
    box.aio.expired = False
    assert box.get("/sgv.json").status == 200


def test_connections_past_max_connections_are_closed_unanswered_then_served_again():
    for cfg, n in (({}, 4), ({"max_connections": 2}, 2), ({"max_connections": 1}, 1)):
        box = Box(series(2))
        box.lan(cfg)
        # each from its own address (one address never holds every place: app.webserver)
        slow = [box.start(b"GET /sgv.json HTTP/1.1\r\n", addr=("192.168.1.%d" % (30 + i), 4000),
                          stall=True) for i in range(n)]
        assert [f for co, w, f in slow] == [False] * n and box.api.app.active == n
        co, w, finished = box.start(b"GET /sgv.json HTTP/1.1\r\n\r\n")
        assert finished and w.closed and w.writes == [], cfg
        assert box.api.app.refused == 1 and box.history.asked == []
        box.aio.expired = True
        for co, w, f in slow:
            assert box.step(co)
        box.aio.expired = False
        assert box.api.app.active == 0
        assert box.get("/sgv.json").status == 200, cfg


# --- the answer: Date, streaming ---------------------------------------------------------

def test_readings_carry_the_boxs_date_when_its_clock_is_set():
    box = Box(series(2), t=T + 3661)
    for path in ("/sgv.json", "/api/v1/entries.json", "/api/v1/entries/sgv.json"):
        a = box.get(path)
        assert a.headers["date"] == "Thu, 01 Jan 2026 01:01:01 GMT" == http_date(T + 3661), path
        assert a.headers["content-type"] == "application/json", path
    box.clock.t = None                 # never set: no Date (a follower would re-date by 1970)
    a = box.get("/sgv.json")
    assert a.status == 200 and "date" not in a.headers and a.json()


def test_readings_are_streamed_one_record_a_write():
    box = Box(series(3))
    a = box.get("/api/v1/entries.json")
    body = [w for w in a.writes[a.writes.index(b"\r\n") + 1:]]
    assert len(body) == 5 and body[0] == b"[" and body[-1] == b"]", body
    assert body[1].startswith(b"{") and body[2].startswith(b",{") and body[3].startswith(b",{")
    assert "content-length" not in a.headers and a.closed
    assert [e["date"] for e in json.loads(b"".join(body))] == [(T - 60) * 1000, (T - 360) * 1000, (T - 660) * 1000]


# --- /api/v1/alarms.json: the box's alarms, for a follower box (alarms.gate) -------------

def test_alarms_are_the_boxs_own_as_its_app_gives_them():
    report = {"alarms": [{"type": "low", "priority": "medium", "status": "sounding", "level": 2,
                          "reason": "threshold"}], "age_s": 3}
    box = Box()
    box.lan(alarms=lambda: report)
    assert box.json("/api/v1/alarms.json") == report
    report["alarms"] = []                       # asked again: the state now, not the first
    assert box.json("/api/v1/alarms.json") == {"alarms": [], "age_s": 3}


def test_alarms_are_503_when_the_box_has_none_to_give_or_they_fail():
    # a follower takes anything but a 200 as "not known" and sounds every alarm itself
    box = Box()
    box.lan(alarms=None)
    a = box.get("/api/v1/alarms.json")
    assert a.status == 503 and a.json() == {"error": "no alarm state here"}

    def broken():
        raise RuntimeError("engine gone")
    box.lan(alarms=broken)
    a = box.get("/api/v1/alarms.json")
    assert a.status == 503 and a.json() == {"error": "alarm state unavailable"}
    assert any("engine gone" in line for line in box.logs), box.logs
