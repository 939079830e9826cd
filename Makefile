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
	# torch first, pinned: the CPU wheel the package index offers for this version (the range in
	# pyproject.toml would otherwise let pip pick a newer, GPU-sized build)
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[test,dask,ml,viewer,torch]"
	# the package's bytecode, as a non-editable install writes it: where PYTHONDONTWRITEBYTECODE is
	# set, every process would otherwise compile diffbench from source (~0.3 s of each start-up)
	$(BIN)/python -m compileall -q diffbench > /dev/null
	touch $(STAMP)

env: $(STAMP)

## The point in one run: PR772 frames with single hits, their summary, a viewer page and a bench report.
DEMO_SET = --set detector.nx=192 --set detector.ny=96 --set "detector.beam_center_xy_px=[95.5, 47.5]" \
           --set "hits.classes={single: 0.3, multiple: 0.2, aggregate: 0.2, contaminant: 0.2, mixed: 0.1}"
demo: $(STAMP)
	mkdir -p demo
	$(BIN)/diffbench list
	$(BIN)/diffbench simulate pr772-spi-v6 -n 400 --seed 1 -o demo/pr772-spi-v6.cxi $(DEMO_SET)
	$(BIN)/diffbench info demo/pr772-spi-v6.cxi
	$(BIN)/diffbench view demo/pr772-spi-v6.cxi --html demo/pr772-view.html --colour-by hit_class
	$(BIN)/diffbench bench chaperonin-xfel-outliers --n 300 --seeds 1 -o demo/bench
	@echo
	@echo "Open in a browser (offline):"
	@echo "  $(CURDIR)/demo/pr772-view.html    latent space of the PR772 frames: hover, tap, select"
	@echo "  $(CURDIR)/demo/bench/report.html  single vs double hits: methods beside their controls"

## Run the test suite (speed benchmarks run once each, untimed, as correctness checks).
test: $(STAMP)
	$(BIN)/python -m pytest -q tests benchmarks --benchmark-disable

## Timed speed benchmarks (opt-in; compare only on the same machine).
bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-columns=mean,stddev,rounds

clean:
	rm -rf $(VENV) demo
