"""tools/bench.py (make bench) and its sections' own plumbing: what reaches
build/bench.json when a section cannot run."""
import json
import sys

import pytest


def _fake_micropython(tmp_path, name="micropython32-frozen"):
    """A 'MicroPython' that fails at once: every run of it fails."""
    fake = tmp_path / name
    fake.write_text("#!/bin/sh\necho 'no such runtime' >&2\nexit 1\n")
    fake.chmod(0o755)
    return str(fake)


def test_a_section_that_exits_is_recorded_as_failed_not_left_as_the_last_run(tmp_path, monkeypatch):
    # bench_memory measures the code's heap in-process with sim.code_heap, which
    # ends with sys.exit when its probe run fails: SystemExit is no Exception, so
    # bench.py's guard let it through, bench.json kept the previous run's memory
    # figures as if measured now, and the sections after it never ran
    import bench
    out = tmp_path / "bench.json"
    out.write_text(json.dumps({"memory": {"code_bytes": 123, "runs": [{"data_kb": 75, "rc": 0}]}}))
    monkeypatch.setenv("MICROPYTHON", _fake_micropython(tmp_path))
    monkeypatch.setattr(bench, "OUT", str(out))
    monkeypatch.setattr(sys, "argv", ["bench.py", "memory"])
    with pytest.raises(SystemExit) as e:
        bench.main()
    assert "memory" in str(e.value.code), e.value.code
    figures = json.loads(out.read_text())
    assert "runs" not in figures["memory"], figures
    assert "probe run failed" in figures["memory"]["error"], figures


def test_the_memory_section_leaves_the_runtime_of_the_sections_after_it_alone(tmp_path, monkeypatch):
    # `make bench` runs every section in one process, memory before resilience and
    # screen; memory switched os.environ's MICROPYTHON to the frozen 32-bit build
    # for its probe and left it there, so resilience's sims (bench_device._sim
    # passes the environment on) ran on that build, with whatever firmware it
    # was frozen with, while `make bench SECTION=resilience` runs the venv's port
    import os
    import bench_memory
    import mpybuild
    import sim
    from runtime import VENV_MICROPYTHON
    monkeypatch.setenv("MICROPYTHON", VENV_MICROPYTHON)   # make's default
    monkeypatch.setenv("MEMORY_STEPS", "75")
    frozen = _fake_micropython(tmp_path)
    monkeypatch.setattr(bench_memory, "FROZEN32", frozen)
    monkeypatch.setattr(mpybuild, "build", lambda: "")
    seen = []
    monkeypatch.setattr(sim, "code_heap", lambda o: seen.append(os.environ.get("MICROPYTHON")) or 200000)
    days = []
    monkeypatch.setattr(bench_memory, "run_day", lambda heap_k, env: days.append(env["MICROPYTHON"])
                        or ([], "", 0, 1.0, 0))
    out = bench_memory.run()
    assert seen == [frozen] and days == [frozen], (seen, days)   # the section itself: the frozen build
    assert out["code_bytes"] == 200000
    assert os.environ["MICROPYTHON"] == VENV_MICROPYTHON        # the sections after it: theirs


def test_a_frozen_build_of_other_firmware_is_refused_not_run(tmp_path, monkeypatch):
    # frozen modules are found before firmware/'s: a build frozen before the last change ran
    # the old firmware under every bench and sim asked to use it, and nothing said so (the
    # memory figures of session 46 came from a build whose firmware sessions later changed)
    import runtime
    binary = _fake_micropython(tmp_path)
    monkeypatch.setenv("MICROPYTHON", binary)
    assert runtime.micropython_binary() == binary            # no digest beside it: not frozen
    (tmp_path / "micropython32-frozen.firmware").write_text(runtime.firmware_digest() + "\n")
    assert runtime.micropython_binary() == binary            # the same firmware
    (tmp_path / "micropython32-frozen.firmware").write_text("0" * 64 + "\n")
    with pytest.raises(SystemExit) as e:
        runtime.micropython_binary()
    assert "holds other firmware" in str(e.value.code) and "build_unix32.sh" in str(e.value.code)


def test_a_bench_beside_another_keeps_the_sections_the_other_wrote_meanwhile(tmp_path, monkeypatch):
    # two `make bench SECTION=...` at once in one checkout: bench.py read bench.json at its
    # start and wrote it whole after each section, so the figures the other bench wrote
    # while this one ran were lost (its section back to its previous run's, or gone)
    import types
    import bench
    out = tmp_path / "bench.json"
    out.write_text(json.dumps({"link": {"capture_rate": 0.5}}))

    def measure_while_the_other_bench_writes():
        out.write_text(json.dumps({"link": {"capture_rate": 0.999}, "codec": {"ok": 1}}))
        return {"ms": 3}
    monkeypatch.setattr(bench, "OUT", str(out))
    monkeypatch.setattr(bench, "sections", lambda: ["fake"])
    monkeypatch.setitem(sys.modules, "bench_fake", types.SimpleNamespace(run=measure_while_the_other_bench_writes))
    monkeypatch.setattr(sys, "argv", ["bench.py", "fake"])
    bench.main()
    assert json.loads(out.read_text()) == {"link": {"capture_rate": 0.999}, "codec": {"ok": 1}, "fake": {"ms": 3}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.json"]   # no temporary left
