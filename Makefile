# rnnkit: set-up and everyday commands. Every target creates .venv on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
TORCH   := torch==2.13.0

.PHONY: demo test lint bench bench-tasks bench-peers clean

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

test: $(VENV)/.installed  ## install with the dev extras, lint, check the layers, run the suite
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/lint-imports
	@# bytecode cached even where the environment says not to: the suite starts a few hundred
	@# rnnkit processes, and compiling the package again in each cost about 0.4 s
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

bench: $(VENV)/.installed  ## speed benchmarks (minutes): print JSON, refresh benchmarks/RESULTS.md
	$(BIN)/python benchmarks/layers.py --write
	$(BIN)/python benchmarks/fusion.py --write
	$(BIN)/python benchmarks/roofline.py --write
	$(BIN)/python benchmarks/latency.py --write

bench-tasks: $(VENV)/.installed  ## the data-set benchmarks of issues 3-7 (hours on 2 cores)
	$(BIN)/python benchmarks/seed_experiments.py --write
	for b in forecast_m4 forecast_etth1 forecast_airpassengers classify_names classify_imdb \
	         tag_conll tag_pos generate_dates generate_names generate_shakespeare; do \
	    $(BIN)/python benchmarks/$$b.py --write || exit 1; done

PEERS := .venv-peers
$(PEERS)/.installed: pyproject.toml
	$(PY) -m venv $(PEERS)
	$(PEERS)/bin/pip install --quiet --upgrade pip
	$(PEERS)/bin/pip install --quiet $(TORCH)
	$(PEERS)/bin/pip install --quiet darts neuralforecast -e .
	touch $@

bench-peers: $(PEERS)/.installed  ## rnnkit against Darts and NeuralForecast (about 20 minutes)
	OMP_NUM_THREADS=1 $(PEERS)/bin/python benchmarks/peers.py --write

clean:
	rm -rf $(VENV) $(PEERS) build dist src/*.egg-info .pytest_cache .ruff_cache
