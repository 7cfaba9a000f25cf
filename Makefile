# Every CI step is one of these targets or a `model …` command: what runs on GitHub runs here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION ?= 0.13.9
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV_STAMP := .venv/.synced-$(UV_VERSION)
# MODEL_ENV_READY=1: the caller (e.g. `model demo` in its scratch clone) already runs inside
# the project's environment, so targets call the tools directly instead of `uv run`.
ifdef MODEL_ENV_READY
RUN :=
else
RUN := $(UV) run --frozen
endif

.PHONY: help env demo pipeline test test-fast ci lint image tracking-up tracking-down clean

help: ## List targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet "uv==$(UV_VERSION)"

# Where Python never writes bytecode (PYTHONDONTWRITEBYTECODE is set on this machine and in its
# CI), every process would compile each import from source: pandas + scikit-learn + DVC +
# MLflow take 18 s that way and 6 s from bytecode. So compile once at install, as pip does;
# elsewhere (GitHub runners, act jobs) Python caches its own bytecode and this is skipped.
SYNC_FLAGS := $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode)

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen $(SYNC_FLAGS)
	@touch $@

ifdef MODEL_ENV_READY
env: ;
else
env: $(VENV_STAMP) ## Install uv if missing, then the locked environment in .venv
endif

# The Docker engine is infrastructure (as in CI): provisioned when possible, never required.
demo: env ## The whole GitOps loop on real git, DVC, MLflow and Docker (see README)
	@bash scripts/docker-engine.sh || echo "make demo: no Docker engine; pods run as local processes"
	$(RUN) model demo

pipeline: env ## dvc repro --pull (CI's pipeline step)
	$(RUN) dvc repro --pull

# -rsfE: skip reasons, failures, errors (pytest's -r is last-wins, so plain -rs would drop f/E).
# Two xdist workers: most of the suite waits on subprocesses (act, docker, dvc). Work units are
# files, plus one group of files sharing Docker engine names (tests/conftest.py), handed out in
# collection order (no reorder), so the demo's group starts first. TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2
PARALLEL = -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: env ## Run every test tier (unit, data, model, e2e) on TEST_WORKERS xdist workers; "no tests" is a failure
	@$(RUN) pytest $(PARALLEL) -rsfE; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

ci: ## What CI runs: provision Docker, gnupg and prometheus (root or sudo), then make test
	bash .ci/run

# Two workers here too: 998 tests in 42 s of pytest against 54 s serially (load about 0.5).
test-fast: env ## Unit and data tiers: no subprocess, no pipeline (tests/conftest.py refuses both); about 45 s
	$(RUN) pytest -m "unit or data" $(PARALLEL) --durations=10

lint: env ## ruff on the package, tests and benchmarks
	$(RUN) ruff check model tests benchmarks
	$(RUN) ruff format --check model tests benchmarks

.PHONY: fleet-bench
fleet-bench: env ## Fleet scale on generated fleets of 10, 100, 1,000 models (benchmarks/fleet.py; not in make test)
	$(RUN) python benchmarks/fleet.py

tracking-up: env ## Start the embedded MLflow server on 127.0.0.1
	$(RUN) model tracking up

tracking-down: env ## Stop it
	$(RUN) model tracking down

# Each capability keeps its own targets in mk/<area>.mk.
-include mk/*.mk

clean: ## Remove the venv and local state (never data/ or the DVC cache)
	rm -rf .venv .state .pytest_cache .ruff_cache
