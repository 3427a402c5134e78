# Protocol rules of the Dexcom codec that the mutation run of
# `python tools/mutation.py --package dexcom` found unpinned: message lengths,
# opcodes and fields of every reply, the 12-bit glucose above 255 (live and
# backfill), the backfill stream's edges (a one-record stream, a 3-byte frame,
# a second 0x51, a stream with no whole record) and its heap bound, the
# builders' argument ranges. Facts from ../shared/research/dexcom-ble.md
# (section given per test) and the peers it cites; runs on both runtimes.
import sys

from dexcom import aes, auth, backfill, build, crc, glucose, info, messages, protocol, replies, states
from dexcom.wire import i8, u32
from codec_steps import raises as _raises


def _le32(v):
    return bytes((v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, (v >> 24) & 0xFF))


def _glucose_msg(field, state=6, trend=0, ts=1000, op=0x31):
    body = bytes((op, 0)) + _le32(7) + _le32(ts) + bytes((field & 0xFF, field >> 8, state, trend & 0xFF))
    return crc.append(body)


def _record(ts, g, state=6, trend=0):
    return _le32(ts) + bytes((g & 0xFF, g >> 8, state, trend & 0xFF))


def _frames(payload, per_frame=18, ident=0):
    """Backfill-characteristic frames: [number from 1][ident << 6][payload...]
    (section 4.8), `per_frame` payload bytes each (BLE frames are <= 20 bytes)."""
    out = []
    for i in range(0, len(payload), per_frame):
        out.append(bytes((len(out) + 1, (ident << 6) & 0xFF)) + payload[i:i + per_frame])
    return out


def _reply(frames, start, end, length=None, ident=0):
    """GlucoseBackfillRx 0x51 announcing these frames (length and CRC over
    the frames, headers included)."""
    whole = b"".join(frames)
    c = crc.crc16(whole)
    body = bytes((0x51, 0, 1, ident)) + _le32(start) + _le32(end)
    body += _le32(len(whole) if length is None else length) + bytes((c & 0xFF, c >> 8))
    return crc.append(body)


def _stream(records, header=b"\x09\x3f\x00\x00", per_frame=18, extra=b""):
    payload = header + b"".join(_record(*r) for r in records) + extra
    frames = _frames(payload, per_frame)
    return frames, _reply(frames, records[0][0], records[-1][0])


def _fed(start, end, frames, reply):
    bf = backfill.Backfill(start, end)
    for f in frames:
        bf.add_frame(f)
    bf.add_reply(reply)
    return bf


# --- section 4.1: opcodes, status byte, CRC ----------------------------------
def test_opcodes_are_the_protocol_table():
    # Sections 3.1 and 4 (CGMBLEKit, xDrip, xdrip-js opcode lists).
    want = {
        "AUTH_REQUEST_TX": 0x01, "AUTH_CHALLENGE_RX": 0x03, "AUTH_CHALLENGE_TX": 0x04,
        "AUTH_STATUS_RX": 0x05, "KEEP_ALIVE_TX": 0x06, "BOND_REQUEST_TX": 0x07,
        "BOND_REQUEST_RX": 0x08, "KEEP_ALIVE_RX": 0xFF, "DISCONNECT_TX": 0x09,
        "VERSION0_TX": 0x20, "VERSION0_RX": 0x21, "BATTERY_TX": 0x22, "BATTERY_RX": 0x23,
        "TIME_TX": 0x24, "TIME_RX": 0x25, "SESSION_START_TX": 0x26, "SESSION_START_RX": 0x27,
        "SESSION_STOP_TX": 0x28, "SESSION_STOP_RX": 0x29, "SENSOR_TX": 0x2E, "SENSOR_RX": 0x2F,
        "GLUCOSE_TX": 0x30, "GLUCOSE_RX": 0x31, "CALIBRATION_DATA_TX": 0x32,
        "CALIBRATION_DATA_RX": 0x33, "CALIBRATE_TX": 0x34, "CALIBRATE_RX": 0x35,
        "VERSION1_TX": 0x4A, "VERSION1_RX": 0x4B, "EGLUCOSE_TX": 0x4E, "EGLUCOSE_RX": 0x4F,
        "BACKFILL_TX": 0x50, "BACKFILL_RX": 0x51, "VERSION2_TX": 0x52, "VERSION2_RX": 0x53,
        "UNKNOWN_D0_RX": 0xD0,
    }
    # private consts: MicroPython compiles the names away (no RAM on the board), CPython keeps them
    on_cpython = sys.implementation.name == "cpython"
    for name, op in want.items():
        assert getattr(protocol, "_OP_" + name) == op if on_cpython else \
            not hasattr(protocol, "_OP_" + name), name
    # the parser table answers each reply opcode with that reply's parser
    for name, op in want.items():
        if name.endswith("_RX"):
            assert op in messages.PARSERS, name
    assert protocol.DEVICE_INFO_SERVICE_UUID16 == 0x180A
    assert protocol.NAME_PREFIX == "Dexcom"


def test_codes_slots_states_and_masks():
    # Sections 1.3 (slot byte), 3.1 / 7.2 (bond byte), 4.1 (status), 4.3-4.4.
    assert (protocol.SLOT_ALTERNATE, protocol.SLOT_PHONE) == (1, 2)
    assert (protocol.BOND_BONDED, protocol.BOND_NEEDED, protocol.BOND_REFRESH) == (1, 2, 3)
    assert (protocol.STATUS_OK, protocol.STATUS_LOW_BATTERY, protocol.STATUS_EXPIRED) == (0, 0x81, 0x83)
    assert (protocol.STATE_STOPPED, protocol.STATE_WARMUP, protocol.STATE_OK,
            protocol.STATE_NEEDS_CALIBRATION, protocol.STATE_OUTLIER_CALIBRATION_REQUEST) == (1, 2, 6, 7, 0x0E)
    assert (protocol.GLUCOSE_MASK, protocol.DISPLAY_ONLY_MASK, protocol.GLUCOSE_MAX_CODE) == (0x0FFF, 0xF000, 13)
    assert (protocol.TREND_UNKNOWN, protocol.TREND_INVALID, protocol.NO_SESSION) == (127, 0x80, 0xFFFFFFFF)


def test_status_names():
    # Section 4.1: 0x00 OK, 0x81 low battery, 0x83 expired (xdrip-js);
    # xDrip TransmitterStatus: anything above 0x81 is "bricked".
    assert protocol.status_name(0x00) == "ok"
    assert protocol.status_name(0x81) == "low_battery"
    assert protocol.status_name(0x83) == "expired"
    assert protocol.status_name(0x82) == "bricked" and protocol.status_name(0xFF) == "bricked"
    assert protocol.status_name(0x01) == "unknown" and protocol.status_name(0x80) == "unknown"


def test_crc_of_an_empty_range_and_short_trailers():
    # CRC-16/XMODEM starts at 0 (section 4.1): nothing hashed, nothing changed.
    assert crc.crc16(b"123456789", 0, 0) == 0
    assert crc.crc16(b"123456789", 4, 4, 0x1234) == 0x1234
    assert crc.crc16(b"123456789") == crc.crc16(b"123456789", 0, 9) == 0x31C3
    # a trailer needs 2 bytes: 0 or 1 byte is never a valid message
    assert not crc.trailer_ok(b"", 0)
    assert not crc.trailer_ok(b"\x00", 1)
    assert crc.trailer_ok(b"\x00\x00", 2)  # CRC of nothing is 0x0000


def test_error_messages_name_lengths_and_crcs():
    # A parser called directly (not through messages.parse) refuses an empty
    # message with a DexcomError, never an IndexError.
    for parse in (replies.parse_time, replies.parse_battery, replies.parse_auth_status,
                  replies.parse_backfill_rx, info.parse_version0, replies.parse_glucose):
        _raises(parse, b"", contains="empty message")
    _raises(replies.parse_time, crc.append(b"\x25\x00"), contains="expected 16 or more")
    _raises(replies.parse_backfill_rx, crc.append(b"\x51" + bytes(15)), contains="expected 20)")
    _raises(replies.parse_sensor, crc.append(b"\x2f" + bytes(17)), contains="expected 8..18")
    good = _glucose_msg(120)
    bad = bytearray(good)
    bad[-2] ^= 0xFF
    msg = _raises(messages.parse, bytes(bad), contains="bad CRC")
    want_trailer = bad[-2] | (bad[-1] << 8)
    assert ("trailer 0x%04x" % want_trailer) in msg, msg
    assert ("computed 0x%04x" % crc.crc16(good, 0, len(good) - 2)) in msg, msg


def test_signed_byte():
    # Trend is a signed int8 (section 4.4).
    assert [i8(v) for v in (0, 1, 0x7F, 0x80, 0xFE, 0xFF)] == [0, 1, 127, -128, -2, -1]


# --- section 3: authentication ---------------------------------------------
def test_auth_replies_fields_and_exact_lengths():
    th, ch = bytes(range(8)), bytes(range(8, 16))
    d = replies.parse_auth_challenge(b"\x03" + th + ch)
    assert d["opcode"] == 0x03 and d["crc_valid"] is None
    for a, b in ((1, 1), (1, 2), (2, 1), (2, 2), (1, 3)):
        d = replies.parse_auth_status(bytes((0x05, a, b)))
        assert (d["opcode"], d["authenticated"], d["bonded"]) == (0x05, a, b)
        assert d["is_authenticated"] == (a == 1) and d["needs_bond"] == (b != 1)
    # KeepAlive reply: 3 bytes, "FF 06 01" (ESP32 reader capture)
    d = replies.parse_keep_alive_reply(b"\xff\x06\x01")
    assert (d["opcode"], d["request_opcode"], d["value"], d["crc_valid"]) == (0xFF, 6, 1, None)
    _raises(replies.parse_keep_alive_reply, b"\xff\x06", contains="too short")
    _raises(replies.parse_keep_alive_reply, b"\xff\x06\x01\x00", contains="too long")
    _raises(replies.parse_keep_alive_reply, b"\x08\x06\x01", contains="wrong opcode")
    # BondRequestRx: 2 bytes (xdrip-js bond-request-rx-message.js)
    d = replies.parse_bond_request_rx(b"\x08\x01")
    assert (d["opcode"], d["result"], d["crc_valid"]) == (0x08, 1, None)
    _raises(replies.parse_bond_request_rx, b"\x08", contains="too short")
    _raises(replies.parse_bond_request_rx, b"\x08\x01\x00", contains="too long")
    _raises(replies.parse_bond_request_rx, b"\x07\x01", contains="wrong opcode")


def test_transmitter_id_must_be_a_string():
    for bad in (123456, None, b"123456"):
        _raises(auth.key_for, bad)
    assert auth.key_for(" 8g12ab ") == b"008G12AB008G12AB"   # as printed: trimmed, upper case


def test_aes_refuses_wrong_sizes():
    key, block = b"0012345600123456", bytes(16)
    for k, b in ((key[:15], block), (key, block[:15]), (key + b"0", block), (key, block + b"\x00")):
        try:
            aes.encrypt_block(k, b)
        except ValueError:
            continue
        raise AssertionError("AES-128 took a %d-byte key and a %d-byte block" % (len(k), len(b)))


# --- section 4.1: builders ---------------------------------------------------
def test_builder_argument_ranges():
    # KeepAlive byte: 1..255 s (25 in CGMBLEKit, 60 in xDrip).
    assert build.keep_alive(1) == b"\x06\x01" and build.keep_alive(255) == b"\x06\xff"
    # Calibration BG: 40..400 mg/dL, the range CGMBLEKit reports (section 4.3).
    for bg in (40, 400):
        c = build.calibrate(bg, 0)
        assert c[1] | (c[2] << 8) == bg and u32(c, 3) == 0
    for bg in (39, 401):
        _raises(build.calibrate, bg, 0, contains="40..400")
    c = build.calibrate(100, 0xFFFFFFFF)
    assert u32(c, 3) == 0xFFFFFFFF
    _raises(build.calibrate, 100, 1 << 32, contains="unsigned 32-bit")
    _raises(build.calibrate, 100, -1, contains="unsigned 32-bit")


def test_backfill_request_layout_and_ranges():
    # Section 4.8: 50 05 02 <identifier 0x00> start end 0 0 CRC, 20 bytes.
    b = build.backfill(1000, 4000)
    assert len(b) == 20 and b[:4] == b"\x50\x05\x02\x00" and b[12:18] == bytes(6)
    assert crc.trailer_ok(b, 20)
    one = build.backfill(5000, 5000)        # one record: start == end
    assert u32(one, 4) == u32(one, 8) == 5000
    assert build.backfill(0, 0xFFFFFFFF)[3] == 0
    assert build.backfill(1, 2, 255)[3] == 255
    for ident in (256, -1):
        _raises(build.backfill, 1, 2, ident, contains="identifier")
    _raises(build.backfill, 1, 1 << 32, contains="unsigned 32-bit")


# --- sections 4.2-4.3: time and glucose ---------------------------------------
def test_glucose_uses_all_12_bits_on_both_paths():
    # Section 4.3: low 12 bits of the u16 at 10 = mg/dL; high 4 bits = flags.
    for g in (14, 255, 256, 257, 300, 399, 400, 511, 1023, 0x0FFF):
        for flags in (0, 0x1000, 0x8000):
            m = _glucose_msg(g | flags, 6, -5)
            assert glucose.glucose_reading(m)[2] == g, (g, flags)
            d = messages.parse(m)
            assert d["glucose_mgdl"] == g and d["glucose_is_display_only"] == (flags != 0)


def test_parse_glucose_codes_boundary():
    # xDrip GlucoseRxMessage: <= 13 is a code, not a reading.
    assert not messages.parse(_glucose_msg(13))["usable"]
    assert messages.parse(_glucose_msg(14))["usable"]
    assert glucose.glucose_reading(_glucose_msg(14))[2] == 14
    assert glucose.glucose_reading(_glucose_msg(13))[2] is None


def test_reply_opcode_and_crc_fields():
    # Every CRC-bearing reply says which opcode it was and that its CRC was checked.
    t = messages.parse(crc.append(b"\x25\x81" + _le32(9000) + _le32(100) + b"\x01\x00\x00\x00"))
    assert (t["opcode"], t["crc_valid"], t["status"]) == (0x25, True, 0x81)
    s = messages.parse(crc.append(b"\x2f\x00" + _le32(5000)))
    assert (s["opcode"], s["crc_valid"], s["timestamp_dex_s"]) == (0x2F, True, 5000)
    _raises(messages.parse, crc.append(b"\x2f\x00" + _le32(5000)[:3]), contains="too short")
    bat = messages.parse(crc.append(b"\x23\x00\x3c\x01\x2f\x01\xcd\x02"))
    assert (bat["opcode"], bat["crc_valid"]) == (0x23, True)
    _raises(messages.parse, crc.append(b"\x23\x00\x3c\x01\x2f\x01\xcd"), contains="too short")
    bf = messages.parse(crc.append(b"\x51\x00\x01\x00" + bytes(14)))
    assert (bf["opcode"], bf["crc_valid"]) == (0x51, True)
    _raises(messages.parse, crc.append(b"\x51\x00\x01\x00" + bytes(13)), contains="too short")
    _raises(messages.parse, crc.append(b"\x51\x00\x01\x00" + bytes(15)), contains="too long")
    # 0xD0: exactly 4 bytes (xdrip-js d0-unknown-rx-message.js: d0 00 27 15)
    d0 = bytes.fromhex("d0002715")
    assert messages.parse(d0)["opcode"] == 0xD0
    _raises(messages.parse, crc.append(b"\xd0"), contains="too short")
    _raises(messages.parse, crc.append(b"\xd0\x00\x27"), contains="too long")


def test_reading_from_parsed_glucose_has_wall_time():
    # Section 4.1: a reading's time = activation + its timestamp.
    d = messages.parse(_glucose_msg(150, 7, 3, ts=9700))
    r = glucose.reading_from_glucose(d, 1700000000)
    assert r[1] == 1700009700 and r[:5] == (9700, 1700009700, 150, 3, 7)
    assert glucose.reading_from_glucose(d)[1] is None


# --- sections 4.6, 4.7, 4.10, 4.11: the rarer replies --------------------------
def test_calibration_data_g5_and_g6_lengths():
    # 19 bytes (G5), 20 bytes (G6); bytes 11-12 glucose & 0xFFF, 13-16 dex time.
    body = b"\x33\x83" + bytes(range(2, 11)) + b"\x4d\x10" + _le32(165087)
    for extra in (b"", b"\x00"):
        d = messages.parse(crc.append(body + extra))
        assert (d["opcode"], d["crc_valid"], d["status"]) == (0x33, True, 0x83)
        assert d["glucose_mgdl"] == 77 and d["timestamp_dex_s"] == 165087
    _raises(messages.parse, crc.append(body[:-1]), contains="too short")
    _raises(messages.parse, crc.append(body + b"\x00\x00"), contains="too long")


def test_calibrate_reply():
    # Section 4.7: 5 bytes, [1] info, [2] result; accepted: 0x00, 0x06, 0x0D.
    for result in range(256):
        d = messages.parse(crc.append(bytes((0x35, 0x2A, result))))
        assert (d["opcode"], d["crc_valid"], d["info"], d["result"]) == (0x35, True, 0x2A, result)
        assert d["accepted"] == (result in (0x00, 0x06, 0x0D)), result
    _raises(messages.parse, crc.append(b"\x35\x00"), contains="too short")
    _raises(messages.parse, crc.append(b"\x35\x00\x00\x00"), contains="too long")


def test_version_replies_fields_and_minimum_lengths():
    v0 = bytes.fromhex("21000212025802120258ff00314541412412")
    d = messages.parse(v0)
    assert (d["opcode"], d["crc_valid"]) == (0x21, True)
    _raises(messages.parse, crc.append(v0[:15]), contains="too short")
    v1 = bytes.fromhex("4b00021202582a2e00001100036e006d010997")
    d = messages.parse(v1)
    assert (d["opcode"], d["crc_valid"]) == (0x4B, True)
    # 0x53: typical days at 2, feature bits at 3 (+ CRC): 7 bytes at least
    v2 = crc.append(b"\x53\x00\x0a\x0f\x00")
    d = messages.parse(v2)
    assert (d["opcode"], d["crc_valid"], d["typical_sensor_days"], d["feature_bits"]) == (0x53, True, 10, 15)
    _raises(messages.parse, crc.append(b"\x53\x00\x0a\x0f"), contains="too short")


def test_session_replies_are_17_bytes():
    body = b"\x29\x00\x01" + _le32(500) + _le32(0xFFFFFFFF) + _le32(600)
    d = messages.parse(crc.append(body))
    assert d["session_stop_time"] == 500 and d["session_start_time"] == 0xFFFFFFFF
    assert d["transmitter_time"] == 600
    for op in (0x27, 0x29):
        b = bytes((op,)) + body[1:]
        _raises(messages.parse, crc.append(b[:-1]), contains="too short")
        _raises(messages.parse, crc.append(b + b"\x00"), contains="too long")


def test_state_names_of_impossible_codes():
    # The state is a byte; anything outside the table (a negative number
    # included) is "unknown", never a wrapped-around name.
    assert states.state_name(-1).startswith("unknown")
    assert states.state_kind(-1) == "unknown"
    assert states.state_name(0x1E) == "sensor_failed_1e" and states.state_kind(0x1E) == "failed"


# --- section 4.8: backfill -----------------------------------------------------
def test_backfill_glucose_uses_all_12_bits():
    recs = [(50000, 300, 6, -4), (50300, 256 | 0x1000, 6, 2), (50600, 0x0FFF, 7, 0), (50900, 13, 6, 1),
            (51200, 14, 6, 1)]
    frames, reply = _stream(recs)
    bf = _fed(50000, 51200, frames, reply)
    assert [(r[1], r[2]) for r in bf.records()] == [(300, False), (256, True), (0x0FFF, False),
                                                    (13, False), (14, False)]
    assert [r[2] for r in bf.readings()] == [300, 256, 0x0FFF, None, 14]


def test_backfill_of_one_record():
    # A request with start == end, answered with one record: valid.
    frames, reply = _stream([(7200, 111, 6, -3)])
    bf = _fed(7200, 7200, frames, reply)
    assert [r[:4] for r in bf.readings(1000)] == [(7200, 8200, 111, -3)]
    _raises(backfill.Backfill, 7200, 7199, contains="before start")
    assert backfill.Backfill(0, 0).complete() is False


def test_backfill_first_record_at_dex_time_zero():
    frames, reply = _stream([(0, 100, 6, 0), (300, 101, 6, 0)])
    assert [r[0] for r in _fed(0, 300, frames, reply).records()] == [0, 300]


def test_backfill_repeated_time_is_kept():
    # A time given twice between the ends: kept, as CGMBLEKit, xDrip and xdrip-js
    # keep it (the link delivers each dex time once); outside the span: dropped.
    frames, reply = _stream([(50000, 100), (50300, 101), (50300, 102), (50600, 103)])
    assert [r[0] for r in _fed(50000, 50600, frames, reply).records()] == [50000, 50300, 50300, 50600]
    frames, reply = _stream([(50000, 100), (50900, 101), (50600, 103)])
    _raises(_fed(50000, 50600, frames, reply).records, contains="outside the 0x51 span")


def test_backfill_short_last_frame_and_partial_record():
    recs = [(50000 + 300 * i, 100 + i) for i in range(4)]
    # header + 4 records = 36 bytes; in 35-byte and 1-byte pieces the last frame is 3 bytes
    payload = b"\x09\x3f\x00\x00" + b"".join(_record(*r) for r in recs)
    frames = [bytes((1, 0)) + payload[:35], bytes((2, 0)) + payload[35:]]
    assert len(frames[-1]) == 3
    bf = _fed(50000, 50900, frames, _reply(frames, 50000, 50900))
    assert [r[0] for r in bf.records()] == [t for t, _ in recs]
    # 7 trailing bytes after the last whole record are not a record: ignored
    frames, reply = _stream(recs, extra=b"\x01\x02\x03\x04\x05\x06\x07")
    bf = _fed(50000, 50900, frames, reply)
    assert [r[0] for r in bf.records()] == [t for t, _ in recs]
    assert backfill.parse_records(payload, 0) == []
    assert len(backfill.parse_records(payload)) == 4


def test_backfill_without_a_whole_record_is_dropped():
    for payload in (b"\x09\x3f", b"\x09\x3f\x00\x00", b"\x09\x3f\x00\x00\x01\x02\x03"):
        frames = _frames(payload)
        bf = _fed(50000, 50000, frames, _reply(frames, 50000, 50000))
        _raises(bf.records, contains="no whole record")


def test_backfill_second_reply_drops_the_stream():
    frames, reply = _stream([(50000, 100), (50300, 101)])
    bf = _fed(50000, 50300, frames, reply)
    bf.add_reply(reply)
    assert bf.complete()
    _raises(bf.records, contains="second 0x51")


def test_backfill_frame_errors_name_the_frame_and_free_the_data():
    frames, reply = _stream([(50000 + 300 * i, 100 + i) for i in range(6)])
    assert len(frames) >= 3
    bf = backfill.Backfill(50000, 51500)
    bf.add_frame(frames[0])
    bf.add_frame(frames[2])
    assert bf.payload is None                    # dropped data frees its buffer
    bf.add_frame(frames[1])                      # later frames are ignored
    assert bf.payload is None and bf.frames == 1
    _raises(bf.records, contains="frame number 3, expected 2")
    bf = backfill.Backfill(50000, 51500)
    bf.add_frame(frames[0])
    bf.add_frame(frames[1][:2])
    _raises(bf.records, contains="backfill frame 2 too short (2 bytes)")


def _filled(bf, payload_bytes):
    """Frames of 20 bytes carrying payload_bytes of increasing records (1 s
    apart, from bf.start) and a matching reply."""
    n = (payload_bytes - 4) // 8
    payload = b"\x09\x3f\x00\x00" + b"".join(_record(bf.start + i, 100) for i in range(n))
    payload += bytes(payload_bytes - len(payload))
    frames = _frames(payload)
    return frames, _reply(frames, bf.start, bf.start + n - 1)


def test_backfill_heap_bound_counts_payload_not_frame_headers():
    # The buffer bound is on the payload (frames minus their 2-byte headers):
    # a stream filling it exactly is kept, one byte more is dropped.
    for start, end in ((50000, 50000), (50000, 50000 + 3 * 3600)):
        bf = backfill.Backfill(start, end)
        frames, reply = _filled(bf, bf.capacity)
        for f in frames:
            bf.add_frame(f)
        assert bf.error is None, bf.error
        bf.add_reply(reply)
        assert bf.error is None and bf.complete(), bf.error
        assert len(bf.records()) == (bf.capacity - 4) // 8
        bf = backfill.Backfill(start, end)
        frames, reply = _filled(bf, bf.capacity + 1)
        for f in frames:
            bf.add_frame(f)
        _raises(bf.records, contains="longer than the requested span allows")


def test_backfill_heap_bound_admits_a_genuine_stream():
    # A transmitter answers a span with records 300 s apart, possibly
    # rounded out by one record each side: always within the bound, for the
    # spans peers ask (xDrip and xdrip-js 3 h, xdripswift 6 h, xDrip 24 h as an option).
    for hours in (0, 1, 3, 6, 24):
        start, end = 100000, 100000 + hours * 3600
        recs = [(t, 120) for t in range(start - 300, end + 301, 300)]
        frames, reply = _stream(recs)
        assert len(_fed(start, end, frames, reply).records()) == len(recs)
    # ...and a stream twice as dense as one record a minute is not
    bf = backfill.Backfill(100000, 103600)
    recs = [(100000 + 30 * i, 120) for i in range(2 * (3600 + 600) // 60 + 10)]
    frames, reply = _stream(recs)
    for f in frames:
        bf.add_frame(f)
    _raises(bf.records, contains="longer than the requested span allows")


def test_backfill_reply_announcing_more_than_the_bound_is_dropped_at_once():
    # The most bytes frames of <= 20 bytes (2-byte header + 18 payload) can
    # take for a bound-sized payload; a 0x51 announcing more is refused
    # before any frame is stored.
    for start, end in ((50000, 50000), (50000, 50000 + 3 * 3600)):
        cap = backfill.Backfill(start, end).capacity
        most = cap + 2 * ((cap + 17) // 18)
        assert cap % 18, cap   # (at a multiple of 18 the code allows one header more)
        for announced, dropped in ((most, False), (most + 1, True)):
            bf = backfill.Backfill(start, end)
            bf.add_reply(_reply([b"\x01\x00"], start, end, length=announced))
            assert (bf.error is not None) == dropped, (announced, bf.error)
            if dropped:
                assert "announces %d bytes" % announced in bf.error


def test_backfill_time_repeated_at_either_end_is_kept():
    # "Every record's time lies between" the 0x51 start and end, the ends included:
    # a record between the first and the last that repeats the start's or the end's
    # time is kept, as CGMBLEKit, xDrip and xdrip-js keep a repeated time (4.8)
    for times in ((50000, 50000, 50300, 50600), (50000, 50300, 50600, 50600)):
        frames, reply = _stream([(t, 100 + i) for i, t in enumerate(times)])
        assert [r[0] for r in _fed(50000, 50600, frames, reply).records()] == list(times)


def test_backfill_heap_bound_admits_one_record_a_minute():
    # The buffer bound is one record a minute across the request widened by one
    # record period (300 s) each side: an irregular but genuine stream that dense is
    # judged by its times, not cut off as a runaway (the twice-as-dense one is,
    # test_backfill_heap_bound_admits_a_genuine_stream)
    for hours in (0, 3):
        start, end = 100000, 100000 + hours * 3600
        recs = [(t, 120) for t in range(start - 300, end + 301, 60)]
        frames, reply = _stream(recs)
        bf = _fed(start, end, frames, reply)
        assert bf.error is None, bf.error
        assert len(bf.records()) == len(recs)
