# MQTT publisher against a real broker on loopback: Home Assistant discovery,
# states, last will, reconnect after the broker goes away and comes back.
#   micropython mqtt_ha.py BROKER_PORT CONTROL_PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
from forward.mqtt import MqttPublisher
from forward import ConfigError

port, cport = int(sys.argv[1]), int(sys.argv[2])
out = {}
conds = []




async def main():
    cfg = {"host": "127.0.0.1", "port": port, "keepalive_s": 10, "topic_prefix": "cgm"}
    pub = MqttPublisher(cfg, on_condition=lambda k, n, a: conds.append([k, n, a]),
                        log=lambda m: None)
    asyncio.create_task(fwenv.real_time_heartbeat([pub]))
    pub.publish_reading((1000, 1700000000, 126, -25, 6, "live"))
    pub.publish_alarm("low")
    pub.publish_alarm("urgent_low", "urgent_low")
    pub.publish_alarm(None)   # the last word counts: nothing sounds
    pub.publish_battery("low_battery")
    pub.publish_link("connected")
    task = asyncio.create_task(pub.run())
    await asyncio.sleep(5)
    s = fwenv.mqtt_snapshot(port)
    out["discovery"] = sorted(t for t in s if t.startswith("homeassistant/"))
    out["glucose_cfg"] = json.loads(s.get("homeassistant/sensor/bedside_cgm/glucose/config", "{}"))
    out["states"] = {t: s[t] for t in s if t.startswith("cgm/")}
    pub.publish_alarm("urgent_low", "urgent_low")
    await asyncio.sleep(2)
    s = fwenv.mqtt_snapshot(port)
    out["unanswered"] = [s.get("cgm/alarm"), s.get("cgm/alarm_unanswered")]
    pub.publish_alarm("urgent_low")  # re-raised after a snooze
    await asyncio.sleep(2)
    s = fwenv.mqtt_snapshot(port)
    out["answered"] = [s.get("cgm/alarm"), s.get("cgm/alarm_unanswered")]
    # the box dies without a goodbye: the broker publishes the last will
    task.cancel()  # the TCP connection ends without DISCONNECT
    await asyncio.sleep(1)
    out["after_death"] = fwenv.mqtt_snapshot(port).get("cgm/availability")
    task = asyncio.create_task(pub.run())
    await asyncio.sleep(5)
    out["after_restart"] = fwenv.mqtt_snapshot(port).get("cgm/availability")
    # the broker goes away for 2 minutes, then comes back (empty, no persistence)
    fwenv.control(cport, "POST", "/broker", {"up": False})
    await asyncio.sleep(60)
    out["connected_while_down"] = pub.is_connected()
    pub.publish_reading((1300, 1700000300, 131, 5, 6, "live"))
    await asyncio.sleep(60)
    fwenv.control(cport, "POST", "/broker", {"up": True})
    await asyncio.sleep(400)  # back-off is at most 5 min
    s = fwenv.mqtt_snapshot(port)
    out["connects"] = pub.connects
    out["after_broker_back"] = {t: s[t] for t in s if t.startswith("cgm/")}
    out["discovery_again"] = len([t for t in s if t.startswith("homeassistant/")])
    out["conds"] = conds
    errs = []
    for bad in ({}, {"host": ""}, {"host": "h", "port": 0}, {"host": "h", "password": "x"},
                {"host": "h", "topic_prefix": "a/#"}):
        try:
            MqttPublisher(bad)
            errs.append(None)
        except ConfigError as e:
            errs.append(str(e))
    out["config_errors"] = errs
    print(json.dumps(out))


asyncio.run(main())
