# The bedside CGM alarm: wires the parts and runs them under the supervisor.
#
#   link --reading--> alarm task (engine) --> annunciator, listeners (forwarders, LAN API, log)
#
# The alarm task is the heart: it owns the engine, is restarted at once if it
# fails, and never waits on anything but its own inbox. Every other part
# (link, Wi-Fi, uploads, web, buttons, annunciator) runs as its own task under
# the supervisor; their failures become `device`/`link`/`forwarding` alarms.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import gc

import clock
import machine
import reading
from app import fsutil, log, persist
from app import config as appconfig
from app.memory import ALARM_PATH, WINDOW_S, MemoryWatch
from app.supervisor import Supervisor
from alarms.engine import AlarmEngine, REPLAY_MIN
from alarms.kinds import TYPES, FAMILY_DAY
from sound import board as boards
from sound.annunciator import Annunciator

CONFIG_PATH = "config.json"
TICK_S = 5            # engine tick: no_data, escalation, snooze expiry
SAVE_S = 60           # the alarm state goes to RTC memory at least this often
UNDATED_S = 86400     # the age given a backfilled reading that nothing can date: history only
HEALTH_S = 300        # heap check (a full collection costs milliseconds)
WDT_MS = 30000        # the watchdog resets a board whose tasks stop checking in
_ANN_STALL_MS = const(3000)    # a change the annunciator has not drawn for this long: restart it
HEALTHY_AFTER_S = 1800  # uptime after which the `resets` alarm of a reset loop ends
LOOP_OVER_S = 6 * 3600  # ... and the loop: resets closer than this to each other count in a row
CLOCK_WAIT_S = 900     # schedules but no time of day this long after boot: the `device` notice
_SESSION_NOTICE_S = const(24 * 3600)   # a sensor session ending within this: the `sensor` notice, once,
DAY_MINUTES = FAMILY_DAY  # ... in the family's day (local time), never at night
TIME_NOTICES = ("time_changed", "time_disputed")   # forward.timesync's: owed to the morning at night
_DAY_LEN = DAY_MINUTES[1] - DAY_MINUTES[0]   # minutes
LANDING_MS = 3000      # a stuck button's take-back reaches this far before its gesture
FALLBACK_BOARD = "esp32-devkitc"
CANNOT_RUN_S = 60      # a box that cannot start sounds its fault this long, then starts again
_READING_TRIES = const(3)      # a reading whose judging runs out of memory is retried this often
FEED_FAILS = 3         # a listener (a forwarder's feed) failing this often: the forwarding alarm
FEED_QUIET_S = 1800    # ... within this long of its last failure; a success after that clears it
FLASH_FAILS = 2        # saves to flash failing in a row: the device (flash) alarm
FLASH_TRY = "flash_try.txt"   # beside the settings, written at each boot (App._try_flash)
_FLASH_TRY_MS = const(200)     # ... its hold of the board (up to the largest refused save: an 8-KB queue, ~150 ms), for the pause in the sound it waits for
_RESERVE_BYTES = const(12288)  # the largest forwarding buffer: the Nightscout queue (8.3 KB with its sent marks) or the LAN history (3.7 KB), see wiring


class App:
    def __init__(self, config_path=CONFIG_PATH, wdt_ms=WDT_MS, boards_dirs=None, listeners=()):
        # first: one block for forwarding's large buffers (wiring._forwarding frees
        # it just before making them), while the heap is still in one piece; by
        # then boot has scattered small objects over it (none on a short heap)
        try:
            self.reserve = bytearray(_RESERVE_BYTES)
        except MemoryError:
            self.reserve = None
        self.listeners = list(listeners)  # fn(event dict): forwarders, LAN API, a console printer
        self.inbox = []          # readings from the link, consumed by the alarm task
        self._taking = None      # the reading the alarm task is judging (see _take_reading)
        self._taking_t = 0       # its time on the engine's clock
        self._undated = None     # (dex_s, engine time) of the last live reading without a wall time
        self._tries = 0
        self._told = False       # the listeners have it
        self._saved_s = 0        # when the alarm state last went to RTC memory
        self._clock_unknown = None  # schedules waiting for a time of day (the notice is up)
        self._ending_told = None    # the session end (ms) the `ending` notice was raised for
        self._unapplied = []     # (kind, name, active) the engine had no memory for (see condition)
        self._step_owed = False  # a clock step the engine has not taken (see _clock_stepped)
        self._feed_fails = {}    # listener -> [failures, engine time of the last]: see emit
        self._flash_failing = False  # the device (flash) alarm is up: see _watch_flash
        # a follower box with follow.sound "unanswered" (wiring sets gate = alarms.gate and
        # gate_poll_s): the leader box's alarms, (report or None, now_s when fetched)
        self.gate = None
        self.gate_poll_s = 60
        self._leader = None
        self._leader_unanswered = None   # None: not judged yet (the first report clears a restored one)
        self._round_s = None             # now_s of the alarm task's last round (alarm_report)
        self.wake = asyncio.Event()
        # last_reading_t: the newest reading's time on the engine's clock (now_s)
        self.status = {"link": None, "last_reading": None, "last_reading_t": None}
        self.wdt_ms = wdt_ms
        self.http_host = "0.0.0.0"  # where the LAN API and the setup page listen
        self.setup_port = 80        # the setup/status page (None: not served)
        self.dns_port = 53          # captive-portal DNS while the setup AP is open (None: off)
        self.config_path = config_path
        self.link = self.wifi = self.buttons = self.lan_api = self.setup_ap = None
        self.follower = None        # a follower box's source (forward.follower), for the status page
        self.nightscout = self.mqtt = None   # the forwarders (forward.nightscout, .mqtt): their last failure, for the status page
        self.timesync = None
        self.tx_clock = None        # app.txclock.TransmitterClock: vouches for the clock (timesync)
        self._answered = []         # (clock.ms(), types) of the last presses' answers (unacknowledge)
        self.before_reset = []      # called before a planned reset (e.g. write queues to flash)
        self.pending_starts = []    # [name, fn, due ms, wait s] of parts whose start ran out of memory (wiring)
        self.rtc = persist.RtcStore(machine.RTC())
        self._boot_s = self.now_s()   # the uptime a reset loop's end is counted by (_health_task)
        self._resets_over = False
        blob = self.rtc.load()
        clock.keep_back(self.rtc.clock_back)    # the RTC's time and its steps back go on
        clock.on_step = self._clock_stepped
        if self.rtc.ending_told and clock.wall_valid():   # told before this reset: on this boot's clock
            self._ending_told = clock.ms() + (self.rtc.ending_told - clock.unix()) * 1000
        self.cfg, problems = appconfig.load(config_path)
        _hide_secrets(self.cfg)
        self._tz = None          # (app.localtime, the parsed rule) for the schedules (validated by load)
        if self.cfg.get("tz"):
            try:   # (load validated it) a failure costs the summer time, never the boot
                from app import localtime
                self._tz = (localtime, localtime.parse(self.cfg["tz"]))
            except Exception as e:
                log.exc(e, "tz rule not used: schedules on utc_offset_min")
                # the schedules run an hour off in summer: the device alarm (config) says so
                problems.append("tz: rule not used (%s): schedules follow utc_offset_min"
                                % type(e).__name__)
        self.engine = AlarmEngine(self.cfg["alarms"])
        self._restore(blob)
        self._hold_minutes_shown_again()
        log.info("boot %d (reset cause %s)", self.rtc.boots, machine.reset_cause())
        self.board, wiring = load_board(board_name(config_path, self.cfg, problems), boards_dirs,
                                        config_path)
        board_problem = wiring is not None
        if wiring:
            problems.append("board: %s not usable (see the log): sounding on %s"
                            % (self.cfg.get("board") or FALLBACK_BOARD, wiring))
        try:  # first: a battery-backed board must stay on if USB power goes
            from app import power
            power.hold(self.board)
        except Exception as e:
            log.exc(e, "power hold pin")
            board_problem = True
            problems.append("board: its power hold pin failed (see the log)")
        try:   # a failure costs the pins' names, never the boot
            problems += boards.lacking(self.board)
        except Exception as e:
            log.exc(e, "board pins not checked")
        self.ann = Annunciator(self.board, on_fault=self._on_ann_fault, on_change=self.emit)
        self.ann.show("no_data")   # nothing read yet (alarm_task says "ok" once a reading is fresh)
        for p in problems:
            log.warn("config: %s", p)
        # what this boot found, for the status page: the setup server loads the file again
        # and cannot see a save this load completed, the board file or the tz rule
        self.config_problems = problems
        if problems or board_problem:
            self.condition("device", "config", True)
        # a watchdog's reset is the box's own fault (a task hung: a link stuck 20 min was
        # heard as no_data alone; or the alarm path kept failing): said at the boot after it,
        # not from the third boot in a row (a hang at every boot went unsaid 40 min)
        watchdog = self.rtc.boots > 1 and machine.reset_cause() == machine.WDT_RESET
        if self.rtc.boots >= 3 or watchdog:   # (boots counts this one: boots - 1 resets)
            log.error("resets in a row: %d%s", self.rtc.boots - 1, ", the last the watchdog's" if watchdog else "")
            self.condition("device", "resets", True)
        self.sup = Supervisor(self._task_failed, wdt=None, poll_s=TICK_S)
        self.memory = MemoryWatch(self.sup, lambda active: self.condition("device", "memory", active))
        self.sup.on_memory = self.memory.task_ended

    # --- the alarm path --------------------------------------------------------
    def now_s(self):
        # whole seconds since boot, an int: the ESP32 computes floats in single
        # precision, where seconds since boot step by 1 s after 97 days of uptime
        # and 8 s after 2 years, and the alarms' spans (fall/rise over 15 min,
        # persistent high, snoozes) would shift with how long the box has been up
        return clock.ms() // 1000

    def _clock_stepped(self, step):
        """clock.on_step: RTC memory keeps the step; the schedules take the new time of day
        at once (a clock put an hour back is no daylight-saving change: alarms.engine). A
        failure here (clock.py swallows it: out of memory) leaves the step owed to the alarm
        task's next round, first thing: the engine's next call would take it for a replay."""
        self._step_owed = True
        self.wake.set()
        self.rtc.stepped(step, clock.back_s())
        self._clock_set()

    def _clock_set(self):
        self.engine.clock_set(self.now_s(), self.minute_of_day(), self._changed_back_at() is not None)
        self._hold_minutes_shown_again()
        self._step_owed = False

    def _hold_minutes_shown_again(self):
        """A box that kept no minute of day (a power cut, RTC memory lost) and comes to one
        while the wall shows again minutes its zone's clocks went back through (the tz
        rule): the schedules hold the minute reached before the change, as the engine does
        through a change it saw (a flicker at 01:59 EDT brought a night that had ended at
        01:30 back until 01:30 EST)."""
        now = self.now_s()
        if self.engine.minute_of_day(now) is not None:
            return
        lo = self._changed_back_at()
        if lo is not None:
            self.engine.replaying(now, self.minute_of_day(), self.minute_of_day(lo))

    def _changed_back_at(self):
        """While the wall shows again minutes its zone's clocks went back through (the tz
        rule, within REPLAY_MIN): the Unix second before the change, else None."""
        if self._tz is None or not clock.wall_valid():
            return None
        zone, rule = self._tz
        t = clock.unix()
        new = zone.offset_min(rule, t)
        back = zone.offset_min(rule, t - REPLAY_MIN * 60) - new
        lo, hi = t - back * 60, t
        if back <= 0 or zone.offset_min(rule, lo) == new:   # no change back, or its minutes passed
            return None
        while hi - lo > 1:   # the change's second: the old offset at lo, the new at hi
            mid = (lo + hi) // 2
            if zone.offset_min(rule, mid) == new:
                hi = mid
            else:
                lo = mid
        return lo

    def minute_of_day(self, unix_s=None):
        """The local minute of day now, or at unix_s (with that day's offset: a
        daylight-saving change between now and then counts); None without a clock."""
        if not clock.wall_valid():
            return None
        t = clock.unix() if unix_s is None else unix_s
        if self._tz is not None:
            offset = self._tz[0].offset_min(self._tz[1], t)
        else:
            offset = self.cfg.get("utc_offset_min", 0)
        return ((t + 60 * offset) // 60) % 1440

    def on_reading(self, r):
        """From the link (or a follower source): queue and wake the alarm task."""
        self.inbox.append(r)
        self.wake.set()

    def condition(self, kind, name, active):
        """A link/sensor/device/forwarding condition started or ended. Its
        sources report a change once (the link's battery or sensor state, a
        forwarder's or the annunciator's fault) and most only log a failure: one
        the engine had no memory for is kept and applied again at the alarm
        task's next round (within TICK_S), not lost with nothing heard. The
        MemoryError still reaches the caller (the supervisor's report then
        sounds the device fault directly, _task_failed)."""
        kept = self._unapplied
        for i in range(len(kept) - 1, -1, -1):   # a newer word on the same condition replaces
            if kept[i][0] == kind and kept[i][1] == name:   # the kept one (in place: no allocation)
                del kept[i]
        try:
            events = self.engine.set_condition(kind, name, active, self.now_s(), self.minute_of_day())
        except MemoryError:
            gc.collect()
            self._unapplied.append((kind, name, active))
            self.wake.set()
            raise
        self._dispatch(events)

    def snooze(self):
        """True when the press answered an alarm (the button's test gesture then waits)."""
        events = self.engine.snooze(self.now_s(), self.quiet())
        self._note_answer(events)
        self._dispatch(events)
        return bool(events)

    def acknowledge(self):
        events = self.engine.acknowledge(self.now_s(), self.quiet())
        self._note_answer(events)
        self._dispatch(events)

    def _note_answer(self, events):
        kinds = [e["type"] for e in events if e["event"] in ("alarm_ack", "alarm_snooze")]
        if kinds:   # one press answers one alarm (and its episode): room for every type
            self._answered = self._answered[-(len(TYPES) - 1):] + [(clock.ms(), kinds)]

    def unacknowledge(self, within_ms):
        """The button's gesture of the last within_ms was a stuck button's, not a
        person's (a book landing on it: a bounce is a short press, then a long one):
        what its presses answered sounds again (else the low stayed quiet until it got
        worse, under the stuck button's own alarm). A few seconds before it count too (a
        book that touched, lifted and settled made a gesture of its own first);
        older answers are a person's."""
        since = clock.ms() - within_ms - LANDING_MS
        kinds = []
        for t, ks in self._answered:
            if t - since >= 0:
                kinds += [k for k in ks if k not in kinds]
        self._answered = []
        self._dispatch(self.engine.unanswer(kinds, self.now_s()))

    def _dispatch(self, events, changed=False):
        """Publish the engine's events; when anything changed, tell the
        annunciator and keep the state in RTC memory."""
        if not (events or changed):
            return
        for e in events:
            if e.get("event") in ("alarm_onset", "alarm_clear", "alarm_snooze", "alarm_ack", "alarm_update"):
                try:  # a log line short of memory must not cost the listeners the event
                    log.info("%s %s (%s) %s", e["event"], e.get("type"), e.get("priority"),
                             e.get("reason") or e.get("sgv") or "")
                except MemoryError:
                    gc.collect()
            self.emit(e)
        self.ann.set(self.shown())
        try:
            r = self.status["last_reading"]
            if self.link is not None:
                self.rtc.hole = self.link.missing()
            # only a link's readings carry a transmitter time (a follower's dex_s is its Unix time)
            self.rtc.save(self.engine.save(), r[reading.DEX_S] if r and self.link is not None else None)
            self._saved_s = self.now_s()
        except MemoryError:   # tried again at the next change or SAVE_S; counted as any part's
            self.out_of_memory("alarm state save")   # (logged alone, a day at the heap's edge
            # lost saves unsaid: session 71's memory bench, "logged without a device alarm")
        except Exception as e:
            log.exc(e, "could not save alarm state")

    def time_disputed_s(self):
        """The step a time server asks for that the transmitter's clock disputes
        (forward.timesync refused it), or None: the screen, the status page and
        alarms.json say it, silently, for as long as it lasts (its notice clears by
        itself after notice_minutes)."""
        try:
            return None if self.timesync is None else self.timesync.disputed_step()
        except Exception:   # (a word on the clock: never in the way of what shows glucose)
            return None

    def shown(self):
        """What the board plays and shows (AlarmEngine.shown), less what a
        follower's leader box sounds or its family answered there (alarms.gate).
        A follower's no_data that nothing here explains is told in the words of
        the leader's fresh report ("why": its sensor session stopped, its
        transmitter not heard), as the leader's screen tells it: NO DATA alone
        sent the family here looking for a fault of the leader box. A leader
        silent (no fresh entry) that answered the last poll is told as up without
        readings: "silent" sent the family looking for a box unplugged or off the
        Wi-Fi while it sounded its own sensor's alarm (follow.sound "all" asks
        nothing more of it). A leader_unanswered names the leader's alarm nobody
        answers there ("leader": its type, "leader_reason": its name there,
        unanswered_there), while the report is fresh: "not answered" alone did not
        tell a box fault from a low. A no_transmitter whose wake-ups were all heard
        (link.core heard_unread: each had a session that authenticated, none brought
        its reading) is told as heard: "not heard" sent the family to move the box
        nearer a transmitter that a codec refusal or a bug of ours kept unread; while
        the device alarm says that bug (link_code), as it: BOX FAULT / link software."""
        alarm = self.engine.shown(self.quiet())
        if alarm is None:
            return alarm
        cause = alarm.get("cause")
        if (cause[1] if cause else alarm.get("reason")) == "no_transmitter" and self.link is not None \
                and self.link.heard_unread():
            # by a fault of the link's own code (link.core _CODE_FAULTS): in the device alarm's words
            alarm["cause"] = ("device", "link_code") if self.engine.has_reason("device", "link_code") \
                else ("link", "heard_unread")
        f = self.follower
        if f is None:
            return alarm
        if alarm["type"] == "no_data" and "cause" not in alarm:
            why = self._why()
            if why is not None:
                alarm["cause"] = why
        cause = alarm.get("cause")
        # (refused: its entries dated ahead, refused at a poll before and skipped since)
        if (cause[1] if cause else alarm.get("reason")) == "leader_silent" and f.polls and not (
                f.last_error or f.refused):
            alarm["cause"] = ("link", "leader_no_readings")
        if alarm.get("reason") == "leader_unanswered":
            there = self.unanswered_there()
            if there is not None:
                alarm["leader"], alarm["leader_reason"] = there
        return alarm

    def unanswered_there(self):
        """A gated follower's leader's alarm that its leader_unanswered wakes for
        (alarms.gate.unanswered_there), as (type, reason) that the leader's screen
        titles it by (its no_data by its cause: SENSOR, TRANSMITTER; its link about
        its own leader, in a chain of boxes: LEADER BOX); None while not known. The
        screen and the status page name it."""
        if self.gate is None:
            return None
        report = self._report()
        kind = self.gate.unanswered_there(self.engine.active(), report)   # (None: not known)
        if kind is None:
            return None
        if kind == "no_data" and report.get("why"):
            return report["why"]
        return kind, report.get("chain", {}).get(kind)

    def _why(self):
        """Why no glucose comes, as this box's no_data tells it: its own sensor's or link's
        (AlarmEngine.cause), else a gated follower's leader's, from its fresh report
        (forward.follower.parse_alarms "why"); (type, reason) or None."""
        why = self.engine.cause()
        if why is None and self.gate is not None:
            report = self._report()
            if report is not None:
                why = report.get("why")
        return why

    def quiet(self):
        """The types this box plays silently: a follower's, which its leader box
        sounds or answered (alarms.gate); a press answers the one heard first."""
        if self.gate is None:
            return ()
        return self.gate.quiet(self.engine.active(), self._report(), self.now_s())

    def _report(self):
        """The leader's last report while it is fresh (alarms.gate.fresh), else None."""
        if self._leader is None:
            return None
        return self.gate.fresh(self._leader[0], self._leader[1], self.now_s(), self.gate_poll_s)

    def leader_alarms(self, report):
        """From the follower: the leader box's alarms (forward.follower.parse_alarms),
        None when the leader gave none (not known: this box sounds its own). The
        sound follows at the alarm task's round, which judges the readings fetched
        before the report first (the follower gives both without a pause between):
        set here, the leader's word on a reading this box had not judged yet would
        play its onset for a moment, or an alarm the leader had just cleared."""
        self._leader = (report, self.now_s())
        self.wake.set()

    def leader_age_s(self):
        """For the status page: how old the leader box's word is, None while it is
        not known (none given, or stale: this box sounds its own alarms)."""
        if self.gate is None or self._report() is None:
            return None
        return self.now_s() - self._leader[1]

    def _watch_leader(self):
        """The follower's gate, each round (after the sound's: alarm_task): the `link`
        alarm for the leader's own unanswered alarms."""
        if self.gate is None:
            return
        report = self._report()
        if report is None:
            return   # not known (stale, or none given): the last verdict stands, as sounding
        unanswered = self.gate.leader_unanswered(self.engine.active(), report)
        if unanswered != self._leader_unanswered:
            self._leader_unanswered = unanswered
            self.condition("link", "leader_unanswered", unanswered)

    def alarm_report(self):
        """The LAN API's /api/v1/alarms.json: this box's alarms for its follower
        boxes (alarms.gate); age_s: since the alarm task's last round (a stuck task's
        state is not news; the engine's own clock moves with a press or a condition
        from other tasks too); for_s: how long each alarm has lasted here (a follower
        started or powered up after it began counts its half-hour wake for an urgent
        low from it, alarms.gate; never below 0, which a follower refuses whole); cause:
        why no glucose comes, as this screen's no_data says it ([type, reason] or null,
        _why: an alarm's reason names its newest problem, which may not be that one)."""
        t, now = self._round_s, self.now_s()
        return {"alarms": [{"type": a["type"], "priority": a["priority"], "status": a["status"],
                            "level": a["level"], "reason": a["reason"], "for_s": max(0, now - a["since_s"])}
                           for a in self.engine.active()],
                "age_s": None if t is None else now - t, "muted": self.muted(),
                "time_disputed_s": self.time_disputed_s(), "cause": self._why()}

    def muted(self):
        """True while this box cannot sound: its buzzer refuses (a PWM or pin that
        raises) or the annunciator's step fails. Its alarms sound nowhere here: a
        follower box sounds them itself (alarms.gate)."""
        f = self.ann.faults
        return "buzzer" in f or "annunciator" in f

    def emit(self, event):
        for fn in self.listeners:
            try:
                try:
                    fn(event)
                except MemoryError:
                    gc.collect()
                    log.error("listener out of memory on %s", event.get("event"))
                    self.out_of_memory("listener")
                except Exception as e:
                    log.exc(e, "listener failed on %s", event.get("event"))
                    self._feed_failed(fn, True)
                else:
                    if self._feed_fails:
                        self._feed_failed(fn, False)
            except MemoryError:   # its report short of memory too: the next listeners get the event
                gc.collect()

    def _feed_failed(self, fn, failed):
        """A listener that raises (a bug in a forwarder's feed, not the network,
        which the forwarders report themselves) FEED_FAILS times, each within
        FEED_QUIET_S of the one before, raises `forwarding` (feed): else Nightscout
        and MQTT stop getting readings with only a log line. It clears when no
        listener has failed for FEED_QUIET_S and one has worked since."""
        now = self.now_s()
        was = self._feed_alarm()
        f = self._feed_fails.get(fn)
        if failed:
            if f is None or now - f[1] > FEED_QUIET_S:
                f = self._feed_fails[fn] = [0, now]
            f[0] += 1
            f[1] = now
        elif f is not None and now - f[1] > FEED_QUIET_S:
            del self._feed_fails[fn]
        if self._feed_alarm() != was:
            try:
                self.condition("forwarding", "feed", not was)
            except MemoryError:
                pass   # kept by condition(): applied at the alarm task's next round

    def _feed_alarm(self):
        for f in self._feed_fails.values():
            if f[0] >= FEED_FAILS:
                return True
        return False

    def _take_reading(self, r):
        """Judge the reading first in the inbox; it leaves the inbox only when done.
        A MemoryError (or a bug) on the way fails the alarm task, and its restart takes
        the same reading again (up to _READING_TRIES times): the listeners have it
        once, and the engine sees it at the time first given
        (it commits a reading only once judged, see AlarmEngine.on_reading)."""
        now = self.now_s()
        if self._taking is not r:
            age = 0
            if r[reading.UNIX_S] is not None:
                age = max(0, clock.unix() - r[reading.UNIX_S])
            elif r[reading.SOURCE] == reading.LIVE:
                self._undated = (r[reading.DEX_S], now)
            else:
                # no wall clock: a backfilled reading is dated by the transmitter's
                # clock against the session's live reading, never taken as 0 s old
                # (it came seconds after the live one, and an hour-old value was
                # judged as the newest: it cleared a sounding urgent low)
                u = self._undated
                age = UNDATED_S if u is None else max(0, now - u[1] + u[0] - r[reading.DEX_S])
            self._taking, self._taking_t, self._tries, self._told = r, now - age, 0, False
        self._tries += 1
        if self._tries > _READING_TRIES:
            log.error("reading of %s mg/dL dropped: judging it failed %d times", r[reading.SGV], _READING_TRIES)
            return
        if not self._told:
            # no list of past readings here: the LAN API keeps its own, packed
            # (forward/history.py); 36 tuples that nothing read held 2.6 KB
            self.emit(reading.as_event(r))
            self._told = True   # a retry goes straight to the engine
        events = self.engine.on_reading(r, now, now - self._taking_t, self.minute_of_day())
        # judged: now the link may resume after it (RTC memory, see _dispatch). The
        # newest one stays what the page and the display show: a session's backfill
        # comes after its live reading
        st = self.status
        if st["last_reading"] is None or self._taking_t >= st["last_reading_t"]:
            st["last_reading"], st["last_reading_t"] = r, self._taking_t
        self._dispatch(events, True)

    async def alarm_task(self, checkin):
        while True:
            checkin()
            if self._step_owed:   # (a failure fails this task: tried again at its restart)
                self._clock_set()
            if self.inbox:
                gc.collect()  # a reading is due every 5 min: start it on a tidy heap
            while self.inbox:
                self._take_reading(self.inbox[0])
                self.inbox.pop(0)
            # a session's backfill, behind its live reading: the newest judged again with it
            self._dispatch(self.engine.rejudge(self.now_s(), self.minute_of_day()))
            while self._unapplied:   # a failure keeps the rest (and fails this task)
                c = self._unapplied[0]
                self.condition(c[0], c[1], c[2])
            now = self._round_s = self.now_s()
            self._dispatch(self.engine.tick(now, self.minute_of_day()), now - self._saved_s >= SAVE_S)
            # what no event of the engine tells: a schedule's window beginning or ending (its
            # volume, for a fresh medium or low alarm already sounding), a follower's leader
            # report growing stale (alarms.gate). Unchanged, the annunciator ignores it
            self.ann.set(self.shown())
            # the light under no alarm: "all well" only while a reading is fresh; before the
            # first one and through a gap (until no_data sounds) it blinks blue
            self.ann.show("ok" if self.engine.has_fresh_reading(now) else "no_data")
            self._watch_clock(now)
            self._watch_time_owed()
            self._watch_sensor_error()
            self._watch_session()
            self._watch_leader()
            try:
                await asyncio.wait_for_ms(self.wake.wait(), TICK_S * 1000)
            except asyncio.TimeoutError:
                pass
            self.wake.clear()

    def _watch_clock(self, now):
        """Schedules need the time of day; a box without Wi-Fi gets it only from a
        phone (a save on the setup page) or back from the transmitter after a
        power cut (app/txclock.py). Still none CLOCK_WAIT_S after boot: a notice
        (low priority, clears by itself; the status page says why)."""
        unknown = (now >= CLOCK_WAIT_S and not clock.wall_valid()
                   and bool(self.cfg["alarms"].get("schedule")))
        if unknown != self._clock_unknown:
            self._clock_unknown = unknown
            self.condition("device", "clock", unknown)

    def in_family_day(self):
        """Within DAY_MINUTES, or no time of day known (then a notice is told as ever)."""
        mod = self.minute_of_day()
        return mod is None or DAY_MINUTES[0] <= mod < DAY_MINUTES[1]

    def time_notice(self, reason):
        """forward.timesync's `device` notice (TIME_NOTICES): a clock step taken or refused.
        Owed (in RTC memory, as the engine's holds to the morning are; once however many
        steps) from the 08:00 (by the tz rule) that began the day of the clock before the
        step (timesync tells before it sets the clock), or at night the next one, and told
        (_watch_time_owed) at a moment that is day on both that clock and the box's: the
        box cannot tell a right step from a wrong one, and judged by one clock a wrong step
        from 03:00 into 14:00, or a wrong clock's 14:00 put right to 03:00, sounded at
        3 a.m. One owed already keeps it owed (that step put right an hour later, from
        15:00 back to 04:00, is night too)."""
        rtc = self.rtc
        was, rtc.owed = rtc.owed, rtc.owed | 1 << TIME_NOTICES.index(reason)   # (a MemoryError
        if not was:                                            # below leaves it owed from now)
            rtc.owed_at = now = clock.unix()
            mod = self.minute_of_day()
            if mod is not None:
                since = (mod - DAY_MINUTES[0]) % 1440   # minutes since that clock's last 08:00
                at = now - now % 60 + ((1440 if since >= _DAY_LEN else 0) - since) * 60
                rtc.owed_at = at - ((self.minute_of_day(at) - DAY_MINUTES[0] + 720) % 1440 - 720) * 60   # (a summer-time change)
        rtc.owe(rtc.owed_at, rtc.owed)
        self.wake.set()   # (told at the alarm task's next round, on the clock after the step)

    def _watch_time_owed(self):
        """The time notices owed (time_notice): told at the first alarm-task round from the
        morning they were owed from (moved with each step of the clock: the same moment)
        that is in the family's day on the box's clock and on the clock it was owed by
        (within _DAY_LEN of that morning, a day later too: the two days overlap by 2 h at
        least), whichever clock was right; a dispute that ended by then owes nothing."""
        rtc = self.rtc
        now = clock.unix()
        if rtc.owed and now >= rtc.owed_at and (now - rtc.owed_at) % 86400 < _DAY_LEN * 60 \
                and self.in_family_day():
            for i, reason in enumerate(TIME_NOTICES):
                if rtc.owed >> i & 1 and (i == 0 or self.time_disputed_s() is not None):
                    self.condition("device", reason, True)
            rtc.owe(0, 0)

    def _watch_sensor_error(self):
        """A temporary sensor error (states 0x03, 0x12, kind "noise": Dexcom says wait
        up to 3 h) gives no glucose, and no_data sounded without a reason: its long press
        held only its snooze, 15 min, 11 presses a night. Once no_data
        sounds (a one-reading blip says nothing), the `sensor` alarm says "error", a reason
        of kinds.NO_GLUCOSE: the two are one episode, one press holds SENSOR_HOLD_S. The
        link tells the state only when it changes: its next word ends it (app.wiring)."""
        if self.status.get("sensor_kind") == "noise" and self.engine.is_active("no_data") \
                and not self.engine.has_reason("sensor", "error"):
            self.condition("sensor", "error", True)

    def _watch_session(self):
        """The sensor session's end, by the link's last time message: kept for the
        status page (status["session_end_ms"]), and once per session, when it is
        _SESSION_NOTICE_S away or less, the `sensor` notice `ending` (low priority,
        clears by itself) in the family's day (DAY_MINUTES; none without a time of
        day): at bedtime they know the sensor stops in the night, not at 3 a.m."""
        link = self.link
        left = getattr(link, "session_left_s", None)
        end = None if left is None else link.session_at_ms + left * 1000
        told = self._ending_told
        if left is None:
            self.status.pop("session_end_ms", None)
        else:
            self.status["session_end_ms"] = end
        if getattr(link, "session_at_ms", None) is None:
            return   # no time message yet (a boot): an end told before the reset stands
        if told is not None and end is not None:
            from dexcom.glucose import SAME_SESSION_S   # (loaded with the link that gave the end)
            if abs(end - told) < SAME_SESSION_S * 1000:
                return
        if told is not None:   # no session, or another end (a new sensor, a restart): not this news
            self._ending_told = None
            self.rtc.told_ending(0)
            self.condition("sensor", "ending", False)
        mod = self.minute_of_day()
        # not beside another sensor reason (it would join it unheard, and stay after it)
        if end is not None and 0 < end - clock.ms() <= _SESSION_NOTICE_S * 1000 and mod is not None \
                and DAY_MINUTES[0] <= mod < DAY_MINUTES[1] \
                and not any(a["type"] == "sensor" for a in self.engine.active()):
            self._ending_told = end
            self.rtc.told_ending(clock.unix() + (end - clock.ms()) // 1000)   # (a reset tells it once)
            self.condition("sensor", "ending", True)

    # --- start-up ------------------------------------------------------------
    def _restore(self, blob):
        if not blob:
            return
        try:
            away = self.rtc.away_s
            if away is None:  # the wall clock was set meanwhile: take the reset as instant
                log.error("time away during the reset unknown")
            self.engine.restore(blob, self.now_s(), away or 0)
            mod = self.minute_of_day()
            if mod is not None and (mod - self.minute_of_day(clock.unix() - REPLAY_MIN * 60)) % 1440 >= REPLAY_MIN:
                # no daylight-saving end in the last REPLAY_MIN here (a start is none): a saved minute ahead
                # of the wall's is a zone put back by the settings save this reset follows,
                # or a clock set back before it, not minutes shown again (alarms.engine)
                self.engine.clock_set(self.now_s(), mod)
        except Exception as e:
            log.exc(e, "saved alarm state unusable")

    def _on_ann_fault(self, ev):
        self.emit(ev)
        self.condition("device", ev.get("what") or "annunciator", ev.get("active", True))

    def _task_failed(self, name, active):
        try:
            self.condition("device", name, active)
        except Exception as e:
            # the engine itself is broken: sound the device fault directly,
            # loud, rather than fall silent
            log.exc(e, "alarm engine cannot raise %s", name)
            if active:
                self.ann.set({"type": "device", "priority": "high", "status": "sounding",
                              "level": 3, "reason": name})

    async def _annunciator_task(self, checkin):
        """Runs the annunciator and watches that it draws what it is told: a run
        that stops (an await that never returns) is restarted within seconds,
        not left silent until the watchdog resets the board."""
        task = asyncio.create_task(self.ann.run())
        stalls = 0
        try:
            while not task.done():
                checkin()
                await asyncio.sleep(1)
                # twice in a row: after a long blocking call elsewhere (a TLS
                # handshake) this check may simply run before the annunciator
                stalls = stalls + 1 if self.ann.stalled(clock.ms(), _ANN_STALL_MS) else 0
                if stalls >= 2:
                    raise RuntimeError("annunciator stalled")
            await task   # run() ended: its exception is this task's (the supervisor's to count)
        finally:
            self.ann.stop(task)

    def out_of_memory(self, part):
        """A part survived a MemoryError (it retries): see app.memory."""
        self.memory.out_of_memory(part)

    async def _health_task(self, checkin):
        """Memory watch and the end of a reset loop: its `resets` alarm ends after
        HEALTHY_AFTER_S up, its count after LOOP_OVER_S. Before, both ended at
        HEALTHY_AFTER_S, and a box that reset every 40 min never said so (review of
        session 43): now the third reset less than LOOP_OVER_S after the one before
        sounds it, and every one after that until the box has run LOOP_OVER_S."""
        while True:
            checkin()
            self.memory.check()
            if self.pending_starts:
                from app import wiring
                wiring.retry_starts(self, self.memory.alarm)
            # the box's uptime, not this task's: the supervisor restarts a failed health
            # task (a MemoryError in a condition it reports), and counted from its own
            # start a restart in under LOOP_OVER_S kept the count for good
            up = self.now_s() - self._boot_s
            if self.rtc.boots > 1 and up > HEALTHY_AFTER_S and not self._resets_over:
                self.condition("device", "resets", False)
                self._resets_over = True
            if self.rtc.boots > 1 and up > LOOP_OVER_S:
                self.rtc.healthy()
            self._watch_flash()
            if self._flash_failing:
                # the flash may take writes again: told within a round, not at the next
                # regular save (tx_clock.txt's hourly one, without Nightscout: an hour
                # of alarm for a fault over, helper-269). In a pause of the sound: the
                # write holds the board
                await asyncio.sleep_ms(self.ann.pause_in_ms(_FLASH_TRY_MS))
                self._try_flash(1)
                self._watch_flash()
            await asyncio.sleep(HEALTH_S)

    def _watch_flash(self):
        """Flash that refuses writes (worn out, or a full filesystem) loses what
        only flash keeps: unsent Nightscout readings at a reset, the transmitter's
        clock after a power cut, a settings save, the setup key at first boot. The
        alarms run from RTC memory and go on. FLASH_FAILS failed saves in a row
        raise `device` (flash); the next good one clears it."""
        failing = fsutil.failed_writes >= FLASH_FAILS
        if failing != self._flash_failing:
            self._flash_failing = failing
            self.condition("device", "flash", failing)

    def add_task(self, name, fn, period_s, critical=False, restart_on_hang=False):
        # a poison reading fails a task of the alarm path once a transmitter window:
        # three such failures in a row fit app.memory's window, not the supervisor's
        self.sup.add(name, fn, period_s, critical, restart_on_hang,
                     WINDOW_S if name in ALARM_PATH else None)

    def _try_flash(self, tries=FLASH_FAILS):
        """A few bytes saved at each boot, tried FLASH_FAILS times at most: the count of failed
        saves lives in RAM, so a power cut or a reset ended a `device` (flash) alarm, and the
        next two regular saves (tx_clock.txt's hourly refresh, without Nightscout) told it
        again 1-2 h later; a box whose power went more often never did (helper-266). Before
        anything sounds: the write holds the board (45 ms a block on the ESP32). Once a
        health round while the flash alarm is up (_health_task): as big as the largest save
        refused (fsutil.failed_bytes), and removed, since a full flash takes a small one (its
        success ended the alarm within a second of its onset, every second refused save)."""
        path = self.config_path[:self.config_path.rfind("/") + 1] + FLASH_TRY
        size = fsutil.failed_bytes
        # exactly that size: a refused try is kept as a save refused (fsutil.failed_bytes),
        # and one rounded up grew by 256 bytes every health round the flash refused it
        data = (bytes(256),) * (size // 256) + (bytes(size % 256),) if size > 5 else "boot\n"
        row = fsutil.failed_writes
        for _ in range(tries):
            try:
                # one whose removal was refused: its room, and no .bak of it (nor the .bak
                # write_atomic made of one a refused removal left: that kept its room for good)
                fsutil.remove_if_present(path)
                fsutil.remove_if_present(path + fsutil.BAK)
                fsutil.write_atomic(path, data)
            except OSError as e:
                log.warn("flash: a try of the flash failed (%s)", e)
                continue
            if size > 5:
                fsutil.remove_if_present(path)   # (its room is the regular saves')
                fsutil.remove_if_present(path + fsutil.BAK)
                if fsutil.exists(path) or fsutil.exists(path + fsutil.BAK):
                    # its removal refused, the room stays taken: a save refused (the alarm
                    # stays up; the next round's try removes the file first)
                    log.warn("flash: the try's file could not be removed")
                    fsutil.failed_writes, fsutil.failed_bytes = row + 1, size
            return

    async def start(self):
        from sound import selftest
        self._try_flash()
        loudest = self.engine.loudest()
        self.add_task("alarms", self.alarm_task, 4 * TICK_S, critical=True)
        self.add_task("annunciator", self._annunciator_task, 4 * TICK_S, critical=True,
                      restart_on_hang=True)
        self.add_task("health", self._health_task, 2 * HEALTH_S)
        self._add_optional_tasks()
        self.sup.wdt = machine.WDT(timeout=self.wdt_ms)
        sup = asyncio.create_task(self.sup.run())
        await asyncio.sleep_ms(0)
        shown = self.engine.shown()
        if loudest is None and shown is not None:
            self.ann.set(shown)  # an answered alarm restored: its dim colour after the chirp
        selftest.start(self.ann, loudest if loudest and loudest.get("status") == "sounding" else None)
        await sup

    def _add_optional_tasks(self):
        """Link, buttons, forwarding and the LAN API, as configured."""
        from app import wiring
        wiring.add_all(self)


def _hide_secrets(cfg):
    """Mask every configured secret in the log ring and console."""
    for w in cfg.get("wifi") or ():
        log.hide(w.get("password"))
    for section, key in (("nightscout", "api_secret"), ("nightscout", "token"), ("mqtt", "password"),
                         ("lan_api", "api_secret"), ("follow", "api_secret"), ("follow", "token")):
        log.hide((cfg.get(section) or {}).get(key))
    log.hide(cfg.get("admin_password"))


def board_name(config_path, cfg, problems):
    """The board whose wiring to drive: the settings' (on the defaults, config.load
    gives the name kept in its own file, so an M5StickC Plus2 with unreadable
    settings does not drive the DevKitC's pins and stay silent). Readable settings
    keep their board's name there for that day."""
    name = cfg.get("board")
    if name and (config_path + appconfig.ON_DEFAULTS) not in problems:
        try:
            appconfig.keep_board(config_path, name)
        except Exception as e:
            log.exc(e, "could not keep the board's name")
    return name


def load_board(name, dirs=None, config_path=None):
    """(board, wiring): the named board's wiring, wiring None; on any trouble with
    its file (an unknown name, a missing pin, damaged on flash) the copy of it kept
    beside config_path when the box last took it (app.config.keep_board_file), else
    the default wiring: wiring says which. Without the copy an M5StickC Plus2 whose
    own file is refused drove the DevKitC's pins, and its `device` alarm and every
    one after it were silent (review of session 43)."""
    name = name or FALLBACK_BOARD
    args = (dirs,) if dirs else ()
    try:
        data = boards.read(name, *args)
        board = boards.usable(data, name)
    except Exception as e:  # unknown board or a missing pin: sound on the default wiring
        log.exc(e, "board %s", name)
    else:
        if config_path:
            try:
                appconfig.keep_board_file(config_path, name, data)
            except Exception as e:   # (not kept: a later refusal sounds on the default wiring)
                log.exc(e, "could not keep the board file")
        return board, None
    board = _kept_board(config_path, name) if config_path else None
    if board is not None:
        return board, "the wiring of its last good copy (%s)" % appconfig.KEPT_BOARD_FILE
    try:
        return boards.load(FALLBACK_BOARD, *args), FALLBACK_BOARD + "'s wiring"
    except Exception as e:
        # its file damaged or gone too (flash): its wiring from here, as in
        # boards/esp32-devkitc.json; else App() raised and the box sat silent
        log.exc(e, "board %s", FALLBACK_BOARD)
        return boards.validate({"buzzer": {"kind": "pwm", "pin": 25},
                                "led": {"kind": "rgb", "pins": {"red": 26, "green": 27, "blue": 33},
                                        "common": "cathode", "pwm_freq": 1000},
                                "button": {"pin": 32, "pull": "up", "active_low": True}},
                               FALLBACK_BOARD), FALLBACK_BOARD + "'s wiring"


def _kept_board(config_path, name):
    """The board file's copy config.keep_board_file kept for board `name`, validated; or None."""
    try:
        data = appconfig.kept_board_file(config_path, name)
        return None if data is None else boards.usable(data, name)
    except Exception as e:
        log.exc(e, "kept board file")
        return None


def run(config_path=CONFIG_PATH):
    app = None
    try:
        app = App(config_path)
        asyncio.run(app.start())
    except Exception as e:   # (not KeyboardInterrupt: the REPL stays reachable over USB)
        app = None           # its memory back for the fault's sound
        log.exc(e, "the box cannot run")
        cannot_run(config_path)


def cannot_run(config_path=CONFIG_PATH, seconds=CANNOT_RUN_S):
    """The box could not start its alarms (an exception before the watchdog
    runs, e.g. out of memory at boot): it sounds the device fault, high priority,
    on its own board's wiring for `seconds`, then starts again. A fault that
    comes back at every boot is heard at every boot: never a silent stop at the
    REPL, never a silent reset loop."""
    gc.collect()
    try:
        try:
            cfg, problems = appconfig.load(config_path)
            name = board_name(config_path, cfg, problems)
        except Exception:
            name = None
        board = load_board(name, config_path=config_path)[0]
        try:
            from app import power
            power.hold(board)
        except Exception as e:
            log.exc(e, "power hold pin")
        ann = Annunciator(board)
        ann.set({"type": "device", "priority": "high", "status": "sounding",
                 "level": 2, "reason": "boot"})

        async def sound():
            try:
                await asyncio.wait_for(ann.run(), seconds)
            except asyncio.TimeoutError:
                pass
        # a start() that failed after the supervisor began its tasks leaves them in
        # MicroPython's task queue, and asyncio.run would run them beside this: the
        # old annunciator on the same pins (its green light between the red). A new
        # loop drops them (the watchdog, if started, then resets the box sooner)
        asyncio.new_event_loop()
        asyncio.run(sound())
    except Exception as e:
        log.exc(e, "cannot sound the boot fault")
    machine.reset()


if __name__ == "__main__":
    run()
