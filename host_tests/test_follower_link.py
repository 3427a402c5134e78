"""Follower mode on the MicroPython unix port: a leader box (the real LAN API)
and a follower box (forward.follower + its own alarm engine) on the virtual
clock; the link is cut at minute 90 and restored at minute 130
(host_tests/follow_mpy/leader_follower.py)."""
import json

from conftest import run_micropython, free_port




def test_follower_alarms_locally_and_raises_link_when_the_leader_goes_silent():
    r = run_micropython(["host_tests/follow_mpy/leader_follower.py", str(free_port())],
                        timeout=180)
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
    assert silent_off and 130 <= silent_off[0] <= 133
    clears = [a for a in out["alarms"] if a[1] == "alarm_clear" and a[2] == "link"]
    assert clears and clears[0][0] == silent_off[0]
    assert out["status"]["silent"] is False and out["status"]["last_error"] is None
