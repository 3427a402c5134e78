# A `network` module for the unix port (which has none): the ESP32's WLAN
# API over a controllable virtual access-point world. Sockets stay real (a
# "connected" WLAN just means the firmware may use loopback sockets).
#
#   import network
#   network.world.add_ap("home", "password1", rssi=-60)
#   network.world.set_ap("home", False)       # router off: station drops
#   network.world.connect_delay_ms = 3000
#   network.world.log                          # [(ticks_ms, what, detail), ...]
#                                              # (the last LOG_LIMIT of them)
import time

import board_time

STA_IF = 0
AP_IF = 1
# ESP32 status codes
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_BEACON_TIMEOUT = 200
STAT_ASSOC_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204
STAT_CONNECT_FAIL = 203
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3


# The world's log is for tests; the simulator runs the fake for days in the
# firmware's heap, where an ever longer list counted as the firmware's growth
# (chaos seed 1219: 3 entries a boot, 27 by day 9, some 3 KB on the 64-bit port).
LOG_LIMIT = 32


class _World:
    def __init__(self):
        self.reset()

    def reset(self):
        self.aps = {}  # ssid -> [password, rssi, up]
        self.connect_delay_ms = 1000
        self.log = []
        self.ble_active = False  # tests set it; the fake enforces the IDF rule
        self.stations = []  # MACs of phones joined to the box's own AP (AP_IF)
        self.hostname = "mpy-esp32"   # the ESP32 port's MICROPY_PY_NETWORK_HOSTNAME_DEFAULT

    def add_ap(self, ssid, password="", rssi=-60):
        self.aps[ssid] = [password, rssi, True]

    def set_ap(self, ssid, up):
        self.aps[ssid][2] = up
        self.note("ap", (ssid, up))

    def note(self, what, detail):
        self.log.append((time.ticks_ms(), what, detail))
        if len(self.log) > LOG_LIMIT:
            del self.log[:-LOG_LIMIT]


world = _World()


def hostname(name=None):
    """modnetwork.c network_hostname(): one name for every interface (DHCP's, and
    the name the ESP32's mDNS responder takes at the first connection), at most
    MICROPY_PY_NETWORK_HOSTNAME_MAX_LEN (32) bytes."""
    if name is None:
        return world.hostname
    if len(name) > 32:
        raise ValueError("name too long")
    world.hostname = name
    world.note("hostname", name)

# The keys network_wlan_config() knows (ssid/essid, key/password, security/authmode
# are one each), which of them only the AP takes (require_if: OSError "AP required").
_CONFIG_ALIASES = {"essid": "ssid", "key": "password", "security": "authmode",
                   "dhcp_hostname": "hostname"}
_SET_KEYS = ("mac", "ssid", "hidden", "authmode", "password", "channel", "bandwidth",
             "hostname", "max_clients", "reconnects", "txpower", "protocol", "pm")
_GET_KEYS = ("mac", "ssid", "hidden", "authmode", "channel", "bandwidth", "ifname",
             "hostname", "max_clients", "reconnects", "txpower", "protocol", "pm")
_AP_ONLY_SET = ("ssid", "hidden", "authmode", "password", "max_clients")
_AP_ONLY_GET = ("hidden", "authmode")
_ifaces = {}


class WLAN:
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2
    IF_STA = STA_IF
    IF_AP = AP_IF

    def __new__(cls, interface=STA_IF):
        # like the board: one object per interface
        if interface not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")  # network_wlan.c:281
        if interface not in _ifaces:
            o = object.__new__(cls)
            o._init(interface)
            _ifaces[interface] = o
        return _ifaces[interface]

    def __init__(self, interface=STA_IF):
        pass

    def _init(self, interface):
        self.interface = interface
        self._active = False
        self._ssid = None
        self._status = STAT_IDLE
        # As on the ESP32 (ports/esp32/network_wlan.c): the last disconnect reason
        # is kept until an address is got, and status() reports it before
        # "connecting", so right after connect() it still tells the previous
        # attempt's failure; disconnect() when not connected changes nothing.
        self._reason = None
        self._started = 0
        self._cfg = {"pm": self.PM_PERFORMANCE, "txpower": 20.0,
                     "ssid": "", "password": "", "authmode": AUTH_OPEN, "channel": 1,
                     "hidden": False, "max_clients": 10, "reconnects": -1,
                     "mac": b"\x24\x0a\xc4\x12\x34" + bytes((0x56 + interface,)),
                     "bandwidth": 2, "protocol": 7, "ifname": ("sta", "ap")[interface]}

    def active(self, on=None):
        if on is None:
            return self._active
        if bool(on) != self._active:
            # the board holds the loop while the radio starts or stops (board_time)
            others = any(w._active for w in _ifaces.values() if w is not self)
            board_time.charge("wifi_mode" if others else ("wifi_start" if on else "wifi_stop"))
        self._active = bool(on)
        if not on:
            self._ssid = None
            self._status = STAT_IDLE
            self._reason = None
        return self._active  # the port answers the new state (network_wlan.c:313)

    def connect(self, *args, bssid=None):
        # ssid and key are positional only on the port (network_wlan.c:318-321)
        if len(args) > 2:
            raise TypeError("function takes at most 3 positional arguments")
        ssid = args[0] if args else None
        key = args[1] if len(args) > 1 else None
        if ssid is not None:
            self._cfg["ssid"] = ssid
        if not self._active:
            raise OSError("Wifi Not Started")
        if ssid is None:
            ssid = self._cfg["ssid"]
        world.note("connect", ssid)
        self._ssid = ssid
        self._key = key or ""
        self._started = time.ticks_ms()
        self._status = STAT_CONNECTING

    def disconnect(self):
        if not self._active:
            raise OSError("Wifi Not Started")  # esp_wifi_disconnect() on a stopped radio
        if self._status == STAT_GOT_IP:
            self._reason = STAT_IDLE   # WIFI_REASON_ASSOC_LEAVE, which status() shows as idle
        self._ssid = None
        self._status = STAT_IDLE

    def _update(self):
        if self._ssid is None:
            return
        ap = world.aps.get(self._ssid)
        if self._status == STAT_GOT_IP:
            if ap is None or not ap[2]:
                # lost the AP: the port's event handler connects again by itself
                # while a connect is requested (network_wlan.c:155-172), so
                # status() says "connecting", then the retry's own verdict
                self._reason = STAT_BEACON_TIMEOUT
                self._status = STAT_CONNECTING
                self._started = time.ticks_ms()
            return
        if time.ticks_diff(time.ticks_ms(), self._started) < world.connect_delay_ms:
            return
        if ap is None or not ap[2]:
            self._status = self._reason = STAT_NO_AP_FOUND
        elif ap[0] != self._key:
            self._status = self._reason = STAT_WRONG_PASSWORD
        else:
            self._status = STAT_GOT_IP
            self._reason = None

    def status(self, param=None):
        if param == "stations":
            # AP_IF only: (mac, ip or None) per joined station (network_wlan.c:415-442)
            self._require(AP_IF)
            if not self._active:
                raise OSError("Wifi Not Started")
            return [(m, None) for m in world.stations]
        if param == "rssi":
            self._require(STA_IF)
            ap = world.aps.get(self._ssid)
            if not self.isconnected() or ap is None:
                raise OSError("Wifi Not Connected")  # esp_wifi_sta_get_ap_info()
            return ap[1]
        if param is not None:
            raise ValueError("unknown status param")
        if self.interface != STA_IF:
            return None  # no status without an argument on the AP (network_wlan.c:408)
        self._update()
        if self._status != STAT_GOT_IP and self._reason in (STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD):
            return self._reason
        return self._status

    def isconnected(self):
        if self.interface == AP_IF:  # the AP: a station joined (network_wlan.c:505-508)
            return self._active and bool(world.stations)
        self._update()
        return self._status == STAT_GOT_IP

    def _require(self, interface):
        if self.interface != interface:
            raise OSError("STA required" if interface == STA_IF else "AP required")

    def scan(self):
        if not (self.interface == STA_IF and self._active):
            raise OSError("STA must be active")  # network_wlan.c:466
        return [(s.encode(), b"\x00" * 6, 6, ap[1], AUTH_WPA2_PSK if ap[0] else AUTH_OPEN, False)
                for s, ap in world.aps.items() if ap[2]]

    def config(self, *args, **kw):
        # network_wlan.c network_wlan_config(): either one name to read or keywords to set
        if args and kw:
            raise TypeError("either pos or kw args are allowed")
        if args:
            if len(args) != 1:
                raise TypeError("can query only one param")
            k = _CONFIG_ALIASES.get(args[0], args[0])
            if k not in _GET_KEYS:  # e.g. "password": it cannot be read back
                raise ValueError("unknown config param")
            if k in _AP_ONLY_GET:
                self._require(AP_IF)
            if k in ("hostname", "reconnects"):
                self._require(STA_IF)
            if k == "hostname":   # (the deprecated alias of network.hostname())
                return world.hostname
            return self._cfg[k]
        for k, v in kw.items():
            k = _CONFIG_ALIASES.get(k, k)
            if k not in _SET_KEYS:
                raise ValueError("unknown config param")
            if k in _AP_ONLY_SET:
                self._require(AP_IF)
            if k == "reconnects":
                self._require(STA_IF)
            if k == "pm" and v == self.PM_NONE and world.ble_active:
                # what ESP-IDF does: abort
                raise RuntimeError("ESP-IDF abort: WiFi PS none with BLE enabled")
            if k == "hostname":
                hostname(v)
                continue
            self._cfg[k] = v
            world.note("config", (k, v))

    def ifconfig(self, cfg=None):
        if self.interface == AP_IF and self._active:  # the ESP32's soft-AP default address
            return ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
        if self.isconnected():
            return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def ipconfig(self, *a, **k):
        return self.ifconfig()[0]
