"""The captive-portal DNS responder (firmware/setup/dns.py) on MicroPython,
queried over real UDP from the test."""
import os
import socket
import struct
import subprocess

import sys

from conftest import MICROPYTHON, MICROPYPATH, ROOT, free_port, run_micropython

# dual/test_setup_dns imports its stand-ins as the dual files do (`from fakes import`):
# dual/ must be on the path when this file is run alone, not only after a dual file
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "dual"))
from dual.test_setup_dns import query  # noqa: E402


def test_dns_answers_while_the_access_point_is_open_then_stops():
    port = free_port()
    p = subprocess.Popen([MICROPYTHON, os.path.join(ROOT, "host_tests", "setup_mpy", "dns_serve.py"),
                          str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         env=dict(os.environ, MICROPYPATH=MICROPYPATH), cwd=ROOT, text=True)
    try:
        assert p.stdout.readline().strip() == "READY"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        for ident, name in ((1, "connectivitycheck.gstatic.com"), (2, "captive.apple.com")):
            s.sendto(query(name, ident=ident), ("127.0.0.1", port))
            reply, _ = s.recvfrom(512)
            assert struct.unpack_from(">H", reply)[0] == ident
            assert reply[-4:] == bytes([127, 0, 0, 1])
        s.sendto(b"junk", ("127.0.0.1", port))   # ignored, and the server lives on
        s.sendto(query("x.org", ident=3), ("127.0.0.1", port))
        assert struct.unpack_from(">H", s.recvfrom(512)[0])[0] == 3
        out, _ = p.communicate("done\n", timeout=10)
        assert "STOPPED done" in out and p.returncode == 0
    finally:
        p.kill()


CAPTIVE_RETRY = """
import sys
sys.path.append("tools/host")
import vtime
vtime.install(1000)
import asyncio
from app import wiring

class App:
    dns_port = 53
    status = {}

class Point:
    def is_open(self):
        return True

calls = []
seen = []

async def serve(point, port):  # bind fails once (port taken), then answers until the AP closes
    calls.append(port)
    if len(calls) == 1:
        raise OSError(98)
    for _ in range(3):
        await asyncio.sleep(10)
        seen.append(App.status.get("captive_dns_error"))
    raise SystemExit

try:
    asyncio.run(wiring._captive_dns(App, Point(), serve))
except SystemExit:
    pass
print("SEEN", seen)
"""


def test_captive_dns_error_clears_once_a_retry_answers():
    # the status page must not keep telling the family that phones will not
    # open the page by themselves once the responder is answering again
    r = run_micropython(["-c", CAPTIVE_RETRY], timeout=60)
    assert "SEEN [None, None, None]" in r.stdout, r.stdout + r.stderr
