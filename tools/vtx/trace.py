# Trace files for the virtual transmitter: read by tools/tracefile.py, the
# reader `make replay` and the alarm bench use, so a trace means the same
# everywhere (its docstring has the rules). One value per 5-minute window from
# the first row: an absent row or a missing cell is a window without a glucose
# (a sensor dropout), and the transmitter reports the rest rounded and clamped
# to what a G6 sends (40..400 mg/dL). Kept as 2 bytes per window, so a recorded
# export of months fits the simulator's heap.
from array import array

import tracefile
from tracefile import TraceError  # noqa: F401 (callers catch vtx.trace.TraceError)

_NONE = 0


class Values:
    """The windows' glucose: values[k] is an int or None; slices give lists."""

    def __init__(self, data):
        self._a = data

    def __len__(self):
        return len(self._a)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [None if v == _NONE else v for v in self._a[k]]
        v = self._a[k]
        return None if v == _NONE else v


def load(path):
    """The trace's glucose per 5-minute window (Values); TraceError for a file
    no tool can read, or one without any row. A row off the 5-minute grid of
    the first row goes to the nearest window (a later row for the same window
    wins)."""
    tracefile.check_trace(path)
    data = array("H")
    first = None
    for minute, v in tracefile.trace_readings(path):
        if first is None:
            first = minute
        k = (minute - first + 2) // 5
        while len(data) < k:
            data.append(_NONE)
        g = _NONE if v is None else min(400, max(40, v))
        if len(data) == k:
            data.append(g)
        else:
            data[k] = g
    if not data:
        raise TraceError("%s: no rows" % path)
    return Values(data)
