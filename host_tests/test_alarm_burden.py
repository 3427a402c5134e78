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
    assert b["wakeups"] == 3 and b["presses"] == 3
    assert b["high_side_starts"] == 6 and b["high_side_falling"] == 0
    assert b["days"] == 180 / 1440.0


def test_in_range_is_silent():
    b = burden.burden(flat(120, 0, 1440))
    assert b["starts"] == {} and b["wakeups"] == b["presses"] == 0 and b["days"] == 1.0


def test_a_gap_sounds_no_data_after_its_grace_and_again_after_each_15_min_snooze():
    # last reading at 30: no_data at 30 + 20 + 1 (grace) = 51, pressed at 52 -> 67,
    # 68 -> 83, 84 -> 99; the reading at 90 clears it
    b = burden.burden(flat(120, 0, 30) + flat(120, 90, 120))
    assert b["starts"] == {"no_data": 3} and b["wakeups"] == 3 and b["presses"] == 3


def test_a_sound_that_ends_before_the_person_comes_takes_no_press():
    # one reading of 50: urgent_low sounds, the next (100, 5 min on) clears it;
    # the person would come after 10 min
    b = burden.burden(flat(100, 0, 20) + [(25, 50)] + flat(100, 30, 60), response_s=600)
    assert b["starts"] == {"urgent_low": 1} and b["wakeups"] == 1 and b["presses"] == 0


def test_a_re_raise_while_glucose_falls_is_counted_as_falling():
    # 360 until 40, then -2 mg/dL/min: the urgent high pressed at 1 min re-raises at 61
    # from the reading of 60 (320, still above 300) while the filter sees the fall
    rows = flat(360, 0, 40) + [(m, 360 - 2 * (m - 40)) for m in range(45, 66, 5)]
    b = burden.burden(rows)
    assert b["starts"]["urgent_high"] == 2 and b["high_side_falling"] == 2, b
    flat_b = burden.burden(flat(360, 0, 65))
    assert flat_b["starts"]["urgent_high"] == 2 and flat_b["high_side_falling"] == 0, flat_b


def test_total_adds_traces_and_gives_rates_per_day():
    a = {"days": 1.0, "starts": {"low": 2}, "wakeups": 2, "presses": 1, "high_side_starts": 0,
         "high_side_falling": 0}
    b = {"days": 3.0, "starts": {"low": 2, "high": 4}, "wakeups": 4, "presses": 5,
         "high_side_starts": 4, "high_side_falling": 1}
    t = burden.total([a, b])
    assert t["traces"] == 2 and t["days"] == 4.0
    assert t["sound_starts_per_day"] == 2.0 and t["wakeups_per_day"] == 1.5 and t["presses_per_day"] == 1.5
    assert t["starts_per_day"] == {"low": 1.0, "high": 1.0}
    assert t["high_side_falling_share"] == 0.25
    assert burden.total([])["sound_starts_per_day"] is None
