#!/bin/bash
# test_tundev_netns.sh BUILD_DIR - run tunnel_test_tundev inside a network
# namespace made for this run, then check from outside that the interfaces
# it made are gone.  The namespace is removed on any exit.
set -euo pipefail
BUILD=${1:?usage: test_tundev_netns.sh BUILD_DIR}
BIN="$BUILD/tunnel_test_tundev"
[ -x "$BIN" ] || { echo "missing $BIN"; exit 1; }

NS="sptun-$$-$RANDOM"
IFN="sptun$(printf '%04x' $((RANDOM % 65536)))"
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
INO=$(stat -L -c %i "/var/run/netns/$NS")

out=$(ip netns exec "$NS" env SP_TUN_NETNS_TEST=1 SP_TUN_NETNS_INODE="$INO" SP_TUN_IFNAME="$IFN" "$BIN" 2>&1) || {
	echo "$out"; echo "FAIL: tunnel_test_tundev"; exit 1; }
echo "$out"
# The binary skips when it is not sure to be in a namespace: a skip is a failure here.
if echo "$out" | grep -q SKIPPED; then
	echo "FAIL: tests were skipped inside the namespace"; exit 1
fi
# Closing the fds removed every TUN device the test made.
left=$(ip netns exec "$NS" ip -o link show type tun || true)
if [ -n "$left" ]; then
	echo "FAIL: interfaces left behind: $left"; exit 1
fi
# The host never saw the test's interface.
if ip link show "$IFN" >/dev/null 2>&1; then
	echo "FAIL: $IFN exists in the host namespace"; exit 1
fi
echo "PASS: tundev in namespace $NS"
