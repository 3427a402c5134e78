"""A reset during a DNS outage (chaos round 15, seed 1622): the Nightscout's
address lived in RAM only, so a box reset while its DNS server did not answer
could not reach a server it still could, until the DNS answered again. The
address is now kept in RTC memory (app.persist, forward.names). Two runs of the
app on MicroPython, the second one a reset of the first: its RTC memory."""
from apprun import run_app
from test_blocked_loop import _app_with_readings, _socket_with

PROG = r'''
import sys, socket, binascii
import virtual_esp32
virtual_esp32.install(0, START)
import time  # virtual now: a sleep blocks the loop and moves the clock
import network, machine
network.world.add_ap("home", "password123")
if RTC_HEX:   # the previous run's RTC memory: this run is its reset
    machine.RTC().memory(binascii.unhexlify(RTC_HEX))
_real_getaddrinfo = socket.getaddrinfo
LOOKUPS = []


def dns(host, port, *a):  # ns.home is the stand-in on loopback; or the DNS server is silent
    if host.replace(".", "").isdigit():
        return _real_getaddrinfo(host, port, *a)
    LOOKUPS.append(host)
    if DNS_SILENT:
        time.sleep(7)     # lwIP's resolver timeout, then no address
        raise OSError(-202)
    if host == "ns.home":
        return _real_getaddrinfo("127.0.0.1", port, *a)
    raise OSError(-202)


''' + _socket_with("dns") + _app_with_readings("lambda line: None", "DEX0") + r'''

async def scenario():
    asyncio.create_task(app.start())
    asyncio.create_task(readings())
    await asyncio.sleep(MINUTES * 60)
    onsets = [(e.get("type"), e.get("reason")) for e in events if e.get("event") == "alarm_onset"]
    print("RESULT " + json.dumps({"rtc": binascii.hexlify(bytes(machine.RTC().memory())).decode(),
                                  "lookups": LOOKUPS, "onsets": onsets}))
    sys.exit(0)

asyncio.run(scenario())
'''


def test_a_reset_during_a_dns_outage_keeps_the_nightscouts_address(ns, tmp_path):
    cfg = {"transmitter_id": "8G1234", "board": "esp32-devkitc",
           "wifi": [{"ssid": "home", "password": "password123"}],
           "nightscout": {"url": "http://ns.home:%d/" % ns.port, "api_secret": "0123456789abcdef",
                          "allow_http": True}}
    first = run_app(tmp_path, cfg, PROG, RTC_HEX="", DNS_SILENT=False, START=1700000000, DEX0=864000,
                    MINUTES=12)
    before = len(ns.entries)
    assert before >= 2 and first["lookups"].count("ns.home") == 1, (before, first)
    # the board resets; the DNS server no longer answers, the Nightscout still does
    second = run_app(tmp_path, cfg, PROG, RTC_HEX=first["rtc"], DNS_SILENT=True, START=1700003600,
                     DEX0=864000 + 3600, MINUTES=12)
    assert len(ns.entries) - before >= 2, (before, len(ns.entries), second)
    # its name was asked once after the reset (the server may have moved), and not again
    # after that lookup held the board
    assert second["lookups"].count("ns.home") == 1, second
    assert ("device", "blocked") not in [tuple(o) for o in second["onsets"]], second
