#!/usr/bin/env bash
# The whole suite (make test): every step runs whatever happened to the
# steps before it, and the end prints one line per step with its result
# and time, then exits non-zero if any step failed. The steps are make
# targets, so any one of them can be rerun alone (make race, make lint).
# STEPS="vet lint" runs only those.
set -uo pipefail
cd "$(dirname "$0")/.."

steps=(${STEPS:-peers vet cross lint race conformance conformance-peers allocs examples bench-tests fuzz-smoke})

results=()
failed=0
suite_start=$(date +%s)
for step in "${steps[@]}"; do
	printf '\n=== %s (make %s)\n' "$step" "$step"
	start=$(date +%s)
	if make --no-print-directory "$step"; then
		result=ok
	else
		result=FAILED
		failed=$((failed + 1))
	fi
	secs=$(($(date +%s) - start))
	results+=("$(printf '%-18s %-6s %3dm%02ds' "$step" "$result" $((secs / 60)) $((secs % 60)))")
done
total=$(($(date +%s) - suite_start))

printf '\n=== make test: %d steps, %d failed, %dm%02ds in all (%s CPUs, load average %s)\n' \
	"${#steps[@]}" "$failed" $((total / 60)) $((total % 60)) "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ]
