# forward/http.py's rules (the small HTTP/1.1 client of the Nightscout uploader
# and the follower): parse_url's refusals and defaults, pem_to_der, the TLS
# context that verifies (CERT_REQUIRED: a client that does not verify sends the
# API secret to anyone), the request written and the connection closed, the
# answer's head (interim 1xx answers, the status line, the 512-byte line and
# 40-header limits, Date, Content-Length), the body's cuts (Content-Length,
# max_body 2048, an early EOF, HEAD reading nothing), the chunked body, and the
# plain-HTTP Date asked before a clock is set (plain_date, offer_plain_date),
# and the connect itself (_open_connection: its socket closed on every failure,
# the failure raised as the request's OSError, the socket non-blocking through
# the connect and after TLS is wrapped; its own section at the end).
# Each exchange is driven without an event loop: http.asyncio is a stand-in
# whose open_connection (http._open_connection too) hands a reader replaying
# scripted bytes and a writer recording what is written; none of its awaits suspends. The name lookup
# (http._resolve) is a stand-in too. Runs on CPython and MicroPython.
import asyncio

from async_steps import finish
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
    got = net.within(lambda: finish(http.request(method, "ns.example", 443, "/api/v1/entries",
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
    got = net.within(lambda: finish(http.request(
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
    got = net.within(lambda: finish(http.request("GET", "10.1.2.3", 1337, "/api/v1/status.json", ())))
    assert got == (200, None, b"")
    assert net.opened == [(IP, 1337, None, None)]
    assert net.timeouts == [20]
    assert net.writer.writes == [b"GET /api/v1/status.json HTTP/1.1\r\nHost: 10.1.2.3\r\nConnection: close\r\n"
                                 b"User-Agent: bedside-cgm\r\n\r\n"]
    # an empty body: its length said, nothing more written
    net = Net(OK + b"\r\n")
    net.within(lambda: finish(http.request("PUT", "h", 80, "/x", (), b"")))
    assert net.writer.writes == [b"PUT /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
                                 b"User-Agent: bedside-cgm\r\nContent-Length: 0\r\n\r\n"]


def test_the_connection_is_closed_after_a_refused_answer_too():
    net = Net(b"garbage\r\n\r\n")
    fails(lambda: net.within(lambda: finish(http.request("GET", "h", 80, "/", ()))))
    assert net.writer.closed and net.writer.waited
    net = Net(fail=OSError(113))
    fails(lambda: net.within(lambda: finish(http.request("GET", "h", 80, "/", ()))), OSError)
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
            e = fails(lambda: net.within(lambda: finish(http.request("GET", "h", 80, "/", ()))))
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
    got = net.within(lambda: finish(http.request("GET", "h", 80, "/", ())))
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
    assert net.within(lambda: finish(http.plain_date("ns.example"))) == DATE
    assert net.opened == [(IP, 80, None, None)] and net.resolved == [("ns.example", 80)]
    assert net.timeouts == [20]
    assert net.writer.writes == [b"HEAD / HTTP/1.1\r\nHost: ns.example\r\nConnection: close\r\n"
                                 b"User-Agent: bedside-cgm\r\n\r\n"]
    assert net.reader.b == b"moved" and net.writer.closed     # no body read
    net = Net(HEAD_ANSWER)
    assert net.within(lambda: finish(http.plain_date("ns.example", 8080, 7))) == DATE
    assert net.opened == [(IP, 8080, None, None)] and net.timeouts == [7]
    net = Net(OK + b"\r\n")
    assert net.within(lambda: finish(http.plain_date("ns.example"))) is None


def offer(net, takes=True):
    dates, log = [], []

    def on_date(d):
        dates.append(d)
        return takes
    net.within(lambda: finish(http.offer_plain_date("ns.example", None, 9, on_date, log.append, "nightscout")))
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


# --- _open_connection: the connect, its socket and its failures ---
#
# http._open_connection is asyncio.open_connection's (the port's stream.py) with the
# socket closed on every failure. The tests above stand in for it; these run it, a
# generator step by step (as the port's loop does: it yields once, to wait until the
# socket is writable, the connect done), over a stand-in socket module (http.socket),
# TLS context and asyncio (its StreamWriter, core._io_queue). On the board a socket
# dropped unclosed held one of lwIP's 10 slots until a garbage collection: once they
# were taken the LAN API, the setup page and the uploads failed (test_socket_budget
# runs the timeout's case on the port). A connect that fails at once must fail as the
# request's usual OSError, its errno kept: the uploader logs it, forgets the address
# and retries (a plain OSError, not an HttpError). The socket is non-blocking from
# before the connect to the stream's reads: a blocking connect, read or handshake on
# the board holds the event loop (the buzzer and the buttons stop) until the server
# answers, and the request's timeout cannot cut it off.
import errno

AF, KIND, PROTO = 10, 1, 6          # the address's family, SOCK_STREAM, TCP
ADDR = (IP, 443, 0, 0)              # its sockaddr, as getaddrinfo gives it


class Sock:
    def __init__(self, world, af, kind, proto):
        self.world, self.made = world, (af, kind, proto)
        self.blocking = True        # a new socket blocks
        self.closed = False
        self.connects = []          # (address, blocking at the connect)
        world.socks.append(self)

    def setblocking(self, flag):
        assert not self.closed
        self.blocking = flag

    def connect(self, addr):
        self.connects.append((addr, self.blocking))
        if self.world.connect_errno is not None:
            raise OSError(self.world.connect_errno, "connect")
        if not self.blocking:
            raise OSError(errno.EINPROGRESS, "in progress")   # as lwIP and Linux do

    def close(self):
        self.closed = True


class TlsSock:
    """The port's TLS socket (extmod/modtls_mbedtls.c): setblocking is passed on to
    the raw socket, which it reads and writes; closing it closes that one. own_mode:
    a TLS layer whose socket keeps a mode of its own, blocking when new."""

    def __init__(self, raw, own_mode):
        self.raw, self.own_mode = raw, own_mode
        self.own_blocking = True
        self.closed = False

    def setblocking(self, flag):
        if self.own_mode:
            self.own_blocking = flag
        else:
            self.raw.setblocking(flag)

    def blocks(self):
        return self.own_blocking if self.own_mode else self.raw.blocking

    def close(self):
        self.closed = True
        self.raw.close()


class Ctx:
    """A TLS context: each wrap_socket's (socket, keywords); `fail` raised instead."""

    def __init__(self, own_mode=False, fail=None):
        self.own_mode, self.fail = own_mode, fail
        self.wraps = []

    def wrap_socket(self, sock, **kw):
        self.wraps.append((sock, kw))
        if self.fail is not None:
            raise self.fail
        return TlsSock(sock, self.own_mode)


class ConnectWorld:
    """http.socket and http.asyncio for _open_connection: the sockets made, the
    addresses looked up, the waits for a writable socket."""
    SOCK_STREAM = KIND

    def __init__(self, connect_errno=None, lookup_error=None, socket_error=None):
        self.connect_errno, self.lookup_error, self.socket_error = connect_errno, lookup_error, socket_error
        self.socks, self.lookups, self.waits = [], [], []
        world = self

        class IoQueue:
            def queue_write(self, s):
                world.waits.append(s)
                return "wait"

        class Core:
            _io_queue = IoQueue()

        class Stream:
            def __init__(self, s):
                self.s = s

        class Asyncio:
            core = Core
            StreamWriter = Stream
        self.asyncio = Asyncio

    def getaddrinfo(self, host, port, af=0, kind=0):
        self.lookups.append((host, port, af, kind))
        if self.lookup_error is not None:
            raise self.lookup_error
        # an address literal (forward.names gives one) has one entry
        return [(AF, KIND, PROTO, "", ADDR)]

    def socket(self, af, kind, proto):
        if self.socket_error is not None:
            raise self.socket_error
        return Sock(self, af, kind, proto)

    def open_socks(self):
        return [s for s in self.socks if not s.closed]

    def within(self, fn):
        return swap_module("asyncio", self.asyncio, lambda: swap(
            http, "asyncio", self.asyncio, lambda: swap(http, "socket", self, fn)))

    def step(self, gen, throw=None):
        """Run gen on to its next yield: ("yield", value), ("return", value) or ("raise", e)."""
        def go():
            try:
                if throw is None:
                    return "yield", gen.send(None)
                return "yield", gen.throw(throw)
            except StopIteration as e:
                return "return", (e.args[0] if e.args else None)
            except BaseException as e:   # noqa: B036 (the cancellation too)
                return "raise", e
        return self.within(go)


class Cancelled(BaseException):
    """The request's timeout cutting the connect off (asyncio's CancelledError is a BaseException)."""


def opening(world, ctx=None):
    """The connect to IP:443 (TLS for ns.example with ctx), not started yet: a
    generator (made over the stand-ins: a version that is not one runs at once)."""
    return world.within(lambda: http._open_connection(IP, 443, ctx, "ns.example" if ctx is not None else None))


def test_a_connect_in_progress_waits_for_the_socket_and_gives_its_stream():
    w = ConnectWorld()
    gen = opening(w)
    first = w.step(gen)
    assert first == ("yield", "wait"), first   # it waits (the loop runs on) until the connect is done
    s, = w.socks
    # a stream lookup of the address itself (any family), a socket of its family and type
    assert w.lookups == [(IP, 443, 0, KIND)] and s.made == (AF, KIND, PROTO)
    # connected to that address without blocking (EINPROGRESS is not a failure)
    assert s.connects == [(ADDR, False)]
    assert w.waits == [s] and not s.closed
    what, got = w.step(gen)
    assert what == "return" and len(got) == 2 and got[0] is got[1] and got[0].s is s, (what, got)
    assert not s.blocking and not s.closed and w.open_socks() == [s]


def test_a_connect_refused_or_unreachable_at_once_closes_its_socket_and_raises_its_oserror():
    for err in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
        for ctx in (None, Ctx()):
            w = ConnectWorld(connect_errno=err)
            what, e = w.step(opening(w, ctx))
            # the request's usual failure: an OSError with the connect's errno (the
            # uploader logs it and forgets the address), not an HttpError
            assert what == "raise" and isinstance(e, OSError) and not isinstance(e, http.HttpError), (err, what, e)
            assert e.errno == err, (err, e)
            assert len(w.socks) == 1 and w.open_socks() == [], err
            assert w.waits == [] and (ctx is None or ctx.wraps == []), err


def test_a_lookup_or_a_socket_that_fails_raises_its_oserror_with_no_socket_left_open():
    # getaddrinfo (the port's raises OSError) and socket() (ENFILE, 23: lwIP's slots all taken)
    for kw in ({"lookup_error": OSError(-2, "lookup")}, {"socket_error": OSError(23, "ENFILE")}):
        w = ConnectWorld(**kw)
        what, e = w.step(opening(w, Ctx()))
        assert what == "raise" and isinstance(e, OSError) and not isinstance(e, http.HttpError), (kw, e)
        assert e is list(kw.values())[0] and w.open_socks() == [], kw


def test_a_connect_cut_off_by_the_timeout_closes_its_socket_and_lets_the_cancellation_through():
    for ctx in (None, Ctx()):
        w = ConnectWorld()
        gen = opening(w, ctx)
        assert w.step(gen)[0] == "yield"
        stop = Cancelled()
        assert w.step(gen, stop) == ("raise", stop)
        s, = w.socks
        assert s.closed and w.open_socks() == []
        if ctx is not None:
            assert w.waits[0].closed      # the TLS socket itself closed, not only its raw one


def test_a_tls_wrap_that_fails_closes_the_raw_socket_and_raises_its_error():
    # mbedtls' setup failing (its heap: an OSError with mbedtls' code), or a ValueError
    for err in (OSError(-0x7F00, "MBEDTLS_ERR_SSL_ALLOC_FAILED"), ValueError("CERT_REQUIRED requires server_hostname")):
        w, ctx = ConnectWorld(), Ctx(fail=err)
        assert w.step(opening(w, ctx)) == ("raise", err)
        assert len(ctx.wraps) == 1 and w.open_socks() == [] and w.waits == []


def test_tls_wraps_the_connecting_socket_for_the_host_name_without_a_handshake_inside_wrap():
    w, ctx = ConnectWorld(), Ctx()
    gen = opening(w, ctx)
    assert w.step(gen) == ("yield", "wait")
    s, = w.socks
    (raw, kw), = ctx.wraps
    assert raw is s and s.connects == [(ADDR, False)]   # wrapped after the connect was started
    # the name the certificate is checked against; the handshake left to the stream's
    # reads and writes: inside wrap_socket the port runs it to its end, the loop held
    # meanwhile (seconds; for ever with a server that does not answer: no timeout cuts it)
    assert kw == {"server_hostname": "ns.example", "do_handshake_on_connect": False}, kw
    tls = w.waits[0]
    assert isinstance(tls, TlsSock) and tls.raw is s
    what, got = w.step(gen)
    assert what == "return" and got[0].s is tls and got[1].s is tls   # the stream reads TLS, not the raw bytes


def test_the_tls_socket_the_stream_reads_is_non_blocking_whatever_wrap_socket_left():
    # the stream's reads and writes (the handshake's too) must not block: on the board a
    # blocking read waits for the server with the event loop held (the buzzer and the
    # buttons stop). The port's TLS socket passes setblocking on to its raw socket, which
    # is non-blocking already; the firmware sets the TLS socket non-blocking anyway (as
    # asyncio's open_connection does), so that a TLS layer whose socket keeps a mode of
    # its own, blocking when new (own_mode), cannot leave the stream blocking either
    for own_mode in (False, True):
        w = ConnectWorld()
        gen = opening(w, Ctx(own_mode=own_mode))
        w.step(gen)
        what, got = w.step(gen)
        tls = got[0].s
        assert what == "return" and not tls.blocks() and not tls.raw.blocking, own_mode

