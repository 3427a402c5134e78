"""The codec within the board's budget: on the MicroPython unix port with a
64 KiB heap (64-bit objects, so about twice the ESP32's sizes), import what
the link needs and run a whole cycle: auth, time, glucose, a 3-hour backfill."""
import json

from conftest import run_micropython

SCRIPT = r"""
import gc, json, struct
gc.collect()
base = gc.mem_alloc()
import reading
from dexcom import auth, backfill, build, crc, glucose, protocol, replies
gc.collect()
after_import = gc.mem_alloc() - base
tok = auth.random_token()
req = build.auth_request(tok, protocol.SLOT_ALTERNATE)
th = auth.hash8("8G1234", tok)
ch = replies.parse_auth_challenge(b"\x03" + th + bytes(8))
assert auth.token_hash_ok("8G1234", tok, ch["token_hash"])
build.auth_challenge(auth.hash8("8G1234", ch["challenge"]))
t = replies.parse_time(bytes.fromhex("2500470272007cff710001000000fa1d"))
act = glucose.activation_unix(t, 1700000000)
r = glucose.glucose_reading(bytes.fromhex("3100680a00008a715700cc0006ffc42a"), act)
assert r[2] == 204
payload = bytearray(b"\x01\x02\x00\x00")
t0 = 7000000
for i in range(36):
    payload += struct.pack("<IHBb", t0 + 300 * i, 100 + i, 6, -3)
frames = [bytes((n + 1, 0)) + payload[i:i + 18] for n, i in enumerate(range(0, len(payload), 18))]
whole = b"".join(frames)
bf = backfill.Backfill(t0, t0 + 35 * 300)
for f in frames:
    bf.add_frame(f)
bf.add_reply(crc.append(struct.pack("<BBBBIIIH", 0x51, 0, 1, 0, t0, t0 + 35 * 300, len(whole), crc.crc16(whole))))
rs = bf.readings(act)
assert len(rs) == 36 and rs[-1][2] == 135
gc.collect()
print(json.dumps({"after_import": after_import, "free": gc.mem_free()}))
"""


def test_link_subset_of_codec_fits_64k_heap():
    r = run_micropython(["-c", SCRIPT], heap="64K")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    # Measured ~26 KB on the 64-bit unix port (compiled from source); the
    # bound catches a module growing without notice.
    assert out["after_import"] < 34000, out
    assert out["free"] > 16000, out
