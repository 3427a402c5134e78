# The rules of config.json that `python tools/mutation.py --package app` found
# unpinned: every documented bound of every key (firmware/app/config.py's
# docstring, the README "Configuration" table) on both sides, wrong types, the
# defaults of the table, a section taken whole or not at all, secrets kept out of
# messages, the alarm validator's errors passed on, the size limit, duplicate-key
# paths, the redaction of URLs, and load()'s fall-backs. Every bad value must be
# refused with a problem naming its key, never accepted or defaulted silently.
# Runs on CPython and MicroPython.
import sys

import scratch
from fakes import import_setup_ap, swap, swap_module

from app import config

WORK = "build/test_config_rules_" + sys.implementation.name


def _refused(raw, key):
    """raw is refused with problems that all name `key`; returns the clean config."""
    clean, problems = config.validate(raw)
    assert problems, ("accepted", raw)
    for p in problems:
        assert p.startswith(key + ":") or p[len(key)] in ".[" and p.startswith(key), (key, raw, problems)
    return clean, problems


def _accepted(raw):
    clean, problems = config.validate(raw)
    assert problems == [], (raw, problems)
    return clean


# --- defaults (README table) ----------------------------------------------------

def test_the_defaults_are_the_readme_table():
    d = config.defaults()
    assert d["version"] == 1 and d["role"] == "leader" and d["transmitter_id"] == ""
    assert d["slot"] == "receiver" and d["board"] == "esp32-devkitc" and d["utc_offset_min"] == 0
    assert d["tz"] == "" and d["hostname"] == "" and d["zone_checked"] == ""
    assert d["wifi"] == [] and d["admin_password"] == ""
    assert d["nightscout"] == {"url": "", "api_secret": "", "token": "", "allow_http": False, "ca_file": ""}
    assert d["mqtt"] == {"host": "", "port": 1883, "user": "", "password": "", "tls": False, "topic": "cgm"}
    assert d["lan_api"] == {"enabled": True, "port": 17580, "api_secret": ""}
    assert d["follow"] == {"url": "", "api_secret": "", "token": "", "silent_min": 15, "poll_s": 60,
                           "ca_file": "", "sound": "all"}
    assert d["alarms"] and isinstance(d["alarms"], dict)
    d["mqtt"]["port"] = 1                      # a fresh copy each time
    assert config.defaults()["mqtt"]["port"] == 1883


# --- top-level keys -----------------------------------------------------------------

def test_version_must_be_1():
    assert _accepted({"version": 1})["version"] == 1
    for bad in (2, 0, "1", None, [1]):
        clean, problems = _refused({"version": bad}, "version")
        assert problems == ["version: must be 1"] and clean["version"] == 1, bad


def test_role_and_slot_are_one_of_their_words():
    assert _accepted({"role": "follower", "follow": {"url": "http://box.local:17580"}})["role"] == "follower"
    assert _accepted({"slot": "phone"})["slot"] == "phone"
    for bad in ("Leader", "", None, 1):
        assert _refused({"role": bad}, "role")[0]["role"] == "leader"
    for bad in ("alternate", 1, 2, None):
        clean, problems = _refused({"slot": bad}, "slot")
        assert clean["slot"] == "receiver" and problems == ['slot: must be one of "receiver", "phone"']


def test_transmitter_id_is_six_letters_and_digits_or_empty():
    assert _accepted({"transmitter_id": ""})["transmitter_id"] == ""
    assert _accepted({"transmitter_id": "8G1234"})["transmitter_id"] == "8G1234"
    assert _accepted({"transmitter_id": " 8g12z4\n"})["transmitter_id"] == "8G12Z4"
    for bad in ("8G123", "8G12345", "8G-234", "8G 234", 812345, None, ["8G1234"]):
        clean, problems = _refused({"transmitter_id": bad}, "transmitter_id")
        assert clean["transmitter_id"] == "", bad
    assert _refused({"transmitter_id": 812345}, "transmitter_id")[1] == ["transmitter_id: must be text"]


def test_zone_checked_is_empty_or_offsets_the_setup_page_wrote():
    for good in ("", "-300/-240/0/0", "60/0", "-960/" * 8):
        assert _accepted({"zone_checked": good})["zone_checked"] == good
    # anything else was not written by the page: taken as none, with no problem (helper-167:
    # a config problem sounds the device alarm, escalating at night, for a memo whose worst
    # is the zone question asked once more)
    for bad in (None, 5, ["60/0"], "60/0 ", "a/b", "-960/" * 8 + "0"):
        clean, problems = config.validate({"zone_checked": bad})
        assert clean["zone_checked"] == "" and problems == [], (bad, problems)


def test_hostname_is_one_dns_label_in_lower_case_or_empty_for_the_boxs_own():
    # the name DHCP and mDNS give the box (http://<name>.local/): RFC 1123 letters,
    # digits and inner hyphens; ESP-IDF takes at most 32 bytes
    assert _accepted({"hostname": "kitchen-box-2"})["hostname"] == "kitchen-box-2"
    assert _accepted({"hostname": " Kitchen-Box \n"})["hostname"] == "kitchen-box"
    assert _accepted({"hostname": "a" * 32})["hostname"] == "a" * 32
    assert _accepted({"hostname": ""})["hostname"] == ""
    for bad in ("a" * 33, "-box", "box-", "my box", "box.local", "box_1", "bøx", 1, None):
        clean, problems = _refused({"hostname": bad}, "hostname")
        assert clean["hostname"] == "", bad
        assert problems[0].startswith("hostname: must be a name on the home network"), problems


def test_the_boxs_own_name_is_its_access_points_in_lower_case_one_per_box():
    # two boxes in one home (a leader and its follower, two children's) must not both
    # answer to one name: ESP-IDF's mDNS would rename the second, whose pages then
    # named the first
    uid = b"\x24\x0a\xc4\x12\xab\x0c"
    assert config.hostname({"hostname": ""}, uid) == "cgm-alarm-ab0c"
    assert config.hostname({}, uid) == "cgm-alarm-ab0c"
    assert config.hostname({}, b"\x24\x0a\xc4\x12\x34\x56") == "cgm-alarm-3456"
    assert config.hostname({"hostname": "kitchen-box"}, uid) == "kitchen-box"
    ap = import_setup_ap()[0]   # beside the firmware's clock, which CPython cannot import alone
    assert config.hostname({}, uid) == ap.credentials(uid)[0].lower()
    assert config._check_scalar("hostname", config.hostname({}, uid)) is None


def test_the_boxs_own_name_comes_from_the_boards_unique_id_or_is_empty():
    # without a uid given, machine.unique_id() names the box; a board that cannot tell
    # gives "" (a name of its own for each box; never None, which the pages would print)
    class Machine:
        uid = b"\x24\x0a\xc4\x12\xab\x0c"

        @classmethod
        def unique_id(cls):
            if cls.uid is None:
                raise OSError(19)
            return cls.uid
    assert swap_module("machine", Machine, lambda: config.hostname({})) == "cgm-alarm-ab0c"
    Machine.uid = None
    assert swap_module("machine", Machine, lambda: config.hostname({})) == ""


def test_a_kept_boards_name_that_is_no_board_is_not_taken():
    # board.txt holds the name settings on the defaults take: one damaged or edited into
    # what no board file is called is not taken (the defaults' board, and its problem)
    folder = scratch.fresh(WORK, "kept_board")   # a folder of its own: board.txt beside it
    path = scratch.fresh(folder, "config.json")
    scratch.fresh(folder, config.BOARD_FILE)
    assert config.kept_board(path) is None and config.kept_board_file(path, "m5stickc-plus2") is None
    for bad in ("../config", "my board", "b" * 33):
        _write(path[:path.rfind("/") + 1] + config.BOARD_FILE, bad.encode())
        assert config.kept_board(path) is None, bad
    _write(path[:path.rfind("/") + 1] + config.BOARD_FILE, b"m5stickc-plus2\n")
    assert config.kept_board(path) == "m5stickc-plus2"


def test_board_is_a_file_name_of_boards():
    for good in ("esp32-devkitc", "m5stickc-plus2", "my_board_2", "a", "b" * 32):
        assert _accepted({"board": good})["board"] == good
    for bad in ("", "b" * 33, "Esp32", "a b", "../x", "x.json", 5, None):
        clean, problems = _refused({"board": bad}, "board")
        assert clean["board"] == "esp32-devkitc", bad
        assert problems == ["board: must be a board name (1-32 of a-z 0-9 _ -), a file in boards/"]


def test_utc_offset_is_whole_minutes_from_minus_720_to_840():
    for good in (-720, 0, 330, 840):
        assert _accepted({"utc_offset_min": good})["utc_offset_min"] == good
    for bad in (-721, 841, 60.0, "60", True, None):
        clean, problems = _refused({"utc_offset_min": bad}, "utc_offset_min")
        assert clean["utc_offset_min"] == 0
        assert problems == ["utc_offset_min: must be a whole number from -720 to 840"], bad


def test_tz_is_empty_or_a_posix_rule_that_parses():
    for good in ("", "CET-1CEST,M3.5.0,M10.5.0/3", "<+0530>-5:30", "AEST-10AEDT,M10.1.0,M4.1.0/3"):
        assert _accepted({"tz": good})["tz"] == good
    for bad in ("Europe/Berlin", "CET-1CEST", "EST5EDT,M3.2.0", 60, None, "x" * 65):
        clean, problems = _refused({"tz": bad}, "tz")
        assert clean["tz"] == "", bad
        assert len(problems) == 1 and "POSIX time-zone rule" in problems[0], problems


def test_admin_password_is_empty_or_8_to_64_and_never_echoed():
    for good in ("", "p" * 8, "p" * 64):
        assert _accepted({"admin_password": good})["admin_password"] == good
    for bad in ("secret7", "q", "q" * 65, 12345678, None):
        clean, problems = _refused({"admin_password": bad}, "admin_password")
        assert clean["admin_password"] == ""
        assert "secret7" not in str(problems) and "qqqq" not in str(problems)
        assert "(got" not in str(problems)       # not even the length of a secret


def test_unknown_keys_are_problems_and_dropped():
    clean, problems = _refused({"transmiter_id": "8G1234"}, "transmiter_id")
    assert problems == ["transmiter_id: unknown key"] and "transmiter_id" not in clean
    assert config.validate([])[1] == ["config: must be a JSON object {...}"]
    assert config.validate(None)[0] == config.defaults()
    # a key that is not a string (MicroPython's json made one of `60null` before syntax_problem
    # caught it: validate raised TypeError, and config.load with it)
    assert sorted(config.validate({None: 1, True: "high"})[1]) == ["None: unknown key", "True: unknown key"]


# --- wifi -------------------------------------------------------------------------

SSID_LEN = "wifi[0].ssid: must be 1 to 32 bytes (a letter such as \u00e9 takes 2)"


RAW_KEY = ("wifi[0].password: is 64 characters: a raw key is 64 hex digits (0-9, a-f), "
           "a password 8 to 63 characters (WPA2)")


def test_wifi_networks_are_checked_one_by_one():
    # names and passwords in UTF-8 bytes, as the ESP32 port copies them (32 and 63)
    nets = [{"ssid": "s" * 32, "password": "p" * 8}, {"ssid": "x", "password": "p" * 63},
            {"ssid": "open"}, {"ssid": "open2", "password": ""}, {"ssid": "\u00e9" * 16, "password": "\u00e9" * 31 + "p"}]
    assert _accepted({"wifi": nets})["wifi"] == nets
    # a raw key of 64 hex digits (a router's label), which the ESP32 takes as the key itself
    keys = [{"ssid": "k", "password": "0123456789abcdef" * 4}, {"ssid": "K", "password": "A1b2C3d4E5f6A7B8" * 4}]
    assert _accepted({"wifi": keys})["wifi"] == keys
    cases = (([{"ssid": "", "password": "p" * 8}], SSID_LEN),
             ([{"ssid": "s" * 33}], SSID_LEN),
             ([{"password": "p" * 8}], SSID_LEN),
             ([{"ssid": 5}], SSID_LEN),
             ([{"ssid": "a"}, {"ssid": "b", "password": "p" * 7}],
              "wifi[1].password: must be empty or 8 to 63 characters (WPA2)"),
             ([{"ssid": "a", "password": "p"}],
              "wifi[0].password: must be empty or 8 to 63 characters (WPA2)"),
             # 64 characters: told what a raw key is (a router's label mistyped: an O for a 0)
             ([{"ssid": "a", "password": "p" * 64}], RAW_KEY),
             ([{"ssid": "a", "password": "0123456789abcdef" * 3 + "0123456789abcdeg"}], RAW_KEY),
             ([{"ssid": "a", "password": "0123456789abcdef" * 4 + "0"}],
              "wifi[0].password: must be empty or 8 to 63 characters (WPA2)"),
             ([{"ssid": "\u00e9" * 16 + "s"}], SSID_LEN),
             ([{"ssid": "a", "password": "\u00e9" * 32}],
              "wifi[0].password: must be empty or 8 to 63 bytes: a letter such as \u00e9 takes 2 (WPA2)"),
             ([{"ssid": "a", "pasword": "p" * 8}], "wifi[0].pasword: unknown key"),
             (["home"], 'wifi[0]: must be {"ssid", "password"}'),
             ({"ssid": "a"}, 'wifi: must be a list of {"ssid", "password"}'),
             ([{"ssid": "n%d" % k} for k in range(6)], "wifi: at most 5 networks (got 6)"))
    for wifi, problem in cases:
        clean, problems = _refused({"wifi": wifi}, "wifi")
        assert problems == [problem], (wifi, problems)
        assert clean["wifi"] == [], wifi       # not half a list
    # every bad network is named, the good ones do not make the list usable
    clean, problems = config.validate({"wifi": [{"ssid": ""}, 7, {"ssid": "ok"}, {"ssid": "b", "x": 1}]})
    assert [p.split(":")[0] for p in problems] == ["wifi[0].ssid", "wifi[1]", "wifi[3].x"], problems
    assert clean["wifi"] == []
    assert "p" * 7 not in str(config.validate({"wifi": [{"ssid": "a", "password": "p" * 7}]})[1])


# --- sections -----------------------------------------------------------------------

def _section(name, **fields):
    return {name: fields}


def test_a_section_is_taken_whole_or_not_at_all():
    raw = _section("nightscout", url="https://ns.example.org", ca_file="ca.pem", api_secret="short")
    clean, problems = _refused(raw, "nightscout.api_secret")
    assert clean["nightscout"] == config.defaults()["nightscout"]   # not the URL without its secret
    clean, problems = _refused(_section("mqtt", host="broker.lan", prt=1883), "mqtt.prt")
    assert problems == ["mqtt.prt: unknown key"] and clean["mqtt"]["host"] == ""
    for not_an_object in ([], "https://ns.example.org", 5, None):
        clean, problems = _refused({"nightscout": not_an_object}, "nightscout")
        assert problems == ["nightscout: must be an object {...}"]
        assert clean["nightscout"] == config.defaults()["nightscout"]
    # a section given in part keeps the defaults for the rest
    assert _accepted(_section("mqtt", host="broker.lan"))["mqtt"] == dict(config.defaults()["mqtt"],
                                                                         host="broker.lan")


NS_SECRET = "0123456789abcdef"   # a URL needs a secret or a token (test_config_forwarders.py)


def test_nightscout_url_rules():
    ok = (("", ""), ("https://ns.example.org", "ca.pem"), ("https://h", "c"),
          ("https://" + "h" * 192, "ca.pem"))               # 200 characters
    for url, ca in ok:
        assert _accepted(_section("nightscout", url=url, ca_file=ca, api_secret=NS_SECRET)
                         )["nightscout"]["url"] == url
    assert _accepted(_section("nightscout", url="http://192.168.1.5:1337", allow_http=True,
                              api_secret=NS_SECRET))
    bad = (("http://192.168.1.5", False, "http:// sends the secret in clear"),
           ("http://192.168.1.5", "yes", None),
           ("ftp://ns.example.org", True, "must start with https:// or http://"),
           ("ns.example.org", True, "must start with https:// or http://"),
           ("https://", True, "has no host name"),
           ("http://", True, "has no host name"),
           ("https:///api", True, "has no host name"),
           ("https://:443", True, "has no host name"),
           ("http://?x=1", True, "has no host name"),
           ("https://ns example.org", True, "must be a URL without spaces"),
           ("https://" + "h" * 193, True, "must be a URL without spaces, at most 200 characters"),
           (5, True, "must be text"),
           (None, True, "must be text"))
    for url, allow, says in bad:
        clean, problems = _refused(_section("nightscout", url=url, allow_http=allow, ca_file="ca.pem"),
                                   "nightscout")
        if says is not None:
            assert [p for p in problems if p.startswith("nightscout.url: " + says)], (url, problems)
        assert clean["nightscout"]["url"] == ""


def test_https_needs_its_ca_file_and_the_path_is_short():
    for name in ("nightscout", "follow"):
        clean, problems = _refused(_section(name, url="https://ns.example.org", ca_file="",
                                            api_secret=NS_SECRET), name + ".ca_file")
        assert problems[0].startswith(name + ".ca_file: required for an https:// url")
        assert _accepted(_section(name, url="https://ns.example.org", ca_file="c" * 64,
                                  api_secret=NS_SECRET))
        for bad in ("c" * 65, 5, None):
            _refused(_section(name, url="https://ns.example.org", ca_file=bad, api_secret=NS_SECRET),
                     name + ".ca_file")
        assert _accepted(_section(name, ca_file=""))            # off: nothing needed
    assert _accepted(_section("nightscout", url="http://10.0.0.2", allow_http=True, ca_file="",
                              api_secret=NS_SECRET))


def test_secret_and_token_lengths():
    # (section, key, shortest, longest); "" always means "not set"
    for name, key, lo, hi in (("nightscout", "api_secret", 12, 128), ("nightscout", "token", 1, 128),
                              ("lan_api", "api_secret", 1, 128), ("follow", "api_secret", 1, 128),
                              ("follow", "token", 1, 128), ("mqtt", "password", 1, 64)):
        for good in ("", "s" * lo, "s" * hi):
            assert _accepted(_section(name, **{key: good}))[name][key] == good, (name, key, len(good))
        for bad in ("t" * (lo - 1) if lo > 1 else None, "t" if lo > 1 else None, "t" * (hi + 1), 5):
            clean, problems = _refused(_section(name, **{key: bad}), name + "." + key)
            assert clean[name][key] == "", (name, key, bad)
            text = str(problems)
            assert "(got" not in text and "ttt" not in text, problems     # secret: no value, no length
            if isinstance(bad, str):
                assert "must be empty or %d to %d characters" % (lo, hi) in text, problems
            else:
                assert problems == ["%s.%s: must be text" % (name, key)], problems


def test_mqtt_user_is_not_secret_and_says_its_length():
    assert _accepted(_section("mqtt", user="u" * 64))["mqtt"]["user"] == "u" * 64
    problems = _refused(_section("mqtt", user="u" * 65), "mqtt.user")[1]
    assert problems == ["mqtt.user: must be empty or 1 to 64 characters (got 65)"]


def test_a_nightscout_api_secret_is_12_to_128_characters_as_the_readme_says():
    site = dict(url="https://ns.example.org", ca_file="ca.pem")
    for good in ("s" * 12, "s" * 128):
        assert _accepted(_section("nightscout", api_secret=good, **site))["nightscout"]["api_secret"] == good
    for bad in ("s" * 11, "s" * 129):
        problems = _refused(_section("nightscout", api_secret=bad, **site), "nightscout.api_secret")[1]
        assert problems == ["nightscout.api_secret: must be empty or 12 to 128 characters"], problems


def test_booleans_are_true_or_false_only():
    for name, key in (("nightscout", "allow_http"), ("mqtt", "tls"), ("lan_api", "enabled")):
        assert _accepted(_section(name, **{key: False}))[name][key] is False
        for bad in ("true", 1, 0, None):
            problems = _refused(_section(name, **{key: bad}), name + "." + key)[1]
            assert problems == ["%s.%s: must be true or false" % (name, key)], (name, key, bad)
    assert _accepted(_section("lan_api", enabled=False))["lan_api"]["enabled"] is False
    assert _accepted(_section("mqtt", tls=True))["mqtt"]["tls"] is True     # MQTT off: nothing sent


def test_ports_are_1_to_65535():
    for name in ("mqtt", "lan_api"):
        for good in (1, 65535):
            assert _accepted(_section(name, port=good))[name]["port"] == good
        for bad in (0, 65536, -1, "1883", 1883.0, True, None):
            clean, problems = _refused(_section(name, port=bad), name + ".port")
            assert problems == ["%s.port: must be a whole number from 1 to 65535" % name], (name, bad)


def test_the_lan_api_may_not_take_the_setup_pages_port_80():
    # on 80 the LAN API took the setup page's port: the page's server failed at every restart
    # (the device alarm for good, no page to mend the settings with); refused, the section
    # stays on its defaults (17580) and the problem says why
    clean, problems = _refused(_section("lan_api", port=80), "lan_api.port")
    assert problems == ["lan_api.port: 80 is the setup page's port"], problems
    assert clean["lan_api"]["port"] == 17580
    for good in (79, 81, 8080):
        assert _accepted(_section("lan_api", port=good))["lan_api"]["port"] == good
    assert _accepted(_section("mqtt", port=80))["mqtt"]["port"] == 80   # a broker's port: the box connects


def test_mqtt_host_and_topic():
    for good in ("", "broker.lan", "192.168.1.2", "h" * 100):
        assert _accepted(_section("mqtt", host=good))["mqtt"]["host"] == good
    for bad in ("h" * 101, "broker lan", "mqtt://broker", "broker/x", 5, None):
        problems = _refused(_section("mqtt", host=bad), "mqtt.host")[1]
        assert problems == ["mqtt.host: must be a host name or address (no spaces or slashes)"], bad
    problems = _refused(_section("mqtt", host="broker.lan", tls=True), "mqtt.host")[1]
    assert problems[0].startswith("mqtt.host: MQTT over TLS is not supported")
    for good in ("cgm", "home/cgm/box1", "t" * 64):
        assert _accepted(_section("mqtt", topic=good))["mqtt"]["topic"] == good
    for bad in ("", "t" * 65, "cgm/#", "cgm/+/x", 5, None):
        problems = _refused(_section("mqtt", topic=bad), "mqtt.topic")[1]
        assert problems == ["mqtt.topic: must be 1-64 characters without the wildcards # and +"], bad
    problems = _refused(_section("mqtt", topic="cgm\x00box"), "mqtt.topic")[1]
    assert problems == ["mqtt.topic: must not hold a NUL character"], problems
    for good in ("/home/cgm", "/"):   # valid MQTT ("/" gives topics like "/glucose"), kept working
        assert _accepted(_section("mqtt", topic=good))["mqtt"]["topic"] == good



def test_mqtt_topic_and_user_without_what_the_broker_hangs_up_on():
    # MQTT 3.1.1 (1.5.3): a client should not send a control character or a Unicode
    # non-character in a topic or user name, and mosquitto (Home Assistant's broker add-on)
    # closes the connection at the CONNECT that carries one (its will topic, the user):
    # a pasted tab, or U+0085 (a "..." decoded in the wrong code page), and MQTT never
    # worked, told only by mqtt_unreachable an hour later instead of at the save
    for bad in ("cgm\tbox", "cgm\n", "cgm\x7f", "cgm\x85", "cgm\x9f", "cgm\ufdd0", "cgm\uffff",
                "cgm\U0001fffe", "cgm\x1f", "cgm\ufdef"):   # (and each range's last)
        for key in ("topic", "user"):
            problems = _refused(_section("mqtt", **{key: bad}), "mqtt." + key)[1]
            assert problems == ["mqtt.%s: must not hold a control character or a Unicode "
                                "non-character (the broker hangs up on it)" % key], (key, bad, problems)
    # just outside each range: a space, "~", the characters around U+FDD0-U+FDEF
    for good in ("K\u00fcche/cgm", "cgm\u00a0box", "cgm \U0001f600", "cgm\u200b", "\u00a0",
                 "cgm box~", "cgm\ufdcf", "cgm\ufdf0"):
        assert _accepted(_section("mqtt", topic=good))["mqtt"]["topic"] == good
        assert _accepted(_section("mqtt", user=good))["mqtt"]["user"] == good


def test_follow_rules():
    clean = _accepted({"role": "follower", "follow": {"url": "http://box.local:17580", "silent_min": 6,
                                                      "poll_s": 10}})
    assert clean["follow"]["url"] == "http://box.local:17580"        # a leader on the LAN: plain HTTP
    assert _accepted(_section("follow", silent_min=60, poll_s=300))["follow"]["poll_s"] == 300
    for key, lo, hi in (("silent_min", 6, 60), ("poll_s", 10, 300)):
        for bad in (lo - 1, hi + 1, str(lo), True, None):
            problems = _refused(_section("follow", **{key: bad}), "follow." + key)[1]
            assert problems == ["follow.%s: must be a whole number from %d to %d" % (key, lo, hi)], bad
    for bad in ("ftp://box", "http://", "box.local", 5):
        _refused(_section("follow", url=bad), "follow.url")
    for sound in ("all", "unanswered"):
        assert _accepted(_section("follow", sound=sound))["follow"]["sound"] == sound
    for bad in ("Unanswered", "", None, True, "none"):   # the section refused whole: `device` (config)
        problems = _refused(_section("follow", sound=bad), "follow.sound")[1]
        assert problems == ['follow.sound: must be "all" or "unanswered"'], bad
    problems = _refused({"role": "follower"}, "follow.url")[1]
    assert problems == ['follow.url: must be set when role is "follower"']
    problems = _refused({"role": "follower", "follow": {"url": "ftp://x"}}, "follow.url")[1]
    # the bad URL only: "must be set" beside it sent the family to an address typed
    assert problems == ["follow.url: must start with https:// or http://"], problems



def test_a_follower_pointed_at_a_boxs_settings_page_is_refused_its_lan_api_taken():
    # README (follow): a box's own name, as its status page gives it, without its LAN API's
    # port or with 80 is its settings page, which answers a follower's every request with
    # 404: refused at the save, not a follower whose `link` alarm sounds all night
    for bad in ("http://cgm-alarm-1a2b.local", "http://cgm-alarm-1a2b.local/",
                "http://cgm-alarm-1a2b.local:80", "HTTP://CGM-Alarm-1A2B.local.:80/"):
        problems = _refused(_section("follow", url=bad), "follow.url")[1]
        assert problems == ["follow.url: is that box's settings page: add its LAN API's port, e.g. "
                            "http://cgm-alarm-1a2b.local:17580 (lan_api.port on that box)"], (bad, problems)
    for good in ("http://cgm-alarm-1a2b.local:17580", "http://cgm-alarm-1a2b.local:8080/",
                 "http://kitchen.local", "http://192.168.1.20:17580"):
        assert _accepted(_section("follow", url=good))["follow"]["url"] == good
    assert config.url_host("https://NS.Example.org.:443/ns/x") == ("ns.example.org", "443")


def test_a_follower_poll_too_slow_for_the_stale_limit_is_refused_not_a_box_that_judges_nothing():
    # (review of session 43) poll_s 300 with stale_minutes 5, each valid alone: every reading
    # reached the follower over 300 s old, so none raised a glucose alarm (an urgent low only
    # `no_data`, medium priority)
    url = "http://box.local:17580"
    cfg = {"role": "follower", "follow": {"url": url, "poll_s": 300}, "alarms": {"stale_minutes": 5}}
    clean, problems = config.validate(cfg)
    assert problems == ["follow.poll_s: at most 240 with alarms.stale_minutes 5: a reading fetched "
                        "later is too old for any glucose alarm (60 used)"], problems
    assert clean["follow"]["poll_s"] == 60 and clean["follow"]["url"] == url
    assert clean["alarms"]["stale_minutes"] == 5
    for poll, stale in ((240, 5), (300, 6), (300, 10)):
        cfg = {"role": "follower", "follow": {"url": url, "poll_s": poll}, "alarms": {"stale_minutes": stale}}
        assert config.validate(cfg) == (dict(clean, follow=dict(clean["follow"], poll_s=poll),
                                             alarms=dict(clean["alarms"], stale_minutes=stale)), [])
    # a leader polls nothing: its follow section is not its alarms' business
    leader = {"follow": {"poll_s": 300}, "alarms": {"stale_minutes": 5}}
    assert config.validate(leader)[1] == []


# --- the alarm settings' validator ------------------------------------------------------

class _Refusal(ValueError):
    pass


def _alarms_with(refuse):
    """fn() with alarms.settings.validate refusing any non-empty alarms object by
    calling refuse(alarms) (the defaults, for {}, stay the real ones)."""
    from alarms import settings
    real = settings.validate

    def validate(a):
        return real(a) if a == {} else refuse(a)
    return lambda fn: swap(settings, "validate", validate, fn)


def test_the_alarm_validators_problems_are_passed_on_with_their_key():
    def listing(a):
        e = _Refusal("two problems")
        e.problems = ["low: must be 55 to 150", "alarms.high: must be 120 to 400"]
        e.usable = {"low": 70, "high": 250}
        raise e
    clean, problems = _alarms_with(listing)(lambda: config.validate({"alarms": {"low": 5}}))
    assert problems == ["alarms.low: must be 55 to 150", "alarms.high: must be 120 to 400"]
    assert clean["alarms"] == {"low": 70, "high": 250}        # the usable values, the rest defaults

    def plain(a):
        raise ValueError("low: must be 55 to 150; high: must be 120 to 400\nsnooze: bad")
    clean, problems = _alarms_with(plain)(lambda: config.validate({"alarms": {"low": 5}}))
    assert problems == ["alarms.low: must be 55 to 150", "alarms.high: must be 120 to 400",
                        "alarms.snooze: bad"], problems
    assert clean["alarms"] == config.defaults()["alarms"]

    def crashing(a):
        raise TypeError("boom")
    clean, problems = _alarms_with(crashing)(lambda: config.validate({"alarms": {"low": 5}}))
    assert problems == ["alarms: could not be validated (TypeError: boom)"], problems
    assert clean["alarms"] == config.defaults()["alarms"]


def test_without_the_alarm_module_the_config_says_so():
    def run():
        assert config.defaults()["alarms"] == {}
        clean, problems = config.validate({"alarms": {"low": 70}})
        assert problems == ["alarms: alarm settings not validated: module alarms.settings missing"]
        assert clean["alarms"] == {"low": 70}
        clean, problems = config.validate({"alarms": 7})
        assert problems and clean["alarms"] == {}
    swap(config, "_alarm_settings", lambda: None, run)


# --- save / ConfigError ---------------------------------------------------------------

def test_config_error_lists_every_problem():
    path = scratch.fresh(WORK, "refused.json")
    try:
        config.save(path, {"slot": 3, "board": ""})
        assert False, "saved a bad config"
    except ValueError as e:
        assert isinstance(e, config.ConfigError)
        assert sorted(e.problems) == ["board: must be a board name (1-32 of a-z 0-9 _ -), a file in boards/",
                                      'slot: must be one of "receiver", "phone"']
        assert str(e) == "invalid configuration: " + "; ".join(e.problems)


# --- reading the file ---------------------------------------------------------------------

def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def test_the_size_limit_is_16_kb_exactly():
    assert config.MAX_BYTES == 16384
    body = b'{"transmitter_id": "8G1234"}'
    exact = body + b" " * (config.MAX_BYTES - len(body))
    raw, problems = config.parse(exact, "c.json")
    assert problems == [] and raw == {"transmitter_id": "8G1234"}
    raw, problems = config.parse(exact + b" ", "c.json")
    assert raw is None and problems == ["c.json: larger than 16384 bytes, not a configuration"]
    path = scratch.fresh(WORK, "exact.json")
    _write(path, exact)
    cfg, problems = config.load(path)
    assert problems == [] and cfg["transmitter_id"] == "8G1234"


def test_a_parser_failure_or_no_memory_is_a_problem_not_a_crash():
    class NoMemoryJson:
        @staticmethod
        def loads(text):
            raise MemoryError()
    raw, problems = swap(config, "json", NoMemoryJson, lambda: config.parse(b"{}", "c.json"))
    assert raw is None and problems == ["c.json: could not be read (MemoryError)"]

    def no_memory(path):
        raise MemoryError()
    path = scratch.fresh(WORK, "nomem.json")
    cfg, problems = swap(config, "_read", no_memory, lambda: config.load(path))
    assert problems[:2] == [path + ": not enough free memory to read it",
                            path + ": using safe defaults"], problems
    assert cfg == config.defaults()

    def broken(data):
        raise IndexError("walk")
    raw, problems = swap(config, "duplicate_keys", broken, lambda: config.parse(b'{"a": 1}', "c.json"))
    assert raw == {"a": 1} and len(problems) == 1 and "IndexError" in problems[0], problems

    # the strict grammar check out of memory: the parser's own reading stands, and what it
    # refuses is still a problem, not a crash
    def no_memory_check(data):
        raise MemoryError()
    for data, want in ((b'{"a": 1}', {"a": 1}), (b'{"a": 1', None)):
        raw, problems = swap(config, "syntax_problem", no_memory_check, lambda: config.parse(data, "c.json"))
        assert raw == want, (data, raw)
        if want is None:
            assert len(problems) == 1 and problems[0].startswith(
                "c.json: not valid JSON (half written or edited by hand?), 7 bytes"), problems


def test_a_tz_rule_that_cannot_be_checked_is_a_problem_not_a_crash():
    # review17: load() never raises, but the tz check's out-of-memory did (from
    # App() at boot: no box at all); now the rule is refused with a problem
    from app import localtime

    def no_memory(text):
        raise MemoryError()
    path = scratch.fresh(WORK, "tz_nomem.json")
    _write(path, b'{"transmitter_id": "8G1234", "tz": "CET-1CEST,M3.5.0,M10.5.0/3"}')
    cfg, problems = swap(localtime, "parse", no_memory, lambda: config.load(path))
    assert cfg["tz"] == "" and cfg["transmitter_id"] == "8G1234", cfg
    assert len(problems) == 1 and "tz" in problems[0] and "MemoryError" in problems[0], problems


def test_an_unfinishable_interrupted_save_is_a_problem():
    path = scratch.fresh(WORK, "recover.json")
    _write(path, b'{"transmitter_id": "8G1234"}')

    def fails(p):
        raise OSError(5)
    cfg, problems = swap(config.fsutil, "recover", fails, lambda: config.load(path))
    assert problems[0].startswith(path + ": could not finish an interrupted save"), problems
    assert len(problems) == 1 and cfg["transmitter_id"] == "8G1234"


def test_fallbacks_report_what_they_found():
    path = scratch.fresh(WORK, "fallback.json")
    cfg, problems = config.load(path)         # nothing at all: exactly these
    assert problems == [path + ": missing", path + ": using safe defaults",
                        "transmitter_id: not set; the box cannot read a transmitter until it is"], problems
    assert cfg == config.defaults()
    _write(path, b"{half")
    _write(path + ".bak", b'{"transmitter_id": "8G1234", "slot": "phone", "slot": "phone"}')
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G1234" and cfg["slot"] == "phone"
    assert "slot: appears more than once in the same {...}; the last one is used" in problems, problems
    assert path + ": using the previous copy " + path + ".bak" in problems
    # no file and no alarm module: that is said too
    cfg, problems = swap(config, "_alarm_settings", lambda: None,
                          lambda: config.load(scratch.fresh(WORK, "none.json")))
    assert "alarms: alarm settings not validated: module alarms.settings missing" in problems


# --- a string's escapes ------------------------------------------------------------------

def test_an_escape_json_does_not_have_is_refused_with_its_line():
    # (session 65, helper-331) MicroPython's json read `\q` as q and `\u00zz` as U+0233,
    # where tools/flash.py (CPython) refuses the file: a password typed on the board as
    # "ab\qc" was joined with as "abqc", silently
    bad = "line 2: a backslash in a string that starts no JSON escape (write one as \\\\; \\u takes 4 hex digits)"
    for esc in (b"\\q", b"\\x41", b"\\U00e9", b"\\u00zz", b"\\u12", b"\\u", b"\\'", b"\\0", b"\\ ", b"\\\xc3\xa9"):
        data = b'{"wifi": [{"ssid": "home",\n "password": "ab' + esc + b'c"}]}'
        assert config.syntax_problem(data) == bad, (esc, config.syntax_problem(data))
        raw, problems = config.parse(data, "c.json")
        assert raw is None and problems == ["c.json: not valid JSON (half written or edited by hand?), " + bad], (
            esc, raw, problems)
    # every escape JSON has, and a backslash or quote escaped before the string ends
    for esc in (b'\\"', b"\\\\", b"\\/", b"\\b", b"\\f", b"\\n", b"\\r", b"\\t", b"\\u00e9", b"\\uD83D",
                b"\\uAbCf"):
        for data in (b'{"a": "x' + esc + b'y"}', b'{"a": "' + esc + b'"}', b'{"' + esc + b'": 1}'):
            assert config.syntax_problem(data) is None, (data, config.syntax_problem(data))
    assert config.parse(b'{"a": "\\u00e9\\\\\\"\\/"}', "c.json") == ({"a": "\u00e9\\\"/"}, [])



def test_a_bad_literal_is_quoted_while_ascii_and_counted_from_the_first_byte_beyond():
    # (session 65's full mutation run: strictjson#253-#255 took the byte 0x80 for ASCII, and
    # CPython's decode of it raised UnicodeDecodeError out of syntax_problem, and #254 counted
    # DEL, the last ASCII byte, as not ASCII)
    assert config.syntax_problem(b'{"a": 1\x80}') == (
        "line 1: a run of 2 bytes is not a number, true, false or null (a comma missing, or a typo?)")
    assert config.syntax_problem(b'{"a": 1\x7f}') == (
        "line 1: '1\\x7f' is not a number, true, false or null (a comma missing, or a typo?)")

# --- duplicate keys --------------------------------------------------------------------

def test_duplicate_key_paths():
    cases = ((b'{"a": 1, "a": 2}', ["a"]),
             (b'{"a" : 1, "a"\n\t:2}', ["a"]),                   # blanks before the colon
             (b'{"a": 1, "a": 2, "a": 3}', ["a"]),                # named once
             (b'{"\\u0061": 1, "a": 2}', ["a"]),                  # the same key, escaped
             (b'{"x": "a\\"b", "a\\"b": 1, "a\\"b": 2}', ['a"b']),
             (b'{"x": "a\\\\", "a": 1}', []),                      # a string ending in a backslash
             (b'{"s": {"a": 1, "a": 2}}', ["s.a"]),
             (b'{"a": {"b": {"c": 1, "c": 2}}}', ["a.b.c"]),
             (b'{"a": {"b": {"c": {"d": 1, "d": 2}}}}', ["a.b.c.d"]),
             (b'[{"a": 1, "a": 2}]', ["[].a"]),
             (b'{"wifi": [{"ssid": 1, "ssid": 2}]}', ["wifi[].ssid"]),
             (b'{"l": [[{"k": 1, "k": 2}]]}', ["l[][].k"]),
             (b'{"a": "b", "b": 1}', []),                          # a value is not a key
             (b'{"a": ["a", "a", "b"]}', []),                      # nor a string in a list
             (b'[{"a": 1}, {"a": 2}]', []),                        # other objects
             (b'{"s": {"a": 1}, "t": {"a": 2}}', []),
             (b'{"s": {"a": 1}, "s": {"a": 2}}', ["s"]),
             (b'"a"', []), (b'["a" ]', []))
    for data, want in cases:
        assert config.duplicate_keys(data) == want, (data, config.duplicate_keys(data), want)


# --- redaction ----------------------------------------------------------------------------

def test_urls_lose_their_query_and_user_info_in_logs():
    cases = (("https://ns.example.org", "https://ns.example.org"),
             ("https://ns.example.org/api?token=abc&x=1", "https://ns.example.org/api?***"),
             ("?token=abc", "?***"),
             ("https://user:pass@ns.example.org/x", "https://***@ns.example.org/x"),
             ("http://u:p@box:17580/?s=1", "http://***@box:17580/?***"),
             ("", ""))
    for url, want in cases:
        got = config.redacted({"nightscout": {"url": url}, "follow": {"url": url}})
        assert got == {"nightscout": {"url": want}, "follow": {"url": want}}, (url, got)
    assert config.redacted({"url": 5, "x": [{"url": None}]}) == {"url": 5, "x": [{"url": None}]}
    cfg = config.defaults()
    cfg["wifi"] = [{"ssid": "home", "password": "correct horse"}]
    cfg["mqtt"]["password"] = "mqttpass"
    out = config.redacted(cfg)
    assert out["wifi"] == [{"ssid": "home", "password": "***"}] and out["mqtt"]["password"] == "***"
    assert out["mqtt"]["user"] == "" and out["admin_password"] == ""   # empty stays empty
    assert cfg["mqtt"]["password"] == "mqttpass"                        # a copy


def test_https_without_a_ca_file_key_is_refused():
    # found by mutation testing: ca_file was checked only when the key was given,
    # so {"url": "https://..."} alone passed validation and the uploader's start
    # failed at boot (start_forwarding) instead of naming the setting
    for name in ("nightscout", "follow"):
        clean, problems = config.validate({name: {"url": "https://ns.example.org"}})
        assert [p for p in problems if p.startswith(name + ".ca_file: required")], (name, problems)
        assert clean[name]["url"] == "", clean[name]


def test_version_true_or_1_0_is_not_version_1():
    for bad in (True, 1.0):
        clean, problems = config.validate({"version": bad})
        assert problems == ["version: must be 1"], (bad, problems)
        assert clean["version"] == 1 and clean["version"] is not True
