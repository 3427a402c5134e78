# MicroPython manifest for a unix-port build with the firmware frozen in, the
# host's check that tools/freeze/firmware.py freezes and boots
# (tools/build_unix32.sh SRC OUT --frozen).
# the standard variant's own (asyncio, ssl, mip)
include("$(PORT_DIR)/variants/standard/manifest.py")
include("firmware.py")
