# app.config: validation, defaults, secrets. Runs on CPython and MicroPython.
import json
import os
import sys

import scratch

from app import config

WORK = "build/test_config_" + sys.implementation.name


def _fresh(name):
    return scratch.fresh(WORK, name)


def _keys(problems):
    return [p.split(":")[0] for p in problems]


def _good():
    cfg = config.defaults()
    cfg["transmitter_id"] = "8G1234"
    cfg["wifi"] = [{"ssid": "home", "password": "correct horse"}]
    cfg["nightscout"] = {"url": "https://ns.example.org", "api_secret": "0123456789abcdef",
                         "token": "", "allow_http": False, "ca_file": "ca.pem"}
    cfg["admin_password"] = "hunter22hunter22"
    return cfg


def test_defaults_are_documented_and_safe():
    d = config.defaults()
    assert d["role"] == "leader" and d["slot"] == "receiver" and d["transmitter_id"] == ""
    assert d["lan_api"] == {"enabled": True, "port": 17580, "api_secret": ""}
    assert d["wifi"] == [] and d["nightscout"]["url"] == "" and d["mqtt"]["host"] == ""
    assert d["follow"]["silent_min"] == 15
    clean, problems = config.validate(d)
    assert problems == []
    assert clean == d


def test_every_problem_is_reported_with_its_key():
    bad = _good()
    bad["transmitter_id"] = "8G12"
    bad["slot"] = 2
    bad["role"] = "boss"
    bad["wifi"] = [{"ssid": "", "password": "short"}]
    bad["mqtt"]["port"] = 70000
    bad["nightscout"]["url"] = "ftp://x"
    bad["lan_api"]["enabled"] = "yes"
    bad["follow"]["silent_min"] = 2
    bad["utc_offset_min"] = "60"
    bad["tranmsitter"] = "typo"
    clean, problems = config.validate(bad)
    keys = _keys(problems)
    for k in ("transmitter_id", "slot", "role", "wifi[0].ssid", "wifi[0].password", "mqtt.port",
              "nightscout.url", "lan_api.enabled", "follow.silent_min", "utc_offset_min",
              "tranmsitter"):
        assert k in keys, (k, problems)
    assert len(keys) == 11, problems
    # bad keys fall back to the defaults, good ones are kept
    d = config.defaults()
    assert clean["transmitter_id"] == "" and clean["role"] == "leader" and clean["wifi"] == []
    assert clean["mqtt"] == d["mqtt"] and clean["nightscout"] == d["nightscout"]
    assert clean["admin_password"] == "hunter22hunter22"
    assert "tranmsitter" not in clean


def test_messages_say_the_range():
    cfg = _good()
    cfg["follow"]["poll_s"] = 5
    cfg["mqtt"]["port"] = 0
    _, problems = config.validate(cfg)
    assert "follow.poll_s: must be a whole number from 10 to 300" in problems, problems
    assert "mqtt.port: must be a whole number from 1 to 65535" in problems, problems


def test_plain_http_needs_explicit_consent():
    cfg = _good()
    cfg["nightscout"]["url"] = "http://192.168.1.5:1337"
    _, problems = config.validate(cfg)
    assert any(p.startswith("nightscout.url: http:// sends the secret") for p in problems)
    cfg["nightscout"]["allow_http"] = True
    _, problems = config.validate(cfg)
    assert problems == [], problems


def test_https_needs_a_ca_certificate():
    cfg = _good()
    cfg["nightscout"]["ca_file"] = ""
    cfg["follow"]["url"] = "https://ns.example.org"
    _, problems = config.validate(cfg)
    keys = _keys(problems)
    assert "nightscout.ca_file" in keys and "follow.ca_file" in keys, problems


def test_follower_needs_a_url():
    cfg = _good()
    cfg["role"] = "follower"
    _, problems = config.validate(cfg)
    assert "follow.url: must be set when role is \"follower\"" in problems
    cfg["follow"]["url"] = "http://leader.local:17580"
    _, problems = config.validate(cfg)
    assert problems == []


def test_transmitter_id_of_another_kind_says_what_is_supported():
    # a G7 owner types the 4-digit pairing code or the serial: say why it never works
    for tx in ("1234", "8G12345", "8G-123", "8G 123"):
        cfg = _good()
        cfg["transmitter_id"] = tx
        clean, problems = config.validate(cfg)
        assert clean["transmitter_id"] == "" and len(problems) == 1, problems
        assert problems[0].startswith("transmitter_id: must be the 6 letters") and "G7" in problems[0]


def test_transmitter_id_is_normalised():
    cfg = _good()
    cfg["transmitter_id"] = " 8g1234 "
    clean, problems = config.validate(cfg)
    assert clean["transmitter_id"] == "8G1234" and problems == []


def test_secrets_never_in_redacted_or_messages():
    cfg = _good()
    cfg["mqtt"]["password"] = "mqtt-pass-123"
    cfg["follow"]["url"] = "https://me:pw123@ns.example.org/api?token=tok-abc"
    r = config.redacted(cfg)
    text = json.dumps(r)
    for secret in ("correct horse", "0123456789abcdef", "hunter22hunter22", "mqtt-pass-123",
                   "pw123", "tok-abc"):
        assert secret not in text, secret
    assert r["wifi"][0]["password"] == "***" and r["wifi"][0]["ssid"] == "home"
    assert r["nightscout"]["token"] == ""  # empty stays visibly empty
    assert cfg["admin_password"] == "hunter22hunter22"  # the original is untouched
    bad = _good()
    bad["admin_password"] = "abc12"
    bad["wifi"][0]["password"] = "1234567"
    _, problems = config.validate(bad)
    assert not any("abc12" in p or "1234567" in p or "(got" in p for p in problems if
                   p.startswith("admin") or p.startswith("wifi")), problems


def test_save_refuses_bad_config_and_writes_nothing():
    path = _fresh("refuse.json")
    bad = _good()
    bad["mqtt"]["port"] = -1
    try:
        config.save(path, bad)
        raise AssertionError("save accepted a bad config")
    except config.ConfigError as e:
        assert "mqtt.port: must be a whole number from 1 to 65535" in e.problems
    try:
        os.stat(path)
        raise AssertionError("a refused save wrote the file")
    except OSError:
        pass


def test_save_then_load_round_trip():
    path = _fresh("roundtrip.json")
    with open(_fresh("ca.pem"), "w") as f:   # _good()'s CA, beside the file as on the board
        f.write("-----BEGIN CERTIFICATE-----\n")
    saved = config.save(path, _good())
    cfg, problems = config.load(path)
    assert problems == [] and cfg == saved
    assert cfg["wifi"][0]["ssid"] == "home"


def test_missing_file_gives_defaults_and_a_problem():
    path = _fresh("absent.json")
    cfg, problems = config.load(path)
    assert path + ": missing" in problems
    assert path + ": using safe defaults" in problems
    assert "transmitter_id: not set; the box cannot read a transmitter until it is" in problems
    d = config.defaults()
    assert cfg == d


def test_not_json_at_all():
    path = _fresh("garbage.json")
    with open(path, "w") as f:
        f.write("[1, 2")
    cfg, problems = config.load(path)
    assert any(p.startswith(path + ": not valid JSON") for p in problems), problems
    assert cfg["role"] == "leader" and cfg["lan_api"]["port"] == 17580


def test_json_but_not_an_object():
    path = _fresh("list.json")
    with open(path, "w") as f:
        f.write("[1, 2]")
    cfg, problems = config.load(path)
    assert "config: must be a JSON object {...}" in problems
    assert cfg == config.defaults()


def test_urgent_low_floor_cannot_be_configured_away():
    cfg = _good()
    cfg["alarms"] = {"urgent_low": 40, "urgent_low_enabled": False, "high": 1000}
    clean, problems = config.validate(cfg)
    keys = " ".join(problems)
    assert "alarms.urgent_low" in keys and "54..70" in keys, problems  # says the range
    assert "alarms.urgent_low_enabled" in keys and "cannot be disabled" in keys, problems
    assert "alarms.high" in keys and "120..400" in keys, problems
    # the box keeps the safe default alarm settings, never the refused ones
    assert clean["alarms"]["urgent_low"] == 55 and clean["alarms"]["high"] == 250
    # and the valid ones beside them (before: a typo reset every threshold)
    typo = _good()
    typo["alarms"] = {"low": 90, "high": 1000}
    clean, problems = config.validate(typo)
    assert clean["alarms"]["low"] == 90 and clean["alarms"]["high"] == 250, clean["alarms"]
    assert any("alarms.high" in p for p in problems)
    try:
        config.save(_fresh("floor.json"), cfg)
        raise AssertionError("saved an urgent low below the floor")
    except config.ConfigError as e:
        assert any("54..70" in p for p in e.problems)


def test_a_saved_urgent_low_under_the_floor_of_54_is_a_problem_and_the_box_runs_at_55():
    # 50..53 was taken before session 65: a box updated with such a file keeps its other
    # settings, runs the urgent low at its default (55, not 50 nor the floor) and says why
    from alarms.engine import AlarmEngine
    import reading
    with open(_fresh("ca.pem"), "w") as f:   # _good()'s CA, beside the file as on the board
        f.write("-----BEGIN CERTIFICATE-----\n")
    for saved in (50, 53):
        cfg = _good()
        cfg["alarms"] = {"urgent_low": saved, "low": 80, "low_enabled": False}
        path = _fresh("floor%d.json" % saved)
        with open(path, "w") as f:
            f.write(json.dumps(cfg))
        loaded, problems = config.load(path)
        assert problems == ["alarms.urgent_low=%d: out of range 54..70" % saved], problems
        al = loaded["alarms"]
        assert (al["urgent_low"], al["low"], al["low_enabled"]) == (55, 80, False), al
        ev = AlarmEngine(al).on_reading(reading.make(0, None, 53, None, 6), 0, 0)
        assert [(e["type"], e["priority"]) for e in ev if e["event"] == "alarm_onset"] == [
            ("urgent_low", "high")], ev


def test_alarm_settings_are_validated_and_kept():
    cfg = _good()
    cfg["alarms"] = {"low": 80, "schedule": [{"start": 1320, "end": 420, "high": 300,
                                              "urgent_high": 350}]}
    clean, problems = config.validate(cfg)
    assert problems == [], problems
    assert clean["alarms"]["low"] == 80 and clean["alarms"]["urgent_low"] == 55
    assert clean["alarms"]["schedule"][0]["start"] == 1320


def test_forwarding_alarm_is_on_by_default_and_can_be_switched_off():
    cfg = _good()                          # Nightscout configured, alarms left at defaults
    assert config.validate(cfg)[0]["alarms"]["forwarding"] is True
    cfg["alarms"] = {"forwarding": False}  # the family's explicit choice
    assert config.validate(cfg)[0]["alarms"]["forwarding"] is False


def test_mqtt_over_tls_is_refused_not_sent_in_the_clear():
    # "tls" was accepted and documented, but the publisher has no TLS: the
    # password went to the broker unencrypted although encryption was asked for
    cfg = _good()
    cfg["mqtt"] = {"host": "broker.lan", "port": 8883, "user": "box", "password": "mqtt-pass-123",
                   "tls": True, "topic": "cgm"}
    clean, problems = config.validate(cfg)
    assert any(p.startswith("mqtt.host: MQTT over TLS is not supported") for p in problems), problems
    assert clean["mqtt"]["host"] == "", clean["mqtt"]     # MQTT off
    cfg["mqtt"]["tls"] = False
    clean, problems = config.validate(cfg)
    assert problems == [] and clean["mqtt"]["host"] == "broker.lan", problems
