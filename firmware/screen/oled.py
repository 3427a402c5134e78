# An SSD1306 OLED on I2C, through micropython-lib's ssd1306 driver (installed
# with the firmware's other packages, package.json "deps"). The driver draws
# into a 1 KB framebuf (128x64) and sends it whole at show(): about 25 ms at
# 400 kHz, once a minute or on a change.
import machine
import ssd1306

FREQ = 400000
DIM, BRIGHT = 8, 255   # contrast: calm at night, an alarm at full


class _Driver(ssd1306.SSD1306_I2C):
    """The driver, whose show() can be held back: its init_display() ends by
    sending a blank frame, a dark blink when the set-up is sent again."""
    quiet = False

    def show(self):
        if not self.quiet:
            super().show()


def open_panel(cfg):
    """The canvas of board file "display" cfg; OSError when the panel does not answer."""
    i2c = machine.I2C(0, scl=machine.Pin(cfg["scl"]), sda=machine.Pin(cfg["sda"]), freq=FREQ)
    return Oled(_Driver(cfg.get("width") or 128, cfg.get("height") or 64, i2c,
                        addr=cfg.get("address") or 0x3C))


class Oled:
    buffered = True   # drawn into the driver's frame buffer, sent whole at show()
    burn_in = True    # an OLED's pixels age with use: the layout moves now and then

    def __init__(self, dev):
        self.dev = dev
        self.width, self.height = dev.width, dev.height

    def ink(self, role):
        return 0 if role == "bg" else 1

    def fill(self, c):
        self.dev.fill(c)

    def fill_rect(self, x, y, w, h, c):
        self.dev.fill_rect(x, y, w, h, c)

    def init(self):
        """Send the controller its set-up again: a module that lost its power
        for a moment (a loose VCC wire) restarts dark, in sleep, and still
        answers on I2C, so nothing else would tell."""
        self.dev.quiet = True   # the panel keeps its picture; the redraw after this sends the new one
        try:
            self.dev.init_display()
        finally:
            self.dev.quiet = False

    def show(self, bright):
        self.dev.contrast(BRIGHT if bright else DIM)
        self.dev.show()
