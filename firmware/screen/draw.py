# Lays a view (screen/view.py) out on a canvas: the number large, the trend
# arrow beside it, the age, then the alarm. Needs only this of a canvas:
#   width, height, ink(role) -> colour (role "fg", "bg", "high", "medium", "low"),
#   fill(colour), fill_rect(x, y, w, h, colour)
# so a framebuf display (SSD1306) and a panel written a rectangle at a time
# (no room for a colour frame buffer) take the same drawing. Text is the
# framebuf 8x8 font, scaled by drawing each run of lit pixels as one rectangle.
import framebuf

# screen direction of each trend (x right, y down), x1000
_VECTORS = {"DoubleUp": (0, -1000), "SingleUp": (0, -1000), "FortyFiveUp": (707, -707),
            "Flat": (1000, 0), "FortyFiveDown": (707, 707), "SingleDown": (0, 1000),
            "DoubleDown": (0, 1000)}


def text(canvas, s, x, y, scale, colour, bg=None, width=0):
    """Draw s with its top left at (x, y), each font pixel a scale x scale square.
    With bg, its unlit pixels too, and the band on to x + width: the text is drawn
    over what was there, without clearing the screen first (a TFT would flash)."""
    for _ in _text_rows(canvas, s, x, y, scale, colour, bg, width):
        pass


def _text_rows(canvas, s, x, y, scale, colour, bg, width):
    """text(), one font row at a time (a generator: see steps())."""
    w = 8 * len(s)
    if w:
        fb = framebuf.FrameBuffer(bytearray(w), w, 8, framebuf.MONO_HLSB)
        fb.text(s, 0, 0, 1)
        for row in range(8):
            start, was = 0, fb.pixel(0, row)
            for col in range(1, w + 1):
                lit = fb.pixel(col, row) if col < w else None
                if lit != was:
                    c = colour if was else bg
                    if c is not None:
                        canvas.fill_rect(x + start * scale, y + row * scale, (col - start) * scale, scale, c)
                    start, was = col, lit
            yield
    if bg is not None and width > w * scale:
        canvas.fill_rect(x + w * scale, y, width - w * scale, 8 * scale, bg)


def _bar(canvas, s, x, y, scale, colour, bar, pad, width):
    """A line of text on a bar of its own colour, pad pixels round it, full width
    (a generator, one font row at a time: see steps())."""
    if pad:
        h = 8 * scale + 2 * pad
        canvas.fill_rect(0, y, width, pad, bar)
        canvas.fill_rect(0, y + h - pad, width, pad, bar)
    canvas.fill_rect(0, y + pad, x, 8 * scale, bar)
    yield from _text_rows(canvas, s, x, y + pad, scale, colour, bar, width - x)


def _stroke(canvas, x0, y0, x1, y1, width, colour):
    n = max(abs(x1 - x0), abs(y1 - y0), 1)
    h = width // 2
    for i in range(n + 1):
        canvas.fill_rect(x0 + (x1 - x0) * i // n - h, y0 + (y1 - y0) * i // n - h, width, width, colour)


def arrow(canvas, name, x, y, size, colour):
    """A trend arrow in the size x size square at (x, y); a double arrow is two."""
    v = _VECTORS.get(name)
    if v is None:
        return
    if name.startswith("Double"):
        half = size // 2
        arrow(canvas, "SingleUp" if v[1] < 0 else "SingleDown", x - half // 4, y, size, colour)
        arrow(canvas, "SingleUp" if v[1] < 0 else "SingleDown", x + half // 2, y, size, colour)
        return
    r = size // 2 - 3
    pen = max(3, size // 10)
    cx, cy = x + size // 2, y + size // 2
    vx, vy = v[0] * r // 1000, v[1] * r // 1000
    tx, ty = cx + vx, cy + vy
    _stroke(canvas, cx - vx, cy - vy, tx, ty, pen, colour)
    for s in (707, -707):   # the head: the shaft turned back by 135 degrees either way
        hx = (-707 * v[0] - s * v[1]) // 1000
        hy = (s * v[0] - 707 * v[1]) // 1000
        _stroke(canvas, tx, ty, tx + hx * r * 6 // 10000, ty + hy * r * 6 // 10000, pen, colour)


def _fit(W, n, budget):
    """The largest number scale whose digits and arrow fit W and whose height fits
    budget: (scale, arrow size)."""
    s = max(1, budget // 8)
    while s > 1 and 8 * s * n + max(16, min(48, 6 * s)) + 6 > W:
        s -= 1
    return s, max(16, min(48, 6 * s))


def paint(canvas, v, shift=0, whole=True):
    """Draw view v (view.compose). whole: clear the screen first (a frame buffer
    shown at once); else every part is drawn over the last drawing, background and
    all (a panel written as it goes, which would flash black). shift (0-1 px)
    moves it now and then, so an OLED does not burn the same pixels in all night."""
    for _ in steps(canvas, v, shift, whole):
        pass


def steps(canvas, v, shift=0, whole=True):
    """paint(), as a generator that stops after each part and each row of the
    number: the display task lets the event loop run between them (a TFT redraw
    takes a tenth of a second or more on the board; the buzzer must not wait)."""
    big, direction, age, title, detail, priority, stale, sounding = v
    W, H = canvas.width, canvas.height
    fg, bg = canvas.ink("fg"), canvas.ink("bg")
    ink = canvas.ink(priority or "fg")
    if whole:
        canvas.fill(bg)
    band = None if whole else bg
    x = shift
    if H < 48:   # 128x32: the number small, its age beside it, the alarm under it
        ts, pad, gap, scale, size = 1, 0, 0, 2, 16
        y = shift
        rows = 16
    else:        # the number as large as fits, then age, alarm and detail lines
        ts, pad = (2, 1) if H >= 100 else (1, 1)
        gap = ts                        # between the alarm bar and the detail
        lines = 28 * ts + 2 * pad + 1   # age, alarm bar and detail, with their gaps
        # one scale for every number (3 characters: "123", "LOW", "---"), so the
        # layout never moves and each drawing covers the last one exactly
        scale, size = _fit(W, 3, H - lines - shift)
        y = shift + max(0, (H - shift - lines - 8 * scale) // 2)
        rows = 8 * scale
    ax = W - size - 2 + shift
    s = min(scale, max(1, (ax - x) // (8 * len(big))))   # "HIGH": a little smaller
    yield from _text_rows(canvas, big, x, y, s, fg, band, ax - x)
    if band is not None and s < scale:
        canvas.fill_rect(x, y + 8 * s, ax - x, 8 * (scale - s), bg)
    if stale:   # crossed out: an old number must not pass for the glucose now
        canvas.fill_rect(x, y + 4 * s - 1, 8 * s * len(big), max(2, s // 2), fg)
    if not whole:
        canvas.fill_rect(ax, y, W - ax, rows, bg)
    if direction is not None and not stale:
        arrow(canvas, direction, ax, y, size, fg)
    yield
    if H < 48:
        ex = x + 8 * s * len(big) + 4
        room = max(0, (ax - ex) // 8)
        if len(age) > room and age.startswith("old: "):
            age = age[5:]      # the crossed-out number says it is old
        if len(age) > room:
            # beside "HIGH" (5 characters): "1h05", not "1 h 0" (read as an hour)
            age = age.replace(" ", "")
        yield from _text_rows(canvas, age[:room], ex, y + 4, 1, fg, None, 0)
        # 32 rows for 16 of number, 8 of alarm, 8 of detail and the burn-in shift:
        # the number's last row is its font's blank one, the bar starts on it, and the
        # detail follows the bar (the title's own blank bottom row between them).
        # Rows 0-30 + shift: at y + 16 and a gap the detail ran to row 32 + shift,
        # off the panel (its letters' bottom row lost every other 10 minutes)
        line = y + 15
    else:
        line = y + rows + 2 * ts + 1
        yield from _text_rows(canvas, age, x, line, ts, fg, band, W - x)
        line += 8 * ts + ts
    yield
    if sounding:   # on a bar of its colour: the alarm heard now stands out from an answered one
        yield from _bar(canvas, title, x + 1, line, ts, bg, ink, pad, W)
    elif title or not whole:
        yield from _bar(canvas, title, x + 1, line, ts, ink, bg, pad, W)
    yield
    yield from _text_rows(canvas, detail, x + 1, line + 8 * ts + 2 * pad + gap, ts, fg, band, W - x - 1)
