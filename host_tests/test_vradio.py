"""aioble on the virtual radio, in one process: the firmware's aioble (on
bluetooth.BLE()) against a peripheral that is a second aioble copy on an extra
controller (vradio.load_aioble); pairing and bonding through aioble's own
secret store, encrypted characteristics refused before pairing, indications,
and the bond surviving a restart (second process, same secrets file)."""
import json
import os

from conftest import ROOT, run_micropython

SCRIPT = r'''
import sys
sys.path.insert(0, "%(host)s")
import vtime
vtime.install(0)
import vradio
vradio.install()
import asyncio, bluetooth, aioble
from aioble import security
security.load_secrets("central_secrets.json")
phase = sys.argv[1]
out = {}
peer_ctrl = vradio.Controller(vradio.default_air(), name="Periph")
peer = vradio.load_aioble(peer_ctrl, "aioble_peer")   # copied to a folder of its own in $TMPDIR
out["peer_from"] = peer.__file__
import aioble_peer.security as psec
psec.load_secrets("peer_secrets.json")
SVC = bluetooth.UUID(0xFEBC)
ENC = bluetooth.UUID(0x2A1C)
IND = bluetooth.UUID(0x2A1D)
svc = peer.Service(SVC)
enc = peer.Characteristic(svc, ENC, read=True, write=True, initial=b"secret")
enc.flags |= bluetooth.FLAG_READ_ENCRYPTED | bluetooth.FLAG_WRITE_ENCRYPTED
ind = peer.Characteristic(svc, IND, read=True, indicate=True)
peer.register_services(svc)
peer_ctrl.config(bond=True)

async def peripheral():
    conn = await peer.advertise(100000, name="Periph", services=[SVC])
    await enc.written(timeout_ms=10000)
    out["peer_written"] = enc.read().decode()
    await ind.indicate(conn, b"ind", timeout_ms=2000)
    out["indicated_ok"] = True
    await conn.disconnected(timeout_ms=10000)

async def central():
    async with aioble.scan(5000, 30000, 30000, active=True) as scanner:
        async for r in scanner:
            if SVC in list(r.services()):
                dev = r.device
                break
    conn = await dev.connect(timeout_ms=5000)
    s = await conn.service(SVC)
    c = await s.characteristic(ENC)
    i = await s.characteristic(IND)
    try:
        await c.read()
        out["read_before_pair"] = "ok"
    except aioble.GattError as e:
        out["read_before_pair"] = e._status
    t0 = vtime.monotonic_us()
    await conn.pair(bond=True)
    out["pair_ms"] = (vtime.monotonic_us() - t0) // 1000
    out["state"] = [conn.encrypted, conn.authenticated, conn.bonded, conn.key_size]
    out["read_after_pair"] = (await c.read()).decode()
    await i.subscribe(notify=False, indicate=True)
    await c.write(b"hello", response=True)
    out["indication"] = (await i.indicated(timeout_ms=2000)).decode()
    await asyncio.sleep_ms(100)
    await conn.disconnect()

async def main():
    p = asyncio.create_task(peripheral())
    await central()
    await p
    await asyncio.sleep_ms(100)

asyncio.run(main())
out["irq_errors"] = vradio.default_air().irq_errors
print("RESULT " + __import__("json").dumps(out))
'''


def _run(tmp_path, phase):
    script = tmp_path / "case.py"
    script.write_text(SCRIPT % {"host": os.path.join(ROOT, "tools", "host")})
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    r = run_micropython([str(script), phase], cwd=str(tmp_path), timeout=60, env={"TMPDIR": str(scratch)})
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert line, r.stdout + r.stderr
    out = json.loads(line[0][7:])
    # the peer's aioble copy: in a folder of this run's own (a fixed /tmp/vradio_aioble was
    # rewritten by two runs at once while the other imported it), removed once imported
    assert out["peer_from"].startswith(str(scratch) + "/vradio_aioble-"), out["peer_from"]
    assert list(scratch.iterdir()) == [], list(scratch.iterdir())
    return out


def test_aioble_pairs_bonds_and_reencrypts_after_restart(tmp_path):
    first = _run(tmp_path, "first")
    assert first["read_before_pair"] == 0x105, first  # insufficient authentication
    assert first["state"] == [True, False, True, 16], first
    assert first["read_after_pair"] == "secret" and first["peer_written"] == "hello", first
    assert first["indication"] == "ind" and first["indicated_ok"], first
    assert first["irq_errors"] == 0, first
    for name in ("central_secrets.json", "peer_secrets.json"):
        # our + peer key, and our own IRK (stored by the binding at ble.active(True), as on
        # the ESP32: modbluetooth_nimble.c load_irk)
        types = sorted(e[0] for e in json.loads((tmp_path / name).read_text()))
        assert types == [1, 2, 10], (name, types)
    again = _run(tmp_path, "again")  # new processes, the bonds from the files
    assert again["read_before_pair"] == 0x10F, again  # insufficient encryption: bonded peer
    assert again["state"] == [True, False, True, 16], again
    assert again["pair_ms"] < first["pair_ms"], (again, first)  # re-encryption, not pairing
