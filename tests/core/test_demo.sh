#!/usr/bin/env bash
# test_demo.sh - runs the built-in demo (tools/demo.sh) on the binaries of BUILD_DIR and checks
# what it claims to show: three nodes started, the laptop's stub validated phone's AAAA (AD),
# ping by name from laptop to phone got replies relayed by the signpost (hop limit 63), `wg show`
# through the UAPI socket saw both peers with a handshake and traffic, every signpostd exited 0
# on SIGTERM, and nothing of the run is left behind.  Also: without root the demo says so and
# exits 1.
# Usage: bash test_demo.sh BUILD_DIR   (root; namespaces)
set -u

B=$(cd "${1:?usage: test_demo.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
for f in signpost signpostd; do
	[ -x "$B/$f" ] || { echo "FAIL: $B/$f is not built"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL: test_demo.sh needs root (network namespaces)"
	exit 1
fi

T=$(mktemp -d /tmp/sp-demo-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
pass() { echo "ok - $1"; }
fail() { echo "FAIL - $1"; FAILS=$((FAILS + 1)); }
has() { # NAME ERE: the demo's output has a matching line
	if grep -Eq -- "$2" "$T/out"; then pass "$1"; else fail "$1 (no line matching /$2/)"; fi
}
count_is() { # NAME WANT ERE
	local n
	n=$(grep -Ec -- "$3" "$T/out")
	if [ "$n" -eq "$2" ]; then pass "$1"; else fail "$1 ($n lines matching /$3/, want $2)"; fi
}

# The demo bounds every wait itself (10 s each); the timeout only guards against a hang.
start=$SECONDS
SKIP_DEPS=1 BUILD_DIR="$B" timeout -k 5 120 bash "$ROOT/tools/demo.sh" >"$T/out" 2>&1
rc=$?
took=$((SECONDS - start))
if [ "$rc" -eq 0 ]; then pass "demo exits 0 (in ${took} s)"; else fail "demo exits $rc"; fi

id=$(sed -n 's/^== 0\. the NAT lab (run id \([0-9a-z]*\)).*/\1/p' "$T/out" | head -n 1)
if [ -n "$id" ]; then pass "demo prints its run id ($id)"; else fail "demo prints its run id"; fi

# 1-4: three daemons, a tunnel each, handshakes with the signpost.
count_is "three daemons report their status" 3 '^role: (signpost|device)$'
count_is "tunnel up on each node" 3 '^  state: up$'
has "the signpost took both device peers on SIGHUP" '^reloads: 1 ok, 0 refused$'
count_is "each device shook hands with the signpost" 2 '^  peer0: .* endpoint 198\.51\.100\.11:51820 latest-handshake [1-9]'
# 5: the stub on the laptop validated the answer.
has "dig through the laptop's stub: NOERROR" 'status: NOERROR'
has "dig through the laptop's stub: AD flag" '^;; flags:[a-z ]* ad[ ;]'
has "phone's AAAA is in the answer" '^phone\.demo\.example\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+fd'
# 6: ping by name, replies through the signpost (one hop: hop limit 64 - 1).
has "ping resolves phone.demo.example to its overlay address" '^PING phone\.demo\.example\(fd[0-9a-f:]+\)'
has "ping replies received" '^[0-9]+ packets transmitted, [1-9][0-9]* received'
has "replies relayed by the signpost (ttl=63)" 'bytes from fd[0-9a-f:]+: icmp_seq=[0-9]+ ttl=63 '
# 7: wg show through the UAPI socket.
count_is "wg show: two peers" 2 '^peer: '
count_is "wg show: a handshake with each" 2 '^  latest handshake: '
count_is "wg show: traffic both ways with each" 2 '^  transfer: [1-9][0-9.]* [KMG]?i?B received, [1-9][0-9.]* [KMG]?i?B sent$'
# 8: clean exits.
for n in signpost laptop phone; do
	has "signpostd ($n) exits 0 on SIGTERM" "^signpostd \($n\) exited with 0$"
done
has "the demo says what it does not show yet" 'hole punching'
has "demo complete" '^demo complete$'

# Nothing left behind.
if [ -n "$id" ]; then
	left=$(find /run/netns /etc/netns /var/run/wireguard -maxdepth 1 \
		\( -name "spl-$id-*" -o -name "sp${id}?.sock" \) 2>/dev/null)
	if [ -z "$left" ]; then pass "no namespace or socket of run $id left"; else fail "left: $left"; fi
	if ls -d /tmp/signpost-demo-"$id".* >/dev/null 2>&1; then
		fail "work folder of run $id left"
	else
		pass "work folder removed"
	fi
	alive=
	for p in $(sed -n 's/^\[[a-z]*\]\$ kill -TERM \([0-9]*\)$/\1/p' "$T/out"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = signpostd ] && alive+=" $p"
	done
	if [ -z "$alive" ]; then pass "no signpostd of the run left"; else fail "signpostd still runs:$alive"; fi
fi

# Without root: a clear message and exit 1, before anything is built.  The unprivileged user
# may not be able to read the checkout (cloned into /root, mode 0700), so it runs a copy of
# demo.sh, byte for byte, from a folder of its own that it can read, and starts there.
if command -v setpriv >/dev/null; then
	NR=$(mktemp -d /tmp/sp-demo-nonroot.XXXXXX)
	trap 'rm -rf "$T" "$NR"' EXIT
	mkdir "$NR/tools"
	cp "$ROOT/tools/demo.sh" "$NR/tools/demo.sh"
	chmod 755 "$NR" "$NR/tools"
	chmod 644 "$NR/tools/demo.sh"
	(cd "$NR" && SKIP_DEPS=1 BUILD_DIR="$B" setpriv --reuid=65534 --regid=65534 --clear-groups \
		bash "$NR/tools/demo.sh") >"$T/nonroot" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q 'needs root' "$T/nonroot"; then
		pass "not root: says so, exits 1"
	else
		fail "not root: exit $rc, output: $(head -c 300 "$T/nonroot")"
	fi
fi

if [ "$FAILS" -ne 0 ]; then
	echo "---- demo output ----"
	cat "$T/out"
	echo "FAIL: $FAILS check(s) failed"
	exit 1
fi
echo "PASS: test_demo.sh"
