"""app.wiring on MicroPython: link events become the alarm conditions the
engine sounds (docs/ARCHITECTURE.md events), and a part that cannot start
raises an alarm instead of leaving the box quiet. The link and the engine are
tested on their own elsewhere; this is the table between them."""
import json

import os

from apprun import run_app
from conftest import ROOT, run_micropython

PROG = r'''
import sys, json
sys.path.insert(0, HOST)
import vtime
vtime.install(0, wall_unix=1700000000)
from app import wiring, log
log.sink = lambda line: None

class App:
    def __init__(self, cfg=None, board=None):
        self.cfg = cfg or {}
        self.board = board
        self.status = {}
        self.conds = []
        self.emitted = []
        self.wifi = self.link = None
        self.listeners, self.before_reset, self.pending_starts = [], [], []
        self.sup = type("Sup", (), {"tasks": []})()
        self.engine = type("Engine", (), {"active": lambda self: []})()   # nothing restored
    def emit(self, ev):
        self.emitted.append(ev["what"])
    def condition(self, kind, name, active):
        self.conds.append([kind, name, active])
    def add_task(self, *a):
        pass

out = {}
app = App()
for ev in ({"what": "connected"}, {"what": "no_transmitter"}, {"what": "rogue"},
           {"what": "auth_failed"}, {"what": "bond_lost"}, {"what": "slot_conflict"},
           {"what": "authenticated"}, {"what": "battery_low", "active": True},
           {"what": "battery_low", "active": False}):
    del app.conds[:]
    wiring.on_link_event(app, ev)
    out[ev["what"] + ("" if "active" not in ev else "_" + str(ev["active"]))] = list(app.conds)
for name in ("expired", "bricked", "low_battery"):
    del app.conds[:]
    wiring.on_link_event(app, {"what": "battery_low", "active": True, "name": name})
    out["battery_" + name] = list(app.conds)
out["emitted"] = app.emitted
out["status_link"] = app.status["link"]
a = App()   # the first word of a boot: all is well (an alarm restored from RTC memory clears)
wiring.on_link_event(a, {"what": "battery_low", "active": False, "name": "ok"})
out["battery_first_ok"] = a.conds
for read in (True, False):   # the session's end: with the window's reading, or without
    a = App()
    a.wifi = None
    wiring.on_link_event(a, {"what": "disconnected", "read": read})
    out["disconnected_read_" + str(read)] = a.conds

def sequence(events):
    a = App()
    a.wifi = None
    steps = []
    for what in events:
        del a.conds[:]
        wiring.on_link_event(a, {"what": what})
        steps.append([what, list(a.conds)])
    return steps

# a slot conflict: every window loses the bond and bonds again in the same session
window = ["connected", "authenticated", "bond_lost", "bonded", "disconnected"]
out["conflict"] = sequence(window + ["connected", "authenticated", "bond_lost", "slot_conflict",
                                     "bonded", "disconnected"] + window)
# bonding fails: two sessions in a row end without a bond; then the stored bond holds
fail = ["connected", "authenticated", "bond_lost", "disconnected"]
out["bond_fails"] = sequence(fail + fail + ["connected", "authenticated", "bonded", "disconnected",
                                            "connected", "authenticated", "encrypted"])
# a fresh box whose transmitter never bonds: no bond_lost event at all
never = ["connected", "authenticated", "disconnected"]
out["never_bonds"] = sequence(never + never + never)

app = App({"role": "leader", "transmitter_id": ""})   # nothing to read: must say so
wiring._source(app)
out["not_configured"] = app.conds

app = App({"role": "leader"}, board=None)              # every part fails to start
wiring.add_all(app)
out["start_failures"] = app.conds
print("RESULT " + json.dumps(out))
'''


def _result(tmp_path, body=PROG):
    """body (MicroPython, with HOST = the host fakes' folder) run in a scratch
    folder (the setup part may write its key file); the JSON it prints after RESULT."""
    prog = "HOST = %r\n" % os.path.join(ROOT, "tools", "host") + body
    r = run_micropython(["-c", prog], timeout=60, cwd=str(tmp_path))
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert line, r.stdout + r.stderr
    return json.loads(line[0][7:])


def test_link_events_raise_and_clear_the_link_alarms(tmp_path):
    out = _result(tmp_path)
    assert out["connected"] == []  # routine: no alarm
    for what in ("no_transmitter", "rogue", "auth_failed"):
        assert out[what] == [["link", what, True]], (what, out[what])
    assert out["bond_lost"] == []  # judged at the end of the session (below)
    assert out["slot_conflict"] == [["link", "slot_conflict", True]]
    # authenticated: the transmitter is there and genuine; not yet read (review of session
    # 43: a session cut after it cleared no_transmitter for the rest of an absence)
    assert sorted(out["authenticated"]) == [["link", n, False] for n in ("auth_failed", "rogue")]
    assert out["disconnected_read_True"] == [["link", "no_transmitter", False]]
    assert out["disconnected_read_False"] == []
    # a slot conflict: no alarm that starts and ends within a second at every
    # window (before: bond_lost raised and cleared every 5 minutes, a beep each
    # time), but one lasting slot_conflict alarm that a re-bond does not clear
    raised = [c for _, conds in out["conflict"] for c in conds if c[2]]
    assert raised == [["link", "slot_conflict", True]], out["conflict"]
    assert ["link", "slot_conflict", False] not in [c for _, cs in out["conflict"] for c in cs]
    # bonding keeps failing: bond_lost sounds at the end of the second such session,
    # clears with a new bond; slot_conflict clears only once the stored bond holds
    steps = out["bond_fails"]
    ends = [conds for what, conds in steps if what == "disconnected"]
    assert ends[0] == [] and ends[1] == [["link", "bond_lost", True]], steps
    assert ["link", "bond_lost", False] in dict((w, c) for w, c in steps)["bonded"]
    assert ["link", "slot_conflict", False] in steps[-1][1]
    # a box that never bonds says so after two sessions, not only through no_data
    ends = [conds for what, conds in out["never_bonds"] if what == "disconnected"]
    assert ends[0] == [] and ends[1] == [["link", "bond_lost", True]], out["never_bonds"]
    assert out["battery_low_True"] == [["transmitter_battery", "battery_low", True],
                                       ["transmitter_battery", "tx_expired", False]]
    # an "ok" after a warning of this run holds it (review helper-193: a sagging cell
    # re-sounded it at each return); the first word of a boot clears a restored one
    assert out["battery_low_False"] == []
    assert out["battery_first_ok"] == [["transmitter_battery", "battery_low", False],
                                       ["transmitter_battery", "tx_expired", False]]
    # a transmitter past its end is not one with a low battery (the screen said "battery
    # low", as if it had days left): its own reason, set before the other is cleared
    for name in ("expired", "bricked"):
        assert out["battery_" + name] == [["transmitter_battery", "tx_expired", True],
                                          ["transmitter_battery", "battery_low", False]], out
    assert out["battery_low_battery"] == out["battery_low_True"]
    assert out["emitted"][:3] == ["connected", "no_transmitter", "rogue"]  # every event passed on
    assert out["status_link"] == "authenticated"   # the link's last state: battery news is not one


def test_no_transmitter_id_or_a_part_that_cannot_start_sounds(tmp_path):
    out = _result(tmp_path)
    # (after clearing the reasons of the parts that do not run: see the test below)
    assert [c for c in out["not_configured"] if c[2]] == [["link", "not_configured", True]]
    assert ["link", "not_configured", False] not in out["not_configured"]  # no re-onset
    starts = [c for c in out["start_failures"] if c[0] == "device"]
    assert ["device", "start_buttons", True] in starts, out["start_failures"]


RESTART = r'''
import sys, json, os
sys.path.insert(0, HOST)
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio
from app import wiring, log
lines = []
log.sink = lines.append

class Silent:   # the annunciator, nothing sounding
    def pause_in_ms(self, need_ms):
        return 0

    def pause_fits(self, need_ms):
        return True

class Rtc:   # the fields of app.persist.RtcStore that wiring uses: no kept addresses
    names, names_of, held, held_of, held_lost = (), None, b"", None, 0

class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.listeners, self.before_reset, self.tasks = [], [], []
        self.link = self.wifi = None
        self.reserve = bytearray(12288)   # as main.App makes it first thing at boot
        self.ann = Silent()
        self.rtc = Rtc()
    def emit(self, ev):
        pass
    def condition(self, kind, name, active):
        pass
    def time_notice(self, reason):   # main.App's, for forward.timesync
        pass
    def add_task(self, *a, **k):
        self.tasks.append(a[0])

out = {}
app = App({"wifi": [{"ssid": "home", "password": "secret12"}],
           "nightscout": {"url": "http://127.0.0.1:9", "api_secret": "0123456789abcdef",
                          "allow_http": True}})
wiring._forwarding(app)
out["reserve_freed"] = app.reserve is None
import reading
for i in range(3):   # three readings wait for an unreachable server
    ev = reading.as_event(reading.make(1000 + 300 * i, 1700000000 + 300 * i, 100 + i, 0, 6))
    for fn in app.listeners:
        fn(ev)
def broken():
    raise OSError(28)   # ENOSPC: the flash is full
app.before_reset.insert(0, broken)
wiring._restart_soon(app)
async def main():
    await asyncio.sleep(10)
try:
    asyncio.run(main())
    out["reset"] = False
except SystemExit:
    out["reset"] = True
out["queue_file"] = os.stat("nsqueue.bin")[6] if "nsqueue.bin" in os.listdir() else 0
out["logged"] = [ln for ln in lines if "before restart" in ln]
print("RESULT " + json.dumps(out))
'''


def test_a_settings_restart_writes_the_upload_queue_first(tmp_path):
    """New settings restart the box; readings still waiting for Nightscout are
    written to flash first (they are read back at boot), and a hook that fails
    (full flash) is logged and does not stop the restart."""
    out = _result(tmp_path, RESTART)
    assert out["reset"] is True
    assert out["queue_file"] > 0, out
    assert out["logged"], out
    # the block main.App reserved at boot was given to forwarding's large buffers
    # (on a heap fragmented by boot, the memory bench's code + 90 KB, they found
    # no 7.2 KB piece and forwarding stayed off all day)
    assert out["reserve_freed"], out


ROLES = r'''
import sys, json
sys.path.insert(0, HOST)
import vtime
vtime.install(0, wall_unix=1700000000)
from app import wiring, log
log.sink = lambda line: None
from alarms import settings
from alarms.engine import AlarmEngine

class FakeLink:   # the BLE link is not what this checks (it needs the radio)
    def __init__(self, cfg, on_reading, on_event):
        pass
    async def run(self):
        pass
    def status(self):
        return {}
import link.core   # the package and its module, then the stand-in in its place
link.core.Link = FakeLink

class App:
    def __init__(self, cfg, saved):
        self.cfg, self.status, self.board = cfg, {}, None
        self.wifi = self.link = self.timesync = None
        self.rtc = type("R", (), {"last_dex": 0, "hole": None})()
        self.engine = AlarmEngine(settings.validate({}))
        self.engine.restore(saved, 0)       # what RTC memory kept through the reset
    def condition(self, kind, name, active):
        self.engine.set_condition(kind, name, active, 1)
    def on_reading(self, r):
        pass
    def add_task(self, *a):
        pass

def saved_with(*names, kind="link"):
    eng = AlarmEngine(settings.validate({}))
    for name in names:
        eng.set_condition(kind, name, True, 0)
    return eng.save()

def link_alarm(cfg, names, kind="link"):
    app = App(cfg, saved_with(*names, kind=kind))
    wiring._source(app)
    return [(a["reason"], a["status"]) for a in app.engine.active() if a["type"] == kind]

follower = {"role": "follower", "follow": {"url": "http://leader.local:17580"}}
leader = {"role": "leader", "transmitter_id": "8G1234"}
out = {}
for name in ("bond_lost", "slot_conflict", "no_transmitter", "not_configured"):
    out["follower_" + name] = link_alarm(follower, [name])
out["leader_not_configured"] = link_alarm(leader, ["not_configured"])
out["leader_leader_silent"] = link_alarm(leader, ["leader_silent"])
out["leader_slot_conflict"] = link_alarm(leader, ["slot_conflict"])  # the link clears it
out["none_bond_lost"] = link_alarm({"role": "leader", "transmitter_id": ""}, ["bond_lost"])
out["follower_leader_silent"] = link_alarm(follower, ["leader_silent"])  # the follower judges it
# the transmitter's own news (its sensor, its battery): only a box that reads it clears them
for kind, name in (("sensor", "expired"), ("sensor", "warmup"), ("sensor", "attention"),
                   ("transmitter_battery", "battery_low")):
    out["follower_" + name] = link_alarm(follower, [name], kind)
    out["none_" + name] = link_alarm({"role": "leader", "transmitter_id": ""}, [name], kind)
    out["leader_" + name] = link_alarm(leader, [name], kind)
# the no_data grace: the engine's own beside a transmitter, a poll and a request longer
# beside a leader polled every poll_s
graces = {}
for role, cfg in (("leader", leader), ("follower", follower),
                  ("follower_slow", {"role": "follower", "follow": {"url": "http://l:17580", "poll_s": 120}})):
    app = App(cfg, saved_with())
    wiring._source(app)
    graces[role] = app.engine.no_data_grace_s
out["graces"] = graces
print("RESULT " + json.dumps(out))
'''


def test_a_restored_link_alarm_of_another_role_clears_at_boot(tmp_path):
    """The alarm state survives a reset in RTC memory; the settings page
    restarts the box. A link alarm of a part that no longer runs must not
    sound for ever: a box made a follower (or left without a transmitter ID)
    runs no BLE link to clear bond_lost or slot_conflict, and a transmitter
    ID typed in after not_configured sounded never clears not_configured.
    Reasons the running part judges itself stay until it does; the transmitter's
    sensor and battery news go with the link."""
    out = _result(tmp_path, ROLES)
    for name in ("bond_lost", "slot_conflict", "no_transmitter", "not_configured"):
        assert out["follower_" + name] == [], (name, out)
    assert out["leader_not_configured"] == [], out
    assert out["leader_leader_silent"] == [], out
    assert out["none_bond_lost"] == [["not_configured", "sounding"]], out
    assert out["leader_slot_conflict"] == [["slot_conflict", "sounding"]], out
    assert out["follower_leader_silent"] == [["leader_silent", "sounding"]], out
    # a sensor or transmitter-battery alarm restored into a box that reads no transmitter
    # any more (made a follower, its ID cleared) had nothing to clear it: it sounded, or
    # stayed on the screen, for ever (helper-149); a leader's link clears its own
    for name in ("expired", "warmup", "attention", "battery_low"):
        assert out["follower_" + name] == [] and out["none_" + name] == [], (name, out)
        assert out["leader_" + name] == [[name, "sounding"]], (name, out)


def test_a_follower_box_gives_the_reading_due_at_the_no_data_mark_a_poll_longer(tmp_path):
    """review 22: a reading reaches a follower box up to a poll (60 s) and a request
    (15 s) after the leader has it; with the 60-s grace alone the reading due at the
    no_data mark still lost the race, and no_data played a burst and cleared."""
    g = _result(tmp_path, ROLES)["graces"]
    assert g["leader"] == 60, g
    assert g["follower"] == 60 + 60 + 15 and g["follower_slow"] == 60 + 120 + 15, g


NEW_TX_PROG = r'''
import sys, json
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import asyncio, machine, main, reading, clock
from app import log, persist, wiring
log.sink = lambda line: None
app = main.App(CFG, boards_dirs=(BOARDS,))
app.setup_port = app.dns_port = None
OLD = 90 * 86400   # the old transmitter, 90 days in


async def scenario():
    asyncio.create_task(app.start())
    await asyncio.sleep(10)
    app.on_reading(reading.make(OLD, clock.unix(), 120, 0, 6))
    await asyncio.sleep(300)
    out = {"before": app.rtc.last_dex}
    # the settings restart brought a new transmitter ID; its clock starts near 0
    wiring.on_link_event(app, {"event": "link", "what": "tx_clock", "detail": "new"})
    for i in range(3):
        app.on_reading(reading.make(3000 + 300 * i, clock.unix(), 130, 0, 6))
        await asyncio.sleep(300)
    out["after"] = app.rtc.last_dex
    again = persist.RtcStore(machine.RTC())   # what the next boot (a reset) reads
    again.load()
    out["next_boot"] = again.last_dex
    print("RESULT " + json.dumps(out))
    sys.exit(0)

asyncio.run(scenario())
'''


def test_after_a_new_transmitter_a_reset_resumes_on_its_clock_not_the_old_ones(tmp_path):
    # RTC memory kept the newest dex time only ever growing: after a new
    # transmitter (clock behind) it kept the old one's, so every reset until the
    # new clock passed it (days to months) met tx_clock again, forgot the seen
    # readings and backfilled 3 h already delivered (the app judged them again, the
    # history and LAN API held them twice); a hole saved meanwhile was dropped with them
    out = run_app(tmp_path, {"transmitter_id": "8G1234", "board": "esp32-devkitc",
                             "lan_api": {"enabled": False}}, NEW_TX_PROG)
    assert out["before"] == 90 * 86400, out
    assert out["after"] == out["next_boot"] == 3600, out


SHARED_PROG = r'''
import sys, json
sys.path.insert(0, HOST)
import vtime
vtime.install(0, wall_unix=1700000000)
from app import wiring, log
log.sink = lambda line: None

class Point:
    def __init__(self, is_open):
        self.open = is_open
    def is_open(self):
        return self.open

class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.board = None
        self.status = {}
        self.wifi = self.link = self.setup_ap = None
        self.rtc = type("Rtc", (), {"last_dex": 0, "hole": None})()
        self.listeners, self.before_reset, self.pending_starts = [], [], []
        self.sup = type("Sup", (), {"tasks": [], "add": lambda *a, **k: None})()
    def emit(self, ev):
        pass
    def condition(self, kind, name, active):
        pass
    def add_task(self, *a):
        pass
    def on_reading(self, r):
        pass

app = App({"role": "leader", "transmitter_id": "8G1234"})
wiring._source(app)
shared = app.link.cfg["radio_shared"]
out = {"nothing_open": shared()}
app.setup_ap = Point(False)
out["ap_closed"] = shared()
app.setup_ap.open = True
out["ap_open"] = shared()
app.setup_ap.open = False
app.wifi = object()
out["wifi"] = shared()
print("RESULT " + json.dumps(out))
'''


def test_the_link_knows_when_wi_fi_shares_the_radio(tmp_path):
    # the link scans blind continuously only while no Wi-Fi (forwarding, or the
    # setup access point) needs the radio; beside Wi-Fi at a duty Wi-Fi survives
    out = _result(tmp_path, SHARED_PROG)
    assert out == {"nothing_open": False, "ap_closed": False, "ap_open": True, "wifi": True}, out


PHONE = r'''
import sys, json
sys.path.insert(0, HOST)
import vtime
vtime.install(0)
vtime.set_wall(0)              # a box without Wi-Fi after a power cut: no time of day
import clock
from app import wiring, log
log.sink = lambda line: None
app = type("App", (), {"timesync": None})()
out = [clock.wall_valid()]
for t in (1780000000, 1780000030, 1780000100):
    out.append([wiring.clock_from_phone(app, t), clock.unix()])
app.timesync = type("Ts", (), {"source": "ntp", "disputed": lambda self: False})()   # NTP set it: no phone steps it
out.append([wiring.clock_from_phone(app, 1790000000), clock.unix()])
print("RESULT " + json.dumps(out))
'''


def test_the_phones_clock_sets_a_box_without_network_time(tmp_path):
    assert _result(tmp_path, PHONE) == [False, [True, 1780000000], [False, 1780000000],
                                       [True, 1780000100], [False, 1780000100]]


def test_the_link_starts_without_the_transmitters_clock_if_its_module_fails(tmp_path):
    # review17: the import of app.txclock sat outside the guard that keeps the
    # transmitter's clock (a help for the time of day) from stopping the link's start
    body = SHARED_PROG.split("app = App(")[0] + '''
sys.modules["app.txclock"] = None      # its import fails (ImportError)
app = App({"role": "leader", "transmitter_id": "8G1234"})
wiring._source(app)
print("RESULT " + json.dumps([app.link is not None, app.link.cfg["on_time"] is None]))
'''
    assert _result(tmp_path, body) == [True, True]



SWAP_PROG = r"""
import sys, json, struct
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import asyncio, machine, main
from app import log, persist
log.sink = lambda line: None
OLD = 90 * 86400   # the newest reading kept before the settings restart, 90 days in
HOLE = (OLD - 3000, OLD - 1200)
if KEPT_ID is None:   # written by firmware before the record kept the ID: version 4, by hand
    head = b"CG" + struct.pack("<BBIHIII", 4, 1, OLD, 0, 0, HOLE[0], HOLE[1])
    s = 0
    for b in head:
        s = (s * 31 + b) & 0xFFFF
    machine.RTC().memory(head + struct.pack("<H", s))
else:
    kept = persist.RtcStore(machine.RTC())
    kept.load()
    kept.tx_id, kept.hole = KEPT_ID, HOLE
    kept.save(b"", OLD)
app = main.App(CFG, boards_dirs=(BOARDS,))
app.setup_port = app.dns_port = None

async def scenario():
    asyncio.create_task(app.start())
    await asyncio.sleep(10)
    again = persist.RtcStore(machine.RTC())   # what the next boot (a reset) reads
    again.load()
    print("RESULT " + json.dumps({"resume": app.link.status()["last_dex_s"], "hole": app.link.missing(),
                                  "next_boot": [again.last_dex, again.hole, getattr(again, "tx_id", None)]}))
    sys.exit(0)

asyncio.run(scenario())
"""


def _boot_after_settings_restart(tmp_path, kept_id):
    return run_app(tmp_path, {"transmitter_id": "8g1234", "board": "esp32-devkitc",
                              "lan_api": {"enabled": False}}, SWAP_PROG, KEPT_ID=kept_id)


def test_a_settings_restart_onto_another_transmitter_does_not_resume_on_the_old_ones_clock(tmp_path):
    # chaos seed 1061: RTC memory kept the old transmitter's newest dex time across the restart
    # that brought the new ID. The new one's clock was ahead of it (the old one's had restarted
    # shortly before), so the link took it for the same transmitter, never met tx_clock, and
    # backfilled nothing older than that reading: the new one's windows before the switch
    # never reached Nightscout. The record now keeps whose time it is.
    out = _boot_after_settings_restart(tmp_path, "8OLD01")
    assert out["resume"] is None and out["hole"] is None, out
    assert out["next_boot"] == [0, None, "8G1234"], out


def test_the_same_transmitter_resumes_where_it_was_and_so_does_a_record_from_before_the_id(tmp_path):
    for kept in ("8G1234", None):
        out = _boot_after_settings_restart(tmp_path, kept)
        assert out["resume"] == 90 * 86400 and out["hole"] == [90 * 86400 - 3000, 90 * 86400 - 1200], (kept, out)
        assert out["next_boot"] == [90 * 86400, [90 * 86400 - 3000, 90 * 86400 - 1200], "8G1234"], (kept, out)
