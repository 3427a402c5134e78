"""A full flash (littlefs): a save of a few bytes still goes through, kept inline in its
directory's block, and one that needs a block of its own is refused (ENOSPC). The
Nightscout queue's saves through an outage are refused and raise the `device` (flash)
alarm; the health round's own try of the flash (main.App._try_flash) must not end it
with a save smaller than the ones the flash refuses."""
from apprun import booted_app, run_app

PROG = booted_app(r'''
from app import fsutil
INLINE = 128    # littlefs's inline files: MicroPython's cache, 4 x its 32-byte prog size

class Full:
    def __init__(self, f):
        self.f, self.n = f, 0
    def write(self, b):
        self.n += len(b)
        if self.n > INLINE:
            raise OSError(28)
        return self.f.write(b)
    def flush(self):
        self.f.flush()
    def fileno(self):
        return self.f.fileno()
    def close(self):
        self.f.close()
    def __enter__(self):
        return self
    def __exit__(self, *a):
        self.f.close()

def full_open(path, mode="r", *a):
    f = open(path, mode, *a)
    return Full(f) if "w" in mode else f

async def scenario():
    global INLINE
    told = []
    said = app.condition

    def condition(kind, name, active):
        if name == "flash":
            told.append([active, clock.ms() // 1000])
        said(kind, name, active)
    app.condition = condition
    fsutil.open = full_open
    asyncio.create_task(app.start())
    for i in range(12):          # a Nightscout outage: the queue saved every 5 min, growing
        await asyncio.sleep(300)
        try:
            fsutil.write_atomic("ns_queue.bin", (b"Q" * 12, b"r" * 20 * (i + 1)))
        except OSError:
            pass
    INLINE = 1 << 20             # room made on the flash: the next health round's try ends it
    await asyncio.sleep(310)
    print("RESULT " + json.dumps(told))
    sys.exit(0)
''')


def test_a_full_flash_keeps_its_alarm_through_the_health_rounds_small_try(tmp_path):
    # the queue over 128 bytes from 1800 s: refused then and at 2100 s, the alarm at that round;
    # before, that round's try of 5 bytes went through inline and ended the alarm within a
    # second of its onset, and so at every second refused save: a beep every 10 min through
    # the night, and the flash alarm never up for the status page. Room made, it ends
    # within a health round
    told = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}}, PROG)
    assert [e[0] for e in told] == [True, False] and told[1][1] - 3600 <= 310, told


def test_a_refused_try_of_the_flash_grows_no_bigger_than_the_saves_refused(tmp_path):
    # the largest save refused is the queue's 252 bytes; room made for 1 KB takes it, and the
    # next health round's try ends the alarm. Before, each refused try rounded its size up to
    # the next 256 bytes and kept that as a save refused: the try grew by 256 bytes a round
    # (1.8 KB after half an hour of alarm, 24 KB after a night, its write longer than the pause
    # in the sound it waits for) and the room made for every save refused did not end it
    prog = PROG.replace("INLINE = 1 << 20 ", "INLINE = 1024   ")
    told = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}}, prog)
    assert [e[0] for e in told] == [True, False] and told[1][1] - 3600 <= 310, told


# helper-283: only the bond keys' saves refused (aioble's own save, link.core _save_bond_store):
# they counted toward the alarm without a size, so the health round's try was "boot\n", which the
# full flash took inline, and the alarm ended in the round it came (300 s, 301 s), the keys
# still unsaved. The try is as big as the bond file aioble writes
BOND_PROG = PROG.replace('''    asyncio.create_task(app.start())
''', '''    asyncio.create_task(app.start())
    from aioble import security
    from link import core
    security._path = "ble_secrets.json"
    security._secrets = {(10, b"irk"): bytes(16), (1, bytes(7)): bytes(80), (2, bytes(7)): bytes(80)}
    save = security._save_secrets

    def refused():
        raise OSError(28)        # the full flash: ENOSPC
    security._save_secrets = refused
    await asyncio.sleep(5)       # after the boot's own try
    core._save_bond_store("saving the bond keys")
    core._save_bond_store("saving the bond keys")
    tried = fsutil.failed_bytes
''').replace("    for i in range(12):", "    for i in ():").replace("INLINE = 1 << 20 ", "INLINE = 128     ")\
    .replace("await asyncio.sleep(310)", "await asyncio.sleep(610)")\
    .replace("json.dumps(told)", "json.dumps([told, tried, save() or fsutil.size(security._path)])")


def test_bond_keys_the_full_flash_refuses_keep_the_flash_alarm_through_the_health_rounds_try(tmp_path):
    told, tried, bond_file = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}},
                                     BOND_PROG)
    assert tried >= bond_file > 128, (tried, bond_file)
    assert [e[0] for e in told] == [True], told


# helper-283: the health round's try (252 bytes, the queue's largest refused save) is taken once
# room is made, but the flash refuses its removal once (littlefs's delete is a metadata commit,
# which a nearly full flash can refuse). The alarm ended all the same, the try's file holding
# the room the regular saves need; it stays up until a round removes it
REMOVAL_PROG = PROG.replace("    INLINE = 1 << 20 ", '''    real_os = fsutil.os

    class RefusingRemoval:          # refuses the first removal of the try's full-size file
        refused = []
        def __getattr__(self, name):
            return getattr(real_os, name)
        def remove(self, path):
            if path.endswith("flash_try.txt") and (fsutil.size(path) or 0) > 5 and not self.refused:
                self.refused.append(clock.ms() // 1000)
                raise OSError(28)
            return real_os.remove(path)
    fsutil.os = RefusingRemoval()
    INLINE = 1 << 20 ''').replace("await asyncio.sleep(310)", "await asyncio.sleep(610)")\
    .replace("json.dumps(told)", "json.dumps([told, RefusingRemoval.refused, "
             "[fsutil.size(p) for p in (CFG[:CFG.rfind('/') + 1] + 'flash_try.txt', "
             "CFG[:CFG.rfind('/') + 1] + 'flash_try.txt.bak')]])")


def test_a_try_of_the_flash_whose_removal_is_refused_keeps_the_alarm_until_it_is_removed(tmp_path):
    told, refused, left = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}},
                                  REMOVAL_PROG)
    assert len(refused) == 1 and [e[0] for e in told] == [True, False], (told, refused)
    assert told[1][1] > refused[0], (told, refused)     # not the round whose try stayed
    assert [s for s in left if s is not None and s > 5] == [], left   # no try's room kept


# helper-290: the flash refuses the try's removal twice in a row (after its try, and before the
# next round's). That next try then went through with write_atomic moving the left file to
# flash_try.txt.bak, the removal after it was taken and the alarm ended, while the .bak kept the
# try's room for good (no try nor boot removes it)
TWICE_PROG = REMOVAL_PROG.replace("and not self.refused:", "and len(self.refused) < 2:")


def test_a_try_whose_removal_is_refused_twice_leaves_no_copy_of_it(tmp_path):
    told, refused, left = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}},
                                  TWICE_PROG)
    assert len(refused) == 2 and [e[0] for e in told] == [True, False], (told, refused)
    assert [s for s in left if s is not None and s > 5] == [], left   # no try's room kept
