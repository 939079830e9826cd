# The two set-up commands of the README: `make demo` and `make test`.
# Both create (or update) the virtual environment in .venv from the project's own files.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test bench env clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,dask,ml,viewer]"
	touch $(STAMP)

env: $(STAMP)

## Simulate the default dataset (sphere calibration + PR772 mix) and print its summary.
demo: $(STAMP)
	mkdir -p demo
	$(BIN)/diffbench list
	$(BIN)/diffbench simulate pr772-spi-v5 -n 200 --seed 1 -o demo/pr772-spi-v5.cxi
	$(BIN)/diffbench info demo/pr772-spi-v5.cxi

## Run the test suite (speed benchmarks run once each, untimed, as correctness checks).
test: $(STAMP)
	$(BIN)/python -m pytest -q tests benchmarks --benchmark-disable

## Timed speed benchmarks (opt-in; compare only on the same machine).
bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-columns=mean,stddev,rounds

clean:
	rm -rf $(VENV) demo
