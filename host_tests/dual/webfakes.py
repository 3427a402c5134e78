# Stand-ins for driving app.webserver's BoundedServer (and the servers on it:
# the LAN API, the setup page) with real request bytes, without an event loop,
# on CPython and MicroPython (test_webserver_rules.py, test_lanapi_rules.py):
#   Reader   the request's bytes, `step` at a time; then EOF, or waiting for
#            ever (stall: a client waiting for its answer)
#   Writer   a MicroPython asyncio Stream: close() does nothing, wait_closed()
#            (and aclose()) closes the socket; `fail`: awrite raises it
#   Answer   the status, headers and body written
#   Aio      app.webserver's asyncio: wait_for records its timeout and steps the
#            request; while `expired` is set, a request that waits is closed and
#            TimeoutError raised, as asyncio's does; a wait_for within it (the linger
#            before the close) times out at its first wait
#   served(aio, fn)  fn() with that Aio in app.webserver's place and microdot's
#            handlers called in place (its MicroPython way: on CPython microdot runs
#            a plain handler in a thread pool), its tracebacks not printed
#   step(co) one step of a request's coroutine: True once it has finished
# CPython does not have micropython-lib's folder (.mpylib, where microdot is
# installed) on its path: microdot is imported here from it, and the folder
# taken off the path again (other files' imports, umqtt and ssl, stay as they were).
import asyncio
import sys

try:
    import microdot  # noqa: F401
except ImportError:   # CPython
    import os
    _MPYLIB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           ".mpylib")
    sys.path.append(_MPYLIB)
    try:
        import microdot  # noqa: F401
    finally:
        sys.path.remove(_MPYLIB)

from fakes import swap

md = sys.modules["microdot.microdot"]


class Suspend:
    """One await that hands the turn back (a client that has sent nothing more)."""

    def __iter__(self):
        yield None

    __await__ = __iter__


class Aio:
    TimeoutError = asyncio.TimeoutError

    def __init__(self):
        self.timeouts = []
        self.lingers = []   # the timeouts of wait_for within a request's (webserver's linger)
        self.expired = False
        self._stepping = False   # a request's coroutine is being stepped (not another's turn)

    async def wait_for(self, coro, timeout):
        # one called while a request is stepped is within its wait_for: its first wait is
        # past the timeout (the client, waiting for its answer, sends nothing more)
        inner = self._stepping
        (self.lingers if inner else self.timeouts).append(timeout)
        while True:
            was, self._stepping = self._stepping, True
            try:
                coro.send(None)
            except StopIteration as e:
                return e.args[0] if e.args else None
            finally:
                self._stepping = was
            if self.expired or inner:
                coro.close()
                raise self.TimeoutError()
            await Suspend()


async def _in_place(handler, *args, **kwargs):
    ret = handler(*args, **kwargs)
    if md.iscoroutine(ret):
        ret = await ret
    return ret


def served(aio, fn):
    from app import webserver

    def quiet():
        return swap(md, "print_exception", lambda e: None, fn)

    def in_place():
        return swap(md, "invoke_handler", _in_place, quiet)
    return swap(webserver, "asyncio", aio, in_place)


def step(co):
    try:
        co.send(None)
    except StopIteration:
        return True
    return False


class Reader:
    """Records what was asked (`asked`) and how many bytes it handed (`handed`); `data`
    is what is left (held whole and handed from an offset: no copy of the rest per read)."""

    def __init__(self, data, stall=True, step=None):
        self.data, self.stall, self.step = data, stall, step
        self.asked = []
        self.handed = 0

    @property
    def data(self):
        return self._data[self._at:]

    @data.setter
    def data(self, data):
        self._data, self._at = data, 0

    async def read(self, n):
        self.asked.append(n)
        while self._at >= len(self._data) and self.stall:
            await Suspend()
        if self.step:
            n = min(n, self.step)
        part = self._data[self._at:self._at + n]
        self._at += len(part)
        self.handed += len(part)
        return part


class Writer:
    def __init__(self, addr, fail=None):
        self.addr = addr
        self.fail = fail
        self.writes = []
        self.closed = False
        self.watch = None     # a Reader: how many bytes it had handed at the first write
        self.read_at = None

    def get_extra_info(self, name):
        return self.addr if name == "peername" else None

    async def awrite(self, b):
        assert not self.closed, "written after close"
        if self.fail is not None:
            raise self.fail
        if self.read_at is None and self.watch is not None:
            self.read_at = self.watch.handed
        self.writes.append(bytes(b))

    def close(self):
        pass

    async def wait_closed(self):
        self.closed = True

    aclose = wait_closed


class Answer:
    def __init__(self, writer):
        self.writes = writer.writes
        self.closed = writer.closed
        self.raw = data = b"".join(writer.writes)
        head, _, self.body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n") if head else []
        self.status = int(lines[0].split(" ")[1]) if lines else None
        self.headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def json(self):
        import json
        return json.loads(self.body)
