# minsec — two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, fetch the default data, run the main job
#   make test   create .venv if missing, install, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export MINSEC_HOME ?= $(CURDIR)/.minsec
OUT    ?= out/brief

.PHONY: demo test install lint typecheck bench clean web-assets system-deps-demo system-deps-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,api,dask,optimize,postgres]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages beyond Python (installed with apt-get when missing and run as root;
# otherwise a message says what to install or which variable points at a binary)
system-deps-demo:
	@scripts/system-deps.sh chromium

system-deps-test:
	@scripts/system-deps.sh chromium postgresql

demo: $(STAMP) system-deps-demo
	$(BIN)/minsec data fetch
	$(BIN)/minsec data status
	$(BIN)/minsec brief --importer USA,JPN,like-minded --year 2024 --out $(OUT)

test: $(STAMP) system-deps-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# the dashboard's world map (src/minsec/web/static/world.json, committed); needs node + npm
web-assets:
	cd web && npm ci --no-audit --no-fund && node build-world.mjs

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .minsec out .pytest_cache .mypy_cache .ruff_cache
