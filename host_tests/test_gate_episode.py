"""Review of session 44 (helper-195; the test failed before its mend): a follower box with follow.sound "unanswered" whose own settings warn of a
predicted urgent low (urgent_low_soon, on by default) while its leader box does not raise
it (its predicted urgent low turned off on the setup page, or a lower urgent_low there).

The leader's family long-presses the leader's `low` (acknowledged: held until the low
clears). At the leader, a long press "holds only while things do not get worse"
(engine: an acknowledged low sounds again when urgent_low_soon starts) - but there
urgent_low_soon never starts. Here it does, and alarms.gate lets the leader's answered
*lesser* alarm of the episode answer for this box's *more urgent* one, so the parents'
box never warns of the coming urgent low: silent ("at_leader") for as long as the
leader's low stays acknowledged (hours), until the urgent low itself (and then one more
escalation step there). README "Follower box": "It sounds here ... [when] the leader
does not have that alarm (other thresholds, a lag): nobody hears it but here";
helper-172 mended the same case on the high side (urgent high out of the high episode).
"""
from apprun import run_app

FOLLOWER = {"role": "follower", "board": "esp32-devkitc",
            "follow": {"url": "http://10.0.0.2:17580", "poll_s": 10, "sound": "unanswered"}}

PROG = r'''
import vtime
vtime.install(0, wall_unix=1700000000)
import asyncio, json, main, reading, clock
from alarms import gate
app = main.App(CFG, boards_dirs=(BOARDS,))
app.gate, app.gate_poll_s = gate, 10       # as wiring sets them for follow.sound "unanswered"
out = {"samples": []}
async def night():
    asyncio.create_task(app.alarm_task(lambda: None))
    await asyncio.sleep_ms(500)
    # a steady fall of 2 mg/dL/min, a reading every 5 min; the leader's word at each poll:
    # its low long-pressed (acknowledged) there, nothing else (its urgent_low_soon is off)
    sgv = 110
    for k in range(6):
        for p in range(30):
            app.leader_alarms({"alarms": {"low": ("acknowledged", 0, None)}, "age_s": 1})
            if p == 0:
                app.on_reading(reading.make(100000 + 300 * k, clock.unix(), sgv, -20, 6))
            await asyncio.sleep_ms(10000)
        out["samples"].append([sgv, dict((a["type"], a["status"]) for a in app.engine.active()),
                               list(app.ann._key[:4]) if app.ann._key else None])
        sgv -= 10
asyncio.run(night())
print("RESULT " + json.dumps(out))
'''


def test_the_leaders_answered_low_does_not_silence_this_boxs_predicted_urgent_low(tmp_path):
    out = run_app(tmp_path, FOLLOWER, PROG)
    soon = [s for s in out["samples"] if s[1].get("urgent_low_soon") == "sounding"]
    # this box's engine does warn of the urgent low coming (its own settings)
    assert soon, out
    # ...and nobody at the leader hears that warning (it has no urgent_low_soon): it must
    # sound here, not play "at_leader" behind the leader's answer to the lesser low
    for sgv, active, key in soon:
        assert key[0] == "urgent_low_soon" and key[3] == "sounding", (sgv, active, key, out)
