"""The box's one configuration file: `config.json` at the board's root.

    cfg, problems = load(path)      # never raises; bad/missing file -> safe defaults + problems
    cfg = save(path, cfg)           # validates first; raises ConfigError(problems); atomic write
    cfg, problems = validate(cfg)   # every problem, "key: what is wrong"; bad keys -> defaults
    defaults()                      # a fresh copy of the safe defaults
    redacted(cfg)                   # a copy with every secret replaced by "***" (for logs, pages)

When `problems` is not empty the caller raises the `device` alarm with reason
`config`: the box then runs on the defaults shown below for every key that was
bad, so it keeps alarming on its own thresholds. A key that validates is kept.

Keys (JSON object; unknown keys are reported as problems, typos matter here):
  version         1
  role            "leader" (reads the transmitter) | "follower" (reads `follow.url`)
  transmitter_id  "" = not set yet (reported by load for a leader); 6 chars 0-9 A-Z
  slot            "receiver" (auth slot byte 0x01, the alternate channel: the
                  phone app keeps working) | "phone" (0x02, the app's channel)
  board           name of boards/<board>.json, default "esp32-devkitc"
  utc_offset_min  local time minus UTC in minutes (for alarm schedules), -720..840
  units           "mg/dl" | "mmol": how the box's screen shows glucose (thresholds
                  stay in mg/dL)
  tz              "" (use utc_offset_min) | a POSIX time-zone rule with daylight
                  saving time, e.g. "CET-1CEST,M3.5.0,M10.5.0/3" (app.localtime);
                  when set, schedules follow it and utc_offset_min is not used
  alarms          thresholds and schedules; validated (and filled with defaults)
                  by alarms.settings.validate, which owns their safe bounds
                  (the urgent-low floor cannot be configured away)
  wifi            list (max 5) of {"ssid": 1-32 bytes, "password": "" or 8-63 bytes (UTF-8),
                  or a raw key of 64 hex digits}
  nightscout      {"url": "" (off) | "https://..." | "http://..." only with
                   "allow_http": true (a plain-HTTP LAN host), "api_secret": ""
                   or >= 12 chars, "token": "" (a Nightscout access token, as
                   its Admin Tools make them: name-0123456789abcdef; it goes into
                   the URL as it is: letters, digits, - _ . ~ / and %XX only; with a
                   url: one of the two, not both), "ca_file": "" | path of the PEM/DER
                   CA certificate that signed the server's (required for https://:
                   the secret only goes to a verified server; load() reports it
                   when it is not on the box, see file_problems)}
                  A url (here and in follow) is the site's address: scheme in any
                  case, host, an optional :port 1-65535 and path; no user@, no ?...
                  or #..., no /api/ path. A trailing /api/v1 (as xDrip+ shows the
                  address) is dropped, not refused: the box adds it itself.
  mqtt            {"host": "" (off), "port": 1883, "user": "", "password": "" (needs a user),
                   "tls": false (true is refused: no MQTT over TLS yet),
                   "topic": "cgm" (no wildcards)}
  lan_api         {"enabled": true, "port": 17580 (xDrip+ web service port),
                   "api_secret": "" (then anyone on the LAN may read)}
  admin_password  "" = not set (the setup page asks for one first) or >= 8 chars
  hostname        "" (the box's own: "cgm-alarm-" + the 4 hex digits of its access
                  point's name CGM-Alarm-XXXX, one per box, see hostname()) | a name on
                  the home network (1-32 of a-z 0-9 -); phones and computers find the
                  box at http://<hostname>.local/ (mDNS), followers at
                  http://<hostname>.local:17580
  zone_checked    "" | the offsets a family kept when the setup page said that the phone
                  saving was not where these settings put the box: "-300/-240/0/0" (the
                  phone's in January and July, then the settings'); a later save with the
                  same is not asked again (written by setup.form.zone_mismatch's caller;
                  anything else is taken as "", with no problem: the zone is asked once more)
  follow          {"url": "" | leader "http://cgm-alarm-ab12.local:17580" | Nightscout
                   "https://ns.example.org", "api_secret": "", "token": "",
                   "silent_min": 15 (6..60: no new reading, nor with sound "unanswered"
                   a report of the leader's alarms, this long -> `link` alarm),
                   "poll_s": 60 (10..300), "ca_file": "" (required for https://),
                   "sound": "all" (every alarm sounds here too) | "unanswered" (a leader
                   box's alarms sound here only when nobody answers them there:
                   alarms.gate)};
                  url required when role is "follower"
Secrets (never printed, see redacted): wifi[].password, nightscout.api_secret,
nightscout.token, mqtt.password, lan_api.api_secret, admin_password,
follow.api_secret, follow.token. Problem messages never contain their values.

Files: writes go through app.fsutil.write_atomic (temp, fsync, rename; the
previous good copy is kept as `config.json.bak`). load() first lets
fsutil.recover() finish or discard an interrupted save, then reads the file;
an unreadable file (missing, larger than MAX_BYTES, not UTF-8, not JSON, too
deeply nested) falls back to the `.bak` copy, then to the defaults. A key
written twice in one object is a problem (every JSON parser keeps the last).
load() also reports the marker FLASH_MARKER (".flash_incomplete", beside the
config file) that tools/flash.py writes first and removes last: a board whose
flash was cut boots with a problem (so the `device` alarm), not silently.

Checksum: what dumps() writes (the box's saves, `make flash`) starts with a line
`"crc32": "<8 hex digits>",`, the CRC-32 of every byte after that line. A file
that starts so and does not match is damaged (flash damage could otherwise
change a threshold or a snooze and still parse: chaos round 5 found 63 of
3000 single-byte flips of a sample file that loaded with other values) and is
read as unreadable: the `.bak`, then the defaults. A file without the line
(written by hand) is read unchecked; one edited by hand must lose the line.
"""
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import json
from binascii import crc32, hexlify

from app import fsutil
from strictjson import syntax_problem, duplicate_keys

DEFAULT_PATH = "config.json"
FLASH_MARKER = ".flash_incomplete"  # written first and removed last by tools/flash.py
VERSION = 1
SECRET = "***"
BOARD_DEFAULT = "esp32-devkitc"  # boards/esp32-devkitc.json
ON_DEFAULTS = ": using safe defaults"  # the problem load() reports when neither file could be read
BOARD_FILE = "board.txt"  # the board's name beside the config: kept_board, keep_board
KEPT_BOARD_FILE = "board.json"  # the board file the box last took: keep_board_file
MAX_WIFI = 5
# The largest valid configuration is under 14 KB (every text field at its
# longest and non-ASCII, written as \uXXXX, as another tool may write it); anything
# bigger is not a configuration and is never read whole (it could exhaust the heap at boot).
MAX_BYTES = 16384

_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NAME_CHARS = const("abcdefghijklmnopqrstuvwxyz0123456789_-")
_HOST_CHARS = const("abcdefghijklmnopqrstuvwxyz0123456789-")   # a DNS label (RFC 1123), lower case

_SECTIONS = {
    "nightscout": {"url": "", "api_secret": "", "token": "", "allow_http": False, "ca_file": ""},
    "mqtt": {"host": "", "port": 1883, "user": "", "password": "", "tls": False, "topic": "cgm"},
    "lan_api": {"enabled": True, "port": 17580, "api_secret": ""},
    "follow": {"url": "", "api_secret": "", "token": "", "silent_min": 15, "poll_s": 60,
               "ca_file": "", "sound": "all"},
}
_SCALARS = {
    "version": VERSION,
    "role": "leader",
    "transmitter_id": "",
    "slot": "receiver",
    "board": BOARD_DEFAULT,
    "utc_offset_min": 0,
    "tz": "",
    "units": "mg/dl",
    "admin_password": "",
    "hostname": "",
    "zone_checked": "",
}
SECRET_KEYS = ("password", "api_secret", "token", "admin_password")   # (setup.form too)


class ConfigError(ValueError):
    """Raised by save(): `.problems` lists every "key: what is wrong"."""

    def __init__(self, problems):
        super().__init__("invalid configuration: " + "; ".join(problems))
        self.problems = problems


def _copy(obj):
    return json.loads(json.dumps(obj))


def _alarm_settings():
    """alarms.settings, imported lazily (it is another engineer's module), or None."""
    try:
        from alarms import settings
        return settings
    except ImportError:
        return None


def _alarm_problems(err):
    probs = getattr(err, "problems", None)
    if not probs:
        if not isinstance(err, ValueError):  # a crash in the validator, not a verdict
            return ["alarms: could not be validated (%s: %s)" % (type(err).__name__, err)]
        probs = [p.strip() for p in str(err).replace(";", "\n").split("\n") if p.strip()]
    return ["alarms." + p if not p.startswith("alarms") else p for p in probs]


def defaults():
    cfg = _copy(_SCALARS)
    for name, sect in _SECTIONS.items():
        cfg[name] = _copy(sect)
    cfg["wifi"] = []
    cfg["alarms"] = {}
    settings = _alarm_settings()
    if settings is not None:
        try:
            cfg["alarms"] = settings.validate({})
        except Exception:  # reported by validate() below when it matters
            pass
    return cfg


# --- field checks: return None when fine, else what is wrong ----------------


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


SETUP_PAGE_PORT = 80   # main.App.setup_port on the board


def _int_range(v, lo, hi):
    if not _is_int(v) or v < lo or v > hi:
        return "must be a whole number from %d to %d" % (lo, hi)


def raw_key(pw):
    """A WPA2 key given raw, 64 hex digits (some routers print it), not a passphrase: the
    ESP32 takes it (network.WLAN.connect copies all 64 bytes into the driver's password
    field, which reads 64 hex digits as the key itself, as hostapd and NetworkManager do)."""
    return len(pw) == 64 and all(c in "0123456789abcdefABCDEF" for c in pw)


def _text(v, lo, hi, secret=False):
    if not isinstance(v, str):
        return "must be text"
    if len(v) > 0 and (len(v) < lo or len(v) > hi):
        return "must be empty or %d to %d characters" % (lo, hi) + ("" if secret else
                                                                     " (got %d)" % len(v))


def _mqtt_text(v):
    """A topic or user name with a control character or a Unicode non-character, which
    MQTT 3.1.1 (1.5.3) says a client should not send: mosquitto closes the connection at
    the CONNECT that carries one (a pasted tab; U+0080-U+009F, text decoded in the wrong
    code page), and MQTT never worked, told only by mqtt_unreachable an hour later."""
    for c in v:
        n = ord(c)
        if n < 0x20 or 0x7F <= n <= 0x9F or 0xFDD0 <= n <= 0xFDEF or n & 0xFFFE == 0xFFFE:
            return "must not hold a control character or a Unicode non-character (the broker hangs up on it)"
    return None


def _token(v):
    """A Nightscout access token: sent as ?token=, unescaped (the uploader and the
    follower), so only what a URL's query carries as it is. Nightscout makes them as
    name-<16 hex> (name: a-z 0-9 _); a release of 2016 URL-encoded a base64 digest
    (%2B, %2F). A space (a phone's paste), an & or a # broke every request, with only
    the forwarding or link alarm to show for it."""
    problem = _text(v, 1, 128, secret=True)
    if problem:
        return problem
    i = 0
    while i < len(v):
        c = v[i]
        if c == "%" and i + 3 <= len(v) and all(ch in "0123456789abcdefABCDEF" for ch in v[i + 1:i + 3]):
            i += 3
            continue
        if not (c in "-_.~/" or ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9")):
            return ("must be the access token as Nightscout shows it, e.g. "
                    "myname-0123456789abcdef (no spaces, &, #, ? or +)")
        i += 1
    return None


def _bool(v):
    if not isinstance(v, bool):
        return "must be true or false"


def _scheme(url):
    """"https" / "http" / ... of a URL (any case: "Https://" as a phone typed it), or ""."""
    if not isinstance(url, str):
        return ""
    i = url.find("://")
    return url[:i].lower() if i > 0 else ""


# The URL rules mirror forward/http.py parse_url (the uploader's and the follower's own
# check at start: a URL it refuses sounded `device` with no problem listed) and what
# the uploader builds from it (base path + "/api/v1/entries"). Mirrored, not called:
# load() runs at every boot, before any forwarder is imported, and forward.http
# (with socket and forward.names) would cost heap on a box that forwards nothing;
# test_config_forwarders.py pins that the two agree.
def _url(v, allow_http):
    if not isinstance(v, str):
        return "must be text"
    if v == "":
        return None
    if " " in v or len(v) > 200:
        return "must be a URL without spaces, at most 200 characters"
    scheme = _scheme(v)
    if scheme == "http":
        if not allow_http:
            return ("http:// sends the secret in clear; use https:// or set allow_http "
                    "to true for a plain-HTTP host on your own network")
    elif scheme != "https":
        return "must start with https:// or http://"
    rest = v[len(scheme) + 3:]
    if not rest or rest[0] in "/:?#":
        return "has no host name"
    if "?" in rest or "#" in rest:   # the uploader adds its own path and ?token= after it
        return ("must be the address of the site only, without ?... or #... (give the API secret or "
                "token in its own field)")
    end = rest.find("/")
    hostport = rest if end < 0 else rest[:end]
    if "@" in hostport:   # xDrip+ shows https://SECRET@host/api/v1/: parse_url refuses it
        return ("must not hold a secret before @ (as xDrip+ writes it): give the API secret "
                "in its own field and the address as https://host")
    port = hostport.partition(":")[2]
    if port and (not port.isdigit() or not 1 <= int(port) <= 65535):
        return "has a port that is not a number from 1 to 65535 (after the ':')"
    path = _path(rest[len(hostport):])
    if "/api/" in path.lower() + "/":   # the box adds /api/v1/... itself: /api/v1/api/v1/entries
        return "must be the address of the site only, without /api/... (the box adds /api/v1 itself)"


def url_host(url):
    """(host, port text) of a URL, the host lowered without a final dot ("" if no port)."""
    host, _, port = url.partition("://")[2].split("/", 1)[0].lower().partition(":")
    return host.rstrip("."), port


def _settings_port(url):
    """A box by its own name (cgm-alarm-XXXX.local) on port 80 (none given): its settings
    page, as its status page gives the address, not its LAN API, which answers a follower's
    every request with 404."""
    host, port = url_host(url)
    if host.startswith("cgm-alarm-") and port in ("", "80"):
        return ("is that box's settings page: add its LAN API's port, e.g. "
                "http://%s:17580 (lan_api.port on that box)" % host)


def _path(path):
    """A URL's path less a trailing "/api/v1" (and "/"s): xDrip+ and Nightscout's own
    pages show the address with it, and the uploader appends /api/v1/entries to the
    path it is given (a Nightscout under a path of its own, https://host/ns, keeps it)."""
    path = path.rstrip("/")
    if path.lower().endswith("/api/v1"):
        path = path[:-7].rstrip("/")
    return path


def _clean_url(v):
    """A valid URL as the box keeps it: the scheme in lower case, no trailing /api/v1."""
    if not v:
        return v
    scheme = _scheme(v)
    rest = v[len(scheme) + 3:]
    end = rest.find("/")
    if end >= 0 and rest.rstrip("/").lower().endswith("/api/v1"):
        rest = rest[:end] + _path(rest[end:])
    return scheme + "://" + rest


def _tz(v):
    if v == "":
        return None
    try:
        from app import localtime
        localtime.parse(v)
    except ValueError as e:
        return "must be a POSIX time-zone rule such as CET-1CEST,M3.5.0,M10.5.0/3 (%s)" % e
    except Exception as e:   # out of memory: load() never raises (it runs at boot)
        return "could not be checked (%s): schedules follow utc_offset_min" % type(e).__name__


def _choice(v, options):
    if v not in options:
        return "must be one of " + ", ".join('"%s"' % o for o in options)


def _check_scalar(key, v):
    if key == "version":
        return None if _is_int(v) and v == VERSION else "must be %d" % VERSION  # not true, not 1.0
    if key == "role":
        return _choice(v, ("leader", "follower"))
    if key == "slot":
        return _choice(v, ("receiver", "phone"))
    if key == "transmitter_id":
        if not isinstance(v, str):
            return "must be text"
        if v and (len(v) != 6 or any(c not in _ID_CHARS for c in v)):
            return ("must be the 6 letters and digits printed on the transmitter (e.g. 8G1234; "
                    "Dexcom G5, G6 or ONE: a G7 or ONE+ cannot be read by this box)")
        return None
    if key == "board":
        if not isinstance(v, str) or not v or len(v) > 32 or any(c not in _NAME_CHARS for c in v):
            return "must be a board name (1-32 of a-z 0-9 _ -), a file in boards/"
        return None
    if key == "utc_offset_min":
        return _int_range(v, -720, 840)
    if key == "tz":
        return _tz(v)
    if key == "units":
        return _choice(v, ("mg/dl", "mmol"))
    if key == "admin_password":
        return _text(v, 8, 64, secret=True)
    if key == "hostname":
        if not isinstance(v, str) or (v and (len(v) > 32 or v[0] == "-" or v[-1] == "-"
                                             or any(c not in _HOST_CHARS for c in v))):
            return ("must be a name on the home network: 1-32 of a-z 0-9 -, not starting "
                    "or ending with - (the box answers at http://<name>.local/), or empty "
                    "for the box's own (cgm-alarm-XXXX, as its access point)")
        return None
    if key == "zone_checked":   # (validate drops a bad one: no message is ever shown)
        if not isinstance(v, str) or len(v) > 40 or any(c not in "-/0123456789" for c in v):
            return "?"
        return None


def _check_field(section, key, v, sect):
    if key == "ca_file":
        if not isinstance(v, str) or len(v) > 64:
            return "must be a file path on the board (at most 64 characters)"
        if not v and _scheme(sect.get("url")) == "https":
            return ("required for an https:// url: the CA certificate (PEM or DER file on the "
                    "board) that signed the server's certificate")
        return None
    if section == "nightscout":
        if key == "url":
            return _url(v, sect.get("allow_http") is True)
        if key == "api_secret":
            return _text(v, 12, 128, secret=True)
        if key == "token":
            return _token(v)
        return _bool(v)
    if section == "mqtt":
        if key == "host":
            if not isinstance(v, str) or len(v) > 100 or " " in v or "/" in v:
                return "must be a host name or address (no spaces or slashes)"
            if v and sect.get("tls") is True:
                # refused as a whole: falling back to plain MQTT would send the
                # password in the clear to someone who asked for encryption
                return ("MQTT over TLS is not supported: MQTT stays off (use the broker's "
                        "plain port on the home network, with tls false)")
            return None
        if key == "port":
            return _int_range(v, 1, 65535)
        if key in ("user", "password"):
            problem = _text(v, 1, 64, secret=(key == "password"))
            return problem if problem or key == "password" else _mqtt_text(v)
        if key == "topic":
            if not isinstance(v, str) or not v or len(v) > 64 or "#" in v or "+" in v:
                return "must be 1-64 characters without the wildcards # and +"
            if "\x00" in v:   # MQTT 4.7.3: the broker would hang up at every publish
                return "must not hold a NUL character"
            return _mqtt_text(v)
        return _bool(v)
    if section == "lan_api":
        if key == "port":
            # the setup page always listens on 80 (main.App.setup_port): the LAN API there
            # took the port, the setup page's server failed at every restart (the `device`
            # alarm for good, the page gone, each try's socket left to the garbage collector)
            return _int_range(v, 1, 65535) or ("80 is the setup page's port" if v == SETUP_PAGE_PORT else None)
        if key == "api_secret":
            return _text(v, 1, 128, secret=True)
        return _bool(v)
    if section == "follow":
        if key == "url":
            return _url(v, True) or _settings_port(v)  # a leader box on the LAN serves plain HTTP
        if key == "api_secret":
            return _text(v, 1, 128, secret=True)
        if key == "token":
            return _token(v)
        if key == "silent_min":
            return _int_range(v, 6, 60)
        if key == "poll_s":
            return _int_range(v, 10, 300)
        if key == "sound":
            return None if v in ("all", "unanswered") else 'must be "all" or "unanswered"'


def _given(v):
    return isinstance(v, str) and v != ""


def _across(name, sect):
    """(key, what is wrong) for a rule across a section's keys, or None: what the
    forwarder's own validate refuses at start (forward/nightscout.py validate,
    forward/mqtt.py validate, given the keys as app/wiring.py passes them: an
    empty secret as none). Mirrored for the reason given at _url."""
    if name == "nightscout" and _given(sect.get("url")):
        secret, token = _given(sect.get("api_secret")), _given(sect.get("token"))
        if not secret and not token:
            return "api_secret", ("required with a Nightscout URL: the site's API secret "
                                  "(12 or more characters), or an access token")
        if secret and token:
            return "token", ("give the API secret or an access token, not both (the "
                             "uploader takes one): remove one of them")
    if name == "mqtt" and _given(sect.get("host")) and _given(sect.get("password")) \
            and not _given(sect.get("user")):
        # MQTT 3.1.1 3.1.2.9: a password is sent only with a user name
        return "password", "needs an MQTT user: a broker takes a password only with a user name"
    return None


def _check_wifi(v, problems):
    if not isinstance(v, list):
        problems.append("wifi: must be a list of {\"ssid\", \"password\"}")
        return False
    ok = len(v) <= MAX_WIFI
    if not ok:
        problems.append("wifi: at most %d networks (got %d)" % (MAX_WIFI, len(v)))
    for i, net in enumerate(v):
        where = "wifi[%d]" % i
        if not isinstance(net, dict):
            problems.append(where + ": must be {\"ssid\", \"password\"}")
            ok = False
            continue
        for k in net:
            if k not in ("ssid", "password"):
                problems.append("%s.%s: unknown key" % (where, k))
                ok = False
        # the ESP32 port copies the name's and the password's UTF-8 bytes into fields of
        # 32 and 64 (network_wlan.c connect(): cut, unsaid, where longer), and WPA2 takes a
        # passphrase of 8 to 63 bytes (or a raw key: raw_key): a longer one could never join. Counted in bytes
        ssid = net.get("ssid")
        if not isinstance(ssid, str) or not 1 <= len(ssid.encode()) <= 32:
            problems.append(where + ".ssid: must be 1 to 32 bytes (a letter such as \u00e9 takes 2)")
            ok = False
        pw = net.get("password", "")
        err = None if isinstance(pw, str) and raw_key(pw) else _text(pw, 8, 63, secret=True)
        if err and isinstance(pw, str) and len(pw) == 64:   # a router's raw key mistyped (O for 0)
            err = "is 64 characters: a raw key is 64 hex digits (0-9, a-f), a password 8 to 63 characters"
        if not err and len(pw.encode()) > 63 and not raw_key(pw):
            err = "must be empty or 8 to 63 bytes: a letter such as \u00e9 takes 2"
        if err:
            problems.append(where + ".password: " + err + " (WPA2)")
            ok = False
    return ok


def validate(cfg):
    """Return (clean, problems). `clean` keeps every valid key, defaults for the rest."""
    problems = []
    base = defaults()
    if not isinstance(cfg, dict):
        return base, ["config: must be a JSON object {...}"]
    clean = base
    for key in cfg:
        if key not in base:
            problems.append("%s: unknown key" % (key,))
    for key in _SCALARS:
        if key in cfg:
            v = cfg[key]
            if key == "transmitter_id" and isinstance(v, str):
                v = v.strip().upper()
            elif key == "hostname" and isinstance(v, str):
                v = v.strip().lower()   # names on a network are not case-sensitive
            err = _check_scalar(key, v)
            if err and key == "zone_checked":
                continue   # the setup page's own memo: a bad one only asks the zone once more
            if err:
                problems.append(key + ": " + err)
            else:
                clean[key] = v
    for name in _SECTIONS:
        if name not in cfg:
            continue
        sect = cfg[name]
        if not isinstance(sect, dict):
            problems.append(name + ": must be an object {...}")
            continue
        bad = False
        for key in sect:
            if key not in base[name]:
                problems.append("%s.%s: unknown key" % (name, key))
                bad = True
        for key in base[name]:
            # ca_file is checked even when left out: an https:// url needs one
            if key in sect or key == "ca_file":
                err = _check_field(name, key, sect.get(key, ""), sect)
                if err:
                    problems.append("%s.%s: %s" % (name, key, err))
                    bad = True
        if not bad:
            across = _across(name, sect)
            if across:
                problems.append("%s.%s: %s" % (name, across[0], across[1]))
                bad = True
        if not bad:  # a section is taken whole or not at all (no half-applied URL+secret)
            for key in sect:
                clean[name][key] = sect[key]
            if "url" in sect:
                clean[name]["url"] = _clean_url(sect["url"])
    if "wifi" in cfg and _check_wifi(cfg["wifi"], problems):
        clean["wifi"] = _copy(cfg["wifi"])
    settings = _alarm_settings()
    if settings is None:
        problems.append("alarms: alarm settings not validated: module alarms.settings missing")
        if isinstance(cfg.get("alarms"), dict):
            clean["alarms"] = _copy(cfg["alarms"])
    else:
        try:
            clean["alarms"] = settings.validate(cfg.get("alarms", {}))
        except Exception as e:  # its documented error lists every problem
            problems.extend(_alarm_problems(e))
            if getattr(e, "usable", None):  # the valid values, the rest at defaults
                clean["alarms"] = e.usable
    given = cfg.get("follow")
    # a url given in a section refused for another key: that key's problem says why
    # (next to the address just typed, "must be set" sent the family to the wrong field)
    if clean["role"] == "follower" and not clean["follow"]["url"] and not (
            isinstance(given, dict) and _given(given.get("url"))):
        problems.append("follow.url: must be set when role is \"follower\"")
    _check_poll(clean, problems)
    return clean, problems


FOLLOW_MARGIN_S = 60   # a reading's age at the leader and the poll's request, at most


def _check_poll(clean, problems):
    """A follower fetches a reading up to poll_s after the leader had it: with the
    alarms' shortest stale_minutes, one fetched that late is already too old to
    raise any glucose alarm (an urgent low only `no_data`). poll_s goes back to
    its default, which fits every stale_minutes, and the family is told."""
    stale = clean["alarms"].get("stale_minutes") if isinstance(clean["alarms"], dict) else None
    if clean["role"] != "follower" or not _is_int(stale):
        return
    most = stale * 60 - FOLLOW_MARGIN_S
    if clean["follow"]["poll_s"] > most:
        problems.append("follow.poll_s: at most %d with alarms.stale_minutes %d: a reading fetched "
                        "later is too old for any glucose alarm (%d used)"
                        % (most, stale, _SECTIONS["follow"]["poll_s"]))
        clean["follow"]["poll_s"] = _SECTIONS["follow"]["poll_s"]


def hostname(cfg, uid=None):
    """The box's name at home (DHCP, mDNS): cfg's "hostname", else "cgm-alarm-" and
    the last two bytes of machine.unique_id() (`uid`) in hex, its access point's name
    in lower case: one per box, so two boxes in one home (a leader and its follower,
    two children's) never answer to one name. "" when the board cannot tell."""
    name = cfg.get("hostname")
    if name:
        return name
    try:
        if uid is None:
            import machine
            uid = machine.unique_id()
        return "cgm-alarm-" + hexlify(bytes(uid)[-2:]).decode()
    except Exception:
        return ""


def missing(cfg):
    """What a working box still needs (not errors in the file: save() accepts these)."""
    if cfg.get("role") == "leader" and not cfg.get("transmitter_id"):
        return ["transmitter_id: not set; the box cannot read a transmitter until it is"]
    return []


def file_problems(cfg, path=DEFAULT_PATH):
    """Problems with files a (valid) configuration names that are not on the box: the
    CA certificate of an https:// url, looked for where the forwarder will read it
    (beside the config file at `path`: the board's root, where `make flash` copies it).
    The forwarder refuses to start without it (`device`, reason start_...), with no
    problem listed: load() reports it instead (and turns that section off, as any other
    problem of it); the setup page refuses a save with it."""
    out = []
    slash = path.rfind("/")
    for name in ("nightscout", "follow"):
        sect = cfg.get(name)
        if not isinstance(sect, dict) or _scheme(sect.get("url")) != "https":
            continue
        ca = sect.get("ca_file")
        if _given(ca) and not fsutil.size(path[:slash + 1] + ca.lstrip("/")):
            out.append("%s.ca_file: %s is not on the box (or is empty): copy the CA "
                       "certificate there (make flash copies it) or correct the name" % (name, ca))
    return out


def _read(path):
    """The file's bytes, at most MAX_BYTES + 1 of them (a bigger file is never held
    whole). Sized from the file: read(MAX_BYTES + 1) asks the heap for 16 KB in one
    block at every load, which a fragmented heap (the settings page, long after
    boot) may not have."""
    import os
    size = os.stat(path)[6]
    with open(path, "rb") as f:
        return f.read(min(size, MAX_BYTES) + 1)


def _parse(path):
    """(cfg or None, problems). Never raises: a crash here would stop the box at boot."""
    try:
        data = _read(path)
    except OSError:
        return None, [path + ": missing"]
    except MemoryError:
        return None, [path + ": not enough free memory to read it"]
    return parse(data, path)


def parse(data, name):
    """The bytes of a config file -> (raw object or None, problems), each problem
    starting with `name` or a key path. None when the bytes cannot be used at all."""
    if len(data) > MAX_BYTES:
        return None, [name + ": larger than %d bytes, not a configuration" % MAX_BYTES]
    if data[:3] == b"\xef\xbb\xbf":  # the UTF-8 byte-order mark some editors write
        data = data[3:]
    try:   # (surrogatepass: a character's two halves as 6 bytes, as the board saved them: below)
        text = data.decode("utf-8", "surrogatepass")
    except UnicodeError:
        return None, [name + ": not UTF-8 text (saved in another encoding?), %d bytes" % len(data)]
    if data.startswith(_SEAL) and not _seal_holds(data):
        return None, [name + ": damaged: its checksum does not match (flash damage; or edited "
                      "by hand without removing the \"crc32\" line)"]
    try:
        bad = syntax_problem(data)
    except Exception:   # MemoryError: the parser's reading stands
        bad = None
    if bad:   # the same words on both runtimes, and where
        return None, [name + ": not valid JSON (half written or edited by hand?), " + bad]
    try:
        raw = json.loads(text)
    except ValueError as e:  # CPython says where (line, column); MicroPython does not
        return None, [name + ": not valid JSON (half written or edited by hand?), %d bytes%s"
                      % (len(data), (": %s" % e) if str(e) else "")]
    except Exception as e:  # MemoryError, or nesting too deep for the parser
        return None, [name + ": could not be read (%s)" % type(e).__name__]
    if isinstance(raw, dict):   # reserved: elsewhere (a tool re-wrote the file) it checks nothing
        raw.pop("crc32", None)
    problems = []
    # A character beyond U+FFFF written as its two halves (a surrogate pair: two \u escapes as
    # CPython's json wrote it until session 65, or their 6 bytes as the board then saved it):
    # MicroPython's json reads two characters, so an emoji's network was another SSID and never
    # joined. Joined into the one character on both runtimes; half of one is not text (CPython
    # cannot encode it, the board wrote 3 bytes that are not UTF-8): a problem with its key, U+FFFD
    todo = [(raw, "")] if b"\\ud" in data or b"\\uD" in data or b"\xed" in data else []
    while todo:   # (by hand, not a function of its own: no cost at import)
        obj, where = todo.pop()
        for k in obj if isinstance(obj, dict) else range(len(obj)) if isinstance(obj, list) else ():
            at = "%s[%d]" % (where, k) if isinstance(k, int) else where + "." + k if where else k
            v = obj[k]
            if not isinstance(v, str):
                todo.append((v, at))
                continue
            for c in v:
                if 0xD800 <= ord(c) <= 0xDFFF:
                    break
            else:
                continue   # (most text: no copy)
            out, high, lone = "", 0, False
            for c in v:
                n = ord(c)
                low = 0xDC00 <= n <= 0xDFFF
                if high and low:   # the high half's low half: one character
                    out += chr(0x10000 + ((high - 0xD800) << 10) + n - 0xDC00)
                    high = 0
                    continue
                if high:   # the high half before it, alone
                    out, lone, high = out + "\ufffd", True, 0
                if 0xD800 <= n <= 0xDBFF:
                    high = n
                elif low:   # a low half alone
                    out, lone = out + "\ufffd", True
                else:
                    out += c
            obj[k] = out + "\ufffd" if high else out
            if high or lone:
                problems.append(at + ": half of a character beyond U+FFFF (a \\uD800-\\uDFFF escape, or "
                                "its 3 bytes, without its other half; read as U+FFFD): type it again")
    try:
        dups = duplicate_keys(data)
    except Exception as e:
        dups = ["(%s while looking for them)" % type(e).__name__]
    return raw, problems + ["%s: appears more than once in the same {...}; the last one is used" % k
                            for k in dups]


def load(path=DEFAULT_PATH):
    """Return (config, problems). Never raises: the box must run (and alarm) whatever is on flash."""
    problems = []
    # a save cut by the power: finished or undone; when the flash refuses to finish it,
    # read where it is (its checksum judges a half-written one): else a first save so cut
    # left the box on the defaults, without a transmitter
    here, state = fsutil.readable(path)
    if isinstance(state, OSError):
        problems.append(path + ": could not finish an interrupted save (%s)%s" % (
            state, "; read from %s as it is: check the settings" % here if here != path else ""))
    elif state == "rolled_forward":
        problems.append(path + ": an interrupted save was completed; check the settings")
    raw, more = _parse(here)
    problems.extend(more)
    cfg, more = _checked(raw, path, here)
    problems.extend(more)
    _unusable.discard(path)
    if cfg is None:
        _unusable.add(path)
        raw, more = _parse(path + fsutil.BAK)
        cfg, checked = _checked(raw, path, path + fsutil.BAK)
        if cfg is not None:
            problems.extend(more)
            using = ": using the previous copy " + path + fsutil.BAK
            if path + ": missing" in problems:
                # (a save over a damaged file cut before its new one was whole): one line,
                # not a "missing" that reads as settings lost
                problems.remove(path + ": missing")
                using = ": not found (a save cut by the power?)" + using
            problems.append(path + using)
        else:
            checked.append(path + ON_DEFAULTS)
        problems.extend(checked)
    if cfg is None:
        cfg, more = validate({})
        # With no file, only the alarms module's absence can be reported by validate.
        problems.extend(more)
        # the board is the hardware's, not a setting to lose with the file (a factory
        # reset): the defaults' DevKitC would also be what the setup page saves next
        kept = kept_board(path)
        if kept:
            cfg["board"] = kept
    problems.extend(missing(cfg))
    if fsutil.exists(_beside(path, FLASH_MARKER)):
        problems.append("firmware: the last flash did not finish (%s is on the board); "
                        "flash again" % FLASH_MARKER)
    return cfg, problems


def _checked(raw, path, name):
    """(config, problems) of the parsed file `name` (None: none) beside config path `path`;
    config None when a check raised on a value none foresaw: load() never raises, it takes
    the previous copy or the defaults."""
    if raw is None:
        return None, []
    try:
        cfg, more = validate(raw)
        for p in file_problems(cfg, path):   # as any other problem of its section:
            more.append(p)                    # the section off, the `device` alarm
            section = p[:p.find(".")]
            cfg[section] = _copy(_SECTIONS[section])
        return cfg, more
    except Exception as e:
        return None, [name + ": could not be checked (%s)" % type(e).__name__]


def _beside(path, name):
    """The file `name` in the config at path's folder."""
    return path[:path.rfind("/") + 1] + name


def kept_board(path):
    """The board's name kept in BOARD_FILE beside the config at path, or None. A save of it
    cut by the power is finished first, or read where it is when the flash refuses to
    (fsutil.readable): else a box on the defaults drove the DevKitC's pins."""
    try:
        name = fsutil.read_text(fsutil.readable(_beside(path, BOARD_FILE))[0]).strip()
    except Exception:   # none yet, or unreadable
        return None
    return name if name and _check_scalar("board", name) is None else None


def keep_board(path, name):
    """Keep the board's name in BOARD_FILE beside the config at path (written only
    when it changes: one write per board change). Raises OSError."""
    if kept_board(path) != name:
        fsutil.write_atomic(_beside(path, BOARD_FILE), name)


def keep_board_file(path, name, data):
    """Keep the board file just taken (its data, as sound.board.read gives it) in
    KEPT_BOARD_FILE beside the config at path, written only when it changes: a
    later refusal of that file (damaged on flash, edited on the board) sounds on
    this copy, not on the DevKitC's pins (review of session 43). Raises OSError."""
    text = json.dumps({"name": name, "board": data})
    kept = _beside(path, KEPT_BOARD_FILE)
    if fsutil.read_bytes(kept) != text.encode():
        fsutil.recover(kept)   # a cut save's temp file, the copy kept_board_file read: as save()
        fsutil.write_atomic(kept, text)


def kept_board_file(path, name):
    """The data keep_board_file kept for board `name` beside the config at path, or
    None (none kept, or another board's). Raises on a damaged copy. A save of it cut by
    the power is read where it is when the flash refuses to finish it (fsutil.readable):
    else that box sounded on the DevKitC's pins."""
    data = fsutil.read_bytes(fsutil.readable(_beside(path, KEPT_BOARD_FILE))[0])
    if data is None:
        return None
    got = json.loads(data)
    return got["board"] if got.get("name") == name else None


_SEAL = b'{\n  "crc32": "'


def _seal_holds(data):
    end = data.find(b"\n", len(_SEAL))
    line = data[len(_SEAL):end]
    if end < 0 or len(line) != 10 or line[8:] != b'",':
        return False
    try:
        want = int(line[:8], 16)
    except ValueError:
        return False
    return crc32(memoryview(data)[end + 1:]) == want


def _sealed(cfg):
    """(checksum line, the rest): one top-level key per line after it."""
    keys = sorted(cfg)
    # CPython's json (tools/flash.py) wrote a character beyond U+FFFF (an emoji in a
    # network's name) as two \u escapes, which MicroPython's json reads as two characters:
    # 6 other bytes, another SSID or password on the board. Both write it as itself now.
    try:
        as_itself = {"ensure_ascii": False}
        json.dumps("", **as_itself)
    except TypeError:   # MicroPython's json has no such argument: it writes text as itself
        as_itself = {}
    rest = ",\n".join("  %s: %s" % (json.dumps(k, **as_itself), json.dumps(cfg[k], **as_itself))
                       for k in keys) + "\n}\n"
    return "%s%08x\",\n" % (_SEAL.decode(), crc32(rest.encode())), rest


def dumps(cfg):
    """Readable by a person, cheap to produce on the board, sealed (see above)."""
    return "".join(_sealed(cfg))


_unusable = set()   # config paths whose own file load() could not use (the box runs on the .bak)


def save(path, cfg):
    """Validate, then write atomically. Returns the clean config; raises ConfigError."""
    clean, problems = validate(cfg)
    if problems:
        raise ConfigError(problems)
    # a cut save's temp file the box may run on (load(): the flash refused to finish it) is
    # finished first: write_atomic writes its temp file over it, and a refused rename then
    # removed it, and the settings in force with it. Refused again: raises, nothing changed
    fsutil.recover(path)
    if path in _unusable:
        # not over the damaged file: write_atomic would first remove the .bak the box
        # runs on, and a cut (or a refused rename) then left neither good copy
        # (recover drops the new temp file beside a file): the defaults at the next boot
        fsutil.remove_if_present(path)
    fsutil.write_atomic(path, _sealed(clean))   # in two parts: no 14-KB joined copy
    _unusable.discard(path)
    return clean


def _redact_url(u):
    if not isinstance(u, str):
        return u
    q = u.find("?")
    if q >= 0:
        u = u[:q] + "?" + SECRET
    at = u.find("@")
    if at >= 0:  # https://user:pass@host
        u = u[:u.find("//") + 2] + SECRET + u[at:]
    return u


def _redact(obj):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in SECRET_KEYS and isinstance(v, str) and v:
                out[k] = SECRET
            elif k == "url":
                out[k] = _redact_url(v)
            else:
                out[k] = _redact(v)
        return out
    if isinstance(obj, list):
        return [_redact(v) for v in obj]
    return obj


def redacted(cfg):
    """A copy safe to log or show: secrets become "***" (empty ones stay "")."""
    return _redact(cfg)
