#!/usr/bin/env bash
# test_federation.sh BUILD_DIR - friends by DNSSEC and lookups that open tunnels:
#   Alice's signpost (s1, alice.example.) and Bob's (s2, bob.example.) on the
#   "internet"; Alice's nas and laptop and Bob's laptop behind NAT routers
#   (symmetric for the two that talk, so no direct path exists and the
#   session is relayed).  Alice and Bob exchange DS records and add each
#   other as friends; Alice lets Bob's devices reach her nas only.
#   - Bob's laptop resolves nas.alice.example through its stub with AD, and
#     a TCP connection by name works; the query-to-first-byte time is printed;
#   - the session is end to end: Alice's signpost relays it (its counters
#     rise) with no tunnel and no key of its own, and a marker sent in the
#     TCP stream never crosses its interfaces in clear, while nas's TUN
#     device sees it;
#   - Alice's own laptop reaches her nas by name as well;
#   - refused, each leaking no address: Bob's laptop to Alice's laptop (not
#     allowed); a zone that is not Alice's friend; a device whose key is not
#     in Bob's zone; a connect sealed with the wrong key (no reply at all);
#     a replayed message (no reply the second time).
set -u
source "$(dirname "$0")/fedlib.sh" fed "$1"
CPPROBE=$B/cpprobe
[ -x "$CPPROBE" ] || fed_fail "no $CPPROBE"
command -v ip6tables >/dev/null || fed_fail "needs iptables (ip6tables)"
export SIGNPOST_INTERVALS=control.register=2000

lab_init >/dev/null
lab_add_public s1
lab_add_public s2
lab_add_device symmetric anas
lab_add_device port-restricted alap
lab_add_device symmetric blap
SA=A/signpost.conf
SB=Bz/signpost.conf

fed_signpost s1 alice.example. A
fed_signpost s2 bob.example. Bz
fed_enroll A nas anas N
fed_enroll A laptop alap AL
fed_enroll Bz laptop blap BL
for h in anas:N alap:AL blap:BL; do
	fed_wait 10 sh -c "grep -q 'enrolled as' '$FED_DIR/${h%%:*}.log'" || fed_fail "${h%%:*} did not enroll"
done
fed_pass "nas and laptop enrolled at alice.example., laptop at bob.example."

fed_befriend nas
fed_ctl s1 $SA friend list --json | python3 -c '
import json, sys
f = json.load(sys.stdin)
assert [x["zone"] for x in f] == ["bob.example."] and f[0]["allow"] == "nas", f' ||
	fed_fail "friend list --json: $(fed_ctl s1 $SA friend list --json)"
# The friend zone reaches Bob's laptop from its signpost, with no configuration there.
fed_wait 10 sh -c "grep -q 'friend zone alice.example. from the signpost' '$FED_DIR/blap.log'" ||
	fed_fail "Bob's signpost did not push alice.example. to his laptop"
fed_pass "friends added with each other's DS; Bob's laptop learnt alice.example. from its signpost"

# ---- Bob's laptop -> nas.alice.example, by name ----
marker="sp-marker-$LAB_ID-$RANDOM$RANDOM"
# nas serves one TCP line per connection: the marker, then what it was sent.
lab_spawn anas "$FED_DIR/server.out" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7777)); s.listen(4); s.settimeout(60)
print("listening", flush=True)
for _ in range(2):
    c, _ = s.accept()
    c.sendall((sys.argv[1] + " from nas\n").encode())
    c.settimeout(10)
    print("got", c.recv(256).decode().strip(), flush=True)
    c.close()' "$marker"
lab_wait_file "$FED_DIR/server.out" listening 10 || fed_fail "the TCP server on nas did not start"

# Cold: nothing asked this name before.  The clock starts before the query: resolve,
# connect (the lookup opens the tunnel meanwhile), first byte.
lab_exec blap python3 - "$marker" >"$FED_DIR/client.out" 2>&1 <<'EOF' || fed_fail "TCP by name: $(cat "$FED_DIR/client.out")"
import socket, sys, time
t0 = time.monotonic()
ai = socket.getaddrinfo("nas.alice.example", 7777, socket.AF_INET6, socket.SOCK_STREAM)
t1 = time.monotonic()
s = socket.create_connection(ai[0][4][:2], timeout=15)
first = s.recv(1)
t2 = time.monotonic()
line = first + s.recv(256)
s.sendall((sys.argv[1] + " from laptop.bob\n").encode())
print("line", line.decode().strip())
print("query %.1f ms, query-to-first-byte %.1f ms" % ((t1 - t0) * 1e3, (t2 - t0) * 1e3))
EOF
grep -q "line $marker from nas" "$FED_DIR/client.out" || fed_fail "TCP: $(cat "$FED_DIR/client.out")"
lab_wait_file "$FED_DIR/server.out" "got $marker from laptop.bob" 10 || fed_fail "nas got nothing"
echo "   $(grep query-to-first-byte "$FED_DIR/client.out") (Bob's laptop -> nas.alice.example, relayed)"
fed_pass "TCP by name from Bob's laptop to nas.alice.example, both directions"
lab_exec blap ping -6 -c 3 -i 0.2 -w 10 nas.alice.example >"$FED_DIR/ping.out" ||
	fed_fail "ping: $(cat "$FED_DIR/ping.out")"
fed_pass "ping -6 nas.alice.example from Bob's laptop"

nas_addr=$(lab_exec s1 dig +short @"$(lab_addr s1)" nas.alice.example. AAAA)
[ -n "$nas_addr" ] || fed_fail "no AAAA for nas"
lab_exec blap dig @127.0.0.1 nas.alice.example. AAAA +dnssec +time=3 +tries=2 >"$FED_DIR/dig.out"
grep -Eq '^;; flags:[a-z ]* ad[ ;]' "$FED_DIR/dig.out" && grep -q "$nas_addr" "$FED_DIR/dig.out" ||
	fed_fail "no validated AAAA through Bob's stub: $(cat "$FED_DIR/dig.out")"
fed_pass "nas.alice.example AAAA $nas_addr with AD through Bob's laptop's stub"

# ---- the relay is end to end ----
relayed=$(fed_status s1 $SA relayed-bytes)
[ "${relayed:-0}" -gt 0 ] || fed_fail "Alice's signpost relayed nothing"
fed_ctl s1 $SA status | grep -A1 '^tunnel:' | grep -q 'state: off' ||
	fed_fail "Alice's signpost has a tunnel: it could hold session keys"
fed_ctl blap BL/device.conf status | grep -q "peer nas.alice.example.: .* up relayed" ||
	fed_fail "Bob's laptop's tunnel to nas is not relayed: $(fed_ctl blap BL/device.conf status | grep peer)"
ifa=$(lab_ifname s1)
tun_nas=sp${LAB_ID}nas
for ipt in iptables ip6tables; do
	for chain in INPUT OUTPUT FORWARD; do
		lab_exec s1 "$ipt" -I "$chain" -m string --string "$marker" --algo bm \
			-m comment --comment sp-fed-marker || fed_fail "$ipt on s1"
	done
done
lab_exec anas ip6tables -I INPUT -i "$tun_nas" -m string --string "$marker" --algo bm \
	-m comment --comment sp-fed-marker || fed_fail "iptables on nas"
lab_exec blap python3 - "$marker" <<'EOF' || fed_fail "second TCP connection"
import socket, sys
s = socket.create_connection(("nas.alice.example", 7777), timeout=15)
s.recv(256)
s.sendall((sys.argv[1] + " again\n").encode())
s.close()
EOF
lab_wait_file "$FED_DIR/server.out" "got $marker again" 10 || fed_fail "nas did not get the second line"
seen_nas=$(SP_LAB_IPTABLES=ip6tables lab_counter anas filter INPUT sp-fed-marker)
seen_s1=0
for ipt in iptables ip6tables; do
	for chain in INPUT OUTPUT FORWARD; do
		seen_s1=$((seen_s1 + $(SP_LAB_IPTABLES=$ipt lab_counter s1 filter "$chain" sp-fed-marker)))
	done
done
[ "$seen_nas" -gt 0 ] || fed_fail "the marker rule never matched on nas's TUN (the check is blind)"
[ "$seen_s1" -eq 0 ] || fed_fail "the marker crossed Alice's signpost in clear ($seen_s1 packets)"
after=$(fed_status s1 $SA relayed-bytes)
[ "$after" -gt "$relayed" ] || fed_fail "relayed-bytes did not rise ($relayed -> $after)"
fed_pass "relayed end to end: s1 forwarded $((after - relayed)) more bytes, the marker on $ifa 0 times, on nas's TUN $seen_nas"

# ---- Alice's laptop -> her nas, by address: the first packet asks for the path ----
lab_exec alap ping -6 -c 2 -i 0.2 -w 10 "$nas_addr" >"$FED_DIR/ping-own.out" ||
	fed_fail "Alice's laptop -> nas: $(cat "$FED_DIR/ping-own.out")"
grep -q "no-peer-events: [1-9]" <(fed_ctl alap AL/device.conf status) ||
	fed_fail "Alice's laptop had no packet waiting for a peer"
fed_ctl alap AL/device.conf status | grep -q "peer nas.alice.example.: $nas_addr up" ||
	fed_fail "Alice's laptop: $(fed_ctl alap AL/device.conf status | grep peer)"
fed_pass "Alice's laptop reaches her nas by its address, never asked by name: the packet opened it"

# ---- refusals ----
lap_pub=$(lab_public alap)
lab_exec blap ping -6 -c 1 -w 3 laptop.alice.example >/dev/null 2>&1 &&
	fed_fail "Bob's laptop reached Alice's laptop: the policy allows only nas"
fed_wait 10 sh -c "grep -q \"to 'laptop' refused by policy\" '$FED_DIR/s1.log'" ||
	fed_fail "no policy refusal in Alice's signpost's log"
fed_ctl blap BL/device.conf status | grep -q "peer laptop.alice.example.: .* failed: refused" ||
	fed_fail "Bob's laptop does not show the refusal: $(fed_ctl blap BL/device.conf status | grep peer)"
grep -q "$lap_pub" "$FED_DIR/blap.log" && fed_fail "Bob's laptop learnt Alice's laptop's address"
fed_ctl blap BL/device.conf status | grep -q "$lap_pub" && fed_fail "Bob's laptop shows Alice's laptop's address"
fed_pass "Bob's laptop -> Alice's laptop refused by policy, no address given"

spkey=$(lab_exec s1 signpost pubkey <"$FED_DIR/A/node.key")
probe() { lab_exec s2 "$CPPROBE" --to "$(lab_addr s1):51820" --to-key "$spkey" "$@"; }
out=$(probe connect nas laptop.carol.example.)
[[ "$out" == "reply connect_ack status=refused by the signpost's policy n_ep=0 name=- "* ]] ||
	fed_fail "a zone that is not a friend: $out"
grep -q "claiming 'laptop.carol.example.' refused: not a friend's zone" "$FED_DIR/s1.log" ||
	fed_fail "no log line for the stranger zone"
fed_pass "a connect from a zone that is not Alice's friend: refused, no endpoints ($out)"

out=$(probe connect nas laptop.bob.example.)
[[ "$out" == "reply connect_ack status=refused by the signpost's policy n_ep=0 name=- "* ]] ||
	fed_fail "a key that is not in Bob's zone: $out"
fed_wait 5 sh -c "grep -q \"claiming laptop.bob.example. refused: its key is not\" '$FED_DIR/s1.log'" ||
	fed_fail "no log line for the key that is not Bob's laptop's"
fed_pass "a connect claiming laptop.bob.example with another key: refused after the DNSSEC check"

before=$(fed_status s1 $SA rx-unauthenticated)
out=$(probe --wrong-key connect nas laptop.bob.example.)
[ "$out" = "no reply" ] || fed_fail "a connect sealed with the wrong key got: $out"
[ "$(fed_status s1 $SA rx-unauthenticated)" -gt "$before" ] || fed_fail "rx-unauthenticated did not rise"
fed_pass "a connect sealed with the wrong key: no reply, counted"

before=$(fed_status s1 $SA rx-replayed)
out=$(probe --repeat 2 ping)
[ "$(echo "$out" | head -n 1 | cut -d' ' -f1-2)" = "reply pong" ] || fed_fail "ping: $out"
[ "$(echo "$out" | sed -n 2p)" = "no reply" ] || fed_fail "the replayed ping got: $out"
[ "$(fed_status s1 $SA rx-replayed)" -gt "$before" ] || fed_fail "rx-replayed did not rise"
fed_pass "a replayed message: answered once, then no reply, counted"

# ---- friend remove: Bob's laptop loses nas at its next CONNECT ----
fed_ctl s1 $SA friend remove bob.example. >/dev/null || fed_fail "friend remove"
[ "$(fed_ctl s1 $SA friend list --json)" = "[]" ] || fed_fail "friend list after remove"
nas_gone() { fed_ctl blap BL/device.conf status | grep -q "peer nas.alice.example.: .* failed: refused"; }
fed_wait 10 nas_gone || fed_fail "Bob's laptop kept nas: $(fed_ctl blap BL/device.conf status | grep peer)"
lab_exec blap ping -6 -c 1 -w 2 nas.alice.example >/dev/null 2>&1 && fed_fail "Bob's laptop still reaches nas"
lap_gone() { ! fed_ctl anas N/device.conf status | grep -q "peer laptop.bob.example."; }
fed_wait 10 lap_gone || fed_fail "nas kept its session with Bob's laptop"
fed_pass "friend removed: nas closed its session with Bob's laptop, whose next CONNECT is refused"

for h in blap alap anas s2 s1; do fed_stop "$h"; done
fed_pass "every daemon stopped on SIGTERM"
