# papersieve developer commands. `make setup` is the only install step a user needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test lint demo

setup: ## Create .venv with papersieve and everything its tests need
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'

test: ## Lint, type-check and run the whole test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

demo:
	$(BIN)/papersieve demo
