"""Replay a CGM trace through the alarm engine; print one JSON line per alarm onset.

    micropython tools/replay.py trace.csv      (the official path: make replay TRACE=...)
    python tools/replay.py trace.csv           (CPython, same output)

Trace: CSV with a header holding `minute` and `cgm` (any order, any case, quotes
and a byte-order mark allowed; other columns ignored), 5-minute cadence, minutes
increasing. Absent rows are missing readings, and so are the cells "", NA, NaN,
null, none and "-"; LOW and HIGH (how Dexcom exports show readings under 40 and
over 400) are read as 39 and 401. Any other text is an error with its line.
Default settings, no button presses. The engine sees now_s = minute * 60; it
gets each reading when it is taken (age 0) and a tick every TICK_S seconds
between readings, as the device would. Output lines: {"t": minute, "type",
"priority", "sgv"} for every onset (an alarm that stays active is printed once,
until it clears). Python callers: replay(rows) -> list of onset dicts, where rows
is a list of (minute, cgm or None); read_trace(path) -> rows; glucose_cell(text)
-> float or None (also the alarm bench's rule for every glucose cell).
"""
import json
import sys

_HERE = __file__.rpartition("/")[0] if "/" in __file__ else "."
sys.path.insert(0, _HERE + "/../firmware")

from alarms import settings as alarm_settings  # noqa: E402
from alarms.engine import AlarmEngine  # noqa: E402
import reading  # noqa: E402

TICK_S = 60


class TraceError(ValueError):
    """The trace file cannot be read (missing columns, bad numbers, minutes out of order)."""


MISSING = ("", "na", "nan", "null", "none", "-")
OUT_OF_RANGE = {"low": 39.0, "high": 401.0}


def glucose_cell(text):
    """mg/dL of one glucose cell, None when it says "no reading"; ValueError otherwise."""
    t = text.strip().strip('"').strip().lower()
    if t in MISSING:
        return None
    if t in OUT_OF_RANGE:
        return OUT_OF_RANGE[t]
    v = float(t)
    if v != v:
        return None
    return v


def header_columns(line):
    """The header's cells, normalised: no BOM, quotes or spaces, lower case."""
    return [c.strip().strip('"').strip().lower() for c in line.lstrip("\ufeff").split(",")]


def read_trace(path):
    rows = []
    with open(path) as f:
        header = header_columns(f.readline())
        if "minute" not in header or "cgm" not in header:
            raise TraceError("%s: header must name minute and cgm columns, got %r" % (path, header))
        im, ic = header.index("minute"), header.index("cgm")
        for n, line in enumerate(f, 2):
            line = line.strip()
            if not line:
                continue
            cells = line.split(",")
            try:
                minute = int(float(cells[im].strip().strip('"')))
                v = glucose_cell(cells[ic]) if ic < len(cells) else None
            except (ValueError, IndexError):
                raise TraceError("%s line %d: bad number in %r" % (path, n, line))
            if rows and minute <= rows[-1][0]:
                raise TraceError("%s line %d: minute %d not after %d" % (path, n, minute, rows[-1][0]))
            rows.append((minute, None if v is None else int(v + 0.5)))
    return rows


def replay(rows, settings=None):
    engine = AlarmEngine(alarm_settings.validate(settings or {}))
    onsets, active = [], {}

    def handle(events, minute):
        for e in events:
            kind = e["type"]
            if e["event"] == "alarm_onset" and kind not in active:
                active[kind] = True
                onsets.append({"t": minute, "type": kind, "priority": e["priority"],
                               "sgv": e.get("sgv")})
            elif e["event"] == "alarm_clear":
                active.pop(kind, None)

    t_prev = None
    for minute, cgm in rows:
        now = minute * 60
        if t_prev is not None:
            t = t_prev + TICK_S
            while t < now:
                handle(engine.tick(t), t // 60)
                t += TICK_S
        r = reading.make(now, None, cgm, None, 6, reading.LIVE)
        handle(engine.on_reading(r, now), minute)
        t_prev = now
    return onsets


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: replay.py trace.csv\n")
        return 2
    try:
        rows = read_trace(argv[1])
    except TraceError as e:
        sys.stderr.write("replay: %s\n" % (e,))
        return 2
    except OSError as e:
        sys.stderr.write("replay: cannot read %s: %s\n" % (argv[1], e))
        return 2
    for o in replay(rows):
        # fixed key order, so both runtimes print the same bytes
        print('{"t": %d, "type": %s, "priority": %s, "sgv": %s}' % (
            o["t"], json.dumps(o["type"]), json.dumps(o["priority"]), json.dumps(o["sgv"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
