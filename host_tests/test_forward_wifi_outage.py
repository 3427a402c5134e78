"""The forwarders through a long Wi-Fi outage (host_tests/forward_mpy/wifi_outage.py,
on MicroPython): found by the chaos soak's router outages (tools/chaos.py)."""
import json

from conftest import run_micropython, free_port


def test_wifi_outage_raises_forwarding_and_keeps_the_queue(ns, tmp_path):
    path = str(tmp_path / "nsqueue.bin")
    r = run_micropython(["host_tests/forward_mpy/wifi_outage.py", str(ns.port), str(ns.control_port),
                         str(free_port()), path], heap="512K", timeout=120)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert lines, r.stdout + r.stderr
    out = json.loads(lines[-1])
    down = out["t_down"]
    raised = {n: t for n, a, t in out["conds"] if a}
    # readings waiting an hour with no upload: unreachable, whatever the cause (README)
    assert "nightscout_unreachable" in raised, out
    assert down + 3600 - 120 <= raised["nightscout_unreachable"] <= down + 3600 + 120, out
    # the broker was never reached: an hour after the publisher started
    assert "mqtt_unreachable" in raised, out
    assert raised["mqtt_unreachable"] <= out["mqtt_started"] + 3600 + 120, out
    # the queue was written to flash during the outage ("within 5 min of a change")
    assert out["queued_during_outage"] >= 23, out
    assert out["saved_bytes"] >= 8 + 12 * (out["queued_during_outage"] - 1), out
    # back up: everything delivered, unreachable cleared
    assert out["stored"] == 46 and out["queue_left"] == 0, out
    assert ["nightscout_unreachable", False] in [c[:2] for c in out["conds"]], out
