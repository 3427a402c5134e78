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
box's sockets, accepted ones included, count.
The simulator (`make sim`, the chaos soak) runs the box on the budget by default
(SOCKETS=n, 0 for the host's own), and says so: a `socket_refused` event at each
refusal, the sockets open and the most at once in each hourly `heap` event. The
world's parts in the same process are not the box's: the leader box a follower
reads from (its listener and what it accepts) and a phone posting to the setup
page make their sockets outside the budget, while the NTP stand-ins take the slot
the board's query would."""
import json
import os
import subprocess
import sys

from conftest import ROOT, run_micropython, free_port

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


def sim(tmp_path, hours, config=None, inject=None, **env):
    e = dict(os.environ, HEADLESS="1", HOURS=str(hours), PLOT="", FLASH=str(tmp_path / "flash"))
    for k in ("TRACE", "START", "DAYS", "CONFIG", "HTTP_PORT", "SETUP_PORT", "NIGHTSCOUT_URL", "MQTT",
              "SOCKETS", "INJECT", "SEND_BUFFER"):
        e.pop(k, None)
    if config is not None:
        (tmp_path / "config.json").write_text(json.dumps(config))
        e["CONFIG"] = str(tmp_path / "config.json")
    if inject:
        e["INJECT"] = json.dumps(inject)
    e.update({k: str(v) for k, v in env.items()})
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim.py")], env=e,
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return [json.loads(line) for line in r.stdout.splitlines()]


def kinds(ev, kind):
    return [e for e in ev if e["event"] == kind]


def test_the_simulator_counts_the_boxs_sockets_by_default_and_reports_each_refusal(tmp_path):
    # the setup page's listener holds the one socket of SOCKETS=1: every upload try to
    # a Nightscout is refused (OSError 23), each one said
    dead = "http://127.0.0.1:%d" % free_port()
    ev = sim(tmp_path, 1.1, SOCKETS=1, SETUP_PORT=free_port(), NIGHTSCOUT_URL=dead,
             NIGHTSCOUT_SECRET="0123456789abcdef")
    refused = kinds(ev, "socket_refused")
    assert len(refused) >= 3 and all(e["what"] == "socket" and e["live"] == 1 for e in refused), refused
    heap = kinds(ev, "heap")
    assert heap and heap[0]["sockets"] == 1 and heap[0]["sockets_peak"] == 1, heap
    # by default the board's 10: the listener and the uploads' sockets fit, each one closed
    ev = sim(tmp_path, 1.1, SETUP_PORT=free_port(), NIGHTSCOUT_URL=dead, NIGHTSCOUT_SECRET="0123456789abcdef")
    assert not kinds(ev, "socket_refused")
    heap = kinds(ev, "heap")
    assert heap and heap[0]["sockets"] == 1 and heap[0]["sockets_peak"] == 2, heap
    # SOCKETS=0: counted, no limit
    ev = sim(tmp_path, 1.1, SOCKETS=0, SETUP_PORT=free_port(), NIGHTSCOUT_URL=dead,
             NIGHTSCOUT_SECRET="0123456789abcdef")
    assert not kinds(ev, "socket_refused")
    assert kinds(ev, "heap")[0]["sockets_peak"] == 2, kinds(ev, "heap")


def test_a_reset_in_the_simulator_frees_the_boxs_sockets_and_ports_as_the_boards_does(tmp_path):
    # the LAN API's and the setup page's listeners: at a reset the board's lwIP starts
    # again. Kept, the old boot's LAN API held its port (EADDRINUSE at each try of the
    # next boot's server, each try's socket left behind) and its slots
    port = free_port()
    ev = sim(tmp_path, 1.1, inject={"reset_at_s": 1800}, SOCKETS=3, HTTP_PORT=port, SETUP_PORT=free_port())
    assert [e["t_ms"] for e in kinds(ev, "reset")] == [1800000]
    assert not kinds(ev, "socket_refused"), kinds(ev, "socket_refused")[:3]
    heap = kinds(ev, "heap")
    assert heap and heap[0]["sockets"] == 2 and heap[0]["sockets_peak"] == 2, heap
    console = (tmp_path / "flash" / "sim-console.log").read_text()
    assert "EADDRINUSE" not in console and "task web failed" not in console


FOLLOWER = {"transmitter_id": "8G1234", "board": "esp32-devkitc", "role": "follower",
            "wifi": [{"ssid": "sim-home", "password": "sim-password"}], "lan_api": {"enabled": False}}


def test_the_leader_box_a_follower_reads_from_is_not_counted_in_the_followers_sockets(tmp_path):
    # one socket: the follower's poll. The leader stand-in's listener and the connection it
    # accepts are another box's: counted, they took it, and every poll was refused
    port = free_port()
    cfg = dict(FOLLOWER, follow={"url": "http://127.0.0.1:%d" % port, "poll_s": 60, "silent_min": 15})
    ev = sim(tmp_path, 1.1, cfg, {"leader": {"port": port}}, SOCKETS=1)
    assert not kinds(ev, "socket_refused"), kinds(ev, "socket_refused")[:3]
    follows = [e for e in kinds(ev, "reading") if e.get("sgv") is not None]
    assert len(follows) >= 10, len(follows)
    assert kinds(ev, "heap")[0]["sockets_peak"] == 1, kinds(ev, "heap")


def test_a_phone_posting_to_the_setup_page_is_not_counted_in_the_boxs_sockets(tmp_path):
    # two sockets: the setup page's listener and the connection it accepts. The phone's own
    # socket counted would take the second, and the box would drop the phone's connection
    cfg = {"transmitter_id": "8G1234", "board": "esp32-devkitc", "admin_password": "chaos-admin-pw",
           "lan_api": {"enabled": False}}
    ev = sim(tmp_path, 0.3, cfg, {"phone_posts": [[600, {"off_s": 0}, False]]}, SOCKETS=2,
             SETUP_PORT=free_port())
    phone = kinds(ev, "phone_clock")
    assert len(phone) == 1 and phone[0].get("http") == 400, phone   # the refused form, answered
    assert not kinds(ev, "socket_refused"), kinds(ev, "socket_refused")


def test_the_simulator_sends_through_the_boards_send_queue_by_default(tmp_path, ns):
    # lwIP's send queue (board_socket.send_buffer) on every plain stream socket of the
    # firmware, polled by the virtual clock's loop at full speed; SEND_BUFFER=0 leaves
    # the host's loopback, which takes hundreds of KB at once
    url = "http://127.0.0.1:%d" % ns.port
    for env, model in (({}, True), ({"SEND_BUFFER": "0"}, False)):
        ns.entries.clear()
        ev = sim(tmp_path, 1.1, NIGHTSCOUT_URL=url, NIGHTSCOUT_SECRET="0123456789abcdef", **env)
        end = kinds(ev, "sim_end")[0]
        assert (end["send_refused"] is not None) == model, end
        assert len(ns.entries) >= 10, (env, len(ns.entries))   # the hour's readings arrived
