# Everything of the codec's message layer in one namespace, for tools and
# tests (dexdecode, fuzzing). The firmware imports the submodules it needs
# (dexcom.build, dexcom.replies, dexcom.glucose; dexcom.info rarely) so a
# connection does not load what it never uses.
from dexcom.build import *  # noqa: F401,F403
from dexcom.replies import *  # noqa: F401,F403
from dexcom.info import *  # noqa: F401,F403
from dexcom.glucose import *  # noqa: F401,F403
from dexcom import replies as _r, info as _i
from dexcom.errors import DexcomError

PARSERS = {
    0x03: _r.parse_auth_challenge, 0x05: _r.parse_auth_status,
    0x08: _r.parse_bond_request_rx, 0xFF: _r.parse_keep_alive_reply,
    0x21: _i.parse_version0, 0x23: _r.parse_battery, 0x25: _r.parse_time,
    0x27: _i.parse_session_start, 0x29: _i.parse_session_stop,
    0x2F: _r.parse_sensor, 0x31: _r.parse_glucose, 0x33: _i.parse_calibration_data,
    0x35: _i.parse_calibrate, 0x4B: _i.parse_version1, 0x4F: _r.parse_glucose,
    0x51: _r.parse_backfill_rx, 0x53: _i.parse_version2, 0xD0: _r.parse_unknown_d0,
}


def parse(buf):
    """Parse any reply by its opcode (a dict; see dexcom.replies)."""
    if len(buf) == 0:
        raise DexcomError("empty message")
    p = PARSERS.get(buf[0])
    if p is None:
        raise DexcomError("unknown opcode 0x%02x (%d bytes)" % (buf[0], len(buf)))
    return p(buf)
