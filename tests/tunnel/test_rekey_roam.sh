#!/usr/bin/env bash
# test_rekey_roam.sh BUILD_DIR - two signpostd nodes: rekeying under load,
# replay protection, roaming.
#
# Timers are shortened with SIGNPOST_INTERVALS (rekey every 2 s).  Checks:
# several rekeys during an iperf3 TCP transfer that still completes; a
# captured data message and a captured initiation, replayed, are dropped
# (counters in `signpost status`) and the session keeps working; after the
# test renumbers node b's namespace, node a follows b to its new address.
set -u
source "$(dirname "$0")/tunlib.sh" "$1"
trap tl_cleanup EXIT
command -v iperf3 >/dev/null || tl_fail "needs iperf3"
CAP="python3 $(cd "$(dirname "$0")" && pwd)/wgcap.py"

export SIGNPOST_INTERVALS="tunnel.rekey-after=2000,tunnel.reject-after=5000,tunnel.rekey-timeout=500,tunnel.keepalive=1000,tunnel.rekey-attempt=3000"
tl_ns a
tl_ns b
tl_veth a 192.0.2.1 b 192.0.2.2
tl_signpostd na a 51820
tl_signpostd nb b 51820
OA=$(tl_overlay na)
OB=$(tl_overlay nb)
cat >>"$TL_DIR/na/signpost.conf" <<EOF
[peer]
public-key = $(tl_wgkey nb)
endpoint = 192.0.2.2:51820
allowed-ips = $OB/128
EOF
cat >>"$TL_DIR/nb/signpost.conf" <<EOF
[peer]
public-key = $(tl_wgkey na)
endpoint = 192.0.2.1:51820
allowed-ips = $OA/128
EOF

# Capture a's first initiation and first data message toward b.
mkdir -p "$TL_DIR/cap"
tl_bg cap ip netns exec "$(tl_nsname a)" $CAP capture "v${TL_ID}a" 51820 "$TL_DIR/cap" 30
tl_wait 10 test -f "$TL_DIR/cap/ready" || tl_fail "capture did not start"
tl_reload na
tl_reload nb
tl_wait 10 tl_status_is na peers 1 || tl_fail "na: SIGHUP did not add the peer"
tl_wait 10 tl_status_is nb peers 1 || tl_fail "nb: SIGHUP did not add the peer"
tl_wait 15 tl_exec a ping -6 -c1 -W1 "$OB" || tl_fail "no ping a -> b"
tl_exec a ping -6 -c2 -i0.2 -s 200 "$OB" >/dev/null
tl_wait 10 test -f "$TL_DIR/cap/data.bin" -a -f "$TL_DIR/cap/init.bin" || tl_fail "nothing captured"
tl_log "session up, packets captured"

# ---- replays: a data message (sent again from another source port) and an initiation.
r0=$(tl_status nb rx-replayed)
tl_exec a $CAP send 192.0.2.2 51820 "$TL_DIR/cap/data.bin" 3 >/dev/null
tl_wait 5 tl_status_ge nb rx-replayed $((r0 + 1)) ||
	tl_fail "replayed data not counted (rx-replayed $(tl_status nb rx-replayed), unknown-index $(tl_status nb rx-unknown-index))"
i0=$(tl_status nb initiations-replayed)
tl_exec a $CAP send 192.0.2.2 51820 "$TL_DIR/cap/init.bin" 2 >/dev/null
tl_wait 5 tl_status_ge nb initiations-replayed $((i0 + 1)) || tl_fail "replayed initiation not counted"
tl_exec a ping -6 -c2 -i0.2 -W2 "$OB" >/dev/null || tl_fail "session broken by the replays"
tl_ctl nb status | grep -q "endpoint 192.0.2.1:51820 " || tl_fail "a replay moved the endpoint"
tl_log "replayed data ($(tl_status nb rx-replayed)) and initiation ($(tl_status nb initiations-replayed)) dropped"

# ---- rekeys during a TCP transfer.
h0=$(( $(tl_status na handshakes) + $(tl_status nb handshakes) ))
tl_bg iperf_srv ip netns exec "$(tl_nsname b)" iperf3 -s -B "$OB"
tl_wait 10 tl_exec a bash -c "echo > /dev/tcp/$OB/5201" || tl_fail "iperf3 server not reachable"
tl_exec a iperf3 -6 -c "$OB" -t 8 -J >"$TL_DIR/iperf.json" 2>&1 ||
	tl_fail "iperf3 failed during rekeys: $(tail -5 "$TL_DIR/iperf.json")"
bytes=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$TL_DIR/iperf.json")
h1=$(( $(tl_status na handshakes) + $(tl_status nb handshakes) ))
[ "$bytes" -gt 0 ] || tl_fail "iperf3 moved no data"
[ $((h1 - h0)) -ge 3 ] || tl_fail "only $((h1 - h0)) rekeys during the transfer"
tl_log "TCP stream of $bytes bytes survived $((h1 - h0)) handshakes"

# ---- roaming: b moves to a new address; a follows its authenticated packets.
# (delete first: deleting a primary address takes same-subnet secondaries with it)
tl_exec b ip addr del 192.0.2.2/24 dev "v${TL_ID}b"
tl_exec b ip addr add 192.0.2.3/24 dev "v${TL_ID}b"
tl_wait 15 tl_exec b ping -6 -c1 -W1 "$OA" || tl_fail "no ping b -> a after renumbering"
tl_wait 5 bash -c "'$SIGNPOST' -c '$TL_DIR/na/signpost.conf' status | grep -q 'endpoint 192.0.2.3:51820 '" ||
	tl_fail "a did not follow b: $(tl_ctl na status | grep peer0)"
tl_exec a ping -6 -c3 -i0.2 -W2 "$OB" >/dev/null || tl_fail "no ping a -> b at b's new address"
tl_log "roaming followed to 192.0.2.3"

# ---- b goes away: a's handshake retries give up (rekey-attempt 3 s at 0.5 s per retry).
kill "$PID_nb"
tl_wait 10 bash -c "! kill -0 $PID_nb 2>/dev/null" || tl_fail "nb did not stop"
tl_exec a ping -6 -c 3 -i 0.5 -W 1 "$OB" >/dev/null 2>&1
tl_wait 30 grep -q "handshake did not complete after .* attempts, giving up" "$TL_DIR/na.log" ||
	tl_fail "a did not give up its handshake"
tl_log "handshake retries gave up"

# ---- a later handshake gets the full number of retries again: the attempt
# count starts over with each new initiation (before, it gave up at once).
r0=$(tl_status na handshake-retries)
tl_exec a ping -6 -c 1 -W 1 "$OB" >/dev/null 2>&1
tl_wait 30 bash -c "[ \$(grep -c 'handshake did not complete after .* attempts, giving up' '$TL_DIR/na.log') -ge 2 ]" ||
	tl_fail "the second handshake did not give up"
r1=$(tl_status na handshake-retries)
# rekey-attempt / rekey-timeout = 6 retransmissions at least
[ $((r1 - r0)) -ge 6 ] || tl_fail "the second handshake retried only $((r1 - r0)) times"
tl_log "second handshake retried $((r1 - r0)) times before giving up"
echo PASS
