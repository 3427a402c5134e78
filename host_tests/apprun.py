"""Run a program around the real firmware App on MicroPython (virtual board and
clock), with a config file, and read back its one RESULT line."""
import json
import os

from conftest import APP_MICROPYPATH, ROOT, run_micropython


def run_app(tmp_path, cfg, prog, **names):
    """Write cfg to config.json, run prog with CFG, BOARDS and `names` defined
    before it, and return the JSON after its "RESULT " line."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    head = "CFG, BOARDS = %r, %r\n" % (str(path), os.path.join(ROOT, "boards"))
    head += "".join("%s = %r\n" % kv for kv in sorted(names.items()))
    r = run_micropython(["-c", head + prog], cwd=str(tmp_path), heap="2M", timeout=120, check=False,
                        env={"MICROPYPATH": APP_MICROPYPATH})
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(line[0][7:])
