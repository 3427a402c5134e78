# The alarm engine: conditions in, alarm state and events out. Pure: time is
# always the caller's monotonic seconds (now_s); readings carry their own age.
#
# Rules (see README "Alarms"):
# - each alarm type is independent: snoozing one never hides another
#   (a snoozed high cannot hide a low); a button press acts on the loudest
#   sounding alarm (and the lesser ones of its episode sounding beside it);
#   a long press holds only while things do not get worse: an acknowledged low
#   (high) sounds again when urgent_low or urgent_low_soon (urgent_high) starts;
# - urgent_low cannot be disabled; its snooze is capped (urgent_low_snooze) and
#   acknowledging it is only a capped snooze; it re-raises after the snooze
#   and at once when glucose falls WORSE_MGDL below the value at the snooze;
# - a reading older than stale_minutes never raises or re-raises a glucose
#   alarm; no usable reading for no_data_minutes raises no_data (NO_DATA_GRACE_S
#   later: the reading due at that mark is on its way);
# - hysteresis: a low-side alarm clears only HYST_LOW above its threshold,
#   a high-side one HYST_HIGH below it;
# - a sounding alarm escalates one level every escalate_minutes (1 louder,
#   2 faster, 3 = one priority up), up to MAX_LEVEL;
# - alarms clear by themselves when their condition ends;
# - persistent_high does not start while high or urgent_high tells the excursion
#   (sounding, or snoozed with time left): its count starts again from their last sound;
# - while no_data sounds, it is played over any high-side glucose alarm (whose
#   news is stale); a low-side one keeps its rank;
# - schedules: settings entries by local minute of day (caller supplies it).
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

from alarms import settings as _settings
from alarms.predict import Predictor
from alarms import glucose as _glucose

from alarms.kinds import (  # noqa: F401  (re-exported: persist.py and callers use engine.X)
    PRIORITIES, SOUNDING, SNOOZED, ACKNOWLEDGED, STATUS, LEADER, MAX_LEVEL, WORSE_MGDL, TYPES, BASE_PRIORITY, GLUCOSE, HIGH_SIDE, CONDITIONS, NOTICES,
    NO_GLUCOSE, NO_LINK, CONSEQUENCES, EFFECTS, REASONS, _SNOOZE_KEY, _ACK_IS_SNOOZE, COVERS, _ST, _LV, _SINCE, _REASON, _UNTIL, _ESC, _PRIO, _AUX, EngineError, reason_code,
    FAMILY_DAY, TILL_MORNING, DAY_S)


_SAME_S = 1   # readings this close in time are one reading (they come 5 min apart)
# A wall clock put back (daylight saving time's end: 01:00-02:00 comes twice in New York)
# shows minutes again: the schedules keep the minute reached until the wall is there again,
# so each switch happens once, at the first time the wall shows it (a night from 01:30
# stopped at the change for half an hour, and the day's high sounded in it). A clock set
# back (clock_set: main.App on clock.on_step) was wrong and applies at once, as does a step
# back of more than REPLAY_MIN minutes (Antarctica's Troll moves its clocks by 2 h)
REPLAY_MIN = 120
_LOW_SIDE = ("urgent_low", "urgent_low_soon", "low")
# raised on a prediction and held on a narrower band, so they clear and come back as a fall
# levels off: one that clears while snoozed comes back snoozed to the same end
_HELD = ("urgent_low_soon", "low")
# A low-side alarm that clears while sounding unanswered and one of the low side that
# starts within PAUSE_S (the same warning back as its prediction wavers, or an urgent low
# that hands over to a low) is the same episode nobody answered: the new one sounds at the
# level reached, not afresh at level 0, quieter and slower (as _carry after an outage).
# Kept through a reset (alarms.persist, PAUSED).
PAUSE_S = 600
# A reading is dated when the transmitter measured it and reaches the engine a
# session later (seconds; a retry within its window, more). no_data_minutes is a
# whole number of 5-min windows, so without a grace the reading due at the mark
# lost the race to the tick: no_data started a burst and cleared a second later.
# A source with more lag sets its own (AlarmEngine.no_data_grace_s: a follower box
# polls its leader every poll_s).
NO_DATA_GRACE_S = 60
# A new sensor's warm-up (2 h on a G5, G6 or ONE) gives no glucose, nor does a sensor
# that expired, failed or was stopped until the next is started: no_data comes 20 min
# in, and a long press on it, only its 15-min snooze, had to be made every 15 min of a
# night's warm-up, or of a whole night after a sensor's end (the box unplugged for
# quiet). While the `sensor` alarm says why (kinds.NO_GLUCOSE), the two are one
# episode: a press on either answers both, and a long one holds no_data until that
# reason ends, SENSOR_HOLD_S at most (a warm-up's length; a night without a CGM is
# checked by finger stick about that often), then it sounds again if there is still
# no glucose; a no_data that starts after the sensor alarm was answered is held as
# that answer. The reason's end leaves no_data SENSOR_END_S for the first reading.
# The link alarm that says why (kinds.NO_LINK: the transmitter not heard, 15 min in) comes
# 6 min before no_data: a family that answered it was woken again by no_data for the same
# outage. A no_data that starts after that alarm was answered is held as that answer, but
# no_data_snooze at most (no_data's own snooze: the outage is never silent longer than a
# press on no_data itself would make it); a press on either, sounding beside the other,
# answers both to the same end. After the hold no_data sounds as ever.
SENSOR_HOLD_S = 7200
SENSOR_END_S = 60


def _effect(reason, reasons):
    """True while one of reasons is the cause reason follows from (kinds.EFFECTS)."""
    for cause in EFFECTS.get(reason, ()):
        if cause in reasons:
            return True
    return False


class AlarmEngine:
    def __init__(self, settings):
        self.settings = settings
        self.no_data_grace_s = NO_DATA_GRACE_S
        self._alarms = {}          # type -> record list
        self._pred = Predictor()
        self._now = None
        self._last_t = None        # time (engine seconds) of the newest reading judged
        self._last_sgv = None
        self._fresh_t = None       # time of the newest reading fresh enough to judge: no_data counts from it
        self._data_since = None    # no_data counts from here when there was never a fresh reading
        self._above_since = None   # persistent high: since when above
        self._judged_by = None     # (low, high, urgent_high) in force at the last judged reading
        self._held = {}            # kind -> the snooze end of a predicted low-side alarm that cleared under it
        self._pause = None         # (until, level) of a low-side alarm that cleared unanswered
        self._mod = None           # (minute_of_day, at now_s)
        self._reached = None       # the schedules' minute while the wall clock replays minutes (REPLAY_MIN)
        self._recent = []          # (t, sgv) of the readings of the last 15 min (fall/rise)
        self._rate_before = 0.0    # the filter's rate before the newest reading (was it falling?)
        self._unsent = []          # events of an on_reading that ran out of memory
        self._rejudge = False      # backfill reached the predictor behind the newest reading
        self._ended = 0            # the level of the unanswered no_data the newest reading ended
        self._owed = None          # (reading time, level, quiet kinds) of a judging that ran out of memory
        self._carried = {}         # device/forwarding alarms of before a reset (alarms.persist)
        self._blind_until = None   # end of a hold to the morning pressed without a time of day

    # ---- time and settings -------------------------------------------------
    def _clock(self, now_s, minute_of_day):
        if self._data_since is None:
            self._data_since = now_s
        self._now = now_s
        if minute_of_day is not None:
            reached = self._schedule_minute(now_s)
            self._mod = (minute_of_day, now_s)
            back = None if reached is None else (reached - minute_of_day) % 1440
            self._reached = reached if back and back <= REPLAY_MIN else None

    def clock_set(self, now_s, minute_of_day, shown_again=True):
        """The wall clock was set (a step, not a daylight-saving change): its minute of day
        is the time, not minutes shown again. A replay under way (REPLAY_MIN) goes on while
        the wall still shows minutes again (shown_again: main.App, by the tz rule); a clock
        put back before the change ends it (01:20 EST set back 2 h is 00:20 EDT: the day's
        thresholds held until the wall came back to 02:00 EDT, in a night to 01:30).
        One without a time of day yet takes it at its next round."""
        if minute_of_day is not None and self._mod is not None:
            self._mod = (minute_of_day, now_s)
            if not shown_again:
                self._reached = None

    def replaying(self, now_s, minute_of_day, reached):
        """A first time of day (no minute kept: a power cut) among minutes the wall clock
        shows again (main.App, by the tz rule): the schedules hold `reached`, the minute
        before the clocks went back, as through a change this engine saw."""
        if self._mod is None and minute_of_day is not None and reached is not None:
            self._mod, self._reached = (minute_of_day, now_s), reached
            if self._now is None:   # before the first round: current_settings() is of now_s
                self._now = now_s

    def minute_of_day(self, now_s):
        if self._mod is None:
            return None
        return int(self._mod[0] + (now_s - self._mod[1]) // 60) % 1440

    def _schedule_minute(self, now_s):
        """The minute of day the schedules apply: the wall clock's, or the one it had
        reached while it shows again minutes it already passed (REPLAY_MIN)."""
        mod, reached = self.minute_of_day(now_s), self._reached
        if mod is not None and reached is not None and 0 < (reached - mod) % 1440 <= REPLAY_MIN:
            return reached
        return mod

    def current_settings(self, now_s=None):
        return _settings.effective(self.settings, self._schedule_minute(self._now if now_s is None else now_s))

    # ---- alarm records -----------------------------------------------------
    def _event(self, name, kind, rec, sgv=None):
        e = {"event": name, "type": kind, "priority": PRIORITIES[rec[_PRIO]], "level": rec[_LV],
             "reason": rec[_REASON]}
        if kind in GLUCOSE:
            e["sgv"] = sgv if sgv is not None else self._last_sgv
        return e

    def _raise(self, kind, reason, now_s, events, prio=None, was=None):
        """was: (level, priority, since, escalation time) of the same alarm before a reset."""
        rec = self._alarms.get(kind)
        if rec is None:
            p = BASE_PRIORITY[kind] if prio is None else prio
            rec = [SOUNDING, 0, now_s, reason, None, now_s + self._esc_s(), p, None]
            pause = self._pause
            if was is None and pause is not None and kind in _LOW_SIDE:
                self._pause = None
                if now_s <= pause[0]:
                    was = (pause[1], p + 1 if pause[1] == MAX_LEVEL and p < 2 else p, now_s, rec[_ESC])
            if was is not None:
                rec[_LV], rec[_PRIO], rec[_SINCE], rec[_ESC] = was
            self._alarms[kind] = rec
            events.append(self._event("alarm_onset", kind, rec))
            until = self._held.pop(kind, None)
            if until is not None and now_s < until:
                # the warning the family answered minutes ago, back after a reading that
                # cleared it (its prediction wavers as a fall levels off): the answer holds
                # to its end (the urgent low itself always sounds)
                self._snooze(kind, until, events)
            for lesser in COVERS.get(kind, ()):
                # an acknowledgement holds while things do not get worse: a low long-pressed
                # earlier sounds again beside the urgent low, so a press answers both and
                # it re-sounds at that snooze's end (else glucose kept in urgent_low's
                # hysteresis, 55-64, was silent after one snooze for as long as it stayed).
                # Under an urgent low a snooze given before it is over too: one nobody
                # answered handed over to a low still snoozed, silent under 70
                low = self._alarms.get(lesser)
                if low is not None and (low[_ST] == ACKNOWLEDGED or
                                        kind == "urgent_low" and low[_ST] == SNOOZED):
                    self._resound(lesser, low, now_s, events)
                if kind == "urgent_low":
                    self._held.pop(lesser, None)
        return rec

    def _was(self, kind, name, now_s):
        """A device or forwarding alarm sounding before a reset, raised again for one
        of its reasons within CARRY_S of the restore (alarms.persist): its level,
        priority, onset and escalation step, so a reset loop does not hold it at
        level 0."""
        c = self._carried.get(kind)
        if c is None or now_s > c[0] or reason_code(name) not in c[1] or name in NOTICES:
            return None
        return list(c[2:])

    def _resound(self, kind, rec, now_s, events):
        rec[_ST], rec[_LV], rec[_UNTIL], rec[_AUX] = SOUNDING, 0, None, None
        rec[_PRIO] = BASE_PRIORITY[kind] if rec[_REASON] not in NOTICES else 0
        rec[_ESC] = now_s + self._esc_s()
        e = self._event("alarm_onset", kind, rec)
        e["reraise"] = True
        events.append(e)

    def _clear(self, kind, events):
        rec = self._alarms.pop(kind, None)
        if kind in _HELD and rec is not None:
            if rec[_ST] == SNOOZED:
                self._held[kind] = rec[_UNTIL]
            else:
                self._held.pop(kind, None)
        if kind in _LOW_SIDE and rec is not None and rec[_ST] == SOUNDING and rec[_LV] \
                and self._now is not None:
            pause = self._pause   # (two clearing on one reading: the louder)
            level = rec[_LV] if pause is None or pause[0] < self._now else max(rec[_LV], pause[1])
            self._pause = (self._now + PAUSE_S, level)
        if rec is not None:
            events.append(self._event("alarm_clear", kind, rec))

    def _esc_s(self):
        return self.settings["escalate_minutes"] * 60

    # ---- readings ----------------------------------------------------------
    def on_reading(self, reading, now_s, age_s=0, minute_of_day=None):
        """Feed one reading; age_s = how old it already is at now_s (backfill)."""
        # a try that ran out of memory half way left its events in _unsent: the
        # caller's retry delivers them (the alarms they announce are raised)
        events = self._unsent
        self._judge(reading, now_s, age_s, minute_of_day, events)
        events += self.tick(now_s)
        self._unsent = []
        return events

    def _judge(self, reading, now_s, age_s, minute_of_day, events):
        self._clock(now_s, minute_of_day)
        sgv = reading[2]
        if sgv is None:
            return
        t_read = now_s - age_s
        p_t = self._pred.t_s
        if p_t is not None and p_t != t_read and -_SAME_S < t_read - p_t < _SAME_S:
            # the reading the predictor took last, retried: the caller gives its
            # first time as now - (now - t), which floats do not always round back to t
            t_read = p_t
        if self._last_t is not None and t_read <= self._last_t:
            # older than what we have: history only (rejudge() gives its news)
            if self._pred.update(t_read, sgv):
                self._rejudge = True
            if self._into_window(t_read, sgv):
                self._rejudge = True
            return
        # The reading is committed (_last_t) only once it is judged: the caller
        # retries a reading whose handling ran out of memory, and the retry must
        # judge it, not skip it as seen. The predictor takes it whole or not at
        # all (Predictor.update), so a retry does not feed it twice.
        if self._pred.t_s != t_read:
            self._rate_before = self._pred.rate() if self._pred.ready() else 0.0
            self._pred.update(t_read, sgv)
        self._last_sgv = sgv
        recent = self._recent
        if not recent or recent[-1][0] != t_read:
            recent.append((t_read, sgv))
        self._trim_window()
        if age_s <= self.settings["stale_minutes"] * 60:
            # only a usable reading counts as data: a stream of stale ones (a
            # follower's lagging source) raises no glucose alarm, so it must not
            # hold no_data off either
            self._fresh_t = t_read
            nd = self._alarms.get("no_data")
            unanswered = nd[_LV] if nd is not None and nd[_ST] == SOUNDING else 0
            quiet = [k for k in _LOW_SIDE if not self._sounding(k)] if unanswered else ()
            unanswered, quiet = self._owed_carry(t_read, unanswered, quiet)
            if now_s - t_read < self.settings["no_data_minutes"] * 60:
                # (a reading exactly no_data_minutes old, settings at their bounds:
                # clearing it here let the tick start it again at level 0)
                self._clear("no_data", events)
            self._evaluate_glucose(sgv, t_read, now_s, events)
            if "no_data" not in self._alarms:
                self._carry(unanswered, [k for k in quiet if self._sounding(k)], now_s, events)
            self._ended = unanswered if "no_data" not in self._alarms else 0
            self._owed = None
        self._last_t = t_read

    def _trim_window(self):
        recent = self._recent
        while len(recent) > _glucose.RATE_MAX_READINGS or \
                recent[-1][0] - recent[0][0] > _glucose.RATE_SPAN_S + _glucose.RATE_SLACK_S:
            recent.pop(0)

    def _into_window(self, t_read, sgv):
        """A gap's backfill reading within the fall/rise window of the newest: put in its
        place (the live reading after a 15-min gap had no rate alone). True when taken."""
        recent = self._recent
        if not recent or t_read < recent[-1][0] - _glucose.RATE_SPAN_S - _glucose.RATE_SLACK_S:
            return False
        i = len(recent)
        while i > 0 and recent[i - 1][0] > t_read:
            i -= 1
        if i > 0 and recent[i - 1][0] == t_read:
            return False   # (had it)
        recent.insert(i, (t_read, sgv))
        self._trim_window()
        return True

    def rejudge(self, now_s, minute_of_day=None):
        """After a gap the link gives the live reading first, then the gap's backfill,
        which reaches the predictor behind it (_judge): the newest reading judged again
        with that history, once the caller has fed a batch. The warning the gap's
        readings give comes now, not with the next reading 5 min later (a reading after
        a 35-min gap restarts the filter: alone, it predicts nothing). Only a fresh
        newest reading raises anything."""
        if not self._rejudge:
            return []
        # a try that ran out of memory half way left its events in _unsent: the caller's
        # retry (the flag still set) delivers them, as on_reading's
        events = self._unsent
        self._clock(now_s, minute_of_day)
        if self.has_fresh_reading(now_s):
            # a warning it starts ends the outage that reading ended: at the level
            # nobody answered (_carry), as one the reading started alone
            quiet = [k for k in _LOW_SIDE if not self._sounding(k)] if self._ended else ()
            level, quiet = self._owed_carry(self._last_t, self._ended, quiet)
            self._evaluate_glucose(self._last_sgv, self._last_t, now_s, events)
            self._carry(level, [k for k in quiet if self._sounding(k)], now_s, events)
            self._owed = None
        self._rejudge = False
        self._unsent = []
        return events

    def _sounding(self, kind):
        rec = self._alarms.get(kind)
        return rec is not None and rec[_ST] == SOUNDING

    def _owed_carry(self, t_read, level, quiet):
        """(level, quiet kinds) for the carry of judging the reading of t_read: as the try
        that ran out of memory half way found them, when this is its retry (that try cleared
        no_data and raised the alarm it starts: the retry saw neither, and the alarm stayed
        at level 0 after an outage nobody answered)."""
        owed = self._owed
        if owed is not None and owed[0] == t_read:
            return owed[1], owed[2]
        self._owed = (t_read, level, quiet)
        return level, quiet

    def _carry(self, level, kinds, now_s, events):
        """An unanswered no_data, escalated to `level`, ended by a reading that starts a
        low-side alarm: that alarm sounds at the level reached, not as a fresh, quieter
        and slower sound (a high one at level 0 plays at duty 30 every 10 s, escalated at
        50 every 6 s): nobody has answered the box for that long (review of session 43)."""
        for kind in kinds:
            rec = self._alarms[kind]
            if rec[_LV] < level:
                rec[_LV], rec[_ESC] = level, now_s + self._esc_s()
                if level == MAX_LEVEL and rec[_PRIO] < 2:
                    rec[_PRIO] += 1
                events.append(self._event("alarm_escalate", kind, rec))

    def _glucose_conditions(self, sgv, t_read, s):
        return _glucose.conditions(self, sgv, t_read, s)

    def _evaluate_glucose(self, sgv, t_read, now_s, events):
        _glucose.evaluate(self, sgv, t_read, now_s, events)

    # ---- conditions --------------------------------------------------------
    def set_condition(self, kind, name, active, now_s, minute_of_day=None):
        if kind not in CONDITIONS:
            raise EngineError("unknown condition kind %r (allowed: %s)" % (kind, ", ".join(CONDITIONS)))
        self._clock(now_s, minute_of_day)
        events = []
        if kind == "forwarding" and not self.settings["forwarding"]:
            return events
        rec = self._alarms.get(kind)
        if active:
            if rec is None:
                rec = self._raise(kind, name, now_s, events, 0 if name in NOTICES else None,
                                  self._was(kind, name, now_s))
                rec[_AUX] = [name]
            elif name not in rec[_AUX]:
                rec[_AUX].append(name)
                if name not in NOTICES and name not in CONSEQUENCES:   # a new problem sounds again
                    # (an effect of a reason it has, kinds.EFFECTS, under the cause's name:
                    # the outage it tells of is news, an answer to its cause held no_data)
                    told = rec[_REASON]
                    effect = _effect(name, rec[_AUX])
                    if not effect:
                        rec[_REASON] = name
                    was = self._was(kind, name, now_s)
                    if was is None and rec[_ST] == SOUNDING and told not in NOTICES:
                        # sounding, unanswered, for a problem: it keeps its level and goes on
                        # escalating (restarted at 0, an alarm nobody answered got quieter, and
                        # one whose reasons came faster than escalate_minutes never rose)
                        if not effect:
                            events.append(self._event("alarm_update", kind, rec))
                    elif was is None:
                        reasons = rec[_AUX]
                        self._resound(kind, rec, now_s, events)
                        rec[_AUX] = reasons
                    else:   # one it had before a reset: it names the alarm, and is no news
                        # (raised first for another reason: the older escalation wins a tie)
                        if rec[_ST] == SOUNDING and was[0] >= rec[_LV]:
                            rec[_LV], rec[_PRIO], rec[_SINCE], rec[_ESC] = was
                        events.append(self._event("alarm_update", kind, rec))
        elif rec is not None and name in rec[_AUX]:
            rec[_AUX].remove(name)
            nd = self._alarms.get("no_data")
            if name in NO_GLUCOSE and self._sensor_says_why() is None and nd is not None and \
                    nd[_ST] == SNOOZED and nd[_UNTIL] > now_s + SENSOR_END_S:
                nd[_UNTIL] = now_s + SENSOR_END_S   # the sensor's hold ends with its reason
            if not rec[_AUX]:
                self._clear(kind, events)
                return events + self.tick(now_s)
            was = (rec[_REASON], rec[_PRIO])
            problem = None
            for r in rec[_AUX]:
                if r not in NOTICES and not _effect(r, rec[_AUX]):
                    problem = r
            if problem is not None:      # the newest problem left (not an effect) names the alarm
                rec[_REASON] = problem
            else:
                if rec[_REASON] not in NOTICES:
                    # only a notice is left: the alarm is that notice from now (low, no
                    # escalation, notice_minutes from here), not an escalated problem that
                    # the notice's clock, counted from the problem's onset, cleared at once
                    rec[_PRIO], rec[_LV], rec[_SINCE] = 0, 0, now_s
                rec[_REASON] = rec[_AUX][-1]
            if (rec[_REASON], rec[_PRIO]) != was:
                # the alarm stands for another reason, or only a notice is left: said at
                # once (the sound steps down now, not at the next save; the log and
                # MQTT's alarm_unanswered follow), as an onset would be
                events.append(self._event("alarm_update", kind, rec))
        return events + self.tick(now_s)

    # ---- the clock ---------------------------------------------------------
    def tick(self, now_s, minute_of_day=None):
        self._clock(now_s, minute_of_day)
        s = self.settings
        events = []
        since = self._fresh_t if self._fresh_t is not None else self._data_since
        if now_s - since >= s["no_data_minutes"] * 60 + self.no_data_grace_s and "no_data" not in self._alarms:
            self._raise("no_data", "", now_s, events)
            why, hold = self._sensor_says_why(), SENSOR_HOLD_S
            if why is None:   # (an answered link: no_data's own snooze at most)
                why, hold = self._link_says_why(), self.current_settings(now_s)["no_data_snooze"] * 60
            if why is not None and why[_ST] != SOUNDING:   # answered: the episode's answer holds
                until = now_s + hold
                if why[_ST] == SNOOZED:   # (a condition's snooze may be longer than the hold)
                    until = min(until, why[_UNTIL])
                if until > now_s:         # (a snooze ending now: no_data sounds with it)
                    self._snooze("no_data", until, events)
        fresh = self.has_fresh_reading(now_s)
        handover = False
        for kind in list(self._alarms):
            rec = self._alarms[kind]
            if rec[_ST] == SNOOZED and kind in TILL_MORNING:
                self._keep_to_morning(kind, rec, now_s, events)
            if rec[_ST] == SOUNDING:
                if rec[_REASON] in NOTICES:   # a notice does not escalate; it clears by itself
                    if now_s - rec[_SINCE] >= s["notice_minutes"] * 60:
                        self._clear(kind, events)
                    continue
                if kind in TILL_MORNING:
                    # told at night (set_condition's own tick), not answered by the family's
                    # evening, given a new reason in the night, or restored sounding by a
                    # reset: it waits for the morning (unanswered, it rose to medium and
                    # sounded all night)
                    self._wait_for_morning(kind, now_s, events)
                    if rec[_ST] != SOUNDING:
                        continue
                if kind in HIGH_SIDE and self._outage():
                    # played under no_data, so nobody is failing to answer it: it
                    # does not escalate (else it came back at full level with the data)
                    rec[_ESC] = max(rec[_ESC], now_s + self._esc_s())
                    continue
                if rec[_LV] < MAX_LEVEL and now_s >= rec[_ESC]:
                    rec[_LV] += 1
                    rec[_ESC] = now_s + self._esc_s()
                    if rec[_LV] == MAX_LEVEL and rec[_PRIO] < 2:
                        rec[_PRIO] += 1
                    events.append(self._event("alarm_escalate", kind, rec))
            elif rec[_ST] != SOUNDING and rec[_REASON] in NOTICES and \
                    now_s - rec[_SINCE] >= s["notice_minutes"] * 60:
                # a problem snoozed or acknowledged, then only a notice left (set_condition):
                # its time ran out under the answer; it clears, not sounds again for one
                # tick (acknowledged, it stayed for good)
                self._clear(kind, events)
            elif rec[_ST] == SNOOZED and now_s >= rec[_UNTIL]:
                if kind in GLUCOSE:
                    # re-raise only from a fresh reading that still meets the condition
                    if fresh:
                        c = self._still_raising(kind, now_s)
                        if c == 2:
                            self._resound(kind, rec, now_s, events)
                        elif c == 0:
                            handover = True  # answered low-side alarm gives way to a lower one
                else:
                    reasons = rec[_AUX]
                    self._resound(kind, rec, now_s, events)
                    rec[_AUX] = reasons
        if handover:
            # at the snooze's end, not a reading later: the last (fresh) reading
            # is judged again, which clears the answered alarm and starts the lower one
            self._evaluate_glucose(self._last_sgv, self._last_t, now_s, events)
        return events

    def _still_raising(self, kind, now_s):
        """The condition (0, 1, 2) of a glucose alarm on the last reading."""
        s = self.current_settings(now_s)
        conds = self._glucose_conditions(self._last_sgv, self._last_t, s)
        return conds.get(kind, 0)

    # ---- buttons -----------------------------------------------------------
    def _outage(self):
        """no_data is sounding: high-side glucose alarms are stale news."""
        nd = self._alarms.get("no_data")
        return nd is not None and nd[_ST] == SOUNDING

    def _says_why(self, kind, reasons):
        rec = self._alarms.get(kind)
        if rec is not None:
            for r in rec[_AUX]:
                if r in reasons:
                    return rec
        return None

    def _sensor_says_why(self):
        """The sensor alarm's record while one of its reasons says why no glucose
        comes (kinds.NO_GLUCOSE), else None."""
        return self._says_why("sensor", NO_GLUCOSE)

    def _link_says_why(self):
        """The link alarm's record while one of its reasons says why no glucose
        comes (kinds.NO_LINK), else None."""
        return self._says_why("link", NO_LINK)

    def _target(self, skip=()):
        best, best_key = None, None
        outage = self._outage()
        for kind in self._alarms:
            rec = self._alarms[kind]
            if rec[_ST] != SOUNDING or kind in skip:
                continue
            if outage and kind in HIGH_SIDE:  # the family must hear that data stopped
                key = (-1, 0, 0, -TYPES.index(kind))
            elif kind in CONDITIONS:
                # a technical fault raised a priority by going unanswered keeps its
                # base rank against glucose alarms (an escalated Nightscout
                # fault played and showed over a new low, whose press then snoozed the
                # fault); its priority still carries over to the sound (loudest)
                # (a notice is priority 0 whatever its kind's base)
                key = (min(BASE_PRIORITY[kind], rec[_PRIO]), 0, rec[_PRIO], -TYPES.index(kind))
            else:
                key = (rec[_PRIO], 1, rec[_PRIO], -TYPES.index(kind))
            if best_key is None or key > best_key:
                best, best_key = kind, key
        return best

    def _snooze_minutes(self, kind, s):
        key = _SNOOZE_KEY.get(kind)
        return s[key] if key else s["condition_snooze"]

    def snooze(self, now_s, skip=()):
        """Short press: snooze the loudest sounding alarm for its snooze time (the
        loudest not in skip, the one heard, when there is one: loudest(skip))."""
        self._clock(now_s, None)
        self._ended, self._owed, self._pause = 0, None, None   # someone is at the box
        events = []
        kind = self._target(skip) or self._target()
        if kind is None:
            return events
        rec = self._alarms[kind]
        if rec[_REASON] in NOTICES:
            self._clear(kind, events)
            return events
        s = self.current_settings(now_s)
        self._snooze(kind, self._snooze_end(kind, now_s, s), events)
        self._cover(kind, rec[_UNTIL], events)
        return events

    def _snooze_end(self, kind, now_s, s):
        wait = self._snooze_minutes(kind, s) * 60
        if kind in TILL_MORNING:
            # the next start of the family's day at least that snooze away; without a time
            # of day, a day: it sounds again at the hour it was answered, not hourly
            mod = self.minute_of_day(now_s)
            if mod is None:
                self._blind_until = now_s + DAY_S   # (timed again once the clock comes)
                return self._blind_until
            till = (FAMILY_DAY[0] - mod) % 1440 * 60
            wait = till if till >= wait else till + DAY_S
        return now_s + wait

    def _wait_for_morning(self, kind, now_s, events):
        """News that is no danger (a transmitter's battery: days to weeks left) raised at
        night waits for the family's day (FAMILY_DAY), shown dim and silent until then,
        as if answered; a box without a time of day tells it at once."""
        mod = self.minute_of_day(now_s)
        if mod is not None and not FAMILY_DAY[0] <= mod < FAMILY_DAY[1]:
            self._snooze(kind, now_s + (FAMILY_DAY[0] - mod) % 1440 * 60, events)

    def _keep_to_morning(self, kind, rec, now_s, events):
        """A hold to the morning is counted in seconds: a daylight-saving change or a clock
        set in the night moves the wall clock under it (it ended at 07:00 or 09:00). Moved
        to the family's morning nearest its end (jitter of a minute between the wall clock
        and the engine's seconds left alone). One ending hours from any morning: the clock
        stepped far, and it waits from now as news told now would (a clock put 6 h on at night
        into the day held it to the next day's morning): in the family's day it sounds now."""
        mod = self.minute_of_day(rec[_UNTIL])
        off = None if mod is None else (FAMILY_DAY[0] - mod + 720) % 1440 - 720
        if off is not None and rec[_UNTIL] == self._blind_until:
            # pressed without a time of day (held a day): timed again as a press made now
            self._snooze(kind, self._snooze_end(kind, now_s, self.current_settings(now_s)), events)
        elif off is not None and not -30 < off < 30:
            if -180 <= off <= 180:
                self._snooze(kind, rec[_UNTIL] + off * 60, events)
            else:   # as news told now: in the family's day the round's own check sounds it
                rec[_UNTIL] = now_s
                self._wait_for_morning(kind, now_s, events)

    def _snooze(self, kind, until, events):
        rec = self._alarms[kind]
        rec[_ST], rec[_UNTIL] = SNOOZED, until
        if kind in GLUCOSE:
            rec[_AUX] = self._last_sgv
        e = self._event("alarm_snooze", kind, rec)
        e["until_s"] = until
        events.append(e)

    def _cover(self, kind, until, events):
        """Answer the lesser alarms of the answered one's episode (kinds.COVERS)
        that sound beside it as it was answered, or are snoozed to an earlier end:
        snoozed until `until`, or acknowledged with it (None): a press is for the
        episode. no_data and a sensor alarm that says why are one episode too
        (SENSOR_HOLD_S), and no_data and a link alarm that says why, no_data's
        snooze at most."""
        why = self._sensor_says_why() if kind in ("sensor", "no_data") else None
        if why is not None and kind == "sensor":
            # (the target only while no_data does not sound: snoozed short, it is held too)
            nd = self._alarms.get("no_data")
            hold = self._now + SENSOR_HOLD_S if until is None else min(until, self._now + SENSOR_HOLD_S)
            if nd is not None and (nd[_ST] == SOUNDING or nd[_ST] == SNOOZED and nd[_UNTIL] < hold):
                self._snooze("no_data", hold, events)
        elif why is not None and why[_ST] == SOUNDING:   # (a long press: acknowledge() did it)
            self._snooze("sensor", until, events)
        link = self._link_says_why() if kind in ("link", "no_data") else None
        if link is not None and kind == "link":
            nd = self._alarms.get("no_data")
            hold = self._now + self.current_settings()["no_data_snooze"] * 60
            if until is not None:
                hold = min(until, hold)
            if nd is not None and (nd[_ST] == SOUNDING or nd[_ST] == SNOOZED and nd[_UNTIL] < hold):
                self._snooze("no_data", hold, events)
        elif link is not None and link[_ST] == SOUNDING:   # (no_data's answer: always a snooze)
            self._snooze("link", until, events)
        for lesser in COVERS.get(kind, ()):
            rec = self._alarms.get(lesser)
            # one snoozed earlier, to an end before this answer's, is answered as it too: it
            # sounded in the middle of the higher one's snooze (a high snoozed at midnight
            # woke the family at 02:38, 23 min after they answered the urgent high). Under an
            # urgent low, one snoozed to a later end ends with it too: the urgent low's end is
            # the episode's next word (urgent_low_soon answered for 30 min kept the low from
            # taking over at 55-64 when the urgent low's 15 min ended: silent 10 min more)
            if rec is not None and (rec[_ST] == SOUNDING or rec[_ST] == SNOOZED and (
                    until is None or rec[_UNTIL] < until or kind == "urgent_low" and rec[_UNTIL] != until)):
                if until is None:
                    rec[_ST], rec[_UNTIL] = ACKNOWLEDGED, None
                    events.append(self._event("alarm_ack", lesser, rec))
                else:
                    self._snooze(lesser, until, events)

    def acknowledge(self, now_s, skip=()):
        """Long press: silence the loudest sounding alarm until it clears
        (urgent_low, urgent_low_soon and no_data: only a capped snooze); skip as
        for snooze()."""
        self._clock(now_s, None)
        self._ended, self._owed, self._pause = 0, None, None
        kind = self._target(skip) or self._target()
        if kind is None:
            return []
        rec = self._alarms[kind]
        if kind in _ACK_IS_SNOOZE:
            why = self._sensor_says_why() if kind == "no_data" else None
            also = []
            if why is not None and why[_ST] == SOUNDING:   # the episode: the sensor alarm says why
                why[_ST] = ACKNOWLEDGED
                also.append(self._event("alarm_ack", "sensor", why))
            events = self.snooze(now_s, skip)
            if why is not None:
                rec[_UNTIL] = events[0]["until_s"] = now_s + SENSOR_HOLD_S
            events[0]["event"] = "alarm_ack"
            return events + also
        events = []
        if rec[_REASON] in NOTICES:
            self._clear(kind, events)
            return events
        rec[_ST] = ACKNOWLEDGED
        events.append(self._event("alarm_ack", kind, rec))
        self._cover(kind, None, events)
        return events

    def unanswer(self, kinds, now_s):
        """Take back a press that was no person's (a button found stuck under a
        book): the alarms it answered, if still answered, sound again as they
        were (level, escalation time). A press answers sounding alarms only, so
        sounding is what they were; a notice it cleared stays cleared."""
        self._clock(now_s, None)
        events = []
        if "sensor" in kinds and "no_data" not in kinds and self._sensor_says_why() is not None:
            kinds = list(kinds) + ["no_data"]   # its hold was that press's too (held from its start)
        elif "link" in kinds and "no_data" not in kinds and self._link_says_why() is not None:
            kinds = list(kinds) + ["no_data"]   # (alike)
        for kind in kinds:
            rec = self._alarms.get(kind)
            if rec is None or rec[_ST] == SOUNDING:
                continue
            rec[_ST], rec[_UNTIL] = SOUNDING, None   # (a snooze's _AUX mark is read only while snoozed)
            e = self._event("alarm_onset", kind, rec)
            e["reraise"] = True
            events.append(e)
        return events

    # ---- views -------------------------------------------------------------
    def is_active(self, kind):
        return kind in self._alarms

    def has_reason(self, kind, name):
        """A condition alarm active for `name` among its reasons (one restored from RTC
        memory too)."""
        rec = self._alarms.get(kind)
        return rec is not None and kind in CONDITIONS and name in rec[_AUX]

    def active(self):
        out = []
        for kind in TYPES:
            rec = self._alarms.get(kind)
            if rec is not None:
                out.append({"type": kind, "priority": PRIORITIES[rec[_PRIO]], "status": STATUS[rec[_ST]],
                            "level": rec[_LV], "since_s": rec[_SINCE], "reason": rec[_REASON]})
        return out

    def reasons(self, kind):
        """Every reason the condition alarm `kind` stands for now (active() gives the one
        naming it), oldest first, or (): the status page says each forwarder failing."""
        rec = self._alarms.get(kind)
        return tuple(rec[_AUX]) if kind in CONDITIONS and rec is not None and rec[_AUX] else ()

    def has_fresh_reading(self, now_s):
        """True while the newest reading judged is fresh enough to raise a glucose
        alarm (stale_minutes): the light's "all well" needs it, else it says no data."""
        return self._last_t is not None and now_s - self._last_t <= self.settings["stale_minutes"] * 60

    def last_glucose(self):
        """(mg/dL, time on the engine's clock) of the newest reading judged, or (None,
        None); restored from a save too, so a box reset under an alarm can show the
        value it sounds for before the next reading comes."""
        return self._last_sgv, self._last_t

    def loudest(self, skip=()):
        """The sounding alarm the board plays (its type and reason) at the loudest
        level of all sounding, or None. skip: kinds a follower box plays silently,
        as its leader sounds them (alarms.gate): left out as if answered."""
        kind = self._target(skip)
        if kind is None:
            return None
        rec = self._alarms[kind]
        s = self.current_settings()
        # played at the highest level of the sounding alarms: when an urgent low
        # starts over a low nobody answered (escalated), the box must not fall
        # back to a fresh, quieter and slower sound as glucose gets worse.
        # High-side alarms under no_data lend it nothing (they do not escalate then)
        level, prio = rec[_LV], rec[_PRIO]
        outage = self._outage()
        for k in self._alarms:
            r = self._alarms[k]
            if r[_ST] == SOUNDING and not (outage and k in HIGH_SIDE) and k not in skip:
                level = max(level, r[_LV])
                prio = max(prio, r[_PRIO])   # (an escalated fault under a glucose alarm)
        return {"type": kind, "priority": PRIORITIES[prio], "status": "sounding",
                "level": level, "escalated": rec[_LV] >= MAX_LEVEL,
                "since_s": rec[_SINCE], "reason": rec[_REASON],
                "volume": s["volume"]}

    def shown(self, skip=()):
        """What the board plays: the loudest sounding alarm; else the most urgent
        answered one (snoozed or acknowledged), or one of `skip` (status
        LEADER: a follower's leader sounds it), which the light shows in its
        colour, dim and silent (a snoozed urgent low must not look like all is
        well); else None."""
        alarm = self.loudest(skip)
        if alarm is not None:
            return self._with_cause(alarm)
        best = None
        for kind in TYPES:  # most urgent type first: it wins a tie
            rec = self._alarms.get(kind)
            if rec is not None and (best is None or rec[_PRIO] > best[1][_PRIO]):
                best = (kind, rec)
        if best is None:
            return None
        kind, rec = best
        return self._with_cause({"type": kind, "priority": PRIORITIES[rec[_PRIO]],
                                 "status": LEADER if rec[_ST] == SOUNDING else STATUS[rec[_ST]],
                                 "level": rec[_LV], "since_s": rec[_SINCE], "reason": rec[_REASON]})

    def _with_cause(self, alarm):
        """no_data shown while the sensor alarm says why (kinds.NO_GLUCOSE: an error, a
        failed or expired sensor, a warm-up), else the link alarm (kinds.NO_LINK: not
        heard, a wrong transmitter or ID, a lost bond, a silent leader): "cause" (that
        alarm's type and reason), for the screen's words. no_data outranks both, and "NO
        DATA" alone read as a box out of range: the parent was not told to wait (Dexcom:
        "Sensor Error"), to change the sensor, or to check the transmitter's ID."""
        if alarm["type"] == "no_data":
            cause = self.cause()
            if cause is not None:
                alarm["cause"] = cause
        return alarm

    def cause(self):
        """(type, reason) of the sensor alarm while one of its reasons says why no glucose
        comes (kinds.NO_GLUCOSE), else of the link alarm (kinds.NO_LINK), else None: what
        shown() gives no_data as its "cause". main.App.alarm_report carries it, so a
        follower box's no_data says what this box's screen does, whatever names the alarm."""
        for kind, reasons in (("sensor", NO_GLUCOSE), ("link", NO_LINK)):
            rec = self._says_why(kind, reasons)
            if rec is not None:   # the reason naming that alarm, else the first of them
                r = rec[_REASON]
                return (kind, r if r in reasons else [x for x in rec[_AUX] if x in reasons][0])
        return None

    def unanswered(self, skip=()):
        """The most urgent sounding alarm that escalated all the way without a
        button press, or None. Not only the loudest: an urgent low starting on
        top of a low nobody answered for an hour is louder, yet the low is
        still unanswered. skip: types played silently (nobody hears them here)."""
        best = None
        for kind in TYPES:  # most urgent type first
            rec = self._alarms.get(kind)
            if rec is not None and rec[_ST] == SOUNDING and rec[_LV] >= MAX_LEVEL and kind not in skip:
                if best is None or rec[_PRIO] > best[1]:
                    best = (kind, rec[_PRIO])
        return best and best[0]

    def prediction(self, minutes):
        """(mean, sd) mg/dL predicted `minutes` after the last reading, or None."""
        return self._pred.predict(minutes) if self._pred.ready() else None

    # ---- persistence (RTC memory) ------------------------------------------
    def save(self):
        from alarms.persist import save
        return save(self)

    def restore(self, data, now_s, away_s=0):
        from alarms.persist import restore
        return restore(self, data, now_s, away_s)
