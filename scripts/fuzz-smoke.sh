#!/usr/bin/env bash
# Runs every fuzz target of the library for $FUZZTIME (default 3s) each.
# Targets are discovered from the test files of every package (the
# functions named Fuzz...), so a new one is never forgotten; reading the
# files rather than asking `go test -list` spares building every test
# binary once more just to list it.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context
# deadline exceeded" at the end of -fuzztime, having found nothing
# (go.dev/issue/75804, fixed in Go 1.27). Such a run wrote no failing
# input; the target is run again once, and only a run that fails for
# something else, or writes a failing input, fails the smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-3s}
count=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run_target runs one target, printing its output; it returns 0 when
# clean, 1 on a finding, 2 on the coordinator's bare deadline.
run_target() {
	local pkg=$1 target=$2
	if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$out" 2>&1; then
		cat "$out"
		return 0
	fi
	cat "$out"
	# The race's whole output: progress lines, one FAIL with the bare
	# deadline, and go test's exit lines; anything else is a finding.
	if grep -q 'context deadline exceeded' "$out" && ! grep -qE 'Failing input written|panic:' "$out" &&
		[ "$(grep -c -- '--- FAIL' "$out")" -eq 1 ] &&
		! grep -qv -E '^(fuzz: |--- FAIL|    context deadline exceeded|FAIL|exit status|ok|=== )' "$out"; then
		return 2
	fi
	return 1
}

# Every module with fuzz targets (a ./... pattern stops at a module's
# edge; go.work resolves the others from here).
while read -r pkg dir; do
	for target in $(cat "$dir"/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p'); do
		echo "== $pkg $target ($fuzztime)"
		status=0
		run_target "$pkg" "$target" || status=$?
		if [ "$status" -eq 2 ]; then
			echo "== $target: the fuzz coordinator's deadline race (go.dev/issue/75804), no input found; running it again"
			status=0
			run_target "$pkg" "$target" || status=$?
		fi
		if [ "$status" -ne 0 ]; then
			echo "fuzz smoke: $pkg $target failed" >&2
			exit 1
		fi
		count=$((count + 1))
	done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./... ./natsbridge/... ./cmd/fastws/...)
if [ "$count" -eq 0 ]; then
	echo "no fuzz targets found" >&2
	exit 1
fi
echo "fuzz smoke: $count targets clean"
