"""Simulated traces with the sensor's error scaled (issue 4 study, session 66).

For each row of a `minute,true_bg,cgm` trace the new CGM is

    cgm' = ref + alpha * (cgm - ref),   ref = true_bg of the row `lag` minutes earlier

rounded to whole mg/dL and clipped to 40..400 as a Dexcom reports. alpha 1 and
lag 0 keep the CGM (clipped); alpha 0 is the reference itself (lag 0) or the
reference seen `lag` minutes late, without noise. A row whose lagged reference
is missing gets no reading. minute and true_bg are copied, so the scorer's
events (defined on true_bg) stay the same.

simglucose's `true_bg` is its subcutaneous glucose, the signal its sensor
measures, so cgm - true_bg there is the sensor's noise (and a 5-minute hold),
not the 10-15 minutes by which interstitial glucose trails blood glucose.

    python -m alarmbench.sensor_error SRC_DIR OUT_DIR --alpha A [--lag MIN]
    python -m alarmbench --traces OUT_DIR --systems engine,threshold --cpython
"""
import argparse
import csv
import glob
import math
import os
import sys

from . import traces

LOWEST, HIGHEST = 40, 400   # what a Dexcom reports as a number


def dexcom_reading(value):
    """Whole mg/dL (halves up), clipped to what a Dexcom reports as a number."""
    return min(HIGHEST, max(LOWEST, int(math.floor(value + 0.5))))


def scaled_rows(rows, alpha, lag=0):
    """[(minute, true_bg, cgm)] -> the same rows with cgm' (None: no reading)."""
    true_at = {m: bg for m, bg, _ in rows}
    out = []
    for minute, true_bg, cgm in rows:
        ref = true_at.get(minute - lag)
        if ref is None or cgm is None:
            out.append((minute, true_bg, None))
            continue
        out.append((minute, true_bg, dexcom_reading(ref + alpha * (cgm - ref))))
    return out


def read_rows(path):
    """[(minute, true_bg, cgm)] of a trace, by the bench's rules (tools/tracefile.py), the
    values as written (not rounded). TraceError (a ValueError) on a malformed file."""
    rows = []
    for n, minute, cell, extra in traces.trace_rows(path, ("true_bg",)):
        if "true_bg" not in extra:
            raise traces.TraceError("%s: needs the columns minute,true_bg,cgm" % path)
        rows.append((minute, traces.cell_value(extra["true_bg"], path, n, traces.reference_cell),
                     traces.cell_value(cell, path, n)))
    return rows


def write_rows(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["minute", "true_bg", "cgm"])
        for minute, true_bg, cgm in rows:
            w.writerow([minute, "" if true_bg is None else true_bg, "" if cgm is None else cgm])


def scale_dir(src, out, alpha, lag=0):
    """Write every `*.csv` of src to out with the scaled error; returns the paths."""
    paths = sorted(glob.glob(os.path.join(src, "*.csv")))
    if not paths:
        raise ValueError("no *.csv traces in %s" % src)
    os.makedirs(out, exist_ok=True)
    written = []
    for path in paths:
        target = os.path.join(out, os.path.basename(path))
        write_rows(target, scaled_rows(read_rows(path), alpha, lag))
        written.append(target)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(prog="alarmbench.sensor_error",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--alpha", type=float, required=True, help="share of the error kept")
    ap.add_argument("--lag", type=int, default=0, help="minutes the reference is seen late")
    a = ap.parse_args(argv)
    try:
        n = len(scale_dir(a.src, a.out, a.alpha, a.lag))
    except (OSError, ValueError) as e:
        print("sensor_error: %s" % e, file=sys.stderr)
        return 2
    print("wrote %d traces to %s (alpha %g, lag %d min)" % (n, a.out, a.alpha, a.lag))
    return 0


if __name__ == "__main__":
    sys.exit(main())
