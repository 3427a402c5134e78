# MQTT publisher against a broker that accepts, answers CONNECT, then goes
# silent (a powered-off Home Assistant box leaves no FIN): the publisher must
# notice the unanswered ping, reconnect with back-off, and after an hour
# without an answer raise `mqtt_unreachable`.
#   micropython mqtt_silent.py BROKER_PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401  (virtual clock)
import asyncio
import json
import vtime
from forward.mqtt import MqttPublisher

port = int(sys.argv[1])
out = {"logs": [], "conds": []}


async def main():
    t0 = vtime.monotonic_us()
    secs = lambda: (vtime.monotonic_us() - t0) // 1000000  # noqa: E731
    pub = MqttPublisher({"host": "127.0.0.1", "port": port, "keepalive_s": 10, "topic_prefix": "cgm"},
                        on_condition=lambda k, n, a: out["conds"].append([k, n, a, secs()]),
                        log=lambda m: out["logs"].append([secs(), m]))
    pub.publish_alarm(None)
    asyncio.create_task(pub.run())
    await asyncio.sleep(3600 + 20 * 60)
    out["connects"] = pub.connects


asyncio.run(main())
print(json.dumps(out))
