#!/usr/bin/env python3
"""tsigmsg.py - build DNS UPDATE messages with a TSIG (HMAC-SHA256) at any time.

Used by test_nsupdate.sh (a stale timestamp that nsupdate cannot make) and by
gen_corpus.py (fuzz seeds).  Stdlib only.

  tsigmsg.py update KEYFILE ZONE 'NAME TTL CLASS TYPE RDATA' [--time T] [--secret B64]
             [--server A --port P]
    sends the UPDATE over UDP and prints the answer's RCODE and TSIG error names.
"""
import base64, hmac, hashlib, ipaddress, re, socket, struct, sys, time

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE"}
TSIG_ERRORS = {0: "NOERROR", 16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC"}
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28, "DNSKEY": 48,
         "RRSIG": 46, "NSEC": 47, "ANY": 255}
CLASSES = {"IN": 1, "NONE": 254, "ANY": 255}


def name(n):
    n = n.rstrip(".")
    out = b""
    for label in n.split(".") if n else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(rtype, text):
    if not text:
        return b""
    if rtype == 1:
        return ipaddress.IPv4Address(text).packed
    if rtype == 28:
        return ipaddress.IPv6Address(text).packed
    if rtype == 16:
        s = text.strip('"').encode()
        return bytes([len(s)]) + s
    if rtype in (2, 5):
        return name(text)
    raise ValueError("type not supported here")


def rr(text):
    """'owner ttl class type [rdata]' -> wire."""
    f = text.split(None, 4)
    rtype = TYPES[f[3]]
    rd = rdata(rtype, f[4] if len(f) > 4 else "")
    return name(f[0]) + struct.pack("!HHIH", rtype, CLASSES[f[2]], int(f[1]), len(rd)) + rd


def update(zone, prereqs=(), updates=(), msgid=4242):
    hdr = struct.pack("!HHHHHH", msgid, 5 << 11, 1, len(prereqs), len(updates), 0)
    body = name(zone) + struct.pack("!HH", 6, 1)
    for r in prereqs:
        body += rr(r)
    for r in updates:
        body += rr(r)
    return hdr + body


def sign(msg, keyname, secret, t=None, fudge=300, alg="hmac-sha256"):
    """Append a TSIG RR signed at time t (default now); see sign_mac for the MAC."""
    return sign_mac(msg, keyname, secret, t, fudge, alg)[0]


def sign_mac(msg, keyname, secret, t=None, fudge=300, alg="hmac-sha256"):
    """Append a TSIG RR signed at time t (default now); returns (message, MAC)."""
    t = int(time.time()) if t is None else t
    kn, an = name(keyname.lower()), name(alg)
    msgid = struct.unpack("!H", msg[:2])[0]
    tvars = kn + struct.pack("!HI", 255, 0) + an + struct.pack("!HIHHH", t >> 32, t & 0xffffffff,
                                                               fudge, 0, 0)
    mac = hmac.new(secret, msg + tvars, hashlib.sha256).digest()
    rd = an + struct.pack("!HIHH", t >> 32, t & 0xffffffff, fudge, len(mac)) + mac + \
        struct.pack("!HHH", msgid, 0, 0)
    tsig = kn + struct.pack("!HHIH", 250, 255, 0, len(rd)) + rd
    ar = struct.unpack("!H", msg[10:12])[0]
    return msg[:10] + struct.pack("!H", ar + 1) + msg[12:] + tsig, mac


def load_key(path):
    text = open(path).read()
    kn = re.search(r'key\s+"?([^"\s{]+)"?\s*\{', text).group(1)
    secret = re.search(r'secret\s+"([^"]+)"', text).group(1)
    return kn, base64.b64decode(secret)


def skip_name(m, o):
    while True:
        l = m[o]
        if l & 0xc0 == 0xc0:
            return o + 2
        o += 1 + l
        if l == 0:
            return o


def answer_info(m, secret=None, req_mac=None):
    """RCODE name, TSIG error name ('-' without TSIG), and whether the TSIG
    MAC of the answer verifies against the request MAC ('yes', 'no' for an
    empty MAC, 'bad', '-')."""
    rcode = RCODES.get(m[3] & 0xf, str(m[3] & 0xf))
    qd, an, ns, ar = struct.unpack("!HHHH", m[4:12])
    o = 12
    for _ in range(qd):
        o = skip_name(m, o) + 4
    err, signed = "-", "-"
    for _ in range(an + ns + ar):
        start = o
        o = skip_name(m, o)
        rtype, _, _, rdlen = struct.unpack("!HHIH", m[o:o + 10])
        rd = m[o + 10:o + 10 + rdlen]
        if rtype == 250:
            # Names in our answers are never compressed: take them as they are.
            kn, alg_end = m[start:o], skip_name(rd, 0)
            p = alg_end + 8
            maclen = struct.unpack("!H", rd[p:p + 2])[0]
            mac = rd[p + 2:p + 2 + maclen]
            q = p + 2 + maclen
            orig, e, olen = struct.unpack("!HHH", rd[q:q + 6])
            err = TSIG_ERRORS.get(e, str(e))
            signed = "no" if maclen == 0 else "bad"
            if maclen and secret is not None and req_mac is not None:
                body = struct.pack("!H", orig) + m[2:10] + struct.pack("!H", ar - 1) + m[12:start]
                tvars = kn.lower() + struct.pack("!HI", 255, 0) + rd[:alg_end].lower() + \
                    rd[alg_end:alg_end + 8] + struct.pack("!HH", e, olen) + rd[q + 6:q + 6 + olen]
                want = hmac.new(secret, struct.pack("!H", len(req_mac)) + req_mac + body + tvars,
                                hashlib.sha256).digest()
                signed = "yes" if hmac.compare_digest(want, mac) else "bad"
        o += 10 + rdlen
    return rcode, err, signed


def main(argv):
    if len(argv) < 5 or argv[1] != "update":
        print(__doc__)
        return 2
    keyfile, zone, record = argv[2], argv[3], argv[4]
    opts = dict(zip(argv[5::2], argv[6::2]))
    kn, secret = load_key(keyfile)
    if "--secret" in opts:      # sign with another secret under the same key name
        secret = base64.b64decode(opts["--secret"])
    t = int(opts["--time"]) if "--time" in opts else None
    msg, mac = sign_mac(update(zone, updates=[record]), kn, secret, t)
    fam = socket.AF_INET6 if ":" in opts.get("--server", "127.0.0.1") else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(msg, (opts.get("--server", "127.0.0.1"), int(opts.get("--port", "53"))))
    ans = s.recv(65535)
    print("rcode=%s tsig=%s signed=%s" % answer_info(ans, secret, mac))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
