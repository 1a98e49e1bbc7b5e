# Quick start: `make run` (simulate the default scenario), `make test` (the whole suite),
# `make lint` (ruff, the import layering of docs/architecture.md, dead code).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCENARIO ?= scenarios/quickstart.yaml

.PHONY: run test pytest fresh-clone lint bench fuzz clean setup setup-dev

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

# `make test` is the suite, then the quick start's first command on a fresh clone.
test: pytest fresh-clone

pytest: setup-dev
	$(BIN)/python -m pytest

# The README's `make run` on a fresh clone of HEAD, in a new virtual environment with the base
# install only (no extras): fails if the simulator needs torch or anything else it does not
# install itself.
FRESH ?= $(or $(TMPDIR),/tmp)/simcompute-fresh-clone
fresh-clone:
	rm -rf $(FRESH)
	git clone -q . $(FRESH)
	$(MAKE) -C $(FRESH) run PYTHON=$(PYTHON)
	$(FRESH)/$(BIN)/python -c "import importlib.util, sys; sys.exit('torch is installed' if importlib.util.find_spec('torch') else 0)"
	test -s $(FRESH)/runs/quickstart/summary.csv
	rm -rf $(FRESH)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/vulture

bench: setup
	$(BIN)/python bench/run_bench.py

# A longer fuzz campaign than the suite's: 2,000 malformed scenarios; counts in bench/RESULTS.md.
fuzz: setup
	$(BIN)/python bench/bench_fuzz.py --cases 2000

clean:
	rm -rf $(VENV) runs build *.egg-info
