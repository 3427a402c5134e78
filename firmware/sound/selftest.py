# Start-up self-test: a short chirp and a red-yellow-green-blue light
# sequence (1 s), so that a dead buzzer or LED is noticed at every boot; and
# if the device restarted while an alarm was sounding, that alarm sounds
# again right after the chirp (well within 5 s of boot), before the engine
# has even restored its state.
#
#   ms = selftest.start(ann, was_sounding)   # the annunciator's task must run
#
# was_sounding (from persistence, e.g. RTC memory; None when nothing was
# sounding): the alarm dict as saved ({"type", "priority", "level"}) or just
# a priority string. It is replayed as a sounding alarm; the engine's own
# ann.set(engine.loudest()) later replaces it (also with None if the
# condition has ended). Returns the ms until the re-sound starts (0 when
# nothing is re-sounded).
import asyncio

RESOUND_WITHIN_MS = 5000


def _as_alarm(was):
    if isinstance(was, str):
        return {"type": None, "priority": was, "level": 0, "status": "sounding"}
    a = dict(was)
    a["status"] = "sounding"
    a.setdefault("level", 0)
    return a


def start(ann, was_sounding=None):
    chirp_ms = ann.selftest()
    if not was_sounding:
        return 0
    alarm = _as_alarm(was_sounding)
    delay = min(chirp_ms, RESOUND_WITHIN_MS - 1000)
    asyncio.create_task(_resound(ann, alarm, delay, ann.updates))
    return delay


async def _resound(ann, alarm, delay, updates):
    await asyncio.sleep_ms(delay)
    if ann.updates == updates:  # the engine has not said anything yet
        ann.set(alarm)
