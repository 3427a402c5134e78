"""Run aioble's own multitests over the virtual air, unmodified.

    python tools/multitests.py [-v] [test.py ...]     (make multitests)

Each test file from micropython-lib (`micropython/bluetooth/aioble/multitests/`
in ../shared/micropython-lib) runs as it would under MicroPython's
tests/run-multitests.py: instance0, then instance1 (with the globals that
instance0 set), each in its own unix-port process with the virtual
`bluetooth`; their stdout is compared with the test's .exp file. This program
is also the air's coordinator: the processes' virtual clocks advance in
lock-step (see tools/host/vnode.py) and radio frames and broadcasts pass
through it. Ends with "N passed, M failed".
"""
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
TEST_DIR = os.path.join(SHARED, "micropython-lib", "micropython", "bluetooth", "aioble", "multitests")
from runtime import MICROPYTHON  # noqa: E402  (tools/ is the script directory)
MICROPYPATH = ":".join([".frozen", os.path.join(ROOT, "tools", "host"), os.path.join(ROOT, ".mpylib")])
WALL_LIMIT_S = 60
VIRTUAL_LIMIT_US = 120 * 1000000

# Tests not run, with the reason (printed). None today: the perf_* tests run
# too (their figures come from the air model, printed as "metric" lines).
SKIP = {}

SCRIPT = """\
import vtime
vtime.install(0)
import vnode
multitest = vnode.start({idx}, {port})
{globals}
{source}
vnode.run(instance{idx})
"""


class Instance:
    def __init__(self, idx, port, source, globals_, workdir, heap):
        self.idx = idx
        self.dir = os.path.join(workdir, "i%d" % idx)
        os.mkdir(self.dir)
        script = os.path.join(self.dir, "test_instance%d.py" % idx)
        with open(script, "w") as f:
            f.write(SCRIPT.format(idx=idx, port=port, globals="\n".join(globals_), source=source))
        self.out_path = os.path.join(self.dir, "out.txt")
        self.out = open(self.out_path, "w")
        env = dict(os.environ, MICROPYPATH=MICROPYPATH)
        self.proc = subprocess.Popen([MICROPYTHON, "-X", "heapsize=" + heap, script], cwd=self.dir,
                                     stdout=self.out, stderr=subprocess.STDOUT, env=env)
        self.sock = None
        self.buf = b""
        self.want = None
        self.at_next = False
        self.done = False

    def send(self, line):
        if self.sock is not None and not self.done:
            try:
                self.sock.sendall(line.encode() + b"\n")
            except OSError:
                self.done = True

    def lines(self):
        lines = self.buf.split(b"\n")
        self.buf = lines.pop()
        return [ln.decode() for ln in lines]

    def output(self):
        self.out.close()
        with open(self.out_path) as f:
            return [ln.rstrip() for ln in f.read().splitlines()]


def count_instances(path):
    n = 0
    with open(path) as f:
        for line in f:
            m = re.match(r"def instance([0-9]+)\(\):", line)
            if m:
                n = max(n, int(m.group(1)) + 1)
    return n


def run_test(path, verbose=False, heap="1M"):
    """Returns (status, output_text, trace) with status "pass"|"FAIL"|"skip"."""
    with open(path) as f:
        source = f.read()
    n = count_instances(path)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(n)
    port = srv.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="vmultitest_")
    insts = []
    globals_ = []
    pending = []  # accepted sockets not yet identified
    t_now = 0
    min_msg = None
    released = False
    skipped = False
    error = None
    t_start = time.time()
    rounds = 0
    metrics = []

    def start_next():
        insts.append(Instance(len(insts), port, source, list(globals_), workdir, heap))

    start_next()
    try:
        while True:
            live = [i for i in insts if not i.done]
            if not live and len(insts) == n:
                break
            if not live and len(insts) < n:
                error = "instance%d ended before next()" % (len(insts) - 1)
                break
            if time.time() - t_start > WALL_LIMIT_S:
                error = "TIMEOUT (wall clock)"
                break
            # a round ends when every live instance has asked for time
            if all(i.want is not None for i in live) and all(i.sock for i in live):
                t_next = min(i.want for i in live)
                if len(insts) == n and not released and all(i.at_next or i.done for i in insts):
                    released = True
                    t_next = t_now  # released now: their wants were computed while blocked
                    for i in live:
                        i.send("X")
                if min_msg is not None:
                    t_next = min(t_next, min_msg)
                t_now = max(t_now, t_next)
                if t_now > VIRTUAL_LIMIT_US:
                    error = "TIMEOUT (virtual clock %.1f s)" % (t_now / 1e6)
                    break
                min_msg = None
                rounds += 1
                for i in live:
                    i.want = None
                    i.send("G %d" % t_now)
                continue
            socks = [srv] + pending + [i.sock for i in live if i.sock]
            readable, _, _ = select.select(socks, [], [], 0.5)
            for i in live:
                if i.sock is None and i.proc.poll() is not None:
                    i.done = True
            for s in readable:
                if s is srv:
                    c, _ = srv.accept()
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    pending.append(c)
                    continue
                data = s.recv(65536)
                if s in pending:
                    if not data:
                        pending.remove(s)
                        continue
                    first, _, rest = data.partition(b"\n")
                    idx = int(first.decode().split()[1])
                    inst = insts[idx]
                    inst.sock = s
                    inst.buf = rest
                    pending.remove(s)
                    inst.send("T %d" % t_now)
                else:
                    inst = next(i for i in insts if i.sock is s)
                    if not data:
                        inst.done = True
                        continue
                    inst.buf += data
                for line in inst.lines():
                    if verbose:
                        print("  %8.3f i%d> %s" % (t_now / 1e6, inst.idx, line[:150]))
                    c = line[:1]
                    if c == "M":
                        t = int(line.split(" ", 2)[1])
                        min_msg = t if min_msg is None else min(min_msg, t)
                        for o in insts:
                            if o is not inst:
                                o.send(line)
                    elif c == "B":
                        min_msg = t_now  # the receiver may be blocked on it: wake it now
                        for o in insts:
                            if o is not inst:
                                o.send(line)
                    elif c == "S":
                        globals_.append(line[2:])
                    elif c == "N":
                        inst.at_next = True
                        if inst.idx == len(insts) - 1 and len(insts) < n:
                            start_next()
                    elif c == "O":
                        metrics.append("instance%d: %s" % (inst.idx, line[2:]))
                    elif c == "K":
                        skipped = True
                    elif c == "W":
                        inst.want = int(line[2:])
                    elif c == "D":
                        inst.done = True
            if skipped:
                break
    finally:
        for i in insts:
            i.send("Q")
        for i in insts:
            try:
                i.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                i.proc.kill()
                i.proc.wait()
            if i.sock:
                i.sock.close()
        srv.close()
    outputs = [i.output() for i in insts]
    while len(outputs) < n:
        outputs.append([])
    if error:
        outputs[-1].append(error)
    text = "".join("--- instance%d ---\n" % k + "\n".join(lines) + "\n" for k, lines in enumerate(outputs))
    if metrics:
        text_metrics = "".join("  metric %s\n" % m for m in metrics)
        print(text_metrics, end="")
    if skipped:
        return "skip", text, rounds, t_now
    with open(path + ".exp") as f:
        expected = f.read()
    return ("pass" if text == expected else "FAIL"), text, rounds, t_now


def main(argv):
    verbose = "-v" in argv
    files = [a for a in argv if not a.startswith("-")]
    explicit = bool(files)
    if not files:
        try:
            names = os.listdir(TEST_DIR)
        except OSError as e:
            sys.exit("multitests: cannot read aioble's multitests %s: %s (they come from the "
                     "micropython-lib mirror in ../shared, beside this checkout)" % (TEST_DIR, e.strerror))
        files = sorted(os.path.join(TEST_DIR, f) for f in names if f.endswith(".py"))
    passed = failed = 0
    for path in files:
        name = os.path.basename(path)
        if name in SKIP and not explicit:
            print("%s: skip (%s)" % (name, SKIP[name]))
            continue
        t0 = time.time()
        status, text, rounds, t_virtual = run_test(path, verbose)
        print("%s: %s  (%.1f s wall, %.2f s virtual, %d lock-step rounds)" % (
            name, status, time.time() - t0, t_virtual / 1e6, rounds))
        sys.stdout.flush()
        if status == "pass":
            passed += 1
        elif status == "FAIL":
            failed += 1
            with open(path + ".exp") as f:
                expected = f.read()
            print("### got ###\n" + text + "### expected ###\n" + expected)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
