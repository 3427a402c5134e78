# The codec against bytes REAL transmitters sent (not peers' unit-test vectors,
# not our virtual transmitter): the two public captures the research names.
#   - Dexcom-ESP32-Reader, "ESP32_Reader/Example serial output.txt" (commit
#     461b33ce): one whole session with a G6, firmware 1.6.5.25, status 0x83,
#     sensor stopped; the log prints its own decoding of each reply.
#   - xdrip-js, "lib/messages/README.md" (commit 0cd1c555): control replies
#     and a 17-frame backfill stream logged from a transmitter in use, with the
#     author's notes on what they mean (timestamps 300 s apart, 180 minutes).
#   - xDrip, g5model/BackFillRxMessage.java (c2a0ba1a), a 0x51 in a comment.
# Only the message bytes are taken; expected values are those the sources
# print or note, or the documented layout read by hand (said where).
# Runs on CPython (pytest) and MicroPython (test_dual_on_micropython.py).
from dexcom import build, glucose, messages, protocol
from dexcom.backfill import Backfill


def _b(s):
    return bytes.fromhex(s.replace(" ", ""))


def _hexlog(s):
    """The ESP32 reader prints bytes as %X without leading zeros."""
    return bytes(int(x, 16) for x in s.split())


# --- Dexcom-ESP32-Reader: a G6 (FW 1.6.5.25) session ---------------------------
def test_esp32_reader_g6_session_writes_are_what_we_build():
    # "ControlSendValue - Writing Data = 24 E6 64" (time), "22 20 4" (battery),
    # "30 53 36" (glucose), "9" (disconnect); "AuthSendValue ... = 6 19" then "7"
    assert build.transmitter_time() == _hexlog("24 E6 64")
    assert build.battery() == _hexlog("22 20 4")
    assert build.glucose() == _hexlog("30 53 36")
    assert build.disconnect() == _hexlog("9")
    assert build.keep_alive(25) == _hexlog("6 19")
    assert build.bond_request() == _hexlog("7")
    # "Writing Data = 1 xx xx xx xx xx xx xx xx 2": opcode, 8-byte token, slot 2
    req = build.auth_request(bytes(8), protocol.SLOT_PHONE)
    assert len(req) == 10 and req[0] == 0x01 and req[9] == 2


def test_esp32_reader_g6_session_auth_replies():
    # "read 3 byte data: 5 1 2" -> "Authenticated!" and a bond request follows
    st = messages.parse(_hexlog("5 1 2"))
    assert st["is_authenticated"] and st["needs_bond"]
    # "read 3 byte data: FF 6 1" after the KeepAlive
    ka = messages.parse(_hexlog("FF 6 1"))
    assert ka["request_opcode"] == 0x06


def test_esp32_reader_g6_session_time():
    d = messages.parse(_hexlog("25 83 67 44 7 0 FF FF FF FF 1 0 0 0 57 9A"))
    # "Time - Status: 131", "since activation: 476263", "since session start: -1"
    assert d["status"] == 131 and d["crc_valid"] is True
    assert d["current_time_dex_s"] == 476263
    assert d["session_start_time_dex_s"] == protocol.NO_SESSION
    assert not d["session_active"]
    assert glucose.session_start_unix(d, 1600000000) is None
    assert protocol.status_name(d["status"]) == "expired"


def test_esp32_reader_g6_session_battery():
    d = messages.parse(_hexlog("23 83 EE 0 C1 0 A6 F 5 1A DC A2"))
    # "Voltage A: 238", "Voltage B: 193", "Resistance: 4006", "Runtime: 5", "Temperature: 26"
    assert (d["voltage_a"], d["voltage_b"], d["resistance"], d["runtime_days"],
            d["temperature_c"]) == (238, 193, 4006, 5, 26)


def test_esp32_reader_g6_session_glucose_of_a_stopped_sensor():
    raw = _hexlog("31 83 0 0 0 0 63 44 7 0 1 0 1 7F 7 1")
    d = messages.parse(raw)
    # "Sequence: 0", "Timestamp: 476259", "DisplayOnly: false", "Glucose: 1",
    # "State: 1", "Trend: 127"
    assert (d["sequence"], d["timestamp_dex_s"], d["glucose_is_display_only"],
            d["glucose_mgdl"], d["state"]) == (0, 476259, False, 1, 1)
    assert d["trend"] is None and not d["usable"]
    r = glucose.glucose_reading(raw, 1000)
    assert r[0] == 476259 and r[1] == 1000 + 476259
    assert r[2] is None and r[3] is None and r[4] == 1    # no glucose, state stopped


def test_esp32_reader_g6_session_sensor_and_calibration():
    d = messages.parse(_hexlog("2F 83 63 44 7 0 FD 27 0 0 91 27 0 0 96 1C"))
    # "Timestamp: 476259", "Unfiltered: 10237", "Filtered: 10129"
    assert (d["timestamp_dex_s"], d["unfiltered"], d["filtered"]) == (476259, 10237, 10129)
    # the 20-byte G6 form: "Calibration - Glucose: 0", "Timestamp: 0"
    c = messages.parse(_hexlog("33 83 0 14 0 58 2 14 0 58 2 0 0 0 0 0 0 1 B5 EC"))
    assert (c["glucose_mgdl"], c["timestamp_dex_s"]) == (0, 0)


# --- xdrip-js lib/messages/README.md -------------------------------------------
_README_FRAMES = (
    "01 80 f93e0000 9e326600 5700 0602 ca336600 5c00",
    "02 80 0606 f6346600 5f00 0608 22366600 6600 060a",
    "03 80 4e376600 6400 0606 7a386600 6300 0603 a639",
    "0480660063000600d23a6600610006fefe3b6600",
    "0580610006fe2a3d6600610006ff563e66006100",
    "06800600823f66005d0006feae406600570006fa",
    "0780da416600550007f906436600580007fc3244",
    "088066005b0007025e456600630007088a466600",
    "09806b00070db64766007200070fe24866007400",
    "0a80070c0e4a6600880006073a4b660090000608",
    "0b80664c66008e000604924d660089000600be4e",
    "0c8066007f0006f8ea4f6600790006f316516600",
    "0d80700006f1425266006f0006f56e5366006d00",
    "0e8006f99a546600660006f9c6556600650006fa",
    "0f80f2566600680006fd1e586600700006044a59",
    "1080660070000606765a66006e000603a25b6600",
    "1180680006fdce5c6600690006fc",
)
# "// control" after the stream: the 0x51 came AFTER the frames
_README_51 = "510001029e326600ce5c66004e01000012416502"


def _readme_stream(reply_first):
    # README: "51 00 0102 9e326600 ce5c6600 ... --> (6708430 - 6697630) = 180 minutes"
    bf = Backfill(6697630, 6708430)
    if reply_first:
        bf.add_reply(_b(_README_51))
    for f in _README_FRAMES:
        bf.add_frame(_b(f))
    if not reply_first:
        assert not bf.complete()
        bf.add_reply(_b(_README_51))
    assert bf.complete()
    return bf


def test_xdrip_js_readme_backfill_stream_frames_then_reply():
    bf = _readme_stream(False)
    recs = bf.records()
    assert recs[0][0] == 6697630 and recs[-1][0] == 6708430
    # "repeated sequences of timestamp --> glucose --> status --> trend", 300 s
    # apart ("300 difference = 5 minutes"): 180 minutes hold 37 of them
    assert len(recs) == 37
    for i in range(1, len(recs)):
        assert recs[i][0] - recs[i - 1][0] == 300
    # "16516600 timestamp", "7000 guessing that this is glucose (= 112)", "06f1"
    hit = [r for r in recs if r[0] == 0x665116]
    assert hit == [(0x665116, 112, False, 6, -15)]
    # the next: "42526600 ... 6f00 ... (= 111)"
    assert [r[1] for r in recs if r[0] == 0x665242] == [111]
    rs = bf.readings(1000)
    assert len(rs) == 37 and all(r[2] is not None for r in rs)   # states 6 / 7: all usable
    assert rs[0][1] == 1000 + 6697630


def test_xdrip_js_readme_backfill_stream_reply_then_frames():
    assert _readme_stream(True).records() == _readme_stream(False).records()


def test_xdrip_js_readme_backfill_replies():
    # "51 00 0101 44266500 6f276500 1800 0000 3e0d d718 --> 5 minutes (almost)"
    d = messages.parse(_b("51 00 0101 44266500 6f276500 1800 0000 3e0d d718"))
    assert (d["backfill_status"], d["identifier"], d["start_time"], d["end_time"],
            d["buffer_length"]) == (1, 1, 6628932, 6629231, 0x18)
    # "51 00 0100 5e456600 e2486600 2800 0000 08b9 1c73 --> 15 minutes"
    d = messages.parse(_b("510001005e456600e24866002800000008b91c73"))
    assert d["end_time"] - d["start_time"] == 900 and d["buffer_length"] == 40
    # "51 00 0201 00000000 ... c417 --> ??": backfill status 2, nothing announced
    empty = Backfill(6628000, 6629000)
    empty.add_reply(_b("51 00 02010000000000000000000000000000 c417"))
    assert empty.complete() and empty.records() == []


def test_xdrip_js_readme_control_after_a_calibration():
    t = messages.parse(_b("2500e848660056a26300010000001ece"))
    # README: "Assume current time = e91c6500 --> 6626537": same u32 LE reading
    assert t["current_time_dex_s"] == 0x6648E8 and t["session_start_time_dex_s"] == 0x63A256
    assert t["session_active"]
    raw = _b("310000000000e84866008840060d5fec")
    g = messages.parse(raw)
    # layout by hand: sequence 0, time = the time reply's, field 0x4088 =
    # display-only flag + 0x088 = 136 mg/dL, state 6, trend +13
    assert (g["sequence"], g["timestamp_dex_s"], g["glucose_mgdl"], g["glucose_is_display_only"],
            g["state"], g["trend"], g["usable"]) == (0, 0x6648E8, 136, True, 6, 13, True)
    r = glucose.glucose_reading(raw)
    assert (r[2], r[3], r[4]) == (136, 13, 6)
    # calibration data, 19-byte form: "the last one was 176 (0xb0)" is the
    # README's example above it; here bytes 11-12 = 0x0094
    c = messages.parse(_b("3300353b0090015600f3009400d7476600ec95"))
    assert c["glucose_mgdl"] == 0x94 and c["timestamp_dex_s"] == 0x6647D7
    assert messages.parse(_b("350000552e"))["accepted"]


def test_xdrip_js_readme_control_after_the_app_was_off():
    t = messages.parse(_b("2500d25c660056a2630001000000d68e"))
    g = messages.parse(_b("310000000000ce5c6600690006fc8cf1"))
    assert g["timestamp_dex_s"] == 0x665CCE == 6708430   # the backfill's last record
    assert t["current_time_dex_s"] - g["timestamp_dex_s"] == 4
    assert (g["glucose_mgdl"], g["state"], g["trend"]) == (105, 6, -4)
    c = messages.parse(_b("330035290085013b00d1009400d7476600caab"))
    assert c["timestamp_dex_s"] == 0x6647D7


# --- xDrip BackFillRxMessage.java comment ---------------------------------------
def test_xdrip_backfill_rx_comment():
    # "// 51 00 01 01 A1A00200 DDAF0200 82000000 2361 1625"
    d = messages.parse(_b("51 00 01 01 A1A00200 DDAF0200 82000000 2361 1625"))
    assert d["crc_valid"] is True and d["buffer_length"] == 130
    # 130 bytes = 6 frames of 20 + one of 10; payload 130 - 7 * 2 = 4 + 14 records,
    # and the span holds 14 records 300 s apart
    assert (d["end_time"] - d["start_time"]) // 300 + 1 == 14
