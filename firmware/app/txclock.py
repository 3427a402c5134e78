# The time of day back from the transmitter after a power cut.
#
# A board without a battery-backed RTC forgets the wall clock when the power
# goes, and a box without Wi-Fi has no NTP to ask: its schedules (a night from
# 22:00) and its readings' dates would be gone until someone sets the clock.
# The transmitter counts seconds since its activation and keeps counting
# through our power cut. So while the wall clock is good, the activation's
# Unix time is kept on flash (one small file, written again only when it moved
# by more than SAME_WITHIN_S: a new transmitter, or clock drift); once the
# clock is lost, the first transmitter time read gives it back.
#
# The kept activation also dates the readings (seen() returns it): each
# session's own estimate (whole-second wall clock minus the transmitter's
# whole-second time) wavers by a second, and after a power cut the link
# backfills 3 h of readings already uploaded. Nightscout knows an entry by its
# date alone, so one dated a second off was stored twice (doubled dots for
# 3 h after each cut). The same activation after the cut dates them as before.
#
#   tc = TransmitterClock("8G1234")   # the configured transmitter
#   activation = tc.seen(dex_now_s)   # the link, each time it reads the transmitter's time
#
# The file is one line "<id> <activation unix> <saved unix> <crc32 hex>", checked
# on reading (a damaged file sets nothing and is logged). A time the saved one
# cannot vouch for (before it, or more than MAX_AGE_S after: no transmitter
# lasts that long) is not used; nor one before the save + the seconds the unset
# RTC counted since the power-on (clock.lost_s): a transmitter clock restarted
# while the box ran without meeting it (chaos seed 1423: on another id for hours)
# gives a time after the save, but hours behind. A time refused is also proof
# that the kept activation no longer fits the transmitter's clock (restarted since
# the save): it is forgotten, else a later power-on, the transmitter's clock by then
# past the save, took it and set the box's clock hours behind for good (chaos seed
# 2535: 9.9 h); until the clock is good again the box has no time of day (the
# `device` clock notice says so).
#
# A boot on another transmitter's id forgets the kept activation: the box cannot confirm it
# there, so a restart of that clock goes unseen, and a power cut erases the RTC's count of the
# time since (chaos seed 6075: a swap to an id never met, 7.4 h without a clock, the old
# transmitter restarted meanwhile, a 10-min power cut, its id saved back: the kept activation,
# 9 h unconfirmed, set the clock 2 h 25 min behind for good). Going back to it gives no time
# until a phone's save (its page sends the phone's clock) or its session with a good clock.
#
# A time server's one answer given to the unset clock before the transmitter's session
# (NTP's first answer, which the power-on asks at once; a Nightscout's Date) does not throw
# the kept activation: when the transmitter's time, which the kept activation still vouches
# for, and that clock are more than DOUBT_S apart, the clock is set from the transmitter as
# it would have been had its session come first (lone_answer, forward.timesync). Before, a
# router's NTP 3 h ahead as it powered on, or a Nightscout whose clock ran 3 h ahead, dated
# the session's live reading and 3-h backfill 3 h ahead and rewrote the kept activation by it.
import binascii

import clock
from app import fsutil, log

PATH = "tx_clock.txt"
# A new estimate within this of the kept activation is the same activation:
# the estimate's own error, so dating by the kept one moves no reading by more
# than that. Both clocks are read in whole seconds (1 s), and each NTP step sets
# the box's clock to a whole second, which draws its sub-second lag anew (1 s
# more): with 1 s the kept activation flipped between neighbouring values with
# no drift at all (a model of it: 0.3-1.4 rewrites a day; with
# 2 s none in 600 days), and each flip doubled a power cut's backfill on
# Nightscout. Further (clock drift) and the new one is kept.
SAME_WITHIN_S = 2
# A time restored after a power cut may be this much before what the save
# vouches for (the transmitter's clock a little slow against the wall clock).
SLACK_S = 60
MAX_AGE_S = 200 * 86400
# The transmitter's kept time and a clock one answer set from unset further apart than this
# (forward.timesync's CONFIRM_STEP_S: the step a set clock takes only from two answers):
# the transmitter's is taken
DOUBT_S = 120
# The saved time is refreshed this often while the activation still holds: a
# transmitter clock restarted (G5 battery swap, a reset by xDrip) while the box
# was off gives a time before it, which is refused; without the refresh the
# saved time was the first meeting, and a restart more than that long ago (the
# transmitter's age then, often hours) set a clock off by days and hours.
# A restart goes unseen only when it set the transmitter's clock back by less than
# the time from the last refresh to the power-on: hourly (24 small writes a day),
# not daily, since a transmitter restarted twice in a few hours (a reset, then
# another around a swap) was set back by 3 h and the box took its clock 3 h behind
# (chaos seed 4037: a day since the refresh).
CONFIRM_S = 3600
# The transmitter vouches for the box's clock (forward.timesync then refuses a time server's
# step of more than a day) once a session found the two within DOUBT_S of the kept
# activation, or gave the time back at the power-on, for as long as the box's clock has run
# on by itself since (not stepped by more than DOUBT_S): its clock ticks on its own, and saw
# the box's run on, not jump. Not for 30 min only: out of reach that long (a walk, a night
# on the transmitter's side) the vouch lapsed though nothing had moved the box's clock, and
# a router's NTP 13 years ahead, refused till then, moved it to 2040 at its next answer
FORGOTTEN = b"forgotten\n"   # what a forget writes where the flash refuses a delete


def _line(tx_id, activation, saved):
    body = "%s %d %d" % (tx_id, activation, saved)
    return "%s %08x\n" % (body, binascii.crc32(body.encode()))


def _parse(data):
    """(id, activation, saved) of a good line (bytes), else None."""
    try:
        body, crc = data.decode().strip().rsplit(" ", 1)
        if int(crc, 16) != binascii.crc32(body.encode()):
            return None
        tx_id, activation, saved = body.split(" ")
        return tx_id, int(activation), int(saved)
    except (ValueError, AttributeError):
        return None


class TransmitterClock:
    def __init__(self, tx_id, path=PATH, set_unix=None, lone_answer=None):
        self.tx_id = tx_id
        self.path = path
        self._set = set_unix or clock.set_unix
        self._lone = lone_answer   # fn(): the clock stands on one answer given to it unset
        self.restored = None       # the Unix time set from the transmitter, if any
        # the power-on on this boot's ms() (0 unknown: the clock set): the unset RTC's count
        # since then, which a software reset keeps and ms() starts again (_doubts' least time)
        lost = clock.lost_s()
        self._power_on_ms = 0 if lost is None else clock.ms() - lost * 1000
        self._kept = self._load()
        if self._kept is not None and self._kept[0] != tx_id:
            # another transmitter's: not confirmed while the box follows this one, so a
            # restart of its clock meanwhile goes unseen, and a power cut erases the RTC's
            # count of that time (chaos seed 6075: back on it 9 h later, 2 h 25 min behind)
            log.info("time: the kept activation is %s's, not %s's: forgotten", self._kept[0], tx_id)
            self._forget()
        self._agreed = None        # (clock.ms(), the wall s) when a session's time last agreed

    def _load(self):
        # a save cut by the power whose last rename the flash refuses: the line is read
        # where it is, as recover() would have (its crc judges a half one)
        path, state = fsutil.readable(self.path)
        if isinstance(state, OSError):
            log.warn("time: cannot finish a cut save of %s (%s): read as it is", self.path, state)
        data = fsutil.read_bytes(path)
        if data is None or data == FORGOTTEN:
            return None
        kept = _parse(data) if len(data) < 80 else None
        if kept is None:
            log.warn("time: %s is damaged: the transmitter's activation is not known", self.path)
        return kept

    def seen(self, dex_now_s):
        """The transmitter's time now (seconds since its activation). Returns the
        activation's Unix time to date readings by (the kept one while a new
        estimate agrees with it), or None without a wall clock."""
        if clock.wall_valid():
            now = int(clock.unix())
            activation = now - dex_now_s
            k = self._kept
            if self._doubts(k, now, dex_now_s):
                return k[1]
            if k is not None and k[0] == self.tx_id and abs(k[1] - activation) <= DOUBT_S:
                self._agree()
            if k is None or k[0] != self.tx_id or abs(k[1] - activation) > SAME_WITHIN_S:
                self._keep(activation)
            elif not 0 <= now - k[2] < CONFIRM_S:
                self._keep(k[1])      # the same activation, confirmed now
            return self._kept[1]
        k = self._kept
        if k is None or k[0] != self.tx_id or self.restored is not None:
            return None
        t = k[1] + dex_now_s
        if not k[2] + (clock.lost_s() or 0) - SLACK_S <= t <= k[2] + MAX_AGE_S:
            log.warn("time: the transmitter's time gives %d, which the kept activation (saved "
                     "at %d) cannot vouch for: not used, forgotten", t, k[2])
            self.restored = 0      # say it once
            self._forget()
            return None
        self.restored = t          # first: a clock that refuses it is not asked every session
        self._set(t)
        self._agree()
        log.info("time: set from the transmitter's clock (activation kept since %d)", k[2])
        return k[1]

    def _agree(self):
        self._agreed = (clock.ms(), int(clock.unix()))

    def vouches(self):
        """The transmitter's clock agreed with the box's (its kept activation, within
        DOUBT_S), or gave it back, and the box's clock has run on by itself since (its
        steps since add up to DOUBT_S at most)."""
        a = self._agreed
        if a is None or not clock.wall_valid():
            return False
        return abs(int(clock.unix()) - a[1] - (clock.ms() - a[0]) // 1000) <= DOUBT_S

    def _doubts(self, k, now, dex_now_s):
        """The clock one answer set from unset since the power-on, more than DOUBT_S off
        the time the kept activation gives (and still vouches for): set from that time,
        once. True when it was."""
        if self.restored is not None or self._lone is None or k is None or k[0] != self.tx_id:
            return False
        t = k[1] + dex_now_s
        up_s = (clock.ms() - self._power_on_ms) // 1000   # since the power-on at least
        if abs(t - now) <= DOUBT_S or not k[2] + up_s - SLACK_S <= t <= k[2] + MAX_AGE_S:
            return False
        if not self._lone():
            return False
        self.restored = t
        self._set(t)
        self._agree()
        log.warn("time: the clock one answer set at the power-on is %+d s off the transmitter's "
                 "(activation kept since %d): set from the transmitter's clock", now - t, k[2])
        return True

    def _forget(self):
        self._kept = None
        fsutil.remove_if_present(self.path)
        if fsutil.exists(self.path):
            # the flash refused the delete: spoil the line instead, else a later
            # power-on takes it (write_atomic's failures count toward `device` flash)
            try:
                fsutil.write_atomic(self.path, FORGOTTEN)
            except OSError as e:
                log.warn("time: cannot forget the transmitter's activation (%s): a later "
                         "power-on may set the clock from it", e)

    def _keep(self, activation):
        now = int(clock.unix())
        try:
            fsutil.write_atomic(self.path, _line(self.tx_id, activation, now))
            self._kept = (self.tx_id, activation, now)
        except OSError as e:
            log.warn("time: cannot keep the transmitter's activation (%s)", e)
            self._kept = (self.tx_id, activation, now)   # do not retry every session
