# Two commands a new user needs (see README):
#   make demo   set everything up, run the demo on bundled data
#   make test   set everything up, run ruff and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean browser

setup: $(STAMP)

# torch is pinned first so pip takes the CPU build from local disk where there is one,
# instead of letting a dependency resolve an unpinned torch to a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/gatecast demo --output gatecast-demo

lint: setup
	$(BIN)/ruff check src tests benchmarks examples

# The report test opens the HTML report in headless Chromium (Debian's package): install it
# when it is missing and we are root with apt; otherwise do nothing (that test then skips).
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
	    && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the HTML report test"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium could not be installed: the browser test will skip"; \
	fi

# Test files run on up to 4 worker processes (pytest-xdist; one per core): a file stays on
# one worker, so a module's shared fixture (the demo run, a Ray cluster) starts once.
test: setup lint browser
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

bench: setup
	$(BIN)/python benchmarks/m4_hourly.py

clean:
	rm -rf $(VENV) gatecast-demo .pytest_cache test-artifacts examples-output
