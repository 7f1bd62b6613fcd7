# Two commands a person needs: `make lab` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export PIP_DISABLE_PIP_VERSION_CHECK := 1
PYTEST_ARGS ?=

.PHONY: lab test test-fast lint lint-imports bench golden dashboard clean env browser-deps

env: $(STAMP)

# Create .venv with the machine's Python, then install the toolkit and its dev tools.
# uv (from PyPI) does it in seconds; plain pip is the fallback.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q uv || echo "uv unavailable, falling back to pip"
	@if [ -x $(BIN)/uv ]; then \
		$(BIN)/uv pip install -q --python $(BIN)/python -e ".[dev]"; \
	else \
		$(BIN)/python -m pip install -q -e ".[dev]"; \
	fi
	@touch $(STAMP)

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS ?=

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=notebooks $(LAB_ARGS) \
		notebooks/00_start_here.ipynb

lint: $(STAMP)
	$(BIN)/ruff check toolkit tests benchmarks

# The import layers and the no-cycles contract (pyproject.toml [tool.importlinter]).
lint-imports: $(STAMP)
	$(BIN)/lint-imports

# Browser tests need Debian's Chromium: installed here when missing and we are root with apt;
# otherwise those tests skip and say why (under CI=true a missing browser fails them).
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium for the browser tests"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium) >/dev/null 2>&1 \
				|| echo "could not install chromium: browser tests will skip (or fail under CI)"; \
		else \
			echo "chromium not found and cannot be installed here: browser tests will skip"; \
		fi; \
	fi

# Everything: lint, the import contracts, every test (notebooks via tests/test_notebooks.py,
# browser tests in tests/browser/).
test: $(STAMP) lint lint-imports browser-deps
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

# The edit loop: everything but the tests marked slow (notebooks, browser, big property runs).
test-fast: $(STAMP) lint lint-imports
	$(BIN)/python -m pytest -m "not slow" tests $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Regenerate the golden expected outputs of data/samples (only on purpose: review the diff).
golden: $(STAMP)
	$(BIN)/python -m tests.golden --write

# Serve the targets-and-plan notebook as a Voila app on localhost (for a meeting screen).
DASHBOARD_PORT ?= 8866
dashboard: $(STAMP)
	$(BIN)/python -m toolkit dashboard notebooks/01_targets_and_drift.ipynb \
		--port $(DASHBOARD_PORT)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
