#!/usr/bin/env bash
# The examples in conf/ are valid: each passes `signpostd --check` with keys
# made by `signpost init`, and the zone template loads once filled in.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
	local what=$1; shift
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok: $what"
	else
		echo "FAIL: $what"; cat "$tmp/out"; fail=1
	fi
}

"$build/signpost" init signpost --zone alice.example. --dir "$tmp/sp" --address 127.0.0.1 >/dev/null
cp "$root/conf/signpost.conf.example" "$tmp/sp/signpost.conf"
check "conf/signpost.conf.example passes --check" "$build/signpostd" --check -c "$tmp/sp/signpost.conf"

"$build/signpost" init device --zone alice.example. --name laptop --dir "$tmp/dev" \
	--signpost 127.0.0.1:51820 --signpost-key "$("$build/signpost" pubkey < "$tmp/sp/node.key")" >/dev/null
cp "$root/conf/device.conf.example" "$tmp/dev/device.conf"
check "conf/device.conf.example passes --check" "$build/signpostd" --check -c "$tmp/dev/device.conf"

sed 's/ZONE/alice.example./g; s/ADDRESS/127.0.0.1/' "$root/conf/zone.db.template" > "$tmp/zone.db"
check "conf/zone.db.template reads as a zone" ldns-read-zone "$tmp/zone.db"

# And the check really checks: a broken copy is refused with file and line.
printf '[node]\nrole = signpost\nzone = alice.example.\ncolour = blue\n' > "$tmp/sp/bad.conf"
if "$build/signpostd" --check -c "$tmp/sp/bad.conf" 2>"$tmp/err"; then
	echo "FAIL: a broken config passed --check"; fail=1
elif grep -q "bad.conf:4: \[node\] colour: unknown option" "$tmp/err"; then
	echo "ok: a broken config is refused with file:line"
else
	echo "FAIL: unexpected error text"; cat "$tmp/err"; fail=1
fi
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
