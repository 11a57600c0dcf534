# statesync: `make demo` and `make test` are the whole quick start (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
SCALE ?= small
PORT ?= 8000
# Line coverage of src/ by `make test COVERAGE=1` may not fall below this (README, Development).
COVERAGE_FLOOR ?= 82
# Python keeps each module compiled (__pycache__/, ignored by git) even where the shell says not
# to (PYTHONDONTWRITEBYTECODE=1 on this project's machines): the tests start a few hundred
# statesync processes, and each one compiled the whole package again (0.3 s of CPU a process).
export PYTHONDONTWRITEBYTECODE =
DEFAULT_WORKERS := $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))

.PHONY: install install-dev demo test lint format bench bench-curve bench-scale screenshots clean

# The demo needs only what statesync runs on; tests add their tools (Playwright, schemathesis…).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

demo: install
	$(BIN)/statesync demo --scale $(SCALE) --port $(PORT)

# Tests run two workers a core (pytest-xdist): most tests wait on the servers and worker
# processes they start, so two a core keep the cores busy. An idle worker steals half of a busy
# one's queue (--dist worksteal): with xdist's default, one worker drew the slowest tests and ran
# alone long after the rest (on 2 cores: 296 s, against 223 s stealing; 2026-12-07).
# TEST_WORKERS overrides it. COVERAGE=1 also measures line coverage across them
# and fails below COVERAGE_FLOOR (CI's SQLite pass does): tracing every line costs the suite
# about half again as much time, which the everyday run does not need.
COVERAGE_ARGS = $(if $(filter 1,$(COVERAGE)),--cov=statesync --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR))

test: lint
	$(BIN)/pytest -n $(or $(TEST_WORKERS),$(DEFAULT_WORKERS)) --dist worksteal $(COVERAGE_ARGS) --durations=10 $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix src tests scripts
	$(BIN)/ruff format src tests scripts

bench: install
	$(BIN)/statesync bench --scale $(or $(BENCH_SCALE),large)

bench-curve: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/statesync bench --curve docs/bench-curve.png

# Many districts at once (docs/PERFORMANCE.md): on PostgreSQL when STATE_DATABASE_URL names one.
bench-scale: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/statesync bench --districts 1,4,10 --scale $(or $(BENCH_SCALE),50000) --plot docs/bench-scale.png

screenshots: install-dev
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var
