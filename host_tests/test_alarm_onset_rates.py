"""The onset rates (tools/alarmbench/onset_rates.py) on hand-made traces whose onsets
follow from the documented defaults (high above 250, clear at 235 and under)."""
from alarmbench import onset_rates


def flat(level, start, end):
    return [(m, level) for m in range(start, end + 1, 5)]


def test_in_range_starts_nothing():
    r = onset_rates.rates(flat(120, 0, 1440))
    assert r == {"days": 1.0, "onsets": {}, "back": {}}


def test_a_high_that_clears_and_starts_again_within_15_min_is_counted_back():
    # 260 from 0: high; 230 at 30 clears it; 260 at 45 (15 min on) starts it again, and
    # once more at 100 after a clear at 80 (20 min: not back)
    rows = flat(260, 0, 25) + flat(230, 30, 40) + flat(260, 45, 75) + flat(230, 80, 95) + flat(260, 100, 120)
    r = onset_rates.rates(rows)
    assert r["onsets"] == {"high": 3} and r["back"] == {"high": 1}, r
    # the alarms off by default start only when switched on
    rise = flat(100, 0, 20) + [(25, 115), (30, 130), (35, 145)]
    assert "rise" not in onset_rates.rates(rise)["onsets"]
    assert onset_rates.rates(rise, onset_rates.ALL_ON)["onsets"] == {"rise": 1}


def test_total_gives_the_set_a_day_and_the_median_and_worst_trace():
    runs = [{"name": "a", "days": 1.0, "onsets": {"high": 3}, "back": {"high": 1}},
            {"name": "b", "days": 2.0, "onsets": {"high": 2}, "back": {}},
            {"name": "c", "days": 1.0, "onsets": {}, "back": {}},
            {"name": "d", "days": 0.0, "onsets": {"high": 1}, "back": {}}]
    t = onset_rates.total(runs)
    f = t["types"]["high"]
    assert t["traces"] == 4 and t["days"] == 4.0 and list(t["types"]) == ["high"]
    assert f["onsets"] == 6 and f["per_day"] == 1.5 and f["back"] == 1
    assert f["median_trace"] == 1.0 and f["worst"] == ("a", 3.0)   # (d: no length, left out)


def test_a_file_the_replay_refuses_is_listed_and_the_others_counted(tmp_path):
    (tmp_path / "mmol.csv").write_text("minute,cgm\n" + "".join("%d,6.5\n" % m for m in range(0, 1441, 5)))
    (tmp_path / "good.csv").write_text("minute,cgm\n" + "".join("%d,260\n" % m for m in range(0, 1441, 5)))
    t = onset_rates.study(str(tmp_path))
    assert t["traces"] == 1 and t["types"]["high"]["onsets"] == 1 and len(t["errors"]) == 1, t
    assert "NOT SCORED: mmol.csv" in onset_rates.table("x", t)
