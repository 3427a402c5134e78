# Other Bluetooth devices in the room (phones, watches, earbuds, beacons, a TV)
# advertising on the virtual air, so the firmware's scans hear what a bedroom
# or a flat hears, not the transmitter alone. Each advert heard runs the BLE IRQ
# handler and aioble's scan bookkeeping in Python, on the board as here. One in
# eight advertises a name that is not whole UTF-8.
#
#   import bystanders; bystanders.start(30, seed=1)   # after vtx.start()
import vradio
from xorshift import Rng

NAMES = ("Galaxy", "iPhone", "Watch", "Buds", "Tile", "[TV] Samsung", "LE-Bose", "Fitbit")


def _payload(rng, i):
    name = ("%s %d" % (NAMES[i % len(NAMES)], i)).encode()[:20]
    if i % 8 == 7:
        # as a room has them (review28): a shortened name cut inside a UTF-8
        # character, which aioble's name() cannot decode
        name = "Café Ñ".encode()[:4]
    flags = bytes((2, 0x01, 0x06))
    # manufacturer data that changes nothing (a real phone's rotates)
    mfr = bytes((0x4C, 0x00)) + bytes(rng.u32() & 0xFF for _ in range(6))
    return flags + bytes((len(name) + 1, 0x09)) + name + bytes((len(mfr) + 1, 0xFF)) + mfr


def start(n, seed=1, min_ms=100, max_ms=1000):
    """n devices advertising every min_ms..max_ms (spread evenly); returns their controllers."""
    air = vradio.default_air()
    rng = Rng(seed, salt=4242)
    out = []
    for i in range(n):
        c = vradio.Controller(air, name="bystander%d" % i)
        c.active(True)
        interval_ms = min_ms + (max_ms - min_ms) * i // max(1, n - 1)
        c.gap_advertise(interval_ms * 1000, adv_data=_payload(rng, i), connectable=i % 2 == 0)
        out.append(c)
    return out
