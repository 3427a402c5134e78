# The schedules' replay across a wall clock put back (alarms.engine REPLAY_MIN, README
# "## Alarms"): while the wall shows again minutes it already passed, the schedules hold
# the minute reached, so each window's start and end comes once; a step back of more than
# 2 h, or a clock set back (clock_set), applies at once. Each test pins a rule that the
# engine's mutation run (session 62) found held only through main.App's tests, which run
# the files on disk and cannot see a mutant. Runs on CPython and MicroPython.
from alarm_steps import make

DAY_HIGH, NIGHT_HIGH = 180, 250


def _engine(start, end):
    return make(high=DAY_HIGH, schedule=[{"start": start, "end": end, "high": NIGHT_HIGH}])


def _high(eng, t_s):
    return eng.current_settings(t_s)["high"]


def test_two_hours_back_replay_and_more_than_two_apply_at_once_at_any_second_and_midnight():
    # (Troll's clocks go back 2 h.) The engine measures the step from its last round, to the
    # minute: a round at hh:59:00 and the next a minute on gives 120 min, one at hh:59:55 and
    # the next 5 s on gives a 122-min step as 121. A window over the wall after the step but
    # not over the minute reached: held back by a replay, in force at once otherwise.
    for shift in (0, -180):   # the change at 03:00, and at midnight
        def at(m):
            return (m + shift) % 1440
        eng = _engine(at(0), at(120))               # a window 00:00-02:00 (21:00-23:00)
        eng.tick(0, at(179))                        # 02:59:00
        eng.tick(60, at(60))                        # the clocks went back 2 h: 01:00
        assert _high(eng, 60) == DAY_HIGH, shift    # 03:00 held
        eng.tick(60 + 59 * 60, at(119))
        assert _high(eng, 60 + 59 * 60) == DAY_HIGH, shift
        eng = _engine(at(0), at(120))
        eng.tick(0, at(179))                        # 02:59:55
        eng.tick(5, at(58))                         # 122 min back: 00:58
        assert _high(eng, 5) == NIGHT_HIGH, shift


def test_a_night_ending_at_midnight_ends_once_when_the_clocks_go_back_at_midnight():
    # (Santiago, Beirut: 24:00 -> 23:00.) A round a minute: the night 22:00-24:00 ended at
    # the change and does not come back, not even in the last minute before midnight again
    eng = _engine(22 * 60, 0)
    eng.tick(0, 23 * 60 + 59)
    assert _high(eng, 0) == NIGHT_HIGH
    got = []
    for i in range(1, 62):
        t = 60 * i
        eng.tick(t, (23 * 60 + i - 1) % 1440)      # 23:00 .. 00:00 again
        got.append(_high(eng, t))
    assert got == [DAY_HIGH] * 61, got


def _replaying_new_york():
    # a night to 01:30; at 02:00 EDT the wall goes back to 01:00 EST: the night ended and
    # 01:59 is held, though the wall shows 01:00 (in the night)
    eng = _engine(22 * 60, 90)
    eng.tick(0, 119)
    eng.tick(5, 60)
    assert _high(eng, 5) == DAY_HIGH
    return eng


def test_a_clock_set_while_the_wall_still_shows_minutes_again_keeps_the_replay():
    for args in ((), (True,)):   # main.App: the tz rule says the wall shows minutes again
        eng = _replaying_new_york()
        eng.clock_set(10, 61, *args)
        eng.tick(15, 61)
        assert _high(eng, 15) == DAY_HIGH, args


def test_a_clock_set_back_before_the_change_ends_the_replay_at_once():
    eng = _replaying_new_york()
    eng.clock_set(10, 61, False)
    assert _high(eng, 10) == NIGHT_HIGH
    eng.tick(15, 61)
    assert _high(eng, 15) == NIGHT_HIGH


def test_a_clock_set_without_a_time_of_day_yet_takes_it_at_the_next_round():
    eng = _engine(22 * 60, 7 * 60)
    eng.clock_set(0, 23 * 60)
    assert _high(eng, 0) == DAY_HIGH        # no time of day: the day's settings
    eng.tick(5, 23 * 60)
    assert _high(eng, 5) == NIGHT_HIGH


def test_a_first_time_of_day_among_minutes_shown_again_holds_the_minute_reached():
    # a power cut in New York's repeated hour: main.App at its boot says 01:10 EST is shown
    # again and the schedules had reached 01:59: the night to 01:30 stays ended until the
    # wall is at 01:59 again, and the wall rules from there
    eng = _engine(22 * 60, 90)
    eng.replaying(40, 70, 119)
    eng.tick(45, 70)
    assert _high(eng, 45) == DAY_HIGH
    eng.tick(45 + 20 * 60, 90 - 1)          # 01:29 on the wall: still held
    assert _high(eng, 45 + 20 * 60) == DAY_HIGH


def test_replaying_changes_nothing_without_a_minute_reached_or_with_a_time_of_day():
    eng = _engine(22 * 60, 90)
    eng.replaying(40, 70, None)             # no change back: no time of day until a round
    assert _high(eng, 40) == DAY_HIGH
    eng.tick(45, 70)
    assert _high(eng, 45) == NIGHT_HIGH
    eng.replaying(50, 70, 119)              # the engine keeps its own minute
    assert _high(eng, 50) == NIGHT_HIGH
