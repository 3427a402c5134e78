# HTML of the setup and status pages (pure: no clock, no sockets).
# Every page is a generator of small str chunks, so the board never holds a
# whole page in RAM. Plain HTML and a few lines of CSS, no script. Every value
# shown is escaped; secrets are never written into a page ("set"/"not set").
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

from alarms.settings import DEFAULTS
from forward.entries import MMOL, direction, mmol_text
from setup import form, units as num

_CSS = const("body{font:16px sans-serif;max-width:42em;margin:auto;padding:0 .6em;color:#111}"
             "h1{font-size:1.4em}fieldset{margin:.7em 0;border:1px solid #999}"
             "label{display:block;margin:.35em 0}input,select{font:inherit}"
             "input[type=text],input[type=password],input[type=number]{width:11em}"
             ".err{color:#b00020;font-weight:bold;margin-left:.4em}.bad{border:2px solid #b00020}"
             ".note{color:#555;font-size:.9em}.big{font-size:2.4em;font-weight:bold}"
             ".high{color:#b00020}.medium{color:#a05a00}.low{color:#225}"
             "table{border-collapse:collapse}td{padding:.15em .6em .15em 0}"
             ".ok{color:#060;font-weight:bold}button{font:inherit;padding:.3em 1em}")

# Nightscout direction names (forward.entries.direction, the one slope table) -> arrows
# (pairs of tuples here, in flash: dicts were 0.2 KB of heap)
_ARROWS = const(("DoubleUp", "SingleUp", "FortyFiveUp", "Flat", "FortyFiveDown", "SingleDown",
                 "DoubleDown"))
_ARROW_MARKS = const(("&#8648;", "&#8593;", "&#8599;", "&#8594;", "&#8600;", "&#8595;", "&#8650;"))

# the sensor's state (dexcom.states.state_kind) as a family reads it; "ok" as it is
_SENSOR = const(("warmup", "expired", "failed", "calibration", "noise", "unknown", "stopped"))
_SENSOR_WORDS = const(("warm-up", "expired: replace the sensor", "failed: replace the sensor",
                       "needs a calibration", "sensor error, no glucose: wait",
                       "a state nobody documents", "stopped: start a sensor session"))


def esc(s):
    s = "" if s is None else str(s)
    if any(c in s for c in "&<>\"'"):
        s = (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
             .replace('"', "&quot;").replace("'", "&#39;"))
    return s


def arrow(trend_x10):
    d = direction(trend_x10)
    return _ARROW_MARKS[_ARROWS.index(d)] if d in _ARROWS else "?"


def head(title, refresh_s=None):
    yield "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
    yield "<meta name=viewport content='width=device-width,initial-scale=1'>"
    if refresh_s:
        yield "<meta http-equiv=refresh content=%d>" % refresh_s
    yield "<title>%s</title><style>%s</style></head><body>" % (esc(title), _CSS)


def tail():
    yield "</body></html>"


def _ago(now_unix, t):
    if now_unix is None or t is None:
        return "time unknown"
    d = max(0, now_unix - t)
    if d < 90:
        return "%d s ago" % d
    return "%d min ago" % (d // 60)


def _reading_ago(state, r):
    """The reading's age on the box's own clock when given, else by the wall clock."""
    age = state.get("reading_age_s")
    return _ago(state.get("now_unix"), r[1]) if age is None else _ago(age, 0)


def config_problems(problems):
    """What app.config.load found wrong (its messages never hold a secret)."""
    if not problems:
        return
    yield ("<section id=config-problems><p class=err>The settings have problems. The box "
           "uses safe values instead and sounds the device alarm until they are fixed "
           "and saved:</p><ul>")
    for p in problems:
        yield "<li>%s</li>" % esc(p)
    yield "</ul></section>"


def status_page(state, cfg, ap=None, problems=()):
    """state: see web.state_from_app; cfg: the saved configuration; ap: AccessPoint.status();
    problems: app.config.load's list for the configuration in use."""
    yield from head("CGM alarm", refresh_s=60)
    yield "<h1>CGM alarm</h1>"
    yield from config_problems(problems)
    yield "<section id=reading><h2>Last reading</h2>"
    r = state.get("last_reading")
    if r is None:
        yield "<p id=sgv>No reading yet.</p>"
    elif r[2] is None:
        from dexcom.states import state_name   # the code in words (0x12: temporary_sensor_issue)
        code = r[4]
        said = "%s: %s" % (code, state_name(code).replace("_", " ")) if isinstance(code, int) else code
        yield "<p id=sgv>No glucose value (sensor state %s), %s.</p>" % (esc(said), _reading_ago(state, r))
    else:
        trend = "unknown" if r[3] is None else "%+.1f mg/dL/min" % (r[3] / 10)
        if r[3] is not None and cfg.get("units") == "mmol":
            trend = "%+.2f mmol/L/min (%s)" % (r[3] / 10 / MMOL, trend)
        # as the box's screen shows it: "LOW" under 40 mg/dL and "HIGH" over 400 (a
        # Dexcom's 39 means "under 40", not 39), and mmol/L with mg/dL beside it
        from screen.view import big
        mmol = cfg.get("units") == "mmol"
        shown = big(r[2], "mmol" if mmol else "mg/dl")
        if shown == "LOW" or shown == "HIGH":
            word, mg = ("under", 40) if shown == "LOW" else ("over", 400)
            unit = ""
            note = (" (%s %s mmol/L, %d mg/dL)" % (word, mmol_text(mg), mg) if mmol
                    else " (%s %d mg/dL)" % (word, mg))
        else:
            unit, note = (" mmol/L", " (%d mg/dL)" % r[2]) if mmol else (" mg/dL", "")
        # older than the alarms' stale bound: crossed out, without its arrow, as on the
        # screen (a large number and arrow read as the glucose now; the age is small print)
        age, stale_s = state.get("reading_age_s"), state.get("stale_s")
        old = age is not None and stale_s is not None and age > stale_s
        yield "<p><span class=big id=sgv>%s</span>%s <span class=big id=arrow>%s</span>%s</p>" % (
            "<s>%s</s>" % shown if old else shown, unit, "" if old else arrow(r[3]), note)
        yield "<p>Trend <span id=trend>%s</span>, %s (%s).</p>" % (trend, _reading_ago(state, r), esc(r[5]))
    yield "</section><section id=alarms><h2>Alarms</h2>"
    alarms = state.get("alarms") or []
    if not alarms:
        yield "<p id=no-alarms>No active alarm.</p>"
    else:
        yield "<table>"
        for a in alarms:
            reasons, status = a.get("reasons") or [a.get("reason") or ""], a.get("status")
            reason = ", ".join(reasons)
            leader = state.get("leader")
            if leader and a.get("type") == "link" and "leader_unanswered" in reasons:
                from screen.view import titled   # the leader's alarm, in the screen's words
                reason += " (at the leader box: %s)" % titled(*leader)
            if a.get("type") == "link" and "no_transmitter" in reasons and state.get("link_heard"):
                # as the screen says it (main.App.shown): moving the box nearer may not help
                reason += (" (heard, unread: the transmitter answered at each wake-up, but no "
                           "reading came; see Transmitter below)")
            if a.get("type") == "device" and "link_code" in reasons:   # (link.core _CODE_FAULTS)
                reason += " (a fault of the box's own code that reads the transmitter; see Transmitter below)"
            if status == "snoozed":   # held to 08:00 (told at night, or pressed): as the screen says
                from screen.view import TILL_MORNING
                if a.get("type") in TILL_MORNING:
                    status = "till morning"
            yield "<tr class=%s><td>%s</td><td>%s priority</td><td>%s</td><td>%s</td></tr>" % (
                esc(a.get("priority")), esc(a.get("type")), esc(a.get("priority")),
                esc(status), esc(reason) if reason else "")
        yield "</table>"
    yield "</section><section id=links><h2>Connections</h2><table>"
    if cfg.get("role") == "follower":   # no transmitter of its own: what it follows
        yield "<tr><td>Follows</td><td id=follow>%s</td></tr>" % _follows(cfg, state)
        yield "<tr><td>Sounds</td><td id=follow-sound>%s</td></tr>" % _follow_sound(cfg, state)
    else:
        yield "<tr><td>Transmitter</td><td id=link>%s</td></tr>" % _transmitter(cfg, state)
        kind = state.get("sensor")
        if kind:
            words = _SENSOR_WORDS[_SENSOR.index(kind)] if kind in _SENSOR else kind
            yield "<tr><td>Sensor</td><td id=sensor>%s</td></tr>" % esc(words)
    left = state.get("session_left_s")
    if left is not None:
        yield "<tr><td>Sensor session</td><td id=session>%s</td></tr>" % _session(left, state.get("session_end_minute"))
    yield "<tr><td>Wi-Fi</td><td id=wifi>%s</td></tr>" % _wifi(cfg, state)
    failing = [r for a in alarms if a.get("type") == "forwarding"
               for r in (a.get("reasons") or [a.get("reason") or ""])]
    ns = (cfg.get("nightscout") or {}).get("url")
    yield "<tr><td>Nightscout</td><td id=nightscout>%s</td></tr>" % (
        "off" if not ns else esc(_host(ns)) + _forward_state(
            any(r.startswith("nightscout") for r in failing), state.get("nightscout_why")))
    mq = (cfg.get("mqtt") or {}).get("host")
    yield "<tr><td>MQTT</td><td id=mqtt>%s</td></tr>" % (
        "off" if not mq else esc(mq) + _forward_state(
            any(r.startswith("mqtt_") for r in failing), state.get("mqtt_why")))
    if ap and ap.get("open"):
        yield "<tr><td>Setup access point</td><td id=ap>%s open, closes in %d min</td></tr>" % (
            esc(ap.get("essid")), (ap.get("closes_in_s") or 0) // 60)
        if state.get("captive_dns_error"):
            yield ("<tr><td>Automatic page opening</td><td id=captive-dns class=err>not working "
                   "(%s): phones will not open this page by themselves; browse to "
                   "http://%s/</td></tr>") % (esc(state["captive_dns_error"]), esc(ap.get("address") or "the box"))
    yield "</table></section><section id=thresholds><h2>Alarm settings</h2><table>"
    al = cfg.get("alarms") or {}
    units = cfg.get("units")
    for key, enable, label in form.THRESHOLDS:
        on = enable is None or al.get(enable, True)
        yield "<tr><td>%s</td><td id=th-%s>%s</td></tr>" % (
            label, key, _glucose(al.get(key), units) if on else "off")
    yield "<tr><td>Volume</td><td id=th-volume>%s %%</td></tr>" % esc(al.get("volume", 100))
    yield from _optional(al, units)
    for e in al.get("schedule") or []:
        if isinstance(e.get("start"), int) and isinstance(e.get("end"), int):
            over = [_override(e, k, units) for k in form.SCHEDULE_FIELDS
                    if k in e or k + "_enabled" in e]
            if "volume" in e:
                over.append("volume %s %%" % esc(e["volume"]))
            over = ", ".join(over)
            yield "<tr><td>%s&ndash;%s</td><td>%s</td></tr>" % (
                form.hhmm(e["start"]), form.hhmm(e["end"]), over or "no change")
    mod = state.get("minute_of_day")
    if mod is not None:
        yield "<tr><td>Time of day on the box</td><td id=box-time>%s</td></tr>" % form.hhmm(int(mod))
    step = state.get("time_disputed_s")
    if step:
        yield ("<tr><td colspan=2 class=err id=time-disputed>A time server says the time is %s "
               "%s the box's clock; the transmitter's clock agrees with the box's, so the box "
               "kept its own. If the box's time is wrong, save the settings from a phone: that "
               "sets its clock.</td></tr>") % (_days_hours(abs(step)), "ahead of" if step > 0 else "behind")
    if al.get("schedule") and state.get("now_unix") is None:
        yield ("<tr><td colspan=2 class=err id=clock-unknown>The box does not know the time of "
               "day, so these schedules are not in use: connect it to Wi-Fi, or save the "
               "settings from a phone (that sets its clock).</td></tr>")
    yield "</table></section><p><a href=/settings id=change>Change settings</a></p>"
    yield from tail()


def _days_hours(s):
    """A step of a day or more in words: "4748 days", "2 days 3 h"."""
    d, h = int(s) // 86400, int(s) % 86400 // 3600
    return "%d days" % d + (" %d h" % h if h else "")


def _glucose(mg, units):
    """A threshold as the family reads glucose: "3.9 mmol/L (70 mg/dL)", "70 mg/dL"."""
    if units != "mmol" or not isinstance(mg, (int, float)) or isinstance(mg, bool):
        return "%s mg/dL" % esc(mg)
    return "%s mmol/L (%s mg/dL)" % (num.glucose_text(mg, units), esc(mg))


def _optional(al, units):
    """Rows for the optional alarms set otherwise than by default."""
    if al.get("urgent_low_soon") is False:
        yield "<tr><td>Predicted urgent low</td><td id=th-urgent_low_soon>off</td></tr>"
    for kind, label in (("fall", "Falling fast"), ("rise", "Rising fast")):
        rate = al.get(kind + "_rate")
        if al.get(kind + "_enabled") is True and isinstance(rate, (int, float)):
            text = "faster than %s %s" % (num.rate_text(rate, units), num.unit("fall_rate", units))
            if units == "mmol":
                text += " (%s mg/dL/min)" % rate
            yield "<tr><td>%s</td><td id=th-%s>%s</td></tr>" % (label, kind, text)
    if al.get("persistent_high_enabled") is True:
        yield "<tr><td>Persistent high</td><td id=th-persistent_high>above %s for %s min</td></tr>" % (
            _glucose(al.get("persistent_high"), units), esc(al.get("persistent_high_minutes")))


def _override(entry, kind, units):
    """"low 80" (a threshold turns its alarm on: alarms.settings.effective), "low off"."""
    on = entry.get(kind + "_enabled")
    if on is False:
        return kind.replace("_", " ") + " off"
    return "%s %s" % (kind.replace("_", " "),
                      _glucose(entry[kind], units) if kind in entry else "on")


def _transmitter(cfg, state):
    tx = cfg.get("transmitter_id") or ""
    # Only the last two characters: the ID is all a stranger needs to pair with it.
    name = ("&hellip;" + esc(tx[-2:])) if tx else "not set"
    link = state.get("link")
    why = state.get("link_reason")   # how the last session ended ("bad message: ..."), if not well
    return "%s, %s%s" % (name, esc(link) if link else "no contact yet",
                         " (last session: %s)" % esc(why) if why and why != "done" else "")


def _follows(cfg, state):
    """A follower box's source: its host (as Nightscout's, no credentials), the
    newest reading it gave, why the last request failed, whether it fell silent."""
    url = (cfg.get("follow") or {}).get("url")
    fo = state.get("follow") or {}
    t = fo.get("last_entry_unix")
    text = "%s, %s" % (esc(_host(url)) if url else "not set",
                       "no reading yet" if t is None else "newest reading " + _ago(state.get("now_unix"), t))
    if fo.get("last_error"):
        text += " &mdash; failing (%s)" % esc(fo["last_error"])
    if fo.get("silent"):
        text += " &mdash; no new reading for too long (link alarm)"
    return text


def _follow_sound(cfg, state):
    """follow.sound, and with "unanswered" whether the leader box's word is known
    now (alarms.gate: when it is not, this box sounds every alarm itself)."""
    if (cfg.get("follow") or {}).get("sound") != "unanswered":
        return "every alarm"
    text = "only the alarms the leader box leaves unanswered"
    age = state.get("leader_age_s")
    if age is not None:
        return text + " (its last report %s)" % _ago(age, 0)
    why = (state.get("follow") or {}).get("alarms_error")
    return text + "; its word is not known now%s: every alarm sounds here" % (
        " (%s)" % esc(why) if why else "")


def _session(left, end_mod):
    """The sensor session's end: "ends in 17 h 20 min, about 03:12" (the local time of
    day of the end, setup.web's session_end_minute, only when the box knows it); the
    length is the generation's (dexcom.glucose)."""
    if left <= 0:
        return "ended by the box's count (10 days, a G5's 7)"
    m = left // 60
    if m >= 2880:
        span = "%d days %d h" % (m // 1440, m % 1440 // 60)
    else:
        span = "%d h %d min" % (m // 60, m % 60)
    return "ends in %s%s" % (span, "" if end_mod is None else ", about " + form.hhmm(end_mod))


def _forward_state(failing, why):
    """After a server's name: whether its `forwarding` alarm is on, and what stopped
    the last try (an expired certificate, a refused secret), which only the log said before."""
    if failing:
        return " &mdash; failing: " + esc(why) if why else " &mdash; failing"
    return " &mdash; retrying: " + esc(why) if why else ""


def _wifi(cfg, state):
    if not cfg.get("wifi"):
        return "not configured"
    up = state.get("wifi")
    if up and state.get("wifi_address"):
        # over the box's own access point, where the family finds the box at home afterwards
        name = cfg.get("hostname")
        return "connected, at %shttp://%s/" % (
            ("http://%s.local/ or " % esc(name)) if name else "", esc(state["wifi_address"]))
    if up:
        return "connected"
    if up is None:
        return "unknown"
    why = state.get("wifi_why")   # each network's last failure: a changed router password shows here
    return "not connected: " + esc(why) if why else "not connected"


def _host(url):
    rest = url.split("//", 1)[-1]
    return rest.split("/", 1)[0].split("@")[-1].split("?")[0]


def signin_page(message=None):
    yield from head("Sign in - CGM alarm")
    yield "<h1>Change settings</h1>"
    if message:
        yield "<p class=err id=signin-error>%s</p>" % esc(message)
    yield ("<form method=post action=/settings><label>Admin password "
           "<input type=password name=password id=password autocomplete=current-password></label>"
           "<button id=signin>Sign in</button></form>"
           "<p class=note>Reading the status needs no password: <a href=/>status</a>.</p>")
    yield from tail()


# The settings form sends the phone's clock with a save (hidden fields this
# script fills): the wall clock of a box with no network time (main wiring
# decides whether to use it), and the phone's offsets from UTC (now, 1 January and
# 1 July: its summer time), which the save compares with the time zone set
# (setup/form.zone_mismatch). The page's Content-Security-Policy allows this one
# script by its hash (setup/web.py HEADERS); host_tests check the hash.
CLOCK_SCRIPT = ("var c=document.getElementById('phone_ms'),"
                "z=document.getElementById('phone_offset_min');"
                "c.form.addEventListener('submit',function(){var d=new Date(),y=d.getFullYear();"
                "c.value=d.getTime();z.value=[d,new Date(y,0,1),new Date(y,6,1)].map("
                "function(t){return -t.getTimezoneOffset()}).join()})")
CLOCK_SCRIPT_SHA256 = "yV85v4QfUJTG8+Gcs8HPaOzo+xR8vemmM88Kmusxu1k="

# Common rules for the time-zone field (any other: the last line of the zone's
# tzdata file, e.g. `tail -1 /usr/share/zoneinfo/America/Denver`). British Columbia,
# Alberta and Manitoba no longer go back in November (from 2026-11-01, tzdata 2026.6): the
# US rules no longer hold there (host_tests/test_localtime_zones.py checks each label)
ZONES = (("GMT0BST,M3.5.0/1,M10.5.0", "London, Dublin, Lisbon"),
         ("CET-1CEST,M3.5.0,M10.5.0/3", "Berlin, Paris, Madrid, Rome, Stockholm"),
         ("EET-2EEST,M3.5.0/3,M10.5.0/4", "Helsinki, Athens, Kyiv"),
         ("EST5EDT,M3.2.0,M11.1.0", "US and Canada Eastern"),
         ("EST5", "Manitoba"),
         ("CST6CDT,M3.2.0,M11.1.0", "US Central"),
         ("CST6", "Alberta, Saskatchewan"),
         ("MST7MDT,M3.2.0,M11.1.0", "US Mountain"),
         ("MST7", "Arizona, British Columbia, Yukon"),
         ("PST8PDT,M3.2.0,M11.1.0", "US Pacific"),
         ("AEST-10AEDT,M10.1.0,M4.1.0/3", "Sydney, Melbourne, Canberra"),
         ("NZST-12NZDT,M9.5.0,M4.1.0/3", "New Zealand"))


# for a text field that holds a name or an address, not words: a phone's keyboard
# otherwise capitalises its first letter ("Netgear42" for netgear42 never joins) or
# "corrects" it
_PLAIN = const(" autocapitalize=off autocorrect=off spellcheck=false")


def _err(name, e):
    return "<span class=err id='err-%s'>%s</span>" % (esc(name), esc(e)) if e else ""


_FOCUS = const("_focus")   # in a refused form's errors (settings_page's copy) until a field takes it


def _bad(errors, e, attrs):
    """The attributes of a field with a problem: the first of the page also autofocus, so a
    phone opens the refused form there, not at its top, up to 60 fields above."""
    return (attrs + (" autofocus" if errors.pop(_FOCUS, False) else "")) if e else ""


def _input(name, label, values, errors, kind="text", extra="", note=""):
    e = errors.get(name)
    return ("<label>%s <input type=%s name='%s' id='%s' value='%s'%s%s>%s%s</label>" % (
        esc(label), kind, esc(name), esc(name), esc(values.get(name, "")),
        _bad(errors, e, " class=bad aria-invalid=true"), extra,
        (" <span class=note>%s</span>" % note) if note else "", _err(name, e)))


HELD = "typed: kept for the next save"   # a secret typed into a refused save (setup.web)


def _secret(name, label, cfg, errors, values, held, clear=False):
    e = errors.get(name)
    stored = form.secret_is_set(cfg, name)
    state = HELD if name in held else "set" if stored else "not set"
    s = ("<label>%s <input type=password name='%s' id='%s' autocomplete=new-password "
         "placeholder='blank: keep'%s> <span class=note id='state-%s'>%s</span>%s</label>" % (
             esc(label), esc(name), esc(name), _bad(errors, e, " class=bad"), esc(name), state,
             _err(name, e)))
    if clear and stored:
        s += "<label><input type=checkbox name='%s.clear' id='%s.clear'%s> remove it</label>" % (
            esc(name), esc(name), " checked" if values.get(name + ".clear") else "")
    return s


def _options(value, options):
    for opt, text in options:
        yield "<option value=%s%s>%s</option>" % (opt, " selected" if value == opt else "", text)


def _check(name, label, values, errors):
    return "<label><input type=checkbox name='%s' id='%s'%s> %s%s</label>" % (
        esc(name), esc(name), " checked" if values.get(name) == "on" else "", esc(label),
        _err(name, errors.get(name)))


def _bounds(key, units, sep="-"):
    spec = DEFAULTS[key]
    return num.shown(key, spec[1], units) + sep + num.shown(key, spec[2], units)


def _setting(key, label, values, errors, units):
    """A field of "More alarm settings": a checkbox, or a number with its range."""
    name = "alarms." + key
    if form.is_switch(key):
        return _check(name, label, values, errors)
    # a decimal as text, as the thresholds in mmol/L (settings_page): a comma is not lost
    decimal = key in num.RATE_KEYS or key in num.GLUCOSE_KEYS and units == "mmol"
    return _input(name, label, values, errors, "text" if decimal else "number",
                  " inputmode=decimal" if decimal else "",
                  note=(_bounds(key, units) + " " + num.unit(key, units)).strip())


def _more(values, errors, units):
    yield "<input type=hidden name=%s value=1>" % form.MORE_SHOWN
    yield "<fieldset><legend>More alarm settings</legend>"
    for key, label in form.MORE:
        yield _setting(key, label, values, errors, units)
    yield ("<p class=note>The urgent low and no data alarms cannot be turned off. A schedule's "
           "volume (below) replaces this one in its hours. The volume quietens only a fresh "
           "medium or low priority alarm: an urgent low or a predicted one, and any alarm left "
           "unanswered, sound at their own loudness.</p><p><b>Snooze of a short press, "
           "minutes</b></p>")
    for key, label in form.SNOOZES:
        yield _setting(key, label, values, errors, units)
    yield "</fieldset>"


def _pairs(*a):
    # (a call's strings are the module's own constants; a constant tuple holds its own copies)
    for i in range(0, len(a), 2):
        yield a[i], a[i + 1]


def _in_order():
    """(name, label) of every field of settings_page, in its order, as a parent reads them."""
    yield from _pairs("transmitter_id", "Transmitter ID", "slot", "Slot", "units", "Glucose units",
                      "role", "This box", "follow.url", "Follows", "follow.api_secret",
                      "Its API secret", "follow.token", "or its access token", "follow.ca_file", "Its CA certificate file", "follow.poll_s",
                      "Ask every, seconds", "follow.silent_min", "Silent after, minutes",
                      "follow.sound", "Sounds")
    for key, enable, label in form.THRESHOLDS:
        yield "alarms." + key, label
        if enable:
            yield "alarms." + enable, label + " alarm on"
    for key, label in form.MORE:
        yield "alarms." + key, label
    for key, label in form.SNOOZES:
        yield "alarms." + key, label + " snooze"
    yield from _pairs("tz", "Time zone with summer time", "utc_offset_min",
                      "Local time minus UTC, minutes")
    for row in range(form.SCHEDULE_ROWS):
        for key, label in _pairs("on", "use this schedule", "start", "From", "end", "To", "low",
                                 "Low", "high", "High", "urgent_high", "Urgent high", "volume",
                                 "Volume, %"):
            yield "alarms.schedule[%d].%s" % (row, key), "Schedule %d: %s" % (row + 1, label)
    for i in range(form.WIFI_ROWS):
        yield "wifi[%d].ssid" % i, "Network %d name" % (i + 1)
        yield "wifi[%d].password" % i, "Network %d password" % (i + 1)
    yield from _pairs(
        "hostname", "The box's name at home", "nightscout.url", "Nightscout URL",
        "nightscout.api_secret", "Nightscout API secret", "nightscout.token",
        "or a Nightscout access token", "nightscout.ca_file",
        "CA certificate file", "nightscout.allow_http",
        "allow http:// (a server on your own network)", "mqtt.host", "MQTT host", "mqtt.port",
        "MQTT port", "mqtt.user", "MQTT user", "mqtt.password", "MQTT password",
        "alarms.forwarding", "low-priority alarm when forwarding fails", form.ADMIN_NEW,
        "New admin password", form.ADMIN_REPEAT, "New admin password, repeated")


def settings_page(cfg, token, values, errors, first_time=False, networks=(), problems=(), held=()):
    """The settings form. values: {field: text} (form.values_from_config or what
    was sent); errors: {field: message} (form.GENERAL for the rest); problems:
    app.config.load's list for the configuration in use (shown until a save); held:
    the secret fields typed into a refused save, which a blank keeps (setup.web)."""
    yield from head("Settings - CGM alarm")
    yield "<h1>Settings</h1>"
    yield from config_problems(problems)
    if errors:
        # named, each a link to its field: a phone that ignores autofocus (_bad) opens the
        # page at its top, 60 fields above the first problem
        named = ", ".join("<a href='#%s'>%s</a>" % (esc(n), esc(label))
                          for n, label in _in_order() if n in errors)
        yield ("<p class=err id=form-error>Nothing was saved: please correct the fields marked "
               "below%s.</p>") % (" (%s)" % named if named else "")
        if errors.get(form.GENERAL):
            yield "<p class=err id='err-%s'>%s</p>" % (form.GENERAL, esc(errors[form.GENERAL]))
        errors = dict(errors)
        errors[_FOCUS] = True
    yield "<form method=post action=/save><input type=hidden name=token value='%s'>" % esc(token)
    yield ("<input type=hidden name=phone_ms id=phone_ms><input type=hidden name=phone_offset_min "
           "id=phone_offset_min><input type=hidden name=%s value='%s'><script>%s</script>") % (
        form.ZONE_CHECKED, esc(values.get(form.ZONE_CHECKED, "")), CLOCK_SCRIPT)
    yield "<fieldset><legend>Transmitter</legend>"
    yield _input("transmitter_id", "Transmitter ID", values, errors, extra=" maxlength=6",
                 note="6 letters and digits, printed on the transmitter")
    slot = values.get("slot", "receiver")
    yield "<label>Slot <select name=slot id=slot>"
    yield from _options(slot, (("receiver", "receiver (the phone app keeps working; not beside a Dexcom receiver or a pump that reads the CGM)"),
                               ("phone", "phone (instead of the phone app)")))
    yield "</select>%s</label>" % _err("slot", errors.get("slot"))
    yield "<label>Glucose units <select name=units id=units>"
    yield from _options(values.get("units", "mg/dl"), (("mg/dl", "mg/dL"), ("mmol", "mmol/L")))
    yield "</select> <span class=note>the screen's, the pages' and the thresholds' below</span>%s</label></fieldset>" % _err("units", errors.get("units"))
    yield "<fieldset><legend>Leader or follower box</legend><label>This box <select name=role id=role>"
    yield from _options(values.get("role", "leader"), (("leader", "reads the transmitter (a leader)"),
                                                       ("follower", "follows another box or a Nightscout")))
    yield "</select>%s</label>" % _err("role", errors.get("role"))
    yield _input("follow.url", "Follows", values, errors, extra=" size=30" + _PLAIN,
                 note="a follower's: the leader box's http://cgm-alarm-XXXX.local:17580, or a Nightscout's https://...")
    yield _secret("follow.api_secret", "Its API secret", cfg, errors, values, held, clear=True)
    yield _secret("follow.token", "or its access token", cfg, errors, values, held, clear=True)
    yield _input("follow.ca_file", "Its CA certificate file", values, errors, extra=_PLAIN,
                 note="on the box, for https:// (e.g. ca.pem)")
    yield _input("follow.poll_s", "Ask every, seconds", values, errors, "number")
    yield _input("follow.silent_min", "Silent after, minutes", values, errors, "number",
                 note="6-60: nothing heard this long (a new reading; with only what goes "
                      "unanswered, the leader's alarms too) sounds the link alarm")
    yield "<label>Sounds <select name=follow.sound id=follow.sound>"
    yield from _options(values.get("follow.sound", "all"), (("all", "every alarm"),
                                                            ("unanswered", "only what goes unanswered at the leader box")))
    yield "</select>%s</label></fieldset>" % _err("follow.sound", errors.get("follow.sound"))
    units = num.shown_units(values)
    unit = "mmol/L" if units == "mmol" else "mg/dL"
    # decimals as text: a number field of a browser whose language writes "3,9" could
    # send it blank (a schedule's "as above") or as 39; the box reads either mark
    kind = "text" if units == "mmol" else "number"
    number = " inputmode=decimal" if units == "mmol" else ""
    yield "<input type=hidden name=%s value='%s'>" % (num.SHOWN_UNITS, units)
    yield "<fieldset><legend>Alarm thresholds (%s)</legend>" % unit
    for key, enable, label in form.THRESHOLDS:
        yield _input("alarms." + key, label, values, errors, kind, number)
        if enable:
            yield _check("alarms." + enable, label + " alarm on", values, errors)
    yield ("<p class=note id=threshold-bounds>The urgent low alarm cannot be turned off (%s %s). "
           "Low %s, high %s, urgent high %s and above high.</p></fieldset>") % (
        _bounds("urgent_low", units, " to "), unit, _bounds("low", units),
        _bounds("high", units), _bounds("urgent_high", units))
    yield from _more(values, errors, units)
    yield "<fieldset><legend>Schedules (e.g. night)</legend>"
    yield ("<p class=note id=schedule-on>A low, high or urgent high set in a schedule turns "
           "that alarm on for the schedule's hours, also when it is off above.</p>")
    yield ("<p class=note>Schedules need the time of day: the box takes it from the Internet "
           "(NTP), or, without Wi-Fi, from this phone each time the settings are saved, and keeps "
           "it through a power cut from the transmitter's own clock.</p>")
    yield _input("tz", "Time zone with summer time", values, errors, extra=" list=zones" + _PLAIN,
                 note="pick or type a POSIX rule; blank: the offset below all year")
    yield "<datalist id=zones>%s</datalist>" % "".join(
        "<option value='%s'>%s</option>" % z for z in ZONES)
    yield _input("utc_offset_min", "Local time minus UTC, minutes", values, errors, "number",
                 note="used only when the time zone above is blank")
    for row in range(form.SCHEDULE_ROWS):
        p = "alarms.schedule[%d]." % row
        yield "<p><b>Schedule %d</b></p>" % (row + 1)
        yield _check(p + "on", "use this schedule", values, errors)
        yield _input(p + "start", "From (HH:MM)", values, errors, extra=" placeholder=22:00")
        yield _input(p + "end", "To (HH:MM)", values, errors, extra=" placeholder=07:00")
        for key, label in zip(form.SCHEDULE_FIELDS, ("Low", "High", "Urgent high")):
            yield _input(p + key, label, values, errors, kind, number, note="blank: as above")
        yield _input(p + "volume", "Volume, %", values, errors, "number",
                     note="blank: as above (%s)" % _bounds("volume", units))
    yield "</fieldset><fieldset><legend>Wi-Fi networks</legend>"
    if networks:
        yield "<datalist id=nets>%s</datalist>" % "".join(
            "<option value='%s'>" % esc(n) for n in networks)
        yield "<p class=note>In range: %s</p>" % esc(", ".join(networks))
    for i in range(form.WIFI_ROWS):
        yield _input("wifi[%d].ssid" % i, "Network %d name" % (i + 1), values, errors,
                     extra=(" list=nets" if networks else "") + _PLAIN)
        yield _secret("wifi[%d].password" % i, "password", cfg, errors, values, held)
    yield ("<p class=note>A blank password keeps the stored one of the same network. "
           "Clear a name to forget the network.</p>")
    yield _input("hostname", "The box's name at home", values, errors, extra=" maxlength=32" + _PLAIN,
                 note="a-z 0-9 -: the box answers at http://&lt;name&gt;.local/; blank: "
                      "its own, cgm-alarm-XXXX as its Wi-Fi CGM-Alarm-XXXX")
    yield "</fieldset>"
    yield "<fieldset><legend>Forwarding</legend>"
    yield _input("nightscout.url", "Nightscout URL", values, errors, extra=" size=30" + _PLAIN,
                 note="https://...")
    yield _secret("nightscout.api_secret", "Nightscout API secret", cfg, errors, values, held, clear=True)
    yield _secret("nightscout.token", "or a Nightscout access token", cfg, errors, values, held, clear=True)
    yield _input("nightscout.ca_file", "CA certificate file", values, errors, extra=_PLAIN,
                 note="on the box, for https:// (e.g. ca.pem)")
    yield _check("nightscout.allow_http", "allow http:// (a server on your own network)",
                 values, errors)
    yield _input("mqtt.host", "MQTT host", values, errors, extra=_PLAIN, note="blank: off")
    yield _input("mqtt.port", "MQTT port", values, errors, "number")
    yield _input("mqtt.user", "MQTT user", values, errors, extra=_PLAIN)
    yield _secret("mqtt.password", "MQTT password", cfg, errors, values, held, clear=True)
    yield _check("alarms.forwarding", "low-priority alarm when forwarding fails", values, errors)
    yield "</fieldset><fieldset><legend>Admin password</legend>"
    if first_time:
        yield "<p class=note id=first-time>No admin password yet: set one now (8 to 64 characters).</p>"
    else:
        yield "<p class=note>Leave blank to keep the current one.</p>"
    for name, label in ((form.ADMIN_NEW, "New admin password"), (form.ADMIN_REPEAT, "Repeat it")):
        e = errors.get(name)
        yield ("<label>%s <input type=password name=%s id=%s autocomplete=new-password%s>%s%s</label>" % (
            label, name, name, _bad(errors, e, " class=bad"),
            " <span class=note id='state-%s'>%s</span>" % (name, HELD) if name in held else "", _err(name, e)))
    yield "</fieldset><button id=save>Save</button> <a href=/>cancel</a></form>"
    yield from tail()


def saved_page(missing=(), hostname=None):
    yield from head("Saved - CGM alarm")
    yield "<h1>Settings</h1><p class=ok id=saved>Saved.</p>"
    # the restart closes the box's own access point: say so, and how to find it again
    yield ("<p id=restart>The box restarts in a few seconds to apply them (a chirp). On your home "
           "Wi-Fi it is at %shttp://&lt;its address&gt;/ (its status page and your router's list "
           "of devices show the address); hold its button for 6 s to open its own access point "
           "again.</p>") % (("<b id=box-name>http://%s.local/</b> or " % esc(hostname)) if hostname else "")
    for m in missing:
        yield "<p class=err>%s</p>" % esc(m)
    yield "<p><a href=/ id=status>Back to the status</a></p>"
    yield from tail()


def message_page(title, text, status_id="message"):
    yield from head(title)
    yield "<h1>%s</h1><p class=err id=%s>%s</p><p><a href=/>status</a></p>" % (
        esc(title), status_id, esc(text))
    yield from tail()
