# Host fake of MicroPython's `neopixel` (never on the board): NeoPixel(pin, n)
# with item access, fill() and write(); write() records the pixels in the
# machine fake's log as (t_ms, pin, "neopixel", ((r, g, b), ...)).
import machine


class NeoPixel:
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, bpp=3, timing=1):
        # as micropython-lib's driver (frozen into the ESP32 build): pin is a
        # machine.Pin, set to output here (an int has no init(): AttributeError;
        # an input-only GPIO: ValueError)
        pin.init(pin.OUT)
        self.pin = pin.id
        self.n = n
        self.bpp = bpp
        self.buf = [(0,) * bpp for _ in range(n)]
        self._written = None

    def __len__(self):
        return self.n

    def __setitem__(self, i, v):
        # the driver copies v[0..bpp-1] into a bytearray: extra items are
        # ignored, too few raise IndexError, a value wraps modulo 256 and a
        # float raises TypeError (MicroPython's bytearray store)
        px = []
        for k in range(self.bpp):
            x = v[k]
            if not isinstance(x, int):
                raise TypeError("can't convert %s to int" % type(x).__name__)
            px.append(x & 255)
        self.buf[i] = tuple(px)

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
