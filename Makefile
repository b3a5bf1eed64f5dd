# rclone-putio: see README.md for what each target is for.
GO      ?= go
BIN     := bin
PKGS    := ./...
# golangci-lint, pinned; go run fetches it from the Go module proxy. It runs
# rclone's own lint set (.golangci.yml), staticcheck included.
GOLANGCI_LINT := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

.PHONY: all build test sim soak lint emulator demo bench bench-fuse docs generate fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/rclone ./cmd/rclone
	$(GO) build -o $(BIN)/putio-emulator ./cmd/putio-emulator

# demo: the main job end to end with no put.io account (see scripts/demo.sh).
demo: build
	scripts/demo.sh

# bench: ours vs rclone v1.76.0's built-in putio on fresh emulators, inside
# a loopback-only network namespace (needs root); see bench/README.md.
bench: build bench-fuse
	$(GO) build -o $(BIN)/rclone-upstream github.com/rclone/rclone
	$(GO) build -o $(BIN)/benchputio ./bench/cmd/benchputio
	$(BIN)/benchputio

# bench-fuse: the mount scenarios need FUSE. As root on Debian it installs
# fuse3 if fusermount3 is missing; anywhere else it says so, and the
# harness reports the mount scenarios n/a and runs the rest.
bench-fuse:
	@command -v fusermount3 >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "bench: installing fuse3 for the mount scenarios"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q fuse3 >/dev/null || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fuse3 >/dev/null; } || \
	    echo "bench: could not install fuse3: the mount scenarios will be n/a"; \
	  else \
	    echo "bench: fusermount3 is missing (install fuse3 as root): the mount scenarios will be n/a"; \
	  fi; }

# RACE_PKGS run under the race detector (about 3 minutes), the rest without.
RACE_PKGS := ./backend/putio ./backend/putio/putiotest
# rclone's own FsChangeNotify test reads the maps its callback fills with no
# lock, so -race flags the test itself once notifications arrive from a
# goroutine (they do, from the feed): that one subtest runs without -race.
UNRACY := TestIntegration.*/FsMkdir/FsChangeNotify

# SIM is the simulation (backend/putio/simulation_internal_test.go): make
# test runs it once at its fixed budget, under -race, and prints its
# summary line; the rest of the suite skips it.
SIM := ^TestSimulation$$

# test: lint, then every test; e2e/ builds bin/ itself, once per run.
test: lint sim
	$(GO) test -count=1 -race -timeout 30m -skip '$(UNRACY)|$(SIM)' $(RACE_PKGS)
	$(GO) test -count=1 -timeout 10m -run '$(UNRACY)' ./backend/putio
	$(GO) test -count=1 -timeout 45m $$($(GO) list $(PKGS) | grep -v -x $(foreach p,$(RACE_PKGS),-e '.*/$(patsubst ./%,%,$(p))'))

# sim: the simulation at make test's budget, from a fixed seed so that
# CI repeats the same sequences (soak explores fresh ones); the whole
# output is kept in bin/simulation.log and shown when it fails.
SIM_SEED ?= 20261206
sim:
	@mkdir -p $(BIN)
	@$(GO) test -count=1 -race -timeout 20m -run '$(SIM)' -v ./backend/putio -rapid.nofailfile -rapid.seed=$(SIM_SEED) >$(BIN)/simulation.log 2>&1 || { grep -v 'rapid\] draw' $(BIN)/simulation.log; exit 1; }
	@grep '^simulation:' $(BIN)/simulation.log

# soak: the simulation on fresh seeds until SOAK (a Go duration) is up,
# without -race for speed; a failure prints its seed and steps.
SOAK ?= 30m
soak:
	@mkdir -p $(BIN)
	@PUTIO_SOAK=$(SOAK) $(GO) test -count=1 -timeout 0 -run '$(SIM)' -v ./backend/putio -rapid.nofailfile >$(BIN)/soak.log 2>&1 || { grep -v 'rapid\] draw' $(BIN)/soak.log; exit 1; }
	@grep '^simulation:' $(BIN)/soak.log

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(GOLANGCI_LINT) run $(PKGS)

emulator:
	$(GO) run ./cmd/putio-emulator

# generate: refresh backend/all from the rclone version in go.mod.
generate:
	$(GO) generate ./backend/all

# docs: refresh the options block of docs/content/putio.md from bin/rclone.
docs: build
	$(GO) run ./scripts/backenddocs -rclone $(BIN)/rclone docs/content/putio.md

clean:
	rm -rf $(BIN)
