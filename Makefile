# Modelry: `make run` starts a server on the defaults, `make test` runs every test.
GO      ?= go
BIN     := bin/modelry
FUZZTIME ?= 30s

.PHONY: all build run test vet fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/modelry

## run: start `modelry server` on 127.0.0.1:8080 with data in ./modelry-data
run: build
	./$(BIN) server

## test: vet and every test (unit, conformance suites, API contract, CLI end to end)
test: vet
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

## fuzz: run each fuzzer for FUZZTIME (seed corpora run in `make test` too)
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseRef -fuzztime=$(FUZZTIME) ./internal/registry
	$(GO) test -run='^$$' -fuzz=FuzzValidateManifest -fuzztime=$(FUZZTIME) ./internal/registry

## bench: the benchmarks of docs/benchmarks.md, each against a ceiling measured in the same run
##        (about 5 minutes; pass flags with e.g. BENCHFLAGS='-size 64MiB -skip-5gib -json bench.json')
bench: build
	$(GO) run ./bench/cmd/modelry-bench -modelry $(BIN) $(BENCHFLAGS)

clean:
	rm -rf bin
