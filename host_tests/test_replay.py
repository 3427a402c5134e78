"""tools/replay.py: the engine over a trace, on MicroPython (the official path) and CPython."""
import json
import os
import subprocess
import sys

from conftest import ROOT, run_micropython

import replay
from alarms.engine import NO_DATA_GRACE_S


def _write(tmp_path, rows, header="minute,true_bg,cgm"):
    p = tmp_path / "t.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(p)


def _trace(tmp_path):
    rows = ["%d,0,%d" % (5 * i, 120) for i in range(12)]
    rows += ["%d,0,%d" % (60 + 5 * i, v) for i, v in enumerate([110, 100, 90, 80, 70, 60, 50, 48, 47])]
    rows += ["%d,0," % 105]                                           # blank cgm: missing
    rows += ["%d,0,%d" % (110 + 5 * i, 120) for i in range(6)]
    rows += ["%d,0,%d" % (200 + 5 * i, 130) for i in range(3)]        # a 55-minute hole before
    return _write(tmp_path, rows)


def test_replay_prints_only_onset_json_lines_on_micropython(tmp_path):
    path = _trace(tmp_path)
    r = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path])
    lines = r.stdout.splitlines()
    assert lines and r.stderr == ""
    onsets = [json.loads(line) for line in lines]
    for o in onsets:
        assert set(o) == {"t", "type", "priority", "sgv"}
    kinds = [o["type"] for o in onsets]
    assert kinds.index("urgent_low_soon") < kinds.index("urgent_low")
    assert kinds.count("urgent_low") == 1                      # printed once while active
    ul = onsets[kinds.index("urgent_low")]
    assert ul["t"] == 90 and ul["sgv"] == 50 and ul["priority"] == "high"
    nd = [o for o in onsets if o["type"] == "no_data"]
    # 20 min after the last reading, and the minute of grace for the one due then
    assert nd and nd[0]["t"] == 135 + 20 + NO_DATA_GRACE_S // 60 and nd[0]["sgv"] is None


def test_cpython_entry_gives_the_same_lines(tmp_path):
    path = _trace(tmp_path)
    mp = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path]).stdout
    cp = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), path],
                        capture_output=True, text=True, check=True).stdout
    assert mp == cp
    assert [o["t"] for o in replay.replay(replay.read_trace(path))] == \
        [json.loads(line)["t"] for line in cp.splitlines()]


def test_a_long_trace_replays_in_constant_memory_on_micropython(tmp_path):
    # recorded exports run to months (the largest shared one, 12,310 rows, stopped
    # `make replay` with a MemoryError): a year of readings in a 512 KB heap
    import math
    rows = []
    for i in range(365 * 288):
        v = 130 + 90 * math.sin(i / 40.0) + 25 * math.sin(i / 7.3)
        rows.append("%d,%s" % (5 * i, "" if i % 97 == 0 else "%d" % max(40, v)))
    path = _write(tmp_path, rows, "minute,cgm")
    mp = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path], heap="512K")
    assert mp.stderr == ""
    cp = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), path],
                        capture_output=True, text=True, check=True).stdout
    assert mp.stdout == cp
    assert sum(1 for line in cp.splitlines() if '"urgent_low"' in line) > 300


def test_an_error_late_in_a_long_trace_prints_no_onset(tmp_path):
    rows = ["%d,%d" % (5 * i, 50 if i % 288 < 10 else 120) for i in range(3000)] + ["15000,abc"]
    path = _write(tmp_path, rows, "minute,cgm")
    r = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path], check=False)
    assert r.returncode == 2 and r.stdout == "" and "line 3002" in r.stderr, (r.stdout[:200], r.stderr)


def test_a_gap_of_a_month_or_a_year_replays_in_constant_memory_on_micropython(tmp_path):
    # replay ticks through a gap minute by minute; it collected a gap's ticks
    # before handing them on, so a 14-day gap (20,160 ticks) ran out of the port's
    # heap with a MemoryError traceback after the onsets before it were printed.
    # MAX_GAP_MIN (366 days) is the longest gap a trace may have.
    from tracefile import MAX_GAP_MIN
    for gap in (30 * 1440, MAX_GAP_MIN):
        rows = ["0,120", "5,118"] + ["%d,%d" % (5 + gap + 5 * i, v) for i, v in enumerate([60, 58, 57])]
        path = _write(tmp_path, rows, "minute,cgm")
        mp = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path], heap="512K")
        assert mp.stderr == "", mp.stderr[-300:]
        cp = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), path],
                            capture_output=True, text=True, check=True).stdout
        assert mp.stdout == cp
        kinds = [(o["t"], o["type"]) for o in map(json.loads, cp.splitlines())]
        assert (5 + gap, "low") in kinds and kinds[0][1] == "no_data", kinds
        # a bad row after the gap: a clear error, and no onset printed before it
        bad = _write(tmp_path, rows + ["%d,abc" % (20 + gap)], "minute,cgm")
        r = run_micropython([os.path.join(ROOT, "tools", "replay.py"), bad], heap="512K",
                            check=False)
        assert r.returncode == 2 and r.stdout == "" and "line 7: bad number" in r.stderr, \
            (r.stdout[:200], r.stderr[-300:])


def test_make_s_replay_prints_nothing_else(tmp_path):
    path = _trace(tmp_path)
    r = subprocess.run(["make", "-s", "replay", "TRACE=" + path], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    for line in r.stdout.splitlines():
        json.loads(line)
    # a file name with a space ("my trace.csv"): make split it into two arguments,
    # and replay read the first, "my", as a file that does not exist
    spaced = os.path.join(str(tmp_path), "my trace.csv")
    os.rename(path, spaced)
    r2 = subprocess.run(["make", "-s", "replay", "TRACE=" + spaced], cwd=ROOT,
                        capture_output=True, text=True)
    assert r2.returncode == 0 and r2.stdout == r.stdout and r2.stderr == "", r2.stderr


def test_bad_trace_is_a_clear_error(tmp_path):
    path = _write(tmp_path, ["0,100"], header="time,glucose")
    try:
        replay.read_trace(path)
        assert False
    except replay.TraceError as e:
        assert "minute and cgm" in str(e)


ODD = ('\ufeff"Minute", "True_BG" ,"CGM"\r\n0,100,120\r\n5,99,NA\r\n10,98,nan\r\n15,97,\r\n'
       '20,96,-\r\n25,95,null\r\n30,40,LOW\r\n35,420,High\r\n40,94,"93.6"\r\n')


def test_missing_and_out_of_range_cells_and_an_odd_header(tmp_path):
    p = tmp_path / "odd.csv"
    p.write_bytes(ODD.encode("utf-8"))
    rows = replay.read_trace(str(p))
    assert rows == [(0, 120), (5, None), (10, None), (15, None), (20, None), (25, None),
                    (30, 39), (35, 401), (40, 94)]
    # the official path reads it the same way (no onset lost to a parse difference)
    mp = run_micropython([os.path.join(ROOT, "tools", "replay.py"), str(p)]).stdout
    cp = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), str(p)],
                        capture_output=True, text=True, check=True).stdout
    assert mp == cp and '"type": "urgent_low"' in mp  # LOW is an urgent low
    # and the alarm bench scores the same readings
    from alarmbench import traces
    tr = traces.load(str(p))
    assert [(m, None if g is None else int(g + 0.5)) for m, g in zip(tr.minutes, tr.cgm)] == rows
    assert tr.reference()[-3:] == [(30, 40.0), (35, 420.0), (40, 94.0)]


def test_bad_cells_and_unordered_minutes_are_errors_with_their_line(tmp_path):
    from alarmbench import traces
    for body, where in (("0,120\n5,abc\n", "line 3"), ("0,120\n10,110\n5,100\n", "line 4"),
                        ("0,120\n0,118\n", "line 3"), ("x,120\n", "line 2")):
        p = _write(tmp_path, body.strip().split("\n"), header="minute,cgm")
        try:
            replay.read_trace(p)
            assert False, body
        except replay.TraceError as e:
            assert where in str(e), (body, str(e))
        try:
            traces.load(p)
            assert False, body
        except traces.TraceError as e:
            assert where in str(e), (body, str(e))


def test_the_cli_says_what_is_wrong_on_stderr_and_prints_no_json(tmp_path):
    p = _write(tmp_path, ["0,120", "5,abc"], header="minute,cgm")
    for path, text in ((p, "line 3: bad number"), (str(tmp_path / "none.csv"), "cannot read")):
        r = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path], check=False)
        assert r.returncode == 2 and r.stdout == "" and text in r.stderr, (r.stdout, r.stderr)
        assert "Traceback" not in r.stderr


def _both_entries(path):
    """(returncode, stdout, stderr) of tools/replay.py on MicroPython and on CPython."""
    mp = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path], check=False, timeout=60)
    cp = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), path],
                        capture_output=True, text=True, timeout=60)
    return (mp.returncode, mp.stdout, mp.stderr), (cp.returncode, cp.stdout, cp.stderr)


def test_impossible_values_and_minutes_are_errors_with_their_line_not_readings(tmp_path):
    # a negative cgm is no reading; inf stopped both runtimes with an OverflowError
    # traceback; a gap of decades (a typo'd minute) made make replay tick for
    # minutes without a word
    from alarmbench import traces
    for body, where in (("0,120\n5,-40\n", "line 3"),
                        ("0,120\n5,inf\n", "line 3"), ("0,120\ninf,100\n", "line 3"),
                        ("0,120\n5,110\n10000005,100\n", "line 4")):
        p = _write(tmp_path, body.strip().split("\n"), header="minute,cgm")
        for run in (replay.read_trace, traces.load):
            try:
                run(p)
                assert False, (run, body)
            except replay.TraceError as e:
                assert where in str(e), (body, str(e))
        both = _both_entries(p)
        assert both[0] == both[1], both  # the same words on both runtimes
        rc, out, err = both[0]
        assert rc == 2 and out == "" and where in err and "Traceback" not in err, (body, err)


def test_quoted_cells_mac_line_ends_and_padding_rows_read_alike_everywhere(tmp_path):
    # a quoted note with a comma before the glucose column: split naively, its
    # second half ("6") was read as the glucose on the replay, not on the bench
    p = tmp_path / "q.csv"
    p.write_bytes(b'minute,note,cgm,x\r0,"5,6",120,7\r5,"say ""hi""",118,7\r,,,\r10,,116,\r')
    rows = replay.read_trace(str(p))
    assert rows == [(0, 120), (5, 118), (10, 116)], rows
    from alarmbench import traces
    tr = traces.load(str(p))
    assert list(zip(tr.minutes, tr.cgm)) == [(0, 120.0), (5, 118.0), (10, 116.0)]
    mp, cp = _both_entries(str(p))
    assert mp == cp and mp[0] == 0, (mp, cp)


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes(b"minute,note,cgm\n0,\xb5,120\n")
    for rc, out, err in _both_entries(str(p)):
        assert rc == 2 and "UTF-8" in err and "Traceback" not in err, err


def test_a_trace_in_mmol_per_l_is_refused_not_read_as_urgent_lows(tmp_path):
    from alarmbench import traces
    p = _write(tmp_path, ["0,5.5", "5,4.8", "10,", "15,12.1"], header="minute,cgm")
    for read in (replay.read_trace, traces.load):
        try:
            read(p)
            assert False, read
        except replay.TraceError as e:
            assert "mmol/L" in str(e)
    r = run_micropython([os.path.join(ROOT, "tools", "replay.py"), p], check=False)
    assert r.returncode == 2 and r.stdout == "" and "mmol/L" in r.stderr
    # one mg/dL value at or above 35 makes it a mg/dL trace
    ok = _write(tmp_path, ["0,30", "5,LOW", "10,36"], header="minute,cgm")
    assert replay.read_trace(ok) == [(0, 30), (5, 39), (10, 36)]


def test_low_and_high_cells_say_nothing_of_the_units(tmp_path):
    # A Dexcom export writes "Low" and "High" in mg/dL and in mmol/L files alike.
    # Read as 39 and 401, they made a mmol/L trace with one of them pass as mg/dL,
    # exit 0: 6.5 -> 2.3 -> Low gave no_data (its numbers read as status codes) and
    # an urgent low; 8 -> 22 -> High urgent lows at 14 and 20 "mg/dL".
    from alarmbench import traces
    for rows in (["0,6.5", "5,2.3", "10,Low", "15,6.0"],
                 ["0,8.0", "5,22.0", "10,HIGH", "15,20.0"]):
        p = _write(tmp_path, rows, header="minute,cgm")
        for read in (replay.read_trace, traces.load):
            try:
                read(p)
                assert False, (read, rows)
            except replay.TraceError as e:
                assert "mmol/L" in str(e), (rows, str(e))
        r = run_micropython([os.path.join(ROOT, "tools", "replay.py"), p], check=False)
        assert r.returncode == 2 and r.stdout == "" and "mmol/L" in r.stderr, (rows, r.stdout)
    # Only LOW and HIGH, no number: they mean under 40 and over 400 mg/dL whatever
    # the file's units, so the trace is read (decided: nothing in it can be misread).
    p = _write(tmp_path, ["0,LOW", "5,Low", "10,", "15,HIGH"], header="minute,cgm")
    assert replay.read_trace(p) == [(0, 39), (5, 39), (10, None), (15, 401)]
    assert traces.load(p).cgm == [39, 39, None, 401]
    # and a mg/dL trace with LOW in it is still a mg/dL trace
    p = _write(tmp_path, ["0,60", "5,LOW", "10,45"], header="minute,cgm")
    assert replay.read_trace(p) == [(0, 60), (5, 39), (10, 45)]


def test_dexcom_codes_are_no_reading_and_a_reference_may_reach_zero(tmp_path):
    # a cgm of 0..13 is a Dexcom status code, never a glucose (the firmware drops
    # it too; read as one, 0 sounded an urgent low); simglucose's true_bg bottoms
    # out at 0 or -0.0 (seed 707 writes 1,430 such rows): the bench must read it
    from alarmbench import traces
    p = _write(tmp_path, ["0,90,120", "5,0.0,0", "10,-0.0,13", "15,-3,14", "20,50,45"])
    assert replay.read_trace(p) == [(0, 120), (5, None), (10, None), (15, 14), (20, 45)]
    tr = traces.load(p)
    assert tr.cgm == [120.0, None, None, 14.0, 45.0]
    assert tr.reference() == [(0, 90.0), (5, 0.0), (10, 0.0), (15, 0.0), (20, 50.0)]
    rc, out, err = _both_entries(p)[0]
    assert rc == 0 and '"sgv": 0' not in out, (out, err)


def test_the_bench_s_peers_and_the_replay_s_engine_read_the_same_whole_mg_dl(tmp_path):
    # A sensor gives whole mg/dL. The replay rounded the trace's values
    # (int(v + 0.5)), the bench handed the peers the file's fractions: a simulated
    # 69.6 was 70 for the engine (no low) and a low for the threshold peer.
    from alarmbench import peers, traces
    p = _write(tmp_path, ["0,120.4", "5,69.6", "10,69.5", "15,13.4", "20,13.5", "25,54.49",
                          "30,120"], header="minute,cgm")
    rows = replay.read_trace(p)
    assert rows == [(0, 120), (5, 70), (10, 70), (15, None), (20, 14), (25, 54), (30, 120)], rows
    tr = traces.load(p)
    assert list(zip(tr.minutes, tr.cgm)) == rows
    assert all(type(g) is int for _, g in tr.readings())
    assert [o["t"] for o in peers.run(peers.Threshold(), tr)] == [20, 20]  # low, urgent at 14
    # the reference is no device reading: true_bg keeps its fractions
    q = _write(tmp_path, ["0,69.6,69.6"])
    assert traces.load(q).ref == [69.6] and traces.load(q).cgm == [70]
