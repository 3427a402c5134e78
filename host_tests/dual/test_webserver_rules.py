# app/webserver.py's rules: the bounded microdot server under the LAN API
# (what followers read when every cloud is down) and the setup page (port 80,
# always on). What a LAN client (a broken widget, a scanner) must not be able
# to do is fill the heap the alarm task allocates from, or stop the server:
#   - a request line or header line of `line_max` bytes (CRLF included) is
#     taken, one byte more is a 400, whatever the pieces it arrives in, and an
#     endless line is cut after at most line_max + one 128-byte read; a Cookie line
#     past line_max is read to its end and dropped, COOKIE_MAX bytes in all;
#   - after the answer, the rest of a refused request (or of a body nobody read) is
#     read and dropped before the close, DRAIN_MAX bytes at most: a close on unread
#     bytes sends a reset, and the client drops the answer; a body's rest to its end
#     within the request's time, however slowly it comes, a refused head's LINGER_S;
#   - a head of 32 lines (request line, headers and the blank line that ends
#     them) is taken, 33 are a 400; 3072 bytes of head taken, 3073 a 400;
#     each request counts its own head;
#   - a body of `max_body` bytes is read whole, one more (or one cut short)
#     is a 400, the handler never called; no body at all by default;
#   - reads ask the socket for at most 256 bytes (128 for a head line), the
#     bytes already buffered first;
#   - `max_connections` requests at once are served, one more is closed
#     unanswered and counted, and the server serves again once one ends;
#   - each request runs under `timeout_s`: a client that stops sending is cut
#     off unanswered, counted, and its place freed;
#   - a handler that raises is microdot's 500, logged under the server's name
#     (the console alone kept it before); a request that fails past
#     microdot (a streamed answer that raises, a socket error) is logged under
#     the server's name; either way the connection is closed and the next
#     request served;
#   - every connection is closed the MicroPython way (close() then
#     wait_closed(): its Stream.close() does nothing, wait_closed() closes the
#     socket; a socket left open per refused caller would use up lwIP's);
#   - client_ip of an (ip, port) tuple (the ESP32, CPython) and of the unix
#     port's raw sockaddr bytes, "" for anything else, never an exception;
#   - a route without parameters is matched as text (not microdot's regular
#     expression), one with <parameters> by microdot's pattern;
#   - a request that runs out of memory (reading its head or body, in the rest of
#     microdot's parse: the header dict, the Request and its query string; in its handler)
#     is a 503 with Retry-After, not a 400 or 500, whatever 400 handler the server has; a
#     request malformed wherever microdot's parse refuses it is a 400, not counted; the
#     next bad request is a 400 again (after a handler's own body read that ran out too),
#     and so is one served while that 503 is written, and another connection's served on a real
#     event loop before a parse left unanswered ends; one past microdot is not logged for itself;
#     each is counted (`short`), and logged and told to the memory watch (on_memory)
#     once per episode: until EPISODE_S passes without one.
#
# Each request is real bytes through BoundedServer.handle_request without an
# event loop, as in test_lanapi_rules.py: a stand-in reader hands the bytes in
# pieces of `step` (then EOF, or waits for ever: a client waiting for its
# answer), a stand-in writer records the writes; app.webserver's asyncio is a
# stand-in whose wait_for records the timeout and, once the test says the time
# is up, closes the request and raises TimeoutError. microdot's handlers are
# called in place (its MicroPython way) on both runtimes, and microdot's
# class-wide Request limits are set to its own defaults (2 KB lines, 16 KB
# bodies) for each request, so the bounds seen are this module's alone (the
# LAN API sets them lower, class-wide, when it starts). CPython does not have
# micropython-lib's folder (.mpylib, where microdot is installed) on its path:
# webfakes.py puts it there for microdot's import only.
# Runs on CPython and MicroPython.
import socket
import sys

from async_steps import finish
from fakes import WallClock, _beside_clock, swap
from webfakes import Answer, Aio, Reader, Suspend, Writer, served, step as step_request


def _load():
    from app import webserver
    return webserver


webserver = _beside_clock(_load)
BadRequest, BoundedReader, BoundedServer = webserver.BadRequest, webserver.BoundedReader, webserver.BoundedServer
client_ip = webserver.client_ip

md = sys.modules["microdot.microdot"]
Request = md.Request


# --- stand-ins (webfakes.py) ------------------------------------------------------

LAN = ("192.168.1.20", 50123)


class Box:
    """A BoundedServer with a few routes; `seen` records what the handlers got."""

    def __init__(self, max_connections=4, timeout_s=5, body_length=16 * 1024, **kw):
        self.body_length = body_length   # microdot's own body read (over it: the handler's)
        self.aio = Aio()
        self.clock = WallClock()
        self.logs = []
        self.seen = []
        self.app = app = BoundedServer(max_connections, timeout_s, self.logs.append, **kw)

        def index(req):
            self.seen.append(("index", req.url, len(req.headers)))
            return "ok"

        def echo(req):
            self.seen.append(("echo", req.body))
            return "got %d" % len(req.body)

        async def slurp(req):   # reads the body itself (the setup page's save, microdot's limit 0)
            body = await req.stream.readexactly(req.content_length)
            self.seen.append(("slurp", len(body)))
            return "ok"

        def boom(req):
            self.seen.append(("boom",))
            raise ValueError("handler boom")

        def stream(req):
            def records():
                yield "["
                raise ValueError("stream boom")
            return records(), 200   # (a bare generator is a coroutine to MicroPython's microdot)

        app.route("/")(index)
        app.route("/a.b")(index)
        app.route("/echo", methods=["POST"])(echo)
        app.route("/slurp", methods=["POST"])(slurp)
        app.route("/boom")(boom)
        app.route("/stream")(stream)

    def within(self, fn):
        def limits():   # microdot's own class-wide defaults, whatever another server set
            return swap(Request, "max_readline", 2 * 1024, lambda: swap(
                Request, "max_body_length", self.body_length, lambda: swap(
                    Request, "max_content_length", 16 * 1024, fn)))

        return served(self.aio, lambda: swap(webserver, "clock", self.clock, limits))

    def start(self, raw, addr=LAN, stall=True, step=None, fail=None, reader=None):
        """(coroutine, writer, finished, reader) of a request begun and run as far as it goes."""
        w = Writer(addr, fail)
        r = reader or Reader(raw, stall, step)
        w.watch = r
        co = self.app.handle_request(r, w)
        return co, w, self.step(co), r

    def step(self, co):
        return self.within(lambda: step_request(co))

    def send(self, raw, addr=LAN, step=None, stall=True, fail=None, reader=None):
        co, w, finished, r = self.start(raw, addr, stall, step, fail, reader)
        assert finished, "the request waited"
        assert w.closed, "the connection was left open"
        self.reader = r
        self.read_at = w.read_at   # bytes read when the answer began
        return Answer(w)

    def get(self, path="/", headers="", step=None):
        return self.send(("GET %s HTTP/1.1\r\nHost: box\r\n%s\r\n" % (path, headers)).encode(), step=step)


STEPS = (None, 1, 7, 128)   # the bytes a read hands: all at once, one by one, odd pieces


def request_line(n, path="/"):
    """A GET request line of exactly n bytes, its CRLF included."""
    pad = n - len("GET %s?x= HTTP/1.1\r\n" % path)
    assert pad >= 0
    return ("GET %s?x=%s HTTP/1.1\r\n" % (path, "a" * pad)).encode()


def header(n, name="X-Pad"):
    """A header line of exactly n bytes, its CRLF included."""
    pad = n - len(name) - 4
    assert pad >= 0
    return ("%s: %s\r\n" % (name, "b" * pad)).encode()


# --- lines -----------------------------------------------------------------------------

def test_a_request_line_of_line_max_bytes_is_taken_one_more_is_a_400():
    for kw, line_max in (({}, 512), ({"line_max": 100}, 100), ({"line_max": 300}, 300)):
        for step in STEPS:
            box = Box(**kw)
            a = box.send(request_line(line_max) + b"\r\n", step=step)
            assert a.status == 200 and a.body == b"ok", (line_max, step, a.status)
            assert len(box.seen) == 1
            a = box.send(request_line(line_max + 1) + b"\r\n", step=step)
            assert a.status == 400 and len(box.seen) == 1, (line_max, step, a.status)
            assert box.logs == []


def test_a_header_line_of_line_max_bytes_is_taken_one_more_is_a_400():
    for kw, line_max in (({}, 512), ({"line_max": 100}, 100)):
        for step in STEPS:
            box = Box(**kw)
            a = box.send(request_line(40) + header(line_max) + b"\r\n", step=step)
            assert a.status == 200, (line_max, step, a.status)
            a = box.send(request_line(40) + header(line_max + 1) + b"\r\n", step=step)
            assert a.status == 400 and len(box.seen) == 1, (line_max, step, a.status)


def test_an_endless_line_is_cut_after_at_most_line_max_and_one_read():
    for kw, line_max in (({}, 512), ({"line_max": 100}, 100)):
        for step in (None, 1, 100):
            box = Box(**kw)
            a = box.send(b"GET /" + b"a" * 10000, step=step)
            assert a.status == 400 and box.seen == [], (line_max, step)
            assert box.read_at <= line_max + 128, (line_max, step, box.read_at)
            box = Box(**kw)
            a = box.send(request_line(40) + b"X-Pad: " + b"b" * 10000, step=step)
            assert a.status == 400 and box.seen == [], (line_max, step)
            assert box.read_at <= 40 + line_max + 128, (line_max, step, box.read_at)


def test_a_head_ending_in_bare_line_feeds_is_answered_while_the_client_waits():
    # netcat and some scripts end lines with LF only; the head ends at the empty
    # line, not when the client gives up (stall: it waits for its answer)
    box = Box()
    for step in STEPS:
        a = box.send(b"GET / HTTP/1.1\nHost: box\n\n", step=step)
        assert a.status == 200 and a.body == b"ok", step


def test_at_end_of_stream_the_bytes_so_far_are_the_last_line():
    # a client that sends its request line and shuts its side: microdot reads the
    # end of the head as an empty line and answers (readline's way on a stream)
    box = Box()
    for raw in (b"GET / HTTP/1.0\r\n", b"GET / HTTP/1.0\r\nHost: box", b"GET / HTTP/1.0"):
        for step in STEPS:
            a = box.send(raw, stall=False, step=step)
            assert a.status == 200 and a.body == b"ok", (raw, step, a.status)
    assert box.seen[-1] == ("index", "/", 0)
    box.send(b"GET / HTTP/1.0\r\nHost: box", stall=False)
    assert box.seen[-1] == ("index", "/", 1)
    for step in STEPS:    # the last line's bound holds without its CRLF too
        assert box.send(request_line(514)[:-2], stall=False, step=step).status == 200, step
        assert box.send(request_line(515)[:-2], stall=False, step=step).status == 400, step


def test_garbage_and_an_empty_connection_are_a_400_and_the_server_goes_on():
    box = Box()
    for raw in (b"\x16\x03\x01 hello there\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
                b"POST /echo HTTP/1.1\r\nContent-Length: ten\r\n\r\n"):
        assert box.send(raw).status == 400, raw
    assert box.send(b"", stall=False).status == 400
    assert box.seen == [] and box.logs == [] and box.app.active == 0
    assert box.get().status == 200


# --- the head --------------------------------------------------------------------------

def head_of_lines(n, line=b"X-A: 1\r\n"):
    """A head of n lines: the request line, n - 2 headers, the blank line."""
    return b"GET / HTTP/1.1\r\n" + line * (n - 2) + b"\r\n"


def test_a_head_of_32_lines_with_its_blank_line_is_taken_33_are_a_400():
    for step in STEPS:
        box = Box()
        a = box.send(head_of_lines(32), step=step)
        assert a.status == 200 and box.seen == [("index", "/", 1)], step   # 30 headers of one name
        head = b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(30)) + b"\r\n"
        assert box.send(head, step=step).status == 200 and box.seen[-1] == ("index", "/", 30)
        box.seen = []
        assert box.send(head_of_lines(33), step=step).status == 400, step
        flood = b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(1000)) + b"\r\n"
        assert box.send(flood, step=step).status == 400 and box.seen == [], step
        assert box.read_at < 32 * 16 + 128, box.read_at   # refused before its end


def test_a_head_of_3072_bytes_is_taken_3073_are_a_400():
    def head(n):
        first = b"GET / HTTP/1.1\r\n"
        rest = n - len(first) - 2
        lines = [header(500, "X-%d" % i) for i in range(rest // 500)]
        if rest % 500:
            lines.append(header(rest % 500, "X-Z"))
        h = first + b"".join(lines) + b"\r\n"
        assert len(h) == n and len(lines) + 2 <= 32
        return h
    for step in STEPS:
        box = Box()
        a = box.send(head(3072), step=step)
        assert a.status == 200 and len(box.seen) == 1, (step, a.status)
        a = box.send(head(3073), step=step)
        assert a.status == 400 and len(box.seen) == 1, (step, a.status)


def test_each_request_counts_its_own_head():
    box = Box()
    for i in range(3):
        assert box.send(head_of_lines(32)).status == 200, i
        assert box.send(head_of_lines(8, header(400))).status == 200, i   # 2.4 KB
    assert len(box.seen) == 6


class Dribble(Reader):
    """A client sending `piece` bytes a turn (a slow phone), then waiting for the answer."""

    def __init__(self, data, piece):
        Reader.__init__(self, data, True, piece)

    async def read(self, n):
        await Suspend()
        return await Reader.read(self, n)


def _few(step):
    """step, or 7 for 1: the stand-in reader records each read, and 8000 of them are more
    than the port's heap holds in one list."""
    return 7 if step == 1 else step


def test_a_cookie_line_past_line_max_is_dropped_to_its_end_one_past_cookie_max_is_a_400():
    # neither server reads a cookie: a phone holding more than 512 bytes of another gadget's
    # or a router's cookies for 192.168.4.1 got a 400 (and a reset) on every page (helper-375)
    big = webserver.COOKIE_MAX
    for name in ("Cookie", "cookie", "COOKIE"):
        for step in STEPS:
            box = Box()
            for n in (513, 3000, big - 200):
                a = box.send(request_line(40) + header(n, name) + header(30, "X-After") + b"\r\n",
                             step=step if n < 4000 else _few(step))
                assert a.status == 200 and box.seen[-1][2] == 1, (name, step, n, a.status)  # X-After alone
            assert max(box.reader.asked) <= 128, (name, step)   # a head's reads, no linger's
            a = box.send(request_line(40) + header(512, name) + b"\r\n", step=step)
            assert a.status == 200 and box.seen[-1][2] == 1, (name, step)   # within line_max: kept
            a = box.send(request_line(40) + header(big + 200, name) + b"\r\n", step=_few(step))
            assert a.status == 400 and len(box.seen) == 4, (name, step, a.status)
            assert box.read_at <= 40 + big + 200 + 128, (name, step, box.read_at)
    # COOKIE_MAX in all (a browser sends one Cookie line): not one line after another
    for step in (None, 128):
        box = Box()
        a = box.send(request_line(40) + header(big // 2, "Cookie") * 3 + b"\r\n", step=step)
        assert a.status == 400 and box.seen == [] and box.read_at < 40 + big + 512 + 2 * 128, (step, box.read_at)
        assert box.send(request_line(40) + header(big // 3, "Cookie") * 2 + b"\r\n", step=step).status == 200
    # another header, or a line that only starts like one, is no cookie
    for line in (header(600, "X-Cookie"), header(600, "Cookies")):
        assert Box().send(request_line(40) + line + b"\r\n").status == 400, line[:9]
    # a Cookie line the client ends without its line feed: refused, not waited on
    box = Box()
    for step in (None, 1):
        a = box.send(request_line(40) + b"Cookie: " + b"c" * 1000, step=step, stall=False)
        assert a.status == 400 and box.seen == [], step


def test_the_rest_of_a_refused_request_is_read_and_dropped_after_its_answer_before_the_close():
    # a close on unread bytes sends a reset, and the phone showed "connection reset" and
    # not the refusal it had been sent (helper-375); read after the answer, LINGER_S at most
    rest = b"X-More: 1\r\n" * 100 + b"\r\n"
    for step in STEPS:
        box = Box()
        a = box.send(request_line(40) + header(600) + rest, step=step)   # refused mid-head
        assert a.status == 400 and box.reader.data == b"", (step, len(box.reader.data))
        assert box.read_at <= 40 + 512 + 128 and box.aio.lingers == [webserver.LINGER_S], step
        a = box.send(b"\x16\x03\x01 garbage\r\n" + rest, step=step)   # refused by microdot's parse
        assert a.status == 400 and box.reader.data == b"", step
        a = box.send(post(b"x" * 20000), step=_few(step))   # over microdot's limit: 413, body unread
        assert a.status == 413 and box.reader.data == b"" and box.read_at < 200, (step, box.read_at)
        box = Box(body_length=100)   # a body microdot left to the handler, which did not read it
        a = box.send(post(b"x" * 300), step=step)
        assert a.status == 200 and box.seen == [("echo", b"")] and box.reader.data == b"", step
    # a body's rest, its length known, is read to its end and no further, with no
    # LINGER_S of its own: a slow phone still sending its form when the answer went
    # (read before the answer until session 70: the same bound, the page after it)
    slurp = lambda b: post(b).replace(b"/echo", b"/slurp")   # noqa: E731
    # (microdot's 400 or 413; a handler's own read refused: its 500)
    for fn, box, want in ((post, Box(), (400, 413)), (post, Box(max_body=100), (400, 413)),
                          (slurp, Box(body_length=0, max_body=100), (413, 500))):
        for size in (300, 20000):
            raw = fn(b"x" * size)
            co, w, done, r = box.start(raw, reader=Dribble(raw, 64))
            for _ in range(size):   # the client's turns: a piece each
                if done:
                    break
                done = box.step(co)
            a = Answer(w)
            assert done and w.closed and a.status in want and r.data == b"", (size, a.status, len(r.data))
            assert w.read_at < 200 + (100 if box.app.max_body else 0) and box.aio.lingers == [], (
                size, w.read_at, box.aio.lingers)
    # past DRAIN_MAX: that much, then the close
    box = Box()
    size = webserver.DRAIN_MAX + 1000
    a = box.send(post(b"x" * size))
    assert a.status == 413 and len(box.reader.data) == size - webserver.DRAIN_MAX, len(box.reader.data)
    # one byte left: read too
    box = Box(body_length=0)
    a = box.send(post(b"x"), step=1)   # (one byte a read: the head's reads leave it in the socket)
    assert a.status == 200 and box.seen == [("echo", b"")] and box.reader.data == b""
    # a request read whole (by microdot, or by its handler): closed at once
    box = Box(max_body=100)
    assert box.get().status == 200 and box.send(post(b"x" * 100)).status == 200
    assert not box.aio.lingers
    a = box.send(post(b"x" * 300))   # over max_body: refused, its body read after the answer
    assert a.status == 400 and box.reader.data == b"" and box.read_at < 200, box.read_at
    assert box.aio.lingers == [], box.aio.lingers
    box = Box(body_length=0, max_body=100)
    slurp = post(b"x" * 100).replace(b"/echo", b"/slurp")
    for step in (None, 7):
        assert box.send(slurp, step=step).status == 200 and box.seen[-1] == ("slurp", 100), step
    assert box.aio.lingers == [], box.aio.lingers


# --- bodies -----------------------------------------------------------------------------

def post(body, length=None):
    n = len(body) if length is None else length
    return b"POST /echo HTTP/1.1\r\nHost: box\r\nContent-Length: %d\r\n\r\n" % n + body


def test_a_body_of_max_body_bytes_is_read_whole_one_more_is_a_400():
    for max_body in (100, 400):
        for step in STEPS:
            box = Box(max_body=max_body)
            body = bytes(range(256)) * 2
            a = box.send(post(body[:max_body]), step=step)
            assert a.status == 200 and a.body == b"got %d" % max_body, (max_body, step, a.status)
            assert box.seen == [("echo", body[:max_body])], (max_body, step)
            a = box.send(post(body[:max_body + 1]), step=step)
            assert a.status == 400 and len(box.seen) == 1, (max_body, step, a.status)
            # said once in the log (a connection closed before a request is not: below)
            assert box.logs == ["%s: a body of %d bytes refused (over %d)" % (
                box.app.name, max_body + 1, max_body)], box.logs
            del box.logs[:]
            small = box.send(post(b"a=1"), step=step)
            assert small.status == 200 and box.seen[-1] == ("echo", b"a=1")


def test_the_body_is_read_no_further_than_its_length():
    # what follows the body (a pipelined request, junk) is not taken into it,
    # whether the body came with the head's read or after it
    body = bytes(range(100))
    for n in (10, 100):
        for step in STEPS:
            box = Box(max_body=100)
            a = box.send(post(body[:n]) + b"GET / HTTP/1.1\r\n\r\n" + b"z" * 300, step=step)
            assert a.status == 200 and box.seen == [("echo", body[:n])], (n, step)


def test_a_body_cut_short_is_a_400_not_a_wait_for_ever():
    box = Box(max_body=100)
    for step in (None, 1):
        a = box.send(post(b"x" * 5, length=10), stall=False, step=step)
        assert a.status == 400 and box.seen == [], step
    assert box.app.active == 0 and box.logs == []


def test_by_default_no_body_is_read():
    box = Box()
    a = box.send(post(b"x"))
    assert a.status == 400 and box.seen == []
    assert box.send(post(b"")).status == 200 and box.seen == [("echo", b"")]


def test_reads_ask_at_most_256_bytes_buffered_bytes_first_and_read_0_takes_nothing():
    r = Reader(b"GET / HTTP/1.1\r\n\r\n" + bytes(range(200)) * 3, stall=False)
    br = BoundedReader(r, 512, 1000)
    assert finish(br.readline()) == b"GET / HTTP/1.1\r\n" and r.asked == [128]
    assert finish(br.readline()) == b"\r\n"
    assert finish(br.read(5)) == bytes(range(5)) and r.asked == [128]   # from the buffer
    rest = finish(br.read())
    assert rest == bytes(range(5, 110)) and r.asked == [128]          # the buffer, whole
    assert finish(br.read(10)) == bytes(range(110, 120)) and r.asked == [128, 10]
    got = finish(br.read(1000))
    assert got == bytes(range(120, 200)) + bytes(range(176)) and r.asked[-1] == 256
    got = finish(br.read())
    assert got == bytes(range(176, 200)) + bytes(range(200)) and r.asked[-1] == 256
    assert finish(br.readexactly(0)) == b""
    r = Reader(b"GET / HTTP/1.1\r\n\r\n" + bytes(200), stall=False)
    br = BoundedReader(r, 512, 1000)
    finish(br.readline())
    finish(br.readline())
    assert finish(br.read(0)) == b""                    # nothing asked, nothing taken: buffered
    assert finish(br.read(-1)) == bytes(110)
    assert finish(br.read(0)) == b"" and r.data == bytes(90)   # nor from the socket


def test_readexactly_refuses_past_max_body_and_leaves_the_body_to_the_close():
    # refused before a byte is read; the close reads and drops it (a 256-byte read at a
    # time, nothing kept) after the refusal is sent: a socket closed on unread data answers
    # with a reset, which threw away the setup page's "Not saved" the phone was about to
    # read (test_setup_ap)
    r = Reader(b"x" * 21 + b"y" * 29, stall=False)
    br = BoundedReader(r, 512, 20)
    try:
        finish(br.readexactly(21))
        raise AssertionError("read 21 bytes past a bound of 20")
    except BadRequest as e:
        assert "21" in str(e)
    assert r.handed == 0 and br.left == 21 and br.too_large == 21
    finish(br.aclose())
    assert r.handed == 21 and max(r.asked) <= 256
    assert finish(br.readexactly(20)) == b"y" * 20
    # a body past DRAIN_MAX: that much dropped, the rest left (the close resets it)
    big = webserver.DRAIN_MAX + 1000
    r = Reader(b"z" * big, stall=False)
    br = BoundedReader(r, 512, 20)
    try:
        finish(br.readexactly(big))
        raise AssertionError("took a body past its bound")
    except BadRequest:
        pass
    finish(br.aclose())
    assert r.handed == webserver.DRAIN_MAX and max(r.asked) <= 256
    try:
        finish(BoundedReader(Reader(b"x" * 5, stall=False), 512, 20).readexactly(10))
        raise AssertionError("a body cut short was taken")
    except EOFError:
        pass


class _EndingReader(Reader):
    """Reader that fails a test, rather than spinning it, on more than 3 reads at the end."""

    def __init__(self, data, step=None):
        Reader.__init__(self, data, stall=False, step=step)
        self.at_end = 0

    async def read(self, n):
        if not self.data:
            self.at_end += 1
            assert self.at_end <= 3, "read on at the end of the stream"
        return await Reader.read(self, n)


def test_a_refused_body_is_dropped_to_its_last_byte_in_any_pieces_and_a_short_one_ends_it():
    # the refusal page reaches the phone only if no byte of the body is left unread
    # (a socket closed on one unread byte resets); a client that announced more than it
    # sent and closed must not keep the loop spinning (nothing else ran: the alarm path
    # with it)
    # (dropped by the close, after the refusal is sent)
    for size, step in ((21, 10), (257, None), (300, 7)):
        r = _EndingReader(b"x" * size, step)
        br = BoundedReader(r, 512, 20)
        try:
            finish(br.readexactly(size))
            raise AssertionError("took a body past its bound")
        except BadRequest:
            pass
        finish(br.aclose())
        assert r.handed == size and r.data == b"", (size, step)
    r = _EndingReader(b"x" * 100)
    br = BoundedReader(r, 512, 20)
    try:
        finish(br.readexactly(5000))
        raise AssertionError("took a body past its bound")
    except BadRequest:
        pass
    finish(br.aclose())
    assert r.handed == 100 and r.at_end == 1


# --- connections, timeout, failures ----------------------------------------------------------

def _addr(i):
    return ("192.168.1.%d" % (20 + i), 50123)


def test_max_connections_at_once_are_served_one_more_is_closed_unanswered():
    for n in (1, 2, 4):
        box = Box(max_connections=n)
        slow = [box.start(b"GET / HTTP/1.1\r\n", addr=_addr(i)) for i in range(n)]
        assert [f for co, w, f, r in slow] == [False] * n and box.app.active == n
        assert box.app.refused == 0
        co, w, finished, r = box.start(b"GET / HTTP/1.1\r\n\r\n", addr=_addr(n))
        assert finished and w.closed and w.writes == [] and r.asked == [], n
        assert box.app.refused == 1 and box.seen == []
        co, w, f, r = slow[0]               # one ends: its place is free again
        r.data, r.stall = b"\r\n", False
        assert box.step(co) and Answer(w).status == 200 and w.closed
        assert box.app.active == n - 1
        co, w, f, r = box.start(b"GET / HTTP/1.1\r\n", addr=_addr(n))
        assert not f and box.app.active == n and box.app.refused == 1
        assert box.start(b"GET / HTTP/1.1\r\n\r\n", addr=_addr(n + 1))[2] and box.app.refused == 2


def test_one_address_never_holds_every_place():
    # review29: four idle connections from one device (a scanner, a slow client that
    # reconnects) filled the LAN API: a follower box and the family's phone were shut out
    for n in (2, 4):
        box = Box(max_connections=n)
        held = [box.start(b"GET / HTTP/1.1\r\n", addr=LAN) for i in range(n - 1)]
        assert [f for co, w, f, r in held] == [False] * (n - 1)
        co, w, finished, r = box.start(b"GET / HTTP/1.1\r\n", addr=LAN)     # its next: refused
        assert finished and w.closed and w.writes == [] and box.app.refused == 1, n
        assert box.send(b"GET / HTTP/1.1\r\nHost: box\r\n\r\n", addr=_addr(9)).status == 200
        co, w, f, r = held[0]                                                 # one of its own ends
        r.data, r.stall = b"\r\n", False
        assert box.step(co) and Answer(w).status == 200
        again = box.start(b"GET / HTTP/1.1\r\n", addr=LAN)     # kept: CPython would close it
        assert not again[2] and box.app.refused == 1
        assert box.app._by_ip == {LAN[0]: n - 1}, box.app._by_ip
    box = Box(max_connections=1)    # one place: whoever comes
    assert not box.start(b"GET / HTTP/1.1\r\n", addr=LAN)[2]


def test_while_the_heap_is_short_two_requests_at_a_time_one_per_address():
    # the setup page is not paused under memory pressure (it is how the settings are
    # mended), so it narrows: slow clients held ~7 KB each (review29); with one place a
    # quiet device held it and shut the phone out (helper-139), so one per address
    short = [False]
    box = Box(max_connections=4)
    box.app.squeezed = lambda: short[0]
    held = [box.start(b"GET / HTTP/1.1\r\n", addr=_addr(i)) for i in range(3)]
    assert [h[2] for h in held] == [False] * 3 and box.app.active == 3
    short[0] = True
    co, w, finished, r = box.start(b"GET / HTTP/1.1\r\n\r\n", addr=_addr(5))
    assert finished and w.closed and w.writes == [] and box.app.refused == 1
    box = Box(max_connections=4)
    box.app.squeezed = lambda: short[0]
    quiet = box.start(b"GET / HTTP/1.1\r\n", addr=_addr(1))          # a device that says nothing
    assert quiet[2] is False
    again = box.start(b"GET / HTTP/1.1\r\n", addr=_addr(1))          # its second: refused
    assert again[2] and box.app.refused == 1
    phone = box.start(b"GET / HTTP/1.1\r\n", addr=LAN)              # the phone still gets in
    assert phone[2] is False and box.app.active == 2
    assert box.start(b"GET / HTTP/1.1\r\n\r\n", addr=_addr(3))[2] and box.app.refused == 2
    short[0] = False                      # the pressure over: every place again
    later = box.start(b"GET / HTTP/1.1\r\n", addr=_addr(4))
    assert later[2] is False and box.app.refused == 2
    box = Box(max_connections=1)          # a server of one place keeps it
    box.app.squeezed = lambda: True
    assert box.send(b"GET / HTTP/1.1\r\nHost: box\r\n\r\n", addr=LAN).status == 200
    # and each request gets at most SQUEEZED_TIMEOUT_S (5 s): two quiet devices held both
    # places for the whole timeout (helper-140)
    for timeout, squeezed, want in ((10, True, webserver.SQUEEZED_TIMEOUT_S), (10, False, 10),
                                    (2, True, 2)):
        box = Box(timeout_s=timeout)
        box.app.squeezed = lambda: squeezed
        box.get()
        assert box.aio.timeouts == [want], (timeout, squeezed, box.aio.timeouts)


def test_each_request_runs_under_timeout_s():
    box = Box(timeout_s=5)
    box.get()
    box2 = Box(timeout_s=2.5)
    box2.get()
    assert box.aio.timeouts == [5] and box2.aio.timeouts == [2.5]


def test_a_client_that_stops_sending_is_cut_off_at_the_timeout_unanswered():
    box = Box(max_connections=1)
    co, w, finished, r = box.start(b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert not finished and not w.closed and box.app.active == 1
    box.aio.expired = True
    assert box.step(co)
    assert w.closed and w.writes == [] and box.app.timeouts == 1 and box.app.active == 0
    assert box.logs == [] and box.seen == []
    box.aio.expired = False
    assert box.get().status == 200


def test_a_handler_that_raises_is_a_500_logged_by_name_and_the_next_request_is_served():
    for name in ("web", "setup"):
        box = Box(max_connections=1) if name == "web" else Box(max_connections=1, name=name)
        a = box.get("/boom")
        assert a.status == 500 and a.closed and box.seen == [("boom",)]
        # in the box's log too (the /log a family sends), not only on the console
        assert len(box.logs) == 1 and box.logs[0].startswith(name + ": GET /boom failed: "), box.logs
        assert box.app.active == 0
        assert box.get().status == 200 and len(box.logs) == 1


def test_a_request_failing_past_microdot_is_logged_by_name_closed_and_the_next_served():
    for name in ("web", "lanapi"):
        box = Box(max_connections=1) if name == "web" else Box(max_connections=1, name=name)
        a = box.get("/stream")          # the answer's stream raises half-way
        assert a.closed and a.status == 200 and a.body == b"["
        assert len(box.logs) == 1 and box.logs[0].startswith(name + ": request failed: ValueError("), box.logs
        assert "stream boom" in box.logs[0]
        assert box.app.active == 0
        a = box.send(b"GET / HTTP/1.1\r\n\r\n", fail=OSError(113))   # EHOSTUNREACH while answering
        assert a.closed and a.writes == [] and len(box.logs) == 2
        assert box.logs[1].startswith(name + ": request failed: OSError("), box.logs
        assert box.app.active == 0 and box.get().status == 200 and len(box.logs) == 2


# --- out of memory -----------------------------------------------------------------------------

class _ShortReader(Reader):
    """Reader whose read number `at` (from 1) runs out of memory, as a socket's read or
    the bytes joined after it does on a short heap."""

    def __init__(self, data, at, step=None):
        Reader.__init__(self, data, stall=False, step=step)
        self.at = at
        self.reads = 0

    async def read(self, n):
        self.reads += 1
        if self.reads == self.at:
            raise MemoryError("memory allocation failed, allocating 128 bytes")
        return await Reader.read(self, n)


def _short_box(**kw):
    box = Box(**kw)
    box.told = []
    box.app.on_memory = lambda: box.told.append(box.clock.ms())

    def oom(req):
        box.seen.append(("oom",))
        raise MemoryError()

    def oom_stream(req):
        def records():
            yield "["
            raise MemoryError()
        return records(), 200

    box.app.route("/oom")(oom)
    box.app.route("/oomstream")(oom_stream)
    return box


POST_50 = post(bytes(range(50)))   # 55 bytes of head: in 16-byte reads the body's come at reads 4-7


def test_a_request_that_runs_out_of_memory_reading_its_head_or_body_is_a_503_not_a_400():
    # helper-343: microdot took it for a malformed request, and the family's settings form
    # or a follower's poll was told it was wrong (400) with nothing on the box saying why
    for raw, at, step, kw in ((b"GET / HTTP/1.1\r\nHost: box\r\n\r\n", 1, None, {}),
                              (b"GET / HTTP/1.1\r\nHost: box\r\n\r\n", 3, 7, {}),
                              (POST_50, 6, 16, {"max_body": 100})):
        box = _short_box(**kw)
        a = box.send(raw, reader=_ShortReader(raw, at, step))
        assert a.status == 503 and box.seen == [], (raw, at, a.status, a.body)
        assert a.headers.get("retry-after") == str(webserver.RETRY_AFTER_S), a.headers
        assert box.app.short == 1 and box.app.active == 0
        # the next request is served, and a malformed one is a 400 again
        assert box.send(raw, step=step).status == 200
        assert box.send(b"GET\r\n\r\n").status == 400
        assert box.app.short == 1
    box = _short_box()      # a server with its own 400 page (the setup page's) too
    box.app.errorhandler(400)(lambda req: ("refused", 400))
    raw = b"GET / HTTP/1.1\r\n\r\n"
    assert box.send(raw, reader=_ShortReader(raw, 1)).status == 503
    assert box.send(b"GET\r\n\r\n").body == b"refused"


_NoCaseDict = md.NoCaseDict   # (md.NoCaseDict is the one below while a test swaps it in)


class _ShortHeaders(_NoCaseDict):
    """microdot's header dict (a request's, then its answer's), out of memory once: for
    the request's second header."""
    short = [True]

    def __setitem__(self, key, value):
        if len(self) and self.short[0]:
            self.short[0] = False
            raise MemoryError()
        _NoCaseDict.__setitem__(self, key, value)


def _no_memory(*args):
    raise MemoryError()


def test_a_request_that_runs_out_of_memory_in_the_rest_of_microdots_parse_is_a_503_not_a_400():
    # helper-345 left it open: past the reader (a header line's decode, the header dict,
    # the Request and its query string) microdot answered it 400 as malformed, and
    # nothing on the box counted, logged or told the memory watch
    raw = b"GET /?a=1 HTTP/1.1\r\nHost: box\r\nCookie: c=1\r\n\r\n"
    for where, obj, name, value in (("the header dict", md, "NoCaseDict", _ShortHeaders),
                                    ("the query string", md, "urldecode", _no_memory),
                                    ("the Request", Request, "G", _no_memory)):
        box = _short_box()
        a = swap(obj, name, value, lambda: box.send(raw))
        assert a.status == 503 and box.seen == [], (where, a.status, a.body)
        assert a.headers.get("retry-after") == str(webserver.RETRY_AFTER_S), (where, a.headers)
        assert box.app.short == 1 and box.told == [0] and box.app.active == 0, where
        assert len(box.logs) == 1 and box.logs[0].startswith("web: out of memory"), (where, box.logs)
        # the next request is served, and a malformed one is a 400 again
        assert box.send(raw).status == 200 and box.seen == [("index", "/?a=1", 2)], where
        assert box.send(b"GET\r\n\r\n").status == 400 and box.app.short == 1, where


def test_a_parse_that_runs_out_of_memory_and_is_left_unanswered_leaves_the_next_bad_request_a_400():
    # microdot prints the parse's exception before its 400: on a short heap the print may run
    # out of memory too, and the request ends unanswered (counted short); the stream noted
    # short must not make the next malformed request a 503
    box = _short_box()
    raw = b"GET / HTTP/1.1\r\n\r\n"
    within = box.within
    box.within = lambda fn: within(lambda: swap(md, "print_exception", _no_memory, fn))
    a = box.send(raw, reader=_ShortReader(raw, 1))
    box.within = within
    assert a.writes == [] and box.app.short == 1 and box.told == [0] and box.app.active == 0
    assert box.send(b"GET\r\n\r\n").status == 400 and box.app.short == 1


def test_a_parse_left_unanswered_is_not_another_connections_503_on_the_event_loop():
    # helper-356: on a real event loop wait_for runs the request in a task of its own, and the
    # server's `finally` that lets the note go runs only at its next turn; a connection served
    # meanwhile (a phone's preconnect, closed before a request: microdot's 400) took the note,
    # and was answered 503 and counted short a second time
    import asyncio
    box = _short_box()
    printed = []

    def print_short(e):   # microdot's print of the parse's exception, on a short heap
        printed.append(e)
        if len(printed) == 1:
            raise MemoryError()

    a, b = Writer(LAN), Writer(("192.168.1.21", 50124))

    async def both():
        await asyncio.gather(box.app.handle_request(_ShortReader(b"GET / HTTP/1.1\r\n\r\n", 1), a),
                             box.app.handle_request(Reader(b"", stall=False), b))

    swap(md, "print_exception", print_short, lambda: swap(
        webserver, "clock", box.clock, lambda: asyncio.run(both())))
    assert a.writes == [] and a.closed and b.closed, (a.writes, b.writes)
    assert Answer(b).status == 400, b.writes
    assert box.app.short == 1 and box.told == [0] and box.app._short_read is None, box.app.short


class _LateReader(Reader):
    """A client whose request comes after `turns` turns of the event loop: its parse
    started before another connection's and ends after it."""

    def __init__(self, data, turns):
        Reader.__init__(self, data, stall=False)
        self.turns = turns

    async def read(self, n):
        import asyncio
        while self.turns:
            self.turns -= 1
            await asyncio.sleep(0)
        return await Reader.read(self, n)


class _WriterAfter(Writer):
    """A client slow to take its answer: it comes once `other` has had its own (or after
    100 turns of the event loop: never a hang)."""

    def __init__(self, addr, other):
        Writer.__init__(self, addr)
        self.other = other

    async def awrite(self, b):
        import asyncio
        for _ in range(100):
            if self.other.writes:
                break
            await asyncio.sleep(0)
        await Writer.awrite(self, b)


def _parse_short_meanwhile(print_raises):
    """A malformed request whose parse began before another connection's parse ran out of
    memory, and ended while that one's 503 is written (or after its end unanswered, when
    microdot's print of the MemoryError runs out too): the short one's writer."""
    import asyncio
    box = _short_box()
    printed = []

    def print_short(e):
        printed.append(e)
        if print_raises and len(printed) == 1:   # the short parse's, not the malformed one's
            raise MemoryError()

    b = Writer(("192.168.1.21", 50124))
    a = _WriterAfter(LAN, b)

    async def both():
        await asyncio.gather(box.app.handle_request(_LateReader(b"GET\r\n\r\n", 20), b),
                             box.app.handle_request(_ShortReader(b"GET / HTTP/1.1\r\n\r\n", 1), a))

    swap(md, "print_exception", print_short, lambda: swap(
        webserver, "clock", box.clock, lambda: asyncio.run(both())))
    assert Answer(b).status == 400, b.writes
    assert box.app.short == 1 and box.told == [0] and box.app._short_read is None, box.app.short
    return a


def test_a_503_for_a_parse_short_of_memory_is_not_a_parse_under_way_meanwhile_too():
    # helper-357: the note of a parse short of memory is let go by its own 503 (error_response),
    # not only when the next parse starts: one already reading when the note was made, and
    # malformed, was answered 503 and counted short a second time
    assert Answer(_parse_short_meanwhile(False)).status == 503


def test_a_parse_left_unanswered_is_not_a_parse_under_way_meanwhile_503():
    # helper-357: the same when the short parse ends unanswered (microdot's print of it runs
    # out too): the server's `finally` lets its note go
    assert _parse_short_meanwhile(True).writes == []


def test_a_request_malformed_wherever_microdots_parse_refuses_it_is_a_400_not_counted_as_short():
    box = _short_box(max_body=100)
    box.app.errorhandler(400)(lambda req: ("refused", 400))   # (the setup page has its own)
    for raw in (b"GET /\r\n\r\n",                                       # two words
                b"GET / HTTP/1.1 x\r\n\r\n",                            # four
                b"GET / HTTP\r\n\r\n",                                  # no version
                b"GET / HTTP/1.1\r\nHost box\r\n\r\n",                   # a header without ':'
                b"POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n",     # not a length
                b"POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",   # a body cut short
                b"GET /\xff HTTP/1.1\r\n\r\n"):                             # not UTF-8
        a = box.send(raw, stall=False)
        assert a.status == 400 and a.body == b"refused", (raw, a.status, a.body)
    assert box.seen == [] and box.app.short == 0 and box.told == [] and box.logs == [], box.logs


def test_a_handler_that_runs_out_of_memory_is_a_503():
    box = _short_box()
    a = box.get("/oom")
    assert a.status == 503 and box.seen == [("oom",)] and box.app.short == 1
    assert a.headers.get("retry-after") == str(webserver.RETRY_AFTER_S), a.headers
    assert box.get("/boom").status == 500 and box.get().status == 200


def test_running_out_of_memory_is_logged_and_told_to_the_memory_watch_once_per_episode():
    # a flood on a short heap must not fill the log, nor the memory watch's count
    box = _short_box()
    raw = b"GET / HTTP/1.1\r\nHost: box\r\n\r\n"
    for i in range(20):
        box.clock.up_ms = i * 3000
        if i % 4 == 0:
            assert box.get("/oom").status == 503
        elif i % 4 == 1:
            assert box.get("/oomstream").body == b"["     # past microdot: not logged on its own
        elif i % 4 == 2:
            assert box.send(raw, reader=_ShortReader(raw, 1)).status == 503
        else:
            assert box.get().status == 200                  # served between: the same episode
    assert box.app.short == 15 and box.told == [0], box.told
    assert len(box.logs) == 1 and box.logs[0].startswith("web: out of memory"), box.logs
    # EPISODE_S without one ends it: the next is a new one
    box.clock.up_ms = 54000 + webserver.EPISODE_S * 1000 - 1   # the last came at 54 s
    assert box.get("/oom").status == 503 and len(box.told) == 1
    box.clock.up_ms += webserver.EPISODE_S * 1000
    assert box.get("/oom").status == 503 and box.told == [0, box.clock.up_ms]
    assert len(box.logs) == 2 and "17" in box.logs[1], box.logs
    box = Box(name="setup")    # a server given no memory watch: logged all the same
    box.app.route("/oom")(_out_of_memory)
    assert box.get("/oom").status == 503 and box.app.short == 1, box.logs
    assert box.logs == ["setup: out of memory: requests answered 503 (1 so far)"], box.logs


def _out_of_memory(req):
    raise MemoryError()


class _HeldWriter(Writer):
    """A client slow to take its answer: awrite waits while `held`."""

    def __init__(self, addr):
        Writer.__init__(self, addr)
        self.held = True

    async def awrite(self, b):
        while self.held:
            await Suspend()
        await Writer.awrite(self, b)


def test_a_bad_request_while_another_s_503_is_written_is_a_400():
    # the read that ran out of memory is that request's alone: a malformed request
    # served while the 503 goes out is the client's fault (400), not counted as short
    box = _short_box()
    _a_bad_request_while_a_503_is_held(box, _ShortReader(b"GET / HTTP/1.1\r\n\r\n", 1))


def _a_bad_request_while_a_503_is_held(box, reader):
    """The request of `reader` runs short; while its 503 is held, a malformed request
    from another address is a 400, and the 503 goes out when let."""
    w = _HeldWriter(LAN)
    co = box.app.handle_request(reader, w)
    assert not box.step(co), "the 503 was not held"
    assert box.send(b"GET\r\n\r\n", addr=_addr(9)).status == 400
    assert box.app.short == 1 and len(box.told) == 1
    w.held = False
    assert box.step(co) and Answer(w).status == 503 and w.closed and box.app.active == 0


def test_a_bad_request_while_a_handlers_own_body_read_s_503_is_written_is_a_400():
    # the setup page's save reads its body itself: its MemoryError is answered by the
    # handler's 503, and a malformed request (a phone's empty preconnect) served while
    # that 503 goes out was a 503 too, counted as a second request short of memory
    box = _short_box(body_length=0, max_body=100)

    async def own(req):
        return "got %d" % len(await req.stream.readexactly(req.content_length))

    box.app.route("/own", methods=["POST"])(own)
    _a_bad_request_while_a_503_is_held(box, _ShortReader(POST_50.replace(b"/echo", b"/own"), 6, 16))


def test_a_handler_that_runs_out_of_memory_reading_its_own_body_is_a_503_and_the_next_bad_request_a_400():
    # the setup page reads a body over microdot's class-wide limit itself
    # (req.stream.readexactly): its MemoryError is the handler's, microdot's 400 never
    # comes, and the stream noted as short must not make the next malformed request a 503
    for caught in (False, True):
        box = _short_box(body_length=0, max_body=100)

        async def own(req):
            try:
                body = await req.stream.readexactly(req.content_length)
            except MemoryError:
                if not caught:
                    raise
                return "try again", 500
            return "got %d" % len(body)

        box.app.route("/own", methods=["POST"])(own)
        raw = POST_50.replace(b"/echo", b"/own")
        a = box.send(raw, reader=_ShortReader(raw, 6, 16))
        assert a.status == (500 if caught else 503) and box.app.short == (0 if caught else 1), (caught, a.status)
        assert box.send(b"GET\r\n\r\n").status == 400 and box.app.short == (0 if caught else 1), caught
        assert box.send(raw, step=16).body == b"got 50"


# --- client_ip --------------------------------------------------------------------------------

class Req:
    def __init__(self, addr):
        self.client_addr = addr


def sockaddr_in(ip, port=50123, family=(2, 0)):
    """struct sockaddr_in as the unix port's sockets give it (little-endian family)."""
    return bytes(family) + bytes([port >> 8, port & 255]) + bytes(int(x) for x in ip.split(".")) + bytes(8)


def test_client_ip_of_the_esp32s_tuple_and_the_unix_ports_sockaddr():
    assert client_ip(Req(("192.168.1.20", 50123))) == "192.168.1.20"
    assert client_ip(Req(["10.0.0.7", 80])) == "10.0.0.7"
    assert client_ip(Req(sockaddr_in("192.168.1.20"))) == "192.168.1.20"
    assert client_ip(Req(bytearray(sockaddr_in("10.1.2.254")))) == "10.1.2.254"
    assert client_ip(Req(sockaddr_in("127.0.0.1"))) == "127.0.0.1"
    assert client_ip(Req(sockaddr_in("1.2.3.4")[:8])) == "1.2.3.4"   # family, port, address: enough


def test_client_ip_of_anything_else_is_empty_never_an_exception():
    for addr in (None, (), [], b"", "192.168.1.20", 17, sockaddr_in("1.2.3.4")[:7],
                 sockaddr_in("1.2.3.4", family=(10, 0)),     # AF_INET6
                 sockaddr_in("1.2.3.4", family=(0, 0)),      # AF_UNSPEC
                 sockaddr_in("1.2.3.4", family=(2, 1)),      # not AF_INET
                 sockaddr_in("1.2.3.4", family=(0, 2))):
        assert client_ip(Req(addr)) == "", addr


def test_client_ip_of_this_runtimes_own_socket_address():
    # CPython's and the ESP32's sockets give a tuple, the unix port's the raw bytes
    addr = socket.getaddrinfo("192.168.4.1", 80)[0][-1]
    assert client_ip(Req(addr)) == "192.168.4.1", addr
    box = Box()
    got = []
    box.app.route("/ip")(lambda req: got.append(client_ip(req)) or "x")
    box.send(b"GET /ip HTTP/1.1\r\n\r\n", addr=addr)
    assert got == ["192.168.4.1"]


# --- routes ------------------------------------------------------------------------------------

def test_a_path_without_parameters_is_matched_as_text():
    box = Box()
    assert box.get("/a.b").status == 200
    for path in ("/aXb", "/a.bc", "/a.b/", "/A.B", "/x/"):
        assert box.get(path).status == 404, path
    assert box.get("/echo").status == 405


def test_a_path_with_parameters_uses_microdots_pattern_and_route_gives_back_the_handler():
    box = Box()

    def user(req, name):
        return "hi " + name
    assert box.app.route("/u/<name>")(user) is user
    a = box.get("/u/ann")
    assert a.status == 200 and a.body == b"hi ann"

    def plain(req):
        return "plain"
    assert box.app.route("/p")(plain) is plain
    assert box.get("/p").body == b"plain"
