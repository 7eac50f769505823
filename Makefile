# rnnkit: set-up and everyday commands. Every target creates .venv on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
TORCH   := torch==2.13.0

.PHONY: demo test lint bench bench-peers clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet $(TORCH)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed  ## install, then run the seed experiments on the data shipped in the package
	$(BIN)/rnnkit demo sincos --out runs/demo-sincos --quiet
	$(BIN)/rnnkit demo fc-vs-rnn --out runs/demo-fc-vs-rnn
	@echo "reports: runs/demo-sincos/report.html runs/demo-fc-vs-rnn/report.html"

test: $(VENV)/.installed  ## install with the dev extras, lint, run the whole suite
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

bench: $(VENV)/.installed  ## the benchmarks that print JSON (see benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/layers.py
	$(BIN)/python benchmarks/fusion.py
	$(BIN)/python benchmarks/roofline.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
