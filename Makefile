# Every target creates and uses .venv, installing what it needs on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: install run test test-sqlite test-pg check bench e2e-llm clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Serve the API over the bundled demo knowledge base on 127.0.0.1:8000 (make run PORT=8001 if taken)
run: $(STAMP)
	$(VENV)/bin/lianxin init --demo
	$(VENV)/bin/lianxin serve --host 127.0.0.1 --port $(PORT)

## All tests on SQLite, then the database tests again on PostgreSQL
test: test-sqlite test-pg

test-sqlite: $(STAMP)
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

test-pg: $(STAMP)
	LIANXIN_TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -m "db and not slow" $(PYTEST_ARGS)

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/lianxin bench search --json

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
