# MQTT publisher against a real broker with text that is not ASCII (a topic,
# user and password as config.json lets a family write them): umqtt.simple
# counts a str's characters for the packet lengths and writes its UTF-8 bytes.
#   micropython mqtt_text.py BROKER_PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
from forward.mqtt import MqttPublisher

port = int(sys.argv[1])
out = {}




async def main():
    asyncio.create_task(fwenv.real_time_heartbeat())
    cfg = {"host": "127.0.0.1", "port": port, "keepalive_s": 10, "topic_prefix": "cgm_küche",
           "user": "zoë", "password": "pässwört€", "device_name": "Wecker Zoë"}
    pub = MqttPublisher(cfg, log=lambda m: None)
    pub.publish_reading((1000, 1700000000, 126, -25, 6, "live"))
    pub.publish_link("connected")
    task = asyncio.create_task(pub.run())
    await asyncio.sleep(5)
    s = fwenv.mqtt_snapshot(port)
    out["states"] = {t: s[t] for t in s if t.startswith("cgm_")}
    glucose_cfg = [t for t in s if t.startswith("homeassistant/sensor/") and t.endswith("/glucose/config")]
    out["device_name"] = json.loads(s[glucose_cfg[0]]).get("device", {}).get("name") if glucose_cfg else None
    out["connects"] = pub.connects
    task.cancel()
    print(json.dumps(out))


asyncio.run(main())
