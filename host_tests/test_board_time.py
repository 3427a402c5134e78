"""tools/host/board_time.py: the board's time for its blocking C calls, on the virtual clock.

Pinned: each call the ESP32 makes while holding the whole event loop moves the virtual
clock by its figure in board_time.COSTS_MS once installed, and only then: the radios'
start and stop (network.WLAN.active, the virtual Bluetooth controller's active), a TLS
handshake's maths (in the TLS socket's second read or write, the one that takes the
server's first flight: extmod/modtls_mbedtls.c with do_handshake_on_connect=False),
a file written to flash (littlefs: a 4 KB block erased per 4 KB written, a page
programmed per 256 bytes, the directory's commits). Why: the simulator (`make sim`,
chaos) charges them by default so the sound's timeline, the supervisor's `blocked` rule
and the watchdog see them; a fake that stops charging (or charges a call that does not
block, or twice) would silently make the host kinder or harsher than the board again.
The end-to-end case runs a real HTTPS request through the firmware's forward.http over
asyncio's streams, which poll the timed socket through its ioctl."""
import json
import time
import os

import pytest

from conftest import run_micropython
from nsserver import NsServer
from testcerts import make_ca

PRELUDE = r'''
import sys, json
sys.path.insert(0, "tools/host")
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import vtime, board_time
C = board_time.COSTS_MS
marks = []
board_time.on_charge = lambda what, ms, detail: marks.append([what, ms, vtime.monotonic_us() // 1000])


def took(f, *a):
    t0 = vtime.monotonic_us()
    f(*a)
    return (vtime.monotonic_us() - t0) / 1000
'''


def _run(body, tmp_path=None, timeout=120):
    r = run_micropython(["-c", PRELUDE + body], timeout=timeout)
    line = [x for x in r.stdout.splitlines() if x.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    return json.loads(line[-1][4:])


def test_the_radios_take_the_board_time_only_when_they_change_state_and_only_once_installed():
    out = _run(r'''
import network, bluetooth
sta, ap = network.WLAN(network.STA_IF), network.WLAN(network.AP_IF)
ble = bluetooth.BLE()
res = {"before": [took(sta.active, True), took(ble.active, True)]}
sta.active(False); ble.active(False)
board_time.install()
res["sta_on"] = took(sta.active, True)
res["sta_on_again"] = took(sta.active, True)
res["ap_on_beside"] = took(ap.active, True)
res["ap_off_beside"] = took(ap.active, False)
res["sta_off"] = took(sta.active, False)
res["sta_off_again"] = took(sta.active, False)
res["ble_on"] = took(ble.active, True)
res["ble_on_again"] = took(ble.active, True)
res["ble_off"] = took(ble.active, False)
board_time.enabled = False
res["switched_off"] = [took(sta.active, True), took(ble.active, True)]
res["C"] = C
res["charged"] = board_time.charged
print("OUT " + json.dumps(res))
''')
    c = out["C"]
    assert out["before"] == [0, 0], out
    assert out["sta_on"] == c["wifi_start"] and out["sta_on_again"] == 0, out
    # the second interface on a started radio: a mode change, not a second start
    assert out["ap_on_beside"] == c["wifi_mode"] and out["ap_off_beside"] == c["wifi_mode"], out
    assert out["sta_off"] == c["wifi_stop"] and out["sta_off_again"] == 0, out
    assert out["ble_on"] == c["ble_start"] and out["ble_on_again"] == 0, out
    assert out["ble_off"] == c["ble_stop"], out
    assert out["switched_off"] == [0, 0], out
    assert out["charged"]["wifi_start"] == [1, c["wifi_start"]], out


def test_a_file_written_to_flash_takes_its_erases_and_pages_when_it_is_closed(tmp_path):
    out = _run(r'''
import os
d = %r
board_time.install()


def save(name, n):
    with open(d + "/" + name, "wb") as f:
        f.write(bytes(n))


res = {"queue": took(save, "q.bin", 7200), "small": took(save, "t.txt", 38),
       "exact": took(save, "e.bin", 4096), "over": took(save, "o.bin", 4097)}
res["read"] = took(lambda: open(d + "/q.bin", "rb").read())
res["size"] = os.stat(d + "/q.bin")[6]


def dump():   # aioble's bond save: json.dump into a file opened "w"
    with open(d + "/s.json", "w") as f:
        json.dump([["k", "v" * 300]], f)


res["json"] = took(dump)
res["json_back"] = json.load(open(d + "/s.json"))
res["events"] = len(marks)
res["C"] = C
res["commits"] = board_time.FLASH_COMMITS
print("OUT " + json.dumps(res))
''' % str(tmp_path))
    c, k = out["C"], out["commits"]
    meta = k * c["flash_commit"]

    def ms(blocks, pages):
        return blocks * c["flash_erase_4k"] + pages * c["flash_page_256"] + meta

    assert out["queue"] == pytest.approx(ms(2, 29), abs=0.002), out   # 7200 B: 2 blocks, 29 pages
    assert out["small"] == pytest.approx(ms(1, 1), abs=0.002), out
    assert out["exact"] == pytest.approx(ms(1, 16), abs=0.002), out
    assert out["over"] == pytest.approx(ms(2, 17), abs=0.002), out
    assert out["read"] == 0 and out["size"] == 7200, out
    assert out["json"] == pytest.approx(ms(1, 2)) and out["json_back"] == [["k", "v" * 300]], out
    assert out["events"] == 5, out


def test_flash_compaction_every_eighth_file_and_nothing_while_switched_off(tmp_path):
    out = _run(r'''
d = %r
board_time.install()


def save(name):
    with open(d + "/" + name, "wb") as f:
        f.write(b"x")


res = {"each": [took(save, "f%%d" %% i) for i in range(8)]}
board_time.enabled = False
res["off"] = took(save, "g")
res["C"] = C
print("OUT " + json.dumps(res))
''' % str(tmp_path))
    c = out["C"]
    each = out["each"]
    assert len(set(each[:7])) == 1, out
    assert each[7] == pytest.approx(each[0] + c["flash_erase_4k"] + 16 * c["flash_page_256"], abs=0.002), out
    assert out["off"] == 0, out


def test_the_handshake_is_charged_in_the_tls_sockets_second_read_or_write_only():
    # a stand-in for the native TLS socket: the first call sends the ClientHello and
    # would block (None), the second takes the server's flight (the maths), later ones
    # carry the request
    out = _run(r'''
import io
board_time.install()


class Native(io.IOBase):
    def __init__(self):
        self.calls = 0

    def ioctl(self, req, arg):
        return arg if req == 3 else -22

    def write(self, b):
        self.calls += 1
        return None if self.calls < 3 else len(b)

    def read(self, n=-1):
        self.calls += 1
        return None if self.calls < 3 else b"HTTP/1.1 200 OK\r\n"

    def close(self):
        pass


s = board_time.tls_socket(Native())
res = {"t": [took(s.write, b"GET"), took(s.read, 10), took(s.write, b"GET"), took(s.read, 10)]}
res["read_back"] = s.read(10).decode()
board_time.enabled = False
res["plain"] = type(board_time.tls_socket(Native())).__name__
res["C"] = C
print("OUT " + json.dumps(res))
''')
    assert out["t"] == [0, out["C"]["tls_handshake"], 0, 0], out
    assert out["read_back"] == "HTTP/1.1 200 OK\r\n", out
    assert out["plain"] == "Native", out   # switched off: the native socket itself


def test_an_https_request_through_the_firmware_holds_the_board_for_one_handshake(tmp_path):
    key, crt = make_ca(tmp_path, "localhost", hosts=("localhost",))
    srv = NsServer(secret="0123456789abcdef", certfile=str(crt), keyfile=str(key))
    try:
        out = _run(r'''
import asyncio
from forward import http
vtime.set_wall_unix(%d)   # today: the board checks the certificate's dates against its clock
board_time.install()
ctx = http.tls_context(open(%r, "rb").read())


async def beat():   # (the virtual clock steps while the server, real, answers)
    while True:
        await asyncio.sleep_ms(200)


async def main():
    asyncio.create_task(beat())
    t0 = vtime.monotonic_us() // 1000
    st, date, body = await http.request("GET", "localhost", %d, "/api/v1/status.json", (),
                                        ssl_ctx=ctx, timeout_s=120)
    return st, vtime.monotonic_us() // 1000 - t0


st, elapsed = asyncio.run(main())
print("OUT " + json.dumps({"status": st, "elapsed": elapsed, "marks": marks, "C": C}))
''' % (int(time.time()), str(crt), srv.port))
    finally:
        srv.close()
    assert out["status"] in (200, 401), out   # an answer: the stream went through the timed socket
    assert [m[0] for m in out["marks"]] == ["tls_handshake"], out
    assert out["marks"][0][1] == out["C"]["tls_handshake"] <= out["elapsed"], out
