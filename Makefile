# Two commands: `make run` (serve the demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DJANGO_SETTINGS_MODULE := governance.settings

.PHONY: run test lint check deps devdeps static messages migrate seed serve bench benchdeps clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.deps: requirements.txt $(VENV)/bin/activate
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.devdeps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(PIP) install -q -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The dashboard's slim ECharts (only the charts it uses), bundled by esbuild from npm (package.json).
ECHARTS_SLIM := static/build/echarts-slim.min.js
$(ECHARTS_SLIM): frontend/echarts-slim.js node_modules/.installed
	npm run --silent build:echarts

deps: $(VENV)/.deps node_modules/.installed $(ECHARTS_SLIM)
devdeps: $(VENV)/.devdeps node_modules/.installed $(ECHARTS_SLIM)

messages: $(VENV)/.deps
	ALLOW_DEV_SECRET_KEY=1 $(PY) manage.py compile_translations

# Serve the demo: SQLite and the embedded Celery broker unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
run: export DEBUG ?= 1
run: deps messages
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	bash bin/run-all

test: devdeps messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: devdeps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: devdeps
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

bench: devdeps benchdeps
	$(PY) -m bench $(if $(SCALE),--scale $(SCALE),)

# wrk (Debian package) drives the intake load; without it the bench falls back to Python threads.
benchdeps:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } || \
	  echo "wrk not installed: the bench's intake falls back to Python client threads"

clean:
	rm -rf $(VENV) node_modules staticfiles var/broker

# Issue 18: schemathesis over the whole /api/v1/ schema as six roles (tests/fuzz), on the seeded demo
# district; on PostgreSQL when DATABASE_URL says so. Prints "fuzz: N requests as R roles, ...".
.PHONY: fuzz
fuzz: devdeps messages
	$(PY) -m pytest tests/fuzz -m fuzz -q -s $(PYTEST_ARGS)
