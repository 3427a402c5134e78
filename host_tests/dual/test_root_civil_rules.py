# firmware/civil.py, the one place the firmware turns dates into days and back
# (Nightscout `date`/`dateString`, the HTTP Date header, the time-zone rules, the
# NTP answer's era): pinned against an independent day-by-day count (month lengths
# and the Gregorian leap rule), both ways, over 1999-2101 and at the dates where
# Hinnant's algorithm changes era, century or leap year (29 Feb 2000 and 2024, no
# 29 Feb 1900 or 2100, 1 March 1600/2000/2400), before 1970 (negative Unix times),
# at the ESP32's 2000 epoch (946684800), and settable()'s window (2024 .. 2100).
# A wrong date here puts readings at the wrong time on Nightscout or runs the night
# schedule in the day. `python tools/mutation.py --package root --only civil`: the
# forwarders' and time zones' tests already kill 148 of 151; the 3 left change a
# divisor of the year-of-era formula and give the same year for every day of a
# 400-year era (equivalent), so this file pins the rules, not the score.
# Runs on both runtimes.
import civil
from civil import civil_from_unix, days_from_civil, settable

_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _month_days(y, m):
    return _LENGTHS[m - 1] + (1 if m == 2 and _leap(y) else 0)


def _count_days(y, m, d):
    """Days since 1970-01-01, counted year by year and month by month (no formula)."""
    days = 0
    if y >= 1970:
        for yy in range(1970, y):
            days += 366 if _leap(yy) else 365
    else:
        for yy in range(y, 1970):
            days -= 366 if _leap(yy) else 365
    for mm in range(1, m):
        days += _month_days(y, mm)
    return days + d - 1


def test_every_day_from_1999_to_2101_both_ways_against_a_day_by_day_count():
    day = _count_days(1999, 1, 1)
    y, m, d = 1999, 1, 1
    while y < 2102:
        assert days_from_civil(y, m, d) == day, (y, m, d)
        # a second late in the day, so a wrong hour or day split shows too
        s = (day * 86400) + 86399 - (day % 3600)
        rem = 86399 - (day % 3600)
        assert civil_from_unix(s) == (y, m, d, rem // 3600, rem % 3600 // 60, rem % 60), (y, m, d)
        assert civil_from_unix(day * 86400)[:3] == (y, m, d), (y, m, d)
        day += 1
        d += 1
        if d > _month_days(y, m):
            d, m = 1, m + 1
            if m == 13:
                m, y = 1, y + 1


def test_29_february_in_2000_and_2024_but_not_in_1900_or_2100():
    for y, leap in ((1900, False), (2000, True), (2023, False), (2024, True), (2100, False),
                    (2400, True)):
        feb28 = days_from_civil(y, 2, 28)
        mar1 = days_from_civil(y, 3, 1)
        assert mar1 - feb28 == (2 if leap else 1), y
        assert civil_from_unix((feb28 + 1) * 86400)[:3] == ((y, 2, 29) if leap else (y, 3, 1)), y
        assert days_from_civil(y + 1, 1, 1) - days_from_civil(y, 1, 1) == (366 if leap else 365), y
    assert days_from_civil(2000, 2, 29) == 11016
    assert days_from_civil(2024, 2, 29) == 19782
    assert civil_from_unix(951782400) == (2000, 2, 29, 0, 0, 0)
    assert civil_from_unix(1709164800) == (2024, 2, 29, 0, 0, 0)
    assert civil_from_unix(4107542400) == (2100, 3, 1, 0, 0, 0)     # the day after 28 Feb 2100


def test_every_month_end_and_the_next_first_from_1999_to_2101():
    for y in range(1999, 2102):
        for m in range(1, 13):
            last = _month_days(y, m)
            end = days_from_civil(y, m, last)
            assert end == _count_days(y, m, last), (y, m)
            assert civil_from_unix(end * 86400 + 86399) == (y, m, last, 23, 59, 59), (y, m)
            nxt = (y + 1, 1) if m == 12 else (y, m + 1)
            assert civil_from_unix((end + 1) * 86400) == (nxt[0], nxt[1], 1, 0, 0, 0), (y, m)


def test_zero_and_negative_unix_times_are_1970_and_before():
    assert days_from_civil(1970, 1, 1) == 0
    assert civil_from_unix(0) == (1970, 1, 1, 0, 0, 0)
    assert civil_from_unix(-1) == (1969, 12, 31, 23, 59, 59)
    assert days_from_civil(1969, 12, 31) == -1
    assert civil_from_unix(-86400) == (1969, 12, 31, 0, 0, 0)
    assert civil_from_unix(-86401) == (1969, 12, 30, 23, 59, 59)
    for y, m, d in ((1969, 1, 1), (1960, 2, 29), (1900, 2, 28), (1900, 3, 1), (1600, 2, 29),
                    (1600, 3, 1), (1599, 12, 31)):
        days = _count_days(y, m, d)
        assert days_from_civil(y, m, d) == days, (y, m, d)
        assert civil_from_unix(days * 86400 + 3661) == (y, m, d, 1, 1, 1), (y, m, d)


def test_the_era_and_century_seams_of_the_algorithm():
    # 400-year eras start on 1 March of 1600, 2000, 2400; the era's last day is
    # 29 February of its 400th year, the centuries end on 28 February of 1700/1800/1900
    for y, m, d in ((1600, 3, 1), (1700, 2, 28), (1700, 3, 1), (1800, 3, 1), (1999, 12, 31),
                    (2000, 1, 1), (2000, 2, 29), (2000, 3, 1), (2099, 12, 31), (2100, 2, 28),
                    (2100, 3, 1), (2101, 1, 1), (2200, 3, 1), (2300, 3, 1), (2400, 2, 29),
                    (2400, 3, 1), (2401, 1, 1)):
        days = _count_days(y, m, d)
        assert days_from_civil(y, m, d) == days, (y, m, d)
        assert civil_from_unix(days * 86400 + 43200) == (y, m, d, 12, 0, 0), (y, m, d)


def test_the_esp32_epoch_is_946684800_and_fractions_of_a_second_are_cut():
    # the ESP32's time.time() counts from 2000-01-01: clock.py adds this
    assert days_from_civil(2000, 1, 1) * 86400 == 946684800
    assert civil_from_unix(946684800) == (2000, 1, 1, 0, 0, 0)
    assert civil_from_unix(946684799) == (1999, 12, 31, 23, 59, 59)
    assert civil_from_unix(946684800.99) == (2000, 1, 1, 0, 0, 0)    # CPython's time.time()
    assert civil_from_unix(1774749599) == (2026, 3, 29, 1, 59, 59)   # a DST night in Europe
    assert civil_from_unix(2147483647) == (2038, 1, 19, 3, 14, 7)    # 32-bit signed limit
    assert civil_from_unix(4294967295) == (2106, 2, 7, 6, 28, 15)    # u32 limit


def test_a_clock_may_be_set_from_2024_up_to_but_not_into_2100():
    assert days_from_civil(2024, 1, 1) * 86400 == 1704067200
    assert days_from_civil(2100, 1, 1) * 86400 == 4102444800
    assert not settable(1704067199)      # 2023-12-31 23:59:59: a source that lost its clock
    assert settable(1704067200)
    assert settable(1774749599)
    assert settable(4102444799)          # 2099-12-31 23:59:59
    assert not settable(4102444800)
    assert not settable(0) and not settable(-1) and not settable(946684800)
    assert not settable(2 ** 32)
    assert civil.SETTABLE_FROM == 1704067200 and civil.SETTABLE_UNTIL == 4102444800
