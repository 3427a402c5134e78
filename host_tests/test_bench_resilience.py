"""The resilience bench (tools/bench_resilience.py): the functions that turn
event lines into its figures, on hand-made events with obvious answers, and
two short runs of the real firmware (an urgent low; a transmitter outage)."""
import os

import pytest

from conftest import SHARED
import bench_resilience as br
from alarms.engine import NO_DATA_GRACE_S

MIN = 60000


def ann(t, pattern, alarm=None):
    return {"event": "annunciator", "t_ms": t, "pattern": pattern, "alarm": alarm}


def reading(t_arrived, t_measured, source="live", sgv=100):
    return {"event": "reading", "t_ms": t_arrived, "sgv": sgv, "source": source,
            "dex_s": br.DEX0_S + t_measured // 1000}


def onset(t, typ, priority="medium"):
    return {"event": "alarm_onset", "t_ms": t, "type": typ, "priority": priority}


# --- the truth from the trace ------------------------------------------------------
def test_windows_follow_the_virtual_transmitter():
    values = [100, 90, 80, 70, 60, 50]
    # window k at 60 s + 5 min * k, value k of the trace from start_minute
    assert br.windows(values, 0, 11 * MIN) == [(60000, 100), (360000, 90), (660000, 80)]
    assert br.windows(values, 10, 6 * MIN) == [(60000, 80), (360000, 70)]


def test_low_episodes_are_runs_below_55():
    wins = [(0, 60), (1, 54), (2, 40), (3, 55), (4, 50), (5, None), (6, 30)]
    assert br.low_episodes(wins) == [(1, 2), (4, 4), (6, 6)]
    assert br.low_episodes([(0, 100), (1, 56)]) == []


def test_traces_are_picked_by_minutes_below_55(tmp_path):
    def trace(name, cgm):
        p = tmp_path / name
        p.write_text("minute,true_bg,cgm\n" + "".join(
            "%d,0,%s\n" % (5 * i, v) for i, v in enumerate(cgm)))
        return str(p)
    a = trace("a.csv", [100, 50, 50, 100])
    b = trace("b.csv", [54.6, 100, 100, 100])    # 54.6 rounds to 55: not below
    c = trace("c.csv", [50, 50, 50, 100])
    d = trace("d.csv", [100] * 288 + [40] * 10)  # its low is after the first day
    assert br.pick_traces([a, b, c, d], 2, 1) == [(15, c), (10, a)]
    assert br.pick_traces([a, b, c, d], 5, 1) == [(15, c), (10, a)]  # only traces with a low
    with pytest.raises(br.ResilienceError):
        br.pick_traces([b, d], 1, 1)


# --- urgent low to a high sound ----------------------------------------------------
def test_an_episode_sounded_after_30_s():
    tl = br.sound_timeline([ann(0, "off"), ann(100 * MIN + 30000, "high", "urgent_low")])
    r = br.urgent_low_to_sound([(100 * MIN, 110 * MIN)], tl, 200 * MIN)
    assert (r["median"], r["max"], r["n"], r["never"]) == (30.0, 30.0, 1, 0)
    assert r["sounded_by"] == {"urgent_low": 1}


def test_a_high_sound_already_on_counts_as_zero_and_medium_does_not_count():
    tl = br.sound_timeline([ann(0, "off"), ann(90 * MIN, "high", "urgent_low_soon"),
                            ann(150 * MIN, "medium", "low"), ann(160 * MIN, "off"),
                            ann(161 * MIN, "high", "low")])
    r = br.urgent_low_to_sound([(100 * MIN, 100 * MIN), (150 * MIN, 155 * MIN)], tl, 300 * MIN)
    assert r["latencies_s"] == [0.0, 660.0]
    assert r["never"] == 0


def test_an_episode_never_sounded():
    # medium only, then a high sound too late (after the last low window + 15 min)
    tl = br.sound_timeline([ann(0, "off"), ann(101 * MIN, "medium", "low"),
                            ann(126 * MIN, "high", "urgent_low")])
    r = br.urgent_low_to_sound([(100 * MIN, 110 * MIN)], tl, 300 * MIN)
    assert (r["n"], r["never"], r["never_at_ms"], r["median"]) == (0, 1, [100 * MIN], None)


def test_a_reset_silences_the_board_until_it_plays_again():
    events = [ann(0, "high", "urgent_low"), {"event": "reset", "t_ms": 100 * MIN},
              ann(100 * MIN, "selftest"), ann(100 * MIN + 1000, "high", "urgent_low")]
    r = br.urgent_low_to_sound([(100 * MIN, 100 * MIN)], br.sound_timeline(events), 300 * MIN)
    assert r["latencies_s"] == [1.0]
    assert br.resound_after_reset(events) == [1.0]
    assert br.resound_after_reset(events[:2]) == [None]  # never sounded again
    assert br.resound_after_reset([ann(0, "off"), events[1]]) == []  # nothing was sounding


def test_an_injected_annunciator_hang_counts_as_silence_until_it_plays_again():
    hang = {"event": "fault_injected", "what": "annunciator_stall", "t_ms": 100 * MIN}
    events = [ann(0, "high", "urgent_low"), hang, ann(100 * MIN + 9000, "high", "urgent_low")]
    tl = br.sound_timeline(events)
    assert tl[1] == (100 * MIN, "off", None)
    assert br.resound_after_reset(events) == [9.0]
    other = dict(hang, what="link_hang")  # another task's hang does not touch the sound
    assert br.sound_timeline([events[0], other]) == tl[:1]


def test_an_episode_at_the_end_of_the_run_is_not_judged():
    r = br.urgent_low_to_sound([(295 * MIN, 295 * MIN)], br.sound_timeline([ann(0, "off")]),
                               300 * MIN)
    assert (r["n"], r["never"]) == (0, 0)


# --- data stops: no_data -------------------------------------------------------------
def test_no_data_sounds_20_min_after_the_last_reading():
    events = [reading(MIN + 2000, MIN), reading(6 * MIN + 2000, 6 * MIN),
              onset(26 * MIN + 5000, "no_data"), ann(26 * MIN + 5000, "medium", "no_data"),
              ann(50 * MIN, "off"), reading(50 * MIN, 41 * MIN, "backfill"),
              reading(51 * MIN, 51 * MIN)]
    r = br.no_data_to_sound(events, br.sound_timeline(events), 60 * MIN)
    assert (r["median"], r["max"], r["n"], r["covered"], r["unsounded"]) == (1205.0, 1205.0, 1, 0, [])


def test_no_data_under_a_louder_alarm_is_covered_and_silence_is_unsounded():
    louder = [reading(MIN, MIN), ann(2 * MIN, "high", "urgent_low_soon"),
              onset(21 * MIN, "no_data"), reading(40 * MIN, 40 * MIN)]
    r = br.no_data_to_sound(louder, br.sound_timeline(louder), 60 * MIN)
    assert (r["n"], r["covered"], r["covered_onset_s"], r["unsounded"]) == (0, 1, [1200.0], [])
    silent = [reading(MIN, MIN), ann(2 * MIN, "off"), reading(40 * MIN, 40 * MIN)]
    r = br.no_data_to_sound(silent, br.sound_timeline(silent), 60 * MIN)
    assert r["unsounded"] == [{"from_ms": MIN, "to_ms": 40 * MIN, "silent": True}]
    # a short gap (20 min 30 s of arrival) with nothing: recorded, not a silent failure
    short = [reading(MIN, MIN), reading(21 * MIN + 30000, 21 * MIN)]
    r = br.no_data_to_sound(short, br.sound_timeline(short), 30 * MIN)
    assert r["unsounded"] == [{"from_ms": MIN, "to_ms": 21 * MIN + 30000, "silent": False}]


# --- silent stale minutes -------------------------------------------------------------
def test_a_stale_stretch_with_nothing_sounding_is_counted():
    events = [ann(0, "off"), reading(10 * MIN, 10 * MIN)]
    # newest reading at 10 min: stale (older than 25 min) from 35 min to the end at 60
    r = br.silent_stale(br.readings(events), br.sound_timeline(events), 60 * MIN)
    assert r == {"minutes": 25.0, "stretches": 1, "worst_stretch_s": 1500.0,
                 "worst_from_ms": 35 * MIN, "first_at_ms": 35 * MIN}


def test_a_stale_stretch_with_an_alarm_sounding_or_snoozed_is_not_counted():
    base = [ann(0, "off"), reading(10 * MIN, 10 * MIN)]
    for late in ([ann(30 * MIN, "medium", "no_data")], [ann(30 * MIN, "low", "high")]):
        ev = base + late
        assert br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN)["minutes"] == 0
    # snoozed / acknowledged by a person (a button press at 29 min): their choice, not silent
    for late in ([ann(30 * MIN, "snoozed", "no_data")], [ann(30 * MIN, "acknowledged", "no_data")]):
        ev = base + late
        assert br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN,
                               answered_ms=[29 * MIN])["minutes"] == 0


def test_a_snoozed_state_nobody_asked_for_is_silent():
    """The bench presses no button: an alarm shown as snoozed or acknowledged
    with no snooze / acknowledge event before it (e.g. a state restored wrongly
    after a reset) is silence nobody chose, and counts."""
    base = [ann(0, "off"), reading(10 * MIN, 10 * MIN)]
    for pattern in ("snoozed", "acknowledged"):
        ev = base + [ann(30 * MIN, pattern, "no_data")]
        r = br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN)
        assert (r["minutes"], r["first_at_ms"]) == (25.0, 35 * MIN), pattern
        assert br.figures(ev, [], 60 * MIN)["silent_stale_minutes"]["minutes"] == 25.0
        # a press after the alarm went quiet does not excuse the silence before it
        late = ev + [{"event": "alarm_snooze", "t_ms": 50 * MIN, "type": "no_data"}]
        assert br.figures(late, [], 60 * MIN)["silent_stale_minutes"]["minutes"] == 25.0
        pressed = base + [{"event": "alarm_ack" if pattern == "acknowledged" else "alarm_snooze",
                           "t_ms": 30 * MIN, "type": "no_data"}, ev[-1]]
        assert br.figures(pressed, [], 60 * MIN)["silent_stale_minutes"]["minutes"] == 0
    # the alarm stops at 50 min while the data is still old: 10 minutes (50..60)
    ev = base + [ann(30 * MIN, "medium", "no_data"), ann(50 * MIN, "off")]
    r = br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN)
    assert (r["minutes"], r["worst_from_ms"]) == (10.0, 50 * MIN)
    # an alarm that starts late: silent from 35 to 40 min
    ev = base + [ann(40 * MIN, "medium", "no_data")]
    r = br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN)
    assert (r["minutes"], r["worst_stretch_s"]) == (5.0, 300.0)


def test_a_reset_during_stale_data_is_silent_until_the_alarm_plays_again():
    ev = [ann(0, "off"), reading(10 * MIN, 10 * MIN), ann(30 * MIN, "medium", "no_data"),
          {"event": "reset", "t_ms": 40 * MIN}, ann(40 * MIN, "selftest"),
          ann(40 * MIN + 1000, "medium", "no_data")]
    r = br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN)
    assert (r["stretches"], r["worst_stretch_s"], r["first_at_ms"]) == (1, 1.0, 40 * MIN)


def test_an_old_backfill_does_not_freshen_and_a_new_reading_does():
    ev = [ann(0, "off"), reading(10 * MIN, 10 * MIN), reading(40 * MIN, 5 * MIN, "backfill"),
          reading(45 * MIN, 45 * MIN)]
    r = br.silent_stale(br.readings(ev), br.sound_timeline(ev), 60 * MIN)
    assert (r["minutes"], r["first_at_ms"]) == (10.0, 35 * MIN)  # 35..45


def test_before_the_first_reading_data_is_as_old_as_the_boot():
    r = br.silent_stale([], br.sound_timeline([ann(0, "off")]), 30 * MIN)
    assert (r["minutes"], r["first_at_ms"]) == (5.0, 25 * MIN)


# --- readings captured ----------------------------------------------------------------------
def test_readings_captured_counts_windows_live_or_backfill():
    wins = [(MIN, 100), (6 * MIN, 90), (11 * MIN, 80), (16 * MIN, 70), (21 * MIN, None),
            (26 * MIN, 60)]  # the last is within 10 min of the end: may be in flight
    ev = [reading(MIN + 1, MIN), reading(30 * MIN, 6 * MIN, "backfill"),
          reading(11 * MIN + 1, 11 * MIN), reading(11 * MIN + 2, 11 * MIN, "backfill")]
    r = br.readings_captured(wins, br.readings(ev), 30 * MIN)
    assert r == {"share": 0.75, "live_share": 0.5, "windows": 4}


# --- scenarios -------------------------------------------------------------------------
def test_the_scenarios_put_their_faults_on_the_lows_and_use_known_fault_names():
    from vtx import faults
    eps = [(600 * MIN, 620 * MIN), (1500 * MIN, 1510 * MIN)]
    sc = {name: (f, inj) for name, f, inj in br.scenarios(eps, 3 * 1440 * MIN)}
    assert set(sc) == {"clean", "radio_faults", "outage_1h", "outage_reset", "task_crash_reset",
                       "annunciator_hang", "annunciator_stall"}
    assert faults.parse(sc["radio_faults"][0]) == {"miss": 0.05, "cut": 0.02, "crc": 0.01,
                                                   "garbage": 0.01, "truncate": 0.01, "slow": 0.02}
    (t0, silent), (t1, back) = sc["outage_1h"][1]["faults_at_s"]
    assert t0 * 1000 < 600 * MIN < t1 * 1000 and t1 - t0 == 3600
    assert faults.parse(silent) == {"miss": 1.0} and faults.parse(back) == {}
    gap = sc["outage_reset"][1]
    (g0, silent), (g1, back) = gap["faults_at_s"]
    assert g1 - g0 == 3600 and g1 * 1000 < 600 * MIN - 2 * 3600000  # well before the low
    last = (g0 * 1000 - br.FIRST_WINDOW_MS) // br.WINDOW_MS * br.WINDOW_MS + br.FIRST_WINDOW_MS
    assert gap["reset_at_s"] * 1000 == last + 14 * MIN and faults.parse(silent) == {"miss": 1.0}
    crash = sc["task_crash_reset"][1]
    assert crash["task"] == "alarms" and crash["at_s"] * 1000 < 600 * MIN
    assert 1500 * MIN < crash["reset_at_s"] * 1000 < 1510 * MIN


# --- the real firmware, short runs ----------------------------------------------------------
def _traces():
    d = os.path.join(SHARED, "traces")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".csv"))


def _first_stretch(test):
    """(path, values, window index) of the first trace stretch passing test(values, i)."""
    for path in _traces():
        values = br.load_trace(path)
        for i in range(len(values) - 48):
            if test(values, i):
                return path, values, i
    raise AssertionError("no trace has the stretch this test needs")


def _run(name, path, values, start_index, hours, inject=None):
    end_ms = int(hours * 3600000)
    wins = br.windows(values, start_index * 5, end_ms)
    events, _ = br.simulate(path, hours / 24, "test-" + name, "", inject, start_minute=start_index * 5)
    return br.figures(events, wins, end_ms), events, wins


def test_real_firmware_sounds_an_urgent_low_and_is_never_silent_on_stale_data():
    # 3 h of the first trace with an urgent low, from 2 h before it
    path, values, i = _first_stretch(lambda v, i: i >= 24 and v[i] < br.URGENT_LOW)
    fig, events, wins = _run("low", path, values, i - 24, 3)
    assert br.low_episodes(wins)[0][0] == br.FIRST_WINDOW_MS + 24 * br.WINDOW_MS
    low = fig["urgent_low_to_sound_s"]
    assert low["n"] >= 1 and low["never"] == 0
    assert low["max"] <= 330  # at the latest with the reading that shows it (5 min + delivery)
    # the threshold alarm itself, even when a prediction sounded first: the data path's delay
    assert low["urgent_low_alarm_s"] and max(low["urgent_low_alarm_s"]) <= 330
    assert fig["silent_stale_minutes"]["minutes"] == 0
    assert fig["readings_captured"]["share"] == 1.0
    assert any(e["event"] == "alarm_onset" and e["type"] == "urgent_low" for e in events)


def test_real_firmware_sounds_no_data_when_the_transmitter_goes_silent():
    # 2 h in range (no glucose alarm to cover no_data); the transmitter silent from 30 to 90 min
    path, values, i = _first_stretch(lambda v, i: all(100 <= x <= 180 for x in v[i:i + 24]))
    fig, events, _ = _run("outage", path, values, i, 2,
                          {"faults_at_s": [[1800, "miss"], [5400, ""]]})
    nd = fig["no_data_to_sound_s"]
    assert nd["n"] == 1 and nd["unsounded"] == [] and nd["covered"] == 0
    # no_data_minutes 20 and the engine's grace for the reading due then, engine tick 5 s
    assert 1200 + NO_DATA_GRACE_S <= nd["median"] <= 1215 + NO_DATA_GRACE_S
    assert fig["silent_stale_minutes"]["minutes"] == 0
    assert fig["readings_captured"]["share"] == 1.0  # the hour comes back by backfill
    assert fig["readings_captured"]["live_share"] < 0.6
    assert any(e["event"] == "alarm_onset" and e["type"] == "no_data" for e in events)


def test_real_firmware_a_reset_in_a_data_gap_keeps_the_no_data_clock():
    # the transmitter silent from 30 to 90 min (last reading taken at 26 min); the board
    # resets 14 min after that reading, before no_data (20 min) or the link alarm (3
    # missed windows, ~15 min). Before the RTC record kept its save time: no_data 2040 s
    # after the reading instead of ~1200, and 4 min of 25-min-old data with nothing sounding.
    path, values, i = _first_stretch(lambda v, i: all(100 <= x <= 180 for x in v[i:i + 24]))
    last = br.FIRST_WINDOW_MS + 5 * br.WINDOW_MS  # the last window before 30 min
    fig, events, _ = _run("reset-in-gap", path, values, i, 2,
                          {"faults_at_s": [[1800, "miss"], [5400, ""]],
                           "reset_at_s": (last + 14 * MIN) / 1000})
    assert fig["resets"] == 1
    assert fig["silent_stale_minutes"]["minutes"] == 0
    assert fig["no_data_to_sound_s"]["max"] <= 1215 + NO_DATA_GRACE_S
