#!/usr/bin/env bash
# test.sh - the whole test suite, as CI runs it: install what is needed, build
# twice (release, and with AddressSanitizer + UBSan), run ctest on both.
#
#   bash tools/test.sh            everything
#   SKIP_DEPS=1 bash tools/test.sh   skip the apt-get step (already installed)
#
# Namespace and daemon tests need root.  Exits non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SKIP_DEPS:-}" ]; then
	bash tools/deps.sh
fi

jobs=$(nproc)
status=0
for variant in release asan; do
	dir=build
	flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
	if [ "$variant" = asan ]; then
		dir=build-asan
		flags=(-DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address,undefined)
	fi
	echo "== $variant build ($dir)"
	cmake -S . -B "$dir" "${flags[@]}" >/dev/null
	cmake --build "$dir" -j"$jobs"
	echo "== $variant tests"
	# Leaks and UB are failures; the sanitizers abort on the first report.
	if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --test-dir "$dir" --output-on-failure -j"$jobs"; then
		status=1
	fi
done
exit $status
