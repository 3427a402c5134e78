# Readings held for want of a wall clock (forward/nightscout.py) across a reset. The link
# resumes after the newest reading it delivered (RTC memory, main.App._dispatch) and never
# gives the held ones again: the uploader keeps them beside that resume point, in RTC memory
# (held_image(), saved with the alarm state after every reading: app.persist), and takes
# them back at the next start (held=). A planned reset (review of session 44, helper-189:
# the phone's settings save, the very save that sets a clock-less box's clock) kept them
# through a flash file written at the restart only; a watchdog reset or a crash lost them
# untold (review of session 45, helper-200). Kept in RTC memory they survive every reset
# that keeps the resume point, with no flash write; a power cut loses both, and the link
# backfills them from the transmitter.
# Runs on CPython and MicroPython (the World of test_nightscout_rules.py).
import struct

from reading import BACKFILL_MAX_S
from test_nightscout_rules import World, STORE, STORED, T, rd, _image, https, drive


def _kept(image):
    """The transmitter times of the readings in a held image (a mark, glucose 0, dates
    the ones before it: not a reading)."""
    recs = [struct.unpack_from("<IHh", image, i * 8) for i in range(len(image) // 8)]
    return [r[0] for r in recs if r[1]]


def _reset(w, up, wall=None):
    """A reset of any kind: what RTC memory kept (saved after the last reading), the
    queue's files as flash has them, a new uploader."""
    held = up.held_image()
    if wall is not None:
        w.clock.wall = wall
    return w.uploader(store=STORE, held=held)


def test_readings_held_without_a_wall_time_survive_a_watchdog_reset():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(6):                      # 30 min of readings, no wall clock
            up.submit((1000 + 300 * i, None, 100 + i, 5 - i))
        up = _reset(w, up)                      # the watchdog: no hook ran, no flash written
        assert STORE + ".held" not in w.fs.files and ("write", STORE) not in w.fs.calls
        w.clock.wall = True                     # the phone set the clock
        # the link resumes after dex 2500: its next live reading is the first it gives
        up.submit((2800, T, 120, 0, 6, "live"))
        assert up.queue.entries() == [(1000 + 300 * i, T - 1800 + 300 * i, 100 + i, 5 - i)
                                      for i in range(6)] + [(2800, T, 120, 0)], up.queue.entries()


def test_readings_held_without_a_wall_time_survive_a_planned_reset():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(6):
            up.submit((1000 + 300 * i, None, 100 + i, 5 - i))
        up.flush_to_flash()                     # the settings save's restart
        up = _reset(w, up, wall=True)           # ... whose phone set the clock
        up.submit((2800, T, 120, 0, 6, "live"))
        assert up.queue.entries() == [(1000 + 300 * i, T - 1800 + 300 * i, 100 + i, 5 - i)
                                      for i in range(6)] + [(2800, T, 120, 0)], up.queue.entries()


def test_held_readings_dated_are_kept_until_the_queue_that_has_them_is_on_flash():
    # dated by the first reading with a wall time, they are in the queue in RAM only, until
    # its next save (5 min): a reset meanwhile lost up to 3 h of them at once
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(3):
            up.submit((1000 + 300 * i, None, 100 + i, 0))
        w.clock.wall = True
        up.submit((1900, T, 120, 0, 6, "live"))
        assert up._held == [] and len(_kept(up.held_image())) == 4   # (the live one too)
        again = _reset(w, up)                   # before the save: they come back, held
        again.submit((2200, T + 300, 121, 0, 6, "live"))
        assert [e[0] for e in again.queue.entries()] == [1000, 1300, 1600, 1900, 2200]
        assert len(_kept(again.held_image())) == 5
        drive(again._save_if_due())             # the queue's first change starts its 5 min
        w.later(301)
        drive(again._save_if_due())
        assert STORE in w.fs.files and again.held_image() == b""


def test_held_readings_restored_once_are_not_restored_again_at_the_next_boot():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        up.submit((1000, None, 100, 0))
        up = _reset(w, up, wall=True)
        up.submit((1300, T, 120, 0))
        up.queue.ack(up.queue.batch(10))
        up.flush_to_flash()
        up = _reset(w, up)
        assert up._held == [] and len(up.queue) == 0


def test_held_records_no_link_can_give_are_left_out_and_never_stop_the_start():
    # RTC memory's sum is 16 bits: a damaged record that passes it must not reach Nightscout
    good = struct.pack("<IHh", 1000, 100, 3) + struct.pack("<IHh", 1300, 110, -32768)
    bad = struct.pack("<IHh", 1600, 0xFFFF, 0) + struct.pack("<IHh", 1900, 5, 0) \
        + struct.pack("<IHh", 2200, 120, 300)
    with World(wall=True) as w:
        w.fs.files[STORE] = _image(rd(0))
        up = w.uploader(store=STORE, held=good + bad + b"\x01\x02\x03")
        assert up._held == [(1000, 100, 3, None), (1300, 110, None, None)]
        assert up.queue.entries() == [rd(0)]      # the queue restored all the same


def test_a_held_file_of_the_firmware_before_cut_by_a_power_cut_is_recovered_then_removed():
    # the firmware before kept held readings in nsqueue.bin.held, written at a planned reset
    # only, and read it without fsutil.recover: a save cut between its renames left the
    # readings in .held.tmp, never read
    rec = struct.pack("<IHh", 1000, 100, 3) + struct.pack("<IHh", 1300, 110, -32768)
    with World(wall=False) as w:
        w.fs.files[STORE + ".held.tmp"] = rec
        w.fs.files[STORE + ".held.bak"] = b"old"
        up = w.uploader(store=STORE)
        assert up._held == [(1000, 100, 3, None), (1300, 110, None, None)]
        assert [f for f in w.fs.files if ".held" in f] == []


def test_a_half_written_or_damaged_held_file_never_stops_the_uploader():
    with World(wall=False) as w:
        # half written: a record cut short, and one with an impossible value
        w.fs.files[STORE + ".held.tmp"] = struct.pack("<IHh", 1000, 100, 3) + \
            struct.pack("<IHh", 1300, 0xFFFF, 0) + b"\x00\x01"
        w.fs.files[STORE] = _image(rd(0))
        up = w.uploader(store=STORE)
        assert up._held == [(1000, 100, 3, None)] and up.queue.entries() == [rd(0)]
    with World(wall=False) as w:
        w.fs.files[STORE + ".held"] = b"x" * 8
        w.fs.files[STORE] = _image(rd(0))
        w.fs.unreadable[STORE + ".held"] = OSError(5)   # the flash refuses the block
        up = w.uploader(store=STORE)
        assert up._held == [] and up.queue.entries() == [rd(0)]


def test_dated_held_readings_the_server_stored_are_not_kept_for_a_reset():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        up.submit((1000, None, 100, 0))
        w.clock.wall = True
        up.submit((1300, T, 120, 0, 6, "live"))
        assert len(_kept(up.held_image())) == 2    # (the live one too: in RAM only)
        w.http.answers.append((200, None, STORED))
        drive(up.post_once())
        assert len(up.queue) == 0 and up.held_image() == b""


def test_held_readings_waiting_for_a_dated_reading_with_the_clock_set_are_not_unreachable():
    # kept through a reset (or the clock set by the server's Date): they wait for the link's
    # next reading with a wall time to date them, not for the server, which is fine. The
    # forwarding alarm sounded an hour later all the same (review of session 44, helper-189)
    with World(wall=True, pauses=12) as w:
        up = w.uploader(https(alert_after_s=600), held=struct.pack("<IHh", 1000, 100, 3))
        w.run()
        assert w.pauses == [("wait_for", 60)] * 12 and w.http.requests == []
        assert w.raised("nightscout_unreachable") == []
        up.submit((1300, T, 120, 0))             # the link is back: dated, queued
        assert [e[0] for e in up.queue.entries()] == [1000, 1300]



def test_a_reading_queued_since_the_last_save_survives_a_watchdog_reset():
    # the queue is written to flash 5 min after a change: a reset between (the watchdog, a
    # crash) lost the readings queued since from Nightscout for good, as the link resumes
    # after them. They go with the resume point, as the held ones do
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        up.submit((1000, T, 100, 0, 6, "live"))
        up.submit((700, T - 300, 99, 0, 6, "backfill"))
        assert STORE not in w.fs.files
        again = _reset(w, up)
        again.submit((1300, T + 300, 101, 0, 6, "live"))
        assert again.queue.entries() == [(700, T - 300, 99, 0), (1000, T, 100, 0),
                                         (1300, T + 300, 101, 0)], again.queue.entries()
        # on flash, they are not kept twice
        drive(again._save_if_due())
        w.later(301)
        drive(again._save_if_due())
        assert STORE in w.fs.files and again.held_image() == b""


def test_a_settings_restart_that_sets_the_clock_does_not_post_a_stored_reading_again():
    # the phone's save puts right the clock of a box without NTP (10 min slow) and restarts
    # it: the queue goes to flash (before_reset), RTC memory is written last
    # (planned_restart). It kept the held readings of the last save (the reading's, before
    # the server stored it): the stored reading came back held, was dated by the clock as
    # put right and went to Nightscout a second time, 10 min from the first
    from app import persist
    from fakes import FakeRtc
    with World(wall=True) as w:
        rtc = FakeRtc()
        st = persist.RtcStore(rtc, lambda: 5000)
        st.load()
        up = w.uploader(store=STORE)
        st.held_of = up.held_image
        up.submit((1000, T, 100, 0, 6, "live"))
        st.save(b"alarm state", 1000)           # the reading's round (main.App._dispatch)
        w.http.answers.append((200, None, STORED))
        drive(up.post_once())
        assert len(up.queue) == 0
        up.flush_to_flash()                     # the restart: before_reset, then RTC memory
        st.planned_restart()
        st = persist.RtcStore(rtc, lambda: 5010)
        st.load()
        again = w.uploader(store=STORE, held=st.held)
        again.submit((1300, T + 300 + 600, 101, 0, 6, "live"))   # the activation 600 s on
        assert again.queue.entries() == [(1300, T + 900, 101, 0)], again.queue.entries()


def test_after_a_three_hour_backfill_the_newest_readings_are_kept_for_a_reset():
    # a reading, then a session after a 3-h gap gives its live reading and 36 backfilled:
    # RTC memory keeps as many as a start holds again (37: the session's all), the newest
    # by transmitter time, the live one too
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        up.submit((20000 - 300 * 37, T - 300 * 37, 99, 0, 6, "live"))
        up.submit((20000, T, 100, 0, 6, "live"))
        for i in range(36):
            up.submit((20000 - 300 * (36 - i), T - 300 * (36 - i), 60 + i, 0, 6, "backfill"))
        kept = _kept(up.held_image())
        assert len(kept) == 37 and kept[-1] == 20000, kept
        assert kept[0] == 20000 - 300 * 36, kept           # the one before the gap goes


def test_readings_kept_for_a_reset_keep_their_dates_when_the_transmitter_clock_restarts():
    # two readings of 130 dated on the transmitter's clock (activation A), a reset before the
    # queue's save, and the transmitter's clock restarted meanwhile (dex back to 1576 at the
    # next live reading, another activation). They came back undated and were dated by the
    # new activation: on Nightscout 6 h in the future, the newest entry a follower saw for
    # 6 h (chaos seed 4999)
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        a = T - 23383                        # the old clock's activation
        up.submit((23083, a + 23083, 130, 0, 6, "live"))
        up.submit((23383, a + 23383, 130, 0, 6, "live"))
        assert STORE not in w.fs.files
        again = _reset(w, up)                # the watchdog, before the save
        b = T + 300 - 1576                   # the restarted clock's activation
        again.submit((1576, b + 1576, 131, 0, 6, "live"))
        assert again.queue.entries() == [(23083, T - 300, 130, 0), (23383, T, 130, 0),
                                         (1576, T + 300, 131, 0)], again.queue.entries()
        # ... and through a second reset before the save, as they were
        third = _reset(w, again)
        assert sorted(e[1] for e in third.queue.entries()) == [T - 300, T, T + 300], third.queue.entries()
        # readings held for want of a wall time still wait for one, beside the dated
        third.submit((1876, None, 132, 0))
        fourth = _reset(w, third)
        assert fourth._held == [(1876, 132, 0, None)] and len(fourth.queue) == 3, (fourth._held, fourth.queue.entries())


def test_readings_without_a_trend_survive_a_reset():
    # the transmitter gives no rate for some readings (after a gap, at a calibration): such
    # a reading waiting for the clock, or only in the queue in RAM, is kept for a reset all
    # the same and reaches Nightscout without an arrow, not dropped as a damaged record
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        up.submit((1000, None, 100, None))
        up.submit((1300, None, 101, 2))
        up = _reset(w, up, wall=True)
        assert up._held == [(1000, 100, None, None), (1300, 101, 2, None)], up._held
        up.submit((1600, T, 102, None, 6, "live"))
        again = _reset(w, up)                   # before the queue's save: kept in RTC memory
        again.submit((1900, T + 300, 103, 0, 6, "live"))
        assert again.queue.entries() == [(1000, T - 600, 100, None), (1300, T - 300, 101, 2),
                                         (1600, T, 102, None), (1900, T + 300, 103, 0)], \
            again.queue.entries()


def test_after_a_backfill_of_a_fall_the_newest_readings_are_kept_whatever_the_glucose():
    # the newest by transmitter time, not the highest glucose: after a 3-h gap through a fall,
    # the live reading (the lowest) and the last of the fall are what a reset must keep
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        up.submit((20000 - 300 * 37, T - 300 * 37, 250, 0, 6, "live"))   # before the gap
        up.submit((20000, T, 55, -2, 6, "live"))
        for i in range(36):
            up.submit((20000 - 300 * (36 - i), T - 300 * (36 - i), 200 - 4 * i, -2, 6, "backfill"))
        image = up.held_image()
        kept = [struct.unpack_from("<IHh", image, i * 8)[:2] for i in range(len(image) // 8)]
        kept = [r for r in kept if r[1]]             # (not the mark that dates them)
        assert len(kept) == 37 and kept[-1] == (20000, 55), kept
        assert kept[0] == (20000 - 300 * 36, 200), kept


def test_a_backfill_repeating_a_reading_the_server_stored_is_not_posted_again_after_a_reset():
    # the link's backfill repeats readings it gave live: one the queue refuses as already
    # there (stored by the server) is not kept for a reset, where it would be dated again
    # and posted a second time (a doubled point, or one minutes off where the clock moved)
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        up.submit((1000, T, 100, 0, 6, "live"))
        w.http.answers.append((200, None, STORED))
        drive(up.post_once())
        assert up.held_image() == b""
        assert up.submit((1000, T, 100, 0, 6, "backfill")) is False
        up.submit((1000, T, None, 0, 6, "backfill"))   # (no glucose: nothing to post)
        assert up.held_image() == b""
        again = _reset(w, up)
        again.submit((1300, T + 300, 101, 0, 6, "live"))
        assert again.queue.entries() == [(1300, T + 300, 101, 0)], again.queue.entries()


def test_what_is_kept_for_a_reset_stays_bounded_while_the_flash_and_the_network_fail():
    # a queue that cannot be saved and a server out of reach for a day: what waits for the
    # next save is kept for a reset, but RAM holds at most twice a start's 37 (the heap is
    # small), and RTC memory the newest 37
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        for i in range(288):
            up.submit((1000 + 300 * i, T + 300 * i, 100 + i % 50, 0, 6, "live"))
            assert len(up._dated) <= 74
        image = up.held_image()
        assert len(_kept(image)) == 37
        assert struct.unpack_from("<IHh", image, 0)[0] == 1000 + 300 * 251


def test_held_records_at_the_edges_of_what_a_link_gives_are_taken_and_counted():
    # a glucose of 14..4095 and a trend of -128..127 (or none) are a link's; one past is damage
    rec = [(1000, 14, 0), (1300, 4095, -128), (1600, 120, 127), (1900, 120, -32768),
           (2200, 13, 0), (2500, 4096, 0), (2800, 120, -129), (3100, 120, 128)]
    with World(wall=False) as w:
        up = w.uploader(store=STORE, held=b"".join(struct.pack("<IHh", *r) for r in rec))
        assert up._held == [(1000, 14, 0, None), (1300, 4095, -128, None), (1600, 120, 127, None),
                            (1900, 120, None, None)]
        assert "nightscout: 4 readings without a wall time kept through the reset" in w.logs, w.logs


def test_a_reading_whose_activation_a_mark_cannot_carry_is_kept_held_not_lost():
    # a wall time before the transmitter's own count (a clock gone wrong): the activation is
    # negative, which the mark's unsigned field cannot hold; packing it raised, and RTC memory
    # kept the image of the save before. It goes held instead, dated again after a reset
    with World(wall=True) as w:
        up = w.uploader(store=STORE)
        up.submit((5000, 100, 120, 0, 6, "live"))
        image = up.held_image()
        assert _kept(image) == [5000] and len(image) == 8, image


def test_a_damaged_mark_that_dates_a_reading_past_what_the_queue_holds_never_stops_the_start():
    # RTC memory's sum is 16 bits: a damaged mark (glucose 0, trend 0) whose activation
    # dates the reading before it past 2106 (no Unix time of 32 bits) must not stop the
    # uploader (its queue refuses such a date: the start failed at every reset, RTC memory
    # keeping the image while no uploader asked for another)
    good = struct.pack("<IHh", 700, 100, 3) + struct.pack("<IHh", T - 1000, 0, 0)
    bad = struct.pack("<IHh", 1300, 110, 2) + struct.pack("<IHh", 0xFFFFFF00, 0, 0)
    with World(wall=True) as w:
        w.fs.files[STORE] = _image(rd(0))
        up = w.uploader(store=STORE, held=good + bad)
        assert up.queue.entries() == [(700, T - 300, 100, 3), rd(0)], up.queue.entries()
        assert up._held == []
        assert "nightscout: 1 readings without a wall time kept through the reset" in w.logs, w.logs


def test_readings_held_before_the_transmitters_clock_restarted_are_dropped_not_dated_by_its_clock():
    # within one boot (no reset): held on a young transmitter's clock (dex 10860...), its clock
    # restarts (link event tx_clock: the app calls forget_held), and the first reading with a
    # wall time, on the new clock, dated them by its activation (_date_held: within a day on
    # the transmitter clock): 3.5 h late on Nightscout, the newest entry in the future
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(4):
            up.submit((10860 + 300 * i, None, 142 + i, 0))
        up.forget_held()                       # the transmitter's clock restarted
        assert up._held == [] and up.held_image() == b""
        assert any("4 readings without a wall time dropped" in x for x in w.logs), w.logs[-3:]
        up.submit((960, None, 121, 0))         # the new clock's, held in their turn
        w.clock.wall = True
        up.submit((1260, T, 124, 0, 6, "live"))
        assert up.queue.entries() == [(960, T - 300, 121, 0), (1260, T, 124, 0)], up.queue.entries()
        n = len(w.logs)
        up.forget_held()                       # nothing held: nothing said
        assert len(w.logs) == n


def test_readings_lost_for_want_of_a_date_raise_a_forwarding_notice_for_half_an_hour():
    # held without a wall time and then undatable (the transmitter's clock restarted, or the
    # first reading with a wall time is another clock's): lost to Nightscout with a log line
    # only, a gap on the family's graphs that nothing heard or seen told (as a damaged queue
    # file was before it raised nightscout_queue_damaged)
    from test_nightscout_rules import _cleared_after_30_min
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(4):
            up.submit((10860 + 300 * i, None, 142 + i, 0))
        up._housekeeping()
        assert w.raised("nightscout_undated") == []
        up.forget_held()                       # the link's tx_clock
        up._housekeeping()
        assert w.raised("nightscout_undated") == [True]
        _cleared_after_30_min(w, up, "nightscout_undated")
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        up.submit((10860, None, 142, 0))
        w.clock.wall = True
        up.submit((1260 + 2 * 86400, T, 124, 0, 6, "live"))   # no clock of the held one's
        up._housekeeping()
        assert w.raised("nightscout_undated") == [True]
        assert up.queue.entries() == [(1260 + 2 * 86400, T, 124, 0)]
    with World(wall=False) as w:                # the boot's: RtcStore.own() dropped some
        up = w.uploader(store=STORE, held_lost=3)
        up._housekeeping()
        assert w.raised("nightscout_undated") == [True]


def test_a_loss_is_told_even_when_the_task_next_looks_after_it_30_min_later():
    # the task's waits without a clock back off up to an hour without housekeeping (a secret
    # refused, no usable Date): the 30 min of the notice ran out unseen and it was never raised
    # (helper-262). Told at the next look, then cleared at the one after
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        up.submit((10860, None, 142, 0))
        up.forget_held()
        w.later(3600)
        up._housekeeping()
        assert w.raised("nightscout_undated") == [True]
        up._housekeeping()
        assert w.raised("nightscout_undated") == [True, False]


def test_a_full_hold_drops_the_oldest_reading_by_the_transmitters_clock_not_the_live_one():
    # a power cut, no clock after it (NTP down, the kept activation unusable): the first
    # session delivers its live reading, then the link's 3 h of backfill (36 readings, most
    # of them on Nightscout already), and the clock stays away one session more. A reading
    # for a full hold: the first one held went, the live reading of the power-on (an urgent
    # low's, in `make sim`), never posted, while a backfill of 3 h before, stored before the
    # cut, was kept (README: "drops the oldest")
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        live = 20000
        up.submit((live, None, 59, 0, 6, "live"))
        for i in range(36):
            up.submit((live - 10800 + 300 * i, None, 200, 0, 6, "backfill"))
        up.submit((live - 12000, None, 201, 0, 6, "backfill"))   # older still: not held
        up.submit((live + 300, None, 60, 0, 6, "live"))           # the next session's
        assert up.queue.dropped == 2
        w.clock.wall = True                     # NTP answers again
        up.submit((live + 600, T, 61, 0, 6, "live"))
        dexes = [e[0] for e in up.queue.entries()]
        assert live in dexes and live + 300 in dexes, dexes
        assert live - 10800 not in dexes and live - 12000 not in dexes, dexes
        assert len(dexes) == 38, dexes


def _power_on_session(up, live, max_s):
    """A session at a power-on with no clock: the live reading, then the link's backfill of
    the span link.plan.Seen gives with nothing seen (max_s behind it), a reading every
    link.plan.PERIOD_S. Returns how many readings it gave."""
    from link.plan import Seen, PERIOD_S
    start, end = Seen(max_s + 3600).gap(live, max_s)
    up.submit((live, None, 59, 0, 6, "live"))
    backfill = [d for d in range(live - PERIOD_S, start - 1, -PERIOD_S) if d <= end]
    for d in reversed(backfill):
        up.submit((d, None, 200, 0, 6, "backfill"))
    return 1 + len(backfill)


def test_a_power_ons_live_reading_and_full_backfill_held_without_a_clock_raise_no_alarm():
    # helper-288: after a power-on without a clock (no RTC time kept, NTP not answered yet)
    # the first session gives its live reading and the link's 3 h of backfill: 37 readings
    # for a hold of 36. One was dropped, nightscout_queue_full rose and its `forwarding`
    # alarm sounded (medium after escalation), though the box only waited for its clock.
    # The hold is sized from the link's backfill window: one more reading, past the 3 h
    # and the power-on's live one, is a real overflow and still raises it
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        live = 20000
        given = _power_on_session(up, live, BACKFILL_MAX_S)   # link.core's backfill_max_s
        assert given == 37, given
        up._housekeeping()
        assert up.queue.dropped == 0 and w.raised("nightscout_queue_full") == [], up.queue.dropped
        assert len(_kept(up.held_image())) == given     # all of them kept for a reset too
        again = _reset(w, up)
        assert len(again._held) == given and again.queue.dropped == 0
        again.submit((live + 300, None, 60, 0, 6, "live"))    # the clock still away 5 min on
        again._housekeeping()
        assert again.queue.dropped == 1 and w.raised("nightscout_queue_full") == [True]
        assert min(h[0] for h in again._held) == live - BACKFILL_MAX_S + 300


def test_a_held_file_whose_last_rename_the_flash_refuses_is_read_where_it_is():
    # the firmware before's held file, its save cut by the power between its renames, and
    # the flash refusing the rename that finishes it (a full or worn littlefs): the readings
    # sat in .held.tmp, never read (_restore_held_file returned at recover()'s OSError), as
    # the queue file, the settings and the others are read where they are (fsutil.readable)
    rec = struct.pack("<IHh", 1000, 100, 3) + struct.pack("<IHh", 1300, 110, -32768)
    with World(wall=False) as w:
        w.fs.files[STORE + ".held.tmp"] = rec
        w.fs.unreadable[STORE + ".held"] = OSError(28)   # recover's rename refused
        up = w.uploader(store=STORE)
        assert up._held == [(1000, 100, 3, None), (1300, 110, None, None)], up._held
        assert any("held file %s.held not recovered" % STORE in x for x in w.logs), w.logs
        assert "nightscout: 2 readings without a wall time restored" in w.logs, w.logs
        assert [f for f in w.fs.files if ".held" in f] == []


def test_the_count_of_readings_kept_through_a_reset_leaves_out_those_the_hold_did_not_keep():
    # the log said how many records were read, those the hold then dropped (no room, or
    # given twice) too: 39 said for 37 held
    recs = [struct.pack("<IHh", 1000 + 300 * i, 100, 0) for i in range(38)]
    with World(wall=False) as w:
        up = w.uploader(store=STORE, held=b"".join(recs) + recs[-1])
        assert len(up._held) == 37 and up.queue.dropped == 1
        assert "nightscout: 37 readings without a wall time kept through the reset" in w.logs, w.logs


# --- rules the mutation run of session 63 found unheld (helper-314) ---------------------

def test_a_reading_older_than_all_of_a_full_hold_is_the_one_dropped():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(37):
            up.submit((20000 + 300 * i, None, 100, 0))
        before = sorted(h[0] for h in up._held)
        up.submit((19000, None, 101, 0))
        assert sorted(h[0] for h in up._held) == before and up.queue.dropped == 1


def test_a_damaged_mark_dating_a_reading_just_past_2106_never_stops_the_start():
    # the sum one past the 32 bits of a Unix time: the queue refuses it (ValueError)
    edge = struct.pack("<IHh", 1600, 115, 1) + struct.pack("<IHh", 0x100000000 - 1600, 0, 0)
    with World(wall=True) as w:
        up = w.uploader(store=STORE, held=edge)
        assert up.queue.entries() == [] and up._held == []


def test_held_readings_waiting_with_the_clock_set_do_not_make_the_next_failure_unreachable():
    # an hour waiting for the link's next dated reading is not an hour of failed uploads:
    # the first failure after it raises nothing (the forwarding alarm at 3 a.m. for one 503)
    with World(wall=True, pauses=61) as w:
        up = w.uploader(https(alert_after_s=600), held=struct.pack("<IHh", 1000, 100, 3))
        w.http.answers.append((503, None, b""))
        w.hook = lambda kind, s: len(w.pauses) == 60 and up.submit((1300, T, 120, 0))
        w.run()
        assert len(w.http.requests) == 1 and w.raised("nightscout_unreachable") == []
