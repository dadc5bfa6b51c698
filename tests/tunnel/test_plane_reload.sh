#!/usr/bin/env bash
# test_plane_reload.sh BUILD_DIR - the tunnel plane's configuration checks and
# two-phase reload: a [peer] preshared-key-file that cannot be used (loose
# mode, bad base64, missing) refuses the configuration at start (--check)
# and on SIGHUP, and a running peer keeps its PSK; a changed mtu, interface
# or listen-port is refused with "restart signpostd to change it"; a good
# reload still applies peers.
set -u
source "$(dirname "$0")/tunlib.sh" "$1"
trap tl_cleanup EXIT
command -v wg >/dev/null || tl_fail "needs wg (wireguard-tools)"

tl_ns a
tl_signpostd na a 51820
IF=$(tl_ifname na)
CONF=$TL_DIR/na/signpost.conf
PK1=$(wg genkey | wg pubkey)
PK2=$(wg genkey | wg pubkey)
(umask 077; wg genpsk >"$TL_DIR/na/psk1.key")
PSK1=$(cat "$TL_DIR/na/psk1.key")
cp "$CONF" "$TL_DIR/base.conf"
cat >>"$CONF" <<EOT
[peer]
public-key = $PK1
preshared-key-file = psk1.key
allowed-ips = 10.99.1.0/24
EOT

# reloads: "N ok, M refused" from the node section
refused() { tl_ctl na status | awk '$1 == "reloads:" { print $4; exit }'; }
okd() { tl_ctl na status | awk '$1 == "reloads:" { print $2; exit }'; }
psk_of() { tl_exec a wg show "$IF" preshared-keys | awk -v k="$1" '$1 == k { print $2 }'; }
# reload_expect ok|refused: SIGHUP and wait for the outcome to be counted
reload_expect() {
	local o0 r0; o0=$(okd); r0=$(refused)
	tl_reload na
	tl_wait 10 bash -c "[ \$('$SIGNPOST' -c '$CONF' status | awk '\$1 == \"reloads:\" { print \$2 + \$4; exit }') -gt $((o0 + r0)) ]" ||
		tl_fail "SIGHUP not handled"
	if [ "$1" = ok ]; then [ "$(okd)" -gt "$o0" ] || tl_fail "reload refused: $2"
	else [ "$(refused)" -gt "$r0" ] || tl_fail "reload accepted: $2"; fi
}

reload_expect ok "a peer with a good PSK"
tl_status_is na peers 1 || tl_fail "the peer was not added"
[ "$(psk_of "$PK1")" = "$PSK1" ] || tl_fail "the peer runs without its PSK"
tl_log "peer added with its PSK"

# ---- a PSK file with a loose mode: refused on SIGHUP, the peer keeps its PSK.
chmod 644 "$TL_DIR/na/psk1.key"
"$SIGNPOSTD" --check -c "$CONF" >"$TL_DIR/check.log" 2>&1 && tl_fail "--check accepted a 0644 PSK file"
grep -q "preshared-key-file" "$TL_DIR/check.log" || tl_fail "--check did not name the option: $(cat "$TL_DIR/check.log")"
reload_expect refused "a 0644 PSK file"
[ "$(psk_of "$PK1")" = "$PSK1" ] || tl_fail "the peer lost its PSK on a refused reload"
grep -q "signpost.conf:[0-9]*:.*preshared-key-file" "$TL_DIR/na.log" || tl_fail "no file:line error for the PSK file"
tl_log "0644 PSK file refused, PSK kept"

# ---- bad base64, then a missing file: refused too.
chmod 600 "$TL_DIR/na/psk1.key"
echo "not base64 at all" >"$TL_DIR/na/psk1.key"
reload_expect refused "a PSK file of bad base64"
rm -f "$TL_DIR/na/psk1.key"
reload_expect refused "a missing PSK file"
[ "$(psk_of "$PK1")" = "$PSK1" ] || tl_fail "the peer lost its PSK"
(umask 077; echo "$PSK1" >"$TL_DIR/na/psk1.key")
tl_log "bad base64 and missing PSK files refused"

# ---- options that need a restart: refused, naming the option.
for opt in "mtu = 1300" "listen-port = 51999" "interface = x$TL_ID"; do
	cp "$CONF" "$TL_DIR/good.conf"
	if grep -q "^${opt%% *} = " "$CONF"; then sed -i "s/^${opt%% *} = .*/$opt/" "$CONF"
	else sed -i "/^\[tunnel\]/a $opt" "$CONF"; fi
	reload_expect refused "$opt"
	grep -q "${opt%% *}: cannot change while running; restart signpostd to change it" "$TL_DIR/na.log" ||
		tl_fail "no error naming ${opt%% *}"
	cp "$TL_DIR/good.conf" "$CONF"
done
tl_status_is na listen-port 51820 || tl_fail "the port changed"
tl_log "mtu, listen-port, interface changes refused"

# ---- a good reload applies: a second peer, the first one removed.
cp "$TL_DIR/base.conf" "$CONF"
cat >>"$CONF" <<EOT
[peer]
public-key = $PK2
allowed-ips = 10.99.2.0/24
EOT
reload_expect ok "a second peer"
tl_status_is na peers 1 || tl_fail "peers: $(tl_status na peers)"
tl_exec a wg show "$IF" peers | grep -qx "$PK2" || tl_fail "the new peer is missing"
tl_exec a ip route show dev "$IF" | grep -q "10.99.2.0/24" || tl_fail "no route for the new peer"
tl_exec a ip route show dev "$IF" | grep -q "10.99.1.0/24" && tl_fail "the old peer's route is left"
tl_log "good reload applied"
echo PASS
