#!/usr/bin/env bash
# test_netcheck_lab.sh BUILD_DIR - `signpost netcheck` behind each NAT kind of the lab.
# A signpost s1 with a second address ([nat] stun-other-address, RFC 5780) is the STUN
# server; a node behind each router kind asks it ([nat] stun-servers) and must find:
#   kind             public address      mapping               filtering
#   none             its own             endpoint-independent  endpoint-independent
#   full-cone        the router's WAN    endpoint-independent  endpoint-independent
#   port-restricted  the router's WAN    endpoint-independent  address-and-port-dependent
#   symmetric        the router's WAN    endpoint-dependent    (not asserted)
# (the lab's routers: tests/lab/natlab.sh); "nat: none" only for the public device.  Its status shows the same public address,
# learnt by itself at start.
set -u
source "$(dirname "$0")/../control/fedlib.sh" netcheck "$1"

lab_init >/dev/null
lab_add_public s1
ALIAS=$(lab_add_addr s1)
S1=$(lab_addr s1)
( cd "$FED_DIR" && lab_exec s1 signpost init signpost --zone alice.example --dir A \
	--address "$S1" ) >"$FED_DIR/A.init" 2>&1 || fed_fail "init s1: $(cat "$FED_DIR/A.init")"
printf '\n[nat]\nstun-other-address = %s\n' "$ALIAS" >>"$FED_DIR/A/signpost.conf"
fed_start s1 A/signpost.conf

declare -A KIND=([nn]=none [fc]=full-cone [pr]=port-restricted [sy]=symmetric)
# Every host first: adding one later may change the lab bridge's MAC address under the
# routers' neighbour caches (a Linux bridge takes its ports' lowest MAC).
for h in nn fc pr sy; do lab_add_device "${KIND[$h]}" "$h"; done
for h in nn fc pr sy; do
	( cd "$FED_DIR" && lab_exec "$h" signpost init signpost --zone "$h.example" --dir "$h" \
		--address "$(lab_addr "$h")" --dns-port 5353 ) >"$FED_DIR/$h.init" 2>&1 ||
		fed_fail "init $h: $(cat "$FED_DIR/$h.init")"
	printf '\n[nat]\nstun-server = no\nstun-servers = %s:51820\n' "$S1" >>"$FED_DIR/$h/signpost.conf"
	fed_start "$h" "$h/signpost.conf"
done

field() { sed -n "s/^$2: //p" "$FED_DIR/$1.netcheck" | head -n 1; }
for h in nn fc pr sy; do
	fed_ctl "$h" "$h/signpost.conf" netcheck >"$FED_DIR/$h.netcheck" 2>&1 ||
		fed_fail "netcheck on $h: $(cat "$FED_DIR/$h.netcheck")"
	pub=$(field "$h" public-address)
	[ "${pub%:*}" = "$(lab_public "$h")" ] ||
		fed_fail "$h (${KIND[$h]}): public address $pub, the lab says $(lab_public "$h"): $(cat "$FED_DIR/$h.netcheck"); s1: $(fed_ctl s1 A/signpost.conf status | grep -E "stun-req|rx-stun"); $h: $(fed_ctl "$h" "$h/signpost.conf" status | grep -E "stun|tx-err|rx-stun|forgotten")"
	m=$(field "$h" mapping)
	f=$(field "$h" filtering)
	case ${KIND[$h]} in
	none | full-cone) want_m="endpoint-independent (2 destinations)" want_f=endpoint-independent ;;
	port-restricted) want_m="endpoint-independent (2 destinations)" want_f="address-and-port-dependent" ;;
	symmetric) want_m="endpoint-dependent (2 destinations)" want_f=$f ;;
	esac
	[ "$m" = "$want_m" ] || fed_fail "$h (${KIND[$h]}): mapping '$m': $(cat "$FED_DIR/$h.netcheck")"
	[ "$f" = "$want_f" ] || fed_fail "$h (${KIND[$h]}): filtering '$f': $(cat "$FED_DIR/$h.netcheck")"
	n=$(field "$h" nat)
	case ${KIND[$h]} in none) want_n="none (this host's own address)" ;; *) want_n=yes ;; esac
	[ "$n" = "$want_n" ] || fed_fail "$h (${KIND[$h]}): nat '$n': $(cat "$FED_DIR/$h.netcheck")"
	st=$(fed_ctl "$h" "$h/signpost.conf" status | awk '$1 == "public-address:" {print $2; exit}')
	[ "${st%:*}" = "$(lab_public "$h")" ] || fed_fail "$h: status public-address $st"
	printf '  %-16s public %-22s port-kept %-4s mapping %-22s filtering %s\n' "${KIND[$h]}" \
		"$pub" "$(field "$h" port-kept | cut -d' ' -f1)" "${m%% *}" "$f"
	fed_pass "${KIND[$h]}: $(field "$h" meaning | cut -c1-70)..."
done
echo "PASS: netcheck finds each NAT kind's behaviour"
