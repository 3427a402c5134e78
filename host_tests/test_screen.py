"""The optional display (firmware/screen/), on MicroPython: the real App and its
wiring, micropython-lib's ssd1306 driver, and a host model of the SSD1306
controller on the I2C bus (tools/host/vssd1306.py) that decodes what reached the
panel. Text is found on the panel by its 8x8 font bitmap (framebuf's), scaled."""
import json
import os

from apprun import run_app

BOARD_FILE = {"name": "oled-test", "buzzer": {"kind": "pwm", "pin": 25},
              "led": {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33}},
              "button": {"pin": 32, "pull": "up", "active_low": True},
              "display": {"kind": "ssd1306", "sda": 21, "scl": 22}}
CFG = {"transmitter_id": "8G1234", "board": "oled-test"}

FIND = r'''
import framebuf
def pattern(s, scale, inverted):
    w = 8 * len(s)
    fb = framebuf.FrameBuffer(bytearray(w), w, 8, framebuf.MONO_HLSB)
    fb.text(s, 0, 0, 1)
    on, off = ("." , "#") if inverted else ("#", ".")
    rows = []
    for y in range(8):
        row = "".join((on if fb.pixel(x, y) else off) * scale for x in range(w))
        rows.extend([row] * scale)
    return rows
def shows(rows, s, scale=1, inverted=False):
    """(x, y) where s is drawn (left edge within 4 px of the screen's), else None."""
    pat = pattern(s, scale, inverted)
    for y in range(len(rows) - len(pat) + 1):
        for x in range(5):
            if all(rows[y + j][x:x + len(pat[0])] == pat[j] for j in range(len(pat))):
                return [x, y]
    return None
'''

PROG = FIND + r'''
import sys, json
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio, machine, vssd1306, main, reading, clock
from app import wiring
panel = vssd1306.Panel()
machine.attach_i2c(0x3C, panel)
app = main.App(CFG, boards_dirs=(BDIR,))
wiring._display(app)
out = {}
def snap(name, texts):
    rows = panel.rows()
    out[name] = {"on": panel.on, "contrast": panel.contrast,
                 "found": {"/".join(str(x) for x in t): shows(rows, *t) for t in texts},
                 "alarms": sorted([a["type"], a.get("reason")] for a in app.engine.active())}
async def scenario():
    sup = asyncio.create_task(app.sup.run())
    await asyncio.sleep(3)
    snap("boot", [("---", 4)])
    app._take_reading(reading.make(100000, clock.unix(), 54, -25, 6, reading.LIVE))
    await asyncio.sleep(2)
    snap("urgent", [("54", 4), ("now", 1), ("URGENT LOW", 1, True)])
    app.snooze()
    await asyncio.sleep(2)
    snap("snoozed", [("URGENT LOW", 1), ("snoozed", 1), ("URGENT LOW", 1, True)])
    await asyncio.sleep(11 * 60)
    snap("stale", [("old: 11 min", 1)])
    rows = panel.rows()
    out["struck"] = [y for y in range(32) if rows[y][2:60].count("#") >= 50]
    machine.detach_i2c(0x3C)        # the panel's cable comes loose
    await asyncio.sleep(65)
    snap("unplugged", [])
    machine.attach_i2c(0x3C, panel)
    await asyncio.sleep(40)
    snap("back", [("old: 12 min", 1)])
    sup.cancel()
asyncio.run(scenario())
print("RESULT " + json.dumps(out))
'''


def _run(tmp_path):
    bdir = tmp_path / "boards"
    bdir.mkdir()
    (bdir / "oled-test.json").write_text(json.dumps(BOARD_FILE))
    return run_app(tmp_path, CFG, PROG, BDIR=str(bdir),
                   HOST=os.path.join(os.path.dirname(os.path.dirname(__file__)), "tools", "host"))


def test_the_screen_shows_the_reading_its_age_and_the_alarm_and_says_when_it_fails(tmp_path):
    out = _run(tmp_path)
    boot = out["boot"]
    assert boot["on"] and boot["found"]["---/4"], out       # no reading yet: no number
    u = out["urgent"]
    assert u["found"]["54/4"] and u["found"]["now/1"], out
    assert u["found"]["URGENT LOW/1/True"], out              # inverted bar: it sounds
    assert u["contrast"] == 255, out                       # bright while it sounds
    s = out["snoozed"]
    assert s["found"]["URGENT LOW/1"] and s["found"]["snoozed/1"], out
    assert not s["found"]["URGENT LOW/1/True"], out         # no bar: it is answered
    assert s["contrast"] < 255, out                        # dim once answered
    st = out["stale"]
    assert st["found"]["old: 11 min/1"], out                 # the age says it is old
    assert out["struck"], out                              # and the number is crossed out
    assert ["device", "display"] in out["unplugged"]["alarms"], out
    assert ["device", "display"] not in out["back"]["alarms"], out
    assert out["back"]["found"]["old: 12 min/1"], out         # drawn again
