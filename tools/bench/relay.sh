#!/bin/bash
# relay.sh - a session relayed by our signpost vs a direct path vs a kernel UDP relay.
#
# One NAT lab (tests/lab/natlab.sh), one signpost s1 (relay.example.), four
# devices enrolled at it by token.  In the same run, one after the other,
# ping RTT (PINGS echo requests, 50 ms apart) and iperf3 TCP for SECONDS
# (one stream) over the overlay between two devices:
#   relayed: ra and rb behind symmetric NATs; no direct path exists, so the
#            session (end to end) runs in control RELAY frames through s1's
#            signpostd, which opens and reseals each one (124 bytes more);
#   direct:  da and db of kind none (public addresses); the PING/PONG probe
#            moves the peer to the direct path ("up direct" in status);
#   anchor:  ra and rb again (same hosts, same symmetric NATs, same s1), but
#            signpostd peers configured by hand with [peer] sections: ra's
#            endpoint is s1:ANCHOR_PORT, where the kernel forwards plain UDP
#            (iptables DNAT + MASQUERADE) to a port forward on rb's router.
#            So the anchor is the relay's best case: the same path, hop for
#            hop, with the middle hop done by conntrack instead of userspace.
#   relayed-1200: the relayed set-up again with iperf3 -M 1200, so that a
#            relayed datagram fits a 1500-byte link (no IP fragments): shows
#            what the fragmentation of full-size relayed datagrams costs;
#   relayed over TLS: ta and tb behind routers that drop UDP; each reaches s1
#            over TCP port 443 (TLS), and s1 relays the session between the
#            two TLS connections (TCP inside TCP).
# Prints the figures and the ratios relayed / direct and relayed / anchor,
# the daemons' CPU during iperf3 (% of one CPU: sender, receiver, s1) and the
# IPv4 fragments ra's kernel made.
# Usage: tools/bench/relay.sh [BUILD_DIR [SECONDS]]   (defaults: build, 5)  (root)
# Bounded: every wait has a deadline, iperf3 runs SECONDS (<= 10) under
# timeout, a watchdog stops the run after LIMIT s (120); it takes about 50 s.
set -u
SECS=${2:-5}
PINGS=${PINGS:-20}
ANCHOR_PORT=51900
[[ $SECS =~ ^[0-9]+$ ]] && ((SECS >= 1 && SECS <= 10)) || { echo "SECONDS: 1..10" >&2; exit 2; }
for t in iperf3 iptables python3; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done
source "$(dirname "$0")/../../tests/control/fedlib.sh" relaybench "${1:-build}" || exit 1
T0=$SECONDS
# A watchdog: the whole run ends within LIMIT seconds whatever hangs (the trap cleans up).
# Its sleep holds none of our output open and goes with it.
( trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep "${LIMIT:-120}" & s=$!
  wait "$s" && kill -TERM $$ ) >/dev/null 2>&1 </dev/null &
WATCHDOG=$!
trap 'kill "$WATCHDOG" 2>/dev/null; fed_cleanup' EXIT
trap 'echo "relay.sh: over ${LIMIT:-120} s, stopping" >&2; exit 1' TERM

lab_init >/dev/null
lab_add_public s1
lab_add_device symmetric ra
lab_add_device symmetric rb
lab_add_device none da
lab_add_device none db
lab_add_device udp-blocked ta
lab_add_device udp-blocked tb
S=S/signpost.conf
fed_signpost s1 relay.example. S
for d in ra:RA rb:RB da:DA db:DB ta:TA tb:TB; do fed_enroll S "${d%%:*}" "${d%%:*}" "${d##*:}"; done
for d in ra rb da db ta tb; do
	fed_wait 15 grep -q 'enrolled as' "$FED_DIR/$d.log" || fed_fail "$d did not enroll"
done
echo "lab up, 6 devices enrolled at relay.example. ($((SECONDS - T0)) s)"

# The tunnel section of a daemon's status: KEY's value.
tun_status() { # HOST CONF KEY
	fed_ctl "$1" "$2" status | awk -v k="$3" '/^[a-z]/ { sec = $1 }
		sec == "tunnel:" && $1 == k ":" { sub(/^[^:]*: /, ""); print; exit }'
}
overlay() { tun_status "$1" "$2" address | sed 's,/[0-9]*$,,'; }
peer_line() { fed_ctl "$1" "$2" status | grep "peer $3"; }

declare -A RTT BW RETR CPU
# measure LABEL CLIENT SERVER ADDR [IPERF-ARGS...]: ping RTT (ms, average) and iperf3 Gbit/s, CLIENT -> ADDR.
measure() {
	local l=$1 c=$2 s=$3 a=$4 out=$FED_DIR/$1
	shift 4
	local ns srv
	ns=$(lab_ns "$s")
	ip netns exec "$ns" timeout $((SECS + 30)) iperf3 -s -B "$a" >"$out.srv" 2>&1 &
	srv=$!
	fed_wait 10 lab_exec "$c" bash -c "echo > /dev/tcp/$a/5201" || fed_fail "iperf3 server for $l"
	lab_exec "$c" ping -6 -q -c "$PINGS" -i 0.05 -w 10 "$a" >"$out.ping" 2>&1 ||
		fed_fail "ping $l: $(cat "$out.ping")"
	RTT[$l]=$(awk -F/ '/^rtt/ { print $5 }' "$out.ping")
	local c0 s0 m0 w0
	c0=$(cpu_ticks "${FED_PID[$c]}")
	m0=$(cpu_ticks "${FED_PID[s1]}")
	s0=$(cpu_ticks "${FED_PID[$s]}")
	w0=$(date +%s.%N)
	lab_exec "$c" timeout $((SECS + 15)) iperf3 -6 -c "$a" -t "$SECS" "$@" -J >"$out.json" 2>&1 ||
		fed_fail "iperf3 $l: $(tail -3 "$out.json")"
	BW[$l]=$(python3 -c 'import json,sys; e = json.load(open(sys.argv[1]))["end"]
print("%.3f %d" % (e["sum_received"]["bits_per_second"] / 1e9, e["sum_sent"].get("retransmits", 0)))' "$out.json")
	CPU[$l]="$(cpu_pct "$c0" "$(cpu_ticks "${FED_PID[$c]}")" "$w0")/$(cpu_pct "$s0" "$(cpu_ticks "${FED_PID[$s]}")" "$w0")/$(cpu_pct "$m0" "$(cpu_ticks "${FED_PID[s1]}")" "$w0")"
	RETR[$l]=${BW[$l]#* }
	BW[$l]=${BW[$l]% *}
	kill "$srv"
	wait "$srv" 2>/dev/null
	echo "$l: rtt ${RTT[$l]} ms, ${BW[$l]} Gbit/s, ${RETR[$l]} retransmits, signpostd CPU % sender/receiver/s1 ${CPU[$l]} ($((SECONDS - T0)) s)"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_pct() { # TICKS0 TICKS1 WALL0: % of a CPU since WALL0
	python3 -c 'import os,sys,time; print("%.0f" % (100 * (float(sys.argv[2]) - float(sys.argv[1])) / os.sysconf("SC_CLK_TCK") / (time.time() - float(sys.argv[3]))))' "$@"
}
ip_frags() { lab_exec "$1" awk '/^Ip:/ { if (!h) { split($0, k); h = 1 } else { split($0, v);
	for (i in k) if (k[i] == "FragCreates") print v[i] } }' /proc/net/snmp; }

# ---- (a) relayed by the signpost
ORB=$(overlay rb RB/device.conf)
[ -n "$ORB" ] || fed_fail "no overlay address for rb"
fed_wait 15 lab_exec ra ping -6 -c1 -W1 "$ORB" || fed_fail "ra -> rb: no path"
peer_line ra RA/device.conf rb.relay.example. | grep -q "up relayed" ||
	fed_fail "ra -> rb is not relayed: $(peer_line ra RA/device.conf rb.relay.example.)"
rel0=$(fed_status s1 $S relayed-bytes)
frag0=$(ip_frags ra)
measure relayed ra rb "$ORB"
rel1=$(fed_status s1 $S relayed-bytes)
frag1=$(ip_frags ra)
# The same, with TCP segments small enough that a relayed datagram fits a 1500-byte link.
measure relayed-1200 ra rb "$ORB" -M 1200
frag2=$(ip_frags ra)
peer_line ra RA/device.conf rb.relay.example. | grep -q "up relayed" ||
	fed_fail "ra -> rb left the relay: $(peer_line ra RA/device.conf rb.relay.example.)"

# ---- (a') relayed over TLS: UDP blocked on both sides
OTB=$(overlay tb TB/device.conf)
[ -n "$OTB" ] || fed_fail "no overlay address for tb"
fed_wait 20 lab_exec ta ping -6 -c1 -W1 "$OTB" || fed_fail "ta -> tb: no path"
[ "$(fed_status ta TA/device.conf signpost-via)" = tls ] || fed_fail "ta does not reach s1 over TLS"
measure relayed-tls ta tb "$OTB"

# ---- (b) direct
ODB=$(overlay db DB/device.conf)
[ -n "$ODB" ] || fed_fail "no overlay address for db"
fed_wait 15 lab_exec da ping -6 -c1 -W1 "$ODB" || fed_fail "da -> db: no path"
direct() { peer_line da DA/device.conf db.relay.example. | grep -q "up direct"; }
fed_wait 10 direct || fed_fail "da -> db not direct: $(peer_line da DA/device.conf db.relay.example.)"
measure direct da db "$ODB"
direct || fed_fail "da -> db left the direct path"

# ---- (c) anchor: the kernel relays plain UDP on s1; signpostd peers by hand on ra and rb
fed_stop ra
fed_stop rb
j=$(lab_exec rb ip -4 -o addr show dev "$(lab_ifname rb)" | sed -n 's,.*inet 192\.168\.\([0-9]*\)\.2/.*,\1,p')
rbnat=$(lab_router rb)
wan=$(lab_addr "$rbnat")
# rb's router: a port forward, as a home router would have.
lab_exec "$rbnat" iptables -t nat -A PREROUTING -i "$(lab_ifname "$rbnat")" -p udp --dport $ANCHOR_PORT \
	-j DNAT --to-destination "192.168.$j.2:51820" || fed_fail "port forward on $rbnat"
lab_exec "$rbnat" iptables -I FORWARD -i "$(lab_ifname "$rbnat")" -m conntrack --ctstate DNAT -j ACCEPT ||
	fed_fail "forward rule on $rbnat"
# s1: UDP to ANCHOR_PORT goes on to rb's router, from s1 (so the answers come back through it).
lab_exec s1 sysctl -qw net.ipv4.ip_forward=1
lab_exec s1 iptables -t nat -A PREROUTING -p udp --dport $ANCHOR_PORT \
	-j DNAT --to-destination "$wan:$ANCHOR_PORT" || fed_fail "DNAT on s1"
lab_exec s1 iptables -t nat -A POSTROUTING -p udp -d "$wan" --dport $ANCHOR_PORT -j MASQUERADE ||
	fed_fail "MASQUERADE on s1"
for d in ra rb; do
	mkdir -p "$FED_DIR/W$d"
	cp "$FED_DIR/${d^^}/node.key" "$FED_DIR/W$d/node.key"
	cat >"$FED_DIR/W$d/signpost.conf" <<-EOF
	[node]
	role = device
	zone = relay.example.
	name = w$d
	key-file = node.key
	control-socket = ctl.sock
	[dns]
	enabled = no
	[tunnel]
	enabled = yes
	interface = sp${LAB_ID}w$d
	listen-port = 51820
	EOF
done
fed_start ra Wra/signpost.conf
fed_start rb Wrb/signpost.conf
fed_wait 10 test "$(tun_status ra Wra/signpost.conf state)" = up || fed_fail "anchor ra: tunnel not up"
fed_wait 10 test "$(tun_status rb Wrb/signpost.conf state)" = up || fed_fail "anchor rb: tunnel not up"
WA=$(overlay ra Wra/signpost.conf)
WB=$(overlay rb Wrb/signpost.conf)
wgkey() { fed_ctl "$1" "$2" status | awk '$1 == "wireguard-key:" { print $2; exit }'; }
KA=$(wgkey ra Wra/signpost.conf)
KB=$(wgkey rb Wrb/signpost.conf)
[ -n "$WA" ] && [ -n "$WB" ] && [ -n "$KA" ] && [ -n "$KB" ] || fed_fail "anchor: no overlay address or key"
# rb has no endpoint for ra: it answers where the handshake came from (s1).
printf '[peer]\npublic-key = %s\nendpoint = %s:%s\nallowed-ips = %s/128\n' \
	"$KB" "$(lab_addr s1)" $ANCHOR_PORT "$WB" >>"$FED_DIR/Wra/signpost.conf"
printf '[peer]\npublic-key = %s\nallowed-ips = %s/128\n' "$KA" "$WA" >>"$FED_DIR/Wrb/signpost.conf"
kill -HUP "${FED_PID[ra]}" "${FED_PID[rb]}"
fed_wait 10 test "$(tun_status ra Wra/signpost.conf peers)" = 1 || fed_fail "anchor ra: no peer"
fed_wait 10 test "$(tun_status rb Wrb/signpost.conf peers)" = 1 || fed_fail "anchor rb: no peer"
fed_wait 15 lab_exec ra ping -6 -c1 -W1 "$WB" || fed_fail "anchor: ra -> rb through s1's DNAT not up"
measure anchor ra rb "$WB"

ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.2f" % (a/b if b else 0))' "$1" "$2"; }
echo
echo "ra -> rb / da -> db over the overlay: ping -6 ($PINGS, 50 ms apart), iperf3 TCP $SECS s, 1 stream"
printf '%-42s %12s %10s %8s  %s\n' "" "RTT avg ms" "Gbit/s" "retrans" "CPU % (a, b, s1)"
printf '%-42s %12s %10s %8s  %s\n' "relayed by the signpost (symmetric NATs)" "${RTT[relayed]}" "${BW[relayed]}" "${RETR[relayed]}" "${CPU[relayed]}"
printf '%-42s %12s %10s %8s  %s\n' "  the same, iperf3 -M 1200 (no fragments)" "${RTT[relayed-1200]}" "${BW[relayed-1200]}" "${RETR[relayed-1200]}" "${CPU[relayed-1200]}"
printf '%-42s %12s %10s %8s  %s\n' "relayed over TLS (UDP blocked both sides)" "${RTT[relayed-tls]}" "${BW[relayed-tls]}" "${RETR[relayed-tls]}" "${CPU[relayed-tls]}"
printf '%-42s %12s %10s %8s  %s\n' "direct (devices with public addresses)" "${RTT[direct]}" "${BW[direct]}" "${RETR[direct]}" "${CPU[direct]}"
printf '%-42s %12s %10s %8s  %s\n' "anchor: kernel UDP relay (DNAT on s1)" "${RTT[anchor]}" "${BW[anchor]}" "${RETR[anchor]}" "${CPU[anchor]}"
printf '%-42s %12s %10s\n' "relayed / direct" "$(ratio "${RTT[relayed]}" "${RTT[direct]}")" \
	"$(ratio "${BW[relayed]}" "${BW[direct]}")"
printf '%-42s %12s %10s\n' "relayed over TLS / direct" "$(ratio "${RTT[relayed-tls]}" "${RTT[direct]}")" \
	"$(ratio "${BW[relayed-tls]}" "${BW[direct]}")"
printf '%-42s %12s %10s\n' "relayed / anchor" "$(ratio "${RTT[relayed]}" "${RTT[anchor]}")" \
	"$(ratio "${BW[relayed]}" "${BW[anchor]}")"
echo "relayed: s1 forwarded $(((rel1 - rel0) / 1000000)) MB;" \
	"ra's kernel made $((frag1 - frag0)) IPv4 fragments (a relayed datagram is 124 bytes over" \
	"the WireGuard one), $((frag2 - frag1)) with -M 1200; total $((SECONDS - T0)) s"
