"""tools/import_cost.py (the README's import-cost figures) imports every firmware
module the board imports, including those the firmware imports later, inside
functions (the transmitter's clock, the time-zone rules, the setup access point,
buttons, power): a module it leaves out is missing from the figure."""
import json
import os

from conftest import ROOT, run_micropython

# firmware modules the board never imports (CPython's stand-ins, the decoder's and fuzzer's
# messages; tools/import_cost.py's comment): checked below
NOT_ON_THE_BOARD = {"dexcom.aes", "dexcom.info", "dexcom.messages"}


def firmware_modules():
    base = os.path.join(ROOT, "firmware")
    names = set()
    for dirpath, _, files in os.walk(base):
        for f in files:
            if f.endswith(".py") and f != "__init__.py":
                rel = os.path.relpath(os.path.join(dirpath, f[:-3]), base)
                names.add(rel.replace(os.sep, "."))
    return names - NOT_ON_THE_BOARD


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


def test_the_modules_left_out_of_the_import_cost_are_not_imported_by_the_firmware():
    # (session 61) dexcom.info and dexcom.messages were counted though only tools import them
    # (about 1.1 KB of the figure): none of the firmware's modules may import one of them
    base = os.path.join(ROOT, "firmware")
    left_out = ["dexcom.info", "dexcom.messages"]   # (dexcom.aes: auth's CPython fallback only)
    found = []
    for dirpath, _, files in os.walk(base):
        for f in files:
            path = os.path.join(dirpath, f)
            if not f.endswith(".py") or os.path.relpath(path, base)[:-3].replace(os.sep, ".") in left_out:
                continue
            with open(path) as fh:
                for n, line in enumerate(fh, 1):
                    code = line.split("#")[0]
                    for name in left_out:
                        pkg, mod = name.split(".")
                        if "import" in code and (name in code or (pkg in code and mod in code.split("import", 1)[1].replace(",", " ").split())):
                            found.append("%s:%d %s" % (os.path.relpath(path, ROOT), n, line.strip()))
    assert not found, found
