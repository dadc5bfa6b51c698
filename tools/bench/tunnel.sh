#!/bin/bash
# tunnel.sh - tunnel throughput: signpostd vs wireguard-go vs the bare veth (issue 4).
#
# Two network namespaces joined by a veth pair (MTU 1500).  In the same run,
# one after the other, iperf3 TCP for SECONDS with one stream and with four:
#   veth:         directly over the veth (the ceiling of this machine's path);
#   signpostd:    a signpostd in each namespace, tunnel MTU 1420, over the overlay;
#   wireguard-go: a wireguard-go in each namespace, MTU 1420, same addresses plan.
# Prints Gbit/s for each and the ratios signpostd / wireguard-go and / veth.
# Usage: tools/bench/tunnel.sh [BUILD_DIR [SECONDS]]   (defaults: build, 10)  (root)
set -u
B=${1:-build}
SECS=${2:-10}
source "$(dirname "$0")/../../tests/tunnel/tunlib.sh" "$B"
trap tl_cleanup EXIT
for t in iperf3 wireguard-go wg; do command -v $t >/dev/null || tl_fail "needs $t"; done

tl_ns a
tl_ns b
tl_veth a 192.0.2.1 b 192.0.2.2

# run_iperf NAME SERVER_ADDR STREAMS: prints Gbit/s received.
run_iperf() {
	local addr=$2 streams=$3 fam=-4
	case $addr in *:*) fam=-6 ;; esac
	tl_exec a iperf3 $fam -c "$addr" -t "$SECS" -P "$streams" -J >"$TL_DIR/$1.json" 2>&1 ||
		tl_fail "iperf3 $1: $(tail -3 "$TL_DIR/$1.json")"
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$TL_DIR/$1.json"
}
# iperf_pair LABEL ADDR: server in b on ADDR, one and four streams from a.
declare -A R
iperf_pair() {
	tl_bg "srv_$1" ip netns exec "$(tl_nsname b)" iperf3 -s -B "$2"
	tl_wait 10 tl_exec a bash -c "echo > /dev/tcp/$2/5201" || tl_fail "iperf3 server for $1"
	R[$1,1]=$(run_iperf "$1-1" "$2" 1)
	R[$1,4]=$(run_iperf "$1-4" "$2" 4)
	kill "$(eval echo "\$PID_srv_$1")"
	echo "${1/wggo/wireguard-go}: ${R[$1,1]} Gbit/s (1 stream), ${R[$1,4]} Gbit/s (4 streams)"
}

# ---- bare veth
iperf_pair veth 192.0.2.2

# ---- signpostd <-> signpostd
tl_signpostd na a 51820
tl_signpostd nb b 51820
OA=$(tl_overlay na)
OB=$(tl_overlay nb)
printf '[peer]\npublic-key = %s\nendpoint = 192.0.2.2:51820\nallowed-ips = %s/128\n' \
	"$(tl_wgkey nb)" "$OB" >>"$TL_DIR/na/signpost.conf"
printf '[peer]\npublic-key = %s\nendpoint = 192.0.2.1:51820\nallowed-ips = %s/128\n' \
	"$(tl_wgkey na)" "$OA" >>"$TL_DIR/nb/signpost.conf"
tl_reload na
tl_reload nb
tl_wait 10 tl_status_is na peers 1 && tl_wait 10 tl_status_is nb peers 1 || tl_fail "peers"
tl_wait 15 tl_exec a ping -6 -c1 -W1 "$OB" >/dev/null || tl_fail "signpostd tunnel not up"
iperf_pair signpostd "$OB"
kill "$PID_na" "$PID_nb"
tl_wait 10 bash -c "! kill -0 $PID_na 2>/dev/null && ! kill -0 $PID_nb 2>/dev/null"

# ---- wireguard-go <-> wireguard-go
declare -A K P
for n in a b; do
	K[$n]=$(wg genkey)
	P[$n]=$(echo "${K[$n]}" | wg pubkey)
	echo "${K[$n]}" >"$TL_DIR/wg$n.key"
	chmod 600 "$TL_DIR/wg$n.key"
	tl_bg "wg$n" ip netns exec "$(tl_nsname $n)" env WG_PROCESS_FOREGROUND=1 wireguard-go "w$TL_ID$n"
done
WA=$(tl_overlay_host "$OA" a)
WB=$(tl_overlay_host "$OA" b)
for n in a b; do
	o=b; [ $n = b ] && o=a
	addr=$WA; peer_addr=$WB; ep=192.0.2.2
	[ $n = b ] && { addr=$WB; peer_addr=$WA; ep=192.0.2.1; }
	tl_wait 10 tl_exec $n ip link show "w$TL_ID$n" || tl_fail "wireguard-go $n"
	tl_exec $n wg set "w$TL_ID$n" private-key "$TL_DIR/wg$n.key" listen-port 51820 \
		peer "${P[$o]}" allowed-ips "$peer_addr/128" endpoint "$ep:51820"
	tl_exec $n ip link set "w$TL_ID$n" mtu 1420 up
	tl_exec $n ip -6 addr add "$addr/48" dev "w$TL_ID$n" nodad
done
tl_wait 15 tl_exec a ping -6 -c1 -W1 "$WB" >/dev/null || tl_fail "wireguard-go tunnel not up"
iperf_pair wggo "$WB"

echo
echo "iperf3 TCP, $SECS s, Gbit/s      1 stream   4 streams"
for k in veth signpostd wggo; do
	label=$k; [ $k = wggo ] && label=wireguard-go
	printf '%-28s %9s %11s\n' "$label" "${R[$k,1]}" "${R[$k,4]}"
done
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.2f" % (a/b if b else 0))' "$1" "$2"; }
printf '%-28s %9s %11s\n' "signpostd / wireguard-go" "$(ratio "${R[signpostd,1]}" "${R[wggo,1]}")" \
	"$(ratio "${R[signpostd,4]}" "${R[wggo,4]}")"
printf '%-28s %9s %11s\n' "signpostd / veth" "$(ratio "${R[signpostd,1]}" "${R[veth,1]}")" \
	"$(ratio "${R[signpostd,4]}" "${R[veth,4]}")"
