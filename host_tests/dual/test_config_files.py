# Atomic config writes and power cuts (app.fsutil + app.config.load).
# Runs on CPython and MicroPython: a "cut" is an exception raised by a fake
# `os` at a chosen step of write_atomic, after which load() must find either
# the old or the new configuration, whole.
import json
import os
import sys

import scratch

from app import config, fsutil

WORK = "build/test_config_files_" + sys.implementation.name


def _fresh(name):
    return scratch.fresh(WORK, name)


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _cfg(tx):
    c = config.defaults()
    c["transmitter_id"] = tx
    return c


class PowerCut(Exception):
    pass


class _CuttingOs:
    """Passes calls to the real os until the n-th rename, which 'loses power' instead."""

    def __init__(self, cut_at_rename):
        self.left = cut_at_rename

    def rename(self, a, b):
        self.left -= 1
        if self.left == 0:
            raise PowerCut()
        os.rename(a, b)

    def __getattr__(self, name):
        return getattr(os, name)


def _write_with_cut(path, text, cut_at_rename):
    real = fsutil.os
    fsutil.os = _CuttingOs(cut_at_rename)
    try:
        fsutil.write_atomic(path, text)
        return False
    except PowerCut:
        return True
    finally:
        fsutil.os = real


def test_write_atomic_keeps_last_good_copy():
    path = _fresh("a.json")
    fsutil.write_atomic(path, "one")
    fsutil.write_atomic(path, "two")
    assert fsutil.read_text(path) == "two" and fsutil.read_text(path + ".bak") == "one"
    assert not _exists(path + ".tmp")


def test_cut_before_any_rename_keeps_old_config_and_cleans_temp():
    path = _fresh("b.json")
    _write(path, config.dumps(_cfg("8G0001")))
    assert _write_with_cut(path, config.dumps(_cfg("8G0002")), 1)
    assert _exists(path + ".tmp")
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0001"
    assert not _exists(path + ".tmp")  # the leftover temp file is cleaned
    assert not any(p.startswith(path) for p in problems), problems


def test_cut_between_renames_rolls_forward():
    path = _fresh("c.json")
    _write(path, config.dumps(_cfg("8G0001")))
    assert _write_with_cut(path, config.dumps(_cfg("8G0002")), 2)
    assert not _exists(path) and _exists(path + ".bak") and _exists(path + ".tmp")
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0002"
    assert path + ": an interrupted save was completed; check the settings" in problems
    assert _exists(path) and not _exists(path + ".tmp")


def test_half_written_temp_file_is_ignored():
    path = _fresh("d.json")
    full = config.dumps(_cfg("8G0003"))
    _write(path, full)
    _write(path + ".tmp", full[: len(full) // 2])
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0003"
    assert not _exists(path + ".tmp")


def test_half_written_config_uses_previous_copy():
    path = _fresh("e.json")
    _write(path + ".bak", config.dumps(_cfg("8G0004")))
    full = config.dumps(_cfg("8G0005"))
    _write(path, full[: len(full) * 2 // 3])
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0004"
    assert any(p.startswith(path + ": not valid JSON") for p in problems), problems
    assert path + ": using the previous copy " + path + ".bak" in problems


def test_every_truncation_of_a_config_is_caught():
    # Any prefix of the file must be rejected as a whole, never half-applied.
    path = _fresh("f.json")
    full = config.dumps(_cfg("8G0006"))
    for cut in range(0, len(full) - 2, 7):
        _write(path, full[:cut])
        cfg, problems = config.load(path)
        assert cfg["transmitter_id"] == "", cut
        assert path + ": using safe defaults" in problems, (cut, problems)


def test_dumps_is_valid_json_one_key_per_line():
    c = _cfg("8G0007")
    text = config.dumps(c)
    assert json.loads(text) == c
    assert text.count("\n") == len(c) + 2


def test_interrupted_flash_marker_is_a_problem():
    path = _fresh("g.json")
    marker = WORK + "/" + config.FLASH_MARKER
    _write(path, config.dumps(_cfg("8G0008")))
    _write(marker, "flash started")
    try:
        cfg, problems = config.load(path)
    finally:
        os.remove(marker)
    assert cfg["transmitter_id"] == "8G0008"
    assert any(p.startswith("firmware: the last flash did not finish") for p in problems)
    cfg, problems = config.load(path)
    assert not any(p.startswith("firmware:") for p in problems)
