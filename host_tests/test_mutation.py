"""tools/mutation.py: how a mutant's child process ending is scored. Only a
test failure (or a timeout: an endless loop) kills a mutant; a crash of the
worker or of the harness is not a test noticing the bug."""
import os
import signal

import mutation


def _status(child):
    """The wait status of a forked child running child()."""
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1]


def _die(sig):
    def child():
        if sig != signal.SIGKILL:             # SIGKILL's action cannot be set
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    return child


def test_only_a_test_failure_or_a_timeout_kills():
    assert mutation._outcome(_status(lambda: os._exit(0))) == "survived"
    assert mutation._outcome(_status(lambda: os._exit(1))) == "killed"
    assert mutation._outcome(_status(_die(signal.SIGALRM))) == "timeout"
    assert mutation._outcome(_status(_die(signal.SIGTERM))) == "crashed"
    assert mutation._outcome(_status(_die(signal.SIGKILL))) == "crashed"   # e.g. out of memory
    assert mutation._outcome(_status(lambda: os._exit(99))) == "error"      # the harness broke


def test_the_score_counts_crashes_and_errors_apart():
    rows = [(0, 1, 1, "a", "killed"), (1, 1, 1, "b", "timeout"), (2, 1, 1, "c", "survived"),
            (3, 1, 1, "d", "crashed"), (4, 1, 1, "e", "error")]
    text = mutation.report({"engine": rows}, 1, 2)
    line = next(x for x in text.splitlines() if x.startswith("engine"))
    # 2 killed (one by timeout) of the 3 that ran to a verdict; 2 without one
    assert line.split()[1:] == ["5", "2", "1", "2", "66.7%"], text
    assert "timeout" in text and "crash" in text


def test_a_test_module_that_cannot_import_the_mutant_kills_it(tmp_path, monkeypatch):
    """A mutant that breaks its module's import makes the tests fail (killed,
    exit 1), not the harness (error)."""
    t = tmp_path / "test_x.py"
    t.write_text("raise NameError('the mutant broke an import-time name')\n"
                 "def test_never():\n    pass\n")
    monkeypatch.setattr(mutation, "TESTS", (str(t),))
    assert mutation._run_tests(False) == 1


def test_the_codec_package_is_mutated_and_its_tests_notice_a_wrong_polynomial():
    # --package dexcom: the mutants are the codec's, run against the codec's tests
    import subprocess
    import sys
    tool = os.path.join(os.path.dirname(mutation.__file__), "mutation.py")
    listed = subprocess.run([sys.executable, tool, "--package", "dexcom", "--list", "--only", "crc"],
                            capture_output=True, text=True, check=True).stdout
    poly = [ln.split("\t")[0] for ln in listed.splitlines() if "4129 -> 4130" in ln]
    assert len(poly) == 1, listed
    out = subprocess.run([sys.executable, tool, "--package", "dexcom", "--run", poly[0]],
                         capture_output=True, text=True, timeout=300).stdout
    assert out.strip().splitlines()[-1] == "killed", out
    assert "FAILED to import" not in out, out   # a test failed, not the import of a test module


def test_mpy_mode_serves_the_mutant_to_the_micropython_tests_and_leaves_the_firmware_alone():
    # --mpy: the supervisor's task runner is tested on the unix port only; a mutant
    # that never runs a task must reach the port (killed) through MUTANT_OVERLAY
    import subprocess
    import sys
    tool = os.path.join(os.path.dirname(mutation.__file__), "mutation.py")
    path = os.path.join(os.path.dirname(tool), "..", "firmware", "app", "supervisor.py")
    with open(path) as f:
        source = f.read()
    listed = subprocess.run([sys.executable, tool, "--package", "app", "--mpy", "--list", "--only",
                             "supervisor"], capture_output=True, text=True, check=True).stdout

    def outcome(line_text, desc):
        """--mpy --run of the one mutant `desc` on the line holding line_text."""
        line = next(n for n, text in enumerate(source.splitlines(), 1) if line_text in text)
        found = [ln.split("\t")[0] for ln in listed.splitlines()
                 if "\tsupervisor.py:%d:" % line in ln and ln.endswith(desc)]
        assert len(found) == 1, listed
        out = subprocess.run([sys.executable, tool, "--package", "app", "--mpy", "--run", found[0]],
                             capture_output=True, text=True, timeout=600).stdout
        return out.strip().splitlines()[-1]
    assert outcome("await t.fn(checkin)", "delete statement") == "killed"
    # and the harness passes a mutant the tests cannot tell apart (the backoff's
    # shift cap: 1 s << 7 is past the 60-s ceiling as 1 s << 6 is)
    assert outcome("1000 << min(", "constant 6 -> 7") == "survived"
    with open(path) as f:
        assert f.read() == source



def test_a_sample_is_the_same_mutants_at_every_run_and_only_that_many(monkeypatch):
    # --sample N: a seeded sample of each module's mutants, so two runs (before and
    # after new tests) judge the same ones. Every child is stubbed: it "survives"
    monkeypatch.setattr(mutation, "MPY", False)
    monkeypatch.setattr(mutation, "PACKAGE", "dexcom")
    monkeypatch.setattr(mutation.os, "fork", lambda: 4242)
    monkeypatch.setattr(mutation.os, "wait", lambda: (4242, 0))
    monkeypatch.setattr(mutation, "_workdir", lambda slot: None)
    monkeypatch.setattr(mutation, "tests_of", lambda m: ())
    every = len(mutation.sites("crc"))

    def run(sample=None):
        return [r[0] for r in mutation.run_all(1, ["crc"], 10, progress=False, sample=sample)["crc"]]
    one = run(5)
    assert len(one) == 5 == len(set(one)) and one == run(5) and one != list(range(5)), one
    assert all(0 <= i < every for i in one)
    assert run() == list(range(every)) == run(10 ** 6)


def test_a_mutant_in_the_overlay_reaches_the_simulators_compiled_firmware(tmp_path):
    # `make sim` and test_device.py's sim() load the firmware as bytecode (mpybuild);
    # before session 26 that path held firmware/ only, so no mutant reached them and
    # every test through sim() passed on any mutant (the buttons' task never started
    # survived test_device.py whole)
    import subprocess
    import sys
    root = os.path.join(os.path.dirname(mutation.__file__), "..")
    with open(os.path.join(root, "firmware", "reading.py")) as f:
        source = f.read()
    overlay = tmp_path / "overlay"
    (overlay / "pytest").mkdir(parents=True)   # the mutant's pytest folder is not compiled
    (overlay / "pytest" / "junk.py").write_text("this is not python\n")
    (overlay / "reading.py").write_text('raise ImportError("the mutant ran")\n' + source)
    env = dict(os.environ, HEADLESS="1", HOURS="1", PLOT="", FLASH=str(tmp_path / "flash"))
    for k in ("TRACE", "START", "DAYS", "CONFIG", "HTTP_PORT", "INJECT"):
        env.pop(k, None)
    run = [sys.executable, os.path.join(root, "tools", "sim.py")]
    seen = subprocess.run(run, env=dict(env, MUTANT_OVERLAY=str(overlay)), capture_output=True,
                          text=True, timeout=300, cwd=root)
    assert seen.returncode != 0 and "the mutant ran" in seen.stdout + seen.stderr, seen.stderr[-2000:]
    assert (overlay / "_mpy" / "reading.mpy").exists()
    plain = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300, cwd=root)
    assert plain.returncode == 0 and "the mutant ran" not in plain.stdout + plain.stderr, plain.stderr[-2000:]


def test_every_cpython_test_the_tool_calls_takes_no_fixture_but_tmp_path():
    # the tool calls the CPython tests as plain functions and gives only tmp_path: a
    # test taking capsys (test_capture, 601e458) failed every baseline of `make
    # mutation PACKAGE=dexcom` until session 26, and nothing said so but that run
    import importlib.util
    import inspect
    import sys
    root = os.path.abspath(os.path.join(os.path.dirname(mutation.__file__), ".."))
    files = set()
    for _, tests in mutation.PACKAGES.values():
        files.update(tests)
    for tests in mutation.MODULE_TESTS.values():
        files.update(tests)
    files = sorted({f.partition("::")[0] for f in files})
    assert len(files) > 20, files
    bad = []
    for n, rel in enumerate(files):
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            continue
        here = os.path.dirname(path)
        if here not in sys.path:
            sys.path.insert(0, here)
        spec = importlib.util.spec_from_file_location("_fixture_check_%d" % n, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name, fn in vars(mod).items():
            if name.startswith("test_") and callable(fn):
                extra = set(inspect.signature(fn).parameters) - {"tmp_path"}
                if extra:
                    bad.append("%s::%s %s" % (rel, name, sorted(extra)))
    assert bad == [], bad


def test_a_mutant_of_main_reaches_the_apps_programs_and_the_simulators_boot():
    # --package root --mpy --only main: the boot and main loop is no library a CPython
    # test imports; its mutant must reach the programs that build main.App (conftest's
    # APP_MICROPYPATH) and the simulator's boot loop (mpybuild's compiled overlay).
    # The alarm task never started: the box boots, reads, and never sounds
    import subprocess
    import sys
    tool = os.path.join(os.path.dirname(mutation.__file__), "mutation.py")
    with open(os.path.join(os.path.dirname(tool), "..", "firmware", "main.py")) as f:
        line = next(n for n, text in enumerate(f.read().splitlines(), 1)
                    if 'self.add_task("alarms"' in text)
    listed = subprocess.run([sys.executable, tool, "--package", "root", "--mpy", "--list", "--only", "main"],
                            capture_output=True, text=True, check=True).stdout
    found = [ln.split("\t")[0] for ln in listed.splitlines()
             if "\tmain.py:%d:" % line in ln and ln.endswith("delete statement")]
    assert len(found) == 1, listed
    for tests in (None, "host_tests/test_device.py::test_headless_night_reads_and_raises_the_urgent_low"):
        run = [sys.executable, tool, "--package", "root", "--mpy", "--run", found[0]]
        out = subprocess.run(run + (["--tests", tests] if tests else []),
                             capture_output=True, text=True, timeout=600).stdout
        assert out.strip().splitlines()[-1] == "killed", out
