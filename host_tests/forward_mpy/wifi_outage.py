# The forwarders through a long Wi-Fi outage (the home's router off for 2 h) on
# MicroPython: readings keep arriving; the Nightscout uploader must raise
# nightscout_unreachable after alert_after_s and keep saving its queue to flash,
# the MQTT publisher must raise mqtt_unreachable after an hour, and both clear
# and deliver once Wi-Fi is back. Prints one JSON line.
#   micropython wifi_outage.py API_PORT CONTROL_PORT DEAD_PORT QUEUE_PATH
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
import os
import clock
import vtime
from app import fsutil
from forward.nightscout import NightscoutUploader
from forward.mqtt import MqttPublisher

port, cport, dead, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
conds = []


class Wifi:
    """The keeper's interface as the forwarders use it (forward/wifi.py)."""

    def __init__(self):
        self.up = True
        self.ev = asyncio.Event()
        self.ev.set()

    def is_up(self):
        return self.up

    async def wait_up(self):
        while not self.up:
            await self.ev.wait()

    async def wait_quiet(self, need_ms, blocks=False, host=None, port=None):
        pass

    async def wait_sound_pause(self, need_ms):
        pass

    def set(self, up):
        self.up = up
        if up:
            self.ev.set()
        else:
            self.ev.clear()


def secs():
    return clock.ms() // 1000


async def main():
    wifi = Wifi()
    up = NightscoutUploader({"url": "http://127.0.0.1:%d" % port, "lan": True,
                             "secret": "0123456789abcdef"}, wifi=wifi, store_path=path,
                            on_condition=lambda k, n, a: conds.append([n, a, secs()]),
                            log=lambda m: None)
    pub = MqttPublisher({"host": "127.0.0.1", "port": dead}, wifi=wifi,
                        on_condition=lambda k, n, a: conds.append([n, a, secs()]),
                        log=lambda m: None)
    asyncio.create_task(up.run())
    base = vtime.monotonic_us()
    for i in range(46):   # 3 h 50 min of readings
        vtime.call_at(base + (1 + i * 300) * 1000000, lambda i=i: up.submit(
            (10000 + i * 300, clock.unix(), 100 + i, 0, 6, "live")))
    await asyncio.sleep(1800)
    wifi.set(False)
    t_down = secs()
    await asyncio.sleep(2 * 3600)
    asyncio.create_task(pub.run())   # the broker's hour counts from its own start
    await asyncio.sleep(0)
    saved = os.stat(path)[6] if fsutil.exists(path) else 0
    in_queue = len(up.queue)
    mqtt_started = secs()
    await asyncio.sleep(3600 + 300)
    wifi.set(True)
    await asyncio.sleep(1200)
    st = fwenv.control(cport)
    print(json.dumps({"conds": conds, "t_down": t_down, "mqtt_started": mqtt_started,
                      "queued_during_outage": in_queue, "saved_bytes": saved,
                      "stored": len(st["entries"]), "queue_left": len(up.queue)}))


asyncio.run(main())
