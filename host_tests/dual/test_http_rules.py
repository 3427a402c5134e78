# forward/http.py's rules (the small HTTP/1.1 client of the Nightscout uploader
# and the follower): parse_url's refusals and defaults, pem_to_der, the TLS
# context that verifies (CERT_REQUIRED: a client that does not verify sends the
# API secret to anyone), the request written and the connection closed, the
# answer's head (interim 1xx answers, the status line, the 512-byte line and
# 40-header limits, Date, Content-Length), the body's cuts (Content-Length,
# max_body 2048, an early EOF, HEAD reading nothing), the chunked body, and the
# plain-HTTP Date asked before a clock is set (plain_date, offer_plain_date).
# Each exchange is driven without an event loop: http.asyncio is a stand-in
# whose open_connection (http._open_connection too) hands a reader replaying
# scripted bytes and a writer recording what is written; none of its awaits suspends. The name lookup
# (http._resolve) is a stand-in too. Runs on CPython and MicroPython.
import asyncio

from fakes import swap, swap_module
from forward import http

IP = "10.0.0.9"


class Reader:
    """The answer's bytes as a server sends them: the head, up to its blank
    line, in a segment of its own, so a read never gives head and body at once
    (the client reads lines ahead, and a body byte it took while reading the
    head would be taken without being asked for); read(n) gives at most `step`
    bytes at a time. Reading at EOF on and on is an error (a loop that never
    ends at EOF fails, not hangs)."""

    def __init__(self, data, step=None):
        self.b, self.step = data, step
        self.eof_reads = 0
        ends = [i + len(m) for i, m in ((data.find(m), m) for m in (b"\r\n\r\n", b"\n\n")) if i >= 0]
        self.head_left = min(ends) if ends else 0   # bytes of the head not read yet

    def _eof(self):
        self.eof_reads += 1
        assert self.eof_reads < 50, "read on and on at EOF"

    async def read(self, n):
        # the port's Stream.read(n) waits for the socket to be readable first, even
        # for n == 0: a read of nothing after the body would wait for the server
        assert n > 0, "read(%d)" % n
        if self.step:
            n = min(n, self.step)
        if self.head_left:
            n = min(n, self.head_left)
            self.head_left -= min(n, len(self.b))
        part, self.b = self.b[:n], self.b[n:]
        if not part:
            self._eof()
        return part


class Writer:
    def __init__(self):
        self.data = b""
        self.writes = []
        self.drained = self.closed = self.waited = False

    def write(self, b):
        assert not self.closed
        self.writes.append(bytes(b))
        self.data += b

    async def drain(self):
        self.drained = True

    def close(self):
        self.closed = True

    async def wait_closed(self):
        assert self.closed
        self.waited = True


class Net:
    """asyncio and _resolve for http.py: one connection answering `answer`."""
    TimeoutError = asyncio.TimeoutError

    def __init__(self, answer=b"", step=None, fail=None):
        self.reader, self.writer = Reader(answer, step), Writer()
        self.fail = fail          # an exception open_connection raises
        self.resolved = []        # (host, port)
        self.opened = []          # (ip, port, ssl, server_hostname)
        self.timeouts = []

    def resolve(self, host, port):
        self.resolved.append((host, port))
        return IP, port

    async def open_connection(self, ip, port, ssl=None, server_hostname=None):
        self.opened.append((ip, port, ssl, server_hostname))
        if self.fail is not None:
            raise self.fail
        return self.reader, self.writer

    async def wait_for(self, coro, timeout):
        self.timeouts.append(timeout)
        return await coro

    def within(self, fn):
        return swap(http, "asyncio", self, lambda: swap(http, "_resolve", self.resolve, lambda: swap(
            http, "_open_connection", self.open_connection, fn)))


def run(coro):
    """The coroutine's result: none of the stand-ins' awaits suspends."""
    try:
        coro.send(None)
    except StopIteration as e:
        return e.args[0] if e.args else None
    raise AssertionError("the coroutine waited")


def fails(fn, kind=http.HttpError):
    """The error fn() raised: the kind asked for, or the test fails."""
    try:
        fn()
    except kind as e:
        return e
    raise AssertionError("no %s" % kind.__name__)


def exchange(answer, method="GET", max_body=2048, step=None, **kw):
    """(net, result) of one request answered by `answer`."""
    net = Net(answer, step)
    got = net.within(lambda: run(http.request(method, "ns.example", 443, "/api/v1/entries",
                                              (), max_body=max_body, **kw)))
    return net, got


def answer_of(answer, **kw):
    return exchange(answer, **kw)[1]


def refused(answer, **kw):
    return fails(lambda: answer_of(answer, **kw))


OK = b"HTTP/1.1 200 OK\r\n"


# --- parse_url ---

def test_parse_url_refuses_no_scheme_other_schemes_credentials_and_no_host():
    for url, why in (("ns.example/api", "no scheme"), ("ns.example", "no scheme"),
                     ("ftp://ns.example/", "scheme"), ("ws://ns.example", "scheme"),
                     ("://ns.example", "scheme"),
                     ("https://user:secret@ns.example/", "credentials"),
                     ("https://token@ns.example", "credentials"),
                     ("https:///api", "no host"), ("http://:8080/", "no host"), ("https://", "no host")):
        e = fails(lambda: http.parse_url(url), ValueError)
        assert why in str(e), (url, str(e))


def test_parse_url_scheme_case_default_ports_and_an_explicit_port():
    assert http.parse_url("https://ns.example") == ("https", "ns.example", 443, "")
    assert http.parse_url("http://ns.example") == ("http", "ns.example", 80, "")
    assert http.parse_url("HTTPS://ns.example") == ("https", "ns.example", 443, "")
    assert http.parse_url("Http://ns.example/") == ("http", "ns.example", 80, "")
    assert http.parse_url("http://192.168.1.10:1337") == ("http", "192.168.1.10", 1337, "")
    assert http.parse_url("https://ns.example:8443/") == ("https", "ns.example", 8443, "")
    assert http.parse_url("https://ns.example:80") == ("https", "ns.example", 80, "")
    assert http.parse_url("http://ns.example:443") == ("http", "ns.example", 443, "")
    assert http.parse_url("https://ns.example:") == ("https", "ns.example", 443, "")


def test_parse_url_base_path_without_its_trailing_slash_and_empty_when_none():
    assert http.parse_url("https://ns.example/")[3] == ""
    assert http.parse_url("https://ns.example")[3] == ""
    assert http.parse_url("https://ns.example/ns")[3] == "/ns"
    assert http.parse_url("https://ns.example/ns/")[3] == "/ns"
    assert http.parse_url("https://ns.example:8443/a/b///")[3] == "/a/b"
    # only the first "://" is the scheme's
    assert http.parse_url("https://ns.example/a://b") == ("https", "ns.example", 443, "/a://b")


# --- pem_to_der, tls_context ---

DER = bytes(range(60))
B64 = b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\r\nMDEyMzQ1Njc4OTo7\r\n"
PEM = (b"subject=CN = Test CA\r\n-----BEGIN CERTIFICATE-----\r\n" + B64
       + b"-----END CERTIFICATE-----\r\n-----BEGIN CERTIFICATE-----\r\nAAAA\r\n"
       + b"-----END CERTIFICATE-----\r\n")


def test_pem_to_der_reads_the_first_certificate_of_str_or_bytes_with_crlf_or_lf():
    assert DER[:4] == b"\x00\x01\x02\x03" and DER[-1:] == b";" and len(DER) == 60
    assert http.pem_to_der(PEM) == DER
    assert http.pem_to_der(PEM.decode()) == DER
    assert http.pem_to_der(PEM.replace(b"\r\n", b"\n")) == DER


def test_pem_to_der_passes_der_through_and_refuses_a_begin_without_end():
    der = b"\x30\x82\x01\x0a\x02\x82\x01\x01\x00-----END CERTIFICATE-----"
    assert http.pem_to_der(der) == der
    assert http.pem_to_der(b"") == b""
    e = fails(lambda: http.pem_to_der(b"-----BEGIN CERTIFICATE-----\r\n" + B64), ValueError)
    assert "END" in str(e), str(e)
    e = fails(lambda: http.pem_to_der("-----BEGIN CERTIFICATE-----\nAAAA\n"), ValueError)
    assert "END" in str(e), str(e)


class FakeTls:
    """The port's `tls` module: the context made, its verify_mode, the CA loaded."""
    PROTOCOL_TLS_CLIENT, CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = 16, 0, 1, 2
    made = []

    class SSLContext:
        def __init__(self, protocol):
            self.protocol = protocol
            self.verify_mode = FakeTls.CERT_NONE     # micropython-lib's ssl default
            self.loaded = []
            FakeTls.made.append(self)

        def load_verify_locations(self, cafile=None, cadata=None):
            self.loaded.append((cafile, cadata))


class PositionalTls(FakeTls):
    """A `tls` whose load_verify_locations takes the CA data positionally only."""
    made = []

    class SSLContext(FakeTls.SSLContext):
        def load_verify_locations(self, *args, **kw):
            if kw:
                raise TypeError("unexpected keyword argument")
            self.loaded.append(args)


def test_tls_context_requires_the_servers_certificate_and_loads_the_ca_as_der():
    FakeTls.made = []
    ctx = swap_module("tls", FakeTls, lambda: http.tls_context(PEM))
    assert FakeTls.made == [ctx] and ctx.protocol == 16
    assert ctx.verify_mode == 2       # CERT_REQUIRED
    assert ctx.loaded == [(None, DER)]
    der = b"\x30\x82\x01\x0a"
    ctx = swap_module("tls", FakeTls, lambda: http.tls_context(der))
    assert ctx.verify_mode == 2 and ctx.loaded == [(None, der)]
    # a port whose load_verify_locations takes no cadata keyword: DER, positionally
    ctx = swap_module("tls", PositionalTls, lambda: http.tls_context(PEM))
    assert ctx.verify_mode == 2 and ctx.loaded == [(DER,)]


# --- request: what is written, the connection ---

def test_request_writes_its_line_headers_and_body_and_closes_the_connection():
    body = b'[{"sgv":120}]'
    net = Net(OK + b"Content-Length: 2\r\n\r\nok")
    got = net.within(lambda: run(http.request(
        "POST", "ns.example", 443, "/api/v1/entries", (("api-secret", "abc123"), ("Content-Type", "application/json")),
        body, "CTX", 15)))
    assert got == (200, None, b"ok")
    assert net.resolved == [("ns.example", 443)]
    assert net.opened == [(IP, 443, "CTX", "ns.example")]   # the name checked, not the address
    assert net.timeouts == [15]
    assert net.writer.writes == [
        b"POST /api/v1/entries HTTP/1.1\r\nHost: ns.example\r\nConnection: close\r\n"
        b"User-Agent: bedside-cgm\r\napi-secret: abc123\r\nContent-Type: application/json\r\n"
        b"Content-Length: 13\r\n\r\n", body]
    assert net.writer.drained and net.writer.closed and net.writer.waited


def test_a_request_without_a_body_writes_the_head_alone_over_plain_tcp_with_20_s():
    net = Net(OK + b"\r\n")
    got = net.within(lambda: run(http.request("GET", "10.1.2.3", 1337, "/api/v1/status.json", ())))
    assert got == (200, None, b"")
    assert net.opened == [(IP, 1337, None, None)]
    assert net.timeouts == [20]
    assert net.writer.writes == [b"GET /api/v1/status.json HTTP/1.1\r\nHost: 10.1.2.3\r\nConnection: close\r\n"
                                 b"User-Agent: bedside-cgm\r\n\r\n"]
    # an empty body: its length said, nothing more written
    net = Net(OK + b"\r\n")
    net.within(lambda: run(http.request("PUT", "h", 80, "/x", (), b"")))
    assert net.writer.writes == [b"PUT /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
                                 b"User-Agent: bedside-cgm\r\nContent-Length: 0\r\n\r\n"]


def test_the_connection_is_closed_after_a_refused_answer_too():
    net = Net(b"garbage\r\n\r\n")
    fails(lambda: net.within(lambda: run(http.request("GET", "h", 80, "/", ()))))
    assert net.writer.closed and net.writer.waited
    net = Net(fail=OSError(113))
    fails(lambda: net.within(lambda: run(http.request("GET", "h", 80, "/", ()))), OSError)
    assert net.opened == [(IP, 80, None, None)] and not net.writer.closed


# --- the answer's head ---

def test_interim_answers_are_skipped_up_to_4_and_a_5th_refused():
    cont = b"HTTP/1.1 100 Continue\r\n\r\n"
    hints = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
    final = OK + b"Content-Length: 2\r\n\r\nok"
    assert answer_of(cont + final) == (200, None, b"ok")
    assert answer_of(cont + hints + cont + hints + final) == (200, None, b"ok")
    e = refused(cont + hints + cont + hints + cont + final)
    assert "interim" in str(e)
    # the edges of the interim range: 100 and 199 are, 99 and 200 are not; 101 is the answer
    assert answer_of(b"HTTP/1.1 199 X\r\n\r\n" + final) == (200, None, b"ok")
    assert answer_of(b"HTTP/1.1 102 Processing\r\n\r\n" + final) == (200, None, b"ok")
    assert answer_of(b"HTTP/1.1 099 X\r\nContent-Length: 1\r\n\r\n" + final) == (99, None, b"H")
    assert answer_of(b"HTTP/1.1 101 Switching Protocols\r\nContent-Length: 0\r\n\r\n" + final) == (101, None, b"")
    assert answer_of(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" + final) == (200, None, b"")


def test_the_status_line_http_1_0_and_1_1_taken_others_refused():
    assert answer_of(b"HTTP/1.0 404 Not Found\r\n\r\nnope") == (404, None, b"nope")
    assert answer_of(b"HTTP/1.1 201\r\n\r\n") == (201, None, b"")           # no reason phrase
    assert answer_of(b"HTTP/1.1 503 Service  Unavailable Now\r\n\r\n") == (503, None, b"")
    for bad in (b"", b"\r\n", b"HTTP/1.1\r\n\r\n", b"HTTP/2 200 OK\r\n\r\n", b"HTTP/2.0 200\r\n\r\n",
                b"ICY 200 OK\r\n\r\n", b"http/1.1 200 OK\r\n\r\n", b"200 OK\r\n\r\n"):
        e = refused(bad)
        assert "status line" in str(e), (bad, str(e))


def _line(n):
    """A header line of n bytes, its CRLF counted."""
    return b"X-Pad: " + b"p" * (n - 9) + b"\r\n"


def test_a_head_line_of_512_bytes_with_its_crlf_is_taken_and_513_refused():
    assert len(_line(512)) == 512 and len(_line(513)) == 513
    assert answer_of(OK + _line(512) + b"\r\nok") == (200, None, b"ok")
    assert answer_of(OK + _line(512) + b"Date: D\r\n\r\nok") == (200, "D", b"ok")
    e = refused(OK + _line(513) + b"\r\nok")
    assert "too long" in str(e)


def test_an_endless_line_is_refused_after_512_bytes_of_it():
    # the port's readline read a line whole, however long: a broken server's
    # endless header filled the heap (host_tests/test_forward.py runs it on the port)
    endless = b"p" * 4000
    for answer, what in ((b"HTTP/1.1 200 " + endless, "status line"), (OK + b"X-Pad: " + endless, "header line"),
                         (OK + b"Transfer-Encoding: chunked\r\n\r\n" + endless, "chunk size line"),
                         (OK + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello" + endless, "chunk end")):
        for step in (None, 7):
            net = Net(answer, step)
            e = fails(lambda: net.within(lambda: run(http.request("GET", "h", 80, "/", ()))))
            assert isinstance(e, http.HttpError) and str(e) == what + " too long", (what, e)
            head = len(answer) - len(endless)
            assert len(answer) - len(net.reader.b) <= head + 512 + 256, (what, len(net.reader.b))


def test_40_headers_are_taken_and_41_refused():
    def head(n):
        return OK + b"".join(("X-H%d: v\r\n" % i).encode() for i in range(n - 1)) + b"Content-Length: 2\r\n"
    assert answer_of(head(40) + b"\r\nok") == (200, None, b"ok")
    e = refused(head(41) + b"\r\nok")
    assert "too many headers" in str(e)


def test_date_and_content_length_are_read_whatever_their_case_and_spaces():
    got = answer_of(OK + b"date:  Tue, 01 Dec 2026 05:00:00 GMT \r\nServer: x\r\n"
                    b"CONTENT-LENGTH : 3\r\n\r\nabcdef")
    assert got == (200, "Tue, 01 Dec 2026 05:00:00 GMT", b"abc")
    # a bare LF ends a line as CRLF does; EOF ends the head
    assert answer_of(b"HTTP/1.1 200 OK\nDate: D\ncontent-length: 1\n\nxy") == (200, "D", b"x")
    assert answer_of(OK + b"Date: D\r\n") == (200, "D", b"")


# --- the body ---

def test_the_body_is_cut_at_content_length_and_at_max_body_2048_by_default():
    net, got = exchange(OK + b"Content-Length: 10\r\n\r\n0123456789tail", step=3)
    assert got == (200, None, b"0123456789") and net.reader.b == b"tail"
    net, got = exchange(OK + b"Content-Length: 0\r\n\r\ntail")
    assert got == (200, None, b"") and net.reader.b == b"tail"
    big = "".join("%04d" % i for i in range(1000)).encode()      # 4000 bytes
    assert answer_of(OK + b"\r\n" + big)[2] == big[:2048]
    assert answer_of(OK + b"\r\n" + big, step=7)[2] == big[:2048]
    assert answer_of(OK + b"Content-Length: 4000\r\n\r\n" + big)[2] == big[:2048]
    assert answer_of(OK + b"Content-Length: 4000\r\n\r\n" + big, max_body=100)[2] == big[:100]
    assert answer_of(OK + b"Content-Length: 50\r\n\r\n" + big, max_body=100)[2] == big[:50]
    assert answer_of(OK + b"\r\n" + big, max_body=1)[2] == b"0"
    net = Net(OK + b"\r\n" + big)
    got = net.within(lambda: run(http.request("GET", "h", 80, "/", ())))
    assert got[2] == big[:2048] and len(net.reader.b) == 4000 - 2048


def test_an_early_eof_gives_what_came():
    assert answer_of(OK + b"Content-Length: 100\r\n\r\nshort", step=2) == (200, None, b"short")
    assert answer_of(OK + b"\r\nshort") == (200, None, b"short")
    assert answer_of(OK + b"Content-Length: 100\r\n\r\n") == (200, None, b"")


def test_head_max_body_0_reads_no_body_even_when_chunked():
    for rest, left in ((b"Content-Length: 5\r\n\r\nhello", b"hello"),
                       (b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
                       (b"\r\nhello", b"hello")):
        net, got = exchange(OK + b"Date: D\r\n" + rest, method="HEAD", max_body=0)
        assert got == (200, "D", b"") and net.reader.b == left, rest


# --- chunked bodies ---

def dechunk(body, max_body=2048):
    return answer_of(OK + b"Transfer-Encoding: chunked\r\n\r\n" + body, max_body=max_body)[2]


def test_chunk_sizes_are_hex_extensions_ignored_and_the_0_chunk_ends_it():
    assert dechunk(b"10\r\n0123456789abcdef\r\n1\r\nZ\r\n0\r\n\r\nafter") == b"0123456789abcdefZ"
    assert dechunk(b"1A\r\n" + b"a" * 26 + b"\r\n0\r\n\r\n") == b"a" * 26
    assert dechunk(b"5;name=v\r\nhello\r\n0;x=y\r\nX-Trailer: 1\r\n\r\n") == b"hello"
    assert dechunk(b" 3 \r\nabc\r\n0\r\n\r\n") == b"abc"
    # the trailers are not read (a byte at a time, nothing is read ahead)
    net, got = exchange(OK + b"transfer-encoding: gzip, Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nafter", step=1)
    assert got[2] == b"ok" and net.reader.b == b"\r\nafter"


def test_a_chunk_size_line_too_long_or_not_hex_is_refused():
    pad = b"3;" + b"e" * 508 + b"\r\n"     # 512 bytes
    assert len(pad) == 512 and dechunk(pad + b"abc\r\n0\r\n\r\n") == b"abc"
    e = fails(lambda: dechunk(b"3;" + b"e" * 509 + b"\r\nabc\r\n0\r\n\r\n"))
    assert "too long" in str(e)
    for bad in (b"zz\r\nabc\r\n0\r\n\r\n", b"\r\n", b"", b"g\r\n"):
        e = fails(lambda: dechunk(bad))
        assert "bad chunk size" in str(e), (bad, str(e))


def test_a_chunk_not_ended_by_crlf_is_refused_and_max_body_is_respected():
    e = fails(lambda: dechunk(b"5\r\nhello3\r\nabc\r\n0\r\n\r\n"))
    assert "CRLF" in str(e)
    assert dechunk(b"5\r\nhello\n3\r\nabc\r\n0\r\n\r\n") == b"helloabc"
    body = b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"
    assert dechunk(body, max_body=8) == b"helloabc"
    assert dechunk(body, max_body=7) == b"helloab"
    assert dechunk(body, max_body=5) == b"hello"
    assert dechunk(body, max_body=4) == b"hell"
    # cut off inside a chunk: what came
    assert dechunk(b"5\r\nhel") == b"hel"
    big = b"800\r\n" + b"x" * 2048 + b"\r\n800\r\n" + b"y" * 2048 + b"\r\n0\r\n\r\n"
    assert dechunk(big) == b"x" * 2048
    assert dechunk(big, max_body=2049) == b"x" * 2048 + b"y"


# --- plain_date, offer_plain_date ---

DATE = "Tue, 01 Dec 2026 05:00:00 GMT"
HEAD_ANSWER = (b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://ns.example/\r\nDate: "
               + DATE.encode() + b"\r\nContent-Length: 5\r\n\r\nmoved")


def test_plain_date_sends_a_head_to_port_80_or_the_port_given_and_returns_its_date():
    net = Net(HEAD_ANSWER)
    assert net.within(lambda: run(http.plain_date("ns.example"))) == DATE
    assert net.opened == [(IP, 80, None, None)] and net.resolved == [("ns.example", 80)]
    assert net.timeouts == [20]
    assert net.writer.writes == [b"HEAD / HTTP/1.1\r\nHost: ns.example\r\nConnection: close\r\n"
                                 b"User-Agent: bedside-cgm\r\n\r\n"]
    assert net.reader.b == b"moved" and net.writer.closed     # no body read
    net = Net(HEAD_ANSWER)
    assert net.within(lambda: run(http.plain_date("ns.example", 8080, 7))) == DATE
    assert net.opened == [(IP, 8080, None, None)] and net.timeouts == [7]
    net = Net(OK + b"\r\n")
    assert net.within(lambda: run(http.plain_date("ns.example"))) is None


def offer(net, takes=True):
    dates, log = [], []

    def on_date(d):
        dates.append(d)
        return takes
    net.within(lambda: run(http.offer_plain_date("ns.example", None, 9, on_date, log.append, "nightscout")))
    return dates, log


def test_offer_plain_date_passes_the_date_on_and_logs_each_failure_without_raising():
    net = Net(HEAD_ANSWER)
    assert offer(net) == ([DATE], []) and net.opened[0][1] == 80 and net.timeouts == [9]
    assert offer(Net(HEAD_ANSWER), takes=False) == (
        [DATE], ["nightscout: no usable Date over plain HTTP"])
    assert offer(Net(OK + b"\r\n")) == ([], ["nightscout: no Date over plain HTTP"])
    assert offer(Net(fail=asyncio.TimeoutError())) == (
        [], ["nightscout: no answer over plain HTTP (asking the time)"])
    assert offer(Net(fail=OSError(104))) == (
        [], ["nightscout: plain HTTP failed (asking the time): OSError"])
    assert offer(Net(b"SSH-2.0-OpenSSH\r\n\r\n")) == (
        [], ["nightscout: plain HTTP failed (asking the time): HttpError"])
    assert offer(Net(b"HTTP/1.1 abc\r\n\r\n")) == (
        [], ["nightscout: plain HTTP failed (asking the time): ValueError"])
