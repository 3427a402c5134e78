# Trace files: CSV with a header naming `minute` and `cgm` (and optionally
# `true_bg`) in any order, one row per 5 minutes, as in ../shared/traces/.
# The transmitter reports `cgm` rounded and clamped to what a G6 sends
# (40..400 mg/dL); an empty or non-numeric cell means "no value" (None).


class TraceError(Exception):
    pass


def load(path):
    """Return a list of CGM values (int or None), one per 5-minute window."""
    values = []
    with open(path) as f:
        header = [h.strip() for h in f.readline().strip().split(",")]
        if "minute" not in header or "cgm" not in header:
            raise TraceError("%s: header needs 'minute' and 'cgm', got %r" % (path, header))
        i_min = header.index("minute")
        i_cgm = header.index("cgm")
        last_minute = None
        for line in f:
            line = line.strip()
            if not line:
                continue
            cells = line.split(",")
            try:
                minute = int(float(cells[i_min]))
            except (ValueError, IndexError):
                raise TraceError("%s: bad minute in %r" % (path, line))
            if last_minute is not None and minute - last_minute != 5:
                raise TraceError("%s: rows must be 5 minutes apart (%d after %d)" % (path, minute, last_minute))
            last_minute = minute
            try:
                v = float(cells[i_cgm])
                v = None if v != v else min(400, max(40, int(v + 0.5)))
            except (ValueError, IndexError):
                v = None
            values.append(v)
    if not values:
        raise TraceError("%s: no rows" % path)
    return values
