"""tools/replay.py: the engine over a trace, on MicroPython (the official path) and CPython."""
import json
import os
import subprocess
import sys

from conftest import ROOT, run_micropython

import replay


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
    assert nd and nd[0]["t"] == 135 + 20 and nd[0]["sgv"] is None


def test_cpython_entry_gives_the_same_lines(tmp_path):
    path = _trace(tmp_path)
    mp = run_micropython([os.path.join(ROOT, "tools", "replay.py"), path]).stdout
    cp = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "replay.py"), path],
                        capture_output=True, text=True, check=True).stdout
    assert mp == cp
    assert [o["t"] for o in replay.replay(replay.read_trace(path))] == \
        [json.loads(line)["t"] for line in cp.splitlines()]


def test_make_s_replay_prints_nothing_else(tmp_path):
    path = _trace(tmp_path)
    r = subprocess.run(["make", "-s", "replay", "TRACE=" + path], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    for line in r.stdout.splitlines():
        json.loads(line)


def test_bad_trace_is_a_clear_error(tmp_path):
    path = _write(tmp_path, ["0,100"], header="time,glucose")
    try:
        replay.read_trace(path)
        assert False
    except replay.TraceError as e:
        assert "minute and cgm" in str(e)
