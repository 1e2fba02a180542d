# The two commands of the Quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/aliquot-demo.db
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test]"
	touch $@ $(VENV)/.installed-app

## Opens Aliquot on a demo clinic (created on first run in .demo/).
run: $(VENV)/.installed-app demo
	$(BIN)/aliquot --db $(DEMO_DB)

demo: $(VENV)/.installed-app
	@mkdir -p $(dir $(DEMO_DB))
	@test -f $(DEMO_DB) || $(BIN)/aliquot --db $(DEMO_DB) demo --patients 300

## Runs the whole suite headless.
test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/foundation.py --reuse
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/charting.py
	$(BIN)/python bench/recall.py
	$(BIN)/python bench/records.py

clean:
	rm -rf $(VENV) .demo .pytest_cache
