# A small pure-Python AES-128 that encrypts ONE block (FIPS-197).
# Why it exists: the auth hash needs one AES-128-ECB block. On the board (and
# on the unix port) MicroPython's built-in `cryptolib.aes` does it, and
# dexcom.auth uses that. CPython has no `cryptolib`, and the codec must run
# there too without third-party packages, so this is the fallback. It is
# cross-checked against the `cryptography` package in
# host_tests/test_dexcom_crosscheck.py. Not constant-time; not for secrets
# beyond a transmitter serial number (which is printed on the box).


def _xtime(a):
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _make_sbox():
    # Inverse in GF(2^8) (by exponentiation tables over generator 3), then the
    # affine transform.
    exp = [0] * 256
    log = [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x ^= _xtime(x)
    sbox = bytearray(256)
    for a in range(256):
        inv = exp[(255 - log[a]) % 255] if a else 0
        s = inv
        for _ in range(4):
            inv = ((inv << 1) | (inv >> 7)) & 0xFF
            s ^= inv
        sbox[a] = s ^ 0x63
    return bytes(sbox)


_SBOX = _make_sbox()


def _expand_key(key):
    w = bytearray(key)
    rcon = 1
    for i in range(16, 176, 4):
        t = w[i - 4:i]
        if i % 16 == 0:
            t = bytearray((_SBOX[t[1]] ^ rcon, _SBOX[t[2]], _SBOX[t[3]], _SBOX[t[0]]))
            rcon = _xtime(rcon)
        for j in range(4):
            w.append(w[i - 16 + j] ^ t[j])
    return w


def encrypt_block(key, block):
    """AES-128 encryption of one 16-byte block under a 16-byte key."""
    if len(key) != 16 or len(block) != 16:
        raise ValueError("AES-128 needs a 16-byte key and a 16-byte block")
    w = _expand_key(key)
    s = bytearray(block[i] ^ w[i] for i in range(16))
    for rnd in range(1, 11):
        s = bytearray(_SBOX[b] for b in s)
        # ShiftRows: the state is column-major, byte r + 4c is row r, column c.
        s = bytearray(s[(i + 4 * (i % 4)) % 16] for i in range(16))
        if rnd != 10:
            m = bytearray(16)
            for c in range(0, 16, 4):
                a0, a1, a2, a3 = s[c], s[c + 1], s[c + 2], s[c + 3]
                t = a0 ^ a1 ^ a2 ^ a3
                m[c] = a0 ^ t ^ _xtime(a0 ^ a1)
                m[c + 1] = a1 ^ t ^ _xtime(a1 ^ a2)
                m[c + 2] = a2 ^ t ^ _xtime(a2 ^ a3)
                m[c + 3] = a3 ^ t ^ _xtime(a3 ^ a0)
            s = m
        k = 16 * rnd
        s = bytearray(s[i] ^ w[k + i] for i in range(16))
    return bytes(s)
