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
TEST_SYSTEM_NEEDS := chromium=chromium /usr/lib/postgresql/*/bin/initdb=postgresql npm=npm \
	redis-server=redis-server systemd-analyze=systemd /usr/sbin/nginx=nginx
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
# and the federation peers, Redis for the shared rate-limit budget, systemd-analyze to
# verify the units in deploy/systemd, nginx for the reverse-proxy tests (deploy/nginx).
system-deps:
	$(call install-missing,$(TEST_SYSTEM_NEEDS))

# The demo: the hub on $(HOST):$(PORT), and a second idp on localhost:$(UPSTREAM_PORT) (its own
# instance; another host name, so that the browser keeps the two servers' cookies apart)
# registered as the hub's second identity provider. Ctrl-C stops both.
#
# In a VM or a container: HOST=0.0.0.0 listens on every interface (the second idp too), and
# the issuer stays http://127.0.0.1:$(PORT) for a browser reaching it through a forwarded
# port. ISSUER=https://... gives the hub its public address (behind a TLS proxy: IDP_ISSUER
# must be https except on loopback); UPSTREAM_ISSUER does the same for the second idp.
UPSTREAM_PORT ?= 5001
WILDCARD_HOST := $(filter 0.0.0.0 :: [::],$(HOST))
ISSUER ?= http://$(if $(WILDCARD_HOST),127.0.0.1,$(HOST)):$(PORT)
UPSTREAM_ISSUER ?= http://localhost:$(UPSTREAM_PORT)
UPSTREAM_HOST ?= $(if $(WILDCARD_HOST),$(HOST),127.0.0.1)
HUB_ENV := IDP_ISSUER=$(ISSUER)
UPSTREAM_ENV := IDP_ISSUER=$(UPSTREAM_ISSUER) IDP_INSTANCE_PATH=$(CURDIR)/instance/upstream

run: $(STAMP)
	$(UPSTREAM_ENV) $(BIN)/idp db upgrade
	$(UPSTREAM_ENV) $(BIN)/idp seed-demo --upstream-of $(ISSUER)
	$(HUB_ENV) $(BIN)/idp db upgrade
	$(HUB_ENV) $(BIN)/idp seed-demo --upstream $(UPSTREAM_ISSUER)
	@echo
	@echo "  Open $(ISSUER)/demo/ and sign in as marie.dupont / demo-password-2026"
	@echo "  (or jean.martin / demo-password-2026), with either account of the chooser."
	@echo "  Ctrl-C stops the servers."
	@echo
	$(UPSTREAM_ENV) $(BIN)/idp serve --host $(UPSTREAM_HOST) --port $(UPSTREAM_PORT) & upstream=$$!; \
	trap 'kill $$upstream 2>/dev/null; wait $$upstream' EXIT INT TERM; \
	$(HUB_ENV) $(BIN)/idp serve --host $(HOST) --port $(PORT)

# The suite runs each test on SQLite and PostgreSQL: one pytest-xdist worker per core (each
# with its own session fixtures: PostgreSQL cluster, servers), a test file kept on one worker
# so that its module fixtures start once. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# The load generator (Debian's wrk) for `make bench`; the peer is npm-installed by the bench itself.
# BENCH_ARGS=--large-data also runs every workload on a PISTE-sized database (bench/large_data.py)
# and reports the large/small ratios: about 9 minutes more per database.
BENCH_ARGS ?=

bench: install-dev
	$(call install-missing,$(BENCH_SYSTEM_NEEDS))
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
