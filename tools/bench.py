#!/usr/bin/env python3
"""One entry point for every benchmark: `make bench [SECTION=name]`.

Each section is a module tools/bench_<name>.py with run() -> dict; the dict
goes into build/bench.json under the section's name (other sections kept). A
section that raises, or exits (sim.py's checks end in sys.exit), fails the run
(exit status 1, after the other sections) with its error in place of its figures; an
exception with a `results` dict (bench_alarms.NotScored) keeps those figures, with
its "error", in bench.json."""
import glob
import importlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "build", "bench.json")
sys.path.insert(0, HERE)


def sections():
    return sorted(os.path.basename(p)[6:-3] for p in glob.glob(os.path.join(HERE, "bench_*.py")))


def save(measured):
    """Put this run's sections into bench.json as it is now. Read once at the start and
    written whole, it lost the sections a bench running beside (another SECTION) had
    written meanwhile; written in place, a reader saw it half-written."""
    results = json.load(open(OUT)) if os.path.exists(OUT) else {}
    results.update(measured)
    tmp = "%s.%d.tmp" % (OUT, os.getpid())
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    os.replace(tmp, OUT)


def main():
    wanted = sys.argv[1:] or sections()
    unknown = [s for s in wanted if s not in sections()]
    if unknown:
        sys.exit("unknown bench section(s) %s; have: %s" % (", ".join(unknown), ", ".join(sections())))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    results = {}
    failed = []
    for name in wanted:
        print("== bench:", name, flush=True)
        t0 = time.time()
        try:
            results[name] = importlib.import_module("bench_" + name).run()
        except (Exception, SystemExit) as e:  # one broken section must not hide the others
            # (nor leave its previous run's figures in bench.json as if measured now)
            partial = getattr(e, "results", None)
            if isinstance(partial, dict):   # it ran but failed its own check: figures kept
                print("bench %s failed: %s" % (name, e), flush=True)
                results[name] = dict(partial, error=str(e))
            else:
                import traceback
                traceback.print_exc()
                results[name] = {"error": repr(e)}
            failed.append(name)
        print("   (%.1f s)" % (time.time() - t0), flush=True)
        save(results)
    print("wrote", OUT)
    if failed:
        sys.exit("bench sections failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
