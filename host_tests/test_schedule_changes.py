"""The day/night schedules across changes of time (session 60, helper-295): the
thresholds, the volume of a sounding alarm and the screen's words at a window's start
and end, and under the clock's steps (NTP's correction, a daylight-saving change, a
phone's save); the transmitter's battery held to the morning under them; and a box
without a time of day. Each runs the real App's alarm task on the MicroPython port over
the virtual clock (as test_main_rules), readings every 5 min."""
import pytest

from apprun import run_app

# The scenario: WALL (the wall clock at the start, UTC; utc_offset_min 0 unless the config
# says; under 2020: no time of day), SGV (glucose of each reading, one every 5 min from t=0;
# the last repeats), STEPS ([at_s, what, arg]: "step" the clock by arg s as NTP would,
# "phone" the clock a settings save brings from the phone (app.wiring.clock_from_phone),
# arg in Unix s, "battery" the transmitter's battery low, "press" a short press, "reset" a
# settings save's restart), END_S. RESULT: "log", each change of what the box plays and
# shows, sampled every 5 s ([t_s, minute of day, high in force, low in force, volume in
# force, the annunciator's key (type, priority, level, status, volume), the duty it plays
# at (None: silent), the screen's title and detail]), and "events", the engine's alarm
# events [t_s, event, type, reraise].
PROG = r'''
import vtime
vtime.install(0, wall_unix=WALL)
if WALL < 1577836800:
    vtime.set_wall(0)
import asyncio, json, main, reading, clock
from app import log, wiring
from screen import view
log.sink = lambda line: None
events = []
def listener(ev):
    if ev.get("event", "").startswith("alarm_"):
        events.append([clock.ms() // 1000, ev["event"], ev["type"], bool(ev.get("reraise"))])
app = main.App(CFG, boards_dirs=(BOARDS,), listeners=(listener,))
out = []
def sample():
    t = clock.ms() // 1000
    s = app.engine.current_settings()
    key = app.ann._key
    shown = app.shown()
    screen = list(view.compose(None, None, shown, 600)[3:5])
    snd = app.ann._alarm[4] if app.ann._alarm is not None else None
    row = [s["high"] if s["high_enabled"] else None, s["low"] if s["low_enabled"] else None, s["volume"],
           None if key is None else list(key), None if snd is None else snd[2], screen]
    if not out or out[-1][2:] != row:
        out.append([t, app.minute_of_day()] + row)
async def feed():
    k = 0
    while True:
        sgv = SGV[min(k, len(SGV) - 1)]
        app.on_reading(reading.make(100000 + 300 * k, clock.unix(), sgv, 0, 6, reading.LIVE))
        k += 1
        await asyncio.sleep(300)
async def steps():
    for at, what, arg in STEPS:
        await asyncio.sleep(at - clock.ms() // 1000)
        if what == "step":
            clock.set_unix(clock.unix() + arg)
        elif what == "phone":
            wiring.clock_from_phone(app, arg)
        elif what == "battery":
            app.condition("transmitter_battery", "battery_low", True)
        elif what == "press":
            app.snooze()
        elif what == "reset":   # a settings save's restart: the alarm state kept in RTC memory
            restart()
def restart():
    global app
    tasks[0].cancel()
    app.rtc.planned_restart()
    app = main.App(CFG, boards_dirs=(BOARDS,), listeners=(listener,))
    tasks[0] = asyncio.create_task(app.alarm_task(lambda: None))
tasks = []
async def scenario():
    tasks.extend([asyncio.create_task(app.alarm_task(lambda: None)), asyncio.create_task(feed()),
                  asyncio.create_task(steps())])
    await asyncio.sleep_ms(2500)
    while clock.ms() // 1000 < END_S:
        sample()
        await asyncio.sleep(5)
    for t in tasks:
        t.cancel()
asyncio.run(scenario())
print("RESULT " + json.dumps({"log": out, "events": events}))
'''

DAY = 1790812800   # 2026-10-01 00:00 UTC
BOARD = {"transmitter_id": "8G1234", "board": "esp32-devkitc", "lan_api": {"enabled": False}}


def run(tmp_path, alarms, start_hm, sgv, end_s, steps=(), **cfg):
    """start_hm: (hour, minute) of the wall clock (UTC) at the start on DAY, or Unix
    seconds; None: no time of day (the board's RTC unset)."""
    config = dict(BOARD, alarms=alarms, **cfg)
    tmp_path = tmp_path / ("run%d" % len(list(tmp_path.iterdir())))   # each run its own flash
    tmp_path.mkdir()
    wall = 0 if start_hm is None else start_hm if isinstance(start_hm, int) else \
        DAY + start_hm[0] * 3600 + start_hm[1] * 60
    return run_app(tmp_path, config, PROG, WALL=wall, SGV=list(sgv),
                   STEPS=[list(s) for s in steps], END_S=end_s)


NIGHT = (22 * 60, 7 * 60)
ROUND_S = 5   # main.TICK_S: the alarm task's round, in which a change must show


def night(**entry):
    """Alarm settings with a night 22:00-07:00 of `entry`; escalation slowed to its longest
    (15 min) so a fresh alarm's volume can be seen across a change."""
    return {"escalate_minutes": 15, "urgent_high": 350,
            "schedule": [dict({"start": NIGHT[0], "end": NIGHT[1]}, **entry)]}


def changes(log, col):
    """[t_s, value] at each change of one column of the log (2 high, 3 low, 4 volume in
    force, 5 the annunciator's key, 6 duty played, 7 the screen's words)."""
    out = []
    for row in log:
        if not out or out[-1][1] != row[col]:
            out.append([row[0], row[col]])
    return out


def onsets(events):
    return [[t, kind, reraise] for t, ev, kind, reraise in events if ev == "alarm_onset"]


def clears(events):
    return [[t, kind] for t, ev, kind, _ in events if ev == "alarm_clear"]


@pytest.mark.parametrize("start_s", [20, 17])
def test_the_nights_volume_reaches_a_sounding_alarm_at_2200_once_and_it_goes_on_sounding(tmp_path, start_s):
    # a high (low priority) sounding since 21:57:20, fresh: at 22:00 (t=160 s, between the
    # alarm task's saves, which also tell the annunciator) the night's volume 40 reaches it
    # within a round, once; the alarm is not cut nor started again, and the screen says
    # HIGH throughout. From 21:57:17 22:00 falls between two rounds (t=163 s): README "within
    # 5 s" (a 10-s round took it at 170)
    r = run(tmp_path, night(volume=40), DAY + 21 * 3600 + 57 * 60 + start_s, [270], 1000)
    log = r["log"]
    vol = changes(log, 4)
    at = 180 - start_s
    assert [v for _, v in vol] == [100, 40] and at <= vol[1][0] < at + ROUND_S, vol
    key = changes(log, 5)
    assert [k for _, k in key] == [["high", "low", 0, "sounding", 100], ["high", "low", 0, "sounding", 40],
                                   ["high", "low", 1, "sounding", 40]], key
    assert key[1][0] == vol[1][0], key
    assert [d for _, d in changes(log, 6)] == [12, 5, 50], log   # quieter, then its escalation's loudness
    assert onsets(r["events"]) == [[0, "high", False]] and clears(r["events"]) == [], r["events"]
    assert changes(log, 7) == [[log[0][0], ["HIGH", ""]]], log


def test_an_urgent_low_at_2200_keeps_its_loudness_under_the_nights_volume(tmp_path):
    # no schedule quietens a high-priority alarm (sound.patterns): the duty it plays at is
    # the same before and after 22:00 with a night volume of 10
    r = run(tmp_path, night(volume=10), (21, 57), [50], 600)
    assert [v for _, v in changes(r["log"], 4)] == [100, 10], r["log"]
    assert [d for _, d in changes(r["log"], 6)] == [30], r["log"]
    assert onsets(r["events"]) == [[0, "urgent_low", False]] and clears(r["events"]) == [], r["events"]


def test_the_nights_high_comes_at_2200_and_its_first_reading_ends_a_high_it_calls_in_range(tmp_path):
    # 290 mg/dL, a high by the day's 250; the night's is 300, so 290 is only in its
    # hysteresis band: the high stops at the first reading judged after 22:00 (22:02), not
    # before 22:00, and is not raised again; the screen's HIGH goes with it
    r = run(tmp_path, night(high=300, volume=40), (21, 57), [290], 1500)
    high = changes(r["log"], 2)
    assert [h for _, h in high] == [250, 300] and 180 <= high[1][0] < 180 + ROUND_S, high
    assert onsets(r["events"]) == [[0, "high", False]], r["events"]
    assert clears(r["events"]) == [[300, "high"]], r["events"]
    words = changes(r["log"], 7)
    assert [w for _, w in words] == [["HIGH", ""], ["", ""]] and 300 <= words[1][0] < 300 + ROUND_S, words


def test_a_stricter_night_low_sounds_from_the_first_reading_after_2200_and_the_morning_ends_it(tmp_path):
    # 75 mg/dL: no low by the day's 70, a low by the night's 80. It starts at the first
    # reading judged in the night (22:02), once; at 07:00 the day's 70 calls 75 in range and
    # the first reading judged then (07:02) ends it, at the day's volume meanwhile
    r = run(tmp_path, night(low=80, volume=40), (21, 57), [75], 900)
    assert onsets(r["events"]) == [[300, "low", False]] and clears(r["events"]) == [], r["events"]
    assert [w for _, w in changes(r["log"], 7)] == [["", ""], ["LOW", ""]], r["log"]
    r = run(tmp_path, night(low=80, volume=40), (6, 57), [75], 900)
    assert onsets(r["events"]) == [[0, "low", False]] and clears(r["events"]) == [[300, "low"]], r["events"]
    key = changes(r["log"], 5)
    assert [k for _, k in key] == [["low", "medium", 0, "sounding", 40], ["low", "medium", 0, "sounding", 100],
                                   None], key
    assert 180 <= key[1][0] < 180 + ROUND_S, key


FALL = [130 - 4 * k for k in range(25)]   # 0.8 mg/dL/min: urgent_low_soon with a 30-min horizon
                                         # one reading (13, 78 mg/dL) before the 20-min one's


@pytest.mark.parametrize("start, first", [
    ((20, 53), 14),   # reading 13 at 21:58: by day's 20 min, the warning waits for reading 14 (22:03)
    ((20, 56), 13),   # reading 13 at 22:01: the night's 30 min warns on it
])
def test_urgent_low_soon_takes_the_nights_horizon_at_2200_not_before(tmp_path, start, first):
    alarms = {"low_enabled": False, "schedule": [{"start": NIGHT[0], "end": NIGHT[1],
                                                  "urgent_low_soon_minutes": 30}]}
    r = run(tmp_path, alarms, start, FALL, 4500)
    assert onsets(r["events"])[:1] == [[first * 300, "urgent_low_soon", False]], r["events"]


@pytest.mark.parametrize("start, step, before, after", [
    ((19, 58), 3 * 3600, [250, 100], [200, 40]),     # NTP puts a clock 3 h slow right at 20:03: 23:03
    ((23, 28), -3 * 3600, [200, 40], [250, 100]),    # ... one 3 h fast at 23:33: 20:33
    ((22, 25), -3600, [200, 40], [250, 100]),        # ... one an hour fast at 22:30: 21:30, no
                                                     # daylight-saving end's minutes shown again
])
def test_an_ntp_step_across_2200_moves_the_schedule_at_once_and_the_alarm_goes_on(tmp_path, start, step,
                                                                                 before, after):
    # 270 mg/dL: a high by the day's 250 and the night's 200. The step (t=300 s) brings the
    # other schedule's high and volume within a round, and the high sounding since t=0 goes
    # on at its level: no clear, no new onset for a step of the clock
    r = run(tmp_path, night(high=200, volume=40), start, [270], 600, steps=[(300, "step", step)])
    rows = [[row[2], row[4]] for row in r["log"]]
    assert rows[0] == before and rows[-1] == after, r["log"]
    at = [row[0] for row in r["log"] if [row[2], row[4]] == after][0]
    assert 300 <= at < 300 + ROUND_S, r["log"]
    assert all([row[2], row[4]] == (after if row[0] >= at else before) for row in r["log"]), r["log"]
    assert onsets(r["events"]) == [[0, "high", False]] and clears(r["events"]) == [], r["events"]
    assert all(row[5][:4] == ["high", "low", 0, "sounding"] for row in r["log"]), r["log"]


@pytest.mark.parametrize("start, phone, sgv, want", [
    # a box without NTP 3 h slow: the phone's clock at a save (20:01 -> 23:00), then the save's
    # restart. 290 mg/dL is in range by the night's high (300): the high stops at the first
    # reading judged after the save (t=300 s), not raised again after the restart
    ((19, 58), DAY + 23 * 3600, 290, {"onsets": [[0, "high", False]], "clears": [[300, "high"]],
                                      "after": [300, 40]}),
    # one 3 h fast (23:31 -> 20:31): the day's volume at once; 320, a high by either
    # threshold, goes on sounding through the restart
    ((23, 28), DAY + 20 * 3600 + 31 * 60, 320, {"onsets": [[0, "high", False]], "clears": [],
                                                "after": [250, 100]}),
])
def test_a_phones_clock_at_a_settings_save_moves_the_schedule_at_once_and_through_the_restart(
        tmp_path, start, phone, sgv, want):
    r = run(tmp_path, night(high=300, volume=40), start, [sgv], 900,
            steps=[(200, "phone", phone), (203, "reset", 0)])
    at = [row[0] for row in r["log"] if [row[2], row[4]] == want["after"]]
    assert at and 200 <= at[0] < 200 + ROUND_S, r["log"]
    assert all([row[2], row[4]] == want["after"] for row in r["log"] if row[0] >= at[0]), r["log"]
    assert onsets(r["events"]) == want["onsets"] and clears(r["events"]) == want["clears"], r["events"]


# The transmitter's battery told at night waits for 08:00 (alarms.kinds.FAMILY_DAY), dim and
# silent ("till morning" on the screen); README: a clock set in the night moves the hold's end
# to 08:00 on the wall, and a step of more than 3 h sounds it if the step lands in the
# family's day, else at the next 08:00. It sounds again once, and never stays held.
@pytest.mark.parametrize("start, steps, sounds_at", [
    # told 23:00, NTP -3 h at 23:08 (20:08): held to 08:00 on the wall (t = 9 h 02 + 3 h)
    ((22, 58), [(600, "step", -3 * 3600)], 12 * 3600 + 120),
    # ... -4 h (19:08, the family's day) or +10 h (09:08): it sounds at once
    ((22, 58), [(600, "step", -4 * 3600)], 600),
    ((22, 58), [(600, "step", 10 * 3600)], 600),
    # told 07:20, -1 h at 07:30 (06:30): held to 08:00 on the wall, 90 min on
    ((7, 18), [(720, "step", -3600)], 720 + 90 * 60),
    # told 20:50 in the day, pressed (till morning), +3 h at 21:10 (00:10): 08:00 on the wall
    ((20, 48), [(420, "press", 0), (1320, "step", 3 * 3600)], 1320 + 7 * 3600 + 50 * 60),
])
def test_the_batterys_hold_to_the_morning_follows_the_clocks_steps_and_ends(tmp_path, start, steps,
                                                                            sounds_at):
    r = run(tmp_path, night(volume=40), start, [120], sounds_at + 600,
            steps=[(120, "battery", 0)] + steps)
    back = [t for t, kind, reraise in onsets(r["events"]) if kind == "transmitter_battery" and reraise]
    assert back == [sounds_at], r["events"]
    words = [row[7] for row in r["log"] if 120 < row[0] < sounds_at and (row[0] > 420 or start != (20, 48))]
    assert words and all(w == ["TX BATTERY", "till morning"] for w in words), r["log"]
    assert [row[7] for row in r["log"]][-1] == ["TX BATTERY", "battery low"], r["log"]


@pytest.mark.parametrize("wall, night_ends, morning", [
    # New York, 23:00 EDT on 2026-10-31; 02:00 EDT is 01:00 EST: the night ends at 07:00 EST
    # (9 h on), the battery's hold at 08:00 EST (10 h)
    (1793502000, 9 * 3600, 10 * 3600),
    # 22:00 EST on 2026-03-07; 02:00 EST is 03:00 EDT: 07:00 EDT is 8 h on, 08:00 EDT 9 h
    (1772938800, 8 * 3600, 9 * 3600),
])
def test_a_daylight_saving_change_at_night_switches_nothing_and_the_morning_comes_once(tmp_path, wall,
                                                                                      night_ends, morning):
    r = run(tmp_path, night(volume=40), wall, [120], morning + 300, steps=[(120, "battery", 0)],
            tz="EST5EDT,M3.2.0,M11.1.0")
    vol = changes(r["log"], 4)
    assert [v for _, v in vol] == [40, 100] and night_ends <= vol[1][0] < night_ends + ROUND_S, vol
    back = [t for t, kind, reraise in onsets(r["events"]) if kind == "transmitter_battery" and reraise]
    assert back == [morning], r["events"]


def test_without_a_time_of_day_the_day_settings_hold_until_a_phone_gives_the_clock(tmp_path):
    # README: no schedule applies without the time of day (the day's thresholds and volume),
    # a notice 15 min after boot says so. 220 mg/dL: no high by the day's 250. A phone's save
    # at t=1100 s gives 23:00: the night's high (200) and volume (20) at once, the high from
    # the next reading (t=1200), and the notice goes
    r = run(tmp_path, night(high=200, volume=20), None, [220], 1500,
            steps=[(1100, "phone", DAY + 23 * 3600)])
    log = r["log"]
    assert all(row[1] is None and [row[2], row[4]] == [250, 100] for row in log if row[0] < 1100), log
    assert onsets(r["events"]) == [[900, "device", False], [1200, "high", False]], r["events"]
    night_at = [row[0] for row in log if [row[2], row[4]] == [200, 20]][0]
    assert 1100 <= night_at < 1100 + ROUND_S, log
    assert log[-1][5][:5] == ["high", "low", 0, "sounding", 20], log


def test_a_battery_warning_pressed_without_a_time_of_day_waits_for_the_first_morning_once_it_comes(tmp_path):
    # without a time of day the battery's warning sounds at once, and a press holds it a day;
    # a phone's save at t=1200 gives 23:00: held to 08:00 (9 h on), not the rest of that day
    r = run(tmp_path, night(volume=20), None, [120], 1200 + 9 * 3600 + 300,
            steps=[(120, "battery", 0), (300, "press", 0), (1200, "phone", DAY + 23 * 3600)])
    battery = [[t, ev] for t, ev, kind, _ in r["events"] if kind == "transmitter_battery"]
    assert battery == [[120, "alarm_onset"], [300, "alarm_snooze"], [1200, "alarm_snooze"],
                       [1200 + 9 * 3600, "alarm_onset"]], battery


NEW_YORK_BACK = 1793512800   # 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST


@pytest.mark.parametrize("step, want", [
    # 01:20 EST put back 2 h by NTP: 04:20 UTC is 00:20 EDT, before the change, inside the
    # night to 01:30: the night's high at once, the day's at 01:30 EDT (70 min on). Before, the
    # schedules held 02:00 EDT, the minute reached before the change, as minutes shown again:
    # the day's high until the wall came back to 02:00 EDT
    (-7200, [[0, 200], [1800, 250], [4800, 200], [4800 + 70 * 60, 250]]),
    # put back 10 min (01:10 EST): still the hour shown again, the night ended stays ended
    (-600, [[0, 200], [1800, 250]]),
])
def test_a_clock_set_back_in_the_hour_a_zone_lives_twice_applies_at_once(tmp_path, step, want):
    alarms = {"schedule": [{"start": NIGHT[0], "end": 90, "high": 200}]}
    r = run(tmp_path, alarms, NEW_YORK_BACK - 3600, [120], 4800 + 80 * 60,   # from 01:00 EDT
            steps=[(4800, "step", step)], tz="EST5EDT,M3.2.0,M11.1.0")
    high = changes(r["log"], 2)
    assert [h for _, h in high] == [h for _, h in want], high
    assert all(w <= t < w + ROUND_S for (t, _), (w, _) in zip(high[1:], want[1:])), high
