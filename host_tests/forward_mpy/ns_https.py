# The Nightscout uploader over HTTPS on MicroPython: the server's certificate
# must chain to the configured CA (CERT_REQUIRED), else nothing is sent.
#   micropython ns_https.py API_PORT CONTROL_PORT CA_FILE
# Prints one JSON line: what the server stored and what the uploader saw.
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
import clock
import vtime
from forward.nightscout import NightscoutUploader

SECRET = "0123456789abcdef"
port, cport, ca_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conds = []
logs = []


async def heartbeat():
    while True:
        await asyncio.sleep_ms(200)


async def main():
    up = NightscoutUploader({"url": "https://localhost:%d" % port, "secret": SECRET,
                             "ca_file": ca_file},
                            on_condition=lambda k, n, a: conds.append([k, n, a]),
                            log=logs.append, store_path="/tmp/ns_https_queue.bin")
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    for i in range(3):
        up.submit((10000 + i * 300, clock.unix() - 600 + i * 300, 100 + i, 0, 6, "live"))
    await asyncio.sleep(120)
    st = fwenv.control(cport)
    print(json.dumps({"stored": len(st["entries"]), "requests": st["requests"],
                      "queue_left": len(up.queue), "conds": conds,
                      "secret_in_logs": any(SECRET in m for m in logs), "logs": logs[-3:]}))


asyncio.run(main())
