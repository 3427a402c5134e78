# app/localtime.py on hand-worked dates, on CPython and MicroPython (every
# zone of tzdata is checked against zoneinfo in test_localtime_zones.py).
# Instants are Unix seconds, from `date -d 2026-03-08T07:00:00Z +%s`.
import civil
from app import localtime
from civil import days_from_civil


def _year_of(days):
    return civil.civil_from_unix(days * 86400)[0]

H = 3600


def _edges(text, at, before, after):
    rule = localtime.parse(text)
    return localtime.offset_min(rule, at - 1) == before and localtime.offset_min(rule, at) == after


def test_us_eastern_second_sunday_of_march_to_first_of_november():
    rule = "EST5EDT,M3.2.0,M11.1.0"
    assert _edges(rule, 1772953200, -300, -240)    # 2026-03-08 02:00 EST = 07:00 UTC
    assert _edges(rule, 1793512800, -240, -300)    # 2026-11-01 02:00 EDT = 06:00 UTC


def test_sydney_summer_spans_the_new_year():
    rule = "AEST-10AEDT,M10.1.0,M4.1.0/3"
    assert _edges(rule, 1775318400, 660, 600)      # 2026-04-05 03:00 AEDT
    assert _edges(rule, 1791043200, 600, 660)      # 2026-10-04 02:00 AEST
    assert localtime.offset_min(localtime.parse(rule), 1767225600) == 660   # 2026-01-01


def test_a_fifth_week_that_falls_in_the_next_month_is_the_last_week():
    # February 2026 has 28 days and starts on a Sunday: its "fifth" Sunday
    # (day 29) does not exist, so M2.5.0 is the last one, the 22nd
    assert _edges("AAA0BBB,M2.5.0/0,M10.1.0/0", 1771718400, 0, 60)


def test_julian_days_skip_february_29_and_zero_based_days_count_it():
    # 2028 is a leap year: J60 is March 1, day 59 (from 0) is February 29
    assert _edges("AAA0BBB,J60/0,J300/0", 1835481600, 0, 60)
    assert _edges("AAA0BBB,59/0,300/0", 1835395200, 0, 60)


def test_fixed_offsets_with_minutes_and_quoted_names():
    assert localtime.offset_min(localtime.parse("<+0530>-5:30"), 1772953200) == 330
    assert localtime.offset_min(localtime.parse("<-0330>3:30"), 1772953200) == -210
    assert localtime.offset_min(localtime.parse("UTC0"), 1772953200) == 0
    # a dst name without its offset is one hour ahead of standard time
    rule = localtime.parse("CET-1CEST,M3.5.0,M10.5.0/3")
    assert localtime.offset_min(rule, 1772953200 + 40 * 24 * H) == 120   # April 2026


def test_bad_rules_are_refused_with_a_reason():
    for text in ("", "EST", "EST5EDT", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0,", "5EST",
                 "EST5EDT,M3.0.0,M11.1.0", "<EST5"):
        try:
            localtime.parse(text)
        except ValueError as e:
            assert str(e), text
        else:
            raise AssertionError("accepted " + repr(text))


def test_a_change_pushed_across_new_year_by_its_time_still_counts():
    # J365/26: summer time ends on December 31 at 26:00 summer time, 01:00 UTC
    # on January 1: the half hour after midnight UTC is still summer time
    # (2027-01-01T00:30Z), though local standard time is already in the new year
    rule = "AAA0BBB,M3.5.0,J365/26"
    assert _edges(rule, 1798765200, 60, 0)                 # 2027-01-01T01:00Z
    assert localtime.offset_min(localtime.parse(rule), 1798763400) == 60
    # J1/-1: summer time begins on December 31 at 23:00, in the year before
    rule = "AAA0BBB,J1/-1,J200"
    assert _edges(rule, 1798758000, 0, 60)                 # 2026-12-31T23:00Z
    # all year summer time (RFC 8536 3.3.1) stays summer time over new year
    for rule, summer in (("EST5EDT,0/0,J365/25", -240), ("XXX3YYY1,0/0,J365/26", -60)):
        r = localtime.parse(rule)
        got = [localtime.offset_min(r, 1798761600 + d) for d in range(-7 * H, 7 * H, 600)]
        assert got == [summer] * len(got), rule


def test_a_rule_cut_short_says_where():
    for text, words in (("UTC", "character 4"), ("EST5EDT", "without its rules"),
                        ("Europe/Berlin", "not a rule")):
        try:
            localtime.parse(text)
        except ValueError as e:
            assert words in str(e), (text, str(e))
        else:
            raise AssertionError("accepted " + repr(text))


def _refused(text):
    try:
        localtime.parse(text)
    except ValueError as e:
        return str(e)
    return None


def test_every_field_at_its_bounds():
    # found by mutation testing: each bound of the grammar, just inside and just out
    inside = ("AAA24BBB,M12.5.6/167,J365/-167", "AAA-24:59:59BBB,M1.1.0,J1", "AAA0BBB,0,365",
              "AAA0BBB23:59,M2.4.3/0:00:59,M11.5.0/1:59", "<A-1>0" + "B" * 52 + ",J1,J2")
    for text in inside:
        assert _refused(text) is None, (text, _refused(text))
    outside = ("AAA25", "AAA0:60", "AAA0:0:60", "AAA0BBB,M13.1.0,J1", "AAA0BBB,M0.1.0,J1",
               "AAA0BBB,M1.6.0,J1", "AAA0BBB,M1.0.0,J1", "AAA0BBB,M1.1.7,J1", "AAA0BBB,J0,J1",
               "AAA0BBB,J366,J1", "AAA0BBB,366,1", "AAA0BBB,J1/168,J2", "AAA0BBB,J1/-168,J2",
               "AAA0001", "AA0", "<AA>0", "<A>B>0", "<AAA0", "AAA0BBB,M1.1.0,J1,",
               "AAA0BBB;M1.1.0,J1", "AAA0BBB,M1.1.0;J1", "AAA0BBB,M1.1,J1", "A" * 65,
               "<A-1>0" + "B" * 53 + ",J1,J2")
    for text in outside:
        assert _refused(text), text
    # where it went wrong, counted from 1
    assert "character 15" in _refused("AAA0BBB,M1.1.0;J1")
    assert "character 8" in _refused("AAA0BBB;M1.1.0,J1")
    assert "character 1 " in _refused("AA0") and "not closed" in _refused("<AAA0")
    # what is left over, quoted, where it starts; which field is out of its range
    assert "unexpected ',J2' at character 18" in _refused("AAA0BBB,M1.1.0,J1,J2")
    assert "minutes 60 is not" in _refused("AAA0:60")
    assert "seconds 60 is not" in _refused("AAA0:0:60")


def test_offsets_with_minutes_and_seconds_and_both_signs():
    for text, want in (("AAA+3:30", -210), ("AAA-3:30", 210), ("AAA3:30:59", -211),
                       ("AAA-0:01", 1), ("AAA24", -1440)):
        assert localtime.offset_min(localtime.parse(text), 1772953200) == want, text
    # daylight time given its own offset, and a rule time with minutes
    rule = localtime.parse("AAA5BBB3:30,M3.2.0/2:30,M11.1.0")
    assert localtime.offset_min(rule, 1783000000) == -210             # summer
    assert _edges("AAA5BBB3:30,M3.2.0/2:30,M11.1.0", 1772953200 + 1800, -300, -210)


def _days_counted(y, m, d):
    """Days since 1970-01-01, counted month by month (slow, independent of the module)."""
    lengths = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    n = 0
    step = 1 if y >= 1970 else -1
    for year in range(1970, y, step) if step > 0 else range(y, 1970):
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        n += step * (366 if leap else 365)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    for month in range(1, m):
        n += lengths[month - 1] + (1 if month == 2 and leap else 0)
    return n + d - 1


def test_calendar_arithmetic_over_four_centuries():
    # 1900 and 2100 are not leap years, 2000 and 2400 are: every first and last
    # day of every month, and the year each day falls in
    for y in (1899, 1900, 1901, 1970, 1999, 2000, 2001, 2024, 2026, 2099, 2100, 2104, 2399, 2400):
        for m in range(1, 13):
            for d in (1, 28):
                days = days_from_civil(y, m, d)
                assert days == _days_counted(y, m, d), (y, m, d)
                assert _year_of(days) == y, (y, m, d)
        assert _year_of(days_from_civil(y + 1, 1, 1) - 1) == y
        assert localtime._leap(y) == (days_from_civil(y, 3, 1)
                                      - days_from_civil(y, 2, 28) == 2), y


def test_the_last_week_of_every_month_and_julian_days_in_leap_and_common_years():
    # M<m>.5.0 is the month's last Sunday; J60 is March 1 in every year; n59 is
    # February 29 in a leap year and March 1 in a common one
    for year in (2026, 2028, 2100):
        for month in range(1, 13):
            nxt = days_from_civil(year + (month == 12), month % 12 + 1, 1)
            day = localtime._change_s(year, ("M", month, 5, 0, 0)) // 86400
            assert (day + 4) % 7 == 0 and nxt - 7 <= day < nxt, (year, month)
            first = localtime._change_s(year, ("M", month, 1, 3, 0)) // 86400
            start = days_from_civil(year, month, 1)
            assert (first + 4) % 7 == 3 and start <= first < start + 7, (year, month)
        assert localtime._change_s(year, ("J", 60, 0, 0, 0)) // 86400 == \
            days_from_civil(year, 3, 1)
        feb29 = localtime._change_s(year, ("n", 59, 0, 0, 0)) // 86400
        assert feb29 == days_from_civil(year, 2, 28) + 1


def test_julian_day_59_is_february_28_in_a_leap_year_too():
    # found by mutation testing (localtime#324: J59 counted as February 29 in 2028)
    assert _edges("AAA0BBB,J59/0,J300/0", 1835308800, 0, 60)     # 2028-02-28T00:00Z


def test_a_summer_time_that_ends_as_it_begins_is_no_summer_time():
    # start and end at the same instant (J100 02:00 standard = 03:00 summer time):
    # standard time all year, as glibc gives it (localtime#76 gave summer time all year)
    rule = localtime.parse("AAA0BBB,J100/2,J100/3")
    for t in (1772953200, 1775786400 - 1, 1775786400, 1775786400 + 1, 1798761600):   # 2026-04-10T02:00Z
        assert localtime.offset_min(rule, t) == 0, t


def test_both_changes_of_a_year_moved_past_new_year_by_their_times():
    # J365/40 begins summer time on January 1 at 16:00, J365/30 ends it at 06:00
    # summer time (05:00Z): summer time all year but those 11 hours. In the first
    # hours of 2027 neither change of 2027's or 2026's rule has happened yet: the
    # state is the one 2025's rule left (summer time since 2026-01-01T16:00Z); it
    # was standard time, 0, until 05:00Z
    assert localtime.offset_min(localtime.parse("AAA0BBB,J365/40,J365/30"), 1798761600) == 60
    assert _edges("AAA0BBB,J365/40,J365/30", 1798779600, 60, 0)     # 2027-01-01T05:00Z
    assert _edges("AAA0BBB,J365/40,J365/30", 1798819200, 0, 60)     # 2027-01-01T16:00Z
    # the other order: standard time in those hours, summer time 06:00Z to 15:00Z
    assert localtime.offset_min(localtime.parse("AAA0BBB,J365/30,J365/40"), 1798761600) == 0
    # 24 h west: summer time (23 h west) until January 5 03:00Z and from January 6
    # 00:00Z; it was 24 h west from January 2, when local standard time is 2027
    rule = localtime.parse("AAA24BBB,J365/120,J365/100")
    for day in range(1, 5):
        assert localtime.offset_min(rule, 1798761600 + day * 24 * H) == -1380, day
    assert _edges("AAA24BBB,J365/120,J365/100", 1799118000, -1380, -1440)   # 2027-01-05T03:00Z
    assert _edges("AAA24BBB,J365/120,J365/100", 1799193600, -1440, -1380)   # 2027-01-06T00:00Z
