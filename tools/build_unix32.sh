#!/bin/sh
# Build a 32-bit (i686) MicroPython unix port, to measure the firmware's heap
# with the ESP32's word size (4-byte words, 16-byte GC blocks) instead of the
# venv's 64-bit build, and to run it with the ESP32's single-precision floats
# (the venv's port computes in double: a 13-digit ms date, or Unix seconds in a
# float, lose seconds on the board). Optional: nothing else needs it.
#
#   tools/build_unix32.sh MPY_SRC_DIR [OUT]     (OUT default: build/micropython32)
#   make bench SECTION=device MICROPYTHON=build/micropython32
#   make sim MICROPYTHON=build/micropython32    (tools/sim.py reads $MICROPYTHON)
#   FROZEN=1 tools/build_unix32.sh MPY_SRC_DIR build/micropython32-frozen
#       the same with the firmware frozen in (tools/freeze/unix.py, the
#       manifest the ESP32 image uses, tools/freeze/esp32.py): checks that it
#       freezes and boots, and measures what importing it costs the heap.
#       Needs `make setup` (microdot in .mpylib/); micropython-lib packages
#       come from the source's lib/micropython-lib, else ../shared's mirror.
#
# MPY_SRC_DIR: a MicroPython source tree (same version as the venv's, 1.29)
# with the submodules lib/mbedtls (ssl, cryptolib) and lib/micropython-lib
# (the standard variant's frozen manifest). Since early 2026 MicroPython
# builds x86 with a cross compiler (MICROPY_FORCE_32BIT is gone), so this
# installs gcc-i686-linux-gnu with apt when it is missing. ffi and btree are
# left out (the firmware uses neither). The binary runs with the cross
# toolchain's own i386 libc (dynamic linker and rpath point into it), so no
# i386 multiarch is needed. Prints the binary's path.
set -eu

SRC=${1:?usage: tools/build_unix32.sh MPY_SRC_DIR [OUT]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${2:-$ROOT/build/micropython32}
CROSS=i686-linux-gnu-
SYSROOT=/usr/i686-linux-gnu/lib

[ -f "$SRC/ports/unix/Makefile" ] || { echo "build_unix32: $SRC is not a MicroPython source tree" >&2; exit 2; }
for sub in lib/mbedtls/library lib/micropython-lib/python-stdlib; do
    [ -d "$SRC/$sub" ] || { echo "build_unix32: $SRC/$sub is missing (git submodule update --init lib/mbedtls lib/micropython-lib)" >&2; exit 2; }
done

if ! command -v ${CROSS}gcc >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -q gcc-i686-linux-gnu >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && apt-get install -y -q gcc-i686-linux-gnu >/dev/null; }
    else
        echo "build_unix32: install gcc-i686-linux-gnu (apt) first" >&2; exit 2
    fi
fi

JOBS=$(nproc 2>/dev/null || echo 2)
# single-precision floats, as the ESP32 port computes (ports/esp32/mpconfigport.h:
# MICROPY_FLOAT_IMPL_FLOAT); DOUBLE=1 keeps the unix port's doubles
FLOAT=-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT
BUILD=build-i686-f32
[ "${DOUBLE:-}" = 1 ] && { FLOAT=; BUILD=build-i686; }
set --
if [ "${FROZEN:-}" = 1 ]; then
    BUILD=$BUILD-frozen
    LIB=$SRC/lib/micropython-lib
    [ -f "$LIB/micropython/bluetooth/aioble/manifest.py" ] || LIB=$ROOT/../shared/micropython-lib
    [ -d "$ROOT/.mpylib/microdot" ] || { echo "build_unix32: run make setup first (.mpylib/microdot)" >&2; exit 2; }
    set -- FROZEN_MANIFEST="$ROOT/tools/freeze/unix.py" MPY_LIB_DIR="$(cd "$LIB" && pwd)"
    # makemanifest re-freezes only files newer than its output: a module dropped from the
    # manifest, or a tree built before from another checkout, stayed frozen in (helper-136)
    rm -rf "$SRC/ports/unix/$BUILD/frozen_content.c" "$SRC/ports/unix/$BUILD/frozen_mpy"
fi
make -C "$SRC/mpy-cross" -j"$JOBS" >&2
make -C "$SRC/ports/unix" -j"$JOBS" BUILD=$BUILD CROSS_COMPILE=$CROSS \
    MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 CFLAGS_EXTRA="$FLOAT" "$@" \
    LDFLAGS_EXTRA="-Wl,--dynamic-linker=$SYSROOT/ld-linux.so.2 -Wl,-rpath=$SYSROOT" >&2

mkdir -p "$(dirname "$OUT")"
cp "$SRC/ports/unix/$BUILD/micropython" "$OUT"
bits=$("$OUT" -c "import sys; print(32 if sys.maxsize < 1 << 32 else 64)")
[ "$bits" = 32 ] || { echo "build_unix32: $OUT is $bits-bit, not 32" >&2; exit 1; }
single=$("$OUT" -c "print(1.0 + 2.0 ** -30 == 1.0)")
[ "$single" = True ] || [ "${DOUBLE:-}" = 1 ] || { echo "build_unix32: $OUT computes in double precision, not the ESP32's single" >&2; exit 1; }
# which firmware is frozen in: the tools refuse to run it once firmware/ has changed
# (tools/runtime.py micropython_binary); a plain build runs the folder's, and has none
rm -f "$OUT.firmware"
[ "${FROZEN:-}" = 1 ] && "$ROOT/.venv/bin/python" "$ROOT/tools/runtime.py" > "$OUT.firmware"
echo "$OUT"
