# The rules of the setup form (setup/form.py) that
# `python tools/mutation.py --package setup` found unpinned, from its module
# comment, docstrings and the README "Setup page" (3 Wi-Fi rows, two schedules,
# secrets never shown, blank keeps them): percent-decoding edge cases, HH:MM
# times, every field landing in its configuration key, rows and entries beyond
# the form kept, the checkboxes and defaults shown, problems joined per field,
# which fields are secret. Runs on CPython and MicroPython.
from app import config
from setup import form


def _cfg():
    cfg = config.defaults()
    cfg["transmitter_id"] = "8G1234"
    cfg["wifi"] = [{"ssid": "home", "password": "wifi-pass-1"}]
    return cfg


def _apply(cfg=None, **changes):
    cfg = cfg or _cfg()
    f = form.values_from_config(cfg)
    for k, v in changes.items():
        k = k.replace("__", ".").replace("_I", "[").replace("I_", "]")
        if v is None:
            f.pop(k, None)
        else:
            f[k] = v
    return form.apply(cfg, f)


# --- parsing ------------------------------------------------------------------

def test_percent_escapes_that_are_cut_short_or_not_hex_stay_as_typed():
    got = form.parse_urlencoded("a=%41&b=%4&c=%4G&d=%G1&e=%&f=x%2&g=%2B%2b")
    assert got == {"a": "A", "b": "%4", "c": "%4G", "d": "%G1", "e": "%", "f": "x%2", "g": "++"}


def test_bytes_that_are_not_utf8_are_read_one_character_each():
    assert form.parse_urlencoded("ssid=caf%E9") == {"ssid": "caf\u00e9"}


def test_empty_pairs_are_skipped():
    assert form.parse_urlencoded("&a=1&&b=2&") == {"a": "1", "b": "2"}


def test_hhmm_both_ways():
    assert form.hhmm(0) == "00:00" and form.hhmm(1439) == "23:59" and form.hhmm(61) == "01:01"
    for text, minute in (("07:30", 450), ("7:30", 450), ("23:59", 1439), ("00:00", 0), (" 22:05 ", 1325)):
        assert form._parse_hhmm(text) == minute, text
    for text in ("24:00", "12:60", "007:30", "7:3", "7:300", "ab:cd", "1230", "", ":30", "-1:30"):
        assert form._parse_hhmm(text) is None, text


# --- apply: every field to its key ------------------------------------------------

def test_the_plain_fields_land_in_their_keys():
    new, errors, _ = _apply(transmitter_id=" 8g9876 ", slot="phone", utc_offset_min="-300",
                            nightscout__url=" https://ns.example.org ", nightscout__allow_http="on",
                            nightscout__ca_file=" ca.pem ", mqtt__host=" broker ", mqtt__port="8883",
                            mqtt__user=" me ", hostname=" Kitchen-Box ")
    assert errors == {}
    assert new["hostname"] == "kitchen-box"
    assert new["transmitter_id"] == "8G9876" and new["slot"] == "phone" and new["utc_offset_min"] == -300
    assert new["nightscout"]["url"] == "https://ns.example.org" and new["nightscout"]["allow_http"] is True
    assert new["nightscout"]["ca_file"] == "ca.pem"
    assert (new["mqtt"]["host"], new["mqtt"]["port"], new["mqtt"]["user"]) == ("broker", 8883, "me")
    new, errors, _ = _apply(nightscout__allow_http=None)
    assert new["nightscout"]["allow_http"] is False


def test_the_time_zone_rule_is_stored_as_typed_and_a_bad_one_is_named_on_its_field():
    new, errors, _ = _apply(tz=" CET-1CEST,M3.5.0,M10.5.0/3 ")
    assert errors == {} and new["tz"] == "CET-1CEST,M3.5.0,M10.5.0/3"
    assert form.values_from_config(new)["tz"] == "CET-1CEST,M3.5.0,M10.5.0/3"
    new, errors, _ = _apply(tz="Europe/Berlin")
    clean, problems = config.validate(new)
    fields = form.problems_to_fields(problems, (), form.field_names())
    assert list(fields) == ["tz"] and "POSIX time-zone rule" in fields["tz"], fields
    assert form.values_from_config({})["tz"] == ""


def test_offset_and_port_are_required_whole_numbers():
    cfg = _cfg()
    cfg["utc_offset_min"], cfg["mqtt"]["port"] = 60, 1884
    new, errors, _ = _apply(cfg, utc_offset_min="", mqtt__port="")
    assert errors == {"utc_offset_min": "required", "mqtt.port": "required"}
    assert new["utc_offset_min"] == 60 and new["mqtt"]["port"] == 1884   # not overwritten
    new, errors, _ = _apply(cfg, utc_offset_min="1h", mqtt__port="x")
    assert errors == {"utc_offset_min": "must be a whole number", "mqtt.port": "must be a whole number"}


def test_the_enable_boxes_of_the_thresholds():
    new, errors, _ = _apply(alarms__low_enabled=None, alarms__high_enabled="on",
                            alarms__urgent_high_enabled=None)
    assert errors == {}
    al = new["alarms"]
    assert al["low_enabled"] is False and al["high_enabled"] is True and al["urgent_high_enabled"] is False


def test_one_new_password_without_the_other_is_refused():
    for changes in ({form.ADMIN_NEW: "new-pass-123"}, {form.ADMIN_REPEAT: "new-pass-123"}):
        f = form.values_from_config(_cfg())
        f.update(changes)
        new, errors, _ = form.apply(_cfg(), f)
        assert errors == {form.ADMIN_REPEAT: "the two new passwords differ"}, (changes, errors)
        assert new["admin_password"] == ""


def test_a_schedule_row_sets_its_times_and_blank_overrides_follow_the_day():
    cfg = _cfg()
    cfg["alarms"]["schedule"] = [{"start": 1320, "end": 420, "high": 280, "low": 90, "volume": 40}]
    new, errors, idx = _apply(cfg, **{"alarms.schedule[0].start": "21:30", "alarms.schedule[0].end": "06:45",
                                      "alarms.schedule[0].high": "", "alarms.schedule[0].low": "85"})
    assert errors == {} and idx["alarms.schedule"] == [0]
    assert new["alarms"]["schedule"] == [{"start": 1290, "end": 405, "low": 85, "volume": 40}]


def test_a_bad_time_keeps_the_stored_one_and_says_so():
    cfg = _cfg()
    cfg["alarms"]["schedule"] = [{"start": 1320, "end": 420}]
    new, errors, _ = _apply(cfg, **{"alarms.schedule[0].start": "25:00"})
    assert "HH:MM" in errors["alarms.schedule[0].start"]
    assert new["alarms"]["schedule"][0] == {"start": 1320, "end": 420}


def test_rows_and_entries_beyond_the_form_are_kept():
    cfg = _cfg()
    nets = [{"ssid": "n%d" % i, "password": "pass-%d-xyz" % i} for i in range(5)]
    cfg["wifi"] = [dict(n) for n in nets]
    extra = [{"start": 60 * h, "end": 60 * h + 30} for h in range(4)]
    cfg["alarms"]["schedule"] = [dict(e) for e in extra]
    new, errors, idx = _apply(cfg)
    assert errors == {}
    assert new["wifi"] == nets                       # 3 rows shown, the other 2 kept
    assert new["alarms"]["schedule"] == extra and idx["alarms.schedule"] == [0, 1, 2, 3]
    assert idx["wifi"] == [0, 1, 2, 3, 4]
    new, errors, idx = _apply(cfg, **{"alarms.schedule[0].on": None})
    assert new["alarms"]["schedule"] == extra[1:] and idx["alarms.schedule"] == [1, 2, 3]
    new, errors, idx = _apply(cfg, **{"wifi[0].ssid": "", "wifi[0].password": ""})
    assert new["wifi"] == nets[1:] and idx["wifi"] == [1, 2, 3, 4]


def test_a_saved_networks_problem_goes_to_the_form_row_it_came_from():
    # empty rows are not saved: the config's wifi[0] may be the form's row 1 or 2
    for filled, bad in (((1,), 1), ((2,), 2), ((0, 2), 2), ((1, 2), 1)):
        changes = {"wifi[0].ssid": ""}
        for row in filled:
            changes["wifi[%d].ssid" % row] = "Netgear%d" % row
            changes["wifi[%d].password" % row] = "wifi-pass-%d" % row
        changes["wifi[%d].password" % bad] = "short"
        new, errors, rows = _apply(_cfg(), **changes)
        assert errors == {} and rows["wifi"] == list(filled), (filled, rows)
        problems = config.validate(new)[1]
        got = form.problems_to_fields(problems, rows, form.field_names())
        assert list(got) == ["wifi[%d].password" % bad] and "8 to 63" in got["wifi[%d].password" % bad], \
            (filled, problems, got)
    # a list alone is the schedule's (as before), and a row the index lacks stays as it is
    got = form.problems_to_fields(["alarms.schedule[0].low: x", "wifi[0].ssid: y"], [1])
    assert got == {"alarms.schedule[1].low": "x", "wifi[0].ssid": "y"}, got
    got = form.problems_to_fields(["wifi[3].ssid: y"], {"wifi": [2]}, form.field_names())
    assert got == {form.GENERAL: "wifi[3].ssid: y"}, got


def test_three_wifi_rows_and_two_schedules():
    names = form.field_names()
    assert form.WIFI_ROWS == 3 and form.SCHEDULE_ROWS == 2
    for i in range(3):
        assert "wifi[%d].ssid" % i in names and "wifi[%d].password" % i in names
    assert "wifi[3].ssid" not in names
    for row in range(2):
        for key in ("on", "start", "end", "low", "high", "urgent_high"):
            assert "alarms.schedule[%d].%s" % (row, key) in names
    assert "alarms.schedule[2].on" not in names
    for key in ("alarms.low_enabled", "alarms.high_enabled", "alarms.urgent_high_enabled",
                "alarms.urgent_low", "alarms.low", "alarms.high", "alarms.urgent_high"):
        assert key in names, key
    assert "alarms.urgent_low_enabled" not in names   # the floor is always on
    # a fourth network typed into a hand-made post is not read
    f = form.values_from_config(_cfg())
    f["wifi[3].ssid"] = "sneaky"
    new, _, _ = form.apply(_cfg(), f)
    assert [n["ssid"] for n in new["wifi"]] == ["home"]


# --- problems and the shown values --------------------------------------------------

def test_two_problems_of_one_field_are_joined():
    got = form.problems_to_fields(["alarms.low: out of range 60..100", "alarms.low: below urgent_low"],
                                  (), form.field_names())
    assert got == {"alarms.low": "out of range 60..100; below urgent_low"}
    got = form.problems_to_fields(["wifi[2].ssid: too long"], (), form.field_names())
    assert got == {"wifi[2].ssid": "too long"}


def test_the_values_shown_for_a_fresh_box():
    v = form.values_from_config({})
    assert v["utc_offset_min"] == "0" and v["mqtt.port"] == "1883" and v["slot"] == "receiver"
    assert form.values_from_config({"hostname": "kitchen-box"})["hostname"] == "kitchen-box"
    for key in ("alarms.low_enabled", "alarms.high_enabled", "alarms.urgent_high_enabled",
                "alarms.forwarding"):
        assert v[key] == "on", key                   # on unless turned off
    assert "nightscout.allow_http" not in v
    v = form.values_from_config({"alarms": {"low_enabled": False, "forwarding": False},
                                 "nightscout": {"allow_http": True}})
    assert "alarms.low_enabled" not in v and "alarms.forwarding" not in v
    assert v["nightscout.allow_http"] == "on"


def test_which_fields_are_secret():
    for name in ("nightscout.api_secret", "mqtt.password", form.ADMIN_NEW, form.ADMIN_REPEAT,
                 "wifi[0].password", "wifi[2].password", "password", "token", "nightscout.token",
                 "follow.api_secret", "follow.token"):
        assert form.is_secret(name) is True, name
    for name in ("nightscout.url", "mqtt.user", "wifi[0].ssid", "transmitter_id", "alarms.low",
                 "follow.url", "follow.ca_file", "nightscout.token.clear"):
        assert form.is_secret(name) is False, name


def test_whether_a_secret_is_set():
    cfg = {"wifi": [{"ssid": "a", "password": "x-pass-123"}, {"ssid": "b", "password": ""}],
           "mqtt": {"password": "m-pass-123"}, "nightscout": {"api_secret": ""}}
    assert form.secret_is_set(cfg, "wifi[0].password") is True
    assert form.secret_is_set(cfg, "wifi[1].password") is False
    assert form.secret_is_set(cfg, "wifi[2].password") is False
    assert form.secret_is_set({}, "wifi[0].password") is False
    assert form.secret_is_set({"wifi": None}, "wifi[0].password") is False
    assert form.secret_is_set(cfg, "mqtt.password") is True
    assert form.secret_is_set(cfg, "nightscout.api_secret") is False


def test_an_offset_changed_under_a_time_zone_rule_is_refused_not_silently_ignored():
    # the rule wins over the offset (app.localtime): a family abroad that changed only "Local
    # time minus UTC" saved without a word, and the night schedule stayed on home time
    # (helper-152); the form now says the offset is not used, on its field
    cfg = _cfg()
    cfg["tz"], cfg["utc_offset_min"] = "CET-1CEST,M3.5.0,M10.5.0/3", 60
    new, errors, _ = _apply(cfg, utc_offset_min="-300")
    assert "not used while a time zone rule is set" in errors.get("utc_offset_min", ""), errors
    # the rule cleared (the offset then rules), or changed with it, or the offset unchanged: saved
    for changes in ({"tz": "", "utc_offset_min": "-300"},
                    {"tz": "EST5EDT,M3.2.0,M11.1.0", "utc_offset_min": "-300"},
                    {"tz": "EST5EDT,M3.2.0,M11.1.0"}, {}):
        new, errors, _ = _apply(cfg, **changes)
        assert "utc_offset_min" not in errors, (changes, errors)
    new, errors, _ = _apply(cfg, tz="", utc_offset_min="-300")
    assert new["tz"] == "" and new["utc_offset_min"] == -300
    # without a rule, the offset is the time zone: any change is taken
    plain = _cfg()
    new, errors, _ = _apply(plain, utc_offset_min="330")
    assert "utc_offset_min" not in errors and new["utc_offset_min"] == 330


# --- the phone's zone against the settings' (README "Setup page": told once, by how much) ----

BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"
MAR30, OCT20 = "1774872000000", "1792497600000"   # 2026-03-30 and 2026-10-20, 12:00 UTC, phone ms
JAN15, JUL15 = "1768478400000", "1784116800000"   # 2026-01-15 and 2026-07-15


def _zone(phone_ms, phone, tz="", offset=0):
    cfg = _cfg()
    cfg["tz"], cfg["utc_offset_min"] = tz, offset
    return form.zone_mismatch(cfg, {"phone_offset_min": phone, "phone_ms": phone_ms})


def test_a_phone_in_the_settings_zone_days_after_a_summer_time_change_is_not_asked():
    # the offset now is the rule's at the phone's own time, not at some nearby date: a phone
    # in Berlin the day after the change (or days before the next) agrees with Berlin's rule
    assert _zone(MAR30, "120,60,120", BERLIN) == (None, "")
    assert _zone(OCT20, "120,60,120", BERLIN) == (None, "")
    assert _zone(MAR30, "60,60,120", BERLIN)[0].startswith("this phone is at UTC+01:00, these "
                                                           "settings give UTC+02:00 now")


def test_the_zone_message_gives_the_phones_offset_now_and_by_how_much():
    # a phone in New York in winter (its July offset differs) against UTC+00:00
    said = _zone(JAN15, "-300,-300,-240")[0]
    assert said.startswith("this phone is at UTC-05:00, these settings give UTC+00:00 now: the "
                           "box's day (its schedules, the time it shows) would run 5 h ahead of "
                           "this phone's clock."), said
    # India's half hour, behind
    said = _zone(JAN15, "330,330,330", offset=240)[0]
    assert said.startswith("this phone is at UTC+05:30, these settings give UTC+04:00 now: the "
                           "box's day (its schedules, the time it shows) would run 1 h 30 min "
                           "behind this phone's clock."), said
    # the settings' offset now (Berlin's winter one in January), and the phone's now
    said = _zone(JAN15, "330,330,330", BERLIN)[0]
    assert said.startswith("this phone is at UTC+05:30, these settings give UTC+01:00 now: the "
                           "box's day (its schedules, the time it shows) would run 4 h 30 min "
                           "behind"), said
    assert "would run 30 min behind" in _zone(JAN15, "90,90,90", BERLIN)[0]
    assert "would run 30 min ahead of" in _zone(JAN15, "-300,-300,-240", offset=-270)[0]
    assert _zone(JAN15, "30", offset=0)[0].startswith(
        "this phone is at UTC+00:30, these settings give UTC+00:00 now: the box's day (its "
        "schedules, the time it shows) would run 30 min behind")


def test_a_zone_that_differs_only_for_part_of_the_year_names_january_and_july():
    # a Berlin phone in July against a fixed UTC+02:00: the same now, an hour off in winter
    said, signature = _zone(JUL15, "120,60,120", offset=120)
    assert said.startswith("this phone's zone is at UTC+01:00 in January and UTC+02:00 in July, "
                           "these settings at UTC+02:00 and UTC+02:00: for part of the year the "
                           "box's day (its schedules, the time it shows) would run 1 h off."), said
    assert signature == "60/120/120/120"
    # a phone at a fixed UTC+02:00 in July against Berlin's rule, and one at a fixed UTC+01:00
    said = _zone(JUL15, "120,120,120", BERLIN)[0]
    assert said.startswith("this phone's zone is at UTC+02:00 in January and UTC+02:00 in July, "
                           "these settings at UTC+01:00 and UTC+02:00: for part of the year the "
                           "box's day (its schedules, the time it shows) would run 1 h off."), said
    said = _zone(JAN15, "60,60,60", BERLIN)[0]
    assert "these settings at UTC+01:00 and UTC+02:00: for part of the year the box's day (its " \
           "schedules, the time it shows) would run 1 h off." in said, said


def test_secrets_other_than_a_token_are_saved_with_the_spaces_typed():
    # a password or API secret may hold spaces, at either end too; only an access token,
    # which has none, loses a phone's pasted ones (README "Configuration", nightscout)
    new, errors, _ = _apply(mqtt__password=" pass word ", nightscout__api_secret=" secret 12345 ",
                            nightscout__token=" box-1a2b3c ")
    assert new["mqtt"]["password"] == " pass word " and new["nightscout"]["api_secret"] == " secret 12345 "
    assert new["nightscout"]["token"] == "box-1a2b3c"


def test_a_followers_poll_left_blank_is_refused_not_kept_unsaid():
    cfg = _cfg()
    cfg["role"], cfg["follow"]["url"], cfg["follow"]["poll_s"] = "follower", "http://box.local:17580", 120
    new, errors, _ = _apply(cfg, follow__poll_s="")
    assert errors == {"follow.poll_s": "required"}, errors
    assert new["follow"]["poll_s"] == 120


def test_a_mmol_number_that_shows_as_the_upper_bound_is_the_bound():
    # the page gives urgent low's range as 3.0..3.9 mmol/L and rates' as 0.06..0.28: 3.93
    # is 71 mg/dL, 0.283 is 5.1 mg/dL/min, each over its bound though it shows as the bound
    # (without the rule: refused, "3.9: out of range 3.0..3.9")
    from setup import units
    for key, typed, want in (("urgent_low", "3.93", 70), ("fall_rate", "0.283", 5.0),
                             ("urgent_low", "3.0", 54), ("urgent_low", "3.04", 55),
                             ("rise_rate", "0.07", 1.3)):
        errors = {}
        assert units.number({"x": typed}, "x", key, errors, True, "mmol", None) == want, (key, typed)
        assert errors == {}
    cfg = _cfg()
    cfg["units"] = "mmol"
    new, errors, _ = _apply(cfg, alarms__urgent_low="3,93", alarms__low="4.4", alarms__fall_rate="0.283")
    assert errors == {}
    al, problems = config.validate(new)
    assert problems == [] and (al["alarms"]["urgent_low"], al["alarms"]["fall_rate"]) == (70, 5.0)


def test_the_urgent_lows_floor_in_mmol_is_3_0_typed_and_2_9_refused_in_mmol():
    # the floor is 54 mg/dL (3.0 mmol/L, level-2 hypoglycaemia): 3.0 typed (54.05 mg/dL) is
    # kept as 54, not refused by its rounding; 2.9 (52) is refused, said in mmol/L
    cfg = _cfg()
    cfg["units"] = "mmol"
    new, errors, _ = _apply(cfg, alarms__urgent_low="3,0", alarms__low="4.4")
    al, problems = config.validate(new)
    assert errors == {} and problems == [] and al["alarms"]["urgent_low"] == 54, (errors, problems)
    new, errors, _ = _apply(cfg, alarms__urgent_low="2.9", alarms__low="4.4")
    al, problems = config.validate(new)
    assert errors == {} and problems == ["alarms.urgent_low=52: out of range 54..70"], problems
    assert form.problems_to_fields(problems, (), None, "mmol") == {
        "alarms.urgent_low": "2.9: out of range 3.0..3.9 (mmol/L)"}


def test_a_minutes_problem_stays_in_minutes_on_a_mmol_page():
    got = form.problems_to_fields(["alarms.low_snooze=3: out of range 5..60",
                                   "alarms.high=90: out of range 120..400"], (), None, "mmol")
    assert got == {"alarms.low_snooze": "3: out of range 5..60",
                   "alarms.high": "5.0: out of range 6.7..22.2 (mmol/L)"}, got
