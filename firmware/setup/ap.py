# The box's own Wi-Fi access point, for set-up without a home network.
#
#   key = ap.device_key()                     # 16 random bytes kept in setup_key.bin
#   essid, password = ap.credentials(machine.unique_id(), key)
#   point = ap.AccessPoint(network, machine.unique_id(), key)
#   point.open("no_wifi")                      # or on the button gesture
#   asyncio.create_task(point.run())           # closes it after idle_close_s without a client
#   point.touch()                              # the web server calls this on every request
#
# Name: "CGM-Alarm-XXXX", XXXX = the last two bytes of machine.unique_id() in hex.
# Password: 12 characters of SHA-256("cgm-alarm-ap:" + device key + unique_id)
# written in an alphabet without look-alikes (no 0 o 1 l i). The unique_id alone
# is not a secret (it is the Wi-Fi MAC, on the air in every beacon) and the
# rule is public, so the per-device random key is mixed in: it is made on the
# first boot and kept on flash (setup_key.bin; `make flash` leaves it alone),
# twice (the file and its .bak), each copy with its CRC-32: a copy damaged on
# flash is told from the key and the other copy gives the label's password
# back (only a box whose two copies are both damaged makes a new key, and says
# so). A 16-byte file (a key placed without the checksum, by hand or by an
# older firmware) is taken as it is and sealed in two copies from then on.
# The password is printed on the serial console (print, never the log
# ring that the LAN can read) when the key is made and whenever the AP opens,
# for the device label. Without a writable flash the key is empty and the
# password depends on unique_id only (a warning is logged, and at each opening
# the console and the log say it is not kept: not for the label; the first boot
# the flash takes writes makes the label's). A key whose first copy the flash took
# and not the second is kept (its copy is written at the next boot).
#
# Non-blocking: run() polls every POLL_S seconds; alarms keep running.
try:
    from micropython import const
except ImportError:
    const = lambda x: x  # noqa: E731

import asyncio
import binascii
import hashlib
import os

import clock
from app import fsutil, log

_ESSID_PREFIX = const("CGM-Alarm-")
KEY_PATH = "setup_key.bin"
KEY_BYTES = 16
_PASSWORD_CHARS = const(12)
_IDLE_CLOSE_S = const(15 * 60)   # closed this long after the last client left
CLOSE_BLOCK_MS = 100     # stopping the interface holds the board (ESP-IDF's Wi-Fi stop)
POLL_S = 5
_ALPHABET = const("abcdefghjkmnpqrstuvwxyz23456789")   # 31 symbols: ~59 bits for 12 chars
AUTH_WPA2_PSK = 3


class ApError(Exception):
    """The access point could not be opened (the radio refused)."""


def credentials(uid, key=b""):
    """(essid, password) of the box whose machine.unique_id() is `uid` (bytes)."""
    uid = bytes(uid)
    essid = _ESSID_PREFIX + binascii.hexlify(uid[-2:]).decode().upper()
    digest = hashlib.sha256(b"cgm-alarm-ap:" + bytes(key) + uid).digest()
    password = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:_PASSWORD_CHARS])
    return essid, password


def _random(n):
    try:
        return os.urandom(n)
    except (AttributeError, NotImplementedError):
        import random
        return bytes(random.getrandbits(8) for _ in range(n))


def _sealed(key):
    return bytes(key) + binascii.crc32(key).to_bytes(4, "big")


def _unsealed(data):
    """The key a sealed copy holds, or None when it is missing or damaged."""
    if data is None or len(data) != KEY_BYTES + 4:
        return None
    key = data[:KEY_BYTES]
    return key if binascii.crc32(key).to_bytes(4, "big") == data[KEY_BYTES:] else None


def _store(path, key):
    # the second write moves the first to .bak (fsutil.write_atomic): two copies
    fsutil.write_atomic(path, _sealed(key))
    fsutil.write_atomic(path, _sealed(key))


def device_key(path=KEY_PATH, uid=None):
    """This box's AP key from flash; made (and its password printed) on first use."""
    # a cut while the key was written: the save finished or undone, or, when the flash
    # refuses to finish it, read where it is (the key whole in the temp file, its seal
    # judges a half one)
    here, state = fsutil.readable(path)
    if isinstance(state, OSError):
        log.warn("setup: cannot finish a cut save of %s (%s): read as it is", path, state)
    data = fsutil.read_bytes(here)
    if here != path:
        # not sealed nor copied now: a save writes its temp file over that one, the only
        # whole copy, and removes it when the flash refuses its rename (the next boot made a
        # new key). The next boot whose flash takes the rename does it
        key = data if data is not None and len(data) == KEY_BYTES else _unsealed(data)
        if key is not None:
            return key
    if data is not None and len(data) == KEY_BYTES:
        try:
            _store(path, data)
            log.info("setup: %s had no checksum: kept twice with one from now on", path)
        except OSError as e:
            log.warn("setup: cannot add a checksum to the AP key (%s); used as it is", e)
        return data
    key = _unsealed(data)
    if key is not None:
        if fsutil.read_bytes(path + fsutil.BAK) != data:
            # (a cut between the two writes, a damaged copy): the file becomes the copy
            log.warn("setup: the copy of %s is missing or damaged: written again", path)
            try:
                fsutil.write_atomic(path, data)
            except OSError as e:
                log.warn("setup: cannot write the AP key's copy again (%s)", e)
        return key
    key = _unsealed(fsutil.read_bytes(path + fsutil.BAK))
    if key is not None:
        log.warn("setup: %s is %s; its copy holds the key: written again", path,
                 "missing" if data is None else "damaged (%d bytes)" % len(data))
        try:
            # not over the damaged file: write_atomic would first remove the .bak, and
            # a cut then would leave the key only in a temporary file recover() drops
            fsutil.remove_if_present(path)
            fsutil.write_atomic(path, _sealed(key))
        except OSError as e:
            log.warn("setup: cannot write the AP key again (%s)", e)
        return key
    if data is not None:
        log.warn("setup: %s is damaged (%d bytes) and so is its copy: a new key, so the access "
                 "point's password is a new one (printed on the serial console; a password on "
                 "the label no longer opens it)", path, len(data))
    key = _random(KEY_BYTES)
    try:
        _store(path, key)
    except OSError as e:
        if _unsealed(fsutil.read_bytes(path)) != key:
            log.warn("setup: cannot store the AP key (%s); AP password from unique_id only", e)
            return b""
        # the first write went through (a full flash): the key is kept, and the next
        # boot's; its copy is written then. The stand-in was not: its password changed
        log.warn("setup: the AP key's copy could not be written (%s): kept once", e)
    if uid is not None:
        essid, password = credentials(uid, key)
        print("SETUP ACCESS POINT (write it on the label): %s password %s" % (essid, password))
    return key


class AccessPoint:
    def __init__(self, network, uid, key=b"", idle_close_s=_IDLE_CLOSE_S, on_change=None,
                 sound_pause=None):
        self.network = network
        # fn(need_ms) -> ms until a sounding alarm leaves need_ms without a pulse (the
        # annunciator's pause_in_ms): the idle close waits for it, else the Wi-Fi stop
        # held the board inside a pulse of a burst under way (one came out 50 or 150 ms)
        self.sound_pause = sound_pause
        self.essid, self._password = credentials(uid, key)
        self.kept = bool(key)   # b"": device_key could not keep one (the flash refuses writes)
        self.idle_close_s = idle_close_s
        self.on_change = on_change      # fn(is_open: bool, reason: str)
        self._wlan = None
        self._open = False
        self._last_client_ms = 0
        self.reason = None

    def is_open(self):
        return self._open

    def open(self, reason="button"):
        """Start the AP (idempotent; a second call restarts the idle timer)."""
        self._last_client_ms = clock.ms()
        if self._open:
            return
        w = None
        try:
            w = self._wlan = self.network.WLAN(self.network.AP_IF)
            w.active(True)
            w.config(essid=self.essid, password=self._password,
                     authmode=getattr(self.network, "AUTH_WPA2_PSK", AUTH_WPA2_PSK))
        except Exception as e:
            # an interface up without our name and password may be an open
            # network, and the link would take the radio for free: take it down
            if w is not None:
                try:
                    w.active(False)
                except Exception:
                    pass
            raise ApError("setup access point failed to start: %r" % (e,))
        self._open = True
        self.reason = reason
        log.info("setup: access point %s open (%s) at %s", self.essid, reason, self.address())
        print("setup: access point %s password %s%s" % (self.essid, self._password,
                                                       "" if self.kept else " (not kept: not for the label)"))
        if not self.kept:
            log.warn("setup: AP key not kept (the flash refused it): its password, from the "
                     "MAC alone, is not for the label; a new one once the flash takes writes")
        self._changed(reason)

    def close(self, reason="done"):
        if not self._open:
            return
        try:
            self._wlan.active(False)
        except Exception as e:
            # still up: say so (the link keeps sharing the radio); the next
            # check() tries again
            log.warn("setup: closing the access point: %r", e)
            return
        self._open = False
        log.info("setup: access point closed (%s)", reason)
        self._changed(reason)

    def touch(self):
        """A client was seen (web request): the idle timer starts again."""
        if self._open:
            self._last_client_ms = clock.ms()

    def stations(self):
        """Number of phones/laptops joined to the AP (0 when unknown)."""
        if not self._open:
            return 0
        try:
            st = self._wlan.status("stations")
        except Exception:
            return 0
        return len(st) if isinstance(st, (list, tuple)) else 0

    def address(self):
        try:
            return self._wlan.ifconfig()[0]
        except Exception:
            return "192.168.4.1"

    def closes_in_s(self):
        if not self._open:
            return None
        left = self.idle_close_s * 1000 - (clock.ms() - self._last_client_ms)
        return max(0, left // 1000)

    def status(self):
        return {"open": self._open, "essid": self.essid, "stations": self.stations(),
                "address": self.address() if self._open else None,
                "closes_in_s": self.closes_in_s(), "reason": self.reason}

    def check(self):
        """One poll: a joined station keeps it open; idle too long closes it."""
        if not self._open:
            return
        if self.stations():
            self._last_client_ms = clock.ms()
        elif self._idle_over():
            self.close("idle %d min" % (self.idle_close_s // 60))

    def _idle_over(self):
        return clock.ms() - self._last_client_ms >= self.idle_close_s * 1000

    async def run(self):
        while True:
            if self._open and self.sound_pause is not None and self._idle_over():
                await asyncio.sleep_ms(self.sound_pause(CLOSE_BLOCK_MS))   # (never raises)
            self.check()
            await asyncio.sleep(POLL_S)

    def _changed(self, reason):
        if self.on_change is not None:
            try:
                self.on_change(self._open, reason)
            except Exception as e:
                log.exc(e, "setup: on_change")
