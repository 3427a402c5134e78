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
