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

