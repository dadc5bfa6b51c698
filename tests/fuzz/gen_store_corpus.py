#!/usr/bin/env python3
"""Write the seed corpora of fuzz_store_op, _json, _frame and _session (tests/fuzz/corpus/store_*/).

Run from the repository root: python3 tests/fuzz/gen_store_corpus.py
"""
import os
import struct

def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def op(kind=1, coll=b"notes", key=b"shopping", seen=(), value=b'{"t":"milk"}',
       hlc=(1764806400000 << 16) | 3, device=b"\xab" * 16, version=1):
    return (struct.pack(">BQ", version, hlc) + device + struct.pack(">BB", kind, len(coll)) + coll
            + struct.pack(">H", len(key)) + key + struct.pack(">B", len(seen)) + b"".join(seen)
            + struct.pack(">I", len(value)) + value)

O = "tests/fuzz/corpus/store_op"
write(O, "put-ok", op())
write(O, "put-seen-ok", op(seen=(b"\x01" * 16, b"\x02" * 16)))
write(O, "del-ok", op(kind=2, value=b""))
write(O, "files-ok", op(coll=b"_files", key=b"photo.jpg",
                        value=b'{"size":3,"mtime":1,"manifest":["00"]}'))
write(O, "utf8-key-ok", op(key="caf\u00e9/2026".encode()))
write(O, "bad-version", op(version=2))
write(O, "bad-kind", op(kind=3))
write(O, "bad-del-value", op(kind=2))
write(O, "bad-put-empty", op(value=b""))
write(O, "bad-json", op(value=b"{x}"))
write(O, "bad-seen-order", op(seen=(b"\x02" * 16, b"\x01" * 16)))
write(O, "bad-coll", op(coll=b".hidden"))
write(O, "bad-key-ctl", op(key=b"a\nb"))
write(O, "bad-trailing", op() + b"\0")
write(O, "bad-short", op()[:20])
write(O, "bad-empty", b"")

J = "tests/fuzz/corpus/store_json"
for name, text in [("object", b'{"a":[1,2.5e-3,true,false,null],"b":{"c":"d"}}'),
                   ("string-escapes", b'"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\"'),
                   ("utf8", '"caf\u00e9 \U0001F600"'.encode()),
                   ("number", b"-0.5E+10"), ("nested", b"[" * 64 + b"]" * 64),
                   ("too-deep", b"[" * 65 + b"]" * 65), ("trailing", b"{} x"),
                   ("bad-surrogate", b'"\\udc00"'), ("overlong", b'"\xc0\xaf"'),
                   ("unclosed", b'{"a":[1,2'), ("leading-zero", b"012"), ("empty", b"")]:
    write(J, name, text)


# Sync frames (src/store/st_frame.h): u32 len | u8 type | body.
def frame(t, body):
    return struct.pack(">IB", len(body) + 1, t) + body

HELLO, OPS, CAUGHT_UP, RANGES, WANT, DONE, CHUNK_WANT, CHUNK, ERROR, GONE = range(1, 11)
PEER = b"\x0a" + b"\0" * 15          # the device fuzz_store_session expects at the other end

def hello(device=PEER, epoch=b"\x11" * 16, max_seq=5, count=5, digest=b"\x22" * 16,
          known_epoch=b"\0" * 16, known_seq=0, version=1):
    return frame(HELLO, struct.pack(">B", version) + device + epoch + struct.pack(">QQ", max_seq, count)
                 + digest + known_epoch + struct.pack(">Q", known_seq))

def ops(*items):
    return frame(OPS, struct.pack(">H", len(items)) + b"".join(struct.pack(">I", len(o)) + o for o in items))

def bound(hlc=0, prefix=b"", end=False):
    return struct.pack(">QB", hlc, 0xff if end else len(prefix)) + (b"" if end else prefix)

def ranges(*rs):
    return frame(RANGES, struct.pack(">H", len(rs)) + b"".join(rs))

def r_skip(b):
    return b + b"\0"

def r_fp(b, count=3, fp=b"\x33" * 16):
    return b + b"\1" + struct.pack(">Q", count) + fp

def r_ids(b, ids=()):
    return b + b"\2" + struct.pack(">H", len(ids)) + b"".join(ids)

def want(*ids):
    return frame(WANT, struct.pack(">H", len(ids)) + b"".join(ids))

T0 = (1764806400000 << 16)
good = [op(hlc=T0 + 1), op(key=b"other", hlc=T0 + 2), op(kind=2, value=b"", hlc=T0 + 3)]
F = "tests/fuzz/corpus/store_frame"
S = "tests/fuzz/corpus/store_session"
seeds = {
    "hello": hello(),
    "hello-known": hello(known_epoch=b"\x44" * 16, known_seq=3),
    "hello-bad-version": hello(version=9),
    "hello-other-device": hello(device=b"\x0c" * 16),
    "hello-ops-caught-up": hello() + ops(*good) + frame(CAUGHT_UP, struct.pack(">Q", 5)),
    "hello-ops-bad-op": hello() + ops(good[0], op(value=b"{x}", hlc=T0 + 9)),
    "hello-ranges-start": hello() + ranges(r_fp(bound(T0 + 2, b"\x80")), r_ids(bound(end=True), (b"\x01" * 16,))),
    "hello-ranges-skip-end": hello() + ranges(r_skip(bound(end=True))),
    "hello-ranges-empty": hello() + ranges(),
    "hello-ranges-unordered": hello() + ranges(r_skip(bound(9)), r_skip(bound(3)), r_skip(bound(end=True))),
    "hello-want": hello() + want(b"\x05" * 16, b"\x06" * 16),
    "hello-done-early": hello() + frame(DONE, struct.pack(">Q", 1) + b"\0" * 16),
    "hello-chunk-want": hello() + frame(CHUNK_WANT, b"\x07" * 32),
    "hello-chunk-unasked": hello() + frame(CHUNK, b"\x07" * 32 + b"data"),
    "hello-error": hello() + frame(ERROR, struct.pack(">H", 1004) + b"bad frame"),
    "hello-gone": hello() + frame(GONE, struct.pack(">HQ", 1, T0 + 5) + b"\x09" * 16 + b"\x05notes"),
    "hello-gone-bad-coll": hello() + frame(GONE, struct.pack(">HQ", 1, T0 + 5) + b"\x09" * 16 + b"\x02.x"),
    "ops-before-hello": ops(good[0]),
    "huge-length": struct.pack(">IB", 0x7fffffff, OPS),
    "zero-length": struct.pack(">I", 0),
    "truncated": hello()[:30],
}
for name, data in seeds.items():
    write(F, name, data)
    write(S, name, data)
