#!/usr/bin/env python3
"""Render the annunciator's sound patterns to WAV so a person can listen.

    python tools/wavpattern.py                 # every priority, levels 0-2
    python tools/wavpattern.py high --levels 0,2 --bursts 3

Writes build/sound_<priority>.wav (level 0) and build/sound_<priority>_level<N>.wav
for the escalation levels: two bursts (one full repeat interval) of the
square wave a passive piezo gets from PWM (the pattern's frequency and
duty, so louder levels have a wider duty), from firmware/sound/patterns.py."""
import argparse
import math
import os
import struct
import sys
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "firmware"))

from sound import patterns  # noqa: E402

RATE = 22050
RAMP_MS = 2  # soften the clicks at pulse edges, as a piezo's own inertia does


def render(priority, level=0, bursts=2, rate=RATE):
    """16-bit mono samples (bytes) of `bursts` bursts of the pattern."""
    pulses, period, duty, freq = patterns.sound(priority, level)
    span = patterns.burst_ms(pulses)
    total_ms = (bursts - 1) * period + span + 500 if period else span + 500
    n = total_ms * rate // 1000
    out = bytearray(2 * n)
    amp = 0.7 * 32767
    ramp = RAMP_MS * rate // 1000
    for b in range(bursts if period else 1):
        for start, length in pulses:
            s0 = (b * period + start) * rate // 1000
            ln = length * rate // 1000
            for i in range(ln):
                phase = ((i * freq) % rate) / rate  # 0..1 within one cycle
                v = amp if phase < duty / 100.0 else -amp * duty / (100.0 - duty)
                env = min(1.0, i / ramp, (ln - i) / ramp) if ramp else 1.0
                struct.pack_into("<h", out, 2 * (s0 + i), int(v * env))
    return bytes(out)


def write(path, samples, rate=RATE):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("priority", nargs="*", default=["high", "medium", "low"])
    ap.add_argument("--levels", default="0,1,2", help="escalation levels, e.g. 0,1,2")
    ap.add_argument("--bursts", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "build"))
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    written = []
    for prio in a.priority:
        for level in [int(x) for x in a.levels.split(",")]:
            name = "sound_%s.wav" % prio if level == 0 else "sound_%s_level%d.wav" % (prio, level)
            path = os.path.join(a.out, name)
            write(path, render(prio, level, a.bursts))
            eff = patterns.effective(prio, level)
            s = patterns.sound(prio, level)
            print("%s: plays %s level %d, %d pulses, every %.1f s, duty %d %%, %d Hz"
                  % (path, eff[0], eff[1], len(s[0]), s[1] / 1000.0, s[2], s[3]))
            written.append(path)
    return written


if __name__ == "__main__":
    main()
