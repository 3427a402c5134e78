# Small stand-ins shared by the dual tests (CPython and MicroPython).

# The repository, found from this file whatever the working folder (make test runs from
# the root, a person often from host_tests/): the board files, the firmware's sources
REPO = (__file__.rpartition("/")[0] or ".") + "/../.."
BOARDS = (REPO + "/boards",)


def board_refusal(data, name="mybox"):
    """What sound.board.validate says against a board file's data, None if it takes it."""
    from sound import board
    try:
        board.validate(data, name)
    except board.BoardError as e:
        return str(e)
    return None


def swap(obj, name, value, fn):
    """fn() with obj.name replaced by value (put back afterwards)."""
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        return fn()
    finally:
        setattr(obj, name, old)


def swap_module(name, module, fn):
    """fn() with sys.modules[name] replaced by module (put back, or removed, afterwards)."""
    import sys
    old = sys.modules.get(name)
    sys.modules[name] = module
    try:
        return fn()
    finally:
        if old is None:
            del sys.modules[name]
        else:
            sys.modules[name] = old


class FakeRtc:
    """machine.RTC's user memory: what was written last, and how often."""

    def __init__(self, mem=b""):
        self.mem = mem
        self.writes = 0

    def memory(self, data=None):
        if data is None:
            return self.mem
        self.mem = bytes(data)
        self.writes += 1


class NamesWorld:
    """forward.names with a fake resolver, sock(world), and a fake clock (self.t,
    seconds) for the length of a `with` block."""

    def __init__(self, sock, t=0):
        self.t = t
        self.sock = sock(self)

    def __enter__(self):
        from forward import names
        self._names, self._real = names, (names.socket, names._now_s)
        names.socket, names._now_s = self.sock, lambda: self.t
        names._addr_cache.clear()
        names._stalled_s, names._last_slow = None, False
        return self

    def __exit__(self, *exc):
        names = self._names
        names.socket, names._now_s = self._real
        names._addr_cache.clear()
        names._stalled_s, names._last_slow = None, False


class _ZeroClock:
    def ms(self):
        return 0


def _beside_clock(load):
    """load()'s result, its modules imported beside the firmware's clock, which
    CPython cannot import (its time has no ticks_ms): a stand-in for the import there."""
    import sys
    try:
        import clock  # noqa: F401
        stand_in = False
    except (ImportError, AttributeError):
        stand_in = True
        sys.modules["clock"] = _ZeroClock()
    try:
        return load()
    finally:
        if stand_in:
            del sys.modules["clock"]


def _quiet_log():
    from app import log
    log.sink = lambda line: None
    return log


def import_setup_ap():
    """(setup.ap, app.fsutil, app.log), their log lines going nowhere."""
    def load():
        from setup import ap
        from app import fsutil
        return ap, fsutil, _quiet_log()
    return _beside_clock(load)


class WallClock:
    """The firmware clock's wall side, set by hand: unix None = not set."""

    def __init__(self, unix=None):
        self.t = unix
        self.lost = 0     # while unset: the seconds its RTC counted since the power-on
        self.up_ms = 0    # ms(): the ticks since this boot, moved by hand

    def ms(self):
        return self.up_ms

    def unix(self):
        return self.t if self.t is not None else 86400

    def wall_valid(self):
        return self.t is not None

    def lost_s(self):
        return self.lost if self.t is None else None


def import_txclock():
    """(app.txclock, app.fsutil, app.log) on a WallClock (txclock.clock), log lines going nowhere."""
    def load():
        from app import txclock, fsutil
        return txclock, fsutil, _quiet_log()
    txclock, fsutil, log = _beside_clock(load)
    txclock.clock = WallClock()
    return txclock, fsutil, log


class RefusingFlash:
    """os as app.fsutil sees it on a flash that refuses writes: reads go on. With
    opens=True an open for writing is refused too (a full or worn littlefs, OSError
    ENOSPC), through on_flash(fsutil, flash, fn), which puts its open in as fsutil's."""

    def __init__(self, real, opens=False):
        self.real = real
        self.opens = opens

    def open(self, path, mode="r", *a):
        if self.opens and ("w" in mode or "a" in mode or "+" in mode):
            raise OSError(28)
        return open(path, mode, *a)

    def stat(self, path):
        return self.real.stat(path)

    def rename(self, a, b):
        raise OSError(5)

    def remove(self, path):
        raise OSError(5)


def on_flash(fsutil, flash, fn):
    """fn() with fsutil's os replaced by flash (a RefusingFlash), and its open too."""
    def run():
        fsutil.open = flash.open
        try:
            return fn()
        finally:
            del fsutil.open
    return swap(fsutil, "os", flash, run)


class RenameStops:
    """fsutil's os with the n-th rename on (0: the first) stopped by stop(a, b), which
    raises: a power cut (an exception nothing in the firmware catches) or a refusing
    flash (OSError: a worn-out one, or a full one that took the first write, not the
    second)."""

    def __init__(self, real, stop_at_rename, stop):
        self.real, self.left, self.stop = real, stop_at_rename, stop

    def stat(self, p):
        return self.real.stat(p)

    def remove(self, p):
        self.real.remove(p)

    def rename(self, a, b):
        if self.left == 0:
            self.stop(a, b)
        self.left -= 1
        self.real.rename(a, b)
