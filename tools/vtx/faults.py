# Fault modes the virtual transmitter can play.
#
# A spec is a comma-separated list of NAME or NAME:RATE (RATE in 0..1, the
# probability per window; default 1 = every window), e.g. "miss:0.05,cut:0.02".
# Per-window faults are rolled at each wake-up; modes (rogue, firefly, the
# status and sensor-state ones, phone_slot) hold while set.
#
#   miss            skip the window: no advertising at all
#   cut             drop the connection at a random step of the exchange
#   crc             one control reply (random) carries a wrong CRC
#   garbage         one control reply (random) is replaced by random bytes
#   truncate        one reply (control or a backfill frame) is cut short
#   slow            every reply is delayed by SLOW_MS
#   rogue           the transmitter does not know the key (an impostor)
#   auth_refused    the transmitter's own hash is right, but its AuthStatus
#                   (0x05) says "not authenticated": it refuses our answer to
#                   its challenge (link/core.py reports auth_failed)
#   battery_low     status byte 0x81 (low battery) in every reply
#   tx_expired      status byte 0x83 (transmitter expired)
#   warmup          sensor state 0x02 (warm-up)
#   sensor_failed   sensor state 0x0B (sensor failed)
#   sensor_expired  sensor state 0x18 (sensor expired)
#   sensor_stopped  sensor state 0x01, no session (glucose 1, trend 127)
#   needs_calibration  sensor state 0x04 (waits for its first calibration)
#   state_unknown   sensor state 0x2A (a code no table knows)
#   sensor_error    sensor state 0x12 (temporary sensor issue: Dexcom's "sensor
#                   error, wait", up to 3 h; no glucose, then it recovers by itself)
#   excess_noise    sensor state 0x03 (excess noise: no glucose, temporary)
#   battery_odd     the battery reply has a length no peer documents (11 bytes)
#   eglucose_reply  GlucoseTx 0x30 is answered with EGlucoseRx 0x4F (18 bytes),
#                   as CGMBLEKit allows for
#   firefly         G6 rev 2: authentication only through indications,
#                   8-byte SensorRx, 10-byte battery reply
#   g5              a G5: authentication answered only through the readable
#                   value (write, then read, as CGMBLEKit and xdrip-js talk to
#                   it), no indication; control and backfill as a G6
#                   (docs/LINK_AUDIT.md has the sources)
#   backfill_empty  every backfill request is answered "nothing" (0x51 status 2,
#                   every field zero, as the virtual transmitter answers for a span it
#                   holds no record of; xdrip-js's captures show one from a real one)
#   frame_copy      each backfill stream of two frames or more sends its first
#                   frame twice in a row (no capture shows a real one doing it;
#                   CGMBLEKit and xDrip+ skip such a copy, and so does
#                   dexcom/backfill.py)
#   auth_notify     the authentication characteristic offers notify instead
#                   of indicate and answers by notification (what xDrip's G5
#                   subscription asks for; no real discovery dump shows it).
#                   Builds the GATT table: give it at start, not later
#   phone_slot      a phone app holds the same slot: it connects first in
#                   each window and bonds, so our bond (and its keys) is gone
#                   every time
#   bonded_unencrypted  AuthStatus says "bonded" from the bond record alone,
#                   on a link not yet encrypted (what this transmitter did
#                   before review 25; no source shows a real one doing it: by
#                   default it says "bonded" only on a link encrypted with the
#                   bond, see transmitter.py)
#   forget_keys     at each wake-up while set its stack loses the bond keys
#                   (its key store reset) while its bond table still names us:
#                   with bonded_unencrypted it then says "bonded" and refuses
#                   our stored keys (the case link/core.py reports as bond_lost
#                   "stored bond keys refused"); by default it says "not
#                   bonded", as on any link not yet encrypted. No source shows
#                   a real one doing this: it is the case the link provides for.
#                   A mode, not a per-window fault: tools/chaos.py draws a rate
#                   for each of PER_WINDOW, and a new name would change its worlds
from xorshift import Rng  # noqa: F401  (tools/host; the transmitter uses F.Rng)

PER_WINDOW = ("miss", "cut", "crc", "garbage", "truncate", "slow")
MODES = ("rogue", "auth_refused", "battery_low", "tx_expired", "warmup", "sensor_failed", "sensor_expired",
         "sensor_stopped", "needs_calibration", "state_unknown", "sensor_error", "excess_noise",
         "battery_odd", "eglucose_reply", "firefly", "phone_slot",
         "g5", "auth_notify", "bonded_unencrypted", "forget_keys", "frame_copy", "backfill_empty")
NAMES = PER_WINDOW + MODES
SLOW_MS = 1200


class FaultError(ValueError):
    pass


def parse(spec):
    """'miss:0.05,cut' -> {'miss': 0.05, 'cut': 1.0}. Raises FaultError."""
    out = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, rate = part.partition(":")
        if name not in NAMES:
            raise FaultError("unknown fault %r; known: %s" % (name, " ".join(NAMES)))
        try:
            r = float(rate) if rate else 1.0
        except ValueError:
            raise FaultError("bad rate in %r" % part)
        if not 0 <= r <= 1:
            raise FaultError("rate must be within 0..1 in %r" % part)
        out[name] = r
    return out

