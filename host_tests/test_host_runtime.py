"""The host runtime itself: virtual clock under asyncio, epoch handling."""
from conftest import ROOT, run_micropython

PROG = r'''
import sys
sys.path.insert(0, "tools/host")
import vtime
vtime.install(0, wall_unix=1700000000)
import time, asyncio, clock
flag = asyncio.ThreadSafeFlag()
out = []
async def waiter():
    await flag.wait()
    out.append(("flag", time.ticks_ms()))
async def main():
    vtime.call_later(1500, flag.set)
    asyncio.create_task(waiter())
    for i in range(3):
        await asyncio.sleep(1)
    async def slow():
        await asyncio.sleep(10)
    try:
        await asyncio.wait_for(slow(), 5)
    except asyncio.TimeoutError:
        out.append(("timeout", time.ticks_ms()))
    for i in range(20 * 24 * 60):  # 20 days of minutes: ticks wrap after ~12.4 days
        await asyncio.sleep(60)
        clock.ms()  # the firmware reads its clock far more often than every 6 days
    out.append(("days", clock.ms() // 86400000))
asyncio.run(main())
print(out, time.gmtime(0)[0], clock.EPOCH_OFFSET, clock.unix())
'''


def test_virtual_clock_drives_asyncio():
    r = run_micropython(["-c", PROG], timeout=60)
    out = r.stdout.strip()
    assert "[('flag', 1500), ('timeout', 8000), ('days', 20)]" in out, out
    # ESP32 epoch: gmtime(0) is 2000-01-01 and clock.unix() converts it
    assert out.endswith("2000 946684800 %d" % (1700000000 + 8 + 20 * 86400)), out


def test_micropython_variable_chooses_the_runtime(tmp_path):
    """MICROPYTHON=path (e.g. the 32-bit build) is what every tool and test runs."""
    import os
    import subprocess
    import sys
    fake = tmp_path / "micropython"
    prog = ("import os, runtime; print(runtime.micropython_binary()); "
            "os.environ.pop('MICROPYTHON'); print(runtime.micropython_binary())")
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True,
                         cwd=os.path.join(ROOT, "tools"), env=dict(os.environ, MICROPYTHON=str(fake))).stdout.split()
    assert out[0] == str(fake)
    assert out[1].endswith(os.path.join(".venv", "bin", "micropython"))


def test_the_files_the_tests_write_are_in_a_folder_of_their_run_not_a_fixed_tmp_path():
    """Two runs at once (two checkouts, or `make test` beside one file: tools/mutation.py's
    workers too) shared the tests' fixed /tmp bond files: one run's start deleted or
    overwrote the keys the other had just saved, and a link test saw its stored keys
    change under it (test_a_link_lost_while_encrypting_with_our_keys_is_a_cut_not_a_refusal
    failed). The tests write through conftest.tmp_file (or tmp_path): a folder per run."""
    import os
    import re
    import subprocess
    import sys
    fixed = []
    for folder, _, names in os.walk(os.path.join(ROOT, "host_tests")):
        for name in names:
            if name.endswith(".py"):
                with open(os.path.join(folder, name)) as f:
                    # a fixed /tmp name, or a link's bond file named relative to the
                    # programs' cwd (the checkout): test_failure_audit's "bond.json"
                    fixed += ["%s:%d" % (name, n + 1) for n, line in enumerate(f)
                              if re.search(r"""["']/tmp/|bond_path["']?\s*[:=]\s*["']""", line)]
    assert fixed == [], fixed
    prog = "import conftest; print(conftest.tmp_file('bond.json'))"
    runs = [subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True,
                           cwd=os.path.join(ROOT, "host_tests")).stdout.strip() for _ in range(2)]
    assert runs[0] != runs[1] and all(not os.path.exists(os.path.dirname(r)) for r in runs), runs
