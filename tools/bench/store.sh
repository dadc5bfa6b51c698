#!/bin/bash
# store.sh - the store plane's costs, and file sync side by side with Syncthing.
#
# 1. store_bench -n $N (default 1000000): sync cost of two replicas of N ops
#    (cursor path and reconciliation, bytes / round trips / ms per scenario),
#    local write rate vs raw SQLite, chunking and BLAKE2b throughput.
# 2. (root; SKIP_SYNCTHING=1 skips it) two network namespaces joined by a
#    veth pair; in the same run, one after the other, the same three cases
#    with Syncthing (one instance per namespace, discovery, relays, NAT and
#    announcements off, static addresses, one shared folder) and with ours
#    (store_tcp import on A, serve in a, sync in b, export on B, cmp):
#      (i)   10,000 files of 1 KB random bytes;
#      (ii)  one 100 MB random file;
#      (iii) that file again after 1 MB of random bytes inserted in its middle.
#    Time: Syncthing from the scan request on A until B's folder status shows
#    every file in sync; ours from import on A to export on B.  Bytes: both
#    directions on the veth (rx + tx in namespace a, IP headers included).
# Usage: [N=1000000] [SKIP_SYNCTHING=1] [SKIP_BENCH=1] tools/bench/store.sh [BUILD_DIR]   (root)
# Bounded: every wait polls with a deadline; a watchdog ends the run after
# LIMIT s (default 1200); the trap kills what it started and removes the namespaces.
set -u
B=${1:-build}
N=${N:-1000000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
[[ $N =~ ^[0-9]+$ ]] && ((N >= 5000)) || { echo "store.sh: N: a number >= 5000" >&2; exit 2; }
T0=$SECONDS

cmake -S . -B "$B" >/dev/null && cmake --build "$B" -j2 --target store_bench store_tcp >/dev/null ||
	{ echo "store.sh: build failed" >&2; exit 1; }
BD=$ROOT/$B
[[ $B = /* ]] && BD=$B
ST=$BD/store_tcp

W=$(mktemp -d /tmp/sp-stb.XXXXXX)
NSA=sp-stb-$$-a
NSB=sp-stb-$$-b
VA=stb$$a
VB=stb$$b
PIDS=()
NS_MADE=0
cleanup() {
	local p c
	for p in "${PIDS[@]}"; do
		for c in $(pgrep -P "$p" 2>/dev/null); do kill "$c" 2>/dev/null; done
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	if ((NS_MADE)); then
		ip netns del "$NSA" 2>/dev/null
		ip netns del "$NSB" 2>/dev/null
	fi
	rm -rf "$W"
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
}
( trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep "${LIMIT:-1200}" & s=$!
  wait "$s" && kill -TERM $$ ) >/dev/null 2>&1 </dev/null &
WATCHDOG=$!
trap cleanup EXIT
trap 'echo "store.sh: over ${LIMIT:-1200} s, stopping" >&2; exit 1' TERM INT
fail() { echo "store.sh: $*" >&2; exit 1; }
# wait_for SECS CMD...: poll CMD every 0.1 s until it succeeds or SECS pass.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}
now() { date +%s.%N; }
calc() { python3 -c "import sys; print(format(eval(sys.argv[1]), sys.argv[2]))" "$1" "${2:-.2f}"; }

# ---- 1. store_bench
if [ "${SKIP_BENCH:-0}" != 1 ]; then
	echo "== store_bench -n $N"
	"$BD/store_bench" -n "$N" -d "$W" 2>"$W/bench.err" || fail "store_bench failed: $(tail -5 "$W/bench.err")"
fi
echo "(store_bench: $((SECONDS - T0)) s)"

[ "${SKIP_SYNCTHING:-0}" = 1 ] && { echo "SKIP_SYNCTHING=1: no Syncthing comparison"; exit 0; }
(($(id -u) == 0)) || fail "the Syncthing comparison needs root (namespaces); SKIP_SYNCTHING=1 skips it"
if ! command -v syncthing >/dev/null; then
	apt-get install -y syncthing >"$W/apt.log" 2>&1 || fail "apt-get install syncthing: $(tail -3 "$W/apt.log")"
fi
for t in syncthing curl python3 ip cmp; do command -v $t >/dev/null || fail "needs $t"; done

# ---- 2. namespaces: a (10.$O.1) -- veth -- b (10.$O.2), addresses inside them only
O=$((200 + $$ % 50)).$(($$ % 250 + 1))
AA=10.$O.1
AB=10.$O.2
ip netns add "$NSA" && NS_MADE=1 && ip netns add "$NSB" || fail "ip netns add"
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" || fail "veth"
ip -n "$NSA" addr add "$AA/30" dev "$VA" && ip -n "$NSB" addr add "$AB/30" dev "$VB" || fail "addresses"
for n in "$NSA:$VA" "$NSB:$VB"; do
	ip -n "${n%%:*}" link set lo up && ip -n "${n%%:*}" link set "${n##*:}" up || fail "link up"
done
wait_for 10 ip netns exec "$NSA" ping -c1 -W1 "$AB" >/dev/null || fail "veth: no path a -> b"
# Bytes both ways on the veth, IP headers included.
wire() { ip netns exec "$NSA" cat /sys/class/net/$VA/statistics/rx_bytes /sys/class/net/$VA/statistics/tx_bytes |
	awk '{ s += $1 } END { print s }'; }

# ---- the data: c1/small/ (10,000 x 1 KB), c2/big.bin (100 MB), c3/big.bin (1 MB inserted mid-file)
D=$W/data
mkdir -p "$D/c1/small" "$D/c2" "$D/c3"
python3 - "$D" <<'EOF' || fail "making the data"
import os, sys
d = sys.argv[1]
for i in range(10000):
    with open(f"{d}/c1/small/f{i:05d}", "wb") as f:
        f.write(os.urandom(1024))
big = os.urandom(100 * 1000 * 1000)
open(f"{d}/c2/big.bin", "wb").write(big)
m = len(big) // 2
open(f"{d}/c3/big.bin", "wb").write(big[:m] + os.urandom(1000 * 1000) + big[m:])
EOF
SMALL_BYTES=$((10000 * 1024))
BIG=100000000
BIG2=101000000
echo "data ready ($((SECONDS - T0)) s)"

# ---- 3. Syncthing
KEY=storebench$$
# st_conf HOME ADDR PEER_ID PEER_ADDR FOLDER: config for one instance.
st_conf() {
	python3 - "$@" "$KEY" <<'EOF' || fail "syncthing config"
import sys, xml.etree.ElementTree as ET
home, addr, peer, peer_addr, folder, key = sys.argv[1:]
path = home + "/config.xml"
t = ET.parse(path)
r = t.getroot()
me = r.find("device")
me.find("address").text = "tcp://%s:22000" % addr
opts = {"listenAddress": "tcp://%s:22000" % addr, "globalAnnounceEnabled": "false",
        "localAnnounceEnabled": "false", "relaysEnabled": "false", "natEnabled": "false",
        "startBrowser": "false", "urAccepted": "-1", "autoUpgradeIntervalH": "0",
        "crashReportingEnabled": "false", "setLowPriority": "false", "stunKeepaliveStartS": "0",
        "stunServer": "", "globalAnnounceServer": "", "reconnectionIntervalS": "1"}
o = r.find("options")
for k, v in opts.items():
    e = o.find(k)
    if e is None:
        e = ET.SubElement(o, k)
    e.text = v
r.find("gui").find("apikey").text = key
r.find("gui").find("address").text = "127.0.0.1:8384"
pd = ET.fromstring(ET.tostring(r.find("defaults").find("device")))
pd.set("id", peer)
pd.set("name", "peer")
pd.find("address").text = "tcp://%s:22000" % peer_addr
r.insert(1, pd)
f = ET.fromstring(ET.tostring(r.find("defaults").find("folder")))
f.set("id", "bench"); f.set("label", "bench"); f.set("path", folder)
f.set("fsWatcherEnabled", "false"); f.set("rescanIntervalS", "3600")
pf = ET.SubElement(f, "device", {"id": peer, "introducedBy": ""})
ET.SubElement(pf, "encryptionPassword")
r.insert(0, f)
t.write(path)
EOF
}
for n in a b; do
	mkdir -p "$W/st$n/folder"
	syncthing generate --home "$W/st$n/home" --no-default-folder --skip-port-probing >"$W/st$n/gen.log" 2>&1 ||
		fail "syncthing generate: $(tail -3 "$W/st$n/gen.log")"
done
ID_A=$(sed -n 's/.*Device ID: *//p' "$W/sta/gen.log")
ID_B=$(sed -n 's/.*Device ID: *//p' "$W/stb/gen.log")
[ -n "$ID_A" ] && [ -n "$ID_B" ] || fail "no syncthing device ids"
st_conf "$W/sta/home" "$AA" "$ID_B" "$AB" "$W/sta/folder"
st_conf "$W/stb/home" "$AB" "$ID_A" "$AA" "$W/stb/folder"
declare -A STPID
for n in a b; do
	ns=$NSA; [ $n = b ] && ns=$NSB
	HOME=$W/st$n ip netns exec "$ns" env STNORESTART=1 STNOUPGRADE=1 syncthing serve --home "$W/st$n/home" \
		--no-browser --no-restart --no-upgrade >"$W/st$n/log" 2>&1 &
	STPID[$n]=$!
	PIDS+=($!)
done
# rest a|b METHOD PATH: the instance's REST API (inside its namespace, on its loopback).
rest() {
	local ns=$NSA
	[ "$1" = b ] && ns=$NSB
	ip netns exec "$ns" curl -sf -m 30 -X "$2" -H "X-API-Key: $KEY" "http://127.0.0.1:8384$3"
}
pong() { rest "$1" GET /rest/system/ping 2>/dev/null | grep -q pong; }
connected() { # NODE PEER_ID
	rest "$1" GET /rest/system/connections 2>/dev/null |
		python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["connections"].get(sys.argv[1], {}).get("connected") else 1)' "$2"
}
wait_for 60 pong a && wait_for 60 pong b || fail "syncthing REST not up: $(tail -5 "$W/sta/log" "$W/stb/log")"
wait_for 60 connected a "$ID_B" && wait_for 60 connected b "$ID_A" ||
	fail "syncthing instances not connected: $(tail -5 "$W/sta/log" "$W/stb/log")"
echo "syncthing up and connected ($((SECONDS - T0)) s)"
# synced FILES BYTES: both folders idle with FILES files, A's scan saw at least BYTES (Syncthing
# counts 128 bytes a directory), B holds as many bytes as A and needs nothing.
status_of() { rest "$1" GET "/rest/db/status?folder=bench" 2>/dev/null; }
synced() {
	python3 -c '
import json, sys
a, b = json.loads(sys.argv[3]), json.loads(sys.argv[4])
ok = all(s["state"] == "idle" and s["localFiles"] == int(sys.argv[1]) for s in (a, b))
ok = ok and a["localBytes"] >= int(sys.argv[2]) and b["localBytes"] == a["localBytes"]
ok = ok and b["needFiles"] == 0 and b["needBytes"] == 0 and b["globalBytes"] == a["localBytes"]
sys.exit(0 if ok else 1)' "$1" "$2" "$(status_of a)" "$(status_of b)" 2>/dev/null
}
declare -A S_T S_B P_T P_B P_DETAIL
# st_case NAME SRC FILES BYTES: copy SRC's contents into A's folder, scan, wait for B.
st_case() {
	cp -r "$2/." "$W/sta/folder/" || fail "copy $2"
	local b0 t0 t1
	b0=$(wire)
	t0=$(now)
	rest a POST "/rest/db/scan?folder=bench" >/dev/null || fail "syncthing scan request"
	wait_for 300 synced "$3" "$4" ||
		fail "syncthing $1: not in sync within 300 s; A: $(rest a GET "/rest/db/status?folder=bench")" \
			"B: $(rest b GET "/rest/db/status?folder=bench"); $(tail -5 "$W/stb/log")"
	t1=$(now)
	S_T[$1]=$(calc "$t1 - $t0" .2f)
	S_B[$1]=$(($(wire) - b0))
	# B's folder holds the earlier cases' files too: only those lines are expected.
	diff -rq "$2" "$W/stb/folder" -x .stfolder -x .stversions 2>&1 |
		grep -v "^Only in $W/stb/folder" | grep -q . && fail "syncthing $1: files differ"
	echo "syncthing $1: ${S_T[$1]} s, ${S_B[$1]} bytes"
}
st_case small "$D/c1" 10000 "$SMALL_BYTES"
st_case big "$D/c2" 10001 $((SMALL_BYTES + BIG))
st_case insert "$D/c3" 10001 $((SMALL_BYTES + BIG2))
cmp -s "$D/c3/big.bin" "$W/stb/folder/big.bin" || fail "syncthing: big.bin differs"
for n in a b; do kill "${STPID[$n]}" 2>/dev/null; done
for n in a b; do wait_for 30 bash -c "! kill -0 ${STPID[$n]} 2>/dev/null" || kill -9 "${STPID[$n]}"; done

# ---- 4. ours: store_tcp (no tunnel, no encryption: the sync protocol over plain TCP)
DA=$W/sp/a.db
DB=$W/sp/b.db
OUT=$W/sp/out
mkdir -p "$W/sp" "$OUT"
# sp_case NAME SRC EXPORT_PREFIX: import SRC on A, serve in a, sync from b, export on B.
sp_case() {
	local t0 t1 t2 t3 t4 b0 pid
	t0=$(now)
	"$ST" -n sp-a import "$DA" "$2" >"$W/sp/import.$1" || fail "store_tcp import $1: $(cat "$W/sp/import.$1")"
	t1=$(now)
	b0=$(wire)
	ip netns exec "$NSA" "$ST" -n sp-a -p sp-b -t 600 serve "$DA" 22001 >"$W/sp/serve.$1" 2>&1 &
	pid=$!
	PIDS+=($pid)
	wait_for 30 grep -qs '^listening' "$W/sp/serve.$1" || fail "store_tcp serve $1: $(cat "$W/sp/serve.$1")"
	t2=$(now)
	ip netns exec "$NSB" "$ST" -n sp-b -p sp-a -t 600 sync "$DB" "$AA" 22001 >"$W/sp/sync.$1" 2>&1 ||
		fail "store_tcp sync $1: $(cat "$W/sp/sync.$1")"
	wait_for 60 bash -c "! kill -0 $pid 2>/dev/null" || fail "store_tcp serve $1 did not exit"
	t3=$(now)
	P_B[$1]=$(($(wire) - b0))
	grep -q 'serve: ok' "$W/sp/serve.$1" || fail "store_tcp serve $1: $(cat "$W/sp/serve.$1")"
	"$ST" -n sp-b export "$DB" "$OUT" "$3" >"$W/sp/export.$1" 2>&1 || fail "store_tcp export $1: $(cat "$W/sp/export.$1")"
	t4=$(now)
	P_T[$1]=$(calc "$t4 - $t0 - ($t2 - $t1)" .2f)
	P_DETAIL[$1]="import $(calc "$t1 - $t0") s, sync $(calc "$t3 - $t2") s, export $(calc "$t4 - $t3") s; $(sed -n 's/^store_tcp sync: //p' "$W/sp/sync.$1")"
	echo "signpost $1: ${P_T[$1]} s, ${P_B[$1]} bytes (${P_DETAIL[$1]})"
}
sp_case small "$D/c1" small/
diff -rq "$D/c1/small" "$OUT/small" >/dev/null || fail "signpost small: files differ"
sp_case big "$D/c2" big.bin
cmp "$D/c2/big.bin" "$OUT/big.bin" || fail "signpost big: big.bin differs"
sp_case insert "$D/c3" big.bin
cmp "$D/c3/big.bin" "$OUT/big.bin" || fail "signpost insert: big.bin differs"

echo
echo "file sync over a veth pair (one host, two namespaces); bytes: both ways on the wire"
printf '%-34s %12s %16s %12s %16s %9s %9s\n' "case" "syncthing s" "syncthing bytes" "signpost s" \
	"signpost bytes" "s ratio" "B ratio"
for c in small big insert; do
	case $c in
	small) label="10,000 files x 1 KB" ;;
	big) label="one 100 MB file" ;;
	insert) label="same file, 1 MB inserted mid-file" ;;
	esac
	printf '%-34s %12s %16s %12s %16s %9s %9s\n' "$label" "${S_T[$c]}" "${S_B[$c]}" "${P_T[$c]}" \
		"${P_B[$c]}" "$(calc "${P_T[$c]} / max(${S_T[$c]}, 0.001)")" "$(calc "${P_B[$c]} / max(${S_B[$c]}, 1)")"
done
echo "(ratio: signpost / syncthing, lower is better for us.  Syncthing: TLS, scan to B in sync;"
echo " signpost: store_tcp over plain TCP, no tunnel, import + sync + export, files cmp'd identical.)"
for c in small big insert; do echo "signpost $c: ${P_DETAIL[$c]}"; done
echo "total $((SECONDS - T0)) s"
