#!/usr/bin/env bash
# test_overlay_route.sh BUILD_DIR - [tunnel] overlay-route and packets that
# wait for a peer, with a real TUN device in a namespace: a device routes
# all of fd00::/8 into the tunnel by default; UDP to an address of a
# friend's zone (no peer) enters it and waits (status: pending-queued,
# one no-peer event); `wg set` adding a peer with that allowed IP sends the
# waiting packets on (pending-sent); a packet no peer comes for expires
# (tunnel.pending-expiry shortened); a reload replaces the overlay route;
# a signpost routes no overlay prefix by default.
set -u
source "$(dirname "$0")/tunlib.sh" "$1"
trap tl_cleanup EXIT
command -v wg >/dev/null || tl_fail "needs wg (wireguard-tools)"

export SIGNPOST_INTERVALS=tunnel.pending-expiry=1500
tl_ns a
tl_signpostd na a 51820
IF=$(tl_ifname na)
CONF=$TL_DIR/na/signpost.conf

tl_exec a ip -6 route show dev "$IF" | grep -q "^fd00::/8" ||
	tl_fail "no fd00::/8 route on a device: $(tl_exec a ip -6 route show dev "$IF")"
tl_log "role device: fd00::/8 routed into $IF"

# udp6 ADDR N: N datagrams to ADDR port 9 from inside the namespace
udp6() {
	tl_exec a python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])): s.sendto(b"signpost %d" % i,(sys.argv[1],9))' "$1" "$2"
}
FRIEND=fd55:1:2::9
udp6 "$FRIEND" 3 || tl_fail "cannot send to $FRIEND"
tl_wait 5 tl_status_ge na pending-queued 3 || tl_fail "the packets did not wait: $(tl_ctl na status)"
tl_status_is na no-peer-events 1 || tl_fail "not one no-peer event: $(tl_status na no-peer-events)"
tl_status_is na pending-waiting 3 && tl_status_is na pending-destinations 1 ||
	tl_fail "waiting: $(tl_status na pending-waiting) for $(tl_status na pending-destinations)"
tl_log "3 packets to $FRIEND wait, one no-peer event"

PK=$(wg genkey | wg pubkey)
tl_exec a wg set "$IF" peer "$PK" allowed-ips "$FRIEND/128" endpoint 127.0.0.1:9 ||
	tl_fail "wg set"
tl_wait 5 tl_status_is na pending-sent 3 || tl_fail "not sent on: $(tl_status na pending-sent)"
tl_status_is na pending-waiting 0 && tl_status_is na pending-destinations 0 || tl_fail "still waiting"
tl_log "the peer from wg set took them"

udp6 fd55:1:2::a 1
tl_wait 5 tl_status_ge na pending-queued 4 || tl_fail "the fourth packet did not wait"
tl_wait 10 tl_status_is na pending-expired 1 || tl_fail "not expired: $(tl_status na pending-expired)"
tl_status_is na pending-waiting 0 || tl_fail "expired but waiting"
tl_log "a packet no peer came for expired"

echo "overlay-route = fd77::/16" >>"$CONF"
o0=$(tl_ctl na status | awk '$1 == "reloads:" { print $2; exit }')
tl_reload na
tl_wait 10 bash -c "[ \$('$SIGNPOST' -c '$CONF' status | awk '\$1 == \"reloads:\" { print \$2; exit }') -gt $o0 ]" ||
	tl_fail "reload not applied"
routes=$(tl_exec a ip -6 route show dev "$IF")
echo "$routes" | grep -q "^fd77::/16" || tl_fail "no fd77::/16 after reload: $routes"
echo "$routes" | grep -q "^fd00::/8" && tl_fail "fd00::/8 left after reload: $routes"
tl_log "reload: overlay-route replaced"

# A signpost: no overlay route unless configured (its own /48 is on-link through its address).
tl_ns b
tl_conf sb b 51820
sed -i 's/^role = device/role = signpost/' "$TL_DIR/sb/signpost.conf"
tl_signpostd sb b 51820
IFB=$(tl_ifname sb)
routes=$(tl_exec b ip -6 route show dev "$IFB")
echo "$routes" | grep -q "^fd00::/8" && tl_fail "a signpost routes fd00::/8: $routes"
echo "$routes" | grep -q "/48" || tl_fail "no on-link /48 on the signpost: $routes"
tl_log "role signpost: no overlay route by default"
echo "PASS"
