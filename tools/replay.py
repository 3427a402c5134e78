"""Replay a CGM trace through the alarm engine; print one JSON line per alarm onset.

    micropython tools/replay.py trace.csv      (the official path: make replay TRACE=...)
    python tools/replay.py trace.csv           (CPython, same output)

Trace: CSV with a header holding `minute` and `cgm` (other columns ignored),
5-minute cadence; absent rows and blank cgm are missing readings. Default
settings, no button presses. The engine sees now_s = minute * 60; it gets each
reading when it is taken (age 0) and a tick every TICK_S seconds between
readings, as the device would. Output lines: {"t": minute, "type", "priority",
"sgv"} for every onset (an alarm that stays active is printed once, until it
clears). Python callers: replay(rows) -> list of onset dicts, where rows is a
list of (minute, cgm or None); read_trace(path) -> rows.
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
    """The trace file cannot be read (missing columns, bad numbers)."""


def read_trace(path):
    rows = []
    with open(path) as f:
        header = f.readline().strip().split(",")
        if "minute" not in header or "cgm" not in header:
            raise TraceError("%s: header must name minute and cgm columns, got %r" % (path, header))
        im, ic = header.index("minute"), header.index("cgm")
        for n, line in enumerate(f, 2):
            line = line.strip()
            if not line:
                continue
            cells = line.split(",")
            try:
                minute = int(float(cells[im]))
                cell = cells[ic].strip() if ic < len(cells) else ""
                cgm = int(float(cell) + 0.5) if cell else None
            except ValueError:
                raise TraceError("%s line %d: bad number in %r" % (path, n, line))
            rows.append((minute, cgm))
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
        print("usage: replay.py trace.csv", file=sys.stderr) if hasattr(sys, "stderr") else None
        return 2
    for o in replay(read_trace(argv[1])):
        # fixed key order, so both runtimes print the same bytes
        print('{"t": %d, "type": %s, "priority": %s, "sgv": %s}' % (
            o["t"], json.dumps(o["type"]), json.dumps(o["priority"]), json.dumps(o["sgv"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
