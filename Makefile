# royalty-ledger: `make run` serves the API with a demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: install run migrate test lint format typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

# Serves on LEDGER_HOST:LEDGER_PORT (127.0.0.1:8000). An empty embedded database gets the
# demo catalogue and prints tokens to try; a PostgreSQL database is never seeded.
# service.server is uvicorn with read timeouts (docs/reliability.md).
run: migrate
	LEDGER_DEMO=$${LEDGER_DEMO:-true} $(BIN)/python -m service.demo
	$(BIN)/python -m service.server --host $${LEDGER_HOST:-127.0.0.1} --port $${LEDGER_PORT:-8000}

# The whole suite, on SQLite and on PostgreSQL when the local server answers.
test: $(STAMP)
	@if [ -z "$$LEDGER_TEST_DATABASE_URL" ] && $(BIN)/python -m service.ops.pg_ready "$(PG_TEST_URL)"; then \
		export LEDGER_TEST_DATABASE_URL="$(PG_TEST_URL)"; \
	fi; \
	echo "PostgreSQL for tests: $${LEDGER_TEST_DATABASE_URL:-none (SQLite only)}"; \
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache royalty-ledger.db*
