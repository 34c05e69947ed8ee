"""``workbench init NAME``: a new city folder with a commented report config and mapping templates.

The folder (default ``staedte/<name>`` in the project) gets

* ``report.yaml`` – report config (German comments): ``city``, ``reporting_year``, the three folders inside the
  city folder (``rohdaten``, ``aufbereitet``, ``bericht``), chapters, confidentiality rules and ``sources:``
  naming the four mapping templates below, with every further input of ``sources:`` listed as a comment;
* ``schluessel.yaml``, ``gebiete_geo.yaml``, ``einwohner.yaml``, ``sgb2.yaml`` – mapping templates (format:
  docs/ZUORDNUNGEN.md) for the key table, the geometries, the population and one count table, each describing
  the file it expects in ``rohdaten/``;
* ``rohdaten/`` – the raw folder (empty but for ``.gitkeep``): the city's published tables go here.

An existing folder is never touched (:class:`~workbench.errors.ConfigError`). The templates are plain Python
strings, so no package data is needed. The guide for planners is docs/EIGENE_STADT.md.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ConfigError
from workbench.settings import relative_to_root, resolve_path

RAW, PROCESSED, REPORTS = "rohdaten", "aufbereitet", "bericht"
"""Sub-folders of a city folder: raw data, processed tables, published report."""

MAPPINGS = {
    "keys": "schluessel.yaml",
    "areas": "gebiete_geo.yaml",
    "population": "einwohner.yaml",
    "counts": "sgb2.yaml",
}
"""Input of ``sources:`` → template file name in the city folder."""


def slug(name: str) -> str:
    """Folder name for a city name: lower case, umlauts spelled out, other characters as ``_``
    ("Bad Oldesloe" → "bad_oldesloe", "Lüneburg" → "lueneburg")."""
    text = name.strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text or "stadt"


REPORT_TEMPLATE = """\
# Berichtskonfiguration für {city} – erzeugt mit `workbench init`.
# Anleitung Schritt für Schritt: docs/EIGENE_STADT.md
# Alle Pfade gelten relativ zum Projektordner (dem Ordner mit dem Makefile).
#
# Nächste Schritte:
#   1. Tabellen der Stadt in den Ordner {raw} legen.
#   2. Die vier Zuordnungen (YAML) in {folder} an diese Tabellen anpassen (docs/ZUORDNUNGEN.md).
#   3. make check CONFIG={config}   – zeigt, was die Daten erlauben
#   4. make report CONFIG={config}  – baut den Bericht nach {reports}/index.html

# Name der Stadt, wie er im Bericht erscheint.
city: {city_yaml}
# Berichtsjahr: die Einwohnerdaten müssen dieses Jahr enthalten (sonst bricht `make data` ab).
reporting_year: {year}

# Drei eigene Ordner, jeweils in EINER Zeile und ohne Leerzeichen im Pfad (make liest sie direkt):
# Rohdaten – hierher kommen die Tabellen der Stadt (werden nie verändert)
data_raw: {raw}
# aufbereitete Daten (erzeugt von `make data`)
data_processed: {processed}
# fertiger Bericht (index.html, Kapitel, Profile, Tabellen)
reports: {reports}

# Kapitel in der Reihenfolge des Berichts. Kapitel, für die Daten fehlen, erscheinen als Seite
# „nicht erstellt“ mit dem Grund – `make check CONFIG=…` zeigt vorher, welche das sind.
chapters:
  - bevoelkerung      # Bevölkerung
  - soziale_lage      # Soziale Lage (SGB II, Arbeitslosigkeit …)
  - monitoring        # Sozialraum-Monitoring (Status- und Dynamikindex)
  - demografie        # Geburten, Sterbefälle, Wanderungen, Prognose
  - kinder_jugend     # Kinder, Jugend und Familie
  - wohnen            # Wohnen
  - bestand           # Bestand und Versorgung (Einrichtungen, Erreichbarkeit)
  - bedarfserhebung   # Bedarfserhebung (Bewohnerbefragung)
  - massnahmen        # Maßnahmencontrolling (braucht massnahmen.csv)
  - finanzen          # Sozial- und Finanzplanung (braucht kosten.csv)
  - datenqualitaet    # Datenqualität und Methoden

# Statistische Geheimhaltung: wird bei jedem Bau geprüft (`make audit`).
confidentiality:
  threshold: 3                  # Anzahlen unter 3 (also 1 und 2) werden nie veröffentlicht
  show_zero: true               # eine 0 darf gezeigt werden (false: auch 0 sperren)
  min_base: 20                  # keine Quote, wenn der Nenner weniger als 20 Personen hat
  suppress_on_denominator: true # eine Quote mit gesperrtem Nenner wird mitgesperrt

# Woher die Daten kommen: je Eingabe eine Zuordnung (YAML), die sagt, wie die Tabelle der Stadt zu lesen ist.
# Format der Zuordnungen: docs/ZUORDNUNGEN.md; diese Liste: docs/DATA_CONTRACT.md, Abschnitt „sources:“.
sources:
  # Schlüsseltabelle: Sozialräume mit Nummer und Namen (Pflicht)
  keys: {keys}
  # Gebietsgrenzen: GeoJSON, Shapefile oder GeoPackage (Pflicht)
  areas: {areas}
  # Einwohner je Sozialraum und Jahr (Pflicht; eine Zuordnung oder eine Liste)
  population: {population}
  # beliebig viele Fallzahltabellen (SGB II, Arbeitslose, HzE …); measures: Spalte → Maß
  counts:
    - {{mapping: {counts}, measures: {{rlb: sgb2_rlb}}}}
    # - {{mapping: {folder}/arbeitslose.yaml, measures: {{arbeitslose: unemployed}}}}
    # - {{mapping: {folder}/hze.yaml, year: {year}, measures: {{faelle: hze_cases}}}}
  # Weitere Eingaben, jeweils eine Zuordnung (oder eine Liste); Zeichen # am Zeilenanfang entfernen, wenn es die
  # Tabelle gibt. Spalten und Einstellungen: docs/ZUORDNUNGEN.md, Abschnitt „Eingaben der Berichtskonfiguration“.
  # ${{RAW}} in einer Zuordnung steht für data_raw, {{year}} im Datei- oder Blattnamen für das Jahr
  # (file: ${{RAW}}/einwohner_{{year}}.csv liest eine Datei je Jahr).
  # blocks: {folder}/stat_bezirke_geo.yaml        # Flächen der statistischen Bezirke (block_id)
  # households: {folder}/haushalte.yaml           # Haushalte, Alleinerziehende, Migrationshintergrund …
  # ba: {folder}/ba.yaml                          # Sonderauswertung der Bundesagentur (sheet: "Dez {{year}}")
  # sgb12: {{mapping: {folder}/grusi.yaml, measures: {{empfaenger: grusi_65}}}}   # Grundsicherung im Alter
  # hze: {{mapping: {folder}/hze.yaml, sum_over: [Hilfeart]}}   # Hilfen zur Erziehung, Hilfearten addiert
  # events: {folder}/bewegungen.yaml              # Geburten, Sterbefälle, Zu-/Fortzüge, Umzüge (Einzelalter)
  # facilities: {{mapping: {folder}/einrichtungen.yaml, crs: 25832}}   # Kitas, Schulen … mit Koordinaten
  # survey: {folder}/befragung.yaml               # Bewohnerbefragung (Mikrodaten, Antworten 1–5)
  # measures: {folder}/massnahmen.yaml            # Maßnahmenregister
  # kpis: {folder}/kennzahlen.yaml                # Kennzahlen der Maßnahmen (nur mit measures)
"""

KEYS_TEMPLATE = """\
# Zuordnung der Schlüsseltabelle (sources: keys) – alle Schlüssel: docs/ZUORDNUNGEN.md
# Eine Zeile je Sozialraum mit Nummer und Namen; Stadtbezirke sind freiwillig (ohne sie bilden alle
# Sozialräume einen Stadtbezirk „Stadtgebiet“).
#
# Erwartete Datei {raw_rel}/schluessel.csv (Semikolon, UTF-8), z. B.:
#   Nr;Sozialraum;Bezirk_Nr;Bezirk
#   1;Altstadt;1;Mitte
#   2;Neustadt;1;Mitte
#   3;Nordstadt;2;Nord
description: "Sozialräume von {city} (Nummer, Name, Stadtbezirk)"
source: "Stadt {city}"
file: {raw_rel}/schluessel.csv   # Pfad relativ zu dieser YAML-Datei
sep: ";"                          # Trennzeichen: ";" oder ","
encoding: utf-8                   # oder cp1252 (Excel unter Windows)
rename:                           # Spaltenname in der Datei: Name für die Workbench
  Nr: area_id
  Sozialraum: area_name
  Bezirk_Nr: district_id          # Zeile löschen, wenn es keine Stadtbezirke gibt
  Bezirk: district_name           # Zeile löschen, wenn es keine Stadtbezirke gibt
id: {{column: area_id, width: 2}}  # Nummern mit führender Null auf 2 Stellen: 1 → "01"
types: {{area_name: str, district_id: str, district_name: str}}
"""

AREAS_TEMPLATE = """\
# Zuordnung der Gebietsgrenzen (sources: areas) – alle Schlüssel: docs/ZUORDNUNGEN.md
# Eine Fläche je Sozialraum, mit derselben Nummer wie in der Schlüsseltabelle. Das Koordinatensystem muss in der
# Datei stehen (wird nach EPSG:25832 umgerechnet).
#
# Erwartete Datei {raw_rel}/sozialraeume.geojson (auch .shp oder .gpkg) mit einem Feld „Nr“ je Fläche.
description: "Grenzen der Sozialräume von {city}"
file: {raw_rel}/sozialraeume.geojson
format: geo
# layer: sozialraeume            # nur bei GeoPackage mit mehreren Ebenen
id: {{column: Nr, width: 2, name: area_id}}   # Feld mit der Nummer; "STGT01" → strip_prefix: STGT
columns: [area_id]
"""

POPULATION_TEMPLATE = """\
# Zuordnung der Einwohnerzahlen (sources: population) – alle Schlüssel: docs/ZUORDNUNGEN.md
# Mindestens die Gesamtzahl je Sozialraum und Jahr; das Berichtsjahr muss dabei sein. Feiner ist besser:
# Einzelalter nach Geschlecht ermöglichen Alterspyramide, Prognose und alle Quoten mit Altersgrenzen.
#
# Erwartete Datei {raw_rel}/einwohner.csv (eine Spalte je Jahr), z. B.:
#   Nr;Sozialraum;Einwohner_{y0};Einwohner_{year}
#   1;Altstadt;3.812;3.866
#   2;Neustadt;4.725;4.850
description: "Einwohner je Sozialraum (Haupt- oder alleinige Wohnung, 31.12.)"
source: "Stadt {city}, Einwohnermelderegister"
file: {raw_rel}/einwohner.csv
sep: ";"
encoding: utf-8
decimal: ","                      # "3.866" = 3866 (Punkt trennt Tausender)
rename: {{Nr: area_id, Sozialraum: area_name}}
id: {{column: area_id, width: 2}}
# Spalten je Jahr → eine Zeile je Sozialraum und Jahr (area_id, year, count):
melt: {{pattern: "Einwohner_(\\\\d{{4}})", value: count, id_columns: [area_id]}}
#
# Andere Form – eine Zeile je Sozialraum, Jahr, Geschlecht und Alter (lange Tabelle):
#   layout: long
#   rename: {{Nr: area_id, Jahr: year, Geschlecht: sex, Alter: age, Anzahl: count}}
#   row_keys: [area_id, year, sex, age]
# Breite Tabelle mit Altersgruppen je Spalte: in report.yaml unter population
#   {{mapping: …, year: {year}, age_columns: {{u18: [0, 17], a18_65: [18, 64], a65: [65, null]}}}}
"""

COUNTS_TEMPLATE = """\
# Zuordnung einer Fallzahltabelle (sources: counts) – alle Schlüssel: docs/ZUORDNUNGEN.md
# Beispiel: Regelleistungsberechtigte nach SGB II (Maß sgb2_rlb) je Sozialraum und Jahr. Nur ANZAHLEN werden
# übernommen, keine Anteile in % – Quoten und Intervalle berechnet die Workbench selbst. Liste der Maße:
# docs/DATA_CONTRACT.md (sgb2_rlb, sgb2_u15, unemployed, unemployed_u25, grusi_65, hze_cases, …).
#
# Erwartete Datei {raw_rel}/sgb2.csv, z. B. („*“ = von der Bundesagentur geheim gehalten):
#   Nr;Sozialraum;RLB_{y0};RLB_{year}
#   1;Altstadt;554;475
#   2;Neustadt;*;1.116
#   ;Stadt insgesamt;1.653;1.593
description: "Regelleistungsberechtigte nach SGB II"
source: "Statistik der Bundesagentur für Arbeit"
file: {raw_rel}/sgb2.csv
sep: ";"
encoding: utf-8
decimal: ","
suppressed: ["*"]                 # geheim gehalten: bleibt gesperrt, wird nie als 0 gelesen
zero: ["-"]                       # "-" = genau null
rename: {{Nr: area_id, Sozialraum: area_name}}
aggregates:                       # Summenzeile der Stadt: wird als amtliche Stadtsumme geprüft und genutzt
  - {{level: stadt, column: area_name, match: "Stadt insgesamt"}}
id: {{column: area_id, width: 2}}
# Spalten je Jahr → Spalte rlb je Sozialraum und Jahr; in report.yaml: measures: {{rlb: sgb2_rlb}}
melt: {{pattern: "RLB_(\\\\d{{4}})", value: rlb, id_columns: [area_id]}}
columns: [area_id, year, rlb]
"""


@dataclass(frozen=True)
class Created:
    """Result of :func:`create_city`: the city folder, its report config and all files written."""

    folder: Path
    config: Path
    files: tuple[Path, ...]

    def next_steps(self) -> str:
        """German next steps for the command line."""
        cfg = relative_to_root(self.config)
        return "\n".join(
            [
                f"Neuer Stadtordner: {relative_to_root(self.folder)}",
                *(f"  {relative_to_root(f)}" for f in self.files),
                "",
                "Nächste Schritte:",
                f"  1. Die Tabellen der Stadt nach {relative_to_root(self.folder / RAW)} legen.",
                f"  2. Die Zuordnungen ({', '.join(MAPPINGS.values())}) an Spalten und Dateinamen anpassen "
                "(docs/ZUORDNUNGEN.md).",
                f"  3. In {cfg} Stadtname, Berichtsjahr und Kapitel prüfen.",
                f"  4. make check CONFIG={cfg}    (zeigt Fehler mit Datei, Zeile und Spalte und was die Daten "
                "erlauben)",
                f"  5. make report CONFIG={cfg}   (baut den Bericht nach "
                f"{relative_to_root(self.folder / REPORTS)}/index.html)",
                "Anleitung: docs/EIGENE_STADT.md",
            ]
        )


def _yaml_text(value: str) -> str:
    """A scalar as a double-quoted YAML string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def create_city(name: str, folder: str | Path | None = None, *, year: int | None = None) -> Created:
    """Create the city folder for ``name`` (default ``staedte/<slug(name)>`` in the project root).

    Relative ``folder`` paths are relative to the project root, like every path of a report config. Raises a
    German :class:`ConfigError` when the folder exists already (nothing is overwritten), when its path has a
    space (make cannot handle it) or when ``name`` is empty.
    """
    if not name or not name.strip():
        raise ConfigError("kein Stadtname angegeben", hint='z. B. workbench init "Bad Oldesloe"')
    city = name.strip()
    target = resolve_path(folder if folder else Path("staedte") / slug(city))
    shown = relative_to_root(target)
    if target.exists():
        raise ConfigError(
            f"Ordner {shown} gibt es schon – nichts wurde überschrieben",
            hint="anderen Namen oder anderen Ordner mit --dir wählen, oder den vorhandenen Ordner weiter "
            "bearbeiten",
        )
    if " " in shown:
        raise ConfigError(
            f"Ordnername mit Leerzeichen: {shown}",
            hint="make kann Ordner mit Leerzeichen nicht verarbeiten – mit --dir einen Ordner ohne "
            "Leerzeichen wählen",
        )
    year = int(year) if year else _dt.date.today().year - 1
    values = {
        "city": city,
        "city_yaml": _yaml_text(city),
        "year": year,
        "y0": year - 1,
        "folder": shown,
        "config": f"{shown}/report.yaml",
        "raw": f"{shown}/{RAW}",
        "processed": f"{shown}/{PROCESSED}",
        "reports": f"{shown}/{REPORTS}",
        "raw_rel": RAW,
        **{key: f"{shown}/{file}" for key, file in MAPPINGS.items()},
    }
    texts = {
        "report.yaml": REPORT_TEMPLATE,
        MAPPINGS["keys"]: KEYS_TEMPLATE,
        MAPPINGS["areas"]: AREAS_TEMPLATE,
        MAPPINGS["population"]: POPULATION_TEMPLATE,
        MAPPINGS["counts"]: COUNTS_TEMPLATE,
    }
    target.mkdir(parents=True)
    (target / RAW).mkdir()
    written = []
    keep = target / RAW / ".gitkeep"
    keep.write_text("", encoding="utf-8")
    for file, template in texts.items():
        path = target / file
        path.write_text(template.format(**values), encoding="utf-8")
        written.append(path)
    written.append(keep)
    return Created(target, target / "report.yaml", tuple(written))


__all__ = ["MAPPINGS", "PROCESSED", "RAW", "REPORTS", "Created", "create_city", "slug"]
