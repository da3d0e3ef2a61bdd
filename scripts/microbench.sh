#!/usr/bin/env bash
# The library's micro-benchmarks (issue 6): masking, UTF-8 validation,
# frame headers, the parser, message read and write, echo over loopback
# and the raw handshake, each -count times (default 10) with allocations,
# summarised with benchstat. With BASE=<revision>, the same benchmarks of
# that revision run interleaved with these and benchstat compares the two.
#
#   scripts/microbench.sh                    # results/micro-<date>.txt in bench/
#   BASE=758e563 scripts/microbench.sh       # and the comparison with 758e563
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-10}
benchtime=${BENCHTIME:-300ms}
out=${OUT:-bench/results/micro-$(date -u +%Y-%m-%d).txt}
benchstat="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# run DIR NAME: one round of every benchmark in tree DIR, appended to NAME.
run() {
	(cd "$1" &&
		go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count 1 ./wsframe &&
		go test -run '^$' -bench 'WriteMessage|ReadMessage|Echo|AcceptHandshake' -benchmem -benchtime "$benchtime" -count 1 .) >>"$work/$2.txt"
}

if [ -n "${BASE:-}" ]; then
	git worktree add -q "$work/base" "$BASE"
fi
for i in $(seq "$count"); do
	echo "round $i of $count" >&2
	run . head
	if [ -n "${BASE:-}" ]; then
		run "$work/base" base
	fi
done

mkdir -p "$(dirname "$out")"
{
	echo "# fastws micro-benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# $(go version); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); GOMAXPROCS=$(nproc)"
	echo "# $count runs of each, -benchtime $benchtime; revision $(git rev-parse --short HEAD)"
	echo
	echo "## Masking, each implementation against the byte loop"
	echo
	$benchstat -col '/impl@(bytewise Mask avx2 sse2 purego)' -filter '.name:Mask' "$work/head.txt"
	echo
	echo "## UTF-8 validation, fastws against unicode/utf8.Valid"
	echo
	$benchstat -col '/impl@(stdlib fastws)' -filter '.name:UTF8' "$work/head.txt"
	echo
	echo "## Everything"
	echo
	$benchstat "$work/head.txt"
	if [ -n "${BASE:-}" ]; then
		echo
		echo "## $(git rev-parse --short "$BASE") (base) against $(git rev-parse --short HEAD)"
		echo
		$benchstat base="$work/base.txt" head="$work/head.txt"
	fi
	echo
	echo "## Raw output"
	echo
	cat "$work/head.txt"
} >"$out"
echo "wrote $out" >&2
