#!/usr/bin/env python3
"""Write the seed corpus of fuzz_dns_wire (tests/fuzz/corpus/dns_wire/).

The compression cases of tests/dns/test_wire.c and test_walkers.c (forward
pointers, loops, pointers into the header, the hop bound, 255/256-octet
names, truncation, names in RDATA), each as a query and as a response, and
good messages with backward compression.  Run from anywhere:
    python3 tests/fuzz/gen_dns_wire_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "dns_wire")


def msg(body, qd=1, an=0, ns=0, ar=0, flags=0x0100, qid=0x1234):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar) + body


def long_name(n63, last):
    return b"".join(bytes([63]) + b"x" * 63 for _ in range(n63)) + bytes([last]) + b"y" * last + b"\0"


Q_A = b"\x01a\0" + struct.pack(">HH", 6, 1)	# "a." SOA IN at offset 12
RR_A = struct.pack(">HHIH", 1, 1, 300, 4) + bytes([192, 0, 2, 1])

cases = {
    "q_forward": msg(b"\xc0\x12" + struct.pack(">HH", 1, 1) + b"\x01a\0"),
    "q_self": msg(b"\xc0\x0c" + struct.pack(">HH", 1, 1)),
    "q_header": msg(b"\xc0\x02" + struct.pack(">HH", 1, 1)),
    "q_cut_label": msg(b"\x03ww"),
    "q_cut_pointer": msg(b"\xc0"),
    "q_one_short": msg(b"\x02a"),
    "q_label_0x40": msg(b"\x41a\0" + struct.pack(">HH", 1, 1)),
    "q_label_0x80": msg(b"\x81a\0" + struct.pack(">HH", 1, 1)),
    "q_label_63": msg(b"\x3f" + b"q" * 63 + b"\0" + struct.pack(">HH", 1, 1)),
    "q_name_255": msg(long_name(3, 61) + struct.pack(">HH", 1, 1)),
    "q_name_256": msg(long_name(3, 62) + struct.pack(">HH", 1, 1)),
    "an_loop": msg(Q_A + b"\xc0\x15\xc0\x13" + struct.pack(">HHIH", 1, 1, 0, 0), an=1),
    "an_forward": msg(Q_A + b"\xc0\x1f" + struct.pack(">HHIH", 16, 1, 0, 3) + b"\x01b\0", an=1),
    "an_header": msg(Q_A + b"\xc0\x00" + RR_A, an=1),
    "an_backward": msg(Q_A + b"\xc0\x0c" + RR_A, an=1),
    # RR1 (root owner at 19, a private type) has at 30 a pointer up to "b." at 32;
    # RR2's owner points at 30: 35 -> 30 -> 32 goes up again, refused.
    "an_zigzag": msg(Q_A + b"\0" + struct.pack(">HHIH", 65280, 1, 0, 5) + b"\xc0\x20\x01b\0"
                     + b"\xc0\x1e" + RR_A, an=2),
    "rdata_cname_forward": msg(Q_A + b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 0, 2) + b"\xc0\x21\x01b\0", an=1),
    "rdata_cname_backward": msg(Q_A + b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 0, 2) + b"\xc0\x0c", an=1),
    "rdata_soa_header": msg(Q_A + b"\xc0\x0c" + struct.pack(">HHIH", 6, 1, 0, 24) + b"\xc0\x00\xc0\x0c" + b"\0" * 20, an=1),
    "rdata_mx_backward": msg(Q_A + b"\xc0\x0c" + struct.pack(">HHIH", 15, 1, 0, 4) + b"\0\x0a\xc0\x0c", an=1),
    "rdata_empty_update": msg(Q_A + b"\xc0\x0c" + struct.pack(">HHIH", 5, 255, 0, 0), ns=1, flags=0x2800),
}

# The hop bound: RR1 (root owner at 17, a private type) holds a chain of
# pointers in its RDATA, each to the one before, the first to 17; RR2's owner
# points at the last: N pointers in the chain make N + 1 hops.
def hops(n):
    rdata = b"".join(struct.pack(">H", 0xc000 | (17 if k == 0 else 28 + 2 * (k - 1)))
                     for k in range(n))
    rr1 = b"\0" + struct.pack(">HHIH", 65280, 1, 0, len(rdata)) + rdata
    last = 28 + 2 * (n - 1)
    return msg(b"\0" + struct.pack(">HH", 1, 1) + rr1 + struct.pack(">H", 0xc000 | last) + RR_A,
               an=2)


cases["hops_127"] = hops(126)
cases["hops_128"] = hops(127)

os.makedirs(OUT, exist_ok=True)
for name, m in cases.items():
    for suffix, flip in (("", 0), ("_resp", 0x8000)):
        data = bytearray(m)
        data[2] |= flip >> 8
        with open(os.path.join(OUT, name + suffix), "wb") as f:
            f.write(bytes(data))
