# Builders for every message a G5/G6/ONE reader sends (research section 3.1,
# 4). Authentication-characteristic messages carry no CRC; control messages
# end with CRC-16/XMODEM, low byte first (Disconnect 0x09 excepted).
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

from struct import pack

from dexcom import crc
from dexcom.errors import DexcomError
from dexcom.protocol import SLOT_ALTERNATE, SLOT_PHONE

# The fixed commands, each with its CRC written out (low byte first): literals stay in
# flash, where the same bytes built at import (crc.append) kept 0.35 KB of heap.
# host_tests/dual/test_dexcom_codec.py checks each against crc.append.
_TIME = const(b"\x24\xe6\x64")
_GLUCOSE = const(b"\x30\x53\x36")
_EGLUCOSE = const(b"\x4e\x0a\xa9")
_SENSOR = const(b"\x2e\xac\xc5")
_BATTERY = const(b"\x22\x20\x04")
_CALIBRATION_DATA = const(b"\x32\x11\x16")
_VERSIONS = const((b"\x20\x62\x24", b"\x4a\x8e\xe9", b"\x52\xb7\x7a", b"\x52\x02\x9f\x48"))


def auth_request(token, slot):
    """AuthRequestTx 0x01: 8-byte single-use token (auth.random_token()) and
    the slot byte (protocol.SLOT_ALTERNATE = receiver's, SLOT_PHONE = app's)."""
    if len(token) != 8:
        raise DexcomError("auth token must be 8 bytes, got %d" % len(token))
    if slot != SLOT_ALTERNATE and slot != SLOT_PHONE:
        raise DexcomError("slot byte must be 1 (alternate) or 2 (phone), got %r" % (slot,))
    return b"\x01" + bytes(token) + bytes((slot,))


def auth_challenge(challenge_hash):
    """AuthChallengeTx 0x04 with H(challenge) (auth.hash8)."""
    if len(challenge_hash) != 8:
        raise DexcomError("challenge hash must be 8 bytes, got %d" % len(challenge_hash))
    return b"\x04" + bytes(challenge_hash)


def keep_alive(seconds):
    """KeepAliveTx 0x06: ask the transmitter to stay connected `seconds` s."""
    if not 0 < seconds <= 255:
        raise DexcomError("keep-alive must be 1..255 s, got %r" % (seconds,))
    return bytes((0x06, seconds))


def bond_request():
    return b"\x07"


def disconnect():
    """DisconnectTx 0x09 (control characteristic, the one command with no CRC)."""
    return b"\x09"


def transmitter_time():
    return _TIME


def glucose():
    """GlucoseTx 0x30: works on every G5/G6/ONE, including Firefly."""
    return _GLUCOSE


def eglucose():
    """EGlucoseTx 0x4E (G6): reply 0x4F carries a predicted value too."""
    return _EGLUCOSE


def sensor():
    return _SENSOR


def battery():
    return _BATTERY


def calibration_data():
    return _CALIBRATION_DATA


def version(kind):
    """Version request: 0 -> 0x20, 1 -> 0x4A, 2 -> 0x52, 3 -> "52 02" (the
    rev-2 request whose 0x53 reply carries the warm-up length)."""
    if kind not in (0, 1, 2, 3):
        raise DexcomError("version request kind must be 0..3, got %r" % (kind,))
    return _VERSIONS[kind]


def calibrate(glucose_mgdl, dex_time_s):
    """CalibrateTx 0x34: a finger-stick BG at a dex time."""
    if not 40 <= glucose_mgdl <= 400:
        raise DexcomError("calibration glucose must be 40..400 mg/dL, got %r" % (glucose_mgdl,))
    return crc.append(pack("<BHI", 0x34, glucose_mgdl, _u32_arg(dex_time_s, "calibration time")))


def backfill(start_dex_s, end_dex_s, identifier=0):
    """GlucoseBackfillTx 0x50 (20 bytes) for records from start to end (dex s)."""
    start = _u32_arg(start_dex_s, "backfill start")
    end = _u32_arg(end_dex_s, "backfill end")
    if end < start:
        raise DexcomError("backfill end %d is before start %d" % (end, start))
    if not 0 <= identifier <= 255:
        raise DexcomError("backfill identifier must be a byte")
    return crc.append(pack("<BBBBIIIH", 0x50, 5, 2, identifier, start, end, 0, 0))


def _u32_arg(v, what):
    if not isinstance(v, int) or not 0 <= v <= 0xFFFFFFFF:
        raise DexcomError("%s must be an unsigned 32-bit int, got %r" % (what, v))
    return v
