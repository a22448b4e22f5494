# ccadmin: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test setup migrate demo lint format clean bench check-run check-test
WORKERS ?= 2

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

# The Japanese catalogue is compiled here rather than committed as a binary: the .po is
# the one source (reviewed in diffs), and a stale .mo can never be served. msgfmt comes
# from GNU gettext (.ci/run installs it on Debian).
PO := $(wildcard locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)

# What the machine lacks for each target, said before anything is built: errors for
# what the target needs, warnings for what only part of it needs.
check-run:
	@scripts/check_system.sh run

check-test:
	@scripts/check_system.sh test

%.mo: %.po $(STAMP)
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (Debian: apt-get install gettext) to compile $<" >&2; exit 1; }
	env -u DJANGO_SETTINGS_MODULE $(VENV)/bin/django-admin compilemessages --ignore=.venv -v 0

setup: $(STAMP) $(MO)

migrate: setup
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo

run: check-run demo
	@echo
	@echo "  Contact Center Administrator: http://$(HOST):$(PORT)/admin/"
	@echo "  Agent desktop:                http://$(HOST):$(PORT)/agent/"
	@echo "    service provider (superuser):       provider / ccadmin-demo"
	@echo "    Sakura BPO administrator:           admin / ccadmin-demo"
	@echo "    Northwind administrator:            northwind-admin / ccadmin-demo"
	@echo "    Sakura BPO agent (no admin access): agent / ccadmin-demo"
	@echo
	@echo "  (a background worker runs beside the server, for very large deletions)"
	@# Only runserver watches for file changes: the worker's own reloader (on by
	@# default with DEBUG) printed "Watching for file changes" a second time. Restart
	@# `make run` after changing a task's code.
	@DEBUG=$${DEBUG:-true} $(PY) manage.py db_worker -v 0 --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

# Production serving: gunicorn with whitenoise, DEBUG off, SECRET_KEY required,
# persistent database connections (CONN_MAX_AGE). See README "Deployment".
serve: setup
	DEBUG=false $(PY) manage.py check --deploy --fail-level WARNING
	DEBUG=false $(PY) manage.py migrate --noinput
	DEBUG=false $(PY) manage.py collectstatic --noinput -v 0
	DEBUG=false $(PY) manage.py apply_retention --schedule -v 0
	@DEBUG=false $(PY) manage.py db_worker -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=false $(VENV)/bin/gunicorn ccadmin.wsgi:application \
		--workers $(WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - --max-requests 10000 --max-requests-jitter 1000

# Benchmarks against the anchors (PostgreSQL): writes bench/RESULTS.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ccadmin_bench
BENCH_ARGS ?=
bench: setup
	@$(PY) -c 'import sys, psycopg2, urllib.parse as u; p = u.urlparse(sys.argv[1]); \
		c = psycopg2.connect(host=p.hostname, port=p.port or 5432, user=p.username, \
		password=p.password, dbname="postgres"); c.autocommit = True; cur = c.cursor(); \
		cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [p.path[1:]]); \
		cur.fetchone() or cur.execute("CREATE DATABASE \"%s\"" % p.path[1:])' "$(BENCH_DATABASE_URL)"
	DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_SETTINGS_MODULE=bench.settings \
		$(PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) DJANGO_SETTINGS_MODULE=bench.settings \
		$(PY) -m bench.run $(BENCH_ARGS)

test: check-test setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
