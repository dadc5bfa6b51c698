#!/bin/bash
# test_malformed.sh - signpostd under malformed and hostile packets (issue 3).
#
# Starts signpostd (from BUILD_DIR, which in CI is also the sanitizer build)
# on a random loopback address with a small tcp-clients and idle timeout, and
# lets malformed.py send a few thousand bad packets over UDP and TCP (bad
# headers, labels, compression pointers, counts, OPT records, EDNS versions,
# opcodes, QR=1 answers that must be dropped, TCP frames that end early,
# slow clients beyond tcp-clients, idle connections), checking each answer.
# Then the daemon must still answer a normal query correctly, `signpost
# status` must work, and SIGTERM must make it exit 0 with no sanitizer report
# (ASan's leak check makes the exit status non-zero; UBSan only prints).
# Loopback only; everything started here is stopped by PID on exit.
# Usage: test_malformed.sh BUILD_DIR
set -u
source "$(dirname "$0")/../lib/harness.sh" dnsmal "${1:-}"
ZONE=mal.example.
TCP_CLIENTS=8
TCP_IDLE=5

need dig

# Sanitizer builds: leaks are errors (non-zero exit), and every report is logged.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1"

ADDR=$(rnd127)
PORT=$(rndport)   # below the ephemeral range (32768-)
D=$T/sp
CONF=$D/signpost.conf

"$B/signpost" init signpost --zone $ZONE --dir "$D" --address $ADDR --dns-port $PORT \
	> "$T/init.log" 2>&1 || fail "signpost init signpost"
# RRL off, so that every answer the server chooses to give can be checked;
# few TCP slots and a short idle timeout, so that the limits are reached.
sed -i "s/^\\[dns\\]\$/[dns]\\nrrl-rate = 0\\ntcp-clients = $TCP_CLIENTS\\ntcp-idle-timeout = $TCP_IDLE/" \
	"$CONF"
grep -q "^tcp-clients = $TCP_CLIENTS" "$CONF" || fail "cannot set the [dns] options in $CONF"

q() { dig @$ADDR -p $PORT +time=2 +tries=2 +norec "$@"; }

"$B/signpostd" -c "$CONF" > "$T/signpostd.log" 2>&1 &
SPD=$!
PIDS+=("$SPD")
up=0
for ((i = 0; i < 150; i++)); do
	kill -0 $SPD 2>/dev/null || break
	dig @$ADDR -p $PORT +time=1 +tries=1 +norec $ZONE SOA 2>/dev/null | grep -q 'status: ' &&
		{ up=1; break; }
	sleep 0.1
done
[ $up = 1 ] || fail "signpostd does not answer on $ADDR:$PORT"
pass "signpostd answers on $ADDR:$PORT"

"$B/signpost" -c "$CONF" zone add dev.$ZONE AAAA fd00:1:2:3::42 > "$T/zone.log" 2>&1 ||
	fail "zone add"
q +dnssec dev.$ZONE AAAA | grep -qE "^dev\\.$ZONE.*AAAA.*fd00:1:2:3::42" || fail "added AAAA not served"

SEED=${SEED:-$RANDOM}
echo "malformed.py seed $SEED (rerun with SEED=$SEED)"
timeout 300 $PY "$HERE/malformed.py" $ADDR $PORT $ZONE $TCP_CLIENTS $TCP_IDLE $SEED \
	> "$T/malformed.log" 2>&1
rc=$?
cat "$T/malformed.log"
kill -0 $SPD 2>/dev/null || fail "signpostd died under malformed packets"
[ $rc = 0 ] || fail "malformed.py found problems (exit $rc)"
pass "malformed and hostile packets handled"

# --- still healthy: correct answers, status, clean exit ---
out=$(q +dnssec dev.$ZONE AAAA)
echo "$out" | grep -q 'status: NOERROR' || fail "AAAA after the flood: $out"
echo "$out" | grep -q 'flags: qr aa' || fail "AAAA after the flood without AA: $out"
echo "$out" | grep -qE "^dev\\.$ZONE.*AAAA.*fd00:1:2:3::42" || fail "AAAA after the flood: $out"
echo "$out" | grep -qE "^dev\\.$ZONE.*RRSIG.*AAAA 15 " || fail "AAAA after the flood unsigned: $out"
out=$(q +tcp nosuch.$ZONE AAAA)
echo "$out" | grep -qE 'status: (NXDOMAIN|NOERROR)' || fail "missing name over TCP: $out"
echo "$out" | grep -qE "^$ZONE.*SOA" || fail "denial over TCP without SOA: $out"
pass "normal queries are answered correctly after the flood (UDP and TCP)"

"$B/signpost" -c "$CONF" status > "$T/status.log" 2>&1 || fail "signpost status"
grep -q "${ZONE%.}" "$T/status.log" || fail "status does not name the zone"
grep -qE '^ *state: serving' "$T/status.log" || fail "status: DNS plane not serving"
# The counters, where status shows them: the flood arrived, the extras were refused.
counter() { awk -v k="$1:" '$1 == k { print $2; exit }' "$T/status.log"; }
n=$(counter queries-udp)
[ -z "$n" ] || [ "$n" -ge 2500 ] || fail "status: only $n UDP queries counted"
n=$(counter tcp-refused)
[ -z "$n" ] || [ "$n" -ge $((6 * TCP_CLIENTS)) ] || fail "status: tcp-refused $n"
pass "signpost status works ($(counter queries-udp) UDP queries, $(counter tcp-refused) TCP refused)"

kill -TERM $SPD
rc=
for ((i = 0; i < 300; i++)); do
	kill -0 $SPD 2>/dev/null || { wait $SPD; rc=$?; break; }
	sleep 0.1
done
[ -n "$rc" ] || fail "signpostd still running 30 s after SIGTERM"
PIDS=()
grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/signpostd.log" &&
	fail "sanitizer report in signpostd's output"
[ "$rc" = 0 ] || fail "signpostd exited $rc after SIGTERM"
pass "SIGTERM: exit 0, no sanitizer report"
echo "PASS"
