"""The burden bench (tools/alarmbench/burden.py) on hand-made traces whose counts
follow from the documented defaults: a person presses (snooze) 60 s after a
sound starts; urgent_high snoozes 60 min and takes its high with it."""
from alarmbench import burden


def flat(level, start, end):
    return [(m, level) for m in range(start, end + 1, 5)]


def test_a_flat_urgent_high_sounds_once_an_hour_and_takes_one_press_each_time():
    # 320 for 3 h: urgent_high and high start at 0, the press at 1 min snoozes both
    # to 61, they re-raise there (a fresh reading still above), pressed at 62 to 122,
    # and again at 122: 3 wake-ups, 2 sound starts each
    b = burden.burden(flat(320, 0, 180))
    assert b["starts"] == {"urgent_high": 3, "high": 3}
    assert b["sounds"] == 3 and b["wakeups"] == 3 and b["presses"] == 3
    assert b["high_side_starts"] == 6 and b["high_side_falling"] == 0
    assert b["days"] == 180 / 1440.0


def test_in_range_is_silent():
    b = burden.burden(flat(120, 0, 1440))
    assert b["starts"] == {} and b["sounds"] == b["wakeups"] == b["presses"] == 0 and b["days"] == 1.0


def test_a_gap_sounds_no_data_after_its_grace_and_again_after_each_15_min_snooze():
    # last reading at 30: no_data at 30 + 20 + 1 (grace) = 51, pressed at 52 -> 67,
    # 68 -> 83, 84 -> 99; the reading at 90 clears it
    b = burden.burden(flat(120, 0, 30) + flat(120, 90, 120))
    assert b["starts"] == {"no_data": 3} and b["sounds"] == b["wakeups"] == b["presses"] == 3


def test_a_sound_that_ends_before_the_person_comes_takes_no_press():
    # one reading of 50: urgent_low sounds, the next (100, 5 min on) clears it;
    # the person would come after 10 min
    b = burden.burden(flat(100, 0, 20) + [(25, 50)] + flat(100, 30, 60), response_s=600)
    assert b["starts"] == {"urgent_low": 1} and b["sounds"] == b["wakeups"] == 1 and b["presses"] == 0


def test_a_re_raise_while_glucose_falls_is_counted_as_falling():
    # 360 until 40, then -2 mg/dL/min: the urgent high pressed at 1 min re-raises at 61
    # from the reading of 60 (320, still above 300) while the filter sees the fall
    rows = flat(360, 0, 40) + [(m, 360 - 2 * (m - 40)) for m in range(45, 66, 5)]
    b = burden.burden(rows)
    assert b["starts"]["urgent_high"] == 2 and b["high_side_falling"] == 2, b
    flat_b = burden.burden(flat(360, 0, 65))
    assert flat_b["starts"]["urgent_high"] == 2 and flat_b["high_side_falling"] == 0, flat_b


def test_sounds_within_15_min_of_the_last_are_one_wake_up():
    # a rise through 250 and 300 (rise on): high starts at 5 (255), pressed at 6; rise at
    # 10 (30 mg/dL in 10 min), pressed at 11; urgent_high at 25 (315), pressed at 26:
    # three sounds and three presses, each sound within 15 min of the one before
    rows = [(0, 240), (5, 255), (10, 270), (15, 285), (20, 300), (25, 315), (30, 315), (35, 315)]
    b = burden.burden(rows, settings={"rise_enabled": True})
    assert b["starts"] == {"high": 1, "rise": 1, "urgent_high": 1}
    assert b["sounds"] == 3 and b["presses"] == 3 and b["wakeups"] == 1
    # the same sounds further apart (a reading every 20 min, as one a sensor 20 min late
    # would): more than 15 min from sound to sound, each its own wake-up
    b = burden.burden([(0, 240), (20, 255), (40, 245), (60, 315)])
    assert b["sounds"] == 2 and b["wakeups"] == 2, b


def test_total_adds_traces_and_gives_rates_per_day():
    a = {"days": 1.0, "starts": {"low": 2}, "sounds": 2, "wakeups": 2, "presses": 1,
         "high_side_starts": 0, "high_side_falling": 0}
    b = {"days": 3.0, "starts": {"low": 2, "high": 4}, "sounds": 4, "wakeups": 4, "presses": 5,
         "high_side_starts": 4, "high_side_falling": 1}
    t = burden.total([a, b])
    assert t["traces"] == 2 and t["days"] == 4.0 and "errors" not in t
    assert t["sounds_per_day"] == 1.5 and t["wakeups_per_day"] == 1.5 and t["presses_per_day"] == 1.5
    assert t["alarm_starts_per_day"] == 2.0 and t["starts_per_day"] == {"low": 1.0, "high": 1.0}
    assert t["high_side_falling_share"] == 0.25
    assert burden.total([])["sounds_per_day"] is None


def test_a_file_the_replay_refuses_is_listed_and_the_others_scored(tmp_path):
    # mmol/L numbers, an empty file: refused as tools/replay.py refuses them (they
    # were scored as 89 no_data sounds a day, or stopped the whole set)
    (tmp_path / "mmol.csv").write_text("minute,cgm\n" + "".join("%d,6.5\n" % m for m in range(0, 1441, 5)))
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "good.csv").write_text("minute,cgm\n" + "".join("%d,120\n" % m for m in range(0, 1441, 5)))
    t = burden.study(str(tmp_path))
    assert t["traces"] == 1 and t["days"] == 1.0 and t["sounds_per_day"] == 0.0, t
    assert len(t["errors"]) == 2 and any(e.startswith("mmol.csv: ") for e in t["errors"]), t
    assert "NOT SCORED: mmol.csv" in burden.table("x", t)
