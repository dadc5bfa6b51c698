#!/usr/bin/env python3
"""Write the seed corpora of fuzz_store_op and fuzz_store_json (tests/fuzz/corpus/store_*/).

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
