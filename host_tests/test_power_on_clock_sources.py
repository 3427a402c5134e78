"""After a power cut the transmitter's kept activation (app/txclock.py) gives the time of
day back; a time server's one answer given to the unset clock first (NTP's first answer,
which the power-on asks before the transmitter's next wake-up; a Nightscout's Date) must
not throw it (review of session 59, helper-289), on the whole firmware (tools/chaos.py
worlds: the real App on MicroPython, the virtual transmitter, the Nightscout stand-in, the
real ntptime talking to an NTP stand-in)."""
import pytest

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


# (helper-289, helper-291's item; helper-293) A time server that stays wrong. NTP answers
# right, then from minute 20 on 13 years ahead (a router's broken time service): at the 6-h
# resync its two answers moved the box to 2040, the readings after it were dated (and posted)
# so, and nothing said so. One a few hours off moved the clock as silently.
YEARS_13 = (13 * 365 + 3) * 86400
RESYNC_MIN = 360
MORNING_MIN = 1140   # past the next 11:00 (the steps come at 22:33): a notice owed to the morning


def _steady_world(off_s, minutes=RESYNC_MIN + 60, **inject):
    w = _world(minutes, ntp_script=[[0, "true", 0], [20 * 60, "off", off_s]], **inject)
    w["inject"].pop("more_power_cuts_at_s")
    return w


def _clock_off_after(events, from_min):
    """{round(seconds the board's clock is off the world's)} of the clock samples from from_min."""
    epoch = chaos.world_epoch(events)
    return {round(e["wall_s"] - epoch - e["t_ms"] / 1000.0) for e in events
            if e["event"] == "clock" and e["t_ms"] >= from_min * MIN and e.get("wall_s")}


def _device_notices(events):
    return [(e["t_ms"] // MIN, e.get("reason")) for e in events
            if e["event"] in ("alarm_onset", "alarm_update") and e.get("type") == "device"]


def _in_day(wall_s):
    return 8 * 60 <= int(wall_s) // 60 % 1440 < 21 * 60


def _walls(events, from_min):
    """[(minute, the board's wall clock s)] of the clock samples from from_min."""
    return [(e["t_ms"] // MIN, e["wall_s"]) for e in events
            if e["event"] == "clock" and e["t_ms"] >= from_min * MIN and e.get("wall_s")]


def test_an_ntp_that_stays_13_years_ahead_does_not_move_a_clock_the_transmitter_vouches_for():
    events, console, error, _ = chaos.run_world(_steady_world(YEARS_13, minutes=MORNING_MIN))
    assert error is None, error
    asked = [e["t_ms"] // MIN for e in events if e["event"] == "ntp" and e["kind"] == "off"]
    assert len(asked) >= 2, asked
    off = _clock_off_after(events, asked[-1] + 1)
    assert off and max(abs(o) for o in off) <= 3, "the clock after NTP's answers 13 y ahead: %s" % sorted(off)[:5]
    assert "but the transmitter's clock agrees with the box's: not taken" in console, console[-2000:]
    # told in the family's day (08:00-21:00 on the box's clock, UTC here; the host's clock
    # sets the hour: the world starts on today's, so either branch may run), at night owed to
    # the morning: told at 08:00, once, the dispute lasting (the log says it either way)
    wall = _walls(events, asked[1])[0][1]
    told = [n for n in _device_notices(events) if n[1] == "time_disputed"]
    if _in_day(wall):
        assert told == [(asked[1], "time_disputed")], told
    else:
        morning = [m for m, w in _walls(events, asked[1]) if _in_day(w)][0]
        assert len(told) == 1 and abs(told[0][0] - morning) <= 1, (morning, told)


@pytest.mark.parametrize("hours", [-3, 3])
def test_an_ntp_that_stays_hours_off_moves_the_clock_and_says_so(hours):
    # a step under a day is taken (the box cannot tell a server put right from one gone
    # wrong; a kept activation wrong by up to an hour, a portal's clock, are put right so),
    # but said: the log by how much, and the `device` notice time_changed, in the family's
    # day at once, at night owed to the morning (news, no danger). This world's steps come at
    # 22:35 UTC: night on the clock the family lived by, judged so though the -3 h lands at
    # 19:35 (before, told at once by the new clock) and the +3 h at 01:35 (before, never
    # told). Told once, at 08:00 on both clocks, the later: the box's 08:00 after -3 h, its
    # 11:00 (the old clock's 08:00) after +3 h
    off_s = hours * 3600
    # on the trace's calendar from 16:30 UTC (whatever the host's clock: a world with a
    # Nightscout starts on today's otherwise, and the steps' hour moved with the time the
    # tests ran: failing when run between about 02:00 and 15:00 UTC), NTP's answers 6 h 5 min in at 22:35
    w = _steady_world(off_s, minutes=MORNING_MIN, calendar=True)
    w["start"] = 16 * 60 + 30
    events, console, error, _ = chaos.run_world(w)

    assert error is None, error
    asked = [e["t_ms"] // MIN for e in events if e["event"] == "ntp" and e["kind"] == "off"]
    assert len(asked) >= 2, asked
    assert _clock_off_after(events, asked[1] + 1) <= {off_s - 1, off_s, off_s + 1}
    assert "time: set from ntp: the clock moved %+d s" % off_s in console or \
        "time: set from ntp: the clock moved %+d s" % (off_s - 1) in console, console[-2000:]
    before = [w for m, w in _walls(events, 0) if m < asked[1]][-1]
    assert not _in_day(before), "the step's local minute moved: %d" % (int(before) // 60 % 1440)
    morning = [m for m, w in _walls(events, asked[1] + 1) if _in_day(w) and _in_day(w - off_s)][0]
    notices = [n for n in _device_notices(events) if n[1] in ("time_changed", "time_disputed")]
    assert len(notices) == 1 and notices[0][1] == "time_changed" and abs(notices[0][0] - morning) <= 1, \
        (morning, notices)


def test_an_ntp_13_years_ahead_at_a_power_on_does_not_move_the_transmitters_time():
    # the power cut inside the wrong span: the power-on asks at once; the transmitter's time is
    # taken over the lone answer (session 59), then NTP's next two answers moved it to 2040
    w = _world(60, ntp_script=[[0, "true", 0], [CUT_MIN * 60 - 60, "off", YEARS_13]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    on = CUT_MIN + OFF_MIN
    asked = [e["t_ms"] // MIN for e in events if e["event"] == "ntp" and e["kind"] == "off" and e["t_ms"] > on * MIN]
    assert len(asked) >= 3, asked
    off = _clock_off_after(events, asked[2] + 1)
    assert off and max(abs(o) for o in off) <= 3, "the clock after NTP's answers 13 y ahead: %s" % sorted(off)[:5]
    assert _misdated_after_power_on(events) == []
