# Runs the test_* functions of one test module on MicroPython and prints one
# JSON line per test: {"name": ..., "ok": true|false, "error": "..."}.
#   micropython tools/host/mpytest.py host_tests/dual/test_x.py [--reverse | NAME...]
# in alphabetical order, or reversed, or only the NAMEs (alone: a test must not need
# another's leftovers). Run as this file: its folder's fakes (machine, ...) come first on the
# port's path, as conftest puts them on CPython's.
# The modules are plain Python (asserts, no pytest), so CPython's pytest runs
# the very same files.
import sys
import json
import io

path = sys.argv[1]
folder, _, fname = path.rpartition("/")
sys.path.insert(0, folder or ".")
mod = __import__(fname[:-3])
names = [n for n in dir(mod) if n.startswith("test_")]
names.sort()
if sys.argv[2:] == ["--reverse"]:
    names.reverse()
elif sys.argv[2:]:
    names = sys.argv[2:]
for name in names:
    fn = getattr(mod, name)
    try:
        if fn() is not None:
            # a generator or an async def returns without running its body
            raise AssertionError("a test must be a plain function; this one returned a value")
        print(json.dumps({"name": name, "ok": True}))
    except Exception as e:
        buf = io.StringIO()
        if hasattr(sys, "print_exception"):
            sys.print_exception(e, buf)
        else:   # CPython: PYTHONPATH=firmware:tools python tools/host/mpytest.py ...
            import traceback
            traceback.print_exc(file=buf)
        print(json.dumps({"name": name, "ok": False, "error": buf.getvalue()}))
