"""The alarm topic after a boot (chaos round 17, D17a): the MQTT publisher was
told the alarm only at alarm events, and an alarm raised before it was wired (one
restored from RTC memory after a reset, `device` at boot) was never published:
Home Assistant showed the alarm "unknown", or the last boot's, while the box
sounded. The link topic likewise kept the last boot's state until a link event,
and a follower or a box without a transmitter ID never told it. The app runs on MicroPython against the broker stand-in
(tools/mqttserver.py), an urgent low already active when the forwarders start."""
import pytest

from apprun import run_app
from mqttserver import MqttServer

PROG = r'''
import sys
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import network
network.world.add_ap("home", "password123")
import asyncio, json, main, reading, clock
from app import log
log.sink = lambda line: None
app = main.App(CFG, boards_dirs=(BOARDS,))
app.setup_port = app.dns_port = None
if SGV:
    app.on_reading(reading.make(864000, clock.unix(), SGV, 0, 6))   # before the forwarders start
if BOOT_FAULT:
    app.condition("device", "resets", True)    # raised at boot, as main does for a reset loop


async def scenario():
    asyncio.create_task(app.start())
    await asyncio.sleep(120)
    loudest = app.engine.loudest()
    print("RESULT " + json.dumps({"loudest": loudest and loudest["type"]}))
    sys.exit(0)

asyncio.run(scenario())
'''


@pytest.fixture
def broker():
    b = MqttServer()
    yield b
    b.close()


@pytest.mark.parametrize("sgv, boot_fault, alarm", ((48, False, "urgent_low"), (120, False, "none"),
                                                   (0, True, "device")))
def test_the_alarm_in_force_when_mqtt_starts_is_published(broker, tmp_path, sgv, boot_fault, alarm):
    cfg = {"transmitter_id": "8G1234", "board": "esp32-devkitc",
           "wifi": [{"ssid": "home", "password": "password123"}],
           "mqtt": {"host": "127.0.0.1", "port": broker.port}}
    out = run_app(tmp_path, cfg, PROG, SGV=sgv, BOOT_FAULT=boot_fault)
    assert out["loudest"] == (None if alarm == "none" else alarm), out
    retained = broker.state()["retained"]
    assert retained.get("cgm/alarm") == alarm, retained
    assert retained.get("cgm/alarm_unanswered") == "none", retained
    assert retained.get("cgm/link") == LINK_NOW, retained


# the link's state is told at the start too, not left as the last boot's until the
# first link event: the box's own (no transmitter was seen in these 2 minutes)
LINK_NOW = "starting"


@pytest.mark.parametrize("role, link", (({}, "not_configured"),
                                        ({"role": "follower", "follow": {"url": "http://127.0.0.1:9"}},
                                         "follower")))
def test_a_box_without_a_ble_link_tells_why_on_the_link_topic(broker, tmp_path, role, link):
    cfg = dict({"board": "esp32-devkitc", "wifi": [{"ssid": "home", "password": "password123"}],
                "mqtt": {"host": "127.0.0.1", "port": broker.port}}, **role)
    run_app(tmp_path, cfg, PROG, SGV=0, BOOT_FAULT=False)
    assert broker.state()["retained"].get("cgm/link") == link, broker.state()["retained"]
