# tools/install_mpy_deps.py: set-up's messages when micropython-lib cannot be had.
# Without network mip fails; the script falls back to ../shared/micropython-lib. A
# checkout without that mirror (cloned alone from GitHub) used to go on regardless
# and ended in "Package not found: http://127.0.0.1:.../aioble/0.6.2.json", which
# says nothing of the mirror. It must name what is missing.
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _project(tmp_path, with_mirror):
    proj = tmp_path / "work" / "proj"
    (proj / "tools").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "tools", "install_mpy_deps.py"), str(proj / "tools"))
    (proj / "package.json").write_text('{"deps": [["aioble", "0.6.2"]]}')
    if with_mirror:
        (tmp_path / "work" / "shared" / "micropython-lib" / "micropython").mkdir(parents=True)
    fake = tmp_path / "micropython"   # a port whose mip never reaches anything
    fake.write_text("#!/bin/sh\necho 'Package not found: $*' >&2\nexit 1\n")
    fake.chmod(0o755)
    return proj, fake


def _run(proj, fake, tmp_path):
    return subprocess.run([sys.executable, str(proj / "tools" / "install_mpy_deps.py"), str(fake),
                           str(tmp_path / "lib")], capture_output=True, text=True, timeout=60)


def test_without_network_or_mirror_set_up_says_the_mirror_is_missing(tmp_path):
    proj, fake = _project(tmp_path, with_mirror=False)
    r = _run(proj, fake, tmp_path)
    assert r.returncode != 0
    assert "no offline micropython-lib mirror at" in r.stderr, r.stderr
    assert os.path.join("work", "shared", "micropython-lib") in r.stderr, r.stderr
    assert "aioble@0.6.2" in r.stderr, r.stderr


def test_with_a_mirror_it_is_tried(tmp_path):
    proj, fake = _project(tmp_path, with_mirror=True)
    r = _run(proj, fake, tmp_path)
    assert r.returncode != 0   # the fake mip fails from the mirror too
    assert "using the mirror" in r.stdout + r.stderr and "no offline" not in r.stderr, r.stderr
