"""tools/freeze/: the manifests that freeze the firmware into a board image
stay in step with package.json (every micropython-lib dependency required,
aioble as the parts the link uses,
microdot's modules present, the whole firmware/ tree frozen). Building an image
needs a MicroPython source tree, so the build itself is checked by hand
(tools/build_unix32.sh with FROZEN=1); this reads the manifests with the same
functions MicroPython's manifestfile.py gives them."""
import json
import os

from conftest import ROOT

FREEZE = os.path.join(ROOT, "tools", "freeze")


def read_manifest(name, seen):
    calls = []

    def here(p):
        return os.path.normpath(os.path.join(FREEZE, p))

    api = {
        "require": lambda pkg, **kw: calls.append(("require", pkg)),
        "package": lambda pkg, files=None, base_path=".", opt=None:
            calls.append(("package", pkg, tuple(files or ()), here(base_path))),
        "freeze": lambda path, script=None, opt=None: calls.append(("freeze", here(path))),
        "module": lambda path, base_path=".", opt=None: calls.append(("module", path)),
        "include": lambda path, **kw: calls.extend(
            read_manifest(path, seen) if not path.startswith("$(") else [("include", path)]),
        "metadata": lambda **kw: None,
    }
    seen.append(name)
    with open(os.path.join(FREEZE, name)) as f:
        exec(compile(f.read(), name, "exec"), api)
    return calls


# package.json's aioble (a file install gets all of it) is frozen as the parts a
# central uses: aioble's __init__ imports its peripheral and GATT server when they
# are there, 2 KB of heap the link never uses. The link imports aioble.security
# and aioble.central, and connects and discovers (aioble.client).
AIOBLE_PARTS = ("aioble-central", "aioble-client", "aioble-security")


def test_firmware_manifest_matches_package_json():
    calls = read_manifest("firmware.py", [])
    deps = json.load(open(os.path.join(ROOT, "package.json")))["deps"]
    mip_names = [n for n, _ in deps if not n.startswith(("github:", "http"))]
    want = [n for n in mip_names if n != "aioble"] + list(AIOBLE_PARTS)
    assert "aioble" in mip_names
    assert sorted(c[1] for c in calls if c[0] == "require") == sorted(want)
    # microdot (from GitHub/PyPI, not micropython-lib): the modules the firmware imports
    (pkg,) = [c for c in calls if c[0] == "package"]
    assert pkg[1] == "microdot" and pkg[3] == os.path.join(ROOT, ".mpylib")
    assert [d for d in deps if "microdot" in d[0]], "microdot is no longer a dependency"
    for f in pkg[2]:  # installed by make setup, where the image build takes them from
        assert os.path.exists(os.path.join(pkg[3], "microdot", f)), f
    assert "__init__.py" in pkg[2] and "microdot.py" in pkg[2]
    assert ("freeze", os.path.join(ROOT, "firmware")) in calls
    assert os.path.exists(os.path.join(ROOT, "firmware", "main.py"))  # a frozen main.py boots


def test_board_and_host_manifests_include_the_port_and_the_firmware():
    for name, port in (("esp32.py", "$(PORT_DIR)/boards/manifest.py"),
                       ("unix.py", "$(PORT_DIR)/variants/standard/manifest.py")):
        seen = []
        calls = read_manifest(name, seen)
        assert ("include", port) in calls, calls
        assert "firmware.py" in seen and ("freeze", os.path.join(ROOT, "firmware")) in calls
