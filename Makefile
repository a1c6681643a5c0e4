# Modelry: `make run` starts a server on the defaults, `make test` runs every test.
GO      ?= go
BIN     := bin/modelry
FUZZTIME ?= 30s

.PHONY: all build run test test-go test-python test-torch test-mlflow vet fuzz bench bench-go bench-sdk clean

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
	$(VENV_TORCH)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall ./python
	touch $@

## test-mlflow: the real mlflow client (pinned in tests/mlflow/requirements.txt) against
##              `modelry server`, in its own environment .venv-mlflow
VENV_MLFLOW := .venv-mlflow
MLFLOW_REQS := tests/mlflow/requirements.txt

test-mlflow: build $(VENV_MLFLOW)/.reqs-stamp
	cd tests/mlflow && MODELRY_BIN=$(abspath $(BIN)) ../../$(VENV_MLFLOW)/bin/pytest -q -p no:cacheprovider $(PYTESTFLAGS)

$(VENV_MLFLOW)/bin/python:
	$(PYTHON) -m venv $(VENV_MLFLOW)

$(VENV_MLFLOW)/.reqs-stamp: $(MLFLOW_REQS) | $(VENV_MLFLOW)/bin/python
	$(VENV_MLFLOW)/bin/python -m pip install -q --disable-pip-version-check -r $(MLFLOW_REQS)
	touch $@

vet:
	$(GO) vet ./...

## fuzz: run each fuzzer for FUZZTIME (seed corpora run in `make test` too)
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseRef -fuzztime=$(FUZZTIME) ./internal/registry
	$(GO) test -run='^$$' -fuzz=FuzzValidateManifest -fuzztime=$(FUZZTIME) ./internal/registry
	$(GO) test -run='^$$' -fuzz=FuzzParseFilter -fuzztime=$(FUZZTIME) ./internal/api/mlflow

## bench: the benchmarks of docs/benchmarks.md, each against a ceiling measured in the same run
##        (about 5 minutes; pass flags with e.g. BENCHFLAGS='-size 64MiB -skip-5gib -json bench.json')
bench: build
	$(GO) run ./bench/cmd/modelry-bench -modelry $(BIN) $(BENCHFLAGS)

clean:
	rm -rf bin
