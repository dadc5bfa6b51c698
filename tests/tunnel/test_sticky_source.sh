#!/usr/bin/env bash
# test_sticky_source.sh BUILD_DIR - replies leave from the address the request came to.
#
# Namespace "a" runs signpostd on a host with TWO addresses on one interface
# (IPv4 and IPv6), namespace "b" a stock wireguard-go that talks to the
# address the kernel would NOT pick as the source towards b (so a reply
# without a sticky source would come from the wrong one).  Checks, with a
# sniffer on b's side (udpsrc.py): the handshake response and the data come
# from that address, over IPv4 and IPv6, and wireguard-go's endpoint stays
# there; cookie replies under load (wgcap.py flood) come from it too; the
# transport counts a STUN datagram (no handler: unhandled) and a WireGuard
# type of a wrong length (dropped); `wg set IF listen-port N` moves the
# socket, the transport counts the port change and the tunnel works on it.
set -u
source "$(dirname "$0")/tunlib.sh" "$1"
trap tl_cleanup EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wireguard-go >/dev/null && command -v wg >/dev/null || tl_fail "needs wireguard-go and wg"

tl_ns a
tl_ns b
tl_veth a 192.0.2.1 b 192.0.2.2
VA="v${TL_ID}a"
VB="v${TL_ID}b"
tl_exec a ip addr add 192.0.2.11/24 dev "$VA"
tl_exec a ip -6 addr add 2001:db8::1/64 dev "$VA" nodad
tl_exec a ip -6 addr add 2001:db8::11/64 dev "$VA" nodad
tl_exec b ip -6 addr add 2001:db8::2/64 dev "$VB" nodad

# The kernel's own choice of source towards b, and so the other address (the test's target).
ksrc() { tl_exec a ip -o route get "$1" | sed -n 's/.* src \([^ ]*\).*/\1/p'; }
other() { if [ "$1" = "$2" ]; then echo "$3"; else echo "$2"; fi; }
K4=$(ksrc 192.0.2.2)
K6=$(ksrc 2001:db8::2)
[ -n "$K4" ] && [ -n "$K6" ] || tl_fail "no kernel source address ($K4/$K6)"
T4=$(other "$K4" 192.0.2.1 192.0.2.11)
T6=$(other "$K6" 2001:db8::1 2001:db8::11)
tl_log "kernel source towards b: $K4 / $K6; the peer talks to $T4 / $T6"

tl_signpostd sp a 51820
SP_IF=$(tl_ifname sp)
SP_PUB=$(tl_wgkey sp)
OA=$(tl_overlay sp)
WA=$(tl_overlay_host "$OA" b0b)
WG_IF="wgt$TL_ID"
WG_KEY=$(wg genkey)
WG_PUB=$(echo "$WG_KEY" | wg pubkey)
echo "$WG_KEY" >"$TL_DIR/wg.key"
chmod 600 "$TL_DIR/wg.key"
cat >>"$TL_DIR/sp/signpost.conf" <<EOF2
[peer]
public-key = $WG_PUB
allowed-ips = $WA/128
EOF2
tl_reload sp
tl_wait 10 tl_status_is sp peers 1 || tl_fail "SIGHUP did not add the peer"

CAP=$TL_DIR/cap.txt
tl_bg sniff ip netns exec "$(tl_nsname b)" python3 "$HERE/udpsrc.py" "$VB" 51820 120 "$CAP"
tl_wait 10 test -f "$CAP.ready" || tl_fail "sniffer did not start"

tl_bg wg1 ip netns exec "$(tl_nsname b)" env WG_PROCESS_FOREGROUND=1 wireguard-go "$WG_IF"
tl_wait 10 test -S "/var/run/wireguard/$WG_IF.sock" || tl_fail "wireguard-go did not start"
tl_exec b wg set "$WG_IF" private-key "$TL_DIR/wg.key" listen-port 51821 \
	peer "$SP_PUB" allowed-ips "$OA/128" endpoint "$T4:51820" || tl_fail "wg set on wireguard-go"
tl_exec b ip -6 addr add "$WA/48" dev "$WG_IF" nodad
tl_exec b ip link set "$WG_IF" up

# wg_endpoint: wireguard-go's endpoint for signpostd (it roams to where replies come from).
wg_endpoint() { tl_exec b wg show "$WG_IF" endpoints | awk -v k="$SP_PUB" '$1 == k { print $2 }'; }
# from ADDR TYPE: a datagram of that WireGuard type came from ADDR; none from elsewhere.
from_only() {
	grep -q "^$1 $2 " "$CAP" || return 1
	! awk -v a="$1" -v t="$2" '$2 == t && $1 != a' "$CAP" | grep -q .
}

# ---- IPv4
tl_wait 20 tl_exec b ping -6 -c1 -W1 "$OA" || tl_fail "ping over IPv4 to $T4"
tl_exec b ping -6 -c3 -i0.2 -W2 "$OA" >/dev/null || tl_fail "ping over IPv4"
tl_wait 5 from_only "$T4" 2 || tl_fail "handshake response not (only) from $T4: $(sort -u "$CAP" | head)"
from_only "$T4" 4 || tl_fail "data not (only) from $T4: $(awk '$2 == 4' "$CAP" | sort -u | head)"
[ "$(wg_endpoint)" = "$T4:51820" ] || tl_fail "wireguard-go roamed to $(wg_endpoint)"
tl_log "IPv4: response and data from $T4, wireguard-go's endpoint stays $T4:51820"

# ---- IPv6: wireguard-go moves to the IPv6 target; signpostd roams and answers from it.
: >"$CAP"
tl_exec b wg set "$WG_IF" peer "$SP_PUB" endpoint "[$T6]:51820" || tl_fail "wg set endpoint v6"
tl_exec b ping -6 -c3 -i0.2 -W2 "$OA" >/dev/null || tl_fail "ping over IPv6"
tl_wait 5 from_only "$T6" 4 || tl_fail "IPv6 data not (only) from $T6: $(sort -u "$CAP" | head)"
[ "$(wg_endpoint)" = "[$T6]:51820" ] || tl_fail "wireguard-go roamed to $(wg_endpoint) (v6)"
tl_log "IPv6: data from $T6, wireguard-go's endpoint stays [$T6]:51820"

# ---- cookie replies under load leave from the address the initiations came to
: >"$CAP"
out=$(tl_exec b python3 "$HERE/wgcap.py" flood "$T4" 51820 "$SP_PUB" 400 5) || tl_fail "flood: $out"
tl_status_ge sp cookie-replies-sent 1 || tl_fail "no cookie replies under load ($out)"
tl_wait 5 from_only "$T4" 3 || tl_fail "cookie replies not (only) from $T4: $(awk '$2 == 3' "$CAP" | sort -u | head)"
tl_log "cookie replies from $T4 ($out)"

# ---- the classifier's counters: STUN (no handler yet) and a WireGuard type of a wrong length
stun0=$(tl_status sp rx-stun); bad0=$(tl_status sp rx-bad-length); unh0=$(tl_status sp rx-unhandled)
tl_exec b python3 - "$T4" <<'PY' || tl_fail "cannot send the test datagrams"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stun = bytes([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]) + bytes(range(12))
s.sendto(stun, (sys.argv[1], 51820))
s.sendto(b"\x01\x00\x00\x00" + b"\x00" * 143, (sys.argv[1], 51820))  # initiation, 147 bytes
PY
tl_wait 5 tl_status_ge sp rx-stun $((stun0 + 1)) || tl_fail "STUN not counted"
tl_wait 5 tl_status_ge sp rx-bad-length $((bad0 + 1)) || tl_fail "147-byte initiation not dropped and counted"
tl_status_ge sp rx-unhandled $((unh0 + 1)) || tl_fail "STUN without a handler not counted"
tl_status_ge sp demuxed 1 || tl_fail "the tunnel's demuxed line does not count the STUN datagram"
tl_log "classifier: STUN counted (unhandled), wrong-length initiation dropped and counted"

# ---- port change through the UAPI: the socket moves, the change is counted, the tunnel works
events() { tl_ctl sp status | awk '$1 == "events:" { print $2; exit }'; }
ev0=$(events)
tl_exec a wg set "$SP_IF" listen-port 51999 || tl_fail "wg set listen-port"
tl_wait 5 tl_status_is sp udp-port 51999 || tl_fail "transport did not rebind"
tl_status_is sp listen-port 51999 || tl_fail "tunnel listen-port not updated"
tl_status_ge sp port-changes 1 || tl_fail "port change not counted"
tl_exec a wg show "$SP_IF" | grep -q "listening port: 51999" || tl_fail "wg show: listen port"
[ "$(events)" -gt "$ev0" ] || tl_fail "no event emitted ($ev0 -> $(events))"
tl_exec a bash -c "! ss -uln | grep -q ':51820 '" || tl_fail "old port still bound"
tl_exec b wg set "$WG_IF" peer "$SP_PUB" endpoint "$T4:51999" || tl_fail "wg set endpoint new port"
tl_wait 10 tl_exec b ping -6 -c1 -W1 "$OA" || tl_fail "ping after the port change"
tl_log "listen-port 51999: rebound, counted, tunnel up"
echo PASS
