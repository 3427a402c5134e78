# TimeSync against the packets an NTP server may send, read by the real ntptime
# (micropython-lib, as on the board) from a stand-in socket: a kiss-of-death
# (stratum 0, kiss code RATE, zero timestamps: RFC 5905 7.4, "the client MUST
# NOT use the packet's time") or a server with no time (transmit timestamp zero)
# must not set the clock; ntptime reads that zero as 2036-02-07 06:28:16 (its
# era rule), a time civil.settable allows (chaos round 9). Runs on both runtimes.
import struct
import sys
import time

try:
    import ntptime
except ImportError:   # CPython: micropython-lib's folder is not on its path
    import os
    sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                 ".mpylib"))
    import ntptime

from fakes import swap_module
from forward import names, timesync
from forward.timesync import TimeSync

T = 1767225600   # 2026-01-01
NTP_DELTA = 2208988800


class FakeClock:
    """firmware/clock.py for TimeSync, in this runtime's epoch (ntptime's)."""
    EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0

    def __init__(self):
        self.wall = None
        self.sets = []

    def ms(self):
        return 1000

    def unix(self):
        return self.wall or 0

    def wall_valid(self):
        return self.wall is not None

    def set_unix(self, u):
        self.sets.append(u)
        self.wall = u


def packet(transmit_s, stratum=2, leap=0, kiss=bytes(4)):
    p = bytearray(48)
    p[0], p[1] = leap << 6 | 4 << 3 | 4, stratum
    p[12:16] = kiss
    assert len(p) == 48
    p[40:44] = struct.pack("!I", transmit_s)
    return bytes(p)


class Net:
    """The socket module as ntptime uses it: one answer per query."""
    AF_INET = 2
    SOCK_DGRAM = 2

    def __init__(self, answer):
        self.answer = answer
        self.sent = 0

    def getaddrinfo(self, host, port):
        return [(2, 2, 17, "", ("192.0.2.1", port))]

    def socket(self, *a):
        net = self

        class S:
            def settimeout(self, s):
                pass

            def sendto(self, data, addr):
                net.sent += 1

            def recv(self, n):
                return net.answer[:n]

            def close(self):
                pass
        return S()


def sync(answer):
    """(sync_ntp's result, the clock's sets, the log) for one query answered so."""
    fake, logs, net = FakeClock(), [], Net(answer)
    real_socket, real_clock, stalled = ntptime.socket, sys.modules.get("clock"), names._stalled_s
    ntptime.socket = net
    def query():
        ts = TimeSync({"ntp_host": "192.0.2.1"}, ntp=ntptime, log=logs.append)
        return ts, ts.sync_ntp()
    try:
        ts, ok = swap_module("clock", fake, query)
    finally:
        ntptime.socket = real_socket
        timesync.clock = real_clock
        names._stalled_s = stalled
    assert net.sent == 1
    return ok, fake.sets, logs, ts.source


def test_a_servers_time_is_taken():
    ok, sets, logs, source = sync(packet(T + NTP_DELTA))
    assert ok is True and sets == [T] and source == "ntp" and logs == ["time: set from ntp"]


def test_a_kiss_of_death_does_not_set_the_clock():
    ok, sets, logs, source = sync(packet(0, stratum=0, leap=3, kiss=b"RATE"))
    assert ok is False and sets == [] and source is None, (sets, logs)
    assert len(logs) == 1 and logs[0].startswith("time: NTP"), logs


def test_an_answer_whose_transmit_time_is_zero_does_not_set_the_clock():
    ok, sets, logs, source = sync(packet(0))
    assert ok is False and sets == [] and source is None, (sets, logs)


def test_ntptime_reads_zero_as_2036_so_the_rule_must_be_timesyncs():
    # the era rule behind the defect: zero becomes 2^32 s after 1900
    assert timesync.ZERO_ANSWER_UNIX == 2085978496
    ok, sets, _, _ = sync(packet(1))   # one second later is a time (an odd one, but settable)
    assert ok is True and sets == [2085978497]


def test_an_answer_before_2024_is_read_as_the_next_era_and_refused():
    for unix_s in (0, 946684800, 1704067199):
        ok, sets, _, _ = sync(packet((unix_s + NTP_DELTA) & 0xFFFFFFFF))
        assert ok is False and sets == [], unix_s


def test_a_short_or_empty_answer_is_a_failed_query_not_a_failed_task():
    # ntptime unpacks bytes 40..44 of whatever datagram came back: a short one
    # (a broken server or middlebox, an empty datagram) raises ValueError on
    # MicroPython and struct.error on CPython, neither an OSError. Out of
    # sync_ntp that ended the "time" task; its supervisor restarts it at once
    # (1, 2, 4 s) and three failures in ten minutes sound the device alarm
    for answer in (b"", packet(T + NTP_DELTA)[:40], packet(T + NTP_DELTA)[:43]):
        ok, sets, logs, source = sync(answer)
        assert ok is False and sets == [] and source is None, (len(answer), sets, logs)
        assert len(logs) == 1 and logs[0].startswith("time: NTP"), logs


def test_a_lone_answer_is_told_and_the_transmitters_clock_is_held_against_later_ones():
    # session 59 (helper-289): app.txclock takes the transmitter's kept activation over one
    # answer given to the unset clock; a server's Date 3 h off then stepped the clock again
    # (its Date had set it: _server_set) at its next answers
    c = FakeClock()
    real_clock = sys.modules.get("clock")

    def walk():
        ts = TimeSync({}, set_unix=c.set_unix, log=lambda m: None)
        assert ts.lone_answer() is False
        assert ts.offer_date(timesync.http_date(T + 10800)) is True and ts.lone_answer() is True
        c.wall = T                                  # the transmitter's clock put it right
        ts.transmitter_set()
        assert ts.lone_answer() is False and ts.source == "transmitter"
        for _ in range(3):
            assert ts.offer_date(timesync.http_date(T + 10800)) is False
        assert c.wall == T and c.sets == [T + 10800]
        assert ts.offer_date(timesync.http_date(T + 1)) is True   # a right one is fine
    try:
        swap_module("clock", c, walk)
    finally:
        timesync.clock = real_clock


def test_the_phones_clock_taken_after_a_lone_answer_is_not_told_as_one():
    # review of session 59 (helper-291): a server's Date set the unset clock (NTP blocked),
    # then the phone's clock was taken (a settings save refused for its zone: no restart).
    # lone_answer() still said the clock stood on that one answer, so the transmitter's
    # first session (app.txclock._doubts) threw the phone's clock for the kept activation's,
    # which the phone had won over before (and logged the phone's as "one answer")
    c = FakeClock()
    real_clock = sys.modules.get("clock")

    def walk():
        ts = TimeSync({}, set_unix=c.set_unix, log=lambda m: None)
        assert ts.offer_date(timesync.http_date(T + 10800)) is True and ts.lone_answer() is True
        c.wall = T                                  # app.wiring.clock_from_phone
        ts.phone_set()
        assert ts.lone_answer() is False and ts.source == "phone"
    try:
        swap_module("clock", c, walk)
    finally:
        timesync.clock = real_clock
