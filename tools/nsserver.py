#!/usr/bin/env python3
"""A Nightscout-compatible test server (CPython, stdlib) for the uploader tests.

It enforces what a real Nightscout does (peers.md section 2):
- POST /api/v1/entries takes a JSON array (or one object with `date`);
  entries are upserted on {sysTime, type}, sysTime from dateString first;
- `api-secret` must be the SHA-1 (or SHA-512) hex of the secret, or
  ?token= one of the tokens; a wrong one is answered 401 (GET /api/v1/status.json too,
  as Nightscout's api:status:read: without a credential it answers);
- Nightscout's delay list (lib/authorization/delaylist.js, used in
  lib/authorization/index.js resolve(); its logic unchanged since 14.1.1, 2021): a request from a
  client address on the list waits until the list's time for it BEFORE its credential
  is checked (a good one too); a wrong credential then puts the address on the list
  until max(now, its time) + `bad_delay_s` (settings.authFailDelay, 5 s), a good one
  takes it off. So the first failure is answered at once, and a client that retries
  more than `bad_delay_s` after its last failure never waits: only requests that come
  quicker (or several at once) pile the delays up;
- POST /api/v1/treatments takes a treatment or an array of them (same credential), upserted
  as lib/server/treatments.js does since 15.0.7: on `identifier` when there is one, else on
  `_id`, else on {created_at, eventType} (created_at as Nightscout stores it: ISO UTC with
  milliseconds); identifier_upsert=False (--old-treatments) is 14.x..15.0.6: always
  {created_at, eventType}. Answered with the array stored;
- GET /api/v1/entries(.json)?count=N, GET /api/v1/treatments(.json)?count=N (newest
  created_at first), GET /api/v1/status.json.
Time: real seconds, or the simulated world's (clock(vt_ms), or POST /clock on the control
port: tools/chaos.py's worlds, tools/simboot.py ns_clock): a request then waits until the
world's clock reaches its time on the list, and a request carrying `X-Sim-Clock: <vt_ms>
<id>` (simboot adds it) is counted as arriving at vt_ms.
Faults on demand through a control port (JSON POST /mode; {"host": address} moves the API
there, the old address refusing: move()) or the methods:
  mode "ok" | "down" (listener closed: connection refused) | "error" (answer
  `status`, e.g. 503) | "empty" (200 with `[]`, storing nothing) | "hang" (accept
  and never answer).
GET /state on the control port: {"entries": [...], "posts": {key: count}, "treatments": [...],
"treatment_posts": N, ...}.
POST /clock {"vt_ms": N[, "await": id]}: the world's clock is N (requests waiting for it are
answered before this answers; with await, request id's answer too); answers
{"vt_ms": N, "delay_until_ms": the latest time on the delay list or null}.

    python tools/nsserver.py --secret 0123456789abc [--port P] [--control-port C]
"""
import argparse
import hashlib
import json
import ssl
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs


def _systime(e):
    ds = e.get("dateString")
    if ds:
        try:
            dt = datetime.fromisoformat(ds.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        except ValueError:
            pass
    if isinstance(e.get("date"), (int, float)):
        return datetime.fromtimestamp(e["date"] / 1000, timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class NsServer:
    def __init__(self, secret=None, tokens=(), port=0, control_port=0, bad_delay_s=5.0,
                 certfile=None, keyfile=None, host="127.0.0.1", send_date=True, world_clock=False,
                 identifier_upsert=True):
        self.host = host
        self.identifier_upsert = identifier_upsert
        self.treatments = []   # as stored, in arrival order (an upsert replaces in place)
        self.treatment_posts = 0
        self.send_date = send_date
        self.secret_hashes = set()
        if secret:
            self.secret_hashes = {hashlib.sha1(secret.encode()).hexdigest(),
                                  hashlib.sha512(secret.encode()).hexdigest()}
        self.tokens = set(tokens)
        self.bad_delay_s = bad_delay_s
        self.lock = threading.Lock()
        self.entries = {}  # (sysTime, type) -> entry, insertion order = arrival order
        self.posts = {}  # key -> times posted
        self.auth_failures = 0
        self.requests = 0
        self.heads = []  # HEAD requests: what a box asking only the time sent
        self.delay_until = {}  # client ip -> ms (now_ms) until which its requests wait
        self.vt_ms = 0 if world_clock else None  # the world's clock (clock()); None: real time
        self._cv = threading.Condition()   # guards vt_ms, _waiting, _answered, _closing
        self._waiting = {}   # id -> the world's ms a request waits for (virtual time)
        self._answered = set()   # ids (X-Sim-Clock) of requests answered, until awaited
        self._closing = False
        self._seq = 0
        self.mode = "ok"
        self.error_status = 503
        self._hang = threading.Event()
        self._ssl = None
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self._ssl = ctx
        self.port = port
        self._api = None
        self._start_api()
        self._control = ThreadingHTTPServer((host, control_port), _control_handler(self))
        self._control.daemon_threads = True
        self.control_port = self._control.server_address[1]
        threading.Thread(target=self._control.serve_forever, daemon=True).start()

    # --- control ---------------------------------------------------------
    def _start_api(self):
        ThreadingHTTPServer.allow_reuse_address = True
        srv = ThreadingHTTPServer((self.host, self.port), _api_handler(self))
        srv.daemon_threads = True
        if self._ssl:
            srv.socket = self._ssl.wrap_socket(srv.socket, server_side=True)
        self.port = srv.server_address[1]
        self._api = srv
        threading.Thread(target=srv.serve_forever, daemon=True).start()

    def _stop_api(self):
        if self._api:
            self._api.shutdown()
            self._api.server_close()
            self._api = None

    def set_mode(self, mode, status=None):
        if mode not in ("ok", "down", "error", "empty", "hang"):
            raise ValueError(mode)
        if status:
            self.error_status = int(status)
        if mode == "down" and self._api:
            self._stop_api()
        elif mode != "down" and self._api is None:
            self._start_api()
        if mode == "hang":
            self._hang.clear()
        else:
            self._hang.set()
        self.mode = mode

    def move(self, host):
        """The server got a new address (a new DHCP lease, a new cloud IP): the API listens
        on host, same port, and the old address refuses connections (chaos round 15)."""
        self._stop_api()
        self.host = host
        if self.mode != "down":
            self._start_api()

    def state(self):
        with self.lock:
            return {"entries": list(self.entries.values()),
                    "posts": {"%s|%s" % k: n for k, n in self.posts.items()},
                    "auth_failures": self.auth_failures, "requests": self.requests,
                    "mode": self.mode, "heads": list(self.heads),
                    "treatments": [dict(t) for t in self.treatments],
                    "treatment_posts": self.treatment_posts,
                    "delay_until": dict(self.delay_until)}

    def now_ms(self):
        """The server's clock: the world's (clock()) or real monotonic ms."""
        return self.vt_ms if self.vt_ms is not None else time.monotonic() * 1000

    def clock(self, vt_ms, await_id=None, timeout_s=5.0):
        """The world's clock is vt_ms: requests that waited for it are answered, and this
        returns only once those answers are written (and request await_id's, when given and
        not yet answered: one the box sent but this server has not read yet), at most
        timeout_s of real time. Returns {"vt_ms", "delay_until_ms": the latest time on the
        delay list (None: empty), "timed_out"}."""
        with self._cv:
            self.vt_ms = max(self.vt_ms or 0, int(vt_ms))
            self._cv.notify_all()

            def settled():
                return self._closing or (
                    not any(due <= self.vt_ms for due in self._waiting.values())
                    and (await_id is None or await_id in self._answered))
            ok = self._cv.wait_for(settled, timeout_s)
            self._answered.discard(await_id)
            vt = self.vt_ms
        with self.lock:
            until = max(self.delay_until.values(), default=None)
        return {"vt_ms": vt, "delay_until_ms": until, "timed_out": not ok}

    def _wait_until(self, key, due_ms):
        """Block a request until the server's clock reaches due_ms (real: sleep)."""
        if self.vt_ms is None:
            time.sleep(max(0.0, due_ms - self.now_ms()) / 1000)
            return
        with self._cv:
            self._waiting[key] = due_ms
            self._cv.wait_for(lambda: self._closing or self.vt_ms >= due_ms)

    def _done(self, key, sim_id):
        with self._cv:
            self._waiting.pop(key, None)
            if sim_id is not None:
                self._answered.add(sim_id)
            self._cv.notify_all()

    def close(self):
        with self._cv:
            self._closing = True
            self._cv.notify_all()
        self._hang.set()
        self._stop_api()
        self._control.shutdown()
        self._control.server_close()

    # --- the API ------------------------------------------------------------
    def authorised(self, headers, query):
        if not self.secret_hashes and not self.tokens:
            return True
        h = (headers.get("api-secret") or "").lower()
        if h and h in self.secret_hashes:
            return True
        tok = (query.get("token") or [None])[0]
        return bool(tok and tok in self.tokens) or bool(h and h in self.tokens)

    def store(self, items):
        out = []
        with self.lock:
            for e in items:
                e = dict(e)
                e["sysTime"] = _systime(e)
                key = (e["sysTime"], e.get("type"))
                self.posts[key] = self.posts.get(key, 0) + 1
                if key in self.entries:
                    self.entries[key].update(e)  # upsert
                else:
                    self.entries[key] = e
                out.append(e)
        return out

    def store_treatments(self, items):
        """lib/server/treatments.js create(): each replaces the one its upsert query
        finds (upsertQueryFor), or is added."""
        out = []
        with self.lock:
            self.treatment_posts += 1
            for t in items:
                t = dict(t)
                t["created_at"] = _systime({"dateString": t.get("created_at")})
                if self.identifier_upsert and t.get("identifier"):
                    t.pop("_id", None)
                    same = lambda o: o.get("identifier") == t["identifier"]  # noqa: E731
                elif self.identifier_upsert and t.get("_id"):
                    same = lambda o: o.get("_id") == t["_id"]  # noqa: E731
                else:
                    same = lambda o: (o["created_at"], o.get("eventType")) == \
                        (t["created_at"], t.get("eventType"))  # noqa: E731
                old = [i for i, o in enumerate(self.treatments) if same(o)]
                if old:
                    t["_id"] = self.treatments[old[0]]["_id"]
                    self.treatments[old[0]] = t
                else:
                    t.setdefault("_id", "%024x" % (len(self.treatments) + 1))
                    self.treatments.append(t)
                out.append(t)
        return out


def _api_handler(ns):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send_response(self, code, message=None):
            if ns.send_date:
                return super().send_response(code, message)
            # a simulated box runs faster than real time: a real Date would
            # drag its wall clock back at every upload
            self.log_request(code)
            self.send_response_only(code, message)
            self.send_header("Server", self.version_string())

        def _send(self, status, obj):
            data = json.dumps(obj).encode()
            self.close_connection = True
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timed out): what a real server sees too

        def do_HEAD(self):
            # what an https site's port 80 answers: a redirect, with its Date
            with ns.lock:
                ns.heads.append({"path": self.path, "headers": sorted(self.headers.keys())})
            self.close_connection = True
            self.send_response(301)
            self.send_header("Location", "https://%s%s" % (ns.host, self.path))
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        def _fault(self):
            with ns.lock:
                ns.requests += 1
            if ns.mode == "hang":
                ns._hang.wait(3600)
                self.close_connection = True
                return True
            if ns.mode == "error":
                self._send(ns.error_status, {"status": ns.error_status, "message": "fault on demand"})
                return True
            if ns.mode == "empty":
                self._send(200, [])
                return True
            return False

        def _begin(self):
            """Where this request stands on the server's clock: its arrival (X-Sim-Clock's
            world ms when simboot sent one), its id for clock(await_id), a key of its own."""
            self._sim_id = None
            with ns.lock:
                ns._seq += 1
                self._key = ns._seq
            self._arrival = ns.now_ms()
            if ns.vt_ms is not None:
                parts = (self.headers.get("X-Sim-Clock") or "").split()
                if len(parts) == 2:
                    self._arrival, self._sim_id = int(parts[0]), int(parts[1])

        def _auth(self, query, anonymous=False):
            """Nightscout's resolve() and isPermitted(): the delay list's wait first (any
            request from the address on it), then the credential; a wrong one is a failure
            on the list and a 401. anonymous: no credential at all is let through (status)."""
            ip = self.client_address[0]
            now = self._arrival
            with ns.lock:
                until = ns.delay_until.get(ip)
            if until is not None and until > now:
                ns._wait_until(self._key, until)
                now = until if ns.vt_ms is not None else ns.now_ms()
            attempted = bool(self.headers.get("api-secret") or query.get("token"))
            ok = ns.authorised(self.headers, query) or (anonymous and not attempted)
            with ns.lock:
                if ok:
                    if attempted:
                        ns.delay_until.pop(ip, None)   # requestSucceeded
                    return True
                ns.auth_failures += 1
                if attempted:   # addFailedRequest (no credential: Nightscout's default roles)
                    entry = ns.delay_until.get(ip)
                    base = now if entry is None or now >= entry else entry
                    ns.delay_until[ip] = base + int(round(ns.bad_delay_s * 1000))
            self._send(401, {"status": 401, "message": "Unauthorized"})
            return False

        def do_POST(self):
            self._begin()
            try:
                self._post()
            finally:
                ns._done(self._key, self._sim_id)

        def do_GET(self):
            self._begin()
            try:
                self._get()
            finally:
                ns._done(self._key, self._sim_id)

        def _post(self):
            url = urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            if self._fault():
                return
            q = parse_qs(url.query)
            treatments = url.path.rstrip("/") in ("/api/v1/treatments", "/api/v1/treatments.json")
            if url.path.rstrip("/") not in ("/api/v1/entries", "/api/v1/entries.json") and not treatments:
                return self._send(404, {"status": 404})
            if not self._auth(q):
                return
            try:
                doc = json.loads(body)
            except ValueError:
                return self._send(400, {"status": 400, "message": "bad JSON"})
            if treatments:
                doc = doc if isinstance(doc, list) else [doc]
                if not all(isinstance(t, dict) for t in doc):
                    return self._send(400, {"status": 400, "message": "expected treatments"})
                return self._send(200, ns.store_treatments(doc))
            if isinstance(doc, dict) and "date" in doc:
                doc = [doc]
            if not isinstance(doc, list) or not all(isinstance(e, dict) for e in doc):
                return self._send(400, {"status": 400, "message": "expected an array of entries"})
            self._send(200, ns.store(doc))

        def _get(self):
            url = urlsplit(self.path)
            if self._fault():
                return
            q = parse_qs(url.query)
            if url.path == "/api/v1/status.json":
                if not self._auth(q, anonymous=True):
                    return
                now = time.time()
                return self._send(200, {"status": "ok", "serverTimeEpoch": int(now * 1000),
                                        "settings": {"units": "mg/dl"}})
            if url.path.rstrip("/") in ("/api/v1/entries", "/api/v1/entries.json"):
                if not self._auth(q):
                    return
                count = int((q.get("count") or ["10"])[0])
                with ns.lock:
                    es = sorted(ns.entries.values(), key=lambda e: -e.get("date", 0))
                return self._send(200, es[:count])
            if url.path.rstrip("/") in ("/api/v1/treatments", "/api/v1/treatments.json"):
                if not self._auth(q):
                    return
                count = int((q.get("count") or ["100"])[0])
                with ns.lock:
                    ts = sorted(ns.treatments, key=lambda t: t["created_at"], reverse=True)
                return self._send(200, ts[:count])
            self._send(404, {"status": 404})

    return H


def _control_handler(ns):
    class C(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, obj):
            data = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._send(ns.state() if self.path.startswith("/state") else {"port": ns.port})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            doc = json.loads(self.rfile.read(n) or b"{}")
            if self.path.startswith("/clock"):   # the world's clock (simboot ns_clock)
                return self._send(ns.clock(doc["vt_ms"], doc.get("await")))
            if "host" in doc:   # {"host": address}: move (the mode stays)
                ns.move(doc["host"])
            else:
                ns.set_mode(doc.get("mode", "ok"), doc.get("status"))
            self._send({"mode": ns.mode, "port": ns.port})

    return C


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--secret")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--bad-delay", type=float, default=5.0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--old-treatments", action="store_true",
                    help="upsert treatments on created_at + eventType only (Nightscout before 15.0.7)")
    ap.add_argument("--no-date", action="store_true",
                    help="send no Date header (for a simulated box on an accelerated clock)")
    a = ap.parse_args()
    ns = NsServer(a.secret, a.token, a.port, a.control_port, a.bad_delay, a.cert, a.key,
                  send_date=not a.no_date, identifier_upsert=not a.old_treatments)
    print(json.dumps({"port": ns.port, "control_port": ns.control_port}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        ns.close()


if __name__ == "__main__":
    main()
