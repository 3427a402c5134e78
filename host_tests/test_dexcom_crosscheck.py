"""CPython only: the codec's pure-Python AES and auth hash against the
`cryptography` package, and property tests (hypothesis) of CRC and parsers."""
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings, strategies as st

from dexcom import aes, auth, crc, glucose, messages
from dexcom.errors import DexcomError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "dual"))
from codec_steps import crc_xmodem  # noqa: E402  (the dual tests' CRC oracle)

IDS = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=6, max_size=6)


def _ecb(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def test_fips197_appendix_c1():
    key = bytes(range(16))
    pt = bytes.fromhex("00112233445566778899aabbccddeeff")
    assert aes.encrypt_block(key, pt).hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16))
def test_pure_aes_matches_cryptography(key, block):
    assert aes.encrypt_block(key, block) == _ecb(key, block)


@settings(max_examples=200, deadline=None)
@given(IDS, st.binary(min_size=8, max_size=8))
def test_auth_hash_matches_cryptography(tid, data):
    key = ("00" + tid + "00" + tid).encode()
    assert auth.hash8(tid, data) == _ecb(key, data + data)[:8]


@given(st.binary(max_size=300))
def test_crc_table_matches_bitwise(data):
    assert crc.crc16(data) == crc_xmodem(data)
    assert crc.trailer_ok(crc.append(data), len(data) + 2)


@given(st.integers(0, 255), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
       st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(-128, 127))
def test_glucose_roundtrip(status, seq, ts, gfield, state, trend):
    m = crc.append(struct.pack("<BBIIHBb", 0x31, status, seq, ts, gfield, state, trend))
    d = messages.parse(m)
    assert (d["status"], d["sequence"], d["timestamp_dex_s"], d["state"]) == (status, seq, ts, state)
    assert d["glucose_mgdl"] == gfield & 0xFFF
    assert d["glucose_is_display_only"] == (gfield >= 0x1000)
    rate = None if trend in (127, -128) else trend  # both mean "no rate" (CGMBLEKit)
    assert d["trend"] == rate
    r = glucose.glucose_reading(m, 100)
    usable = state in (6, 7) and gfield & 0xFFF > 13
    assert r == (ts, 100 + ts, gfield & 0xFFF if usable else None,
                 rate if usable else None, state, "live")


@given(st.binary(min_size=0, max_size=24))
def test_random_bytes_only_raise_dexcom_error(data):
    try:
        messages.parse(data)
    except DexcomError:
        pass
    try:
        glucose.glucose_reading(data)
    except DexcomError:
        return
    # a reading came out: it must have been a well-formed glucose message
    assert data[0] in (0x31, 0x4F) and crc.trailer_ok(data, len(data))
