#!/usr/bin/env bash
# test_natlab.sh BUILD_DIR: the NAT lab gives each router kind the behaviour it claims.
#
# One lab with a device behind each kind; the public hosts run udpprobe echo servers that
# report the address and port they saw. From each device a UDP socket with a fixed source
# port probes public hosts, and the test asserts the mapping:
#   none             address and port unchanged (IPv4 and IPv6)
#   full-cone        router address, same port, same mapping for two destinations, and an
#                    unsolicited packet from a third party reaches the device through it
#   port-restricted  router address, same mapping for two destinations; a third party's
#                    packet reaches the router but is not forwarded (a legit one is)
#   symmetric        router address, a different mapping for different destinations
#   carrier-grade    the carrier NAT's address (not the home NAT's), different per destination
#   udp-blocked      UDP to 7001 dropped at the router, UDP to 53 and TCP get through
# It also checks the names (every interface carries the lab id, <= 15 chars), lab_renumber and
# lab_add_addr, and that teardown leaves no namespace behind. Needs root, ip, iptables and cc.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ "$(id -u)" != 0 ]]; then
	echo "FAIL: test_natlab.sh needs root (network namespaces)"
	exit 1
fi
# shellcheck source=natlab.sh
source "$HERE/natlab.sh"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/natlab-test.XXXXXX")"
cleanup() {
	lab_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAILS=0
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}
# expect DESCRIPTION ACTUAL EXPECTED
expect() {
	if [[ "$2" == "$3" ]]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}
# Mappings "ADDR:PORT" reported by a udpprobe output file, one a line, in probe order.
maps() { awk '$1 == "map" { print $4 ":" $5 }' "$1"; }
nth() { sed -n "${2}p" <<<"$1"; }
# wait_counter HOST TABLE CHAIN COMMENT: poll (10 s at most) until the rules tagged COMMENT
# have counted a packet; print the count.
wait_counter() {
	local end=$((SECONDS + 10)) n
	while :; do
		n="$(lab_counter "$@")"
		if ((n >= 1 || SECONDS > end)); then break; fi
		sleep 0.05
	done
	echo "$n"
}

SERVER_LIFETIME=300 # seconds; lab_down kills the servers long before
SPORT=40000         # the devices' fixed source port

lab_build_probe "$TMP" >/dev/null || { echo "FAIL: cannot build udpprobe"; exit 1; }
echo "lab id $LAB_ID"
if ! lab_up none full-cone port-restricted symmetric carrier-grade udp-blocked; then
	echo "FAIL: lab_up"
	exit 1
fi
lab_show

S1="$(lab_addr s1)" S2="$(lab_addr s2)" S3="$(lab_addr s3)"

# Echo servers: s1 on 7001, 7002 and 53 (DNS port), s2 on 7001.
for srv in s1:7001 s1:7002 s1:53 s2:7001; do
	lab_spawn "${srv%:*}" "$TMP/srv-${srv/:/-}.log" "$LAB_PROBE" serve "${srv#*:}" "$SERVER_LIFETIME"
done
for srv in s1:7001 s1:7002 s1:53 s2:7001; do
	lab_wait_file "$TMP/srv-${srv/:/-}.log" '^ready$' || { echo "FAIL: server $srv"; exit 1; }
done

# ---- names: every interface of the lab carries its id and fits IFNAMSIZ ----
bad=""
for h in $(lab_hosts); do
	for ifn in $(ip -n "$(lab_ns "$h")" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		[[ "$ifn" == lo ]] && continue
		if [[ "$ifn" != *"$LAB_ID"* || ${#ifn} -gt 15 ]]; then bad+=" $h/$ifn"; fi
	done
	[[ "$(lab_ns "$h")" == *"$LAB_ID"* ]] || bad+=" ns:$h"
done
expect "names carry the lab id and fit 15 chars" "${bad:-none bad}" "none bad"

# ---- none: d1 has a public address, nothing is translated ----
out="$TMP/d1.out"
lab_exec d1 "$LAB_PROBE" send -t 5 "$SPORT" "$S1" 7001 "$S2" 7001 >"$out" 2>&1
m="$(maps "$out")"
expect "none: s1 sees the device's own address and port" "$(nth "$m" 1)" "$(lab_addr d1):$SPORT"
expect "none: s2 sees the same" "$(nth "$m" 2)" "$(lab_addr d1):$SPORT"
lab_exec d1 "$LAB_PROBE" send -t 5 "$SPORT" "$(lab_addr6 s1)" 7001 >"$out" 2>&1
expect "none: IPv6 to s1 is not translated either" "$(maps "$out")" "$(lab_addr6 d1):$SPORT"

# ---- full cone: d2 behind a 1:1 NAT ----
out="$TMP/d2.out"
lab_spawn d2 "$out" "$LAB_PROBE" send -l -t 15 "$SPORT" "$S1" 7001 "$S2" 7001
if lab_wait_file "$out" '^listening$'; then
	m="$(maps "$out")"
	pub="$(lab_public d2)"
	expect "full-cone: s1 sees the router's address and the same port" "$(nth "$m" 1)" "$pub:$SPORT"
	expect "full-cone: s2 sees the same mapping" "$(nth "$m" 2)" "$pub:$SPORT"
	lab_exec s3 "$LAB_PROBE" sendonly 7777 "$pub" "$SPORT" stop
	if lab_wait_file "$out" "^from $S3 7777 stop$"; then
		pass "full-cone: an unsolicited packet from a third party (s3) reaches the device"
	else
		fail "full-cone: the third party's packet did not reach the device"
	fi
else
	fail "full-cone: probe failed: $(cat "$out")"
fi

# ---- port-restricted: d3 behind MASQUERADE ----
out="$TMP/d3.out"
r="$(lab_router d3)"
pub="$(lab_public d3)"
# Counters on the router: packets from s3 arriving, and packets from s3 forwarded inside.
lab_exec "$r" "${SP_LAB_IPTABLES:-iptables}" -t raw -A PREROUTING -s "$S3" -p udp -m comment --comment t-s3-in
lab_exec "$r" "${SP_LAB_IPTABLES:-iptables}" -I FORWARD 1 -s "$S3" -m comment --comment t-s3-fwd
lab_spawn d3 "$out" "$LAB_PROBE" send -l -t 15 "$SPORT" "$S1" 7001 "$S2" 7001
if lab_wait_file "$out" '^listening$'; then
	m="$(maps "$out")"
	expect "port-restricted: s1 sees the router's address" "$(nth "$m" 1 | cut -d: -f1)" "$pub"
	expect "port-restricted: s2 sees the same mapping as s1" "$(nth "$m" 2)" "$(nth "$m" 1)"
	map="$(nth "$m" 1)"
	lab_exec s3 "$LAB_PROBE" sendonly 7001 "${map%:*}" "${map#*:}" unsolicited
	expect "port-restricted: the third party's packet reached the router" \
		"$(wait_counter "$r" raw PREROUTING t-s3-in)" 1
	# A packet from s1's mapped endpoint must pass; s3's, sent before it, must not.
	lab_exec s1 "$LAB_PROBE" sendonly 7001 "${map%:*}" "${map#*:}" stop
	if lab_wait_file "$out" "^from $S1 7001 stop$"; then
		pass "port-restricted: a packet from the destination's endpoint reaches the device"
	else
		fail "port-restricted: the packet from s1 did not reach the device"
	fi
	if grep -q "^from $S3 " "$out"; then
		fail "port-restricted: the unsolicited packet from s3 reached the device"
	else
		pass "port-restricted: the unsolicited packet from s3 did not reach the device"
	fi
	expect "port-restricted: the router forwarded nothing from s3" \
		"$(lab_counter "$r" filter FORWARD t-s3-fwd)" 0
else
	fail "port-restricted: probe failed: $(cat "$out")"
fi

# ---- symmetric and carrier-grade: a new mapping per destination ----
for d in d4 d5; do
	kind="$(lab_kind "$d")"
	out="$TMP/$d.out"
	lab_exec "$d" "$LAB_PROBE" send -t 5 "$SPORT" "$S1" 7001 "$S2" 7001 "$S1" 7002 >"$out" 2>&1
	m="$(maps "$out")"
	if [[ "$(wc -l <<<"$m")" != 3 ]]; then
		fail "$kind: probe failed: $(cat "$out")"
		continue
	fi
	addrs="$(cut -d: -f1 <<<"$m" | sort -u | paste -sd' ')"
	expect "$kind: every destination sees the outer NAT's address" "$addrs" "$(lab_public "$d")"
	# --random-fully picks each port at random: three destinations all getting the same
	# one would happen about once in 4e9 runs.
	ports="$(cut -d: -f2 <<<"$m" | paste -sd' ')"
	if (($(cut -d: -f2 <<<"$m" | sort -u | wc -l) >= 2)); then
		pass "$kind: the mapping differs per destination (ports $ports)"
	else
		fail "$kind: the same mapping for three destinations (ports $ports)"
	fi
done
expect "carrier-grade: the public address is the carrier NAT's" \
	"$(lab_public d5)" "$(lab_addr "$(lab_cgn d5)")"
if [[ "$(lab_addr "$(lab_router d5)")" == 100.64.* ]]; then
	pass "carrier-grade: the home NAT sits in 100.64.0.0/10 ($(lab_addr "$(lab_router d5)"))"
else
	fail "carrier-grade: the home NAT's WAN is $(lab_addr "$(lab_router d5)")"
fi

# ---- udp-blocked: only TCP and DNS leave ----
r="$(lab_router d6)"
pub="$(lab_public d6)"
lab_exec d6 "$LAB_PROBE" sendonly "$SPORT" "$S1" 7001 blocked
expect "udp-blocked: the router dropped UDP to port 7001" \
	"$(wait_counter "$r" filter FORWARD sp-lab-blocked)" 1
out="$TMP/d6.out"
lab_exec d6 "$LAB_PROBE" send -t 5 "$((SPORT + 1))" "$S1" 53 >"$out" 2>&1
expect "udp-blocked: UDP to port 53 gets through (NATed)" "$(maps "$out" | cut -d: -f1)" "$pub"
lab_exec d6 "$LAB_PROBE" tcp -t 5 "$S1" 7001 >"$out" 2>&1
expect "udp-blocked: TCP to port 7001 gets through (NATed)" "$(maps "$out" | cut -d: -f1)" "$pub"
if grep -q "^udp $pub " "$TMP/srv-s1-7001.log"; then
	fail "udp-blocked: s1:7001 received UDP from the device"
else
	pass "udp-blocked: s1:7001 never received the device's UDP"
fi

# ---- renumbering and extra addresses (roaming tests, RFC 5780) ----
alias="$(lab_add_addr s1)"
new="$(lab_renumber d1)"
out="$TMP/renumber.out"
lab_exec d1 "$LAB_PROBE" send -t 5 "$SPORT" "$S1" 7001 "$alias" 7001 >"$out" 2>&1
m="$(maps "$out")"
expect "renumber: s1 sees the device's new address" "$(nth "$m" 1)" "$new:$SPORT"
expect "add-addr: s1 answers from its second address ($alias)" "$(nth "$m" 2)" "$new:$SPORT"
newpub="$(lab_renumber "$(lab_router d3)")"
expect "renumber: lab_public follows the router's new address" "$(lab_public d3)" "$newpub"
lab_exec d3 "$LAB_PROBE" send -t 5 "$((SPORT + 2))" "$S1" 7001 >"$out" 2>&1
expect "renumber: a device behind the renumbered router is seen there" \
	"$(maps "$out" | cut -d: -f1)" "$newpub"

# ---- teardown ----
lab_down
left="$(find /run/netns -maxdepth 1 -name "spl-$LAB_ID-*" 2>/dev/null | wc -l)"
expect "teardown removed every namespace of the lab" "$left" 0
if [[ -e "$LAB_DIR" ]]; then
	fail "teardown left $LAB_DIR"
else
	pass "teardown removed the state directory"
fi

if ((FAILS)); then
	echo "FAIL: test_natlab: $FAILS check(s) failed"
	exit 1
fi
echo "PASS: test_natlab: all checks passed"
