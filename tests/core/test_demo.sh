#!/usr/bin/env bash
# test_demo.sh - runs the built-in demo (tools/demo.sh) on the binaries of BUILD_DIR and checks
# what it claims to show: two signposts and three devices started, every device enrolled by
# token, friends added, Bob's laptop reached nas.alice.example by name over TCP (greeting and
# query-to-first-byte printed), validated with AD through Bob's stub, and by ping; the tunnel
# was relayed by Alice's signpost, which has no tunnel of its own; Bob's laptop was refused
# Alice's laptop by policy; Alice's laptop reached her NAS; every signpostd exited 0 on
# SIGTERM, and nothing of the run is left behind.  Also: without root the demo says so and
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

# 1-3: five daemons, enrollment by token.
count_is "two signposts started in control role" 2 'control: signpost role, UDP port 51820 \(own socket\)'
count_is "three devices enrolled by token" 3 'control: enrolled as [a-z]+\.(alice|bob)\.example\. \(token spent\)'
count_is "three tokens printed" 3 '^spt1-[A-Za-z0-9_-]+$'
count_is "devices lists Alice's two" 2 '^(laptop|nas)\.alice\.example\. +[A-Za-z0-9+/]{43}= +fd[0-9a-f:]+ '
# 4: friends.
has "Alice adds Bob, allowing her nas" '^friend bob\.example\. added; its devices may reach: nas$'
has "Bob adds Alice" '^friend alice\.example\. added; its devices may reach: none of mine$'
# 5: Bob's laptop -> nas.alice.example.
has "TCP by name: the nas's greeting" '^nas\.alice\.example is fd[0-9a-f:]+; it said: hello from nas\.alice\.example$'
has "query-to-first-byte printed" '^query [0-9.]+ ms; query to first byte through the tunnel [0-9.]+ ms$'
has "dig through Bob's stub: AD flag" '^;; flags:[a-z ]* ad[ ;]'
has "ping resolves nas.alice.example to its overlay address" '^PING nas\.alice\.example\(fd[0-9a-f:]+\)'
has "ping replies received" '^3 packets transmitted, [1-9][0-9]* received'
has "Bob's tunnel to the nas is relayed" '^  peer nas\.alice\.example\.: fd[0-9a-f:]+ up relayed( \(probing\))?$'
# 6: refused by policy.
has "Alice's signpost refused Bob's laptop -> laptop" "to 'laptop' refused by policy"
# 7, 8: Alice's own devices; the relay holds no tunnel.
has "Alice's laptop reaches her nas" '^2 packets transmitted, [1-9] received'
has "netcheck on the laptop: UDP works" '^udp: works'
has "netcheck on the laptop: its public address" '^public-address: [0-9]'
has "signpost ping names the path" '^pong from nas\.alice\.example\. \(fd[0-9a-f:]+\) via (relay |[0-9])'
has "Alice's signpost has no tunnel" '^tunnel:$'
has "Alice's signpost relayed bytes" '^  relayed-bytes: [1-9][0-9]*$'
# 9: clean exits.
for n in alice-sp bob-sp laptop nas bob; do
	has "signpostd ($n) exits 0 on SIGTERM" "^signpostd \($n\) exited with 0$"
done
has "store: the laptop's note read on the NAS" '^\{"text":"milk, bread"\}$'
has "store: the NAS's photo on the laptop, byte for byte" "the NAS's photo is on the laptop, byte for byte"
has "store: the edits made apart, a conflict on both" 'both edits are kept, on both devices'
has "store: the winner and the conflicting value listed" '^  conflict +[0-9a-f]{16} .*(eggs|apples)'
has "store: sync status says identical" '^peer [0-9a-f]{16} .* identical digest [0-9a-f]{32}$'
has "store: Bob's laptop reads the shared recipes" '^pancakes.*"eggs":2'
has "store: Alice's notes never reach Bob" "her notes never left it"
has "demo complete" '^demo complete$'

# Nothing left behind.
if [ -n "$id" ]; then
	left=$(find /run/netns /etc/netns /var/run/wireguard -maxdepth 1 \
		\( -name "spl-$id-*" -o -name "sp${id}*.sock" \) 2>/dev/null)
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
