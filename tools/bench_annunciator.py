"""Bench section `annunciator` (make bench SECTION=annunciator).

Runs the real annunciator on the MicroPython unix port over the virtual
clock and the `machine` fake, and measures from the recorded pin log:
- onset_to_sound_ms: from an alarm onset (engine task calls ann.set()) to the
  first moment the buzzer sounds (duty > 0 in the pin log) at or after it; median / p99 / max over randomized
  onsets (random times, random priority and level, random prior state:
  calm, no-data blink, a lower alarm sounding, snoozed, a test sequence);
- patterns_checked: the priority/level patterns whose pulse counts, lengths,
  spacing and repeat interval matched the IEC 60601-1-8 rhythm
  (tools/host/annunciator_view.check_iec), with patterns_failed listing any
  that did not;
- wake-ups of the annunciator task per simulated hour while calm and while a
  high alarm sounds, and the real time those simulated hours took."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "host"))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

N_ONSETS = 400

PROG = r'''
import sys, random, json
sys.path.insert(0, "tools/host")
import vtime
vtime.install(0)
import asyncio, machine
from sound import board, annunciator, patterns
import annunciator_view as V
machine.set_log_limit(40000)
B = board.load("esp32-devkitc")
BZ = B["buzzer"]["pin"]
now = machine.now_ms
ann = annunciator.Annunciator(B, clock_ms=now)
random.seed(%(seed)d)
PRIOS = ("high", "medium", "low")
res = {"onsets": [], "checks": {}, "wake": {}}

def first_sound(t_on):
    # the buzzer is sounding at t when its last duty entry at or before t is > 0
    # (a pulse of the old pattern may run straight into the new one's first)
    on = False
    for t, p, a, v in machine.LOG:
        if p != BZ or a != "duty_u16":
            continue
        if t > t_on and on:
            return 0
        if t >= t_on and v > 0:
            return t - t_on
        on = v > 0
    return 0 if on else None

async def onsets():
    for i in range(%(n)d):
        ann.set(None)
        ann.show("ok")
        prior = random.choice(("calm", "no_data", "lower", "snoozed", "test"))
        prio = random.choice(PRIOS)
        level = random.randint(0, 3)
        if prior == "no_data":
            ann.show("no_data")
        elif prior == "lower":
            eff = patterns.effective(prio, level)[0]
            low = {"high": "medium", "medium": "low", "low": "low"}[eff]
            ann.set({"type": "other", "priority": low, "level": 0, "status": "sounding"})
            if low == eff:
                prio, level = "high", random.randint(0, 2)
        elif prior == "snoozed":
            ann.set({"type": "other", "priority": prio, "level": 0, "status": "snoozed"})
        elif prior == "test":
            ann.test()
        await asyncio.sleep_ms(random.randint(1, 30000))
        t_on = now()
        ann.set({"type": "onset%%d" %% i, "priority": prio, "level": level, "status": "sounding"})
        await asyncio.sleep_ms(3000)
        res["onsets"].append(first_sound(t_on))
        machine.clear_log()

async def checks():
    for prio in PRIOS:
        for level in (0, 1, 2, 3):
            ann.set(None)
            await asyncio.sleep_ms(100)
            machine.clear_log()
            snd = patterns.sound(prio, level)
            ann.set({"type": "check", "priority": prio, "level": level, "status": "sounding"})
            await asyncio.sleep_ms(3 * snd[1] - 100)
            eff = patterns.effective(prio, level)[0]
            problems, info = V.check_iec(eff, V.buzzer_pulses(machine.LOG, BZ))
            res["checks"]["%%s/L%%d" %% (prio, level)] = problems

async def wake():
    rt = vtime._rt
    ann.set(None)
    ann.show("ok")
    await asyncio.sleep_ms(10)
    for name, alarm in (("calm", None), ("high", {"type": "w", "priority": "high", "level": 0, "status": "sounding"})):
        ann.set(alarm)
        w0, t0 = ann.wakeups, rt.ticks_ms()
        await asyncio.sleep(24 * 3600)
        res["wake"][name] = (ann.wakeups - w0, rt.ticks_diff(rt.ticks_ms(), t0))
    ann.set(None)

async def main():
    asyncio.create_task(ann.run())
    await onsets()
    await checks()
    await wake()
asyncio.run(main())
print("RESULT " + json.dumps(res))
'''


def _percentile(xs, q):
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(q / 100.0 * (len(xs) - 1)))))
    return xs[k]


def run(n=N_ONSETS, seed=6):
    env = dict(os.environ, MICROPYPATH=".frozen:%s:%s" % (os.path.join(ROOT, "firmware"),
                                                           os.path.join(ROOT, ".mpylib")))
    from runtime import MICROPYTHON as mpy
    r = subprocess.run([mpy, "-X", "heapsize=4M", "-c", PROG % {"seed": seed, "n": n}],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    if r.returncode != 0 or not line:
        raise RuntimeError("annunciator bench failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    res = json.loads(line[0][7:])
    got = [x for x in res["onsets"] if x is not None]
    missed = len(res["onsets"]) - len(got)
    checked = sorted(k for k, v in res["checks"].items() if not v)
    failed = {k: v for k, v in res["checks"].items() if v}
    out = {
        "onset_to_sound_ms": {"median": _percentile(got, 50), "p99": _percentile(got, 99),
                              "max": max(got), "n": len(got), "no_sound_within_3s": missed},
        "patterns_checked": checked,
        "patterns_failed": failed,
        "wakeups_per_day": {"calm": res["wake"]["calm"][0], "high_sounding": res["wake"]["high"][0]},
        "real_ms_per_simulated_day": {"calm": res["wake"]["calm"][1], "high_sounding": res["wake"]["high"][1]},
    }
    print("annunciator")
    print("  onset_to_sound_ms  median %(median)s  p99 %(p99)s  max %(max)s  (n=%(n)s, silent %(no_sound_within_3s)s)"
          % out["onset_to_sound_ms"])
    print("  patterns_checked   %d ok: %s" % (len(checked), ", ".join(checked)))
    if failed:
        print("  patterns_failed    %s" % failed)
    print("  wake-ups per simulated day: calm %(calm)s, high sounding %(high_sounding)s" % out["wakeups_per_day"])
    print("  real ms per simulated day:  calm %(calm)s, high sounding %(high_sounding)s"
          % out["real_ms_per_simulated_day"])
    return out


if __name__ == "__main__":
    run()
