#!/bin/bash
# dns.sh - authoritative DNS throughput: signpostd vs NSD vs Knot DNS (issue 3).
#
# One zone of 1,000 device names (AAAA + DNSKEY each), signed, served on a
# random loopback address by each server in turn with one worker each (the
# machine has two cores: one for the server, one for dnsperf), and driven by
# dnsperf with the DO bit for SECONDS seconds:
#   cached:  queries for the existing names (answers from signature caches)
#   fresh:   queries for random missing names, so every denial must be signed
#            at query time: signpostd's compact denial vs Knot's onlinesign.
# Prints queries per second for each and the ratios.
# Usage: tools/bench/dns.sh [BUILD_DIR] [SECONDS]
set -u
B=$(cd "${1:-build}" && pwd)
SECS=${2:-5}
ZONE=bench.example.
N=1000
T=$(mktemp -d /tmp/sp-dnsbench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
die() { echo "dns.sh: $*" >&2; for f in "$T"/*.log; do [ -f "$f" ] && tail -n 5 "$f" >&2; done; exit 1; }
for tool in dnsperf nsd knotd ldns-keygen ldns-signzone dig python3; do
	command -v $tool >/dev/null || die "$tool is not installed"
done
[ -x "$B/signpostd" ] && [ -x "$B/signpost" ] || die "build signpostd and signpost in $B first"

ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
PORT=$((RANDOM % 20000 + 20000))

wait_answer() { # PORT: poll until a server answers the zone's SOA
	for _ in $(seq 1 200); do
		dig @$ADDR -p "$1" +time=1 +tries=1 +norec $ZONE SOA 2>/dev/null | grep -q 'status: NOERROR' &&
			return 0
		sleep 0.1
	done
	return 1
}

stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# --- the zone and the query files ---
"$B/signpost" init signpost --zone $ZONE --dir "$T/sp" --address $ADDR --dns-port $PORT \
	> "$T/init.log" 2>&1 || die "signpost init"
sed -i 's/^\[dns\]$/[dns]\nrrl-rate = 0\ndenial-sign-rate = 1000000/' "$T/sp/signpost.conf"
python3 - "$T" $N $ZONE <<'PY'
import base64, os, random, sys
t, n, zone = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(t + "/devices.db", "w") as f:
    for i in range(n):
        f.write("dev%d.%s 3600 IN AAAA fd00:1:2:3::%x\n" % (i, zone, i + 1))
        f.write("dev%d.%s 3600 IN DNSKEY 0 3 15 %s\n" % (i, zone, base64.b64encode(os.urandom(32)).decode()))
with open(t + "/cached.txt", "w") as f:
    names = ["dev%d.%s AAAA\n" % (i, zone) for i in range(n)]
    names += ["dev%d.%s DNSKEY\n" % (i, zone) for i in range(n)]
    random.shuffle(names)
    f.writelines(names)
with open(t + "/fresh.txt", "w") as f:
    rnd = random.Random()
    f.writelines("r%016x.%s AAAA\n" % (rnd.getrandbits(64), zone) for _ in range(2000000))
PY
cat "$T/devices.db" >> "$T/sp/zone.db"
# NSD and Knot get the same content, signed with keys of their own (ldns-signzone, NSEC).
grep -v '^\$' "$T/sp/zone.db" > "$T/plain.db"
(cd "$T" && KSK=$(ldns-keygen -a ED25519 -k $ZONE) && ZSK=$(ldns-keygen -a ED25519 $ZONE) &&
	printf '$ORIGIN %s\n$TTL 3600\n' $ZONE > unsigned.db && cat plain.db >> unsigned.db &&
	ldns-signzone -f signed.db unsigned.db "$ZSK" "$KSK") > "$T/sign.log" 2>&1 ||
	die "ldns-signzone"

perf() { # perf NAME PORT FILE: prints qps
	dnsperf -s $ADDR -p "$1" -d "$2" -D -l "$SECS" -c 8 -q 200 -t 2 > "$T/perf.out" 2>&1 ||
		{ cat "$T/perf.out" >&2; echo 0; return; }
	awk '/Queries per second/ { print int($4) }' "$T/perf.out"
}
lost() { awk '/Queries lost/ { print $3 }' "$T/perf.out"; }

# --- signpostd ---
"$B/signpostd" -c "$T/sp/signpost.conf" > "$T/signpostd.log" 2>&1 &
SPD=$!; PIDS+=($SPD)
wait_answer $PORT || die "signpostd does not answer"
SP_CACHED=$(perf $PORT "$T/cached.txt"); SP_CACHED_LOST=$(lost)
SP_FRESH=$(perf $PORT "$T/fresh.txt"); SP_FRESH_LOST=$(lost)
stop_pid $SPD

# --- NSD, one server process ---
cat > "$T/nsd.conf" <<NSDC
server:
	ip-address: $ADDR@$((PORT + 1))
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$T"
	pidfile: "$T/nsd.pid"
	database: ""
	zonelistfile: "$T/zone.list"
	xfrdfile: "$T/xfrd.state"
	xfrdir: "$T"
	verbosity: 0
	logfile: "$T/nsd.log"
remote-control:
	control-enable: no
zone:
	name: $ZONE
	zonefile: "$T/signed.db"
NSDC
nsd -d -c "$T/nsd.conf" > "$T/nsd.out.log" 2>&1 &
NSDP=$!; PIDS+=($NSDP)
wait_answer $((PORT + 1)) || die "nsd does not answer"
NSD_CACHED=$(perf $((PORT + 1)) "$T/cached.txt")
stop_pid $NSDP

# --- Knot: the pre-signed zone, then onlinesign on the unsigned one ---
knot_conf() { # knot_conf PORT FILE [onlinesign]
	mkdir -p "$T/knot$1"
	{
		printf 'server:\n    listen: %s@%s\n    rundir: "%s"\n    udp-workers: 1\n' $ADDR $1 "$T/knot$1"
		printf '    tcp-workers: 1\n    background-workers: 1\n'
		printf 'log:\n  - target: stderr\n    any: warning\n'
		printf 'database:\n    storage: "%s"\n' "$T/knot$1"
		if [ -n "${3:-}" ]; then
			printf 'policy:\n  - id: os\n    algorithm: ed25519\n    single-type-signing: on\n'
			printf 'mod-onlinesign:\n  - id: os\n    policy: os\n'
		fi
		printf 'zone:\n  - domain: %s\n    file: "%s"\n    storage: "%s"\n' $ZONE "$2" "$T/knot$1"
		printf '    zonefile-sync: -1\n    journal-content: none\n'
		[ -n "${3:-}" ] && printf '    module: mod-onlinesign/os\n'
	} > "$T/knot$1.conf"
}
knot_conf $((PORT + 2)) "$T/signed.db"
knotd -c "$T/knot$((PORT + 2)).conf" > "$T/knot.log" 2>&1 &
KP=$!; PIDS+=($KP)
wait_answer $((PORT + 2)) || die "knotd does not answer"
KNOT_CACHED=$(perf $((PORT + 2)) "$T/cached.txt")
stop_pid $KP

knot_conf $((PORT + 3)) "$T/unsigned.db" onlinesign
knotd -c "$T/knot$((PORT + 3)).conf" > "$T/knot-os.log" 2>&1 &
KP=$!; PIDS+=($KP)
wait_answer $((PORT + 3)) || die "knotd (onlinesign) does not answer"
KNOT_FRESH=$(perf $((PORT + 3)) "$T/fresh.txt")
stop_pid $KP

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "dns.sh: $N device names (AAAA + DNSKEY), DO bit, ${SECS}s per run, one server worker each"
printf '%-34s %10s\n' "server / workload" "qps"
printf '%-34s %10s   (lost %s)\n' "signpostd cached answers" "$SP_CACHED" "${SP_CACHED_LOST:-?}"
printf '%-34s %10s\n' "nsd (pre-signed) cached" "$NSD_CACHED"
printf '%-34s %10s\n' "knot (pre-signed) cached" "$KNOT_CACHED"
printf '%-34s %10s   (lost %s)\n' "signpostd fresh denials" "$SP_FRESH" "${SP_FRESH_LOST:-?}"
printf '%-34s %10s\n' "knot onlinesign fresh denials" "$KNOT_FRESH"
echo "ratios: signpostd/nsd $(ratio $SP_CACHED $NSD_CACHED), signpostd/knot $(ratio $SP_CACHED $KNOT_CACHED)," \
	"fresh signpostd/knot-onlinesign $(ratio $SP_FRESH $KNOT_FRESH)"
