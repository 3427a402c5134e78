"""The virtual transmitter's protocol core, checked against the firmware
codec (written independently: each catches the other's mistakes)."""
import pytest
from conftest import run_micropython

CORE = r'''
import sys
sys.path[:0] = ["tools", "tools/host"]
from vtx import trace, transmitter, faults
from dexcom import auth, build, replies, messages, backfill
vals = trace.load("../shared/traces/adult_001.csv")
TID = "8G1234"
def connect(tx, peer=b"peer01", slot=1, tid=TID, encrypted=False):
    c = transmitter.Conn(peer)
    c.encrypted = encrypted    # the link encrypted with stored keys before authenticating
    tok = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    ch = replies.parse_auth_challenge(tx.on_auth_write(c, build.auth_request(tok, slot), 0)[-1][2])
    ok = auth.token_hash_ok(tid, tok, ch["token_hash"])
    st = replies.parse_auth_status(tx.on_auth_write(c, build.auth_challenge(auth.hash8(tid, ch["challenge"])), 0)[-1][2])
    return c, ok, st
'''


def mp(body):
    r = run_micropython(["-c", CORE + body], timeout=60)
    return r.stdout


def test_auth_bond_and_every_control_reply_parse_with_the_codec():
    out = mp(r'''
tx = transmitter.Transmitter(vals, TID, "", seed=3)
c, ok, st = connect(tx)
assert ok and st["is_authenticated"] and st["needs_bond"], st
assert tx.on_auth_write(c, build.bond_request(), 0) == [("pair", None, None)]
c.encrypted = True
tx.on_bonded(c)
c2, ok, st = connect(tx)
assert st["bonded"] == 2, st     # "bonded" only on a link encrypted with the bond (review 25)
c2, ok, st = connect(tx, encrypted=True)
assert st["bonded"] == 1, st
c2, ok, st = connect(tx, peer=b"peer02", encrypted=True)
assert st["bonded"] == 2, st     # another reader's encrypted link: not its bond
tx.set_faults("bonded_unencrypted")
c2, ok, st = connect(tx)
assert st["bonded"] == 1, st     # the old model: the bond record alone
tx.set_faults("")
now = 7200 * 10**6
for cmd in (build.transmitter_time(), build.glucose(), build.eglucose(), build.sensor(), build.battery(),
            build.version(0), build.version(1), build.version(2), build.calibration_data()):
    acts = tx.on_control_write(c, cmd, now)
    assert len(acts) == 1 and acts[0][:2] == ("indicate", "control"), acts
    d = messages.parse(acts[0][2])
    assert d["crc_valid"] and d["opcode"] == cmd[0] + 1, d
k = tx.current_window(now)
g = messages.parse(tx.on_control_write(c, build.glucose(), now)[0][2])
assert g["timestamp_dex_s"] == tx.window_dex(k) and g["glucose_mgdl"] == vals[k] and g["usable"], g
acts = tx.on_control_write(c, build.backfill(tx.window_dex(0), tx.window_dex(11)), now)
bf = backfill.Backfill(tx.window_dex(0), tx.window_dex(11))
for kind, ch, data in acts:
    assert len(data) <= 20
    bf.add_frame(data) if ch == "backfill" else bf.add_reply(data)
rs = bf.readings(0)
assert [r[0] for r in rs] == [tx.window_dex(i) for i in range(12)], rs
assert [r[2] for r in rs] == vals[:12]
assert tx.on_control_write(c, b"\x09", now)[0][0] == "disconnect"
print("OK")
''')
    assert "OK" in out


def test_wrong_client_key_rejected_and_rogue_fails_the_token_hash():
    out = mp(r'''
tx = transmitter.Transmitter(vals, TID, "", seed=3)
c, ok, st = connect(tx, tid="8H1234")   # same last two characters, wrong ID
assert not ok and not st["is_authenticated"], st
tx.set_faults("rogue")
c, ok, st = connect(tx)
assert not ok and not st["is_authenticated"], st
c.encrypted = True
assert tx.on_control_write(c, build.glucose(), 0)[0][0] == "disconnect"  # never data without auth
print("OK")
''')
    assert "OK" in out


def test_fault_modes_change_the_bytes():
    out = mp(r'''
now = 7200 * 10**6
tx = transmitter.Transmitter(vals, TID, "firefly,battery_low,warmup", seed=3)
c, ok, st = connect(tx)
acts = tx.on_auth_write(c, build.auth_request(b"12345678", 1), 0)
assert [a[0] for a in acts] == ["indicate"]          # Firefly: no read-back
c, ok, st = connect(tx); c.encrypted = True
assert len(tx.on_control_write(c, build.sensor(), now)[0][2]) == 8
b = tx.on_control_write(c, build.battery(), now)[0][2]
assert len(b) == 10 and b[1] == 0x81
g = messages.parse(tx.on_control_write(c, build.glucose(), now)[0][2])
assert g["state"] == 2 and not g["usable"]
tx.set_faults("crc"); tx.wake(5)
bad = 0
for i in range(4):
    try:
        messages.parse(tx.on_control_write(c, build.transmitter_time(), now)[0][2])
    except Exception:
        bad += 1
assert bad == 1, bad
tx.set_faults("miss"); assert tx.wake(6) is None
tx.set_faults("cut"); tx.wake(7)
c = transmitter.Conn(b"x")
steps = [tx.on_auth_write(c, b"\x06\x19", 0) for i in range(7)]
assert sum(1 for s in steps if s and s[0][0] == "disconnect") == 1
try:
    faults.parse("nonsense")
    raise SystemExit("no error")
except faults.FaultError:
    pass
print("OK")
''')
    assert "OK" in out
