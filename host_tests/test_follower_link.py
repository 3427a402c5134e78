"""Follower mode on the MicroPython unix port: a leader box (the real LAN API)
and a follower box (forward.follower + its own alarm engine) on the virtual
clock; the link is cut at minute 90 and restored at minute 130
(host_tests/follow_mpy/leader_follower.py)."""
import json

from conftest import run_micropython, free_port




def test_follower_alarms_locally_and_raises_link_when_the_leader_goes_silent():
    # heap: a leader (LAN API, its history) and a follower share this 64-bit process; with the
    # default 512K the follower's 6-KB read buffer failed now and then by fragmentation (its
    # task, bare here, died of the MemoryError; on the box it is supervised). The firmware's
    # own budget is measured by `make bench SECTION=device`, not here
    r = run_micropython(["host_tests/follow_mpy/leader_follower.py", str(free_port())],
                        timeout=180, heap="1M")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["cut_at"] == 90 and out["restored_at"] == 130
    readings = out["readings"]
    # while linked, every leader reading arrives within one poll (2 min)
    linked = [x for x in readings if x[0] < 90]
    assert [x[1] for x in linked] == [112 - 3 * k for k in range(18)], linked
    assert all(0 <= x[0] - 5 * k <= 2 for k, x in enumerate(linked)), linked
    # the same alarms as the leader's engine (fed directly), raised by the follower's own
    # engine within one poll (2 min), while the link is up
    onsets, leader = {}, {}  # first onset of each type
    for a in out["alarms"]:
        if a[1] == "alarm_onset":
            onsets.setdefault(a[2], a[0])
    for a in out["leader_alarms"]:
        if a[1] == "alarm_onset" and a[0] < 90:
            leader.setdefault(a[2], a[0])
    glucose = [t for t in leader if t not in ("link", "no_data")]
    assert glucose, out["leader_alarms"]  # the falling patient does alarm (112 -> 61 mg/dL)
    for t in glucose:
        assert t in onsets and 0 <= onsets[t] - leader[t] <= 2, (t, out["alarms"], leader)
    assert sorted(t for t in onsets if onsets[t] < 90) == sorted(glucose), out["alarms"]
    # the cut: last fresh entry at minute 85, silent_min 15 -> link alarm within one poll of 100
    silent_on = [c[0] for c in out["conditions"] if c[2] == "leader_silent" and c[3]]
    assert len(silent_on) == 1 and 100 <= silent_on[0] <= 103, out["conditions"]
    assert onsets["link"] == silent_on[0]
    assert not any(c[3] for c in out["conditions"] if c[0] < 100), "raised before the leader was silent"
    # restored: the gap is refilled in order and the link alarm clears
    after = [x for x in readings if x[0] >= 130]
    assert [x[1] for x in after][:2] == [60, 60] and len(readings) == 31, readings
    silent_off = [c[0] for c in out["conditions"] if c[2] == "leader_silent" and not c[3]]
    assert silent_off[0] < 5  # the first verdict is reported (clears a restored alarm)
    silent_off = [t for t in silent_off if t >= 100]
    assert silent_off and 130 <= silent_off[0] <= 133
    clears = [a for a in out["alarms"] if a[1] == "alarm_clear" and a[2] == "link"]
    assert clears and clears[0][0] == silent_off[0]
    assert out["status"]["silent"] is False and out["status"]["last_error"] is None


# --- a canned server: the follower against answers a real leader cannot be made to give ---
import asyncio

from forward import follower as follower_mod

T0 = 1767225600  # 2026-01-01


class CannedServer:
    """Answers the follower's GET like a leader/Nightscout holding `entries`
    (dates in Unix s): newest first, honouring count and find[date][$gt]."""

    def __init__(self, date_header=None):
        self.entries = []  # (unix_s, sgv)
        self.date_header = date_header

    async def request(self, method, host, port, path, headers, body=None, ssl_ctx=None,
                      timeout_s=20, max_body=2048):
        q = dict(kv.split("=", 1) for kv in path.split("?", 1)[1].split("&"))
        gt = int(q.get("find[date][$gt]", -1))
        rows = [{"date": u * 1000, "sgv": s, "direction": "Flat"}
                for u, s in sorted(self.entries, reverse=True) if u * 1000 > gt]
        return 200, self.date_header, json.dumps(rows[:int(q["count"])]).encode()


def _follower(monkeypatch, server, wall):
    monkeypatch.setattr(follower_mod.http, "request", server.request)
    got, conds, now = [], [], {"ms": 0}
    f = follower_mod.Follower({"url": "http://leader.lan:17580", "silent_min": 15}, got.append,
                              lambda k, n, a: conds.append((n, a)), log=lambda m: None,
                              ms=lambda: now["ms"], unix=lambda: wall["s"])
    return f, got, conds, now


def test_an_entry_dated_in_the_future_neither_feeds_the_alarms_nor_blocks_later_entries(monkeypatch):
    # a leader with a clock set wrong (or a garbage date): the entry is not "now",
    # and taking it would make every later entry look old (find[date][$gt] skips them)
    srv = CannedServer()
    wall = {"s": T0}
    f, got, conds, now = _follower(monkeypatch, srv, wall)
    srv.entries = [(T0 - 300, 100), (T0 + 6 * 3600, 40)]
    asyncio.run(f.poll())
    assert [r[2] for r in got] == [100], got
    assert f.last_error and "after the box" in f.last_error, f.last_error
    for k in range(1, 6):  # the leader goes on with its true readings
        wall["s"] += 300
        now["ms"] += 300000
        srv.entries.append((wall["s"] - 10, 100 + k))
        asyncio.run(f.poll())
    assert [r[2] for r in got] == [100, 101, 102, 103, 104, 105], got
    assert ("leader_silent", True) not in conds, conds


def test_the_leaders_date_header_judges_freshness_and_the_future(monkeypatch):
    # the follower's own clock is 30 min ahead of the leader's (a Nightscout with
    # a Date header): entries are fresh by the server's clock, not the box's
    srv = CannedServer()
    wall = {"s": T0 + 1800}
    f, got, conds, now = _follower(monkeypatch, srv, wall)
    for k in range(6):
        srv.date_header = _http_date(T0 + k * 300)
        srv.entries.append((T0 + k * 300 - 10, 120 + k))
        asyncio.run(f.poll())
        now["ms"] += 300000
        wall["s"] += 300
    assert [r[2] for r in got] == [120, 121, 122, 123, 124, 125], got
    assert ("leader_silent", True) not in conds, conds
    # an entry 2 h ahead of the server's own Date is not taken
    srv.entries.append((T0 + 6 * 300 + 7200, 39 + 1))
    srv.date_header = _http_date(T0 + 6 * 300)
    asyncio.run(f.poll())
    assert len(got) == 6, got


def test_readings_are_dated_on_the_boxs_clock_when_the_leaders_runs_apart(monkeypatch):
    # the box ages a reading by its own clock (main._take_reading): a leader whose
    # clock is 30 min behind must not make every reading 30 min old, which is
    # stale (no glucose alarm at all) and brings no_data 5 min after each reading
    for skew in (1800, -1800, 20):
        srv = CannedServer()
        wall = {"s": T0 + skew}
        f, got, conds, now = _follower(monkeypatch, srv, wall)
        for k in range(3):
            srv.date_header = _http_date(T0 + k * 300)
            srv.entries.append((T0 + k * 300 - 10, 120 + k))
            asyncio.run(f.poll())
            age_by_box = wall["s"] - got[-1][1]
            assert age_by_box == 10 or (abs(skew) < 60 and age_by_box == 10 + skew), (skew, age_by_box)
            assert got[-1][0] == got[-1][1]             # dex_s = unix_s for a follower
            now["ms"] += 300000
            wall["s"] += 300
        assert [r[2] for r in got] == [120, 121, 122], got   # find[date][$gt] still in the leader's dates
        assert f.last_ms == (T0 + 2 * 300 - 10) * 1000


def _http_date(unix_s):
    import time as _t
    return _t.strftime("%a, %d %b %Y %H:%M:%S GMT", _t.gmtime(unix_s))


def test_non_finite_numbers_in_an_answer_are_not_readings():
    # 1e999 is valid JSON for both parsers and becomes inf: int() of it raised
    # OverflowError, which poll() does not expect (the follower task died)
    body = json.dumps([{"date": (T0 + 300) * 1000, "sgv": 100, "direction": "Flat"}])
    body = body[:-1] + ', {"date": 1e999, "sgv": 100}, {"date": %d, "sgv": 1e999}]' % (T0 * 1000)
    rs = follower_mod.parse_entries(body)
    assert [(r[1], r[2]) for r in rs] == [(T0, None), (T0 + 300, 100)], rs
