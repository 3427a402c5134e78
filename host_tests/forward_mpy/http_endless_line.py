# forward.http against a broken server whose head line never ends (a proxy or a
# server gone wrong sending a header of 200 KB without a line end). The port's
# readline read such a line whole: the heap filled (MemoryError, `device`
# memory at the box) before the 20-s timeout. The client must refuse it as an
# HttpError (the uploader's `forwarding` path) having read little of it.
#   micropython http_endless_line.py PORT KIND    (KIND: status | header | chunk)
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401
import asyncio
import gc
import json
from forward import http

port, kind = int(sys.argv[1]), sys.argv[2]
PAD = b"p" * 1024
HEADS = {"status": b"HTTP/1.1 200 ",
         "header": b"HTTP/1.1 200 OK\r\nX-Pad: ",
         "chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1"}
sent = [0]


async def serve(r, w):
    while (await r.readline()) not in (b"\r\n", b""):
        pass
    try:
        w.write(HEADS[kind])
        for _ in range(200):   # 200 KB with no line end, then the line's end
            w.write(PAD)
            await w.drain()
            sent[0] += len(PAD)
        w.write(b"\r\n\r\nok")
        await w.drain()
    except OSError:
        pass   # the client hung up
    w.close()


async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", port)
    gc.collect()
    try:
        got = await http.request("GET", "127.0.0.1", port, "/", [], timeout_s=10)
        out = {"result": "answer", "body": len(got[2])}
    except http.HttpError as e:
        out = {"result": "HttpError", "error": str(e)}
    except MemoryError:
        out = {"result": "MemoryError"}
    srv.close()
    out["sent_kb"] = sent[0] // 1024
    return out


print(json.dumps(asyncio.run(main())))
