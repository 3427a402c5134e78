# tools/sim.py draws the box's alarm thresholds on build/sim.png: the ones the box
# runs on (CONFIG's alarm settings, else the defaults), not fixed numbers (it drew
# "high 180" while the high alarm sounds above 250).
import json
import os
import sys

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import sim  # noqa: E402


def test_the_plot_draws_the_default_thresholds_without_a_config():
    assert sim.thresholds({}) == (55, 70, 250)


def test_the_plot_draws_the_configured_thresholds(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"alarms": {"urgent_low": 60, "low": 85, "high": 200}}))
    assert sim.thresholds({"config": str(cfg)}) == (60, 85, 200)


def test_wrong_or_unreadable_settings_draw_what_the_box_runs_on(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"alarms": {"low": 40, "high": 220}}))   # low out of range
    assert sim.thresholds({"config": str(cfg)}) == (55, 70, 220)
    cfg.write_text("{not json")
    assert sim.thresholds({"config": str(cfg)}) == (55, 70, 250)
    assert sim.thresholds({"config": str(tmp_path / "absent.json")}) == (55, 70, 250)


def test_a_night_schedule_draws_the_thresholds_the_box_runs_at_each_minute(tmp_path):
    # a night entry (low 85, high 200 from 22:00 to 07:00) was drawn as the day's 70 and 250
    # all night: a night high of 214 sat under the plotted line it sounded above
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"alarms": {"schedule": [
        {"start": 22 * 60, "end": 7 * 60, "low": 85, "high": 200}]}}))
    o = {"config": str(cfg)}
    assert sim.thresholds(o, 21 * 60 + 59) == (55, 70, 250)
    assert sim.thresholds(o, 22 * 60) == (55, 85, 200)
    assert sim.thresholds(o, 3 * 60) == (55, 85, 200)
    assert sim.thresholds(o, 7 * 60) == (55, 70, 250)
    hours, lines = sim.threshold_lines(o, 21.5, 22.5)
    assert lines[hours.index(21.75)] == (55, 70, 250) and lines[hours.index(22.25)] == (55, 85, 200)
    # no schedule: one line each, as before
    assert sim.threshold_lines({}, 21.5, 22.5) == (None, [(55, 70, 250)])


def test_the_status_line_follows_an_alarms_priority_as_its_events_tell_it():
    # helper-167: the line kept the onset's priority, so "sensor(medium)" stood while the
    # alarm had gone one priority up, or stepped down to a low notice when its problem ended
    v = sim.View({"start": 0})
    v.take({"event": "alarm_onset", "t_ms": 0, "type": "sensor", "priority": "medium"})
    v.take({"event": "alarm_escalate", "t_ms": 1, "type": "sensor", "priority": "high"})
    assert v.active == {"sensor": "high"}
    v.take({"event": "alarm_update", "t_ms": 2, "type": "sensor", "priority": "low"})
    assert v.active == {"sensor": "low"}
    v.take({"event": "alarm_escalate", "t_ms": 3, "type": "link", "priority": "high"})  # (none active)
    v.take({"event": "alarm_clear", "t_ms": 4, "type": "sensor", "priority": "low"})
    assert v.active == {}


def _night_box(tmp_path, **zone):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps(dict(zone, alarms={"schedule": [
        {"start": 22 * 60, "end": 30, "high": 200}]})))
    return {"config": str(cfg)}


def test_the_plot_draws_a_schedule_at_the_boxs_local_time_not_the_traces_utc(tmp_path):
    # the plot's clock is the trace's (its minute 0 is 2026-01-01 00:00 UTC, the board's wall
    # clock); a box at UTC+2 runs its night from 20:00 to 22:30 on that clock. The plot took
    # the trace's minute for the local one and drew the night 2 h late
    hours, lines = sim.threshold_lines(_night_box(tmp_path, utc_offset_min=120), 19.5, 23)
    assert lines[hours.index(20.5)][2] == 200 and lines[hours.index(22.75)][2] == 250


def test_the_plot_holds_a_schedule_through_the_hour_the_clocks_go_back(tmp_path):
    # Havana (a tz rule) on 2026-11-01: 01:00 CDT (05:00 UTC) becomes 00:00 CST. The night to
    # 00:30 ends at 00:30 CDT (04:30 UTC) and, as the box runs it (alarms.engine REPLAY_MIN),
    # does not come back from 00:00 to 00:30 CST (05:00-05:30 UTC)
    box = _night_box(tmp_path, tz="CST5CDT,M3.2.0/0,M11.1.0/1")
    change_h = (1793509200 - sim.TRACE_EPOCH) / 3600    # 2026-11-01 05:00 UTC
    hours, lines = sim.threshold_lines(box, change_h - 4, change_h + 2)
    at = lambda h: lines[hours.index(h)][2]
    assert [at(change_h - 3.25), at(change_h - 2.75), at(change_h - 0.75), at(change_h - 0.25)] == [250, 200, 200, 250]
    assert [at(change_h + 0.25), at(change_h + 0.75)] == [250, 250]
