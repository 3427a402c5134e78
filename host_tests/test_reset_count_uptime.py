"""Review of session 44, helper-194: the reset loop's count (main.LOOP_OVER_S) across a restart of the
health task (fails on 1fbbce4). The real App on the MicroPython port, virtual clock; a
reset is a new App on the same RTC memory, as in test_main_rules.py."""
from apprun import run_app

BOARD = {"transmitter_id": "8G1234", "board": "esp32-devkitc"}

SCATTERED_RESETS = r"""
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio, json, main
def device(app):
    return [a["reason"] for a in app.engine.active() if a["type"] == "device"]
out = {}
async def up(hours, task_restart_h):
    # the health task under the supervisor: a failure (a MemoryError in memory.check's
    # report, app.condition re-raises it; a flash or start retry) restarts it
    left = hours * 3600
    while left > 0:
        t = asyncio.create_task(app._health_task(lambda: None))
        run = min(left, task_restart_h * 3600)
        await asyncio.sleep(run)
        t.cancel()
        left -= run
for week in range(3):
    app = main.App(CFG, boards_dirs=(BOARDS,))     # one unplanned reset a week
    out["boot%d" % week] = [app.rtc.boots, device(app)]
    asyncio.run(up(7 * 24, 5))                     # a week up, its health task restarted every 5 h
print("RESULT " + json.dumps(out))
"""


def test_resets_a_week_apart_are_no_reset_loop_when_the_health_task_was_restarted(tmp_path):
    # _health_task counts the box's uptime from its own start, and a supervisor's restart
    # of it starts that count again: a box whose health task failed once in under 6 h
    # never ran LOOP_OVER_S by that count, rtc.healthy() was never called, and resets a
    # week apart counted "in a row": the third sounded the device alarm "resetting" (medium)
    out = run_app(tmp_path, BOARD, SCATTERED_RESETS)
    assert out["boot0"][0] == 1, out
    assert out["boot2"] == [2, []], out
