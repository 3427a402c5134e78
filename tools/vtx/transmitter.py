# The virtual G6 transmitter's protocol logic, independent of the radio:
# what it answers to each write, when it wakes, which reading it holds.
# The radio glue (peripheral.py) feeds it writes and applies its actions.
#
# Time: the transmitter counts "dex seconds" since its activation. At
# construction (virtual time t0_us) it is `age_s` old; its readings are
# 300 s apart in dex time, window k at dex first_dex + 300 k, and it wakes
# (advertises) a jittered moment after each reading.
import struct
from vtx import wire, faults as F

W = 300  # seconds between readings
_STATE_OK = 0x06
_MODE_STATE = {"warmup": 0x02, "sensor_failed": 0x0B, "sensor_expired": 0x18, "sensor_stopped": 0x01,
               "needs_calibration": 0x04, "state_unknown": 0x2A, "sensor_error": 0x12,
               "excess_noise": 0x03}
_HISTORY_WINDOWS = 288  # the transmitter keeps 24 h of readings for backfill
_CUT_STEPS = 7          # a cut happens at one of the first 7 writes of a session

# Actions returned to the glue: (kind, characteristic, data)
#   ("value", "auth", b)          set the readable value
#   ("indicate", "auth"|"control", b)
#   ("notify", "backfill"|"auth", b)  (auth: mode auth_notify)
#   ("pair", None, None)          ask the central to pair (security request)
#   ("disconnect", None, reason)


class Conn:
    """What the transmitter knows about one connection."""

    def __init__(self, peer):
        self.peer = peer
        self.slot = None
        self.token = None
        self.challenge = None
        self.authenticated = False
        self.encrypted = False
        self.writes = 0        # steps seen so far (for the `cut` fault)
        self.replies = 0       # control replies sent (for crc/garbage/truncate)
        self.keepalive_s = 0
        self.clean = False     # got Disconnect 0x09


class Transmitter:
    def __init__(self, values, tx_id="8G1234", fault_spec="", seed=1, start_minute=0,
                 t0_us=0, age_s=10 * 86400, first_window_s=60, jitter_ms=2000, adv_ms=6000,
                 session_age_s=2 * 86400):
        self.values = values
        self.tx_id = tx_id
        self.name = "Dexcom" + tx_id[-2:]
        self.key = wire.key_for(tx_id)
        self.rogue_key = wire.key_for("ROGUE" + tx_id[-1])
        self.rng = F.Rng(seed)
        self.set_faults(fault_spec)
        self.start_index = start_minute // 5
        self.t0_us = t0_us
        self.dex0 = age_s
        self.first_dex = age_s + first_window_s
        self.session_start = age_s - session_age_s
        self.jitter_ms = jitter_ms
        self.adv_ms = adv_ms
        self.bonds = {}           # slot -> peer address bonded in that slot
        self.keys_lost = False    # the glue drops its stored keys when set (phone_slot, forget_keys)
        self.last_slot = None
        self.backfills = 0
        self.win = {}             # per-window faults rolled at the last wake
        self.states = {}          # window -> sensor state it was taken in
        self.log = []             # (window k, what) for tests and benches
        self.damaged = {}         # fault -> replies it damaged (crc, garbage, truncate, truncate_frame)
        self.backfill_reply_first = False   # 0x51 on control before the frames (either order is allowed)
        self.dex_jitter = False   # records 0 or 1 s before the 5-min grid (record_dex): 299-301 s apart
        self.k_floor = 0          # no record before this window is kept (restart_clock wipe=True)
        self.session_lost = False # a wiping reset ended the session; new_session starts one

    # --- configuration -------------------------------------------------------
    def set_faults(self, spec):
        self.faults = F.parse(spec)

    def mode(self, name):
        return self.faults.get(name, 0) > 0

    # --- time and readings ----------------------------------------------------
    def dex_now(self, now_us):
        return self.dex0 + (now_us - self.t0_us) // 1000000

    def window_dex(self, k):
        return self.first_dex + W * k

    def window_us(self, k):
        """Virtual time of reading k (the wake-up is jittered after it)."""
        return self.t0_us + (self.window_dex(k) - self.dex0) * 1000000

    def record_dex(self, k):
        """The dex time window k's record carries: the grid's (window_dex), or with
        dex_jitter 0 or 1 s before it, the same for k every time it is sent (live or
        backfill), so records are 299-301 s apart as CGMBLEKit's G5/G6 captures show.
        Never after the grid: the transmitter wakes on it, and a record is not dated
        after the moment it is sent."""
        d = self.window_dex(k)
        if self.dex_jitter:
            d -= ((k * 2654435761) >> 13) & 1   # a fixed pattern of k, no draw from self.rng
        return d

    def current_window(self, now_us):
        return (self.dex_now(now_us) - self.first_dex) // W

    def glucose(self, k):
        v = self.values[(self.start_index + k) % len(self.values)]
        return v

    def state(self):
        if self.session_lost:
            return 0x01
        for name, code in _MODE_STATE.items():
            if self.mode(name):
                return code
        return _STATE_OK

    def reading(self, k):
        """(dex_s, glucose, state, trend) of window k as the transmitter sends it
        (the state is the one the window was taken in)."""
        g = self.glucose(k)
        st = self.states.get(k)
        if st is None:
            st = self.state()
        if st == 0x01 or g is None:
            return (self.record_dex(k), 1, st, 127)
        prev = self.glucose(k - 1) if k > 0 else None
        trend = 127 if prev is None else max(-126, min(126, (g - prev) * 2))  # mg/dL/min x10
        return (self.record_dex(k), g, st, trend)

    def status(self):
        if self.mode("tx_expired"):
            return 0x83
        if self.mode("battery_low"):
            return 0x81
        return 0

    # --- the window ---------------------------------------------------------
    def wake(self, k):
        """Roll this window's faults; return the advertising delay in ms
        after the reading time, or None to skip the window."""
        self.win = {}
        self.states[k] = self.state()
        if len(self.states) > _HISTORY_WINDOWS + 8:
            for old in [j for j in self.states if j < k - _HISTORY_WINDOWS]:
                del self.states[old]
        for name in F.PER_WINDOW:
            rate = self.faults.get(name, 0)
            if rate and (rate >= 1 or self.rng.random() < rate):
                self.win[name] = True
        if "cut" in self.win:
            self.win["cut_at"] = self.rng.below(_CUT_STEPS)
        for name in ("crc", "garbage", "truncate"):
            if name in self.win:
                self.win[name + "_at"] = self.rng.below(4)
        jitter = self.rng.below(self.jitter_ms + 1)
        if self.mode("forget_keys"):
            self.keys_lost = True  # the glue drops its stored keys; self.bonds stays
            self.log.append((k, "keys forgotten"))
        if "miss" in self.win:
            self.log.append((k, "missed"))
            return None
        if self.mode("phone_slot") and self.last_slot is not None:
            # The phone connected first and bonded in our slot: a slot holds
            # one bond, so our keys are gone too (the glue drops them)
            self.bonds[self.last_slot] = b"phone!"
            self.keys_lost = True
            jitter += 2000
        return jitter

    def reply_delay_ms(self):
        return F.SLOW_MS if "slow" in self.win else 15

    # --- authentication characteristic ---------------------------------------
    def _step(self, conn):
        conn.writes += 1
        if "cut" in self.win and conn.writes - 1 == self.win["cut_at"]:
            del self.win["cut"]  # one cut per window
            return [("disconnect", None, "cut")]
        return None

    def on_auth_write(self, conn, data, now_us):
        data = bytes(data)
        cut = self._step(conn)
        if cut:
            return cut
        if not data:
            return []
        op = data[0]
        if op == 0x01 and len(data) == 10:
            conn.token = data[1:9]
            conn.slot = data[9]
            conn.challenge = self.rng.bytes(8)
            key = self.rogue_key if self.mode("rogue") else self.key
            reply = b"\x03" + wire.auth_hash(key, conn.token) + conn.challenge
            return self._auth_reply(reply)
        if op == 0x04 and len(data) == 9 and conn.challenge is not None:
            key = self.rogue_key if self.mode("rogue") else self.key
            conn.authenticated = data[1:9] == wire.auth_hash(key, conn.challenge) and not self.mode("auth_refused")
            if conn.authenticated:
                self.last_slot = conn.slot
            bonded = self.bonds.get(conn.slot) == conn.peer
            if not self.mode("bonded_unencrypted"):
                # "Bonded" only on a link already encrypted with that bond: the
                # peers' stacks encrypt a bonded link before authenticating
                # (ESP32R's setup_bonding() before connect, "so transmitter
                # does not want to (re)bond"; iOS), and where Android encrypts
                # later the transmitter says "not bonded" although the bond
                # works (xDrip's Android 12+ workaround, PR #2121)
                bonded = bonded and conn.encrypted
            reply = bytes((0x05, 1 if conn.authenticated else 2, 1 if bonded else 2))
            return self._auth_reply(reply)
        if op == 0x06 and len(data) == 2:
            conn.keepalive_s = data[1]
            # A real G6 (1.6.5.25) indicates FF 06 01 after a KeepAlive
            # (capture in Dexcom-ESP32-Reader "Example serial output.txt").
            # Nothing shows what a G5 answers: here it is the readable value.
            if self.mode("g5"):
                return [("value", "auth", b"\xff\x06\x01")]
            if self.mode("auth_notify"):
                return [("notify", "auth", b"\xff\x06\x01")]
            return [("indicate", "auth", b"\xff\x06\x01")]
        if op == 0x07 and conn.authenticated:
            return [("pair", None, None)]
        return []

    def _auth_reply(self, reply):
        if self.mode("firefly"):  # Firefly: no read-back, only indications
            return [("indicate", "auth", reply)]
        if self.mode("g5"):
            # G5: the reply is the characteristic's value, read after the
            # write (CGMBLEKit, xdrip-js); it does not indicate it
            return [("value", "auth", reply)]
        if self.mode("auth_notify"):
            return [("value", "auth", reply), ("notify", "auth", reply)]
        return [("value", "auth", reply), ("indicate", "auth", reply)]

    def on_bonded(self, conn):
        """The glue calls this when pairing with bonding completed."""
        if conn.slot is not None:
            self.bonds[conn.slot] = conn.peer

    # --- control characteristic ------------------------------------------------
    def on_control_write(self, conn, data, now_us):
        data = bytes(data)
        cut = self._step(conn)
        if cut:
            return cut
        if not conn.authenticated or not conn.encrypted:
            # The real transmitter drops a reader that is not bonded.
            return [("disconnect", None, "control needs an authenticated, encrypted link")]
        if not data:
            return []
        op = data[0]
        if op == 0x09 and len(data) == 1:
            conn.clean = True
            return [("disconnect", None, "requested")]
        if op == 0x06:  # keep-alive also accepted here
            return []
        if not wire.crc_ok(data):
            return []  # a command with a bad CRC is ignored
        if op == 0x50:
            return self._backfill(conn, data, now_us)
        body = self._control_body(op, data, now_us)
        if body is None:
            return []
        return [("indicate", "control", self._damage(conn, wire.with_crc(body)))]

    def _damage(self, conn, msg):
        i = conn.replies
        conn.replies += 1
        for name in ("crc", "garbage", "truncate"):
            if self.win.get(name + "_at") == i and name in self.win:
                self._count_damage(name)
                if name == "crc":
                    return msg[:-1] + bytes(((msg[-1] + 1) & 0xFF,))
                if name == "garbage":
                    return self.rng.bytes(len(msg))
                return msg[:max(1, len(msg) // 2)]
        return msg

    def _count_damage(self, name):
        self.damaged[name] = self.damaged.get(name, 0) + 1

    def _control_body(self, op, data, now_us):
        st = self.status()
        dex = self.dex_now(now_us)
        k = (dex - self.first_dex) // W
        if op == 0x24:
            sess = 0xFFFFFFFF if self.state() == 0x01 else self._session_start(now_us)
            return struct.pack("<BBIII", 0x25, st, dex, sess, 1)
        if op in (0x30, 0x4E):
            if k < 0:
                rd = (0, 0, 0, 127)
            else:
                rd = self.reading(k)
            if self.mode("eglucose_reply"):
                op = 0x4E  # answers GlucoseTx with the G6 EGlucoseRx layout
            body = struct.pack("<BBIIHBb", op + 1, st, (k + 1) & 0xFFFFFFFF, rd[0], rd[1] & 0xFFF,
                               rd[2], rd[3])
            if op == 0x4E:
                body += struct.pack("<H", rd[1] & 0x3FF)
            return body
        if op == 0x2E:
            ts = self.window_dex(k) if k >= 0 else 0
            if self.mode("firefly"):
                return struct.pack("<BBI", 0x2F, st, ts)
            g = self.reading(k)[1] if k >= 0 else 0
            return struct.pack("<BBIII", 0x2F, st, ts, g * 880 + 20000, g * 860 + 20000)
        if op == 0x22:
            va = 270 if st == 0x81 else 310
            if self.mode("firefly"):
                return struct.pack("<BBHHBB", 0x23, st, va, va - 20, 0, 31)
            if self.mode("battery_odd"):  # a length no peer documents (CRC correct)
                return struct.pack("<BBHHHB", 0x23, st, va, va - 20, 1200, 31)
            return struct.pack("<BBHHHBB", 0x23, st, va, va - 20, 1200, (dex // 86400) & 0xFF, 31)
        if op == 0x20:
            fw = b"\x02\x12\x02\x58" if self.mode("firefly") else b"\x01\x06\x05\x19"
            return struct.pack("<BB", 0x21, st) + fw + fw + b"\xff" + b"\x00\x31\x45" + struct.pack("<H", 0x2441)
        if op == 0x4A:
            fw = b"\x02\x12\x02\x58" if self.mode("firefly") else b"\x01\x06\x05\x19"
            return struct.pack("<BB", 0x4B, st) + fw + struct.pack("<IHBHH", 11818, 0, 3, 110, 365)
        if op == 0x52:
            warm = 3600 if self.mode("firefly") else 7200
            return struct.pack("<BBBHHH", 0x53, st, 10, 0x000F, warm, 0) + b"0250-Pro"
        if op == 0x32:
            g = self.reading(max(0, k - 12))[1]
            return (struct.pack("<BB", 0x33, st) + bytes(9)
                    + struct.pack("<HIB", g & 0xFFF, self._session_start(now_us) + 7200, 0))
        return None

    def _session_start(self, now_us):
        if self.mode("warmup"):
            if self.session_start > self.dex_now(now_us) - 7200:   # a session started (new_session)
                return self.session_start
            return max(0, self.dex_now(now_us) - 1800)
        return self.session_start

    def restart_clock(self, now_us, age_s, wipe=False):
        """The transmitter's clock starts again (a G5 battery swap, a reset): from now
        it is age_s old. Its windows keep their virtual times and trace rows (the
        next one comes when it would have), so only the dex seconds they carry move.
        wipe=False (the chaos worlds' default): the session goes on, and what it held
        from before is offered for backfill at the new clock's dex times, before age_s,
        when a span asked for reaches back that far (a box that asks only the new
        clock's span gets none of it). wipe=True: what the sources describe for a
        ResetTx 0x42 or an "Anubis" battery swap (docs/LINK_AUDIT.md, "Transmitter
        clock reset"): the session ends (state stopped, no session start in 0x25 until
        new_session) and no record from before is offered again. Neither is a capture:
        no source says whether a real G5/G6 keeps its records through a reset.
        age_s > W keeps every dex time >= 0."""
        k_next = self.current_window(now_us) + 1
        t_next_s = (self.window_us(k_next) - now_us) // 1000000
        shift = self.dex_now(now_us) - age_s
        self.t0_us, self.dex0 = now_us, age_s
        self.first_dex = age_s + t_next_s - W * k_next
        self.session_start = max(0, self.session_start - shift)
        if wipe:
            self.k_floor, self.session_lost = k_next, True
        self.log.append((k_next, "clock restarted" + (" (wiped)" if wipe else "")))
        return shift

    def new_session(self, now_us):
        """A new sensor: its session starts now (the warm-up is the `warmup` mode's span)."""
        self.session_start = self.dex_now(now_us)
        self.session_lost = False
        self.log.append((self.current_window(now_us), "new session"))

    def _backfill(self, conn, data, now_us):
        start, end = struct.unpack_from("<II", data, 4)
        ident = self.backfills & 3
        self.backfills += 1
        k_now = self.current_window(now_us)
        k_old = max(self.k_floor, k_now - _HISTORY_WINDOWS + 1)   # the oldest record kept
        k_lo = max(k_old, -(-(start - self.first_dex) // W))
        k_hi = min(k_now, (end - self.first_dex) // W) if end >= self.first_dex else -1
        if self.dex_jitter:   # the records whose own dex time is in [start, end]
            ks = [k for k in range(max(k_old, k_lo - 1), min(k_now, k_hi + 1) + 1)
                  if start <= self.record_dex(k) <= end]
            k_lo, k_hi = (ks[0], ks[-1]) if ks else (0, -1)
        status = self.status()
        if k_hi < k_lo or self.mode("backfill_empty"):
            if k_hi >= k_lo:
                self._count_damage("backfill_empty")
            reply = struct.pack("<BBBBIIIH", 0x51, status, 2, ident, 0, 0, 0, 0)
            return [("indicate", "control", self._damage(conn, wire.with_crc(reply)))]
        payload = struct.pack("<HH", self.backfills & 0xFFFF, 0)
        for k in range(k_lo, k_hi + 1):
            d, g, st, tr = self.reading(k)
            payload += struct.pack("<IHBb", d, g & 0xFFF, st, tr)
        frames = []
        n = 1
        for i in range(0, len(payload), 18):
            frames.append(bytes((n & 0xFF, (ident << 6) & 0xFF)) + payload[i:i + 18])
            n += 1
        stream = b"".join(frames)
        reply = struct.pack("<BBBBIIIH", 0x51, status, 1, ident, self.record_dex(k_lo),
                            self.record_dex(k_hi), len(stream), wire.crc16(stream))
        acts = []
        bad = self.win.get("truncate_at") if "truncate" in self.win else None
        for i, fr in enumerate(frames):
            if bad is not None and i == bad % len(frames) and len(frames) > 1:
                fr = fr[:len(fr) // 2]
                del self.win["truncate"]
                self._count_damage("truncate_frame")
            acts.append(("notify", "backfill", fr))
            if i == 0 and len(frames) > 1 and self.mode("frame_copy"):
                acts.append(("notify", "backfill", fr))
                self._count_damage("frame_copy")
        reply_act = ("indicate", "control", self._damage(conn, wire.with_crc(reply)))
        return [reply_act] + acts if self.backfill_reply_first else acts + [reply_act]
