#!/usr/bin/env bash
# test_matrix.sh BUILD_DIR - the NAT matrix: a device of Bob's behind each router kind of the
# lab reaches a device of Alice's behind each kind, every unordered pair of kinds once.
# Every pair connects (relayed at worst), and the path is the one this build should find:
#   direct  where both NATs let the crossing probes through: a public side answers any
#           mapping (the other side's probe teaches it, peer-reflexive), a full cone takes
#           anything, two endpoint-independent NATs (port-restricted) open for each other's
#           probes;
#   direct, by many probes, where an endpoint-dependent NAT (symmetric, or the carrier-grade
#           NAT's outer one) faces a port-restricted one: the hard side probes from 256
#           sockets, the easy side sprays random ports until one lands (cp_spray.c);
#   relayed where a direct path cannot exist: two endpoint-dependent NATs (neither side can
#           learn the port the other's NAT gives it);
#   relayed, over TLS, where a side's network blocks UDP: the device reaches the signposts
#           over TCP port 443 (TLS) and the signpost relays its session there.
# Prints the table: path, time from `signpost ping` to the first pong, time from the tunnel
# to the direct path.
set -u
source "$(dirname "$0")/fedlib.sh" matrix "$1"
export SIGNPOST_INTERVALS=control.register=2000

kinds=(none full-cone port-restricted symmetric carrier-grade udp-blocked)
# SP_MATRIX_KINDS="port-restricted symmetric": a smaller matrix, to look at some pairs.
[ -n "${SP_MATRIX_KINDS:-}" ] && read -r -a kinds <<<"$SP_MATRIX_KINDS"
declare -A short=([none]=pub [full-cone]=fc [port-restricted]=pr [symmetric]=sym [carrier-grade]=cgn
	[udp-blocked]=blk)
# The path expected for the unordered pair "a b" (a's index <= b's), and why.
expect() {
	case "$1 $2" in
	*udp-blocked*) echo "relayed UDP blocked: TLS to the signpost" ;;
	"none "*) echo "direct a public side: peer-reflexive" ;;
	"full-cone "*) echo "direct a full cone takes any probe" ;;
	"port-restricted port-restricted") echo "direct crossing probes open both" ;;
	"port-restricted "*) echo "direct hard vs easy: many probes" ;;
	*) echo "relayed two endpoint-dependent NATs" ;;
	esac
}

lab_init >/dev/null
lab_add_public s1
lab_add_public s2
for k in "${kinds[@]}"; do
	lab_add_device "$k" "a${short[$k]}"
	lab_add_device "$k" "b${short[$k]}"
done
fed_signpost s1 alice.example. A
fed_signpost s2 bob.example. Bz
for k in "${kinds[@]}"; do
	fed_enroll A "a${short[$k]}" "a${short[$k]}" "A-${short[$k]}"
	fed_enroll Bz "b${short[$k]}" "b${short[$k]}" "B-${short[$k]}"
done
for k in "${kinds[@]}"; do
	for h in "a${short[$k]}" "b${short[$k]}"; do
		fed_wait 15 sh -c "grep -q 'enrolled as' '$FED_DIR/$h.log'" || fed_fail "$h did not enroll"
	done
done
for h in ablk:A-blk bblk:B-blk; do
	[[ " ${kinds[*]} " == *" udp-blocked "* ]] || break
	[ "$(fed_status "${h%%:*}" "${h#*:}/device.conf" signpost-via)" = tls ] ||
		fed_fail "${h%%:*} does not reach its signpost over TLS"
done
allow=$(for k in "${kinds[@]}"; do printf 'a%s,' "${short[$k]}"; done)
fed_befriend "${allow%,}"
for k in "${kinds[@]}"; do
	fed_wait 10 sh -c "grep -q 'friend zone alice.example. from the signpost' '$FED_DIR/b${short[$k]}.log'" ||
		fed_fail "b${short[$k]} did not get alice.example."
done
fed_pass "$((2 * ${#kinds[@]})) devices enrolled, ${#kinds[@]} kinds each side; friends"

path_of() { # HOST CONF PEER-FQDN
	fed_ctl "$1" "$2" status | sed -n "s/^  peer $3: .* up \(direct\|relayed\)$/\1/p"
}
is_path() { [ "$(path_of "$1" "$2" "$3")" = "$4" ]; }
probes_over() { ! fed_ctl "$1" "$2" status | grep -q "^  peer $3: .*(probing)"; }

table=()
bad=0
n=0
for ((i = 0; i < ${#kinds[@]}; i++)); do
	for ((j = i; j < ${#kinds[@]}; j++)); do
		kb=${kinds[$i]} ka=${kinds[$j]}
		b=b${short[$kb]} a=a${short[$ka]}
		conf=B-${short[$kb]}/device.conf
		peer=$a.alice.example.
		read -r want why <<<"$(expect "$kb" "$ka")"
		t0=$(date +%s%N)
		fed_ctl "$b" "$conf" ping "$peer" -c 1 >"$FED_DIR/ping-$b-$a.out" 2>&1
		rc=$?
		first=$(( ($(date +%s%N) - t0) / 1000000 ))
		if [ "$rc" -ne 0 ]; then
			table+=("$(printf '%-16s %-16s %-8s %-8s %9s %10s  %-36s FAIL: no pong' "$kb" "$ka" "$want" - - - "$why")")
			bad=$((bad + 1))
			continue
		fi
		# The path once the probes are over: "relayed (probing)" is not "relayed" yet.
		fed_wait 12 is_path "$b" "$conf" "$peer" "$want" || fed_wait 12 probes_over "$b" "$conf" "$peer"
		got=$(path_of "$b" "$conf" "$peer")
		tdirect=$(grep -o "direct path to $peer at [^,]*, [0-9]* ms" "$FED_DIR/$b.log" | head -n 1 |
			sed 's/.*, \([0-9]*\) ms/\1/')
		verdict=ok
		if [ "$got" != "$want" ]; then
			verdict="FAIL: expected $want; $(fed_ctl "$b" "$conf" status | grep "^  peer $peer")"
			bad=$((bad + 1))
		elif [[ "$why" == *"many probes"* ]] &&
			! grep -q "direct path to $b.bob.example. at .*(many probes: socket" "$FED_DIR/$a.log"; then
			# The hard side found it on one of its sockets, not by ordinary probing.
			verdict="FAIL: $a's log does not say many probes found the path"
			bad=$((bad + 1))
		fi
		table+=("$(printf '%-16s %-16s %-8s %-8s %6s ms %7s ms  %-36s %s' "$kb" "$ka" "$want" \
			"${got:--}" "$first" "${tdirect:--}" "$why" "$verdict")")
		n=$((n + 1))
	done
done
echo
printf '%-16s %-16s %-8s %-8s %9s %10s  %-36s\n' "Bob's device" "Alice's device" expected path \
	"1st pong" "to direct" why
printf '%s\n' "${table[@]}"
echo
[ "$bad" -eq 0 ] || fed_fail "$bad of the pairs did not get their path"
fed_pass "$n pairs connected, each on the path expected"
