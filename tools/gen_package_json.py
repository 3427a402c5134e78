#!/usr/bin/env python3
"""Write the `urls` list of package.json: every file the board needs.

    python tools/gen_package_json.py           # rewrite package.json's "urls"
    python tools/gen_package_json.py --check   # exit 1 (and say what) if it is stale
    python tools/gen_package_json.py --tracked --base HEAD:package.json --stdout
                                               # git-tracked files only, onto a given base

With `urls` filled in, `mpremote mip install --target / github:OWNER/REPO`
installs the firmware the MicroPython way: mip reads package.json from the
repository root, copies every `[destination, source]` of `urls` (sources
are relative to package.json, so they follow whatever OWNER/REPO@branch the
user names, forks included), then installs `deps` (micropython-lib packages
and microdot).

Destinations on the board: firmware/<path> -> <path> (the board's root, so
main.py runs at boot), boards/<name>.json -> boards/<name>.json.

Only "urls" is touched: "version", "deps" and any other key keep their values
and order (other engineers add deps by hand).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_JSON = os.path.join(ROOT, "package.json")
TREES = (("firmware", ""), ("boards", "boards/"))
SKIP_DIRS = ("__pycache__",)
SKIP_SUFFIXES = (".pyc", ".mpy", "~", ".orig", ".rej")


def _wanted(rel):
    parts = rel.split("/")
    if any(p in SKIP_DIRS or p.startswith(".") for p in parts):
        return False
    return not rel.endswith(SKIP_SUFFIXES)


def board_files(tracked=False):
    """[(source relative to the repo, destination on the board)], sorted by destination."""
    if tracked:
        out = subprocess.run(["git", "ls-files", "--", *[t for t, _ in TREES]], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        sources = [s for s in out.splitlines() if s]
    else:
        sources = []
        for tree, _ in TREES:
            for dirpath, dirnames, files in os.walk(os.path.join(ROOT, tree)):
                dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
                for f in files:
                    sources.append(os.path.relpath(os.path.join(dirpath, f), ROOT).replace(os.sep, "/"))
    pairs = []
    for src in sources:
        if not _wanted(src):
            continue
        for tree, dest_prefix in TREES:
            if src.startswith(tree + "/"):
                pairs.append((src, dest_prefix + src[len(tree) + 1:]))
    pairs.sort(key=lambda p: p[1])
    return pairs


def urls(tracked=False):
    return [[dest, src] for src, dest in board_files(tracked)]


def render(pkg):
    """package.json text: one dependency and one url per line, like the hand-written file."""
    lines = ["{"]
    keys = list(pkg)
    for i, key in enumerate(keys):
        value = pkg[key]
        comma = "," if i < len(keys) - 1 else ""
        if isinstance(value, list) and value:
            lines.append("  %s: [" % json.dumps(key))
            lines.extend("    %s%s" % (json.dumps(v), "," if j < len(value) - 1 else "")
                         for j, v in enumerate(value))
            lines.append("  ]" + comma)
        else:
            lines.append("  %s: %s%s" % (json.dumps(key), json.dumps(value), comma))
    lines.append("}")
    return "\n".join(lines) + "\n"


def updated(text, tracked=False):
    pkg = json.loads(text)
    pkg["urls"] = urls(tracked)
    return render(pkg)


def stale(pkg):
    """What is wrong with pkg["urls"] (a list of messages; empty when up to date)."""
    want = urls()
    have = [list(u) for u in pkg.get("urls", [])]
    missing = [u for u in want if u not in have]
    extra = [u for u in have if u not in want]
    msgs = ["not listed: %s -> %s" % (u[1], u[0]) for u in missing]
    msgs += ["listed but absent: %s -> %s" % (u[1], u[0]) for u in extra]
    return msgs


def main(argv):
    tracked = "--tracked" in argv
    if "--base" in argv:
        spec = argv[argv.index("--base") + 1]
        text = subprocess.run(["git", "show", spec], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    else:
        text = open(PACKAGE_JSON).read()
    if "--check" in argv:
        msgs = stale(json.loads(text))
        for m in msgs:
            print("package.json:", m, file=sys.stderr)
        if msgs:
            print("run: python tools/gen_package_json.py", file=sys.stderr)
        return 1 if msgs else 0
    out = updated(text, tracked)
    if "--stdout" in argv:
        sys.stdout.write(out)
    elif out != text:   # (rewritten unchanged, its new time made `make` install .mpylib again)
        with open(PACKAGE_JSON, "w") as f:
            f.write(out)
        print("package.json: %d urls" % len(json.loads(out)["urls"]), file=sys.stderr)
    else:
        print("package.json: up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
