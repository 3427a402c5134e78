# The setup access point's state follows the radio (firmware/setup/ap.py): the
# link shares the radio while is_open() is True, so a half-started or
# half-stopped interface must not read as closed. Runs on both runtimes.
import sys

try:
    import clock as _real_clock
except (ImportError, AttributeError):   # CPython: its time has no ticks_ms
    _real_clock = None


class FakeClock:
    def ms(self):
        return 0


if _real_clock is None:   # setup.ap and app.log import clock: a stand-in for the import
    sys.modules["clock"] = FakeClock()
    from setup import ap
    from app import log
    del sys.modules["clock"]
else:
    from setup import ap
    from app import log

log.sink = lambda line: None


class Wlan:
    def __init__(self, fail_config=False, fail_down=0):
        self.up = False
        self.fail_config = fail_config
        self.fail_down = fail_down   # this many active(False) calls fail

    def active(self, on):
        if not on and self.fail_down:
            self.fail_down -= 1
            raise OSError(5)
        self.up = on

    def config(self, **kw):
        if self.fail_config:
            raise OSError(22)

    def status(self, what):
        return []


class Network:
    AP_IF = 1

    def __init__(self, wlan):
        self.wlan = wlan

    def WLAN(self, which):
        return self.wlan


def test_an_interface_that_cannot_take_our_name_and_password_is_taken_down():
    # before: it stayed up with the port's defaults (an open network, maybe)
    # while is_open() said closed, so the link scanned as if the radio were free
    w = Wlan(fail_config=True)
    point = ap.AccessPoint(Network(w), b"\x12\x34\x56", b"k" * 16)
    try:
        point.open("no_wifi")
        raise AssertionError("no ApError")
    except ap.ApError:
        pass
    assert not point.is_open() and not w.up


def test_an_access_point_that_will_not_go_down_still_reads_open_until_it_does():
    w = Wlan(fail_down=1)
    changes = []
    point = ap.AccessPoint(Network(w), b"\x12\x34\x56", b"k" * 16,
                           on_change=lambda is_open, why: changes.append(is_open))
    point.open("button")
    assert point.is_open() and w.up and changes == [True]
    point.close("idle")
    assert point.is_open() and w.up and changes == [True]   # still up: still said open
    point.close("idle")                                     # the next try works
    assert not point.is_open() and not w.up and changes == [True, False]
