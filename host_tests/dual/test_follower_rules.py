# The rules of the follower (forward/follower.py) that
# `python tools/mutation.py --package forward --only follower` found unpinned,
# from its module comment and the README "Follower box": one poll against a fake
# server (forward.http stood in for), the Date header and the box's clock (entries
# more than FUTURE_S ahead skipped and reported, readings re-dated when the clocks
# are more than SKEW_S apart, freshness within silent_min), leader_auth on 401/403,
# errors logged once and the address looked up again, the defaults (silent_min 15,
# poll_s 60), the trend from the previous entry within 10 min or the arrow's
# mid-rate. And against a fake server that answers the query as Nightscout and the
# leader's LAN API do (count, find[date][$gt], find[date][$lte]): entries dated in the
# future (an uploader's clock an hour ahead) neither fill the answer nor are taken when
# their time comes (the follower fed "150, Flat" for an hour while the real glucose fell
# to 40, and the real readings were never fetched); and over a Nightscout whose `_id`s
# (ObjectIds) carry the second each entry was made, entries made more than FUTURE_S
# before their dates are never taken, whenever first seen: after an outage of 8 or
# 10 min, with poll_s 300, at the first poll after a boot (each fed a phone's "150" as
# current before), while an uploader 90 s ahead has every reading taken and an `_id`
# that is not an ObjectId (the LAN API's, a UUID) refuses nothing. Runs on CPython
# and MicroPython.
import json
import sys

import scratch
from async_steps import FakeAsyncio, finish

from forward import entries, follower
from forward import http as real_http
from forward.follower import Follower, FollowError, parse_entries
from forward.timesync import http_date

T0 = 1767225600
WORK = "build/test_follower_rules_" + sys.implementation.name


class FakeHttp:
    """forward.http for one Follower: canned answers, the requests seen."""

    parse_url = staticmethod(real_http.parse_url)

    def __init__(self):
        self.answers, self.requests, self.forgotten = [], [], []
        self.plain = []   # offer_plain_date calls: (host, port)

    async def offer_plain_date(self, host, port, timeout_s, on_date, log, who):
        self.plain.append((host, port))   # a server whose port 80 answers nothing useful

    @staticmethod
    def tls_context(cadata):
        return ("context", cadata)

    async def request(self, method, host, port, path, headers, body=None, ssl_ctx=None,
                      timeout_s=20, max_body=2048):
        self.requests.append({"method": method, "host": host, "port": port, "path": path,
                              "headers": headers, "ssl_ctx": ssl_ctx, "timeout_s": timeout_s,
                              "max_body": max_body})
        a = self.answers.pop(0)
        if isinstance(a, Exception):
            raise a
        if isinstance(a[2], str):   # forward.http gives bytes
            a = a[:2] + (a[2].encode(),)
        return a

    def forget_address(self, host, port):
        self.forgotten.append((host, port))


class World:
    """A Follower with a fake server, clocks and sinks."""

    def __init__(self, cfg=None, box_unix=None, ms=10 ** 7, server_date=True, http=None, alarms=False,
                 since_fresh_s=None, holding=None, pause=None):
        self.http = FakeHttp() if http is None else http
        self.box_unix, self.now_ms = box_unix, ms
        self.readings, self.conds, self.logs, self.dates = [], [], [], []
        self.given = []   # ("reading", r) and ("alarms", report), in the order given
        c = {"url": "http://10.0.0.2:17580"}
        c.update(cfg or {})

        def reading(r):
            self.readings.append(r)
            self.given.append(("reading", r))
        self.f = self._with_http(lambda: Follower(
            c, reading, lambda k, n, a: self.conds.append((k, n, a)),
            on_server_date=self.dates.append if server_date else None, log=self.logs.append,
            ms=lambda: self.now_ms, unix=lambda: self.box_unix,
            on_alarms=(lambda rep: self.given.append(("alarms", rep))) if alarms else None,
            since_fresh_s=since_fresh_s, pause=pause, **({} if holding is None else {"holding": holding})))

    def _with_http(self, fn):
        real = follower.http
        follower.http = self.http
        try:
            return fn()
        finally:
            follower.http = real

    def poll(self, status=200, body="[]", server_unix=None, error=None):
        self.http.answers.append(error if error is not None else (
            status, None if server_unix is None else http_date(server_unix), body))
        self.ask()

    def ask(self):
        """One poll, answered by whatever self.http answers."""
        self._with_http(lambda: finish(self.f.poll()))

    def silent(self):
        return [a for k, n, a in self.conds if n == "leader_silent"]

    def auth(self):
        return [a for k, n, a in self.conds if n == "leader_auth"]


class Server(FakeHttp):
    """A Nightscout or a leader's LAN API: its entries (date ms, sgv, direction, and
    for Nightscout's the `_id` it made) and its clock (`unix`, sent as the Date
    header); it answers count, find[date][$gt] and find[date][$lte] as both do,
    newest first (`bounded` False: an old server that ignores $lte; `down`: no
    answer, OSError)."""

    def __init__(self, unix):
        FakeHttp.__init__(self)
        self.unix = unix
        self.entries = []
        self.bounded = True
        self.down = False

    async def request(self, method, host, port, path, headers, body=None, ssl_ctx=None,
                      timeout_s=20, max_body=2048):
        self.requests = [{"path": path}]   # the last only (a run of hours on the port's heap)
        if self.down:
            raise OSError(113)
        q = {}
        for kv in path.split("?", 1)[1].split("&"):
            k, v = kv.split("=", 1)
            q[k] = v
        gt = int(q.get("find[date][$gt]", "-1"))
        lte = int(q["find[date][$lte]"]) if self.bounded and "find[date][$lte]" in q else None
        rows = sorted([e for e in self.entries if e[0] > gt and (lte is None or e[0] <= lte)],
                      reverse=True)[:int(q["count"])]
        out = []
        for e in rows:
            d = {"date": e[0], "sgv": e[1], "direction": e[2]}
            if len(e) > 3:
                d["_id"] = e[3]
            out.append(d)
        return 200, http_date(self.unix()), json.dumps(out)


def body(rows):
    """rows: (unix_s, sgv, direction), served newest first."""
    return json.dumps([{"date": t * 1000, "sgv": s, "direction": d}
                       for t, s, d in sorted(rows, reverse=True)])


# --- parse_entries -------------------------------------------------------------

def test_39_is_the_lowest_glucose_taken():
    rs = parse_entries(body([(T0, 39, "Flat"), (T0 + 300, 38, "Flat")]))
    assert [r[2] for r in rs] == [39, None]


def test_a_boolean_is_not_a_number():
    b = json.dumps([{"date": True, "sgv": 100}, {"date": T0 * 1000, "sgv": True, "direction": "Flat"},
                    {"date": "1767225600000", "sgv": 100}, {"date": (T0 + 300) * 1000, "sgv": "100"}])
    rs = parse_entries(b)
    assert [(r[1], r[2]) for r in rs] == [(T0, None), (T0 + 300, None)], rs


def test_a_date_with_a_fraction_or_an_exponent_is_read_as_exact_milliseconds():
    # json.loads makes such a date a float, and the board's floats are single
    # precision (up to two minutes off at today's dates): exact_dates writes it as
    # whole ms first. Forms: a fraction (JavaScript), a Java double as org.json
    # writes it, with spaces around the colon, with or without a dateString
    for text in ("1767225900123.4", "1.7672259001234E12", "1.7672259001234e+12",
                 "17672259001234e-1", "1767225900123.999"):
        b = '[{"date" : %s, "dateString": "2026-01-01T00:05:00.123Z", "sgv": 120}]' % text
        assert json.loads(follower.exact_dates(b.encode()))[0]["date"] == 1767225900123, text
        assert parse_entries(b)[0][:3] == (T0 + 300, T0 + 300, 120), text
        b = '[{"sgv": 120, "date":%s}]' % text
        assert parse_entries(b)[0][:3] == (T0 + 300, T0 + 300, 120), text
    assert follower.exact_dates(b'{"date": 1.5e1}') == b'{"date": 15}'
    assert follower.exact_dates(b'{"date":1.5}') == b'{"date":1}'
    assert follower.exact_dates(b'"date"\t:\r\n2.5E+1,"date"\n:\t3.5e-1') == b'"date"\t:\r\n25,"date"\n:\t0'
    # reach: 20 places up, 40 down, a token of 40 characters
    assert follower.exact_dates(b'{"date": 1e20}') == b'{"date": 1' + b'0' * 20 + b'}'
    assert follower.exact_dates(b'{"date": 1e-40}') == b'{"date": 0}'
    forty = b'1' * 38 + b'.5'
    assert follower.exact_dates(b'{"date": ' + forty + b'}') == b'{"date": ' + b'1' * 38 + b'}'
    assert follower.exact_dates(b'{"date": -2.5}') == b'{"date": -3}'   # the floor
    # only "date" numbers change; an integer date, other keys and strings are left as they are
    for same in (b'[{"date": 1767225900123, "sgv": 120.5}]', b'[{"dateString": "1.5", "x": 2.5}]',
                 b'[{"note": "\\"date\\": 1.5"}]', b'[]', b'', b'"date"', b'{"date"', b'"date": '):
        assert follower.exact_dates(same) is same, same
    # what is not a JSON number, or out of any date's reach, is left to json.loads
    for odd in (b'{"date": .5}', b'{"date": 1.}', b'{"date": 1e}', b'{"date": 1e+}', b'{"date": 1e21}',
                b'{"date": 1e-41}', b'{"date": 1' + b'1' * 38 + b'.5}', b'{"date": +1.5}', b'{"date": -}', b'{"date": 1e999}',
                b'{"date": 1.2.3}', b'{"date": 1e-99}', b'{"date": 1' + b'0' * 40 + b'.5}'):
        assert follower.exact_dates(odd) == odd, odd


def _band(arrow):
    """(low, high] of an arrow's rate in forward.entries (direction())."""
    bounds = entries._ARROWS
    for i in range(len(bounds) - 1):
        if bounds[i][1] == arrow:
            return bounds[i + 1][0], bounds[i][0]
    raise KeyError(arrow)


def test_the_arrow_rates_are_the_mid_rates_of_the_upload_bands():
    for arrow, outer in (("DoubleUp", 40), ("SingleUp", None), ("FortyFiveUp", None), ("Flat", None),
                         ("FortyFiveDown", None), ("SingleDown", None), ("DoubleDown", -40)):
        rs = parse_entries(body([(T0, 100, arrow)]))
        rate = rs[0][3]
        assert entries.direction(rate) == arrow, (arrow, rate)
        if outer is not None:
            assert rate == outer, (arrow, rate)
        else:
            low, high = _band(arrow)
            assert rate == int((low + high) / 2), (arrow, rate, low, high)   # toward 0


def test_the_trend_comes_from_an_entry_at_most_10_min_older():
    prev = (T0, 100)
    for dt, want in ((600, 20 * 600 // 600), (601, 0), (30, 20 * 600 // 30)):
        b = json.dumps([{"date": (T0 + dt) * 1000 + 500, "sgv": 120, "direction": "Flat"}])
        rs = parse_entries(b, after_ms=T0 * 1000, prev=prev)
        assert rs[0][3] == want, (dt, rs)


def test_the_last_entry_again_or_a_second_upload_of_it_is_not_a_new_reading():
    # find[date][$gt] asks from the last reading's whole second: an entry with
    # milliseconds (xDrip+'s) came back at every poll and was taken again; a
    # Nightscout with two uploaders holds each reading twice, seconds apart
    for dt in (0, 1, 29):
        b = json.dumps([{"date": (T0 + dt) * 1000 + 500, "sgv": 120, "direction": "Flat"}])
        assert parse_entries(b, after_ms=T0 * 1000, prev=(T0, 100)) == [], dt
        assert parse_entries(b, prev=(T0, 100)) == [], dt
    twice = json.dumps([{"date": (T0 + k * 300 + d) * 1000 + 123, "sgv": 100 + k, "direction": "Flat"}
                        for k in range(3) for d in (0, 7)])
    assert [r[:3] for r in parse_entries(twice)] == [(T0 + k * 300,) * 2 + (100 + k,) for k in range(3)]
    one_min = json.dumps([{"date": (T0 + k * 60) * 1000, "sgv": 100, "direction": "Flat"} for k in range(5)])
    assert len(parse_entries(one_min)) == 5          # a 1-min CGM: every reading
    w = World()
    w.poll(body=body([(T0, 100, "Flat")]).replace('%d000' % T0, '%d123' % T0), server_unix=T0 + 60)
    w.poll(body=body([(T0, 100, "Flat")]).replace('%d000' % T0, '%d123' % T0), server_unix=T0 + 120)
    assert len(w.readings) == 1, w.readings


def test_two_uploads_of_one_reading_with_the_same_date_are_one_reading_with_its_glucose():
    # two uploaders storing one reading at the same date, one without sgv or direction:
    # sorting whole rows compared None with a number (TypeError): every poll failed and
    # the follower fed no reading until the pair left the answer
    for pair in (({"sgv": 120, "direction": "Flat"}, {"direction": "Flat"}),
                 ({"sgv": 120, "direction": "Flat"}, {"sgv": 120}),
                 ({"sgv": 120}, {"sgv": 120, "direction": "Flat"})):
        for first, second in (pair, (pair[1], pair[0])):
            rows = [dict(first, date=T0 * 1000), dict(second, date=T0 * 1000),
                    {"date": (T0 - 300) * 1000, "sgv": 118, "direction": "Flat"}]
            got = parse_entries(json.dumps(rows))
            assert [(r[1], r[2]) for r in got] == [(T0 - 300, 118), (T0, 120)], (first, second, got)
    # a direction that is not a string (a list could not be looked up: TypeError) is none
    got = parse_entries(json.dumps([{"date": T0 * 1000, "sgv": 120, "direction": ["Flat"]},
                                    {"date": (T0 + 300) * 1000, "sgv": 121, "direction": {"a": 1}}]))
    assert [(r[2], r[3]) for r in got] == [(120, None), (121, 2)], got
    w = World()
    w.poll(body=json.dumps([{"date": T0 * 1000}, {"date": T0 * 1000, "sgv": 101, "direction": "Flat"}]),
           server_unix=T0 + 60)
    assert [r[2] for r in w.readings] == [101] and w.f.last_error is None, (w.readings, w.logs)


# --- one poll --------------------------------------------------------------------

def test_a_poll_asks_for_entries_within_15_s():
    w = World()
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 60)
    req = w.http.requests[0]
    assert req["method"] == "GET" and (req["host"], req["port"]) == ("10.0.0.2", 17580)
    assert req["timeout_s"] == 15 and req["ssl_ctx"] is None
    assert req["max_body"] == follower.MAX_BODY >= 12 * 400   # 12 full Nightscout entries fit
    assert w.readings == [(T0, T0, 100, 0, 6, "live")]
    assert w.dates == [http_date(T0 + 60)]
    assert w.f.status() == {"url": "http://10.0.0.2:17580", "last_entry_unix": T0,
                            "last_error": None, "silent": False, "polls": 1,
                            "alarms_error": None}
    w.poll(body="[]", server_unix=T0 + 120)
    assert w.f.status()["polls"] == 2
    assert "&find[date][$gt]=%d" % (T0 * 1000) in w.http.requests[1]["path"]


def test_the_status_before_any_poll():
    w = World()
    assert w.f.status() == {"url": "http://10.0.0.2:17580", "last_entry_unix": None,
                            "last_error": None, "silent": False, "polls": 0,
                            "alarms_error": None}


def test_the_trend_carries_over_from_the_previous_poll():
    w = World()
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 10)
    w.poll(body=body([(T0 + 300, 110, "Flat")]), server_unix=T0 + 310)
    assert w.readings[1][2:4] == (110, 20)           # +10 mg/dL in 5 min, not the arrow's 0
    w.poll(body=body([(T0 + 1200, 120, "SingleUp")]), server_unix=T0 + 1210)
    assert w.readings[2][3] == 27                    # 15 min after: the arrow's mid-rate
    w = World(box_unix=T0 + 3910)                    # re-dated readings: the same trend
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 10)
    w.poll(body=body([(T0 + 300, 95, "Flat")]), server_unix=T0 + 310)
    assert w.readings[1][:4] == (T0 + 3900, T0 + 3900, 95, -10)   # box clock fixed: 3600 s apart now


def test_without_a_date_callback_the_date_is_only_read():
    w = World(server_date=False)
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 60)
    assert len(w.readings) == 1 and w.dates == []


def test_401_and_403_raise_leader_auth_at_once_other_codes_do_not():
    for status in (401, 403):
        w = World()
        w.poll(status=status, body=body([(T0, 100, "Flat")]), server_unix=T0)
        assert w.auth() == [True] and w.readings == [], status
        assert "refused" in w.f.last_error and str(status) in w.f.last_error
        w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 60)
        assert w.auth() == [True, False] and len(w.readings) == 1 and w.f.last_error is None
    for status in (400, 402, 404, 500, 201, 199):
        w = World()
        w.poll(status=status, body=body([(T0, 100, "Flat")]), server_unix=T0)
        assert w.auth() == [False] and w.readings == [], status
        assert w.f.last_error == "ValueError: HTTP %d" % status, (status, w.f.last_error)


def test_a_refusal_tells_what_the_server_says():
    # helper-250: a follower sending a secret to a leader box that has none got "HTTP 403:
    # api_secret or token refused", and a parent would retype a secret that was never wrong
    w = World({"api_secret": "s" * 12})
    w.poll(status=403, body=json.dumps({"error": "api-secret sent but this box has no secret set"}),
           server_unix=T0)
    assert w.auth() == [True]
    assert w.f.last_error == ("ValueError: HTTP 403: api_secret or token refused (the server says: "
                              "api-secret sent but this box has no secret set)"), w.f.last_error
    # Nightscout's 401 says "Unauthorized"; a body that is no short JSON object adds nothing
    w.poll(status=401, body=json.dumps({"status": 401, "message": "Unauthorized"}), server_unix=T0)
    assert w.f.last_error.endswith("refused (the server says: Unauthorized)"), w.f.last_error
    for junk in ("", "<html>no</html>", "[1]", json.dumps({"error": 5}), json.dumps({"error": "x" * 400})):
        w.poll(status=403, body=junk, server_unix=T0)
        assert w.f.last_error == "ValueError: HTTP 403: api_secret or token refused", (junk, w.f.last_error)


def test_the_last_error_says_what_a_family_can_act_on():
    # the status page's "failing (...)": the port's TLS words a refused certificate in
    # lines of mbedtls' verify text, and a socket error is a bare number
    w = World()
    w.poll(error=ValueError("\nThe certificate validity has expired\n"))
    assert w.f.last_error == "ValueError: certificate expired, or the box's clock is ahead", w.f.last_error
    w.poll(error=OSError(113))
    assert w.f.last_error == "OSError: host unreachable", w.f.last_error
    w.poll(status=404, body="[]", server_unix=T0)      # the follower's own words, whole
    assert w.f.last_error == "ValueError: HTTP 404", w.f.last_error


def test_an_error_is_logged_once_and_the_address_looked_up_again():
    w = World()
    for _ in range(3):
        w.poll(error=OSError(113))
    assert len(w.logs) == 1 and "10.0.0.2:17580" in w.logs[0] and "OSError" in w.logs[0]
    assert w.f.last_error.startswith("OSError")
    assert w.http.forgotten == [("10.0.0.2", 17580)] * 3
    w.poll(status=500)
    assert len(w.logs) == 2 and "HTTP 500" in w.logs[1]
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 60)
    assert w.f.last_error is None and len(w.http.forgotten) == 4


def test_entries_ahead_of_the_servers_clock_are_skipped_and_reported():
    w = World()
    rows = [(T0, 100, "Flat"), (T0 + 300, 101, "Flat"), (T0 + 900, 102, "Flat"), (T0 + 1500, 103, "Flat")]
    w.poll(body=body(rows), server_unix=T0 + 300 - follower.FUTURE_S)   # T0 + 300 is exactly FUTURE_S ahead
    assert [r[1] for r in w.readings] == [T0, T0 + 300]
    err = w.f.last_error
    assert "server's clock" in err and ("900 s" in err or "1500 s" in err), err
    assert w.f.status()["last_entry_unix"] == T0 + 300
    assert follower.FUTURE_S == 300


def test_entries_ahead_of_the_boxs_clock_without_a_date_header():
    w = World(box_unix=T0)
    w.poll(body=body([(T0 - 300, 100, "Flat"), (T0 + 301, 101, "Flat")]))
    assert [r[1] for r in w.readings] == [T0 - 300]
    assert "box's clock" in w.f.last_error and "301 s" in w.f.last_error


def test_with_no_clock_at_all_every_new_entry_is_taken_and_fresh():
    w = World()
    w.now_ms += 20 * 60000
    w.poll(body=body([(T0, 100, "Flat"), (T0 + 10 ** 6, 101, "Flat")]))
    assert len(w.readings) == 2 and w.f.last_error is None
    assert w.silent() == [False]


def test_readings_are_re_dated_onto_the_box_clock_more_than_a_minute_apart():
    for apart, moved in ((60, 0), (-60, 0), (61, 61), (-61, -61), (3600, 3600), (-1800, -1800)):
        w = World(box_unix=T0 + 120 + apart)
        w.poll(body=body([(T0, 100, "Flat"), (T0 + 60, 101, "Flat")]), server_unix=T0 + 120)
        assert [r[:2] for r in w.readings] == [(T0 + moved, T0 + moved), (T0 + 60 + moved,) * 2], apart
        assert [r[2:] for r in w.readings] == [(100, 0, 6, "live"), (101, 10, 6, "live")]
        # asked again by the server's dates
        w.poll(body="[]", server_unix=T0 + 180)
        assert "$gt]=%d" % ((T0 + 60) * 1000) in w.http.requests[1]["path"], apart


def test_no_re_dating_without_both_clocks():
    w = World()                                    # the box's clock not set yet
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 3600)
    assert w.readings[0][:2] == (T0, T0)
    w = World(box_unix=T0 + 7200)                  # no Date header
    w.poll(body=body([(T0, 100, "Flat")]))
    assert w.readings[0][:2] == (T0, T0) and w.f.last_error is None


# --- entries dated in the future ------------------------------------------------------

def _lte(path):
    return int(path.split("find[date][$lte]=")[1].split("&")[0]) if "$lte]" in path else None


def test_the_query_reaches_look_s_past_the_servers_clock_by_its_last_date():
    assert (follower.FUTURE_S, follower.LOOK_S) == (300, 600)
    w = World(box_unix=T0 + 5000)                   # the box's clock until a Date came
    w.poll(body="[]", server_unix=T0)
    w.now_ms += 90999                               # 90.999 s later by the box's ms
    w.poll(body="[]", server_unix=T0 + 91)
    w.now_ms += 60000
    w.poll(body="[]")                               # an answer without a Date: the last one's
    w.now_ms += 60000
    w.poll(body="[]")
    assert [_lte(r["path"]) for r in w.http.requests] == [
        (T0 + 5600) * 1000, (T0 + 690) * 1000, (T0 + 751) * 1000, (T0 + 811) * 1000]
    w = World()                                     # no clock at all: no bound
    w.poll(body="[]")
    assert _lte(w.http.requests[0]["path"]) is None
    assert w.f.path().endswith("count=12")          # (a token comes after the bounds)
    w = World(cfg={"token": "t-1"}, box_unix=T0)
    assert w.f.path().endswith("&find[date][$lte]=%d&token=t-1" % ((T0 + 600) * 1000)), w.f.path()


def test_entries_dated_in_the_future_neither_fill_the_answer_nor_are_taken_when_their_time_comes():
    # A Nightscout holds an hour of entries from a phone whose clock ran 70 min ahead
    # (since put right): dated 10 to 65 min ahead, 150 mg/dL, Flat. The real readings
    # keep coming every 5 min, falling from 120 to 40. Before: the twelve future ones
    # filled every answer (newest first), each was fed as "now" once within 5 min,
    # and the real readings dated before it were never fetched: an hour of 150, no
    # low, no leader_silent.
    t = {"unix": T0}
    server = Server(lambda: t["unix"])
    w = World(box_unix=T0, http=server)
    server.entries = [((T0 + 600 + 300 * k) * 1000, 150, "Flat") for k in range(12)]
    real = []
    for minute in range(75):
        t["unix"] = w.box_unix = T0 + 60 * minute
        w.now_ms = 10 ** 7 + 60000 * minute
        if minute % 5 == 0:
            real.append((t["unix"], max(40, 120 - 2 * minute)))
            server.entries.append((t["unix"] * 1000, real[-1][1], "SingleDown"))
        w.ask()
        assert w.f.last_ms is None or w.f.last_ms <= (t["unix"] + follower.FUTURE_S) * 1000, minute
    assert [(r[1], r[2]) for r in w.readings] == real, w.readings
    assert w.silent() == [False]
    # asked up to 10 min ahead, so each future entry was first seen 10 min ahead
    assert len(w.f.ahead) <= 3, w.f.ahead


def test_an_entry_first_seen_too_far_ahead_is_never_taken():
    # (a server that ignores $lte sends it too): remembered by date and glucose, so
    # the real reading of that second is taken
    w = World()
    w.poll(body=body([(T0 - 300, 100, "Flat"), (T0 + 400, 150, "Flat")]), server_unix=T0)
    assert [r[2] for r in w.readings] == [100] and "100 s" not in w.f.last_error
    w.poll(body=body([(T0, 102, "Flat"), (T0 + 400, 150, "Flat")]), server_unix=T0 + 200)
    assert [r[2] for r in w.readings] == [100, 102]     # 200 s ahead now: still not taken
    assert w.f.last_error is None                       # (reported once)
    w.poll(body=body([(T0 + 400, 150, "Flat"), (T0 + 400, 104, "Flat")]), server_unix=T0 + 450)
    assert [(r[1], r[2]) for r in w.readings][2:] == [(T0 + 400, 104)]
    assert w.f.ahead == []                              # before the last taken: forgotten
    # an entry without a glucose is remembered as such
    w.poll(body=json.dumps([{"date": (T0 + 1500) * 1000}]), server_unix=T0 + 600)
    w.poll(body=json.dumps([{"date": (T0 + 1500) * 1000}, {"date": (T0 + 1500) * 1000, "sgv": 110}]),
           server_unix=T0 + 1400)
    assert [r[2] for r in w.readings][3:] == [110]


def test_at_most_24_entries_are_remembered_the_furthest_ahead_forgotten_first():
    assert follower.AHEAD_MAX == 24
    w = World()
    w.poll(body=body([(T0 + 600 + 60 * k, 150, "Flat") for k in range(30)]), server_unix=T0)
    assert w.readings == []
    assert sorted(w.f.ahead) == [(T0 + 600 + 60 * k, 150) for k in range(24)], w.f.ahead



def test_every_entry_remembered_is_forgotten_once_dated_before_the_last_taken():
    # the server sends them no more ($gt): kept, they would crowd out newer ones (AHEAD_MAX)
    w = World()
    w.poll(body=body([(T0 + 400, 150, "Flat"), (T0 + 700, 150, "Flat"), (T0 + 1000, 150, "Flat")]),
           server_unix=T0)
    assert sorted(w.f.ahead) == [(T0 + 400, 150), (T0 + 700, 150), (T0 + 1000, 150)], w.f.ahead
    w.poll(body=body([(T0 + 900, 99, "Flat")]), server_unix=T0 + 900)
    assert w.f.ahead == [(T0 + 1000, 150)], w.f.ahead

# --- entries made before their time (Nightscout's _id) ----------------------------------
# The band rule above sees a future entry only while a poll finds it 5-10 min ahead.
# A review (helper-122) found three ways no poll did, with a phone an hour ahead beside
# the real uploader: 8 min or more without an answer (one 150 fed 270 s ahead and a real
# reading lost; after 10 min, one 150 fed), poll_s 300 (one 150 in 3 h), and the first
# poll after every boot (the 150 dated 150 s ahead fed as the newest reading): the engine
# judged 150 as current for ~5 min. Nightscout's `_id` (a Mongo ObjectId) starts with
# the second the server made the entry: one dated more than FUTURE_S after it was
# uploaded before its time, whenever it is first seen. An honest uploader a minute or
# two ahead still has every reading taken.

def oid(made_s, n=0):
    """A Mongo ObjectId made at made_s (its first 4 bytes: 8 hex digits)."""
    return "%08x%016x" % (made_s, n)


def _site(step_s=60, minutes=180, outages=(), boots=(), phone_s=3750, honest_s=0,
          history_min=0):
    """A Nightscout fed every 5 min by the real uploader (its clock honest_s ahead;
    glucose 40..139, never 150) and, unless phone_s is None, by a phone whose clock
    runs phone_s ahead (150 Flat): each entry made by the server at its upload, its
    real time. Both upload for history_min before the follower box starts; it polls
    every step_s for `minutes`; `outages` (start s, end s): no answer; `boots` (s):
    a fresh box from the poll at or after it. Returns the readings of each box (a
    list per boot), the real entries (date s, sgv) uploaded, and the last World."""
    t = {"unix": T0}
    server = Server(lambda: t["unix"])
    real = []
    up = {"next": T0 - history_min * 60}

    def upload_until(now):
        while up["next"] <= now:
            r = up["next"]
            k = (r - T0) // 300
            real.append((r + honest_s, 40 + k % 100))
            server.entries.append(((r + honest_s) * 1000, real[-1][1], "FortyFiveDown", oid(r, 2 * k + 1000)))
            if phone_s is not None:
                server.entries.append(((r + phone_s) * 1000, 150, "Flat", oid(r, 2 * k + 1001)))
            up["next"] = r + 300

    runs, w = [], None
    for s in range(0, minutes * 60, step_s):
        t["unix"] = T0 + s
        upload_until(T0 + s)
        if w is None or any(s <= b < s + step_s for b in boots):
            w = World(box_unix=T0 + s, ms=10 ** 7 + s * 1000, http=server)
            runs.append(w.readings)
        w.box_unix, w.now_ms = T0 + s, 10 ** 7 + s * 1000
        server.down = any(a <= s < b for a, b in outages)
        w.ask()
    return runs, real, w


def _dated(readings):
    """(entry date, sgv) of each reading taken (dex_s: the date it carries; unix_s is
    when the server made it, when earlier)."""
    return [(r[0], r[2]) for r in readings]


def test_a_future_entry_is_not_fed_after_an_outage_of_8_or_10_min():
    # the last poll before the outage found the phone's next entry over 10 min ahead,
    # the first after it under 5 min: fed (8 min: 270 s ahead, and "last taken" jumped
    # past a real reading, never fetched; 10 min: 150 s ahead)
    for minutes_out in (8, 10):
        runs, real, w = _site(outages=((3600, 3600 + 60 * minutes_out),))
        assert len(runs) == 1 and len(real) == 36
        assert _dated(runs[0]) == real, (minutes_out, _dated(runs[0]))   # each once, in order
        assert w.silent() == [False], minutes_out


def test_a_future_entry_is_not_fed_with_poll_s_300():
    # polls 305 s apart (poll_s 300 and the request): a phone entry comes from over
    # 10 min ahead to under 5 min between two polls
    runs, real, w = _site(step_s=305)
    assert len(real) == 36 and _dated(runs[0]) == real, _dated(runs[0])


def test_a_future_entry_is_not_fed_at_the_first_poll_after_a_boot():
    # power cut, settings save, watchdog: the first poll has seen nothing. The phone,
    # wrong for 3 h, has entries dated 150 s ahead and across the past hour (made an
    # hour before their dates): none is fed. The first answer (12 entries up to 10 min
    # ahead) holds the 5 real readings of the last 20 min: each box takes those, then
    # each new one
    runs, real, w = _site(minutes=30, boots=(600, 1200), history_min=180)
    assert len(runs) == 3
    for n, got in enumerate(runs):
        start = T0 + 600 * n
        want = [r for r in real if start - 1200 <= r[0] < start + 600]
        assert _dated(got) == want, (n, _dated(got))
        assert len(want) == 6, want


def test_an_uploader_a_minute_and_a_half_ahead_has_every_reading_taken():
    # its entries are made 90 s before their dates: taken, at once (each is the newest
    # reading when it comes), through outages, with poll_s 300 and at a boot, where the
    # newest is 90 s ahead of the server's clock
    for kw in ({"outages": ((3600, 4080), (7200, 7800))}, {"step_s": 305}):
        runs, real, w = _site(phone_s=None, honest_s=90, **kw)
        assert len(real) == 36 and _dated(runs[0]) == real, (kw, _dated(runs[0]))
        assert w.silent() == [False] and w.f.last_error is None, kw
        # aged from when the server made each entry (its real time here), not 90 s ahead
        assert [r[1] for r in runs[0]] == [d - 90 for d, _ in real], kw
    runs, real, w = _site(phone_s=None, honest_s=90, minutes=1, history_min=60)
    assert _dated(runs[0]) == real[-12:] and real[-1][0] == T0 + 90, _dated(runs[0])
    # beside the phone an hour ahead
    runs, real, w = _site(honest_s=90, outages=((3600, 4200),))
    assert _dated(runs[0]) == real, _dated(runs[0])


def test_an_only_uploader_more_than_5_min_ahead_is_reported_and_leader_silent_sounds():
    runs, real, w = _site(phone_s=None, honest_s=301, minutes=20)
    assert runs[0] == [] and len(real) == 4
    assert w.silent() == [False, True]              # after silent_min (15)
    # reported once each, the newest of an answer, and logged
    made = [m for m in w.logs if "301 s after the server made it" in m]
    assert len(made) == 4, w.logs
    runs, real, w = _site(phone_s=None, honest_s=300, minutes=20)   # exactly 5 min: taken
    assert _dated(runs[0]) == real and w.silent() == [False]


def test_an_entry_dated_more_than_future_s_after_its_object_id_is_not_taken():
    def entry(date_s, made_s, sgv=100):
        return {"date": date_s * 1000, "sgv": sgv, "direction": "Flat", "_id": oid(made_s)}

    early = []
    got = parse_entries(json.dumps([entry(T0 + 300, T0, 101), entry(T0 + 601, T0 + 300, 102),
                                    entry(T0 + 900, T0 + 900, 103), entry(T0 + 1200, T0 + 7200, 104)]),
                        early=early)
    assert [(r[0], r[2]) for r in got] == [(T0 + 300, 101), (T0 + 900, 103), (T0 + 1200, 104)], got
    assert early == [(T0 + 601, 301)]
    # its first 8 hex digits are the time, in either case; not taken without a list either
    up = oid(T0).upper()
    assert parse_entries(json.dumps([dict(entry(T0 + 301, T0), _id=up)])) == []
    assert parse_entries(json.dumps([entry(T0 + 301, T0 + 1)]))[0][2] == 100
    # skipped before the duplicate rule: a real reading 10 s after it is taken
    got = parse_entries(json.dumps([entry(T0 + 3600, T0), entry(T0 + 3610, T0 + 3610, 120)]))
    assert [(r[0], r[2]) for r in got] == [(T0 + 3610, 120)], got


def test_a_reading_uploaded_before_its_date_is_dated_no_later_than_its_upload():
    # (helper-251) A phone whose clock runs 4 min ahead (under FUTURE_S: taken) uploads
    # a reading seconds after measuring it, dated 4 min ahead; Nightscout's ObjectId
    # says when it came. Dated by its `date`, the box aged it from 4 min in the future:
    # the screen said "now" for 4 min, then 4 min less than its age, and crossed the
    # number out (and no_data counted) 4 min late: a 13-min-old value read "9 min".
    # It cannot have been measured after the server had it: dated at that, the latest.
    w = World(box_unix=T0 + 5)
    rows = [{"date": (T0 - 60) * 1000, "sgv": 100, "direction": "Flat", "_id": oid(T0 - 55)},
            {"date": (T0 + 240) * 1000, "sgv": 90, "direction": "Flat", "_id": oid(T0)}]
    w.poll(body=json.dumps(rows), server_unix=T0 + 5)
    assert [(r[1], r[2]) for r in w.readings] == [(T0 - 60, 100), (T0, 90)], w.readings
    # the next poll asks after the entry's own date: it is not taken twice
    assert w.f.last_ms == (T0 + 240) * 1000
    w.poll(body=json.dumps(rows), server_unix=T0 + 65)
    assert len(w.readings) == 2, w.readings
    # the trend from the dates the entries carry (one clock, 300 s apart), not from
    # a date and an upload time mixed
    assert w.readings[1][3] == (90 - 100) * 600 // 300, w.readings


def test_an_id_that_is_not_an_object_id_never_refuses_an_entry():
    # the leader box's LAN API makes its _id of the transmitter's and the wall clock's
    # seconds (not brief_mode), xDrip+ and Trio use UUIDs; and int() would read a sign,
    # "0x", "_" or spaces in 24 characters as a time of 0
    date = T0 + 600
    ids = ["%x%08x" % (864000, date), "%x%08x" % (0xffffffff, date), "x", "", oid(0)[:23], oid(0) + "0",
           "0x" + oid(0)[2:], "+" + oid(0)[1:], "-" + oid(0)[1:], " " + oid(0)[1:], oid(0)[:23] + " ",
           "0_" + oid(0)[2:], oid(0)[:20] + "g000", "550e8400-e29b-41d4-a716-446655440000", 0, None,
           {"$oid": oid(0)}, [oid(0)]]
    for i in ids:
        got = parse_entries(json.dumps([{"date": date * 1000, "sgv": 100, "direction": "Flat", "_id": i}]))
        assert [(r[1], r[2]) for r in got] == [(date, 100)], i
    assert follower._created(oid(0xffffffff)) == 0xffffffff and follower._created(oid(T0)) == T0


def test_an_entry_made_before_its_time_is_reported_once():
    w = World()
    rows = [{"date": (T0 - 300) * 1000, "sgv": 100, "direction": "Flat", "_id": oid(T0 - 300)},
            {"date": (T0 + 150) * 1000, "sgv": 150, "direction": "Flat", "_id": oid(T0 - 3600)},
            {"date": (T0 - 150) * 1000, "sgv": 150, "direction": "Flat", "_id": oid(T0 - 3900)}]
    w.poll(body=json.dumps(rows), server_unix=T0)
    assert [r[2] for r in w.readings] == [100]
    assert w.f.last_error == ("ValueError: an entry dated 3750 s after the server made it "
                              "(an uploader's clock ahead)"), w.f.last_error
    assert len(w.logs) == 1 and "3750 s after the server made it" in w.logs[0], w.logs
    w.poll(body=json.dumps(rows[1:]), server_unix=T0 + 60)   # the same again: not reported
    assert w.f.last_error is None and len(w.logs) == 1
    rows.append({"date": (T0 + 450) * 1000, "sgv": 150, "direction": "Flat", "_id": oid(T0 - 3299)})
    w.poll(body=json.dumps(rows[1:]), server_unix=T0 + 300)  # a newer one: reported
    assert "3749 s after" in w.f.last_error, w.f.last_error
    # one seen too far ahead of the clock (no ObjectId) is reported first, a newer one
    # made before its time at the next poll
    rows += [{"date": (T0 + 1200) * 1000, "sgv": 150, "direction": "Flat"},
             {"date": (T0 + 750) * 1000, "sgv": 150, "direction": "Flat", "_id": oid(T0 - 3000)}]
    w.poll(body=json.dumps(rows[1:]), server_unix=T0 + 400)
    assert "800 s after the server's clock" in w.f.last_error, w.f.last_error
    w.poll(body=json.dumps(rows[1:]), server_unix=T0 + 410)
    assert "3750 s after the server made it" in w.f.last_error, w.f.last_error
    assert [r[2] for r in w.readings] == [100]


# --- a leader's clock put back -------------------------------------------------------

def test_a_leader_whose_clock_ran_ahead_and_was_put_right_is_followed_on():
    # The leader's clock ran 20 min ahead for its first 10 min (a wrong first NTP
    # answer) and dated its readings and its Date header by it. Before: "last taken"
    # stayed at the last reading dated then, the readings after the correction were
    # dated before it and never asked for (minutes 10 to 25), and leader_silent
    # sounded from minute 21 to 30 while the leader was fine.
    for box_clock in (True, False):
        t = {"unix": T0}
        server = Server(lambda: t["unix"] + (1200 if t["unix"] < T0 + 600 else 0))
        w = World(box_unix=T0 if box_clock else None, http=server)
        made = []
        for minute in range(45):
            t["unix"] = T0 + 60 * minute
            if box_clock:
                w.box_unix = t["unix"]
            w.now_ms = 10 ** 7 + 60000 * minute
            if minute % 5 == 0:
                made.append(100 - minute)
                server.entries.append((server.unix() * 1000, made[-1], "Flat"))
            w.ask()
        assert [r[2] for r in w.readings] == made, (box_clock, w.readings)   # each once, in order
        assert w.silent() == [False], box_clock
        if box_clock:    # re-dated onto the box's clock while the leader's was ahead
            assert [r[1] for r in w.readings] == [T0 + 300 * k for k in range(9)], w.readings
        moved = [m for m in w.logs if "after the server's clock: asking from" in m]
        assert len(moved) == 1 and "dated 900 s after" in moved[0], w.logs


def test_last_taken_moves_back_to_the_newest_entry_taken_within_future_s_of_the_clock():
    w = World()
    w.poll(body=body([(T0, 100, "Flat"), (T0 + 300, 101, "Flat")]), server_unix=T0 + 310)
    w.poll(body=body([(T0 + 1800, 102, "Flat")]), server_unix=T0 + 1810)    # the clock ahead
    w.poll(body="[]", server_unix=T0 + 1500)       # put back, but "last taken" exactly 300 s ahead
    assert "$gt]=%d" % ((T0 + 1800) * 1000) in w.f.path() and len(w.logs) == 0
    w.poll(body="[]", server_unix=T0 + 1499)       # 301 s ahead: back to T0 + 300
    assert "$gt]=%d&" % ((T0 + 300) * 1000) in w.f.path(), w.f.path()
    assert w.logs == ["follow: the last entry taken is dated 301 s after the server's clock: "
                      "asking from 1199 s before"], w.logs
    # taken again from there, the trend from T0 + 300's; the one taken while the clock
    # was ahead not again when it comes within 300 s (the engine would judge it as new)
    w.poll(body=body([(T0 + 1800, 102, "Flat"), (T0 + 600, 99, "Flat"), (T0 + 1200, 90, "SingleDown")]),
           server_unix=T0 + 1510)
    assert [(r[1], r[2], r[3]) for r in w.readings][3:] == [(T0 + 600, 99, -4), (T0 + 1200, 90, -9)], \
        w.readings
    # the newest taken up to FUTURE_S ahead of the clock put back is kept
    w = World()
    w.poll(body=body([(T0, 100, "Flat"), (T0 + 300, 101, "Flat")]), server_unix=T0 + 100)
    w.poll(body=body([(T0 + 2400, 102, "Flat")]), server_unix=T0 + 2400)
    w.poll(body="[]", server_unix=T0)
    assert "$gt]=%d&" % ((T0 + 300) * 1000) in w.f.path(), w.f.path()
    # by the box's clock when the server sends no Date
    w = World(box_unix=T0 + 1810)
    w.poll(body=body([(T0 + 300, 101, "Flat"), (T0 + 1800, 102, "Flat")]))
    w.box_unix = T0 + 1000
    w.poll(body="[]")
    assert "$gt]=%d&" % ((T0 + 300) * 1000) in w.f.path(), w.f.path()
    assert "box's clock" in w.logs[-1], w.logs


def test_last_taken_moves_an_hour_back_when_the_last_12_taken_are_all_too_far_ahead():
    assert (follower.BACK_S, follower.COUNT) == (3600, 12)
    for ahead, back_to in ((11, T0), (12, T0 + 3000 - 3600)):
        w = World()
        w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 10)
        w.poll(body=body([(T0 + 6000 + 60 * k, 100, "Flat") for k in range(ahead)]),
               server_unix=T0 + 6000 + 60 * ahead)
        assert len(w.readings) == 1 + ahead
        w.poll(body="[]", server_unix=T0 + 3000)
        assert "$gt]=%d&" % (back_to * 1000) in w.f.path(), (ahead, w.f.path())


# --- silence ---------------------------------------------------------------------

def test_defaults_silent_min_15_and_poll_s_60():
    w = World()
    assert w.f.poll_s == 60
    w.now_ms += 15 * 60000
    w.f.check_silent()
    assert w.silent() == [False]
    w.now_ms += 1
    w.f.check_silent()
    assert w.silent() == [False, True]


def test_a_poll_judges_the_silence():
    w = World(cfg={"silent_min": 5})
    w.now_ms += 5 * 60000 + 1
    w.poll(error=OSError(113))
    assert w.silent() == [True]


def test_after_a_reset_the_silence_counts_from_the_newest_reading_the_box_kept():
    # a follower reset while its leader had been silent 29 min (the newest reading it kept
    # in RTC memory, restored with the sounding leader_silent): the first poll, failed, said
    # "not silent" (the grace of a start) and cleared the restored alarm; the box was quiet
    # silent_min with the leader still away (chaos seed 5012)
    w = World(cfg={"silent_min": 6}, since_fresh_s=29 * 60)
    w.poll(error=OSError(111))
    assert w.silent() == [True]
    # a leader that answers at once clears it at that poll
    w = World(cfg={"silent_min": 6}, since_fresh_s=29 * 60, box_unix=T0 + 60)
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 60)
    assert w.silent() == [False]
    # a reading kept 2 min old (a leader box made a follower): silent 4 min on, not at once
    w = World(cfg={"silent_min": 6}, since_fresh_s=120)
    w.poll(error=OSError(111))
    w.now_ms += 4 * 60000
    w.f.check_silent()
    assert w.silent() == [False], w.silent()
    w.now_ms += 1
    w.f.check_silent()
    assert w.silent() == [False, True]
    # none kept (a first boot, a power cut): the grace of a start, silent_min
    w = World(cfg={"silent_min": 6})
    w.poll(error=OSError(111))
    assert w.silent() == [False]


def test_only_an_entry_younger_than_silent_min_is_fresh():
    for age, fresh in ((3600, False), (3599, True), (3601, False)):
        w = World(cfg={"silent_min": 60})
        w.now_ms += 3600 * 1000 + 1
        w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + age)
        assert len(w.readings) == 1
        assert w.silent() == [not fresh], (age, w.silent())


def test_freshness_by_the_boxs_clock_without_a_date_header():
    w = World(cfg={"silent_min": 15}, box_unix=T0 + 3600)
    w.now_ms += 15 * 60000 + 1
    w.poll(body=body([(T0, 100, "Flat")]))          # an hour old by the box's clock
    assert w.silent() == [True]
    w.poll(body=body([(T0 + 3300, 100, "Flat")]))   # five minutes old
    assert w.silent() == [True, False]


def _slept(w, rounds):
    """The pauses of w's follower's run() over rounds polls (asyncio and http faked)."""
    real_asyncio, real_http = follower.asyncio, follower.http
    follower.asyncio, follower.http = FakeAsyncio, w.http
    try:
        co = w.f.run()
        return [co.send(None).s for _ in range(rounds)]
    finally:
        follower.asyncio, follower.http = real_asyncio, real_http


def test_run_polls_then_sleeps_poll_s():
    for cfg, want in (({}, 60), ({"poll_s": 20}, 20)):
        w = World(cfg=cfg)
        w.http.answers = [(200, None, "[]")] * 3
        slept = _slept(w, 3)
        assert slept == [want] * 3 and w.f.polls == 3 and len(w.http.requests) == 3


# --- configuration -----------------------------------------------------------------

def test_https_verifies_the_server_with_the_ca_file():
    path = scratch.fresh(WORK, "ca.pem")
    with open(path, "wb") as f:
        f.write(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    w = World(cfg={"url": "https://ns.example.org", "ca_file": path})
    assert w.f.ssl_ctx == ("context", b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    w.poll(body="[]", server_unix=T0)
    assert w.http.requests[0]["ssl_ctx"] == w.f.ssl_ctx and w.http.requests[0]["port"] == 443
    # the box has no clock here: the host's plain HTTP was asked for a Date first
    assert w.http.plain == [("ns.example.org", None)]
    assert w.f.status()["url"] == "https://ns.example.org:443"


def test_an_unreadable_ca_file_names_the_key():
    try:
        World(cfg={"url": "https://ns.example.org", "ca_file": WORK + "/no-such-ca.pem"})
    except FollowError as e:
        assert str(e).startswith("follow.ca_file") and "no-such-ca.pem" in str(e), e
    else:
        raise AssertionError("a missing CA file was accepted")


def test_the_clock_helpers_read_the_firmware_clock():
    class Clock:
        valid = True

        def unix(self):
            return T0

        def wall_valid(self):
            return self.valid

        def ms(self):
            return 1234

    real = sys.modules.get("clock")
    c = Clock()
    sys.modules["clock"] = c
    try:
        assert follower._wall() == T0 and follower._ms() == 1234
        c.valid = False
        assert follower._wall() is None
    finally:
        if real is None:
            del sys.modules["clock"]
        else:
            sys.modules["clock"] = real


def test_an_answer_too_large_for_the_body_bound_asks_for_fewer_entries():
    # A Nightscout fed by AAPS (API v3 fields) or an uploader that adds raw values
    # sends entries of 500 B or more: 12 of them did not fit MAX_BODY, the cut body
    # failed to parse at every poll, and the follower never took a reading (only
    # leader_silent). The next poll asks for half as many, down to one.
    pad = "x" * 600

    def big(rows):
        return json.dumps([{"date": t * 1000, "sgv": s, "direction": "Flat", "pad": pad}
                           for t, s in sorted(rows, reverse=True)])

    def count(req):
        return int(req["path"].split("count=")[1].split("&")[0])

    w = World()
    rows = [(T0 - 300 * k, 100 + k) for k in range(12)]
    w.poll(body=big(rows)[:follower.MAX_BODY], server_unix=T0 + 60)   # cut at the bound
    assert w.readings == [] and w.f.last_error is not None
    assert count(w.http.requests[0]) == 12 and count(w.http.requests[-1]) == 12
    w.poll(body=big(rows[:6]), server_unix=T0 + 60)
    assert count(w.http.requests[1]) == 6
    assert [r[2] for r in w.readings] == [105, 104, 103, 102, 101, 100]
    # later polls keep the smaller count (new entries only, one or two at a time)
    w.poll(body="[]", server_unix=T0 + 120)
    assert count(w.http.requests[2]) == 6
    # never below one entry
    for _ in range(5):
        w.poll(body=("[" + "{" * follower.MAX_BODY)[:follower.MAX_BODY], server_unix=T0 + 180)
    assert count(w.http.requests[-1]) == 1
    # the count grows back while twice as many entries of the size seen would still fit
    # well within the bound: entries of ~680 B up to 8 (12 would not), of ~60 B up to 12
    per = len(big([(T0, 100)]))
    assert 8 * per < follower.MAX_BODY * 9 // 10 < 12 * per
    for k in range(1, 6):
        w.poll(body=big([(T0 + 300 * k, 100 + k)]), server_unix=T0 + 300 * k + 60)
    assert [count(r) for r in w.http.requests[-5:]] == [1, 2, 4, 8, 8], w.http.requests[-5:]
    assert [r[2] for r in w.readings][-5:] == [101, 102, 103, 104, 105]
    for k in range(6, 8):
        w.poll(body=body([(T0 + 300 * k, 100 + k, "Flat")]), server_unix=T0 + 300 * k + 60)
    assert [count(r) for r in w.http.requests[-2:]] == [8, 12], w.http.requests[-2:]
    # a short body that does not parse is not a size problem: the count stays
    w2 = World()
    w2.poll(body="[{\"date\": 1", server_unix=T0 + 60)
    w2.poll(body="[]", server_unix=T0 + 60)
    assert count(w2.http.requests[1]) == 12


def test_an_error_page_at_the_body_bound_does_not_shrink_the_count():
    w = World()
    w.poll(status=500, body="x" * follower.MAX_BODY, server_unix=T0 + 60)
    w.poll(body="[]", server_unix=T0 + 60)
    assert "count=12&" in w.http.requests[1]["path"] or w.http.requests[1]["path"].endswith("count=12")


# --- answers from a broken or hostile leader (review29, helper-129) -------------

def test_an_answer_of_more_lists_and_objects_than_entries_hold_is_refused_unread():
    # 6 KB of "[{},{},..." parsed into 74 KB of heap on the 32-bit port, "[[[[..." 230 KB
    # (a MemoryError out of poll: the supervisor's `device` memory alarm, not leader_silent)
    for bomb in ("[" + ",".join(["{}"] * 2000) + "]", "[" * 6144, "[" + ",".join(["[]"] * 2000) + "]"):
        try:
            parse_entries(bomb)
        except ValueError as e:
            assert "more lists and objects" in str(e), e
        else:
            raise AssertionError("a bracket bomb was parsed")
    # a full answer of COUNT real entries, with a nested field each, is read
    rows = [{"date": (T0 + 300 * i) * 1000, "sgv": 100 + i, "direction": "Flat", "_id": "x%d" % i,
             "device": "xDrip-DexcomG6", "extra": {"a": [1, 2]}} for i in range(follower.COUNT)]
    assert len(parse_entries(json.dumps(rows))) == follower.COUNT


def test_the_bracket_bound_is_8_per_entry_of_a_full_answer_and_8_more():
    # 104 lists and objects (12 entries x 8, and 8) are read, one more is refused
    def answer(n):    # the list, one entry, and n - 2 empty objects in it
        return "[" + json.dumps({"date": T0 * 1000, "sgv": 120}) + ",{}" * (n - 2) + "]"
    assert follower.MAX_BRACKETS == 104
    parse_entries(answer(104))
    try:
        parse_entries(answer(105))
    except ValueError as e:
        assert "more lists and objects" in str(e)
    else:
        raise AssertionError("105 lists and objects were parsed")


class Tight:
    """follower's json on a heap too full to parse an answer."""

    def loads(self, s):
        raise MemoryError("memory allocation failed, allocating 4096 bytes")


def test_an_answer_that_does_not_fit_in_memory_is_a_bad_answer_not_an_escape():
    real = follower.json
    follower.json = Tight()
    try:
        w = World()
        w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0)   # poll must not raise
    finally:
        follower.json = real
    assert w.readings == [] and "does not fit in memory" in w.f.last_error, w.f.last_error
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0)      # the next answer is read
    assert [r[2] for r in w.readings] == [100] and w.f.last_error is None


def test_an_entry_dated_before_2020_is_never_taken():
    # a negative date was taken at the first poll; the LAN API's history stored it as
    # year 2106 (struct '<I' wraps on MicroPython) and served it as current until a reboot
    for date in (-300000, 0, 1000, 1577836799999):             # to 2019-12-31 23:59:59.999
        assert parse_entries(json.dumps([{"date": date, "sgv": 250}])) == [], date
    assert len(parse_entries(json.dumps([{"date": 1577836800000, "sgv": 250}]))) == 1


# --- follow.sound "unanswered": the leader box's alarms (alarms.gate) ----------------------

LOW_SOUNDING = json.dumps({"alarms": [{"type": "low", "priority": "medium", "status": "sounding",
                                       "level": 1, "reason": "threshold"}], "age_s": 4})


def test_the_leaders_alarms_are_fetched_after_its_entries_and_given_before_them():
    # given before the readings fetched with them: main applies the report as it judges
    # those readings (a report that came after them played their onset for a moment)
    w = World({"api_secret": "s" * 12, "token": "tok"}, alarms=True)
    w.http.answers = [(200, None, body([(T0, 80, "Flat")])), (200, None, LOW_SOUNDING)]
    w.ask()
    paths = [r["path"] for r in w.http.requests]
    assert paths[0].startswith("/api/v1/entries/sgv.json?")
    assert paths[1] == "/api/v1/alarms.json?token=tok"
    assert w.http.requests[1]["headers"] == w.http.requests[0]["headers"]   # the same api-secret
    assert w.http.requests[1]["timeout_s"] == follower.ALARMS_TIMEOUT_S == 5   # readings wait on it
    assert [g[0] for g in w.given] == ["alarms", "reading"], w.given
    assert w.given[0][1] == {"alarms": {"low": ("sounding", 1, None)}, "age_s": 4, "muted": False}


def test_without_the_unanswered_mode_the_alarms_are_not_asked_for():
    w = World()
    w.poll(body=body([(T0, 80, "Flat")]))
    assert len(w.http.requests) == 1 and len(w.readings) == 1


def test_a_leader_without_alarms_gives_none_and_says_so_once():
    # a Nightscout (404), an older box, a box whose engine failed (503), a garbled answer:
    # None, and the gate lets every alarm sound on the follower
    w = World(alarms=True)
    for answer in [(404, None, "Not found"), (404, None, "Not found"), (503, None, "{}"),
                   (200, None, "{\"alarms\": []}"), (200, None, "[1, 2")]:
        w.http.answers = [(200, None, "[]"), answer]
        w.ask()
    assert [g for g in w.given] == [("alarms", None)] * 5, w.given
    told = [line for line in w.logs if "the leader's alarms" in line]
    assert len(told) == 4 and "HTTP 404" in told[0] and "HTTP 503" in told[1], told
    assert "no age_s" in told[2] and "every alarm sounds here" in told[0], told
    # and the status page says why (its "Sounds" row): the last answer's, cleared by a good one
    assert "Error" in (w.f.status()["alarms_error"] or ""), w.f.status()
    w.http.answers = [(200, None, "[]"), (200, None, "{\"alarms\": [], \"age_s\": 1}")]
    w.ask()
    assert w.f.status()["alarms_error"] is None and w.given[-1][1] is not None, w.given


def test_a_request_that_did_not_reach_the_leader_leaves_the_last_report_standing():
    # a lost packet must not wake a second person at once: the last report grows stale
    # (alarms.gate.fresh); nor does a poll whose entries failed ask for alarms
    w = World(alarms=True)
    w.http.answers = [(200, None, "[]"), OSError(113)]
    w.ask()
    assert w.given == [] and any("OSError" in line for line in w.logs), w.logs
    # and its log line says so (it said "every alarm sounds here", which came only 3 polls on)
    told = [line for line in w.logs if "the leader's alarms" in line]
    assert len(told) == 1 and "its last report stands" in told[0], told
    assert "every alarm sounds here" not in told[0], told
    w.poll(error=OSError(113))
    assert w.given == [] and len(w.http.requests) == 3


def test_a_leader_short_of_memory_is_asked_again_its_last_report_standing():
    # its server's 503 (app.webserver: a request that ran out of memory) is no word that
    # it has no alarms: every alarm held silently here on its word sounded at once
    w = held(poll_s=300)
    w.http.answers = [(200, None, "[]"), (503, None, "Short of memory: try again")]
    w.ask()
    assert [g[0] for g in w.given] == ["alarms"], w.given      # the last report stands
    assert w.f.next_s == follower.RETRY_S, w.f.next_s          # and it is asked again soon
    told = [line for line in w.logs if "the leader's alarms" in line]
    assert len(told) == 1 and "short of memory" in told[0], told
    assert "its last report stands" in told[0] and "every alarm sounds here" not in told[0], told
    w.http.answers = list(REACHED)
    w.ask()
    assert [g[0] for g in w.given] == ["alarms", "alarms"] and w.f.alarms_error is None


REACHED = [(200, None, "[]"), (200, None, LOW_SOUNDING)]   # a poll that brings the leader's word


def held(poll_s=300, holding=True):
    """A gated follower (poll_s) whose box plays an alarm silently on the leader's word
    (main.App.quiet() not empty: `holding`), after one poll that reached the leader."""
    w = World({"poll_s": poll_s}, alarms=True, holding=lambda: holding)
    w.http.answers = list(REACHED)
    w.ask()
    assert w.f.next_s == poll_s and [g[0] for g in w.given] == ["alarms"], w.given
    return w


def test_a_poll_without_the_leaders_word_while_an_alarm_is_held_on_it_is_asked_again_soon():
    # helper-248: a leader off just after reporting the urgent low it sounds left it
    # silent here until the report was stale, 2 x poll_s + 30 s (10.5 min with poll_s
    # 300). A poll that brings no report while this box plays an alarm silently on the
    # leader's word is asked again RETRY_S later, and one lost request wakes nobody
    assert follower.RETRY_S == 15 and follower.RETRIES == 2
    w = held()
    w.poll(error=OSError(113))
    assert w.f.next_s == 15 and w.given[-1][1] is not None, w.given
    w.http.answers = list(REACHED)
    w.ask()
    assert w.f.next_s == 300 and [g[1] is None for g in w.given] == [False, False], w.given
    # and two lost in a row (the poll and its first retry) neither
    w.poll(error=OSError(113))
    w.poll(error=OSError(113))
    assert w.f.next_s == 15 and None not in [g[1] for g in w.given], w.given
    w.http.answers = list(REACHED)
    w.ask()
    assert w.f.next_s == 300 and None not in [g[1] for g in w.given], w.given


def test_three_polls_in_a_row_without_the_leaders_word_while_an_alarm_is_held_make_it_not_known():
    # the poll and its two retries, whatever kept the word away (no answer, the alarms'
    # request lost, an error page for the entries): the report is given up at once (None:
    # alarms.gate sounds every alarm here), not 2 x poll_s + 30 s after it came
    w = held()
    w.poll(error=OSError(113))
    assert w.f.next_s == 15
    w.http.answers = [(200, None, "[]"), OSError(110)]
    w.ask()
    assert w.f.next_s == 15 and w.given[-1][1] is not None, w.given
    w.poll(status=500, body="")
    assert w.f.next_s == 300 and w.given[-1] == ("alarms", None), w.given
    told = [line for line in w.logs if "no word from the leader" in line]
    assert told and "3 polls in a row" in told[0] and "every alarm sounds here" in told[0], w.logs
    assert "3 polls in a row" in w.f.status()["alarms_error"], w.f.status()
    # then back to poll_s, given up once, until the leader answers again
    for _ in range(3):
        w.poll(error=OSError(113))
        assert w.f.next_s == 300
    assert [g[1] is None for g in w.given] == [False, True], w.given
    w.http.answers = list(REACHED)
    w.ask()
    assert w.f.next_s == 300 and w.given[-1][1] is not None and w.f.status()["alarms_error"] is None
    w.poll(error=OSError(113))
    assert w.f.next_s == 15   # a new count


def test_without_an_alarm_held_on_the_leaders_word_a_lost_poll_waits_poll_s():
    # nothing would sound sooner here: the Wi-Fi's load stays one poll per poll_s, and the
    # report grows stale as before (alarms.gate.fresh); nor does a follower that sounds all
    w = held(holding=False)
    for _ in range(4):
        w.poll(error=OSError(113))
        assert w.f.next_s == 300
    assert None not in [g[1] for g in w.given], w.given
    w = World({"poll_s": 300})
    w.poll(error=OSError(113))
    assert w.f.next_s == 300


def test_with_poll_s_under_retry_s_the_retries_come_at_poll_s():
    w = held(poll_s=10)
    w.poll(error=OSError(113))
    assert w.f.next_s == 10
    w.poll(error=OSError(113))
    w.poll(error=OSError(113))
    assert w.f.next_s == 10 and w.given[-1] == ("alarms", None), w.given


def test_run_sleeps_retry_s_after_a_poll_without_the_leaders_word_while_an_alarm_is_held():
    w = World({"poll_s": 60}, alarms=True, holding=lambda: True)
    w.http.answers = REACHED + [OSError(113)] * 3 + REACHED
    slept = _slept(w, 5)
    assert slept == [60, 15, 15, 60, 60] and [g[1] is None for g in w.given] == [False, True, False], \
        (slept, w.given)


def test_a_leader_heard_by_its_alarms_without_readings_is_not_silent():
    # helper-248 (and helper-219): a leader box whose sensor warms up (2 h) or whose
    # transmitter is lost gives no reading; it sounds that outage itself, and the gate
    # wakes this box when nobody answers it there. Its own leader_silent sounded here
    # too, after every snooze, through a warm-up the patient had answered
    def night(report, alarms=True, minutes=40):
        w = World({"silent_min": 15}, alarms=alarms)
        for _ in range(minutes):
            w.http.answers = [(200, None, "[]"), (200, None, report)]
            w.ask()
            w.now_ms += 60000
        return w
    assert night(json.dumps({"alarms": [], "age_s": 4})).silent() == [False]
    assert night(LOW_SOUNDING).silent() == [False]
    # not heard: an alarm task that has not run for 30 s (stuck), an answer without
    # alarms, a follower not in that mode (it asks for none): silent after 15 min
    for w in (night(json.dumps({"alarms": [], "age_s": 31})), night("[1, 2"),
              night(LOW_SOUNDING, alarms=False)):
        assert w.silent() == [False, True], w.conds
    # the leader's reports stop (its alarm task stuck): silent 15 min after the last one
    w = night(LOW_SOUNDING, minutes=30)
    for m in range(16):
        w.http.answers = [(200, None, "[]"), (200, None, json.dumps({"alarms": [], "age_s": 45}))]
        w.ask()
        assert w.silent() == [False] + [True] * (m == 15), (m, w.silent())
        w.now_ms += 60000


def test_a_leaders_largest_report_fits_the_bounds():
    # every type active, each with a long reason and a month's for_s: within the body
    # and bracket bounds the follower reads (cut, it would sound every alarm itself)
    from alarms.kinds import TYPES
    doc = {"alarms": [{"type": t, "priority": "medium", "status": "acknowledged", "level": 3,
                       "reason": "nightscout_queue_full", "for_s": 31 * 86400} for t in TYPES],
           "age_s": 86400, "muted": False, "time_disputed_s": -86400 * 365,
           "cause": ["sensor", "warmup"]}   # (helper-374: the leader's no_data cause)
    text = json.dumps(doc)
    assert len(text) <= follower.ALARMS_BODY - 400, len(text)
    assert len(follower.parse_alarms(text)["alarms"]) == len(TYPES)


def test_a_heard_leaders_readings_refused_here_keep_saying_why_until_one_is_taken():
    # helper-250: a leader heard by its alarm reports is never leader_silent (session 55),
    # so a status page whose readings stop coming because this box refuses them (dated
    # more than 5 min ahead of the leader's clock) has only the follower's words to say
    # why. They were said at the poll that first saw each new entry, then cleared at the
    # next: four polls in five the page said "newest reading 30 min ago" and nothing more
    t = [T0]
    srv = Server(lambda: t[0])
    asked = srv.request

    async def request(method, host, port, path, headers, body=None, ssl_ctx=None, timeout_s=20,
                      max_body=2048):
        if "alarms.json" in path:
            return 200, http_date(t[0]), json.dumps({"alarms": [], "age_s": 3})
        return await asked(method, host, port, path, headers, body, ssl_ctx, timeout_s, max_body)
    srv.request = request
    w = World({"silent_min": 15}, http=srv, alarms=True)
    said = []
    for m in range(45):
        if m % 5 == 0:   # a reading each 5 min, dated 15 min ahead from minute 10 to 35
            srv.entries.append(((t[0] + (900 if 10 <= m < 35 else 0)) * 1000, 100 + m, "Flat"))
        w.ask()
        said.append(w.f.status()["last_error"])
        t[0] += 60
        w.now_ms += 60000
    assert w.silent() == [False], w.conds                      # heard all along
    assert said[:15] == [None] * 15, said
    # (the first dated ahead is asked for at 10 min before the leader's clock: LOOK_S)
    assert all(e and "after the server's clock" in e for e in said[15:35]), said
    # right again at 35 min: taken (that poll still refuses the last one dated ahead)
    assert said[36:] == [None] * 9 and [r[2] for r in w.readings] == [100, 105, 135, 140], said


def test_the_leaders_alarms_are_read_strictly():
    def read(doc):
        try:
            return follower.parse_alarms(json.dumps(doc))
        except ValueError as e:
            return str(e)
    ok = {"alarms": [{"type": "urgent_low", "status": "snoozed", "level": 0},
                     {"type": "link", "status": "acknowledged", "level": 3}], "age_s": 0}
    assert read(ok) == {"alarms": {"urgent_low": ("snoozed", 0, None), "link": ("acknowledged", 3, None)},
                        "age_s": 0, "muted": False}
    # for_s: how long it has lasted there (a box of session 55 on); absent: not known (None)
    for lasted in (1500, 0):   # (0: it began at the leader's last round)
        ok["alarms"][0]["for_s"] = lasted
        assert read(ok)["alarms"]["urgent_low"] == ("snoozed", 0, lasted)
    for lasted in (-1, "1500", True, [], {}):
        ok["alarms"][0]["for_s"] = lasted
        assert read(ok) == "alarms: for_s is not a number of seconds", lasted
    # "muted": the leader's sound failed; absent (a box of session 36) it is not known to be
    assert read({"alarms": [], "age_s": 12}) == {"alarms": {}, "age_s": 12, "muted": False}
    assert read({"alarms": [], "age_s": 12, "muted": True}) == {"alarms": {}, "age_s": 12, "muted": True}
    for muted in (1, 0, "true", None, []):
        assert read({"alarms": [], "age_s": 0, "muted": muted}) == "alarms: muted is not true or false"
    for bad in ([], {"alarms": []}, {"alarms": [], "age_s": None}, {"alarms": [], "age_s": -1},
                {"alarms": {}, "age_s": 0}, {"alarms": [1], "age_s": 0},
                {"alarms": [{"type": "low", "status": "loud", "level": 0}], "age_s": 0},
                {"alarms": [{"type": "low", "status": "sounding", "level": "3"}], "age_s": 0},
                {"alarms": [{"type": 5, "status": "sounding", "level": 3}], "age_s": 0},
                {"alarms": [{"status": "sounding", "level": 3}], "age_s": 0}):
        assert read(bad).startswith("alarms: "), (bad, read(bad))
    assert read({"alarms": [[]] * 40, "age_s": 0}).startswith("alarms: more lists")


def test_the_leaders_report_says_why_no_glucose_comes_there():
    # helper-372: its sensor alarm's reason (a session stopped by a transmitter reset, a
    # warm-up), else its link alarm's (its transmitter not heard), as its screen tells its
    # no_data: this box's no_data says it too (main.App.shown), not NO DATA alone
    def why(*alarms):
        doc = {"alarms": [{"type": t, "status": "sounding", "level": 0, "reason": r} for t, r in alarms],
               "age_s": 1}
        return follower.parse_alarms(json.dumps(doc)).get("why")
    assert why(("no_data", ""), ("sensor", "stopped")) == ("sensor", "stopped")
    assert why(("link", "no_transmitter"), ("no_data", "")) == ("link", "no_transmitter")
    for both in ((("link", "no_transmitter"), ("sensor", "warmup")),
                 (("sensor", "warmup"), ("link", "no_transmitter"))):
        assert why(*both) == ("sensor", "warmup"), both   # the sensor's word first, as the engine's
    # no word on the glucose: a notice, a chain's leader silent (its own leader's), none at all
    assert why(("sensor", "ending"), ("link", "leader_silent"), ("no_data", "")) is None
    assert why(("sensor", None), ("link", ["no_transmitter"])) is None
    assert why() is None


def test_the_leaders_own_cause_says_why_whatever_names_its_alarms_and_a_bad_one_is_none():
    # helper-374: a leader of session 69 gives "cause", what its screen's no_data says (the
    # engine takes it from any of its sensor's, else link's, reasons; each alarm's "reason"
    # names its newest problem): a sensor alarm named "attention" over "stopped" said
    # nothing here. A cause of another shape is no cause, never a refused report (words only)
    def read(cause, *alarms):
        doc = {"alarms": [{"type": t, "status": "sounding", "level": 0, "reason": r} for t, r in alarms],
               "age_s": 1, "cause": cause}
        return follower.parse_alarms(json.dumps(doc))
    attention = ("sensor", "attention")
    assert read(["sensor", "stopped"], attention).get("why") == ("sensor", "stopped")
    assert read(["link", "no_transmitter"], ("link", "slot_conflict")).get("why") == ("link", "no_transmitter")
    # the leader's word wins over its alarms' names: none there, none here
    assert "why" not in read(None, ("sensor", "stopped"))
    for bad in ("stopped", ["sensor"], ["sensor", "stopped", 1], ["sensor", "attention"], ["link", "stopped"],
                ["sensor", ["stopped"]], [{"a": 1}, None], ["link", "leader_silent"], ["link", "leader_auth"],
                {"sensor": "stopped"}, 7, ["SENSOR", "stopped"], ["link", "x" * 1500]):
        report = read(bad, ("sensor", "stopped"), ("low", "threshold"))
        assert "why" not in report and set(report["alarms"]) == {"sensor", "low"}, bad
    # a leader before session 69 (no "cause"): its alarms' names, as before
    assert follower.parse_alarms(json.dumps({"alarms": [{"type": "sensor", "status": "sounding", "level": 0,
                                                         "reason": "stopped"}], "age_s": 1}))["why"] == (
        "sensor", "stopped")


def test_the_leaders_report_keeps_its_alarms_about_its_own_leader_and_a_bad_one_is_none():
    # helper-382: a chain of boxes (A leads B, B leads C): B's link alarm named leader_unanswered
    # (A's alarm nobody answers) is titled "LEADER BOX" on B's screen; C, which kept no reason,
    # titled it "TRANSMITTER". The leader's alarms named by a leader_ reason are kept ("chain");
    # any other value is none, never a refused report (words only: the sound is the alarms')
    def read(*alarms):
        doc = {"alarms": [{"type": t, "status": "sounding", "level": 3, "reason": r} for t, r in alarms],
               "age_s": 1}
        return follower.parse_alarms(json.dumps(doc))
    report = read(("link", "leader_unanswered"), ("device", "flash"), ("low", ""))
    assert report["chain"] == {"link": "leader_unanswered"}, report
    for bad in (None, 7, ["leader_unanswered"], {"a": "leader_silent"}, True, "leader", "no_transmitter",
                "LEADER_SILENT", " leader_silent"):
        report = read(("link", bad), ("device", "flash"))
        assert "chain" not in report and set(report["alarms"]) == {"link", "device"}, bad
    doc = {"alarms": [{"type": "link", "status": "sounding", "level": 3}], "age_s": 1}   # none given
    assert "chain" not in follower.parse_alarms(json.dumps(doc))


def test_the_status_pages_newest_reading_age_is_told_on_the_boxs_clock_as_the_alarms_age_it():
    # the readings are re-dated onto the box's clock when the leader's is more than a minute
    # apart (the alarms age them so): the status page's "Follows ... newest reading" must age
    # the newest one the same way, not the box's clock against the leader's date (a box 30 min
    # behind said "0 s ago" of a reading 25 min old, one 30 min ahead "32 min ago" of a fresh one)
    from setup import page
    cfg = {"role": "follower", "follow": {"url": "http://10.0.0.2:17580"}}
    for apart in (-1800, 1800, 0):
        for age in (10, 25 * 60):
            w = World(box_unix=T0 + age + apart)
            w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + age)
            text = page._follows(cfg, {"follow": w.f.status(), "now_unix": w.box_unix})
            want = "%d s ago" % age if age < 90 else "%d min ago" % (age // 60)
            assert "newest reading " + want in text, (apart, age, text)


# --- survivors of `tools/mutation.py --package forward --only follower` (session 63) ---

def test_two_uploaders_entries_are_taken_in_the_order_of_their_dates():
    # a reading the box uploaded 5 min late (a backfill) and the next one from a phone
    # 200 s ahead, which Nightscout made before the first's date: fed by when they were
    # made, the later one came first and the earlier was dropped as a duplicate
    rows = [{"date": (T0 - 120) * 1000, "sgv": 100, "direction": "Flat", "_id": oid(T0 + 180)},
            {"date": T0 * 1000, "sgv": 110, "direction": "Flat", "_id": oid(T0 - 200)}]
    got = parse_entries(json.dumps(rows))
    assert [(r[0], r[1], r[2]) for r in got] == [(T0 - 120, T0 - 120, 100), (T0, T0 - 200, 110)], got


def test_the_trend_across_polls_is_from_the_entries_dates_not_their_uploads():
    # a phone 4 min ahead: each entry made 240 s before its date; the trend from the last
    # poll's entry to this one's is over their dates (300 s), not from its upload (540 s)
    w = World()
    w.poll(body=json.dumps([{"date": (T0 + 240) * 1000, "sgv": 100, "direction": "Flat", "_id": oid(T0)}]),
           server_unix=T0 + 5)
    w.poll(body=json.dumps([{"date": (T0 + 540) * 1000, "sgv": 130, "direction": "Flat",
                             "_id": oid(T0 + 300)}]), server_unix=T0 + 305)
    assert [r[2] for r in w.readings] == [100, 130] and w.readings[1][3] == 30 * 600 // 300, w.readings


def test_a_reading_uploaded_before_its_date_is_re_dated_by_its_upload_onto_the_boxs_clock():
    # a leader's clock 30 min behind the box's (readings re-dated) and a phone 4 min ahead:
    # the reading is measured by the time the server made it, moved onto the box's clock
    w = World(box_unix=T0 + 1805)
    w.poll(body=json.dumps([{"date": (T0 + 240) * 1000, "sgv": 90, "direction": "Flat", "_id": oid(T0)}]),
           server_unix=T0 + 5)
    assert [r[:3] for r in w.readings] == [(T0 + 2040, T0 + 1800, 90)], w.readings


def test_a_failed_request_is_not_kept_as_why_entries_are_refused():
    # the status page's last error: a poll that reached the leader and refused nothing
    # clears what a failed one said (kept as a refusal, the page said "host unreachable"
    # while the leader answered)
    w = World()
    w.poll(error=OSError(113))
    assert "host unreachable" in w.f.status()["last_error"], w.f.status()
    w.poll(body="[]", server_unix=T0)
    assert w.f.status()["last_error"] is None, w.f.status()


def test_a_poll_without_a_date_header_keeps_the_last_skew():
    # the newest reading was re-dated onto the box's clock (30 min ahead of the leader's):
    # an answer without a Date says nothing of the clocks, so the page ages it the same
    w = World(box_unix=T0 + 1800)
    w.poll(body=body([(T0 - 10, 100, "Flat")]), server_unix=T0)
    assert w.f.status()["last_entry_unix"] == T0 + 1790
    w.poll(body="[]")
    assert w.f.status()["last_entry_unix"] == T0 + 1790, w.f.status()


def test_answers_cut_at_the_bound_ask_for_one_entry_from_two():
    def count(req):
        return int(req["path"].split("count=")[1].split("&")[0])
    cut = ("[" + "{" * follower.MAX_BODY)[:follower.MAX_BODY]
    w = World()
    for _ in range(3):                                    # 12 -> 6 -> 3 -> 1
        w.poll(body=cut, server_unix=T0)
    assert "asking for 1 entries" in w.f.last_error, w.f.last_error
    w.poll(body=body([(T0, 100, "Flat")]), server_unix=T0 + 60)   # grows back to 2
    w.poll(body=cut, server_unix=T0 + 120)
    assert count(w.http.requests[-1]) == 2 and "asking for 1 entries" in w.f.last_error, w.f.last_error
    w.poll(body="[]", server_unix=T0 + 180)
    assert count(w.http.requests[-1]) == 1


def test_over_https_the_alarms_request_waits_for_the_pause_too():
    # its own TLS handshake holds the loop: not in an alarm's burst; over plain HTTP no
    # pause between the two requests; without a pause hook the poll goes on
    path = scratch.fresh(WORK, "ca.pem")
    with open(path, "wb") as f:
        f.write(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    for url, paused in (("https://leader.example.org:17580", [1]), ("http://10.0.0.2:17580", [])):
        at = []

        async def pause():
            at.append(len(w.http.requests))
        w = World({"url": url, "ca_file": path}, box_unix=T0, alarms=True, pause=pause)
        w.http.answers = [(200, None, "[]"), (200, None, LOW_SOUNDING)]
        w.ask()
        assert at == paused and [g[0] for g in w.given] == ["alarms"], (url, at, w.given)
    w = World({"url": "https://leader.example.org:17580", "ca_file": path}, box_unix=T0, alarms=True)
    w.http.answers = [(200, None, "[]"), (200, None, LOW_SOUNDING)]
    w.ask()
    assert [g[0] for g in w.given] == ["alarms"], w.given


def test_a_report_whose_alarm_task_ran_30_s_ago_is_still_the_leader_heard():
    # alarms.gate takes a report of age_s 30 (TICK_AGE_S) as fresh: so does leader_silent
    w = World({"silent_min": 15}, alarms=True)
    for _ in range(20):
        w.http.answers = [(200, None, "[]"), (200, None, json.dumps({"alarms": [], "age_s": 30}))]
        w.ask()
        w.now_ms += 60000
    assert w.silent() == [False], w.conds


def test_the_leaders_alarms_that_do_not_fit_in_memory_are_a_bad_answer():
    real = follower.json
    follower.json = Tight()
    try:
        follower.parse_alarms(json.dumps({"alarms": [], "age_s": 1}))
    except ValueError as e:
        assert "does not fit in memory" in str(e), e
    else:
        raise AssertionError("a report that did not fit was read")
    finally:
        follower.json = real
