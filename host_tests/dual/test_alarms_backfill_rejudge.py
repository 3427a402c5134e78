# The live reading that ends a gap is judged again once the gap's backfill reached the
# predictor (AlarmEngine.rejudge, called by the box after each batch of readings). The
# link gives the session's live reading first, then the gap's readings, oldest first: the
# live one was judged alone, and after a gap of over 30 min the filter restarts on it and
# predicts nothing; the warning the gap's readings give came only with the next reading,
# 5 min later. Runs on CPython and MicroPython.
from alarm_steps import MIN, make, feed

# 5-min readings: three before the gap, six in it (a fall of 1.5 mg/dL/min), the live one
FALL = [140 - 7.5 * i for i in range(10)]     # 140 ... 72.5
LIVE = 9


def _after_gap(eng, rejudge=True, late_s=10):
    """The first three readings in order, then (LIVE * 5 min + late_s) the live reading
    and the gap's backfill. The onsets of the live reading, and of the re-judging."""
    for i in range(3):
        feed(eng, i * 5 * MIN, FALL[i])
    t = LIVE * 5 * MIN + late_s
    live = feed(eng, t, FALL[LIVE], age_s=late_s)
    for i in range(3, LIVE):
        feed(eng, t + 2, FALL[i], age_s=t + 2 - i * 5 * MIN)
    later = eng.rejudge(t + 3) if rejudge else []
    return ([e["type"] for e in live if e["event"] == "alarm_onset"],
            [e["type"] for e in later if e["event"] == "alarm_onset"])


def test_the_gaps_backfill_gives_the_warning_at_once_that_the_readings_in_order_give():
    eng = make()
    for i, v in enumerate(FALL):          # the unbroken night: warned at the last reading
        feed(eng, i * 5 * MIN, v)
    assert eng.is_active("urgent_low_soon")
    live, later = _after_gap(make())
    assert live == [] and later == ["urgent_low_soon"], (live, later)


def test_nothing_to_rejudge_without_backfill_and_only_once_after_it():
    eng = make()
    assert eng.rejudge(0) == []
    _after_gap(eng)
    assert eng.rejudge(LIVE * 5 * MIN + 20) == []
    for i in range(3):                    # a reading repeated (no news): nothing again
        feed(eng, LIVE * 5 * MIN + 30, FALL[i], age_s=LIVE * 5 * MIN + 30 - i * 5 * MIN)
    assert eng.rejudge(LIVE * 5 * MIN + 31) == []


def test_a_stale_newest_reading_is_not_judged_again():
    # the batch came late: the live reading 11 min old (issue 4: a reading over 10 min
    # old never raises a glucose alarm)
    live, later = _after_gap(make(), late_s=11 * 60)
    assert live == ["no_data"] and later == [], (live, later)     # (no usable reading since 10 min)


def _unanswered_outage():
    """Three readings of the fall, then no_data (10 min) sounding unanswered to 45 min."""
    eng = make(no_data_minutes=10)
    for i in range(3):
        feed(eng, i * 5 * MIN, FALL[i])
    for t in range(10 * MIN + 5, 45 * MIN, 5):
        eng.tick(t)
    return eng


def test_a_warning_the_rejudge_starts_after_an_unanswered_no_data_sounds_at_its_level():
    # no_data sounded unanswered through the gap up to its top level; the live reading
    # that ended it started nothing alone, its rejudge the urgent-low-soon warning: that
    # warning ends the outage as a reading judged with its history would, at the level
    # nobody answered (at level 0: quieter, slower, and 15 min more before a follower box
    # counts it unanswered)
    eng = _unanswered_outage()
    nd = [a for a in eng.active() if a["type"] == "no_data"][0]
    assert nd["status"] == "sounding" and nd["level"] == 3, nd
    t = 45 * MIN + 10
    live = feed(eng, t, FALL[LIVE], age_s=10)
    assert [e["type"] for e in live if e["event"] == "alarm_onset"] == [], live
    for i in range(3, LIVE):
        feed(eng, t + 2, FALL[i], age_s=t + 2 - i * 5 * MIN)
    later = eng.rejudge(t + 3)
    uls = [a for a in eng.active() if a["type"] == "urgent_low_soon"][0]
    assert uls["status"] == "sounding" and uls["level"] == 3, uls
    assert "alarm_escalate" in [e["event"] for e in later], later   # its listeners are told


def test_a_press_between_the_live_reading_and_its_rejudge_is_someone_at_the_box():
    eng = _unanswered_outage()
    t = 45 * MIN + 10
    feed(eng, t, FALL[LIVE], age_s=10)
    eng.set_condition("link", "no_transmitter", True, t + 1)   # (something to press)
    eng.snooze(t + 1)
    for i in range(3, LIVE):
        feed(eng, t + 2, FALL[i], age_s=t + 2 - i * 5 * MIN)
    eng.rejudge(t + 3)
    uls = [a for a in eng.active() if a["type"] == "urgent_low_soon"][0]
    assert uls["status"] == "sounding" and uls["level"] == 0, uls


def test_the_events_of_a_rejudge_that_ran_out_of_memory_come_with_its_retry():
    # the warning was raised, then the rejudge ran out of memory (the box's alarm task
    # fails and its restart calls rejudge again): the retry found it raised, so its onset
    # never reached the listeners (MQTT's alarm topic, the log), as on_reading's retry does
    eng = make()
    for i in range(3):
        feed(eng, i * 5 * MIN, FALL[i])
    t = LIVE * 5 * MIN + 10
    feed(eng, t, FALL[LIVE], age_s=10)
    for i in range(3, LIVE):
        feed(eng, t + 2, FALL[i], age_s=t + 2 - i * 5 * MIN)
    real = eng._raise

    def raised_then_out_of_memory(kind, *args):
        real(kind, *args)
        raise MemoryError("memory allocation failed")

    eng._raise = raised_then_out_of_memory
    try:
        eng.rejudge(t + 3)
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    finally:
        eng._raise = real
    assert [a["type"] for a in eng.active()] == ["urgent_low_soon"], eng.active()
    ev = eng.rejudge(t + 4)
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["urgent_low_soon"], ev
    assert eng.rejudge(t + 5) == [], "delivered twice"


def test_the_gaps_backfill_reaches_the_fall_window_too():
    # fall alarm on (2 mg/dL/min): 200 before a 15-min gap, the live reading at 20 min is
    # 160. Alone in its 15-min window it has no rate; with the gap's readings (190, 180,
    # 170 at 5, 10, 15 min) it falls 2 mg/dL/min, as the readings in order say
    inorder = make(fall_enabled=True, fall_rate=2.0)
    for m, v in ((0, 200), (5, 190), (10, 180), (15, 170), (20, 160)):
        feed(inorder, m * MIN, v)
    assert inorder.is_active("fall")
    eng = make(fall_enabled=True, fall_rate=2.0)
    feed(eng, 0, 200)
    live = feed(eng, 20 * MIN + 10, 160, age_s=10)
    assert "fall" not in [e["type"] for e in live if e["event"] == "alarm_onset"]
    for m, v in ((5, 190), (10, 180), (15, 170)):
        feed(eng, 20 * MIN + 12, v, age_s=20 * MIN + 12 - m * MIN)
    feed(eng, 20 * MIN + 12, 190, age_s=20 * MIN + 12 - 5 * MIN)     # repeated: taken once
    assert [t for t, _ in eng._recent] == [5 * MIN, 10 * MIN, 15 * MIN, 20 * MIN]
    later = eng.rejudge(20 * MIN + 13)
    assert [e["type"] for e in later if e["event"] == "alarm_onset"] == ["fall"], later
    # a reading older than the window stays out of it
    feed(eng, 20 * MIN + 14, 195, age_s=20 * MIN + 14 - 2 * MIN)
    assert [t for t, _ in eng._recent] == [5 * MIN, 10 * MIN, 15 * MIN, 20 * MIN]


def _out_of_memory_after_a_raise(eng, call):
    """call() with the engine running out of memory right after its first raise (the box's
    alarm task fails there; its restart retries the reading, or the rejudge)."""
    real = eng._raise

    def raised_then_out_of_memory(kind, *args):
        eng._raise = real
        real(kind, *args)
        raise MemoryError("memory allocation failed")

    eng._raise = raised_then_out_of_memory
    try:
        call()
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    finally:
        eng._raise = real


def test_a_rejudge_retried_after_running_out_of_memory_keeps_the_outages_level():
    # as above, but the rejudge ran out of memory just after raising the warning: its retry
    # found it sounding, no longer "quiet", and left it at level 0 (quieter, slower, 15 min
    # more before a follower box counts it unanswered) after an outage nobody answered
    eng = _unanswered_outage()
    t = 45 * MIN + 10
    feed(eng, t, FALL[LIVE], age_s=10)
    for i in range(3, LIVE):
        feed(eng, t + 2, FALL[i], age_s=t + 2 - i * 5 * MIN)
    _out_of_memory_after_a_raise(eng, lambda: eng.rejudge(t + 3))
    ev = eng.rejudge(t + 4)
    uls = [a for a in eng.active() if a["type"] == "urgent_low_soon"][0]
    assert uls["status"] == "sounding" and uls["level"] == 3, uls
    assert [e["event"] for e in ev if e["type"] == "urgent_low_soon"] == ["alarm_onset", "alarm_escalate"], ev


def test_a_reading_retried_after_running_out_of_memory_keeps_the_outages_level():
    # the reading that ends an outage nobody answered starts an urgent low at no_data's level;
    # out of memory just after raising it, the retry of the reading found no_data cleared
    # (by the first try) and the urgent low sounding: it stayed at level 0
    eng = _unanswered_outage()
    t = 45 * MIN + 10
    _out_of_memory_after_a_raise(eng, lambda: feed(eng, t, 50, age_s=10))
    ev = feed(eng, t + 1, 50, age_s=11)
    ul = [a for a in eng.active() if a["type"] == "urgent_low"][0]
    assert ul["status"] == "sounding" and ul["level"] == 3 and ul["priority"] == "high", ul
    assert [e["event"] for e in ev if e["type"] == "urgent_low"] == ["alarm_onset", "alarm_escalate"], ev
