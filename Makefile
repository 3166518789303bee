# idp: two commands on a fresh machine.
#   make run   venv + install + database + keys + demo data, then serve on http://127.0.0.1:5000
#   make test  venv + dev dependencies + system packages for browser tests, then the whole suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test lint bench install install-dev system-deps translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(STAMP)

install-dev: $(DEV_STAMP) system-deps $(AXE)

# axe-core for the browser tests' accessibility checks, pinned by tests/browser/package-lock.json.
$(AXE): tests/browser/package.json tests/browser/package-lock.json | system-deps
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

# English catalogue: re-extract the French message ids, merge, compile (commit the .po and .mo).
translations: $(DEV_STAMP)
	$(BIN)/pybabel extract -F idp/babel.cfg --no-location --sort-output -o idp/translations/messages.pot idp
	$(BIN)/pybabel update -i idp/translations/messages.pot -d idp/translations --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d idp/translations --statistics

# Debian packages the tests need: Chromium for the browser tests, PostgreSQL for the
# multi-instance tests, Node.js/npm for axe-core. Installed once; a no-op when present.
system-deps:
	@command -v chromium >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
		( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium postgresql npm >/dev/null )

run: $(STAMP)
	IDP_ISSUER=http://$(HOST):$(PORT) $(BIN)/idp db upgrade
	IDP_ISSUER=http://$(HOST):$(PORT) $(BIN)/idp seed-demo
	@echo
	@echo "  Open http://$(HOST):$(PORT)/demo/ and sign in as marie.dupont / demo-password-2026"
	@echo "  (or jean.martin / demo-password-2026). Ctrl-C stops the server."
	@echo
	IDP_ISSUER=http://$(HOST):$(PORT) $(BIN)/idp serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# The load generator (Debian's wrk) for `make bench`; the peer is npm-installed by the bench itself.
bench: install-dev
	@command -v wrk >/dev/null 2>&1 || ( apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq -o DPkg::Lock::Timeout=600 wrk >/dev/null )
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
