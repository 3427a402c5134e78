"""Pure forwarding logic: upload queue, Nightscout entry shapes, LAN history, HTTP date."""
from forward.queue import UploadQueue, QueueError
from forward.entries import direction, iso_utc, sgv_entry
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


def test_direction_thresholds_as_xdrip():
    cases = [(None, "NOT COMPUTABLE"), (401, "NONE"), (400, "DoubleUp"), (36, "DoubleUp"),
             (35, "SingleUp"), (21, "SingleUp"), (20, "FortyFiveUp"), (11, "FortyFiveUp"),
             (10, "Flat"), (0, "Flat"), (-9, "Flat"), (-10, "FortyFiveDown"),
             (-19, "FortyFiveDown"), (-20, "SingleDown"), (-34, "SingleDown"),
             (-35, "DoubleDown"), (-500, "DoubleDown")]
    for t, name in cases:
        assert direction(t) == name, (t, direction(t), name)


def test_entry_shape_and_iso():
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1709210096) == "2024-02-29T12:34:56.000Z"
    e = sgv_entry(1234, 1700000000, 142, 15, "bedside-cgm")
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
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777
    assert parse_http_date("Thu, 29 Feb 2024 12:34:56 GMT") == 1709210096
    for bad in ("", "yesterday", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT"):
        assert parse_http_date(bad) is None, bad
