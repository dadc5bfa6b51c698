#!/usr/bin/env python3
"""Write the seed corpus of fuzz_dns_query (tests/fuzz/corpus/dns_query/).

Valid queries of many kinds plus malformed ones.  Run from anywhere:
    python3 tests/fuzz/gen_dns_query_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "dns_query")


def name(s):
    b = b""
    for label in s.strip(".").split("."):
        if label:
            b += bytes([len(label)]) + label.encode()
    return b + b"\0"


def opt(payload=1232, do=False, version=0, co=False, extra=b""):
    flags = (0x8000 if do else 0) | (0x4000 if co else 0)
    ttl = (version << 16) | flags
    return b"\0" + struct.pack(">HHIH", 41, payload, ttl, len(extra)) + extra


def query(qname, qtype, qid=0x1234, flags=0x0100, edns=None, qd=1, an=0, ns=0, extra=b"",
          arcount=None, qclass=1):
    ar = (1 if edns is not None else 0) if arcount is None else arcount
    h = struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)
    q = name(qname) + struct.pack(">HH", qtype, qclass)
    return h + q + extra + (edns or b"")


seeds = {}
Z = "example.test."
for t, tn in [(1, "a"), (28, "aaaa"), (48, "dnskey"), (6, "soa"), (2, "ns"), (16, "txt"),
              (5, "cname"), (255, "any"), (46, "rrsig"), (47, "nsec"), (43, "ds")]:
    seeds[f"apex_{tn}_do"] = query(Z, t, edns=opt(do=True))
    seeds[f"nas_{tn}"] = query("nas." + Z, t)
for n in ["nas", "NaS", "www", "deep", "x.deep", "big", "nope", "a.b.c.nope", "*", "ns1"]:
    seeds[f"name_{n.replace('*', 'star')}_do"] = query(n + "." + Z, 28, edns=opt(do=True))
seeds["big_txt_noedns"] = query("big." + Z, 16)
seeds["big_txt_512"] = query("big." + Z, 16, edns=opt(512, do=True))
seeds["nx_co"] = query("nope." + Z, 1, edns=opt(do=True, co=True))
seeds["outside"] = query("example.com.", 1, edns=opt())
seeds["root"] = query(".", 2)
seeds["class_ch"] = query("version.bind.", 16, qclass=3)
seeds["axfr"] = query(Z, 252)
seeds["ixfr"] = query(Z, 251)
seeds["opt_qtype"] = query(Z, 41)
seeds["badvers"] = query(Z, 6, edns=opt(version=1))
seeds["payload_small"] = query(Z, 48, edns=opt(payload=100, do=True))
seeds["payload_max"] = query(Z, 48, edns=opt(payload=65535, do=True))
seeds["opt_with_cookie"] = query(Z, 6, edns=opt(extra=struct.pack(">HH", 10, 8) + b"\x01" * 8))
seeds["notify"] = query(Z, 6, flags=0x2000)
seeds["update"] = query(Z, 6, flags=0x2800)
seeds["status_opcode"] = query(Z, 6, flags=0x1000)
seeds["cd_bit"] = query("nas." + Z, 28, flags=0x0110, edns=opt(do=True))
# malformed
seeds["empty"] = b""
seeds["short_header"] = b"\x12\x34\x01"
seeds["header_only_qd1"] = struct.pack(">HHHHHH", 1, 0x100, 1, 0, 0, 0)
seeds["qd0"] = struct.pack(">HHHHHH", 1, 0x100, 0, 0, 0, 0)
seeds["qd2"] = query(Z, 1, qd=2)
seeds["response"] = query(Z, 1, flags=0x8100)
seeds["qname_ptr_self"] = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c\0\1\0\1"
seeds["qname_ptr_fwd"] = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x20\0\1\0\1"
seeds["label_overrun"] = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x3fabc"
seeds["label_0x40"] = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x41a\0\0\1\0\1"
seeds["name_too_long"] = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + (b"\x3f" + b"x" * 63) * 5 + b"\0\0\1\0\1"
seeds["trunc_qtype"] = query(Z, 1)[:-3]
seeds["two_opt"] = query(Z, 1, edns=opt() + opt(), arcount=2)
seeds["opt_not_root"] = query(Z, 1, edns=b"\1a\0" + opt()[1:], arcount=1)
seeds["opt_truncated"] = query(Z, 1, edns=opt())[:-4]
seeds["opt_rdlen_over"] = query(Z, 1, edns=b"\0" + struct.pack(">HHIH", 41, 1232, 0, 500))
seeds["arcount_lies"] = query(Z, 1, arcount=5)
seeds["ancount_lies"] = query(Z, 1, an=3)
seeds["an_ptr_loop"] = query(Z, 1, an=1, extra=b"\xc0\x22\xc0\x20" + b"\0" * 10)
seeds["tsig_not_last"] = query(Z, 6, arcount=2, extra=b"\1k\0" + struct.pack(">HHIH", 250, 255, 0, 0) + opt())
seeds["tsig_last"] = query(Z, 6, arcount=1, extra=b"\1k\0" + struct.pack(">HHIH", 250, 255, 0, 0))
seeds["garbage"] = bytes(range(256))
seeds["zeros"] = b"\0" * 64
seeds["ff"] = b"\xff" * 64

os.makedirs(OUT, exist_ok=True)
for k, v in seeds.items():
    with open(os.path.join(OUT, k), "wb") as f:
        f.write(v)
print(f"{len(seeds)} seeds in {OUT}")
