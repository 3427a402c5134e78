# MqttPublisher and a glucose that has stopped coming: Home Assistant must not
# go on showing the last one as current. The discovery gives glucose and trend
# an expire_after (HA turns them "unavailable" without an update), and a
# reconnect does not send a stale glucose again (which would restart that
# expiry, and show an hour-old value as fresh); the retained reading_availability
# says offline, so a Home Assistant that restarts shows them unavailable too.
#   micropython mqtt_stale.py  -> one JSON line
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401  (virtual clock)
import json
import vtime

from forward.mqtt import MqttPublisher


class Sock:
    async def send(self):   # the packet written whole at once
        pass


class Client:
    def __init__(self):
        self.sent = []
        self.payloads = {}
        self.sock = Sock()

    def publish(self, topic, payload, retain=False):
        self.sent.append(topic.decode())
        self.payloads[topic.decode()] = payload.decode()


p = MqttPublisher({"host": "broker.lan", "topic_prefix": "cgm"}, client_factory=lambda *a: None)
out = {"expire": {}, "glucose_payload": [], "reading_payload": [], "availability": {}}
for topic, payload in p._discovery():
    d = json.loads(payload)
    out["expire"][d["state_topic"]] = d.get("expire_after")
    out["availability"][d["state_topic"]] = d.get("availability") or d.get("availability_topic")


def reconnect_sends():
    """What a (re)connection sends: every state again (run() does so)."""
    for topic in p._state:
        p._pending.add(topic)
    cl = Client()
    try:
        p._flush(cl).send(None)   # a coroutine that never waits: it runs to its end
    except StopIteration:
        pass
    out["glucose_payload"].append(cl.payloads.get("cgm/glucose"))
    out["reading_payload"].append(cl.payloads.get("cgm/reading_availability"))
    return sorted(cl.sent)


T = 1700000000
p.publish_reading((9000, T, 150, 10, 6, "live"))
p.publish_alarm(None)
out["fresh"] = reconnect_sends()
vtime.sleep_ms(14 * 60 * 1000)          # 14 min: still within the expiry
out["at_14min"] = reconnect_sends()
vtime.sleep_ms(2 * 60 * 1000)           # 16 min: the reading is stale
out["at_16min"] = reconnect_sends()
p.publish_reading((9960, T + 960, 140, 0, 6, "live"))   # a new reading is sent
out["new_reading"] = reconnect_sends()
print(json.dumps(out))
