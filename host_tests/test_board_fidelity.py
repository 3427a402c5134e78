"""Board fidelity checks that need the firmware's MicroPython-only modules
(docs/BOARD_AUDIT.md). The ESP32 computes in single-precision floats
(MICROPY_FLOAT_IMPL_FLOAT, ports/esp32/mpconfigport.h:69): a millisecond date
(13 digits) that passes through float() is off by up to 65 s there, while
the host's double keeps it exact up to 2**53. So a number that must stay
exact is checked here beyond 2**53, where double rounds too."""
from conftest import run_micropython


def test_lan_api_date_bounds_are_parsed_exactly():
    r = run_micropython(["-c", r'''
from forward import lanapi
b = lanapi._bounds({"find[date][$gt]": "9007199254740993", "find[date][$lte]": "1700000600001",
                    "find[date][$lt]": "1.5e3"})
print(b["gt"], b["lte"], b["lt"])
try:
    lanapi._bounds({"find[date][$gte]": "soon"})
except lanapi.BadRequest as e:
    print("bad", e)
'''])
    assert r.stdout.split("\n")[0] == "9007199254740993 1700000600001 1500", r.stdout
    assert "bad find[date][$gte]: not a number" in r.stdout


def test_a_reset_on_the_host_forgets_every_firmware_module():
    # the board's reset starts every module afresh; the host's boot loop drops the
    # firmware's modules so the next boot imports them anew. screen and setup were left
    # out once: each boot after a reset ran the first boot's modules, which held the
    # first boot's other modules (their code twice in the heap the next boot measures)
    import os
    from conftest import APP_MICROPYPATH, FIRMWARE
    names = sorted(n[:-3] if n.endswith(".py") else n for n in os.listdir(FIRMWARE)
                   if n.endswith(".py") or os.path.isfile(os.path.join(FIRMWARE, n, "__init__.py")))
    assert {"main", "screen", "setup", "alarms"} <= set(names), names
    r = run_micropython(["-c", r'''
import sys
sys.path.insert(0, "tools/host")
import virtual_esp32
virtual_esp32.install(0, 1700000000)
names = %r
for n in names:
    __import__(n)
import microdot, umqtt.simple
virtual_esp32.forget_firmware()
print("LEFT", sorted(m for m in sys.modules if m.split(".")[0] in names + ["microdot", "umqtt"]))
''' % names], env={"MICROPYPATH": APP_MICROPYPATH}, heap="2M")
    assert "LEFT []" in r.stdout, r.stdout + r.stderr


def test_a_reset_on_the_host_empties_micropythons_scheduler_queue():
    # the queue's slots keep each callback after it ran (aioble's _save_secrets at a bond),
    # and with it its module and the whole last boot, in the heap the next boot is measured in
    from conftest import APP_MICROPYPATH
    r = run_micropython(["-c", r'''
import sys, gc, micropython
sys.path.insert(0, "tools/host")
import virtual_esp32
virtual_esp32.install(0, 1700000000)

def boot():
    held = bytearray(200000)

    def save(_):
        held[0] = 1
    micropython.schedule(save, None)
boot()
for _ in range(3):
    pass
gc.collect()
before = gc.mem_alloc()
virtual_esp32.reset_board()
gc.collect()
print("FREED", before - gc.mem_alloc())
'''], env={"MICROPYPATH": APP_MICROPYPATH}, heap="2M")
    freed = int(r.stdout.split("FREED")[1])
    assert freed >= 190000, r.stdout + r.stderr
