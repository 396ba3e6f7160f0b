# Two commands matter: `make run` (install, build, migrate, start on the embedded defaults)
# and `make test` (install what tests need, build, run every test, print "N passed, N failed").
SHELL := /bin/bash
.DEFAULT_GOAL := help
STAMP := .make
NPM := npm --loglevel=error --no-fund --no-audit
# Debian packages the tests drive as real peers or use as validators. prometheus ships promtool and
# the server the scrape test starts; kubernetes-client ships kubectl (1.20, kustomize v2: the overlays
# use `bases` so that v2 and v5 render them alike; a newer kubectl on PATH is used as it is).
DEB_PACKAGES := sip-tester:sipp prometheus:promtool prometheus:prometheus docker-compose:docker-compose kubernetes-client:kubectl

.PHONY: help install system-deps build run migrate test test-only lint bench docs dashboards clean

help:
	@echo "make run    install, build, migrate and start the daemon on the embedded defaults"
	@echo "make test   install test prerequisites, build, run every test"
	@echo "make lint   eslint, prettier --check, dependency rules"
	@echo "make bench  run every benchmark under bench/ and update bench/RESULTS.md"

$(STAMP):
	@mkdir -p $(STAMP)

# npm packages: reinstalled only when the lock file changes.
$(STAMP)/npm: package.json package-lock.json | $(STAMP)
	$(NPM) ci
	@touch $@

install: $(STAMP)/npm

# Debian packages: installed when a command they provide is missing (needs root, as on CI).
system-deps:
	@missing=""; for pair in $(DEB_PACKAGES); do pkg=$${pair%%:*}; cmd=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: install
	$(NPM) run build --silent

migrate: build
	node dist/cli/migrate.js

run: build
	node dist/main.js

test: install system-deps build
	@node scripts/run-tests.mjs

# For a quick rerun without the install/build steps: make test-only FILES="test/unit/foo.test.ts"
test-only:
	@node scripts/run-tests.mjs $(FILES)

lint: install
	npx eslint .
	npx prettier --check .
	npx depcruise src --config .dependency-cruiser.cjs

# Regenerates docs/configuration.md from the config schema (a test fails when it is stale).
docs: install
	node --import=tsx scripts/config-doc.ts

# Regenerates the Grafana dashboards (deploy/grafana/dashboards/*.json) from scripts/dashboards.ts and
# the Kubernetes PrometheusRule from deploy/prometheus/alerts.yaml (tests fail when they are stale).
dashboards: install
	node --import=tsx scripts/dashboards.ts
	node --import=tsx scripts/prometheus-rule.ts

bench: install system-deps build
	@bash scripts/bench.sh $(BENCH)

clean:
	rm -rf dist .tap $(STAMP)
