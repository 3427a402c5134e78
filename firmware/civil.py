# UTC calendar arithmetic, pure (CPython and MicroPython), on the proleptic
# Gregorian calendar (H. Hinnant's days_from_civil / civil_from_days): the one
# place the firmware turns dates into days and back (Nightscout dates, HTTP Date
# headers, time-zone rules).
#
#   days_from_civil(2026, 3, 29)   -> days since 1970-01-01
#   civil_from_unix(unix_s)        -> (year, month, day, hour, minute, second) UTC
#   settable(unix_s)               -> may a time source (NTP, a server, a phone) set the clock to it
#   unix_ms_of_iso("2026-01-05T03:40:14.123Z") -> Unix ms; None if not an ISO 8601 time with a zone


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of year y, month m (1-12), day d."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_unix(unix_s):
    """(year, month, day, hour, minute, second) UTC for Unix seconds (any port epoch)."""
    days, rem = divmod(int(unix_s), 86400)
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (m <= 2)
    return (y, m, d, rem // 3600, rem % 3600 // 60, rem % 60)


SETTABLE_FROM = 1704067200   # 2024-01-01: a time source giving an earlier one is wrong
SETTABLE_UNTIL = 4102444800  # 2100-01-01: from then on broken or forged (the readings' dates are 32-bit)


def settable(unix_s):
    """A wall time a clock source may set (NTP, a server's Date, a phone)."""
    return SETTABLE_FROM <= unix_s < SETTABLE_UNTIL


def _digits(s, i, n):
    part = s[i:i + n]
    if len(part) != n or not part.isdigit():
        raise ValueError
    return int(part)


def unix_ms_of_iso(s):
    """Unix ms of an ISO 8601 date and time with its zone, as Nightscout's
    dateString: "2026-01-05T03:40:14.123Z", "...14+01:00", "...14.123+0100".
    None for anything else (a time without a zone is not a point in time)."""
    try:
        y, m, d = _digits(s, 0, 4), _digits(s, 5, 2), _digits(s, 8, 2)
        hh, mm, ss = _digits(s, 11, 2), _digits(s, 14, 2), _digits(s, 17, 2)
        if s[4] != "-" or s[7] != "-" or s[10] not in "T " or s[13] != ":" or s[16] != ":":
            return None
        i, ms = 19, 0
        if s[i:i + 1] == ".":
            j = i + 1
            while s[j:j + 1].isdigit():
                j += 1
            if j == i + 1:
                return None
            ms = int((s[i + 1:j] + "00")[:3])
            i = j
        zone = s[i:]
        if zone in ("Z", "z", "+00:00", "+0000"):
            offset = 0
        elif len(zone) in (5, 6) and zone[0] in "+-":
            oh = _digits(zone, 1, 2)
            om = _digits(zone, len(zone) - 2, 2)
            if len(zone) == 6 and zone[3] != ":" or oh > 23 or om > 59:
                return None
            offset = (oh * 60 + om) * 60 * (1 if zone[0] == "+" else -1)
        else:
            return None
    except (ValueError, TypeError, IndexError):
        return None
    if not (1 <= m <= 12 and 1 <= d <= 31 and hh < 24 and mm < 60 and ss <= 60):
        return None
    unix_s = days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss - offset
    return unix_s * 1000 + ms
