"""Atomic small-file writes that survive a power cut (littlefs, FAT, host).

    write_atomic(path, data)   # bytes or str, or a tuple of parts written in turn
    read_bytes(path)           # the file's bytes, or None when there is none
    size(path)                 # its size, or None
    recover(path) -> str       # call before reading `path`; see below
    readable(path)             # recover() for a reader: (the file to read, its answer)

A save goes in three steps, each of which leaves a readable state behind:
  1. write `path.tmp`, flush, fsync where the port has it, close;
  2. rename the current `path` to `path.bak` (the last good copy);
  3. rename `path.tmp` to `path`.
No rename ever targets an existing file (FAT refuses that; littlefs and POSIX
would replace it), so the sequence is the same on every filesystem.

After a cut, `recover(path)` finishes or undoes the save:
  - `path` present and `path.tmp` present: the cut came during step 1, the
    temp file may be half written: it is deleted ("discarded").
  - `path` missing, `path.tmp` present: the cut came between steps 2 and 3,
    step 1 had completed (it precedes step 2), so the save is rolled forward
    ("rolled_forward"); or, on the first save of `path` (no `path.bak`, no
    step 2), during step 1: the temp file may then be half written, and it is
    rolled forward all the same, for the caller's validation to judge.
Returns "ok", "discarded", "rolled_forward" or "missing" (no `path`, no temp).
A step 3 the flash refuses (OSError, no cut) puts `path.bak` back as `path` (when step 2
moved it) and drops the temp file where the flash lets it: a save reported as failed is
not rolled forward.
The caller (app.config) validates what it then reads and falls back to
`path.bak` when `path` is unreadable.
A flash that refuses writes at the boot after a cut (a worn one) refuses recover()'s rename:
it raises OSError. readable(path) then names the file where the cut save is (the temp file
when `path` is missing), read as recover() would have rolled it forward.
"""
import os

TMP = ".tmp"
BAK = ".bak"


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def size(path):
    """The file's size in bytes, or None when there is none."""
    try:
        return os.stat(path)[6]
    except OSError:
        return None


def remove_if_present(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _fsync(f):
    f.flush()
    sync = getattr(os, "fsync", None)
    if sync is not None:
        try:
            sync(f.fileno())
        except (OSError, AttributeError, ValueError):
            pass


failed_writes = 0   # write_atomic calls in a row that failed (flash refusing writes): main's health check
failed_bytes = 0    # the largest of them: a full flash takes a save of a few bytes (littlefs keeps
                    # it in its directory's block), so main's try of the flash writes as much


def write_atomic(path, data):
    """Replace `path` with `data` so that a reader sees the old or the new file, never a mix."""
    global failed_writes, failed_bytes
    try:
        _write_atomic(path, data)
    except OSError:
        failed_writes += 1
        failed_bytes = max(failed_bytes, sum(_size(p) for p in data) if isinstance(data, tuple) else _size(data))
        raise
    failed_writes = failed_bytes = 0


def _size(part):
    """Bytes on flash: text goes UTF-8 encoded, a character one to four bytes."""
    return len(part.encode()) if isinstance(part, str) else len(part)


def count_write(ok, size=0):
    """A save made by other code than write_atomic (aioble's bond keys), counted in
    failed_writes as write_atomic's own: a refused one adds to the row, and its size (bytes)
    to failed_bytes; a good one ends it."""
    global failed_writes, failed_bytes
    failed_writes = 0 if ok else failed_writes + 1
    failed_bytes = 0 if ok else max(failed_bytes, size)


def _write_atomic(path, data):
    tmp = path + TMP
    try:
        with open(tmp, "wb") as f:
            for part in data if isinstance(data, tuple) else (data,):
                f.write(part.encode() if isinstance(part, str) else part)
            _fsync(f)
    except OSError:
        # a part-written copy (the flash full) would hold the room the next save
        # needs until this file is saved again or the next boot; a complete one,
        # left by a failed rename below that could not be undone, is kept: recover() rolls it forward
        remove_if_present(tmp)
        raise
    moved = exists(path)
    if moved:
        remove_if_present(path + BAK)
        os.rename(path, path + BAK)
    try:
        os.rename(tmp, path)
    except OSError:
        # the flash refused the last step (no cut: code runs on): the old file back and the
        # new one dropped, so a save its caller reports as failed is not rolled forward by
        # recover() at a boot (no old file: the previous copy, .bak, is the caller's)
        try:
            if moved:
                os.rename(path + BAK, path)
            remove_if_present(tmp)
        except OSError:
            pass   # then recover() completes the save at the next boot, and says so
        raise
    sync = getattr(os, "sync", None)  # ESP32 littlefs commits on close; POSIX hosts may buffer
    if sync is not None:
        try:
            sync()
        except OSError:
            pass


def recover(path):
    tmp = path + TMP
    if not exists(tmp):
        return "ok" if exists(path) else "missing"
    if exists(path):
        remove_if_present(tmp)
        return "discarded"
    os.rename(tmp, path)
    return "rolled_forward"


def readable(path):
    """recover(path) for a reader: (path, recover's answer); or, when the flash refuses to
    finish a save cut by the power (recover's rename raised), (the file that save is in,
    the OSError): `path`, or its temp file when `path` is missing, to be read as recover()
    would have rolled it forward (the reader's own checks judge a half-written one), and
    the refusal said by the reader. Never raises OSError."""
    try:
        return path, recover(path)
    except OSError as e:
        return (path if exists(path) else path + TMP), e


def read_text(path):
    with open(path) as f:
        return f.read()


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None
