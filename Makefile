# Targets CI runs too. `make demo` and `make test` are the README's two quick-start commands.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## a story to final_video.mp4, offline, no keys
	$(VENV)/bin/storyreel make examples/lighthouse.txt --out out/lighthouse --offline --yes

test: $(STAMP)  ## the whole test suite
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/ruff check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
