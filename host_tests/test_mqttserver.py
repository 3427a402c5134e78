"""tools/mqttserver.py, the chaos soak's MQTT broker stand-in: a real umqtt.simple client on the
MicroPython unix port, and a CPython socket client for the faults (down, refuse, hang, move,
keepalive, takeover, the will)."""
import json
import socket
import struct
import time

import pytest

from conftest import run_micropython
from mqttserver import MqttServer


def _s(b):
    return struct.pack("!H", len(b)) + b


def _pkt(first, body):
    n, out = len(body), bytearray()
    while True:
        d, n = n & 0x7F, n >> 7
        out.append(d | (0x80 if n else 0))
        if not n:
            break
    return bytes([first]) + bytes(out) + body


def connect_pkt(cid, keepalive=60, will=None):
    flags = 2 | (4 | 32 if will else 0)
    body = _s(b"MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + _s(cid)
    if will:
        body += _s(will[0]) + _s(will[1])
    return _pkt(0x10, body)


def publish_pkt(topic, payload, retain=False, qos=0, pid=1):
    body = _s(topic) + (struct.pack("!H", pid) if qos else b"") + payload
    return _pkt(0x30 | qos << 1 | int(retain), body)


def client(srv, host="127.0.0.1", cid=b"box", will=(b"cgm/availability", b"offline"), keepalive=60):
    s = socket.create_connection((host, srv.port), timeout=2)
    s.sendall(connect_pkt(cid, keepalive, will))
    return s, s.recv(4)


def wait_for(pred, timeout=3):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def srv():
    s = MqttServer()
    yield s
    s.close()


def test_publish_retain_qos1_ping_and_disconnect(srv):
    s, ack = client(srv)
    assert ack == b"\x20\x02\x00\x00"
    s.sendall(publish_pkt(b"cgm/glucose", b"123", retain=True))
    s.sendall(publish_pkt(b"cgm/trend", b"Flat", qos=1, pid=7))
    assert s.recv(4) == b"\x40\x02\x00\x07"   # PUBACK with its packet id
    s.sendall(b"\xc0\x00")
    assert s.recv(2) == b"\xd0\x00"
    s.sendall(b"\xe0\x00")   # DISCONNECT: the will is discarded
    assert wait_for(lambda: any(r["kind"] == "close" for r in srv.state()["records"]))
    st = srv.state()
    pubs = [(r["topic"], r["payload"], r["retain"], r["qos"]) for r in st["records"] if r["kind"] == "publish"]
    assert pubs == [("cgm/glucose", "123", True, 0), ("cgm/trend", "Flat", False, 1)]
    assert st["retained"] == {"cgm/glucose": "123"}


def test_lost_connection_publishes_the_will_and_empty_retained_deletes(srv):
    s, _ = client(srv)
    s.sendall(publish_pkt(b"cgm/availability", b"online", retain=True))
    s.sendall(publish_pkt(b"cgm/x", b"1", retain=True))
    s.sendall(publish_pkt(b"cgm/x", b"", retain=True))
    assert wait_for(lambda: srv.state()["retained"].get("cgm/availability") == "online")
    s.close()   # no DISCONNECT
    assert wait_for(lambda: srv.state()["retained"].get("cgm/availability") == "offline")
    assert "cgm/x" not in srv.state()["retained"]


def test_down_refuses_and_refuse_answers_connack_3(srv):
    srv.set_mode("down")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    srv.set_mode("refuse")
    s, ack = client(srv)
    assert ack == b"\x20\x02\x00\x03"
    assert s.recv(10) == b""   # closed after the refusal
    srv.set_mode("ok")
    s, ack = client(srv)
    assert ack == b"\x20\x02\x00\x00"


@pytest.mark.parametrize("mode, code", (("bad_login", 4), ("not_authorized", 5)))
def test_a_refused_login_closes_the_live_connections_and_answers_connack_4_or_5(srv, mode, code):
    # round 27: the broker restarted refusing the box's login (a Home Assistant box rebooting,
    # a password changed): the live connection is closed without its will, each CONNECT refused
    srv.tick(1000)
    live, ack = client(srv)
    assert ack == b"\x20\x02\x00\x00"
    srv.set_mode(mode, vt_ms=2000)
    live.settimeout(2)
    assert live.recv(10) == b""
    s, ack = client(srv)
    assert ack == bytes((0x20, 2, 0, code))
    assert s.recv(10) == b""   # closed after the refusal
    st = srv.state()
    assert [(r["refused"], r["t_ms"]) for r in st["records"] if r["kind"] == "connect"] == [(0, 1000), (code, 2000)]
    assert "cgm/availability" not in st["retained"]   # a broker stopped sends no wills
    srv.set_mode("ok")
    assert client(srv)[1] == b"\x20\x02\x00\x00"


def test_hang_accepts_and_answers_nothing_then_takes_it_all_at_once(srv):
    srv.tick(1000)
    srv.set_mode("hang")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=0.3)   # the kernel accepts
    s.sendall(connect_pkt(b"box") + publish_pkt(b"cgm/glucose", b"99", retain=True))
    with pytest.raises(socket.timeout):
        s.recv(4)
    assert srv.state()["retained"] == {}
    srv.tick(5000)
    srv.set_mode("ok")   # everything that waited, before the command returns
    st = srv.state()
    assert st["retained"] == {"cgm/glucose": "99"}
    late = [r for r in st["records"] if r["kind"] == "publish"]
    assert late[0]["late"] and late[0]["t_ms"] == 5000
    assert s.recv(4) == b"\x20\x02\x00\x00"


def test_keepalive_counts_on_the_worlds_clock_and_fires_the_will(srv):
    srv.tick(0)
    s, _ = client(srv, keepalive=10)
    srv.tick(14000)
    assert "cgm/availability" not in srv.state()["retained"]
    srv.tick(15001)   # 1.5 x keepalive without a packet
    st = srv.state()
    assert st["retained"]["cgm/availability"] == "offline"
    assert [r["why"] for r in st["records"] if r["kind"] == "close"] == ["keepalive"]


def test_takeover_closes_the_older_connection_with_its_will_first(srv):
    a, _ = client(srv)
    a.sendall(publish_pkt(b"cgm/availability", b"online", retain=True))
    b, _ = client(srv)
    b.sendall(publish_pkt(b"cgm/availability", b"online", retain=True))
    assert wait_for(lambda: len([r for r in srv.state()["records"] if r["kind"] == "publish"]) == 3)
    pubs = [(r["conn"], r["payload"], r["will"]) for r in srv.state()["records"] if r["kind"] == "publish"]
    assert pubs == [(1, "online", False), (1, "offline", True), (2, "online", False)]
    assert srv.state()["retained"]["cgm/availability"] == "online"


def test_move_listens_on_the_new_address_and_the_old_connection_goes_dead(srv):
    srv.tick(0)
    s, _ = client(srv)
    srv.move("127.0.0.6")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    s.sendall(b"\xc0\x00")   # the old connection: nothing answers
    s.settimeout(0.3)
    with pytest.raises(socket.timeout):
        s.recv(2)
    t, ack = client(srv, host="127.0.0.6", cid=b"box")   # takes the dead one's session over
    assert ack == b"\x20\x02\x00\x00"
    recs = srv.state()["records"]
    assert [r["why"] for r in recs if r["kind"] == "close"] == ["takeover"]


def test_control_port_lines(srv):
    c = socket.create_connection(("127.0.0.1", srv.control_port), timeout=2)
    f = c.makefile("rwb")
    for cmd in ({"cmd": "tick", "vt_ms": 42}, {"cmd": "mode", "mode": "down", "vt_ms": 50},
                {"cmd": "state"}):
        f.write(json.dumps(cmd).encode() + b"\n")
        f.flush()
        answer = json.loads(f.readline())
    assert answer["mode"] == "down" and answer["records"][-1]["t_ms"] == 50


UMQTT_PROGRAM = """
import sys, time
from umqtt.simple import MQTTClient
c = MQTTClient(b"box-1", "127.0.0.1", %d, keepalive=30)
c.set_last_will(b"cgm/availability", b"offline", retain=True)
c.connect(timeout=2)
c.publish(b"cgm/availability", b"online", retain=True)
c.publish(b"cgm/glucose", "123".encode(), retain=True)
c.publish(b"cgm/alarm", b"urgent_low", retain=True, qos=1)
c.ping()
print(c.sock.read(2))
c.sock.close()
"""


def test_a_real_umqtt_simple_client_on_micropython_is_refused_with_its_code(srv):
    srv.set_mode("not_authorized")
    prog = ("from umqtt.simple import MQTTClient, MQTTException\n"
            "c = MQTTClient(b'box-1', '127.0.0.1', %d, user=b'ha', password=b'old')\n"
            "try:\n    c.connect(timeout=2)\nexcept MQTTException as e:\n    print('REFUSED', e.args)\n" % srv.port)
    r = run_micropython(["-c", prog], timeout=60)
    assert "REFUSED (5,)" in r.stdout, r.stdout + r.stderr
    conn = [r for r in srv.state()["records"] if r["kind"] == "connect"][0]
    assert conn["refused"] == 5 and conn["user"] == "ha"


def test_a_real_umqtt_simple_client_on_micropython(srv):
    r = run_micropython(["-c", UMQTT_PROGRAM % srv.port], timeout=60)
    assert "b'\\xd0\\x00'" in r.stdout
    assert wait_for(lambda: srv.state()["retained"].get("cgm/availability") == "offline")
    st = srv.state()
    assert st["retained"]["cgm/glucose"] == "123" and st["retained"]["cgm/alarm"] == "urgent_low"
    conn = [r for r in st["records"] if r["kind"] == "connect"][0]
    assert conn["client_id"] == "box-1" and conn["keepalive"] == 30
    assert conn["will"] == ["cgm/availability", "offline", True]
