# Two commands from a fresh clone: `make demo` and `make test`. Each creates .venv itself.
# The first interpreter that actually runs and is 3.11+ (pyenv shims exist for versions that do not).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean vendor

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Lantern needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lantern demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# The workbench's front-end libraries, from the npm registry into the package (committed).
vendor:
	bash tools/vendor_web_assets.sh

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
