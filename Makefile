# Two commands from a fresh clone: `make demo` and `make test`. Each creates .venv itself.
# The first interpreter that actually runs and is 3.11+ (pyenv shims exist for versions that do not).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-web clean vendor crash faults fuzz atheris

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Lantern needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lantern demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Every benchmark in bench/, one table (bench/out/table.md, bench/results.json, the README's):
# make bench [SCALE=full] [BENCH_ARGS="--only web,ingest"]
bench: $(STAMP)
	$(BIN)/python bench/run.py --scale $(or $(SCALE),quick) $(BENCH_ARGS)

# Web latency under 20 users and Chromium's network render (issue 10); e.g.
# make bench-web BENCH_WEB_ARGS="--people 2000 --seconds 10" for a quick run.
bench-web: $(STAMP)
	$(BIN)/python bench/web.py $(BENCH_WEB_ARGS)

# Seeded SIGKILLs during ingest, resolve, judge, network, backup and audit writes, with every
# invariant checked: make crash [STORE=postgres] [PG_URL=...] [RUNS=40] [SEED=1]
crash: $(STAMP)
	$(BIN)/python tools/crash_harness.py --runs $(or $(RUNS),40) --seed $(or $(SEED),1) --store $(or $(STORE),sqlite) $(if $(PG_URL),--pg-url $(PG_URL))

# Writes that fail under Lantern (a file-size limit, fsync EIO/ENOSPC), each run checked like a
# crash: make faults [STORE=postgres] [PG_URL=...] [RUNS=28] [SEED=1]
faults: $(STAMP)
	$(BIN)/python tools/fault_harness.py --runs $(or $(RUNS),28) --seed $(or $(SEED),1) --store $(or $(STORE),sqlite) $(if $(PG_URL),--pg-url $(PG_URL))

# Property-based fuzzing of every cleaner and parser with many more examples than `make test`
# (docs/fuzzing.md); FUZZ_PROFILE=ci runs the quick derandomised set.
fuzz: $(STAMP)
	LANTERN_FUZZ_PROFILE=$(or $(FUZZ_PROFILE),deep) $(BIN)/pytest tests/fuzz -q --hypothesis-show-statistics

# Coverage-guided fuzzing of every file reader (docs/fuzzing.md): make atheris [SECONDS=60] [TARGET=csv]
atheris: $(STAMP)
	$(BIN)/python tools/atheris_readers.py $(if $(TARGET),--target $(TARGET),--all) --seconds $(or $(SECONDS),60)

# The workbench's front-end libraries, from the npm registry into the package (committed).
vendor:
	bash tools/vendor_web_assets.sh

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
