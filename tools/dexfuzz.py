# Fuzz the Dexcom codec: random and mutated messages through every parser.
# Deterministic (own xorshift PRNG, so MicroPython and CPython generate the
# same messages for a seed). Runs on the MicroPython unix port:
#   micropython tools/dexfuzz.py [SEED] [COUNT]
# Prints one JSON summary; exit status 1 if a property failed:
#   - no parser raises anything but DexcomError;
#   - no parser returns fields from a CRC-bearing message whose CRC is bad;
#   - glucose_reading never returns a reading from a message with a bad CRC;
#   - a backfill stream with one corrupted byte is always dropped.
import json
import sys

from dexcom import crc, glucose, messages
from dexcom.backfill import Backfill
from dexcom.errors import DexcomError

sys.path.append(sys.path[0] + "/host")  # the script's own folder is tools/
from xorshift import Rng  # noqa: E402

VECTORS = "../shared/vectors/dexcom.json"
# Opcodes whose replies carry no CRC (authentication characteristic).
NO_CRC = (0x03, 0x05, 0x08, 0xFF)
# Reply lengths the codec accepts, to build well-formed random messages.
LENGTHS = {0x03: (17, 20), 0x05: (3, 4), 0x08: (2,), 0xFF: (3,), 0x21: (18, 20),
           0x23: (10, 12, 14), 0x25: (16, 18), 0x27: (17,), 0x29: (17,), 0x2F: (8, 16, 18),
           0x31: (16, 18), 0x33: (19, 20), 0x35: (5,), 0x4B: (19, 21), 0x4F: (16, 18, 20),
           0x51: (20,), 0x53: (7, 9, 19, 20), 0xD0: (4,)}



def load_seeds():
    seeds, streams = [], []
    try:
        f = open(VECTORS)
    except OSError as e:   # MicroPython's OSError names no file
        raise SystemExit("dexfuzz: cannot read the codec's test vectors %s: %s" % (VECTORS, e))
    for v in json.load(f):
        t = v["message_type"]
        if t.startswith(("AuthHash", "CRC-16", "G7")):
            continue
        b = bytes.fromhex(v["hex"])
        if "frames" in v and t.startswith("GlucoseBackfillRx"):
            streams.append((b, [bytes.fromhex(f) for f in v["frames"]], "records" in v["expected"]))
        seeds.append(b)
    return seeds, streams


def well_formed(rng):
    """A random message with a valid opcode, an accepted length and (where the
    opcode has one) a correct CRC."""
    ops = list(LENGTHS)
    op = ops[rng.below(len(ops))]
    lens = LENGTHS[op]
    n = lens[rng.below(len(lens))]
    if op in NO_CRC:
        return bytes((op,)) + rng.bytes(n - 1)
    return crc.append(bytes((op,)) + rng.bytes(n - 3))


def mutate(rng, b):
    b = bytearray(b)
    k = rng.below(7)
    if k == 0 and b:            # flip one bit
        i = rng.below(len(b))
        b[i] ^= 1 << rng.below(8)
    elif k == 1 and b:          # replace a byte
        b[rng.below(len(b))] = rng.below(256)
    elif k == 2:                # truncate
        b = b[:rng.below(len(b) + 1)]
    elif k == 3:                # extend
        b += rng.bytes(1 + rng.below(4))
    elif k == 4 and b:          # another opcode, same body
        b[0] = list(LENGTHS)[rng.below(len(LENGTHS))]
    elif k == 5 and len(b) > 2:  # scramble the body, then fix the CRC up
        b = bytearray(crc.append(bytes(b[:1]) + rng.bytes(len(b) - 3)))
    else:                       # pure noise
        b = bytearray(rng.bytes(rng.below(25)))
    return bytes(b)


def crc_bad(b):
    return len(b) < 3 or not crc.trailer_ok(b, len(b))


def check_message(b, parsers, stats, failures):
    for name, fn in parsers:
        try:
            d = fn(b)
        except DexcomError:
            stats["rejected"] += 1
            continue
        except Exception as e:  # noqa: BLE001 - the property under test
            failures.append("%s(%s) raised %r" % (name, b.hex(), e))
            continue
        finally:
            stats["calls"] += 1
        if name == "glucose_reading":
            stats["readings"] += 1
            if crc_bad(b) or b[0] not in (0x31, 0x4F):
                failures.append("reading from a message with a bad CRC: " + b.hex())
        elif b[0] not in NO_CRC and crc_bad(b):
            failures.append("%s accepted a bad CRC: %s -> %r" % (name, b.hex(), d))


def check_stream(rng, stream, stats, failures):
    reply, frames, is_glucose = stream
    frames = list(frames)
    victim = rng.below(len(frames) + 1)
    if victim == len(frames):
        reply = bytearray(reply)
        reply[rng.below(len(reply))] ^= 1 + rng.below(255)
        reply = bytes(reply)
    else:
        f = bytearray(frames[victim])
        f[rng.below(len(f))] ^= 1 + rng.below(255)
        frames[victim] = bytes(f)
    reply_first = rng.below(2)
    bf = Backfill(messages.parse_backfill_rx(stream[0])["start_time"],
                  messages.parse_backfill_rx(stream[0])["end_time"])
    try:
        if reply_first:
            bf.add_reply(reply)
        for f in frames:
            bf.add_frame(f)
        if not reply_first:
            bf.add_reply(reply)
    except DexcomError:
        pass
    except Exception as e:  # noqa: BLE001
        failures.append("backfill raised %r" % (e,))
        return
    stats["streams"] += 1
    try:
        bf.records()
        failures.append("corrupted backfill stream accepted (%s)" % ("glucose" if is_glucose else "other"))
    except DexcomError:
        stats["streams_dropped"] += 1


def run(seed, count):
    rng = Rng(seed)
    seeds, streams = load_seeds()
    parsers = [(fn.__name__, fn) for fn in set(messages.PARSERS.values())]
    parsers.sort(key=lambda p: p[0])
    parsers += [("parse", messages.parse), ("glucose_reading", glucose.glucose_reading)]
    stats = {"seed": seed, "messages": 0, "calls": 0, "rejected": 0, "readings": 0,
             "streams": 0, "streams_dropped": 0, "parsers": len(parsers)}
    failures = []
    for i in range(count):
        r = rng.below(10)
        if r < 5:
            b = mutate(rng, seeds[rng.below(len(seeds))])
        elif r < 8:
            b = well_formed(rng)
            if rng.below(2):
                b = mutate(rng, b)
        else:
            b = rng.bytes(rng.below(25))
        check_message(b, parsers, stats, failures)
        stats["messages"] += 1
        if i % 20 == 0:
            check_stream(rng, streams[rng.below(len(streams))], stats, failures)
        if len(failures) > 20:
            break
    stats["failures"] = failures[:20]
    stats["ok"] = not failures
    return stats


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    result = run(seed, count)
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)
