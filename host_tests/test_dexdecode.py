"""tools/dexdecode.py on the MicroPython unix port: one JSON object per run."""
import json
import os

from conftest import SHARED, run_micropython

VECTORS = json.load(open(os.path.join(SHARED, "vectors", "dexcom.json")))


def decode(*args):
    r = run_micropython(["tools/dexdecode.py"] + list(args), check=False)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout + r.stderr
    return r.returncode, json.loads(lines[0])


# Vector fields that are not fields of the one message decoded (context given
# with the vector, other peers' readings, the backfill stream): every other
# expected field must be in the decoder's output, with the expected value.
NOT_MESSAGE_FIELDS = {
    "activation_date_given", "time_message", "read_date", "state_name", "transmitter_status",
    "session_start_date", "sync_date", "parses", "decoded_glucose_mgdl(bytes11-12 & 0xfff)",
    "decoded_timestamp_dex_s(bytes13-16)", "max_inactive_days_xdrip_js",
    "max_runtime_days_xDrip_parser(u16@13)", "max_inactive_days_xDrip_parser(u16@15)",
    "bytes_9_16_ascii", "frame_identifier_byte", "frames_total_length", "frames_crc16",
    "payload_header_4_bytes", "records", "parsed_record_count_if_treated_as_glucose",
    "first_record_timestamp_equals_start_time", "last_record_timestamp_equals_end_time"}


def _compare(out, expected, where):
    for k, v in expected.items():
        if k in NOT_MESSAGE_FIELDS:
            continue
        assert k in out, "%s: %s missing from %r" % (where, k, out)
        assert out[k] == v, "%s: %s = %r, expected %r" % (where, k, out[k], v)


def test_msg_every_vector_with_a_message():
    checked = 0
    for v in VECTORS:
        t = v["message_type"]
        if t.startswith(("AuthHash", "CRC-16", "G7", "backfill frames")):
            continue
        rc, out = decode("msg", v["hex"])
        assert rc == 0, (t, out)
        assert out["opcode"] == int(v["hex"][:2], 16)
        assert out["crc_valid"] is (None if t.startswith("AuthStatus") else True), (t, out)
        e = dict(v["expected"])
        if "firmware_version" in e and isinstance(e["firmware_version"], list):
            e["firmware_version"] = ".".join(str(x) for x in e["firmware_version"])
        e.pop("asic", None)  # the vector reads into the CRC; see test_dexcom_vectors
        _compare(out, e, t)
        checked += 1
    assert checked >= 45


def test_msg_named_fields():
    rc, out = decode("msg", "3100700a0000f17a5700584006e3cee9")
    assert rc == 0
    assert (out["glucose_mgdl"], out["glucose_is_display_only"], out["state"], out["trend"],
            out["timestamp_dex_s"], out["sequence"]) == (88, True, 6, -29, 5733105, 2672)
    rc, out = decode("msg", "23003c012f01cd021f247bae")
    assert (out["voltage_a"], out["voltage_b"], out["resistance"], out["runtime_days"],
            out["temperature_c"]) == (316, 303, 717, 31, 36)


def test_msg_bad_input_is_an_error():
    for bad in ("3100680a00008a715700cc0006ffc42b",  # bad CRC
                "3100680a00008a715700cc0006ffc4",    # short
                "3100680a00008a715700cc0006ffc42a00",  # long
                "99", "", "zz", "123"):
        rc, out = decode("msg", bad)
        assert rc == 1 and list(out) == ["error"] and out["error"], (bad, out)
    rc, out = decode("msg", "3100680a00008a715700cc0006ffc42b")
    assert "CRC" in out["error"]
    rc, out = decode("nonsense")
    assert rc == 1 and "error" in out


def test_backfill_command():
    streams = [v for v in VECTORS if v["message_type"].startswith("GlucoseBackfillRx (0x51) +")]
    assert len(streams) == 7  # 4 glucose streams, 3 that are not glucose
    for v in streams:
        rc, out = decode("backfill", v["hex"], *v["frames"])
        assert rc == 0
        if "records" in v["expected"]:
            assert out["valid"] is True and out["records"] == v["expected"]["records"]
        else:  # the not-glucose streams
            assert out["valid"] is False and out["records"] == []
    v = [v for v in VECTORS if v["message_type"].startswith("GlucoseBackfillRx (0x51) +")][0]
    rc, out = decode("backfill", v["hex"], *v["frames"][:-1])
    assert rc == 0 and out["valid"] is False and out["records"] == []
    rc, out = decode("backfill", v["hex"][:-2] + "00", *v["frames"])
    assert out["valid"] is False and "CRC" in out["reason"]


def test_auth_command():
    rc, out = decode("auth", "123456", "0123456789abcdef")
    assert rc == 0 and out == {"hash": "e60d4a7999b0fbb2"}
    rc, out = decode("auth", "12345", "0123456789abcdef")
    assert rc == 1 and "error" in out
    rc, out = decode("auth", "123456", "0123")
    assert rc == 1 and "8 bytes" in out["error"]


def _backfill_stream(trends, start=100000, glucose=120, state=6):
    """A 0x51 and its frames for one record per trend byte (5 min apart), built
    from the research's layout: frames [n, 0] + payload (4-byte header, then
    records <u32 time, u16 glucose, u8 state, i8 trend>), 18 payload bytes a
    frame, CRC-16/XMODEM over the frames in the 0x51 (binascii.crc_hqx)."""
    import binascii
    import struct
    payload = b"\xf9\x3e\x00\x00" + b"".join(
        struct.pack("<IHBb", start + 300 * i, glucose, state, t) for i, t in enumerate(trends))
    frames = [bytes((k // 18 + 1, 0)) + payload[k:k + 18] for k in range(0, len(payload), 18)]
    c = 0
    for f in frames:
        c = binascii.crc_hqx(f, c)
    body = struct.pack("<BBBBIIIH", 0x51, 0, 1, 0, start, start + 300 * (len(trends) - 1),
                       sum(len(f) for f in frames), c)
    reply = body + struct.pack("<H", binascii.crc_hqx(body, 0))
    return reply.hex(), [f.hex() for f in frames]


def test_backfill_trend_127_and_minus_128_are_unknown():
    # The firmware (Backfill.readings, protocol.trend_or_none) takes both 0x7F and
    # 0x80 as "no rate"; make decode printed -128 as a rate (-12.8 mg/dL/min).
    reply, frames = _backfill_stream([-5, 127, -128, 12])
    rc, out = decode("backfill", reply, *frames)
    assert rc == 0 and out["valid"] is True, out
    assert [r["trend"] for r in out["records"]] == [-5, None, None, 12]
