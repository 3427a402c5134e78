# The setup access point's key (firmware/setup/ap.py, setup_key.bin and its
# .bak) through power cuts and a damaged copy: the label's password must come
# back whenever one good copy of the key was on flash. Runs on both runtimes.
from fakes import import_setup_ap, RenameStops

ap, fsutil, log = import_setup_ap()

UID = b"\x12\x34\x56"


class PowerCut(Exception):
    """The board stops here (not an OSError: nothing in the firmware catches it)."""


def _power_cut(a, b):
    raise PowerCut(a + " -> " + b)


def _boot_cut(path, cut_at_rename):
    """device_key with the power going at that rename; True if it was cut."""
    real = fsutil.os
    fsutil.os = RenameStops(real, cut_at_rename, _power_cut)
    try:
        ap.device_key(path, UID)
    except PowerCut:
        return True
    finally:
        fsutil.os = real
    return False


def _flip(path, at):
    with open(path, "rb") as f:
        d = bytearray(f.read())
    d[at] ^= 0x10
    with open(path, "wb") as f:
        f.write(bytes(d))


def _key_file(name):
    from scratch import fresh
    return fresh("build/ap_key_cuts", name)


def test_a_power_cut_anywhere_while_the_file_is_mended_keeps_the_key():
    # setup_key.bin damaged, its .bak good: the boot that writes the file again
    # must never leave the good copy only in a temporary file that
    # fsutil.recover throws away (write_atomic removes the .bak first)
    n = 0
    while True:
        path = _key_file("m.bin")
        key = ap.device_key(path, UID)
        _flip(path, 5)
        if not _boot_cut(path, n):
            break
        assert ap.device_key(path, UID) == key, n     # the next boot
        n += 1
    assert n >= 1


def test_a_power_cut_anywhere_while_the_key_is_made_leaves_a_key_that_lasts():
    # first boot, cut at each rename of the two writes; the boot after keeps
    # two good copies: damage to the file then is mended from the .bak
    n = 0
    while True:
        path = _key_file("f.bin")
        if not _boot_cut(path, n):
            break
        key = ap.device_key(path, UID)                 # the next boot
        _flip(path, 2)
        assert ap.device_key(path, UID) == key, n
        n += 1
    assert n >= 2


def test_a_damaged_or_missing_copy_is_made_again_while_the_file_is_good():
    for damage in ("flip", "remove"):
        path = _key_file("b.bin")
        key = ap.device_key(path, UID)
        if damage == "flip":
            _flip(path + ".bak", 7)
        else:
            fsutil.remove_if_present(path + ".bak")
        said = []
        log.sink = said.append
        try:
            assert ap.device_key(path, UID) == key     # this boot: the copy made again, and said
        finally:
            log.sink = lambda line: None
        assert said and "copy" in said[0], (damage, said)
        _flip(path, 9)                                 # later, the file is damaged
        assert ap.device_key(path, UID) == key, damage


def test_a_power_cut_anywhere_while_a_key_without_checksum_is_sealed_keeps_it():
    # a 16-byte key (placed by hand or by an older firmware) gets its checksum
    # and copy at the first boot; a cut in those writes must not lose it
    n = 0
    while True:
        path = _key_file("l.bin")
        with open(path, "wb") as f:
            f.write(b"label-key-16byte")
        if not _boot_cut(path, n):
            break
        assert ap.device_key(path, UID) == b"label-key-16byte", n    # the next boot
        _flip(path, 2)
        assert ap.device_key(path, UID) == b"label-key-16byte", n    # sealed by then
        n += 1
    assert n >= 2


def test_a_key_whose_save_was_cut_is_kept_on_a_flash_that_refuses_to_finish_it():
    # (helper-282) a cut at each rename while a 16-byte key is sealed, then a boot on a
    # flash that refuses recover()'s rename (a worn one): the refusal was ignored and the
    # file missing, so the sealed key whole in the temp file was not read; the .bak (the
    # unsealed key) was no sealed copy either: a new key, the label's password no longer
    # opened the access point, for good: its save overwrote the temp file, which the next
    # boot rolled forward
    import os
    from fakes import swap, RefusingFlash
    n = 0
    while True:
        path = _key_file("r.bin")
        with open(path, "wb") as f:
            f.write(b"label-key-16byte")
        if not _boot_cut(path, n):
            break
        said = []
        log.sink = said.append
        try:
            key = swap(fsutil, "os", RefusingFlash(os), lambda: ap.device_key(path, UID))
        finally:
            log.sink = lambda line: None
        assert key == b"label-key-16byte", (n, said)
        assert ap.device_key(path, UID) == b"label-key-16byte", n     # the flash takes writes again
        n += 1
    assert n >= 2


def test_a_key_read_from_a_cut_saves_temp_file_is_not_lost_to_a_refused_rewrite():
    # (helper-290) as above, but the boot's flash refuses renames and takes removals (a full
    # one): the key read from the temp file, its copy (.bak: the unsealed key) unlike it, was
    # written again; write_atomic wrote its temp file over the one read, the rename was refused
    # and the undo removed it: the next boot found no sealed copy and made a new key, the
    # label's password lost for good
    import os

    def refused(a, b):
        raise OSError(28)
    n = 0
    while True:
        path = _key_file("rr.bin")
        with open(path, "wb") as f:
            f.write(b"label-key-16byte")
        if not _boot_cut(path, n):
            break
        real = fsutil.os
        fsutil.os = RenameStops(real, 0, refused)
        try:
            key = ap.device_key(path, UID)
        finally:
            fsutil.os = real
        assert key == b"label-key-16byte", n
        assert ap.device_key(path, UID) == b"label-key-16byte", n     # the flash takes writes again
        n += 1
    assert n >= 2


def test_an_unsealed_key_in_a_cut_saves_temp_file_is_kept_on_a_flash_that_refuses_every_rename():
    # a 16-byte key (an older firmware's) whose save the power cut, on a flash that refuses
    # renames and takes removals: sealing it there wrote the temp file, the only copy, over,
    # and the refused save's undo removed it: the next boot made a new key (the label's
    # password lost for good). Read as it is, and the refusal said in the log
    import os
    from fakes import swap

    def refused(a, b):
        raise OSError(28)
    path = _key_file("ut.bin")
    with open(path + fsutil.TMP, "wb") as f:
        f.write(b"label-key-16byte")
    said = []
    log.sink = said.append
    try:
        key = swap(fsutil, "os", RenameStops(os, 0, refused), lambda: ap.device_key(path, UID))
    finally:
        log.sink = lambda line: None
    assert key == b"label-key-16byte"
    assert any("cannot finish a cut save" in line for line in said), said
    assert ap.device_key(path, UID) == b"label-key-16byte"     # the flash takes writes again
    assert ap.device_key(path, UID) == b"label-key-16byte"     # (sealed by then)
