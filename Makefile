# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-test browser pdf-libs lint migrate seed bench bench-search bench-load bench-resilience clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed pdf-libs
install-test: $(VENV)/.installed-test

## make run: install, migrate, load the demo once, serve on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --once
	@echo ""
	@echo "  Postmortems is starting on http://$(HOST):$(PORT)/"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: install the test dependencies and run the whole suite (browser tests included)
# In parallel (pytest-xdist): PYTEST_WORKERS processes, by default one per core, each with its
# own test database and live server. PYTEST_WORKERS=0 runs the suite in this one process;
# PYTEST_ARGS (-k, a path, -x …) adds to either: make test PYTEST_ARGS="-k search".
PYTEST_WORKERS ?= auto
test: install-test browser pdf-libs
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright's own download does not work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: install it (sudo apt-get install chromium) or the browser tests are skipped."; \
	  fi; }

# Pango and fonts for the PDF export (WeasyPrint loads them in its worker when a PDF is made):
# installed here when missing and run as root with apt-get. Otherwise, or if apt-get fails (no
# network), nothing stops: the PDF link answers 503 saying what to install.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-color-emoji
pdf-libs:
	@if command -v dpkg >/dev/null 2>&1; then dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1; \
	else $(PYTHON) -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("pangoft2-1.0"))'; fi \
	|| { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PDF_PACKAGES) >/dev/null; } \
	    || echo "Pango could not be installed: the PDF export answers 503 until it is (apt-get install $(PDF_PACKAGES))."; \
	  else \
	    echo "Pango is missing: the PDF export answers 503 until it is installed (Debian: sudo apt-get install $(PDF_PACKAGES))."; \
	  fi; }

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: install
	$(BIN)/python manage.py seed_demo

## make bench: benchmarks on PostgreSQL (never part of `make test` or CI)
bench: bench-search bench-load bench-resilience

# /search/ against the list page at 5,000 and 50,000 postmortems (several minutes; it fills
# its own database, SEARCH_BENCH_DATABASE_URL, by default postmortems_search_bench).
bench-search: install
	$(BIN)/python bench/search_bench.py $(BENCH_ARGS)

# gunicorn (2 × cores + 1 workers): 30 s at concurrency 20 on /healthz, the demo document, the
# list and a search (database postmortems_bench, BENCH_DATABASE_URL). wrk is the client when
# installed (Debian's `wrk`, installed here when run as root); else a Python client.
bench-load: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python bench/load.py

# PostgreSQL stopped and started under load (needs root: pg_ctlcluster; others lose the
# database for a few seconds too): errors, recovery time, acknowledged edits kept.
bench-resilience: install
	$(BIN)/python bench/db_restart.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
