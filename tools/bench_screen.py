"""Bench section `screen` (make bench SECTION=screen): what the optional display
(firmware/screen/) costs, on the MicroPython unix port (MICROPYTHON=... picks the
build; the 32-bit frozen one, build/micropython32-frozen, is the board's way):
- heap_bytes: the App's data after a reading, with the display's board
  (esp32-devkitc-oled) and without (esp32-devkitc), each in its own process, and
  the difference;
- paint_ms: one full drawing into the SSD1306 driver and out over the I2C fake,
  median and max over 60 views (host time: the board's CPU and its 400 kHz I2C
  transfer, about 25 ms for 1 KB, are not measured here);
- redraws_per_hour: drawings sent to the panel in 6 simulated hours of readings
  every 5 minutes with nothing sounding (the age changes each minute)."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

PROG = r'''
import sys, gc, json
sys.path.insert(0, "tools/host")
import vtime
vtime.install(0, wall_unix=1700000000)
import machine, vssd1306
panel = vssd1306.Panel()
machine.attach_i2c(0x3C, panel)
import asyncio, main, reading, clock
rt = vtime._rt
open(%(config)r, "w").write(json.dumps({"transmitter_id": "8G1234", "board": %(board)r}))
gc.collect()
a0 = gc.mem_alloc()
app = main.App(%(config)r, boards_dirs=("boards",))
from app import wiring
wiring._display(app)
out = {}
async def go():
    sup = asyncio.create_task(app.sup.run())
    dex = 100000
    app._take_reading(reading.make(dex, clock.unix(), 54, -25, 6, reading.LIVE))
    await asyncio.sleep(5)
    gc.collect()
    out["heap"] = gc.mem_alloc() - a0
    if %(paint)r:
        from screen import draw, view, oled
        cv = oled.open_panel(app.board["display"])
        times = []
        for i in range(60):
            alarm = None if i %% 3 == 0 else {"type": "urgent_low_soon", "priority": "high",
                                             "status": ("sounding", "snoozed")[i %% 2], "reason": "predicted"}
            v = view.compose((1, 2, 40 + 6 * i, -40 + i, 6, "live"), 60 * i, alarm, 600)
            t0 = rt.ticks_us()   # real time: the module's time is the virtual clock
            draw.paint(cv, v, i %% 2)
            cv.show(v[7])
            times.append(rt.ticks_diff(rt.ticks_us(), t0) / 1000)
        times.sort()
        out["paint_ms"] = {"median": times[30], "max": times[-1]}
        frames = panel.frames
        for k in range(72):
            dex += 300
            app._take_reading(reading.make(dex, clock.unix(), 120 + k %% 7, 0, 6, reading.LIVE))
            await asyncio.sleep(300)
        out["redraws_per_hour"] = (panel.frames - frames) / 6
    sup.cancel()
asyncio.run(go())
print("RESULT " + json.dumps(out))
'''


def _run(board, paint):
    from runtime import MICROPYTHON as mpy
    env = dict(os.environ, MICROPYPATH=".frozen:%s:%s" % (os.path.join(ROOT, "firmware"),
                                                           os.path.join(ROOT, ".mpylib")))
    # the config (and the files the App writes beside it) in a folder of this run's own: in
    # build/, two screen benches at once read each other's board (a "without" display heap
    # measured with the OLED's)
    with tempfile.TemporaryDirectory(prefix="bench_screen-") as d:
        prog = PROG % {"board": board, "paint": paint, "config": os.path.join(d, "config.json")}
        r = subprocess.run([mpy, "-X", "heapsize=4M", "-c", prog],
                           capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    if r.returncode != 0 or not line:
        raise RuntimeError("screen bench failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    return json.loads(line[0][7:])


def run():
    from runtime import MICROPYTHON as mpy
    plain = _run("esp32-devkitc", False)
    oled = _run("esp32-devkitc-oled", True)
    out = {"micropython": os.path.relpath(mpy, ROOT),
           "heap_bytes": {"without": plain["heap"], "with_display": oled["heap"],
                          "display": oled["heap"] - plain["heap"]},
           "paint_ms": oled["paint_ms"], "redraws_per_hour": oled["redraws_per_hour"]}
    print("screen (%s)" % out["micropython"])
    print("  heap_bytes        App data %(without)d without, %(with_display)d with the display: %(display)d"
          % out["heap_bytes"])
    print("  paint_ms          median %(median).2f  max %(max).2f (host time)" % out["paint_ms"])
    print("  redraws_per_hour  %.1f (calm, a reading every 5 min)" % out["redraws_per_hour"])
    return out


if __name__ == "__main__":
    print(json.dumps(run()))
