# A small HTTP/1.1 client over asyncio streams, for the Nightscout uploader.
#
# Why not micropython-lib `requests`: it is blocking (it would stall the
# alarm path while a server hangs) and it sets verify_mode = CERT_NONE for
# https, so the api-secret would go to any man-in-the-middle. micropython-lib's
# `ssl` shim also defaults SSLContext to CERT_NONE, so this module builds the
# context from the built-in `tls` module and sets CERT_REQUIRED itself.
#
# One request per connection ("Connection: close"): simple, and on the ESP32
# the TLS buffers are freed between uploads. DNS: getaddrinfo blocks the whole
# board (the alarm task too) for up to the resolver's timeout when the DNS
# server does not answer, so a name is resolved once and its address kept; a
# connection failure marks it for a new look, taken at most every
# RESOLVE_AGAIN_S, and a failed look is not repeated for RESOLVE_FAILED_S.
# An IP literal is never looked up.
import asyncio
import socket

RESOLVE_AGAIN_S = 3600
RESOLVE_FAILED_S = 300


class HttpError(OSError):
    """The server's answer could not be read (bad status line, too large)."""


_MAX_HEAD_LINE = 512
_MAX_HEADERS = 40

_addr_cache = {}


def parse_url(url):
    """(scheme, host, port, base_path) of an http/https URL; ValueError if not one."""
    if "://" not in url:
        raise ValueError("not a URL: no scheme")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("scheme must be http or https")
    hostport, _, path = rest.partition("/")
    if "@" in hostport:
        raise ValueError("credentials in the URL are not allowed")
    host, _, port = hostport.partition(":")
    if not host:
        raise ValueError("no host")
    port = int(port) if port else (443 if scheme == "https" else 80)
    return scheme, host, port, "/" + path.rstrip("/") if path else ""


def pem_to_der(data):
    """The first certificate of a PEM file as DER (MicroPython's `tls` rejects
    PEM text in cadata: "invalid cert"); DER input is returned unchanged."""
    if isinstance(data, str):
        data = data.encode()
    begin = data.find(b"-----BEGIN CERTIFICATE-----")
    if begin < 0:
        return data
    end = data.find(b"-----END CERTIFICATE-----", begin)
    if end < 0:
        raise ValueError("CA file: PEM certificate without its END line")
    import binascii
    body = data[begin + 27:end].replace(b"\r", b"").replace(b"\n", b"").strip()
    return binascii.a2b_base64(body)


def tls_context(cadata):
    """A client TLS context that verifies the server against `cadata` (PEM or DER bytes)."""
    try:
        import tls
    except ImportError:
        import ssl as tls  # CPython
    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = tls.CERT_REQUIRED
    try:
        ctx.load_verify_locations(cadata=pem_to_der(cadata))
    except TypeError:
        ctx.load_verify_locations(pem_to_der(cadata))
    return ctx


def _now_s():
    import clock  # here, not at the top: the pure helpers also run on CPython
    return clock.ms() // 1000


def _is_ipv4(host):
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _resolve(host, port):
    if _is_ipv4(host):
        return (host, port)
    key = (host, port)
    now = _now_s()
    e = _addr_cache.get(key)  # [address or None, when looked up, suspect]
    if e is not None:
        if e[0] is None and now - e[1] < RESOLVE_FAILED_S:
            raise OSError("no address for %s (looked up %d s ago)" % (host, now - e[1]))
        if e[0] is not None and (not e[2] or now - e[1] < RESOLVE_AGAIN_S):
            return e[0]
    try:
        a = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0][-1]
    except (OSError, IndexError) as err:
        if e is not None and e[0] is not None:  # keep the old address, look again later
            e[1], e[2] = now, False
            return e[0]
        _addr_cache[key] = [None, now, False]
        raise OSError("cannot resolve %s: %s" % (host, err))
    _addr_cache[key] = [a, now, False]
    return a


def forget_address(host, port):
    """A connection to host failed: look its name up again (when allowed)."""
    e = _addr_cache.get((host, port))
    if e is not None:
        e[2] = True


def _ip_of(addr):
    if isinstance(addr, tuple):
        return addr[0], addr[1]
    # MicroPython on some ports returns a sockaddr bytes object
    ip = socket.sockaddr(addr) if hasattr(socket, "sockaddr") else None
    if ip:
        a = ip[1]
        if isinstance(a, (bytes, bytearray)):
            a = socket.inet_ntop(ip[0], a)
        return a, ip[2]
    raise HttpError("cannot use address %r" % (addr,))


async def _exchange(host, port, ssl_ctx, head, body, max_body):
    ip, p = _ip_of(_resolve(host, port))
    if ssl_ctx is not None:
        reader, writer = await asyncio.open_connection(ip, p, ssl=ssl_ctx, server_hostname=host)
    else:
        reader, writer = await asyncio.open_connection(ip, p)
    try:
        writer.write(head)
        if body:
            writer.write(body)
        await writer.drain()
        line = await reader.readline()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError("bad status line")
        status = int(parts[1])
        date = None
        length = None
        for _ in range(_MAX_HEADERS + 1):
            line = await reader.readline()
            if len(line) > _MAX_HEAD_LINE:
                raise HttpError("header line too long")
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"date":
                date = value.strip().decode()
            elif name == b"content-length":
                length = int(value.strip())
        else:
            raise HttpError("too many headers")
        want = max_body if length is None else min(length, max_body)
        data = b""
        while len(data) < want:
            chunk = await reader.read(want - len(data))
            if not chunk:
                break
            data += chunk
        return status, date, data
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except Exception:
            pass


async def request(method, host, port, path, headers, body=None, ssl_ctx=None, timeout_s=20,
                  max_body=2048):
    """Send one request; return (status, date_header_or_None, body_prefix).
    Raises OSError / asyncio.TimeoutError / HttpError. The caller must not log
    `headers` or `path` when they carry credentials."""
    h = "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: bedside-cgm\r\n" % (
        method, path, host)
    for k, v in headers:
        h += "%s: %s\r\n" % (k, v)
    if body is not None:
        h += "Content-Length: %d\r\n" % len(body)
    h += "\r\n"
    return await asyncio.wait_for(_exchange(host, port, ssl_ctx, h.encode(), body, max_body),
                                  timeout_s)
