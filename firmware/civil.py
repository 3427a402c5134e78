# UTC calendar arithmetic, pure (CPython and MicroPython), on the proleptic
# Gregorian calendar (H. Hinnant's days_from_civil / civil_from_days): the one
# place the firmware turns dates into days and back (Nightscout dates, HTTP Date
# headers, time-zone rules).
#
#   days_from_civil(2026, 3, 29)   -> days since 1970-01-01
#   civil_from_unix(unix_s)        -> (year, month, day, hour, minute, second) UTC
#   settable(unix_s)               -> may a time source (NTP, a server, a phone) set the clock to it


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

