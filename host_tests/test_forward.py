"""Forwarding on MicroPython: Nightscout uploader (outage, bad secret, hanging
server, restart), Wi-Fi keeper, time sync, MQTT against a real broker, LAN API.
The firmware runs on the unix port with the virtual clock; servers are real
sockets on loopback (tools/nsserver.py, mosquitto or amqtt)."""
import json
import os

import pytest

from conftest import run_micropython
from nsserver import NsServer

SECRET = "0123456789abcdef"
PROG = "host_tests/forward_mpy/"


def mpy_json(prog, *args, heap="512K"):
    r = run_micropython([PROG + prog] + [str(a) for a in args], heap=heap, timeout=120)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert lines, r.stdout + r.stderr
    return json.loads(lines[-1]), r.stdout


@pytest.fixture
def ns():
    s = NsServer(secret=SECRET, bad_delay_s=0.002)
    yield s
    s.close()


def test_outage_every_reading_once_in_order(ns):
    out, _ = mpy_json("ns_scenarios.py", "outage", ns.port, ns.control_port)
    assert out["queued_during_outage"] >= 11, out  # the hour down piled up
    assert out["stored"] == out["sent"] == 36, out
    assert out["unique"] and out["dates_in_order"], out
    assert out["queue_left"] == 0
    # server-side: each {sysTime, type} posted once (no retry of a stored batch)
    assert out["posts_max"] == 1, out
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
    assert out["handled"] == 48
    # the alarm stand-in handles each reading as fast as without forwarding
    assert out["lat_p99_ms"] < max(20.0, 5 * out["base_p99_ms"]), out
    assert out["stats"]["failures"] >= 3  # it did hang on the server
    assert ["forwarding", "nightscout_unreachable", True] in out["conds"]
    assert out["stored"] == 24 and out["unique"] and out["dates_in_order"], out  # and recovered


def test_queue_survives_restart(ns, tmp_path):
    path = str(tmp_path / "nsqueue.bin")
    first, _ = mpy_json("ns_scenarios.py", "persist1", ns.port, ns.control_port, path)
    assert first["queued"] == 24
    # written sparingly: at most every 30 min, so the file may lag a little
    assert 18 <= first["saved_entries"] <= 24, first
    assert not os.path.exists(path + ".tmp")
    second, _ = mpy_json("ns_scenarios.py", "persist2", ns.port, ns.control_port, path)
    assert second["restored"] == first["saved_entries"]
    assert second["stored"] == first["saved_entries"] and second["dates_in_order"]
