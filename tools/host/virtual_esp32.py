# The virtual ESP32: what the board provides, on the unix port (host only).
#
#   import virtual_esp32
#   virtual_esp32.install(speed=0, wall_unix=...)   # before the firmware imports anything
#
# - `time`: the virtual clock (vtime; epoch 2000, wrapping ticks, asyncio on simulated time);
# - `machine`: fakes that record every pin/PWM change, RTC memory, a watchdog;
# - `bluetooth`: the virtual radio (aioble runs on it unmodified);
# - `network`: a WLAN fake (sockets stay real, on loopback);
# - `socket` (sockets=n): the board's budget of n lwIP sockets over the real ones
#   (board_socket: OSError 23 from socket(), an accept with no slot dropped; 0 counts
#   them without a limit); the world's own sockets in the same process go through
#   board_socket.host_socket() or board_socket.world() and are not counted.
# The firmware then runs unchanged: it never imports anything from tools/.
import sys

import vtime

# Every top-level module and package in firmware/ (host_tests/test_board_fidelity.py checks
# it), and the frozen libraries with no host stand-in: the board's reset starts them afresh.
FIRMWARE_PREFIXES = ("main", "clock", "reading", "civil", "strictjson", "app", "alarms", "dexcom",
                     "link", "sound", "screen", "setup", "forward", "aioble", "microdot", "umqtt")


def install(speed=0, wall_unix=None, sockets=None):
    vtime.install(speed, wall_unix)
    if sockets is not None:   # after vtime (it hooks asyncio, which board_socket's accept loop imports)
        import board_socket
        board_socket.install(int(sockets) or None)
    import board_tls
    board_tls.install()   # certificates checked against the board's clock, as on the ESP32
    import machine
    sys.modules["machine"] = machine
    import network
    sys.modules["network"] = network
    try:
        import bluetooth
        sys.modules["bluetooth"] = bluetooth
    except ImportError:
        pass


def reset_board():
    """What a reset does to the board's parts: the Bluetooth stack goes down
    (links terminated, services and the IRQ handler gone), pin interrupts
    are detached, PWMs stop and outputs float (machine.reset_pins). The fakes would otherwise keep the last boot's handlers, and
    with them its objects, in the heap the next boot is measured in. MicroPython's scheduler
    queue too: its slots keep each callback after it ran (aioble's _save_secrets at a bond),
    and that callback's module the whole last boot (_clear_scheduler)."""
    _clear_scheduler()
    import machine
    machine._irqs.clear()
    machine.reset_pins(machine.reset_cause())
    vradio = sys.modules.get("vradio")
    ctrl = vradio and vradio._default_ctrl
    if ctrl is not None:
        if ctrl.active():
            ctrl._shutdown()   # (not active(False): a reset takes no deinit time, board_time)
        ctrl.irq(None)


def _noop(_):
    pass


def _clear_scheduler():
    """Overwrite every slot of micropython.schedule's queue with a no-op, scheduling until
    it is full (or 64 times, if each runs before the next)."""
    try:
        from micropython import schedule
    except ImportError:   # CPython
        return
    for _ in range(64):
        try:
            schedule(_noop, None)
        except RuntimeError:   # full: every slot holds the no-op
            return


def forget_firmware():
    """After a reset the firmware starts from scratch: drop its modules so the
    next import runs them anew (RTC memory and the flash folder survive)."""
    for name in list(sys.modules):
        if name.split(".")[0] in FIRMWARE_PREFIXES:
            del sys.modules[name]
