#!/bin/bash
# test_cli.sh - the `signpost` CLI against real tools: wg, ldns-read-zone,
# ldns-key2ds, nsupdate, delv, and signpostd itself when it is built.
# Usage: bash test_cli.sh BUILD_DIR
set -u

B=${1:?usage: test_cli.sh BUILD_DIR}
SP="$B/signpost"
SPD="$B/signpostd"
[ -x "$SP" ] || { echo "FAIL: $SP is not built"; exit 1; }

T=$(mktemp -d /tmp/sp-cli.XXXXXX)
DAEMON_PID=
NSD_PID=
FAKE_PID=
cleanup() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	if [ -n "$NSD_PID" ]; then
		kill "$NSD_PID" 2>/dev/null
		wait "$NSD_PID" 2>/dev/null
	fi
	if [ -n "$DAEMON_PID" ]; then
		kill "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

FAILS=0
pass() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; FAILS=$((FAILS + 1)); }
# check NAME CMD...: the command must succeed
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }
# rc_is WANT NAME CMD...: the command's exit code must be WANT
rc_is() {
	local want=$1 n=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" = "$want" ]; then pass "$n"; else fail "$n (exit $rc, want $want)"; cat "$T/err"; fi
}
mode_of() { stat -c %a "$1"; }
is_b64_key() { [ ${#1} = 44 ] && [ "$(printf %s "$1" | base64 -d 2>/dev/null | wc -c)" = 32 ]; }
# one line, fields separated by single spaces
norm() { tr -s ' \t' '  ' | sed 's/ *$//'; }

# ---- genkey / pubkey ----
K1=$("$SP" genkey); K2=$("$SP" genkey)
check "genkey prints base64 of 32 bytes" is_b64_key "$K1"
check "two genkeys differ" [ "$K1" != "$K2" ]
P1=$(echo "$K1" | "$SP" pubkey); P1b=$(echo "$K1" | "$SP" pubkey)
W1=$(echo "$K1" | "$SP" pubkey --wireguard)
check "pubkey is a key" is_b64_key "$P1"
check "pubkey is stable" [ "$P1" = "$P1b" ]
check "pubkey --wireguard is a key" is_b64_key "$W1"
check "WireGuard key differs from the Ed25519 key" [ "$W1" != "$P1" ]

# RFC 8032 section 7.1, test 1: seed 9d61b1...7f60 has public key d75a98...511a.
RFC_SEED=nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=
RFC_PUB=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
check "pubkey of the RFC 8032 test seed" [ "$(echo "$RFC_SEED" | "$SP" pubkey)" = "$RFC_PUB" ]

# The X25519 private key of an Ed25519 seed is the first half of SHA-512(seed)
# (clamped, which wg does itself): `wg pubkey` of it must match.
for k in "$RFC_SEED" "$K1"; do
	want=$(printf %s "$k" | base64 -d | openssl dgst -sha512 -binary | head -c 32 | base64 | wg pubkey)
	got=$(echo "$k" | "$SP" pubkey --wireguard)
	check "pubkey --wireguard equals wg pubkey of the X25519 secret" [ "$want" = "$got" ]
done
rc_is 1 "pubkey refuses garbage" sh -c "echo not-a-key | '$SP' pubkey"
rc_is 1 "pubkey refuses a short key" sh -c "echo AAAA | '$SP' pubkey"

# ---- init signpost ----
S="$T/sp"
rc_is 0 "init signpost" "$SP" init signpost --zone Alice.Example --dir "$S" --address 127.0.0.1 \
	--port 51999 --dns-port 5399
cp "$T/out" "$T/init.out"
check "init prints the DS record" grep -q "alice.example.[[:space:]]*3600[[:space:]]*IN[[:space:]]*DS" "$T/init.out"
check "init prints the signpost key" grep -q -- "--signpost-key $(cat "$S/node.key" | "$SP" pubkey)" "$T/init.out"
check "dir is 0700" [ "$(mode_of "$S")" = 700 ]
for f in node.key ksk.key zsk.key tsig.key; do
	check "$f is 0600" [ "$(mode_of "$S/$f")" = 600 ]
done
for f in signpost.conf zone.db; do check "$f exists" [ -s "$S/$f" ]; done
check "node.key holds a private key" is_b64_key "$(cat "$S/node.key")"
check "zone.db reads with ldns-read-zone" ldns-read-zone "$S/zone.db" >"$T/zone.txt"
check "zone has SOA" grep -q "^alice.example.[[:space:]].*SOA[[:space:]]*ns.alice.example." "$T/zone.txt"
check "zone has NS" grep -q "^alice.example.[[:space:]].*NS[[:space:]]*ns.alice.example." "$T/zone.txt"
check "zone has the A record" grep -q "^ns.alice.example.[[:space:]].*A[[:space:]]*127.0.0.1" "$T/zone.txt"
check "zone has no DNSKEY" bash -c "! grep -q DNSKEY '$T/zone.txt'"
SNK=$("$SP" pubkey <"$S/node.key")
check "zone has the signpost's KEY (host key, its node key)" \
	[ "$(awk -v k="$SNK" '$1 == "ns.alice.example." && $3 == "IN" && $4 == "KEY" && $5 == 512 &&
		$6 == 3 && $7 == 15 && $8 == k && NF == 8 {n++} END {print n}' "$T/zone.txt")" = 1 ]
check "zone has the _signpost._udp SRV with the tunnel port" \
	grep -qE "^_signpost._udp.alice.example.[[:space:]].*SRV[[:space:]]+0 0 51999 ns.alice.example.\$" "$T/zone.txt"
check "ksk.key is a BIND ED25519 private key" grep -q "^Algorithm: 15" "$S/ksk.key"
check "config names the zone" grep -q "^zone = alice.example.$" "$S/signpost.conf"
check "config has the DNS port" grep -q "^port = 5399$" "$S/signpost.conf"
check "config has the tunnel port" grep -q "^listen-port = 51999$" "$S/signpost.conf"

# refusing to overwrite: nothing changes
sum_before=$(cat "$S"/* | sha256sum)
rc_is 1 "init signpost refuses to overwrite" "$SP" init signpost --zone alice.example. --dir "$S" \
	--address 127.0.0.1
check "refusal names the file" grep -q "$S/.*already exists" "$T/err"
check "files unchanged after refusal" [ "$(cat "$S"/* | sha256sum)" = "$sum_before" ]

# TSIG key file: nsupdate -k reads it unchanged (and rejects a broken one)
check "nsupdate -k accepts tsig.key" sh -c "nsupdate -k '$S/tsig.key' </dev/null"
sed 's/hmac-sha256/hmac-bogus/' "$S/tsig.key" >"$T/bad-tsig.key"; chmod 600 "$T/bad-tsig.key"
check "nsupdate -k rejects a broken key (sanity)" sh -c "! nsupdate -k '$T/bad-tsig.key' </dev/null 2>/dev/null"
check "tsig.key is named and uses hmac-sha256" grep -q 'algorithm hmac-sha256;' "$S/tsig.key"

# ---- ds / dnskey ----
C="$S/signpost.conf"
DS=$("$SP" -c "$C" ds); DNSKEY=$("$SP" -c "$C" dnskey)
check "ds prints one DS RR" [ "$(echo "$DS" | norm | awk '$4 == "DS" && $6 == 15 && $7 == 2 {n++} END {print n}')" = 1 ]
check "dnskey prints the KSK" [ "$(echo "$DNSKEY" | norm | awk '$4 == "DNSKEY" && $5 == 257 && $6 == 3 && $7 == 15 {n++} END {print n}')" = 1 ]
echo "$DNSKEY" >"$T/dnskey.rr"
check "ldns-key2ds agrees with signpost ds" [ "$(ldns-key2ds -n -2 "$T/dnskey.rr" | norm)" = "$(echo "$DS" | norm)" ]
check "ds option after the command" [ "$("$SP" ds -c "$C")" = "$DS" ]
check "the DS printed by init is the DS" grep -qF "$(echo "$DS" | head -1)" "$T/init.out"
"$SP" -c "$C" dnskey --bind >"$T/anchor-key.conf"
"$SP" -c "$C" ds --bind >"$T/anchor-ds.conf"
check "dnskey --bind is a static-key block" grep -q '"alice.example." static-key 257 3 15 "' "$T/anchor-key.conf"
check "ds --bind is an initial-ds block" grep -q '"alice.example." initial-ds [0-9]* 15 2 "' "$T/anchor-ds.conf"
# delv must load both anchor files (port 9 on loopback: nothing answers, that is fine)
echo 'trust-anchors { "alice.example." no-such-kind 1 2 "x"; };' >"$T/anchor-bad.conf"
for a in anchor-key anchor-ds anchor-bad; do
	timeout 20 delv -a "$T/$a.conf" @127.0.0.1 -p 9 +root=alice.example. \
		alice.example. SOA >"$T/delv.out" 2>&1
	if [ $a = anchor-bad ]; then
		check "delv rejects a bad anchor file (sanity)" grep -q "Unable to load keys" "$T/delv.out"
	else
		# It got past the anchors to resolving (and failing to reach a server).
		check "delv -a loads $a" bash -c "grep -q 'resolving\|resolution failed' '$T/delv.out' &&
			! grep -qi 'unable to load\|unexpected\|usage' '$T/delv.out'"
	fi
done

# End to end: sign zone.db with the key files as written (ldns-signzone), serve
# it with NSD on loopback, and let delv validate with the anchors the CLI printed.
Z="$T/signed"; mkdir "$Z"
cp "$S/ksk.key" "$Z/Kksk.private"; cp "$S/zsk.key" "$Z/Kzsk.private"
"$SP" -c "$C" dnskey >"$Z/Kksk.key"
check "ldns-signzone signs with ksk.key and zsk.key" \
	bash -c "cd '$Z' && ldns-signzone -n -f signed.db '$S/zone.db' Kksk Kzsk"
echo "$DS" >"$Z/ds.rr"
check "ldns-verify-zone verifies the signed zone with the DS" \
	bash -c "ldns-verify-zone -k '$Z/ds.rr' '$Z/signed.db' >/dev/null 2>&1"
# A random port may be taken: try a few.
up=no
for _ in 1 2 3; do
	NSD_PORT=$((20000 + RANDOM % 30000))
	cat >"$Z/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  username: ""
  chroot: ""
  zonesdir: "$Z"
  pidfile: "$Z/nsd.pid"
  database: ""
  xfrdfile: "$Z/xfrd.state"
  zonelistfile: "$Z/zone.list"
  logfile: "$Z/nsd.log"
remote-control:
  control-enable: no
zone:
  name: alice.example.
  zonefile: signed.db
EOF
	nsd -d -c "$Z/nsd.conf" >/dev/null 2>&1 &
	NSD_PID=$!
	for _ in $(seq 100); do
		if dig +short +time=1 +tries=1 @127.0.0.1 -p "$NSD_PORT" alice.example. SOA 2>/dev/null |
			grep -q hostmaster; then
			up=yes; break
		fi
		kill -0 "$NSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ $up = yes ] && break
	kill "$NSD_PID" 2>/dev/null; wait "$NSD_PID" 2>/dev/null; NSD_PID=
done
check "nsd serves the signed zone" [ $up = yes ]
# A second signpost of the same zone: its anchor must not validate our answers.
"$SP" init signpost --zone alice.example. --dir "$T/other" --address 127.0.0.1 >/dev/null
"$SP" -c "$T/other/signpost.conf" ds --bind >"$T/anchor-other.conf"
for a in anchor-key anchor-ds anchor-other; do
	delv -a "$T/$a.conf" +root=alice.example. @127.0.0.1 -p "$NSD_PORT" ns.alice.example. A \
		>"$T/delv.out" 2>&1
	if [ $a = anchor-other ]; then
		check "delv does not validate with a wrong anchor (sanity)" \
			bash -c "! grep -q 'fully validated' '$T/delv.out'"
	else
		check "delv fully validates with $a" grep -q "^; fully validated" "$T/delv.out"
	fi
done
kill "$NSD_PID" 2>/dev/null; wait "$NSD_PID" 2>/dev/null; NSD_PID=

# unbound takes both lines as trust-anchor: (and rejects a broken one)
printf 'server:\n  username: ""\n  chroot: ""\n  trust-anchor: "%s"\n  trust-anchor: "%s"\n' \
	"$DS" "$DNSKEY" >"$T/unbound.conf"
check "unbound-checkconf accepts the DS and DNSKEY anchors" \
	bash -c "unbound-checkconf '$T/unbound.conf' >/dev/null"
printf 'server:\n  username: ""\n  chroot: ""\n  trust-anchor: "%s"\n' \
	"$(echo "$DS" | sed 's/ [0-9a-f]*$/ zz/')" >"$T/unbound-bad.conf"
check "unbound-checkconf rejects a broken anchor (sanity)" \
	bash -c "! unbound-checkconf '$T/unbound-bad.conf' >/dev/null 2>&1"
check "ds output is one line with single spaces" [ "$(echo "$DS" | norm)" = "$DS" ]

chmod 644 "$S/ksk.key"
rc_is 1 "ds refuses a ksk.key of mode 0644" "$SP" -c "$C" ds
check "the refusal names the file" grep -q "ksk.key" "$T/err"
chmod 600 "$S/ksk.key"
rc_is 1 "ds with a missing config names it" "$SP" -c "$T/nope.conf" ds
check "the missing config is named" grep -q "$T/nope.conf" "$T/err"

# ECDSA P-256 (algorithm 13)
E="$T/sp13"
rc_is 0 "init signpost --algorithm ecdsap256sha256" "$SP" init signpost --zone bob.example. \
	--dir "$E" --address ::1 --algorithm ecdsap256sha256 --name dns1
"$SP" -c "$E/signpost.conf" dnskey >"$T/dnskey13.rr"
check "ECDSA KSK is algorithm 13" [ "$(norm <"$T/dnskey13.rr" | awk '{print $5, $7}')" = "257 13" ]
check "ldns-key2ds agrees for ECDSA" [ "$(ldns-key2ds -n -2 "$T/dnskey13.rr" | norm)" = "$("$SP" -c "$E/signpost.conf" ds | norm)" ]
check "IPv6 address gives AAAA for the named server" bash -c \
	"ldns-read-zone '$E/zone.db' | grep -q '^dns1.bob.example.[[:space:]].*AAAA[[:space:]]*::1'"
check "--name names the signpost's KEY and the SRV target, default port 51820" bash -c \
	"ldns-read-zone '$E/zone.db' | grep -qE '^dns1.bob.example.[[:space:]].*KEY[[:space:]]+512 3 15 ' &&
	 ldns-read-zone '$E/zone.db' | grep -qE '^_signpost._udp.bob.example.[[:space:]].*SRV[[:space:]]+0 0 51820 dns1.bob.example.\$'"

# --port 0 (the daemon picks the port): no SRV can name it, the zone still reads
rc_is 0 "init signpost --port 0" "$SP" init signpost --zone carl.example. --dir "$T/sp0" \
	--address 127.0.0.1 --port 0
check "--port 0 writes no _signpost._udp SRV" bash -c \
	"ldns-read-zone '$T/sp0/zone.db' >'$T/zone0.txt' && grep -q KEY '$T/zone0.txt' && ! grep -q SRV '$T/zone0.txt'"

# bad input: usage errors
rc_is 2 "init signpost without options" "$SP" init signpost
rc_is 2 "init signpost with a bad zone" "$SP" init signpost --zone "a..b" --dir "$T/x" --address 127.0.0.1
rc_is 2 "init signpost with a bad address" "$SP" init signpost --zone a.example --dir "$T/x" --address 1.2.3.400
rc_is 2 "init signpost with a bad algorithm" "$SP" init signpost --zone a.example --dir "$T/x" --address 127.0.0.1 --algorithm rsa
check "failed init left no folder" [ ! -e "$T/x" ]

# ---- init device ----
D="$T/dev"
SPK=$("$SP" pubkey <"$S/node.key")
rc_is 0 "init device" "$SP" init device --zone alice.example --name laptop --dir "$D" \
	--signpost 127.0.0.1:51999 --signpost-key "$SPK"
cp "$T/out" "$T/dev.out"
check "device dir is 0700" [ "$(mode_of "$D")" = 700 ]
check "device node.key is 0600" [ "$(mode_of "$D/node.key")" = 600 ]
DPK=$("$SP" pubkey <"$D/node.key"); DWG=$("$SP" pubkey --wireguard <"$D/node.key")
check "device prints its Ed25519 key" grep -q "$DPK" "$T/dev.out"
check "device prints its WireGuard key" grep -q "$DWG" "$T/dev.out"
check "device prints the zone add line" grep -qF "zone add laptop.alice.example. KEY \"512 3 15 $DPK\"" "$T/dev.out"
check "device prints no DNSKEY zone add line (device keys are KEY records)" bash -c "! grep -q 'zone add .*DNSKEY' '$T/dev.out'"
check "device.conf names the signpost" grep -q "^public-key = $SPK$" "$D/device.conf"
check "device.conf has role device" grep -q "^role = device$" "$D/device.conf"
# The tunnel [peer]: the signpost's X25519 key (as `signpost pubkey --wireguard` of its
# node.key), at --signpost, for the zone's /48 (fd + BLAKE2b-256("alice.example.")[0..5]).
sect() { awk -v s="[$2]" '/^\[/ { on = ($0 == s) } on && !/^#/' "$1"; } # FILE SECTION
SWG=$("$SP" pubkey --wireguard <"$S/node.key")
P48=$(python3 -c 'import hashlib, ipaddress
h = hashlib.blake2b(b"alice.example.", digest_size=32).digest()
print(ipaddress.IPv6Network((b"\xfd" + h[:5] + bytes(10), 48)))')
sect "$D/device.conf" peer >"$T/dev.peer"
check "device.conf has one [peer]" [ "$(grep -c '^\[peer\]$' "$D/device.conf")" = 1 ]
check "device.conf [peer] has the signpost's WireGuard key" grep -qx "public-key = $SWG" "$T/dev.peer"
check "device.conf [peer] endpoint is --signpost" grep -qx "endpoint = 127.0.0.1:51999" "$T/dev.peer"
check "device.conf [peer] routes the zone's /48 ($P48)" grep -qx "allowed-ips = $P48" "$T/dev.peer"
check "device.conf [peer] keepalive 25" grep -qx "persistent-keepalive = 25" "$T/dev.peer"
check "device.conf [tunnel] is off, as init signpost's" bash -c \
	"[ \"\$(awk '/^\[/ { on = (\$0 == \"[tunnel]\") } on && /^enabled =/' '$D/device.conf')\" = 'enabled = no' ]"
check "device.conf says the tunnel needs CAP_NET_ADMIN" grep -q "CAP_NET_ADMIN" "$D/device.conf"
# The signpost-side [peer] lines it printed: the device's X25519 key and overlay /128.
DOV=$(sed -n 's/.* zone add laptop\.alice\.example\. AAAA \(fd[0-9a-f:]*\)$/\1/p' "$T/dev.out")
sed -n '/^     \[peer\]$/,/^     allowed-ips = /s/^     //p' "$T/dev.out" >"$T/sp.peer"
check "device prints [peer] lines for the signpost" [ "$(head -n 1 "$T/sp.peer")" = "[peer]" ]
check "the printed [peer] has the device's WireGuard key" grep -qx "public-key = $DWG" "$T/sp.peer"
check "the printed [peer] allows the device's overlay /128" grep -qx "allowed-ips = $DOV/128" "$T/sp.peer"
check "the overlay address is in the zone's /48" python3 -c 'import ipaddress, sys
sys.exit(ipaddress.IPv6Address(sys.argv[1]) not in ipaddress.IPv6Network(sys.argv[2]))' "$DOV" "$P48"
rc_is 0 "init device with an IPv6 signpost" "$SP" init device --zone alice.example --name tablet \
	--dir "$T/dev6" --signpost "[::1]:51999" --signpost-key "$SPK"
check "IPv6 endpoint in the [peer]" grep -qx "endpoint = \[::1\]:51999" "$T/dev6/device.conf"
rc_is 1 "init device refuses to overwrite" "$SP" init device --zone alice.example --name laptop \
	--dir "$D" --signpost 127.0.0.1:51999 --signpost-key "$SPK"
rc_is 2 "init device with a bad key" "$SP" init device --zone alice.example --name laptop \
	--dir "$T/d2" --signpost 127.0.0.1:51999 --signpost-key nope
# 32 zero bytes: a point of small order, with no X25519 key for the [peer].
rc_is 2 "init device with a small-order signpost key" "$SP" init device --zone alice.example \
	--name laptop --dir "$T/d2" --signpost 127.0.0.1:51999 \
	--signpost-key AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
rc_is 2 "init device with a bad endpoint" "$SP" init device --zone alice.example --name laptop \
	--dir "$T/d2" --signpost 127.0.0.1 --signpost-key "$SPK"
rc_is 2 "init device with a bad name" "$SP" init device --zone alice.example --name "a.b" \
	--dir "$T/d2" --signpost "[::1]:5" --signpost-key "$SPK"
rc_is 1 "ds on a device config" "$SP" -c "$D/device.conf" ds
rc_is 2 "init device with another zone's anchor" "$SP" init device --zone alice.example --name x \
	--dir "$T/d2" --signpost 127.0.0.1:1 --signpost-key "$SPK" \
	--trust-anchor "$("$SP" -c "$E/signpost.conf" ds)"
# The enrollment command that init signpost printed works as pasted.
CMD=$(sed -n '/^ *signpost init device/,/--trust-anchor/p' "$T/init.out" | tr -d '\\\n' |
	sed "s|--name NAME --dir DIR|--name phone --dir $T/dev2|; s|^ *signpost|\"\$SP\"|")
rc_is 0 "the printed init device command works" eval "$CMD"
check "device.conf holds the DS as trust anchor" grep -qF "trust-anchor = $DS" "$T/dev2/device.conf"
check "device.conf has the signpost's DNS server" grep -q "^dns = 127.0.0.1:5399$" "$T/dev2/device.conf"

# ---- init device --token ----
# Tokens made here from the contract's layout (ISSUE8.md, "Tokens"), independently of
# cp_token.c: spt1- + base64url(version 1, expiry u64, id[16], secret[32], signpost_ed[32],
# zone, name, n_ep endpoints (family, port, addr[16]), anchor), strings len(1) + bytes.
# mktoken ZONE NAME EXPIRY_OFFSET_S ENDPOINT... (the anchor is $TOKEN_ANCHOR)
mktoken() {
	python3 - "$SPK" "$TOKEN_ANCHOR" "$@" <<'PY'
import base64, ipaddress, os, struct, sys, time
key, anchor, zone, name, off = sys.argv[1:6]
def s(t): b = t.encode(); return bytes([len(b)]) + b
out = bytes([1]) + struct.pack(">Q", int(time.time()) + int(off)) + os.urandom(48)
out += base64.b64decode(key) + s(zone) + s(name) + bytes([len(sys.argv[6:])])
for ep in sys.argv[6:]:
    host, port = ep.rsplit(":", 1)
    a = ipaddress.ip_address(host.strip("[]"))
    out += bytes([a.version]) + struct.pack(">H", int(port)) + a.packed.ljust(16, b"\0")
out += s(anchor)
print("spt1-" + base64.urlsafe_b64encode(out).decode().rstrip("="))
PY
}
TOKEN_ANCHOR=$DS
TOK=$(mktoken alice.example. laptop2 3600 127.0.0.1:51999)
TD="$T/tokdev"
rc_is 0 "init device --token" "$SP" init device --token "$TOK" --dir "$TD"
cp "$T/out" "$T/tok.out"
check "token device dir is 0700" [ "$(mode_of "$TD")" = 700 ]
check "token device node.key is 0600" [ "$(mode_of "$TD/node.key")" = 600 ]
check "token device token is 0600" [ "$(mode_of "$TD/token")" = 600 ]
check "DIR/token holds the token" [ "$(cat "$TD/token")" = "$TOK" ]
check "token device node.key holds a private key" is_b64_key "$(cat "$TD/node.key")"
TC="$TD/device.conf"
check "token device.conf has role device" [ "$(sect "$TC" node | grep '^role =')" = "role = device" ]
check "token device.conf has the token's zone" grep -qx "zone = alice.example." "$TC"
check "token device.conf has the token's name" grep -qx "name = laptop2" "$TC"
sect "$TC" signpost >"$T/tok.signpost"
check "token [signpost] dns is the control address, port 53" grep -qx "dns = 127.0.0.1:53" "$T/tok.signpost"
check "token [signpost] trust-anchor is the token's anchor" grep -qxF "trust-anchor = $DS" "$T/tok.signpost"
check "token [tunnel] is on" [ "$(sect "$TC" tunnel | grep '^enabled =')" = "enabled = yes" ]
check "token device.conf has no [peer]: sessions are made on demand" bash -c "! grep -q '^\[peer\]' '$TC'"
sect "$TC" control >"$T/tok.control"
check "token [control] signpost is the token's endpoint" grep -qx "signpost = 127.0.0.1:51999" "$T/tok.control"
check "token [control] signpost-key is the signpost's key" grep -qx "signpost-key = $SPK" "$T/tok.control"
check "token [control] token-file = token" grep -qx "token-file = token" "$T/tok.control"
TPK=$("$SP" pubkey <"$TD/node.key")
check "init --token prints the device" grep -q "^Created device laptop2.alice.example. in " "$T/tok.out"
check "init --token prints the node key" grep -q "$TPK" "$T/tok.out"
check "init --token prints the next step" grep -q "signpostd -c .*/tokdev/device.conf" "$T/tok.out"
check "init --token prints no zone add lines" bash -c "! grep -q 'zone add' '$T/tok.out'"
rc_is 1 "init --token refuses to overwrite" "$SP" init device --token "$TOK" --dir "$TD"
rc_is 0 "init --token - reads the token from stdin" sh -c "echo '$TOK' | '$SP' init device --token - --dir '$T/tokstdin'"
check "the stdin token is in DIR/token" [ "$(cat "$T/tokstdin/token")" = "$TOK" ]
TOK6=$(mktoken alice.example. tablet2 600 "[::1]:51999" 127.0.0.1:51999)
rc_is 0 "init --token with an IPv6 endpoint first" "$SP" init device --token "$TOK6" --dir "$T/tok6"
check "IPv6 token: [signpost] dns = [::1]:53" grep -qx "dns = \[::1\]:53" "$T/tok6/device.conf"
check "IPv6 token: [control] signpost = [::1]:51999" grep -qx "signpost = \[::1\]:51999" "$T/tok6/device.conf"
OLD=$(mktoken alice.example. laptop3 -10 127.0.0.1:51999)
rc_is 1 "init --token refuses an expired token" "$SP" init device --token "$OLD" --dir "$T/tokold"
check "the refusal says when it expired" grep -Eq "token expired at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC" "$T/err"
check "an expired token writes nothing" [ ! -e "$T/tokold" ]
for junk in "hello" "spt1-" "spt1-AAAA" "spt2-${TOK#spt1-}" "${TOK}x" "${TOK%????}"; do
	rc_is 2 "init --token refuses junk '${junk:0:12}...'" "$SP" init device --token "$junk" --dir "$T/tokjunk"
	check "junk is 'not a Signpost token'" grep -q "not a Signpost token" "$T/err"
done
check "junk writes nothing" [ ! -e "$T/tokjunk" ]
TOKEN_ANCHOR=$("$SP" -c "$E/signpost.conf" ds)
BAD=$(mktoken alice.example. laptop4 600 127.0.0.1:51999)
rc_is 1 "init --token refuses a token whose anchor is another zone's" "$SP" init device --token "$BAD" --dir "$T/tokbad"
check "a bad anchor writes nothing" [ ! -e "$T/tokbad" ]
TOKEN_ANCHOR=$DS
rc_is 1 "init --token refuses a token whose name is not a label" "$SP" init device \
	--token "$(mktoken alice.example. a.b 600 127.0.0.1:51999)" --dir "$T/tokbad"
check "the refusal names the device name" grep -q "device name 'a.b' is not one DNS label" "$T/err"
rc_is 1 "init --token refuses a token with no endpoint" "$SP" init device \
	--token "$(mktoken alice.example. laptop5 600)" --dir "$T/tokbad"
check "a refused token writes nothing" [ ! -e "$T/tokbad" ]
rc_is 2 "init --token with --zone" "$SP" init device --token "$TOK" --zone alice.example --dir "$T/tokz"
check "the refusal says the token replaces --zone" grep -q -- "--zone: the token carries" "$T/err"
rc_is 2 "init --token without --dir" "$SP" init device --token "$TOK"
rc_is 0 "init device --help" "$SP" init device --help
check "init device --help shows the --token form" grep -q "^Usage: signpost init device --token TOKEN --dir DIR" "$T/out"
check "init device --help still shows the flags" grep -q -- "--signpost-key KEY" "$T/out"

# ---- help and usage ----
for c in genkey pubkey init status ds dnskey zone wg-quick "init signpost" "init device" \
	enroll devices revoke friend "friend add" "friend list" "friend remove"; do
	# shellcheck disable=SC2086
	rc_is 0 "$c --help" "$SP" $c --help
	check "$c --help prints a usage" grep -q "^Usage: signpost" "$T/out"
	# shellcheck disable=SC2086
	rc_is 0 "help $c" "$SP" help $c
done
rc_is 0 "--help" "$SP" --help
rc_is 0 "--version" "$SP" --version
rc_is 2 "no command" "$SP"
rc_is 2 "unknown command" "$SP" frobnicate
rc_is 2 "help for an unknown command" "$SP" help frobnicate
rc_is 2 "unknown global option" "$SP" --frobnicate genkey
rc_is 2 "unknown command option" "$SP" genkey --frobnicate
rc_is 2 "zone without arguments" "$SP" -c "$C" zone

# ---- talking to the daemon ----
rc_is 1 "status without a daemon" "$SP" -c "$C" status
check "status names the socket it tried" grep -q "cannot reach signpostd at $S/signpost.sock" "$T/err"
rc_is 1 "zone show without a daemon" "$SP" -c "$C" zone show

# ---- enroll, devices, revoke, friend: arguments checked before the daemon is asked ----
BOB_DS=$("$SP" -c "$E/signpost.conf" ds); BOB_KEY=$("$SP" -c "$E/signpost.conf" dnskey)
rc_is 2 "enroll without a name" "$SP" -c "$C" enroll
rc_is 2 "enroll with a bad name" "$SP" -c "$C" enroll laptop.alice.example.
check "the refusal names the name" grep -q "laptop.alice.example.: not a device name" "$T/err"
for ttl in 0s 5 5x 1h30m -1h 31d 721h 99999999999999999999s; do
	rc_is 2 "enroll --ttl $ttl is refused" "$SP" -c "$C" enroll laptop --ttl "$ttl"
done
check "the refusal explains durations" grep -q "not a duration such as 90s, 30m, 1h or 2d" "$T/err"
rc_is 2 "enroll with two names" "$SP" -c "$C" enroll laptop phone
rc_is 1 "enroll without a daemon (arguments were fine)" "$SP" -c "$C" enroll laptop --ttl 2d
check "enroll names the socket it tried" grep -q "cannot reach signpostd at $S/signpost.sock" "$T/err"
rc_is 2 "devices with an argument" "$SP" -c "$C" devices laptop
rc_is 1 "devices without a daemon" "$SP" -c "$C" devices --json
rc_is 2 "revoke without a name" "$SP" -c "$C" revoke
rc_is 2 "revoke with a bad name" "$SP" -c "$C" revoke -- -laptop
rc_is 1 "revoke without a daemon" "$SP" -c "$C" revoke laptop
rc_is 2 "friend without an action" "$SP" -c "$C" friend
rc_is 2 "friend with an unknown action" "$SP" -c "$C" friend frobnicate
rc_is 2 "friend add without a zone" "$SP" -c "$C" friend add --anchor "$BOB_DS"
rc_is 2 "friend add without --anchor" "$SP" -c "$C" friend add bob.example.
rc_is 2 "friend add with a bad zone" "$SP" -c "$C" friend add "bob..example" --anchor "$BOB_DS"
rc_is 2 "friend add with junk as the anchor" "$SP" -c "$C" friend add bob.example. --anchor "hello"
check "the refusal names --anchor" grep -q -- "--anchor: not a DS or DNSKEY record of bob.example." "$T/err"
rc_is 2 "friend add with another zone's anchor" "$SP" -c "$C" friend add bob.example. --anchor "$DS"
rc_is 2 "friend add with a broken DS" "$SP" -c "$C" friend add bob.example. \
	--anchor "$(echo "$BOB_DS" | sed 's/ [0-9A-Fa-f]*$/ zz/')"
rc_is 2 "friend add with an anchor too long for a device" "$SP" -c "$C" friend add bob.example. \
	--anchor "$BOB_DS; $BOB_KEY; $BOB_DS"
check "the refusal says it is too long" grep -q "more than the 255 a device is sent" "$T/err"
for sp in 1.2.3.400 "127.0.0.1:0" "127.0.0.1:65536" "[::1" "bob.example:53"; do
	rc_is 2 "friend add --signpost $sp is refused" "$SP" -c "$C" friend add bob.example. \
		--anchor "$BOB_DS" --signpost "$sp"
done
for allow in "" "nas,,tv" ",nas" "nas," "nas.alice" "nas,NAS" "-nas"; do
	rc_is 2 "friend add --allow '$allow' is refused" "$SP" -c "$C" friend add bob.example. \
		--anchor "$BOB_DS" --allow "$allow"
done
rc_is 1 "friend add without a daemon (arguments were fine)" "$SP" -c "$C" friend add \
	bob.example. --anchor "$BOB_DS" --signpost "[::1]:5353" --allow nas,tv
rc_is 2 "friend list with an argument" "$SP" -c "$C" friend list bob.example.
rc_is 2 "friend remove without a zone" "$SP" -c "$C" friend remove
rc_is 2 "friend remove with a bad zone" "$SP" -c "$C" friend remove "a b"
rc_is 1 "friend remove without a daemon" "$SP" -c "$C" friend remove bob.example

# ---- the words forwarded, against a stand-in for signpostd's control socket ----
# It logs each request's words joined by '|' and answers "ok"; a word "fail" is refused
# with status -2 (ENOENT) and the text "no such thing".
cat >"$T/fakectl.py" <<'PY'
import os, socket, struct, sys
path, log = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(8)
open(path + ".ready", "w").close()
while True:
    c, _ = s.accept()
    def full(n):
        b = b""
        while len(b) < n:
            d = c.recv(n - len(b))
            if not d: raise EOFError
            b += d
        return b
    try:
        n, = struct.unpack(">I", full(4))
        words = full(n).split(b"\0")[:-1]
    except EOFError:
        c.close(); continue
    with open(log, "a") as f: f.write("|".join(w.decode() for w in words) + "\n")
    fail = b"fail" in words
    text = b"no such thing\n" if fail else b"ok\n"
    c.sendall(struct.pack(">IiI", 2, -2 if fail else 0, len(text)) + text)
    c.close()
PY
python3 "$T/fakectl.py" "$S/signpost.sock" "$T/ctl.log" &
FAKE_PID=$!
for _ in $(seq 100); do [ -e "$S/signpost.sock.ready" ] && break; sleep 0.05; done
check "the stand-in control socket is up" [ -e "$S/signpost.sock.ready" ]
# fwd NAME WANT ARGS...: the CLI exits 0 and the daemon got exactly WANT
fwd() {
	local n=$1 want=$2; shift 2
	: >"$T/ctl.log"
	rc_is 0 "$n" "$SP" -c "$C" "$@"
	local got; got=$(cat "$T/ctl.log")
	if [ "$got" = "$want" ]; then pass "$n forwards '$want'"; else fail "$n forwards '$got', want '$want'"; fi
}
fwd "enroll" "enroll|laptop|3600" enroll laptop
fwd "enroll --ttl 30m --json" "enroll|phone|1800|json" enroll Phone --ttl 30m --json
fwd "enroll --ttl 90s" "enroll|nas|90" enroll --ttl 90s nas
fwd "enroll --ttl 2d" "enroll|nas|172800" enroll nas --ttl=2d
fwd "enroll --ttl 30d" "enroll|nas|2592000" enroll nas --ttl 30d
fwd "enroll --ttl 720h" "enroll|nas|2592000" enroll nas --ttl 720h
fwd "devices" "devices" devices
fwd "devices --json" "devices|json" devices --json
fwd "revoke" "revoke|laptop" revoke LAPTOP
fwd "friend add (all options)" "friend|add|bob.example.|$BOB_DS|127.0.0.1:53|nas,tv" \
	friend add Bob.Example --anchor "$BOB_DS" --signpost 127.0.0.1 --allow NAS,tv
fwd "friend add (anchor only)" "friend|add|bob.example.|$BOB_DS|-|-" \
	friend add bob.example. --anchor "$BOB_DS"
fwd "friend add with a DNSKEY anchor and an IPv6 signpost" \
	"friend|add|bob.example.|$BOB_KEY|[::1]:5353|-" \
	friend add bob.example. --anchor "$BOB_KEY" --signpost "[::1]:5353"
fwd "friend add with an anchor of two lines" "friend|add|bob.example.|$BOB_DS; $BOB_KEY|-|nas" \
	friend add bob.example. --anchor "$BOB_DS
$BOB_KEY" --allow nas
fwd "friend list" "friend|list" friend list
fwd "friend list --json" "friend|list|json" friend list --json
fwd "friend remove" "friend|remove|bob.example." friend remove BOB.example
fwd "options after the command: -c" "devices" devices -c "$C"
rc_is 1 "a refusal from the daemon exits 1" "$SP" -c "$C" revoke fail
check "the daemon's refusal is printed on stderr" grep -q "no such thing" "$T/err"
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=
rm -f "$S/signpost.sock" "$S/signpost.sock.ready"

if [ -x "$SPD" ]; then
	rc_is 0 "signpostd --check accepts the signpost config" "$SPD" --check -c "$C"
	check "--check prints configuration OK" grep -q "configuration OK" "$T/out" "$T/err"
	rc_is 0 "signpostd --check accepts the device config" "$SPD" --check -c "$D/device.conf"
	rc_is 0 "signpostd --check accepts the device config made from a token" "$SPD" --check -c "$TC"
	sed '/^\[tunnel\]/,$ s/^enabled = no$/enabled = yes/' "$D/device.conf" >"$D/tunnel.conf"
	check "(sanity) the copy turns the tunnel on" grep -qx "enabled = yes" "$D/tunnel.conf"
	rc_is 0 "signpostd --check accepts the device config with the tunnel on" \
		"$SPD" --check -c "$D/tunnel.conf"
	cp "$C" "$S/peers.conf"
	printf '\n' >>"$S/peers.conf"; cat "$T/sp.peer" >>"$S/peers.conf"
	rc_is 0 "signpostd --check accepts signpost.conf with the printed [peer]" \
		"$SPD" --check -c "$S/peers.conf"
	printf '[peer]\npublic-key = nope\n' >>"$S/peers.conf"
	rc_is 1 "(sanity) signpostd --check refuses a broken [peer]" "$SPD" --check -c "$S/peers.conf"
	# Run the node with no plane that needs the network or root, and ask it.
	R="$T/run"
	"$SP" init signpost --zone carol.example --dir "$R" --address 127.0.0.1 --dns-port 5399 >/dev/null
	sed -i 's/^\[dns\]$/[dns]\nenabled = no/' "$R/signpost.conf"
	"$SPD" -c "$R/signpost.conf" >"$T/daemon.log" 2>&1 &
	DAEMON_PID=$!
	up=no
	for _ in $(seq 100); do
		if "$SP" -c "$R/signpost.conf" status >"$T/status" 2>/dev/null; then up=yes; break; fi
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	check "status from a running signpostd" [ $up = yes ]
	check "status names the zone" grep -q "carol.example." "$T/status"
	check "status names the role" grep -q "signpost" "$T/status"
	"$SP" -c "$R/signpost.conf" status --json >"$T/status.json"
	check "status --json is JSON" jq -e . "$T/status.json" >/dev/null
	kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
	check "signpostd exits 0 on SIGTERM" [ $rc = 0 ]
	[ $up = yes ] || cat "$T/daemon.log"

	# Serve the zone: the enrollment line init device printed, and nsupdate
	# with tsig.key, work against the running signpost.
	L="$T/live"
	up=no
	for _ in 1 2 3; do
		rm -rf "$L"
		DNS_PORT=$((20000 + RANDOM % 30000))
		"$SP" init signpost --zone dave.example --dir "$L" --address 127.0.0.1 \
			--dns-port "$DNS_PORT" >/dev/null
		"$SPD" -c "$L/signpost.conf" >"$T/daemon.log" 2>&1 &
		DAEMON_PID=$!
		for _ in $(seq 100); do
			if "$SP" -c "$L/signpost.conf" status 2>/dev/null | grep -q "state: serving"; then
				up=yes; break
			fi
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		[ $up = yes ] && break
		kill "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	done
	check "signpostd serves the zone init made" [ $up = yes ]
	"$SP" init device --zone dave.example --name laptop --dir "$T/dave-laptop" \
		--signpost 127.0.0.1:51820 --signpost-key "$("$SP" pubkey <"$L/node.key")" >"$T/dave.out"
	ADD=$(grep "zone add" "$T/dave.out" | sed "s|^ *signpost -c SIGNPOST-DIR/|\"\$SP\" -c $L/|")
	rc_is 0 "the printed zone add line enrolls the device" eval "$ADD"
	LPK=$("$SP" pubkey <"$T/dave-laptop/node.key")
	check "the device KEY is served" bash -c "dig +short +norec @127.0.0.1 -p $DNS_PORT \
		laptop.dave.example. KEY | grep -qF '512 3 15 $LPK'"
	printf 'server 127.0.0.1 %s\nzone dave.example.\nupdate add www.dave.example. 300 IN A 192.0.2.80\nsend\n' \
		"$DNS_PORT" >"$T/update.txt"
	check "nsupdate -k tsig.key updates the zone" bash -c "nsupdate -k '$L/tsig.key' <'$T/update.txt'"
	"$SP" -c "$L/signpost.conf" ds --bind >"$T/dave-anchor.conf"
	delv -a "$T/dave-anchor.conf" +root=dave.example. @127.0.0.1 -p "$DNS_PORT" www.dave.example. A \
		>"$T/delv.out" 2>&1
	check "delv validates the update with the anchor from signpost ds" \
		grep -q "^; fully validated" "$T/delv.out"
	rc_is 0 "zone show" "$SP" -c "$L/signpost.conf" zone show
	check "zone show lists the device" grep -q "^laptop.dave.example." "$T/out"
	rc_is 1 "zone with bad arguments fails" "$SP" -c "$L/signpost.conf" zone frobnicate
	kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
	check "serving signpostd exits 0 on SIGTERM" [ $rc = 0 ]
	[ $up = yes ] || cat "$T/daemon.log"
else
	echo "skip - $SPD not built: no --check or status checks"
fi

echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
