#!/bin/bash
# test_nsupdate.sh - RFC 2136 UPDATE with TSIG against the real nsupdate
# (issue 3): `nsupdate -k DIR/tsig.key` adds and deletes records, the change
# is served signed at once with a higher serial (and validates with delv);
# a wrong secret gets BADSIG, an unknown key BADKEY, no key REFUSED, and a
# stale timestamp BADTIME (crafted by tsigmsg.py, which nsupdate cannot do).
# Loopback only: a random 127.x.y.z address.  Usage: test_nsupdate.sh BUILD_DIR
set -u
source "$(dirname "$0")/../lib/harness.sh" nsupd "${1:-}"
TSIGMSG=$(cd "$HERE" && ls "$HERE/tsigmsg.py" "$HERE/../tsigmsg.py" 2>/dev/null | head -n1)
ZONE=alice.example.

need dig delv nsupdate $PY
[ -n "$TSIGMSG" ] || fail "tsigmsg.py not found next to this script"

ADDR=$(rnd127)
PORT=$(rndport)
D=$T/sp
CONF=$D/signpost.conf
"$B/signpost" init signpost --zone $ZONE --dir "$D" --address $ADDR --dns-port $PORT \
	> "$T/init.log" 2>&1 || fail "signpost init signpost: $(cat "$T/init.log")"
# The test's own queries must not be rate limited.
sed -i 's/^\[dns\]$/[dns]\nrrl-rate = 0/' "$CONF"

q() { dig @$ADDR -p $PORT +time=2 +tries=1 +norec "$@"; }

"$B/signpostd" -c "$CONF" > "$T/signpostd.log" 2>&1 &
SPD=$!
PIDS+=($SPD)
for _ in $(seq 1 100); do
	q $ZONE SOA 2>/dev/null | grep -q 'status: NOERROR' && break
	kill -0 $SPD 2>/dev/null || fail "signpostd exited"
	sleep 0.1
done
q $ZONE SOA | grep -q 'status: NOERROR' || fail "signpostd does not answer on $ADDR:$PORT"
pass "signpostd answers on $ADDR:$PORT"

serial() { q +short $ZONE SOA | awk '{print $3}'; }
S0=$(serial)
[ -n "$S0" ] || fail "no SOA serial"

nsup() { # nsup KEYFILE-or-"" COMMANDS...: one nsupdate run, output in $T/nsupdate.out
	local key=$1
	shift
	{
		echo "server $ADDR $PORT"
		echo "zone $ZONE"
		printf '%s\n' "$@"
		echo "send"
	} > "$T/nsupdate.in"
	if [ -n "$key" ]; then
		timeout 20 nsupdate -t 5 -k "$key" "$T/nsupdate.in" > "$T/nsupdate.out" 2>&1
	else
		timeout 20 nsupdate -t 5 "$T/nsupdate.in" > "$T/nsupdate.out" 2>&1
	fi
}

# --- add: visible and signed at once, serial higher, validates ---
nsup "$D/tsig.key" "update add laptop.$ZONE 300 AAAA fd00::1" \
	"update add laptop.$ZONE 300 TXT \"hello\"" ||
	fail "nsupdate add: $(cat "$T/nsupdate.out")"
out=$(q +dnssec laptop.$ZONE AAAA)
echo "$out" | grep -qE "laptop\.$ZONE.*IN[[:space:]]+AAAA[[:space:]]+fd00::1" || fail "AAAA not served: $out"
echo "$out" | grep -qE 'RRSIG[[:space:]]+AAAA' || fail "AAAA not signed: $out"
S1=$(serial)
[ "$S1" -gt "$S0" ] 2>/dev/null || fail "serial did not grow: $S0 -> $S1"
q +dnssec $ZONE SOA | grep -qE 'RRSIG[[:space:]]+SOA' || fail "SOA not signed"
pass "nsupdate add: AAAA served with RRSIG, serial $S0 -> $S1"

# delv with the zone's KSK as the trust anchor: the new record validates.
KSK=$(q +short $ZONE DNSKEY | awk '$1 == 257')
[ -n "$KSK" ] || fail "no KSK in the DNSKEY RRset"
set -- $KSK
printf 'trust-anchors {\n\t%s static-key %s %s %s "%s";\n};\n' "$ZONE" "$1" "$2" "$3" \
	"$(echo "$KSK" | cut -d' ' -f4- | tr -d ' ')" > "$T/anchors"
out=$(delv @$ADDR -p $PORT -a "$T/anchors" +root=$ZONE laptop.$ZONE AAAA 2>&1)
echo "$out" | grep -q 'fully validated' || fail "delv: $out"
pass "delv: the added AAAA is fully validated"

# --- delete one RRset, then the rest of the name ---
nsup "$D/tsig.key" "update delete laptop.$ZONE AAAA" || fail "nsupdate delete: $(cat "$T/nsupdate.out")"
out=$(q laptop.$ZONE AAAA)
echo "$out" | grep -qE 'IN[[:space:]]+AAAA[[:space:]]+fd00' && fail "AAAA still served: $out"
q +short laptop.$ZONE TXT | grep -q hello || fail "TXT lost with the AAAA"
S2=$(serial)
[ "$S2" -gt "$S1" ] 2>/dev/null || fail "serial did not grow on delete: $S1 -> $S2"
nsup "$D/tsig.key" "update delete laptop.$ZONE" || fail "nsupdate delete name"
q laptop.$ZONE TXT | grep -q hello && fail "TXT still served after deleting the name"
out=$(delv @$ADDR -p $PORT -a "$T/anchors" +root=$ZONE laptop.$ZONE AAAA 2>&1)
echo "$out" | grep -q 'fully validated' || fail "delv on the deleted name: $out"
pass "nsupdate delete: gone at once, serial $S1 -> $S2, denial validates"

# --- refusals ---
SECRET=$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$D/tsig.key")
KEYNAME=$(sed -n 's/^key "\(.*\)".*/\1/p' "$D/tsig.key")
WRONG=$(head -c 32 /dev/urandom | base64)
printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$KEYNAME" "$WRONG" > "$T/wrong.key"
printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "other.key." "$SECRET" > "$T/other.key"
chmod 600 "$T/wrong.key" "$T/other.key"
S3=$(serial)

nsup "$T/wrong.key" "update add evil.$ZONE 300 A 192.0.2.66" && fail "wrong secret accepted"
grep -qiE 'BADSIG|tsig verify failure' "$T/nsupdate.out" || fail "wrong secret: no BADSIG: $(cat "$T/nsupdate.out")"
# The same, crafted: the BADSIG answer carries an empty MAC (RFC 8945 5.2.2: unsigned).
out=$($PY "$TSIGMSG" update "$D/tsig.key" $ZONE "evil.$ZONE 300 IN A 192.0.2.66" \
	--secret "$WRONG" --server $ADDR --port $PORT 2>&1)
[ "$out" = "rcode=NOTAUTH tsig=BADSIG signed=no" ] || fail "wrong secret, crafted: $out"
pass "wrong secret refused: $(grep -i 'BADSIG' "$T/nsupdate.out" | head -n1); unsigned BADSIG"

nsup "$T/other.key" "update add evil.$ZONE 300 A 192.0.2.66" && fail "unknown key accepted"
grep -qiE 'BADKEY' "$T/nsupdate.out" || fail "unknown key: no BADKEY: $(cat "$T/nsupdate.out")"
pass "unknown key refused: $(grep -i 'BADKEY' "$T/nsupdate.out" | head -n1)"

nsup "" "update add evil.$ZONE 300 A 192.0.2.66" && fail "unsigned UPDATE accepted"
grep -q 'REFUSED' "$T/nsupdate.out" || fail "unsigned: not REFUSED: $(cat "$T/nsupdate.out")"
pass "unsigned UPDATE refused"

# A correct MAC over a Time Signed an hour ago: BADTIME (and signed, per RFC 8945 5.2.3).
out=$($PY "$TSIGMSG" update "$D/tsig.key" $ZONE "evil.$ZONE 300 IN A 192.0.2.66" \
	--time $(( $(date +%s) - 3600 )) --server $ADDR --port $PORT 2>&1)
[ "$out" = "rcode=NOTAUTH tsig=BADTIME signed=yes" ] || fail "stale timestamp: $out"
# The same request at the right time is accepted: BADTIME was about the clock only.
out=$($PY "$TSIGMSG" update "$D/tsig.key" $ZONE "fresh.$ZONE 300 IN A 192.0.2.67" \
	--server $ADDR --port $PORT 2>&1)
[ "$out" = "rcode=NOERROR tsig=NOERROR signed=yes" ] || fail "fresh crafted update: $out"
q +short fresh.$ZONE A | grep -q 192.0.2.67 || fail "crafted update not applied"
pass "stale timestamp refused with BADTIME; fresh one applied"

q evil.$ZONE A | grep -q 192.0.2.66 && fail "a refused UPDATE changed the zone"
pass "no refused UPDATE changed the zone"

kill $SPD
wait $SPD
forget $SPD
rc=$?
SPD=
[ $rc -eq 0 ] || fail "signpostd exit status $rc on SIGTERM"
pass "signpostd exits 0"
echo "PASS"
