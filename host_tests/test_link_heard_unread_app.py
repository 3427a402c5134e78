"""The real App, the real link and the virtual transmitter on the MicroPython port
(helper-392; helper-389 measured it with /tmp/h389/exp/exp.py decode_all): the codec
refusing every GlucoseRx of a transmitter that authenticates at each wake-up. The link
alarm (no_transmitter) and then no_data sound as before, but the screen and the status
page say the transmitter is heard and not read, not "not heard" (which sent the family
to move the box nearer); the log says the session's end once a wake-up, not once a try.
One wake-up unseen after that: "not heard" again."""
import os

from apprun import booted_app, run_app
from conftest import ROOT

SCENARIO = r'''
sys.path.append(TOOLS)
import vtx
from screen import view
from setup import web
lines = []
log.sink = lambda line: lines.append(line)
trace = "trace.csv"
with open(trace, "w") as f:
    f.write("minute,cgm\n" + "".join("%d,120\n" % (5 * i) for i in range(40)))
dev = vtx.start(trace, transmitter_id="8G1234", seed=1, first_window_s=60)
body = dev.tx._control_body
refuse = [False]
def control_body(op, data, now_us):   # GlucoseRx cut to 12 bytes: a layout the codec refuses
    b = body(op, data, now_us)
    return b[:12] if refuse[0] and op in (0x30, 0x4E) and b else b
dev.tx._control_body = control_body
def seen():
    a = app.shown()
    v = view.compose(None, None, a, 600)
    html = "".join(web.page.status_page(web.state_from_app(app), app.cfg))
    return {"alarm": None if a is None else [a["type"], a["reason"], a.get("cause")],
            "screen": [v[3], v[4]], "page_heard": "heard, unread" in html,
            "page_last": "last session: bad message" in html}
async def scenario():
    out = {}
    asyncio.create_task(app.start())
    await asyncio.sleep(4 * 60)            # the wake-up at 1 min: a reading
    out["read"] = app.status["last_reading"] is not None
    refuse[0] = True                       # from now on every GlucoseRx is refused
    await asyncio.sleep(13 * 60)           # wake-ups at 6, 11, 16 min: no_transmitter
    out["link"] = seen()
    await asyncio.sleep(6 * 60)            # and the wake-up at 21 min: no_data
    out["no_data"] = seen()
    out["log"] = [m[:40] for m in (l.split(" ", 2)[2] for l in lines) if m.startswith("link ")]
    dev.tx.set_faults("miss")              # the wake-up at 26 min unseen
    await asyncio.sleep(5 * 60)
    out["mixed"] = seen()
    print("RESULT " + json.dumps(out))
'''


def test_a_transmitter_heard_and_not_read_is_told_so_on_the_screen_and_the_status_page(tmp_path):
    out = run_app(tmp_path, {"transmitter_id": "8G1234", "board": "esp32-devkitc"}, booted_app(SCENARIO),
                  heap="8M", TOOLS=os.path.join(ROOT, "tools"))
    assert out["read"] is True, out
    # the alarm is no_transmitter's, as ever: only its words change
    assert out["link"] == {"alarm": ["link", "no_transmitter", ["link", "heard_unread"]],
                           "screen": ["TRANSMITTER", "heard, unread"], "page_heard": True,
                           "page_last": True}, out
    # no_data after it, told in the link's words (its cause)
    assert out["no_data"]["alarm"] == ["no_data", "", ["link", "heard_unread"]], out
    assert out["no_data"]["screen"] == ["TRANSMITTER", "heard, unread"], out
    # one line a wake-up (6, 11, 16, 21 min), not one a try (two a wake-up)
    bad = [l for l in out["log"] if "disconnected" in l]
    assert len(bad) == 4 and all("bad message" in l for l in bad), out["log"]
    assert "link no_transmitter heard, unread" in out["log"], out["log"]
    assert out["mixed"]["screen"] == ["TRANSMITTER", "not heard"], out
    assert out["mixed"]["page_heard"] is False, out
