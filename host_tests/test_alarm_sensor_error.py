"""The scaled-sensor-error traces (tools/alarmbench/sensor_error.py) on tiny hand-made rows."""
import os
import subprocess
import sys

from alarmbench import score, sensor_error, traces
from conftest import ROOT


def test_alpha_scales_the_error_and_the_result_reads_as_a_dexcom():
    rows = [(0, 100.0, 120.0), (5, 80.0, 61.0), (10, 30.0, 45.0), (15, 390.0, 460.0),
            (20, 90.0, None)]
    half = sensor_error.scaled_rows(rows, 0.5)
    # 110, 70.5 -> 71 (halves up), 37.5 -> 40 (clipped), 425 -> 400 (clipped), no reading
    assert [c for _, _, c in half] == [110, 71, 40, 400, None]
    assert [c for _, _, c in sensor_error.scaled_rows(rows, 0.0)] == [100, 80, 40, 390, None]
    assert [c for _, _, c in sensor_error.scaled_rows(rows, 1.0)] == [120, 61, 45, 400, None]
    assert [(m, bg) for m, bg, _ in half] == [(m, bg) for m, bg, _ in rows]


def test_a_lag_reads_the_reference_of_the_row_that_many_minutes_earlier():
    rows = [(5 * i, 100.0 - 5 * i, 200.0) for i in range(5)]
    lagged = sensor_error.scaled_rows(rows, 0.0, lag=10)
    assert [c for _, _, c in lagged] == [None, None, 100, 95, 90]
    # alpha 1 keeps the CGM whatever the lag, where the lagged reference exists
    assert [c for _, _, c in sensor_error.scaled_rows(rows, 1.0, lag=10)] == [None, None, 200, 200, 200]


def test_the_written_traces_keep_the_events_and_carry_the_scaled_cgm(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    ref = [100] * 12 + [65, 60, 50, 50, 52, 60] + [90] * 8
    rows = ["minute,true_bg,cgm"] + ["%d,%s,%s" % (5 * i, r, r + 20) for i, r in enumerate(ref)]
    (src / "p.csv").write_text("\n".join(rows) + "\n")
    r = subprocess.run([sys.executable, "-m", "alarmbench.sensor_error", str(src), str(out),
                        "--alpha", "0.25"], cwd=os.path.join(ROOT, "tools"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    before, after = traces.load(str(src / "p.csv")), traces.load(str(out / "p.csv"))
    assert after.ref == before.ref
    assert score.events(after.reference(), 54) == score.events(before.reference(), 54) != []
    assert after.cgm == [g - 15 for g in before.cgm]


def test_a_missing_folder_is_a_clear_error_not_a_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "alarmbench.sensor_error", str(tmp_path / "none"),
                        str(tmp_path / "out"), "--alpha", "0.5"],
                       cwd=os.path.join(ROOT, "tools"), capture_output=True, text=True)
    assert r.returncode == 2
    assert "sensor_error:" in r.stderr and "Traceback" not in r.stderr
