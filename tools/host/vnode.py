"""One process of a multi-process virtual air (used by tools/multitests.py).

Each unix-port process holds one `bluetooth.BLE()` controller. Its clock
moves only when the coordinator grants it, so every process shares one
virtual time (conservative lock-step): whenever the process would advance
its clock to t, it sends its frames and "W t" and waits for "G g" (g <= t,
the minimum over all processes and frames in flight). Frames between
controllers and advertising state travel as text lines:

  process -> coordinator: "H idx" hello, "M t (dst, frame)" radio frame,
      "B msg" broadcast, "S name=repr" global, "N" at multitest.next(),
      "K" skip, "W t" wants to advance to t, "D" done
  coordinator -> process: "T t" start time, "M ..." frame, "B msg",
      "X" all instances passed next(), "G t" advance to t, "Q" abort

Blocking calls keep the air alive: `time.sleep_ms()` and multitest.wait()
let the other processes run (and this controller answer them, as the real
stack does while Python is blocked) until the condition is met.
"""
import sys
import socket

socket = getattr(socket, "_real", socket)   # the coordinator's link is no board socket (board_socket)

import vtime
import vradio

_orig_advance = vtime.advance_to
_node = None


class NodeAir(vradio.Air):
    def __init__(self, node, index):
        super().__init__(seed=index + 1)
        self.node = node
        self._n_addr = (index + 1) * 256
        self.link_base = (index + 1) * 1000000

    def send(self, dst_addr, delay_us, frame):
        t = self.now() + max(1, int(delay_us))
        if dst_addr in self.controllers:
            vtime.call_at(t, self.deliver, dst_addr, frame)
        else:
            self.node.out("M %d %r" % (t, (dst_addr, frame)))

    def publish_adv(self, addr, state):
        self._set_adv(addr, state)
        self.node.out("M %d %r" % (self.now() + 1, (None, (addr, state))))

    def receive(self, t, payload):
        dst, frame = payload
        if dst is None:
            vtime.call_at(t, self._set_adv, frame[0], frame[1])
        else:
            vtime.call_at(t, self.deliver, dst, frame)


class Node:
    def __init__(self, index, port):
        self.index = index
        self.sock = socket.socket()
        self.sock.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        self.outbox = ["H %d" % index]
        self.inbox = []
        self.go = False
        self.air = NodeAir(self, index)
        vradio.set_default_air(self.air)
        self._flush()
        line = self._readline()
        if line[0] != "T":
            raise RuntimeError("vnode: bad hello reply " + line)
        _orig_advance(int(line[2:]))
        self._keepalive()

    def _keepalive(self):
        # asyncio's hook needs a due timer to jump to while every task waits
        # on the radio; the coordinator catches a test that never ends.
        vtime.call_later(5000, self._keepalive)

    def out(self, line):
        self.outbox.append(line)

    def _flush(self):
        if self.outbox:
            self.sock.write(("\n".join(self.outbox) + "\n").encode())
            self.outbox = []

    def _readline(self):
        line = self.sock.readline()
        if not line:
            raise SystemExit("vnode: coordinator gone")
        return line.decode().rstrip("\n")

    def sync(self, want_us):
        """Report the time this process wants; return the granted time."""
        self.outbox.append("W %d" % want_us)
        self._flush()
        while True:
            line = self._readline()
            c = line[0]
            if c == "G":
                return int(line[2:])
            if c == "M":
                sp = line.index(" ", 2)
                self.air.receive(int(line[2:sp]), eval(line[sp + 1:]))
            elif c == "B":
                self.inbox.append(line[2:])
            elif c == "X":
                self.go = True
            elif c == "Q":
                print("vnode: aborted by the coordinator")
                sys.exit(1)

    def step(self, want_us):
        g = self.sync(want_us)
        _orig_advance(min(g, want_us))

    def block_until(self, done):
        while not done():
            nt = vtime._next_timer()
            self.step(nt if nt is not None else vtime.monotonic_us() + 5000000)

    # replacements of vtime's clock movers
    def advance_to(self, t_us):
        if t_us > vtime.monotonic_us():
            self.step(t_us)
        else:
            _orig_advance(t_us)

    def sleep_us(self, us):
        end = vtime.monotonic_us() + int(us)
        while vtime.monotonic_us() < end:
            nt = vtime._next_timer()
            self.step(end if nt is None else min(nt, end))


class Multitest:
    """What run-multitests.py injects as `multitest`."""

    def __init__(self, node):
        self._node = node

    def flush(self):
        pass

    def skip(self):
        self._node.out("K")
        self._node._flush()
        raise SystemExit

    def next(self):
        n = self._node
        n.out("N")
        n.block_until(lambda: n.go)

    def broadcast(self, msg):
        self._node.out("B " + msg)

    def wait(self, msg):
        n = self._node

        def arrived():
            while n.inbox:
                if n.inbox.pop(0) == msg:
                    return True
            return False

        n.block_until(arrived)

    def globals(self, **gs):
        for k in gs:
            self._node.out("S %s = %r" % (k, gs[k]))

    def get_network_ip(self):
        return "127.0.0.1"

    def expect_reboot(self, resume, delay_ms=0):
        raise NotImplementedError("expect_reboot: no reboot on the virtual air")

    def output_metric(self, data):
        self._node.out("O %s" % data)


def start(index, port):
    """Join the coordinator's air; returns the `multitest` object."""
    global _node
    _node = Node(index, port)
    vtime.advance_to = _node.advance_to
    vtime.sleep_us = _node.sleep_us
    return Multitest(_node)


def finish():
    if _node is not None:
        _node.out("D")
        _node._flush()


def run(fn):
    try:
        fn()
    except SystemExit:
        raise
    except Exception as e:
        sys.print_exception(e)
    finally:
        finish()
