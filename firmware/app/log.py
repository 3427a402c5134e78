# A small log ring: the last lines, readable over the serial console and the
# LAN API. Secrets registered with hide() never appear in it.
import clock

SIZE = 48
# a line is cut to this many bytes (UTF-8, as the board holds a string): text from the LAN
# (a request's path, up to a 512-byte request line) made 48 lines of ~550 bytes, ~26 KB held
# by the ring for hours; cut by characters, a path of 4-byte characters still was
LINE_MAX = 160
_ring = [None] * SIZE
_next = 0
_count = 0
_secrets = []
sink = print  # the board's console; the host may redirect it (e.g. to stderr)


def hide(secret):
    """Register a secret (Wi-Fi password, API secret...) to be masked, as written
    and as repr() writes it (a backslash doubled: a %r argument, the fallback)."""
    if secret and isinstance(secret, str) and len(secret) >= 3:
        for s in (secret, repr(secret)[1:-1]):
            if s not in _secrets:
                _secrets.append(s)


def _mask(text):
    """Every stretch of text any secret covers becomes "***". Stretches are
    merged where secrets overlap or hold one another ("abcd" and "cdef" in
    "abcdef"), so no end of one survives the other's mask."""
    spans = []
    for s in _secrets:
        i = text.find(s)
        while i >= 0:
            spans.append((i, i + len(s)))
            i = text.find(s, i + 1)
    if not spans:
        return text
    spans.sort()
    out = []
    done = 0   # text before this is written out or masked
    start, end = spans[0]
    for a, b in spans[1:]:
        if a < end:   # overlaps the stretch: one mask
            end = max(end, b)
            continue
        out.append(text[done:start])
        out.append("***")
        done, start, end = end, a, b
    out.append(text[done:start])
    out.append("***")
    out.append(text[end:])
    return "".join(out)


dropped = 0  # lines lost to a MemoryError while making them


def _text(msg, args):
    """msg % args; when they do not fit, msg and the arguments' repr (a line
    that says what happened, if not as meant). A MemoryError is raised."""
    try:
        return msg % args if args else msg
    except MemoryError:
        raise
    except Exception:
        return msg + " " + repr(args)


def log(level, msg, *args):
    """Never raises: a log line short of memory is dropped (and counted), so the
    signal its caller raises next (an alarm condition) is not lost with it."""
    global _next, _count, dropped
    try:
        line = "%d %s %s" % (clock.ms(), level, _mask(_text(msg, args)))
        if len(line) > LINE_MAX:   # (masked first: a secret cut in two would not be)
            line = line[:LINE_MAX]
        if len(line) > LINE_MAX // 4:   # a character takes up to 4 bytes
            b = line.encode()
            if len(b) > LINE_MAX:
                n = LINE_MAX
                while b[n] & 0xC0 == 0x80:   # inside a character: cut before it
                    n -= 1
                line = b[:n].decode()
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
        text = _text(msg, args) + ": %s %s" % (type(e).__name__, e)
    except Exception:   # MemoryError; or an exception whose str fails
        dropped += 1
        return
    log("E", text)


def lines():
    """Oldest first."""
    n = min(_count, SIZE)
    start = (_next - n) % SIZE
    return [_ring[(start + i) % SIZE] for i in range(n)]


CUT = b"[the log stops here: the box ran out of memory]\n"


def pieces(size=512):
    """The ring as UTF-8 text, oldest first, in pieces of about size characters (a web
    answer sends each as it comes: the whole ring joined, then encoded, held about 18 KB
    at once). Out of memory on the way, the text ends with CUT (a constant: it needs no
    memory): an answer sent without a length that simply stopped looked whole."""
    part = ""
    try:
        for line in lines():
            part += line + "\n"
            if len(part) >= size:
                yield part.encode()
                part = ""
        part = part.encode()
    except MemoryError:
        part = CUT
    yield part   # (at least one piece: an empty ring sends an empty body)
