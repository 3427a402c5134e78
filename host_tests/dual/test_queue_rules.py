# The rules of the Nightscout upload queue (forward/queue.py) that
# `python tools/mutation.py --package forward --only queue` found unpinned, from
# its module comment and docstrings: the bound and what goes when full, the
# 150-s window of a duplicate on both sides (queued or recently sent), a new
# transmitter's restarted clock is no duplicate, the packed record's ranges
# refused loudly, empty slots never look like a reading, the image's headers
# (NSQ2, NSQ1) and sizes, and when a flash write is worth it.
# Runs on CPython and MicroPython.
import io
import struct

from forward import queue
from forward.queue import QueueError, UploadQueue

U = 1700000000   # a wall time in 2023


def r(dex, unix, sgv=100, trend=0):
    return (dex, unix, sgv, trend, 6, "live")


def _refused(fn, *args):
    try:
        fn(*args)
    except QueueError as e:
        return str(e)
    raise AssertionError("accepted %r" % (args,))


# --- the bound --------------------------------------------------------------------

def test_the_default_capacity_is_600_and_the_oldest_goes():
    q = UploadQueue()
    for i in range(601):
        assert q.push(r(300 * i, U + 300 * i)) is True
    assert len(q) == 600 and q.dropped == 1 and q.batch(1)[0][0] == 300


def test_a_capacity_under_a_day_or_no_sent_memory_is_refused():
    for kw in ({"capacity": 299}, {"capacity": 0}, {"sent_memory": 0}, {"sent_memory": -1}):
        try:
            UploadQueue(**kw)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (kw,))
    assert UploadQueue(capacity=300).capacity == 300
    assert UploadQueue(sent_memory=1).sent_memory == 1


def test_when_full_a_reading_older_than_all_is_the_one_dropped():
    q = UploadQueue(capacity=300)
    for i in range(300):
        q.push(r(10000 + 300 * i, U + 300 * i))
    before = q.entries()
    assert q.push(r(5, U - 3600)) is True     # counted as queued and dropped at once
    assert q.dropped == 1 and q.entries() == before


def test_when_full_a_backfill_reading_slots_in_and_the_oldest_goes():
    q = UploadQueue(capacity=300)
    for i in range(300):
        q.push(r(10000 + 600 * i, U + 600 * i))
    assert q.push(r(10300, U + 300)) is True  # between the first and the second
    got = q.entries()
    assert q.dropped == 1 and len(got) == 300
    assert [e[0] for e in got[:3]] == [10300, 10600, 11200]


def test_readings_of_one_wall_time_keep_their_arrival_order():
    q = UploadQueue()
    for dex in (3000, 1000, 2000):          # two transmitters' clocks, one wall second
        q.push(r(dex, U))
    q.push(r(9000, U + 300))
    q.push(r(4000, U))
    assert [e[0] for e in q.entries()] == [3000, 1000, 2000, 4000, 9000]


def test_the_entry_fields_are_named():
    q = UploadQueue()
    q.push(r(300, U, sgv=123, trend=-7))
    e = q.entries()[0]
    assert (e[queue.DEX_S], e[queue.UNIX_S], e[queue.SGV], e[queue.TREND]) == (300, U, 123, -7)


# --- duplicates ---------------------------------------------------------------------

def test_a_duplicate_is_the_same_dex_s_within_150_s_on_either_side():
    for delta, dup in ((149, True), (-149, True), (150, False), (-150, False)):
        q = UploadQueue()
        q.push(r(600, U))
        assert q.push(r(600, U + delta)) is (not dup), delta
    q = UploadQueue()
    q.push(r(600, U))
    assert q.push(r(900, U + 1)) is True       # another reading of the same moment


def test_a_restarted_transmitter_clock_is_no_duplicate():
    # a new transmitter counts dex_s from 0 again: same dex_s, other wall times
    q = UploadQueue()
    q.push(r(300, U))
    for i in range(1, 4):
        q.push(r(300 + 300 * i, U + 300 * i))
    assert q.push(r(300, U + 3000)) is True     # after them all
    assert q.push(r(600, U - 3000)) is True     # before them all
    assert len(q) == 6


def test_a_duplicate_two_entries_back_is_found():
    q = UploadQueue()
    q.push(r(1000, U))
    q.push(r(2000, U + 60))
    q.push(r(3000, U + 120))
    assert q.push(r(1000, U + 100)) is False    # the same reading, re-dated
    assert q.push(r(3000, U + 10)) is False     # and one ahead of where it would go
    assert len(q) == 3


def test_a_sent_reading_is_a_duplicate_within_150_s_only():
    for delta, dup in ((149, True), (-149, True), (150, False), (-150, False)):
        q = UploadQueue()
        q.push(r(600, U))
        q.ack(q.batch(1))
        assert len(q) == 0
        assert q.push(r(600, U + delta)) is (not dup), delta
    q = UploadQueue()
    q.push(r(600, U))
    q.ack(q.batch(1))
    assert q.push(r(900, U + 10)) is True       # another dex_s near a sent one
    assert q.push(r(600, U + 3000)) is True     # the same dex_s much later


def test_the_last_48_sent_readings_are_remembered_by_default():
    q = UploadQueue()
    for i in range(49):
        q.push(r(300 * i, U + 300 * i))
    q.ack(q.batch(49))
    assert q.push(r(300, U + 300)) is False     # one of the last 48
    assert q.push(r(0, U)) is True              # the 49th back is forgotten


def test_zero_is_a_transmitter_time_and_a_wall_time_not_an_empty_slot():
    q = UploadQueue()
    assert q.push(r(0, 100)) is True
    q = UploadQueue()
    q.push(r(7, 50))
    assert q.push(r(0, 100)) is True
    q = UploadQueue(sent_memory=4)
    q.push(r(5, U))
    q.ack(q.batch(1))
    assert q.push(r(0, 100)) is True
    assert [e[0] for e in q.entries()] == [0]


# --- what a reading must be -------------------------------------------------------

def test_no_wall_time_or_no_glucose_is_false_not_queued():
    q = UploadQueue()
    assert q.push(r(300, None)) is False and q.push(r(300, U, sgv=None)) is False
    assert len(q) == 0 and not q.dirty


def test_a_fractional_wall_time_is_taken_in_whole_seconds():
    q = UploadQueue()
    assert q.push(r(300, U + 0.75))
    assert q.entries() == [(300, U, 100, 0)]


def test_the_packed_ranges_are_accepted_to_their_ends_and_refused_past_them():
    top = 0xFFFFFFFF
    good = [r(0, 0, 0, None), r(top, top, 0xFFFF, 32767), r(5, 5, 5, -32767), r(top, 10, 1, 0)]
    for reading in good:
        q = UploadQueue()
        assert q.push(reading) is True, reading
        assert q.entries()[0] == reading[:4], (q.entries(), reading)
    bad = [r(-1, U), r(top + 1, U), r(5, -1), r(5, top + 1), r(5, U, -1), r(5, U, 0x10000),
           r(5, U, 100, 32768), r(5, U, 100, -32768)]   # -32768 is the packed "no trend"
    for reading in bad:
        q = UploadQueue()
        try:
            q.push(reading)
        except ValueError as e:
            assert "out of range" in str(e) and repr(tuple(reading[:4])) in str(e), (reading, e)
            assert len(q) == 0
            continue
        raise AssertionError("accepted %r" % (reading,))


# --- the image ----------------------------------------------------------------------

def _img(entries):
    q = UploadQueue()
    for e in entries:
        q.push(e)
    return q.dumps()


def test_an_empty_first_firmware_file_is_read():
    q = UploadQueue()
    q.restore(b"NSQ1" + struct.pack("<I", 0))
    assert len(q) == 0


def test_headers_too_short_or_of_another_kind_are_refused():
    for data in (b"NSQ1\x00\x00\x00", b"NSQ2\x00\x00\x00\x00", b"NSQ2\x00\x00\x00\x00\x00\x00\x00",
                 b"XXXX" + bytes(8), b"NSQ3" + bytes(8)):
        assert "magic" in _refused(UploadQueue().restore, data), data


def test_an_image_longer_than_its_entries_is_refused():
    img = _img([r(300, U), r(600, U + 300)])
    assert "truncated" in _refused(UploadQueue().restore, img + b"\x00")
    assert "truncated" in _refused(UploadQueue().restore, img + bytes(12))
    v1 = b"NSQ1" + struct.pack("<I", 1) + struct.pack("<IIHh", 300, U, 100, 0)
    assert "truncated" in _refused(UploadQueue().restore, v1 + bytes(12))


def test_a_file_shorter_than_its_stated_size_is_refused_and_nothing_merged():
    rec = struct.pack("<IIHh", 300, U, 100, 0)
    v1 = b"NSQ1" + struct.pack("<I", 2) + rec + rec[:6]
    q = UploadQueue()
    try:
        q.load(io.BytesIO(v1), len(v1) + 6)   # the file shrank under the caller
    except QueueError as e:
        assert "shorter" in str(e), e
    else:
        raise AssertionError("a short first-firmware file was merged: %r" % (q.entries(),))
    assert len(q) == 0


# --- when a flash write is worth it ------------------------------------------------

def test_a_fresh_queue_whose_readings_were_all_sent_writes_nothing():
    q = UploadQueue()
    assert not q.should_save(0)
    q.push(r(300, U))
    q.ack(q.batch(1))
    for t in (0, 300, 10 ** 6):
        assert q.should_save(t) is False, t


def test_an_acknowledgement_is_a_change_worth_a_write():
    q = UploadQueue()
    q.push(r(300, U))
    q.push(r(600, U + 300))
    q.mark_saved(1000)
    assert not q.should_save(1200)      # nothing changed since the write
    q.ack(q.batch(1))
    assert not q.should_save(1299)      # save_interval_s since the last write: not yet
    assert q.should_save(1300)


def test_save_interval_s_counts_from_the_last_write_or_first_change():
    q = UploadQueue()
    q.push(r(300, U))
    assert not q.should_save(100000)          # the first change, late in the day
    assert not q.should_save(100299)
    assert q.should_save(100300)
    q.mark_saved(100300)
    q.push(r(600, U + 300))
    assert not q.should_save(100301)          # 300 s since the last write, not since start
    assert not q.should_save(100599)
    assert q.should_save(100600)


def test_a_loaded_image_is_what_flash_holds():
    img = _img([r(300, U), r(600, U + 300)])
    q = UploadQueue()
    q.restore(img)
    assert q.should_save(0) is False and q.should_save(10 ** 6) is False
    q.ack(q.batch(2))                          # all sent: flash still holds them
    assert not q.should_save(10 ** 6)
    assert q.should_save(10 ** 6 + 300)
    q = UploadQueue()
    q.restore(_img([]))                        # an empty file: nothing to undo
    q.push(r(300, U))
    q.ack(q.batch(1))
    assert not q.should_save(0) and not q.should_save(10 ** 6)


def test_after_writing_readings_an_emptied_queue_is_written_again():
    q = UploadQueue()
    q.push(r(300, U))
    q.should_save(0)
    q.mark_saved(300)
    q.ack(q.batch(1))
    assert not q.should_save(400)
    assert q.should_save(600)                  # else a reset would send it again
    q.mark_saved(600)
    q.push(r(900, U + 900))
    q.ack(q.batch(1))
    assert not q.should_save(10 ** 6)          # flash already holds an empty queue


# --- keep_sent (the LAN API's history): the image and the count of unsent ones -------

def test_a_full_keep_sent_queue_whose_newest_reading_was_sent_still_saves_its_backfill():
    # the steady state of a box with both forwarders: full of sent readings, the
    # newest sent; a late backfill reading slots in before it, and the image
    # written to flash holds that one reading (its runs stop at the last record)
    q = UploadQueue(capacity=300, keep_sent=True)
    for k in range(300):
        q.push(r(300 * k, U + 300 * k))
    q.ack(q.batch(300))
    assert q.push(r(300 * 150 + 1, U + 300 * 150 + 1, 77, None)[:4])
    assert q.held() == 300 and len(q) == 1 and q.dropped == 0
    back = UploadQueue()
    back.restore(q.dumps())
    assert back.entries() == [(300 * 150 + 1, U + 300 * 150 + 1, 77, None)]


def test_an_acknowledgement_repeated_leaves_the_readings_still_unsent_counted():
    # an entry already marked sent is not marked again: the count of unsent ones is
    # what the image's header says and entries() gives (else the next restart
    # refused the whole file as truncated)
    q = UploadQueue(keep_sent=True)
    for k in range(3):
        q.push(r(300 * k, U + 300 * k, 100 + k))
    b = q.batch(1)
    q.ack(b)
    q.ack(b)
    assert len(q) == 2 and [e[2] for e in q.entries()] == [101, 102]
    back = UploadQueue()
    back.restore(q.dumps())
    assert [e[2] for e in back.entries()] == [101, 102]
