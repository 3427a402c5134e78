# app/localtime.py on hand-worked dates, on CPython and MicroPython (every
# zone of tzdata is checked against zoneinfo in test_localtime_zones.py).
# Instants are Unix seconds, from `date -d 2026-03-08T07:00:00Z +%s`.
from app import localtime

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
