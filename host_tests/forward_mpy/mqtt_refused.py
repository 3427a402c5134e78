# MQTT publisher against a real broker that refuses the box's login (its password was
# changed in Home Assistant): `mqtt_auth` once every attempt has been refused for 10 min,
# never `mqtt_unreachable`; the right password typed in, the broker takes the box and
# the condition clears.
#   micropython mqtt_refused.py BROKER_PORT RIGHT_PASSWORD
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401  (virtual clock)
import asyncio
import json
import vtime
from forward.mqtt import MqttPublisher

port, right = int(sys.argv[1]), sys.argv[2]
out = {"logs": [], "conds": []}


async def main():
    t0 = vtime.monotonic_us()
    secs = lambda: (vtime.monotonic_us() - t0) // 1000000  # noqa: E731
    pub = MqttPublisher({"host": "127.0.0.1", "port": port, "keepalive_s": 10, "topic_prefix": "cgm",
                         "user": "box", "password": "the-old-password"},
                        on_condition=lambda k, n, a: out["conds"].append([k, n, a, secs()]),
                        log=lambda m: out["logs"].append([secs(), m]))
    asyncio.create_task(fwenv.real_time_heartbeat())   # (the broker's answers take real time)
    asyncio.create_task(pub.run())
    await asyncio.sleep(15 * 60)
    out["why"] = pub.last_failure
    out["connects_refused"] = pub.connects
    pub.c["password"] = right   # the family types the new one
    await asyncio.sleep(6 * 60)
    out["connects"] = pub.connects


asyncio.run(main())
print(json.dumps(out))
