# MqttPublisher against a real broker on loopback, through the board's send buffer
# (tools/host/board_socket.py: lwIP's 5760 bytes and 16 segments, freed by the
# broker's ACKs at the loop's turns): what is pending after CONNECT (discovery, the
# availability, every state) must reach the broker, not make each connection fail.
# Then the ACKs stop (a broker that stopped reading): the connection must end and
# the states reach the broker once it reads again.
#   micropython mqtt_sndbuf.py BROKER_PORT TOPIC_PREFIX
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import board_socket

board_socket.install(None)   # the board's socket module (no slot limit here)
board_socket.send_buffer = True
import asyncio
import json
from forward.mqtt import MqttPublisher

port, prefix = int(sys.argv[1]), sys.argv[2]
out = {}
logs = []


async def main():
    asyncio.create_task(fwenv.real_time_heartbeat())
    cfg = {"host": "127.0.0.1", "port": port, "keepalive_s": 60, "topic_prefix": prefix}
    pub = MqttPublisher(cfg, log=logs.append)
    pub.publish_reading((1000, 1700000000, 126, -25, 6, "live"))
    pub.publish_alarm("low", "low")
    pub.publish_battery("low_battery")
    pub.publish_link("connected")
    asyncio.create_task(pub.run())
    await asyncio.sleep(20)
    s = fwenv.mqtt_snapshot(port)
    out["connects"] = pub.connects
    out["refused"] = len(board_socket.send_refused)
    out["discovery"] = len([t for t in s if t.startswith("homeassistant/")])
    out["states"] = {t[len(prefix) + 1:]: s[t] for t in s if t.startswith(prefix + "/")}
    # the broker's ACKs stop: what does not fit waits, then the connection ends
    board_socket.acking = False
    pub.publish_link("stalled " + "x" * 6000)   # more than the whole buffer
    await asyncio.sleep(30)
    out["lost"] = [m for m in logs if m.startswith("mqtt: connection lost")]
    board_socket.acking = True
    pub.publish_link("back")
    await asyncio.sleep(30)
    out["after"] = fwenv.mqtt_snapshot(port).get(prefix + "/link")
    out["connected"] = pub.is_connected()
    out["logs"] = logs[:12]
    print(json.dumps(out))


asyncio.run(main())
