# Schedules across daylight-saving changes, with the local minute of day from real POSIX
# rules (app.localtime) as main.App gives it: each switch happens once, at the first time
# the wall clock shows it. When the clocks go back an hour comes twice (01:00-02:00 in New
# York, 02:00-03:00 in Berlin); before, a window's edge inside it switched again on the
# second pass: a night from 01:30 stopped at the change for 30 min and the day's high
# sounded and escalated in the middle of the night. Runs on CPython and MicroPython.
from alarm_steps import make, feed
from app import localtime
from civil import days_from_civil

US = "EST5EDT,M3.2.0,M11.1.0"
EU = "CET-1CEST,M3.5.0,M10.5.0/3"
H = 3600
US_BACK = days_from_civil(2026, 11, 1) * 86400 + 6 * H      # 02:00 EDT -> 01:00 EST
US_FORWARD = days_from_civil(2026, 3, 8) * 86400 + 7 * H    # 02:00 EST -> 03:00 EDT
EU_BACK = days_from_civil(2026, 10, 25) * 86400 + 1 * H     # 03:00 CEST -> 02:00 CET
EU_FORWARD = days_from_civil(2026, 3, 29) * 86400 + 1 * H   # 02:00 CET -> 03:00 CEST


def _walk(rule_text, change_utc, entry, sgv=210, hours=3, reset_s=None):
    """From `hours` before the change to `hours` after it, glucose at sgv (a reading every
    5 min, 5-s rounds), the day's high 180 and a schedule entry (start, end) with high 250;
    reset_s: a reset then (the alarm state through RTC memory, at once).
    ([(local "HH:MM", high in force) at each switch], [local "HH:MM" of each high onset])."""
    rule = localtime.parse(rule_text)
    user = {"high": 180, "schedule": [{"start": entry[0], "end": entry[1], "high": 250}]}
    eng = make(**user)
    t0 = change_utc - hours * H
    switches, onsets, was = [], [], None
    for s in range(0, 2 * hours * H, 5):
        u = t0 + s
        mod = ((u + 60 * localtime.offset_min(rule, u)) // 60) % 1440
        if s == reset_s:
            blob, eng = eng.save(), make(**user)
            eng.restore(blob, s)
        evs = feed(eng, s, sgv, mod=mod) if s % 300 == 0 else eng.tick(s, mod)
        at = "%02d:%02d" % (mod // 60, mod % 60)
        high = eng.current_settings(s)["high"]
        if high != was:
            switches.append((at, high))
            was = high
        onsets += [at for e in evs if e["event"] == "alarm_onset" and e["type"] == "high"]
    return switches, onsets


def test_a_night_from_the_repeated_hour_holds_through_it_when_the_clocks_go_back():
    # New York, a night from 01:30; Berlin, from 02:30: it starts on the first pass and
    # holds; the day's high (sounding since the walk began) ends then and stays ended
    assert _walk(US, US_BACK, (90, 7 * 60)) == ([("23:00", 180), ("01:30", 250)], ["23:00"])
    assert _walk(EU, EU_BACK, (150, 7 * 60)) == ([("00:00", 180), ("02:30", 250)], ["00:00"])


def test_a_night_ending_in_the_repeated_hour_ends_once_when_the_clocks_go_back():
    # a night to 01:30 (New York) or 02:30 (Berlin): the day's high comes at its end once,
    # not cleared at the change by the night coming back and raised afresh half an hour on
    assert _walk(US, US_BACK, (22 * 60, 90)) == ([("23:00", 250), ("01:30", 180)], ["01:30"])
    assert _walk(EU, EU_BACK, (22 * 60, 150)) == ([("00:00", 250), ("02:30", 180)], ["02:30"])


def test_the_hour_that_comes_twice_switches_nothing_again_after_a_reset_in_it():
    # a reset at 01:10 EST (New York), 02:10 CET (Berlin), on the second pass: the night to
    # 01:30 (02:30) stays ended; the restore had taken the wall's minute for the time the
    # schedules had reached, the night came back, and the day's high sounded again at its end
    assert _walk(US, US_BACK, (22 * 60, 90), reset_s=3 * H + 600) == \
        ([("23:00", 250), ("01:30", 180)], ["01:30"])
    assert _walk(EU, EU_BACK, (22 * 60, 150), reset_s=3 * H + 600) == \
        ([("00:00", 250), ("02:30", 180)], ["02:30"])


def test_a_window_edge_on_the_wall_after_the_repeated_hour_comes_at_that_wall_time():
    # a night to 02:00 in New York ends at 02:00 EST (an hour longer than other nights: the
    # wall clock says when), and one to 03:00 in Berlin at 03:00 CET
    assert _walk(US, US_BACK, (22 * 60, 120)) == ([("23:00", 250), ("02:00", 180)], ["02:00"])
    assert _walk(EU, EU_BACK, (22 * 60, 180)) == ([("00:00", 250), ("03:00", 180)], ["03:00"])


def test_an_edge_in_the_skipped_hour_switches_as_the_clocks_go_forward():
    # 02:30 never shows in spring: a night to 02:30 ends, and one from 02:30 starts, at 03:00
    assert _walk(US, US_FORWARD, (22 * 60, 150)) == ([("23:00", 250), ("03:00", 180)], ["03:00"])
    assert _walk(EU, EU_FORWARD, (150, 7 * 60)) == ([("23:00", 180), ("03:00", 250)], ["23:00"])


def test_a_clock_set_an_hour_back_applies_at_once():
    # 01:40 under a night to 01:30, day's high 180, glucose 210: the high sounds. The wall
    # clock was an hour fast and is set right (main.App tells the engine: clock_set): 00:40
    # is night, at once, not held at 01:40 as minutes shown again by a daylight-saving end
    eng = make(high=180, schedule=[{"start": 22 * 60, "end": 90, "high": 250}])
    feed(eng, 0, 210, mod=100)
    assert eng.current_settings(0)["high"] == 180
    eng.clock_set(10, 40)
    eng.tick(15, 40)
    assert eng.current_settings(15)["high"] == 250


def test_minutes_shown_again_before_the_first_round_give_the_settings_of_the_minute_reached():
    # a power cut in New York's repeated hour: main.App at its boot tells the engine that
    # 01:10 EST is shown again and the schedules had reached 01:59 (after a night to 01:30).
    # The settings in force without a time given (the screen, the LAN API) are the day's
    # before the first round too; they raised TypeError (the engine's time unset)
    eng = make(high=180, schedule=[{"start": 22 * 60, "end": 90, "high": 250}])
    eng.replaying(40, 70, 119)
    assert eng.current_settings()["high"] == 180
    assert eng.current_settings(40)["high"] == 180


SANTIAGO = "<-04>4<-03>,M9.1.6/24,M4.1.6/24"
HAVANA = "CST5CDT,M3.2.0/0,M11.1.0/1"
BEIRUT = "EET-2EEST,M3.5.0/0,M10.5.0/0"
TROLL = "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3"
SANTIAGO_BACK = days_from_civil(2026, 4, 5) * 86400 + 3 * H     # 24:00 -03 -> 23:00 -04 (4 April)
HAVANA_BACK = days_from_civil(2026, 11, 1) * 86400 + 5 * H      # 01:00 CDT -> 00:00 CST
BEIRUT_BACK = days_from_civil(2026, 10, 24) * 86400 + 21 * H    # 24:00 EEST -> 23:00 EET
TROLL_BACK = days_from_civil(2026, 10, 25) * 86400 + 1 * H      # 03:00 +02 -> 01:00 +00 (2 h)


def test_clocks_going_back_at_midnight_or_by_two_hours_switch_nothing_again():
    # (session 59, helper-287, walked on the simulator too) the hour that comes twice
    # across midnight (Santiago, Beirut: 23:00-24:00), from midnight (Havana: 00:00-01:00)
    # and Troll's two hours (01:00-03:00: alarms.engine REPLAY_MIN at its bound), each walk
    # from 21:00: a night ending inside them ends once, on the first pass, and a reset on
    # the second pass (20 min in; Troll's also 80 min in) keeps it ended
    for rule, change, hours, end, resets in ((SANTIAGO, SANTIAGO_BACK, 3, "23:30", (1200,)),
                                             (BEIRUT, BEIRUT_BACK, 3, "23:30", (1200,)),
                                             (HAVANA, HAVANA_BACK, 4, "00:30", (1200,)),
                                             (TROLL, TROLL_BACK, 6, "02:00", (1200, 4800))):
        entry = (22 * 60, int(end[:2]) * 60 + int(end[3:]))
        want = ([("21:00", 180), ("22:00", 250), (end, 180)], ["21:00", end])
        for after in (None,) + resets:
            got = _walk(rule, change, entry, hours=hours,
                        reset_s=None if after is None else hours * H + after)
            assert got == want, (rule, after, got)
