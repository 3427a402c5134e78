# A scratch folder under build/ for the dual tests (CPython and MicroPython).
import os


def fresh(work, name):
    """work/name with any earlier copy (and its .tmp/.bak) removed."""
    for part in ("build", work):
        try:
            os.mkdir(part)
        except OSError:
            pass
    path = work + "/" + name
    for suffix in ("", ".tmp", ".bak"):
        try:
            os.remove(path + suffix)
        except OSError:
            pass
    return path
