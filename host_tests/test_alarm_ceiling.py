"""The ceiling study (tools/alarmbench/ceiling.py) on tiny hand-made traces."""
import json
import os
import subprocess
import sys

from alarmbench import ceiling, traces
from conftest import ROOT

FLAT = [100] * 16


def test_window_minimum_is_the_lowest_cgm_between_60_before_and_15_after_the_start():
    # truth falls below 70 at minute 80 (index 16) for 20 min; the CGM lags 10 min
    # behind and reads 12 high; readings after start + 15 are outside the window
    ref = FLAT + [65, 60, 60, 65] + [90] * 8
    cgm = FLAT + [100, 77, 72, 72, 50, 40] + [90] * 6
    trace = traces.from_values(cgm, ref=ref)
    assert ceiling.window_minima(trace, 70) == [72.0]
    assert ceiling.window_minima(trace, 54) == []          # never below 54 for 15 min


def test_hidden_share_counts_events_the_cgm_never_shows_below_the_level():
    assert ceiling.hidden_share([60.0, 72.0, 80.0, None], 75) == 0.5
    assert ceiling.hidden_share([60.0, 72.0, 80.0, None], 90) == 0.25
    assert ceiling.hidden_share([], 75) is None


def test_threshold_frontier_raises_once_per_dip_and_clears_with_hysteresis():
    trace = traces.from_values([90, 75, 69, 72, 76, 81, 69, 100])
    assert [o["t"] for o in ceiling.threshold_onsets(trace, 70)] == [10, 30]
    assert [o["t"] for o in ceiling.threshold_onsets(trace, 78)] == [5]


def test_study_of_a_folder_reports_shares_and_a_scored_frontier(tmp_path):
    rows = ["minute,true_bg,cgm"]
    ref = FLAT + [65, 60, 60, 65] + [90] * 8
    cgm = FLAT + [100, 77, 72, 72, 50, 40] + [90] * 6
    rows += ["%d,%s,%s" % (5 * i, r, g) for i, (r, g) in enumerate(zip(ref, cgm))]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    s = ceiling.study(str(tmp_path))
    assert s["low_events"] == 1 and s["urgent_events"] == 0
    assert s["low_never_below"]["70"] == 1.0 and s["low_never_below"]["74"] == 0.0
    assert s["threshold_frontier"]["70"]["low_sensitivity"] == 0.0   # onset at 100 > start + 15
    assert s["threshold_frontier"]["74"]["low_sensitivity"] == 1.0
    out = subprocess.run([sys.executable, "-m", "alarmbench.ceiling", "--json", str(tmp_path)],
                         cwd=os.path.join(ROOT, "tools"), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[str(tmp_path)]["low_events"] == 1


def test_a_missing_folder_is_a_clear_error_not_a_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "alarmbench.ceiling", str(tmp_path / "none")],
                         cwd=os.path.join(ROOT, "tools"), capture_output=True, text=True)
    assert out.returncode == 2
    assert "ceiling:" in out.stderr and "Traceback" not in out.stderr
