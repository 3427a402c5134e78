"""The alarm benchmark's scorer on tiny hand-made traces with obvious figures."""
from alarmbench import score, traces


def onset(t, kind="low"):
    return {"t": t, "type": kind, "priority": "medium", "sgv": 0}


def trace(values, ref=None):
    return traces.from_values(values, ref=ref)


def flat_then(below, n_below, pre=24, post=24, level=120):
    """`pre` readings at level, n_below readings at `below`, `post` at level."""
    return [level] * pre + [below] * n_below + [level] * post


def test_one_event_warned_20_minutes_before():
    tr = trace(flat_then(60, 6))          # event starts at minute 120
    fig = score.score([(tr, [onset(100)])])
    assert fig["low_events"] == 1 and fig["urgent_events"] == 0
    assert fig["low_sensitivity"] == 1.0
    assert fig["low_median_lead"] == 20
    assert fig["urgent_sensitivity"] is None          # no urgent event at all
    assert fig["precision"] == 1.0                    # reading < 70 at 120 <= 100 + 30
    assert fig["false_onsets_per_day"] == 0


def test_false_alarm():
    tr = trace([120] * 288)               # one day, never low
    fig = score.score([(tr, [onset(500)])])
    assert fig["low_events"] == 0 and fig["low_sensitivity"] is None
    assert fig["precision"] == 0.0
    assert fig["false_onsets"] == 1
    assert fig["false_onsets_per_day"] == 1.0 and fig["onsets_per_day"] == 1.0


def test_per_day_rates_count_covered_time_not_gaps():
    # A day of readings, 14 days without, a day of readings: 2 days covered.
    # Counted first row to last (16 days), a bench of other people's traces with
    # such gaps gave onsets and false onsets per day 8 (here) to 80 times too low.
    tr = trace([120] * 288 + [None] * (14 * 288) + [120] * 288)
    assert tr.days() == 2.0
    fig = score.score([(tr, [onset(500)])])
    assert fig["false_onsets_per_day"] == 0.5 and fig["onsets_per_day"] == 0.5 and fig["days"] == 2.0
    # a gap of 2 hours is covered (missing readings, not absence); over 2 hours it is not
    assert trace([120] * 12 + [None] * 23 + [120] * 12).days() * 1440 == 55 + 120 + 55 + 5
    assert trace([120] * 12 + [None] * 24 + [120] * 12).days() * 1440 == 55 + 5 + 55 + 5
    # rows with neither a cgm nor a reference are no reading: not covered at the ends either
    rows = traces.Trace("t", [0, 5, 10, 15, 20], [None, 100, 100, None, None],
                        [None, 100, 100, None, None])
    assert rows.days() * 1440 == 10
    assert traces.Trace("t", [], [], []).days() == 0.0


def test_precision_horizon_is_30_minutes():
    tr = trace(flat_then(60, 6))          # first reading < 70 at minute 120
    assert score.score([(tr, [onset(90)])])["precision"] == 1.0
    assert score.score([(tr, [onset(85)])])["precision"] == 0.0


def test_short_dip_is_no_event():
    assert score.events(trace(flat_then(60, 2)).reference(), 70) == []
    assert score.events(trace(flat_then(60, 3)).reference(), 70) == [(120, 130)]


def test_events_closer_than_30_minutes_above_merge():
    vals = [120] * 24 + [60] * 4 + [120] * 5 + [60] * 4 + [120] * 24   # 25 min above
    assert score.events(trace(vals).reference(), 70) == [(120, 180)]
    fig = score.score([(trace(vals), [onset(110), onset(160)])])
    assert fig["low_events"] == 1 and fig["low_median_lead"] == 10


def test_events_30_minutes_apart_are_separate():
    vals = [120] * 24 + [60] * 4 + [120] * 6 + [60] * 4 + [120] * 24   # 30 min above
    assert score.events(trace(vals).reference(), 70) == [(120, 135), (170, 185)]
    fig = score.score([(trace(vals), [onset(105)])])   # window of the 2nd: [110, 185]
    assert fig["low_events"] == 2 and fig["low_sensitivity"] == 0.5


def test_short_dip_between_events_prevents_separation():
    # 20 min above, 5-min dip, 20 min above: no 30-minute stretch above -> one event
    vals = [120] * 24 + [60] * 4 + [120] * 4 + [60] + [120] * 4 + [60] * 4 + [120] * 24
    assert len(score.events(trace(vals).reference(), 70)) == 1


def test_one_missing_reading_is_bridged():
    vals = [120] * 24 + [60, 60, None, 60] + [120] * 24
    assert score.events(trace(vals).reference(), 70) == [(120, 135)]
    # two readings below with one missing between them span 15 minutes
    assert score.events(trace([120] * 24 + [60, None, 60] + [120] * 24).reference(), 70) == [(120, 130)]


def test_two_missing_readings_end_a_run():
    vals = [120] * 24 + [60, 60, None, None, 60, 60] + [120] * 24
    assert score.events(trace(vals).reference(), 70) == []


def test_urgent_event_warned_only_by_urgent_types():
    tr = trace(flat_then(45, 6))          # both a low and an urgent event at 120
    fig = score.score([(tr, [onset(100, "low")])])
    assert fig["low_events"] == 1 and fig["urgent_events"] == 1
    assert fig["low_sensitivity"] == 1.0 and fig["urgent_sensitivity"] == 0.0
    fig = score.score([(tr, [onset(100, "low"), onset(110, "urgent_low_soon")])])
    assert fig["urgent_sensitivity"] == 1.0 and fig["urgent_median_lead"] == 10
    assert fig["low_median_lead"] == 20
    fig = score.score([(tr, [onset(125, "urgent_low")])])
    assert fig["urgent_sensitivity"] == 1.0 and fig["urgent_median_lead"] == -5


def test_urgent_threshold_is_below_54():
    assert score.events(trace(flat_then(54, 6)).reference(), 54) == []
    assert score.events(trace(flat_then(53, 6)).reference(), 54) == [(120, 145)]


def test_onsets_outside_the_window_do_not_warn():
    tr = trace(flat_then(60, 6))          # event at 120: window [60, 135]
    assert score.score([(tr, [onset(55)])])["low_sensitivity"] == 0.0
    assert score.score([(tr, [onset(140)])])["low_sensitivity"] == 0.0
    assert score.score([(tr, [onset(60)])])["low_median_lead"] == 60
    assert score.score([(tr, [onset(135)])])["low_median_lead"] == -15


def test_non_low_onsets_are_ignored_for_precision_and_sensitivity():
    tr = trace(flat_then(60, 6))
    fig = score.score([(tr, [onset(100, "high"), onset(100, "no_data")])])
    assert fig["low_sensitivity"] == 0.0 and fig["precision"] is None
    assert fig["all_onsets_per_day"] > 0 and fig["onsets_per_day"] == 0


def test_reference_is_true_bg_when_present():
    cgm = flat_then(60, 6)
    tr = trace(cgm, ref=[120] * len(cgm))
    assert score.score([(tr, [onset(100)])])["low_events"] == 0


def test_pooling_over_traces_and_median():
    a, b = trace(flat_then(60, 6)), trace(flat_then(60, 6))
    fig = score.score([(a, [onset(100)]), (b, [onset(110)]), (trace(flat_then(60, 6)), [])])
    assert fig["low_events"] == 3 and abs(fig["low_sensitivity"] - 2 / 3) < 1e-3
    assert fig["low_median_lead"] == 15


def test_load_csv_missing_rows(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("minute,true_bg,cgm\n0,100,101\n5,99,\n15,98,97\n")
    tr = traces.load(str(p))
    assert tr.minutes == [0, 5, 15] and tr.cgm == [101.0, None, 97.0]
    assert tr.readings() == [(0, 101.0), (15, 97.0)]
    assert tr.reference() == [(0, 100.0), (5, 99.0), (15, 98.0)]
    q = tmp_path / "r.csv"
    q.write_text("minute,cgm\n0,100\n10,90\n")
    assert traces.load(str(q)).reference() == [(0, 100.0), (10, 90.0)]


def test_load_rejects_bad_files(tmp_path):
    import pytest
    p = tmp_path / "bad.csv"
    p.write_text("time,glucose\n0,100\n")
    with pytest.raises(traces.TraceError):
        traces.load(str(p))
    p.write_text("minute,cgm\n5,100\n0,100\n")
    with pytest.raises(traces.TraceError):
        traces.load(str(p))


def _tiny_set(tmp_path):
    d = tmp_path / "set"
    d.mkdir(exist_ok=True)
    rows = "".join("%d,%d\n" % (i * 5, 120 if i < 30 or i > 40 else 60) for i in range(80))
    (d / "a.csv").write_text("minute,cgm\n" + rows)
    return str(d)


def test_missing_engine_is_an_explicit_error_and_peers_still_scored(tmp_path, monkeypatch):
    from alarmbench import runner
    monkeypatch.setattr(runner, "REPLAY", str(tmp_path / "no_replay.py"))
    res = runner.run_set(_tiny_set(tmp_path), ("engine", "threshold"))
    assert "replay.py not found" in res["engine"]["error"]
    assert res["threshold"]["low_events"] == 1 and res["threshold"]["low_sensitivity"] == 1.0


def _make_bench_alarms(tmp_path, monkeypatch, sets):
    """tools/bench.py alarms (make bench SECTION=alarms) over the given sets:
    (exit code or None, build/bench.json as written)."""
    import json
    import sys
    import bench
    from alarmbench import plot, runner
    monkeypatch.setattr(runner, "SETS", sets)
    monkeypatch.setattr(plot, "plot_nights", lambda *a: [])
    monkeypatch.setattr(bench, "OUT", str(tmp_path / "bench.json"))
    monkeypatch.setattr(sys, "argv", ["bench.py", "alarms"])
    code = None
    try:
        bench.main()
    except SystemExit as e:
        code = e.code

    def no_nan(c):
        raise ValueError("%s in bench.json" % c)
    return code, json.loads((tmp_path / "bench.json").read_text(), parse_constant=no_nan)


def test_make_bench_alarms_fails_when_the_engine_is_not_scored(tmp_path, monkeypatch, capsys):
    # It printed "ENGINE NOT SCORED" and exited 0: a bench run whose engine never
    # ran looked like a good one to make and to CI.
    from alarmbench import runner
    tiny = _tiny_set(tmp_path)
    code, figures = _make_bench_alarms(tmp_path, monkeypatch, {"simulated": tiny, "real": tiny})
    assert code is None, code                           # scored: the run passes
    assert figures["alarms"]["real"]["engine"]["low_events"] == 1
    assert figures["alarms"]["burden"]["real"]["traces"] == 1 and "burden" in capsys.readouterr().out
    capsys.readouterr()
    monkeypatch.setattr(runner, "REPLAY", str(tmp_path / "no_replay.py"))
    code, figures = _make_bench_alarms(tmp_path, monkeypatch, {"simulated": tiny, "real": tiny})
    out = capsys.readouterr().out
    assert code and "alarms" in str(code), code
    assert out.index("threshold ") < out.index("ENGINE NOT SCORED"), out  # the peers first
    a = figures["alarms"]
    assert "ENGINE NOT SCORED" in a["error"] and "replay.py not found" in a["real"]["engine"]["error"]
    assert a["simulated"]["threshold"]["low_events"] == 1   # the peers' figures kept
    # a set without readings: an error, and bench.json stays JSON (no NaN)
    monkeypatch.undo()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.csv").write_text("minute,cgm\n")
    code, figures = _make_bench_alarms(tmp_path, monkeypatch, {"simulated": str(empty), "real": tiny})
    a = figures["alarms"]
    assert code and "no readings" in a["simulated"]["engine"]["error"] and "error" in a["ceiling"]["simulated"]
    assert a["burden"]["simulated"]["sounds_per_day"] is None   # no day of readings: no rate
    assert a["real"]["engine"]["low_events"] == 1


def test_engine_output_that_is_not_onsets_is_an_error(tmp_path, monkeypatch):
    from alarmbench import runner
    fake = tmp_path / "replay.py"
    fake.write_text("print('starting up')\n")
    monkeypatch.setattr(runner, "REPLAY", str(fake))
    res = runner.run_set(_tiny_set(tmp_path), ("engine",), cpython=True)
    assert "not an onset" in res["engine"]["error"]
    fake.write_text("import json\nprint(json.dumps({'t': 140, 'type': 'low', 'priority': 'medium', 'sgv': 60}))\n")
    res = runner.run_set(_tiny_set(tmp_path), ("engine",), cpython=True)
    assert res["engine"]["low_sensitivity"] == 1.0 and res["engine"]["low_median_lead"] == 10


def test_a_set_without_readings_is_an_error_for_each_system_not_nan(tmp_path):
    # header-only files (or rows without a value) cover no time: the per-day rates
    # were NaN, and json.dump wrote NaN into bench.json, which is not JSON
    import json
    from alarmbench import __main__ as cli, runner
    d = tmp_path / "empty"
    d.mkdir()
    (d / "a.csv").write_text("minute,cgm\n")
    (d / "b.csv").write_text("minute,cgm\n0,\n5,NA\n")
    res = runner.run_set(str(d), ("engine", "threshold"), cpython=True)
    for system in ("engine", "threshold"):
        assert "no readings in any trace" in res[system]["error"], res
    json.dumps(res, allow_nan=False)
    out = tmp_path / "figures.json"
    assert cli.main(["--traces", str(d), "--systems", "threshold", "--json", str(out)]) == 1
    json.loads(out.read_text())


def test_share_of_urgent_lows_warned_20_minutes_ahead():
    # two urgent events (separated by 30+ min above 54): one warned 20 min
    # ahead, one 10 min ahead; the median lead is 15, the share >= 20 is half
    values = [120] * 24 + [50] * 6 + [120] * 24 + [50] * 6 + [120] * 6
    tr = trace(values)                 # events start at minutes 120 and 270
    fig = score.score([(tr, [onset(100, "urgent_low_soon"), onset(260, "urgent_low_soon")])])
    assert fig["urgent_events"] == 2 and fig["urgent_median_lead"] == 15
    assert fig["urgent_warned_20min_ahead"] == 0.5


def test_plot_picks_a_typical_urgent_night():
    from alarmbench import plot

    def night(name, fall_per_5min):
        # 6 h flat at 120, a fall to 40 at the given speed, 4 h at 40
        vals = [120] * 72
        v = 120
        while v > 40:
            v = max(40, v - fall_per_5min)
            vals.append(v)
        return traces.from_values(vals + [40] * 48, name=name)

    trs = [night("fast", 20), night("slow", 4), night("median", 8)]
    tr, start = plot.pick_night(trs)
    assert tr.name == "median"
    first_urgent = min(m for m, v in tr.reference() if v < score.URGENT)
    assert start == first_urgent - 360
    try:
        plot.pick_night([traces.from_values([120] * 100)])
    except traces.TraceError as e:
        assert "no urgent event" in str(e)
    else:
        assert False
