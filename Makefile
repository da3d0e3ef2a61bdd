# make test is the whole suite: what CI runs (.ci/run) and what a developer
# runs before pushing. It installs what it needs and skips nothing.

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 5s

.PHONY: test peers check vet lint race allocs conformance-peers fuzz-smoke bench bench-micro serve echo

test: peers check race allocs conformance-peers fuzz-smoke

# Formatting, vet and staticcheck, on the library and on the bench module.
check: vet lint

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd bench && $(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) run $(STATICCHECK) ./...

# The independent peers the interop tests run against: Node's ws,
# Debian's python3-websockets and chromium. Installed if missing.
peers:
	bash scripts/install-peers.sh

# Every test under the race detector. FASTWS_REQUIRE_PEERS=1 turns a
# missing interop peer from a skip into a failure.
race:
	FASTWS_REQUIRE_PEERS=1 $(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -tags purego -count=1 ./wsframe
	cd bench && $(GO) test -count=1 ./...

# Allocation counts and stack sizes: sync.Pool drops items at random under
# -race and the detector deepens every call, so these tests run again
# without it (under -race they skip and say why).
allocs:
	$(GO) test -count=1 -run 'Allocates|StaysSmall' ./...

# The conformance suite against Node's ws, Python's websockets and Chromium:
# slow under -race, so the race run skips it and this runs it without.
conformance-peers:
	FASTWS_REQUIRE_PEERS=1 FASTWS_CONFORMANCE_REPORTS=reports $(GO) test -count=1 -timeout 20m -run '^TestConformance' ./interop

# Every fuzz target, for a few seconds each: a smoke run that also replays
# the committed seed corpora under testdata/fuzz.
fuzz-smoke:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz-smoke.sh

# The side-by-side comparison with peer libraries (3 rounds of 3 s per cell
# and server, about 12 minutes); writes bench/results/echo-<date>.md.
bench:
	cd bench && $(GO) run ./cmd/echobench

# The library's micro-benchmarks, 10 runs each, through benchstat; writes
# bench/results/micro-<date>.txt. BASE=<rev> adds a comparison with <rev>.
bench-micro:
	bash scripts/microbench.sh

serve:
	$(GO) run ./cmd/fastws serve

echo:
	$(GO) run ./cmd/fastws echo
