# The G5/G6/ONE authentication hash (research section 3.2):
#   key  = the 16 ASCII bytes "00" + ID + "00" + ID (ID = 6-character serial)
#   H(x) = first 8 bytes of AES-128-ECB(key, x + x) for an 8-byte x.
# Both sides prove they know the serial: the transmitter sends H(our token),
# we answer H(its challenge).
from dexcom.errors import DexcomError

try:
    from cryptolib import aes as _aes  # MicroPython (board and unix port)

    def _encrypt(key, block):
        return _aes(key, 1).encrypt(block)  # mode 1 = ECB
except ImportError:  # CPython: no cryptolib, use the small pure-Python AES
    from dexcom.aes import encrypt_block as _encrypt

_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalise_id(transmitter_id):
    """The 6-character serial in upper case (as printed); DexcomError if it
    is not 6 letters/digits (G7/ONE+ 4-character IDs are not supported)."""
    if not isinstance(transmitter_id, str):
        raise DexcomError("transmitter ID must be a string")
    tid = transmitter_id.strip().upper()
    if len(tid) != 6:
        raise DexcomError("transmitter ID must be 6 characters, got %d" % len(tid))
    for ch in tid:
        if ch not in _ID_CHARS:
            raise DexcomError("transmitter ID has a character that is not a letter or digit")
    return tid


def key_for(transmitter_id):
    tid = normalise_id(transmitter_id)
    return ("00" + tid + "00" + tid).encode()


def hash8(transmitter_id, data8, key=None):
    """H(data8) for this transmitter (pass `key` from key_for() to skip the
    key derivation)."""
    if len(data8) != 8:
        raise DexcomError("auth hash input must be 8 bytes, got %d" % len(data8))
    if key is None:
        key = key_for(transmitter_id)
    block = bytes(data8) + bytes(data8)
    return bytes(_encrypt(key, block)[:8])


def token_hash_ok(transmitter_id, token, token_hash):
    """True when the transmitter's tokenHash (AuthChallengeRx) is H(token):
    the transmitter knows our serial. A mismatch means a wrong or rogue
    transmitter; the reader should not go on."""
    return hash8(transmitter_id, token) == bytes(token_hash)


def random_token():
    """8 fresh random bytes for AuthRequestTx (never a fixed token: a fixed
    one lets a recorded reply be replayed)."""
    import os
    return bytes(os.urandom(8))
