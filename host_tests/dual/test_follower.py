# forward.follower.parse_entries: leader (xDrip+ sgv.json) and Nightscout entries -> Readings.
# Runs on CPython and MicroPython.
import json

from forward.follower import parse_entries, Follower, FollowError

T0 = 1767225600


def _xdrip(rows):
    # newest first, as the leader's /sgv.json and Nightscout serve them
    return json.dumps([{"date": (T0 + t) * 1000, "sgv": s, "direction": d, "trend": 4}
                       for t, s, d in sorted(rows, reverse=True)])


def test_entries_become_readings_oldest_first():
    body = _xdrip([(0, 100, "Flat"), (300, 90, "FortyFiveDown"), (600, 80, "FortyFiveDown")])
    rs = parse_entries(body)
    assert [r[1] for r in rs] == [T0, T0 + 300, T0 + 600]
    assert [r[2] for r in rs] == [100, 90, 80]
    assert all(r[5] == "live" and r[4] == 6 and r[0] == r[1] for r in rs)
    # trend from the previous entry: -10 mg/dL in 5 min = -2.0 mg/dL/min -> -20
    assert rs[1][3] == -20 and rs[2][3] == -20
    # the first has no previous entry: the arrow's mid-rate
    assert rs[0][3] == 0


def test_only_entries_after_the_last_one_taken():
    body = _xdrip([(0, 100, "Flat"), (300, 110, "SingleUp"), (600, 125, "SingleUp")])
    rs = parse_entries(body, after_ms=(T0 + 300) * 1000, prev=(T0 + 300, 110))
    assert len(rs) == 1 and rs[0][2] == 125 and rs[0][3] == 30


def test_nightscout_entries_with_other_types_and_error_codes():
    body = json.dumps([
        {"type": "mbg", "mbg": 120, "date": (T0 + 900) * 1000},
        {"type": "sgv", "sgv": 5, "date": (T0 + 600) * 1000, "direction": "NOT COMPUTABLE"},
        {"type": "sgv", "sgv": 70, "date": (T0 + 300) * 1000, "direction": "DoubleDown",
         "dateString": "2026-01-01T00:05:00.000Z", "_id": "x"},
        {"type": "sgv", "sgv": 70, "date": (T0 + 300) * 1000, "direction": "DoubleDown"},
        {"type": "sgv", "sgv": 60, "date": "yesterday"},
    ])
    rs = parse_entries(body)
    assert [(r[1], r[2]) for r in rs] == [(T0 + 300, 70), (T0 + 600, None)]
    assert rs[0][3] == -40 and rs[1][3] is None


def test_a_glucose_no_cgm_reports_is_no_value():
    # a leader or Nightscout with a garbage value (5000) must not sound urgent_high
    body = _xdrip([(0, 5000, "Flat"), (300, 600, "Flat"), (600, 601, "Flat")])
    assert [r[2] for r in parse_entries(body)] == [None, 600, None]


def test_a_body_that_is_not_a_list_is_an_error():
    for body in ('{"status": "ok"}', '[{"date": 1', ""):
        try:
            parse_entries(body)
            raise AssertionError("accepted %r" % body)
        except ValueError:
            pass


def test_bad_follow_config_names_the_key():
    for cfg, key in (({"url": "ftp://x"}, "follow.url"), ({"url": ""}, "follow.url"),
                     ({"url": "https://ns.example.org"}, "follow.ca_file")):
        try:
            Follower(cfg, lambda r: None, lambda k, n, a: None, ms=lambda: 0)
            raise AssertionError("accepted %r" % cfg)
        except FollowError as e:
            assert str(e).startswith(key), str(e)


def test_request_path_secret_and_token():
    f = Follower({"url": "http://leader.local:17580", "api_secret": "Abc", "token": "t-1"},
                 lambda r: None, lambda k, n, a: None, ms=lambda: 0, unix=lambda: None)
    assert (f.host, f.port) == ("leader.local", 17580)
    assert f.path() == "/api/v1/entries/sgv.json?brief_mode=Y&count=12&token=t-1"
    f.last_ms = 1767225600000
    assert f.path() == "/api/v1/entries/sgv.json?brief_mode=Y&count=12&find[date][$gt]=1767225600000&token=t-1"
    # SHA-1("Abc"), the check value xDrip+ documents
    assert ("api-secret", "915858afa2278f25527f192038108346164b47f2") in f.headers


def test_the_first_silence_verdict_is_reported_so_a_restored_alarm_clears():
    # after a reset RTC memory brings back leader_silent; the follower must say
    # "not silent" once a fresh entry comes (before: only changes were reported,
    # and the restored alarm sounded for ever while data flowed)
    conds = []
    t = [0]
    f = Follower({"url": "http://10.0.0.2:17580"}, lambda r: None,
                 lambda k, n, a: conds.append((k, n, a)), ms=lambda: t[0])
    f.check_silent()
    assert conds == [("link", "leader_silent", False)]
    f.check_silent()                                   # then only changes
    t[0] = f.silent_ms + 1
    f.check_silent()
    assert conds == [("link", "leader_silent", False), ("link", "leader_silent", True)]


class _Stop(Exception):
    pass


def test_each_request_waits_for_a_pause_in_the_alarm_sound():
    # a request to an https leader holds the loop through its TLS handshake: the
    # wiring's pause waits for a pause between the bursts of a sounding alarm
    import asyncio
    order = []

    async def pause():
        order.append("pause")
        if len(order) > 4:
            raise _Stop()

    async def poll():
        order.append("poll")

    f = Follower({"url": "http://10.0.0.2:17580"}, lambda r: None, lambda k, n, a: None,
                 ms=lambda: 0, pause=pause)
    f.poll = poll
    f.poll_s = f.next_s = 0   # (next_s is poll_s's 60 s until a real poll sets it: 2 min of sleep)
    try:
        asyncio.run(f.run())
    except _Stop:
        pass
    assert order == ["pause", "poll", "pause", "poll", "pause"], order


def test_an_https_leader_is_asked_the_time_over_plain_http_while_the_box_has_no_clock():
    # the handshake checks the leader's certificate against the box's clock: with
    # none (NTP blocked) every poll failed and no reading ever came
    import asyncio
    from fakes import swap
    from forward import http
    calls, dates = [], []

    async def plain_date(host, port=None, timeout_s=20):
        calls.append(("plain", host, port or 80))
        return "Mon, 30 Nov 2026 18:00:00 GMT"

    async def request(method, host, port, path, headers, body=None, ssl_ctx=None, timeout_s=20,
                      max_body=2048):
        calls.append(("https", host, port))
        return 200, None, b"[]"

    wall = [None]
    f = Follower({"url": "http://leader.example:17580"}, lambda r: None, lambda k, n, a: None,
                 on_server_date=dates.append, ms=lambda: 0, unix=lambda: wall[0])
    f.ssl_ctx = object()   # as for an https:// url (its CA file read)

    def polls():
        asyncio.run(f.poll())
        wall[0] = 1796061600   # the clock set from that Date
        asyncio.run(f.poll())
    swap(http, "plain_date", plain_date, lambda: swap(http, "request", request, polls))
    assert calls == [("plain", "leader.example", 80), ("https", "leader.example", 17580),
                     ("https", "leader.example", 17580)], calls
    assert dates == ["Mon, 30 Nov 2026 18:00:00 GMT"]


def test_after_the_plain_http_date_the_https_request_waits_for_a_pause_again():
    # the pause before a poll is taken for the https request's handshake; the
    # plain HTTP Date comes first and takes its round trip (or its whole timeout
    # when port 80 hangs): the handshake then started wherever the alarm's
    # sound was, inside a burst too
    import asyncio
    from fakes import swap
    from forward import http
    order = []

    async def pause():
        order.append("pause")

    async def plain_date(host, port=None, timeout_s=20):
        order.append("plain")
        raise OSError(110)   # port 80 timed out: the https request comes next

    async def request(method, host, port, path, headers, body=None, ssl_ctx=None, timeout_s=20,
                      max_body=2048):
        order.append("https")
        return 200, None, b"[]"

    f = Follower({"url": "http://leader.example:17580"}, lambda r: None, lambda k, n, a: None,
                 on_server_date=lambda d: None, ms=lambda: 0, unix=lambda: None, pause=pause)
    f.ssl_ctx = object()   # as for an https:// url (its CA file read)
    swap(http, "plain_date", plain_date, lambda: swap(http, "request", request,
                                                      lambda: asyncio.run(f.poll())))
    assert order == ["plain", "pause", "https"], order
