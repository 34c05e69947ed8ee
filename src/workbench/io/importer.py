"""Import: raw municipal files (``data/raw``) → tidy, typed, validated tables (``data/processed``).

The formats are described in ``docs/DATA_CONTRACT.md``. Every file is validated before anything is written
(unknown or duplicate keys, negative counts, parts that exceed or do not add up to totals, missing years,
invalid or empty geometries, missing CRS, wrong encoding, German number formats, suppression markers kept
as suppressed, never as 0). The first problem stops the import with one message naming the file, the
line or column and what to do; raw files are only read; processed files are replaced atomically, and only
after all inputs passed, so a failed import leaves the last good processed data in place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from workbench.errors import DataValidationError
from workbench.io import _inputs, _sources, _tables, city_totals
from workbench.io import raw as rawio
from workbench.io._areas import read_areas, read_keys
from workbench.io._ba import read_ba
from workbench.io._schema import (
    AGE_ALL,
    ALL,
    BA_COLUMNS,
    CITY_TOTALS_SCHEMA,
    COUNTS_SCHEMA,
    EVENT_COLUMNS,
    FACILITY_COLUMNS,
    HOUSEHOLD_COLUMNS,
    MAX_AGE,
    OPTIONAL_INPUTS,
    POPULATION_COLUMNS,
    POPULATION_SCHEMA,
    ImportResult,
    _long_counts,
    _record,
    _require_areas,
    _strip_ids,
    check_household_parts,
    sum_groups,
)
from workbench.io._sources import parse_sources
from workbench.io.shares import read_shares
from workbench.settings import relative_to_root

__all__ = [
    "AGE_ALL",
    "ALL",
    "BA_COLUMNS",
    "CITY_TOTALS_SCHEMA",
    "COUNTS_SCHEMA",
    "EVENT_COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "MAX_AGE",
    "OPTIONAL_INPUTS",
    "POPULATION_COLUMNS",
    "POPULATION_SCHEMA",
    "ImportResult",
    "read_areas",
    "read_ba",
    "read_events",
    "read_facilities",
    "read_households",
    "read_keys",
    "read_measures",
    "read_population",
    "read_survey",
    "check_reporting_year",
    "import_notes",
    "import_report",
    "missing_measures",
    "parse_sources",
    "run_import",
    "source_files",
    "write_processed",
    "pyogrio_deterministic",
]


# --------------------------------------------------------------------------- population


def read_population(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Register extracts ``einwohner_<year>.csv`` → area × year × sex × age × nationality counts."""
    files = sorted(raw.glob("einwohner_*.csv"))
    if not files:
        raise DataValidationError(
            "keine Einwohnerdateien gefunden (einwohner_<Jahr>.csv)",
            path=raw,
            hint="Melderegisterauszüge ablegen.",
        )
    parts = []
    for path in files:
        m = re.fullmatch(r"einwohner_(\d{4})\.csv", path.name)
        if not m:
            raise DataValidationError("Dateiname muss einwohner_<Jahr>.csv lauten", path=path)
        year = int(m.group(1))
        df = rawio.read_csv(path, encoding="cp1252", required=POPULATION_COLUMNS)
        df["Sozialraum"] = _strip_ids(df["Sozialraum"])
        rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
        dates = df["Stichtag"].str.strip()
        rawio.refuse_first(
            dates.ne(f"31.12.{year}"),
            dates,
            f"Stichtag '{{value}}' passt nicht zum Dateijahr {year}",
            path=path,
            column="Stichtag",
            hint=f"Stichtag 31.12.{year} verwenden oder die Datei umbenennen.",
        )
        age_text = df["Alter"].str.strip().str.replace(r"\s*und (älter|mehr)$", "", regex=True)
        age, _ = rawio.parse_numbers(age_text, path=path, column="Alter", allow_suppressed=False)
        rawio.refuse_first(
            age.isna() | (age < 0) | (age > MAX_AGE) | (age % 1 != 0),
            df["Alter"],
            "Alter '{value}' ungültig",
            path=path,
            column="Alter",
            hint="Alter als ganze Zahl 0 … 99 oder '100 und älter'.",
        )
        sex = df["Geschlecht"].str.strip().str.lower().replace({"männlich": "m", "weiblich": "w", "f": "w"})
        nat = df["Staatsangehörigkeit"].str.strip().str.lower()
        for column, coded, codes in (
            ("Geschlecht", sex, ("m", "w")),
            ("Staatsangehörigkeit", nat, ("deutsch", "nichtdeutsch")),
        ):
            rawio.refuse_first(
                ~coded.isin(codes),
                df[column],
                f"{column} '{{value}}' unbekannt",
                path=path,
                column=column,
                hint=" oder ".join(f"'{c}'" for c in codes) + " verwenden.",
            )
        count, _ = rawio.parse_numbers(df["Anzahl"], path=path, column="Anzahl", allow_suppressed=False)
        rawio.refuse_first(
            count.isna(),
            df["Anzahl"],
            "leere Anzahl",
            path=path,
            column="Anzahl",
            hint="Fehlende Kombinationen mit 0 eintragen.",
        )
        rawio.check_counts(count, path=path, column="Anzahl")
        tidy = pd.DataFrame(
            {
                "area_id": df["Sozialraum"],
                "year": year,
                "sex": sex,
                "age": age.astype("int64"),
                "nationality": nat,
                "count": count.astype("int64"),
            }
        )
        rawio.check_duplicates(tidy, ["area_id", "sex", "age", "nationality"], path=path)
        _require_areas(
            area_ids,
            tidy["area_id"],
            "Einwohner",
            path=path,
            hint="Alle Sozialräume der Schlüsseltabelle liefern.",
        )
        _record(result, path, len(df), reference_date=f"31.12.{year}")
        parts.append(tidy)
    pop = pd.concat(parts, ignore_index=True)
    years = sorted(pop["year"].unique())
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if gaps:
        raise DataValidationError(
            f"fehlende Jahre {', '.join(map(str, gaps))} zwischen {years[0]} und {years[-1]}",
            path=raw,
            hint="Für jedes Jahr eine Datei einwohner_<Jahr>.csv ablegen.",
        )
    pop = pop.sort_values(["area_id", "year", "sex", "age", "nationality"], ignore_index=True)
    return POPULATION_SCHEMA.validate(pop)


# --------------------------------------------------------------------------- counts


def read_households(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Household and register counts per area and year (``haushalte.csv``)."""
    path = raw / "haushalte.csv"
    df = rawio.read_csv(path, encoding="cp1252", required=["Sozialraum", "Jahr", *HOUSEHOLD_COLUMNS])
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    rawio.check_duplicates(df, ["Sozialraum", "Jahr"], path=path)
    out = _long_counts(df, HOUSEHOLD_COLUMNS, path=path, id_col="Sozialraum", year_col="Jahr")
    check_household_parts(out, path, {v: k for k, v in HOUSEHOLD_COLUMNS.items()})
    _record(result, path, len(df))
    return out


def _simple_counts(
    raw: Path, name: str, value_col: str, measure: str, area_ids: set[str], result, group: str | None = None
):
    path = raw / name
    required = ["Sozialraum", "Jahr", value_col] + ([group] if group else [])
    df = rawio.read_csv(path, required=required)
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    rawio.check_duplicates(df, ["Sozialraum", "Jahr"] + ([group] if group else []), path=path)
    long = _long_counts(df, {value_col: measure}, path=path, id_col="Sozialraum", year_col="Jahr")
    if group:
        long = sum_groups(long)
    _record(result, path, len(df))
    return long


def read_events(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Births, deaths and moves per area × year × sex × age (``bewegungen.csv``)."""
    path = raw / "bewegungen.csv"
    df = rawio.read_csv(path, required=["Sozialraum", "Jahr", "Geschlecht", "Alter", *EVENT_COLUMNS])
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    rawio.check_duplicates(df, ["Sozialraum", "Jahr", "Geschlecht", "Alter"], path=path)
    year = _whole_numbers(df["Jahr"], path, "Jahr")
    age_text = df["Alter"].str.strip().str.replace(r"\s*und (älter|mehr)$", "", regex=True)
    age = pd.to_numeric(age_text.where(age_text.str.fullmatch(r"\d+")), errors="coerce")
    tidy = pd.DataFrame({"area_id": df["Sozialraum"], "year": year, "sex": df["Geschlecht"], "age": age})
    for src, col in EVENT_COLUMNS.items():
        tidy[col], _ = rawio.parse_numbers(df[src], path=path, column=src, allow_suppressed=False)
    names = {"area_id": "Sozialraum", "year": "Jahr", "sex": "Geschlecht", "age": "Alter"}
    out = _tables.events_table(tidy, _tables.RawPlace(path, names | _EVENT_NAMES), age_labels=df["Alter"])
    _record(result, path, len(df))
    return out


_EVENT_NAMES = {v: k for k, v in EVENT_COLUMNS.items()}


def _whole_numbers(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Whole numbers (years) of a raw text column, refusing the first other cell with its line."""
    num, _ = rawio.parse_numbers(values, path=path, column=column, allow_suppressed=False)
    rawio.refuse_first(
        num.isna() | (num % 1 != 0),
        values,
        "'{value}' ist keine ganze Zahl",
        path=path,
        column=column,
        hint="Jahr als vierstellige Zahl eintragen.",
    )
    return num.astype("int64")


def read_facilities(raw: Path, area_ids: set[str], result: ImportResult) -> gpd.GeoDataFrame:
    """Facility register with coordinates (``einrichtungen.csv``, EPSG:25832)."""
    path = raw / "einrichtungen.csv"
    df = rawio.read_csv(path, required=FACILITY_COLUMNS)
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    rawio.check_duplicates(df, ["Einrichtung_ID"], path=path)
    names = {
        "facility_id": "Einrichtung_ID",
        "name": "Name",
        "type": "Typ",
        "carrier": "Traeger",
        "address": "Adresse",
        "x": "Rechtswert",
        "y": "Hochwert",
        "capacity": "Kapazitaet",
        "places_u3": "Plaetze_U3",
        "places_ue3": "Plaetze_Ue3",
        "target_group": "Zielgruppe",
        "area_id": "Sozialraum",
    }
    tidy = pd.DataFrame({col: df[src] for col, src in names.items()})
    for col in ("x", "y", *_tables.FACILITY_NUMBERS):
        tidy[col], _ = rawio.parse_numbers(
            df[names[col]], path=path, column=names[col], allow_suppressed=False
        )
    gdf = _tables.facilities_table(tidy, _tables.RawPlace(path, names))
    _record(result, path, len(df))
    return gdf


def read_survey(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame | None:
    """Resident survey microdata (``befragung_*.csv``) with design weights; Likert items 1–5. Each file is one
    survey wave: column ``year`` = the year in the file name (``befragung_2022.csv`` → 2022; the chapter
    Bedarfserhebung shows the latest wave and the trend against the one before)."""
    files = sorted(raw.glob("befragung_*.csv"))
    if not files:
        return None
    frames = []
    for path in files:
        df = rawio.read_csv(
            path, required=["Befragte_ID", "Sozialraum", "Altersgruppe", "Geschlecht", "Gewicht"]
        )
        df["Sozialraum"] = _strip_ids(df["Sozialraum"])
        rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
        names = {
            "respondent_id": "Befragte_ID",
            "area_id": "Sozialraum",
            "age_group": "Altersgruppe",
            "sex": "Geschlecht",
            "weight": "Gewicht",
            "text": "Freitext",
            "text_code": "Freitext_Code",
        }
        tidy = pd.DataFrame({col: df[src] for col, src in names.items() if src in df.columns})
        tidy["weight"], _ = rawio.parse_numbers(
            df["Gewicht"], path=path, column="Gewicht", allow_suppressed=False
        )
        items = _tables.survey_items(df.columns)
        for c in items:
            tidy[c], _ = rawio.parse_numbers(df[c], path=path, column=c, allow_suppressed=False)
        out = _tables.survey_table(tidy, _tables.RawPlace(path, names), items)
        wave = re.search(r"(\d{4})", path.name)
        if wave:
            out["year"] = int(wave.group(1))
        frames.append(out)
        _record(result, path, len(df))
    out = pd.concat(frames, ignore_index=True)
    for c in ("text", "text_code"):  # a wave without the column: empty texts, not NaN
        if c in out.columns:
            out[c] = out[c].fillna("")
    return out


def read_measures(
    raw: Path, result: ImportResult, area_ids: set[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Measures register and KPI series (``massnahmen.csv``, ``massnahmen_kennzahlen.csv``); with ``area_ids``
    the areas of every measure are checked against the key table."""
    p1, p2 = raw / "massnahmen.csv", raw / "massnahmen_kennzahlen.csv"
    if not p1.exists():
        return None
    reg = rawio.read_csv(
        p1, required=["Massnahme_ID", "Name", "Sozialraeume", "Beginn", "Ende", "Budget_EUR"]
    )
    names = {
        "measure_id": "Massnahme_ID",
        "name": "Name",
        "area_ids": "Sozialraeume",
        "start": "Beginn",
        "end": "Ende",
        "budget": "Budget_EUR",
    }
    if "Zielindikator" in reg.columns:  # optional: catalogue id of the indicator the measure aims at
        names["target_indicator"] = "Zielindikator"
    tidy = pd.DataFrame({col: reg[src] for col, src in names.items()})
    tidy["budget"], _ = rawio.parse_numbers(
        reg["Budget_EUR"], path=p1, column="Budget_EUR", allow_suppressed=False
    )
    measures = _tables.measures_table(tidy, _tables.RawPlace(p1, names), area_ids)
    _record(result, p1, len(reg))
    kpis = _tables.empty_kpis()
    if p2.exists():
        k = rawio.read_csv(p2, required=["Massnahme_ID", "Kennzahl", "Jahr", "Wert", "Zielwert"])
        names = {"measure_id": "Massnahme_ID", "kpi": "Kennzahl", "year": "Jahr", "value": "Wert"}
        names["target"] = "Zielwert"
        tidy = pd.DataFrame({col: k[src] for col, src in names.items()})
        tidy["year"] = _whole_numbers(k["Jahr"], p2, "Jahr")
        for col in ("value", "target"):
            tidy[col] = rawio.parse_numbers(k[names[col]], path=p2, column=names[col])[0]
        kpis = _tables.kpis_table(tidy, _tables.RawPlace(p2, names), set(measures["measure_id"]))
        _record(result, p2, len(k))
    return measures, kpis


# --------------------------------------------------------------------------- orchestration


def _events_to_counts(events: pd.DataFrame) -> pd.DataFrame:
    agg = events.groupby(["area_id", "year"], as_index=False)[list(EVENT_COLUMNS.values())].sum()
    long = agg.melt(id_vars=["area_id", "year"], var_name="measure", value_name="value")
    long["value"] = long["value"].astype("float64")
    long["suppressed"] = False
    return long


def _facilities_to_counts(fac: gpd.GeoDataFrame, year: int) -> pd.DataFrame:
    kita = fac[fac["type"].str.lower().str.startswith("kita")]
    agg = kita.groupby("area_id", as_index=False)[["places_u3", "places_ue3"]].sum()
    long = agg.rename(columns={"places_u3": "kita_places_u3", "places_ue3": "kita_places_ue3"}).melt(
        id_vars="area_id", var_name="measure", value_name="value"
    )
    long["year"] = year
    long["suppressed"] = False
    return long


def check_reporting_year(years: list[int], reporting_year: int, raw: Path, config: object = None) -> None:
    """Refuse a reporting year without population data (``einwohner_<year>.csv``) instead of silently
    reporting on another year; ``config`` (the report config file) is named in the message when given."""
    if int(reporting_year) in {int(y) for y in years}:
        return
    present = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    key = f"'reporting_year' in {relative_to_root(Path(config))}" if config else "'reporting_year'"
    raise DataValidationError(
        f"fehlt – keine Einwohnerdaten für das Berichtsjahr {reporting_year} ({key}); "
        f"eingelesen wurden die Jahre {present}",
        path=relative_to_root(Path(raw) / f"einwohner_{reporting_year}.csv"),
        hint=f"Den Melderegisterauszug einwohner_{reporting_year}.csv nach {relative_to_root(Path(raw))} "
        f"kopieren oder {key} auf ein vorhandenes Jahr setzen (zuletzt {years[-1]}).",
    )


def missing_measures() -> dict[str, list[str]]:
    """Optional input (key of :data:`OPTIONAL_INPUTS`) → the measures of ``counts.parquet`` it gives."""
    return {
        "households": list(HOUSEHOLD_COLUMNS.values()),
        "ba": list(BA_COLUMNS.values()),
        "sgb12": ["grusi_65"],
        "hze": ["hze_cases"],
        "events": list(EVENT_COLUMNS.values()),
        "facilities": ["kita_places_u3", "kita_places_ue3"],
        "survey": [],
        "measures": [],
        "costs": [],
    }


def _present(raw: Path, name: str) -> bool:
    """Whether the raw folder holds optional input ``name`` (key of :data:`OPTIONAL_INPUTS`)."""
    if name == "survey":
        return raw.is_dir() and any(raw.glob("befragung_*.csv"))
    return (raw / OPTIONAL_INPUTS[name]["file"]).exists()


def _optional_counts(
    raw: Path,
    via: dict[str, tuple],
    present: dict[str, bool],
    area_ids: set[str],
    areas: dict[str, gpd.GeoDataFrame],
    years: list,
    result: ImportResult,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame], pd.DataFrame | None, gpd.GeoDataFrame | None]:
    """The optional inputs that give counts, each from its mappings (``via``: entries of ``sources:``) or else
    from the raw folder: (count frames, city totals of mapped tables, events, facilities)."""
    for name, entries in via.items():
        if name not in OPTIONAL_INPUTS or not _present(raw, name):
            continue
        read = {p.resolve() for e in entries for p in _sources.entry_files(e)}
        pattern = OPTIONAL_INPUTS[name]["file"].replace("<Jahr>", "*")
        unread = sorted(p.name for p in raw.glob(pattern) if p.resolve() not in read)
        if unread:
            result.warnings.append(
                f"{', '.join(unread)} im Rohdatenordner nicht gelesen: sources.{name} ersetzt die Datei"
            )
    counts: list[pd.DataFrame] = []
    totals: list[pd.DataFrame] = []
    raw_counts = {
        "households": lambda: read_households(raw, area_ids, result),
        "ba": lambda: read_ba(raw, area_ids, result),
        "sgb12": lambda: _simple_counts(
            raw, "sgb12_grundsicherung_65plus.csv", "Empfaenger_65plus", "grusi_65", area_ids, result
        ),
        "hze": lambda: _simple_counts(
            raw, "hze_faelle.csv", "Faelle", "hze_cases", area_ids, result, group="Hilfeart"
        ),
    }
    for name, read_raw in raw_counts.items():
        if via.get(name):
            long, city = _inputs.read_count_input(name, via[name], area_ids, result)
            counts.append(long)
            totals.append(city)
        elif present[name]:
            counts.append(read_raw())
    events = None
    if via.get("events"):
        events = _inputs.read_events(via["events"], area_ids, result)
    elif present["events"]:
        events = read_events(raw, area_ids, result)
    if events is not None:
        counts.append(_events_to_counts(events))
    fac = None
    if via.get("facilities"):
        fac = _inputs.read_facilities(via["facilities"], area_ids, areas["sozialraum"], result)
    elif present["facilities"]:
        fac = read_facilities(raw, area_ids, result)
    if fac is not None:
        counts.append(_facilities_to_counts(fac, int(years[-1])))
    return counts, totals, events, fac


def _optional_tables(
    raw: Path, via: dict[str, tuple], present: dict[str, bool], area_ids: set[str], result: ImportResult
) -> tuple[pd.DataFrame | None, tuple[pd.DataFrame, pd.DataFrame] | None]:
    """Survey and measures register (with KPIs), from their mappings or else from the raw folder."""
    survey = None
    if via.get("survey"):
        survey = _inputs.read_survey(via["survey"], area_ids, result)
    elif present["survey"]:
        survey = read_survey(raw, area_ids, result)
    measures = None
    if via.get("measures"):
        measures = _inputs.read_measures(via["measures"], via.get("kpis", ()), area_ids, result)
    elif present["measures"]:
        measures = read_measures(raw, result, area_ids)
    return survey, measures


def read_costs(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Expenditure per Sozialraum, year and Leistung (``kosten.csv``: Sozialraum, Jahr, Leistung, Faelle,
    Ausgaben_EUR) → ``costs.parquet`` (area_id, year, item, cases, expenditure).

    Leistung: a Hilfeart of the Hilfen zur Erziehung (``§27.2``, ``§29`` … ``§35a``) or ``KdU`` (Kosten der
    Unterkunft und Heizung, Faelle = Bedarfsgemeinschaften). Refused: an unknown Sozialraum, a row twice, a
    year that is no whole number, negative or fractional cases, negative expenditure."""
    path = raw / "kosten.csv"
    df = rawio.read_csv(path, required=["Sozialraum", "Jahr", "Leistung", "Faelle", "Ausgaben_EUR"])
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    df["Leistung"] = df["Leistung"].astype(str).str.strip()
    rawio.check_duplicates(df, ["Sozialraum", "Jahr", "Leistung"], path=path)
    year = _whole_numbers(df["Jahr"], path, "Jahr")
    cases, _ = rawio.parse_numbers(df["Faelle"], path=path, column="Faelle", allow_suppressed=False)
    rawio.refuse_first(
        cases.isna() | (cases < 0) | (cases % 1 != 0),
        df["Faelle"],
        "'{value}' ist keine Fallzahl (ganze Zahl ≥ 0)",
        path=path,
        column="Faelle",
        hint="Fälle bzw. Bedarfsgemeinschaften als ganze Zahl angeben.",
    )
    spend, _ = rawio.parse_numbers(
        df["Ausgaben_EUR"], path=path, column="Ausgaben_EUR", allow_suppressed=False
    )
    rawio.refuse_first(
        spend.isna() | (spend < 0),
        df["Ausgaben_EUR"],
        "'{value}' ist kein Betrag ≥ 0",
        path=path,
        column="Ausgaben_EUR",
        hint="Ausgaben in Euro als Zahl ≥ 0 angeben (Dezimalkomma erlaubt).",
    )
    _record(result, path, len(df))
    return pd.DataFrame(
        {
            "area_id": df["Sozialraum"].astype(str).to_numpy(),
            "year": year.astype("int64").to_numpy(),
            "item": df["Leistung"].to_numpy(),
            "cases": cases.astype("int64").to_numpy(),
            "expenditure": spend.astype("float64").to_numpy(),
        }
    )


def run_import(
    raw: Path,
    processed: Path | None = None,
    *,
    write: bool = True,
    reporting_year: int | None = None,
    config: object = None,
    sources: object = None,
    base: Path | str | None = None,
) -> ImportResult:
    """Read and validate every input; if all pass and ``write``, replace the processed tables atomically.

    Only the key table, the geometries and the population are required. Every other input of the raw folder
    (:data:`OPTIONAL_INPUTS`: BA XLSX, SGB XII, HzE, households, movements, facilities, survey, measures) is
    optional: an absent one is listed in ``result.missing`` (manifest key ``missing``, German notes from
    :func:`import_notes`) and its processed tables are not written; ``counts.parquet`` holds the measures that
    exist (none: not written). A present but broken file is still an error.

    ``sources`` (the report config's ``sources:``, see :mod:`workbench.io._sources` and docs/DATA_CONTRACT.md)
    names mapping YAMLs for the key table, the geometries, the population, any number of count tables and any
    other input of the raw folder (:mod:`workbench.io._inputs`) instead of the raw-folder files; relative paths
    are relative to ``base`` (default: the project root), ``${RAW}`` in the mappings is ``raw``. With
    ``reporting_year`` (the report config's ``reporting_year``) the import also refuses population data without
    that year (:func:`check_reporting_year`; ``config`` names the report config in messages).
    """
    raw = Path(raw)
    src = parse_sources(sources, base=base, config=config, raw=raw)
    if not (src and src.base_complete) and (not raw.is_dir() or not any(raw.iterdir())):
        raise DataValidationError(
            "Rohdatenordner ist leer",
            path=raw,
            hint="`workbench demo` erzeugt die Demo-Stadt, oder eigene Dateien ablegen"
            + (
                "."
                if src is None
                else " oder unter sources: Zuordnungen für keys, areas und population angeben."
            ),
        )
    result = ImportResult()
    keys = _sources.read_keys(src.keys, result) if src and src.keys else read_keys(raw, result)
    area_ids = set(keys["area_id"])
    areas = (
        _sources.read_areas(src.areas, keys, result) if src and src.areas else read_areas(raw, keys, result)
    )
    via = dict(src.optional) if src else {}
    if via.get("blocks"):
        areas["stat_bezirk"] = _inputs.read_blocks(via["blocks"], keys, result)
    age_groups = None
    if src and src.population:
        pop, age_groups, result.population = _sources.read_population(src.population, area_ids, result)
    else:
        pop = read_population(raw, area_ids, result)
    years = sorted(pop["year"].unique())
    if reporting_year is not None:
        if src and src.population:
            _sources.check_reporting_year(years, reporting_year, src)
        else:
            check_reporting_year(years, reporting_year, raw, config)
    present = {name: bool(via.get(name)) or _present(raw, name) for name in OPTIONAL_INPUTS}
    counts, source_totals, events, fac = _optional_counts(raw, via, present, area_ids, areas, years, result)
    for entry in src.counts if src else ():
        long, totals = _sources.read_counts(entry, area_ids, result)
        _refuse_overlap(counts, long, entry)
        counts.append(long)
        source_totals.append(totals)
    counts_df = None
    if counts:
        counts_df = pd.concat(counts, ignore_index=True)
        counts_df["year"] = counts_df["year"].astype("int64")
        counts_df["suppressed"] = counts_df["suppressed"].astype(bool)
        outside = counts_df[~counts_df["year"].isin(years)]
        for measure, ys in outside.groupby("measure")["year"]:
            result.warnings.append(
                f"Maß {measure}: Jahr(e) {', '.join(map(str, sorted(set(ys))))} ohne Einwohnerdaten nicht übernommen"
            )
        counts_df = counts_df[counts_df["year"].isin(years)]
        rawio.check_duplicates(counts_df, ["area_id", "year", "measure"], path=raw)
        counts_df = COUNTS_SCHEMA.validate(
            counts_df.sort_values(["measure", "area_id", "year"], ignore_index=True)
        )
        _check_population_parts(pop, counts_df, raw, result)
    share_frames = [read_shares(e, keys, result) for e in (src.shares if src else ())]
    shares = pd.concat(share_frames, ignore_index=True) if share_frames else None
    if shares is not None:
        rawio.check_duplicates(shares, ["level", "unit_id", "year", "indicator"], path=raw)
    survey, measures = _optional_tables(raw, via, present, area_ids, result)
    costs = None
    if via.get("costs"):
        costs = _inputs.read_costs(via["costs"], area_ids, result)
    elif present.get("costs"):
        costs = read_costs(raw, area_ids, result)
    provided = set(counts_df["measure"]) if counts_df is not None else set()
    for name, spec in OPTIONAL_INPUTS.items():
        if present[name]:
            continue
        lacking = [m for m in missing_measures()[name] if m not in provided]
        if lacking or spec.get("tables"):
            result.missing.append(
                {
                    "input": name,
                    "file": spec["file"],
                    "measures": lacking,
                    "tables": list(spec.get("tables", [])),
                }
            )
    latest = pop[pop["year"] == years[-1]].groupby("area_id")["count"].sum()
    areas["sozialraum"]["population"] = areas["sozialraum"]["area_id"].map(latest).astype("int64")
    totals = result.tables.get("city_totals", city_totals.empty())
    if source_totals:
        totals = _merge_totals(totals, source_totals)
    result.tables = {
        "city_totals": totals[totals["year"].isin(years)].reset_index(drop=True),
        "keys": keys,
        "areas": areas,
        "population": pop,
        "population_age_groups": age_groups,
        "counts": counts_df,
        "shares": shares,
        "events": events,
        "facilities": fac,
        "survey": survey,
        "measures": measures,
        "costs": costs,
    }
    if write:
        write_processed(result, Path(processed) if processed else raw.parent / "processed", years)
    return result


def import_report(cfg, *, write: bool = True) -> ImportResult:
    """:func:`run_import` for a report config (:class:`workbench.settings.ReportConfig`): its folders,
    ``reporting_year`` and ``sources:`` (relative mapping paths from the project root) — the call of
    ``workbench data``."""
    return run_import(
        cfg.paths.raw,
        cfg.paths.processed,
        write=write,
        reporting_year=cfg.reporting_year,
        config=cfg.source,
        sources=cfg.extra.get("sources"),
    )


def source_files(
    sources: object, *, base: Path | str | None = None, config: object = None, raw: Path | str | None = None
) -> list[Path]:
    """The mapping YAMLs named in ``sources:`` and the data files they read (empty without ``sources:``).

    For build tools: a changed mapping or source file must trigger a new import (like a changed raw file).
    ``raw`` (the config's raw folder) resolves ``${RAW}`` in the mappings; without it such files are left out
    (they are raw files, dependencies anyway).
    """
    src = parse_sources(sources, base=base, config=config, raw=raw)
    return src.files() if src else []


def _refuse_overlap(counts: list[pd.DataFrame], long: pd.DataFrame, entry) -> None:
    """A measure of a mapped count table must not repeat an area × year × measure of an earlier input."""
    if not counts:
        return
    before = pd.concat([c[["area_id", "year", "measure"]] for c in counts], ignore_index=True)
    before["year"] = before["year"].astype("int64")
    both = long[["area_id", "year", "measure"]].merge(before, how="inner")
    if len(both):
        hit = both.iloc[0]
        raise DataValidationError(
            f"Maß {hit['measure']} für Sozialraum {hit['area_id']}, Jahr {hit['year']} kommt aus zwei Quellen",
            path=entry.written,
            where=entry.key,
            hint="jedes Maß eines Jahres nur aus einer Quelle liefern: in measures: des Eintrags streichen, in "
            "der Zuordnung mit filter/melt auf andere Jahre beschränken oder die Datei aus dem Rohdatenordner "
            "entfernen",
        )


def _merge_totals(totals: pd.DataFrame, extra: list[pd.DataFrame]) -> pd.DataFrame:
    """BA city totals plus the ``stadt`` rows of mapped count tables (one value per year and measure)."""
    out = pd.concat([totals, *extra], ignore_index=True)
    dup = out.duplicated(["year", "measure"])
    if dup.any():
        d = out[dup].iloc[0]
        raise DataValidationError(
            f"zwei amtliche Stadtsummen für {d['measure']}, Jahr {d['year']}",
            where="sources.counts",
            hint="das Maß nur aus einer Quelle liefern",
        )
    return CITY_TOTALS_SCHEMA.validate(out.sort_values(["measure", "year"], ignore_index=True))


def import_notes(result: ImportResult) -> list[str]:
    """German notes on what the import did not get: absent optional inputs and a coarse population.

    For ``workbench data`` (print each as "Hinweis: …"); the chapters and indicators they affect are listed by
    ``workbench check``.
    """
    notes = []
    for m in result.missing:
        spec = OPTIONAL_INPUTS[m["input"]]
        what = []
        if m["measures"]:
            what.append("Maße " + ", ".join(m["measures"]))
        if m["tables"]:
            what.append(
                "Tabellen "
                + ", ".join(f"{t}.parquet" if t != "facilities" else "facilities.gpkg" for t in m["tables"])
            )
        notes.append(
            f"{spec['label']} nicht geliefert ({m['file']} fehlt, auch keine Zuordnung unter sources.{m['input']}) "
            f"– ohne {' und '.join(what)}; Kapitel und Indikatoren, die sie brauchen, werden ausgelassen "
            "(`workbench check`)"
        )
    detail = result.population
    if detail:
        words = {
            "total": "nur als Gesamtzahl",
            "age_groups": "nach Altersgruppen",
            "single_years": "nach Einzelaltern",
        }
        by_year = detail["population_detail_by_year"]
        groups: dict[str, list[str]] = {}
        for year, kind in by_year.items():
            groups.setdefault(kind, []).append(year)
        parts = [f"{words[k]} ({', '.join(ys)})" for k, ys in groups.items()]
        by = detail["population_by"]
        without = [
            w for d, w in (("sex", "Geschlecht"), ("nationality", "Staatsangehörigkeit")) if d not in by
        ]
        text = "Einwohner liegen " + "; ".join(parts) + " vor"
        if without:
            text += f", ohne Aufteilung nach {' und '.join(without)}"
        notes.append(
            text + " – Alterspyramide, Prognose und Indikatoren mit Altersgrenzen brauchen Einzelalter "
            "(`workbench check`)"
        )
    return notes


def _check_population_parts(pop: pd.DataFrame, counts: pd.DataFrame, raw: Path, result: ImportResult) -> None:
    """Counts that are subsets of the population must not exceed it (e.g. RLB u15 ≤ children < 15)."""
    tot = pop.groupby(["area_id", "year"])["count"].sum()
    u15 = pop[pop["age"].between(0, 14)].groupby(["area_id", "year"])["count"].sum()
    coarse = pop.loc[pop["age"] == AGE_ALL, ["area_id", "year"]].drop_duplicates()
    if len(coarse):  # no single years of age: the number of children is unknown
        u15 = u15.drop(pd.MultiIndex.from_frame(coarse), errors="ignore")
    checks = {
        "sgb2_u15": (u15, "Kinder unter 15"),
        "migration_background": (tot, "Einwohner"),
        "sgb2_rlb": (tot, "Einwohner"),
    }
    for measure, (ref, label) in checks.items():
        sub = counts[counts["measure"] == measure].set_index(["area_id", "year"])["value"].dropna()
        if sub.empty:
            continue
        over = sub > ref.reindex(sub.index)
        if over.any():
            area, year = over[over].index[0]
            raise DataValidationError(
                f"'{measure}' ({sub.loc[(area, year)]:g}) übersteigt {label} laut Melderegister ({ref.loc[(area, year)]:g})",
                path=raw,
                where=f"Sozialraum {area}, Jahr {year}",
                hint="Lieferungen mit gleichem Stichtag und Gebietsstand verwenden.",
            )


def write_processed(result: ImportResult, processed: Path, years) -> None:
    """Write all processed tables atomically (each file via temp file + rename) plus ``manifest.json``."""
    processed.mkdir(parents=True, exist_ok=True)
    t = result.tables

    def gpkg(name: str, layers: dict[str, gpd.GeoDataFrame]) -> None:
        def writer(p: Path) -> None:
            with pyogrio_deterministic():
                for layer, gdf in layers.items():
                    gdf.to_file(p, layer=layer, driver="GPKG", engine="pyogrio")

        rawio.atomic_write(processed / f"{name}.gpkg", writer)

    written: set[str] = set()

    def parquet(name: str, df: pd.DataFrame) -> None:
        rawio.atomic_write(processed / f"{name}.parquet", lambda p: df.to_parquet(p, index=False))
        written.add(f"{name}.parquet")

    parquet("keys", t["keys"])
    gpkg("areas", t["areas"])
    parquet("population", t["population"])
    if t.get("population_age_groups") is not None:
        parquet("population_age_groups", t["population_age_groups"])
    if t.get("counts") is not None:
        parquet("counts", t["counts"])
    if t.get("shares") is not None:
        parquet("shares", t["shares"])
    parquet("city_totals", t.get("city_totals", city_totals.empty()))
    if t.get("events") is not None:
        parquet("events", t["events"])
    if t.get("facilities") is not None:
        gpkg("facilities", {"facilities": t["facilities"]})
        written.add("facilities.gpkg")
    if t.get("survey") is not None:
        parquet("survey", t["survey"])
    if t.get("measures") is not None:
        parquet("measures", t["measures"][0])
        parquet("kpis", t["measures"][1])
    if t.get("costs") is not None:
        parquet("costs", t["costs"])
    # tables of inputs that are no longer delivered must not survive from an earlier import
    for name in OPTIONAL_OUTPUTS:
        if name not in written and (processed / name).exists():
            (processed / name).unlink()
    manifest = {
        "years": [int(y) for y in years],
        "areas": int(t["keys"]["area_id"].nunique()),
        "files": sorted(result.files, key=lambda f: f["file"]),
        "warnings": result.warnings,
    }
    if result.missing:
        manifest["missing"] = result.missing
    manifest.update(result.population)
    rawio.atomic_write_text(
        processed / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    )


OPTIONAL_OUTPUTS = (
    "population_age_groups.parquet",
    "counts.parquet",
    "shares.parquet",
    "events.parquet",
    "facilities.gpkg",
    "survey.parquet",
    "measures.parquet",
    "kpis.parquet",
    "costs.parquet",
)
"""Processed files that exist only when their input was delivered; removed when a new import has no such input."""


class pyogrio_deterministic:
    """Context manager: fixed GeoPackage timestamps so that identical inputs give identical files."""

    def __enter__(self):
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
        return self

    def __exit__(self, *exc):
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
        return False
