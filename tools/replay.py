"""Replay a CGM trace through the alarm engine; print one JSON line per alarm onset.

    micropython tools/replay.py trace.csv      (the official path: make replay TRACE=...)
    python tools/replay.py trace.csv           (CPython, same output)

Trace: CSV with `minute` and `cgm` columns (other columns ignored), 5-minute
cadence, missing rows are missing readings; read by tools/tracefile.py (its
docstring has every rule), the same reader as the alarm bench and the simulator.
Default settings, no button presses. The engine sees now_s = minute * 60; it
gets each reading when it is taken (age 0) and a tick every TICK_S seconds
between readings, as the device would. Output lines: {"t": minute, "type",
"priority", "sgv"} for every onset (an alarm that stays active is printed once,
until it clears). The file is read twice, a row at a time (checked first, so an
error prints no onset; never held whole, so a year of readings replays in a small
heap). Python callers: onsets(rows) yields onset dicts and replay(rows) lists them,
where rows is an iterable of (minute, cgm or None); check_trace(path) raises
TraceError, trace_readings(path) yields rows, read_trace(path) does both into a
list.
"""
import json
import sys

# tracefile puts the firmware on sys.path (first on CPython, last on MicroPython)
from tracefile import (TraceError, check_trace, read_trace,  # noqa: F401 (callers use replay.X)
                       trace_readings)
from alarms import settings as alarm_settings  # noqa: E402
from alarms.engine import AlarmEngine  # noqa: E402
import reading  # noqa: E402

TICK_S = 60


def _steps(engine, rows):
    """(events, minute) of each tick and reading, one at a time: a gap's ticks are
    handed on as they run, never collected (a 30-day gap is 43,200 of them, and
    collecting them ran out of MicroPython's heap mid-output)."""
    t_prev = None
    for minute, cgm in rows:
        now = minute * 60
        if t_prev is not None:
            t = t_prev + TICK_S
            while t < now:
                yield engine.tick(t), t // 60
                t += TICK_S
        r = reading.make(now, None, cgm, None, 6, reading.LIVE)
        yield engine.on_reading(r, now), minute
        t_prev = now


def onsets(rows, settings=None):
    """The onsets of the engine over rows ((minute, cgm or None) in any iterable),
    as they happen."""
    engine = AlarmEngine(alarm_settings.validate(settings or {}))
    active = {}
    for events, at in _steps(engine, rows):
        for e in events:
            kind = e["type"]
            if e["event"] == "alarm_onset" and kind not in active:
                active[kind] = True
                yield {"t": at, "type": kind, "priority": e["priority"], "sgv": e.get("sgv")}
            elif e["event"] == "alarm_clear":
                active.pop(kind, None)


def replay(rows, settings=None):
    return list(onsets(rows, settings))


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: replay.py trace.csv\n")
        return 2
    try:
        check_trace(argv[1])
    except TraceError as e:
        sys.stderr.write("replay: %s\n" % (e,))
        return 2
    except OSError as e:
        sys.stderr.write("replay: cannot read %s: %s\n" % (argv[1], e))
        return 2
    for o in onsets(trace_readings(argv[1])):
        # fixed key order, so both runtimes print the same bytes
        print('{"t": %d, "type": %s, "priority": %s, "sgv": %s}' % (
            o["t"], json.dumps(o["type"]), json.dumps(o["priority"]), json.dumps(o["sgv"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
