# A battery-backed board's battery watch (app/power.py), on CPython and MicroPython;
# the board files' "power" key is checked in test_sound_patterns.py.
from app import power


def test_battery_watch_takes_the_median_and_has_hysteresis():
    w = power.BatteryWatch()
    assert [w.add(mv) for mv in (4150, 4140, 3300, 4130, 4120)] == [None] * 5  # one bad read
    assert w.low is False
    # the window is now 3300 4130 4120 3540 3530: the median crosses LOW_MV
    got = [w.add(mv) for mv in (3540, 3530, 3520)]
    assert got == [None, True, None] and w.low
    assert [w.add(mv) for mv in (3650, 3680, 3690, 3690, 3690)] == [None] * 5  # below OK_MV
    assert [w.add(mv) for mv in (3720, 3720, 3720)] == [None, None, False]     # cleared


def test_one_bad_first_read_after_a_reset_is_no_alarm():
    # the median of one or two readings is a single noisy ADC read: wait for three
    w = power.BatteryWatch()
    assert [w.add(mv) for mv in (3100, 4150, 4140, 4130)] == [None] * 4 and not w.low
    w = power.BatteryWatch()
    assert [w.add(mv) for mv in (3400, 3420, 3410)] == [None, None, True]  # a low cell: 60 s


def test_a_low_battery_clears_only_above_ok_mv_not_at_it():
    # found by mutation testing: a median of exactly OK_MV cleared the alarm
    from app import power
    w = power.BatteryWatch()
    for mv in (3400, 3400, 3400):
        w.add(mv)
    assert w.low
    assert [w.add(power.OK_MV) for _ in range(5)] == [None] * 5 and w.low
    assert [w.add(power.OK_MV + 1) for _ in range(3)][-1] is False and not w.low
