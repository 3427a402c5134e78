"""tools/chaos.py: its invariant checkers on tiny hand-made event lists (a violation
and a non-violation each), its worlds, and one real 2-simulated-hour world."""
import chaos

MIN = 60000
DEX0 = chaos.br.DEX0_S


def reading(t_ms, sgv, age_ms=0, source="live"):
    return {"event": "reading", "t_ms": t_ms, "dex_s": DEX0 + (t_ms - age_ms) // 1000, "sgv": sgv,
            "source": source}


def sound(t_ms, pattern, alarm=None):
    return {"event": "annunciator", "t_ms": t_ms, "pattern": pattern, "alarm": alarm}


def low_night(pattern_at_first):
    """Readings below 55 every 5 min for 20 min from minute 10."""
    ev = [reading(m * MIN, 120) for m in (0, 5)]
    ev += [reading(m * MIN, 50) for m in (10, 15, 20, 25, 30)]
    if pattern_at_first:
        ev.append(sound(10 * MIN + 5, pattern_at_first, "urgent_low"))
    return sorted(ev, key=lambda e: e["t_ms"])


def test_urgent_low_unsounded_is_a_violation():
    v = chaos.check_urgent_low(low_night(None), 55, 15, 10, 60 * MIN)
    assert len(v) == 1 and "no high sound" in v[0][1]
    v = chaos.check_urgent_low(low_night("medium"), 55, 15, 10, 60 * MIN)
    assert len(v) == 1


def test_urgent_low_sounded_high_passes():
    assert chaos.check_urgent_low(low_night("high"), 55, 15, 10, 60 * MIN) == []


def test_urgent_low_quiet_after_a_snooze_only_for_the_snooze():
    ev = low_night("high") + [{"event": "alarm_snooze", "t_ms": 12 * MIN, "type": "urgent_low"},
                              sound(12 * MIN, "snoozed", "urgent_low")]
    assert chaos.check_urgent_low(sorted(ev, key=lambda e: e["t_ms"]), 55, 30, 10, 60 * MIN) == []
    # a 5-min snooze that never ends: quiet from minute 12 to 31 is too long
    v = chaos.check_urgent_low(sorted(ev, key=lambda e: e["t_ms"]), 55, 5, 10, 60 * MIN)
    assert len(v) == 1


def test_urgent_low_short_or_stale_stretches_are_not_judged():
    short = [reading(m * MIN, 50) for m in (10, 15)]  # 5 min below
    assert chaos.check_urgent_low(short, 55, 15, 10, 60 * MIN) == []
    backfilled = [reading(60 * MIN, 50, age_ms=(60 - m) * MIN, source="backfill") for m in (10, 15, 20, 25)]
    assert chaos.check_urgent_low(backfilled, 55, 15, 10, 90 * MIN) == []


def test_stale_data_with_nothing_sounding_is_a_violation():
    ev = [reading(0, 120), reading(5 * MIN, 120)]
    v = chaos.check_stale(ev, 20, 60 * MIN)
    assert len(v) == 1 and "nothing sounding" in v[0][1]


def test_stale_data_with_no_data_sounding_passes():
    ev = [reading(0, 120), reading(5 * MIN, 120), sound(25 * MIN, "medium", "no_data")]
    assert chaos.check_stale(ev, 20, 60 * MIN) == []
    # the same sound at no_data_minutes 10 is 10 min late
    assert len(chaos.check_stale(ev, 10, 60 * MIN)) == 1


def test_console_exception_needs_a_device_alarm():
    console = "1000 I boot 1\n60000 E task link failed: ValueError bad byte\n"
    v = chaos.check_console(console, [], 100 * MIN)
    assert len(v) == 1 and "ValueError" in v[0][1]
    onset = {"event": "alarm_onset", "t_ms": 70000, "type": "device", "reason": "task_link"}
    assert chaos.check_console(console, [onset], 100 * MIN) == []
    injected = "60000 E task alarms failed: MemoryError injected into alarms\n"
    assert chaos.check_console(injected, [], 100 * MIN) == []
    assert len(chaos.check_console("Traceback (most recent call last):\n", [], 100 * MIN)) == 1
    # after a reset the log's clock starts again: boot 2's 1000 is the reset's t_ms + 1000
    rebooted = "0 I boot 1 (reset cause 1)\n0 I boot 2 (reset cause 2)\nTraceback (most recent call last):\n" \
               "1000 E task nightscout failed: MemoryError x\n"
    reset = {"event": "reset", "t_ms": 50 * MIN}
    late = dict(onset, t_ms=50 * MIN + 5000)
    assert chaos.check_console(rebooted, [reset, late], 100 * MIN) == []
    assert len(chaos.check_console(rebooted, [reset, onset], 100 * MIN)) == 2


def test_heap_budget():
    assert chaos.check_heap([{"event": "heap", "t_ms": 0, "data": 60000}]) == []
    assert len(chaos.check_heap([{"event": "heap", "t_ms": 0, "data": 70000}])) == 1
    after_reset = [{"event": "heap", "t_ms": 0, "data": 60000}, {"event": "reset", "t_ms": 10},
                   {"event": "heap", "t_ms": 20, "data": 90000}]
    assert len(chaos.check_heap(after_reset)) == 1   # each boot's figure is its own


def test_resound_after_reset():
    ev = [sound(0, "high", "urgent_low"), {"event": "reset", "t_ms": 1000},
          sound(1500, "selftest"), sound(2500, "high", "urgent_low")]
    assert chaos.check_resound(ev) == []
    assert len(chaos.check_resound(ev[:3] + [sound(2500, "off")])) == 1
    # a device alarm is not restored: its part raises it again
    assert chaos.check_resound([sound(0, "medium", "device")] + ev[1:3]) == []


def test_config_alarm_at_boot():
    onset = {"event": "alarm_onset", "t_ms": 0, "type": "device", "reason": "config"}
    assert chaos.check_config_alarm([onset], True) == []
    assert len(chaos.check_config_alarm([], True)) == 1
    assert len(chaos.check_config_alarm([onset], False)) == 1


def test_duplicate_readings():
    assert chaos.check_duplicates([reading(0, 100), reading(5 * MIN, 100)]) == []
    assert len(chaos.check_duplicates([reading(0, 100), dict(reading(0, 100), t_ms=1000)])) == 1


def test_worlds_are_reproducible_and_in_bounds():
    for seed in range(1, 40):
        w = chaos.draw_world(seed, 2)
        assert w == chaos.draw_world(seed, 2)
        for name, rate in w["radio"].items():
            assert 0 <= rate <= 0.2, (seed, name, rate)
        for a, b in w["silent"]:
            assert 5 * 60 - 1 <= b - a <= 90 * 60 + 1
        s, problems = chaos.effective(w)
        assert bool(problems) == bool(w["broken"]) or w["broken"] in ("unknown_key",), (seed, w["broken"], problems)
    assert chaos.draw_world(1, 2) != chaos.draw_world(2, 2)


def test_fault_timeline_adds_silent_spans_and_modes():
    tl = chaos.fault_timeline("cut:0.1", [[100, 200]], [["rogue", 150, 300]])
    assert tl == [[100, "cut:0.1,miss"], [150, "cut:0.1,miss,rogue"], [200, "cut:0.1,rogue"], [300, "cut:0.1"]]


def test_one_real_world_passes():
    w = chaos.draw_world(3, 2 / 24)
    [(world, fails, wall, peak)] = chaos.soak([w], keep=False, log=lambda *a: None)
    assert fails == {}, fails
    assert peak > 0


def test_task_failures_are_expected_only_in_the_first_boot():
    # simboot injects a task's failures into boot 1 only: a reset before at_s means none
    w = {"inject": {"task": "annunciator", "error": "ValueError", "times": 3, "at_s": 100,
                    "reset_at_s": 50}, "config": {}, "board": None, "silent": [], "modes": [],
         "forward": {}}
    reset = [{"event": "reset", "t_ms": 50000}]
    assert [m for _, m in chaos.check_promises(w, reset, 10 ** 8, [])
            if "failed 3 times" in m] == []
    w["inject"].pop("reset_at_s")
    assert [m for _, m in chaos.check_promises(w, [], 10 ** 8, []) if "failed 3 times" in m]


def test_nightscout_alarm_is_due_70_min_after_the_last_boot_and_not_from_a_broken_engine():
    w = {"inject": {}, "config": {}, "board": None, "silent": [], "modes": [], "radio": {},
         "forward": {"nightscout": "badsecret"}}
    late = [{"event": "alarm_onset", "t_ms": 96 * 60000, "type": "forwarding"}]

    def nightscout(events):
        return [m for _, m in chaos.check_promises(w, events, 10 ** 8, []) if "Nightscout" in m]
    assert nightscout(late)                                            # 96 min after the only boot
    assert not nightscout([{"event": "reset", "t_ms": 36 * 60000}] + late)   # 60 after a reset at 36
    w["inject"] = {"break_engine_at_s": 600}
    assert not nightscout([])


def test_no_power_alarm_is_expected_on_the_fallback_board():
    # an unknown board name in the config: the box runs on esp32-devkitc, which has no battery
    w = {"inject": {"adc_at_s": [[0, 38, 1700000]]}, "config": {"board": "no-such-board"},
         "board": "m5stickc-plus2", "silent": [], "modes": [], "radio": {}, "forward": {}}
    power = [m for _, m in chaos.check_promises(w, [], 10 ** 8, []) if "power" in m]
    assert power == []
    w["config"]["board"] = "m5stickc-plus2"
    assert [m for _, m in chaos.check_promises(w, [], 10 ** 8, []) if "power" in m]
    w["inject"]["button_at_boot"] = [1, 12]   # a factory reset wipes the config: fallback board
    assert [m for _, m in chaos.check_promises(w, [], 10 ** 8, []) if "power" in m] == []
