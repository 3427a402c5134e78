"""config.load on a fragmented heap (MicroPython): the settings page loads the
configuration long after boot, when the heap has no large free block left."""
from conftest import run_micropython

PROG = r'''
import sys, gc
sys.path.insert(0, "firmware")
from app import config
path = "build/test_config_heap.json"
with open(path, "w") as f:
    f.write('{"transmitter_id": "8G1234"}')
config.load(path)  # the modules it imports on first use are loaded now, not from the holes
gc.collect()
chunks = []
try:
    while True:
        chunks.append(bytearray(1000))
except MemoryError:
    pass
for i in range(0, len(chunks), 2):   # free every other one: many 1 KB holes, no 16 KB block
    chunks[i] = None
gc.collect()
try:
    cfg, problems = config.load(path)
    print("OK", cfg["transmitter_id"], len(problems))
except MemoryError as e:
    chunks = None
    gc.collect()
    print("RAISED", e)
'''


def test_a_small_config_loads_on_a_heap_without_a_16_kb_block():
    # before: every load asked for MAX_BYTES + 1 (16 KB) in one block, and
    # load(), documented never to raise, raised MemoryError
    import os
    from conftest import ROOT
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    r = run_micropython(["-c", PROG], heap="200K", timeout=60)
    assert r.stdout.strip() == "OK 8G1234 0", r.stdout + r.stderr
