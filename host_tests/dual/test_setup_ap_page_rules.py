# Rules of the setup access point (firmware/setup/ap.py) and of the setup and
# status pages' HTML (firmware/setup/page.py), on CPython and MicroPython.
#
# ap.py: the box's own Wi-Fi for set-up. Pinned: its name and the label's
# password (a public rule over the device key: a firmware that computed another
# password would lock the family out of the box printed on the label), WPA2
# with that password, the password on the serial console and never in the log
# ring the LAN can read, closing after 15 idle minutes (a station joined or a
# page request keeps it open), the countdown and status the status page shows,
# and an unwritable flash giving the unique_id-only password, said.
# The radio and the clock are stand-ins (Wlan, Network, Clock below).
#
# page.py: every value a family or a neighbour's network can put on a page
# (a scanned network name, a typed value sent back after a refused save, a
# config problem, the transmitter id, an error text) is HTML-escaped; a refused
# field is marked beside its own input with what was typed; secrets are never
# echoed; the status page shows reading (in the configured units), age, trend,
# alarms, the links and the thresholds (in mg/dL, as the form takes them);
# each page is a whole, closed document.
from async_steps import run_until
from fakes import import_setup_ap, swap

ap, fsutil, log = import_setup_ap()

from app import config  # noqa: E402
from setup import form, page  # noqa: E402

UID = b"\x24\x6f\x28\xab\xcd"


class Clock:
    def __init__(self, t=0):
        self.t = t

    def ms(self):
        return self.t


class Wlan:
    def __init__(self, stations=(), ifconfig=None):
        self.up = False
        self.configs = []
        self.stations = stations     # a list, or an exception to raise
        self._ifconfig = ifconfig

    def active(self, on):
        self.up = on

    def config(self, **kw):
        self.configs.append(kw)

    def status(self, what):
        assert what == "stations"
        if isinstance(self.stations, Exception):
            raise self.stations
        return self.stations

    def ifconfig(self):
        if self._ifconfig is None:
            raise OSError(5)
        return self._ifconfig


class Network:
    AP_IF = 1

    def __init__(self, wlan, auth=None):
        self.wlan = wlan
        self.made = 0
        if auth is not None:
            self.AUTH_WPA2_PSK = auth

    def WLAN(self, which):
        assert which == self.AP_IF
        self.made += 1
        return self.wlan


def _with_clock(clock, fn):
    return swap(ap, "clock", clock, fn)


def _printed(fn):
    """fn()'s result and what it printed (ap's print goes to a list meanwhile)."""
    out = []
    ap.print = lambda *a: out.append(" ".join(str(x) for x in a))
    try:
        return fn(), out
    finally:
        del ap.print


def _logged(fn):
    lines = []
    log.sink = lines.append
    try:
        return fn(), lines
    finally:
        log.sink = lambda line: None


# --- ap.py: name and password ------------------------------------------------
def test_the_name_is_the_last_two_bytes_of_the_unique_id_and_the_password_a_fixed_rule():
    essid, password = ap.credentials(UID, b"k" * 16)
    assert essid == "CGM-Alarm-ABCD"
    # the label's password: 12 characters without look-alikes, the same on every
    # firmware (a change would lock out every box whose label was printed)
    assert password == "hz8mebsv7upp", password
    assert len(password) == 12 and not [c for c in password if c in "0o1li"]
    assert ap.credentials(UID, b"j" * 16)[1] != password       # the key is mixed in
    assert ap.credentials(b"\x00\x00\x00\x00\x00\x01", b"k" * 16)[0] == "CGM-Alarm-0001"


def test_the_access_point_opens_with_wpa2_and_the_labels_password():
    for net_auth, want in ((None, 3), (4, 4)):     # the port's own constant when it has one
        w = Wlan()
        point = ap.AccessPoint(Network(w, net_auth), UID, b"k" * 16)
        _with_clock(Clock(), lambda: point.open("button"))
        assert w.up and w.configs == [{"essid": "CGM-Alarm-ABCD", "password": "hz8mebsv7upp",
                                       "authmode": want}], w.configs


def test_the_password_goes_to_the_serial_console_never_to_the_log_ring():
    point = ap.AccessPoint(Network(Wlan()), UID, b"k" * 16)
    (_, said), printed = _printed(lambda: _logged(lambda: _with_clock(Clock(), point.open)))
    assert [p for p in printed if "CGM-Alarm-ABCD" in p and "hz8mebsv7upp" in p], printed
    assert said and not [l for l in said if "hz8mebsv7upp" in l], said
    assert [l for l in said if "CGM-Alarm-ABCD open (button) at 192.168.4.1" in l], said


def test_a_new_key_prints_the_labels_name_and_password_once():
    from scratch import fresh
    path = fresh("build/ap_key", "pp1.bin")
    key, printed = _printed(lambda: ap.device_key(path, UID))
    essid, password = ap.credentials(UID, key)
    assert len(printed) == 1 and essid in printed[0] and password in printed[0], printed
    assert _printed(lambda: ap.device_key(path, UID)) == (key, [])     # not again
    path = fresh("build/ap_key", "pp2.bin")
    assert _printed(lambda: ap.device_key(path))[1] == []              # no uid: nothing to print


def _refuse(*a):
    raise OSError(28)


def test_a_flash_that_cannot_keep_the_key_gives_the_unique_id_password_and_says_so():
    from scratch import fresh
    path = fresh("build/ap_key", "ro.bin")
    key, said = _logged(lambda: swap(fsutil, "write_atomic", _refuse,
                                     lambda: ap.device_key(path, UID)))
    assert key == b"" and ap.credentials(UID, key) == ap.credentials(UID)
    assert [l for l in said if "cannot store the AP key" in l], said


def test_a_key_kept_but_not_rewritten_is_still_used_and_the_failure_said():
    from scratch import fresh
    # 16 bytes without a checksum on a flash that refuses writes
    path = fresh("build/ap_key", "nc.bin")
    with open(path, "wb") as f:
        f.write(b"label-key-16byte")
    got, said = _logged(lambda: swap(fsutil, "write_atomic", _refuse,
                                     lambda: ap.device_key(path, UID)))
    assert got == b"label-key-16byte" and [l for l in said if "cannot add a checksum" in l], said
    got, said = _logged(lambda: ap.device_key(path, UID))
    assert got == b"label-key-16byte" and [l for l in said if "had no checksum" in l], said
    # a good file whose copy is gone, or whose file is gone, on a flash refusing writes
    import os
    os.remove(path + ".bak")
    got, said = _logged(lambda: swap(fsutil, "write_atomic", _refuse,
                                     lambda: ap.device_key(path, UID)))
    assert got == b"label-key-16byte" and [l for l in said if "cannot write the AP key's copy" in l], said
    ap.device_key(path, UID)                     # both copies again
    os.remove(path)
    got, said = _logged(lambda: swap(fsutil, "write_atomic", _refuse,
                                     lambda: ap.device_key(path, UID)))
    assert got == b"label-key-16byte" and [l for l in said if "cannot write the AP key again" in l], said


class _NoUrandom:
    pass


def test_without_urandom_the_key_is_still_random_bytes():
    key = swap(ap, "os", _NoUrandom(), lambda: ap._random(64))
    assert isinstance(key, bytes) and len(key) == 64
    assert [b for b in key if b >= 128] and len(set(key)) > 8      # all 8 bits used


# --- ap.py: closing when idle ------------------------------------------------
def _opened(w=None, clock=None, **kw):
    w = w or Wlan()
    clock = clock or Clock()
    changes = []
    point = ap.AccessPoint(Network(w), UID, b"k" * 16,
                           on_change=lambda is_open, why: changes.append((is_open, why)), **kw)
    _with_clock(clock, lambda: point.open("no_wifi"))
    return point, clock, changes


def _at(point, clock, t, fn):
    clock.t = t
    return _with_clock(clock, fn)


def test_an_access_point_nobody_uses_closes_after_15_minutes():
    point, clock, changes = _opened(clock=Clock(1000))
    assert _at(point, clock, 1000, point.closes_in_s) == 900
    assert _at(point, clock, 1000 + 60500, point.closes_in_s) == 839
    _at(point, clock, 1000 + 15 * 60000 - 1, point.check)
    assert point.is_open() and changes == [(True, "no_wifi")]
    _at(point, clock, 1000 + 15 * 60000, point.check)
    assert not point.is_open() and changes[-1] == (False, "idle 15 min"), changes
    assert point.closes_in_s() is None and point.status()["address"] is None


def test_past_its_time_but_not_yet_checked_it_says_closes_in_0_not_less():
    point, clock, _ = _opened(clock=Clock(0))
    assert _at(point, clock, 15 * 60000 + 5000, point.closes_in_s) == 0
    assert _at(point, clock, 15 * 60000 + 999, point.closes_in_s) == 0


def test_a_joined_phone_or_a_page_request_keeps_it_open():
    w = Wlan(stations=[b"phone"])
    point, clock, changes = _opened(w)
    _at(point, clock, 14 * 60000, point.check)           # a phone joined: the timer restarts
    w.stations = []
    _at(point, clock, 28 * 60000, point.check)
    assert point.is_open()
    assert _at(point, clock, 28 * 60000, point.closes_in_s) == 60
    _at(point, clock, 28 * 60000, point.touch)           # a page request
    _at(point, clock, 42 * 60000, point.check)
    assert point.is_open()
    _at(point, clock, 43 * 60000, point.check)
    assert not point.is_open() and changes[-1] == (False, "idle 15 min")


def test_opening_again_restarts_the_timer_without_restarting_the_radio():
    w = Wlan()
    point, clock, changes = _opened(w)
    net = point.network
    _at(point, clock, 10 * 60000, lambda: point.open("button"))
    _at(point, clock, 24 * 60000, point.check)
    assert point.is_open() and net.made == 1 and len(w.configs) == 1 and changes == [(True, "no_wifi")]
    assert point.status()["reason"] == "no_wifi"


def test_a_closed_access_point_is_not_closed_again_nor_touched():
    w = Wlan(stations=[b"phone"])
    point, clock, changes = _opened(w)
    point.close("done")
    point.close("done")
    assert changes == [(True, "no_wifi"), (False, "done")]
    assert point.stations() == 0 and point.closes_in_s() is None
    _at(point, clock, 99 * 60000, point.check)           # nothing to do when closed
    assert changes == [(True, "no_wifi"), (False, "done")]


def test_the_idle_time_is_the_boxs_setting_and_said_when_it_closes():
    point, clock, changes = _opened(idle_close_s=120)
    assert _at(point, clock, 0, point.closes_in_s) == 120
    _at(point, clock, 120000, point.check)
    assert changes[-1] == (False, "idle 2 min")
    point, clock, changes = _opened(idle_close_s=3600)
    _, said = _logged(lambda: _at(point, clock, 3600000, point.check))
    assert changes[-1] == (False, "idle 60 min")
    assert [l for l in said if "access point closed (idle 60 min)" in l], said


class _Stuck(Wlan):
    def active(self, on):
        if not on:
            raise OSError(16)
        self.up = on


def test_an_access_point_that_will_not_go_down_is_logged():
    point, clock, changes = _opened(_Stuck())
    _, said = _logged(lambda: point.close("done"))
    assert point.is_open() and [l for l in said if "closing the access point" in l], said


class _NoRadio(Network):
    def WLAN(self, which):
        raise OSError(12)


def test_a_radio_that_refuses_the_interface_is_an_ap_error():
    point = ap.AccessPoint(_NoRadio(Wlan()), UID, b"k" * 16)
    try:
        _with_clock(Clock(), point.open)
        raise AssertionError("no ApError")
    except ap.ApError as e:
        assert "failed to start" in str(e)
    assert not point.is_open()


def test_stations_counts_the_joined_phones_and_is_zero_when_unknown():
    w = Wlan(stations=[b"a", b"b"])
    point, clock, _ = _opened(w)
    assert point.stations() == 2
    w.stations = OSError(5)
    assert point.stations() == 0
    w.stations = 3                                       # not a list: unknown
    assert point.stations() == 0


def test_status_is_what_the_status_page_shows():
    w = Wlan(stations=[b"a"], ifconfig=("192.168.4.7", "255.255.255.0", "x", "y"))
    point, clock, _ = _opened(w, Clock(5000))
    got = _at(point, clock, 5000 + 65000, point.status)
    assert got == {"open": True, "essid": "CGM-Alarm-ABCD", "stations": 1,
                   "address": "192.168.4.7", "closes_in_s": 835, "reason": "no_wifi"}, got
    closed = ap.AccessPoint(Network(Wlan()), UID, b"k" * 16).status()
    assert closed == {"open": False, "essid": "CGM-Alarm-ABCD", "stations": 0, "address": None,
                      "closes_in_s": None, "reason": None}, closed
    w._ifconfig = None
    assert point.address() == "192.168.4.1"              # the port's default when it cannot say


def test_a_failing_listener_is_logged_and_the_access_point_still_opens():
    def boom(is_open, why):
        raise ValueError("listener")
    point = ap.AccessPoint(Network(Wlan()), UID, b"k" * 16, on_change=boom)
    _, said = _logged(lambda: _with_clock(Clock(), point.open))
    assert point.is_open() and [l for l in said if "on_change" in l], said


class _Stop(BaseException):      # not caught by the module's `except Exception`
    pass


class _CountingWlan(Wlan):
    """Stops a run() that polls without sleeping (instead of hanging the test)."""

    def status(self, what):
        self.polls = getattr(self, "polls", 0) + 1
        if self.polls > 50:
            raise _Stop()
        return Wlan.status(self, what)


class _Asyncio:
    """asyncio.sleep that moves the clock on instead of waiting; stops after `rounds`."""

    def __init__(self, clock, rounds):
        self.clock, self.rounds, self.slept = clock, rounds, []

    async def sleep(self, s):
        self.slept.append(s)
        if len(self.slept) >= self.rounds:
            raise _Stop()
        self.clock.t += int(s * 1000)


def test_run_checks_every_5_seconds():
    point, clock, changes = _opened(_CountingWlan(), idle_close_s=12)
    fake = _Asyncio(clock, 5)
    _with_clock(clock, lambda: swap(ap, "asyncio", fake, lambda: run_until(point.run(), _Stop)))
    assert fake.slept == [5, 5, 5, 5, 5]
    assert changes[-1] == (False, "idle 0 min") and clock.t == 20000   # closed at the 15 s check
    assert point.network.wlan.polls == 4                 # at 0, 5, 10 and 15 s (closed there)


# --- page.py -----------------------------------------------------------------
H = "\"'><script>alert(1)</script>&"          # what a hostile value may hold
H_ESC = "&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;"


def _html(gen):
    return "".join(gen)


def _stored():
    cfg, problems = config.validate({
        "transmitter_id": "8G12AB", "admin_password": "admin-pass-1",
        "wifi": [{"ssid": "home", "password": "wifi-pass-1"}, {"ssid": "open-net", "password": ""}],
        "nightscout": {"url": "https://ns.example.org:1337",
                       "api_secret": "ns-secret-123456", "ca_file": "ca.pem"},
        "mqtt": {"host": "broker.lan", "password": "mqtt-pass-9", "user": "me"},
        "alarms": {"low": 75, "high_enabled": False,
                   "schedule": [{"start": 1320, "end": 420, "high": 280}]}})
    assert problems == [], problems
    # a user:password@, a path and a query: config.validate refuses them now
    # (test_config_forwarders.py), and the status page still shows the host alone
    cfg["nightscout"]["url"] = "https://me:ns-pass@ns.example.org:1337/api?x=1"
    return cfg


def _well_formed(html):
    assert html.startswith("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"), html[:80]
    assert "<meta name=viewport" in html and "<style>" in html
    assert html.endswith("</body></html>") and html.count("<body>") == 1, html[-80:]
    for tag in ("section", "table", "fieldset", "label", "select", "ul", "form", "p", "tr"):
        opened = html.count("<%s>" % tag) + html.count("<%s " % tag)
        assert opened == html.count("</%s>" % tag), (tag, opened, html.count("</%s>" % tag))


def test_esc_escapes_every_character_that_can_leave_a_value():
    assert page.esc("&<>\"'") == "&amp;&lt;&gt;&quot;&#39;"
    assert page.esc(H) == H_ESC and page.esc("plain") == "plain"
    assert page.esc(None) == "" and page.esc(42) == "42"


def test_every_page_is_a_whole_document_with_every_element_closed():
    cfg = _stored()
    state = {"last_reading": (1, 1000, 120, 5, 6, "live"), "now_unix": 1030,
             "alarms": [{"type": "forwarding", "priority": "low", "status": "sounding",
                         "reason": "timeout"}], "minute_of_day": 61}
    pages = (page.status_page(state, cfg, {"open": True, "essid": "e", "closes_in_s": 60},
                              ["p"]),
             page.status_page({}, config.defaults()),
             page.settings_page(cfg, "tok", form.values_from_config(cfg), {"mqtt.host": "bad"},
                                networks=("a", "b"), problems=["p"]),
             page.settings_page(cfg, "tok", form.values_from_config(cfg), {}, first_time=True),
             page.signin_page("wrong"), page.signin_page(),
             page.saved_page(["x"]), page.message_page("Busy", "try again"))
    for gen in pages:
        _well_formed(_html(gen))
    html = _html(page.status_page(state, cfg))
    heads = [h.split("</h2>")[0] for h in html.split("<h2>")[1:]]
    assert heads == ["Last reading", "Alarms", "Connections", "Alarm settings"], heads
    assert html.count("<section") == 4 and "</section><section id=alarms>" in html
    assert "</table></section><section id=thresholds>" in html
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}))
    assert "<h1>Settings</h1>" in html and "<title>Settings - CGM alarm</title>" in html
    legends = [h.split("</legend>")[0] for h in html.split("<legend>")[1:]]
    assert legends == ["Transmitter", "Leader or follower box", "Alarm thresholds (mg/dL)",
                       "More alarm settings", "Schedules (e.g. night)", "Wi-Fi networks", "Forwarding",
                       "Admin password"], legends
    assert html.count("<fieldset>") == 8 and "</fieldset><fieldset><legend>Wi-Fi" in html
    assert "</fieldset><fieldset><legend>Admin password" in html
    assert "from this phone each time the settings are saved" in html
    html = _html(page.signin_page())
    assert "<title>Sign in - CGM alarm</title>" in html and "<h1>Change settings</h1>" in html
    assert "<form method=post action=/settings>" in html and "name=password" in html
    html = _html(page.saved_page())
    assert "<title>Saved - CGM alarm</title>" in html and "id=saved>Saved." in html
    # the restart closes the access point the phone is on: the page says so and how to
    # find the box again (its address on the status page, the router's list, the button)
    assert "id=restart>The box restarts" in html and "6 s" in html and "router" in html
    assert "id=box-name" not in html
    html = _html(page.saved_page((), "kitchen-box"))
    assert "<b id=box-name>http://kitchen-box.local/</b> or http://&lt;its address&gt;/" in html
    assert "<a href=/ id=status>" in html


def test_a_hostile_network_name_from_a_scan_is_shown_escaped():
    cfg = _stored()
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {},
                                    networks=(H, "Neighbour's")))
    assert "<script>alert" not in html and html.count("<script>") == 1   # the page's own
    assert "<option value='%s'>" % H_ESC in html and "<datalist id=nets>" in html
    assert "In range: %s, Neighbour&#39;s" % H_ESC in html
    assert html.count(" list=nets") == form.WIFI_ROWS
    assert " list=nets" not in _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}))


def _label_of(html, name):
    """The <label>...</label> that holds the input called name."""
    at = html.find("name='%s'" % name)
    assert at >= 0, name
    start = html.rfind("<label>", 0, at)
    return html[start:html.find("</label>", at) + len("</label>")]


def test_a_refused_field_is_marked_beside_its_input_with_what_was_typed_escaped():
    cfg = _stored()
    values = form.values_from_config(cfg)
    values["mqtt.host"] = H
    values["alarms.schedule[1].start"] = "25:00"
    errors = {"mqtt.host": "bad host " + H, "alarms.schedule[1].start": "not a time",
              "slot": "pick one", "units": "pick one", "alarms.low_enabled": "no",
              form.GENERAL: "general " + H}
    html = _html(page.settings_page(cfg, "tok", values, errors))
    assert "<script>alert" not in html
    assert "id=form-error>Nothing was saved" in html
    assert "<p class=err id='err-_general'>general %s</p>" % H_ESC in html
    got = _label_of(html, "mqtt.host")
    assert "value='%s' class=bad aria-invalid=true" % H_ESC in got, got
    assert "<span class=err id='err-mqtt.host'>bad host %s</span>" % H_ESC in got, got
    got = _label_of(html, "alarms.schedule[1].start")
    assert "value='25:00' class=bad" in got and "id='err-alarms.schedule[1].start'>not a time<" in got
    assert "<b>Schedule 2</b>" in html and "<b>Schedule 1</b>" in html
    ok = _label_of(html, "mqtt.user")
    assert "class=bad" not in ok and "class=err" not in ok and "value='me'" in ok, ok
    assert "id='err-slot'>pick one</span></label>" in html
    assert "id='err-units'>pick one</span></label>" in html
    assert "id='err-alarms.low_enabled'>no</span></label>" in html
    # without errors: no banner, no marks
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}))
    assert "form-error" not in html and "class=bad" not in html and "class=err" not in html


def test_the_settings_form_has_every_field_the_save_reads():
    cfg = _stored()
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}))
    names = list(form.values_from_config(cfg).keys()) + [
        "nightscout.api_secret", "nightscout.allow_http", "mqtt.password"]
    for i in range(form.WIFI_ROWS):
        names += ["wifi[%d].ssid" % i, "wifi[%d].password" % i]
    for row in range(form.SCHEDULE_ROWS):
        names += ["alarms.schedule[%d].%s" % (row, k)
                  for k in ("on", "start", "end") + form.SCHEDULE_FIELDS]
    for n in names:
        assert ("name='%s'" % n) in html or ("name=%s " % n) in html, n
    for n in ("token", "slot", "units", "phone_ms", form.ADMIN_NEW, form.ADMIN_REPEAT):
        assert ("name=%s " % n) in html or ("name=%s>" % n) in html, n
    for i in range(form.WIFI_ROWS):
        assert "Network %d name" % (i + 1) in html
    assert "<datalist id=zones>" in html and "<option value='CET-1CEST,M3.5.0,M10.5.0/3'>" in html
    assert "<select name=slot id=slot><option value=receiver selected>" in html
    # a switch is shown as it is stored: a page showing an alarm off would turn it
    # off at the next save of anything else
    assert "name='alarms.low_enabled' id='alarms.low_enabled' checked>" in html
    assert "name='alarms.high_enabled' id='alarms.high_enabled'>" in html      # off in _stored
    assert "name='alarms.forwarding' id='alarms.forwarding' checked>" in html
    assert "<option value=mmol>mmol/L</option>" in html
    mm = dict(form.values_from_config(cfg), units="mmol", slot="phone")
    html = _html(page.settings_page(cfg, "tok", mm, {}))
    assert "<option value=mmol selected>" in html and "<option value=phone selected>" in html
    assert "<option value=receiver>" in html


def _tag(html, name):
    """The <input ...> tag of the field `name`."""
    i = html.index("name='%s'" % name)
    return html[html.rindex("<input", 0, i):html.index(">", i) + 1]


def test_names_and_addresses_are_not_capitalised_or_corrected_by_a_phone_keyboard():
    # a phone capitalises a text field's first letter: "Netgear42" for netgear42 never
    # joined, "Broker.lan" or "Ca.pem" named nothing; spelling correction is worse
    cfg = _stored()
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {},
                                    networks=["netgear42"]))
    plain = ["wifi[%d].ssid" % i for i in range(form.WIFI_ROWS)] + [
        "nightscout.url", "nightscout.ca_file", "mqtt.host", "mqtt.user", "tz", "hostname"]
    for name in plain:
        tag = _tag(html, name)
        assert "type=text" in tag and " autocapitalize=off autocorrect=off spellcheck=false" in tag, tag
    assert " list=nets " in _tag(html, "wifi[0].ssid") and " list=zones " in _tag(html, "tz")
    assert "autocapitalize" not in _tag(html, "alarms.low")        # a number: no keyboard of words


def test_the_schedule_says_a_threshold_there_turns_its_alarm_on_and_the_status_shows_it():
    # alarms.settings.effective: "low 80" in a night entry is a low alarm at night even
    # when the low is off by day; "low_enabled": false in the entry keeps it off
    cfg = _stored()
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}))
    assert "id=schedule-on>A low, high or urgent high set in a schedule turns that alarm on" in html
    cfg["alarms"]["schedule"] = [{"start": 1320, "end": 420, "low": 80, "high": 280,
                                  "high_enabled": False, "urgent_high_enabled": True}]
    html = _html(page.status_page({"now_unix": 5}, cfg))
    assert "<tr><td>22:00&ndash;07:00</td><td>low 80 mg/dL, high off, urgent high on</td></tr>" in html


def test_secrets_are_never_echoed_and_only_a_stored_one_can_be_removed():
    cfg = _stored()
    values = form.values_from_config(cfg)
    typed = {"wifi[0].password": "typed-wifi-pw", "nightscout.api_secret": "typed-ns-secret",
             "mqtt.password": "typed-mqtt-pw", form.ADMIN_NEW: "typed-admin-1",
             form.ADMIN_REPEAT: "typed-admin-2", "password": "typed-signin"}
    values.update(typed)
    errors = {"wifi[0].password": "too short", form.ADMIN_REPEAT: "does not match"}
    html = _html(page.settings_page(cfg, "tok", values, errors))
    for s in list(typed.values()) + ["wifi-pass-1", "ns-secret-123456", "mqtt-pass-9", "admin-pass-1"]:
        assert s not in html, s
    got = _label_of(html, "wifi[0].password")
    assert "type=password" in got and " class=bad" in got and ">too short<" in got, got
    assert "id=admin_repeat autocomplete=new-password class=bad>" in html
    assert "id='err-admin_repeat'>does not match<" in html
    assert "id=admin_new autocomplete=new-password>" in html
    assert "name='nightscout.api_secret.clear'" in html and "name='mqtt.password.clear'" in html
    assert ".password.clear" not in html.replace("mqtt.password.clear", "")   # a network: no
    cfg["mqtt"]["password"] = ""
    html = _html(page.settings_page(cfg, "tok", values, {}))
    assert "mqtt.password.clear" not in html and "id='state-mqtt.password'>not set<" in html
    assert "nightscout.api_secret.clear" in html


def test_the_first_time_asks_for_an_admin_password_later_blank_keeps_it():
    cfg = _stored()
    v = form.values_from_config(cfg)
    first = _html(page.settings_page(cfg, "tok", v, {}, first_time=True))
    later = _html(page.settings_page(cfg, "tok", v, {}))
    assert "id=first-time>No admin password yet" in first and "Leave blank" not in first
    assert "first-time" not in later and "Leave blank to keep the current one." in later


def test_every_other_value_on_the_pages_is_escaped():
    cfg = _stored()
    cfg["transmitter_id"] = "8G12'>"
    cfg["mqtt"]["host"] = H
    cfg["alarms"]["low"] = H
    cfg["alarms"]["schedule"][0]["high"] = H
    state = {"last_reading": (1, 1000, None, None, H, H), "now_unix": 1030, "link": H,
             "alarms": [{"type": H, "priority": "low", "status": H, "reason": H}],
             "captive_dns_error": H}
    ap_st = {"open": True, "essid": H, "closes_in_s": 600, "address": H}
    pages = [page.status_page(state, cfg, ap_st, [H]),
             page.settings_page(cfg, H, form.values_from_config(cfg), {}, problems=[H]),
             page.signin_page(H), page.saved_page([H]), page.message_page(H, H)]
    for gen in pages:
        html = _html(gen)
        assert "<script>alert" not in html and H_ESC in html, html
    html = _html(page.settings_page(cfg, "tok", form.values_from_config(cfg), {}, problems=[H]))
    assert "<section id=config-problems>" in html and "<li>%s</li>" % H_ESC in html
    html = _html(page.status_page(state, cfg, ap_st, [H]))
    assert "id=link>&hellip;&#39;&gt;, %s<" % H_ESC in html
    assert "<li>%s</li></ul></section>" % H_ESC in html
    assert "id=ap>%s open, closes in 10 min<" % H_ESC in html
    assert "(%s)" % H_ESC in html and "http://%s/" % H_ESC in html
    assert "id=th-low>%s mg/dL<" % H_ESC in html and "high %s" % H_ESC in html
    assert "id=mqtt>%s<" % H_ESC in html
    assert "sensor state %s" % H_ESC in html
    fcfg = dict(cfg, role="follower", follow={"url": "http://" + H, "sound": "unanswered"})
    html = _html(page.status_page(dict(state, follow={"last_error": H, "alarms_error": H,
                                                      "last_entry_unix": 1000}), fcfg))
    assert "<script>alert" not in html and "failing (%s)" % H_ESC in html
    assert "not known now (%s)" % H_ESC in html
    html = _html(page.message_page("Busy", H, "busy"))
    assert "<title>Busy</title>" in html and "<h1>Busy</h1><p class=err id=busy>%s</p>" % H_ESC in html
    assert "value='%s'" % H_ESC in _html(page.settings_page(cfg, H, {}, {}))     # the token
    assert "<p class=err id=signin-error>%s</p>" % H_ESC in _html(page.signin_page(H))
    assert "signin-error" not in _html(page.signin_page())
    assert "<p class=err>%s</p>" % H_ESC in _html(page.saved_page([H]))


def test_the_status_page_shows_the_reading_its_age_and_trend():
    cfg = _stored()

    def shown(reading, now, **cfg_changes):
        return _html(page.status_page({"last_reading": reading, "now_unix": now},
                                      dict(cfg, **cfg_changes)))
    html = shown((1, 1000, 120, 12, 6, "live"), 1089)
    assert "<meta http-equiv=refresh content=60>" in html and "<h1>CGM alarm</h1>" in html
    assert "id=sgv>120</span> mg/dL <span class=big id=arrow>&#8599;<" in html   # +1.2: FortyFiveUp
    assert "<p>Trend <span id=trend>+1.2 mg/dL/min</span>, 89 s ago (live).</p>" in html
    assert "90 s ago" not in shown((1, 1000, 120, 12, 6, "live"), 1090)
    assert "1 min ago" in shown((1, 1000, 120, 12, 6, "live"), 1090)
    assert "2 min ago" in shown((1, 1000, 120, 12, 6, "live"), 1000 + 179)
    assert "3 min ago" in shown((1, 1000, 120, 12, 6, "live"), 1000 + 180)
    assert "0 s ago" in shown((1, 1000, 120, None, 6, "live"), 990)       # a clock behind
    html = shown((1, 1000, 120, None, 6, "backfill"), None)
    assert "id=trend>unknown<" in html and "time unknown (backfill)" in html
    assert "time unknown" in shown((1, None, 120, None, 6, "live"), 1000)
    html = shown((1, 1000, None, None, 9, "live"), 1030)
    assert "<p id=sgv>No glucose value (sensor state 9: calibration error 2), 30 s ago.</p>" in html
    html = shown((1, 1000, None, None, 0x12, "live"), 1030)    # the code in words, not a bare number
    assert "(sensor state 18: temporary sensor issue)" in html
    assert "(sensor state 99: unknown 0x63)" in shown((1, 1000, None, None, 99, "live"), 1030)
    html = shown((1, 1000, 90, -12, 6, "live"), 1030, units="mmol")
    assert "id=sgv>5.0</span> mmol/L <span class=big id=arrow>&#8600;</span> (90 mg/dL)" in html
    html = _html(page.status_page({}, cfg))
    assert "<p id=sgv>No reading yet.</p>" in html and "<title>CGM alarm</title>" in html


def test_the_status_page_says_low_and_high_as_the_screen_does_not_39_or_401():
    # a Dexcom's 39 means "under 40": "39 mg/dL" on the page read as a value; in either unit
    def shown(sgv, **cfg_changes):
        return _html(page.status_page({"last_reading": (1, 1000, sgv, 0, 6, "live"), "now_unix": 1030},
                                      dict(_stored(), **cfg_changes)))
    for units, low, high in (("mg/dl", "under 40 mg/dL", "over 400 mg/dL"),
                             ("mmol", "under 2.2 mmol/L, 40 mg/dL", "over 22.2 mmol/L, 400 mg/dL")):
        html = shown(39, units=units)
        assert "id=sgv>LOW</span> <span class=big id=arrow>&#8594;</span> (%s)</p>" % low in html, html
        html = shown(401, units=units)
        assert "id=sgv>HIGH</span> <span class=big id=arrow>&#8594;</span> (%s)</p>" % high in html, html
    assert "id=sgv>40</span> mg/dL <" in shown(40) and "id=sgv>400</span> mg/dL <" in shown(400)
    assert "id=sgv>2.2</span> mmol/L <span class=big id=arrow>&#8594;</span> (40 mg/dL)" in shown(40, units="mmol")


def test_the_status_page_shows_the_alarms_and_the_links():
    cfg = _stored()
    state = {"alarms": [{"type": "low", "priority": "medium", "status": "sounding"},
                        {"type": "forwarding", "priority": "low", "status": "shown",
                         "reason": "nightscout_unreachable"}],
             "link": "authenticated", "wifi": False}
    html = _html(page.status_page(state, cfg))
    assert ("<tr class=medium><td>low</td><td>medium priority</td><td>sounding</td><td></td></tr>"
            in html)
    assert "<td>forwarding</td><td>low priority</td><td>shown</td><td>nightscout_unreachable</td>" in html
    assert "No active alarm" not in html
    assert "id=link>&hellip;AB, authenticated<" in html and "8G12" not in html
    assert "id=wifi>not connected<" in html
    # the host only: no user, password, port path or query of the URL
    assert "id=nightscout>ns.example.org:1337 &mdash; failing<" in html
    assert "ns-pass" not in html and "me:" not in html
    assert "id=mqtt>broker.lan<" in html
    # each forwarder's row says "failing" for its own alarm only, with what stopped its last try
    state["alarms"][1]["reason"] = "mqtt_unreachable"
    html = _html(page.status_page(dict(state, mqtt_why="broker not authorized (CONNACK 5)"), cfg))
    assert "id=nightscout>ns.example.org:1337<" in html
    assert "id=mqtt>broker.lan &mdash; failing: broker not authorized (CONNACK 5)<" in html
    html = _html(page.status_page(dict(state, mqtt_why=None, nightscout_why="HTTP 500"), cfg))
    assert "id=mqtt>broker.lan &mdash; failing<" in html
    assert "id=nightscout>ns.example.org:1337 &mdash; retrying: HTTP 500<" in html
    # ... for each of its reasons: the broker refusing the box's login too
    state["alarms"][1]["reason"] = "mqtt_auth"
    why = "broker refused the user name or password (CONNACK 4)"
    html = _html(page.status_page(dict(state, mqtt_why=why), cfg))
    assert "id=mqtt>broker.lan &mdash; failing: %s<" % why in html
    # one forwarding alarm for both: each forwarder failing by any of its reasons, not only
    # by the newest one, which names the alarm (MQTT's refused login, then Nightscout's outage)
    state["alarms"][1].update(reason="nightscout_unreachable", reasons=("mqtt_auth", "nightscout_unreachable"))
    html = _html(page.status_page(dict(state, mqtt_why=why), cfg))
    assert "id=mqtt>broker.lan &mdash; failing: %s<" % why in html
    assert "id=nightscout>ns.example.org:1337 &mdash; failing<" in html
    assert "<td>shown</td><td>mqtt_auth, nightscout_unreachable</td>" in html
    state = {"alarms": [{"type": "low", "priority": "high", "status": "sounding"}], "wifi": True}
    html = _html(page.status_page(state, cfg))
    assert "id=nightscout>ns.example.org:1337<" in html and "id=wifi>connected<" in html
    # with its address on the home network: where the family finds the box after set-up
    html = _html(page.status_page(dict(state, wifi_address="192.168.1.23"), dict(cfg, hostname="")))
    assert "id=wifi>connected, at http://192.168.1.23/<" in html
    # ... and by its name on the home network (mDNS), which does not change with DHCP
    html = _html(page.status_page(dict(state, wifi_address="192.168.1.23"),
                                  dict(cfg, hostname="kitchen-box")))
    assert "id=wifi>connected, at http://kitchen-box.local/ or http://192.168.1.23/<" in html
    html = _html(page.status_page(dict(state, wifi=False, wifi_address="192.168.1.23"), cfg))
    assert "id=wifi>not connected<" in html
    assert "id=link>&hellip;AB, no contact yet<" in html
    html = _html(page.status_page({}, config.defaults()))
    assert "id=no-alarms>No active alarm.<" in html
    assert "id=link>not set, no contact yet<" in html and "id=wifi>not configured<" in html
    assert "id=nightscout>off<" in html and "id=mqtt>off<" in html and "id=ap>" not in html
    assert "id=wifi>unknown<" in _html(page.status_page({"wifi": None}, cfg))
    assert page._host("http://ns.lan") == "ns.lan"
    assert page._host("ns.lan/api") == "ns.lan"
    assert page._host("https://tok@ns.lan?x=1") == "ns.lan"
    assert page._host("https://a/b//c") == "a"


def test_a_follower_boxs_status_page_shows_what_it_follows_not_a_transmitter():
    cfg = _stored()
    cfg["role"] = "follower"
    cfg["follow"] = {"url": "http://me:pw@leader.lan:17580/x?token=t", "sound": "all"}
    state = {"now_unix": 10000, "follow": {"last_entry_unix": 9880, "last_error": None,
                                           "silent": False, "alarms_error": None}}
    html = _html(page.status_page(state, cfg))
    # the host alone (no user, password, path or query), as for Nightscout
    assert "id=follow>leader.lan:17580, newest reading 2 min ago<" in html, html
    assert "id=follow-sound>every alarm<" in html
    assert "id=link>" not in html and "pw" not in html and "token=" not in html
    state["follow"] = {"last_entry_unix": None, "last_error": "OSError: 113", "silent": True}
    html = _html(page.status_page(state, cfg))
    assert ("id=follow>leader.lan:17580, no reading yet &mdash; failing (OSError: 113) &mdash; "
            "no new reading for too long (link alarm)<") in html, html
    # follow.sound "unanswered": whether the leader box's word is known now (alarms.gate)
    cfg["follow"]["sound"] = "unanswered"
    html = _html(page.status_page(dict(state, leader_age_s=40), cfg))
    assert ("id=follow-sound>only the alarms the leader box leaves unanswered (its last report "
            "40 s ago)<") in html, html
    state["follow"]["alarms_error"] = "ValueError: HTTP 404 (not a box's LAN API?)"
    html = _html(page.status_page(dict(state, leader_age_s=None), cfg))
    assert ("id=follow-sound>only the alarms the leader box leaves unanswered; its word is not "
            "known now (ValueError: HTTP 404 (not a box&#39;s LAN API?)): every alarm sounds "
            "here<") in html, html
    state["follow"]["alarms_error"] = None
    assert "its word is not known now: every alarm sounds here<" in _html(page.status_page(state, cfg))
    # a box made a follower before its source is set, and a state the page could not read
    cfg["follow"] = {}
    html = _html(page.status_page({}, cfg))
    assert "id=follow>not set, no reading yet<" in html and "id=follow-sound>every alarm<" in html
    _well_formed(html)


def test_a_followers_status_page_names_the_leaders_alarm_its_link_wakes_for_as_the_screen_does():
    # helper-382 (helper-374's (1)): the screen said "LEADER BOX / BOX FAULT", the page's link row
    # "leader_unanswered" alone; main.App.unanswered_there's (type, reason) in the screen's words
    cfg = _stored()
    cfg["role"] = "follower"
    cfg["follow"] = {"url": "http://leader.lan:17580", "sound": "unanswered"}
    link = {"type": "link", "priority": "medium", "status": "sounding", "reason": "leader_unanswered"}
    state = {"alarms": [link, {"type": "low", "priority": "high", "status": "sounding"}]}

    def row(leader, **alarm):
        html = _html(page.status_page(dict(state, leader=leader, alarms=[dict(link, **alarm)] + state["alarms"][1:]),
                                      cfg))
        _well_formed(html)
        return html
    cell = "<td>sounding</td><td>leader_unanswered%s</td>"
    assert cell % " (at the leader box: BOX FAULT)" in row(("device", "flash"))
    assert cell % " (at the leader box: SENSOR)" in row(("sensor", "stopped"))
    assert cell % " (at the leader box: LEADER BOX)" in row(("link", "leader_unanswered"))   # a chain's
    assert cell % "" in row(None)                       # not known now: as the screen's "not answered"
    assert "<td>leader_silent, leader_unanswered (at the leader box: LOW)</td>" in row(
        ("low", ""), reasons=("leader_silent", "leader_unanswered"))
    assert "<td>leader_silent</td>" in row(("low", ""), reason="leader_silent")   # another reason: none
    html = row(("<b>&", None))                          # a type this box does not know: escaped
    assert "(at the leader box: &lt;B&gt;&amp;)" in html and "<b>" not in html
    assert html.count("at the leader box") == 1          # the low's row: its own


def test_the_status_page_shows_the_thresholds_schedules_and_the_boxs_time():
    cfg = _stored()
    html = _html(page.status_page({"minute_of_day": 61.0, "now_unix": 5}, cfg))
    assert "<tr><td>Urgent low (always on)</td><td id=th-urgent_low>55 mg/dL</td></tr>" in html
    assert "id=th-low>75 mg/dL<" in html and "id=th-high>off<" in html
    assert "id=th-urgent_high>300 mg/dL<" in html
    assert "<tr><td>22:00&ndash;07:00</td><td>high 280 mg/dL</td></tr>" in html
    assert "id=box-time>01:01<" in html and "clock-unknown" not in html
    assert "<a href=/settings id=change>Change settings</a>" in html
    html = _html(page.status_page({}, cfg))
    assert "box-time" not in html and "id=clock-unknown>The box does not know the time" in html
    plain = config.defaults()
    assert "clock-unknown" not in _html(page.status_page({}, plain))
    cfg["alarms"]["schedule"] = [{"start": 60, "end": 120}, {"start": "x", "end": 5}]
    html = _html(page.status_page({"now_unix": 5}, cfg))
    assert "<tr><td>01:00&ndash;02:00</td><td>no change</td></tr>" in html
    assert html.count("&ndash;") == 1                                 # not a broken entry
    del cfg["alarms"]
    assert "id=th-low> mg/dL<" in _html(page.status_page({}, cfg))   # all on without settings


def test_the_access_point_row_counts_down_in_minutes():
    cfg = _stored()
    html = _html(page.status_page({}, cfg, {"open": True, "essid": "CGM-Alarm-ABCD",
                                            "closes_in_s": 839}))
    assert "<tr><td>Setup access point</td><td id=ap>CGM-Alarm-ABCD open, closes in 13 min</td></tr>" in html
    html = _html(page.status_page({}, cfg, {"open": True, "essid": "e", "closes_in_s": None}))
    assert "closes in 0 min" in html
    html = _html(page.status_page({"captive_dns_error": "EADDRINUSE"}, cfg,
                                  {"open": True, "essid": "e", "closes_in_s": 60}))
    assert "browse to http://the box/" in html


def test_the_status_page_tells_when_the_sensor_session_ends():
    # the link's session end (main.App._watch_session, setup.web.state_from_app): the
    # time left, and the local time of the end when the box knows the time of day
    cfg = _stored()
    html = _html(page.status_page({"now_unix": 5, "session_left_s": 17 * 3600 + 20 * 60, "minute_of_day": 600,
                                   "session_end_minute": 200}, cfg))
    assert "<tr><td>Sensor session</td><td id=session>ends in 17 h 20 min, about 03:20</td></tr>" in html
    html = _html(page.status_page({"session_left_s": 3 * 86400 + 4 * 3600 + 59}, cfg))
    assert "<td id=session>ends in 3 days 4 h</td>" in html
    html = _html(page.status_page({"session_left_s": 0}, cfg))
    assert "<td id=session>ended by the box's count (10 days, a G5's 7)</td>" in html
    assert "id=session" not in _html(page.status_page({}, cfg))    # no session known: no row


def test_the_pages_trend_session_end_disputed_step_field_types_and_a_followers_clear_boxes():
    # (helper-318's mutation run of page.py: each of these changed unseen)
    cfg = _stored()
    # mmol/L with no rate: "unknown", not a page that fails on the missing trend
    html = _html(page.status_page({"last_reading": (1, 1000, 90, None, 6, "live"), "now_unix": 1030},
                                  dict(cfg, units="mmol")))
    assert "id=trend>unknown<" in html and "(90 mg/dL)" in html
    # the session's end: hours and minutes under 2 days, days and hours from 2 days on
    for left_min, said in ((2879, "47 h 59 min"), (2880, "2 days 0 h"), (2 * 1440 + 185, "2 days 3 h"),
                           (90, "1 h 30 min"), (60, "1 h 0 min"), (3 * 1440 - 1, "2 days 23 h")):
        html = _html(page.status_page({"session_left_s": left_min * 60}, cfg))
        assert "<td id=session>ends in %s</td>" % said in html, (left_min, html)
    # a disputed time server's step in whole days and hours, its direction
    for step, said in ((4748 * 86400, "4748 days ahead of"), (-(2 * 86400 + 3599), "2 days behind"),
                       (86400 + 5 * 3600, "1 days 5 h ahead of"), (3 * 86400 - 1, "2 days 23 h ahead of")):
        html = _html(page.status_page({"time_disputed_s": step}, cfg))
        assert "says the time is %s the box's clock" % said in html, (step, html)
    # mmol/L: thresholds and rates are decimals typed as text, minutes and the volume numbers
    mmol = dict(cfg, units="mmol")
    html = _html(page.settings_page(mmol, "tok", form.values_from_config(mmol), {}))
    for name in ("alarms.no_data_minutes", "alarms.volume", "alarms.persistent_high_minutes"):
        assert "type=number" in _tag(html, name), (name, _tag(html, name))
    for name in ("alarms.fall_rate", "alarms.persistent_high"):
        assert "type=text" in _tag(html, name) and "inputmode=decimal" in _tag(html, name), name
    # a follower's stored API secret or token can be removed (to switch to the other:
    # config refuses both)
    cfg["follow"].update({"url": "http://cgm-alarm-ab12.local:17580", "api_secret": "f-secret-1234"})
    values = form.values_from_config(cfg)
    html = _html(page.settings_page(cfg, "tok", values, {}))
    assert "name='follow.api_secret.clear'" in html and "follow.token.clear" not in html
    cfg["follow"].update({"api_secret": "", "token": "box-1a2b3c"})
    html = _html(page.settings_page(cfg, "tok", values, {}))
    assert "name='follow.token.clear'" in html and "follow.api_secret.clear" not in html
