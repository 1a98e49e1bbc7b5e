# Quick start: `make run` (simulate the default scenario), `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCENARIO ?= scenarios/quickstart.yaml

.PHONY: run test lint bench fuzz clean setup setup-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

# torch first, pinned to the CPU build on this machine's disk, so the range in the
# `calibrate` extra does not pull a multi-GB CUDA build.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e ".[dev,calibrate,ray]"
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

run: setup
	$(BIN)/simcompute run $(SCENARIO) --force

test: setup-dev
	$(BIN)/python -m pytest

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/run_bench.py

# A longer fuzz campaign than the suite's: 2,000 malformed scenarios; counts in bench/RESULTS.md.
fuzz: setup
	$(BIN)/python bench/bench_fuzz.py --cases 2000

clean:
	rm -rf $(VENV) runs build *.egg-info
