# The setup access point on the MicroPython unix port, virtual clock: opens
# with its per-device credentials, stays open while a phone is joined or the
# page is used, closes after 15 idle minutes, alarms' tasks keep running.
# Prints one JSON line with what it saw (host_tests/test_setup_ap.py checks it).
import sys
import json

import vtime

vtime.install(0)
import machine  # noqa: E402
import network  # noqa: E402

sys.modules["machine"] = machine
sys.modules["network"] = network
import asyncio  # noqa: E402

import clock  # noqa: E402
from setup import ap  # noqa: E402

folder = sys.argv[1]
out = {}
key = ap.device_key(folder + "/setup_key.bin", machine.unique_id())
out["key_len"] = len(key)
out["key_again"] = ap.device_key(folder + "/setup_key.bin") == key
out["creds"] = list(ap.credentials(machine.unique_id(), key))
out["creds_nokey"] = list(ap.credentials(machine.unique_id()))
changes = []
point = ap.AccessPoint(network, machine.unique_id(), key,
                       on_change=lambda is_open, why: changes.append([clock.ms() // 1000, is_open, why]))
wlan = network.WLAN(network.AP_IF)
ticks = [0]


async def alarm_task():   # stands for the alarm loop: it must keep its pace
    while True:
        ticks[0] += 1
        await asyncio.sleep(5)


async def main():
    asyncio.create_task(alarm_task())
    asyncio.create_task(point.run())
    point.open("no_wifi")
    out["active"] = wlan.active()
    out["essid_cfg"] = wlan.config("essid")
    out["address"] = point.address()
    await asyncio.sleep(10 * 60)
    network.world.stations.append(b"\x02\x00\x00\x00\x00\x01")   # a phone joins for 20 min
    await asyncio.sleep(20 * 60)
    out["open_with_phone"] = point.is_open()
    out["stations"] = point.stations()
    network.world.stations.clear()
    await asyncio.sleep(10 * 60)
    point.touch()                                                # the page is used
    await asyncio.sleep(10 * 60)
    out["open_after_touch"] = point.is_open()
    await asyncio.sleep(6 * 60)
    out["open_after_idle"] = point.is_open()
    out["active_after"] = wlan.active()
    out["alarm_ticks"] = ticks[0]
    out["t_s"] = clock.ms() // 1000

asyncio.run(main())
out["changes"] = changes
print(json.dumps(out))
