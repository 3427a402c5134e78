# Local time from a POSIX TZ rule, so alarm schedules (a night from 22:00)
# follow daylight saving time without anyone changing a setting twice a year.
# MicroPython has no time zones; a rule is what every tzdata file ends with
# (`tail -1 /usr/share/zoneinfo/Europe/Berlin`), and it holds the future:
#
#   rule = localtime.parse("CET-1CEST,M3.5.0,M10.5.0/3")  # ValueError: what is wrong
#   localtime.offset_min(rule, unix_s)                   # local minus UTC, minutes
#
# Grammar (POSIX, with RFC 8536's rule hours -167..167):
#   std offset [dst [offset] ,start[/time],end[/time]]
#   name:   3+ letters, or <...> of letters, digits, + and - ("<+0530>")
#   offset: [+-]hh[:mm[:ss]], hours 0..24, WEST of Greenwich positive (UTC minus
#           local: "EST5" is UTC-5); dst without an offset is std + 1 hour
#   start/end: Mm.w.d (month 1-12, week 1-5 with 5 = the last, day 0-6 from
#           Sunday) | Jn (1-365, February 29 never counted) | n (0-365)
#   time:   local time of the change, default 02:00:00 (start in standard
#           time, end in daylight time)
# A dst name without rules is refused: POSIX leaves it to each system.

# a parsed rule: (std_west_s, None) or (std_west_s, (dst_west_s, start, end)),
# start/end = (kind, a, b, c, time_s), kind "M" (a month, b week, c day), "J" or "n" (a day)
from civil import civil_from_unix, days_from_civil


def parse(text):
    if not isinstance(text, str) or not text or len(text) > 64:
        raise ValueError("must be a POSIX time-zone rule of 1 to 64 characters")
    if "/" in text.split(",")[0]:
        raise ValueError("a zone name such as Europe/Berlin is not a rule: give the rule "
                         "(the last line of the zone's tzdata file)")
    p = _Reader(text)
    p.name()
    std = p.offset()
    if p.done():
        return (std, None)
    p.name()
    dst = std - 3600 if p.peek() in (",", "") else p.offset()
    if p.done():
        raise ValueError("daylight saving time without its rules (,start[/time],end[/time])")
    p.expect(",")
    start = p.change()
    p.expect(",")
    end = p.change()
    if not p.done():
        raise ValueError("unexpected %r at character %d" % (p.rest(), p.i + 1))
    return (std, (dst, start, end))


def offset_min(rule, unix_s):
    """Local time minus UTC, in minutes, at `unix_s` (seconds since 1970, UTC)."""
    std, dst = rule
    if dst is None:
        return -std // 60
    dst_west, start, end = dst
    # the last change at or before unix_s; a rule time (-167..167 h) can move a
    # change across new year, so the year after counts, and two years back: when
    # last year's changes both moved into this year, the year before's set the
    # state until then. On a tie the later year's start wins: all-year DST
    # (0/0,J365/25) ends as it begins again
    year = civil_from_unix(int(unix_s) - std)[0]
    last, in_dst = None, False
    for y in (year - 2, year - 1, year, year + 1):
        at = _change_s(y, start) + std              # in UTC
        if at <= unix_s and (last is None or at >= last):
            last, in_dst = at, True
        at = _change_s(y, end) + dst_west
        if at <= unix_s and (last is None or at >= last):
            last, in_dst = at, False
    return -(dst_west if in_dst else std) // 60


class _Reader:
    def __init__(self, text):
        self.s, self.i = text, 0

    def done(self):
        return self.i >= len(self.s)

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else ""

    def rest(self):
        return self.s[self.i:]

    def expect(self, ch):
        if self.peek() != ch:
            raise ValueError("expected %r at character %d" % (ch, self.i + 1))
        self.i += 1

    def name(self):
        s, i = self.s, self.i
        if self.peek() == "<":
            end = s.find(">", i)
            if end < 0:
                raise ValueError("a <name> is not closed")
            body = s[i + 1:end]
            ok = all(c.isalpha() or c.isdigit() or c in "+-" for c in body)
            self.i = end + 1
        else:
            j = i
            while j < len(s) and s[j].isalpha():
                j += 1
            body = s[i:j]
            ok = True
            self.i = j
        if len(body) < 3 or not ok:
            raise ValueError("a zone name at character %d must be 3 or more letters, or <...>"
                             % (i + 1))

    def _number(self, lo, hi, what):
        s, j = self.s, self.i
        while j < len(s) and s[j].isdigit():
            j += 1
        if j == self.i or j - self.i > 3:
            raise ValueError("%s expected at character %d" % (what, self.i + 1))
        n = int(s[self.i:j])
        if n < lo or n > hi:
            raise ValueError("%s %d is not in %d..%d" % (what, n, lo, hi))
        self.i = j
        return n

    def _hms(self, max_hours):
        sign = 1
        if self.peek() and self.peek() in "+-":
            sign = -1 if self.peek() == "-" else 1
            self.i += 1
        secs = self._number(0, max_hours, "hours") * 3600
        for unit in (60, 1):
            if self.peek() != ":":
                break
            self.i += 1
            secs += self._number(0, 59, "minutes" if unit == 60 else "seconds") * unit
        return sign * secs

    def offset(self):
        return self._hms(24)

    def change(self):
        c = self.peek()
        if c == "M":
            self.i += 1
            month = self._number(1, 12, "month")
            self.expect(".")
            week = self._number(1, 5, "week")
            self.expect(".")
            day = self._number(0, 6, "weekday")
            rule = ["M", month, week, day]
        elif c == "J":
            self.i += 1
            rule = ["J", self._number(1, 365, "day"), 0, 0]
        else:
            rule = ["n", self._number(0, 365, "day"), 0, 0]
        time_s = 7200
        if self.peek() == "/":
            self.i += 1
            time_s = self._hms(167)
        rule.append(time_s)
        return tuple(rule)


def _leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _change_s(year, change):
    """Seconds since 1970 of a change in `year`, in the local time it is given in."""
    kind, a, b, c, time_s = change
    if kind == "J":          # 1..365, February 29 is never day 60
        day = days_from_civil(year, 1, 1) + a - 1 + (1 if _leap(year) and a >= 60 else 0)
    elif kind == "n":        # 0..365
        day = days_from_civil(year, 1, 1) + a
    else:                    # the b-th weekday c of month a (b = 5: the last)
        first = days_from_civil(year, a, 1)
        day = first + (c - (first + 4) % 7) % 7 + 7 * (b - 1)   # 1970-01-01 was a Thursday
        if b == 5:
            nxt = days_from_civil(year + (a == 12), a % 12 + 1, 1)
            while day >= nxt:
                day -= 7
    return day * 86400 + time_s
