# Two commands for a newcomer: `make run` serves, `make test` tests. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench client clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "convoflow needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt clients/python/pyproject.toml
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e clients/python
	touch $@

run: $(VENV)/.runtime
	$(BIN)/convoflow up

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	cd clients/python && ../../$(BIN)/mypy
	$(BIN)/lint-imports
	.ci/chromium.sh && .ci/dovecot.sh
	.ci/test-passes.sh

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	cd clients/python && ../../$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(VENV)/.dev
	$(BIN)/python -m bench

# The integrators' Python client, regenerated from this checkout's OpenAPI document (no server needed).
client: $(VENV)/.dev
	$(BIN)/python clients/python/regenerate.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
