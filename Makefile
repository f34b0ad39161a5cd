# The two commands of the README: `make run` and `make test`. Everything else they need
# (virtualenv, packages, database, auth server, browser) they set up themselves.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
export PORT

.PHONY: run stop test lint bench chromium pgbouncer postgresql-15 clean-data

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## run: the console on the embedded default at http://127.0.0.1:$(PORT)
run: $(STAMP)
	$(PY) manage.py runlocal --port $(PORT)

## stop: stop the embedded PostgreSQL (and a local auth server a killed run left); data stays
stop: $(STAMP)
	$(PY) -c "from console.local_default import stop; stop()"

## test: the whole suite on the embedded PostgreSQL 18 (auth server and Chromium included), then
## the database-facing tests again on Debian's PostgreSQL 15, where most hosted projects are
test: $(STAMP) chromium pgbouncer postgresql-15 supabase-cli
	$(PY) -m pytest
	TEST_POSTGRES_VERSION=15 $(PY) -m pytest -m "not browser and not soak"

## bench: the benchmark (1M audit rows, console vs raw SQL vs Django admin, load run); never part of make test
bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## chromium: Debian's Chromium for the browser tests (Playwright never downloads one)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## pgbouncer: Debian's PgBouncer, which the tests start in transaction mode in front of the database
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || { \
	  echo "Installing Debian's pgbouncer for the pooler tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq pgbouncer >/dev/null; }

## postgresql-15: Debian's PostgreSQL 15 server, which the tests start as a second cluster version
postgresql-15:
	@[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || { \
	  echo "Installing Debian's postgresql-15 for the PostgreSQL 15 run"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-15 >/dev/null; }

## supabase-cli: the Supabase CLI, pinned, in .data/tools (npm, never a global install), for the
## test of `supabase db push` (tests/adoption/test_supabase_cli.py); run it as
## .data/tools/node_modules/.bin/supabase
SUPABASE_CLI_VERSION := 2.117.0
.PHONY: supabase-cli
supabase-cli:
	@grep -qs '"version": "$(SUPABASE_CLI_VERSION)"' .data/tools/node_modules/supabase/package.json || { \
	  command -v npm >/dev/null 2>&1 || { \
	    echo "Installing Debian's npm for the Supabase CLI"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }; \
	  echo "Installing the Supabase CLI $(SUPABASE_CLI_VERSION) in .data/tools"; \
	  npm install --prefix .data/tools --no-audit --no-fund --silent -E supabase@$(SUPABASE_CLI_VERSION); }

## clean-data: stop the embedded database and remove .data/ (demo data and local keys)
clean-data: $(STAMP)
	-$(PY) -c "from console.local_default import stop; stop()"
	rm -rf .data
