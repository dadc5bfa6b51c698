#!/bin/bash
# test_reload.sh - a reload's check is cheap (issue 7): with a 5000-name zone,
# a SIGHUP that changes no zone file or key keeps the running zone (status:
# zone-loads stays 1, sigs-made and the serial do not move, no zone-changed
# event); check() still refuses a key file with a loose mode and a missing
# zone file (file:line), but without loading the zone.  A changed zone-file
# path does load the new zone once, in prepare(), and announces it
# (SP_EV_ZONE_CHANGED, counted by status "events").  `signpostd --check`
# (offline) still trial-loads the zone and refuses one that does not parse.
# Counters only, never timing.  Loopback only: a random 127.x.y.z address.
# Usage: test_reload.sh BUILD_DIR
set -u
source "$(dirname "$0")/../lib/harness.sh" dnsreload "${1:-}"
ZONE=reload.example.
NAMES=5000

need dig

ADDR=$(rnd127)
PORT=$(rndport)
D=$T/sp
CONF=$D/signpost.conf

"$B/signpost" init signpost --zone $ZONE --dir "$D" --address $ADDR --dns-port $PORT \
	> "$T/init.log" 2>&1 || fail "signpost init signpost"
# zone-sync would rewrite zone.db; this test wants the files to stay as it wrote them.
sed -i 's/^\[dns\]$/[dns]\nzone-sync = no/' "$CONF"
grep -q '^zone-sync = no' "$CONF" || fail "cannot set zone-sync in $CONF"
for i in $(seq 1 $NAMES); do echo "h$i 3600 IN AAAA fd00::$(printf %x "$i")"; done >> "$D/zone.db"

q() { dig @$ADDR -p $PORT +time=2 +tries=1 +norec "$@"; }
st() { "$B/signpost" -c "$CONF" status 2>&1; }
# counter KEY: the value of "KEY: N" in the dns section of status
counter() { st | awk -v k="$1:" '$1 == k { print $2; exit }'; }
events() { st | awk '$1 == "events:" { print $2; exit }'; }
reloads_are() { st | grep -q "reloads: $1"; }

for attempt in 1 2 3 4 5; do
	"$B/signpostd" -c "$CONF" > "$T/signpostd.log" 2>&1 &
	SPD=$!
	PIDS+=($SPD)
	wait_until 30 sh -c "dig @$ADDR -p $PORT +time=1 +tries=1 $ZONE SOA 2>/dev/null | grep -q 'status: '" && break
	kill -0 $SPD 2>/dev/null && fail "signpostd runs but does not answer on $ADDR:$PORT"
	grep -q 'in use' "$T/signpostd.log" || fail "signpostd did not start"
	[ $attempt -lt 5 ] || fail "no free address and port in 5 tries"
	ADDR=$(rnd127)
	PORT=$(rndport)
	sed -i "s/^listen = .*/listen = $ADDR/; s/^port = .*/port = $PORT/" "$CONF"
done
names=$(counter names)
[ "${names:-0}" -gt $NAMES ] || fail "the zone has only ${names:-?} names"
loads0=$(counter zone-loads)
sigs0=$(counter sigs-made)
serial0=$(counter serial)
ev0=$(events)
[ "$loads0" = 1 ] || fail "zone-loads at start: $loads0"
[ "${sigs0:-0}" -gt $NAMES ] || fail "sigs-made at start: $sigs0"
pass "serving $names names: zone-loads $loads0, sigs-made $sigs0, serial $serial0"

# --- an unchanged zone: SIGHUP with a changed limit keeps the running zone ---
sed -i 's/^\[dns\]$/[dns]\ntcp-clients = 99/' "$CONF"
kill -HUP $SPD
wait_until 30 reloads_are "1 ok, 0 refused" || fail "reload not applied: $(st)"
[ "$(counter zone-loads)" = 1 ] || fail "SIGHUP loaded the zone again: zone-loads $(counter zone-loads)"
[ "$(counter sigs-made)" = "$sigs0" ] || fail "SIGHUP re-signed: sigs-made $sigs0 -> $(counter sigs-made)"
[ "$(counter serial)" = "$serial0" ] || fail "SIGHUP moved the serial: $serial0 -> $(counter serial)"
[ "$(events)" = "$ev0" ] || fail "SIGHUP emitted a zone change: events $ev0 -> $(events)"
grep -q "zone file or keys changed" "$T/signpostd.log" && fail "the log says the zone was reloaded"
q h4321.$ZONE AAAA | grep -q 'fd00::10e1' || fail "h4321 not served after the reload"
pass "SIGHUP, zone unchanged: zone-loads 1, sigs-made $sigs0, serial $serial0, no event"

# --- check() still refuses what is wrong with the zone's files, without loading them ---
chmod 0644 "$D/ksk.key"
kill -HUP $SPD
wait_until 30 reloads_are "1 ok, 1 refused" || fail "a 0644 KSK was not refused: $(st)"
chmod 0600 "$D/ksk.key"
mv "$D/zone.db" "$D/zone.db.away"
kill -HUP $SPD
wait_until 30 reloads_are "1 ok, 2 refused" || fail "a missing zone file was not refused: $(st)"
grep -q "signpost.conf:[0-9]*.*zone-file.*cannot read" "$T/signpostd.log" ||
	fail "the missing zone file was not named with file:line"
mv "$D/zone.db.away" "$D/zone.db"
[ "$(counter zone-loads)" = 1 ] || fail "a refused reload loaded the zone: $(counter zone-loads)"
[ "$(counter sigs-made)" = "$sigs0" ] || fail "a refused reload signed: $(counter sigs-made)"
pass "reload refused for a 0644 key file and a missing zone file; zone not loaded"

# --- a new zone-file path: loaded once, in prepare(), and announced ---
cp "$D/zone.db" "$D/zone2.db"
echo "newname 3600 IN AAAA fd00::beef" >> "$D/zone2.db"
# The file's serial must be newer for the secondaries: take the current one plus one.
sed -i -E "s/^([[:space:]]*)[0-9]+([[:space:]]*; serial)/\1$((serial0 + 1))\2/" "$D/zone2.db"
grep -q "$((serial0 + 1))" "$D/zone2.db" || fail "cannot set the serial of zone2.db"
sed -i "s|^zone-file = .*|zone-file = $D/zone2.db|" "$CONF"
grep -q "^zone-file = $D/zone2.db" "$CONF" || fail "cannot set zone-file in $CONF"
kill -HUP $SPD
wait_until 30 reloads_are "2 ok, 2 refused" || fail "reload with a new zone file: $(st)"
[ "$(counter zone-loads)" = 2 ] || fail "the new zone file was not loaded: zone-loads $(counter zone-loads)"
q newname.$ZONE AAAA | grep -q 'fd00::beef' || fail "the new zone file is not served"
wait_until 10 sh -c "[ \"\$(\"$B/signpost\" -c \"$CONF\" status 2>&1 | awk '\$1 == \"events:\" { print \$2; exit }')\" -gt $ev0 ]" ||
	fail "no zone-changed event for the new zone: events $ev0 -> $(events)"
pass "a new zone-file path: zone-loads 2, newname served, zone change announced"

# --- a change through `signpost zone add` is an event too ---
ev1=$(events)
"$B/signpost" -c "$CONF" zone add laptop AAAA fd00::1 > "$T/add.log" 2>&1 || fail "zone add: $(cat "$T/add.log")"
wait_until 10 sh -c "[ \"\$(\"$B/signpost\" -c \"$CONF\" status 2>&1 | awk '\$1 == \"events:\" { print \$2; exit }')\" -gt $ev1 ]" ||
	fail "no zone-changed event for zone add: events $ev1 -> $(events)"
pass "zone add emits a zone-changed event"

kill -TERM $SPD
rc=0
wait $SPD || rc=$?
forget $SPD
[ $rc -eq 0 ] || fail "signpostd exited $rc on SIGTERM"

# --- offline --check still reads the zone: a zone that does not parse is refused ---
echo "this is not a record" >> "$D/zone2.db"
if "$B/signpostd" --check -c "$CONF" > "$T/check.log" 2>&1; then
	fail "--check accepted a zone file that does not parse"
fi
pass "--check (offline) trial-loads the zone and refuses a broken one"
echo "PASS"
