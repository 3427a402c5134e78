# setup/dns.py answer(): the captive-portal DNS replies. CPython and MicroPython.
import struct

from setup import dns


def query(name, qtype=1, ident=0x1234, flags=0x0100, qdcount=1):
    q = struct.pack(">HHHHHH", ident, flags, qdcount, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", qtype, 1)


def test_a_question_for_any_name_gets_the_box_address():
    q = query("connectivitycheck.gstatic.com")
    r = dns.answer(q, "192.168.4.1")
    ident, flags, qd, an, ns, ar = struct.unpack_from(">HHHHHH", r, 0)
    assert (ident, qd, an, ns, ar) == (0x1234, 1, 1, 0, 0)
    assert flags & 0x8000 and flags & 0x0100 and not flags & 0x000F  # response, RD kept, NOERROR
    assert r[12:len(q)] == q[12:]                                   # the question echoed
    ptr, rtype, rclass, ttl, rdlen = struct.unpack_from(">HHHIH", r, len(q))
    assert (ptr, rtype, rclass, rdlen) == (0xC00C, 1, 1, 4) and 0 < ttl <= 60
    assert r[len(q) + 12:] == bytes([192, 168, 4, 1]) and len(r) == len(q) + 16


def test_other_types_get_an_empty_answer_so_phones_use_ipv4():
    q = query("captive.apple.com", qtype=28)          # AAAA
    r = dns.answer(q, "192.168.4.1")
    assert struct.unpack_from(">H", r, 6)[0] == 0 and len(r) == len(q)
    assert struct.unpack_from(">H", r, 2)[0] & 0x000F == 0


def test_what_is_not_one_plain_question_is_ignored():
    good = query("example.org")
    bad = [b"", good[:11], good[:-1],                       # short or cut
           query("example.org", flags=0x8180),               # a response
           query("example.org", flags=0x2900),               # opcode 5 (update)
           query("example.org", qdcount=2),                  # two questions
           good[:12] + b"\xc0\x0c" + good[-4:],              # a compression pointer
           good[:12] + b"\x3f" + b"a" * 10]                  # a label running off the end
    for q in bad:
        assert dns.answer(q, "192.168.4.1") is None, q
