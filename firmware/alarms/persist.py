# save()/restore() of the alarm engine for RTC memory (survives a reset, not a
# power cut). Times are stored relative to the engine's last now_s, so they
# survive the monotonic clock restarting at boot; restore(data, now_s, away_s)
# maps them onto the new clock, aged by away_s, the time from the save to now
# (the caller knows it from the RTC's clock; 0 takes the reset as instantaneous).
# Layout (little-endian), 55 bytes + 16 per active alarm (and per held snooze, HELD,
# and a pause, PAUSED):
#   header  B version, B alarm count, h last sgv (-1 none; -2 none, and the next field is
#           the age of the no_data count's start: a box that never had a usable reading
#           since its power-on keeps counting across a reset), i last usable reading age s,
#           i persistent-high age s, h minute of day (-1 unknown),
#           i predictor age s, 9f predictor state (Predictor.save()), B reading count
#   alarm   B type, B status, B level, B priority, i age s, i snooze left s,
#           h sgv at snooze (-1 none; a condition: two older reason codes,
#           low byte first, 127 none), B reason code (kinds.reason_code: the index in
#           REASONS, or 128-254 for a name not there, known by its hash; 255: an
#           older firmware's unknown), B flags
#           (ESC_KEPT: a sounding alarm's snooze-left field is the time to its next
#           escalation step; without it, as a version 2 record of session 36 and
#           before, the step starts again at the restore. HELD: no alarm, the snooze
#           end of a predicted low-side alarm that cleared under it (engine._held),
#           in its snooze-left field. JUDGED_OTHER: on a low, high or urgent_high
#           record, the threshold of the last judged reading was not the one in force
#           at the save (a schedule's switch since: engine._judged_by). JUDGED_AT: on
#           a sounding low, high or urgent_high record, its aux field is the threshold
#           of the last judged reading (a settings save's restart changes the settings
#           the restore rebuilds the others from; an older firmware reads aux only while snoozed).
#           PAUSED: no alarm, a low-side alarm that cleared while sounding unanswered
#           (engine._pause): the level it reached, and the pause left in the snooze-left field)
# A sounding alarm's escalation goes on from where it was, with the time away:
# restarted at each boot, a box in a reset loop shorter than escalate_minutes
# never got louder, and a follower box waiting for its top level (alarms.gate)
# never woke anyone.
# Not restored: device and forwarding conditions (their parts raise them again
# at boot or at their next check if the fault is still there, but most report
# only changes, so a restored one would never clear): one that was sounding is
# carried for CARRY_S, and raised again in that time for a reason it had, it goes
# on at its level (the device alarm's "resets" of a reset loop, raised at each
# boot, escalates across the loop); and any condition whose
# reason is not in REASONS (nothing could clear it). Glucose alarms, no_data,
# link, sensor and transmitter_battery are: their sources re-report at boot.
# What is restored is bounded by what the engine itself could have written
# (RTC memory's checksum is 16 bits; a damaged record that passes it must not
# silence an alarm): a snooze never longer than its setting allows, from the
# save on; a level no higher than MAX_LEVEL; an alarm that cannot be silenced
# (urgent_low, urgent_low_soon, no_data) never acknowledged, only snoozed. A
# record the engine cannot have written is refused whole, before anything of it
# is taken: a negative age (the newest reading in the future: every later one
# judged as history, no_data never due, every glucose alarm silent), a last
# value no Dexcom field holds, a filter state not finite or out of all bounds
# (no prediction, a low that waits on it), a bad alarm record.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import struct

from alarms import engine as _e
from alarms import settings as _settings
from alarms.kinds import UNNAMED as _UNNAMED, reason_code

VERSION = 2
_RAISED_AGAIN = const(("device", "forwarding"))
_HEAD = "<BBhiihi9fB"
_ALARM = const("<BBBBiihBB")
_NONE = const(-0x7FFFFFFF)
_NO_REASON = const(127)   # in a condition's aux field; REASONS stays under 127 entries
_NO_READING = const(-2)   # in the last sgv field: no reading, the age is the no_data count's start
ESC_KEPT = 1       # in the flags field
HELD = 2           # ... (a reset forgot these, see save)
JUDGED_OTHER = 4
JUDGED_AT = 8      # ... on a sounding low, high or urgent_high: its aux field is that threshold
PAUSED = 16
_JUDGED = const(("low", "high", "urgent_high"))   # engine._judged_by's order (glucose._SCHEDULED)
# how long after a restore a device or forwarding condition raised again takes up the
# saved one's level: the parts that find their fault at boot raise it in the first
# seconds; one found later (the next upload's failure) is a fault of this boot
CARRY_S = 60


def _ago(now, t):
    return _NONE if t is None else int(now - t)


def save(eng):
    now = eng._now if eng._now is not None else 0
    p = eng._pred
    mod = eng._schedule_minute(now)   # (the minute the schedules reached: a reset in an hour the
                                      # clocks went back through does not switch them again)
    kinds = [k for k in _e.TYPES if k in eng._alarms]
    # the last usable (fresh) reading's time: no_data counts from it. A stale reading
    # after it is history (it raised nothing, and a stream of them must still end in
    # no_data after a reset); one re-delivered after the reset is judged stale again
    last_t = eng._fresh_t
    if last_t is None and eng._data_since is not None:   # no usable reading yet: when no_data counts from
        sgv, last = _NO_READING, _ago(now, eng._data_since)
    else:
        sgv, last = -1 if eng._last_sgv is None else eng._last_sgv, _ago(now, last_t)
    # a held answer (engine._held) is the family's press as much as a snooze: a reset
    # forgot it and the low came back sounding inside the snooze they gave
    held = [k for k in _e.TYPES if k in eng._held and k not in eng._alarms and eng._held[k] > now]
    # the thresholds of the last judged reading, against those in force at this save (the
    # restore knows these exactly, by the minute of day saved): without it a schedule's
    # switch across a reset went unseen, and a high of the day's threshold sounded all night
    judged, s = eng._judged_by, eng.current_settings(now)
    # a low-side alarm nobody answered comes back at its level within the pause: a reset
    # in between started it afresh, at the quiet level 0
    pause = eng._pause if eng._pause is not None and eng._pause[0] > now else None
    count = len(kinds) + len(held) + (pause is not None)
    out = bytearray(struct.pack(
        _HEAD, VERSION, count, sgv, last, _ago(now, eng._above_since), -1 if mod is None else mod,
        _ago(now, p.t_s), *(p.save()[:9] + (min(p.n_read, 255),))))
    for kind in kinds:
        rec = eng._alarms[kind]
        reason = rec[_e._REASON]
        aux = rec[_e._AUX] if isinstance(rec[_e._AUX], int) else -1
        if kind in _e.CONDITIONS:
            aux = _older_reasons(rec)
        flags = 0
        if rec[_e._ST] == _e.SOUNDING:
            until, flags = max(0, int(rec[_e._ESC] - now)), ESC_KEPT
        else:
            until = 0 if rec[_e._UNTIL] is None else int(rec[_e._UNTIL] - now)
        if judged is not None and kind in _JUDGED:
            v = judged[_JUDGED.index(kind)]
            if rec[_e._ST] == _e.SOUNDING and v == int(v):
                # the threshold itself (aux is read only while snoozed): a settings save's
                # restart changes the settings the restore knows, as a schedule's switch does
                aux, flags = int(v), flags | JUDGED_AT
            elif v != s[kind]:
                flags |= JUDGED_OTHER
        out += struct.pack(_ALARM, _e.TYPES.index(kind), rec[_e._ST], rec[_e._LV], rec[_e._PRIO],
                           int(now - rec[_e._SINCE]), until, aux,
                           reason_code(reason), flags)
    for kind in held:
        out += struct.pack(_ALARM, _e.TYPES.index(kind), _e.SNOOZED, 0, _e.BASE_PRIORITY[kind], 0,
                           int(eng._held[kind] - now), -1, 0, HELD)
    if pause is not None:
        out += struct.pack(_ALARM, _e.TYPES.index("low"), _e.SOUNDING, pause[1], _e.BASE_PRIORITY["low"],
                           0, int(pause[0] - now), -1, 0, PAUSED)
    return bytes(out)


def _longest(eng, kind, s, why):
    """The longest snooze the engine can have given `kind` (seconds): its own, or that of
    an alarm whose press answers it too (kinds.COVERS: an urgent high's 60 min on a high
    of high_snooze 30), or no_data's hold beside a sensor alarm that says why. Capped by
    its own setting alone, a reset cut the episode's answer short and the lesser alarm
    sounded inside it."""
    if kind == "no_data" and why:
        return _e.SENSOR_HOLD_S
    m = eng._snooze_minutes(kind, s)
    if kind in _e.TILL_MORNING:   # (engine._snooze_end: the next morning, a day at most past m)
        return m * 60 + _e.DAY_S
    for higher in _e.COVERS:
        if kind in _e.COVERS[higher]:
            m = max(m, eng._snooze_minutes(higher, s))
    return m * 60


def _older_reasons(rec):
    """A condition's other active reasons (up to two, the newest kept; one of REASONS
    before one known by its code only, and either before an effect whose cause holds,
    kinds.EFFECTS: it names nothing), so a reset does not forget a problem that still
    holds behind the newest one."""
    others = [r for r in rec[_e._AUX] if r != rec[_e._REASON]]
    older = [reason_code(r) for r in others if _e._effect(r, rec[_e._AUX])] + [
        reason_code(r) for r in others if r not in _e.REASONS] + [
        reason_code(r) for r in others if r in _e.REASONS and not _e._effect(r, rec[_e._AUX])]
    older = ([_NO_REASON, _NO_REASON] + older)[-2:]
    pair = older[0] | older[1] << 8
    return pair - 0x10000 if pair >= 0x8000 else pair   # the field is signed (an unnamed newest)


def _pair(aux):
    """The two older reason codes of a condition's aux field (-1, written by a firmware
    that kept only the newest reason, gives 255 twice: no reason, as 127)."""
    return aux & 0xFF, (aux >> 8) & 0xFF


def _reasons(reason, aux):
    return [_e.REASONS[i] for i in _pair(aux) if i < len(_e.REASONS)] + [reason]


def _codes(code, aux):
    """A carried alarm's reasons as saved codes (reason_code), unnamed ones too."""
    return [code] + [i for i in _pair(aux) if i < len(_e.REASONS) or _UNNAMED <= i < 255]


def restore(eng, data, now_s, away_s=0):
    """Load saved state into eng; returns an alarm_onset event (restored=True)
    for every alarm that was sounding, so it sounds again at once."""
    try:
        head = struct.unpack_from(_HEAD, data, 0)
    except Exception:
        raise _e.EngineError("saved alarm state too short (%d bytes)" % len(data))
    if head[0] != VERSION:
        raise _e.EngineError("saved alarm state has version %r, expected %d" % (head[0], VERSION))
    count = head[1]
    size_h, size_a = struct.calcsize(_HEAD), struct.calcsize(_ALARM)
    if len(data) != size_h + count * size_a:
        raise _e.EngineError("saved alarm state: %d bytes for %d alarms" % (len(data), count))

    _check_head(head)
    records = [_record(data, size_h + i * size_a) for i in range(count)]
    saved = now_s - away_s  # the save, on the new clock

    def back(ago):
        return None if ago == _NONE else saved - ago

    eng._clock(now_s, None if head[5] < 0 else (head[5] + away_s // 60) % 1440)
    eng._last_sgv = None if head[2] < 0 else head[2]
    if head[2] == _NO_READING:
        # (chaos seed 1076) without this a box that had no reading since its power-on (a
        # transmitter that never appears) started the no_data count again at every reset
        eng._last_t = None
        eng._data_since = back(head[3])
    else:
        eng._last_t = back(head[3])
    eng._fresh_t = eng._last_t
    eng._above_since = back(head[4])
    pt = back(head[6])
    if pt is None:
        eng._pred.reset()
    else:
        eng._pred.restore(pt, head[7:17])
    eng._alarms = {}
    eng._carried = {}
    eng._held = {}
    eng._pause = None
    eng._judged_by = None
    if eng._fresh_t is not None:   # (the settings of the save's minute: JUDGED_OTHER's reference)
        j = _settings.effective(eng.settings, None if head[5] < 0 else head[5])
        other = [_e.TYPES[f[0]] for f in records if f[8] & JUDGED_OTHER]
        # (-1: not the threshold in force at the save, nor any a reading is judged by)
        judged = [-1 if k in other else j[k] for k in _JUDGED]
        for f in records:
            if f[8] & JUDGED_AT and _e.TYPES[f[0]] in _JUDGED:
                judged[_JUDGED.index(_e.TYPES[f[0]])] = f[6]
        eng._judged_by = tuple(judged)
    events = []
    s = eng.current_settings(now_s)
    why = False   # the sensor alarm says why no glucose comes: no_data's hold is the episode's
    for f in records:
        if _e.TYPES[f[0]] == "sensor" and f[7] < len(_e.REASONS):
            why = any(r in _e.NO_GLUCOSE for r in _reasons(_e.REASONS[f[7]], f[6]))
    for f in records:
        kind = _e.TYPES[f[0]]
        reason = _e.REASONS[f[7]] if f[7] < len(_e.REASONS) else "unknown"
        step = eng._esc_s()
        # the next escalation step: where it was (bounded by one step: a damaged
        # field must not hold an alarm at its level), else one step from now
        esc = saved + min(max(f[5], 0), step) if f[8] & ESC_KEPT else now_s + step
        if kind in _RAISED_AGAIN:
            if f[1] == _e.SOUNDING:   # (a start failure, a task's: known by code; 255, an older
                # firmware's unknown newest reason, matches none, its older reasons still do)
                eng._carried[kind] = (now_s + CARRY_S, _codes(f[7], f[6]), f[2], f[3], saved - f[4], esc)
            continue
        if kind in _e.CONDITIONS and reason == "unknown":
            continue
        if f[8] & PAUSED:
            eng._pause = (saved + min(max(f[5], 0), _e.PAUSE_S), f[2])
            continue
        longest = _longest(eng, kind, s, why)
        if f[8] & HELD:
            if kind in _e._HELD:
                eng._held[kind] = saved + min(max(f[5], 0), longest)
            continue
        status, until = f[1], None
        if status == _e.ACKNOWLEDGED and kind in _e._ACK_IS_SNOOZE:
            status, until = _e.SNOOZED, saved + longest
        elif status == _e.SNOOZED:
            until = saved + min(f[5], longest)
        aux = _reasons(reason, f[6]) if kind in _e.CONDITIONS else (
            None if f[6] < 0 or f[8] & JUDGED_AT else f[6])
        causes = [r for r in aux if not _e._effect(r, aux)] if kind in _e.CONDITIONS else ()
        if causes and reason not in causes:
            reason = causes[-1]   # saved by firmware before kinds.EFFECTS, under its effect's name
        rec = [status, f[2], saved - f[4], reason, until, esc, f[3], aux]
        eng._alarms[kind] = rec
        if status == _e.SOUNDING:
            e = eng._event("alarm_onset", kind, rec)
            e["restored"] = True
            events.append(e)
    return events


_MAX_SGV = const(0xFFF)              # the Dexcom glucose field's 12 bits
# the filter's state bounds, far outside anything it reaches from readings (level,
# rate, sensor error; each variance and covariance): NaN fails them too
_FILTER_BOUNDS = const((5000.0, 100.0, 1000.0, 1e7, 1e7, 1e7, 1e7, 1e7, 1e7))


def _damaged(what):
    return _e.EngineError("saved alarm state damaged: " + what)


def _check_head(head):
    sgv = head[2]
    if sgv < _NO_READING or sgv > _MAX_SGV:
        raise _damaged("last glucose %d" % sgv)
    for ago in (head[3], head[4], head[6]):
        if ago < 0 and ago != _NONE:
            raise _damaged("an age of %d s" % ago)
    if not -1 <= head[5] < 1440:
        raise _damaged("minute of day %d" % head[5])
    if head[6] != _NONE:
        for x, bound in zip(head[7:16], _FILTER_BOUNDS):
            if not -bound <= x <= bound:
                raise _damaged("filter state %r" % (x,))
        for x in (head[10], head[13], head[15]):   # the variances
            if x < 0:
                raise _damaged("filter variance %r" % (x,))


def _record(data, offset):
    f = struct.unpack_from(_ALARM, data, offset)
    if f[0] >= len(_e.TYPES) or f[1] > 2 or f[2] > _e.MAX_LEVEL or f[3] > 2 or f[4] < 0:
        raise _e.EngineError("saved alarm state: bad alarm record %r" % (f,))
    return f
