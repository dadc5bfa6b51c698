#!/usr/bin/env python3
"""gen_dns_corpus.py - write the seed corpora for fuzz_dns_update and fuzz_dns_tsig.

Run from anywhere: python3 tests/fuzz/gen_dns_corpus.py.  Deterministic: the
same files every time (fixed time, fixed key, seeded RNG).
"""
import os, random, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dns"))
import tsigmsg as t  # noqa: E402

NOW = 1700000000
KEY = ("fuzz.key.", b"key-for-testing-only-32-bytes-long?")
Z = "alice.example."

UPDATES = {
    "add_a": ([], ["www.alice.example. 300 IN A 192.0.2.7"]),
    "add_aaaa": ([], ["phone.alice.example. 300 IN AAAA fd00::3"]),
    "add_txt": ([], ['nas.alice.example. 300 IN TXT "more"']),
    "add_two": ([], ["a.alice.example. 300 IN A 192.0.2.10", "b.alice.example. 300 IN A 192.0.2.11"]),
    "del_rr": ([], ["laptop.alice.example. 0 NONE AAAA fd00::1"]),
    "del_rrset": ([], ["laptop.alice.example. 0 ANY AAAA"]),
    "del_name": ([], ["nas.alice.example. 0 ANY ANY"]),
    "del_apex_all": ([], ["alice.example. 0 ANY ANY"]),
    "del_apex_ns": ([], ["alice.example. 0 ANY NS"]),
    "add_soa": ([], ["alice.example. 300 IN SOA"]),
    "add_outside": ([], ["www.bob.example. 300 IN A 192.0.2.1"]),
    "add_cname_conflict": ([], ["laptop.alice.example. 300 IN CNAME nas.alice.example."]),
    "add_cname": ([], ["alias.alice.example. 300 IN CNAME nas.alice.example."]),
    "pre_inuse": (["nas.alice.example. 0 ANY ANY"], ["x.alice.example. 300 IN A 192.0.2.9"]),
    "pre_notinuse": (["nas.alice.example. 0 NONE ANY"], ["x.alice.example. 300 IN A 192.0.2.9"]),
    "pre_exists": (["nas.alice.example. 0 ANY TXT"], ["x.alice.example. 300 IN A 192.0.2.9"]),
    "pre_notexists": (["nas.alice.example. 0 NONE TXT"], ["x.alice.example. 300 IN A 192.0.2.9"]),
    "pre_value": (["laptop.alice.example. 0 IN AAAA fd00::1", "laptop.alice.example. 0 IN AAAA fd00::2"],
                  ["y.alice.example. 300 IN A 192.0.2.8"]),
    "pre_value_partial": (["laptop.alice.example. 0 IN AAAA fd00::1"], []),
    "pre_badttl": (["nas.alice.example. 5 ANY ANY"], []),
    "pre_outside": (["bob.example. 0 ANY ANY"], []),
    "empty": ([], []),
}


def write(d, n, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, n), "wb") as f:
        f.write(data)


def raw_rr(owner, rtype, cls, ttl, rd):
    return t.name(owner) + struct.pack("!HHIH", rtype, cls, ttl, len(rd)) + rd


def odd_updates():
    """Hand-made messages: bad classes, meta types, odd counts, compression."""
    hdr = lambda qd, an, ns, ar: struct.pack("!HHHHHH", 7, 5 << 11, qd, an, ns, ar)
    zs = t.name(Z) + struct.pack("!HH", 6, 1)
    out = {
        "zcount0": hdr(0, 0, 1, 0) + raw_rr("a.alice.example.", 1, 1, 300, b"\xc0\0\2\1"),
        "zcount2": hdr(2, 0, 0, 0) + zs + zs,
        "zone_not_soa": hdr(1, 0, 0, 0) + t.name(Z) + struct.pack("!HH", 1, 1),
        "zone_class_ch": hdr(1, 0, 0, 0) + t.name(Z) + struct.pack("!HH", 6, 3),
        "class_ch": hdr(1, 0, 1, 0) + zs + raw_rr("a.alice.example.", 1, 3, 300, b"\xc0\0\2\1"),
        "type_axfr": hdr(1, 0, 1, 0) + zs + raw_rr("a.alice.example.", 252, 1, 300, b""),
        "any_with_rdata": hdr(1, 0, 1, 0) + zs + raw_rr("a.alice.example.", 1, 255, 0, b"\1\2\3\4"),
        "rrsig": hdr(1, 0, 1, 0) + zs + raw_rr("nas.alice.example.", 46, 255, 0, b""),
        "nsec": hdr(1, 0, 1, 0) + zs + raw_rr("nas.alice.example.", 47, 1, 300, t.name("z.alice.example.") + b"\0\1\x40"),
        "dnskey_apex": hdr(1, 0, 1, 0) + zs + raw_rr(Z, 48, 1, 300, b"\1\1\3\x0f" + bytes(32)),
        "dnskey_device": hdr(1, 0, 1, 0) + zs + raw_rr("nas.alice.example.", 48, 1, 300, b"\0\0\3\x0f" + bytes(32)),
        "compressed": hdr(1, 0, 1, 0) + zs + b"\3www\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + b"\xc0\0\2\1",
        "pointer_loop": hdr(1, 0, 1, 0) + zs + b"\xc0\x1e" + struct.pack("!HHIH", 1, 1, 300, 4) + b"\1\1\1\1",
        "forward_pointer": hdr(1, 0, 1, 0) + zs + b"\xc0\xff" + struct.pack("!HHIH", 1, 1, 300, 0),
        "rdlen_overrun": hdr(1, 0, 1, 0) + zs + raw_rr("a.alice.example.", 1, 1, 300, b"")[:-2] + b"\xff\xff",
        "many_counts": hdr(1, 0xffff, 0xffff, 0xffff) + zs,
        "label_64": hdr(1, 0, 1, 0) + zs + b"\x40" + b"a" * 64 + b"\0" + struct.pack("!HHIH", 1, 1, 0, 0),
        "long_name": hdr(1, 0, 1, 0) + zs + (b"\x3f" + b"b" * 63) * 4 + b"\0" + struct.pack("!HHIH", 1, 1, 0, 0),
        "qr_set": struct.pack("!HHHHHH", 7, 0x8000 | 5 << 11, 1, 0, 0, 0) + zs,
        "opcode_query": struct.pack("!HHHHHH", 7, 0, 1, 0, 0, 0) + zs,
        "opcode_notify": struct.pack("!HHHHHH", 7, 4 << 11, 1, 0, 0, 0) + zs,
    }
    return out


def main():
    rnd = random.Random(1)
    upd = os.path.join(HERE, "corpus", "dns_update")
    tsd = os.path.join(HERE, "corpus", "dns_tsig")
    msgs = {}
    for n, (pre, ups) in UPDATES.items():
        msgs[n] = t.update(Z, pre, ups)
    msgs.update(odd_updates())
    for n, m in sorted(msgs.items()):
        write(upd, "sign_" + n, b"\1" + m)           # harness signs it
        if struct.unpack("!H", m[10:12])[0] == 0xffff:
            continue                                 # no room for a TSIG RR
        s = t.sign(m, KEY[0], KEY[1], NOW)
        write(upd, "signed_" + n, b"\0" + s)         # already signed
        write(tsd, "signed_" + n, s)
    m = msgs["add_a"]
    cases = {
        "unsigned": m,
        "wrong_secret": t.sign(m, KEY[0], b"another-secret-of-some-length!!", NOW),
        "wrong_key": t.sign(m, "other.key.", KEY[1], NOW),
        "stale": t.sign(m, KEY[0], KEY[1], NOW - 3600),
        "future": t.sign(m, KEY[0], KEY[1], NOW + 3600),
        "upper_key": t.sign(m, "FUZZ.Key.", KEY[1], NOW),
        "alg_md5": t.sign(m, KEY[0], KEY[1], NOW, alg="hmac-md5.sig-alg.reg.int"),
        "fudge0": t.sign(m, KEY[0], KEY[1], NOW, fudge=0),
    }
    good = t.sign(m, KEY[0], KEY[1], NOW)
    tsig_at = len(m)
    # MAC size field and MAC variants: truncated, too long, zero.
    keylen = len(t.name(KEY[0]))
    macsz_at = tsig_at + keylen + 10 + len(t.name("hmac-sha256")) + 8
    def with_mac(mac):
        body = good[:macsz_at] + struct.pack("!H", len(mac)) + mac + good[macsz_at + 2 + 32:]
        rdlen_at = tsig_at + keylen + 8
        rdlen = len(body) - (rdlen_at + 2)
        return body[:rdlen_at] + struct.pack("!H", rdlen) + body[rdlen_at + 2:]
    mac = good[macsz_at + 2:macsz_at + 34]
    cases["mac_trunc16"] = with_mac(mac[:16])
    cases["mac_trunc8"] = with_mac(mac[:8])
    cases["mac_long"] = with_mac(mac + mac[:8])
    cases["mac_empty"] = with_mac(b"")
    cases["tsig_not_last"] = good[:10] + struct.pack("!H", 2) + good[12:] + \
        raw_rr("x.alice.example.", 1, 1, 0, b"\1\2\3\4")
    cases["two_tsig"] = good[:10] + struct.pack("!H", 2) + good[12:] + good[tsig_at:]
    cases["tsig_class_in"] = good[:tsig_at + keylen + 2] + b"\0\1" + good[tsig_at + keylen + 4:]
    cases["other_len_big"] = good[:-2] + b"\xff\xff"
    for n, c in cases.items():
        write(upd, "case_" + n, b"\0" + c)
        write(tsd, "case_" + n, c)
    # Replies as a NOTIFY sender sees them, and transfer queries.
    notify_reply = struct.pack("!HHHHHH", 0x4242, 0x8000 | 4 << 11 | 0x400, 1, 0, 0, 0) + \
        t.name(Z) + struct.pack("!HH", 6, 1)
    write(tsd, "notify_reply_unsigned", notify_reply)
    write(tsd, "notify_reply_signed", t.sign(notify_reply, KEY[0], KEY[1], NOW))
    for qt, n in ((252, "axfr"), (251, "ixfr")):
        q = struct.pack("!HHHHHH", 9, 0, 1, 0, 0, 0) + t.name(Z) + struct.pack("!HH", qt, 1)
        write(tsd, "query_" + n, q)
        write(tsd, "query_signed_" + n, t.sign(q, KEY[0], KEY[1], NOW))
    # Transfer queries for the update harness (mode bit 1: xfr, bit 2: TCP).
    soa = raw_rr(Z, 6, 1, 0, t.name("ns1." + Z) + t.name("h." + Z) + struct.pack("!IIIII", 1, 1, 1, 1, 1))
    xfrs = {
        "axfr": struct.pack("!HHHHHH", 9, 0, 1, 0, 0, 0) + t.name(Z) + struct.pack("!HH", 252, 1),
        "ixfr_old": struct.pack("!HHHHHH", 9, 0, 1, 0, 1, 0) + t.name(Z) + struct.pack("!HH", 251, 1) + soa,
        "ixfr_nosoa": struct.pack("!HHHHHH", 9, 0, 1, 0, 0, 0) + t.name(Z) + struct.pack("!HH", 251, 1),
        "axfr_other_zone": struct.pack("!HHHHHH", 9, 0, 1, 0, 0, 0) + t.name("bob.example.") + struct.pack("!HH", 252, 1),
        "axfr_class_ch": struct.pack("!HHHHHH", 9, 0, 1, 0, 0, 0) + t.name(Z) + struct.pack("!HH", 252, 3),
    }
    for n, q in xfrs.items():
        write(upd, "xfr_tcp_signed_" + n, b"\7" + q)     # harness signs, TCP
        write(upd, "xfr_udp_signed_" + n, b"\3" + q)     # harness signs, UDP
        write(upd, "xfr_tcp_unsigned_" + n, b"\6" + q)
        write(upd, "xfr_tcp_stale_" + n, b"\6" + t.sign(q, KEY[0], KEY[1], NOW - 3600))
    # Truncations and bit flips of a good signed UPDATE, and noise.
    for i, cut in enumerate((0, 1, 11, 12, 20, tsig_at, tsig_at + 5, len(good) - 40, len(good) - 1)):
        write(upd, "cut_%02d" % i, b"\0" + good[:cut])
        write(tsd, "cut_%02d" % i, good[:cut])
    for i in range(8):
        b = bytearray(good)
        b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
        write(upd, "flip_%02d" % i, b"\0" + bytes(b))
        write(tsd, "flip_%02d" % i, bytes(b))
    for i in range(4):
        noise = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))
        write(upd, "noise_%02d" % i, noise)
        write(tsd, "noise_%02d" % i, noise)
    write(upd, "empty", b"")
    write(tsd, "empty", b"")


if __name__ == "__main__":
    main()
