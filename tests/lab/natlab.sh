#!/usr/bin/env bash
# natlab.sh: the Signpost NAT lab. Network-namespace topologies with a public "internet",
# signpost hosts on it and devices behind NAT routers of several kinds.
#
# Topology built by `natlab.sh up none full-cone symmetric carrier-grade` (ID = run id):
#
#   public hosts (signposts s1, s2; s3 = a third party)
#        s1                s2                s3
#   198.51.100.11     198.51.100.12     198.51.100.13
#   2001:db8:5100::11 2001:db8:5100::12 2001:db8:5100::13
#        |                 |                 |
#   =====+======= bridge bsID: 198.51.100.1/24, 2001:db8:5100::1/64 ==========
#                              inet   (the "internet" router, forwarding v4 and v6)
#   =====+======= bridge bnID: 203.0.113.1/24, 2001:db8:113::1/64 ======+=====
#        |                    |                   |                      |
#   d1 (none)            d2-nat (full-cone)   d3-nat (symmetric)    d4-cgn (symmetric CGN)
#   203.0.113.11         203.0.113.12         203.0.113.13          203.0.113.14
#   2001:db8:113::11     192.168.2.1          192.168.3.1           100.64.4.1/24
#                             |                   |                      |
#                        d2 192.168.2.2      d3 192.168.3.2         d4-nat 100.64.4.2 (home NAT)
#                                                                   192.168.4.1
#                                                                        |
#                                                                   d4 192.168.4.2
#
# Router kinds (iptables in the router namespace, ip_forward=1; inbound from the WAN only
# ESTABLISHED,RELATED, plus DNAT for full-cone):
#   none             device sits on the access segment with a public address (v4 and v6), no router
#   full-cone        1:1 NAT: SNAT device -> router WAN address, DNAT WAN address -> device
#   port-restricted  MASQUERADE (Linux keeps the port, endpoint-independent mapping,
#                    address-and-port-dependent filtering)
#   symmetric        MASQUERADE --random-fully (a new random port per destination)
#   carrier-grade    a port-restricted home NAT behind a symmetric carrier NAT, 100.64.J.0/24 between
#   udp-blocked      MASQUERADE; the router forwards only TCP, UDP to port 53 and ICMP outbound,
#                    everything else is dropped (rule comment "sp-lab-blocked")
# Device number J (1..250) gives the LAN 192.168.J.0/24 (router .1, device .2). Devices behind
# a NAT are IPv4-only; public hosts, none devices and router WANs also have IPv6 addresses.
#
# Names: namespace "spl-ID-HOST"; interfaces "uID" (uplink toward the internet, in every host),
# "lID" (a router's LAN side), "bsID"/"bnID" (bridges) and "pIDxK" (bridge ports) in inet.
# ID is SP_LAB_ID (1..8 chars of [0-9a-z]) or random hex, so parallel runs never collide.
# Veth pairs are created directly inside their namespaces and never appear in the root one.
#
# As a library (bash):
#   source tests/lab/natlab.sh          # picks LAB_ID (from SP_LAB_ID or random)
#   trap lab_down EXIT
#   lab_up port-restricted symmetric    # inet + s1 s2 s3 + devices d1 d2 (+ d1-nat, d2-nat)
#   lab_exec d1 ping -c1 "$(lab_addr s1)"
# Functions:
#   lab_up KIND...            build inet, public s1 s2 s3 and devices d1..dN of these kinds
#   lab_init                  build only inet (then lab_add_public / lab_add_device)
#   lab_add_public NAME       a host with a public address on the servers segment
#   lab_add_device KIND NAME  a device behind a router of KIND (router NAME-nat, CGN NAME-cgn)
#   lab_add_addr HOST         one more address for a public host (for RFC 5780); prints it
#   lab_aliases HOST          those extra addresses, one a line
#   lab_renumber HOST         new address for a public host, none device, NAT router or CGN
#                             (roaming, ISP renumbering: the NAT mappings are lost); prints it
#   lab_down                  kill processes in the lab's namespaces and delete everything
#   lab_ns HOST               namespace name          lab_exec HOST CMD...  run CMD in it
#   lab_addr HOST / lab_addr6 HOST   the host's own IPv4 / IPv6 address (v6: public hosts, none)
#   lab_public HOST           the IPv4 address the internet sees for HOST (outermost NAT's WAN)
#   lab_router HOST           the NAT router next to a device (home NAT for carrier-grade)
#   lab_cgn HOST              the carrier NAT of a carrier-grade device
#   lab_kind HOST             router kind of a device      lab_hosts   every host, one a line
#   lab_ifname HOST           uplink interface name        lab_lanif HOST  a router's LAN side
#   lab_spawn HOST OUT CMD... run CMD in HOST in the background, stdout+stderr to OUT, its exit
#                             code to OUT.rc when it ends; $! is the job; lab_down kills it
#   lab_wait_file FILE REGEX [SECONDS]  poll until FILE has a line matching REGEX (default 10 s)
#   lab_counter HOST TABLE CHAIN COMMENT  packets counted by the iptables rules with COMMENT
#   lab_build_probe [DIR]     build tools/lab/udpprobe.c with ${CC:-cc} (+ $SP_LAB_PROBE_CFLAGS);
#                             sets LAB_PROBE, prints its path. See udpprobe.c for its commands.
#   lab_show                  print the host table
# State lives in ${TMPDIR:-/tmp}/natlab-ID; teardown needs only the id.
#
# CLI: natlab.sh [--id ID] up KIND... | down | exec HOST CMD... | show | init |
#      add-public NAME | add-device KIND NAME | add-addr HOST | renumber HOST | list | --help

_LAB_SELF="$(readlink -f "${BASH_SOURCE[0]}")"
_LAB_ROOT="$(cd "$(dirname "$_LAB_SELF")/../.." && pwd)"
_LAB_NETNS_DIR=/run/netns # where `ip netns add` puts its names
_LAB_KINDS="none full-cone port-restricted symmetric carrier-grade udp-blocked"

_lab_rand() { od -An -N3 -tx1 /dev/urandom | tr -d ' \n'; }

_lab_set_id() {
	if [[ ! "$1" =~ ^[0-9a-z]{1,8}$ ]]; then
		echo "natlab: bad lab id '$1' (1..8 chars of [0-9a-z])" >&2
		return 1
	fi
	LAB_ID="$1"
	LAB_DIR="${TMPDIR:-/tmp}/natlab-$LAB_ID"
	_LAB_PREFIX="spl-$LAB_ID-"
}

# ---- read-only queries (safe in the caller's shell) ----

_lab_get() { # HOST KEY
	local f="$LAB_DIR/hosts/$1"
	if [[ ! -f "$f" ]]; then
		echo "natlab: no host '$1' in lab $LAB_ID" >&2
		return 1
	fi
	local v
	v="$(sed -n "s/^$2=//p" "$f")"
	[[ -n "$v" ]] || return 1
	printf '%s\n' "$v"
}

lab_ns() { _lab_get "$1" ns; }
lab_addr() { _lab_get "$1" addr; }
lab_addr6() { _lab_get "$1" addr6; }
lab_public() { _lab_get "$1" public; }
lab_router() { _lab_get "$1" router; }
lab_cgn() { _lab_get "$1" cgn; }
lab_kind() { _lab_get "$1" kind; }
lab_ifname() { _lab_get "$1" uplink; }
lab_lanif() { _lab_get "$1" lan; }
lab_aliases() { sed -n 's/^alias=//p' "$LAB_DIR/hosts/$1" 2>/dev/null; }
lab_hosts() { [[ -d "$LAB_DIR/hosts" ]] && ls "$LAB_DIR/hosts"; }

lab_exec() {
	local ns
	ns="$(lab_ns "$1")" || return 1
	shift
	ip netns exec "$ns" "$@"
}

lab_show() {
	local h
	printf '%-12s %-7s %-16s %-16s %-18s %s\n' HOST ROLE KIND ADDR PUBLIC NAMESPACE
	for h in $(lab_hosts); do
		printf '%-12s %-7s %-16s %-16s %-18s %s\n' "$h" "$(_lab_get "$h" role)" \
			"$(_lab_get "$h" kind 2>/dev/null || echo -)" \
			"$(_lab_get "$h" addr 2>/dev/null || echo -)" \
			"$(_lab_get "$h" public 2>/dev/null || echo -)" "$(_lab_get "$h" ns)"
	done
}

lab_spawn() { # HOST OUT CMD...
	local ns out="$2"
	ns="$(lab_ns "$1")" || return 1
	shift 2
	( ip netns exec "$ns" "$@" >"$out" 2>&1 </dev/null; echo $? >"$out.rc" ) &
	_LAB_PIDS+=("$!")
}

lab_wait_file() { # FILE REGEX [SECONDS]
	local end=$((SECONDS + ${3:-10}))
	while ((SECONDS <= end)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "natlab: timed out waiting for /$2/ in $1" >&2
	return 1
}

lab_counter() { # HOST TABLE CHAIN COMMENT: sum of packet counters of rules with COMMENT
	lab_exec "$1" "${SP_LAB_IPTABLES:-iptables}" -t "$2" -nvxL "$3" |
		awk -v c="/* $4 */" 'index($0, c) { n += $1 } END { print n + 0 }'
}

lab_build_probe() {
	local dir="${1:-$LAB_DIR}"
	mkdir -p "$dir" || return 1
	# shellcheck disable=SC2086 # SP_LAB_PROBE_CFLAGS: e.g. "-fsanitize=address,undefined"
	"${CC:-cc}" -std=c11 -O2 -Wall -Wextra ${SP_LAB_PROBE_CFLAGS:-} -o "$dir/udpprobe" \
		"$_LAB_ROOT/tools/lab/udpprobe.c" || return 1
	LAB_PROBE="$dir/udpprobe"
	echo "$LAB_PROBE"
}

# ---- changes: run as a child `bash natlab.sh` under set -e, whatever the caller's shell ----

_lab_call() { bash "$_LAB_SELF" --id "$LAB_ID" "$@"; }
lab_up() { _lab_call -q up "$@"; }
lab_init() { _lab_call -q init; }
lab_add_public() { _lab_call -q add-public "$@"; }
lab_add_device() { _lab_call -q add-device "$@"; }
lab_add_addr() { _lab_call -q add-addr "$@"; }
lab_renumber() { _lab_call -q renumber "$@"; }

lab_down() {
	local p
	for p in "${_LAB_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	_LAB_PIDS=()
	_lab_call down
}

# ---- implementation (child process, set -euo pipefail) ----

_lab_sysctl() { ip netns exec "$1" sysctl -qw "$2" >/dev/null; }

_lab_put() { # HOST KEY=VALUE...
	local h="$1"
	shift
	printf '%s\n' "$@" >>"$LAB_DIR/hosts/$h"
}

_lab_counter_next() { # NAME START: print and bump a per-lab counter
	local f="$LAB_DIR/.$1" n
	n="$(cat "$f" 2>/dev/null || echo "$2")"
	echo $((n + 1)) >"$f"
	echo "$n"
}

_lab_newns() { # HOST ROLE
	local h="$1" ns="$_LAB_PREFIX$1"
	if [[ ! "$h" =~ ^[a-z][a-z0-9-]{0,30}$ ]]; then
		echo "natlab: bad host name '$h'" >&2
		return 1
	fi
	if [[ -e "$LAB_DIR/hosts/$h" ]]; then
		echo "natlab: host '$h' exists" >&2
		return 1
	fi
	ip netns add "$ns"
	_lab_put "$h" "ns=$ns" "role=$2" "uplink=u$LAB_ID"
	ip -n "$ns" link set lo up
	# No duplicate address detection: addresses are usable at once.
	_lab_sysctl "$ns" net.ipv6.conf.all.accept_dad=0
	_lab_sysctl "$ns" net.ipv6.conf.default.accept_dad=0
	_lab_sysctl "$ns" net.ipv4.conf.all.rp_filter=0
	_lab_sysctl "$ns" net.ipv4.conf.default.rp_filter=0
}

# Fail before building anything when a name is taken or malformed.
_lab_free_names() { # NAME...
	local h
	for h in "$@"; do
		if [[ ! "$h" =~ ^[a-z][a-z0-9-]{0,30}$ ]]; then
			echo "natlab: bad host name '$h' (a-z, 0-9, '-'; 31 chars at most)" >&2
			return 1
		fi
		if [[ -e "$LAB_DIR/hosts/$h" ]]; then
			echo "natlab: host '$h' exists" >&2
			return 1
		fi
	done
}

_lab_veth() { # NS_A IF_A NS_B IF_B
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

_lab_ipt() { # HOST iptables-args...
	local h="$1"
	shift
	ip netns exec "$_LAB_PREFIX$h" "${SP_LAB_IPTABLES:-iptables}" "$@"
}

_lab_init() {
	local ns="${_LAB_PREFIX}inet"
	[[ -f "$LAB_DIR/hosts/inet" ]] && return 0
	mkdir -p "$LAB_DIR/hosts"
	_lab_newns inet inet
	_lab_sysctl "$ns" net.ipv4.ip_forward=1
	_lab_sysctl "$ns" net.ipv6.conf.all.forwarding=1
	ip -n "$ns" link add "bs$LAB_ID" type bridge
	ip -n "$ns" link add "bn$LAB_ID" type bridge
	ip -n "$ns" link set "bs$LAB_ID" up
	ip -n "$ns" link set "bn$LAB_ID" up
	ip -n "$ns" addr add 198.51.100.1/24 dev "bs$LAB_ID"
	ip -n "$ns" addr add 203.0.113.1/24 dev "bn$LAB_ID"
	ip -n "$ns" addr add 2001:db8:5100::1/64 dev "bs$LAB_ID" nodad
	ip -n "$ns" addr add 2001:db8:113::1/64 dev "bn$LAB_ID" nodad
	_lab_put inet addr=198.51.100.1 addr6=2001:db8:5100::1 public=198.51.100.1
	# Fail early, with a clear message, when iptables cannot work in a namespace.
	if ! _lab_ipt inet -t nat -nL POSTROUTING >/dev/null; then
		echo "natlab: '${SP_LAB_IPTABLES:-iptables}' does not work here" \
			"(set SP_LAB_IPTABLES=iptables-legacy?)" >&2
		return 1
	fi
}

# Plug HOST's uplink into an inet bridge (bs or bn) with slot S: .S and ::S, default via .1.
_lab_plug() { # HOST BRIDGE NET4 NET6 SLOT
	local h="$1" br="$2$LAB_ID" ns="$_LAB_PREFIX$1" port k
	k="$(_lab_counter_next port 1)"
	port="p${LAB_ID}x$k"
	_lab_veth "${_LAB_PREFIX}inet" "$port" "$ns" "u$LAB_ID"
	ip -n "${_LAB_PREFIX}inet" link set "$port" master "$br"
	ip -n "$ns" addr add "$3.$5/24" dev "u$LAB_ID"
	ip -n "$ns" route add default via "$3.1"
	ip -n "$ns" addr add "$4::$5/64" dev "u$LAB_ID" nodad
	ip -n "$ns" -6 route add default via "$4::1"
	_lab_put "$h" "addr=$3.$5" "addr6=$4::$5"
}

_lab_add_public() {
	local h="$1" s
	_lab_init
	_lab_free_names "$h"
	s="$(_lab_counter_next pubslot 11)"
	((s <= 254)) || { echo "natlab: servers segment full" >&2; return 1; }
	_lab_newns "$h" public
	_lab_plug "$h" bs 198.51.100 2001:db8:5100 "$s"
	_lab_put "$h" "public=198.51.100.$s"
}

# A router on the access segment: its uplink is the WAN, with a public address.
_lab_router() { # ROUTER ROLE
	local r="$1" s
	s="$(_lab_counter_next accslot 11)"
	((s <= 254)) || { echo "natlab: access segment full" >&2; return 1; }
	_lab_newns "$r" "$2"
	_lab_plug "$r" bn 203.0.113 2001:db8:113 "$s"
	_lab_put "$r" "public=203.0.113.$s" "lan=l$LAB_ID"
	_lab_sysctl "$_LAB_PREFIX$r" net.ipv4.ip_forward=1
}

# Join router R (LAN side, NET.1) and host INNER (uplink, NET.2, default via NET.1).
_lab_lan() { # R INNER NET
	_lab_veth "$_LAB_PREFIX$1" "l$LAB_ID" "$_LAB_PREFIX$2" "u$LAB_ID"
	ip -n "$_LAB_PREFIX$1" addr add "$3.1/24" dev "l$LAB_ID"
	ip -n "$_LAB_PREFIX$2" addr add "$3.2/24" dev "u$LAB_ID"
	ip -n "$_LAB_PREFIX$2" route add default via "$3.1"
	_lab_put "$2" "addr=$3.2"
}

# Stateful inbound filter every NAT router has; DNAT lets full-cone's 1:1 mapping in.
# Unsolicited UDP to the router itself is dropped too, as home routers do: accepted, it
# would leave an unreplied conntrack entry (and an ICMP error) holding the very tuple
# the router's own NAT needs when the LAN side later sends to that sender, so Linux
# would move the flow to another port and the crossing probes of hole punching (and
# the many-probes technique's hit) would miss.  Dropped in the filter, the packet's
# conntrack entry is never confirmed.
_lab_firewall() { # ROUTER [dnat]
	local u="u$LAB_ID"
	_lab_ipt "$1" -A INPUT -i "$u" -p udp -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	_lab_ipt "$1" -A INPUT -i "$u" -p udp -m comment --comment sp-lab-inbound-local -j DROP
	_lab_ipt "$1" -A FORWARD -i "$u" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	if [[ "${2:-}" == dnat ]]; then
		_lab_ipt "$1" -A FORWARD -i "$u" -m conntrack --ctstate DNAT -j ACCEPT
	fi
	_lab_ipt "$1" -A FORWARD -i "$u" -m comment --comment sp-lab-inbound -j DROP
}

_lab_canon_kind() {
	case "$1" in
	none | public) echo none ;;
	full-cone | fullcone | full | cone) echo full-cone ;;
	port-restricted | restricted | prc | masquerade) echo port-restricted ;;
	symmetric | sym) echo symmetric ;;
	carrier-grade | cgn | cgnat) echo carrier-grade ;;
	udp-blocked | udpblocked | blocked) echo udp-blocked ;;
	*)
		echo "natlab: unknown kind '$1' (one of: $_LAB_KINDS)" >&2
		return 1
		;;
	esac
}

_lab_add_device() { # KIND NAME
	local kind d="$2" j r u="u$LAB_ID" lan wan
	kind="$(_lab_canon_kind "$1")"
	_lab_init
	_lab_free_names "$d" "$d-nat" "$d-cgn"
	j="$(_lab_counter_next devnum 1)"
	((j <= 250)) || { echo "natlab: too many devices" >&2; return 1; }
	if [[ "$kind" == none ]]; then
		local s
		s="$(_lab_counter_next accslot 11)"
		((s <= 254)) || { echo "natlab: access segment full" >&2; return 1; }
		_lab_newns "$d" device
		_lab_plug "$d" bn 203.0.113 2001:db8:113 "$s"
		_lab_put "$d" kind=none "public=203.0.113.$s"
		return 0
	fi
	r="$d-nat"
	lan="l$LAB_ID"
	if [[ "$kind" == carrier-grade ]]; then
		local c="$d-cgn"
		_lab_router "$c" cgn
		_lab_newns "$r" router
		_lab_sysctl "$_LAB_PREFIX$r" net.ipv4.ip_forward=1
		_lab_lan "$c" "$r" "100.64.$j"
		_lab_put "$r" "lan=$lan" kind=port-restricted "public=$(_lab_get "$c" public)"
		_lab_put "$c" kind=symmetric
		_lab_ipt "$c" -t nat -A POSTROUTING -o "$u" -j MASQUERADE --random-fully
		_lab_firewall "$c"
	else
		_lab_router "$r" router
		_lab_put "$r" "kind=$kind"
	fi
	_lab_newns "$d" device
	_lab_lan "$r" "$d" "192.168.$j"
	wan="$(_lab_get "$r" addr)"
	case "$kind" in
	full-cone)
		_lab_ipt "$r" -t nat -A POSTROUTING -o "$u" -s "192.168.$j.2" -j SNAT --to-source "$wan"
		_lab_ipt "$r" -t nat -A PREROUTING -i "$u" -d "$wan" -j DNAT --to-destination "192.168.$j.2"
		_lab_firewall "$r" dnat
		;;
	symmetric)
		_lab_ipt "$r" -t nat -A POSTROUTING -o "$u" -j MASQUERADE --random-fully
		_lab_firewall "$r"
		;;
	port-restricted | carrier-grade)
		_lab_ipt "$r" -t nat -A POSTROUTING -o "$u" -j MASQUERADE
		_lab_firewall "$r"
		;;
	udp-blocked)
		_lab_ipt "$r" -t nat -A POSTROUTING -o "$u" -j MASQUERADE
		_lab_firewall "$r"
		_lab_ipt "$r" -A FORWARD -i "$lan" -p tcp -j ACCEPT
		_lab_ipt "$r" -A FORWARD -i "$lan" -p udp --dport 53 -j ACCEPT
		_lab_ipt "$r" -A FORWARD -i "$lan" -p icmp -j ACCEPT
		_lab_ipt "$r" -A FORWARD -i "$lan" -m comment --comment sp-lab-blocked -j DROP
		;;
	esac
	_lab_put "$d" "kind=$kind" "router=$r" "public=$(_lab_get "$r" public)"
	if [[ "$kind" == carrier-grade ]]; then
		_lab_put "$d" "cgn=$d-cgn"
	fi
}

# Replace KEY of HOST's state.
_lab_set() { # HOST KEY VALUE
	sed -i "/^$2=/d" "$LAB_DIR/hosts/$1"
	_lab_put "$1" "$2=$3"
}

# The segment a host's uplink is plugged into: "bs"/"bn" NET4 NET6 SLOTCOUNTER, or fail.
_lab_segment() { # HOST
	local role kind
	role="$(_lab_get "$1" role)"
	kind="$(_lab_get "$1" kind 2>/dev/null || true)"
	case "$role" in
	public) echo "bs 198.51.100 2001:db8:5100 pubslot" ;;
	cgn) echo "bn 203.0.113 2001:db8:113 accslot" ;;
	device) [[ "$kind" == none ]] && echo "bn 203.0.113 2001:db8:113 accslot" ;;
	router) [[ "$(_lab_get "$1" addr)" == 203.0.113.* ]] && echo "bn 203.0.113 2001:db8:113 accslot" ;;
	esac
}

_lab_add_addr() { # HOST: print the new address
	local h="$1" seg s net4 net6 slots
	seg="$(_lab_segment "$h")" || true
	if [[ -z "$seg" ]]; then
		echo "natlab: $h has no public uplink" >&2
		return 1
	fi
	read -r _ net4 net6 slots <<<"$seg"
	s="$(_lab_counter_next "$slots" 11)"
	((s <= 254)) || { echo "natlab: segment full" >&2; return 1; }
	ip -n "$_LAB_PREFIX$h" addr add "$net4.$s/24" dev "u$LAB_ID"
	_lab_put "$h" "alias=$net4.$s"
	echo "$net4.$s"
}

# Give a host on a public segment a new address (a device roaming, an ISP renumbering a
# router). NAT state of the old address goes with it; every device behind learns the new one.
_lab_renumber() { # HOST: print the new address
	local h="$1" ns="$_LAB_PREFIX$1" u="u$LAB_ID" seg s f net4 net6 slots
	seg="$(_lab_segment "$h")" || true
	if [[ -z "$seg" ]]; then
		echo "natlab: $h has no public uplink to renumber" >&2
		return 1
	fi
	read -r _ net4 net6 slots <<<"$seg"
	s="$(_lab_counter_next "$slots" 11)"
	((s <= 254)) || { echo "natlab: segment full" >&2; return 1; }
	# The old addresses go, extra ones (lab_add_addr) too.
	ip -n "$ns" addr flush dev "$u" scope global
	sed -i '/^alias=/d' "$LAB_DIR/hosts/$h"
	ip -n "$ns" addr add "$net4.$s/24" dev "$u"
	ip -n "$ns" addr add "$net6::$s/64" dev "$u" nodad
	ip -n "$ns" route replace default via "$net4.1"
	ip -n "$ns" -6 route replace default via "$net6::1"
	_lab_set "$h" addr "$net4.$s"
	_lab_set "$h" addr6 "$net6::$s"
	_lab_set "$h" public "$net4.$s"
	if [[ "$(_lab_get "$h" kind 2>/dev/null || true)" == full-cone ]]; then
		local dev
		dev="$(grep -l "^router=$h$" "$LAB_DIR"/hosts/* | head -n1)"
		dev="$(_lab_get "${dev##*/}" addr)"
		_lab_ipt "$h" -t nat -F
		_lab_ipt "$h" -t nat -A POSTROUTING -o "$u" -s "$dev" -j SNAT --to-source "$net4.$s"
		_lab_ipt "$h" -t nat -A PREROUTING -i "$u" -d "$net4.$s" -j DNAT --to-destination "$dev"
		# SNAT's flows keep the old address in conntrack (MASQUERADE's are dropped with
		# it): a router that changes address forgets them, so this one does too.
		ip netns exec "$ns" conntrack -F >/dev/null 2>&1 || true
	fi
	# Hosts behind this one (home NAT and device behind a CGN, device behind a router).
	for f in $(grep -l -e "^router=$h$" -e "^cgn=$h$" "$LAB_DIR"/hosts/* || true); do
		_lab_set "${f##*/}" public "$net4.$s"
	done
	if [[ "$(_lab_get "$h" role)" == cgn ]]; then
		for f in "$LAB_DIR"/hosts/*; do
			if [[ "$(sed -n 's/^cgn=//p' "$f")" == "$h" ]]; then
				_lab_set "$(_lab_get "${f##*/}" router)" public "$net4.$s"
			fi
		done
	fi
	echo "$net4.$s"
}

_lab_up() {
	local i=0 k
	for k in "$@"; do
		_lab_canon_kind "$k" >/dev/null
	done
	_lab_init
	for k in s1 s2 s3; do
		[[ -f "$LAB_DIR/hosts/$k" ]] || _lab_add_public "$k"
	done
	for k in "$@"; do
		i=$((i + 1))
		_lab_add_device "$k" "d$i"
	done
}

# Remove every namespace of this lab id (their processes first) and the state directory.
_lab_down() {
	local ns nss=() pids i
	# Read /run/netns directly: `ip netns list` errors out on namespaces that another run
	# deletes at the same moment.
	for ns in "$_LAB_NETNS_DIR/$_LAB_PREFIX"*; do
		[[ -e "$ns" ]] && nss+=("${ns##*/}")
	done
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
		pids=""
		for ns in "${nss[@]}"; do
			pids+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
		done
		[[ -z "${pids// /}" ]] && break
		# shellcheck disable=SC2086
		if ((i < 20)); then kill $pids 2>/dev/null; else kill -9 $pids 2>/dev/null; fi
		sleep 0.1
	done
	for ns in "${nss[@]}"; do
		ip netns del "$ns" 2>/dev/null || echo "natlab: could not delete $ns" >&2
	done
	rm -rf "$LAB_DIR"
}

_lab_usage() {
	cat <<EOF
usage: natlab.sh [--id ID] [-q] COMMAND
  up KIND...            build the internet, s1 s2 s3 and one device per KIND (d1, d2, ...)
  init                  build only the internet namespace
  add-public NAME       add a public host
  add-device KIND NAME  add a device behind a router of KIND
  add-addr HOST         give a public host (or a none device) one more address; prints it
  renumber HOST         move a host on a public segment (public host, none device, NAT
                        router or CGN) to a new address; prints it
  show                  print the hosts of lab ID
  exec HOST CMD...      run CMD in HOST's namespace
  down                  delete everything of lab ID
  list                  print the ids of the labs that exist
KIND: $_LAB_KINDS
ID: 1..8 chars of [0-9a-z]; default \$SP_LAB_ID, or random for 'up'. Needs root.
See the top of this file for the topology and the library functions.
EOF
}

_lab_main() {
	local quiet=0 id="${SP_LAB_ID:-}" cmd
	while (($#)); do
		case "$1" in
		--id) id="$2"; shift 2 ;;
		-q) quiet=1; shift ;;
		-h | --help | help) _lab_usage; return 0 ;;
		*) break ;;
		esac
	done
	cmd="${1:-}"
	(($#)) && shift
	if [[ "$cmd" == list ]]; then
		find "$_LAB_NETNS_DIR" -maxdepth 1 -name 'spl-*-inet' -printf '%f\n' 2>/dev/null |
			sed -n 's/^spl-\([0-9a-z]*\)-inet$/\1/p'
		return 0
	fi
	if [[ -z "$id" ]]; then
		if [[ "$cmd" != up && "$cmd" != init ]]; then
			echo "natlab: $cmd needs --id ID or SP_LAB_ID" >&2
			return 2
		fi
		id="$(_lab_rand)"
	fi
	_lab_set_id "$id" || return 2
	case "$cmd" in
	up | init | add-public | add-device | add-addr | renumber)
		set -eEuo pipefail
		# A failed `up` leaves nothing behind; a failed addition leaves the rest to `down`.
		if [[ "$cmd" == up ]]; then
			trap 'set +e; trap - ERR; _lab_down; echo "natlab: up failed" >&2; exit 1' ERR
		else
			trap 'echo "natlab: $cmd failed" >&2; exit 1' ERR
		fi
		case "$cmd" in
		up) (($#)) || { _lab_usage >&2; return 2; }; _lab_up "$@" ;;
		init) _lab_init ;;
		add-public) (($# == 1)) || { _lab_usage >&2; return 2; }; _lab_add_public "$1" ;;
		add-device) (($# == 2)) || { _lab_usage >&2; return 2; }; _lab_add_device "$1" "$2" ;;
		add-addr) (($# == 1)) || { _lab_usage >&2; return 2; }; _lab_add_addr "$1" ;;
		renumber) (($# == 1)) || { _lab_usage >&2; return 2; }; _lab_renumber "$1" ;;
		esac
		trap - ERR
		if ((!quiet)) && [[ "$cmd" != add-addr && "$cmd" != renumber ]]; then
			lab_show
			echo "SP_LAB_ID=$LAB_ID   (tear down: natlab.sh --id $LAB_ID down)"
		fi
		;;
	down) _lab_down ;;
	show) lab_show ;;
	exec) (($# >= 2)) || { _lab_usage >&2; return 2; }; lab_exec "$@" ;;
	*) _lab_usage >&2; return 2 ;;
	esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	_lab_main "$@"
	exit $?
fi

# Sourced: pick this shell's lab id.
_LAB_PIDS=()
_lab_set_id "${SP_LAB_ID:-$(_lab_rand)}"
