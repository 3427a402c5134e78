# Glucose conditions of the alarm engine (split from engine.py so each module
# compiles within the board's heap). `self` is the AlarmEngine.
from alarms import settings as _settings
from alarms.kinds import SOUNDING, SNOOZED, ACKNOWLEDGED, GLUCOSE, WORSE_MGDL, _ST, _UNTIL, _AUX

# Prediction decisions (see predict.py for the model: the prediction is of TRUE
# glucose, with the sensor's drifting error estimated and excluded, and its SD
# includes the uncertainty about that error). The urgent-low-soon alarm fires
# when the lower ULS_Z-sigma bound of the prediction urgent_low_soon_minutes
# ahead is below urgent_low (P > ~7 %) while glucose falls; the low alarm when the reading
# is below low and the filter agrees (level below low + LOW_LEVEL_MARGIN, or already
# falling at LOW_CONFIRM_FALL or faster before this reading), or when the prediction
# low_minutes ahead (lower LOW_Z bound) is below low.
ULS_Z = 1.5
ULS_MIN_FALL = 0.3    # mg/dL/min: the filtered rate must be at least this steep a fall
ULS_LEVEL_CAP = 45    # ... and the filtered level below urgent_low + this
LOW_Z = 0.0
LOW_MIN_FALL = 0.3
LOW_LEVEL_MARGIN = 4  # a reading below low raises only if the filtered level is below low + this
LOW_CONFIRM_FALL = 1.0  # ... or glucose falls at least this fast, mg/dL/min (Dexcom's 45-degree arrow)
_LOW_SIDE = ("urgent_low", "urgent_low_soon", "low")
LAG_MIN = 0           # minutes added to every horizon: blood glucose leads the interstitial reading
# fall/rise: the rate over the readings of the last 15 min (4 of a Dexcom's), at
# least 10 min (3) of them. A reading is judged when its session delivers it, 5 min
# apart give or take seconds: the spans allow a minute either way (without it, 3
# readings 599.6 s apart gave no rate, and a sounding fall alarm cleared and started
# again). The window is bounded by time; RATE_MAX_READINGS only bounds its memory
# (a follower fed each reading twice by two uploaders, or a 1-min CGM, had 4
# readings spanning under 9 min and no rate at all)
RATE_SPAN_S = 900
RATE_MIN_SPAN_S = 600
RATE_SLACK_S = 60
RATE_MAX_READINGS = 16


def conditions(self, sgv, t_read, s):
    """type -> 2 (raise), 1 (hold: keep if active), for the active glucose conditions."""
    out = {}
    p = self._pred
    ul = s["urgent_low"]
    if sgv < ul:
        out["urgent_low"] = 2
    elif sgv < ul + _settings.HYST_LOW:
        out["urgent_low"] = 1
    ready = p.ready()
    rate = p.rate()
    if s["urgent_low_soon"] and ready:
        m, sd = p.predict(s["urgent_low_soon_minutes"] + LAG_MIN)
        if m - ULS_Z * sd < ul and rate <= -ULS_MIN_FALL and p.level() < ul + ULS_LEVEL_CAP:
            out["urgent_low_soon"] = 2
        elif m < ul + _settings.HYST_LOW or sgv < ul + _settings.HYST_LOW:
            out["urgent_low_soon"] = 1
    elif s["urgent_low_soon"] and sgv < ul + _settings.HYST_LOW:
        # a filter restarted by a long gap predicts nothing yet: the reading alone holds
        # its hysteresis (else a warning sounding at 62 cleared on a reading of 60)
        out["urgent_low_soon"] = 1
    if s["low_enabled"]:
        low = s["low"]
        predicted = False
        if ready and s["low_minutes"]:
            m, sd = p.predict(s["low_minutes"] + LAG_MIN)
            predicted = m - LOW_Z * sd < low and rate <= -LOW_MIN_FALL
        # a reading below low raises when the filter agrees it is not a lone
        # dip: its level is low too, or glucose was already falling before this
        # reading (the level lags a fall; a sudden drop from a steady level waits)
        if (sgv < low and (not ready or p.level() < low + LOW_LEVEL_MARGIN
                           or self._rate_before <= -LOW_CONFIRM_FALL)) or predicted:
            out["low"] = 2
        elif sgv < low + _settings.HYST_LOW:
            out["low"] = 1
    for kind, key in (("high", "high"), ("urgent_high", "urgent_high")):
        if s[kind + "_enabled"]:
            if sgv > s[key]:
                out[kind] = 2
            elif sgv > s[key] - _settings.HYST_HIGH:
                out[kind] = 1
    recent = self._recent
    if len(recent) >= 3 and recent[-1][0] - recent[0][0] >= RATE_MIN_SPAN_S - RATE_SLACK_S:
        # fall/rise: the plain average rate over the last 15 minutes (xDrip-style);
        # the filter's rate is deliberately damped for prediction
        raw = _rate(recent[0], recent[-1])
        for kind, sign in (("fall", -1), ("rise", 1)):
            if s[kind + "_enabled"]:
                limit = s[kind + "_rate"]
                if sign * raw >= limit:
                    out[kind] = 2
                elif sign * raw >= limit * 0.7:
                    out[kind] = 1
    else:
        # no rate (missed readings, or a reset: the saved state has no window):
        # a sounding or snoozed fall/rise holds unless the last two readings turn
        # (else it cleared and, two readings on, started again through a snooze)
        for kind, sign in (("fall", -1), ("rise", 1)):
            if kind in self._alarms:
                if len(recent) < 2 or sign * _rate(recent[-2], recent[-1]) >= s[kind + "_rate"] * 0.7:
                    out[kind] = 1
    ph = s["persistent_high"]
    if self._last_t is not None and t_read - self._last_t >= s["persistent_high_minutes"] * 60:
        # no reading for the whole window (a sensor's change and warm-up): nothing says
        # glucose stayed above, so the count starts again (a shorter gap is bridged)
        self._above_since = None
    if sgv > ph:
        if self._above_since is None:
            self._above_since = t_read
    elif sgv <= ph - _settings.HYST_HIGH:
        self._above_since = None
    tells = 0
    if self._above_since is not None and "persistent_high" not in self._alarms:
        # high or urgent_high tells this excursion: the persistent high, their lesser
        # alarm, would tell nothing new; its count starts again from their last sound
        tells = _tells_high(self, out)
        if tells == 2:
            self._above_since = t_read
    if s["persistent_high_enabled"] and self._above_since is not None:
        if not tells and t_read - self._above_since >= s["persistent_high_minutes"] * 60 and sgv > ph:
            out["persistent_high"] = 2
        else:
            out["persistent_high"] = 1
    # Low-side hierarchy urgent_low > urgent_low_soon > low: a lower alarm does
    # not start while a higher one is active (it would announce nothing new);
    # its condition keeps the higher one active instead, so the episode ends
    # with one clear, not a new onset of the lower alarm. Except when the
    # person answered the higher one (acknowledged, or its snooze is over) and
    # its own condition no longer raises: then it clears and the lower one
    # starts, so a glucose that stays low is never silent for longer than a snooze.
    alarms = self._alarms
    for i, kind in enumerate(_LOW_SIDE):
        if kind in alarms or out.get(kind, 0) == 0:
            continue
        for higher in _LOW_SIDE[:i]:
            rec = alarms.get(higher)
            if kind == "low" and higher == "urgent_low" and out.get(higher, 0) == 0 and not (
                    rec is not None and rec[_ST] == SNOOZED and self._now is not None
                    and self._now < rec[_UNTIL]):
                # it clears on this reading (urgent_low + hysteresis): a glucose still
                # below low hands over to low now, not a reading later with no alarm
                # active meanwhile. Only to low: urgent_low_soon,
                # whose rate lags a sharp drop, started beside it on a rising reading.
                # Only below low: a reading back at low after the drop is the recovery,
                # and a low the lagging rate alone predicts there waits a reading, as
                # before (its condition still holds what it held).
                # A snooze still running keeps the reading's grace, as before.
                if rec is not None and sgv >= s["low"] and out[kind] == 2:
                    out[kind] = 1
                continue
            if rec is not None and out[kind] == 2 and out.get(higher, 0) < 2 and _answered(rec, self._now):
                out[higher] = 0
                continue
            if rec is not None or (higher == "urgent_low" and out.get(higher) == 2):
                out.pop(kind)
                if rec is not None and higher != "urgent_low" and out.get(higher, 0) < 1:
                    out[higher] = 1
                break
    return out


def _tells_high(self, out):
    """2: high or urgent_high sounds for this reading (raised by it, sounding, or sounding
    again now); 1: one is snoozed with time left, which holds the persistent high to its end
    and no longer: the count runs on from the last sound (restarted at the snooze's end, a
    snooze, a lesser answer than an acknowledgement, held it 2 h longer); 0: acknowledged,
    or a snooze run out under its hysteresis, it tells nothing (as _answered, on the low side)."""
    tells = 0
    for kind in ("urgent_high", "high"):
        c = out.get(kind, 0)
        rec = self._alarms.get(kind)
        if not c or rec is not None and rec[_ST] == ACKNOWLEDGED:
            continue
        if rec is not None and rec[_ST] == SNOOZED and self._now < rec[_UNTIL]:
            tells = 1
        elif c == 2 or rec is not None and rec[_ST] == SOUNDING:
            return 2
    return tells


def _rate(a, b):
    """mg/dL/min from reading a to reading b ((t, sgv) of the engine's window)."""
    return (b[1] - a[1]) * 60.0 / (b[0] - a[0])


def _answered(rec, now_s):
    # acknowledged: a low long-pressed (urgent_low and urgent_low_soon take only a
    # snooze for a long press; persist.restore turns a saved acknowledgement of them
    # into one); or snoozed, its snooze over
    return rec[_ST] == ACKNOWLEDGED or (rec[_ST] == SNOOZED and now_s is not None and now_s >= rec[_UNTIL])

# the thresholds a schedule entry can move, by the alarm they raise
_SCHEDULED = (("low", "low"), ("high", "high"), ("urgent_high", "urgent_high"))


def evaluate(self, sgv, t_read, now_s, events):
    s = self.current_settings(now_s)
    conds = conditions(self, sgv, t_read, s)
    before, self._judged_by = self._judged_by, (s["low"], s["high"], s["urgent_high"])
    if before is not None and before != self._judged_by:
        # a schedule's window began or ended: a sounding alarm the value only holds in
        # the hysteresis of the new threshold was raised by the old one, and by the
        # settings in force now the value is in range (a high of the day's 180 went on
        # at 240 under the night's 250 all night, escalating)
        for i, (kind, key) in enumerate(_SCHEDULED):
            rec = self._alarms.get(kind)
            # (in range by the new threshold: a low's "hold" is also a reading under it whose
            # filter level is not, LOW_LEVEL_MARGIN, and that one stays)
            if conds.get(kind) == 1 and before[i] != s[key] and rec is not None and rec[_ST] == SOUNDING \
                    and (sgv >= s[key] if kind == "low" else sgv <= s[key]):
                conds[kind] = 0
    for kind in GLUCOSE:
        c = conds.get(kind, 0)
        rec = self._alarms.get(kind)
        if c == 0:
            if rec is not None:
                self._clear(kind, events)
            continue
        if rec is None:
            if c == 2:
                reason = "predicted" if kind == "urgent_low_soon" or (kind == "low" and sgv >= s["low"]) \
                    else "rate" if kind in ("fall", "rise") else "threshold"
                self._raise(kind, reason, now_s, events)
            continue
        if rec[_ST] == SNOOZED and c == 2:
            if now_s >= rec[_UNTIL]:
                self._resound(kind, rec, now_s, events)
            elif kind == "urgent_low" and rec[_AUX] is not None and sgv <= rec[_AUX] - WORSE_MGDL:
                self._resound(kind, rec, now_s, events)

