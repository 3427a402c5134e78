# Parsers for the replies a reader needs on every connection: the
# authentication exchange, TransmitterTimeRx, GlucoseRx / EGlucoseRx (as a
# dict; the Reading hot path is dexcom.glucose), BatteryStatusRx, SensorRx,
# GlucoseBackfillRx and the unknown 0xD0. Rarer replies (versions,
# calibration, sessions) are in dexcom.info.
#
# Each parser takes bytes / bytearray / memoryview and returns a dict whose
# field names match the `expected` objects of ../shared/vectors/dexcom.json,
# plus "opcode" and "crc_valid" (True: trailer checked; None: an
# authentication-characteristic message, which has no CRC). Anything wrong
# (empty, too short, too long, wrong opcode, bad CRC) raises DexcomError.
# Where a peer accepts a reply longer than the captures show (fields at fixed
# offsets, CRC over all but the last two bytes), so do we: see
# docs/CODEC_AUDIT.md for which peer, message by message.
from struct import unpack_from

from dexcom.errors import DexcomError
from dexcom.protocol import NO_SESSION, state_usable, trend_or_none
from dexcom.wire import check, head, u16, u32


# --- Authentication characteristic (no CRC) ----------------------------------
def parse_auth_challenge(buf):
    """AuthChallengeRx 0x03 (17; longer accepted, extra bytes ignored, as
    CGMBLEKit and xDrip do): tokenHash = H(our token), then the challenge."""
    check(buf, 0x03, "AuthChallengeRx", 17, None, False)
    d = head(0x03, None)
    d["token_hash"] = bytes(buf[1:9])
    d["challenge"] = bytes(buf[9:17])
    return d


def parse_auth_status(buf):
    """AuthStatusRx 0x05 (3): authenticated (1 = yes) and bond code (1 =
    bonded, 2 = not bonded: bond now, 3 = refresh (G7)). 3 bytes; longer
    accepted (extra bytes ignored), as CGMBLEKit and xDrip do."""
    check(buf, 0x05, "AuthStatusRx", 3, None, False)
    d = head(0x05, None)
    d["authenticated"] = buf[1]
    d["bonded"] = buf[2]
    d["is_authenticated"] = buf[1] == 1
    d["needs_bond"] = buf[2] != 1
    return d


def parse_keep_alive_reply(buf):
    """The 3-byte 0xFF reply (observed "FF 06 01" after a KeepAlive; other
    clients read 0xFF as "invalid request": opcode it refers to, a code)."""
    check(buf, 0xFF, "KeepAliveRx", 3, 3, False)
    d = head(0xFF, None)
    d["request_opcode"] = buf[1]
    d["value"] = buf[2]
    return d


def parse_bond_request_rx(buf):
    """BondRequestRx 0x08 (2): result byte (1 = succeeded)."""
    check(buf, 0x08, "BondRequestRx", 2, 2, False)
    d = head(0x08, None)
    d["result"] = buf[1]
    return d


# --- Control characteristic (CRC-16/XMODEM trailer) ---------------------------
def parse_time(buf):
    """TransmitterTimeRx 0x25 (16; longer accepted as xDrip does, CRC at the
    end): current dex time and session start (0xFFFFFFFF = no session). See
    activation_unix(). The link asks for it before glucose, so refusing a
    longer one would cost every reading."""
    check(buf, 0x25, "TransmitterTimeRx", 16, None)
    now = u32(buf, 2)
    start = u32(buf, 6)
    d = head(0x25, True, buf[1])
    d["current_time_dex_s"] = now
    d["session_start_time_dex_s"] = start
    d["session_active"] = start != NO_SESSION and start != now
    return d


def parse_glucose(buf):
    """GlucoseRx 0x31 or EGlucoseRx 0x4F: 16 bytes or more (CGMBLEKit,
    xdrip-js and the ESP32 reader accept >= 16, xDrip >= 14; the CRC is the
    last two bytes); 0x4F of 18 or more has a predicted value at 14.
    `glucose_mgdl` is the low 12 bits as sent (<= 13 is a code); `usable`
    says whether it may be used as a reading (states 6, 7 only, see
    protocol.state_usable); `trend` is the signed byte (0.1 mg/dL/min), None
    when 127 or -128 (unknown, see protocol.trend_or_none)."""
    n = len(buf)
    if n and buf[0] == 0x4F:
        n = check(buf, 0x4F, "EGlucoseRx", 16, None)
    else:
        n = check(buf, 0x31, "GlucoseRx", 16, None)
    raw = u16(buf, 10)
    g = raw & 0x0FFF
    state = buf[12]
    d = head(buf[0], True, buf[1])
    d["sequence"] = u32(buf, 2)
    d["timestamp_dex_s"] = u32(buf, 6)
    d["glucose_mgdl"] = g
    d["glucose_is_display_only"] = (raw & 0xF000) != 0
    d["state"] = state
    d["trend"] = trend_or_none(buf[13])
    d["usable"] = state_usable(state) and g > 13
    if buf[0] == 0x4F and n >= 18:
        # xDrip masks it with 0x03FF ("needs mask???"); esphome reads a plain
        # u16. Plausible values (< 1024) are the same either way.
        d["predicted_glucose_mgdl"] = u16(buf, 14) & 0x03FF
    return d


def parse_sensor(buf):
    """SensorRx 0x2F: 16 bytes (G5, G6 1.6.x: unfiltered and filtered raw
    counts as u32, unscaled), 18 bytes (newer G6: the two raw values are
    float32, unscaled; xdrip-js sensor-rx-message.js multiplies them by 35)
    or 8 bytes (Firefly / ONE: timestamp only)."""
    n = check(buf, 0x2F, "SensorRx", 8, 18)
    if n != 8 and n != 16 and n != 18:
        raise DexcomError("SensorRx: %d bytes, expected 8, 16 or 18" % n)
    d = head(0x2F, True, buf[1])
    d["timestamp_dex_s"] = u32(buf, 2)
    if n == 16:
        d["unfiltered"] = u32(buf, 6)
        d["filtered"] = u32(buf, 10)
    elif n == 18:
        d["unfiltered"], d["filtered"] = unpack_from("<ff", buf, 6)
    return d


def parse_battery(buf):
    """BatteryStatusRx 0x23: 12 bytes (G5, G6 1.6.x; longer is read with the
    same layout, as xDrip does) or 10 bytes (Firefly: no resistance; byte 6
    is not the runtime per xDrip, reported as byte6). 11 bytes has no
    layout any peer knows. Voltages are raw (probably 0.01 V)."""
    n = check(buf, 0x23, "BatteryStatusRx", 10, None)
    if n == 11:
        raise DexcomError("BatteryStatusRx: 11 bytes, expected 10, or 12 or more")
    d = head(0x23, True, buf[1])
    d["voltage_a"] = u16(buf, 2)
    d["voltage_b"] = u16(buf, 4)
    if n >= 12:
        d["resistance"] = u16(buf, 6)
        d["runtime_days"] = buf[8]
        d["temperature_c"] = buf[9]
    else:
        d["byte6"] = buf[6]
        d["temperature_c"] = buf[7]
    return d


def parse_backfill_rx(buf):
    """GlucoseBackfillRx 0x51 (20): the frames' total length (headers
    included) and their CRC, for dexcom.backfill to validate against."""
    check(buf, 0x51, "GlucoseBackfillRx", 20, 20)
    d = head(0x51, True, buf[1])
    d["backfill_status"] = buf[2]
    d["identifier"] = buf[3]
    d["start_time"] = u32(buf, 4)
    d["end_time"] = u32(buf, 8)
    d["buffer_length"] = u32(buf, 12)
    d["buffer_crc"] = u16(buf, 16)
    return d


def parse_unknown_d0(buf):
    """The unknown 4-byte 0xD0 message some G6+ send before SensorRx
    (e.g. d0 00 27 15); one byte of unknown meaning. Skip it, wait for the
    next indication."""
    check(buf, 0xD0, "UnknownD0Rx", 4, 4)
    d = head(0xD0, True)
    d["value1"] = buf[1]
    return d
