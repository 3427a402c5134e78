# Parsers for the replies a reader asks for rarely: versions (0x21, 0x4B,
# 0x53), calibration data (0x33), calibrate result (0x35) and session
# start / stop (0x27, 0x29; a reader never starts sessions, but decodes the
# replies). Same conventions as dexcom.replies.
from dexcom.errors import DexcomError
from dexcom.wire import check, head, u16, u32


def dotted(b, i, n):
    return ".".join(str(b[j]) for j in range(i, i + n))


def parse_calibration_data(buf):
    """CalibrationDataRx 0x33: 19 bytes (G5) or 20 (G6): glucose of the last
    calibration (bytes 11-12, low 12 bits) and its dex time (13-16)."""
    check(buf, 0x33, "CalibrationDataRx", 19, 20)
    d = head(0x33, True, buf[1])
    d["glucose_mgdl"] = u16(buf, 11) & 0x0FFF
    d["timestamp_dex_s"] = u32(buf, 13)
    return d


def parse_calibrate(buf):
    """CalibrateGlucoseRx 0x35 (5): info byte, result (0 ok, 6 second
    calibration needed and 0x0D duplicate count as accepted)."""
    check(buf, 0x35, "CalibrateGlucoseRx", 5, 5)
    d = head(0x35, True)
    d["info"] = buf[1]
    d["result"] = buf[2]
    d["accepted"] = buf[2] in (0x00, 0x06, 0x0D)
    return d


def parse_version0(buf):
    """VersionRx0 0x21 (18): firmware, BT firmware, hardware rev, other
    firmware, asic (u16 at 14). Longer accepted (xDrip reads >= 18)."""
    check(buf, 0x21, "VersionRx0", 18, None)
    d = head(0x21, True, buf[1])
    d["firmware_version"] = dotted(buf, 2, 4)
    d["bt_firmware_version"] = dotted(buf, 6, 4)
    d["hardware_rev"] = buf[10]
    d["other_firmware_version"] = dotted(buf, 11, 3)
    d["asic"] = u16(buf, 14)
    return d


def parse_version1(buf):
    """VersionRx1 0x4B (19): firmware, build, inactive days, version code,
    max runtime days (u16 at 13) and max inactive days (u16 at 15), the
    xDrip reading of these offsets (gives the plausible 365). Longer
    accepted (xDrip reads any length >= 18; 19 is where these fields end)."""
    check(buf, 0x4B, "VersionRx1", 19, None)
    d = head(0x4B, True, buf[1])
    d["firmware_version"] = dotted(buf, 2, 4)
    d["build_version"] = u32(buf, 6)
    d["inactive_days"] = u16(buf, 10)
    d["version_code"] = buf[12]
    d["max_runtime_days"] = u16(buf, 13)
    d["max_inactive_days"] = u16(buf, 15)
    return d


def parse_version2(buf):
    """VersionRx2 0x53: typical sensor days (byte 2), feature bits (u16 at 3).
    Seen at 19 bytes, and 9 on rev-2 firmware answering "52 02" (xDrip
    VersionRequest2RxMessage: warm-up u16 at 5); any length from 7 up is
    accepted (xDrip sets no upper bound)."""
    check(buf, 0x53, "VersionRx2", 7, None)
    d = head(0x53, True, buf[1])
    d["typical_sensor_days"] = buf[2]
    d["feature_bits"] = u16(buf, 3)
    return d


def _parse_session(buf, op, name, stop):
    check(buf, op, name, 17, 17)
    d = head(op, True, buf[1])
    d["received"] = buf[2]
    if stop:
        d["session_stop_time"] = u32(buf, 3)
    else:
        d["requested_start_time"] = u32(buf, 3)
    d["session_start_time"] = u32(buf, 7)
    d["transmitter_time"] = u32(buf, 11)
    return d


def parse_session_start(buf):
    """SessionStartRx 0x27 (17); a reader never starts sessions, but decodes."""
    return _parse_session(buf, 0x27, "SessionStartRx", False)


def parse_session_stop(buf):
    """SessionStopRx 0x29 (17)."""
    return _parse_session(buf, 0x29, "SessionStopRx", True)
