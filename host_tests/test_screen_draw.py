# What firmware/screen/draw.py puts on a canvas, pinned rule by rule on the
# MicroPython unix port (draw.py needs framebuf, which CPython has not).
#
# What a family relies on and the end-to-end panel tests (test_screen.py) do not
# look at: the trend arrow points the way glucose moves (a FortyFiveDown drawn
# pointing up says the opposite of the truth at 3 a.m.; a Double arrow is two),
# the number is as large as fits and nothing is drawn off the panel at any size
# the boards use, a stale number is crossed out and loses its arrow, a sounding
# alarm's title is on a full-width bar of its priority colour (an answered one is
# plain, in that colour), a redraw over the last picture (the TFT, whole=False)
# leaves exactly what a cleared screen would show, the OLED's burn-in shift moves
# the picture by one pixel, and steps() hands the event loop a turn between parts.
#
# One MicroPython program runs once for the module: a recording canvas (width,
# height, ink(role) with a distinct colour per role, fill and fill_rect recorded
# in order) is drawn on, and every recording is printed as JSON. The checks run
# here, on a raster replayed from the recorded rectangles (clipped, as framebuf
# and the ST7789 driver clip), and on text found by framebuf's own 8x8 font
# bitmap (dumped by the same program). The arrows' strokes are recorded by
# putting a recorder in place of draw._stroke (its own test checks the real one).
import json
import math

import pytest

from conftest import run_micropython

FG, BG, HIGH, MEDIUM, LOW = 1, 2, 3, 4, 5
INK = {"fg": FG, "bg": BG, "high": HIGH, "medium": MEDIUM, "low": LOW}
SINGLE = ("SingleUp", "FortyFiveUp", "Flat", "FortyFiveDown", "SingleDown")
DOUBLE = ("DoubleUp", "DoubleDown")
UNKNOWN = ("NONE", "NotComputable", "RateOutOfRange", "", "singleup", "Double")
SIZES = range(16, 49)          # every arrow size the layout makes (_fit: 16..48)
AX, AY = 100, 60               # where the lone arrows are drawn
R2 = math.sqrt(0.5)
# screen direction (x right, y down) of each trend: the way glucose moves
UNIT = {"SingleUp": (0, -1), "FortyFiveUp": (R2, -R2), "Flat": (1, 0),
        "FortyFiveDown": (R2, R2), "SingleDown": (0, 1)}
STROKES = [[0, 0, 10, 4, 3], [3, 9, 3, -6, 4], [20, 20, 10, 2, 5], [5, 5, 6, 5, 3], [7, 7, 7, 7, 3]]

# the panels: the OLEDs of boards/esp32-devkitc-oled.json (128x64) and its 128x32
# variant ("height": 32), the M5StickC PLUS2's TFT (240x135, landscape), and the
# same TFT held upright (135x240: no board makes this canvas, st7789.py draws
# landscape only; its number, arrow and redraw are checked, not its lines)
BOARDS = [(128, 32), (128, 64), (240, 135)]
PANELS = BOARDS + [(135, 240)]

# views as screen/view.py composes them:
#   (big, direction, age, title, detail, priority, stale, sounding)
VIEWS = [["---", None, "", "", "", None, False, False],
         ["123", "Flat", "now", "", "", None, False, False],
         ["54", "SingleDown", "2 min", "URGENT LOW", "", "high", False, True],
         ["HIGH", "DoubleUp", "12 min", "HIGH", "silenced", "low", False, False],
         ["6.8", "FortyFiveUp", "old: 11 min", "NO DATA", "not heard", "medium", True, True],
         ["LOW", "DoubleDown", "now", "URGENT LOW", "snoozed", "high", False, False],
         ["7", "SingleUp", "1 h 05", "HIGH FOR LONG", "", "low", False, True],
         ["HIGH", None, "old: 47 h 59", "TRANSMITTER", "wrong one near", "medium", True, False],
         ["7", "FortyFiveDown", "old: 3 h 05", "FALLING FAST", "predicted", "medium", True, False],
         ["400", "DoubleUp", "9 min", "BOX FAULT", "leader refused", "high", False, True]]

# Where each part is, shift 0, as laid out for each panel: the number's top left
# and font scale, the arrow's square (left, size), the age's top left (on 128x32
# beside the number, 4 px after it and centred on its 16 rows), the alarm bar's
# first row and the detail line's top left; ts is the lines' font scale, pad the
# bar's rows above and below its title. Every line starts at the left edge (the
# title and detail 1 px in); on the TFT the block is centred in the height; on
# 128x32 the bar starts on the number's last row (its font's blank one) and the
# detail right under the bar, so that all of it is on the 32 rows, shifted too.
LAYOUT = {
    (128, 32): dict(num=(0, 0), scale=2, arrow=(110, 16), age=None, bar=15, detail=(1, 23), ts=1, pad=0),
    (128, 64): dict(num=(0, 0), scale=4, arrow=(102, 24), age=(0, 35), bar=44, detail=(1, 55), ts=1, pad=1),
    (240, 135): dict(num=(0, 10), scale=7, arrow=(196, 42), age=(0, 71), bar=89, detail=(1, 109), ts=2, pad=1),
    (135, 240): dict(num=(0, 74), scale=4, arrow=(109, 24), age=None, bar=None, detail=None, ts=2, pad=1),
}

# draw.text(canvas, s, x, y, scale, colour[, bg[, width]]) calls
TEXTS = [["Hi 1", 3, 4, 2, FG], ["tHe", 5, 6, 3, FG, BG], ["Hi", 0, 0, 2, FG, BG, 32],
         ["Hi", 7, 9, 1, FG, BG, 30], ["", 0, 0, 2, FG, BG], ["", 0, 0, 2, FG]]
# panels of other sizes, for the rules that hold at any size: widths from 70 (the
# narrowest with the number at twice the font), heights from 48 (the layout with
# its lines under the number) to past the TFT's
SWEEP = [(W, 64) for W in range(70, 331)] + [(W, H) for W in (240, 320) for H in range(48, 200)]
SWEEP_VIEWS = (3, 9)

PROG = r'''
import json, framebuf
from screen import draw


class Canvas:
    def __init__(self, w, h):
        self.width, self.height = w, h
        self.ops = []

    def ink(self, role):
        return INK[role]

    def fill(self, c):
        self.ops.append([c])

    def fill_rect(self, x, y, w, h, c):
        self.ops.append([x, y, w, h, c])


def emit(key, fn, *args):
    try:
        value = fn(*args)
    except Exception as e:
        value = {"error": repr(e)}
    print(json.dumps([key, value]))


def font():
    out = {}
    fb = framebuf.FrameBuffer(bytearray(8), 8, 8, framebuf.MONO_HLSB)
    for n in range(32, 127):
        fb.fill(0)
        fb.text(chr(n), 0, 0, 1)
        out[chr(n)] = [sum(fb.pixel(c, r) << (7 - c) for c in range(8)) for r in range(8)]
    return out


def strokes(name, size):
    rec = []
    real = draw._stroke
    draw._stroke = lambda c, x0, y0, x1, y1, w, col: rec.append([x0, y0, x1, y1, w, col])
    try:
        draw.arrow(Canvas(400, 400), name, AX, AY, size, 7)
    finally:
        draw._stroke = real
    return rec


def arrow(name, size):
    c = Canvas(400, 400)
    draw.arrow(c, name, AX, AY, size, 7)
    return c.ops


def line(x0, y0, x1, y1, w):
    c = Canvas(400, 400)
    draw._stroke(c, x0, y0, x1, y1, w, 9)
    return c.ops


def fit(W):
    row = []
    for b in BUDGETS:
        s, a = draw._fit(W, 3, b)
        row.append(s * 1000 + a)
    return row


def text(args):
    c = Canvas(400, 400)
    draw.text(c, *args)
    return c.ops


def defaults(v):
    # paint(canvas, v) and steps(canvas, v): the whole picture, not shifted
    out = []
    for call in (lambda c: draw.paint(c, v), lambda c: [_ for _ in draw.steps(c, v)],
                 lambda c: draw.paint(c, v, 0, True)):
        c = Canvas(128, 64)
        call(c)
        out.append(c.ops)
    return out


def sweep(W, H, shift, v):
    # what the sweep's rules need of a picture: the number's top row and scale (its
    # first lit run), the lit runs in its rows, and any rectangle off the panel or empty
    c = Canvas(W, H)
    draw.paint(c, v, shift, True)
    first = [op for op in c.ops[1:] if op[4] == INK["fg"]][0]
    top, s = first[1], first[3]
    spans = [[op[0], op[2]] for op in c.ops[1:] if op[4] == INK["fg"] and op[1] < top + 8 * s]
    bad = [op for op in c.ops[1:] if not (op[0] >= 0 and op[1] >= 0 and op[0] + op[2] <= W
                                          and op[1] + op[3] <= H and op[2] > 0 and op[3] > 0)]
    return [top, s, spans, bad]


def paint(W, H, shift, whole, v):
    c = Canvas(W, H)
    cuts = []
    for _ in draw.steps(c, v, shift, whole):
        cuts.append(len(c.ops))
    d = Canvas(W, H)
    draw.paint(d, v, shift, whole)
    return [c.ops, cuts, d.ops == c.ops]


emit("font", font)
for name in NAMES:
    for size in SIZES:
        emit("strokes/%s/%d" % (name, size), strokes, name, size)
        emit("arrow/%s/%d" % (name, size), arrow, name, size)
for i, s in enumerate(STROKES):
    emit("line/%d" % i, line, *s)
for W in WIDTHS:
    emit("fit/%d" % W, fit, W)
for i, args in enumerate(TEXTS):
    emit("text/%d" % i, text, args)
emit("defaults", defaults, VIEWS[9])
for W, H in PANELS:
    for shift in (0, 1):
        for whole in (True, False):
            for i, v in enumerate(VIEWS):
                emit("%dx%d/%d/%d/%d" % (W, H, shift, whole, i), paint, W, H, shift, whole, v)
for W, H in SWEEP:
    for shift in (0, 1):
        for i in SWEEP_VIEWS:
            emit("sweep/%dx%d/%d/%d" % (W, H, shift, i), sweep, W, H, shift, VIEWS[i])
print("END")
'''

WIDTHS = list(range(16, 331))
BUDGETS = list(range(-8, 261))


def _py(value):
    return json.dumps(value).replace("null", "None").replace("false", "False").replace("true", "True")


@pytest.fixture(scope="module")
def drawn():
    head = "".join("%s = %s\n" % (k, _py(v)) for k, v in (
        ("INK", INK), ("NAMES", list(SINGLE + DOUBLE + UNKNOWN)), ("SIZES", list(SIZES)),
        ("AX", AX), ("AY", AY), ("STROKES", STROKES), ("WIDTHS", WIDTHS), ("BUDGETS", BUDGETS),
        ("PANELS", [list(p) for p in PANELS]), ("VIEWS", VIEWS), ("TEXTS", TEXTS),
        ("SWEEP", [list(p) for p in SWEEP]), ("SWEEP_VIEWS", list(SWEEP_VIEWS))))
    r = run_micropython(["-c", head + PROG], heap="2M", timeout=120, check=False)
    assert r.stdout.endswith("END\n"), r.stderr[-2000:]
    return dict(json.loads(line) for line in r.stdout.splitlines() if line.startswith("["))


def _get(drawn, key):
    value = drawn[key]
    assert not (isinstance(value, dict) and "error" in value), (key, value)
    return value


def _paint(drawn, size, shift, whole, i):
    """(ops, cuts) of view i painted on a size canvas; paint() draws what steps() does."""
    ops, cuts, same = _get(drawn, "%dx%d/%d/%d/%d" % (size[0], size[1], shift, whole, i))
    assert same, (size, shift, whole, i)
    return ops, cuts


def _raster(size, ops, base=None):
    """The picture the recorded fills leave (clipped to the canvas); 0 = never painted."""
    W, H = size
    buf = bytearray(W * H) if base is None else bytearray(base)
    for op in ops:
        x, y, w, h, c = (0, 0, W, H, op[0]) if len(op) == 1 else op
        x0, x1 = max(0, x), min(W, x + w)
        for row in range(max(0, y), min(H, y + h)):
            if x1 > x0:
                buf[row * W + x0:row * W + x1] = bytes([c]) * (x1 - x0)
    return buf


def _bitmap(font, s, scale):
    """s in framebuf's 8x8 font at scale: rows of 0/1."""
    rows = []
    for r in range(8):
        row = []
        for ch in s:
            row += [b for b in ((font[ch][r] >> (7 - c)) & 1 for c in range(8)) for _ in range(scale)]
        rows += [row] * scale
    return rows


def _shows(font, size, buf, s, x, y, scale, colour, bg, skip_rows=()):
    """Whether s is at (x, y): its lit pixels in colour, the rest in bg; None if so,
    else where it differs first."""
    W, H = size
    for j, row in enumerate(_bitmap(font, s, scale)):
        if j in skip_rows:
            continue
        for i, lit in enumerate(row):
            px, py = x + i, y + j
            if not (0 <= px < W and 0 <= py < H):
                return "off the panel at %d,%d" % (px, py)
            want = colour if lit else bg
            if buf[py * W + px] != want:
                return "%r at %d,%d: %d, not %d" % (s, px, py, buf[py * W + px], want)
    return None


def _room(size, lay, big):
    """(x, text room in characters) of the age beside the number on 128x32."""
    ex = lay["num"][0] + 8 * lay["scale"] * len(big) + 4
    return ex, (lay["arrow"][0] - ex) // 8


def _number_rows(lay, s):
    """The number's rows not shared: on 128x32 the bar starts on its last, blank one."""
    return min(8 * s, lay["bar"] - lay["num"][1]) if lay["bar"] is not None else 8 * s


def _number_scale(size, lay, big):
    """The number's scale: the layout's, a little smaller for "HIGH" (4 characters
    in the room before the arrow)."""
    return min(lay["scale"], max(1, (lay["arrow"][0] - lay["num"][0]) // (8 * len(big))))


# --- the arrows ---------------------------------------------------------------------


def _near(got, want, within=0.999):
    """got is want rounded to a pixel (the firmware rounds down)."""
    return abs(got[0] - want[0]) <= within and abs(got[1] - want[1]) <= within


def test_each_trend_arrow_points_the_way_glucose_moves_and_its_head_points_back(drawn):
    for name in SINGLE:
        ux, uy = UNIT[name]
        for size in SIZES:
            got = _get(drawn, "strokes/%s/%d" % (name, size))
            assert len(got) == 3, (name, size, got)   # the shaft, then the head's two strokes
            (x0, y0, tx, ty, pen, colour), head1, head2 = got
            cx, cy = AX + size // 2, AY + size // 2
            r = size // 2 - 3                          # 3 px short of the square's edges
            # the shaft runs through the square's centre to its tip, the way glucose moves
            assert (x0 + tx, y0 + ty) == (2 * cx, 2 * cy), (name, size, got)
            assert _near((tx - cx, ty - cy), (r * ux, r * uy)), (name, size, got)
            if ux == 0 or uy == 0:                    # up, down and flat: straight, not a pixel off
                assert (tx - cx, ty - cy) == (r * ux, r * uy), (name, size, got)
            # a pen a tenth of the square, 3 px at least (a 16-px arrow stays legible)
            assert pen == max(3, size // 10) and colour == 7, (name, size, got)
            turns = set()
            for hx0, hy0, hx1, hy1, hpen, hcolour in (head1, head2):
                assert (hx0, hy0, hpen, hcolour) == (tx, ty, pen, 7), (name, size, got)
                # from the tip, back along the shaft turned 135 degrees one way or the
                # other, 6/10 of the shaft's half long
                for turn in (135, -135):
                    a = math.radians(turn)
                    hux, huy = ux * math.cos(a) - uy * math.sin(a), ux * math.sin(a) + uy * math.cos(a)
                    # (rounded twice: 1 px off at most, 16-px FortyFiveUp has it)
                    if _near((hx1 - tx, hy1 - ty), (0.6 * r * hux, 0.6 * r * huy), 1.001):
                        turns.add(turn)
                assert (hx1 - tx) * ux + (hy1 - ty) * uy < 0, (name, size, got)   # points back
            assert turns == {135, -135}, (name, size, got)   # one stroke either side


def test_a_double_arrow_is_two_single_arrows_side_by_side(drawn):
    for double, single in (("DoubleUp", "SingleUp"), ("DoubleDown", "SingleDown")):
        for size in SIZES:
            one = _get(drawn, "strokes/%s/%d" % (single, size))
            got = _get(drawn, "strokes/%s/%d" % (double, size))
            # the single arrow an eighth of the square to the left, then a quarter to the right
            want = [[s[0] + dx, s[1], s[2] + dx, s[3], s[4], s[5]]
                    for dx in (-(size // 8), size // 4) for s in one]
            assert got == want, (double, size, got, want)


def test_an_unknown_trend_draws_nothing(drawn):
    for name in UNKNOWN:
        for size in SIZES:
            key = "%s/%d" % (name, size)
            assert _get(drawn, "strokes/" + key) == [] and _get(drawn, "arrow/" + key) == [], key


def test_every_arrow_stays_inside_its_square(drawn):
    for name in SINGLE + DOUBLE:
        for size in SIZES:
            ops = _get(drawn, "arrow/%s/%d" % (name, size))
            assert ops, (name, size)
            for x, y, w, h, c in ops:
                assert AX <= x and x + w <= AX + size and AY <= y and y + h <= AY + size, (name, size, x, y, w, h)
                assert c == 7


def test_a_stroke_is_a_gapless_line_of_pen_squares_from_end_to_end(drawn):
    for i, (x0, y0, x1, y1, pen) in enumerate(STROKES):
        ops = _get(drawn, "line/%d" % i)
        assert ops, (x0, y0, x1, y1)
        assert all(op[2:] == [pen, pen, 9] for op in ops), ops
        centres = [(x + pen // 2, y + pen // 2) for x, y, w, h, c in ops]
        assert centres[0] == (x0, y0) and centres[-1] == (x1, y1), (x0, y0, x1, y1, centres)
        if (x0, y0) == (x1, y1):
            continue          # a dot: squares at the point only (checked just above)
        n = max(abs(x1 - x0), abs(y1 - y0))
        # one square a pixel along the longer axis, none twice (each is a window
        # written over SPI on the TFT), none off the line
        assert len(centres) == n + 1 == len(set(centres)), (x0, y0, x1, y1, centres)
        for (ax, ay), (bx, by) in zip(centres, centres[1:]):
            assert abs(bx - ax) <= 1 and abs(by - ay) <= 1, centres
        for i, (cx, cy) in enumerate(centres):
            assert abs(cx - (x0 + (x1 - x0) * i / n)) < 1 and abs(cy - (y0 + (y1 - y0) * i / n)) < 1, centres


def test_text_draws_each_run_of_a_font_row_as_one_rectangle_and_with_bg_its_band(drawn):
    font = _get(drawn, "font")
    for i, args in enumerate(TEXTS):
        ops = _get(drawn, "text/%d" % i)
        s, x, y, scale, colour = args[:5]
        bg = args[5] if len(args) > 5 else None
        width = args[6] if len(args) > 6 else 0
        w = 8 * scale * len(s)
        # its pixels: the font's, scaled; with bg the unlit ones too, and the band
        # on to x + width; nothing else (an empty text draws nothing)
        buf = _raster((400, 400), ops)
        where = _shows(font, (400, 400), buf, s, x, y, scale, colour, bg or 0)
        assert where is None, (args, where)
        band = max(0, width - w) if bg is not None else 0
        painted = sum(1 for p in buf if p)
        assert painted == (w * 8 * scale if bg is not None else
                           sum(bin(font[ch][r]).count("1") for ch in s for r in range(8)) * scale * scale) \
            + band * 8 * scale, (args, painted)
        if band:
            assert ops[-1] == [x + w, y, band, 8 * scale, bg], (args, ops[-1])
        # each run of a row one rectangle (the TFT writes a window for each): no
        # empty one, none beside another of its colour in the same rows
        for k, (a, b) in enumerate(zip(ops, ops[1:])):
            assert a[2] > 0 and a[3] > 0 and b[2] > 0 and b[3] > 0, (args, a, b)
            assert not (a[1] == b[1] and a[3] == b[3] and a[0] + a[2] == b[0] and a[4] == b[4]), (args, a, b)
        assert len(ops) == len(set(map(tuple, ops))), args


def test_paint_and_steps_draw_the_whole_picture_unshifted_by_default(drawn):
    by_default, stepped, asked = _get(drawn, "defaults")
    assert by_default == stepped == asked and asked[0] == [BG], by_default[:3]


# --- the number's size ----------------------------------------------------------------


def _arrow_size(s):
    return max(16, min(48, 6 * s))        # 6 font pixels of the number, 16..48 px


_WIDE = {}


def _largest(W, budget):
    """Brute force: the largest scale whose 3 characters, a 4-px gap, the arrow's
    square and a 2-px margin fit W and whose 8 rows fit budget; 1 at least."""
    if W not in _WIDE:
        _WIDE[W] = [s for s in range(1, 100) if 8 * s * 3 + 4 + _arrow_size(s) + 2 <= W]
    fits = [s for s in _WIDE[W] if 8 * s <= budget]
    return max(fits) if fits else 1


def test_the_number_scale_is_the_largest_whose_digits_and_arrow_fit(drawn):
    bad = []
    for W in WIDTHS:
        for budget, sa in zip(BUDGETS, _get(drawn, "fit/%d" % W)):
            s, a = divmod(sa, 1000)
            if (s, a) != (_largest(W, budget), _arrow_size(_largest(W, budget))):
                bad.append((W, budget, s, a))
    assert not bad, bad[:20]


# --- a whole picture --------------------------------------------------------------------


def test_nothing_is_drawn_off_the_panel_nor_as_an_empty_rectangle(drawn):
    # every size the boards make, every view, both burn-in positions, drawn whole
    # or over the last picture (a rectangle off the panel is a part of the picture
    # that is not on it; an empty one costs the TFT a window written for nothing)
    bad = []
    for W, H in BOARDS:
        for shift in (0, 1):
            for whole in (True, False):
                for i in range(len(VIEWS)):
                    for op in _paint(drawn, (W, H), shift, whole, i)[0]:
                        if len(op) == 5:
                            x, y, w, h, c = op
                            if not (w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= W and y + h <= H):
                                bad.append(((W, H), shift, whole, i, op))
    assert not bad, bad[:10]


def test_on_each_panel_the_number_is_as_large_as_fits_and_the_lines_are_where_laid_out(drawn):
    font = _get(drawn, "font")
    for size, lay in LAYOUT.items():
        W, H = size
        x, y = lay["num"]
        scale, (ax, asize), ts, pad = lay["scale"], lay["arrow"], lay["ts"], lay["pad"]
        assert asize == _arrow_size(scale) and ax == W - asize - 2, size   # the arrow at the right edge
        if lay["bar"] is not None:
            # the lines under the number; its scale the largest that leaves room for them
            below = lay["detail"][1] + 8 * ts - (y + 8 * scale)
            assert lay["detail"][1] + 8 * ts <= H, size                    # all of it on the panel
            if H >= 48:
                assert scale == _largest(W, H - below), size
                assert abs(y - (H - lay["detail"][1] - 8 * ts)) <= 1, size   # centred
        for i, v in enumerate(VIEWS):
            big, direction, age, title, detail, priority, stale, sounding = v
            buf = _raster(size, _paint(drawn, size, 0, True, i)[0])
            s = _number_scale(size, lay, big)
            skip = set(range(4 * s - 1, 4 * s - 1 + max(2, s // 2)) if stale else ())
            skip.update(range(_number_rows(lay, s), 8 * s))
            where = _shows(font, size, buf, big, x, y, s, FG, BG, skip)
            assert where is None, (size, i, where)
            # the arrow: the trend's own, in its square beside the number (none when stale)
            arrow = [[a[0] - AX + ax, a[1] - AY + y, a[2], a[3], FG]
                     for a in _get(drawn, "arrow/%s/%d" % (direction, asize))] if direction and not stale else []
            drawn_there = [op for op in _paint(drawn, size, 0, True, i)[0] if len(op) == 5 and op[0] >= ax - 1 and op[4] == FG
                           and op[1] < y + 8 * scale]
            assert drawn_there == arrow, (size, i)
            if lay["age"] is not None:         # (128x32: beside the number, its own test)
                where = _shows(font, size, buf, age, lay["age"][0], lay["age"][1], ts, FG, BG)
                assert where is None, (size, i, where)
            if lay["bar"] is not None and title:
                colour, bg = (BG, INK[priority]) if sounding else (INK[priority], BG)
                where = _shows(font, size, buf, title, x + 1, lay["bar"] + pad, ts, colour, bg)
                assert where is None, (size, i, where)
            if lay["detail"] is not None:
                where = _shows(font, size, buf, detail, lay["detail"][0], lay["detail"][1], ts, FG, BG)
                assert where is None, (size, i, where)


def test_on_128x32_the_age_is_beside_the_number_old_going_first_then_its_spaces(drawn):
    font, size = _get(drawn, "font"), (128, 32)
    lay = LAYOUT[size]
    seen = set()
    for i, v in enumerate(VIEWS):
        big, age = v[0], v[2]
        buf = _raster(size, _paint(drawn, size, 0, True, i)[0])
        ex, room = _room(size, lay, big)
        if len(age) > room and age.startswith("old: "):
            age = age[5:]            # the crossed-out number already says it is old
            seen.add("old dropped")
        elif age.startswith("old: "):
            seen.add("old kept")
        if len(age) > room:
            age = age.replace(" ", "")   # "1h05" beside "HIGH", not "1 h 0" (an hour?)
            seen.add("squeezed")
        assert len(age) <= room, (i, age)   # every age the views make fits once squeezed
        where = _shows(font, size, buf, age[:room], ex, 4, 1, FG, BG)
        assert where is None, (i, where)
        # and nothing else between the number and the arrow
        lit = [(px, py) for py in range(_number_rows(lay, 2)) for px in range(ex + 8 * len(age[:room]), lay["arrow"][0])
               if buf[py * 128 + px] != BG]
        assert not lit, (i, lit[:5])
    assert seen == {"old dropped", "old kept", "squeezed"}, seen


def test_a_stale_number_is_crossed_out_through_its_middle_and_has_no_arrow(drawn):
    for size, lay in LAYOUT.items():
        W, H = size
        x, y = lay["num"]
        for i, v in enumerate(VIEWS):
            big, stale = v[0], v[6]
            buf = _raster(size, _paint(drawn, size, 0, True, i)[0])
            s = _number_scale(size, lay, big)
            width = 8 * s * len(big)
            full = [r - y for r in range(y, y + 8 * s) if all(buf[r * W + c] == FG for c in range(x, x + width))]
            # a line across the whole number, 4 font pixels down (its middle), a
            # pixel above so a digit's middle bar is under it, s/2 thick (2 at least)
            want = list(range(4 * s - 1, 4 * s - 1 + max(2, s // 2))) if stale else []
            assert full == want, (size, i, full, want)
            if stale:               # not beyond the number; and no arrow
                assert buf[(y + 4 * s - 1) * W + x + width] == BG, (size, i)
                assert all(buf[r * W + c] == BG for r in range(y, y + _number_rows(lay, s))
                           for c in range(lay["arrow"][0], W)), (size, i)


def test_a_sounding_alarm_is_on_a_full_width_bar_of_its_colour_an_answered_one_plain(drawn):
    colours = {True: set(), False: set()}
    for size, lay in LAYOUT.items():
        if lay["bar"] is None:
            continue
        W, H = size
        ts, pad, top = lay["ts"], lay["pad"], lay["bar"]
        for i, v in enumerate(VIEWS):
            title, priority, sounding = v[3], v[5], v[7]
            buf = _raster(size, _paint(drawn, size, 0, True, i)[0])
            rows = range(top, top + 8 * ts + 2 * pad)
            # the title's own pixels (found by the test above) and the rest of its rows
            text = set()
            for j, row in enumerate(_bitmap(_get(drawn, "font"), title, ts)):
                text.update((lay["num"][0] + 1 + k, top + pad + j) for k, lit in enumerate(row) if lit)
            want_bar = INK[priority] if sounding and title else BG
            want_text = BG if sounding else INK.get(priority, FG)
            for r in rows:
                for c in range(W):
                    want = want_text if (c, r) in text else want_bar
                    assert buf[r * W + c] == want, (size, i, c, r, buf[r * W + c], want)
            if title:
                colours[sounding].add(INK[priority])
            if sounding:            # the bar no taller than that
                assert INK[priority] not in [buf[r * W + c] for r in (top - 1, rows[-1] + 1) for c in range(W)], (size, i)
    assert colours == {True: {HIGH, MEDIUM, LOW}, False: {HIGH, MEDIUM, LOW}}, colours


def test_drawing_over_any_last_picture_leaves_what_a_cleared_screen_shows(drawn):
    # the TFT (whole=False): nothing cleared first (a black flash), every part drawn
    # with its background over what was there. The 128x32 layout is drawn whole only
    # (an OLED is a frame buffer, sent at once): its age is drawn without a band.
    for size in PANELS:
        if size[1] < 48:
            continue
        for shift in (0, 1):
            cleared = [_raster(size, _paint(drawn, size, shift, True, i)[0]) for i in range(len(VIEWS))]
            for j in range(len(VIEWS)):
                ops = _paint(drawn, size, shift, False, j)[0]
                assert all(len(op) == 5 and (op[2], op[3]) != size for op in ops), (size, j)   # no clearing
                for i in range(len(VIEWS)):
                    over = _raster(size, ops, cleared[i])
                    if over != cleared[j]:
                        W = size[0]
                        diff = [(k % W, k // W) for k in range(len(over)) if over[k] != cleared[j][k]]
                        raise AssertionError((size, shift, "view %d over %d" % (j, i), diff[:10]))
    for size in PANELS:
        for i in range(len(VIEWS)):
            ops = _paint(drawn, size, 0, True, i)[0]
            assert ops[0] == [BG] and all(len(op) == 5 for op in ops[1:]), (size, i)   # cleared once, first


def test_the_oled_burn_in_shift_moves_the_picture_one_pixel_right_and_down(drawn):
    for size in ((128, 32), (128, 64)):
        W, H = size
        for i in range(len(VIEWS)):
            a = _raster(size, _paint(drawn, size, 0, True, i)[0])
            b = _raster(size, _paint(drawn, size, 1, True, i)[0])
            moved = [(x, y) for y in range(H - 1) for x in range(W - 1) if b[(y + 1) * W + x + 1] != a[y * W + x]]
            assert not moved, (size, i, moved[:10])


def test_steps_hand_the_event_loop_a_turn_between_the_parts(drawn):
    # a TFT redraw takes a tenth of a second or more: the buzzer's task gets a turn
    # after each row of the number, the arrow, each row of the age, of the alarm
    # line and of the detail; no step draws in two of those bands
    for size, lay in LAYOUT.items():
        if lay["bar"] is None:
            continue
        x, y = lay["num"]
        ts, pad = lay["ts"], lay["pad"]
        bands = [(y, y + 8 * lay["scale"]), (lay["bar"], lay["bar"] + 8 * ts + 2 * pad),
                 (lay["detail"][1], lay["detail"][1] + 8 * ts)]
        if lay["age"] is not None:
            bands.append((lay["age"][1], lay["age"][1] + 8 * ts))
        for whole in (True, False):
            for i, v in enumerate(VIEWS):
                big, age, title, detail = v[0], v[2], v[3], v[4]
                if lay["age"] is None:
                    ex, room = _room(size, lay, big)
                    age = age[5:] if len(age) > room and age.startswith("old: ") else age
                    age = age[:room]
                texts = [t for t in (big, age, title, detail) if t]
                ops, cuts = _paint(drawn, size, 0, whole, i)
                # a turn after each font row of each line drawn, and after each part
                assert len(cuts) == 8 * len(texts) + 3, (size, whole, i, len(cuts))
                start = 0
                for cut in cuts + [len(ops)]:
                    step = [op for op in ops[start:cut] if len(op) == 5]
                    if step:
                        top, bottom = min(op[1] for op in step), max(op[1] + op[3] for op in step)
                        assert any(b0 <= top and bottom <= b1 for b0, b1 in bands), (size, whole, i, step)
                    start = cut


def test_at_any_panel_size_the_number_is_as_large_as_fits_beside_its_arrow_and_all_on_the_panel(drawn):
    # sizes no board has (the rules are not the boards'): the number never runs
    # into the arrow's square, it is as large as the width and the lines under it
    # allow (28 rows of lines at the font's scale ts, and 3 of gaps and pad), and
    # where the longest line (14 characters) fits the width, nothing is off the panel;
    # from 48 rows the age is under the number, nothing between the number and its arrow
    for W, H in SWEEP:
        ts = 2 if H >= 100 else 1
        for shift in (0, 1):
            for i in SWEEP_VIEWS:
                big = VIEWS[i][0]
                top, s, spans, bad = _get(drawn, "sweep/%dx%d/%d/%d" % (W, H, shift, i))
                scale = _largest(W, H - shift - (28 * ts + 3))
                ax = W - _arrow_size(scale) - 2 + shift
                want = min(scale, (ax - shift) // (8 * len(big)))   # "HIGH" a little smaller
                assert s == want, ((W, H), shift, i, s, want)
                assert all(x + w <= shift + 8 * s * len(big) or x >= ax for x, w in spans), ((W, H), shift, i, spans)
                if 8 * 14 * ts + 1 + shift <= W:
                    assert not bad, ((W, H), shift, i, bad[:5])
