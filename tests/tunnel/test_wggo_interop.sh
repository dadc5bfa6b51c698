#!/usr/bin/env bash
# test_wggo_interop.sh BUILD_DIR - signpostd's tunnel against a stock wireguard-go.
#
# Namespace "a" runs signpostd, namespace "b" wireguard-go, joined by a veth
# pair.  Checks: a handshake with signpostd as responder, then (fresh
# sessions on both sides) as initiator; ping -6 over the overlay both ways;
# iperf3 for ~3 s both ways; `wg show` on both sides (signpostd through our
# UAPI socket) reports a handshake and byte counts; `wg set` through the UAPI
# removes and re-adds the peer.
set -u
source "$(dirname "$0")/tunlib.sh" "$1"
trap tl_cleanup EXIT
command -v wireguard-go >/dev/null && command -v wg >/dev/null && command -v iperf3 >/dev/null ||
	tl_fail "needs wireguard-go, wg and iperf3"

tl_ns a
tl_ns b
tl_veth a 192.0.2.1 b 192.0.2.2
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
tl_log "signpostd $SP_IF $OA; wireguard-go $WG_IF $WA"

# start_wggo LOGNAME [ENDPOINT]: a fresh wireguard-go with signpostd as its peer.
start_wggo() {
	tl_bg "$1" ip netns exec "$(tl_nsname b)" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose \
		wireguard-go "$WG_IF"
	tl_wait 10 test -S "/var/run/wireguard/$WG_IF.sock" || tl_fail "wireguard-go did not start"
	tl_wait 5 tl_exec b ip link show "$WG_IF" || tl_fail "no $WG_IF"
	local ep=()
	[ -n "${2:-}" ] && ep=(endpoint "$2")
	tl_exec b wg set "$WG_IF" private-key "$TL_DIR/wg.key" listen-port 51821 \
		peer "$SP_PUB" allowed-ips "$OA/128" "${ep[@]}" || tl_fail "wg set on wireguard-go"
	tl_exec b ip -6 addr add "$WA/48" dev "$WG_IF" nodad
	tl_exec b ip link set "$WG_IF" up
}
stop_wggo() {
	kill "$(eval echo "\$PID_$1")" 2>/dev/null
	tl_wait 10 bash -c "! test -S /var/run/wireguard/$WG_IF.sock" || tl_fail "wireguard-go did not stop"
}

# ---- 1. signpostd as responder: peer from the config (no endpoint), wireguard-go initiates.
cat >>"$TL_DIR/sp/signpost.conf" <<EOF
[peer]
public-key = $WG_PUB
allowed-ips = $WA/128
EOF
tl_reload sp
tl_wait 10 tl_status_is sp peers 1 || tl_fail "SIGHUP did not add the peer"
start_wggo wg1 192.0.2.1:51820
tl_wait 20 tl_exec b ping -6 -c1 -W1 "$OA" || tl_fail "ping wireguard-go -> signpostd"
grep -q "Sending handshake initiation" "$TL_DIR/wg1.log" || tl_fail "wireguard-go did not initiate"
tl_status_ge sp handshakes 1 || tl_fail "signpostd counted no handshake"
tl_exec a ping -6 -c3 -i0.2 -W2 "$WA" >/dev/null || tl_fail "ping signpostd -> wireguard-go"
tl_log "responder: handshake and ping both ways OK"

# wg show through our UAPI socket and on wireguard-go
check_wg_show() {
	local ns=$1 ifn=$2 key=$3
	local hs rx tx
	hs=$(tl_exec "$ns" wg show "$ifn" latest-handshakes | awk -v k="$key" '$1 == k { print $2 }')
	read -r rx tx < <(tl_exec "$ns" wg show "$ifn" transfer | awk -v k="$key" '$1 == k { print $2, $3 }')
	[ -n "$hs" ] && [ "$hs" -gt 0 ] || tl_fail "wg show $ifn: no handshake for $key"
	[ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] || tl_fail "wg show $ifn: no bytes ($rx/$tx)"
}
check_wg_show a "$SP_IF" "$WG_PUB"
check_wg_show b "$WG_IF" "$SP_PUB"
tl_exec a wg show "$SP_IF" | grep -q "listening port: 51820" || tl_fail "wg show: listen port"
tl_exec a wg showconf "$SP_IF" | grep -q "^PublicKey = $WG_PUB" || tl_fail "wg showconf"
tl_log "wg show on both sides OK"

# iperf3 ~3 s each way over the overlay
tl_bg iperf_srv ip netns exec "$(tl_nsname b)" iperf3 -s -B "$WA"
tl_wait 10 tl_exec a bash -c "echo > /dev/tcp/$WA/5201" || tl_fail "iperf3 server not reachable"
for dir in "" "-R"; do
	tl_exec a iperf3 -6 -c "$WA" -t 3 $dir -J >"$TL_DIR/iperf.json" 2>&1 ||
		tl_fail "iperf3 $dir failed: $(tail -5 "$TL_DIR/iperf.json")"
	bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$TL_DIR/iperf.json")
	[ "$bps" -gt 0 ] || tl_fail "iperf3 $dir moved no data"
	tl_log "iperf3 ${dir:-forward}: $((bps / 1000000)) Mbit/s"
done

# ---- 2. signpostd as initiator: fresh state on both sides, peer re-added through the UAPI.
stop_wggo wg1
tl_exec a wg set "$SP_IF" peer "$WG_PUB" remove || tl_fail "wg set remove via UAPI"
tl_wait 5 tl_status_is sp peers 0 || tl_fail "UAPI remove did not remove the peer"
start_wggo wg2 ""
tl_exec a wg set "$SP_IF" peer "$WG_PUB" endpoint 192.0.2.2:51821 allowed-ips "$WA/128" ||
	tl_fail "wg set add via UAPI"
tl_wait 20 tl_exec a ping -6 -c1 -W1 "$WA" || tl_fail "ping signpostd -> wireguard-go (initiator)"
grep -q "Received handshake initiation" "$TL_DIR/wg2.log" || tl_fail "signpostd did not initiate"
tl_exec b ping -6 -c3 -i0.2 -W2 "$OA" >/dev/null || tl_fail "ping wireguard-go -> signpostd"
check_wg_show a "$SP_IF" "$WG_PUB"
check_wg_show b "$WG_IF" "$SP_PUB"
tl_log "initiator: handshake, ping both ways and wg show OK"

# ---- 3. a stock client set up from `signpost wg-quick`: the printed [Interface]/[Peer]
# (Address and comments stripped, as wg-quick itself does) joins the overlay through signpostd.
stop_wggo wg2
(umask 077 && "$SIGNPOST" genkey >"$TL_DIR/phone.key")
tl_ctl sp wg-quick phone --key-file "$TL_DIR/phone.key" --endpoint 192.0.2.1:51820 \
	>"$TL_DIR/phone.conf" || tl_fail "wg-quick command"
# The private key was filled in by the CLI (only the public key went to signpostd):
# it must be the WireGuard (X25519) form of the device key.
PHONE_WG_PRIV=$(awk '$1 == "PrivateKey" { print $3 }' "$TL_DIR/phone.conf")
[ "$(printf '%s\n' "$PHONE_WG_PRIV" | wg pubkey)" = "$("$SIGNPOST" pubkey --wireguard <"$TL_DIR/phone.key")" ] ||
	tl_fail "wg-quick: PrivateKey is not the device's WireGuard key"
grep -q "^AllowedIPs = .*/48$" "$TL_DIR/phone.conf" || tl_fail "wg-quick: no /48 AllowedIPs"
PHONE_ADDR=$(awk '$1 == "Address" { sub(/\/128$/, "", $3); print $3 }' "$TL_DIR/phone.conf")
PHONE_PUB=$(awk '$2 == "public-key" { print $4 }' "$TL_DIR/phone.conf")
[ -n "$PHONE_ADDR" ] && [ -n "$PHONE_PUB" ] || tl_fail "wg-quick output: $(cat "$TL_DIR/phone.conf")"
printf '[peer]\npublic-key = %s\nallowed-ips = %s/128\n' "$PHONE_PUB" "$PHONE_ADDR" >>"$TL_DIR/sp/signpost.conf"
tl_reload sp
tl_wait 10 bash -c "'$SIGNPOST' -c '$TL_DIR/sp/signpost.conf' status | grep -q '$PHONE_PUB'" ||
	tl_fail "SIGHUP did not add the phone"
tl_bg wg3 ip netns exec "$(tl_nsname b)" env WG_PROCESS_FOREGROUND=1 wireguard-go "$WG_IF"
tl_wait 10 test -S "/var/run/wireguard/$WG_IF.sock" || tl_fail "wireguard-go did not start"
grep -v -e '^#' -e '^Address' "$TL_DIR/phone.conf" >"$TL_DIR/phone.wg"
tl_exec b wg setconf "$WG_IF" "$TL_DIR/phone.wg" || tl_fail "wg setconf of the wg-quick output"
tl_exec b ip -6 addr add "$PHONE_ADDR/128" dev "$WG_IF" nodad
tl_exec b ip link set "$WG_IF" up
# (wg-quick adds a route for each AllowedIPs prefix; so do we)
tl_exec b ip -6 route add "$(awk '$1 == "AllowedIPs" { print $3 }' "$TL_DIR/phone.conf")" dev "$WG_IF"
tl_wait 20 tl_exec b ping -6 -c1 -W1 "$OA" || tl_fail "wg-quick client cannot reach signpostd"
tl_log "wg-quick configuration joins the overlay"
echo PASS
