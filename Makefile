# Quick start: `make demo` (set up everything, load the demo district, serve on 127.0.0.1:8000)
# and `make test` (the whole suite on SQLite, and alongside it on PostgreSQL when YIWANG_TEST_DATABASE_URL is set).
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PATH := $(HOME)/.local/bin:$(PATH)
# `python3 -m uv` needs no shim on PATH: this directory's python3 is 3.12 (see .python-version).
UV := python3 -m uv
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup uv deps assets browser gettext migrate serve bench clean

demo: setup migrate
	$(UV) run yiwang demo --cases 100000
	$(UV) run yiwang serve --host $(HOST) --port $(PORT)

# With YIWANG_TEST_DATABASE_URL the PostgreSQL run goes side by side with SQLite's, itself split in two
# halves by test file (YIWANG_TEST_SHARD, see tests/conftest.py), each with its own test database: a
# PostgreSQL test costs about twice a SQLite one, and the machine has two cores. Their output follows
# SQLite's; any run failing fails the target. YIWANG_TEST_REPLICA_URL (a streaming replica of that server,
# started by .ci/run) is handed to the PostgreSQL runs for the tests marked `replica` (tests/test_replica.py);
# beside SQLite it means nothing and those tests are skipped.
test: setup browser gettext
	@if [ -z "$$YIWANG_TEST_DATABASE_URL" ]; then exec $(UV) run pytest; fi; \
	logs=(); pids=(); \
	for shard in 1/2 2/2; do \
		log=$$(mktemp /tmp/yiwang-test-postgresql.XXXXXX); logs+=("$$log"); \
		DATABASE_URL="$$YIWANG_TEST_DATABASE_URL" YIWANG_TEST_REPLICA_URL="$${YIWANG_TEST_REPLICA_URL:-}" YIWANG_TEST_SHARD=$$shard \
			$(UV) run pytest -p no:cacheprovider >"$$log" 2>&1 & pids+=($$!); \
	done; \
	echo "== SQLite (PostgreSQL runs alongside, in two halves) =="; \
	$(UV) run pytest; status=$$?; \
	for i in 0 1; do \
		wait $${pids[$$i]} || status=1; \
		echo "== PostgreSQL, half $$((i + 1)) of 2 =="; cat "$${logs[$$i]}"; rm -f "$${logs[$$i]}"; \
	done; \
	exit $$status

setup: uv deps assets

# A fresh machine has no uv: install it with the Python this directory selects (3.12, see .python-version).
uv:
	@$(UV) --version >/dev/null 2>&1 || { python3 -m pip install --quiet uv && { command -v pyenv >/dev/null 2>&1 && pyenv rehash || true; }; }

# Bytecode compiled once here: this image sets PYTHONDONTWRITEBYTECODE, so otherwise every process
# (each test's server and worker, each gunicorn start) compiles Django and the project again, ~3 s.
deps: uv
	$(UV) sync --frozen --compile-bytecode
	@$(UV) run python -m compileall -q yiwang >/dev/null

assets:
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund; fi
	$(UV) run python scripts/copy_assets.py

# Browser tests drive Debian's Chromium; install it when the machine lacks it.
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# The translation tests extract and compile catalogues with GNU gettext (msgfmt, xgettext, msgattrib).
gettext:
	@command -v msgattrib >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

migrate: deps
	@mkdir -p var
	@# The key that seals ID numbers and phones lives outside the database (see docs/deployment.md).
	@[ -s var/field.key ] || { umask 077; $(UV) run yiwang genkey > var/field.key; }
	@[ -s var/secret.key ] || { umask 077; $(UV) run yiwang genkey > var/secret.key; }
	$(UV) run yiwang migrate --no-input

serve:
	$(UV) run yiwang serve --host $(HOST) --port $(PORT)

bench: setup
	$(UV) run yiwang bench foundation

clean:
	rm -rf var node_modules .venv
