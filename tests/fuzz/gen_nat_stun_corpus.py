#!/usr/bin/env python3
"""gen_nat_stun_corpus.py - seeds for fuzz_nat_stun (tests/fuzz/corpus/nat_stun/).

Writes, deterministically: the RFC 5769 vectors (request, IPv4 and IPv6 responses), binding
requests as our client and others send them (bare, with FINGERPRINT, SOFTWARE, PADDING,
CHANGE-REQUEST), an RFC 3489 request as Debian's stun sends it, an error response, and
invalid mutations (truncations, bad length, bad FINGERPRINT, an attribute past the end or
after FINGERPRINT, a bad family, top bits set).
Run from anywhere: python3 tests/fuzz/gen_nat_stun_corpus.py (it replaces the folder).
"""
import binascii
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "nat_stun")
COOKIE = 0x2112A442
TX = bytes.fromhex("2112a442b7e7a701bc34d686fa87dfae")

R5769_REQ = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
    "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf")
R5769_V4 = bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96")
R5769_V6 = bytes.fromhex(
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf1"
    "1784c97c8292c275bfe3ed4180280004c8fb0b4c")


def attr(t, v):
    return struct.pack(">HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def msg(typ, attrs, fp=False, tx=TX):
    body = b"".join(attrs)
    if fp:
        hdr = struct.pack(">HH", typ, len(body) + 8) + tx
        crc = binascii.crc32(hdr + body) ^ 0x5354554E
        body += attr(0x8028, struct.pack(">I", crc))
    return struct.pack(">HH", typ, len(body)) + tx + body


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    seeds = {
        "rfc5769-request": R5769_REQ,
        "rfc5769-v4": R5769_V4,
        "rfc5769-v6": R5769_V6,
        "req-bare": msg(0x0001, []),
        "req-fp": msg(0x0001, [], fp=True),
        "req-software": msg(0x0001, [attr(0x8022, b"signpost")], fp=True),
        "req-padded": msg(0x0001, [attr(0x0026, b"\0" * 92)], fp=True),
        "req-change-both": msg(0x0001, [attr(0x0003, struct.pack(">I", 6))], fp=True),
        "req-change-port": msg(0x0001, [attr(0x0003, struct.pack(">I", 2))]),
        "req-unknown": msg(0x0001, [attr(0x7777, b"abcd"), attr(0x0024, b"\0\0\0\1")]),
        "req-3489": bytes.fromhex("00010008011bc77ae722a97b7444055fb149eb1e0003000400000000"),
        "req-3489-bare": bytes.fromhex("00010000011bc77ae722a97b7444055fb149eb1e"),
        "resp-error": msg(0x0111, [attr(0x0009, b"\0\0\x04\x14Unknown"),
                                   attr(0x000A, b"\x00\x24")]),
        "resp-other": msg(0x0101, [attr(0x0020, b"\0\1\xa1\x47\xe1\x12\xa6\x43"),
                                   attr(0x802C, b"\0\1\x0d\x97\xc0\0\2\x0b"),
                                   attr(0x802B, b"\0\1\x0d\x96\xc0\0\2\x0a")], fp=True),
        "indication": msg(0x0011, [], fp=True),
    }
    base = seeds["req-fp"]
    seeds["bad-cut1"] = base[:-1]
    seeds["bad-cut19"] = base[:19]
    seeds["bad-len"] = base[:2] + b"\0\x0c" + base[4:]
    bad = bytearray(base)
    bad[-1] ^= 1
    seeds["bad-fp"] = bytes(bad)
    seeds["bad-after-fp"] = msg(0x0001, [], fp=True)[:0] + (
        lambda m: m[:2] + struct.pack(">H", len(m) - 20 + 4) + m[4:] + attr(0x8022, b""))(base)
    seeds["bad-attr-long"] = struct.pack(">HH", 1, 8) + TX + struct.pack(">HH", 0x8022, 12) + b"abcd"
    seeds["bad-family"] = msg(0x0101, [attr(0x0020, b"\0\3\xa1\x47\xe1\x12\xa6\x43")])
    seeds["bad-v4-len"] = msg(0x0101, [attr(0x0020, b"\0\1\xa1\x47" + b"\0" * 16)])
    seeds["bad-topbits"] = b"\xc0" + base[1:]
    seeds["bad-change-len"] = msg(0x0001, [attr(0x0003, b"\0" * 8)])
    seeds["bad-empty"] = b""
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


main()
