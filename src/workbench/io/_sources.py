"""Inputs named by mapping (``sources:`` of the report config) instead of the raw-folder layout.

A report config may name, per input, a mapping YAML of :mod:`workbench.io.mapped` (reference:
``docs/ZUORDNUNGEN.md``)::

    sources:
      keys: staedte/flensburg/stadtteile.yaml        # area_id, area_name, [district_id, district_name, block_id, block_name]
      areas: staedte/flensburg/stadtteile_geo.yaml   # geometries keyed by area_id (format: geo)
      population: staedte/flensburg/einwohner.yaml   # long: area_id, year, [sex], [age], [nationality], count
      counts:                                         # any number of count tables: area_id, year, measure columns
        - staedte/flensburg/sgb2.yaml
        - {mapping: staedte/flensburg/hze.yaml, measures: {faelle: hze_cases}, year: 2021}

Each entry is a path or a mapping with ``mapping:`` (the path) and options (:data:`ENTRY_KEYS`); ``population``
may be a list of entries (e.g. totals for several years and age groups for one). The other inputs of the
raw-folder layout (:data:`OPTIONAL_SOURCES`: blocks, households, ba, sgb12, hze, events, facilities, survey,
measures, kpis) are named the same way and read by :mod:`workbench.io._inputs`. ``${RAW}`` in a mapping's paths
is the report config's raw folder; ``{year}`` in its file or sheet name gives one table per year. Relative
paths are relative to ``base`` (the project root). Every table is read with :func:`workbench.io.mapped.read_table_full`, its
columns are mapped to the processed schema (docs/DATA_CONTRACT.md, section "Sources by mapping") and
validated: ids must be in the key table, counts are non-negative integers, suppressed cells stay suppressed
(never 0), aggregate rows of level ``stadt`` become official city totals (``city_totals.parquet``).
Errors are German and name the data file, the line and column, and the key of the mapping or of ``sources:``
to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError
from workbench.io import raw as rawio
from workbench.io._areas import area_layers, check_geometries
from workbench.io._schema import (
    AGE_ALL,
    AGE_GROUPS_SCHEMA,
    ALL,
    BA_COLUMNS,
    CITY_TOTALS_SCHEMA,
    EVENT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    MAX_AGE,
    POPULATION_DETAILS,
    POPULATION_SOURCES_SCHEMA,
    ImportResult,
    _require_areas,
    sum_groups,
)
from workbench.io.mapped import (
    Table,
    YearPart,
    expand_raw,
    has_year,
    load_mapping,
    read_table_full,
    resolve_file,
    year_parts,
)
from workbench.settings import project_root, relative_to_root

OPTIONAL_SOURCES = ("blocks", "households", "ba", "sgb12", "hze", "events", "facilities", "survey")
OPTIONAL_SOURCES += ("measures", "kpis")
OPTIONAL_SOURCES += ("costs",)  # kosten.csv: expenditure on HzE by Hilfeart and Kosten der Unterkunft
"""The inputs of the raw-folder layout besides keys, geometries and population that ``sources:`` can name as well
(read by :mod:`workbench.io._inputs`): block geometries, the count deliveries, movements, facilities, survey,
measures register and its KPI series."""
COUNT_INPUTS: dict[str, tuple[str, ...]] = {
    "households": tuple(HOUSEHOLD_COLUMNS.values()),
    "ba": tuple(BA_COLUMNS.values()),
    "sgb12": ("grusi_65",),
    "hze": ("hze_cases",),
}
"""Count deliveries of the raw folder that ``sources:`` can name → the measures they may give."""
SOURCE_KEYS = ("keys", "areas", "population", "counts", "shares", *OPTIONAL_SOURCES)
"""The inputs that ``sources:`` can name (everything else comes from the raw folder, if present)."""

ENTRY_KEYS: dict[str, frozenset[str]] = {
    "keys": frozenset({"mapping", "columns"}),
    "areas": frozenset({"mapping", "columns"}),
    "population": frozenset({"mapping", "columns", "year", "age_columns", "ages", "reference_date", "rest"}),
    "counts": frozenset({"mapping", "columns", "year", "measures", "sum_over"}),
    "shares": frozenset({"mapping", "columns", "year", "indicators", "level"}),
}
ENTRY_KEYS |= {name: ENTRY_KEYS["counts"] for name in COUNT_INPUTS}
ENTRY_KEYS |= {
    "blocks": frozenset({"mapping", "columns"}),
    "events": frozenset({"mapping", "columns", "year"}),
    "facilities": frozenset({"mapping", "columns", "crs"}),
    "survey": frozenset({"mapping", "columns", "items"}),
    "measures": frozenset({"mapping", "columns"}),
    "kpis": frozenset({"mapping", "columns", "year"}),
    "costs": frozenset({"mapping", "columns", "year"}),
}
"""Options of one entry of ``sources:`` per input."""
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "blocks": ("block_id",),
    **{name: ("area_id", "year") for name in COUNT_INPUTS},
    "events": ("area_id", "year", "sex", "age", *EVENT_COLUMNS.values()),
    "facilities": (
        "facility_id",
        "name",
        "type",
        "carrier",
        "address",
        "x",
        "y",
        "capacity",
        "places_u3",
        "places_ue3",
        "target_group",
        "area_id",
    ),
    "survey": ("respondent_id", "area_id", "age_group", "sex", "weight", "text", "text_code"),
    "measures": ("measure_id", "name", "area_ids", "start", "end", "budget", "target_indicator"),
    "kpis": ("measure_id", "kpi", "year", "value", "target"),
    "costs": ("area_id", "year", "item", "cases", "expenditure"),
}
"""Column names (after the mapping) that the entry option ``columns`` may give, for the inputs of
:data:`OPTIONAL_SOURCES` (docs/DATA_CONTRACT.md, "Sources by mapping")."""

KEY_COLUMNS = ["block_id", "block_name", "area_id", "area_name", "district_id", "district_name"]
POPULATION_INPUT_COLUMNS = ("area_id", "year", "sex", "age", "nationality", "count")
KNOWN_MEASURES: frozenset[str] = frozenset(
    [*BA_COLUMNS.values(), *HOUSEHOLD_COLUMNS.values(), *EVENT_COLUMNS.values()]
    + ["grusi_65", "hze_cases", "kita_places_u3", "kita_places_ue3"]
)
"""Measure names of ``counts.parquet`` the chapters and the catalogue use; columns of a count table with one of
these names are taken as measures without a ``measures:`` option."""

DISTRICT_WHOLE_CITY = ("00", "Stadtgebiet")
"""Stadtbezirk (id, name) of every area when the key table has no district columns."""

_MEASURE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_SEX = {"m": "m", "männlich": "m", "maennlich": "m", "male": "m", "w": "w", "weiblich": "w", "f": "w"}
_SEX |= {"female": "w", "frauen": "w", "männer": "m", "maenner": "m"}
_NATIONALITY = {"deutsch": "deutsch", "deutsche": "deutsch", "nichtdeutsch": "nichtdeutsch"}
_NATIONALITY |= {"nicht deutsch": "nichtdeutsch", "ausländisch": "nichtdeutsch", "ausländer": "nichtdeutsch"}
_NATIONALITY |= {"auslaendisch": "nichtdeutsch", "auslaender": "nichtdeutsch"}
_TOTAL_WORDS = frozenset({"insgesamt", "gesamt", "zusammen", "alle", "summe", "i"})


# ------------------------------------------------------------------------------------------------ the config


@dataclass(frozen=True)
class Entry:
    """One mapping named in ``sources:``: ``key`` is its place in the config ("sources.counts[1]")."""

    input: str
    key: str
    mapping: Path
    written: str
    options: Mapping[str, Any] = field(default_factory=dict)
    config: Path | None = None
    raw: Path | None = None
    """The report config's raw folder: ``${RAW}`` in the mapping's paths."""

    def error(self, problem: str, option: str | None, hint: str) -> ConfigError:
        """A mistake in this entry of ``sources:``: names the report config and the key to change."""
        where = f"{self.key}.{option}" if option else self.key
        return ConfigError(
            problem,
            path=relative_to_root(self.config) if self.config else None,
            where=where,
            hint=f"{hint} (Zuordnung {self.written})",
        )


@dataclass(frozen=True)
class Sources:
    """The parsed ``sources:`` of a report config."""

    keys: Entry | None = None
    areas: Entry | None = None
    population: tuple[Entry, ...] = ()
    counts: tuple[Entry, ...] = ()
    config: Path | None = None
    shares: tuple[Entry, ...] = ()
    optional: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)
    """Entries of the inputs of :data:`OPTIONAL_SOURCES` that ``sources:`` names (name → entries)."""

    @property
    def base_complete(self) -> bool:
        """Key table, geometries and population all come from mappings (the raw folder may be empty)."""
        return self.keys is not None and self.areas is not None and bool(self.population)

    @property
    def entries(self) -> tuple[Entry, ...]:
        parts = (self.keys, self.areas, *self.population, *self.counts, *self.shares)
        parts += tuple(e for entries in self.optional.values() for e in entries)
        return tuple(e for e in parts if e is not None)

    def files(self) -> list[Path]:
        """The mapping YAMLs and the data files they name (``file:``), e.g. as dependencies of ``make data``."""
        out: list[Path] = []
        for e in self.entries:
            out.append(e.mapping)
            out.extend(entry_files(e))
        return list(dict.fromkeys(out))


def entry_files(entry: Entry) -> list[Path]:
    """The data files an entry reads (all years of ``{year}``); [] when they cannot be found yet (the import
    reports that with the file and the key)."""
    spec, yaml_path = load_mapping(entry.mapping)
    if "file" not in spec:
        return []
    try:
        if has_year(expand_raw(spec, entry.raw)):
            return list(dict.fromkeys(p.file for p in year_parts(entry.mapping, raw=entry.raw)))
        return [resolve_file(expand_raw(spec, entry.raw), yaml_path)]
    except (DataValidationError, ConfigError):
        return []


def _config_error(problem: str, config: Path | None, where: str, hint: str | None = None) -> ConfigError:
    return ConfigError(problem, path=relative_to_root(config) if config else None, where=where, hint=hint)


def parse_sources(
    spec: Any,
    *,
    base: str | Path | None = None,
    config: str | Path | None = None,
    raw: str | Path | None = None,
) -> Sources | None:
    """``sources:`` of a report config (None or empty → None) as :class:`Sources`.

    ``base``: folder of relative mapping paths (default: the project root); ``config``: the report config file
    (named in messages); ``raw``: its raw folder (``${RAW}`` in the mappings' paths). Raises a German
    :class:`ConfigError` naming the key for unknown inputs or options and for mapping files that do not exist.
    """
    if spec is None or (isinstance(spec, Mapping) and not spec):
        return None
    config = Path(config) if config else None
    base = Path(base) if base else project_root()
    raw = Path(raw).resolve() if raw else None
    if not isinstance(spec, Mapping):
        raise _config_error(
            "sources muss eine Zuordnung Eingabe → Zuordnungsdatei sein",
            config,
            "sources",
            "z. B. sources: {keys: stadt/schluessel.yaml, areas: stadt/geo.yaml, population: stadt/einwohner.yaml}",
        )
    unknown = sorted(str(k) for k in spec if k not in SOURCE_KEYS)
    if unknown:
        raise _config_error(
            f"unbekannte Eingabe(n) {', '.join(unknown)} unter sources",
            config,
            "sources",
            f"erlaubt: {', '.join(SOURCE_KEYS)} (Bedeutung und Spalten: docs/DATA_CONTRACT.md, Abschnitt "
            "„Sources by mapping“)",
        )

    def entry(name: str, value: Any, key: str) -> Entry:
        if isinstance(value, str | Path):
            value = {"mapping": str(value)}
        if not isinstance(value, Mapping) or "mapping" not in value:
            raise _config_error(
                "erwartet den Pfad einer Zuordnung (YAML) oder {mapping: <Pfad>, …}",
                config,
                key,
                f"z. B. {key.split('[')[0].split('.')[-1]}: stadt/tabelle.yaml",
            )
        bad = sorted(str(k) for k in value if k not in ENTRY_KEYS[name])
        if bad:
            raise _config_error(
                f"unbekannte Einstellung(en) {', '.join(bad)}",
                config,
                key,
                f"erlaubt für {name}: {', '.join(sorted(ENTRY_KEYS[name]))}",
            )
        written = str(value["mapping"])
        path = Path(written)
        path = path if path.is_absolute() else (base / path).resolve()
        if not path.is_file():
            raise _config_error(
                f"Zuordnung nicht gefunden: {relative_to_root(path)}",
                config,
                f"{key}.mapping" if isinstance(spec.get(name), Mapping) else key,
                "Pfad relativ zum Projektordner angeben (Format der Zuordnungen: docs/ZUORDNUNGEN.md)",
            )
        options = {k: v for k, v in value.items() if k != "mapping"}
        _check_options(name, options, config, key)
        return Entry(name, key, path, written, options, config, raw)

    def many(name: str) -> tuple[Entry, ...]:
        value = spec.get(name)
        if value is None:
            return ()
        if isinstance(value, str | Path | Mapping):
            return (entry(name, value, f"sources.{name}"),)
        if isinstance(value, Sequence):
            return tuple(entry(name, v, f"sources.{name}[{i}]") for i, v in enumerate(value))
        raise _config_error("erwartet eine Zuordnung oder eine Liste davon", config, f"sources.{name}")

    one = {
        n: (entry(n, spec[n], f"sources.{n}") if spec.get(n) is not None else None) for n in ("keys", "areas")
    }
    optional = {n: many(n) for n in OPTIONAL_SOURCES if spec.get(n) is not None}
    if "kpis" in optional and "measures" not in optional:
        raise _config_error(
            "kpis ohne measures: Kennzahlen gehören zu Maßnahmen des Maßnahmenregisters",
            config,
            "sources.kpis",
            "unter sources: auch measures: <Zuordnung des Maßnahmenregisters> angeben",
        )
    return Sources(
        one["keys"],
        one["areas"],
        many("population"),
        many("counts"),
        config,
        shares=many("shares"),
        optional=optional,
    )


def _age_range(value: Any, config: Path | None, key: str) -> tuple[int, int]:
    ok = isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
    lo, hi = (value[0], value[1]) if ok else (None, None)
    hi = MAX_AGE if hi is None else hi
    if (
        not ok
        or isinstance(lo, bool)
        or isinstance(hi, bool)
        or not isinstance(lo, int)
        or not isinstance(hi, int)
        or not 0 <= lo <= hi <= MAX_AGE
    ):
        raise _config_error(
            f"Altersgruppe {value!r} ungültig",
            config,
            key,
            f"[von, bis] in vollendeten Jahren, beide eingeschlossen, bis höchstens {MAX_AGE}; "
            "offene Gruppe mit null: [65, null] = 65 und älter",
        )
    return int(lo), int(hi)


def _check_options(name: str, options: dict, config: Path | None, key: str) -> None:
    """Types of the entry options; normalises ``ages`` and ``age_columns`` to (from, to) tuples in place."""
    for opt in ("columns", "measures", "ages", "age_columns", "indicators"):
        if opt in options and not isinstance(options[opt], Mapping):
            raise _config_error(
                f"{opt} muss eine Zuordnung sein", config, f"{key}.{opt}", f"z. B. {opt}: {{Spalte: name}}"
            )
    if "year" in options:
        y = options["year"]
        if isinstance(y, bool) or not isinstance(y, int) or not 1900 <= y <= 2200:
            raise _config_error(f"year muss eine Jahreszahl sein, gefunden: {y!r}", config, f"{key}.year")
    columns = dict(options.get("columns") or {})
    if name in ("population", "counts", "shares"):
        allowed = (
            POPULATION_INPUT_COLUMNS
            if name == "population"
            else ("area_id", "district_id", "year")
            if name == "shares"
            else ("area_id", "year")
        )
    else:
        allowed = tuple(KEY_COLUMNS) if name == "keys" else ("area_id",)
    allowed = INPUT_COLUMNS.get(name, allowed)
    for src, dst in columns.items():
        if dst not in allowed:
            raise _config_error(
                f"Spalte '{src}' soll '{dst}' heißen, erlaubt sind nur {', '.join(allowed)}",
                config,
                f"{key}.columns",
                "Maßspalten von Fallzahltabellen stehen unter measures:"
                if name == "counts"
                else "Spaltennamen laut docs/DATA_CONTRACT.md (Quellen per Zuordnung)",
            )
    options["columns"] = {str(k): str(v) for k, v in columns.items()}
    for src, measure in (options.get("measures") or {}).items():
        if not isinstance(measure, str) or not _MEASURE_NAME.fullmatch(measure):
            raise _config_error(
                f"Maßname {measure!r} für Spalte '{src}' ungültig",
                config,
                f"{key}.measures",
                "Kleinbuchstaben, Ziffern und _, z. B. sgb2_rlb (Liste in docs/DATA_CONTRACT.md)",
            )
    if "measures" in options:
        options["measures"] = {str(k): v for k, v in options["measures"].items()}
    _check_input_options(name, options, config, key)
    if "rest" in options:
        options["rest"] = _age_range(options["rest"], config, f"{key}.rest")
    for opt in ("ages", "age_columns"):
        if opt in options:
            options[opt] = {
                str(k): _age_range(v, config, f"{key}.{opt}.{k}") for k, v in options[opt].items()
            }
    if "ages" in options and "age_columns" in options:
        raise _config_error(
            "ages und age_columns schließen sich aus",
            config,
            key,
            "ages übersetzt die Werte einer Spalte age (lange Tabelle), age_columns macht aus Spalten je "
            "Altersgruppe (breite Tabelle) Zeilen",
        )


def _check_input_options(name: str, options: dict, config: Path | None, key: str) -> None:
    """Options of the inputs of :data:`OPTIONAL_SOURCES` and ``sum_over``: types and allowed values."""
    if name in COUNT_INPUTS:
        allowed = COUNT_INPUTS[name]
        for src, measure in (options.get("measures") or {}).items():
            if measure not in allowed:
                raise _config_error(
                    f"Maß {measure!r} (Spalte '{src}') gehört nicht zu {name}",
                    config,
                    f"{key}.measures",
                    f"erlaubt für {name}: {', '.join(allowed)}; andere Maße unter sources.counts liefern",
                )
    for opt, what in (("sum_over", "Spalten, über die addiert wird"), ("items", "Antwortspalten")):
        if opt not in options:
            continue
        value = options[opt]
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, Sequence) or not value or not all(isinstance(v, str) for v in value):
            raise _config_error(
                f"{opt} muss eine Liste von Spaltennamen sein ({what})",
                config,
                f"{key}.{opt}",
                "z. B. sum_over: [Hilfeart]" if opt == "sum_over" else "z. B. items: [F1, F2, F3]",
            )
        options[opt] = [str(v) for v in value]
    if "reference_date" in options and not isinstance(options["reference_date"], str):
        raise _config_error(
            f"reference_date muss ein Text sein, gefunden: {options['reference_date']!r}",
            config,
            f"{key}.reference_date",
            'Stichtag der Einwohnerzahlen, {year} steht für das Jahr, z. B. reference_date: "31.12.{year}"',
        )
    if "crs" in options:
        crs = options["crs"]
        text = str(crs).upper().removeprefix("EPSG:")
        if isinstance(crs, bool) or not text.isdigit():
            raise _config_error(
                f"crs muss ein EPSG-Code sein, gefunden: {crs!r}",
                config,
                f"{key}.crs",
                "z. B. crs: 25832 (ETRS89 / UTM 32N) oder crs: 4326 (Länge/Breite in Grad)",
            )
        options["crs"] = int(text)


# ------------------------------------------------------------------------------------------- reading helpers


@dataclass
class _Read:
    """A mapped table with the entry's ``columns`` applied; ``names`` maps contract names back to the
    column names of the mapping (for messages)."""

    entry: Entry
    table: Table
    data: pd.DataFrame
    suppressed: pd.DataFrame
    totals: pd.DataFrame
    totals_suppressed: pd.DataFrame
    lines: np.ndarray
    names: dict[str, str]
    part: YearPart | None = None
    """For a mapping with ``{year}``: the year, file and sheet of this table."""
    file_names: dict[str, str] = field(default_factory=dict)
    """Contract column name → name in the data file (before the mapping's ``rename``), for messages."""

    @property
    def path(self) -> Path:
        return self.table.path

    def name(self, column: str) -> str:
        """The column's name after the mapping (as in its ``types``, ``columns`` …)."""
        return self.names.get(column, column)

    def label(self, column: str) -> str:
        """The column's name in the data file (for messages)."""
        return self.file_names.get(column, column)

    def where(self, pos: int, column: str | None = None) -> str:
        place = f"Zeile {self.lines[pos]}" if not isinstance(self.data, gpd.GeoDataFrame) else ""
        place = place or f"Objekt {self.lines[pos]}"
        if self.part is not None and self.part.sheet is not None:
            place = f"Blatt '{self.part.sheet}', {place}"
        return f"{place}, Spalte '{self.label(column)}'" if column else place

    def hint(self, text: str) -> str:
        return f"{text} (Zuordnung {self.entry.written}, Eintrag {self.entry.key} der Berichtskonfiguration)"


def _reads(entry: Entry, result: ImportResult) -> list[_Read]:
    """The tables of an entry: one, or one per year for a mapping with ``{year}`` in ``file`` or ``sheet``."""
    spec, _ = load_mapping(entry.mapping)
    if not has_year(expand_raw(spec, entry.raw)):
        return [_read(entry, result)]
    if "year" in entry.options:
        raise entry.error(
            "die Zuordnung liest je Jahr eine Datei bzw. ein Blatt ({year}) und der Eintrag hat year:",
            "year",
            "year: im Eintrag streichen – das Jahr steht im Datei- bzw. Blattnamen",
        )
    return [_read(entry, result, part) for part in year_parts(entry.mapping, raw=entry.raw)]


def _read(entry: Entry, result: ImportResult, part: YearPart | None = None) -> _Read:
    table = read_table_full(entry.mapping, raw=entry.raw, part=part)
    columns = dict(entry.options.get("columns") or {})
    absent = [c for c in columns if c not in table.data.columns]
    if absent:
        raise entry.error(
            f"Spalte(n) {', '.join(absent)} gibt es in der Tabelle nicht",
            "columns",
            f"vorhanden (nach rename/columns der Zuordnung): {', '.join(map(str, table.data.columns))}",
        )
    data = table.data.rename(columns=columns)
    dup = [c for c in set(columns.values()) if list(data.columns).count(c) > 1]
    if dup:
        raise entry.error(
            f"Spalte '{dup[0]}' gibt es nach dem Umbenennen zweimal",
            "columns",
            "nur eine Spalte der Tabelle so benennen",
        )
    for w in table.warnings:
        result.warnings.append(f"{table.path.name}: {w}")
    lines = table.lines.to_numpy() if table.lines is not None else np.arange(1, len(data) + 1)
    return _Read(
        entry,
        table,
        data.reset_index(drop=True),
        table.suppressed.rename(columns=columns).reset_index(drop=True),
        table.totals.rename(columns=columns),
        table.totals_suppressed.rename(columns=columns),
        lines,
        {v: k for k, v in columns.items()},
        part,
        _file_names(entry, columns),
    )


def _file_names(entry: Entry, columns: dict[str, str]) -> dict[str, str]:
    """Contract column name → the column's name in the data file, through the entry's ``columns`` and the
    mapping's ``rename`` (so that messages name the column as the planner sees it in the file)."""
    spec, _ = load_mapping(entry.mapping)
    rename = spec.get("rename") if isinstance(spec.get("rename"), Mapping) else {}
    before = {str(v): str(k) for k, v in rename.items()}
    names = {v: k for k, v in columns.items()}
    for col in {*names, *before}:
        mapped = names.get(col, col)
        names[col] = before.get(mapped, mapped)
    return {k: v for k, v in names.items() if k != v}


def _record(result: ImportResult, r: _Read, **extra) -> None:
    """Provenance of a mapped file: name, SHA-256, data lines of the file (not melted rows), the mapping.

    A file read once more (another entry, another sheet of a workbook read by sheet per year, another layer of a
    GeoPackage) is listed once; the rows of a further sheet are added (a GeoPackage counts the objects of its first
    layer, like the raw-folder import), sheets and layers are listed (``sheets``, ``layers``).
    """
    path = r.path
    rows = len(np.unique(r.lines))
    digest = rawio.sha256(path)
    part = {"sheets": r.part.sheet if r.part is not None else None}
    part["layers"] = load_mapping(r.entry.mapping)[0].get("layer") if r.table.path.suffix == ".gpkg" else None
    part = {k: str(v) for k, v in part.items() if v is not None}
    for f in result.files:
        if f.get("sha256") == digest and f.get("file") == path.name:
            for key, name in part.items():
                if name not in f.setdefault(key, []):
                    f[key].append(name)
                    if key == "sheets":  # rows of every sheet; of a GeoPackage: those of the first layer
                        f["rows"] = int(f["rows"]) + int(rows)
            return
    record = {"file": path.name, "sha256": digest, "rows": int(rows), "mapping": r.entry.written}
    result.files.append(record | {k: [v] for k, v in part.items()} | extra)


def _require(r: _Read, columns: list[str], what: str) -> None:
    absent = [c for c in columns if c not in r.data.columns]
    if absent:
        raise DataValidationError(
            f"Spalte(n) {', '.join(absent)} fehlen für {what}",
            path=r.path,
            where=f"vorhanden: {', '.join(map(str, r.data.columns))}",
            hint=r.hint(
                "Spalten in der Zuordnung (rename, id.name, melt) oder im Eintrag unter columns: so benennen"
            ),
        )


def _text(values: pd.Series) -> pd.Series:
    """Ids and names as text: whole numbers without ".0", empty for missing."""
    if pd.api.types.is_numeric_dtype(values):
        num = pd.to_numeric(values, errors="coerce")
        whole = num.dropna() % 1 == 0
        if whole.all():
            return num.astype("Int64").astype("string").fillna("").astype(str).str.strip()
    return values.astype("string").fillna("").astype(str).str.strip()


def _check_ids(r: _Read, ids: pd.Series, known: set[str], keys_label: str) -> None:
    """Refuse ids that are not in the key table (combined areas of a crosswalk with their own message)."""
    unknown = ~ids.isin(known)
    if not unknown.any():
        return
    seen, rows = set(), []
    for i in np.flatnonzero(unknown.to_numpy()):  # a melted table repeats each line once per year
        if (ids.iloc[i], r.lines[i]) not in seen:
            seen.add((ids.iloc[i], r.lines[i]))
            rows.append(int(i))
    sample = ", ".join(f"'{ids.iloc[i]}' ({r.where(i)})" for i in rows[:5]) + (" …" if len(rows) > 5 else "")
    if ids.iloc[rows[0]].count("+"):
        raise DataValidationError(
            f"zusammengefasste Gebiete ({sample}) lassen sich keinem einzelnen Sozialraum zuordnen",
            path=r.path,
            where=f"Spalte '{r.label('area_id')}'",
            hint=r.hint(
                "Werte werden nie aufgeteilt: eine Tabelle je Sozialraum liefern oder die Zeilen mit filter "
                "entfernen"
            ),
        )
    raise DataValidationError(
        f"{len(rows)} unbekannte Sozialraum-Schlüssel: {sample}",
        path=r.path,
        where=f"Spalte '{r.label('area_id')}'",
        hint=r.hint(
            f"Schlüssel mit der Schlüsseltabelle ({keys_label}) abgleichen: id.width (führende Nullen), "
            "id.strip_prefix oder filter in der Zuordnung"
        ),
    )


def _duplicates(r: _Read, frame: pd.DataFrame, cols: list[str], hint: str, pos=None) -> None:
    """Refuse duplicate key combinations naming both lines; ``pos``: row of the table behind each frame row."""
    dup = frame.duplicated(cols, keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = frame.iloc[rows[0]][cols].tolist()
        twins = [int(i) for i in rows if frame.iloc[i][cols].tolist() == first][:2]
        at = [int(pos[i]) if pos is not None else i for i in twins]
        word = "Zeilen" if not isinstance(r.data, gpd.GeoDataFrame) else "Objekte"
        raise DataValidationError(
            f"doppelter Schlüssel {dict(zip(map(r.label, cols), map(str, first), strict=True))}",
            path=r.path,
            where=f"{word} " + ", ".join(str(r.lines[i]) for i in at),
            hint=r.hint(hint),
        )


def _const_year(r: _Read) -> int | None:
    """The one year of all rows: of the file or sheet name (``{year}``) or the entry's ``year``; else None."""
    return r.part.year if r.part is not None else r.entry.options.get("year")


def _years(r: _Read) -> pd.Series:
    """The year of every row: the year of the file or sheet (``{year}``), the entry's ``year`` or the table's
    ``year`` column (whole numbers)."""
    const = _const_year(r)
    if const is not None:
        if "year" in r.data.columns and r.part is not None:
            raise DataValidationError(
                f"die Tabelle hat eine Spalte year, das Jahr steht aber schon im Namen ({r.part.year})",
                path=r.path,
                hint=r.hint(
                    "die Spalte year mit columns der Zuordnung weglassen, oder {year} aus file/sheet"
                ),
            )
        if "year" in r.data.columns:
            raise r.entry.error(
                "die Tabelle hat eine Spalte year und der Eintrag year:",
                "year",
                "year: im Eintrag streichen oder die Spalte mit columns der Zuordnung weglassen",
            )
        return pd.Series(int(const), index=r.data.index, dtype="int64")
    if "year" not in r.data.columns:
        raise DataValidationError(
            "Spalte year fehlt (Jahr der Werte)",
            path=r.path,
            where=f"vorhanden: {', '.join(map(str, r.data.columns))}",
            hint=r.hint(
                f"year: <Jahr> im Eintrag {r.entry.key} angeben, oder Jahresspalten in der Zuordnung mit "
                "melt: {pattern: …, value: …} untereinander stellen"
            ),
        )
    raw = r.data["year"]
    years = pd.to_numeric(raw, errors="coerce")
    bad = years.isna() | (years % 1 != 0) | (years < 1900) | (years > 2200)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            f"Jahr '{raw.iloc[i]}' ist keine Jahreszahl",
            path=r.path,
            where=r.where(i, "year"),
            hint=r.hint("Jahre als vierstellige Zahl"),
        )
    return years.astype("int64")


def _counts_of(r: _Read, column: str, *, what: str, allow_suppressed: bool) -> tuple[pd.Series, pd.Series]:
    """(values float64, suppressed bool) of one count column, refusing text, negatives and fractions."""
    values = r.data[column]
    if not pd.api.types.is_numeric_dtype(values):
        i = int(np.flatnonzero(pd.to_numeric(values, errors="coerce").isna().to_numpy() & values.notna())[0])
        raise DataValidationError(
            f"Spalte enthält Text ('{values.iloc[i]}'), erwartet werden Anzahlen ({what})",
            path=r.path,
            where=r.where(i, column),
            hint=r.hint(f"types: {{{r.name(column)}: int}} in der Zuordnung setzen oder die Spalte prüfen"),
        )
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    supp = r.suppressed[column].reindex(num.index, fill_value=False).astype(bool)
    num = num.where(~supp)
    checks = (
        (num < 0, "negative Anzahl {v:g}", "Anzahlen können nicht negativ sein"),
        (
            num.notna() & (num % 1 != 0),
            "Anzahl {v:g} ist keine ganze Zahl",
            "Anzahlen als ganze Zahlen liefern",
        ),
    )
    for bad, message, hint in checks:
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataValidationError(
                message.format(v=num.iloc[i]) + f" ({what})",
                path=r.path,
                where=r.where(i, column),
                hint=r.hint(hint + "; Anteile in % gehören nicht in eine Fallzahltabelle"),
            )
    if not allow_suppressed and supp.any():
        i = int(np.flatnonzero(supp.to_numpy())[0])
        raise DataValidationError(
            f"geheim gehaltene Anzahl ({what}); Einwohnerzahlen müssen vollständig sein",
            path=r.path,
            where=r.where(i, column),
            hint=r.hint(
                "vollständige Einwohnerzahlen verwenden (z. B. nur die Gesamtzahl statt der Altersgruppen)"
            ),
        )
    return num, supp


# -------------------------------------------------------------------------------------------------- key table


def read_keys(entry: Entry, result: ImportResult) -> pd.DataFrame:
    """Key table from a mapping: area_id, area_name and optionally district_id, district_name, block_id,
    block_name. Without districts every area lies in one Stadtbezirk :data:`DISTRICT_WHOLE_CITY`; without
    blocks every area is its own block."""
    r = _read(entry, result)
    _require(r, ["area_id", "area_name"], "die Schlüsseltabelle")
    df = pd.DataFrame({c: _text(r.data[c]) for c in KEY_COLUMNS if c in r.data.columns})
    if "district_id" not in df and "district_name" not in df:
        df["district_id"], df["district_name"] = DISTRICT_WHOLE_CITY
        result.warnings.append(
            f"{r.path.name}: Schlüsseltabelle ohne Stadtbezirke – alle Sozialräume bilden einen Stadtbezirk "
            f"„{DISTRICT_WHOLE_CITY[1]}“ (Spalten district_id/district_name in {entry.written} ergänzen)"
        )
    df["district_id"] = df["district_id"] if "district_id" in df else df["district_name"]
    df["district_name"] = df["district_name"] if "district_name" in df else df["district_id"]
    df["block_id"] = df["block_id"] if "block_id" in df else df["area_id"]
    df["block_name"] = df["block_name"] if "block_name" in df else df["area_name"]
    for c in ("block_id", "area_id", "district_id", "area_name"):
        empty = df[c].eq("")
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise DataValidationError(
                "leerer Schlüssel" if c != "area_name" else "leerer Name",
                path=r.path,
                where=r.where(i, c),
                hint=r.hint("Zeilen ohne Gebiet mit filter oder aggregates in der Zuordnung ausschließen"),
            )
    _duplicates(
        r,
        df,
        ["block_id"],
        "jedes Gebiet nur einmal; Summenzeilen mit aggregates, Teilgebiete mit block_id",
    )
    for parent in ("district_id", "area_name"):
        n = df.groupby("area_id")[parent].nunique()
        if (n > 1).any():
            bad = n[n > 1].index[0]
            rows = np.flatnonzero(df["area_id"].eq(bad).to_numpy())[:2]
            raise DataValidationError(
                f"Sozialraum '{bad}' hat verschiedene "
                + ("Stadtbezirke" if parent == "district_id" else "Namen")
                + ": "
                + ", ".join(f"'{df[parent].iloc[i]}'" for i in rows),
                path=r.path,
                where=", ".join(r.where(i, parent) for i in rows),
                hint=r.hint("jeder Sozialraum gehört zu genau einem Stadtbezirk und hat einen Namen"),
            )
    _record(result, r)
    return df[KEY_COLUMNS].reset_index(drop=True)


# -------------------------------------------------------------------------------------------------- geometry


def read_areas(entry: Entry, keys: pd.DataFrame, result: ImportResult) -> dict[str, gpd.GeoDataFrame]:
    """Sozialraum geometries from a mapping (format geo) keyed by area_id → layers sozialraum, stadtbezirk."""
    r = _read(entry, result)
    if not isinstance(r.data, gpd.GeoDataFrame):
        raise ConfigError(
            f"die Zuordnung liest keine Geodaten (Eintrag {entry.key} der Berichtskonfiguration)",
            path=relative_to_root(entry.mapping),
            where="format",
            hint="format: geo (Shapefile, GeoJSON, GeoPackage) und file: auf die Geodaten setzen",
        )
    _require(r, ["area_id"], "die Gebietsgeometrien")
    gdf = gpd.GeoDataFrame(
        {"area_id": _text(r.data["area_id"])}, geometry=r.data.geometry.to_numpy(), crs=r.data.crs
    )
    gdf = check_geometries(
        gdf,
        "area_id",
        path=r.path,
        what="Gebietsgeometrie",
        objects=[int(x) for x in r.lines],
        crs_hint="Koordinatenbezugssystem mitliefern (.prj des Shapefiles, CRS im GIS setzen) und neu exportieren",
    )
    known = set(keys["area_id"])
    _check_ids(r, gdf["area_id"], known, "sources.keys")
    _duplicates(r, gdf, ["area_id"], "je Sozialraum genau eine Fläche (Teilflächen im GIS zusammenführen)")
    _require_areas(
        known,
        gdf["area_id"],
        "Geometrie",
        path=r.path,
        hint=r.hint("für jeden Sozialraum der Schlüsseltabelle eine Fläche liefern"),
    )
    out = area_layers(gdf["area_id"], gdf.geometry.to_numpy(), gdf.crs, keys)
    _record(result, r)
    return out


# ------------------------------------------------------------------------------------------------ population

_RANK = {d: i for i, d in enumerate(POPULATION_DETAILS)}


def _parse_age(text: str, ages: Mapping[str, tuple[int, int]]) -> tuple[int, int] | None:
    """(from, to) of an age label; None when it is not understood. "0-17" is refused as ambiguous."""
    s = str(text).strip()
    if s in ages:
        return ages[s]
    low = re.sub(r"\s+", " ", s.lower()).replace("jahren", "").replace("jahre", "").strip()
    if low in _TOTAL_WORDS:
        return 0, MAX_AGE
    if re.fullmatch(r"\d+", low):
        a = int(low)
        return (min(a, MAX_AGE), min(a, MAX_AGE) if a < MAX_AGE else MAX_AGE)
    m = re.fullmatch(r"(\d+) ?(?:und (?:älter|mehr|darüber)|\+|u\. ?ä\.)", low)
    if m:
        return min(int(m.group(1)), MAX_AGE), MAX_AGE
    m = re.fullmatch(r"(\d+) bis unter (\d+)", low)
    if m and int(m.group(1)) < int(m.group(2)):
        return int(m.group(1)), min(int(m.group(2)) - 1, MAX_AGE)
    m = re.fullmatch(r"unter (\d+)", low)
    if m and int(m.group(1)) > 0:
        return 0, min(int(m.group(1)) - 1, MAX_AGE)
    m = re.fullmatch(r"(\d+) bis (\d+)", low)
    if m and int(m.group(1)) <= int(m.group(2)):
        return int(m.group(1)), min(int(m.group(2)), MAX_AGE)
    return None


def _codes(r: _Read, column: str, table: dict[str, str], allowed: str) -> pd.Series:
    if column not in r.data.columns:
        return pd.Series(ALL, index=r.data.index, dtype=object)
    text = _text(r.data[column])
    low = text.str.lower()
    coded = low.map(lambda v: ALL if v in _TOTAL_WORDS else table.get(v))
    bad = coded.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            f"{'Geschlecht' if column == 'sex' else 'Staatsangehörigkeit'} '{text.iloc[i]}' unbekannt",
            path=r.path,
            where=r.where(i, column),
            hint=r.hint(
                f"erlaubt: {allowed} oder insgesamt; andere Zeilen mit filter in der Zuordnung entfernen"
            ),
        )
    return coded.astype(object)


def _population_rows(r: _Read, area_ids: set[str]) -> pd.DataFrame:
    """Long rows of one population source: area_id, year, sex, nationality, lo, hi, count, pos, column."""
    opts = r.entry.options
    _require(r, ["area_id"], "die Einwohner")
    ids = _text(r.data["area_id"])
    _check_ids(r, ids, area_ids, "sources.keys bzw. schluessel_gebiete.csv")
    years = _years(r)
    sex = _codes(r, "sex", _SEX, "m, w")
    nat = _codes(r, "nationality", _NATIONALITY, "deutsch, nichtdeutsch")
    base = pd.DataFrame({"area_id": ids, "year": years, "sex": sex, "nationality": nat})
    base["pos"] = np.arange(len(base))
    parts = []
    if "age_columns" in opts:
        if "age" in r.data.columns:
            raise r.entry.error(
                "die Tabelle hat eine Spalte age und der Eintrag age_columns:",
                "age_columns",
                "age_columns nur für breite Tabellen (eine Spalte je Altersgruppe)",
            )
        absent = [c for c in opts["age_columns"] if c not in r.data.columns]
        if absent:
            raise r.entry.error(
                f"Spalte(n) {', '.join(absent)} aus age_columns gibt es in der Tabelle nicht",
                "age_columns",
                f"vorhanden: {', '.join(map(str, r.data.columns))}",
            )
        total = None
        for col, (lo, hi) in opts["age_columns"].items():
            num, _ = _counts_of(r, col, what=f"Einwohner {lo}–{hi} Jahre", allow_suppressed=False)
            part = base.assign(lo=lo, hi=hi, count=num, column=col, age=col)
            parts.append(part)
            total = num if total is None else total + num
        if "count" in r.data.columns:
            given, _ = _counts_of(r, "count", what="Einwohner insgesamt", allow_suppressed=False)
            off = given.notna() & total.notna() & (given != total)
            if off.any():
                i = int(np.flatnonzero(off.to_numpy())[0])
                raise DataValidationError(
                    f"Summe der Altersgruppen ({_de(total.iloc[i])}) ist nicht die Gesamtzahl "
                    f"({_de(given.iloc[i])}) von Sozialraum {ids.iloc[i]}",
                    path=r.path,
                    where=r.where(i, "count"),
                    hint=r.hint(
                        "Tabelle prüfen (Zahlendreher?); ohne Spalte count wird die Summe der Altersgruppen "
                        "als Gesamtzahl genommen"
                    ),
                )
    else:
        _require(r, ["count"], "die Einwohner (Anzahl)")
        num, _ = _counts_of(r, "count", what="Einwohner", allow_suppressed=False)
        if "age" in r.data.columns:
            labels = _text(r.data["age"])
            parsed = {v: _parse_age(v, opts.get("ages") or {}) for v in labels.unique()}
            bad = labels.map(lambda v: parsed[v] is None)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataValidationError(
                    f"Alter '{labels.iloc[i]}' nicht eindeutig lesbar",
                    path=r.path,
                    where=r.where(i, "age"),
                    hint=r.hint(
                        "Einzelalter als Zahl, Gruppen als '18 bis 29', '18 bis unter 30', 'unter 18', "
                        f"'65 und älter'; sonst im Eintrag übersetzen: ages: {{'{labels.iloc[i]}': [von, bis]}}"
                    ),
                )
            lo = labels.map(lambda v: parsed[v][0]).astype("int64")
            hi = labels.map(lambda v: parsed[v][1]).astype("int64")
        else:
            lo, hi, labels = 0, MAX_AGE, ""
        parts.append(base.assign(lo=lo, hi=hi, count=num, column="count", age=labels))
    rows = pd.concat(parts, ignore_index=True)
    empty = rows["count"].isna()
    if empty.any():
        i = int(rows.loc[empty, "pos"].iloc[0])
        raise DataValidationError(
            "leere Anzahl (Einwohner)",
            path=r.path,
            where=r.where(i, rows.loc[empty, "column"].iloc[0]),
            hint=r.hint("fehlende Kombinationen mit 0 eintragen; Zeilen ohne Werte mit filter entfernen"),
        )
    rows["count"] = rows["count"].astype("int64")
    return rows


def _cell_kind(intervals: list[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]] | str:
    """("single_years"|"age_groups"|"total", groups) of one area × year × sex × nationality, or an error text."""
    if all(lo == hi for lo, hi in intervals):
        return "single_years", ()
    iv = sorted(intervals)
    expect = 0
    for lo, hi in iv:
        if lo > expect:
            return f"es fehlen die Alter {expect}–{lo - 1}"
        if lo < expect:
            prev = next(f"{a}–{b}" for a, b in iv if a <= lo <= b and (a, b) != (lo, hi))
            return f"die Altersgruppen {prev} und {lo}–{hi} überschneiden sich"
        expect = hi + 1
    if expect <= MAX_AGE:
        return f"es fehlen die Alter ab {expect}"
    return ("total", ()) if iv == [(0, MAX_AGE)] else ("age_groups", tuple(iv))


def _validate_population(r: _Read, rows: pd.DataFrame, area_ids: set[str]) -> dict[int, tuple]:
    """Checks of one source; returns per year its detail signature (age kind, groups, by sex, by nationality)."""
    _duplicates(
        r,
        rows,
        ["area_id", "year", "sex", "nationality", "age"],
        "je Sozialraum, Jahr, Geschlecht, Staatsangehörigkeit und Alter nur eine Zeile",
        pos=rows["pos"].to_numpy(),
    )
    signatures: dict[tuple[str, int], tuple] = {}
    for (area, year), g in rows.groupby(["area_id", "year"], sort=True):
        by = []
        for col, label in (("sex", "Geschlecht"), ("nationality", "Staatsangehörigkeit")):
            values = set(g[col])
            if ALL in values and len(values) > 1:
                i = int(g.loc[g[col] != ALL, "pos"].iloc[0])
                raise DataValidationError(
                    f"Zeilen mit {label} 'insgesamt' und aufgeteilte Zeilen zugleich (Sozialraum {area}, "
                    f"Jahr {year}) – das zählte Personen doppelt",
                    path=r.path,
                    where=r.where(i, col),
                    hint=r.hint(
                        "mit filter in der Zuordnung nur die Gesamtzahl oder nur die Aufteilung behalten"
                    ),
                )
            by.append(ALL not in values)
        kinds = set()
        for _, cell in g.groupby(["sex", "nationality"], sort=True):
            kind = _cell_kind(list(zip(cell["lo"], cell["hi"], strict=True)))
            if isinstance(kind, str):
                i = int(cell["pos"].iloc[0])
                raise DataValidationError(
                    f"Altersgruppen von Sozialraum {area}, Jahr {year} sind nicht lückenlos: {kind}",
                    path=r.path,
                    where=r.where(i, "age" if "age" in r.data.columns else None),
                    hint=r.hint(
                        "die Gruppen müssen von 0 bis zur offenen Gruppe („… und älter“) reichen, ohne "
                        "Überschneidung; Gesamtzeilen mit filter entfernen, Gruppen in ages/age_columns prüfen"
                    ),
                )
            kinds.add(kind)
        if len(kinds) > 1:
            i = int(g["pos"].iloc[0])
            raise DataValidationError(
                f"Sozialraum {area}, Jahr {year}: Altersgliederung je Geschlecht/Staatsangehörigkeit verschieden",
                path=r.path,
                where=r.where(i),
                hint=r.hint("für alle Zeilen eines Sozialraums dieselbe Altersgliederung liefern"),
            )
        signatures[(area, int(year))] = (*kinds.pop(), *by)
    per_year: dict[int, tuple] = {}
    for (area, year), sig in signatures.items():
        if year in per_year and per_year[year][0] != sig:
            other = per_year[year][1]
            raise DataValidationError(
                f"Jahr {year}: Sozialraum {area} ist anders gegliedert als Sozialraum {other} "
                f"({_describe(sig)} statt {_describe(per_year[year][0])})",
                path=r.path,
                hint=r.hint(
                    "alle Sozialräume eines Jahres gleich gegliedert liefern (Alter, Geschlecht, Staatsangehörigkeit)"
                ),
            )
        per_year.setdefault(year, (sig, area))
    for year in sorted(per_year):
        present = rows.loc[rows["year"] == year, "area_id"]
        _require_areas(
            area_ids,
            present,
            f"Einwohner {year}",
            path=r.path,
            hint=r.hint("alle Sozialräume der Schlüsseltabelle liefern"),
        )
    return {y: s for y, (s, _) in per_year.items()}


def _describe(sig: tuple) -> str:
    kind, groups, by_sex, by_nat = sig
    text = {
        "single_years": "Einzelalter",
        "age_groups": f"{len(groups)} Altersgruppen",
        "total": "Gesamtzahl",
    }
    parts = [text[kind]] + (["Geschlecht"] if by_sex else []) + (["Staatsangehörigkeit"] if by_nat else [])
    return " nach ".join(parts[:1]) if len(parts) == 1 else f"{parts[0]} nach {', '.join(parts[1:])}"


def _fineness(sig: tuple) -> tuple:
    kind, _, by_sex, by_nat = sig
    return (_RANK[kind], int(by_sex) + int(by_nat))


def read_population(
    entries: Sequence[Entry], area_ids: set[str], result: ImportResult
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """Population from one or more mappings → (population, age groups or None, manifest detail).

    Per year the finest source is kept (single years before age groups before totals, then by the number of
    breakdowns); other sources of that year must give the same total per Sozialraum. Years with single years of
    age keep them in ``population``; other years have ``age = -1`` rows (all ages) there and, with age groups,
    the groups in the second frame. Detail (``population_detail`` …) is empty for single years by sex and
    nationality in every year, like the register extracts of the raw folder.
    """
    chosen: dict[int, tuple[tuple, _Read, pd.DataFrame]] = {}
    partial: dict[int, list[tuple[_Read, pd.DataFrame]]] = {}
    for r in (r for entry in entries for r in _reads(entry, result)):
        rows = _population_rows(r, area_ids)
        if "rest" in r.entry.options:  # some age groups only; completed from the year's total below
            _record(result, r, years=sorted(int(y) for y in rows["year"].unique()))
            for year, part in rows.groupby("year"):
                partial.setdefault(int(year), []).append((r, part))
            continue
        sigs = _validate_population(r, rows, area_ids)
        _record(result, r, years=sorted(int(y) for y in sigs), **_reference_date(r.entry, sigs))
        for year, sig in sigs.items():
            part = rows[rows["year"] == year]
            if year in chosen:
                _same_totals(chosen[year], (sig, r, part), year)
                if _fineness(sig) <= _fineness(chosen[year][0]):
                    continue
            chosen[year] = (sig, r, part)
    for year, parts in sorted(partial.items()):
        completed = _complete_with_rest(parts, chosen.get(year), year)
        r0 = parts[0][0]
        sig = _validate_population(r0, completed, area_ids)[year]
        if year in chosen:
            _same_totals(chosen[year], (sig, r0, completed), year)
            if _fineness(sig) <= _fineness(chosen[year][0]):
                continue
        chosen[year] = (sig, r0, completed)
    for year, (sig, r, rows) in chosen.items():
        _check_single_ages(r, rows, sig, year)
    years = sorted(chosen)
    pop_parts, group_parts, by_year = [], [], {}
    for year in years:
        sig, _, rows = chosen[year]
        kind = sig[0]
        by_year[year] = kind
        if kind == "single_years":
            single = rows.assign(age=rows["lo"])
            pop_parts.append(
                single.groupby(["area_id", "year", "sex", "age", "nationality"], as_index=False)[
                    "count"
                ].sum()
            )
        else:
            tot = rows.groupby(["area_id", "year", "sex", "nationality"], as_index=False)["count"].sum()
            pop_parts.append(tot.assign(age=AGE_ALL))
            if kind == "age_groups":
                g = rows.rename(columns={"lo": "age_from", "hi": "age_to"})
                group_parts.append(
                    g[["area_id", "year", "sex", "nationality", "age_from", "age_to", "count"]]
                )
    pop = pd.concat(pop_parts, ignore_index=True)[["area_id", "year", "sex", "age", "nationality", "count"]]
    pop = pop.astype(
        {"area_id": str, "sex": str, "nationality": str, "year": "int64", "age": "int64", "count": "int64"}
    )
    pop = POPULATION_SOURCES_SCHEMA.validate(
        pop.sort_values(["area_id", "year", "sex", "age", "nationality"], ignore_index=True)
    )
    groups = None
    if group_parts:
        groups = pd.concat(group_parts, ignore_index=True).astype(
            {
                "area_id": str,
                "sex": str,
                "nationality": str,
                "year": "int64",
                "age_from": "int64",
                "age_to": "int64",
                "count": "int64",
            }
        )
        groups = AGE_GROUPS_SCHEMA.validate(
            groups.sort_values(["area_id", "year", "sex", "nationality", "age_from"], ignore_index=True)
        )
    by = [d for i, d in ((2, "sex"), (3, "nationality")) if all(chosen[y][0][i] for y in years)]
    detail: dict = {}
    if set(by_year.values()) != {"single_years"} or by != ["sex", "nationality"]:
        detail = {
            "population_detail": min(by_year.values(), key=_RANK.__getitem__),
            "population_detail_by_year": {str(y): by_year[y] for y in years},
            "population_by": by,
        }
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if gaps:
        result.warnings.append(
            f"Einwohner liegen für {_years_text(years)} vor; ohne Einwohnerdaten: {_years_text(gaps)}"
        )
    return pop, groups, detail


SINGLE_AGES_REQUIRED = 79
"""Single years of age must cover 0 … this age (over all Sozialräume of a year); codes of age groups read as
ages (1 … 17 for 5-year bands) would otherwise give silently wrong shares."""


def _check_single_ages(r: _Read, rows: pd.DataFrame, sig: tuple, year: int) -> None:
    """Refuse "single years of age" that do not cover every age from 0 to :data:`SINGLE_AGES_REQUIRED`."""
    if sig[0] != "single_years":
        return
    present = set(rows["lo"].astype(int))
    missing = [a for a in range(SINGLE_AGES_REQUIRED + 1) if a not in present]
    if not missing:
        return
    seen = sorted(present)
    shown = ", ".join(map(str, seen[:8])) + (" …" if len(seen) > 8 else "")
    raise DataValidationError(
        f"Einwohner {year}: die Altersangaben ({shown}) decken nicht jedes Alter von 0 bis "
        f"{SINGLE_AGES_REQUIRED} ab (es fehlen {len(missing)} Alter, z. B. {missing[0]}) – sind es Codes von "
        "Altersgruppen statt Lebensjahren?",
        path=r.path,
        hint=r.hint(
            "Altersgruppen im Eintrag übersetzen: ages: {'1': [0, 4], '2': [5, 9], …, '17': [80, null]} "
            "(Code → [von, bis]), oder Einzelalter vollständig liefern"
        ),
    )


def _complete_with_rest(
    parts: list[tuple[_Read, pd.DataFrame]], total: tuple | None, year: int
) -> pd.DataFrame:
    """Age groups of one year from entries with ``rest`` (e.g. under 18 and 18–64 from two tables) plus the rest
    group (e.g. 65 and older) = the year's total (from another population entry) − the given groups.

    Raises a German DataValidationError naming file, Sozialraum and year when there is no total for the year,
    the entries name different rest groups, the given groups and the rest do not cover every age exactly once,
    rows are split by sex or nationality, or a rest would be negative.
    """
    r0 = parts[0][0]
    rows = pd.concat([p for _, p in parts], ignore_index=True)
    rests = {tuple(r.entry.options["rest"]) for r, _ in parts}
    if len(rests) > 1:
        raise r0.entry.error(
            f"verschiedene rest-Gruppen für {year}: {sorted(rests)}",
            "rest",
            "alle Einträge mit Teilgruppen eines Jahres nennen dieselbe Restgruppe",
        )
    lo, hi = rests.pop()
    if total is None:
        raise r0.entry.error(
            f"für {year} gibt es keine Gesamtzahl, aus der die Restgruppe {lo}–{hi} Jahre folgt",
            "rest",
            "eine Einwohner-Zuordnung mit den Gesamtzahlen dieses Jahres unter sources.population ergänzen",
        )
    split = (rows["sex"] != ALL) | (rows["nationality"] != ALL)
    if split.any():
        raise r0.entry.error(
            "Teilgruppen mit rest dürfen nicht nach Geschlecht oder Staatsangehörigkeit aufgeteilt sein",
            "rest",
            "nur Gesamtzahlen je Altersgruppe liefern",
        )
    given = rows.groupby("area_id")["count"].sum()
    whole = total[2].groupby("area_id")["count"].sum()
    rest = whole.reindex(given.index) - given
    bad = rest.isna() | (rest < 0)
    if bad.any():
        area = bad[bad].index[0]
        r = next(r for r, p in parts if area in set(p["area_id"]))
        raise DataValidationError(
            f"Restgruppe {lo}–{hi} Jahre von Sozialraum {area}, {year}, wäre negativ: Gesamtzahl "
            f"{_de(whole.get(area, np.nan))} ({total[1].path.name}), Teilgruppen zusammen {_de(given[area])}",
            path=r.path,
            hint=r.hint(
                "Teilgruppen und Gesamtzahl müssen denselben Stichtag und dieselben Einwohner zählen"
            ),
        )
    first = rows.drop_duplicates("area_id").set_index("area_id")
    extra = (
        first.loc[rest.index]
        .reset_index()
        .assign(lo=lo, hi=hi, count=rest.to_numpy().astype("int64"), column="rest", age=f"{lo}–{hi} (Rest)")
    )
    out = pd.concat([rows, extra[rows.columns]], ignore_index=True)
    for (area, _), g in out.groupby(["area_id", "year"]):
        kind = _cell_kind(list(zip(g["lo"], g["hi"], strict=True)))
        if isinstance(kind, str):
            raise DataValidationError(
                f"Teilgruppen und Restgruppe von Sozialraum {area}, {year}, sind nicht lückenlos: {kind}",
                path=r0.path,
                hint=r0.hint(
                    "age_columns der Teilgruppen und rest so wählen, dass jedes Alter genau einmal vorkommt"
                ),
            )
    return out


def _reference_date(entry: Entry, years: Mapping[int, object]) -> dict[str, str]:
    """Manifest key ``reference_date`` of a population table: the entry's ``reference_date`` with ``{year}``
    replaced by the table's year(s) ("31.12.2024"); {} without the option."""
    text = entry.options.get("reference_date")
    if text is None:
        return {}
    return {"reference_date": ", ".join(dict.fromkeys(text.replace("{year}", str(y)) for y in sorted(years)))}


def _same_totals(first: tuple, second: tuple, year: int) -> None:
    """Two sources of one year must give the same population per Sozialraum."""
    (_, r1, rows1), (_, r2, rows2) = first, second
    t1 = rows1.groupby("area_id")["count"].sum()
    t2 = rows2.groupby("area_id")["count"].sum()
    off = (t1 - t2.reindex(t1.index)).abs() > 0
    if off.any():
        area = off[off].index[0]
        pos = int(rows2.loc[rows2["area_id"] == area, "pos"].iloc[0])
        raise DataValidationError(
            f"Einwohner {year} von Sozialraum {area}: {_de(t2[area])} hier, aber {_de(t1[area])} in "
            f"{r1.path.name} ({r1.entry.key})",
            path=r2.path,
            where=r2.where(pos),
            hint=r2.hint(
                "beide Tabellen eines Jahres müssen dieselben Einwohner zählen (Stichtag, Haupt-/Nebenwohnsitz); "
                "sonst das Jahr in einer der Zuordnungen weglassen"
            ),
        )


def _de(value: float) -> str:
    """A whole count in German notation (1.186)."""
    return f"{float(value):,.0f}".replace(",", ".")


def _years_text(years: Sequence[int]) -> str:
    """2011, 2017–2021 (io sits below the layers with the shared formatter)."""
    years = sorted(int(y) for y in years)
    runs, start = [], years[0]
    for prev, cur in zip(years, [*years[1:], None], strict=True):
        if cur != prev + 1:
            runs.append(str(start) if start == prev else f"{start}–{prev}")
            start = cur
    return ", ".join(runs)


def check_reporting_year(years: Sequence[int], reporting_year: int, sources: Sources) -> None:
    """Refuse a reporting year that none of the population mappings covers."""
    if int(reporting_year) in {int(y) for y in years}:
        return
    config = sources.config
    key = f"'reporting_year' in {relative_to_root(config)}" if config else "'reporting_year'"
    names = ", ".join(e.written for e in sources.population)
    raise DataValidationError(
        f"fehlt – keine Einwohnerdaten für das Berichtsjahr {reporting_year} ({key}); die Einwohnerquellen "
        f"(sources.population: {names}) enthalten die Jahre {_years_text(years)}",
        path=relative_to_root(sources.population[0].mapping),
        hint=f"eine Einwohnertabelle für {reporting_year} unter sources.population ergänzen oder {key} auf ein "
        f"vorhandenes Jahr setzen (zuletzt {max(years)}).",
    )


# ---------------------------------------------------------------------------------------------------- counts


def read_counts(
    entry: Entry,
    area_ids: set[str],
    result: ImportResult,
    *,
    known: Sequence[str] = tuple(KNOWN_MEASURES),
    check: Callable[[_Read, pd.DataFrame, pd.DataFrame, dict[str, str]], None] | None = None,
    verify_totals: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A count table from a mapping → (counts: area_id, year, measure, value, suppressed; city totals).

    Measures are the columns named in the entry's ``measures`` (column → measure), else the columns whose
    names are measures in ``known`` (default: :data:`KNOWN_MEASURES`). Suppressed cells stay suppressed (value
    NaN), a declared zero code is 0. With ``sum_over`` (columns of the table) the rows of an area and year that
    differ only in those columns are added up (a sum over a suppressed part is suppressed). Rows of level
    ``stadt`` (``aggregates`` of the mapping) give official city totals; district rows are not kept (districts
    are sums of their areas); they are checked against the areas unless not ``verify_totals`` (the caller's
    ``check`` applies the rules of its delivery). A mapping with ``{year}`` gives one table per year.
    ``check(read, counts, totals, labels)`` (labels: measure → column name in the mapping) applies the rules of
    one delivery to each table (e.g. the BA's).
    """
    parts = [_count_table(r, area_ids, result, known, check, verify_totals) for r in _reads(entry, result)]
    long = pd.concat([p[0] for p in parts], ignore_index=True)
    totals = CITY_TOTALS_SCHEMA.validate(pd.concat([p[1] for p in parts], ignore_index=True))
    dup = long.duplicated(["area_id", "year", "measure"])
    if dup.any():
        d = long[dup].iloc[0]
        raise entry.error(
            f"Maß {d['measure']} für Sozialraum {d['area_id']}, Jahr {d['year']} steht in zwei Tabellen",
            None,
            "je Jahr nur eine Datei bzw. ein Blatt ({year} in file oder sheet der Zuordnung prüfen)",
        )
    return long, totals


def _count_table(
    r: _Read,
    area_ids: set[str],
    result: ImportResult,
    known: Sequence[str],
    check: Callable[[_Read, pd.DataFrame, pd.DataFrame, dict[str, str]], None] | None,
    verify_totals: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts and city totals of one mapped table (see :func:`read_counts`)."""
    entry = r.entry
    _require(r, ["area_id"], "die Fallzahlen")
    measures = entry.options.get("measures")
    if measures is None:
        measures = {c: c for c in r.data.columns if c in known}
        if not measures:
            example = "sgb2_rlb" if entry.input == "counts" else COUNT_INPUTS[entry.input][0]
            raise entry.error(
                "keine Maßspalten: die Tabelle hat keine Spalte mit dem Namen eines Maßes",
                "measures",
                f"im Eintrag {entry.key} measures: {{Spalte: Maß}} angeben, z. B. measures: {{anzahl: {example}}}; "
                f"Spalten: {', '.join(map(str, r.data.columns))}",
            )
    absent = [c for c in measures if c not in r.data.columns]
    if absent:
        raise entry.error(
            f"Spalte(n) {', '.join(absent)} aus measures gibt es in der Tabelle nicht",
            "measures",
            f"vorhanden (nach rename/melt der Zuordnung): {', '.join(map(str, r.data.columns))}",
        )
    groups = list(entry.options.get("sum_over") or [])
    absent = [c for c in groups if c not in r.data.columns]
    if absent:
        raise entry.error(
            f"Spalte(n) {', '.join(absent)} aus sum_over gibt es in der Tabelle nicht",
            "sum_over",
            f"vorhanden (nach rename/melt der Zuordnung): {', '.join(map(str, r.data.columns))}",
        )
    ids = _text(r.data["area_id"])
    _check_ids(r, ids, area_ids, "sources.keys bzw. schluessel_gebiete.csv")
    years = _years(r)
    keyed = pd.DataFrame({"area_id": ids, "year": years} | {g: _text(r.data[g]) for g in groups})
    _duplicates(
        r,
        keyed,
        ["area_id", "year", *groups],
        "je Sozialraum und Jahr eine Zeile (lange Tabellen: melt in der Zuordnung; Zeilen je Gruppe, die "
        "addiert werden sollen: sum_over im Eintrag)",
    )
    frames = []
    for col, measure in measures.items():
        value, supp = _counts_of(r, col, what=f"Maß {measure}", allow_suppressed=True)
        frames.append(
            pd.DataFrame(
                {
                    "area_id": ids.to_numpy(),
                    "year": years.to_numpy(),
                    "measure": measure,
                    "value": value.to_numpy(),
                    "suppressed": supp.to_numpy(),
                }
            )
        )
    long = pd.concat(frames, ignore_index=True)
    if groups:
        long = sum_groups(long)
    missing = sorted(area_ids - set(ids))
    if missing:
        result.warnings.append(
            f"{r.path.name}: keine Werte für Sozialraum {', '.join(missing[:5])}"
            + (" …" if len(missing) > 5 else "")
        )
    if groups and "level" in r.totals.columns and (r.totals["level"] == "stadt").any():
        result.warnings.append(
            f"{r.path.name}: Summenzeilen 'Stadt' nicht übernommen (je Gruppe von sum_over eine Zeile; die "
            "Stadtsumme ergibt sich aus den Sozialräumen)"
        )
        totals = _city_totals(r, long, {}, result)
    else:
        totals = _city_totals(r, long, measures, result, verify=verify_totals)
    if check is not None:
        check(r, long, totals, {m: r.label(c) for c, m in measures.items()})
    _record(result, r, measures=sorted(set(measures.values())))
    return long, totals


def _city_totals(
    r: _Read, long: pd.DataFrame, measures: dict[str, str], result: ImportResult, *, verify: bool = True
) -> pd.DataFrame:
    """Official totals of the ``stadt`` rows (one per year and measure), checked against the areas (unless not
    ``verify``: the caller applies the rules of its delivery)."""
    t, ts = r.totals, r.totals_suppressed
    if t.empty or "level" not in t.columns:
        return pd.DataFrame(
            {
                "year": pd.Series(dtype="int64"),
                "measure": pd.Series(dtype=str),
                "value": pd.Series(dtype="float64"),
            }
        )
    districts = int((t["level"] == "stadtbezirk").sum())
    if districts:
        result.warnings.append(
            f"{r.path.name}: {districts} Summenzeile(n) der Stadtbezirke nicht übernommen (Stadtbezirke sind die "
            "Summe ihrer Sozialräume)"
        )
    is_city = (t["level"] == "stadt").to_numpy()
    city, city_supp = t[is_city], ts.reindex(columns=t.columns, fill_value=False)[is_city]
    rows = []
    const = _const_year(r)
    for i in range(len(city)):
        row, supp = city.iloc[i], city_supp.iloc[i]
        year = const if const is not None else row.get("year")
        if year is None or pd.isna(year):
            continue
        for col, measure in measures.items():
            if col not in row.index or bool(supp.get(col, False)) or pd.isna(row[col]):
                continue
            value = float(row[col])
            if value < 0 or value % 1:
                raise DataValidationError(
                    f"Summenzeile 'Stadt': Anzahl {value:g} ist keine ganze Zahl ≥ 0 (Maß {measure})",
                    path=r.path,
                    where=f"Summenzeile, Spalte '{r.label(col)}'",
                    hint=r.hint("Summenzeile prüfen"),
                )
            rows.append((int(year), measure, value))
    out = pd.DataFrame(rows, columns=["year", "measure", "value"]).astype(
        {"year": "int64", "value": "float64"}
    )
    dup = out.duplicated(["year", "measure"])
    if dup.any():
        d = out[dup].iloc[0]
        raise DataValidationError(
            f"mehrere Summenzeilen 'Stadt' für {d['measure']}, Jahr {d['year']}",
            path=r.path,
            hint=r.hint("genau eine Regel aggregates mit level: stadt, die genau eine Zeile trifft"),
        )
    for tot in out.itertuples(index=False) if verify else ():
        part = long[(long["measure"] == tot.measure) & (long["year"] == tot.year)]
        visible = float(part["value"].sum(min_count=0))
        hidden = int((part["suppressed"] | part["value"].isna()).sum())
        rest = tot.value - visible
        col = next(c for c, m in measures.items() if m == tot.measure)
        if (hidden == 0 and abs(rest) > 0.5) or rest < -0.5:
            why = (
                "obwohl kein Wert geheim gehalten ist"
                if hidden == 0
                else f"sondern kleiner ({hidden} {'Wert' if hidden == 1 else 'Werte'} geheim oder leer)"
            )
            raise DataValidationError(
                f"Summenzeile 'Stadt' ({_de(tot.value)}) ist nicht die Summe der Sozialräume ({_de(visible)}), "
                f"{why}",
                path=r.path,
                where=f"Jahr {tot.year}, Spalte '{r.label(col)}'",
                hint=r.hint(
                    "Gebietsstand und Summenzeile prüfen; Zeilen, die keine Stadtsumme sind, nicht mit "
                    "aggregates level: stadt markieren"
                ),
            )
    return CITY_TOTALS_SCHEMA.validate(out)
