"""tools/capture.py against btsnoop files written here, byte by byte, from the
published format (btsnoop v1, HCI H4, ACL, L2CAP, ATT), carrying the messages
of ../shared/vectors/dexcom.json. The writer below is independent of the
tool: it shares no code with it."""
import datetime
import json
import os
import struct
import subprocess
import sys

from conftest import ROOT, SHARED

import capture

VECTORS = json.load(open(os.path.join(SHARED, "vectors", "dexcom.json")))
TOOL = os.path.join(ROOT, "tools", "capture.py")


def vector(message_type_prefix, hex_prefix=""):
    for v in VECTORS:
        if v["message_type"].startswith(message_type_prefix) and v["hex"].startswith(hex_prefix):
            return v
    raise KeyError(message_type_prefix)


AUTH = vector("AuthHash")                   # ID 123456: H(0123456789abcdef) = e60d4a...
TX_ID = AUTH["expected"]["transmitter_id"]
TIME = vector("TransmitterTimeRx", "2500470272")
GLUCOSE = [v for v in VECTORS if v["message_type"] == "GlucoseRx (0x31)"]
BACKFILL_TX = vector("GlucoseBackfillTx", "50050200b7ff")
BACKFILL_RX = vector("GlucoseBackfillRx", "51000100b7ff")

# --- an independent btsnoop writer -----------------------------------------
# Timestamps: microseconds since "0 AD". Every real writer and reader (Android's
# kBtSnoopEpochDelta, Wireshark's KUnixTimeBase) puts 1970-01-01 at
# 0x00dcddb30f2f8000 us: 719540 days, 12 more than a proleptic Gregorian year 0
# (this writer used that, 12 days off real files, until the pcap/btsnooz
# tests compared wall times across formats).
EPOCH_US = 719540 * 86400 * 10 ** 6
assert EPOCH_US == (datetime.date(1970, 1, 1).toordinal() - 1 + 366 + 12) * 86400 * 10 ** 6
START_UNIX = 1700000000
CONN = 0x0040
PEER = bytes.fromhex("a5b4c3d2e1f0")       # F0:E1:D2:C3:B4:A5, little-endian on the wire
PB_START_HOST, PB_CONT, PB_START_CTRL = 0b00, 0b01, 0b10
ATT_UUIDS = {"control": "F8083534", "auth": "F8083535", "backfill": "F8083536"}
HANDLES = {"auth": 0x0019, "control": 0x0013, "backfill": 0x001C}


def uuid128_le(prefix):
    """The Dexcom UUID <prefix>-849E-531C-C594-30F1F86A4EA5 as the wire has it."""
    text = prefix + "849E531CC59430F1F86A4EA5"
    return bytes.fromhex(text)[::-1]


def h4_acl(handle, pb, data):
    return b"\x02" + struct.pack("<HH", handle | (pb << 12), len(data)) + data


def h4_event(code, body):
    return b"\x04" + bytes((code, len(body))) + body


def l2cap(payload, cid=4):
    return struct.pack("<HH", len(payload), cid) + payload


class Capture:
    """Records (t_s, received, packet bytes) and writes them as btsnoop."""

    def __init__(self, conn=CONN, peer=PEER):
        self.records = []
        self.t = 0.0
        self.conn, self.peer = conn, peer      # the connection the next packets are on

    def add(self, received, pkt, dt=0.05):
        self.t += dt
        self.records.append((self.t, received, pkt))

    def att(self, received, pdu, split=None):
        """One ATT PDU on the LE link; split=n: two ACL fragments, the first n
        bytes of the L2CAP PDU then the rest."""
        data = l2cap(pdu)
        first = PB_START_CTRL if received else PB_START_HOST
        if split is None:
            self.add(received, h4_acl(self.conn, first, data))
        else:
            self.add(received, h4_acl(self.conn, first, data[:split]))
            self.add(received, h4_acl(self.conn, PB_CONT, data[split:]))

    def connect(self):
        body = bytes((0x01, 0x00)) + struct.pack("<H", self.conn) + bytes((0x00, 0x00)) + \
            self.peer + struct.pack("<HHHB", 24, 0, 400, 0)
        self.add(True, h4_event(0x3E, body))

    def disconnect(self):
        self.add(True, h4_event(0x05, b"\x00" + struct.pack("<H", self.conn) + b"\x13"))

    def discovery(self):
        """Read By Type (characteristic declarations) for control and auth, and
        Find Information for the backfill value handle."""
        self.att(False, b"\x08" + struct.pack("<HHH", 0x0010, 0xFFFF, 0x2803))
        entries = b"".join(struct.pack("<HBH", HANDLES[c] - 1, 0x28, HANDLES[c]) +
                           uuid128_le(ATT_UUIDS[c]) for c in ("control", "auth"))
        self.att(True, b"\x09" + bytes((21,)) + entries, split=16)
        self.att(False, b"\x04" + struct.pack("<HH", 0x001C, 0x001C))
        self.att(True, b"\x05\x02" + struct.pack("<H", 0x001C) + uuid128_le(ATT_UUIDS["backfill"]))

    def write(self, char, hexstr, command=False):
        self.att(False, (b"\x52" if command else b"\x12") + struct.pack("<H", HANDLES[char]) +
                 bytes.fromhex(hexstr))
        if not command:
            self.att(True, b"\x13")                 # Write Response

    def indicate(self, char, hexstr, split=None):
        self.att(True, b"\x1D" + struct.pack("<H", HANDLES[char]) + bytes.fromhex(hexstr), split)
        self.att(False, b"\x1E")                    # Handle Value Confirmation

    def notify(self, char, hexstr, split=None):
        self.att(True, b"\x1B" + struct.pack("<H", HANDLES[char]) + bytes.fromhex(hexstr), split)

    def btsnoop(self, datalink=1002, cut=None):
        """cut = (record index, n): that record keeps only n bytes (included
        length < original length, as a snap length or a filtered log does)."""
        out = bytearray(b"btsnoop\x00" + struct.pack(">II", 1, datalink))
        for i, (t, received, pkt) in enumerate(self.records):
            if datalink == 1001:        # no H4 type byte; flags bit 1 = command/event
                flags = (1 if received else 0) | (2 if pkt[0] == 0x04 else 0)
                pkt = pkt[1:]
            else:
                flags = 1 if received else 0
            ts = EPOCH_US + int(round((START_UNIX + t) * 10 ** 6))
            orig = len(pkt)
            if cut is not None and cut[0] == i:
                pkt = pkt[:cut[1]]
            out += struct.pack(">IIIIq", orig, len(pkt), flags, 0, ts) + pkt
        return bytes(out)


def session(discovery=True, corrupt_glucose=None, frames_first=True, after_frame=None,
            conn=CONN, peer=PEER):
    """A whole G6 session: auth (vector IDs), time, every GlucoseRx vector,
    a backfill (request, fragmented frames, 0x51), disconnect. after_frame(c, i):
    called after backfill frame i is written (to add other packets there)."""
    c = Capture(conn, peer)
    c.connect()
    if discovery:
        c.discovery()
    token = AUTH["hex"]
    token_hash = AUTH["expected"]["hash_out"]
    c.write("auth", "01" + token + "02")
    c.indicate("auth", "03" + token_hash + token)        # challenge = the same 8 bytes
    c.write("auth", "04" + token_hash)
    c.indicate("auth", "050101")
    c.write("control", "24e664")
    c.indicate("control", TIME["hex"])
    for i, v in enumerate(GLUCOSE):
        h = v["hex"]
        if i == corrupt_glucose:
            h = h[:20] + "%02x" % (int(h[20:22], 16) ^ 0x04) + h[22:]   # one bit of the glucose
        c.write("control", "305336")
        c.indicate("control", h, split=9 if i == 0 else None)
    c.write("control", BACKFILL_TX["hex"])
    frames = BACKFILL_RX["frames"]
    if not frames_first:
        c.indicate("control", BACKFILL_RX["hex"])
    for i, f in enumerate(frames):
        # Fragment the first frame over two ACL packets, with a packet of the
        # other direction in between (reassembly is per direction).
        if i == 0:
            data = l2cap(b"\x1B" + struct.pack("<H", HANDLES["backfill"]) + bytes.fromhex(f))
            c.add(True, h4_acl(conn, PB_START_CTRL, data[:11]))
            c.add(False, h4_acl(conn, PB_START_HOST, l2cap(b"\x1E")))
            c.add(True, h4_acl(conn, PB_CONT, data[11:]))
        else:
            c.notify("backfill", f)
        if after_frame is not None:
            after_frame(c, i)
    if frames_first:
        c.indicate("control", BACKFILL_RX["hex"])
    c.write("control", "09", command=True)
    c.disconnect()
    return c


def decode(data, tid=TX_ID):
    lines = []
    summary = capture.run(data, tid, lines)
    assert lines[-1] == {"summary": summary}
    return lines[:-1], summary


def expect_readings(summary, skip=()):
    got = [(r["dex_s"], r["sgv"], r["trend"], r["state"]) for r in summary["readings"]]
    want = [(v["expected"]["timestamp_dex_s"], v["expected"]["glucose_mgdl"],
             v["expected"]["trend"], v["expected"]["state"])
            for i, v in enumerate(GLUCOSE) if i not in skip]
    assert got == want


def test_full_session_with_discovery_and_fragments():
    c = session()
    lines, s = decode(c.btsnoop())
    assert s["format"] == "btsnoop" and s["datalink"] == 1002 and s["connections"] == 1
    assert s["l2cap_errors"] == []
    assert not s["roles_inferred"] and "roles_note" not in s
    assert sorted(s["roles"].values()) == ["auth", "backfill", "control"]
    assert "F0:E1:D2:C3:B4:A5 handle 0x0013" in s["roles"]
    # Every Dexcom message, both directions, in order, none refused.
    assert s["messages"] == len(lines) == 4 + 2 + 2 * len(GLUCOSE) + 1 + 3 + 1 + 1
    assert s["decode_errors"] == [] and s["crc_failures"] == 0
    assert [x["dir"] for x in lines[:4]] == ["tx", "rx", "tx", "rx"]
    assert [x["name"] for x in lines[:4]] == ["AuthRequestTx", "AuthChallengeRx",
                                              "AuthChallengeTx", "AuthStatusRx"]
    assert s["opcodes"]["0x31 GlucoseRx"] == len(GLUCOSE) and s["opcodes"]["backfill frames"] == 3
    expect_readings(s)
    # Wall time: activation = capture time of the 0x25 - its dex time.
    t_time = next(x for x in lines if x.get("opcode") == 0x25)["capture_unix_s"]
    activation = int(t_time) - TIME["expected"]["current_time_dex_s"]
    assert s["readings"][0]["unix_s"] == activation + GLUCOSE[0]["expected"]["timestamp_dex_s"]
    # Auth checked both ways.
    assert s["auth"]["result"] == "ok"
    (x,) = s["auth"]["exchanges"]
    assert x["transmitter_hash"] == "ok" and x["reader_hash"] == "ok" and x["bonded"] == 1
    # Backfill assembled against its 0x51: the vector's records.
    (bf,) = s["backfill"]
    assert bf["valid"], bf
    want = [(r["timestamp_dex_s"], r["glucose_mgdl"], r["trend"], r["state"])
            for r in BACKFILL_RX["expected"]["records"]]
    assert [(r["dex_s"], r["sgv"], r["trend"], r["state"]) for r in bf["records"]] == want
    assert s["backfill_records"] == len(want)
    assert lines[-1]["name"] == "DisconnectTx" and lines[-1]["att"] == "write_cmd"


def test_corrupted_byte_is_a_crc_failure_and_no_reading():
    lines, s = decode(session(corrupt_glucose=2).btsnoop())
    assert s["crc_failures"] == 1
    (bad,) = s["decode_errors"]
    assert "CRC" in bad["error"] and bad["hex"][:2] == "31"
    assert [x for x in lines if x.get("error")][0]["crc_valid"] is False
    expect_readings(s, skip=(2,))


def test_wrong_transmitter_id_is_an_auth_mismatch():
    _lines, s = decode(session().btsnoop(), tid="8ABCDE")
    assert s["auth"]["result"] == "mismatch"
    (x,) = s["auth"]["exchanges"]
    assert x["transmitter_hash"].startswith("mismatch") and x["reader_hash"].startswith("mismatch")
    _lines, s = decode(session().btsnoop(), tid=None)
    assert s["auth"]["result"] == "unchecked (no --id)"


def test_without_discovery_roles_are_inferred_and_said():
    lines, s = decode(session(discovery=False).btsnoop())
    assert s["roles"] == {}
    assert sorted(s["roles_inferred"].values()) == ["auth", "backfill", "control"]
    assert "inferred" in s["roles_note"]
    assert all(x.get("role_inferred") for x in lines)
    expect_readings(s)
    assert s["backfill"][0]["valid"] and s["auth"]["result"] == "ok"


def test_packet_cut_by_the_capture_is_reported_not_decoded():
    c = session()
    # The record carrying the third GlucoseRx indication, cut inside the value.
    target = bytes.fromhex(GLUCOSE[2]["hex"])
    i = next(i for i, (_t, _rx, pkt) in enumerate(c.records) if pkt.endswith(target))
    lines, s = decode(c.btsnoop(cut=(i, len(c.records[i][2]) - 5)))
    (bad,) = [x for x in lines if x.get("error")]
    assert bad["truncated"] and "cut" in bad["error"] and bad["hex"] == target[:-5].hex()
    assert s["decode_errors"][0]["error"] == bad["error"]
    expect_readings(s, skip=(2,))


def test_datalink_1001_and_reply_before_frames():
    _lines, s = decode(session(frames_first=False).btsnoop(datalink=1001))
    assert s["datalink"] == 1001
    expect_readings(s)
    assert s["backfill"][0]["valid"], s["backfill"]


def test_text_format_and_every_backfill_vector():
    rows = ["# vectors as a text capture"]
    for v in GLUCOSE:
        rows += ["tx control 305336", "rx control " + v["hex"]]
    valid = []
    for v in VECTORS:
        if v["message_type"].startswith("GlucoseBackfillRx") and v.get("frames"):
            rows += ["rx backfill " + f for f in v["frames"]] + ["rx control " + v["hex"]]
            valid.append("NOT glucose" not in v["message_type"])
    text = "\n".join("%d %s" % (i, r) if not r.startswith("#") else r
                     for i, r in enumerate(rows)) + "\n"
    lines, s = decode(text.encode())
    assert s["format"] == "text"
    expect_readings(s)
    assert [b["valid"] for b in s["backfill"]] == valid
    assert all("not glucose" in b["reason"] for b in s["backfill"] if not b["valid"])
    assert all(b["window"].startswith("no 0x50") for b in s["backfill"])


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL] + list(args), capture_output=True, text=True,
                          timeout=60)


def test_unreadable_files_exit_1_with_the_reason(tmp_path):
    good = session().btsnoop()
    cases = {
        "header.log": (good[:30], "truncated record 1"),     # not one whole record
        "datalink.log": (good[:12] + struct.pack(">I", 1003) + good[16:],
                         "unsupported btsnoop datalink 1003"),
        "notsnoop.bin": (b"\x00\xff\xfe" * 10, "not a btsnoop file"),
        "badline.txt": (b"0 tx control 305336\n1 sideways control 31\n", "line 2"),
    }
    for name, (data, why) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        r = run_tool(str(p))
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        assert why in json.loads(r.stdout)["error"], (name, r.stdout)
    p = tmp_path / "ok.log"
    p.write_bytes(session(corrupt_glucose=0).btsnoop())
    r = run_tool("--id", TX_ID, str(p))
    assert r.returncode == 0, r.stderr               # refused messages are data, not failure
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert out[-1]["summary"]["crc_failures"] == 1
    assert run_tool("--id", "12", str(p)).returncode == 2


# --- scapy (its own Bluetooth HCI/L2CAP/ATT layers) as a second oracle --------
def test_scapy_reads_our_packets_as_the_tool_does():
    from scapy.layers.bluetooth import (HCI_Hdr, HCI_ACL_Hdr, L2CAP_Hdr, ATT_Hdr,
                                        ATT_Read_By_Type_Response)
    c = session()
    seen, declared, pending = [], {}, {}
    for _t, received, pkt in c.records:
        p = HCI_Hdr(pkt)
        if HCI_ACL_Hdr not in p:
            continue
        acl = p[HCI_ACL_Hdr]
        data = bytes(acl.payload)
        # scapy dissects one packet: join a PDU's fragments (PB 01 = continuation).
        data = pending.pop(received, b"") + data if acl.PB == 1 else data
        if len(data) < 4 or len(data) < 4 + struct.unpack_from("<H", data)[0]:
            pending[received] = data
            continue
        att = L2CAP_Hdr(data)[ATT_Hdr]
        if ATT_Read_By_Type_Response in att:
            for h in att[ATT_Read_By_Type_Response].handles:
                v = bytes(h.value)        # properties, value handle, UUID
                declared[struct.unpack_from("<H", v, 1)[0]] = v[3:][::-1].hex().upper()
        elif att.opcode in (0x12, 0x52, 0x1B, 0x1D):
            op = att.payload                  # scapy names a write's value "data"
            value = op.data if att.opcode in (0x12, 0x52) else op.value
            seen.append(("rx" if received else "tx", op.gatt_handle, bytes(value).hex()))
    assert declared == {HANDLES["control"]: "F8083534849E531CC59430F1F86A4EA5",
                        HANDLES["auth"]: "F8083535849E531CC59430F1F86A4EA5"}
    lines, _s = decode(c.btsnoop())
    assert seen == [(x["dir"], x["handle"], x["hex"]) for x in lines]


def test_packets_built_by_scapy_decode_to_the_vectors():
    from scapy.layers.bluetooth import (HCI_Hdr, HCI_ACL_Hdr, L2CAP_Hdr, ATT_Hdr,
                                        ATT_Handle_Value_Indication, ATT_Write_Request)
    c = Capture()
    for v in GLUCOSE:
        w = (HCI_Hdr() / HCI_ACL_Hdr(handle=CONN, PB=0) / L2CAP_Hdr(cid=4) / ATT_Hdr() /
             ATT_Write_Request(gatt_handle=0x0013, data=bytes.fromhex("305336")))
        c.add(False, bytes(w))
        i = (HCI_Hdr() / HCI_ACL_Hdr(handle=CONN, PB=2) / L2CAP_Hdr(cid=4) / ATT_Hdr() /
             ATT_Handle_Value_Indication(gatt_handle=0x0013, value=bytes.fromhex(v["hex"])))
        c.add(True, bytes(i))
    lines, s = decode(c.btsnoop())
    assert s["roles_inferred"] == {"conn 0x040 handle 0x0013": "control"}
    assert [x["name"] for x in lines] == ["GlucoseTx", "GlucoseRx"] * len(GLUCOSE)
    expect_readings(s)


# --- review: cases the writer above did not cover -----------------------------------
def test_auth_checks_hash_the_token_and_the_challenge_each_its_own():
    """A challenge that differs from the token: each hash must be checked
    against its own input (token -> 0x03 tokenHash, challenge -> 0x04)."""
    from dexcom import auth
    token, challenge = bytes.fromhex(AUTH["hex"]), bytes(range(0x10, 0x18))
    assert token != challenge

    def exchange(reader_answers):
        c = Capture()
        c.connect()
        c.discovery()
        c.write("auth", "01" + token.hex() + "02")
        c.indicate("auth", "03" + auth.hash8(TX_ID, token).hex() + challenge.hex())
        c.write("auth", "04" + auth.hash8(TX_ID, reader_answers).hex())
        c.indicate("auth", "050101")
        _lines, s = decode(c.btsnoop())
        (x,) = s["auth"]["exchanges"]
        return s["auth"]["result"], x["transmitter_hash"], x["reader_hash"]
    assert exchange(challenge) == ("ok", "ok", "ok")
    # the reader answering H(token) instead of H(challenge) is caught, and only that one
    result, tx_hash, reader_hash = exchange(token)
    assert result == "mismatch" and tx_hash == "ok" and reader_hash.startswith("mismatch")


def test_att_cut_to_its_l2cap_header_is_an_error_not_silence():
    """Android's filtered snoop log (RFCOMM/L2CAP filter) keeps only the ACL
    and L2CAP headers of a channel it does not accept-list: the ATT opcode and
    handle are gone. Each such packet must be reported, not vanish."""
    c = session()
    target = bytes.fromhex(GLUCOSE[2]["hex"])
    i = next(i for i, (_t, _rx, pkt) in enumerate(c.records) if pkt.endswith(target))
    lines, s = decode(c.btsnoop(cut=(i, 1 + 4 + 4)))     # H4 type + ACL + L2CAP headers
    expect_readings(s, skip=(2,))
    assert any("truncated" in e["error"] for e in s["l2cap_errors"]), s["l2cap_errors"]


def test_a_truncated_record_is_named_by_its_place_in_the_file():
    c = Capture()
    for _ in range(3):                                   # HCI commands: not kept by the tool
        c.add(False, b"\x01\x03\x0c\x00")
    c.connect()
    data = c.btsnoop()
    _datalink, records, cut = capture.read_btsnoop(data[:-3])
    assert "record 4 " in cut and len(records) == 3, cut


def test_a_btsnoop_log_cut_in_its_last_record_is_read_up_to_it_with_a_warning(tmp_path):
    # Android writes btsnoop_hci.log as it goes: a copy taken while Bluetooth is
    # on ends inside a record. The whole file was refused ("truncated record").
    c = session()
    full = c.btsnoop()
    want_lines, want = decode(full)
    # cut inside the last record (the disconnection event), and inside its header
    for cut_at, what in ((len(full) - 3, "packet bytes"), (len(full) - len(c.records[-1][2]) - 10,
                                                            "of 24 bytes")):
        p = tmp_path / "live.log"
        p.write_bytes(full[:cut_at])
        r = run_tool("--id", TX_ID, str(p))
        assert r.returncode == 0, (r.stdout[-300:], r.stderr)
        out = [json.loads(x) for x in r.stdout.splitlines()]
        s = out[-1]["summary"]
        assert out[:-1] == want_lines and s["readings"] == want["readings"] and s["backfill"][0]["valid"]
        (warning,) = s["warnings"]
        assert "record %d at byte" % len(c.records) in warning and what in warning, warning
        assert "left out" in warning and "%d whole records" % (len(c.records) - 1) in warning
        assert r.stderr == "capture: warning: %s: %s\n" % (p, warning), r.stderr
    assert "warnings" not in want                    # a whole file warns of nothing


def test_a_pcap_or_pcapng_cut_in_its_last_record_is_read_up_to_it_with_a_warning(tmp_path):
    # Wireshark (or tcpdump) still writing when the file was copied: both were refused whole
    c = session()
    frames = scapy_frames(c)
    want_lines, want = decode(c.btsnoop())
    last = len(c.records)
    for name, data, how in (
            ("live.pcap", write_pcap(tmp_path / "w.pcap", frames)[:-3], "packet bytes"),
            ("live.pcapng", write_pcapng(tmp_path / "w.pcapng", frames)[:-10], "of"),
            ("head.pcapng", write_pcapng(tmp_path / "w.pcapng", frames) + b"\x06\x00", "header bytes")):
        p = tmp_path / name
        p.write_bytes(data)
        r = run_tool("--id", TX_ID, str(p))
        assert r.returncode == 0, (name, r.stdout[-300:], r.stderr)
        out = [json.loads(x) for x in r.stdout.splitlines()]
        s = out[-1]["summary"]
        (warning,) = s["warnings"]
        assert "is cut" in warning and how in warning and "left out" in warning, (name, warning)
        assert r.stderr == "capture: warning: %s: %s\n" % (p, warning), r.stderr
        if name == "head.pcapng":      # two stray bytes after a whole file: every record read
            assert out[:-1] == want_lines and s["readings"] == want["readings"]
        else:                          # the last packet (the disconnection event) left out
            assert "record %d " % last in warning or "block" in warning, warning
            assert out[:-1] == want_lines and s["readings"] == want["readings"], name
            assert s["backfill"][0]["valid"]


def test_a_text_capture_with_a_byte_order_mark_reads_as_without(tmp_path):
    # Windows editors save UTF-8 with a BOM: the first line's time became
    # "\ufeff0.0", and the file was refused as "direction '\ufeff0.0' is not tx or rx"
    text = "0.0 tx control 305336\n0.5 rx control %s\n" % GLUCOSE[0]["hex"]
    want = decode(text.encode())
    assert decode(b"\xef\xbb\xbf" + text.encode()) == want
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode())
    r = run_tool(str(p))
    assert r.returncode == 0 and len(json.loads(r.stdout.splitlines()[-1])["summary"]["readings"]) == 1


OTHER_CONN, OTHER_PEER = 0x0041, bytes.fromhex("665544332211")   # 11:22:33:44:55:66


def test_another_device_s_counting_notifications_are_not_backfill_frames():
    # Without discovery, roles are inferred from traffic: a watch or a sensor on
    # another connection notifying values that start 01, 02, 03 (a counter) was
    # taken for backfill frames, which joined the transmitter's stream (one
    # stream for every device): its valid backfill was refused.
    def other_device(c, i):
        c.conn, c.peer = OTHER_CONN, OTHER_PEER
        if i == 0:
            c.connect()
        for k in range(2):
            c.att(True, b"\x1B" + struct.pack("<H", 0x0025) + bytes((2 * i + k + 1, 0)) + bytes(10))
        c.conn, c.peer = CONN, PEER

    lines, s = decode(session(discovery=False, after_frame=other_device).btsnoop())
    assert s["connections"] == 2
    (bf,) = s["backfill"]
    assert bf["valid"] and bf["frames"] == 3 and bf["device"] == "F0:E1:D2:C3:B4:A5", bf
    assert s["other_att_values"] == {"11:22:33:44:55:66 handle 0x0025": 6}, s["other_att_values"]
    assert not any(k.startswith("11:22") for k in s["roles_inferred"]), s["roles_inferred"]
    assert all(x["device"] == "F0:E1:D2:C3:B4:A5" for x in lines)
    expect_readings(s)


def test_two_transmitters_at_once_each_keep_their_own_backfill_auth_and_clock():
    # One phone following two transmitters (or a capture of two phones' links):
    # their packets interleave. The backfill stream, the authentication exchange
    # and the activation time were one for all connections: each 0x50 ended the
    # other's stream, each 0x01 the other's exchange.
    a = session()
    b = session(conn=OTHER_CONN, peer=OTHER_PEER)
    t25 = next(i for i, r in enumerate(a.records) if bytes.fromhex(TIME["hex"]) in r[2])
    ra, rb = a.records, [None] * (t25 + 1) + b.records   # b connects after a's clock (0x25)
    merged = Capture()
    for i in range(len(rb)):
        for r in (ra[i] if i < len(ra) else None, rb[i]):
            if r is not None:
                merged.add(r[1], r[2])
    lines, s = decode(merged.btsnoop())
    assert s["connections"] == 2 and s["decode_errors"] == [] and s["l2cap_errors"] == []
    assert [(b["valid"], b["frames"]) for b in s["backfill"]] == [(True, 3), (True, 3)], s["backfill"]
    assert s["auth"]["result"] == "ok" and len(s["auth"]["exchanges"]) == 2, s["auth"]
    assert len(s["readings"]) == 2 * len(GLUCOSE)
    assert all(r.get("unix_s") for r in s["readings"]), s["readings"][:2]
    assert sorted(b["device"] for b in s["backfill"]) == ["11:22:33:44:55:66", "F0:E1:D2:C3:B4:A5"]
    assert sorted(x["device"] for x in s["auth"]["exchanges"]) == sorted(b["device"] for b in s["backfill"])


def test_a_reused_connection_handle_is_not_the_previous_device():
    """The handle of a closed connection is reused for another device: its
    handles must not inherit the first device's GATT map, also when the new
    connection is announced by LE Enhanced Connection Complete v2 (0x29)."""
    c = session()
    other = bytes.fromhex("112233445566")
    body = bytes((0x29, 0x00)) + struct.pack("<H", CONN) + bytes((0x00, 0x00)) + other + \
        bytes(12) + struct.pack("<HHHB", 24, 0, 400, 0) + b"\x00\xff\xff"
    c.add(True, h4_event(0x3E, body))
    c.write("control", "305336")                    # same handle 0x0013, another device
    lines, s = decode(c.btsnoop())
    assert s["connections"] == 2
    # no discovery for the new device: its handle's role is inferred, not the old map's
    assert lines[-1]["hex"] == "305336" and lines[-1].get("role_inferred"), lines[-1]
    assert "66:55:44:33:22:11 handle 0x0013" in s["roles_inferred"], s["roles_inferred"]


# --- the formats people have: pcap, pcapng (scapy writes them), btsnooz, zip --------------
# The same session as the btsnoop tests, written by scapy's PcapWriter /
# PcapNgWriter (its own HCI_PHDR_Hdr / HCI_Hdr layers) or, for btsnooz, packed
# here from the layout in AOSP system/bt/btif/src/btif_debug_btsnoop.cc.
import base64      # noqa: E402
import zipfile     # noqa: E402
import zlib        # noqa: E402

SAME_SUMMARY = ("messages", "opcodes", "readings", "auth", "backfill", "backfill_records", "roles",
                "roles_inferred", "decode_errors", "crc_failures", "connections", "l2cap_errors")


def scapy_frames(c, with_direction=True, direction_flags=False, iface=None):
    """c's packets as scapy packets: HCI_PHDR_Hdr (201) or bare HCI_Hdr (187)."""
    from scapy.layers.bluetooth import HCI_Hdr, HCI_PHDR_Hdr
    out = []
    for t, received, pkt in c.records:
        p = HCI_PHDR_Hdr(direction=1 if received else 0) / HCI_Hdr(pkt) if with_direction \
            else HCI_Hdr(pkt)
        p.time = START_UNIX + t
        if direction_flags:
            p.direction = 1 if received else 2             # epb_flags: inbound / outbound
        if iface:
            p.sniffed_on = iface
        out.append(p)
    return out


def write_pcap(path, frames, **kw):
    from scapy.utils import PcapWriter
    w = PcapWriter(str(path), **kw)
    for f in frames:
        w.write(f)
    w.close()
    return path.read_bytes()


def write_pcapng(path, frames):
    from scapy.utils import PcapNgWriter
    w = PcapNgWriter(str(path))
    for f in frames:
        w.write(f)
    w.close()
    return path.read_bytes()


def expect_same_as_btsnoop(c, data):
    want_lines, want = decode(c.btsnoop())
    lines, s = decode(data)
    assert lines == want_lines
    for k in SAME_SUMMARY:
        assert s[k] == want[k], k
    assert s["readings"] and s["auth"]["result"] == "ok" and s["backfill"][0]["valid"]
    return s


def test_pcap_with_direction_header_reads_as_the_btsnoop_file(tmp_path):
    c = session()
    s = expect_same_as_btsnoop(c, write_pcap(tmp_path / "s.pcap", scapy_frames(c)))
    assert s["format"] == "pcap" and s["linktype"] == 201 and s["byte_order"] == "little"
    assert s["start_unix"] == START_UNIX + c.records[0][0]          # wall time, as written
    assert "direction_inferred" not in s


def test_big_endian_nanosecond_pcap(tmp_path):
    c = session()
    data = write_pcap(tmp_path / "be.pcap", scapy_frames(c), endianness=">", nano=True)
    assert data[:4] == bytes.fromhex("a1b23c4d")            # big-endian, nanosecond magic
    s = expect_same_as_btsnoop(c, data)
    assert s["byte_order"] == "big" and s["timestamps"] == "nanoseconds"


def test_pcapng_as_wireshark_saves_it(tmp_path):
    c = session()
    s = expect_same_as_btsnoop(c, write_pcapng(tmp_path / "s.pcapng", scapy_frames(c)))
    assert s["format"] == "pcapng"
    assert [(i["linktype"], i["read"]) for i in s["interfaces"]] == [(201, True)]


def test_pcapng_with_two_interfaces_reads_only_the_bluetooth_one(tmp_path):
    from scapy.layers.l2 import Ether
    from scapy.layers.inet import IP, UDP
    c = session()
    frames = []
    for i, f in enumerate(scapy_frames(c, iface="bluetooth0")):
        if i % 10 == 0:              # Wi-Fi traffic in between, on interface 0
            e = Ether() / IP(dst="192.0.2.1") / UDP(dport=53) / (b"\x1b\x13\x00" + bytes(20))
            e.time = f.time
            frames.append(e)
        frames.append(f)
    s = expect_same_as_btsnoop(c, write_pcapng(tmp_path / "two.pcapng", frames))
    got = [(i["id"], i["linktype"], i["name"], i["read"], i["packets"]) for i in s["interfaces"]]
    assert got == [(0, 1, None, False, 5), (1, 201, "bluetooth0", True, len(c.records))]


def test_h4_without_direction_is_inferred_and_said(tmp_path):
    """Link type 187 has no direction: the tool infers it (HCI type, ATT
    opcode, PB flag, continuation) and says so; the result is the btsnoop one."""
    c = session()
    data = write_pcap(tmp_path / "h4.pcap", scapy_frames(c, with_direction=False))
    s = expect_same_as_btsnoop(c, data)
    assert s["linktype"] == 187
    counts = s["direction_inferred"]
    assert counts.get("unknown", 0) == 0 and counts.get("att_opcode_against_pb_flag", 0) == 0
    assert counts["hci_event"] == 2 and counts["acl_continuation"] >= 3, counts
    assert "inferred" in s["direction_note"]
    # pcapng's epb_flags, when the writer sets them, give the direction instead.
    data = write_pcapng(tmp_path / "h4.pcapng",
                        scapy_frames(c, with_direction=False, direction_flags=True))
    s = expect_same_as_btsnoop(c, data)
    assert "direction_inferred" not in s


def btsnooz_section(c, version=2, keep_acl=None, stated_version=None):
    """A bug report's BTSNOOP_LOG_SUMMARY for c's packets. keep_acl=n: ACL
    data cut to n bytes, as Android does (14) outside L2CAP signalling;
    stated_version: the version byte the preamble claims."""
    types = {(False, 0x01): 0x20, (True, 0x04): 0x10, (False, 0x02): 0x21, (True, 0x02): 0x11}
    body, prev_us = b"", None
    for t, received, pkt in c.records:
        t_us = (START_UNIX * 10 ** 6) + int(round(t * 10 ** 6))
        data = pkt[1:]
        if keep_acl is not None and pkt[0] == 0x02 and struct.unpack_from("<H", data, 6)[0] != 1:
            data = data[:keep_acl]
        delta = t_us - prev_us if prev_us else 0
        prev_us = t_us
        if version == 2:
            head = struct.pack("<HHIB", len(data) + 1, len(pkt), delta, types[(received, pkt[0])])
        else:
            head = struct.pack("<HIB", len(data) + 1, delta, types[(received, pkt[0])])
        body += head + data
    preamble = bytes((stated_version or version,)) + struct.pack("<Q", prev_us)
    blob = base64.b64encode(preamble + zlib.compress(body))
    lines = [blob[i:i + 128].decode() for i in range(0, len(blob), 128)]
    return ("--- BEGIN:BTSNOOP_LOG_SUMMARY (%d bytes in) ---\n" % len(body) + "\n".join(lines) +
            "\n--- END:BTSNOOP_LOG_SUMMARY ---\n")


def bugreport_text(section):
    return ("========================================================\n"
            "== dumpstate: 2026-11-29 03:00:00\n"
            "DUMP OF SERVICE bluetooth_manager:\nBluetooth Status\n  enabled: true\n"
            + section + "\nDUMP OF SERVICE wifi:\n  Wi-Fi is enabled\n").encode()


def test_btsnooz_v1_and_v2_in_a_bug_report_read_as_the_btsnoop_file():
    c = session()
    for version in (1, 2):
        s = expect_same_as_btsnoop(c, bugreport_text(btsnooz_section(c, version)))
        assert s["format"] == "btsnooz" and s["btsnooz_version"] == version
        assert "btsnooz_note" not in s


def test_btsnooz_as_android_cuts_it_reports_the_cut_messages():
    """Android keeps 14 bytes of ACL data per packet in the summary: each
    longer Dexcom message is reported as cut, none is decoded from a part."""
    c = session()
    lines, s = decode(bugreport_text(btsnooz_section(c, keep_acl=14)))
    full, _s = decode(c.btsnoop())
    assert s["readings"] == [] and "14 bytes" in s["btsnooz_note"]
    # Every message is there, in order; those of more than 3 bytes are cut and
    # said so (also on the backfill handle, whose role the cut frames hide).
    assert [(x["dir"], x["handle"]) for x in lines] == [(x["dir"], x["handle"]) for x in full]
    for x, whole in zip(lines, full):
        assert whole["hex"].startswith(x["hex"]), (x, whole)
        if len(whole["hex"]) > 6:
            assert x["truncated"] and "cut" in x["error"] and len(x["hex"]) <= 24, x
        else:
            assert x["name"] == whole["name"] and "error" not in x, x
    assert s["other_att_values"] == {} and len(s["decode_errors"]) > 10


def test_bug_report_zip(tmp_path):
    c = session()
    report = tmp_path / "bugreport.zip"
    with zipfile.ZipFile(report, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("version.txt", "2.0")
        z.writestr("FS/proc/cpuinfo", "processor : 0\n")
        z.writestr("bugreport-panther-2026-11-29.txt", bugreport_text(btsnooz_section(c)))
    s = expect_same_as_btsnoop(c, report.read_bytes())
    assert s["format"] == "btsnooz" and s["zip_member"] == "bugreport-panther-2026-11-29.txt"
    # With the full snoop log in it too, that one is read and the other named.
    with zipfile.ZipFile(report, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("FS/data/misc/bluetooth/logs/btsnoop_hci.log", c.btsnoop())
    r = run_tool("--id", TX_ID, str(report))
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(r.stdout.splitlines()[-1])["summary"]
    assert s["format"] == "btsnoop" and s["zip_member"].endswith("logs/btsnoop_hci.log")
    assert s["zip_other_candidates"] == ["bugreport-panther-2026-11-29.txt"]
    assert s["auth"]["result"] == "ok" and len(s["readings"]) == len(GLUCOSE)


def test_unreadable_captures_of_the_new_formats_exit_1_with_the_reason(tmp_path):
    from scapy.layers.l2 import Ether
    c = session()
    pcapng = write_pcapng(tmp_path / "w.pcapng", scapy_frames(c))
    ether = Ether() / (b"\x00" * 20)
    ether.time = START_UNIX
    cases = {
        "ether.pcap": (write_pcap(tmp_path / "e.pcap", [ether]), "pcap: unsupported link type 1"),
        "ether.pcapng": (write_pcapng(tmp_path / "e.pcapng", [ether]),
                         "pcapng: no Bluetooth HCI interface (link types 1"),
        # cut before any packet: nothing to read up to
        "cut.pcapng": (pcapng[:40], "pcapng: truncated block"),
        "magic.pcapng": (pcapng[:8] + b"\x11\x22\x33\x44" + pcapng[12:], "byte-order magic"),
        "cut.pcap": (write_pcap(tmp_path / "p.pcap", scapy_frames(c))[:24 + 10],
                     "pcap: truncated record 1"),
        "noend.txt": (bugreport_text(btsnooz_section(c)).split(b"--- END")[0],
                      "btsnooz: the BTSNOOP_LOG_SUMMARY section has no END line"),
        "v9.txt": (bugreport_text(btsnooz_section(c, stated_version=9)),
                   "btsnooz: unsupported version 9"),
        "empty.zip": (b"PK\x05\x06" + bytes(18), "zip: no Bluetooth capture in it"),
    }
    for name, (data, why) in cases.items():
        if name in ("ether.pcap", "cut.pcapng"):      # the command: exit 1, one JSON line
            p = tmp_path / name
            p.write_bytes(data)
            r = run_tool(str(p))
            assert r.returncode == 1, (name, r.stdout, r.stderr)
            (line,) = r.stdout.splitlines()
            assert why in json.loads(line)["error"], (name, line)
            continue
        try:
            capture.run(data, TX_ID, [])
        except capture.CaptureError as e:
            assert why in str(e), (name, e)
        else:
            raise AssertionError("%s was read" % name)


def test_h4_without_direction_trusts_the_att_opcode_over_the_pb_flag(tmp_path):
    """A host that starts its PDUs with PB 10 (as a controller does) is still
    read right: the ATT opcode decides, and the disagreement is counted."""
    c = session()
    for i, (t, received, pkt) in enumerate(c.records):
        if not received and pkt[0] == 0x02 and (pkt[2] >> 4) & 3 == PB_START_HOST:
            c.records[i] = (t, received, pkt[:2] + bytes((pkt[2] | 0x20,)) + pkt[3:])
    s = expect_same_as_btsnoop(c, write_pcap(tmp_path / "pb.pcap",
                                             scapy_frames(c, with_direction=False)))
    assert s["direction_inferred"]["att_opcode_against_pb_flag"] > 10, s["direction_inferred"]


def pcapng_by_hand(c, endian=">", tsresol=9, simple=False):
    """pcapng packed here (scapy writes only little-endian, microseconds,
    Enhanced Packet blocks): byte order `endian`, if_tsresol 10^-tsresol, a
    Name Resolution and a custom block to skip, Simple Packet blocks if asked."""
    def block(btype, body):
        body += bytes(-len(body) % 4)
        n = len(body) + 12
        return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)

    def option(code, value):
        return struct.pack(endian + "HH", code, len(value)) + value + bytes(-len(value) % 4)
    out = block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack(endian + "HHI", 201, 0, 0) + option(9, bytes((tsresol,))) +
                 option(0, b""))
    out += block(4, struct.pack(endian + "HH", 0, 0))             # Name Resolution, empty
    out += block(0x40000BAD, struct.pack(endian + "I", 32473) + b"vendor data")
    for t, received, pkt in c.records:
        data = struct.pack(">I", 1 if received else 0) + pkt
        if simple:
            out += block(3, struct.pack(endian + "I", len(data)) + data)
            continue
        ts = (START_UNIX * 10 ** 6 + int(round(t * 10 ** 6))) * 10 ** tsresol // 10 ** 6
        out += block(6, struct.pack(endian + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                    len(data)) + data)
    return out


def test_big_endian_pcapng_with_its_own_time_resolution_and_blocks_to_skip():
    c = session()
    s = expect_same_as_btsnoop(c, pcapng_by_hand(c))
    assert s["format"] == "pcapng" and s["skipped_blocks"] == {"0x4": 1, "0x40000bad": 1}
    lines, s = decode(pcapng_by_hand(c, endian="<", simple=True))
    want_lines, want = decode(c.btsnoop())
    assert [(x["dir"], x["hex"]) for x in lines] == [(x["dir"], x["hex"]) for x in want_lines]
    assert [r["sgv"] for r in s["readings"]] == [r["sgv"] for r in want["readings"]]
    assert s["simple_packets"] == len(c.records) and "no time" in s["simple_packets_note"]


def test_linux_monitor_pcap_and_a_gzipped_pcapng(tmp_path):
    """Link type 254 (btmon, Wireshark on Linux): no H4 byte, the opcode gives
    type and direction; index and note frames carry no HCI packet. And a
    pcapng Wireshark compressed with gzip."""
    import gzip
    from scapy.layers.bluetooth import HCI_Mon_Pcap_Hdr
    from scapy.packet import Raw
    c = session()
    opcodes = {(False, 0x01): 2, (True, 0x04): 3, (False, 0x02): 4, (True, 0x02): 5}
    frames = []
    note = HCI_Mon_Pcap_Hdr(opcode=12) / Raw(b"Bluetooth subsystem initialized\x00")
    index = HCI_Mon_Pcap_Hdr(opcode=0) / Raw(bytes(16))
    for p in (note, index):
        p.time = START_UNIX
        frames.append(p)
    for t, received, pkt in c.records:
        p = HCI_Mon_Pcap_Hdr(adapter_id=0, opcode=opcodes[(received, pkt[0])]) / Raw(pkt[1:])
        p.time = START_UNIX + t
        frames.append(p)
    s = expect_same_as_btsnoop(c, write_pcap(tmp_path / "mon.pcap", frames))
    assert s["linktype"] == 254 and s["records"] == len(c.records)
    data = gzip.compress(write_pcapng(tmp_path / "s.pcapng", scapy_frames(c)))
    s = expect_same_as_btsnoop(c, data)
    assert s["format"] == "pcapng" and s["compression"] == "gzip"


def test_an_empty_file_argument_prints_the_usage():
    # `make capture` without FILE= passes "" as the file: a usage line, not
    # '": [Errno 2] No such file or directory"'. (stderr caught by hand, not with
    # pytest's capsys: tools/mutation.py calls the codec's tests as plain functions)
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert capture.main([""]) == 2
    assert "usage" in err.getvalue().lower()


def test_make_capture_without_file_says_how_to_give_it():
    # it printed capture.py's own usage line, which names no FILE= (helper-365)
    r = subprocess.run(["make", "-s", "capture"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "make capture FILE=" in r.stderr, r.stderr
