# Host model of an SSD1306 OLED controller on I2C (never on the board): what
# the panel would show, decoded from the bytes the firmware's driver sends,
# so tests and the simulator judge the screen, not the firmware's own buffer.
#
#   panel = vssd1306.Panel()
#   machine.attach_i2c(0x3C, panel)      # answers at that address from now on
#   panel.on, panel.contrast, panel.lit(x, y), panel.rows() -> ["..##..", ...]
#
# Bytes as the datasheet (Solomon Systech SSD1306 rev 1.1, 8.1.5 and 10) has
# them: each I2C write starts with a control byte, 0x80 (one command byte
# follows) or 0x00 (command bytes follow) or 0x40 (display data follows). Data
# fills the graphic RAM from the column/page window set by 0x21/0x22, in
# horizontal addressing mode (0x20 0x00), one byte = 8 pixels down a column,
# least significant bit on top.
_ARGS = {0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8D: 1, 0xA8: 1, 0xAD: 1, 0xD3: 1, 0xD5: 1,
         0xD9: 1, 0xDA: 1, 0xDB: 1}


class Panel:
    def __init__(self, width=128, height=64):
        self.width, self.height = width, height
        self.ram = bytearray(128 * 8)
        self.on = False
        self.contrast = 0x7F
        self.inverted = False
        self.mode = 2           # page addressing after reset
        self.cols = (0, 127)
        self.pages = (0, 7)
        self.col, self.page = 0, 0
        self._cmd = []          # a command waiting for its argument bytes
        self.frames = 0         # data writes that reached the last page (whole screens)
        self.listeners = []     # fn(panel) after each data write

    def write(self, data):
        data = bytes(data)
        if not data:
            return
        control, rest = data[0], data[1:]
        if control & 0x40:
            self._data(rest)
        else:
            for b in rest:
                self._command(b)

    def _command(self, b):
        self._cmd.append(b)
        if len(self._cmd) - 1 < _ARGS.get(self._cmd[0], 0):
            return
        c, self._cmd = self._cmd, []
        op = c[0]
        if op in (0xAE, 0xAF):
            self.on = op == 0xAF
        elif op == 0x81:
            self.contrast = c[1]
        elif op in (0xA6, 0xA7):
            self.inverted = op == 0xA7
        elif op == 0x20:
            self.mode = c[1] & 3
        elif op == 0x21:
            self.cols, self.col = (c[1] & 127, c[2] & 127), c[1] & 127
        elif op == 0x22:
            self.pages, self.page = (c[1] & 7, c[2] & 7), c[1] & 7

    def _data(self, data):
        for b in data:
            self.ram[self.page * 128 + self.col] = b
            if self.col < self.cols[1]:
                self.col += 1
            else:
                self.col = self.cols[0]
                if self.mode == 0:
                    self.page = self.pages[0] if self.page >= self.pages[1] else self.page + 1
                    if self.page == self.pages[0]:
                        self.frames += 1
        for fn in self.listeners:
            fn(self)

    def lit(self, x, y):
        """Pixel (x, y) of what the firmware drew (x from the left of its buffer)."""
        x0 = (128 - self.width) // 2
        on = (self.ram[(y // 8) * 128 + x0 + x] >> (y % 8)) & 1
        return bool(on) != self.inverted

    def rows(self):
        return ["".join("#" if self.lit(x, y) else "." for x in range(self.width))
                for y in range(self.height)]
