# A small HTTP/1.1 client over asyncio streams, for the Nightscout uploader.
#
# Why not micropython-lib `requests`: it is blocking (it would stall the
# alarm path while a server hangs) and it sets verify_mode = CERT_NONE for
# https, so the api-secret would go to any man-in-the-middle. micropython-lib's
# `ssl` shim also defaults SSLContext to CERT_NONE, so this module builds the
# context from the built-in `tls` module and sets CERT_REQUIRED itself.
#
# One request per connection ("Connection: close"): simple, and on the ESP32
# the TLS buffers are freed between uploads. Names are looked up through
# forward.names (rarely: a lookup can block the board).
import asyncio
import socket

from forward.names import resolve as _resolve, forget_address  # noqa: F401 (callers use http.forget_address)


class HttpError(OSError):
    """The server's answer could not be read (bad status line, too large)."""


_MAX_HEAD_LINE = 512
_MAX_HEADERS = 40
_MAX_INTERIM = 4   # 1xx answers skipped before the real one
_READ = 256        # bytes asked for at a time while a line is read



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


def _open_connection(ip, port, ssl=None, server_hostname=None):
    # asyncio.open_connection (MicroPython's extmod/asyncio/stream.py), with the
    # socket closed when the connect fails or the request's timeout cuts it off.
    # asyncio's own dropped it there: on the board the socket then held one of
    # lwIP's 10 slots until a garbage collection, so a server or a leader that
    # did not answer left one per try, and the LAN API and the setup page
    # refused connections once they were taken (tools/host/board_socket.py).
    from asyncio import core
    from errno import EINPROGRESS
    ai = socket.getaddrinfo(ip, port, 0, socket.SOCK_STREAM)[0]
    s = raw = socket.socket(ai[0], ai[1], ai[2])
    try:
        s.setblocking(False)
        try:
            s.connect(ai[-1])
        except OSError as er:
            if er.errno != EINPROGRESS:
                raise er
        if ssl:
            s = ssl.wrap_socket(s, server_hostname=server_hostname, do_handshake_on_connect=False)
            s.setblocking(False)
        ss = asyncio.StreamWriter(s)
        # the port's TLS socket lets go of this one when its handshake fails (it
        # raises with its own socket already dropped): closing the TLS socket then
        # leaves this one open, so the request's end closes it too
        ss.raw = raw
        yield core._io_queue.queue_write(s)
    except:  # noqa: E722 (the timeout's CancelledError too)
        s.close()
        raise
    return ss, ss


async def _exchange(host, port, ssl_ctx, head, body, max_body):
    ip, p = _resolve(host, port)
    if ssl_ctx is not None:
        reader, writer = await _open_connection(ip, p, ssl=ssl_ctx, server_hostname=host)
    else:
        reader, writer = await _open_connection(ip, p)
    reader = _Answer(reader)
    try:
        writer.write(head)
        if body:
            writer.write(body)
        await writer.drain()
        for _ in range(_MAX_INTERIM + 1):
            status, date, length, chunked = await _head(reader)
            # an interim answer (100 Continue; 103 Early Hints from a CDN in front of
            # the server) comes before the real one: it is not the answer
            if not 100 <= status < 200 or status == 101:
                break
        else:
            raise HttpError("too many interim answers")
        if max_body <= 0:   # the head alone (HEAD: no body follows, chunked or not)
            return status, date, b""
        if chunked:
            return status, date, await _dechunk(reader, max_body)
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
        raw = getattr(writer, "raw", None)
        if raw is not None:
            raw.close()


class _Answer:
    """The answer's bytes through a small buffer. A line is cut at
    _MAX_HEAD_LINE: the port's readline reads a line whole however long it is
    (a broken server's endless header filled the heap: `device` memory at the
    box, where `forwarding` was owed). Lines are read _READ bytes at a time, not
    a byte at a time (each read is a trip through the event loop); what a line's
    read brought past its end is the next line's, or the body's, start."""

    def __init__(self, reader):
        self.r = reader
        self.buf = b""

    async def line(self, what):
        """One line with its end, at EOF what came; HttpError past _MAX_HEAD_LINE."""
        buf = self.buf
        while b"\n" not in buf and len(buf) <= _MAX_HEAD_LINE:
            part = await self.r.read(_READ)
            if not part:
                break
            buf += part
        end = buf.find(b"\n") + 1 or len(buf)
        if end > _MAX_HEAD_LINE:
            raise HttpError(what + " too long")
        self.buf = buf[end:]
        return buf[:end]

    async def read(self, n):
        """Up to n bytes (n > 0): the buffer's first, else one read of the stream."""
        if self.buf:
            part, self.buf = self.buf[:n], self.buf[n:]
            return part
        return await self.r.read(n)


async def _head(reader):
    """(status, Date or None, Content-Length or None, chunked) of one answer's head."""
    line = await reader.line("status line")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise HttpError("bad status line")
    status = int(parts[1])
    date = length = None
    chunked = False
    for _ in range(_MAX_HEADERS + 1):
        line = await reader.line("header line")
        if line in (b"\r\n", b"\n", b""):
            return status, date, length, chunked
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"date":
            date = value.strip().decode()
        elif name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    raise HttpError("too many headers")


async def _dechunk(reader, max_body):
    """The first max_body bytes of a chunked body. HTTP/1.1 lets a server send
    one (Nightscout's own /pebble is chunked: res.write), or a proxy in front of
    it; read raw, the chunk sizes made every answer look like no JSON at all:
    an upload never counted as stored, a follower never fed."""
    data = b""
    while len(data) < max_body:
        line = await reader.line("chunk size line")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HttpError("bad chunk size")
        if size <= 0:
            break  # the last chunk (trailers are not read)
        want = min(size, max_body - len(data))
        while want:
            chunk = await reader.read(want)
            if not chunk:
                return data  # cut off: what came is what there is
            data += chunk
            want -= len(chunk)
        if len(data) < max_body and (await reader.line("chunk end")).strip():
            # not the CRLF that ends a chunk: the next size line would be read as
            # that CRLF and the data after it as a size, the rest kept as body
            raise HttpError("no CRLF after a chunk")
    return data


# Plain HTTP on the https server's own host, for its Date header alone. On the
# board mbedtls checks certificates' dates against the board's clock: a box whose
# clock was never set (it counts from 2000) fails every https handshake, the one
# that would ask the server the time too, and with NTP blocked it would never get
# a clock. Most servers answer port 80 (a redirect to https will do), with a Date.
DATE_PORT = 80


async def plain_date(host, port=None, timeout_s=20):
    """The Date header of a `HEAD /` over plain HTTP to port (None: DATE_PORT),
    None without one. Nothing else is sent: no path, no credentials. Raises as
    request()."""
    return (await request("HEAD", host, port or DATE_PORT, "/", (), None, None, timeout_s, 0))[1]


async def offer_plain_date(host, port, timeout_s, on_date, log, who):
    """plain_date, its Date (if any) passed to on_date; a failure, or a Date
    on_date did not take (it returns whether it did), is logged as who's and not
    raised: the https request that needed the clock goes on."""
    try:
        date = await plain_date(host, port, timeout_s)
    except asyncio.TimeoutError:
        log("%s: no answer over plain HTTP (asking the time)" % who)
        return
    except (OSError, ValueError) as e:
        log("%s: plain HTTP failed (asking the time): %s" % (who, type(e).__name__))
        return
    if not date:
        log("%s: no Date over plain HTTP" % who)
    elif not on_date(date):
        log("%s: no usable Date over plain HTTP" % who)


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
