# MicroPython manifest for an ESP32 image with the firmware frozen in:
#
#   make setup                                   # installs .mpylib/ (microdot)
#   cd MICROPYTHON_SOURCE/ports/esp32            # same version as the host's (1.29)
#   make BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/repo/tools/freeze/esp32.py
#   make BOARD=ESP32_GENERIC FROZEN_MANIFEST=... deploy PORT=/dev/ttyUSB0
#   then, from the repo: make flash PORT=/dev/ttyUSB0 BOARD=... CONFIG=my.json FLASH_ARGS=--frozen
#
# The port's own frozen modules (asyncio, networking bundle) come first.
include("$(PORT_DIR)/boards/manifest.py")
include("firmware.py")
