# Runs on CPython (pytest) and MicroPython (host_tests/test_dual_on_micropython.py).
import reading


def test_reading_fields():
    r = reading.make(1000, 1700000000, 120, -15, 6, reading.BACKFILL)
    assert r[reading.SGV] == 120 and r[reading.SOURCE] == "backfill"
    e = reading.as_event(r)
    assert e["event"] == "reading" and e["trend"] == -15
