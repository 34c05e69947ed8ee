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
import numpy as np
import pandas as pd
import pyogrio

from workbench.errors import DataValidationError
from workbench.io import city_totals
from workbench.io import raw as rawio
from workbench.io._areas import read_areas, read_keys
from workbench.io._ba import read_ba
from workbench.io._schema import (
    BA_COLUMNS,
    CITY_TOTALS_SCHEMA,
    COUNTS_SCHEMA,
    EVENT_COLUMNS,
    FACILITY_COLUMNS,
    HOUSEHOLD_COLUMNS,
    MAX_AGE,
    POPULATION_COLUMNS,
    POPULATION_SCHEMA,
    ImportResult,
    _check_le,
    _long_counts,
    _record,
    _require_areas,
    _strip_ids,
)
from workbench.settings import relative_to_root

__all__ = [
    "BA_COLUMNS",
    "CITY_TOTALS_SCHEMA",
    "COUNTS_SCHEMA",
    "EVENT_COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "MAX_AGE",
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
    "run_import",
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
    labels = {v: k for k, v in HOUSEHOLD_COLUMNS.items()}
    _check_le(out, "single_parent_hh", "households_children", path, labels)
    _check_le(out, "households_children", "households", path, labels)
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
        agg = long.groupby(["area_id", "year", "measure"], as_index=False).agg(
            value=("value", lambda v: v.sum(min_count=len(v))), suppressed=("suppressed", "any")
        )
        agg.loc[agg["suppressed"], "value"] = np.nan
        long = agg
    _record(result, path, len(df))
    return long


def read_events(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Births, deaths and moves per area × year × sex × age (``bewegungen.csv``)."""
    path = raw / "bewegungen.csv"
    df = rawio.read_csv(path, required=["Sozialraum", "Jahr", "Geschlecht", "Alter", *EVENT_COLUMNS])
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    rawio.check_duplicates(df, ["Sozialraum", "Jahr", "Geschlecht", "Alter"], path=path)
    out = pd.DataFrame(
        {
            "area_id": df["Sozialraum"],
            "year": df["Jahr"].astype("int64"),
            "sex": df["Geschlecht"].str.strip(),
            "age": df["Alter"].str.replace(r"\s*und (älter|mehr)$", "", regex=True).astype("int64"),
        }
    )
    for src, col in EVENT_COLUMNS.items():
        values, _ = rawio.parse_numbers(df[src], path=path, column=src, allow_suppressed=False)
        values = values.fillna(0)
        rawio.check_counts(values, path=path, column=src)
        out[col] = values.astype("int64")
    _record(result, path, len(df))
    return out.sort_values(["area_id", "year", "sex", "age"], ignore_index=True)


def read_facilities(raw: Path, area_ids: set[str], result: ImportResult) -> gpd.GeoDataFrame:
    """Facility register with coordinates (``einrichtungen.csv``, EPSG:25832)."""
    path = raw / "einrichtungen.csv"
    df = rawio.read_csv(path, required=FACILITY_COLUMNS)
    df["Sozialraum"] = _strip_ids(df["Sozialraum"])
    rawio.check_keys(df["Sozialraum"], area_ids, path=path, column="Sozialraum")
    rawio.check_duplicates(df, ["Einrichtung_ID"], path=path)
    num = {}
    for c in ("Rechtswert", "Hochwert", "Kapazitaet", "Plaetze_U3", "Plaetze_Ue3"):
        num[c], _ = rawio.parse_numbers(df[c], path=path, column=c, allow_suppressed=False)
    for c in ("Kapazitaet", "Plaetze_U3", "Plaetze_Ue3"):
        rawio.check_counts(num[c].fillna(0), path=path, column=c)
    nocoord = num["Rechtswert"].isna() | num["Hochwert"].isna()
    if nocoord.any():
        pos = int(np.flatnonzero(nocoord)[0])
        raise DataValidationError(
            "Koordinate fehlt", path=path, where=f"Zeile {pos + 2}, Spalten 'Rechtswert'/'Hochwert'"
        )
    gdf = gpd.GeoDataFrame(
        {
            "facility_id": df["Einrichtung_ID"].str.strip(),
            "name": df["Name"],
            "type": df["Typ"].str.strip(),
            "carrier": df["Traeger"].str.strip(),
            "address": df["Adresse"],
            "capacity": num["Kapazitaet"],
            "places_u3": num["Plaetze_U3"].fillna(0),
            "places_ue3": num["Plaetze_Ue3"].fillna(0),
            "target_group": df["Zielgruppe"],
            "area_id": df["Sozialraum"],
        },
        geometry=gpd.points_from_xy(num["Rechtswert"], num["Hochwert"]),
        crs=25832,
    )
    _record(result, path, len(df))
    return gdf


def read_survey(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame | None:
    """Resident survey microdata (``befragung_*.csv``) with design weights; Likert items 1–5."""
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
        weight, _ = rawio.parse_numbers(df["Gewicht"], path=path, column="Gewicht", allow_suppressed=False)
        rawio.refuse_first(
            (weight <= 0) | weight.isna(),
            weight,
            "Gewicht fehlt oder ist nicht positiv",
            path=path,
            column="Gewicht",
        )
        out = pd.DataFrame(
            {
                "respondent_id": df["Befragte_ID"],
                "area_id": df["Sozialraum"],
                "age_group": df["Altersgruppe"],
                "sex": df["Geschlecht"],
                "weight": weight,
            }
        )
        items = [c for c in df.columns if re.match(r"F\d+", c)]
        for c in items:
            v, _ = rawio.parse_numbers(df[c], path=path, column=c, allow_suppressed=False)
            rawio.refuse_first(
                v.notna() & ~v.isin([1, 2, 3, 4, 5]),
                v,
                "Antwort {value:g} außerhalb 1–5",
                path=path,
                column=c,
            )
            out[c] = v
        out["text"] = df.get("Freitext", "")
        frames.append(out)
        _record(result, path, len(df))
    return pd.concat(frames, ignore_index=True)


def read_measures(raw: Path, result: ImportResult) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Measures register and KPI series (``massnahmen.csv``, ``massnahmen_kennzahlen.csv``)."""
    p1, p2 = raw / "massnahmen.csv", raw / "massnahmen_kennzahlen.csv"
    if not p1.exists():
        return None
    reg = rawio.read_csv(
        p1, required=["Massnahme_ID", "Name", "Sozialraeume", "Beginn", "Ende", "Budget_EUR"]
    )
    budget, _ = rawio.parse_numbers(reg["Budget_EUR"], path=p1, column="Budget_EUR", allow_suppressed=False)
    measures = pd.DataFrame(
        {
            "measure_id": reg["Massnahme_ID"],
            "name": reg["Name"],
            "area_ids": reg["Sozialraeume"].str.replace(" ", ""),
            "start": reg["Beginn"],
            "end": reg["Ende"],
            "budget": budget,
        }
    )
    _record(result, p1, len(reg))
    kpis = pd.DataFrame(columns=["measure_id", "kpi", "year", "value", "target"])
    if p2.exists():
        k = rawio.read_csv(p2, required=["Massnahme_ID", "Kennzahl", "Jahr", "Wert", "Zielwert"])
        kpis = pd.DataFrame(
            {
                "measure_id": k["Massnahme_ID"],
                "kpi": k["Kennzahl"],
                "year": k["Jahr"].astype("int64"),
                "value": rawio.parse_numbers(k["Wert"], path=p2, column="Wert")[0],
                "target": rawio.parse_numbers(k["Zielwert"], path=p2, column="Zielwert")[0],
            }
        )
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


def run_import(
    raw: Path,
    processed: Path | None = None,
    *,
    write: bool = True,
    reporting_year: int | None = None,
    config: object = None,
) -> ImportResult:
    """Read and validate every raw file; if all pass and ``write``, replace the processed tables atomically.

    With ``reporting_year`` (the report config's ``reporting_year``) the import also refuses raw data without
    population for that year (:func:`check_reporting_year`; ``config`` names the report config in the message).
    """
    raw = Path(raw)
    if not raw.is_dir() or not any(raw.iterdir()):
        raise DataValidationError(
            "Rohdatenordner ist leer",
            path=raw,
            hint="`workbench demo` erzeugt die Demo-Stadt, oder eigene Dateien ablegen.",
        )
    result = ImportResult()
    keys = read_keys(raw, result)
    area_ids = set(keys["area_id"])
    areas = read_areas(raw, keys, result)
    pop = read_population(raw, area_ids, result)
    years = sorted(pop["year"].unique())
    if reporting_year is not None:
        check_reporting_year(years, reporting_year, raw, config)
    counts = [read_households(raw, area_ids, result), read_ba(raw, area_ids, result)]
    counts.append(
        _simple_counts(
            raw, "sgb12_grundsicherung_65plus.csv", "Empfaenger_65plus", "grusi_65", area_ids, result
        )
    )
    counts.append(
        _simple_counts(raw, "hze_faelle.csv", "Faelle", "hze_cases", area_ids, result, group="Hilfeart")
    )
    events = read_events(raw, area_ids, result)
    counts.append(_events_to_counts(events))
    fac = read_facilities(raw, area_ids, result)
    counts.append(_facilities_to_counts(fac, int(years[-1])))
    counts_df = pd.concat(counts, ignore_index=True)
    counts_df["year"] = counts_df["year"].astype("int64")
    counts_df["suppressed"] = counts_df["suppressed"].astype(bool)
    counts_df = counts_df[counts_df["year"].isin(years)]
    rawio.check_duplicates(counts_df, ["area_id", "year", "measure"], path=raw)
    counts_df = COUNTS_SCHEMA.validate(
        counts_df.sort_values(["measure", "area_id", "year"], ignore_index=True)
    )
    _check_population_parts(pop, counts_df, raw, result)
    survey = read_survey(raw, area_ids, result)
    measures = read_measures(raw, result)
    latest = pop[pop["year"] == years[-1]].groupby("area_id")["count"].sum()
    areas["sozialraum"]["population"] = areas["sozialraum"]["area_id"].map(latest).astype("int64")
    totals = result.tables.get("city_totals", city_totals.empty())
    result.tables = {
        "city_totals": totals[totals["year"].isin(years)].reset_index(drop=True),
        "keys": keys,
        "areas": areas,
        "population": pop,
        "counts": counts_df,
        "events": events,
        "facilities": fac,
        "survey": survey,
        "measures": measures,
    }
    if write:
        write_processed(result, Path(processed) if processed else raw.parent / "processed", years)
    return result


def _check_population_parts(pop: pd.DataFrame, counts: pd.DataFrame, raw: Path, result: ImportResult) -> None:
    """Counts that are subsets of the population must not exceed it (e.g. RLB u15 ≤ children < 15)."""
    tot = pop.groupby(["area_id", "year"])["count"].sum()
    u15 = pop[pop["age"] < 15].groupby(["area_id", "year"])["count"].sum()
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

    def parquet(name: str, df: pd.DataFrame) -> None:
        rawio.atomic_write(processed / f"{name}.parquet", lambda p: df.to_parquet(p, index=False))

    def gpkg(name: str, layers: dict[str, gpd.GeoDataFrame]) -> None:
        def writer(p: Path) -> None:
            with pyogrio_deterministic():
                for layer, gdf in layers.items():
                    gdf.to_file(p, layer=layer, driver="GPKG", engine="pyogrio")

        rawio.atomic_write(processed / f"{name}.gpkg", writer)

    parquet("keys", t["keys"])
    gpkg("areas", t["areas"])
    parquet("population", t["population"])
    parquet("counts", t["counts"])
    parquet("city_totals", t.get("city_totals", city_totals.empty()))
    parquet("events", t["events"])
    gpkg("facilities", {"facilities": t["facilities"]})
    if t["survey"] is not None:
        parquet("survey", t["survey"])
    if t["measures"] is not None:
        parquet("measures", t["measures"][0])
        parquet("kpis", t["measures"][1])
    manifest = {
        "years": [int(y) for y in years],
        "areas": int(t["keys"]["area_id"].nunique()),
        "files": sorted(result.files, key=lambda f: f["file"]),
        "warnings": result.warnings,
    }
    rawio.atomic_write_text(
        processed / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    )


class pyogrio_deterministic:
    """Context manager: fixed GeoPackage timestamps so that identical inputs give identical files."""

    def __enter__(self):
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
        return self

    def __exit__(self, *exc):
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
        return False
