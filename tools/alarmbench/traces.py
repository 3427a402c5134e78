"""Load CGM traces: CSV with a header `minute,cgm[,true_bg]` (any column order).

Missing rows are missing readings (5-minute cadence). The file is read by
`make replay`'s rules (tools/tracefile.py trace_rows, cgm_cell, reference_cell: NA,
blank and a cgm of 0..13 are missing values, LOW / HIGH are 39 / 401, other text,
a negative cgm and infinities are errors; a true_bg below 0 reads as 0; the cgm in
whole mg/dL, rounded by tracefile.usable as for the engine), so the bench scores the
same readings the replay feeds the engine. Minutes must increase.
"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tracefile import (TraceError, cell_value, check_units, out_of_range_cell,  # noqa: E402,F401
                       reference_cell, trace_rows, usable_cgm)
# TraceError: a trace file is malformed (no minute/cgm column, bad minute, unsorted)


STEP = 5          # minutes between readings: each reading's own slot
GAP_MIN = 120     # a longer time between two readings is a gap, not covered time


class Trace:
    """One trace: `name`, `minutes` (ints, increasing), `cgm` (whole mg/dL) and `ref`
    (float) lists, None where missing (same length). `ref` is the scoring reference: `true_bg` when
    the file has it, else the CGM itself."""

    def __init__(self, name, minutes, cgm, ref):
        self.name, self.minutes, self.cgm, self.ref = name, minutes, cgm, ref

    def readings(self):
        """(minute, cgm) for every row with a CGM value: what a system sees."""
        return [(m, g) for m, g in zip(self.minutes, self.cgm) if g is not None]

    def reference(self):
        """(minute, ref) for every row with a reference value."""
        return [(m, r) for m, r in zip(self.minutes, self.ref) if r is not None]

    def days(self):
        """Covered time in days, what per-day rates divide by: from the first row
        with a reading (cgm or reference) to the last, plus one 5-minute slot, less
        every gap of more than GAP_MIN between two such rows (but the 5-minute slot
        of the reading before it). A gap of 14 days counted as 14 days of no alarms
        made onsets and false onsets per day look ~80 times rarer on a trace of 4
        hours of readings; the shared recorded set is cut into parts at such gaps."""
        ms = [m for m, g, r in zip(self.minutes, self.cgm, self.ref) if g is not None or r is not None]
        if not ms:
            return 0.0
        covered = STEP
        for a, b in zip(ms, ms[1:]):
            covered += b - a if b - a <= GAP_MIN else STEP
        return covered / 1440.0


def load(path):
    """Read one CSV trace; raise TraceError on a malformed file."""
    name = os.path.splitext(os.path.basename(path))[0]
    minutes, cgm, ref, numbers = [], [], [], []
    for n, minute, cell, extra in trace_rows(path, ("true_bg",)):
        minutes.append(minute)
        cgm.append(cell_value(cell, path, n))
        if not out_of_range_cell(cell):   # LOW / HIGH say nothing of the units
            numbers.append(cgm[-1])
        if "true_bg" in extra:
            ref.append(cell_value(extra["true_bg"], path, n, reference_cell))
    check_units(numbers, path)
    cgm = usable_cgm(cgm)
    if len(ref) != len(cgm):  # no true_bg column: the CGM is its own reference
        ref = list(cgm)
    return Trace(name, minutes, cgm, ref)


def load_dir(directory):
    """All `*.csv` traces of a directory, sorted by name."""
    paths = sorted(glob.glob(os.path.join(directory, "*.csv")))
    if not paths:
        raise TraceError("no *.csv traces in %s" % directory)
    return [load(p) for p in paths]


def from_values(values, start=0, step=5, ref=None, name="trace"):
    """Build a Trace from a list of values (None = missing reading); for tests."""
    minutes, cgm, refs = [], [], []
    for i, v in enumerate(values):
        r = ref[i] if ref is not None else v
        if v is None and r is None:
            continue
        minutes.append(start + i * step)
        cgm.append(None if v is None else float(v))
        refs.append(None if r is None else float(r))
    return Trace(name, minutes, cgm, refs)
