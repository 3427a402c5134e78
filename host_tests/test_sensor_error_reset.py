"""Review of session 44, helper-194: the sensor error's one-press hold across a reset (fails on 1fbbce4).

The real App on the MicroPython port (virtual clock), fed the link events link.core emits,
as test_sensor_lifecycle.py does; a reset is a new App on the same RTC memory."""
from apprun import run_app
from test_sensor_lifecycle import BOARD, PRELUDE

ERROR_ACROSS_A_RESET = PRELUDE + r'''
app._take_reading(reading.make(100000, clock.unix(), 120, 0, 6))
link("sensor_state", state=6, name="ok", kind="ok", usable=True)
minutes(5)
link("sensor_state", state=0x12, name="temporary_sensor_issue", kind="noise", usable=False)
minutes(30)                        # 01:26 no_data and the sensor's error: one long press, held 2 h
out["before"] = [p[1:] for p in presses]
del presses[:]
# 01:35: a reset (the watchdog, a supervisor's RESET_AFTER, a brown-out): the alarm state
# comes back from RTC memory, the link tells the sensor's state once more at its first session
app = main.App(CFG, boards_dirs=(BOARDS,))
out["restored"] = sorted([a["type"], a["status"], a["reason"]] for a in app.engine.active())
minutes(1, press=False)
link("sensor_state", state=0x12, name="temporary_sensor_issue", kind="noise", usable=False)
minutes(60)                        # to 02:36, inside the 2-h hold the family gave at 01:26
out["after"] = [p[1:] for p in presses]
print("RESULT " + json.dumps(out))
'''


def test_a_reset_does_not_undo_the_one_press_that_held_a_sensor_error(tmp_path):
    # the family long-pressed the sensor error's no_data at 01:26: one episode, held 2 h
    # (SENSOR_HOLD_S). After a reset, the link's first word (the same state, kind "noise")
    # reached app.wiring with status["sensor_error"] gone (RAM): it cleared the `error`
    # restored from RTC memory, which cut no_data's hold to SENSOR_END_S, and
    # _watch_sensor_error raised a fresh `sensor` error: both sounded again within a minute
    wall = 1700000000 - 1700000000 % 86400 + 1 * 3600         # 01:00 UTC
    out = run_app(tmp_path, BOARD, ERROR_ACROSS_A_RESET, WALL=wall)
    assert len(out["before"]) == 1 and out["before"][0][2] == ["error"], out
    assert ["sensor", "acknowledged", "error"] in out["restored"], out
    assert out["after"] == [], out
