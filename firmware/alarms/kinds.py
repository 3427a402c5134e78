# Alarm types, priorities, statuses and the fields of an alarm record: the
# shared vocabulary of engine.py, glucose.py and persist.py.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

PRIORITIES = ("low", "medium", "high")
SOUNDING, SNOOZED, ACKNOWLEDGED = 0, 1, 2
STATUS = ("sounding", "snoozed", "acknowledged")
# shown(), not a record's status: a follower box plays it silently while its leader box
# sounds it or its family answered it there (alarms.gate)
LEADER = "at_leader"
MAX_LEVEL = const(3)
WORSE_MGDL = const(10)

# type: base priority index. The order is also the tie-break of loudest() and the save() index.
TYPES = ("urgent_low", "urgent_low_soon", "low", "urgent_high", "high", "fall", "rise",
         "persistent_high", "no_data", "sensor", "transmitter_battery", "link", "device",
         "forwarding")
BASE_PRIORITY = {"urgent_low": 2, "urgent_low_soon": 2, "low": 1, "urgent_high": 1, "high": 0,
                 "fall": 1, "rise": 0, "persistent_high": 0, "no_data": 1, "sensor": 1,
                 "transmitter_battery": 0, "link": 1, "device": 1, "forwarding": 0}
GLUCOSE = ("urgent_low", "urgent_low_soon", "low", "urgent_high", "high", "fall", "rise",
           "persistent_high")
# glucose alarms a data outage makes stale news: they rank under a sounding no_data
# (the low side keeps its rank: the last known danger still matters most)
HIGH_SIDE = ("urgent_high", "high", "rise", "persistent_high")
CONDITIONS = ("link", "sensor", "device", "forwarding", "transmitter_battery")
# informational reasons: low priority, clear by themselves (time_changed, time_disputed:
# forward.timesync, a time server's step taken or refused)
NOTICES = ("warmup_done", "clock", "ending", "time_changed", "time_disputed")
# the sensor alarm's reasons that say why no glucose comes (the transmitter is heard; its
# sensor gives none): no_data and that alarm are one episode (engine: SENSOR_HOLD_S)
NO_GLUCOSE = ("warmup", "expired", "failed", "stopped", "error")
# the link alarm's reasons that say why no glucose comes (the transmitter, or a follower's
# leader, is not heard or not trusted; no transmitter configured): no_data and that alarm
# are one outage (engine: no_data beside an answered link). Not slot_conflict: the box
# bonds again in each window and its readings go on, so a gap under it is news of its own.
NO_LINK = ("no_transmitter", "auth_failed", "rogue", "bond_lost", "leader_silent",
           "leader_auth", "not_configured")
# reasons that follow from another problem of their alarm (an upload outage of two days fills
# the queue): added beside it they do not sound it again, answered at 10 p.m., at 3 a.m.
# (readings held for want of a wall clock and then lost to a transmitter reset: the clock is
# missing because the server and NTP are out of reach)
CONSEQUENCES = ("nightscout_queue_full", "nightscout_undated")
# reasons that are the effect of another of their alarm's while it holds: beside it they
# do not rename it (the cause is what to fix; answered, it sounds again under that name,
# as for any new problem); the cause gone, they name it.
# A transmitter heard and refused (a wrong ID with our last two characters: rogue) gives
# no reading, so its windows go unread; "not heard" sent the family looking for range.
EFFECTS = {"no_transmitter": ("rogue", "auth_failed")}
# Known reasons, so save() can store an index instead of a string.
REASONS = ("", "threshold", "predicted", "rate", "persistent", "no_transmitter", "auth_failed",
           "rogue", "bond_lost", "failed", "expired", "warmup_done", "radio", "memory", "resets",
           "config", "nightscout_auth", "battery_low", "attention", "network", "mqtt", "nightscout",
           "power", "slot_conflict", "not_configured", "leader_silent", "leader_auth",
           "button", "factory_reset", "stopped", "warmup", "clock", "tx_expired", "ending",
           "leader_unanswered", "error", "mqtt_auth", "time_changed", "time_disputed")
# (append only, under 127 entries: saved states hold indexes; a condition whose reason
# is missing here is not restored from RTC memory, see persist.py)
UNNAMED = 128   # saved reason codes from here on: a name not in REASONS, by a hash of it


def reason_code(name):
    """The byte a saved alarm holds for a reason: its index in REASONS, else UNNAMED +
    a hash of the name (128..254; 255 was an older firmware's "unknown"). The device
    alarm's dynamic reasons (start_<part>, a task's name, display, buzzer...) are known
    by it when raised again after a reset (persist.py, CARRY_S); a clash of two hashes
    can only carry a level, never quiet an alarm."""
    if name in REASONS:
        return REASONS.index(name)
    h = 0
    for c in str(name).encode():   # (not hash(): CPython's differs from run to run)
        h = (h * 43 + c) & 0xFFFF   # (43: the firmware's own reasons all get codes of their own)
    return UNNAMED + h % 127


_SNOOZE_KEY = {"urgent_low": "urgent_low_snooze", "urgent_low_soon": "urgent_low_soon_snooze",
               "low": "low_snooze", "high": "high_snooze", "urgent_high": "urgent_high_snooze",
               "fall": "rate_snooze", "rise": "rate_snooze",
               "persistent_high": "persistent_high_snooze", "no_data": "no_data_snooze"}
_ACK_IS_SNOOZE = ("urgent_low", "urgent_low_soon", "no_data")   # these cannot be silenced until they clear
# the family's day (minutes of the local day): news that is no danger waits for it
FAMILY_DAY = (8 * 60, 21 * 60)
# a short press on these holds them until the family's next morning (FAMILY_DAY's start), not
# condition_snooze: a transmitter's low battery (days to weeks left; Dexcom warns once a
# day or so) holds until another transmitter, and came back every hour of the night
TILL_MORNING = ("transmitter_battery",)
DAY_S = 86400
# A press on one of these also snoozes the lesser alarms of its episode sounding beside it,
# until the same time: one press quiets an urgent low (its urgent-low-soon and low no longer
# need presses of their own); the higher one still re-raises after its snooze, at once if worse
COVERS = {"urgent_low": ("urgent_low_soon", "low"), "urgent_low_soon": ("low",),
          "urgent_high": ("high",)}

# record fields (a list per active alarm)
_ST, _LV, _SINCE, _REASON, _UNTIL, _ESC, _PRIO, _AUX = 0, 1, 2, 3, 4, 5, 6, 7


class EngineError(ValueError):
    """Bad call into the alarm engine (unknown condition kind, bad saved state)."""
