# A leader box (the real LAN API on microdot, fed a reading every 5 minutes)
# and a follower box (forward.follower + its own alarm engine) in one
# MicroPython process on the virtual clock, over real loopback sockets.
# The link is cut (the leader's server stops) and later restored.
#   micropython leader_follower.py PORT  -> one JSON line of what happened
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv  # noqa: F401  (virtual clock at wall 1700000000, network fake, vtime fix)
import asyncio
import json

import clock
from alarms import settings
from alarms.engine import AlarmEngine
from forward.history import History
from forward.lanapi import LanApi
from forward.follower import Follower

port = int(sys.argv[1])
CUT_MIN, RESTORE_MIN, END_MIN = 90, 130, 153  # the end between a reading (150) and the next (155): a poll at 150 may come before or after the reading
out = {"readings": [], "conditions": [], "alarms": [], "leader_alarms": [], "errors": []}
history = History(288)
engine = AlarmEngine(settings.validate({}))         # the follower box's engine
leader_engine = AlarmEngine(settings.validate({}))  # the leader box's, for comparison


def now_s():
    return clock.ms() // 1000


def minute():
    return clock.ms() // 60000


def record(events, where="alarms"):
    for e in events:
        if e["event"] in ("alarm_onset", "alarm_clear"):
            out[where].append([minute(), e["event"], e["type"]])


def on_reading(r):
    out["readings"].append([minute(), r[2], r[3]])
    record(engine.on_reading(r, now_s(), max(0, clock.unix() - r[1])))


def on_condition(kind, name, active):
    out["conditions"].append([minute(), kind, name, active])
    record(engine.set_condition(kind, name, active, now_s()))


async def leader_transmitter():
    sgv = 112
    while True:  # a falling patient: 112, 109, ... crosses 70 (low) after ~70 min
        r = (clock.unix() - 1700000000, clock.unix(), sgv, -6, 6, "live")
        history.add(r)
        record(leader_engine.on_reading(r, now_s(), 0), "leader_alarms")
        sgv = max(60, sgv - 3)
        await asyncio.sleep(300)


async def ticker():
    while True:
        record(engine.tick(now_s()))
        record(leader_engine.tick(now_s()), "leader_alarms")
        await asyncio.sleep(30)


async def main():
    api = LanApi({"port": port}, history, log=lambda m: None)
    server = asyncio.create_task(api.run(host="127.0.0.1"))
    asyncio.create_task(leader_transmitter())
    asyncio.create_task(ticker())
    follower = Follower({"url": "http://127.0.0.1:%d" % port, "silent_min": 15, "poll_s": 120},
                        on_reading, on_condition, log=lambda m: out["errors"].append([minute(), m]))
    asyncio.create_task(follower.run())
    await asyncio.sleep(CUT_MIN * 60)
    api.stop()  # the link is cut: the leader keeps its readings, nobody can reach it
    await asyncio.sleep(1)
    server.cancel()
    out["cut_at"] = minute()
    await asyncio.sleep((RESTORE_MIN - CUT_MIN) * 60)
    api = LanApi({"port": port}, history, log=lambda m: None)
    asyncio.create_task(api.run(host="127.0.0.1"))
    out["restored_at"] = minute()
    await asyncio.sleep((END_MIN - RESTORE_MIN) * 60)
    out["status"] = follower.status()
    api.stop()


asyncio.run(main())
print(json.dumps(out))
