"""Which MicroPython unix port the host tools and tests run.

MICROPYTHON=/path/to/binary (in the environment, or `make test MICROPYTHON=...`)
runs another build, e.g. the 32-bit one from tools/build_unix32.sh, whose
object sizes and small-int range are the ESP32's; default: the venv's.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")


def firmware_digest():
    """SHA-256 of firmware/ (every file's path and bytes): which firmware a frozen build holds."""
    import hashlib
    h = hashlib.sha256()
    top = os.path.join(ROOT, "firmware")
    for d, dirs, files in sorted(os.walk(top)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(d, name)
                h.update(os.path.relpath(path, top).encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(f.read() + b"\0")
    return h.hexdigest()


def micropython_binary():
    """The binary; one built with the firmware frozen in (tools/build_unix32.sh FROZEN=1, which
    writes its firmware's digest beside it as BINARY.firmware) must hold this firmware/: frozen
    modules are found before the folder's, so a stale one ran other firmware unsaid."""
    binary = os.path.abspath(os.environ.get("MICROPYTHON") or VENV_MICROPYTHON)
    try:
        with open(binary + ".firmware") as f:
            frozen = f.read().strip()
    except OSError:
        return binary
    if frozen != firmware_digest():
        raise SystemExit("%s holds other firmware than firmware/ (frozen in when it was built): "
                         "build it again, FROZEN=1 tools/build_unix32.sh MPY_SRC_DIR %s" % (binary, binary))
    return binary


MICROPYTHON = micropython_binary()


if __name__ == "__main__":   # (tools/build_unix32.sh: the digest of what it freezes)
    print(firmware_digest())
