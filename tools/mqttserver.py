#!/usr/bin/env python3
"""An MQTT 3.1.1 broker stand-in for the chaos soak (CPython, stdlib; tools/chaos.py round 17).

Why hand-written: the soak must know every PUBLISH the broker took (topic, payload, retain,
QoS), on the world's virtual clock, and the broker must obey the world's script at virtual
moments: go down, refuse, hang, move to a new address. mosquitto can do none of that on
command (it has no control port, no notion of the simulator's clock, and cannot be frozen
and resumed with its sockets kept), so a small broker here does it, as tools/nsserver.py does
for Nightscout. It is not a full broker: no subscriptions are delivered (Home Assistant's
view is the retained store this keeps), QoS 2 is acknowledged but not delivered twice.

What it does (one thread, one selector, so the order of what it sees is the order it took):
- CONNECT: CONNACK 0 (or 3, "server unavailable", in mode "refuse"; 4, "bad user name or
  password", in mode "bad_login"; 5, "not authorized", in mode "not_authorized": then it closes); a
  second connection with the same client id takes the session over: the older one is
  closed and its will published first (MQTT 3.1.1 3.1.4-2, as mosquitto does for v3.1.1);
- PUBLISH: recorded (topic, payload, retain, qos); a retained one kept (an empty retained
  payload deletes the topic); PUBACK for QoS 1, PUBREC/PUBCOMP for QoS 2;
- PINGREQ: PINGRESP; DISCONNECT: the connection closed, its will discarded;
- a connection lost without DISCONNECT (closed by the client, a protocol error, or silent
  for 1.5 x its keepalive: 3.1.2.10) publishes its will.
Modes (set_mode, or the control port):
  "ok"; "down" (listener closed: connection refused; connections closed, no will: the
  broker was stopped; the retained store is kept, as with mosquitto's persistence);
  "refuse" (connections closed as "down", new CONNECTs get CONNACK 3); "bad_login" and
  "not_authorized" (round 27: the broker restarted refusing the box's login, CONNACK 4 or 5:
  connections closed as "down", new CONNECTs refused so; a Home Assistant box rebooting, whose
  Mosquitto add-on refuses logins until Home Assistant is up, or a password changed there);
  "hang" (the process
  frozen: the kernel still accepts connections, nothing is read or answered and no
  keepalive runs; back to "ok" everything that waited is taken at once, in one pass, before
  the command returns: `late` records); move(host): the broker listens on a new address
  (same port), the old one refuses, and the connections on the old one go dead without a
  word (nothing read or answered: their keepalive ends them, or a takeover); cut: the live
  connections go dead so (the box's router off, its reset or power cut: the broker hears
  nothing more from it).
Time: with ticks (tick(vt_ms), or "vt_ms" in any control command: the world's clock) every
record carries the virtual ms of the last tick and keepalives count in it; without, real ms
since the start.

Control port: one JSON object a line, answered by one JSON line:
  {"cmd": "mode", "mode": "hang", "vt_ms": 123}   {"cmd": "move", "host": "127.0.0.6"}
  {"cmd": "tick", "vt_ms": 10000}   {"cmd": "cut"}   {"cmd": "state"} -> {"records": [...], "retained": {...}}

    python tools/mqttserver.py [--host 127.0.0.1] [--port P] [--control-port C]
"""
import argparse
import json
import queue
import selectors
import socket
import threading
import time

MODES = ("ok", "down", "refuse", "hang", "bad_login", "not_authorized")
# the modes that answer a CONNECT with a refusal: its CONNACK return code
REFUSALS = {"refuse": 3, "bad_login": 4, "not_authorized": 5}


class _Conn:
    def __init__(self, n, sock):
        self.n = n
        self.sock = sock
        self.buf = b""
        self.client_id = None
        self.keepalive = 0
        self.will = None   # (topic, payload, retain, qos)
        self.last_ms = 0
        self.dead = False  # moved away from: never read or answered again


class MqttServer:
    def __init__(self, host="127.0.0.1", port=0, control_port=0):
        self.host = host
        self.port = port
        self.mode = "ok"
        self.records = []   # dicts, in the order the broker took them
        self.retained = {}  # topic -> payload (str, utf-8 with replacement)
        self.vt_ms = None   # the world's clock of the last tick; None: real ms
        self._t0 = time.monotonic()
        self._sel = selectors.DefaultSelector()
        self._conns = {}    # socket -> _Conn
        self._n = 0
        self._late = False
        self._listener = None
        self._cmds = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._listen()
        self._control = socket.socket()
        self._control.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._control.bind((host, control_port))
        self._control.listen(8)
        self._control.setblocking(False)
        self.control_port = self._control.getsockname()[1]
        self._sel.register(self._control, selectors.EVENT_READ, ("control", None))
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    # --- the world's side (any thread) ------------------------------------------
    def command(self, cmd):
        """Run a control command in the broker's thread; its answer."""
        done = queue.Queue()
        self._cmds.put((cmd, done))
        self._wake_w.send(b"x")
        return done.get(timeout=30)

    def set_mode(self, mode, vt_ms=None):
        return self.command({"cmd": "mode", "mode": mode, "vt_ms": vt_ms})

    def move(self, host, vt_ms=None):
        return self.command({"cmd": "move", "host": host, "vt_ms": vt_ms})

    def tick(self, vt_ms):
        return self.command({"cmd": "tick", "vt_ms": vt_ms})

    def state(self):
        return self.command({"cmd": "state"})

    def close(self):
        self.command({"cmd": "close"})
        self._thread.join(5)

    # --- the broker's thread -------------------------------------------------------
    def _now(self):
        return self.vt_ms if self.vt_ms is not None else int((time.monotonic() - self._t0) * 1000)

    def _rec(self, kind, conn=None, **kw):
        r = {"kind": kind, "t_ms": self._now(), "conn": conn.n if conn else None,
             "client_id": conn.client_id if conn else None}
        if self._late:
            r["late"] = True
        r.update(kw)
        self.records.append(r)

    def _listen(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(64)
        s.setblocking(False)
        self.port = s.getsockname()[1]
        self._listener = s
        if self.mode != "hang":
            self._sel.register(s, selectors.EVENT_READ, ("listen", None))

    def _unlisten(self):
        if self._listener is not None:
            try:
                self._sel.unregister(self._listener)
            except (KeyError, ValueError):
                pass
            self._listener.close()
            self._listener = None

    def _watch(self, on):
        """Read the listener and the live connections (on), or none of them (a hang)."""
        objs = ([self._listener] if self._listener else []) + [
            c.sock for c in self._conns.values() if not c.dead]
        for s in objs:
            try:
                if on:
                    self._sel.register(s, selectors.EVENT_READ, (
                        "listen" if s is self._listener else "conn", None))
                else:
                    self._sel.unregister(s)
            except (KeyError, ValueError):
                pass

    def _loop(self):
        while not self._stop:
            timeout = 0.5 if self.vt_ms is None else None
            for key, _ in self._sel.select(timeout):
                self._event(key)
            if self.vt_ms is None and self.mode != "hang":
                self._expire()

    def _event(self, key):
        what = key.data[0]
        if what == "wake":
            try:
                self._wake_r.recv(4096)
            except BlockingIOError:
                pass
            while True:
                try:
                    cmd, done = self._cmds.get_nowait()
                except queue.Empty:
                    break
                done.put(self._do(cmd))
        elif what == "control":
            try:
                s, _ = self._control.accept()
            except BlockingIOError:
                return
            s.setblocking(False)
            self._sel.register(s, selectors.EVENT_READ, ("ctl", [b""]))
        elif what == "ctl":
            s, box = key.fileobj, key.data[1]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                return
            except ConnectionError:
                data = b""
            if not data:
                self._sel.unregister(s)
                s.close()
                return
            box[0] += data
            while b"\n" in box[0]:
                line, box[0] = box[0].split(b"\n", 1)
                try:
                    answer = self._do(json.loads(line))
                except (ValueError, KeyError, TypeError) as e:
                    answer = {"error": repr(e)}
                s.setblocking(True)
                s.sendall(json.dumps(answer).encode() + b"\n")
                s.setblocking(False)
        elif what == "listen":
            self._accept()
        elif what == "conn":
            self._read(self._conns.get(key.fileobj))

    def _accept(self):
        while self._listener is not None:
            try:
                s, _ = self._listener.accept()
            except (BlockingIOError, OSError):
                return
            s.setblocking(False)
            self._n += 1
            c = _Conn(self._n, s)
            c.last_ms = self._now()
            self._conns[s] = c
            self._sel.register(s, selectors.EVENT_READ, ("conn", None))
            self._rec("accept", c)

    def _do(self, cmd):
        if cmd.get("vt_ms") is not None:
            self.vt_ms = max(self.vt_ms or 0, int(cmd["vt_ms"]))
        op = cmd.get("cmd")
        if op == "tick":
            if self.mode != "hang":
                self._expire()
            return {"ok": True}
        if op == "mode":
            self._set_mode(cmd["mode"])
            return {"ok": True, "mode": self.mode}
        if op == "move":
            self._move(cmd["host"])
            return {"ok": True, "host": self.host}
        if op == "cut":   # the box's network went away (its router off, a reset, a power cut)
            if any(not c.dead for c in self._conns.values()):
                self._rec("cut")
            self._cut()
            return {"ok": True}
        if op == "state":
            return {"records": list(self.records), "retained": dict(self.retained),
                    "mode": self.mode, "host": self.host, "port": self.port}
        if op == "close":
            self._stop = True
            for c in list(self._conns.values()):
                self._close(c, None)
            self._unlisten()
            return {"ok": True}
        raise KeyError(op)

    def _set_mode(self, mode):
        if mode not in MODES:
            raise ValueError(mode)
        old, self.mode = self.mode, mode
        self._rec("mode", mode=mode)
        if old == "hang" and mode != "hang":
            self._watch(True)
            if mode == "ok":   # resumed (stopped or restarted instead: nothing that waited is taken)
                self._drain()
        if mode == "hang" and old != "hang":
            self._watch(False)
        if mode == "down" or mode in REFUSALS:
            for c in list(self._conns.values()):
                self._close(c, None, why="stopped")   # a broker stopped sends no wills
        if mode == "down":
            self._unlisten()
        elif self._listener is None:
            self._listen()

    def _drain(self):
        """Back from a hang: what waited in the kernel (connections, packets, ends) is taken
        now, in one pass, before the command returns (the world goes on only then)."""
        self._late = True
        try:
            for _ in range(200):
                ready = [k for k, _ in self._sel.select(0) if k.data[0] in ("listen", "conn")]
                if not ready:
                    break
                for key in ready:
                    self._event(key)
            self._expire()
        finally:
            self._late = False

    def _cut(self):
        """The live connections go dead: nothing read from them, nothing answered; their
        keepalive ends them (the will), or a takeover."""
        for c in self._conns.values():
            if not c.dead:
                c.dead = True
                try:
                    self._sel.unregister(c.sock)
                except (KeyError, ValueError):
                    pass

    def _move(self, host):
        self._unlisten()
        self._cut()   # the old address is gone
        self._rec("move", host=host)
        self.host = host
        if self.mode != "down":
            self._listen()

    def _expire(self):
        now = self._now()
        for c in list(self._conns.values()):
            if c.keepalive and now - c.last_ms > 1500 * c.keepalive:
                self._close(c, "keepalive")

    def _close(self, c, why_will, why=None):
        """Close c; why_will: the connection was lost (its will is published), None: not."""
        self._conns.pop(c.sock, None)
        try:
            self._sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        try:
            c.sock.close()
        except OSError:
            pass
        self._rec("close", c, why=why or why_will or "disconnect")
        if why_will and c.will:
            topic, payload, retain, qos = c.will
            self._publish(c, topic, payload, retain, qos, will=True)
        c.will = None

    def _publish(self, c, topic, payload, retain, qos, will=False):
        t = topic.decode("utf-8", "replace")
        p = payload.decode("utf-8", "replace")
        self._rec("publish", c, topic=t, payload=p, retain=bool(retain), qos=qos, will=will)
        if retain:
            if payload:
                self.retained[t] = p
            else:
                self.retained.pop(t, None)

    def _send(self, c, data):
        try:
            c.sock.sendall(data)
        except OSError:
            pass

    def _read(self, c):
        if c is None or c.dead:
            return
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(c, "closed by client")
            return
        c.buf += data
        while c in self._conns.values():
            pkt = _packet(c.buf)
            if pkt is None:
                return
            if pkt is False:
                self._close(c, "protocol error")
                return
            (first, body), size = pkt
            c.buf = c.buf[size:]
            c.last_ms = self._now()
            if not self._handle(c, first, body):
                return

    def _handle(self, c, first, body):
        kind = first >> 4
        try:
            if c.client_id is None and kind != 1:
                raise ValueError("first packet not CONNECT")
            if kind == 1:
                return self._connect(c, body)
            if kind == 3:
                qos = (first >> 1) & 3
                topic, i = _str(body, 0)
                pid = None
                if qos:
                    pid = body[i:i + 2]
                    i += 2
                self._publish(c, topic, body[i:], first & 1, qos)
                if qos == 1:
                    self._send(c, b"\x40\x02" + pid)
                elif qos == 2:
                    self._send(c, b"\x50\x02" + pid)
            elif kind == 6:   # PUBREL
                self._send(c, b"\x70\x02" + body[:2])
            elif kind == 12:
                self._rec("ping", c)
                self._send(c, b"\xd0\x00")
            elif kind == 14:
                self._close(c, None, why="disconnect")
                return False
            elif kind == 8:   # SUBSCRIBE: granted QoS 0, nothing delivered (not needed here)
                n = (len(body) - 2) // 3
                self._send(c, bytes([0x90, 2 + n]) + body[:2] + b"\x00" * n)
            else:
                raise ValueError("packet type %d" % kind)
        except (ValueError, IndexError) as e:
            self._rec("error", c, why=str(e))
            self._close(c, "protocol error")
            return False
        return True

    def _connect(self, c, body):
        if c.client_id is not None:
            raise ValueError("second CONNECT")
        name, i = _str(body, 0)
        level, flags = body[i], body[i + 1]
        if name != b"MQTT" or level != 4:
            raise ValueError("not MQTT 3.1.1")
        c.keepalive = (body[i + 2] << 8) | body[i + 3]
        i += 4
        cid, i = _str(body, i)
        c.client_id = cid.decode("utf-8", "replace")
        will = None
        if flags & 4:
            wt, i = _str(body, i)
            wm, i = _str(body, i)
            will = (wt, wm, bool(flags & 32), (flags >> 3) & 3)
        user = None
        if flags & 128:
            user, i = _str(body, i)
        if flags & 64:
            _, i = _str(body, i)
        code = REFUSALS.get(self.mode)
        if code:
            self._rec("connect", c, refused=code, keepalive=c.keepalive,
                      user=user.decode("utf-8", "replace") if user else None)
            self._send(c, bytes((0x20, 2, 0, code)))
            self._close(c, None, why="refused")
            return False
        for other in list(self._conns.values()):
            if other is not c and other.client_id == c.client_id:
                self._close(other, "takeover")
        c.will = will
        self._rec("connect", c, refused=0, keepalive=c.keepalive,
                  will=[will[0].decode(), will[1].decode(), will[2]] if will else None,
                  user=user.decode("utf-8", "replace") if user else None)
        self._send(c, b"\x20\x02\x00\x00")
        return True


def _packet(buf):
    """((first byte, body), size) of the first whole packet in buf; None: not all there yet;
    False: a malformed length."""
    if len(buf) < 2:
        return None
    n, shift, i = 0, 0, 1
    while True:
        if i >= len(buf):
            return None
        b = buf[i]
        n |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            break
        shift += 7
        if shift > 21:
            return False
    if len(buf) < i + n:
        return None
    return (buf[0], buf[i:i + n]), i + n


def _str(body, i):
    n = (body[i] << 8) | body[i + 1]
    if i + 2 + n > len(body):
        raise ValueError("string past the packet")
    return bytes(body[i + 2:i + 2 + n]), i + 2 + n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    a = ap.parse_args()
    srv = MqttServer(a.host, a.port, a.control_port)
    print(json.dumps({"port": srv.port, "control_port": srv.control_port}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.close()


if __name__ == "__main__":
    main()
