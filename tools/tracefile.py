"""CGM trace files, read the same way by every tool: `make replay`, the alarm
bench and the simulator's virtual transmitter (so a trace means one thing).

Trace: UTF-8 CSV with a header holding `minute` and `cgm` (any order, any case,
quoted cells as in RFC 4180, a byte-order mark and any line ends allowed; other
columns ignored), minutes increasing, no gap over MAX_GAP_MIN. Absent rows (and
rows of empty cells) are missing readings, and so are the cells "", NA, NaN,
null, none and "-", and a cgm of 0..13 (Dexcom's codes that are not a glucose:
the firmware drops them too); LOW and HIGH (how Dexcom exports show readings
under 40 and over 400) are read as 39 and 401. Any other text, a negative cgm
and a value that is not finite are errors (TraceError) with their line. A
reference column (true_bg, bench only) may reach 0 (simglucose's floor). A file
whose every cgm number is under 35 is in mmol/L and refused; LOW and HIGH are no
number (an export writes the same words in mg/dL and in mmol/L), so they are
left out of that judgement: a mmol/L file with a LOW in it is still refused, and
a file whose only values are LOW and HIGH is read (39 and 401 whatever its units).
A usable cgm is rounded to whole mg/dL (int(v + 0.5)), as a sensor reports it,
before the status codes are dropped, in usable(): the replay's engine and the
bench's peers see the same numbers.

Files are read a row at a time, never held whole (recorded exports run to
months, and MicroPython's heap is small): check_trace(path) reads the file once
to raise TraceError, trace_readings(path) then yields (minute, mg/dL or None).
Pure: runs on MicroPython and CPython.
"""
import sys

_HERE = __file__.rpartition("/")[0] if "/" in __file__ else "."
# first on CPython; last on MicroPython, whose MICROPYPATH names the firmware already
# and may put a mutant's copy before it (tools/mutation.py --mpy): first, this path hid it
if sys.implementation.name == "micropython":
    sys.path.append(_HERE + "/../firmware")
else:
    sys.path.insert(0, _HERE + "/../firmware")

class TraceError(ValueError):
    """The trace file cannot be read (missing columns, bad numbers, minutes out of order)."""


MISSING = ("", "na", "nan", "null", "none", "-")
OUT_OF_RANGE = {"low": 39.0, "high": 401.0}
MAX_GAP_MIN = 366 * 1440  # a longer gap is a wrong minute (replay ticks through gaps)
_INF = float("inf")


from dexcom.protocol import GLUCOSE_MAX_CODE as CODES_MAX  # noqa: E402 (codes, not glucose)


def glucose_cell(text):
    """mg/dL of one glucose cell (any finite number), None when it says "no reading";
    ValueError otherwise."""
    t = text.strip().strip('"').strip().lower()
    if t in MISSING:
        return None
    if t in OUT_OF_RANGE:
        return OUT_OF_RANGE[t]
    v = _float(t, "glucose", text)
    if v != v:
        return None
    if not -_INF < v < _INF:
        raise ValueError("glucose %r is not finite" % (text,))
    return v


def cgm_cell(text):
    """A CGM cell's value, None for no reading; a negative value is an error. The
    status codes 0..CODES_MAX are kept here for the units check: usable_cgm() drops them."""
    v = glucose_cell(text)
    if v is not None and v < 0:
        raise ValueError("cgm %r is negative" % (text,))
    return v


def out_of_range_cell(text):
    """True for a LOW or HIGH cell: a reading the sensor could not measure, written
    alike in mg/dL and mmol/L exports, so it says nothing of the file's units."""
    return text.strip().strip('"').strip().lower() in OUT_OF_RANGE


def usable(v):
    """A cgm value once the units are checked, in whole mg/dL as a sensor gives it;
    None for a status code (0..CODES_MAX once rounded), which no sensor reports as
    glucose. The one rounding of the replay and the bench (the bench's peers got
    the file's fractions while the engine got whole numbers)."""
    if v is None:
        return None
    v = int(v + 0.5)
    return None if v <= CODES_MAX else v


def usable_cgm(values):
    return [usable(v) for v in values]


def reference_cell(text):
    """A reference (true) glucose: simglucose's patients bottom out at 0 (also
    written -0.0); a value below 0 is read as 0, a severe low."""
    v = glucose_cell(text)
    return None if v is None else max(v, 0.0)


def _float(t, what, text):
    try:
        return float(t)
    except ValueError:  # the same words on both runtimes
        raise ValueError("%s %r is not a number" % (what, text))


def minute_cell(text):
    """The minute of one row (an int); ValueError when it is not a finite number."""
    v = _float(text.strip().strip('"'), "minute", text)
    if not -_INF < v < _INF:
        raise ValueError("minute %r is not finite" % (text,))
    return int(v)


def check_minute(minute, prev):
    """Why `minute` cannot follow `prev` (None: it can)."""
    if prev is None:
        return None
    if minute <= prev:
        return "minute %d not after %d" % (minute, prev)
    if minute - prev > MAX_GAP_MIN:
        return "minute %d is %d days after %d (a wrong minute?)" % (minute, (minute - prev) // 1440, prev)
    return None


def header_columns(cells):
    """The header's cells, normalised: no BOM, quotes or spaces, lower case."""
    if cells:
        cells = [cells[0].lstrip("\ufeff")] + cells[1:]
    return [c.strip().strip('"').strip().lower() for c in cells]


def split_cells(line):
    """The cells of one CSV line, quotes taken off ("a, b" is one cell and ""
    inside quotes one quote); ValueError on a quote left open. By hand because
    the replay runs on MicroPython, which has no `csv` (nor has micropython-lib)."""
    if '"' not in line:
        return line.split(",")
    cells, cell, quoted, i, n = [], [], False, 0, len(line)
    while i < n:
        ch = line[i]
        if quoted:
            if ch != '"':
                cell.append(ch)
            elif i + 1 < n and line[i + 1] == '"':
                cell.append(ch)
                i += 1
            else:
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == ",":
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(ch)
        i += 1
    if quoted:
        raise ValueError("a quote is not closed")
    cells.append("".join(cell))
    return cells


def _lines(f, path):
    """The lines of a text file, whatever their ends: \n, \r\n or a lone \r (old
    Mac exports; MicroPython's open() leaves line ends as they are)."""
    rest, n = "", 0
    while True:
        try:
            chunk = f.read(4096)
        except UnicodeError:
            raise TraceError("%s after line %d: not UTF-8 text (save the export as UTF-8)" % (path, n))
        if not chunk:
            break
        text = rest + chunk
        cr = text.endswith("\r")  # maybe the first half of a \r\n split by the chunk
        if cr:
            text = text[:-1]
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        rest = parts.pop() + ("\r" if cr else "")
        for p in parts:
            n += 1
            yield p
    rest = rest.rstrip("\r")
    if rest:
        yield rest


def csv_rows(path):
    """(line number, cells) of each line of a CSV file with a cell that is not
    empty; the header is the first. A file that cannot be opened is a TraceError
    naming it (MicroPython's OSError says only ENOENT)."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise TraceError("cannot read %s: %s" % (path, e))
    try:
        for n, line in enumerate(_lines(f, path), 1):
            try:
                cells = split_cells(line)
            except ValueError as e:
                raise TraceError("%s line %d: %s in %r" % (path, n, e, line))
            for c in cells:
                if c.strip():
                    yield n, cells
                    break
    finally:
        f.close()


MMOL_MAX = 35.0  # every reading under this: the file is in mmol/L (33.3 = 600 mg/dL)


def check_units(values, path):
    """A file whose every glucose is under MMOL_MAX is in mmol/L, not mg/dL: no single
    cell can tell (5.5 would read as an urgent low), the whole file can. `values`:
    the numbers of the cgm cells (None for no reading, and for LOW and HIGH: their
    39 and 401 would make any mmol/L file look like mg/dL), any iterable, read once."""
    top = None
    for v in values:
        if v is not None and (top is None or v > top):
            top = v
    if top is not None and top < MMOL_MAX:
        raise TraceError("%s: every glucose number is under %d (LOW / HIGH aside): mmol/L? the "
                         "trace must be in mg/dL (multiply by 18)" % (path, MMOL_MAX))


def trace_rows(path, optional=()):
    """(line number, minute, cgm cell, {name: cell}) for each row of a trace, the
    header and the minutes checked; `optional` names columns to hand over when
    present. TraceError on a malformed file."""
    head = prev = None
    for n, cells in csv_rows(path):
        if head is None:
            head = header_columns(cells)
            if "minute" not in head or "cgm" not in head:
                raise TraceError("%s: header must name minute and cgm columns, got %r" % (path, head))
            im, ic = head.index("minute"), head.index("cgm")
            extra = [(name, head.index(name)) for name in optional if name in head]
            continue
        try:
            if im >= len(cells):
                raise ValueError("no minute cell")
            minute = minute_cell(cells[im])
        except ValueError as e:
            raise TraceError("%s line %d: bad number in %r: %s" % (path, n, ",".join(cells), e))
        why = check_minute(minute, prev)
        if why:
            raise TraceError("%s line %d: %s" % (path, n, why))
        prev = minute
        yield n, minute, cells[ic] if ic < len(cells) else "", \
            dict((name, cells[k] if k < len(cells) else "") for name, k in extra)
    if head is None:
        raise TraceError("%s: empty file" % path)


def cell_value(cell, path, n, read=None):
    """read(cell) (default cgm_cell), a ValueError turned into a TraceError with its line."""
    try:
        return (read or cgm_cell)(cell)
    except ValueError as e:
        raise TraceError("%s line %d: bad number %r: %s" % (path, n, cell, e))


# A trace is read twice, a row at a time: the first pass checks the whole file,
# so a caller can refuse a bad line late in it before acting on any row.
def _cells(path):
    for n, minute, cell, _ in trace_rows(path):
        yield minute, cell_value(cell, path, n), cell


def check_trace(path):
    """TraceError (or OSError) for a file replay cannot take; reads it once."""
    check_units((None if out_of_range_cell(c) else v for _, v, c in _cells(path)), path)


def trace_readings(path):
    """(minute, mg/dL or None) of a checked trace, a row at a time."""
    for minute, v, _ in _cells(path):
        yield minute, usable(v)


def read_trace(path):
    check_trace(path)
    return list(trace_readings(path))
