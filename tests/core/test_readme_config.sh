#!/usr/bin/env bash
# The README's configuration reference is exactly what the schema table says.
# Regenerate it with: tools/update-readme.sh
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/signpostd" --config-reference > "$tmp/expected"
sed -n '/<!-- config-reference:begin -->/,/<!-- config-reference:end -->/p' "$root/README.md" |
	sed '1d;$d' > "$tmp/actual"
if ! diff -u "$tmp/expected" "$tmp/actual"; then
	echo "FAIL: README configuration reference is out of date; run tools/update-readme.sh"
	exit 1
fi
echo "PASS: README configuration reference matches the schema ($(grep -c '^| `' "$tmp/expected") options)"
