# An ST7789 colour TFT on SPI (the M5StickC PLUS2's 1.14" 135x240 IPS panel),
# as a canvas for draw.py. Hand-written: micropython-lib has no ST7789 driver,
# and the ones that exist keep a frame buffer (nano-gui's: 4 bits a pixel,
# 16 KB here) or are C modules. This one has NO frame buffer: 240x135 at
# 16 bits would be 64 KB, the whole heap budget. fill_rect sets the panel's
# address window (CASET/RASET) and streams one colour into it (RAMWR) from a
# small reused buffer, so drawing allocates nothing per call; the panel keeps
# the picture in its own RAM.
#
# The controller's RAM is 240x320; the panel shows a 135x240 part of it, at
# column `offsets[0]`, row `offsets[1]` in portrait (52, 40 on the PLUS2).
# In landscape the rows and columns are exchanged (MADCTL MV) and one axis is
# mirrored, so the window's start moves (LovyanGFX Panel_LCD::setRotation):
#   rotation 1: MADCTL MX|MV (0x60), x from offsets[1] (40), y from 240 - 135 - offsets[0] (53)
#   rotation 3: MADCTL MY|MV (0xA0), x from 320 - 240 - offsets[1] (40), y from offsets[0] (52)
# plus the BGR bit (0x08) for a panel whose colour filter is blue-green-red.
# An IPS panel shows the complement of what is written unless inversion is on
# (INVON). Colours go over the wire as RGB565, most significant byte first.
#
# Failures: SPI is write-only here (no MISO), so a panel that is missing,
# unplugged or dead cannot be told from one that works: nothing raises
# OSError and the "display" device alarm of run.py is never raised by this
# panel (the SSD1306 on I2C can be detected: no ACK). Only a bad pin in the
# board file raises (ValueError), at open_panel().
import time

import framebuf
import machine

# 80 MHz / 3. M5GFX writes this panel at 40 MHz with its own bus code; the
# MicroPython port opens the bus full-duplex, and ESP-IDF refuses more than
# 26.7 MHz on pins through the GPIO matrix (13/15 are not HSPI's IO_MUX pins):
# the port returns an SPI without a device and crashes at the first write.
BAUDRATE = 26666666
BUF = 512                 # bytes streamed at a time (256 pixels)
PWM_HZ = 256              # backlight PWM (M5GFX: 256 Hz on GPIO27)
# backlight duty_u16: calm at night, an alarm at full. M5GFX starts this board's
# brightness scale at 40/255 (its Light_PWM offset): below that the backlight may
# not light, so the dim level stays above it (12000/65535 = 47/255).
DIM, BRIGHT = 12000, 65535

# RGB565 of each role (draw.py): white on black, the alarm's priority in colour
INK = {"fg": 0xFFFF, "bg": 0x0000, "high": 0xF800, "medium": 0xFD20, "low": 0x07FF}

_SWRESET, _SLPOUT, _NORON, _INVON, _DISPON = 0x01, 0x11, 0x13, 0x21, 0x29
_CASET, _RASET, _RAMWR, _MADCTL, _COLMOD = 0x2A, 0x2B, 0x2C, 0x36, 0x3A
_MADCTL_OF = {1: 0x60, 3: 0xA0}
_BGR = 0x08
RAM_W, RAM_H = 240, 320


def open_panel(cfg):
    """The canvas of board file "display" cfg (kind "st7789"): resets and
    initialises the panel, blocking about 170 ms (the datasheet's waits)."""
    # miso=None: no MISO. Left out, the ESP32 port takes the host's default pin
    # (SPI(1): GPIO12, the PLUS2's panel reset) as an input.
    spi = machine.SPI(cfg.get("spi") or 1, baudrate=cfg.get("baudrate") or BAUDRATE,
                      sck=machine.Pin(cfg["sck"]), mosi=machine.Pin(cfg["mosi"]), miso=None)
    return St7789(spi, cfg)


class St7789:
    buffered = False   # written into the panel as drawn: draw.paint draws over, no clearing
    burn_in = False    # an LCD keeps no image: the layout stays put

    def __init__(self, spi, cfg):
        self.spi = spi
        self.cs = machine.Pin(cfg["cs"], machine.Pin.OUT, value=1)
        self.dc = machine.Pin(cfg["dc"], machine.Pin.OUT, value=1)
        rst = cfg.get("rst")
        self.rst = None if rst is None else machine.Pin(rst, machine.Pin.OUT, value=1)
        bl = cfg.get("backlight")
        self.bl = None if bl is None else machine.PWM(machine.Pin(bl), freq=PWM_HZ, duty_u16=0)
        self.width = cfg.get("width") or 240
        self.height = cfg.get("height") or 135
        rot = cfg.get("rotation") or 1
        ox, oy = cfg.get("offsets") or (52, 40)
        if rot == 1:
            self.x0, self.y0 = oy, RAM_W - self.height - ox
        else:
            self.x0, self.y0 = RAM_H - self.width - oy, ox
        self.buf = bytearray(BUF)
        self.mv = memoryview(self.buf)
        self.fb = framebuf.FrameBuffer(self.buf, BUF // 2, 1, framebuf.RGB565)
        self.colour = None        # what buf holds now
        self.one = bytearray(1)   # a command byte
        self.win = bytearray(4)   # CASET / RASET arguments
        self._init(_MADCTL_OF[rot] | (_BGR if cfg.get("bgr", True) else 0),
                   cfg.get("invert", True))

    def _init(self, madctl, invert):
        if self.rst is not None:   # hardware reset: low >= 10 us, then 5 ms before a command
            self.rst(0)
            time.sleep_ms(1)
            self.rst(1)
            time.sleep_ms(5)
        self._cmd(_SWRESET)
        time.sleep_ms(150)         # 120 ms after a reset before SLPOUT
        self._cmd(_SLPOUT)
        time.sleep_ms(10)          # 5 ms after SLPOUT before the next command
        self._cmd(_COLMOD, 0x55)   # 16 bits a pixel (RGB565)
        self._cmd(_MADCTL, madctl)
        if invert:
            self._cmd(_INVON)
        self._cmd(_NORON)
        self._cmd(_DISPON)

    def _cmd(self, op, arg=None):
        self.one[0] = op
        self.dc(0)
        self.cs(0)
        self.spi.write(self.one)
        if arg is not None:
            self.one[0] = arg
            self.dc(1)
            self.spi.write(self.one)
        self.cs(1)

    def _window(self, op, a, b):
        w = self.win
        w[0] = a >> 8   # one at a time: a 4-tuple would be allocated
        w[1] = a & 255
        w[2] = b >> 8
        w[3] = b & 255
        self.one[0] = op
        self.dc(0)
        self.spi.write(self.one)
        self.dc(1)
        self.spi.write(w)

    def ink(self, role):
        return INK.get(role, 0xFFFF)

    def fill(self, c):
        self.fill_rect(0, 0, self.width, self.height, c)

    def fill_rect(self, x, y, w, h, c):
        if x < 0:
            w, x = w + x, 0
        if y < 0:
            h, y = h + y, 0
        w = min(w, self.width - x)
        h = min(h, self.height - y)
        if w <= 0 or h <= 0:
            return
        if c != self.colour:   # framebuf stores RGB565 little-endian: swap, the wire wants MSB first
            self.fb.fill(((c & 0xFF) << 8) | (c >> 8))
            self.colour = c
        self.cs(0)
        self._window(_CASET, self.x0 + x, self.x0 + x + w - 1)
        self._window(_RASET, self.y0 + y, self.y0 + y + h - 1)
        self.one[0] = _RAMWR
        self.dc(0)
        self.spi.write(self.one)
        self.dc(1)
        n = 2 * w * h
        buf = self.buf
        while n >= BUF:
            self.spi.write(buf)
            n -= BUF
        if n:
            self.spi.write(self.mv[:n])   # the one allocation: a view of the rest (32 bytes)
        self.cs(1)

    def show(self, bright):
        """Nothing to send (the panel holds the picture); the backlight:
        full while an alarm sounds, dim otherwise."""
        if self.bl is not None:
            self.bl.duty_u16(BRIGHT if bright else DIM)
