# A follower box that wakes its family only when the leader's alarm goes
# unanswered (config follow.sound "unanswered"; alarms.md, request 8: "wake the
# caregiver only if the patient's alarm is not stopped"). Pure: the follower
# fetches the leader box's alarms (forward.follower.parse_alarms), main applies this.
#
#   report = {"alarms": {type: (status, level, for_s)}, "age_s": s, "muted": b}   # the leader's, as fetched
#   skip = quiet(engine.active(), report, now_s)   # -> engine.shown(skip)
#   leader_unanswered(engine.active(), report)     # -> the `link` condition
#
# Fail loud: an alarm of this box plays unless the leader, by a report fresh enough,
# sounds the same alarm (or one of its episode) and has not escalated anything all
# the way (an urgent low: one step) without a press, or its family answered it there. No report, a stale one, an alarm the
# leader does not have (other thresholds, a lag), a leader whose sound failed ("muted":
# its buzzer refuses): it plays here as in "all" mode.
from alarms.kinds import BASE_PRIORITY, GLUCOSE, MAX_LEVEL, STATUS, TYPES

# what the leader has too, from the same readings: the box's own faults (its link
# to the leader, its device, its forwarding) are heard here only
RELAYED = GLUCOSE + ("no_data",)
# one episode: a press at the leader moves it from one of these to another that this
# box, not pressed, does not follow (urgent_low_soon snoozed there ends as `low`
# sounding afresh, while this box keeps urgent_low_soon). The leader sounding or
# answering any of its episode's alarms answers for all of them here. An urgent low,
# an urgent high, a fall, a rise and no_data stand for themselves (a leader
# with urgent high off and its high acknowledged kept this box's urgent high silent for hours).
_EPISODE = {"urgent_low_soon": "low", "low": "low", "high": "high", "persistent_high": "high"}
# within an episode, the more urgent alarm: the leader's answer (a press) to its lesser one
# is no answer to this box's more urgent one (a long-pressed low holds at the leader only
# until its urgent_low_soon starts; a leader without urgent_low_soon, off or on a lower
# urgent_low, kept this box's warning of the urgent low silent while its low stayed
# acknowledged). Sounding there, any of the episode is heard, and escalates.
_RANK = {"urgent_low_soon": 1, "high": 1}
# an urgent low this long is heard here whatever the leader says: answered there and
# still under 55 half an hour on (G5: it sounds again after 30 min), a second person
# is woken (a hypo-unaware teen can press a button and not treat). Counted from the
# earlier onset, here or there (for_s): this box started or powered up late does not
# begin the half hour again
URGENT_WAKE_S = 1800
# the level at which the leader's sounding alarm counts as unanswered: its top, after 3 x
# escalate_minutes (15 min by default); an urgent low's after one step (5 min): a patient
# under 55 who does not answer their own alarm may not be able to
UNANSWERED_LEVEL = {"urgent_low": 1}
# the leader's alarm task ticks every 5 s: its state this much older is a stuck
# engine's (a hung task the supervisor has not restarted yet), not news
TICK_AGE_S = 30
# the leader's technical faults are woken for here when unanswered there; its
# forwarding (its uploads) does not wake a second person: this box reads it directly
_NOT_WAKING = ("forwarding",)


def _unanswered(kind, there, muted):
    """The leader's (status, level) of `kind`: sounding there, escalated (or heard
    by nobody: its sound failed), no press."""
    return there[0] == STATUS[0] and (muted or there[1] >= UNANSWERED_LEVEL.get(kind, MAX_LEVEL))


def fresh(report, received_s, now_s, poll_s):
    """The report, or None when it is too old to trust: received more than two
    polls and a request ago (a poll failed), or telling a leader's alarm task
    that has not run for TICK_AGE_S: the leader's state is not known."""
    if report is None or now_s - received_s > 2 * poll_s + 30 or report["age_s"] > TICK_AGE_S:
        return None
    return report


def quiet(active, report, now_s):
    """Types of this box's sounding alarms to play silently (engine.shown(skip))."""
    if report is None or report["age_s"] > TICK_AGE_S or report.get("muted"):
        return ()
    theirs = report["alarms"]
    for kind in theirs:
        if _unanswered(kind, theirs[kind], False):
            # nobody answers the leader box: everything sounds here (an urgent low that
            # starts over a low unanswered there is at level 0 there, and must not wait)
            return ()
    out = []
    for a in active:
        kind = a["type"]
        if a["status"] != STATUS[0] or kind not in RELAYED:
            continue
        if not _covered(kind, theirs):
            continue   # the leader does not sound it, nor answered it: nobody hears it but here
        if kind == "urgent_low" and max(now_s - a["since_s"], _lasted(theirs, kind)) >= URGENT_WAKE_S:
            continue
        out.append(kind)
    return out


def _lasted(theirs, kind):
    """How long the leader's `kind` had lasted when it reported (0: not known)."""
    there = theirs.get(kind)
    return (there[2] or 0) if there is not None else 0


def _covered(kind, theirs):
    """The leader has `kind`, or one of its episode sounding, or a more urgent one
    of its episode answered."""
    ep = _EPISODE.get(kind, kind)
    for k in theirs:
        if _EPISODE.get(k, k) == ep and (k == kind or theirs[k][0] == STATUS[0]
                                         or _RANK.get(k, 0) >= _RANK.get(kind, 0)):
            return True
    return False


def leader_unanswered(active, report):
    """True when the leader sounds an alarm unanswered all the way (escalated), or
    any while its sound failed ("muted": its own device alarm for that among them),
    that this box has not got at all, nor one of its episode (a fault of the
    leader's own: its transmitter lost, its sensor failed; a low by its own
    thresholds): this box's `link` alarm (leader_unanswered) wakes for it. One
    this box has is heard through quiet()."""
    return unanswered_there(active, report) is not None


def unanswered_there(active, report):
    """The leader's alarm that leader_unanswered wakes for, the most urgent of them
    (_rank; a type this box does not know last), or None: this box's screen names it
    (main.App.shown)."""
    if report is None or report["age_s"] > TICK_AGE_S:
        return None
    # (this box's own link/device alarms are no answer to the leader's: its `link` here
    # is this very alarm, and counted, it cleared itself at the next round, and again)
    mine = [_EPISODE.get(a["type"], a["type"]) for a in active if a["type"] in RELAYED]
    muted = report.get("muted")
    best = None
    for kind, there in report["alarms"].items():
        if _unanswered(kind, there, muted) and _EPISODE.get(kind, kind) not in mine and kind not in _NOT_WAKING:
            if best is None or _rank(kind) < _rank(best):
                best = kind
    return best


def _rank(kind):
    """Lower first: the base priority, highest first, then kinds.TYPES' order, as the
    leader's AlarmEngine.unanswered ranks them (escalated, each priority is one up).
    TYPES' order alone named a low battery over a lost transmitter or a box fault."""
    return TYPES.index(kind) - len(TYPES) * BASE_PRIORITY[kind] if kind in TYPES else len(TYPES)
