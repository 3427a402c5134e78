# A folder of this process's own for scratch files, on MicroPython's unix port
# (no tempfile there) and on CPython: a fixed /tmp name is shared by every run at
# once (two checkouts, a bench beside `make test`), each deleting or overwriting
# the files the other had just written.
import os


def fresh_dir(prefix):
    """Make and return a new folder $TMPDIR/<prefix>-<random> (/tmp without TMPDIR)."""
    base = os.getenv("TMPDIR") or "/tmp"
    while True:
        path = "%s/%s-%08x" % (base.rstrip("/"), prefix, int.from_bytes(os.urandom(4), "big"))
        try:
            os.mkdir(path)   # fails if it exists: never one another run made
            return path
        except OSError as e:
            if e.args[0] != 17:   # EEXIST: draw again
                raise


def remove_dir(path):
    """Remove the folder and the files in it (flat: fresh_dir's folders hold no folders)."""
    for name in os.listdir(path):
        os.remove(path + "/" + name)
    os.rmdir(path)
