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


class _StepOs:
    """The real os, except that its n-th remove or rename raises `fail` in its place:
    a PowerCut (nothing after it runs) or an OSError (the flash refused it)."""

    def __init__(self, n, fail):
        self.left, self.fail = n, fail

    def _step(self):
        self.left -= 1
        if self.left == 0:
            raise self.fail

    def remove(self, p):
        self._step()
        os.remove(p)

    def rename(self, a, b):
        self._step()
        os.rename(a, b)

    def __getattr__(self, name):
        return getattr(os, name)


def _saved_on(fake_os, path, cfg):
    """config.save(path, cfg) with fsutil on fake_os: True when it saved, False when it
    raised (a cut, or the flash refused a step)."""
    return _on(fake_os, lambda: config.save(path, cfg))


def _on(fake_os, fn):
    """fn() with fsutil on fake_os: True when it ran through, False when it raised."""
    real = fsutil.os
    fsutil.os = fake_os
    try:
        fn()
        return True
    except (PowerCut, OSError):
        return False
    finally:
        fsutil.os = real
        fsutil.failed_writes = 0


def test_saving_while_the_box_runs_on_its_previous_copy_never_loses_both():
    # (review of session 43) config.json damaged, the box on config.json.bak, and the
    # family saves the settings again: write_atomic removed the .bak (the only good copy)
    # to rotate the damaged file onto it; a cut, or a rename the flash refused, then left
    # the damaged file and the new one only as a temp file that recover() drops: the
    # next boot ran on the defaults (no transmitter id: no glucose, no glucose alarm)
    for fail in (PowerCut(), OSError(5)):
        for n in range(1, 5):
            path = _fresh("onbak.json")
            _write(path + ".bak", config.dumps(_cfg("8G0001")))
            full = config.dumps(_cfg("8G0009"))
            _write(path, full[:len(full) * 2 // 3])
            cfg, problems = config.load(path)
            assert cfg["transmitter_id"] == "8G0001", problems
            saved = _saved_on(_StepOs(n, fail), path, _cfg("8G0002"))
            cfg, problems = config.load(path)   # the next boot
            want = ("8G0002",) if saved else ("8G0001", "8G0002")
            assert cfg["transmitter_id"] in want, (fail, n, cfg["transmitter_id"], problems)
    # once saved whole, the new file is the box's: the next save keeps it as the .bak
    config.save(path, _cfg("8G0003"))
    assert config.load(path)[0]["transmitter_id"] == "8G0003"
    assert config.load(path + ".bak")[0]["transmitter_id"] == "8G0002"


def test_once_the_box_runs_on_a_good_file_again_each_save_keeps_the_previous_as_the_bak():
    # a box that ran on the .bak (its file damaged) saves over the damaged file without
    # rotating it onto the .bak; once a good file is in place again (a first save, or a
    # flash of a new one read at the next load) each save keeps the file before it as the
    # .bak, as every other save does: else the one good copy left after a cut save was
    # an older one, or none
    path = _fresh("backagain.json")
    _write(path + ".bak", config.dumps(_cfg("8G0001")))
    full = config.dumps(_cfg("8G0009"))
    _write(path, full[:len(full) * 2 // 3])
    assert config.load(path)[0]["transmitter_id"] == "8G0001"   # on the .bak
    config.save(path, _cfg("8G0002"))
    config.save(path, _cfg("8G0003"))
    assert config.load(path + ".bak")[0]["transmitter_id"] == "8G0002"
    # damaged again, then a good file flashed in place: read, and kept by the next save
    _write(path, full[:len(full) // 2])
    assert config.load(path)[0]["transmitter_id"] == "8G0002"   # on the .bak
    _write(path, config.dumps(_cfg("8G0004")))
    assert config.load(path)[0]["transmitter_id"] == "8G0004"
    config.save(path, _cfg("8G0005"))
    assert config.load(path + ".bak")[0]["transmitter_id"] == "8G0004"


def test_a_save_whose_last_rename_the_flash_refuses_leaves_the_old_settings():
    # (helper-263) the setup page answers a refused save "Not saved ... Nothing was
    # changed"; when the flash refused only the last step (tmp -> config.json, a worn
    # flash failing now and then), the old file had been moved aside and recover()
    # rolled the refused save forward at the next boot, with the `device` alarm
    # (config: "an interrupted save was completed"): settings the person was told were
    # not saved came into force at some later reset, perhaps at night
    path = _fresh("lastrename.json")
    _write(path, config.dumps(_cfg("8G0001")))
    # remove .bak, rename to .bak, rename .tmp: the 3rd
    assert not _saved_on(_StepOs(3, OSError(5)), path, _cfg("8G0002"))
    cfg, problems = config.load(path)   # the next boot
    assert cfg["transmitter_id"] == "8G0001", problems
    assert not any(p.startswith(path) for p in problems), problems
    assert not _exists(path + ".tmp")


class _RefusedTmpRename(_StepOs):
    """The real os, except that renaming the temp file into place raises OSError(5)."""

    def __init__(self):
        _StepOs.__init__(self, 0, OSError(5))

    def rename(self, a, b):
        if a.endswith(".tmp"):
            raise OSError(5)
        os.rename(a, b)


def test_a_save_refused_at_its_last_rename_on_a_box_running_on_its_previous_copy_is_not_kept():
    # (helper-263) config.json damaged, the box on config.json.bak: no old file to put back
    # when the last rename is refused, and recover() rolled the save the page called "Not
    # saved" forward at the next boot. The new file is dropped: the box stays on the .bak
    path = _fresh("onbaklast.json")
    _write(path + ".bak", config.dumps(_cfg("8G0001")))
    full = config.dumps(_cfg("8G0009"))
    _write(path, full[:len(full) * 2 // 3])
    assert config.load(path)[0]["transmitter_id"] == "8G0001"   # the boot: on the .bak
    assert not _saved_on(_RefusedTmpRename(), path, _cfg("8G0002"))
    cfg, problems = config.load(path)   # the next boot
    assert cfg["transmitter_id"] == "8G0001", problems
    assert not _exists(path + ".tmp")


def test_half_written_temp_file_is_ignored():
    path = _fresh("d.json")
    full = config.dumps(_cfg("8G0003"))
    _write(path, full)
    _write(path + ".tmp", full[: len(full) // 2])
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0003"
    assert not _exists(path + ".tmp")


def _falls_back_to_bak(name, data, problem):
    """A config file holding `data` loads the previous copy, saying `problem`."""
    path = _fresh(name)
    _write(path + ".bak", config.dumps(_cfg("8G0004")))
    _write_bytes(path, data)
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0004"
    assert any(p.startswith(path + ": " + problem) for p in problems), problems
    assert path + ": using the previous copy " + path + ".bak" in problems


def test_half_written_config_uses_previous_copy():
    full = config.dumps(_cfg("8G0005"))
    _falls_back_to_bak("e.json", full[: len(full) * 2 // 3].encode(), "damaged: its checksum")
    hand = full[full.index("\n", 3) + 1:]      # written by hand: no checksum line
    _falls_back_to_bak("e2.json", ("{\n" + hand[: len(hand) * 2 // 3]).encode(), "not valid JSON")


def test_a_hand_edit_that_only_micropythons_json_takes_is_refused_on_both_runtimes():
    # helper-177 (session 39): MicroPython's json read a missing comma as if it were there,
    # and "high": 2 50 as 2, with no problem listed; CPython's json (tools/flash.py, an
    # editor) refuses both. The same file now means the same on the board: not valid JSON,
    # where, and the previous copy.
    for n, (text, where) in enumerate((
            ('{\n"transmitter_id": "8G0006"\n"alarms": {"low": 80}\n}', "line 3: '\"' where a comma or }"),
            ('{\n"transmitter_id": "8G0006",\n"alarms": {"high": 2 50}\n}', "line 3: '5' where a comma or }"),
            ('{"transmitter_id": "8G0006", "alarms": {"low": 80,}}', "line 1: '}' where a key was due"),
            ('{"transmitter_id" "8G0006"}', "line 1: '\"' where a colon was due"),
            # helper-182 (session 42): a comma missing between two literals. MicroPython's json
            # read 60null as 60 then null: at the top a key that was not a string (config.load
            # raised, the box restarted at every boot and never tried the previous copy); in a
            # section a key lost (high went back to its default)
            ('{"transmitter_id": "8G0006", "utc_offset_min": 60null, "units": "mmol"}', "line 1: '60null'"),
            ('{"transmitter_id": "8G0006",\n"alarms": {"low": 70true, "high": 250}}', "line 2: '70true'"),
            ('{"transmitter_id": "8G0006", "alarms": {"low": 070}}', "line 1: '070'"),
            ('{"transmitter_id": "8G0006", "hostname": "cgm\tbox"}', "line 1: a tab or line break"))):
        _falls_back_to_bak("j%d.json" % n, text.encode(),
                           "not valid JSON (half written or edited by hand?), " + where)
    # the same edits made right load as written
    path = _fresh("j9.json")
    _write(path, '{\n"transmitter_id": "8G0006",\n"alarms": {"high": 250}\n}')
    cfg, problems = config.load(path)
    assert problems == [] and cfg["transmitter_id"] == "8G0006" and cfg["alarms"]["high"] == 250


def test_a_file_no_check_foresaw_leaves_the_box_on_the_previous_copy_not_stopped():
    # load() never raises: a check that fails on a value nobody foresaw (as validate did on
    # a key that was not a string, helper-182) takes the previous copy, then the defaults
    path = _fresh("m.json")
    _write(path, config.dumps(_cfg("8G0007")))
    _write(path + ".bak", config.dumps(_cfg("8G0008")))
    real, failing = config.file_problems, ["8G0007"]

    def broken(cfg, where):
        if cfg["transmitter_id"] in failing:
            raise TypeError("a value no check foresaw")
        return []
    config.file_problems = broken
    try:
        cfg, problems = config.load(path)
        assert cfg["transmitter_id"] == "8G0008", cfg["transmitter_id"]
        assert problems == [path + ": could not be checked (TypeError)",
                            path + ": using the previous copy " + path + ".bak"], problems
        failing.append("8G0008")   # both copies fail their checks: the defaults
        cfg, problems = config.load(path)
    finally:
        config.file_problems = real
    assert cfg["transmitter_id"] == config.defaults()["transmitter_id"], cfg["transmitter_id"]
    assert problems[:3] == [path + ": could not be checked (TypeError)",
                            path + ".bak: could not be checked (TypeError)",
                            path + ": using safe defaults"], problems


def test_a_damaged_config_that_still_parses_uses_previous_copy():
    # chaos round 5: one flipped byte in a threshold or a snooze still parses,
    # and the box ran on a value nobody chose (e.g. rate_snooze 30 -> 90)
    full = config.dumps(_cfg("8G0005"))
    assert full.startswith('{\n  "crc32": "') and '"urgent_low_snooze": 15' in full
    bad = full.replace('"urgent_low_snooze": 15', '"urgent_low_snooze": 25')
    _falls_back_to_bak("h.json", bad.encode(), "damaged: its checksum does not match")
    # the same file written by hand (no checksum line) is read as it is
    path = _fresh("h2.json")
    _write(path, "{\n" + bad[bad.index("\n", 3) + 1:])
    cfg, problems = config.load(path)
    assert cfg["alarms"]["urgent_low_snooze"] == 25 and cfg["transmitter_id"] == "8G0005", problems
    # and what the box writes reads back whole, without the checksum key
    path = _fresh("h3.json")
    config.save(path, _cfg("8G0007"))
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0007" and "crc32" not in cfg, problems
    assert not [p for p in problems if "crc32" in p or "damaged" in p], problems


def test_a_config_whose_checksum_line_is_damaged_uses_previous_copy():
    # the line is `"crc32": "<8 hex digits>",`: a checksum that cannot be read
    # (not hex, a digit more) checks nothing, so the file is taken as damaged
    full = config.dumps(_cfg("8G0005"))
    crc = full[len('{\n  "crc32": "'):full.index('",')]
    bad = full.replace('"urgent_low_snooze": 15', '"urgent_low_snooze": 25')
    for i, seal in enumerate(("zzzzzzzz", crc + "0", crc[:7], crc[:7] + "g")):
        _falls_back_to_bak("s%d.json" % i, bad.replace(crc, seal, 1).encode(),
                           "damaged: its checksum does not match")


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
    raw = json.loads(text)
    assert len(raw.pop("crc32")) == 8 and raw == c      # the checksum line, then the keys
    assert text.count("\n") == len(c) + 3


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


def _write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def test_non_utf8_config_is_a_problem_not_a_crash():
    # load() must never raise: the box would stop at boot with nothing sounding.
    _falls_back_to_bak("h.json", b'{"transmitter_id": "8G12\xff4"}', "not UTF-8 text")


def test_oversized_config_is_refused_without_reading_it_whole():
    # A file far bigger than any configuration (a log copied over it, a
    # runaway editor) would exhaust the board's heap at boot: refused by size.
    path = _fresh("i.json")
    big = '{"wifi": [' + ",".join(['{"ssid": "x", "password": "%s"}' % ("a" * 60)] * 400) + "]}"
    assert len(big) > config.MAX_BYTES
    _write(path, big)
    cfg, problems = config.load(path)
    assert cfg["wifi"] == [] and cfg["alarms"]["urgent_low"] == 55
    assert any(p.startswith(path + ": larger than") and str(config.MAX_BYTES) in p
               for p in problems), problems
    assert path + ": using safe defaults" in problems


def test_largest_valid_config_fits_the_size_limit():
    # Every field at its longest (non-ASCII text written as MicroPython's json
    # writes it, UTF-8) must still be readable.
    c = config.defaults()
    # (a Wi-Fi name and password count UTF-8 bytes, 32 and 63: two-byte letters, each
    # written \u00e9 by CPython, are their longest form)
    c["wifi"] = [{"ssid": "\u00e9" * 16, "password": "\u00e9" * 31 + "p"}] * config.MAX_WIFI
    c["transmitter_id"] = "8G1234"
    c["admin_password"] = "\u00e9" * 64
    # (the uploader takes an API secret or a token, not both: one of them is the longest)
    c["nightscout"] = {"url": "https://" + "\u00e9" * 192, "api_secret": "\u00e9" * 128,
                       "token": "", "allow_http": False, "ca_file": "\u00e9" * 64}
    c["mqtt"] = {"host": "h" * 100, "port": 1883, "user": "\u00e9" * 64, "password": "\u00e9" * 64,
                 "tls": False, "topic": "\u00e9" * 64}
    c["lan_api"]["api_secret"] = "\u00e9" * 128
    c["follow"] = {"url": "https://" + "\u00e9" * 192, "api_secret": "\u00e9" * 128,
                   "token": "t" * 128, "silent_min": 15, "poll_s": 60, "ca_file": "\u00e9" * 64,
                   "sound": "unanswered"}
    entry = {"start": 1320, "end": 420, "low": 80, "high": 200, "urgent_high": 300,
             "low_enabled": True, "high_enabled": True, "urgent_high_enabled": True,
             "fall_enabled": True, "rise_enabled": True, "persistent_high_enabled": True,
             "volume": 100, "urgent_low_soon_minutes": 30, "low_minutes": 30}
    c["alarms"]["schedule"] = [entry] * 4
    c["zone_checked"] = "-960/" * 8
    clean, problems = config.validate(c)
    assert problems == [], problems
    path = _fresh("j.json")
    text = config.dumps(clean)
    # each non-ASCII character (all of the basic plane here) as \\uXXXX, as another tool
    # may write it: the longest form (6 bytes for 2)
    longest = len(text.encode()) + 4 * sum(1 for ch in text if ord(ch) > 127)
    assert longest <= config.MAX_BYTES, longest
    config.save(path, clean)
    with open(_fresh("\u00e9" * 64), "w") as f:   # the CA file both name, beside the config
        f.write("-----BEGIN CERTIFICATE-----\n")
    cfg, problems = config.load(path)
    assert problems == [] and cfg == clean, problems


def test_duplicated_keys_are_reported():
    # JSON parsers keep the last of two equal keys: a hand edit that adds
    # "low": 90 above an old "low": 70 would silently keep 70.
    path = _fresh("k.json")
    _write(path, '{"transmitter_id": "8G0010", "alarms": {"low": 90, "high": 200, "low": 70},'
                 ' "wifi": [{"ssid": "a", "ssid": "b"}], "transmitter_id": "8G0011"}')
    cfg, problems = config.load(path)
    dup = [p for p in problems if "appears more than once" in p]
    assert len(dup) == 3, problems
    assert any(p.startswith("alarms.low:") for p in dup), dup
    assert any(p.startswith("wifi[].ssid:") for p in dup), dup
    assert any(p.startswith("transmitter_id:") for p in dup), dup
    # still read as every JSON parser reads it (the last one), and never silently
    assert cfg["transmitter_id"] == "8G0011" and cfg["alarms"]["low"] == 70


def test_keys_with_json_escapes_and_nesting_are_not_taken_for_duplicates():
    path = _fresh("l.json")
    _write(path, '{"transmitter_id": "8G0012", "wifi": [{"ssid": "a\\"b:", "password": ""},'
                 ' {"ssid": "x", "password": ""}], "alarms": {"schedule": [{"start": 1, "end": 2},'
                 ' {"start": 3, "end": 4}]}}')
    cfg, problems = config.load(path)
    assert problems == [], problems
    assert cfg["wifi"][0]["ssid"] == 'a"b:'


def test_utf8_byte_order_mark_is_read():
    # Windows Notepad writes one before "{": the file is still the family's settings.
    path = _fresh("m.json")
    _write_bytes(path, b'\xef\xbb\xbf' + config.dumps(_cfg("8G0013")).encode())
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0013" and problems == [], problems


def test_a_save_cut_by_the_power_is_read_where_it_is_when_the_flash_refuses_to_finish_it():
    # (helper-282) the first save of the settings (the setup page's, no .bak yet) cut before
    # its rename, then a boot on a flash that refuses recover()'s rename (a worn one): the
    # settings whole in the temp file were not read, the box ran on the defaults (no
    # transmitter id: no glucose, no glucose alarm) and the flash took no save of them again
    from fakes import swap, RefusingFlash
    path = _fresh("refusedcut.json")
    assert not _saved_on(_StepOs(1, PowerCut()), path, _cfg("8G0002"))   # its first rename
    cfg, problems = swap(fsutil, "os", RefusingFlash(os), lambda: config.load(path))
    assert cfg["transmitter_id"] == "8G0002", problems
    assert problems[0].startswith(path + ": could not finish an interrupted save (") \
        and problems[0].endswith("; read from %s.tmp as it is: check the settings" % path), problems
    assert len(problems) == 1, problems
    # a later save cut after its old file went to .bak: the new settings, as recover() would
    # have taken them (the cut came after the temp file was whole)
    config.save(path, _cfg("8G0003"))
    assert not _saved_on(_StepOs(3, PowerCut()), path, _cfg("8G0004"))   # remove .bak, rename to .bak, rename .tmp
    cfg, problems = swap(fsutil, "os", RefusingFlash(os), lambda: config.load(path))
    assert cfg["transmitter_id"] == "8G0004" and len(problems) == 1, problems
    # a first save cut while its temp file was written: its checksum refuses it
    path = _fresh("refusedhalf.json")
    full = config.dumps(_cfg("8G0005"))
    _write(path + ".tmp", full[:len(full) // 2])
    cfg, problems = swap(fsutil, "os", RefusingFlash(os), lambda: config.load(path))
    assert cfg["transmitter_id"] == config.defaults()["transmitter_id"], cfg
    assert path + ".tmp: damaged: its checksum does not match" in " ".join(problems), problems


def test_a_missing_file_beside_its_previous_copy_is_said_in_one_line_not_as_settings_lost():
    # (helper-269's wording) a save over a damaged file (the box on its .bak) cut before the
    # new file was whole: "config.json: missing" beside "using the previous copy" read as
    # settings lost on the settings page
    path = _fresh("gone.json")
    _write(path + ".bak", config.dumps(_cfg("8G0006")))
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0006"
    assert problems == [path + ": not found (a save cut by the power?): using the previous copy "
                        + path + ".bak"], problems
    config.save(path, _cfg("8G0007"))       # the next save makes it whole again
    assert config.load(path) == (_cfg("8G0007"), [])


def test_a_refused_save_keeps_the_settings_the_box_reads_from_a_cut_saves_temp_file():
    # (helper-290) the box runs on a cut save's temp file, the flash having refused recover()'s
    # rename at the boot; the setup page's save is then refused at its rename (a flash that took
    # the temp file's write, not the rename) and says "Nothing was changed". Before, that save
    # wrote over the temp file the box ran on and its undo removed it: the next boot ran on the
    # defaults (no transmitter id: no glucose, no glucose alarm)
    from fakes import swap, RefusingFlash
    path = _fresh("refusedtmpsave.json")
    assert not _saved_on(_StepOs(1, PowerCut()), path, _cfg("8G0002"))   # its first rename
    cfg, problems = swap(fsutil, "os", RefusingFlash(os), lambda: config.load(path))
    assert cfg["transmitter_id"] == "8G0002", problems
    assert not _saved_on(_StepOs(1, OSError(28)), path, _cfg("8G0003"))   # its rename refused
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0002", problems


def test_a_refused_keep_of_the_board_file_keeps_the_copy_read_from_a_cut_saves_temp_file():
    # as config.save's (helper-290's case): the kept board file read from its cut save's temp
    # file (kept_board_file, the flash refusing recover()'s rename), then kept again at a boot
    # on the good board file (keep_board_file: the copy missing, so written) with its rename
    # refused: write_atomic wrote its temp file over the only copy and its undo removed it, so
    # a board file damaged later sounded on the DevKitC's pins
    from fakes import swap, RefusingFlash
    kept = scratch.fresh(WORK + "/keptboard", config.KEPT_BOARD_FILE)   # its own folder
    path = kept[:kept.rfind("/") + 1] + "config.json"
    config.keep_board_file(path, "m5stickc-plus2", {"buzzer": {"kind": "pwm", "pin": 2}})
    assert not _on(_StepOs(3, PowerCut()), lambda: config.keep_board_file(path, "m5stickc-plus2",
                                                                          {"buzzer": {"kind": "pwm", "pin": 3}}))
    assert not _exists(kept) and _exists(kept + ".tmp")   # cut before its last rename
    assert swap(fsutil, "os", RefusingFlash(os), lambda: config.kept_board_file(path, "m5stickc-plus2")) \
        == {"buzzer": {"kind": "pwm", "pin": 3}}
    assert not _on(_StepOs(1, OSError(28)), lambda: config.keep_board_file(
        path, "m5stickc-plus2", {"buzzer": {"kind": "pwm", "pin": 3}}))
    assert config.kept_board_file(path, "m5stickc-plus2") == {"buzzer": {"kind": "pwm", "pin": 3}}


def test_a_cut_save_of_the_boards_name_keeps_the_board_of_a_box_on_the_defaults():
    # (session 59's leftover, helper-294) the board's name is kept beside the settings
    # (keep_board) so that a box whose settings are gone drives its own pins; a save of that
    # name cut before its last rename left it in board.txt.tmp only, and kept_board read
    # board.txt alone: the box on the defaults drove the DevKitC's pins (an M5StickC Plus2
    # silent), whether the flash then took writes or refused them
    from fakes import swap, RefusingFlash
    for cut_at in (1, 3):    # a first save's only rename; a later one's last (after the .bak's)
        path = scratch.fresh(WORK + "/cutboard", "config.json")
        name = scratch.fresh(WORK + "/cutboard", config.BOARD_FILE)
        if cut_at == 3:
            config.keep_board(path, "esp32-devkitc-oled")
        assert not _on(_StepOs(cut_at, PowerCut()), lambda: config.keep_board(path, "m5stickc-plus2"))
        assert not _exists(name) and _exists(name + ".tmp")
        cfg, problems = swap(fsutil, "os", RefusingFlash(os), lambda: config.load(path))
        assert cfg["board"] == "m5stickc-plus2", (cut_at, problems)
        cfg, problems = config.load(path)
        assert cfg["board"] == "m5stickc-plus2", (cut_at, problems)
        assert _exists(name) and config.kept_board(path) == "m5stickc-plus2"   # finished


def _halves(ch):
    """The two surrogate halves of a character beyond U+FFFF: (their \\u escapes, their
    6 bytes as MicroPython's json wrote them, 3 a half)."""
    n = ord(ch) - 0x10000
    high, low = 0xD800 + (n >> 10), 0xDC00 + (n & 0x3FF)
    return ("\\u%04x\\u%04x" % (high, low),
            bytes(b for u in (high, low) for b in (0xE0 | u >> 12, 0x80 | (u >> 6 & 0x3F), 0x80 | (u & 0x3F))))


def _has_a_half(data):
    """Whether the bytes hold a surrogate half (ED A0..BF): never UTF-8, CPython refuses them."""
    return any(data[i] == 0xED and 0xA0 <= data[i + 1] <= 0xBF for i in range(len(data) - 1))


def _spelled(spell):
    """A config whose Wi-Fi name, password and MQTT topic hold a character beyond U+FFFF each,
    spelled by spell(character) -> bytes, and what it must read as."""
    home, key, child = "\U0001F3E0", "\U0001F511", "\U0001F9D2"
    data = (b'{"transmitter_id": "8G0014", "wifi": [{"ssid": "' + spell(home) + b' home", "password": "p\\u00e4ss '
            + spell(key) + b' word"}], "mqtt": {"host": "10.0.0.2", "topic": "cgm/' + spell(child) + b'"}}')
    return data, (home + " home", "p\u00e4ss " + key + " word", "cgm/" + child)


def _read(cfg):
    return cfg["wifi"][0]["ssid"], cfg["wifi"][0]["password"], cfg["mqtt"]["topic"]


def test_a_character_beyond_u_ffff_as_its_two_halves_is_the_one_character_on_both_runtimes():
    # (session 65's leftover, helper-331) tools/flash.py wrote an emoji as two \u escapes until
    # session 65, and the board's own save then wrote their 6 bytes: MicroPython's json read two
    # characters of 3 bytes each, another SSID than the network's, never joined (and CPython
    # called the board's save "not UTF-8 text")
    for way, spell in (("escapes", lambda ch: _halves(ch)[0].encode()), ("bytes", lambda ch: _halves(ch)[1])):
        path = _fresh("halves-%s.json" % way)
        data, want = _spelled(spell)
        _write_bytes(path, data)
        cfg, problems = config.load(path)
        assert problems == [] and cfg["transmitter_id"] == "8G0014", (way, problems)
        assert [s.encode() for s in _read(cfg)] == [s.encode() for s in want], way
        assert [len(s) for s in _read(cfg)] == [6, 11, 5], way


def test_the_boards_save_of_text_beyond_u_ffff_is_utf8_that_reads_back_the_same():
    # typed as itself (the setup page), or read from a file of its two halves (above)
    typed = _cfg("8G0015")
    typed["wifi"] = [{"ssid": "\U0001F3E0 home", "password": ""}]
    path = _fresh("typed.json")
    _write_bytes(path, _spelled(lambda ch: _halves(ch)[0].encode())[0])
    for cfg in (typed, config.load(path)[0]):
        config.save(path, cfg)
        with open(path, "rb") as f:
            data = f.read()
        assert not _has_a_half(data) and cfg["wifi"][0]["ssid"].encode() in data
        got, problems = config.load(path)
        assert problems == [] and got == cfg, problems


def test_half_of_a_character_beyond_u_ffff_is_a_problem_with_its_key_not_a_crash():
    # a \ud83c without its other half (a hand edit, a tool cut it; or its 3 bytes) is not text:
    # CPython's validate raised UnicodeEncodeError on it (the box on its previous copy or the
    # defaults, tools/flash.py a traceback), the board took it and its save wrote 3 bytes that
    # are not UTF-8. Each is a problem with its key (the `device` alarm, reason config), read as
    # U+FFFD, and the rest of the file stands
    high, low = _halves("\U0001F3E0")[0][:6], _halves("\U0001F3E0")[0][6:]
    path = _fresh("half.json")
    _write_bytes(path, ('{"transmitter_id": "8G0016", "wifi": [{"ssid": "%s home", "password": ""}, '
                        '{"ssid": "x", "password": "%s%s23456789"}], "mqtt": {"host": "h", "topic": '
                        '"cgm/%s"}}' % (high, low, high, high + high + low)).encode()
                   .replace(b"x", _halves("\U0001F511")[1][:3]))
    cfg, problems = config.load(path)
    assert cfg["transmitter_id"] == "8G0016", problems
    assert sorted(problems) == ["%s: half of a character beyond U+FFFF (a \\uD800-\\uDFFF escape, or its 3 "
                                "bytes, without its other half; read as U+FFFD): type it again" % k
                                for k in ("mqtt.topic", "wifi[0].ssid", "wifi[1].password", "wifi[1].ssid")], problems
    assert _read(cfg) == ("\ufffd home", "", "cgm/\ufffd\U0001F3E0")
    assert cfg["wifi"][1] == {"ssid": "\ufffd", "password": "\ufffd" * 2 + "23456789"}
    config.save(path, cfg)   # the board's save of it: UTF-8
    with open(path, "rb") as f:
        assert not _has_a_half(f.read())
