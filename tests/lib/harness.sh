# harness.sh - shared set-up of the script tests that run daemons on loopback.
# Sourced, not run:   source "$(dirname "$0")/../lib/harness.sh" NAME "$1"
#
# Gives:
#   B        the build directory (absolute), checked to hold signpostd and signpost
#   HERE     the folder of the calling script
#   T        a temporary folder of this run, removed on exit
#   PIDS     add every process you start (PIDS+=($!)); each gets SIGTERM and is
#            waited for on exit, whatever happens; `forget PID` after you have
#            waited for one yourself, so that a reused PID is never signalled
#   PY       python3
#   fail MSG print FAIL, the tail of every $T/*.log and of HARNESS_LOGS, exit 1
#   pass MSG print ok: MSG
#   need TOOL...        fail unless each tool is installed
#   rnd127              a random loopback address (127.20-219.x.y): ours alone,
#                       so tests on one machine never collide on 127.0.0.1
#   rndport             a random port below the ephemeral range (20000-31999)
#   wait_until SECS CMD...  poll CMD every 0.1 s until it succeeds or SECS pass
# shellcheck shell=bash

HARNESS_NAME=${1:?usage: source harness.sh NAME BUILD_DIR}
B=$(cd "${2:?usage: $HARNESS_NAME BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
T=$(mktemp -d "/tmp/sp-$HARNESS_NAME.XXXXXX")
PIDS=()
HARNESS_LOGS=()

harness_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap harness_cleanup EXIT

fail() {
	local f
	echo "FAIL: $*"
	for f in "$T"/*.log "${HARNESS_LOGS[@]}"; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
	done
	exit 1
}
pass() { echo "ok: $*"; }

forget() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || fail "$tool is not installed"
	done
}

rnd127() { echo "127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"; }
rndport() { echo $((RANDOM % 12000 + 20000)); }

wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || PY=python3
[ -x "$B/signpostd" ] || fail "no $B/signpostd"
[ -x "$B/signpost" ] || fail "no $B/signpost"
