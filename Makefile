# Sozialplanungs-Workbench — `make help` lists the targets.
# Real file dependencies: an unchanged tree rebuilds nothing; editing one notebook rebuilds that chapter and the index.

SHELL := /bin/bash
.DEFAULT_GOAL := help
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(filter lab test,$(MAKECMDGOALS)),)
MAKEFLAGS += --jobs=$(JOBS) --output-sync=target
endif

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
SETUP    := $(VENV)/.installed
CONFIG   ?= config/report.yaml
RAW      := data/raw
PROC     := data/processed
REPORTS  := reports
HTML     := $(REPORTS)/html
EXECUTED := $(REPORTS)/executed
WB       := $(PY) -m workbench.cli --config $(CONFIG)

export WORKBENCH_ROOT := $(CURDIR)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

CHAPTERS := $(shell $(PYTHON) -c "import yaml;print(' '.join(yaml.safe_load(open('$(CONFIG)'))['chapters']))" 2>/dev/null || sed -n 's/^  - //p' $(CONFIG))
CHAPTER_HTML := $(CHAPTERS:%=$(HTML)/%.html)
SRC := $(shell find src -name '*.py' -o -name '*.yaml') $(wildcard config/*.yaml)
RAW_FILES := $(filter-out $(RAW)/.gitkeep,$(wildcard $(RAW)/*))

.PHONY: help setup data report profiles audit test lint format lab clean clean-all benchmarks example-berlin example-flensburg

help: ## show this list of targets
	@echo "Sozialplanungs-Workbench – make-Ziele:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

$(SETUP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev,lab]'
	$(PY) -m ipykernel install --sys-prefix --name workbench --display-name "Workbench (Python)" >/dev/null
	@touch $@

setup: $(SETUP) ## create .venv with pinned packages and the Jupyter kernel "workbench"

$(RAW)/schluessel_gebiete.csv: | $(SETUP)
	$(WB) demo

$(PROC)/manifest.json: $(RAW)/schluessel_gebiete.csv $(RAW_FILES) $(wildcard src/workbench/io/*.py) | $(SETUP)
	$(WB) data

data: $(PROC)/manifest.json ## check data/raw and write tidy tables to data/processed (demo city if empty)

$(HTML) $(EXECUTED):
	mkdir -p $@

$(HTML)/%.html: notebooks/%.ipynb $(PROC)/manifest.json $(SRC) $(CONFIG) | $(SETUP) $(HTML) $(EXECUTED)
	$(WB) chapter $*

$(REPORTS)/profiles/index.html: notebooks/profil.ipynb $(PROC)/manifest.json $(SRC) $(CONFIG) | $(SETUP)
	$(WB) profiles

profiles: $(REPORTS)/profiles/index.html ## build one HTML profile per Sozialraum and the overview page

$(REPORTS)/index.html: $(CHAPTER_HTML) $(REPORTS)/profiles/index.html | $(SETUP)
	$(WB) index
	$(WB) audit $(REPORTS)

report: $(REPORTS)/index.html ## build the full report (reports/index.html); sets itself up, demo city if no data

audit: | $(SETUP) ## check every published HTML/XLSX file in reports/ for disclosive cells
	$(WB) audit $(REPORTS)

test: $(SETUP) ## run all tests (includes one end-to-end build on a small demo city)
	$(PY) -m pytest -q

lint: $(SETUP) ## ruff lint and format check
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: $(SETUP) ## format the code with ruff
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

lab: $(SETUP) ## open JupyterLab on the project (kernel "workbench")
	$(VENV)/bin/jupyter lab --notebook-dir=.

benchmarks: $(SETUP) ## run the speed benchmarks (indicators, profiles)
	$(PY) benchmarks/indicators.py
	$(PY) benchmarks/profiles.py --areas 40

example-berlin: | $(SETUP) ## Berlin MSS 2021 example report from ../shared/data (reports/examples/berlin.html)
	$(PY) -m workbench.examples.report berlin

example-flensburg: | $(SETUP) ## Flensburg Sozialatlas 2022 example report from ../shared/data
	$(PY) -m workbench.examples.report flensburg

clean: ## delete generated reports and processed data (raw data and .venv stay)
	rm -rf $(REPORTS)/html $(REPORTS)/executed $(REPORTS)/profiles $(REPORTS)/tabellen $(REPORTS)/examples $(REPORTS)/index.html $(PROC)/*.parquet $(PROC)/*.gpkg $(PROC)/manifest.json $(PROC)/cache

clean-all: clean ## also delete the generated demo data and .venv
	find $(RAW) -mindepth 1 ! -name .gitkeep -delete
	rm -rf $(VENV)
