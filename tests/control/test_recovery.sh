#!/usr/bin/env bash
# test_recovery.sh BUILD_DIR - what happens after the sessions are made:
#   - `signpost revoke laptop` removes laptop's AAAA and KEY, its messages are
#     refused ("device revoked"), and the nas closes its session with it
#     within seconds (time printed);
#   - the signpost restarts: its devices register again and the relayed
#     session phone <-> nas carries traffic again, with no user action (time
#     printed);
#   - the phone's NAT router gets a new public address (its mappings are
#     lost): the phone registers from the new one and the session follows
#     (time printed).
# Devices sit behind symmetric NATs, so every session here is relayed by
# the signpost.  control.register is 2 s in this test (25 s by default).
set -u
source "$(dirname "$0")/fedlib.sh" recovery "$1"
export SIGNPOST_INTERVALS=control.register=2000

lab_init >/dev/null
lab_add_public s1
for d in anas alap aphone; do lab_add_device symmetric "$d"; done
SA=A/signpost.conf
fed_signpost s1 alice.example. A
fed_enroll A nas anas N
fed_enroll A laptop alap L
fed_enroll A phone aphone P
for h in anas alap aphone; do
	fed_wait 10 sh -c "grep -q 'enrolled as' '$FED_DIR/$h.log'" || fed_fail "$h did not enroll"
done

reach() { # HOST NAME: one ping answered
	lab_exec "$1" ping -6 -c 1 -w 1 "$2" >/dev/null 2>&1
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

fed_wait 15 reach alap nas.alice.example || fed_fail "laptop does not reach nas"
fed_wait 15 reach aphone nas.alice.example || fed_fail "phone does not reach nas"
fed_ctl anas N/device.conf status | grep -q "peer laptop.alice.example.: .* up" ||
	fed_fail "nas has no session with laptop"
fed_pass "laptop and phone reach nas by name (relayed by the signpost)"

# ---- revoke ----
t0=$(date +%s%N)
fed_ctl s1 $SA revoke laptop >"$FED_DIR/revoke.out" || fed_fail "revoke: $(cat "$FED_DIR/revoke.out")"
closed() { ! fed_ctl anas N/device.conf status | grep -q "peer laptop.alice.example."; }
fed_wait 10 closed || fed_fail "nas still has its session with laptop"
echo "   revoke: nas closed its session with laptop $(ms_since "$t0") ms after the command"
grep -q "2 other device(s) told" "$FED_DIR/revoke.out" || fed_fail "revoke: $(cat "$FED_DIR/revoke.out")"
for t in KEY AAAA; do
	[ -z "$(lab_exec s1 dig +short @"$(lab_addr s1)" laptop.alice.example. "$t")" ] ||
		fed_fail "laptop's $t is still published"
done
fed_ctl s1 $SA devices | grep -q "^laptop\." && fed_fail "laptop is still listed"
lap_revoked() { fed_status alap L/device.conf refusal | grep -q "device revoked"; }
fed_wait 10 lap_revoked ||
	fed_fail "laptop's registrations are not refused as revoked"
reach alap nas.alice.example && fed_fail "the revoked laptop still reaches nas"
fed_pass "revoked: records gone, its registrations refused (device revoked), nas closed the session"

# The device list for the store (_devices PTR): the revoked laptop's went with its records.
ptrs() { fed_ctl s1 $SA zone show | awk '$1 == "_devices.alice.example." && $4 == "PTR" { print $5 }' | sort | tr '\n' ' '; }
[ "$(ptrs)" = "nas.alice.example. phone.alice.example. " ] ||
	fed_fail "_devices PTR after the revoke: '$(ptrs)'"
# A zone from before the PTRs existed: the restarted signpost publishes the missing ones.
fed_ctl s1 $SA zone del _devices PTR >/dev/null || fed_fail "zone del _devices PTR"
[ -z "$(ptrs)" ] || fed_fail "_devices PTR still there: '$(ptrs)'"

# ---- the signpost restarts ----
fed_stop s1
t0=$(date +%s%N)
fed_start s1 $SA
fed_wait 30 reach aphone nas.alice.example || fed_fail "phone does not reach nas after the restart"
echo "   signpost restart: phone -> nas answered again $(ms_since "$t0") ms after signpostd started"
fed_ctl s1 $SA devices | grep -q "^phone.alice.example. .* [0-9]*s ago" ||
	fed_fail "phone did not register again: $(fed_ctl s1 $SA devices)"
[ "$(ptrs)" = "nas.alice.example. phone.alice.example. " ] ||
	fed_fail "_devices PTR not published again at start: '$(ptrs)'"
fed_pass "signpost restart: devices registered again, the session recovered by itself, _devices PTR back"

# ---- the phone's NAT gets a new address ----
old=$(lab_public aphone)
new=$(lab_renumber "$(lab_router aphone)") || fed_fail "renumber"
t0=$(date +%s%N)
fed_wait 30 reach aphone nas.alice.example || fed_fail "phone does not reach nas from its new address"
echo "   address change: phone -> nas answered again $(ms_since "$t0") ms after $old became $new"
phone_at() { fed_ctl s1 $SA devices | grep '^phone' | grep -q " $1:"; }
fed_wait 10 phone_at "$new" ||
	fed_fail "the signpost does not have phone at $new: $(fed_ctl s1 $SA devices)"
fed_pass "address change: phone registered from $new, the session followed"

for h in aphone alap anas s1; do fed_stop "$h"; done
fed_pass "every daemon stopped on SIGTERM"
