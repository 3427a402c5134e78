"""A follower box's RTC record (review 21): a follower has no transmitter
clock, so its readings (dex_s = unix_s, source "live") must not become the
record's newest dex time, which a later boot as a leader resumes on."""
from apprun import booted_app, run_app

PROG = booted_app(r'''
import reading


async def scenario():
    asyncio.create_task(app.start())
    await asyncio.sleep(10)
    u = clock.unix()
    app.on_reading(reading.make(u, u, 120, 0, 6))   # as forward.follower makes them
    await asyncio.sleep(120)                         # past SAVE_S: the state is saved
    again = persist.RtcStore(machine.RTC())          # what the next boot reads
    again.load()
    print("RESULT " + json.dumps({"last_dex": again.last_dex, "tx_id": again.tx_id,
                                  "blob": len(again.blob) > 0, "u": u}))
    sys.exit(0)
''')


def test_a_follower_box_keeps_no_transmitter_time_in_rtc_memory(tmp_path):
    # main.App._dispatch left the follower's readings out by source == "follow", a source
    # no reading has (forward.follower makes them "live"): the record kept the entry's Unix
    # time as the newest dex time, with no transmitter ID. The box made a leader again
    # (same or any transmitter: an ID-less record is taken as the one in force's) resumed
    # after that time, and only tx_clock in its first session put it right
    out = run_app(tmp_path, {"role": "follower", "follow": {"url": "http://leader.local:17580"},
                             "board": "esp32-devkitc", "lan_api": {"enabled": False}}, PROG)
    assert out["blob"], out                  # the alarm state was saved (the test saw a save)
    assert out["last_dex"] == 0 and out["tx_id"] is None, out
