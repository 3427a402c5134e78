"""Run a program around the real firmware App on MicroPython (virtual board and
clock), with a config file, and read back its one RESULT line."""
import json
import os

from conftest import APP_MICROPYPATH, ROOT, run_micropython


def run_app(tmp_path, cfg, prog, heap="2M", **names):
    """Write cfg to config.json, run prog with CFG, BOARDS and `names` defined
    before it, and return the JSON after its "RESULT " line. (The host heap holds the
    harness's own logs too; the board's budget is measured by `make bench`.)"""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    head = "CFG, BOARDS = %r, %r\n" % (str(path), os.path.join(ROOT, "boards"))
    head += "".join("%s = %r\n" % kv for kv in sorted(names.items()))
    r = run_micropython(["-c", head + prog], cwd=str(tmp_path), heap=heap, timeout=120, check=False,
                        env={"MICROPYPATH": APP_MICROPYPATH})
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(line[0][7:])


def booted_app(scenario, wall_unix=1700000000):
    """A program for run_app: main.App booted on the virtual ESP32 (its wall clock at
    wall_unix; below 2020 it counts as unset), its log quiet and its servers off, then
    `scenario` (source defining `async def scenario()`, which prints RESULT), run.
    The program sees sys, json, asyncio, machine, main, clock, log, persist and app."""
    return ("import sys, json\n"
            "import virtual_esp32\n"
            "virtual_esp32.install(0, %d)\n"
            "import asyncio, machine, main, clock\n"
            "from app import log, persist\n"
            "log.sink = lambda line: None\n"
            "app = main.App(CFG, boards_dirs=(BOARDS,))\n"
            "app.setup_port = app.dns_port = None\n"
            "%s\n"
            "asyncio.run(scenario())\n") % (wall_unix, scenario)
