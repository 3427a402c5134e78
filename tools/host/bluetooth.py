"""Host stand-in for MicroPython's `bluetooth` module (ESP32/NimBLE flavour).

`bluetooth.BLE()` returns this process's default virtual controller
(`vradio.default_controller()`); everything else is in `vradio`, which also
documents the radio model, the two kinds of air (in-process and the
multi-process lock-step one used by aioble's multitests) and the fault
injection hooks. With `tools/host` on the path `import bluetooth` finds this
file; `vradio.install()` also puts it into `sys.modules`.
"""
import vradio
from vradio import (  # noqa: F401  (re-exported API)
    UUID,
    FLAG_BROADCAST,
    FLAG_READ,
    FLAG_WRITE_NO_RESPONSE,
    FLAG_WRITE,
    FLAG_NOTIFY,
    FLAG_INDICATE,
    FLAG_AUTHENTICATED_SIGNED_WRITE,
    FLAG_AUX_WRITE,
    FLAG_READ_ENCRYPTED,
    FLAG_READ_AUTHENTICATED,
    FLAG_READ_AUTHORIZED,
    FLAG_WRITE_ENCRYPTED,
    FLAG_WRITE_AUTHENTICATED,
    FLAG_WRITE_AUTHORIZED,
)


def BLE():
    """The singleton controller of this process."""
    return vradio.default_controller()
