# RTC-memory persistence (runs on CPython and MicroPython).
from app import persist


class FakeRtc:
    def __init__(self):
        self.mem = b""
        self.writes = 0

    def memory(self, data=None):
        if data is None:
            return self.mem
        self.mem = bytes(data)
        self.writes += 1


def test_blob_survives_a_reset_and_boots_are_counted():
    rtc = FakeRtc()
    a = persist.RtcStore(rtc)
    assert a.load() == b""
    a.save(b"urgent_low sounding", 864060)
    a.save(b"urgent_low sounding", 864000)  # an older reading never moves it back
    b = persist.RtcStore(rtc)  # the board reset
    assert b.load() == b"urgent_low sounding"
    assert b.boots == 2
    assert b.last_dex == 864060
    b.healthy()
    c = persist.RtcStore(rtc)
    c.load()
    assert c.boots == 2


def test_corrupt_memory_is_ignored():
    rtc = FakeRtc()
    s = persist.RtcStore(rtc)
    s.load()
    s.save(b"state")
    raw = bytearray(rtc.mem)
    raw[11] ^= 0xFF
    rtc.mem = bytes(raw)
    t = persist.RtcStore(rtc)
    assert t.load() == b""
    assert t.boots == 1


def test_unchanged_state_is_not_rewritten():
    rtc = FakeRtc()
    s = persist.RtcStore(rtc)
    s.load()
    s.save(b"x")
    n = rtc.writes
    s.save(b"x")
    assert rtc.writes == n


def test_oversized_blob_is_refused():
    s = persist.RtcStore(FakeRtc())
    s.load()
    try:
        s.save(b"x" * 3000)
    except ValueError as e:
        assert "RTC memory" in str(e)
    else:
        assert False, "a blob larger than RTC memory must be refused"
