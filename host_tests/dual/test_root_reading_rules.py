# firmware/reading.py, the record that flows from the link to everything
# downstream: the named positions (DEX_S, UNIX_S, SGV, TREND, STATE, SOURCE) must
# be where make() puts each field, and as_event() must carry each field under its
# own name (the LAN API, the MQTT publisher and the status page read the event).
# Before this file `python tools/mutation.py --package root --only reading`
# left DEX_S, UNIX_S and STATE free to point at another field (a reading's age
# taken from the transmitter's seconds since activation, say).
# Runs on both runtimes.
import reading


def _r():
    # every field different, so a position that points at another field shows
    return reading.make(86123, 1774749599, 187, -23, 6, reading.BACKFILL)


def test_the_named_positions_are_where_make_puts_each_field():
    r = _r()
    assert r == (86123, 1774749599, 187, -23, 6, "backfill")
    assert r[reading.DEX_S] == 86123
    assert r[reading.UNIX_S] == 1774749599
    assert r[reading.SGV] == 187
    assert r[reading.TREND] == -23
    assert r[reading.STATE] == 6
    assert r[reading.SOURCE] == "backfill"
    assert len(r) == 6


def test_a_reading_is_live_unless_told_and_unknowns_stay_none():
    r = reading.make(300, None, None, None, 18)
    assert r == (300, None, None, None, 18, "live")
    assert r[reading.SOURCE] == reading.LIVE == "live"
    assert reading.BACKFILL == "backfill"


def test_the_event_carries_every_field_under_its_own_name():
    assert reading.as_event(_r()) == {"event": "reading", "dex_s": 86123, "unix_s": 1774749599,
                                      "sgv": 187, "trend": -23, "state": 6, "source": "backfill"}
    assert reading.as_event(reading.make(300, None, None, None, 18))["unix_s"] is None
