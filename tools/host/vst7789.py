# Host model of an ST7789 TFT controller and its panel on SPI (never on the
# board): what a person would see, decoded from the bytes the firmware's
# driver sends, so tests judge the screen, not the driver's idea of it.
#
#   panel = vst7789.Panel(rst=12, backlight=27)      # the M5StickC PLUS2's
#   machine.attach_spi(panel, sck=13, mosi=15, cs=5, dc=14)
#   machine.listeners.append(panel.pin_changed)      # RST pulses, backlight duty
#   panel.shown(), panel.duty, panel.pixel(x, y, turn), panel.rows(colour, turn)
#
# Commands as the datasheet has them (Sitronix ST7789V, 9.1): DC low = a
# command byte, DC high = its parameters or, after RAMWR (2Ch), pixel data.
# The controller's RAM is 240 columns x 320 rows; the panel shows width x
# height of it from column/row `offsets` (portrait). CASET/RASET set the
# window that RAMWR fills left to right, top to bottom; MADCTL (36h) maps
# those addresses onto the RAM: MV exchanges them (CASET addresses rows), then
# MX mirrors the column and MY the row. COLMOD 55h: 16 bits a pixel, RGB565,
# most significant byte first. An IPS panel shows the complement unless INVON;
# MADCTL's BGR bit must match the panel's colour filter or red and blue swap.
# Waits checked (datasheet: SWRESET/SLPOUT/reset then 5 ms before the next
# command, 120 ms before SLPOUT): a violation is listed in panel.errors.
import array

import machine

_ARGS = {0x2A: 4, 0x2B: 4, 0x36: 1, 0x3A: 1}


class Panel:
    def __init__(self, width=135, height=240, offsets=(52, 40), rst=None, backlight=None,
                 ips=True, bgr=True):
        self.pw, self.ph = width, height
        self.ox, self.oy = offsets
        self.rst_pin, self.bl_pin = rst, backlight
        self.ips, self.bgr = ips, bgr
        self.ram = array.array("H", bytes(2 * width * height))   # the visible part only
        self.errors = []
        self.duty = None        # backlight duty_u16 (None: never driven)
        self.frames = 0         # RAMWR commands
        self._reset()

    def _reset(self):
        self.asleep, self.on, self.inverted = True, False, False
        self.colmod, self.madctl = 0x66, 0
        self.cols, self.rows_ = (0, 239), (0, 319)
        self.cmd, self.args, self.half = None, [], None
        self.x = self.y = 0
        self._busy(5, 120)

    def _busy(self, ms, sleep_ms):
        now = machine.now_ms()
        self.ready_ms, self.slpout_ms = now + ms, now + sleep_ms

    def pin_changed(self, t, pin, attr, value):
        if pin == self.rst_pin and attr == "value" and value == 0:
            self._reset()
        elif pin == self.bl_pin and attr == "duty_u16":
            self.duty = value
        elif pin == self.bl_pin and attr == "pwm" and value == 0:
            self.duty = 0

    def write(self, dc, data):
        if not dc:
            for b in data:
                self._command(b)
        elif self.cmd == 0x2C:
            self._pixels(data)
        else:
            for b in data:
                self.args.append(b)
                if len(self.args) == _ARGS.get(self.cmd, 0):
                    self._apply(self.cmd, self.args)

    def _command(self, op):
        now = machine.now_ms()
        if now < self.ready_ms:
            self.errors.append("0x%02X %d ms after a reset or SLPOUT" % (op, now - self.ready_ms + 5))
        self.cmd, self.args, self.half = op, [], None
        if op == 0x01:
            self._reset()
        elif op == 0x11:
            if now < self.slpout_ms:
                self.errors.append("SLPOUT before 120 ms after a reset")
            self.asleep = False
            self._busy(5, 0)
        elif op == 0x10:
            self.asleep = True
        elif op in (0x20, 0x21):
            self.inverted = op == 0x21
        elif op in (0x28, 0x29):
            self.on = op == 0x29
        elif op == 0x2C:
            self.x, self.y = self.cols[0], self.rows_[0]
            self.frames += 1

    def _apply(self, op, a):
        if op == 0x2A:
            self.cols = (a[0] << 8 | a[1], a[2] << 8 | a[3])
        elif op == 0x2B:
            self.rows_ = (a[0] << 8 | a[1], a[2] << 8 | a[3])
        elif op == 0x36:
            self.madctl = a[0]
        elif op == 0x3A:
            self.colmod = a[0]

    def _pixels(self, data):
        if self.colmod & 7 != 5:
            self.errors.append("pixel data with COLMOD 0x%02X, not 16 bits" % self.colmod)
            return
        m = self.madctl
        mv, mx, my = m & 0x20, m & 0x40, m & 0x80
        x0, x1 = self.cols
        y0, y1 = self.rows_
        x, y, half = self.x, self.y, self.half
        ram, pw, ph, ox, oy = self.ram, self.pw, self.ph, self.ox, self.oy
        for b in data:
            if half is None:
                half = b
                continue
            v = half << 8 | b
            half = None
            col, row = (y, x) if mv else (x, y)
            if mx:
                col = 239 - col
            if my:
                row = 319 - row
            col -= ox
            row -= oy
            if 0 <= col < pw and 0 <= row < ph:
                ram[row * pw + col] = v
            if x < x1:
                x += 1
            else:
                x = x0
                y = y0 if y >= y1 else y + 1
        self.x, self.y, self.half = x, y, half

    def shown(self):
        """The panel shows its RAM: out of sleep, display on."""
        return self.on and not self.asleep

    def pixel(self, sx, sy, turn=1):
        """RGB565 a person sees at (sx, sy) of the panel held in landscape:
        turn 1 or 3 (a quarter turn one way or the other from portrait)."""
        if turn == 1:
            px, py = self.pw - 1 - sy, sx
        else:
            px, py = sy, self.ph - 1 - sx
        if not self.shown():
            return 0
        v = self.ram[py * self.pw + px]
        if self.ips and not self.inverted:
            v ^= 0xFFFF
        if bool(self.madctl & 0x08) != self.bgr:
            v = (v & 0x07E0) | (v >> 11) | ((v & 0x1F) << 11)
        return v

    def rows(self, colour, turn=1):
        """The landscape screen as strings: "#" where it shows colour."""
        return ["".join("#" if self.pixel(x, y, turn) == colour else "." for x in range(self.ph))
                for y in range(self.pw)]
