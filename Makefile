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
FEDERATION_PEERS := tests/federation/node_modules/.package-lock.json

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

install-dev: $(DEV_STAMP) system-deps $(AXE) $(FEDERATION_PEERS)

# axe-core for the browser tests' accessibility checks, pinned by tests/browser/package-lock.json.
$(AXE): tests/browser/package.json tests/browser/package-lock.json | system-deps
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

# panva/oidc-provider (an upstream identity provider) and openid-client (a strict relying
# party) for the federation tests, pinned by tests/federation/package-lock.json.
$(FEDERATION_PEERS): tests/federation/package.json tests/federation/package-lock.json | system-deps
	npm ci --prefix tests/federation --no-audit --no-fund --loglevel=error
	touch $@

# English catalogue: re-extract the French message ids, merge, compile (commit the .po and .mo).
translations: $(DEV_STAMP)
	$(BIN)/pybabel extract -F idp/babel.cfg --no-location --sort-output -o idp/translations/messages.pot idp
	$(BIN)/pybabel update -i idp/translations/messages.pot -d idp/translations --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d idp/translations --statistics

# Debian packages, installed only when missing: each entry is CHECK=PACKAGE, where CHECK is a
# command on PATH or a file glob. One package per need, so that a machine whose Node.js comes
# from NodeSource (npm bundled) is not asked to install Debian's conflicting npm. apt's own
# output and errors are shown.
TEST_SYSTEM_NEEDS := chromium=chromium /usr/lib/postgresql/*/bin/initdb=postgresql npm=npm
BENCH_SYSTEM_NEEDS := wrk=wrk

define install-missing
	@missing=""; \
	for need in $(1); do \
		check="$${need%%=*}"; package="$${need#*=}"; \
		command -v "$$check" >/dev/null 2>&1 || ls $$check >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			-o DPkg::Lock::Timeout=600 $$missing; \
	fi
endef

# Chromium for the browser tests, PostgreSQL for the multi-instance tests, npm for axe-core
# and the federation peers.
system-deps:
	$(call install-missing,$(TEST_SYSTEM_NEEDS))

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
	$(call install-missing,$(BENCH_SYSTEM_NEEDS))
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
