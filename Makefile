# Gonghui — the two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
VENDOR := node_modules/.gonghui-vendor
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run test setup test-setup vendor lint typecheck migrations-check pytest bench backup restore clean

## make run — install into .venv, prepare the SQLite demo database, serve http://127.0.0.1:8000
run: setup
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

$(VENDOR)/.done: package.json
	npm install --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/htmx $(VENDOR)/echarts $(VENDOR)/leaflet
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	touch $@

vendor: $(VENDOR)/.done

setup: .venv/.installed vendor
	mkdir -p var/static var/media
	$(PY) manage.py compilemessages -v 0 -l en --ignore=.venv --ignore=node_modules 2>/dev/null || true

## make test — install test tools (Debian chromium for browser tests) and run everything
test-setup: setup
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext >/dev/null; }

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	GONGHUI_TESTING=1 .venv/bin/mypy

migrations-check:
	GONGHUI_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

pytest:
	GONGHUI_TESTING=1 .venv/bin/pytest

test: test-setup lint typecheck migrations-check pytest

## make bench — performance figures (printed, never asserted)
bench: setup
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run_all.py $(ARGS)

## make backup / make restore — pg_dump or SQLite copy into var/backups
backup: setup
	$(PY) manage.py backup

restore: setup
	$(PY) manage.py restore $(FILE)

clean:
	rm -rf .venv node_modules var .pytest_cache .mypy_cache .ruff_cache
