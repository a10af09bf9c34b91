# Entry points: `make run` (set up and serve on 127.0.0.1:8000, or on $PORT), `make test`
# (everything the tests need, then the whole suite), `make bench` (the performance figures).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# The suite runs on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
# `make run` serves on 127.0.0.1:$(PORT); `PORT=9000 make run` picks another port.
PORT ?= 8000

.PHONY: run test bench audit lint format system-deps

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed
	@scripts/system-deps.sh --runtime
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_questionnaire
	DJANGO_DEBUG=1 $(PY) manage.py ensure_admin --sign-in-url http://127.0.0.1:$(PORT)/accounts/login/
	DJANGO_DEBUG=1 $(PY) manage.py seed_examples
	DJANGO_DEBUG=1 $(PY) manage.py review_sweep
	DJANGO_DEBUG=1 $(PY) manage.py ensure_schedules
	DJANGO_DEBUG=1 $(PY) manage.py rotate_grant_key --ensure
	@# The server and a task-queue worker (reminders, digests, webhooks), owned by one script
	@# that stops both on INT or TERM; exec, so the signals make passes on reach it.
	DJANGO_DEBUG=1 exec scripts/serve.sh $(PY) $(PORT)

system-deps:
	@scripts/system-deps.sh

test: $(VENV)/.dev-installed system-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n $(TEST_WORKERS)

bench: $(VENV)/.dev-installed system-deps
	$(PY) bench/run.py

audit: $(VENV)/.dev-installed
	scripts/audit.sh

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
