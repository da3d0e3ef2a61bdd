#!/usr/bin/env bash
# Runs the bench module's echobench and fastws bench on the same cells
# against the same servers, in one run, and writes a table of both: the
# command drives servers with the bench's own generator (internal/loadgen),
# so the two should agree within the machine's noise, rates and generator
# CPU alike. Servers are started by `echobench -serve NAME`, one at a time.
#
#   SERVERS=gws,fastws CELLS="10x20B 100x1KiB 1000x1KiB" ROUNDS=3 bash scripts/bench-cli-compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
servers=${SERVERS:-gws,fastws}
cells=${CELLS:-10x20B 100x1KiB 1000x1KiB}
rounds=${ROUNDS:-3}
out=${OUT:-bench/results/cli-bench-$(date +%F).md}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

go build -o "$tmp/fastws" ./cmd/fastws
(cd bench && go build -o "$tmp/echobench" ./cmd/echobench)

"$tmp/echobench" -servers "$servers" -cells "${cells// /,}" -rounds "$rounds" -duration 3s -warmup 1s \
	-memory-conns 0 -out "$tmp/echobench.md" >/dev/null

# fastws bench, ROUNDS times per cell and server, each against a fresh
# server process as echobench uses.
for server in ${servers//,/ }; do
	for cell in $cells; do
		conns=${cell%%x*}
		size=${cell#*x}
		for round in $(seq "$rounds"); do
			"$tmp/echobench" -serve "$server" -addr 127.0.0.1:0 >"$tmp/serve.out" 2>&1 &
			pid=$!
			for _ in $(seq 100); do
				grep -q '^listening ' "$tmp/serve.out" && break
				sleep 0.1
			done
			addr=$(sed -n 's/^listening \([^ ]*\).*/\1/p' "$tmp/serve.out")
			"$tmp/fastws" bench -c "$conns" -size "$size" -binary -duration 3s -warmup 1s -progress off \
				-json "$tmp/$server-$cell-$round.json" "ws://$addr/" >/dev/null
			kill "$pid"
			wait "$pid" 2>/dev/null || true
		done
	done
done

python3 - "$tmp" "$servers" "$cells" "$rounds" >"$out" <<'PY'
import json, re, statistics, sys
tmp, servers, cells, rounds = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(), int(sys.argv[4])
md = open(f"{tmp}/echobench.md").read()
print("# fastws bench beside echobench, one run\n")
print("`scripts/bench-cli-compare.sh`: echobench's cells, then `fastws bench` on the same cells against the same servers")
print(f"(each run against a fresh `echobench -serve` process), binary messages, 3 s windows after 1 s of warm-up, {rounds} runs each; medians.\n")
print("| cell | server | echobench msgs/s | fastws bench msgs/s | fastws bench / echobench | echobench generator µs/msg | fastws bench generator µs/msg | server CPU µs/msg (echobench) |")
print("|---|---|--:|--:|--:|--:|--:|--:|")
for cell in cells:
    conns, size = cell.split("x")
    section = md.split(f"## {conns} connections × {size} messages")[1].split("\n## ")[0]
    for server in servers:
        row = re.search(rf"^\| {re.escape(server)} \| ([\d,]+) \|(?:[^|]*\|){{2}} ([\d.]+) \|[^|]*\| ([\d.]+) \|", section, re.M)
        eb_rate, server_cpu, eb_cpu = float(row.group(1).replace(",", "")), float(row.group(2)), float(row.group(3))
        runs = [json.load(open(f"{tmp}/{server}-{cell}-{r}.json")) for r in range(1, rounds + 1)]
        rate = statistics.median(r["messages_per_second"] for r in runs)
        cpu = statistics.median(r["generator_cpu_us_per_message"] for r in runs)
        print(f"| {conns} × {size} | {server} | {eb_rate:,.0f} | {rate:,.0f} | {rate/eb_rate:.2f}× | {eb_cpu:.2f} | {cpu:.2f} | {server_cpu:.2f} |")
PY
cp "$tmp/echobench.md" "${out%.md}-echobench.md"
echo "bench-cli-compare: wrote $out and ${out%.md}-echobench.md"
