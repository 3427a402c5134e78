# forward/sensorstart.py: the "Sensor Start" treatment Nightscout's sensor-age pill
# (SAGE) counts from, once per sensor session, on CPython and MicroPython. What a
# family relies on: one treatment per session, with the same identifier and
# created_at however often it is posted (Nightscout 15.0.7+ upserts on the
# identifier, 14.x..15.0.6 on created_at + eventType), nothing more after a reboot
# or the next time messages, a new one for a new session; none without a wall
# clock, none for a stale session or a start in the future.
import json

from scratch import fresh
from forward import sensorstart as ss

T = 1767225600   # 2026-01-01 00:00:00 UTC
DAY = 86400
TX = "8G1234"


def session(start_dex=5000, unix=T, left=9 * DAY, tx=TX):
    return (tx, start_dex, unix, left)


def test_the_treatment_is_a_sensor_start_at_the_sessions_start_naming_the_box():
    memo = ss.SensorStart()
    job = memo.due(session(unix=T + 3723), T + 7200)
    t = json.loads(ss.body(job, "bedside-cgm"))
    assert t == {"eventType": "Sensor Start", "created_at": "2026-01-01T01:02:03.000Z",
                 "enteredBy": "bedside-cgm", "device": "bedside-cgm",
                 "identifier": ss.identifier(TX, 5000)}, t


def test_the_identifier_is_stable_per_session_and_does_not_show_the_transmitter_id():
    a = ss.identifier(TX, 5000)
    assert a == ss.identifier(TX, 5000) and a.startswith("sensor-start-") and len(a) == 29
    assert len({a, ss.identifier(TX, 5001), ss.identifier("8G1235", 5000)}) == 3
    assert TX not in a and "5000" not in a


def test_one_session_is_due_until_posted_then_never_again_whatever_the_time_messages_say():
    memo = ss.SensorStart()
    first = memo.due(session(), T + 600)
    # each time message estimates the start anew, a second or two off: the first is kept
    assert [memo.due(session(unix=T + d), T + 900) for d in (1, -2, 2)] == [first] * 3
    memo.posted(first)
    for i in range(3000):   # 10 days of time messages, the estimate wavering
        assert memo.due(session(unix=T + i % 3 - 1, left=9 * DAY - 300 * i), T + 300 * i) is None


def test_a_new_session_a_restart_or_another_transmitter_is_posted_again():
    memo = ss.SensorStart()
    memo.posted(memo.due(session(), T + 600))
    new = memo.due(session(start_dex=5000 + 10 * DAY, unix=T + 10 * DAY), T + 10 * DAY + 300)
    assert new == (ss.identifier(TX, 5000 + 10 * DAY), T + 10 * DAY)
    memo.posted(new)
    other = memo.due(session(start_dex=700, unix=T + 11 * DAY, tx="8H9999"), T + 11 * DAY)
    assert other == (ss.identifier("8H9999", 700), T + 11 * DAY)


def test_a_start_the_box_misdated_by_an_hour_or_more_is_posted_again_under_its_identifier():
    # the wall clock was wrong (a captive portal's Date) and put right: the same
    # identifier (Nightscout 15.0.7+ moves the treatment), the right time
    memo = ss.SensorStart()
    memo.posted(memo.due(session(unix=T - 2 * 3600), T))
    assert memo.due(session(unix=T - 2 * 3600 + 3599), T) is None   # within the hour: the same
    assert memo.due(session(unix=T), T + 60) == (ss.identifier(TX, 5000), T)


def test_nothing_without_a_session_a_wall_clock_or_for_a_stale_or_future_start():
    memo = ss.SensorStart()
    assert memo.due(None, T) is None
    assert memo.due(session(unix=None), T) is None            # no wall clock yet: later
    assert memo.due(session(left=0), T) is None               # the generation's length is over
    assert memo.due(session(left=None), T) is None
    assert memo.due(session(unix=T + 1), T) is None           # in the future: a wrong clock
    assert memo.due(session(), T) == (ss.identifier(TX, 5000), T)   # and it comes when it can


def test_what_was_posted_is_kept_on_flash_through_a_reboot():
    path = fresh("build/dual_sensor_start", "nsstart.txt")
    memo = ss.SensorStart(path)
    job = memo.due(session(), T + 600)
    assert ss.SensorStart(path).due(session(), T + 600) == job   # not posted yet: not kept
    memo.posted(job)
    again = ss.SensorStart(path)
    assert again.due(session(unix=T + 2), T + 900) is None
    assert again.due(session(start_dex=9000, unix=T + 4000), T + 9000) == (ss.identifier(TX, 9000), T + 4000)
    with open(path) as f:
        assert f.read() == "%s 5000 %d -\n" % (TX, T)


def test_a_new_site_gets_the_sessions_start_at_once_and_a_line_from_before_the_site_once():
    # a family that moved its Nightscout: its sensor age there without waiting for a sensor
    path = fresh("build/dual_sensor_start", "nsstart.txt")
    memo = ss.SensorStart(path, None, "old.example.org:443")
    job = memo.due(session(), T + 600)
    memo.posted(job)
    assert ss.SensorStart(path, None, "old.example.org:443").due(session(), T + 900) is None
    moved = ss.SensorStart(path, None, "new.example.org:443/ns")
    assert moved.due(session(unix=T + 3), T + 900) == job         # the same identifier and date
    moved.posted(job)
    with open(path) as f:
        assert f.read() == "%s 5000 %d new.example.org:443/ns\n" % (TX, T)
    with open(path, "w") as f:                                     # written before the site was
        f.write("%s 5000 %d\n" % (TX, T))
    assert ss.SensorStart(path, None, "new.example.org:443/ns").due(session(), T + 900) == job


def test_a_damaged_or_missing_file_costs_one_repeat_of_the_same_treatment():
    path = fresh("build/dual_sensor_start", "nsstart.txt")
    memo = ss.SensorStart(path)
    job = memo.due(session(), T + 600)
    memo.posted(job)
    for damage in (b"\xff\xfe garbage", b"8G1234 50x0 1767225600\n", b""):
        with open(path, "wb") as f:
            f.write(damage)
        assert ss.SensorStart(path).due(session(), T + 900) == job, damage


def test_a_post_answered_after_the_session_changed_does_not_mark_the_new_one():
    memo = ss.SensorStart()
    old = memo.due(session(), T + 600)
    new = memo.due(session(start_dex=6000, unix=T + 1000), T + 1200)
    memo.posted(old)
    assert memo.due(session(start_dex=6000, unix=T + 1000), T + 1500) == new


def test_the_edges_an_hours_move_a_last_second_and_a_write_that_fails_is_logged():
    memo = ss.SensorStart()
    memo.posted(memo.due(session(), T + 600))
    assert memo.due(session(unix=T + ss.SAME_START_S - 1), T + 600) is None   # the same start
    again = memo.due(session(unix=T + ss.SAME_START_S), T + 9000)             # moved an hour: again
    assert again == (ss.identifier(TX, 5000), T + ss.SAME_START_S), again
    assert ss.SensorStart().due(session(left=1), T + 600) is not None         # its last second
    assert ss.SensorStart().due(session(left=0), T + 600) is None             # over
    logs = []
    memo = ss.SensorStart("no-such-dir/deeper/nsstart.txt", logs.append)
    memo.posted(memo.due(session(), T + 600))
    assert memo.due(session(), T + 600) is None                              # kept in memory
    assert len(logs) == 1 and logs[0].startswith("nightscout: sensor start not kept: "), logs


def test_a_save_cut_by_the_power_is_read_where_it_is_when_the_flash_refuses_to_finish_it():
    # (helper-282) the save of a new session's start cut before its last rename (the old
    # line moved to .bak, the new one whole in .tmp), the flash refusing recover()'s rename
    # at the power-on: nothing was read and the start was posted again
    import os
    from fakes import swap, RefusingFlash
    path = fresh("build/dual_sensor_start", "cut.txt")
    memo = ss.SensorStart(path)
    memo.posted(memo.due(session(), T + 600))
    new = session(start_dex=5000 + 10 * DAY, unix=T + 10 * DAY)
    memo.posted(memo.due(new, T + 10 * DAY + 300))
    os.rename(path, path + ".tmp")       # the first line is in .bak
    again = swap(ss.fsutil, "os", RefusingFlash(os), lambda: ss.SensorStart(path))
    assert again.due(new, T + 10 * DAY + 900) is None
