#!/usr/bin/env bash
# test_peer_owners.sh BUILD_DIR - peer owners and the one identity, on two
# signpostd nodes.
#
# Each node adds the other at run time with the stock `wg set` (owner uapi)
# and a session comes up (ping over the tunnel).  Then node a's [peer]
# sections change (a config peer's allowed-ips and keepalive, another config
# peer added) and SIGHUP: the change applies, and the run-time peer is still
# there with the SAME session (same latest-handshake, no new handshake while
# ping still works).  Config peers removed: the run-time peer stays.  A
# [peer] for the run-time peer's key takes it over (session kept) and takes
# it away when the section goes.  `wg set IF private-key OTHER` fails and
# status still shows one key; the node's own key is accepted.
set -u
source "$(dirname "$0")/tunlib.sh" "$1"
trap tl_cleanup EXIT
command -v wg >/dev/null || tl_fail "needs wg (wireguard-tools)"

tl_ns a
tl_ns b
tl_veth a 192.0.2.1 b 192.0.2.2
tl_signpostd na a 51820
tl_signpostd nb b 51820
IFA=$(tl_ifname na)
IFB=$(tl_ifname nb)
KA=$(tl_wgkey na)
KB=$(tl_wgkey nb)
OA=$(tl_overlay na)
OB=$(tl_overlay nb)
CONF=$TL_DIR/na/signpost.conf
cp "$CONF" "$TL_DIR/base.conf"
PK1=$(wg genkey | wg pubkey)
PK2=$(wg genkey | wg pubkey)

refused() { tl_ctl "$1" status | awk '$1 == "reloads:" { print $4; exit }'; }
okd() { tl_ctl "$1" status | awk '$1 == "reloads:" { print $2; exit }'; }
# reload_ok NODE WHAT: SIGHUP and wait until it is counted as applied
reload_ok() {
	local o0 r0; o0=$(okd "$1"); r0=$(refused "$1")
	tl_reload "$1"
	tl_wait 10 bash -c "[ \$('$SIGNPOST' -c '$TL_DIR/$1/signpost.conf' status | awk '\$1 == \"reloads:\" { print \$2 + \$4; exit }') -gt $((o0 + r0)) ]" ||
		tl_fail "$1: SIGHUP not handled ($2)"
	[ "$(okd "$1")" -gt "$o0" ] || tl_fail "$1: reload refused: $2"
}
owners() { tl_status "$1" peers-by-owner; }
owner_is() { owners "$1" | grep -qw "$2=$3"; }
# latest-handshake (seconds) of peer KEY on node NS's interface IF
hs_time() { tl_exec "$1" wg show "$2" latest-handshakes | awk -v k="$3" '$1 == k { print $2 }'; }
aips_of() { tl_exec "$1" wg show "$2" allowed-ips | awk -v k="$3" '$1 == k { $1 = ""; print }'; }
ka_of() { tl_exec "$1" wg show "$2" persistent-keepalive | awk -v k="$3" '$1 == k { print $2 }'; }

# ---- a config peer on a, then the run-time peers on both sides.
cat >>"$CONF" <<EOT
[peer]
public-key = $PK1
allowed-ips = 10.99.1.0/24
EOT
reload_ok na "a config peer"
tl_exec a wg set "$IFA" peer "$KB" endpoint 192.0.2.2:51820 allowed-ips "$OB/128" ||
	tl_fail "wg set on a failed"
tl_exec b wg set "$IFB" peer "$KA" endpoint 192.0.2.1:51820 allowed-ips "$OA/128" ||
	tl_fail "wg set on b failed"
owner_is na config 1 && owner_is na uapi 1 || tl_fail "a's owners: $(owners na)"
owner_is nb uapi 1 && owner_is nb config 0 || tl_fail "b's owners: $(owners nb)"
tl_wait 15 tl_exec a ping -6 -c1 -W1 "$OB" || tl_fail "no ping a -> b over the run-time peers"
tl_wait 10 test -n "$(hs_time a "$IFA" "$KB")" -a "$(hs_time a "$IFA" "$KB")" != 0 ||
	tl_fail "no latest-handshake for the run-time peer"
HS_A=$(hs_time a "$IFA" "$KB")
HS_B=$(hs_time b "$IFB" "$KA")
N_A=$(tl_status na handshakes)
N_B=$(tl_status nb handshakes)
tl_log "run-time session up (handshake at $HS_A), owners a: $(owners na)"

# ---- change the configuration: PK1's allowed-ips and keepalive, and a second config peer.
cp "$TL_DIR/base.conf" "$CONF"
cat >>"$CONF" <<EOT
[peer]
public-key = $PK1
allowed-ips = 10.99.3.0/24
persistent-keepalive = 21
[peer]
public-key = $PK2
allowed-ips = 10.99.2.0/24
EOT
# at least one second later, so a new handshake would show a new time
tl_wait 5 bash -c "[ \$(date +%s) -gt $HS_A ]"
reload_ok na "config peers changed"
reload_ok nb "nothing changed"
[ "$(aips_of a "$IFA" "$PK1" | xargs)" = "10.99.3.0/24" ] ||
	tl_fail "PK1's allowed-ips did not change: $(aips_of a "$IFA" "$PK1")"
[ "$(ka_of a "$IFA" "$PK1")" = 21 ] || tl_fail "PK1's keepalive did not change: $(ka_of a "$IFA" "$PK1")"
tl_exec a wg show "$IFA" peers | grep -qx "$PK2" || tl_fail "the second config peer is missing"
tl_exec a ip route show dev "$IFA" | grep -q "10.99.2.0/24" || tl_fail "no route for the new config peer"
tl_exec a ip route show dev "$IFA" | grep -q "10.99.1.0/24" && tl_fail "the old route of PK1 is left"
owner_is na config 2 && owner_is na uapi 1 || tl_fail "a's owners after the reload: $(owners na)"
# the run-time peer: still there, same allowed-ips, same session
tl_exec a wg show "$IFA" peers | grep -qx "$KB" || tl_fail "the run-time peer is gone after SIGHUP"
[ "$(aips_of a "$IFA" "$KB" | xargs)" = "$OB/128" ] || tl_fail "the run-time peer's allowed-ips changed"
[ "$(hs_time a "$IFA" "$KB")" = "$HS_A" ] || tl_fail "a: new handshake after SIGHUP ($HS_A -> $(hs_time a "$IFA" "$KB"))"
[ "$(hs_time b "$IFB" "$KA")" = "$HS_B" ] || tl_fail "b: new handshake after SIGHUP"
tl_exec a ping -6 -c3 -i0.2 -W2 "$OB" >/dev/null || tl_fail "no ping over the run-time peer after SIGHUP"
tl_exec b ping -6 -c2 -i0.2 -W2 "$OA" >/dev/null || tl_fail "no ping b -> a after SIGHUP"
[ "$(tl_status na handshakes)" = "$N_A" ] && [ "$(tl_status nb handshakes)" = "$N_B" ] ||
	tl_fail "the pings needed a new handshake (a $N_A -> $(tl_status na handshakes), b $N_B -> $(tl_status nb handshakes))"
[ "$(hs_time a "$IFA" "$KB")" = "$HS_A" ] || tl_fail "latest-handshake moved"
tl_log "config change applied; run-time peer kept its session (handshake $HS_A, $N_A handshakes)"

# ---- every config peer removed: the run-time peer stays.
cp "$TL_DIR/base.conf" "$CONF"
reload_ok na "config peers removed"
owner_is na config 0 && owner_is na uapi 1 || tl_fail "a's owners: $(owners na)"
tl_status_is na peers 1 || tl_fail "peers: $(tl_status na peers)"
tl_exec a ping -6 -c1 -W2 "$OB" >/dev/null || tl_fail "no ping after the config peers went"
[ "$(hs_time a "$IFA" "$KB")" = "$HS_A" ] || tl_fail "new handshake after removing config peers"
tl_log "config peers removed, run-time peer kept"

# ---- a [peer] for the run-time peer's key takes it over, session kept; then takes it away.
cat >>"$CONF" <<EOT
[peer]
public-key = $KB
endpoint = 192.0.2.2:51820
allowed-ips = $OB/128
EOT
reload_ok na "takeover"
owner_is na config 1 && owner_is na uapi 0 || tl_fail "not taken over: $(owners na)"
[ "$(hs_time a "$IFA" "$KB")" = "$HS_A" ] || tl_fail "the takeover dropped the session"
tl_exec a ping -6 -c1 -W2 "$OB" >/dev/null || tl_fail "no ping after the takeover"
cp "$TL_DIR/base.conf" "$CONF"
reload_ok na "the taken-over peer's section removed"
tl_status_is na peers 0 || tl_fail "the config-owned peer stayed: $(owners na)"
tl_log "a [peer] section takes over a run-time peer, and removes it with the section"

# ---- one identity: a different private key is refused, the node's own accepted.
(umask 077; wg genkey >"$TL_DIR/other.key")
PUB0=$(tl_exec a wg show "$IFA" public-key)
[ "$PUB0" = "$KA" ] || tl_fail "wg shows $PUB0, the node's key is $KA"
tl_exec a wg set "$IFA" private-key "$TL_DIR/other.key" 2>"$TL_DIR/set.err" &&
	tl_fail "wg set private-key OTHER succeeded"
[ "$(tl_exec a wg show "$IFA" public-key)" = "$KA" ] || tl_fail "the tunnel key changed"
[ "$(tl_status na public-key)" = "$KA" ] || tl_fail "status shows tunnel key $(tl_status na public-key), node key $KA"
[ "$(tl_wgkey na)" = "$KA" ] || tl_fail "the node key changed"
grep -q "private_key refused" "$TL_DIR/na.log" || tl_fail "no log line for the refused key"
(umask 077; tl_exec a wg show "$IFA" private-key >"$TL_DIR/own.key")
tl_exec a wg set "$IFA" private-key "$TL_DIR/own.key" || tl_fail "wg set with the node's own key failed"
[ "$(tl_status na public-key)" = "$KA" ] || tl_fail "the own key changed something"
tl_log "a different private key refused ($(head -c 80 "$TL_DIR/set.err")), the own key accepted"
echo PASS
