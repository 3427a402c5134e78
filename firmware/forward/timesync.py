# Wall-clock set-up: NTP (micropython-lib ntptime) first, the Nightscout
# server's HTTP `Date` header as the fallback. Readings keep the
# transmitter's own time; this only gives the box a wall clock (TLS
# certificate checks and Nightscout `date` need one).
#
#   ts = TimeSync({"ntp_host": "pool.ntp.org"}, wifi=keeper)
#   asyncio.create_task(ts.run())
#   uploader = NightscoutUploader(..., on_server_date=ts.offer_date)
#
# ntptime.time() blocks (DNS + one UDP exchange, timeout 1 s): run() calls it
# only with Wi-Fi up and outside the transmitter window, at most once per
# retry period. A DNS server that does not answer makes it block for the
# resolver's whole timeout, the alarm task too: a failure that took longer than
# SLOW_MS doubles the retry period, up to MAX_RETRY_S; so does an answer refused
# because the transmitter vouches for the clock (below): a server that stays wrong
# was asked every retry period, 288 times a day.
#
# One wrong server (a pool member hours off, a router's broken time service)
# must not throw a clock that is already set: its schedules and the readings'
# Nightscout dates, which followers judge as stale or in the future, for the
# hours until the next sync. So a step of more than CONFIRM_STEP_S from a set
# clock waits for a second answer (a refused answer is a failed query: the
# retry period later, as a rule from another pool server) that agrees with it
# within AGREE_S, with no right answer between. A clock that is not set takes
# the first answer: there is nothing better to hold it against. But it is not
# trusted for the 6 h to the next sync: the next query comes a retry period on
# (as a rule another pool server), and one that asks for a big step then is held
# against the third as above, so a wrong first answer lasts minutes, not hours.
# A server that stays wrong still wins at its second answer (the box cannot tell a
# server put right from one gone wrong), and a step of more than CONFIRM_STEP_S of a
# set clock is told: the `device` notice time_changed, and the log says by how much.
# But not by more than VOUCHED_STEP_S while the transmitter vouches for the clock
# (app.txclock: a session saw the box's clock run on, or gave it back at the power-on,
# and nothing stepped the clock since), unless a time server moved the clock (or set it from unset) in the last
# _MOVED_S: a router's NTP 13 years ahead moved the box to 2040, its schedules and the
# readings it posted with it; a server wrong from the start and put right within the
# day is still followed back, and so is one the server's last Date seconds (within
# AGREE_S): a router's NTP days off as the box powered on with no kept activation set the
# clock, the transmitter's activation was kept by it and vouched for it, and the router
# put right was refused for good (Nightscout's clock is not the router's). Refused, the answer is told (the notice
# time_disputed, once per step), and a phone's settings save may set the time though NTP
# set it (app.wiring.clock_from_phone): a server that was right and a box that was wrong
# a day or more are for a person to judge. The server's Date itself sets a clock that is not set, and steps
# a set one by CONFIRM_STEP_S at most unless a server's Date set it (a captive
# portal answers for every name, again and again, with its own clock).
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import struct

from civil import civil_from_unix, days_from_civil, settable
from forward import need, log_print, names

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = const(("Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"))   # 1 Jan 1970 was a Thursday
SLOW_MS = 2000
_NTP_PORT = const(123)
MAX_RETRY_S = 3600
CONFIRM_STEP_S = 120   # a bigger step from a set clock needs a second answer
AGREE_S = 10           # two answers agree: within a query's delay and the Date's 1-s resolution
VOUCHED_STEP_S = 86400  # a bigger step of a clock the transmitter vouches for is refused,
_MOVED_S = const(86400)         # unless a server's answer moved the clock this recently
# What ntptime.time() makes of an answer whose transmit timestamp is zero (Unix s): a
# kiss-of-death (stratum 0, e.g. RATE: the server refuses us) or an unsynchronised server
# carries no time (RFC 5905 7.4), and ntptime's 2036 rule reads its zero as 2036-02-07
ZERO_ANSWER_UNIX = (1 << 32) - 2208988800
# ntptime unpacks bytes 40..44 of whatever datagram came back: a short one raises
# ValueError on MicroPython, struct.error on CPython (MicroPython's struct has none)
_SHORT_ANSWER = getattr(struct, "error", ValueError)


def parse_http_date(s):
    """Unix seconds of an RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); None if not one."""
    try:
        p = s.strip().split()
        if len(p) != 6 or p[5] != "GMT":
            return None
        d, mon, y = int(p[1]), _MONTHS.index(p[2][:1].upper() + p[2][1:].lower()) + 1, int(p[3])
        hh, mm, ss = [int(x) for x in p[4].split(":")]
    except (ValueError, IndexError, AttributeError):
        return None
    if not (1 <= d <= 31 and 0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss <= 60):
        return None
    return days_from_civil(y, mon, d) * 86400 + hh * 3600 + mm * 60 + ss


def http_date(unix_s):
    """The same format from Unix seconds, as a Date header."""
    y, m, d, hh, mm, ss = civil_from_unix(unix_s)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (_DAYS[int(unix_s) // 86400 % 7], d, _MONTHS[m - 1],
                                                   y, hh, mm, ss)


class TimeSync:
    def __init__(self, cfg=None, wifi=None, set_unix=None, ntp=None, log=log_print,
                 resync_s=6 * 3600, retry_s=300, max_step_s=2, vouched=None, notice=None):
        global clock
        import clock  # the adapter's clock (parse_http_date stays pure for CPython)
        cfg = cfg or {}
        self.ntp_host = need(cfg, "ntp_host", str, "time", "pool.ntp.org", False)
        self._wifi = wifi
        self._set = set_unix or clock.set_unix
        self._ntp = ntp
        self._log = log
        self.resync_s = resync_s
        self.retry_s = retry_s
        self.max_step_s = max_step_s  # the Date header has 1 s resolution
        self.source = None  # "ntp" | "server" | "phone" once set
        self.synced_ms = None
        self._retry = retry_s  # the current retry period (backed off after slow failures)
        self._unconfirmed = {}  # source -> the big step (s) its last answer asked for
        self._one_answer = False  # the clock was set from an unset one by a single answer
        self._server_set = False  # the clock's time is a server's Date (it set the clock last)
        self._vouched = vouched   # fn(): the transmitter vouches for the clock (app.txclock.vouches)
        self._notice = notice     # fn(reason): the `device` notice (time_changed, time_disputed)
        self._disputed = None     # the step last refused because the transmitter vouched
        self._disputed_by = None  # the source of that step ("ntp", "server")
        self._moved_ms = None     # clock.ms() when an answer last moved the clock (or set it)
        self._date_step = None    # the step the server's last Date asked for (_seconded)
        self._refused = False     # the last NTP answer was refused as disputed (next_delay)
        self._ntp_addr = None     # the address the last NTP query went to (_seconded)

    def _accept(self, unix_s, source):
        if unix_s is None or not settable(unix_s):
            return False
        step = unix_s - clock.unix() if clock.wall_valid() else None
        if source == "server":
            self._date_step = step   # a second opinion on a step the transmitter disputes
        if source == "server" and self.source == "ntp":
            return False  # NTP is better; the server's clock is only a fallback
        if source == "server" and step is not None and abs(step) <= self.max_step_s:
            # a right answer: a wrong one held before is no longer the first of two
            self._unconfirmed.pop(source, None)
            if self._disputed_by == "server":   # (NTP's dispute is NTP's to end)
                self._disputed = None
            self.source = self.source or "server"
            self._one_answer = False
            return True  # already close enough: do not step the clock back and forth
        if step is not None and abs(step) > CONFIRM_STEP_S and source == "server" and not self._server_set:
            # a clock set by anything else (NTP, the phone, the transmitter, make flash, the
            # last boot) is never thrown by a server's Date: a hotel's captive portal answers
            # for every name with its own clock, and its next answers, seconds apart, agreed
            # with it (the schedules then ran hours off, the readings were dated so, and the
            # phone could not put it right). Set, the box's clock drifts seconds a month, which
            # the Date's small steps correct. A clock a server's Date set (a portal's, from
            # unset) the next server's Dates may still put right, as below: at home without NTP
            if not self._confirms(source, step):
                self._log("time: the server's Date says the clock is %+d s off: a set clock is "
                          "not stepped by it (NTP or a phone's settings save put it right)" % step)
            self._unconfirmed[source] = step
            return False
        if step is not None and abs(step) > CONFIRM_STEP_S and not self._confirms(source, step):
            self._unconfirmed[source] = step
            self._log("time: %s says the clock is %+d s off: not set until a second answer agrees"
                      % (source, step))
            return False
        if step is not None and abs(step) > VOUCHED_STEP_S and not self._moved_recently() \
                and not self._seconded(source, step) and self._vouched is not None and self._vouched():
            self._unconfirmed[source] = step
            if self._disputed is None or abs(step - self._disputed) > AGREE_S:
                self._log("time: %s says the clock is %+d s off, but the transmitter's clock "
                          "agrees with the box's: not taken (a phone's settings save sets the "
                          "time)" % (source, step))
                self._tell("time_disputed")
            self._disputed, self._disputed_by = step, source
            self._refused = source == "ntp"
            return False
        self._unconfirmed = {}
        self._disputed = self._date_step = None
        self._one_answer = step is None
        big = step is not None and abs(step) > CONFIRM_STEP_S
        if big:   # told before the step: the family's day is judged by the clock they lived by
            self._tell("time_changed")   # (main.App.time_notice)
        self._set(unix_s)
        # a server's Date that set the clock from unset (a portal's) lets the next Dates put it
        # right; one that only corrected another source's clock by a small step (2-120 s) does
        # not: the phone's fix, the transmitter's time, then stood to be stepped by hours by a
        # portal's next two Dates
        self._server_set = source == "server" and (step is None or self._server_set)
        self.source = source
        self.synced_ms = clock.ms()
        if step is None or big:
            self._moved_ms = self.synced_ms
        if big:
            self._log("time: set from %s: the clock moved %+d s" % (source, step))
        else:
            self._log("time: set from %s" % source)
        return True

    def _seconded(self, source, step):
        """NTP's step is the one the server's last `Date` asked for (within AGREE_S): two
        sources against a clock the transmitter may have seen run on from a wrong start. Not
        when another name was looked up to the NTP server's address: a captive portal answers
        every name, NTP's and the Nightscout's, with its own address and its own clock."""
        d = self._date_step
        return source == "ntp" and d is not None and abs(step - d) <= AGREE_S \
            and not names.shared(self._ntp_addr, self.ntp_host)

    def _moved_recently(self):
        return self._moved_ms is not None and clock.ms() - self._moved_ms < _MOVED_S * 1000

    def _tell(self, reason):
        if self._notice is not None:
            try:
                self._notice(reason)
            except MemoryError:   # (main.App.time_notice keeps it owed: the step is taken either way)
                pass
            except Exception as e:   # (RTC memory refusing what is owed): the step is taken all the same
                self._log("time: %s not kept: %r" % (reason, e))

    def disputed(self):
        """A step the transmitter's clock disputes was refused, and no answer since agreed
        with the clock (a phone's settings save may set it though NTP did)."""
        return self._disputed is not None

    def disputed_step(self):
        """That step (s, the server's time less the box's), or None: shown while it lasts
        (the screen, the status page, alarms.json), the notice having cleared by itself."""
        return self._disputed

    def _confirms(self, source, step):
        """Whether the source's previous answer asked for the same step (the box's
        clock has run on since, so the same wall time is the same step). Per
        source: a wrong server Date between two NTP answers must not keep NTP's
        right one from being confirmed."""
        u = self._unconfirmed.get(source)
        return u is not None and abs(step - u) <= AGREE_S

    def phone_set(self):
        """The phone's clock was taken (app.wiring.clock_from_phone): a server's Date
        no longer steps it by more than CONFIRM_STEP_S (a portal would undo the fix)."""
        self._server_set = False
        self._one_answer = False   # (app.txclock would take the kept activation over it)
        self._unconfirmed = {}
        self._disputed = self._date_step = None
        self._moved_ms = None   # (its time, not a server's)
        self.source = "phone"

    def lone_answer(self):
        """The clock stands on one answer (NTP's, a server's Date) given to it unset, not
        yet confirmed: the transmitter's kept activation is taken over it (app.txclock)."""
        return self._one_answer

    def transmitter_set(self):
        """The transmitter's clock was taken (app.txclock): a server's Date no longer steps
        it by more than CONFIRM_STEP_S, and a big step asks two answers again."""
        self._server_set = False
        self._one_answer = False
        self._unconfirmed = {}
        self._disputed = self._date_step = None
        self._moved_ms = None   # (its time, not a server's)
        self.source = "transmitter"

    def offer_date(self, header):
        """Fallback: the `Date` header of a Nightscout answer (uploader callback)."""
        return self._accept(parse_http_date(header), "server")

    def sync_ntp(self):
        """One NTP query (blocking, ntptime.timeout). True when the clock was set."""
        ntp = self._ntp
        if ntp is None:
            import ntptime as ntp
            self._ntp = ntp
        ntp.timeout = 1
        self._refused = False   # (this query's: a failed lookup asked no server)
        try:
            # the name through forward.names (its lookups under the forwarders'
            # common limit and in a pause of the sound: run()), so that ntptime,
            # which looks its host up at every query, gets an address
            ntp.host = self._ntp_addr = names.resolve(self.ntp_host, _NTP_PORT)[0]
        except OSError as e:
            self._log("time: NTP failed: %s" % e)
            return False
        ok = self._ask(ntp)
        # the next query looks the name up again (in a pause of its own), as
        # ntptime did at every query and as the NTP pool asks: as a rule another
        # pool server (after a failure, the same one would confirm its own wrong
        # step, or refuse us for ever)
        names.drop_address(self.ntp_host)
        return ok

    def _ask(self, ntp):
        try:
            t = ntp.time()  # seconds in the port's epoch
        except (OSError, IndexError, ValueError, _SHORT_ANSWER) as e:
            # no answer, or a short one: a failed query, not a failed task (its
            # supervisor would restart it at once and soon sound the device alarm)
            self._log("time: NTP failed: %s" % e)
            return False
        if t + clock.EPOCH_OFFSET == ZERO_ANSWER_UNIX:
            self._log("time: NTP answer without a time (kiss-of-death?)")
            return False
        return self._accept(t + clock.EPOCH_OFFSET, "ntp")

    async def run(self):
        while True:
            if self._wifi is not None:
                await self._wifi.wait_up()
            stall = names.last_stall()
            if self._wifi is not None:
                # the name's lookup, when due, is made here (in a pause of its own)
                await self._wifi.wait_quiet(3000, blocks=True, host=self.ntp_host, port=_NTP_PORT)
            t0 = clock.ms()
            ok = self.sync_ntp()
            took = clock.ms() - t0
            if not ok and names.last_stall() != stall:
                took = max(took, SLOW_MS + 1)  # a lookup before the query blocked the board
            await asyncio.sleep(self.next_delay(ok, took))

    def next_delay(self, ok, took_ms):
        """Seconds until the next NTP query after one that took took_ms."""
        if ok:
            self._retry = self.retry_s
            # a clock set from nothing by one answer is checked a retry period on
            return self.retry_s if self._one_answer else self.resync_s
        if took_ms > SLOW_MS or self._refused:   # it blocked the board, or the transmitter
            # vouches against a server that stays wrong: ask less often
            self._retry = min(max(self._retry * 2, self.retry_s), MAX_RETRY_S)
        else:
            self._retry = self.retry_s
        return self._retry
