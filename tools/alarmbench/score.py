"""The alarm benchmark's scorer (definitions from issue 4; minutes, mg/dL).

- Event: the reference below 70 (low) or below 54 (urgent) for at least 15
  minutes, i.e. a run whose first-to-last reading span plus one 5-minute slot
  is >= 15 (3 readings). Inside a run one missing reading is bridged; two or
  more missing readings end it.
- Two events of a kind are one unless separated by at least 30 minutes at or
  above the threshold: the longest run of readings at/above the threshold
  between them (same bridging rule, duration = span + 5) must be >= 30.
  Missing data between two events is not "at or above", so it does not
  separate them.
- Low-type onsets: `urgent_low`, `urgent_low_soon`, `low`; urgent-type:
  `urgent_low`, `urgent_low_soon`. A low event is warned by a low-type onset
  in [start - 60, start + 15], an urgent event only by an urgent-type onset
  in that window; lead = start - first such onset.
- Precision: share of low-type onsets with a reference reading below 70 in
  [t, t + 30]; false onsets are the others.
- Figures pool events and onsets over all traces of a set; per-day rates use
  the traces' covered time (traces.Trace.days: first to last reading plus 5
  minutes, less every gap over 2 hours between two readings).
  `onsets_per_day` counts low-type onsets (the ones precision is about);
  `all_onsets_per_day` counts every onset printed.

An onset is a dict {"t": minute, "type": str, "priority": str, "sgv": ...}.
"""
import statistics

LOW, URGENT = 70, 54
STEP = 5                 # minutes between readings
MIN_EVENT = 15           # minutes below threshold for an event
SEPARATION = 30          # minutes at/above threshold that split two events
WINDOW_BEFORE, WINDOW_AFTER = 60, 15
PRECISION_HORIZON = 30
LOW_TYPES = ("urgent_low", "urgent_low_soon", "low")
URGENT_TYPES = ("urgent_low", "urgent_low_soon")


def runs(samples, predicate):
    """Runs of consecutive samples (minute, value) satisfying predicate, as
    [(start, end)]; one missing reading is bridged, a longer gap ends a run."""
    out, start, last = [], None, None
    for m, v in samples:
        if start is not None and m - last > 2 * STEP:
            out.append((start, last))
            start = None
        if predicate(v):
            if start is None:
                start = m
            last = m
        else:
            if start is not None:
                out.append((start, last))
                start = None
            last = m
    if start is not None:
        out.append((start, last))
    return out


def duration(run):
    return run[1] - run[0] + STEP


def events(samples, threshold):
    """Events (start, end) where the reference stays below threshold."""
    below = [r for r in runs(samples, lambda v: v < threshold) if duration(r) >= MIN_EVENT]
    above = runs(samples, lambda v: v >= threshold)
    merged = []
    for ev in below:
        if merged:
            prev = merged[-1]
            between = [duration(a) for a in above if a[0] > prev[1] and a[1] < ev[0]]
            if max(between, default=0) < SEPARATION:
                merged[-1] = (prev[0], ev[1])
                continue
        merged.append(ev)
    return merged


def first_warning(start, onsets, types):
    """Minute of the first onset of `types` in [start-60, start+15], or None."""
    ts = [o["t"] for o in onsets if o["type"] in types
          and start - WINDOW_BEFORE <= o["t"] <= start + WINDOW_AFTER]
    return min(ts) if ts else None


def onset_is_true(t, samples):
    return any(t <= m <= t + PRECISION_HORIZON and v < LOW for m, v in samples)


class Tally:
    """Counts pooled over traces; `figures()` gives the per-system result."""

    def __init__(self):
        self.days = 0.0
        self.low_events = self.urgent_events = 0
        self.low_leads, self.urgent_leads = [], []
        self.low_onsets = self.true_onsets = self.all_onsets = 0

    def add(self, trace, onsets):
        ref = trace.reference()
        self.days += trace.days()
        self.all_onsets += len(onsets)
        low_onsets = [o for o in onsets if o["type"] in LOW_TYPES]
        for start, _ in events(ref, LOW):
            self.low_events += 1
            t = first_warning(start, low_onsets, LOW_TYPES)
            if t is not None:
                self.low_leads.append(start - t)
        for start, _ in events(ref, URGENT):
            self.urgent_events += 1
            t = first_warning(start, low_onsets, URGENT_TYPES)
            if t is not None:
                self.urgent_leads.append(start - t)
        self.low_onsets += len(low_onsets)
        self.true_onsets += sum(1 for o in low_onsets if onset_is_true(o["t"], ref))
        return self

    def figures(self):
        def share(n, d):
            return round(n / d, 4) if d else None

        def median(xs):
            return statistics.median(xs) if xs else None

        days = self.days or float("nan")
        false = self.low_onsets - self.true_onsets
        return {
            "urgent_sensitivity": share(len(self.urgent_leads), self.urgent_events),
            "urgent_median_lead": median(self.urgent_leads),
            # how close the median is to a lead target: the share warned 20+ min ahead
            "urgent_warned_20min_ahead": share(sum(1 for x in self.urgent_leads if x >= 20),
                                               self.urgent_events),
            "low_sensitivity": share(len(self.low_leads), self.low_events),
            "low_median_lead": median(self.low_leads),
            "precision": share(self.true_onsets, self.low_onsets),
            "onsets_per_day": round(self.low_onsets / days, 3),
            "false_onsets_per_day": round(false / days, 3),
            "all_onsets_per_day": round(self.all_onsets / days, 3),
            "urgent_events": self.urgent_events,
            "low_events": self.low_events,
            "low_onsets": self.low_onsets,
            "false_onsets": false,
            "days": round(self.days, 2),
        }


def score(pairs):
    """Figures for one system over [(trace, onsets), ...]."""
    tally = Tally()
    for trace, onsets in pairs:
        tally.add(trace, onsets)
    return tally.figures()


COLUMNS = (("urgent_sensitivity", "urg sens", "%"), ("urgent_median_lead", "urg lead", "min"),
           ("low_sensitivity", "low sens", "%"), ("low_median_lead", "low lead", "min"),
           ("precision", "precision", "%"), ("onsets_per_day", "onsets/d", "f"),
           ("false_onsets_per_day", "false/d", "f"))


def table(title, results):
    """A text table: rows = systems, columns = the figures."""
    lines = [title, "%-11s" % "system" + "".join("%11s" % c[1] for c in COLUMNS)]
    for system, fig in results.items():
        if "error" in fig:
            lines.append("%-11s  ERROR: %s" % (system, fig["error"]))
            continue
        cells = []
        for key, _, kind in COLUMNS:
            v = fig.get(key)
            if v is None:
                cells.append("-")
            elif kind == "%":
                cells.append("%.1f%%" % (100 * v))
            elif kind == "min":
                cells.append("%g" % v)
            else:
                cells.append("%.2f" % v)
        lines.append("%-11s" % system + "".join("%11s" % c for c in cells))
    ev = next((f for f in results.values() if "error" not in f), None)
    if ev:
        lines.append("(%d urgent and %d low events over %.1f days)"
                     % (ev["urgent_events"], ev["low_events"], ev["days"]))
    return "\n".join(lines)
