# tools/sim.py as a newcomer meets it (helper-177, session 39): the live view keeps a
# line for every alarm's start, step and end, a reset and each configuration problem
# (the live line alone, redrawn a few times a second, could show an alarm of a few
# minutes never, and a config's problems were only in build/sim-console.log); a bad
# option is one line, not a traceback; a START outside the trace is refused, and a run
# longer than the trace says that the trace starts again.
import json
import os
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import sim  # noqa: E402


def _run(tmp_path, **env):
    e = dict(os.environ, PLOT="", FLASH=str(tmp_path / "flash"), SPEED="0")
    for k in ("TRACE", "START", "DAYS", "HOURS", "CONFIG", "HTTP_PORT", "HEADLESS", "FAULTS"):
        e.pop(k, None)
    e.update({k: str(v) for k, v in env.items()})
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim.py")], env=e,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def _lines(out):
    """What stays on the terminal: the text between the live line's redraws."""
    import re
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out)
    return [x for x in text.replace("\r", "\n").split("\n") if x]


def test_the_view_logs_each_alarm_start_step_and_end_and_says_config_problems():
    v = sim.View({"start": 21 * 60, "hours": 1})
    assert v.take({"event": "reading", "t_ms": 0, "sgv": 73, "trend": -20, "source": "live"}) == []
    got = v.take({"event": "alarm_onset", "t_ms": 1, "type": "urgent_low_soon", "priority": "high",
                  "reason": "predicted"})
    assert got == ["ALARM urgent_low_soon (high) predicted, last reading 73 mg/dL"]
    assert v.take({"event": "alarm_escalate", "t_ms": 2, "type": "urgent_low_soon",
                   "priority": "high", "level": 1}) == ["louder: urgent_low_soon, level 1 (high)"]
    assert v.take({"event": "alarm_clear", "t_ms": 3, "type": "urgent_low_soon"}) == \
        ["cleared: urgent_low_soon"]
    assert v.take({"event": "alarm_clear", "t_ms": 4, "type": "low"}) == []   # none was shown
    assert v.take({"event": "config_problems", "t_ms": 0, "problems": ["alarms.low=45: x"]}) == \
        ["config problem: alarms.low=45: x"]
    assert v.take({"event": "reset", "t_ms": 5, "detail": "power on"}) == ["the box restarts (power on)"]
    summary = v.summary(1.0).splitlines()
    assert "  alarm urgent_low_soon      high   at day 1 21:00 (predicted), cleared at day 1 21:00" \
        in summary, summary
    v.take({"event": "alarm_onset", "t_ms": 600000, "type": "urgent_low", "priority": "high",
            "reason": "threshold"})
    assert v.summary(1.0).splitlines()[-1] == \
        "  alarm urgent_low           high   at day 1 21:10 (threshold), still active"
    v.take({"event": "link", "t_ms": 6, "what": "no_transmitter"})
    assert v.link == "TRANSMITTER NOT SEEN"
    v.take({"event": "link", "t_ms": 7, "what": "disconnected", "reason": "done"})
    assert v.link == "waiting for the next wake-up"


def test_an_alarm_that_sounds_again_after_its_snooze_is_one_alarm_in_the_summary():
    # the default night with a press on the predicted urgent low at 23:42: it sounds again
    # at 00:12 (alarm_onset with reraise) and clears at 01:36. The summary said it twice, the
    # first "still active" at the end of the night, when the box had nothing sounding
    v = sim.View({"start": 21 * 60, "hours": 6})
    v.take({"event": "reading", "t_ms": 0, "sgv": 73, "trend": -4, "source": "live"})
    v.take({"event": "alarm_onset", "t_ms": 161 * 60000, "type": "urgent_low_soon",
            "priority": "high", "reason": "predicted", "level": 0})
    v.take({"event": "alarm_snooze", "t_ms": 162 * 60000, "type": "urgent_low_soon",
            "priority": "high", "reason": "predicted", "level": 1})
    again = v.take({"event": "alarm_onset", "t_ms": 192 * 60000, "type": "urgent_low_soon",
                    "priority": "high", "reason": "predicted", "level": 0, "reraise": True})
    assert again and not any(x.startswith("ALARM ") for x in again), again   # not a new start
    assert "urgent_low_soon" in again[0], again
    assert v.take({"event": "alarm_clear", "t_ms": 276 * 60000, "type": "urgent_low_soon"}) == \
        ["cleared: urgent_low_soon"]
    rows = [x for x in v.summary(1.0).splitlines() if x.startswith("  alarm ")]
    assert rows == ["  alarm urgent_low_soon      high   at day 1 23:41 (predicted), "
                    "cleared at day 2 01:36"], rows


def test_a_power_cut_takes_the_alarms_off_the_view_as_it_takes_them_from_the_box():
    # a power cut empties RTC memory: the box forgets every alarm and says no clear (README,
    # "When the box itself is in trouble"). The live line went on showing the high all night
    # and the summary ended "still active", for an alarm the box no longer had
    v = sim.View({"start": 21 * 60, "hours": 5})
    v.take({"event": "reading", "t_ms": 0, "sgv": 214, "trend": -4, "source": "live"})
    v.take({"event": "alarm_onset", "t_ms": 60 * 60000, "type": "high", "priority": "low",
            "reason": "threshold", "level": 0})
    notes = v.take({"event": "power_cut", "t_ms": 90 * 60000, "off_s": 60})
    assert notes and "high" in notes[0], notes
    assert v.active == {}
    v.take({"event": "reset", "t_ms": 91 * 60000, "cause": 1, "detail": "power on"})
    rows = [x for x in v.summary(1.0).splitlines() if x.startswith("  alarm ")]
    assert rows == ["  alarm high                 low    at day 1 22:00 (threshold), "
                    "forgotten at the power cut at day 1 22:30"], rows
    # the box pulled off its USB power on a battery board that then switches off: the same
    v.take({"event": "alarm_onset", "t_ms": 120 * 60000, "type": "no_data", "priority": "medium",
            "reason": "", "level": 0})
    v.take({"event": "power_off", "t_ms": 130 * 60000, "why": "usb pulled"})
    assert v.active == {}
    assert v.summary(1.0).splitlines()[-1] == \
        "  alarm no_data              medium at day 1 23:00, forgotten at the power cut at day 1 23:10"


def test_a_reset_takes_a_device_alarm_off_the_view_unless_the_boot_raises_it_again():
    # a reset keeps glucose alarms in RTC memory but not a device or forwarding condition
    # (alarms/persist.py): its part raises it again if the fault is still there, at the
    # level it had (helper-390: `make sim` INJECT='{"task": "health", "error": "ValueError",
    # "at_s": 100, "times": 3, "reset_at_s": 300}' ended with "alarms: device(medium) |
    # buzzer: silent | LED: calm" and "still active" for an alarm the box no longer had;
    # resets at 10, 20 and 30 min listed the one device alarm twice, both "still active")
    v = sim.View({"start": 21 * 60, "hours": 2})
    v.take({"event": "alarm_onset", "t_ms": 110347, "type": "device", "priority": "medium",
            "reason": "task_health", "level": 0})
    assert v.take({"event": "reset", "t_ms": 300000, "cause": 2, "detail": "machine reset (cause 2)"}) == \
        ["the box restarts (machine reset (cause 2)): it does not keep device (raised again if still true)"]
    assert v.active == {}
    rows = [x for x in v.summary(1.0).splitlines() if x.startswith("  alarm ")]
    assert rows == ["  alarm device               medium at day 1 21:01 (task_health), "
                    "forgotten at the restart at day 1 21:05"], rows
    # a reset loop: the boot raises the device alarm again within a minute, at its level
    v = sim.View({"start": 21 * 60, "hours": 1})
    v.take({"event": "alarm_onset", "t_ms": 1200000, "type": "device", "priority": "medium",
            "reason": "resets", "level": 0})
    v.take({"event": "reset", "t_ms": 1800000, "cause": 2, "detail": "machine reset (cause 2)"})
    again = v.take({"event": "alarm_onset", "t_ms": 1800000, "type": "device", "priority": "medium",
                    "reason": "resets", "level": 1})
    assert again and not any(x.startswith("ALARM ") for x in again), again
    assert v.alarms_text() == "device(medium)"
    rows = [x for x in v.summary(1.0).splitlines() if x.startswith("  alarm ")]
    assert rows == ["  alarm device               medium at day 1 21:20 (resets), still active"], rows
    # a device alarm that starts an hour after a reset is a new one
    v.take({"event": "alarm_clear", "t_ms": 3000000, "type": "device"})
    v.take({"event": "reset", "t_ms": 3100000, "cause": 2})
    assert v.take({"event": "alarm_onset", "t_ms": 6700000, "type": "device", "priority": "medium",
                   "reason": "resets"})[0].startswith("ALARM ")


def test_the_live_lines_led_says_the_colour_the_night_table_gives(capsys):
    # the night table (README "At night"): low = cyan, steady; no fresh reading = a short
    # blue blink every 3 s. The live line said "LED: steady" and "LED: no-data", where it
    # says "red flashing" and "yellow flashing" for high and medium (helper-390)
    v = sim.View({"start": 21 * 60, "hours": 1})
    for pattern, said in (("high", "red flashing"), ("medium", "yellow flashing"),
                          ("low", "cyan steady"), ("no_data", "blue blink"), ("off", "calm")):
        v.take({"event": "annunciator", "t_ms": 0, "pattern": pattern, "alarm": None, "level": 0})
        v.draw(0, force=True)
        assert "| LED: %s |" % said in capsys.readouterr().out, pattern


def test_the_live_lines_buzzer_is_silent_unless_a_sound_plays(capsys):
    # the buzzer column named the pattern: "buzzer: no_data" while the box only blinked blue
    # before any alarm (FAULTS=miss:1.0: 15 min of it), read as the no_data alarm sounding
    v = sim.View({"start": 21 * 60, "hours": 1})
    for pattern, said in (("no_data", "silent"), ("snoozed", "silent"), ("acknowledged", "silent"),
                          ("fault", "silent"), ("off", "silent"), ("medium", "medium"),
                          ("selftest", "selftest")):
        v.take({"event": "annunciator", "t_ms": 0, "pattern": pattern, "alarm": None, "level": 0})
        v.draw(0, force=True)
        assert "| buzzer: %s |" % said in capsys.readouterr().out, pattern


def test_an_answer_is_said_in_the_log_and_on_the_live_line():
    # a press (or an alarm that starts held: no_data under an answered link alarm, a battery
    # warning told at night) was not shown: the live line went on listing the alarm as if it
    # sounded, and the log never said it was answered, or until when
    v = sim.View({"start": 21 * 60, "hours": 3})
    v.take({"event": "alarm_onset", "t_ms": 60000, "type": "urgent_low_soon", "priority": "high"})
    got = v.take({"event": "alarm_snooze", "t_ms": 120000, "type": "urgent_low_soon", "priority": "high",
                  "until_s": 120 + 30 * 60})
    assert got == ["snoozed: urgent_low_soon until day 1 21:32"], got
    assert v.alarms_text() == "urgent_low_soon(high, snoozed)"
    assert v.take({"event": "alarm_onset", "t_ms": 1920000, "type": "urgent_low_soon", "priority": "high",
                   "reraise": True})[0].startswith("sounds again: ")
    assert v.alarms_text() == "urgent_low_soon(high)"
    v.take({"event": "alarm_onset", "t_ms": 1930000, "type": "no_data", "priority": "high"})
    assert v.take({"event": "alarm_ack", "t_ms": 1940000, "type": "no_data", "priority": "high"}) == \
        ["acknowledged: no_data"]
    assert v.alarms_text() == "no_data(high, acknowledged), urgent_low_soon(high)"


def test_a_night_shows_its_alarms_on_lines_of_their_own(tmp_path):
    # the default night's urgent low soon starts 2 h 41 min in: every alarm start is a line
    r = _run(tmp_path, HOURS=4)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = _lines(r.stdout)
    starts = [x for x in lines if "  ALARM " in x]
    assert any("ALARM urgent_low_soon (high)" in x for x in starts), starts
    assert any("ALARM urgent_low (high)" in x for x in starts), starts
    # README: "The default night shows no `low`": the more urgent alarm of the low side holds it
    assert not any("ALARM low " in x for x in starts), starts
    assert len(starts) == len([x for x in lines if x.startswith("  alarm ")])   # as the summary


def test_a_configs_problems_are_shown_not_only_logged(tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"transmitter_id": "8G1234", "alarms": {"low": 45, "hgih": 3}}))
    r = _run(tmp_path, HOURS=0.5, CONFIG=cfg)
    assert r.returncode == 0, r.stderr[-2000:]
    shown = [x for x in _lines(r.stdout) if "config problem:" in x]
    assert any("alarms.low=45" in x for x in shown) and any("alarms.hgih" in x for x in shown), shown


def test_a_config_that_micropythons_json_forgives_reaches_the_box_as_broken(tmp_path):
    # simboot read CONFIG with MicroPython's json, which takes a missing comma as there,
    # keeps the last of a key given twice and knows no checksum, and wrote it out again
    # mended: the box ran without the `device` alarm the same file makes on a board
    # (helper-365)
    for text, words in (('{"transmitter_id": "8G1234"\n "role": "leader"}', "not valid JSON"),
                        ('{"transmitter_id": "8G1234", "alarms": {"low": 80, "low": 90}}',
                         "alarms.low: appears more than once"),
                        ('{\n  "crc32": "00000000",\n  "transmitter_id": "8G1234"\n}',
                         "damaged: its checksum does not match")):
        cfg = tmp_path / "hand.json"
        cfg.write_text(text)
        r = _run(tmp_path, HOURS=0.1, CONFIG=cfg)
        assert r.returncode == 0, r.stderr[-2000:]
        shown = [x for x in _lines(r.stdout) if "config problem:" in x]
        assert any(words in x for x in shown), (text, shown)


def test_the_summary_of_a_run_cut_short_says_how_far_it_got():
    # it said "simulated 11.0 h" after a Ctrl-C two hours in, or a firmware that
    # failed at once (helper-365)
    view = sim.View(sim.options({"HOURS": "11"}))
    view.take({"event": "reading", "t_ms": 60000, "sgv": 120})
    cut = view.summary(15.0, 2 * 3600000)
    assert "ended at day 1 23:00: simulated 2.0 of 11.0 h" in cut and "simulated 11.0 h" not in cut, cut
    view.take({"event": "sim_end", "t_ms": 11 * 3600000})
    assert "simulated 11.0 h in 70.0 s" in view.summary(70.0, 11 * 3600000)


def _terminal_sigint():
    """A Ctrl-C's default, as in a terminal: a test run in the background (`make test &`,
    nohup, some CI runners) inherits SIGINT ignored, and the sim would never see it."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_the_night_with_its_summary_and_no_failure_report(tmp_path):
    # a Ctrl-C reaches the firmware too: its exit code 130 was reported as a failure,
    # with its console log dumped on the terminal (helper-365)
    import signal
    import time
    e = dict(os.environ, PLOT="", FLASH=str(tmp_path / "flash"), SPEED="60", HOURS="11")
    for k in ("TRACE", "START", "DAYS", "CONFIG", "HTTP_PORT", "HEADLESS", "FAULTS"):
        e.pop(k, None)
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "sim.py")], env=e, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, preexec_fn=_terminal_sigint)
    try:
        first = p.stdout.read(40)   # the live line has begun: the firmware runs
        time.sleep(1)
        os.killpg(p.pid, signal.SIGINT)   # as a terminal's Ctrl-C: the whole process group
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:   # (not stopped: no 11-minute night left behind)
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert "day 1" in first + out, first + out
    assert p.returncode == 130 and "stopped (Ctrl-C)" in err, (p.returncode, err[-2000:])
    assert "firmware process ended" not in err, err[-2000:]
    assert "ended at day 1" in out, out[-1000:]


def test_ctrl_c_while_the_firmware_is_made_ready_is_one_line_too(tmp_path, monkeypatch, capsys):
    # a fresh clone's first `make sim` is silent for about 5 s (the .mpy build, the heap probe):
    # a Ctrl-C then ended in a KeyboardInterrupt traceback (helper-390)
    for k in ("TRACE", "START", "DAYS", "HOURS", "CONFIG", "HTTP_PORT", "HEADLESS", "FAULTS", "HEAP"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("PLOT", "")
    monkeypatch.setenv("FLASH", str(tmp_path / "flash"))

    def interrupted(o):
        raise KeyboardInterrupt
    monkeypatch.setattr(sim, "code_heap", interrupted)
    try:
        sim.main([])
    except SystemExit as e:
        code = e.code
    except KeyboardInterrupt:   # (caught here: it would end the whole pytest run)
        code = "KeyboardInterrupt"
    else:
        raise AssertionError("no exit")
    err = capsys.readouterr().err
    assert code == 130 and err.strip() == "sim: stopped (Ctrl-C) before the night began", (code, err)


def test_bad_options_are_one_line_each(tmp_path):
    trace = tmp_path / "short.csv"
    trace.write_text("minute,cgm\n0,120\n5,110\n")
    for env, words in (({"SPEED": "abc"}, "SPEED must be a number"),
                       ({"HOURS": "nan"}, "HOURS must be a finite number"),
                       ({"START": "x"}, "START must be a number"),
                       ({"SOCKETS": "x"}, "SOCKETS must be a number"),
                       ({"CONFIG": str(tmp_path / "absent.json")}, "no config file"),
                       ({"FAULTS": "bogus:0.1"}, "unknown fault 'bogus'"),
                       ({"FAULTS": "miss:abc"}, "bad rate"),
                       ({"START": "-100"}, "START must be a minute of the trace (0 or more), got -100"),
                       ({"INJECT": "{bad"}, "INJECT is not JSON")):
        r = _run(tmp_path, **dict({"HOURS": "1"}, **env))
        assert r.returncode != 0, env
        err = r.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("sim: ") and words in err[0], (env, r.stderr[-1500:])


def test_a_run_longer_than_its_trace_says_the_trace_starts_again():
    trace = os.path.join(ROOT, "..", "shared", "traces", "adult_001.csv")   # 7 days, 10080 min
    o = sim.options({"TRACE": trace, "START": "9900", "HOURS": "4"})
    assert o["wraps_at"] == 10080 - 9900
    assert "wraps_at" not in sim.options({"HOURS": "4"})
    # a START past the end is read round (the chaos soak starts its worlds months in)
    o = sim.options({"TRACE": trace, "START": str(3 * 10080 + 9900), "HOURS": "4"})
    assert o["wraps_at"] == 10080 - 9900
    assert "wraps_at" not in sim.options({"TRACE": trace, "START": str(3 * 10080), "HOURS": "4"})


PACE = r'''
import sys
sys.path[:0] = ["tools/host"]
import vtime
vtime.install(100)
import asyncio
import utime
async def beeps():
    for _ in range(400):              # a buzzer's 5-ms steps: 2 s of board time
        await asyncio.sleep_ms(5)
t0 = utime.ticks_ms()
asyncio.run(beeps())
print("OUT", utime.ticks_diff(utime.ticks_ms(), t0), vtime.monotonic_us() // 1000)
'''


def test_steps_shorter_than_a_millisecond_of_real_time_still_keep_the_pace():
    # at 100x, 2 s of board time in 5-ms steps is 20 ms of real time; each step alone
    # is 0.05 ms, and slept as none the night ran 4 times too fast while an alarm
    # sounded (helper-177). A lower bound only: a slow machine takes longer anyway.
    from conftest import run_micropython
    r = run_micropython(["-c", PACE])
    real_ms, board_ms = (int(x) for x in r.stdout.split("OUT")[-1].split())
    assert board_ms >= 2000 and real_ms >= 15, (real_ms, board_ms)


def test_help_prints_the_options_and_an_argument_is_refused_not_ignored():
    # `tools/sim.py --help` ran a whole night (11 h of simulation, over a minute): every
    # argument was ignored, the options being environment variables
    run = lambda *a: subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim.py")] + list(a),
                                    capture_output=True, text=True, timeout=30, cwd=ROOT)
    r = run("--help")
    assert r.returncode == 0 and "HOURS=n" in r.stdout and "TRACE=" in r.stdout, r
    r = run("--hours", "2")
    assert r.returncode != 0 and "environment variables" in r.stderr and "--hours 2" in r.stderr, r
    assert "Traceback" not in r.stderr and r.stdout == "", r
