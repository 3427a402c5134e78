# LAN API on microdot: routes and bad requests, with asyncio clients in the
# same process (real loopback sockets).
#   micropython lan_api.py PORT
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
import clock
from forward.history import History
from forward.lanapi import LanApi
from streams import read_to_end

port = int(sys.argv[1])
out = {}
h = History(288)
T0 = 1700000000
for i in range(30):
    h.add((5000 + i * 300, T0 + i * 300, 100 + i, 12 if i % 2 else -25, 6, "live"))


async def req(raw, read=True, pause_ms=0):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(raw)
    await w.drain()
    if pause_ms:
        await asyncio.sleep_ms(pause_ms)
    data = await read_to_end(r) if read else b""
    w.close()
    await w.wait_closed()
    return data


def status_and_json(data):
    head, _, body = data.partition(b"\r\n\r\n")
    st = int(head.split(b" ")[1]) if head else 0
    try:
        return st, json.loads(body)
    except ValueError:
        return st, body.decode()


async def flood_headers(good, n):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        w.write(("GET /sgv.json?count=1 HTTP/1.1\r\nHost: box\r\n" + good).encode())
        for i in range(0, n, 100):
            w.write("".join("X-%d: 1\r\n" % k for k in range(i, i + 100)).encode())
            await w.drain()
        w.write(b"\r\n")
        await w.drain()
    except OSError:  # the server answered and closed while we were still sending
        pass
    data = await read_to_end(r)
    w.close()
    await w.wait_closed()
    return data


async def get(path, headers=""):
    return status_and_json(await req(("GET %s HTTP/1.1\r\nHost: box\r\n%s\r\n" % (path, headers)).encode()))


async def main():
    api = LanApi({"port": port, "secret": "follower-secret", "trust_loopback": False,
                  "max_connections": 3, "request_timeout_s": 5}, h, log=lambda m: None)
    task = asyncio.create_task(api.run(host="127.0.0.1"))
    await asyncio.sleep_ms(100)
    import hashlib, binascii
    good = "api-secret: %s\r\n" % binascii.hexlify(hashlib.sha1(b"follower-secret").digest()).decode()
    out["no_secret"] = (await get("/sgv.json"))[0]
    out["wrong_secret"] = (await get("/sgv.json", "api-secret: 0000\r\n"))[0]
    st, body = await get("/sgv.json", good)
    out["sgv"] = [st, len(body), body[0]]
    st, body = await get("/sgv.json?count=3&brief_mode=Y", good)
    out["sgv_brief"] = [st, body]
    st, body = await get("/api/v1/entries.json?count=50&find[date][$gt]=%d&find[date][$lte]=%d"
                         % ((T0 + 600) * 1000, (T0 + 3000) * 1000), good)
    out["entries_range"] = [st, [e["date"] for e in body]]
    st, body = await get("/api/v1/entries/sgv.json?find%%5Bdate%%5D%%5B%%24gte%%5D=%d&count=2"
                         % ((T0 + 8700) * 1000), good)
    out["entries_enc"] = [st, [e["date"] for e in body]]
    out["entries_default"] = len((await get("/api/v1/entries.json", good))[1])
    # the box's clock goes with its readings (Date), so a follower can re-date them
    raw = await req(("GET /api/v1/entries.json?count=1 HTTP/1.1\r\nHost: box\r\n%s\r\n" % good).encode())
    date = [ln[6:].decode() for ln in raw.partition(b"\r\n\r\n")[0].split(b"\r\n")
            if ln.lower().startswith(b"date: ")]
    from forward.timesync import parse_http_date
    out["date_skew_s"] = [parse_http_date(d) - clock.unix() for d in date]
    out["status"] = (await get("/api/v1/status.json", good))[1]
    out["pebble"] = (await get("/pebble?units=mmol", good))[1]
    out["xdrip_status"] = (await get("/status.json", good))[1]
    # bad requests
    out["bad_count"] = (await get("/sgv.json?count=abc", good))[0]
    out["bad_count_zero"] = (await get("/sgv.json?count=0", good))[0]
    # the followers' own requests (their sources, docs/FORWARD_AUDIT.md): counts
    # above what the box holds were a 400, and the follower showed nothing
    st, body = await get("/sgv.json?count=5000", good)
    out["count_5000"] = [st, len(body)]
    st, body = await get("/api/v1/entries.json?count=2880&find[date][$gt]=%d&rr=%d"
                         % ((T0 + 8100) * 1000, (T0 + 9000) * 1000), good)   # xDrip+ Nightscout follow
    out["xdrip_follow"] = [st, [e["date"] for e in body]]
    st, body = await get("/api/v1/entries.json?find[date][$gt]=%d.0&find[date][$lte]=%d.0&count=1440"
                         % ((T0 + 7800) * 1000, (T0 + 8400) * 1000), good)   # Nightguard's chart
    out["nightguard_chart"] = [st, [e["date"] for e in body]]
    st, body = await get("/api/v1/entries.json?count=2304&find[date][$gte]=%d&find[type][$ne]=cal"
                         % ((T0 + 8400) * 1000), good)   # LoopFollow
    out["loopfollow"] = [st, [e["date"] for e in body]]
    # a bound with a fraction is exact (no float: single precision on the board)
    st, body = await get("/api/v1/entries.json?find[date][$lte]=%d.99999999999&count=3"
                         % ((T0 + 8400) * 1000 - 1), good)
    out["lte_fraction"] = [st, [e["date"] for e in body]]
    st, body = await get("/api/v1/entries.json?find[date][$gte]=%d.5&count=3"
                         % ((T0 + 8400) * 1000), good)
    out["gte_fraction"] = [st, [e["date"] for e in body]]
    out["properties"] = (await get("/api/v2/properties", good))[1]
    out["pebble_mgdl"] = (await get("/pebble", good))[1]
    out["bad_find"] = (await get("/api/v1/entries.json?find[date][$gt]=soon", good))[0]
    out["not_found"] = (await get("/nope", good))[0]
    # a path is matched as text: the '.' of /sgv.json matched any character
    out["dot_is_a_dot"] = (await get("/sgvXjson", good))[0]
    out["post"] = status_and_json(await req(b"POST /sgv.json HTTP/1.1\r\nContent-Length: 5\r\n" + good.encode() + b"\r\nhello"))[0]
    out["garbage"] = status_and_json(await req(b"\x16\x03\x01 hello there\r\n\r\n"))[0]
    out["long_line"] = status_and_json(await req(b"GET /" + b"a" * 4000 + b" HTTP/1.1\r\n\r\n"))[0]
    # a date bound too large for an int is a bad request, not a server error
    out["bad_find_inf"] = (await get("/api/v1/entries.json?find[date][$gt]=1e999", good))[0]
    # a flood of short header lines (each under the line limit): refused once
    # the head passes its bound, not stored header by header until the heap is gone
    out["header_flood"] = status_and_json(await flood_headers(good, 3000))[0]
    out["many_small_headers_ok"] = (await get("/sgv.json?count=1", good + "".join(
        "X-%d: %s\r\n" % (i, "v" * 40) for i in range(20))))[0]
    # a slow client (never finishes its request) is cut off after request_timeout_s
    t0 = fwenv.now_ms()
    data = await req(b"GET /sgv.json HTTP/1.1\r\nHost: x\r\n")
    out["slow_cut_after_ms"] = fwenv.now_ms() - t0
    out["slow_answer"] = data[:12].decode()
    # too many connections at once: the extra ones are dropped unanswered
    opened = []
    for i in range(6):
        opened.append(await asyncio.open_connection("127.0.0.1", port))
        await asyncio.sleep_ms(20)
    await asyncio.sleep_ms(50)
    out["active_max"] = api.app.active
    out["refused"] = api.app.refused
    for r, w in opened:
        w.close()
    await asyncio.sleep(6)
    out["still_serving"] = (await get("/sgv.json?count=1", good))[0]
    # every route has answered: none keeps a compiled regular expression for good
    out["routes"] = len(api.app.url_map)
    out["regexes_kept"] = sum(1 for e in api.app.url_map if getattr(e[1], "regex", None) is not None)
    import gc
    gc.collect()
    out["mem_alloc"] = gc.mem_alloc()
    api.stop()
    task.cancel()
    await asyncio.sleep_ms(100)
    # trust_loopback (the default): a caller on this box needs no secret, as in xDrip+
    api = LanApi({"port": port, "secret": "follower-secret"}, h, log=lambda m: None)
    task = asyncio.create_task(api.run(host="127.0.0.1"))
    await asyncio.sleep_ms(100)
    out["loopback_trusted"] = (await get("/sgv.json?count=1"))[0]
    # the box's /log (app.wiring): the ring sent in pieces, as microdot sends a generator
    from app import log as box_log
    for i in range(60):
        box_log.info("line %d %s", i, "y" * 150)
    api.app.route("/log")(lambda req: (box_log.pieces(), 200, {"Content-Type": "text/plain; charset=UTF-8"}))
    raw = await req(b"GET /log HTTP/1.1\r\nHost: box\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    out["log"] = [int(head.split(b" ")[1]), body.decode() == "".join(l + "\n" for l in box_log.lines()),
                  len(body)]
    api.stop()
    print(json.dumps(out))


asyncio.run(main())
