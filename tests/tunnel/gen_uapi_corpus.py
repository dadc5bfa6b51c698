#!/usr/bin/env python3
"""Write the seed corpus of fuzz_tunnel_uapi into tests/fuzz/corpus/tunnel_uapi/.

Usage: python3 tests/tunnel/gen_uapi_corpus.py [DIR]
Seeds are requests as wg(8) sends them, replies, endpoints, and malformed
variants of each (bad values, wrong sections, limits, NULs, truncation).
"""
import os
import sys

K1 = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
K2 = "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
K3 = "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376"
PSK = "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"
Z = "0" * 64

SETCONF = ("set=1\nprivate_key=%s\nlisten_port=51820\nfwmark=4660\nreplace_peers=true\n"
           "public_key=%s\npreshared_key=%s\nendpoint=192.0.2.7:51821\n"
           "persistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
           "allowed_ip=10.10.0.2/32\nallowed_ip=fd12:3456:789a::/48\n"
           "public_key=%s\nendpoint=[2001:db8::1]:4500\nreplace_allowed_ips=true\n"
           "allowed_ip=0.0.0.0/0\nallowed_ip=::/0\n\n") % (K1, K2, PSK, K3)

seeds = {
    "get": "get=1\n\n",
    "get_then_set": "get=1\n\nset=1\nlisten_port=1\n\n",
    "get_trailing": "get=1\nx",
    "get_partial": "get=",
    "setconf": SETCONF,
    "setconf_no_end": SETCONF[:-1],
    "setconf_truncated": SETCONF[:200],
    "set_empty": "set=1\n\n",
    "set_only_head": "set=1\n",
    "set_remove_peer": "set=1\npublic_key=%s\nremove=true\n\n" % K2,
    "set_update_only": "set=1\npublic_key=%s\nupdate_only=true\nendpoint=1.2.3.4:5\n\n" % K2,
    "set_zero_key": "set=1\nprivate_key=%s\nlisten_port=0\n\n" % Z,
    "set_protocol_version": "set=1\npublic_key=%s\nprotocol_version=1\n\n" % K2,
    "set_bad_protocol_version": "set=1\npublic_key=%s\nprotocol_version=2\n\n" % K2,
    "set_aip_remove": "set=1\npublic_key=%s\nallowed_ip=-10.1.0.0/16\n\n" % K2,
    "set_aip_bad_cidr": "set=1\npublic_key=%s\nallowed_ip=10.0.0.0/33\n\n" % K2,
    "set_aip_v6_bad_cidr": "set=1\npublic_key=%s\nallowed_ip=fd00::/129\n\n" % K2,
    "set_aip_no_slash": "set=1\npublic_key=%s\nallowed_ip=10.0.0.0\n\n" % K2,
    "set_endpoint_scope": "set=1\npublic_key=%s\nendpoint=[fe80::1%%2]:51820\n\n" % K2,
    "set_endpoint_scope_name": "set=1\npublic_key=%s\nendpoint=[fe80::1%%lo]:51820\n\n" % K2,
    "set_endpoint_bare_v6": "set=1\npublic_key=%s\nendpoint=::1:51820\n\n" % K2,
    "set_endpoint_no_port": "set=1\npublic_key=%s\nendpoint=[::1]\n\n" % K2,
    "set_endpoint_hostname": "set=1\npublic_key=%s\nendpoint=example.com:51820\n\n" % K2,
    "set_port_overflow": "set=1\nlisten_port=65536\n\n",
    "set_fwmark_hex": "set=1\nfwmark=0x10\n\n",
    "set_fwmark_max": "set=1\nfwmark=4294967295\n\n",
    "set_keepalive_overflow": "set=1\npublic_key=%s\npersistent_keepalive_interval=99999999999999999999999\n\n" % K2,
    "set_peer_key_in_device": "set=1\nendpoint=1.2.3.4:5\n\n",
    "set_device_key_in_peer": "set=1\npublic_key=%s\nlisten_port=1\n\n" % K2,
    "set_no_equals": "set=1\nlisten_port\n\n",
    "set_unknown_key": "set=1\nbogus=1\n\n",
    "set_short_key": "set=1\nprivate_key=e84b\n\n",
    "set_long_key": "set=1\nprivate_key=%s00\n\n" % K1,
    "set_nonhex_key": "set=1\npublic_key=%s\n\n" % ("zz" + K2[2:]),
    "set_replace_false": "set=1\nreplace_peers=false\n\n",
    "set_crlf": "set=1\r\nlisten_port=1\r\n\r\n",
    "set_nul": "set=1\npublic_key=%s\nallowed_ip=10.0.0.0\x00/8\n\n" % K2,
    "set_long_line": "set=1\npublic_key=%s\nendpoint=%s\n\n" % (K2, "1" * 600),
    "set_many_peers": "set=1\n" + "".join("public_key=%064x\nallowed_ip=10.0.%d.0/24\n" % (i, i) for i in range(64)) + "\n",
    "set_many_aips": "set=1\npublic_key=%s\n" % K2 + "".join("allowed_ip=fd00:%x::/32\n" % i for i in range(200)) + "\n",
    "get_reply": "private_key=%s\nlisten_port=51820\npublic_key=%s\npreshared_key=%s\nprotocol_version=1\n"
                 "endpoint=192.0.2.7:51821\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=1\n"
                 "tx_bytes=5\nrx_bytes=6\npersistent_keepalive_interval=25\nallowed_ip=10.0.0.2/32\nerrno=0\n\n" % (K1, K2, Z),
    "errno_reply": "errno=-22\n\n",
    "endpoint_v4": "192.0.2.1:51820",
    "endpoint_v6": "[2001:db8::ffff:1.2.3.4]:80",
    "endpoint_bad": "[2001:db8::1]:",
    "empty": "",
    "newlines": "\n\n\n",
    "binary": "set=1\n\xff\xfe\x00\x01=\x80\n\n",
}

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fuzz", "corpus", "tunnel_uapi")
    os.makedirs(out, exist_ok=True)
    for name, text in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(text.encode("latin-1"))
    print("%d seeds in %s" % (len(seeds), out))

if __name__ == "__main__":
    main()
