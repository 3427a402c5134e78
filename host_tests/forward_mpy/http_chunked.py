# forward.http against a server that answers with Transfer-Encoding: chunked
# (HTTP/1.1 allows it; Nightscout's /pebble does it, and so may a proxy in front
# of any Nightscout): the body must come back without the chunk sizes, for the
# uploader (a batch counts as stored only on a JSON array) and for the follower.
#   micropython http_chunked.py PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401
import asyncio
import json
from forward import http
from forward.nightscout import NightscoutUploader

port = int(sys.argv[1])
out = {}
ENTRIES = json.dumps([{"type": "sgv", "sgv": 120 + i, "date": (1700000000 + 300 * i) * 1000,
                       "direction": "Flat"} for i in range(3)]).encode()


def chunks(body, size):
    parts = []
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        parts.append(b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n")
    return b"".join(parts) + b"0\r\n\r\n"


async def serve(r, w):
    line = await r.readline()
    length = 0
    while True:
        h = await r.readline()
        if h in (b"\r\n", b""):
            break
        if h.lower().startswith(b"content-length:"):
            length = int(h[15:].strip())
    posted = await r.readexactly(length) if length else b""
    if b" /early" in line or line.startswith(b"HEAD"):   # a CDN's 103 Early Hints, then the answer
        w.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                b"Date: Tue, 14 Nov 2023 22:13:21 GMT\r\n\r\n[]")
        await w.drain()
        w.close()
        await w.wait_closed()
        return
    # the POST answer echoes what was stored, as Nightscout does
    body = posted if line.startswith(b"POST") else ENTRIES
    w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n"
            + chunks(body, 7))
    await w.drain()
    w.close()
    await w.wait_closed()


async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", port)
    st, date, body = await http.request("GET", "127.0.0.1", port, "/api/v1/entries/sgv.json",
                                        [], timeout_s=5, max_body=6144)
    out["get"] = [st, date, json.loads(body) == json.loads(ENTRIES)]
    st, date, body = await http.request("GET", "127.0.0.1", port, "/x", [], timeout_s=5,
                                        max_body=20)
    out["cut"] = [st, body == ENTRIES[:20]]
    out["early"] = list(await http.request("GET", "127.0.0.1", port, "/early", [], timeout_s=5))
    out["early_head"] = await http.plain_date("127.0.0.1", port, 5)
    up = NightscoutUploader({"url": "http://127.0.0.1:%d" % port, "lan": True,
                             "secret": "a-secret-of-12+"}, log=lambda m: None)
    up.submit((5000, 1700000000, 120, 0, 6, "live"))
    up.submit((5300, 1700000300, 121, 0, 6, "live"))
    out["post"] = await up.post_once()
    out["left"] = len(up.queue)
    out["stored"] = up.stats["stored"]
    srv.close()
    print(json.dumps(out))


asyncio.run(main())
