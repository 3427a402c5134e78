"""Load CGM traces: CSV with a header `minute,cgm[,true_bg]` (any column order).

Missing rows are missing readings (5-minute cadence). Header and glucose cells
follow `make replay`'s rules (tools/replay.py: NA, blank... are missing values,
LOW / HIGH are 39 / 401, other text is an error), so the bench scores the same
readings the replay feeds the engine. Minutes must increase.
"""
import csv
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from replay import glucose_cell, header_columns  # noqa: E402


class TraceError(ValueError):
    """A trace file is malformed (no minute/cgm column, bad minute, unsorted)."""


class Trace:
    """One trace: `name`, `minutes` (ints, increasing), `cgm` and `ref` lists of
    float or None (same length). `ref` is the scoring reference: `true_bg` when
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
        """Length of the trace in days (first to last row, plus one 5-min slot)."""
        if not self.minutes:
            return 0.0
        return (self.minutes[-1] - self.minutes[0] + 5) / 1440.0


def _number(text, path, n):
    try:
        return glucose_cell(text)
    except ValueError:
        raise TraceError("%s line %d: bad glucose value %r" % (path, n, text))


def load(path):
    """Read one CSV trace; raise TraceError on a malformed file."""
    name = os.path.splitext(os.path.basename(path))[0]
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise TraceError("%s: empty file" % path)
    head = header_columns(",".join(rows[0]))
    if "minute" not in head or "cgm" not in head:
        raise TraceError("%s: header must name 'minute' and 'cgm' columns, got %r" % (path, head))
    im, ic = head.index("minute"), head.index("cgm")
    it = head.index("true_bg") if "true_bg" in head else None
    minutes, cgm, ref = [], [], []
    for n, row in enumerate(rows[1:], 2):
        if not row or not "".join(row).strip():
            continue
        try:
            m = int(float(row[im].strip()))
        except (ValueError, IndexError):
            raise TraceError("%s line %d: bad minute %r" % (path, n, row))
        if minutes and m <= minutes[-1]:
            raise TraceError("%s line %d: minute %d not after %d" % (path, n, m, minutes[-1]))
        g = _number(row[ic], path, n) if ic < len(row) else None
        minutes.append(m)
        cgm.append(g)
        ref.append((_number(row[it], path, n) if it < len(row) else None) if it is not None else g)
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
