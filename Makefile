# GridGov — the two set-up commands are `make demo` and `make test` (see README.md).
# Each target builds .venv from the hashed lock file on first use; nothing is installed by hand.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.gridgov-installed
PROFILE ?= maqiao
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv demo test check bench lock messages serve clean

$(STAMP): requirements.lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GridGov needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

# A fresh SQLite demo town, its accounts printed, the platform served at http://$(HOST):$(PORT)
demo: venv
	@rm -f var/demo.sqlite3 var/demo.sqlite3-wal var/demo.sqlite3-shm
	GRIDGOV_DEMO=true GRIDGOV_SQLITE_NAME=demo.sqlite3 $(BIN)/gridgov demo --profile $(PROFILE) --addr $(HOST):$(PORT)

# Serve the ordinary (non-demo) database under var/, migrating it first.
serve: venv
	$(BIN)/gridgov migrate --noinput
	$(BIN)/gridgov serve --addr $(HOST):$(PORT)

# pytest's exit code 5 (no tests collected) fails the target like any other failure.
test: venv
	$(BIN)/pytest

check: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	GRIDGOV_PROFILE=test $(BIN)/gridgov makemigrations --check --dry-run

bench: venv
	$(BIN)/gridgov bench --output var/bench/results.json

# Recompile every app's catalogue after editing gridgov/<app>/locale/zh_Hans/LC_MESSAGES/django.po
messages: venv
	@for dir in gridgov/*/locale; do \
		app=$$(dirname $$dir); echo "compiling $$app"; \
		(cd $$app && DJANGO_SETTINGS_MODULE=gridgov.config.settings_test \
			GRIDGOV_VAR_DIR=$(CURDIR)/var ../../$(BIN)/django-admin compilemessages -l zh_Hans) || exit 1; \
	done

# Regenerate the hashed lock file (needs `uv`, e.g. `pipx run uv`): no download addresses.
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --no-emit-index-url \
		--python-version 3.11 -o requirements.lock.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
