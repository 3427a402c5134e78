"""Forwarding on MicroPython: Nightscout uploader (outage, bad secret, hanging
server, restart), Wi-Fi keeper, time sync, MQTT against a real broker, LAN API.
The firmware runs on the unix port with the virtual clock; servers are real
sockets on loopback (tools/nsserver.py, mosquitto or amqtt)."""
import json
import os
from datetime import datetime

import pytest

from conftest import run_micropython, free_port
from nsserver import NsServer

SECRET = "0123456789abcdef"
PROG = "host_tests/forward_mpy/"


def mpy_result(code):
    """Run MicroPython source (`-c`); the JSON it prints after "RESULT "."""
    r = run_micropython(["-c", code], timeout=60)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, r.stdout + r.stderr
    return json.loads(lines[0][7:])


def mpy_json(prog, *args, heap="512K"):
    r = run_micropython([PROG + prog] + [str(a) for a in args], heap=heap, timeout=120)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert lines, r.stdout + r.stderr
    return json.loads(lines[-1]), r.stdout


def test_outage_every_reading_once_in_order(ns):
    out, _ = mpy_json("ns_scenarios.py", "outage", ns.port, ns.control_port)
    assert out["queued_during_outage"] >= 11, out  # the hour down piled up
    assert out["stored"] == out["sent"] == 36, out
    assert out["unique"] and out["dates_in_order"], out
    assert out["queue_left"] == 0
    # server-side: each {sysTime, type} posted once: a stored batch is not sent
    # again. (A post whose answer did not come within the timeout is sent again,
    # which Nightscout's upsert makes harmless; on a loaded host the virtual
    # clock can outrun the loopback server, so allow those retries, no others.)
    assert out["posts_max"] <= 1 + out["timeouts"], out
    entries = ns.state()["entries"]
    e = entries[0]
    assert e["type"] == "sgv" and isinstance(e["date"], int) and e["dateString"].endswith("Z")
    assert e["direction"] in ("DoubleUp", "SingleUp", "FortyFiveUp", "Flat", "FortyFiveDown",
                              "SingleDown", "DoubleDown")
    assert not out["secret_in_logs"]


def test_bad_secret_backs_off_and_raises_forwarding(ns):
    out, stdout = mpy_json("ns_scenarios.py", "auth", ns.port, ns.control_port)
    assert ["forwarding", "nightscout_auth", True] in out["conds"], out
    # 2 h with back-off 60 s doubling: a handful of tries, not one per reading
    assert 2 <= out["server_auth_failures"] <= 8, out
    assert out["delay_s"] >= 960, out
    assert out["stored"] == 0 and out["queue_left"] == 24
    assert SECRET not in stdout and not out["secret_in_logs"]


def test_alarm_latency_unaffected_by_hanging_server(ns):
    out, _ = mpy_json("ns_scenarios.py", "hang", ns.port, ns.control_port)
    assert out["handled"] == 24
    # the alarm stand-in handles each reading in the same scheduler instant
    # (virtual time: deterministic) and as fast as without forwarding
    assert out["lat_virtual_max_ms"] == 0, out
    assert out["lat_p99_ms"] < max(20.0, 5 * out["base_p99_ms"]), out
    # no forwarding call blocks the whole process (that delays every task, the
    # alarms too, and the latency above cannot see it: the reading arrives
    # after the block). Real time between 200 ms heartbeats: ~10-100 ms here; a
    # blocking socket call on the hanging server would take its 20 s timeout.
    assert out["stall_max_ms"] < 1000, out
    assert out["stats"]["failures"] >= 3  # it did hang on the server
    assert out["timeouts"] >= 3, out  # (answers that never came, not refusals)
    assert ["forwarding", "nightscout_unreachable", True] in out["conds"]
    assert out["stored"] == 12 and out["unique"] and out["dates_in_order"], out  # and recovered


def test_a_200_answer_without_the_stored_entries_is_not_taken_as_delivered(ns):
    # Nightscout answers a stored POST with the JSON array of what it stored;
    # a 200 with an error object (or a captive portal's page) stored nothing
    out, _ = mpy_json("ns_scenarios.py", "error200", ns.port, ns.control_port)
    assert out["queued_during_fault"] == 12, out
    assert out["stored"] == 12 and out["queue_left"] == 0, out
    assert out["unique"] and out["dates_in_order"], out


def test_an_empty_array_answer_to_a_batch_is_not_taken_as_delivered(ns):
    # Nightscout answers [] only for a body without entries (res.entries || []), which
    # the uploader never sends: a server answering [] to a batch stored none of it, and
    # counting it as sent dropped the readings from the queue without a word
    out, _ = mpy_json("ns_scenarios.py", "empty200", ns.port, ns.control_port)
    assert out["queued_during_fault"] == 12, out
    assert out["stored"] == 12 and out["queue_left"] == 0, out


def test_readings_from_before_the_wall_clock_reach_nightscout_at_their_own_time(ns):
    # no NTP and no wall clock at start: the uploader must still get the
    # server's Date (its fallback clock) and upload the early readings, dated
    # by the transmitter's clock once a later reading ties it to wall time
    out, _ = mpy_json("ns_scenarios.py", "noclock", ns.port, ns.control_port)
    assert out["clock_set"] and out["time_source"] == "server", out
    entries = sorted(ns.state()["entries"], key=lambda e: e["date"])
    assert [e["sgv"] for e in entries] == list(range(100, 112)), entries
    dates = [e["date"] for e in entries]
    assert all(b - a == 300000 for a, b in zip(dates, dates[1:])), dates
    assert dates[-1] == (out["activation"] + 10000 + 11 * 300) * 1000, (dates, out)
    assert out["queue_left"] == 0 and out["unique"], out


def test_a_night_without_a_wall_clock_says_queue_full_once_not_every_5_minutes():
    # held readings (no wall time) overflow after 3 h: one dropped per reading after
    # that; before, nightscout_queue_full was raised and cleared at every one
    s = NsServer(secret=SECRET, bad_delay_s=0.002, send_date=False)
    try:
        out, _ = mpy_json("ns_scenarios.py", "noclock_hours", s.port, s.control_port)
    finally:
        s.close()
    assert out["dropped"] >= 20, out
    full = [c for c in out["conds"] if c[1] == "nightscout_queue_full"]
    assert full == [["forwarding", "nightscout_queue_full", True]], full


def test_queue_survives_restart(ns, tmp_path):
    path = str(tmp_path / "nsqueue.bin")
    first, _ = mpy_json("ns_scenarios.py", "persist1", ns.port, ns.control_port, path)
    assert first["queued"] == 24
    # written at most every 30 min in this scenario, so the file may lag a little
    assert 18 <= first["saved_entries"] <= 24, first
    assert not os.path.exists(path + ".tmp")
    second, _ = mpy_json("ns_scenarios.py", "persist2", ns.port, ns.control_port, path)
    assert second["restored"] == first["saved_entries"]
    assert second["stored"] == first["saved_entries"] and second["dates_in_order"]
    assert not [c for c in second["conds"] if c[1] == "nightscout_queue_damaged"], second["conds"]


def test_a_queue_save_cut_by_a_reset_is_rolled_forward(ns, tmp_path):
    # the reset came after the old file was moved aside and before the new one
    # took its name (app.fsutil's step 2 and 3): only nsqueue.bin.tmp is left.
    # Before, the queue had its own save (no fsync, no recovery): nothing restored
    path = str(tmp_path / "nsqueue.bin")
    first, _ = mpy_json("ns_scenarios.py", "persist1", ns.port, ns.control_port, path)
    assert first["saved_entries"] >= 18, first
    os.rename(path, path + ".tmp")
    second, _ = mpy_json("ns_scenarios.py", "persist2", ns.port, ns.control_port, path)
    assert second["restored"] == first["saved_entries"], (first, second)
    assert not os.path.exists(path + ".tmp")


def test_a_corrupt_queue_file_falls_back_to_the_previous_save(ns, tmp_path):
    # flash damage in nsqueue.bin: the copy before the last save (.bak, kept by
    # app.fsutil) still holds the readings that were waiting then
    path = str(tmp_path / "nsqueue.bin")
    mpy_json("ns_scenarios.py", "persist1", ns.port, ns.control_port, path)
    with open(path + ".bak", "rb") as f:
        previous = (len(f.read()) - 8) // 12
    assert previous > 0
    with open(path, "r+b") as f:
        f.write(b"XXXX")
    second, _ = mpy_json("ns_scenarios.py", "persist2", ns.port, ns.control_port, path, "2400")
    assert second["restored"] == previous, (previous, second)
    # the readings saved after the .bak are lost to the server: before, a log
    # line only; now a low-priority forwarding alarm, cleared 30 min later
    damaged = [c for c in second["conds"] if c[1] == "nightscout_queue_damaged"]
    assert damaged == [["forwarding", "nightscout_queue_damaged", True],
                       ["forwarding", "nightscout_queue_damaged", False]], second["conds"]




@pytest.mark.parametrize("identifier_upsert", [True, False], ids=["ns15.0.7+", "ns14-15.0.6"])
def test_one_sensor_start_per_session_reaches_nightscout_through_an_outage_and_a_reboot(
        tmp_path, identifier_upsert):
    # SAGE counts from the newest "Sensor Start": the box posts one per session, with the
    # same identifier and created_at whatever the time messages estimate, after the
    # readings; the second session started while the server was down; a reboot onto the
    # same file posts nothing again. Nightscout before 15.0.7 upserts on created_at +
    # eventType only: the same result there
    s = NsServer(secret=SECRET, bad_delay_s=0.002, identifier_upsert=identifier_upsert)
    path = str(tmp_path / "nsstart.txt")
    try:
        first, _ = mpy_json("ns_scenarios.py", "sensorstart", s.port, s.control_port, path, "first")
        again, _ = mpy_json("ns_scenarios.py", "sensorstart", s.port, s.control_port, path, "again")
    finally:
        s.close()
    ts = first["treatments"]
    assert [(t["eventType"], t["enteredBy"], t["created_at"][:17], t["created_at"][19:])
            for t in ts] == [("Sensor Start", "bedside-cgm", "2023-11-14T20:13:", ".000Z"),
                             ("Sensor Start", "bedside-cgm", "2023-11-14T23:43:", ".000Z")], ts
    starts = [datetime.fromisoformat(t["created_at"][:19] + "+00:00").timestamp() for t in ts]
    assert abs(starts[0] - (1700000000 - 7200)) <= 1 and abs(starts[1] - (1700000000 + 5400)) <= 1
    assert len({t["identifier"] for t in ts}) == 2 and "8G1234" not in str(ts)
    assert first["treatment_posts"] == 2 and first["session_calls"] > 20, first
    assert first["stored"] == 36 and first["unique"] and first["queue_left"] == 0, first
    assert first["conds"] == [], first["conds"]          # down an hour: under alert_after_s
    assert again["treatment_posts"] == 2 and again["treatments"] == ts, again
    with open(path) as f:
        assert f.read() == "8G1234 %d %d 127.0.0.1:%d\n" % (3 * 86400 + 5400, starts[1], s.port)


def test_wifi_keeper_and_time_sync():
    out, _ = mpy_json("wifi_time.py")
    assert out["up_after_long"] and out["outage_log_lines"] <= 8, out
    assert out["first_up"] == "backup"  # wrong password on "home": moved on
    assert out["down_during"] and out["up_after"]
    assert out["changes"] == [True, False, True]
    assert 5 <= out["connect_attempts_in_10min"] <= 40, out  # backs off, never gives up
    assert out["pm_values"] and 0 not in out["pm_values"] and out["pm_none_refused"]
    assert out["quiet_short"] == 0 and out["quiet_long"] == 40000 and out["waited_ms"] == 40000
    # the alarm's sound: waited for by a blocking step only, until its pause, 30 s at most
    assert out["sound_waited_ms"] == 4500 and out["sound_ignored_ms"] == 0, out
    assert out["sound_capped_ms"] == 30000 and out["sound_need"] == 3000, out
    assert out["flash_waited_ms"] == 1500 and out["window_waited_ms"] >= 29000, out
    assert all(out["config_errors"]), out
    # NTP failed -> the server's Date header sets the clock; NTP wins later
    # the server's Date weeks from a set clock: not taken (helper-152: a captive portal)
    assert out["ntp_fail"] is False and out["date_ok"] == [False, False], out
    assert abs(out["unix_after_date"] - out["unix_before_date"]) <= 2 and \
        abs(out["unix_before_date"] - 1704164645) > 120, out
    assert out["bad_date"] is False and out["unix_after_ntp"] == 1800000000
    assert out["ntp_ok"][0] is False and out["ntp_ok"][2] is True, out["ntp_ok"]   # confirmed by its second answer
    assert abs(out["ntp_ok"][1] - out["unix_before_date"]) <= 2, out["ntp_ok"]
    assert out["server_after_ntp"] is False and out["parse"] == 784111777
    # an NTP query that blocked the board (DNS not answering) is asked less often,
    # up to hourly; a success resets it (before: a blocking lookup every 5 min)
    assert out["delays"] == [300, 600, 1200, 2400, 3600, 3600, 6 * 3600, 600], out["delays"]


class Broker:
    """A real MQTT broker on loopback: mosquitto when installed (make test
    installs it with apt when allowed), else amqtt from the venv."""

    def __init__(self, tmp):
        import shutil
        self.port = free_port()
        self.tmp = tmp
        self.proc = None
        self.mosquitto = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
        self.start()

    def start(self):
        import subprocess
        import sys
        import time
        if self.mosquitto:
            conf = os.path.join(self.tmp, "mosquitto.conf")
            with open(conf, "w") as f:
                f.write("listener %d 127.0.0.1\nallow_anonymous true\n" % self.port)
            cmd = [self.mosquitto, "-c", conf]
        else:
            conf = os.path.join(self.tmp, "amqtt.yaml")
            with open(conf, "w") as f:
                f.write("listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:%d\n"
                        "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
                        "    allow_anonymous: true\n" % self.port)
            cmd = [os.path.join(os.path.dirname(sys.executable), "amqtt"), "-c", conf]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("MQTT broker did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path):
    b = Broker(str(tmp_path))
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Control(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            (b.start if json.loads(self.rfile.read(n))["up"] else b.stop)()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    ctl = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    b.control_port = ctl.server_address[1]
    yield b
    ctl.shutdown()
    b.stop()


def test_mqtt_discovery_will_and_reconnect(broker):
    out, _ = mpy_json("mqtt_ha.py", broker.port, broker.control_port)
    assert len(out["discovery"]) == 8, out
    g = out["glucose_cfg"]
    assert g["state_topic"] == "cgm/glucose" and g["unit_of_measurement"] == "mg/dL"
    assert g["availability"] == [{"topic": "cgm/availability"}, {"topic": "cgm/reading_availability"}]
    assert g["availability_mode"] == "all" and g["unique_id"]
    st = out["states"]
    assert st["cgm/reading_availability"] == "online"
    assert st["cgm/glucose"] == "126" and st["cgm/glucose_mmol"] == "7.0"
    assert st["cgm/trend"] == "SingleDown" and st["cgm/alarm"] == "none"
    assert st["cgm/alarm_unanswered"] == "none"
    assert out["unanswered"] == ["urgent_low", "urgent_low"], out
    assert out["answered"] == ["urgent_low", "none"], out
    assert st["cgm/battery"] == "low_battery" and st["cgm/link"] == "connected"
    assert st["cgm/availability"] == "online"
    assert out["after_death"] == "offline"  # last will
    assert out["after_restart"] == "online"
    assert out["connected_while_down"] is False
    back = out["after_broker_back"]  # a fresh broker: everything published again
    assert back["cgm/glucose"] == "131" and back["cgm/availability"] == "online"
    assert back["cgm/battery"] == "low_battery" and out["discovery_again"] == 8
    assert out["connects"] == 3, out  # no reconnect churn
    assert all(out["config_errors"]), out


def test_lan_api_routes_and_bad_requests():
    out, _ = mpy_json("lan_api.py", free_port())
    assert out["no_secret"] == 403 and out["wrong_secret"] == 403
    assert out["loopback_trusted"] == 200   # the caller's address is read on either port's sockets
    st, n, first = out["sgv"]
    assert st == 200 and n == 24 and first["units_hint"] == "mgdl"
    assert first["date"] == (1700000000 + 29 * 300) * 1000 and first["sgv"] == 129
    assert first["direction"] == "FortyFiveUp" and first["delta"] == 1 and first["type"] == "sgv"
    st, brief = out["sgv_brief"]
    assert len(brief) == 3 and "dateString" not in brief[0] and "_id" not in brief[1]
    st, dates = out["entries_range"]
    t0 = 1700000000 * 1000
    assert dates == [t0 + k * 300000 for k in range(10, 2, -1)], dates  # ($gt 600 s, $lte 3000 s]
    assert out["entries_enc"] == [200, [t0 + 8700000]]
    assert out["entries_default"] == 10
    # chaos seed 476: a follower an hour behind took each reading an hour late and
    # judged it fresh; with the leader's Date it re-dates them (forward/follower.py)
    assert len(out["date_skew_s"]) == 1 and abs(out["date_skew_s"][0]) <= 1, out["date_skew_s"]
    s = out["status"]
    assert s["settings"]["units"] == "mg/dl" and s["settings"]["thresholds"]["bgLow"] == 55
    assert s["serverTimeEpoch"] == t0
    peb = out["pebble"]["bgs"][0]
    assert peb["sgv"] == "7.2" and peb["trend"] == 3 and peb["datetime"] == t0 + 8700000
    assert out["xdrip_status"] == {"thresholds": {"bgHigh": 180, "bgLow": 80}}  # xDrip+'s high and low lines
    # counts as the followers ask them: more than the box holds is all it holds
    assert out["count_5000"] == [200, 30], out["count_5000"]
    assert out["xdrip_follow"] == [200, [t0 + 8700000, t0 + 8400000]], out["xdrip_follow"]
    assert out["nightguard_chart"] == [200, [t0 + 8400000, t0 + 8100000]], out["nightguard_chart"]
    assert out["loopfollow"] == [200, [t0 + 8700000, t0 + 8400000]], out["loopfollow"]
    assert out["lte_fraction"] == [200, [t0 + 8100000, t0 + 7800000, t0 + 7500000]], out["lte_fraction"]
    assert out["gte_fraction"] == [200, [t0 + 8700000]], out["gte_fraction"]
    # Nightscout's /api/v2/properties, what Nightguard shows as the current value
    bgnow, delta = out["properties"]["bgnow"], out["properties"]["delta"]
    assert bgnow["last"] == 129 and bgnow["mills"] == t0 + 8700000, bgnow
    assert bgnow["sgvs"][0]["direction"] == "FortyFiveUp", bgnow
    assert delta["mgdl"] == 1 and delta["display"] == "+1" and not delta["interpolated"], delta
    peb = out["pebble_mgdl"]["bgs"]
    assert len(peb) == 1 and peb[0]["sgv"] == "129" and peb[0]["bgdelta"] == 1, peb
    for k in ("bad_count", "bad_count_zero", "bad_find", "bad_find_inf", "garbage", "long_line",
              "header_flood"):
        assert out[k] == 400, (k, out[k])
    assert out["not_found"] == 404 and out["post"] == 413
    assert out["slow_cut_after_ms"] == 5000 and out["slow_answer"] == ""
    assert out["active_max"] <= 3 and out["refused"] >= 3
    assert out["still_serving"] == 200 and out["many_small_headers_ok"] == 200
    # the paths are matched as text: microdot compiled and kept a regular expression
    # for each route (1152 B for the eight then on the 32-bit port), whose '.' matched any character
    assert out["dot_is_a_dot"] == 404, out
    assert out["routes"] == 10 and out["regexes_kept"] == 0, out   # (the tenth: /api/v1/alarms.json)
    # the box's /log, sent in pieces (a full ring of 48 long lines: about 8 KB)
    st, whole, size = out["log"]
    assert st == 200 and whole and size > 7000, out["log"]



def test_lan_api_header_flood_is_refused_before_it_fills_the_heap():
    # precompiled as on the board; 112 KiB: the unix port's own asyncio and
    # sockets need more than the board's 64 KiB beside the server, and so do the
    # .mpy files' interned names: MicroPython makes a new pool for them (about
    # 14 KB on the 64-bit port) whenever the last fills, at whichever import that
    # is (on the board they are frozen, in flash). At 96 KiB four more names in
    # forward/timesync.py (60b01e9) made the flood fail 4 runs in 12 from a clone
    # in /tmp (longer paths) and none before. Unbounded, the flood's 3000 header
    # lines would still fill this heap many times over
    import mpybuild
    path = mpybuild.build()
    r = run_micropython([PROG + "lan_flood.py", str(free_port())], heap="112K", timeout=120,
                        env={"MICROPYPATH": path})
    out = json.loads([ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1])
    assert "MemoryError" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert out["flood_status"] == 400 and out["canary_memory_errors"] == 0, out
    assert out["after_status"] == 200, out


QUEUE_HEAP = """
import gc
from forward.queue import UploadQueue
gc.collect(); a0 = gc.mem_alloc()
q = UploadQueue()
gc.collect(); a1 = gc.mem_alloc()
for i in range(700):   # a long outage: the queue fills and overflows
    q.push((1000000 + i * 300, 800000000 + i * 300, 40 + i % 300, i % 7 - 3, 6, "live"))
gc.collect(); a2 = gc.mem_alloc()
print(a1 - a0, a2 - a1, len(q), q.dropped)
"""


def test_a_full_upload_queue_takes_no_more_heap_than_an_empty_one():
    # the outage case: 600 queued readings must not eat the alarms' heap
    out = run_micropython(["-c", QUEUE_HEAP], heap="64K").stdout.split()
    empty, growth, n, dropped = (int(x) for x in out)
    assert (n, dropped) == (600, 100)
    assert empty <= 600 * 12 + 1024, empty
    assert growth < 512, growth


class SilentBroker:
    """Accepts MQTT connections and answers CONNECT, then never says a word."""

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    @staticmethod
    def _client(conn):
        with conn:
            conn.recv(1024)                      # CONNECT (and maybe more)
            conn.sendall(b"\x20\x02\x00\x00")    # CONNACK, accepted
            while conn.recv(1024):               # swallow everything, answer nothing
                pass

    def close(self):
        self.sock.close()


def test_mqtt_broker_that_goes_silent_is_noticed_and_raised_after_an_hour():
    broker = SilentBroker()
    try:
        out, _ = mpy_json("mqtt_silent.py", broker.port)
    finally:
        broker.close()
    lost = [(t, m) for t, m in out["logs"] if "connection lost" in m]
    assert lost and all("no answer to a ping" in m for _, m in lost), out["logs"][:6]
    assert lost[0][0] <= 12, lost[0]  # the first ping goes out at once; keepalive is 10 s
    assert 4 <= out["connects"] <= 40, out["connects"]  # reconnects, with back-off
    raised = [c for c in out["conds"] if c[:3] == ["forwarding", "mqtt_unreachable", True]]
    assert raised and 3600 <= raised[0][3] <= 3600 + 400, out["conds"]


class TrickleBroker(SilentBroker):
    """Answers CONNECT one byte every `gap_s` (review29: a broken or hostile broker)."""

    def __init__(self, gap_s):
        self.gap_s = gap_s
        SilentBroker.__init__(self)

    def _client(self, conn):
        import time
        with conn:
            conn.recv(1024)
            try:
                for b in b"\x20\x02\x00\x00":
                    time.sleep(self.gap_s)
                    conn.sendall(bytes((b,)))
                time.sleep(5)
            except OSError:
                pass


TRICKLE = """
import time
from forward.mqtt import MqttPublisher
pub = MqttPublisher({"host": "127.0.0.1", "port": %d, "topic_prefix": "cgm", "connect_timeout_s": 1})
t = time.ticks_ms()
try:
    pub._connect()
    print("connected")
except Exception as e:
    print("failed", repr(e))
print("blocked_ms", time.ticks_diff(time.ticks_ms(), t))
"""


def test_a_broker_trickling_its_connack_holds_the_board_no_longer_than_the_timeout():
    # umqtt.simple's read(4) waits up to the timeout for each byte: a byte every 0.9 s
    # held the event loop 3.6 s for a 1-s timeout (a sounding alarm's beep stretched)
    for gap_s, connects in ((0.9, False), (0.05, True)):
        broker = TrickleBroker(gap_s)
        try:
            r = run_micropython(["-c", TRICKLE % broker.port], timeout=60)
        finally:
            broker.close()
        blocked = int(r.stdout.split("blocked_ms")[1])
        assert ("connected" in r.stdout) == connects, r.stdout
        assert blocked < 2000, r.stdout       # connect_timeout_s 1, and the host's slack


# an App with an engine and the MQTT publisher, as wiring's listener feeds it
MQTT_APP = """
import sys
sys.path.insert(0, "host_tests/dual")
from test_alarms_engine import make, series
from app.wiring import _mqtt_event
from forward.mqtt import MqttPublisher

class App:
    def quiet(self):   # a leader (or a follower in "all" mode): nothing played silently
        return ()

app = App()
app.engine = make(escalate_minutes=5)
pub = MqttPublisher({"host": "127.0.0.1", "topic_prefix": "cgm"}, client_factory=object)
"""

UNANSWERED = MQTT_APP + """
def both():
    _mqtt_event(pub, app, {"event": "alarm_onset"})
    return [pub._state["cgm/alarm"], pub._state["cgm/alarm_unanswered"]]
series(app.engine, 0, [65, 64, 63, 62, 61] + [60] * 12)  # a low nobody answers for 80 min
print("low", both())
series(app.engine, 85, [52])                              # then urgent low
print("urgent", both())
app.engine.snooze(85 * 60)                                # someone presses: the episode answered
print("pressed", both())
"""


def test_mqtt_alarm_unanswered_is_not_masked_by_a_louder_new_alarm():
    # a low that escalated all the way unanswered is still unanswered when an
    # urgent low starts on top of it (the new loudest alarm is only at level 0)
    r = run_micropython(["-c", UNANSWERED], timeout=60)
    got = dict((ln.split(" ", 1)[0], ln.split(" ", 1)[1]) for ln in r.stdout.splitlines())
    assert got["low"] == "['low', 'low']", r.stdout
    assert got["urgent"] == "['urgent_low', 'low']", r.stdout
    # a press answers the urgent low and the low sounding beside it (one press per episode,
    # 913eb0d): nobody is left unanswered
    assert got["pressed"] == "['none', 'none']", r.stdout


UNANSWERED_LEFT = MQTT_APP + """
def told(events):   # every event the engine gives goes to the publisher, as wiring's listener
    for e in events:
        _mqtt_event(pub, app, e)
    return [pub._state.get("cgm/alarm"), pub._state.get("cgm/alarm_unanswered")]
told(app.engine.set_condition("sensor", "failed", True, 0))
told(app.engine.set_condition("sensor", "ending", True, 60))
for m in range(2, 17):
    got = told(app.engine.tick(m * 60))
print("escalated", got)
print("left", told(app.engine.set_condition("sensor", "failed", False, 17 * 60)))
"""


def test_mqtt_alarm_unanswered_ends_when_the_unanswered_problem_ends_under_a_notice():
    # a sensor failure nobody answered, its `ending` notice beside it: when the failure ended
    # the engine told nothing, and Home Assistant kept waking someone else for it
    r = run_micropython(["-c", UNANSWERED_LEFT], timeout=60)
    got = dict((ln.split(" ", 1)[0], ln.split(" ", 1)[1]) for ln in r.stdout.splitlines())
    assert got["escalated"] == "['sensor', 'sensor']", r.stdout
    assert got["left"] == "['sensor', 'none']", r.stdout


BATTERY = """
from app.wiring import _mqtt_event
from forward.mqtt import MqttPublisher
import json

pub = MqttPublisher({"host": "127.0.0.1", "topic_prefix": "cgm"}, client_factory=object)
out = {"before": pub._state.get("cgm/battery")}
_mqtt_event(pub, None, {"event": "link", "what": "connected"})
_mqtt_event(pub, None, {"event": "link", "what": "battery_low", "status": 0x81, "name": "low_battery"})
out["low"] = [pub._state.get("cgm/battery"), pub._state.get("cgm/link")]
_mqtt_event(pub, None, {"event": "link", "what": "battery_low", "status": 0, "name": "ok", "active": False})
out["ok"] = pub._state.get("cgm/battery")
_mqtt_event(pub, None, {"event": "link", "what": "sensor_state", "kind": "ok", "usable": True})
_mqtt_event(pub, None, {"event": "link", "what": "tx_clock"})
out["link_after_others"] = pub._state.get("cgm/link")
cfg = [json.loads(m) for t, m in pub._discovery() if t.endswith("/battery/config")][0]
out["cfg"] = [cfg.get("unit_of_measurement"), cfg.get("device_class")]
print("RESULT " + json.dumps(out))
"""


def test_mqtt_publishes_the_transmitters_battery_status_the_link_reports():
    # Home Assistant was told of a "Transmitter battery" sensor in volts that nothing
    # ever published (unknown for good), and the link's battery_low event went out as
    # the link's status. The status the transmitter reports is what the box knows for sure
    out = mpy_result(BATTERY)
    assert out["before"] is None
    assert out["low"] == ["low_battery", "connected"], out
    assert out["ok"] == "ok", out
    assert out["link_after_others"] == "connected", out   # sensor and clock news are not the link's state
    assert out["cfg"] == [None, None], out   # no volts claimed


LAN_STATUS_PRELUDE = """
import sys, json
sys.path.insert(0, "host_tests/dual")
from alarm_steps import make
from app.wiring import _status_thresholds
from forward.history import History
from forward.lanapi import LanApi
"""

THRESHOLDS = LAN_STATUS_PRELUDE + """
eng = make(urgent_low=60, low=80, high=200, urgent_high=280,
           schedule=[{"start": 22 * 60, "end": 7 * 60, "high": 300, "urgent_high": 350}])
eng.tick(0, minute_of_day=12 * 60)
api = LanApi({"port": 1}, History(4), log=lambda m: None, thresholds=lambda: _status_thresholds(eng))
out = {"day": [api._status(None)["settings"]["thresholds"], api._xdrip_status(None)]}
eng.tick(60, minute_of_day=23 * 60)
out["night"] = api._status(None)["settings"]["thresholds"]
def broken():
    raise KeyError("x")
out["broken"] = LanApi({"port": 1}, History(4), log=lambda m: None, thresholds=broken)._xdrip_status(None)
out["plain"] = LanApi({"port": 1}, History(4), log=lambda m: None)._xdrip_status(None)
print("RESULT " + json.dumps(out))
"""


def test_the_lan_apis_status_reports_the_boxs_alarm_thresholds_in_force():
    # followers (xDrip+, Nightguard) draw the status thresholds: they were the fixed
    # 55/80/180/260 whatever the box alarmed at; now the alarm settings, schedule included
    out = mpy_result(THRESHOLDS)
    day, xdrip = out["day"]
    assert day == {"bgLow": 60, "bgTargetBottom": 80, "bgTargetTop": 200, "bgHigh": 280}, out
    assert xdrip == {"thresholds": {"bgHigh": 200, "bgLow": 80}}, out   # the high and low alarms
    assert out["night"]["bgTargetTop"] == 300 and out["night"]["bgHigh"] == 350, out
    fixed = {"thresholds": {"bgHigh": 180, "bgLow": 80}}
    assert out["broken"] == fixed and out["plain"] == fixed, out


XDRIP_STATUS = LAN_STATUS_PRELUDE + """
eng = make(urgent_low=60, low=80, high=200, urgent_high=280)
eng.tick(0, minute_of_day=12 * 60)
fn = lambda: _status_thresholds(eng)
out = {"mgdl": LanApi({"port": 1}, History(4), log=lambda m: None, thresholds=fn)._xdrip_status(None),
       "mmol": LanApi({"port": 1, "units": "mmol"}, History(4), log=lambda m: None,
                      thresholds=fn)._xdrip_status(None),
       "plain": LanApi({"port": 1}, History(4), log=lambda m: None)._xdrip_status(None)}
print("RESULT " + json.dumps(out))
"""


def test_the_xdrip_status_reports_the_high_and_low_lines_as_xdrip_does():
    # xDrip+'s own /status.json (webservices/WebServiceStatus.java) puts its high and
    # low range lines there: bgHigh = Pref "highValue" (170), bgLow = "lowValue" (70),
    # which watch faces colour readings by. The box sent Nightscout's urgent lines
    # (urgent_high 280, urgent_low 60 here): a reading at 250, its high alarm
    # sounding, looked in range there. Its high and low alarms are the lines.
    out = mpy_result(XDRIP_STATUS)
    assert out["mgdl"] == {"thresholds": {"bgHigh": 200, "bgLow": 80}}, out
    assert out["mmol"] == {"thresholds": {"bgHigh": 11.1, "bgLow": 4.4}}, out
    assert out["plain"] == {"thresholds": {"bgHigh": 180, "bgLow": 80}}, out   # lan_api's defaults


def test_mqtt_keeps_the_newest_reading_when_older_backfill_arrives():
    # a backfill after an outage comes after the live reading; publishing it as the
    # glucose state showed Home Assistant a value up to hours old as the current one
    out, stdout = mpy_json("mqtt_order.py")
    assert out["new_transmitter"] == "111", out
    out = json.loads(stdout.splitlines()[-2])
    assert out["after_backfill"] == "150", out
    assert out["after_next"] == "155" and out["trend"] == "Flat", out


MQTT_UNDATED_BACKFILL = """
import sys
sys.path.insert(0, "tools/host")
import vtime
vtime.install(0, wall_unix=946684800 + 3600)   # the board's clock unset: a power cut, no NTP yet
from forward.mqtt import MqttPublisher
pub = MqttPublisher({"host": "127.0.0.1", "topic_prefix": "cgm"})
pub.publish_reading((864000, None, None, None, 11, "live"))   # the session's live reading: a sensor error
pub.publish_reading((864000 - 3600, None, 95, 0, 6, "backfill"))   # its backfill, an hour old
pub._expire_reading()
print(pub._state.get("cgm/reading_availability"), pub._stale())
"""


def test_mqtt_an_undated_backfill_is_not_shown_as_the_current_glucose():
    # after a power cut the board's clock is unset until NTP answers (the router's internet
    # comes back after the house's LAN): readings carry no date. A first session whose live
    # reading was a sensor error backfilled the hour before, and the publisher took that
    # backfill as 0 s old: Home Assistant showed an hour-old glucose, reading_availability
    # online, for 15 min. The app dates such a reading by the transmitter's clock against
    # the session's live one (main.py _take_reading); the publisher now does too.
    r = run_micropython(["-c", MQTT_UNDATED_BACKFILL], timeout=60)
    assert r.stdout.split() == ["offline", "True"], r.stdout + r.stderr

MQTT_LOOKUPS = """
from forward import names
from forward.mqtt import MqttPublisher

class Sock:
    SOCK_STREAM = 1
    calls = 0
    def getaddrinfo(self, host, port, *a):
        Sock.calls += 1
        return [(2, 1, 0, "", ("10.0.0.7", port))]
names.socket = Sock()
servers = []
class Client:
    def __init__(self, client_id, server, port, *a):
        servers.append(server)
    def set_last_will(self, *a, **k):
        pass
    def connect(self, timeout=None):
        raise OSError(113)  # the broker's host does not answer
    def disconnect(self):
        pass
pub = MqttPublisher({"host": "homeassistant.lan", "topic_prefix": "cgm"}, client_factory=Client)
for _ in range(5):  # reconnects with back-off
    try:
        pub._connect()
    except OSError:
        pass
print(Sock.calls, servers)
"""


def test_mqtt_reconnects_do_not_look_the_broker_up_each_time():
    # umqtt looks the server up at every connect: a blocking getaddrinfo while
    # a DNS server does not answer stalled the board at each reconnect
    r = run_micropython(["-c", MQTT_LOOKUPS], timeout=60)
    calls, servers = r.stdout.strip().split(" ", 1)
    assert calls == "1", r.stdout + r.stderr
    assert servers == str(["10.0.0.7"] * 5), r.stdout


_TIGHT_QUEUE = """
import json, os
from forward.nightscout import NightscoutUploader
from forward.queue import UploadQueue

class TightQueue(UploadQueue):
    def image(self):
        raise MemoryError("memory allocation failed, allocating 2709 bytes")

    def should_save(self, now_s):
        return True

logs = []
path = %r
q = TightQueue()
q.push((300, 1000300, 100, 0, 6, "live"))  # before: an empty queue is falsy ("queue or ...")
survived = []
up = NightscoutUploader({"url": "http://127.0.0.1:9", "secret": "0123456789abc", "lan": True},
                        queue=q, store_path=path, log=logs.append, on_memory=lambda: survived.append(1))
assert up.queue is q
try:
    import asyncio
    up._housekeeping()
    asyncio.run(up._save_if_due())
    raised = None
except MemoryError as e:
    raised = str(e)
print(json.dumps({"raised": raised, "logs": logs, "dirty": up.queue.dirty, "survived": len(survived),
                  "file": path.split("/")[-1] in os.listdir(path.rsplit("/", 1)[0])}))
"""


_FRAGMENTED = """
import gc, os
from app import fsutil
from forward.queue import UploadQueue
q = UploadQueue()
for i in range(q.capacity):
    q.push((300 * i, 1700000000 + 300 * i, 100 + i %% 50, 0))
r = UploadQueue()
path = %r
# fragment the heap: fill it with small blocks, then free every other one, so
# plenty is free but nothing near a full queue's 7.2 KB in one piece
blocks = [None] * 4000
n = 0
gc.collect()
while n < len(blocks) and gc.mem_free() > 3000:
    blocks[n] = bytearray(100)
    n += 1
for k in range(0, n, 2):
    blocks[k] = None
gc.collect()
out = {"free": gc.mem_free()}
for name, image in (("parts", q.image), ("copy", q.dumps)):
    try:
        fsutil.write_atomic(path, image())
        out[name] = "saved"
    except MemoryError:
        out[name] = "MemoryError"
    gc.collect()
fsutil.write_atomic(path, q.image())
try:
    with open(path, "rb") as f:
        r.load(f, os.stat(path)[6])
    out["load"] = "loaded"
except MemoryError:
    out["load"] = "MemoryError"
blocks = None
gc.collect()
out["same"] = r.entries() == q.entries()
print(out)
"""


def test_a_full_queue_is_saved_and_restored_on_a_fragmented_heap(tmp_path):
    # the 7.2 KB image was built at each save (every 5 min with readings
    # waiting) and read back whole after a reset: on a fragmented heap (the
    # memory bench at code + 90 KB: 60 KB free, no 3.7 KB block) saves failed
    # all night and a reset lost the queue
    r = run_micropython(["-c", _FRAGMENTED % str(tmp_path / "nsqueue.bin")], heap="256K")
    out = eval(r.stdout.strip().splitlines()[-1])
    assert out["free"] > 20000, out
    assert out["copy"] == "MemoryError", out     # the heap really has no such block
    assert out["parts"] == "saved" and out["load"] == "loaded" and out["same"], out


def test_queue_save_out_of_memory_keeps_the_uploader_running(tmp_path):
    """Found by tools/chaos.py (seed 14: a day-long Nightscout outage after a reset):
    on a fragmented heap q.dumps() raised MemoryError out of _housekeeping, which runs
    first in every loop, so the restarted task died again at once (1488 times in a
    day), nothing more was uploaded and `device` (task_nightscout) came and went.
    Saving the queue is retried later instead; the uploader goes on."""
    script = tmp_path / "tight_queue.py"
    script.write_text(_TIGHT_QUEUE % str(tmp_path / "nsqueue.bin"))
    out = json.loads(run_micropython([str(script)]).stdout.strip().splitlines()[-1])
    assert out["raised"] is None, out
    assert any("not saved" in line for line in out["logs"]), out
    assert out["dirty"] and not out["file"], out  # still due: the next round tries again
    # ... and the app hears of it (memory pressure: shed the forwarders when it
    # keeps happening; before, a day of upload MemoryErrors went uncounted)
    assert out["survived"] == 1, out


def test_a_follower_dates_fraction_dates_right_with_the_boards_single_precision_floats():
    # The ESP32's floats are 32-bit: a JSON date with a fraction (1767225900123.4) or
    # a Java double's exponent (1.7672259001234E12) parsed as a float is up to two
    # minutes off. CPython's json with every float rounded to 32 bits models the
    # board's parser (the float32 unix port: BOARD_AUDIT.md); the follower must date
    # the reading at its own second all the same, with or without a dateString.
    import struct
    from forward import follower

    class Float32Json:
        @staticmethod
        def loads(body):
            return json.loads(body, parse_float=lambda s: struct.unpack("f", struct.pack("f", float(s)))[0])

    t0 = 1767225600
    for date in ("1767225900123.4", "1.7672259001234E12", "1767226199999.5"):
        body = '[{"date": %s, "sgv": 120}, {"date": 1767225600000, "sgv": 118}]' % date
        real, follower.json = follower.json, Float32Json
        try:
            rows = follower.parse_entries(body)
        finally:
            follower.json = real
        want = (t0 + 300) if date != "1767226199999.5" else (t0 + 599)
        assert [r[0] for r in rows] == [t0, want], (date, rows)


def test_mqtt_text_that_is_not_ascii_reaches_the_broker(broker):
    # umqtt.simple sends len(str), a count of characters, as the byte length of
    # each string and packet: a topic, user or password with an umlaut (config.json
    # takes any text) made every packet malformed and the broker hung up, so MQTT
    # never worked (mqtt_unreachable after an hour). Sent as UTF-8 bytes now
    out, _ = mpy_json("mqtt_text.py", broker.port)
    st = out["states"]
    assert st.get("cgm_küche/glucose") == "126" and st.get("cgm_küche/link") == "connected", out
    assert st.get("cgm_küche/availability") == "online", out
    assert out["device_name"] == "Wecker Zoë", out


def test_mqtt_a_login_the_broker_refuses_for_10_min_is_told_as_refused(tmp_path):
    # a Home Assistant user whose password changed: mosquitto refuses the box's CONNECT
    # (CONNACK 5 for MQTT 3.1.1). Before: silent for an hour, then "mqtt_unreachable"
    import shutil
    import subprocess
    import time
    mosquitto, passwd = shutil.which("mosquitto") or "/usr/sbin/mosquitto", shutil.which("mosquitto_passwd")
    if not os.path.exists(mosquitto) or not passwd:
        pytest.skip("mosquitto and mosquitto_passwd are needed (a password file)")
    port = free_port()
    users, conf = str(tmp_path / "users"), str(tmp_path / "mosquitto.conf")
    subprocess.run([passwd, "-b", "-c", users, "box", "the-new-password"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import pwd
    with open(conf, "w") as f:   # (as root it would become user mosquitto, who cannot read tmp_path)
        f.write("user %s\nlistener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n"
                % (pwd.getpwuid(os.getuid()).pw_name, port, users))
    proc = subprocess.Popen([mosquitto, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("mosquitto did not start")
        out, _ = mpy_json("mqtt_refused.py", port, "the-new-password")
    finally:
        proc.terminate()
        proc.wait(10)
    assert out["connects_refused"] == 0, out
    assert out["why"] == "broker not authorized (CONNACK 5)", out
    # every attempt refused from 0 s: raised at the attempt at the 10 minutes' edge
    # (the back-off cut short), not at the hour, not as mqtt_unreachable; the new password
    # taken at the next attempt (the back-off 5 min by then) clears it
    assert [c[:3] for c in out["conds"]] == [["forwarding", "mqtt_auth", True],
                                             ["forwarding", "mqtt_auth", False]], out["conds"]
    assert 600 <= out["conds"][0][3] <= 605, out["conds"]
    assert 900 <= out["conds"][1][3] <= 900 + 305, out["conds"]
    assert out["connects"] >= 1, out["logs"][-12:]


def test_a_chunked_answer_is_read_without_its_chunk_sizes():
    # HTTP/1.1 lets a server answer chunked (Nightscout's /pebble does; a proxy in
    # front of a Nightscout may do it for any answer). Read raw, the answer began
    # with a chunk size, not "[": no upload ever counted as stored (the same batch
    # sent again forever, the queue growing) and a follower's parse failed
    out, _ = mpy_json("http_chunked.py", free_port())
    assert out["get"] == [200, "Tue, 14 Nov 2023 22:13:20 GMT", True], out
    assert out["cut"] == [200, True], out  # max_body still bounds it
    # an interim 103 (Early Hints, from a CDN in front of the server) is not the answer
    assert out["early"] == [200, "Tue, 14 Nov 2023 22:13:21 GMT", "[]"], out
    assert out["early_head"] == "Tue, 14 Nov 2023 22:13:21 GMT", out
    assert out["post"] == 200 and out["left"] == 0 and out["stored"] == 2, out


@pytest.mark.parametrize("kind, what", (("status", "status line"), ("header", "header line"),
                                        ("chunk", "chunk size line")))
def test_an_endless_head_line_is_refused_not_read_until_the_heap_is_full(kind, what):
    # the port's readline read a line whole: a server sending 200 KB without a
    # line end filled a 256 KB heap (MemoryError; on the box `device` memory and
    # the forwarders shed) before the timeout. Now an HttpError after 512 bytes
    out, _ = mpy_json("http_endless_line.py", free_port(), kind, heap="256K")
    assert out == {"result": "HttpError", "error": what + " too long", "sent_kb": out["sent_kb"]}, out


def test_two_boxes_on_one_broker_do_not_throw_each_other_off(broker):
    # the client id was mqtt.device_id ("bedside_cgm") on every box: a broker
    # closes the older connection of a client id that connects again (MQTT 3.1.1
    # 3.1.4), so a leader and a follower box with the same settings took turns
    # throwing each other off, each time with a last will "offline"
    out, _ = mpy_json("mqtt_two_boxes.py", broker.port)
    assert out["connects"] == [1, 1] and out["connected"] == [True, True], out


def test_mqtt_glucose_goes_unavailable_in_home_assistant_when_readings_stop():
    # Home Assistant showed the last glucose for ever once readings stopped (a
    # transmitter out of range, a box unplugged): a parent glancing at the
    # dashboard saw "120" hours old as the current value. Glucose and trend
    # expire after 15 min without an update (HA's expire_after), and a
    # reconnect does not send a stale glucose again, which would restart that;
    # their own retained availability says offline, also for an HA that restarts.
    out, _ = mpy_json("mqtt_stale.py")
    ex = out["expire"]
    assert ex["cgm/glucose"] == ex["cgm/glucose_mmol"] == ex["cgm/trend"] == 900, ex
    assert ex["cgm/alarm"] is None and ex["cgm/link"] is None, ex   # states, not readings
    glucose = ["cgm/glucose", "cgm/glucose_mmol", "cgm/trend"]
    assert out["fresh"] == sorted(glucose + ["cgm/alarm", "cgm/alarm_unanswered", "cgm/reading_availability"]), out
    assert out["at_14min"] == out["fresh"], out
    assert out["at_16min"] == ["cgm/alarm", "cgm/alarm_unanswered", "cgm/reading_availability"], out
    assert out["new_reading"] == out["fresh"], out
    assert out["glucose_payload"] == ["150", "150", None, "140"], out
    assert out["reading_payload"] == ["online", "online", "offline", "online"], out
    av = out["availability"]
    assert av["cgm/glucose"] == [{"topic": "cgm/availability"}, {"topic": "cgm/reading_availability"}], av
    assert av["cgm/alarm"] == "cgm/availability", av


def test_mqtt_boxes_with_their_own_topics_are_their_own_devices_in_home_assistant():
    out, _ = mpy_json("mqtt_two_topics.py")
    leader, follower, odd = out["cgm"], out["cgm_follower"], out["home/kids cgm"]
    # the default topic keeps the ids of every install so far
    assert leader["topics"][0] == "homeassistant/sensor/bedside_cgm/glucose/config", leader
    assert leader["ids"][0] == "bedside_cgm_glucose" and leader["names"] == ["Bedside CGM alarm"]
    assert out["bedside_cgm"]["ids"] == leader["ids"]      # the module's own default prefix
    for other in (follower, odd):
        assert not set(other["topics"]) & set(leader["topics"]), other
        assert not set(other["ids"]) & set(leader["ids"]), other
        assert other["names"] != leader["names"], other
    assert not set(follower["ids"]) & set(odd["ids"])
    assert follower["states"][0] == "cgm_follower/glucose"
    # Home Assistant's node and object ids: letters, digits, _ and - only
    node = odd["topics"][0].split("/")[2]
    assert node and all(c.isalnum() or c in "_-" for c in node), node
    # the client id keeps to the 23 bytes every MQTT 3.1.1 broker must take
    # (3.1.3.1), its own topic or not, and keeps the board's id that tells two
    # boxes apart. Before, "cgm_follower" made it 33 bytes: a broker may refuse it
    for name, box in out.items():
        cid = box["client_id"]
        assert 1 <= len(cid.encode()) <= 23 and cid.endswith("-c4123456"), (name, cid)


def test_a_chunked_body_is_read_by_its_chunks_or_refused():
    # a chunk must end with CRLF: before, the next chunk's size line was taken
    # for that CRLF and its data parsed as a size ("abc" is 2748), so the rest
    # of the answer, chunk sizes and all, came back as the body
    out, _ = mpy_json("http_dechunk_edges.py")
    assert out["ext_trailer"] == "hello0123456789", out
    assert out["cut_mid"] == "hel" and out["max_mid"] == "helloab", out
    assert out["no_crlf"].startswith("HttpError"), out


def test_a_reading_under_39_goes_out_as_dexcoms_low_not_as_an_error_code():
    # Nightscout takes an sgv under 39 for a Dexcom error code ("35??", a "CGM Error Code"
    # notice; its urgent-low alarm never fires, lib/plugins/errorcodes.js, simplealarms.js)
    # and so does a follower box (forward/follower.py MIN_SGV): a reading under 39 from the
    # transmitter reached a follower as no glucose at all while the leader sounded its
    # urgent low. It goes out as 39, Dexcom's "LOW" (under 40), as Dexcom Share sends it
    out = mpy_result(r'''
import json
from app import wiring
from forward import follower
from forward.entries import sgv_entry
rows = []
for sgv in (35, 38, 39, 40, 120, None):
    r = wiring._as_reading({"event": "reading", "dex_s": 1000, "unix_s": 1767225600, "sgv": sgv,
                            "trend": -20, "state": 6, "source": "live"})
    body = json.dumps([sgv_entry(r[1], r[2], r[3], "box")]).encode()
    rows.append([r[2]] + [e[2] for e in follower.parse_entries(body)])
print("RESULT " + json.dumps(rows))
''')
    assert out == [[39, 39], [39, 39], [39, 39], [40, 40], [120, 120], [None, None]], out


@pytest.mark.parametrize("prefix", ["cgm", "Überwachung-Schlafzimmer-Größe-Ärztin-Ölmühle-Straße-äöüÄÖÜßéèàê"])
def test_mqtt_everything_pending_after_connect_reaches_the_broker_through_the_boards_send_buffer(
        broker, prefix):
    # the ESP32's lwIP takes 5760 bytes and 16 segments (each write one) until the
    # broker's ACKs free them; after each CONNECT the box has discovery, its
    # availability and every state to send (2.9 KB, 7.3 KB with this topic, in 4 writes
    # each): written in one go, the 5th did not fit and every connection failed alike
    # (Home Assistant never got a reading; mqtt_unreachable after an hour)
    assert len(prefix) in (3, 64)
    out, _ = mpy_json("mqtt_sndbuf.py", broker.port, prefix)
    assert out["connects"] == 1 and out["discovery"] == 8, out
    st = out["states"]
    assert st["glucose"] == "126" and st["alarm_unanswered"] == "low", out
    assert st["availability"] == "online" and st["link"] == "connected", out
    if len(prefix) == 64:
        assert out["refused"] > 0, out    # the model refused a write: it waited for room
    # a broker that stopped reading (no ACKs): the connection ends, as before, and the
    # states get there once it reads again
    assert out["lost"] and "send buffer full" in out["lost"][0], out
    assert out["after"] == "back" and out["connected"], out


class MqttRecorder:
    """A test-side MQTT subscriber to `#`: every message the broker forwards, in order."""

    def __init__(self, port):
        import socket
        import struct
        import threading
        self.messages = []
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", 8) + b"recorder"
        self.s.sendall(bytes([0x10, len(body)]) + body)
        assert self.s.recv(4) == b"\x20\x02\x00\x00"
        self.s.sendall(b"\x82\x06\x00\x01\x00\x01#\x00")
        self.s.settimeout(None)
        self._buf = b""
        threading.Thread(target=self._read, daemon=True).start()

    def _take(self, n):
        while len(self._buf) < n:
            chunk = self.s.recv(4096)
            if not chunk:
                raise EOFError
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _read(self):
        try:
            while True:
                first = self._take(1)[0]
                n, shift = 0, 0
                while True:
                    d = self._take(1)[0]
                    n |= (d & 0x7F) << shift
                    shift += 7
                    if not d & 0x80:
                        break
                body = self._take(n)
                if first >> 4 == 3:
                    tl = int.from_bytes(body[:2], "big")
                    self.messages.append((body[2:2 + tl].decode(), body[2 + tl:].decode()))
        except (OSError, EOFError):
            pass

    def wait_for(self, message, times=1, timeout_s=30):
        """Until `message` (topic, payload) has come `times` times; False after timeout_s.
        A message the broker sends once it notices something (a last will: once it sees
        the connection gone) can come after the program that caused it has ended."""
        import time
        end = time.monotonic() + timeout_s
        while self.messages.count(message) < times:
            if time.monotonic() > end:
                return False
            time.sleep(0.01)
        return True

    def close(self):
        self.s.close()


def ha_view(messages, entity, since=0):
    """The states Home Assistant shows for a discovered sensor (its state topic and
    availability as this box's discovery gives them, availability_mode all), replayed
    over the messages: each shown value in order from messages[since] on, "unavailable" between."""
    cfg = {}
    for topic, payload in messages:
        if topic == "homeassistant/sensor/bedside_cgm/%s/config" % entity:
            cfg = json.loads(payload)
    avail = [a["topic"] for a in cfg.get("availability", [])] or [cfg["availability_topic"]]
    latest, shown = {}, []
    for i, (topic, payload) in enumerate(messages):
        latest[topic] = payload
        if i < since or topic != cfg["state_topic"] and topic not in avail:
            continue
        ok = all(latest.get(a) == "online" for a in avail)
        view = latest.get(cfg["state_topic"]) if ok else "unavailable"
        if not shown or shown[-1] != view:
            shown.append(view)
    return shown


def test_mqtt_a_box_back_never_shows_its_last_boots_states_as_current(broker):
    # Boot 1 published an urgent low (48, alarm and alarm_unanswered urgent_low) and died:
    # its last will made Home Assistant show them unavailable. Boot 2 (no reading, no
    # alarm yet) published `availability online` first and its own states only after:
    # for that moment the retained past glucose 48 (reading_availability still online
    # from boot 1) and the past boot's urgent low showed as current, and a state change
    # to them fires an automation (an "urgent low" notification from a box that has none).
    # Its first reading likewise: reading_availability online could go before the new glucose.
    rec = MqttRecorder(broker.port)
    try:
        out, _ = mpy_json("mqtt_boot_view.py", broker.port)
        # boot 2 ends with the program: the broker sends its will when it notices, which
        # on a loaded machine came after the program's end, and the recorder closed at
        # once missed it (and boot 2's last states). Both boots' wills, then the replay
        wills = rec.wait_for(("cgm/availability", "offline"), times=2)
    finally:
        rec.close()
    assert wills, rec.messages
    assert out["connects"] == [1, 1], out
    msgs = rec.messages
    died = msgs.index(("cgm/availability", "offline"))
    # (the last "unavailable": the program's end, its will)
    for entity, shown in (("glucose", ["unavailable", "130"]), ("trend", ["unavailable", "Flat"]),
                          ("alarm", ["unavailable", "none"]), ("alarm_unanswered", ["unavailable", "none"]),
                          ("link", ["unavailable", "starting"])):
        shown = shown + ["unavailable"]
        assert ha_view(msgs, entity, died) == shown, (entity, msgs[died:])
