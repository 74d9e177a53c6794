# The two Quick start commands (README): `make` installs the locked environment and runs the
# whole analysis; `make test` installs what the tests need and runs them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: all test lint lock browser slurm-lock slurm-check

# Snakemake, one run at a time (a second is refused; a killed one needs no --unlock), and a
# failed or stopped run puts results/ back as the last complete run left it
# (src/invitesurvey/run.py). Extra arguments: make SNAKEMAKE_ARGS="--configfile ...".
all: $(VENV)/.run-installed
	$(BIN)/invitesurvey run -- $(SNAKEMAKE_ARGS)

test: $(VENV)/.test-installed browser
	$(BIN)/pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint

# Exact versions from the lock files, so a rerun next year installs the same packages.
$(VENV)/.run-installed: requirements/run.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.test-installed: requirements/test.lock $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/test.lock
	touch $@

# The HTML check renders the write-up in Chromium; install it where this user can.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "note: install Chromium (Debian/Ubuntu: apt-get install chromium) for the browser test"; fi; }

# Regenerate the lock files from pyproject.toml (the one command for a dependency update).
lock: $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet "uv>=0.5"
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --no-header -o requirements/run.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --no-header -o requirements/test.lock

# The Slurm extra's pins: the run pins plus the executor plugin (requirements/slurm.lock).
slurm-lock: $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet "uv>=0.5"
	$(BIN)/uv pip compile pyproject.toml --extra slurm -c requirements/run.lock --python-version 3.11 --no-header -o requirements/slurm.lock

# The whole pipeline through sbatch jobs on a single-node Slurm cluster this starts (root:
# installs slurm-wlm and munge), compared byte for byte with a local run (bench/slurm/run.sh).
slurm-check: $(VENV)/.run-installed
	bash bench/slurm/run.sh
