#!/usr/bin/env python3
"""Install the firmware's MicroPython dependencies the way users do: with `mip`.

    python tools/install_mpy_deps.py MICROPYTHON TARGET_DIR

Reads the dependency list from `package.json` (the same list `mip install
github:OWNER/REPO` follows on a board) and runs `micropython -m mip install`
for each one into TARGET_DIR (the folder MICROPYPATH points at).

First it asks the public index (micropython.org). When that cannot be reached
(no network, as on CI here), it falls back to the offline mirror of
micropython-lib in ../shared/micropython-lib: this script turns the mirror's
`manifest.py` files into a mip index of source packages (the "py" flavour of
the format micropython.org serves), serves it on 127.0.0.1 and lets mip
install from there. mip resolves the dependencies itself either way.

Packages that do not live in micropython-lib (e.g. microdot) are listed in
`package.json` as `github:` URLs; when GitHub is unreachable they are
installed from PyPI with pip into TARGET_DIR (same upstream code and
version).
"""
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIRROR = os.path.normpath(os.path.join(ROOT, "..", "shared", "micropython-lib"))
# github: dependencies with a PyPI twin: github prefix -> pip requirement
PYPI_TWINS = {
    "github:miguelgrinberg/microdot": "microdot==2.7.0",
}


def log(*a):
    print("[mpy-deps]", *a, file=sys.stderr)


# --- a tiny manifest.py interpreter (the subset micropython-lib uses) ------


def find_manifests(root):
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if "unix-ffi" in dirpath.split(os.sep):
            continue
        if "manifest.py" in filenames:
            found.setdefault(os.path.basename(dirpath), dirpath)
    return found


class Manifest:
    def __init__(self, path):
        self.path = path
        self.version = "0.0.0"
        self.deps = []
        self.files = []  # (target_path, source_path)

    def run(self):
        src = open(os.path.join(self.path, "manifest.py")).read()
        env = {
            "metadata": self._metadata,
            "require": self._require,
            "package": self._package,
            "module": self._module,
            "include": lambda *a, **k: None,
            "options": _Options(),
        }
        exec(compile(src, os.path.join(self.path, "manifest.py"), "exec"), env)
        return self

    def _metadata(self, version=None, **_):
        if version:
            self.version = version

    def _require(self, name, unix_ffi=False, pypi=None, **_):
        self.deps.append(name)

    def _package(self, name, files=None, base_path=".", opt=None):
        base = os.path.normpath(os.path.join(self.path, base_path))
        pkg_dir = os.path.join(base, *name.split("/"))
        if files is None:
            files = []
            for dirpath, _, fnames in os.walk(pkg_dir):
                for f in fnames:
                    if f.endswith(".py"):
                        files.append(os.path.relpath(os.path.join(dirpath, f), pkg_dir))
        for f in files:
            self.files.append((name + "/" + f.replace(os.sep, "/"), os.path.join(pkg_dir, f)))

    def _module(self, name, base_path=".", opt=None):
        self.files.append((name, os.path.normpath(os.path.join(self.path, base_path, name))))


class _Options:
    def defaults(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def __getattr__(self, name):
        return None


def build_index(out):
    """Write a mip v2 index ("py" flavour) for every package of the mirror."""
    manifests = find_manifests(os.path.join(MIRROR, "micropython")) | find_manifests(
        os.path.join(MIRROR, "python-stdlib")
    ) | find_manifests(os.path.join(MIRROR, "python-ecosys"))
    for name, path in manifests.items():
        try:
            m = Manifest(path).run()
        except Exception as e:  # a manifest we cannot read is skipped, loudly
            log("skip", name, e)
            continue
        hashes = []
        for target, source in m.files:
            data = open(source, "rb").read()
            digest = hashlib.sha256(data).hexdigest()[:8]
            fdir = os.path.join(out, "file", digest[:2])
            os.makedirs(fdir, exist_ok=True)
            with open(os.path.join(fdir, digest), "wb") as f:
                f.write(data)
            hashes.append([target, digest])
        pj = {"hashes": hashes, "deps": [[d, "latest"] for d in m.deps], "version": m.version}
        pdir = os.path.join(out, "package", "py", name)
        os.makedirs(pdir, exist_ok=True)
        for v in ("latest", m.version):
            with open(os.path.join(pdir, v + ".json"), "w") as f:
                json.dump(pj, f)


def serve(directory):
    handler = lambda *a, **k: _Quiet(*a, directory=directory, **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def mip(micropython, target, spec, index=None):
    cmd = [micropython, "-m", "mip", "install", "--target", target, "--no-mpy"]
    if index:
        cmd += ["--index", index]
    r = subprocess.run(cmd + [spec], capture_output=True, text=True, timeout=300)
    ok = r.returncode == 0 and "Done" in r.stdout and "may be partially" not in r.stdout
    return ok, (r.stdout + r.stderr).strip()


def main():
    micropython, target = sys.argv[1], os.path.abspath(sys.argv[2])
    deps = json.load(open(os.path.join(ROOT, "package.json")))["deps"]
    tmp = None
    mirror_index = None
    os.makedirs(target, exist_ok=True)
    for name, version in deps:
        spec = name if version in ("latest", None) else name + "@" + version
        if name.startswith("github:"):
            twin = next((v for k, v in PYPI_TWINS.items() if name.startswith(k)), None)
            ok, out = mip(micropython, target, spec)
            if not ok and twin:
                log(name, "unreachable; installing its PyPI release", twin)
                subprocess.check_call(
                    [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                     target, twin])
                for junk in os.listdir(target):
                    if junk.endswith(".dist-info"):
                        shutil.rmtree(os.path.join(target, junk))
                continue
        else:
            ok, out = mip(micropython, target, spec)
            if not ok:
                if mirror_index is None:
                    if not os.path.isdir(os.path.join(MIRROR, "micropython")):
                        sys.exit("mip could not install %s from micropython.org, and there is no "
                                 "offline micropython-lib mirror at %s to fall back on:\n%s"
                                 % (spec, MIRROR, out))
                    log("micropython.org unreachable; using the mirror", MIRROR)
                    tmp = tempfile.mkdtemp(prefix="mip-index-")
                    build_index(tmp)
                    httpd = serve(tmp)
                    mirror_index = "http://127.0.0.1:%d" % httpd.server_address[1]
                ok, out = mip(micropython, target, spec, mirror_index)
        if not ok:
            sys.exit("mip could not install %s:\n%s" % (spec, out))
        log("installed", spec)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
