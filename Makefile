# royalty-ledger: `make run` serves the API with a demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PG_REPLICA_URL ?= postgresql+psycopg://postgres@127.0.0.1:5433/postgres

.PHONY: install lock audit run demo migrate test lint format typecheck check bench bench-month clean replica-up replica-down ha-up ha-down

# Installs exactly the locked versions, every file checked against its SHA-256
# (requirements-dev.lock; the image installs requirements.lock, the runtime subset).
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Refreshes both lock files to the newest versions pyproject.toml allows, from the public
# index only (PIP_CONFIG_FILE=/dev/null: no machine's local mirror ends up in the lock).
# Then `make install` and the tests; commit the lock files with what they changed.
PIP_COMPILE = PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	$(PIP_COMPILE) --upgrade --extra dev -o requirements-dev.lock pyproject.toml
	$(PIP_COMPILE) --build-deps-for=wheel --constraint requirements-dev.lock \
		-o requirements.lock pyproject.toml

# Known vulnerabilities in the locked versions (pip-audit, PyPI's advisory data).
audit: $(STAMP)
	scripts/audit-dependencies.sh $(BIN)/pip-audit

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

# Serves on LEDGER_HOST:LEDGER_PORT (127.0.0.1:8000) after checking the database, migrating
# and making sure an admin can log in (service/startup/run.py), then serves
# through service.server: uvicorn with read timeouts (docs/reliability.md). An empty embedded database gets
# the demo catalogue and prints tokens to try; a PostgreSQL database only with `make demo`.
run: $(STAMP)
	LEDGER_DEMO=$${LEDGER_DEMO:-true} $(BIN)/python -m service.startup.run

# Loads the demo into an empty database of any engine (LEDGER_DATABASE_URL), migrating first.
demo: $(STAMP)
	$(BIN)/royalty-ledger demo

# The whole suite, on SQLite and on PostgreSQL when the local server answers.
test: $(STAMP)
	@if [ -z "$$LEDGER_TEST_DATABASE_URL" ] && $(BIN)/python -m service.startup.pg_ready "$(PG_TEST_URL)"; then \
		export LEDGER_TEST_DATABASE_URL="$(PG_TEST_URL)"; \
	fi; \
	if [ -z "$$LEDGER_TEST_REPLICA_URL" ] && $(BIN)/python -m service.startup.pg_ready "$(PG_REPLICA_URL)"; then \
		export LEDGER_TEST_REPLICA_URL="$(PG_REPLICA_URL)"; \
	fi; \
	echo "PostgreSQL for tests: $${LEDGER_TEST_DATABASE_URL:-none (SQLite only)}"; \
	echo "Hot standby for tests: $${LEDGER_TEST_REPLICA_URL:-none (replica tests skip; make replica-up)}"; \
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench.run

# A realistic month through the write path, closed, pulled and verified (bench/month_close.py);
# its last line is the summary. Size: SALES (default 100000). PostgreSQL only.
SALES ?= 100000
bench-month: $(STAMP)
	MONTH_SALES=$(SALES) $(BIN)/python -m bench.month_close

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
