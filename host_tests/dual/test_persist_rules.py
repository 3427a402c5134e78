# The RTC-memory record (firmware/app/persist.py) as its layout comment and
# docstrings describe it, pinned where `python tools/mutation.py --package app`
# found it unpinned: the byte layout of version 6, the 2048-byte limit, the
# boot counter (written at every boot, capped at a byte), the time away (its
# bounds, odd seconds), a record cut short or unreadable memory (never a crash
# at boot), forget_transmitter, forget_all and whose transmitter the resume
# point is (own), the forwarders' addresses beside the alarm state. Runs on
# CPython and MicroPython.
import struct

from app import persist
from fakes import FakeRtc

HEAD = 44   # the version-10 header's bytes, by the layout above (the blob starts there)


class BrokenRtc:
    def memory(self, data=None):
        if data is None:
            raise OSError(5)
        self.mem = bytes(data)


def _wall(s):
    return lambda: s


def _checksum(data):
    s = 0
    for b in data:
        s = (s * 31 + b) & 0xFFFF
    return s


def _record(boots, last_dex, blob, saved_s, hole_start=0xFFFFFFFF, hole_end=0, tx_id=b"", version=10,
            names=b"", clock_back=0, ending_told=0, held=b"", owed_at=0, owed=0):
    """Version 10 by its comment: b"CG" | version u8 | boots u8 | last_dex u32 |
    blob length u16 | saved_s u32 | hole start u32 | hole end u32 | transmitter
    ID 6 bytes (zeros: none) | names length u8 | clock back u32 | ending told u32 |
    held length u16 | owed at u32 | owed u8 | blob | names | held | sum u16. Version 9:
    without the owed; 8: without the held either;
    7: without the ending told either; 6: without the clock back either; 5: without
    the names either; 4: without the ID either."""
    head = b"CG" + struct.pack("<BBIHIII", version, boots, last_dex, len(blob), saved_s,
                               hole_start, hole_end)
    if version >= 5:
        head += tx_id + bytes(6 - len(tx_id))
    if version >= 6:
        head += bytes((len(names),))
    if version >= 7:
        head += struct.pack("<I", clock_back)
    if version >= 8:
        head += struct.pack("<I", ending_told)
    if version >= 9:
        head += struct.pack("<H", len(held))
    if version >= 10:
        head += struct.pack("<IB", owed_at, owed)
    head += blob + names + held
    return head + struct.pack("<H", _checksum(head))


def _name(host, ip):
    """One kept name as the comment lays it out: length u8 | name | IPv4 4 bytes."""
    return bytes((len(host),)) + host + bytes(ip)


def test_the_record_is_laid_out_as_documented():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    st.save(b"alarm state", 864060)
    assert rtc.mem == _record(1, 864060, b"alarm state", 5001)
    st.hole = (863000, 863999)
    st.save(b"alarm state")
    assert rtc.mem == _record(1, 864060, b"alarm state", 5001, 863000, 863999)
    st.own("8G1234")
    assert rtc.mem == _record(1, 864060, b"alarm state", 5001, 863000, 863999, b"8G1234")
    # and a record written by hand that way is read back
    rtc2 = FakeRtc(_record(7, 123456, b"blob", 4000, 100, 399, b"80AB12"))
    again = persist.RtcStore(rtc2, _wall(4600))
    assert again.load() == b"blob"
    assert (again.boots, again.last_dex, again.hole, again.away_s, again.tx_id) == (
        8, 123456, (100, 399), 600, "80AB12")
    # version 5 (firmware before the names were kept): no names
    rtc5 = FakeRtc(_record(7, 123456, b"blob", 4000, 100, 399, b"80AB12", version=5))
    five = persist.RtcStore(rtc5, _wall(4600))
    assert five.load() == b"blob"
    assert (five.boots, five.last_dex, five.hole, five.away_s, five.tx_id, list(five.names)) == (
        8, 123456, (100, 399), 600, "80AB12", [])
    # version 4 (firmware before the ID was kept): whose it is, is not known
    rtc3 = FakeRtc(_record(7, 123456, b"blob", 4000, 100, 399, version=4))
    old = persist.RtcStore(rtc3, _wall(4600))
    assert old.load() == b"blob"
    assert (old.boots, old.last_dex, old.hole, old.away_s, old.tx_id) == (8, 123456, (100, 399), 600, None)


def test_the_largest_blob_fills_the_2048_bytes_exactly():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()
    biggest = b"b" * (2048 - HEAD - 2)
    st.save(biggest)
    assert len(rtc.mem) == 2048
    assert persist.RtcStore(rtc, _wall(1000)).load() == biggest
    try:
        st.save(biggest + b"!")
        assert False, "a record over 2048 bytes was written"
    except ValueError as e:
        assert "exceeds RTC memory" in str(e)
    assert len(rtc.mem) == 2048


def test_every_boot_is_counted_even_without_a_save():
    # a reset loop that never gets as far as saving still shows in the count
    rtc = FakeRtc()
    counts = []
    for _ in range(4):
        st = persist.RtcStore(rtc, _wall(1000))
        st.load()
        counts.append(st.boots)
    assert counts == [1, 2, 3, 4]


def test_the_boot_count_stops_at_255():
    for before, after in ((253, 254), (254, 255), (255, 255)):
        rtc = FakeRtc(_record(before, 0, b"x", 1000))
        st = persist.RtcStore(rtc, _wall(1000))
        assert st.load() == b"x"
        assert st.boots == after, (before, st.boots)
        assert persist.RtcStore(rtc, _wall(1000)).load() == b"x"      # still a valid record


def test_healthy_resets_the_count_once():
    rtc = FakeRtc(_record(5, 0, b"x", 1000))
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()
    st.healthy()
    n = rtc.writes
    st.healthy()
    assert rtc.writes == n
    nxt = persist.RtcStore(rtc, _wall(1000))
    assert nxt.load() == b"x" and nxt.boots == 2


def test_a_planned_restart_makes_the_next_boot_the_first():
    # a settings save restarts the box: two saves at the first set-up, a third boot,
    # sounded "3 resets in a row" (the device alarm) though nothing had failed
    rtc = FakeRtc(_record(2, 0, b"x", 1000))
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()
    assert st.boots == 3
    st.planned_restart()
    nxt = persist.RtcStore(rtc, _wall(1000))
    assert nxt.load() == b"x" and nxt.boots == 1, nxt.boots


def test_time_away_bounds():
    # from the save to this boot, by the RTC's clock; 0 to MAX_AWAY_S (a day) is
    # believed, anything else means the wall clock was set meanwhile: unknown
    assert persist.MAX_AWAY_S == 86400
    for now, away in ((1001, 0), (1000, None), (1002, 1), (1001 + 86400, 86400), (1001 + 86401, None)):
        st = persist.RtcStore(FakeRtc(_record(1, 0, b"x", 1001)), _wall(now))
        st.load()
        assert st.away_s == away, (now, st.away_s, away)
    # an odd save time is kept to the second
    rtc = FakeRtc()
    a = persist.RtcStore(rtc, _wall(7777))
    a.load()
    a.save(b"state")
    b = persist.RtcStore(rtc, _wall(7780))
    b.load()
    assert b.away_s == 3


def test_no_blob_no_time_away():
    st = persist.RtcStore(FakeRtc(_record(1, 0, b"", 1000)), _wall(1010))
    assert st.load() == b"" and st.away_s is None and st.boots == 2


def test_unreadable_memory_starts_afresh():
    st = persist.RtcStore(BrokenRtc(), _wall(1000))
    assert st.load() == b""
    assert st.boots == 1 and st.last_dex == 0 and st.hole is None


def test_a_record_cut_short_is_never_a_crash():
    rtc_full = FakeRtc(_record(3, 864060, b"alarm state", 1000, 100, 399,
                               names=_name(b"ns.lan", (10, 0, 0, 7))))
    full = rtc_full.mem
    for n in range(len(full)):
        st = persist.RtcStore(FakeRtc(full[:n]), _wall(1000))
        assert st.load() == b"", n
        assert st.boots == 1 and st.last_dex == 0 and st.hole is None and list(st.names) == [], n
    # the older layouts too: version 5 (no names), 4 (no ID), 3 (no hole) and 2 (no save time)
    for version in (5, 4):
        rec = _record(3, 864060, b"alarm state", 1000, 100, 399, version=version)
        for n in range(len(rec)):
            st = persist.RtcStore(FakeRtc(rec[:n]), _wall(1000))
            assert st.load() == b"" and st.boots == 1 and st.hole is None, (version, n)
    for fmt, fields in (("<BBIHI", (3, 3, 864060, 11, 1000)), ("<BBIH", (2, 3, 864060, 11))):
        head = b"CG" + struct.pack(fmt, *fields) + b"alarm state"
        rec = head + struct.pack("<H", _checksum(head))
        assert persist.RtcStore(FakeRtc(rec), _wall(1000)).load() == b"alarm state"
        for n in range(len(rec)):
            st = persist.RtcStore(FakeRtc(rec[:n]), _wall(1000))
            assert st.load() == b"" and st.boots == 1, (fields[0], n)


def test_an_empty_version_2_record_is_read():
    head = b"CG" + struct.pack("<BBIH", 2, 4, 864060, 0)
    rec = head + struct.pack("<H", _checksum(head))
    assert len(rec) == 12
    st = persist.RtcStore(FakeRtc(rec), _wall(1000))
    assert st.load() == b"" and st.boots == 5 and st.last_dex == 864060


def test_an_unknown_version_is_not_read():
    rec = bytearray(_record(3, 864060, b"alarm state", 1000))
    rec[2] = 11
    body = bytes(rec[:-2])
    rec = body + struct.pack("<H", _checksum(body))
    st = persist.RtcStore(FakeRtc(rec), _wall(1000))
    assert st.load() == b"" and st.boots == 1 and st.last_dex == 0


def test_forget_transmitter_keeps_the_alarm_state_and_the_count():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()
    st.hole = (100, 399)
    st.save(b"alarm state", 864060)
    st.forget_transmitter()
    assert st.last_dex == 0 and st.hole is None
    after = persist.RtcStore(rtc, _wall(1000))
    assert after.load() == b"alarm state"
    assert after.last_dex == 0 and after.hole is None and after.boots == 2
    # from then on the new transmitter's (smaller) dex times are kept
    after.save(b"alarm state", 5000)
    assert persist.RtcStore(rtc, _wall(1000)).load() == b"alarm state"
    assert after.last_dex == 5000


def test_after_forget_all_the_next_write_still_reaches_the_memory():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()                                   # boots 1, nothing else
    st.forget_all()
    assert rtc.mem == b""
    st.healthy()                                # boots back to 1: the same record as before
    assert rtc.mem == _record(1, 0, b"", 0)


def test_the_resume_point_of_another_transmitter_is_forgotten_the_alarm_state_kept():
    # a settings restart onto a new transmitter ID (chaos 1061): the newest dex time and the
    # hole were the old one's; the engine's state (glucose is glucose) and the count stay
    rtc = FakeRtc(_record(2, 864060, b"alarm state", 1000, 100, 399, b"8OLD01"))
    st = persist.RtcStore(rtc, _wall(1000))
    assert st.load() == b"alarm state" and st.tx_id == "8OLD01"
    st.own("8NEW02")
    assert (st.last_dex, st.hole, st.tx_id, st.boots) == (0, None, "8NEW02", 3)
    assert rtc.mem == _record(3, 0, b"alarm state", 1000, tx_id=b"8NEW02")
    # the same transmitter again keeps where it was
    st.save(b"alarm state", 5000)
    st.hole = (4000, 4599)
    st.own("8NEW02")
    assert (st.last_dex, st.hole) == (5000, (4000, 4599))
    # a record from before the ID was kept (version 4) is taken as this one's
    old = persist.RtcStore(FakeRtc(_record(2, 864060, b"", 1000, 100, 399, version=4)), _wall(1000))
    old.load()
    old.own("8NEW02")
    assert (old.last_dex, old.hole, old.tx_id) == (864060, (100, 399), "8NEW02")
    assert old.rtc.mem == _record(3, 864060, b"", 1000, 100, 399, b"8NEW02")


def test_an_id_that_is_not_text_is_never_a_crash_nor_taken_for_this_transmitters():
    # bytes the sum let through: the resume point may be another transmitter's, so it is
    # forgotten (review of a6cb037: taken as unknown, it was resumed on like a version 4's)
    rtc = FakeRtc(_record(2, 864060, b"alarm state", 1000, 100, 399, tx_id=b"\xff\xfe8G12"))
    st = persist.RtcStore(rtc, _wall(1000))
    assert st.load() == b"alarm state" and st.last_dex == 864060
    st.own("8G1234")
    assert (st.last_dex, st.hole, st.tx_id) == (0, None, "8G1234")


def test_the_forwarders_addresses_are_kept_beside_the_alarm_state():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    st.names_of = lambda: [("ns.example.org", "192.168.1.20"), ("mqtt", "10.0.0.255")]
    st.save(b"alarm state", 864060)
    names = _name(b"ns.example.org", (192, 168, 1, 20)) + _name(b"mqtt", (10, 0, 0, 255))
    assert rtc.mem == _record(1, 864060, b"alarm state", 5001, names=names)
    again = persist.RtcStore(rtc, _wall(5100))
    assert again.load() == b"alarm state"
    assert list(again.names) == [("ns.example.org", "192.168.1.20"), ("mqtt", "10.0.0.255")]
    # a save with no source (no forwarding wired yet) writes what was loaded
    again.save(b"no alarm")
    third = persist.RtcStore(rtc, _wall(5200))
    assert third.load() == b"no alarm"
    assert list(third.names) == [("ns.example.org", "192.168.1.20"), ("mqtt", "10.0.0.255")]
    again.forget_all()
    assert list(again.names) == []


def test_only_ipv4_addresses_of_short_names_are_kept_and_at_most_four():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1))
    st.load()
    st.names = [("v6", "fe80::1"), ("bad", "1.2.3.256"), ("short", "1.2.3"), ("x" * 256, "1.2.3.4"),
                ("a", "1.1.1.1"), ("b", "2.2.2.2"), ("c", "3.3.3.3")]
    st.save(b"s")
    # the first four entries are looked at; of those, none is an IPv4 address that fits
    back = persist.RtcStore(rtc, _wall(1))
    back.load()
    assert list(back.names) == []
    st.names = [("a", "1.1.1.1"), ("b", "2.2.2.2"), ("c", "3.3.3.3"), ("d", "4.4.4.4"), ("e", "5.5.5.5")]
    st.save(b"s")
    back = persist.RtcStore(rtc, _wall(1))
    back.load()
    assert list(back.names) == [("a", "1.1.1.1"), ("b", "2.2.2.2"), ("c", "3.3.3.3"), ("d", "4.4.4.4")]


def test_names_fill_their_128_bytes_exactly():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1))
    st.load()
    st.names = [("n" * 123, "1.1.1.1")]   # 1 + 123 + 4 = 128 bytes
    st.save(b"s")
    assert len(rtc.mem) == HEAD + 1 + 128 + 2
    back = persist.RtcStore(rtc, _wall(1))
    back.load()
    assert list(back.names) == [("n" * 123, "1.1.1.1")]
    st.names = [("n" * 124, "1.1.1.1"), ("a", "2.2.2.2")]   # 129 bytes: left out, the next kept
    st.save(b"s")
    back = persist.RtcStore(rtc, _wall(1))
    back.load()
    assert list(back.names) == [("a", "2.2.2.2")]


def test_names_take_the_room_the_alarm_state_leaves_to_the_byte():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1))
    st.load()
    room = 9
    blob = b"b" * (2048 - HEAD - 2 - room)
    st.names = [("abcd", "1.1.1.1")]   # 1 + 4 + 4 = 9 bytes: fits
    st.save(blob)
    assert len(rtc.mem) == 2048
    back = persist.RtcStore(rtc, _wall(1))
    assert back.load() == blob and list(back.names) == [("abcd", "1.1.1.1")]
    st.names = [("abcde", "1.1.1.1")]  # 10 bytes: does not
    st.save(blob)
    back = persist.RtcStore(rtc, _wall(1))
    assert back.load() == blob and list(back.names) == []


def test_names_never_crowd_out_the_alarm_state():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1))
    st.load()
    st.names = [("n" * 100, "1.1.1.1"), ("m" * 20, "2.2.2.2")]
    st.save(b"s")   # 105 + 25 bytes: only the first fits in 128
    back = persist.RtcStore(rtc, _wall(1))
    back.load()
    assert list(back.names) == [("n" * 100, "1.1.1.1")]
    biggest = b"b" * (2048 - HEAD - 2)
    st.save(biggest)   # the largest alarm state leaves no room: the names go
    back = persist.RtcStore(rtc, _wall(1))
    assert back.load() == biggest
    assert list(back.names) == []
    st.save(biggest[:-30])   # room for the second only
    back = persist.RtcStore(rtc, _wall(1))
    assert back.load() == biggest[:-30]
    assert list(back.names) == [("m" * 20, "2.2.2.2")]


def test_names_that_are_not_two_strings_never_cost_the_alarm_state():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1))
    st.load()
    st.names_of = lambda: [("ns.lan", None), (None, "1.2.3.4"), ("x",), 5, ("ok", "1.2.3.4")]
    st.save(b"urgent_low sounding")
    back = persist.RtcStore(rtc, _wall(1))
    assert back.load() == b"urgent_low sounding"
    assert list(back.names) == []   # the first four entries are looked at: none usable


def test_a_failing_names_source_never_costs_the_alarm_state():
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(1))
    st.load()

    def broken():
        raise RuntimeError("names")
    st.names_of = broken
    st.save(b"urgent_low sounding")
    assert persist.RtcStore(rtc, _wall(1)).load() == b"urgent_low sounding"


def test_names_bytes_the_sum_let_through_are_never_a_crash():
    names = _name(b"ok", (1, 2, 3, 4)) + bytes((200,)) + b"cut"
    back = persist.RtcStore(FakeRtc(_record(1, 0, b"blob", 0, names=names)), _wall(0))
    assert back.load() == b"blob"
    assert list(back.names) == [("ok", "1.2.3.4")]
    for cut in (1, 4, 5):   # the last name short of its address, or of a byte of its own
        names = _name(b"ok", (1, 2, 3, 4)) + _name(b"no", (5, 6, 7, 8))[:-cut]
        back = persist.RtcStore(FakeRtc(_record(1, 0, b"blob", 0, names=names)), _wall(0))
        assert back.load() == b"blob"
        assert list(back.names) == [("ok", "1.2.3.4")], cut
    bad = _name(b"ok", (1, 2, 3, 4)) + _name(b"\xff\xfe", (5, 6, 7, 8))
    back = persist.RtcStore(FakeRtc(_record(1, 0, b"blob", 0, names=bad)), _wall(0))
    assert back.load() == b"blob"
    assert list(back.names) == [("ok", "1.2.3.4")]


def test_how_far_the_clock_stepped_back_is_written_at_each_step_and_survives_a_reset():
    # clock.back_s() lives in RAM: a reset between the clock's correction and the next
    # reading (a settings save restarts the box 3 s after the phone set its clock) lost
    # it, and readings the clock had dated ahead stayed so (forward.redate)
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    st.stepped(-7200, 7200)                  # clock.on_step: written at once
    assert rtc.mem == _record(1, 0, b"", 0, clock_back=7200)   # (no save yet: no save time to move)
    st.planned_restart()                     # and kept by the writes after it
    assert rtc.mem == _record(0, 0, b"", 0, clock_back=7200)
    again = persist.RtcStore(rtc, _wall(5002))
    again.load()
    assert again.clock_back == 7200
    again.stepped(-1800, 9000)
    again.save(b"alarm state")
    assert persist.RtcStore(FakeRtc(rtc.mem), _wall(5003)).load() == b"alarm state"
    third = persist.RtcStore(rtc, _wall(5003))
    third.load()
    assert third.clock_back == 9000
    # a version 6 record (the firmware before): none, and its names read as they were
    names = _name(b"ns.example", (10, 0, 0, 5))
    old = persist.RtcStore(FakeRtc(_record(2, 864060, b"blob", 1000, version=6, names=names)),
                           _wall(1000))
    assert old.load() == b"blob" and old.clock_back == 0
    assert old.names == [("ns.example", "10.0.0.5")], old.names
    # the factory reset forgets it, also through the restart's own write after it
    third.forget_all()
    third.planned_restart()
    fourth = persist.RtcStore(rtc, _wall(5004))
    fourth.load()
    assert third.clock_back == 0 and fourth.clock_back == 0


def _away_after_step(save_at, step, reset_at):
    """The time away the next boot reads: the alarm state saved at RTC second save_at,
    the clock stepped by `step` (RtcStore.stepped), a reset when the RTC reads reset_at."""
    now = [save_at]
    st = persist.RtcStore(FakeRtc(), lambda: now[0])
    st.load()
    st.save(b"alarm state")
    st.stepped(step, 0)
    now[0] = reset_at
    again = persist.RtcStore(st.rtc, lambda: now[0])
    assert again.load() == b"alarm state"
    return again.away_s


def test_a_step_of_the_clock_moves_the_last_saves_time_so_the_time_away_is_the_boards():
    # the clock put an hour on (the phone, NTP) and a reset within the minute to the next
    # save: the restored alarm state was aged by the hour (no_data a minute after the boot)
    assert _away_after_step(100000, 3600, 100000 + 3600 + 60) == 60
    # a step back the same way
    assert _away_after_step(100000, -1800, 100000 - 1800 + 30) == 30


def test_a_clock_back_beyond_a_year_is_damage_and_read_as_none():
    for back, kept in ((366 * 86400, 366 * 86400), (366 * 86400 + 1, 0), (4000000000, 0)):
        st = persist.RtcStore(FakeRtc(_record(2, 864060, b"blob", 1000, clock_back=back)), _wall(1000))
        assert st.load() == b"blob" and st.clock_back == kept, back


def test_a_step_from_unset_moves_the_save_time_too_and_one_below_zero_wraps():
    # a save in the RTC's power-on seconds, then the clock set from unset (the phone at a
    # settings save, whose restart follows): the time away was unknown, taken as none
    assert _away_after_step(500, 1700000000 - 500, 1700000000 + 60) == 60
    # a save at power-on second 50, then a step back of 120 s: the save time wraps below 0
    # (its time away unknown) and the record still writes
    now = [50]
    st = persist.RtcStore(FakeRtc(), lambda: now[0])
    st.load()
    st.save(b"alarm state")
    st.stepped(-120, 0)
    st.healthy()
    st.save(b"alarm state", 864060)
    again = persist.RtcStore(st.rtc, lambda: now[0])
    assert again.load() == b"alarm state" and again.last_dex == 864060 and again.away_s is None


def test_the_session_end_told_is_written_at_once_moves_with_a_step_and_is_forgotten_by_a_reset():
    # main._watch_session: the `ending` notice told for a session end is not told again
    # after a reset (record version 8)
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    st.told_ending(1800000000)
    assert rtc.mem == _record(1, 0, b"", 0, ending_told=1800000000)
    again = persist.RtcStore(rtc, _wall(5002))
    again.load()
    assert again.ending_told == 1800000000
    again.stepped(3600, 0)                   # the same moment on a clock put an hour on
    assert persist.RtcStore(FakeRtc(rtc.mem), _wall(0)).load() == b"" and \
        rtc.mem == _record(2, 0, b"", 0, ending_told=1800003600)
    again.stepped(-1900000000, 0)            # (never below 0)
    assert again.ending_told == 0
    again.told_ending(4000000000)
    again.stepped(400000000, 0)              # (nor above what the record holds)
    assert again.ending_told == 0xFFFFFFFF
    again.told_ending(1800000000)
    again.told_ending(0)                     # taken back
    assert rtc.mem == _record(2, 0, b"", 0)
    # a version 7 record (the firmware before): none told, the rest read as it was
    old = persist.RtcStore(FakeRtc(_record(2, 864060, b"blob", 1000, version=7, clock_back=60)), _wall(1000))
    assert old.load() == b"blob" and old.ending_told == 0 and old.clock_back == 60
    # what the record cannot hold is held at its bounds, never raised at a save
    again.told_ending(-5)
    assert again.ending_told == 0 and rtc.mem == _record(2, 0, b"", 0)
    again.told_ending(1 << 33)
    assert again.ending_told == 0xFFFFFFFF and rtc.mem == _record(2, 0, b"", 0, ending_told=0xFFFFFFFF)
    # the factory reset forgets it
    again.told_ending(1800000000)
    again.forget_all()
    assert again.ending_told == 0 and persist.RtcStore(rtc, _wall(0)).load() == b""


def test_the_nightscout_uploaders_held_readings_are_kept_after_the_names():
    # forward.nightscout held_image(): readings held for want of a wall time, which the
    # link (resuming after them) never gives again; asked at every save (record version 9)
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    held = [b"12345678"]
    st.held_of = lambda: held[0]
    st.save(b"alarm state", 864060)
    assert rtc.mem == _record(1, 864060, b"alarm state", 5001, held=b"12345678")
    again = persist.RtcStore(rtc, _wall(5002))
    again.load()
    assert again.held == b"12345678"
    again.save(b"alarm state")                  # nobody asked yet (the uploader not started)
    assert rtc.mem == _record(2, 864060, b"alarm state", 5001, held=b"12345678")
    again.held_of = lambda: 1 // 0              # a failing uploader costs nothing else
    again.save(b"alarm state 2")
    assert persist.RtcStore(FakeRtc(rtc.mem), _wall(5002)).load() == b"alarm state 2"
    # the alarm state and the names first: the newest whole records that fit
    big = b"b" * (2048 - HEAD - 2 - 20)
    again.held_of = lambda: b"AAAAAAAA" + b"BBBBBBBB" + b"CCCCCCCC"
    again.save(big)
    assert len(rtc.mem) == 2048 - 4 and rtc.mem == _record(2, 864060, big, 5002, held=b"BBBBBBBBCCCCCCCC")
    # a version 8 record (the firmware before): none held, the rest read as it was
    old = persist.RtcStore(FakeRtc(_record(2, 864060, b"blob", 1000, version=8, ending_told=7)), _wall(1000))
    assert old.load() == b"blob" and old.held == b"" and old.ending_told == 7
    again.forget_all()
    assert again.held == b""


def test_the_time_notices_owed_are_written_at_once_move_with_a_step_and_survive_a_reset():
    # main.App.time_notice: a clock step taken or refused at night is owed to the morning,
    # kept as the engine's holds to the morning are (record version 10)
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    st.owe(1800000000, 3)
    assert rtc.mem == _record(1, 0, b"", 0, owed_at=1800000000, owed=3)
    again = persist.RtcStore(rtc, _wall(5002))
    again.load()
    assert (again.owed_at, again.owed) == (1800000000, 3)
    again.stepped(-3600, 0)                  # the same moment on a clock put an hour back
    assert rtc.mem == _record(2, 0, b"", 0, owed_at=1799996400, owed=3)
    again.owe(0, 0)                          # told
    assert rtc.mem == _record(2, 0, b"", 0)
    again.stepped(3600, 0)                   # (nothing owed: nothing moved)
    assert again.owed_at == 0
    # a version 9 record (the firmware before): nothing owed, the rest read as it was
    old = persist.RtcStore(FakeRtc(_record(2, 864060, b"blob", 1000, version=9, held=b"12345678")), _wall(1000))
    assert old.load() == b"blob" and (old.owed_at, old.owed) == (0, 0) and old.held == b"12345678"
    # the factory reset forgets it
    again.owe(1800000000, 1)
    again.forget_all()
    assert again.owed == 0 and persist.RtcStore(rtc, _wall(0)).load() == b""


def test_readings_held_without_a_wall_time_are_dropped_with_another_transmitters_resume_point():
    # chaos seed 5688: readings of the old transmitter (its clock restarted, no wall time)
    # held through the settings restart onto a new ID were dated by the new transmitter's
    # first reading with one (forward.nightscout _date_held: both clocks near 0) and reached
    # Nightscout 24 min late. Those dated before (a mark: glucose 0, their activation) keep it.
    dated = struct.pack("<IHh", 100, 120, 2) + struct.pack("<IHh", 1767864346, 0, 0)
    undated = struct.pack("<IHh", 16, 73, 5) + struct.pack("<IHh", 317, 85, -32768)
    rtc = FakeRtc(_record(2, 6316, b"alarm state", 1000, tx_id=b"8OLD01", held=dated + undated))
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()
    assert st.held == dated + undated
    assert st.own("8OLD01") == 0                 # the same transmitter: all of them kept
    assert st.held == dated + undated
    assert st.own("8NEW02") == 2 and st.held_lost == 2   # (the uploader raises nightscout_undated)
    assert st.held == dated
    assert rtc.mem == _record(3, 0, b"alarm state", 1000, tx_id=b"8NEW02", held=dated)
    only = persist.RtcStore(FakeRtc(_record(2, 6316, b"", 1000, tx_id=b"8OLD01", held=undated)), _wall(1000))
    only.load()
    assert only.own("8NEW02") == 2
    assert only.held == b""


def test_readings_held_without_a_wall_time_are_dropped_when_the_link_meets_another_clock():
    # link event tx_clock within one boot (the transmitter's clock restarted): the uploader
    # drops its held readings, but RTC memory kept them until the next save asked it again
    # (held_of, after the next reading is judged): a reset in between brought them back,
    # and the new clock's first wall time dated them (the link, resuming at 0, met no
    # tx_clock again). Those dated already keep their mark.
    dated = struct.pack("<IHh", 100, 120, 2) + struct.pack("<IHh", 1767864346, 0, 0)
    undated = struct.pack("<IHh", 10860, 142, 0) + struct.pack("<IHh", 11160, 143, -32768)
    rtc = FakeRtc(_record(2, 11160, b"alarm state", 1000, tx_id=b"8OLD01", held=dated + undated))
    st = persist.RtcStore(rtc, _wall(1000))
    st.load()
    st.own("8OLD01")
    assert st.held == dated + undated
    st.forget_transmitter()
    again = persist.RtcStore(rtc, _wall(1000))   # the reset's next boot
    again.load()
    assert again.held == dated and again.last_dex == 0


def test_held_readings_fill_the_room_left_to_a_record_never_past_2048_bytes():
    # the newest held readings that fit after the alarm state and the names, read back
    # whole beside the names: one record more than the room is a write ESP32's RTC memory
    # refuses (the alarm state lost with it), one less a reading lost from Nightscout
    names = _name(b"ns.lan", (10, 0, 0, 7))
    held = b"".join(struct.pack("<IHh", 1000 + 300 * i, 100 + i % 200, 0) for i in range(300))
    for extra in range(9):
        rtc = FakeRtc()
        st = persist.RtcStore(rtc, _wall(5001))
        st.load()
        st.names_of = lambda: [("ns.lan", "10.0.0.7")]
        st.held_of = lambda: held
        blob = b"s" * (1500 + extra)
        st.save(blob)
        assert 2048 - persist.HELD_REC < len(rtc.mem) <= 2048, (extra, len(rtc.mem))
        again = persist.RtcStore(FakeRtc(rtc.mem), _wall(5002))
        assert again.load() == blob
        assert list(again.names) == [("ns.lan", "10.0.0.7")]
        kept = len(rtc.mem) - HEAD - 2 - len(blob) - len(names)
        assert kept % persist.HELD_REC == 0 and again.held == held[-kept:], extra


def test_a_record_with_names_and_held_readings_cut_anywhere_is_never_a_crash():
    rec = _record(3, 864060, b"alarm state", 1000, 100, 399, tx_id=b"8G1234",
                  names=_name(b"ns.lan", (10, 0, 0, 7)), held=b"12345678" * 4)
    whole = persist.RtcStore(FakeRtc(rec), _wall(1000))
    assert whole.load() == b"alarm state" and whole.held == b"12345678" * 4
    for n in range(len(rec)):
        st = persist.RtcStore(FakeRtc(rec[:n]), _wall(1000))
        assert st.load() == b"" and st.held == b"" and st.boots == 1, n


def test_a_version_6_records_alarm_state_is_not_read_as_a_clock_back():
    # version 6 has no clock back: the bytes where version 7 keeps it are the alarm state's
    names = _name(b"ns.example", (10, 0, 0, 5))
    old = persist.RtcStore(FakeRtc(_record(2, 864060, b"\x3c\0\0\0state", 1000, version=6, names=names)),
                           _wall(1000))
    assert old.load() == b"\x3c\0\0\0state" and old.clock_back == 0
    assert old.names == [("ns.example", "10.0.0.5")]


def test_a_version_below_2_is_not_read():
    for version in (0, 1):
        rec = bytearray(_record(3, 864060, b"alarm state", 1000))
        rec[2] = version
        body = bytes(rec[:-2])
        st = persist.RtcStore(FakeRtc(body + struct.pack("<H", _checksum(body))), _wall(1000))
        assert st.load() == b"" and st.boots == 1 and st.last_dex == 0, version


def test_no_held_reading_is_said_lost_unless_own_dropped_one():
    # wiring passes held_lost to the uploader, which raises nightscout_undated for it
    rtc = FakeRtc(_record(2, 6316, b"alarm state", 1000, tx_id=b"8OLD01", held=b"12345678"))
    st = persist.RtcStore(rtc, _wall(1000))
    assert st.held_lost == 0
    st.load()
    assert st.own("8OLD01") == 0 and st.held_lost == 0
    fresh = persist.RtcStore(FakeRtc(), _wall(1000))
    fresh.load()
    assert fresh.own("8NEW02") == 0 and fresh.held_lost == 0   # (a record without an ID)


def test_a_planned_restart_writes_the_held_readings_and_names_of_now():
    # the queue has just gone to flash (before_reset): the readings held at the last save
    # must not come back at the restart to be dated by a clock the phone's save set
    rtc = FakeRtc()
    st = persist.RtcStore(rtc, _wall(5001))
    st.load()
    now = [b"12345678" * 2, [("ns.lan", "10.0.0.7")]]
    st.held_of = lambda: now[0]
    st.names_of = lambda: now[1]
    st.save(b"alarm state")
    now[:] = [b"", [("ns.lan", "10.0.0.8")]]
    st.planned_restart()
    nxt = persist.RtcStore(rtc, _wall(5002))
    assert nxt.load() == b"alarm state"
    assert nxt.held == b"" and nxt.names == [("ns.lan", "10.0.0.8")] and nxt.boots == 1


def test_a_step_keeps_an_odd_save_time_to_the_second():
    assert _away_after_step(100001, 3600, 100001 + 3600 + 61) == 61
