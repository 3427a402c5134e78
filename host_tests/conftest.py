"""Shared pytest fixtures: run code on the real MicroPython unix port."""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")
TOOLS = os.path.join(ROOT, "tools")
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
# tools/mutation.py --mpy serves a mutant from a copy of its package in
# MUTANT_OVERLAY, looked up before the firmware (by the unix port and CPython)
FIRMWARE_PATH = ("%s:%s" % (os.environ["MUTANT_OVERLAY"], FIRMWARE) if os.environ.get("MUTANT_OVERLAY")
                 else FIRMWARE)
MICROPYPATH = ".frozen:%s:%s" % (FIRMWARE_PATH, os.path.join(ROOT, ".mpylib"))
# the same with the host fakes (machine, bluetooth, ...) first: the whole app on the virtual board
APP_MICROPYPATH = ".frozen:%s:%s:%s" % (os.path.join(TOOLS, "host"), FIRMWARE_PATH,
                                       os.path.join(ROOT, ".mpylib"))

# Pure firmware modules are importable under CPython too (a mutant's package first).
for p in (FIRMWARE, TOOLS, os.path.join(TOOLS, "host"), os.environ.get("MUTANT_OVERLAY")):
    if p and p not in sys.path:
        sys.path.insert(0, p)


# This run's own folder for the files the tests' programs write (bond keys, queues):
# a fixed /tmp name was shared by two runs at once (two checkouts, or `make test` beside
# a single file), which deleted and overwrote each other's bond files and failed tests.
RUN_TMP = tempfile.mkdtemp(prefix="host_tests-")
atexit.register(shutil.rmtree, RUN_TMP, True)


def tmp_file(name):
    """A path for `name` in this run's own folder (RUN_TMP)."""
    return os.path.join(RUN_TMP, name)


# the same for a MicroPython program's text (put before the lines that call it)
TMP_FILE_PROG = "def tmp_file(name):\n    return %r + name\n" % (RUN_TMP + "/")


def run_micropython(args, stdin=None, heap="512K", timeout=300, env=None, check=True, cwd=ROOT):
    """Run the unix port with the firmware's MICROPYPATH; return CompletedProcess."""
    e = dict(os.environ, MICROPYPATH=MICROPYPATH)
    if env:
        e.update(env)
    cmd = [MICROPYTHON, "-X", "heapsize=" + heap] + list(args)
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                       env=e, cwd=cwd)
    if check and r.returncode != 0:
        raise AssertionError("micropython %s failed (%d):\n%s\n%s" % (args, r.returncode,
                                                                       r.stdout, r.stderr))
    return r


from ports import free_port  # noqa: E402,F401  (tests import it from here)
from runtime import MICROPYTHON  # noqa: E402  (MICROPYTHON=path runs another build)


def state_at(changes, t):
    """The state at t of [(t, state)] changes in time order (None before the first)."""
    now = None
    for at, state in changes:
        if at > t:
            break
        now = state
    return now


def link_out(prog, *args, timeout=180):
    """Run a link_prelude program (8 MB heap) and return the JSON it printed last after "OUT "."""
    r = run_micropython(["-c", prog] + list(args), heap="8M", timeout=timeout)
    line = [x for x in r.stdout.splitlines() if x.startswith("OUT ")]
    assert line, r.stdout + r.stderr
    return json.loads(line[-1][4:])


def link_prelude(bond_path):
    """The start of a MicroPython program (run from ROOT) that runs the link against
    virtual transmitters: the virtual clock and radio, asyncio, json and vtx imported,
    and no bond left at bond_path from an earlier run."""
    return """
import sys
sys.path[:0] = ["tools/host", "tools"]
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio, json, vtx
try:
    import os
    os.remove(%r)
except OSError:
    pass
""" % bond_path


@pytest.fixture
def micropython():
    return run_micropython


@pytest.fixture
def ns():
    """A Nightscout stand-in on loopback (nsserver.py) that takes the tests' API secret."""
    from nsserver import NsServer
    s = NsServer(secret="0123456789abcdef", bad_delay_s=0.002)
    yield s
    s.close()


def pytest_report_header(config):
    r = subprocess.run([MICROPYTHON, "-c", "import sys; print(sys.maxsize.bit_length() + 1)"],
                       capture_output=True, text=True)
    return "micropython: %s (%s-bit)" % (MICROPYTHON, r.stdout.strip() or "?")


# What the suite reads from ../shared (the project's read-only working set beside the
# checkout: README "Try it"). Without it `make test` failed to collect three files with a
# bare FileNotFoundError and ran nothing: it says what is missing instead (a single test
# file that needs none of it still runs).
SHARED_NEEDS = ("vectors/dexcom.json", "traces/adult_001.csv", "real-cgm")


def pytest_sessionstart(session):
    whole = os.path.join(ROOT, "host_tests")
    missing = [p for p in SHARED_NEEDS if not os.path.exists(os.path.join(SHARED, p))]
    if missing and any(os.path.abspath(a) == whole for a in session.config.args):
        pytest.exit("the tests need ../shared beside this checkout (%s), missing: %s"
                    % (SHARED, ", ".join(missing)), returncode=4)
