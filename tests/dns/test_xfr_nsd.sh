#!/bin/bash
# test_xfr_nsd.sh - the signpost as hidden primary of a real NSD secondary
# (issue 3): NSD (own config, temp dir, no chroot) transfers the zone with
# TSIG, follows an nsupdate change through NOTIFY and IXFR, and serves
# answers that validate (delv, positive and negative); `ldns-verify-zone`
# passes on `dig AXFR` output; transfers are refused to others.
# Loopback only.  Usage: test_xfr_nsd.sh BUILD_DIR
set -u
source "$(dirname "$0")/../lib/harness.sh" xfrnsd "${1:-}"
HARNESS_LOGS=("$T/nsd/nsd.log")
ZONE=alice.example.

NSD=$(command -v nsd || echo /usr/sbin/nsd)
need dig delv nsupdate ldns-verify-zone $NSD

# Loopback addresses of our own (other tests on this machine use 127.0.0.1):
# signpostd on ADDR, NSD on SEC, which also sends its transfer queries from SEC.
ADDR=$(rnd127)
SEC=$(rnd127)
while [ "$SEC" = "$ADDR" ]; do SEC=$(rnd127); done
PORT=$(rndport)
NSDPORT=$((PORT + 1))
D=$T/sp
CONF=$D/signpost.conf
"$B/signpost" init signpost --zone $ZONE --dir "$D" --address $ADDR --dns-port $PORT \
	> "$T/init.log" 2>&1 || fail "signpost init signpost: $(cat "$T/init.log")"
sed -i 's/^\[dns\]$/[dns]\nrrl-rate = 0/' "$CONF"
printf '\n[secondary]\naddress = %s\nport = %s\nnotify = yes\n' $SEC $NSDPORT >> "$CONF"
"$B/signpostd" --check -c "$CONF" > "$T/check.log" 2>&1 || fail "config: $(cat "$T/check.log")"

"$B/signpostd" -c "$CONF" > "$T/signpostd.log" 2>&1 &
SPD=$!
PIDS+=($SPD)

q() { # q PORT ARGS...: PORT is signpostd's ($ADDR) or NSD's ($SEC)
	local a=$ADDR
	[ "$1" = "$NSDPORT" ] && a=$SEC
	dig @$a -p "$1" +time=2 +tries=1 +norec "${@:2}"
}
for _ in $(seq 1 100); do
	q $PORT $ZONE SOA 2>/dev/null | grep -q 'status: NOERROR' && break
	kill -0 $SPD 2>/dev/null || fail "signpostd exited"
	sleep 0.1
done
q $PORT $ZONE SOA | grep -q 'status: NOERROR' || fail "signpostd does not answer"
pass "signpostd answers on $ADDR:$PORT"

# --- NSD as secondary: own config, everything in $T/nsd ---
KEYNAME=$(sed -n 's/^key "\(.*\)".*/\1/p' "$D/tsig.key")
SECRET=$(sed -n 's/.*secret "\(.*\)".*/\1/p' "$D/tsig.key")
mkdir -p "$T/nsd"
cat > "$T/nsd/nsd.conf" <<NSDCONF
server:
	ip-address: $SEC@$NSDPORT
	port: $NSDPORT
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$T/nsd"
	database: ""
	pidfile: "$T/nsd/nsd.pid"
	xfrdfile: "$T/nsd/xfrd.state"
	xfrdir: "$T/nsd"
	zonelistfile: "$T/nsd/zone.list"
	logfile: "$T/nsd/nsd.log"
	server-count: 1
	verbosity: 2
remote-control:
	control-enable: no
key:
	name: "$KEYNAME"
	algorithm: hmac-sha256
	secret: "$SECRET"
zone:
	name: "$ZONE"
	zonefile: "alice.example.zone"
	# signpostd sends NOTIFY from its [dns] listen address
	allow-notify: $ADDR $KEYNAME
	request-xfr: $ADDR@$PORT $KEYNAME
	outgoing-interface: $SEC
NSDCONF
nsd-checkconf "$T/nsd/nsd.conf" > "$T/nsd-checkconf.log" 2>&1 || fail "nsd.conf: $(cat "$T/nsd-checkconf.log")"
$NSD -d -c "$T/nsd/nsd.conf" > "$T/nsd.log" 2>&1 &
NSDPID=$!
PIDS+=($NSDPID)

serial_at() { q "$1" +short $ZONE SOA 2>/dev/null | awk '{print $3}'; }
wait_serial() { # wait_serial PORT SERIAL SECONDS: until the server there has SERIAL
	local end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -le $end ]; do
		[ "$(serial_at "$1")" = "$2" ] && return 0
		kill -0 $NSDPID 2>/dev/null || fail "nsd exited"
		sleep 0.2
	done
	return 1
}

S0=$(serial_at $PORT)
wait_serial $NSDPORT "$S0" 30 || fail "NSD did not load serial $S0 (has '$(serial_at $NSDPORT)')"
pass "NSD transferred the zone (serial $S0)"

# --- a change reaches NSD through NOTIFY (refresh is an hour: only NOTIFY can do it) ---
{
	echo "server $ADDR $PORT"
	echo "zone $ZONE"
	echo "update add nas.$ZONE 300 AAAA fd00::42"
	echo "update add nas.$ZONE 300 TXT \"a device\""
	echo "update add nas.$ZONE 300 KEY 512 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="
	echo "send"
} > "$T/nsupdate.in"
timeout 20 nsupdate -t 5 -k "$D/tsig.key" "$T/nsupdate.in" > "$T/nsupdate.log" 2>&1 ||
	fail "nsupdate: $(cat "$T/nsupdate.log")"
S1=$(serial_at $PORT)
[ "$S1" != "$S0" ] || fail "serial did not change"
wait_serial $NSDPORT "$S1" 30 || fail "NSD did not follow to $S1 (has '$(serial_at $NSDPORT)')"
q $NSDPORT +short nas.$ZONE AAAA | grep -q 'fd00::42' || fail "NSD does not serve the new AAAA"
grep -q "IXFR to $SEC.*: IXFR of" "$T/signpostd.log" || fail "NSD did not get an incremental transfer"
pass "NSD followed through NOTIFY and IXFR to serial $S1"

# A second change, to see IXFR chain across more than one journal entry.
sed -i 's/nas\./phone./; s/fd00::42/fd00::43/; s/a device/another/' "$T/nsupdate.in"
timeout 20 nsupdate -t 5 -k "$D/tsig.key" "$T/nsupdate.in" > "$T/nsupdate.log" 2>&1 ||
	fail "nsupdate 2: $(cat "$T/nsupdate.log")"
S2=$(serial_at $PORT)
wait_serial $NSDPORT "$S2" 30 || fail "NSD did not follow to $S2"
pass "NSD followed a second change to $S2"
grep -q 'NOTIFY to .*no answer' "$T/signpostd.log" && fail "a NOTIFY went unanswered"

# IXFR over UDP: the single current SOA (RFC 1995 2), signed like any transfer answer.
out=$(dig -b $SEC -k "$D/tsig.key" @$ADDR -p $PORT +notcp +time=2 +tries=1 $ZONE IXFR=$S0 2>&1)
[ "$(echo "$out" | grep -cE 'IN[[:space:]]+SOA')" = 1 ] || fail "UDP IXFR: $out"
echo "$out" | grep -qE "SOA.* $S2 " || fail "UDP IXFR: not the current SOA: $out"
echo "$out" | grep -q 'tsig verify failure\|Transfer failed' && fail "UDP IXFR: $out"
pass "IXFR over UDP answers with the current SOA"

# --- NSD's answers validate with the zone's KSK as anchor ---
KSK=$(q $PORT +short $ZONE DNSKEY | awk '$1 == 257')
[ -n "$KSK" ] || fail "no KSK"
set -- $KSK
printf 'trust-anchors {\n\t%s static-key %s %s %s "%s";\n};\n' "$ZONE" "$1" "$2" "$3" \
	"$(echo "$KSK" | cut -d' ' -f4- | tr -d ' ')" > "$T/anchors"
dv() { delv @$SEC -p $NSDPORT -a "$T/anchors" +root=$ZONE "$@" 2>&1; }
out=$(dv nas.$ZONE AAAA)
echo "$out" | grep -q 'fully validated' || fail "delv AAAA via NSD: $out"
out=$(dv $ZONE DNSKEY)
echo "$out" | grep -q 'fully validated' || fail "delv DNSKEY via NSD: $out"
# A device's KEY (host key), the signpost's own KEY and its _signpost._udp SRV.
for qq in "nas.$ZONE KEY" "phone.$ZONE KEY" "ns.$ZONE KEY" "_signpost._udp.$ZONE SRV"; do
	out=$(dv $qq)
	echo "$out" | grep -q '; fully validated' || fail "delv $qq via NSD: $out"
	echo "$out" | grep -qE "IN[[:space:]]+${qq##* }[[:space:]]" || fail "delv $qq via NSD: no record: $out"
done
out=$(dv nosuchname.$ZONE AAAA)
echo "$out" | grep -q 'fully validated' || fail "delv NXDOMAIN via NSD: $out"
echo "$out" | grep -qi 'negative\|NXDOMAIN' || fail "delv NXDOMAIN via NSD not negative: $out"
out=$(dv nas.$ZONE MX)
echo "$out" | grep -q 'fully validated' || fail "delv NODATA via NSD: $out"
pass "NSD's answers validate: AAAA, DNSKEY, device and signpost KEY, SRV, NXDOMAIN, NODATA"

# --- the AXFR itself is a complete, valid zone ---
dig -b $SEC -k "$D/tsig.key" @$ADDR -p $PORT +onesoa +nocmd +nostats +nocomments $ZONE AXFR \
	> "$T/axfr.zone" 2>&1 || fail "dig AXFR: $(tail -n 3 "$T/axfr.zone")"
grep -q 'Transfer failed' "$T/axfr.zone" && fail "dig AXFR: $(cat "$T/axfr.zone")"
# dig prints the TSIG RR of the answer too: it is not zone data.
grep -v '^;' "$T/axfr.zone" | awk '$4 != "TSIG"' > "$T/axfr.clean"
[ "$(grep -c 'IN[[:space:]]SOA' "$T/axfr.clean")" = 1 ] || fail "AXFR: expected one SOA with +onesoa"
for t in KEY SRV; do
	grep -qE "IN[[:space:]]+RRSIG[[:space:]]+$t[[:space:]]+15 " "$T/axfr.clean" || fail "AXFR: no signed $t RRset"
done
[ "$(awk '$4 == "DNSKEY" && $1 != "'$ZONE'"' "$T/axfr.clean" | wc -l)" = 0 ] || fail "AXFR: a DNSKEY below the apex"
ldns-verify-zone "$T/axfr.clean" > "$T/verify.log" 2>&1 ||
	fail "ldns-verify-zone: $(cat "$T/verify.log"; cat -n "$T/axfr.clean" | tail -n 30)"
pass "ldns-verify-zone passes on dig AXFR ($(grep -c . "$T/axfr.clean") RRs)"

# --- transfers are refused without the key, and from addresses not listed ---
out=$(dig -b $SEC @$ADDR -p $PORT +time=2 +tries=1 $ZONE AXFR 2>&1)
echo "$out" | grep -q 'Transfer failed' || fail "AXFR without TSIG not refused: $out"
out=$(dig -b 127.0.0.2 -k "$D/tsig.key" @$ADDR -p $PORT +time=2 +tries=1 $ZONE AXFR 2>&1)
echo "$out" | grep -q 'Transfer failed' || fail "AXFR from 127.0.0.2 not refused: $out"
pass "AXFR refused without TSIG and from an unlisted address"

kill $SPD
wait $SPD
forget $SPD
rc=$?
[ $rc -eq 0 ] || fail "signpostd exit status $rc on SIGTERM"
pass "signpostd exits 0"
echo "PASS"
