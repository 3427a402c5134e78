# What Home Assistant is shown when a box comes back: boot 1 publishes an urgent low
# and dies (its last will), boot 2 connects before its first reading, then gets one.
# A test-side subscriber (CPython) records every message in the order the broker
# forwards them, to replay them as Home Assistant's entities see them.
#   micropython mqtt_boot_view.py BROKER_PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
from forward.mqtt import MqttPublisher

port = int(sys.argv[1])
CFG = {"host": "127.0.0.1", "port": port, "keepalive_s": 10, "topic_prefix": "cgm"}


async def main():
    asyncio.create_task(fwenv.real_time_heartbeat())
    # boot 1: an urgent low nobody answered, then the box dies (no DISCONNECT)
    one = MqttPublisher(CFG, log=lambda m: None)
    one.publish_reading((1000, 1700000000, 48, -25, 6, "live"))
    one.publish_alarm("urgent_low", "urgent_low")
    one.publish_link("encrypted")
    task = asyncio.create_task(one.run())
    await asyncio.sleep(5)
    task.cancel()
    await asyncio.sleep(2)
    # boot 2 (a power cut: no alarm, no reading yet), as app.wiring starts it
    two = MqttPublisher(CFG, log=lambda m: None)
    two.publish_alarm(None)
    two.publish_link("starting")
    task = asyncio.create_task(two.run())
    await asyncio.sleep(5)
    two.publish_reading((60, 1700000600, 130, 0, 6, "live"))   # boot 2's first reading
    await asyncio.sleep(3)
    print(json.dumps({"connects": [one.connects, two.connects]}))


asyncio.run(main())
