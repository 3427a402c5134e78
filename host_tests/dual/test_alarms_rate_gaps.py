# Fall/rise alarms across missed readings and resets (review of f0f7063's rate
# windows). Runs on CPython and MicroPython; a fixed LCG, no random module.
import reading
from alarm_steps import make, feed, kinds, lcg as _lcg


def _fall_engine():
    return make(fall_enabled=True, fall_rate=2, low_enabled=False, urgent_low_soon=False,
                high_enabled=False, urgent_high_enabled=False)


def _fall_events(events):
    return [e["event"] for e in events if e["type"] == "fall" and e["event"] in ("alarm_onset", "alarm_clear")]


def test_a_snoozed_fall_alarm_stays_snoozed_across_a_reset():
    # the saved state keeps the alarm, not the readings of its window: the first
    # reading after a reset (watchdog, power cut) had no rate, cleared the
    # snoozed alarm, and two readings later a new onset sounded through the snooze
    eng = _fall_engine()
    ev = []
    for k in range(4):                       # -3 mg/dL/min
        ev += feed(eng, k * 300, 380 - 15 * k)
    assert _fall_events(ev) == ["alarm_onset"]
    eng.snooze(901)
    blob = eng.save()
    eng = _fall_engine()
    assert eng.restore(blob, 920, 0) == []
    ev = []
    for k in range(4, 8):                    # the fall goes on
        ev += feed(eng, k * 300, 380 - 15 * k)
    assert _fall_events(ev) == [], ev
    assert [a["status"] for a in eng.active() if a["type"] == "fall"] == ["snoozed"]


def test_a_fall_alarm_holds_through_missed_readings_and_clears_when_the_fall_ends():
    eng = _fall_engine()
    ev = []
    for k in (0, 1, 2, 3, 6, 7, 8):          # two windows missed in a steady fall
        ev += feed(eng, k * 300, 380 - 15 * k)
    assert _fall_events(ev) == ["alarm_onset"], ev
    ev = []
    for k in (11, 12):                       # two more missed, then flat
        ev += feed(eng, k * 300, 200)
    assert _fall_events(ev) == ["alarm_clear"], ev


def _episodes(seed, miss_pct):
    """A day of flat glucose with steady falls (each >= 2.3 mg/dL/min for the
    limit 2), readings 0-30 s late, miss_pct % of them missed, a tick a minute.
    Returns (onsets per fall episode, onsets while flat for 20 min)."""
    eng = _fall_engine()
    g, last_fall, left, rate, ep = 300, -99, 0, 0, -1
    per_ep, flat_onsets = [], 0
    for k in range(288):
        seed = _lcg(seed)
        r = (seed >> 8) % 1000
        if left == 0 and g > 250 and k - last_fall > 5 and r < 150:
            left, rate, ep = 4 + r % 9, 11.5 + r % 20, ep + 1
            per_ep.append(0)
        if left:
            g, left, last_fall = g - rate, left - 1, k
            if g < 130:
                left = 0
        else:
            g = min(330, g + 8) if g < 250 else g + (r % 11 - 5) // 2
        seed = _lcg(seed)
        late = (seed >> 8) % 31
        for m in range(1, 5):
            eng.tick(k * 300 - 300 + m * 60 + 30)
        seed = _lcg(seed)
        if (seed >> 8) % 100 < miss_pct:
            continue
        for e in eng.on_reading(reading.make(k * 300, None, g, None, 6), k * 300 + late, 0):
            if e["type"] == "fall" and e["event"] == "alarm_onset":
                if k - last_fall > 3:
                    flat_onsets += 1
                else:
                    per_ep[ep] += 1
    return per_ep, flat_onsets


def test_one_fall_alarm_per_steady_fall_with_late_and_missed_readings():
    for seed in range(12):
        for miss in (0, 20):
            per_ep, flat_onsets = _episodes(seed, miss)
            assert per_ep and flat_onsets == 0, (seed, miss, per_ep)
            assert max(per_ep) == 1, (seed, miss, per_ep)


def test_a_fall_is_seen_in_readings_closer_than_five_minutes():
    # a follower box reading a Nightscout that two uploaders feed (the box and a
    # phone: each reading twice, seconds apart), or a CGM with 1-min readings:
    # four readings spanned under 9 min, so no rate ever and no fall alarm
    for label, times in (("twice", [t for k in range(8) for t in (k * 300, k * 300 + 7)]),
                         ("1-min", [k * 60 for k in range(40)])):
        eng = _fall_engine()
        ev = []
        for t in times:                      # -4 mg/dL/min
            ev += feed(eng, t, 300 - t * 4 // 60)
        assert _fall_events(ev) == ["alarm_onset"], (label, _fall_events(ev))


def test_a_rise_alarm_holds_through_missed_readings_and_clears_when_the_rise_ends():
    # the same rule, the other sign
    eng = make(rise_enabled=True, rise_rate=2, high_enabled=False, urgent_high_enabled=False)
    ev = []
    for k in (0, 1, 2, 3, 6, 7, 8):          # two windows missed in a steady rise
        ev += feed(eng, k * 300, 100 + 15 * k)
    def rise(events):
        return [e["event"] for e in events if e["type"] == "rise" and e["event"] != "alarm_escalate"]
    assert rise(ev) == ["alarm_onset"], ev
    ev = []
    for k in (11, 12):                       # two more missed, then flat
        ev += feed(eng, k * 300, 280)
    assert rise(ev) == ["alarm_clear"], ev


def test_two_readings_10_minutes_apart_give_no_rate_a_third_does():
    # README: the plain rate over the last 15 min needs "at least three" readings over
    # 10 min: a fall of 3 mg/dL/min seen by two readings around a missed one raises nothing
    eng = _fall_engine()
    ev = feed(eng, 0, 380)
    for k in (4, 6):                         # after a gap, two readings 10 min apart
        ev += feed(eng, k * 300, 380 - 15 * k)
    assert _fall_events(ev) == [], ev
    ev = feed(eng, 7 * 300, 380 - 15 * 7)    # the third: the fall is known
    assert _fall_events(ev) == ["alarm_onset"], ev
