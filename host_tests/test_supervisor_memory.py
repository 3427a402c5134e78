"""A MemoryError in the supervisor's own restart of a failed task (review of session 43,
helper-187; mended: _start retries next round, _failed and the round are guarded).

app/supervisor.py promises "MemoryError anywhere is caught per task like any other
failure ... so a forwarder that runs out of heap never stops the alarms". The catch is
in _guard (the task's own failure). The restart that follows, Supervisor.check() ->
_start() -> asyncio.create_task(self._guard(t)) (supervisor.py:95, called from :158),
allocates a coroutine and a Task with no guard around it, at the moment the heap is
known to be short (the task just failed with MemoryError). The MemoryError leaves
check(), ends Supervisor.run(), App.start() (main.py:541 `await sup`) and asyncio.run:
main.run() then takes the whole box for one that cannot start (cannot_run): the alarm
task, the link and the annunciator's run are dropped, the `boot` fault plays, and the
watchdog (started, no longer fed) resets the board 30 s later.

Here the buttons task (any supervised part would do) fails with a MemoryError, and the
heap is still short for the supervisor's restart of it: one allocation."""
import os

from apprun import run_app

BOARD = {"transmitter_id": "8G1234", "board": "esp32-devkitc"}

PROG = r'''
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import asyncio, json, main, clock, machine, vtime
from app import log, supervisor
LOG = []
log.sink = LOG.append

class Short:
    """supervisor.py's asyncio, whose create_task runs out of heap once when armed."""
    armed = False
    def __getattr__(self, name):
        return getattr(asyncio, name)
    def create_task(self, coro):
        if Short.armed:
            Short.armed = False
            coro.close()
            raise MemoryError("memory allocation failed, allocating 64 bytes")
        return asyncio.create_task(coro)
supervisor.asyncio = Short()

from sound import buttons
async def short_of_heap(self):
    await asyncio.sleep(120)
    Short.armed = ARM       # the heap is short: this part's MemoryError, and the restart's
    raise MemoryError("memory allocation failed, allocating 512 bytes")
buttons.Buttons.run = short_of_heap

class App(main.App):          # the box as main.run() makes it, its servers off (host ports)
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.setup_port = self.dns_port = None
main.App = App

def stop():
    raise SystemExit("10 minutes, no reset")
vtime.call_at(600 * 1000000, stop)
out = {}
try:
    main.run(CFG)
except SystemExit as e:
    out["ended"] = str(e)
out["t_s"] = clock.ms() // 1000
out["reset_cause"] = machine.reset_cause()
out["log"] = [l.split(" ", 1)[1] for l in LOG if "cannot run" in l or "supervisor" in l or "buttons" in l]
print("RESULT " + json.dumps(out))
'''


def _run(tmp_path, arm):
    os.symlink(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "boards"),
               str(tmp_path / "boards"))   # main.run() loads boards/ from the current folder
    return run_app(tmp_path, BOARD, PROG, ARM=arm)


def test_a_part_failing_alone_is_restarted_and_nothing_resets(tmp_path):
    out = _run(tmp_path, False)
    assert out["ended"] == "10 minutes, no reset", out
    assert "I restarting task buttons" in out["log"], out


def test_a_memory_error_in_the_supervisors_restart_of_a_part_does_not_take_the_box_down(tmp_path):
    # before: the MemoryError left check() and Supervisor.run(); main.run() took the box
    # for one that cannot run, the boot fault played and the watchdog reset it
    out = _run(tmp_path, True)
    assert out["ended"] == "10 minutes, no reset", out
    assert "E task buttons: no memory to start it; trying again" in out["log"], out
    assert not [x for x in out["log"] if "cannot run" in x], out
