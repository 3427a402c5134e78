# A faked asyncio for driving a task's coroutine by hand (co.send(None)): its sleep
# yields the pause asked for, so a test reads the task's pauses without waiting; and
# the drivers the tests share. Runs on CPython and MicroPython.


class Sleep:
    def __init__(self, s):
        self.s = s

    def __iter__(self):
        yield self

    __await__ = __iter__


class FakeAsyncio:
    TimeoutError = OSError

    @staticmethod
    def sleep(s):
        return Sleep(s)


def finish(co):
    """co's result: a stand-in's await never suspends, so one send runs co to its end;
    co waiting on anything else fails the test."""
    try:
        co.send(None)
    except StopIteration as e:
        return e.value
    co.close()
    raise AssertionError("the coroutine waited")


def run_until(co, stop):
    """Run co (a task that never returns) until it raises `stop`, the exception with
    which the test's stand-in ends the run; co returning or waiting fails the test."""
    try:
        co.send(None)
    except stop:
        return
    except StopIteration:
        raise AssertionError("the coroutine returned")
    co.close()
    raise AssertionError("the coroutine waited")
