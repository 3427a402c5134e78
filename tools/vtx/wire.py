# The transmitter's side of the Dexcom G5/G6 wire format, written
# independently of firmware/dexcom so the two cross-check each other.
# Host only, runs on MicroPython (uses cryptolib for AES-128-ECB).
import struct

try:
    import cryptolib
except ImportError:  # CPython: no AES; only the MicroPython host uses the vtx
    cryptolib = None

# 128-bit UUIDs of the Dexcom CGM service (little-endian bytes are built by
# bluetooth.UUID from these strings).
CGM_SERVICE = "F8083532-849E-531C-C594-30F1F86A4EA5"
COMMUNICATION = "F8083533-849E-531C-C594-30F1F86A4EA5"
CONTROL = "F8083534-849E-531C-C594-30F1F86A4EA5"
AUTHENTICATION = "F8083535-849E-531C-C594-30F1F86A4EA5"
BACKFILL = "F8083536-849E-531C-C594-30F1F86A4EA5"
ADV_SERVICE16 = 0xFEBC
MANUFACTURER_ID = 0x00D0


def crc16(data, crc=0):
    """CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR."""
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def with_crc(body):
    return bytes(body) + struct.pack("<H", crc16(body))


def crc_ok(msg):
    return len(msg) >= 3 and struct.unpack("<H", msg[-2:])[0] == crc16(msg[:-2])


def key_for(tx_id):
    return ("00" + tx_id + "00" + tx_id).encode()


def auth_hash(key, x8):
    """First 8 bytes of AES-128-ECB(key, x8 || x8)."""
    return cryptolib.aes(key, 1).encrypt(bytes(x8) + bytes(x8))[:8]
