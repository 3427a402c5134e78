# Shared set-up for the forwarding test programs run on MicroPython:
# virtual clock, a `machine.RTC` that sets it (clock.set_unix needs one; the
# unix port's machine has none), the host `network` fake, and a tiny blocking
# client for the test servers' control ports (test code only).
import sys

sys.path.insert(0, "tools/host")
import vtime

vtime.install(0, wall_unix=1700000000)
import board_tls

board_tls.install()   # certificates checked against the board's clock, as on the ESP32
import machine

if not hasattr(machine, "RTC"):
    class _RTC:
        def datetime(self, t=None):
            if t is None:
                return None
            y, mo, d, _wd, h, mi, s = t[:7]
            vtime.set_wall(vtime.mktime((y, mo, d, h, mi, s)))

    machine.RTC = _RTC

import json
import socket


def control(port, method="GET", path="/state", doc=None):
    """Blocking HTTP to a test server's control port (not firmware code)."""
    s = socket.socket()
    s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    body = json.dumps(doc).encode() if doc is not None else b""
    s.write(("%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (method, path, len(body))).encode() + body)
    data = b""
    while True:
        c = s.read(4096)
        if not c:
            break
        data += c
    s.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


def now_ms():
    return vtime.monotonic_us() // 1000


def real_us():
    return vtime._rt.ticks_us()


def real_diff_us(a, b):
    return vtime._rt.ticks_diff(a, b)


SNAPSHOT_END = "test-sub/end"


def mqtt_snapshot(port):
    """Retained messages on the broker at 127.0.0.1:port right now (a test-side
    subscriber, test code only): read until a message of its own, published once
    subscribed, comes back (a broker sends a subscription's retained messages
    first), and for 400 ms at least (a publish the broker was still working
    through comes live). Read for 400 ms only, a subscriber the loaded machine held
    up that long read none of them."""
    from umqtt.simple import MQTTClient
    rt = vtime._rt
    got = {}
    c = MQTTClient("test-sub", "127.0.0.1", port, keepalive=30)
    c.set_callback(lambda t, m: got.__setitem__(t.decode(), m.decode()))
    c.connect(timeout=2)
    c.subscribe(b"#")
    c.publish(SNAPSHOT_END.encode(), b"end")
    t0 = rt.ticks_ms()
    while SNAPSHOT_END not in got or rt.ticks_diff(rt.ticks_ms(), t0) < 400:
        if rt.ticks_diff(rt.ticks_ms(), t0) > 20000:
            raise OSError("mqtt_snapshot: its own message never came back")
        c.sock.setblocking(False)
        try:
            if c.wait_msg() is None:
                rt.sleep_ms(1)
        except OSError:
            pass
    del got[SNAPSHOT_END]
    c.sock.close()
    return got


async def real_time_heartbeat(pubs=()):
    """umqtt writes outside asyncio, so vtime does not wait for the broker's
    answer by itself: give the real world 1 ms of real time per 500 ms. And when
    one of `pubs` (MqttPublishers) has a ping out, wait for the broker's answer
    (once a ping, up to PING_WAIT_MS of real time) before the virtual clock goes
    on: on a loaded machine the PINGRESP came after the keepalive's 10 virtual s
    (about 20 ms of real time), and the publisher took a live broker for gone."""
    import asyncio
    import select
    waited = {}   # id(pub): the ping waited for (a publisher that never reads its
    while True:   # answers is not waited for at every beat, only once a ping)
        await asyncio.sleep_ms(500)
        vtime._rt.sleep_ms(1)
        for pub in pubs:
            cl, ping = pub._client, pub._ping_at
            if cl is not None and ping is not None and waited.get(id(pub)) != ping:
                waited[id(pub)] = ping
                p = select.poll()
                p.register(cl.sock.s, select.POLLIN)   # the answer, or the broker's close
                p.poll(PING_WAIT_MS)


PING_WAIT_MS = 1000
