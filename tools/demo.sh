#!/usr/bin/env bash
# demo.sh - the built-in demo: install what is needed, build, and run the product's story on
# this machine, in network namespaces: Alice and Bob each run a signpost; Alice's laptop and
# NAS and Bob's laptop sit behind NAT routers; Bob reaches Alice's NAS by name.
#
#   bash tools/demo.sh                            install, build (into build/), run the demo
#   SKIP_DEPS=1 bash tools/demo.sh                skip the apt-get step
#   SKIP_DEPS=1 BUILD_DIR=DIR bash tools/demo.sh  use the binaries already built in DIR
#
# Needs root: the network is a NAT lab of namespaces (tests/lab/natlab.sh):
#   alice-sp  198.51.100.11  Alice's signpost, DNS server of alice.example.
#   bob-sp    198.51.100.12  Bob's signpost, DNS server of bob.example.
#   laptop    Alice's laptop behind a port-restricted cone NAT (Linux MASQUERADE)
#   nas       Alice's NAS behind a symmetric NAT (MASQUERADE --random-fully)
#   bob       Bob's laptop behind a symmetric NAT
# What it shows (each command is printed before it runs):
#   1. `signpost init signpost` for Alice and Bob, signpostd started as it is (no edit);
#   2. enrollment by token: `signpost enroll NAME` on the signpost, `signpost init device
#      --token` on the device, which registers and is published (AAAA + KEY, signed);
#   3. `signpost devices` on Alice's signpost;
#   4. Alice and Bob exchange DS records and add each other as friends; Alice lets Bob's
#      devices reach her NAS only;
#   5. on Bob's laptop: a TCP connection to nas.alice.example by name, the query-to-first-byte
#      time, the AD flag of the answer through Bob's stub, and ping -6 nas.alice.example: the
#      lookup itself opened an end-to-end WireGuard session, relayed by Alice's signpost (the
#      two symmetric NATs leave no direct path; hole punching comes with the NAT issue);
#   6. Bob's laptop may not reach Alice's laptop: refused by Alice's policy;
#   7. Alice's laptop reaches her NAS (her own devices): `signpost netcheck` says what its NAT
#      does, and `signpost ping` names the path each reply took;
#   8. the personal container: a note written on Alice's laptop appears on her NAS; a photo
#      added on the NAS appears on the laptop (chunks fetched, byte for byte); the same note
#      edited on both while they are apart shows as a conflict on both, with both values;
#      a collection shared with bob.example is read by Bob's laptop, and nothing else is;
#  9. `signpost status` of Alice's signpost: what it relayed, and that it holds no tunnel;
# 10. SIGTERM to every daemon and their exit codes.
# Everything lives in namespaces and a folder named with a per-run id and is removed on
# exit; nothing listens outside the namespaces except the daemons' control sockets (Unix
# sockets in that folder).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: needs root (it builds network namespaces); try: sudo bash tools/demo.sh" >&2
	exit 1
fi
if [ -z "${SKIP_DEPS:-}" ]; then
	bash tools/deps.sh
fi
if [ -n "${BUILD_DIR:-}" ]; then
	build=$(cd "$BUILD_DIR" && pwd)
else
	build=$root/build
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target signpost signpostd >/dev/null
fi
for f in signpost signpostd; do
	[ -x "$build/$f" ] || { echo "demo.sh: $build/$f is not built" >&2; exit 1; }
done
for t in ip iptables dig ping python3; do
	command -v "$t" >/dev/null || { echo "demo.sh: '$t' is missing (run tools/deps.sh)" >&2; exit 1; }
done
export PATH="$build:$PATH"

# ---- the lab and the clean-up ----

unset SP_LAB_ID # a fresh random id for this run
# shellcheck source=../tests/lab/natlab.sh
source "$root/tests/lab/natlab.sh"
work=$(mktemp -d "/tmp/signpost-demo-$LAB_ID.XXXXXX")
nodes=(alice-sp bob-sp laptop nas bob)
declare -A conf=([alice-sp]=alice-sp/signpost.conf [bob-sp]=bob-sp/signpost.conf
	[laptop]=laptop/device.conf [nas]=nas/device.conf [bob]=bob/device.conf)
declare -A pid=()
problems=()
etc_netns_made=
[ -d /etc/netns ] || etc_netns_made=1

cleanup() {
	local n
	trap - EXIT INT TERM
	for n in "${!pid[@]}"; do
		kill -TERM "${pid[$n]}" 2>/dev/null || true
	done
	for n in "${!pid[@]}"; do
		poll 5 gone "${pid[$n]}" || kill -KILL "${pid[$n]}" 2>/dev/null || true
		wait "${pid[$n]}" 2>/dev/null || true
	done
	lab_down >/dev/null 2>&1 || true
	for n in "${nodes[@]}"; do
		rm -rf "/etc/netns/spl-$LAB_ID-$n"
	done
	rm -f /var/run/wireguard/sp"$LAB_ID"*.sock
	if [ -n "$etc_netns_made" ]; then rmdir /etc/netns 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

problem() {
	echo "!! $*"
	problems+=("$*")
}

# Print a command as it could be typed, then run it in NODE's namespace from $work.
show() { # NODE CMD...
	local n=$1 a line=""
	shift
	for a in "$@"; do
		if [[ "$a" =~ ^[A-Za-z0-9_./:=@+,%-]+$ ]]; then
			line+=" $a"
		elif [[ "$a" == *\"* ]]; then
			line+=" '$a'"
		else
			line+=" \"$a\""
		fi
	done
	printf '\n[%s]$%s\n' "$n" "$line"
	lab_exec "$n" "$@"
}

# Wait until CMD succeeds, for at most SECONDS (every 0.1 s).
poll() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	while ((SECONDS <= end)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

start_daemon() { # NODE
	local n=$1
	printf '\n[%s]$ signpostd -c %s &\n' "$n" "${conf[$n]}"
	ip netns exec "$(lab_ns "$n")" signpostd -c "${conf[$n]}" >"$work/$n.log" 2>&1 &
	pid[$n]=$!
	if ! poll 10 running_and_answering "$n"; then
		problem "signpostd on $n did not start; its log:"
		cat "$work/$n.log"
		exit 1
	fi
	grep -E 'signpostd\[notice\]: (control: [a-z]+ role|signpost |device |tunnel: )' "$work/$n.log" | head -n 4 |
		sed 's/^/    /'
}
running_and_answering() { # NODE
	kill -0 "${pid[$1]}" && lab_exec "$1" signpost -c "${conf[$1]}" status
}
gone() { # PID: exited (a zombie not yet waited for counts as gone)
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
log_has() { grep -Eq -- "$2" "$work/$1.log"; }

cd "$work"
echo "== 0. the NAT lab (run id $LAB_ID): namespaces spl-$LAB_ID-*, files in $work"
lab_init >/dev/null
lab_add_public alice-sp
lab_add_public bob-sp
lab_add_device port-restricted laptop
lab_add_device symmetric nas
lab_add_device symmetric bob
lab_show | grep -E '^(HOST|alice-sp|bob-sp|laptop|nas|bob) ' | sed 's/^/    /'

echo
echo "== 1. the signposts: alice.example. and bob.example., each its DNS server and relay"
for n in alice-sp bob-sp; do
	zone=${n%-sp}.example.
	show "$n" signpost init signpost --zone "$zone" --dir "$n" --address "$(lab_addr "$n")" |
		sed -n '1,/^$/p'
	start_daemon "$n"
done

echo
echo "== 2. enrollment by token: one command on the signpost, one on the device"
declare -A owner=([laptop]=alice-sp [nas]=alice-sp [bob]=bob-sp)
declare -A dname=([laptop]=laptop [nas]=nas [bob]=laptop)
for n in laptop nas bob; do
	sp=${owner[$n]}
	show "$sp" signpost -c "${conf[$sp]}" enroll "${dname[$n]}" | tee "$n.enroll"
	token=$(tail -n 1 "$n.enroll")
	show "$n" signpost init device --token "$token" --dir "$n" | sed -n '1,/^$/p'
	# Only for the demo: every TUN device on this one machine needs a name of its own (the
	# WireGuard UAPI sockets in /var/run/wireguard are shared); a real device keeps sp0.
	sed -i "s/^\[tunnel\]\$/[tunnel]\ninterface = sp$LAB_ID$n/" "${conf[$n]}"
	mkdir -p "/etc/netns/spl-$LAB_ID-$n"
	echo "nameserver 127.0.0.1" >"/etc/netns/spl-$LAB_ID-$n/resolv.conf"
	start_daemon "$n"
	poll 10 log_has "$n" 'enrolled as' || problem "$n did not enroll"
	grep -E 'control: (enrolled|registered)' "$work/$n.log" | sed 's/^/    /'
done

echo
echo "== 3. Alice's devices, as her signpost knows them"
show alice-sp signpost -c "${conf[alice-sp]}" devices

echo
echo "== 4. friends: Alice and Bob exchange DS records; Alice lets Bob reach her NAS"
ds_alice=$(signpost -c "${conf[alice-sp]}" ds | head -n 1)
ds_bob=$(signpost -c "${conf[bob-sp]}" ds | head -n 1)
show alice-sp signpost -c "${conf[alice-sp]}" friend add bob.example. --anchor "$ds_bob" \
	--signpost "$(lab_addr bob-sp)" --allow nas
show bob-sp signpost -c "${conf[bob-sp]}" friend add alice.example. --anchor "$ds_alice" \
	--signpost "$(lab_addr alice-sp)"
poll 10 log_has bob 'friend zone alice.example. from the signpost' ||
	problem "Bob's signpost did not push alice.example. to his laptop"
echo "    (Bob's laptop got alice.example. and its anchor from Bob's signpost: nothing to configure there)"

echo
echo "== 5. Bob's laptop reaches nas.alice.example by name"
# nas serves one line per TCP connection.
lab_spawn nas "$work/server.out" python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8080)); s.listen(4); s.settimeout(60)
print("listening", flush=True)
c, a = s.accept()
c.sendall(b"hello from nas.alice.example\n")
print("connection from", a[0], flush=True)
c.close()'
lab_wait_file "$work/server.out" listening 10 >/dev/null || problem "the server on nas did not start"
cat >"$work/connect.py" <<'EOF'
import socket, time
t0 = time.monotonic()
ai = socket.getaddrinfo("nas.alice.example", 8080, socket.AF_INET6, socket.SOCK_STREAM)
t1 = time.monotonic()
s = socket.create_connection(ai[0][4][:2], timeout=15)
line = s.recv(200)
t2 = time.monotonic()
print("nas.alice.example is %s; it said: %s" % (ai[0][4][0], line.decode().strip()))
print("query %.1f ms; query to first byte through the tunnel %.1f ms" % ((t1 - t0) * 1e3, (t2 - t0) * 1e3))
EOF
if show bob python3 connect.py | tee connect.out; then
	grep -q "hello from nas" connect.out || problem "no greeting from nas"
else
	problem "TCP from Bob's laptop to nas.alice.example failed"
fi
show bob dig @127.0.0.1 nas.alice.example AAAA +dnssec +time=2 +tries=2 | tee dig.out |
	grep -E '^;; flags|IN[[:space:]]+AAAA'
if grep -Eq '^;; flags:[a-z ]* ad[ ;]' dig.out; then
	echo "-> AD: Bob's laptop validated Alice's answer with the DS Bob holds for alice.example."
else
	problem "no validated (AD) answer for nas.alice.example"
fi
show bob ping -6 -c 3 -i 0.2 -w 10 nas.alice.example | tee ping.out || problem "ping nas.alice.example failed"
show bob signpost -c "${conf[bob]}" status | sed -n '/^control:/,$p' | grep -E '^control|registered|peer ' || true
echo "-> an end-to-end WireGuard session Bob's laptop <-> Alice's NAS, keyed from the NAS's"
echo "   validated KEY record, relayed by Alice's signpost, which cannot read it"

echo
echo "== 6. Bob's laptop may not reach Alice's laptop (Alice allowed only her NAS)"
if show bob ping -6 -c 1 -w 3 laptop.alice.example; then
	problem "Bob's laptop reached Alice's laptop"
fi
poll 5 log_has alice-sp "to 'laptop' refused by policy" || problem "no refusal on Alice's signpost"
grep -F "refused by policy" "$work/alice-sp.log" | tail -n 1 | sed 's/^/    /'

echo
echo "== 7. Alice's laptop reaches her NAS"
show laptop signpost -c "${conf[laptop]}" netcheck | tee netcheck.out ||
	problem "netcheck on Alice's laptop failed"
show laptop ping -6 -c 2 -i 0.2 -w 10 nas.alice.example || problem "Alice's laptop -> nas failed"
show laptop signpost -c "${conf[laptop]}" ping nas.alice.example -c 4 ||
	problem "signpost ping nas.alice.example failed"

echo
echo "== 8. the personal container: Alice's laptop and NAS keep one replica in step"
store() { # NODE ARGS...: signpost store on NODE
	local n=$1
	shift
	lab_exec "$n" signpost -c "${conf[$n]}" store "$@"
}
show laptop signpost -c "${conf[laptop]}" store put notes shopping '{"text":"milk, bread"}' ||
	problem "store put on the laptop failed"
if poll 60 eval 'store nas get notes shopping >/dev/null 2>&1'; then
	show nas signpost -c "${conf[nas]}" store get notes shopping
	echo "-> written on the laptop, read on the NAS: synced over their tunnel"
else
	problem "the note from the laptop did not reach the NAS"
fi
head -c 3000000 /dev/urandom >"$work/photo.jpg"
show nas signpost -c "${conf[nas]}" store put-file "$work/photo.jpg" || problem "put-file on the NAS failed"
if poll 60 eval 'store laptop ls-files 2>/dev/null | grep -qP "^photo.jpg\t.*\tcomplete\t"'; then
	show laptop signpost -c "${conf[laptop]}" store ls-files
	show laptop signpost -c "${conf[laptop]}" store get-file photo.jpg "$work/photo-on-laptop.jpg" || true
	if cmp -s "$work/photo.jpg" "$work/photo-on-laptop.jpg"; then
		echo "-> the NAS's photo is on the laptop, byte for byte ($(stat -c %s "$work/photo.jpg") bytes)"
	else
		problem "the photo on the laptop differs from the NAS's"
	fi
else
	problem "the photo from the NAS did not reach the laptop"
fi
echo
echo "   the laptop and the NAS lose each other (the NAS's network drops every packet) ..."
lab_exec nas iptables -I INPUT -j DROP
lab_exec nas iptables -I OUTPUT -j DROP
show laptop signpost -c "${conf[laptop]}" store put notes shopping '{"text":"milk, bread, eggs"}'
show nas signpost -c "${conf[nas]}" store put notes shopping '{"text":"milk, bread, apples"}'
lab_exec nas iptables -D INPUT -j DROP
lab_exec nas iptables -D OUTPUT -j DROP
echo "   ... and find each other again"
conflicted() { store "$1" conflicts 2>/dev/null | grep -q 'eggs' && store "$1" conflicts 2>/dev/null | grep -q 'apples'; }
if poll 90 conflicted laptop && poll 30 conflicted nas; then
	show laptop signpost -c "${conf[laptop]}" store conflicts
	show nas signpost -c "${conf[nas]}" store conflicts
	echo "-> both edits are kept, on both devices: one wins (the same one on both), the other is"
	echo "   listed as a conflict until a later write settles it; nothing was overwritten silently"
else
	problem "the edits made apart did not show as a conflict on both devices"
fi
show laptop signpost -c "${conf[laptop]}" store sync status
echo
echo "   Alice shares one collection with Bob; the friend policy lets Bob's devices reach her NAS"
show nas signpost -c "${conf[nas]}" store put recipes pancakes '{"eggs":2,"milk":"300 ml"}'
show nas signpost -c "${conf[nas]}" store share recipes bob.example.
if poll 90 eval 'store bob ls recipes --friend alice.example. 2>/dev/null | grep -q pancakes'; then
	show bob signpost -c "${conf[bob]}" store ls recipes --friend alice.example.
	show bob signpost -c "${conf[bob]}" store ls notes --friend alice.example.
	if store bob ls notes --friend alice.example. | grep -q shopping; then
		problem "Bob's laptop got Alice's notes, which she did not share"
	else
		echo "-> Bob's laptop read the shared recipes from Alice's NAS; her notes never left it"
	fi
else
	problem "Bob's laptop did not get the recipes Alice shared"
fi

echo
echo "== 9. Alice's signpost: relaying, with no tunnel (no key) of its own"
show alice-sp signpost -c "${conf[alice-sp]}" status |
	awk '/^[^ ]/ { sec = $0 } (sec == "tunnel:" || sec == "control:") &&
		/^(tunnel|control):|^  (state|devices|friends|relay-pairs|relayed|relayed-bytes|connects-refused):/'

echo
echo "== 10. SIGTERM: every daemon shuts down cleanly"
for n in bob nas laptop bob-sp alice-sp; do
	printf '\n[%s]$ kill -TERM %s\n' "$n" "${pid[$n]}"
	kill -TERM "${pid[$n]}"
	if ! poll 10 gone "${pid[$n]}"; then
		problem "signpostd on $n still runs 10 s after SIGTERM"
		kill -KILL "${pid[$n]}" 2>/dev/null || true
	fi
	rc=0
	wait "${pid[$n]}" || rc=$?
	unset "pid[$n]"
	tail -n 1 "$work/$n.log" | sed 's/^/    /'
	echo "signpostd ($n) exited with $rc"
	[ "$rc" -eq 0 ] || problem "signpostd on $n exited with $rc"
done


if [ "${#problems[@]}" -ne 0 ]; then
	echo
	echo "demo finished with ${#problems[@]} problem(s):"
	printf '  - %s\n' "${problems[@]}"
	exit 1
fi
echo
echo "demo complete"
