# sopflow — `make run` starts the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
CATALOGS := $(wildcard webapp/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

NODE_STAMP := node_modules/.installed-$(shell sha256sum package-lock.json | cut -c1-12)

.PHONY: install run test test-fast lint format messages clean

install: $(STAMP) $(COMPILED) $(NODE_STAMP)

# bpmn-js, pinned in package-lock.json, served by Flask from node_modules (no CDN).
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -f node_modules/.installed-*
	touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

# The demo deploys to folders under instance/ (written by `setup --demo`).
run: export SOPFLOW_DEPLOY_CONFIG ?= $(CURDIR)/instance/deploy.toml
run: install
	$(BIN)/flask --app webapp setup --demo
	@echo "sopflow: http://$(HOST):$(PORT)  (demo users unit1, ketua1, tim1, tim2, owner1, admin1; password 'demo')"
	$(BIN)/flask --app webapp worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app webapp run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

# The edit loop: SQLite only, without the slow and browser tests (`make test` and CI run all).
test-fast: install
	SOPFLOW_TEST_BACKENDS=sqlite $(BIN)/pytest -q -m "not slow and not browser" --ignore=tests/browser

# Style, the import-linter contracts (pyproject.toml), and types in the engine. Contracts are read
# without grimp's cache: a cached graph once reported a function's relative import as 'webapp'.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the interface strings and merge them into the English catalog.
messages: install
	$(BIN)/pybabel extract -F webapp/translations/babel.cfg -k _l -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
	find webapp -name '*.mo' -delete

# Rewrite the README's settings table from the declarations in webapp/config.py.
.PHONY: settings-doc
settings-doc: install
	$(BIN)/python -c 'from webapp.config import write_settings_doc; write_settings_doc()'
