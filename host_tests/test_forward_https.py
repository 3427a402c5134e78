"""HTTPS to Nightscout on MicroPython: the uploader verifies the server's
certificate against the configured CA, and sends nothing to a server whose
certificate does not chain to it."""
import datetime
import json
import time
import os
import subprocess
import sys

import pytest

from conftest import run_micropython
from nsserver import NsServer
from testcerts import make_ca, server_cert


@pytest.fixture
def tls_server(tmp_path):
    ca_key, ca_crt = make_ca(tmp_path, "family-ca")
    _, other_crt = make_ca(tmp_path, "someone-else")
    key, crt = server_cert(tmp_path, ca_key, ca_crt)
    s = NsServer(secret="0123456789abcdef", certfile=str(crt), keyfile=str(key))
    yield s, ca_crt, other_crt
    s.close()


def _upload(server, ca, *more, readings=3, wall=None):
    """wall: the board's clock (Unix s), today's by default."""
    r = run_micropython(["host_tests/forward_mpy/ns_https.py", str(server.port),
                         str(server.control_port), str(ca)] + [str(m) for m in more], timeout=120,
                        env={"NS_READINGS": str(readings), "NS_WALL": str(int(wall or time.time())),
                             "NS_STORE": os.path.join(os.path.dirname(str(ca)), "ns_https_queue.bin")})
    return json.loads([ln for ln in r.stdout.splitlines() if ln.startswith("{")][-1])


def test_https_upload_verifies_the_server_against_the_configured_ca(tls_server):
    server, ca, other = tls_server
    out = _upload(server, ca)
    assert out["stored"] == 3 and out["queue_left"] == 0, out
    assert not out["secret_in_logs"]


def test_a_batch_larger_than_the_boards_send_queue_goes_over_https_whole(tls_server):
    # 50 readings (about 9 KB of JSON) in one batch: mbedtls writes its records into
    # lwIP's send queue (5760 bytes), which takes part and refuses the rest until the
    # server's ACKs come; the port's TLS must write them again, not lose or cut them
    server, ca, other = tls_server
    out = _upload(server, ca, readings=50)
    assert out["send_refused"] > 0, out      # the queue was full at least once
    assert out["stored"] == 50 and out["queue_left"] == 0, out
    assert out["sockets_open"] == 0, out
    assert not out["conds"], out


def test_https_refuses_a_server_the_ca_did_not_sign(tls_server):
    server, ca, other = tls_server
    out = _upload(server, other)
    assert out["stored"] == 0 and out["queue_left"] == 3, out
    assert not out["secret_in_logs"]


def test_a_refused_certificate_is_named_for_the_status_page_as_the_ports_tls_words_it(tls_server, tmp_path):
    # the words come from the port's own mbedtls (its verify text): a certificate the CA
    # did not sign, one that expired (the family's renewal failed), one made for another name
    server, ca, other = tls_server
    assert _upload(server, other)["last_failure"] == "certificate not signed by the CA file"
    ca_key = tmp_path / "family-ca.key"
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    for name, cert, said in (
            ("expired", server_cert(tmp_path, ca_key, ca, "old", not_before=now - 100 * day, not_after=now - day),
             "certificate expired, or the box's clock is ahead"),
            ("another name", server_cert(tmp_path, ca_key, ca, "other", hosts=("nas.lan",)),
             "certificate made for another host name")):
        s = NsServer(secret="0123456789abcdef", certfile=str(cert[1]), keyfile=str(cert[0]))
        try:
            out = _upload(s, ca)
        finally:
            s.close()
        assert out["stored"] == 0 and out["queue_left"] == 3, (name, out)
        assert out["last_failure"] == said, (name, out)
        assert said in " ".join(out["logs"]), (name, out)
    # stored: nothing left to say
    assert _upload(server, ca)["last_failure"] is None


def test_the_board_checks_the_certificates_dates_against_its_own_clock(tls_server):
    # mbedtls on the ESP32 reads the board's clock (CONFIG_MBEDTLS_HAVE_TIME_DATE): a clock
    # NTP set 40 days ahead finds the server's certificate (30 days) expired, one a year
    # behind finds it not valid yet; the host's own mbedtls, on the host's clock, took both
    server, ca, other = tls_server
    day = 86400
    for wall, said in ((time.time() + 40 * day, "certificate expired, or the box's clock is ahead"),
                       (time.time() - 365 * day, "certificate not valid yet, or the box's clock is behind")):
        out = _upload(server, ca, wall=wall)
        assert out["stored"] == 0 and out["queue_left"] == 3 and out["refused"] > 0, out
        assert out["last_failure"] == said, out
        assert out["sockets_open"] == 0, out
    out = _upload(server, ca, wall=time.time() + 20 * day)    # within the dates: stored
    assert out["stored"] == 3 and out["refused"] == 0, out


def test_a_handshake_that_fails_leaves_none_of_the_boards_sockets_open(tls_server):
    # a certificate the CA did not sign (a captive portal's, a wrong ca_file): the port's
    # TLS socket lets go of the socket under it when its handshake fails (modtls_mbedtls.c
    # sets its sock to NULL before raising), so closing the TLS socket closes nothing; each
    # retry's socket then held one of lwIP's 10 slots until a garbage collection, and the
    # LAN API and the setup page found none to accept with
    server, ca, other = tls_server
    out = _upload(server, other)
    assert out["stored"] == 0 and out["requests"] == 0, out
    assert out["sockets_open"] == 0, out


def test_a_box_without_a_clock_gets_the_time_over_plain_http_before_https(tls_server):
    # on the board mbedtls checks the certificate's dates against the board's clock:
    # a box whose clock was never set (NTP blocked) failed every handshake, the
    # one asking the server the time too, and never uploaded anything
    server, ca, other = tls_server
    plain = NsServer()   # the host's port 80: a redirect to https, with a Date
    try:
        out = _upload(server, ca, plain.port)
        heads = plain.state()["heads"]
    finally:
        plain.close()
    assert out["clock_set"] and out["time_source"] == "server", out
    assert out["stored"] == 3 and out["queue_left"] == 0, out
    # only the time was asked over plain HTTP: no path, no credentials
    assert heads and all(h["path"] == "/" for h in heads), heads
    assert not any(k.lower() == "api-secret" for h in heads for k in h["headers"]), heads
    assert not out["secret_in_logs"]


ASK_TIME_PAUSE = """
import sys
sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import vtime
vtime.set_wall(0)   # a box whose clock was never set
import asyncio
import clock
from forward import http
from forward.nightscout import NightscoutUploader
order = []


class Wifi:
    def is_up(self):
        return True

    async def wait_up(self):
        pass

    async def wait_quiet(self, need_ms, blocks=False, host=None, port=None):
        order.append("quiet" if blocks else "quiet (not blocking)")


async def plain_date(host, port=None, timeout_s=20):
    order.append("plain")
    raise OSError(110)   # port 80 timed out


async def request(*a, **k):
    order.append("https")
    return 200, None, b""

http.plain_date = plain_date
http.request = request
up = NightscoutUploader({"url": "http://ns.example", "lan": True, "secret": "0123456789abcdef"},
                        wifi=Wifi(), on_server_date=lambda d: None, log=lambda m: None)
up._ctx = object()   # as for an https url
assert not clock.wall_valid()
asyncio.run(up.ask_time())
print(" ".join(order))
"""


def test_after_the_plain_http_date_the_https_request_waits_for_a_pause_again():
    # the uploader's wait for a pause in the alarm's sound is taken before
    # ask_time; the plain HTTP Date comes first and takes its round trip (its
    # whole timeout when port 80 hangs): the TLS handshake that follows it then
    # started wherever the sound was, inside a burst too
    out = run_micropython(["-c", ASK_TIME_PAUSE]).stdout.split()
    assert out == ["plain", "quiet", "https"], out


def _sim_https(server, ca, tmp_path, hours, inject=None):
    """make sim (HEADLESS) with a Nightscout over HTTPS (NIGHTSCOUT_URL, NIGHTSCOUT_CA: the
    simulator puts the CA file on the board's flash). Returns the events."""
    env = dict(os.environ, HEADLESS="1", HOURS=str(hours), PLOT="", FLASH=str(tmp_path / "flash"),
               NIGHTSCOUT_URL="https://localhost:%d" % server.port,
               NIGHTSCOUT_SECRET="0123456789abcdef", NIGHTSCOUT_CA=str(ca))
    for k in ("TRACE", "START", "DAYS", "CONFIG", "MQTT", "SOCKETS", "INJECT", "SEND_BUFFER"):
        env.pop(k, None)
    if inject:
        env["INJECT"] = json.dumps(inject)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, os.path.join(root, "tools", "sim.py")], env=env,
                       capture_output=True, text=True, timeout=300, cwd=root)
    assert r.returncode == 0, r.stderr[-3000:]
    return [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]


def _end(events):
    return [e for e in events if e.get("event") == "sim_end"][0]


def test_the_simulator_uploads_over_https(tls_server, tmp_path):
    # the board's TLS (handshakes charged on the virtual clock, the clock's check, lwIP's
    # send queue under it) over simulated hours, at the simulator's speed
    server, ca, other = tls_server
    end = _end(_sim_https(server, ca, tmp_path, 2))
    assert end["send_refused"] is not None, end            # the send queue's model was on
    assert end["board_time"]["tls_handshake"][0] >= 20, end  # one per upload: HTTPS it was
    assert len(server.state()["entries"]) >= 23, end       # every reading of the 2 h arrived


def test_https_uploads_survive_a_reset_a_power_cut_and_a_router_outage(tls_server, tmp_path):
    # faults across HTTPS uploads: every reading reaches Nightscout once, in the end
    server, ca, other = tls_server
    ev = _sim_https(server, ca, tmp_path, 4, {"reset_at_s": 3000, "power_cut_at_s": [6100, 90],
                                              "wifi_down_at_s": [[9000, 10800]]})
    end = _end(ev)
    assert end["boots"] >= 3, end                           # the reset and the power's return
    assert any(e.get("event") == "router" and e.get("up") is False for e in ev)
    entries = server.state()["entries"]
    dates = [e["date"] for e in entries]
    assert len(dates) == len(set(dates)), "a reading posted twice"
    # 48 readings in 4 h, less the ones due while the board had no power (about 90 s:
    # at most one, backfilled once it is back)
    assert len(dates) >= 46, (len(dates), end)


READ_DATES = """
import sys, json, binascii
sys.path.insert(0, "tools/host")
import board_tls
out = []
for path in sys.argv[1:]:
    pem = open(path).read()
    der = binascii.a2b_base64("".join(pem.split("-----")[2].split()))
    nb, na = board_tls.validity(der)
    out.append([nb, na, board_tls.date_refusal(der, nb - 1), board_tls.date_refusal(der, nb),
                board_tls.date_refusal(der, na), board_tls.date_refusal(der, na + 1)])
print(json.dumps(out))
"""


def test_the_models_date_reader_reads_both_kinds_of_asn1_time(tmp_path):
    # RFC 5280: UTCTime through 2049 (two-digit years, 50-99 the 1900s), GeneralizedTime
    # from 2050: both as mbedtls reads them, to the second, on MicroPython
    utc = datetime.timezone.utc
    ca_key, ca = make_ca(tmp_path, "ca")
    spans = [(datetime.datetime(1999, 12, 31, 23, 59, 58, tzinfo=utc), datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=utc)),
             (datetime.datetime(2024, 2, 29, 12, 0, 1, tzinfo=utc), datetime.datetime(2050, 1, 1, 0, 0, 0, tzinfo=utc)),
             (datetime.datetime(2100, 3, 1, 0, 0, 0, tzinfo=utc), datetime.datetime(2200, 2, 28, 6, 7, 8, tzinfo=utc))]
    paths = [server_cert(tmp_path, ca_key, ca, "c%d" % i, not_before=a, not_after=b)[1]
             for i, (a, b) in enumerate(spans)]
    script = tmp_path / "dates.py"
    script.write_text(READ_DATES)
    got = json.loads(run_micropython([str(script)] + [str(p) for p in paths]).stdout)
    for (a, b), (nb, na, before, first, last, after) in zip(spans, got):
        assert (nb, na) == (int(a.timestamp()), int(b.timestamp())), (a, b, nb, na)
        assert (before, first, last, after) == ("\nThe certificate validity starts in the future\n", None, None,
                                                "\nThe certificate validity has expired\n")
