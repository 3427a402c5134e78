"""Which MicroPython unix port the host tools and tests run.

MICROPYTHON=/path/to/binary (in the environment, or `make test MICROPYTHON=...`)
runs another build, e.g. the 32-bit one from tools/build_unix32.sh, whose
object sizes and small-int range are the ESP32's; default: the venv's.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")


def micropython_binary():
    return os.path.abspath(os.environ.get("MICROPYTHON") or VENV_MICROPYTHON)


MICROPYTHON = micropython_binary()
