# Codec micro-benchmark, run ON MicroPython by tools/bench_codec.py:
#   micropython -X heapsize=64K tools/dexbench.py [SECONDS_PER_CASE]
# Prints one JSON object: parses per second per message kind and heap bytes
# allocated per parse (gc.mem_alloc() delta over a loop with gc disabled).
import gc
import json
import struct
import sys
import time

from dexcom import backfill, build, crc, glucose, replies
from dexcom.errors import DexcomError

try:
    ticks_us, ticks_diff = time.ticks_us, time.ticks_diff
except AttributeError:  # CPython
    def ticks_us():
        return int(time.perf_counter() * 1000000)

    def ticks_diff(a, b):
        return a - b

G31 = bytes.fromhex("3100680a00008a715700cc0006ffc42a")
G4F = crc.append(bytes.fromhex("4f00680a00008a715700cc0006ff8700"))
TIME = bytes.fromhex("2500470272007cff710001000000fa1d")
BATTERY = bytes.fromhex("23003c012f01cd021f247bae")
SENSOR = bytes.fromhex("2f005ac55b006081010030790100482a")
BAD = bytes.fromhex("3100680a00008a715700cc0006ffc42b")


def stream(n_records, t0=100000):
    payload = bytearray(b"\x10\x20\x00\x00")
    for i in range(n_records):
        payload += struct.pack("<IHBb", t0 + 300 * i, 100 + i % 50, 6, -3)
    frames = []
    for i in range(0, len(payload), 18):
        frames.append(bytes((len(frames) + 1, 0)) + payload[i:i + 18])
    whole = b"".join(frames)
    end = t0 + 300 * (n_records - 1)
    reply = crc.append(struct.pack("<BBBBIIIH", 0x51, 0, 1, 0, t0, end, len(whole), crc.crc16(whole)))
    return reply, frames, t0, end


def assemble(reply, frames, start, end):
    bf = backfill.Backfill(start, end)
    bf.add_reply(reply)
    for f in frames:
        bf.add_frame(f)
    return bf.readings(1600000000)


def glucose_unpack(buf, act):
    # The alternative the architecture suggests: struct.unpack_from on a
    # memoryview. Measured beside glucose_reading to justify the choice.
    n = len(buf)
    if buf[0] != 0x31 or n != 16 or not crc.trailer_ok(buf, n):
        raise DexcomError("bad")
    _, _, _, ts, g, state, trend = struct.unpack_from("<BBIIHBb", memoryview(buf), 0)
    g &= 0xFFF
    if (state == 6 or state == 7) and g > 13:
        return (ts, act + ts, g, None if trend == 127 else trend, state, "live")
    return (ts, act + ts, None, None, state, "live")


def rate(fn, arg, seconds):
    for _ in range(200):  # warm up (first-call allocations, caches)
        fn(arg)
    n = 0
    t0 = ticks_us()
    while True:
        for _ in range(50):
            fn(arg)
        n += 50
        dt = ticks_diff(ticks_us(), t0)
        if dt >= seconds * 1000000:
            return n * 1000000 // dt


def _alloc(fn, arg, n):
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for _ in range(n):
        fn(arg)
    used = gc.mem_alloc() - a
    gc.enable()
    gc.collect()
    return used


def heap_per_call(fn, arg, n=200):
    """Bytes allocated per call; n is cut so the loop fits in the free heap
    (with gc disabled nothing is reclaimed)."""
    fn(arg)
    first = _alloc(fn, arg, 2) // 2
    if first:
        n = max(2, min(n, gc.mem_free() // (2 * first)))
    return _alloc(fn, arg, n) // n


def rejected(buf):
    try:
        glucose.glucose_reading(buf, 0)
    except DexcomError:
        pass


def main(seconds):
    act = 1600000000
    reply36, frames36, s36, e36 = stream(36)      # 3 hours
    bf36 = (reply36, frames36, s36, e36)
    cases = [
        ("glucose_0x31_reading", lambda b: glucose.glucose_reading(b, act), G31),
        ("glucose_0x4f_reading", lambda b: glucose.glucose_reading(b, act), G4F),
        ("glucose_0x31_dict", replies.parse_glucose, G31),
        ("glucose_0x31_unpack_from_alt", lambda b: glucose_unpack(b, act), G31),
        ("glucose_bad_crc_rejected", rejected, BAD),
        ("time_0x25", replies.parse_time, TIME),
        ("battery_0x23", replies.parse_battery, BATTERY),
        ("sensor_0x2f", replies.parse_sensor, SENSOR),
        ("backfill_3h_36_records", lambda a: assemble(*a), bf36),
        ("build_backfill_request", lambda a: build.backfill(a, a + 10800), 1000),
    ]
    per_s, heap = {}, {}
    for name, fn, arg in cases:
        per_s[name] = rate(fn, arg, seconds)
        heap[name] = heap_per_call(fn, arg)
    gc.collect()
    return {
        "runtime": sys.implementation.name,
        "parse_per_s": per_s,
        "heap_bytes_per_call": heap,
        "heap_bytes_per_glucose_parse": heap["glucose_0x31_reading"],
        "heap_bytes_per_glucose_dict_parse": heap["glucose_0x31_dict"],
        "backfill_records_per_s": per_s["backfill_3h_36_records"] * 36,
        "heap_in_use_after_import": gc.mem_alloc(),
    }


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.5)))
