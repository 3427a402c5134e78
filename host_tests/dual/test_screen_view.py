# What the display says (firmware/screen/view.py), and the board file's "display"
# key (sound/board.py); on CPython and MicroPython. The drawing itself is checked
# on the panel in test_screen.py.
from screen import view
from sound import board
from fakes import BOARDS, board_refusal

LIVE = (100000, 1700000000, 123, -25, 6, "live")
URGENT = {"type": "urgent_low", "priority": "high", "status": "sounding", "reason": "threshold"}


def test_the_number_its_trend_and_age():
    v = view.compose(LIVE, 130, None, 600)
    assert v == ("123", "SingleDown", "2 min", "", "", None, False, False)
    assert view.compose(LIVE, 59, None, 600)[2] == "now"
    assert view.compose(LIVE, 3 * 3600 + 5 * 60, None, 600)[2:3] == ("old: 3 h 05",)
    assert view.compose(LIVE, 3 * 86400, None, 600)[2] == "old: 3 days"


def test_an_old_reading_is_marked_stale_past_the_engines_bound_not_at_it():
    assert view.compose(LIVE, 600, None, 600)[6] is False
    v = view.compose(LIVE, 601, None, 600)
    assert v[6] is True and v[2] == "old: 10 min"


def test_dexcom_low_and_high_and_no_value():
    assert view.compose((1, 2, 39, 0, 6, "live"), 0, None, 600)[0] == "LOW"
    assert view.compose((1, 2, 40, 0, 6, "live"), 0, None, 600)[0] == "40"
    assert view.compose((1, 2, 400, 0, 6, "live"), 0, None, 600)[0] == "400"
    assert view.compose((1, 2, 401, 0, 6, "live"), 0, None, 600)[0] == "HIGH"
    no_value = view.compose((1, 2, None, None, 2, "live"), 0, None, 600)
    assert no_value[:2] == ("---", None)
    assert view.compose(None, None, None, 600)[:3] == ("---", None, "")


def test_an_unknown_or_out_of_range_trend_draws_no_arrow():
    assert view.compose((1, 2, 100, None, 6, "live"), 0, None, 600)[1] is None
    assert view.compose((1, 2, 100, 500, 6, "live"), 0, None, 600)[1] is None
    assert view.compose((1, 2, 100, 0, 6, "live"), 0, None, 600)[1] == "Flat"


def test_the_alarm_in_words_and_whether_it_sounds():
    v = view.compose(LIVE, 0, URGENT, 600)
    assert v[3:] == ("URGENT LOW", "", "high", False, True)
    snoozed = dict(URGENT, status="snoozed")
    assert view.compose(LIVE, 0, snoozed, 600)[3:] == ("URGENT LOW", "snoozed", "high", False, False)
    link = {"type": "link", "priority": "medium", "status": "acknowledged", "reason": "no_transmitter"}
    assert view.compose(None, None, link, 600)[3:5] == ("TRANSMITTER", "silenced")
    assert view.compose(None, None, dict(link, status="snoozed"), 600)[4] == "snoozed"  # 18: too long
    radio = {"type": "device", "priority": "medium", "status": "snoozed", "reason": "radio"}
    assert view.compose(None, None, radio, 600)[3:5] == ("BOX FAULT", "radio, snoozed")
    # a follower box has no transmitter: its link alarm is about the box it follows
    leader = {"type": "link", "priority": "medium", "status": "sounding", "reason": "leader_silent"}
    assert view.compose(None, None, leader, 600)[3:5] == ("LEADER BOX", "silent")
    assert view.compose(None, None, dict(leader, reason="leader_auth"), 600)[3:5] == (
        "LEADER BOX", "refused secret")
    assert view.compose(None, None, dict(leader, reason="leader_unanswered", status="snoozed"),
                        600)[3:5] == ("LEADER BOX", "snoozed")
    odd = {"type": "device", "priority": "medium", "status": "sounding", "reason": "start_forwarding"}
    assert view.compose(None, None, odd, 600)[3:5] == ("BOX FAULT", "no forwarding")
    # the MQTT broker refuses the box's login (a password changed in Home Assistant)
    refused = {"type": "forwarding", "priority": "low", "status": "sounding", "reason": "mqtt_auth"}
    assert view.compose(None, None, refused, 600)[3:5] == ("UPLOAD", "mqtt refused")
    odd["reason"] = "a_reason_nobody_named"
    assert view.compose(None, None, odd, 600)[4] == "a reason nobod"   # cut to the width


def test_no_data_that_the_sensor_alarm_explains_is_told_by_it():
    # (AlarmEngine.shown's "cause"; the App's night: test_sensor_lifecycle.py) no_data's
    # sound and answer, the sensor's words: a sensor error is waited out, a failed one changed
    nd = {"type": "no_data", "priority": "medium", "status": "sounding", "reason": "",
          "cause": ("sensor", "error")}
    assert view.compose(None, None, nd, 600)[3:] == ("SENSOR", "error, wait", "medium", False, True)
    failed = dict(nd, status="snoozed", cause=("sensor", "failed"))
    assert view.compose(None, None, failed, 600)[3:6] == ("SENSOR", "snoozed", "medium")
    assert view.compose(None, None, dict(nd, cause=None), 600)[3:5] == ("NO DATA", "")
    # a session ended (a transmitter reset ends it; the sensor need not be replaced): "SENSOR
    # stopped" did not say that readings come back once a session is started (helper-369)
    stopped = dict(nd, cause=("sensor", "stopped"))
    assert view.compose(None, None, stopped, 600)[3:5] == ("SENSOR", "start session")
    alone = {"type": "sensor", "priority": "medium", "status": "sounding", "reason": "stopped"}
    assert view.compose(None, None, alone, 600)[3:5] == ("SENSOR", "start session")
    # the link's words (the transmitter's ID to check), and a follower's leader as such
    rogue = dict(nd, cause=("link", "rogue"))
    assert view.compose(None, None, rogue, 600)[3:6] == ("TRANSMITTER", "wrong tx or ID", "medium")
    silent = dict(nd, cause=("link", "leader_silent"))
    assert view.compose(None, None, silent, 600)[3:5] == ("LEADER BOX", "silent")


def test_a_followers_leader_unanswered_names_the_leaders_alarm_in_its_screens_title():
    # helper-374: "LEADER BOX / not answered" did not say which alarm nobody answers there
    # (main.App.shown's "leader"): its title on the leader's screen, as this box's own
    unanswered = {"type": "link", "priority": "medium", "status": "sounding", "reason": "leader_unanswered"}
    assert view.compose(None, None, unanswered, 600)[3:5] == ("LEADER BOX", "not answered")   # not known
    for kind, words in (("urgent_low", "URGENT LOW"), ("sensor", "SENSOR"), ("link", "TRANSMITTER"),
                        ("device", "BOX FAULT"), ("persistent_high", "HIGH FOR LONG"),
                        ("newer_kind", "NEWER_KIND"), ("x" * 3000, "X" * 14)):
        assert view.compose(None, None, dict(unanswered, leader=kind), 600)[3:5] == ("LEADER BOX", words)
    # answered here: why this box is quiet wins the room, as for its own alarms
    low = dict(unanswered, leader="low", status="snoozed")
    assert view.compose(None, None, low, 600)[3:5] == ("LEADER BOX", "LOW, snoozed")
    assert view.compose(None, None, dict(low, leader="urgent_low"), 600)[3:5] == ("LEADER BOX", "snoozed")


def test_a_followers_leader_unanswered_names_a_chains_middle_box_as_its_screen_titles_it():
    # helper-382: A leads B, B leads C; B's link alarm about its own leader (leader_unanswered,
    # leader_silent, leader_auth) is "LEADER BOX" on B's screen: C said "TRANSMITTER", which B
    # does not have. The leader's alarm's name there ("leader_reason", main.App.shown) decides
    unanswered = {"type": "link", "priority": "medium", "status": "sounding", "reason": "leader_unanswered"}
    for there in ("leader_unanswered", "leader_silent", "leader_auth"):
        chain = dict(unanswered, leader="link", leader_reason=there)
        assert view.compose(None, None, chain, 600)[3:5] == ("LEADER BOX", "LEADER BOX"), there
    for there, words in (("no_transmitter", "TRANSMITTER"), (None, "TRANSMITTER"), ("", "TRANSMITTER"),
                         ("x" * 3000, "TRANSMITTER")):
        own = dict(unanswered, leader="link", leader_reason=there)
        assert view.compose(None, None, own, 600)[3:5] == ("LEADER BOX", words), there
    assert view.compose(None, None, dict(unanswered, leader="device", leader_reason="flash"), 600)[3:5] == (
        "LEADER BOX", "BOX FAULT")
    snoozed = dict(unanswered, leader="link", leader_reason="leader_silent", status="snoozed")
    assert view.compose(None, None, snoozed, 600)[3:5] == ("LEADER BOX", "snoozed")   # 10 + 9: too long
    assert view.titled("link", "leader_silent") == "LEADER BOX" and view.titled("low") == "LOW"
    assert view.titled("x" * 3000) == "X" * 14


def test_a_transmitter_past_its_end_is_not_shown_as_a_low_battery():
    # (tx_expired in words is its name's: view.detail's fallback)
    for kind, reason, words, not_words in (
            ("transmitter_battery", "tx_expired", "tx expired", "battery low"),
            ("transmitter_battery", "battery_low", "battery low", "tx expired"),
            # a transmitter that fails our key's check: another one near (the old one in a
            # drawer) or an ID typed wrong
            ("link", "rogue", "wrong tx or ID", "rogue")):
        v = view.compose(LIVE, 10 ** 9, {"type": kind, "priority": "low",
                                         "status": "sounding", "reason": reason}, 600)
        assert words in v and not_words not in v, (reason, v)


def test_a_battery_warning_held_to_the_morning_says_so_not_snoozed():
    # a press holds it to 08:00, and one told at night waits for 08:00 with nobody pressing:
    # "snoozed" said someone had answered it
    battery = {"type": "transmitter_battery", "priority": "low", "status": "snoozed",
               "reason": "battery_low"}
    assert view.compose(LIVE, 0, battery, 600)[3:5] == ("TX BATTERY", "till morning")
    assert view.compose(LIVE, 0, dict(battery, status="acknowledged"), 600)[4] == "silenced"
    assert view.compose(LIVE, 0, dict(battery, type="link"), 600)[4] == "snoozed"
    from alarms.kinds import TILL_MORNING
    assert view.TILL_MORNING == TILL_MORNING   # (written out in view.py, not imported)


def test_every_line_fits_the_width():
    from alarms.kinds import REASONS, TYPES
    for t in TYPES:
        for reason in REASONS + ("start_forwarding_and_more",):
            for status in ("sounding", "snoozed", "acknowledged"):
                v = view.compose(LIVE, 10 ** 9, {"type": t, "priority": "low", "status": status,
                                                "reason": reason}, 600)
                assert max(len(v[0]), len(v[2]), len(v[3]), len(v[4])) <= view.WIDTH == 14, v


def test_each_forwarding_reason_is_told_whole_and_apart_from_the_others():
    # the reasons the forwarders raise (forward.nightscout, forward.mqtt, main's feed): one
    # without words of its own was cut to the width, "nightscout unr", "mqtt unreachab",
    # and the queue's two read alike, "nightscout que"
    reasons = ("nightscout_auth", "nightscout_unreachable", "nightscout_queue_full",
               "nightscout_queue_damaged", "nightscout_undated", "mqtt_unreachable", "mqtt_auth", "feed")
    said = [view.compose(None, None, {"type": "forwarding", "priority": "low", "status": "sounding",
                                      "reason": r}, 600)[4] for r in reasons]
    assert said == [view.DETAILS.get(r, r.replace("_", " ")) for r in reasons], said   # none cut
    assert len(set(said)) == len(said), said


def _board(display):
    return {"buzzer": {"kind": "pwm", "pin": 25}, "led": {"kind": "single", "pin": 19},
            "button": {"pin": 32}, "display": display}


def _refused(display):
    return _refused_board(_board(display))


def _refused_board(b):
    return board_refusal(b, "t")


def test_the_board_files_display_key():
    assert _refused({"kind": "ssd1306", "sda": 21, "scl": 22}) is None
    assert _refused({"kind": "ssd1306", "sda": 21, "scl": 22, "address": 61, "height": 32}) is None
    assert "kind" in _refused({"kind": "st7735", "sda": 21, "scl": 22})
    assert "scl" in _refused({"kind": "ssd1306", "sda": 21})
    assert "already used" in _refused({"kind": "ssd1306", "sda": 25, "scl": 22})   # the buzzer's
    assert "already used" in _refused({"kind": "ssd1306", "sda": 21, "scl": 21})
    assert "input-only" in _refused({"kind": "ssd1306", "sda": 21, "scl": 36})
    assert "height" in _refused({"kind": "ssd1306", "sda": 21, "scl": 22, "height": 48})
    assert "already used" in _refused({"kind": "ssd1306", "sda": 19, "scl": 22})   # the LED's
    # an I2C module's pull-up holds GPIO12 high at power-on: flash at 1.8 V, no boot
    assert "GPIO12" in _refused({"kind": "ssd1306", "sda": 21, "scl": 12})


def test_a_display_takes_no_pin_of_the_led_or_the_power():
    rgb = {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33}}
    for led, pin in ((rgb, 27), ({"kind": "separate", "pins": {"red": 4}}, 4),
                     ({"kind": "neopixel", "pin": 18}, 18), ({"kind": "single", "pin": 19}, 19)):
        said = _refused_board(dict(_board({"kind": "ssd1306", "sda": 21, "scl": pin}), led=led))
        assert said and "already used" in said, (led, said)
    # the PLUS2's power hold pin as the panel reset: its pulse would cut a battery's power
    plus2 = board.load("m5stickc-plus2", BOARDS)
    for key, pin in (("rst", 4), ("dc", 4), ("cs", 19)):
        said = _refused_board(dict(plus2, display=dict(plus2["display"], **{key: pin})))
        assert said and "already used" in said, (key, said)
    assert "address" in _refused({"kind": "ssd1306", "sda": 21, "scl": 22, "address": 200})


M5_TFT = {"kind": "st7789", "sck": 13, "mosi": 15, "cs": 5, "dc": 14, "rst": 12, "backlight": 27}


def test_the_board_files_st7789_display():
    assert _refused(M5_TFT) is None
    assert _refused(dict(M5_TFT, rst=None, backlight=None)) is None   # tied high, always lit
    assert _refused(dict(M5_TFT, spi=2, rotation=3, offsets=[52, 40], bgr=False, invert=False,
                         width=240, height=135, baudrate=26666666)) is None
    assert "dc" in _refused({"kind": "st7789", "sck": 13, "mosi": 15, "cs": 5})
    assert "already used" in _refused(dict(M5_TFT, backlight=25))    # the buzzer's
    assert "already used" in _refused(dict(M5_TFT, cs=32))           # the button's
    assert "already used" in _refused(dict(M5_TFT, dc=13))           # the clock line's
    assert "already used" in _refused(dict(M5_TFT, rst=5))           # chip select's
    assert "input-only" in _refused(dict(M5_TFT, dc=36))
    assert "flash" in _refused(dict(M5_TFT, mosi=7))
    assert "spi" in _refused(dict(M5_TFT, spi=0))
    assert "rotation" in _refused(dict(M5_TFT, rotation=0))
    assert "bgr" in _refused(dict(M5_TFT, bgr="yes"))
    assert "baudrate" in _refused(dict(M5_TFT, baudrate=100000000))
    # over 80 MHz / 3 the ESP32 port's full-duplex SPI on GPIO-matrix pins has no
    # device (ESP-IDF: "assigned clock speed not supported") and crashes at a write
    assert "baudrate" in _refused(dict(M5_TFT, baudrate=40000000))
    assert "offsets" in _refused(dict(M5_TFT, offsets=[106, 40]))   # 106 + 135 > 240 columns
    assert "offsets" in _refused(dict(M5_TFT, offsets=[52, 81]))    # 81 + 240 > 320 rows
    assert "offsets" in _refused(dict(M5_TFT, offsets=[52]))
    assert "height" in _refused(dict(M5_TFT, height=300))


def test_the_m5stickc_plus2_board_file_names_its_tft():
    d = board.load("m5stickc-plus2", BOARDS)["display"]
    assert (d["kind"], d["sck"], d["mosi"], d["cs"], d["dc"], d["rst"], d["backlight"]) == \
        ("st7789", 13, 15, 5, 14, 12, 27)
    assert (d["offsets"], d["rotation"], d["invert"]) == ([52, 40], 1, True)


def test_mmol_per_litre_to_a_tenth():
    def mmol(sgv):
        return view.compose((1, 2, sgv, 0, 6, "live"), 0, None, 600, "mmol")[0]
    assert [mmol(v) for v in (40, 54, 70, 100, 126, 180, 400)] == \
        ["2.2", "3.0", "3.9", "5.5", "7.0", "10.0", "22.2"]   # 18.0182, as xDrip+ and the LAN API
    assert [mmol(v) for v in (39, 401, None)] == ["LOW", "HIGH", "---"]   # as in mg/dL
    assert view.compose((1, 2, 126, 0, 6, "live"), 0, None, 600)[0] == "126"   # the default


def test_the_units_setting():
    from app import config
    assert config.validate(dict(config.defaults(), units="mmol"))[1] == []
    assert config.defaults()["units"] == "mg/dl"
    cfg, problems = config.validate(dict(config.defaults(), units="mmol/L"))
    assert cfg["units"] == "mg/dl" and [p for p in problems if p.startswith("units")], problems


def test_the_age_at_each_step_of_its_wording():
    # found by mutation testing (session 22): each boundary of the age's words
    for s, words in ((59, "now"), (60, "1 min"), (59 * 60 + 59, "59 min"), (3600, "1 h 00"),
                     (3600 + 9 * 60, "1 h 09"), (48 * 3600 - 60, "47 h 59"), (48 * 3600, "2 days"),
                     (3 * 86400 - 1, "2 days"), (3 * 86400, "3 days")):
        assert view.age(s) == words, (s, view.age(s))


def test_no_number_no_arrow_and_the_answer_fits_beside_the_reason_to_the_letter():
    no_value = (100000, 1700000000, None, -25, 6, "live")
    assert view.compose(no_value, 60, None, 600)[:2] == ("---", None)
    # "check sensor" (12) has no room for ", snoozed": the answer wins
    assert view.detail({"reason": "attention", "status": "snoozed"}) == "snoozed"
    # "flash" (5) + ", " + "snoozed" (7) = 14, the width: both fit
    assert view.detail({"reason": "flash", "status": "snoozed"}) == "flash, snoozed"
    # "memory" (6): 15, one over: the answer alone
    assert view.detail({"reason": "memory", "status": "snoozed"}) == "snoozed"


def test_a_note_fills_the_detail_line_only_while_no_alarm_is_shown():
    # (helper-298) "time disputed" (main.App.time_disputed_s) after its notice cleared:
    # dim, no title, no priority; an alarm's words take the lines
    v = view.compose((1, 2, 120, 0, 6, "live"), 60, None, 600, note="time disputed")
    assert v[3:] == ("", "time disputed", None, False, False), v
    alarm = {"type": "low", "reason": "threshold", "priority": "medium", "status": "sounding"}
    assert view.compose((1, 2, 60, 0, 6, "live"), 60, alarm, 600, note="time disputed")[3:5] == ("LOW", "")
