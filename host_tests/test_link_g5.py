"""The link against the reply paths real transmitters use on the
authentication characteristic (docs/LINK_AUDIT.md, "G5 replies by read"):
a G5 answers by its readable value (CGMBLEKit and xdrip-js write, then read;
its authentication characteristic is read/write/indicate, xdrip-js issue
#11), a G6 by read and indication, a Firefly by indication only (a read
returns the request, xdrip-js issue #124). The link subscribes with what a
characteristic offers, takes the reply from that queue and reads the
characteristic when nothing came within read_after_ms, accepting a read
value only when it carries the expected opcode."""
import json

from conftest import run_micropython, tmp_file
from test_link_session import sim as link_sim

G5_ID = "40A5C5"   # G5 serial numbers start with 4


def sim(*args, minutes=30):
    s = link_sim(*args, minutes=minutes, tag="link_g5")
    assert s["n_wrong"] == 0 and s["duplicates"] == 0, s["wrong"]   # no false reading
    return s


def test_a_g5_authenticates_bonds_reads_and_backfills():
    # Three windows missed, then a G5 that answers authentication only by
    # read: before the read-back the link timed out at AuthRequest every
    # session and never got a reading ("timeout", capture 0).
    s = sim("--tx", G5_ID, "--script", "0:g5,miss;16:g5", "--events", minutes=40)
    w = s["what"]
    assert w.get("authenticated", 0) >= 4 and w["bonded"] == 1, w
    assert "rogue" not in w and "auth_failed" not in w and "error" not in w, w
    assert s["live"] >= 4 and s["backfill"] == 3 and s["capture_rate"] == 1.0, s
    assert s["status"]["battery"] is not None and s["status"]["bad_replies"] == 0, s["status"]
    reasons = [e.get("reason") for e in s["events"] if e["what"] == "disconnected"]
    assert reasons and all(r == "done" for r in reasons), reasons


def test_a_g5_with_slow_replies_is_read_again_until_the_reply_is_there():
    # The reply lands 1.2 s after the request: the reads at 0.5 and 1 s
    # return our own request (the value we wrote), which is not a reply.
    s = sim("--tx", G5_ID, "--faults", "g5,slow", "--events", minutes=20)
    assert s["live"] >= 3 and s["capture_rate"] == 1.0, s
    assert s["status"]["bad_replies"] == 0, s["status"]
    assert s["what"]["bonded"] == 1 and s["what"]["authenticated"] == s["what"]["connected"], s["what"]


PROG = r'''
import sys
sys.path[:0] = ["tools/host", "tools"]
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio, json, os, bluetooth, vtx
try:
    os.remove(BOND)
except OSError:
    pass
dev = vtx.start("../shared/traces/adult_001.csv", transmitter_id=TID, faults=FAULTS, seed=1)
ble = bluetooth.BLE()          # the firmware's controller (aioble binds to it)
reads, cccd = [], []
_read, _write = ble.gattc_read, ble.gattc_write
def gattc_read(h, vh):
    reads.append(vh)
    return _read(h, vh)
def gattc_write(h, vh, data, mode=0):
    if vh in (dev.h_auth + 1, dev.h_control + 1):     # the CCCD after the value
        cccd.append(["auth" if vh == dev.h_auth + 1 else "control", bytes(data).hex()])
    return _write(h, vh, data, mode)
ble.gattc_read, ble.gattc_write = gattc_read, gattc_write
if DENY_READ:   # the transmitter refuses to read authentication: ATT "read not permitted"
    _irq = dev._irq
    def irq(event, data):
        if event == 4 and data[1] == dev.h_auth:     # _IRQ_GATTS_READ_REQUEST
            return 0x02
        return _irq(event, data)
    dev.ble.irq(irq)
from link.core import Link
got, what = [], []
def on_event(e):
    what.append(e["what"] if e.get("reason", "done") == "done" else "!" + e["reason"])
async def main(minutes):
    lk = Link({"transmitter_id": TID, "slot": 1, "bond_path": BOND},
              got.append, on_event)
    t = asyncio.create_task(lk.run())
    await asyncio.sleep_ms(minutes * 60000)
    t.cancel()
    return lk
lk = asyncio.run(main(16))
print("OUT " + json.dumps({"what": what, "live": sum(1 for r in got if r[5] == "live"),
                           "reads": len(reads), "auth_reads": reads.count(dev.h_auth),
                           "cccd": cccd, "bad": lk.bad_replies, "sessions": lk.sessions}))
'''


def prog(tid, faults, deny_read=False):
    head = "TID = %r\nFAULTS = %r\nDENY_READ = %r\nBOND = %r\n" % (tid, faults, deny_read,
                                                                 tmp_file("test_link_g5_prog.json"))
    r = run_micropython(["-c", head + PROG], heap="8M", timeout=120)
    line = [l for l in r.stdout.splitlines() if l.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    return json.loads(line[-1][4:])


def test_the_g5_is_subscribed_with_indications_and_read_back():
    out = prog(G5_ID, "g5")
    assert out["live"] >= 3 and out["bad"] == 0, out
    # indications (0x0002) on both, as the G5's properties offer
    assert ["auth", "0200"] in out["cccd"] and ["control", "0200"] in out["cccd"], out["cccd"]
    assert out["auth_reads"] >= 2 * out["live"], out          # AuthChallenge and AuthStatus
    assert out["reads"] == out["auth_reads"], out             # control is never read


def test_a_g6_that_indicates_is_not_read():
    out = prog("8G1234", "")
    assert out["live"] >= 3 and out["reads"] == 0 and out["bad"] == 0, out
    assert ["auth", "0200"] in out["cccd"], out["cccd"]


def test_a_firefly_read_that_returns_the_request_is_not_taken_for_the_reply():
    # Firefly replies come late (slow: 1.2 s): the link reads at 0.5 and 1 s,
    # gets back its own request (01 ..., 04 ...) and keeps waiting for the
    # indication instead of taking the request for a malformed reply.
    out = prog("8G1234", "firefly,slow")
    assert out["auth_reads"] >= 2 and out["live"] >= 3, out
    assert out["bad"] == 0 and not [w for w in out["what"] if w.startswith("!")], out


def test_an_authentication_characteristic_that_notifies_is_subscribed_for_notifications():
    out = prog("8G1234", "auth_notify")
    assert ["auth", "0100"] in out["cccd"] and ["control", "0200"] in out["cccd"], out["cccd"]
    assert out["live"] >= 3 and out["reads"] == 0 and out["bad"] == 0, out


def test_a_refused_read_is_not_tried_again_and_the_indication_is_awaited():
    # xDrip issue #1279: a Firefly (8G) refuses reads of authentication. The
    # refusal (an ATT error, aioble.GattError) ends the reading for that
    # session; the reply comes by indication.
    out = prog("8G1234", "firefly,slow", deny_read=True)
    assert out["live"] >= 3 and out["bad"] == 0, out
    assert out["auth_reads"] == out["sessions"], out          # one refused read per session
    assert not [w for w in out["what"] if w.startswith("!")], out["what"]


def test_a_late_indication_after_a_read_reply_is_not_taken_for_the_next_reply():
    # A slow G6 (value and indication 1.2 s late): a read gets the reply
    # first, its indication lands afterwards in aioble's one-entry queue. It
    # is dropped before the next request; taken as that request's reply it
    # was counted malformed and the request sent again (bad 3 in 3 sessions).
    out = prog("8G1234", "slow")
    assert out["auth_reads"] >= out["sessions"] and out["live"] >= 3, out
    assert out["bad"] == 0, out


DRAIN_PROG = r'''
import sys
sys.path[:0] = ["tools/host", "tools"]
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio, json, bluetooth
from collections import deque
from aioble.client import ClientCharacteristic
from aioble.device import DeviceTimeout
from link import core

class Flag(asyncio.ThreadSafeFlag):
    """aioble's flag; irq() runs just before clear(), as a BLE IRQ can (on the
    ESP32 the NimBLE task runs the handler between any two bytecodes)."""
    irq = None
    def clear(self):
        if self.irq is not None:
            fn, self.irq = self.irq, None
            fn()
        super().clear()

class Conn:
    def timeout(self, ms):
        return DeviceTimeout(None, ms)

class Char(ClientCharacteristic):   # aioble's queue logic, no radio
    def __init__(self):
        self.properties = 0x22      # read, indicate
        self._indicate_event = Flag()
        self._indicate_queue = deque((), 1)
        self.link_via = core._VIA_INDICATE
    def _register_with_connection(self):
        pass
    def _connection(self):
        return Conn()

def irq(ch, data):                  # what ClientCharacteristic._on_indicate does
    ch._on_notify_indicate(ch._indicate_queue, ch._indicate_event, data)

async def next_value(ch):
    try:
        return bytes(await ch.indicated(timeout_ms=200)).hex()
    except asyncio.TimeoutError:
        return "timeout"

async def main():
    out = {}
    # a late reply queued, and another lands while _drain runs
    ch = Char()
    irq(ch, b"\x03late")
    ch._indicate_event.irq = lambda: irq(ch, b"\x05later")
    core._drain(ch)
    irq(ch, b"\x25")                # the reply to the next request
    out["race"] = await next_value(ch)
    # nothing racing: nothing left, and no flag set over an empty queue
    ch = Char()
    irq(ch, b"\x03late")
    core._drain(ch)
    out["empty"] = await next_value(ch)
    irq(ch, b"\x31")
    out["after"] = await next_value(ch)
    return out

print("OUT " + json.dumps(asyncio.run(main())))
'''


def test_a_value_arriving_while_the_queue_is_drained_does_not_hide_the_next_reply():
    # aioble sets the flag only when its queue goes from empty to one entry.
    # An indication landing between _drain's last popleft and its flag.clear()
    # left one entry behind a cleared flag: every later value replaced it
    # without setting the flag, so no reply on that characteristic was seen
    # for the rest of the session (the control characteristic: a lost window).
    r = run_micropython(["-c", DRAIN_PROG], heap="8M", timeout=60)
    line = [l for l in r.stdout.splitlines() if l.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    out = json.loads(line[-1][4:])
    assert out["race"] == "25", out
    assert out["empty"] == "timeout" and out["after"] == "31", out
