"""CPython only: a config.json written by tools/flash.py (app.config.dumps on CPython)
means on the board (MicroPython's json) the very text a person typed. CPython's json
wrote a character beyond U+FFFF as two \\u escapes (a surrogate pair), which
MicroPython's json reads as two characters of 3 bytes each (session 65, helper-331):
a network named "\U0001F3E0 home" was another SSID on the board, and never joined."""
import json
import os

from conftest import ROOT, run_micropython

from app import config

PROG = r'''
import sys, json
from binascii import hexlify
sys.path.insert(0, "firmware")
from app import config
cfg, problems = config.load(sys.argv[1])
w = cfg["wifi"][0] if cfg["wifi"] else {}
print(json.dumps([hexlify(s.encode()).decode() for s in (w.get("ssid", ""), w.get("password", ""),
                                                        cfg["mqtt"]["topic"])] + [len(problems)]))
'''


def test_text_beyond_the_basic_plane_reaches_the_board_as_written():
    cfg = config.defaults()
    cfg["transmitter_id"] = "8G1234"
    cfg["wifi"] = [{"ssid": "\U0001F3E0 home caf\u00e9", "password": "p\u00e4ss \U0001F511 word"}]
    cfg["mqtt"]["topic"] = "cgm/\U0001F9D2"
    clean, problems = config.validate(cfg)
    assert problems == [], problems
    path = os.path.join(ROOT, "build", "test_config_across_runtimes.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(config.dumps(clean).encode())     # as tools/flash.py writes it (UTF-8)
    r = run_micropython(["-c", PROG, path])
    *board, problems = json.loads(r.stdout.strip().splitlines()[-1])
    assert [bytes.fromhex(h) for h in board] == [clean["wifi"][0]["ssid"].encode(),
                                                 clean["wifi"][0]["password"].encode(),
                                                 clean["mqtt"]["topic"].encode()], board
    assert problems == 0, r.stdout


SAVE = r'''
import sys
sys.path.insert(0, "firmware")
from app import config
cfg, problems = config.load(sys.argv[1])
assert problems == [], problems
cfg["mqtt"]["topic"] = "cgm/\U0001F9D2"   # and one typed as itself (the setup page)
config.save(sys.argv[1], cfg)
'''


def test_the_boards_save_of_text_beyond_the_basic_plane_is_read_by_flash_py_as_the_same_text():
    # (session 65's leftover, helper-331) a box that read a Wi-Fi name written as two \u
    # escapes (tools/flash.py until session 65) saved it as 6 bytes that are not UTF-8:
    # CPython's parse (tools/flash.py reading the board's file) called it "not UTF-8 text"
    path = os.path.join(ROOT, "build", "test_config_across_runtimes_save.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii") as f:   # as CPython's json wrote it (ensure_ascii)
        json.dump({"transmitter_id": "8G1234", "wifi": [{"ssid": "\U0001F3E0 home", "password": ""}]}, f)
    run_micropython(["-c", SAVE, path])
    with open(path, "rb") as f:
        data = f.read()
    raw, problems = config.parse(data, "the board's config.json")
    assert problems == [], problems
    assert raw["wifi"][0]["ssid"] == "\U0001F3E0 home" and raw["mqtt"]["topic"] == "cgm/\U0001F9D2"
    assert data.decode("utf-8") and "\U0001F3E0 home".encode() in data   # UTF-8 itself
