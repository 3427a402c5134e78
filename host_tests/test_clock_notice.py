# The `device` notice (reason clock) comes from the running alarm loop:
# test_device's test calls App._watch_clock by hand, so without this one the
# loop's call could go and every test stay green (review16).
from test_device import run_app

PROG = r'''
import vtime
vtime.install()
vtime.set_wall(0)
import asyncio, json, main
app = main.App(CFG, boards_dirs=(BOARDS,))
def device():
    return [a["reason"] for a in app.engine.active() if a["type"] == "device"]
out = []
async def go():
    asyncio.create_task(app.alarm_task(lambda: None))
    await asyncio.sleep(14 * 60)
    out.append(device())
    await asyncio.sleep(2 * 60)
    out.append(device())
asyncio.run(go())
print("RESULT " + json.dumps(out))
'''


def test_the_alarm_loop_raises_the_clock_notice(tmp_path):
    cfg = {"transmitter_id": "8G1234", "alarms": {"schedule": [{"start": 1320, "end": 420, "low": 80}]}}
    assert run_app(tmp_path, cfg, PROG) == [[], ["clock"]]
