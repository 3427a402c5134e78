# What importing the firmware costs the heap: module dictionaries, function and
# class objects, tables built at import. Run it on a build with the firmware
# frozen in (tools/build_unix32.sh with FROZEN=1), where the bytecode stays in
# flash as on the board; on a plain build the figures also hold the compiled
# bytecode.
#   MICROPYPATH=.frozen:tools/host build/micropython32-frozen tools/import_cost.py
# Prints one JSON object: {"total": bytes, "modules": {name: bytes}, "frozen": bool}.
import gc
import json
import sys

# the board's own modules and the host fakes are not the firmware's cost
import asyncio, bluetooth, machine, network, socket, struct, binascii, hashlib, select  # noqa: E401,F401

LIBRARIES = ("aioble", "umqtt.simple", "ntptime", "ssd1306", "microdot")
FIRMWARE = ("clock", "civil", "reading", "strictjson", "alarms.engine", "alarms.persist",
            "dexcom.replies", "dexcom.build", "dexcom.auth", "dexcom.backfill",
            "link.core", "forward.failure", "forward.http", "forward.queue", "forward.history", "forward.wifi",
            "forward.timesync", "forward.nightscout", "forward.mqtt", "forward.lanapi",
            "forward.follower", "app.config", "app.persist", "app.memory", "app.supervisor", "app.webserver",
            "sound.annunciator", "sound.board", "sound.selftest", "setup.web", "setup.dns",
            "app.wiring", "main",
            # imported later, inside functions, but on the board too: at boot (power, the
            # setup access point, the transmitter's clock), with a button, with a tz rule,
            # with Nightscout on a box that reads a transmitter, on a follower that sounds only
            # what its leader leaves unanswered
            "app.power", "setup.ap", "app.txclock", "sound.buttons", "app.localtime",
            "forward.sensorstart", "alarms.gate",
            # a board with a display
            "screen.view", "screen.draw", "screen.run", "screen.oled", "screen.st7789")
# not imported on MicroPython: dexcom.aes (CPython's stand-in for cryptolib); not imported by
# the firmware (until session 61 counted here, about 1.1 KB): dexcom.info and dexcom.messages,
# the decoder's and the fuzzer's (tools/dexdecode.py, tools/dexfuzz.py)


def used():
    gc.collect()
    return gc.mem_alloc()


def main():
    costs = {}
    start = used()
    for name in LIBRARIES + FIRMWARE:
        before = used()
        __import__(name)
        costs[name] = used() - before
    main_mod = sys.modules["main"]
    print(json.dumps({"total": used() - start, "modules": costs,
                      "frozen": getattr(main_mod, "__file__", "").startswith("main.py")}))


main()
