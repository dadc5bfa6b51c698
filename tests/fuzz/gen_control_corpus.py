#!/usr/bin/env python3
"""gen_control_corpus.py - seeds for the control fuzz targets (tests/fuzz/corpus/control_*/).

Writes, deterministically:
  control_<type>/  valid bodies of each message type (src/control/cp_msg.h), all-zero and
                   all-0xff ones (mut-*), and invalid mutations of the first seed (bad-*):
                   truncations, one extra byte, over-long counts and strings, bad endpoint
                   families and ports, bad statuses;
  control_open/    mode byte 0 + genuine datagrams sealed with the fixed key of
                   fuzz_control_common.h (libsodium through ctypes), and mode byte 1 + outer
                   type + plaintexts (good, inner type swapped, non-zero padding, bad body_len);
  control_token/   valid tokens (spt1-...), with a newline, and junk.
Run from anywhere: python3 tests/fuzz/gen_control_corpus.py (it replaces those folders).
"""
import base64
import ctypes
import ctypes.util
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

REGISTER, REGISTER_ACK, CONNECT, CONNECT_ACK, CALL_ME_MAYBE, PING, PONG, RELAY, REVOKE, FRIENDS = range(1, 11)
TYPES = {REGISTER: "register", REGISTER_ACK: "register_ack", CONNECT: "connect",
         CONNECT_ACK: "connect_ack", CALL_ME_MAYBE: "call_me_maybe", PING: "ping", PONG: "pong",
         RELAY: "relay", REVOKE: "revoke", FRIENDS: "friends"}
KEY = b"\x4b" * 32
SENDER = b"\x53" * 32
MAGIC = b"\xf5SPC"


def s(text):
    b = text.encode() if isinstance(text, str) else text
    return bytes([len(b)]) + b


def ep4(addr, port):
    return bytes([4]) + struct.pack("!H", port) + bytes(int(x) for x in addr.split(".")) + bytes(12)


def ep6(addr16, port):
    return bytes([6]) + struct.pack("!H", port) + addr16


NONE = bytes(19)


def v6(last):
    return b"\x20\x01\x0d\xb8" + bytes(10) + struct.pack("!H", last)


def eps(n):
    out = bytes([n])
    for i in range(n):
        out += ep4("192.0.2.%d" % (10 + i), 51820 + i) if i % 2 == 0 else ep6(v6(0x100 + i), 41000 + i)
    return out


def fill(n, seed):
    return bytes((seed + 7 * i) & 0xff for i in range(n))


ANCHOR = "alice.example. IN DS 2371 15 2 1F987CC6583E92DF0890718C42A34E93BA8EC5BD9B7A8A2F2DDC8A8E5A2F0E7C"


def bodies():
    """(type, name, body) of valid bodies."""
    out = []
    out.append((REGISTER, "token", s("laptop") + fill(16, 1) + fill(32, 2) + eps(8)))
    out.append((REGISTER, "enrolled", s("nas") + bytes(48) + eps(2)))
    out.append((REGISTER, "empty", s("") + bytes(48) + eps(0)))
    out.append((REGISTER_ACK, "ok", bytes([0]) + ep4("198.51.100.7", 40001) + fill(16, 0xfd) + struct.pack("!H", 25)))
    out.append((REGISTER_ACK, "refused", bytes([1]) + NONE + bytes(16) + struct.pack("!H", 0)))
    out.append((REGISTER_ACK, "v6", bytes([0]) + ep6(v6(9), 1) + fill(16, 3) + struct.pack("!H", 65535)))
    out.append((CONNECT, "by-name", struct.pack("!Q", 0x0102030405060708) + s("nas") + bytes(16) +
                s("laptop.bob.example.") + eps(3)))
    out.append((CONNECT, "by-addr", struct.pack("!Q", 1) + s("") + b"\xfd" + fill(15, 4) +
                s("laptop.alice.example.") + eps(8)))
    out.append((CONNECT_ACK, "ok", struct.pack("!Q", 7) + bytes([0]) + s("nas.alice.example.") + fill(32, 3) +
                fill(16, 4) + eps(2)))
    out.append((CONNECT_ACK, "refused", struct.pack("!Q", 7) + bytes([7]) + s("nas.alice.example.") + bytes(32) +
                bytes(16) + eps(0)))
    out.append((CALL_ME_MAYBE, "four", s("laptop.bob.example.") + fill(32, 5) + fill(16, 6) + eps(4)))
    out.append((CALL_ME_MAYBE, "none", s("x.") + fill(32, 5) + fill(16, 6) + eps(0)))
    out.append((PING, "one", struct.pack("!Q", 0xfeedfacecafebeef)))
    out.append((PONG, "v6", struct.pack("!Q", 0xfeedfacecafebeef) + ep6(v6(2), 51820)))
    out.append((PONG, "v4", struct.pack("!Q", 1) + ep4("203.0.113.9", 9)))
    out.append((PONG, "none", struct.pack("!Q", 1) + NONE))
    out.append((RELAY, "max", fill(32, 7) + struct.pack("!H", 1600) + fill(1600, 8)))
    out.append((RELAY, "keepalive", fill(32, 7) + struct.pack("!H", 32) + fill(32, 9)))
    out.append((REVOKE, "one", fill(32, 9)))
    fr = struct.pack("!IBBB", 42, 1, 3, 4)
    for i in range(4):
        fr += s("friend%d.example." % i) + s(ANCHOR.replace("alice", "friend%d" % i)) + eps(i % 3)
    out.append((FRIENDS, "four", fr))
    out.append((FRIENDS, "empty", struct.pack("!IBBB", 1, 0, 1, 0)))
    out.append((FRIENDS, "one", struct.pack("!IBBB", 7, 0, 1, 1) + s("bob.example.") + s(ANCHOR) + eps(1)))
    return out


def mutations(t, body):
    """(name, bytes) of invalid variants (bad-*); all-zero and all-0xff bodies (mut-*) may be
    valid or not, depending on the type."""
    out = [("extra", body + b"\x00")]
    for cut in sorted(set([1, 2, 8, 9, len(body) // 2, len(body) - 1])):
        if 0 < cut < len(body):
            out.append(("cut%d" % cut, body[:cut]))
    out.append(("empty", b""))
    if t == REGISTER:
        out.append(("n-ep-9", body[:55] + b"\x09" + body[56:] + ep4("192.0.2.99", 1)))
        out.append(("name-254", s("a" * 254) + body[7:]))
        out.append(("name-space", body[:3] + b" " + body[4:]))
        out.append(("name-nul", body[:3] + b"\x00" + body[4:]))
        out.append(("family-5", body[:56] + b"\x05" + body[57:]))
        out.append(("v4-tail", body[:74] + b"\x01" + body[75:]))
    if t == REGISTER_ACK:
        out.append(("status-11", b"\x0b" + body[1:]))
        out.append(("none-port", body[:1] + bytes(2) + b"\x01" + bytes(16) + body[20:]))
    if t == RELAY:
        out.append(("len-0", body[:32] + b"\x00\x00"))
        out.append(("len-1601", body[:32] + struct.pack("!H", 1601) + body[34:] + b"\x00"))
    if t == FRIENDS:
        out.append(("n-5", body[:6] + b"\x05" + body[7:]))
        out.append(("parts-0", body[:4] + b"\x00\x00" + body[6:]))
        out.append(("part-eq", body[:4] + b"\x03\x03" + body[6:]))
    if t == CONNECT:
        out.append(("n-ep-255", body[:48] + b"\xff" + body[49:]))
    return out


def write(folder, name, data):
    with open(os.path.join(CORPUS, folder, name), "wb") as f:
        f.write(data)


class Sodium:
    def __init__(self):
        path = ctypes.util.find_library("sodium") or "libsodium.so"
        self.lib = ctypes.CDLL(path)
        if self.lib.sodium_init() < 0:
            raise SystemExit("sodium_init failed")

    def nonce(self, hdr):
        out = ctypes.create_string_buffer(24)
        self.lib.crypto_generichash(out, ctypes.c_size_t(24), hdr, ctypes.c_ulonglong(len(hdr)), None,
                                    ctypes.c_size_t(0))
        return out.raw

    def rdata_key(self, sender):
        out = ctypes.create_string_buffer(32)
        msg = b"signpost relay data v1" + sender
        self.lib.crypto_generichash(out, ctypes.c_size_t(32), msg, ctypes.c_ulonglong(len(msg)), KEY,
                                    ctypes.c_size_t(32))
        return out.raw

    def rdata(self, key, sender, dest, counter, payload, nonce_field):
        hdr = b"\xf5SPC\x01\x81\x00\x00" + sender + nonce_field
        ad = hdr + payload
        plain = dest + struct.pack("!Q", counter)
        ct = ctypes.create_string_buffer(len(plain))
        mac = ctypes.create_string_buffer(16)
        rc = self.lib.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
            ct, mac, None, plain, ctypes.c_ulonglong(len(plain)), ad, ctypes.c_ulonglong(len(ad)), None,
            nonce_field, key)
        assert rc == 0
        return ad + ct.raw + mac.raw

    def box(self, plain, nonce):
        out = ctypes.create_string_buffer(16 + len(plain))
        rc = self.lib.crypto_box_easy_afternm(out, plain, ctypes.c_ulonglong(len(plain)), nonce, KEY)
        assert rc == 0
        return out.raw


def header(t, nonce_field):
    return MAGIC + bytes([1, t, 0, 0]) + SENDER + nonce_field


def plaintext(t, body, counter=1767225600000000, pad=0, inner=None):
    return bytes([t if inner is None else inner, 0]) + struct.pack("!HQ", len(body), counter) + body + bytes(pad)


def token(expiry=1767229200, n_ep=3, zone="alice.example.", name="laptop", anchor=ANCHOR, version=1, extra=b""):
    b = bytes([version]) + struct.pack("!Q", expiry) + fill(16, 0x10) + fill(32, 0x20) + fill(32, 0x30)
    b += s(zone) + s(name) + eps(n_ep) + s(anchor) + extra
    return "spt1-" + base64.urlsafe_b64encode(b).decode().rstrip("=")


def main():
    for t, n in TYPES.items():
        folder = "control_" + n
        shutil.rmtree(os.path.join(CORPUS, folder), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, folder))
    for folder in ("control_open", "control_token", "control_fwd", "control_rdata"):
        shutil.rmtree(os.path.join(CORPUS, folder), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, folder))

    na = Sodium()
    all_bodies = bodies()
    for t, name, body in all_bodies:
        folder = "control_" + TYPES[t]
        write(folder, "valid-" + name, body)
        if t == REGISTER and name == next(n for tt, n, _ in all_bodies if tt == t):
            # Port 0: a candidate behind an endpoint-dependent NAT (CP_EP_ANYPORT).
            write(folder, "valid-anyport-0", body[:57] + b"\x00\x00" + body[59:])
        if name == next(n for tt, n, _ in all_bodies if tt == t):
            for mname, data in mutations(t, body):
                write(folder, "bad-" + mname, data)
            write(folder, "mut-zeros", bytes(len(body)))
            write(folder, "mut-ones", b"\xff" * len(body))
        # Whole datagrams (mode 0) and plaintexts (mode 1) for the open target.
        nf = fill(24, t)
        hdr = header(t, nf)
        for pad, tag in ((0, ""), (1200, "-padded")):
            pl = plaintext(t, body)
            pl += bytes(max(0, pad - (64 + 16 + len(pl))))
            write("control_open", "sealed-%s-%s%s" % (TYPES[t], name, tag),
                  b"\x00" + hdr + na.box(pl, na.nonce(hdr)))
        write("control_open", "plain-%s-%s" % (TYPES[t], name), b"\x01" + bytes([t]) + plaintext(t, body))
    # Malformed plaintexts and datagrams for the open target.
    ping = struct.pack("!Q", 5)
    write("control_open", "plain-inner-type", b"\x01" + bytes([REVOKE]) + plaintext(PING, ping, inner=PING))
    write("control_open", "plain-pad-nonzero", b"\x01" + bytes([PING]) + plaintext(PING, ping, pad=40) + b"\x01")
    write("control_open", "plain-pad-zero", b"\x01" + bytes([PING]) + plaintext(PING, ping, pad=41))
    bad_len = bytes([PING, 0]) + struct.pack("!HQ", 9, 1) + ping
    write("control_open", "plain-body-len", b"\x01" + bytes([PING]) + bad_len)
    write("control_open", "plain-reserved", b"\x01" + bytes([PING]) + bytes([PING, 1]) + plaintext(PING, ping)[2:])
    write("control_open", "plain-type-0", b"\x01\x00" + plaintext(PING, ping))
    hdr = header(PING, bytes(24))
    good = hdr + na.box(plaintext(PING, ping), na.nonce(hdr))
    write("control_open", "dgram-version-2", b"\x00" + good[:4] + b"\x02" + good[5:])
    write("control_open", "dgram-flipped-mac", b"\x00" + good[:64] + bytes([good[64] ^ 1]) + good[65:])
    write("control_open", "dgram-short", b"\x00" + good[:91])
    write("control_open", "empty", b"")

    # RELAYED frames (not boxed): magic, version, type 0x80, reserved, sender, origin, payload.
    fwd = b"\xf5SPC\x01\x80\x00\x00" + b"\x53" * 32 + b"\x4f" * 32
    wg = struct.pack("<I", 4) + fill(60, 9)
    write("control_fwd", "valid-wireguard", fwd + wg)
    write("control_fwd", "valid-max", fwd + fill(1600, 3))
    write("control_fwd", "valid-sealed", fwd + good)
    write("control_fwd", "bad-empty-payload", fwd)
    write("control_fwd", "bad-1601", fwd + fill(1601, 4))
    write("control_fwd", "bad-reserved", fwd[:6] + b"\x00\x01" + fwd[8:] + wg)
    write("control_fwd", "bad-version", fwd[:4] + b"\x02" + fwd[5:] + wg)
    write("control_fwd", "bad-short", fwd[:40])
    write("control_fwd", "bad-boxed-type", fwd[:5] + bytes([PING]) + fwd[6:] + wg)

    # RELAY_DATA frames (mode 0: as received; mode 1: dest, counter, payload sealed by the target).
    rk = na.rdata_key(SENDER)
    dest = b"\x44" * 32
    frame = na.rdata(rk, SENDER, dest, 1767225600000000, wg, fill(24, 7))
    write("control_rdata", "sealed-wireguard", b"\x00" + frame)
    write("control_rdata", "sealed-max", b"\x00" + na.rdata(rk, SENDER, dest, 1767225600000001,
                                                            fill(1600, 8), fill(24, 8)))
    write("control_rdata", "dgram-flipped-payload", b"\x00" + frame[:64] + bytes([frame[64] ^ 1]) + frame[65:])
    write("control_rdata", "dgram-flipped-tag", b"\x00" + frame[:-1] + bytes([frame[-1] ^ 1]))
    write("control_rdata", "dgram-short", b"\x00" + frame[:120])
    write("control_rdata", "dgram-reserved", b"\x00" + frame[:7] + b"\x01" + frame[8:])
    write("control_rdata", "plain-wireguard", b"\x01" + dest + struct.pack("!Q", 5) + wg)
    write("control_rdata", "plain-1601", b"\x01" + dest + struct.pack("!Q", 5) + fill(1601, 2))

    write("control_token", "valid", token().encode())
    write("control_token", "valid-newline", (token(n_ep=0) + "\n").encode())
    write("control_token", "valid-max", token(n_ep=8, zone="z" * 253, name="n" * 253, anchor="A" * 255).encode())
    write("control_token", "valid-1", token(n_ep=1, zone="example.", name="a", anchor="x").encode())
    write("control_token", "bad-version", token(version=2).encode())
    write("control_token", "bad-extra", token(extra=b"\x00").encode())
    write("control_token", "bad-prefix", token().replace("spt1-", "spt2-").encode())
    write("control_token", "bad-padding", (token() + "==").encode())
    write("control_token", "bad-cut", token()[:100].encode())
    write("control_token", "junk", b"hello world")
    # libsodium 1.0.18 decodes a 0xff byte in base64 as if it were a letter (found by fuzz_control_token).
    write("control_token", "bad-b64-0xff", token()[:20].encode() + b"\xff" + token()[21:].encode())
    write("control_token", "bad-alphabet", token().replace("-", "+", 2).encode())


if __name__ == "__main__":
    main()
