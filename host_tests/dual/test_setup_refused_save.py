# A save the page refuses sends the form back without the secrets typed into it (never
# shown); what a family's browser sends when it saves that form again (review of
# session 43, helper-186: a Wi-Fi password typed was lost and the network saved open; a
# new admin password was lost). The handlers are driven as test_setup_web_rules.py
# drives them; the second post is built from the page itself, as a browser builds it
# (every input's value, the ticked boxes, each select's selected option), with the
# family's one correction. Runs on CPython and MicroPython.
import json

from test_setup_web_rules import Box, JAN, Req, _errors, _page, web
from setup import page

WIFI_PW = "home-wifi-pass"
ADMIN = "first-admin-pw"


def _attr(tag, name):
    """The value of attribute `name` in the tag text (quoted with ' or bare), or None."""
    i = tag.find(" " + name + "=")
    if i < 0:
        return None
    i += len(name) + 2
    if tag[i] == "'":
        return tag[i + 1:tag.index("'", i + 1)].replace("&#39;", "'").replace("&amp;", "&")
    j = i
    while j < len(tag) and tag[j] not in " >":
        j += 1
    return tag[i:j]


def _browser_fields(text):
    """The fields a browser posts for the form of page `text`, untouched."""
    out = {}
    form = text[text.index("<form"):text.index("</form>")]
    i = 0
    while True:
        i = form.find("<input", i)
        if i < 0:
            break
        end = form.index(">", i)
        tag = form[i:end]
        i = end
        name = _attr(tag, "name")
        kind = _attr(tag, "type") or "text"
        if name is None:
            continue
        if kind == "checkbox":
            if " checked" in tag:
                out[name] = "on"
            continue
        out[name] = _attr(tag, "value") or ""
    i = 0
    while True:
        i = form.find("<select name=", i)
        if i < 0:
            break
        name = _attr(form[i:form.index(">", i)], "name")
        end = form.index("</select>", i)
        j = form.find(" selected>", i, end)
        if j >= 0:
            k = form.rindex("<option value=", i, j)
            out[name] = form[k + len("<option value="):j]
        else:   # the first option
            k = form.index("<option value=", i) + len("<option value=")
            out[name] = form[k:form.index(">", k)]
        i = end
    return out


def _first_box():
    """A new box (no admin password): its form, opened on its access point."""
    box = Box(cfg={})
    status, text = _page(box.srv._settings(Req("GET", "/settings")))
    assert status == 200 and "id=first-time" in text, status
    return box, text


def _post(box, text, changes):
    """(status, page) of saving the form of page `text` with `changes` typed in."""
    f = _browser_fields(text)
    f.update(changes)
    return _page(box.srv._save(Req("POST", "/save", f)))


def _refused_then_saved(box, text, first, then):
    status, text = _post(box, text, first)
    assert status == 400, (status, _errors(text))
    return text, _post(box, text, then)


def test_a_wifi_password_typed_into_a_save_refused_once_is_saved_by_the_save_that_follows():
    # first set-up, the time zone left blank: the page asks once ("save again to keep
    # these settings"); the admin password is marked (required), the Wi-Fi row is not
    box, text = _first_box()
    try:
        clock = {"phone_ms": JAN, "phone_offset_min": "0,0,60"}
        first = dict(clock, transmitter_id="8G1234", admin_new=ADMIN, admin_repeat=ADMIN)
        first["wifi[0].ssid"], first["wifi[0].password"] = "Home", WIFI_PW
        refused, (status, text) = _refused_then_saved(box, text, first, clock)
        assert "tz" in _errors(refused)
        # the typed ones are not in the page, and it says they are kept
        assert WIFI_PW not in refused and ADMIN not in refused
        assert refused.count(page.HELD) == 3, refused.count(page.HELD)   # Wi-Fi, both admin
        assert status == 200, (status, _errors(text))
        stored = json.loads(box.stored())
        assert stored["wifi"] == [{"ssid": "Home", "password": WIFI_PW}], stored["wifi"]
        assert stored["admin_password"] == ADMIN
    finally:
        box.close()


def test_a_held_wifi_password_goes_with_its_row_and_a_typed_one_wins():
    box, text = _first_box()
    try:
        clock = {"phone_ms": JAN, "phone_offset_min": "0,0,60"}
        first = dict(clock, transmitter_id="8G1234", admin_new=ADMIN, admin_repeat=ADMIN)
        first["wifi[0].ssid"], first["wifi[0].password"] = "Home", WIFI_PW
        first["wifi[1].ssid"], first["wifi[1].password"] = "Gran", "gran-wifi-pass"
        # row 2 cleared (forgotten), row 1's password typed again
        then = dict(clock)
        then["wifi[1].ssid"], then["wifi[0].password"] = "", "typed-again-pw"
        refused, (status, text) = _refused_then_saved(box, text, first, then)
        assert status == 200, (status, _errors(text))
        assert json.loads(box.stored())["wifi"] == [{"ssid": "Home", "password": "typed-again-pw"}]
    finally:
        box.close()


def test_a_new_admin_password_typed_into_a_save_refused_once_is_the_one_that_signs_in():
    # a signed-in family sets a new admin password and mistypes a threshold (low 50)
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234"})
    try:
        status, text = box.signin("old-admin-pw")
        assert status == 200
        first = {"admin_new": "new-admin-pw", "admin_repeat": "new-admin-pw", "alarms.low": "50"}
        refused, (status, text) = _refused_then_saved(box, text, first, {"alarms.low": "65"})
        assert sorted(_errors(refused)) == ["alarms.low"], _errors(refused)
        assert status == 200 and "id=saved" in text, (status, _errors(text))
        box.srv = web.SetupServer(box.path)   # after the restart
        assert box.signin("new-admin-pw")[0] == 200
        # two new passwords that differ are not held: typed again, both
        box.srv = web.SetupServer(box.path)
        status, text = box.signin("new-admin-pw")
        first = {"admin_new": "third-admin-pw", "admin_repeat": "third-admin-px"}
        refused, (status, text) = _refused_then_saved(box, text, first, {})
        assert page.HELD not in refused and status == 200
        assert json.loads(box.stored())["admin_password"] == "new-admin-pw"
    finally:
        box.close()


def test_a_remove_box_ticked_in_a_refused_save_comes_back_ticked():
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234",
                   "mqtt": {"host": "10.0.0.5", "user": "u", "password": "mqtt-pw"}})
    try:
        status, text = box.signin("old-admin-pw")
        first = {"mqtt.password.clear": "on", "alarms.low": "50"}
        refused, (status, text) = _refused_then_saved(box, text, first, {"alarms.low": "65"})
        assert "name='mqtt.password.clear' id='mqtt.password.clear' checked" in refused
        assert status == 200, (status, _errors(text))
        assert json.loads(box.stored())["mqtt"]["password"] == ""
    finally:
        box.close()


def test_a_new_session_forgets_what_an_old_one_typed():
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234"})
    try:
        status, text = box.signin("old-admin-pw")
        typed = {"mqtt.host": "10.0.0.5", "mqtt.user": "u", "mqtt.password": "typed-pw", "alarms.low": "50"}
        assert _post(box, text, typed)[0] == 400
        status, text = box.signin("old-admin-pw")   # another phone, or the same later
        assert page.HELD not in text
        assert _post(box, text, {"mqtt.host": "10.0.0.5", "mqtt.user": "u"})[0] == 200
        assert json.loads(box.stored())["mqtt"]["password"] == ""
    finally:
        box.close()


def test_a_save_tapped_twice_is_answered_saved_both_times():
    # the browser shows the answer to the second tap: it said "Nothing was saved"
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234"})
    try:
        status, text = box.signin("old-admin-pw")
        f = _browser_fields(text)
        f["alarms.low"] = "80"
        first = _page(box.srv._save(Req("POST", "/save", f)))
        status, text = _page(box.srv._save(Req("POST", "/save", f)))
        assert first[0] == 200 and json.loads(box.stored())["alarms"]["low"] == 80
        assert status == 200 and "id=saved" in text and "Nothing was saved" not in text, text[:300]
        assert box.srv.saves == 1
        # a stale page of that session after a new sign-in is still refused
        box.signin("old-admin-pw")
        f["token"] = "0" * 32
        assert _page(box.srv._save(Req("POST", "/save", f)))[0] == 403
    finally:
        box.close()


def test_a_zone_kept_then_refused_by_the_flash_is_not_asked_again_when_saved_again():
    # helper-383: told of the phone's zone, the family saved again to keep the settings;
    # the flash refused that write and the form came back from the settings saved,
    # without the zone they had kept: the save that followed asked about it again
    from fakes import RefusingFlash, on_flash
    from app import fsutil
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234"})
    try:
        status, text = box.signin("old-admin-pw")
        clock = {"phone_ms": JAN, "phone_offset_min": "-300"}   # New York; the box at UTC
        status, text = _post(box, text, dict(clock, hostname="kitchen-box"))
        assert status == 400 and "tz" in _errors(text), (status, _errors(text))
        status, text = on_flash(fsutil, RefusingFlash(fsutil.os, opens=True),
                                lambda: _post(box, text, clock))
        assert status == 500 and box.srv.saves == 0, (status, _errors(text))
        status, text = _post(box, text, clock)
        assert status == 200 and box.srv.saves == 1, (status, _errors(text))
        assert json.loads(box.stored())["hostname"] == "kitchen-box"
    finally:
        box.close()


def test_a_network_past_the_forms_rows_is_saved_once_after_a_write_the_flash_refused():
    # helper-383: five networks stored (a config file's), three rows on the form, the
    # second cleared; the flash refused the write and the form came back from the settings
    # saved, the 4th network in the freed row: the save that followed listed it twice
    from fakes import RefusingFlash, on_flash
    from app import fsutil
    nets = [{"ssid": "net%d" % k, "password": "pass-%d-wifi" % k} for k in range(5)]
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234", "wifi": nets})
    try:
        status, text = box.signin("old-admin-pw")
        status, text = on_flash(fsutil, RefusingFlash(fsutil.os, opens=True),
                                lambda: _post(box, text, {"wifi[1].ssid": ""}))
        assert status == 500, status
        status, text = _post(box, text, {})
        assert status == 200, (status, _errors(text))
        assert json.loads(box.stored())["wifi"] == [nets[0]] + nets[2:], box.stored()
    finally:
        box.close()


def _refused_by_the_flash(box, text, changes):
    from fakes import RefusingFlash, on_flash
    from app import fsutil
    status, text = on_flash(fsutil, RefusingFlash(fsutil.os, opens=True), lambda: _post(box, text, changes))
    assert status == 500 and box.srv.saves == 0, (status, _errors(text))
    return text


def test_an_open_network_typed_below_a_cleared_row_is_saved_after_a_write_the_flash_refused():
    # helper-385: the form sent back after a failed write packed its Wi-Fi rows, but the
    # save that follows judges each row against the stored one of its number: a new open
    # network moved up beside a stored password was refused, "type the password of this
    # network", for a network that has none (and its row said "set")
    nets = [{"ssid": "Old Net", "password": "old-net-pass"}, {"ssid": "Home Net", "password": "home-net-pass"}]
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234", "wifi": nets})
    try:
        status, text = box.signin("old-admin-pw")
        text = _refused_by_the_flash(box, text, {"wifi[0].ssid": "", "wifi[2].ssid": "Cafe"})
        status, text = _post(box, text, {})
        assert status == 200, (status, _errors(text))
        assert json.loads(box.stored())["wifi"] == [nets[1], {"ssid": "Cafe", "password": ""}], box.stored()
    finally:
        box.close()


def test_a_schedule_entry_keeps_its_own_settings_after_a_write_the_flash_refused():
    # helper-385: the same for the schedule: its first entry removed, the flash refused the
    # write and the form came back with the second entry in the first row; saved again, that
    # entry took the removed one's settings the form does not show (a config file's
    # high_enabled off at night): the nap's high alarm went off, without a word
    night = {"start": 22 * 60, "end": 7 * 60, "low": 80, "high_enabled": False}
    nap = {"start": 13 * 60, "end": 15 * 60, "low": 90}
    box = Box(cfg={"admin_password": "old-admin-pw", "transmitter_id": "8G1234",
                   "alarms": {"schedule": [night, nap]}})
    try:
        status, text = box.signin("old-admin-pw")
        text = _refused_by_the_flash(box, text, {"alarms.schedule[0].on": ""})
        f = _browser_fields(text)   # (an unticked box is not posted)
        f = {k: v for k, v in f.items() if v or not k.endswith(".on")}
        status, text = _page(box.srv._save(Req("POST", "/save", f)))
        assert status == 200, (status, _errors(text))
        assert json.loads(box.stored())["alarms"]["schedule"] == [nap], box.stored()
    finally:
        box.close()
