"""forward.names, the forwarders' name lookups: getaddrinfo blocks the whole
board while a DNS server does not answer, so it must be called rarely, whatever
the uploads do."""
from fakes import NamesWorld
from forward import names


class FakeSocket:
    SOCK_STREAM = 1

    def __init__(self, world):
        self.calls = 0
        self.answer = ("10.0.0.7", 443)
        self.world = world
        self.takes_s = 0  # how long a lookup blocks

    def getaddrinfo(self, host, port, family=0, kind=0):
        self.calls += 1
        self.world.t += self.takes_s
        if self.answer is None:
            raise OSError(-3)  # no answer from the DNS server
        return [(2, 1, 0, "", self.answer)]


class World(NamesWorld):
    """names with a fake resolver and clock for the length of a `with` block."""

    def __init__(self):
        NamesWorld.__init__(self, FakeSocket)


def test_a_name_is_looked_up_once_and_again_only_after_resolve_again_s():
    with World() as w:
        assert names.resolve("ns.example.org", 443) == ("10.0.0.7", 443)
        for _ in range(10):   # every upload
            names.resolve("ns.example.org", 443)
        assert w.sock.calls == 1
        # the server is down: every retry forgets the address (before: a blocking
        # lookup at every retry of an outage)
        for t in range(60, names.RESOLVE_AGAIN_S, 60):
            w.t = t
            names.forget_address("ns.example.org", 443)
            assert names.resolve("ns.example.org", 443) == ("10.0.0.7", 443)
        assert w.sock.calls == 1
        w.t = names.RESOLVE_AGAIN_S
        w.sock.answer = ("10.0.0.8", 443)   # it moved
        assert names.resolve("ns.example.org", 443) == ("10.0.0.8", 443) and w.sock.calls == 2


def test_a_failed_lookup_keeps_the_old_address_or_waits_before_trying_again():
    with World() as w:
        names.resolve("ns.example.org", 443)
        w.t = 2 * names.RESOLVE_AGAIN_S
        names.forget_address("ns.example.org", 443)
        w.sock.answer = None            # DNS down: the old address is still the best guess
        assert names.resolve("ns.example.org", 443) == ("10.0.0.7", 443) and w.sock.calls == 2
        assert names.resolve("ns.example.org", 443) == ("10.0.0.7", 443) and w.sock.calls == 2
        # never resolved: a failure is remembered for RESOLVE_FAILED_S
        for t in (0, 60, 299):
            w.t = 10000 + t
            try:
                names.resolve("other.example.org", 443)
                assert False, "resolved"
            except OSError:
                pass
        assert w.sock.calls == 3
        w.t = 10000 + names.RESOLVE_FAILED_S
        w.sock.answer = ("10.0.0.9", 443)
        assert names.resolve("other.example.org", 443) == ("10.0.0.9", 443) and w.sock.calls == 4


def test_an_ip_literal_is_never_looked_up():
    with World() as w:
        assert names.resolve("192.168.1.20", 17580) == ("192.168.1.20", 17580)
        assert w.sock.calls == 0
        names.resolve("192.168.1.x", 80)  # not a literal: looked up
        assert w.sock.calls == 1


def _fails(host, port):
    try:
        names.resolve(host, port)
    except OSError:
        return True
    return False


def test_after_a_lookup_that_blocked_the_board_no_name_is_looked_up_for_a_while():
    # each name keeps its own limit; three names whose lookups each block 7 s
    # (an upstream DNS outage) blocked the board 3 times in 10 minutes, and the
    # supervisor sounds the device alarm at that
    with World() as w:
        w.sock.answer, w.sock.takes_s = ("10.0.0.7", 1883), 1   # a slow yet usable answer
        assert names.resolve("broker.example.org", 1883) == ("10.0.0.7", 1883)
        assert names.lookup_allowed()                     # 1 s: no block worth a pause
        w.sock.answer, w.sock.takes_s = None, 7
        assert _fails("ns.example.org", 443) and w.sock.calls == 2
        w.t = 60
        assert _fails("other.example.org", 443) and w.sock.calls == 2   # not asked
        names.forget_address("broker.example.org", 1883)
        w.t = 2000   # the known address is kept meanwhile (not looked up again)
        w.sock.takes_s = 0
        names._stalled_s = 1990
        assert names.resolve("broker.example.org", 1883) == ("10.0.0.7", 1883) and w.sock.calls == 2
        assert not names.lookup_allowed(2000) and names.lookup_allowed(1990 + names.RESOLVE_FAILED_S)
        w.t = 1990 + names.RESOLVE_FAILED_S
        w.sock.answer = ("10.0.0.9", 443)
        assert names.resolve("other.example.org", 443) == ("10.0.0.9", 443) and w.sock.calls == 3
        # another library's own lookup (ntptime) reports its time too
        names.lookup_took(w.t - names.SLOW_S)
        assert not names.lookup_allowed()


def test_lookup_due_says_whether_resolve_would_ask_the_dns_server():
    # the keeper gives a due lookup a pause of its own; a wrong True costs a wait,
    # a wrong False lets a lookup hold the board inside a burst of the sound
    def due_then_resolve(host, port):
        due, before = names.lookup_due(host, port), w.sock.calls
        try:
            names.resolve(host, port)
        except OSError:
            pass
        assert due == (w.sock.calls > before), (host, due)
        return due

    with World() as w:
        assert not due_then_resolve("192.168.1.20", 443)     # an IP literal
        assert due_then_resolve("ns.example.org", 443)       # never looked up
        assert not due_then_resolve("ns.example.org", 443)   # kept
        names.forget_address("ns.example.org", 443)          # a connection failed ...
        assert not due_then_resolve("ns.example.org", 443)   # ... too soon to look again
        w.t = names.RESOLVE_AGAIN_S
        assert due_then_resolve("ns.example.org", 443)       # now looked up again
        assert not due_then_resolve("ns.example.org", 443)
        w.sock.answer = None
        assert due_then_resolve("other.example.org", 443)    # fails
        w.t += 60
        assert not due_then_resolve("other.example.org", 443)  # the failure is remembered
        w.t += names.RESOLVE_FAILED_S
        w.sock.answer, w.sock.takes_s = ("10.0.0.9", 443), names.SLOW_S  # a lookup that blocks
        assert due_then_resolve("other.example.org", 443)
        w.sock.takes_s = 0
        assert not due_then_resolve("third.example.org", 443)  # none while the stall is recent
        w.t += names.RESOLVE_FAILED_S
        assert due_then_resolve("third.example.org", 443)


def test_a_passed_over_lookup_fails_the_step_at_once_and_dns_stalls_tells_the_last_lookup():
    with World() as w:
        assert not names.dns_stalls()
        w.sock.takes_s = names.SLOW_S            # a lookup that held the board
        names.resolve("ns.example.org", 443)
        assert names.dns_stalls()
        w.t = names.SLOW_S + names.DEFER_S - 1
        assert names.dns_stalls()
        w.t += 1                                 # told for DEFER_S at most
        assert not names.dns_stalls()
        w.t = 10
        assert names.dns_stalls()
        w.t = 1000
        w.sock.takes_s = 0                       # the next one answers at once
        names.resolve("other.example.org", 443)
        assert not names.dns_stalls() and w.sock.calls == 2
        # passed over with no address: refused at once, not due for RESOLVE_FAILED_S
        names.pass_over("third.example.org")
        assert _fails("third.example.org", 443) and w.sock.calls == 2
        assert not names.lookup_due("third.example.org", 443)
        w.t += names.RESOLVE_FAILED_S
        assert names.lookup_due("third.example.org", 443)
        # passed over with an old address: it is kept (not suspect) until a connection fails;
        # nothing was asked of the DNS, so it is due again RESOLVE_FAILED_S after the pass
        # (seed 4304: a moved broker's old address, refused, was kept RESOLVE_AGAIN_S)
        names.forget_address("ns.example.org", 443)
        w.t = 5000
        assert names.lookup_due("ns.example.org", 443)
        names.pass_over("ns.example.org")
        assert not names.lookup_due("ns.example.org", 443)
        assert names.resolve("ns.example.org", 443) == ("10.0.0.7", 443) and w.sock.calls == 2
        w.t += names.RESOLVE_FAILED_S
        assert not names.lookup_due("ns.example.org", 443)   # its connections still work
        names.forget_address("ns.example.org", 443)
        assert names.lookup_due("ns.example.org", 443)
        w.t -= 1
        assert not names.lookup_due("ns.example.org", 443)
        # a lookup that fails keeps the address for RESOLVE_AGAIN_S, as before
        w.t += 1
        w.sock.answer = None
        assert names.resolve("ns.example.org", 443) == ("10.0.0.7", 443) and w.sock.calls == 3
        names.forget_address("ns.example.org", 443)
        w.t += names.RESOLVE_AGAIN_S - 1
        assert not names.lookup_due("ns.example.org", 443)
        w.t += 1
        assert names.lookup_due("ns.example.org", 443)


def test_kept_gives_the_newest_addresses_for_rtc_memory():
    with World() as w:
        assert names.kept() == []
        for i, host in enumerate(("a.lan", "b.lan", "c.lan", "d.lan", "e.lan")):
            w.t = 100 * i
            w.sock.answer = ("10.0.0.%d" % i, 443)
            names.resolve(host, 443)
        names.resolve("192.168.1.9", 443)          # an IP literal is never kept
        w.sock.answer = None
        w.t = 1000
        _fails("gone.lan", 443)                    # a name without an address is not kept
        assert names.kept() == [("e.lan", "10.0.0.4"), ("d.lan", "10.0.0.3"), ("c.lan", "10.0.0.2"),
                                ("b.lan", "10.0.0.1")]
        assert names.kept(2) == [("e.lan", "10.0.0.4"), ("d.lan", "10.0.0.3")]
        names.forget_address("a.lan", 443)         # its connection failed: looked up again, which
        names.resolve("a.lan", 443)                # fails and keeps the address: in use again
        assert names.kept(1) == [("a.lan", "10.0.0.0")]


def test_a_restored_address_is_looked_up_at_first_use_and_kept_if_that_fails():
    with World() as w:
        w.t = 40                                   # a few seconds after the reset
        names.restore([("ns.lan", "10.0.0.9"), ("mqtt.lan", "10.0.0.8")])
        assert names.lookup_due("ns.lan", 443) and w.sock.calls == 0
        # the DNS answers: the server's new address
        assert names.resolve("ns.lan", 443) == ("10.0.0.7", 443) and w.sock.calls == 1
        # the DNS does not answer: the address from before the reset
        w.sock.answer = None
        w.sock.takes_s = 7
        w.t = 100
        assert names.resolve("mqtt.lan", 1883) == ("10.0.0.8", 1883) and w.sock.calls == 2
        assert not names.lookup_due("mqtt.lan", 1883)
        # a restored address not used yet ranks below those looked up since
        names.restore([("old.lan", "10.0.0.6")])
        assert names.kept() == [("mqtt.lan", "10.0.0.8"), ("ns.lan", "10.0.0.7"), ("old.lan", "10.0.0.6")]


def test_a_restored_address_survives_a_passed_over_lookup_and_never_overrides_a_known_one():
    with World() as w:
        names.resolve("ns.lan", 443)               # looked up before restore ran
        names.restore([("ns.lan", "10.0.0.1"), ("mqtt.lan", "10.0.0.8")])
        assert names.resolve("ns.lan", 443) == ("10.0.0.7", 443) and w.sock.calls == 1
        names.pass_over("mqtt.lan")                # a sounding alarm left no pause for its lookup
        assert names.resolve("mqtt.lan", 1883) == ("10.0.0.8", 1883) and w.sock.calls == 1


def test_shared_says_whether_another_name_was_looked_up_to_the_address():
    # timesync's NTP step is seconded by a server's Date only when they are two
    # sources: NTP's own name at its address, and another name elsewhere, are not
    # a captive portal (else a clock the transmitter disputes was never put right)
    with World() as w:
        names.resolve("ns.example.org", 443)          # 10.0.0.7
        w.sock.answer = ("10.0.0.9", 123)
        names.resolve("pool.example", 123)
        assert names.shared("10.0.0.9", "pool.example") is False
        assert names.shared("10.0.0.7", "pool.example") is True
        names.resolve("portal.example", 80)           # a portal answers every name alike
        assert names.shared("10.0.0.9", "pool.example") is True


def test_a_fresh_box_has_had_no_lookup_that_blocked_the_board():
    # at boot, before any lookup: lookups are allowed and none stalls (a first
    # blocking step asks dns_stalls() before the first lookup is made)
    import sys
    import forward
    kept = sys.modules.pop("forward.names")
    try:
        import forward.names
        fresh = sys.modules["forward.names"]
        assert fresh is not kept
        fresh._now_s = lambda: 1000
        assert fresh.dns_stalls() is False and fresh.lookup_allowed() is True
        assert fresh.last_stall() is None
    finally:
        sys.modules["forward.names"] = kept
        forward.names = kept
