# Glucose -> Reading, and dex time -> wall time.
#
# glucose_reading() is the hot path (one call per 5-minute reading, and per
# record in the benchmark): it checks a GlucoseRx 0x31 / EGlucoseRx 0x4F reply
# and returns the Reading tuple directly, reading the fields by byte index
# (no slices, no struct tuple, no dict) so the only heap it takes is the
# Reading itself: 64 bytes per parse on the 64-bit unix port, against 192
# for struct.unpack_from on a memoryview (tools/bench_codec.py measures both).
#
# Rules (research section 4.3, 4.4):
# - glucose is usable only in states 6 (ok) and 7 (needs calibration); 0x0E
#   is not (see dexcom.protocol.state_usable for why);
# - values <= 13 are special codes, not readings;
# - the high 4 bits of the glucose field are the "display only" flag; it does
#   not change usability (the value is what the receiver shows);
# - trend is a signed byte in 0.1 mg/dL/min, which is the Reading's unit
#   (mg/dL/min x10), stored as is; 127 and -128 mean unknown -> None
#   (protocol.trend_or_none says why -128 too).
# - a reply may be longer than 16 bytes (CRC at the end, fields at fixed
#   offsets), as CGMBLEKit / xdrip-js / xDrip accept (docs/CODEC_AUDIT.md).
# - dex time is seconds since the transmitter's activation; a
#   TransmitterTimeRx received at local Unix time T gives activation = T -
#   current_time_dex_s, and a reading's Unix time = activation + its dex time.
import reading
from dexcom import crc
from dexcom.errors import DexcomError
from dexcom.protocol import NO_SESSION
from dexcom.wire import u32

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_TREND_UNKNOWN = const(127)
_TREND_INVALID = const(128)   # the byte 0x80 = -128
_MAX_CODE = const(13)


def glucose_reading(buf, activation_unix=None, source=reading.LIVE):
    """The hot path: check a GlucoseRx 0x31 / EGlucoseRx 0x4F reply and return
    a Reading tuple (dex_s, unix_s, sgv, trend, state, source).
    sgv is None (and trend None) unless the state is 6 or 7 and the value is
    above 13 (lower values are codes). unix_s is None when activation_unix is
    None. Raises DexcomError for anything malformed (so: never a reading from
    a corrupt message)."""
    n = len(buf)
    op = buf[0] if n else -1
    if op == 0x31 or op == 0x4F:
        if n < 16:
            raise DexcomError("GlucoseRx: %d bytes, expected 16 or more" % n)
    elif n == 0:
        raise DexcomError("GlucoseRx: empty message")
    else:
        raise DexcomError("GlucoseRx: wrong opcode 0x%02x, expected 0x31 or 0x4f" % op)
    if not crc.trailer_ok(buf, n):
        raise DexcomError("GlucoseRx: bad CRC")
    dex_s = u32(buf, 6)
    g = buf[10] | ((buf[11] & 0x0F) << 8)
    state = buf[12]
    t = buf[13]
    if (state == 6 or state == 7) and g > _MAX_CODE:
        trend = None if (t == _TREND_UNKNOWN or t == _TREND_INVALID) else (t - 256 if t > 127 else t)
    else:
        g = None
        trend = None
    unix_s = None if activation_unix is None else activation_unix + dex_s
    return (dex_s, unix_s, g, trend, state, source)


def activation_unix(time_rx, unix_at_receipt):
    """Unix time of the transmitter's activation (dex time 0), from a
    TransmitterTimeRx (the parse_time() dict, or its current_time_dex_s)
    received at local Unix time `unix_at_receipt`."""
    now_dex = time_rx["current_time_dex_s"] if isinstance(time_rx, dict) else time_rx
    return unix_at_receipt - now_dex


def dex_to_unix(dex_s, activation):
    """Unix seconds of a dex timestamp, given activation_unix()."""
    return activation + dex_s


def reading_from_glucose(fields, activation=None, source=reading.LIVE):
    """A Reading from a parse_glucose() dict (same rules as glucose_reading)."""
    ok = fields["usable"]
    dex_s = fields["timestamp_dex_s"]
    return reading.make(dex_s, None if activation is None else activation + dex_s,
                        fields["glucose_mgdl"] if ok else None,
                        fields["trend"] if ok else None, fields["state"], source)


def session_start_unix(time_rx, unix_at_receipt):
    """Unix time the sensor session started, or None when there is none."""
    start = time_rx["session_start_time_dex_s"]
    if start == NO_SESSION:
        return None
    return activation_unix(time_rx, unix_at_receipt) + start


# two estimates of a session's start (or end) this close are the same session: each time
# message moves the estimate by a second or so (the "sensor ends soon" notice, told once
# per end; the Sensor Start posted to Nightscout once per start); an hour or more is
# another session, or the box's clock put right
SAME_SESSION_S = 3600
SESSION_DAYS = 10     # G6, its Firefly transmitters and Dexcom ONE (xDrip+, CGMBLEKit)
SESSION_DAYS_G5 = 7   # a G5 (its ID starts with 4)


def session_left_s(time_rx, tx_id):
    """Seconds left in the sensor session by the time message (0x25), or None when
    no session runs. The transmitter gives only the session's start: the length is
    its generation's, as xDrip+ and CGMBLEKit take it. A session restarted (xDrip+'s
    restarts) counts from its new start; a modified transmitter's longer sessions are
    not known (the end then comes later than said)."""
    start, now = time_rx["session_start_time_dex_s"], time_rx["current_time_dex_s"]
    if not time_rx.get("session_active") or start == NO_SESSION or start > now:
        return None
    days = SESSION_DAYS_G5 if str(tx_id or "")[:1] == "4" else SESSION_DAYS
    return start + days * 86400 - now
