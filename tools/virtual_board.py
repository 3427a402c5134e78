#!/usr/bin/env python3
"""A virtual MicroPython board on a pseudo-terminal, for `mpremote` and `make flash`.

    python tools/virtual_board.py BOARD_DIR [--link PATH] [--micropython EXE]

Runs the MicroPython unix port with its REPL on a pty and prints the path of
the board's serial port (e.g. /dev/pts/7) on the first line of stdout, then
"ready". The unix port's REPL speaks the raw REPL (Ctrl-A) and raw-paste
protocol that mpremote uses, so `mpremote connect /dev/pts/7 fs ls` works.

The board's filesystem is BOARD_DIR: the process runs there, so the device
paths mpremote writes (`:main.py`, `:lib/x.py`, relative to the device's
current folder, which is `/` on a real board) land in BOARD_DIR. Its
sys.path is like an ESP32's: '' (the board root), then BOARD_DIR/lib.
Never pass absolute device paths (`:/lib`): on the virtual board they would
be the host's.

Two pty pairs joined by a bridge: the unix port owns one, the client (mpremote)
opens the other's slave. When the unix port exits (Ctrl-D on an empty
friendly-REPL line, `machine.reset()`), it is started again, like a board
rebooting, and the client's port stays open. --link makes a symlink to the
port (a stable name like /dev/ttyUSB0). Stop with SIGTERM/SIGINT.

In Python: `with VirtualBoard(dir) as vb: vb.port` (used by the tests).

watchdog_ms (Python only): the board's watchdog is armed, as on a box the
firmware ran on, with this timeout in wall time, counted from the client's
first Ctrl-C (the firmware it interrupts fed it until then). As on the ESP32 port it
cannot be stopped and survives soft resets; `machine.WDT(timeout=ms)` (a shim
over the unix port's machine module) sets a new timeout and `feed()` feeds it.
Not fed in time, the board resets hard: the unix port is killed and started
again, out of the raw REPL, as after a power-on (`vb.wdt_resets` counts them).
"""
import argparse
import os
import shutil
import tempfile
import pty
import select
import signal
import subprocess
import sys
import threading
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runtime import MICROPYTHON  # noqa: E402
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"


class VirtualBoard:
    def __init__(self, board_dir, micropython=MICROPYTHON, heap="2M", link=None, image=(),
                 watchdog_ms=None):
        self.dir = os.path.abspath(board_dir)
        self.watchdog_ms = watchdog_ms
        self.wdt_resets = 0
        self._wdt_dir = None
        self._wdt_stamp = self._wdt_fed_at = None
        self._interrupted = False
        self.micropython = micropython
        self.heap = heap
        self.link = link
        self.image = tuple(image)
        self.proc = None
        self.boots = 0
        self._stop = False
        os.makedirs(self.dir, exist_ok=True)
        # client side: mpremote opens the slave by path
        self._cm, self._cs = pty.openpty()
        tty.setraw(self._cs)
        self.port = os.ttyname(self._cs)
        self._bm = None
        self._thread = None
        self._in_raw = False
        self._held = None

    def _spawn(self):
        bm, bs = pty.openpty()
        tty.setraw(bs)
        # image: folders standing in for modules frozen into the board's image
        # (after .frozen, before lib, as an ESP32's sys.path has them)
        shim = [self._wdt_dir] if self._wdt_dir else []
        env = dict(os.environ, MICROPYPATH=":".join([".frozen"] + shim + [os.path.abspath(p) for p in self.image]
                                                   + [os.path.join(self.dir, "lib")]))
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen([self.micropython, "-X", "heapsize=" + self.heap],
                                     stdin=bs, stdout=bs, stderr=bs, cwd=self.dir, env=env,
                                     start_new_session=True)
        os.close(bs)
        self._bm = bm
        self.boots += 1

    def _reboot(self):
        """The unix port exits where a board soft-resets (Ctrl-D in the raw REPL):
        start it again and, if the client was in the raw REPL, answer as a board
        does ("soft reboot", then back in the raw REPL), hiding the new banner."""
        os.close(self._bm)
        self._spawn()
        if self._in_raw:
            os.write(self._cm, b"MPY: soft reboot\r\n")
            os.write(self._bm, b"\r\x03\x01")
            self._held = b""

    def _from_board(self, data):
        if self._held is not None:  # swallowing the banner after a soft reboot
            self._held += data
            i = self._held.find(RAW_BANNER)
            if i < 0:
                return
            data, self._held = self._held[i:], None
        if RAW_BANNER in data:
            self._in_raw = True
        os.write(self._cm, data)

    def _wdt_expired(self):
        path = os.path.join(self._wdt_dir, "fed")
        try:
            with open(path) as f:
                timeout_ms = int(f.read())
            stamp = os.stat(path).st_mtime_ns
        except (OSError, ValueError):
            return False   # not armed (a hard reset disarmed it), or being fed (written)
        # a feed is the file's new stamp, timed on the monotonic clock when seen (the bridge
        # looks every 50 ms): its stamp against time.time() mixed the file system's clock with
        # the host's, and a host clock stepped ahead reset a fed board (one behind, never a hung one)
        now = time.monotonic()
        if stamp != self._wdt_stamp:
            self._wdt_stamp, self._wdt_fed_at = stamp, now
        if now - self._wdt_fed_at < timeout_ms / 1000.0:
            return False
        os.remove(path)    # the reset clears the watchdog
        self._wdt_stamp = None   # the next arming is a feed, whatever stamp its file gets
        return True

    def _touch_wdt(self):
        path = os.path.join(self._wdt_dir, "fed")
        if os.path.exists(path):
            os.utime(path)

    def _wdt_reset(self):
        self.wdt_resets += 1
        self.proc.kill()
        self.proc.wait()
        os.close(self._bm)
        self._in_raw = False   # a hard reset: the board comes up at its friendly REPL
        self._held = None
        self._spawn()

    def _bridge(self):
        while not self._stop:
            if self._wdt_dir and self._wdt_expired():
                self._wdt_reset()
            if self.proc.poll() is not None:
                self._reboot()
            try:
                r, _, _ = select.select([self._cm, self._bm], [], [], 0.05)
            except (OSError, ValueError):
                return
            for fd in r:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # EIO: the unix port exited; rebooted above
                    continue
                if not data:
                    continue
                if fd == self._cm:
                    if self._wdt_dir and not self._interrupted and b"\x03" in data:
                        self._interrupted = True   # the firmware stops feeding now
                        self._touch_wdt()
                    if b"\x02" in data:
                        self._in_raw = False
                    os.write(self._bm, data)
                else:
                    self._from_board(data)

    def start(self):
        if self.watchdog_ms:
            self._wdt_dir = tempfile.mkdtemp(prefix="vb-wdt-")
            fed = os.path.join(self._wdt_dir, "fed")
            with open(os.path.join(self._wdt_dir, "machine.py"), "w") as f:
                f.write(_WDT_SHIM % fed)
            with open(fed, "w") as f:
                f.write("%d" % self.watchdog_ms)
        self._spawn()
        if self.link:
            if os.path.lexists(self.link):
                os.remove(self.link)
            os.symlink(self.port, self.link)
        self._thread = threading.Thread(target=self._bridge, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop = True
        if self._thread:
            self._thread.join(2)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for fd in (self._bm, self._cm, self._cs):
            try:
                os.close(fd)
            except (OSError, TypeError):
                pass
        if self.link and os.path.islink(self.link):
            os.remove(self.link)
        if self._wdt_dir:
            shutil.rmtree(self._wdt_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


_WDT_SHIM = '''# the virtual board's watchdog (tools/virtual_board.py)
from umachine import *  # noqa: F401,F403


class WDT:
    def __init__(self, id=0, timeout=5000):
        if id != 0:
            raise ValueError()
        if timeout <= 0:
            raise ValueError("WDT timeout too short")
        self.timeout = timeout
        self.feed()

    def feed(self):
        with open(%r, "w") as f:
            f.write("%%d" %% self.timeout)
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("board_dir")
    ap.add_argument("--link", help="also make this symlink to the port")
    ap.add_argument("--micropython", default=MICROPYTHON)
    ap.add_argument("--heap", default="2M")
    args = ap.parse_args()
    vb = VirtualBoard(args.board_dir, args.micropython, args.heap, args.link).start()
    print(vb.port, flush=True)
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.is_set():
        done.wait(0.5)
    vb.stop()


if __name__ == "__main__":
    sys.exit(main())
