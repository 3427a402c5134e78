"""Pure forwarding logic: upload queue, Nightscout entry shapes, LAN history, HTTP date."""
from forward.queue import UploadQueue, QueueError
from forward.entries import direction, iso_utc, mmol_text, sgv_entry
from forward.history import History
from forward.timesync import parse_http_date


def r(dex, unix, sgv=100, trend=0, source="live"):
    return (dex, unix, sgv, trend, 6, source)


def test_queue_order_dedup_bound():
    q = UploadQueue(capacity=300)
    assert q.push(r(600, 1000600))
    assert q.push(r(300, 1000300, source="backfill"))  # older backfill slots in before
    assert not q.push(r(600, 1000601))  # same transmitter time: duplicate
    assert not q.push(r(900, None)) and not q.push(r(900, 1000900, sgv=None))
    for bad in (r(-1, 1000900), r(900, 1000900, sgv=70000), r(900, 1000900, trend=40000)):
        try:   # out of the packed record's range: refused loudly, not wrapped
            q.push(bad)
            assert False, bad
        except ValueError as e:
            assert "out of range" in str(e)
    assert [e[0] for e in q.batch(10)] == [300, 600]
    q.ack(q.batch(1))
    assert not q.push(r(300, 1000300))  # already uploaded
    for i in range(400):
        q.push(r(10000 + i * 300, 2000000 + i * 300))
    assert len(q) == 300 and q.dropped == 101
    assert q.batch(1)[0][0] == 10000 + 100 * 300


def test_queue_image_round_trip_and_save_policy():
    q = UploadQueue(save_interval_s=1800)
    q.push(r(300, 1000300, trend=None))
    q.push(r(600, 1000600, trend=-35))
    assert not q.should_save(0)  # first change: wait save_interval_s
    assert q.should_save(1800)
    img = q.dumps()
    q.mark_saved(1800)
    assert not q.should_save(99999)
    q2 = UploadQueue()
    q2.restore(img)
    assert q2.entries() == [(300, 1000300, 100, None), (600, 1000600, 100, -35)]
    for bad in (b"", b"XXXX\x00\x00\x00\x00", img[:-1]):
        try:
            UploadQueue().restore(bad)
            assert False, "accepted a corrupt image"
        except QueueError:
            pass


def test_a_damaged_queue_image_of_the_right_length_is_refused_and_nothing_merged():
    q = UploadQueue()
    q.push(r(300, 1000300))
    q.push(r(600, 1000600, trend=-35))
    img = bytearray(q.dumps())
    img[-7] ^= 0x40                     # the last reading's glucose, one bit of flash gone
    q2 = UploadQueue()
    q2.push(r(900, 1000900))
    before = q2.entries()
    try:
        q2.restore(bytes(img))
        assert False, "accepted a damaged image"
    except QueueError as e:
        assert "CRC" in str(e), e
    assert q2.entries() == before      # nothing of the damaged file merged


def test_the_first_firmwares_queue_file_is_still_read():
    import struct
    rec = struct.pack("<IIHh", 300, 1000300, 123, -32768) + struct.pack("<IIHh", 600, 1000600, 118, -12)
    q = UploadQueue()
    q.restore(b"NSQ1" + struct.pack("<I", 2) + rec)
    assert q.entries() == [(300, 1000300, 123, None), (600, 1000600, 118, -12)]


class _ListQueue:
    """The queue's rules written plainly over a list (the reference model)."""

    def __init__(self, capacity):
        self.capacity, self.items, self.sent, self.dropped = capacity, [], [], 0

    def push(self, dex, unix, sgv, trend):
        for e in self.items + self.sent:
            if e[0] == dex and -150 < e[1] - unix < 150:
                return False
        i = len(self.items)
        while i > 0 and self.items[i - 1][1] > unix:
            i -= 1
        self.items.insert(i, (dex, unix, sgv, trend))
        if len(self.items) > self.capacity:
            self.items.pop(0)
            self.dropped += 1
        return True

    def ack(self, entries):
        for e in entries:
            if e in self.items:
                self.items.remove(e)
            self.sent = (self.sent + [(e[0], e[1])])[-48:]


def _lcg(seed):
    """rnd(n) in 0..n-1 from a fixed sequence (the same on both runtimes)."""
    state = [seed]

    def rnd(n):
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return state[0] % n
    return rnd


def test_queue_matches_the_plain_list_model_under_random_operations():
    rnd = _lcg(12345)

    q, ref = UploadQueue(capacity=300), _ListQueue(300)
    longest = 0
    for step in range(3000):
        op = rnd(10)
        outage = 800 <= step < 1600  # nothing acknowledged: the queue fills and overflows
        if op < 7 or outage:  # a reading: mostly new, some repeats, some backfill from the past
            slot = max(0, step - rnd(40)) if op < 2 else step
            dex, unix = 300 * slot, 1000000 + 300 * slot + rnd(3) * 60
            trend = None if rnd(5) == 0 else rnd(60) - 30
            sgv = 40 + rnd(360)
            assert q.push(r(dex, unix, sgv, trend)) == ref.push(dex, unix, sgv, trend), step
        elif op < 9:
            b = q.batch(1 + rnd(20))
            assert b == ref.items[:len(b)]
            q.ack(b)
            ref.ack(b)
        else:  # a batch acknowledged after overflow dropped some of it
            b = q.batch(5)
            for k in range(3):
                q.push(r(10 ** 8 + 300 * (step * 3 + k), 10 ** 8 + 300 * (step * 3 + k)))
                ref.push(10 ** 8 + 300 * (step * 3 + k), 10 ** 8 + 300 * (step * 3 + k), 100, 0)
            q.ack(b)
            ref.ack(b)
        assert len(q) == len(ref.items) and q.dropped == ref.dropped
        longest = max(longest, len(q))
    assert q.entries() == ref.items
    assert longest == 300 and ref.dropped > 0 and ref.sent  # the run reached every case


def test_direction_thresholds_as_xdrip():
    cases = [(None, "NOT COMPUTABLE"), (401, "NONE"), (400, "DoubleUp"), (36, "DoubleUp"),
             (35, "SingleUp"), (21, "SingleUp"), (20, "FortyFiveUp"), (11, "FortyFiveUp"),
             (10, "Flat"), (0, "Flat"), (-9, "Flat"), (-10, "FortyFiveDown"),
             (-19, "FortyFiveDown"), (-20, "SingleDown"), (-34, "SingleDown"),
             (-35, "DoubleDown"), (-500, "DoubleDown")]
    for t, name in cases:
        assert direction(t) == name, (t, direction(t), name)


def test_mmol_text_is_the_tenth_the_apps_show():
    # what the screen, the status page and the setup form show in mmol/L: mg/dL over
    # 18.0182 (xDrip+'s), rounded to the nearest tenth (70 is 3.885: "3.9")
    cases = [(0, "0.0"), (10, "0.6"), (39, "2.2"), (54, "3.0"), (55, "3.1"), (70, "3.9"),
             (72, "4.0"), (100, "5.5"), (180, "10.0"), (250, "13.9"), (400, "22.2")]
    for mg, text in cases:
        assert mmol_text(mg) == text, (mg, mmol_text(mg), text)


def test_entry_shape_and_iso():
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1709210096) == "2024-02-29T12:34:56.000Z"
    e = sgv_entry(1700000000, 142, 15, "bedside-cgm")
    assert e == {"type": "sgv", "sgv": 142, "date": 1700000000000,
                 "dateString": "2023-11-14T22:13:20.000Z", "sysTime": "2023-11-14T22:13:20.000Z",
                 "direction": "FortyFiveUp", "device": "bedside-cgm"}


def test_history_ring_and_query():
    h = History(5)
    for k, u in enumerate([10, 30, 20, 50, 40, 60, 70]):
        h.add(r(k, u, 100 + k))
    assert not h.add(r(99, 5))  # older than everything in a full ring
    assert not h.add(r(6, 70))  # same transmitter time
    assert [x[0][1] for x in h.query(10)] == [70, 60, 50, 40, 30]
    assert [x[0][1] for x in h.query(10, gt=30000, lte=60000)] == [60, 50, 40]
    assert [x[0][1] for x in h.query(2, gte=40000)] == [70, 60]
    assert [x[0][1] for x in h.query(10, lt=50000)] == [40, 30]


def test_http_date():
    from forward.timesync import http_date
    assert http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert http_date(1709210096) == "Thu, 29 Feb 2024 12:34:56 GMT"
    for t in (0, 951782400, 1700000000, 4102444799):
        assert parse_http_date(http_date(t)) == t, t
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777
    assert parse_http_date("Thu, 29 Feb 2024 12:34:56 GMT") == 1709210096
    for bad in ("", "yesterday", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT"):
        assert parse_http_date(bad) is None, bad


def test_an_unsent_reading_reaches_flash_within_5_minutes_by_default():
    # a watchdog reset keeps RTC memory: the link does not backfill what it
    # already delivered, so the queue's image on flash is all there is
    q = UploadQueue()
    q.push(r(300, 1000300))
    assert not q.should_save(0) and not q.should_save(299) and q.should_save(300)


# --- keep_sent: the upload queue as the LAN API's history (both forwarders on) ---

def test_keep_sent_a_sent_reading_stays_for_the_history_and_is_not_sent_again():
    from forward.history import QueueHistory
    q = UploadQueue(keep_sent=True)
    h = QueueHistory(q, 288)
    for k in range(4):
        assert q.push(r(300 * k, 1000000 + 300 * k, 100 + k))
    b = q.batch(2)
    assert b == [(0, 1000000, 100, 0), (300, 1000300, 101, 0)]
    q.ack(b)
    assert len(q) == 2 and q.held() == 4
    assert q.batch(12) == q.entries() == [(600, 1000600, 102, 0), (900, 1000900, 103, 0)]
    assert not q.push(r(300, 1000310, 101))          # sent already: a duplicate
    assert [x[0][2] for x in h.query(10)] == [103, 102, 101, 100]   # sent or not, newest first
    assert [x[1][2] for x in h.query(3)] == [102, 101, 100]         # each with the one before
    assert h.latest() == (900, 1000900, 103, 0, 0) and len(h) == 4
    q.ack(q.batch(12))
    assert len(q) == 0 and q.batch(12) == [] and q.held() == 4
    assert [x[0][2] for x in h.query(2, gte=1000300 * 1000)] == [103, 102]


def test_keep_sent_saves_only_the_unsent_readings_in_the_same_image():
    q = UploadQueue(keep_sent=True)
    for k in range(5):
        q.push(r(300 * k, 1000000 + 300 * k, 100 + k))
    q.ack([q.batch(5)[1], q.batch(5)[3]])       # the 2nd and the 4th: unsent ones in three runs
    assert len(q) == 3
    img = q.dumps()
    plain = UploadQueue()
    for k in (0, 2, 4):
        plain.push(r(300 * k, 1000000 + 300 * k, 100 + k))
    assert img == plain.dumps()                  # what the queue without keep_sent writes
    back = UploadQueue()
    back.restore(img)
    assert [e[2] for e in back.entries()] == [100, 102, 104]
    assert not q.should_save(0) and q.should_save(300)
    q.mark_saved(300)
    q.ack(q.batch(5))                            # all sent: one more save, of an empty image
    assert q.should_save(600)
    q.mark_saved(600)
    q.push(r(3000, 1003000))
    q.ack(q.batch(5))
    assert not q.should_save(10 ** 6)            # nothing unsent, and flash says so already


def test_a_full_keep_sent_queue_makes_room_from_its_oldest_sent_reading():
    from forward.history import QueueHistory
    q = UploadQueue(capacity=300, keep_sent=True)
    for k in range(300):
        q.push(r(300 * k, 1000000 + 300 * k))
    q.ack(q.batch(100))                          # the 100 oldest sent
    assert q.push(r(300 * 300, 1000000 + 300 * 300))
    assert q.dropped == 0 and len(q) == 201 and q.held() == 300
    assert q.record(0)[0] == 300                 # the oldest sent one made room
    # a backfill older than everything is kept while a sent one can go
    assert q.push(r(7, 999000, source="backfill"))
    assert q.dropped == 0 and q.entries()[0][0] == 7 and len(q) == 202
    for k in range(301, 400):                    # 98 sent ones left to make room from
        q.push(r(300 * k, 1000000 + 300 * k))
    assert q.dropped == 1 and len(q) == 300      # then the oldest unsent went, counted
    assert q.entries()[0][0] == 300 * 100
    h = QueueHistory(q, 288)
    rows = list(h.query(1000))
    assert len(rows) == len(h) == 288            # as History(288): the newest 288 only
    assert rows[0][0][0] == 300 * 399 and rows[-1][1] is None


def test_without_keep_sent_an_acknowledged_reading_leaves_the_queue():
    q = UploadQueue()
    q.push(r(300, 1000300))
    q.ack(q.batch(1))
    assert len(q) == 0 and q.held() == 0


def test_keep_sent_sends_what_the_plain_queue_sends_under_random_operations():
    # the same random run as above on a keep_sent queue and a plain one: the same
    # batches, the same drops. (Both remember 600 acknowledgements here: with the
    # default 48 a keep_sent queue also refuses a reading it still holds as sent,
    # which the plain one would upload again.) Its history stays newest first.
    from forward.history import QueueHistory
    rnd = _lcg(777)

    q = UploadQueue(capacity=300, sent_memory=600, keep_sent=True)
    p = UploadQueue(capacity=300, sent_memory=600)
    for step in range(3000):
        op = rnd(10)
        if op < 7 or 800 <= step < 1600:
            slot = max(0, step - rnd(40)) if op < 2 else step
            rd = r(300 * slot, 1000000 + 300 * slot + rnd(3) * 60, 40 + rnd(360),
                   None if rnd(5) == 0 else rnd(60) - 30)
            assert q.push(rd) == p.push(rd), step
        else:
            b = q.batch(1 + rnd(20))
            assert b == p.batch(len(b)), step
            if op == 9:   # acknowledged after newer readings came
                for k in range(3):
                    rd = r(10 ** 8 + 300 * (step * 3 + k), 10 ** 8 + 300 * (step * 3 + k))
                    assert q.push(rd) == p.push(rd), step
            q.ack(b)
            p.ack(b)
        assert len(q) == len(p) and q.dropped == p.dropped, step
        if step % 100 == 0:
            dates = [x[0][1] for x in QueueHistory(q, 288).query(1000)]
            assert dates == sorted(dates, reverse=True) and len(dates) == min(q.held(), 288)
    assert q.entries() == p.entries() and q.dropped > 0 and q.held() == 300


# --- readings dated while the box's clock ran ahead (forward.redate) ---

def test_a_live_reading_re_dates_queued_readings_a_clock_put_back_had_dated_ahead():
    # the box's clock ran 20 min ahead for three readings (a wrong first NTP answer) while
    # Nightscout was out of reach; before, they went up dated ahead, the newest on the site
    # for 20 min after the clock was put right
    act = 1000000
    q = UploadQueue()
    for k in range(5):
        dex = 300 * k
        q.push(r(dex, act + dex + (1200 if 2 <= k <= 4 else 0), 100 + k))
    q.mark_saved(0)
    assert not q.dirty
    assert q.push(r(1500, act + 1500, 105), 1200)  # the clock stepped back 20 min
    assert q.entries() == [(300 * k, act + 300 * k, 100 + k, 0) for k in range(6)]
    assert q.dirty
    # a backfill (the live reading did it) and a reading with no source do not re-date
    for later in (r(1500, act + 1500, source="backfill"), (1500, act + 1500, 105, 0, 6)):
        q = UploadQueue()
        q.push(r(1200, act + 2400))
        q.push(later, 1200)
        assert [e[:2] for e in q.entries()] == [(1500, act + 1500), (1200, act + 2400)], later


def test_re_dated_records_keep_their_sent_marks_and_the_lan_history_its_newest():
    from forward.history import QueueHistory
    act = 1000000
    q = UploadQueue(keep_sent=True)
    h = QueueHistory(q, 288)
    q.push(r(0, act, 100))
    q.push(r(300, act + 300, 101))
    q.ack(q.batch(2))                            # sent, dated right
    q.push(r(600, act + 600 + 1200, 102))
    q.ack(q.batch(1))                            # sent, dated ahead (on the server so)
    q.push(r(900, act + 900 + 1200, 103))        # unsent, dated ahead
    q.push(r(1200, act + 1200, 104), 1200)       # the clock put right
    assert [q.record(i)[:3] for i in range(q.held())] == [
        (0, act, 100), (300, act + 300, 101), (600, act + 600, 102), (900, act + 900, 103),
        (1200, act + 1200, 104)]
    assert h.latest()[2] == 104                  # before: 103, dated 20 min ahead
    assert [x[0][2] for x in h.query(10, gt=(act + 900) * 1000)] == [104]
    assert q.entries() == [(900, act + 900, 103, 0), (1200, act + 1200, 104, 0)]   # the sent one not again
    assert len(q) == 2 and q.held() == 5


def _packed(recs, size):
    """recs: [(dex_s, unix_s, tag)] -> a buffer of size-byte records (the tag in bytes 8-9)."""
    import struct
    buf = bytearray(size * (len(recs) + 2))            # room to spare, as in a ring
    for i, (d, u, tag) in enumerate(recs):
        struct.pack_into("<IIH", buf, i * size, d, u, tag)
    return buf


def _unpacked(buf, n, size):
    import struct
    return [struct.unpack_from("<IIH", buf, i * size) for i in range(n)]


def test_redate_keeps_every_record_its_mark_and_time_order_under_random_clock_steps():
    # random buffers as a clock that jumps ahead and back leaves them (two transmitters, a
    # follower's dex_s = unix_s records), then one live reading (a follower's at times),
    # the clock stepped back by max_s: every record is still there once, with its own
    # mark, in time order; exactly the ones the rule names got act + dex_s; True exactly
    # when one was re-dated
    from forward.redate import redate, SAME_S
    rnd = _lcg(2026)
    act = 1000000
    seen_moves = seen_marked_moves = 0
    for case in range(400):
        size = 12 if rnd(100) < 50 else 13
        recs, u_prev = [], act
        for k in range(1 + rnd(12)):
            kind = rnd(10)
            ahead = (0, 0, 60, 150, 151, 1200, 3600)[rnd(7)]
            if kind == 0:                                # another transmitter's (a later clock)
                u = u_prev + rnd(400)
                d = 3000000 + 300 * k
            elif kind == 1:                              # a follower record: dex_s = unix_s
                u = d = u_prev + rnd(400)
            else:
                d = 300 * (k + 1)
                u = max(u_prev, act + d + ahead)
            recs.append((d, u, 1000 + k))
            u_prev = u
        marks = bytearray(rnd(100) // 50 for _ in range(len(recs) + 2))
        mark_of = dict((recs[i][2], marks[i]) for i in range(len(recs)))
        live_d = 300 * (len(recs) + 1 + rnd(3))
        live_u = act + live_d - (0, 60, 200)[rnd(3)]  # the clock now, a little slow at times
        if rnd(10) == 0:
            live_d = live_u                          # a follower box's reading
        la = live_u - live_d
        max_s = (0, 100, 1300, 86400, 86400, 86400)[rnd(6)]  # how far the clock stepped back
        # the rule: from the end, walk back to the first record dated right and not after
        # the reading; of those after it, a record of an earlier transmitter time dated
        # more than SAME_S ahead of the reading's activation gets la + dex_s
        want = dict((tag, u) for d, u, tag in recs)
        if recs and recs[-1][1] > live_u and la > 0:
            j = len(recs)
            while j > 0:
                d, u, _ = recs[j - 1]
                if u <= live_u and (d > live_d or u - d - la <= SAME_S):
                    break
                j -= 1
            for d, u, tag in recs[j:]:
                if d <= live_d and SAME_S < u - d - la <= max_s + SAME_S:
                    want[tag] = la + d
        buf = _packed(recs, size)
        moved = redate(buf, len(recs), size, live_d, live_u, max_s, marks if size == 12 else None)
        out = _unpacked(buf, len(recs), size)
        assert sorted(t for _, _, t in out) == sorted(t for _, _, t in recs), case
        assert dict((t, u) for _, u, t in out) == want, (case, recs, live_d, live_u)
        assert [u for _, u, _ in out] == sorted(u for _, u, _ in out), case
        assert moved == (want != dict((tag, u) for d, u, tag in recs)), case
        if size == 12:
            assert [marks[i] for i in range(len(out))] == [mark_of[t] for _, _, t in out], case
        if out != recs and [t for _, _, t in out] != [t for _, _, t in recs]:
            seen_moves += 1
            seen_marked_moves += size == 12
    assert seen_moves > 20 and seen_marked_moves > 10   # the cases reached the moves


def test_a_re_date_by_a_reading_already_queued_is_saved_and_a_plain_duplicate_is_not():
    act = 1000000
    q = UploadQueue()
    q.push(r(600, act + 600 + 1200))           # dated 20 min ahead
    q.mark_saved(0)
    assert not q.push(r(600, act + 600), 1200)  # the same reading, the clock put right:
    assert q.entries() == [(600, act + 600, 100, 0)] and q.dirty   # re-dated, to be saved
    q.mark_saved(10)
    assert not q.push(r(600, act + 600), 1200) and not q.dirty     # a plain duplicate


def test_no_record_is_re_dated_further_back_than_the_clock_stepped_back():
    # readings restored from flash at a power-on, dated right; the clock, unset, was set
    # 3 h behind by a wrong first NTP answer (no step back: it was not set): before, the
    # first live reading dated them all 3 h back, and they went to Nightscout so, over
    # the readings already there
    act = 1000000
    q = UploadQueue()
    for k in range(6):
        q.push(r(300 * k, act + 300 * k, 100 + k))
    back = UploadQueue()
    back.restore(q.dumps())
    assert back.push(r(1800, act + 1800 - 10800, 106), 0)
    dated = sorted(e[:2] for e in back.entries())
    assert dated == sorted([(300 * k, act + 300 * k) for k in range(6)] + [(1800, act - 9000)])
    # a step back of 10 min re-dates records 10 min (+ SAME_S) ahead, not 20 min
    for step, moved in ((600, False), (1049, False), (1050, True), (1200, True)):
        q = UploadQueue()
        q.push(r(0, act))
        q.push(r(300, act + 300 + 1200))
        q.push(r(600, act + 600), step)
        assert (q.entries()[1][:2] == (300, act + 300)) is moved, step
    # at the edge: a step back of 1 s re-dates a record 151 s ahead (SAME_S + 1)
    for step, moved in ((1, True), (0, False)):
        q = UploadQueue()
        q.push(r(300, act + 300 + 151))
        q.push(r(400, act + 400), step)           # 100 s later, dated before it
        assert (q.entries()[0][:2] == (300, act + 300)) is moved, step
    # and a follower box's reading (dex_s = unix_s) re-dates none of a transmitter's
    q = UploadQueue()
    q.push(r(300, act + 300 + 1200))
    q.push(r(act, act), 86400)
    assert [e[:2] for e in q.entries()] == [(act, act), (300, act + 1500)]


def test_a_memory_error_inside_a_re_date_leaves_the_records_and_marks_as_they_were():
    # every copy is made before the buffer changes: a MemoryError from the shift's copy
    # left a record lost, another doubled and a sent mark on the wrong one
    from forward import redate as module
    act = 1000000
    # 2 and 4 dated 20 min ahead; 3 another transmitter's, which 4 moves before
    recs = [(0, act, 1), (300, act + 300 + 1200, 2), (5000000, act + 1600, 3),
            (600, act + 600 + 1200, 4)]
    for fail_at in range(1, 9):
        calls = [0]

        def failing(real):
            def make(*a):
                calls[0] += 1
                if calls[0] == fail_at:
                    raise MemoryError
                return real(*a)
            return make
        buf = _packed(recs, 12)
        marks = bytearray((0, 1, 1, 0, 0, 0))
        module.bytes, module.bytearray = failing(bytes), failing(bytearray)
        try:
            module.redate(buf, 4, 12, 900, act + 900, 1200, marks)
            done = True
        except MemoryError:
            done = False
        finally:
            del module.bytes, module.bytearray
        out = _unpacked(buf, 4, 12)
        # records whole, each once and with its own mark, in time order (a re-date
        # finished before the failure stays)
        assert sorted(t for _, _, t in out) == [1, 2, 3, 4], (fail_at, out)
        mark_of = {1: 0, 2: 1, 3: 1, 4: 0}
        assert [marks[i] for i in range(4)] == [mark_of[t] for _, _, t in out], (fail_at, out)
        assert [u for _, u, _ in out] == sorted(u for _, u, _ in out), (fail_at, out)
        assert done == (fail_at > 6), fail_at   # 3 allocations for each of the 2 re-dated
    assert [t for _, _, t in out] == [1, 2, 4, 3]   # the run that got through moved 4
