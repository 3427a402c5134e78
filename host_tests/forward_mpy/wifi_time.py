# Wi-Fi keeper over the host `network` fake, and the time sync (NTP through an
# injected ntptime stand-in, the Nightscout Date header as fallback).
import sys

sys.path.insert(0, "host_tests/forward_mpy")
import fwenv
import asyncio
import json
import clock
import network
from forward import ConfigError
from forward.wifi import WifiKeeper
from forward.timesync import TimeSync, parse_http_date

out = {}
w = network.world
w.ble_active = True
w.add_ap("home", "password-home", -70)
w.add_ap("backup", "password-back", -50)
changes = []


async def wifi():
    # wrong password on the first network: the keeper moves on to the second
    k = WifiKeeper([{"ssid": "home", "password": "wrong-password"},
                    {"ssid": "backup", "password": "password-back"}],
                   ble_active=lambda: True, on_change=lambda up: changes.append((fwenv.now_ms(), up)),
                   log=lambda m: None)
    t = asyncio.create_task(k.run())
    await asyncio.sleep(30)
    out["first_up"] = k.is_up() and k.ssid
    # router off for 10 minutes: down reported, retries with back-off, back up after
    w.set_ap("backup", False)
    await asyncio.sleep(600)
    out["down_during"] = not k.is_up()
    tries = [e for e in w.log if e[1] == "connect"]
    w.set_ap("backup", True)
    await asyncio.sleep(200)
    out["up_after"] = k.is_up()
    out["connect_attempts_in_10min"] = len(tries)
    out["changes"] = [c[1] for c in changes]
    out["pm_values"] = [e[2][1] for e in w.log if e[1] == "config" and e[2][0] == "pm"]
    try:
        k.set_power_mode(network.WLAN.PM_NONE)
        out["pm_none_refused"] = False
    except ValueError:
        out["pm_none_refused"] = True
    # the transmitter window: traffic waits until it has passed
    k.transmitter_window(10, 30)
    out["quiet_short"] = k.quiet_delay_ms(5000)  # fits before the window
    out["quiet_long"] = k.quiet_delay_ms(20000)  # would overlap: wait ~40 s
    t0 = fwenv.now_ms()
    await k.wait_quiet(20000)
    out["waited_ms"] = fwenv.now_ms() - t0
    # a step that blocks the loop waits for a pause in the alarm's sound, but not for
    # ever: a sound that never leaves one (it keeps changing) holds it 30 s at most
    asked = []
    k._sound_pause = lambda need: asked.append(need) or 1000
    t0 = fwenv.now_ms()
    await k.wait_quiet(20000, blocks=True)
    out["sound_capped_ms"] = fwenv.now_ms() - t0
    out["sound_need"] = asked[0]
    t0 = fwenv.now_ms()
    await k.wait_quiet(20000)   # traffic that does not block: no wait for the sound
    out["sound_ignored_ms"] = fwenv.now_ms() - t0
    quiet_at = fwenv.now_ms() + 4500
    k._sound_pause = lambda need: max(0, quiet_at - fwenv.now_ms())
    t0 = fwenv.now_ms()
    await k.wait_quiet(20000, blocks=True)
    out["sound_waited_ms"] = fwenv.now_ms() - t0
    # a flash write (the upload queue's save) waits for the sound's pause only: the
    # transmitter's window, open for 30 s, does not hold it
    k.transmitter_window(0, 30)
    quiet_at = fwenv.now_ms() + 1500
    t0 = fwenv.now_ms()
    await k.wait_sound_pause(500)
    out["flash_waited_ms"] = fwenv.now_ms() - t0
    await k.wait_quiet(1000)
    out["window_waited_ms"] = fwenv.now_ms() - t0
    k._sound_pause = None
    # a long outage logs its failure once, not at every retry (the log ring holds 48 lines)
    said = []
    k._log = said.append
    w.set_ap("backup", False)
    await asyncio.sleep(3600)
    out["outage_log_lines"] = len([m for m in said if "backup" in m or "no network" in m])
    w.set_ap("backup", True)
    await asyncio.sleep(200)
    out["up_after_long"] = k.is_up()
    t.cancel()
    for bad in ([], [{"ssid": ""}], [{"ssid": "x", "password": "short"}], "home"):
        try:
            WifiKeeper(bad, wlan=network.WLAN())
            out.setdefault("config_errors", []).append(None)
        except ConfigError as e:
            out.setdefault("config_errors", []).append(str(e))


class FakeNtp:
    def __init__(self, answer):
        self.answer = answer
        self.host = None
        self.timeout = None

    def time(self):
        if self.answer is None:
            raise OSError(110)
        return self.answer - clock.EPOCH_OFFSET  # ntptime answers in the port's epoch


def timesync():
    ts = TimeSync({"ntp_host": "10.0.0.123"}, ntp=FakeNtp(None), log=lambda m: None)
    out["ntp_fail"] = ts.sync_ntp()
    # fallback: the server's Date header; weeks from the board's clock, which is set: never
    # taken (a captive portal's own clock), whatever its second answer says
    out["unix_before_date"] = clock.unix()
    out["date_ok"] = [ts.offer_date("Tue, 02 Jan 2024 03:04:05 GMT"), ts.offer_date("Tue, 02 Jan 2024 03:04:05 GMT")]
    out["unix_after_date"] = clock.unix()
    out["bad_date"] = ts.offer_date("yesterday")
    ts._ntp = FakeNtp(1800000000)
    # years from the board's time: a step that big waits for NTP's second answer
    out["ntp_ok"] = [ts.sync_ntp(), clock.unix(), ts.sync_ntp()]
    out["unix_after_ntp"] = clock.unix()
    out["server_after_ntp"] = ts.offer_date("Tue, 02 Jan 2024 03:04:05 GMT")
    out["parse"] = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    # a lookup that blocked (DNS not answering) backs the retries off; a fast
    # failure or a success does not
    out["delays"] = [ts.next_delay(False, 100), ts.next_delay(False, 9000),
                     ts.next_delay(False, 9000), ts.next_delay(False, 9000),
                     ts.next_delay(False, 9000), ts.next_delay(False, 9000),
                     ts.next_delay(True, 9000), ts.next_delay(False, 9000)]


asyncio.run(wifi())
timesync()
print(json.dumps(out))
