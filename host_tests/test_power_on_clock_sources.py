"""After a power cut the transmitter's kept activation (app/txclock.py) gives the time of
day back; a time server's one answer given to the unset clock first (NTP's first answer,
which the power-on asks before the transmitter's next wake-up; a Nightscout's Date) must
not throw it (review of session 59, helper-289), on the whole firmware (tools/chaos.py
worlds: the real App on MicroPython, the virtual transmitter, the Nightscout stand-in, the
real ntptime talking to an NTP stand-in)."""
import chaos

MIN = 60000
CUT_MIN, OFF_MIN = 30, 10


def _world(minutes, **inject):
    w = chaos.draw_world(3, minutes / 1440.0)
    inject = dict(inject, clock_sample_s=60, dns_names={"unused.example": [[0, "127.0.0.1"]]},
                  more_power_cuts_at_s=[[CUT_MIN * 60, OFF_MIN * 60]])
    w.update(radio={}, faults="", silent=[], modes=[], absence=None, forward={"nightscout": "ok"},
             inject=inject, follower=None)
    w.update(trace="traces/adolescent_003.csv", start=1260, broken=None, tz=None, generation="")
    w["config"] = {"transmitter_id": w["tx_id"], "board": "esp32-devkitc", "lan_api": {"enabled": False}}
    for k in ("https25", "mqtt17", "adv_interval_ms"):
        w.pop(k, None)
    chaos._retime(w)
    return w


def _misdated_after_power_on(events):
    """(minute, source, seconds off) of the readings after the power-on not dated by the
    transmitter's activation as the good clock before the cut knew it."""
    reads = [e for e in events if e["event"] == "reading" and e.get("sgv") is not None
             and e.get("unix_s") is not None]
    before = {int(e["unix_s"]) - e["dex_s"] for e in reads if e["t_ms"] < CUT_MIN * MIN}
    assert before, "no dated reading before the cut"
    act = min(before)
    on = (CUT_MIN + OFF_MIN) * MIN
    after = [e for e in reads if e["t_ms"] > on]
    assert after, "no reading after the power-on"
    return [(e["t_ms"] // MIN, e["source"], int(e["unix_s"]) - e["dex_s"] - act) for e in after
            if abs(int(e["unix_s"]) - e["dex_s"] - act) > 3]


def test_a_wrong_first_ntp_answer_at_the_power_on_does_not_beat_the_kept_activation():
    # NTP answers 3 h ahead once, as the box powers on (a router's time service not synced
    # yet), then right. The power-on asked NTP before the transmitter's wake-up: the unset
    # clock took the one answer, the transmitter's session then rewrote the kept activation
    # by it, and its live reading and 3-h backfill (38) went to Nightscout 3 h ahead: 20 of
    # them stayed there dated in the future (a Nightscout follower's "current" value for
    # 3 h, through an urgent low), the clock itself put right only 10 min later.
    w = _world(60, ntp_script=[[0, "true", 0], [CUT_MIN * 60, "none", 0],
                               [(CUT_MIN + OFF_MIN) * 60 - 60, "off", 10800],
                               [(CUT_MIN + OFF_MIN) * 60 + 120, "true", 0]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert any(e["event"] == "ntp" and e["kind"] == "off" for e in events), "NTP's wrong answer was never asked"
    bad = _misdated_after_power_on(events)
    assert bad == [], "%d readings after the power-on dated off the kept activation: %s" % (len(bad), bad[:5])


def test_a_nightscout_date_hours_off_at_the_power_on_does_not_beat_the_kept_activation():
    # NTP silent after the cut; the family's Nightscout's clock is 3 h ahead (its Date was
    # ignored while NTP had set the box's). The router was off the 15 min before the cut:
    # readings wait on flash. At the power-on the answer to their post set the unset clock
    # by its Date, the transmitter's session
    # rewrote the kept activation, and every reading after it went to Nightscout 3 h ahead,
    # the schedules 3 h off with them, for good (and later power cuts give that time back).
    w = _world(60, ntp_script=[[0, "true", 0], [CUT_MIN * 60, "none", 0]],
               ns_date=[[0, "off", 10800]], wifi_down_at_s=[[15 * 60, CUT_MIN * 60]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert "readings restored from" in console and any(
        e["event"] == "ns_date" and e["t_ms"] > CUT_MIN * MIN for e in events), "no Date after the power-on"
    bad = _misdated_after_power_on(events)
    assert bad == [], "%d readings after the power-on dated off the kept activation: %s" % (len(bad), bad[:5])
