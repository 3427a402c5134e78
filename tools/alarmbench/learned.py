"""A learned upper reference for the engine's prediction (issue 4 study).

Question: is the engine's sensitivity/precision trade-off on simulated
patients a weakness of its design, or what the CGM itself allows? A gradient-
boosted classifier (scikit-learn) is trained on OTHER simulated patients with
the true glucose as label, on features any causal alarm could compute (the
last hour of CGM, and the engine's own filter state), then turned into alarms
and scored exactly like the engine:
- "low" onsets when P(true glucose < 70 within 30 min) crosses a threshold,
- "urgent_low_soon" onsets when P(true glucose < 54 within 30 min) does;
an alarm clears when its probability falls below half its threshold. The sweep
over thresholds draws the classifier's frontier; a design that sits on or above
it is using what the data hold.

Not part of the firmware or the tests (it needs scikit-learn and numpy, and
traces made with ../shared/traces/gen_traces.py: `python gen_traces.py OUT 7 SEED`).

    pip install scikit-learn
    python -m alarmbench.learned --train DIR[,DIR] --test DIR[,DIR]   (from tools/)
"""
import argparse
import os
import sys

from . import runner, score, traces

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "firmware"))

LAGS = (1, 2, 3, 4, 6, 9, 12)      # readings back (5 min each)
HISTORY = 12                        # readings of history a feature row needs
HORIZON = 6                         # readings ahead (30 min) for the labels
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def features(trace):
    """(minutes, cgm, rows, ok): one feature row per reading, causal."""
    import numpy as np
    from alarms.predict import Predictor
    m = np.array(trace.minutes)
    c = np.array([np.nan if v is None else v for v in trace.cgm], float)
    rows = np.full((len(c), 18), np.nan)
    pred = Predictor()
    for i in range(len(c)):
        if not np.isnan(c[i]):
            pred.update(int(m[i]) * 60, float(c[i]))
        if i < HISTORY or np.isnan(c[i]) or not pred.ready():
            continue
        mu20, sd20 = pred.predict(20)
        mu10, sd10 = pred.predict(10)
        f = [c[i]] + [c[i] - c[i - k] for k in LAGS]
        f += [np.nanmin(c[i - HISTORY:i + 1]), np.nanmax(c[max(0, i - 36):i + 1]) - c[i],
              pred.level(), pred.rate(), pred.n, mu20, sd20, mu10, sd10,
              c[i] - 2 * c[i - 1] + c[i - 2]]
        rows[i] = f
    ok = ~np.isnan(rows).any(axis=1)
    return m, c, rows, ok


def labels(trace, threshold):
    import numpy as np
    ref = np.array([np.inf if v is None else v for v in trace.ref], float)
    return np.array([np.any(ref[i:i + HORIZON + 1] < threshold) for i in range(len(ref))])


def onsets(minutes, cgm, prob, threshold, kind):
    out, active = [], False
    for t, g, p in zip(minutes, cgm, prob):
        if p != p:      # NaN: no feature row here
            continue
        if not active and p >= threshold:
            active = True
            out.append({"t": int(t), "type": kind, "priority": "high", "sgv": g})
        elif active and p < threshold / 2:
            active = False
    return out


def load(dirs):
    return [traces.load(p) for d in dirs.split(",") for p in runner.trace_paths(d)]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="alarmbench.learned", description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True, help="folders of generated traces, comma-separated")
    ap.add_argument("--test", required=True, help="held-out folders, comma-separated")
    ap.add_argument("--low-thresholds", default=",".join(str(t) for t in THRESHOLDS),
                    help="P(low) thresholds to sweep, comma-separated")
    ap.add_argument("--urgent-thresholds", default="0.3,0.5,0.7",
                    help="P(urgent) thresholds to sweep, comma-separated")
    a = ap.parse_args(argv)
    a.low_thresholds = [float(x) for x in a.low_thresholds.split(",")]
    a.urgent_thresholds = [float(x) for x in a.urgent_thresholds.split(",")]
    try:
        import numpy as np
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        print("this study needs numpy and scikit-learn: pip install scikit-learn", file=sys.stderr)
        return 2
    train, test = load(a.train), load(a.test)
    rows = [features(t) for t in train]
    x = np.vstack([r[2][r[3]] for r in rows])
    models = {}
    for kind, level in (("low", score.LOW), ("urgent_low_soon", score.URGENT)):
        y = np.concatenate([labels(t, level)[r[3]] for t, r in zip(train, rows)])
        models[kind] = HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, random_state=1).fit(x, y)
    print("trained on %d rows from %d traces" % (len(x), len(train)))
    probs = []
    for t in test:
        m, c, f, ok = features(t)
        p = {}
        for kind, model in models.items():
            p[kind] = np.full(len(m), np.nan)
            p[kind][ok] = model.predict_proba(f[ok])[:, 1]
        probs.append((t, m, c, p))
    print("P(low) P(urgent)  urg sens/lead  urg>=20  low sens/lead  precision  false/day")
    for th_low in a.low_thresholds:
        for th_urgent in a.urgent_thresholds:
            pairs = [(t, sorted(onsets(m, c, p["low"], th_low, "low")
                                + onsets(m, c, p["urgent_low_soon"], th_urgent, "urgent_low_soon"),
                                key=lambda o: o["t"])) for t, m, c, p in probs]
            f = score.score(pairs)
            print("  %.2f   %.2f    %5.1f%% / %-4s   %4.0f%%   %5.1f%% / %-4s   %6.1f%%   %6.2f" % (
                th_low, th_urgent, 100 * f["urgent_sensitivity"], f["urgent_median_lead"],
                100 * (f.get("urgent_warned_20min_ahead") or 0), 100 * f["low_sensitivity"], f["low_median_lead"], 100 * f["precision"],
                f["false_onsets_per_day"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
