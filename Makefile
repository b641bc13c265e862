# papersieve developer commands. From a fresh clone, `make demo` and `make test` are all a user
# needs: both create .venv and install papersieve with its dev extras first, when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The install is redone only when pyproject.toml changes (or .venv is removed).
STAMP := $(VENV)/.papersieve-installed
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-x tests/test_ids.py"`.
PYTEST_ARGS ?=

.PHONY: setup test lint demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv with papersieve and everything its tests need

test: $(STAMP) ## Lint, type-check and run the whole test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

demo: $(STAMP) ## The whole pipeline on a bundled real arXiv day, offline, no key
	$(BIN)/papersieve demo
