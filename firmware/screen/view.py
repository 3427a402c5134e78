# What the screen says (pure; CPython and MicroPython): the newest reading, its
# trend, how old it is, and the alarm the box plays or last answered, in words.
#
#   v = view.compose(r, age_s, alarm, stale_s, units)
#   v == (big, direction, age, title, detail, priority, stale, bright)
#
# big       "123" (units "mg/dl") or "6.8" ("mmol": mmol/L), "LOW" (under 40
#           mg/dL), "HIGH" (over 400) or "---" (no value)
# direction a Nightscout direction name (forward/entries.py), None if unknown
# age       "now", "4 min", "1 h 05" (since the reading was measured), "" if none
# title     the alarm in capitals ("URGENT LOW"), "" when nothing is active; no_data
#           that the sensor or link alarm explains is told by it ("SENSOR", "error, wait")
# detail    what it is about and what was pressed ("not heard, snoozed")
# priority  "high" / "medium" / "low" of that alarm, None
# stale     the reading is older than stale_s: the screen crosses the number
#           out (users' top complaint: a display that kept showing an old
#           number while the sensor or the uploader had stopped)
# bright    an alarm sounds: full brightness; else dim, for a dark bedroom
# Every line fits WIDTH characters.
from forward.entries import direction as _direction, mmol_text

WIDTH = 14   # a 240-wide TFT at twice the 8x8 font; 128 / 8 = 16 on an OLED
TITLES = {"urgent_low": "URGENT LOW", "urgent_low_soon": "LOW SOON", "low": "LOW",
          "urgent_high": "URGENT HIGH", "high": "HIGH", "fall": "FALLING FAST",
          "rise": "RISING FAST", "persistent_high": "HIGH FOR LONG", "no_data": "NO DATA",
          "sensor": "SENSOR", "transmitter_battery": "TX BATTERY", "link": "TRANSMITTER",
          "device": "BOX FAULT", "forwarding": "UPLOAD"}
# reasons in words (alarms/kinds.py REASONS); any other shows as its name
DETAILS = {"threshold": "", "predicted": "predicted", "rate": "", "persistent": "",
           "no_transmitter": "not heard",
           "heard_unread": "heard, unread",   # (no_transmitter, each wake-up authenticated: main.App.shown)
           "auth_failed": "auth failed", "rogue": "wrong tx or ID",
           "bond_lost": "bond lost", "failed": "failed", "expired": "expired",
           "warmup_done": "warm-up done", "ending": "ends soon", "warmup": "warming up",
           "stopped": "start session",   # (a transmitter reset ends it: the sensor may go on)
           "error": "error, wait",
           "attention": "check sensor", "battery_low": "battery low", "radio": "radio",
           "memory": "memory", "resets": "resetting", "config": "settings",
           "power": "battery low", "button": "button stuck", "button_action": "button failed", "flash": "flash",
           "not_configured": "not set up", "leader_silent": "silent",
           "leader_no_readings": "no readings",   # (silent, but it answers: main.App.shown)
           "leader_auth": "refused secret", "leader_unanswered": "not answered",
           "slot_conflict": "slot in use",
           "nightscout_auth": "secret refused", "network": "network", "mqtt": "mqtt",
           "mqtt_auth": "mqtt refused", "mqtt_unreachable": "mqtt no answer",
           "nightscout_unreachable": "ns no answer", "nightscout_queue_full": "queue full",
           "nightscout_queue_damaged": "queue damaged",
           "nightscout": "nightscout", "clock": "no time of day", "time_changed": "time changed",
           "time_disputed": "time disputed", "factory_reset": "reset",
           "display": "display", "blocked": "blocked", "nightscout_undated": "readings lost",
           "link_code": "link software"}   # (the device alarm: a fault of the link's own code)

# (at_leader: a follower box plays it silently while its leader box sounds it or it
# was answered there, alarms.gate)
ANSWERED = {"snoozed": "snoozed", "acknowledged": "silenced", "at_leader": "at leader"}
# alarms.kinds.TILL_MORNING, written out: the setup page draws this view without the alarm
# modules, and importing kinds for it cost the page about 5 KB at its peak
TILL_MORNING = ("transmitter_battery",)


def big(sgv, units="mg/dl"):
    if sgv is None:
        return "---"
    if sgv < 40:
        return "LOW"
    if sgv > 400:
        return "HIGH"
    if units == "mmol":
        return mmol_text(sgv)
    return str(sgv)


def age(age_s):
    if age_s is None:
        return ""
    m = int(age_s) // 60
    if m < 1:
        return "now"
    if m < 60:
        return "%d min" % m
    if m < 48 * 60:
        return "%d h %02d" % (m // 60, m % 60)
    return "%d days" % (m // 1440)


def titled(kind, reason=None):
    """An alarm's title as a box's screen gives it: a follower's about its leader
    (leader_ reasons) is "LEADER BOX", whichever alarm it is; a type this box does
    not know, in capitals."""
    if str(reason).startswith("leader_"):
        return "LEADER BOX"
    return TITLES.get(kind) or str(kind)[:WIDTH].upper()[:WIDTH]


def detail(alarm):
    reason = alarm.get("reason") or ""
    # a follower's leader_unanswered: the leader's alarm as its screen titles it (main.App.shown)
    leader = alarm.get("leader")
    words = titled(leader, alarm.get("leader_reason")) if leader else DETAILS.get(reason)
    if words is None:   # start_<part>: a part of the box that could not start
        words = ("no " + reason[6:] if reason.startswith("start_") else reason).replace("_", " ")
    answered = ANSWERED.get(alarm.get("status"))
    if answered == "snoozed" and alarm.get("type") in TILL_MORNING:
        answered = "till morning"   # held to 08:00, by a press or because it came at night
    if answered:   # why the box is quiet matters more than the reason: it wins the room
        words = words + ", " + answered if words and len(words) + 2 + len(answered) <= WIDTH \
            else answered
    return words[:WIDTH]


def compose(r, age_s, alarm, stale_s, units="mg/dl", note=""):
    """r: the newest reading tuple (reading.py) or None; age_s: seconds since it was
    measured; alarm: AlarmEngine.shown() or None; stale_s: the engine's stale bound;
    units: the configuration's "units"; note: words for the detail line while no alarm is
    shown ("time disputed": main.App.time_disputed_s), dim and silent."""
    if r is None:
        sgv, trend, age_s = None, None, None
    else:
        sgv, trend = r[2], r[3]
    stale = age_s is not None and age_s > stale_s
    if alarm is None:
        title, text = "", note[:WIDTH]
        priority = None
    else:
        cause = alarm.get("cause")
        if cause:   # no_data's cause (AlarmEngine.shown): the sensor's or the link's words
            alarm = {"type": cause[0], "reason": cause[1], "status": alarm.get("status"),
                     "priority": alarm.get("priority")}
        title = titled(alarm.get("type"), alarm.get("reason"))
        text = detail(alarm)
        priority = alarm.get("priority")
    shown_age = age(age_s)
    if stale:
        shown_age = ("old: " + shown_age)[:WIDTH]
    d = None if sgv is None or trend is None else _direction(trend)
    if d in ("NONE", "NOT COMPUTABLE"):
        d = None
    sounding = alarm is not None and alarm.get("status") == "sounding"
    return (big(sgv, units), d, shown_age, title, text, priority, stale, sounding)
