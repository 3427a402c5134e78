"""Run the systems (engine and peers) over a data set and score them.

The engine's onsets come from tools/replay.py, run as one subprocess per
trace on the real MicroPython unix port (.venv/bin/micropython, MICROPYPATH =
.frozen:firmware:.mpylib, as `make replay`), or on CPython with cpython=True
(faster while tuning; the official bench uses MicroPython). Traces run in
parallel (one worker per core). Peers run in-process pools the same way.
A system that cannot run is reported as {"error": "..."}, never dropped.
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from . import peers, score, traces

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
SETS = {"simulated": os.path.join(SHARED, "traces"), "real": os.path.join(SHARED, "real-cgm")}
SYSTEMS = ("engine", "threshold", "ar2", "xdrip", "nightguard")
REPLAY = os.path.join(ROOT, "tools", "replay.py")
sys.path.insert(0, os.path.dirname(HERE))
from runtime import MICROPYTHON  # noqa: E402
MICROPYPATH = ".frozen:%s:%s" % (os.path.join(ROOT, "firmware"), os.path.join(ROOT, ".mpylib"))
WORKERS = max(2, os.cpu_count() or 2)
# The same command as `make replay` (the port's default heap: replay streams the
# trace, so the longest recorded one fits).


class EngineError(RuntimeError):
    """The engine's replay is missing, failed, or printed something not JSON."""


def replay_command(path, cpython=False):
    if cpython:
        return [sys.executable, REPLAY, path]
    return [MICROPYTHON, REPLAY, path]


def engine_onsets(path, cpython=False, timeout=600):
    """Onsets of the engine over one trace file, via tools/replay.py."""
    if not os.path.exists(REPLAY):
        raise EngineError("tools/replay.py not found: the engine's replay is not there yet")
    if not cpython and not os.path.exists(MICROPYTHON):
        raise EngineError("%s not found: run `make setup` first" % MICROPYTHON)
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    try:
        r = subprocess.run(replay_command(path, cpython), capture_output=True, text=True,
                           timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise EngineError("replay of %s took more than %d s" % (path, timeout))
    if r.returncode != 0:
        raise EngineError("replay of %s failed (exit %d): %s"
                          % (os.path.basename(path), r.returncode,
                             (r.stderr.strip() or r.stdout.strip())[-500:]))
    onsets = []
    for line in r.stdout.splitlines():
        try:
            o = json.loads(line)
            o["t"], o["type"]
        except (ValueError, KeyError, TypeError):
            raise EngineError("replay of %s printed a line that is not an onset: %r"
                              % (os.path.basename(path), line[:200]))
        onsets.append(o)
    return onsets


def _peer_onsets(args):
    name, path = args
    return peers.run(peers.PEERS[name](), traces.load(path))


def trace_paths(directory):
    paths = sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".csv"))
    if not paths:
        raise traces.TraceError("no *.csv traces in %s" % directory)
    return paths


def system_onsets(system, paths, cpython=False, pool=None):
    """{path: onsets} for one system over the given trace files."""
    if system == "engine":
        with ThreadPoolExecutor(WORKERS) as ex:
            return dict(zip(paths, ex.map(lambda p: engine_onsets(p, cpython), paths)))
    if system not in peers.PEERS:
        raise ValueError("unknown system %r; have %s" % (system, ", ".join(SYSTEMS)))
    if pool is None:
        return {p: _peer_onsets((system, p)) for p in paths}
    return dict(zip(paths, pool.map(_peer_onsets, [(system, p) for p in paths], chunksize=4)))


def run_set(directory, systems=SYSTEMS, cpython=False, keep_onsets=False):
    """{system: figures} over every trace of a directory. With keep_onsets,
    also returns {system: {trace name: onsets}} (for plots)."""
    paths = trace_paths(directory)
    loaded = {p: traces.load(p) for p in paths}
    results, all_onsets = {}, {}
    if not sum(t.days() for t in loaded.values()):
        # nothing to divide the per-day rates by (they came out NaN, which
        # json.dump writes into bench.json as invalid JSON): an error for the set
        why = "no readings in any trace of %s: nothing to score" % directory
        results = {system: {"error": why} for system in systems}
        return (results, all_onsets) if keep_onsets else results
    with ProcessPoolExecutor(WORKERS) as pool:
        for system in systems:
            try:
                onsets = system_onsets(system, paths, cpython, pool)
            except (EngineError, OSError) as e:
                results[system] = {"error": str(e)}
                continue
            results[system] = score.score([(loaded[p], onsets[p]) for p in paths])
            if keep_onsets:
                all_onsets[system] = {loaded[p].name: onsets[p] for p in paths}
    return (results, all_onsets) if keep_onsets else results
