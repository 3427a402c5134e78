# Readings held for want of a wall clock (forward/nightscout.py) and a planned reset
# (review of session 44, helper-189). A settings save restarts the box (app.wiring._restart_soon: its
# before_reset hooks, then machine.reset); the uploader's hook, flush_to_flash, writes
# the queue so that unsent readings survive it. Readings held without a wall time are
# not in the queue: they were lost at the restart, and the link, which resumes after
# the newest reading it delivered (RTC memory, main.App._dispatch), never brings them
# again. The save from a phone is what sets a clock-less box's clock: the very save
# that ends the hold threw those readings away.
# Runs on CPython and MicroPython (the World of test_nightscout_rules.py).
from test_nightscout_rules import World, STORE, T


def test_readings_held_without_a_wall_time_survive_a_planned_reset():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        for i in range(6):                      # 30 min of readings, no wall clock
            up.submit((1000 + 300 * i, None, 100 + i, 5 - i))
        up.flush_to_flash()                     # the settings save's restart
        w.clock.wall = True                     # ... whose phone set the clock
        up = w.uploader(store=STORE)            # the next boot
        # the link resumes after dex 2500: its next live reading is the first it gives
        up.submit((2800, T, 120, 0, 6, "live"))
        assert up.queue.entries() == [(1000 + 300 * i, T - 1800 + 300 * i, 100 + i, 5 - i)
                                      for i in range(6)] + [(2800, T, 120, 0)], up.queue.entries()


def test_held_readings_restored_once_are_not_restored_again_at_the_next_boot():
    with World(wall=False) as w:
        up = w.uploader(store=STORE)
        up.submit((1000, None, 100, 0))
        up.flush_to_flash()
        up = w.uploader(store=STORE)
        w.clock.wall = True
        up.submit((1300, T, 120, 0))
        up.queue.ack(up.queue.batch(10))
        up.flush_to_flash()
        up = w.uploader(store=STORE)
        assert up._held == [] and len(up.queue) == 0
