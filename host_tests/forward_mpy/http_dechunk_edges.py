# forward.http._dechunk on hand-made chunked bodies (a reader over bytes):
# extensions, trailers, a cut body, max_body mid-chunk, a chunk not ended by
# CRLF (a broken server or proxy).
#   micropython http_dechunk_edges.py  -> one JSON line
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401
import asyncio
import json

from forward import http


class Reader:
    def __init__(self, data):
        self.b = data

    async def readline(self):
        i = self.b.find(b"\n")
        i = len(self.b) if i < 0 else i + 1
        line, self.b = self.b[:i], self.b[i:]
        return line

    async def read(self, n):
        part, self.b = self.b[:n], self.b[n:]
        return part


CASES = (
    ("ext_trailer", b"5;name=v\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", 100),
    ("cut_mid", b"5\r\nhel", 100),
    ("max_mid", b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", 7),
    ("no_crlf", b"5\r\nhello3\r\nabc\r\n0\r\n\r\n", 100),
)


async def main():
    out = {}
    for name, raw, max_body in CASES:
        try:
            out[name] = (await http._dechunk(http._Answer(Reader(raw)), max_body)).decode()
        except http.HttpError as e:
            out[name] = "HttpError: %s" % e
    return out


print(json.dumps(asyncio.run(main())))
