"""A transmitter that refuses our key (vtx mode auth_refused: its own hash of our
token is right, its AuthStatus says "not authenticated"), walked on `make sim`
(helper-259). The link's rule (test_link_gaps: not asked again in that wake-up)
held for two wake-ups only: a box that has never read the transmitter's time takes
its wake-ups from adverts, and after UNPROVEN_MAX sessions without authentication
it forgot that phase and scanned blind at once, into the same wake-up: a second
refused session every other wake-up, all night."""
import json

from conftest import link_prelude, run_micropython, tmp_file

BOND = tmp_file("test_link_auth_refused.json")
PROG = link_prelude(BOND) + r'''
from link.core import Link
evs = []
def on_event(e):
    e["t_s"] = vtime.monotonic_us() // 1000000
    evs.append(e)
dev = vtx.start("../shared/traces/adult_001.csv", transmitter_id="8G1234", seed=1,
                faults="auth_refused", adv_ms=20000)
link = Link({"transmitter_id": "8G1234", "slot": 1, "bond_path": %r}, lambda r: None, on_event)
async def main():
    t = asyncio.create_task(link.run())
    await asyncio.sleep_ms(34 * 60000)       # wake-ups at 1, 6, ... 31 min
    print("OUT " + json.dumps([[(e["t_s"] - 60) // 300, e.get("reason")] for e in evs
                               if e["what"] == "disconnected"]))
    t.cancel()
asyncio.run(main())
''' % BOND


def test_a_transmitter_refusing_our_key_is_asked_once_a_wake_up_all_night():
    r = run_micropython(["-c", PROG], heap="8M", timeout=120)
    line = [x for x in r.stdout.splitlines() if x.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    out = json.loads(line[-1][4:])
    assert out == [[k, "auth_failed"] for k in range(7)], out
