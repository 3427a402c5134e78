# A microdot server with bounds, shared by the LAN API and the setup page:
# at most `max_connections` requests at once (more are closed unanswered), one
# address at most all but one of them (a device that keeps them all open, a scanner
# or a slow client reconnecting, cannot shut a follower or the family's phone out),
# `timeout_s` per request (slow clients are cut off), request and header
# lines of at most `line_max` bytes (CRLF included), a head (request line,
# headers and the blank line ending them) of at most HEAD_LINES lines and
# HEAD_MAX bytes, and bodies of at most `max_body` bytes (BadRequest:
# microdot answers 400). microdot keeps every header in a dict: a
# LAN client sending thousands of short header lines within the timeout
# would otherwise fill the heap the alarm task allocates from. A failing
# request (a handler that raises: a 500) is logged and never takes the server down.
# While `squeezed()` says the heap is short (the memory watch's pressure), two
# requests at a time, one per address (with one place any quiet device shut the
# phone out), each for at most SQUEEZED_TIMEOUT_S: a slow client holds several KB
# of heap while it lasts, and the setup page, which the memory watch does not
# pause (it is how a family mends the settings), must not take what the alarm
# path needs. 5 s lets a 10-KB settings form through one lost segment's
# retransmission (3 s cut it); a timer per read instead made garbage on every read.
# A request that runs out of memory (microdot's read and parse of it, its handler) is
# the box's trouble, not the client's: a 503 with Retry-After (microdot took one in
# its parse for a malformed request: 400), counted in `short`, and logged and told to
# the memory watch (on_memory) once per episode, which ends EPISODE_S after the
# last one: a flood on a short heap fills neither the log nor the watch's count.
# A Cookie line past line_max is read and dropped (neither server reads cookies): a
# phone holding another gadget's cookies for 192.168.4.1 still gets the page. After
# the answer, before the close, what a request still sends is read and dropped: a
# close on unread bytes sends a reset, and the phone shows "connection reset" instead
# of the answer it was given. A body refused or left unread is read to its end within
# the request's time (a slow phone still sending its form gets a clean close); the
# rest of a head refused mid-way, of a length not known, for LINGER_S at most.
import asyncio

import clock
from microdot import Microdot, Request

HEAD_LINES = 32    # a browser sends about 10-15 headers
HEAD_MAX = 3072    # bytes of request line and headers together
SQUEEZED_TIMEOUT_S = 5
# what is read and dropped of a request after its answer: 32 KB, twice microdot's own
# body limit (past it the close resets: a client may send for ever)
DRAIN_MAX = 32768
# the rest of a refused head, its length not known, is read this long: TCP's initial
# retransmission timeout (RFC 6298), a lost segment sent again comes within it
LINGER_S = 1
# a Cookie line is dropped up to this long: nginx's and Apache's limit for a header line
# (8 KB), so no site that sets cookies sends a longer one
COOKIE_MAX = 8192
EPISODE_S = 60
RETRY_AFTER_S = 10


class BadRequest(ValueError):
    """The request is malformed or too large."""


def client_ip(req):
    """The caller's IP address as text ("" when unknown)."""
    return _ip(req.client_addr)


def _ip(a):
    """The ESP32's sockets give an (ip, port) tuple; the unix port's the raw sockaddr bytes."""
    if isinstance(a, (tuple, list)) and a:
        return str(a[0])
    if isinstance(a, (bytes, bytearray)) and len(a) >= 8 and a[0] == 2 and a[1] == 0:  # AF_INET
        return "%d.%d.%d.%d" % (a[4], a[5], a[6], a[7])
    return ""


class BoundedReader:
    """The request stream, refusing to buffer a line past line_max (microdot's
    readline is unbounded), a head past HEAD_LINES / HEAD_MAX (microdot reads
    the head, and only the head, with readline) or a body past max_body."""

    def __init__(self, reader, line_max, max_body, writer=None):
        self.r = reader
        self.w = writer    # microdot writes through this reader (aclose: see there)
        if writer is not None:
            self.awrite = writer.awrite   # (not a method: a coroutine frame per write)
        self.cut = False   # the parse failed: the rest of the request is unknown
        self.left = 0      # bytes of the body not read yet
        self.dropped = 0   # bytes of Cookie lines past line_max, dropped
        self.buf = b""
        self.line_max = line_max
        self.max_body = max_body
        self.head_lines = 0
        self.head_bytes = 0
        self.too_large = 0   # the length of a body refused as too large (0: none)

    async def readline(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= self.line_max or i < 0 and len(self.buf) > self.line_max:
                # (its end came in the read that took the buffer past line_max:
                # up to 127 bytes too long; microdot's own limit is class-wide,
                # 2 KB unless the LAN API has set 512)
                await self._drop_cookie()
                continue
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                self.head_lines += 1
                self.head_bytes += len(line)
                if self.head_lines > HEAD_LINES or self.head_bytes > HEAD_MAX:
                    raise BadRequest("request head over %d lines or %d bytes"
                                     % (HEAD_LINES, HEAD_MAX))
                return line
            chunk = await self.r.read(128)
            if not chunk:
                line, self.buf = self.buf, b""
                return line
            self.buf += chunk

    async def _drop_cookie(self):
        """The line in the buffer, past line_max: dropped to its end if it is a Cookie
        line, COOKIE_MAX bytes of them at most (a browser sends one), else refused."""
        if self.buf[:7].lower() != b"cookie:":
            raise BadRequest("line too long")
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                self.buf = self.buf[i + 1:]
                return
            self.dropped += len(self.buf)
            if self.dropped > COOKIE_MAX or not self.buf:
                raise BadRequest("cookies over %d bytes, or cut short" % COOKIE_MAX)
            self.buf = await self.r.read(128)

    async def read(self, n=-1):
        if self.buf:
            out = self.buf if n < 0 else self.buf[:n]
            self.buf = self.buf[len(out):]
        else:
            out = await self.r.read(min(n, 256) if n >= 0 else 256)
        self.left -= len(out)
        return out

    async def drain(self, n):
        """Read and drop at most DRAIN_MAX of a refused body's n bytes (a 256-byte read
        at a time: nothing is kept)."""
        n = min(n, DRAIN_MAX)
        while n > 0:
            c = await self.read(min(n, 256))
            if not c:
                return
            n -= len(c)

    # microdot's writer: this reader, for the linger before its close
    def get_extra_info(self, name):
        return self.w.get_extra_info(name)

    async def aclose(self):
        """Called by microdot once the answer is written (the server closes the socket
        after): the rest of a request refused or left unread is read and dropped. A body's
        rest, its length known, to its end (the answer is out: a phone slower than
        LINGER_S still gets a clean close), within the request's own timeout; a refused
        head's, not known, for LINGER_S (the client waits for the close: no end comes)."""
        try:
            if self.cut:
                await asyncio.wait_for(self.drain(DRAIN_MAX), LINGER_S)
            elif self.left > 0:
                await self.drain(self.left)
        except Exception:   # TimeoutError; or the client went
            pass

    async def readexactly(self, n):
        if n > self.max_body:
            self.too_large = self.left = n   # read after the refusal is sent (aclose)
            raise BadRequest("body of %d bytes is too large" % n)
        out = b""
        while len(out) < n:
            c = await self.read(n - len(out))
            if not c:
                raise EOFError
            out += c
        return out


_parse = Request.create


async def _create(app, reader, writer, client_addr, scheme=None):
    """microdot's Request.create, which it calls for every request and whose every
    exception it answers 400: a MemoryError in it (reading the head or body, a header
    line's decode, the header dict, the Request and its query string and cookies) is
    noted on a BoundedServer, whose error_response then answers it 503. Nothing is
    awaited between a note and its answer: one still there now is of a parse whose 400
    never came (microdot's print of it raised), not this one's."""
    bounded = isinstance(app, BoundedServer)
    if bounded:
        app._short_read = None
    try:
        req = await _parse(app, reader, writer, client_addr, scheme)
    except Exception as e:
        if bounded:
            reader.cut = not reader.too_large   # (a body too large: its length is known)
            if isinstance(e, MemoryError):
                app._short_read = reader
        raise
    if bounded and req is not None:
        reader.left = req.content_length - len(req.body)
    return req


Request.create = staticmethod(_create)


class _Path:
    """A route's path without parameters, matched as text. microdot's URLPattern
    compiles a regular expression at a route's first request and keeps it with a
    dict per path segment, for good: 1152 B for the LAN API's eight routes on the
    32-bit port. Its '.' also matched any character (/sgvXjson was /sgv.json)."""

    def __init__(self, path):
        self.url_pattern = path

    def match(self, path):
        return {} if path == self.url_pattern else None


class BoundedServer(Microdot):
    def __init__(self, max_connections, timeout_s, log, line_max=512, max_body=0, name="web"):
        super().__init__()
        self.max_connections = max_connections
        self.timeout_s = timeout_s
        self.line_max = line_max
        self.max_body = max_body
        self.name = name
        self.active = 0
        self._by_ip = {}   # address -> its requests under way
        self.refused = 0
        self.timeouts = 0
        self._log = log
        self.squeezed = None   # () -> True while the heap is short: two requests, one per address
        self.on_memory = None  # () -> the memory watch counts it: once per episode
        self.short = 0         # requests answered 503 for lack of memory
        self._short_ms = None  # clock.ms() of the last
        self._short_read = None   # the stream whose parse ran out of memory, till microdot answers
        # a handler that raises is microdot's 500, printed on the console only:
        # logged here too, so the /log a family sends when asking for help has it
        self.errorhandler(Exception)(self._failed)

    async def _failed(self, req, e):
        if isinstance(e, MemoryError):
            return self._out_of_memory()
        self._log("%s: %s %s failed: %r" % (self.name, req.method, req.path, e))
        # None: microdot answers 500

    def _out_of_memory(self):
        """Count a request refused for lack of memory; the answer to give it."""
        self.short += 1
        now = clock.ms()
        if self._short_ms is None or now - self._short_ms >= EPISODE_S * 1000:
            self._log("%s: out of memory: requests answered 503 (%d so far)" % (self.name, self.short))
            if self.on_memory is not None:
                self.on_memory()
        self._short_ms = now
        return "Short of memory: try again", 503, {"Retry-After": str(RETRY_AFTER_S)}

    async def error_response(self, req, status_code, reason=None):
        # req None, 400: microdot could not parse the request. Nothing is awaited between
        # the parse's MemoryError and this, so _short_read is that request's stream.
        if req is None and self._short_read is not None:
            self._short_read = None
            return self._out_of_memory()
        return await Microdot.error_response(self, req, status_code, reason)

    def route(self, url_pattern, methods=None):
        add = Microdot.route(self, url_pattern, methods)
        if "<" in url_pattern:
            return add   # parameters: microdot's pattern

        def added(f):
            add(f)
            e = self.url_map[-1]
            self.url_map[-1] = (e[0], _Path(url_pattern)) + e[2:]
            return f
        return added

    async def handle_request(self, reader, writer):
        ip = _ip(writer.get_extra_info("peername"))
        mine = self._by_ip.get(ip, 0)
        squeezed = self.squeezed is not None and self.squeezed()
        limit = min(2, self.max_connections) if squeezed else self.max_connections
        if self.active >= limit or (limit > 1 and mine >= limit - 1):
            self.refused += 1
            await close_quietly(writer)  # too many: dropped unanswered
            return
        self.active += 1
        self._by_ip[ip] = mine + 1
        stream = BoundedReader(reader, self.line_max, self.max_body, writer)
        try:
            await asyncio.wait_for(Microdot.handle_request(self, stream, stream),
                                   min(self.timeout_s, SQUEEZED_TIMEOUT_S) if squeezed else self.timeout_s)
            if stream.too_large:   # (a connection closed before a request is not news)
                self._log("%s: a body of %d bytes refused (over %d)" % (
                    self.name, stream.too_large, self.max_body))
        except asyncio.TimeoutError:
            self.timeouts += 1
        except MemoryError:     # past microdot (a streamed answer): its answer is under way
            self._out_of_memory()
        except Exception as e:  # a broken client must not take the server down
            self._log("%s: request failed: %r" % (self.name, e))
        finally:
            if self._short_read is stream:   # (microdot's 400 never came: its print_exception raised)
                self._short_read = None
            self.active -= 1
            n = self._by_ip[ip] - 1
            if n:
                self._by_ip[ip] = n
            else:
                del self._by_ip[ip]
            await close_quietly(writer)


async def close_quietly(writer):
    try:
        writer.close()
        await writer.wait_closed()
    except Exception:
        pass
