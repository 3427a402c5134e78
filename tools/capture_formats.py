"""The capture files tools/capture.py reads, each turned into the same records

    (index, unix_s, direction, h4, truncated)

index: the packet's place in its file (1-based); unix_s: seconds since 1970
(float); direction: "tx" (host to controller), "rx" (controller to host) or
None when the file does not say (capture.py then infers it and says so); h4:
the HCI packet with its H4 packet-type byte first (0x01 command, 0x02 ACL
data, 0x03 SCO, 0x04 event, 0x05 ISO); truncated: the file kept fewer bytes
than the packet had.

read_records(data) -> (info, records) for btsnoop, pcap, pcapng, btsnooz (a
bug report's text) and a zip holding one of them (a bug report); None when the
bytes are none of these (capture.py then tries its text format). Raises
CaptureError, naming the format and what is wrong, for a file it cannot read.
info["warnings"], when present, lists what was read around (a btsnoop log, a pcap
or a pcapng whose last record or block is cut: the whole ones are read);
capture.py writes them on stderr.
Formats and sources:
- btsnoop v1 (RFC 1761 layout; datalink 1001 HCI, 1002 H4): header "btsnoop\\0",
  version, datalink; records big-endian: original length, included length,
  flags (bit 0 received, bit 1 command/event), drops, microseconds since
  0000-01-01.
- pcap (both byte orders; magic a1b2c3d4 microseconds, a1b23c4d nanoseconds)
  and pcapng (Section Header, Interface Description with if_tsresol and
  if_tsoffset, Enhanced, Simple and obsolete Packet blocks, epb_flags
  direction; both byte orders; other blocks skipped), with the link types
  187 BLUETOOTH_HCI_H4 (no direction), 201 BLUETOOTH_HCI_H4_WITH_PHDR (4-byte
  big-endian direction, bit 0: 1 = received, as Wireshark and libpcap write
  it) and 254 BLUETOOTH_LINUX_MONITOR (Linux btmon: big-endian adapter index
  and opcode, which gives the packet type and direction; no type byte).
- btsnooz, the Bluetooth summary in an Android bug report, between
  "--- BEGIN:BTSNOOP_LOG_SUMMARY" and "--- END:BTSNOOP_LOG_SUMMARY": base64 of
  a 9-byte preamble (version u8, last timestamp u64) and a zlib stream of
  records, little-endian: v1 (length u16, delta u32, type u8), v2 (length u16,
  packet length u16, delta u32, type u8), then length - 1 packet bytes (length
  counts the H4 type byte, which is not stored). Layout from AOSP
  system/bt/tools/scripts/btsnooz.py (decoder) and
  system/bt/btif/src/btif_debug_btsnoop.cc (writer). The timestamps are
  microseconds since 1970 although the writer names them "_ms" (it stores
  timestamp_us, v1 btif_debug_ts() = gettimeofday in microseconds; btsnooz.py
  adds the microsecond btsnoop epoch); a delta is a u32, so a gap of more than
  71 minutes between two packets shifts the times before it: the preamble
  holds the last packet's, each record the gap to the one before it. Types:
  0x10 event, 0x11/0x21 ACL in/out, 0x12/0x22 SCO, 0x17/0x2D ISO, 0x20 command.
"""
import base64
import binascii
import gzip
import io
import struct
import zipfile
import zlib


class CaptureError(Exception):
    """The file cannot be read as a capture (the message says why)."""


H4_COMMAND, H4_ACL, H4_SCO, H4_EVENT, H4_ISO = 0x01, 0x02, 0x03, 0x04, 0x05

# --- btsnoop ------------------------------------------------------------------
BTSNOOP_MAGIC = b"btsnoop\0"
DATALINK_HCI = 1001        # HCI packets without the H4 type byte
DATALINK_H4 = 1002         # HCI UART (H4): first byte is the packet type
EPOCH_DELTA_US = 0x00DCDDB30F2F8000   # 0000-01-01 -> 1970-01-01 in microseconds


def read_btsnoop(data):
    """(datalink, records, cut). Raises CaptureError. cut: None, or why the last
    record was left out: the file ends inside it (Android writes the log as it
    goes, so a copy taken while Bluetooth is on often ends so); the whole records
    before it are read. A file that ends inside its first record is refused."""
    if len(data) < 16:
        raise CaptureError("truncated btsnoop header (%d bytes, need 16)" % len(data))
    if data[:8] != BTSNOOP_MAGIC:
        raise CaptureError("not a btsnoop file (magic %r)" % data[:8])
    version, datalink = struct.unpack_from(">II", data, 8)
    if version != 1:
        raise CaptureError("unsupported btsnoop version %d (only 1)" % version)
    if datalink not in (DATALINK_HCI, DATALINK_H4):
        raise CaptureError("unsupported btsnoop datalink %d (only 1001 HCI, 1002 HCI UART/H4)"
                           % datalink)
    out = []
    pos = 16
    index = 0
    cut = None
    while pos < len(data):
        index += 1
        if pos + 24 > len(data):
            cut = "header has %d of 24 bytes" % (len(data) - pos), pos
            break
        orig, incl, flags, _drops, ts = struct.unpack_from(">IIIIq", data, pos)
        pos += 24
        if pos + incl > len(data):
            cut = "%d of %d packet bytes" % (len(data) - pos, incl), pos - 24
            break
        pkt = bytes(data[pos:pos + incl])
        pos += incl
        direction = "rx" if flags & 1 else "tx"
        if datalink == DATALINK_HCI:         # bit 1: command/event, else data
            ptype = (H4_EVENT if direction == "rx" else H4_COMMAND) if flags & 2 else H4_ACL
            pkt = bytes((ptype,)) + pkt
            orig += 1
        if pkt:
            out.append((index, (ts - EPOCH_DELTA_US) / 1e6, direction, pkt, len(pkt) < orig))
    if cut is not None:
        what, at = cut
        if index == 1:
            raise CaptureError("truncated record 1 at byte %d: %s" % (at, what))
        cut = ("btsnoop record %d at byte %d is cut (%s): the file ends inside it (copied while "
               "the log was being written?); it is left out, the %d whole records before it "
               "are read" % (index, at, what, index - 1))
    return datalink, out, cut


# --- link types shared by pcap and pcapng --------------------------------------
LINK_H4, LINK_H4_PHDR, LINK_MONITOR = 187, 201, 254
LINK_NAMES = {LINK_H4: "BLUETOOTH_HCI_H4", LINK_H4_PHDR: "BLUETOOTH_HCI_H4_WITH_PHDR",
              LINK_MONITOR: "BLUETOOTH_LINUX_MONITOR"}
_SUPPORTED = "supported: 187 BLUETOOTH_HCI_H4, 201 BLUETOOTH_HCI_H4_WITH_PHDR, " \
             "254 BLUETOOTH_LINUX_MONITOR"
# Linux monitor opcodes -> (direction, H4 type); the others (index, notes) carry no HCI packet.
_MONITOR = {2: ("tx", H4_COMMAND), 3: ("rx", H4_EVENT), 4: ("tx", H4_ACL), 5: ("rx", H4_ACL),
            6: ("tx", H4_SCO), 7: ("rx", H4_SCO), 18: ("tx", H4_ISO), 19: ("rx", H4_ISO)}


def link_packet(linktype, pkt, orig):
    """(direction or None, h4 bytes, truncated) of one captured frame, or None
    when the frame carries no HCI packet."""
    truncated = len(pkt) < orig
    if linktype == LINK_H4:
        return None, bytes(pkt), truncated
    if len(pkt) < 4:
        return None
    if linktype == LINK_H4_PHDR:
        direction = "rx" if struct.unpack_from(">I", pkt, 0)[0] & 1 else "tx"
        return direction, bytes(pkt[4:]), truncated
    opcode = struct.unpack_from(">H", pkt, 2)[0]               # LINK_MONITOR
    if opcode not in _MONITOR:
        return None
    direction, ptype = _MONITOR[opcode]
    return direction, bytes((ptype,)) + bytes(pkt[4:]), truncated


def _frame_record(records, index, unix_s, linktype, pkt, orig, flag_direction=None):
    got = link_packet(linktype, pkt, orig)
    if got is None or not got[1]:
        return
    direction, h4, truncated = got
    records.append((index, unix_s, direction or flag_direction, h4, truncated))


# --- pcap ---------------------------------------------------------------------
_PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
                b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}


def read_pcap(data):
    """(info, records). Raises CaptureError."""
    if len(data) < 24:
        raise CaptureError("pcap: truncated file header (%d of 24 bytes)" % len(data))
    endian, unit = _PCAP_MAGICS[bytes(data[:4])]
    major, minor = struct.unpack_from(endian + "HH", data, 4)
    network = struct.unpack_from(endian + "I", data, 20)[0]
    if major != 2:
        raise CaptureError("pcap: unsupported version %d.%d (only 2.x)" % (major, minor))
    linktype = network & 0xFFFF                       # the upper bits carry FCS information
    if linktype not in LINK_NAMES:
        raise CaptureError("pcap: unsupported link type %d (%s)" % (linktype, _SUPPORTED))
    records = []
    pos, index, cut = 24, 0, None
    while pos < len(data):
        index += 1
        if pos + 16 > len(data):
            cut = "header has %d of 16 bytes" % (len(data) - pos)
            break
        sec, frac, incl, orig = struct.unpack_from(endian + "IIII", data, pos)
        if pos + 16 + incl > len(data):
            cut = "%d of %d packet bytes" % (len(data) - pos - 16, incl)
            break
        _frame_record(records, index, sec + frac * unit, linktype, data[pos + 16:pos + 16 + incl],
                      orig)
        pos += 16 + incl
    info = {"format": "pcap", "byte_order": "little" if endian == "<" else "big",
            "timestamps": "nanoseconds" if unit < 1e-6 else "microseconds",
            "linktype": linktype, "linktype_name": LINK_NAMES[linktype]}
    if cut is not None:
        if index == 1:
            raise CaptureError("pcap: truncated record 1 at byte %d: %s" % (pos, cut))
        info["warnings"] = [_cut_warning("pcap record", index, pos, cut, "records")]
    return info, records


def _cut_warning(what, index, at, how, unit):
    """The warning for a capture whose last record (block) the file ends inside: a copy
    taken while the capture was still being written (Wireshark, Android)."""
    return ("%s %d at byte %d is cut (%s): the file ends inside it (copied while the capture "
            "was being written?); it is left out, the %d whole %s before it are read"
            % (what, index, at, how, index - 1, unit))


# --- pcapng -------------------------------------------------------------------
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_BLOCK_NAMES = {1: "Interface Description", 2: "Packet", 3: "Simple Packet",
                6: "Enhanced Packet"}


def _options(endian, body, pos):
    """{code: raw value} of an options list starting at body[pos]."""
    out = {}
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(endian + "HH", body, pos)
        if code == 0:
            break
        out[code] = bytes(body[pos + 4:pos + 4 + length])
        pos += 4 + length + (-length % 4)
    return out


def _interface(endian, body, section, number):
    if len(body) < 8:
        raise CaptureError("pcapng: Interface Description block of %d bytes (need 8)" % len(body))
    linktype, _reserved, snaplen = struct.unpack_from(endian + "HHI", body, 0)
    opts = _options(endian, body, 8)
    scale = 1e-6
    if 9 in opts and opts[9]:                          # if_tsresol
        r = opts[9][0]
        scale = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
    offset = struct.unpack(endian + "q", opts[14][:8])[0] if len(opts.get(14, b"")) >= 8 else 0
    desc = {"section": section, "id": number, "linktype": linktype,
            "name": opts[2].decode("utf-8", "replace") if 2 in opts else None,
            "read": linktype in LINK_NAMES, "packets": 0}
    return {"linktype": linktype, "snaplen": snaplen, "scale": scale, "offset": offset,
            "desc": desc}


def read_pcapng(data):
    """(info, records). Raises CaptureError."""
    records, described, skipped = [], [], {}
    ifaces, endian, section = [], None, 0
    pos, block, last_t, simple, cut = 0, 0, 0.0, 0, None
    while pos < len(data):
        block += 1
        where = "block %d at byte %d" % (block, pos)
        if pos + 12 > len(data):
            if not records:
                raise CaptureError("pcapng: truncated %s: %d of 12 header bytes"
                                   % (where, len(data) - pos))
            cut = _cut_warning("pcapng block", block, pos, "%d of 12 header bytes"
                               % (len(data) - pos), "blocks")
            break
        if data[pos:pos + 4] == PCAPNG_SHB:
            magic = bytes(data[pos + 8:pos + 12])
            endian = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}.get(magic)
            if endian is None:
                raise CaptureError("pcapng: %s: bad byte-order magic %s" % (where, magic.hex()))
            section += 1
            ifaces = []                                # interfaces are per section
        elif endian is None:
            raise CaptureError("pcapng: the file does not start with a Section Header block")
        btype, length = struct.unpack_from(endian + "II", data, pos)
        if length < 12 or length % 4:
            raise CaptureError("pcapng: %s: bad block length %d" % (where, length))
        if pos + length > len(data):
            if not records:
                raise CaptureError("pcapng: truncated %s (type 0x%x): %d of %d bytes"
                                   % (where, btype, len(data) - pos, length))
            cut = _cut_warning("pcapng block", block, pos, "type 0x%x, %d of %d bytes"
                               % (btype, len(data) - pos, length), "blocks")
            break
        if struct.unpack_from(endian + "I", data, pos + length - 4)[0] != length:
            raise CaptureError("pcapng: %s: its trailing length differs from %d (damaged file)"
                               % (where, length))
        body = memoryview(data)[pos + 8:pos + length - 4]
        pos += length
        if btype == 0x0A0D0D0A:
            major = struct.unpack_from(endian + "H", body, 4)[0] if len(body) >= 8 else 0
            if major != 1:
                raise CaptureError("pcapng: %s: unsupported version %d (only 1)" % (where, major))
        elif btype == 1:
            iface = _interface(endian, body, section, len(ifaces))
            ifaces.append(iface)
            described.append(iface["desc"])
        elif btype in (2, 3, 6):
            name = _BLOCK_NAMES[btype]
            if btype == 3:                             # Simple Packet: interface 0, no time
                number, fixed = 0, 4
            else:
                fixed = 20
                if btype == 6:
                    number = struct.unpack_from(endian + "I", body, 0)[0] if len(body) >= 4 else -1
                else:
                    number = struct.unpack_from(endian + "H", body, 0)[0] if len(body) >= 2 else -1
            if len(body) < fixed:
                raise CaptureError("pcapng: %s: %s block of %d bytes (need %d)"
                                   % (where, name, len(body), fixed))
            if not 0 <= number < len(ifaces):
                raise CaptureError("pcapng: %s: %s block names interface %d, which section %d "
                                   "does not describe" % (where, name, number, section))
            iface = ifaces[number]
            direction = None
            if btype == 3:
                orig = struct.unpack_from(endian + "I", body, 0)[0]
                incl = min(orig, len(body) - 4, iface["snaplen"] or orig)
                t = last_t                             # the format has no time for it
                simple += 1
            else:
                hi, lo, incl, orig = struct.unpack_from(endian + "IIII", body, 4)
                if fixed + incl > len(body):
                    raise CaptureError("pcapng: truncated %s: %s block holds %d of its %d packet "
                                       "bytes" % (where, name, len(body) - fixed, incl))
                t = last_t = ((hi << 32) | lo) * iface["scale"] + iface["offset"]
                flags = _options(endian, body, fixed + incl + (-incl % 4)).get(2, b"")
                if len(flags) >= 4:                    # epb_flags bits 0-1: 1 inbound, 2 outbound
                    inout = struct.unpack(endian + "I", flags[:4])[0] & 3
                    direction = {1: "rx", 2: "tx"}.get(inout)
            iface["desc"]["packets"] += 1
            if iface["desc"]["read"]:
                _frame_record(records, block, t, iface["linktype"],
                              body[fixed:fixed + incl], orig, direction)
        else:
            skipped[btype] = skipped.get(btype, 0) + 1
    if not described:
        raise CaptureError("pcapng: no Interface Description block")
    if not any(d["read"] for d in described):
        raise CaptureError("pcapng: no Bluetooth HCI interface (link types %s; %s)" % (
            ", ".join(str(d["linktype"]) for d in described), _SUPPORTED))
    info = {"format": "pcapng", "interfaces": described,
            "skipped_blocks": dict(("0x%x" % k, n) for k, n in sorted(skipped.items()))}
    if cut is not None:
        info["warnings"] = [cut]
    if simple:
        info["simple_packets"] = simple
        info["simple_packets_note"] = ("Simple Packet blocks carry no time: each was given "
                                       "the time of the packet before it")
    return info, records


# --- btsnooz (Android bug report summary) ---------------------------------------
BTSNOOZ_BEGIN = b"--- BEGIN:BTSNOOP_LOG_SUMMARY"
BTSNOOZ_END = b"--- END:BTSNOOP_LOG_SUMMARY"
_SNOOZ_TYPES = {0x10: ("rx", H4_EVENT), 0x11: ("rx", H4_ACL), 0x12: ("rx", H4_SCO),
                0x17: ("rx", H4_ISO), 0x20: ("tx", H4_COMMAND), 0x21: ("tx", H4_ACL),
                0x22: ("tx", H4_SCO), 0x2D: ("tx", H4_ISO)}
_SNOOZ_HEADERS = {1: "<HIB", 2: "<HHIB"}


def extract_btsnooz(text):
    """The decoded bytes of the first BTSNOOP_LOG_SUMMARY section in a bug report."""
    start = text.find(BTSNOOZ_BEGIN)
    line_end = text.find(b"\n", start)
    end = text.find(BTSNOOZ_END, line_end) if line_end >= 0 else -1
    if end < 0:
        raise CaptureError("btsnooz: the BTSNOOP_LOG_SUMMARY section has no END line (the bug "
                           "report is cut short?)")
    try:
        return base64.b64decode(b"".join(text[line_end + 1:end].split()), validate=True)
    except (binascii.Error, ValueError) as e:
        raise CaptureError("btsnooz: the BTSNOOP_LOG_SUMMARY section is not base64 (%s)" % e)


def read_btsnooz(snooz):
    """(info, records) from the decoded summary (preamble + zlib). Raises CaptureError."""
    if len(snooz) < 9:
        raise CaptureError("btsnooz: preamble has %d of 9 bytes" % len(snooz))
    version, last_us = struct.unpack_from("<BQ", snooz, 0)
    if version not in _SNOOZ_HEADERS:
        raise CaptureError("btsnooz: unsupported version %d (only 1 and 2)" % version)
    try:
        raw = zlib.decompress(snooz[9:])
    except zlib.error as e:
        raise CaptureError("btsnooz: the records do not inflate (%s)" % e)
    fmt = _SNOOZ_HEADERS[version]
    size = struct.calcsize(fmt)
    parsed, pos = [], 0
    while pos < len(raw):
        if pos + size > len(raw):
            raise CaptureError("btsnooz: truncated record %d at byte %d: header has %d of %d bytes"
                               % (len(parsed) + 1, pos, len(raw) - pos, size))
        fields = struct.unpack_from(fmt, raw, pos)
        length, delta, rtype = fields[0], fields[-2], fields[-1]
        original = fields[1] if version == 2 else length
        if length < 1 or pos + size + length - 1 > len(raw):
            raise CaptureError("btsnooz: truncated record %d at byte %d: %d of %d packet bytes"
                               % (len(parsed) + 1, pos, len(raw) - pos - size, length - 1))
        parsed.append((delta, rtype, raw[pos + size:pos + size + length - 1], length < original))
        pos += size + length - 1
    # Each delta is the gap to the packet before; the preamble has the last one's time.
    times, t = [], last_us
    for delta, _rtype, _pkt, _cut in reversed(parsed):
        times.append(t)
        t -= delta
    times.reverse()
    records, unknown, cut = [], {}, 0
    for i, ((_delta, rtype, pkt, truncated), t_us) in enumerate(zip(parsed, times), 1):
        if rtype not in _SNOOZ_TYPES:
            unknown["0x%02x" % rtype] = unknown.get("0x%02x" % rtype, 0) + 1
            continue
        direction, ptype = _SNOOZ_TYPES[rtype]
        cut += truncated and ptype == H4_ACL
        records.append((i, t_us / 1e6, direction, bytes((ptype,)) + pkt, truncated))
    info = {"format": "btsnooz", "btsnooz_version": version}
    if unknown:
        info["unknown_record_types"] = unknown
    if cut:
        info["btsnooz_note"] = (
            "%d ACL packets were cut by Android (its bug report summary keeps the first 14 bytes "
            "of ACL data outside L2CAP signalling): Dexcom messages longer than 3 bytes are lost; "
            "turn on Developer options > Bluetooth HCI snoop log and send btsnoop_hci.log" % cut)
    return info, records


# --- zip (an Android bug report) ----------------------------------------------
def _zip_rank(name, kind):
    """Prefer the full snoop log over the filtered, cut or previous ones."""
    base = name.rsplit("/", 1)[-1].lower()
    if kind == "btsnooz":
        return 0
    if "btsnooz" in base or "filtered" in base:
        return 1
    return 2 if base.endswith(".last") else 3


def read_zip(data):
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        candidates = []
        for zi in zf.infolist():
            if zi.is_dir():
                continue
            with zf.open(zi) as f:
                head = f.read(32)
            kind = _binary_kind(head)
            if kind is None and zi.filename.lower().endswith(".txt"):
                body = zf.read(zi)
                kind = "btsnooz" if BTSNOOZ_BEGIN in body else None
            if kind in ("btsnoop", "pcap", "pcapng", "btsnooz"):
                candidates.append((_zip_rank(zi.filename, kind), zi.file_size, zi.filename))
        if not candidates:
            raise CaptureError(
                "zip: no Bluetooth capture in it (no btsnoop, pcap or pcapng file, no "
                "BTSNOOP_LOG_SUMMARY section); turn on Developer options > Bluetooth HCI snoop "
                "log, reproduce, then take the bug report")
        candidates.sort(reverse=True)
        name = candidates[0][2]
        member = zf.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as e:
        raise CaptureError("zip: %s" % e)
    got = read_records(member, inside_zip=True)
    if got is None:
        raise CaptureError("zip: member %s is not a capture" % name)
    info, records = got
    info["zip_member"] = name
    info["zip_other_candidates"] = [c[2] for c in candidates[1:]]
    return info, records


# --- detection ----------------------------------------------------------------
def _binary_kind(head):
    if head.startswith(BTSNOOP_MAGIC):
        return "btsnoop"
    if bytes(head[:4]) in _PCAP_MAGICS:
        return "pcap"
    if head.startswith(PCAPNG_SHB):
        return "pcapng"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    return None


def read_records(data, inside_zip=False):
    """(info, records) of any binary capture or bug report; None for other bytes."""
    kind = _binary_kind(data[:8])
    if kind == "btsnoop":
        datalink, records, cut = read_btsnoop(data)
        info = {"format": "btsnoop", "datalink": datalink}
        if cut is not None:
            info["warnings"] = [cut]
        return info, records
    if kind == "pcap":
        return read_pcap(data)
    if kind == "pcapng":
        return read_pcapng(data)
    if kind == "zip" and not inside_zip:
        return read_zip(data)
    if kind == "gzip":                                  # Wireshark's "compress with gzip"
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise CaptureError("gzip: %s" % e)
        got = read_records(inner, inside_zip)
        if got is None:
            raise CaptureError("gzip: the compressed file is not a capture")
        got[0]["compression"] = "gzip"
        return got
    if BTSNOOZ_BEGIN in data:
        return read_btsnooz(extract_btsnooz(data))
    return None
