#!/usr/bin/env python3
"""wgcap.py - capture and replay WireGuard datagrams for the tunnel tests.

  wgcap.py capture IFNAME PORT OUTDIR SECONDS
      Sniff (AF_PACKET) IPv4/UDP datagrams to PORT on IFNAME and save the
      first handshake initiation (OUTDIR/init.bin) and the first data message
      with a payload (OUTDIR/data.bin); exits when both are saved or after
      SECONDS.  Writes OUTDIR/ready when the socket is open.
  wgcap.py send HOST PORT FILE [COUNT]
      Send FILE's bytes as one UDP datagram COUNT times (a replay).
  wgcap.py flood HOST PORT PUBKEY_B64 COUNT SECONDS
      Send COUNT fresh handshake initiations (random contents, valid mac1 for
      the responder's public key, no mac2) from one socket, for at most
      SECONDS; prints "sent N cookies M" (cookie replies received).
  wgcap.py cflood HOST PORT PUBKEY_B64 COUNT SECONDS SRC_ADDR
      The same from SRC_ADDR, but answering the cookie: each cookie reply is
      decrypted (libsodium's XChaCha20-Poly1305 through ctypes) and later
      initiations carry a valid mac2; prints "sent N cookies M mac2 K"
      (K: initiations sent with a valid-looking mac2).
"""
import ctypes
import ctypes.util
import base64
import hashlib
import os
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def capture(ifname, port, outdir, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.settimeout(0.2)
    open(os.path.join(outdir, "ready"), "w").close()
    want = {1: "init.bin", 4: "data.bin"}
    end = time.monotonic() + seconds
    while want and time.monotonic() < end:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or len(ip) < ihl + 8:
            continue
        udp = ip[ihl:]
        dport = struct.unpack("!H", udp[2:4])[0]
        payload = udp[8:]
        if dport != port or len(payload) < 4 or payload[1:4] != b"\0\0\0":
            continue
        t = payload[0]
        if t == 4 and len(payload) <= 32:
            continue  # a keepalive: keep waiting for real data
        if t in want:
            with open(os.path.join(outdir, want[t] + ".tmp"), "wb") as f:
                f.write(payload)
            os.rename(os.path.join(outdir, want[t] + ".tmp"), os.path.join(outdir, want[t]))
            del want[t]
    return 0 if not want else 1


def send(host, port, path, count=1, seconds=60.0):
    data = open(path, "rb").read()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.monotonic() + seconds
    sent = 0
    for _ in range(count):
        if time.monotonic() >= end:
            break
        try:
            s.sendto(data, (host, port))
            sent += 1
        except OSError:
            time.sleep(0.001)
    print(sent)
    return 0


def flood(host, port, pub_b64, count, seconds):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    pub = base64.b64decode(pub_b64)
    mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    end = time.monotonic() + seconds
    sent = cookies = 0
    for _ in range(count):
        if time.monotonic() >= end or stop:
            break
        body = b"\x01\0\0\0" + os.urandom(112)
        msg = body + hashlib.blake2s(body, digest_size=16, key=mac1_key).digest() + bytes(16)
        try:
            s.sendto(msg, (host, port))
            sent += 1
        except OSError:
            time.sleep(0.001)
        for _ in range(8):
            try:
                r = s.recv(2048)
            except OSError:
                break
            if len(r) == 64 and r[0] == 3:
                cookies += 1
    print("sent %d cookies %d" % (sent, cookies))
    return 0


def xchacha_open(key, nonce, ct, ad):
    """XChaCha20-Poly1305 decryption through libsodium; None if it fails."""
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    out = ctypes.create_string_buffer(len(ct))
    olen = ctypes.c_ulonglong(0)
    rc = lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, ctypes.byref(olen), None, ct, ctypes.c_ulonglong(len(ct)), ad,
        ctypes.c_ulonglong(len(ad)), nonce, key)
    return out.raw[:olen.value] if rc == 0 else None


def cflood(host, port, pub_b64, count, seconds, src):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    pub = base64.b64decode(pub_b64)
    mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
    cookie_key = hashlib.blake2s(b"cookie--" + pub).digest()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    end = time.monotonic() + seconds
    sent = cookies = with_mac2 = 0
    cookie = None
    recent = {}  # sender index -> mac1, to open the cookie reply
    for _ in range(count):
        if time.monotonic() >= end or stop:
            break
        body = b"\x01\0\0\0" + os.urandom(112)
        mac1 = hashlib.blake2s(body, digest_size=16, key=mac1_key).digest()
        mac2 = bytes(16)
        if cookie:
            mac2 = hashlib.blake2s(body + mac1, digest_size=16, key=cookie).digest()
        if len(recent) > 256:
            recent.clear()
        recent[body[4:8]] = mac1
        try:
            s.sendto(body + mac1 + mac2, (host, port))
            sent += 1
            with_mac2 += cookie is not None
        except OSError:
            time.sleep(0.001)
        for _ in range(8):
            try:
                r = s.recv(2048)
            except OSError:
                break
            if len(r) == 64 and r[0] == 3 and r[4:8] in recent:
                cookies += 1
                c = xchacha_open(cookie_key, r[8:32], r[32:64], recent[r[4:8]])
                if c:
                    cookie = c
    print("sent %d cookies %d mac2 %d" % (sent, cookies, with_mac2))
    return 0


def main(argv):
    if len(argv) >= 6 and argv[1] == "capture":
        return capture(argv[2], int(argv[3]), argv[4], float(argv[5]))
    if len(argv) >= 5 and argv[1] == "send":
        return send(argv[2], int(argv[3]), argv[4], int(argv[5]) if len(argv) > 5 else 1)
    if len(argv) >= 7 and argv[1] == "flood":
        return flood(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]))
    if len(argv) >= 8 and argv[1] == "cflood":
        return cflood(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]), argv[7])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
