# Captive-portal DNS for the setup access point: every name resolves to the
# box, so a phone that joins the AP shows the setup page by itself (its
# connectivity probe lands on our web server, which redirects it).
#
#   answer(query, "192.168.4.1") -> response bytes, or None (not a question we answer)
#   await serve(ap, port=53)      # while ap.is_open(); ap: setup.ap.AccessPoint
#
# Written by hand: micropython-lib has no DNS server, and this is one UDP
# packet in, one out. A-record questions get the box's address (TTL 10 s);
# other types (AAAA, HTTPS...) get an empty NOERROR answer, so phones fall
# back to IPv4 instead of waiting.
import struct

try:
    import asyncio
except ImportError:  # CPython tests of answer() only
    asyncio = None

_TTL_S = 10
_TYPE_A = 1
_CLASS_IN = 1
_POLL_MS = 50


def _question_end(q):
    """Offset just after the question's name, type and class, or None."""
    i = 12
    while True:
        if i >= len(q):
            return None
        n = q[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:  # compression pointers do not belong in a question
            return None
        i += 1 + n
    return i + 4 if i + 4 <= len(q) else None


def answer(query, ip):
    """The response to one DNS query datagram, or None to ignore it."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack_from(">HHH", query, 0)
    if flags & 0x8000 or (flags >> 11) & 0xF or qdcount != 1:
        return None  # a response, not a standard query, or not exactly one question
    end = _question_end(query)
    if end is None:
        return None
    qtype, qclass = struct.unpack_from(">HH", query, end - 4)
    rd = flags & 0x0100
    hit = qtype == _TYPE_A and qclass == _CLASS_IN
    head = struct.pack(">HHHHHH", ident, 0x8400 | rd, 1, 1 if hit else 0, 0, 0)
    out = head + bytes(query[12:end])
    if hit:
        addr = bytes(int(x) for x in ip.split("."))
        # name: pointer to the question (offset 12); A, IN, TTL, 4 bytes
        out += struct.pack(">HHHIH", 0xC00C, _TYPE_A, _CLASS_IN, _TTL_S, 4) + addr
    return out


async def serve(ap, port=53):
    """Answer DNS on the AP's address while the AP is open; returns when it closes."""
    import socket
    ip = ap.address()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(socket.getaddrinfo(ip, port)[0][-1])
        s.setblocking(False)
        while ap.is_open():
            try:
                query, peer = s.recvfrom(512)
            except OSError:  # nothing waiting (EAGAIN)
                await asyncio.sleep_ms(_POLL_MS)
                continue
            reply = answer(query, ip)
            if reply is not None:
                try:
                    s.sendto(reply, peer)
                except OSError:
                    pass  # the phone left; it asks again
            await asyncio.sleep_ms(0)  # a flood of queries must not starve the alarm tasks
    finally:
        s.close()
