# Alarm engine rules, one test per alarm type and rule. Runs on CPython and MicroPython.
from alarms import settings
from alarms.engine import AlarmEngine, EngineError, NO_DATA_GRACE_S as GRACE
import reading
import alarm_steps
from alarm_steps import MIN, make, series, kinds  # noqa: F401


def feed(eng, t_min, sgv, age_s=0, mod=None):
    return alarm_steps.feed(eng, t_min * MIN, sgv, age_s, mod)


def status(eng, kind):
    a = alarm_steps.alarm(eng, kind)
    return a and a["status"]


def test_urgent_low_onset_and_clear_with_hysteresis():
    eng = make()
    ev = series(eng, 0, [60, 58, 54])
    assert "urgent_low" in kinds(ev)
    e = [e for e in ev if e["type"] == "urgent_low"][0]
    assert e["priority"] == "high" and e["sgv"] == 54
    assert kinds(feed(eng, 15, 58), "alarm_clear") == []          # within hysteresis
    assert status(eng, "urgent_low") == "sounding"
    assert "urgent_low" in kinds(feed(eng, 20, 66), "alarm_clear")  # 55 + 10 reached


def test_low_threshold_and_default():
    eng = make()
    assert settings.validate({})["low"] == 70
    ev = series(eng, 0, [90, 90, 90, 90])
    assert kinds(ev) == []
    ev = series(eng, 20, [68, 67, 66])
    assert "low" in kinds(ev)
    ev = series(eng, 35, [75, 79])
    assert status(eng, "low") is not None       # hysteresis: clears at 80
    ev = series(eng, 45, [82, 84, 86])
    assert "low" in kinds(ev, "alarm_clear")


def test_urgent_low_soon_predicts_a_steady_fall():
    eng = make()
    ev = series(eng, 0, [150, 140, 130, 120, 110, 100, 90, 80, 70, 60, 50])     # -2 mg/dL/min
    onsets = [e for e in ev if e["event"] == "alarm_onset"]
    assert [e["type"] for e in onsets][0] == "urgent_low_soon"    # before the urgent low itself
    assert onsets[0]["priority"] == "high" and onsets[0]["sgv"] >= 65
    assert "urgent_low" in kinds(ev)


def test_urgent_low_soon_quiet_when_flat_or_disabled():
    eng = make()
    assert kinds(series(eng, 0, [75, 74, 76, 75, 74, 75, 76, 75])) == []
    eng = make(urgent_low_soon=False, low_enabled=False)
    assert kinds(series(eng, 0, [140, 130, 120, 110, 100, 90, 80])) == []


def test_low_fires_predictively_before_crossing():
    eng = make(urgent_low_soon=False)
    ev = series(eng, 0, [150, 140, 130, 120, 110, 100, 90, 80, 72])   # -2 mg/dL/min
    assert "low" in kinds(ev)
    assert [e for e in ev if e["type"] == "low"][0]["reason"] == "predicted"


def test_low_side_hierarchy_one_onset_per_episode():
    # urgent_low_soon is sounding: low would announce nothing new, so it does not
    # start; its condition keeps urgent_low_soon active until glucose recovers
    eng = make()
    ev = series(eng, 0, [150, 140, 130, 120, 110, 100, 90, 80, 72, 68, 66, 64, 64])
    assert kinds(ev) == ["urgent_low_soon"] and status(eng, "low") is None
    ev = series(eng, 65, [66, 68, 72, 76])
    assert kinds(ev) == [] and status(eng, "urgent_low_soon") is not None   # still below low + 10
    ev = series(eng, 85, [84, 88])
    assert kinds(ev, "alarm_clear") == ["urgent_low_soon"]
    # the urgent low itself still starts while urgent_low_soon is active
    ev = series(make(), 0, [150, 140, 130, 120, 110, 100, 90, 80, 70, 60, 50])
    assert "urgent_low" in kinds(ev)


def test_high_and_urgent_high():
    eng = make()
    ev = series(eng, 0, [240, 255])
    assert kinds(ev) == ["high"] and ev[0]["priority"] == "low"
    ev = [e for e in series(eng, 10, [290, 310]) if e["event"] == "alarm_onset"]
    assert kinds(ev) == ["urgent_high"] and ev[0]["priority"] == "medium"
    ev = series(eng, 20, [292, 240, 230])
    assert kinds(ev, "alarm_clear") == ["urgent_high", "high"]


def test_fall_and_rise_off_by_default_and_on_when_enabled():
    values = [200, 185, 170, 155, 140, 125]
    assert "fall" not in kinds(series(make(), 0, values))
    assert "fall" in kinds(series(make(fall_enabled=True), 0, values))
    up = [80, 95, 110, 125, 140, 155]
    assert "rise" in kinds(series(make(rise_enabled=True), 0, up))


def test_persistent_high():
    eng = make(persistent_high_enabled=True, persistent_high=180, persistent_high_minutes=60, high=300,
               urgent_high=350)
    ev = series(eng, 0, [200] * 12)            # 55 minutes above
    assert "persistent_high" not in kinds(ev)
    ev = series(eng, 60, [200])
    assert "persistent_high" in kinds(ev)


def test_no_data_raises_escalates_and_clears():
    eng = make()
    feed(eng, 0, 120)
    assert kinds(eng.tick(19 * MIN)) == []
    # the reading due at 20 min gets GRACE to arrive (a session takes seconds)
    assert kinds(eng.tick(20 * MIN + GRACE - 1)) == []
    ev = eng.tick(20 * MIN + GRACE)
    assert kinds(ev) == ["no_data"] and ev[0]["priority"] == "medium"
    ev = eng.tick(25 * MIN + GRACE) + eng.tick(30 * MIN + GRACE) + eng.tick(35 * MIN + GRACE)
    esc = [e for e in ev if e["event"] == "alarm_escalate"]
    assert [e["level"] for e in esc] == [1, 2, 3] and esc[-1]["priority"] == "high"
    assert "no_data" in kinds(feed(eng, 36 * MIN + GRACE, 120), "alarm_clear")


def test_no_data_from_boot_without_any_reading():
    eng = make()
    eng.tick(0)
    assert kinds(eng.tick(20 * MIN + GRACE - 1)) == []
    assert kinds(eng.tick(20 * MIN + GRACE)) == ["no_data"]


def test_stale_reading_never_raises_a_glucose_alarm():
    eng = make()
    ev = feed(eng, 0, 40, age_s=11 * MIN)
    assert [k for k in kinds(ev) if k != "no_data"] == []
    ev = feed(eng, 5, 40, age_s=0)
    assert "urgent_low" in kinds(ev)


def test_snoozed_alarm_does_not_reraise_from_stale_data():
    eng = make()
    series(eng, 0, [60, 50])
    eng.snooze(6 * MIN)
    assert status(eng, "urgent_low") == "snoozed"
    ev = eng.tick(40 * MIN)          # snooze over, but the last reading is 35 min old
    assert "urgent_low" not in kinds(ev)
    assert status(eng, "urgent_low") == "snoozed"
    assert "urgent_low" in kinds(feed(eng, 41, 50))   # a fresh one re-raises


def test_urgent_low_snooze_is_capped_and_reraises():
    eng = make()
    assert settings.validate({})["urgent_low_snooze"] == 15
    try:
        settings.validate({"urgent_low_snooze": 60})
        assert False, "a long urgent-low snooze must be refused"
    except settings.SettingsError as e:
        assert "urgent_low_snooze" in str(e) and "5..30" in str(e)
    series(eng, 0, [52])
    ev = eng.snooze(1 * MIN)
    assert ev[0]["event"] == "alarm_snooze" and ev[0]["until_s"] == 16 * MIN
    ev = []
    for t in range(2, 17):
        ev += eng.tick(t * MIN)
        if t % 5 == 0:
            ev += feed(eng, t, 52)
    assert "urgent_low" in kinds(ev)


def test_urgent_low_reraises_at_once_when_worse():
    eng = make()
    series(eng, 0, [54])
    eng.snooze(1 * MIN)
    assert kinds(feed(eng, 5, 50)) == []
    assert "urgent_low" in kinds(feed(eng, 10, 43))


def test_acknowledging_urgent_low_is_only_a_snooze():
    eng = make()
    series(eng, 0, [50])
    ev = eng.acknowledge(1 * MIN)
    assert ev[0]["event"] == "alarm_ack" and status(eng, "urgent_low") == "snoozed"
    eng.tick(15 * MIN)
    assert "urgent_low" in kinds(feed(eng, 16, 50))


def test_snoozing_a_high_never_hides_a_low():
    eng = make()
    series(eng, 0, [320])
    eng.snooze(1 * MIN)
    eng.snooze(2 * MIN)
    assert status(eng, "urgent_high") == "snoozed" and status(eng, "high") == "snoozed"
    ev = series(eng, 5, [150, 100, 60, 50])
    assert "urgent_low" in kinds(ev) and status(eng, "urgent_low") == "sounding"
    assert eng.loudest()["type"] == "urgent_low"


def test_snooze_targets_the_loudest_only():
    eng = make()
    series(eng, 0, [52])
    eng.set_condition("transmitter_battery", "battery_low", True, 60)
    eng.snooze(70)
    assert status(eng, "urgent_low") == "snoozed"
    assert status(eng, "transmitter_battery") == "sounding"


def test_acknowledge_silences_until_cleared():
    eng = make()
    series(eng, 0, [260])
    eng.acknowledge(60)
    assert status(eng, "high") == "acknowledged" and eng.loudest() is None
    eng.tick(500 * MIN)
    assert status(eng, "high") == "acknowledged"
    assert "high" in kinds(feed(eng, 501, 200), "alarm_clear")


def test_escalation_levels_and_priority_promotion():
    eng = make(escalate_minutes=2)
    eng.set_condition("link", "no_transmitter", True, 0)
    ev = []
    for t in range(1, 9):
        ev += eng.tick(t * MIN)
        if t == 5:  # two escalations so far: not yet "unanswered"
            assert eng.loudest()["level"] == 2 and eng.loudest()["escalated"] is False
    levels = [e["level"] for e in ev if e["event"] == "alarm_escalate"]
    assert levels == [1, 2, 3]
    assert eng.loudest()["priority"] == "high" and eng.loudest()["level"] == 3
    assert eng.loudest()["escalated"] is True   # what MQTT's alarm_unanswered reports


def test_conditions_link_sensor_device_battery():
    eng = make()
    cases = (("link", "rogue", "medium"), ("sensor", "failed", "medium"),
             ("device", "memory", "medium"), ("transmitter_battery", "battery_low", "low"))
    for kind, name, prio in cases:
        ev = eng.set_condition(kind, name, True, 0)
        assert kinds(ev) == [kind] and ev[0]["priority"] == prio and ev[0]["reason"] == name
    for kind, name, prio in cases:
        assert kinds(eng.set_condition(kind, name, False, 10), "alarm_clear") == [kind]
    assert eng.active() == []


def test_condition_with_two_reasons_clears_when_both_end():
    eng = make()
    eng.set_condition("link", "auth_failed", True, 0)
    ev = eng.set_condition("link", "bond_lost", True, 10)   # sounding: it names the alarm
    assert ev[0]["event"] == "alarm_update" and ev[0]["reason"] == "bond_lost"
    assert eng.set_condition("link", "auth_failed", False, 20) == []
    assert kinds(eng.set_condition("link", "bond_lost", False, 30), "alarm_clear") == ["link"]


def test_sensor_warmup_done_is_a_notice():
    eng = make()
    ev = eng.set_condition("sensor", "warmup_done", True, 0)
    assert ev[0]["priority"] == "low"
    assert kinds(eng.tick(31 * MIN), "alarm_clear") == ["sensor"]


def test_forwarding_alarm_unless_switched_off():
    assert make(forwarding=False).set_condition("forwarding", "nightscout_auth", True, 0) == []
    ev = make().set_condition("forwarding", "nightscout_auth", True, 0)
    assert kinds(ev) == ["forwarding"] and ev[0]["priority"] == "low"


def test_unknown_condition_kind_is_an_error():
    try:
        make().set_condition("toaster", "x", True, 0)
        assert False
    except EngineError as e:
        assert "toaster" in str(e)


def test_snoozed_condition_sounds_again():
    eng = make(condition_snooze=10)
    eng.set_condition("device", "radio", True, 0)
    eng.snooze(60)
    assert status(eng, "device") == "snoozed"
    assert kinds(eng.tick(11 * MIN + 1)) == ["device"]


def test_schedule_night_thresholds_and_volume():
    night = {"start": 1320, "end": 420, "low": 80, "volume": 40}
    eng = make(schedule=[night])
    assert kinds(series(eng, 0, [79, 78, 78])) == []          # no time of day known: day rules
    eng = make(schedule=[night])
    ev = feed(eng, 0, 78, mod=23 * 60) + feed(eng, 5, 78) + feed(eng, 10, 77)
    assert "low" in kinds(ev)
    assert eng.loudest()["volume"] == 40
    eng2 = make(schedule=[night])
    ev = feed(eng2, 0, 78, mod=12 * 60) + feed(eng2, 5, 78) + feed(eng2, 10, 77)
    assert "low" not in kinds(ev) and eng2.current_settings()["volume"] == 100


def test_active_and_loudest_shapes():
    eng = make()
    assert eng.loudest() is None and eng.active() == []
    series(eng, 0, [50])
    a = eng.active()[0]
    for key in ("type", "priority", "status", "level", "since_s", "reason"):
        assert key in a
    assert eng.loudest()["type"] == "urgent_low"


def test_save_restore_keeps_sounding_and_snoozed():
    eng = make()
    series(eng, 0, [150, 120, 90, 60, 50])
    eng.set_condition("link", "rogue", True, 21 * MIN)
    eng.snooze(22 * MIN)                       # snoozes urgent_low (loudest)
    data = eng.save()
    assert isinstance(data, bytes) and len(data) < 256
    eng2 = make()
    ev = eng2.restore(data, 5)                 # after a reset the monotonic clock restarts
    got = dict((a["type"], a["status"]) for a in eng2.active())
    assert got == dict((a["type"], a["status"]) for a in eng.active())
    assert "link" in kinds(ev)
    a = [x for x in eng2.active() if x["type"] == "urgent_low"][0]
    assert a["status"] == "snoozed"
    assert eng2.prediction(10) is not None
    # the snooze keeps its remaining time (15 min from 22 min = 37 min, i.e. +15 min
    # after the restore at 5 s): still snoozed at 14 min, sounding again after 15
    assert "urgent_low" not in kinds(feed(eng2, 14, 50))
    assert status(eng2, "urgent_low") == "snoozed"
    assert "urgent_low" in kinds(eng2.tick(15 * MIN + 5) + feed(eng2, 16, 50))


def test_restore_rejects_garbage():
    eng = make()
    for bad in (b"", b"\x09" * 40):
        try:
            eng.restore(bad, 0)
            assert False
        except EngineError:
            pass


def test_restore_ages_the_saved_state_by_the_time_away():
    """A reset 14 min into a data gap: no_data still comes 20 min after the
    last reading, not 20 min after the boot."""
    from alarms import settings
    from alarms.engine import AlarmEngine
    import reading
    eng = AlarmEngine(settings.validate({}))
    eng.on_reading(reading.make(1000, None, 120, None, 6), 1000)
    blob = eng.save()                               # saved at the reading
    new = AlarmEngine(settings.validate({}))
    new.restore(blob, 3, away_s=14 * 60)            # 3 s after the boot, 14 min after the save
    assert not [e for e in new.tick(3 + 5 * 60) if e["type"] == "no_data"]   # 19 min
    ev = new.tick(3 + 6 * 60 + GRACE + 5)                                    # 20 min + GRACE + 5 s
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["no_data"]


def test_restore_keeps_counting_no_data_when_there_was_no_reading_yet():
    """(chaos seed 1076) A box with no reading since its power-on (the id of a transmitter that
    never appears) reset 12 min after it (a setup-page save): no_data still comes 20 min after
    the power-on, not 20 min after the reset; and aged by the time away as a reading is."""
    eng = make()
    assert eng.tick(0) == []                        # the power-on: no_data counts from here
    assert eng.tick(12 * MIN) == []
    blob = eng.save()
    import struct                                   # persist.py: last sgv -2, then the count's age
    assert struct.unpack_from("<BBhi", blob, 0)[2:] == (-2, 12 * MIN)
    new = make()
    new.restore(blob, 3)                            # 3 s after the reset's boot
    assert not [e for e in new.tick(3 + 7 * MIN) if e["type"] == "no_data"]          # 19 min
    ev = new.tick(3 + 8 * MIN + GRACE + 5)                                           # 20 min + GRACE + 5 s
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["no_data"]
    aged = make()
    aged.restore(blob, 3, away_s=5 * MIN)           # 5 min away: 17 min since the power-on
    ev = aged.tick(3 + 3 * MIN + GRACE + 5)
    assert [e["type"] for e in ev if e["event"] == "alarm_onset"] == ["no_data"]
    # a reading after the restore counts as before
    fresh = make()
    fresh.restore(blob, 3)
    feed(fresh, 1, 120)
    assert not [e for e in fresh.tick(60 + 19 * MIN) if e["type"] == "no_data"]
    assert [e["type"] for e in fresh.tick(60 + 20 * MIN + GRACE) if e["event"] == "alarm_onset"] == ["no_data"]


def out_of_memory_after_judging(call):
    """Run call() with the engine running out of memory right after judging a
    reading's glucose conditions (as on the board, where any allocation may)."""
    from alarms import glucose
    real = glucose.conditions

    def judged_then_out_of_memory(*args):
        real(*args)
        raise MemoryError("memory allocation failed")

    glucose.conditions = judged_then_out_of_memory
    try:
        call()
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    finally:
        glucose.conditions = real


def test_a_reading_retried_after_a_memory_error_is_judged_and_counted_once():
    # the app retries a reading whose judging ran out of memory (main._take_reading);
    # the engine had already marked it seen, so the retry was skipped as old
    ref, eng = make(), make()
    series(ref, 0, [100, 90, 80, 70, 60, 52])
    series(eng, 0, [100, 90, 80, 70, 60])
    out_of_memory_after_judging(lambda: feed(eng, 25, 52))
    assert alarm_steps.alarm(eng, "urgent_low") is None
    ev = feed(eng, 25, 52)
    assert "urgent_low" in kinds(ev)
    assert eng._pred.save() == ref._pred.save() and eng._pred.t_s == ref._pred.t_s
    assert eng._recent == ref._recent and eng._last_t == ref._last_t


def test_the_predictor_takes_a_reading_whole_or_not_at_all():
    from alarms.predict import Predictor
    p = Predictor()
    p.update(0, 100)
    p.update(300, 95)
    before = (p.t_s, p.save())

    def half_done(z):
        p.g += 1.0
        raise MemoryError("memory allocation failed")

    p._correct = half_done
    try:
        p.update(600, 90)
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    assert (p.t_s, p.save()) == before


def test_a_retry_whose_time_differs_by_float_rounding_is_still_the_same_reading():
    # main._take_reading retries at a later now with age = now - t_first; in
    # floats now - (now - t) is not always t (here: a backfilled reading 250 s
    # old, 31 s after boot). The retry was taken for a newer reading: the
    # predictor took it twice (or its rate before was overwritten by the rate
    # after it), and _recent held it twice
    def primed():
        e = make()
        for i, v in enumerate((100, 90, 80, 70)):
            feed(e, -30 + 5 * i, v)
        return e

    r = reading.make(1, None, 60, None, 6)
    age1 = 250
    # times whose retry comes out above, and below, t_first on this runtime's
    # floats (double on the host, single on the ESP32: other numbers round)
    found = {}
    for k in range(400):
        now1 = 31.004 + k * 0.0137
        t_first = now1 - age1
        for wait in (1.0, 4.999):
            back = (now1 + wait) - ((now1 + wait) - t_first)
            if back != t_first and (back > t_first) not in found:
                found[back > t_first] = (now1, wait)
    assert len(found) == 2, "no times here show the rounding both ways: %r" % found
    for now1, wait in found.values():
        t_first = now1 - age1
        now2 = now1 + wait
        ref, eng = primed(), primed()
        ref.on_reading(r, now1, age1)
        out_of_memory_after_judging(lambda: eng.on_reading(r, now1, age1))
        eng.on_reading(r, now2, now2 - t_first)
        assert eng._pred.save() == ref._pred.save(), (wait, eng._pred.save(), ref._pred.save())
        assert eng._recent == ref._recent and eng._last_t == ref._last_t, (wait, eng._recent, ref._recent)
        assert eng._rate_before == ref._rate_before, wait


def test_the_events_of_a_try_that_ran_out_of_memory_come_with_the_retry():
    # the urgent low was raised, then the tick closing the reading ran out of
    # memory: the retry found it raised (and the reading judged), so its onset
    # never reached the listeners (MQTT's alarm topic, the log) nor did the
    # clear of no_data
    eng = make()
    series(eng, 0, [100, 90, 80, 70])
    eng.tick(60 * MIN)
    assert "no_data" in [a["type"] for a in eng.active()]
    real = eng.tick

    def out_of_memory(now_s, minute_of_day=None):
        raise MemoryError("memory allocation failed")

    eng.tick = out_of_memory
    try:
        feed(eng, 61, 50)
        assert False, "the injected MemoryError did not happen"
    except MemoryError:
        pass
    finally:
        eng.tick = real
    assert alarm_steps.alarm(eng, "urgent_low") is not None
    ev = feed(eng, 61, 50)
    assert kinds(ev) == ["urgent_low"] and "no_data" in kinds(ev, "alarm_clear"), ev
    assert feed(eng, 61, 50) == [], "delivered twice"


def _jitter(seed):
    """The next LCG state and a delay of 0..0.999 s from it."""
    seed = alarm_steps.lcg(seed)
    return seed, (seed >> 16) % 1000 / 1000.0


def test_a_steady_fall_is_one_fall_alarm_although_readings_come_a_little_early_or_late():
    # on the box a reading is judged when its session delivers it: 5 min apart
    # give or take a second or more. Three readings spanning 599.6 s (the fourth,
    # 900.3 s back, just dropped) gave no rate, and a sounding fall alarm cleared
    # and started again (a new onset, sounding after a snooze or acknowledgement)
    eng = make(fall_enabled=True, fall_rate=2, low_enabled=False, urgent_low_soon=False,
               high_enabled=False, urgent_high_enabled=False)
    seed, events = 7, []
    for k in range(20):                     # -3 mg/dL/min from 380 to 95
        seed, late = _jitter(seed)
        events += feed(eng, 5 * k + late / 60.0, 380 - 15 * k)
    assert [(e["event"], e["type"]) for e in events if e["event"] in ("alarm_onset", "alarm_clear")] \
        == [("alarm_onset", "fall")]


def _onsets_when_up_for(days):
    # two days of glucose with lows, highs and sensor noise (a fixed LCG, no
    # random module), a reading every 5 min, judged 0-2 s late, and a tick every
    # minute, on the box's time base: whole seconds since boot (main.App.now_s)
    eng = make(fall_enabled=True, rise_enabled=True, fall_rate=1, rise_rate=1, persistent_high_enabled=True)
    up = days * 86400
    seed, out = 12345, []
    for k in range(2 * 288):
        seed, late = _jitter(seed)
        noise = (seed >> 16) % 11 - 5
        phase = k % 96                       # an 8-h cycle: a fall to 48, a rise to 320
        g = 140 - 92 * phase / 15 if phase < 15 else 48 if phase < 30 else \
            48 + 272 * (phase - 30) / 40 if phase < 70 else 320 - 180 * (phase - 70) / 26
        for m in range(1, 5):
            for e in eng.tick(up + (k * 5 - 5 + m) * MIN):
                if e["event"] == "alarm_onset":
                    out.append((k, m, e["type"]))
        r = reading.make(k * 300, None, int(g) + noise, None, 6)
        for e in eng.on_reading(r, up + k * 5 * MIN + int(3 * late)):
            if e["event"] == "alarm_onset":
                out.append((k, 0, e["type"]))
    return out


def test_the_alarms_do_not_change_with_how_long_the_box_has_been_up():
    # the ESP32 computes in single precision, where 1000 days of uptime in
    # seconds (8.6e7) step by 8 s: with seconds since boot as a float, spans moved
    # and onsets shifted by a reading or two after 100 days (seen on
    # tools/build_unix32.sh's port); the engine must do its time arithmetic on the
    # caller's whole seconds before any float
    at_boot = _onsets_when_up_for(0)
    assert len([o for o in at_boot if o[2] == "urgent_low"]) == 6, at_boot
    assert {o[2] for o in at_boot} >= {"urgent_low_soon", "low", "high", "urgent_high", "fall", "rise"}
    for days in (30, 200, 1000):
        assert _onsets_when_up_for(days) == at_boot, days

