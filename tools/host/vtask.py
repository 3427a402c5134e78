# TaskQueue and Task for asyncio on the virtual clock (host only).
# Same interface as MicroPython's built-in `_asyncio` (which asyncio.core
# imports), but written in Python over heapq, so a task pushed without a key
# is stamped with the virtual ticks_ms instead of the real one.
import heapq
import time  # vtime, installed in sys.modules before this import

_seq = 0


class TaskQueue:
    def __init__(self):
        self.heap = []

    def _clean(self):
        h = self.heap
        while h and h[0][2] is None:
            heapq.heappop(h)

    def peek(self):
        self._clean()
        return self.heap[0][2] if self.heap else None

    def push(self, task, key=None):
        global _seq
        now = time.ticks_ms()
        if key is None:
            key = now
        task.data = None  # woken: nothing to throw into it
        task.ph_key = key
        _seq += 1
        # order on the unwrapped time, so the heap never sees a tick wrap
        entry = [time.monotonic_us() // 1000 + time.ticks_diff(key, now), _seq, task]
        task._entry = entry
        heapq.heappush(self.heap, entry)

    def pop(self):
        self._clean()
        entry = heapq.heappop(self.heap)
        entry[2]._entry = None
        return entry[2]

    def remove(self, task):
        entry = task._entry
        if entry is None or entry[2] is not task:
            return
        task._entry = None
        h = self.heap
        for i in range(len(h)):  # really remove it: a queue that is only pushed to and
            if h[i] is entry:    # removed from (an Event waited on with timeouts) must not grow
                last = h.pop()
                if i < len(h):
                    h[i] = last
                    heapq.heapify(h)
                return


class Task:
    def __init__(self, coro, globals=None):
        self.coro = coro
        self.data = None  # what the task waits on, or its result/exception
        self.state = True  # True: running; TaskQueue: awaited; callable; False/None: done
        self.ph_key = 0
        self._entry = None

    def __iter__(self):
        if not self.state:
            self.state = False  # finished: mark that it has been awaited
        elif self.state is True:
            self.state = TaskQueue()  # queue of tasks awaiting this one
        elif type(self.state) is not TaskQueue:
            raise RuntimeError("can't wait")
        return self

    def __next__(self):
        import asyncio.core as core
        if not self.state:
            if self.data is None:
                raise StopIteration
            raise self.data
        self.state.push(core.cur_task)
        core.cur_task.data = self

    def done(self):
        return not self.state

    def cancel(self):
        import asyncio.core as core
        if not self.state:
            return False
        if self is core.cur_task:
            raise RuntimeError("can't cancel self")
        while isinstance(self.data, Task):
            self = self.data  # forward to the task it awaits
        if hasattr(self.data, "remove"):
            self.data.remove(self)  # off whatever queue it waits on
            core._task_queue.push(self)
        elif core.ticks_diff(self.ph_key, core.ticks()) > 0:
            core._task_queue.remove(self)  # sleeping: bring forward to now
            core._task_queue.push(self)
        self.data = core.CancelledError
        return True
