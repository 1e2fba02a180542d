# The two commands of the Quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/aliquot-demo.db
SOURCES := app models ui tests bench installer
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint demo bench dist clean

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
test: $(VENV)/.installed-test lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

## Lint and format check (ruff) and the type checker on the Qt-free layers.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python bench/foundation.py --reuse
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/charting.py
	$(BIN)/python bench/recall.py
	$(BIN)/python bench/records.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/photos.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/compare.py
	$(BIN)/python bench/startup.py
	@test -d dist/aliquot || echo "bench/installer.py: run make dist first"
	@test ! -d dist/aliquot || $(BIN)/python bench/installer.py

## Builds the installable bundle for this operating system in dist/ (see installer/README.md).
dist: $(VENV)/.installed-test
	$(PIP) install "pyinstaller>=6.5"
	QT_QPA_PLATFORM=offscreen $(BIN)/python installer/make_icons.py
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath installer/build/pyinstaller installer/aliquot.spec
	@if [ "$$(uname)" = "Linux" ]; then \
	  cp installer/linux/aliquot.desktop installer/linux/install.sh installer/build/icons/aliquot.png dist/ && \
	  tar -C dist -czf dist/aliquot-linux-x86_64.tar.gz aliquot aliquot.desktop install.sh aliquot.png && \
	  echo "dist/aliquot-linux-x86_64.tar.gz"; fi

clean:
	rm -rf $(VENV) .demo .pytest_cache dist installer/build
