#!/usr/bin/env bash
# demo.sh - the built-in demo: install what is needed, build, and run a small
# Signpost network on this machine.
#
#   bash tools/demo.sh               install, build, run the demo
#   SKIP_DEPS=1 bash tools/demo.sh   skip the apt-get step
#
# What it shows (each step prints what it runs):
#   1. `signpost init signpost` makes a signpost for demo.example. on loopback;
#   2. signpostd starts; `signpost status` reports its planes;
#   3. a device is enrolled (`signpost init device`, `signpost zone add`), and
#      its name resolves with DNSSEC: dig shows the signed AAAA and DNSKEY,
#      delv validates them against the zone's own trust anchor;
#   4. SIGTERM stops the daemon cleanly.
# Everything is made under a temporary folder and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ -z "${SKIP_DEPS:-}" ]; then
	bash tools/deps.sh
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

sp=$root/build/signpost
spd=$root/build/signpostd
work=$(mktemp -d /tmp/signpost-demo.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

run() {
	printf '\n$ %s\n' "$*"
	"$@"
}

# A loopback address and port of our own, so a demo never collides with a real :53.
addr=127.0.0.$((RANDOM % 200 + 20))
port=$((RANDOM % 20000 + 20000))
zone=demo.example.

echo "== 1. a signpost for $zone on $addr"
run "$sp" init signpost --zone "$zone" --dir "$work/signpost" --address "$addr" --dns-port "$port"
conf=$work/signpost/signpost.conf
run "$spd" --check -c "$conf"

echo
echo "== 2. start signpostd"
"$spd" -c "$conf" >"$work/signpostd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	"$sp" -c "$conf" status >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/signpostd.log"; exit 1; }
	sleep 0.1
done
run "$sp" -c "$conf" status

if "$sp" -c "$conf" zone show >/dev/null 2>&1; then
	echo
	echo "== 3. enroll a device and resolve it with DNSSEC"
	run "$sp" init device --zone "$zone" --name laptop --dir "$work/laptop" \
		--signpost "$addr:51820" --signpost-key "$("$sp" pubkey < "$work/signpost/node.key")"
	devkey=$("$sp" pubkey < "$work/laptop/node.key")
	run "$sp" -c "$conf" zone add "laptop.$zone" 300 AAAA fd00:d3e0::1
	run "$sp" -c "$conf" zone add "laptop.$zone" 300 DNSKEY "0 3 15 $devkey"
	run dig +norec +dnssec +multi @"$addr" -p "$port" "laptop.$zone" AAAA
	"$sp" -c "$conf" dnskey --bind > "$work/anchor.conf"
	run delv @"$addr" -p "$port" -a "$work/anchor.conf" +root="${zone%.}" "laptop.$zone" AAAA
	run delv @"$addr" -p "$port" -a "$work/anchor.conf" +root="${zone%.}" "nas.$zone" AAAA || true
fi

echo
echo "== 4. SIGTERM: clean shutdown"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
tail -n 3 "$work/signpostd.log"
echo "signpostd exited with $rc"
[ "$rc" -eq 0 ]
echo
echo "demo complete"
