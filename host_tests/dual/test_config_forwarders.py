# config.json refuses what the forwarders would refuse at start (firmware/app/config.py
# _url, _across, file_problems), against the forwarders' own checks: forward/nightscout.py
# validate, forward/mqtt.py validate, forward/http.py parse_url (the follower's).
# Before, the setup page said "Saved." to settings the box then could not start with
# (a ConfigError in the forwarder's constructor: the `device` alarm, reason
# start_nightscout or start_mqtt, and no problem listed anywhere), or that it started
# with and that failed at every upload (an xDrip+-style .../api/v1/ address posted to
# /api/v1/api/v1/entries: 404). Pinned:
#   - each such Nightscout URL (user@, a bad port, ?query, #fragment, an /api/ path)
#     is a problem on nightscout.url, with no secret in the message, and the uploader
#     indeed refuses it or would post elsewhere than its entries;
#   - a trailing /api/v1 (as xDrip+ and Nightscout show the address) is dropped, not
#     refused, and the scheme is taken in any case ("Https://" from a phone keyboard);
#     the uploader then posts to <path>/api/v1/entries; the same for follow.url;
#   - a Nightscout URL needs an API secret or a token, not both (the uploader takes
#     exactly one); an MQTT password needs a user (MQTT 3.1.1 3.1.2.9, mqtt.validate);
#   - configurations a box ran with stay valid (http:// with allow_http, IPv4 hosts
#     with ports, a secret with the token unset, a Nightscout under a path of its own);
#   - a CA file that is not beside config.json (where make flash copies it) is a
#     problem at load (the box boots on the rest, the section off) and not otherwise.
# The forwarder configs are built as app/wiring.py builds them (_nightscout, _mqtt:
# an empty secret is none), which test_wiring_rules.py pins. Runs on CPython and
# MicroPython.
import sys

import scratch
from fakes import _beside_clock

from app import config
from forward import ConfigError
from forward import http

ns = _beside_clock(lambda: __import__("forward.nightscout").nightscout)
mqtt = _beside_clock(lambda: __import__("forward.mqtt").mqtt)

WORK = "build/test_config_forwarders_" + sys.implementation.name
SECRET = "0123456789abcdef"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _ca_beside(name="ca.pem"):
    """A CA file in the folder of the config file at WORK/config.json; its path."""
    path = scratch.fresh(WORK, name)
    with open(path, "w") as f:
        f.write(CA)
    return path


def _ns_section(url, **kw):
    sect = {"url": url, "api_secret": SECRET, "token": "", "allow_http": True, "ca_file": "ca.pem"}
    sect.update(kw)
    return sect


def _as_wiring_passes_it(sect, ca_path):
    """app/wiring.py _nightscout's config for the uploader; the CA read where the box
    would read it (its root, where config.json is: here the test's folder)."""
    return {"url": sect["url"], "secret": sect.get("api_secret") or None,
            "token": sect.get("token") or None, "lan": bool(sect.get("allow_http")),
            "ca_file": ca_path if sect.get("ca_file") else None}


def _uploader(sect, host=False):
    """(None, refusal) or (the path the uploader posts readings to, its port[, host])."""
    try:
        c = ns.validate(_as_wiring_passes_it(sect, _ca_beside()))
    except (ConfigError, ValueError) as e:
        return (None, str(e), None) if host else (None, str(e))
    got = (c["base"] + "/api/v1/entries", c["port"])
    return got + (c["host"],) if host else got


def _problems(raw):
    clean, problems = config.validate(raw)
    return clean, problems


# --- the Nightscout URL ---------------------------------------------------------------

def test_a_url_the_uploader_cannot_use_is_refused_on_the_url_field():
    bad = (("https://" + SECRET + "@ns.example.org", "must not hold a secret before @"),
           ("https://" + SECRET + "@ns.example.org/api/v1/", "must not hold a secret before @"),
           ("https://me:" + SECRET + "@ns.example.org", "must not hold a secret before @"),
           ("https://ns.example.org:44x", "has a port that is not a number from 1 to 65535"),
           ("https://ns.example.org:-1", "has a port that is not a number from 1 to 65535"),
           ("https://ns.example.org:0", "has a port that is not a number from 1 to 65535"),
           ("https://ns.example.org:65536", "has a port that is not a number from 1 to 65535"),
           ("https://ns.example.org/?token=box-1a2b3c", "must be the address of the site only, without ?"),
           ("https://ns.example.org?token=box-1a2b3c", "must be the address of the site only, without ?"),
           ("https://ns.example.org/#/report", "must be the address of the site only, without ?"),
           ("https://ns.example.org/api/v1/entries", "must be the address of the site only, without /api/"),
           ("https://ns.example.org/api/v1/api/v1/", "must be the address of the site only, without /api/"),
           ("https://ns.example.org/api", "must be the address of the site only, without /api/"))
    for url, says in bad:
        clean, problems = _problems({"nightscout": _ns_section(url)})
        assert len(problems) == 1 and problems[0].startswith("nightscout.url: " + says), (url, problems)
        assert SECRET not in problems[0] and "box-1a2b3c" not in problems[0], problems
        assert clean["nightscout"] == config.defaults()["nightscout"], url   # off, not half-taken
        # and the uploader would have refused it at start, or posted where no entries are
        path, port, host = _uploader(_ns_section(url), host=True)
        assert path is None or "?" in path + host or "#" in path or path.count("/api") > 1 \
            or not 1 <= port <= 65535, (url, path, port, host)


def test_the_address_as_xdrip_shows_it_is_kept_without_its_api_v1_and_the_scheme_in_any_case():
    good = (("https://ns.example.org", "https://ns.example.org", "/api/v1/entries", 443),
            ("https://ns.example.org/", "https://ns.example.org/", "/api/v1/entries", 443),
            ("https://ns.example.org/api/v1/", "https://ns.example.org", "/api/v1/entries", 443),
            ("https://ns.example.org/api/v1", "https://ns.example.org", "/api/v1/entries", 443),
            ("https://ns.example.org/API/V1//", "https://ns.example.org", "/api/v1/entries", 443),
            ("Https://ns.example.org", "https://ns.example.org", "/api/v1/entries", 443),
            ("HTTPS://ns.example.org:8443/api/v1/", "https://ns.example.org:8443", "/api/v1/entries",
             8443),
            ("https://ns.example.org/ns/api/v1/", "https://ns.example.org/ns", "/ns/api/v1/entries",
             443),
            ("https://ns.example.org/ns", "https://ns.example.org/ns", "/ns/api/v1/entries", 443),
            ("Http://192.168.1.9:1337/api/v1/", "http://192.168.1.9:1337", "/api/v1/entries", 1337),
            ("https://ns.example.org:1", "https://ns.example.org:1", "/api/v1/entries", 1),
            ("https://ns.example.org:65535/", "https://ns.example.org:65535/", "/api/v1/entries", 65535))
    for url, kept, posts_to, port in good:
        clean, problems = _problems({"nightscout": _ns_section(url)})
        assert problems == [], (url, problems)
        assert clean["nightscout"]["url"] == kept, (url, clean["nightscout"]["url"])
        assert _uploader(clean["nightscout"]) == (posts_to, port), url
    # an https:// in capitals still needs its CA file (the secret goes to a verified server only)
    clean, problems = _problems({"nightscout": _ns_section("Https://ns.example.org", ca_file="")})
    assert problems and problems[0].startswith("nightscout.ca_file: required for an https:// url")
    # the follower reads <path>/api/v1/entries/sgv.json: the same address rules
    clean, problems = _problems({"role": "follower", "follow": {"url": "HTTP://box.local:17580/api/v1/"}})
    assert problems == [] and clean["follow"]["url"] == "http://box.local:17580", problems
    assert http.parse_url(clean["follow"]["url"]) == ("http", "box.local", 17580, "")
    clean, problems = _problems({"role": "follower", "follow": {"url": "http://box.local:1758o"}})
    assert len(problems) == 1 and problems[0].startswith("follow.url: has a port that is not"), problems


def test_a_nightscout_url_needs_an_api_secret_or_a_token_not_both():
    for secret, token, problem in (("", "", "nightscout.api_secret: required with a Nightscout URL"),
                                   (SECRET, "box-1a2b3c", "nightscout.token: give the API secret "
                                                          "or an access token, not both")):
        sect = _ns_section("https://ns.example.org", api_secret=secret, token=token)
        clean, problems = _problems({"nightscout": sect})
        assert len(problems) == 1 and problems[0].startswith(problem), problems
        assert SECRET not in problems[0] and "box-1a2b3c" not in problems[0]
        assert clean["nightscout"]["url"] == ""
        path, why = _uploader(sect)
        assert path is None and "give exactly one" in why, why
    del sect["api_secret"], sect["token"]       # left out: the same as empty
    assert _problems({"nightscout": sect})[1][0].startswith("nightscout.api_secret: required")
    for secret, token in ((SECRET, ""), ("", "box-1a2b3c")):
        sect = _ns_section("https://ns.example.org", api_secret=secret, token=token)
        assert _problems({"nightscout": sect})[1] == []
        assert _uploader(sect) == ("/api/v1/entries", 443)
    # Nightscout off: a secret or token left over is no problem
    assert _problems({"nightscout": _ns_section("", api_secret="", token="")})[1] == []
    assert _problems({"nightscout": _ns_section("", token="box-1a2b3c")})[1] == []


# --- MQTT -------------------------------------------------------------------------------

def _as_wiring_passes_mqtt(sect):
    return {"host": sect["host"], "port": sect.get("port", 1883), "user": sect.get("user") or None,
            "password": sect.get("password") or None, "topic_prefix": sect.get("topic", "cgm")}


def test_an_mqtt_password_needs_a_user():
    sect = {"host": "broker.lan", "port": 1883, "user": "", "password": "mqtt-pass-9"}
    clean, problems = _problems({"mqtt": sect})
    assert problems == ["mqtt.password: needs an MQTT user: a broker takes a password only with "
                        "a user name"], problems
    assert clean["mqtt"]["host"] == ""
    try:
        mqtt.validate(_as_wiring_passes_mqtt(sect))
        raise AssertionError("the publisher took a password without a user")
    except ConfigError as e:
        assert "without mqtt.user" in str(e)
    for ok in (dict(sect, user="homeassistant"), dict(sect, password=""),
               dict(sect, host="")):   # off: a password left over is no problem
        clean, problems = _problems({"mqtt": ok})
        assert problems == [] and clean["mqtt"] == dict(config.defaults()["mqtt"], **ok), (ok, problems)
        if ok["host"]:
            assert mqtt.validate(_as_wiring_passes_mqtt(ok))["host"] == "broker.lan"


# --- what a box ran with ----------------------------------------------------------------

def test_the_configurations_a_box_ran_with_stay_valid():
    ran = ({"nightscout": {"url": "http://192.168.1.9:1337", "api_secret": SECRET, "token": "",
                           "allow_http": True, "ca_file": ""}},
           {"nightscout": {"url": "http://10.0.0.2/", "api_secret": SECRET, "allow_http": True}},
           {"nightscout": {"url": "https://ns.example.org", "api_secret": SECRET, "token": "",
                           "allow_http": False, "ca_file": "ca.pem"}},
           {"nightscout": {"url": "https://ns.example.org:443/", "token": "box-1a2b3c",
                           "ca_file": "/ca.pem"}},
           {"nightscout": {"url": "https://ns.example.org/ns", "api_secret": SECRET,
                           "ca_file": "ca.pem"}},
           {"mqtt": {"host": "192.168.178.20", "port": 1883, "user": "homeassistant",
                     "password": "mqtt-pass-9", "tls": False, "topic": "cgm"}},
           {"mqtt": {"host": "broker.lan"}},
           {"mqtt": {"host": "broker.lan", "user": "box"}},
           {"role": "follower", "follow": {"url": "http://leader.local:17580"}},
           {"role": "follower", "follow": {"url": "https://ns.example.org", "token": "box-1a2b3c",
                                           "ca_file": "ca.pem"}})
    _ca_beside()
    path = scratch.fresh(WORK, "config.json")
    for raw in ran:
        clean, problems = _problems(raw)
        assert problems == [], (raw, problems)
        for name, sect in raw.items():
            if name != "role":
                assert clean[name] == dict(config.defaults()[name], **sect), (name, clean[name])
        assert config.file_problems(clean, path) == [], raw
        if "nightscout" in raw:
            assert _uploader(clean["nightscout"])[0] in ("/api/v1/entries", "/ns/api/v1/entries")
        if "mqtt" in raw:
            assert mqtt.validate(_as_wiring_passes_mqtt(clean["mqtt"]))["host"] == raw["mqtt"]["host"]


# --- the CA file ------------------------------------------------------------------------

def _write_config(raw):
    import json
    path = scratch.fresh(WORK, "config.json")
    with open(path, "w") as f:   # by hand: no checksum line
        f.write(json.dumps(raw))
    return path


def test_a_ca_file_not_beside_the_config_is_a_problem_at_boot_and_that_section_is_off():
    scratch.fresh(WORK, "ca.pem")                   # not there
    raw = {"transmitter_id": "8G1234",
           "nightscout": {"url": "https://ns.example.org", "api_secret": SECRET, "ca_file": "ca.pem"},
           "mqtt": {"host": "broker.lan"},
           "follow": {"url": "https://ns.example.org", "ca_file": "/ca.pem"}}
    path = _write_config(raw)
    cfg, problems = config.load(path)               # never raises: the box boots on the rest
    assert sorted(p[:p.find(":")] for p in problems) == ["follow.ca_file", "nightscout.ca_file"], problems
    assert "nightscout.ca_file: ca.pem is not on the box" in problems[0] or \
        "nightscout.ca_file: ca.pem is not on the box" in problems[1], problems
    assert SECRET not in " ".join(problems)
    assert cfg["nightscout"] == config.defaults()["nightscout"]       # off: no uploader to refuse it
    assert cfg["follow"] == config.defaults()["follow"]
    assert cfg["mqtt"]["host"] == "broker.lan" and cfg["transmitter_id"] == "8G1234"
    assert config.file_problems(raw, path) == problems
    # an empty file is no certificate either (the uploader's TLS context refuses it)
    with open(scratch.fresh(WORK, "ca.pem"), "w"):
        pass
    assert len(config.load(path)[1]) == 2
    # there, beside config.json (a leading / is the board's root, where it is too): all taken
    _ca_beside()
    cfg, problems = config.load(path)
    assert problems == [] and cfg["nightscout"]["url"] == "https://ns.example.org", problems
    assert cfg["follow"]["ca_file"] == "/ca.pem"
    # an http:// address reads no CA file: nothing to find
    scratch.fresh(WORK, "ca.pem")
    raw["nightscout"]["url"] = "http://192.168.1.9:1337"
    raw["nightscout"]["allow_http"] = True
    del raw["follow"]
    cfg, problems = config.load(_write_config(raw))
    assert problems == [] and cfg["nightscout"]["url"] == "http://192.168.1.9:1337", problems


# --- the access token -------------------------------------------------------------------

def test_an_access_token_is_what_a_url_carries_as_it_is():
    # The uploader and the follower send the token as ?token=, unescaped: a space (a phone's
    # paste), an & or a # broke every request, the forwarding or link alarm the only sign.
    # Nightscout makes them as name-<16 hex> (Admin Tools); a 2016 release URL-encoded a
    # base64 digest (%2B, %2F), which a query carries as it is.
    # (and each range's ends: z, Z, 9; an escape at the very end, one followed by what is not hex)
    good = ("myname-0123456789abcdef", "box_1-a.b~c", "old-ab%2Bc%2fd/e", "t" * 128, "zZ9aA0",
            "ab%2F", "a%2Fz", "%41b")
    # (a bad first character; an escape with one bad digit of two; a bad character after one)
    bad = ("myname-0123 456789abcdef", "a&b", "a#b", "a?b", "a+b", "a%2", "a%zz", "a%", "a=b",
           "caf\u00e9-01", "tab\t", "t" * 129, "&abc", " abc", "a%2G", "a%G2", "a%2F&")
    for name in ("nightscout", "follow"):
        for token in good:
            sect = {"url": "https://ns.example.org", "token": token, "ca_file": "ca.pem"}
            assert _problems({name: sect})[1] == [], (name, token)
        for token in bad:
            sect = {"url": "https://ns.example.org", "token": token, "ca_file": "ca.pem"}
            clean, problems = _problems({name: sect})
            assert len(problems) == 1 and problems[0].startswith(name + ".token: must "), problems
            assert token not in problems[0] and clean[name]["url"] == "", (token, problems)
