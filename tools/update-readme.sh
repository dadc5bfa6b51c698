#!/usr/bin/env bash
# Rewrite the README's configuration reference from the schema table
# (signpostd --config-reference).  Usage: tools/update-readme.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
ref=$(mktemp)
trap 'rm -f "$ref"' EXIT
"$build/signpostd" --config-reference > "$ref"
awk -v ref="$ref" '
	/<!-- config-reference:begin -->/ { print; while ((getline line < ref) > 0) print line; skip = 1; next }
	/<!-- config-reference:end -->/ { skip = 0 }
	!skip { print }
' "$root/README.md" > "$root/README.md.new"
mv "$root/README.md.new" "$root/README.md"
