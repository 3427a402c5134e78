# LAN API under a header flood, on the ESP32's 64 KiB heap: a LAN client that
# sends thousands of short header lines (each under the line limit, all within
# the request timeout) must be refused once the head passes its bound, while a
# stand-in for the alarm task keeps allocating without a MemoryError.
#   micropython -X heapsize=64K lan_flood.py PORT
# (Real time and no machine fake: they would not fit in this heap beside the server.)
import sys
import asyncio
import gc
import json
from forward.history import History
from forward.lanapi import LanApi
from streams import read_to_end

port = int(sys.argv[1])
out = {"canary_memory_errors": 0, "canary_rounds": 0}
h = History(48)
for i in range(48):
    h.add((5000 + i * 300, 1700000000 + i * 300, 100 + i, 0, 6, "live"))


async def flood(n):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        w.write(b"GET /sgv.json?count=1 HTTP/1.1\r\nHost: box\r\n")
        for i in range(0, n, 50):
            w.write("".join("X-%d: 1\r\n" % k for k in range(i, i + 50)).encode())
            await w.drain()
            await asyncio.sleep_ms(1)  # the server reads what was sent
            try:  # what the alarm and link tasks need all the time
                keep = [bytearray(256) for _ in range(8)]
                del keep
                out["canary_rounds"] += 1
            except MemoryError:
                out["canary_memory_errors"] += 1
        w.write(b"\r\n")
        await w.drain()
    except OSError:  # the server answered and closed while we were still sending
        pass
    data = await read_to_end(r, 256)
    w.close()
    await w.wait_closed()
    return data


async def main():
    api = LanApi({"port": port, "max_connections": 2, "request_timeout_s": 5}, h,
                 log=lambda m: None)
    task = asyncio.create_task(api.run(host="127.0.0.1"))
    await asyncio.sleep_ms(100)
    data = await flood(3000)
    out["flood_status"] = int(data.split(b" ")[1]) if data[:5] == b"HTTP/" else 0
    gc.collect()
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET /sgv.json?count=1 HTTP/1.1\r\nHost: box\r\n\r\n")
    await w.drain()
    data = await r.read(64)
    out["after_status"] = int(data.split(b" ")[1]) if data[:5] == b"HTTP/" else 0
    w.close()
    await w.wait_closed()
    api.stop()
    task.cancel()
    print(json.dumps(out))


asyncio.run(main())
