"""The board's socket budget (tools/host/board_socket.py): the ESP32 has 10 lwIP
sockets (CONFIG_LWIP_MAX_SOCKETS, ESP-IDF's default), the host hundreds. Pinned,
with the budget modelled on the unix port (the firmware unchanged, real loopback
sockets, the virtual clock):
- a request whose connect the timeout cuts off gives its socket back (asyncio's
  open_connection dropped it: on the board a slot held until a garbage
  collection, one per try while a Nightscout server or a leader did not answer);
- a server (the LAN API; the setup page is the same BoundedServer on asyncio's
  accept loop) with no socket left drops the connection it cannot take, as the
  board's lwip_accept does (ENFILE), and goes on serving once sockets are free;
- an upload that cannot get a socket fails like any other network failure:
  retried with back-off, `forwarding` (nightscout_unreachable) after
  alert_after_s, every reading stored once a socket is free again.
The test's own clients (a phone, a follower) are outside the budget: only the
box's sockets, accepted ones included, count."""
import json

from conftest import run_micropython, free_port

PRELUDE = """
import sys
sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import board_socket
board_socket.install(board_socket.LIMIT)
import asyncio, json
out = {}
"""


def run(prog, *args):
    r = run_micropython(["-c", PRELUDE + prog] + [str(a) for a in args], timeout=120)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, r.stdout + r.stderr
    return json.loads(lines[-1][7:])


# A destination that takes no connection: a listener (the test's own) whose
# backlog is full, so the box's SYN goes unanswered and its connect waits, as
# for a server or a leader that is off.
TIMED_OUT = """
from forward import http
port = int(sys.argv[1])
l = board_socket.host_socket()
l.bind(board_socket.getaddrinfo("127.0.0.1", port)[0][-1])
l.listen(0)
fill = []
for _ in range(3):
    c = board_socket.host_socket()
    c.setblocking(False)
    try:
        c.connect(board_socket.getaddrinfo("127.0.0.1", port)[0][-1])
    except OSError:
        pass
    fill.append(c)

async def main():
    out["before"] = board_socket.live()
    for _ in range(3):
        try:
            await http.request("GET", "127.0.0.1", port, "/", (), None, None, 2)
            out["answered"] = True
        except Exception as e:
            out["error"] = type(e).__name__
    out["after"] = board_socket.live()
asyncio.run(main())
print("RESULT " + json.dumps(out))
"""


def test_a_connect_cut_off_by_the_timeout_gives_its_socket_back():
    out = run(TIMED_OUT, free_port())
    assert out["error"] == "TimeoutError" and "answered" not in out, out
    assert out["before"] == 0 and out["after"] == 0, out


SERVER = """
from forward.history import History
from forward.lanapi import LanApi
port = int(sys.argv[1])
h = History(288)
h.add((5000, 1700000000, 120, 0, 6, "live"))
logs = []

async def get(path="/api/v1/status.json"):
    s = board_socket.host_connect("127.0.0.1", port)
    s.write(("GET %s HTTP/1.1\\r\\nHost: box\\r\\n\\r\\n" % path).encode())
    await s.drain()
    data = b""
    try:
        while True:
            c = await asyncio.wait_for(s.read(512), 5)
            if not c:
                break
            data += c
    except OSError:   # reset: dropped unanswered
        pass
    s.s.close()
    return int(data.split(b" ")[1]) if data else 0

async def main():
    api = LanApi({"port": port, "secret": None, "trust_loopback": True, "max_connections": 4,
                  "request_timeout_s": 5}, h, log=logs.append)
    task = asyncio.create_task(api.run(host="127.0.0.1"))
    await asyncio.sleep_ms(100)
    out["ok_first"] = await get()
    # every other slot taken (the forwarders' sockets, other clients): the
    # listener is the box's one socket left
    board_socket.limit = board_socket.live()
    out["refused_at_limit"] = await get()
    out["refusals"] = board_socket.refused
    board_socket.limit = board_socket.LIMIT
    out["ok_after"] = await get()
    out["server_alive"] = not task.done()
    out["live_end"] = board_socket.live()
    task.cancel()
asyncio.run(main())
print("RESULT " + json.dumps(out))
"""


def test_a_server_with_no_socket_left_drops_the_connection_and_serves_again_once_one_is_free():
    out = run(SERVER, free_port())
    assert out["ok_first"] == 200, out
    assert out["refused_at_limit"] == 0 and out["refusals"] == ["accept"], out
    assert out["ok_after"] == 200 and out["server_alive"], out
    assert out["live_end"] == 1, out   # the listener alone: every accepted socket closed


UPLOAD = """
import clock, vtime
from forward.nightscout import NightscoutUploader
port = int(sys.argv[1])
conds, logs = [], []
up = NightscoutUploader({"url": "http://127.0.0.1:%d" % port, "lan": True,
                         "secret": "0123456789abcdef", "alert_after_s": 1800},
                        on_condition=lambda k, n, a: conds.append([k, n, a]), log=logs.append)

async def beat():
    while True:   # real sockets get real time every 200 ms of virtual time
        await asyncio.sleep_ms(200)

async def main():
    asyncio.create_task(beat())
    board_socket.limit = board_socket.live()   # every slot taken, for an hour
    asyncio.create_task(up.run())
    for i in range(12):
        up.submit((10000 + i * 300, clock.unix(), 100 + i, 0, 6, "live"))
        await asyncio.sleep(300)
    out["during"] = {"stored": up.stats["stored"], "failures": up.stats["failures"],
                     "conds": list(conds), "refused": len(board_socket.refused),
                     "enfile_logged": any("23" in m for m in logs)}
    board_socket.limit = board_socket.LIMIT
    await asyncio.sleep(900)
    out["after"] = {"stored": up.stats["stored"], "queue": len(up.queue), "conds": conds,
                    "live": board_socket.live()}
asyncio.run(main())
print("RESULT " + json.dumps(out))
"""


def test_an_upload_with_no_socket_retries_raises_forwarding_and_delivers_once_one_is_free(ns):
    out = run(UPLOAD, ns.port)
    d = out["during"]
    assert d["stored"] == 0 and d["enfile_logged"] and d["refused"] == d["failures"] >= 3, out
    assert d["failures"] <= 24, out   # backed off (17 tries): not one every few seconds all hour
    assert ["forwarding", "nightscout_unreachable", True] in d["conds"], out
    a = out["after"]
    assert a["stored"] == 12 and a["queue"] == 0 and a["live"] == 0, out
    assert a["conds"][-1] == ["forwarding", "nightscout_unreachable", False], out
