# Stream helpers for the test programs (tiny: lan_flood.py runs in a 96 KiB heap).


async def read_to_end(r, size=512):
    """Everything the server sends until it closes (or resets) the connection."""
    data = b""
    while True:
        try:
            c = await r.read(size)
        except OSError:  # reset by the server (a dropped request)
            break
        if not c:
            break
        data += c
    return data
