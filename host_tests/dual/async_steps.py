# A faked asyncio for driving a task's coroutine by hand (co.send(None)): its sleep
# yields the pause asked for, so a test reads the task's pauses without waiting.
# Runs on CPython and MicroPython.


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
