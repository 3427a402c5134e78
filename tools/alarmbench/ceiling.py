"""How much of a simulated set's lows the CGM can show at all (issue 4 study).

The scorer warns a low event only by an onset in [start - 60, start + 15]
(start = first reference reading below 70). An alarm that needs the CGM below X
can only warn the events whose CGM reads below X somewhere in that window; the
share of events where it never does is a ceiling on the sensitivity of any
such alarm, whatever its prediction. On simulated traces (reference = true
glucose, simglucose's subcutaneous one, which its sensor reads with a 5-min hold
and no further lag) this measures how far the sensor's error hides lows
(docs/ALARM_PREDICTION.md, session 66).

Two views, both from the traces alone:
- `window_minima`: per event, the lowest CGM in its scoring window;
- `threshold_frontier`: a plain alarm at CGM < L (clearing at L + 10, the
  engine's hysteresis) for a range of L, scored as the benchmark scores: what
  raising the threshold buys in sensitivity and costs in false onsets.

    python -m alarmbench.ceiling [DIR ...]     (from tools/; default ../shared/traces)
"""
import json
import sys

from . import runner, score, traces

LEVELS = (70, 74, 78, 82, 86)
URGENT_LEVELS = (55, 60, 65, 70, 75)
HYSTERESIS = 10


def window_minima(trace, threshold):
    """Lowest CGM in [start - 60, start + 15] for each event below threshold
    (None when the CGM has no reading in that window)."""
    cgm = trace.readings()
    out = []
    for start, _ in score.events(trace.reference(), threshold):
        lo, hi = start - score.WINDOW_BEFORE, start + score.WINDOW_AFTER
        window = [g for m, g in cgm if lo <= m <= hi]
        out.append(min(window) if window else None)
    return out


def hidden_share(minima, level):
    """Share of events whose CGM never reads below `level` in the window."""
    if not minima:
        return None
    return sum(1 for g in minima if g is None or g >= level) / len(minima)


def threshold_onsets(trace, level):
    onsets, active = [], False
    for m, g in trace.readings():
        if not active and g < level:
            active = True
            onsets.append({"t": m, "type": "low", "priority": "medium", "sgv": g})
        elif active and g >= level + HYSTERESIS:
            active = False
    return onsets


def study(directory):
    loaded = [traces.load(p) for p in runner.trace_paths(directory)]
    out = {"days": round(sum(t.days() for t in loaded), 1)}
    for name, threshold, levels in (("low", score.LOW, LEVELS),
                                    ("urgent", score.URGENT, URGENT_LEVELS)):
        minima = [g for t in loaded for g in window_minima(t, threshold)]
        out[name + "_events"] = len(minima)
        out[name + "_never_below"] = {str(x): hidden_share(minima, x) for x in levels}
    out["threshold_frontier"] = {}
    for level in LEVELS:
        f = score.score([(t, threshold_onsets(t, level)) for t in loaded])
        out["threshold_frontier"][str(level)] = {k: f[k] for k in (
            "low_sensitivity", "low_median_lead", "precision", "false_onsets_per_day")}
    return out


def table(title, s):
    pct = lambda x: "-" if x is None else "%.1f%%" % (100 * x)  # noqa: E731
    lines = [title, "%d low and %d urgent events over %.1f days" % (
        s["low_events"], s["urgent_events"], s["days"]),
        "CGM never below X in the scoring window (share of events):"]
    for kind in ("low", "urgent"):
        shares = s[kind + "_never_below"]
        lines.append("  %-7s " % kind + "  ".join("X=%s: %s" % (x, pct(v)) for x, v in shares.items()))
    lines.append("plain alarm at CGM < L:  L  low sens  lead  precision  false/day")
    for level, f in s["threshold_frontier"].items():
        lines.append("                        %3s  %8s  %4s  %9s  %9.2f" % (
            level, pct(f["low_sensitivity"]), f["low_median_lead"], pct(f["precision"]),
            f["false_onsets_per_day"]))
    return "\n".join(lines)


def main(argv):
    as_json = "--json" in argv
    dirs = [a for a in argv if a != "--json"] or [runner.SETS["simulated"]]
    out = {}
    for d in dirs:
        try:
            out[d] = study(d)
        except (OSError, traces.TraceError) as e:
            print("ceiling: %s: %s" % (d, e), file=sys.stderr)
            return 2
        if not as_json:
            print(table(d, out[d]))
    if as_json:
        print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
