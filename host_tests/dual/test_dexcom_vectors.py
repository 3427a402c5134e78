# Every relevant vector of ../shared/vectors/dexcom.json through the codec.
# Runs on CPython (pytest) and MicroPython (test_dual_on_micropython.py).
import json

from dexcom import auth, backfill, build, crc, glucose, messages
from dexcom.errors import DexcomError

# shared/ sits beside the repository: found from this file, whatever the working folder
_HERE = __file__.rpartition("/")[0] or "."
with open(_HERE + "/../../../shared/vectors/dexcom.json") as _f:
    VECTORS = json.load(_f)


def _of(prefix):
    out = [v for v in VECTORS if v["message_type"].startswith(prefix)]
    assert out, "no vectors for " + prefix
    return out


def _unhex(s):
    return bytes.fromhex(s)


def _same(got, expected, keys, where):
    for k in keys:
        assert got[k] == expected[k], "%s: %s = %r, expected %r" % (where, k, got[k], expected[k])


def _days_from_civil(y, m, d):
    # Howard Hinnant's algorithm: days since 1970-01-01.
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _iso(s):  # "2016-12-06T07:51:38Z" -> Unix seconds
    days = _days_from_civil(int(s[0:4]), int(s[5:7]), int(s[8:10]))
    return days * 86400 + int(s[11:13]) * 3600 + int(s[14:16]) * 60 + int(s[17:19])


def test_auth_hash_vectors():
    for v in _of("AuthHash"):
        e = v["expected"]
        assert auth.key_for(e["transmitter_id"]) == e["key_ascii"].encode()
        assert auth.hash8(e["transmitter_id"], _unhex(v["hex"])).hex() == e["hash_out"]
        assert auth.token_hash_ok(e["transmitter_id"], _unhex(v["hex"]), _unhex(e["hash_out"]))


def test_auth_status_vectors():
    for v in _of("AuthStatusRx"):
        d = messages.parse(_unhex(v["hex"]))
        _same(d, v["expected"], ("authenticated", "bonded"), v["hex"])
        assert d["opcode"] == 0x05 and d["crc_valid"] is None


def test_glucose_vectors():
    n = 0
    for v in _of("GlucoseRx (0x31)"):
        e = v["expected"]
        buf = _unhex(v["hex"])
        d = messages.parse(buf)
        assert d["opcode"] == 0x31 and d["crc_valid"] is True
        keys = [k for k in ("status", "sequence", "timestamp_dex_s", "glucose_is_display_only",
                            "glucose_mgdl", "state", "trend") if k in e]
        _same(d, e, keys, v["hex"])
        r = glucose.glucose_reading(buf)
        assert r[2] == e["glucose_mgdl"] and r[4] == d["state"]
        assert r[3] == d["trend"] and r[0] == d["timestamp_dex_s"] and r[1] is None
        assert glucose.reading_from_glucose(d) == r
        n += 1
    assert n >= 10


def test_glucose_absolute_dates():
    # readDate = activationDate + timestamp; sessionStartDate likewise.
    n = 0
    for v in _of("GlucoseRx (0x31) -> absolute dates"):
        e = v["expected"]
        activation = _iso(e["activation_date_given"])
        r = glucose.glucose_reading(_unhex(v["hex"]), activation)
        assert r[1] == _iso(e["read_date"]), v["hex"]
        if "session_start_date" in e:
            t = messages.parse(_unhex(e["time_message"]))
            # The TransmitterTimeRx received "now" = activation + current time.
            now = activation + t["current_time_dex_s"]
            assert glucose.activation_unix(t, now) == activation
            assert glucose.session_start_unix(t, now) == _iso(e["session_start_date"])
        n += 1
    assert n == 4


def test_glucose_relative_to_sync():
    for v in _of("GlucoseRx (0x31) -> readDate relative"):
        e = v["expected"]
        t = messages.parse(_unhex(e["time_message"]))
        sync = _iso(e["sync_date"])
        act = glucose.activation_unix(t, sync)
        r = glucose.glucose_reading(_unhex(v["hex"]), act)
        assert r[1] == sync - (7471687 - 5730698)
        assert glucose.dex_to_unix(r[0], act) == r[1]
        assert (r[2], r[3], r[4]) == (e["glucose_mgdl"], e["trend"], e["state"])


def test_time_vectors():
    for v in _of("TransmitterTimeRx"):
        d = messages.parse(_unhex(v["hex"]))
        _same(d, v["expected"], ("status", "current_time_dex_s", "session_start_time_dex_s",
                                 "session_active", "crc_valid"), v["hex"])


def test_session_vectors():
    for prefix in ("SessionStartRx", "SessionStopRx"):
        for v in _of(prefix):
            d = messages.parse(_unhex(v["hex"]))
            _same(d, v["expected"], [k for k in v["expected"]], v["hex"])


def test_calibration_data_vectors():
    vs = _of("CalibrationDataRx")
    for v in vs:
        e = v["expected"]
        d = messages.parse(_unhex(v["hex"]))
        assert d["crc_valid"] is True
        g = e.get("glucose_mgdl", e.get("decoded_glucose_mgdl(bytes11-12 & 0xfff)"))
        t = e.get("timestamp_dex_s", e.get("decoded_timestamp_dex_s(bytes13-16)"))
        assert (d["glucose_mgdl"], d["timestamp_dex_s"]) == (g, t), v["hex"]


def test_sensor_vectors():
    vs = _of("SensorRx")
    assert len(vs) == 2
    for v in vs:
        d = messages.parse(_unhex(v["hex"]))
        _same(d, v["expected"], [k for k in v["expected"]], v["hex"])
    assert "unfiltered" not in messages.parse(_unhex(vs[1]["hex"]))


def test_battery_vectors():
    vs = _of("BatteryStatusRx")
    assert len(vs) == 3
    for v in vs:
        d = messages.parse(_unhex(v["hex"]))
        _same(d, v["expected"], [k for k in v["expected"]], v["hex"])


def test_version_vectors():
    for v in _of("TransmitterVersionRx (0x4B)"):
        d = messages.parse(_unhex(v["hex"]))
        assert d["firmware_version"] == ".".join(str(x) for x in v["expected"]["firmware_version"])
    v = _of("VersionRequestRx0")[0]
    d = messages.parse(_unhex(v["hex"]))
    _same(d, v["expected"], ("status", "firmware_version", "bt_firmware_version", "hardware_rev",
                             "other_firmware_version"), v["hex"])
    # The vector's asic 9281 (0x2441) is xdrip-js reading bytes 15-16, which
    # runs into the CRC at 16-17; the field before the CRC is bytes 14-15,
    # 0x4141 as the xdrip-js source comment says. We follow the layout.
    assert d["asic"] == 0x4141
    v = _of("VersionRequestRx1")[0]
    e = v["expected"]
    d = messages.parse(_unhex(v["hex"]))
    _same(d, e, ("status", "firmware_version", "build_version", "inactive_days", "version_code",
                 "max_runtime_days"), v["hex"])
    assert d["max_inactive_days"] == e["max_inactive_days_xDrip_parser(u16@15)"]
    v = _of("VersionRequestRx2")[0]
    d = messages.parse(_unhex(v["hex"]))
    _same(d, v["expected"], ("status", "typical_sensor_days", "feature_bits"), v["hex"])


def test_unknown_d0_vector():
    v = _of("0xD0 unknown")[0]
    d = messages.parse(_unhex(v["hex"]))
    assert d["opcode"] == 0xD0 and d["value1"] == v["expected"]["value1"] and d["crc_valid"]


def test_fixed_command_vectors():
    builders = {0x24: build.transmitter_time, 0x30: build.glucose, 0x4E: build.eglucose,
                0x2E: build.sensor, 0x32: build.calibration_data, 0x22: build.battery}
    n = 0
    for v in VECTORS:
        if "command (opcode + CRC" in v["message_type"]:
            op = v["expected"]["opcode"]
            assert builders[op]() == _unhex(v["hex"]), v["message_type"]
            assert crc.trailer_ok(_unhex(v["hex"]), 3)
            n += 1
    assert n == 6


def test_backfill_request_vectors():
    for v in _of("GlucoseBackfillTx"):
        e = v["expected"]
        assert e["byte1"] == 5 and e["byte2"] == 2
        assert build.backfill(e["start_time"], e["end_time"], e["identifier"]) == _unhex(v["hex"])


def _stream(v, order):
    e = v["expected"]
    bf = backfill.Backfill(e["start_time"], e["end_time"])
    frames = [_unhex(f) for f in v["frames"]]
    if order == "reply_first":
        bf.add_reply(_unhex(v["hex"]))
        assert not bf.complete()
    for f in frames:
        bf.add_frame(f)
    if order == "reply_last":
        assert not bf.complete()
        bf.add_reply(_unhex(v["hex"]))
    assert bf.complete()
    return bf


def test_backfill_vectors_both_orders():
    vs = [v for v in _of("GlucoseBackfillRx (0x51) + backfill-characteristic frames")]
    assert len(vs) == 4
    for v in vs:
        e = v["expected"]
        d = messages.parse(_unhex(v["hex"]))
        _same(d, e, ("status", "backfill_status", "identifier", "start_time", "end_time",
                     "buffer_length", "buffer_crc"), v["hex"])
        for order in ("reply_first", "reply_last"):
            recs = _stream(v, order).records()
            want = [(r["timestamp_dex_s"], r["glucose_mgdl"], r["display_only"], r["state"],
                     r["trend"]) for r in e["records"]]
            assert recs == want, (order, recs)
        rs = _stream(v, "reply_last").readings(1000)
        assert [r[2] for r in rs] == [r["glucose_mgdl"] for r in e["records"]]
        assert all(r[5] == "backfill" and r[1] == 1000 + r[0] for r in rs)


def test_backfill_not_glucose_rejected():
    vs = _of("GlucoseBackfillRx (0x51) + frames that are NOT glucose")
    assert len(vs) == 3
    for v in vs:
        e = v["expected"]
        # length and CRC match; only the record times give it away
        payload = backfill.payload_of([_unhex(f) for f in v["frames"]])
        assert len(backfill.parse_records(payload)) == e["parsed_record_count_if_treated_as_glucose"]
        for order in ("reply_first", "reply_last"):
            bf = _stream(v, order)
            assert bf.length == e["frames_total_length"] and bf.crc == e["frames_crc16"]
            try:
                bf.records()
                raise AssertionError("random payload accepted as glucose")
            except DexcomError as err:
                assert "not glucose" in str(err), str(err)


def test_backfill_truncated_frame_records():
    v = _of("backfill frames, truncated")[0]
    recs = backfill.parse_records(backfill.payload_of([_unhex(f) for f in v["frames"]]))
    assert len(recs) == v["expected"]["glucose_records_parsed"]
    for got, want in zip(recs, v["expected"]["records"]):
        assert got == (want["timestamp_dex_s"], want["glucose_mgdl"], want["display_only"],
                       want["state"], want["trend"])


def test_crc_vectors():
    v = _of("CRC-16/XMODEM reference")[0]
    buf = _unhex(v["hex"])
    assert crc.crc16(buf) == v["expected"]["crc16_value"]
    assert crc.append(buf)[-2:].hex() == v["expected"]["wire_bytes_little_endian"]
    # every prefix, computed incrementally, agrees with the one-shot CRC
    c = 0
    for i in range(len(buf)):
        c = crc.crc16(buf, i, i + 1, c)
        assert c == crc.crc16(buf, 0, i + 1)
    assert crc.append(b"\x01")[-2:] == b"\x21\x10"
    v = _of("CRC-16/XMODEM check value")[0]
    assert "%04x" % crc.crc16(_unhex(v["hex"])) == v["expected"]["crc16_value_hex"]
