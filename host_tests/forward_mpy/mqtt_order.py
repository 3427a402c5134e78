# MqttPublisher's retained states after a live reading and then the backfill
# of an outage (the link delivers the live reading first, then the older
# ones it missed): Home Assistant must keep showing the newest.
#   micropython mqtt_order.py  -> one JSON line
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401
import json

from forward.mqtt import MqttPublisher

p = MqttPublisher({"host": "broker.lan"}, client_factory=lambda *a: None)
T = 1700000000
p.publish_reading((9000, T, 150, 10, 6, "live"))
for k in range(1, 4):  # backfill: 5, 10, 15 min older, lower
    p.publish_reading((9000 - 300 * k, T - 300 * k, 150 - 20 * k, -30, 6, "backfill"))
after_backfill = p._state["bedside_cgm/glucose"]
p.publish_reading((9300, T + 300, 155, 10, 6, "live"))
print(json.dumps({"after_backfill": after_backfill, "after_next": p._state["bedside_cgm/glucose"],
                  "trend": p._state["bedside_cgm/trend"]}))
# a new transmitter: its clock starts again near 0, its readings are the new ones
p.publish_reading((1200, T + 600, 111, 0, 6, "live"))
print(json.dumps({"new_transmitter": p._state["bedside_cgm/glucose"]}))
