#!/usr/bin/env bash
# test_portmap.sh BUILD_DIR - port mapping (src/nat/nat_portmap.c) against a real miniupnpd
# (nftables build) on a lab router with UPnP IGD, NAT-PMP and PCP on.  For each protocol
# (pcp, nat-pmp, upnp) a device behind a port-restricted router (tests/lab/natlab.sh) runs
# nat_portmap_driver, which maps its UDP port and echoes what it gets.  The test checks:
#   - the driver reports the mapping: the router's external address and the same port;
#   - the mapping is in the router's rules (nft list ruleset) and miniupnpd's lease file;
#   - UDP from a public lab host to the mapped endpoint reaches the device (its echo returns);
#   - the renewal at half the (shortened) lifetime happens (PCP and NAT-PMP);
#   - after SIGTERM the driver exits 0 and the rule is gone.
# The lab routers filter with iptables-nft (table ip filter, FORWARD drops new inbound);
# miniupnpd writes its own table inet spupnp.  An accept in one nftables base chain does not
# override a drop in another one on the same hook, so the router also accepts inbound packets
# whose conntrack state is DNAT (only miniupnpd's rules DNAT on a port-restricted router).
set -u
BUILD=$(cd "$1" && pwd)
DRIVER=$BUILD/tests/nat_portmap_driver
[ -x "$DRIVER" ] || DRIVER=$(find "$BUILD" -name nat_portmap_driver -type f | head -n 1)
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces)"; exit 77; }
[ -x /usr/sbin/miniupnpd ] || { echo "SKIP: no /usr/sbin/miniupnpd"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
source "$HERE/../lab/natlab.sh"
DIR=$(mktemp -d /tmp/sp-portmap.XXXXXX)
MPID="" DPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null
	wait 2>/dev/null
	lab_down >/dev/null 2>&1
	rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$DIR"/*.log; do echo "--- $f"; tail -n 30 "$f"; done; exit 1; }

lab_init >/dev/null || fail "lab init"
lab_add_public s3 >/dev/null || fail "public host"
lab_add_device port-restricted dv >/dev/null || fail "device"
R=dv-nat
U=u$LAB_ID L=l$LAB_ID
WAN=$(lab_addr "$R")
LANIP=$(lab_addr dv)
PUB=$(lab_addr s3)
# miniupnpd refuses every reserved address as the external one (the lab's 203.0.113.0/24 is
# TEST-NET-3) and has no option to allow it: the router gets one more WAN address outside its
# list (100.128.0.0/10 is past the 100.64.0.0/10 of carrier NAT), routed to it by the lab's
# internet and given to miniupnpd as ext_ip.  Nothing leaves the test's namespaces.
EXT=100.128.0.$((RANDOM % 250 + 2))
lab_exec "$R" ip addr add "$EXT/32" dev "$U" || fail "router WAN alias"
lab_exec inet ip route add "$EXT/32" via "$WAN" || fail "route to the alias"
lab_exec "$R" iptables -I FORWARD 1 -i "$U" -m conntrack --ctstate DNAT -j ACCEPT ||
	fail "router FORWARD rule"

# miniupnpd's tables (its nft_init.sh layout, under our own table name).
lab_exec "$R" nft -f - <<NFT || fail "nft init"
table inet spupnp {
	chain forward {
		type filter hook forward priority 0; policy accept;
		jump miniupnpd
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
NFT
cat >"$DIR/miniupnpd.conf" <<CONF
ext_ifname=$U
ext_ip=$EXT
listening_ip=$L
http_port=0
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=no
lease_file=$DIR/leases
upnp_table_name=spupnp
upnp_nat_table_name=spupnp
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
min_lifetime=4
uuid=3c2a1c1e-8c7e-4e1c-9f59-$(printf '%012x' $$)
allow 1024-65535 192.168.0.0/16 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
ip netns exec "$(lab_ns "$R")" /usr/sbin/miniupnpd -d -f "$DIR/miniupnpd.conf" \
	-P "$DIR/miniupnpd.pid" >"$DIR/miniupnpd.log" 2>&1 &
MPID=$!
lab_wait_file "$DIR/miniupnpd.log" "Listening for NAT-PMP|HTTP listening" 10 || fail "miniupnpd start"

# Send from the public host to the mapped endpoint; the device echoes.
probe() { # ADDR PORT WORD
	lab_exec s3 python3 - "$1" "$2" "$3" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(6):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        d, a = s.recvfrom(2048)
        if d == b"echo " + sys.argv[3].encode():
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
}

port=40100
for proto in pcp nat-pmp upnp; do
	port=$((port + 1))
	log=$DIR/driver-$proto.log
	# Lifetime 8 s: renewal at 4 s; miniupnpd's min_lifetime is 4.
	SIGNPOST_INTERVALS=nat.portmap-lifetime=8000,nat.pcp-rto=300 \
		ip netns exec "$(lab_ns dv)" "$DRIVER" "$proto" "$port" >"$log" 2>&1 &
	DPID=$!
	lab_wait_file "$log" "^mapped " 20 || fail "$proto: no mapping"
	got=$(sed -n 's/^mapped \([^ ]*\) \(.*\)$/\1 \2/p' "$log" | head -n 1)
	[ "$got" = "$proto $EXT:$port" ] || fail "$proto: mapped '$got', want '$proto $EXT:$port'"
	lab_exec "$R" nft list table inet spupnp | grep -q "dport $port .*dnat .*$LANIP" ||
		fail "$proto: no DNAT rule for $port: $(lab_exec "$R" nft list table inet spupnp)"
	if [ "$proto" = upnp ]; then
		grep -q "UDP:$port:$LANIP:$port" "$DIR/leases" ||
			fail "$proto: not in the lease file: $(cat "$DIR/leases" 2>/dev/null)"
	fi
	probe "$EXT" "$port" "hello-$proto" || fail "$proto: UDP to $EXT:$port did not reach the device"
	grep -q "^got hello-$proto from $PUB:" "$log" || fail "$proto: device did not see the probe"
	if [ "$proto" != upnp ]; then
		# Renewal at half the lifetime (4 s) keeps the mapping past its first lifetime (8 s).
		lab_wait_file "$log" "portmap renewed by $proto" 10 || fail "$proto: no renewal"
		sleep 6
		probe "$EXT" "$port" "again-$proto" || fail "$proto: the mapping lapsed (renewal)"
		[ "$(grep -c '^mapped ' "$log")" = 1 ] || fail "$proto: the endpoint changed on renewal"
	fi
	kill -TERM "$DPID"
	end=$((SECONDS + 10))
	while kill -0 "$DPID" 2>/dev/null && ((SECONDS < end)); do sleep 0.05; done
	kill -0 "$DPID" 2>/dev/null && fail "$proto: driver still running 10 s after SIGTERM"
	wait "$DPID"
	rc=$?
	DPID=""
	[ "$rc" = 0 ] || fail "$proto: driver exit $rc"
	grep -q "^stopped" "$log" || fail "$proto: no clean stop"
	# The driver exits only after the gateway answered the deletion (or its bound passed).
	grep -q "no answer to the deletion" "$log" && fail "$proto: the gateway did not answer the deletion"
	lab_exec "$R" nft list table inet spupnp | grep -q "dport $port " &&
		fail "$proto: rule still there after SIGTERM"
	echo "  $proto: mapped $EXT:$port, traffic through it, gone after SIGTERM"
done
# The same through signpostd's NAT plane: a node behind the router with [nat] port-mapping
# forcing each protocol maps its UDP port (51820); status and netcheck name it; SIGTERM
# deletes it.  netcheck needs a STUN server to ask: s3 does not answer one, and a short
# nat.stun-rto makes its probes give up soon, which leaves the port-mapping line to check.
export PATH="$BUILD:$PATH"
( cd "$DIR" && lab_exec dv signpost init signpost --zone pm.example --dir N --address "$LANIP" \
	--dns-port 5353 ) >"$DIR/init.log" 2>&1 || fail "signpost init: $(cat "$DIR/init.log")"
for proto in pcp nat-pmp upnp; do
	conf=$DIR/N/signpost-$proto.conf
	cp "$DIR/N/signpost.conf" "$conf"
	printf '\n[nat]\nstun-server = no\nstun-servers = %s:3478\nport-mapping = %s\n' "$PUB" \
		"$proto" >>"$conf"
	( cd "$DIR" && SIGNPOST_INTERVALS=nat.stun-rto=50 exec ip netns exec "$(lab_ns dv)" \
		signpostd -c "$conf" \
		>"$DIR/signpostd-$proto.log" 2>&1 ) &
	DPID=$!
	end=$((SECONDS + 20)) st=""
	while ((SECONDS < end)); do
		st=$(lab_exec dv signpost -c "$conf" status 2>/dev/null | sed -n 's/^ *port-mapping: //p')
		[ "$st" = "$EXT:51820 by $proto" ] && break
		sleep 0.2
	done
	[ "$st" = "$EXT:51820 by $proto" ] || fail "signpostd $proto: status port-mapping '$st'"
	lab_exec "$R" nft list table inet spupnp | grep -q "dport 51820 .*dnat .*$LANIP" ||
		fail "signpostd $proto: no rule for 51820"
	nc=$(lab_exec dv timeout 60 signpost -c "$conf" netcheck 2>&1 | sed -n 's/^port-mapping: //p')
	case $nc in
	"$proto: mapped $EXT:51820 ("*" s left)") ;;
	*) fail "signpostd $proto: netcheck port-mapping '$nc'" ;;
	esac
	kill -TERM "$DPID"
	end=$((SECONDS + 10))
	while kill -0 "$DPID" 2>/dev/null && ((SECONDS < end)); do sleep 0.05; done
	wait "$DPID"
	rc=$?
	DPID=""
	[ "$rc" = 0 ] || fail "signpostd $proto: exit $rc"
	lab_exec "$R" nft list table inet spupnp | grep -q "dport 51820 " &&
		fail "signpostd $proto: rule still there after SIGTERM"
	echo "  signpostd [nat] port-mapping = $proto: $st, netcheck '$nc', gone after SIGTERM"
done
echo "PASS: port mapping by PCP, NAT-PMP and UPnP IGD against miniupnpd"
