# The setup form <-> the configuration (pure: CPython and MicroPython).
#
#   fields = parse_urlencoded(body)                 # {name: value}, last one wins
#   cfg2, errors, rows = apply(cfg, fields)         # errors: {field name: message}
#   errors.update(problems_to_fields(problems, rows))    # config.validate's problems
#
# Field names are configuration paths ("alarms.low", "wifi[0].ssid",
# "nightscout.url"), so config.validate's problems ("alarms.low=40: out of
# range 60..100") land next to the field they are about. Problems about
# anything not on the form go under GENERAL. Rows left empty are not saved, so
# the i-th saved Wi-Fi network or schedule entry may come from another form row:
# `rows` maps them back ("wifi[0]" of the config is the form's "wifi[1]" when its
# first row was left empty).
# Secrets are never shown: a blank secret field keeps the stored one (a Wi-Fi
# password is kept for the same network name; a row whose name changed while
# its stored password was set needs the new password typed); a "clear" box
# removes it.
# Checkboxes: absent = off; the form always carries every field.
# Glucose and rates are read and shown in the units the page shows (setup/units.py).
# "More alarm settings" (MORE, SNOOZES, a schedule's volume): a hidden field says
# the page showed them; a page from before did not, and its post keeps them as
# stored (its absent checkboxes are not "off"). Kinds and bounds: DEFAULTS.

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

from alarms.settings import DEFAULTS
from app.config import SECRET_KEYS
from civil import civil_from_unix, days_from_civil
from setup.units import (SHOWN_UNITS, converted, glucose_text, in_mmol, number, shown,
                         shown_units, whole)

GENERAL = "_general"
WIFI_ROWS = 3
SCHEDULE_ROWS = 2
SCHEDULE_FIELDS = ("low", "high", "urgent_high")   # blank = same as the day setting
THRESHOLDS = (  # (key, enable key or None, label)
    ("urgent_low", None, "Urgent low (always on)"),
    ("low", "low_enabled", "Low"),
    ("high", "high_enabled", "High"),
    ("urgent_high", "urgent_high_enabled", "Urgent high"),
)
ZONE_CHECKED = "zone_checked"   # hidden, and config.json's: the offsets the family was told about
MORE_SHOWN = "more_alarms"   # hidden: the page showed MORE, SNOOZES and the schedules' volumes
MORE = (  # (key, label); a key whose DEFAULTS are on/off is a checkbox
    ("volume", "Volume, %"),
    ("urgent_low_soon", "Predicted urgent low alarm on"),
    ("urgent_low_soon_minutes", "Predicted urgent low within, minutes"),
    ("fall_enabled", "Falling fast alarm on"),
    ("fall_rate", "Falling faster than"),
    ("rise_enabled", "Rising fast alarm on"),
    ("rise_rate", "Rising faster than"),
    ("persistent_high_enabled", "Persistent high alarm on"),
    ("persistent_high", "Persistent high above"),
    ("persistent_high_minutes", "Persistent high for, minutes"),
    ("no_data_minutes", "No data alarm after, minutes"),
)
SNOOZES = (("urgent_low_snooze", "Urgent low"), ("urgent_low_soon_snooze", "Predicted urgent low"),
           ("low_snooze", "Low"), ("high_snooze", "High"), ("urgent_high_snooze", "Urgent high"))
ADMIN_NEW = "admin_new"
ADMIN_REPEAT = "admin_repeat"
# configuration key -> the form field that shows its problem
_ALIASES = {"admin_password": ADMIN_NEW}
_HEX = const("0123456789abcdefABCDEF")


def _unquote(s):
    """application/x-www-form-urlencoded value -> str (UTF-8, '+' is a space)."""
    s = s.replace("+", " ")
    if "%" not in s:
        return s
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "%" and i + 2 < n and s[i + 1] in _HEX and s[i + 2] in _HEX:
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            out.extend(c.encode())
            i += 1
    try:
        return out.decode()
    except UnicodeError:
        return "".join(chr(b) for b in out)


def parse_urlencoded(body):
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode()
    out = {}
    for pair in body.split("&"):
        if not pair:
            continue
        k, _, v = pair.partition("=")
        out[_unquote(k)] = _unquote(v)
    return out


def hhmm(minute):
    return "%02d:%02d" % (minute // 60, minute % 60)


def _parse_hhmm(s):
    h, sep, m = s.strip().partition(":")
    if sep and h.isdigit() and m.isdigit() and len(m) == 2 and len(h) <= 2:
        h, m = int(h), int(m)
        if h < 24 and m < 60:
            return h * 60 + m
    return None


def is_switch(key):
    return len(DEFAULTS[key]) == 2   # (default, (False, True))


def _on(fields, name):
    return fields.get(name, "") in ("on", "1", "true")


def _text(fields, name, stored):
    """A text field as posted, spaces around it dropped, unless it is the stored value as
    the page showed it (valid in config.json: an unchanged save must not change it)."""
    v = fields.get(name, "")
    return v if v == stored else v.strip()


def _secret(fields, name, old, strip=False):
    """New value of a secret field: blank keeps `old`, the clear box empties it.
    `strip`: spaces around it dropped (an access token has none; a phone's paste adds one)."""
    if _on(fields, name + ".clear"):
        return ""
    v = fields.get(name, "")
    if strip:
        v = v.strip()
    return v if v else old


def _wifi(cfg, fields, errors):
    old = {}
    for net in cfg.get("wifi") or []:
        if isinstance(net, dict):
            old[net.get("ssid")] = net.get("password", "")
    stored = cfg.get("wifi") or []
    nets, index = [], []   # index[i]: the form row of the i-th saved network
    for i in range(WIFI_ROWS):
        ssid = fields.get("wifi[%d].ssid" % i, "")
        if ssid not in old:   # a stored name as shown keeps its spaces; a typed one loses them
            ssid = ssid.strip()
        pw = fields.get("wifi[%d].password" % i, "")
        if not ssid:
            if pw:
                errors["wifi[%d].ssid" % i] = "a password needs a network name"
            continue
        here = stored[i] if i < len(stored) and isinstance(stored[i], dict) else {}
        if not pw:   # blank: this row's own password (two rows may hold one name), else by name
            pw = here.get("password", "") if here.get("ssid") == ssid else old.get(ssid, "")
        if not pw and ssid not in old and here.get("password"):
            # the page showed this row's password as "set, blank: keep": saving the new
            # name as an open network would silently lose the Wi-Fi (a name typo fixed)
            errors["wifi[%d].password" % i] = ("type the password of this network: a blank "
                                               "password keeps a stored one only for the same "
                                               "network name")
        nets.append({"ssid": ssid, "password": pw})
        index.append(i)
    # networks beyond the rows shown are kept as they are
    for row in range(WIFI_ROWS, len(stored)):
        nets.append(stored[row])
        index.append(row)
    return nets, index


def _alarms(cfg, fields, errors):
    al = dict(cfg.get("alarms") or {})
    units = shown_units(fields)
    for key, enable, _ in THRESHOLDS:
        v = number(fields, "alarms." + key, key, errors, True, units, al.get(key))
        if v is not None:
            al[key] = v
        if enable:
            al[enable] = _on(fields, "alarms." + enable)
    more = MORE_SHOWN in fields   # (a page from before did not show them: kept)
    for key, _ in MORE + SNOOZES if more else ():
        if is_switch(key):
            al[key] = _on(fields, "alarms." + key)
        else:
            v = number(fields, "alarms." + key, key, errors, True, units, al.get(key))
            if v is not None:
                al[key] = v
    old = al.get("schedule") or []
    sched, index = [], []   # index[i]: the form row of the i-th saved entry
    for row in range(SCHEDULE_ROWS):
        p = "alarms.schedule[%d]." % row
        entry = dict(old[row]) if row < len(old) and isinstance(old[row], dict) else {}
        if not _on(fields, p + "on"):
            # unticked: a stored entry is removed; a new one typed in would be dropped
            # while the page said "Saved." (the night on the day's thresholds)
            if row >= len(old) and any(fields.get(p + k, "").strip() for k in
                                       ("start", "end", "volume") + SCHEDULE_FIELDS):
                errors[p + "on"] = ("tick 'use this schedule' to use it, or clear its "
                                    "fields to save without it")
            continue
        for key in ("start", "end"):
            s = fields.get(p + key, "")
            m = _parse_hhmm(s)
            if m is None:
                errors[p + key] = "must be a time HH:MM (00:00 to 23:59)"
            else:
                entry[key] = m
        if p + "start" not in errors and p + "end" not in errors and entry["start"] == entry["end"]:
            # (config.validate's own says it in minutes of the day: "end=1320")
            errors[p + "start"] = ("From and To are both %s: the schedule would never apply (for "
                                   "the whole day, change the settings above)" % hhmm(entry["start"]))
        for key in SCHEDULE_FIELDS + (("volume",) if more else ()):
            v = number(fields, p + key, key, errors, False, units, entry.get(key))
            if v is None:
                entry.pop(key, None)
            else:
                entry[key] = v
        sched.append(entry)
        index.append(row)
    for row in range(SCHEDULE_ROWS, len(old)):   # entries the form does not show
        sched.append(old[row])
        index.append(row)
    al["schedule"] = sched
    return al, index


def apply(cfg, fields, have_password=True):
    """(new config, {field: message}, rows) from the form fields; rows: {"wifi":
    [form row of each saved network], "alarms.schedule": [... of each entry]}.

    Starts from `cfg` (the stored configuration): keys not on the form are kept.
    `have_password`: whether an admin password is stored; if not, the form must set one."""
    errors = {}
    new = {}
    for k, v in cfg.items():
        new[k] = dict(v) if isinstance(v, dict) else v
    new["transmitter_id"] = fields.get("transmitter_id", "").strip().upper()
    new["slot"] = fields.get("slot", "")
    new["tz"] = fields.get("tz", "").strip()
    if "hostname" in fields:   # (a form from before it keeps the stored name)
        new["hostname"] = fields["hostname"].strip().lower()
    new["units"] = fields.get("units", cfg.get("units", "mg/dl"))   # (a form from before it)
    off = whole(fields, "utc_offset_min", errors, required=True)
    if off is not None:
        new["utc_offset_min"] = off
        if new["tz"] and new["tz"] == cfg.get("tz", "") and off != cfg.get("utc_offset_min", 0):
            # the rule wins (app.localtime): a family abroad that changed only the offset
            # saved without a word, and the night schedule stayed on home time
            errors["utc_offset_min"] = ("not used while a time zone rule is set above: "
                                        "change the rule, or clear it to use this offset")
    new["wifi"], wifi_index = _wifi(cfg, fields, errors)
    new["alarms"], sched_index = _alarms(cfg, fields, errors)
    ns = new["nightscout"] = dict(cfg.get("nightscout") or {})
    ns["url"] = fields.get("nightscout.url", "").strip()
    ns["allow_http"] = _on(fields, "nightscout.allow_http")
    ns["ca_file"] = _text(fields, "nightscout.ca_file", ns.get("ca_file"))
    ns["api_secret"] = _secret(fields, "nightscout.api_secret", ns.get("api_secret", ""))
    ns["token"] = _secret(fields, "nightscout.token", ns.get("token", ""), strip=True)
    mq = new["mqtt"] = dict(cfg.get("mqtt") or {})
    mq["host"] = fields.get("mqtt.host", "").strip()
    port = whole(fields, "mqtt.port", errors, required=True)
    if port is not None:
        mq["port"] = port
    mq["user"] = _text(fields, "mqtt.user", mq.get("user"))
    mq["password"] = _secret(fields, "mqtt.password", mq.get("password", ""))
    new["alarms"]["forwarding"] = _on(fields, "alarms.forwarding")
    if "role" in fields:   # (a form from before it keeps the role and follow as stored)
        new["role"] = fields["role"]
        fo = new["follow"] = dict(cfg.get("follow") or {})
        fo["url"] = fields.get("follow.url", "").strip()
        fo["api_secret"] = _secret(fields, "follow.api_secret", fo.get("api_secret", ""))
        fo["token"] = _secret(fields, "follow.token", fo.get("token", ""), strip=True)
        poll = whole(fields, "follow.poll_s", errors, required=True)
        if poll is not None:
            fo["poll_s"] = poll
        fo["sound"] = fields.get("follow.sound", "")
        if "follow.silent_min" in fields:   # (a form of session 37's page keeps them as stored)
            silent = whole(fields, "follow.silent_min", errors, required=True)
            if silent is not None:
                fo["silent_min"] = silent
            fo["ca_file"] = _text(fields, "follow.ca_file", fo.get("ca_file"))
    pw, again = fields.get(ADMIN_NEW, ""), fields.get(ADMIN_REPEAT, "")
    if pw or again:
        if pw != again:
            errors[ADMIN_REPEAT] = "the two new passwords differ"
        else:
            new["admin_password"] = pw
    elif not have_password:
        errors[ADMIN_NEW] = "set an admin password (8 to 64 characters): it protects these settings"
    return new, errors, {"wifi": wifi_index, "alarms.schedule": sched_index}


def _utc(minutes):
    return "UTC%s%02d:%02d" % ("-" if minutes < 0 else "+", abs(minutes) // 60, abs(minutes) % 60)


def _span(minutes):
    m = abs(minutes)
    return (("%d h" % (m // 60) if m >= 60 else "") + (" %d min" % (m % 60) if m % 60 else "")).strip()


_REASON = const(" (a box that is not where this phone is)")


def zone_mismatch(cfg, fields):
    """(message, signature) when the phone that saves (its offsets from UTC now and
    at the year's 1 January and 1 July, sent by the page's script as "now,jan,jul")
    is not at the offsets these settings give then: the schedules would start hours
    off, now or for part of the year (a fixed offset where the phone's zone has
    summer time). (None, signature) when the family kept them already: the form
    comes back with this very signature (told, and saved again), or `cfg` holds it
    (a save before; ZONE_CHECKED, which the caller saves). (None, "") when they
    agree; None when the phone sent nothing usable. The signature is the phone's and
    the settings' offsets in January and July (now: a script from before): the same
    in summer as in winter, and other when either the phone or the settings move."""
    try:
        phone = [int(p) for p in fields.get("phone_offset_min", "").split(",")]
        at = int(fields.get("phone_ms", "")) // 1000
    except ValueError:
        return None
    if len(phone) not in (1, 3) or not all(-16 * 60 <= p <= 16 * 60 for p in phone):
        return None
    year = civil_from_unix(at)[0]
    times = (at, (days_from_civil(year, 1, 1) * 86400 + 43200),
             (days_from_civil(year, 7, 1) * 86400 + 43200))[:len(phone)]
    if cfg.get("tz"):
        from app import localtime
        try:
            rule = localtime.parse(cfg["tz"])
        except ValueError:   # (config.validate says why)
            return None
        box = [localtime.offset_min(rule, t) for t in times]
    else:
        box = [cfg.get("utc_offset_min", 0)] * len(phone)
    if box == phone:
        return None, ""
    signature = "/".join(str(v) for v in phone[-2:] + box[-2:])
    if signature in (fields.get(ZONE_CHECKED), cfg.get(ZONE_CHECKED)):
        return None, signature
    pick = (" Pick your zone under 'Time zone with summer time' (an offset does not follow "
            "summer time), or save again to keep these settings")
    if box[0] != phone[0]:
        return ("this phone is at %s, these settings give %s now: the box's day (its schedules, "
                "the time it shows) would run %s %s this phone's clock." % (
                    _utc(phone[0]), _utc(box[0]), _span(phone[0] - box[0]),
                    "behind" if phone[0] > box[0] else "ahead of") + pick + _REASON, signature)
    return ("this phone's zone is at %s in January and %s in July, these settings at %s and %s: "
            "for part of the year the box's day (its schedules, the time it shows) would run "
            "%s off." % (_utc(phone[1]), _utc(phone[2]), _utc(box[1]), _utc(box[2]),
                         _span(max(abs(phone[1] - box[1]), abs(phone[2] - box[2]))))
            + pick + _REASON, signature)


def field_names():
    """Every field the form carries (problems about others go under GENERAL)."""
    names = ["transmitter_id", "slot", "units", "tz", "hostname", "utc_offset_min", "nightscout.url", "nightscout.allow_http",
             "nightscout.ca_file",
             "nightscout.api_secret", "mqtt.host", "mqtt.port", "mqtt.user", "mqtt.password",
             "alarms.forwarding", ADMIN_NEW, ADMIN_REPEAT, "role", "follow.url", "follow.api_secret",
             "nightscout.token", "follow.token", "follow.poll_s", "follow.sound", "follow.silent_min", "follow.ca_file"]
    for i in range(WIFI_ROWS):
        names.append("wifi[%d].ssid" % i)
        names.append("wifi[%d].password" % i)
    for key, enable, _ in THRESHOLDS:
        names.append("alarms." + key)
        if enable:
            names.append("alarms." + enable)
    for key, _ in MORE + SNOOZES:
        names.append("alarms." + key)
    for row in range(SCHEDULE_ROWS):
        for key in ("on", "start", "end", "volume") + SCHEDULE_FIELDS:
            names.append("alarms.schedule[%d].%s" % (row, key))
    return names


def _split_problem(problem):
    """"alarms.low=40: out of range 60..100" -> ("alarms.low", "40: out of range 60..100")"""
    end = len(problem)
    for stop in (":", "=", " "):
        i = problem.find(stop)
        if 0 <= i < end:
            end = i
    key = problem[:end]
    msg = problem[end:].lstrip(":= ")
    return key, msg


def problems_to_fields(problems, rows=(), known=None, units="mg/dl"):
    """config.validate problems -> {field: message}; unknown keys under GENERAL (named
    by the row they were stored in, in `units` too). `rows`: apply()'s (a list alone:
    the schedule's); `known`: the field names on the form (None: accept every key);
    `units`: those the page showed thresholds in."""
    if not isinstance(rows, dict):
        rows = {"alarms.schedule": rows}
    out = {}
    for p in problems:
        key, msg = _split_problem(p)
        sep = p[len(key):len(p) - len(msg)]
        br = key.find("[")
        index = rows.get(key[:br]) if br > 0 else None
        if index is not None:   # saved entry i came from form row index[i]
            close = key.find("]")
            try:
                key = "%s[%d]%s" % (key[:br], index[int(key[br + 1:close])], key[close + 1:])
            except (ValueError, IndexError):
                pass
        key = _ALIASES.get(key, key)
        if units == "mmol" and converted(key):
            msg = in_mmol(msg, key)
        if known is not None and key not in known:
            key, msg = GENERAL, key + sep + msg
        out[key] = (out[key] + "; " + msg) if key in out else msg
    return out


def values_from_config(cfg):
    """The form's initial values (text) from a configuration; secrets left out."""
    v = {"transmitter_id": cfg.get("transmitter_id", ""), "slot": cfg.get("slot", "receiver"),
         "utc_offset_min": str(cfg.get("utc_offset_min", 0)), "tz": cfg.get("tz", ""),
         "units": cfg.get("units", "mg/dl"), "hostname": cfg.get("hostname", "")}
    units = v[SHOWN_UNITS] = "mmol" if v["units"] == "mmol" else "mg/dl"
    nets = cfg.get("wifi") or []
    for i in range(min(WIFI_ROWS, len(nets))):
        v["wifi[%d].ssid" % i] = nets[i].get("ssid", "")
    al = cfg.get("alarms") or {}
    for key, enable, _ in THRESHOLDS:
        if key in al:
            v["alarms." + key] = glucose_text(al[key], units)
        if enable and al.get(enable, True):
            v["alarms." + enable] = "on"
    sched = al.get("schedule") or []
    for row in range(min(SCHEDULE_ROWS, len(sched))):
        p = "alarms.schedule[%d]." % row
        e = sched[row]
        v[p + "on"] = "on"
        for key in ("start", "end"):
            if isinstance(e.get(key), int):
                v[p + key] = hhmm(e[key])
        for key in SCHEDULE_FIELDS:
            if key in e:
                v[p + key] = glucose_text(e[key], units)
    v.update(more_values(cfg, units))
    v[MORE_SHOWN] = "1"
    ns = cfg.get("nightscout") or {}
    v["nightscout.url"] = ns.get("url", "")
    v["nightscout.ca_file"] = ns.get("ca_file", "")
    if ns.get("allow_http"):
        v["nightscout.allow_http"] = "on"
    mq = cfg.get("mqtt") or {}
    v["mqtt.host"] = mq.get("host", "")
    v["mqtt.port"] = str(mq.get("port", 1883))
    v["mqtt.user"] = mq.get("user", "")
    if al.get("forwarding", True):
        v["alarms.forwarding"] = "on"
    fo = cfg.get("follow") or {}
    v["role"] = cfg.get("role", "leader")
    v["follow.url"] = fo.get("url", "")
    v["follow.poll_s"] = str(fo.get("poll_s", 60))
    v["follow.sound"] = fo.get("sound", "all")
    v["follow.silent_min"] = str(fo.get("silent_min", 15))
    v["follow.ca_file"] = fo.get("ca_file", "")
    return v


def more_values(cfg, units):
    """The values of the fields a page from before did not have (MORE, SNOOZES, the
    schedules' volumes); a setting not stored shows its default."""
    al = cfg.get("alarms") or {}
    v = {}
    for key, _ in MORE + SNOOZES:
        value = al.get(key, DEFAULTS[key][0])
        if not is_switch(key):
            v["alarms." + key] = shown(key, value, units)
        elif value:
            v["alarms." + key] = "on"
    sched = al.get("schedule") or []
    for row in range(min(SCHEDULE_ROWS, len(sched))):
        if "volume" in sched[row]:
            v["alarms.schedule[%d].volume" % row] = str(sched[row]["volume"])
    return v


def is_secret(name):
    """Whether a field holds a secret (never sent back into a page): the admin password's
    two, a sign-in's password, the session token, and every section's secret keys
    (app.config.SECRET_KEYS: passwords, API secrets, access tokens)."""
    return name in (ADMIN_NEW, ADMIN_REPEAT) or name.rpartition(".")[2] in SECRET_KEYS


def secret_is_set(cfg, name):
    """For a secret field: whether the stored configuration has a value."""
    if name.startswith("wifi["):
        i = int(name[5:name.find("]")])
        nets = cfg.get("wifi") or []
        return i < len(nets) and bool(nets[i].get("password"))
    sect, _, key = name.partition(".")
    return bool((cfg.get(sect) or {}).get(key))
