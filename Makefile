# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint postgres chromium java bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

## Build the synthetic city into var/epicontrol.db and serve it on http://$(HOST):$(PORT)
demo: $(STAMP)
	$(BIN)/epicontrol demo --reset --serve --host $(HOST) --port $(PORT)

## Lint, type-check and run the whole suite on SQLite and PostgreSQL
# Two workers (the machine has two cores), whole files per worker: browser modules share one
# server and one page across their tests, in order.
test: $(STAMP) postgres chromium java lint
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check epicontrol tests bench
	$(BIN)/ruff format --check epicontrol tests bench
	$(BIN)/mypy epicontrol

postgres:
	bash scripts/ensure-postgres.sh

## A Java runtime for Spark in local mode (the tracing engine's second backend)
java:
	bash scripts/ensure-java.sh

## Debian's chromium (and a CJK font) for the browser tests; never a downloaded browser
chromium:
	bash scripts/ensure-chromium.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
