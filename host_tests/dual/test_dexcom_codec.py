# Codec rules and error handling beyond the shared vectors (both runtimes).
from dexcom import auth, backfill, build, crc, glucose, messages, protocol, states
from dexcom.errors import DexcomError
from dexcom.wire import u32
from codec_steps import raises as _raises


def _glucose_msg(glucose_field, state, trend, ts=1000, op=0x31, seq=7, status=0, predicted=None):
    body = bytearray(14 if predicted is None else 16)
    body[0] = op
    body[1] = status
    for i in range(4):
        body[2 + i] = (seq >> (8 * i)) & 0xFF
        body[6 + i] = (ts >> (8 * i)) & 0xFF
    body[10] = glucose_field & 0xFF
    body[11] = glucose_field >> 8
    body[12] = state
    body[13] = trend & 0xFF
    if predicted is not None:
        body[14] = predicted & 0xFF
        body[15] = predicted >> 8
    return crc.append(body)


def test_fixed_commands_are_their_opcode_and_crc():
    # build.py writes these out with their CRC (literals stay in flash): each must be
    # what crc.append makes of its opcode
    for fn, op in ((build.transmitter_time, 0x24), (build.glucose, 0x30), (build.eglucose, 0x4E),
                   (build.sensor, 0x2E), (build.battery, 0x22), (build.calibration_data, 0x32)):
        assert fn() == crc.append(bytes((op,))), (fn, fn())
    for kind, body in enumerate((b"\x20", b"\x4a", b"\x52", b"\x52\x02")):
        assert build.version(kind) == crc.append(body), kind


def test_dexcom_error_is_value_error():
    assert issubclass(DexcomError, ValueError)


def test_error_messages_say_what_is_wrong():
    good = _glucose_msg(120, 6, -5)
    _raises(messages.parse, b"", contains="empty")
    _raises(messages.parse, b"\x99\x00\x00", contains="unknown opcode 0x99")
    _raises(messages.parse, good[:-1], contains="too short")
    _raises(messages.parse, crc.append(b"\x51" + bytes(19)), contains="too long")
    bad = bytearray(good)
    bad[5] ^= 0x01
    _raises(messages.parse, bytes(bad), contains="bad CRC")
    _raises(messages.parse_time, good, contains="wrong opcode 0x31")
    _raises(glucose.glucose_reading, bytes(bad), contains="bad CRC")
    _raises(glucose.glucose_reading, good[:-1], contains="expected 16")
    _raises(glucose.glucose_reading, b"", contains="empty")
    _raises(glucose.glucose_reading, crc.append(b"\x25" + bytes(13)), contains="wrong opcode")


def test_every_single_bit_flip_of_a_glucose_message_is_refused():
    good = _glucose_msg(150, 6, 3)
    for i in range(len(good)):
        for bit in range(8):
            m = bytearray(good)
            m[i] ^= 1 << bit
            # CRC-16 detects every 1-bit error; a flipped opcode is refused too.
            _raises(glucose.glucose_reading, m)
            _raises(messages.parse_glucose, m)


def test_usable_states_are_6_and_7_only():
    for state in range(256):
        r = glucose.glucose_reading(_glucose_msg(150, state, 4))
        assert r[4] == state
        if state in (6, 7):
            assert r[2] == 150 and r[3] == 4
        else:
            assert r[2] is None and r[3] is None, state  # 0x0E included: not usable
    assert not protocol.state_usable(protocol.STATE_OUTLIER_CALIBRATION_REQUEST)
    d = messages.parse(_glucose_msg(150, 0x0E, 4))
    assert d["glucose_mgdl"] == 150 and not d["usable"]


def test_values_up_to_13_are_codes():
    for g in range(0, 20):
        r = glucose.glucose_reading(_glucose_msg(g, 6, 0))
        assert (r[2] is None) == (g <= 13), g
    d = messages.parse(_glucose_msg(5, 6, 0))
    assert d["glucose_mgdl"] == 5 and not d["usable"]


def test_trend_signed_and_127_unknown():
    for wire, want in ((0, 0), (1, 1), (-1, -1), (-28, -28), (126, 126), (-127, -127),
                       (127, None), (-128, None)):
        r = glucose.glucose_reading(_glucose_msg(100, 7, wire))
        assert r[3] == want, (wire, r)
        assert messages.parse(_glucose_msg(100, 7, wire))["trend"] == want
        assert protocol.trend_or_none(wire & 0xFF) == want


def test_trend_minus_128_is_no_rate_not_a_fall():
    # CGMBLEKit Glucose.swift refuses Int8.min as a rate; read as -12.8
    # mg/dL/min it would sound the falling-fast alarms on a steady reading.
    r = glucose.glucose_reading(_glucose_msg(100, 6, -128))
    assert r[2] == 100 and r[3] is None
    assert messages.parse(_glucose_msg(100, 6, -128))["usable"]
    bf = backfill.Backfill(50000, 50300)
    frames, reply = _make_stream([(50000, 100, 6, -128), (50300, 101, 6, -3)])
    _feed(bf, frames, reply, True)
    got = bf.readings()
    assert [(r[2], r[3]) for r in got] == [(100, None), (101, -3)]
    assert bf.records()[0][4] == -128  # records() keeps the byte as sent


def test_display_only_flag_and_12_bit_value():
    for flags in (0x1000, 0x4000, 0x8000, 0xF000):
        m = _glucose_msg(flags | 250, 6, 2)
        d = messages.parse(m)
        assert d["glucose_is_display_only"] and d["glucose_mgdl"] == 250
        assert glucose.glucose_reading(m)[2] == 250  # still the value to show
    d = messages.parse(_glucose_msg(400, 6, 2))
    assert not d["glucose_is_display_only"] and d["glucose_mgdl"] == 400


def test_eglucose_16_and_18_bytes():
    m16 = _glucose_msg(130, 6, -3, op=0x4F)
    m18 = _glucose_msg(130, 6, -3, op=0x4F, predicted=0x0087)
    assert len(m16) == 16 and len(m18) == 18
    d = messages.parse(m18)
    assert d["opcode"] == 0x4F and d["glucose_mgdl"] == 130 and d["predicted_glucose_mgdl"] == 135
    assert "predicted_glucose_mgdl" not in messages.parse(m16)
    assert glucose.glucose_reading(m16)[2:5] == glucose.glucose_reading(m18)[2:5] == (130, -3, 6)


def test_glucose_replies_longer_than_16_are_read_like_peers():
    # CGMBLEKit GlucoseRxMessage.swift, xdrip-js glucose-rx-message.js and the
    # ESP32 reader accept >= 16 bytes (xDrip >= 14), CRC over all but the last
    # two: a firmware that appends bytes must still give glucose.
    for op in (0x31, 0x4F):
        base = _glucose_msg(130, 6, -3, op=op)
        for extra in (1, 2, 4):
            m = crc.append(base[:-2] + bytes(range(0xA0, 0xA0 + extra)))
            assert glucose.glucose_reading(m)[2:5] == (130, -3, 6), (op, extra)
            d = messages.parse(m)
            assert d["glucose_mgdl"] == 130 and d["usable"] and d["sequence"] == 7
            assert ("predicted_glucose_mgdl" in d) == (op == 0x4F and len(m) >= 18)
            bad = bytearray(m)
            bad[-1] ^= 1
            _raises(glucose.glucose_reading, bytes(bad), contains="bad CRC")
            _raises(messages.parse, bytes(bad), contains="bad CRC")
        for short in (14, 15):  # xDrip's >= 14 would put the CRC over state/trend
            m = crc.append(base[:short - 2])
            _raises(glucose.glucose_reading, m, contains="expected 16")
            _raises(messages.parse, m, contains="too short")


def test_time_reply_longer_than_16_is_read():
    # xDrip TransmitterTimeRxMessage reads any length >= 10 with a valid CRC
    # ("TODO more bytes after this?"); the link asks for the time before
    # glucose, so refusing it would cost every reading.
    body = b"\x25\x00" + bytes((0x10, 0x27, 0, 0)) + bytes((0x00, 0x27, 0, 0)) + b"\x01\x00\x00\x00"
    for extra in (b"", b"\x00", b"\x01\x02\x03\x04"):
        d = messages.parse(crc.append(body + extra))
        assert d["current_time_dex_s"] == 10000 and d["session_start_time_dex_s"] == 9984
        assert d["session_active"]
    _raises(messages.parse, crc.append(body[:13]), contains="too short")


def test_auth_replies_with_trailing_bytes():
    # CGMBLEKit AuthRequestRxMessage / AuthChallengeRxMessage and xDrip read
    # >= 17 / >= 3 bytes and ignore the rest.
    token = bytes(range(8))
    th = auth.hash8("123456", token)
    d = messages.parse(b"\x03" + th + bytes(range(8, 16)) + b"\x00\x00")
    assert d["token_hash"] == th and d["challenge"] == bytes(range(8, 16))
    assert auth.token_hash_ok("123456", token, d["token_hash"])
    d = messages.parse(b"\x05\x01\x02\x00")
    assert d["is_authenticated"] and d["needs_bond"]
    _raises(messages.parse, b"\x03" + th + bytes(7), contains="too short")
    _raises(messages.parse, b"\x05\x01", contains="too short")


def test_reading_tuple_and_wall_time():
    time_rx = messages.parse(crc.append(b"\x25\x00" + bytes((0x10, 0x27, 0, 0)) + b"\xff" * 4 +
                                        b"\x01\x00\x00\x00"))
    assert time_rx["current_time_dex_s"] == 10000 and not time_rx["session_active"]
    act = glucose.activation_unix(time_rx, 1700000000)
    assert act == 1700000000 - 10000
    assert glucose.session_start_unix(time_rx, 1700000000) is None
    r = glucose.glucose_reading(_glucose_msg(111, 6, -12, ts=9700), act, "live")
    assert r == (9700, 1700000000 - 300, 111, -12, 6, "live")
    assert glucose.dex_to_unix(9700, act) == 1700000000 - 300


def _time_rx(now, start):
    return messages.parse(crc.append(b"\x25\x00" + now.to_bytes(4, "little") + start.to_bytes(4, "little") +
                                     b"\x01\x00\x00\x00"))


def test_session_time_left_by_generation():
    # the time message gives the session's start only: the length is the generation's
    # (xDrip+ SensorDays, CGMBLEKit: 10 days for G6, Firefly and ONE; 7 for a G5, ID 4...)
    day = 86400
    t = _time_rx(20 * day, 11 * day)                              # 9 days into the session
    assert t["session_active"]
    assert glucose.session_left_s(t, "8G1234") == day              # G6 / Firefly: 10 days
    assert glucose.session_left_s(t, "81ABCD") == day
    assert glucose.session_left_s(t, "4XXXXX") == -2 * day         # a G5: 7 days, ended
    assert glucose.session_left_s(_time_rx(20 * day, 20 * day - 3600), None) == 10 * day - 3600
    # no session: none (0xFFFFFFFF, a start equal to now, a start after now)
    assert glucose.session_left_s(_time_rx(20 * day, 0xFFFFFFFF), "8G1234") is None
    assert glucose.session_left_s(_time_rx(20 * day, 20 * day), "8G1234") is None
    assert glucose.session_left_s(_time_rx(20 * day, 20 * day + 5), "8G1234") is None


def test_builders():
    tok = bytes(range(8))
    assert build.auth_request(tok, protocol.SLOT_ALTERNATE) == b"\x01" + tok + b"\x01"
    assert build.auth_request(tok, protocol.SLOT_PHONE)[-1] == 2
    _raises(build.auth_request, tok[:7], 1, contains="8 bytes")
    _raises(build.auth_request, tok, 3, contains="slot")
    h = auth.hash8("123456", tok)
    assert build.auth_challenge(h) == b"\x04" + h
    _raises(build.auth_challenge, h[:7])
    assert build.keep_alive(25) == b"\x06\x19"
    _raises(build.keep_alive, 0)
    _raises(build.keep_alive, 256)
    assert build.bond_request() == b"\x07"
    assert build.disconnect() == b"\x09"
    assert build.version(0).hex() == "206224"
    assert build.version(1).hex() == "4a8ee9"
    assert build.version(2).hex() == "52b77a"
    assert build.version(3)[:2] == b"\x52\x02" and crc.trailer_ok(build.version(3), 4)
    _raises(build.version, 4)
    c = build.calibrate(120, 123456)
    assert len(c) == 9 and c[0] == 0x34 and crc.trailer_ok(c, 9)
    assert c[1] | (c[2] << 8) == 120 and u32(c, 3) == 123456
    _raises(build.calibrate, 20, 5)
    b = build.backfill(1000, 4000, 2)
    assert len(b) == 20 and b[:4] == b"\x50\x05\x02\x02" and crc.trailer_ok(b, 20)
    assert u32(b, 4) == 1000 and u32(b, 8) == 4000
    _raises(build.backfill, 4000, 1000, contains="before")
    _raises(build.backfill, -1, 1000)


def test_auth_messages():
    ch = bytes(range(10, 18))
    th = auth.hash8("8G1234", bytes(8))
    d = messages.parse(b"\x03" + th + ch)
    assert d["token_hash"] == th and d["challenge"] == ch and d["crc_valid"] is None
    assert auth.token_hash_ok("8G1234", bytes(8), d["token_hash"])
    assert not auth.token_hash_ok("8G1235", bytes(8), d["token_hash"])
    _raises(messages.parse, b"\x03" + th + ch[:7], contains="too short")
    s = messages.parse(b"\x05\x01\x02")
    assert s["is_authenticated"] and s["needs_bond"] and s["bonded"] == protocol.BOND_NEEDED
    s = messages.parse(b"\x05\x02\x01")
    assert not s["is_authenticated"] and not s["needs_bond"]
    k = messages.parse(b"\xff\x06\x01")
    assert k["request_opcode"] == 6 and k["value"] == 1
    assert messages.parse(b"\x08\x01")["result"] == 1


def test_transmitter_id_checked_and_normalised():
    assert auth.key_for("8g12ab") == b"008G12AB008G12AB"
    _raises(auth.key_for, "12345", contains="6 characters")
    _raises(auth.key_for, "ABCD", contains="6 characters")
    _raises(auth.key_for, "12-456", contains="letter or digit")
    _raises(auth.hash8, "123456", b"1234567", contains="8 bytes")
    t1, t2 = auth.random_token(), auth.random_token()
    assert len(t1) == 8 and t1 != t2


def test_other_replies_lengths():
    _raises(messages.parse, crc.append(b"\x23\x00" + bytes(7)), contains="11 bytes")
    _raises(messages.parse, crc.append(b"\x2f\x00" + bytes(8)), contains="expected 8, 16 or 18")
    _raises(messages.parse, crc.append(b"\x2f\x00" + bytes(15)), contains="too long")
    cal = messages.parse(crc.append(b"\x35\x00\x06"))
    assert cal["result"] == 6 and cal["accepted"]
    assert not messages.parse(crc.append(b"\x35\x00\x08"))["accepted"]


def test_state_names():
    assert states.state_name(6) == "ok" and states.state_name(2) == "warmup"
    assert states.state_name(0x0E) == "outlier_calibration_request"
    assert states.state_name(200).startswith("unknown")
    assert states.state_kind(0x18) == "expired" and states.state_kind(0x0B) == "failed"
    assert protocol.status_name(0x81) == "low_battery"


def test_constants():
    assert protocol.CGM_SERVICE_UUID.startswith("F8083532-")
    for uuid, n in ((protocol.COMMUNICATION_UUID, "33"), (protocol.CONTROL_UUID, "34"),
                    (protocol.AUTHENTICATION_UUID, "35"), (protocol.BACKFILL_UUID, "36")):
        assert uuid == "F80835" + n + "-849E-531C-C594-30F1F86A4EA5"
    assert protocol.ADV_SERVICE_UUID16 == 0xFEBC and protocol.MANUFACTURER_ID == 0x00D0


# --- backfill failure modes -------------------------------------------------
def _make_stream(records, start=None, end=None, header=b"\x12\x34\x00\x00", ident=0):
    payload = bytearray(header)
    for ts, g, state, trend in records:
        payload += bytes((ts & 0xFF, (ts >> 8) & 0xFF, (ts >> 16) & 0xFF, ts >> 24,
                          g & 0xFF, g >> 8, state, trend & 0xFF))
    frames = []
    for i in range(0, len(payload), 18):
        frames.append(bytes(((len(frames) + 1) & 0xFF, ident << 6 & 0xFF)) + payload[i:i + 18])
    whole = b"".join(frames)
    start = records[0][0] if start is None else start
    end = records[-1][0] if end is None else end
    body = bytearray(b"\x51\x00\x01") + bytes((ident,))
    for v in (start, end, len(whole)):
        body += bytes((v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, v >> 24))
    c = crc.crc16(whole)
    body += bytes((c & 0xFF, c >> 8))
    return frames, crc.append(body)


def _records(n, t0=50000, state=6):
    return [(t0 + 300 * i, 100 + i, state, -2) for i in range(n)]


def test_backfill_good_stream_either_order():
    recs = _records(12)
    frames, reply = _make_stream(recs)
    for first in (True, False):
        bf = _feed(backfill.Backfill(recs[0][0] - 300, recs[-1][0] + 300), frames, reply, first)
        assert bf.complete()
        assert bf.records() == [(t, g, False, s, tr) for t, g, s, tr in recs]
        rs = bf.readings(1600000000)
        assert rs[0] == (50000, 1600050000, 100, -2, 6, "backfill")


def test_backfill_unusable_states_give_no_sgv():
    recs = [(50000, 5, 6, 1), (50300, 120, 2, 1), (50600, 121, 7, 127), (50900, 122, 0x0E, 3)]
    frames, reply = _make_stream(recs)
    bf = backfill.Backfill(50000, 50900)
    bf.add_reply(reply)
    for f in frames:
        bf.add_frame(f)
    assert [(r[2], r[3]) for r in bf.readings()] == [(None, None), (None, None), (121, None),
                                                     (None, None)]


def _feed(bf, frames, reply, reply_first):
    """Give a Backfill the stream's reply before or after its frames; return it."""
    if reply_first:
        bf.add_reply(reply)
    for f in frames:
        bf.add_frame(f)
    if not reply_first:
        bf.add_reply(reply)
    return bf


def _expect_dropped(frames, reply, start, end, contains, reply_first=True, complete=True):
    bf = _feed(backfill.Backfill(start, end), frames, reply, reply_first)
    assert bf.complete() == complete  # incomplete: the link gives up at its timeout
    _raises(bf.records, contains=contains)
    _raises(bf.readings, contains=contains)


def test_backfill_drops_bad_streams():
    recs = _records(10)
    s, e = recs[0][0], recs[-1][0]
    frames, reply = _make_stream(recs)
    # a frame missing
    _expect_dropped(frames[:1] + frames[2:], reply, s, e, "frame number")
    # a frame that repeats the one before with other bytes (one of them is not of this
    # stream), or an earlier frame again
    other = bytearray(frames[1])
    other[5] ^= 1
    _expect_dropped(frames[:2] + [bytes(other)] + frames[2:], reply, s, e, "frame 2 repeated with other bytes")
    # ... in its stream byte alone, or as its own tail (a shorter frame whose bytes end it)
    other = bytearray(frames[1])
    other[1] ^= 0x40
    _expect_dropped(frames[:2] + [bytes(other)] + frames[2:], reply, s, e, "frame 2 repeated with other bytes")
    _expect_dropped(frames[:2] + [frames[1][:2] + frames[1][7:]] + frames[2:], reply, s, e,
                    "frame 2 repeated with other bytes")
    _expect_dropped(frames[:3] + frames[1:2] + frames[3:], reply, s, e, "frame number")
    # a corrupted byte in a frame: CRC
    bad = bytearray(frames[1])
    bad[7] ^= 0x40
    _expect_dropped(frames[:1] + [bytes(bad)] + frames[2:], reply, s, e, "CRC")
    # the last frame cut short: length
    _expect_dropped(frames[:-1] + [frames[-1][:-1]], reply, s, e, "bytes", reply_first=False,
                    complete=False)
    # request window does not cover the reply's span (beyond one record period)
    _expect_dropped(frames, reply, s + 301, e, "outside the request")
    _expect_dropped(frames, reply, s, e - 301, "outside the request")
    # records out of order with right length and CRC: first/last don't match
    swapped = [recs[1], recs[0]] + recs[2:]
    f2, r2 = _make_stream(swapped, start=s, end=e)
    _expect_dropped(f2, r2, s, e, "not glucose")
    # middle records out of order, ends right: kept (every peer keeps them) while
    # inside the 0x51 span; one outside it is not a record of this stream
    mixed = recs[:3] + [recs[4], recs[3]] + recs[5:]
    f3, r3 = _make_stream(mixed)
    assert [r[0] for r in _feed(backfill.Backfill(s, e), f3, r3, True).records()] == [r[0] for r in mixed]
    wild = recs[:3] + [(e + 300, 100, 6, 0)] + recs[3:]
    f4, r4 = _make_stream(wild, start=s, end=e)
    _expect_dropped(f4, r4, s, e, "outside the 0x51 span")
    # reply with a bad CRC raises at once and drops the stream
    bf = backfill.Backfill(s, e)
    bad_reply = bytearray(reply)
    bad_reply[-1] ^= 1
    _raises(bf.add_reply, bytes(bad_reply), contains="bad CRC")
    for f in frames:
        bf.add_frame(f)
    _raises(bf.records, contains="bad CRC")
    # no reply at all
    bf = backfill.Backfill(s, e)
    for f in frames:
        bf.add_frame(f)
    assert not bf.complete()
    _raises(bf.records, contains="no 0x51")
    # a frame too short
    _expect_dropped(frames[:1] + [frames[1][:2]] + frames[2:], reply, s, e, "too short")


def test_backfill_skips_a_frame_that_repeats_the_one_before():
    # CGMBLEKit (GlucoseBackfillFrameBuffer.append) and xDrip+ keep only the frame numbered
    # next, so a copy costs them nothing; dropping the stream for it lost the backfill
    # until the next window (helper-226). The length and CRC are those of the frames kept
    recs = _records(12)
    frames, reply = _make_stream(recs)
    for at in (1, 2, len(frames)):
        for reply_first in (True, False):
            bf = _feed(backfill.Backfill(recs[0][0], recs[-1][0]),
                       frames[:at] + frames[at - 1:], reply, reply_first)
            assert bf.complete() and bf.copies == 1, (at, bf.error)
            assert [r[0] for r in bf.records()] == [r[0] for r in recs], at
    twice = [f for f in frames for _ in (0, 1)]
    bf = _feed(backfill.Backfill(recs[0][0], recs[-1][0]), twice, reply, True)
    assert bf.copies == len(frames) and len(bf.records()) == len(recs)
    # frame numbers wrap after 255: a copy of frame 256 (numbered 0) is a copy too
    many = _records(600, t0=500000)
    frames, reply = _make_stream(many)
    assert len(frames) > 257 and frames[255][0] == 0
    bf = _feed(backfill.Backfill(many[0][0], many[-1][0]), frames[:256] + frames[255:], reply, True)
    assert bf.copies == 1 and len(bf.records()) == 600, bf.error
    # a copy before anything was taken is no copy: frame 0 first is out of order
    _expect_dropped([frames[255]] + frames, reply, many[0][0], many[-1][0], "frame number")


def test_backfill_stream_bounded_by_request():
    recs = _records(30)
    frames, reply = _make_stream(recs)
    # 60 s requested, widened by one 300 s period each side: 13 records at most
    bf = backfill.Backfill(recs[0][0], recs[0][0] + 60)
    for f in frames:
        bf.add_frame(f)
    _raises(bf.records, contains="longer than the requested span")


def test_backfill_empty_reply_is_valid_and_empty():
    body = b"\x51\x00\x02\x00" + bytes(14)
    bf = backfill.Backfill(1000, 2000)
    bf.add_reply(crc.append(body))
    assert bf.complete() and bf.records() == [] and bf.readings() == []


def test_parsers_take_bytearray_and_memoryview():
    good = _glucose_msg(140, 7, -4, ts=4242)
    want = glucose.glucose_reading(good, 10)
    assert glucose.glucose_reading(bytearray(good), 10) == want
    assert glucose.glucose_reading(memoryview(good), 10) == want
    assert messages.parse(memoryview(good))["glucose_mgdl"] == 140
    recs = _records(5)
    frames, reply = _make_stream(recs)
    bf = backfill.Backfill(recs[0][0], recs[-1][0])
    bf.add_reply(memoryview(reply))
    for f in frames:
        bf.add_frame(memoryview(bytearray(f)))
    assert len(bf.records()) == 5


def test_pure_aes_agrees_with_cryptolib_where_present():
    from dexcom import aes
    key = b"0012345600123456"
    block = bytes.fromhex("0123456789abcdef0123456789abcdef")
    assert aes.encrypt_block(key, block)[:8].hex() == "e60d4a7999b0fbb2"
    try:
        import cryptolib
    except ImportError:
        return  # CPython: host_tests/test_dexcom_crosscheck.py checks against `cryptography`
    for i in range(20):
        k = bytes((i * 7 + j) & 0xFF for j in range(16))
        b = bytes((i * 13 + 3 * j) & 0xFF for j in range(16))
        assert aes.encrypt_block(k, b) == cryptolib.aes(k, 1).encrypt(b)


def test_sensor_rx_18_bytes_float_raw():
    # xdrip-js sensor-rx-message.js: the 18-byte form carries float32 raw
    # values (it scales them by 35); we report them unscaled.
    from struct import pack
    m = crc.append(b"\x2f\x00" + pack("<Iff", 5000, 1234.5, 1200.25) + b"\x00\x00")
    assert len(m) == 18
    d = messages.parse(m)
    assert d["timestamp_dex_s"] == 5000 and d["unfiltered"] == 1234.5 and d["filtered"] == 1200.25


def test_battery_longer_than_12_uses_the_12_byte_layout():
    # xDrip BatteryInfoRxMessage: any length but 10 is read with resistance,
    # runtime at 8 and temperature at 9.
    body = b"\x23\x00\x3c\x01\x2f\x01\xcd\x02\x1f\x24"
    for extra in (b"", b"\x00", b"\x00\x00\x00"):
        d = messages.parse(crc.append(body + extra))
        assert (d["voltage_a"], d["voltage_b"], d["resistance"], d["runtime_days"],
                d["temperature_c"]) == (316, 303, 717, 31, 36)
    d = messages.parse(crc.append(body[:8]))
    assert "resistance" not in d and d["byte6"] == 0xCD and d["temperature_c"] == 0x02


def test_version_replies_longer_accepted():
    v0 = bytes.fromhex("21000212025802120258ff00314541412412")
    assert messages.parse(crc.append(v0[:-2] + b"\x00"))["asic"] == messages.parse(v0)["asic"]
    v1 = bytes.fromhex("4b00021202582a2e00001100036e006d010997")
    d = messages.parse(v1)
    assert d["max_inactive_days"] == 365
    longer = messages.parse(crc.append(v1[:-2] + b"\x00\x00"))
    for k in ("firmware_version", "build_version", "max_runtime_days", "max_inactive_days"):
        assert longer[k] == d[k], k
    _raises(messages.parse, crc.append(v1[:16]), contains="too short")
    v2 = crc.append(b"\x53\x00\x0a\x0f\x00\x20\x1c")  # 9 bytes: rev-2 "52 02" reply
    assert messages.parse(v2)["typical_sensor_days"] == 10


def test_unknown_state_codes_give_no_reading_and_say_unknown():
    # Any code the tables do not know (xDrip CalibrationState.parse maps it
    # to Unknown, CGMBLEKit to .unknown(raw); neither gives glucose).
    for code in (0x00, 0x1F, 0x20, 0x7F, 0x80, 0xC1, 0xC2, 0xC3, 0xFF):
        r = glucose.glucose_reading(_glucose_msg(150, code, 4))
        assert r[2] is None and r[3] is None and r[4] == code
        assert not protocol.state_usable(code)
        assert states.state_kind(code) == "unknown", code
        assert states.state_name(code) == ("none" if code == 0 else "unknown_0x%02x" % code)
        recs = [(50000, 150, code, 4), (50300, 150, 6, 4)]
        bf = _feed(backfill.Backfill(50000, 50300), *_make_stream(recs), reply_first=False)
        assert [r[2] for r in bf.readings()] == [None, 150]


def test_state_table_matches_xdrip_calibration_state():
    # xDrip g5model/CalibrationState.java (0x00..0x1E; 0xC1..0xC3 are its own
    # pseudo-states, never sent): usable = Ok, NeedsCalibration only (the
    # 2024 change that made 0x19 usable was reverted in 2026).
    assert len(states.STATE_NAMES) == 0x1F
    assert [c for c in range(256) if protocol.state_usable(c)] == [6, 7]
    for code in (0x0B, 0x0C, 0x10, 0x11, 0x13, 0x14, 0x15, 0x16, 0x17, 0x19, 0x1B, 0x1C, 0x1D, 0x1E):
        assert states.state_kind(code) == "failed", code
    for code in (0x0F, 0x18):
        assert states.state_kind(code) == "expired", code
    assert states.state_kind(0x01) == states.state_kind(0x1A) == "stopped"
    assert states.state_kind(0x02) == "warmup"
    assert states.state_kind(0x03) == states.state_kind(0x12) == "noise"


def test_backfill_span_one_period_beyond_the_request_is_kept():
    # No peer checks the 0x51 span against the request (CGMBLEKit
    # Transmitter.swift checks length, CRC and first/last record times; xDrip
    # and xdrip-js less). A transmitter that rounds the request out to the
    # nearest record must not cost the whole stream.
    recs = _records(10)
    s, e = recs[0][0], recs[-1][0]
    frames, reply = _make_stream(recs)
    for start, end in ((s + 300, e), (s, e - 300), (s + 150, e - 299)):
        bf = _feed(backfill.Backfill(start, end), frames, reply, True)
        assert [r[0] for r in bf.readings()] == [t for t, _, _, _ in recs], (start, end)
