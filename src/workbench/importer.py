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
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyogrio

from . import city_totals, rawio
from .errors import DataValidationError

POPULATION_COLUMNS = ["Sozialraum", "Stichtag", "Geschlecht", "Alter", "Staatsangehörigkeit", "Anzahl"]
HOUSEHOLD_COLUMNS = {
    "Haushalte": "households",
    "Haushalte_mit_Kindern": "households_children",
    "Alleinerziehende": "single_parent_hh",
    "Migrationshintergrund": "migration_background",
    "Wohndauer_ueber_5_Jahre": "residence_5y",
    "SV_Beschaeftigte": "employees_svb",
}
BA_COLUMNS = {
    "RLB insgesamt": "sgb2_rlb",
    "RLB unter 15 Jahre": "sgb2_u15",
    "Arbeitslose insgesamt": "unemployed",
    "Arbeitslose SGB II": "unemployed_sgb2",
    "Arbeitslose SGB III": "unemployed_sgb3",
    "Arbeitslose unter 25 Jahre": "unemployed_u25",
}
EVENT_COLUMNS = {
    "Geburten": "births",
    "Sterbefaelle": "deaths",
    "Zuzuege": "in_ext",
    "Fortzuege": "out_ext",
    "Umzuege_zu": "in_int",
    "Umzuege_weg": "out_int",
}
MAX_AGE = 100

# Declarative schemas of the processed tables (the contract every chapter relies on).
POPULATION_SCHEMA = pa.DataFrameSchema(
    {
        "area_id": pa.Column(str),
        "year": pa.Column("int64", pa.Check.in_range(1900, 2200)),
        "sex": pa.Column(str, pa.Check.isin(["m", "w"])),
        "age": pa.Column("int64", pa.Check.in_range(0, MAX_AGE)),
        "nationality": pa.Column(str, pa.Check.isin(["deutsch", "nichtdeutsch"])),
        "count": pa.Column("int64", pa.Check.ge(0)),
    },
    strict=True,
)
COUNTS_SCHEMA = pa.DataFrameSchema(
    {
        "area_id": pa.Column(str),
        "year": pa.Column("int64"),
        "measure": pa.Column(str),
        "value": pa.Column("float64", pa.Check.ge(0), nullable=True),
        "suppressed": pa.Column(bool),
    },
    strict=True,
)
CITY_TOTALS_SCHEMA = pa.DataFrameSchema(
    {
        "year": pa.Column("int64"),
        "measure": pa.Column(str),
        "value": pa.Column("float64", pa.Check.ge(0)),
    },
    strict=True,
)


@dataclass
class ImportResult:
    """What an import produced: tables, per-file provenance and non-fatal warnings."""

    tables: dict[str, object] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _record(result: ImportResult, path: Path, rows: int, **extra) -> None:
    result.files.append({"file": path.name, "sha256": rawio.sha256(path), "rows": int(rows), **extra})


def _strip_ids(s: pd.Series) -> pd.Series:
    return s.astype(str).str.strip()


def _refuse_first(
    bad: pd.Series,
    values: pd.Series,
    message: str,
    *,
    path: Path,
    column: str,
    hint: str | None = None,
    row_offset: int = 2,
) -> None:
    """Raise for the first row where ``bad`` is True, if any; ``{value}`` in message is that row's value.

    ``row_offset`` is the file line of the first data row (header = line 1).
    """
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(
            message.format(value=values.iloc[pos]),
            path=path,
            where=f"Zeile {pos + row_offset}, Spalte '{column}'",
            hint=hint,
        )


# --------------------------------------------------------------------------- areas


def read_keys(raw: Path, result: ImportResult) -> pd.DataFrame:
    """Key table statistischer Bezirk → Sozialraum → Stadtbezirk (``schluessel_gebiete.csv``)."""
    path = raw / "schluessel_gebiete.csv"
    cols = [
        "stat_bezirk_id",
        "stat_bezirk_name",
        "sozialraum_id",
        "sozialraum_name",
        "stadtbezirk_id",
        "stadtbezirk_name",
    ]
    df = rawio.read_csv(path, required=cols)
    df = df[cols].apply(_strip_ids)
    for c in ("stat_bezirk_id", "sozialraum_id", "stadtbezirk_id"):
        _refuse_first(df[c].eq(""), df[c], "leerer Schlüssel", path=path, column=c)
    rawio.check_duplicates(df, ["stat_bezirk_id"], path=path)
    parents = df.groupby("sozialraum_id")["stadtbezirk_id"].nunique()
    if (parents > 1).any():
        bad = parents[parents > 1].index[0]
        raise DataValidationError(
            f"Sozialraum '{bad}' ist mehreren Stadtbezirken zugeordnet",
            path=path,
            where="Spalte 'stadtbezirk_id'",
            hint="Jeder Sozialraum gehört zu genau einem Stadtbezirk.",
        )
    _record(result, path, len(df))
    return df.rename(
        columns={
            "stat_bezirk_id": "block_id",
            "stat_bezirk_name": "block_name",
            "sozialraum_id": "area_id",
            "sozialraum_name": "area_name",
            "stadtbezirk_id": "district_id",
            "stadtbezirk_name": "district_name",
        }
    )


def _read_layer(path: Path, layer: str, id_col: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise DataValidationError(
            f"Ebene '{layer}' nicht lesbar ({exc})",
            path=path,
            hint="GeoPackage mit den Ebenen laut docs/DATA_CONTRACT.md liefern.",
        ) from exc
    if id_col not in gdf.columns:
        raise DataValidationError(f"Spalte '{id_col}' fehlt in Ebene '{layer}'", path=path)
    if gdf.crs is None:
        raise DataValidationError(
            f"Ebene '{layer}' hat kein Koordinatenbezugssystem (CRS)",
            path=path,
            hint="CRS im GIS setzen, z. B. EPSG:25832 (ETRS89 / UTM 32N), und neu exportieren.",
        )
    gdf[id_col] = _strip_ids(gdf[id_col])
    for i, geom in enumerate(gdf.geometry):
        ident = gdf[id_col].iloc[i]
        if geom is None or geom.is_empty:
            raise DataValidationError(
                f"leere Geometrie für '{ident}'",
                path=path,
                where=f"Ebene '{layer}', Objekt {i + 1}",
                hint="Fläche im GIS nachdigitalisieren oder das Objekt entfernen.",
            )
        if not geom.is_valid:
            from shapely.validation import explain_validity

            raise DataValidationError(
                f"ungültige Geometrie für '{ident}' ({explain_validity(geom)})",
                path=path,
                where=f"Ebene '{layer}', Objekt {i + 1}",
                hint="Geometrie im GIS reparieren (z. B. QGIS 'Geometrien reparieren').",
            )
    if gdf.crs.to_epsg() != 25832:
        gdf = gdf.to_crs(25832)
    return gdf


def read_areas(raw: Path, keys: pd.DataFrame, result: ImportResult) -> dict[str, gpd.GeoDataFrame]:
    """Sozialraum and block geometries (``gebiete.gpkg``), checked against the key table."""
    path = raw / "gebiete.gpkg"
    if not path.exists():
        raise DataValidationError("Datei fehlt", path=path, hint="Gebietsgeometrien als GeoPackage ablegen.")
    areas = _read_layer(path, "sozialraeume", "sozialraum_id")
    rawio.check_duplicates(areas[["sozialraum_id"]], ["sozialraum_id"], path=path, row_offset=1)
    known = set(keys["area_id"])
    rawio.check_keys(areas["sozialraum_id"], known, path=path, column="sozialraum_id", row_offset=1)
    missing = sorted(known - set(areas["sozialraum_id"]))
    if missing:
        raise DataValidationError(
            f"keine Geometrie für Sozialraum {', '.join(missing[:5])}",
            path=path,
            where="Ebene 'sozialraeume'",
            hint="Für jeden Sozialraum der Schlüsseltabelle eine Fläche liefern.",
        )
    names = keys.drop_duplicates("area_id").set_index("area_id")
    sr = gpd.GeoDataFrame(
        {
            "area_id": areas["sozialraum_id"].to_numpy(),
            "area_name": names.loc[areas["sozialraum_id"], "area_name"].to_numpy(),
            "district_id": names.loc[areas["sozialraum_id"], "district_id"].to_numpy(),
            "district_name": names.loc[areas["sozialraum_id"], "district_name"].to_numpy(),
        },
        geometry=areas.geometry.to_numpy(),
        crs=areas.crs,
    ).sort_values("area_id", ignore_index=True)
    districts = sr.dissolve("district_id", as_index=False)[["district_id", "district_name", "geometry"]]
    out = {"sozialraum": sr, "stadtbezirk": districts.sort_values("district_id", ignore_index=True)}
    layers = pyogrio.list_layers(path)[:, 0].tolist()
    if "statistische_bezirke" in layers:
        blocks = _read_layer(path, "statistische_bezirke", "stat_bezirk_id")
        rawio.check_keys(
            blocks["stat_bezirk_id"],
            set(keys["block_id"]),
            path=path,
            column="stat_bezirk_id",
            row_offset=1,
            what="statistischer-Bezirk",
        )
        bmap = keys.set_index("block_id")["area_id"]
        out["stat_bezirk"] = gpd.GeoDataFrame(
            {
                "block_id": blocks["stat_bezirk_id"].to_numpy(),
                "area_id": bmap.loc[blocks["stat_bezirk_id"]].to_numpy(),
            },
            geometry=blocks.geometry.to_numpy(),
            crs=blocks.crs,
        ).sort_values("block_id", ignore_index=True)
    _record(result, path, len(sr), layers=layers)
    return out


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
        _refuse_first(
            dates.ne(f"31.12.{year}"),
            dates,
            f"Stichtag '{{value}}' passt nicht zum Dateijahr {year}",
            path=path,
            column="Stichtag",
            hint=f"Stichtag 31.12.{year} verwenden oder die Datei umbenennen.",
        )
        age_text = df["Alter"].str.strip().str.replace(r"\s*und (älter|mehr)$", "", regex=True)
        age, _ = rawio.parse_numbers(age_text, path=path, column="Alter", allow_suppressed=False)
        _refuse_first(
            age.isna() | (age < 0) | (age > MAX_AGE) | (age % 1 != 0),
            df["Alter"],
            "Alter '{value}' ungültig",
            path=path,
            column="Alter",
            hint="Alter als ganze Zahl 0 … 99 oder '100 und älter'.",
        )
        sex = df["Geschlecht"].str.strip().str.lower().replace({"männlich": "m", "weiblich": "w", "f": "w"})
        _refuse_first(
            ~sex.isin(["m", "w"]),
            df["Geschlecht"],
            "Geschlecht '{value}' unbekannt",
            path=path,
            column="Geschlecht",
            hint="'m' oder 'w' verwenden.",
        )
        nat = df["Staatsangehörigkeit"].str.strip().str.lower()
        _refuse_first(
            ~nat.isin(["deutsch", "nichtdeutsch"]),
            df["Staatsangehörigkeit"],
            "Staatsangehörigkeit '{value}' unbekannt",
            path=path,
            column="Staatsangehörigkeit",
            hint="'deutsch' oder 'nichtdeutsch' verwenden.",
        )
        count, _ = rawio.parse_numbers(df["Anzahl"], path=path, column="Anzahl", allow_suppressed=False)
        _refuse_first(
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
        absent = sorted(area_ids - set(tidy["area_id"]))
        if absent:
            raise DataValidationError(
                f"keine Einwohner für Sozialraum {', '.join(absent[:5])}",
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


def _long_counts(
    df: pd.DataFrame,
    columns: dict[str, str],
    *,
    path: Path,
    id_col: str,
    year_col: str | None,
    year=None,
    row_offset: int = 2,
) -> pd.DataFrame:
    frames = []
    for src, measure in columns.items():
        values, suppressed = rawio.parse_numbers(df[src], path=path, column=src, row_offset=row_offset)
        rawio.check_counts(values, path=path, column=src, row_offset=row_offset)
        frames.append(
            pd.DataFrame(
                {
                    "area_id": df[id_col].to_numpy(),
                    "year": (df[year_col].astype("int64").to_numpy() if year_col else year),
                    "measure": measure,
                    "value": values.to_numpy(),
                    "suppressed": suppressed.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _check_le(df: pd.DataFrame, part: str, total: str, path: Path, labels: dict[str, str]) -> None:
    """Refuse rows where a part exceeds its total (both visible)."""
    wide = df.pivot_table(index=["area_id", "year"], columns="measure", values="value", aggfunc="first")
    if part not in wide or total not in wide:
        return
    bad = wide[part] > wide[total]
    if bad.any():
        area, year = bad[bad].index[0]
        raise DataValidationError(
            f"{labels.get(part, part)} ({wide.loc[(area, year), part]:g}) größer als {labels.get(total, total)} "
            f"({wide.loc[(area, year), total]:g})",
            path=path,
            where=f"Sozialraum {area}, Jahr {year}",
            hint="Teilmenge darf die Gesamtzahl nicht übersteigen; Lieferung prüfen.",
        )


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


def read_ba(raw: Path, area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Bundesagentur XLSX, one sheet per December; "*" stays suppressed; SGB II + SGB III = total is checked.

    An optional row "Stadt insgesamt" gives the unsuppressed city totals; they are checked against the areas
    (:func:`workbench.city_totals.check_against_areas`) and left in ``result.tables["city_totals"]``
    (year, measure, value; empty when no sheet has the row).
    """
    path = raw / "ba_sgb2_arbeitslose.xlsx"
    if not path.exists():
        raise DataValidationError(
            "Datei fehlt", path=path, hint="Sonderauswertung der Bundesagentur ablegen."
        )
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise DataValidationError(f"Excel-Datei nicht lesbar ({exc})", path=path) from exc
    frames, total_frames = [], [city_totals.empty()]
    for name, sheet in sheets.items():
        m = re.fullmatch(r"Dez(?:ember)?\.?\s+(\d{4})", str(name).strip())
        if not m:
            result.warnings.append(f"{path.name}: Blatt '{name}' übersprungen (kein Dezember-Berichtsmonat)")
            continue
        year = int(m.group(1))
        first = sheet.iloc[:, 0].astype(str).str.strip()
        header_rows = np.flatnonzero(first.eq("Sozialraum").to_numpy())
        if not len(header_rows):
            raise DataValidationError(
                "Kopfzeile mit 'Sozialraum' nicht gefunden",
                path=path,
                where=f"Blatt '{name}'",
                hint="Blatt im Format der BA-Sonderauswertung liefern.",
            )
        h = int(header_rows[0])
        body = sheet.iloc[h + 1 :].copy()
        body.columns = [str(c).strip() for c in sheet.iloc[h]]
        missing = [c for c in ["Sozialraum", *BA_COLUMNS] if c not in body.columns]
        if missing:
            raise DataValidationError(
                f"Spalte(n) fehlen: {', '.join(missing)}", path=path, where=f"Blatt '{name}'"
            )
        ids = body["Sozialraum"].astype(str).str.strip()
        total_pos = city_totals.total_row(body["Sozialraum"])
        totals = (
            city_totals.empty()
            if total_pos is None
            else city_totals.read_row(
                body.iloc[total_pos], BA_COLUMNS, year=year, path=path, sheet=name, line=h + 2 + total_pos
            )
        )
        body = body[ids.str.fullmatch(r"\d+").fillna(False)].copy()
        body["Sozialraum"] = body["Sozialraum"].astype(str).str.strip()
        offset = h + 2
        rawio.check_keys(
            body["Sozialraum"], area_ids, path=path, column=f"Sozialraum (Blatt '{name}')", row_offset=offset
        )
        rawio.check_duplicates(body.reset_index(drop=True), ["Sozialraum"], path=path, row_offset=offset)
        long = _long_counts(
            body.reset_index(drop=True),
            BA_COLUMNS,
            path=path,
            id_col="Sozialraum",
            year_col=None,
            year=year,
            row_offset=offset,
        )
        wide = long.pivot_table(index="area_id", columns="measure", values="value", aggfunc="first")
        full = wide[["unemployed", "unemployed_sgb2", "unemployed_sgb3"]].dropna()
        off = (full["unemployed_sgb2"] + full["unemployed_sgb3"] - full["unemployed"]).abs() > 0.5
        if off.any():
            area = off[off].index[0]
            raise DataValidationError(
                f"Arbeitslose SGB II + SGB III ({full.loc[area, 'unemployed_sgb2']:g} + "
                f"{full.loc[area, 'unemployed_sgb3']:g}) ergeben nicht 'Arbeitslose insgesamt' "
                f"({full.loc[area, 'unemployed']:g})",
                path=path,
                where=f"Blatt '{name}', Sozialraum {area}",
                hint="Teilwerte und Summe in der Lieferung prüfen.",
            )
        labels = {v: k for k, v in BA_COLUMNS.items()}
        _check_le(long, "sgb2_u15", "sgb2_rlb", path, labels)
        city_totals.check_against_areas(long, totals, labels, path=path, sheet=name)
        frames.append(long)
        total_frames.append(totals)
    if not frames:
        raise DataValidationError(
            "kein Blatt 'Dez JJJJ' gefunden", path=path, hint="Blätter nach Berichtsmonat benennen."
        )
    out = pd.concat(frames, ignore_index=True)
    totals = pd.concat(total_frames, ignore_index=True).sort_values(["measure", "year"], ignore_index=True)
    result.tables["city_totals"] = CITY_TOTALS_SCHEMA.validate(totals)
    _record(result, path, len(out) // len(BA_COLUMNS), sheets=list(sheets), city_totals=len(totals))
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
    req = [
        "Einrichtung_ID",
        "Name",
        "Typ",
        "Traeger",
        "Adresse",
        "Rechtswert",
        "Hochwert",
        "Kapazitaet",
        "Plaetze_U3",
        "Plaetze_Ue3",
        "Zielgruppe",
        "Sozialraum",
    ]
    df = rawio.read_csv(path, required=req)
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
        _refuse_first(
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
            _refuse_first(
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


def run_import(raw: Path, processed: Path | None = None, *, write: bool = True) -> ImportResult:
    """Read and validate every raw file; if all pass and ``write``, replace the processed tables atomically."""
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
