#!/bin/bash
# test_auth.sh - the authoritative signpost against real tools (issue 3):
# dig (AA, NXDOMAIN, NODATA, REFUSED, FORMERR, NOTIMP, TC and TCP fallback),
# `signpost zone add` signed at once with a higher serial, delv validating
# positive and negative answers (a device's KEY record, the signpost's own KEY,
# address and _signpost._udp SRV from `signpost init signpost`), unbound
# (stub zone, DS anchor) setting AD,
# a tampering proxy turning answers into SERVFAIL, RRL after SIGHUP, and a
# clean exit 0 on SIGTERM.  Loopback only: a random 127.x.y.z address.
# Usage: test_auth.sh BUILD_DIR
set -u
source "$(dirname "$0")/../lib/harness.sh" dnsauth "${1:-}"
ZONE=test.example.

need dig delv unbound $PY

# A loopback address of our own: nobody else's sockets collide with ours.
ADDR=$(rnd127)
PORT=$(rndport)
UB1=$((PORT + 1)); UB2=$((PORT + 2)); PROXY=$((PORT + 3))
D=$T/sp
CONF=$D/signpost.conf

"$B/signpost" init signpost --zone $ZONE --dir "$D" --address $ADDR --dns-port $PORT \
	> "$T/init.log" 2>&1 || fail "signpost init signpost"
# RRL would limit this test's own burst of queries; it is tested last, after a reload.
sed -i 's/^\[dns\]$/[dns]\nrrl-rate = 0/' "$CONF"
grep -q '^rrl-rate = 0' "$CONF" || fail "cannot set rrl-rate in $CONF"

q() { # q [dig options...]: one query to signpostd, bounded
	dig @$ADDR -p $PORT +time=2 +tries=1 +norec "$@"
}

wait_answer() { # wait_answer ADDR PORT NAME TYPE: poll until the server answers
	for _ in $(seq 1 100); do
		dig @"$1" -p "$2" +time=1 +tries=1 "$3" "$4" 2>/dev/null | grep -q 'status: ' && return 0
		sleep 0.1
	done
	return 1
}

"$B/signpostd" --check -c "$CONF" > "$T/check.log" 2>&1 || fail "signpostd --check: $(cat "$T/check.log")"
# Start; if the random address and port are taken after all, move to others.
for attempt in 1 2 3 4 5; do
	"$B/signpostd" -c "$CONF" > "$T/signpostd.log" 2>&1 &
	SPD=$!
	PIDS+=($SPD)
	wait_answer $ADDR $PORT $ZONE SOA && break
	kill -0 $SPD 2>/dev/null && fail "signpostd runs but does not answer on $ADDR:$PORT"
	grep -q 'in use' "$T/signpostd.log" || fail "signpostd did not start"
	[ $attempt -lt 5 ] || fail "no free address and port in 5 tries"
	ADDR=$(rnd127)
	PORT=$(rndport)
	UB1=$((PORT + 1)); UB2=$((PORT + 2)); PROXY=$((PORT + 3))
	sed -i "s/^listen = .*/listen = $ADDR/; s/^port = .*/port = $PORT/" "$CONF"
done
pass "signpostd answers on $ADDR:$PORT"

# --- plain DNS behaviour ---
out=$(q $ZONE SOA)
echo "$out" | grep -q 'status: NOERROR' || fail "SOA: $out"
echo "$out" | grep -q 'flags: qr aa' || fail "SOA without AA: $out"
SERIAL1=$(q +short $ZONE SOA | awk '{print $3}')
[ -n "$SERIAL1" ] || fail "no serial"
pass "SOA is authoritative, serial $SERIAL1"

out=$(q nosuch.$ZONE A)
echo "$out" | grep -q 'status: NXDOMAIN' || fail "missing name: $out"
echo "$out" | grep -qE "^$ZONE.*SOA" || fail "NXDOMAIN without SOA in authority: $out"
pass "NXDOMAIN with SOA"

out=$(q ns.$ZONE TXT)
echo "$out" | grep -q 'status: NOERROR' || fail "NODATA: $out"
echo "$out" | grep -q 'ANSWER: 0,' || fail "NODATA has answers: $out"
echo "$out" | grep -qE "^$ZONE.*SOA" || fail "NODATA without SOA: $out"
pass "NODATA"

out=$(q example.com A)
echo "$out" | grep -q 'status: REFUSED' || fail "other zone: $out"
pass "REFUSED for a zone we do not serve"

out=$(q +header-only $ZONE SOA)
echo "$out" | grep -q 'status: FORMERR' || fail "no question: $out"
pass "FORMERR for a query without question"

out=$(q +opcode=2 $ZONE SOA)
echo "$out" | grep -q 'status: NOTIMP' || fail "opcode STATUS: $out"
pass "NOTIMP for an unknown opcode"

# --- records added at run time: signed at once, serial bumped ---
DEVPK=$(head -c 32 /dev/urandom | base64)
"$B/signpost" -c "$CONF" zone add laptop.$ZONE AAAA fd00:1234:5678::1 > "$T/zone.log" 2>&1 ||
	fail "zone add AAAA: $(cat "$T/zone.log")"
"$B/signpost" -c "$CONF" zone add laptop.$ZONE KEY "512 3 15 $DEVPK" >> "$T/zone.log" 2>&1 ||
	fail "zone add KEY: $(cat "$T/zone.log")"
out=$(q +dnssec laptop.$ZONE AAAA)
echo "$out" | grep -qE "^laptop\.$ZONE.*AAAA.*fd00:1234:5678::1" || fail "added AAAA: $out"
echo "$out" | grep -qE "^laptop\.$ZONE.*RRSIG.*AAAA 15 " || fail "added AAAA unsigned: $out"
out=$(q +dnssec laptop.$ZONE KEY)
echo "$out" | grep -qF "512 3 15 $DEVPK" || fail "device KEY: $out"
echo "$out" | grep -qE "RRSIG.*KEY 15 " || fail "device KEY unsigned: $out"
out=$(q laptop.$ZONE DNSKEY)
echo "$out" | grep -q 'ANSWER: 0,' || fail "a DNSKEY below the apex: $out"
SERIAL2=$(q +short $ZONE SOA | awk '{print $3}')
[ "$SERIAL2" -gt "$SERIAL1" ] 2>/dev/null || fail "serial $SERIAL1 -> $SERIAL2 did not grow"
"$B/signpost" -c "$CONF" zone show > "$T/show.txt" 2>&1 || fail "zone show"
grep -q 'laptop' "$T/show.txt" || fail "zone show lacks laptop: $(cat "$T/show.txt")"
pass "zone add: AAAA and KEY signed at once, serial $SERIAL1 -> $SERIAL2"

# --- TC bit and TCP fallback for a big answer ---
TXT=$(printf 'x%.0s' $(seq 1 200))
for i in $(seq 1 12); do
	"$B/signpost" -c "$CONF" zone add big.$ZONE TXT "\"$i$TXT\"" >> "$T/zone.log" 2>&1 ||
		fail "zone add TXT: $(tail -n 3 "$T/zone.log")"
done
out=$(q +ignore +bufsize=1232 +dnssec big.$ZONE TXT)
echo "$out" | grep -qE 'flags: qr[a-z ]* tc' || fail "no TC on a big UDP answer: $out"
out=$(q +bufsize=1232 +dnssec big.$ZONE TXT)
[ "$(echo "$out" | grep -cE "^big\.$ZONE\s+[0-9]+\s+IN\s+TXT")" -eq 12 ] || fail "TCP fallback: $out"
out=$(q +tcp big.$ZONE TXT)
[ "$(echo "$out" | grep -cE "^big\.$ZONE\s+[0-9]+\s+IN\s+TXT")" -eq 12 ] || fail "TCP: $out"
pass "TC over UDP, full answer over TCP"

# --- delv with the zone's key as anchor ---
if ! "$B/signpost" -c "$CONF" dnskey --bind > "$T/anchor.conf" 2> "$T/anchor.log"; then
	# Without the CLI's --bind form, build it from the served KSK.
	KSK=$(q +short $ZONE DNSKEY | awk '$1 == 257 { $1=$2=$3=""; gsub(/ /, ""); print }')
	printf 'trust-anchors {\n\t%s static-key 257 3 15 "%s";\n};\n' $ZONE "$KSK" > "$T/anchor.conf"
fi
grep -q 'static-key 257' "$T/anchor.conf" || fail "anchor: $(cat "$T/anchor.conf")"
dv() { delv @$ADDR -p $PORT -a "$T/anchor.conf" +root=$ZONE +vtrace "$@" 2>&1; }
# Device keys are KEY records (flags 512: host keys), ordinary data signed by the ZSK, which
# BIND validates like an AAAA (a DNSKEY RRset below the apex it never would: it must be signed
# by a key of its own set).  The signpost's own KEY, address and SRV come from `init signpost`.
SPK=$("$B/signpost" pubkey < "$D/node.key") || fail "signpost pubkey"
for qq in "laptop.$ZONE AAAA" "$ZONE DNSKEY" "laptop.$ZONE KEY" "ns.$ZONE KEY" "ns.$ZONE A" \
	  "_signpost._udp.$ZONE SRV"; do
	out=$(dv $qq)
	echo "$out" | grep -q '; fully validated' || fail "delv $qq: $out"
	echo "$out" | grep -qE 'insecure|unsigned answer|bogus|validation failed' && fail "delv $qq: $out"
	pass "delv: $qq fully validated"
done
# ... and the validated records say what they should.
has_rr() { # has_rr OWNER TYPE RDATA < delv output: that record, whatever its TTL
	sed 's/;.*//' | tr -s ' \t' ' ' | sed 's/ $//' |
		awk -v o="$1" -v t="$2" -v r="$3" '{ d = $0; sub(/^[^ ]+ [0-9]+ IN [^ ]+ /, "", d) }
			$1 == o && $3 == "IN" && $4 == t && d == r { n++ } END { exit !n }'
}
dv laptop.$ZONE KEY | has_rr laptop.$ZONE KEY "512 3 15 $DEVPK" || fail "delv: device KEY data: $(dv laptop.$ZONE KEY)"
dv ns.$ZONE KEY | has_rr ns.$ZONE KEY "512 3 15 $SPK" ||
	fail "delv: the signpost's KEY is not its node key $SPK: $(dv ns.$ZONE KEY)"
dv _signpost._udp.$ZONE SRV | has_rr _signpost._udp.$ZONE SRV "0 0 51820 ns.$ZONE" ||
	fail "delv: SRV data: $(dv _signpost._udp.$ZONE SRV)"
dv ns.$ZONE A | has_rr ns.$ZONE A "$ADDR" || fail "delv: the signpost's address: $(dv ns.$ZONE A)"
pass "delv: device KEY, signpost KEY (= its node key), its A and the SRV to it (port 51820)"
out=$(dv nosuch.$ZONE KEY)
echo "$out" | grep -qE '; (negative response, )?fully validated' || fail "delv missing KEY: $out"
pass "delv: a name without a KEY validated as missing"
out=$(dv nosuch.$ZONE AAAA)
echo "$out" | grep -qE '; (negative response, )?fully validated' || fail "delv missing name: $out"
echo "$out" | grep -qE 'insecure|unsigned answer|bogus|validation failed' && fail "delv missing name: $out"
pass "delv: missing name validated"
out=$(dv laptop.$ZONE TXT)
echo "$out" | grep -qE '; (negative response, )?fully validated' || fail "delv missing type: $out"
echo "$out" | grep -qE 'insecure|unsigned answer|bogus|validation failed' && fail "delv missing type: $out"
pass "delv: missing type validated"

# --- unbound: stub zone, DS as trust anchor ---
DS=$("$B/signpost" -c "$CONF" ds 2> "$T/ds.log" | grep -E '\sDS\s' | head -n 1)
[ -n "$DS" ] || DS=$(dig @$ADDR -p $PORT +norec $ZONE DNSKEY | dnssec-dsfromkey -2 -f - $ZONE 2>/dev/null | head -n 1)
[ -n "$DS" ] || fail "no DS for the anchor"

start_unbound() { # start_unbound NAME PORT STUB_ADDR STUB_PORT
	cat > "$T/$1.conf" <<UCONF
server:
	interface: $ADDR@$2
	port: $2
	do-ip6: no
	do-not-query-localhost: no
	chroot: ""
	username: ""
	directory: "$T"
	pidfile: "$T/$1.pid"
	use-syslog: no
	logfile: ""
	verbosity: 1
	val-log-level: 2
	trust-anchor: "$DS"
	access-control: 127.0.0.0/8 allow
	module-config: "validator iterator"
	target-fetch-policy: "0 0 0 0 0"
remote-control:
	control-enable: no
stub-zone:
	name: "$ZONE"
	stub-addr: $3@$4
UCONF
	unbound -d -c "$T/$1.conf" > "$T/$1.log" 2>&1 &
	PIDS+=($!)
	wait_answer $ADDR "$2" $ZONE SOA || fail "unbound $1 does not answer"
}
start_unbound unbound $UB1 $ADDR $PORT
u() { dig @$ADDR -p $UB1 +time=3 +tries=1 +dnssec "$@"; }
for qq in "laptop.$ZONE AAAA" "laptop.$ZONE KEY" "ns.$ZONE KEY" "_signpost._udp.$ZONE SRV" \
	  "nosuch.$ZONE AAAA" "laptop.$ZONE TXT"; do
	out=$(u $qq)
	echo "$out" | grep -qE 'flags: qr[a-z ]* ad' || fail "unbound $qq without AD: $out"
	pass "unbound: $qq has AD"
done

# --- a record tampered on the wire comes back SERVFAIL ---
$PY "$HERE/tamper_proxy.py" $ADDR $PROXY $ADDR $PORT 28 "$T/proxy.ready" 2> "$T/proxy.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -f "$T/proxy.ready" ] && break; sleep 0.1; done
[ -f "$T/proxy.ready" ] || fail "tamper proxy did not start"
start_unbound tampered $UB2 $ADDR $PROXY
out=$(dig @$ADDR -p $UB2 +time=5 +tries=1 +dnssec laptop.$ZONE KEY)
echo "$out" | grep -qE 'flags: qr[a-z ]* ad' || fail "through the proxy, untouched KEY lacks AD: $out"
out=$(dig @$ADDR -p $UB2 +time=5 +tries=1 +dnssec laptop.$ZONE AAAA)
echo "$out" | grep -q 'status: SERVFAIL' || fail "tampered AAAA not SERVFAIL: $out"
grep -q tampered "$T/proxy.log" || fail "the proxy tampered nothing"
pass "tampered AAAA is SERVFAIL (untampered KEY through the same proxy has AD)"

# --- zone del, and refusals of the control command ---
S_BEFORE=$(q +short $ZONE SOA | awk '{print $3}')
"$B/signpost" -c "$CONF" zone del big.$ZONE TXT > "$T/del.log" 2>&1 || fail "zone del: $(cat "$T/del.log")"
out=$(q big.$ZONE TXT)
echo "$out" | grep -q 'status: NXDOMAIN' || fail "deleted name still there: $out"
S_AFTER=$(q +short $ZONE SOA | awk '{print $3}')
[ "$S_AFTER" -gt "$S_BEFORE" ] 2>/dev/null || fail "zone del: serial $S_BEFORE -> $S_AFTER"
"$B/signpost" -c "$CONF" zone del nosuch.$ZONE > "$T/del.log" 2>&1 && fail "zone del of a missing name succeeded"
"$B/signpost" -c "$CONF" zone add bad.$ZONE AAAA not-an-address > "$T/del.log" 2>&1 &&
	fail "zone add of bad RDATA succeeded"
"$B/signpost" -c "$CONF" zone add other.example. A 192.0.2.1 > "$T/del.log" 2>&1 &&
	fail "zone add outside the zone succeeded"
[ "$(q +short $ZONE SOA | awk '{print $3}')" = "$S_AFTER" ] || fail "a refused change moved the serial"
pass "zone del: gone at once, serial $S_BEFORE -> $S_AFTER; bad adds and dels refused"

# --- a few thousand malformed packets (UDP and TCP) must not hurt the server ---
$PY - $ADDR $PORT <<'PY' || fail "malformed flood script"
import random, socket, struct, sys
addr, port = sys.argv[1], int(sys.argv[2])
rnd = random.Random(3)
name = b"\x06laptop\x04test\x07example\x00"
base = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 1) + name + struct.pack(">HH", 28, 1) + \
    b"\x00" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)
def mutate():
    m = bytearray(base)
    kind = rnd.randrange(5)
    if kind == 0:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 64)))
    if kind == 1:
        return bytes(m[:rnd.randrange(0, len(m))])
    for _ in range(rnd.randrange(1, 6)):
        m[rnd.randrange(len(m))] = rnd.getrandbits(8)
    if kind == 3:
        m[12] = 0xC0 | rnd.randrange(64)          # compression pointer in the question
    if kind == 4:
        m += bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 600)))
    return bytes(m)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    u.sendto(mutate(), (addr, port))
for i in range(40):
    t = socket.create_connection((addr, port), timeout=2)
    for _ in range(5):
        m = mutate()
        t.sendall(struct.pack(">H", len(m)) + m)
    if i % 2:
        t.sendall(b"\xff\xff" + b"x" * 100)       # a frame that never completes
    t.close()
PY
out=$(q $ZONE SOA)
echo "$out" | grep -q 'status: NOERROR' || fail "after malformed packets: $out"
kill -0 $SPD 2>/dev/null || fail "signpostd died on malformed packets"
pass "3000 malformed UDP packets and 200 TCP frames: still serving"

# --- RRL after a reload: a burst from one source is limited, with slips ---
sed -i 's/^rrl-rate = 0$/rrl-rate = 5\nrrl-slip = 2/' "$CONF"
grep -q '^rrl-slip = 2' "$CONF" || fail "cannot set rrl-slip in $CONF"
kill -HUP $SPD
res=""
for _ in $(seq 1 50); do
	res=$($PY - $ADDR $PORT <<'PY'
import socket, struct, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
name = b"".join(bytes([len(l)]) + l for l in b"test.example".split(b".")) + b"\0"
for i in range(60):
    s.sendto(struct.pack(">HHHHHH", i, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 6, 1), (addr, port))
got = tc = 0
deadline = time.time() + 2
while time.time() < deadline:
    try:
        m = s.recv(4096)
    except socket.timeout:
        break
    got += 1
    tc += (m[2] & 0x02) != 0
print(got, tc)
PY
)
	set -- $res
	[ "${1:-60}" -lt 60 ] && break
	sleep 0.1	# the reload may not have been applied yet
done
set -- $res
got=${1:-60} tc=${2:-0}
# 5 per second with a one-second bucket: the burst gets at most ~10 full answers.
[ "$got" -lt 60 ] || fail "RRL: all 60 answered ($res)"
[ $((got - tc)) -le 10 ] || fail "RRL: $((got - tc)) full answers of 60 ($res)"
[ "$tc" -gt 0 ] || fail "RRL: no truncated slips ($res)"
pass "RRL after SIGHUP: $got of 60 answered, $tc of them truncated slips"

# --- a reload cannot move the listening sockets: refused with file:line, old port kept ---
sed -i "s/^port = $PORT\$/port = $((PORT + 9))/" "$CONF"
grep -q "^port = $((PORT + 9))" "$CONF" || fail "cannot change port in $CONF"
kill -HUP $SPD
refused=0
for _ in $(seq 1 50); do
	grep -q "signpost.conf:[0-9]*.*port.*cannot change on reload" "$T/signpostd.log" && { refused=1; break; }
	sleep 0.1
done
[ $refused = 1 ] || fail "a new [dns] port was not refused on reload: $(tail -5 "$T/signpostd.log")"
st=$("$B/signpost" -c "$CONF" status 2>&1)
echo "$st" | grep -q 'reloads: 1 ok, 1 refused' || fail "status after a refused reload: $st"
out=$(q $ZONE SOA)
echo "$out" | grep -q 'status: NOERROR' || fail "old port after a refused reload: $out"
sed -i "s/^port = $((PORT + 9))\$/port = $PORT/" "$CONF"
pass "reload with a new [dns] port refused (file:line, restart needed); still serving on the old one"

# --- SIGTERM: clean exit 0 ---
kill -TERM $SPD
rc=0
wait $SPD || rc=$?
PIDS=("${PIDS[@]/$SPD}")
[ $rc -eq 0 ] || fail "signpostd exited $rc on SIGTERM"
pass "SIGTERM: exit 0"

# --- run-time changes were written back: a restart keeps them ---
grep -q '^laptop\.' "$D/zone.db" || fail "zone.db lacks the added device: $(cat "$D/zone.db")"
"$B/signpostd" --check -c "$CONF" > "$T/check.log" 2>&1 || fail "--check on the written zone: $(cat "$T/check.log")"
S_LAST=$(grep -E '\sSOA\s' "$D/zone.db" | awk '{print $7}')
"$B/signpostd" -c "$CONF" > "$T/signpostd2.log" 2>&1 &
SPD=$!
PIDS+=($SPD)
wait_answer $ADDR $PORT $ZONE SOA || fail "signpostd does not answer after a restart"
out=$(q +dnssec laptop.$ZONE AAAA)
echo "$out" | grep -qE "^laptop\.$ZONE.*AAAA.*fd00:1234:5678::1" || fail "device lost by a restart: $out"
S_NOW=$(q +short $ZONE SOA | awk '{print $3}')
[ "$S_NOW" -ge "$S_LAST" ] 2>/dev/null || fail "serial went back: $S_LAST -> $S_NOW"
kill -TERM $SPD
rc=0
wait $SPD || rc=$?
PIDS=("${PIDS[@]/$SPD}")
[ $rc -eq 0 ] || fail "signpostd exited $rc on the second SIGTERM"
pass "restart: the added device is still served (zone-sync), serial $S_LAST -> $S_NOW"
echo "PASS"
