"""Run a command with the host's wall clock moved to another UTC time (a manual check that the
tests do not depend on the hour or date they run at; docs/TESTING.md, Session 65 helper-330):

    .venv/bin/pip install libfaketime     # once, by hand: not part of `make setup`
    .venv/bin/python tools/hostclock.py "2027-03-28 00:58" .venv/bin/python -m pytest -q host_tests/test_chaos.py

The PyPI wheel's libfaketime.so.1 is preloaded into the command and every child it starts (the
MicroPython unix port too). The clock is moved by a fixed offset from now, so it runs on and every
process started later sees the same moved clock; the monotonic clock stays real. (Debian's
faketime 0.9.10 cannot keep it real under CPython 3.11: its time.sleep() fails with EINVAL. With
libfaketime's monotonic fix on, its default, test_a_held_nightscout_answer_comes_at_the_worlds_moment
failed at any time: the Nightscout stand-in's answer came late.)
"""
import calendar
import importlib.util
import os
import sys
import time


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    at = calendar.timegm(time.strptime(argv[0], "%Y-%m-%d %H:%M"))
    spec = importlib.util.find_spec("libfaketime")
    if spec is None:
        sys.exit("hostclock: libfaketime is not installed (.venv/bin/pip install libfaketime)")
    lib = os.path.join(spec.submodule_search_locations[0], "vendor", "libfaketime", "src",
                       "libfaketime.so.1")
    env = dict(os.environ, FAKETIME="%+d" % (at - int(time.time())), FAKETIME_DONT_FAKE_MONOTONIC="1",
               FAKETIME_FORCE_MONOTONIC_FIX="0",   # on, the stand-ins' timed waits misfire
               LD_PRELOAD=":".join(p for p in (lib, os.environ.get("LD_PRELOAD")) if p))
    os.execvpe(argv[1], argv[1:], env)


if __name__ == "__main__":
    main(sys.argv[1:])
