# The board's socket budget, on the host (helper-126, session 29). The ESP32's
# lwIP has a fixed table of sockets: CONFIG_LWIP_MAX_SOCKETS, which
# MicroPython's ports/esp32/boards/sdkconfig.base leaves at ESP-IDF's default,
# 10 (components/lwip/Kconfig: "Max number of open sockets", default 10). Every
# socket takes a slot: TCP and UDP, listening and connected, plain and under
# TLS (the TLS object wraps one socket). A closed socket's slot is free at once
# (lwip_close frees it; TIME_WAIT keeps a TCP PCB, not a socket, and
# MAX_ACTIVE_TCP=12 in sdkconfig.base only bounds the PCBs, the oldest
# TIME_WAIT one being reused first). The unix port's sockets are bounded only
# by the process's file descriptors: hundreds.
#
#   import board_socket; board_socket.install(limit=10)   # before the firmware imports socket
#   board_socket.live()        # sockets open now (created and accepted)
#   board_socket.refused       # ["socket"|"accept", ...]: each one the budget refused
#   board_socket.limit = 4     # change it at any time (None: the host's own)
#   board_socket.host_socket(), board_socket.host_connect(ip, port)
#                              # the test's own clients (a phone, a follower): not counted
#   asyncio.create_task(board_socket.world(coro))
#                              # a coroutine of the world's (the simulator's leader box,
#                              # a phone posting a form): every socket it makes, through
#                              # asyncio's streams too, and every connection its own
#                              # listener accepts, is the host's, not counted
#   board_socket.peak          # the most sockets open at once since it was last set to 0
#   board_socket.on_refuse = f # f(what, live) at each refusal (the simulator's event)
#   board_socket.reset()       # the board's reset: every slot free again, its listeners
#                              # closed (the next boot binds their ports again); its
#                              # connections stay open on the host, as their peers
#                              # see a board that reset: nothing said
#
# The model, from the port's sources:
# - socket.socket() with every slot taken: ports/esp32/modsocket.c gets
#   ENFILE from lwip_socket, runs gc_collect() once and tries again, then
#   raises OSError(ENFILE) (23, the same number on the unix port);
# - accept() with every slot taken: lwIP's lwip_accept has already taken the
#   connection from the backlog; it finds no slot, deletes the connection
#   (the client sees it closed) and fails with ENFILE, which modsocket raises.
#   The firmware's only accept is asyncio's Server._serve (microdot's servers
#   use asyncio.start_server), which swallows a failed accept ("Ignore a failed
#   accept") and waits for the next connection. Here _serve is replaced by the
#   same loop with the budget checked after the real accept: the connection
#   is closed unanswered and the loop goes on, as on the board. (A subclass of
#   the native socket type cannot stand in for it: select.poll and tls hand
#   the native code the instance, not its socket, and poll read a wrong fd.)
# Kinder or harsher than the board: sockets are counted until close(); a
# socket the firmware drops without closing is freed on the board by the
# garbage collector (socket objects have a finaliser there, and socket()
# collects before it gives up), on the host never (the unix port's sockets
# have no finaliser): here it stays counted. The Wi-Fi driver, mDNS and the
# DNS resolver use lwIP's raw API, not sockets, on the board: nothing else is
# counted.
#
# The send buffer (off unless asked: board_socket.send_buffer = True; the simulator,
# tools/simboot.py, asks unless SEND_BUFFER=0). On the
# ESP32 a non-blocking write takes only what lwIP's send queue has room for:
# TCP_SND_BUF bytes (ESP-IDF components/lwip/Kconfig LWIP_TCP_SND_BUF_DEFAULT,
# 5760 = 4 MSS; 5744 in older IDFs) and TCP_SND_QUEUELEN segments (not set by
# ESP-IDF's lwipopts.h, so lwIP opt.h's (4 * TCP_SND_BUF + MSS - 1) / MSS = 16);
# MicroPython's ports/esp32 sdkconfig files set neither. Each write makes at
# least one segment of its own (lwip_netconn_do_writemore calls tcp_output after
# each write, and with TCP_NODELAY it is sent at once, so the next write cannot
# join it); a segment frees only when the peer's ACK comes. lwIP refuses the write
# (EAGAIN: the port's write() returns None) when either is used up, and cuts one
# that fits the segments but not the bytes. The unix port's loopback takes
# hundreds of KB at once, so a burst that the board refuses passed on the host.
#   board_socket.send_buffer = True   # the board's stream sockets made or accepted from now on
#                                     # (a TLS socket's records too: board_tls keeps the queue
#                                     # under it, polled through the TLS socket's ioctl)
#   board_socket.acking = False       # the peer's ACKs stop coming (a stalled broker)
#   board_socket.send_refused         # [bytes asked] of each write refused or cut
# The model: the ACKs of what was sent come at the event loop's next turn (asyncio
# polls the socket: vtime's poller asks poll_flags, so the real socket is polled and
# the loop waits on it as on any other), none while the firmware runs without yielding; a blocking
# write is the board's wait for them (all free). Kinder than the board: an ACK
# costs the round trip (over Wi-Fi in modem sleep, which BLE coexistence makes
# ESP-IDF require, the AP holds it until the station's next DTIM wake, about 100 ms
# or more) and here one loop turn; harsher: on the board ACKs that come during a
# long synchronous run are taken by lwIP's own task, and segments not yet sent
# (beyond the congestion window) are joined by later writes.
import sys
import socket as _real

LIMIT = 10    # CONFIG_LWIP_MAX_SOCKETS: ESP-IDF's default, kept by MicroPython's esp32 port
ENFILE = 23   # the errno the board raises (newlib and Linux: the same number)
SND_BUF = 5760    # CONFIG_LWIP_TCP_SND_BUF_DEFAULT
MSS = 1440        # CONFIG_LWIP_TCP_MSS
SND_QUEUELEN = (4 * SND_BUF + MSS - 1) // MSS   # lwIP's TCP_SND_QUEUELEN: 16

send_buffer = False
acking = True
send_refused = []

limit = None
refused = []
peak = 0
on_refuse = None
_open = []    # the real sockets handed out, until they are seen closed
_world = []   # the world's sockets made inside world(): its listeners' accepts are not counted
_listening = []   # the board's listeners (asyncio's accept loops), for reset()
_depth = [0]  # > 0 while a world() coroutine runs a step

for _k in dir(_real):
    if not _k.startswith("__") and _k != "socket":
        globals()[_k] = getattr(_real, _k)


def live():
    """Sockets open now (made by socket() or accepted), closed ones forgotten."""
    _open[:] = [s for s in _open if s.fileno() >= 0]
    return len(_open)


def _full():
    return limit is not None and live() >= limit


def _refuse(what):
    refused.append(what)
    if on_refuse is not None:
        on_refuse(what, live())


def _count(s):
    global peak
    _open.append(s)
    n = live()
    if n > peak:
        peak = n


def socket(*args):
    if _depth[0]:
        s = _real.socket(*args)
        _world[:] = [w for w in _world if w.fileno() >= 0]
        _world.append(s)
        return s
    if _full():
        _refuse("socket")
        raise OSError(ENFILE)
    s = _real.socket(*args)
    _count(s)
    if send_buffer and (len(args) < 2 or args[1] == _real.SOCK_STREAM):
        return _SendQueue(s)
    return s


try:
    from io import IOBase as _IOBase
except ImportError:
    _IOBase = object


class _SendQueue(_IOBase):
    """A board's stream socket whose non-blocking writes take what lwIP's send
    queue has room for (the model above)."""

    def __init__(self, s):
        import select
        self.s = s
        self.blocking = True
        self.queued = 0      # bytes sent and not yet acknowledged
        self.segments = 0
        self._poll = select.poll()
        self._poll.register(s, select.POLLIN)

    def _acked(self):
        if acking:
            self.queued = self.segments = 0

    def write(self, data, n=None):
        if n is not None:
            data = memoryview(data)[:n]
        if self.blocking:   # the board waits for the ACKs
            self._acked()
            return self.s.write(data)
        room = min(SND_BUF - self.queued, (SND_QUEUELEN - self.segments) * MSS)
        if room <= 0:
            send_refused.append(len(data))
            return None
        if room < len(data):
            send_refused.append(len(data))
            data = memoryview(data)[:room]
        sent = self.s.write(data)
        if sent:
            self.queued += sent
            self.segments += (sent + MSS - 1) // MSS
        return sent

    def setblocking(self, flag):
        self.blocking = bool(flag)
        return self.s.setblocking(flag)

    def settimeout(self, t):
        self.blocking = t is None or t > 0   # a timeout: the board waits (up to it)
        return self.s.settimeout(t)

    def read(self, *a):
        return self.s.read(*a)

    def readinto(self, *a):
        return self.s.readinto(*a)

    def readline(self, *a):
        return self.s.readline(*a)

    def poll_flags(self, flags):
        """The loop's turn: the ACKs have come; what to poll the socket for (the
        host's asyncio polls self.s with these, tools/host/vtime.py)."""
        self._acked()
        if self.segments >= SND_QUEUELEN or self.queued >= SND_BUF:
            return flags & ~4   # POLLOUT: not while the queue is full
        return flags

    def ioctl(self, req, arg):
        if req == 3:   # MP_STREAM_POLL (a poller other than asyncio's)
            self._poll.modify(self.s, self.poll_flags(arg))
            r = self._poll.poll(0)
            return r[0][1] if r else 0
        if req == 4:   # MP_STREAM_CLOSE: a TLS object's close() closes the stream under it
            self.close()
            return 0
        return -22     # no fileno: polled through ioctl

    def close(self):
        try:
            self._poll.unregister(self.s)
        except Exception:
            pass
        return self.s.close()

    def __getattr__(self, name):
        return getattr(self.s, name)


def reset():
    """The board's reset: every slot free (lwIP starts again) and its listeners closed,
    which the next boot binds again (left open, the LAN API's old listener kept its port:
    EADDRINUSE at each try of the next boot's server). Its connections are left open on
    the host, as their peers see a board that reset: nothing said."""
    for s in _listening:
        s.close()
    del _listening[:]
    del _open[:]


class world:
    """A coroutine of the world's, for asyncio.create_task: each of its steps runs with
    socket() handing out the host's sockets (asyncio.open_connection and start_server
    import `socket` when called), and a listener made so accepts outside the budget."""

    def __init__(self, coro):
        self.coro = coro

    def _step(self, f, *a):
        _depth[0] += 1
        try:
            return f(*a)
        finally:
            _depth[0] -= 1

    def send(self, v):
        return self._step(self.coro.send, v)

    def throw(self, *a):
        return self._step(self.coro.throw, *a)

    def close(self):
        return self.coro.close()

    def __iter__(self):
        return self

    def __next__(self):
        return self.send(None)


def host_socket(*args):
    """A socket of the test's own (a phone, a follower on the LAN): not the board's."""
    return _real.socket(*args)


def host_connect(ip, port):
    """A connected stream (asyncio's Stream: reader and writer) for the test's own
    client, outside the budget (the board's accepted socket at the other end is
    counted). The connect blocks: loopback, into the server's backlog."""
    import asyncio
    s = _real.socket()
    s.connect(_real.getaddrinfo(ip, port)[0][-1])
    s.setblocking(False)
    return asyncio.StreamWriter(s)


def _accepted(s2, listener=None):
    """An accepted connection: counted, or (no slot left) closed and None; one a
    listener of the world's accepted is the host's."""
    if any(w is listener for w in _world):
        return s2
    if _full():
        _refuse("accept")
        s2.close()
        return None
    _count(s2)
    return s2


async def _serve(self, s, cb, ssl):
    # asyncio.stream.Server._serve (MicroPython v1.29), the budget checked after
    # accept: the board's failed accept, which the original ignores in the same way
    from asyncio import core
    from asyncio.stream import Stream
    self.state = False
    boards = not any(w is s for w in _world)   # a listener of the board's, not the world's
    if boards:
        _listening[:] = [x for x in _listening if x.fileno() >= 0]
        _listening.append(s)
    while True:
        try:
            yield core._io_queue.queue_read(s)
        except core.CancelledError as er:
            s.close()
            if self.state:
                return
            else:
                raise er
        try:
            s2, addr = s.accept()
        except:  # noqa: E722 (as the original)
            continue
        if _accepted(s2, s) is None:
            continue
        if send_buffer and not ssl and boards:
            s2 = _SendQueue(s2)
        if ssl:
            try:
                s2 = ssl.wrap_socket(s2, server_side=True, do_handshake_on_connect=False)
            except OSError as e:
                core.sys.print_exception(e)
                s2.close()
                continue
        s2.setblocking(False)
        s2s = Stream(s2, {"peername": addr})
        core.create_task(cb(s2s, s2s))


def install(n=LIMIT):
    """The firmware's `socket` from here, with n sockets (None: unbounded)."""
    global limit
    limit = n
    global peak
    del refused[:]
    del send_refused[:]
    reset()
    peak = 0
    sys.modules["socket"] = sys.modules[__name__]
    import asyncio.stream
    asyncio.stream.Server._serve = _serve
