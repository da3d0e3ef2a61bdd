#!/usr/bin/env bash
# The conformance suite against fastws's server and client, every case
# (make conformance). The client's run is one connection at a time and
# waits on the suite's timers, using about two thirds of a core, while the
# server runs use more than one: the two halves run as two processes side
# by side (not as parallel tests: the goroutine leak check of each test
# counts the whole process). Each half's output is printed whole when both
# are done, and the step fails if either does.
set -uo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
client=$(mktemp)
servers=$(mktemp)
trap 'rm -f "$client" "$servers"' EXIT

# Build once, so that the two halves do not compile the same package twice.
$go test -count=1 -run '^$' ./conformance >/dev/null || exit 1

$go test -count=1 -timeout 20m -run '^TestFastwsClient$' ./conformance >"$client" 2>&1 &
client_pid=$!
$go test -count=1 -timeout 20m -skip '^TestFastwsClient$' ./conformance >"$servers" 2>&1
servers_status=$?
wait "$client_pid"
client_status=$?

echo "--- the client (TestFastwsClient)"
cat "$client"
echo "--- the servers and the suite's own tests"
cat "$servers"
[ "$client_status" -eq 0 ] && [ "$servers_status" -eq 0 ]
