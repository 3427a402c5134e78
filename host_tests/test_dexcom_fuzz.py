"""Fuzz the codec on MicroPython: 12,000 random and mutated messages through
every parser (tools/dexfuzz.py, seeded, deterministic)."""
import json

from conftest import run_micropython


def test_fuzz_every_parser_on_micropython():
    r = run_micropython(["tools/dexfuzz.py", "20240601", "12000"], check=False, timeout=120)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["ok"], out["failures"]
    assert r.returncode == 0
    assert out["messages"] == 12000 and out["calls"] == 12000 * out["parsers"]
    assert out["parsers"] >= 19
    # the generator reaches both outcomes, and every corrupted stream is dropped
    assert out["readings"] > 50 and out["rejected"] > 10000
    assert out["streams"] >= 500 and out["streams_dropped"] == out["streams"]
