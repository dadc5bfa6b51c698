#!/usr/bin/env bash
# test_sync.sh BUILD_DIR - the personal container over real tunnels in the NAT lab:
#   Alice's signpost (s1) and Bob's (s2); Alice's nas behind a symmetric NAT, her laptop
#   behind a carrier-grade NAT, Bob's laptop behind a port-restricted one.  Nothing is
#   configured for the store: the devices come from tokens.
#   - documents written on each of Alice's devices appear on the other, and their digests
#     agree (`store sync status`, --json);
#   - a 6 MB file put on the nas is fetched by the laptop in chunks and comes out identical;
#     after a 64 KiB edit in its middle, the laptop fetches only a few chunks again;
#   - Bob's laptop reads the collection Alice shares with bob.example. from her nas (the one
#     device her friend policy lets Bob reach), never her notes; writing to it is refused;
#     once unshared, the nas refuses Bob's laptop's connections.
set -u
source "$(dirname "$0")/../control/fedlib.sh" sync "$1"
export FED_STORE=1
export SIGNPOST_INTERVALS=control.register=2000,store.discover=2000
command -v jq >/dev/null || fed_fail "needs jq"

lab_init >/dev/null
lab_add_public s1
lab_add_public s2
lab_add_device symmetric anas
lab_add_device carrier-grade alap
lab_add_device port-restricted blap
SA=A/signpost.conf
SB=Bz/signpost.conf
fed_signpost s1 alice.example. A
fed_signpost s2 bob.example. Bz
fed_enroll A nas anas N
fed_enroll A laptop alap AL
fed_enroll Bz laptop blap BL
for h in anas alap blap; do
	fed_wait 20 sh -c "grep -q 'enrolled as' '$FED_DIR/$h.log'" || fed_fail "$h did not enroll"
done
fed_befriend nas
fed_pass "two of Alice's devices and one of Bob's, enrolled by token; friends"

st() { # HOST CONF ARGS...: signpost store
	local h=$1 c=$2
	shift 2
	fed_ctl "$h" "$c" store "$@"
}

# ---- documents, both ways ----
st anas N/device.conf put notes from-nas '{"who":"nas","n":1}' >/dev/null || fed_fail "put on nas"
st alap AL/device.conf put notes from-laptop '{"who":"laptop","n":2}' >/dev/null ||
	fed_fail "put on laptop"
got_both() {
	st alap AL/device.conf get notes from-nas >/dev/null 2>&1 &&
		st anas N/device.conf get notes from-laptop >/dev/null 2>&1
}
t0=$SECONDS
until got_both; do
	((SECONDS - t0 < 60)) || fed_fail "the documents did not cross: $(st alap AL/device.conf sync status)"
	sleep 0.2
done
fed_pass "a document written on each of Alice's devices is on the other ($((SECONDS - t0)) s)"
identical() {
	st alap AL/device.conf sync status --json | jq -e '.sessions | any(.identical and .kind == "own")' \
		>/dev/null 2>&1
}
fed_wait 30 identical || fed_fail "sync status never says identical: $(st alap AL/device.conf sync status --json)"
dl=$(st alap AL/device.conf sync status --json | jq -r '.peers[0].digest')
dn=$(st anas N/device.conf sync status --json | jq -r '.peers[0].digest')
[ -n "$dl" ] && [ "$dl" = "$dn" ] || fed_fail "the two devices' agreed digests differ: $dl / $dn"
fed_pass "sync status: identical, with the same digest on both ($dl)"

# ---- a file of several MB, then an edit in its middle ----
head -c 6000000 /dev/urandom >"$FED_DIR/big.bin"
st anas N/device.conf put-file "$FED_DIR/big.bin" >/dev/null || fed_fail "put-file on nas"
complete() { st alap AL/device.conf ls-files 2>/dev/null | grep -qP "^big.bin\t.*\tcomplete\t"; }
t0=$SECONDS
fed_wait 120 complete || fed_fail "the file did not reach the laptop: $(st alap AL/device.conf ls-files)"
st alap AL/device.conf get-file big.bin "$FED_DIR/big.out" >/dev/null || fed_fail "get-file on laptop"
cmp -s "$FED_DIR/big.bin" "$FED_DIR/big.out" || fed_fail "the laptop's copy differs"
fed_pass "a 6 MB file from the nas is on the laptop, identical ($((SECONDS - t0)) s)"
chunks_before=$(st alap AL/device.conf sync status --json | jq '.chunks')
python3 - "$FED_DIR/big.bin" <<'PY'
import os, sys
p = sys.argv[1]
d = open(p, "rb").read()
mid = len(d) // 2
open(p, "wb").write(d[:mid] + os.urandom(65536) + d[mid:])
PY
st anas N/device.conf put-file "$FED_DIR/big.bin" >/dev/null || fed_fail "put-file of the edit"
edited() {
	st alap AL/device.conf get-file big.bin "$FED_DIR/big2.out" >/dev/null 2>&1 &&
		cmp -s "$FED_DIR/big.bin" "$FED_DIR/big2.out"
}
fed_wait 120 edited || fed_fail "the edited file did not arrive: $(st alap AL/device.conf ls-files)"
chunks_after=$(st alap AL/device.conf sync status --json | jq '.chunks')
new=$((chunks_after - chunks_before))
((new > 0 && new <= 16)) || fed_fail "the 64 KiB edit cost $new new chunks on the laptop"
fed_pass "after a 64 KiB insertion in the middle the laptop fetched $new chunks of ~740"

# ---- a friend reads what is shared, and only that ----
st anas N/device.conf put recipes pancakes '{"eggs":2}' >/dev/null || fed_fail "put recipes"
st anas N/device.conf share recipes bob.example. >/dev/null || fed_fail "share"
st blap BL/device.conf ls recipes --friend alice.example. >/dev/null 2>&1 # starts following
got_recipes() { st blap BL/device.conf ls recipes --friend alice.example. | grep -q pancakes; }
fed_wait 60 got_recipes || fed_fail "Bob's laptop did not get the shared recipes"
st blap BL/device.conf ls notes --friend alice.example. | grep -q . &&
	fed_fail "Bob's laptop got Alice's notes: $(st blap BL/device.conf ls notes --friend alice.example.)"
st blap BL/device.conf put recipes x '{}' --friend alice.example. >/dev/null 2>&1 &&
	fed_fail "a write into a friend's replica was accepted"
fed_pass "Bob's laptop reads the shared recipes from Alice's nas; no notes; its copy is read-only"
st anas N/device.conf unshare recipes bob.example. >/dev/null || fed_fail "unshare"
fed_wait 60 sh -c "grep -q 'store: refused fd' '$FED_DIR/anas.log'" ||
	fed_fail "after unshare the nas did not refuse Bob's laptop"
fed_pass "unshared: the nas refuses Bob's laptop ($(grep -c 'store: refused' "$FED_DIR/anas.log") refusals logged)"

for h in blap alap anas s2 s1; do fed_stop "$h"; done
fed_pass "every daemon stopped on SIGTERM"
