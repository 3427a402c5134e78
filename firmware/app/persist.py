# State that must survive a reset lives in RTC memory (kept across soft and
# watchdog resets, lost on power-off): the alarm engine's blob (what was
# sounding, snoozes, last readings) and a boot counter that reveals a reset
# loop. Written only when it changed (RTC memory is cheap, but the blob is
# rebuilt from the engine, so skip needless work).
#
# Also the newest transmitter time already delivered (so the link does not
# backfill again what the engine has seen), and when the blob was saved by the
# RTC's own clock, which keeps counting through a reset: the engine's times are
# relative to its save, so after a reset they are aged by the time the board
# was away (a reset 15 minutes into a data gap must not restart no_data's count).
# And the span of older readings the link still has to backfill (a backfill cut
# by a lost connection, a reading the alarm path could not take), so a reset
# does not forget it: the link resumes after last_dex and would never ask again.
# Both belong to one transmitter, whose ID is kept with them: a settings restart
# onto another transmitter must not resume on the old one's clock (chaos 1061).
# And the forwarders' server addresses (forward.names), so a reset during a DNS
# outage does not cut the box off from a Nightscout it can still reach: they are
# looked up again at first use and kept if that lookup fails (chaos 1622).
# And how far the wall clock stepped back since it was last set from unset
# (clock.back_s(): forward.redate re-dates readings the clock dated ahead by
# no more than that), which lives as long as the RTC's time does: a reset
# between the clock's correction and the next reading lost it, and the readings
# dated ahead stayed so.
# And the sensor session's end the `ending` notice was told for (main._watch_session),
# by the wall clock: a reset or a settings save in the session's last day told it again.
# And the readings the Nightscout uploader holds for want of a wall time
# (forward.nightscout held_image): the link resumes after them, so a reset that
# forgot them lost them from Nightscout; here, they go with the resume point
# (kept and lost together: a power cut loses both, and the link backfills them),
# with no flash write per reading.
# And the time notices owed to the morning (main.App.time_notice: a clock step taken or
# refused at night), as the engine's holds to the morning are kept: a reset at night
# must not lose the morning's word.
# Layout: b"CG" | version u8 | boots u8 | last_dex u32 | blob length u16 |
#         saved_s u32 | hole start u32 | hole end u32 | transmitter ID 6 bytes
#         (zeros: none) | names length u8 | clock back u32 | ending told u32 (Unix
#         seconds, 0: none) | held length u16 | time notices owed at u32 (Unix
#         seconds) | owed u8 (bits: main.TIME_NOTICES, 0: none) | blob | names |
#         held | sum u16,
#         names: per name, its length u8 | the name | its IPv4 address 4 bytes;
#         held: the uploader's records, HELD_REC bytes each
# (version 9: without the owed; 8: without the held either; 7: without the ending told
# either; 6: without the clock back either; 5: without the names either; 4: without the
# ID either; 3: without the hole either; 2: without saved_s). The alarm state comes first, then the names, then the
# newest held records that fit (with the largest alarm state all of them fit).
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import struct
import time

_MAGIC = b"CG"
_VERSION = const(10)
_NO_HOLE = const(0xFFFFFFFF)
MAX_BYTES = 2048  # ESP32 RTC user memory
MAX_NAMES, MAX_NAMES_BYTES = 4, 128  # enough for Nightscout, MQTT, the leader and NTP
HELD_REC = 8   # bytes of a held reading (forward.nightscout)
MAX_AWAY_S = 86400  # a longer "away" means the wall clock was set meanwhile: unknown
MAX_CLOCK_BACK_S = 366 * 86400   # a clock back beyond this is damage the sum let through: 0


class RtcStore:
    def __init__(self, rtc, wall_s=None):
        self.rtc = rtc
        self.wall_s = wall_s or time.time  # the RTC's seconds (any epoch)
        self.boots = 0
        self.blob = b""
        self.last_dex = 0
        self.saved_s = 0
        self.away_s = None  # seconds from the last save to this boot (None: unknown)
        self.hole = None    # (start, end) dex span the link still has to backfill; set before save()
        self.tx_id = None   # the transmitter last_dex and hole belong to (None: not known)
        self.names = ()     # [(host, IPv4 address)] kept for the forwarders (forward.names)
        self.names_of = None  # () -> the names to keep now, asked at every save (wiring sets it)
        self.clock_back = 0   # clock.back_s(), given at each step of the clock (stepped)
        self.ending_told = 0  # Unix seconds of the session end the `ending` notice was told for
        self.held = b""       # the Nightscout uploader's held readings (forward.nightscout)
        self.held_of = None   # () -> those to keep now, asked at every save (wiring sets it)
        self.held_lost = 0    # how many of them own() dropped at this boot (the uploader tells it)
        self.owed_at = 0      # Unix seconds from which the time notices owed are told (main.App)
        self.owed = 0         # ... which of them (bits of main.TIME_NOTICES; 0: none)
        self._written = None

    def load(self):
        """Read what the previous run left. Returns the engine blob (b"" if
        none or corrupt) and counts this boot."""
        self.peek()
        self.boots = min(self.boots + 1, 255)
        self._write()
        return self.blob

    def peek(self):
        """Read what the previous run left, as load() does, without counting a boot:
        tools/flash.py sets the board's clock with the firmware stopped, and moves the
        record's save time by its step through stepped()."""
        try:
            raw = bytes(self.rtc.memory())
        except Exception:
            raw = b""
        (self.boots, self.last_dex, self.blob, self.saved_s, self.hole, self.tx_id,
         self.names, self.clock_back, self.ending_told, self.held, self.owed_at, self.owed) = _decode(raw)
        if not 0 <= self.clock_back <= MAX_CLOCK_BACK_S:
            self.clock_back = 0
        if self.blob and self.saved_s is not None:
            away = int(self.wall_s()) - self.saved_s
            self.away_s = away if 0 <= away <= MAX_AWAY_S else None
        self.saved_s = self.saved_s or 0

    def save(self, blob, last_dex=None):
        if last_dex is not None and last_dex > self.last_dex:
            self.last_dex = last_dex
        if blob != self.blob:
            self.blob = bytes(blob)
            self.saved_s = int(self.wall_s()) & 0xFFFFFFFF
        self._ask()
        self._write()

    def _ask(self):
        """The names and the held readings to keep now, from the parts that hold them."""
        if self.names_of is not None:
            try:   # the alarm state is saved whatever the names do
                self.names = self.names_of()
            except Exception:
                pass
        if self.held_of is not None:
            try:
                self.held = self.held_of()
            except Exception:
                pass

    def own(self, tx_id):
        """The transmitter in force (its normalised ID), before the link starts:
        a record of another one's forgets its newest dex time and hole. Without
        this, after a settings restart onto a new transmitter whose clock was
        ahead of the old one's newest reading, the link took the new one for the
        same, never met tx_clock, and backfilled nothing older than that reading.
        A record from before the ID was kept (None) is taken as this one's.
        Returns how many held readings without a wall time it dropped (no other
        transmitter's clock can date them)."""
        was, self.tx_id = self.tx_id, tx_id
        if was is None or was == tx_id:
            self._write()
            return 0
        held = len(self.held)
        self.forget_transmitter()
        self.held_lost = (held - len(self.held)) // HELD_REC
        return self.held_lost

    def forget_transmitter(self):
        """The link met another transmitter (its clock behind the newest
        reading, link event tx_clock): the newest dex time and the hole were the
        old one's. save() only lets last_dex grow (a backfill brings older
        readings after the live one), so without this every reset until the new
        clock passed the old one (days to months) began with tx_clock again and
        a 3-h backfill of readings already delivered. The readings held without a wall
        time go with them (_dated_only): the new clock's cannot date them, and a reset
        before the next save brought them back to the uploader."""
        self.held = _dated_only(self.held)
        self.last_dex = 0
        self.hole = None
        self._write()

    def forget_all(self):
        """Factory reset: the next boot starts as the first (no alarm state,
        no snooze, no transmitter clock, no reset count, no names or held readings:
        not asked again either, at the restart's planned_restart)."""
        (self.boots, self.last_dex, self.blob, self.saved_s, self.hole, self.tx_id,
         self.names, self.clock_back, self.ending_told, self.held, self.owed_at, self.owed) = _EMPTY
        self.names_of = self.held_of = None
        self.rtc.memory(b"")
        self._written = None

    def stepped(self, step_s, clock_back):
        """The RTC's time moved by step_s (clock.on_step; a set from unset too), and
        clock.back_s() is now clock_back. The last
        save's time moves with it, so the time away at the next boot is the board's, not
        the step's: a clock put an hour on and a reset within the minute to the next save
        aged the restored alarm state by the hour (no_data sounded a minute after the
        boot, snoozes were cut short); set from unset (the phone at a settings save, whose
        restart follows), the time away was unknown and taken as none. And the clock's
        steps back are written at once: a reset before the next save lost them. (A save
        time pushed below 0 wraps: its time away is then unknown.)"""
        if self.saved_s:
            self.saved_s = (self.saved_s + step_s) & 0xFFFFFFFF
        # the same moments on the stepped clock
        self.ending_told, self.owed_at = _moved(self.ending_told, step_s), _moved(self.owed_at, step_s)
        self.clock_back = clock_back
        self._write()

    def told_ending(self, unix_s):
        """The `ending` notice was told for the session that ends at unix_s (0: taken
        back), written at once: a reset before the next save must not tell it again."""
        self.ending_told = _moved(int(unix_s), 0)
        self._write()

    def owe(self, unix_s, owed):
        """The time notices owed (bits; 0: none) and from when, written at once."""
        self.owed_at, self.owed = _moved(unix_s, 0), owed
        self._write()

    def healthy(self):
        """Called after a stretch of good uptime: the reset loop is over."""
        if self.boots != 1:
            self.boots = 1
            self._write()

    def planned_restart(self):
        """Called just before a restart the box chose (settings saved, factory reset):
        the next boot counts as the first, not as a reset in a row (two saves at the
        first set-up sounded the device alarm's "3 resets in a row"). The held readings
        are asked anew: the queue was just written to flash (before_reset), and those of
        the last save came back held, to be dated by a clock the save may have set."""
        self.boots = 0
        self._ask()
        self._write()

    def _write(self):
        data = _encode(self.boots, self.last_dex, self.blob, self.saved_s, self.hole, self.tx_id,
                       self.names, self.clock_back, self.ending_told, self.held, self.owed_at, self.owed)
        if data != self._written:
            self.rtc.memory(data)
            self._written = data


def _moved(unix_s, step_s):
    """A kept moment (0: none) on a clock stepped by step_s, within its u32."""
    return max(0, min(unix_s + step_s, 0xFFFFFFFF)) if unix_s else 0


def _checksum(data):
    s = 0
    for b in data:
        s = (s * 31 + b) & 0xFFFF
    return s


_HEAD = const(44)  # magic, version, boots, last_dex, length, saved_s, hole, transmitter ID, names length,
#            clock back, ending told, held length, owed at, owed
# the head's length of each version from 2 to _VERSION (a tuple: a dict was 0.1 KB of heap)
_HEADS = const((10, 14, 22, 28, 29, 33, 37, 39, _HEAD))
_ID_BYTES = const(6)
_EMPTY = (0, 0, b"", 0, None, None, (), 0, 0, b"", 0, 0)


def _dated_only(held):
    """The held records up to their last mark (forward.nightscout held_image: a record of
    glucose 0 whose first field is the activation of those before it). The ones after it
    wait for a wall time of the same transmitter clock; another transmitter's reading
    dated them by its own clock (both near 0 after a swap: chaos seed 5688, 24 min late
    on Nightscout), so with another transmitter's resume point they go."""
    for i in range(len(held) - len(held) % HELD_REC - HELD_REC, -1, -HELD_REC):
        d, sgv, trend = struct.unpack_from("<IHh", held, i)
        if sgv == 0 and trend == 0 and d:
            return held[:i + HELD_REC]
    return b""


def _encode(boots, last_dex, blob, saved_s, hole=None, tx_id=None, names=(), clock_back=0, ending_told=0,
            held=b"", owed_at=0, owed=0):
    if len(blob) > MAX_BYTES - _HEAD - 2:
        raise ValueError("state blob of %d bytes exceeds RTC memory" % len(blob))
    kept = _encode_names(names, min(MAX_NAMES_BYTES, MAX_BYTES - _HEAD - 2 - len(blob)))
    room = MAX_BYTES - _HEAD - 2 - len(blob) - len(kept)
    fit = min(len(held), room - room % HELD_REC)
    held = held[len(held) - fit:] if fit else b""
    start, end = hole if hole is not None else (_NO_HOLE, 0)
    tid = (tx_id or "").encode()[:_ID_BYTES]
    head = _MAGIC + struct.pack("<BBIHIII", _VERSION, boots, last_dex, len(blob), saved_s,
                                start & 0xFFFFFFFF, end & 0xFFFFFFFF)
    head += (tid + bytes(_ID_BYTES - len(tid)) + bytes((len(kept),))
             + struct.pack("<IIHIB", min(max(clock_back, 0), 0xFFFFFFFF), ending_told, len(held),
                           owed_at, owed & 0xFF)
             + blob + kept + held)
    return head + struct.pack("<H", _checksum(head))


def _encode_names(names, room):
    """Those of the first MAX_NAMES of names, [(host, dotted IPv4)], that fit
    in room bytes (at most MAX_NAMES_BYTES: a name's length fits its byte); an
    address that is not IPv4 is left out."""
    out = b""
    for item in names[:MAX_NAMES]:
        try:   # anything but two strings is left out: a name never costs the alarm state
            host, ip = item
            a = ip.split(".")
            h = host.encode()
        except (AttributeError, TypeError, ValueError):
            continue
        if len(a) != 4 or not all(p.isdigit() and int(p) < 256 for p in a):
            continue
        if len(out) + 1 + len(h) + 4 <= room:
            out += bytes((len(h),)) + h + bytes([int(p) for p in a])
    return out


def _decode_names(data):
    names, i = [], 0
    while i < len(data):
        n = data[i]
        if i + 1 + n + 4 > len(data):
            break   # bytes the sum let through: the names read so far are kept
        try:
            host = bytes(data[i + 1:i + 1 + n]).decode()
        except UnicodeError:
            break
        names.append((host, ".".join(str(b) for b in data[i + 1 + n:i + 5 + n])))
        i += 5 + n
    return names


def _decode(raw):
    """(boots, last_dex, blob, saved_s, hole, tx_id, names, clock_back, ending_told, held,
    owed_at, owed);
    saved_s is None for a version-2 record, hole None for records before version 4, tx_id
    None before version 5, names empty before version 6, clock_back 0 before version 7,
    ending_told 0 before version 8, held empty before version 9 and nothing owed before
    version 10 (firmware before an
    update, which did not keep them)."""
    if len(raw) < 12 or raw[:2] != _MAGIC or not 2 <= raw[2] <= _VERSION:
        return _EMPTY
    version, head = raw[2], _HEADS[raw[2] - 2]
    if len(raw) < head + 2:
        return _EMPTY
    hole = tx_id = None
    if version == 2:
        boots, last_dex, n = struct.unpack_from("<BIH", raw, 3)
        saved_s = None
    else:
        boots, last_dex, n, saved_s = struct.unpack_from("<BIHI", raw, 3)
    if version >= 4:
        start, end = struct.unpack_from("<II", raw, 14)
        hole = None if start == _NO_HOLE else (start, end)
    k = raw[28] if version >= 6 else 0   # the names' length
    h = struct.unpack_from("<H", raw, 37)[0] if version >= 9 else 0   # the held readings'
    if len(raw) < head + n + k + h + 2:
        return _EMPTY
    body = raw[:head + n + k + h]
    if struct.unpack_from("<H", raw, head + n + k + h)[0] != _checksum(body):
        return _EMPTY
    if version >= 5:
        tid = bytes(raw[22:22 + _ID_BYTES]).rstrip(b"\0")
        try:
            tx_id = tid.decode() if tid else None
        except UnicodeError:   # bytes the sum let through: never an ID in force, so forgotten
            tx_id = "?"
    back = struct.unpack_from("<I", raw, 29)[0] if version >= 7 else 0
    told = struct.unpack_from("<I", raw, 33)[0] if version >= 8 else 0
    owed_at, owed = struct.unpack_from("<IB", raw, 39) if version >= 10 else (0, 0)
    return (boots, last_dex, bytes(raw[head:head + n]), saved_s, hole, tx_id,
            _decode_names(raw[head + n:head + n + k]), back, told, bytes(raw[head + n + k:head + n + k + h]),
            owed_at, owed)
