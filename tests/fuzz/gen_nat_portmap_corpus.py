#!/usr/bin/env python3
"""Write the seed corpora of fuzz_nat_natpmp and fuzz_nat_pcp (tests/fuzz/corpus/nat_*/).

Run from the repository root: python3 tests/fuzz/gen_nat_portmap_corpus.py
"""
import os
import struct

def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

N = "tests/fuzz/corpus/nat_natpmp"
write(N, "addr-ok", struct.pack(">BBHI4s", 0, 128, 0, 1000, bytes([198, 51, 100, 7])))
write(N, "map-udp-ok", struct.pack(">BBHIHHI", 0, 129, 0, 1000, 51820, 51820, 7200))
write(N, "map-tcp-ok", struct.pack(">BBHIHHI", 0, 130, 0, 5, 22, 2222, 3600))
write(N, "map-deleted", struct.pack(">BBHIHHI", 0, 129, 0, 9, 51820, 0, 0))
write(N, "err-refused", struct.pack(">BBHIHHI", 0, 129, 2, 9, 51820, 0, 0))
write(N, "err-bare-opcode", struct.pack(">BBHI", 0, 131, 5, 9))
write(N, "err-bare-version", struct.pack(">BBHI", 0, 128, 1, 9))
write(N, "bad-bare-success", struct.pack(">BBHI", 0, 129, 0, 9))
write(N, "bad-version", struct.pack(">BBHIHHI", 2, 129, 0, 9, 1, 1, 1))
write(N, "bad-request", struct.pack(">BBHHHI", 0, 1, 0, 51820, 51820, 7200))
write(N, "bad-long", struct.pack(">BBHIHHI", 0, 129, 0, 9, 1, 1, 1) + b"\0")
write(N, "bad-short", struct.pack(">BBHI", 0, 128, 0, 9) + b"\1\2")
write(N, "bad-empty", b"")

P = "tests/fuzz/corpus/nat_pcp"
nonce = bytes(range(1, 13))
ext = bytes(10) + b"\xff\xff" + bytes([198, 51, 100, 7])
def hdr(result, lifetime, epoch, op=0x81, ver=2):
    return struct.pack(">BBBBII", ver, op, 0, result, lifetime, epoch) + bytes(12)
def mapbody(port=51820, eport=51820, proto=17, addr=ext):
    return nonce + struct.pack(">B3xHH", proto, port, eport) + addr
write(P, "map-ok", hdr(0, 7200, 1000) + mapbody())
write(P, "map-other-port", hdr(0, 120, 5) + mapbody(eport=40000))
write(P, "map-v6", hdr(0, 120, 5) + mapbody(addr=bytes([0x20, 1, 0xd, 0xb8]) + bytes(11) + b"\1"))
write(P, "map-option", hdr(0, 7200, 1000) + mapbody() + struct.pack(">BBH", 1, 0, 20) + bytes(20))
write(P, "map-option-pad", hdr(0, 7200, 1000) + mapbody() + struct.pack(">BBH", 0x82, 0, 3) + b"abc\0")
write(P, "err-mismatch", hdr(12, 30, 1000) + mapbody(eport=0, addr=bytes(16)))
write(P, "err-bare-version", hdr(1, 0, 1000))
write(P, "err-noresources", hdr(8, 30, 1000) + mapbody(eport=0))
write(P, "bad-bare-success", hdr(0, 0, 1000))
write(P, "bad-request", hdr(0, 7200, 0, op=1) + mapbody())
write(P, "bad-version", hdr(0, 7200, 0, ver=1) + mapbody())
write(P, "bad-opcode", hdr(0, 7200, 0, op=0x82) + mapbody())
write(P, "bad-option-long", hdr(0, 7200, 1000) + mapbody() + struct.pack(">BBH", 1, 0, 24) + bytes(20))
write(P, "bad-unaligned", hdr(0, 7200, 1000) + mapbody() + b"\0\0")
write(P, "bad-short-map", hdr(0, 7200, 1000) + mapbody()[:20])
write(P, "natpmp-unsupp", struct.pack(">BBHI", 0, 129, 1, 9))
write(P, "bad-empty", b"")
