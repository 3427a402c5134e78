# Every firmware save on a flash that refuses to open a file for writing (a full or worn
# littlefs answers open(path, "w") with ENOSPC or EIO, as it can a rename): fakes.RefusingFlash
# with opens=True. None may raise into the loop (only what its caller catches), lose what is
# in RAM, or go unsaid: each refused save counts toward the `device` flash alarm
# (fsutil.failed_writes, main.App._watch_flash). (The Nightscout queue's and the bond keys'
# saves meet the same OSError in test_nightscout_rules and test_sim_flash_refuses.)
# Runs on CPython and MicroPython.
import os

from fakes import RefusingFlash, import_setup_ap, import_txclock, on_flash
from scratch import fresh

from app import config
from forward import sensorstart

txclock, fsutil, log = import_txclock()
ap = import_setup_ap()[0]
WORK = "build/flash_refused_open"


def _refused(fn):
    """(fn()'s result or the OSError it raised, the log lines, the saves refused) on a
    flash that refuses opens for writing, renames and removals."""
    said = []
    log.sink = said.append
    fsutil.failed_writes = fsutil.failed_bytes = 0
    try:
        try:
            got = on_flash(fsutil, RefusingFlash(os, opens=True), fn)
        except OSError as e:
            got = e
    finally:
        log.sink = lambda line: None
    return got, said, fsutil.failed_writes


def _left(path):
    return [s for s in ("", ".tmp", ".bak") if fsutil.exists(path + s)]


def test_a_refused_open_raises_oserror_counts_the_save_and_leaves_the_files_as_they_were():
    path = fresh(WORK, "a.txt")
    fsutil.write_atomic(path, "old\n")
    got, _, refused = _refused(lambda: fsutil.write_atomic(path, ("new", "\u00e9\n")))
    assert isinstance(got, OSError) and refused == 1 and fsutil.failed_bytes == 6, (got, refused)
    assert fsutil.read_text(path) == "old\n" and _left(path) == [""], _left(path)


def test_the_settings_save_is_refused_whole_and_said():
    # the setup page says "Not saved ... Nothing was changed" on the OSError (setup/web.py)
    path = fresh(WORK, "config.json")
    old = config.defaults()
    old["transmitter_id"] = "8G0001"
    config.save(path, old)
    new = config.defaults()
    new["transmitter_id"] = "8G0002"
    got, _, refused = _refused(lambda: config.save(path, new))
    assert isinstance(got, OSError) and refused == 1, (got, refused)
    assert config.load(path) == (old, []) and _left(path) == [""], _left(path)


def test_the_kept_board_name_and_file_are_refused_and_the_old_copies_kept():
    # main.board_name and main.load_board catch it (log.exc) and go on
    path = fresh(WORK + "/board", "config.json")
    for name in (config.BOARD_FILE, config.KEPT_BOARD_FILE):
        fresh(WORK + "/board", name)
    config.keep_board(path, "m5stickc-plus2")
    config.keep_board_file(path, "m5stickc-plus2", {"buzzer": {"kind": "pwm", "pin": 2}})
    got, _, refused = _refused(lambda: config.keep_board(path, "esp32-devkitc"))
    assert isinstance(got, OSError) and refused == 1, (got, refused)
    assert config.kept_board(path) == "m5stickc-plus2"
    got, _, refused = _refused(lambda: config.keep_board_file(
        path, "m5stickc-plus2", {"buzzer": {"kind": "pwm", "pin": 3}}))
    assert isinstance(got, OSError) and refused == 1, (got, refused)
    assert config.kept_board_file(path, "m5stickc-plus2") == {"buzzer": {"kind": "pwm", "pin": 2}}


def test_the_transmitters_activation_is_kept_in_ram_and_its_refusal_said():
    path = fresh(WORK, "tx_clock.txt")
    txclock.clock.t = 1780000000 + 86400
    tc = txclock.TransmitterClock("8G1234", path, lambda t: None)
    got, said, refused = _refused(lambda: tc.seen(86400))
    assert got == 1780000000 and refused == 1, (got, said)   # (its activation: no OSError)
    assert tc._kept is not None and tc._kept[:2] == ("8G1234", 1780000000), tc._kept
    assert [l for l in said if "cannot keep the transmitter's activation" in l], said
    assert _left(path) == [], _left(path)


def test_a_posted_sensor_start_is_kept_in_ram_and_its_refusal_said():
    path = fresh(WORK, "sensor_start.txt")
    logs = []
    memo = sensorstart.SensorStart(path, logs.append)
    job = memo.due(("8G1234", 5000, 1767225600, 9 * 86400), 1767225600 + 600)
    got, _, refused = _refused(lambda: memo.posted(job))
    assert got is None and refused == 1, got
    assert memo.due(("8G1234", 5000, 1767225600, 9 * 86400), 1767225600 + 900) is None
    assert [l for l in logs if "sensor start not kept" in l], logs


def test_the_setup_key_is_used_and_its_refused_saves_said():
    # first use: no key on flash, none kept: the access point's password from the unique id
    path = fresh(WORK, "setup_key.bin")
    got, said, refused = _refused(lambda: ap.device_key(path, b"\x12\x34\x56"))
    assert got == b"" and refused == 1, (got, said)
    assert [l for l in said if "cannot store the AP key" in l], said
    # an old unsealed key: used as it is, its sealing refused
    with open(path, "wb") as f:
        f.write(b"label-key-16byte")
    got, said, refused = _refused(lambda: ap.device_key(path, b"\x12\x34\x56"))
    assert got == b"label-key-16byte" and refused == 1, (got, said)
    assert [l for l in said if "cannot add a checksum" in l], said
