# A scratch folder under build/ for the dual tests (CPython and MicroPython).
import os


def fresh(work, name):
    """work/name with any earlier copy (and its .tmp/.bak) removed; work's folders made,
    each level (a test's folder of its own under its file's WORK needs WORK first)."""
    made = ""
    for part in work.split("/"):
        made += part
        try:
            os.mkdir(made)
        except OSError:
            pass
        made += "/"
    path = work + "/" + name
    for suffix in ("", ".tmp", ".bak"):
        try:
            os.remove(path + suffix)
        except OSError:
            pass
    return path
