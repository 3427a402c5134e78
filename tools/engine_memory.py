"""Heap the alarm engine and its state take after a run of readings, for a
5-minute source (a Dexcom: the fall/rise window keeps 4 readings) and a
1-minute one (a follower of a 1-minute CGM: 16), fall and rise on.

    MICROPYPATH=firmware build/micropython32 tools/engine_memory.py   (the board's word size)
    MICROPYPATH=firmware .venv/bin/micropython tools/engine_memory.py
"""
import gc

from alarms import settings
from alarms.engine import AlarmEngine
import reading

READINGS = 300


def run(step_s):
    eng = AlarmEngine(settings.validate({"fall_enabled": True, "rise_enabled": True}))
    t = 100000
    for i in range(READINGS):
        sgv = 100 + i % 40   # a saw: rises, then one drop
        eng.on_reading(reading.make(t, None, sgv, None, 6), t, 0)
        t += step_s
    return eng


for step in (300, 60, 300, 60):   # twice each: the first run also pays for imports' caches
    gc.collect()
    before = gc.mem_alloc()
    eng = run(step)
    gc.collect()
    print("readings every %3d s: window %2d readings, engine and its state %d B"
          % (step, len(eng._recent), gc.mem_alloc() - before))
    del eng
