# rclone-putio: see README.md for what each target is for.
GO      ?= go
BIN     := bin
PKGS    := ./...

.PHONY: all build test lint emulator demo bench docs fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/rclone ./cmd/rclone
	$(GO) build -o $(BIN)/putio-emulator ./cmd/putio-emulator

test: lint
	$(GO) test -count=1 -timeout 45m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

emulator:
	$(GO) run ./cmd/putio-emulator

clean:
	rm -rf $(BIN)
