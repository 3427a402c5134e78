# Backfill streams whose records repeat a time or come out of order between
# their ends. Built here from the documented layout alone (research section
# 4.8; CGMBLEKit GlucoseBackfillMessage.swift), not with the codec's builders:
#   frame  = [number from 1][stream byte][payload...], at most 20 bytes
#   payload of all frames = 4-byte header + 8-byte records
#            (u32 dex time, u16 glucose, u8 state, i8 trend)
#   0x51   = 51 status 01 id, u32 start, u32 end, u32 length of the frames
#            (headers included), u16 CRC of the frames, u16 CRC
# CGMBLEKit (Transmitter.swift, glucoseBackfillRx) keeps a stream whose length
# and CRC match and whose first and last records are the 0x51 start and end;
# xDrip (BackFillStream.decode) and xdrip-js (backfill-parser.js) check no
# order at all. A time given twice or out of order between the ends must not
# cost the whole stream: the link retried it each session and lost up to 3 h.
# Runs on CPython (pytest) and MicroPython (test_dual_on_micropython.py).
import struct

from dexcom import backfill
from codec_steps import crc_xmodem


def _le16(v):
    return struct.pack("<H", v)


def _stream(records, start, end):
    payload = b"\x09\x3f\x00\x00" + b"".join(struct.pack("<IHBb", *r) for r in records)
    frames = []
    for i in range(0, len(payload), 18):
        frames.append(bytes((len(frames) + 1, 0x00)) + payload[i:i + 18])
    whole = b"".join(frames)
    body = struct.pack("<BBBBIII", 0x51, 0, 1, 0, start, end, len(whole)) + _le16(crc_xmodem(whole))
    return frames, body + _le16(crc_xmodem(body))


def _taken(records, start, end, request=None):
    frames, reply = _stream(records, start, end)
    lo, hi = request or (start, end)
    bf = backfill.Backfill(lo, hi)
    bf.add_reply(reply)
    for f in frames:
        bf.add_frame(f)
    assert bf.complete()
    return bf


def test_the_crc_written_here_is_xmodem():
    assert crc_xmodem(b"123456789") == 0x31C3


def test_a_record_time_given_twice_keeps_the_stream():
    recs = [(50000, 100, 6, -2), (50300, 104, 6, 1), (50300, 106, 6, 1), (50600, 110, 7, 3)]
    bf = _taken(recs, 50000, 50600, request=(49701, 50899))
    assert [r[0] for r in bf.records()] == [50000, 50300, 50300, 50600]
    rs = bf.readings(1000)
    assert [(r[0], r[1], r[2], r[3]) for r in rs] == [(50000, 51000, 100, -2), (50300, 51300, 104, 1),
                                                      (50300, 51300, 106, 1), (50600, 51600, 110, 3)]


def test_records_out_of_order_between_the_ends_keep_the_stream():
    recs = [(50000, 100, 6, 0), (50600, 120, 6, 0), (50300, 110, 6, 0), (50900, 130, 6, 0)]
    bf = _taken(recs, 50000, 50900)
    assert sorted((r[0], r[2]) for r in bf.readings()) == [(50000, 100), (50300, 110), (50600, 120),
                                                          (50900, 130)]


def test_a_record_outside_the_announced_span_still_drops_the_stream():
    # a time before the 0x51 start (or after its end) between the ends is no
    # record of this stream: contents that are not glucose records
    for odd in (49999, 50601):
        recs = [(50000, 100, 6, 0), (odd, 110, 6, 0), (50600, 120, 6, 0)]
        bf = _taken(recs, 50000, 50600)
        try:
            bf.records()
        except ValueError as e:
            assert "outside the 0x51 span" in str(e)
        else:
            raise AssertionError("a record at %d was taken" % odd)
