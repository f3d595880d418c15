# Streams Admin: `make run` serves the app with the embedded CDF emulator and demo data (and runs
# the job worker beside it);
# `make test` runs the linter and every test (browser tests included).

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# PostgreSQL the test suite also runs on when it answers (production's database, tested for real).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-fast lint bench chromium clean

# The first Python >= 3.12 among the usual names and pyenv's installs.
PYTHON := $(shell for p in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python 2>/dev/null) python3 python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	command -v $$p; break; fi; done)

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "Streams Admin needs Python 3.12 or newer (Django 6.1 does), and none was found."; \
		echo "Install one (e.g. 'pyenv install 3.12' or your system's python3.12 package) and run make again."; \
		exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	touch $@

run: $(VENV)/.installed
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py load_demo
	@# The job worker (imports, exports) runs beside the web server and stops with it.
	DEBUG=true PORT=$(PORT) $(PY) manage.py run_jobs --lost-after 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true PORT=$(PORT) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Chromium for the browser tests, from Debian, when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

test: $(VENV)/.installed chromium lint
	$(VENV)/bin/pytest
	@if $(PY) -c "import psycopg, sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers: running the database tests on it too"; \
		DATABASE_URL=$(TEST_POSTGRES_URL) $(VENV)/bin/pytest -m "database and not browser and not server" -p no:cacheprovider; \
	else echo "PostgreSQL does not answer at $(TEST_POSTGRES_URL): database tests ran on SQLite only"; fi

# The unit tests alone, for a quick check while developing: no live server, no browser, no gunicorn.
test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not live and not browser and not server" -p no:cacheprovider

bench: $(VENV)/.installed
	$(PY) -m bench.emulator
	$(PY) -m bench.browser
	$(PY) -m bench.imports

clean:
	rm -rf $(VENV) db.sqlite3 test-db.sqlite3 staticfiles
