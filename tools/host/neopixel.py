# Host fake of MicroPython's `neopixel` (never on the board): NeoPixel(pin, n)
# with item access, fill() and write(); write() records the pixels in the
# machine fake's log as (t_ms, pin, "neopixel", ((r, g, b), ...)).
import machine


class NeoPixel:
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin.id if isinstance(pin, machine.Pin) else int(pin)
        self.n = n
        self.bpp = bpp
        self.buf = [(0,) * bpp for _ in range(n)]
        self._written = None

    def __len__(self):
        return self.n

    def __setitem__(self, i, v):
        if len(v) != self.bpp:
            raise ValueError("pixel needs %d values" % self.bpp)
        self.buf[i] = tuple(int(x) & 255 for x in v)

    def __getitem__(self, i):
        return self.buf[i]

    def fill(self, v):
        for i in range(self.n):
            self[i] = v

    def write(self):
        px = tuple(self.buf)
        if px != self._written:
            self._written = px
            machine.record(self.pin, "neopixel", px)
