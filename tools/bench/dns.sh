#!/bin/bash
# dns.sh - authoritative DNS throughput: signpostd vs NSD vs Knot DNS (issue 3).
#
# One zone of 1,000 device names (each an AAAA and a KEY 512 3 15, a host key,
# as devices are published), signed, served on a random loopback address by
# signpostd, NSD, Knot and Knot with mod-onlinesign, each with one worker (the
# machine has two cores: one for the server, one for dnsperf).  All four run
# at once, but only one is driven at a time, by dnsperf (DO bit, one thread,
# 8 clients) for the same SECONDS each; ROUNDS rounds (default 3) of all the
# workloads, and the best rate of each is compared (the machine is shared):
#   cached: AAAA queries for the existing names.  signpostd answers from its
#           signature and answer caches; NSD and Knot serve the same content
#           pre-signed offline with ldns-signzone (their own keys, NSEC).
#   fresh:  AAAA queries for random names that do not exist, so that every
#           denial needs a signature made at query time: signpostd's compact
#           denial against Knot's mod-onlinesign (Ed25519) on the unsigned zone.
# signpostd runs with rrl-rate = 0 (RRL off) and denial-sign-rate at its
# maximum, so that neither limit caps the figures; the output says so.
# Prints queries per second for each and the ratios.
#
# Then the CPU each server spends per answer at fixed rates (RATES, default
# 20000 60000 120000 queries per second, cached workload, dnsperf -Q): the
# server's utime + stime from /proc/PID/stat (all its threads and child
# processes: NSD answers from a child) before and after a run of SECONDS at
# that rate, divided by the answers dnsperf received.  The best (lowest) of
# ROUNDS rounds counts; printed in microseconds per answer with the
# signpostd/knot ratio at each rate.  At the highest rates the load generator
# may fall short of RATE: the answers actually received are what divide.
# BASE_BUILD=DIR also runs the signpostd of that build (same zone, its own
# port) beside the first, for before/after figures from the same run.
# CALLGRIND=1 then counts signpostd's own instructions per cached answer
# (valgrind --tool=callgrind, userland only, at 2,000 qps for SECONDS): a
# figure that does not move with the machine's load, unlike CPU time.
# Usage: [ROUNDS=n] [RATES="r1 r2 .."] [BASE_BUILD=dir] [CALLGRIND=1] tools/bench/dns.sh [BUILD_DIR [SECONDS]]
#        (defaults: build, 10; about (5 + 3 * number of rates) * SECONDS * ROUNDS seconds,
#        (7 + 4 * rates) * SECONDS * ROUNDS with BASE_BUILD)
set -u
B=$(cd "${1:-build}" && pwd) || exit 1
SECS=${2:-10}
ROUNDS=${ROUNDS:-3}
case "$SECS$ROUNDS" in *[!0-9]* | '') echo "dns.sh: SECONDS and ROUNDS must be numbers" >&2; exit 2 ;; esac
[ "$SECS" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 10 ] ||
	{ echo "dns.sh: SECONDS >= 1, ROUNDS 1..10" >&2; exit 2; }
RATES=${RATES:-20000 60000 120000}
for r in $RATES; do
	case "$r" in *[!0-9]* | '' | 0) echo "dns.sh: RATES must be positive numbers" >&2; exit 2 ;; esac
done
BASE=
if [ -n "${BASE_BUILD:-}" ]; then
	BASE=$(cd "$BASE_BUILD" && pwd) || exit 1
	[ -x "$BASE/signpostd" ] || { echo "dns.sh: no signpostd in $BASE" >&2; exit 2; }
fi
ZONE=bench.example.
N=1000
FRESH_NAMES=$((SECS * 50000))   # per round: more than a server answers in SECS, no name repeats
DENIAL_RATE=1000000     # the largest dns.denial-sign-rate the schema allows
T=$(mktemp -d /tmp/sp-dnsbench.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
die() {
	echo "dns.sh: $*" >&2
	for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 8 "$f" >&2; }; done
	exit 1
}
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3) || die "python3 is not installed"
for tool in dnsperf nsd knotd ldns-keygen ldns-signzone dig; do
	command -v $tool >/dev/null || die "$tool is not installed"
done
[ -x "$B/signpostd" ] && [ -x "$B/signpost" ] || die "build signpostd and signpost in $B first"

# A loopback address of our own and four ports on it: signpostd, NSD, Knot, Knot onlinesign.
ADDR=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
PORT=$((RANDOM % 12000 + 20000))   # below the ephemeral range (32768-)
P_SP=$PORT P_NSD=$((PORT + 1)) P_KNOT=$((PORT + 2)) P_KOS=$((PORT + 3)) P_BASE=$((PORT + 4))

# wait_answer PORT [DEADLINE]: poll (20 s deadline) until the server there answers the zone's SOA.
wait_answer() {
	local end=$((SECONDS + ${2:-20})) i
	for ((i = 0; i < 20 * ${2:-20} && SECONDS < end; i++)); do
		dig @$ADDR -p "$1" +time=1 +tries=1 +norec $ZONE SOA 2>/dev/null |
			grep -q 'status: NOERROR' && return 0
		sleep 0.05
	done
	return 1
}
# Servers on the last core, dnsperf on the first (when taskset is there and
# there are two cores or more): less scheduler noise between the two sides.
PIN_SRV=() PIN_PERF=()
NCPU=$(nproc 2>/dev/null || echo 1)
if command -v taskset >/dev/null && [ "$NCPU" -ge 2 ]; then
	PIN_SRV=(taskset -c $((NCPU - 1))) PIN_PERF=(taskset -c 0)
fi
# start NAME CMD...: start a server in the background, record its PID.
start() {
	local name=$1
	shift
	"${PIN_SRV[@]}" "$@" > "$T/$name.log" 2>&1 &
	LAST=$!
	PIDS+=("$LAST")
}

# check PORT NAME TYPE PATTERN WHAT: one signed answer must look right before we time it.
check() {
	local out
	out=$(dig @$ADDR -p "$1" +time=2 +tries=1 +norec +dnssec "$2" "$3" 2>&1)
	echo "$out" | grep -qE "$4" || { echo "$out" >&2; die "$5: unexpected answer to $2 $3"; }
}
check_cached() { check "$1" dev7.$ZONE AAAA "RRSIG[[:space:]]+AAAA 15 " "$2"; }
check_fresh() { check "$1" nx-check.$ZONE AAAA "RRSIG[[:space:]]+NSEC 15 " "$2"; }

# perf TAG PORT FILE: one dnsperf run; sets QPS, and NOTE (completion, rcodes).
perf() {
	local o="$T/perf-$1.txt"
	"${PIN_PERF[@]}" dnsperf -s $ADDR -p "$2" -d "$3" -D -l "$SECS" -T 1 -c 8 -q 200 -t 2 > "$o" 2>&1 ||
		{ cat "$o" >&2; die "dnsperf against $1 failed"; }
	QPS=$(awk '/Queries per second/ { printf "%d", $4 }' "$o")
	NOTE="$(awk '/Queries completed/ { print "completed " $4 }' "$o" | tr -d '()'),"
	NOTE="$NOTE $(awk -F': *' '/Response codes/ { print $2 }' "$o")"
	printf '  %-30s %9s qps  (%s)\n' "$1" "${QPS:-0}" "$NOTE"
}
# cpu_ticks PID: utime + stime (clock ticks) of PID's threads and of its
# child processes, alive ones read directly (a child's CPU reaches its
# parent's cutime only when it exits).
cpu_ticks() {
	local p=$1 st f kids k sum=0
	st=$(cat "/proc/$p/stat" 2>/dev/null) || { echo 0; return; }
	read -r -a f <<< "${st##*) }"   # the fields after "(comm) ": state is f[0]
	sum=$((f[11] + f[12]))
	kids=$(cat /proc/"$p"/task/*/children 2>/dev/null)
	for k in $kids; do sum=$((sum + $(cpu_ticks "$k"))); done
	echo $sum
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# at TAG PORT RATE PID: a cached run at RATE qps; sets US (server CPU
# microseconds per answer, n/a if none) and prints it.
at() {
	local o="$T/rate-$1-$3.txt" c0 c1 n
	c0=$(cpu_ticks "$4")
	"${PIN_PERF[@]}" dnsperf -s $ADDR -p "$2" -d "$T/cached.txt" -D -l "$SECS" -T 1 -c 8 \
		-q 200 -t 2 -Q "$3" > "$o" 2>&1 || { cat "$o" >&2; die "dnsperf -Q $3 against $1 failed"; }
	c1=$(cpu_ticks "$4")
	n=$(awk '/Queries completed/ { print $3 }' "$o")
	US=$(awk -v c=$((c1 - c0)) -v n="${n:-0}" -v hz="$HZ" \
		'BEGIN { if (n > 0) printf "%.2f", c * 1e6 / hz / n; else print "n/a" }')
	printf '  %-30s %7s qps asked %9s answers  %6s us/answer\n' "$1" "$3" "${n:-0}" "$US"
}
# low VAR: keep the lowest US in VAR (the machine is shared: the least disturbed run).
low() {
	[ "$US" = n/a ] && return 0
	if [ "${!1}" = n/a ] || awk -v a="$US" -v b="${!1}" 'BEGIN { exit !(a < b) }'; then
		printf -v "$1" '%s' "$US"
	fi
	return 0
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "n/a") printf "%.2f", a / b; else print "n/a" }'; }

# --- the zone (signpost init + 1,000 devices) and the query files ---
"$B/signpost" init signpost --zone $ZONE --dir "$T/sp" --address $ADDR --dns-port $P_SP \
	> "$T/init.log" 2>&1 || die "signpost init signpost"
sed -i "s/^\\[dns\\]\$/[dns]\\nrrl-rate = 0\\ndenial-sign-rate = $DENIAL_RATE/" "$T/sp/signpost.conf"
grep -q '^rrl-rate = 0' "$T/sp/signpost.conf" || die "cannot set rrl-rate in signpost.conf"
$PY - "$T" $N $ZONE $FRESH_NAMES "$ROUNDS" <<'PY' || die "generating the zone and query files"
import base64, os, random, sys
t, n, zone, nfresh, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with open(t + "/devices.db", "w") as f:
    for i in range(n):
        f.write("dev%d.%s 3600 IN AAAA fd00:1:2:3::%x\n" % (i, zone, i + 1))
        key = base64.b64encode(os.urandom(32)).decode()
        f.write("dev%d.%s 3600 IN KEY 512 3 15 %s\n" % (i, zone, key))
names = ["dev%d.%s AAAA\n" % (i, zone) for i in range(n)]
random.shuffle(names)
with open(t + "/cached.txt", "w") as f:
    f.writelines(names)
rnd = random.Random()
for r in range(1, rounds + 1):   # new names each round: no cached denial is reused
    with open(t + "/fresh%d.txt" % r, "w") as f:
        f.writelines("r%016x.%s AAAA\n" % (rnd.getrandbits(64), zone) for _ in range(nfresh))
PY
cat "$T/devices.db" >> "$T/sp/zone.db"
# NSD and Knot get the same content: pre-signed offline by ldns-signzone with
# Ed25519 keys of their own (NSD, Knot), or unsigned for Knot's onlinesign.
grep -v '^\$' "$T/sp/zone.db" > "$T/plain.db"
{ printf '$ORIGIN %s\n$TTL 3600\n' $ZONE; cat "$T/plain.db"; } > "$T/unsigned.db"
# ldns-signzone (1.8.3) takes any DNSKEY in the zone with the key tag of a
# signing key for that key; device keys are KEY records now, which it leaves
# alone, but the output is still checked (new keys if a record is unsigned).
signed=0
for ((attempt = 0; attempt < 5 && !signed; attempt++)); do
	(cd "$T" && rm -f K"$ZONE"* && KSK=$(ldns-keygen -a ED25519 -k $ZONE) &&
		ZSK=$(ldns-keygen -a ED25519 $ZONE) &&
		ldns-signzone -f signed.db unsigned.db "$ZSK" "$KSK") > "$T/ldns-signzone.log" 2>&1 ||
		die "ldns-signzone"
	[ "$(awk '$4 == "RRSIG" && $5 == "AAAA"' "$T/signed.db" | wc -l)" -eq $N ] &&
		[ "$(awk -v z=$ZONE '$1 == z && $4 == "DNSKEY"' "$T/signed.db" | wc -l)" -eq 2 ] && signed=1
done
[ $signed = 1 ] || die "ldns-signzone left records unsigned five times"

echo "dns.sh: zone $ZONE, $N device names (AAAA + KEY 512 3 15), signed with Ed25519 (alg 15)"
echo "dns.sh: dnsperf -D (DO bit) -T 1 -c 8 -q 200 -l $SECS, one workload at a time, one worker per server"
[ ${#PIN_SRV[@]} -gt 0 ] && echo "dns.sh: servers pinned to CPU $((NCPU - 1)) (every thread, after start), dnsperf to CPU 0 (taskset)"
echo "dns.sh: signpostd with rrl-rate = 0 (RRL off) and denial-sign-rate = $DENIAL_RATE (the maximum)"

# --- all four servers, started once: an idle server takes no CPU from the measured one ---
start signpostd "$B/signpostd" -c "$T/sp/signpost.conf"
SPD=$LAST
if [ -n "$BASE" ]; then
	cp -r "$T/sp" "$T/sp-base"
	sed -i "s/^port = $P_SP\$/port = $P_BASE/" "$T/sp-base/signpost.conf"
	grep -q "^port = $P_BASE\$" "$T/sp-base/signpost.conf" || die "cannot set the base port"
	start signpostd-base "$BASE/signpostd" -c "$T/sp-base/signpost.conf"
	SPB=$LAST
fi
cat > "$T/nsd.conf" <<NSDC
server:
	ip-address: $ADDR@$P_NSD
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
	logfile: "$T/nsd-file.log"
remote-control:
	control-enable: no
zone:
	name: $ZONE
	zonefile: "$T/signed.db"
NSDC
start nsd nsd -d -c "$T/nsd.conf"
NSDD=$LAST
knot_conf() { # knot_conf PORT ZONEFILE [onlinesign] > conf
	mkdir -p "$T/knot$1"
	printf 'server:\n    listen: %s@%s\n    rundir: "%s"\n' $ADDR "$1" "$T/knot$1"
	printf '    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n'
	printf 'log:\n  - target: stderr\n    any: warning\n'
	printf 'database:\n    storage: "%s"\n' "$T/knot$1"
	if [ -n "${3:-}" ]; then
		printf 'policy:\n  - id: os\n    algorithm: ed25519\n    single-type-signing: on\n'
		printf 'mod-onlinesign:\n  - id: os\n    policy: os\n'
	fi
	printf 'zone:\n  - domain: %s\n    file: "%s"\n    storage: "%s"\n' $ZONE "$2" "$T/knot$1"
	printf '    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n'
	[ -n "${3:-}" ] && printf '    module: mod-onlinesign/os\n'
	return 0
}
knot_conf $P_KNOT "$T/signed.db" > "$T/knot.conf"
start knot knotd -c "$T/knot.conf"
KNOTD=$LAST
knot_conf $P_KOS "$T/unsigned.db" onlinesign > "$T/knot-os.conf"
start knot-os knotd -c "$T/knot-os.conf"

wait_answer $P_SP || die "signpostd does not answer on $ADDR:$P_SP"
if [ -n "$BASE" ]; then
	wait_answer $P_BASE || die "base signpostd does not answer on $ADDR:$P_BASE"
	check_cached $P_BASE "base signpostd"
fi
wait_answer $P_NSD || die "nsd does not answer on $ADDR:$P_NSD"
wait_answer $P_KNOT || die "knotd does not answer on $ADDR:$P_KNOT"
wait_answer $P_KOS || die "knotd (onlinesign) does not answer on $ADDR:$P_KOS"
# Knot pins each UDP worker to a CPU of its own choosing (worker i on CPU i),
# which put Knot's one worker on dnsperf's CPU: same-CPU loopback costs less
# than the cross-CPU wakeups every other server pays.  Pin every thread of
# every server (and of their child processes) back to the servers' CPU.
repin() {
	local k
	taskset -a -p -c "$1" "$2" > /dev/null 2>&1 || die "cannot pin PID $2 to CPU $1"
	for k in $(cat /proc/"$2"/task/*/children 2>/dev/null); do repin "$1" "$k"; done
}
if [ ${#PIN_SRV[@]} -gt 0 ]; then
	for p in "${PIDS[@]}"; do repin $((NCPU - 1)) "$p"; done
fi
check_cached $P_SP signpostd
check_fresh $P_SP signpostd
check_cached $P_NSD nsd
check_cached $P_KNOT knot
check_cached $P_KOS "knot onlinesign"
check_fresh $P_KOS "knot onlinesign"

# --- ROUNDS rounds, one workload at a time; the best rate of each counts ---
SP_CACHED=0 NSD_CACHED=0 KNOT_CACHED=0 SP_FRESH=0 KOS_FRESH=0 BASE_CACHED=0 BASE_FRESH=0
for r in $RATES; do
	printf -v "US_SP_$r" n/a; printf -v "US_KNOT_$r" n/a
	printf -v "US_NSD_$r" n/a; printf -v "US_BASE_$r" n/a
done
best() { [ "${QPS:-0}" -gt "${!1}" ] && printf -v "$1" '%s' "$QPS"; return 0; }
for ((r = 1; r <= ROUNDS; r++)); do
	echo "round $r of $ROUNDS:"
	perf "signpostd cached" $P_SP "$T/cached.txt"; best SP_CACHED
	[ -n "$BASE" ] && { perf "base signpostd cached" $P_BASE "$T/cached.txt"; best BASE_CACHED; }
	perf "nsd cached (pre-signed)" $P_NSD "$T/cached.txt"; best NSD_CACHED
	perf "knot cached (pre-signed)" $P_KNOT "$T/cached.txt"; best KNOT_CACHED
	perf "signpostd fresh" $P_SP "$T/fresh$r.txt"; best SP_FRESH
	[ -n "$BASE" ] && { perf "base signpostd fresh" $P_BASE "$T/fresh$r.txt"; best BASE_FRESH; }
	perf "knot onlinesign fresh" $P_KOS "$T/fresh$r.txt"; best KOS_FRESH
	for q in $RATES; do
		at "signpostd" $P_SP "$q" "$SPD"; low "US_SP_$q"
		[ -n "$BASE" ] && { at "base signpostd" $P_BASE "$q" "$SPB"; low "US_BASE_$q"; }
		at "knot" $P_KNOT "$q" "$KNOTD"; low "US_KNOT_$q"
		at "nsd" $P_NSD "$q" "$NSDD"; low "US_NSD_$q"
	done
done
# signpostd's own counters: every fresh denial signed at query time, none rate-limited.
"$B/signpost" -c "$T/sp/signpost.conf" status > "$T/status.txt" 2>&1 &&
	printf 'signpostd status: %s\n' "$(awk '$1 ~ /^(answers-cached|answers-built|sigs-denial|denial-limited|rrl-dropped):$/ {
		printf "%s %s  ", $1, $2 }' "$T/status.txt")"
kill -0 "$SPD" 2>/dev/null || die "signpostd died during the benchmark"
[ -z "$BASE" ] || kill -0 "$SPB" 2>/dev/null || die "base signpostd died during the benchmark"

echo "best of $ROUNDS rounds, cached answers (AAAA of existing names), queries per second:"
printf '  signpostd %s   nsd %s   knot %s' "$SP_CACHED" "$NSD_CACHED" "$KNOT_CACHED"
[ -n "$BASE" ] && printf '   base signpostd %s' "$BASE_CACHED"
echo
echo "best of $ROUNDS rounds, fresh signatures (random missing names: a signed denial each), queries per second:"
printf '  signpostd %s   knot-onlinesign %s' "$SP_FRESH" "$KOS_FRESH"
[ -n "$BASE" ] && printf '   base signpostd %s' "$BASE_FRESH"
echo
echo "ratios: cached signpostd/nsd $(ratio "$SP_CACHED" "$NSD_CACHED")," \
	"signpostd/knot $(ratio "$SP_CACHED" "$KNOT_CACHED");" \
	"fresh signpostd/knot-onlinesign $(ratio "$SP_FRESH" "$KOS_FRESH")"
echo "best of $ROUNDS rounds, server CPU per cached answer at fixed rates (us/answer, utime+stime):"
printf '  %8s %10s %10s %10s %16s' rate signpostd knot nsd signpostd/knot
[ -n "$BASE" ] && printf ' %14s %14s' base-signpostd base/knot
echo
for q in $RATES; do
	sp=US_SP_$q kn=US_KNOT_$q ns=US_NSD_$q ba=US_BASE_$q
	printf '  %8s %10s %10s %10s %16s' "$q" "${!sp}" "${!kn}" "${!ns}" "$(ratio "${!sp}" "${!kn}")"
	[ -n "$BASE" ] && printf ' %14s %14s' "${!ba}" "$(ratio "${!ba}" "${!kn}")"
	echo
done

# --- CALLGRIND=1: instructions per cached answer, for each signpostd build ---
# cg_run TAG BUILD PORT: a copy of the zone on PORT under callgrind, warmed
# (every name answered once), then counted over SECONDS at 2,000 qps.
cg_run() {
	local d="$T/cg-$1" pid n ir
	cp -r "$T/sp" "$d"
	sed -i "s/^port = $P_SP\$/port = $3/" "$d/signpost.conf"
	"${PIN_SRV[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$d/cg.out" \
		"$2/signpostd" -c "$d/signpost.conf" > "$d/cg.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_answer "$3" 180 || die "signpostd under callgrind does not answer on port $3"
	dnsperf -s $ADDR -p "$3" -d "$T/cached.txt" -D -l 2 -T 1 -c 8 -q 50 -Q 2000 > /dev/null 2>&1
	callgrind_control -i on "$pid" > /dev/null || die "callgrind_control -i on"
	"${PIN_PERF[@]}" dnsperf -s $ADDR -p "$3" -d "$T/cached.txt" -D -l "$SECS" -T 1 -c 8 -q 200 \
		-t 5 -Q 2000 > "$d/perf.txt" 2>&1 || die "dnsperf against signpostd under callgrind"
	callgrind_control -i off "$pid" > /dev/null || die "callgrind_control -i off"
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	n=$(awk '/Queries completed/ { print $3 }' "$d/perf.txt")
	ir=$(awk '/Collected :/ { print $4 }' "$d/cg.log")
	printf '  %-16s %9s answers %12s instructions  %6s per answer\n' "$1" "${n:-0}" "${ir:-0}" \
		"$(awk -v i="${ir:-0}" -v n="${n:-0}" 'BEGIN { if (n > 0) printf "%d", i / n; else print "n/a" }')"
}
if [ "${CALLGRIND:-0}" = 1 ]; then
	command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
		die "valgrind (callgrind) is not installed"
	echo "signpostd instructions per cached answer (callgrind, userland, 2000 qps for $SECS s):"
	cg_run signpostd "$B" $((PORT + 5))
	[ -n "$BASE" ] && cg_run base-signpostd "$BASE" $((PORT + 6))
fi
