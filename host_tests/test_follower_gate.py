"""A follower box with follow.sound "unanswered" (alarms.gate), end to end on the
MicroPython unix port: a REAL leader main.App (its LAN API, as wiring makes it,
on a loopback port; readings given as its link would, app.on_reading) and a REAL
follower main.App (role follower, poll_s 10) in one process, on the virtual
clock, over real sockets. The patient falls 80 -> 65 mg/dL (a reading every
5 min) and nobody answers at first:

1. the leader sounds its low-side alarm (urgent_low_soon here) and escalates
   it; the follower's engine has the same alarm, but its annunciator plays it
   silently ("at_leader") the whole time the leader's is below level 3;
2. the leader's alarm reaches level 3 (3 x escalate_minutes): the follower
   sounds it within a poll and a tick;
3. a press at the leader (its snooze): the follower is silent again within a
   poll and a tick, and stays so while the leader's snooze runs;
4. the leader's LAN API stops (the box off the network): the follower, which
   plays the leader's alarm silently, asks again (poll_s here, under RETRY_S) and
   sounds at the third poll in a row without the leader's word, long before its own
   `link` (leader_silent);
5. the control: with "sound": "all" the follower sounds at its own onset.

The leader has no transmitter_id and no link task: its `link` (not_configured)
and `device` (config) alarms are cleared a second after the start (left to reach
level 3 there, they raised the follower's `link` leader_unanswered: by design).
The alarm settings shorten the leader's snooze to SNOOZE_MIN (on both boxes). Each App has its own RTC memory: the fake
machine.RTC keeps ONE module-wide memory (tools/host/machine.py), which the two
boxes would share (the second App would load the first's record: boots 2)."""
import json
import os

import pytest

from conftest import APP_MICROPYPATH, ROOT, free_port, run_micropython, state_at as key_at

POLL_S = 10
TICK_S = 5     # main.TICK_S: the alarm task's round
SLACK_MS = 1500   # the sampler's 1 s, a request on loopback
SNOOZE_MIN = 10   # urgent_low_soon_snooze (default 30): the whole scenario in 32 min
# (virtual; some 25 s of real time: each poll waits a few ms of real time for the sockets)

PROG = r'''
import sys, json
import virtual_esp32
virtual_esp32.install(0, 1700000000)
import asyncio, machine, main, clock, reading
from app import log, wiring
from forward import history

logs = []
def sink(line):
    logs.append("%d %s" % (clock.ms() // 1000, line))
    del logs[:-120]
log.sink = sink


class OwnRtc(machine.RTC):
    """RTC memory of one box (the fake's is module-wide: both Apps would share it)."""
    def __init__(self):
        self.mem = b""

    def memory(self, data=None):
        if data is None:
            return self.mem
        self.mem = bytes(data)


shared_rtc, machine.RTC = machine.RTC, OwnRtc
leader = main.App(LEADER, boards_dirs=(BOARDS,))
follower = main.App(FOLLOWER, boards_dirs=(BOARDS,))
machine.RTC = shared_rtc
for a in (leader, follower):
    a.setup_port = a.dns_port = None
leader.http_host = "127.0.0.1"
# the leader's LAN API as wiring._forwarding makes it (without Wi-Fi in the config,
# which would start NTP at pool.ntp.org): its history fed by the readings, wiring._lan_api
hist = history.History(288)
leader.listeners.append(lambda ev: ev.get("event") == "reading"
                        and hist.add(wiring._as_reading(ev), clock.back_s()))
wiring._lan_api(leader, {"port": PORT}, hist)

out = {"leader": [], "follower": [], "keys": [], "marks": {}, "dropped": []}

# requests the follower makes, lost while DROP[0] counts down (its Wi-Fi; the leader is fine)
from forward import http as fhttp
DROP, real_request = [0], fhttp.request


async def lossy_request(method, host, port, path, *a, **kw):
    if DROP[0] > 0:
        DROP[0] -= 1
        out["dropped"].append([clock.ms(), path.split("?")[0]])
        raise OSError(113)
    return await real_request(method, host, port, path, *a, **kw)


fhttp.request = lossy_request


def listener(who):
    def fn(ev):
        if ev.get("event", "").startswith("alarm_"):
            out[who].append([clock.ms(), ev["event"], ev["type"], ev.get("level"), ev.get("reason"),
                             ev.get("until_s")])
    return fn


leader.listeners.append(listener("leader"))
follower.listeners.append(listener("follower"))


async def patient():
    k = 0
    await asyncio.sleep(60)
    while not LOST:   # 80, 75, 70, 65 mg/dL, then flat: a low-side alarm, nobody treats
        sgv = max(65, SGV0 - STEP * k)
        leader.on_reading(reading.make(100000 + clock.ms() // 1000, clock.unix() + AHEAD, sgv,
                                       -2 * STEP if sgv > 65 else 0, 6))
        k += 1
        await asyncio.sleep(300)


async def sampler():
    last = [None, None]
    while True:
        for i, a in enumerate((leader, follower)):
            key = a.ann._key
            key = None if key is None else list(key)
            if key != last[i]:
                last[i] = key
                out["keys"].append([clock.ms(), i, key])
        await asyncio.sleep(1)


async def scenario():
    global LOST, AHEAD
    asyncio.create_task(leader.start())
    asyncio.create_task(follower.start())
    await asyncio.sleep(1)
    # no transmitter here (the readings come below): neither its `link` (not_configured) nor
    # `device` (config: transmitter_id not set) is this test's; unanswered at level 3 at the
    # leader, the follower would wake for them (its `link` leader_unanswered)
    leader.condition("link", "not_configured", False)
    leader.condition("device", "config", False)
    asyncio.create_task(patient())
    asyncio.create_task(sampler())
    t = 1
    for minute, what in sorted(ACTIONS):
        await asyncio.sleep(minute * 60 - t)
        t = minute * 60
        out["marks"][what] = clock.ms()
        if what == "press":
            out["marks"]["press_answered"] = leader.snooze()
        elif what == "stop":   # the leader off the network: its server closed, not restarted
            leader.lan_api.stop()
            leader.sup.pause(("web",))
        elif what == "lost":   # the leader's readings stop (its transmitter lost, a warm-up)
            LOST = True
        elif what == "ack":
            leader.acknowledge()
        elif what == "stopped":   # a transmitter reset ended the sensor's session (link.core sensor_state)
            LOST = True
            leader.condition("sensor", "stopped", True)
        elif what == "attention":   # a new problem of the sensor alarm: it names it from now
            leader.condition("sensor", "attention", True)
        elif what == "not_heard":   # its transmitter not heard: the link alarm (no_transmitter)
            LOST = True
            leader.condition("link", "no_transmitter", True)
        elif what == "fault":   # the leader box's own fault (its flash), its readings going on
            leader.condition("device", "flash", True)
        elif what == "slot":   # another device takes the transmitter's slot (link.core): names it
            leader.condition("link", "slot_conflict", True)
        elif what == "ahead":   # the leader's readings dated 15 min ahead: refused here
            AHEAD = 900
        elif what == "gone":   # the leader off the network just after a report reached the follower
            was = follower._leader
            while follower._leader is was:
                await asyncio.sleep(0.1)
            out["marks"]["gone_report"] = clock.ms()
            leader.lan_api.stop()
            leader.sup.pause(("web",))
        elif what == "drop2":   # the follower's next two requests lost (the Wi-Fi), the leader fine
            DROP[0] = 2
    out["gate"] = follower.gate is not None
    out["boots"] = [leader.rtc.boots, follower.rtc.boots]
    out["leader_active"] = leader.engine.active()
    out["follower_active"] = follower.engine.active()
    from screen import view   # what each box's screen says now: title, detail
    out["screens"] = [list(view.compose(None, None, a.shown(), 600)[3:5]) for a in (leader, follower)]
    out["log"] = logs[-40:]
    print("RESULT " + json.dumps(out))
    sys.exit(0)


asyncio.run(scenario())
'''


def run_boxes(tmp_path, sound, actions, sgv0=80, step=5, alarms=None, poll_s=POLL_S):
    """Run the leader and the follower (follow.sound `sound`, poll_s); actions:
    [(minute, "press" | "stop" | "gone" | "drop2" | "lost" | "stopped" | "attention" | "not_heard"
    | "slot" | "fault" | "ack" | "ahead" | "end")] ("gone": "stop" just after the follower's next report;
    "drop2": the follower's next two requests lost; "stopped": "lost" with the leader's sensor
    alarm "stopped"; "attention": its sensor alarm "attention" too; "not_heard": "lost" with its
    link alarm "no_transmitter"; "slot": its link alarm "slot_conflict" too; "fault": its device
    alarm "flash"); the patient's
    readings: sgv0, then `step` less each 5 min, down to 65. Returns the program's RESULT."""
    port = free_port()
    alarms = dict({"urgent_low_soon_snooze": SNOOZE_MIN}, **(alarms or {}))   # the same on both boxes
    leader = {"board": "esp32-devkitc", "lan_api": {"enabled": True, "port": port}, "alarms": alarms}
    follower = {"board": "esp32-devkitc", "role": "follower", "lan_api": {"enabled": False}, "alarms": alarms,
                "follow": {"url": "http://127.0.0.1:%d" % port, "poll_s": poll_s, "sound": sound}}
    paths = {}
    for name, cfg in (("leader", leader), ("follower", follower)):
        p = tmp_path / (name + ".json")
        p.write_text(json.dumps(cfg))
        paths[name] = str(p)
    head = "LEADER, FOLLOWER, BOARDS, PORT, ACTIONS, SGV0, STEP, LOST, AHEAD = %r, %r, %r, %d, %r, %d, %d, False, 0\n" % (
        paths["leader"], paths["follower"], os.path.join(ROOT, "boards"), port, actions, sgv0, step)
    r = run_micropython(["-c", head + PROG], cwd=str(tmp_path), heap="4M", timeout=120, check=False,
                        env={"MICROPYPATH": APP_MICROPYPATH})
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(line[0][7:])


def keys_of(out, box):
    """[(t_ms, annunciator key)] of one box (0 leader, 1 follower), at each change."""
    return [(t, k) for t, i, k in out["keys"] if i == box]


def first(events, event, kind, level=None, after=0):
    for e in events:
        if e[1] == event and e[2] == kind and (level is None or e[3] == level) and e[0] >= after:
            return e
    return None


LOW_SIDE = ("urgent_low", "urgent_low_soon", "low")
# level 3 at the leader at ~21 min; its snooze ends at 33, and its urgent_low_soon hands
# over to a `low` sounding afresh at level 0 (65 mg/dL, flat), which this box (not pressed,
# still on urgent_low_soon) must take as the same episode: silent still
PRESS_MIN, STOP_MIN, END_MIN = 23, 36, 38


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """One run for the four phases (each its own test: each fails on its own when
    the gate is gone): the leader's alarm (its type, onset, level 3), the
    follower's onset of it and its annunciator's keys."""
    out = run_boxes(tmp_path_factory.mktemp("gate"), "unanswered",
                    [(PRESS_MIN, "press"), (STOP_MIN, "stop"), (END_MIN, "end")])
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log")})
    assert out["gate"] and out["boots"] == [1, 1], why   # (each box its own RTC memory)
    lead, fol = out["leader"], out["follower"]
    onsets = [e for e in lead if e[1] == "alarm_onset" and e[2] in LOW_SIDE]
    assert onsets, why
    kind, t_on = onsets[0][2], onsets[0][0]
    f_on = first(fol, "alarm_onset", kind)
    assert f_on and t_on <= f_on[0] <= t_on + POLL_S * 1000 + SLACK_MS, why   # the same alarm here
    t3 = first(lead, "alarm_escalate", kind, 3)
    assert t3 and t3[0] - t_on >= 15 * 60000 - 1000, why   # 3 x escalate_minutes (5) after the onset
    assert t3[0] < out["marks"]["press"], why
    return dict(out, why=why, kind=kind, f_on=f_on[0], t3=t3[0], fkeys=keys_of(out, 1))


def sounding_from(fkeys, t):
    """The follower's first change to a sounding key at or after t: (t_ms, key) or None."""
    for kt, k in fkeys:
        if kt >= t and k is not None and k[3] == "sounding":
            return kt, k
    return None


def test_1_the_followers_alarm_plays_silently_while_the_leader_sounds_it_below_level_3(night):
    n, why = night, night["why"]
    during = [k for t, k in n["fkeys"] if n["f_on"] <= t < n["t3"]] + [key_at(n["fkeys"], n["f_on"] + 1000)]
    assert all(k is not None and k[0] == n["kind"] and k[3] == "at_leader" for k in during), why
    assert not [k for t, k in n["fkeys"] if t < n["t3"] and k is not None and k[3] == "sounding"], why


def test_2_unanswered_to_level_3_at_the_leader_it_sounds_here_within_a_poll_and_a_tick(night):
    n, why = night, night["why"]
    assert key_at(n["fkeys"], n["t3"] - 1)[3] == "at_leader", why   # silent until then
    loud = sounding_from(n["fkeys"], n["t3"])
    assert loud and loud[1][0] == n["kind"], why
    assert loud[0] - n["t3"] <= (POLL_S + TICK_S) * 1000 + SLACK_MS, why
    assert key_at(n["fkeys"], n["marks"]["press"] - 1)[3] == "sounding", why   # and went on


def test_3_a_press_at_the_leader_keeps_the_follower_silent_through_its_snooze_and_after(night):
    # silent again within a poll and a tick, all through the leader's snooze, and after it
    # when the leader's episode goes on as another alarm below level 3 (helper-169: this
    # box sounded its urgent_low_soon, high, 10 s after the leader's `low` started afresh)
    n, why, fkeys = night, night["why"], night["fkeys"]
    t_press, t_stop = n["marks"]["press"], n["marks"]["stop"]
    assert n["marks"]["press_answered"], why
    snoozed = first(n["leader"], "alarm_snooze", n["kind"], after=t_press)
    assert snoozed and snoozed[5] * 1000 < t_stop - 60000, why       # it ended before the stop
    after = [e for e in n["leader"] if e[0] >= snoozed[5] * 1000 and e[1] == "alarm_onset"]
    assert after and after[0][2] in LOW_SIDE and after[0][2] != n["kind"], why   # the episode moved on
    quiet = [t for t, k in fkeys if t >= t_press and k is not None and k[3] == "at_leader"]
    assert quiet and quiet[0] - t_press <= (POLL_S + TICK_S) * 1000 + SLACK_MS, why
    assert all(k is not None and k[3] == "at_leader" for t, k in fkeys if quiet[0] <= t <= t_stop), why
    assert key_at(fkeys, t_stop)[3] == "at_leader", why


def test_4_the_leader_gone_the_follower_sounds_at_the_third_poll_without_its_word(night):
    # a poll and its two retries (poll_s apart here: under RETRY_S) without the leader's
    # word while this box plays its alarm silently on it: it sounds then, not at the first
    # failed poll, nor once the report is stale (2 * poll_s + 30 s), and long before
    # leader_silent (silent_min 15)
    n, why, fkeys = night, night["why"], night["fkeys"]
    t_stop = n["marks"]["stop"]
    assert key_at(fkeys, t_stop - 1)[3] == "at_leader", why   # silent until the leader went
    loud = sounding_from(fkeys, t_stop)
    assert loud and loud[1][0] == n["kind"], why
    waited = loud[0] - t_stop
    assert 2 * POLL_S * 1000 - SLACK_MS <= waited <= (3 * POLL_S + TICK_S) * 1000 + SLACK_MS, why
    assert key_at(fkeys, n["marks"]["end"])[3] == "sounding", why
    # neither leader_silent nor leader_unanswered all night
    assert not first(n["follower"], "alarm_onset", "link"), why


def test_with_sound_all_the_follower_sounds_its_alarm_at_once(tmp_path):
    # the control: the same boxes, follow.sound "all" (the default): the follower's
    # alarm sounds at its onset, whatever the leader's level
    out = run_boxes(tmp_path, "all", [(8, "end")])
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log")})
    assert not out["gate"], why
    fol, fkeys = out["follower"], keys_of(out, 1)
    onsets = [e for e in fol if e[1] == "alarm_onset" and e[2] in LOW_SIDE]
    assert onsets, why
    kind, t_on = onsets[0][2], onsets[0][0]
    lead_on = first(out["leader"], "alarm_onset", kind)
    assert lead_on and first(out["leader"], "alarm_escalate", kind, 3) is None, why   # below 3 there
    loud = [(t, k) for t, k in fkeys if t >= t_on and k is not None and k[3] == "sounding"]
    assert loud and loud[0][1][0] == kind and loud[0][0] - t_on <= SLACK_MS, why
    assert not [k for t, k in fkeys if k is not None and k[3] == "at_leader"], why


def test_a_leader_without_readings_whose_family_answered_it_wakes_nobody_here(tmp_path):
    # helper-248 (helper-219): the leader's readings stop (its transmitter lost; a
    # sensor's warm-up is the same silence) and its no_data is acknowledged there.
    # This box's no_data plays silently (the leader has it), and its own link alarm
    # leader_silent, 15 min after the last reading, sounded here though the leader
    # was heard at every poll: the second person woken for an answered outage
    lost, ack, end = 7, 19, 30
    out = run_boxes(tmp_path, "unanswered", [(lost, "lost"), (ack, "ack"), (end, "end")],
                    sgv0=120, step=0, alarms={"no_data_minutes": 10})
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log")})
    assert out["gate"], why
    on = first(out["leader"], "alarm_onset", "no_data")
    assert on and on[0] < out["marks"]["ack"], why
    assert first(out["leader"], "alarm_ack", "no_data", after=out["marks"]["ack"]), why
    assert first(out["follower"], "alarm_onset", "no_data"), why     # it has the outage too
    assert not [k for t, k in keys_of(out, 1) if k is not None and k[3] == "sounding"], why
    assert not first(out["follower"], "alarm_onset", "link"), why    # nor leader_silent
    # the control: the leader then gone, this box sounds (its report stale, then leader_silent)
    out = run_boxes(tmp_path, "unanswered", [(lost, "lost"), (ack, "ack"), (20, "stop"), (end, "end")],
                    sgv0=120, step=0, alarms={"no_data_minutes": 10})
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log")})
    loud = sounding_from(keys_of(out, 1), out["marks"]["stop"])
    assert loud and loud[0] - out["marks"]["stop"] <= (2 * POLL_S + 30 + TICK_S) * 1000 + SLACK_MS, why


def test_a_leader_heard_whose_readings_are_refused_here_wakes_this_box_by_its_no_data(tmp_path):
    # session 55 (helper-249): a report of the leader's alarms now counts as hearing it,
    # so leader_silent no longer tells a chain whose readings this box refuses (dated
    # more than 5 min ahead of the leader's Date) while the leader has them. This box's
    # own no_data, which the leader (its readings fresh) does not have, must wake it
    ahead, end = 7, 40
    out = run_boxes(tmp_path, "unanswered", [(ahead, "ahead"), (end, "end")],
                    sgv0=120, step=0, alarms={"no_data_minutes": 10})
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "leader_active")})
    assert out["gate"], why
    assert not first(out["leader"], "alarm_onset", "no_data"), why       # the leader has its readings
    assert not first(out["follower"], "alarm_onset", "link"), why        # heard: no leader_silent
    on = first(out["follower"], "alarm_onset", "no_data")
    # its last reading taken is the one at 6 min (the one at 11 min is dated 15 min ahead);
    # no_data 10 min after it, with the follower's grace (60 + poll_s + 15 + 5 s) and a tick
    assert on and on[0] <= (6 * 60 + 10 * 60 + 60 + POLL_S + 20 + TICK_S) * 1000 + SLACK_MS, why
    loud = sounding_from(keys_of(out, 1), on[0])
    assert loud and loud[1][0] == "no_data" and loud[0] - on[0] <= TICK_S * 1000 + SLACK_MS, why


RETRY_S = 15   # forward.follower.RETRY_S: a poll without the leader's word while an alarm is held on it


def test_the_leader_gone_just_after_a_report_the_follower_sounds_after_a_poll_and_two_retries(tmp_path):
    # helper-248: a leader off just after a report of the alarm it sounds below its
    # unanswered level left it silent here until the report was stale: 2 x poll_s + 30 s
    # (150 s with poll_s 60, 10.5 min with 300). Now the poll that finds it gone is asked
    # again twice RETRY_S apart, and the third without its word sounds here: poll_s + 30 s
    poll_s = 60
    out = run_boxes(tmp_path, "unanswered", [(10, "gone"), (14, "end")], poll_s=poll_s)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log")})
    assert out["gate"], why
    fkeys, gone = keys_of(out, 1), out["marks"]["gone_report"]
    held = key_at(fkeys, gone - 1)
    assert held and held[0] in LOW_SIDE and held[3] == "at_leader", why   # played silently then
    loud = sounding_from(fkeys, gone)
    assert loud and loud[1][0] == held[0], why
    waited = loud[0] - gone
    assert (poll_s + 2 * RETRY_S) * 1000 - SLACK_MS <= waited <= (poll_s + 2 * RETRY_S + TICK_S) * 1000 + SLACK_MS, why
    assert not first(out["follower"], "alarm_onset", "link"), why
    assert any("no word from the leader" in line for line in out["log"]), why


def test_two_requests_lost_in_a_row_while_the_leaders_alarm_is_held_wake_nobody(tmp_path):
    # the retries keep what the window was left open for: a request lost during an
    # alarm the patient's family answers at the leader wakes nobody here. Two in a row
    # (the poll and its first retry) neither: before, the two polls a minute apart made
    # the report stale, and this box sounded until the next poll
    out = run_boxes(tmp_path, "unanswered", [(8, "drop2"), (14, "end")], poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "dropped")})
    assert out["gate"] and len(out["dropped"]) == 2, why
    fkeys = keys_of(out, 1)
    assert key_at(fkeys, out["marks"]["drop2"])[3] == "at_leader", why
    assert not [k for t, k in fkeys if k is not None and k[3] == "sounding"], why
    assert not first(out["leader"], "alarm_escalate", None, 3), why   # below level 3 there all along


def test_a_leader_whose_sensor_session_stopped_is_named_on_the_followers_no_data(tmp_path):
    # helper-369/372: a transmitter reset ends the sensor's session; the leader says
    # "SENSOR / start session" and its alarms.json carries that reason, but this box's
    # no_data (no sensor alarm of its own) said "NO DATA" alone, sounding or played
    # silently: the family woken here was not told where the trouble is
    stopped, end = 10, 36
    out = run_boxes(tmp_path, "unanswered", [(stopped, "stopped"), (end, "end")],
                    sgv0=120, step=0, poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "screens")})
    assert out["gate"], why
    # nobody answers at the leader: its sensor alarm escalated all the way, everything sounds here
    assert first(out["leader"], "alarm_escalate", "sensor", 3), why
    assert out["screens"][0] == ["SENSOR", "start session"], why
    assert key_at(keys_of(out, 1), out["marks"]["end"])[::3] == ["no_data", "sounding"], why
    assert out["screens"][1] == ["SENSOR", "start session"], why   # was NO DATA alone
    # the leader heard all along: never leader_silent (its unanswered sensor alarm: leader_unanswered)
    assert {e[4] for e in out["follower"] if e[2] == "link"} == {"leader_unanswered"}, why
    # answered at the leader: played silently here, and still named
    out = run_boxes(tmp_path, "unanswered", [(stopped, "stopped"), (12, "ack"), (end, "end")],
                    sgv0=120, step=0, poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "screens")})
    assert key_at(keys_of(out, 1), out["marks"]["end"])[::3] == ["no_data", "at_leader"], why
    assert out["screens"][1] == ["SENSOR", "at leader"], why   # was NO DATA / at leader


def test_with_sound_all_a_leader_that_answers_without_readings_is_not_called_silent(tmp_path):
    # helper-369/372: follow.sound "all" asks no alarms of the leader, and leader_silent
    # sounds silent_min after the last fresh entry whatever the cause. Its words said
    # "LEADER BOX / silent" while the leader box answered every poll and sounded its own
    # "SENSOR / start session" (a transmitter reset ended the session): the family was
    # sent to look for a box unplugged or off the Wi-Fi
    out = run_boxes(tmp_path, "all", [(10, "stopped"), (26, "end")], sgv0=120, step=0, poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "screens")})
    silent = first(out["follower"], "alarm_onset", "link")
    assert silent and silent[4] == "leader_silent", why       # as loud as before, as soon
    assert key_at(keys_of(out, 1), out["marks"]["end"])[::3] == ["link", "sounding"], why
    assert out["screens"] == [["SENSOR", "start session"], ["LEADER BOX", "no readings"]], why
    # the control: the leader off the network, its readings going on there: silent
    out = run_boxes(tmp_path, "all", [(10, "stop"), (26, "end")], sgv0=120, step=0, poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "screens")})
    assert first(out["follower"], "alarm_onset", "link")[4] == "leader_silent", why
    assert out["screens"][1] == ["LEADER BOX", "silent"], why


@pytest.mark.parametrize("first, then", [("stopped", "attention"), ("not_heard", "slot")])
def test_the_followers_no_data_says_the_cause_the_leaders_screen_says_whatever_names_its_alarm(
        tmp_path, first, then):
    # helper-373's (1): the leader's screen takes no_data's cause from any of its sensor
    # (else link) alarm's reasons (engine._with_cause); its alarms.json named each alarm's
    # newest problem only. A sensor alarm named "attention" with "stopped" among its reasons,
    # a link alarm named "slot_conflict" (another device took the slot) over "no_transmitter":
    # "SENSOR / start session", "TRANSMITTER / not heard" at the leader, "NO DATA" here
    out = run_boxes(tmp_path, "unanswered", [(10, first), (12, then), (36, "end")],
                    sgv0=120, step=0, poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "screens",
                                          "leader_active")})
    assert out["gate"], why
    named = {a["type"]: a["reason"] for a in out["leader_active"]}
    assert named.get("sensor" if first == "stopped" else "link") == then.replace("slot", "slot_conflict"), why
    assert key_at(keys_of(out, 1), out["marks"]["end"])[::3] == ["no_data", "sounding"], why
    assert out["screens"][1] == out["screens"][0], why   # was NO DATA alone
    assert out["screens"][0] == (["SENSOR", "start session"] if first == "stopped"
                                 else ["TRANSMITTER", "not heard"]), why


def test_the_followers_leader_unanswered_names_the_leaders_alarm_nobody_answers(tmp_path):
    # helper-373/374: the leader's own fault, unanswered there (its device alarm escalated
    # all the way), woke this box saying "LEADER BOX / not answered": not which alarm, so
    # the family could not tell a box fault from the patient's sensor before getting up.
    # Words only: the same sound at the same time
    out = run_boxes(tmp_path, "unanswered", [(2, "fault"), (20, "end")], sgv0=120, step=0, poll_s=60)
    why = json.dumps({k: out[k] for k in ("leader", "follower", "keys", "marks", "log", "screens")})
    assert first(out["leader"], "alarm_escalate", "device", 3), why
    onset = first(out["follower"], "alarm_onset", "link")
    assert onset and onset[4] == "leader_unanswered", why
    assert key_at(keys_of(out, 1), out["marks"]["end"])[::3] == ["link", "sounding"], why
    assert out["screens"] == [["BOX FAULT", "flash"], ["LEADER BOX", "BOX FAULT"]], why   # was not answered
