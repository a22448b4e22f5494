# ccadmin: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup migrate demo lint format clean

$(STAMP): requirements.txt
	@set -e; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		py=$$(scripts/find_python.sh); \
		echo "Creating $(VENV) with $$py"; \
		rm -rf $(VENV); "$$py" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt; \
	rm -f $(VENV)/.installed-*; touch $@

setup: $(STAMP)

migrate: setup
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo

run: demo
	@echo
	@echo "  Contact Center Administrator: http://$(HOST):$(PORT)/admin/"
	@echo "  Agent desktop:                http://$(HOST):$(PORT)/agent/"
	@echo "    service provider (superuser):       provider / ccadmin-demo"
	@echo "    Sakura BPO administrator:           admin / ccadmin-demo"
	@echo "    Northwind administrator:            northwind-admin / ccadmin-demo"
	@echo "    Sakura BPO agent (no admin access): agent / ccadmin-demo"
	@echo
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
