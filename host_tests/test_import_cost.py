"""tools/import_cost.py (the README's import-cost figures) imports every firmware
module the board imports, including those the firmware imports later, inside
functions (the transmitter's clock, the time-zone rules, the setup access point,
buttons, power): a module it leaves out is missing from the figure."""
import json
import os

from conftest import ROOT, run_micropython

# firmware modules never imported on MicroPython (CPython's stand-ins)
CPYTHON_ONLY = {"dexcom.aes"}


def firmware_modules():
    base = os.path.join(ROOT, "firmware")
    names = set()
    for dirpath, _, files in os.walk(base):
        for f in files:
            if f.endswith(".py") and f != "__init__.py":
                rel = os.path.relpath(os.path.join(dirpath, f[:-3]), base)
                names.add(rel.replace(os.sep, "."))
    return names - CPYTHON_ONLY


def test_import_cost_covers_every_firmware_module():
    program = ("exec(open('tools/import_cost.py').read())\n"
               "import sys\nprint(json.dumps(sorted(sys.modules)))\n")
    r = run_micropython(["-c", program], heap="4M", timeout=120,
                        env={"MICROPYPATH": ".frozen:firmware:.mpylib:tools/host"})
    report, loaded = [json.loads(line) for line in r.stdout.splitlines()[-2:]]
    missing = firmware_modules() - set(loaded)
    assert not missing, "tools/import_cost.py does not import %s" % sorted(missing)
    assert report["total"] >= sum(v for v in report["modules"].values() if v > 0) > 0
    for name in ("app.txclock", "app.localtime", "civil"):   # each its own row, not hidden in another's
        assert report["modules"][name] > 0, (name, report["modules"])
