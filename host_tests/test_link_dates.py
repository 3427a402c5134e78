"""Readings backfilled again after a power cut keep the dates they were uploaded
with (helper-116's finding). Pinned against the virtual transmitter
(tools/vtx) on simulated time, with the link, app/txclock.py and its file as the
box wires them (app/wiring.py: on_time is TransmitterClock.seen).

A power cut takes RTC memory: the new boot's link has no resume point and
backfills the last 3 h, readings already on Nightscout. The upload queue's
memory of what it sent is RAM only, and Nightscout knows an entry by its date
(cgm-remote-monitor lib/server/entries.js, upsertQueryFor: sysTime + type), so
a reading dated a second off by the new boot's activation estimate (whole-second
wall clock minus the transmitter's whole-second time) was a second entry:
doubled dots for 3 h after each cut. vtx ticks its clock with the wall clock's
seconds, so the estimate is exact here; the new boot's clock one second ahead
stands in for the estimate a second off."""
import json

import pytest

from conftest import link_prelude, run_micropython

PROG = r'''
import clock
from link.core import Link
from app.txclock import TransmitterClock
dev = vtx.start("../shared/traces/adult_001.csv", transmitter_id="8G1234", seed=1)
async def boot(minutes, wall_shift_s):
    if wall_shift_s:
        vtime.set_wall_unix(clock.unix() + wall_shift_s)
    got = []
    tc = TransmitterClock("8G1234", TXCLOCK)
    link = Link({"transmitter_id": "8G1234", "slot": 1, "bond_path": BOND, "on_time": tc.seen},
                got.append, lambda e: None)
    t = asyncio.create_task(link.run())
    await asyncio.sleep_ms(minutes * 60000)
    t.cancel()
    await asyncio.sleep_ms(100)
    return [[r[0], r[1], r[2], r[5]] for r in got]
async def main():
    before = await boot(50, 0)
    await asyncio.sleep_ms(4 * 60000)       # the power is off
    after = await boot(12, SHIFT)           # a new boot: nothing of the link's RTC record
    print("OUT " + json.dumps({"before": before, "after": after}))
asyncio.run(main())
'''


def _run(tmp_path, shift_s):
    bond = str(tmp_path / "bond.json")
    prog = (link_prelude(bond) + "BOND = %r\nTXCLOCK = %r\nSHIFT = %d\n"
            % (bond, str(tmp_path / "tx_clock.txt"), shift_s) + PROG)
    r = run_micropython(["-c", prog], heap="8M", timeout=300)
    line = [x for x in r.stdout.splitlines() if x.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    return json.loads(line[-1][4:])


@pytest.mark.parametrize("shift_s", [1, 2])   # 2: NTP sets the new boot's clock to a whole second
def test_readings_backfilled_after_a_power_cut_keep_their_dates_so_nightscout_stores_each_once(tmp_path, shift_s):
    out = _run(tmp_path, shift_s)
    first = {dex: unix for dex, unix, sgv, src in out["before"] if sgv is not None}
    again = [(dex, unix) for dex, unix, sgv, src in out["after"] if src == "backfill" and dex in first]
    assert len(first) >= 9 and len(again) >= 8, out   # the backfill brought the first boot's back
    assert [(dex, first[dex]) for dex, unix in again] == again, again
    # Nightscout's upsert key is the date: as many entries as readings
    readings = out["before"] + out["after"]
    dated = {(dex, unix) for dex, unix, sgv, src in readings if sgv is not None}
    assert len({unix for dex, unix in dated}) == len({dex for dex, unix in dated}), sorted(dated)
    # the new boot's live readings are dated by the same activation: its own estimate
    # (a second or two later) is within the estimate's error
    live = [(dex, unix) for dex, unix, sgv, src in out["after"] if src == "live" and sgv is not None]
    activation = {unix - dex for dex, unix in first.items()}
    assert live and len(activation) == 1 and {unix - dex for dex, unix in live} == activation, live


def test_a_clock_three_seconds_off_after_the_cut_dates_by_the_new_boot_own_estimate(tmp_path):
    # past the estimate's own error (2 s: txclock.SAME_WITHIN_S) the kept activation is
    # not the transmitter's any more (drift, or a clock set again): the readings are
    # dated by the wall clock as it is, the backfilled ones too
    out = _run(tmp_path, 3)
    first = {dex: unix for dex, unix, sgv, src in out["before"] if sgv is not None}
    after = [(dex, unix) for dex, unix, sgv, src in out["after"] if sgv is not None]
    assert after and all(unix == first[dex] + 3 for dex, unix in after if dex in first), (first, after)
    assert len({unix - dex for dex, unix in after}) == 1, after
