# spinestep — `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Installed packages are compiled to bytecode once: where PYTHONDONTWRITEBYTECODE is set
# (CI images often set it), every `spinestep` process and test worker would otherwise
# compile SQLAlchemy, Pydantic and the rest from source again (about 1 s a process).
export UV_COMPILE_BYTECODE := 1
PYTHON ?= python3
# Looked up when a recipe runs (not when make starts), so a uv installed by `make uv` is found.
UV = $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN = $(UV) run --frozen --all-extras
# The tests run in parallel (pytest-xdist), one worker per core by default; each worker
# has its own PostgreSQL server, live servers and temporary folders, and a test file's
# tests stay on one worker so its module-scoped fixtures are built once.
# `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= auto
PARALLEL = -n $(TEST_WORKERS) --dist loadfile

.PHONY: help uv setup system lint test test-quick test-fast run bench clean

help:
	@echo "make run   install and start spinestep on SQLite"
	@echo "make test  install everything and run every check and test"
	@echo "make test-quick  the domain and services tests on SQLite, for the inner loop"

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || { \
		echo "installing uv from PyPI"; \
		$(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user uv \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv; }

setup: uv
	$(UV) sync --frozen --all-extras
	$(RUN) python -m compileall -q src
	$(RUN) python scripts/pose_assets.py

# PostgreSQL, Chromium and poppler for the tests: installed when root, else checked.
system:
	@bash scripts/system-deps.sh

lint: setup
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench
	$(RUN) mypy
	$(RUN) lint-imports

test: setup system lint
	$(RUN) pytest $(PARALLEL) --cov --cov-report=term-missing:skip-covered --durations=25
	@echo "domain/ must stay at 100 % branch coverage, the whole package at 90 % or more:"
	$(RUN) coverage report --include='*/spinestep/domain/*' --fail-under=100
	$(RUN) coverage report --format=total --precision=2 --fail-under=90

# The inner loop: the domain and services tests on SQLite only (PostgreSQL is deselected
# with its marker, so no server starts), in parallel.
test-quick: setup
	$(RUN) pytest -q $(PARALLEL) -m "not postgres" tests/domain tests/services

test-fast: setup
	$(RUN) pytest -x -q

run: setup
	$(RUN) spinestep serve

bench: setup system
	$(RUN) python bench/decide.py
	$(RUN) python bench/motion.py
	$(RUN) python bench/web.py

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
