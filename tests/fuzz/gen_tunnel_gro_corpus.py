#!/usr/bin/env python3
"""gen_tunnel_gro_corpus.py - seeds for fuzz_tunnel_gro (tests/fuzz/corpus/tunnel_gro/).

Each seed: flags (bit 0 vnet_hdr, bit 1 flush after each packet), mss (2),
checksum start (2) and offset (1), then packets as a 2-byte big-endian
length and the bytes: runs of mergeable TCP/IPv4 and TCP/IPv6 segments,
super-packets for the TSO cut, and malformed packets.  Deterministic.
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "tunnel_gro")
ACK, PSH, SYN, FIN, RST, CWR = 0x10, 0x08, 0x02, 0x01, 0x04, 0x80


def tcp(seq, flags=ACK, payload=b"", opts=b"", sport=40000, dport=5201, ack=1000, win=512):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack, off << 4, flags, win, 0, 0) + opts + payload


def v4(seg, src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02", ident=1, frag=0x4000, opts=b"",
       proto=6, total=None, ttl=64):
    ihl = (20 + len(opts)) // 4
    tl = total if total is not None else 4 * ihl + len(seg)
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, ident, frag, ttl, proto, 0, src, dst) + opts + seg


def v6(seg, src=b"\xfd" + bytes(14) + b"\x01", dst=b"\xfd" + bytes(14) + b"\x02", nh=6, plen=None):
    pl = plen if plen is not None else len(seg)
    return struct.pack("!IHBB16s16s", 0x60000000, pl, nh, 64, src, dst) + seg


def seed(name, pkts, flags=1, mss=1000, cstart=20, coff=16):
    body = struct.pack("!BHHB", flags, mss, cstart, coff)
    for p in pkts:
        body += struct.pack("!H", len(p) & 0xffff) + p
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(body)


def run(ipf, n, size, seq=1, last_flags=ACK | PSH, **kw):
    out = []
    for i in range(n):
        fl = last_flags if i == n - 1 else ACK
        out.append(ipf(tcp(seq, fl, bytes([i & 0xff]) * size, **kw)))
        seq += size
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    ts = b"\x01\x01\x08\x0a" + bytes(8)  # NOP NOP timestamp
    # mergeable runs
    seed("v4-run", run(v4, 8, 1000))
    seed("v6-run", run(v6, 8, 1000), cstart=40)
    seed("v4-run-ts", run(v4, 6, 1200, opts=ts))
    seed("v6-run-ts", run(v6, 6, 1200, opts=ts), cstart=40)
    seed("v4-run-short-last", run(v4, 4, 1000)[:3] + [v4(tcp(3001, ACK | PSH, b"x" * 10))])
    seed("v4-run-noflush", run(v4, 5, 1400), flags=1)
    seed("v4-run-flush-each", run(v4, 5, 1400), flags=3)
    seed("v4-run-no-vnet", run(v4, 5, 1400), flags=0)
    seed("v4-64-segs", run(v4, 70, 900))
    seed("v4-near-64k", run(v4, 50, 1400))
    seed("v6-max-seg", run(v6, 2, 65535 - 60 - 40) , cstart=40)
    seed("v4-two-flows", [v4(tcp(1, payload=b"a" * 500)), v4(tcp(1, payload=b"b" * 500, sport=1)),
                          v4(tcp(501, payload=b"a" * 500))])
    seed("v4-gap", [v4(tcp(1, payload=b"a" * 500)), v4(tcp(1001, payload=b"a" * 500))])
    seed("v4-dup", [v4(tcp(1, payload=b"a" * 500))] * 3)
    seed("v4-bigger-next", [v4(tcp(1, payload=b"a" * 500)), v4(tcp(501, payload=b"a" * 900))])
    seed("v4-psh-middle", [v4(tcp(1, ACK | PSH, b"a" * 500)), v4(tcp(501, payload=b"a" * 500))])
    seed("v4-then-v6", [v4(tcp(1, payload=b"a" * 500)), v6(tcp(501, payload=b"a" * 500))])
    seed("v4-ttl-change", [v4(tcp(1, payload=b"a" * 500)), v4(tcp(501, payload=b"a" * 500), ttl=3)])
    seed("v4-opts-change", [v4(tcp(1, payload=b"a" * 500, opts=ts)),
                            v4(tcp(501, payload=b"a" * 500, opts=b"\x01\x01\x08\x0a" + b"\x01" * 8))])
    seed("v4-win-change", [v4(tcp(1, payload=b"a" * 500)), v4(tcp(501, payload=b"a" * 500, win=9))])
    seed("v4-seq-wrap", run(v4, 4, 1000, seq=0xfffffc00))
    # not mergeable, written as they are
    seed("v4-syn", [v4(tcp(1, SYN)), v4(tcp(1, SYN | ACK, b"x"))])
    seed("v4-fin-rst", [v4(tcp(1, ACK | FIN, b"x" * 100)), v4(tcp(101, RST | ACK, b"x" * 100))])
    seed("v4-pure-ack", [v4(tcp(1)), v4(tcp(1))])
    seed("v4-fragment", [v4(tcp(1, payload=b"a" * 500), frag=0x2000), v4(tcp(1, payload=b"a" * 500), frag=0x0010)])
    seed("v4-options", [v4(tcp(1, payload=b"a" * 500), opts=b"\x01" * 4)] * 2)
    seed("v4-udp", [v4(b"\x00\x35\x00\x35\x00\x10\x00\x00" + b"q" * 8, proto=17)])
    seed("v6-exthdr", [v6(b"\x06\x00" + bytes(6) + tcp(1, payload=b"a" * 100), nh=0)], cstart=40)
    seed("v6-udp", [v6(b"\x00\x35\x00\x35\x00\x10\x00\x00" + b"q" * 8, nh=17)], cstart=40)
    # malformed
    seed("empty-packets", [b"", b"", b"\x45"])
    seed("short-v4", [v4(tcp(1, payload=b"a" * 100))[:19], v4(tcp(1, payload=b"a" * 100))[:30]])
    seed("short-v6", [v6(tcp(1, payload=b"a" * 100))[:39], v6(tcp(1, payload=b"a" * 100))[:50]])
    seed("v4-total-long", [v4(tcp(1, payload=b"a" * 100), total=4000)])
    seed("v4-total-short", [v4(tcp(1, payload=b"a" * 100), total=20)])
    seed("v6-plen-long", [v6(tcp(1, payload=b"a" * 100), plen=60000)], cstart=40)
    seed("v6-plen-zero", [v6(tcp(1, payload=b"a" * 100), plen=0)], cstart=40)
    bad_ihl = bytearray(v4(tcp(1, payload=b"a" * 100)))
    bad_ihl[0] = 0x4f
    seed("v4-ihl-15", [bytes(bad_ihl)])
    bad_ihl[0] = 0x41
    seed("v4-ihl-1", [bytes(bad_ihl)])
    doff = bytearray(v4(tcp(1, payload=b"a" * 10)))
    doff[32] = 0xf0
    seed("tcp-doff-past-end", [bytes(doff)])
    doff[32] = 0x10
    seed("tcp-doff-small", [bytes(doff)])
    seed("version-5", [b"\x50" + bytes(59)])
    seed("garbage", [bytes(range(256)) * 3])
    # super-packets for tun__tso_build (mss from the header)
    seed("tso-v4", [v4(tcp(1, ACK | PSH, bytes(range(256)) * 200))], mss=1400)
    seed("tso-v6", [v6(tcp(1, ACK | PSH | FIN, bytes(range(256)) * 200, opts=ts))], mss=1388, cstart=40)
    seed("tso-v4-cwr", [v4(tcp(1, ACK | CWR, b"z" * 5000))], mss=1000)
    seed("tso-mss-1", [v4(tcp(1, ACK, b"z" * 300))], mss=1)
    seed("tso-mss-huge", [v4(tcp(1, ACK, b"z" * 3000))], mss=65535)
    seed("tso-mss-0", [v4(tcp(1, ACK, b"z" * 3000))], mss=0)
    seed("tso-v4-opts40", [v4(tcp(1, ACK, b"z" * 3000), opts=b"\x01" * 20)], mss=1000)
    seed("tso-header-only", [v4(tcp(1, ACK))], mss=1000)
    seed("tso-v4-max", [v4(tcp(1, ACK, b"m" * (65535 - 40)))], mss=1448)
    # checksum completion offsets
    seed("csum-end", [v4(tcp(1, payload=b"a" * 100))], cstart=138, coff=0)
    seed("csum-past", [v4(tcp(1, payload=b"a" * 100))], cstart=0xffff, coff=255)
    seed("csum-odd", [v4(tcp(1, payload=b"a" * 101))], cstart=21, coff=16)
    return 0


if __name__ == "__main__":
    sys.exit(main())
