"""`make bench SECTION=resilience`: how long until a person hears it, when things go wrong.

Runs the real firmware headless (tools/sim.py through bench_device._sim) for
DAYS simulated days on the N_TRACES traces of ../shared/traces with the most
minutes below 55 mg/dL in those days, under each scenario of SCENARIOS
(clean radio, realistic radio faults, a 1-hour transmitter outage across the
first urgent low, the same outage with a reset 14 min into the data gap,
firmware faults: the alarm task crashing and a reset in the middle of an
alarm, a hung annunciator task), and turns the event lines into:

- urgent_low_to_sound_s: for each episode where the virtual transmitter's
  glucose is below 55 (from the trace and the transmitter's window times),
  from its first such window to the first moment the annunciator sounds a
  high-priority pattern (0 when it already was, e.g. urgent_low_soon):
  median, max, n, and `never`, the episodes with no high sound from their
  start to 15 min after their last low window (must be 0);
- no_data_to_sound_s: for each gap of > 20 min between readings arriving,
  from the measurement time of the last reading before it to the first
  moment the annunciator sounds the no_data alarm (median, max, n);
  `unsounded` lists gaps that ended with no no_data sound;
- silent_stale_minutes: time in which the newest reading is older than
  no_data (20 min) + 5 min while nothing is sounding, snoozed or
  acknowledged after a button press (no scenario presses one, so a
  snoozed state counts as silent) (must be 0), exact from the event times: total minutes, the
  worst stretch in seconds (a reset's 1-s self-test counts as silent);
- readings_captured: the share of the transmitter's windows (up to 10 min
  before the end) that reached the firmware as a reading, live or backfill.

Times: the simulator's `t_ms` is the virtual clock from boot (it runs on
across resets); the virtual transmitter takes reading k at
FIRST_WINDOW_MS + k * WINDOW_MS and stamps it dex_s = DEX0_S + that time
(tools/vtx/transmitter.py defaults: age 10 days, first window 60 s, 5 min).
The `*_s` figures are virtual seconds. Trace i (0, 1, ...) runs with SEED + i (its own
radio faults). Set RESILIENCE_DAYS / RESILIENCE_TRACES to change the run's
size (defaults 3 and 3: 18 runs, about 7 to 8 minutes on 2 cores, longer beside other work: README).
"""
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.append(os.path.join(HERE, "host"))  # the vtx package's seeded random numbers
from vtx import trace as vtx_trace  # noqa: E402

TRACES_DIR = os.path.normpath(os.path.join(ROOT, "..", "shared", "traces"))
URGENT_LOW = 55              # mg/dL (the engine's default urgent_low, always on)
NO_DATA_MS = 20 * 60000      # the engine's default no_data_minutes
STALE_MS = NO_DATA_MS + 5 * 60000
# a reboot plays its 1-s self-test before the restored alarm: silent stale
# stretches up to this long are measured but not written up as failures
REBOOT_TOLERANCE_MS = 10000
GAP_MS = 20 * 60000          # a gap in arriving readings longer than this is "the data stopped"
EPISODE_GRACE_MS = 15 * 60000  # an episode counts as never sounded after its last low window + this
CAPTURE_TAIL_MS = 10 * 60000   # windows this close to the end may still be in flight
WINDOW_MS = 300000
FIRST_WINDOW_MS = 60000
DEX0_S = 10 * 86400          # the virtual transmitter's age at boot
SOUNDING = ("high", "medium", "low")
ANSWERED = ("snoozed", "acknowledged")
RADIO_FAULTS = "miss:0.05,cut:0.02,crc:0.01,garbage:0.01,truncate:0.01,slow:0.02"
SEED = 1


class ResilienceError(Exception):
    """The run cannot be measured (no trace with an urgent low, a trace without cgm)."""


# --- the truth: the trace as the virtual transmitter plays it ----------------------
def load_trace(path):
    """CGM values per 5-minute window, as the virtual transmitter sends them
    (its own reader: rounded, clamped to 40..400; None for an empty cell)."""
    try:
        return vtx_trace.load(path)
    except vtx_trace.TraceError as e:
        raise ResilienceError(str(e))


def windows(values, start_minute, end_ms):
    """[(t_ms, glucose)] of the transmitter's windows taken before end_ms."""
    out = []
    k = 0
    first = start_minute // 5
    while FIRST_WINDOW_MS + k * WINDOW_MS <= end_ms:
        out.append((FIRST_WINDOW_MS + k * WINDOW_MS, values[(first + k) % len(values)]))
        k += 1
    return out


def minutes_below(values, days, threshold=URGENT_LOW):
    n = int(days * 288)
    return 5 * sum(1 for v in values[:n] if v is not None and v < threshold)


def pick_traces(paths, n, days):
    """The n traces with the most minutes below URGENT_LOW in their first `days`."""
    ranked = sorted(((minutes_below(load_trace(p), days), os.path.basename(p), p) for p in paths),
                    reverse=True)
    chosen = [(m, p) for m, _, p in ranked[:n] if m > 0]
    if not chosen:
        raise ResilienceError("no trace goes below %d mg/dL in %s days" % (URGENT_LOW, days))
    return chosen


def low_episodes(wins, threshold=URGENT_LOW):
    """[(first_ms, last_ms)] of each run of consecutive windows below threshold."""
    out = []
    cur = None
    for t, g in wins:
        if g is not None and g < threshold:
            cur = [t, t] if cur is None else [cur[0], t]
        elif cur is not None:
            out.append(tuple(cur))
            cur = None
    if cur is not None:
        out.append(tuple(cur))
    return out


# --- what the box did, from its event lines -------------------------------------------
SILENT_BASES = ("no_data", "fault")   # sound.patterns.BASE_STATES but "ok" ("off")


def sound_timeline(events):
    """[(t_ms, pattern, alarm)]: what the annunciator plays from t_ms on. A
    reset, or an injected annunciator hang (its buzzer left as it was: counted
    silent), silences the board until the firmware plays again. The light's base
    states ("no_data": a blue blink with no reading fresh, "fault") are silent: "off"."""
    out = []
    for e in events:
        if e.get("event") == "annunciator":
            pattern = e.get("pattern")
            out.append((e["t_ms"], "off" if pattern in SILENT_BASES else pattern, e.get("alarm")))
        elif _silencing(e):
            out.append((e["t_ms"], "off", None))
    return out


def _silencing(e):
    return e.get("event") == "reset" or (e.get("event") == "fault_injected"
                                         and e.get("what", "").startswith("annunciator_"))


def readings(events):
    """[(arrived_ms, measured_ms, source)] of the readings with a glucose value."""
    out = []
    for e in events:
        if e.get("event") == "reading" and e.get("sgv") is not None and e.get("dex_s") is not None:
            out.append((e["t_ms"], (e["dex_s"] - DEX0_S) * 1000, e.get("source")))
    return out


def _first(timeline, t0, t1, match):
    """First time in [t0, t1) at which the annunciator's state matches, or None."""
    state = None
    for t, pattern, alarm in timeline:
        if t <= t0:
            state = (pattern, alarm)
            continue
        if state is not None and match(*state):
            return t0
        if t >= t1:
            return None
        state = (pattern, alarm)
        t0 = t
    if state is not None and match(*state) and t0 < t1:
        return t0
    return None


def _stats(xs):
    if not xs:
        return {"median": None, "max": None, "n": 0}
    s = sorted(xs)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return {"median": round(median, 1), "max": round(s[-1], 1), "n": len(s)}


def urgent_low_to_sound(episodes, timeline, end_ms):
    """Seconds from each episode's first window below 55 to a high-priority
    sound (latencies_s), and to the urgent_low alarm itself sounding
    (urgent_low_alarm_s: the data path, when a prediction sounded first)."""
    lat, never, by, own = [], [], {}, []
    for first, last in episodes:
        if first > end_ms - EPISODE_GRACE_MS:
            continue  # too close to the end of the run to judge
        t1 = min(end_ms, last + EPISODE_GRACE_MS)
        found = [None]

        def high(pattern, alarm):
            if pattern == "high":
                found[0] = alarm
                return True
            return False
        t = _first(timeline, first, t1, high)
        if t is None:
            never.append(first)
        else:
            lat.append((t - first) / 1000)
            by[found[0]] = by.get(found[0], 0) + 1
        t = _first(timeline, first, t1, lambda p, a: p in SOUNDING and a == "urgent_low")
        if t is not None:
            own.append((t - first) / 1000)
    out = _stats(lat)
    out["latencies_s"] = lat
    out["urgent_low_alarm_s"] = own
    out["never"] = len(never)
    out["never_at_ms"] = never
    out["sounded_by"] = by
    return out


def no_data_to_sound(events, timeline, end_ms):
    """Seconds from the last reading before each gap of > GAP_MS (by arrival)
    to the first moment the annunciator sounds no_data in the gap. A gap in
    which no_data was raised while a louder alarm was already sounding (the
    annunciator plays the loudest only) counts as `covered`; a gap with
    neither is `unsounded` (a silent failure when longer than no_data + 5 min)."""
    lat, covered, unsounded = [], [], []
    arrivals = sorted(readings(events))
    onsets = [e["t_ms"] for e in events
              if e.get("event") == "alarm_onset" and e.get("type") == "no_data"]
    for i, (arrived, measured, _) in enumerate(arrivals):
        nxt = arrivals[i + 1][0] if i + 1 < len(arrivals) else end_ms
        if nxt - arrived <= GAP_MS:
            continue
        newest = max(m for a, m, _ in arrivals[:i + 1])
        t = _first(timeline, arrived, nxt, lambda p, a: p in SOUNDING and a == "no_data")
        if t is not None:
            lat.append((t - newest) / 1000)
            continue
        raised = [o for o in onsets if arrived <= o < nxt]
        if raised and _first(timeline, raised[0], raised[0] + 1,
                             lambda p, a: p in SOUNDING) is not None:
            covered.append((raised[0] - newest) / 1000)
        else:
            unsounded.append({"from_ms": newest, "to_ms": nxt,
                              "silent": nxt - newest > STALE_MS})
    out = _stats(lat)
    out["latencies_s"] = lat
    out["covered"] = len(covered)
    out["covered_onset_s"] = covered
    out["unsounded"] = unsounded
    return out


def silent_stale(reads, timeline, end_ms, answered_ms=()):
    """Time in which the newest reading is older than STALE_MS while nothing
    is sounding, snoozed or acknowledged (exact, from the event times).
    A snoozed / acknowledged state is a person's choice only when a snooze
    or acknowledge (answered_ms: times of alarm_snooze / alarm_ack events)
    came at or before it; otherwise (the bench presses no button) it is
    silence nobody chose and counts. Before the first reading, data is as old
    as the boot. Returns minutes, the worst stretch (s) and where the first
    and the worst start (ms)."""
    first_answer = min(answered_ms) if answered_ms else None
    changes = sorted([(a, 0, m) for a, m, _ in reads] + [(t, 1, p) for t, p, _ in timeline],
                     key=lambda c: c[:2])  # stable: same-time events stay in order
    newest = 0
    state = None
    chosen = False  # the state is snoozed / acknowledged by a person
    stretches = []  # [from_ms, to_ms] of silent stale time
    for i, (t, what, value) in enumerate(changes + [(end_ms, 2, None)]):
        prev = changes[i - 1][0] if i else 0
        lo, hi = max(prev, newest + STALE_MS), min(t, end_ms)
        if lo < hi and state not in SOUNDING and not chosen:
            if stretches and stretches[-1][1] == lo:
                stretches[-1][1] = hi
            else:
                stretches.append([lo, hi])
        if what == 0:
            newest = max(newest, value)
        elif what == 1:
            state = value
            chosen = value in ANSWERED and first_answer is not None and first_answer <= t
    total = sum(b - a for a, b in stretches)
    worst = max(stretches, key=lambda x: x[1] - x[0]) if stretches else None
    return {"minutes": round(total / 60000, 2), "stretches": len(stretches),
            "worst_stretch_s": (worst[1] - worst[0]) / 1000 if worst else 0,
            "worst_from_ms": worst[0] if worst else None,
            "first_at_ms": stretches[0][0] if stretches else None}


def resound_after_reset(events):
    """Seconds from each reset (or annunciator hang) that cut a sounding alarm
    to the next sound (None when it never sounded again before the end)."""
    out = []
    state = None
    for i, e in enumerate(events):
        if e.get("event") == "annunciator":
            state = e.get("pattern")
        elif _silencing(e):
            if state in SOUNDING:
                after = [x["t_ms"] for x in events[i + 1:] if x.get("event") == "annunciator"
                         and x.get("pattern") in SOUNDING]
                out.append((after[0] - e["t_ms"]) / 1000 if after else None)
            state = "off"
    return out


def readings_captured(wins, reads, end_ms):
    """Share of the windows with a value (up to CAPTURE_TAIL_MS before the
    end) that reached the firmware as a reading, and the live share."""
    due = set(t for t, g in wins if g is not None and t <= end_ms - CAPTURE_TAIL_MS)
    got = {}
    for _, measured, source in reads:
        if measured in due and got.get(measured) != "live":
            got[measured] = source
    if not due:
        return {"share": None, "live_share": None, "windows": 0}
    return {"share": round(len(got) / len(due), 4),
            "live_share": round(sum(1 for s in got.values() if s == "live") / len(due), 4),
            "windows": len(due)}


def figures(events, wins, end_ms):
    """Every figure of one run."""
    tl = sound_timeline(events)
    reads = readings(events)
    return {"urgent_low_to_sound_s": urgent_low_to_sound(low_episodes(wins), tl, end_ms),
            "no_data_to_sound_s": no_data_to_sound(events, tl, end_ms),
            "silent_stale_minutes": silent_stale(reads, tl, end_ms, [
                e["t_ms"] for e in events if e.get("event") in ("alarm_snooze", "alarm_ack")]),
            "readings_captured": readings_captured(wins, reads, end_ms),
            "resound_after_reset_s": resound_after_reset(events),
            "resets": sum(1 for e in events if e.get("event") == "reset"),
            "device_alarms": sum(1 for e in events if e.get("event") == "alarm_onset"
                                 and e.get("type") == "device")}


def merge(runs):
    """One scenario's figures over several runs (traces)."""
    lows = [r["urgent_low_to_sound_s"] for r in runs]
    gaps = [r["no_data_to_sound_s"] for r in runs]
    stale = [r["silent_stale_minutes"] for r in runs]
    cap = [r["readings_captured"] for r in runs]
    low_lat = [x for r in lows for x in r["latencies_s"]]
    gap_lat = [x for r in gaps for x in r["latencies_s"]]
    by = {}
    for x in lows:
        for k, v in x["sounded_by"].items():
            by[k] = by.get(k, 0) + v
    out_low = _stats(low_lat)
    out_low.update(never=sum(x["never"] for x in lows), sounded_by=by)
    out_low["urgent_low_alarm_s"] = _stats([x for r in lows for x in r["urgent_low_alarm_s"]])
    out_gap = _stats(gap_lat)
    out_gap["covered"] = sum(x["covered"] for x in gaps)
    out_gap["unsounded"] = sum(len(x["unsounded"]) for x in gaps)
    windows = sum(c["windows"] for c in cap)
    return {
        "urgent_low_to_sound_s": out_low,
        "no_data_to_sound_s": out_gap,
        "silent_stale_minutes": {"minutes": round(sum(s["minutes"] for s in stale), 2),
                                 "stretches": sum(s["stretches"] for s in stale),
                                 "worst_stretch_s": max(s["worst_stretch_s"] for s in stale)},
        "readings_captured": {
            "share": round(sum(c["share"] * c["windows"] for c in cap) / windows, 4) if windows else None,
            "live_share": round(sum(c["live_share"] * c["windows"] for c in cap) / windows, 4)
            if windows else None,
            "windows": windows},
        "resets": sum(r["resets"] for r in runs),
        "resound_after_reset_s": [x for r in runs for x in r["resound_after_reset_s"]],
        "device_alarms": sum(r["device_alarms"] for r in runs),
    }


# --- the scenarios ---------------------------------------------------------------------
def scenarios(episodes, end_ms):
    """[(name, FAULTS, INJECT or None)] for a run whose urgent-low episodes
    (from the trace) are `episodes`; the faults are placed on them."""
    e1 = episodes[0][0] if episodes else end_ms // 2
    e2 = episodes[1][0] if len(episodes) > 1 else e1 + 30 * 60000
    outage_from = max(FIRST_WINDOW_MS, e1 - 30 * 60000)
    k = (e1 - 3 * 3600000 - FIRST_WINDOW_MS) // WINDOW_MS
    if k < 1:
        k = (e1 + 2 * 3600000 - FIRST_WINDOW_MS) // WINDOW_MS
    gap_last = FIRST_WINDOW_MS + k * WINDOW_MS   # the last window before that outage
    gap_from = gap_last + 2 * 60000
    return [
        ("clean", "", None),
        ("radio_faults", RADIO_FAULTS, None),
        # the transmitter silent (no advertising at all) for 1 h across the first urgent low
        ("outage_1h", "", {"faults_at_s": [[outage_from / 1000, "miss"],
                                           [outage_from / 1000 + 3600, ""]]}),
        # a 1-h outage 3 h before the first low, and the board resets 14 min after the
        # last reading, before no_data (20 min) or the link alarm (3 missed windows)
        ("outage_reset", "", {"faults_at_s": [[gap_from / 1000, "miss"], [gap_from / 1000 + 3600, ""]],
                              "reset_at_s": (gap_last + 14 * 60000) / 1000}),
        # the alarm task fails 3 times as the first low starts (the supervisor
        # restarts it at once and raises `device`), and the board resets 5 min
        # into the second one (the alarm state comes back from RTC memory)
        ("task_crash_reset", "", {"task": "alarms", "error": "MemoryError", "times": 3,
                                  "at_s": max(1, e1 - 60000) / 1000,
                                  "reset_at_s": (e2 + 5 * 60000) / 1000}),
        # the annunciator's supervised task hangs 2 min into the first low: the
        # supervisor restarts it (before: the watchdog reset the board)
        ("annunciator_hang", "", {"task": "annunciator", "error": "hang",
                                  "at_s": (e1 + 2 * 60000) / 1000}),
        # the annunciator's drawing stops 2 min into the second low while its
        # supervised task lives on: found by its stall check and restarted
        ("annunciator_stall", "", {"stall_annunciator_at_s": (e2 + 2 * 60000) / 1000}),
    ]


def simulate(trace, days, name, faults, inject, seed=SEED, start_minute=0):
    """(event dicts, wall s) of one headless run of the real firmware."""
    from bench_device import _sim
    extra = {"TRACE": trace, "START": start_minute, "SEED": seed}
    if faults:
        extra["FAULTS"] = faults
    if inject:
        extra["INJECT"] = json.dumps(inject)
    flash = "bench-resilience-%s-%s" % (os.path.basename(trace)[:-4], name)
    return _sim(days, flash, **extra)


def _one(job):
    trace, days, name, faults, inject, wins, end_ms, seed = job
    events, wall = simulate(trace, days, name, faults, inject, seed)
    fig = figures(events, wins, end_ms)
    low = fig["urgent_low_to_sound_s"]
    fig["wall_s"] = round(wall, 1)
    fig["trace"] = os.path.basename(trace)
    fig["inject"] = inject
    fig["faults"] = faults
    fig["seed"] = seed
    if (low["never"] or fig["silent_stale_minutes"]["worst_stretch_s"] * 1000 > REBOOT_TOLERANCE_MS
            or any(g["silent"] for g in fig["no_data_to_sound_s"]["unsounded"])):
        fig["_events"] = events  # kept for the write-up of a silent failure
    return name, fig


def around(events, t_ms, before_ms=30 * 60000, after_ms=10 * 60000):
    """The event lines near t_ms (links left out), for a write-up."""
    return [e for e in events if t_ms - before_ms <= e.get("t_ms", 0) <= t_ms + after_ms
            and e.get("event") not in ("link", "heap")]


def run():
    import mpybuild
    days = float(os.environ.get("RESILIENCE_DAYS") or 3)
    n = int(os.environ.get("RESILIENCE_TRACES") or 3)
    end_ms = int(days * 86400000)
    paths = sorted(os.path.join(TRACES_DIR, f) for f in os.listdir(TRACES_DIR) if f.endswith(".csv"))
    chosen = pick_traces(paths, n, days)
    mpybuild.build()  # once, before the runs share build/mpy
    jobs = []
    for i, (minutes, trace) in enumerate(chosen):
        wins = windows(load_trace(trace), 0, end_ms)
        for name, faults, inject in scenarios(low_episodes(wins), end_ms):
            # one seed per trace: each trace meets its own sequence of radio faults
            jobs.append((trace, days, name, faults, inject, wins, end_ms, SEED + i))
    t0 = time.time()
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(_one, jobs))
    order = []
    per = {}
    for name, fig in done:
        if name not in per:
            order.append(name)
        per.setdefault(name, []).append(fig)
    out = {"days": days, "seeds": {os.path.basename(p): SEED + i for i, (m, p) in enumerate(chosen)},
           "radio_faults": RADIO_FAULTS,
           "traces": {os.path.basename(p): m for m, p in chosen},
           "wall_s": round(time.time() - t0, 1), "scenarios": {}, "silent_failures": []}
    for name in order:
        runs = per[name]
        out["scenarios"][name] = merge(runs)
        out["scenarios"][name]["runs"] = [
            {k: v for k, v in r.items() if not k.startswith("_")} for r in runs]
        for r in runs:
            for t in r["urgent_low_to_sound_s"]["never_at_ms"]:
                out["silent_failures"].append({"scenario": name, "trace": r["trace"], "seed": r["seed"],
                                               "what": "urgent low never sounded", "t_ms": t,
                                               "events": around(r["_events"], t)})
            for gap in r["no_data_to_sound_s"]["unsounded"]:
                if gap["silent"]:
                    out["silent_failures"].append({"scenario": name, "trace": r["trace"], "seed": r["seed"],
                                                   "what": "data stopped, no_data never sounded",
                                                   "t_ms": gap["from_ms"],
                                                   "events": around(r["_events"], gap["from_ms"] + GAP_MS)})
            st = r["silent_stale_minutes"]
            if st["worst_stretch_s"] * 1000 > REBOOT_TOLERANCE_MS:
                out["silent_failures"].append({"scenario": name, "trace": r["trace"], "seed": r["seed"],
                                               "what": "silent stale data", "t_ms": st["worst_from_ms"],
                                               "minutes": st["minutes"], "worst_s": st["worst_stretch_s"],
                                               "events": around(r["_events"], st["worst_from_ms"])})
    print_table(out)
    return out


def print_table(out):
    print("resilience: %s simulated days x %d traces (%s), %.0f s wall" % (
        out["days"], len(out["traces"]), ", ".join("%s %d min<55, seed %d" % (k, v, out["seeds"][k])
                                                   for k, v in out["traces"].items()),
        out["wall_s"]))
    head = ("scenario", "low->high s med/max (n)", "never", "low->urgent_low s", "nodata->snd s med/max (n)",
            "covrd", "unsnd", "silent min (worst)", "captured", "resets", "resound s", "device")
    fmt = "  %-17s %-24s %-5s %-17s %-25s %-5s %-5s %-18s %-8s %-6s %-11s %s"
    print(fmt % head)
    for name, s in out["scenarios"].items():
        lo, nd, st, cap = (s["urgent_low_to_sound_s"], s["no_data_to_sound_s"],
                           s["silent_stale_minutes"], s["readings_captured"])
        own = lo["urgent_low_alarm_s"]
        print(fmt % (name, "%s/%s (%d)" % (lo["median"], lo["max"], lo["n"]), lo["never"],
                     "%s/%s (%d)" % (own["median"], own["max"], own["n"]),
                     "%s/%s (%d)" % (nd["median"], nd["max"], nd["n"]), nd["covered"], nd["unsounded"],
                     "%s (%s s)" % (st["minutes"], st["worst_stretch_s"]),
                     "%.1f%%" % (100 * cap["share"]) if cap["share"] is not None else "-",
                     s["resets"], ",".join(str(x) for x in s["resound_after_reset_s"]) or "-",
                     s["device_alarms"]))
    for f in out["silent_failures"]:
        print("  SILENT: %s, %s on %s at t=%d ms" % (f["what"], f["scenario"], f["trace"], f["t_ms"]))


if __name__ == "__main__":
    print(json.dumps(run(), indent=1, default=str))
