# The setup form <-> configuration mapping and the page HTML (firmware/setup/
# form.py, page.py): pure, on CPython and MicroPython.
from app import config
from setup import form, page

SECRETS = ("wifi-pass-1", "ns-secret-123456", "mqtt-pass-9", "admin-pass-1")


def _stored():
    cfg, problems = config.validate({
        "transmitter_id": "8G1234", "admin_password": SECRETS[3],
        "wifi": [{"ssid": "home", "password": SECRETS[0]}, {"ssid": "open-net", "password": ""}],
        "nightscout": {"url": "https://ns.example.org", "api_secret": SECRETS[1],
                       "ca_file": "ca.pem"},
        "mqtt": {"host": "broker", "password": SECRETS[2], "user": "me"},
        "alarms": {"low": 75, "schedule": [{"start": 1320, "end": 420, "high": 280, "volume": 50}],
                   "volume": 80, "urgent_low_soon": False, "fall_enabled": True, "fall_rate": 2.5,
                   "persistent_high_enabled": True, "persistent_high": 200, "high_snooze": 90,
                   "no_data_minutes": 30}})
    assert problems == [], problems
    return cfg


def _fields(cfg, **changes):
    """What the browser would post for the unchanged form, with changes."""
    f = form.values_from_config(cfg)
    for k, v in changes.items():
        f[k.replace("__", ".").replace("_I0_", "[0]")] = v
    return f


def _page(gen):
    return "".join(gen)


def test_parse_urlencoded():
    got = form.parse_urlencoded(b"a=1&b=x+y&c=%C3%A9t%C3%A9&d=%zz&e&alarms.schedule%5B0%5D.on=on")
    assert got == {"a": "1", "b": "x y", "c": "\u00e9t\u00e9", "d": "%zz", "e": "",
                   "alarms.schedule[0].on": "on"}


def test_unchanged_form_gives_the_same_config():
    cfg = _stored()
    f = _fields(cfg)
    # every alarm setting of "More alarm settings" is on the form, as stored
    assert (f["alarms.volume"], f["alarms.schedule[0].volume"], f["alarms.fall_rate"],
            f["alarms.persistent_high"], f["alarms.high_snooze"], f["alarms.no_data_minutes"],
            f["alarms.urgent_low_soon_minutes"], f["alarms.rise_rate"]) == (
        "80", "50", "2.5", "200", "90", "30", "20", "3.0")
    assert f["alarms.fall_enabled"] == f["alarms.persistent_high_enabled"] == "on"
    assert "alarms.urgent_low_soon" not in f and "alarms.rise_enabled" not in f   # off
    new, errors, _ = form.apply(cfg, f)
    assert errors == {}
    clean, problems = config.validate(new)
    assert problems == []
    assert clean == cfg   # secrets kept, the schedule's other overrides kept


def test_secrets_blank_keeps_clear_removes_new_replaces():
    cfg = _stored()
    f = _fields(cfg)
    f["nightscout.api_secret.clear"] = "on"
    f["mqtt.password"] = "new-mqtt-pass"
    f["wifi[0].ssid"] = "other"          # another network: the old password is not carried over
    f["wifi[0].password"] = "other-pass-1"
    new, errors, _ = form.apply(cfg, f)
    assert errors == {}
    assert new["nightscout"]["api_secret"] == ""
    assert new["mqtt"]["password"] == "new-mqtt-pass"
    assert new["wifi"] == [{"ssid": "other", "password": "other-pass-1"},
                           {"ssid": "open-net", "password": ""}]
    f = _fields(cfg)
    f["wifi[0].ssid"] = ""               # forget the first network, keep the second
    new, errors, _ = form.apply(cfg, f)
    assert new["wifi"] == [{"ssid": "open-net", "password": ""}]


def test_renamed_network_with_blank_password_is_not_saved_as_an_open_network():
    # The row showed "password: set (blank: keep)"; the family fixes a typo in the
    # name and leaves the password blank. Saved as an open network, the box would
    # lose the Wi-Fi (and the page on it) with nothing said.
    cfg = _stored()
    f = _fields(cfg)
    f["wifi[0].ssid"] = "home-5G"
    _, errors, _ = form.apply(cfg, f)
    assert "type the password" in errors["wifi[0].password"], errors
    html = _page(page.settings_page(cfg, "tok", f, errors))
    assert "id='err-wifi[0].password'>type the password" in html
    # swapped rows keep each network's password by name
    f = _fields(cfg)
    f["wifi[0].ssid"], f["wifi[1].ssid"] = "open-net", "home"
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["wifi"] == [{"ssid": "open-net", "password": ""},
                                            {"ssid": "home", "password": SECRETS[0]}]
    # an open network in a new row, or renaming a row that had no password: fine
    f = _fields(cfg)
    f["wifi[2].ssid"] = "cafe"
    f["wifi[1].ssid"] = "open-net-2"
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["wifi"][1:] == [{"ssid": "open-net-2", "password": ""},
                                                {"ssid": "cafe", "password": ""}]


def test_a_network_name_with_spaces_around_it_is_saved_back_as_it_is():
    # before: config.json may hold " home " (a name may start or end with a space), the
    # form stripped it: an unchanged save was refused ("type the password"), and with the
    # password typed the box was set to join "home", a network that is not there
    # (found by test_setup_form_properties.py's round trip)
    cfg, problems = config.validate({"wifi": [{"ssid": " home ", "password": SECRETS[0]}]})
    assert problems == []
    f = form.values_from_config(cfg)
    assert f["wifi[0].ssid"] == " home "
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["wifi"] == cfg["wifi"]
    f["wifi[1].ssid"] = " cafe "   # a name typed in: a phone's space around it dropped
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["wifi"][1] == {"ssid": "cafe", "password": ""}


def test_an_mqtt_user_and_certificate_paths_with_spaces_around_them_are_saved_back_as_they_are():
    # (helper-308's leftover) the same for the MQTT user and the two ca_file paths: an
    # unchanged save stripped a value config.json holds with a space at either end
    stored = {"nightscout": {"url": "https://ns.example", "api_secret": "a-long-secret-123",
                             "ca_file": " ns.pem "},
              "mqtt": {"host": "broker.lan", "user": " box "},
              "role": "follower",
              "follow": {"url": "https://leader.example", "api_secret": "a-long-secret-123",
                         "ca_file": " leader.pem "}}
    cfg, problems = config.validate(stored)
    assert problems == [], problems
    f = form.values_from_config(cfg)
    new, errors, _ = form.apply(cfg, f)
    assert errors == {}, errors
    got = (new["nightscout"]["ca_file"], new["mqtt"]["user"], new["follow"]["ca_file"])
    assert got == (" ns.pem ", " box ", " leader.pem "), got
    f["mqtt.user"] = " boxes "   # typed in: a phone's spaces around it dropped
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["mqtt"]["user"] == "boxes", (errors, new["mqtt"])


def test_two_rows_of_one_network_name_keep_each_its_own_password():
    # before: a save that did not touch the Wi-Fi gave every row of a name the password of
    # its last row (an open row of it became a secured one, an old password was lost)
    nets = [{"ssid": "home", "password": ""}, {"ssid": "home", "password": SECRETS[0]},
            {"ssid": "home", "password": "wifi-pass-2"}]
    cfg, problems = config.validate({"wifi": nets})
    assert problems == []
    new, errors, _ = form.apply(cfg, form.values_from_config(cfg))
    assert errors == {} and new["wifi"] == nets


def test_form_checks_and_first_time_password():
    cfg = config.defaults()
    f = form.values_from_config(cfg)
    f["alarms.low"] = "seventy"
    f["alarms.urgent_low"] = ""          # the floor cannot be removed
    f["alarms.schedule[1].on"] = "on"
    f["alarms.schedule[1].start"] = "25:00"
    f["alarms.schedule[1].end"] = "7:30"
    f["wifi[1].password"] = "orphan-pass"
    new, errors, _ = form.apply(cfg, f, have_password=False)
    assert errors["alarms.low"] == "must be a whole number"
    assert errors["alarms.urgent_low"] == "required"
    assert "HH:MM" in errors["alarms.schedule[1].start"]
    assert "alarms.schedule[1].end" not in errors
    assert "network name" in errors["wifi[1].ssid"]
    assert "admin password" in errors[form.ADMIN_NEW]
    f = form.values_from_config(cfg)
    f[form.ADMIN_NEW], f[form.ADMIN_REPEAT] = "first-pass-1", "first-pass-2"
    _, errors, _ = form.apply(cfg, f, have_password=False)
    assert list(errors) == [form.ADMIN_REPEAT]


def test_validate_problems_land_next_to_their_fields():
    cfg = _stored()
    f = _fields(cfg)
    f["alarms.low"] = "40"
    f["alarms.urgent_high"] = "200"        # below high (250)
    f["transmitter_id"] = "ABC"
    f["alarms.schedule[0].on"] = ""        # row 0 off: row 1 becomes the first saved entry
    f["alarms.schedule[1].on"] = "on"
    f["alarms.schedule[1].start"] = "08:00"
    f["alarms.schedule[1].end"] = "20:00"
    f["alarms.schedule[1].low"] = "150"
    f["nightscout.url"] = "ftp://x"
    f[form.ADMIN_NEW] = f[form.ADMIN_REPEAT] = "short"
    new, errors, sched = form.apply(cfg, f)
    assert errors == {} and sched["alarms.schedule"] == [1]
    clean, problems = config.validate(new)
    got = form.problems_to_fields(problems, sched, form.field_names())
    assert "60..100" in got["alarms.low"]
    assert "above high" in got["alarms.urgent_high"]
    assert "6 letters" in got["transmitter_id"]
    assert "60..100" in got["alarms.schedule[1].low"]
    assert "https://" in got["nightscout.url"]
    assert "8 to 64" in got[form.ADMIN_NEW]
    assert form.GENERAL not in got, got
    for msg in got.values():
        for s in SECRETS + ("short",):
            assert s not in msg
    # a problem about a key the form does not show goes to the general message
    got = form.problems_to_fields(["lan_api.port: must be a whole number from 1 to 65535"], [],
                                  form.field_names())
    assert got == {form.GENERAL: "lan_api.port: must be a whole number from 1 to 65535"}


def test_pages_never_show_secrets_and_escape_values():
    cfg = _stored()
    cfg["mqtt"]["host"] = "<script>x</script>"
    html = _page(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}))
    for s in SECRETS:
        assert s not in html
    # the page's one script is its own (page.CLOCK_SCRIPT); the value is escaped
    assert "<script>x" not in html and html.count("<script>") == 1 and "&lt;script&gt;" in html
    assert "id='state-nightscout.api_secret'>set<" in html
    assert "id='state-wifi[1].password'>not set<" in html
    state = {"last_reading": (100, 1000, 65, -25, 6, "live"), "now_unix": 1300,
             "alarms": [{"type": "low", "priority": "medium", "status": "sounding"}],
             "link": "authenticated", "wifi": True}
    html = _page(page.status_page(state, cfg))
    for s in SECRETS + ("8G1234",):
        assert s not in html
    assert "id=sgv>65<" in html and "-2.5 mg/dL/min" in html and "5 min ago" in html
    assert "id=arrow>&#8595;<" in html   # -2.5 mg/dL/min: SingleDown, as Nightscout draws it
    assert page.arrow(-34) == "&#8595;" and page.arrow(-35) == "&#8650;" and page.arrow(None) == "?"
    assert "<td>low</td>" in html and "id=wifi>connected<" in html
    html = _page(page.status_page({}, config.defaults()))
    assert "No reading yet" in html and "No active alarm" in html
    # a family that reads mmol/L (config units) sees it here too, as on the box's screen
    html = _page(page.status_page(state, dict(cfg, units="mmol")))
    assert "id=sgv>3.6<" in html and "mmol/L" in html and "(65 mg/dL)" in html


def test_forwarding_alarm_checkbox():
    cfg = _stored()
    assert form.values_from_config(cfg)["alarms.forwarding"] == "on"   # on by default
    f = _fields(cfg)
    del f["alarms.forwarding"]                 # an unticked box is not posted
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["alarms"]["forwarding"] is False
    clean = config.validate(new)[0]
    assert "alarms.forwarding" not in form.values_from_config(clean)
    assert "alarms.forwarding" in _page(page.settings_page(clean, "t0k", form.values_from_config(clean), {}))


def test_status_page_says_when_phones_will_not_open_it_by_themselves():
    cfg = _stored()
    ap = {"open": True, "essid": "CGM-alarm-1a2b", "address": "192.168.4.1", "closes_in_s": 600}
    html = _page(page.status_page({}, cfg, ap))
    assert "id=ap>CGM-alarm-1a2b open, closes in 10 min<" in html
    assert "captive-dns" not in html           # the DNS responder works: nothing to say
    state = {"captive_dns_error": "OSError(98,)"}
    html = _page(page.status_page(state, cfg, ap))
    assert "id=captive-dns" in html and "OSError(98,)" in html and "http://192.168.4.1/" in html
    closed = dict(ap, open=False)
    assert "captive-dns" not in _page(page.status_page(state, cfg, closed))  # AP closed: moot


def test_config_problems_are_shown_on_both_pages():
    # The device alarm (reason config) sounds for them: the page must say why.
    raw = {"transmitter_id": "8G1234", "alarms": {"low": "<i>90</i>", "hihg": 200},
           "mqtt": {"port": 0}}
    cfg, problems = config.validate(raw)
    assert problems
    html = _page(page.status_page({}, cfg, None, problems))
    assert "id=config-problems" in html and "alarms.hihg: unknown setting" in html
    assert "mqtt.port: must be a whole number" in html
    assert "<i>" not in html and "&lt;i&gt;90" in html   # escaped
    html = _page(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}, problems=problems))
    assert "id=config-problems" in html and "alarms.hihg: unknown setting" in html
    assert "config-problems" not in _page(page.status_page({}, cfg))


def test_the_units_select():
    cfg = _stored()
    f = _fields(cfg)
    assert f["units"] == "mg/dl"
    f["units"] = "mmol"
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["units"] == "mmol" and config.validate(new)[1] == []
    html = _page(page.settings_page(new, "t0k", form.values_from_config(new), {}))
    assert "<option value=mmol selected>mmol/L</option>" in html
    del f["units"]                       # a form from before the select: the stored value stays
    assert form.apply(new, f)[0]["units"] == "mmol"
    f["units"] = "mmol/L"                # not a choice: said under its field
    new, errors, _ = form.apply(cfg, f)
    assert "units" in form.problems_to_fields(config.validate(new)[1], known=form.field_names())


def _mmol_stored():
    # 57 and 75 show as 3.2 and 4.2, which read back as 58 and 76: a save that changed
    # nothing must not move them
    cfg, problems = config.validate({
        "transmitter_id": "8G1234", "admin_password": SECRETS[3], "units": "mmol",
        "alarms": {"urgent_low": 57, "low": 75,
                   "schedule": [{"start": 1320, "end": 420, "low": 83, "volume": 50}],
                   # 2.55 and 183 show as 0.14 and 10.2, which read back as 2.5 and 184
                   "fall_rate": 2.55, "rise_enabled": True, "persistent_high": 183}})
    assert problems == [], problems
    return cfg


def test_a_mmol_family_sees_the_thresholds_in_mmol_and_an_unchanged_save_keeps_them():
    cfg = _mmol_stored()
    f = _fields(cfg)
    assert (f["alarms.urgent_low"], f["alarms.low"], f["alarms.high"], f["alarms.urgent_high"],
            f["alarms.schedule[0].low"]) == ("3.2", "4.2", "13.9", "16.6", "4.6")
    assert f[form.SHOWN_UNITS] == "mmol"
    assert (f["alarms.fall_rate"], f["alarms.rise_rate"], f["alarms.persistent_high"]) == (
        "0.14", "0.17", "10.2")
    new, errors, _ = form.apply(cfg, f)
    assert errors == {}
    assert config.validate(new) == (cfg, [])
    html = _page(page.settings_page(cfg, "t0k", f, {}))
    assert "<input type=hidden name=threshold_units value='mmol'>" in html
    assert "<legend>Alarm thresholds (mmol/L)</legend>" in html
    assert ("<input type=text name='alarms.urgent_low' id='alarms.urgent_low' value='3.2' "
            "inputmode=decimal>") in html   # not a number field: "3,2" is not lost (below)
    assert ("cannot be turned off (3.0 to 3.9 mmol/L). Low 3.3-5.5, high 6.7-22.2, "
            "urgent high 10.0-22.2 and above high.") in html
    html = _page(page.settings_page(_stored(), "t0k", _fields(_stored()), {}))
    assert "<legend>Alarm thresholds (mg/dL)</legend>" in html and "value='75' inputmode" not in html
    assert "<input type=number name='alarms.low' id='alarms.low' value='75'>" in html
    assert "cannot be turned off (54 to 70 mg/dL). Low 60-100, high 120-400," in html


def test_thresholds_typed_in_mmol_are_stored_in_mg_dl():
    cfg = _mmol_stored()
    f = _fields(cfg, alarms__low="4.4", alarms__high="10,0")   # a comma from a phone's keyboard
    f["alarms.schedule[0].urgent_high"] = "15"
    new, errors, _ = form.apply(cfg, f)
    assert errors == {}
    al = config.validate(new)[0]["alarms"]
    assert (al["low"], al["high"], al["urgent_low"]) == (79, 180, 57)
    assert al["schedule"][0] == {"start": 1320, "end": 420, "low": 83, "urgent_high": 270,
                                 "volume": 50}


def test_every_tenth_the_page_allows_is_stored_inside_the_bounds_and_shows_as_typed():
    from alarms.settings import DEFAULTS
    from forward.entries import mmol_text
    from setup import units
    for key in ("urgent_low", "low", "high", "urgent_high", "persistent_high"):
        lo, hi = DEFAULTS[key][1], DEFAULTS[key][2]
        first, last = (int(float(mmol_text(b)) * 10 + 0.5) for b in (lo, hi))
        for tenths in range(first, last + 1):
            typed = "%d.%d" % (tenths // 10, tenths % 10)
            errors = {}
            mg = units.number({"x": typed}, "x", key, errors, True, "mmol", None)
            assert errors == {} and lo <= mg <= hi and mmol_text(mg) == typed, (key, typed, mg)
        # one tenth beyond either bound is out of range
        for tenths in (first - 1, last + 1):
            mg = units.number({"x": "%d.%d" % (tenths // 10, tenths % 10)}, "x", key, {}, True,
                               "mmol", None)
            assert not lo <= mg <= hi, (key, tenths, mg)


def test_a_number_in_the_other_units_is_refused_with_its_conversion():
    cfg = _mmol_stored()
    f = _fields(cfg, alarms__low="70", alarms__high="", alarms__urgent_high="nan")
    f["alarms.schedule[0].high"] = "-1"
    _, errors, _ = form.apply(cfg, f)
    assert errors["alarms.low"].startswith(
        "not mmol/L: type mmol/L with a point, e.g. 3.9 (70 mg/dL would be 3.9; or show mg/dL: ")
    assert errors["alarms.high"] == "required"
    assert errors["alarms.urgent_high"] == errors["alarms.schedule[0].high"] == (
        "must be a number in mmol/L, e.g. 3.9")
    cfg = _stored()
    _, errors, _ = form.apply(cfg, _fields(cfg, alarms__low="3.9"))
    assert errors["alarms.low"].startswith("in mg/dL here: 3.9 mmol/L is 70 (or show mmol/L: ")


def test_a_tenth_sent_back_as_shown_keeps_a_stored_value_even_written_otherwise():
    # a hand-written config.json may hold 55.0 or 72.5; "3.10" and "3,1" are the 3.1 shown
    cfg, problems = config.validate({"units": "mmol", "alarms": {
        "urgent_low": 55.0, "low": 72.5, "schedule": [{"start": 0, "end": 60, "low": 80.0}]}})
    assert problems == [], problems
    f = _fields(cfg)
    assert (f["alarms.urgent_low"], f["alarms.low"], f["alarms.schedule[0].low"]) == ("3.1", "4.0", "4.4")
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and config.validate(new) == (cfg, [])
    for typed in ("3.10", "3,1", " 3.1 "):
        new, errors, _ = form.apply(cfg, dict(f, **{"alarms.urgent_low": typed}))
        assert errors == {} and new["alarms"]["urgent_low"] == 55.0, (typed, new["alarms"])
    new, errors, _ = form.apply(cfg, dict(f, **{"alarms.urgent_low": "3.2"}))
    assert new["alarms"]["urgent_low"] == 58                      # another tenth: typed
    html = _page(page.status_page({"last_reading": (1, 1000, 120, -18, 6, "live"), "now_unix": 1030}, cfg))
    assert "<td id=th-urgent_low>3.1 mmol/L (55.0 mg/dL)</td>" in html
    assert "Trend <span id=trend>-0.10 mmol/L/min (-1.8 mg/dL/min)</span>" in html
    assert "low 4.4 mmol/L (80.0 mg/dL)" in html


def test_a_comma_a_browser_sent_as_thousands_reads_as_not_mmol_with_what_to_type():
    cfg = _mmol_stored()
    _, errors, _ = form.apply(cfg, _fields(cfg, alarms__low="39"))   # "3,9" in an en-US number field
    assert errors["alarms.low"].startswith("not mmol/L: type mmol/L with a point, e.g. 3.9 "
                                           "(39 mg/dL would be 2.2"), errors


def test_the_units_the_page_showed_decide_not_the_units_sent_with_them():
    cfg = _mmol_stored()
    f = _fields(cfg, units="mg/dl", alarms__low="4.4")   # switched in the same save
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["units"] == "mg/dl" and new["alarms"]["low"] == 79
    f = _fields(cfg, alarms__urgent_low="57", alarms__low="79", alarms__high="250",
                alarms__urgent_high="300")
    f["alarms.schedule[0].low"] = "83"
    _from_before(f)
    del f[form.SHOWN_UNITS]                              # a page from before: mg/dL
    new, errors, _ = form.apply(cfg, f)
    assert errors == {} and new["alarms"]["low"] == 79 and new["alarms"]["urgent_low"] == 57
    assert form.shown_units({}) == "mg/dl"


def test_range_problems_are_said_in_the_units_the_page_showed():
    cfg = _mmol_stored()
    f = _fields(cfg, alarms__low="3.0", alarms__urgent_low="3.6")
    f["alarms.schedule[0].low"] = "6.0"
    new, errors, rows = form.apply(cfg, f)
    assert errors == {}
    problems = config.validate(new)[1]
    got = form.problems_to_fields(problems, rows, form.field_names(), "mmol")
    assert got["alarms.low"] == "3.0: out of range 3.3..5.5 (mmol/L)", got
    assert got["alarms.schedule[0].low"] == "6.0: out of range 3.3..5.5 (mmol/L)", got
    got = form.problems_to_fields(problems, rows, form.field_names())
    assert got["alarms.low"] == "54: out of range 60..100", got


def _from_before(f):
    """The post of a page from before "More alarm settings": none of its fields."""
    more = [k for k, _ in form.MORE + form.SNOOZES] + ["volume"]
    for name in list(f):
        if name == form.MORE_SHOWN or (name.startswith("alarms.") and
                                       name.rpartition(".")[2] in more):
            del f[name]
    return f


def test_more_alarm_settings_are_set_from_the_form():
    cfg = _stored()
    f = _fields(cfg, alarms__volume="40", alarms__urgent_low_soon="on",
                alarms__urgent_low_soon_minutes="15", alarms__rise_enabled="on",
                alarms__rise_rate="4.5", alarms__fall_rate="2", alarms__persistent_high="220",
                alarms__persistent_high_minutes="180", alarms__no_data_minutes="45",
                alarms__urgent_low_snooze="10", alarms__urgent_low_soon_snooze="20",
                alarms__low_snooze="45", alarms__high_snooze="240", alarms__urgent_high_snooze="90")
    del f["alarms.fall_enabled"]               # an unticked box is not posted: off
    f["alarms.schedule[0].volume"] = ""        # blank: the volume above
    f["alarms.schedule[1].on"] = "on"
    f["alarms.schedule[1].start"], f["alarms.schedule[1].end"] = "13:00", "15:00"
    f["alarms.schedule[1].volume"] = "30"
    new, errors, _ = form.apply(cfg, f)
    assert errors == {}
    al, problems = config.validate(new)
    assert problems == [], problems
    al = al["alarms"]
    assert (al["volume"], al["urgent_low_soon"], al["urgent_low_soon_minutes"]) == (40, True, 15)
    assert (al["fall_enabled"], al["fall_rate"], al["rise_enabled"], al["rise_rate"]) == (
        False, 2.0, True, 4.5)
    assert (al["persistent_high_enabled"], al["persistent_high"],
            al["persistent_high_minutes"], al["no_data_minutes"]) == (True, 220, 180, 45)
    assert [al[k + "_snooze"] for k in ("urgent_low", "urgent_low_soon", "low", "high",
                                        "urgent_high")] == [10, 20, 45, 240, 90]
    assert al["schedule"] == [{"start": 1320, "end": 420, "high": 280},
                              {"start": 780, "end": 900, "volume": 30}]


def test_a_page_from_before_keeps_the_more_alarm_settings():
    # its post has none of them: its absent checkboxes are not "off", its absent numbers
    # not blank (fall on, the predicted urgent low off, a night volume: all kept)
    for cfg in (_stored(), _mmol_stored()):
        new, errors, _ = form.apply(cfg, _from_before(_fields(cfg)))
        assert errors == {}
        assert config.validate(new) == (cfg, [])
    # on a page that shows them, an unticked box is off
    cfg = _stored()
    f = _fields(cfg)
    del f["alarms.fall_enabled"], f["alarms.persistent_high_enabled"]
    al = form.apply(cfg, f)[0]["alarms"]
    assert al["fall_enabled"] is False and al["persistent_high_enabled"] is False
    assert form.MORE_SHOWN not in form.field_names()   # (no problem is ever about it)


def test_more_alarm_settings_problems_land_next_to_their_fields():
    cfg = _stored()
    f = _fields(cfg, alarms__volume="5", alarms__fall_rate="6", alarms__low_snooze="0",
                alarms__no_data_minutes="x", alarms__rise_rate="", alarms__persistent_high="110",
                alarms__persistent_high_minutes="")
    f["alarms.schedule[0].volume"] = "101"
    new, errors, rows = form.apply(cfg, f)
    assert errors == {"alarms.no_data_minutes": "must be a whole number",
                      "alarms.rise_rate": "required",
                      "alarms.persistent_high_minutes": "required"}, errors
    got = form.problems_to_fields(config.validate(new)[1], rows, form.field_names())
    assert got == {"alarms.volume": "5: out of range 10..100",
                   "alarms.fall_rate": "6.0: out of range 1.0..5.0",
                   "alarms.low_snooze": "0: out of range 5..60",
                   "alarms.persistent_high": "110: out of range 120..400",
                   "alarms.schedule[0].volume": "101: out of range 10..100"}, got
    _, errors, _ = form.apply(cfg, _fields(cfg, alarms__fall_rate="0.17", alarms__rise_rate="fast"))
    assert errors["alarms.fall_rate"].startswith(
        "in mg/dL/min here: 0.17 mmol/L/min is 3.1 (or show mmol/L: ")
    assert errors["alarms.rise_rate"] == "must be a number, e.g. 3.0"


def test_rates_in_mmol_every_hundredth_is_stored_inside_the_bounds_and_shows_as_typed():
    from alarms.settings import DEFAULTS
    from setup import units
    lo, hi = DEFAULTS["fall_rate"][1], DEFAULTS["fall_rate"][2]
    assert (units.rate_text(lo, "mmol"), units.rate_text(hi, "mmol")) == ("0.06", "0.28")
    for hundredths in range(6, 29):
        typed = "0.%02d" % hundredths
        errors = {}
        rate = units.number({"x": typed}, "x", "fall_rate", errors, True, "mmol", None)
        assert errors == {} and lo <= rate <= hi and units.rate_text(rate, "mmol") == typed, (
            typed, rate)
        assert rate == int(rate * 10 + 0.5) / 10   # config.json keeps a tenth of a mg/dL/min
    for typed in ("0.05", "0.29"):
        rate = units.number({"x": typed}, "x", "rise_rate", {}, True, "mmol", None)
        assert not lo <= rate <= hi, (typed, rate)


def test_more_alarm_settings_in_mmol():
    cfg = _mmol_stored()
    f = _fields(cfg, alarms__fall_enabled="on", alarms__fall_rate="0.11",
                alarms__rise_rate="0,28", alarms__persistent_high="12.0")
    new, errors, rows = form.apply(cfg, f)
    assert errors == {}
    al = config.validate(new)[0]["alarms"]
    assert (al["fall_enabled"], al["fall_rate"], al["rise_rate"], al["persistent_high"]) == (
        True, 2.0, 5.0, 216)
    f = _fields(cfg, alarms__fall_rate="3", alarms__rise_rate="fast", alarms__persistent_high="200")
    _, errors, _ = form.apply(cfg, f)
    assert errors["alarms.fall_rate"].startswith(
        "in mmol/L/min here: 3 mg/dL/min is 0.17 (or show mg/dL: ")
    _, errors1, _ = form.apply(cfg, _fields(cfg, alarms__fall_rate="1"))   # the mg/dL/min bound
    assert errors1["alarms.fall_rate"].startswith("in mmol/L/min here: 1 mg/dL/min is 0.06")
    assert errors["alarms.rise_rate"] == "must be a number in mmol/L/min, e.g. 0.17"
    assert errors["alarms.persistent_high"].startswith("not mmol/L: type mmol/L with a point, e.g. 3.9 (200 mg/dL would be 11.1")
    f = _fields(cfg, alarms__fall_rate="0.05", alarms__persistent_high="6.0")
    new, errors, rows = form.apply(cfg, f)
    assert errors == {}
    got = form.problems_to_fields(config.validate(new)[1], rows, form.field_names(), "mmol")
    assert got == {"alarms.fall_rate": "0.05: out of range 0.06..0.28 (mmol/L/min)",
                   "alarms.persistent_high": "6.0: out of range 6.7..22.2 (mmol/L)"}, got


def test_the_more_alarm_settings_fieldset_gives_each_range_from_the_defaults():
    from alarms.settings import DEFAULTS
    cfg = _stored()
    html = _page(page.settings_page(cfg, "t0k", _fields(cfg), {}))
    assert "<input type=hidden name=more_alarms value=1>" in html
    i = html.index("<legend>More alarm settings</legend>")
    assert html.index("<legend>Alarm thresholds") < i < html.index("<legend>Schedules")
    for key, label in form.MORE + form.SNOOZES:
        name = "alarms." + key
        assert ("name='%s'" % name) in html, key
        if not form.is_switch(key) and key not in ("fall_rate", "rise_rate", "persistent_high"):
            note = "<span class=note>%d-%d</span>" % DEFAULTS[key][1:]
            assert note in html[html.index("name='%s'" % name):], key
    assert "<span class=note>1.0-5.0 mg/dL/min</span>" in html
    assert "<span class=note>120-400 mg/dL</span>" in html
    assert "id='alarms.fall_enabled' checked>" in html
    assert "id='alarms.urgent_low_soon'>" in html                  # off: unticked
    assert ("name='alarms.schedule[0].volume' id='alarms.schedule[0].volume' value='50'> "
            "<span class=note>blank: as above (10-100)</span>") in html
    html = _page(page.settings_page(_mmol_stored(), "t0k", _fields(_mmol_stored()), {}))
    assert ("value='0.14' inputmode=decimal> "
            "<span class=note>0.06-0.28 mmol/L/min</span>") in html
    assert "value='10.2' inputmode=decimal> <span class=note>6.7-22.2 mmol/L" in html


def test_the_status_page_shows_the_volume_and_the_optional_alarms_set_otherwise():
    cfg = _stored()
    html = _page(page.status_page({}, cfg))
    assert "id=th-volume>80 %<" in html
    assert "id=th-urgent_low_soon>off<" in html
    assert "id=th-fall>faster than 2.5 mg/dL/min<" in html and "th-rise" not in html
    assert "id=th-persistent_high>above 200 mg/dL for 120 min<" in html
    assert "high 280 mg/dL, volume 50 %" in html
    html = _page(page.status_page({}, _mmol_stored()))
    assert "id=th-rise>faster than 0.17 mmol/L/min (3.0 mg/dL/min)<" in html
    assert "th-fall" not in html and "th-urgent_low_soon" not in html
    assert "th-persistent_high" not in html and "id=th-volume>100 %<" in html


def test_a_rate_sent_back_as_shown_keeps_its_stored_value_whatever_its_decimal_mark():
    from setup import units
    for typed in ("0.17", "0,17", "0.170", " 0.17 "):
        errors = {}
        got = units.number({"r": typed}, "r", "fall_rate", errors, True, "mmol", 3.0)
        assert errors == {} and got == 3.0, (typed, got, errors)   # 0.17 alone reads as 3.1
    assert units.number({"r": "0.17"}, "r", "fall_rate", {}, True, "mmol", None) == 3.1


def test_a_number_config_json_writes_otherwise_than_the_form_is_kept_by_an_unchanged_save():
    # before: "15.0" came back as "must be a whole number" on a field nobody touched, and
    # every save (also one that only unticked a box) was refused until it was retyped
    for units in ("mg/dl", "mmol"):
        cfg, problems = config.validate({"units": units, "alarms": {
            "urgent_low_snooze": 15.0, "volume": 55.5, "low": 70.4,
            "schedule": [{"start": 0, "end": 60, "volume": 40.0}]}})
        assert problems == [], problems
        f = _fields(cfg)
        new, errors, _ = form.apply(cfg, f)
        assert errors == {} and config.validate(new) == (cfg, []), (units, errors)
        new, errors, _ = form.apply(cfg, dict(f, **{"alarms.urgent_low_snooze": "20"}))
        assert errors == {} and new["alarms"]["urgent_low_snooze"] == 20 and new["alarms"]["volume"] == 55.5


def test_the_edges_between_the_units_and_nonsense():
    from setup import units

    def read(typed, key="low", page="mmol", old=None):
        errors = {}
        return units.number({"f": typed}, "f", key, errors, False, page, old), errors.get("f", "")
    # a schedule's tenth written otherwise: the stored value, not "as above" (None)
    assert read("4,4", old=80.0) == (80.0, "") and read("4.40", old=80) == (80, "")
    # 35 and over is never mmol/L (a mg/dL number, or "3,9" sent as 39), under it is
    assert read("35")[1].startswith("not mmol/L") and read("34.9") == (629, "")
    assert read("999")[1].startswith("not mmol/L")
    assert read("1000")[1] == read("-1")[1] == read("0")[1] == "must be a number in mmol/L, e.g. 3.9"
    assert read("0.1") == (2, "")                       # a number; validate says it is out of range
    # mg/dL page: a decimal under 35 is said to be mmol/L, 35 and over must be whole
    assert read("34.9", page="mg/dl")[1].startswith("in mg/dL here: 34.9 mmol/L is 629")
    assert read("35.5", page="mg/dl")[1] == "must be a whole number"
    # rates: on a mg/dL page under 0.5 is mmol/L/min, 0.5 and over is mg/dL/min
    assert read("0.49", "fall_rate", "mg/dl")[1].startswith("in mg/dL/min here: 0.49 mmol/L/min")
    assert read("0.5", "fall_rate", "mg/dl") == (0.5, "") and read("0", "fall_rate", "mg/dl") == (0.0, "")
    # on a mmol/L page 1 to under 100 is mg/dL/min, 100 and over nonsense
    assert read("99", "fall_rate")[1].startswith("in mmol/L/min here: 99 mg/dL/min")
    assert read("100", "fall_rate")[1] == read("0", "fall_rate")[1] == (
        "must be a number in mmol/L/min, e.g. 0.17")
    assert read("0.99", "fall_rate") == (17.8, "")      # validate says it is out of range


def test_a_refused_form_opens_at_its_first_problem_not_at_its_top():
    # 60 fields on a phone: the first field with a problem, in the page's order, has autofocus
    cfg = _stored()
    errors = {"tz": "x", "alarms.low": "y", "admin_repeat": "z"}
    html = _page(page.settings_page(cfg, "t0k", _fields(cfg), errors))
    assert html.count(" autofocus") == 1
    assert "name='alarms.low' id='alarms.low' value='75' class=bad aria-invalid=true autofocus>" in html
    assert "name='tz' id='tz' value='' class=bad aria-invalid=true list=zones" in html
    html = _page(page.settings_page(cfg, "t0k", _fields(cfg), {"admin_repeat": "z"}))
    assert "id=admin_repeat autocomplete=new-password class=bad autofocus>" in html
    assert "autofocus" not in _page(page.settings_page(cfg, "t0k", _fields(cfg), {}))
    assert errors == {"tz": "x", "alarms.low": "y", "admin_repeat": "z"}   # the caller's, untouched


def test_a_refused_forms_banner_names_its_fields_in_the_pages_order_each_a_link_to_it():
    # a phone that ignores autofocus (iOS Safari may) opens the refused page at its top:
    # the banner says which of 60 fields to look for, and leads there
    cfg = _stored()
    errors = {"admin_repeat": "z", "wifi[1].password": "w", "alarms.schedule[1].start": "s",
              "tz": "x", "alarms.low": "y", form.GENERAL: "g"}
    html = _page(page.settings_page(cfg, "t0k", _fields(cfg), errors))
    assert ("<p class=err id=form-error>Nothing was saved: please correct the fields marked below "
            "(<a href='#alarms.low'>Low</a>, <a href='#tz'>Time zone with summer time</a>, "
            "<a href='#alarms.schedule[1].start'>Schedule 2: From</a>, "
            "<a href='#wifi[1].password'>Network 2 password</a>, "
            "<a href='#admin_repeat'>New admin password, repeated</a>).</p>") in html, html[:1500]
    # a general problem alone: no field to name
    html = _page(page.settings_page(cfg, "t0k", _fields(cfg), {form.GENERAL: "g"}))
    assert "id=form-error>Nothing was saved: please correct the fields marked below.</p>" in html
    # every field of the form is named, in the order the page shows them, each link the id
    # of its field
    names = form.field_names()
    html = _page(page.settings_page(cfg, "t0k", _fields(cfg), dict((n, "bad") for n in names)))
    banner = html[html.index("id=form-error>"):]
    banner = banner[:banner.index("</p>")]
    linked = [part.split("'")[0] for part in banner.split("<a href='#")[1:]]
    assert sorted(linked) == sorted(names), (set(linked) ^ set(names))
    form_html = html[html.index("<form"):]

    def at(name):
        for mark in ("id='%s'" % name, "id=%s " % name, "id=%s>" % name):
            if mark in form_html:
                return form_html.index(mark)
        raise AssertionError(name)
    assert linked == sorted(linked, key=at), linked
    # a label is escaped as any text on the page
    assert "<a href='#hostname'>The box&#39;s name at home</a>" in banner
    # ... and is the field's own label, with its schedule or network, and "snooze" for a snooze
    # (the page's "Repeat it" alone would say nothing in a list): page._in_order repeats them
    told = {}
    for part in banner.split("<a href='#")[1:]:
        told[part.split("'")[0]] = part.split(">", 1)[1].split("</a>")[0]
    for name in names:
        if name == form.ADMIN_REPEAT:
            assert told[name] == "New admin password, repeated"
            continue
        i = form_html.rindex("<", 0, at(name))             # the field's own tag
        own = form_html[form_html.rindex("<label>", 0, i) + 7:i]
        own = "".join(part.split(">")[-1] for part in own.split("<"))   # (tags dropped)
        if not own.strip():    # a checkbox: its text follows it
            own = form_html[form_html.index(">", i) + 1:form_html.index("</label>", i)]
        label = told[name]
        for row in range(form.SCHEDULE_ROWS):
            if label.startswith("Schedule %d: " % (row + 1)):
                assert name.startswith("alarms.schedule[%d]." % row), (name, label)
                label = label[len("Schedule %d: " % (row + 1)):]
        if name.startswith("wifi[") and name.endswith("password"):
            number = "Network %d " % (int(name[5]) + 1)
            assert label.startswith(number), (name, label)
            label = label[len(number):]
        if name.endswith("_snooze"):
            label = label[:-len(" snooze")]
        assert own.strip().startswith(label), (name, told[name], own)


# --- the leader or follower box (role, follow) -----------------------------------------------
def _follower_post(cfg, **changes):
    f = _fields(cfg)
    f.update({"role": "follower", "follow.url": "http://cgm-alarm-ab12.local:17580",
              "follow.api_secret": "leader-secret-1", "follow.poll_s": "30", "follow.sound": "unanswered"})
    f.update(changes)
    return f


def test_a_follower_box_is_set_from_the_form_and_shown_as_stored():
    cfg = _stored()
    assert (form.values_from_config(cfg)["role"], form.values_from_config(cfg)["follow.sound"],
            form.values_from_config(cfg)["follow.poll_s"]) == ("leader", "all", "60")
    new, errors, _ = form.apply(cfg, _follower_post(cfg))
    assert errors == {}
    clean, problems = config.validate(new)
    assert problems == [], problems
    assert clean["role"] == "follower"
    fo = clean["follow"]
    assert (fo["url"], fo["api_secret"], fo["poll_s"], fo["sound"]) == (
        "http://cgm-alarm-ab12.local:17580", "leader-secret-1", 30, "unanswered")
    assert (fo["silent_min"], fo["ca_file"]) == (15, "")
    # its silence limit and, for a Nightscout over https, the CA file (as nightscout.ca_file)
    new, errors, _ = form.apply(cfg, _follower_post(cfg, **{
        "follow.url": "https://ns.example.org", "follow.api_secret": "", "follow.silent_min": " 25",
        "follow.ca_file": " ns.pem "}))
    assert errors == {}, errors
    ns, problems = config.validate(new)
    assert problems == [] and (ns["follow"]["silent_min"], ns["follow"]["ca_file"]) == (25, "ns.pem")
    assert ns["follow"]["api_secret"] == "" and ns["follow"]["url"] == "https://ns.example.org"
    v = form.values_from_config(ns)
    assert (v["follow.silent_min"], v["follow.ca_file"]) == ("25", "ns.pem"), v
    # shown back as stored, the secret never; an unchanged save keeps it all
    v = form.values_from_config(clean)
    assert (v["role"], v["follow.url"], v["follow.poll_s"], v["follow.sound"]) == (
        "follower", "http://cgm-alarm-ab12.local:17580", "30", "unanswered")
    assert "follow.api_secret" not in v
    again, errors, _ = form.apply(clean, dict(v))
    assert errors == {} and config.validate(again)[0] == clean
    html = _page(page.settings_page(clean, "tok", v, {}))
    assert "<option value=follower selected>" in html and "<option value=unanswered selected>" in html
    assert "leader-secret-1" not in html and "id='state-follow.api_secret'>set<" in html
    # the clear box removes the secret
    gone, errors, _ = form.apply(clean, dict(v, **{"follow.api_secret.clear": "on"}))
    assert gone["follow"]["api_secret"] == ""


def test_a_page_from_before_keeps_the_role_and_follow_as_stored():
    cfg = _stored()
    new, _, _ = form.apply(cfg, _follower_post(cfg))
    follower = config.validate(new)[0]
    f = form.values_from_config(follower)
    for name in ("role", "follow.url", "follow.poll_s", "follow.sound"):
        del f[name]
    again, errors, _ = form.apply(follower, f)
    assert errors == {} and config.validate(again)[0] == follower
    # session 37's page had the role and follow, not yet its silence limit nor its CA file
    follower["follow"].update(url="https://ns.example.org", silent_min=25, ca_file="ns.pem")
    f = form.values_from_config(follower)
    del f["follow.silent_min"], f["follow.ca_file"]
    again, errors, _ = form.apply(follower, f)
    assert errors == {} and config.validate(again)[0] == follower, again["follow"]


def test_follower_problems_land_next_to_their_fields():
    cfg = _stored()
    for changes, field, words in ((dict(role="boss"), "role", "leader"),
                                  ({"follow.url": ""}, "follow.url", "must be set"),
                                  ({"follow.url": "ftp://x"}, "follow.url", "http"),
                                  ({"follow.poll_s": "0"}, "follow.poll_s", "10"),
                                  ({"follow.sound": "sometimes"}, "follow.sound", "unanswered"),
                                  ({"follow.silent_min": "5"}, "follow.silent_min", "6"),
                                  ({"follow.silent_min": "61"}, "follow.silent_min", "60"),
                                  ({"follow.url": "https://ns.example.org"}, "follow.ca_file",
                                   "required for an https:// url"),
                                  ({"follow.ca_file": "x" * 65}, "follow.ca_file", "64")):
        new, errors, rows = form.apply(cfg, _follower_post(cfg, **changes))
        assert errors == {}, errors
        clean, problems = config.validate(new)
        got = form.problems_to_fields(problems, rows, form.field_names())
        assert words in got.get(field, ""), (changes, got, problems)
        assert form.GENERAL not in got, got
    new, errors, _ = form.apply(cfg, _follower_post(cfg, **{"follow.poll_s": "x"}))
    assert "follow.poll_s" in errors
    new, errors, _ = form.apply(cfg, _follower_post(cfg, **{"follow.silent_min": ""}))
    assert "follow.silent_min" in errors
    # a follower reads no transmitter: its id may stay blank
    new, errors, _ = form.apply(cfg, _follower_post(cfg, transmitter_id=""))
    assert errors == {} and config.validate(new)[1] == [] and config.missing(new) == []


# --- the access tokens (nightscout.token, follow.token) ---------------------------------------
def test_an_access_token_is_set_kept_cleared_and_never_shown():
    # Until 2026-12-03 a Nightscout whose family uses an access token, not the API secret,
    # could be set only in config.json (mpremote): the page had no field for it.
    token = "alarmbox-0123456789abcdef"
    cfg = _stored()
    cfg["nightscout"]["api_secret"] = ""
    # a phone's paste adds a space: dropped (a token has none)
    new, errors, _ = form.apply(cfg, _fields(cfg, **{"nightscout.token": " %s " % token}))
    assert errors == {}, errors
    clean, problems = config.validate(new)
    assert problems == [] and clean["nightscout"]["token"] == token
    v = form.values_from_config(clean)
    assert "nightscout.token" not in v                        # never sent back to the page
    html = _page(page.settings_page(clean, "tok", v, {}))
    assert token not in html and "id='state-nightscout.token'>set<" in html
    assert "name='nightscout.token.clear'" in html
    again, errors, _ = form.apply(clean, dict(v))             # blank keeps it
    assert errors == {} and config.validate(again)[0] == clean
    # the API secret and a token both: refused on the token's field, neither value shown
    both, errors, rows = form.apply(clean, dict(v, **{"nightscout.api_secret": SECRETS[1]}))
    got = form.problems_to_fields(config.validate(both)[1], rows, form.field_names())
    assert "not both" in got.get("nightscout.token", ""), got
    assert token not in str(got) and SECRETS[1] not in str(got)
    # ... and the page marks that field, the values still unshown
    html = _page(page.settings_page(clean, "tok", v, got))
    assert "id='nightscout.token' autocomplete=new-password placeholder='blank: keep' class=bad" in html
    assert token not in html and SECRETS[1] not in html
    # the clear box removes it
    gone, errors, _ = form.apply(clean, dict(v, **{"nightscout.token.clear": "on"}))
    assert gone["nightscout"]["token"] == ""
    # one a URL cannot carry lands on its field
    bad, errors, rows = form.apply(clean, dict(v, **{"nightscout.token": "alarm box-01"}))
    got = form.problems_to_fields(config.validate(bad)[1], rows, form.field_names())
    assert "as Nightscout shows it" in got.get("nightscout.token", ""), got
    assert "alarm box-01" not in str(got)


def test_a_follower_of_a_nightscout_takes_its_access_token_from_the_page():
    cfg = _stored()
    post = _follower_post(cfg, **{"follow.url": "https://ns.example.org", "follow.api_secret": "",
                                  "follow.token": "follower-0123456789abcdef ",
                                  "follow.ca_file": "ns.pem"})
    new, errors, _ = form.apply(cfg, post)
    assert errors == {}, errors
    clean, problems = config.validate(new)
    assert problems == [] and clean["follow"]["token"] == "follower-0123456789abcdef"
    v = form.values_from_config(clean)
    assert "follow.token" not in v
    html = _page(page.settings_page(clean, "tok", v, {}))
    assert "follower-0123456789abcdef" not in html and "id='state-follow.token'>set<" in html
    again, errors, _ = form.apply(clean, dict(v))
    assert errors == {} and config.validate(again)[0] == clean
    gone, errors, _ = form.apply(clean, dict(v, **{"follow.token.clear": "on"}))
    assert gone["follow"]["token"] == ""
    bad, errors, rows = form.apply(clean, dict(v, **{"follow.token": "a&b"}))
    got = form.problems_to_fields(config.validate(bad)[1], rows, form.field_names())
    assert "as Nightscout shows it" in got.get("follow.token", ""), got
