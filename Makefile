# papersieve developer commands. From a fresh clone, `make demo` and `make test` are all a user
# needs: both create .venv and install papersieve with its dev extras first, when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The install is redone only when pyproject.toml changes (or .venv is removed).
STAMP := $(VENV)/.papersieve-installed
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-x tests/test_ids.py"`.
PYTEST_ARGS ?=
# pytest-xdist workers: the suite runs on both cores of the development machine. Tests that share
# one thing (the real LLM server's port) carry the same xdist_group and run on one worker.
WORKERS ?= 2
XDIST := -n $(WORKERS) --dist loadgroup
# What `make test-fast` leaves out: Chromium, the real LLM server, and tests marked slow.
FAST := not browser and not real_llm and not slow

.PHONY: setup test test-fast test-postgres lint demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv with papersieve and everything its tests need

test: $(STAMP) ## Lint, type-check and run the whole test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP) ## Unit and integration tests only (no browser, no real LLM server, no slow test)
	$(BIN)/pytest -q $(XDIST) -m "$(FAST)" $(PYTEST_ARGS)

test-postgres: $(STAMP) ## The whole test suite on PAPERSIEVE_TEST_DB's PostgreSQL server (tests marked sqlite_only left out)
	@test -n "$$PAPERSIEVE_TEST_DB" || { echo "set PAPERSIEVE_TEST_DB=postgresql://... (python3 -m tests.pgcluster start DIR starts a server and prints it)"; exit 2; }
	$(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

demo: $(STAMP) ## The whole pipeline on a bundled real arXiv day, offline, no key
	$(BIN)/papersieve demo
