"""`make bench SECTION=device`: the whole firmware for 7 simulated days.

Runs `make sim` headless (tools/sim.py: the real firmware on the unix port
against the virtual transmitter, default trace, as fast as possible), with the
setup/status page served as the board always does (runs before 2026-11-30 left
it out: 6.3 KB on the frozen 32-bit port), and reads its event lines:
- heap_peak_bytes: the firmware's live heap (sampled hourly after a full
  collection, above the code, which the board keeps frozen in flash), peak
  over the week; the budget is 64 KiB;
- heap_growth_bytes_day2_to_7: peak of days 3-7 minus the peak of day 2;
- sim_seconds_for_7_days: wall time of the whole run;
- reading_to_alarm_ms: real time on this machine from the radio IRQ that
  carries a glucose reply to the alarm engine's decision (median, p99).
Then one simulated day of the whole firmware with forwarding on (Nightscout
upload to tools/nsserver.py, the LAN API, MQTT when mosquitto is installed):
`full_day` with its heap peak and what the server received, and `outage_day`,
the same day with the Nightscout server down (the upload queue fills). (Real sockets
make the virtual clock wait for their peers, so this run is slower.)
Heap figures are those of the unix port that runs (`micropython_bits`): the
venv's is 64-bit; the ESP32 is 32-bit, its objects take roughly half as much.
`make bench SECTION=device MICROPYTHON=path` runs another build (e.g. a 32-bit
one from tools/build_unix32.sh).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ports import free_port  # noqa: E402
from runtime import micropython_binary  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DAY_MS = 86400000
SIM_S_PER_DAY = 1200   # wall seconds a simulated day may take before the run counts as hung


def _sim(days, flash, **extra):
    env = dict(os.environ, HEADLESS="1", DAYS=str(days), PLOT="", SPEED="0",
               FLASH=os.path.join(os.path.dirname(HERE), "build", flash))
    for k in ("TRACE", "START", "HOURS", "CONFIG", "INJECT", "FAULTS", "HTTP_PORT",
              "NIGHTSCOUT_URL", "NIGHTSCOUT_CA", "MQTT"):
        env.pop(k, None)
    env.update({k: str(v) for k, v in extra.items()})
    t0 = time.time()
    # a bound for a hung firmware, not for a slow machine: 20 min a simulated day (a 13-day
    # follower world ran 6.2 days in the hour, on a loaded host, when the bound was an hour)
    r = subprocess.run([sys.executable, os.path.join(HERE, "sim.py")], env=env,
                       capture_output=True, text=True, timeout=max(3600, float(days) * SIM_S_PER_DAY))
    wall = time.time() - t0
    if r.returncode != 0:
        raise RuntimeError("sim failed: " + r.stderr[-2000:])
    return [json.loads(line) for line in r.stdout.splitlines()], wall




class ForwardingServers:
    """Every forwarder's server on loopback, for a day with them all on: Nightscout
    (tools/nsserver.py; with server_up=False nothing listens on its port), mosquitto
    when installed (its -v log in build/bench-mosquitto.log, to count connections)
    and a port for the LAN API. `env`: the sim's variables for them; after the
    block, `entries` and `posts` (Nightscout) and `connects` (MQTT, or None)."""
    SECRET = "bench-secret-0123"

    def __init__(self, server_up=True):
        self.server_up = server_up
        self.log = os.path.join(os.path.dirname(HERE), "build", "bench-mosquitto.log")

    def __enter__(self):
        import shutil
        from nsserver import NsServer
        self.ns = NsServer(secret=self.SECRET, send_date=False) if self.server_up else None
        url = "http://127.0.0.1:%d" % (self.ns.port if self.ns else free_port())
        self.env = {"NIGHTSCOUT_URL": url, "NIGHTSCOUT_SECRET": self.SECRET, "HTTP_PORT": free_port(),
                    "SETUP_PORT": free_port()}   # the board always serves its setup/status page
        self.broker = None
        mosquitto = shutil.which("mosquitto") or ("/usr/sbin/mosquitto"
                                                  if os.path.exists("/usr/sbin/mosquitto") else None)
        if mosquitto:
            port = free_port()
            os.makedirs(os.path.dirname(self.log), exist_ok=True)
            with open(self.log, "w") as out:
                self.broker = subprocess.Popen([mosquitto, "-v", "-p", str(port)], stdout=out,
                                               stderr=subprocess.STDOUT)
            time.sleep(0.5)
            self.env["MQTT"] = "127.0.0.1:%d" % port
        return self

    def __exit__(self, *exc):
        st = self.ns.state() if self.ns else {"entries": [], "posts": {}}
        self.entries, self.posts = st["entries"], st["posts"]
        if self.ns:
            self.ns.close()
        self.connects = None
        if self.broker:
            self.broker.terminate()
            self.broker.wait(10)
            with open(self.log) as f:
                self.connects = sum(1 for line in f if "New client connected" in line)
        return False


def full_day(server_up=True):
    """One day with every forwarder on, against real servers on loopback; with
    server_up=False the Nightscout server is down all day (nothing listens on
    its port), so the upload queue fills: the outage case for the heap."""
    with ForwardingServers(server_up) as srv:
        events, wall = _sim(1, "bench-device-full" if server_up else "bench-device-outage", **srv.env)
    readings = sum(1 for e in events if e["event"] == "reading")
    return {"heap_peak_bytes": max(e["data"] for e in events if e["event"] == "heap"),
            "readings": readings, "nightscout_entries": len(srv.entries),
            "nightscout_max_posts_per_entry": max(srv.posts.values()) if srv.posts else 0,
            "forwarding_alarms": sum(1 for e in events if e["event"] == "alarm_onset"
                                     and e.get("type") == "forwarding"),
            "mqtt": bool(srv.broker), "mqtt_connects": srv.connects, "wall_s": round(wall, 1)}


def word_bits():
    """32 or 64: the word size of the MicroPython binary the sim runs."""
    r = subprocess.run([micropython_binary(), "-c", "import sys; print(32 if sys.maxsize < 1 << 32 else 64)"],
                       capture_output=True, text=True, timeout=30, check=True)
    return int(r.stdout)


def run():
    bits = word_bits()
    # the setup/status page too: the board always serves it (main.App.setup_port 80)
    events, wall = _sim(7, "bench-device", SETUP_PORT=free_port())
    heap = [e for e in events if e["event"] == "heap"]
    code = [e for e in events if e["event"] == "heap_code"][0]["alloc"]
    end = [e for e in events if e["event"] == "sim_end"][0]

    def peak(day):
        xs = [e["data"] for e in heap if (day - 1) * DAY_MS < e["t_ms"] <= day * DAY_MS]
        return max(xs) if xs else None

    day2 = peak(2)
    later = max(peak(d) for d in range(3, 8))
    lat = end["reading_to_alarm_us"]
    out = {
        "micropython_bits": bits,
        "heap_peak_bytes": max(e["data"] for e in heap),
        "heap_budget_bytes": 64 * 1024,
        "heap_peak_by_day": [peak(d) for d in range(1, 8)],
        "heap_growth_bytes_day2_to_7": later - day2,
        "code_heap_bytes_on_host": code,
        "sim_seconds_for_7_days": round(wall, 1),
        "readings": sum(1 for e in events if e["event"] == "reading"),
        "resets": sum(1 for e in events if e["event"] == "reset"),
        "alarm_onsets": sum(1 for e in events if e["event"] == "alarm_onset"),
        "reading_to_alarm_ms": {"median": lat["median"] / 1000, "p99": lat["p99"] / 1000,
                                "max": lat["max"] / 1000, "n": lat["n"],
                                "note": "real time on the host, histogram bucket 0.1 ms"},
    }
    out["full_day"] = full_day()
    out["outage_day"] = full_day(server_up=False)
    print("device, 7 simulated days (make sim HEADLESS=1 DAYS=7), %d-bit MicroPython:" % bits)
    for k in ("heap_peak_bytes", "heap_growth_bytes_day2_to_7", "sim_seconds_for_7_days",
              "readings", "resets", "alarm_onsets"):
        print("  %-30s %s" % (k, out[k]))
    print("  %-30s median %.1f ms, p99 %.1f ms" % ("reading_to_alarm_ms",
                                                  out["reading_to_alarm_ms"]["median"],
                                                  out["reading_to_alarm_ms"]["p99"]))
    print("  full_day (forwarding on):     %s" % out["full_day"])
    print("  outage_day (Nightscout down): %s" % out["outage_day"])
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
