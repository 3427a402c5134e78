# Decode Dexcom G5/G6/ONE messages with the firmware codec; prints ONE JSON
# object. Runs on MicroPython (the way `make decode` runs it) and on CPython.
#
#   dexdecode.py msg HEX
#       a reply (or a request a reader sends) -> {"opcode", "crc_valid",
#       "message", "direction", named fields...}; crc_valid is null for
#       authentication-characteristic messages (they carry no CRC).
#       Bad input -> {"error": "..."} and exit status 1.
#   dexdecode.py backfill HEX_0x51 FRAME_HEX...
#       -> {"valid": true|false, "records": [{"timestamp_dex_s", "glucose_mgdl",
#       "display_only", "state", "trend"}...]} (+ "reason" when not valid;
#       records only from a valid stream). The 0x51's own span stands in for
#       the request window.
#   dexdecode.py auth TRANSMITTER_ID HEX8  -> {"hash": "<16 hex>"}
#
# Trends are the signed wire byte (0.1 mg/dL/min), null when 127 or -128 (unknown).
import json
import sys

from dexcom import auth, crc, messages
from dexcom.backfill import Backfill
from dexcom.errors import DexcomError

USAGE = "usage: dexdecode.py msg HEX | backfill HEX_0x51 FRAME_HEX... | auth TRANSMITTER_ID HEX8"

_RX_NAMES = {
    0x03: "AuthChallengeRx", 0x05: "AuthStatusRx", 0x08: "BondRequestRx", 0xFF: "KeepAliveRx",
    0x21: "VersionRx0", 0x23: "BatteryStatusRx", 0x25: "TransmitterTimeRx",
    0x27: "SessionStartRx", 0x29: "SessionStopRx", 0x2F: "SensorRx", 0x31: "GlucoseRx",
    0x33: "CalibrationDataRx", 0x35: "CalibrateGlucoseRx", 0x4B: "VersionRx1",
    0x4F: "EGlucoseRx", 0x51: "GlucoseBackfillRx", 0x53: "VersionRx2", 0xD0: "UnknownD0Rx",
}
# Requests that are only opcode + CRC.
_FIXED_TX = {
    0x20: "VersionTx0", 0x22: "BatteryStatusTx", 0x24: "TransmitterTimeTx", 0x2E: "SensorTx",
    0x30: "GlucoseTx", 0x32: "CalibrationDataTx", 0x42: "ResetTx", 0x4A: "VersionTx1",
    0x4E: "EGlucoseTx", 0x52: "VersionTx2",
}


class UsageError(Exception):
    pass


def unhex(s):
    s = s.strip().replace(" ", "").replace(":", "")
    if s[:2] in ("0x", "0X"):
        s = s[2:]
    if len(s) % 2:
        raise UsageError("odd number of hex digits")
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise UsageError("not hex: " + s)


def _u32(b, i):
    return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)


def _crc_ok(buf, name):
    if not crc.trailer_ok(buf, len(buf)):
        raise DexcomError("%s: bad CRC" % name)


def decode_request(buf):
    """The messages a reader sends (for captures of both directions)."""
    op, n = buf[0], len(buf)
    if op in _FIXED_TX and n == 3:
        _crc_ok(buf, _FIXED_TX[op])
        return {"opcode": op, "crc_valid": True, "message": _FIXED_TX[op]}
    if op == 0x52 and n == 4:
        _crc_ok(buf, "VersionTx2")
        return {"opcode": op, "crc_valid": True, "message": "VersionTx2", "kind": buf[1]}
    if op == 0x50 and n == 20:
        _crc_ok(buf, "GlucoseBackfillTx")
        return {"opcode": op, "crc_valid": True, "message": "GlucoseBackfillTx", "byte1": buf[1],
                "byte2": buf[2], "identifier": buf[3], "start_time": _u32(buf, 4),
                "end_time": _u32(buf, 8), "length": _u32(buf, 12),
                "backfill_crc": buf[16] | (buf[17] << 8)}
    if op == 0x34 and n == 9:
        _crc_ok(buf, "CalibrateTx")
        return {"opcode": op, "crc_valid": True, "message": "CalibrateTx",
                "glucose_mgdl": buf[1] | (buf[2] << 8), "timestamp_dex_s": _u32(buf, 3)}
    if op == 0x01 and n == 10:
        return {"opcode": op, "crc_valid": None, "message": "AuthRequestTx",
                "token": buf[1:9].hex(), "slot": buf[9]}
    if op == 0x04 and n == 9:
        return {"opcode": op, "crc_valid": None, "message": "AuthChallengeTx",
                "challenge_hash": buf[1:9].hex()}
    if op == 0x06 and n == 2:
        return {"opcode": op, "crc_valid": None, "message": "KeepAliveTx", "seconds": buf[1]}
    if op == 0x07 and n == 1:
        return {"opcode": op, "crc_valid": None, "message": "BondRequestTx"}
    if op == 0x09 and n == 1:
        return {"opcode": op, "crc_valid": None, "message": "DisconnectTx"}
    return None


def _jsonable(d):
    out = {}
    for k in d:
        v = d[k]
        out[k] = v.hex() if isinstance(v, (bytes, bytearray)) else v
    return out


def decode_msg(buf):
    if not buf:
        raise DexcomError("empty message")
    if buf[0] in messages.PARSERS:
        d = _jsonable(messages.parse(buf))
        d["message"] = _RX_NAMES[buf[0]]
        d["direction"] = "rx"
        return d
    d = decode_request(buf)
    if d is None:
        # Let the codec word the error (unknown opcode) like the firmware would.
        messages.parse(buf)
        raise DexcomError("unexpected length %d for opcode 0x%02x" % (len(buf), buf[0]))
    d["direction"] = "tx"
    return d


def decode_backfill(reply_hex, frames_hex):
    reply = unhex(reply_hex)
    frames = [unhex(f) for f in frames_hex]
    try:
        r = messages.parse_backfill_rx(reply)
        bf = Backfill(r["start_time"], r["end_time"])
        bf.add_reply(reply)
        for f in frames:
            bf.add_frame(f)
        recs = bf.records()
    except DexcomError as e:
        return {"valid": False, "records": [], "reason": str(e)}
    return {"valid": True, "records": [
        {"timestamp_dex_s": t, "glucose_mgdl": g, "display_only": disp, "state": s,
         # 127 and -128 both say "no rate", as in Backfill.readings (protocol.trend_or_none)
         "trend": None if tr == 127 or tr == -128 else tr} for t, g, disp, s, tr in recs]}


def main(argv):
    if not argv:
        raise UsageError(USAGE)
    cmd, args = argv[0], argv[1:]
    if cmd == "msg":
        if len(args) != 1:
            raise UsageError("msg takes one HEX argument")
        return decode_msg(unhex(args[0]))
    if cmd == "backfill":
        if not args:
            raise UsageError("backfill takes HEX_0x51 and the frames")
        return decode_backfill(args[0], args[1:])
    if cmd == "auth":
        if len(args) != 2:
            raise UsageError("auth takes TRANSMITTER_ID HEX8")
        return {"hash": auth.hash8(args[0], unhex(args[1])).hex()}
    raise UsageError("unknown command %r; %s" % (cmd, USAGE))


def run(argv):
    """(exit status, JSON text)."""
    try:
        return 0, json.dumps(main(argv))
    except (DexcomError, UsageError) as e:
        return 1, json.dumps({"error": str(e)})


if __name__ == "__main__":
    status, text = run(sys.argv[1:])
    print(text)
    sys.exit(status)
