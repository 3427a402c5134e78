"""How the app hands readings to the alarm engine (main.App._take_reading), at its
edges: docs/ALARM_AUDIT.md. Runs the real App on MicroPython."""
from apprun import run_app

BOARD = {"transmitter_id": "8G1234", "board": "esp32-devkitc"}

UNDATED_BACKFILL = r'''
import json, main, reading, clock
clock.wall_valid = lambda: False      # no wall clock: the link dates nothing (unix_s None)
app = main.App(CFG, boards_dirs=(BOARDS,))
t = [6000]
app.now_s = lambda: t[0]
def take(r):
    app._take_reading(r)
    return sorted([a["type"], a["status"]] for a in app.engine.active())
out = {}
# a session after a one-hour gap: the live reading (now 50) first ...
out["live"] = take(reading.make(100000, None, 50, 0, 6, reading.LIVE))
# ... then, seconds later in the same session, the backfill of the gap, oldest first
t[0] += 3
out["backfill"] = take(reading.make(100000 - 3600, None, 150, 0, 6, reading.BACKFILL))
t[0] += 1
out["backfill2"] = take(reading.make(100000 - 3300, None, 150, 0, 6, reading.BACKFILL))
out["last_sgv"] = app.engine._last_sgv
print("RESULT " + json.dumps(out))
'''


def test_an_undated_backfill_is_history_not_the_newest_reading(tmp_path):
    # Without a wall clock the link dates no reading (unix_s None) and the app took
    # every such reading as 0 s old. The live reading of a session is judged first;
    # the backfill of the gap before it comes seconds later, so its oldest reading,
    # an hour old, was judged as newer than the live one: it cleared the urgent low
    # (150 an hour ago, 50 now) and became the engine's last reading
    out = run_app(tmp_path, BOARD, UNDATED_BACKFILL)
    assert ["urgent_low", "sounding"] in out["live"], out
    assert ["urgent_low", "sounding"] in out["backfill"], out
    assert ["urgent_low", "sounding"] in out["backfill2"], out
    assert out["last_sgv"] == 50, out


UNDATED_AFTER_A_VALUELESS_LIVE = r'''
import json, main, reading, clock
clock.wall_valid = lambda: False
out = {}
# a backfill nothing can date (no live reading since the boot): history only
app0 = main.App(CFG, boards_dirs=(BOARDS,))
app0.now_s = lambda: 1000
app0._take_reading(reading.make(300000, None, 45, 0, 6, reading.BACKFILL))
out["nothing_to_date_by"] = [a["type"] for a in app0.engine.active()]
app = main.App(CFG, boards_dirs=(BOARDS,))
t = [6000]
app.now_s = lambda: t[0]
def take(r):
    app._take_reading(r)
    return sorted(a["type"] for a in app.engine.active() if a["type"] in ("urgent_low", "no_data"))
# no_data sounds (no reading for 25 min)
app.engine.tick(t[0] - 1500)
out["before"] = take(reading.make(200000, None, None, 0, 6, reading.LIVE))  # live, no value
t[0] += 3
# the backfill: 20 min old (stale: raises nothing), then 5 min old (judged: urgent low)
out["stale"] = take(reading.make(200000 - 1200, None, 45, 0, 6, reading.BACKFILL))
out["fresh"] = take(reading.make(200000 - 300, None, 45, 0, 6, reading.BACKFILL))
out["age"] = t[0] - app._taking_t
print("RESULT " + json.dumps(out))
'''


def test_an_undated_backfill_is_dated_by_the_sessions_live_reading(tmp_path):
    out = run_app(tmp_path, BOARD, UNDATED_AFTER_A_VALUELESS_LIVE)
    assert out["before"] == ["no_data"], out
    assert out["stale"] == ["no_data"], out             # 20 min old: not judged
    assert out["fresh"] == ["urgent_low"], out          # 5 min old (+3 s): judged
    assert out["age"] == 303, out
    assert out["nothing_to_date_by"] == [], out


RESETS = r'''
import json, main
out = []
for i in range(3):   # three boots without a healthy half hour between them (RTC memory kept)
    app = main.App(CFG, boards_dirs=(BOARDS,))
    out.append([app.rtc.boots, [a["reason"] for a in app.engine.active() if a["type"] == "device"]])
print("RESULT " + json.dumps(out))
'''


def test_repeated_resets_raise_the_device_alarm(tmp_path):
    # issue 4's device alarm, "repeated resets": the third boot in a row raises it
    out = run_app(tmp_path, BOARD, RESETS)
    assert out == [[1, []], [2, []], [3, ["resets"]]], out


NEWEST_AFTER_BACKFILL = r'''
import json, main, reading, clock
app = main.App(CFG, boards_dirs=(BOARDS,))
t = [6000]
app.now_s = lambda: t[0]
u = clock.unix()
out = {}
# a session after a gap: the live reading first, then the backfill of the gap, oldest first
app._take_reading(reading.make(100000, u, 80, -10, 6, reading.LIVE))
out["after_live"] = list(app.status["last_reading"])
t[0] += 3
app._take_reading(reading.make(100000 - 900, u - 900, 120, 0, 6, reading.BACKFILL))
t[0] += 1
app._take_reading(reading.make(100000 - 600, u - 600, 110, 0, 6, reading.BACKFILL))
out["after_backfill"] = list(app.status["last_reading"])
out["newest_t"] = app.status["last_reading_t"]
# the next session's live reading replaces it
t[0] += 300
app._take_reading(reading.make(100300, u + 300, 75, -10, 6, reading.LIVE))
out["next"] = list(app.status["last_reading"])
print("RESULT " + json.dumps(out))
'''


def test_the_last_reading_shown_is_the_newest_not_the_last_backfilled(tmp_path):
    # The status page (and the display) show app.status["last_reading"]. It was
    # the last reading taken: after a gap, the session's backfill comes after its
    # live reading, so the page showed a reading 10 minutes old (110 mg/dL, "10 min
    # ago") while the box had judged a fresh 80
    out = run_app(tmp_path, BOARD, NEWEST_AFTER_BACKFILL)
    assert out["after_live"][2] == 80, out
    assert out["after_backfill"][2] == 80, out
    assert abs(out["newest_t"] - 6000) < 1, out
    assert out["next"][2] == 75, out


# --- a stuck button's take-back (App.unacknowledge; helper-139's review) ------------------
STUCK = r'''
import vtime
vtime.install(0, wall_unix=1700000000 - 12 * 3600)   # 10:13 UTC (at night a battery warning waits)
import json, main, reading, clock
app = main.App(CFG, boards_dirs=(BOARDS,))
def st(kind):
    for a in app.engine.active():
        if a["type"] == kind:
            return a["status"]
out = {}
# a person silences the sensor alarm; two minutes later a book lands on the button: its
# long press runs out of memory in the engine (Buttons catches it, a device fault)
app.condition("sensor", "failed", True)
app.acknowledge()
out["after_person"] = st("sensor")
vtime.sleep(120)
real = app.engine.acknowledge
def short(now_s, skip=()):
    raise MemoryError("memory allocation failed")
app.engine.acknowledge = short
try:
    app.acknowledge()
except MemoryError:
    pass
app.engine.acknowledge = real
vtime.sleep(60)
app.unacknowledge(60000)            # the hold found stuck, 60 s after it began
out["after_stuck"] = st("sensor")
def book(dex_s, sgv, settle_s):
    """An urgent low; a book's first touch is a short press (a snooze); it rests from
    settle_s on: its long press 1.5 s later, found stuck 60 s after it settled."""
    app.engine.on_reading(reading.make(dex_s, clock.unix(), sgv, -10, 6), app.now_s())
    before = st("urgent_low")
    snoozed = app.snooze()
    vtime.sleep(settle_s + 1.5)
    app.acknowledge()
    vtime.sleep(58.5)
    app.unacknowledge(60000)
    return before, snoozed, st("urgent_low")
# a bounce as it lands: the snooze is the stuck gesture's own first press
out["before"], out["snoozed"], out["bounced"] = book(100000, 45, 0.5)
# it touched, lifted for 0.7 s and settled: its first touch was a gesture of its own; the
# stuck gesture's age reaches back only to the settling (helper-140)
vtime.sleep(3600)
out["before2"], _, out["two_step"] = book(103600, 44, 0.7)
# a book that bounced many times over five sounding alarms: each press answered the loudest
# left, the urgent low first; the list kept 4 answers and lost it (helper-141)
vtime.sleep(3600)
app.engine.on_reading(reading.make(107200, clock.unix(), 44, -10, 6), app.now_s())
for kind, why in (("sensor", "failed"), ("link", "no_transmitter"), ("forwarding", "nightscout"),
                  ("transmitter_battery", "battery_low"), ("device", "radio")):
    app.condition(kind, why, True)
answered = []
for _ in range(6):
    if app.snooze():
        answered.append(1)
    vtime.sleep(0.2)
vtime.sleep(58)
app.unacknowledge(60000)
out["many"] = [len(answered), sorted(a["type"] for a in app.engine.active() if a["status"] != "sounding")]
print("RESULT " + json.dumps(out))
'''


def test_a_stuck_buttons_take_back_reaches_its_whole_gesture_and_no_earlier_answer(tmp_path):
    # what a book on the button answered sounds again: the bounce's snooze as well as the
    # long press; a person's acknowledgement of minutes before stays (the book's own long
    # press had failed: it used to take back the previous press's answer instead)
    out = run_app(tmp_path, BOARD, STUCK)
    assert out["after_person"] == "acknowledged" and out["after_stuck"] == "acknowledged", out
    assert out["before"] == "sounding" and out["snoozed"] is True, out
    assert out["bounced"] == "sounding", out
    assert out["before2"] == "sounding" and out["two_step"] == "sounding", out
    assert out["many"] == [5, ["sensor"]], out    # (the sensor alarm: the person's, above)
