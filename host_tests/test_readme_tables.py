"""The README's tables are the family's manual: its priority table ("At night"), its snooze
list (the short press), the alarm defaults table ("Alarms") and the configuration defaults
("Configuration") are held against the code, so a default, bound, snooze, priority or
pattern changed on one side alone fails here (each was checked only by reading before). So are
the figures of "Forwarding", "Setup page" and "Follower box" (periods, back-offs, limits, ports:
session 65, helper-335), and those of "Hardware", "Wiring (ESP32-DevKitC)" and "Installing on a
board" (the wiring table against the board files, the button's timings, the battery's thresholds,
`make flash`'s watchdog and marker, what fits a plain ESP32: helper-336), and the links, the
engine's prediction figures and the targets it misses, "Layout" and the Known gaps' topics
(helper-338)."""
import inspect
import json
import os
import re
import struct
import sys

import pytest

from conftest import ROOT
from alarms import engine, gate, glucose, kinds, persist
from alarms.glucose import RATE_SPAN_S
from alarms.settings import DEFAULTS, HYST_HIGH, HYST_LOW, MAX_SCHEDULE
from app import config
from forward.entries import MMOL, mmol_text
from sound import patterns as P
sys.path.insert(0, os.path.join(ROOT, "host_tests", "dual"))
import webfakes  # noqa: E402,F401  (microdot, from .mpylib on CPython: the LAN API's and the setup page's)
from fakes import _beside_clock  # noqa: E402


def _forwarding_and_setup():
    from app import persist as rtc, webserver
    from forward import follower, lanapi, mqtt, names, nightscout, timesync, wifi
    from forward.queue import UploadQueue
    from setup import ap, form, web
    return rtc, webserver, follower, lanapi, mqtt, names, nightscout, timesync, wifi, UploadQueue, ap, form, web


rtc, webserver, follower, lanapi, mqtt, names, nightscout, timesync, wifi, UploadQueue, ap, form, web = \
    _beside_clock(_forwarding_and_setup)


def _doc(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


README = _doc("README.md")
FLAT = " ".join(README.split())   # for a phrase that a line break may cut


def _table(header, text=README):
    """The rows (lists of cells, backticks kept) of the table under `header` (the README's)."""
    rows = []
    for line in text[text.index(header):].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _d(key):
    return DEFAULTS[key][0]


def _range(key, unit=""):
    return "%s..%s%s" % (DEFAULTS[key][1], DEFAULTS[key][2], unit)


def _snooze(key):
    """How the defaults table starts a snooze cell: `15 (5..30`."""
    return "%d (%s" % (_d(key), _range(key))


def test_the_night_tables_priorities_sounds_and_lights_are_the_codes():
    rows = {r[0]: r for r in _table("| priority | sound | light (RGB LED) | alarms |")}
    for index, prio in enumerate(kinds.PRIORITIES):
        _, snd, light, alarms = rows[prio]
        listed = set(re.findall(r"`(\w+)`", alarms))
        assert listed == set(t for t in kinds.TYPES if kinds.BASE_PRIORITY[t] == index), prio
        pulses, period = P.sound(prio)[:2]
        assert snd.startswith("%d " % len(pulses)) and snd.endswith("every %d s" % (period // 1000)), prio
        assert light.startswith(P.color_name(P.light(prio)[0]) + ","), prio
    # a short dim blue blink every 3 s while no reading is fresh (stale_minutes)
    assert "over %d min old" % _d("stale_minutes") in rows["no fresh reading (none since power-on, "
                                                           "or the newest over 10 min old), no alarm yet"][0]
    assert P.color_name(P.light("no_data")[0]) == "blue" and P.light("no_data")[1] == 3000
    assert rows["nothing active"][2].startswith(P.color_name(P.light("ok")[0]))
    # the test gesture: "then shows for 3 s each a blue blink, a magenta blink and the calm green"
    assert "shows for 3 s each a blue blink, a magenta blink and the calm green" in FLAT
    assert [(step[0], P.color_name(step[2][0])) for step in P.test_sequence()[3:]] == \
        [(3000, "blue"), (3000, "magenta"), (3000, "green")]
    # "Every power-on plays a short chirp and a red-yellow-green-blue light (1 s)"
    assert "a red-yellow-green-blue light (1 s)" in FLAT
    assert [P.color_name(step[2][0]) for step in P.SELFTEST] == ["red", "yellow", "green", "blue"]
    assert P.sequence_ms(P.SELFTEST) == 1000


def test_the_night_sections_escalation_steps_are_the_patterns_and_the_default():
    m = re.search(r"Left unanswered, an alarm gets\s+louder after (\d+) minutes, repeats more often "
                  r"after (\d+) \(high every (\d+) s, medium (\d+) s, low (\d+) s\)\s+and after (\d+) "
                  r"plays the next priority", README)
    assert m, "the escalation sentence moved: update this test with it"
    step = _d("escalate_minutes")
    assert [int(x) for x in (m.group(1), m.group(2), m.group(6))] == [step, 2 * step, 3 * step]
    assert kinds.MAX_LEVEL == 3 and P.MAX_LEVEL == 2   # level 3 is the engine's: a priority up
    faster = [int(x) * 1000 for x in m.group(3, 4, 5)]
    assert faster == [P.sound(p, 2)[1] for p in ("high", "medium", "low")]


def test_the_short_press_snoozes_listed_at_night_are_the_defaults():
    m = re.search(r"\*\*Short press: snooze\*\* the alarm you hear \((.*?); see \"Alarms\"", README, re.S)
    assert m, "the short press's snooze list moved: update this test with it"
    said = " ".join(m.group(1).split())
    want = ("urgent low %d min, predicted urgent low %d, low %d, urgent high %d, high %d, no data %d, "
            "fall / rise %d, sensor, link, device and forwarding %d"
            % tuple(_d(k) for k in ("urgent_low_snooze", "urgent_low_soon_snooze", "low_snooze",
                                     "urgent_high_snooze", "high_snooze", "no_data_snooze",
                                     "rate_snooze", "condition_snooze")))
    assert said == want
    assert kinds.FAMILY_DAY[0] == 8 * 60 and "until the next morning at 08:00" in FLAT


def test_the_alarm_defaults_table_is_the_settings():
    rows = {r[0]: r for r in _table("| alarm | priority | default | bounds | snooze (min) |")}
    prio = lambda kind: kinds.PRIORITIES[kinds.BASE_PRIORITY[kind]]  # noqa: E731
    # alarm: (its default cell holds, its bounds cell starts, its snooze key)
    expect = {
        "urgent_low": (["below %d, always on" % _d("urgent_low")], _range("urgent_low"),
                       "urgent_low_snooze"),
        "urgent_low_soon": (["within %d min" % _d("urgent_low_soon_minutes")],
                            _range("urgent_low_soon_minutes", " min"), "urgent_low_soon_snooze"),
        "low": (["below %d, or predicted below %d within %d min" % (_d("low"), _d("low"), _d("low_minutes"))],
                "%s; %s" % (_range("low"), _range("low_minutes", " min")), "low_snooze"),
        "high": (["above %d" % _d("high")], _range("high"), "high_snooze"),
        "urgent_high": (["above %d" % _d("urgent_high")], _range("urgent_high"), "urgent_high_snooze"),
        "fall / rise": (["off: %g mg/dL/min over %d min" % (_d("fall_rate"), RATE_SPAN_S // 60)],
                        "%g..%g" % DEFAULTS["fall_rate"][1:], "rate_snooze"),
        "persistent_high": (["off: above %d for %d min" % (_d("persistent_high"), _d("persistent_high_minutes"))],
                            "%s; %s" % (_range("persistent_high"), _range("persistent_high_minutes", " min")),
                            "persistent_high_snooze"),
        "no_data": (["for %d min" % _d("no_data_minutes"), "always on"], _range("no_data_minutes", " min"),
                    "no_data_snooze"),
        "sensor, link, device": (["clear after %d min" % _d("notice_minutes")], "", "condition_snooze"),
        "forwarding": (["`forwarding: false` silences it"], "", "condition_snooze"),
    }
    assert set(rows) == set(expect) | {"transmitter_battery"}
    for name, (holds, bounds, snooze) in expect.items():
        _, priority, default, bounds_cell, snooze_cell = rows[name]
        kinds_here = re.split(r" / |, ", name)
        prios = [prio(k) for k in kinds_here]
        assert priority == " / ".join(p for i, p in enumerate(prios) if p not in prios[:i]), name
        for words in holds:
            assert words in default, (name, words, default)
        assert bounds_cell.startswith(bounds) if bounds else bounds_cell == "", (name, bounds_cell)
        assert snooze_cell.startswith(_snooze(snooze)), (name, snooze_cell, _snooze(snooze))
    # the switches the table calls on or off
    assert _d("urgent_low_soon") and _d("low_enabled") and _d("high_enabled") and _d("urgent_high_enabled")
    assert not (_d("fall_enabled") or _d("rise_enabled") or _d("persistent_high_enabled"))
    assert _d("fall_rate") == _d("rise_rate") and DEFAULTS["fall_rate"][1:] == DEFAULTS["rise_rate"][1:]
    assert prio("transmitter_battery") == rows["transmitter_battery"][1]
    # the rules under it: the urgent low's band, the stale bound
    assert "clears above its band (`urgent_low` + %d)" % HYST_LOW in FLAT
    assert "`stale_minutes` (%d)" % _d("stale_minutes") in FLAT


def test_the_configuration_tables_defaults_are_the_codes():
    rows = _table("| key | default | |")
    defaults = config.defaults()
    seen = set()
    for key, default, _ in rows:
        key = key.strip("`")
        seen.add(key)
        if key == "alarms":
            assert default == "alarm defaults"
            continue
        assert default.startswith("`") and default.endswith("`"), key
        assert json.loads(default[1:-1]) == defaults[key], key
    assert seen == set(defaults)


def test_the_figures_in_the_alarm_rules_are_the_codes():
    _said("`persist.py` (`save()`/`restore()` for RTC memory, %d bytes + %d per active alarm)"
          % (struct.calcsize(persist._HEAD), struct.calcsize(persist._ALARM)))
    _said("its level under `low` + %d too, or glucose was already falling at %g mg/dL/min or faster"
          % (glucose.LOW_LEVEL_MARGIN, glucose.LOW_CONFIRM_FALL))
    _said("the readings of the last %d minutes (at least three, over %d), a minute either way"
          % (glucose.RATE_SPAN_S // 60, glucose.RATE_MIN_SPAN_S // 60))
    assert glucose.RATE_SLACK_S == 60
    _said("`no_data` sounds a minute after `no_data_minutes` (`engine.NO_DATA_GRACE_S`)")
    assert engine.NO_DATA_GRACE_S == 60 and engine.SENSOR_HOLD_S == 2 * 3600 and engine.PAUSE_S == 10 * 60
    _said("until that reason ends, 2 h at most")
    _said("low-side alarms clear %d mg/dL above their threshold, high-side %d below"
          % (HYST_LOW, HYST_HIGH))
    _said("Schedules: up to %d `{" % MAX_SCHEDULE)


def _said(words):
    assert words in FLAT, words


def test_the_device_alarms_link_code_sentence_is_the_links_rule():
    # (helper-395) the link's exception types and its count (link.core, read as text: aioble
    # is MicroPython's), the screen's words (screen.view) and the 5 min before the link alarm
    from screen.view import DETAILS
    src = _doc("firmware/link/core.py")
    names = re.search(r"^_CODE_FAULTS = \(([^)]*)\)", src, re.M).group(1).replace(" ", "").split(",")
    n = int(re.search(r'"code_fault_windows": (\d+),', src).group(1))
    no_tx = int(re.search(r'"no_tx_windows": (\d+),', src).group(1))
    assert (n, no_tx) == (2, 3) and "isinstance(e, TypeError) and conn is not None and conn.is_connected()" in src
    _said("failing its sessions at two wake-ups in a row with an error the radio never raises (reason "
          "`link_code`, `BOX FAULT` / `%s`: an %s or `%s`, or a `TypeError` while the connection stands; "
          "not a `ValueError` or `OSError`" % (DETAILS["link_code"], ", ".join("`%s`" % x for x in names[:-1]),
                                               names[-1]))
    _said("It sounds %d min before the link alarm" % (5 * (no_tx - n)))
    _said("(`BOX FAULT` / `%s` instead while the `device` alarm `link_code` says" % DETAILS["link_code"])


def _defaults(f):
    return {k: v.default for k, v in inspect.signature(f).parameters.items()}


def _minutes(s):
    assert s % 60 == 0, s
    return s // 60


def test_the_forwarding_sections_figures_are_the_codes():
    k = _defaults(wifi.WifiKeeper.__init__)
    _said("reconnects forever with back-off (%d s .. %d min)" % (k["backoff_min_s"], _minutes(k["backoff_max_s"])))
    _said("it stops asking after %d s" % (wifi.SOUND_WAIT_MAX_MS // 1000))
    # time
    t = _defaults(timesync.TimeSync.__init__)
    _said("A step of more than %d min from a clock already set is taken only when a second NTP answer, "
          "%d min later, asks for the same step (within %d s)"
          % (_minutes(timesync.CONFIRM_STEP_S), _minutes(t["retry_s"]), timesync.AGREE_S))
    _said("until the next sync (%d h)" % (t["resync_s"] // 3600))
    assert timesync.VOUCHED_STEP_S == 86400 and timesync.MAX_RETRY_S == 3600
    _said("Not a step of more than a day while the transmitter vouches")
    _said("NTP is asked again less often (%d min, doubling to an hour" % _minutes(2 * t["retry_s"]))
    # nightscout
    ns = nightscout.validate({"url": "http://ns.lan", "secret": "s" * 12, "lan": True})
    _said('"batch": %d, "timeout_s": %d, "alert_after_s": %d}' % (ns["batch"], ns["timeout_s"], ns["alert_after_s"]))
    _said('"no answer within %d s"' % ns["timeout_s"])   # the status page's words for it
    q = _defaults(UploadQueue.__init__)
    _said("A queue of %d readings" % q["capacity"])
    _said("written to flash %d min after the last write" % _minutes(q["save_interval_s"]))
    _said("(up to 3 h before the newest: %d," % nightscout._HELD_MAX)
    _said("is raised once and clears %d min after the last drop" % _minutes(nightscout._CLEAR_AFTER_S))
    _said("401/403 back off %d min .. %d h." % (_minutes(nightscout._AUTH_MIN_S), nightscout._AUTH_MAX_S // 3600))
    _said("A failure retries (%d min .. %d h) with no condition of its own"
          % (_minutes(nightscout._START_RETRY_MIN_S), nightscout._START_RETRY_MAX_S // 3600))
    assert nightscout._START_REFUSED_S == 86400
    _said("is tried again a day later, or at the next restart")
    _said("A host name is looked up once and again at most every %d min after a failure, a failed lookup "
          "after %d min" % (_minutes(names.RESOLVE_AGAIN_S), _minutes(names.RESOLVE_FAILED_S)))
    assert rtc.MAX_NAMES == 4
    _said("The last four addresses (IPv4) are kept in RTC memory")
    # mqtt
    mq = mqtt.validate({"host": "h"})
    _said('`mqtt`: `{"host", "port": %d, "user", "password", "topic_prefix": "%s", "keepalive_s": %d}`'
          % (mq["port"], mq["prefix"], mq["keepalive"]))
    _said("holds the board at most `connect_timeout_s`, %g s, all told" % mq["connect_timeout_s"])
    _said("A failed connect is tried again after %d s doubling to %d min, but at most %d min apart for the "
          "first %d min after losing a broker" % (mqtt._BACKOFF_MIN_S, _minutes(mqtt._BACKOFF_MAX_S),
                                                  _minutes(mqtt._OUTAGE_BACKOFF_MAX_S), _minutes(mqtt._OUTAGE_S)))
    assert mqtt._BRIEF_MAX == 3
    _said("from the third connection in a row that the broker itself closed within %d s of answering" % mqtt._BRIEF_S)
    _said("at every attempt for %d minutes raises `mqtt_auth`" % _minutes(mqtt._REFUSED_S))
    _said("carry an `expire_after` of %d min" % _minutes(mqtt.READING_EXPIRE_S))
    _said("a packet not taken within %d s ends the connection" % mqtt._WRITE_S)
    # the LAN API, and the setup page beside it
    lan = lanapi.validate({})
    _said('`lan_api`: `{"port": %d, "secret": null, "units": "%s", "thresholds", "max_connections": %d, '
          '"request_timeout_s": %d, "trust_loopback": %s, "device": "%s"}`'
          % (lan["port"], lan["units"], lan["max_connections"], lan["request_timeout_s"],
             "true" if lan["trust_loopback"] else "false", lan["device"]))
    with pytest.raises(lanapi.ConfigError):
        lanapi.validate({"request_timeout_s": 61})
    _said("(`request_timeout_s` 1..60")
    assert web.MAX_CONNECTIONS == lan["max_connections"]   # "Here and on the setup page `max_connections`"
    _said("A request head over %d lines or %d KB is refused (400) here and on the setup page"
          % (webserver.HEAD_LINES, webserver.HEAD_MAX // 1024))


def test_the_setup_pages_figures_are_the_codes():
    essid, password = ap.credentials(b"\x24\x0a\xc4\x12\x34\x56", b"k" * ap.KEY_BYTES)
    assert essid == "CGM-Alarm-3456"
    _said("`CGM-Alarm-XXXX` (XXXX: the last 4 hex digits of the board's `machine.unique_id()`")
    assert len(password) == 12 and not set(ap._ALPHABET) & set("0o1li")
    _said("Its WPA2 password is 12 characters (letters and digits without look-alikes 0 o 1 l i) from "
          "SHA-256 of a random %d-byte key" % ap.KEY_BYTES)
    _said("The access point closes after %d minutes without a joined phone" % _minutes(ap._IDLE_CLOSE_S))
    assert web.LOCK_S == 60
    _said("%d wrong passwords from one address lock sign-in from it for a minute (another phone can still "
          "sign in), %d within a minute spread over many addresses lock it for all but the last %d addresses "
          "that signed in" % (web.MAX_FAILS, web.MAX_FAILS_ALL, web._TRUSTED))
    _said("a form larger than the box takes, %d KB," % (web.MAX_BODY // 1024))
    _said("up to %d Wi-Fi networks (those past the third that `config.json` may hold, up to %d,"
          % (form.WIFI_ROWS, config.MAX_WIFI))
    assert form.SCHEDULE_ROWS == 2
    _said("two day/night schedules")
    lo, hi = DEFAULTS["urgent_low"][1:]
    _said("low is always on, %d-%d mg/dL" % (lo, hi))
    _said("%s-%s for the urgent low" % (mmol_text(lo), mmol_text(hi)))
    _said("rates in mmol/L/min to two decimals, %.2f-%.2f" % tuple(r / MMOL for r in DEFAULTS["fall_rate"][1:]))


def test_the_follower_sections_figures_are_the_codes():
    _said("It asks for %d entries (an hour) and reads at most %d KB" % (follower.COUNT, follower.MAX_BODY // 1024))
    _said("than %d entries hold (%d)" % (follower.COUNT, follower.MAX_BRACKETS))
    _said("entries dated more than %d minutes in the future" % _minutes(follower.FUTURE_S))
    _said("The query reaches %d minutes past the server's clock" % _minutes(follower.LOOK_S))
    _said("An entry less than %d s after the last one taken is the same reading" % follower.DUPLICATE_S)
    assert follower.SKEW_S == 60 and follower.MIN_DATE_MS == 1577836800000   # 2020-01-01
    _said("when that clock is more than a minute apart from the box's")
    _said("An entry dated before 2020")
    _said("(`poll_s` + %d s more; %d s more again with" % (follower.TIMEOUT_S, follower.ALARMS_TIMEOUT_S))
    # "sound": "unanswered"
    step = _d("escalate_minutes")
    assert kinds.MAX_LEVEL == 3 and gate.UNANSWERED_LEVEL == {"urgent_low": 1}
    _said("(3 × `escalate_minutes`, %d min by default; an urgent low after one step, %d min" % (3 * step, step))
    poll = config.defaults()["follow"]["poll_s"]
    report = {"alarms": {}, "age_s": 0}
    assert gate.fresh(report, 0, 2 * poll + 30, poll) is report and gate.fresh(report, 0, 2 * poll + 31, poll) is None
    _said("no report for two polls and half a minute, or none at a poll and at the %s retries that follow "
          "it %d s apart" % ({2: "two"}[follower.RETRIES], follower.RETRY_S))
    span = lambda p, requests: (p + follower.RETRIES * min(follower.RETRY_S, p)   # noqa: E731
                                + requests * follower.TIMEOUT_S) / 60.0
    _said("%g–%g min by default, %g–%g min with `poll_s` 300; before, %g and %g min"
          % (span(poll, 0), span(poll, 3), span(300, 0), span(300, 3),
             (2 * poll + 30) / 60.0, (2 * 300 + 30) / 60.0))
    _said("an urgent low active here for %d minutes" % _minutes(gate.URGENT_WAKE_S))
    _said("the leader's alarm task has not run for %d s" % gate.TICK_AGE_S)


# --- "Hardware", "Wiring (ESP32-DevKitC)" and "Installing on a board" (session 65, helper-336) ---

STRAPPING = (0, 2, 5, 12, 15)


def _board_file(name):
    return json.loads(_doc("boards/%s.json" % name))


def _outputs(b):
    """The pins a board file drives: buzzer, LED, power hold and display lines."""
    from sound import board
    pins = [p for key, p in board._part_pins(b) if key not in ("button.pin", "power.battery_adc_pin")]
    dp = b.get("display") or {}
    return set(pins + [dp[k] for k in ("sda", "scl", "sck", "mosi", "cs", "dc", "rst", "backlight")
                       if dp.get(k) is not None])


def test_the_wiring_table_is_the_devkitc_board_file():
    rows = {r[0]: r for r in _table("| part | ESP32 pin | wiring |")}
    b = _board_file("esp32-devkitc")
    bz, led, btn = b["buzzer"], b["led"], b["button"]
    assert bz["kind"] == "pwm" and not bz.get("octaves") and bz.get("freq_hz") is None
    assert rows["passive piezo buzzer (+)"][1] == "GPIO%d (PWM)" % bz["pin"]
    assert rows["passive piezo buzzer (+)"][2].startswith("through 100 Ω; (−) to GND")
    assert led["kind"] == "rgb" and led["common"] == "cathode" and rows["RGB LED common cathode"][1] == "GND"
    for colour, ohm in (("red", 220), ("green", 100), ("blue", 100)):
        assert rows["RGB LED %s anode" % colour][1:] == ["GPIO%d (PWM)" % led["pins"][colour],
                                                         "through %d Ω" % ohm], colour
    notes = " ".join(b["notes"])
    assert "between GPIO25 and GND through 100 ohm" in notes and "(220 ohm red, 100 ohm green and blue)" in notes
    assert rows["push button"][1] == "GPIO%d" % btn["pin"]
    assert btn["pull"] == "up" and btn["active_low"] is True
    assert rows["push button"][2].startswith("other side to GND (internal pull-up); hold while powering on, "
                                             "release after the rising triple beep (10 s) = factory reset")
    # the OLED board: the same parts on the same pins, and the display on the I2C pins the table says
    oled = _board_file("esp32-devkitc-oled")
    assert {k: oled[k] for k in ("buzzer", "led", "button")} == {k: b[k] for k in ("buzzer", "led", "button")}
    dp = oled["display"]
    row = rows["SSD1306 OLED SDA / SCL (optional, board `esp32-devkitc-oled`)"]
    assert row[1] == "GPIO%d / GPIO%d" % (dp["sda"], dp["scl"])
    assert dp["kind"] == "ssd1306" and dp["address"] == 0x3C and "I2C address 0x3C (`\"address\": %d` for a 0x3D" \
        % 0x3D in row[2]
    _said("Optional: a 128x64 or 128x32 SSD1306 OLED on I2C (`boards/esp32-devkitc-oled.json`)")
    assert (dp["width"], dp["height"]) == (128, 64)


def test_the_strapping_and_input_only_sentence_holds_for_the_shipped_boards():
    _said("No strapping pin (%s) and no input-only pin (34–39) drives an output."
          % ", ".join(str(p) for p in STRAPPING))
    from sound import board
    assert board.INPUT_ONLY == tuple(range(34, 40)) and board.FLASH == tuple(range(6, 12))
    for name in ("esp32-devkitc", "esp32-devkitc-oled"):
        out = _outputs(_board_file(name))
        assert not out & set(STRAPPING + board.INPUT_ONLY), (name, out)
    _said("the M5StickC Plus2's own file uses 2, 5, 12 and 15 for outputs")
    assert _outputs(_board_file("m5stickc-plus2")) & set(STRAPPING) == {2, 5, 12, 15}
    for name in board.known((os.path.join(ROOT, "boards"),)):
        b = _board_file(name)
        assert not _outputs(b) & set(board.INPUT_ONLY + board.FLASH), name


def test_the_plus2_battery_figures_are_its_board_file_and_the_watch():
    from app import power
    pw = _board_file("m5stickc-plus2")["power"]
    _said("M5StickC Plus2: hold pin GPIO%d, battery on GPIO%d through 1:%d"
          % (pw["hold_pin"], pw["battery_adc_pin"], pw["battery_divider"]))
    _said("sounds when the cell falls below %.2f V (median of the last %s readings, every %d s; clears above %.1f V)"
          % (power.LOW_MV / 1000, {5: "five"}[power.SAMPLES], power.PERIOD_S, power.OK_MV / 1000))


def test_the_button_gestures_timings_are_the_buttons_defaults():
    from sound.buttons import Buttons
    d = _defaults(Buttons.__init__)
    s = lambda ms: "%g s" % (ms / 1000.0)   # noqa: E731
    _said("short press = snooze, long press (%s) = acknowledge, three quick presses (each within %s of the "
          "last release;" % (s(d["long_ms"]), s(d["gap_ms"])))
    assert d["test_presses"] == 3
    _said("keep holding for %s (past the acknowledge) = open the setup access point (two even blue-lit tones, "
          "not the factory reset's rising triple)" % s(d["setup_ms"]))
    _said("hold the button while powering on until the rising triple beep (%s), then release it within %s"
          % (s(d["reset_ms"]), s(d["release_ms"])))
    _said("A button still held then, or held over %s in use, is stuck" % s(d["stuck_ms"]))
    done, setup_open = P.cue("reset_done"), P.cue("setup_open")
    rising = [step[1][3] for step in done]
    assert len(rising) == 3 and rising == sorted(set(rising))
    assert len(setup_open) == 2 and len({step[1][3] for step in setup_open}) == 1
    assert all(P.color_name(step[2][0]) == "blue" for step in setup_open)


def test_the_installing_sections_figures_are_the_flash_tool_and_the_memory_table():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import flash as flash_tool
    _said("writes the marker `%s`" % config.FLASH_MARKER)
    wdt_ms = int(re.search(r"^WDT_MS = (\d+)", _doc("firmware/main.py"), re.M).group(1))
    _said("its watchdog (%d s) cannot be stopped" % (wdt_ms // 1000))
    _said("(`machine.WDT(timeout=%d)`: on the ESP32 a second `WDT()` only sets a new timeout)"
          % flash_tool.STEP_WDT_MS)
    _said("the board restarts by itself %d minutes later" % (flash_tool.STEP_WDT_MS // 60000))
    # what fits a plain ESP32: the import costs of the "Memory:" table, the data measured, ~112 KB
    frozen = [r for r in _table("| the firmware installed as | import cost (heap) |")
              if r[0].startswith("frozen into the image")][0][1]
    m = re.match(r"([\d.]+) KB \(.*?\); ([\d.]+) KB without a display \(([\d,]+) and ([\d,]+) B", frozen)
    shown, plain, with_display, without = m.group(1), m.group(2), int(m.group(3).replace(",", "")), \
        int(m.group(4).replace(",", ""))
    kb = lambda n: "%.1f" % (n / 1024.0)   # noqa: E731
    assert (shown, plain) == (kb(with_display), kb(without))
    _said("(frozen: %s KB, %s KB with a display;" % (plain, shown))
    m = re.search(r"with\s+every\s+forwarder on \(([\d,]+) and ([\d,]+) B, ", README)
    default_data, every_data = (int(x.replace(",", "")) for x in m.groups())
    heap = 112 * 1024
    need = lambda data: int(round((without + data) / 1024.0))   # noqa: E731
    _said("Frozen, the default settings need about %d KB (about %d KB to spare); every forwarder at once "
          "about %d KB, which leaves some %d KB" % (need(default_data), heap // 1024 - need(default_data),
                                                     need(every_data), (heap - without - every_data) // 1024))
    _said("its modules %s KB) leaves nothing" % kb(with_display - without))
    files = {r[0]: r[1] for r in _table("| the firmware installed as | import cost (heap) |")}
    mpy, py = (int(files[k].split()[0]) for k in ("`.mpy` files (`make flash FLASH_ARGS=--mpy`)",
                                                  "`.py` files (`make flash`)"))
    _said("(below; %d–%d KB of imports)" % (py, mpy))
    _said("the heap the imports keep is no smaller: %d against %d KB" % (mpy, py))



# "The commands", "`make sim`", "What works today" and "When things go wrong" (session 65,
# helper-337): the targets, lists, options, defaults, event names and figures the family reads
def _section(title):
    start = README.index("\n" + title + "\n")
    return README[start:README.index("\n#", start + 1)]


def _makefile():
    return _doc("Makefile")


def test_the_commands_are_the_makefiles_targets_and_their_lists_are_the_tools():
    import bench
    import capture_formats
    import dexdecode
    import mutation
    block = _section("## The commands").split("```")[1]
    phony = re.search(r"^\.PHONY: (.*)$", _makefile(), re.M).group(1).split()
    named = re.findall(r"^make ([\w-]+)", block, re.M) + re.findall(r"`make ([\w-]+)`", block)
    assert named and set(named) <= set(phony), (named, phony)
    # make bench SECTION=..., make mutation PACKAGE=... (alarms the default, "the others")
    sections = re.search(r"SECTION= one of ([\w ]+)\)", block).group(1).split()
    assert sections == bench.sections()
    packages = re.search(r"PACKAGE=([\w|]+):", block).group(1).split("|")
    assert set(packages) | {"alarms"} == set(mutation.PACKAGES) and "alarms" not in packages
    assert "--package $(or $(PACKAGE),alarms)" in _makefile()
    # make decode's three forms, make capture's link types, make clean's folders
    for form in ("msg HEX", "backfill HEX_0x51 FRAME", "auth TRANSMITTER_ID HEX8"):
        assert form in dexdecode.USAGE, form
    assert re.search(r'ARGS="msg [0-9a-f]+"\s+# .*\(also: backfill HEX_0x51 FRAMES\.\.\., auth ID HEX:', block)
    _said("(link types 201, 254, or 187, whose direction")
    assert {capture_formats.LINK_H4_PHDR, capture_formats.LINK_MONITOR, capture_formats.LINK_H4} == {201, 254, 187}
    assert "make clean    # remove build/, .venv/ and .mpylib/" in block
    assert re.search(r"^clean:\n\trm -rf build \$\(VENV\) \$\(MPYLIB\)$", _makefile(), re.M)
    assert re.search(r"^VENV +:= \.venv$", _makefile(), re.M) and re.search(r"^MPYLIB +:= \.mpylib$", _makefile(), re.M)
    # the path `make` gives the tools that run on MicroPython
    path = re.search(r"^export MICROPYPATH := (\S+)$", _makefile(), re.M).group(1)
    _said("`MICROPYPATH=%s .venv/bin/micropython tools/dexfuzz.py 1 2000`"
          % path.replace("$(CURDIR)", "$PWD").replace("$(MPYLIB)", ".mpylib"))


def test_make_sims_options_and_defaults_are_the_simulators():
    import sim
    import board_socket
    import board_time
    sec = _section("## `make sim`")
    rows = {r[0]: r[1] for r in _table("| option | meaning |")}
    simboot = _doc("tools/simboot.py")
    for cell in rows:
        for name in re.findall(r"`([A-Z_]+)=", cell):
            # each one is read (sim.py passes most on; simboot reads BOARD_TIME, SIM_PULSES),
            # and `make sim --help` names it
            assert '"%s"' % name in inspect.getsource(sim) + simboot, name
            assert name + "=" in sim.__doc__, name
    # the default night, its length and pace
    night = sim.options({})
    assert os.path.basename(sim.DEFAULT_TRACE) == "adolescent_003.csv" and night["start"] == 21 * 60
    assert night["hours"] == 11 and night["speed"] == 600 and not night["headless"]
    _said("replaying `../shared/traces/adolescent_003.csv` from 21:00 for 11 hours (a night with an urgent low) at 600x real time")
    _said("the night takes about %d s" % (night["hours"] * 3600 / night["speed"]))
    assert sim.options({"HEADLESS": "1"})["speed"] == 0 and sim.options({"DAYS": "2"})["hours"] == 48
    assert sim.options({"TRACE": sim.DEFAULT_TRACE})["start"] == 0
    assert "(default: minute 0 of a TRACE, shown as day 1 00:00; 21:00 of the default night)" in rows[
        "`TRACE=file.csv` `START=minute`"]
    assert rows["`HOURS=n` / `DAYS=n`"] == "how long (default 11 hours)"
    assert "(default 600; 0 with HEADLESS)" in rows["`SPEED=x`"]
    assert night["plot"] == os.path.join(ROOT, "build", "sim.png")
    assert "(default `build/sim.png`; `PLOT=` draws none)" in rows["`PLOT=path.png`"]
    assert 'OPTS.get("flash") or ROOT + "/build/sim-flash"' in simboot
    assert "(default `build/sim-flash`)" in rows["`FLASH=folder`"]
    peripheral = _doc("tools/vtx/peripheral.py")
    adv_us = int(re.search(r"^ADV_INTERVAL_US = (\d+)$", peripheral, re.M).group(1))
    assert "(default %d)" % (adv_us // 1000) in rows["`ADV_INTERVAL_MS=n`"]
    assert sim.DATA_BUDGET == 64 * 1024 and sim.HEADROOM == 1536 * 1024
    _said("sizes the heap as code + the 64 KiB data budget + a 1.5 MB host allowance")
    assert 'DEFAULT_TX_ID = "8G1234"' in simboot and 'seed=int(OPTS.get("seed", 1))' in simboot
    assert "(default 1) and its ID (default `8G1234`," in rows["`SEED=n` `TX_ID=8XXXXX`"]
    # the board's sockets, its send queue, its blocking calls
    assert 'if OPTS.get("sockets") is not None else %d' % board_socket.LIMIT in simboot
    assert rows["`SOCKETS=n`"].startswith("the board's sockets (default %d, lwIP's" % board_socket.LIMIT)
    assert "%d bytes and %d segments" % (board_socket.SND_BUF, board_socket.SND_QUEUELEN) in rows["`SEND_BUFFER=0`"]
    cost = board_time.COSTS_MS
    assert ("Wi-Fi start %d ms, Bluetooth start %d ms, a TLS handshake %g s, a flash write %d ms per 4 KB erased"
            % (cost["wifi_start"], cost["ble_start"], cost["tls_handshake"] / 1000, cost["flash_erase_4k"])
            in rows["`BOARD_TIME=0`"])
    # the boards with a display it names
    for board in re.findall(r"`([\w-]+)`", rows["`BOARD=name`"].split("one with a display")[1].split(")")[0]):
        assert _board_file(board).get("display"), board


def test_make_sims_refusal_is_the_one_line_it_quotes():
    import sim
    said = re.search(r"A bad option value is refused in one\s+line \(`(sim: SPEED [^`]+)`\)", README).group(1)
    try:
        sim._number({"SPEED": "abc"}, "SPEED", 600)
    except SystemExit as e:
        assert str(e) == said
    else:
        raise AssertionError("SPEED=abc was taken")


def test_the_headless_events_the_readme_names_are_the_ones_the_firmware_and_simulator_emit():
    from alarm_steps import make, feed
    import reading
    cell = _table("| option | meaning |")
    cell = [r[1] for r in cell if r[0] == "`HEADLESS=1`"][0]
    simboot = _doc("tools/simboot.py")
    code = simboot
    for folder, _, files in os.walk(os.path.join(ROOT, "firmware")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    code += f.read()
    fields_of = {
        "reading": set(reading.as_event(reading.make(0, 0, 100, 0, 6))),
        "alarm_onset": set(feed(make(), 60, 40)[0]),   # urgent low
    }
    assert "`reading` (`sgv`, `trend`, `source`)" in cell and {"sgv", "trend", "source"} <= fields_of["reading"]
    assert "/ `alarm_update` (`type`, `priority`, `level`, `reason`;" in cell
    assert {"type", "priority", "level", "reason"} <= fields_of["alarm_onset"]
    assert "`t_ms` (firmware clock)" in cell and 'ev["t_ms"] = _now_ms()' in simboot
    for event in ("alarm_clear", "alarm_escalate", "alarm_snooze", "alarm_ack", "alarm_update"):
        assert "`%s`" % event in cell and '"%s"' % event in code, event
    for event, fields in (("annunciator", ("pattern", "alarm", "level")), ("link", ("what",)),
                          ("device", ()), ("wifi", ()), ("setup_ap", ()), ("reset", ()), ("heap_code", ()),
                          ("heap", ("sockets", "sockets_peak")), ("socket_refused", ("what", "live")),
                          ("world_clock", ("unix_s",)), ("sim_end", ("send_refused",)),
                          ("screen", ("lines",)), ("pulse", ("start_ms", "ms")), ("board_block", ())):
        assert "`%s`" % event in README, event
        emitted = re.findall(r'\{"event": "%s"(.*?)\}' % event, code, re.S)
        assert emitted or (event == "heap" and 'ev = {"event": "heap"' in simboot), event
        for field in fields:
            assert "`%s`" % field in README and '"%s"' % field in "".join(emitted) + code, (event, field)
    assert "heap_sampler(3600, tx)" in simboot   # `heap` (hourly)


def test_what_works_today_figures_are_the_codes():
    from vtx import faults
    import bench_link
    memory, supervisor, wiring = _beside_clock(
        lambda: tuple(__import__("app." + m, None, None, [m]) for m in ("memory", "supervisor", "wiring")))
    sec = " ".join(_section("## What works today").split())
    sup = _defaults(supervisor.Supervisor.__init__)
    assert ("raises the `device` alarm after %d failures in %d minutes (or %d rounds in %d minutes that came "
            "back %d s late or more" % (sup["max_failures"], sup["window_s"] // 60, sup["max_failures"],
                                        sup["window_s"] // 60, supervisor.BLOCKED_MS // 1000)) in sec
    main_py = _doc("firmware/main.py")
    tick_s = int(re.search(r"^TICK_S = (\d+) ", main_py, re.M).group(1))
    assert 'self.add_task("annunciator", self._annunciator_task, 4 * TICK_S' in main_py and 4 * tick_s == 20
    assert "the annunciator is restarted instead, within about 20 s" in sec
    assert ("%d within %d min (or under %d KB free after a collection)"
            % (memory.ERRORS, memory.WINDOW_S // 60, memory.LOW_FREE // 1024)) in sec
    assert memory.SHED_TASKS == ("nightscout", "mqtt", "web")
    assert "pause Nightscout, MQTT and the LAN API" in sec
    assert memory.ALARM_PATH == ("link", "follower", "alarms", "annunciator")
    assert "a MemoryError that ends the link, the follower, the alarm task or the annunciator" in sec
    assert ("%d min without either resume them (doubled, up to %d h"
            % (memory.QUIET_S // 60, memory.QUIET_MAX_S // 3600)) in sec
    assert wiring._RETRY_FIRST_S == 300 and wiring._RETRY_MAX_S == 3600
    assert "5, 10, 20... minutes later (up to hourly" in sec
    assert set(wiring._ESSENTIAL) == {"buttons", "power", "source"}
    assert "the link, the buttons and the battery watch even under memory pressure" in sec
    q = UploadQueue.__init__.__defaults__[0] * 12
    assert "the Nightscout queue's %.1f KB buffer" % (q / 1000) in sec
    # the link
    import reading
    core = _doc("firmware/link/core.py")
    asks = int(re.search(r"^_EMPTY_ASKS = const\((\d+)\)", core, re.M).group(1))
    read_after = int(re.search(r'"read_after_ms": (\d+),', core).group(1))
    assert ("backfills gaps up to %d h" % (reading.BACKFILL_MAX_S // 3600)) in sec
    assert "is asked again at its next %d wake-ups, within the 3 h" % asks in sec
    assert "when no reply came within %d ms, reads the characteristic" % read_after in sec
    # the virtual transmitter's faults, aioble's multitests, the link bench
    listed = re.search(r"and fault modes \(`([a-z0-9_ ]+)`, each", sec).group(1).split()
    assert listed == list(faults.NAMES)
    tests = os.path.join(ROOT, "..", "shared", "micropython-lib", "micropython", "bluetooth", "aioble", "multitests")
    assert "`make multitests` (all %d pass)" % len([f for f in os.listdir(tests) if f.endswith(".py")]) in sec
    link = inspect.getsource(bench_link)
    assert 'simulate(7 * 24 * 60, "miss:0.05,cut:0.02")' in link and "7 days with 5 % missed windows and 2 % cut sessions" in sec
    assert "(%d power-ons over the 5-minute cycle per advertising interval, 100 ms to 2 s" % bench_link.POWER_ONS in sec
    assert "for adv_ms in (100, 1000, 2000):" in link
    assert '"--bystanders", "40"' in link and "a day in a crowded room (40 other devices advertising" in sec


def test_the_resilience_benchs_scenarios_and_measures_are_the_readmes():
    import bench_resilience as br
    sec = " ".join(_section("### When things go wrong (`make bench SECTION=resilience`)").split())
    assert "under seven scenarios" in sec and len(br.scenarios([], 10 ** 8)) == 7
    assert len(_table("| scenario | low → high sound (s) |")) == 7
    assert "radio faults (`%s`)" % br.RADIO_FAULTS in sec
    assert {name: f for name, f, _ in br.scenarios([], 10 ** 8)}["radio_faults"] == br.RADIO_FAULTS
    bench = inspect.getsource(br)
    assert 'os.environ.get("RESILIENCE_DAYS") or 3' in bench and 'os.environ.get("RESILIENCE_TRACES") or 3' in bench
    assert br.SEED == 1 and "for 3 simulated days on the 3 traces with the most minutes below 55 mg/dL " \
                              "(radio-fault seeds 1, 2, 3)" in sec
    assert br.URGENT_LOW == _d("urgent_low") == 55 and br.NO_DATA_MS == _d("no_data_minutes") * 60000
    assert br.GAP_MS == 20 * 60000 and "a > 20 min gap" in sec
    assert br.STALE_MS == 25 * 60000 and "minutes of stale data (> 25 min old)" in sec
    assert "`RESILIENCE_DAYS=` / `RESILIENCE_TRACES=`" in sec


# --- The opening's contents, "How well the low alarms predict", "Layout" and "Known gaps"
# (session 65, helper-338): where the links lead, the engine's figures and the targets it
# misses, the folders named, and a short entry for each gap KNOWN_GAPS details

def _slug(title):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def _anchors(text):
    return {_slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_every_link_of_the_readme_leads_to_a_file_and_heading_that_exist():
    for anchor in re.findall(r"\]\(#([^)]+)\)", README):
        assert anchor in _anchors(README), anchor
    for path, anchor in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#([^)]+))?\)", README):
        assert os.path.exists(os.path.join(ROOT, path)), path
        assert not anchor or anchor in _anchors(_doc(path)), (path, anchor)
    # the contents list names every section
    contents = README[README.index("\nContents:\n"):README.index("\n## ")]
    sections = [line[3:] for line in README.splitlines() if line.startswith("## ")]
    for title in sections:
        assert "](#%s)" % _slug(title) in contents, title


def test_known_gaps_has_an_entry_for_each_gap_known_gaps_md_details():
    gaps = README[README.index("\n## Known gaps (honest list)\n"):]   # the last section
    linked = set(re.findall(r"\]\(docs/KNOWN_GAPS\.md#([^)]+)\)", gaps))
    topics = {_slug(line[3:]) for line in _doc("docs/KNOWN_GAPS.md").splitlines()
              if line.startswith("## ") and not line.startswith("## Left open by")}
    assert topics <= linked, topics - linked


# issue 4's targets: (urgent sensitivity %, urgent median lead min, low sensitivity %, precision %,
# false onsets a day); the recorded set has no low-sensitivity target
TARGETS = {"simulated": (98, 20, 97, 85, 0.3), "recorded": (99.5, 20, None, 85, 0.5)}
PREDICTION_HEADER = "| set | urgent sens / lead | low sens | precision | false onsets/day | target |"


def _engine_rows():
    """{set: (urgent %, lead, low %, precision %, false a day)} as the README's table gives them,
    with its target cells."""
    out = {}
    for name, urgent_lead, low, precision, false, target in _table(PREDICTION_HEADER):
        m = re.match(r"([\d.]+)% / (\d+) min$", urgent_lead)
        out[name] = ((float(m.group(1)), int(m.group(2)), float(low.rstrip("%")),
                      float(precision.rstrip("%")), float(false)), target)
    return out


def test_the_prediction_tables_first_row_is_the_engines_on_the_simulated_set_and_the_rest_are_recorded():
    from alarmbench import ceiling, runner
    rows = _table(PREDICTION_HEADER)
    assert [r[0] for r in rows] == [
        "`../shared/traces` (simulated, 210 days)", "`../shared/real-cgm` (recorded, 2461 days)",
        "30 new simulated patients (`gen_traces.py OUT 7 808`, 210 days, not used for tuning)"]
    # the simulated set (4 s on CPython; the recorded one takes 40 s: held by ALARM_PREDICTION below)
    got = runner.run_set(runner.SETS["simulated"], systems=("engine",), cpython=True)["engine"]
    assert rows[0][1:5] == ["%.1f%% / %d min" % (100 * got["urgent_sensitivity"], got["urgent_median_lead"]),
                            "%.1f%%" % (100 * got["low_sensitivity"]), "%.1f%%" % (100 * got["precision"]),
                            "%.2f" % got["false_onsets_per_day"]]
    assert "(simulated, %d days)" % round(got["days"]) in rows[0][0]
    # each row is the one docs/ALARM_PREDICTION.md records ("Where the engine stands")
    recorded = {r[0]: r[1:] for r in _table("| set | urgent sens / lead | low sens | precision | false/day |",
                                            _doc("docs/ALARM_PREDICTION.md"))}
    for ours, theirs in zip(rows, ("shared simulated (210 days)", "recorded CGM (2461 days)",
                                   "held-out simulated, seed 808 (210 days; 2026-12-02)")):
        assert [c.replace(" min", "") for c in ours[1:5]] == recorded[theirs], (ours, theirs)
    # the ceiling study's sentence (1 s)
    c = ceiling.study(runner.SETS["simulated"])
    _said("in %d%% of the simulated low events the CGM never reads below 70 in the window the scorer "
          "accepts (60 min before to 15 min after the true low starts), in %d%% never below 78; a plain "
          "alarm at CGM < 78 catches only %d%% of the lows at %.2f false alarms a day"
          % (round(100 * c["low_never_below"]["70"]), round(100 * c["low_never_below"]["78"]),
             round(100 * c["threshold_frontier"]["78"]["low_sensitivity"]),
             c["threshold_frontier"]["78"]["false_onsets_per_day"]))


def _and(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def test_the_readme_says_plainly_which_of_issue_4s_targets_the_engine_misses():
    rows = _engine_rows()
    simulated = [rows["`../shared/traces` (simulated, 210 days)"],
                 rows["30 new simulated patients (`gen_traces.py OUT 7 808`, 210 days, not used for tuning)"]]
    recorded = rows["`../shared/real-cgm` (recorded, 2461 days)"]
    t = TARGETS["simulated"]
    assert simulated[0][1] == "%g%% / %d, %g%%, %g%%, %g" % t and simulated[1][1] == "as the first row"
    t = TARGETS["recorded"]
    assert recorded[1] == "%g%% / %d, %g%%, %g" % (t[0], t[1], t[3], t[4])
    names = ("the urgent-low sensitivity", "the 20-minute urgent lead", "the low sensitivity",
             "the precision", "the false onsets")

    def missed(figures, target):
        return [i for i, (f, want) in enumerate(zip(figures, target))
                if want is not None and (f > want if i == 4 else f < want)]

    def phrase(i, figures, target):
        said = _and(["%.1f%%" % f[i] if i != 4 else "%.2f" % f[i] for f in figures])
        if i == 1:
            return "%s (%s min)" % (names[i], _and(["%d" % f[i] for f in figures]))
        return "%s (%s against %s)" % (names[i], said + (" a day" if i == 4 else ""),
                                       "%g%%" % target[i] if i != 4 else "%g" % target[i])

    sim_figures = [f for f, _ in simulated]
    sim_missed = missed(sim_figures[0], TARGETS["simulated"])
    assert missed(sim_figures[1], TARGETS["simulated"]) == sim_missed, "the simulated sets differ: reword"
    rec_missed = missed(recorded[0], TARGETS["recorded"])
    sim_met = [i for i in range(5) if i not in sim_missed]
    rec_met = [i for i in range(5) if i not in rec_missed and TARGETS["recorded"][i] is not None]

    def text(miss, met, figures, target):
        return "%s; met there: %s." % (
            _and([phrase(i, figures, target) for i in miss]),
            _and([names[i] for i in met]))
    want = ("Not met (issue 4's targets): on simulated patients " + text(sim_missed, sim_met, sim_figures,
                                                                          TARGETS["simulated"])
            + " On recorded CGM: " + text(rec_missed, rec_met, [recorded[0]], TARGETS["recorded"]))
    assert want in FLAT, want
    # and the gap's entry says the same in a word: the lead only is met on simulated patients
    assert [names[i] for i in sim_met] == ["the 20-minute urgent lead"] and rec_missed == [1]
    _said("on recorded CGM the box warns of an urgent low %d minutes ahead (median), not the %d it aims at, "
          "and on simulated patients it meets only that lead" % (recorded[0][1], TARGETS["recorded"][1]))


def test_the_layout_names_folders_that_exist_and_every_firmware_part_has_its_line():
    layout = " ".join(_section("## Layout").split())
    firmware = os.path.join(ROOT, "firmware")
    parts = sorted(n for n in os.listdir(firmware) if not n.startswith((".", "_")) and n != "__pycache__")
    listed = layout[layout.index("`firmware/` ("):layout.index("`boards/`")]
    named = re.findall(r"`([\w./]+)`", listed)[1:]
    assert sorted(n.rstrip("/") for n in named) == parts, (named, parts)
    for path in re.findall(r"`((?:firmware|boards|host_tests|tools)/[\w./]*)`", layout):
        assert os.path.exists(os.path.join(ROOT, path)), path
    for name in re.findall(r"`(\w+\.py)`", layout[layout.index("`firmware/screen/`"):]):
        assert os.path.exists(os.path.join(firmware, "screen", name)), name
    # docs/ARCHITECTURE.md's folder table: a row for each firmware folder and module, each path real
    arch = _doc("docs/ARCHITECTURE.md")
    cells = [r[0].strip("`") for r in _table("| folder | what | hardware? |", arch)]
    for part in parts:
        want = "firmware/%s" % part + ("/" if os.path.isdir(os.path.join(firmware, part)) else "")
        # the Reading has its own paragraph ("Shared records")
        assert want in cells or (part == "reading.py" and "**Reading** (`firmware/reading.py`)" in arch), want
    for cell in cells:
        assert os.path.exists(os.path.join(ROOT, cell.replace("<name>.json", ""))), cell
