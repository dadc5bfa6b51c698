#!/usr/bin/env bash
# test.sh - the whole test suite, as CI runs it: install what is needed, build
# twice (release, and with AddressSanitizer + UBSan), run ctest on both; then the
# README's fuzz build (clang, -DFUZZ=ON): its unit tests, and each libFuzzer target
# for a few seconds on its corpus, so that the documented fuzz build keeps building.
#
#   bash tools/test.sh            everything
#   SKIP_DEPS=1 bash tools/test.sh   skip the apt-get step (already installed)
#   SKIP_FUZZ=1 bash tools/test.sh   skip the fuzz build (also skipped without clang)
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

if [ -z "${SKIP_FUZZ:-}" ] && command -v clang >/dev/null; then
	echo "== fuzz build (build-fuzz)"
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DFUZZ=ON >/dev/null
	cmake --build build-fuzz -j"$jobs"
	echo "== fuzz build: unit tests and corpus replays"
	if ! ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -LE script; then
		status=1
	fi
	echo "== fuzz build: each target, 3 s"
	scratch=$(mktemp -d /tmp/signpost-fuzz.XXXXXX)
	fuzz_failed=
	for corpus in tests/fuzz/corpus/*/; do
		name=$(basename "$corpus")
		mkdir "$scratch/$name"
		# New inputs go to the scratch folder; crash files too (-artifact_prefix).
		if ! build-fuzz/"fuzz_$name" "$scratch/$name" "$corpus" -max_total_time=3 \
			-artifact_prefix="$scratch/" >"$scratch/$name.log" 2>&1; then
			echo "FAIL: fuzz_$name (input kept in $scratch)"
			tail -n 30 "$scratch/$name.log"
			status=1
			fuzz_failed=1
			continue
		fi
		echo "ok - fuzz_$name: $(grep -Eo 'Done [0-9]+ runs' "$scratch/$name.log")"
	done
	[ -n "$fuzz_failed" ] || rm -rf "$scratch"
fi
exit $status
