# Biaoyun: `make run` starts the platform on its embedded default; `make test` runs the tests.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := wsgi

.PHONY: run test install install-dev assets translations lint bench clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed translations
install-dev: $(VENV)/.installed-dev node_modules/.installed translations
assets: node_modules/.installed

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations -f

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask demo logins
	$(BIN)/flask serve

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python bench/audit_bench.py
	$(BIN)/python bench/crypto_bench.py
