"""aioble's own multitests (micropython-lib), unmodified, over the virtual radio:
two unix-port processes per test, lock-step virtual time (tools/multitests.py)."""
import os
import subprocess
import sys

from conftest import ROOT

TOOL = os.path.join(ROOT, "tools", "multitests.py")


def test_every_aioble_multitest_passes_on_the_virtual_radio():
    r = subprocess.run([sys.executable, TOOL], capture_output=True, text=True, timeout=300, cwd=ROOT)
    last = r.stdout.strip().splitlines()[-1]
    assert r.returncode == 0 and last.endswith(" 0 failed"), r.stdout + r.stderr
    passed = int(last.split()[0])
    # every multitest there, perf_* too (the README: "all 10 pass")
    import multitests
    assert passed == len([f for f in os.listdir(multitests.TEST_DIR) if f.endswith(".py")]), r.stdout
    names = [ln.split(":")[0] for ln in r.stdout.splitlines() if ": pass" in ln]
    assert passed >= 8 and all(n in names for n in (
        "ble_advertise_services.py", "ble_buffered_characteristic.py", "ble_characteristic.py",
        "ble_descriptor.py", "ble_notify.py", "ble_shutdown.py", "ble_write_capture.py",
        "ble_write_order.py")), r.stdout


def test_without_the_shared_mirror_it_says_so_in_one_line(monkeypatch, tmp_path):
    # the tests come from ../shared's micropython-lib mirror; without it the tool ended in a
    # FileNotFoundError traceback (helper-390, a clone without ../shared)
    import multitests
    missing = str(tmp_path / "shared" / "multitests")
    monkeypatch.setattr(multitests, "TEST_DIR", missing)
    try:
        multitests.main([])
    except SystemExit as e:
        said = str(e.code)
    else:
        raise AssertionError("no exit")
    assert said.startswith("multitests: cannot read aioble's multitests %s" % missing), said
    assert "\n" not in said and "../shared" in said, said
