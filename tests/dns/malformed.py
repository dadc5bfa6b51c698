#!/usr/bin/python3
"""malformed.py - hostile packets against a running signpostd (issue 3).

Used by test_malformed.sh.  Sends a few thousand malformed and hostile DNS
messages over UDP and TCP to ADDR:PORT and checks, packet by packet, what the
server may and may not answer:
  - nothing to a packet shorter than a header, nor to a packet with QR=1
    (an answer to an answer is how reflection loops start);
  - any answer is a well-formed response (QR=1) carrying the query's ID, no
    larger than 512 bytes on UDP for a query without OPT, 1232 with one;
  - FORMERR for a question that cannot be parsed, NOTIMP for unknown opcodes,
    BADVERS (extended RCODE 16) for EDNS version 1.
UDP packets go in small batches on a fresh socket, each batch followed by a
normal query (the sentinel): the server answers in order, so everything it
answered in the batch has arrived when the sentinel's answer has; no timing
is assumed.  TCP: frames with bad lengths, garbage, half-closes, and more
silent connections than [dns] tcp-clients.
Usage: malformed.py ADDR PORT ZONE TCP_CLIENTS TCP_IDLE_TIMEOUT SEED
Exit status 0 when every check passed; prints one line per category.
"""
import random
import socket
import struct
import sys
import time

ADDR, PORT, ZONE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TCP_CLIENTS, IDLE, SEED = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
DEADLINE = time.monotonic() + 240   # the whole run, whatever happens
rnd = random.Random(SEED)
errors = []
stats = {}

FORMERR, NOTIMP, BADVERS = 1, 4, 16
T_A, T_AAAA, T_SOA, T_OPT, T_TSIG, T_AXFR, T_ANY = 1, 28, 6, 41, 250, 252, 255


def fail(msg):
    errors.append(msg)
    if len(errors) <= 20:
        print("malformed.py: FAIL: " + msg, flush=True)


def check_time():
    if time.monotonic() > DEADLINE:
        fail("time budget exceeded")
        report()


def wname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qid, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def opt(payload=1232, version=0, do=True, rdata=b"", rdlen=None):
    ttl = (version << 16) | (0x8000 if do else 0)
    n = len(rdata) if rdlen is None else rdlen
    return b"\0" + struct.pack("!HHIH", T_OPT, payload, ttl, n) + rdata


def question(name=None, qtype=T_AAAA, qclass=1):
    return wname(name or ("dev.%s" % ZONE)) + struct.pack("!HH", qtype, qclass)


def query(qid, name=None, qtype=T_AAAA, flags=0, edns=True, qclass=1):
    return (header(qid, flags, 1, 0, 0, 1 if edns else 0) + question(name, qtype, qclass) +
            (opt() if edns else b""))


# --- the categories: each yields (packet, expectation, has_opt) ---
# expectation: "drop" (no answer allowed), "formerr", "notimp", "badvers", "any"

def c_short(qid):
    n = rnd.randrange(0, 12)
    p = bytes(rnd.randrange(256) for _ in range(n))
    if n >= 2:
        p = struct.pack("!H", qid) + p[2:]         # our ID, so any answer is traced
    if n >= 3:
        p = p[:2] + bytes([p[2] & 0x7f]) + p[3:]   # QR=0: a query, only too short
    return p, "drop", False


def c_labels(qid):
    kind = rnd.randrange(5)
    h = header(qid)
    if kind == 0:     # label longer than what follows
        body = bytes([rnd.randrange(20, 64)]) + b"abc"
    elif kind == 1:   # label length with reserved high bits 01/10
        body = bytes([rnd.choice([0x40, 0x41, 0x7f, 0x80, 0xbf])]) + b"abcd\0" + b"\0\x1c\0\x01"
    elif kind == 2:   # name longer than 255 octets
        body = (b"\x3f" + b"a" * 63) * 5 + b"\0" + b"\0\x1c\0\x01"
    elif kind == 3:   # no terminating root label
        body = b"\x03dev\x05bench"
    else:             # 128 labels of one octet, then garbage
        body = b"\x01x" * 128 + bytes(rnd.randrange(256) for _ in range(8))
    return h + body, "formerr", False


def c_compression(qid):
    kind = rnd.randrange(6)
    h = header(qid)
    if kind == 0:     # pointer to itself
        body = b"\xc0\x0c"
    elif kind == 1:   # two labels pointing at each other
        body = b"\x01a\xc0\x0c"
    elif kind == 2:   # forward pointer
        body = b"\xc0\x20" + b"\0" * 30 + b"\x03dev\0"
    elif kind == 3:   # pointer out of range
        body = b"\xc0" + bytes([rnd.randrange(0x40, 0xff)])
    elif kind == 4:   # pointer into the header
        body = bytes([0xc0, rnd.randrange(0, 12)])
    else:             # loop through a later label
        body = b"\x03dev\xc0\x0c"
    return h + body + b"\0\x1c\0\x01", "formerr", False


def c_qdcount(qid):
    kind = rnd.randrange(4)
    q = question()
    if kind == 0:
        return header(qid, qd=0), "formerr", False
    if kind == 1:
        return header(qid, qd=0, ar=1) + opt(), "formerr", True
    if kind == 2:
        return header(qid, qd=2) + q + question("x.%s" % ZONE, T_A), "formerr", False
    return header(qid, qd=65535) + q, "formerr", False


def c_counts(qid):
    kind = rnd.randrange(4)
    q = question()
    if kind == 0:     # huge ARCOUNT, one OPT present
        return header(qid, ar=65535) + q + opt(), "formerr", True
    if kind == 1:     # huge ARCOUNT, nothing there
        return header(qid, ar=rnd.randrange(2, 65536)) + q, "formerr", False
    if kind == 2:     # answer and authority records claimed but absent
        return header(qid, an=65535, ns=65535) + q, "any", False
    return header(qid, an=1) + q + b"\xc0\x0c\0\x01\0\x01\0\0\0\x3c\x00\x04", "any", False


def c_opt(qid):
    kind = rnd.randrange(6)
    h, q = header(qid, ar=1), question()
    if kind == 0:     # RDLEN past the end
        return h + q + opt(rdlen=rnd.randrange(1, 65536)), "formerr", True
    if kind == 1:     # option length past the RDATA
        return h + q + opt(rdata=b"\0\x0a\0\xff" + b"12345678"), "any", True
    if kind == 2:     # two OPT records
        return header(qid, ar=2) + q + opt() + opt(), "formerr", True
    if kind == 3:     # OPT owner is not the root
        return h + q + b"\x01x" + opt()[1:], "formerr", True
    if kind == 4:     # truncated fixed part
        return h + q + opt()[:rnd.randrange(1, 11)], "formerr", True
    return h + q + opt(payload=rnd.choice([0, 1, 511, 65535])), "any", True


def c_badvers(qid):
    ver = rnd.choice([1, 2, 255])
    return header(qid, ar=1) + question() + opt(version=ver), "badvers", True


def c_opcode(qid):
    op = rnd.choice([3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    return query(qid, flags=op << 11), "notimp", True


def c_qr(qid):
    kind = rnd.randrange(4)
    flags = 0x8000 | rnd.choice([0, 0x0400, 0x0003, 0x0001, 0x2000, 0x2800])
    if kind == 0:     # a plausible answer
        return query(qid, flags=flags), "drop", True
    if kind == 1:     # an answer without question
        return header(qid, flags, qd=0), "drop", False
    if kind == 2:     # an answer full of garbage
        return header(qid, flags) + bytes(rnd.randrange(256) for _ in range(40)), "drop", False
    return query(qid, flags=flags | (rnd.randrange(16) << 11)), "drop", True


def c_types(qid):
    qtype = rnd.choice([0, T_ANY, T_AXFR, 251, T_OPT, T_TSIG, 46, 47, 65535, 128])
    qclass = rnd.choice([1, 1, 3, 255, 254, 0])
    edns = rnd.random() < 0.5
    return query(qid, qtype=qtype, qclass=qclass, edns=edns), "any", edns


def c_truncated(qid):
    p = query(qid, name="dev%d.%s" % (rnd.randrange(1000), ZONE))
    return p[:rnd.randrange(12, len(p))], "any", None


def c_bitflip(qid):
    p = bytearray(query(qid, edns=rnd.random() < 0.7))
    for _ in range(rnd.randrange(1, 9)):
        i = rnd.randrange(2, len(p))   # keep the ID, flip anything else
        p[i] ^= 1 << rnd.randrange(8)
    return bytes(p), ("drop" if p[2] & 0x80 else "any"), None


def c_random(qid):
    n = rnd.randrange(12, 600)
    p = bytearray(rnd.randrange(256) for _ in range(n))
    p[0:2] = struct.pack("!H", qid)
    p[2] &= 0x7f
    return bytes(p), "any", None


def c_update(qid):
    # UPDATE and NOTIFY with garbage, and a TSIG record that is not last or is bogus
    op = rnd.choice([4, 5])
    tsig = wname("tsig.%s" % ZONE) + struct.pack("!HHIH", T_TSIG, 255, 0, 8) + b"\0" * 8
    body = question(ZONE, T_SOA) + bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 40)))
    return header(qid, op << 11, qd=1, ar=rnd.choice([1, 2])) + body + tsig, "any", None


CATEGORIES = [
    ("short header", c_short, 150), ("bad label lengths", c_labels, 250),
    ("compression loops/pointers", c_compression, 250), ("QDCOUNT 0/2/65535", c_qdcount, 200),
    ("huge counts", c_counts, 200), ("OPT bad lengths", c_opt, 250),
    ("EDNS version != 0", c_badvers, 150), ("unknown opcodes", c_opcode, 150),
    ("QR=1 (must drop)", c_qr, 300), ("odd types/classes", c_types, 200),
    ("truncated queries", c_truncated, 200), ("bit flips", c_bitflip, 400),
    ("random bytes", c_random, 300), ("UPDATE/NOTIFY garbage", c_update, 150),
]


def skip_name(m, i):
    for _ in range(128):
        if i >= len(m):
            return -1
        n = m[i]
        if n == 0:
            return i + 1
        if n & 0xc0 == 0xc0:
            return i + 2
        if n & 0xc0:
            return -1
        i += 1 + n
    return -1


def rcode_of(resp):
    """The full RCODE (with the OPT's extended bits); -1 if the message does not parse."""
    if len(resp) < 12:
        return -1
    qd, an, ns, ar = struct.unpack("!HHHH", resp[4:12])
    i = 12
    for _ in range(qd):
        i = skip_name(resp, i)
        if i < 0:
            return -1
        i += 4
    rc = resp[3] & 0x0f
    for n in range(an + ns + ar):
        i = skip_name(resp, i)
        if i < 0 or i + 10 > len(resp):
            return -1
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", resp[i:i + 10])
        if n >= an + ns and rtype == T_OPT:
            rc |= (ttl >> 24) << 4
        i += 10 + rdlen
    return rc if i == len(resp) else -1


def check_resp(name, pkt, expect, has_opt, resp, tcp):
    st = stats[name]
    st["answered"] += 1
    if expect == "drop":
        fail("%s: answered a packet that must be dropped: %s -> %s" % (name, pkt[:40].hex(), resp[:24].hex()))
        return
    if len(resp) < 12 or not resp[2] & 0x80:
        fail("%s: malformed response %s" % (name, resp[:24].hex()))
        return
    if not tcp:
        limit = 512 if has_opt is False else 1232
        if len(resp) > limit:
            fail("%s: %d-byte UDP answer to %s (limit %d)" % (name, len(resp), pkt[:40].hex(), limit))
    rc = rcode_of(resp)
    if rc < 0:
        fail("%s: response does not parse: %s" % (name, resp[:48].hex()))
        return
    want = {"formerr": FORMERR, "notimp": NOTIMP, "badvers": BADVERS}.get(expect)
    if want is not None and rc != want:
        fail("%s: rcode %d, want %d, for %s" % (name, rc, want, pkt[:48].hex()))


SENT_ID = 0xfff0


def udp_batch(name, items):
    """items: [(pkt, expect, has_opt)]; sends them then a sentinel; checks every answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    byid = {}
    for pkt, expect, has_opt in items:
        if len(pkt) >= 2:
            byid[struct.unpack("!H", pkt[:2])[0]] = (pkt, expect, has_opt)
        try:
            s.sendto(pkt, (ADDR, PORT))
        except OSError as e:
            fail("%s: sendto: %s" % (name, e))
    for attempt in range(5):
        s.sendto(query(SENT_ID + attempt, name=ZONE, qtype=T_SOA), (ADDR, PORT))
        try:
            while True:
                resp = s.recv(65535)
                rid = struct.unpack("!H", resp[:2])[0] if len(resp) >= 2 else -1
                if SENT_ID <= rid < SENT_ID + 5:
                    s.close()
                    return True
                if rid not in byid:
                    stats[name]["answered"] += 1
                    fail("%s: answer with an ID we never sent in a full header: %s" % (name, resp[:24].hex()))
                    continue
                pkt, expect, has_opt = byid[rid]
                check_resp(name, pkt, expect, has_opt, resp, False)
        except socket.timeout:
            continue
    s.close()
    fail("%s: no answer to a normal query after the batch (server dead?)" % name)
    return False


def run_udp():
    for name, gen, count in CATEGORIES:
        stats[name] = {"sent": 0, "answered": 0}
        qid, left = 1, count
        while left > 0:
            check_time()
            n = min(left, 40)
            items = []
            for _ in range(n):
                items.append(gen(qid))
                qid += 1
            stats[name]["sent"] += n
            left -= n
            if not udp_batch(name, items):
                report()
    # Datagrams of the largest sizes, a few at a time.
    name = "oversized datagrams"
    stats[name] = {"sent": 0, "answered": 0}
    for i in range(4):
        p = bytearray(rnd.randrange(256) for _ in range(rnd.choice([4096, 65507])))
        p[0:2] = struct.pack("!H", 100 + i)
        p[2] &= 0x7f
        stats[name]["sent"] += 1
        udp_batch(name, [(bytes(p), "any", None)])


def tcp_connect():
    s = socket.create_connection((ADDR, PORT), timeout=5)
    s.settimeout(5)
    return s


TIMEOUT = "timeout"


def tcp_read_frame(s):
    """One framed message; None at EOF or reset; TIMEOUT when nothing came in time."""
    buf = b""
    try:
        while len(buf) < 2:
            d = s.recv(2 - len(buf))
            if not d:
                return None
            buf += d
        n = struct.unpack("!H", buf)[0]
        msg = b""
        while len(msg) < n:
            d = s.recv(n - len(msg))
            if not d:
                return None
            msg += d
        return msg
    except socket.timeout:
        return TIMEOUT
    except OSError:
        return None


def frame(p):
    return struct.pack("!H", len(p)) + p


def soa_query(qid):
    return query(qid, name=ZONE, qtype=T_SOA)


def is_answer(resp, qid):
    return isinstance(resp, bytes) and len(resp) >= 12 and resp[:2] == struct.pack("!H", qid) \
        and resp[2] & 0x80 and rcode_of(resp) == 0


def run_tcp_garbage():
    """Framed malformed messages, then a normal query, on 40 connections."""
    name = "TCP framed garbage"
    stats[name] = {"sent": 0, "answered": 0}
    gens = [g for _, g, _ in CATEGORIES]
    qid = 1
    for _ in range(40):
        check_time()
        items = {}
        data = b""
        for _ in range(10):
            pkt, expect, has_opt = rnd.choice(gens)(qid)
            qid += 1
            if len(pkt) >= 2:
                items[struct.unpack("!H", pkt[:2])[0]] = (pkt, expect, has_opt)
            data += frame(pkt)
            stats[name]["sent"] += 1
        data += frame(soa_query(SENT_ID))
        s = tcp_connect()
        try:
            s.sendall(data)
        except OSError:
            pass
        # Answers come in order; the server may also close after garbage.
        for _ in range(12):
            resp = tcp_read_frame(s)
            if not isinstance(resp, bytes):
                break
            rid = struct.unpack("!H", resp[:2])[0] if len(resp) >= 2 else -1
            if rid == SENT_ID:
                break
            if rid not in items:
                stats[name]["answered"] += 1
                fail("%s: answer with an ID we never sent in a full header: %s" % (name, resp[:24].hex()))
                continue
            check_resp(name, *items[rid], resp, True)
        close_gracefully(s)


def run_tcp_lengths():
    """Length prefixes larger than the data, then a half-close or a reset."""
    name = "TCP short frames + close"
    stats[name] = {"sent": 0, "answered": 0}
    for i in range(100):
        check_time()
        s = tcp_connect()
        p = query(i + 1)
        claim = rnd.choice([len(p) + 1, len(p) + 100, 65535, 13])
        data = struct.pack("!H", claim) + p[:min(len(p), claim - 1)]
        if i % 5 == 0:
            data = data[:1]     # half a length prefix
        stats[name]["sent"] += 1
        try:
            s.sendall(data)
            if i % 2:
                # Nothing complete to answer: the server must close its side too.
                s.shutdown(socket.SHUT_WR)
                resp = tcp_read_frame(s)
                if resp is TIMEOUT:
                    fail("%s: connection kept open after our half-close" % name)
                elif resp is not None:
                    stats[name]["answered"] += 1
                    fail("%s: answer to an incomplete frame: %s" % (name, resp[:24].hex()))
            else:
                # A reset with unread data on the server's side.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        s.close()


def close_gracefully(s):
    """Half-close and read to EOF: once the server has closed its side, its slot is free."""
    try:
        s.shutdown(socket.SHUT_WR)
        for _ in range(1000):
            if not s.recv(4096):
                break
    except OSError:
        pass
    s.close()


def hold_all_slots(name):
    """Open tcp-clients connections that each got an answer (so each holds a slot),
    then leave each with half a length prefix: slow clients.  Connections of the
    earlier phases that the server has not yet seen closing may still hold slots:
    then give everything back and try again (bounded)."""
    for _ in range(50):
        check_time()
        held = []
        for i in range(TCP_CLIENTS):
            s = tcp_connect()
            held.append(s)
            try:
                s.sendall(frame(soa_query(300 + i)))
            except OSError:
                break
            if not is_answer(tcp_read_frame(s), 300 + i):
                break
            s.sendall(b"\0")
        else:
            return held
        for s in held:
            close_gracefully(s)
        time.sleep(0.1)
    fail("%s: could not get %d TCP slots" % (name, TCP_CLIENTS))
    report()


def run_tcp_clients():
    """Fill every TCP slot with slow clients (half a length prefix each); the
    connections beyond tcp-clients must be closed unanswered while the held ones,
    UDP, and (after they leave) new TCP clients are still served."""
    name = "slow TCP beyond tcp-clients"
    stats[name] = {"sent": 0, "answered": 0}
    held = hold_all_slots(name)
    # Many more slow clients at once: each must be closed without an answer.
    extra, closed, conns = 6 * TCP_CLIENTS, 0, []
    for _ in range(extra):
        check_time()
        stats[name]["sent"] += 1
        try:
            conns.append(tcp_connect())
        except OSError:
            closed += 1         # refused outright is fine too
    for s in conns:
        try:
            s.sendall(frame(soa_query(7)))
        except OSError:
            pass
        resp = tcp_read_frame(s)
        if resp is None:
            closed += 1
        elif resp is TIMEOUT:
            fail("%s: a connection beyond the limit was neither served nor closed" % name)
        else:
            stats[name]["answered"] += 1
        s.close()
    if closed != extra:
        fail("%s: %d of %d connections beyond tcp-clients=%d were served" %
             (name, extra - closed, extra, TCP_CLIENTS))
    if not udp_batch(name, []):
        fail("%s: UDP stopped answering while TCP was full" % name)
    # The held connections were not the ones closed: finish their frames.
    ok = 0
    for i, s in enumerate(held):
        q = soa_query(200 + i)
        try:
            s.sendall(bytes([len(q)]) + q)
        except OSError:
            continue
        if is_answer(tcp_read_frame(s), 200 + i):
            ok += 1
    for s in held:
        close_gracefully(s)
    if ok != len(held):
        fail("%s: only %d of %d held connections were answered" % (name, ok, len(held)))
    # The slots come back once the server has seen the closes (retry, bounded).
    for _ in range(50):
        check_time()
        s = tcp_connect()
        try:
            s.sendall(frame(soa_query(99)))
            good = is_answer(tcp_read_frame(s), 99)
        except OSError:
            good = False
        s.close()
        if good:
            break
        time.sleep(0.1)
    else:
        fail("%s: no TCP service after the slow clients left" % name)


def run_tcp_idle(idle_timeout):
    """A silent connection and a stalled frame are closed by the idle timer."""
    name = "TCP idle timeout"
    stats[name] = {"sent": 0, "answered": 0}
    conns = [tcp_connect(), tcp_connect()]
    conns[1].sendall(b"\x01\xf4" + b"x" * 10)     # claims 500 bytes, sends 10
    for s in conns:
        stats[name]["sent"] += 1
        s.settimeout(idle_timeout + 30)
        resp = tcp_read_frame(s)
        if resp is TIMEOUT:
            fail("%s: idle connection not closed within %d s" % (name, idle_timeout + 30))
        elif resp is not None:
            fail("%s: answer on an idle connection" % name)
        s.close()


def report():
    for name, st in stats.items():
        print("  %-30s sent %5d  answered %5d" % (name, st["sent"], st["answered"]), flush=True)
    total = sum(st["sent"] for st in stats.values())
    print("malformed.py: %d packets/connections, %d failures" % (total, len(errors)), flush=True)
    sys.exit(1 if errors else 0)


def main():
    run_udp()
    run_tcp_garbage()
    run_tcp_lengths()
    run_tcp_clients()
    run_tcp_idle(IDLE)
    report()


main()
