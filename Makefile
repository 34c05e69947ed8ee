# Sozialplanungs-Workbench — `make help` lists the targets.
# Real file dependencies: an unchanged tree rebuilds nothing; editing one notebook rebuilds that chapter and the index.
# Every step works on the folders of one report config (CONFIG, default config/report.yaml): several cities can be
# built side by side (`make report CONFIG=config/meine_stadt.yaml`) without sharing any output.

SHELL := /bin/bash
.DEFAULT_GOAL := help
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# (not for interactive targets, and not with the Dask backend: its German progress lines should appear as they come)
ifeq ($(filter lab test explorer build-all,$(MAKECMDGOALS))$(filter dask,$(BACKEND)),)
MAKEFLAGS += --jobs=$(JOBS) --output-sync=target
endif

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
SETUP    := $(VENV)/.installed
BYTECODE := $(VENV)/.bytecode
READY    := $(SETUP) $(BYTECODE)
CONFIG   ?= config/report.yaml

ifeq ($(wildcard $(CONFIG)),)
$(error Berichtskonfiguration '$(CONFIG)' nicht gefunden – Pfad bei CONFIG=… prüfen (relativ zum Projektordner))
endif

# The report config's folders, read at parse time without any Python package (the venv may not exist yet): the
# first top-level line "key: value" (quotes and a trailing comment removed), else the default of
# settings.load_report_config. Relative paths are relative to the project root; all paths are normalised
# (data/demo/raw, /abs/path), so each file has exactly one target name. The workbench command line compares these
# folders with its own reading of the same config (WORKBENCH_MAKE_FOLDERS) and stops if they ever differ.
HASH := \#
config_value = $(strip $(shell sed -n 's/^$(1):[[:space:]]*\([^$(HASH)]*\).*/\1/p' '$(CONFIG)' | head -n 1 | tr -d "\"'"))
config_folder = $(patsubst $(CURDIR)/%,%,$(abspath $(or $(call config_value,$(1)),$(2))))
override RAW     := $(call config_folder,data_raw,data/raw)
override PROC    := $(call config_folder,data_processed,data/processed)
override REPORTS := $(call config_folder,reports,reports)
ifneq ($(words $(RAW) $(PROC) $(REPORTS)),3)
$(error $(CONFIG): Ordnernamen mit Leerzeichen kann make nicht verarbeiten – data_raw, data_processed und reports ohne Leerzeichen angeben)
endif
ifneq ($(words $(sort $(RAW) $(PROC) $(REPORTS))),3)
$(error $(CONFIG): data_raw, data_processed und reports müssen drei verschiedene Ordner sein ($(RAW), $(PROC), $(REPORTS)))
endif
HTML     := $(REPORTS)/html
EXECUTED := $(REPORTS)/executed
WB       := $(PY) -m workbench.cli --config $(CONFIG)

export WORKBENCH_ROOT := $(CURDIR)
export WORKBENCH_MAKE_FOLDERS := $(abspath $(CONFIG))|$(abspath $(RAW))|$(abspath $(PROC))|$(abspath $(REPORTS))
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# One BLAS/OpenMP thread per process: make runs one job per core (--jobs) and the engine one kernel per core;
# numpy's OpenBLAS would add a spinning thread per core in each of them (the values Dask gives its workers too).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

CHAPTERS := $(shell $(PYTHON) -c "import yaml;print(' '.join(yaml.safe_load(open('$(CONFIG)'))['chapters']))" 2>/dev/null || awk '/^chapters:/{f=1;next} f&&/^[^[:space:]$(HASH)-]/{f=0} f&&/^[[:space:]]*-[[:space:]]/{sub(/^[[:space:]]*-[[:space:]]*/,"");sub(/[[:space:]]*$(HASH).*/,"");print}' '$(CONFIG)')
CHAPTERS := $(or $(CHAPTERS),bevoelkerung)
CHAPTER_HTML := $(CHAPTERS:%=$(HTML)/%.html)
SRC := $(shell find src -name '*.py' -o -name '*.yaml' -o -name '*.j2' -o -name '*.css') $(wildcard config/*.yaml)

# Raw files of this config (subfolders and hidden files such as the demo marker are not data). The import also
# reruns when a raw file disappeared: its recipe records the file list it read, and a different list now forces it.
RAW_FILES := $(filter-out $(patsubst %/,%,$(wildcard $(RAW)/*/)),$(wildcard $(RAW)/*))
RAW_LIST  := $(PROC)/.rohdateien
ifneq ($(wildcard $(PROC)/manifest.json),)
ifneq ($(sort $(notdir $(RAW_FILES))),$(sort $(file < $(RAW_LIST))))
RAW_CHANGED := FORCE
endif
endif

# Mapping YAMLs of the config's `sources:` and the data files they read (io.importer.source_files): a changed
# mapping or source file reruns the import like a changed raw file. Only configs with `sources:` ask Python
# (and only once the venv exists); a data file that does not exist yet is left out.
ifneq ($(shell grep -qs '^sources:' '$(CONFIG)' && echo y),)
SOURCE_FILES := $(patsubst $(CURDIR)/%,%,$(shell test -x $(PY) && WORKBENCH_ROOT='$(CURDIR)' $(PY) -c "import sys; \
	from workbench.settings import load_report_config; from workbench.io.importer import source_files; \
	c = load_report_config(sys.argv[1]); print(' '.join(map(str, source_files(c.extra.get('sources'), config=c.source))))" \
	'$(CONFIG)' 2>/dev/null))
endif

# The configuration files a config names itself (config_files:, or the older index_config: / projection_config:);
# the defaults in config/ are part of SRC. Read by Python only for configs that name such files.
ifneq ($(shell grep -qsE '^(config_files|index_config|projection_config):' '$(CONFIG)' && echo y),)
CONFIG_FILES := $(wildcard $(patsubst $(CURDIR)/%,%,$(shell test -x $(PY) && WORKBENCH_ROOT='$(CURDIR)' $(PY) -c \
	"import sys; from workbench.settings import load_report_config; f = load_report_config(sys.argv[1]).files; \
	print(' '.join(str(p) for p in (f.indicators, f.colours, f.chapters, f.index, f.projection)))" \
	'$(CONFIG)' 2>/dev/null)))
endif

# Engine of chapters and profiles: BACKEND=local (warm kernels on this machine, default) or BACKEND=dask (chapters and
# profiles as tasks of a Dask cluster: a local cluster with WORKERS processes, or SCHEDULER=tcp://host:8786).
BACKEND   ?= local
WORKERS   ?=
SCHEDULER ?=
ifeq ($(filter $(BACKEND),local dask),)
$(error BACKEND=$(BACKEND) ist unbekannt – BACKEND=local (Standard) oder BACKEND=dask angeben)
endif
ENGINE_OPTS := $(if $(WORKERS),--workers $(WORKERS)) $(if $(filter dask,$(BACKEND)),--backend dask $(if $(SCHEDULER),--scheduler $(SCHEDULER)))

# `workbench check --quiet` before the first chapter: a configuration that does not fit the data (an area id of a
# projection scenario or of the index's exclude list that the data do not have, an indicator id that is not in the
# catalogue, …) stops make report here with one German line per problem (file, key, hint) instead of minutes
# later inside a chapter. The stamp (a hidden file of the processed folder) is an order-only prerequisite of
# chapters and profiles: checking again never rebuilds them.
CHECKED := $(PROC)/.konfiguration-geprueft

.PHONY: help setup data report profiles pdf browser audit check test lint format lab clean clean-all benchmarks build-all \
	example-berlin example-flensburg workshop workshop-reset wheelhouse FORCE

help: ## diese Liste der make-Ziele zeigen
	@echo "Sozialplanungs-Workbench – make-Ziele (Berichtskonfiguration: CONFIG=$(CONFIG))"
	@echo "  Rohdaten $(RAW) · aufbereitet $(PROC) · Berichte $(REPORTS)"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-15s %s\n", $$1, $$2}'
	@echo "Eine andere Stadt: make report CONFIG=config/meine_stadt.yaml (eigene Ordner data_raw, data_processed, reports)"

# WHEELHOUSE=wheelhouse installs without network from a folder filled once by `make wheelhouse` (offline laptops).
WHEELHOUSE ?=
PIP_SOURCE := $(if $(WHEELHOUSE),--no-index --find-links $(abspath $(WHEELHOUSE)))

$(SETUP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ -n "$(WHEELHOUSE)" ] && [ ! -d "$(WHEELHOUSE)" ]; then echo "Abbruch: WHEELHOUSE=$(WHEELHOUSE) ist kein Ordner – zuerst mit Netz make wheelhouse ausführen und den Ordner mitkopieren." >&2; exit 2; fi
	$(PY) -m pip install --quiet $(PIP_SOURCE) --upgrade pip
	$(PY) -m pip install --quiet $(PIP_SOURCE) -c requirements.lock -e '.[dev,lab]'
	$(PY) -m ipykernel install --sys-prefix --name workbench --display-name "Workbench (Python)" >/dev/null
	@touch $@

# Python may run with PYTHONDONTWRITEBYTECODE set (containers, CI images): then every process compiles the
# workbench's modules again, about 0.8 s per process, and a batch starts several (workers, kernels). They are
# compiled once here instead, again after each change of src (compileall only redoes the changed files).
$(BYTECODE): $(filter %.py,$(SRC)) | $(SETUP)
	@$(PY) -m compileall -q src
	@touch $@

setup: $(READY) ## .venv mit den gepinnten Paketen und dem Jupyter-Kernel „workbench“ einrichten

# `workbench data` generates the demo city first when the config asks for it (key demo:) and the raw folder is
# empty; a config without demo: and without raw data stops with "keine Rohdaten in <Ordner>".
# A demo config (key demo:) also depends on the generator's code: a changed generator makes new demo files
# (the marker's generator= fingerprint tells `workbench data` to regenerate them).
DEMO_SRC := $(if $(shell grep -qs '^demo:' '$(CONFIG)' && echo y),$(wildcard src/workbench/demo/*.py))

$(PROC)/manifest.json: $(CONFIG) $(RAW_FILES) $(SOURCE_FILES) $(DEMO_SRC) $(wildcard src/workbench/io/*.py) $(RAW_CHANGED) | $(READY)
	$(WB) data
	@find $(RAW) -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sort > $(RAW_LIST)

data: $(PROC)/manifest.json ## Rohdaten (data_raw) prüfen und aufbereitet nach data_processed schreiben (Demo-Stadt nur mit demo: in der Konfiguration)

$(HTML) $(EXECUTED):
	mkdir -p $@

$(CHECKED): $(PROC)/manifest.json $(CONFIG) $(SRC) $(CONFIG_FILES) | $(READY)
	$(WB) check --quiet
	@touch $@

$(HTML)/%.html: notebooks/%.ipynb $(PROC)/manifest.json $(SRC) $(CONFIG) | $(READY) $(HTML) $(EXECUTED) $(CHECKED)
	$(WB) chapter $*

$(REPORTS)/profiles/index.html: notebooks/profil.ipynb $(PROC)/manifest.json $(SRC) $(CONFIG) | $(READY) $(CHECKED)
	$(WB) profiles $(ENGINE_OPTS)

profiles: $(REPORTS)/profiles/index.html ## ein HTML-Profil je Sozialraum und eine Übersichtsseite bauen (WORKERS=2 Prozesse; BACKEND=dask auf einem Dask-Cluster)

# a report whose audit finds a disclosive cell is not finished: its index page is removed again
$(REPORTS)/index.html: $(CHAPTER_HTML) $(REPORTS)/profiles/index.html | $(READY)
	$(WB) index
	$(WB) audit $(REPORTS) || { rm -f $@; exit 1; }

ifeq ($(BACKEND),dask)
# the same steps and up-to-date rules as below, computed by `workbench report`; chapters and profiles are Dask tasks
report: | $(READY)
	$(WB) report $(ENGINE_OPTS)
else
report: $(REPORTS)/index.html ## vollständiger Bericht (Übersicht reports/index.html der Konfiguration); richtet sich selbst ein. BACKEND=dask WORKERS=2: Kapitel und Profile als Aufgaben eines Dask-Clusters (SCHEDULER=tcp://rechner:8786 für einen laufenden Cluster)
endif

# Several reports in one run on one Dask cluster (e.g. every municipality of a Kreis) and one overview page with
# status, build time and audit result per report; a report whose inputs did not change is not rebuilt.
CONFIGS    ?=
UEBERSICHT ?=
build-all: | $(READY) ## mehrere Berichte in einem Lauf auf einem Dask-Cluster bauen: CONFIGS="a.yaml b.yaml" (WORKERS=2, SCHEDULER=tcp://rechner:8786, UEBERSICHT=Seite, Standard reports_alle/index.html); unveränderte Berichte werden nicht neu gebaut
	@test -n "$(CONFIGS)" || { echo "Abbruch: welche Berichte? z. B. make build-all CONFIGS=\"staedte/a/report.yaml staedte/b/report.yaml\"" >&2; exit 2; }
	$(PY) -m workbench.cli build-all $(CONFIGS) $(if $(WORKERS),--workers $(WORKERS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(UEBERSICHT),--overview $(UEBERSICHT))

# The PDF edition: headless Chromium from the system packages, driven by playwright (workbench.build.pdf). The
# whole-report PDF depends on every published page; `workbench pdf --no-report` prints only the pages whose PDF is
# older than their HTML (or than the print styles) and joins them again.
PDF := $(REPORTS)/pdf
PRINT_STYLES := $(wildcard src/workbench/templates/nbconvert/workbench/static/*.css) src/workbench/build/pdf.py

$(PDF)/bericht.pdf: $(REPORTS)/index.html $(CHAPTER_HTML) $(REPORTS)/profiles/index.html $(PRINT_STYLES) | $(READY) browser
	@$(BROWSER_CHECK) || { echo "Abbruch: Chromium fehlt – PDFs können nicht erstellt werden. Als root installiert make pdf es selbst (apt-get install -y chromium); sonst Chromium installieren lassen oder WORKBENCH_CHROMIUM=/pfad/zu/chromium setzen." >&2; exit 1; }
	$(WB) pdf --no-report

pdf: $(PDF)/bericht.pdf ## PDF je Kapitel, je Sozialraumprofil und den ganzen Bericht mit Lesezeichen nach reports/pdf schreiben (A4; baut den Bericht, falls nötig; braucht Chromium)

# Chromium for PDFs and browser tests: taken from the system (WORKBENCH_CHROMIUM or chromium on the PATH);
# installed with apt-get when missing and make runs as root; otherwise a German note, and the browser tests skip.
# (the same search as workbench.build.pdf.find_chromium: WORKBENCH_CHROMIUM if set, else these names on the PATH)
BROWSER_CHECK = if [ -n "$$WORKBENCH_CHROMIUM" ]; then test -x "$$WORKBENCH_CHROMIUM"; else \
	command -v chromium || command -v chromium-browser || command -v google-chrome || command -v google-chrome-stable; \
	fi >/dev/null 2>&1
browser: ## Chromium für PDFs und Browsertests bereitstellen (als root per apt-get, sonst Hinweis)
	@if $(BROWSER_CHECK); then :; \
	elif [ -n "$$WORKBENCH_CHROMIUM" ]; then \
		echo "Hinweis: WORKBENCH_CHROMIUM=$$WORKBENCH_CHROMIUM ist keine ausführbare Datei – PDFs und Browsertests (werden übersprungen) brauchen Chromium."; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Chromium fehlt – wird mit apt-get installiert (einmalig, einige Minuten) …"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
			|| echo "Hinweis: Chromium konnte nicht installiert werden (apt-get fehlgeschlagen) – PDFs und Browsertests sind nicht möglich."; \
	else \
		echo "Hinweis: Chromium fehlt und make läuft nicht als root – PDFs und Browsertests (werden übersprungen) brauchen es: „sudo apt-get install chromium“ oder WORKBENCH_CHROMIUM=/pfad/zu/chromium."; \
	fi

audit: | $(READY) ## alle veröffentlichten HTML/XLSX-Dateien im Berichtsordner auf Geheimhaltungslücken prüfen
	$(WB) audit $(REPORTS)

check: $(PROC)/manifest.json | $(READY) ## Konfiguration gegen die Daten prüfen (Fehler mit Datei und Schlüssel) und zeigen, welche Kapitel und Indikatoren die Daten erlauben
	$(WB) check

test: $(READY) browser ## alle Tests (inkl. eines vollständigen Berichtsbaus einer kleinen Demo-Stadt, Browsertests der Seiten und aller Workshop-Module mit Lösung und leerer Teilnehmer-Fassung)
	$(PY) -m pytest -q

lint: $(READY) ## ruff: Stil- und Formatprüfung
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

format: $(READY) ## Code mit ruff formatieren
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

# As root (containers) JupyterLab refuses to start without --allow-root; further options via LAB_OPTS, e.g.
# make lab LAB_OPTS="--no-browser --port=8890 --ip=0.0.0.0"
LAB_OPTS ?=
LAB_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
lab: $(READY) ## JupyterLab im Projektordner öffnen (Kernel „workbench“; weitere Optionen: LAB_OPTS="--no-browser --port=8890")
	$(VENV)/bin/jupyter lab --notebook-dir=. $(LAB_ROOT) $(LAB_OPTS)

# The explorer notebook as a local web app (Voila, no internet): the report config reaches the notebook through
# WORKBENCH_EXPLORER_CONFIG; PORT= chooses the port. Listens on localhost only. workbench.explore.serve adds Voila's
# root folder and file allowlist so that the report's HTML pages (the mini-profile's link to a profile page) are
# served under /voila/files/, nothing else.
# The template "workbench" (src/workbench/resources/voila) is Voila's lab template without its Font Awesome CDN
# links; JupyterLab extensions that do not run inside Voila (ipylab, jupytext) are left out (console errors).
PORT ?= 8866
VOILA_OPTS = --no-browser --Voila.ip=127.0.0.1 --strip_sources=True --template=workbench \
	"--VoilaConfiguration.extension_denylist=['ipylab','jupyterlab-jupytext','@voila-dashboards/jupyterlab-preview']"
.PHONY: explorer
explorer: $(PROC)/manifest.json | $(READY) ## Explorer (Karte, Tabelle, Rangdiagramm) als Web-App (Voila) auf localhost starten, ohne Internet (CONFIG= Bericht, PORT= Port, Standard 8866)
	@echo "Explorer für $(CONFIG): http://localhost:$(PORT)/  (beenden mit Strg+C)"
	$(PY) -m workbench.explore.serve --config '$(abspath $(CONFIG))' -- $(VOILA_OPTS) --port=$(PORT)

# Qualification workshops (workshop/, trainer guide workshop/LEITFADEN.md): participant versions without solutions,
# made by otter-grader's `otter assign` from the one source notebook per module, into a folder outside the sources.
WORKSHOP_BUILD ?= workshop_build
TEILNEHMENDE ?= 0
workshop: $(READY) ## Workshop-Module (workshop/LEITFADEN.md): Teilnehmer-Fassungen ohne Lösungen nach workshop_build/vorlage, Lösungen nach workshop_build/loesungen, Demo-Stadt nach workshop_build/kursdaten; TEILNEHMENDE=12 legt teilnehmende/tn01 … tn12 an (vorhandene bleiben); anderer Ordner: WORKSHOP_BUILD=…
	$(PY) -m workbench.workshop bauen --quelle workshop --ziel $(WORKSHOP_BUILD) --teilnehmende $(TEILNEHMENDE)

workshop-reset: $(READY) ## einen Teilnehmer-Ordner neu anlegen (TN=tn03); die bisherige Arbeit wird vorher nach workshop_build/sicherungen verschoben, nie gelöscht
	@test -n "$(TN)" || { echo "Abbruch: welcher Teilnehmer-Ordner? z. B. make workshop-reset TN=tn03" >&2; exit 2; }
	$(PY) -m workbench.workshop zuruecksetzen --ziel $(WORKSHOP_BUILD) --tn $(TN)

# Every package of requirements.lock (and pip's build tools for the editable install) as files, for laptops without
# network: copy the folder along and run `make setup WHEELHOUSE=wheelhouse`. The files fit the operating system and
# Python of the machine that downloads; for Windows laptops e.g.
# make wheelhouse WHEELHOUSE_OPTS="--platform win_amd64 --python-version 3.11 --only-binary=:all:"
WHEELHOUSE_DIR ?= $(or $(WHEELHOUSE),wheelhouse)
WHEELHOUSE_OPTS ?=
wheelhouse: ## alle Pakete aus requirements.lock einmal nach wheelhouse/ laden (für Laptops ohne Netz; dort make setup WHEELHOUSE=wheelhouse)
	$(PYTHON) -m pip download --quiet $(WHEELHOUSE_OPTS) -d $(WHEELHOUSE_DIR) -r requirements.lock pip setuptools wheel
	@echo "$$(ls $(WHEELHOUSE_DIR) | wc -l) Pakete in $(WHEELHOUSE_DIR)/ – auf den Laptop kopieren, dann: make setup WHEELHOUSE=$(WHEELHOUSE_DIR)"

benchmarks: $(READY) ## Geschwindigkeitsmessungen (Indikatoren, Profile, Explorer)
	$(PY) benchmarks/indicators.py
	$(PY) benchmarks/profiles.py --areas 40
	$(PY) benchmarks/explorer.py

example-berlin: ## Bericht Berlin (MSS 2021, 542 Planungsräume) aus ../shared/data = make report CONFIG=examples/berlin/report.yaml
	$(MAKE) report CONFIG=examples/berlin/report.yaml

example-flensburg: ## Bericht Flensburg (Sozialatlas 2022, 13 Stadtteile) aus ../shared/data = make report CONFIG=examples/flensburg/report.yaml
	$(MAKE) report CONFIG=examples/flensburg/report.yaml

clean: ## erzeugte Berichte und aufbereitete Daten dieser Konfiguration löschen (Rohdaten und .venv bleiben)
	rm -rf $(REPORTS)/html $(REPORTS)/executed $(REPORTS)/profiles $(REPORTS)/tabellen $(REPORTS)/pdf $(REPORTS)/index.html \
		$(PROC)/*.parquet $(PROC)/*.gpkg $(PROC)/manifest.json $(PROC)/cache $(RAW_LIST) $(CHECKED)

# Only files listed in the demo marker (.workbench-demo) are deleted: a city's own raw data are never touched.
clean-all: clean ## außerdem die erzeugte Demo-Stadt dieser Konfiguration und .venv löschen (eigene Rohdaten bleiben)
	@if [ -f $(RAW)/.workbench-demo ]; then \
		sed -n -e 's/^[0-9a-f]\{64\}  //p' -e 's/^-  //p' $(RAW)/.workbench-demo | (cd $(RAW) && xargs -r rm -f --); \
		rm -f $(RAW)/.workbench-demo; rmdir $(RAW) 2>/dev/null || true; \
		echo "Demo-Stadt in $(RAW) gelöscht"; \
	else echo "$(RAW) enthält keine Demo-Stadt – Rohdaten bleiben unverändert"; fi
	@rmdir $(PROC) 2>/dev/null || true
	rm -rf $(VENV)
