# Backfill: the glucose records a transmitter kept while nobody listened
# (research section 4.8).
#
# The reader subscribes to the Backfill characteristic, sends
# build.backfill(start, end) on Control and then receives, in either order,
# the GlucoseBackfillRx 0x51 reply (on Control) and the frames (on Backfill):
#   frame = [number, counting from 1][stream byte][payload...]
#   payload of all frames = 4-byte header (meaning unknown) + 8-byte records
#   record = u32 dex time, u16 glucose (low 12 bits; high 4 bits flags),
#            u8 state, i8 trend
# Checks before any record is used (a stream that fails one is dropped
# whole): frames numbered 1, 2, 3... with none missing or out of order (a frame
# that repeats the one before byte for byte is skipped, as CGMBLEKit and xDrip+
# skip a frame they already have; one with the same number and other bytes
# drops the stream); the total
# bytes of the frames (headers included) equal the 0x51 buffer length; their
# CRC-16/XMODEM equals the 0x51 buffer CRC; the 0x51 span lies inside the
# requested one widened by one record period (no peer checks the span at all;
# a transmitter that rounds the request out to the nearest record must not
# cost the whole stream); the first record's time equals the 0x51 start, the
# last one's its end, and every record's time lies between them (a time given
# twice or out of order is kept, as every peer keeps it). The time check is what
# rejects streams whose length and CRC are right but whose contents are not
# glucose records.
import reading
from dexcom import crc
from dexcom.errors import DexcomError
from dexcom.replies import parse_backfill_rx
from dexcom.wire import u32

try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

_HEADER = const(4)        # bytes of the payload before the first record
_RECORD = const(8)
# Records are 300 s apart; the buffer bound allows one a minute (generous,
# so an irregular but genuine stream is judged by its times, not cut off)
# and never more than _MAX_BYTES.
_MIN_SPACING_S = const(60)
_MAX_BYTES = const(8192)
_SPAN_SLACK_S = const(300)  # one record period each side of the request


class Backfill:
    """One backfill stream. Feed add_frame() from the Backfill notifications
    and add_reply() with the 0x51 reply, in any order; complete() says when
    everything announced has arrived; records() / readings() validate and
    return the data, or raise DexcomError saying why the stream was dropped."""

    def __init__(self, start_dex_s, end_dex_s):
        if end_dex_s < start_dex_s:
            raise DexcomError("backfill end %d is before start %d" % (end_dex_s, start_dex_s))
        self.start = start_dex_s
        self.end = end_dex_s
        # Largest payload the requested span can hold: bounds the buffer, so a
        # runaway stream cannot eat the heap.
        self.capacity = min(_HEADER + _RECORD * ((end_dex_s - start_dex_s + 2 * _SPAN_SLACK_S)
                                                 // _MIN_SPACING_S + 2), _MAX_BYTES)
        self.payload = None       # bytearray, grows with the frames up to capacity
        self.used = 0             # payload bytes in it
        self.frames = 0
        self.length = 0           # bytes of all frames, headers included
        self.crc = 0              # running CRC over the frames, headers included
        self.reply = None         # parse_backfill_rx() dict
        self.error = None         # first reason to drop the stream
        self.copies = 0           # frames that repeated the one before (skipped)
        self._last_len = self._last_id = -1

    def _fail(self, why):
        if self.error is None:
            self.error = why
        self.payload = None       # drop the data now, keep the reason

    def add_frame(self, frame):
        """One notification from the Backfill characteristic. Never raises: a
        bad frame marks the whole stream as dropped (see records())."""
        if self.error is not None:
            return
        n = len(frame)
        if n < 3:
            self._fail("backfill frame %d too short (%d bytes)" % (self.frames + 1, n))
            return
        if frame[0] == self.frames & 0xFF and self.frames:
            if self._repeats_last(frame):
                self.copies += 1  # the last frame again: skipped, as CGMBLEKit and xDrip+ skip it
                return
            self._fail("backfill frame %d repeated with other bytes" % frame[0])
            return
        if frame[0] != (self.frames + 1) & 0xFF:
            self._fail("backfill frame number %d, expected %d (a frame missing or out of order)"
                       % (frame[0], self.frames + 1))
            return
        if self.used + n - 2 > self.capacity:
            self._fail("backfill stream longer than the requested span allows (%d bytes)"
                       % self.capacity)
            return
        if self.payload is None:
            self.payload = bytearray()
        self.payload.extend(memoryview(frame)[2:])
        self._last_len, self._last_id = n - 2, frame[1]
        self.used += n - 2
        self.frames += 1
        self.length += n
        self.crc = crc.crc16(frame, 0, n, self.crc)

    def _repeats_last(self, frame):
        """True when frame holds the same bytes as the last frame taken (its payload
        ends the buffer; the header byte too, kept for this check)."""
        n = len(frame) - 2
        if n != self._last_len or frame[1] != self._last_id or self.payload is None:
            return False
        return self.payload[self.used - n:self.used] == frame[2:]

    def add_reply(self, buf):
        """The GlucoseBackfillRx 0x51 reply. Raises DexcomError if the message
        itself is malformed (and drops the stream)."""
        try:
            r = parse_backfill_rx(buf)
        except DexcomError as e:
            self._fail(str(e))
            raise
        if self.reply is not None:
            self._fail("second 0x51 reply for one backfill request")
            return
        self.reply = r
        if r["buffer_length"] > self.capacity + 2 * (self.capacity // 18 + 1):
            self._fail("0x51 announces %d bytes, more than the requested span allows"
                       % r["buffer_length"])

    def complete(self):
        """True once the 0x51 reply is in and the frames add up to (at least)
        its buffer length, or once the stream has been dropped."""
        if self.error is not None:
            return True
        return self.reply is not None and self.length >= self.reply["buffer_length"]

    def records(self):
        """The validated records: a list of tuples (dex_s, glucose_mgdl,
        display_only, state, trend), trend the signed byte as sent (127 and
        -128 = unknown, see protocol.trend_or_none). Raises DexcomError with the reason the stream is dropped."""
        if self.error is None:
            self._validate()
        if self.error is not None:
            raise DexcomError(self.error)
        return parse_records(self.payload, self.used) if self.payload is not None else []

    def _validate(self):
        r = self.reply
        if r is None:
            self._fail("no 0x51 backfill reply")
            return
        if self.length != r["buffer_length"]:
            self._fail("backfill frames hold %d bytes, 0x51 says %d" % (self.length, r["buffer_length"]))
            return
        if self.length == 0:
            return                # nothing stored for that span: valid and empty
        if self.crc != r["buffer_crc"]:
            self._fail("backfill CRC 0x%04x, 0x51 says 0x%04x" % (self.crc, r["buffer_crc"]))
            return
        if (r["start_time"] + _SPAN_SLACK_S < self.start or r["end_time"] > self.end + _SPAN_SLACK_S
                or r["end_time"] < r["start_time"]):
            self._fail("0x51 span %d..%d is outside the request %d..%d"
                       % (r["start_time"], r["end_time"], self.start, self.end))
            return
        count = (self.used - _HEADER) // _RECORD if self.used >= _HEADER else 0
        if count == 0:
            self._fail("backfill stream has no whole record")
            return
        p = self.payload
        first = u32(p, _HEADER)
        last = u32(p, _HEADER + (count - 1) * _RECORD)
        if first != r["start_time"] or last != r["end_time"]:
            self._fail("backfill records span %d..%d, 0x51 says %d..%d (not glucose records)"
                       % (first, last, r["start_time"], r["end_time"]))
            return
        # Between its ends a record may repeat a time or come out of order (CGMBLEKit,
        # xDrip and xdrip-js keep such a stream; the link delivers each time once), but
        # one outside the announced span is not a glucose record of this stream
        lo, hi = r["start_time"], r["end_time"]
        for i in range(1, count - 1):
            t = u32(p, _HEADER + i * _RECORD)
            if t < lo or t > hi:
                self._fail("backfill record time %d is outside the 0x51 span %d..%d (not glucose records)"
                           % (t, lo, hi))
                return

    def readings(self, activation_unix=None):
        """The validated records as Reading tuples (source "backfill"), with
        the same rules as live glucose: sgv only in states 6/7 and above 13,
        trend None when unknown (127, -128) or when there is no sgv."""
        out = []
        for dex_s, g, _display_only, state, t in self.records():
            if (state == 6 or state == 7) and g > 13:
                trend = None if (t == 127 or t == -128) else t
            else:
                g = None
                trend = None
            out.append(reading.make(dex_s, None if activation_unix is None else activation_unix + dex_s,
                                    g, trend, state, reading.BACKFILL))
        return out


def parse_records(payload, used=-1):
    """Whole 8-byte records after the 4-byte header of a concatenated payload
    (a trailing partial record is ignored). No validation: use Backfill."""
    if used < 0:
        used = len(payload)
    out = []
    i = _HEADER
    while i + _RECORD <= used:
        raw = payload[i + 4] | (payload[i + 5] << 8)
        t = payload[i + 7]
        out.append((u32(payload, i), raw & 0x0FFF, (raw & 0xF000) != 0, payload[i + 6],
                    t - 256 if t > 127 else t))
        i += _RECORD
    return out


def payload_of(frames):
    """Concatenated payloads of frames (their 2-byte headers dropped)."""
    out = bytearray()
    for f in frames:
        out.extend(f[2:])
    return out
