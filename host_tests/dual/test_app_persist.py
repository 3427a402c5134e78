# RTC-memory persistence (runs on CPython and MicroPython).
from app import persist
from fakes import FakeRtc


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


class FakeWall:
    def __init__(self, s):
        self.s = s

    def __call__(self):
        return self.s


def test_the_time_away_during_a_reset_is_known_from_the_rtc_clock():
    rtc, wall = FakeRtc(), FakeWall(5000)
    a = persist.RtcStore(rtc, wall)
    a.load()
    a.save(b"state one")
    wall.s = 5600
    a.save(b"state one")            # unchanged: its save time stays 5000
    wall.s = 5840                   # the board resets 840 s after the save
    b = persist.RtcStore(rtc, wall)
    assert b.load() == b"state one" and b.away_s == 840
    wall.s = 100                    # the wall clock was set backwards meanwhile
    assert persist.RtcStore(rtc, wall).load() == b"state one"
    c = persist.RtcStore(rtc, wall)
    c.load()
    assert c.away_s is None
    wall.s = 5000 + persist.MAX_AWAY_S + 1   # ... or far forwards
    d = persist.RtcStore(rtc, wall)
    d.load()
    assert d.away_s is None


def _old_record(fmt, fields, blob):
    """An RTC record as an earlier firmware wrote it: b"CG", fields, blob, checksum."""
    import struct
    head = b"CG" + struct.pack(fmt, *fields) + blob
    s = 0
    for b in head:
        s = (s * 31 + b) & 0xFFFF
    return head + struct.pack("<H", s)


def test_a_record_from_the_previous_firmware_is_still_read():
    """Version 2 (before the save time was kept): the alarm state survives the
    update's restart, with the time away unknown."""
    blob = b"urgent_low sounding"
    rtc = FakeRtc()
    rtc.mem = _old_record("<BBIH", (2, 1, 864060, len(blob)), blob)
    st = persist.RtcStore(rtc, FakeWall(5000))
    assert st.load() == blob and st.last_dex == 864060 and st.boots == 2
    assert st.away_s is None
    st.save(blob + b"!")                       # written back in the new layout
    again = persist.RtcStore(rtc, FakeWall(5010))
    assert again.load() == blob + b"!" and again.away_s == 10


def test_the_span_the_link_still_has_to_backfill_survives_a_reset():
    rtc = FakeRtc()
    a = persist.RtcStore(rtc, FakeWall(5000))
    a.load()
    assert a.hole is None
    a.hole = (864000, 864299)
    a.save(b"state", 864600)
    b = persist.RtcStore(rtc, FakeWall(5010))
    assert b.load() == b"state" and b.hole == (864000, 864299) and b.last_dex == 864600
    b.hole = None                              # backfilled meanwhile
    b.save(b"state")
    c = persist.RtcStore(rtc, FakeWall(5020))
    assert c.load() == b"state" and c.hole is None


def test_a_version_3_record_is_still_read_without_a_hole():
    blob = b"urgent_low sounding"
    rtc = FakeRtc()
    rtc.mem = _old_record("<BBIHI", (3, 1, 864060, len(blob), 4990), blob)
    st = persist.RtcStore(rtc, FakeWall(5000))
    assert st.load() == blob and st.last_dex == 864060 and st.away_s == 10 and st.hole is None


def test_a_factory_reset_forgets_everything_rtc_memory_keeps():
    rtc = FakeRtc()
    a = persist.RtcStore(rtc, FakeWall(5000))
    a.load()
    a.hole = (864000, 864299)
    a.save(b"urgent_low snoozed", 864600)
    b = persist.RtcStore(rtc, FakeWall(5010))  # a reset: boot 2
    b.load()
    b.held_of = lambda: b"12345678"            # the uploader's readings, the servers' names
    b.names_of = lambda: [("ns.example.org", "10.0.0.7")]
    b.forget_all()
    b.planned_restart()                        # the restart's own write, after the wipe
    assert b.blob == b"" and b.last_dex == 0 and b.hole is None
    c = persist.RtcStore(rtc, FakeWall(5020))  # the restart after the factory reset
    assert c.load() == b"" and c.held == b"" and not c.names
    assert c.boots == 1 and c.last_dex == 0 and c.hole is None and c.away_s is None
