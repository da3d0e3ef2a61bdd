# make test is the whole suite: what CI runs (.ci/run) and what a developer
# runs before pushing. It installs what it needs and skips nothing; every
# step runs even when an earlier one failed, and the end prints one line
# per step with its result and time (scripts/test.sh). Each step is a
# target of its own below.

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 3s

# The repository's modules, each with a go.mod of its own and all joined
# by go.work: the library, the NATS bridge and the command (modules of
# their own so that nats.go and the command's dependencies never reach the
# module graph of a user who imports only the library), the examples and
# the bench.
MODULES := . natsbridge cmd/fastws examples bench
# The packages of the library, the bridge and the command: what the race,
# cross, allocation and fuzz steps cover. A ./... pattern stops at a
# module's edge, so each module is named (go.work resolves them all).
PKGS := ./... ./natsbridge/... ./cmd/fastws/...
# The other systems the library and the command are meant to build on:
# go vet per target, tests included.
CROSS := darwin/amd64 windows/amd64 freebsd/amd64 linux/arm64 js/wasm

.PHONY: test peers vet cross lint race conformance conformance-peers allocs examples bench-tests fuzz-smoke bench bench-memory bench-micro serve echo

test:
	bash scripts/test.sh

# The independent peers the interop tests run against: Node's ws,
# Debian's python3-websockets and chromium. Installed if missing.
peers:
	bash scripts/install-peers.sh

# Formatting and vet, on every module.
vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do echo "go vet ($$m)"; (cd $$m && $(GO) vet ./...) || exit 1; done

# Cross-builds: go vet for each other target on the library and the
# examples (the examples are servers: not for js/wasm), and go build of the
# bridge and the command. Those two are vetted, tests included, on this
# system by vet; vetting their tests for every target compiled the NATS
# server (their tests' dependency) five more times, a minute of the suite.
cross:
	@for t in $(CROSS); do echo "go vet GOOS=$${t%/*} GOARCH=$${t#*/}"; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./... || exit 1; \
		echo "go build GOOS=$${t%/*} GOARCH=$${t#*/} (natsbridge, cmd/fastws)"; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./natsbridge/... ./cmd/fastws/... || exit 1; done
	@for t in $(filter-out js/wasm,$(CROSS)); do echo "go vet GOOS=$${t%/*} GOARCH=$${t#*/} (examples)"; (cd examples && GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./...) || exit 1; done

lint:
	@for m in $(MODULES); do echo "staticcheck ($$m)"; (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done
	@# go run would build staticcheck itself for js/wasm: build it for this machine.
	@bin=$$(mktemp -d) && GOBIN=$$bin $(GO) install $(STATICCHECK) && echo "staticcheck (js/wasm)" && \
		GOOS=js GOARCH=wasm $$bin/staticcheck ./ ./wsframe/... ./hub/... ./interop/; rc=$$?; rm -rf $$bin; exit $$rc

# Every test of the library under the race detector, and the pure-Go
# fallbacks of the assembly. FASTWS_REQUIRE_PEERS=1 turns a missing interop
# peer from a skip into a failure. The conformance suite's heavy
# categories (9, 12, 13: volume, not concurrency) are represented there by
# a slice; the next step runs them all without the detector.
#
# wsframe runs without the detector: it starts no goroutine, shares no
# memory and uses no unsafe, so the detector can find nothing there, while
# its exhaustive tests of the assembly (every length and alignment) took
# 100 s under it against 4 s without.
RACE_PKGS = $(filter-out %/wsframe,$(shell $(GO) list $(PKGS)))
race:
	FASTWS_REQUIRE_PEERS=1 $(GO) test -race -count=1 -timeout 30m $(RACE_PKGS)
	$(GO) test -count=1 ./wsframe
	$(GO) test -tags purego -count=1 ./wsframe

# The conformance suite against fastws's server and client, every case.
conformance:
	GO=$(GO) bash scripts/conformance.sh

# The conformance suite against Node's ws, Python's websockets and
# Chromium: slow under -race, so the race run skips it and this runs it
# without.
conformance-peers:
	FASTWS_REQUIRE_PEERS=1 FASTWS_CONFORMANCE_REPORTS=reports $(GO) test -count=1 -timeout 20m -run '^TestConformance' ./interop

# Allocation counts, memory per message and stack sizes: sync.Pool drops
# items at random under -race and the detector deepens every call, so
# these tests run again without it (under -race they skip and say why).
allocs:
	$(GO) test -count=1 -run 'Allocates|StaysSmall|Memory' $(PKGS)

# The example programs: each is built and run by its test.
examples:
	cd examples && $(GO) test -race -count=1 ./...

# The bench module's own tests (its servers and load generator).
bench-tests:
	cd bench && $(GO) test -count=1 ./...

# Every fuzz target, for a few seconds each: a smoke run that also replays
# the committed seed corpora under testdata/fuzz.
fuzz-smoke:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz-smoke.sh

# The side-by-side comparison with peer libraries (3 rounds of 3 s per cell
# and server, about 12 minutes); writes bench/results/echo-<date>.md.
bench:
	cd bench && $(GO) run ./cmd/echobench

# The memory battery: large, fragmented and compressed-bomb messages against
# fastws, gorilla, gws and nbio under their default limits and 1 MiB (a
# minute or two); writes bench/results/memory-<date>.md.
bench-memory:
	cd bench && $(GO) run ./cmd/membench

# The library's micro-benchmarks, 10 runs each, through benchstat; writes
# bench/results/micro-<date>.txt. BASE=<rev> adds a comparison with <rev>.
bench-micro:
	bash scripts/microbench.sh

serve:
	$(GO) run ./cmd/fastws serve

echo:
	$(GO) run ./cmd/fastws echo
