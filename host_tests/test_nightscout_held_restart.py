"""Readings taken before the wall clock is set reach Nightscout across the restart of the
phone's save that sets it (review of session 44, helper-189), on the whole firmware
(tools/chaos.py worlds: the real App on MicroPython, the virtual transmitter, the
Nightscout stand-in)."""
import chaos

MIN = 60000
SPRING = 1774746000
BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"


def _world(minutes, start_unix, **inject):
    w = chaos.draw_world(3, minutes / 1440.0)
    w.update(radio={}, faults="", silent=[], modes=[], absence=None, forward={"nightscout": "ok"},
             inject=dict(inject, clock_sample_s=60), follower=None)
    w.update(start=(start_unix - chaos.TRACE_EPOCH) // 60, broken=None, tz=BERLIN, generation="")
    w["config"] = {"transmitter_id": w["tx_id"], "board": "esp32-devkitc", "lan_api": {"enabled": False},
                   "tz": BERLIN}
    return w


def test_readings_held_for_want_of_a_clock_reach_nightscout_after_the_phone_sets_it():
    # the power goes 20 s in, before the first session: nothing kept, no clock after the
    # power-on (no NTP, a Nightscout that sends no Date). The box reads the transmitter
    # all the same: the uploader holds those readings until a wall time dates them. At
    # 40 min the family does what the `clock` notice asks: a settings save from a phone,
    # which sets the clock and restarts the box. Every reading the box took should reach
    # Nightscout; the ones held before the save never do.
    w = _world(60, SPRING - 20 * 60, more_power_cuts_at_s=[[20, 0]],
               phone_saves=[[40 * 60, {"off_s": 0}, True]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert "set from the phone's clock" in console
    reads = [e for e in events if e["event"] == "reading" and e.get("sgv") is not None]
    held = [e for e in reads if e.get("unix_s") is None]
    assert len(held) >= 5, [(e["t_ms"], e.get("unix_s")) for e in reads]   # read before the save
    missing = _not_on_nightscout(w, reads, held)
    assert missing == [], "%d of %d readings taken before the clock never reached Nightscout " \
                          "(minute, dex_s): %s" % (len(missing), len(held), missing)


def test_readings_held_for_want_of_a_clock_survive_a_watchdog_reset():
    # as above, but a reset nobody planned comes first (the watchdog, a crash: no
    # before_reset hook runs) at 30 min, before the phone's save at 40. The link resumes
    # after the newest reading it delivered (RTC memory): the readings held until then
    # were in the uploader's RAM only, and never came again.
    w = _world(60, SPRING - 20 * 60, more_power_cuts_at_s=[[20, 0]], reset_at_s=30 * 60,
               phone_saves=[[40 * 60, {"off_s": 0}, True]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert any(e["event"] == "reset" for e in events)
    reads = [e for e in events if e["event"] == "reading" and e.get("sgv") is not None]
    held = [e for e in reads if e.get("unix_s") is None and e["t_ms"] < 30 * MIN]
    assert len(held) >= 3, [(e["t_ms"], e.get("unix_s")) for e in reads]
    missing = _not_on_nightscout(w, reads, held)
    assert missing == [], "%d of %d readings taken before the clock and a watchdog reset never " \
                          "reached Nightscout (minute, dex_s): %s" % (len(missing), len(held), missing)


def _not_on_nightscout(w, reads, held):
    """(minute, dex_s) of the held readings Nightscout did not store, by the transmitter
    clock's offsets of the readings dated after the phone set the clock."""
    offsets = {int(e["unix_s"]) - e["dex_s"] for e in reads if e.get("unix_s") is not None}
    assert offsets, "no dated reading after the phone set the clock"
    stored_dex = set()
    for date, sgv in w["_ns_stored"]:
        for o in offsets:
            stored_dex.add(date // 1000 - o)
    return [(e["t_ms"] // MIN, e["dex_s"]) for e in held
            if not any(abs(e["dex_s"] - d) <= 2 for d in stored_dex)]


def test_readings_held_before_the_transmitters_clock_restarted_are_not_posted_at_its_times():
    # within one boot: no clock after the power-on (no kept activation, NTP unanswered), the
    # transmitter 3 h old. Its clock restarts at 40 min (a reset: 10 min old again; the link
    # meets tx_clock), NTP answers at 60 min. The first reading with a wall time dated the
    # readings held from before the restart by the new clock's activation, as if its own
    # (forward.nightscout _date_held: within a day on the transmitter clock): Nightscout
    # stored them 3.5 h late, 2 h in the future (a follower's newest entry), values of
    # another time. Those the restarted transmitter backfills come back on its clock; the
    # others are lost rather than misdated.
    w = _world(90, SPRING - 20 * 60, more_power_cuts_at_s=[[20, 0]], tx_age_s=3 * 3600,
               tx_restart_at_s=[[40 * 60, 600]], ntp_script=[[0, "none", 0], [60 * 60, "true", 0]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert any(e["event"] == "link" and e.get("what") == "tx_clock" for e in events)
    world0 = [e["unix_s"] for e in events if e["event"] == "world_clock"][0]
    lives = [(world0 + e["t_ms"] // 1000, e["sgv"]) for e in events
             if e["event"] == "reading" and e.get("source") == "live" and e.get("sgv") is not None]
    assert sum(1 for e in events if e["event"] == "reading" and e.get("unix_s") is None) >= 8
    stored = w["_ns_stored"]
    assert len(stored) >= 6, stored   # the readings after NTP answered, at least
    wrong = [(date // 1000 - world0, sgv) for date, sgv in stored
             if not any(s == sgv and abs(date // 1000 - t) <= 30 for t, s in lives)]
    assert wrong == [], "Nightscout stored readings at times they were not taken (s into the " \
                        "world, mg/dL): %s" % wrong
    # and the loss is told: the forwarding alarm (low) names it, not only the log
    told = [e for e in events if e["event"] == "alarm_onset" and e.get("type") == "forwarding"
            and e.get("reason") == "nightscout_undated"]
    assert told and told[0]["t_ms"] >= 40 * MIN, told


def test_readings_held_before_a_restart_the_link_did_not_notice_are_not_posted_at_its_times():
    # as above, but the transmitter is young (10 min old: just activated) and its clock
    # restarts (a reset at 25 min) while it is out of reach (17 to 60 min). Met again, its
    # clock (35 min) is ahead of the newest reading the link delivered (about 27 min on the
    # old clock): no `tx_clock`, and the readings held from before the restart were dated
    # by the new clock's activation when NTP answered (35 min late on Nightscout).
    w = _world(100, SPRING - 20 * 60, more_power_cuts_at_s=[[20, 0]], tx_age_s=600,
               tx_restart_at_s=[[25 * 60, 0]], ntp_script=[[0, "none", 0], [70 * 60, "true", 0]])
    w["silent"] = [[17 * 60, 60 * 60]]
    chaos._retime(w)
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert any(e["event"] == "tx_restart" for e in events)
    held = [e for e in _reads(events) if e.get("unix_s") is None and e["t_ms"] < 17 * MIN]
    assert len(held) >= 2, held
    wrong = _misdated(w, events)
    assert wrong == [], "Nightscout stored readings at times they were not taken (s into the " \
                        "world, mg/dL): %s" % wrong
    assert "readings without a wall time dropped" in console   # lost rather than misdated: said


def test_readings_held_before_an_unseen_restart_are_not_posted_at_its_times_after_a_reset():
    # as above, but the family answers the `clock` notice with a phone's settings save at
    # 40 min, while the transmitter is still out of reach: the box restarts, its uploader
    # takes the held readings back from RTC memory (the same transmitter ID) and the link
    # starts afresh, without the last session's clock to compare with. Met again at 60 min,
    # the restarted clock is ahead of the newest reading: they were dated by it.
    w = _world(100, SPRING - 20 * 60, more_power_cuts_at_s=[[20, 0]], tx_age_s=600,
               tx_restart_at_s=[[25 * 60, 0]], ntp_script=[[0, "none", 0]],
               phone_saves=[[40 * 60, {"off_s": 0}, True]])
    w["silent"] = [[17 * 60, 60 * 60]]
    chaos._retime(w)
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert "set from the phone's clock" in console
    assert any(e["event"] == "tx_restart" for e in events)
    assert not [e for e in _reads(events) if e["t_ms"] > 40 * MIN and e.get("unix_s") is None]
    wrong = _misdated(w, events)
    assert wrong == [], "Nightscout stored readings at times they were not taken (s into the " \
                        "world, mg/dL): %s" % wrong
    assert "readings without a wall time dropped" in console   # lost rather than misdated: said


def _reads(events):
    return [e for e in events if e["event"] == "reading" and e.get("sgv") is not None]


def _misdated(w, events):
    """(s into the world, mg/dL) of what Nightscout stored at a time no reading of that
    value was taken: each reading's time by its session's live reading, back by the
    transmitter clock (a backfill brings the readings of an absence)."""
    world0 = [e["unix_s"] for e in events if e["event"] == "world_clock"][0]
    reads = _reads(events)
    taken = []
    for e in reads:
        live = [r for r in reads if r.get("source") == "live" and abs(r["t_ms"] - e["t_ms"]) < 5000]
        assert live, e
        taken.append((world0 + live[0]["t_ms"] // 1000 - live[0]["dex_s"] + e["dex_s"], e["sgv"]))
    stored = w["_ns_stored"]
    assert len(stored) >= 4, stored
    return [(date // 1000 - world0, sgv) for date, sgv in stored
            if not any(s == sgv and abs(date // 1000 - t) <= 30 for t, s in taken)]


def test_a_power_cut_without_a_clock_loses_none_of_its_readings_to_nightscout():
    # the kept activation gone (tx_clock.txt removed at a reset 20 s before the cut) and NTP
    # silent from the cut to an hour after the power-on (10 min later): no clock, every
    # reading held. The first session gives its live reading, then 3 h of backfill (36,
    # most of them stored before the cut): 37 for the hold's 36 then. The first held went, the
    # power-on's live reading, never posted; the oldest backfill, stored already, was kept
    cut = 200 * 60   # (the virtual transmitter's history starts with the world: 3 h of it)
    w = _world(330, SPRING - 20 * 60, files_damage_at_s=[cut - 20, [["tx_clock.txt", "remove"]]],
               more_power_cuts_at_s=[[cut, 600]],
               ntp_script=[[0, "true", 0], [cut, "none", 0], [cut + 600 + 3600, "true", 0]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    assert any(e["event"] == "file_damaged" and e["file"] == "tx_clock.txt" for e in events)
    reads = _reads(events)
    held = [e for e in reads if e.get("unix_s") is None]
    assert len(held) >= 40, len(held)          # the backfill and an hour of live readings
    missing = _not_on_nightscout(w, reads, held)
    assert missing == [], "%d of %d readings held after the power cut never reached Nightscout " \
                          "(minute, dex_s): %s" % (len(missing), len(held), missing)
    assert _misdated(w, events) == []
    dates = [date for date, _ in w["_ns_stored"]]
    assert len(dates) == len({d // 300000 for d in dates}), "stored twice"   # one per 5 min


def test_a_power_on_without_a_clock_whose_backfill_is_held_whole_sounds_no_alarm():
    # as above, but NTP answers at its second try, 5 min after the power-on: the first
    # session (a minute in) gave its live reading and 3 h of backfill with no clock, 37
    # readings, and the next one is dated. The hold kept 36: one dropped, and
    # nightscout_queue_full sounded the forwarding alarm (low, medium after escalation)
    # though nothing was lost and the box only waited for its clock (helper-288)
    cut = 200 * 60
    w = _world(260, SPRING - 20 * 60, files_damage_at_s=[cut - 20, [["tx_clock.txt", "remove"]]],
               more_power_cuts_at_s=[[cut, 600]],
               ntp_script=[[0, "true", 0], [cut, "none", 0], [cut + 600 + 300, "true", 0]])
    events, console, error, _ = chaos.run_world(w)
    assert error is None, error
    reads = _reads(events)
    held = [e for e in reads if e.get("unix_s") is None]
    assert len(held) == 37, len(held)          # the first session's whole: live and backfill
    assert "nightscout_queue_full" not in console, [
        line for line in console.splitlines() if "queue_full" in line or "dropped" in line]
    assert _not_on_nightscout(w, reads, held) == []
    assert _misdated(w, events) == []
