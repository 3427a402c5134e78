# Shared steps of the alarm engine's dual tests (CPython and MicroPython):
# an engine with settings, readings fed at given times, what the events say.
from alarms import settings
from alarms.engine import AlarmEngine
import reading

MIN = 60


def lcg(seed):
    """The next state of a fixed linear congruential generator (no random module:
    the same numbers on CPython and MicroPython)."""
    return (seed * 1103515245 + 12345) % 2147483648


def make(**user):
    return AlarmEngine(settings.validate(user))


def feed(eng, t_s, sgv, age_s=0, mod=None):
    return eng.on_reading(reading.make(t_s, None, sgv, None, 6), t_s, age_s, minute_of_day=mod)


def ticks(eng, start_s, end_s, step_s=30):
    """The engine's rounds from start_s to end_s (no readings): their events."""
    ev = []
    for t in range(start_s, end_s, step_s):
        ev += eng.tick(t)
    return ev


def series(eng, start_min, values, step_min=5):
    events = []
    for i, v in enumerate(values):
        events += feed(eng, (start_min + step_min * i) * MIN, v)
    return events


def kinds(events, name="alarm_onset"):
    return [e["type"] for e in events if e["event"] == name]


def alarm(eng, kind):
    for a in eng.active():
        if a["type"] == kind:
            return a
    return None
