# setup/dns.py: the captive-portal DNS of the setup access point. Every name
# resolves to the box while the AP is open, so a phone that joins it shows the
# setup page by itself. Pinned:
#   - an A question (class IN) for any name (one label or 127, the root, 63-byte
#     labels) gets the box's address with TTL 10 s, the question echoed, the
#     query's id, flags exactly QR|AA plus the query's RD (whatever else the
#     query's flags hold: AD, CD, TC, stray bits), one answer, no authority or
#     additional records (an EDNS OPT record is not echoed);
#   - any other type or class (AAAA, HTTPS, MX, ANY, A in class CH) gets an
#     empty NOERROR answer, so phones fall back to IPv4 at once;
#   - what is not exactly one plain question is dropped (None), never an
#     exception: cut at any byte, a response, any opcode but QUERY, 0 or 2
#     questions, compression pointers and reserved label types in the question
#     (even where skipping them would land on a well-formed end), and a
#     thousand pseudo-random corruptions of a query;
#   - serve(): binds port 53 (or the one given) on the AP's address, with
#     SO_REUSEADDR, non-blocking (a blocking recvfrom would stop every task,
#     the alarm's too), reads a datagram of at most 512 bytes (RFC 1035's UDP
#     limit), answers each query to its sender, drops what answer() refuses,
#     goes on after a failed send, yields (sleep_ms(0)) after each datagram and
#     sleeps a short poll when none waits, returns when the AP closes, and
#     closes its socket then, and when binding fails.
# serve() runs here over a stand-in socket module (sys.modules["socket"] for
# its `import socket`), a stand-in asyncio recording sleep_ms and a stand-in
# AP; host_tests/test_captive_dns_server.py runs it over real UDP on the
# MicroPython port. CPython and MicroPython.
import struct

from async_steps import finish
from fakes import swap, swap_module
from setup import dns


def query(name, qtype=1, ident=0x1234, flags=0x0100, qdcount=1):
    q = struct.pack(">HHHHHH", ident, flags, qdcount, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", qtype, 1)


def test_a_question_for_any_name_gets_the_box_address():
    q = query("connectivitycheck.gstatic.com")
    r = dns.answer(q, "192.168.4.1")
    ident, flags, qd, an, ns, ar = struct.unpack_from(">HHHHHH", r, 0)
    assert (ident, qd, an, ns, ar) == (0x1234, 1, 1, 0, 0)
    assert flags & 0x8000 and flags & 0x0100 and not flags & 0x000F  # response, RD kept, NOERROR
    assert r[12:len(q)] == q[12:]                                   # the question echoed
    ptr, rtype, rclass, ttl, rdlen = struct.unpack_from(">HHHIH", r, len(q))
    assert (ptr, rtype, rclass, rdlen) == (0xC00C, 1, 1, 4) and 0 < ttl <= 60
    assert r[len(q) + 12:] == bytes([192, 168, 4, 1]) and len(r) == len(q) + 16


def test_other_types_get_an_empty_answer_so_phones_use_ipv4():
    q = query("captive.apple.com", qtype=28)          # AAAA
    r = dns.answer(q, "192.168.4.1")
    assert struct.unpack_from(">H", r, 6)[0] == 0 and len(r) == len(q)
    assert struct.unpack_from(">H", r, 2)[0] & 0x000F == 0


def test_what_is_not_one_plain_question_is_ignored():
    good = query("example.org")
    bad = [b"", good[:11], good[:-1],                       # short or cut
           query("example.org", flags=0x8180),               # a response
           query("example.org", flags=0x2900),               # opcode 5 (update)
           query("example.org", qdcount=2),                  # two questions
           good[:12] + b"\xc0\x0c" + good[-4:],              # a compression pointer
           good[:12] + b"\x3f" + b"a" * 10]                  # a label running off the end
    for q in bad:
        assert dns.answer(q, "192.168.4.1") is None, q


BOX = "192.168.4.1"


def name_bytes(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def header(ident=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def a_answer(r, q, ip=BOX):
    """(flags, ttl) of an A answer to q, after checking every other field."""
    ident, flags, qd, an, ns, ar = struct.unpack_from(">HHHHHH", r, 0)
    assert (ident, qd, an, ns, ar) == (struct.unpack_from(">H", q, 0)[0], 1, 1, 0, 0), r
    qlen = len(q) - 12
    assert r[12:12 + qlen] == q[12:], r                            # the question echoed
    ptr, rtype, rclass, ttl, rdlen = struct.unpack_from(">HHHIH", r, 12 + qlen)
    assert (ptr, rtype, rclass, rdlen) == (0xC00C, 1, 1, 4), r
    assert r[12 + qlen + 12:] == bytes(int(x) for x in ip.split(".")), r
    return flags, ttl


def test_an_a_answer_has_ttl_10_the_id_and_flags_qr_aa_and_the_querys_rd_only():
    for flags, want in ((0x0100, 0x8500), (0x0000, 0x8400), (0x0120, 0x8500),   # RD, none, RD+AD
                        (0x0110, 0x8500), (0x0200, 0x8400), (0x0400, 0x8400),    # CD, TC, AA
                        (0x000F, 0x8400), (0x0101, 0x8500), (0x07FF, 0x8500)):   # stray bits
        for ident in (0, 0x1234, 0xFFFF):
            q = query("connectivitycheck.gstatic.com", ident=ident, flags=flags)
            got, ttl = a_answer(dns.answer(q, BOX), q)
            assert (got, ttl) == (want, 10), (hex(flags), hex(got), ttl)


def test_the_answer_carries_the_address_given():
    for ip in ("192.168.4.1", "10.0.0.1", "172.16.254.3", "0.0.0.0", "255.255.255.255"):
        q = query("example.org")
        a_answer(dns.answer(q, ip), q, ip)


def test_an_edns_query_is_answered_without_its_opt_record():
    q = query("captive.apple.com")
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)               # OPT: udp 1232, no options
    edns = q[:10] + b"\x00\x01" + q[12:] + opt                          # ARCOUNT 1
    r = dns.answer(edns, BOX)
    assert r == dns.answer(q, BOX)
    a_answer(r, q)


def test_names_of_any_shape_are_answered_with_their_question_echoed():
    for name in ("a", "captive.apple.com", ".".join(["a"] * 127), "x" * 63 + ".org",
                 "WWW.Example.ORG", "xn--bcher-kva.example", "a-b_c.d"):
        q = query(name)
        a_answer(dns.answer(q, BOX), q)
    q = header() + b"\x00" + struct.pack(">HH", 1, 1)                   # the root
    a_answer(dns.answer(q, BOX), q)


def test_other_types_and_classes_get_an_empty_noerror_answer_with_the_question():
    for qtype, qclass in ((28, 1), (65, 1), (15, 1), (255, 1), (16, 1), (1, 3), (1, 255), (0, 0)):
        q = query("captive.apple.com")[:-4] + struct.pack(">HH", qtype, qclass)
        for flags, want in ((0x0100, 0x8500), (0x0000, 0x8400), (0x0130, 0x8500)):
            q = q[:2] + struct.pack(">H", flags) + q[4:]
            r = dns.answer(q, BOX)
            assert r == q[:2] + struct.pack(">HHHHH", want, 1, 0, 0, 0) + q[12:], (qtype, qclass, flags)


def test_a_query_cut_at_any_byte_is_dropped():
    for q in (query("connectivitycheck.gstatic.com"), header() + b"\x00" + struct.pack(">HH", 1, 1),
              query("a.b"), query("captive.apple.com", qtype=28)):
        for n in range(len(q)):
            assert dns.answer(q[:n], BOX) is None, (q, n)
        assert dns.answer(q, BOX) is not None


def test_anything_but_one_standard_query_is_dropped():
    for flags in (0x8000, 0x8100, 0x8400, 0x0800, 0x0900, 0x1000, 0x2000, 0x2800, 0x7800,
                  0x7FFF, 0xFFFF):      # responses; opcodes IQUERY 1, STATUS 2, NOTIFY 4, UPDATE 5, 15
        assert dns.answer(query("example.org", flags=flags), BOX) is None, hex(flags)
    for qd in (0, 2, 0xFFFF):
        assert dns.answer(query("example.org", qdcount=qd), BOX) is None, qd


def test_compression_pointers_and_reserved_label_types_in_the_question_are_dropped():
    tail = b"\x00" + struct.pack(">HH", 1, 1)
    for first in (0xC0, 0x80, 0x40):
        # read as a label of `first` bytes, this would land on a well-formed end
        q = header() + bytes([first]) + bytes([0x61] * first) + tail
        assert dns.answer(q, BOX) is None, hex(first)
        q = header() + b"\x03abc" + bytes([first, 0x0C]) + tail          # a pointer after a label
        assert dns.answer(q, BOX) is None, hex(first)
    q = header() + b"\x3fabc"                                             # runs off the end
    assert dns.answer(q, BOX) is None


def _lcg(seed):
    x = seed
    while True:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        yield x >> 8


def test_a_thousand_corrupted_queries_never_raise():
    rnd = _lcg(7)
    bases = (query("connectivitycheck.gstatic.com"), query("a.b", qtype=28), header() + b"\x00\x00\x01\x00\x01")
    answered = 0
    for i in range(1000):
        q = bytearray(bases[i % len(bases)])
        for _ in range(1 + next(rnd) % 4):
            q[next(rnd) % len(q)] = next(rnd) & 0xFF
        cut = next(rnd) % (len(q) + 8)
        q = bytes(q[:cut]) if cut < len(q) else bytes(q) + bytes(cut - len(q))
        r = dns.answer(q, BOX)
        if r is not None:
            answered += 1
            assert r[:2] == q[:2] and r[2] & 0x80 and len(r) >= 12 + 5, q
    assert 0 < answered < 1000


# --- serve() ---------------------------------------------------------------------------

class FakeUdp:
    """A socket as serve() uses it. script: datagrams in order, (bytes, peer) or
    None (nothing waiting: EAGAIN); fail_sends: how many sendto raise first."""

    def __init__(self, script=(), fail_sends=0, fail_bind=False):
        self.script = list(script)
        self.fail_sends = fail_sends
        self.fail_bind = fail_bind
        self.calls = []
        self.blocking = True
        self.sent = []
        self.closed = 0

    def setsockopt(self, level, opt, value):
        self.calls.append(("setsockopt", level, opt, value))

    def bind(self, addr):
        self.calls.append(("bind", addr))
        if self.fail_bind:
            raise OSError(98)

    def setblocking(self, flag):
        self.calls.append(("setblocking", flag))
        self.blocking = flag

    def recvfrom(self, n):
        assert not self.blocking, "a blocking recvfrom stops every task"
        assert self.closed == 0
        self.calls.append(("recvfrom", n))
        item = self.script.pop(0) if self.script else None
        if item is None:
            raise OSError(11)   # EAGAIN
        return item[0][:n], item[1]

    def sendto(self, data, peer):
        self.calls.append(("sendto",))
        if self.fail_sends:
            self.fail_sends -= 1
            raise OSError(113)
        self.sent.append((data, peer))

    def close(self):
        self.closed += 1


class FakeSocketModule:
    AF_INET = 2
    SOCK_DGRAM = 2002
    SOL_SOCKET = 1001
    SO_REUSEADDR = 1004

    def __init__(self, sock):
        self.sock = sock
        self.made = []
        self.lookups = []

    def socket(self, af, kind):
        self.made.append((af, kind))
        return self.sock

    def getaddrinfo(self, host, port):
        self.lookups.append((host, port))
        return [(self.AF_INET, self.SOCK_DGRAM, 17, "", (host, port))]


class FakeAio:
    def __init__(self, sock):
        self.sock = sock
        self.sleeps = []

    async def sleep_ms(self, ms):
        self.sleeps.append(ms)
        self.sock.calls.append(("sleep_ms", ms))


class FakeAp:
    def __init__(self, open_for):
        self.open_for = open_for

    def address(self):
        return BOX

    def is_open(self):
        self.open_for -= 1
        return self.open_for >= 0


def serve(sock, open_for, port=None):
    """Run dns.serve over sock until it returns; (socket module, asyncio) stand-ins."""
    mod, aio = FakeSocketModule(sock), FakeAio(sock)

    def run():
        co = dns.serve(FakeAp(open_for)) if port is None else dns.serve(FakeAp(open_for), port)
        finish(co)
    swap_module("socket", mod, lambda: swap(dns, "asyncio", aio, run))
    return mod, aio


PHONE = ("192.168.4.2", 40001)
LAPTOP = ("192.168.4.3", 53535)


def test_serve_binds_port_53_on_the_aps_address_non_blocking_and_closes_when_the_ap_closes():
    sock = FakeUdp()
    mod, aio = serve(sock, 3)
    assert mod.made == [(mod.AF_INET, mod.SOCK_DGRAM)] and mod.lookups == [(BOX, 53)]
    setup = [c for c in sock.calls if c[0] in ("setsockopt", "bind", "setblocking")]
    assert setup[0][:3] == ("setsockopt", mod.SOL_SOCKET, mod.SO_REUSEADDR) and setup[0][3]
    assert setup[1:] == [("bind", (BOX, 53)), ("setblocking", False)]
    assert [c[0] for c in sock.calls].count("recvfrom") == 3 and sock.closed == 1
    assert len(aio.sleeps) == 3 and aio.sleeps[0] == aio.sleeps[1] == aio.sleeps[2]
    assert 0 < aio.sleeps[0] <= 100, aio.sleeps     # idle: a short poll, not a busy loop
    sock = FakeUdp()
    mod, aio = serve(sock, 1, port=5353)
    assert mod.lookups == [(BOX, 5353)] and ("bind", (BOX, 5353)) in sock.calls and sock.closed == 1
    sock = FakeUdp()
    serve(sock, 0)
    assert sock.closed == 1 and [c for c in sock.calls if c[0] == "recvfrom"] == []


def test_serve_answers_each_query_to_its_sender_and_yields_after_each_datagram():
    q1, q2 = query("connectivitycheck.gstatic.com", ident=1), query("captive.apple.com", qtype=28, ident=2)
    sock = FakeUdp([(q1, PHONE), None, (b"junk", LAPTOP), (q2, LAPTOP), (query("x", flags=0x8000), PHONE)])
    mod, aio = serve(sock, 5)
    assert sock.sent == [(dns.answer(q1, BOX), PHONE), (dns.answer(q2, BOX), LAPTOP)]
    poll = aio.sleeps[1]
    assert aio.sleeps == [0, poll, 0, 0, 0] and poll > 0
    events = [c[0] for c in sock.calls if c[0] in ("recvfrom", "sendto", "sleep_ms")]
    assert events == ["recvfrom", "sendto", "sleep_ms", "recvfrom", "sleep_ms", "recvfrom", "sleep_ms",
                      "recvfrom", "sendto", "sleep_ms", "recvfrom", "sleep_ms"]
    assert sock.closed == 1


def test_serve_reads_datagrams_of_up_to_512_bytes():
    q = query("connectivitycheck.gstatic.com")
    sock = FakeUdp([(q, PHONE), (q + bytes(600), PHONE)])
    serve(sock, 2)
    assert [c[1] for c in sock.calls if c[0] == "recvfrom"] == [512, 512]
    assert sock.sent == [(dns.answer(q, BOX), PHONE)] * 2


def test_a_failed_send_is_dropped_and_serving_goes_on():
    q1, q2 = query("a.org", ident=1), query("b.org", ident=2)
    sock = FakeUdp([(q1, PHONE), (q2, PHONE)], fail_sends=1)
    mod, aio = serve(sock, 2)
    assert sock.sent == [(dns.answer(q2, BOX), PHONE)] and aio.sleeps == [0, 0] and sock.closed == 1


def test_the_socket_is_closed_when_binding_fails():
    sock = FakeUdp(fail_bind=True)
    try:
        serve(sock, 3)
        raise AssertionError("a failed bind was not raised")
    except OSError as e:
        assert e.args[0] == 98
    assert sock.closed == 1 and [c for c in sock.calls if c[0] == "recvfrom"] == []
