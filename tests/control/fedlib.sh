# fedlib.sh - the federation lab of the control plane's tests (sourced).
#
#   source "$(dirname "$0")/fedlib.sh" NAME BUILD_DIR
#
# Builds on the NAT lab (tests/lab/natlab.sh): signposts are public hosts,
# devices sit behind NAT routers.  Every daemon runs in its host's
# namespace from a folder of this run ($FED_DIR), every name carries the
# run's lab id, and fed_cleanup (the EXIT trap) stops the daemons it
# started (by PID), removes the namespaces, /etc/netns entries and UAPI
# sockets it made, and the folder.
#
#   fed_signpost HOST ZONE DIR [--user USER]   init and start a signpost (DNS 53, UDP 51820)
#   fed_enroll SPDIR NAME HOST DIR             token from the signpost, init device, start it
#   fed_befriend ALLOW                         s1 (alice.example.) and s2 (bob.example.) friends
#   fed_start HOST CONF [--user USER]          start signpostd (waits for its control socket)
#   fed_stop HOST                              SIGTERM to the daemon of HOST, wait for it
#   fed_ctl HOST CONF ARGS...                  the CLI against HOST's daemon
#   fed_status HOST CONF KEY                   KEY's value in the control section of status
#   fed_resolver HOST                          /etc/netns: the host resolves through its stub
#   fed_fail MSG / fed_pass MSG / fed_wait SECS CMD...
# shellcheck shell=bash

FED_NAME=${1:?usage: source fedlib.sh NAME BUILD_DIR}
B=$(cd "${2:?usage: $FED_NAME BUILD_DIR}" && pwd)
FED_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$B:$PATH"
unset SP_LAB_ID
# shellcheck source=../lab/natlab.sh
source "$FED_HERE/../lab/natlab.sh"
FED_DIR=$(mktemp -d "/tmp/sp-$FED_NAME-$LAB_ID.XXXXXX")
chmod 755 "$FED_DIR"
declare -A FED_PID=() FED_CONF=()
FED_NETNS=()

fed_cleanup() {
	local h
	trap - EXIT
	for h in "${!FED_PID[@]}"; do kill -TERM "${FED_PID[$h]}" 2>/dev/null; done
	for h in "${!FED_PID[@]}"; do
		fed_wait 5 fed_gone "${FED_PID[$h]}" || kill -KILL "${FED_PID[$h]}" 2>/dev/null
		wait "${FED_PID[$h]}" 2>/dev/null
	done
	lab_down >/dev/null 2>&1
	for h in "${FED_NETNS[@]}"; do rm -rf "/etc/netns/$h"; done
	rm -f /var/run/wireguard/sp"$LAB_ID"*.sock
	# FED_KEEP=DIR: the run's logs and configurations are kept there, to look at.
	[ -n "${FED_KEEP:-}" ] && mkdir -p "$FED_KEEP" && cp -r "$FED_DIR" "$FED_KEEP/"
	rm -rf "$FED_DIR"
}
trap fed_cleanup EXIT

fed_fail() {
	local f
	echo "FAIL: $*"
	for f in "$FED_DIR"/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 25 "$f"; }
	done
	exit 1
}
fed_pass() { echo "ok: $*"; }

fed_wait() { # SECS CMD...: poll every 0.1 s
	local end=$((SECONDS + $1))
	shift
	while ((SECONDS <= end)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
fed_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

fed_ctl() { # HOST CONF ARGS... (CONF relative to $FED_DIR, or absolute)
	local h=$1 c=$2
	[[ $c = /* ]] || c=$FED_DIR/$c
	shift 2
	lab_exec "$h" signpost -c "$c" "$@"
}
fed_status() { # HOST CONF KEY: KEY's value in the control section of status
	fed_ctl "$1" "$2" status |
		awk -v k="$3" '/^[^ ]/ { sec = $0 } sec == "control:" && index($0, "  " k ": ") == 1 {
			print substr($0, length(k) + 5); exit }'
}

fed_start() { # HOST CONF [--user USER]
	local h=$1 c=$2 run=()
	[ "${3:-}" = --user ] && run=(setpriv --reuid "$(id -u "$4")" --regid "$(id -g "$4")" --clear-groups)
	( cd "$FED_DIR" && exec ip netns exec "$(lab_ns "$h")" "${run[@]}" signpostd -c "$c" \
		>>"$FED_DIR/$h.log" 2>&1 ) &
	FED_PID[$h]=$!
	FED_CONF[$h]=$c
	fed_wait 10 fed_ctl "$h" "$c" status || fed_fail "signpostd on $h did not start"
}

fed_stop() { # HOST
	local p=${FED_PID[$1]}
	kill -TERM "$p"
	fed_wait 10 fed_gone "$p" || fed_fail "signpostd on $1 still runs 10 s after SIGTERM"
	wait "$p" 2>/dev/null
	unset "FED_PID[$1]"
}

fed_signpost() { # HOST ZONE DIR [--user USER]
	local h=$1 zone=$2 dir=$3
	( cd "$FED_DIR" && lab_exec "$h" signpost init signpost --zone "$zone" --dir "$dir" \
		--address "$(lab_addr "$h")" ) >"$FED_DIR/$dir.init" 2>&1 ||
		fed_fail "init signpost $zone: $(cat "$FED_DIR/$dir.init")"
	# A second address for RFC 5780 (OTHER-ADDRESS): its devices learn how their NAT maps
	# (an endpoint-dependent one is marked in their candidates: the many-probes technique).
	local other
	other=$(lab_add_addr "$h") || fed_fail "no second address for $h"
	printf '\n[nat]\nstun-other-address = %s\n' "$other" >>"$FED_DIR/$dir/signpost.conf"
	if [ "${4:-}" = --user ]; then
		chown -R "$5" "$FED_DIR/$dir"
		# Port 53 without root: this namespace lets every user bind from 53 up.
		lab_exec "$h" sysctl -qw net.ipv4.ip_unprivileged_port_start=53
	fi
	fed_start "$h" "$dir/signpost.conf" "${@:4}"
}

# The device's TUN name must be unique in the machine (its UAPI socket is shared).
fed_enroll() { # SPDIR NAME HOST DIR
	local spdir=$1 name=$2 h=$3 dir=$4 sphost tok
	sphost=$(fed_host_of "$spdir/signpost.conf")
	fed_ctl "$sphost" "$spdir/signpost.conf" enroll "$name" >"$FED_DIR/$dir.enroll" ||
		fed_fail "enroll $name: $(cat "$FED_DIR/$dir.enroll")"
	tok=$(tail -n 1 "$FED_DIR/$dir.enroll")
	( cd "$FED_DIR" && lab_exec "$h" signpost init device --token "$tok" --dir "$dir" ) \
		>"$FED_DIR/$dir.init" 2>&1 || fed_fail "init device $name: $(cat "$FED_DIR/$dir.init")"
	sed -i "s/^\[tunnel\]\$/[tunnel]\ninterface = sp$LAB_ID$name/" "$FED_DIR/$dir/device.conf"
	# These tests watch which tunnels the control plane makes and why; the store would make
	# its own to the user's other devices (it syncs with them), so it is off unless asked.
	if [ -z "${FED_STORE:-}" ]; then
		printf '\n[store]\nenabled = no\n' >>"$FED_DIR/$dir/device.conf"
	fi
	fed_resolver "$h"
	fed_start "$h" "$dir/device.conf"
}

# Alice (s1, A/) and Bob (s2, Bz/) exchange DS records and add each other as friends;
# Alice's devices in ALLOW (comma-separated labels) may be reached by Bob's.
fed_befriend() { # ALLOW
	local dsA dsB
	dsA=$(fed_ctl s1 A/signpost.conf ds | head -n 1)
	dsB=$(fed_ctl s2 Bz/signpost.conf ds | head -n 1)
	fed_ctl s1 A/signpost.conf friend add bob.example. --anchor "$dsB" \
		--signpost "$(lab_addr s2)" --allow "$1" >/dev/null || fed_fail "friend add on Alice's signpost"
	fed_ctl s2 Bz/signpost.conf friend add alice.example. --anchor "$dsA" \
		--signpost "$(lab_addr s1)" >/dev/null || fed_fail "friend add on Bob's signpost"
}

fed_host_of() { # CONF: the host whose daemon runs CONF
	local h
	for h in "${!FED_CONF[@]}"; do
		[ "${FED_CONF[$h]}" = "$1" ] && { echo "$h"; return 0; }
	done
	return 1
}

fed_resolver() { # HOST: its programs ask the stub (ip netns exec bind-mounts /etc/netns/NS)
	local ns
	ns=$(lab_ns "$1")
	mkdir -p "/etc/netns/$ns"
	echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
	FED_NETNS+=("$ns")
}
