# royalty-ledger: `make run` serves the API with a demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PG_REPLICA_URL ?= postgresql+psycopg://postgres@127.0.0.1:5433/postgres

.PHONY: install run demo migrate test lint format typecheck check bench clean replica-up replica-down ha-up ha-down

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

# Serves on LEDGER_HOST:LEDGER_PORT (127.0.0.1:8000) after checking the database, migrating
# and making sure an admin can log in (service/ops/run.py), then serves
# through service.server: uvicorn with read timeouts (docs/reliability.md). An empty embedded database gets
# the demo catalogue and prints tokens to try; a PostgreSQL database only with `make demo`.
run: $(STAMP)
	LEDGER_DEMO=$${LEDGER_DEMO:-true} $(BIN)/python -m service.ops.run

# Loads the demo into an empty database of any engine (LEDGER_DATABASE_URL), migrating first.
demo: $(STAMP)
	$(BIN)/royalty-ledger demo

# The whole suite, on SQLite and on PostgreSQL when the local server answers.
test: $(STAMP)
	@if [ -z "$$LEDGER_TEST_DATABASE_URL" ] && $(BIN)/python -m service.ops.pg_ready "$(PG_TEST_URL)"; then \
		export LEDGER_TEST_DATABASE_URL="$(PG_TEST_URL)"; \
	fi; \
	if [ -z "$$LEDGER_TEST_REPLICA_URL" ] && $(BIN)/python -m service.ops.pg_ready "$(PG_REPLICA_URL)"; then \
		export LEDGER_TEST_REPLICA_URL="$(PG_REPLICA_URL)"; \
	fi; \
	echo "PostgreSQL for tests: $${LEDGER_TEST_DATABASE_URL:-none (SQLite only)}"; \
	echo "Hot standby for tests: $${LEDGER_TEST_REPLICA_URL:-none (replica tests skip; make replica-up)}"; \
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache royalty-ledger.db* royalty-ledger.demo.env

# A hot standby of the local PostgreSQL on port 5433 (streaming; as root or postgres). With
# it up, `LEDGER_TEST_REPLICA_URL=postgresql+psycopg://postgres@127.0.0.1:5433/postgres
# make test` runs the read-replica tests against it; `.ci/run` does that by itself.
replica-up:
	scripts/pg-standby.sh up

replica-down:
	scripts/pg-standby.sh down

# A pg_auto_failover pair (monitor + two nodes, free ports; scripts/pg-ha.sh). With it up,
# `LEDGER_TEST_HA_URL=$$(scripts/pg-ha.sh url) make test` runs the failover test;
# `.ci/run` does that by itself.
ha-up:
	scripts/pg-ha.sh up

ha-down:
	scripts/pg-ha.sh down
