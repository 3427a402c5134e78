# The virtual transmitter on a BLE controller with the MicroPython
# `bluetooth.BLE` API (an extra in-process controller of the virtual radio).
# It owns the radio side: advertising at each wake-up, the GATT table, IRQs,
# bond secrets; transmitter.py decides what to answer. Timers run on vtime.
import struct
import bluetooth
import vtime
from vtx import wire
from vtx.transmitter import Conn

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_ENCRYPTION_UPDATE = 28
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30
_IRQ_PASSKEY_ACTION = 31

_F_READ = 0x0002
_F_WRITE = 0x0008
_F_NOTIFY = 0x0010
_F_INDICATE = 0x0020
_F_WRITE_ENCRYPTED = 0x1000

ADV_INTERVAL_US = 100000
CONN_LIMIT_MS = 20000  # the transmitter drops a connection after this (KeepAlive extends)


def adv_payload(name):
    """Flags, 16-bit service 0xFEBC, complete name, manufacturer 0x00D0 data."""
    def field(t, v):
        return bytes((len(v) + 1, t)) + v
    return (field(0x01, b"\x06") + field(0x03, struct.pack("<H", wire.ADV_SERVICE16))
            + field(0x09, name.encode()) + field(0xFF, struct.pack("<H", wire.MANUFACTURER_ID) + b"\xf2\x03"))


class VirtualTransmitter:
    def __init__(self, ble, tx, adv_interval_ms=None):
        self.ble = ble
        self.tx = tx
        self.adv_interval_us = adv_interval_ms * 1000 if adv_interval_ms else ADV_INTERVAL_US
        self.secrets = {}
        self.conns = {}           # conn_handle -> Conn
        self.advertising = False
        self.window = None        # index of the current window
        self.adv_end_us = 0
        self.done = False         # this window's session ended cleanly
        self.sessions = 0
        self.stopped = False
        ble.irq(self._irq)
        ble.active(True)
        ble.config(bond=True, le_secure=True, mitm=False, io=3)
        try:
            ble.config(gap_name=tx.name)
        except Exception:
            pass
        # The properties of a real G5 (xdrip-js issue #11 discovery dump) and
        # G6: authentication read/write/indicate, control write/indicate,
        # backfill read/write/notify. Mode auth_notify: notify on authentication.
        auth_sub = _F_NOTIFY if tx.mode("auth_notify") else _F_INDICATE
        svc = (bluetooth.UUID(wire.CGM_SERVICE), (
            (bluetooth.UUID(wire.COMMUNICATION), _F_READ | _F_NOTIFY),
            (bluetooth.UUID(wire.CONTROL), _F_WRITE | _F_INDICATE | _F_WRITE_ENCRYPTED),
            (bluetooth.UUID(wire.AUTHENTICATION), _F_READ | _F_WRITE | auth_sub),
            (bluetooth.UUID(wire.BACKFILL), _F_READ | _F_WRITE | _F_NOTIFY | _F_WRITE_ENCRYPTED),
        ))
        ((self.h_comm, self.h_control, self.h_auth, self.h_backfill),) = ble.gatts_register_services((svc,))
        self.handles = {"auth": self.h_auth, "control": self.h_control, "backfill": self.h_backfill}
        self.adv = adv_payload(tx.name)

    # --- schedule -----------------------------------------------------------
    def start(self):
        """Schedule the wake-ups from the transmitter's next reading on."""
        k = max(0, self.tx.current_window(vtime.monotonic_us()) + 1)
        vtime.call_at(self.tx.window_us(k), self._wake, k)

    def stop(self):
        """The transmitter goes quiet for good (its battery is spent): no more wake-ups."""
        self.stopped = True
        self._advertise_off(self.window)

    def _wake(self, k):
        if self.stopped:
            return
        vtime.call_at(self.tx.window_us(k + 1), self._wake, k + 1)
        self.window = k
        self.done = False
        delay = self.tx.wake(k)
        if self.tx.keys_lost:
            self.tx.keys_lost = False
            self.secrets.clear()
        if delay is None:
            return
        vtime.call_later(delay, self._advertise_on, k)

    def _advertise_on(self, k):
        self.adv_end_us = vtime.monotonic_us() + self.tx.adv_ms * 1000
        vtime.call_at(self.adv_end_us, self._advertise_off, k)
        self._advertise()

    def _advertise(self):
        if self.conns or self.done or vtime.monotonic_us() >= self.adv_end_us:
            return
        self.ble.gap_advertise(self.adv_interval_us, adv_data=self.adv, connectable=True)
        self.advertising = True

    def _advertise_off(self, k):
        if self.advertising and not self.conns:
            self.ble.gap_advertise(None)
        self.advertising = False

    # --- IRQs -------------------------------------------------------------------
    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            h, addr_type, addr = data
            self.advertising = False
            c = Conn(bytes(addr))
            c.handle = h
            self.conns[h] = c
            self.sessions += 1
            vtime.call_later(CONN_LIMIT_MS, self._limit, h, c)
        elif event == _IRQ_CENTRAL_DISCONNECT:
            h = data[0]
            c = self.conns.pop(h, None)
            if c is not None and c.clean:
                self.done = True
            self._advertise()  # back on air if the window is still open
        elif event == _IRQ_GATTS_WRITE:
            h, attr = data[0], data[1]
            c = self.conns.get(h)
            if c is None:
                return
            value = self.ble.gatts_read(attr)
            now = vtime.monotonic_us()
            if attr == self.h_auth:
                self._apply(c, self.tx.on_auth_write(c, value, now))
            elif attr == self.h_control:
                self._apply(c, self.tx.on_control_write(c, value, now))
        elif event == _IRQ_ENCRYPTION_UPDATE:
            h, encrypted, authenticated, bonded, key_size = data
            c = self.conns.get(h)
            if c is not None:
                c.encrypted = bool(encrypted)
                if encrypted and bonded:
                    self.tx.on_bonded(c)
        elif event == _IRQ_SET_SECRET:
            sec_type, key, value = data
            k = (sec_type, bytes(key))
            if value is None:
                return self.secrets.pop(k, None) is not None
            self.secrets[k] = bytes(value)
            return True
        elif event == _IRQ_GET_SECRET:
            sec_type, index, key = data
            if key is None:
                i = 0
                for (t, _k), v in self.secrets.items():
                    if t == sec_type:
                        if i == index:
                            return v
                        i += 1
                return None
            return self.secrets.get((sec_type, bytes(key)))
        return None

    def _limit(self, h, c):
        if self.conns.get(h) is c:
            extra = c.keepalive_s * 1000 - CONN_LIMIT_MS
            if extra > 0:
                c.keepalive_s = 0
                vtime.call_later(extra, self._limit, h, c)
                return
            self._disconnect(h)

    # --- actions ----------------------------------------------------------------
    def _apply(self, c, actions):
        delay = self.tx.reply_delay_ms()
        for kind, char, data in actions:
            vtime.call_later(delay, self._do, c, kind, char, data)
            delay += 8 if kind == "notify" else 2

    def _do(self, c, kind, char, data):
        if self.conns.get(c.handle) is not c:
            return  # that connection is gone
        ble = self.ble
        try:
            if kind == "value":
                ble.gatts_write(self.handles[char], data)
            elif kind == "indicate":
                ble.gatts_indicate(c.handle, self.handles[char], data)
            elif kind == "notify":
                ble.gatts_notify(c.handle, self.handles[char], data)
            elif kind == "pair":
                ble.gap_pair(c.handle)
            elif kind == "disconnect":
                self.tx.log.append((self.window, "disconnect: " + str(data)))
                self._disconnect(c.handle)
        except OSError:
            pass  # the central went away meanwhile

    def _disconnect(self, h):
        try:
            self.ble.gap_disconnect(h)
        except OSError:
            pass
