# The Nightscout uploader over HTTPS on MicroPython: the server's certificate
# must chain to the configured CA (CERT_REQUIRED), else nothing is sent.
#   micropython ns_https.py API_PORT CONTROL_PORT CA_FILE [DATE_PORT]
# Prints one JSON line: what the server stored and what the uploader saw.
# With DATE_PORT: the box starts without a wall clock and NTP is blocked; the
# board's TLS (board_tls) refuses certificates until the clock is set, and the
# host's plain HTTP (DATE_PORT standing in for port 80) is where a Date can come from.
# Over the board's sockets and lwIP's send queue (board_socket): with NS_READINGS=n
# (default 3) readings queued at once and posted in batches of nightscout.batch's
# largest, 50, a batch's TLS records do not fit the queue whole.
# NS_STORE: the uploader's queue file (the test's own folder: runs at once kept apart).
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import board_tls
import board_socket

board_socket.install()
board_socket.send_buffer = True
import asyncio
import os
import json
import clock
import vtime
from forward.nightscout import NightscoutUploader

SECRET = "0123456789abcdef"
port, cport, ca_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
date_port = int(sys.argv[4]) if len(sys.argv) > 4 else None
readings = int(os.getenv("NS_READINGS") or 3)
# the board's wall clock (Unix s): the test's today, or a clock NTP set wrong. The board
# checks the server's certificate against it (board_tls), not against the host's clock
vtime.set_wall_unix(int(os.getenv("NS_WALL")))
conds = []
logs = []


async def heartbeat():
    while True:
        await asyncio.sleep_ms(200)


async def main():
    ts = None
    if date_port:
        from forward.timesync import TimeSync

        class NoNtp:
            def time(self):
                raise OSError(110)
        vtime.set_wall(3600)  # 2000-01-01 01:00: the board's clock was never set
        ts = TimeSync(None, ntp=NoNtp(), log=logs.append)
    up = NightscoutUploader({"url": "https://localhost:%d" % port, "secret": SECRET,
                             "ca_file": ca_file, "batch": 50},
                            on_condition=lambda k, n, a: conds.append([k, n, a]),
                            log=logs.append, store_path=os.getenv("NS_STORE"),
                            on_server_date=ts.offer_date if ts else None)
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    activation = None
    if date_port:
        up.date_port = date_port
        asyncio.create_task(ts.run())
    for i in range(readings):
        dex = 10000 + i * 300
        if date_port:  # as link/core.py: a wall time only once the clock is valid
            if activation is None and clock.wall_valid():
                activation = clock.unix() - dex
            up.submit((dex, None if activation is None else activation + dex, 100 + i, 0, 6, "live"))
            await asyncio.sleep(300)
        else:
            up.submit((dex, clock.unix() - 300 * readings + i * 300, 100 + i % 50, 0, 6, "live"))
    await asyncio.sleep(120)
    st = fwenv.control(cport)
    print(json.dumps({"stored": len(st["entries"]), "requests": st["requests"],
                      "queue_left": len(up.queue), "conds": conds, "clock_set": clock.wall_valid(),
                      "time_source": ts and ts.source, "refused": len(board_tls.refused),
                      "send_refused": len(board_socket.send_refused), "sockets_open": board_socket.live(),
                      "secret_in_logs": any(SECRET in m for m in logs), "logs": logs[-3:],
                      "last_failure": up.last_failure}))


asyncio.run(main())
