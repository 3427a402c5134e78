# Two boxes (a leader and a follower box, README "Follower box") with the same
# mqtt settings on one broker. MQTT 3.1.1 (3.1.4): a CONNECT with a client id
# already connected closes the older connection, so with one client id for all
# boxes each connect threw the other box off, without end.
#   micropython mqtt_two_boxes.py BROKER_PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
import machine
from forward.mqtt import MqttPublisher

port = int(sys.argv[1])


def log(msg):
    # the churn runs in a loop that leaves the virtual clock where it is: stop
    # it after a few rounds, with the figures, rather than at the test's timeout
    if sum(p.connects for p in pubs) > 20:
        print(json.dumps({"connects": [p.connects for p in pubs], "connected": "churn"}))
        sys.exit(0)


pubs = []


async def main():
    asyncio.create_task(fwenv.real_time_heartbeat(pubs))
    cfg = {"host": "127.0.0.1", "port": port, "keepalive_s": 10, "topic_prefix": "cgm"}
    for uid in (b"\x24\x0a\xc4\x12\x34\x56", b"\x24\x0a\xc4\x65\x43\x21"):
        machine._unique_id = uid  # each board has its own
        pubs.append(MqttPublisher(cfg, log=log))
    tasks = []
    for p in pubs:
        p.publish_link("connected")
        tasks.append(asyncio.create_task(p.run()))
        await asyncio.sleep(2)
    await asyncio.sleep(30)
    out = {"connects": [p.connects for p in pubs], "connected": [p.is_connected() for p in pubs]}
    for t in tasks:
        t.cancel()
    print(json.dumps(out))


asyncio.run(main())
