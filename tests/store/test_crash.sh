#!/usr/bin/env bash
# test_crash.sh - crash safety of the replica: a writer and a sync, each killed with SIGKILL
# at random points, many times.  After every kill the database passes PRAGMA
# integrity_check, holds every op the writer was told was committed ("acked"), holds at
# least what the sync had reported held, and the next sync completes with identical replicas.
#
#   $1: the build directory.  ROUNDS (default 8) kills of each kind; SEED (default: random).
set -euo pipefail
build=$1
drv=$build/store_crash_driver
rounds=${ROUNDS:-8}
seed=${SEED:-$RANDOM}
RANDOM=$seed
echo "seed $seed (SEED=$seed reruns it)"
dir=$(mktemp -d /tmp/sp-test-crash.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in w.out s.out s2.out check.out; do
		[ -f "$dir/$f" ] && { echo "--- $f (last lines)"; tail -n 5 "$dir/$f"; }
	done
	exit 1
}

# Wait (at most 60 s: the machine may be busy) until FILE has at least N lines matching RE.
wait_lines() { # FILE RE N
	local end=$((SECONDS + 60))
	while ((SECONDS <= end)); do
		(($(grep -c -- "$2" "$1" 2>/dev/null || true) >= $3)) && return 0
		sleep 0.01
	done
	return 1
}

check_db() { # DB: integrity ok; prints the op ids to $dir/ids
	"$drv" check "$1" >"$dir/check.out" || fail "check $1"
	grep -qx "integrity ok" "$dir/check.out" || { cat "$dir/check.out" | head; fail "integrity_check of $1"; }
	sed -n 's/^id //p' "$dir/check.out" | tr 'A-F' 'a-f' | sort >"$dir/ids"
}

# 1. A writer killed mid-way loses no acknowledged op.
src=$dir/src.db
for r in $(seq 1 "$rounds"); do
	"$drv" write "$src" 100000 >"$dir/w.out" &
	pid=$!
	pids+=("$pid")
	wait_lines "$dir/w.out" '^acked' $((20 + RANDOM % 400)) || fail "the writer did not start"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	check_db "$src"
	sed -n 's/^acked //p' "$dir/w.out" | sort >"$dir/acked"
	missing=$(comm -23 "$dir/acked" "$dir/ids" | wc -l)
	[ "$missing" -eq 0 ] || fail "round $r: $missing acknowledged ops lost"
	echo "writer round $r: killed after $(wc -l <"$dir/acked") acks; all held, integrity ok"
done
# The source grows to 20000 more ops, so that a sync takes long enough to be cut.
"$drv" write "$src" 20000 >/dev/null || fail "bulk writes"
check_db "$src"
total=$(wc -l <"$dir/ids")

# 2. A sync killed mid-way: the target stays sound and the next sync finishes the job.
dst=$dir/dst.db
for r in $(seq 1 "$rounds"); do
	rm -f "$dst" "$dst-wal" "$dst-shm"
	"$drv" sync "$dst" "$src" >"$dir/s.out" &
	pid=$!
	pids+=("$pid")
	wait_lines "$dir/s.out" '^held' $((2 + RANDOM % 40)) || true
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	held=$(sed -n 's/^held //p' "$dir/s.out" | tail -n 1)
	check_db "$dst"
	now=$(wc -l <"$dir/ids")
	[ "$now" -ge "${held:-0}" ] || fail "round $r: the sync reported $held ops held, $now are"
	"$drv" sync "$dst" "$src" >"$dir/s2.out" || fail "round $r: the sync after the kill did not complete"
	grep -qx identical "$dir/s2.out" || fail "round $r: not identical after the second sync"
	check_db "$dst"
	[ "$(wc -l <"$dir/ids")" -eq "$total" ] || fail "round $r: $(wc -l <"$dir/ids") of $total ops after sync"
	echo "sync round $r: killed at ${held:-0} of $total ops; integrity ok; resynced identical"
done
echo "PASS"
