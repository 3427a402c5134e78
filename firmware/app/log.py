# A small log ring: the last lines, readable over the serial console and the
# LAN API. Secrets registered with hide() never appear in it.
import clock

SIZE = 48
_ring = [None] * SIZE
_next = 0
_count = 0
_secrets = []
sink = print  # the board's console; the host may redirect it (e.g. to stderr)


def hide(secret):
    """Register a secret (Wi-Fi password, API secret...) to be masked."""
    if secret and isinstance(secret, str) and len(secret) >= 3 and secret not in _secrets:
        _secrets.append(secret)
        # longest first: a secret holding a shorter one (a Nightscout secret made of
        # the Wi-Fi password and more) would lose it to the shorter one's mask first,
        # and the rest of it would stay in the line ("***2024xyz")
        _secrets.sort(key=len, reverse=True)


def _mask(text):
    for s in _secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


dropped = 0  # lines lost to a MemoryError while making them


def log(level, msg, *args):
    """Never raises: a log line short of memory is dropped (and counted), so the
    signal its caller raises next (an alarm condition) is not lost with it."""
    global _next, _count, dropped
    try:
        try:
            text = msg % args if args else msg
        except MemoryError:
            raise
        except Exception:
            text = msg + " " + repr(args)
        line = "%d %s %s" % (clock.ms(), level, _mask(text))
    except Exception:   # MemoryError; or an argument whose repr fails too
        dropped += 1
        return
    _ring[_next] = line
    _next = (_next + 1) % SIZE
    _count += 1
    try:
        sink(line)
    except Exception:
        pass


def info(msg, *args):
    log("I", msg, *args)


def warn(msg, *args):
    log("W", msg, *args)


def error(msg, *args):
    log("E", msg, *args)


def exc(e, msg, *args):
    """Log an exception with its type and message (tracebacks cost heap)."""
    global dropped
    try:
        msg = (msg % args if args else msg) + ": %s %s" % (type(e).__name__, e)
    except Exception:
        dropped += 1
        return
    log("E", msg)


def lines():
    """Oldest first."""
    n = min(_count, SIZE)
    start = (_next - n) % SIZE
    return [_ring[(start + i) % SIZE] for i in range(n)]
