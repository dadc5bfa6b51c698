#!/usr/bin/env bash
# test_paths.sh BUILD_DIR - a tunnel's paths, and `signpost ping`:
#   - pub (a public address) and cone (behind a full-cone NAT): the probes the
#     signpost sets off on both sides cross, and the tunnel goes direct;
#     `signpost ping cone` says "via 203.0.113.x:51820";
#   - sym (behind a symmetric NAT) and pub: sym's probe opens a mapping of its
#     own toward pub, pub answers it (peer-reflexive), the tunnel goes direct;
#   - sym and sym2 (both symmetric): no direct path can exist, the tunnel stays
#     relayed and `signpost ping` says "via relay";
#   - cone's router gets a new public address while pub <-> cone is direct: the
#     direct path follows it (the peer's probe from the new address, answered)
#     without going through the relay (time printed);
#   - the direct path pub <-> cone blackholed (the NAT router drops it): the
#     tunnel falls back to the relay within seconds (time printed) and
#     `signpost ping` reports the path change;
#   - the blackhole lifted: the relayed tunnel's next probe round
#     (control.reprobe, 3 s here) finds the direct path again (time printed),
#     and a ping running across the switch loses nothing.
set -u
source "$(dirname "$0")/fedlib.sh" paths "$1"
export SIGNPOST_INTERVALS=control.register=2000,control.reprobe=3000

lab_init >/dev/null
lab_add_public s1
lab_add_device none pub
lab_add_device full-cone cone
lab_add_device symmetric sym
lab_add_device symmetric sym2
fed_signpost s1 alice.example. A
fed_enroll A pub pub P
fed_enroll A cone cone C
fed_enroll A sym sym S
fed_enroll A sym2 sym2 S2
for h in pub cone sym sym2; do
	fed_wait 10 sh -c "grep -q 'enrolled as' '$FED_DIR/$h.log'" || fed_fail "$h did not enroll"
done

path_of() { # HOST CONF PEER-FQDN: "direct" or "relayed" (or nothing)
	fed_ctl "$1" "$2" status | sed -n "s/^  peer $3: .* up \(direct\|relayed\)$/\1/p"
}
is_path() { [ "$(path_of "$1" "$2" "$3")" = "$4" ]; }

# ---- pub <-> cone: direct ----
fed_ctl pub P/device.conf ping cone -c 2 >"$FED_DIR/ping1.out" || fed_fail "ping cone: $(cat "$FED_DIR/ping1.out")"
fed_wait 10 is_path pub P/device.conf cone.alice.example. direct ||
	fed_fail "pub -> cone is not direct: $(fed_ctl pub P/device.conf status | grep peer)"
echo "   $(grep -o 'direct path to cone.alice.example. at .*' "$FED_DIR/pub.log" | head -n 1)"
fed_ctl pub P/device.conf ping cone -c 2 >"$FED_DIR/ping2.out" || fed_fail "ping cone again"
cone_pub=$(lab_public cone)
grep -q "^pong from cone.alice.example. (fd[0-9a-f:]*) via $cone_pub:51820 in [0-9.]* ms$" "$FED_DIR/ping2.out" ||
	fed_fail "ping does not name the direct path: $(cat "$FED_DIR/ping1.out" "$FED_DIR/ping2.out")"
sed "s/^/     /" "$FED_DIR/ping1.out"
fed_pass "pub <-> cone: direct ($(grep -m1 pong "$FED_DIR/ping2.out"))"

# ---- sym -> pub: the peer-reflexive candidate ----
fed_ctl sym S/device.conf ping pub -c 2 >"$FED_DIR/ping3.out" || fed_fail "ping pub from sym: $(cat "$FED_DIR/ping3.out")"
fed_wait 10 is_path sym S/device.conf pub.alice.example. direct ||
	fed_fail "sym -> pub is not direct: $(fed_ctl sym S/device.conf status | grep peer)"
fed_wait 10 is_path pub P/device.conf sym.alice.example. direct ||
	fed_fail "pub -> sym is not direct: $(fed_ctl pub P/device.conf status | grep peer)"
fed_pass "sym <-> pub: direct both ways (pub learnt sym's mapping from its probe)"

# ---- sym <-> sym2: relayed ----
fed_ctl sym S/device.conf ping sym2 -c 3 >"$FED_DIR/ping4.out" || fed_fail "ping sym2: $(cat "$FED_DIR/ping4.out")"
grep -q "^pong from sym2.alice.example. (fd[0-9a-f:]*) via relay .*(198.51.100.11:51820) in [0-9.]* ms$" "$FED_DIR/ping4.out" ||
	fed_fail "sym -> sym2 not via the relay: $(cat "$FED_DIR/ping4.out")"
fed_wait 10 is_path sym S/device.conf sym2.alice.example. relayed || fed_fail "sym -> sym2 is not relayed"
fed_ctl sym S/device.conf ping sym2 -c 1 --json | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin if l.strip()]
assert lines[0]["relayed"] is True and lines[-1] == {"sent": 1, "received": 1}, lines' ||
	fed_fail "ping --json"
fed_pass "sym <-> sym2 (two symmetric NATs): relayed, ping says so"

# ---- cone's router renumbered: the direct path follows, no relay between ----
old=$(lab_public cone)
relay_before=$(grep -c "direct path to cone.alice.example. at .* back to the relay" "$FED_DIR/pub.log")
new=$(lab_renumber "$(lab_router cone)") || fed_fail "renumber cone's router"
t0=$(date +%s%N)
pinged_new() { fed_ctl pub P/device.conf ping cone -c 1 2>/dev/null | grep -q "via $new:51820 in"; }
fed_wait 20 pinged_new ||
	fed_fail "pub does not reach cone directly at $new: $(fed_ctl pub P/device.conf status | grep peer)"
echo "   address change: pub -> cone direct at $new again after $(( ($(date +%s%N) - t0) / 1000000 )) ms (was $old)"
grep -o "direct path to cone.alice.example. moved .*" "$FED_DIR/pub.log" | tail -n 1 | sed 's/^/     /'
[ "$(grep -c "direct path to cone.alice.example. at .* back to the relay" "$FED_DIR/pub.log")" = "$relay_before" ] ||
	fed_fail "pub went through the relay after cone's address change"
fed_pass "address change: the direct path followed cone to $new, never relayed"

# ---- blackhole pub <-> cone: back to the relay ----
cone_router=$(lab_router cone)
lab_exec "$cone_router" iptables -I FORWARD -s "$(lab_addr pub)" -j DROP -m comment --comment sp-blackhole
lab_exec "$cone_router" iptables -I FORWARD -d "$(lab_addr pub)" -j DROP -m comment --comment sp-blackhole
t0=$(date +%s%N)
# On the relay again, probing for a new direct path or not.
on_relay() { fed_ctl pub P/device.conf status | grep -q "^  peer cone.alice.example.: .* up relayed"; }
fed_wait 20 on_relay ||
	fed_fail "pub did not fall back to the relay: $(fed_ctl pub P/device.conf status | grep peer)"
echo "   blackholed direct path: pub back on the relay after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
fed_ctl pub P/device.conf ping cone -c 2 >"$FED_DIR/ping5.out" || fed_fail "ping cone over the relay: $(cat "$FED_DIR/ping5.out")"
sed "s/^/     /" "$FED_DIR/ping5.out"
grep -q "via relay" "$FED_DIR/ping5.out" || fed_fail "not via the relay: $(cat "$FED_DIR/ping5.out")"
lab_exec pub ping -6 -c 1 -w 5 cone.alice.example >/dev/null || fed_fail "no traffic over the relay"
fed_pass "blackholed direct path: back to the relay, traffic flows"

# ---- the blackhole lifted: direct again by the next probe round, nothing lost on the way ----
# Its probes after the fall-back are over first: the round that finds the path is a later one.
probing() { fed_ctl pub P/device.conf status | grep -q "^  peer cone.alice.example.: .*(probing)"; }
not_probing() { ! probing; }
fed_wait 15 not_probing || fed_fail "pub still probing: $(fed_ctl pub P/device.conf status | grep peer)"
lab_exec "$cone_router" iptables -D FORWARD -s "$(lab_addr pub)" -j DROP -m comment --comment sp-blackhole
lab_exec "$cone_router" iptables -D FORWARD -d "$(lab_addr pub)" -j DROP -m comment --comment sp-blackhole
t0=$(date +%s%N)
lab_exec pub ping -6 -q -i 0.025 -c 400 -w 30 cone.alice.example >"$FED_DIR/ping6.out" 2>&1 &
pinger=$!
fed_wait 20 is_path pub P/device.conf cone.alice.example. direct ||
	fed_fail "pub did not go direct again: $(fed_ctl pub P/device.conf status | grep peer)"
echo "   blackhole lifted: pub direct again after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
wait "$pinger" || fed_fail "the ping across the switch failed: $(cat "$FED_DIR/ping6.out")"
grep -q " 400 received, 0% packet loss" "$FED_DIR/ping6.out" ||
	fed_fail "packets lost across the relay -> direct switch: $(grep received "$FED_DIR/ping6.out")"
echo "     $(grep received "$FED_DIR/ping6.out")"
fed_pass "blackhole lifted: direct again, no packet lost across the switch"

for h in sym2 sym cone pub s1; do fed_stop "$h"; done
fed_pass "every daemon stopped on SIGTERM"
