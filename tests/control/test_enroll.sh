#!/usr/bin/env bash
# test_enroll.sh BUILD_DIR - enrollment by token, end to end, in the NAT lab:
#   - a signpost made by `signpost init signpost` and run as an unprivileged
#     user, unedited, serves enrollment and control (its own UDP socket, no TUN);
#   - `signpost enroll nas` prints a token on its last line; `signpost init
#     device --token` makes the device; its first REGISTER (through a symmetric
#     NAT) proves the token; the signpost publishes nas AAAA + KEY, signed, and
#     `delv` reports the KEY "fully validated"; `signpost devices` lists it;
#   - the same token again (another device), an expired token and a forged
#     one (the secret changed) are refused, each with the reason in the
#     device's status and the signpost's log, and nothing is published.
set -u
source "$(dirname "$0")/fedlib.sh" enroll "$1"
command -v delv >/dev/null || fed_fail "needs delv (bind9-dnsutils)"
export SIGNPOST_INTERVALS=control.register=1000

lab_init >/dev/null
lab_add_public s1
for d in nas dup late forged; do lab_add_device symmetric "$d"; done
SPC=A/signpost.conf

fed_signpost s1 alice.example. A --user nobody
[ "$(stat -c %U "/proc/${FED_PID[s1]}")" = nobody ] || fed_fail "the signpost does not run as nobody"
fed_status s1 $SPC state | grep -qx up || fed_fail "control is not up on the signpost"
fed_pass "a signpost from init, unedited, as user nobody: control up on its own UDP socket"

# ---- a good token ----
fed_enroll A nas nas N
fed_wait 10 sh -c "grep -q 'enrolled as nas.alice.example.' '$FED_DIR/nas.log'" ||
	fed_fail "nas did not enroll"
[ -e "$FED_DIR/N/token" ] && fed_fail "the spent token is still on the device"
fed_ctl s1 $SPC devices >"$FED_DIR/devices.out"
grep -q "^nas.alice.example. " "$FED_DIR/devices.out" || fed_fail "devices: $(cat "$FED_DIR/devices.out")"
key=$(lab_exec nas signpost pubkey <"$FED_DIR/N/node.key")
grep -q "$key" "$FED_DIR/devices.out" || fed_fail "devices shows another key than the device's"
fed_ctl s1 $SPC devices --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 1 and d[0]["name"] == "nas.alice.example." and d[0]["endpoints"], d' ||
	fed_fail "devices --json"
fed_pass "nas enrolled by token through a symmetric NAT; devices lists it with its key"

# Published and signed: delv validates the KEY and the AAAA against the zone's DS.
lab_exec s1 signpost -c "$FED_DIR/$SPC" ds | head -n 1 |
	awk '{ printf "trust-anchors {\n %s initial-ds %s %s %s \"%s\";\n};\n", $1, $5, $6, $7, $8 }' \
		>"$FED_DIR/anchor.conf"
for t in KEY AAAA; do
	lab_exec s1 delv @"$(lab_addr s1)" -a "$FED_DIR/anchor.conf" +root=alice.example. \
		nas.alice.example. "$t" >"$FED_DIR/delv-$t.out" 2>&1
	grep -q "fully validated" "$FED_DIR/delv-$t.out" || fed_fail "delv $t: $(cat "$FED_DIR/delv-$t.out")"
done
grep -q "KEY.*512 3 15" "$FED_DIR/delv-KEY.out" || fed_fail "not a host KEY: $(cat "$FED_DIR/delv-KEY.out")"
fed_pass "delv: nas KEY (512 3 15) and AAAA fully validated"

# ---- refusals ----
refused() { # HOST CONF WORDS: the device's status names the refusal
	fed_status "$1" "$2" refusal | grep -q "$3"
}

# The token nas spent, on another device.
(cd "$FED_DIR" && lab_exec dup signpost init device --token "$(tail -n 1 N.enroll)" --dir D) \
	>"$FED_DIR/D.init" 2>&1 || fed_fail "init with the used token: $(cat "$FED_DIR/D.init")"
sed -i "s/^\[tunnel\]\$/[tunnel]\ninterface = sp${LAB_ID}dup/" "$FED_DIR/D/device.conf"
fed_start dup D/device.conf
fed_wait 10 refused dup D/device.conf "already used" ||
	fed_fail "a reused token: $(fed_ctl dup D/device.conf status | grep -A3 registered)"
grep -q "refused: token already used" "$FED_DIR/s1.log" || fed_fail "no refusal in the signpost's log"
fed_pass "a reused token is refused: token already used"

# A token that expires before the device first registers.
fed_ctl s1 $SPC enroll late --ttl 2s >"$FED_DIR/late.enroll" || fed_fail "enroll late"
(cd "$FED_DIR" && lab_exec late signpost init device --token "$(tail -n 1 late.enroll)" --dir L) \
	>"$FED_DIR/L.init" 2>&1 || fed_fail "init late: $(cat "$FED_DIR/L.init")"
sed -i "s/^\[tunnel\]\$/[tunnel]\ninterface = sp${LAB_ID}late/" "$FED_DIR/L/device.conf"
expiry=$(python3 - "$(tail -n 1 "$FED_DIR/late.enroll")" <<'EOF'
import base64, struct, sys
t = sys.argv[1][5:]
b = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
print(struct.unpack(">Q", b[1:9])[0])
EOF
)
fed_wait 10 sh -c "[ \$(date +%s) -gt $expiry ]" || fed_fail "the clock did not pass the expiry"
lab_exec late signpost init device --token "$(tail -n 1 "$FED_DIR/late.enroll")" --dir \
	"$FED_DIR/L2" >"$FED_DIR/L2.init" 2>&1 && fed_fail "init accepted an expired token"
grep -q "token expired at" "$FED_DIR/L2.init" || fed_fail "init: $(cat "$FED_DIR/L2.init")"
fed_start late L/device.conf
fed_wait 10 refused late L/device.conf "expired" ||
	fed_fail "an expired token: $(fed_ctl late L/device.conf status | grep -A3 registered)"
fed_pass "an expired token is refused, by init at once and by the signpost"

# A forged token: a valid one with its secret changed.
fed_ctl s1 $SPC enroll forged >"$FED_DIR/forged.enroll" || fed_fail "enroll forged"
forged=$(python3 - "$(tail -n 1 "$FED_DIR/forged.enroll")" <<'EOF'
import base64, sys
t = sys.argv[1][5:]
b = bytearray(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))
b[25] ^= 0x01                      # version 1, expiry 8, id 16: the secret starts at 25
print("spt1-" + base64.urlsafe_b64encode(bytes(b)).decode().rstrip("="))
EOF
)
(cd "$FED_DIR" && lab_exec forged signpost init device --token "$forged" --dir F) \
	>"$FED_DIR/F.init" 2>&1 || fed_fail "init forged: $(cat "$FED_DIR/F.init")"
sed -i "s/^\[tunnel\]\$/[tunnel]\ninterface = sp${LAB_ID}forged/" "$FED_DIR/F/device.conf"
fed_start forged F/device.conf
fed_wait 10 refused forged F/device.conf "forged" ||
	fed_fail "a forged token: $(fed_ctl forged F/device.conf status | grep -A3 registered)"
fed_pass "a forged token is refused: not issued by this signpost (forged)"

# Nothing of the refused devices was published; the good one was.
for n in dup late forged; do
	lab_exec s1 dig +short @"$(lab_addr s1)" "$n.alice.example." KEY | grep -q . &&
		fed_fail "$n was published"
done
fed_ctl s1 $SPC devices | grep -Eq "^(dup|late|forged)\." && fed_fail "a refused device is listed"
[ "$(fed_status s1 $SPC enrollments-refused)" -ge 3 ] ||
	fed_fail "enrollments-refused: $(fed_status s1 $SPC enrollments-refused)"
# The late token is still unspent, and is refused as expired again, not as used.
fed_pass "refused devices are not published; the signpost counted $(fed_status s1 $SPC enrollments-refused) refusals"

for h in forged late dup nas s1; do fed_stop "$h"; done
fed_pass "every daemon stopped on SIGTERM"
