# Constants of the Dexcom G5 / G6 / ONE BLE protocol (see
# ../shared/research/dexcom-ble.md, sections 1-4). Pure data; the link imports
# these instead of spelling UUIDs and opcodes itself.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

# --- Advertising -------------------------------------------------------------
ADV_SERVICE_UUID16 = const(0xFEBC)   # 16-bit service UUID in the advertisement
MANUFACTURER_ID = const(0x00D0)      # Dexcom, Inc. (manufacturer data, little-endian)
NAME_PREFIX = "Dexcom"               # local name = "Dexcom" + last 2 chars of the ID

# --- GATT --------------------------------------------------------------------
CGM_SERVICE_UUID = "F8083532-849E-531C-C594-30F1F86A4EA5"
COMMUNICATION_UUID = "F8083533-849E-531C-C594-30F1F86A4EA5"   # read/notify, unused
CONTROL_UUID = "F8083534-849E-531C-C594-30F1F86A4EA5"         # write/indicate, CRC'd data
AUTHENTICATION_UUID = "F8083535-849E-531C-C594-30F1F86A4EA5"  # read/write/indicate, no CRC
BACKFILL_UUID = "F8083536-849E-531C-C594-30F1F86A4EA5"        # read/write/notify, frames
DEVICE_INFO_SERVICE_UUID16 = const(0x180A)

# --- Slot byte of AuthRequestTx (byte 9) -------------------------------------
SLOT_ALTERNATE = const(0x01)  # the receiver's slot: lets the phone app keep its own
SLOT_PHONE = const(0x02)      # the standard (phone/app) slot

# --- Opcodes: authentication characteristic (no CRC) -------------------------
# The opcodes are the protocol's table, for the reader: the codec spells each where it
# builds or parses its message. Private consts, so they cost the board no RAM.
_OP_AUTH_REQUEST_TX = const(0x01)
_OP_AUTH_CHALLENGE_RX = const(0x03)   # CGMBLEKit calls it AuthRequestRx
_OP_AUTH_CHALLENGE_TX = const(0x04)
_OP_AUTH_STATUS_RX = const(0x05)      # CGMBLEKit calls it AuthChallengeRx
_OP_KEEP_ALIVE_TX = const(0x06)
_OP_BOND_REQUEST_TX = const(0x07)
_OP_BOND_REQUEST_RX = const(0x08)
_OP_KEEP_ALIVE_RX = const(0xFF)       # "FF 06 01" after a KeepAlive (also "invalid" reply)

# --- Opcodes: control characteristic (CRC-16/XMODEM trailer except Disconnect)
_OP_DISCONNECT_TX = const(0x09)
_OP_VERSION0_TX = const(0x20)
_OP_VERSION0_RX = const(0x21)
_OP_BATTERY_TX = const(0x22)
_OP_BATTERY_RX = const(0x23)
_OP_TIME_TX = const(0x24)
_OP_TIME_RX = const(0x25)
_OP_SESSION_START_TX = const(0x26)
_OP_SESSION_START_RX = const(0x27)
_OP_SESSION_STOP_TX = const(0x28)
_OP_SESSION_STOP_RX = const(0x29)
_OP_SENSOR_TX = const(0x2E)
_OP_SENSOR_RX = const(0x2F)
_OP_GLUCOSE_TX = const(0x30)
_OP_GLUCOSE_RX = const(0x31)
_OP_CALIBRATION_DATA_TX = const(0x32)
_OP_CALIBRATION_DATA_RX = const(0x33)
_OP_CALIBRATE_TX = const(0x34)
_OP_CALIBRATE_RX = const(0x35)
_OP_VERSION1_TX = const(0x4A)
_OP_VERSION1_RX = const(0x4B)
_OP_EGLUCOSE_TX = const(0x4E)
_OP_EGLUCOSE_RX = const(0x4F)
_OP_BACKFILL_TX = const(0x50)
_OP_BACKFILL_RX = const(0x51)
_OP_VERSION2_TX = const(0x52)
_OP_VERSION2_RX = const(0x53)
_OP_UNKNOWN_D0_RX = const(0xD0)       # 4 bytes, some G6+ send it before SensorRx

# --- Status byte (byte 1 of most control replies) ----------------------------
STATUS_OK = const(0x00)
STATUS_LOW_BATTERY = const(0x81)
STATUS_EXPIRED = const(0x83)         # xDrip: anything above 0x81 is "bricked"


def status_name(code):
    if code == STATUS_OK:
        return "ok"
    if code == STATUS_LOW_BATTERY:
        return "low_battery"
    if code == STATUS_EXPIRED:
        return "expired"
    return "bricked" if code > STATUS_LOW_BATTERY else "unknown"


# --- AuthStatusRx byte 2 -----------------------------------------------------
BOND_BONDED = const(1)        # already bonded: encrypt with the stored keys
BOND_NEEDED = const(2)        # not bonded: KeepAlive, BondRequest, let SMP run
BOND_REFRESH = const(3)       # G7 only ("needs refresh")

# --- Calibration / algorithm state (byte 12 of GlucoseRx, byte 6 of a
# backfill record); names in dexcom.states.
STATE_STOPPED = const(0x01)
STATE_WARMUP = const(0x02)
STATE_OK = const(0x06)
STATE_NEEDS_CALIBRATION = const(0x07)
STATE_OUTLIER_CALIBRATION_REQUEST = const(0x0E)


def state_usable(code):
    """True when the transmitter's glucose value may be used: states 6 (ok)
    and 7 (needs calibration) only.

    0x0E ("outlier calibration request") is NOT usable, on purpose. The
    peers are split: CGMBLEKit (hasReliableGlucose) and xDrip (live and
    backfill, preference ob1_g5_use_insufficiently_calibrated, default on,
    the reading tagged "Insufficient") use it; xdrip-js and xdripswift do
    not. The transmitter is telling us its last calibration was an outlier,
    so its numbers may be off; an alarm box must not sound (or stay silent)
    on them, and the state raises the sensor "attention" condition instead.
    The same rule is applied to backfill records."""
    return code == 6 or code == 7


# --- Glucose value ------------------------------------------------------------
GLUCOSE_MASK = const(0x0FFF)       # low 12 bits: mg/dL; high 4 bits: flags
DISPLAY_ONLY_MASK = const(0xF000)  # any high bit: "display only"
GLUCOSE_MAX_CODE = const(13)       # values <= 13 are special codes, not readings
TREND_UNKNOWN = const(127)         # trend byte 0x7F: rate not available
TREND_INVALID = const(0x80)        # trend byte 0x80 (-128): CGMBLEKit treats it as no rate too
NO_SESSION = const(0xFFFFFFFF)     # TransmitterTimeRx sessionStartTime: no session


def trend_or_none(byte):
    """The trend byte as a signed rate in 0.1 mg/dL/min, or None when it
    says "no rate": 0x7F (all peers) or 0x80 = -128 (CGMBLEKit Glucose.swift
    trendRate refuses Int8.min as well; -12.8 mg/dL/min is not a physiological
    rate, and taken as one it would drive the falling-fast alarms)."""
    if byte == 0x7F or byte == 0x80:
        return None
    return byte - 256 if byte > 127 else byte
