#!/usr/bin/env bash
# test_stun_interop.sh BUILD_DIR - STUN against other projects' code, on loopback:
#   - Debian's `stun` (stun-client 0.97, an RFC 3489 client: no magic cookie) asks our
#     server and reports its mapping, which must be the address and port it sent from;
#     it is asked on the RFC 5780 other address ([nat] stun-other-address, port + 1):
#     the node's shared socket passes only RFC 8489 messages to the STUN plane (core's
#     classifier: a cookie-less datagram is "unknown", counted as such);
#   - our client (`signpost stun`, the node's own UDP socket) against coturn's
#     turnserver started here: the mapping is the node's address and UDP port;
#     a server that does not answer gives up after NAT_STUN_TRIES with an error;
#   - our client against our server: CHANGE-REQUEST answered from the other address,
#     OTHER-ADDRESS and RESPONSE-ORIGIN named;
#   - a node with [nat] stun-servers learns its public address (status) by itself.
set -u
source "$(dirname "$0")/../lib/harness.sh" stun_interop "$1"
need stun turnserver
export SIGNPOST_INTERVALS=nat.stun-rto=100

A=$(rnd127)
OTHER=${A%.*}.$(( (${A##*.} % 250) + 1 ))
P=$(rndport)
DNSP=$((P + 2))
"$B/signpost" init signpost --zone alice.example --dir "$T/s" --address "$A" --port "$P" \
	--dns-port "$DNSP" >"$T/init.log" 2>&1 || fail "init signpost"
printf '\n[nat]\nstun-other-address = %s\n' "$OTHER" >>"$T/s/signpost.conf"
"$B/signpostd" -c "$T/s/signpost.conf" >"$T/s.log" 2>&1 &
PIDS+=($!)
S_PID=$!
wait_until 10 grep -q "started" "$T/s.log" || fail "signpostd did not start"
sp() { "$B/signpost" -c "$T/s/signpost.conf" "$@"; }
status_of() { sp status | awk -v k="$1" '$1 == "nat:" {n = 1; next} /^[a-z]/ {n = 0}
	n && $1 == k ":" {print $2; exit}'; }
[ "$(status_of state)" = up ] || fail "nat is not up: $(sp status)"
[ "$(status_of stun-other-address)" = "$OTHER:$((P + 1))" ] ||
	fail "other address: $(status_of stun-other-address)"
pass "signpost up: STUN server on $A:$P, other address $OTHER:$((P + 1))"

# ---- Debian's stun against our server ----
CP=$(rndport)
timeout 20 stun "$OTHER:$((P + 1))" 1 -v -p "$CP" -i "$A" >"$T/stun1.out" 2>&1
rc=$?
got=$(sed -n 's/^MappedAddress = //p' "$T/stun1.out" | head -n 1)
[ "$rc" = 0 ] || fail "stun exited $rc: $(cat "$T/stun1.out")"
[ "$got" = "$A:$CP" ] || fail "stun reports mapping '$got', sent from $A:$CP"
pass "Debian's stun (RFC 3489) reports its mapping $got from our server"
# Its full run: test I answered, the change tests not (no change from the other socket).
timeout 30 stun "$OTHER:$((P + 1))" -v -p "$((CP + 1))" -i "$A" >"$T/stun2.out" 2>&1
grep -q "^MappedAddress = $A:$((CP + 1))\$" "$T/stun2.out" ||
	fail "full run: $(tail -n 12 "$T/stun2.out")"
pass "Debian's stun full run: $(grep '^Primary' "$T/stun2.out" | tr -d '\t')"
# On the shared port it is not STUN to the classifier (no cookie): counted as unknown.
before=$(status_of rx-unknown)
timeout 5 stun "$A:$P" 1 -p "$((CP + 2))" -i "$A" >/dev/null 2>&1
wait_until 3 sh -c "[ \$(\"$B/signpost\" -c '$T/s/signpost.conf' status | awk '\$1 == \"rx-unknown:\" {print \$2; exit}') -gt $before ]" ||
	fail "an RFC 3489 request to the shared port was not counted as unknown"
pass "an RFC 3489 request to the shared port is counted as unknown (core's classifier)"

# ---- our client against coturn ----
C=$(rnd127)
CTP=$(rndport)
turnserver -n --stun-only --no-cli --no-tls --no-dtls --no-tcp -L "$C" -p "$CTP" \
	--userdb "$T/turndb" --pidfile "$T/turn.pid" --log-file stdout --simple-log \
	>"$T/turnserver.log" 2>&1 &
PIDS+=($!)
ok=0
for _ in $(seq 1 30); do
	if sp stun "$C:$CTP" >"$T/coturn.out" 2>&1; then ok=1; break; fi
	sleep 0.2
done
[ "$ok" = 1 ] || fail "no answer from coturn: $(cat "$T/coturn.out")"
mapped=$(awk '$1 == "mapped" {print $2}' "$T/coturn.out")
[ "${mapped##*:}" = "$P" ] || fail "coturn mapped $mapped: not from the node's port $P"
case "${mapped%:*}" in 127.*) ;; *) fail "coturn mapped $mapped, not a loopback address" ;; esac
[ "$(awk '$1 == "origin" {print $2}' "$T/coturn.out")" = "$C:$CTP" ] ||
	fail "origin: $(cat "$T/coturn.out")"
pass "our client against coturn: mapped $mapped (the node's UDP port), $(grep rtt-ms "$T/coturn.out")"

# Nobody answers: bounded retransmissions, then an error.
S0=$SECONDS
sp stun "$C:$((CTP + 1))" >"$T/none.out" 2>&1 && fail "an answer from nowhere: $(cat "$T/none.out")"
grep -q "no answer from $C:$((CTP + 1)) after 4 tries" "$T/none.out" || fail "$(cat "$T/none.out")"
[ $((SECONDS - S0)) -lt 10 ] || fail "the timeout took $((SECONDS - S0)) s"
pass "no server: $(cat "$T/none.out") ($((SECONDS - S0)) s at nat.stun-rto=100)"

# ---- our client against our server: RFC 5780 ----
sp stun "$A:$P" change-port >"$T/self-port.out" 2>&1 || fail "change-port: $(cat "$T/self-port.out")"
grep -qE "^origin $A:$((P + 1))\$" "$T/self-port.out" || fail "change port answered from: $(cat "$T/self-port.out")"
sp stun "$A:$P" change-ip >"$T/self-ip.out" 2>&1 || fail "change-ip: $(cat "$T/self-ip.out")"
grep -qE "^origin $OTHER:$P\$" "$T/self-ip.out" || fail "change IP answered from: $(cat "$T/self-ip.out")"
pass "CHANGE-REQUEST port only answered from $A:$((P + 1)), IP only from $OTHER:$P"
sp stun "$A:$P" change >"$T/self.out" 2>&1 || fail "change: $(cat "$T/self.out")"
grep -qx "origin $OTHER:$((P + 1))" "$T/self.out" || fail "change answered from: $(cat "$T/self.out")"
grep -qx "other $OTHER:$((P + 1))" "$T/self.out" || fail "OTHER-ADDRESS: $(cat "$T/self.out")"
grep -qE "^mapped 127\.[0-9.]+:$P\$" "$T/self.out" || fail "mapped: $(cat "$T/self.out")"
[ "$(status_of stun-answered-changed)" -ge 1 ] || fail "stun-answered-changed not counted"
pass "CHANGE-REQUEST answered from $OTHER:$((P + 1)) with OTHER-ADDRESS and RESPONSE-ORIGIN"

# ---- a node that asks by itself ----
P2=$(rndport)
"$B/signpost" init signpost --zone bob.example --dir "$T/d" --address "$A" --port "$P2" \
	--dns-port "$((P2 + 2))" >"$T/init2.log" 2>&1 || fail "init second node"
printf '\n[nat]\nstun-server = no\nstun-servers = %s:%s\n' "$A" "$P" >>"$T/d/signpost.conf"
"$B/signpostd" -c "$T/d/signpost.conf" >"$T/d.log" 2>&1 &
PIDS+=($!)
D_PID=$!
d_public() { "$B/signpost" -c "$T/d/signpost.conf" status |
	awk '$1 == "public-address:" {print $2; exit}'; }
wait_until 10 sh -c "[ \"\$(\"$B/signpost\" -c '$T/d/signpost.conf' status 2>/dev/null | awk '\$1 == \"public-address:\" {print \$2; exit}')\" != unknown ]" ||
	fail "the second node learnt no public address: $("$B/signpost" -c "$T/d/signpost.conf" status | grep stun)"
pub=$(d_public)
[ "${pub##*:}" = "$P2" ] || fail "second node's public address $pub, its port is $P2"
grep -q "nat: public address $pub" "$T/d.log" || fail "the change was not logged"
pass "a node with [nat] stun-servers learnt its public address $pub by itself"

# ---- netcheck on that node: its server has an other address (RFC 5780) ----
"$B/signpost" -c "$T/d/signpost.conf" netcheck >"$T/netcheck.out" 2>&1 ||
	fail "netcheck: $(cat "$T/netcheck.out")"
for want in "^udp: works" "^public-address: $pub\$" "^port-kept: yes" \
	"^mapping: endpoint-independent \(2 destinations\)" "^filtering: endpoint-independent" \
	"^server $OTHER:$P \(other address\): mapped $pub" "^meaning: "; do
	grep -qE "$want" "$T/netcheck.out" || fail "netcheck lacks '$want': $(cat "$T/netcheck.out")"
done
"$B/signpost" -c "$T/d/signpost.conf" netcheck --json >"$T/netcheck.json" 2>&1 ||
	fail "netcheck --json: $(cat "$T/netcheck.json")"
$PY - "$T/netcheck.json" "$pub" <<'PYEOF' || fail "netcheck --json: $(cat "$T/netcheck.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["udp"] is True and d["public_address"] == sys.argv[2], d
assert d["mapping"] == "endpoint-independent" and d["filtering"] == "endpoint-independent", d
assert d["port_kept"] is True and len(d["servers"]) == 4, d
assert all(s["answered"] and s["rtt_ms"] >= 0 for s in d["servers"]), d
PYEOF
pass "netcheck: $(grep -E '^(mapping|filtering):' "$T/netcheck.out" | tr '\n' ' ')"
# A server that does not answer: UDP "no answer", said in words.
P3=$(rndport)
"$B/signpost" init signpost --zone carol.example --dir "$T/e" --address "$A" --port "$P3" \
	--dns-port "$((P3 + 2))" >"$T/init3.log" 2>&1 || fail "init third node"
printf '\n[nat]\nstun-server = no\nstun-servers = %s:%s\n' "$C" "$((CTP + 1))" >>"$T/e/signpost.conf"
"$B/signpostd" -c "$T/e/signpost.conf" >"$T/e.log" 2>&1 &
PIDS+=($!)
E_PID=$!
wait_until 10 grep -q "started" "$T/e.log" || fail "third node did not start"
"$B/signpost" -c "$T/e/signpost.conf" netcheck >"$T/netcheck3.out" 2>&1 || fail "netcheck 3"
grep -q "^udp: no answer" "$T/netcheck3.out" && grep -q "^meaning: No STUN server answered" \
	"$T/netcheck3.out" || fail "netcheck without answers: $(cat "$T/netcheck3.out")"
pass "netcheck with no answer: $(grep '^meaning' "$T/netcheck3.out" | cut -c1-60)..."
# A reload keeps [nat] as it is (set up at start) and says so; an unchanged one is applied.
kill -HUP "$S_PID"
wait_until 5 grep -q "configuration .* reloaded" "$T/s.log" || fail "an unchanged reload was not applied"
sed -i "s/^stun-other-address = .*/stun-other-address = $C/" "$T/s/signpost.conf"
kill -HUP "$S_PID"
wait_until 5 grep -q "\[nat\] stun-other-address: cannot change while running" "$T/s.log" ||
	fail "a changed [nat] was not refused on reload"
[ "$(status_of stun-other-address)" = "$OTHER:$((P + 1))" ] || fail "the other address changed"
pass "reload: a changed [nat] is refused (restart), the running one stays"

# Every node stops cleanly (all handles closed; a sanitizer build also checks for leaks).
for p in "$S_PID" "$D_PID" "$E_PID"; do
	kill -TERM "$p"
	wait "$p"
	rc=$?
	forget "$p"
	[ "$rc" = 0 ] || fail "signpostd $p exited $rc on SIGTERM"
done
pass "the three nodes exit 0 on SIGTERM"
echo "PASS: STUN interop (Debian's stun, coturn, ours; netcheck)"
