#!/usr/bin/env python3
"""tamper_proxy.py - a UDP DNS proxy that corrupts answers on the wire (for tests).

Usage: tamper_proxy.py LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT TYPE [READY_FILE]

Every query is relayed to the server; in each reply, the last RDATA byte of
every answer-section record of type TYPE (e.g. 28 for AAAA) is flipped, so a
validator must find the RRSIG over it bogus.  Other records pass unchanged.
Writes READY_FILE once listening and counts what it tampered on stderr.
Runs until killed; every wait is bounded by a socket timeout.
"""
import select
import socket
import sys


def skip_name(msg, off):
    """Offset just past the (possibly compressed) name at off; raises on bad input."""
    for _ in range(128):
        if off >= len(msg):
            raise ValueError("name runs past the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        if n == 0:
            return off + 1
        off += 1 + n
    raise ValueError("name too long")


def tamper(msg, rtype):
    """Return (new message, number of records changed)."""
    if len(msg) < 12:
        return msg, 0
    b = bytearray(msg)
    qd = b[4] << 8 | b[5]
    an = b[6] << 8 | b[7]
    off = 12
    changed = 0
    try:
        for _ in range(qd):
            off = skip_name(b, off) + 4
        for _ in range(an):
            off = skip_name(b, off)
            t = b[off] << 8 | b[off + 1]
            rdlen = b[off + 8] << 8 | b[off + 9]
            off += 10
            if off + rdlen > len(b):
                break
            if t == rtype and rdlen > 0:
                b[off + rdlen - 1] ^= 0x01
                changed += 1
            off += rdlen
    except (ValueError, IndexError):
        pass
    return bytes(b), changed


def main():
    laddr, lport, saddr, sport, rtype = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    ready = sys.argv[6] if len(sys.argv) > 6 else None
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind((laddr, lport))
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    pending = {}  # backend socket -> client address
    total = 0
    while True:
        socks = [front] + list(pending)
        rd, _, _ = select.select(socks, [], [], 5.0)
        for s in rd:
            if s is front:
                data, client = front.recvfrom(65535)
                back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                back.sendto(data, (saddr, sport))
                pending[back] = client
                if len(pending) > 256:  # bound the state: forget the oldest
                    old = next(iter(pending))
                    old.close()
                    del pending[old]
            else:
                data = s.recv(65535)
                client = pending.pop(s)
                s.close()
                data, n = tamper(data, rtype)
                if n:
                    total += n
                    print("tampered %d records (%d in all)" % (n, total), file=sys.stderr, flush=True)
                front.sendto(data, client)


if __name__ == "__main__":
    main()
