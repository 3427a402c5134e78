# A box in a reset loop (a crash, the watchdog, a brown-out every minute) must
# still get louder: the escalation of a sounding alarm goes on across resets
# (alarms.persist ESC_KEPT), and a device or forwarding alarm raised again at boot
# for a reason it had takes up its level (CARRY_S). A follower box waits for its
# leader's top level (alarms.gate): a loop that restarted the step kept it silent
# (helper-172, session 36). Runs on CPython and MicroPython.
import struct

from alarms import persist
from alarm_steps import MIN, make, series, alarm

ALARM = "<BBBBiihBB"
STEP = 5 * MIN


def _levels(eng):
    return [(a["type"], a["level"], a["priority"]) for a in eng.active()]


def _reset(eng, now_s, away_s, boot_s=0, **user):
    """The engine saved at now_s and restored on a new boot's clock (boot_s),
    away_s after the save, as main does."""
    eng.tick(now_s)
    data = eng.save()
    new = make(escalate_minutes=STEP // MIN, **user)
    new.restore(data, boot_s, away_s)
    return new


def test_a_sounding_alarm_reaches_its_top_level_through_a_reset_loop_as_without_one():
    plain = make(escalate_minutes=5)
    series(plain, 0, [260])
    looped = make(escalate_minutes=5)
    series(looped, 0, [260])
    t = 0      # the looped box's own clock, which starts at 0 at each boot
    wall = 0   # the time since the onset
    for _ in range(12):            # a reset every 90 s, each 8 s away (the boot)
        for _ in range(9):
            t += 10
            wall += 10
            plain.tick(wall)
            looped.tick(t)
        looped = _reset(looped, t, 8)
        wall += 8
        plain.tick(wall)
        t = 0
        looped.tick(t)
        assert _levels(looped) == _levels(plain), wall
    # 18 min: the top level, a priority up, as a box that never reset
    assert alarm(looped, "high")["level"] == 3 and alarm(looped, "high")["priority"] == "medium"


def test_the_step_goes_on_with_the_time_away_and_is_one_step_at_most():
    eng = make(escalate_minutes=5)
    series(eng, 0, [260])
    eng.tick(2 * MIN)
    eng = _reset(eng, 2 * MIN, 60, boot_s=100)          # 3 min of the step was left; 1 min away
    assert [e["level"] for e in eng.tick(100 + 2 * MIN - 1) if e["event"] == "alarm_escalate"] == []
    assert [e["level"] for e in eng.tick(100 + 2 * MIN) if e["event"] == "alarm_escalate"] == [1]
    # away longer than the steps left (10 min, under no_data's 20): one step at the
    # first round, not several at once
    eng = make(escalate_minutes=5)
    series(eng, 0, [260])
    eng = _reset(eng, MIN, 10 * MIN, boot_s=100)
    assert [e["level"] for e in eng.tick(100) if e["event"] == "alarm_escalate"] == [1]
    assert [e["level"] for e in eng.tick(100 + STEP - 1) if e["event"] == "alarm_escalate"] == []
    assert [e["level"] for e in eng.tick(100 + STEP) if e["event"] == "alarm_escalate"] == [2]


def test_a_damaged_step_field_holds_an_alarm_one_step_at_most():
    head = struct.pack("<BBhiihi9fB", 2, 1, 260, 60, -0x7FFFFFFF, 0, -0x7FFFFFFF, *([0.0] * 9 + [0]))
    high = struct.pack(ALARM, 4, 0, 1, 0, 600, 36000, -1, 1, persist.ESC_KEPT)
    eng = make(escalate_minutes=5)
    eng.restore(head + high, 1000)
    assert [e["level"] for e in eng.tick(1000 + STEP - 1) if e["event"] == "alarm_escalate"] == []
    assert [e["level"] for e in eng.tick(1000 + STEP) if e["event"] == "alarm_escalate"] == [2]
    # a negative one escalates at the first round
    high = struct.pack(ALARM, 4, 0, 1, 0, 600, -5, -1, 1, persist.ESC_KEPT)
    eng = make(escalate_minutes=5)
    eng.restore(head + high, 1000)
    assert [e["level"] for e in eng.tick(1000) if e["event"] == "alarm_escalate"] == [2]


def test_only_a_sounding_alarm_writes_its_step_and_a_snoozed_one_its_snooze():
    eng = make(escalate_minutes=5)
    series(eng, 0, [260])
    eng.tick(MIN)
    f = struct.unpack_from(ALARM, eng.save(), 55)
    assert (f[1], f[5], f[8] & ~persist.JUDGED_AT) == (0, 4 * MIN, persist.ESC_KEPT)
    eng._alarms["high"][5] = MIN - 30           # a step overdue (the tick not come yet): 0 left
    f = struct.unpack_from(ALARM, eng.save(), 55)
    assert (f[5], f[8] & ~persist.JUDGED_AT) == (0, persist.ESC_KEPT)
    eng._alarms["high"][5] = MIN + 1
    assert struct.unpack_from(ALARM, eng.save(), 55)[5] == 1
    eng.snooze(MIN)
    f = struct.unpack_from(ALARM, eng.save(), 55)
    assert (f[1], f[5], f[8]) == (1, 120 * MIN, 0)


def _device_loop(boots, raise_at_s=0, reason="resets", **user):
    """A box whose device alarm (`reason`) is raised at each boot, raise_at_s in,
    and that resets 80 s after it; the engine of the last boot."""
    eng = make(escalate_minutes=5, **user)
    eng.set_condition("device", "resets", True, 0)
    t = 0
    for _ in range(boots):
        for _ in range(8):
            t += 10
            eng.tick(t)
        eng = _reset(eng, t, 5, **user)
        t = raise_at_s
        eng.set_condition("device", reason, True, t)
    return eng


def test_the_resets_alarm_raised_at_each_boot_escalates_across_the_loop():
    eng = _device_loop(12)     # 12 boots of 85 s: 17 min
    a = alarm(eng, "device")
    assert (a["level"], a["priority"], a["status"]) == (3, "high", "sounding")
    assert a["since_s"] == -12 * 85    # its onset, at the first boot


def test_the_documented_constants():
    assert persist.CARRY_S == 60 and persist.ESC_KEPT == 1


def test_a_restore_forgets_what_an_earlier_one_carried():
    eng = _device_loop(12)                         # its device alarm carried at level 3
    data = make().save()                           # a state with no device alarm
    eng.restore(data, 0)
    eng.set_condition("device", "resets", True, 1)
    assert alarm(eng, "device")["level"] == 0


def test_a_device_alarm_raised_again_late_or_for_another_reason_starts_afresh():
    late = _device_loop(12, raise_at_s=persist.CARRY_S + 1)
    assert alarm(late, "device")["level"] == 0
    other = _device_loop(1, reason="memory")
    assert alarm(other, "device")["level"] == 0
    # (the memory alarm of that boot is carried in turn at the next)
    assert alarm(_device_loop(12, reason="memory"), "device")["level"] == 3
    assert alarm(_device_loop(12, raise_at_s=persist.CARRY_S), "device")["level"] == 3


def test_a_reason_it_had_raised_beside_a_new_one_does_not_sound_it_afresh():
    # a config problem and a reset loop: config is raised first at boot, resets after it
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "config", True, 0)
    eng.set_condition("device", "resets", True, 0)
    for t in range(0, 11 * MIN, 10):
        eng.tick(t)
    assert alarm(eng, "device")["level"] == 2
    eng = _reset(eng, 11 * MIN, 5)
    assert alarm(eng, "device") is None          # not restored: raised again by its parts
    eng.set_condition("device", "config", True, 1)
    assert alarm(eng, "device")["level"] == 2    # config: the older of its reasons
    eng.set_condition("device", "resets", True, 1)
    a = alarm(eng, "device")
    assert (a["level"], a["reason"], a["status"]) == (2, "resets", "sounding")
    # a problem it did not have names it; sounding unanswered, it keeps its level
    # (test_alarms_escalation_reasons.py: a new problem no longer quiets it)
    eng.set_condition("device", "memory", True, 2)
    assert (alarm(eng, "device")["level"], alarm(eng, "device")["reason"]) == (2, "memory")


def test_a_reason_it_had_raised_after_a_new_one_takes_up_its_level():
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    for t in range(0, 11 * MIN, 10):
        eng.tick(t)
    eng = _reset(eng, 11 * MIN, 5)
    eng.set_condition("device", "config", True, 1)      # a problem of this boot: level 0
    assert alarm(eng, "device")["level"] == 0
    ev = eng.set_condition("device", "resets", True, 1)
    a = alarm(eng, "device")
    assert (a["level"], a["reason"], a["since_s"]) == (2, "resets", -11 * MIN - 5)
    assert [(e["event"], e["level"]) for e in ev if e["type"] == "device"] == [("alarm_update", 2)]
    # the same level: the older escalation goes on (its onset, its step)
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    eng = _reset(eng, 4 * MIN, 5)
    eng.set_condition("device", "config", True, 1)
    eng.set_condition("device", "resets", True, 1)
    assert alarm(eng, "device")["since_s"] == -4 * MIN - 5
    assert [e["level"] for e in eng.tick(55) if e["event"] == "alarm_escalate"] == [1]
    # answered meanwhile, the press holds: a reason it had is no news
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    for t in range(0, 11 * MIN, 10):
        eng.tick(t)
    eng = _reset(eng, 11 * MIN, 5)
    eng.set_condition("device", "config", True, 1)
    eng.acknowledge(2)
    eng.set_condition("device", "resets", True, 3)
    a = alarm(eng, "device")
    assert (a["level"], a["status"]) == (0, "acknowledged")


def test_an_answered_device_alarm_is_not_carried_and_sounds_again_at_its_first_level():
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    for t in range(0, 11 * MIN, 10):
        eng.tick(t)
    assert alarm(eng, "device")["level"] == 2
    eng.acknowledge(11 * MIN)
    eng = _reset(eng, 11 * MIN, 5)
    eng.set_condition("device", "resets", True, 1)
    a = alarm(eng, "device")
    assert (a["level"], a["status"]) == (0, "sounding")


def test_a_forwarding_alarm_is_carried_too_when_forwarding_is_on():
    eng = make(escalate_minutes=5, forwarding=True)
    eng.set_condition("forwarding", "nightscout", True, 0)
    eng.tick(6 * MIN)
    eng = _reset(eng, 6 * MIN, 5, forwarding=True)
    eng.set_condition("forwarding", "nightscout", True, 30)
    assert alarm(eng, "forwarding")["level"] == 1


# --- a part that also fails at every boot of the loop (helper-175) -----------------------
def _loop_with(boots, second):
    """A box in a reset loop (85 s a boot, as test_alarms_reset_loop): at each boot
    main raises `device` (resets) at once, and a part that cannot start raises
    `device` (second) a second later, as app.wiring._start does (start_<name>), or
    the display's supervisor ("display") the same every boot."""
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    eng.set_condition("device", second, True, 1)
    t = 1
    for _ in range(boots):
        for _ in range(8):
            t += 10
            eng.tick(t)
        eng = _reset(eng, t, 4)
        eng.set_condition("device", "resets", True, 0)
        eng.set_condition("device", second, True, 1)
        t = 1
    return eng


def test_control_a_loop_with_a_second_known_reason_escalates():
    # "memory" is in kinds.REASONS: carried, the loop reaches the top as promised
    a = alarm(_loop_with(12, "memory"), "device")
    assert (a["level"], a["priority"]) == (3, "high"), a


def test_a_loop_whose_boot_also_fails_a_start_escalates_as_one_without():
    # a part that fails at every boot (start_link, start_display...; "display" of the
    # display's supervisor; "setup_ap"; a supervisor's task_*; "blocked"; the
    # annunciator's "buzzer"/"led") is not in kinds.REASONS: the device alarm's newest
    # reason is saved as 255, persist.restore drops the whole carry (reason "unknown"),
    # and the carried "resets" it had among its older reasons is forgotten: the alarm
    # is held at level 0 for as long as the loop lasts (the failure helper-172 found,
    # and a gated follower waiting for the leader's top level is never woken; helper-175,
    # session 38: such reasons are now saved by a hash of their name, kinds.reason_code)
    for second in ("start_link", "display", "setup_ap"):
        a = alarm(_loop_with(12, second), "device")
        assert (a["level"], a["priority"]) == (3, "high"), (second, a)


def test_an_escalated_device_alarm_whose_newest_reason_is_not_in_reasons_keeps_its_carry():
    # escalated for "resets", then a start failure joins it (a new problem: it names the
    # alarm, which keeps its level) and it escalates on to its top; at the reset the
    # save writes reason 255 for start_link and restore drops the carry whole, though
    # "resets" is kept among its older reasons
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    for t in range(0, 11 * MIN, 10):
        eng.tick(t)
    eng.set_condition("device", "start_link", True, 11 * MIN)   # new: names it, level kept
    for t in range(11 * MIN, 17 * MIN, 10):
        eng.tick(t)
    assert alarm(eng, "device")["level"] == 3
    eng = _reset(eng, 17 * MIN, 5)
    eng.set_condition("device", "resets", True, 1)   # raised again at boot: a reason it had
    assert alarm(eng, "device")["level"] == 3, alarm(eng, "device")


def test_a_reason_not_in_reasons_is_saved_by_a_code_pinned_to_its_name():
    # the code is written into RTC memory and read by the next firmware: it must not
    # change from run to run or between ports (CPython's str hash does), nor between
    # firmware versions (pinned here); the firmware's own dynamic device reasons differ
    from alarms.kinds import REASONS, UNNAMED, reason_code
    assert UNNAMED == 128 and reason_code("resets") == REASONS.index("resets")
    assert [reason_code(n) for n in ("start_link", "display", "buzzer")] == [130, 163, 169]
    # (127 codes for every name there may be: two may share one, which can only carry a
    # level to the other, never quiet it; the firmware's own do not)
    # app.wiring's parts that may fail to start, the supervised tasks (main's and wiring's),
    # the annunciator's outputs, and the device reasons named in place
    names = ["start_" + p for p in ("buttons", "power", "display", "source", "forwarding", "setup")] + [
        "alarms", "annunciator", "health", "buttons", "display", "follower", "link", "setup_ap",
        "setup_dns", "setup_web", "time", "web", "wifi", "buzzer", "led", "blocked", "flash",
        "button_action"]
    assert not [n for n in names if n in REASONS]
    codes = [reason_code(n) for n in names]
    assert all(UNNAMED <= c < 255 for c in codes) and len(set(codes)) == len(codes), codes


def test_an_older_reason_known_only_by_its_code_is_carried_too():
    # a start failure raised first, then the resets: the start failure is an older reason
    # (the aux field's bytes) and, raised first at the next boot, takes up the level
    for name in ("start_link", "display"):   # (codes 130 and 163: the aux field's high byte)
        eng = make(escalate_minutes=5)
        eng.set_condition("device", name, True, 0)
        eng.set_condition("device", "resets", True, 1)        # new: sounds afresh, names the alarm
        for t in range(10, 11 * MIN, 10):
            eng.tick(t)
        assert alarm(eng, "device")["level"] == 2
        eng = _reset(eng, 11 * MIN, 5)
        eng.set_condition("device", name, True, 1)
        a = alarm(eng, "device")
        assert (a["level"], a["reason"]) == (2, name), a
    # two older ones, both known by their code only (the low byte: display, 163)
    eng = make(escalate_minutes=5)
    for i, name in enumerate(("display", "start_link", "resets")):
        eng.set_condition("device", name, True, i)
    for t in range(10, 11 * MIN, 10):
        eng.tick(t)
    eng = _reset(eng, 11 * MIN, 5)
    eng.set_condition("device", "display", True, 1)
    assert alarm(eng, "device")["level"] == 2, alarm(eng, "device")


def test_a_record_of_session_37_whose_newest_device_reason_was_unknown_still_carries_the_others():
    # session 37's firmware wrote 255 for a reason not in REASONS and kept the others known:
    # after the update the resets alarm of a loop takes up its level from such a record
    eng = make(escalate_minutes=5)
    eng.set_condition("device", "resets", True, 0)
    eng.set_condition("device", "start_link", True, 60)     # the newest: sounds afresh at level 0
    for t in range(70, 12 * MIN, 10):
        eng.tick(t)
    assert alarm(eng, "device")["level"] == 2
    data = bytearray(eng.save())
    head = struct.calcsize("<BBhiihi9fB")
    assert len(data) == head + struct.calcsize(ALARM)
    assert data[head] == 12 and data[head + struct.calcsize(ALARM) - 2] == 130   # device; start_link
    data[head + struct.calcsize(ALARM) - 2] = 255                                # as session 37 wrote it
    new = make(escalate_minutes=5)
    new.restore(bytes(data), 0, 5)
    new.set_condition("device", "resets", True, 1)
    a = alarm(new, "device")
    assert (a["level"], a["reason"]) == (2, "resets"), a
