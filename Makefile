# statesync: `make demo` and `make test` are the whole quick start (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCALE ?= small
PORT ?= 8000

.PHONY: install demo test lint format bench bench-curve screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/statesync demo --scale $(SCALE) --port $(PORT)

test: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

format: install
	$(BIN)/ruff check --fix src tests scripts
	$(BIN)/ruff format src tests scripts

bench: install
	$(BIN)/statesync bench --scale $(or $(BENCH_SCALE),large)

bench-curve: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/statesync bench --curve docs/bench-curve.png

screenshots: install
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var
