# Modelry: `make run` starts a server on the defaults, `make test` runs every test.
GO      ?= go
BIN     := bin/modelry
FUZZTIME ?= 30s

.PHONY: all build run test test-go test-python test-torch test-mlflow vet fuzz bench bench-go bench-sdk bench-mlflow clean

# The Python SDK's virtual environments. Their packages are pinned in
# python/requirements-*.txt; a stamp per environment re-installs them only
# when a requirements file changes, and the SDK itself only when its sources do.
PYTHON   ?= python3
VENV     := .venv
VENV_TORCH := .venv-torch
PY_REQS  := python/requirements-test.txt
PY_TORCH_REQS := python/requirements-torch.txt
PY_SRC   := python/pyproject.toml $(shell find python/modelry -name '*.py' -o -name py.typed 2>/dev/null)
PYTESTFLAGS ?=

all: build

build:
	$(GO) build -o $(BIN) ./cmd/modelry

## run: start `modelry server` on 127.0.0.1:8080 with data in ./modelry-data
run: build
	./$(BIN) server

## test: vet and every test (unit, conformance suites, API contract, CLI end to end, Python SDK)
test: vet test-go test-python test-mlflow

test-go:
	$(GO) test -count=1 ./...

## test-python: the Python SDK's tests (pytest) against a real server; creates .venv on first use
test-python: build $(VENV)/.sdk-stamp
	cd python && MODELRY_BIN=$(abspath $(BIN)) ../$(VENV)/bin/pytest -q -m 'not torch' $(PYTESTFLAGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.reqs-stamp: $(PY_REQS) | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r $(PY_REQS)
	touch $@

$(VENV)/.sdk-stamp: $(VENV)/.reqs-stamp $(PY_SRC)
	rm -rf python/build  # setuptools would ship stale copies of deleted modules from it
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall ./python
	touch $@

## test-torch: the PyTorch flavor's tests, in their own environment .venv-torch (torch is large)
test-torch: build $(VENV_TORCH)/.sdk-stamp
	cd python && MODELRY_BIN=$(abspath $(BIN)) ../$(VENV_TORCH)/bin/pytest -q -m torch $(PYTESTFLAGS)

$(VENV_TORCH)/bin/python:
	$(PYTHON) -m venv $(VENV_TORCH)

$(VENV_TORCH)/.reqs-stamp: $(PY_REQS) $(PY_TORCH_REQS) | $(VENV_TORCH)/bin/python
	$(VENV_TORCH)/bin/python -m pip install -q --disable-pip-version-check -r $(PY_REQS) -r $(PY_TORCH_REQS)
	touch $@

$(VENV_TORCH)/.sdk-stamp: $(VENV_TORCH)/.reqs-stamp $(PY_SRC)
	rm -rf python/build
	$(VENV_TORCH)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall ./python
	touch $@

## test-mlflow: the real mlflow client against `modelry server`: the pinned 3.x release
##              (tests/mlflow/requirements.txt, in .venv-mlflow) and 2.22 (requirements-2.22.txt,
##              in .venv-mlflow2)
VENV_MLFLOW  := .venv-mlflow
VENV_MLFLOW2 := .venv-mlflow2

test-mlflow: build $(VENV_MLFLOW)/.reqs-stamp $(VENV_MLFLOW2)/.reqs-stamp
	cd tests/mlflow && MODELRY_BIN=$(abspath $(BIN)) ../../$(VENV_MLFLOW)/bin/pytest -q -p no:cacheprovider --disable-warnings $(PYTESTFLAGS)
	cd tests/mlflow && MODELRY_BIN=$(abspath $(BIN)) ../../$(VENV_MLFLOW2)/bin/pytest -q -p no:cacheprovider --disable-warnings $(PYTESTFLAGS)

$(VENV_MLFLOW)/bin/python:
	$(PYTHON) -m venv $(VENV_MLFLOW)

$(VENV_MLFLOW2)/bin/python:
	$(PYTHON) -m venv $(VENV_MLFLOW2)

$(VENV_MLFLOW)/.reqs-stamp: tests/mlflow/requirements.txt | $(VENV_MLFLOW)/bin/python
	$(VENV_MLFLOW)/bin/python -m pip install -q --disable-pip-version-check -r $<
	touch $@

$(VENV_MLFLOW2)/.reqs-stamp: tests/mlflow/requirements-2.22.txt | $(VENV_MLFLOW2)/bin/python
	$(VENV_MLFLOW2)/bin/python -m pip install -q --disable-pip-version-check -r $<
	touch $@

vet:
	$(GO) vet ./...

## fuzz: run each fuzzer for FUZZTIME (seed corpora run in `make test` too)
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseRef -fuzztime=$(FUZZTIME) ./internal/registry
	$(GO) test -run='^$$' -fuzz=FuzzValidateManifest -fuzztime=$(FUZZTIME) ./internal/registry
	$(GO) test -run='^$$' -fuzz=FuzzParseFilter -fuzztime=$(FUZZTIME) ./internal/api/mlflow
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./internal/lockfile
	$(GO) test -run='^$$' -fuzz=FuzzChunker -fuzztime=$(FUZZTIME) ./internal/cdc

## bench: the benchmarks of docs/benchmarks.md, each against a ceiling measured in the same run
##        (about 5 minutes; pass flags with e.g. BENCHFLAGS='-size 64MiB -skip-5gib -json bench.json')
bench: bench-go bench-sdk bench-mlflow

bench-go: build
	$(GO) run ./bench/cmd/modelry-bench -modelry $(BIN) $(BENCHFLAGS)

## bench-sdk: Python SDK save/load of a 500 MB weights dict against CLI push/pull of the same files
##        (about 1 minute; e.g. SDKBENCHFLAGS='--size 64MB --runs 1')
bench-sdk: build $(VENV)/.sdk-stamp
	$(VENV)/bin/python bench/python/bench_sdk.py --modelry $(BIN) $(SDKBENCHFLAGS)

## bench-mlflow: Modelry against the real `mlflow server` through the same client: versions/s,
##        get-by-alias/s, search latency, log_model + register, peak RSS (about 4 minutes; its own
##        venv .venv-mlflow-bench; e.g. MLFLOWBENCHFLAGS='--versions 10000 --size-mb 1024')
VENV_MLFLOW_BENCH := .venv-mlflow-bench

bench-mlflow: build $(VENV_MLFLOW_BENCH)/.reqs-stamp
	$(VENV_MLFLOW_BENCH)/bin/python bench/mlflow/compare.py --modelry $(BIN) $(MLFLOWBENCHFLAGS)

$(VENV_MLFLOW_BENCH)/bin/python:
	$(PYTHON) -m venv $(VENV_MLFLOW_BENCH)

$(VENV_MLFLOW_BENCH)/.reqs-stamp: bench/mlflow/requirements.txt | $(VENV_MLFLOW_BENCH)/bin/python
	$(VENV_MLFLOW_BENCH)/bin/python -m pip install -q --disable-pip-version-check -r $<
	touch $@

clean:
	rm -rf bin
