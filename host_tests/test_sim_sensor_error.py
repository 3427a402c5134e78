"""`make sim` through the sensor's temporary error (vtx mode `sensor_error`: state 0x12,
"temporary sensor issue", Dexcom's "sensor error, wait" of up to 3 h; helper-263's walk of
KNOWN_GAPS' "not walked on make sim"). The transmitter is heard in every window, its
sensor gives no glucose. The box says nothing for a blip, then `no_data` and the `sensor`
alarm (reason `error`) start together, 20 min and a minute's grace after the last reading:
one episode, which one long press holds SENSOR_HOLD_S (2 h), after which `no_data` sounds
again if there is still no glucose. The first reading back ends both, and the night's
glucose alarms come no later than they would."""
import pytest

from test_device import onsets, sim

ERROR_FROM_S = 1800
LOW_SOON_S = 9662     # the default night's urgent_low_soon (test_sim_flash_refuses.py)
NO_DATA_S = 20 * 60   # alarms.settings no_data_minutes
GRACE_S = 60          # alarms.engine NO_DATA_GRACE_S
HOLD_S = 7200         # alarms.engine SENSOR_HOLD_S
WINDOW_S = 300


def _readings(ev):
    return [e for e in ev if e["event"] == "reading" and e["source"] == "live" and e.get("sgv")]


def _error_episode(ev, until_s):
    """The last reading before the error; no_data's and the sensor error's onsets."""
    last = [e for e in _readings(ev) if e["t_ms"] < ERROR_FROM_S * 1000 + WINDOW_S * 1000][-1]
    nd, sensor = onsets(ev, "no_data"), onsets(ev, "sensor")
    assert [s["reason"] for s in sensor] == ["error"], sensor
    due = last["t_ms"] + (NO_DATA_S + GRACE_S) * 1000
    assert nd and due <= nd[0]["t_ms"] <= due + 5000, (last, nd)
    assert abs(sensor[0]["t_ms"] - nd[0]["t_ms"]) <= 1000, (nd, sensor)
    # nothing else starts while the transmitter says its sensor errs
    others = [e for e in onsets(ev) if e["type"] not in ("no_data", "sensor")
              and ERROR_FROM_S * 1000 <= e["t_ms"] < until_s * 1000]
    assert others == [], others
    return nd, sensor


def _cleared_at_first_reading(ev, kind, until_s):
    back = [e for e in _readings(ev) if e["t_ms"] > until_s * 1000][0]
    assert back["t_ms"] <= (until_s + WINDOW_S + 60) * 1000, back
    clear = [e for e in ev if e["event"] == "alarm_clear" and e["type"] == kind]
    assert len(clear) == 1 and abs(clear[0]["t_ms"] - back["t_ms"]) <= 1000, (kind, clear, back)


@pytest.mark.parametrize("mode", ("sensor_error", "excess_noise"))   # states 0x12 and 0x03
def test_a_sensor_error_sounds_no_data_and_says_error_then_ends_with_the_first_reading(tmp_path, mode):
    until_s = 7200
    ev, _ = sim(tmp_path, 2.75, inject={"faults_at_s": [[ERROR_FROM_S, mode], [until_s, ""]]})
    states = [e["kind"] for e in ev if e["event"] == "link" and e.get("what") == "sensor_state"]
    assert states == ["ok", "noise", "ok"], states
    nd, sensor = _error_episode(ev, until_s)
    assert len(nd) == 1 and len(sensor) == 1, (nd, sensor)   # one episode, nobody pressing
    for kind in ("no_data", "sensor"):
        _cleared_at_first_reading(ev, kind, until_s)
    # the night's predicted urgent low no later than without the error (the predictor starts
    # again after the gap, alarms.predict _RESET_GAP_S: in this night one reading sooner)
    low = onsets(ev, "urgent_low_soon")
    assert low and until_s * 1000 < low[0]["t_ms"] <= LOW_SOON_S * 1000 + 5000, low


def test_one_long_press_holds_a_sensor_error_for_two_hours_then_no_data_sounds_again(tmp_path):
    until_s = 12000   # the error outlasts the hold; readings come back into the night's urgent low
    ev, _ = sim(tmp_path, 3.4, inject={"faults_at_s": [[ERROR_FROM_S, "sensor_error"], [until_s, ""]],
                                       "button_held": [[2900, 2.0]]})
    nd, sensor = _error_episode(ev, until_s)
    acks = [e for e in ev if e["event"] == "alarm_ack"]
    assert sorted(a["type"] for a in acks) == ["no_data", "sensor"], acks
    pressed = acks[0]["t_ms"]
    # silent through the hold: nothing sounds again, no step louder
    loud = [e for e in ev if e["event"] in ("alarm_onset", "alarm_escalate")
            and pressed < e["t_ms"] < pressed + HOLD_S * 1000]
    assert loud == [], loud
    # then no_data again (the sensor alarm stays answered), before the hold's end + a minute
    assert len(nd) == 2 and pressed + HOLD_S * 1000 <= nd[1]["t_ms"] <= pressed + (HOLD_S + 60) * 1000, nd
    assert len(sensor) == 1, sensor
    for kind in ("no_data", "sensor"):
        _cleared_at_first_reading(ev, kind, until_s)
    assert onsets(ev, "urgent_low"), "readings back at 54 mg/dL: the urgent low"
