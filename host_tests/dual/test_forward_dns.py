"""forward.names, the forwarders' name lookups: getaddrinfo blocks the whole
board while a DNS server does not answer, so it must be called rarely, whatever
the uploads do."""
from forward import names as http


class FakeSocket:
    SOCK_STREAM = 1

    def __init__(self):
        self.calls = 0
        self.answer = ("10.0.0.7", 443)

    def getaddrinfo(self, host, port, family=0, kind=0):
        self.calls += 1
        if self.answer is None:
            raise OSError(-3)  # no answer from the DNS server
        return [(2, 1, 0, "", self.answer)]


class FakeClock:
    def __init__(self):
        self.t = 0

    def now_s(self):
        return self.t


def _world():
    sock, clk = FakeSocket(), FakeClock()
    real = (http.socket, http._now_s)
    http.socket, http._now_s = sock, clk.now_s
    http._addr_cache.clear()
    return sock, clk, real


def _restore(real):
    http.socket, http._now_s = real
    http._addr_cache.clear()


def test_a_name_is_looked_up_once_and_again_only_after_resolve_again_s():
    sock, clk, real = _world()
    try:
        assert http.resolve("ns.example.org", 443) == ("10.0.0.7", 443)
        for _ in range(10):   # every upload
            http.resolve("ns.example.org", 443)
        assert sock.calls == 1
        # the server is down: every retry forgets the address (before: a blocking
        # lookup at every retry of an outage)
        for t in range(60, http.RESOLVE_AGAIN_S, 60):
            clk.t = t
            http.forget_address("ns.example.org", 443)
            assert http.resolve("ns.example.org", 443) == ("10.0.0.7", 443)
        assert sock.calls == 1
        clk.t = http.RESOLVE_AGAIN_S
        sock.answer = ("10.0.0.8", 443)   # it moved
        assert http.resolve("ns.example.org", 443) == ("10.0.0.8", 443) and sock.calls == 2
    finally:
        _restore(real)


def test_a_failed_lookup_keeps_the_old_address_or_waits_before_trying_again():
    sock, clk, real = _world()
    try:
        http.resolve("ns.example.org", 443)
        clk.t = 2 * http.RESOLVE_AGAIN_S
        http.forget_address("ns.example.org", 443)
        sock.answer = None            # DNS down: the old address is still the best guess
        assert http.resolve("ns.example.org", 443) == ("10.0.0.7", 443) and sock.calls == 2
        assert http.resolve("ns.example.org", 443) == ("10.0.0.7", 443) and sock.calls == 2
        # never resolved: a failure is remembered for RESOLVE_FAILED_S
        for t in (0, 60, 299):
            clk.t = 10000 + t
            try:
                http.resolve("other.example.org", 443)
                assert False, "resolved"
            except OSError:
                pass
        assert sock.calls == 3
        clk.t = 10000 + http.RESOLVE_FAILED_S
        sock.answer = ("10.0.0.9", 443)
        assert http.resolve("other.example.org", 443) == ("10.0.0.9", 443) and sock.calls == 4
    finally:
        _restore(real)


def test_an_ip_literal_is_never_looked_up():
    sock, clk, real = _world()
    try:
        assert http.resolve("192.168.1.20", 17580) == ("192.168.1.20", 17580)
        assert sock.calls == 0
        http.resolve("192.168.1.x", 80)  # not a literal: looked up
        assert sock.calls == 1
    finally:
        _restore(real)
