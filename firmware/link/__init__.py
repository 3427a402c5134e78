# The BLE link with a Dexcom G5/G6/ONE transmitter (adapter over aioble).
#
#   from link.core import Link
#   lk = Link(config, on_reading, on_event)
#   asyncio.create_task(lk.run())
#   lk.status()            -> dict (state, counters, last reading, bond, ...)
#   lk.next_window_ms()    -> clock.ms() of the next expected wake-up or None
#
# config (dict; see link.core.DEFAULTS for every key and its default):
#   transmitter_id  the 6-character serial (required)
#   slot            AuthRequestTx slot byte: 1 = alternate/receiver slot
#                   (default: the phone app keeps its own slot 2), 2 = phone slot
#   bond_path       file where the BLE bond keys persist ("ble_secrets.json")
# on_reading(reading_tuple): each reading once (live or backfill), see reading.py
# on_event(dict): {"event": "link", "what": ..., ...}; `what` is one of
#   connected, authenticated, bonded (a new bond), encrypted (the stored bond
#   held), no_transmitter, auth_failed, rogue, bond_lost, slot_conflict,
#   battery_low, sensor_state, tx_clock, disconnected, error
# battery_low (`active`) and sensor_state (`kind`, `usable`) come when the value
# changes and once when it is first known (the battery's again for another
# transmitter, after tx_clock), so an alarm restored after a reset can clear.
#
# The package imports nothing itself: link.plan is pure bookkeeping, and
# importing it (tests, tools) must not pull in aioble and the radio.
