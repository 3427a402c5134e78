# app/fsutil.py's and app/log.py's rules.
#
# fsutil: write_atomic's three steps (temp file written and made durable; the
# current file renamed to .bak; the temp renamed to the file) and recover()
# after a power cut at any instant: the configuration, the transmitter's bond
# and the alarm state are read back old or new, never a mix, and recover says
# which case it met ("ok", "discarded", "rolled_forward", "missing"); .bak
# holds the last good copy; no rename ever targets an existing file (FAT
# refuses that); failed_writes (the flash-fault alarm's input) counts failures
# in a row; parts, str and bytes; read_bytes/size of a missing file.
# The filesystem is a stand-in (Flash) put in place of fsutil's `os` and
# `open`: it refuses a rename onto an existing file, keeps apart what the
# running code sees (live) and what a power cut leaves (disk), and can cut the
# power before its n-th operation (a Cut, which is no OSError: nothing of the
# code runs after it; a cut inside a write lands half of that write). Three
# ports: the board (no fsync, close commits, like littlefs), a POSIX host
# (fsync commits a file's data, renames are durable at once) and a host that
# caches renames too until os.sync().
#
# log: the 48-line ring (README's memory budget), oldest first; each line is
# "<ms> <level> <text>" on the module's clock (a stand-in here); % formatting
# and its fallback; hide() masks every registered secret of 3+ characters
# anywhere in a line (a family posts its log to a forum), a secret holding
# another one whole too (it was masked only in part before the fix); log() and exc() never raise (a MemoryError while
# logging must not swallow the alarm its caller raises next) and count the
# lines they lose (dropped). The log's state is emptied for each test and put
# back after. A fresh import stands for the boot.
# Runs on CPython and MicroPython.
import sys

import scratch
from fakes import _beside_clock

from app import fsutil


def _load_log():
    from app import log
    return log


log = _beside_clock(_load_log)

OLD = b'{"transmitter_id": "8G0001", "low": 70}\n'
NEW = b'{"transmitter_id": "8G0002", "low": 65, "high": 250}\n'
OLDER = b'{"transmitter_id": "8G0000"}\n'
P = "/config.json"


# ---------------------------------------------------------------- fsutil


class Cut(BaseException):
    """The power goes: no code of the save runs after it."""


class _Writer:
    """A file open for writing: write() buffers, flush() hands the bytes to the
    filesystem (live), fsync or close (on the board) make them durable (disk)."""

    def __init__(self, flash, path, fd):
        self.flash, self.path, self.fd = flash, path, fd
        self.buf = b""
        self.closed = False

    def write(self, b):
        assert isinstance(b, (bytes, bytearray)), "a binary file takes bytes: %r" % (b,)
        fl, path = self.flash, self.path

        def torn():     # half of this write reaches the flash with what came before
            if path in fl.disk:
                fl.disk[path] = fl.live[path] + self.buf + bytes(b[:len(b) // 2])
        fl._op("write", torn)
        self.buf += bytes(b)
        return len(b)

    def flush(self):
        self.flash._op("flush")
        self.flash.live[self.path] += self.buf
        self.buf = b""

    def fileno(self):
        return self.fd

    def close(self):
        fl = self.flash
        if self.closed or fl.dead:
            return
        fl._op("close")
        fl.live[self.path] += self.buf
        self.buf = b""
        self.closed = True
        if fl.port == "board":      # littlefs commits a file on close
            fl.disk[self.path] = fl.live[self.path]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Reader:
    def __init__(self, data):
        self.data = data

    def read(self):
        return self.data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


class Flash:
    """fsutil's os and open for the length of a `with` block (see the top).
    port: "board", "posix" or "cached"; cut: cut the power before the n-th
    operation (0 = the first), or before the n-th of a kind: ("rename", 2);
    refuse: open for writing fails (a worn or full flash)."""

    def __init__(self, files=None, port="posix", cut=None, refuse=False):
        self.live = dict(files or {})
        self.disk = dict(self.live)
        self.port, self.cut, self.refuse = port, cut, refuse
        self.done = []          # the operations, in order
        self.renames = []
        self.dead = False
        self.cut_kind = None
        self.fds = {}
        if port != "board":     # the ESP32 port's os has neither
            self.fsync = self._fsync
            self.sync = self._sync

    # the power
    def _op(self, kind, torn=None):
        assert not self.dead, "ran on after the power went"
        self.done.append(kind)
        c = self.cut
        if c is None:
            return
        if isinstance(c, int):
            hit = len(self.done) - 1 == c
        else:
            hit = kind == c[0] and self.done.count(kind) == c[1]
        if hit:
            if torn:
                torn()
            self.dead = True
            self.cut_kind = kind
            raise Cut()

    def reboot(self, port=None):
        """The filesystem as the next boot finds it."""
        return Flash(self.disk, port or self.port)

    def _meta_at_once(self):
        return self.port != "cached"

    # os
    def stat(self, path):
        if path not in self.live:
            raise OSError(2)
        return (0o100000, 1, 2, 1, 0, 0, len(self.live[path]), 3, 4, 5)

    def remove(self, path):
        self._op("remove")
        if path not in self.live:
            raise OSError(2)
        del self.live[path]
        if self._meta_at_once():
            self.disk.pop(path, None)

    def rename(self, a, b):
        self._op("rename")
        if b in self.live:
            raise OSError(17)   # FAT: EEXIST
        if a not in self.live:
            raise OSError(2)
        self.live[b] = self.live.pop(a)
        self.renames.append((a, b))
        if self._meta_at_once() and a in self.disk:
            self.disk[b] = self.disk.pop(a)

    def _fsync(self, fd):
        self._op("fsync")
        path = self.fds[fd].path
        self.disk[path] = self.live[path]

    def _sync(self):
        self._op("sync")
        self.disk = dict(self.live)

    # open
    def open(self, path, mode="r"):
        if "w" in mode:
            if self.refuse:
                raise OSError(28)   # ENOSPC
            self._op("create")
            self.live[path] = b""
            if self._meta_at_once():
                self.disk[path] = b""
            fd = len(self.fds) + 3
            f = self.fds[fd] = _Writer(self, path, fd)
            return f
        if path not in self.live:
            raise OSError(2)
        data = self.live[path]
        return _Reader(data if "b" in mode else data.decode())

    def __enter__(self):
        self._saved = (fsutil.os, fsutil.failed_writes, fsutil.failed_bytes)
        fsutil.os = self
        fsutil.open = self.open     # shadows the builtin in fsutil only
        fsutil.failed_writes = fsutil.failed_bytes = 0
        return self

    def __exit__(self, *exc):
        fsutil.os, fsutil.failed_writes, fsutil.failed_bytes = self._saved
        del fsutil.open


def _save(flash, path, data):
    """write_atomic on flash: True when it returned, False when the power went."""
    with flash:
        try:
            fsutil.write_atomic(path, data)
            return True
        except Cut:
            return False


def _after_cut(flash, path=P):
    """(recover's answer, path's bytes, the files) at the next boot."""
    fl = flash.reboot()
    with fl:
        state = fsutil.recover(path)
        data = fsutil.read_bytes(path)
    return state, data, fl.live


def test_a_save_replaces_the_file_and_keeps_the_previous_one_as_bak():
    fl = Flash({P: OLDER})
    with fl:
        fsutil.write_atomic(P, OLD)
        assert fl.live == {P: OLD, P + ".bak": OLDER}
        fsutil.write_atomic(P, NEW)     # a .bak is there: it goes first (FAT)
        assert fl.live == {P: NEW, P + ".bak": OLD}
        assert fsutil.recover(P) == "ok" and fl.live == {P: NEW, P + ".bak": OLD}
    assert fl.renames == [(P, P + ".bak"), (P + ".tmp", P)] * 2


def test_no_rename_targets_an_existing_file():
    # Flash.rename refuses an existing target as FAT does: five saves in a
    # row, with a .bak from the second on, all go through
    fl = Flash()
    with fl:
        for i in range(5):
            fsutil.write_atomic(P, ("v%d" % i).encode())
        assert fsutil.failed_writes == 0
    assert fl.live == {P: b"v4", P + ".bak": b"v3"}
    assert fl.renames[0] == (P + ".tmp", P)     # the first save: nothing to keep


def test_the_first_save_has_no_bak():
    fl = Flash({"/other": OLD})
    with fl:
        fsutil.write_atomic(P, NEW)
        assert fsutil.read_bytes(P + ".bak") is None
        assert fsutil.read_bytes(P + ".tmp") is None
    assert fl.live == {"/other": OLD, P: NEW}


def test_a_cut_inside_step_1_discards_the_half_written_temp_file():
    for port in ("board", "posix", "cached"):
        fl = Flash({P: OLD, P + ".bak": OLDER}, port, cut=("write", 1))
        assert not _save(fl, P, NEW)
        if port != "cached":    # a half-written temp file on flash
            assert fl.disk[P + ".tmp"] == NEW[:len(NEW) // 2]
        state, data, files = _after_cut(fl)
        assert (state, data) == ("discarded" if port != "cached" else "ok", OLD), port
        assert files == {P: OLD, P + ".bak": OLDER}, port


def test_a_cut_after_step_1_discards_the_complete_temp_file():
    # the temp is whole, but the old file is still there: a save the caller
    # never saw finish is undone
    for port, before in (("board", ("remove", 1)), ("posix", ("remove", 1))):
        fl = Flash({P: OLD, P + ".bak": OLDER}, port, cut=before)
        assert not _save(fl, P, NEW)
        assert fl.disk == {P: OLD, P + ".bak": OLDER, P + ".tmp": NEW}, port
        state, data, files = _after_cut(fl)
        assert (state, data) == ("discarded", OLD) and files == {P: OLD, P + ".bak": OLDER}, port


def test_a_cut_inside_step_2_keeps_the_old_file():
    # .bak removed, the file not yet renamed to it
    fl = Flash({P: OLD, P + ".bak": OLDER}, cut=("rename", 1))
    assert not _save(fl, P, NEW)
    assert fl.disk == {P: OLD, P + ".tmp": NEW}
    state, data, files = _after_cut(fl)
    assert (state, data) == ("discarded", OLD) and files == {P: OLD}


def test_a_cut_after_step_2_rolls_the_save_forward():
    for port in ("board", "posix"):
        fl = Flash({P: OLD, P + ".bak": OLDER}, port, cut=("rename", 2))
        assert not _save(fl, P, NEW)
        assert fl.disk == {P + ".bak": OLD, P + ".tmp": NEW}, port
        state, data, files = _after_cut(fl)
        assert (state, data) == ("rolled_forward", NEW), port
        assert files == {P: NEW, P + ".bak": OLD}, port


def test_a_cut_after_step_3_finds_the_new_file():
    # posix: before the closing os.sync(); the file's data was fsynced in step 1
    fl = Flash({P: OLD}, "posix", cut=("sync", 1))
    assert not _save(fl, P, NEW)
    state, data, files = _after_cut(fl)
    assert (state, data) == ("ok", NEW) and files == {P: NEW, P + ".bak": OLD}


def test_a_cut_during_the_first_save_rolls_the_temp_file_forward():
    # no file and no .bak: the temp file is all there is; whole or half
    # written, it becomes the file, for the caller's validation to judge
    # (app.config checks its checksum and falls back to the defaults)
    fl = Flash({}, "posix", cut=("rename", 1))
    assert not _save(fl, P, NEW)
    assert _after_cut(fl) == ("rolled_forward", NEW, {P: NEW})
    fl = Flash({}, "board", cut=("write", 1))
    assert not _save(fl, P, NEW)
    assert _after_cut(fl) == ("rolled_forward", NEW[:len(NEW) // 2], {P: NEW[:len(NEW) // 2]})


def test_recover_says_ok_or_missing_when_no_save_was_cut():
    for files, answer in (({P: OLD}, "ok"), ({P: OLD, P + ".bak": OLDER}, "ok"),
                          ({}, "missing"), ({P + ".bak": OLD}, "missing")):
        fl = Flash(files)
        with fl:
            assert fsutil.recover(P) == answer, files
        assert fl.live == files and fl.done == [], (files, fl.done)


class _RefusingRenames(Flash):
    """A worn flash at the boot after a cut: reads go on, renames are refused."""

    def rename(self, a, b):
        raise OSError(5)


def test_readable_names_a_cut_save_where_it_is_when_the_flash_refuses_to_finish_it():
    # recover()'s rename refused (it raises): the reader reads the save where the cut left
    # it, as recover() would have rolled it forward, and is told the refusal to say it
    for files, where in (({P + ".tmp": NEW, P + ".bak": OLD}, P + ".tmp"),   # cut before step 3
                         ({P + ".tmp": NEW[:9]}, P + ".tmp"),               # a first save's step 1
                         ({P: OLD, P + ".tmp": NEW[:9]}, P)):               # no rename asked
        with _RefusingRenames(files):
            path, state = fsutil.readable(P)
            assert path == where, (files, path, state)
            assert isinstance(state, OSError) == (where != P), (files, state)
    with Flash({P + ".tmp": NEW, P + ".bak": OLD}) as fl:     # the flash takes it: recover's answer
        assert fsutil.readable(P) == (P, "rolled_forward") and fl.live == {P: NEW, P + ".bak": OLD}
    with Flash({}):
        assert fsutil.readable(P) == (P, "missing")


def _every_cut(port, files, path=P, data=NEW):
    """For a cut before each operation of a save, then for a cut once it
    returned: (the operation cut, recover's answer, path's bytes, the files)."""
    out = []
    n = 0
    while True:
        fl = Flash(files, port, cut=n)
        finished = _save(fl, path, data)
        state, got, after = _after_cut(fl, path)
        out.append((fl.cut_kind, state, got, after))
        if finished:
            return out
        n += 1


def test_at_every_instant_of_a_save_a_cut_leaves_the_old_or_the_new_file():
    for port in ("board", "posix", "cached"):
        seen = _every_cut(port, {P: OLD, P + ".bak": OLDER})
        assert len(seen) >= 7, seen     # create, write, flush, close, remove, rename, rename
        for kind, state, got, files in seen:
            assert got in (OLD, NEW), (port, kind, state, got)
            assert (state == "rolled_forward") <= (got == NEW), (port, kind, state)
            assert P + ".tmp" not in files, (port, kind)
            assert files.get(P + ".bak") in (None, OLDER, OLD), (port, kind, files)
        # read back, the file goes from the old to the new once, never back
        assert [s[2] for s in seen] == sorted([s[2] for s in seen], key=lambda b: b == NEW), (port, seen)


def test_once_write_atomic_returned_a_cut_keeps_the_new_file():
    # on a host that caches renames, the closing os.sync() makes them durable
    for port in ("board", "posix", "cached"):
        fl = Flash({P: OLD, P + ".bak": OLDER}, port)
        assert _save(fl, P, NEW)
        assert _after_cut(fl) == ("ok", NEW, {P: NEW, P + ".bak": OLD}), port


def test_the_temp_file_is_made_durable_before_the_renames():
    # posix: flushed then fsynced (a rename carries only what was durable);
    # the board has no fsync: the file is flushed, and closed before any rename
    fl = Flash({P: OLD}, "posix")
    _save(fl, P, NEW)
    assert fl.done[:4] == ["create", "write", "flush", "fsync"], fl.done
    assert fl.done.index("close") < fl.done.index("rename")
    fl = Flash({P: OLD}, "board")
    _save(fl, P, NEW)
    assert fl.done == ["create", "write", "flush", "close", "remove", "rename", "rename"], fl.done


class _RefusingOs:
    """The posix Flash whose fsync and sync fail (a stream without a file
    descriptor, a host refusing sync): the save goes on all the same."""

    def __init__(self, flash):
        self.flash = flash

    def fsync(self, fd):
        raise OSError(22)

    def sync(self):
        raise OSError(5)

    def __getattr__(self, name):
        return getattr(self.flash, name)


def test_a_port_whose_fsync_and_sync_refuse_still_saves():
    fl = Flash({P: OLD})
    with fl:
        fsutil.os = _RefusingOs(fl)
        fsutil.failed_writes = 2
        fsutil.write_atomic(P, NEW)
        assert fsutil.failed_writes == 0
    assert fl.live == {P: NEW, P + ".bak": OLD}


def test_failed_writes_counts_failures_in_a_row_and_resets_on_success():
    fl = Flash({P: OLD}, refuse=True)
    with fl:
        for n in (1, 2, 3):
            try:
                fsutil.write_atomic(P, NEW)
                raise AssertionError("a refused write returned")
            except OSError:
                pass
            assert fsutil.failed_writes == n
        assert fl.live == {P: OLD}
        fl.refuse = False
        fsutil.write_atomic(P, NEW)
        assert fsutil.failed_writes == 0
        fl.refuse = True
        try:
            fsutil.write_atomic(P, OLD)
        except OSError:
            pass
        assert fsutil.failed_writes == 1
    # a rename refused (a .bak that could not be removed) counts too
    fl = Flash({P: OLD, P + ".bak": OLDER})
    with fl:
        fl.remove = lambda path: None
        try:
            fsutil.write_atomic(P, NEW)
            raise AssertionError("a refused rename returned")
        except OSError:
            pass
        assert fsutil.failed_writes == 1


def test_a_save_by_other_code_counts_in_the_same_row():
    # aioble's bond keys (link.core _save_bond_store): refused ones add to write_atomic's
    fl = Flash({P: OLD}, refuse=True)
    with fl:
        try:
            fsutil.write_atomic(P, NEW)
        except OSError:
            pass
        fsutil.count_write(False)
        assert fsutil.failed_writes == 2
        fsutil.count_write(True)
        assert fsutil.failed_writes == 0


def test_a_save_by_other_code_gives_main_s_try_its_size():
    # the bond file aioble could not write (320 bytes for one bond): main's health-round try
    # of the flash is that big, not the 5 bytes a full flash still takes (helper-283)
    fl = Flash({P: OLD}, refuse=True)
    with fl:
        fsutil.count_write(False, 320)
        fsutil.count_write(False, 100)
        assert (fsutil.failed_writes, fsutil.failed_bytes) == (2, 320)
        fsutil.count_write(True)
        assert (fsutil.failed_writes, fsutil.failed_bytes) == (0, 0)


def test_a_refused_save_of_text_counts_its_bytes_not_its_characters():
    # the settings (a Wi-Fi name "Café ☕") go to flash UTF-8 encoded: main's try of the flash
    # must be as big as what the flash refused, not shorter by a byte or two a character
    fl = Flash({P: OLD}, refuse=True)
    with fl:
        for data, size in (("Caf\u00e9 \u2615", 9), (("\u00e9", b"ab"), 4)):
            fsutil.failed_bytes = 0
            try:
                fsutil.write_atomic(P, data)
                raise AssertionError("a refused save returned")
            except OSError:
                pass
            assert fsutil.failed_bytes == size, (data, fsutil.failed_bytes)


def _filling(fl):
    """fl's open, whose files for writing refuse every write (ENOSPC: the flash full)."""
    real = fl.open

    def open_full(path, mode="r"):
        f = real(path, mode)
        if "w" in mode:
            def write(b):
                raise OSError(28)
            f.write = write
        return f
    return open_full


def test_a_save_the_flash_fills_up_in_leaves_no_part_written_temp_file():
    # ENOSPC in the middle of the temp file: it was left there, holding the room the
    # next save (the settings, the transmitter's clock) needs until the next boot
    fl = Flash({P: OLD})
    with fl:
        fsutil.open = _filling(fl)
        try:
            fsutil.write_atomic(P, (b"part", b"more"))
            raise AssertionError("a write the flash refused returned")
        except OSError:
            pass
        assert fl.live == {P: OLD} and fsutil.failed_writes == 1, fl.live


def test_a_save_the_flash_refuses_midway_keeps_the_previous_copy_too():
    # the .bak (the settings a box falls back on when its file is damaged) is not
    # touched by a save whose temp file could not be written
    fl = Flash({P: OLD, P + ".bak": OLDER})
    with fl:
        fsutil.open = _filling(fl)
        try:
            fsutil.write_atomic(P, NEW)
            raise AssertionError("a write the flash refused returned")
        except OSError:
            pass
        assert fl.live == {P: OLD, P + ".bak": OLDER} and fl.renames == [], fl.live


def test_a_save_writes_a_tuple_of_parts_and_str_as_utf8():
    fl = Flash()
    with fl:
        fsutil.write_atomic(P, ('{"name": "', "Zo\u00e9", b'"}', "\n"))
        assert fsutil.read_bytes(P) == b'{"name": "Zo\xc3\xa9"}\n'
        assert fsutil.read_text(P) == '{"name": "Zo\u00e9"}\n'
        fsutil.write_atomic(P, "caf\u00e9")
        assert fsutil.read_bytes(P) == b"caf\xc3\xa9"
        fsutil.write_atomic(P, b"\x00\xff")
        assert fsutil.read_bytes(P) == b"\x00\xff" and fsutil.size(P) == 2
        fsutil.write_atomic(P, ())
        assert fsutil.read_bytes(P) == b"" and fsutil.size(P) == 0
    assert fl.done.count("write") == 6


def test_read_bytes_and_size_of_a_missing_file_are_none():
    with Flash({P: OLD}):
        assert fsutil.size(P) == len(OLD) and fsutil.read_bytes(P) == OLD
        assert fsutil.size("/nope") is None and fsutil.read_bytes("/nope") is None
        assert fsutil.exists(P) and not fsutil.exists("/nope")


def test_on_this_runtimes_filesystem_a_save_leaves_the_file_and_its_bak():
    path = scratch.fresh("build/test_fsutil_log_rules_" + sys.implementation.name, "s.bin")
    assert fsutil.size(path) is None and fsutil.read_bytes(path) is None
    assert fsutil.recover(path) == "missing"
    fsutil.write_atomic(path, OLD)
    fsutil.write_atomic(path, ("a\u00e9", NEW))
    assert fsutil.read_bytes(path) == b"a\xc3\xa9" + NEW and fsutil.size(path) == len(NEW) + 3
    assert fsutil.read_bytes(path + ".bak") == OLD and fsutil.size(path + ".tmp") is None
    assert fsutil.recover(path) == "ok"


def _fresh_module(name):
    """A fresh import of firmware module `name` ("app.log"), as at boot; the
    module in use is put back afterwards."""
    import app
    old = sys.modules.pop(name)
    try:
        _beside_clock(lambda: __import__(name))
        return sys.modules[name]
    finally:
        sys.modules[name] = old
        setattr(app, name.split(".")[1], old)


def test_at_boot_no_write_has_failed():
    fresh = _fresh_module("app.fsutil")
    assert fresh is not fsutil and fresh.failed_writes == 0


# ---------------------------------------------------------------- log


class Clock:
    def __init__(self, t):
        self.t = t

    def ms(self):
        if isinstance(self.t, BaseException):
            raise self.t
        return self.t


class Ring:
    """log with an empty ring, no secrets, nothing dropped, its clock at t ms
    and its lines recorded in .sent, for the length of a `with` block."""

    def __init__(self, t=1234, sink=None):
        self.clock = Clock(t)
        self.sent = []
        self.sink = sink or self.sent.append

    def __enter__(self):
        self._saved = (log._ring, log._next, log._count, log._secrets, log.dropped,
                       log.sink, log.clock)
        log._ring, log._next, log._count = [None] * log.SIZE, 0, 0
        log._secrets, log.dropped = [], 0
        log.sink, log.clock = self.sink, self.clock
        return self

    def __exit__(self, *exc):
        (log._ring, log._next, log._count, log._secrets, log.dropped,
         log.sink, log.clock) = self._saved


def test_a_log_line_is_ms_level_text():
    with Ring(t=86400123) as r:
        log.info("link: connected")
        r.clock.t = 86400999
        log.warn("wifi: lost")
        log.error("alarm: %s", "urgent low")
        log.log("D", "raw")
        want = ["86400123 I link: connected", "86400999 W wifi: lost",
                "86400999 E alarm: urgent low", "86400999 D raw"]
        assert log.lines() == want
        assert r.sent == want
        assert log.dropped == 0


def test_the_ring_keeps_the_last_48_lines_oldest_first():
    # 48 lines: README's memory budget for the ring (about 82 B a line)
    with Ring(t=5):
        assert log.SIZE == 48
        assert log.lines() == []
        for i in range(3):
            log.info("n %d", i)
        assert log.lines() == ["5 I n 0", "5 I n 1", "5 I n 2"]
        for i in range(3, 48):
            log.info("n %d", i)
        assert log.lines() == ["5 I n %d" % i for i in range(48)]
        log.info("n %d", 48)
        assert log.lines() == ["5 I n %d" % i for i in range(1, 49)]
        for i in range(49, 130):
            log.info("n %d", i)
        assert log.lines() == ["5 I n %d" % i for i in range(82, 130)]


def test_percent_formatting_applies_only_with_arguments():
    with Ring(t=7):
        log.info("bg %d mg/dL, %s", 105, "steady")
        log.info("battery 100%")                # no args: the text as it is
        log.info("tuple %s", (1, 2))
        assert log.lines() == ["7 I bg 105 mg/dL, steady", "7 I battery 100%", "7 I tuple (1, 2)"]


def test_arguments_that_do_not_fit_are_appended_to_the_message():
    with Ring(t=7):
        log.info("bg %d", "high")
        log.info("no placeholder", 5)
        log.warn("%s and %s", 1)
        assert log.lines() == ["7 I bg %d ('high',)", "7 I no placeholder (5,)", "7 W %s and %s (1,)"]
        assert log.dropped == 0


def test_a_hidden_secret_is_masked_anywhere_in_a_line():
    with Ring(t=1):
        log.hide("wifi-pass-42")
        log.hide("NsSecret123456")
        log.info("join wifi-pass-42")                            # in the message
        log.info("url https://x/?token=%s&v=1", "NsSecret123456")  # in an argument
        log.info("bad %d", "wifi-pass-42")                       # in the fallback's repr
        log.info("%s%s", "NsSecret123456", "wifi-pass-42")       # twice, back to back
        log.exc(OSError("auth NsSecret123456 refused"), "upload to %s", "wifi-pass-42")
        got = log.lines()
        assert got == ["1 I join ***", "1 I url https://x/?token=***&v=1", "1 I bad %d ('***',)",
                       "1 I ******", "1 E upload to ***: OSError auth *** refused"], got
        for line in got:
            assert "pass" not in line and "Secret" not in line


def test_a_secret_holding_another_secret_is_masked_whole():
    # a Wi-Fi password the Nightscout secret begins with: masked first, the
    # shorter one left the rest of the longer one in the line
    for first, second in (("sunshine", "sunshine2024xyz"), ("sunshine2024xyz", "sunshine")):
        with Ring(t=1):
            log.hide(first)
            log.hide(second)
            log.info("secret=%s wifi=%s", "sunshine2024xyz", "sunshine")
            assert log.lines() == ["1 I secret=*** wifi=***"], (first, second, log.lines())


def test_secrets_that_overlap_are_masked_as_one_stretch_with_no_end_left():
    # neither holds the other: masking one first left the other's end in the line
    for first, second in (("abcd1234", "1234wxyz"), ("1234wxyz", "abcd1234")):
        with Ring(t=1):
            log.hide(first)
            log.hide(second)
            log.info("key=abcd1234wxyz; a=abcd1234 b=1234wxyz c=abcd12341234wxyz")   # back to back: two masks
            assert log.lines() == ["1 I key=***; a=*** b=*** c=******"], (first, log.lines())
    with Ring(t=1):   # a secret repeated over itself ("aaaa" in "aaaaa")
        log.hide("aaaa")
        log.info("x aaaaa y")
        assert log.lines() == ["1 I x *** y"]


def test_a_secret_with_a_backslash_is_masked_in_a_repr_too():
    # repr doubles the backslash: a %r argument (or the fallback's repr of the
    # arguments) held the password in a form the plain one does not match
    with Ring(t=1):
        log.hide("pa\\ss-word")
        log.info("join %r", "pa\\ss-word")
        log.info("join %s", "pa\\ss-word")
        log.info("bad %d", "pa\\ss-word")
        got = log.lines()
        assert got == ["1 I join '***'", "1 I join ***", "1 I bad %d ('***',)"], got


def test_short_and_non_string_secrets_are_ignored():
    # main hides whatever the settings hold: None for an open network, "" or a
    # number from a hand-written file; 2 characters would mask half the log
    with Ring(t=1):
        for s in (None, "", "ab", 12345, b"bytes-secret", ["list-secret"]):
            log.hide(s)
        log.hide("abc")
        log.info("ab abc 12345 bytes-secret list-secret")
        assert log.lines() == ["1 I ab *** 12345 bytes-secret list-secret"]


def test_a_secret_is_registered_once():
    # main hides the secrets again at each settings reload: the list (scanned
    # for every line) must not grow with them
    with Ring(t=1):
        for _ in range(50):
            log.hide("wifi-pass-42")
        log.hide("other-secret")
        log.hide("wifi-pass-42")
        assert sorted(log._secrets) == ["other-secret", "wifi-pass-42"]


class _Heavy:
    """An argument whose text cannot be made: the heap is short (MemoryError),
    or its repr fails too (ValueError)."""

    def __init__(self, err):
        self.err = err

    def __str__(self):
        raise self.err

    def __repr__(self):
        if isinstance(self.err, MemoryError):
            return "Heavy()"
        raise self.err


def test_lines_lost_to_a_memory_error_are_counted_and_nothing_raises():
    with Ring(t=1) as r:
        log.info("reading %s", _Heavy(MemoryError()))       # not the fallback: the heap is short
        assert log.dropped == 1 and log.lines() == []
        log.info("reading %s", _Heavy(ValueError()))        # neither str nor repr
        assert log.dropped == 2
        r.clock.t = MemoryError()
        log.warn("the clock")
        assert log.dropped == 3 and log.lines() == [] and r.sent == []
        r.clock.t = 2
        log.info("after")
        assert log.lines() == ["2 I after"] and log.dropped == 3


def test_exc_logs_the_type_and_message_and_never_raises():
    class Boom(Exception):
        def __str__(self):
            raise MemoryError()
    with Ring(t=3):
        log.exc(ValueError("bad crc"), "config %s", "/config.json")
        log.exc(OSError("flash full"), "save")
        assert log.lines() == ["3 E config /config.json: ValueError bad crc", "3 E save: OSError flash full"]
        log.exc(Boom(), "upload")
        assert log.dropped == 1 and len(log.lines()) == 2


def test_exc_whose_format_does_not_fit_its_arguments_keeps_the_line_as_log_does():
    # the exception is what a family's helper needs to see: a caller's wrong
    # format must not lose it (it was dropped and counted)
    with Ring(t=3):
        log.exc(OSError("io"), "save %d", "config.json")
        log.exc(ValueError("full"), "save %s to %s", "config.json")
        assert log.lines() == ["3 E save %d ('config.json',): OSError io",
                               "3 E save %s to %s ('config.json',): ValueError full"], log.lines()
        assert log.dropped == 0


def test_a_failing_sink_does_not_raise_and_keeps_the_line():
    def broken(line):
        raise OSError(5)    # a console that cannot write
    with Ring(t=4, sink=broken):
        log.error("urgent low")
        assert log.lines() == ["4 E urgent low"] and log.dropped == 0


def test_at_boot_the_ring_is_empty_and_nothing_was_dropped():
    fresh = _fresh_module("app.log")
    assert fresh is not log
    assert fresh.lines() == [] and fresh.dropped == 0 and fresh._secrets == []
    sent = []
    fresh.sink, fresh.clock = sent.append, Clock(9)
    fresh.info("boot")
    assert fresh.lines() == ["9 I boot"] and sent == ["9 I boot"]


def test_the_ring_in_pieces_and_a_piece_that_runs_out_of_memory_says_so():
    # /log sends the ring in pieces; out of memory midway the answer ended there, a
    # 200 without a length that looked whole. It now ends with a line that says so
    with Ring(t=6):
        for i in range(40):
            log.info("line %d %s", i, "x" * 20)
        text = b"".join(log.pieces(100)).decode()
        assert text == "".join(l + "\n" for l in log.lines()), text
        assert all(len(p) < 100 + 40 for p in log.pieces(100))
        real = log.lines

        def failing():   # the 11th line's text cannot be made
            for i, line in enumerate(real()):
                if i == 10:
                    raise MemoryError
                yield line
        log.lines = failing
        try:
            got = list(log.pieces(100))
        finally:
            log.lines = real
        assert got[-1] == log.CUT and b"line 0 " in got[0], got
        assert b"line 10 " not in b"".join(got)
    with Ring(t=6):
        assert list(log.pieces()) == [b""]


def test_a_line_is_cut_at_160_bytes_at_a_characters_end():
    # the ring holds each line's bytes (UTF-8 on the board): 48 lines of a LAN request's
    # path (up to 512 bytes, in 4-byte characters too) held ~26 KB of heap for hours
    assert log.LINE_MAX == 160
    with Ring(t=6):                               # "6 W " is 4 bytes of each line
        for text in ("x" * 156, "\u00e9" * 78, "\u65e5" * 52, "\U0001F600" * 39):
            log.warn("%s", text)                  # exactly 160 bytes: kept whole
            assert log.lines()[-1] == "6 W " + text, text[:1]
        for text in ("x" * 157, "x" * 600, "\u00e9" * 79, "\u00e9" * 300, "a" + "\u65e5" * 60,
                     "ab" + "\u65e5" * 60, "\U0001F600" * 40, "\U0001F600" * 45, "abc" + "\U0001F600" * 200):
            log.warn("%s", text)
            line = log.lines()[-1]
            n = len(line.encode())
            assert 160 - 4 < n <= 160 and ("6 W " + text).startswith(line), (text[:4], n)
        assert log.dropped == 0
    with Ring(t=6):
        for i in range(40):
            log.info("line %d %s", i, "x" * 20)
        whole = "".join(ln + "\n" for ln in log.lines())
        got = list(log.pieces(100))   # pieces of about 100 characters, not a line each
        assert b"".join(got).decode() == whole and len(got) <= len(whole) // 100 + 1, len(got)
