"""The virtual air and virtual BLE controllers behind the host's `bluetooth`.

A `Controller` exposes MicroPython's `bluetooth.BLE` API (as on the ESP32,
NimBLE) and talks to other controllers only through frames on an `Air`.
Every IRQ is delivered later, from a `vtime` timer (between asyncio steps,
like the real stack's scheduled callbacks), never inside the caller.

Design (why two kinds of air):
- In one process (`Air`): any number of controllers share one air.
  `bluetooth.BLE()` is the process's default controller (the firmware's
  aioble binds to it); a virtual peripheral such as the Dexcom transmitter
  is an extra `Controller(air)` in the same process, written on the raw BLE
  API, or running a second copy of aioble (`load_aioble(ctrl, name)`).
  Frames travel through `vtime.call_at`, so days run in seconds.
- Across processes (`vnode.NodeAir`): aioble is a module singleton and each
  multitest instance calls a blocking `asyncio.run`, so aioble's own
  multitests run as two unix-port processes whose clocks advance in
  lock-step under a coordinator (`tools/multitests.py`); frames and
  advertising state are forwarded between them as text lines.

Model (NimBLE-like; the figures are `Air` attributes):
- handles: GAP service 1-5, GATT service 6-9, user services from 10; a CCCD
  (0x2902) follows each notify/indicate value; `gatts_register_services`
  returns value and user-descriptor handles (not CCCDs), as aioble expects.
- links: frames leave at the next connection event (`conn_interval_us`,
  default 50 ms = NimBLE's initial maximum, or gap_connect's interval) after
  `host_latency_us`, so an ATT request/response takes 1-2 intervals.
- ATT: one request at a time per link; effective MTU 23
  until `gattc_exchange_mtu` (min of both `config(mtu=)`, default 256);
  writes truncated to MTU-3, reads to MTU-1, notifications to MTU-3; remote
  writes truncated to the value buffer (`gatts_set_buffer`, default 20).
- status codes: 0 ok, 0x100+ATT error (0x101 invalid handle, 0x102 read not
  permitted, 0x103 write not permitted, 0x105 insufficient authentication,
  0x10F insufficient encryption), 7 (ENOTCONN) for operations cut by a
  disconnect, 13 (ETIMEDOUT) for an unconfirmed indication.
- security: `gap_pair` pairs (Just Works: authenticated=False) or, when both
  ends hold the bond, re-encrypts with it; while a procedure runs on the link
  (ours, or one the peer's Security Request started) it raises
  OSError(EALREADY) as NimBLE does; bonds are read and written only
  through `_IRQ_GET_SECRET` / `_IRQ_SET_SECRET` (sec_type 1 and 2, key =
  addr_type byte + 6-byte address); *_ENCRYPTED characteristics (and their
  CCCD) answer 0x10F (peer bonded) or 0x105 (not) while unencrypted.
- a link that ends during a security procedure: `_IRQ_ENCRYPTION_UPDATE` first,
  then the disconnect, as NimBLE's ble_gap_conn_broken: "not encrypted", or during
  a fresh pairing's key exchange (its last third) "encrypted, not bonded".
- failed `gap_connect`: `_IRQ_PERIPHERAL_DISCONNECT(0xFFFF, 0xFF, 000000)`.
- IRQ buffers (addresses, advertising and attribute data) are memoryviews
  that are overwritten after the handler returns, as on the board: copy them.

Fault injection (on the controller that should misbehave):
- `ctrl.drop_connection(conn_handle=None)`: the link is lost now (both ends
  notice after `air.supervision_us`; frames in flight are lost).
- `ctrl.gap_disconnect(conn_handle)`: clean terminate, as the API does.
- `ctrl.response_delay_ms = x`: every ATT response, notification and
  indication this controller sends leaves x ms later.
- `ctrl.set_silent(True)`: the controller's advertising is not heard (a
  missed window) and it accepts no connection, although `gap_advertise`
  succeeded. `ctrl.adv_loss = p`: each advertising packet lost with
  probability p.
- `ctrl.connect_loss = p` (on the peripheral): each connection request it is
  sent is lost with probability p. The central's stack reports the connection
  all the same and loses it 6 connection intervals later (reason 0x3E), failing
  what was asked on it first; the peripheral goes on advertising.
"""
import sys

import vtime
import board_time
from xorshift import Rng

# --- constants of the public `bluetooth` API ----------------------------------
FLAG_BROADCAST = 0x0001
FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020
FLAG_AUTHENTICATED_SIGNED_WRITE = 0x0040
FLAG_AUX_WRITE = 0x0100
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_READ_AUTHORIZED = 0x0800
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000
FLAG_WRITE_AUTHORIZED = 0x4000

_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_READ_REQUEST = 4
_IRQ_SCAN_RESULT = 5
_IRQ_SCAN_DONE = 6
_IRQ_PERIPHERAL_CONNECT = 7
_IRQ_PERIPHERAL_DISCONNECT = 8
_IRQ_GATTC_SERVICE_RESULT = 9
_IRQ_GATTC_SERVICE_DONE = 10
_IRQ_GATTC_CHARACTERISTIC_RESULT = 11
_IRQ_GATTC_CHARACTERISTIC_DONE = 12
_IRQ_GATTC_DESCRIPTOR_RESULT = 13
_IRQ_GATTC_DESCRIPTOR_DONE = 14
_IRQ_GATTC_READ_RESULT = 15
_IRQ_GATTC_READ_DONE = 16
_IRQ_GATTC_WRITE_DONE = 17
_IRQ_GATTC_NOTIFY = 18
_IRQ_GATTC_INDICATE = 19
_IRQ_GATTS_INDICATE_DONE = 20
_IRQ_MTU_EXCHANGED = 21
_IRQ_L2CAP_ACCEPT = 22
_IRQ_L2CAP_CONNECT = 23
_IRQ_L2CAP_DISCONNECT = 24
_IRQ_L2CAP_RECV = 25
_IRQ_L2CAP_SEND_READY = 26
_IRQ_CONNECTION_UPDATE = 27
_IRQ_ENCRYPTION_UPDATE = 28
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30
_IRQ_PASSKEY_ACTION = 31

ADV_IND = 0
ADV_DIRECT_IND = 1
ADV_SCAN_IND = 2
ADV_NONCONN_IND = 3
SCAN_RSP = 4

SEC_OUR = 1
SEC_PEER = 2
SEC_OUR_IRK = 10   # extmod/nimble/modbluetooth_nimble.c SECRET_TYPE_OUR_IRK

ST_OK = 0
ST_ENOTCONN = 7
ST_ETIMEOUT = 13
ATT_BASE = 0x100
ATT_INVALID_HANDLE = 0x01
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INSUFFICIENT_AUTHEN = 0x05
ATT_INSUFFICIENT_ENC = 0x0F

_EPERM = 1
_EINVAL = 22
_ENODEV = 19
_EBUSY = 16
_EALREADY = 114
_ENOTCONN = 107
_ENOMEM = 12

CONN_HANDLE_NONE = 0xFFFF
_DEFAULT_ATT_MTU = 23
_DEFAULT_BUF = 20
_CCCD = 0x2902


class RadioError(Exception):
    """Misuse of the virtual air itself (not of the BLE API)."""


# --- UUID ----------------------------------------------------------------------
class UUID:
    """bluetooth.UUID: 16-, 32- or 128-bit, stored little-endian (as the
    board does: bytes(uuid) is the over-the-air order)."""

    def __init__(self, value):
        if isinstance(value, UUID):
            b = value._b
        elif isinstance(value, int):
            if value < 0 or value > 0xFFFF:
                raise ValueError("invalid UUID")
            b = bytes((value & 0xFF, value >> 8))
        else:
            if isinstance(value, str) and len(value) not in (2, 4, 16):
                digits = value.replace("-", "")
                if len(digits) != 32:
                    raise ValueError("invalid UUID")
                be = bytes.fromhex(digits)
                b = bytes(be[15 - i] for i in range(16))
            else:
                b = value.encode() if isinstance(value, str) else bytes(value)
                if len(b) not in (2, 4, 16):
                    raise ValueError("invalid UUID")
        self._b = b

    def __len__(self):
        return len(self._b)

    def __iter__(self):
        return iter(self._b)

    def __getitem__(self, i):
        return self._b[i]

    def __eq__(self, other):
        return isinstance(other, UUID) and other._b == self._b

    def __ne__(self, other):
        return not self.__eq__(other)

    def _key(self):
        return (len(self._b), bytes(self._b))

    def __lt__(self, other):
        return self._key() < other._key()

    def __le__(self, other):
        return self._key() <= other._key()

    def __gt__(self, other):
        return self._key() > other._key()

    def __ge__(self, other):
        return self._key() >= other._key()

    def __hash__(self):
        return hash(self._b)

    def __repr__(self):
        b = self._b
        if len(b) == 2:
            return "UUID(0x%04x)" % (b[0] | b[1] << 8)
        if len(b) == 4:
            return "UUID(0x%08x)" % (b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24)
        h = "".join("%02x" % b[15 - i] for i in range(16))
        return "UUID('%s-%s-%s-%s-%s')" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


def _uuid_bytes(u):
    return None if u is None else UUID(u)._b


# --- helpers -------------------------------------------------------------------
def _print_exc(e):
    if hasattr(sys, "print_exception"):
        sys.print_exception(e)
    else:
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__)


def _bytes(data):
    if data is None:
        return None
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


# --- the air -------------------------------------------------------------------
class Air:
    """One shared radio medium in this process. Times are microseconds on the
    vtime clock. Frames are plain tuples (ints, bytes, None) so that a
    multi-process air can forward them as text."""

    def __init__(self, seed=1):
        self.controllers = {}  # addr -> local Controller
        self.advertisers = {}  # addr -> advertising state tuple (local and remote)
        self.rng = Rng(seed, salt=12345)
        # Link timing: frames leave at the next connection event after a 1 ms
        # host/controller latency, so an ATT request/response takes 1-2
        # connection intervals; NimBLE's initial interval is 30-50 ms.
        self.conn_interval_us = 50000
        self.host_latency_us = 1000
        self.hop_us = 1500  # fixed latencies outside a connection (advertising, connect request)
        self.conn_setup_us = 30000  # adv packet heard -> both ends connected
        self.pair_us = 300000  # fresh Just Works pairing (about 6 connection events)
        self.encrypt_us = 150000  # re-encryption with a stored bond
        self.supervision_us = 2560000  # NimBLE default supervision timeout
        self.indicate_timeout_us = 30000000
        self.rssi = -60
        self.irq_errors = 0
        self._n_addr = 0
        self._n_link = 0
        self.link_base = 0

    # addresses and link ids
    def new_addr(self):
        self._n_addr += 1
        n = self._n_addr
        return bytes((0x24, 0x0A, 0xC4, 0x10, (n >> 8) & 0xFF, n & 0xFF))

    def new_link_id(self):
        self._n_link += 1
        return self.link_base + self._n_link

    def now(self):
        return vtime.monotonic_us()

    def attach(self, ctrl):
        if ctrl.addr in self.controllers:
            raise RadioError("address already on the air: %s" % ctrl.addr)
        self.controllers[ctrl.addr] = ctrl

    # frames
    def send(self, dst_addr, delay_us, frame):
        vtime.call_at(self.now() + max(1, int(delay_us)), self.deliver, dst_addr, frame)

    def deliver(self, dst_addr, frame):
        ctrl = self.controllers.get(dst_addr)
        if ctrl is not None and ctrl._active:
            ctrl._rx(frame)

    # advertising state, seen by every scanner/initiator
    def publish_adv(self, addr, state):
        self._set_adv(addr, state)

    def _set_adv(self, addr, state):
        if state is None:
            self.advertisers.pop(addr, None)
        else:
            self.advertisers[addr] = state
        for c in self.controllers.values():
            if c.addr != addr and c._active:
                c._adv_changed(addr)


_default_air = None
_default_ctrl = None


def default_air():
    global _default_air
    if _default_air is None:
        _default_air = Air()
    return _default_air


def set_default_air(air):
    """Use `air` for bluetooth.BLE() (call before the first BLE())."""
    global _default_air, _default_ctrl
    if _default_ctrl is not None:
        raise RadioError("bluetooth.BLE() already exists on another air")
    _default_air = air


def default_controller():
    """The process's `bluetooth.BLE()` singleton."""
    global _default_ctrl
    if _default_ctrl is None:
        _default_ctrl = Controller(default_air())
    return _default_ctrl


def install():
    """Make `import bluetooth` give the virtual module (sys.modules)."""
    import bluetooth as _bt  # tools/host/bluetooth.py
    sys.modules["bluetooth"] = _bt
    return _bt


# --- GATT server database -----------------------------------------------------
class _Attr:
    # kind: 0 service, 1 characteristic declaration, 2 value, 3 CCCD, 4 descriptor
    def __init__(self, handle, kind, uuid, flags=0, value=b"", owner=None):
        self.handle = handle
        self.kind = kind
        self.uuid = uuid  # bytes (little-endian)
        self.flags = flags
        self.value = value
        self.max_len = _DEFAULT_BUF
        self.append = False
        self.owner = owner  # value attr for CCCD; service end for services


class _Conn:
    def __init__(self, handle, link, peer_addr_type, peer_addr, central):
        self.handle = handle
        self.link = link
        self.peer_addr_type = peer_addr_type
        self.peer_addr = peer_addr
        self.central = central  # True if we are the central on this link
        self.mtu = _DEFAULT_ATT_MTU
        self.cccd = {}  # value handle -> bits (server side)
        self.queue = []  # pending client requests: (op, args, req_id)
        self.busy = None  # request in flight
        self.anchor = 0  # first connection event (both ends agree)
        self.interval = 50000
        self.indications = []  # server side: (value_handle, data) queued
        self.ind_busy = None
        self.ind_timer = None
        self.encrypted = False
        self.authenticated = False
        self.bonded = False
        self.key_size = 0
        self.pairing = False
        self.broken = False
        self.closing = False
        self.l2cap = None  # _L2cap
        self.l2_free_at = 0


class _L2cap:
    def __init__(self, cid, psm, our_mtu, peer_mtu):
        self.cid = cid
        self.psm = psm
        self.our_mtu = our_mtu
        self.peer_mtu = peer_mtu
        self.rx = b""
        self.open = False


# --- the controller --------------------------------------------------------------
class Controller:
    """A virtual BLE controller with MicroPython's `bluetooth.BLE` API."""

    def __init__(self, air=None, addr=None, addr_type=0, name="MPY"):
        self.air = air or default_air()
        self.addr = bytes(addr) if addr else self.air.new_addr()
        self.addr_type = addr_type
        self._handler = None
        self._active = False
        self._cfg = {"gap_name": name, "mtu": 256, "rxbuf": 1024, "bond": False,
                     "mitm": False, "io": 3, "le_secure": False, "addr_mode": 0}
        # extmod/nimble/modbluetooth_nimble.c sync_cb() -> load_irk(): with pairing and
        # bonding (the ESP32 port) every ble.active(True) asks the store for our own IRK
        # (_IRQ_GET_SECRET type 10, key b"irk") and, when there is none, generates one and
        # stores it (_IRQ_SET_SECRET): aioble keeps it in security._secrets beside the bond
        # keys and saves it to the bond file. False: a port without it (no store calls)
        self.load_irk = True
        # fault injection
        self.response_delay_ms = 0
        self.adv_loss = 0.0
        self.connect_loss = 0.0
        self._silent = False
        # counters for tests and benchmarks
        self.stats = {"scan_us": 0, "adv_events_heard": 0, "connections": 0}
        _patch_asyncio_wait()
        self._reset()
        self.air.attach(self)

    # ----- state -----
    def _reset(self):
        self._conns = {}  # conn handle -> _Conn
        self._links = {}  # link id -> _Conn
        self._attrs = {}
        self._services = []  # (start, end, uuid bytes)
        self._next_h = 1
        self._adv = None  # advertising state tuple
        self._scan = None  # dict
        self._initiator = None  # dict
        self._scan_timers = {}
        self._l2cap_listen = None
        self._next_cid = 0x40
        self._build_builtin_db()

    def _check_active(self):
        if not self._active:
            raise OSError(_ENODEV)

    def _now(self):
        return vtime.monotonic_us()

    def _later(self, delay_us, fn, *args):
        return vtime.call_at(self._now() + max(1, int(delay_us)), fn, *args)

    def _irq(self, event, data, scratch=()):
        h = self._handler
        result = None
        if h is not None and self._active:
            try:
                result = h(event, data)
            except Exception as e:
                # the port prints it and disables the handler (extmod/modbluetooth.c,
                # mp_bluetooth_gap_on_*: irq_handler = None): no further event reaches
                # aioble until irq() is called again (review of session 43: this fake
                # carried on, kinder than the board)
                self.air.irq_errors += 1
                self._handler = None
                print("vradio: Unhandled exception in IRQ callback handler (event %d), "
                      "handler disabled:" % event)
                _print_exc(e)
        for buf in scratch:  # the stack reuses its buffers: catch handlers keeping them
            for i in range(len(buf)):
                buf[i] = 0xA5
        return result

    # ----- configuration -----
    def active(self, *args):
        if args:
            on = bool(args[0])
            if on and not self._active:
                board_time.charge("ble_start")   # the board holds the loop meanwhile
                self._active = True
                if self.load_irk:
                    self._load_irk()
            elif not on and self._active:
                board_time.charge("ble_stop")
                self._shutdown()
        return self._active

    def _load_irk(self):
        k = bytearray(b"irk")
        v = self._irq(_IRQ_GET_SECRET, (SEC_OUR_IRK, 0, memoryview(k)), (k,))
        if v is not None and len(v) == 16:
            return
        k = bytearray(b"irk")
        irk = bytearray(self.air.rng.bytes(16))
        self._irq(_IRQ_SET_SECRET, (SEC_OUR_IRK, memoryview(k), memoryview(irk)), (k, irk))

    def _shutdown(self):
        # The stack terminates every link on the way down (peer sees it soon).
        for conn in list(self._conns.values()):
            if not conn.broken:
                self._send_link(conn, ("term", conn.link, self.addr))
        self._stop_adv()
        if self._scan is not None:
            self._end_scan(False)
        for t in self._scan_timers.values():
            vtime.cancel(t)
        self._active = False
        self._reset()

    def config(self, *args, **kwargs):
        if args:
            if len(args) != 1 or kwargs:
                raise TypeError("config() takes one name or keyword arguments")
            name = args[0]
            if name == "mac":
                self._check_active()
                return (self.addr_type, self.addr)
            if name in self._cfg:
                return self._cfg[name]
            raise ValueError("unknown config param")
        for k, v in kwargs.items():
            if k not in self._cfg:
                raise ValueError("unknown config param")
            if k == "mtu" and not (23 <= v <= 517):
                raise ValueError("invalid mtu")
            self._cfg[k] = v
            if k == "gap_name":
                self._attrs[3].value = _bytes(v)
        return None

    def irq(self, handler):
        self._handler = handler

    # ----- fault injection -----
    def set_silent(self, on=True):
        """Advertising is not heard and no connection is accepted (a missed
        wake window), although gap_advertise() succeeds."""
        self._silent = bool(on)
        if self._adv is not None:
            self._publish_adv()

    def drop_connection(self, conn_handle=None):
        """Lose the link(s) now, as a radio failure: frames in flight are lost,
        both ends get their disconnect IRQ after the supervision timeout."""
        conns = [self._conns[conn_handle]] if conn_handle is not None else list(self._conns.values())
        for conn in conns:
            if conn.broken:
                continue
            self._break(conn)
            self.air.send(conn.peer_addr, 1, ("lost", conn.link, self.addr))

    def _break(self, conn):
        conn.broken = True
        self._later(self.air.supervision_us, self._close_conn, conn)

    # ----- GAP: advertising -----
    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self._check_active()
        if interval_us is None:
            self._stop_adv()
            return
        interval_us = max(20000, (int(interval_us) // 625) * 625)
        old = self._adv_cfg if hasattr(self, "_adv_cfg") else (b"", b"")
        adv = old[0] if adv_data is None else _bytes(adv_data)
        rsp = old[1] if resp_data is None else _bytes(resp_data)
        if len(adv) > 31 or len(rsp) > 31:
            raise ValueError("advertising payload too long")
        self._adv_cfg = (adv, rsp)
        self._adv = [interval_us, adv, rsp, bool(connectable), self._now(), self.air.rng.u32() & 0xFFFF]
        self._publish_adv()

    def _publish_adv(self):
        a = self._adv
        state = None
        if a is not None:
            state = (self.addr_type, a[0], a[1], a[2], a[3], a[4], a[5], self._silent, self.adv_loss)
        self.air.publish_adv(self.addr, state)

    def _stop_adv(self):
        if self._adv is not None:
            self._adv = None
            self._publish_adv()

    # ----- GAP: scanning and connecting (listening to advertisers) -----
    def gap_scan(self, duration_ms, interval_us=1280000, window_us=11250, active=False):
        self._check_active()
        if duration_ms is None:
            if self._scan is not None:
                self._end_scan(True)
            return
        if self._initiator is not None:
            raise OSError(_EBUSY)
        if self._scan is not None:
            self._end_scan(False)
        interval_us = max(2500, int(interval_us))
        window_us = max(2500, min(int(window_us), interval_us))
        now = self._now()
        self._scan = {"t0": now, "interval": interval_us, "window": window_us,
                      "active": bool(active), "gen": self.air.rng.u32()}
        if duration_ms:
            self._scan["timer"] = self._later(int(duration_ms) * 1000, self._end_scan, True)
        self._listen_all()

    def _end_scan(self, notify):
        s = self._scan
        if s is None:
            return
        if "timer" in s:
            vtime.cancel(s["timer"])
        self.stats["scan_us"] += (self._now() - s["t0"]) * s["window"] // s["interval"]
        self._scan = None
        self._cancel_listen()
        if notify:
            self._later(500, self._irq, _IRQ_SCAN_DONE, ())

    def gap_connect(self, addr_type, addr=None, scan_duration_ms=2000, min_conn_interval_us=None,
                    max_conn_interval_us=None):
        self._check_active()
        if addr_type is None:  # gap_connect(None): cancel a pending connection (MicroPython docs)
            if self._initiator is not None:
                self._fail_connect()
            return
        if self._scan is not None:
            raise OSError(_EBUSY)
        if self._initiator is not None:
            raise OSError(_EALREADY)
        addr = bytes(addr)
        iv = max_conn_interval_us or min_conn_interval_us or self.air.conn_interval_us
        iv = max(7500, min(4000000, (int(iv) // 1250) * 1250))
        ini = {"addr": addr, "addr_type": addr_type, "waiting": False,
               "link": self.air.new_link_id(), "interval": iv}
        if scan_duration_ms is None:   # modbluetooth.c: None is the default, 2000 ms (aioble passes None)
            scan_duration_ms = 2000
        if scan_duration_ms:
            ini["timer"] = self._later(int(scan_duration_ms) * 1000, self._fail_connect)
        self._initiator = ini
        self._listen(addr)

    def _fail_connect(self):
        ini = self._initiator
        if ini is None:
            return
        if "timer" in ini:
            vtime.cancel(ini["timer"])
        self._initiator = None
        self._cancel_listen()
        mv = bytearray(6)
        self._later(500, self._irq, _IRQ_PERIPHERAL_DISCONNECT,
                    (CONN_HANDLE_NONE, 0xFF, memoryview(mv)), (mv,))

    def _listening_to(self, addr):
        if self._scan is not None:
            return True
        return self._initiator is not None and self._initiator["addr"] == addr

    def _cancel_listen(self):
        for t in self._scan_timers.values():
            vtime.cancel(t)
        self._scan_timers = {}

    def _listen_all(self):
        for addr in list(self.air.advertisers):
            if addr != self.addr:
                self._listen(addr)

    def _adv_changed(self, addr):
        if self._listening_to(addr):
            self._listen(addr)

    def _listen(self, addr):
        t = self._scan_timers.pop(addr, None)
        if t is not None:
            vtime.cancel(t)
        st = self.air.advertisers.get(addr)
        if st is None:
            return
        et, k = _next_adv_event(st, self._now() + 1)
        self._scan_timers[addr] = vtime.call_at(et, self._adv_event, addr, st, k)

    def _adv_event(self, addr, st, k):
        self._scan_timers.pop(addr, None)
        if not self._active or self.air.advertisers.get(addr) is not st or not self._listening_to(addr):
            return
        heard = not st[7] and not self.air.rng.chance(st[8])
        ini = self._initiator
        if ini is not None and ini["addr"] == addr:
            if heard and st[4] and not ini["waiting"]:
                ini["waiting"] = True
                ini["anchor"] = self._now() + 150 + self.air.conn_setup_us
                self.air.send(addr, 150, ("creq", ini["link"], self.addr, self.addr_type,
                                          ini["anchor"], ini["interval"]))
        elif self._scan is not None and heard:
            s = self._scan
            if (self._now() - s["t0"]) % s["interval"] < s["window"]:
                self.stats["adv_events_heard"] += 1
                adv_type = ADV_IND if st[4] else (ADV_SCAN_IND if st[3] else ADV_NONCONN_IND)
                self._report(addr, st, adv_type, st[2])
                if s["active"] and adv_type != ADV_NONCONN_IND:  # scan request + response
                    self._later(400, self._report, addr, st, SCAN_RSP, st[3])
        if self._listening_to(addr):
            et, k = _next_adv_event(st, self._now() + 1)
            self._scan_timers[addr] = vtime.call_at(et, self._adv_event, addr, st, k)

    def _report(self, addr, st, adv_type, data):
        a = bytearray(addr)
        d = bytearray(data)
        self._irq(_IRQ_SCAN_RESULT, (st[0], memoryview(a), adv_type, self.air.rssi, memoryview(d)), (a, d))

    # ----- connections -----
    def _new_handle(self):
        h = 0
        while h in self._conns:
            h += 1
        return h

    def _add_conn(self, link, peer_type, peer, central, anchor, interval):
        conn = _Conn(self._new_handle(), link, peer_type, peer, central)
        conn.anchor = anchor
        conn.interval = interval
        self._conns[conn.handle] = conn
        self._links[link] = conn
        self.stats["connections"] += 1
        return conn

    def _link_delay(self, conn, extra_us=0):
        """Delay until the frame is on the other side: the next connection
        event after the host/controller latency."""
        now = self._now()
        t = now + self.air.host_latency_us + extra_us
        a, iv = conn.anchor, conn.interval
        ev = a if t <= a else a + ((t - a + iv - 1) // iv) * iv
        return ev + 300 - now

    def _send_link(self, conn, frame, extra_us=0):
        if conn.broken:
            return  # the radio link is gone: nothing gets through
        self.air.send(conn.peer_addr, self._link_delay(conn, extra_us), frame)

    def _rx(self, frame):
        kind = frame[0]
        if kind == "creq":
            self._on_connect_request(frame)
            return
        if kind == "cacc" or kind == "crej" or kind == "cghost":
            self._on_connect_reply(frame)
            return
        conn = self._links.get(frame[1])
        if conn is None or conn.broken:
            return
        if kind == "term":
            self._close_conn(conn)
        elif kind == "lost":
            self._break(conn)
        elif kind == "req":
            self._serve(conn, frame)
        elif kind == "rsp":
            self._on_response(conn, frame)
        elif kind == "ntf":
            self._on_notify(conn, frame)
        elif kind == "cfm":
            self._on_confirm(conn, frame)
        elif kind in ("pair", "secreq", "encstart", "paired", "encok", "encfail"):
            self._on_smp(conn, frame)
        elif kind[:2] == "l2":
            self._on_l2cap(conn, frame)

    def _on_connect_request(self, frame):
        _, link, central, central_type, anchor, interval = frame
        a = self._adv
        if a is None or not a[3] or self._silent or link in self._links:
            self.air.send(central, 150, ("crej", link, self.addr))
            return
        if self.connect_loss and self.air.rng.chance(self.connect_loss):
            # CONNECT_IND not heard: this side goes on advertising, the central's
            # controller takes the link as made (it reports LE Connection Complete once
            # it has sent the request) and, hearing nothing in 6 connection events,
            # drops it with reason 0x3E (see _on_connect_reply)
            self.stats["connects_lost"] = self.stats.get("connects_lost", 0) + 1
            self.air.send(central, 150, ("cghost", link, self.addr))
            return
        self._stop_adv()  # NimBLE stops advertising once connected
        conn = self._add_conn(link, central_type, central, False, anchor, interval)
        self.air.send(central, 150, ("cacc", link, self.addr))
        self._later(self.air.conn_setup_us, self._connected_irq, conn, _IRQ_CENTRAL_CONNECT)

    def _on_connect_reply(self, frame):
        ini = self._initiator
        if ini is None or ini["link"] != frame[1]:
            if frame[0] == "cacc":  # we gave up meanwhile: tear the link down
                self.air.send(frame[2], self.air.hop_us, ("term", frame[1], self.addr))
            return
        if frame[0] == "crej":
            ini["waiting"] = False
            return
        if "timer" in ini:
            vtime.cancel(ini["timer"])
        self._initiator = None
        self._cancel_listen()
        conn = self._add_conn(frame[1], ini["addr_type"], ini["addr"], True, ini["anchor"], ini["interval"])
        self._later(self.air.conn_setup_us, self._connected_irq, conn, _IRQ_PERIPHERAL_CONNECT)
        if frame[0] == "cghost":
            # The peripheral never heard the request: the connection is reported, nothing
            # it carries gets through, and it is lost 6 connection intervals after its
            # anchor, "Connection Failed to be Established" (Core spec Vol 6 Part B 4.5.2;
            # the classic ESP32 does not retry: ESP-IDF's BT_NIMBLE_ENABLE_CONN_REATTEMPT is
            # "default n if IDF_TARGET_ESP32"). NimBLE takes that disconnect as any other
            # (host/src/ble_gap.c ble_gap_rx_disconn_complete -> ble_gap_conn_broken): the
            # GATT procedures asked meanwhile end first with BLE_HS_ENOTCONN
            # (ble_gattc_connection_broken), then _IRQ_PERIPHERAL_DISCONNECT
            conn.broken = True
            self._later(ini["anchor"] + 6 * conn.interval - self._now(), self._close_conn, conn)

    def _connected_irq(self, conn, event):
        if self._conns.get(conn.handle) is conn:
            a = bytearray(conn.peer_addr)
            self._irq(event, (conn.handle, conn.peer_addr_type, memoryview(a)), (a,))

    def gap_disconnect(self, conn_handle):
        self._check_active()
        conn = self._conns.get(conn_handle)
        if conn is None or conn.closing:
            return False
        conn.closing = True
        self._send_link(conn, ("term", conn.link, self.addr))
        self._later(self._link_delay(conn) + conn.interval, self._close_conn, conn)
        return True

    def _close_conn(self, conn):
        if self._conns.get(conn.handle) is not conn:
            return
        del self._conns[conn.handle]
        self._links.pop(conn.link, None)
        if conn.pairing:
            # A security procedure cut by the link's end reports its outcome first: NimBLE's
            # ble_gap_conn_broken (host/src/ble_gap.c) calls ble_sm_connection_broken
            # (host/src/ble_sm.c: app_status BLE_HS_ENOTCONN, enc_cb 1 -> ble_gap_enc_event)
            # before it deletes the connection, and MicroPython's ENC_CHANGE handler
            # (extmod/nimble/modbluetooth_nimble.c, commmon_gap_event_cb) still finds it and
            # raises _IRQ_ENCRYPTION_UPDATE with its state: not encrypted, or in a fresh
            # pairing's key exchange encrypted but not bonded (no keys stored). Then the
            # disconnect. (This stand-in went straight to the disconnect.)
            conn.pairing = False
            self._irq(_IRQ_ENCRYPTION_UPDATE, (conn.handle, conn.encrypted, conn.authenticated,
                                               conn.bonded, conn.key_size))
        # pending operations end first (NimBLE fails them before the GAP event)
        if conn.busy is not None:
            self._fail_request(conn, conn.busy)
        for req in conn.queue:
            self._fail_request(conn, req)
        conn.queue = []
        conn.busy = None
        if conn.ind_busy is not None:
            self._irq(_IRQ_GATTS_INDICATE_DONE, (conn.handle, conn.ind_busy[0], ST_ENOTCONN))
        for ind in conn.indications:
            self._irq(_IRQ_GATTS_INDICATE_DONE, (conn.handle, ind[0], ST_ENOTCONN))
        if conn.l2cap is not None and conn.l2cap.open:
            ch = conn.l2cap
            self._irq(_IRQ_L2CAP_DISCONNECT, (conn.handle, ch.cid, ch.psm, 0))
        a = bytearray(conn.peer_addr)
        event = _IRQ_PERIPHERAL_DISCONNECT if conn.central else _IRQ_CENTRAL_DISCONNECT
        self._irq(event, (conn.handle, conn.peer_addr_type, memoryview(a)), (a,))

    def _conn(self, conn_handle):
        self._check_active()
        if conn_handle is None:
            # aioble passes a lost connection's handle, None: the port's mp_obj_get_int
            # refuses it before NimBLE is asked (extmod/modbluetooth.c)
            raise TypeError("can't convert NoneType to int")
        conn = self._conns.get(conn_handle)
        if conn is None or conn.closing:
            raise OSError(_ENOTCONN)
        return conn

    # ----- GATT client -----
    def gattc_discover_services(self, conn_handle, uuid=None):
        self._request(self._conn(conn_handle), "svc", (_uuid_bytes(uuid),))

    def gattc_discover_characteristics(self, conn_handle, start_handle, end_handle, uuid=None):
        self._request(self._conn(conn_handle), "chr", (start_handle, end_handle, _uuid_bytes(uuid)))

    def gattc_discover_descriptors(self, conn_handle, start_handle, end_handle):
        self._request(self._conn(conn_handle), "dsc", (start_handle, end_handle))

    def gattc_read(self, conn_handle, value_handle):
        self._request(self._conn(conn_handle), "read", (value_handle,))

    def gattc_write(self, conn_handle, value_handle, data, mode=0):
        conn = self._conn(conn_handle)
        data = _bytes(data)[: conn.mtu - 3]
        if mode:
            self._request(conn, "write", (value_handle, data))
        else:  # write command: no response, no IRQ, but in order on the link
            self._send_link(conn, ("req", conn.link, "cmd", 0, (value_handle, data)))

    def gattc_exchange_mtu(self, conn_handle):
        self._request(self._conn(conn_handle), "mtu", (self._cfg["mtu"],))

    def _request(self, conn, op, args):
        conn.queue.append((op, args))
        if conn.busy is None:
            self._next_request(conn)

    def _next_request(self, conn):
        if conn.busy is not None or not conn.queue or conn.broken:
            return
        conn.busy = conn.queue.pop(0)
        op, args = conn.busy
        self._send_link(conn, ("req", conn.link, op, 1, args))

    def _on_response(self, conn, frame):
        req = conn.busy
        if req is None:
            return
        conn.busy = None
        op, args = req
        result = frame[2]
        h = conn.handle
        if op == "svc":
            for start, end, u in result:
                self._irq(_IRQ_GATTC_SERVICE_RESULT, (h, start, end, UUID(u)))
            self._irq(_IRQ_GATTC_SERVICE_DONE, (h, 0))
        elif op == "chr":
            for end, vh, props, u in result:
                self._irq(_IRQ_GATTC_CHARACTERISTIC_RESULT, (h, end, vh, props, UUID(u)))
            self._irq(_IRQ_GATTC_CHARACTERISTIC_DONE, (h, 0))
        elif op == "dsc":
            for dh, u in result:
                self._irq(_IRQ_GATTC_DESCRIPTOR_RESULT, (h, dh, UUID(u)))
            self._irq(_IRQ_GATTC_DESCRIPTOR_DONE, (h, 0))
        elif op == "read":
            status, data = result
            if status == 0:
                d = bytearray(data)
                self._irq(_IRQ_GATTC_READ_RESULT, (h, args[0], memoryview(d)), (d,))
            self._irq(_IRQ_GATTC_READ_DONE, (h, args[0], status))
        elif op == "write":
            self._irq(_IRQ_GATTC_WRITE_DONE, (h, args[0], result))
        elif op == "mtu":
            conn.mtu = min(self._cfg["mtu"], result)
            self._irq(_IRQ_MTU_EXCHANGED, (h, conn.mtu))
        self._next_request(conn)

    def _fail_request(self, conn, req):
        op, args = req
        h = conn.handle
        if op == "svc":
            self._irq(_IRQ_GATTC_SERVICE_DONE, (h, ST_ENOTCONN))
        elif op == "chr":
            self._irq(_IRQ_GATTC_CHARACTERISTIC_DONE, (h, ST_ENOTCONN))
        elif op == "dsc":
            self._irq(_IRQ_GATTC_DESCRIPTOR_DONE, (h, ST_ENOTCONN))
        elif op == "read":
            self._irq(_IRQ_GATTC_READ_DONE, (h, args[0], ST_ENOTCONN))
        elif op == "write":
            self._irq(_IRQ_GATTC_WRITE_DONE, (h, args[0], ST_ENOTCONN))

    def _on_notify(self, conn, frame):
        _, _, vh, data, indicate = frame
        d = bytearray(data)
        self._irq(_IRQ_GATTC_INDICATE if indicate else _IRQ_GATTC_NOTIFY, (conn.handle, vh, memoryview(d)), (d,))
        if indicate:  # the stack confirms by itself
            self._send_link(conn, ("cfm", conn.link, vh))

    # ----- GATT server -----
    def _add_attr(self, kind, uuid, flags=0, value=b"", owner=None):
        h = self._next_h
        self._next_h += 1
        a = _Attr(h, kind, uuid, flags, value, owner)
        self._attrs[h] = a
        return a

    def _build_builtin_db(self):
        self._attrs = {}
        self._services = []
        self._next_h = 1
        s = self._add_attr(0, UUID(0x1800)._b)
        self._add_attr(1, UUID(0x2803)._b)
        self._add_attr(2, UUID(0x2A00)._b, FLAG_READ, _bytes(self._cfg["gap_name"]))
        self._add_attr(1, UUID(0x2803)._b)
        self._add_attr(2, UUID(0x2A01)._b, FLAG_READ, b"\x00\x00")
        self._services.append((s.handle, 5, s.uuid))
        s = self._add_attr(0, UUID(0x1801)._b)
        self._add_attr(1, UUID(0x2803)._b)
        v = self._add_attr(2, UUID(0x2A05)._b, FLAG_INDICATE, b"")
        self._add_attr(3, UUID(_CCCD)._b, FLAG_READ | FLAG_WRITE, b"", v)
        self._services.append((s.handle, 9, s.uuid))

    def gatts_register_services(self, services_definition):
        self._check_active()
        self._build_builtin_db()
        result = []
        for svc in services_definition:
            s = self._add_attr(0, UUID(svc[0])._b)
            handles = []
            for ch in svc[1]:
                flags = ch[1]
                self._add_attr(1, UUID(0x2803)._b)
                v = self._add_attr(2, UUID(ch[0])._b, flags)
                handles.append(v.handle)
                if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                    self._add_attr(3, UUID(_CCCD)._b, FLAG_READ | FLAG_WRITE, b"", v)
                for d in (ch[2] if len(ch) > 2 else ()):
                    a = self._add_attr(4, UUID(d[0])._b, d[1])
                    handles.append(a.handle)
            self._services.append((s.handle, self._next_h - 1, s.uuid))
            result.append(tuple(handles))
        return tuple(result)

    def _value_attr(self, value_handle):
        a = self._attrs.get(value_handle)
        if a is None or a.kind not in (2, 4):
            raise OSError(_EINVAL)
        return a

    def gatts_read(self, value_handle):
        self._check_active()
        a = self._value_attr(value_handle)
        v = a.value
        if a.append:
            a.value = b""
        return v

    def gatts_write(self, value_handle, data, send_update=False):
        self._check_active()
        a = self._value_attr(value_handle)
        a.value = _bytes(data)
        if len(a.value) > a.max_len:
            a.max_len = len(a.value)
        if send_update:
            for conn in list(self._conns.values()):
                bits = conn.cccd.get(value_handle, 0)
                if bits & 1:
                    self._send_value(conn, value_handle, a.value, False)
                elif bits & 2:
                    self._queue_indication(conn, value_handle, a.value)

    def gatts_set_buffer(self, value_handle, length, append=False):
        self._check_active()
        a = self._value_attr(value_handle)
        a.max_len = int(length)
        a.append = bool(append)

    def gatts_notify(self, conn_handle, value_handle, data=None):
        conn = self._conn(conn_handle)
        a = self._value_attr(value_handle)
        self._send_value(conn, value_handle, a.value if data is None else _bytes(data), False)

    def gatts_indicate(self, conn_handle, value_handle, data=None):
        conn = self._conn(conn_handle)
        a = self._value_attr(value_handle)
        self._queue_indication(conn, value_handle, a.value if data is None else _bytes(data))

    def _send_value(self, conn, vh, data, indicate):
        self._send_link(conn, ("ntf", conn.link, vh, bytes(data[: conn.mtu - 3]), indicate),
                        self.response_delay_ms * 1000)

    def _queue_indication(self, conn, vh, data):
        conn.indications.append((vh, bytes(data)))
        self._next_indication(conn)

    def _next_indication(self, conn):
        if conn.ind_busy is not None or not conn.indications:
            return
        conn.ind_busy = conn.indications.pop(0)
        self._send_value(conn, conn.ind_busy[0], conn.ind_busy[1], True)
        conn.ind_timer = self._later(self.air.indicate_timeout_us, self._indication_timeout, conn)

    def _indication_timeout(self, conn):
        if conn.ind_busy is not None and self._conns.get(conn.handle) is conn:
            vh = conn.ind_busy[0]
            conn.ind_busy = None
            self._irq(_IRQ_GATTS_INDICATE_DONE, (conn.handle, vh, ST_ETIMEOUT))
            self._next_indication(conn)

    def _on_confirm(self, conn, frame):
        if conn.ind_busy is None or conn.ind_busy[0] != frame[2]:
            return
        vtime.cancel(conn.ind_timer)
        conn.ind_busy = None
        self._irq(_IRQ_GATTS_INDICATE_DONE, (conn.handle, frame[2], 0))
        self._next_indication(conn)

    def _security_error(self, conn, flags, enc_flag, auth_flag):
        if not flags & (enc_flag | auth_flag):
            return 0
        if not conn.encrypted:
            return ATT_INSUFFICIENT_ENC if self._bond_for(conn) else ATT_INSUFFICIENT_AUTHEN
        if flags & auth_flag and not conn.authenticated:
            return ATT_INSUFFICIENT_AUTHEN
        return 0

    def _serve(self, conn, frame):
        _, link, op, respond, args = frame
        result = None
        if op == "svc":
            u = args[0]
            result = [s for s in self._services if u is None or s[2] == u]
        elif op == "chr":
            result = self._chars_in(args[0], args[1], args[2])
        elif op == "dsc":
            result = [(h, self._attrs[h].uuid) for h in range(args[0] + 1, min(args[1], self._next_h - 1) + 1)
                      if h in self._attrs]
        elif op == "read":
            result = self._serve_read(conn, args[0])
        elif op == "write" or op == "cmd":
            result = self._serve_write(conn, args[0], args[1], op == "write")
        elif op == "mtu":
            conn.mtu = min(self._cfg["mtu"], args[0])
            self._later(1, self._irq, _IRQ_MTU_EXCHANGED, (conn.handle, conn.mtu))
            result = self._cfg["mtu"]
        if respond:
            n = len(result) if op in ("svc", "chr", "dsc") else 0
            # a long discovery takes more request/response pairs
            extra = conn.interval * (n // 4) + self.response_delay_ms * 1000
            self._send_link(conn, ("rsp", link, result), extra)

    def _chars_in(self, start, end, u):
        decls = [h for h in range(start, min(end, self._next_h - 1) + 1)
                 if h in self._attrs and self._attrs[h].kind == 1]
        out = []
        for i, d in enumerate(decls):
            v = self._attrs[d + 1]
            last = decls[i + 1] - 1 if i + 1 < len(decls) else end
            for s in self._services:  # never past the end of its service
                if s[0] <= d <= s[1]:
                    last = min(last, s[1])
            if u is None or v.uuid == u:
                out.append((last, v.handle, v.flags & 0xFF, v.uuid))
        return out

    def _serve_read(self, conn, h):
        a = self._attrs.get(h)
        if a is None:
            return (ATT_BASE + ATT_INVALID_HANDLE, b"")
        if a.kind == 0:
            return (0, a.uuid)
        if a.kind == 1:
            v = self._attrs[h + 1]
            return (0, bytes((v.flags & 0xFF, v.handle & 0xFF, v.handle >> 8)) + v.uuid)
        if a.kind == 3:
            err = self._security_error(conn, a.owner.flags, FLAG_READ_ENCRYPTED | FLAG_WRITE_ENCRYPTED,
                                       FLAG_READ_AUTHENTICATED | FLAG_WRITE_AUTHENTICATED)
            if err:
                return (ATT_BASE + err, b"")
            bits = conn.cccd.get(a.owner.handle, 0)
            return (0, bytes((bits, 0)))
        if not a.flags & FLAG_READ:
            return (ATT_BASE + ATT_READ_NOT_PERMITTED, b"")
        err = self._security_error(conn, a.flags, FLAG_READ_ENCRYPTED, FLAG_READ_AUTHENTICATED)
        if err:
            return (ATT_BASE + err, b"")
        if a.kind in (2, 4) and h > 9:
            deny = self._irq(_IRQ_GATTS_READ_REQUEST, (conn.handle, h))
            if deny:
                return (ATT_BASE + int(deny), b"")
        return (0, bytes(a.value[: conn.mtu - 1]))

    def _serve_write(self, conn, h, data, with_response):
        a = self._attrs.get(h)
        if a is None:
            return ATT_BASE + ATT_INVALID_HANDLE
        if a.kind == 3:
            err = self._security_error(conn, a.owner.flags, FLAG_READ_ENCRYPTED | FLAG_WRITE_ENCRYPTED,
                                       FLAG_READ_AUTHENTICATED | FLAG_WRITE_AUTHENTICATED)
            if err:
                return ATT_BASE + err
            if len(data) != 2:
                return ATT_BASE + 0x0D  # invalid attribute value length
            allowed = (1 if a.owner.flags & FLAG_NOTIFY else 0) | (2 if a.owner.flags & FLAG_INDICATE else 0)
            conn.cccd[a.owner.handle] = data[0] & allowed
            return 0  # handled inside the stack: no IRQ (as NimBLE)
        need = FLAG_WRITE if with_response or a.kind == 4 else FLAG_WRITE_NO_RESPONSE
        if a.kind not in (2, 4) or not a.flags & need:
            return ATT_BASE + ATT_WRITE_NOT_PERMITTED
        err = self._security_error(conn, a.flags, FLAG_WRITE_ENCRYPTED, FLAG_WRITE_AUTHENTICATED)
        if err:
            return ATT_BASE + err
        if a.append:
            a.value = (a.value + data)[: a.max_len]
        else:
            a.value = bytes(data[: a.max_len])
        self._irq(_IRQ_GATTS_WRITE, (conn.handle, h))
        return 0

    # ----- security -----
    def _bond_key(self, conn):
        return bytes((conn.peer_addr_type,)) + conn.peer_addr

    def _bond_for(self, conn):
        k = bytearray(self._bond_key(conn))
        v = self._irq(_IRQ_GET_SECRET, (SEC_OUR, 0, memoryview(k)), (k,))
        return bytes(v) if v else None

    def _store_bond(self, conn, ltk):
        for sec in (SEC_OUR, SEC_PEER):
            k = bytearray(self._bond_key(conn))
            val = None
            if ltk is not None:
                val = bytearray(b"VLTK" + ltk + bytes((conn.peer_addr_type,)) + conn.peer_addr)
            self._irq(_IRQ_SET_SECRET, (sec, memoryview(k), memoryview(val) if val else None),
                      (k, val) if val else (k,))

    def gap_pair(self, conn_handle):
        conn = self._conn(conn_handle)
        if conn.central:
            if conn.pairing:  # NimBLE: one security procedure per link (BLE_HS_EALREADY)
                raise OSError(_EALREADY)
            self._later(1, self._start_pairing, conn)
        else:  # peripheral: SMP Security Request; the central's stack takes over
            self._send_link(conn, ("secreq", conn.link))

    def gap_passkey(self, conn_handle, action, passkey):
        self._conn(conn_handle)
        raise OSError(_EINVAL)  # only Just Works pairing is modelled

    def _start_pairing(self, conn):
        if self._conns.get(conn.handle) is not conn or conn.pairing:
            return
        conn.pairing = True
        bond = self._bond_for(conn)
        ltk = bond[4:20] if bond and bond[:4] == b"VLTK" else None
        self._send_link(conn, ("pair", conn.link, ltk, bool(self._cfg["bond"])))

    def _on_smp(self, conn, frame):
        kind = frame[0]
        if kind == "secreq":
            if conn.central:
                self._start_pairing(conn)
        elif kind == "pair":  # we are the peripheral
            _, link, ltk, central_bond = frame
            mine = self._bond_for(conn)
            mine_ltk = mine[4:20] if mine and mine[:4] == b"VLTK" else None
            if ltk is not None:
                ok = ltk == mine_ltk  # else: LTK negative reply, key missing
                self._send_link(conn, ("encok" if ok else "encfail", link), self.air.encrypt_us)
                self._later(self._link_delay(conn, self.air.encrypt_us), self._encrypted, conn, ok)
                return
            if mine_ltk is not None:  # repeat pairing: NimBLE forgets the old bond
                self._store_bond(conn, None)
            bonded = bool(central_bond and self._cfg["bond"])
            new_ltk = self.air.rng.bytes(16)
            # the link is encrypted two thirds in, the keys are handed over after
            self._send_link(conn, ("encstart", link), self.air.pair_us * 2 // 3)
            self._send_link(conn, ("paired", link, new_ltk if bonded else None, bonded), self.air.pair_us)
            self._later(self._link_delay(conn, self.air.pair_us), self._paired, conn,
                        new_ltk if bonded else None)
        elif kind == "encstart":
            if conn.pairing:
                # NimBLE marks the link encrypted (ble_sm_enc_event_rx, state KEY_EXCH) but
                # tells the application only once the keys are in (ble_sm_key_exch_success):
                # a cut meanwhile reports "encrypted, not bonded" (see _close_conn)
                conn.encrypted = True
                conn.key_size = 16
        elif kind == "paired":
            self._paired(conn, frame[2])
        elif kind == "encok":
            self._encrypted(conn, True)
        elif kind == "encfail":
            self._encrypted(conn, False)

    def _paired(self, conn, ltk):
        if self._conns.get(conn.handle) is not conn:
            return
        if ltk is not None:
            self._store_bond(conn, ltk)
        conn.bonded = ltk is not None
        self._encrypted(conn, True)

    def _encrypted(self, conn, ok):
        if self._conns.get(conn.handle) is not conn:
            return
        conn.pairing = False
        if ok:
            conn.encrypted = True
            conn.key_size = 16
            if not conn.bonded:
                conn.bonded = self._bond_for(conn) is not None
        self._irq(_IRQ_ENCRYPTION_UPDATE, (conn.handle, conn.encrypted, conn.authenticated,
                                           conn.bonded, conn.key_size))

    # ----- L2CAP connection-oriented channels -----
    def l2cap_listen(self, psm, mtu):
        self._check_active()
        self._l2cap_listen = (psm, mtu)

    def l2cap_connect(self, conn_handle, psm, mtu):
        conn = self._conn(conn_handle)
        if conn.l2cap is not None:
            raise OSError(_EALREADY)
        ch = conn.l2cap = _L2cap(self._alloc_cid(), psm, mtu, 0)
        self._send_link(conn, ("l2req", conn.link, psm, mtu, ch.cid))

    def _alloc_cid(self):
        self._next_cid += 1
        return self._next_cid

    def l2cap_send(self, conn_handle, cid, buf):
        conn = self._conn(conn_handle)
        ch = conn.l2cap
        if ch is None or ch.cid != cid or not ch.open:
            raise OSError(_ENOTCONN)
        data = bytes(buf)
        if len(data) > ch.peer_mtu:
            raise OSError(_EINVAL)
        # the link carries about 100 kB/s: long transfers take their time
        now = self._now()
        start = max(now, conn.l2_free_at)
        conn.l2_free_at = start + 10 * len(data)
        self._send_link(conn, ("l2data", conn.link, data), conn.l2_free_at - now + self.response_delay_ms * 1000)
        return True

    def l2cap_recvinto(self, conn_handle, cid, buf):
        conn = self._conn(conn_handle)
        ch = conn.l2cap
        if ch is None or ch.cid != cid:
            raise OSError(_ENOTCONN)
        if buf is None:
            return len(ch.rx)
        n = min(len(buf), len(ch.rx))
        buf[:n] = ch.rx[:n]
        ch.rx = ch.rx[n:]
        return n

    def l2cap_disconnect(self, conn_handle, cid):
        conn = self._conn(conn_handle)
        ch = conn.l2cap
        if ch is None or ch.cid != cid:
            raise OSError(_ENOTCONN)
        self._send_link(conn, ("l2close", conn.link))
        self._later(self._link_delay(conn) + conn.interval, self._l2cap_closed, conn, ch)

    def _l2cap_closed(self, conn, ch):
        if conn.l2cap is ch:
            conn.l2cap = None
            if self._conns.get(conn.handle) is conn:
                self._irq(_IRQ_L2CAP_DISCONNECT, (conn.handle, ch.cid, ch.psm, 0))

    def _on_l2cap(self, conn, frame):
        kind = frame[0]
        if kind == "l2req":
            _, link, psm, peer_mtu, peer_cid = frame
            lst = self._l2cap_listen
            if lst is None or lst[0] != psm or conn.l2cap is not None:
                self._send_link(conn, ("l2rej", link))
                return
            ch = _L2cap(self._alloc_cid(), psm, lst[1], peer_mtu)
            deny = self._irq(_IRQ_L2CAP_ACCEPT, (conn.handle, ch.cid, psm, ch.our_mtu, peer_mtu))
            if deny:
                self._send_link(conn, ("l2rej", link))
                return
            conn.l2cap = ch
            ch.open = True
            self._send_link(conn, ("l2acc", link, ch.our_mtu))
            self._irq(_IRQ_L2CAP_CONNECT, (conn.handle, ch.cid, psm, ch.our_mtu, peer_mtu))
        elif kind == "l2acc":
            ch = conn.l2cap
            if ch is not None:
                ch.peer_mtu = frame[2]
                ch.open = True
                self._irq(_IRQ_L2CAP_CONNECT, (conn.handle, ch.cid, ch.psm, ch.our_mtu, ch.peer_mtu))
        elif kind == "l2rej":
            ch = conn.l2cap
            if ch is not None:
                conn.l2cap = None
                self._irq(_IRQ_L2CAP_DISCONNECT, (conn.handle, ch.cid, ch.psm, 1))
        elif kind == "l2data":
            ch = conn.l2cap
            if ch is not None and ch.open:
                ch.rx += frame[2]
                self._irq(_IRQ_L2CAP_RECV, (conn.handle, ch.cid))
        elif kind == "l2close":
            ch = conn.l2cap
            if ch is not None:
                conn.l2cap = None
                self._irq(_IRQ_L2CAP_DISCONNECT, (conn.handle, ch.cid, ch.psm, 0))


_patched = False


def _patch_asyncio_wait():
    """Work around tools/host/vtime.py: its wait_io_event hook returns after
    firing a virtual-world timer even when dt < 0 and no task was woken;
    asyncio then pops an empty task queue (IndexError). The real poll(-1)
    keeps waiting, so wait again until a task is ready."""
    global _patched
    if _patched or not getattr(vtime, "_installed", False):
        return
    _patched = True
    import asyncio.core as core
    hooked = core.IOQueue.wait_io_event

    def wait_io_event(q, dt):
        hooked(q, dt)
        while dt < 0 and core._task_queue.peek() is None and q.map:
            hooked(q, dt)

    core.IOQueue.wait_io_event = wait_io_event


def _next_adv_event(st, t):
    """First advertising event of state `st` at or after t. The spec puts
    advInterval + a pseudo-random advDelay (0-10 ms) between the starts of two
    events, so the delays add up and the events drift against any scanner's
    interval (a fixed grid would lock their phase and miss some forever): here
    event k is at t0 + k * (interval + 5 ms, the mean delay) + its own 0-10 ms."""
    t0, step, seed = st[5], st[1] + 5000, st[6]
    k = (t - t0) // step if t > t0 else 0
    while True:
        et = t0 + k * step + ((k * 40503 + seed) * 2654435761 >> 16) % 10000
        if et >= t:
            return et, k
        k += 1


def load_aioble(controller, name="aioble_peer", tmp=None):
    """Import a second, independent copy of aioble bound to `controller`
    (for an in-process peripheral written with aioble). The installed
    package's sources are copied at run time to `tmp`/`name`/ and imported
    under that name, so its relative imports stay inside the copy (the unix
    port can neither symlink nor create module objects). Without `tmp`, the
    copy goes to a folder of this run's own and is removed once every module
    of it is imported (a fixed /tmp folder was rewritten by two runs at once
    while the other imported from it). Returns the package (its `core.ble` is
    `controller`)."""
    import os
    src = None
    for p in sys.path:
        if p and _exists(p + "/aioble/core.py"):
            src = p + "/aioble/"
            break
    if src is None:
        raise RadioError("aioble (as .py sources) not found on sys.path")
    scratch_dir = None
    if tmp is None:
        import scratch
        tmp = scratch_dir = scratch.fresh_dir("vradio_aioble")
    dst = tmp + "/" + name + "/"
    for d in (tmp, dst):
        try:
            os.mkdir(d)
        except OSError:
            pass
    modules = []
    for fn in os.listdir(src):
        if fn.endswith(".py"):
            with open(src + fn) as f_in:
                text = f_in.read()
            with open(dst + fn, "w") as f_out:
                f_out.write(text)
            if fn != "__init__.py":
                modules.append(fn[:-3])
    import bluetooth as bt
    saved = bt.BLE
    bt.BLE = lambda: controller
    sys.path.insert(0, tmp)
    try:
        pkg = __import__(name)
        for sub in modules:   # all of them: aioble imports some only when first used
            __import__(name + "." + sub)
    finally:
        sys.path.remove(tmp)
        bt.BLE = saved
        if scratch_dir:
            scratch.remove_dir(dst)
            os.rmdir(scratch_dir)
    return pkg


def _exists(p):
    import os
    try:
        os.stat(p)
        return True
    except OSError:
        return False
