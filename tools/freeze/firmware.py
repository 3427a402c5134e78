# MicroPython manifest: the firmware and the micropython-lib packages it needs
# (package.json "deps"), to freeze into an image. Included by esp32.py (the
# board) and unix.py (the host check); not used on its own.
#
# Why freeze: installed as files, every module is compiled (or its .mpy
# loaded) into the heap. Frozen, the bytecode stays in flash and the heap
# holds only the firmware's data, which is what the 64 KiB budget is for.
# aioble: only the parts the link uses (a central: scan, connect, GATT client,
# pairing); its peripheral, GATT server and L2CAP would only cost heap at import
# (aioble's __init__ imports the peripheral and server when present: 2.6 KB)
require("aioble-central")
require("aioble-client")
require("aioble-security")
require("umqtt.simple")
require("ntptime")
require("ssd1306")
# microdot is not in micropython-lib: the copy `make setup` installed (mip from
# GitHub, or its PyPI release) into .mpylib/; only the two modules we import.
package("microdot", files=["__init__.py", "microdot.py"], base_path="../../.mpylib")
# The firmware itself, module names as on the board (alarms/..., main.py).
# A frozen main.py is what the board runs at boot (before any main.py file).
freeze("../../firmware")
