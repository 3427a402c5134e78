# The setup access point's state follows the radio (firmware/setup/ap.py): the
# link shares the radio while is_open() is True, so a half-started or
# half-stopped interface must not read as closed. Runs on both runtimes.
from async_steps import run_until
from fakes import import_setup_ap, RenameStops

ap, fsutil, log = import_setup_ap()


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


# --- the key behind the label's password (setup_key.bin) ----------------------
def _key_file(name):
    from scratch import fresh
    return fresh("build/ap_key", name)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _flip(path, at, bit=0x10):
    d = bytearray(_read(path))
    d[at] ^= bit
    _write(path, bytes(d))


def _said(fn):
    lines = []
    log.sink = lines.append
    try:
        out = fn()
    finally:
        log.sink = lambda line: None
    return out, lines


UID = b"\x12\x34\x56"


def test_the_key_is_kept_twice_each_copy_checked():
    path = _key_file("k1.bin")
    key = ap.device_key(path, UID)
    assert len(key) == ap.KEY_BYTES
    assert len(_read(path)) == ap.KEY_BYTES + 4 and _read(path + ".bak") == _read(path)
    again, said = _said(lambda: ap.device_key(path, UID))
    assert again == key and said == [], said


def test_a_damaged_key_file_gives_the_labels_password_back_from_its_copy():
    # chaos round 6: one flipped bit of setup_key.bin made another password, and
    # the label's no longer opened the access point, without a word
    for at in (3, ap.KEY_BYTES + 1):         # in the key, in its checksum
        path = _key_file("k2.bin")
        key = ap.device_key(path, UID)
        _flip(path, at)
        again, said = _said(lambda: ap.device_key(path, UID))
        assert again == key, at
        assert len(said) == 1 and "damaged" in said[0] and "its copy holds the key" in said[0], said
        assert ap.device_key(path, UID) == key and _read(path) == _read(path + ".bak")  # mended
    # removed, or cut short: the copy too
    path = _key_file("k3.bin")
    key = ap.device_key(path, UID)
    _write(path, _read(path)[:7])
    assert ap.device_key(path, UID) == key
    import os
    os.remove(path)
    again, said = _said(lambda: ap.device_key(path, UID))
    assert again == key and "missing" in said[0], said


def test_a_key_damaged_in_both_copies_is_replaced_and_said():
    path = _key_file("k4.bin")
    key = ap.device_key(path, UID)
    _flip(path, 3)
    _flip(path + ".bak", 9)
    new, said = _said(lambda: ap.device_key(path, UID))
    assert new != key and len(new) == ap.KEY_BYTES
    assert [l for l in said if "so is its copy" in l and "password is a new one" in l], said
    assert ap.device_key(path, UID) == new      # and kept from then on


def test_a_key_placed_without_a_checksum_is_kept_and_sealed_from_then_on():
    # placed by hand or by an older firmware: same password, and from then on
    # a flipped bit in it is told from the key (it was read unchecked for ever)
    path = _key_file("k5.bin")
    _write(path, b"label-key-16byte")
    assert ap.device_key(path, UID) == b"label-key-16byte"
    assert len(_read(path)) == ap.KEY_BYTES + 4 and _read(path + ".bak") == _read(path)
    _flip(path, 2)
    again, said = _said(lambda: ap.device_key(path, UID))
    assert again == b"label-key-16byte" and "its copy holds the key" in said[0], said


def test_a_key_cut_while_written_is_recovered():
    # first boot: the power went after the temporary file was written, before
    # its rename: the key it holds is the one whose password was printed
    path = _key_file("k6.bin")
    key = ap.device_key(path, UID)
    import os
    os.rename(path, path + ".tmp")
    os.remove(path + ".bak")
    assert ap.device_key(path, UID) == key


def _refused(a, b):
    raise OSError(28)   # ENOSPC: a full flash


def _boot_refusing(path, refuse_from):
    real = fsutil.os
    fsutil.os = RenameStops(real, refuse_from, _refused)
    try:
        return _said(lambda: ap.device_key(path, UID))
    finally:
        fsutil.os = real


def test_a_key_the_flash_kept_once_at_the_first_boot_is_the_one_used():
    # helper-267: the first of the two writes went through and the second was refused (a
    # full flash): the box ran on the stand-in from the MAC alone (its password printed at
    # the access point's opening, for the label) while the file held the new key, whose
    # password the next boot used: the label's no longer opened it
    path = _key_file("k7.bin")
    key, said = _boot_refusing(path, 1)
    assert len(key) == ap.KEY_BYTES, (key, said)
    assert [l for l in said if "copy could not be written" in l], said   # the full flash said
    assert ap.device_key(path, UID) == key            # the next boot, the flash mended
    assert _read(path + ".bak") == _read(path)        # and its copy written then


def test_a_key_the_flash_does_not_keep_is_said_at_each_opening_not_given_for_the_label():
    # a flash refusing every write from the first boot: the password comes from the MAC
    # alone, the same at each boot while it lasts, and a new key replaces it once the
    # flash takes writes: the access point says so when it opens (the console's password,
    # printed for the label, was given as any other)
    path = _key_file("k8.bin")
    key, said = _boot_refusing(path, 0)
    assert key == b"" and _boot_refusing(path, 0)[0] == b"", said
    point = ap.AccessPoint(Network(Wlan()), UID, key)
    _, said = _said(lambda: point.open("no_wifi"))
    assert [l for l in said if "not kept" in l and "label" in l], said
    kept = ap.AccessPoint(Network(Wlan()), UID, b"k" * 16)
    _, said = _said(lambda: kept.open("no_wifi"))
    assert not [l for l in said if "not kept" in l], said


# --- the idle close waits for a pause in the alarm's sound -------------------------------
class Clock:
    def __init__(self):
        self.t = 0

    def ms(self):
        return self.t


class Stop(Exception):
    pass


class Aio:
    """asyncio's sleeps, recorded; the clock moves on by them; the POLL_S sleep ends the run."""

    def __init__(self, clock, point, w):
        self.clock, self.point, self.w = clock, point, w
        self.log = []

    async def sleep_ms(self, ms):
        self.log.append(("sleep_ms", ms, self.w.up))
        self.clock.t += ms

    async def sleep(self, s):
        self.log.append(("sleep", s, self.w.up))
        raise Stop()


def test_the_idle_close_waits_for_a_pause_in_the_alarm_sound():
    # helper-138: stopping Wi-Fi holds the board (ESP-IDF); closed inside a pulse of a
    # burst under way, that pulse came out 50 or 150 ms instead of 100
    w, clk, asked = Wlan(), Clock(), []
    point = ap.AccessPoint(Network(w), b"\x12\x34\x56", b"k" * 16, idle_close_s=60,
                           sound_pause=lambda need: asked.append(need) or 700)
    real = ap.clock, ap.asyncio
    ap.clock = clk
    try:
        point.open("button")
        aio = ap.asyncio = Aio(clk, point, w)
        clk.t = 59999                      # not idle yet: no wait, nothing closed
        run_until(point.run(), Stop)
        assert aio.log == [("sleep", ap.POLL_S, True)] and asked == [] and point.is_open()
        clk.t = 60000                      # idle: waits for the pause, then closes
        aio.log = []
        run_until(point.run(), Stop)
        assert asked == [ap.CLOSE_BLOCK_MS], asked
        assert aio.log == [("sleep_ms", 700, True), ("sleep", ap.POLL_S, False)], aio.log
        assert not point.is_open()
        asked[:] = []                      # closed: no more waits
        run_until(point.run(), Stop)
        assert asked == []
    finally:
        ap.clock, ap.asyncio = real
