"""Several transmitters of our name that all answer rogue (review14).

An address marked twice for one session (its rogue answer, then the unproven
rule in _cycle) evicted another address from the link's memory of rogues once
it held _ROGUES_MAX: with four rogues of our name waking together, the link
went round them for the whole of each wake-up (41 sessions in 31 min instead
of one per rogue every 10 min), and, always finding one, never said
no_transmitter."""
import json

from conftest import link_prelude, run_micropython, tmp_file

BOND = tmp_file("test_link_rogue_many.json")
PROG = link_prelude(BOND) + "BOND = %r\n" % BOND + r'''
for i, tid in enumerate(("8G1234", "8H5634", "8J7834", "8K9034")):   # all "Dexcom34"
    vtx.start("../shared/traces/adult_001.csv", transmitter_id=tid, seed=i + 1, adv_interval_ms=100,
              first_window_s=60, jitter_ms=3000)
from link.core import Link, _ROGUES_MAX
what = []
l = Link({"transmitter_id": "8Q9934", "slot": 1, "bond_path": BOND},
         lambda r: None, lambda e: what.append(e["what"]))
async def main():
    t = asyncio.create_task(l.run())
    await asyncio.sleep_ms(31 * 60000)
    t.cancel()
asyncio.run(main())
print("OUT " + json.dumps({"max": _ROGUES_MAX, "rogue": what.count("rogue"), "sessions": l.sessions,
                           "no_tx": what.count("no_transmitter")}))
'''


def test_four_rogues_of_our_name_are_each_tried_once_per_skip_not_in_turn():
    r = run_micropython(["-c", PROG], heap="8M", timeout=120)
    line = [x for x in r.stdout.splitlines() if x.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    out = json.loads(line[-1][4:])
    assert out["max"] >= 4, out     # the four fit in the link's memory
    # each answers at its first wake-up, then once its ROGUE_SKIP_MS (6 min) has run
    # out, i.e. every other wake-up: 3 rounds in 31 min, not every address at every
    # wake-up and several times in one
    assert out["sessions"] == out["rogue"] <= 3 * 4, out
    assert out["no_tx"] == 1, out   # our own transmitter is not heard: said
