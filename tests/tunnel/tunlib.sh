# tunlib.sh - helpers for the tunnel plane's namespace tests (sourced, not a test).
#
#   source "$(dirname "$0")/tunlib.sh" BUILD_DIR
#   trap tl_cleanup EXIT
#   tl_ns a; tl_ns b; tl_veth a 192.0.2.1 b 192.0.2.2
#   tl_signpostd sp a 51820          # config, key, daemon in namespace a; waits until up
#   tl_exec a CMD...                 # run in a namespace
#   tl_wait SECONDS CMD...           # poll CMD until it succeeds (bounded)
# Every name carries TL_ID (random hex) so parallel runs never collide; the
# cleanup kills only the PIDs started here and deletes only our namespaces.

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SIGNPOSTD=$BUILD/signpostd
SIGNPOST=$BUILD/signpost
TL_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TL_DIR=$(mktemp -d /tmp/sptun.XXXXXX)
TL_NS=()
TL_PIDS=()

tl_fail() { echo "FAIL: $*" >&2; exit 1; }
tl_log() { echo "--- $*"; }

tl_cleanup() {
	local rc=$?
	local p
	for p in "${TL_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TL_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	# A sanitizer build reports at exit: any report fails the test.
	if grep -lE "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$TL_DIR"/*.log 2>/dev/null; then
		echo "FAIL: sanitizer report (see above)" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	if [ $rc -ne 0 ]; then
		for f in "$TL_DIR"/*.log; do [ -f "$f" ] && { echo "=== $f"; tail -n 30 "$f"; }; done
	fi
	for n in "${TL_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	# UAPI sockets left by a killed daemon (every name here carries TL_ID)
	rm -f /var/run/wireguard/*"$TL_ID"*.sock
	rm -rf "$TL_DIR"
	exit $rc
}

tl_nsname() { echo "tl$TL_ID$1"; }
tl_exec() { local n=$1; shift; ip netns exec "$(tl_nsname "$n")" "$@"; }

tl_ns() {
	local n; n=$(tl_nsname "$1")
	ip netns add "$n" || tl_fail "cannot create namespace $n"
	TL_NS+=("$n")
	ip -n "$n" link set lo up
}

# tl_veth A ADDR_A B ADDR_B: a veth pair between two namespaces, IPv4 /24.
tl_veth() {
	local a b
	a=$(tl_nsname "$1"); b=$(tl_nsname "$3")
	ip -n "$a" link add "v$TL_ID$1" type veth peer name "v$TL_ID$3" netns "$b" || tl_fail veth
	ip -n "$a" addr add "$2/24" dev "v$TL_ID$1"
	ip -n "$b" addr add "$4/24" dev "v$TL_ID$3"
	ip -n "$a" link set "v$TL_ID$1" up
	ip -n "$b" link set "v$TL_ID$3" up
}

# tl_wait SECONDS CMD...: run CMD every 0.2 s until it succeeds or time runs out.
tl_wait() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

# tl_bg NAME CMD...: start CMD in the background, output to $TL_DIR/NAME.log.
tl_bg() {
	local name=$1; shift
	"$@" >"$TL_DIR/$name.log" 2>&1 &
	TL_PIDS+=($!)
	eval "PID_$name=$!"
}

# tl_conf NAME NS PORT [EXTRA-TEXT]: write a device-role config with the tunnel on.
tl_conf() {
	local d=$TL_DIR/$1
	mkdir -p "$d"
	[ -f "$d/node.key" ] || (umask 077; "$SIGNPOST" genkey >"$d/node.key") || tl_fail genkey
	cat >"$d/signpost.conf" <<-EOF
	[node]
	role = device
	zone = alice.example.
	name = $1
	key-file = node.key
	control-socket = ctl.sock
	log-level = ${TL_LOG_LEVEL:-info}
	[dns]
	enabled = no
	[tunnel]
	enabled = yes
	interface = s$TL_ID$1
	listen-port = $3
	${4:-}
	EOF
}

# tl_signpostd NAME NS PORT: config + daemon in namespace NS; waits until the tunnel is up.
tl_signpostd() {
	[ -f "$TL_DIR/$1/signpost.conf" ] || tl_conf "$1" "$2" "$3"
	tl_bg "$1" ip netns exec "$(tl_nsname "$2")" "$SIGNPOSTD" -c "$TL_DIR/$1/signpost.conf"
	tl_wait 10 tl_status_is "$1" state up || tl_fail "signpostd $1 did not come up"
}

tl_ctl() { local n=$1; shift; "$SIGNPOST" -c "$TL_DIR/$n/signpost.conf" "$@"; }
# tl_status NAME KEY: value of KEY in the tunnel section of `signpost status`.
tl_status() {
	tl_ctl "$1" status | awk -v k="$2" '
		/^[a-z]/ { sec = $1 }
		sec == "tunnel:" && $1 == k ":" { sub(/^[^:]*: /, ""); print; exit }'
}
tl_status_is() { [ "$(tl_status "$1" "$2")" = "$3" ]; }
tl_status_ge() { local v; v=$(tl_status "$1" "$2"); [ -n "$v" ] && [ "$v" -ge "$3" ]; }
# Node's WireGuard public key and overlay address (without /48).
tl_wgkey() { tl_ctl "$1" status | awk '$1 == "wireguard-key:" { print $2; exit }'; }
tl_overlay() { tl_status "$1" address | sed 's,/48$,,'; }
# tl_overlay_host ADDR N: address N (hex) in the /48 of ADDR.
tl_overlay_host() {
	python3 -c 'import ipaddress,sys; n=ipaddress.ip_network(sys.argv[1]+"/48",strict=False); print(n.network_address+int(sys.argv[2],16))' "$1" "$2"
}
tl_ifname() { echo "s$TL_ID$1"; }
tl_reload() { kill -HUP "$(eval echo "\$PID_$1")"; }
