#!/bin/bash
# test_stub.sh - the device's validating stub resolver against real signposts
# (issue 3, "Device role, stub resolver").
#
# On loopback (a random 127.x.y.z of our own) it starts four signposts from
# `signpost init signpost`: a.example. (the device's own zone, DS anchor),
# friend.example. (a friend, DNSKEY anchor, reached through a proxy that
# flips one byte of one AAAA record on the wire), wrong.example. (a friend
# configured with an anchor that none of its keys matches) and other.example.
# (standing in for the system's upstream resolver); and NSD serving
# nsd.example., signed by ldns-signzone with a classic NSEC chain, a wildcard
# and an empty non-terminal.  Then a device-role signpostd.  dig against its
# stub checks: friend and own names validated (AD), negative answers
# validated (compact denial restored to NXDOMAIN; NSEC chain, NODATA, ENT,
# wildcard), SERVFAIL with an Extended DNS Error for the wrong anchor, for the
# tampered answer and for an unreachable signpost (bounded retries, with the
# named timeout shortened), CD, other names forwarded, a forged upstream
# reply (wrong ID) ignored after a SIGHUP switched upstreams, TCP, the status
# counters, a clean exit 0 on SIGTERM, and upstreams from resolv.conf.
# Usage: test_stub.sh BUILD_DIR
set -u
source "$(dirname "$0")/../lib/harness.sh" dnsstub "${1:-}"

need dig python3 nsd ldns-keygen ldns-signzone ldns-key2ds

ADDR=$(rnd127)
BASE=$(rndport)
PA=$BASE; PF=$((BASE + 1)); PU=$((BASE + 2)); PS=$((BASE + 3)); PX=$((BASE + 4)); PW=$((BASE + 5))
PD=$((BASE + 6)); PE=$((BASE + 7)); PN=$((BASE + 8)); PT=$((BASE + 9))

wait_answer() { # wait_answer PORT NAME TYPE: poll until the server at ADDR:PORT answers
	for _ in $(seq 1 100); do
		dig @$ADDR -p "$1" +time=1 +tries=1 "$2" "$3" 2>/dev/null | grep -q 'status: ' && return 0
		sleep 0.1
	done
	return 1
}

start_signpost() { # start_signpost NAME ZONE PORT
	local d=$T/$1
	"$B/signpost" init signpost --zone "$2" --dir "$d" --address $ADDR --dns-port "$3" \
		> "$T/init-$1.log" 2>&1 || fail "signpost init signpost $2"
	sed -i 's/^\[dns\]$/[dns]\nrrl-rate = 0/' "$d/signpost.conf"
	"$B/signpostd" -c "$d/signpost.conf" > "$T/$1.log" 2>&1 &
	PIDS+=($!)
	wait_answer "$3" "$2" SOA || fail "signpost of $2 does not answer"
}

start_signpost a a.example. $PA
start_signpost friend friend.example. $PF
start_signpost up other.example. $PU
start_signpost wrong wrong.example. $PW
"$B/signpost" -c "$T/a/signpost.conf" zone add laptop.a.example. AAAA fd00:aaaa::1 \
	> "$T/zone-a.log" 2>&1 || fail "zone add in a.example."
"$B/signpost" -c "$T/friend/signpost.conf" zone add nas.friend.example. AAAA fd00:f::2 \
	> "$T/zone-f.log" 2>&1 || fail "zone add in friend.example."
"$B/signpost" -c "$T/friend/signpost.conf" zone add nas.friend.example. KEY \
	"512 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=" >> "$T/zone-f.log" 2>&1 ||
	fail "zone add KEY in friend.example."
"$B/signpost" -c "$T/friend/signpost.conf" zone add nas2.friend.example. AAAA fd00:f::3 \
	>> "$T/zone-f.log" 2>&1 || fail "zone add nas2 in friend.example."
"$B/signpost" -c "$T/wrong/signpost.conf" zone add nas.wrong.example. AAAA fd00:e::1 \
	> "$T/zone-w.log" 2>&1 || fail "zone add in wrong.example."
"$B/signpost" -c "$T/up/signpost.conf" zone add www.other.example. A 192.0.2.80 \
	> "$T/zone-u.log" 2>&1 || fail "zone add in other.example."
pass "four signposts serve a.example., friend.example., wrong.example., other.example."

DS_A=$("$B/signpost" -c "$T/a/signpost.conf" ds) || fail "signpost ds (a)"
KEY_F=$("$B/signpost" -c "$T/friend/signpost.conf" dnskey) || fail "signpost dnskey (friend)"
# A wrong anchor: the DS of a.example.'s key, moved to wrong.example.: well
# formed, but no key of wrong.example. matches it.
DS_W=$(echo "$DS_A" | sed 's/^a\.example\./wrong.example./')

# A proxy in front of friend.example.'s signpost that flips the last byte of
# the address fd00:f::3 (nas2's AAAA) in every UDP answer, and passes the rest.
cat > "$T/flip.py" <<'EOF'
import socket, sys
listen, upstream = int(sys.argv[2]), int(sys.argv[3])
addr = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, listen))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
while True:
    q, client = s.recvfrom(65535)
    u.sendto(q, (addr, upstream))
    try:
        r, _ = u.recvfrom(65535)
    except socket.timeout:
        continue
    i = r.find(bytes.fromhex("fd00000f000000000000000000000003"))
    if i >= 0:
        r = r[:i + 15] + bytes([r[i + 15] ^ 1]) + r[i + 16:]
    s.sendto(r, client)
EOF
python3 "$T/flip.py" $ADDR $PX $PF > "$T/proxy.log" 2>&1 &
PIDS+=($!)

# A spoofing upstream: it answers every query first with a forged reply
# (wrong ID, address 6.6.6.6), then forwards the query to the other.example.
# signpost and relays the genuine reply.
cat > "$T/spoof.py" <<'EOF'
import socket, sys
addr, listen, upstream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, listen))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
while True:
    q, client = s.recvfrom(65535)
    end = 12
    while end < len(q) and q[end] != 0:
        end += 1 + q[end]
    end += 5
    forged = bytes([q[0] ^ 0x55, q[1], 0x84, 0x00]) + q[4:6] + bytes([0, 1, 0, 0, 0, 0])
    forged += q[12:end] + bytes([0xc0, 12, 0, 1, 0, 1, 0, 0, 14, 16, 0, 4, 6, 6, 6, 6])
    s.sendto(forged, client)
    u.sendto(q, (addr, upstream))
    try:
        r, _ = u.recvfrom(65535)
    except socket.timeout:
        continue
    s.sendto(r, client)
EOF
python3 "$T/spoof.py" $ADDR $PE $PU > "$T/spoof.log" 2>&1 &
PIDS+=($!)

# A friend whose zone is signed the classic way (ldns-signzone: a full NSEC
# chain, a wildcard, an empty non-terminal) and served by NSD.
N=$T/nsd
mkdir -p "$N"
cat > "$N/zone" <<EOF
\$ORIGIN nsd.example.
\$TTL 300
@ IN SOA ns.nsd.example. host.nsd.example. 1 7200 3600 1209600 300
@ IN NS ns.nsd.example.
ns IN A $ADDR
box IN AAAA fd00:d::1
*.w IN TXT "wild"
a.b.c IN TXT "deep"
EOF
(
	cd "$N" &&
	KSK=$(ldns-keygen -a ED25519 -k nsd.example.) && ZSK=$(ldns-keygen -a ED25519 nsd.example.) &&
	ldns-signzone -e "$(date -u -d "+30 days" +%Y%m%d%H%M%S)" zone "$KSK" "$ZSK" && ldns-key2ds -n -2 "$KSK.key" > ds
) > "$T/nsd-sign.log" 2>&1 || fail "signing nsd.example. with ldns-signzone"
cat > "$N/nsd.conf" <<EOF
server:
	ip-address: $ADDR@$PN
	username: ""
	chroot: ""
	zonesdir: "$N"
	database: ""
	pidfile: "$N/nsd.pid"
	xfrdfile: "$N/xfrd.state"
	zonelistfile: "$N/zone.list"
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: "nsd.example."
	zonefile: "$N/zone.signed"
EOF
nsd -d -c "$N/nsd.conf" > "$T/nsd.log" 2>&1 &
PIDS+=($!)
wait_answer $PN nsd.example. SOA || fail "NSD does not answer"
DS_N=$(tr -s ' \t' ' ' < "$N/ds")

D=$T/dev
mkdir -p "$D" && chmod 700 "$D"
(umask 077 && "$B/signpost" genkey > "$D/node.key") || fail "signpost genkey"
cat > "$D/device.conf" <<EOF
[node]
role = device
zone = a.example.
name = laptop
key-file = node.key
control-socket = device.sock

[dns]
stub-listen = $ADDR
stub-port = $PS
upstream = $ADDR:$PU

[signpost]
dns = $ADDR:$PA
trust-anchor = $DS_A

[friend]
zone = friend.example.
signpost = $ADDR:$PX
trust-anchor = $KEY_F

[friend]
zone = wrong.example.
signpost = $ADDR:$PW
trust-anchor = $DS_W

[friend]
zone = nsd.example.
signpost = $ADDR:$PN
trust-anchor = $DS_N

# Nobody listens there: the stub must give up (SERVFAIL) within its tries.
[friend]
zone = dead.example.
signpost = $ADDR:$PD
trust-anchor = $(echo "$DS_A" | sed 's/^a\.example\./dead.example./')
EOF
"$B/signpostd" --check -c "$D/device.conf" > "$T/check.log" 2>&1 ||
	fail "signpostd --check on the device: $(cat "$T/check.log")"
# A short exchange timeout: the dead signpost costs 3 x 300 ms, not 3 x 1.5 s;
# a short client idle time: the stalled TCP client below is closed within seconds.
SIGNPOST_INTERVALS=dns.stub-query-timeout=300,dns.stub-tcp-idle=1000 \
	"$B/signpostd" -c "$D/device.conf" > "$T/device.log" 2>&1 &
DEV=$!
PIDS+=($DEV)
wait_answer $PS www.other.example. A || fail "the stub does not answer on $ADDR:$PS"
pass "device stub answers on $ADDR:$PS"

sq() { dig @$ADDR -p $PS +time=3 +tries=1 "$@"; }

out=$(sq +dnssec nas.friend.example. AAAA)
echo "$out" | grep -q 'status: NOERROR' || fail "friend AAAA: $out"
echo "$out" | grep -Eq 'flags: qr rd ra ad;|flags: qr rd ra ad ' || fail "friend AAAA without AD: $out"
echo "$out" | grep -q 'fd00:f::2' || fail "friend AAAA address: $out"
echo "$out" | grep -q 'RRSIG' || fail "friend AAAA with DO but no RRSIG: $out"
pass "friend name AAAA validated: AD set"

out=$(sq nas.friend.example. KEY)
echo "$out" | grep -q ' ad[ ;]' || fail "friend device KEY without AD: $out"
echo "$out" | grep -q 'KEY.*512 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=' || fail "friend device KEY data: $out"
echo "$out" | grep -q 'RRSIG' && fail "RRSIG sent to a client without DO: $out"
pass "friend device KEY validated; no DNSSEC records without DO"

# The friend's signpost, found and authenticated from the zone alone: its KEY and SRV.
for qq in "ns.friend.example. KEY" "_signpost._udp.friend.example. SRV"; do
	out=$(sq +dnssec $qq)
	echo "$out" | grep -q ' ad[ ;]' || fail "friend $qq without AD: $out"
	echo "$out" | grep -qE "IN[[:space:]]+${qq##* }[[:space:]]" || fail "friend $qq: no record: $out"
done
pass "the friend's signpost KEY and _signpost._udp SRV validated"

out=$(sq laptop.a.example. AAAA)
echo "$out" | grep -q 'fd00:aaaa::1' || fail "own AAAA: $out"
echo "$out" | grep -q ' ad[ ;]' || fail "own AAAA without AD: $out"
pass "own-zone name validated: AD set"

# The signpost answers with RFC 9824 compact denial (NOERROR + NXNAME); once
# validated, the stub gives the client NXDOMAIN back.
out=$(sq nosuch.friend.example. AAAA)
echo "$out" | grep -q 'status: NXDOMAIN' || fail "missing name: $out"
echo "$out" | grep -q ' ad[ ;]' || fail "denial of a missing name without AD: $out"
echo "$out" | grep -q 'ANSWER: 0' || fail "missing name with an answer: $out"
out=$(sq nas.friend.example. TXT)
echo "$out" | grep -q 'status: NOERROR' || fail "missing type: $out"
echo "$out" | grep -q ' ad[ ;]' || fail "NODATA without AD: $out"
pass "negative answers (missing name, missing type) validated"

out=$(sq +cd nas.friend.example. AAAA)
echo "$out" | grep -q 'fd00:f::2' || fail "CD query: $out"
echo "$out" | grep -q ' ad[ ;]' && fail "CD query got AD: $out"
pass "checking disabled (CD): answer without AD"

out=$(dig @$ADDR -p $PW +time=2 +tries=1 +norec +dnssec nas.wrong.example. AAAA)
echo "$out" | grep -q 'fd00:e::1' || fail "wrong.example.'s own signpost: $out"
out=$(sq nas.wrong.example. AAAA)
echo "$out" | grep -q 'status: SERVFAIL' || fail "wrong anchor did not SERVFAIL: $out"
echo "$out" | grep -q 'EDE: 9 ' || fail "wrong anchor: no Extended DNS Error 9 (DNSKEY Missing): $out"
grep -q 'wrong.example.: DNSKEY set is bogus: no DNSKEY matches the trust anchor' "$T/device.log" ||
	fail "the stub did not log why wrong.example. is bogus"
pass "friend whose keys do not match the anchor: SERVFAIL"

out=$(dig @$ADDR -p $PX +time=2 +tries=1 +norec +dnssec nas2.friend.example. AAAA)
# ::3 with its last bit flipped reads ::2
echo "$out" | grep -q 'fd00:f::2' || fail "the proxy did not tamper: $out"
out=$(sq nas2.friend.example. AAAA)
echo "$out" | grep -q 'status: SERVFAIL' || fail "tampered answer did not SERVFAIL: $out"
echo "$out" | grep -q 'EDE: 6 ' || fail "tampered answer: no Extended DNS Error 6 (DNSSEC Bogus): $out"
grep -q 'nas2.friend.example.: bogus answer' "$T/device.log" ||
	fail "the stub did not log the tampered answer"
pass "answer tampered on the wire: SERVFAIL"

out=$(sq www.other.example. A)
echo "$out" | grep -q '192.0.2.80' || fail "forwarded name: $out"
echo "$out" | grep -q ' ad[ ;]' && fail "forwarded answer got AD from the stub: $out"
out=$(sq nothere.other.example. A)
echo "$out" | grep -q 'status: NXDOMAIN' || fail "forwarded NXDOMAIN: $out"
pass "unrelated names forwarded to the upstream and relayed"

ad() { echo "$1" | grep -q ' ad[ ;]'; }
out=$(sq box.nsd.example. AAAA)
echo "$out" | grep -q 'fd00:d::1' && ad "$out" || fail "NSD zone AAAA: $out"
out=$(sq nope.nsd.example. AAAA)
echo "$out" | grep -q 'status: NXDOMAIN' && ad "$out" || fail "NSD zone NXDOMAIN (NSEC chain): $out"
out=$(sq box.nsd.example. TXT)
echo "$out" | grep -q 'status: NOERROR' && ad "$out" || fail "NSD zone NODATA: $out"
out=$(sq b.c.nsd.example. AAAA)
echo "$out" | grep -q 'status: NOERROR' && ad "$out" || fail "NSD zone empty non-terminal: $out"
out=$(sq x.w.nsd.example. TXT)
echo "$out" | grep -q '"wild"' && ad "$out" || fail "NSD zone wildcard answer: $out"
out=$(sq x.w.nsd.example. AAAA)
echo "$out" | grep -q 'status: NOERROR' && ad "$out" || fail "NSD zone wildcard NODATA: $out"
pass "classic NSEC zone from ldns-signzone on NSD: answer, NXDOMAIN, NODATA, ENT, wildcard validated"

out=$(sq nas.dead.example. AAAA)
echo "$out" | grep -q 'status: SERVFAIL' || fail "unreachable signpost did not SERVFAIL: $out"
echo "$out" | grep -q 'EDE: 22 ' || fail "unreachable signpost: no Extended DNS Error 22: $out"
pass "unreachable friend signpost: SERVFAIL after bounded retries"

# From now on the upstream is the spoofer: its forged reply must be ignored.
sed -i "s/^upstream = .*/upstream = $ADDR:$PE/" "$D/device.conf"
kill -HUP $DEV
for _ in $(seq 1 50); do
	grep -q 'dns stub: reloaded' "$T/device.log" && break
	sleep 0.1
done
grep -q 'dns stub: reloaded' "$T/device.log" || fail "the stub did not reload on SIGHUP"
out=$(sq www.other.example. A)
echo "$out" | grep -q '6.6.6.6' && fail "the stub took a forged reply: $out"
echo "$out" | grep -q '192.0.2.80' || fail "genuine reply after a forged one: $out"
pass "forged upstream reply (wrong ID) ignored, the genuine one relayed (after SIGHUP)"

# A new stub-port cannot be applied by a reload: refused (file:line), the old port serves on.
sed -i "s/^stub-port = $PS\$/stub-port = $((PS + 20))/" "$D/device.conf"
kill -HUP $DEV
refused=0
for _ in $(seq 1 50); do
	grep -q "device.conf:[0-9]*.*cannot change on reload" "$T/device.log" && { refused=1; break; }
	sleep 0.1
done
[ $refused = 1 ] || fail "a new stub-port was not refused on reload: $(tail -5 "$T/device.log")"
sed -i "s/^stub-port = $((PS + 20))\$/stub-port = $PS/" "$D/device.conf"
out=$(sq www.other.example. A)
echo "$out" | grep -q '192.0.2.80' || fail "stub after a refused reload: $out"
pass "reload with a new stub-port refused (restart needed); the stub serves on"

out=$(sq +tcp nas.friend.example. AAAA)
echo "$out" | grep -q 'fd00:f::2' || fail "TCP query: $out"
echo "$out" | grep -q ' ad[ ;]' || fail "TCP answer without AD: $out"
pass "TCP clients"

# An upstream that truncates every UDP answer and answers over TCP (relaying
# to the other.example. signpost): the stub must ask again over TCP.
cat > "$T/trunc.py" <<'PYEOF'
import select, socket, sys
addr, listen, upstream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, listen))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, listen))
t.listen(4)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
print("ready", flush=True)
def recv_all(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
while True:
    r, _, _ = select.select([s, t], [], [], 30)
    if s in r:
        q, client = s.recvfrom(65535)
        end = 12
        while end < len(q) and q[end] != 0:
            end += 1 + q[end]
        end += 5
        s.sendto(q[:2] + bytes([0x82 | (q[2] & 1), 0]) + q[4:6] + bytes(6) + q[12:end], client)
    if t in r:
        c, _ = t.accept()
        c.settimeout(2)
        try:
            n = recv_all(c, 2)
            q = recv_all(c, n[0] << 8 | n[1])
            u.sendto(q, (addr, upstream))
            a, _ = u.recvfrom(65535)
            c.sendall(bytes([len(a) >> 8, len(a) & 255]) + a)
            print("tcp answer", flush=True)
        except (OSError, EOFError):
            pass
        c.close()
PYEOF
python3 "$T/trunc.py" $ADDR $PT $PU > "$T/trunc.log" 2>&1 &
PIDS+=($!)
# Its sockets must be bound before the stub is pointed at it (a slow start under load).
for _ in $(seq 1 100); do grep -q '^ready' "$T/trunc.log" && break; sleep 0.1; done
grep -q '^ready' "$T/trunc.log" || fail "the truncating upstream did not start: $(cat "$T/trunc.log")"
set_upstream() { # set_upstream PORT: switch the stub's upstream by SIGHUP, wait for the reload
	local n
	n=$(grep -c 'dns stub: reloaded' "$T/device.log")
	sed -i "s/^upstream = .*/upstream = $ADDR:$1/" "$D/device.conf"
	kill -HUP $DEV
	for _ in $(seq 1 50); do
		[ "$(grep -c 'dns stub: reloaded' "$T/device.log")" -gt "$n" ] && return 0
		sleep 0.1
	done
	fail "the stub did not reload for upstream port $1"
}
set_upstream $PT
out=$(sq +tcp www.other.example. A)
echo "$out" | grep -q '192.0.2.80' || fail "answer over TCP from a truncating upstream: $out"
grep -q 'tcp answer' "$T/trunc.log" || fail "the stub did not ask the truncating upstream over TCP"
set_upstream $PE
pass "a truncated upstream answer is asked again over TCP"

# A TCP client that pipelines queries and never reads its replies: the stub
# must stop reading it (bounded memory) and close it once its replies stop
# draining; others are still served meanwhile.
rss() { awk '/^VmRSS/ {print $2}' /proc/$DEV/status; }
rss0=$(rss)
cat > "$T/hog.py" <<'PYEOF'
import select, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((sys.argv[1], int(sys.argv[2])))
s.setblocking(False)
# STATUS (opcode 2) queries: each answered at once with NOTIMP.
frame = b"\x00\x0c" + b"\x12\x34\x10\x00" + b"\x00" * 8
chunk = frame * 4096
sent, limit, last, end = 0, 40 << 20, time.time(), time.time() + 40
while sent < limit and time.time() < end and time.time() - last < 2:
    if not select.select([], [s], [], 0.2)[1]:
        continue
    try:
        n = s.send(chunk)
    except BlockingIOError:
        continue
    except OSError:
        break
    sent += n
    last = time.time()
print(sent, flush=True)
time.sleep(30)          # hold the connection without reading; killed below
PYEOF
python3 "$T/hog.py" $ADDR $PS > "$T/hog.out" 2>&1 &
HOG=$!
PIDS+=($HOG)
for _ in $(seq 1 600); do
	grep -q '^[0-9]' "$T/hog.out" && break
	kill -0 $HOG 2>/dev/null || break
	sleep 0.1
done
sent=$(grep -m1 '^[0-9]' "$T/hog.out") || fail "stalled TCP client: $(cat "$T/hog.out")"
[ "$sent" -lt $((40 << 20)) ] || fail "the stub read all $sent bytes of a client that never reads"
grow=$(( $(rss) - rss0 ))
# Under AddressSanitizer freed memory sits in its quarantine (RSS grows anyway):
# there the bound on what the stub read stands for the memory bound.
if ! ldd "$B/signpostd" 2>/dev/null | grep -q libasan; then
	[ "$grow" -lt 65536 ] || fail "stub RSS grew by $grow kB for one stalled TCP client"
fi
out=$(sq +tcp nas.friend.example. AAAA)
echo "$out" | grep -q 'fd00:f::2' || fail "TCP query while a client stalls: $out"
closed=0
for _ in $(seq 1 100); do
	st=$("$B/signpost" -c "$D/device.conf" status 2>&1)
	echo "$st" | grep -q 'stub-tcp-clients: 0' && { closed=1; break; }
	sleep 0.1
done
[ $closed = 1 ] || fail "the stalled TCP client was not closed: $st"
kill $HOG 2>/dev/null
wait $HOG 2>/dev/null
pass "a TCP client that never reads: reading paused after $sent bytes (RSS +$grow kB), closed when idle"

st=$("$B/signpost" -c "$D/device.conf" status 2>&1) || fail "status: $st"
echo "$st" | grep -Eq 'stub-secure: [1-9]' || fail "status has no secure count: $st"
echo "$st" | grep -Eq 'stub-bogus: [1-9]' || fail "status has no bogus count: $st"
pass "status reports the stub's counters"

kill -TERM $DEV
for _ in $(seq 1 50); do
	kill -0 $DEV 2>/dev/null || break
	sleep 0.1
done
kill -0 $DEV 2>/dev/null && fail "device signpostd still runs after SIGTERM"
wait $DEV
rc=$?
[ $rc -eq 0 ] || fail "device signpostd exited $rc on SIGTERM"
grep -qi 'leak\|AddressSanitizer' "$T/device.log" && fail "sanitizer report: $(cat "$T/device.log")"
pass "device signpostd exits 0 on SIGTERM"

# Without [dns] upstream the stub forwards to /etc/resolv.conf's nameservers,
# except itself.  A private mount namespace shows signpostd a resolv.conf of
# ours; the stub listens on port 53 of our own loopback address (needs root).
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	cat > "$T/resolv.conf" <<EOF
# written by test_stub.sh
search example.org
nameserver $ADDR
nameserver 192.0.2.53
nameserver fe80::1%lo
nameserver not-an-address
EOF
	sed -e '/^upstream = /d' -e 's/^stub-port = .*/stub-port = 53/' \
		-e 's/^control-socket = .*/control-socket = device2.sock/' \
		"$D/device.conf" > "$D/device2.conf"
	unshare -m sh -c "mount --bind '$T/resolv.conf' /etc/resolv.conf &&
		exec '$B/signpostd' -c '$D/device2.conf'" > "$T/device2.log" 2>&1 &
	DEV2=$!
	PIDS+=($DEV2)
	wait_answer 53 nas.friend.example. AAAA || fail "the second stub does not answer on port 53"
	st=$("$B/signpost" -c "$D/device2.conf" status 2>&1) || fail "status: $st"
	echo "$st" | grep -q 'stub-upstreams: 2' || fail "resolv.conf upstreams: $st"
	grep -q "not forwarding to $ADDR: that is the stub itself" "$T/device2.log" ||
		fail "the stub would forward to itself"
	kill -TERM $DEV2
	wait $DEV2 || fail "second device signpostd exited $? on SIGTERM"
	pass "default upstreams from resolv.conf, without the stub itself"
else
	echo "skip: resolv.conf upstreams (needs root and mount namespaces)"
fi
echo "all stub tests passed"
