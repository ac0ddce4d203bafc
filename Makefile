# The two commands a newcomer needs: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench venv migrate stop-db clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m config.embedded run-env
	set -a && . var/run.env && set +a && \
	  $(PY) manage.py migrate --noinput && \
	  $(PY) manage.py collectstatic --noinput -v 0 && \
	  $(PY) manage.py seed_demo && \
	  exec $(VENV)/bin/honcho start -f Procfile -e var/run.env

test: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(PY) scripts/run_tests.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	@for b in bench/*.py; do echo "# $$b" >&2; $(PY) $$b || exit 1; done

stop-db:
	$(PY) -m config.embedded stop

clean:
	rm -rf var/broker var/celery-results var/staticfiles
