#!/usr/bin/env bash
# demo.sh - the built-in demo: install what is needed, build, and run a small Signpost
# network on this machine: a signpost and two devices behind NATs, resolving and reaching
# each other.
#
#   bash tools/demo.sh                          install, build (into build/), run the demo
#   SKIP_DEPS=1 bash tools/demo.sh              skip the apt-get step
#   SKIP_DEPS=1 BUILD_DIR=DIR bash tools/demo.sh  use the binaries already built in DIR
#
# Needs root: the network is a NAT lab of network namespaces (tests/lab/natlab.sh):
#   signpost  s1  198.51.100.11 on the public segment: DNS server of demo.example., tunnel hub
#   laptop    d1  192.168.1.2 behind a port-restricted cone NAT (Linux MASQUERADE)
#   phone     d2  192.168.2.2 behind a symmetric NAT (MASQUERADE --random-fully)
# What it shows (each command is printed before it runs):
#   1. `signpost init signpost`, the tunnel turned on, signpostd started;
#   2. `signpost init device` for laptop and phone, enrolled with the `signpost zone add`
#      lines they print (KEY + overlay AAAA) and the [peer] lines they print, appended to
#      the signpost's configuration (SIGHUP);
#   3. each device's signpostd: stub resolver anchored with `signpost ds`, and the one [peer]
#      `signpost init device` wrote: the signpost (the zone's /48, keepalive 25 s to hold the
#      NAT mappings open); only the tunnel is turned on;
#   4. `signpost status` on every node;
#   5. on the laptop, dig through its stub: phone's AAAA comes back with AD (validated there);
#   6. ping -6 phone.demo.example from the laptop, by name through the stub, relayed by the
#      signpost (hop limit 63: one router on the way, the signpost's namespace);
#   7. `wg show` of the signpost's interface through its UAPI socket;
#   8. SIGTERM to every daemon and their exit codes.
# Direct device-to-device paths (hole punching) and syncing come in later issues: today every
# device packet goes through the signpost.  Everything lives in namespaces and a folder named
# with a per-run id and is removed on exit; nothing listens outside the namespaces except on
# the daemons' control sockets (Unix sockets in that folder).
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
for t in ip iptables dig ping wg; do
	command -v "$t" >/dev/null || { echo "demo.sh: '$t' is missing (run tools/deps.sh)" >&2; exit 1; }
done
export PATH="$build:$PATH"

# ---- the lab and the clean-up ----

unset SP_LAB_ID # a fresh random id for this run
# shellcheck source=../tests/lab/natlab.sh
source "$root/tests/lab/natlab.sh"
work=$(mktemp -d "/tmp/signpost-demo-$LAB_ID.XXXXXX")
nodes=(signpost laptop phone)
declare -A host=([signpost]=s1 [laptop]=d1 [phone]=d2)
declare -A conf=([signpost]=signpost/signpost.conf [laptop]=laptop/device.conf [phone]=phone/device.conf)
declare -A ifname=([signpost]="sp${LAB_ID}s" [laptop]="sp${LAB_ID}l" [phone]="sp${LAB_ID}p")
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
		rm -rf "/etc/netns/spl-$LAB_ID-${host[$n]}"
		rm -f "/var/run/wireguard/${ifname[$n]}.sock"
	done
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
		if [[ "$a" =~ ^[A-Za-z0-9_./:=@+,%-]+$ ]]; then line+=" $a"; else line+=" \"$a\""; fi
	done
	printf '\n[%s]$%s\n' "$n" "$line"
	lab_exec "${host[$n]}" "$@"
}

# Append a block to a configuration file, showing it.
conf_append() { # FILE  (block on stdin)
	local block
	block=$(cat)
	printf '\n(appended to %s)\n%s\n' "$1" "$block" | sed '2,$s/^/    /'
	printf '\n%s\n' "$block" >>"$1"
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
	ip netns exec "$(lab_ns "${host[$n]}")" signpostd -c "${conf[$n]}" >"$work/$n.log" 2>&1 &
	pid[$n]=$!
	if ! poll 10 running_and_answering "$n"; then
		problem "signpostd on $n did not start; its log:"
		cat "$work/$n.log"
		exit 1
	fi
	head -n 20 "$work/$n.log" | sed 's/^/    /'
}
running_and_answering() { # NODE
	kill -0 "${pid[$1]}" && lab_exec "${host[$1]}" signpost -c "${conf[$1]}" status
}
gone() { # PID: exited (a zombie not yet waited for counts as gone)
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
status_has() { # NODE REGEX
	lab_exec "${host[$1]}" signpost -c "${conf[$1]}" status | grep -Eq -- "$2"
}

cd "$work"
echo "== 0. the NAT lab (run id $LAB_ID): namespaces spl-$LAB_ID-*, files in $work"
lab_up port-restricted symmetric
sp_addr=$(lab_addr s1)
lab_show | grep -E '^(HOST|s1|d1|d2) ' | sed 's/^/    /'
echo "    signpost = s1 (public), laptop = d1 (port-restricted NAT), phone = d2 (symmetric NAT)"

zone=demo.example.
port=51820
echo
echo "== 1. the signpost: DNS server of $zone on $sp_addr, WireGuard hub on UDP $port"
show signpost signpost init signpost --zone "$zone" --dir signpost --address "$sp_addr" --port "$port"
printf '\n(edit signpost/signpost.conf: [tunnel] enabled = yes)\n'
sed -i '/^\[tunnel\]/,$ s/^enabled = no$/enabled = yes/' signpost/signpost.conf
conf_append signpost/signpost.conf <<EOF
interface = ${ifname[signpost]}
EOF
show signpost sysctl -w net.ipv6.conf.all.forwarding=1
show signpost signpostd --check -c signpost/signpost.conf
start_daemon signpost

echo
echo "== 2. enroll two devices: laptop and phone"
sp_key=$(signpost pubkey <signpost/node.key)
anchor=$(signpost -c signpost/signpost.conf ds | head -n 1)
declare -A overlay=()
for n in laptop phone; do
	show "$n" signpost init device --zone "$zone" --name "$n" --dir "$n" \
		--signpost "$sp_addr:$port" --signpost-key "$sp_key" \
		--signpost-dns "$sp_addr:53" --trust-anchor "$anchor" | tee "$n.init"
	# The enrollment lines it printed, run on the signpost as they are.
	mapfile -t lines < <(sed -n 's/^ *signpost -c SIGNPOST-DIR\//signpost -c signpost\//p' "$n.init")
	[ "${#lines[@]}" -eq 2 ] || { problem "signpost init device printed no zone add lines"; exit 1; }
	for line in "${lines[@]}"; do
		eval "set -- $line"
		[ "$4" = zone ] && [ "$5" = add ] || { problem "unexpected line: $line"; exit 1; }
		show signpost "$@"
		if [ "$7" = AAAA ]; then overlay[$n]=$8; fi
	done
	[ -n "${overlay[$n]:-}" ] || { problem "no AAAA for $n"; exit 1; }
	# The signpost-side [peer] lines it printed, appended as they are.
	sed -n '/^     \[peer\]$/,/^     allowed-ips = /s/^     //p' "$n.init" >"$n.peer"
	grep -qx "allowed-ips = ${overlay[$n]}/128" "$n.peer" ||
		{ problem "signpost init device printed no [peer] lines for the signpost"; exit 1; }
	conf_append signpost/signpost.conf <"$n.peer"
done
printf '\n[signpost]$ kill -HUP %s   (signpostd re-reads its configuration: two peers now)\n' "${pid[signpost]}"
kill -HUP "${pid[signpost]}"
poll 10 status_has signpost '^ *peers: 2$' || problem "the signpost did not take its two peers on SIGHUP"

echo
echo "== 3. the devices: stub resolver anchored at $zone, tunnel to the signpost"
for n in laptop phone; do
	printf '\n(edit %s: [dns] upstream = %s:53 (the lab has no internet), [tunnel] enabled = yes,\n interface = %s; its [peer], the signpost, is as init wrote it:)\n' \
		"${conf[$n]}" "$sp_addr" "${ifname[$n]}"
	sed -i "s/^\[dns\]\$/[dns]\nupstream = $sp_addr:53/" "${conf[$n]}"
	sed -i "/^\[tunnel\]/,\$ s/^enabled = no\$/enabled = yes\ninterface = ${ifname[$n]}/" "${conf[$n]}"
	sed -n '/^\[peer\]$/,$p' "${conf[$n]}" | grep -v '^#' | sed 's/^/    /'
	show "$n" signpostd --check -c "${conf[$n]}"
	start_daemon "$n"
	# The system resolver of this namespace asks the stub (ip netns exec bind-mounts it).
	mkdir -p "/etc/netns/spl-$LAB_ID-${host[$n]}"
	echo "nameserver 127.0.0.1" >"/etc/netns/spl-$LAB_ID-${host[$n]}/resolv.conf"
done
for n in laptop phone; do
	poll 20 status_has "$n" 'latest-handshake [1-9]' ||
		problem "$n: no handshake with the signpost within 20 s"
done

echo
echo "== 4. signpost status on each node"
for n in "${nodes[@]}"; do
	show "$n" signpost -c "${conf[$n]}" status
done

echo
echo "== 5. resolve: the laptop asks its stub; AD = validated on the laptop with the zone's DS"
show laptop dig @127.0.0.1 phone.demo.example AAAA +dnssec +time=2 +tries=2 | tee dig.out
if grep -Eq '^;; flags:[a-z ]* ad[ ;]' dig.out && grep -Fq "${overlay[phone]}" dig.out; then
	echo "-> AD flag set: the stub validated phone's AAAA (${overlay[phone]})"
else
	problem "no validated (AD) answer for phone.demo.example"
fi

echo
echo "== 6. reach: ping the phone by name, through the tunnel, relayed by the signpost"
if show laptop ping -6 -c 3 -i 0.2 -w 10 phone.demo.example | tee ping.out; then
	if grep -q 'ttl=63' ping.out; then
		echo "-> replies with hop limit 63: one hop on the way, the signpost relaying laptop <-> phone"
	fi
else
	problem "ping from laptop to phone.demo.example failed"
fi
echo "   (the laptop and the phone do not reach each other directly yet: NAT traversal and"
echo "    hole punching are a later issue; the signpost relays every packet between them)"

echo
echo "== 7. the signpost's interface, seen by the stock wg tool through signpostd's UAPI socket"
show signpost wg show "${ifname[signpost]}" || problem "wg show ${ifname[signpost]} failed"

echo
echo "== 8. SIGTERM: every daemon shuts down cleanly"
for n in phone laptop signpost; do
	printf '\n[%s]$ kill -TERM %s\n' "$n" "${pid[$n]}"
	kill -TERM "${pid[$n]}"
	if ! poll 10 gone "${pid[$n]}"; then
		problem "signpostd on $n still runs 10 s after SIGTERM"
		kill -KILL "${pid[$n]}" 2>/dev/null || true
	fi
	rc=0
	wait "${pid[$n]}" || rc=$?
	unset "pid[$n]"
	tail -n 2 "$work/$n.log" | sed 's/^/    /'
	echo "signpostd ($n) exited with $rc"
	[ "$rc" -eq 0 ] || problem "signpostd on $n exited with $rc"
done

echo
echo "Not shown yet (later issues): direct paths between devices through their NATs (STUN,"
echo "hole punching) and syncing of the personal store; here the signpost relays all traffic."
if [ "${#problems[@]}" -ne 0 ]; then
	echo
	echo "demo finished with ${#problems[@]} problem(s):"
	printf '  - %s\n' "${problems[@]}"
	exit 1
fi
echo
echo "demo complete"
