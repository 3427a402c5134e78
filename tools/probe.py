#!/usr/bin/env python3
"""Measure a board: tools/board_probe.py run on it, its figures kept in build/probe.json.

    make probe PORT=/dev/ttyUSB0       a board with the firmware installed (make flash)
    make probe [BOARD=name]            the same script on the host's unix port over the
                                       fakes (default esp32-devkitc): checks the script;
                                       its figures are the host's, not a board's
    python tools/probe.py [--port PORT | --board NAME] [--json FILE]

On a board: through mpremote (each connection gives the watchdog a step's time, as
`make flash` does), then the board is reset so the firmware runs again. Sections (see
tools/board_probe.py): runtime (heap, import time), setup (the config and board file the
box reads), loop (how late a 10 ms sleep wakes), pwm (the tones the LEDC makes, silent),
flash (a queue save), display (one frame), net (Wi-Fi join, DNS, TCP, the TLS handshake,
a Date over plain HTTP), ble (adverts heard, the transmitter among them).
Exit 0 when every section ran (a section may still report an error or a skip), 1 when the
script stopped before its end, 2/3 for bad arguments or port (as make flash).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import flash  # noqa: E402 (check_port, Board, FlashError)
from runtime import MICROPYTHON  # noqa: E402

SCRIPT = os.path.join(HERE, "board_probe.py")
DEFAULT_JSON = os.path.join(ROOT, "build", "probe.json")
RUN_TIMEOUT_S = 300

# The host check: the board's fakes first (before anything imports asyncio), the
# board file's display given its panel model, then the board script itself.
HOST_PRELUDE = r'''
import sys
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import machine, json
board = json.load(open("boards/%(board)s.json"))
dp = board.get("display")
if dp and dp.get("kind") == "st7789":
    import vst7789
    machine.attach_spi(vst7789.Panel(rst=dp.get("rst"), backlight=dp.get("backlight")),
                       sck=dp["sck"], mosi=dp["mosi"], cs=dp["cs"], dc=dp["dc"])
elif dp:
    import vssd1306
    machine.attach_i2c(dp.get("address") or 0x3C, vssd1306.Panel(dp.get("width") or 128,
                                                                 dp.get("height") or 64))
exec(open(%(script)r).read())
'''


def parse(text):
    """({section: figures}, finished) from the script's output."""
    out = {}
    for line in text.splitlines():
        if line.startswith("PROBE "):
            try:
                out.update(json.loads(line[6:]))
            except ValueError:
                pass
    return out, "PROBE-DONE" in text


def on_board(port, mpremote):
    board = flash.check_port(port, mpremote)
    try:
        r = board.run(["run", SCRIPT], timeout=RUN_TIMEOUT_S, check=False)
    finally:
        board.run(["reset"], timeout=flash.CONNECT_TIMEOUT_S, check=False)
    if r is None:
        return "", "no answer within %d s" % RUN_TIMEOUT_S
    return r.stdout, r.stderr


def on_host(board_name):
    if not os.path.exists(os.path.join(ROOT, "boards", board_name + ".json")):
        raise flash.FlashError(2, "no board file boards/%s.json (have: %s)"
                               % (board_name, ", ".join(flash.known_boards())))
    d = tempfile.mkdtemp(prefix="probe-")
    try:
        os.symlink(os.path.join(ROOT, "boards"), os.path.join(d, "boards"))
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"board": board_name}, f)
        env = dict(os.environ, MICROPYPATH=":".join([
            ".frozen", os.path.join(HERE, "host"), os.path.join(ROOT, "firmware"),
            os.path.join(ROOT, ".mpylib")]))
        r = subprocess.run([MICROPYTHON, "-X", "heapsize=4M", "-c",
                            HOST_PRELUDE % {"board": board_name, "script": SCRIPT}],
                           capture_output=True, text=True, cwd=d, env=env, timeout=RUN_TIMEOUT_S)
        return r.stdout, r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def summary(figures):
    lines = []
    for name, d in figures.items():
        if "error" in d or "skipped" in d:
            lines.append("%-8s %s" % (name, d.get("error") or "skipped: " + d["skipped"]))
        else:
            lines.append("%-8s %s" % (name, json.dumps(d, sort_keys=True)))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", help="the board's serial port (default: the host check)")
    ap.add_argument("--board", default="esp32-devkitc", help="the host check's board file")
    ap.add_argument("--json", default=DEFAULT_JSON)
    ap.add_argument("--mpremote", default=flash.MPREMOTE)
    a = ap.parse_args(argv)
    try:
        if a.port:
            stdout, stderr = on_board(a.port, a.mpremote)
        else:
            stdout, stderr = on_host(a.board)
    except flash.FlashError as e:
        sys.stderr.write("[probe] ERROR: %s\n" % e)
        return e.code
    figures, finished = parse(stdout)
    figures = {"where": "board %s" % a.port if a.port else "host (unix port, fakes: not a board's figures)",
               "finished": finished, "sections": figures}
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(figures, f, indent=1, sort_keys=True)
    print("[probe] %s" % figures["where"])
    print(summary(figures["sections"]))
    print("[probe] written to %s" % a.json)
    if not finished:
        sys.stderr.write("[probe] the script stopped before its end:\n%s\n" % (stdout + stderr)[-2000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
