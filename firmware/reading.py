# A reading: the one record that flows from the link to everything downstream.
# A plain tuple (cheap on the heap, immutable):
#   (dex_s, unix_s, sgv, trend, state, source)
# dex_s  transmitter time, s since its activation
# unix_s wall time of the reading, Unix seconds (None when unknown)
# sgv    mg/dL, or None when the transmitter gave no usable value
# trend  mg/dL/min x10, or None when unknown (127 on the wire)
# state  the transmitter's calibration-state code
# source "live" or "backfill"
DEX_S = 0
UNIX_S = 1
SGV = 2
TREND = 3
STATE = 4
SOURCE = 5
LIVE = "live"
BACKFILL = "backfill"
# A reading every PERIOD_S; a session after a gap (a power-on: nothing seen) backfills those
# up to BACKFILL_MAX_S behind its live reading (link.core's backfill_max_s), which it gives
# first: BACKFILL_MAX_S // PERIOD_S + 1 readings at most (36 and the live one). What keeps
# them for a while downstream (forward.nightscout's hold without a clock) holds that many.
PERIOD_S = 300
BACKFILL_MAX_S = 3 * 3600


def make(dex_s, unix_s, sgv, trend, state, source=LIVE):
    return (dex_s, unix_s, sgv, trend, state, source)


def as_event(r):
    return {"event": "reading", "dex_s": r[DEX_S], "unix_s": r[UNIX_S], "sgv": r[SGV],
            "trend": r[TREND], "state": r[STATE], "source": r[SOURCE]}
