#!/usr/bin/env python3
"""Run a real Dexcom G5/G6/ONE BLE session capture through the firmware codec.

    capture.py [--id TRANSMITTER_ID] FILE          (make capture FILE=... [ID=...])

FILE is a capture in one of these formats (detected from its bytes; the
readers are in capture_formats.py, each yields the same HCI packets):

1. A binary capture of the phone's HCI traffic, taken while xDrip+ or the
   Dexcom app talks to the transmitter:
   - btsnoop v1: Android's "Bluetooth HCI snoop log" (btsnoop_hci.log), or a
     Wireshark / nRF export saved as btsnoop; datalink 1002 (H4: a
     packet-type byte first) or 1001 (HCI without it).
   - pcap or pcapng, as Wireshark saves a capture (either byte order; pcap
     micro- or nanosecond; pcapng per-interface link type and time
     resolution, other interfaces and unknown blocks skipped; gzip-compressed
     too) with link type 201 BLUETOOTH_HCI_H4_WITH_PHDR (direction header),
     254 BLUETOOTH_LINUX_MONITOR (btmon) or 187 BLUETOOTH_HCI_H4. 187 records
     no direction (unless pcapng epb_flags do): it is inferred from the HCI
     packet type, the ATT opcode (the phone is the GATT client) and the ACL
     packet-boundary flag, and the summary says so ("direction_inferred").
   - an Android bug report: the .zip itself (its full btsnoop_hci.log is
     preferred, then the others; the summary names the member read and the
     other candidates) or its .txt, whose BTSNOOP_LOG_SUMMARY section
     (btsnooz v1/v2, the short log Android keeps in memory) has the ACL
     packets cut to 14 bytes: longer Dexcom messages are reported as cut.
   ACL data is reassembled into L2CAP PDUs per connection and direction;
   the ATT channel (CID 4) is
   decoded: writes (0x12, 0x52), notifications (0x1B), indications (0x1D),
   reads (0x0A/0x0B), and the discovery replies (0x09 characteristic
   declarations, 0x05 handle/UUID lists) that map handles to the Dexcom
   characteristics. Android caches discovery, so a capture often has none:
   then each handle's role is inferred from its traffic (authentication
   opcodes without CRC, CRC-valid control messages, numbered backfill frames),
   only on a connection that shows Dexcom authentication or control traffic
   (another device's counter is no backfill), and the output says so
   ("role_inferred" on each line, "roles_inferred" in the summary). Each
   connection (peer device) has its own backfill stream, authentication
   exchange and clock.

2. Text, one message per line, for captures taken otherwise (nRF Connect
   logs, a logic analyser, a bug report):
       [t_seconds] (tx|rx) (control|auth|backfill) HEX
   tx = written by the reader, rx = sent by the transmitter. HEX may contain
   spaces or colons. '#' starts a comment; blank lines are skipped. UTF-8,
   with or without a byte-order mark.

Output: JSON lines on stdout, one per Dexcom message in capture order
    {"t", "dir", "char", "hex", "opcode", "name", "crc_valid", fields...}
(binary captures add "device", "handle" and "att"; the text format has one
device)
(or "error": why the firmware codec refused it), then one summary line
{"summary": {...}}: message count, per-opcode counts, CRC failures, decode
errors with their reasons, the authentication result (with --id: the hash the
transmitter returned for the reader's token and the hash the reader sent for
the transmitter's challenge, both checked with dexcom.auth), the glucose
readings (transmitter time; wall time when the capture has it), and the
backfill streams (assembled and validated by dexcom.backfill.Backfill).

Exit status: 0 when the file was read (messages the codec refused are data,
listed in the output); 1 when the file cannot be read (none of the formats,
unsupported datalink or link type, truncated record or block, bad magic): one
JSON line {"error": ...} naming the format and what is wrong; 2 for bad
arguments. A btsnoop log, pcap or pcapng whose last record or block is cut
(copied while Android or Wireshark was still writing it) is read up to it,
with a warning on stderr and in the summary's "warnings".
"""
import json
import os
import struct
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(_ROOT, "firmware"), os.path.join(_ROOT, "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import reading  # noqa: E402
from dexcom import auth, crc, glucose, messages  # noqa: E402
from dexcom.backfill import Backfill  # noqa: E402
from dexcom.errors import DexcomError  # noqa: E402
from dexdecode import UsageError, decode_msg, unhex  # noqa: E402

USAGE = "usage: capture.py [--id TRANSMITTER_ID] FILE"


from capture_formats import (BTSNOOP_MAGIC, H4_ACL, H4_COMMAND, H4_EVENT,  # noqa: E402,F401
                             CaptureError, read_btsnoop, read_records)


# --- HCI: connections, ACL -> L2CAP ------------------------------------------
class Hci:
    """Reassembles L2CAP PDUs per connection handle and direction and follows
    connections (LE Connection Complete gives the peer address, so handle
    maps are kept per device). Feeds ATT PDUs (CID 4) to `att`."""

    def __init__(self, att):
        self.att = att
        self.partial = {}       # (conn, dir) -> [t, bytearray, truncated]
        self.peer = {}          # conn -> "AA:BB:..." peer address
        self.errors = []        # L2CAP-level problems (dicts)
        self.connections = 0

    def device(self, conn):
        return self.peer.get(conn) or "conn 0x%03x" % conn

    def event(self, t, pkt):
        if len(pkt) < 2:
            return
        code, body = pkt[0], pkt[2:]
        # LE Connection Complete (0x01), LE Enhanced Connection Complete v1 (0x0A)
        # and v2 (0x29): status, handle, role, peer address type, peer address.
        if code == 0x3E and len(body) >= 12 and body[0] in (0x01, 0x0A, 0x29) and body[1] == 0:
            conn = struct.unpack_from("<H", body, 2)[0] & 0x0FFF
            self.peer[conn] = ":".join("%02X" % b for b in reversed(body[6:12]))
            self.connections += 1
            self.att.connection(t, "connected", self.device(conn))
        elif code == 0x05 and len(body) >= 4 and body[0] == 0:
            conn = struct.unpack_from("<H", body, 1)[0] & 0x0FFF
            for d in ("tx", "rx"):
                self._drop(conn, d, "connection closed")
            self.att.connection(t, "disconnected", self.device(conn))
            self.peer.pop(conn, None)   # the handle may be reused for another device

    def acl(self, t, direction, pkt, truncated):
        if len(pkt) < 4:
            self.errors.append({"t": t, "error": "ACL packet of %d bytes" % len(pkt)})
            return
        hdr, _length = struct.unpack_from("<HH", pkt, 0)
        conn, pb = hdr & 0x0FFF, (hdr >> 12) & 3
        frag = pkt[4:]
        key = (conn, direction)
        if pb == 1:                       # continuing fragment
            cur = self.partial.get(key)
            if cur is None:
                self.errors.append({"t": t, "dir": direction, "error":
                                    "continuation fragment without a start (conn 0x%03x)" % conn})
                return
            cur[1].extend(frag)
            cur[2] = cur[2] or truncated
        else:                             # first fragment of a PDU
            self._drop(conn, direction, "a new PDU started")
            cur = self.partial[key] = [t, bytearray(frag), truncated]
        buf = cur[1]
        if cur[2]:                        # the capture cut this packet: the PDU is lost
            del self.partial[key]
            if len(buf) >= 7 and struct.unpack_from("<H", buf, 2)[0] == 4:
                self.att.pdu(cur[0], direction, self.device(conn), bytes(buf[4:]), True)
            else:   # too short to name its ATT operation and handle (a filtered snoop log)
                self.errors.append({"t": t, "dir": direction, "error": "packet truncated by the "
                                    "capture to %d bytes of L2CAP (use the full, unfiltered "
                                    "snoop log)" % len(buf)})
            return
        if len(buf) < 4:
            return
        length, cid = struct.unpack_from("<HH", buf, 0)
        if len(buf) < length + 4:
            return
        del self.partial[key]
        if len(buf) > length + 4:
            self.errors.append({"t": t, "dir": direction, "error":
                                "L2CAP PDU has %d bytes more than its length %d"
                                % (len(buf) - length - 4, length)})
        if cid == 4:
            self.att.pdu(cur[0], direction, self.device(conn), bytes(buf[4:4 + length]), False)

    def _drop(self, conn, direction, why):
        cur = self.partial.pop((conn, direction), None)
        if cur is not None:
            self.errors.append({"t": cur[0], "dir": direction, "error":
                                "incomplete L2CAP PDU dropped (%d bytes; %s)" % (len(cur[1]), why)})


# --- direction where the file does not record it (link type 187) -------------
# ATT opcodes only the client (the reader, the capturing phone) sends, and
# those only the server (the transmitter) sends. Exchange MTU is left out.
_ATT_CLIENT = frozenset((0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0E, 0x10, 0x12, 0x16, 0x18, 0x1E,
                         0x20, 0x52, 0xD2))
_ATT_SERVER = frozenset((0x01, 0x05, 0x07, 0x09, 0x0B, 0x0D, 0x0F, 0x11, 0x13, 0x17, 0x19,
                         0x1B, 0x1D, 0x21, 0x23))


class DirectionInference:
    """Direction of an H4 packet from a file that does not record it: commands
    go to the controller, events come from it; an ACL packet that starts an
    L2CAP PDU on the ATT channel by its opcode (the capturing host is the GATT
    client: the transmitter is a GATT server), otherwise by its packet-boundary
    flag (LE: 00 host to controller, 10 controller to host); a continuation
    fragment goes with the direction whose PDU is still incomplete. `counts`
    says how many packets each rule decided (the summary shows it)."""

    def __init__(self):
        self.counts = {}
        self.open = {}          # (conn, dir) -> L2CAP bytes still to come

    def _count(self, why):
        self.counts[why] = self.counts.get(why, 0) + 1

    def direction(self, h4):
        ptype = h4[0]
        if ptype == H4_COMMAND:
            self._count("hci_command")
            return "tx"
        if ptype == H4_EVENT:
            self._count("hci_event")
            return "rx"
        if ptype != H4_ACL or len(h4) < 5:
            self._count("unknown")
            return None
        hdr, acl_len = struct.unpack_from("<HH", h4, 1)
        conn, pb = hdr & 0x0FFF, (hdr >> 12) & 3
        if pb == 1:
            waiting = [d for d in ("tx", "rx") if self.open.get((conn, d), 0) > 0]
            if len(waiting) != 1:
                self._count("unknown")
                return None
            d = waiting[0]
            self.open[(conn, d)] -= acl_len
            self._count("acl_continuation")
            return d
        by_flag = "tx" if pb == 0 else "rx" if pb == 2 else None
        d = None
        if len(h4) >= 10:
            l2cap_len, cid = struct.unpack_from("<HH", h4, 5)
            op = h4[9] if len(h4) > 9 else None
            if cid == 4 and op in _ATT_CLIENT:
                d = "tx"
            elif cid == 4 and op in _ATT_SERVER:
                d = "rx"
            if d is not None:
                self._count("att_opcode")
                if by_flag is not None and by_flag != d:
                    self._count("att_opcode_against_pb_flag")
            self.open[(conn, d or by_flag)] = l2cap_len + 4 - acl_len
        if d is None and by_flag is not None:
            self._count("acl_pb_flag")
            d = by_flag
        if d is None:
            self._count("unknown")
        return d


# --- ATT ----------------------------------------------------------------------
def _uuid128(b):
    h = bytes(reversed(b)).hex().upper()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


_DEXCOM_BASE = "-849E-531C-C594-30F1F86A4EA5"
DEXCOM_CHARS = {"F8083533" + _DEXCOM_BASE: "communication", "F8083534" + _DEXCOM_BASE: "control",
                "F8083535" + _DEXCOM_BASE: "auth", "F8083536" + _DEXCOM_BASE: "backfill",
                "F8083537" + _DEXCOM_BASE: "unnamed_3537", "F8083538" + _DEXCOM_BASE: "extradata"}
DEVICE_INFO = {0x2A29: "manufacturer", 0x2A24: "model", 0x2A25: "serial",
               0x2A26: "firmware", 0x2A27: "hardware", 0x2A28: "software"}
_VALUE_OPS = {0x12: "write_req", 0x52: "write_cmd", 0x1B: "notify", 0x1D: "indicate",
              0x0B: "read_rsp"}


class Att:
    """Decodes ATT PDUs: learns handle -> UUID from discovery replies and
    collects the value-carrying operations in order (`ops`)."""

    def __init__(self):
        self.uuids = {}         # (device, handle) -> UUID string or 16-bit int
        self.ops = []           # (t, dir, device, att op name, handle, value, truncated)
        self.pending_read = {}  # (device, dir of request) -> handle
        self.pending_type = {}  # (device, dir of request) -> Read By Type UUID

    def connection(self, t, what, device):
        self.ops.append((t, None, device, what, None, None, False))

    def pdu(self, t, direction, device, p, truncated):
        if not p:
            return
        op = p[0]
        other = "rx" if direction == "tx" else "tx"
        if op in (0x12, 0x52, 0x1B, 0x1D) and len(p) >= 3:
            handle = struct.unpack_from("<H", p, 1)[0]
            self.ops.append((t, direction, device, _VALUE_OPS[op], handle, p[3:], truncated))
        elif op == 0x0A and len(p) >= 3:
            self.pending_read[(device, direction)] = struct.unpack_from("<H", p, 1)[0]
        elif op == 0x0B:
            handle = self.pending_read.pop((device, other), None)
            if handle is not None:
                self.ops.append((t, direction, device, "read_rsp", handle, p[1:], truncated))
        elif op == 0x08 and len(p) in (7, 21):
            self.pending_type[(device, direction)] = (
                struct.unpack_from("<H", p, 5)[0] if len(p) == 7 else _uuid128(p[5:21]))
        elif op == 0x09 and len(p) >= 2:
            self._read_by_type(device, p, self.pending_type.pop((device, other), None))
        elif op == 0x05 and len(p) >= 2:
            self._find_information(device, p)

    def _read_by_type(self, device, p, asked):
        size = p[1]
        if asked is not None and asked != 0x2803:
            return
        if size not in (7, 21):          # characteristic declarations only
            return
        for i in range(2, len(p) - size + 1, size):
            value_handle = struct.unpack_from("<H", p, i + 3)[0]
            u = p[i + 5:i + size]
            self.uuids[(device, value_handle)] = (
                struct.unpack_from("<H", u, 0)[0] if size == 7 else _uuid128(u))

    def _find_information(self, device, p):
        size = 4 if p[1] == 1 else 18 if p[1] == 2 else 0
        if not size:
            return
        for i in range(2, len(p) - size + 1, size):
            handle = struct.unpack_from("<H", p, i)[0]
            u = p[i + 2:i + size]
            self.uuids[(device, handle)] = (
                struct.unpack_from("<H", u, 0)[0] if size == 4 else _uuid128(u))


# Authentication-characteristic messages: opcode -> length (research 3.1).
_AUTH_SHAPES = {0x01: 10, 0x03: 17, 0x04: 9, 0x05: 3, 0x06: 2, 0x07: 1, 0x08: 2, 0xFF: 3}


def infer_roles(samples):
    """Role of one handle from its traffic, samples = [(dir, att op, value)]:
    "auth" (opcodes 0x01-0x08/0xFF at their lengths, no CRC), "control"
    (CRC-valid messages, or the bare Disconnect 0x09), "backfill" (frames
    the transmitter notifies, numbered 1, 2, 3...), or None."""
    n = len(samples)
    auth_n = control_n = frame_n = 0
    prev = 0
    for direction, _op, v in samples:
        if _AUTH_SHAPES.get(v[0] if v else -1) == len(v):
            auth_n += 1
        if (len(v) >= 3 and crc.trailer_ok(v, len(v))) or v == b"\x09":
            control_n += 1
        if direction == "rx" and len(v) >= 3 and (v[0] == 1 or v[0] == (prev + 1) & 0xFF):
            frame_n += 1
            prev = v[0]
    best = max((control_n, 3, "control"), (auth_n, 2, "auth"), (frame_n, 1, "backfill"))
    return best[2] if n and best[0] * 2 > n else None


def att_messages(att):
    """Turn ATT value operations into session messages. Returns (messages,
    info): messages = [(t, dir, char, value, extras)] (char None: a connection
    event carried in extras), info = roles, sources, device info, unmapped."""
    roles = {}                 # (device, handle) -> role
    for key, u in att.uuids.items():
        if u in DEXCOM_CHARS:
            roles[key] = DEXCOM_CHARS[u]
    unmapped = {}
    for t, d, device, op, handle, v, truncated in att.ops:
        if handle is not None and (device, handle) not in att.uuids:
            samples = unmapped.setdefault((device, handle), [])
            if not truncated:           # a value the capture cut says nothing of its role
                samples.append((d, op, v))
    inferred = {}
    for key, samples in unmapped.items():
        role = infer_roles(samples)
        if role is not None:
            inferred[key] = role
    # Only on a connection that shows Dexcom traffic (a handle discovery named as
    # Dexcom's, or one whose values are authentication or CRC-valid control
    # messages): another device's notifications that count 1, 2, 3 (a watch, a
    # sensor) were taken for backfill frames.
    dexcom = set(k[0] for k in roles) | set(k[0] for k, r in inferred.items()
                                            if r in ("auth", "control"))
    inferred = dict((k, r) for k, r in inferred.items() if k[0] in dexcom)
    out, device_info, other = [], {}, {}
    for t, d, device, op, handle, v, truncated in att.ops:
        if handle is None:
            out.append((t, None, None, None, {"event": op, "device": device}))
            continue
        key = (device, handle)
        role = roles.get(key) or inferred.get(key)
        if role is None and truncated and key not in att.uuids:
            # Its role is unknown because the capture cut its values: say so, line by line.
            role = "unknown"
        if role is None:
            u = att.uuids.get(key)
            if u in DEVICE_INFO and op == "read_rsp":
                device_info[DEVICE_INFO[u]] = v.decode("ascii", "replace")
            else:
                name = "%s handle 0x%04x" % (device, handle)
                other[name] = other.get(name, 0) + 1
            continue
        extras = {"device": device, "handle": handle, "att": op}
        if key in inferred:
            extras["role_inferred"] = True
        if truncated:
            extras["truncated"] = True
        out.append((t, d, role, v, extras))
    info = {"roles": dict(("%s handle 0x%04x" % k, r) for k, r in sorted(roles.items())),
            "roles_inferred": dict(("%s handle 0x%04x" % k, r) for k, r in sorted(inferred.items())),
            "other_att_values": other}
    if device_info:
        info["device_info"] = device_info
    if inferred:
        info["roles_note"] = ("no GATT discovery for these handles in the capture (Android caches "
                              "it): their roles were inferred from the traffic")
    return out, info


# --- text captures ------------------------------------------------------------
_CHAR_ALIASES = {"control": "control", "auth": "auth", "authentication": "auth",
                 "backfill": "backfill"}


def read_text(text):
    """[(t, dir, char, bytes, extras)] from the text format; CaptureError with
    the line number for a line that is not `[t] (tx|rx) CHAR HEX`."""
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        t = None
        try:
            t = float(words[0])
            words = words[1:]
        except ValueError:
            pass
        if len(words) < 3:
            raise CaptureError("line %d: expected '[t] (tx|rx) (control|auth|backfill) HEX'" % no)
        d, ch = words[0].lower(), words[1].lower()
        if d not in ("tx", "rx"):
            raise CaptureError("line %d: direction %r is not tx or rx" % (no, words[0]))
        if ch not in _CHAR_ALIASES:
            raise CaptureError("line %d: characteristic %r is not control, auth or backfill"
                               % (no, words[1]))
        try:
            v = unhex("".join(words[2:]))
        except UsageError as e:
            raise CaptureError("line %d: %s" % (no, e))
        out.append((t, d, _CHAR_ALIASES[ch], v, {}))
    return out


def decode_records(records):
    """Run records (capture_formats) through HCI -> L2CAP -> ATT; returns
    (messages, info) as att_messages does, plus the connection and L2CAP
    findings and, when the file had no direction, how it was inferred."""
    att = Att()
    hci = Hci(att)
    infer = None
    for index, unix_s, d, h4, truncated in records:
        if d is None:
            infer = infer or DirectionInference()
            d = infer.direction(h4)
            if d is None:
                if h4[0] == H4_ACL:
                    hci.errors.append({"t": unix_s, "error": "packet %d: ACL data whose direction "
                                       "cannot be inferred, dropped" % index})
                continue
        if h4[0] == H4_ACL:
            hci.acl(unix_s, d, h4[1:], truncated)
        elif h4[0] == H4_EVENT and d == "rx":
            hci.event(unix_s, h4[1:])
    msgs, info = att_messages(att)
    info.update({"records": len(records),
                 "start_unix": round(records[0][1], 6) if records else 0.0,
                 "connections": hci.connections, "l2cap_errors": hci.errors})
    if infer is not None:
        info["direction_inferred"] = infer.counts
        info["direction_note"] = (
            "the file does not record which way packets went: inferred from the HCI packet "
            "type, the ATT opcode (the capturing phone as GATT client) and the ACL "
            "packet-boundary flag; 'unknown' packets were dropped")
    return msgs, info


def load(data):
    """(format, messages, info) from a capture's bytes; CaptureError if unreadable."""
    got = read_records(data)
    if got is not None:
        file_info, records = got
        msgs, info = decode_records(records)
        info.update(file_info)
        return file_info["format"], msgs, info
    if len(data) >= 8 and data[:7] == BTSNOOP_MAGIC[:7]:
        raise CaptureError("not a btsnoop file (magic %r)" % data[:8])
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):    # a byte-order mark (Windows editors), as trace files
            text = text[1:]
    except UnicodeDecodeError:
        raise CaptureError("not a btsnoop file (magic %r), nor pcap, pcapng, a bug report (zip, "
                           "or text with a BTSNOOP_LOG_SUMMARY) or the text format" % data[:8])
    return "text", read_text(text), {"format": "text"}


# --- the session through the codec --------------------------------------------
def _hex(v):
    return v.hex() if isinstance(v, (bytes, bytearray)) else v


class Session:
    """Feeds messages in capture order through the firmware codec and keeps
    what the summary reports. `transmitter_id` (normalised) enables the
    authentication checks; `wall_time` says whether t is Unix time."""

    def __init__(self, transmitter_id=None, wall_time=False, t0=0.0):
        self.tid = transmitter_id
        self.t0 = t0
        self.key = auth.key_for(transmitter_id) if transmitter_id else None
        self.wall_time = wall_time
        self.count = 0
        self.opcodes = {}
        self.crc_failures = []
        self.decode_errors = []
        self.readings = []
        self.backfills = []
        self.exchanges = []
        # The state of one connection (text captures: one, None), the current one's
        # in these three; _use() switches. Shared, another device's frames joined a
        # transmitter's backfill stream and its connection reset the activation.
        self.exchange = None      # the authentication exchange under way
        self.activation = None    # Unix time of dex time 0 (from a 0x25 with wall time)
        self.stream = None        # backfill stream under way: {"request", "frames", "reply", "t"}
        self.device = None        # whose state the three above are
        self.others = {}          # device -> (stream, exchange, activation) of the others

    def _use(self, device):
        if device == self.device:
            return
        self.others[self.device] = (self.stream, self.exchange, self.activation)
        self.device = device
        self.stream, self.exchange, self.activation = self.others.pop(device, (None, None, None))

    # One message -> one output dict.
    def message(self, t, d, char, v, extras):
        self.count += 1
        self._use(extras.get("device"))
        line = {"t": round(t - self.t0, 6) if self.wall_time else t}
        if self.wall_time:
            line["capture_unix_s"] = round(t, 3)
        line.update({"dir": d, "char": char, "hex": v.hex()})
        line.update(extras)
        if extras.get("truncated"):
            line["error"] = "the capture cut this packet (use the full, unfiltered snoop log)"
            self.decode_errors.append(self._brief(line))
            return line
        if char == "backfill":
            self._frame(line, v)
        elif char in ("control", "auth"):
            self._codec(line, d, char, v)
        else:
            line["name"] = None
            line["note"] = "the codec has no parser for the %s characteristic" % char
        return line

    def _brief(self, line):
        return dict((k, line[k]) for k in ("t", "dir", "char", "hex", "error") if k in line)

    def _count(self, v, name):
        key = "0x%02x %s" % (v[0], name) if v else "empty"
        self.opcodes[key] = self.opcodes.get(key, 0) + 1

    def _codec(self, line, d, char, v):
        if v:
            line["opcode"] = v[0]
        # CRC validity from the wire, whatever the codec makes of the rest.
        has_crc = char == "control" and v != b"\x09"
        line["crc_valid"] = crc.trailer_ok(v, len(v)) if has_crc else None
        try:
            fields = decode_msg(v)
        except DexcomError as e:
            line["name"] = None
            line["error"] = str(e)
            self._count(v, "(refused)")
            if line["crc_valid"] is False:
                self.crc_failures.append(self._brief(line))
            self.decode_errors.append(self._brief(line))
            return
        name = fields.pop("message")
        seen_dir = fields.pop("direction")
        line["name"] = name
        for k, x in fields.items():
            if k not in line or k == "crc_valid":
                line[k] = _hex(x)
        self._count(v, name)
        if seen_dir != d:
            line["warning"] = "%s is a message the %s sends, captured as %s" % (
                name, "reader" if seen_dir == "tx" else "transmitter", d)
        is_auth_op = v[0] in _AUTH_SHAPES or v[0] == 0x02
        if (char == "auth") != is_auth_op and v[0] != 0x09:
            line["warning"] = "%s on the %s characteristic" % (name, char)
        self._auth(line, v[0], d, fields)
        if v[0] == 0x25 and d == "rx" and self.wall_time:
            self.activation = glucose.activation_unix(fields, int(line["capture_unix_s"]))
        elif v[0] in (0x31, 0x4F) and d == "rx":
            r = glucose.glucose_reading(v, self.activation)
            ev = reading.as_event(r)
            ev["t"] = line["t"]
            line["reading"] = ev
            self.readings.append(ev)
        elif v[0] == 0x50 and d == "tx":
            self._end_stream("a new backfill request")
            self.stream = {"t": line["t"], "request": (fields["start_time"], fields["end_time"]),
                           "frames": [], "reply": None}
        elif v[0] == 0x51 and d == "rx":
            s = self._stream(line["t"])
            if s["reply"] is not None:
                self._end_stream("a second 0x51")
                s = self._stream(line["t"])
            s["reply"] = bytes(v)
            self._maybe_complete(line)
        elif v[0] == 0x09 and d == "tx":
            self._end_stream("the reader disconnected")

    # Authentication: token (0x01) -> H(token) + challenge (0x03) -> H(challenge) (0x04) -> 0x05.
    def _auth(self, line, op, d, f):
        if op == 0x01 and d == "tx":
            self._end_exchange()
            self.exchange = {"t": line["t"], "token": f["token"], "slot": f["slot"]}
        elif op == 0x03 and d == "rx":
            x = self._exchange(line["t"])
            x["challenge"] = f["challenge"]
            line["auth_check"] = x["transmitter_hash"] = self._check(
                x.get("token"), f["token_hash"], "the transmitter's hash of the reader's token")
        elif op == 0x04 and d == "tx":
            x = self._exchange(line["t"])
            line["auth_check"] = x["reader_hash"] = self._check(
                x.get("challenge"), f["challenge_hash"], "the reader's hash of the challenge")
        elif op == 0x05 and d == "rx":
            x = self._exchange(line["t"])
            x["authenticated"] = f["authenticated"]
            x["bonded"] = f["bonded"]
            self._end_exchange()

    def _exchange(self, t):
        if self.exchange is None:
            self.exchange = {"t": t}
        return self.exchange

    def _end_exchange(self):
        if self.exchange is not None:
            for k in ("transmitter_hash", "reader_hash"):
                self.exchange.setdefault(k, "not in the capture")
            if self.device is not None:
                self.exchange["device"] = self.device
            self.exchanges.append(self.exchange)
            self.exchange = None

    def _check(self, data_hex, got, what):
        """The hash `got` (hex) against H(data) for the given ID."""
        if self.key is None:
            return "unchecked (no --id)"
        if data_hex is None:
            return "unchecked (its input is not in the capture)"
        want = auth.hash8(self.tid, bytes.fromhex(data_hex), self.key)
        if want.hex() == got:
            return "ok"
        return "mismatch: %s is %s, ID %s gives %s (wrong ID or not this transmitter)" % (
            what, got, self.tid, want.hex())

    # Backfill: frames on the backfill characteristic + the 0x51 reply, in either order.
    def _stream(self, t):
        if self.stream is None:
            self.stream = {"t": t, "request": None, "frames": [], "reply": None}
        return self.stream

    def _frame(self, line, v):
        line["name"] = "BackfillFrame"
        line["crc_valid"] = None
        if len(v) >= 2:
            line["frame"] = v[0]
            line["stream_byte"] = v[1]
            line["payload"] = v[2:].hex()
        self.opcodes["backfill frames"] = self.opcodes.get("backfill frames", 0) + 1
        s = self.stream
        if s is not None and s["reply"] is not None and v and v[0] == 1 and s["frames"]:
            self._end_stream("a new stream started")     # frame 1 again: a new stream
        self._stream(line["t"])["frames"].append(bytes(v))
        self._maybe_complete(line)

    def _maybe_complete(self, line):
        s = self.stream
        if s["reply"] is None:
            return
        try:
            announced = messages.parse_backfill_rx(s["reply"])["buffer_length"]
        except DexcomError:
            announced = 0
        if sum(len(f) for f in s["frames"]) >= announced:
            line["backfill"] = self._end_stream(None)

    def _end_stream(self, why):
        """Assemble and validate the stream under way with dexcom.backfill;
        `why` says what ended it early (None: complete)."""
        s, self.stream = self.stream, None
        if s is None:
            return None
        result = {"t": s["t"], "frames": len(s["frames"])}
        if self.device is not None:
            result["device"] = self.device
        try:
            if s["request"] is not None:
                start, end = s["request"]
            elif s["reply"] is not None:
                r = messages.parse_backfill_rx(s["reply"])
                start, end = r["start_time"], r["end_time"]
                result["window"] = "no 0x50 request in the capture: the 0x51 span stands in"
            else:
                raise DexcomError("no 0x50 request and no 0x51 reply for these frames")
            bf = Backfill(start, end)
            for f in s["frames"]:
                bf.add_frame(f)
            if s["reply"] is not None:
                bf.add_reply(s["reply"])
            rs = bf.readings(self.activation)
            result["valid"] = True
            result["records"] = []
            for r, raw in zip(rs, bf.records()):
                ev = reading.as_event(r)
                ev["glucose_mgdl"] = raw[1]
                ev["display_only"] = raw[2]
                result["records"].append(ev)
        except DexcomError as e:
            result["valid"] = False
            result["reason"] = str(e) if why is None else "%s (ended by %s)" % (e, why)
        self.backfills.append(result)
        return result

    def connection(self, t, extras):
        self._use(extras["device"])
        if extras["event"] == "disconnected":
            self._end_stream("the disconnection")
            self._end_exchange()
        if extras["event"] == "connected":
            self.activation = None

    def summary(self, info):
        for device in [self.device] + list(self.others):
            self._use(device)
            self._end_stream("the end of the capture")
            self._end_exchange()
        checks = [x[k] for x in self.exchanges for k in ("transmitter_hash", "reader_hash")]
        if not self.exchanges:
            result = "no authentication exchange in the capture"
        elif any(c.startswith("mismatch") for c in checks):
            result = "mismatch"
        elif self.key is None:
            result = "unchecked (no --id)"
        elif all(c == "ok" for c in checks):
            result = "ok"
        else:
            result = "partial (some hashes or their inputs are not in the capture)"
        s = {"messages": self.count, "opcodes": self.opcodes,
             "crc_failures": len(self.crc_failures), "crc_failure_list": self.crc_failures,
             "decode_errors": self.decode_errors,
             "auth": {"result": result, "transmitter_id": self.tid, "exchanges": self.exchanges},
             "readings": self.readings,
             "backfill_records": sum(len(b.get("records", ())) for b in self.backfills),
             "backfill": self.backfills}
        s.update(info)
        return s


def run(data, transmitter_id=None, out=None):
    """Decode a capture's bytes; write JSON lines to `out` (a list or a file);
    return the summary dict. Raises CaptureError for an unreadable file."""
    fmt, msgs, info = load(data)
    # captures: t = seconds since the first record, capture_unix_s = its wall time.
    session = Session(transmitter_id, fmt != "text", info.get("start_unix", 0.0))
    for t, d, char, v, extras in msgs:
        if char is None:
            session.connection(t, extras)
        else:
            _emit(out, session.message(t, d, char, v, extras))
    s = session.summary(info)
    _emit(out, {"summary": s})
    return s


def _emit(out, obj):
    if isinstance(out, list):
        out.append(obj)
    elif out is not None:
        out.write(json.dumps(obj) + "\n")


def main(argv):
    tid, path = None, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--id" and args:
            tid = args.pop(0)
        elif a.startswith("--id="):
            tid = a[5:]
        elif path is None and not a.startswith("-"):
            path = a
        else:
            print(USAGE, file=sys.stderr)
            return 2
    if not path:  # `make capture` without FILE= passes ""
        print(USAGE, file=sys.stderr)
        return 2
    if tid:
        try:
            tid = auth.normalise_id(tid)
        except DexcomError as e:
            print(json.dumps({"error": "--id: %s" % e}))
            return 2
    try:
        with open(path, "rb") as f:
            data = f.read()
        s = run(data, tid or None, sys.stdout)
    except (OSError, CaptureError) as e:
        print(json.dumps({"error": "%s: %s" % (path, e)}))
        return 1
    for w in s.get("warnings", ()):     # also in the summary; said where a person looks
        print("capture: warning: %s: %s" % (path, w), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
