#!/usr/bin/env bash
# natmatrix.sh - the NAT matrix as a table: a device of Bob's behind each router kind of the
# lab (none, full cone, port-restricted, symmetric, carrier-grade, UDP-blocked) reaches a
# device of Alice's behind each kind, all 21 pairs: the path found (direct or relayed, over
# TLS where UDP is blocked), the time from `signpost ping` to the first pong, and the time
# from the tunnel to its direct path.  The run is tests/control/test_matrix.sh (which also
# checks each path against what this build should find); this prints its table.
#
#   tools/bench/natmatrix.sh [BUILD_DIR]        (root; about 75 s)
#   SP_MATRIX_KINDS="none symmetric" ...        a smaller matrix
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || exit 1
[ "$(id -u)" -eq 0 ] || { echo "natmatrix.sh: needs root (network namespaces)" >&2; exit 1; }
out=$(mktemp /tmp/sp-natmatrix.XXXXXX)
trap 'rm -f "$out"' EXIT
timeout -k 5 300 bash "$root/tests/control/test_matrix.sh" "$build" >"$out" 2>&1
rc=$?
sed -n '/^Bob.s device/,/^$/p' "$out"
grep -E '^(ok|FAIL):' "$out" | tail -n 2
direct=$(grep -Ec ' direct +[0-9]+ ms ' "$out")
total=$(grep -Ec ' (direct|relayed) +(direct|relayed|-) ' "$out")
echo "direct: $direct of $total pairs; the rest relayed by the target's signpost"
exit "$rc"
