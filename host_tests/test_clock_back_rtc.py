"""How far the wall clock stepped back (clock.back_s(), the bound of forward.redate)
is written to RTC memory by the App and given back to the clock at the next boot:
a reset between the clock's correction and the next reading (a settings save
restarts the box seconds after the phone set its clock, a watchdog reset before the
alarm state's next save) lost it, and the readings the clock had dated ahead stayed
so on Nightscout and the LAN API. It is written at once."""
from apprun import booted_app, run_app

PROG = booted_app(r'''
async def scenario():
    asyncio.create_task(app.start())
    await asyncio.sleep(10)
    app.rtc.save(app.engine.save())                  # the alarm state saved
    saved = app.rtc.saved_s
    clock.set_unix(clock.unix() - 7200)              # the clock put back 2 h (NTP, the phone)
    again = persist.RtcStore(machine.RTC())          # what a boot right now reads (no save between)
    again.load()
    moved = again.saved_s - saved                    # the save's time moved with the clock
    clock._back_s = 0                                # the reset: RAM lost
    booted = main.App(CFG, boards_dirs=(BOARDS,))
    print("RESULT " + json.dumps({"kept": again.clock_back, "after_boot": clock.back_s(),
                                  "moved": moved}))
    sys.exit(0)
''')


def test_the_clocks_step_back_is_kept_through_a_reset(tmp_path):
    out = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}}, PROG)
    assert out == {"kept": 7200, "after_boot": 7200, "moved": -7200}, out


# power-on: the clock unset (its epoch + 1 min)
PROG_UNSET = booted_app(r'''
async def scenario():
    asyncio.create_task(app.start())
    await asyncio.sleep(10)
    unset = not clock.wall_valid()
    app.rtc.blob = b""                               # the alarm state saved now, in the RTC's own count
    app.rtc.save(app.engine.save())
    await asyncio.sleep(100)
    since = int(app.rtc.wall_s()) - app.rtc.saved_s  # since the last save, in the RTC's own count
    clock.set_unix(1700000000)                       # set from unset (the phone, NTP, the transmitter)
    again = persist.RtcStore(machine.RTC())          # a reset now: what the next boot reads
    again.load()
    print("RESULT " + json.dumps({"unset": unset, "since": since, "away": again.away_s}))
    sys.exit(0)
''', wall_unix=946684800 + 60)


def test_a_reset_after_the_clock_was_set_from_unset_knows_how_long_the_board_was_away(tmp_path):
    # before, the save's time stayed in the RTC's power-on count: the time away came out
    # as decades, unknown, and the restore took it as none (snoozes and no_data's count
    # not aged by the time since that save)
    out = run_app(tmp_path, {"board": "esp32-devkitc", "lan_api": {"enabled": False}}, PROG_UNSET)
    assert out["unset"] is True and out["since"] > 0 and abs(out["away"] - out["since"]) <= 1, out
