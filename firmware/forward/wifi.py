# Wi-Fi keeper: joins one of several configured networks, reconnects forever
# with back-off, reports up/down, and keeps traffic out of the transmitter's
# BLE window.
#
#   keeper = WifiKeeper([{"ssid": "home", "password": "..."}, ...],
#                       ble_active=lambda: True, on_change=lambda up: ...)
#   asyncio.create_task(keeper.run())
#   keeper.is_up(); await keeper.wait_up()
#   await keeper.wait_quiet(ms, blocks=False, host=None, port=None)
#   keeper.transmitter_window(opens_in_s, duration_s)   # called by the BLE link
#
# Quiet: a forwarder's traffic keeps out of the transmitter's BLE window; a step
# that holds the event loop (blocks=True: a TLS handshake, MQTT's connect, an NTP
# query) also waits for a pause between the bursts of a sounding alarm
# (sound_pause: the annunciator's pause_in_ms), else the beep under way became
# a tone as long as the step, or the rest of the burst was not heard. A name
# lookup due before such a step (forward.names) gets a pause of its own; when the
# sound leaves none that long and the last lookup held the board, it is passed
# over (as if it had failed) until one comes.
#
# BLE coexistence: with BLE active ESP-IDF requires Wi-Fi modem sleep
# (pm=PM_NONE aborts in several IDF versions), so the keeper sets the modem-
# sleep mode itself and set_power_mode() refuses PM_NONE while BLE is on.
# No blocking calls: connect() returns at once and is polled; scan() (which
# blocks for seconds on the ESP32) is not used.
import asyncio
import time

from app.config import raw_key
from forward import ConfigError, need, log_print
from forward import names

_POLL_MS = 250
_WINDOW_GUARD_MS = 2000  # start keeping quiet this long before the window
_SETTLE_MS = 12000       # an attempt's own verdict comes by then (scan ~2-3 s, join and DHCP more)
# the longest a blocking step is taken to hold the loop: a TLS handshake on the
# ESP32 (software ECDHE and certificate checks, estimated 1-3 s, not measured),
# MQTT's 1 s connect, an NTP query's 1 s
BLOCK_MS = 3000
# a name lookup whose DNS server is slow or silent holds the loop up to lwIP's
# resolver timeout (ESP-IDF: 4 tries, 1+1+2+3 s per server)
LOOKUP_MS = 7000
SOUND_WAIT_MAX_MS = 30000   # at most this long waiting for the sound (3 high bursts at level 0)


def validate(networks):
    if not isinstance(networks, list) or not networks:
        raise ConfigError("wifi: expected a non-empty list of {ssid, password}")
    if len(networks) > 5:   # app.config's limits (MAX_WIFI, 8..63): the keeper's own guard
        raise ConfigError("wifi: at most 5 networks")
    out = []
    for i, n in enumerate(networks):
        w = "wifi[%d]" % i
        ssid = need(n, "ssid", str, w)
        if not 1 <= len(ssid.encode()) <= 32:   # bytes, as the port copies them
            raise ConfigError(w + ".ssid: 1..32 bytes")
        pw = need(n, "password", str, w, "", False)
        if pw and not 8 <= len(pw.encode()) <= 63 and not raw_key(pw):
            raise ConfigError(w + ".password: 8..63 bytes, 64 hex digits (a raw key), or empty for an open network")
        out.append((ssid, pw))
    return out


class WifiKeeper:
    def __init__(self, networks, wlan=None, ble_active=None, on_change=None, log=log_print,
                 connect_timeout_s=20, backoff_min_s=2, backoff_max_s=120, check_s=5,
                 sound_pause=None, sound_fits=None, hostname=None, ap_open=None):
        self.networks = validate(networks)
        self.hostname = hostname
        self._ap_open = ap_open   # the box's own setup access point is open (see run)
        if wlan is None:
            import network
            wlan = network.WLAN(network.STA_IF)
        self.wlan = wlan
        self._ble_active = ble_active or (lambda: False)
        self._sound_pause = sound_pause
        self._sound_fits_cb = sound_fits   # the annunciator's pause_fits: is its pause that long?
        self._on_change = on_change
        self._log = log
        self.connect_timeout_ms = int(connect_timeout_s * 1000)
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.check_s = check_s
        self._up = False
        self._up_event = asyncio.Event()
        self._win_start = None  # ticks_ms when the transmitter window opens (with guard)
        self._win_end = None
        self.ssid = None
        # ssid -> this outage's last failure ("refused (wrong password)"): a retry that
        # fails alike is not logged again, and the status page says why (why())
        self._said = {}

    # --- state ----------------------------------------------------------------
    def is_up(self):
        return self._up

    def address(self):
        """The box's address on the home network while joined (the status page and
        the log show it: after set-up over the box's own access point, it is how the
        family finds the box again), else None."""
        if not self._up:
            return None
        try:
            return self.wlan.ifconfig()[0]
        except Exception:
            return None

    async def wait_up(self):
        while not self._up:
            await self._up_event.wait()

    def _set_up(self, up):
        if up == self._up:
            return
        self._up = up
        if up:
            self._said = {}
            self._up_event.set()
        else:
            self._up_event.clear()
        at = self.address() if up else None
        self._log("wifi: %s%s%s" % ("up on " if up else "down", self.ssid if up else "",
                                    " at " + at if at else ""))
        if self._on_change:
            self._on_change(up)

    # --- BLE coexistence ----------------------------------------------------
    def set_power_mode(self, pm):
        """Set WLAN power management; PM_NONE is refused while BLE is active."""
        pm_none = getattr(self.wlan, "PM_NONE", 0)
        if pm == pm_none and self._ble_active():
            raise ValueError("Wi-Fi pm=PM_NONE is not allowed while BLE is active")
        self.wlan.config(pm=pm)

    def _apply_pm(self):
        pm = getattr(self.wlan, "PM_PERFORMANCE", None)
        if pm is not None and self._ble_active():
            self.set_power_mode(pm)  # modem sleep: what ESP-IDF requires beside BLE

    def transmitter_window(self, opens_in_s, duration_s=30):
        """The link expects the transmitter's BLE window in opens_in_s seconds,
        lasting about duration_s: forwarders keep their traffic out of it."""
        now = time.ticks_ms()
        self._win_start = time.ticks_add(now, int(opens_in_s * 1000) - _WINDOW_GUARD_MS)
        self._win_end = time.ticks_add(now, int((opens_in_s + duration_s) * 1000))

    def quiet_delay_ms(self, need_ms, blocks=False):
        """How long to wait before need_ms of traffic avoids the BLE window, and,
        when it blocks the loop, an alarm's burst too (0: go now)."""
        d = self._window_delay_ms(need_ms)
        if d == 0 and blocks:
            d = self._sound_delay_ms(min(need_ms, BLOCK_MS))
        return d

    def _sound_delay_ms(self, need_ms):
        return _ask(self._sound_pause, need_ms, 0)

    def _sound_fits(self, need_ms):
        return _ask(self._sound_fits_cb, need_ms, True)

    def _window_delay_ms(self, need_ms):
        if self._win_start is None:
            return 0
        now = time.ticks_ms()
        if time.ticks_diff(now, self._win_end) >= 0:
            self._win_start = self._win_end = None  # window passed
            return 0
        if time.ticks_diff(self._win_start, time.ticks_add(now, need_ms)) >= 0:
            return 0  # done before it opens
        return time.ticks_diff(self._win_end, now)

    async def wait_quiet(self, need_ms, blocks=False, host=None, port=None):
        """Until need_ms of traffic keeps out of the BLE window and, when the
        step blocks the loop, a sounding alarm's burst. A blocking step to host
        whose name is due a lookup (forward.names) first gets a pause for the
        lookup alone, as long as the pattern's pause allows; the lookup is made
        here, and the step then waits for a pause of its own."""
        if blocks and host is not None and names.lookup_due(host, port):
            if names.dns_stalls() and not self._sound_fits(LOOKUP_MS):
                # an escalated high-priority sound pauses 3.3 s: a DNS server that
                # held the board last time would break its rhythm every
                # RESOLVE_FAILED_S for a lookup that most likely fails again
                names.pass_over(host)
            else:
                await self._wait(LOOKUP_MS + need_ms, LOOKUP_MS)
                try:
                    names.resolve(host, port)
                except OSError:
                    pass  # kept by forward.names: the step fails on it at once
        await self._wait(need_ms, min(need_ms, BLOCK_MS) if blocks else 0)

    async def wait_sound_pause(self, need_ms):
        """Until a sounding alarm leaves need_ms without a pulse (at most
        SOUND_WAIT_MAX_MS): for a step that holds the loop without the radio
        (a flash write), which the transmitter's window need not hold up."""
        await self._wait(None, need_ms)

    async def _wait(self, window_ms, sound_ms):
        # the sound's part is capped: a sound that changes more often than its
        # bursts end (or a pause missed by a late wake-up, every period) would
        # hold forwarding for ever; after SOUND_WAIT_MAX_MS the step goes anyway
        waited = 0
        while True:
            d = 0 if window_ms is None else self._window_delay_ms(window_ms)
            if d == 0 and sound_ms and waited < SOUND_WAIT_MAX_MS:
                d = self._sound_delay_ms(sound_ms)
                waited += d
            if d <= 0:
                return
            await asyncio.sleep_ms(d)

    # --- the task -----------------------------------------------------------
    async def _try(self, ssid, pw):
        w = self.wlan
        try:
            w.disconnect()
        except OSError:
            pass
        if ssid not in self._said:
            self._log("wifi: joining %s" % ssid)
        # The ESP32 reports the last attempt's failure (no AP, wrong password)
        # until an address is got, so right after connect() status() may still
        # tell the previous network's verdict: the same status is believed only
        # once this attempt had time to reach its own.
        before = w.status()
        try:
            w.connect(ssid, pw)
        except OSError as e:
            self._say(ssid, "connect failed: %s" % e)
            return False
        t0 = time.ticks_ms()
        bad = _bad_statuses(w)
        while time.ticks_diff(time.ticks_ms(), t0) < self.connect_timeout_ms:
            if w.isconnected():
                return True
            st = w.status()
            if st in bad and (st != before or time.ticks_diff(time.ticks_ms(), t0) >= _SETTLE_MS):
                self._say(ssid, "refused (%s)" % bad[st])
                return False
            await asyncio.sleep_ms(_POLL_MS)
        self._say(ssid, "timed out")
        return False

    def _say(self, ssid, why):
        # the log ring is small: a network failing the same way at every retry of an
        # outage says so once (and again when it fails differently or after being up)
        if self._said.get(ssid) != why:
            self._said[ssid] = why
            self._log("wifi: %s %s" % (ssid, why))

    def why(self):
        """While not joined: each network's last failure, in the configured order
        ("home refused (wrong password)"), for the status page; else None. A
        changed router password then shows there, not only in the log, and a
        network saved without a password (taken as an open one) says so."""
        said = self._said
        if self._up or not said:
            return None
        return "; ".join("%s %s%s" % (s, said[s], "" if pw else ", saved without a password")
                         for s, pw in self.networks if s in said)

    def _ap_is_open(self):
        try:
            return bool(self._ap_open and self._ap_open())
        except Exception:
            return False

    def _set_hostname(self):
        """The name DHCP gives the router and mDNS answers (<name>.local): the ESP32
        port starts its mDNS responder at the first connection with the name set then."""
        if not self.hostname:
            return
        try:
            import network
            if network.hostname() != self.hostname:
                network.hostname(self.hostname)
        except Exception as e:   # (a MicroPython before 1.20 has none): found by address only
            self._log("wifi: host name %s not set: %r" % (self.hostname, e))

    def _joined_ssid(self):
        try:
            return self.wlan.config("ssid")
        except (OSError, ValueError):
            return "?"

    async def run(self):
        """Forever: stay connected to one of the networks."""
        self._set_hostname()
        self.wlan.active(True)
        self._apply_pm()
        backoff = self.backoff_min_s
        while True:
            if self.wlan.isconnected():
                if self.ssid is None:   # joined by the ESP32's own retry during our back-off
                    self.ssid = self._joined_ssid()
                self._set_up(True)
                backoff = self.backoff_min_s
                await asyncio.sleep(self.check_s)
                continue
            self._set_up(False)
            self.ssid = None
            for ssid, pw in self.networks:
                await self.wait_quiet(2000)
                if await self._try(ssid, pw):
                    self.ssid = ssid
                    self._apply_pm()
                    break
            else:
                if self._ap_is_open():
                    # the ESP32 port retries the last network by itself until told to
                    # stop; each retry scans every channel, and the box's own access
                    # point goes with the radio: a phone on the setup page (there to fix
                    # a changed Wi-Fi password) kept losing it. Retried by the keeper alone
                    try:
                        self.wlan.disconnect()
                    except OSError:
                        pass
                if backoff < self.backoff_max_s:   # said up to 64 s; then every backoff_max_s, unsaid
                    self._log("wifi: no network joined; retry in %d s" % backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)


def _ask(sound, need_ms, otherwise):
    """The annunciator's answer about need_ms, or otherwise when there is none or
    it fails (the sound's fault is the annunciator's to report; forwarding goes on)."""
    if sound is None:
        return otherwise
    try:
        return sound(need_ms)
    except Exception:
        return otherwise


def _bad_statuses(w):
    try:
        import network
    except ImportError:
        return {}
    out = {}
    for name, words in (("STAT_WRONG_PASSWORD", "wrong password"), ("STAT_NO_AP_FOUND", "network not found"),
                        ("STAT_CONNECT_FAIL", "connection failed")):
        v = getattr(network, name, None)
        if v is not None:
            out[v] = words
    return out
