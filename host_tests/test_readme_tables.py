"""The README's tables are the family's manual: its priority table ("At night"), its snooze
list (the short press), the alarm defaults table ("Alarms") and the configuration defaults
("Configuration") are held against the code, so a default, bound, snooze, priority or
pattern changed on one side alone fails here (each was checked only by reading before)."""
import json
import os
import re
import struct

from conftest import ROOT
from alarms import engine, glucose, kinds, persist
from alarms.glucose import RATE_SPAN_S
from alarms.settings import DEFAULTS, HYST_HIGH, HYST_LOW, MAX_SCHEDULE
from app import config
from sound import patterns as P

with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as _f:
    README = _f.read()
FLAT = " ".join(README.split())   # for a phrase that a line break may cut


def _table(header):
    """The rows (lists of cells, backticks kept) of the README table under `header`."""
    start = README.index(header)
    rows = []
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _d(key):
    return DEFAULTS[key][0]


def _range(key, unit=""):
    return "%s..%s%s" % (DEFAULTS[key][1], DEFAULTS[key][2], unit)


def _snooze(key):
    """How the defaults table starts a snooze cell: `15 (5..30`."""
    return "%d (%s" % (_d(key), _range(key))


def test_the_night_tables_priorities_sounds_and_lights_are_the_codes():
    rows = {r[0]: r for r in _table("| priority | sound | light (RGB LED) | alarms |")}
    for index, prio in enumerate(kinds.PRIORITIES):
        _, snd, light, alarms = rows[prio]
        listed = set(re.findall(r"`(\w+)`", alarms))
        assert listed == set(t for t in kinds.TYPES if kinds.BASE_PRIORITY[t] == index), prio
        pulses, period = P.sound(prio)[:2]
        assert snd.startswith("%d " % len(pulses)) and snd.endswith("every %d s" % (period // 1000)), prio
        assert light.startswith(P.color_name(P.light(prio)[0]) + ","), prio
    # a short dim blue blink every 3 s while no reading is fresh (stale_minutes)
    assert "over %d min old" % _d("stale_minutes") in rows["no fresh reading (none since power-on, "
                                                           "or the newest over 10 min old), no alarm yet"][0]
    assert P.color_name(P.light("no_data")[0]) == "blue" and P.light("no_data")[1] == 3000
    assert rows["nothing active"][2].startswith(P.color_name(P.light("ok")[0]))
    # the test gesture: "then shows for 3 s each a blue blink, a magenta blink and the calm green"
    assert "shows for 3 s each a blue blink, a magenta blink and the calm green" in FLAT
    assert [(step[0], P.color_name(step[2][0])) for step in P.test_sequence()[3:]] == \
        [(3000, "blue"), (3000, "magenta"), (3000, "green")]
    # "Every power-on plays a short chirp and a red-yellow-green-blue light (1 s)"
    assert "a red-yellow-green-blue light (1 s)" in FLAT
    assert [P.color_name(step[2][0]) for step in P.SELFTEST] == ["red", "yellow", "green", "blue"]
    assert P.sequence_ms(P.SELFTEST) == 1000


def test_the_night_sections_escalation_steps_are_the_patterns_and_the_default():
    m = re.search(r"Left unanswered, an alarm gets\s+louder after (\d+) minutes, repeats more often "
                  r"after (\d+) \(high every (\d+) s, medium (\d+) s, low (\d+) s\)\s+and after (\d+) "
                  r"plays the next priority", README)
    assert m, "the escalation sentence moved: update this test with it"
    step = _d("escalate_minutes")
    assert [int(x) for x in (m.group(1), m.group(2), m.group(6))] == [step, 2 * step, 3 * step]
    assert kinds.MAX_LEVEL == 3 and P.MAX_LEVEL == 2   # level 3 is the engine's: a priority up
    faster = [int(x) * 1000 for x in m.group(3, 4, 5)]
    assert faster == [P.sound(p, 2)[1] for p in ("high", "medium", "low")]


def test_the_short_press_snoozes_listed_at_night_are_the_defaults():
    m = re.search(r"\*\*Short press: snooze\*\* the alarm you hear \((.*?); see \"Alarms\"", README, re.S)
    assert m, "the short press's snooze list moved: update this test with it"
    said = " ".join(m.group(1).split())
    want = ("urgent low %d min, predicted urgent low %d, low %d, urgent high %d, high %d, no data %d, "
            "fall / rise %d, sensor, link, device and forwarding %d"
            % tuple(_d(k) for k in ("urgent_low_snooze", "urgent_low_soon_snooze", "low_snooze",
                                     "urgent_high_snooze", "high_snooze", "no_data_snooze",
                                     "rate_snooze", "condition_snooze")))
    assert said == want
    assert kinds.FAMILY_DAY[0] == 8 * 60 and "until the next morning at 08:00" in FLAT


def test_the_alarm_defaults_table_is_the_settings():
    rows = {r[0]: r for r in _table("| alarm | priority | default | bounds | snooze (min) |")}
    prio = lambda kind: kinds.PRIORITIES[kinds.BASE_PRIORITY[kind]]  # noqa: E731
    # alarm: (its default cell holds, its bounds cell starts, its snooze key)
    expect = {
        "urgent_low": (["below %d, always on" % _d("urgent_low")], _range("urgent_low"),
                       "urgent_low_snooze"),
        "urgent_low_soon": (["within %d min" % _d("urgent_low_soon_minutes")],
                            _range("urgent_low_soon_minutes", " min"), "urgent_low_soon_snooze"),
        "low": (["below %d, or predicted below %d within %d min" % (_d("low"), _d("low"), _d("low_minutes"))],
                "%s; %s" % (_range("low"), _range("low_minutes", " min")), "low_snooze"),
        "high": (["above %d" % _d("high")], _range("high"), "high_snooze"),
        "urgent_high": (["above %d" % _d("urgent_high")], _range("urgent_high"), "urgent_high_snooze"),
        "fall / rise": (["off: %g mg/dL/min over %d min" % (_d("fall_rate"), RATE_SPAN_S // 60)],
                        "%g..%g" % DEFAULTS["fall_rate"][1:], "rate_snooze"),
        "persistent_high": (["off: above %d for %d min" % (_d("persistent_high"), _d("persistent_high_minutes"))],
                            "%s; %s" % (_range("persistent_high"), _range("persistent_high_minutes", " min")),
                            "persistent_high_snooze"),
        "no_data": (["for %d min" % _d("no_data_minutes"), "always on"], _range("no_data_minutes", " min"),
                    "no_data_snooze"),
        "sensor, link, device": (["clear after %d min" % _d("notice_minutes")], "", "condition_snooze"),
        "forwarding": (["`forwarding: false` silences it"], "", "condition_snooze"),
    }
    assert set(rows) == set(expect) | {"transmitter_battery"}
    for name, (holds, bounds, snooze) in expect.items():
        _, priority, default, bounds_cell, snooze_cell = rows[name]
        kinds_here = re.split(r" / |, ", name)
        prios = [prio(k) for k in kinds_here]
        assert priority == " / ".join(p for i, p in enumerate(prios) if p not in prios[:i]), name
        for words in holds:
            assert words in default, (name, words, default)
        assert bounds_cell.startswith(bounds) if bounds else bounds_cell == "", (name, bounds_cell)
        assert snooze_cell.startswith(_snooze(snooze)), (name, snooze_cell, _snooze(snooze))
    # the switches the table calls on or off
    assert _d("urgent_low_soon") and _d("low_enabled") and _d("high_enabled") and _d("urgent_high_enabled")
    assert not (_d("fall_enabled") or _d("rise_enabled") or _d("persistent_high_enabled"))
    assert _d("fall_rate") == _d("rise_rate") and DEFAULTS["fall_rate"][1:] == DEFAULTS["rise_rate"][1:]
    assert prio("transmitter_battery") == rows["transmitter_battery"][1]
    # the rules under it: the urgent low's band, the stale bound
    assert "clears above its band (`urgent_low` + %d)" % HYST_LOW in FLAT
    assert "`stale_minutes` (%d)" % _d("stale_minutes") in FLAT


def test_the_configuration_tables_defaults_are_the_codes():
    rows = _table("| key | default | |")
    defaults = config.defaults()
    seen = set()
    for key, default, _ in rows:
        key = key.strip("`")
        seen.add(key)
        if key == "alarms":
            assert default == "alarm defaults"
            continue
        assert default.startswith("`") and default.endswith("`"), key
        assert json.loads(default[1:-1]) == defaults[key], key
    assert seen == set(defaults)


def test_the_figures_in_the_alarm_rules_are_the_codes():
    said = lambda words: words in FLAT   # noqa: E731
    assert said("`persist.py` (`save()`/`restore()` for RTC memory, %d bytes + %d per active alarm)"
                % (struct.calcsize(persist._HEAD), struct.calcsize(persist._ALARM)))
    assert said("its level under `low` + %d too, or glucose was already falling at %g mg/dL/min or faster"
                % (glucose.LOW_LEVEL_MARGIN, glucose.LOW_CONFIRM_FALL))
    assert said("the readings of the last %d minutes (at least three, over %d), a minute either way"
                % (glucose.RATE_SPAN_S // 60, glucose.RATE_MIN_SPAN_S // 60)) and glucose.RATE_SLACK_S == 60
    assert said("`no_data` sounds a minute after `no_data_minutes` (`engine.NO_DATA_GRACE_S`)")
    assert engine.NO_DATA_GRACE_S == 60 and engine.SENSOR_HOLD_S == 2 * 3600 and engine.PAUSE_S == 10 * 60
    assert said("until that reason ends, 2 h at most")
    assert said("low-side alarms clear %d mg/dL above their threshold, high-side %d below"
                % (HYST_LOW, HYST_HIGH))
    assert said("Schedules: up to %d `{" % MAX_SCHEDULE)
