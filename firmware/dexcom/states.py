# Names of the calibration / algorithm state codes (byte 12 of GlucoseRx,
# byte 6 of a backfill record). Index = code; names consolidated from
# CGMBLEKit, xDrip, xdripswift and G7SensorKit (research section 4.4).
# Separate from dexcom.protocol so the hot path does not carry the strings.
# Which states give a usable glucose: dexcom.protocol.state_usable (6, 7).
STATE_NAMES = (
    "none",                          # 0x00
    "stopped",                       # 0x01
    "warmup",                        # 0x02
    "excess_noise",                  # 0x03
    "needs_first_calibration",       # 0x04
    "needs_second_calibration",      # 0x05
    "ok",                            # 0x06
    "needs_calibration",             # 0x07
    "calibration_error_1",           # 0x08
    "calibration_error_2",           # 0x09
    "linearity_fit_failure",         # 0x0A
    "sensor_failed_counts",          # 0x0B
    "sensor_failed_residual",        # 0x0C
    "out_of_calibration_outlier",    # 0x0D
    "outlier_calibration_request",   # 0x0E
    "session_expired",               # 0x0F
    "session_failed_unrecoverable",  # 0x10
    "session_failed_transmitter",    # 0x11
    "temporary_sensor_issue",        # 0x12
    "sensor_failed_decline",         # 0x13
    "sensor_failed_high_counts",     # 0x14
    "sensor_failed_low_counts",      # 0x15
    "sensor_failed_restart",         # 0x16
    "sensor_failed_start_2",         # 0x17
    "sensor_expired",                # 0x18
    "sensor_failed",                 # 0x19
    "session_ended",                 # 0x1A
    "sensor_failed_1b",              # 0x1B
    "sensor_failed_1c",              # 0x1C
    "sensor_failed_1d",              # 0x1D
    "sensor_failed_1e",              # 0x1E
)

# What a person must be told, by code: "ok" (glucose flows), "warmup",
# "calibration" (needs a BG; 7 still gives glucose), "noise" (temporary, no
# glucose), "stopped", "expired", "failed" (replace the sensor).
_KINDS = ("unknown", "stopped", "warmup", "noise", "calibration", "calibration",
          "ok", "calibration", "calibration", "calibration", "calibration",
          "failed", "failed", "calibration", "calibration", "expired", "failed",
          "failed", "noise", "failed", "failed", "failed", "failed", "failed",
          "expired", "failed", "stopped", "failed", "failed", "failed", "failed")


def state_name(code):
    if 0 <= code < len(STATE_NAMES):
        return STATE_NAMES[code]
    return "unknown_0x%02x" % code


def state_kind(code):
    if 0 <= code < len(_KINDS):
        return _KINDS[code]
    return "unknown"
