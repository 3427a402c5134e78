# Two boxes on one broker (a leader and a follower box), each with its own
# mqtt.topic: each must be its own device in Home Assistant. With one
# device_id for all, both retained their discovery under the same config
# topics and unique ids, and the last to connect pointed Home Assistant's
# entities at its own topics: only one box could be seen.
#   micropython mqtt_two_topics.py  -> one JSON line
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401
import json

from forward.mqtt import MqttPublisher


def discovery(prefix):
    p = MqttPublisher({"host": "broker.lan", "topic_prefix": prefix}, client_factory=lambda *a: None)
    topics, ids, names, states = [], [], set(), []
    for topic, payload in p._discovery():
        d = json.loads(payload)
        topics.append(topic)
        ids.append(d["unique_id"])
        names.add(d["device"]["name"])
        states.append(d["state_topic"])
    return {"topics": topics, "ids": ids, "names": sorted(names), "states": states,
            "client_id": p.c["client_id"]}


print(json.dumps({p: discovery(p) for p in ("cgm", "cgm_follower", "home/kids cgm", "bedside_cgm")}))
