# Two entry points, both of which set up their own environment first:
#   make report   the main job on the bundled synthetic cohort
#   make test     the whole test suite (what CI runs)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup report test synthetic benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

setup: $(STAMP)

report: $(STAMP)
	$(BIN)/outcomes report --data data/synthetic/cohort.csv --quarter 2026Q3 --out reports/
	$(BIN)/outcomes figures --data data/synthetic/cohort.csv --out figures/

test: $(STAMP)
	$(BIN)/python -m pytest

# Regenerates data/synthetic/ byte for byte.
synthetic: $(STAMP)
	$(BIN)/outcomes synth --n 2000 --seed 0 --out data/synthetic/cohort.csv

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) reports figures
