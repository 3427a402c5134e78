# The virtual board's push button, for tools/simboot.py inject() (host only):
#   inject(app, boots, spec)  spec: {"button_at_boot": [boot, hold_s]} holds it down
#   while boot number `boot` powers on, released hold_s later (None: never, stuck);
#   {"button_held": [[t, hold_s], ...]} presses it at virtual time t (s) for hold_s.
# A separate module: simboot's in-place reboot is sensitive to simboot's own code
# size (a 16 KB read in app.config.load found no hole with 256 KB free).
import machine
import vtime


def inject(app, boots, spec):
    cfg = app.board.get("button")
    if not cfg:  # no button on this board
        return
    pin = cfg["pin"]
    down = 0 if cfg.get("active_low", True) else 1
    if boots == 1 and not cfg.get("pull"):
        # the board's own pull resistor (M5StickC PLUS2: GPIO37): the machine fake
        # reads an undriven, unpulled input as 0, which would be a held button
        machine.drive(pin, 1 - down)

    def hold(hold_s):
        machine.drive(pin, down)
        if hold_s is not None:
            vtime.call_later(int(hold_s * 1000), machine.drive, pin, 1 - down)

    at_boot = spec.get("button_at_boot")
    if at_boot and at_boot[0] == boots:
        hold(at_boot[1])  # before app.start(): held while the box powers on
    if boots == 1:
        for t, hold_s in spec.get("button_held") or ():
            vtime.call_at(int(t * 1e6), hold, hold_s)
