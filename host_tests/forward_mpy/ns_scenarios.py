# Nightscout uploader scenarios on MicroPython, beside a stand-in for the
# alarm path. Prints one JSON line with what happened.
#   micropython ns_scenarios.py SCENARIO API_PORT CONTROL_PORT [ARG]
# Scenarios: outage, hang, auth, error200, empty200, noclock, persist1 PATH, persist2 PATH,
# sensorstart PATH first|again.
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
import clock
import vtime
from forward.nightscout import NightscoutUploader
from forward.queue import UploadQueue

SECRET = "0123456789abcdef"
scenario, port, cport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
arg = sys.argv[4] if len(sys.argv) > 4 else None
logs = []
conds = []


def log(msg):
    logs.append(msg)


class AlarmStandIn:
    """The alarm path: readings arrive as IRQ-like events (vtime.call_at sets a
    ThreadSafeFlag); the task must handle each promptly whatever forwarding
    does. Latency is measured in real time (blocking shows up there) plus
    virtual time (a stalled scheduler shows up there)."""

    def __init__(self):
        self.flag = asyncio.ThreadSafeFlag()
        self.pending = []
        self.lat_ms = []
        self.virt_ms = []  # the virtual-time part alone: a stalled scheduler
        self.handled = 0
        self.on_reading = None

    def arrive(self, reading):
        self.pending.append((reading, fwenv.real_us(), fwenv.now_ms()))
        self.flag.set()

    async def run(self):
        while True:
            await self.flag.wait()
            while self.pending:
                r, t_real, t_virt = self.pending.pop(0)
                # the "alarm decision" happens here
                self.handled += 1
                real = fwenv.real_diff_us(fwenv.real_us(), t_real) / 1000
                self.lat_ms.append(real + (fwenv.now_ms() - t_virt))
                self.virt_ms.append(fwenv.now_ms() - t_virt)
                if self.on_reading:
                    self.on_reading(r)


stall = {"max_ms": 0}  # longest real time between heartbeats: a blocking call stalls every task


async def heartbeat():
    # gives real sockets a slice of real time every 200 ms of virtual time
    last = fwenv.real_us()
    while True:
        await asyncio.sleep_ms(200)
        now = fwenv.real_us()
        stall["max_ms"] = max(stall["max_ms"], fwenv.real_diff_us(now, last) / 1000)
        last = now


def schedule_readings(alarm, start_s, n, dex0=10000):
    base_us = vtime.monotonic_us()
    for i in range(n):
        t_us = base_us + (start_s + i * 300) * 1000000
        vtime.call_at(t_us, lambda i=i: alarm.arrive(
            (dex0 + i * 300, clock.unix(), 90 + (i * 7) % 120, (i % 9) * 10 - 40, 6, "live")))


def make(secret=SECRET, **kw):
    return NightscoutUploader({"url": "http://127.0.0.1:%d" % port, "lan": True, "secret": secret},
                              on_condition=lambda k, n, a: conds.append([k, n, a]), log=log, **kw)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else None


def result(up, alarm, **extra):
    st = fwenv.control(cport)
    dates = [e["date"] for e in st["entries"]]
    out = {"scenario": scenario, "stored": len(dates), "dates_in_order": dates == sorted(dates),
           "unique": len(set(dates)) == len(dates), "posts_max": max(st["posts"].values() or [0]),
           "server_auth_failures": st["auth_failures"], "conds": conds, "queue_left": len(up.queue),
           "stats": up.stats, "lat_median_ms": pct(alarm.lat_ms, 0.5),
           "lat_p99_ms": pct(alarm.lat_ms, 0.99), "handled": alarm.handled,
           "lat_virtual_max_ms": max(alarm.virt_ms) if alarm.virt_ms else None,
           "stall_max_ms": stall["max_ms"],
           "secret_in_logs": any(SECRET in m or "f2a" in m for m in logs),
           "timeouts": sum(1 for m in logs if "no answer within" in m),
           "logs": logs[-5:]}
    out.update(extra)
    print(json.dumps(out))


async def outage():
    # 1 h normal, 1 h server down, then back: every reading must arrive once, in order
    alarm = AlarmStandIn()
    up = make()
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    n = 36  # 3 h of readings
    schedule_readings(alarm, 1, n)
    await asyncio.sleep(3600)
    fwenv.control(cport, "POST", "/mode", {"mode": "down"})
    await asyncio.sleep(3600)
    in_queue = len(up.queue)
    fwenv.control(cport, "POST", "/mode", {"mode": "ok"})
    await asyncio.sleep(3 * 3600 - 7200 + 900)
    result(up, alarm, sent=n, queued_during_outage=in_queue)


async def hang():
    # baseline latency without forwarding, then the same with a server that hangs
    alarm = AlarmStandIn()
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    schedule_readings(alarm, 1, 12)
    await asyncio.sleep(3600)
    base = list(alarm.lat_ms)
    alarm.lat_ms = []
    base_stall = stall["max_ms"]
    stall["max_ms"] = 0
    fwenv.control(cport, "POST", "/mode", {"mode": "hang"})
    up = make()
    alarm.on_reading = up.submit
    asyncio.create_task(up.run())
    schedule_readings(alarm, 1, 12, dex0=50000)
    await asyncio.sleep(3600 + 600)
    fwenv.control(cport, "POST", "/mode", {"mode": "ok"})
    await asyncio.sleep(900)
    result(up, alarm, base_median_ms=pct(base, 0.5), base_p99_ms=pct(base, 0.99),
           base_stall_max_ms=base_stall)


async def auth():
    alarm = AlarmStandIn()
    up = make(secret="a-wrong-secret-value")
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    schedule_readings(alarm, 1, 24)
    await asyncio.sleep(2 * 3600)
    result(up, alarm, delay_s=up.delay_s)


async def error200(mode=None):
    # a server that answers 200 without storing (an error object, a captive
    # portal's page, an empty array): nothing may be taken as delivered until
    # Nightscout answers with the array of what it stored
    alarm = AlarmStandIn()
    fwenv.control(cport, "POST", "/mode", mode or {"mode": "error", "status": 200})
    up = make()
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    schedule_readings(alarm, 1, 12)
    await asyncio.sleep(3600)
    in_queue = len(up.queue)
    fwenv.control(cport, "POST", "/mode", {"mode": "ok"})
    await asyncio.sleep(1800)
    result(up, alarm, queued_during_fault=in_queue)


async def noclock():
    # the box starts with no wall clock (the ESP32 counts from 2000) and NTP is
    # blocked: the link gives readings without a wall time (link/core.py) until
    # the clock is set, here only by the Nightscout server's Date header
    from forward.timesync import TimeSync

    class NoNtp:
        def time(self):
            raise OSError(110)
    vtime.set_wall(3600)  # 2000-01-01 01:00: not a valid wall clock
    assert not clock.wall_valid()
    ts = TimeSync(None, ntp=NoNtp(), log=log)
    alarm = AlarmStandIn()
    up = make(on_server_date=ts.offer_date)
    state = {"activation": None}

    def link_reading(i):
        # as link/core.py: the wall time is activation + transmitter time, known
        # only once the wall clock is valid
        dex = 10000 + i * 300
        if state["activation"] is None and clock.wall_valid():
            state["activation"] = clock.unix() - dex
        unix_s = None if state["activation"] is None else state["activation"] + dex
        alarm.arrive((dex, unix_s, 100 + i, 0, 6, "live"))
    base_us = vtime.monotonic_us()
    for i in range(12):
        vtime.call_at(base_us + (1 + i * 300) * 1000000, link_reading, i)
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(ts.run())
    asyncio.create_task(up.run())
    await asyncio.sleep(3600 + 900)
    result(up, alarm, clock_set=clock.wall_valid(), time_source=ts.source,
           activation=state["activation"])


async def noclock_hours():
    # no wall clock all night (no NTP, a server that sends no Date): the link's
    # readings come without a wall time and are held (3 h), then one is dropped
    # per reading; queue_full must say so once, not raise and clear every 5 min
    vtime.set_wall(3600)
    alarm = AlarmStandIn()
    up = make()
    base_us = vtime.monotonic_us()
    for i in range(60):
        vtime.call_at(base_us + (1 + i * 300) * 1000000,
                      lambda i=i: alarm.arrive((10000 + i * 300, None, 100 + i, 0, 6, "live")))
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    await asyncio.sleep(5 * 3600 + 120)
    result(up, alarm, dropped=up.queue.dropped)


async def persist1():
    # server down: readings pile up and reach flash (sparingly), then "power cut"
    alarm = AlarmStandIn()
    fwenv.control(cport, "POST", "/mode", {"mode": "down"})
    up = make(store_path=arg, queue=UploadQueue(save_interval_s=1800))
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    schedule_readings(alarm, 1, 24)
    await asyncio.sleep(2 * 3600 + 60)
    import os
    print(json.dumps({"scenario": scenario, "queued": len(up.queue),
                      "file_bytes": os.stat(arg)[6], "saved_entries": (os.stat(arg)[6] - 12) // 12}))


async def persist2():
    fwenv.control(cport, "POST", "/mode", {"mode": "ok"})
    alarm = AlarmStandIn()
    up = make(store_path=arg)
    restored = len(up.queue)
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    await asyncio.sleep(int(sys.argv[5]) if len(sys.argv) > 5 else 600)
    result(up, alarm, restored=restored)


async def sensorstart():
    # the link's sensor session (app.wiring._session), its start estimated anew, a second
    # off either way, at each call: session A started 2 h before; the server goes down at
    # 1 h, a new sensor (B) starts at 1.5 h, the server is back at 2 h. "again": a reboot
    # onto the same file while B runs
    activation = 1700000000 - 3 * 86400
    starts = {"A": 3 * 86400 - 7200, "B": 3 * 86400 + 5400}
    calls = [0]

    def session():
        calls[0] += 1
        now_dex = clock.unix() - activation
        start = starts["B" if arg2 == "again" or now_dex >= starts["B"] else "A"]
        return ("8G1234", start, activation + start + calls[0] % 3 - 1, 10 * 86400 - (now_dex - start))
    alarm = AlarmStandIn()
    up = make(session=session, start_path=arg)
    alarm.on_reading = up.submit
    asyncio.create_task(alarm.run())
    asyncio.create_task(heartbeat())
    asyncio.create_task(up.run())
    schedule_readings(alarm, 1, 36, 3 * 86400)
    if arg2 == "again":
        await asyncio.sleep(1800)
    else:
        await asyncio.sleep(3600)
        fwenv.control(cport, "POST", "/mode", {"mode": "down"})
        await asyncio.sleep(3600)
        fwenv.control(cport, "POST", "/mode", {"mode": "ok"})
        await asyncio.sleep(3600)
    st = fwenv.control(cport)
    result(up, alarm, treatments=st["treatments"], treatment_posts=st["treatment_posts"],
           session_calls=calls[0])


arg2 = sys.argv[5] if len(sys.argv) > 5 else None
asyncio.run({"outage": outage, "hang": hang, "auth": auth, "persist1": persist1,
             "persist2": persist2, "error200": error200, "noclock": noclock,
             "empty200": lambda: error200({"mode": "empty"}),
             "noclock_hours": noclock_hours, "sensorstart": sensorstart}[scenario]())
