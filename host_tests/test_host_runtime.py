"""The host runtime itself: virtual clock under asyncio, epoch handling."""
from conftest import run_micropython

PROG = r'''
import sys
sys.path.insert(0, "tools/host")
import vtime
vtime.install(0, wall_unix=1700000000)
import time, asyncio, clock
flag = asyncio.ThreadSafeFlag()
out = []
async def waiter():
    await flag.wait()
    out.append(("flag", time.ticks_ms()))
async def main():
    vtime.call_later(1500, flag.set)
    asyncio.create_task(waiter())
    for i in range(3):
        await asyncio.sleep(1)
    async def slow():
        await asyncio.sleep(10)
    try:
        await asyncio.wait_for(slow(), 5)
    except asyncio.TimeoutError:
        out.append(("timeout", time.ticks_ms()))
    for i in range(20 * 24 * 60):  # 20 days of minutes: ticks wrap after ~12.4 days
        await asyncio.sleep(60)
        clock.ms()  # the firmware reads its clock far more often than every 6 days
    out.append(("days", clock.ms() // 86400000))
asyncio.run(main())
print(out, time.gmtime(0)[0], clock.EPOCH_OFFSET, clock.unix())
'''


def test_virtual_clock_drives_asyncio():
    r = run_micropython(["-c", PROG], timeout=60)
    out = r.stdout.strip()
    assert "[('flag', 1500), ('timeout', 8000), ('days', 20)]" in out, out
    # ESP32 epoch: gmtime(0) is 2000-01-01 and clock.unix() converts it
    assert out.endswith("2000 946684800 %d" % (1700000000 + 8 + 20 * 86400)), out
