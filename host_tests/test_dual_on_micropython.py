"""Every module in host_tests/dual/ runs under CPython (pytest collects it as
usual) and here, function by function, on the MicroPython unix port."""
import ast
import glob
import json
import os

import pytest

from conftest import ROOT, run_micropython

DUAL = sorted(glob.glob(os.path.join(ROOT, "host_tests", "dual", "test_*.py")))
_results = {}


def _cases():
    for path in DUAL:
        tree = ast.parse(open(path).read())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                yield pytest.param(path, node.name,
                                   id="%s::%s" % (os.path.basename(path), node.name))


def _run_module(path):
    if path not in _results:
        r = run_micropython(["tools/host/mpytest.py", os.path.relpath(path, ROOT)], check=False,
                            timeout=600)
        got = {}
        for line in r.stdout.splitlines():
            if line.startswith("{"):
                item = json.loads(line)
                got[item["name"]] = item
        _results[path] = (got, r.stdout + r.stderr)
    return _results[path]


@pytest.mark.parametrize("path,name", list(_cases()))
def test_on_micropython(path, name):
    got, output = _run_module(path)
    assert name in got, "did not run on MicroPython:\n" + output[-3000:]
    assert got[name]["ok"], got[name].get("error")
