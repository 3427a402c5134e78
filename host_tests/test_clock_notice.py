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


UPTIME_PROG = r'''
import vtime
vtime.install()
import clock, json, main
app = main.App(CFG, boards_dirs=(BOARDS,))
clock._ms = 200 * 86400 * 1000 + 999     # the box up for 200 days
print("RESULT " + json.dumps([type(app.now_s()) is int, app.now_s()]))
'''


def test_the_alarm_engines_time_is_whole_seconds_since_boot(tmp_path):
    # not a float: the ESP32's single-precision floats step by 2 s at 200 days
    # (test_alarms_engine's ..._how_long_the_box_has_been_up: the engine keeps
    # its onsets on whole seconds at any uptime, and did not on a float)
    assert run_app(tmp_path, {"transmitter_id": "8G1234"}, UPTIME_PROG) == [True, 200 * 86400]
