# Lays a view (screen/view.py) out on a canvas: the number large, the trend
# arrow beside it, the age, then the alarm. Needs only this of a canvas:
#   width, height, ink(role) -> colour (role "fg", "bg", "high", "medium", "low"),
#   fill(colour), fill_rect(x, y, w, h, colour)
# so a framebuf display (SSD1306) and a panel written a rectangle at a time
# (no room for a colour frame buffer) take the same drawing. Text is the
# framebuf 8x8 font, scaled by drawing each run of lit pixels as one rectangle.
import framebuf

ARROW = (24, 32)    # the arrow's square, pixels: on a 128-wide screen, beside 3 digits of 32
# screen direction of each trend (x right, y down), x1000
_VECTORS = {"DoubleUp": (0, -1000), "SingleUp": (0, -1000), "FortyFiveUp": (707, -707),
            "Flat": (1000, 0), "FortyFiveDown": (707, 707), "SingleDown": (0, 1000),
            "DoubleDown": (0, 1000)}


def text(canvas, s, x, y, scale, colour):
    """Draw s with its top left at (x, y), each font pixel a scale x scale square."""
    if not s:
        return
    w = 8 * len(s)
    fb = framebuf.FrameBuffer(bytearray(w), w, 8, framebuf.MONO_HLSB)
    fb.text(s, 0, 0, 1)
    for row in range(8):
        run = -1
        for col in range(w + 1):
            lit = col < w and fb.pixel(col, row)
            if lit and run < 0:
                run = col
            elif not lit and run >= 0:
                canvas.fill_rect(x + run * scale, y + row * scale, (col - run) * scale, scale, colour)
                run = -1


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
    cx, cy = x + size // 2, y + size // 2
    vx, vy = v[0] * r // 1000, v[1] * r // 1000
    tx, ty = cx + vx, cy + vy
    _stroke(canvas, cx - vx, cy - vy, tx, ty, 3, colour)
    for s in (707, -707):   # the head: the shaft turned back by 135 degrees either way
        hx = (-707 * v[0] - s * v[1]) // 1000
        hy = (s * v[0] - 707 * v[1]) // 1000
        _stroke(canvas, tx, ty, tx + hx * r * 6 // 10000, ty + hy * r * 6 // 10000, 3, colour)


def paint(canvas, v, shift=0):
    """Draw view v (view.compose) over the whole canvas; shift (0-2 px) moves it
    a little now and then, so an OLED does not burn the same pixels in all night."""
    big, direction, age, title, detail, priority, stale, sounding = v
    W, H = canvas.width, canvas.height
    fg, bg = canvas.ink("fg"), canvas.ink("bg")
    canvas.fill(bg)
    x = y = shift
    size = (ARROW[0] if W < 160 else ARROW[1]) if H >= 64 else 16
    scale = 4 if H >= 64 else 2
    scale = max(1, min(scale, (W - size - 4) // (8 * len(big))))
    text(canvas, big, x, y, scale, fg)
    if stale:   # crossed out: an old number must not pass for the glucose now
        canvas.fill_rect(x, y + 4 * scale - 1, 8 * scale * len(big), max(2, scale // 2), fg)
    if direction is not None and not stale:
        arrow(canvas, direction, W - size - 2 + shift, y, size, fg)
    line = y + 8 * scale + 3
    text(canvas, age, x, line, 1, fg)
    if title:
        ink = canvas.ink(priority or "fg")
        if sounding:   # inverted: the alarm heard now stands out from an answered one
            canvas.fill_rect(0, line + 10, W, 10, ink)
            text(canvas, title, x + 1, line + 11, 1, bg)
        else:
            text(canvas, title, x + 1, line + 11, 1, ink)
        text(canvas, detail, x + 1, line + 21, 1, fg)
