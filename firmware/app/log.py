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


def _mask(text):
    for s in _secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


def log(level, msg, *args):
    global _next, _count
    try:
        text = msg % args if args else msg
    except Exception:
        text = msg + " " + repr(args)
    line = "%d %s %s" % (clock.ms(), level, _mask(text))
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
    log("E", (msg % args if args else msg) + ": %s %s" % (type(e).__name__, e))


def lines():
    """Oldest first."""
    n = min(_count, SIZE)
    start = (_next - n) % SIZE
    return [_ring[(start + i) % SIZE] for i in range(n)]
