"""The inputs of the raw-folder layout besides keys, geometries and population, read through mappings.

``sources:`` of a report config may name, for each input of :data:`workbench.io._sources.OPTIONAL_SOURCES`, one
mapping or a list of them (docs/DATA_CONTRACT.md, "Sources by mapping")::

    sources:
      blocks: stadt/stat_bezirke_geo.yaml                       # block_id + geometry → areas.gpkg, stat_bezirk
      households: stadt/haushalte.yaml                          # area_id, year, households, … → counts
      ba: stadt/ba.yaml                                         # area_id, year, sgb2_rlb, …    → counts, city totals
      sgb12: {mapping: stadt/grusi.yaml, measures: {Empfaenger: grusi_65}}
      hze: {mapping: stadt/hze.yaml, sum_over: [Hilfeart]}      # one row per type of help, added up
      events: stadt/bewegungen.yaml                             # area_id, year, sex, age, births … → events
      facilities: {mapping: stadt/kitas.yaml, crs: 25832}       # facility_id, name, type, x, y, … → facilities
      survey: stadt/befragung.yaml                              # respondent_id, area_id, weight, F1 … → survey
      measures: stadt/massnahmen.yaml                           # measure_id, name, area_ids, … → measures
      kpis: stadt/kennzahlen.yaml                               # measure_id, kpi, year, value, target → kpis

Each table is read with the mapped reader (:mod:`workbench.io.mapped`; a mapping with ``{year}`` in ``file``
or ``sheet`` gives one table per year), its cells are checked there, and the tidy frame goes through the same
functions as the raw-folder files (:mod:`workbench.io._tables`, :func:`workbench.io._ba.check_ba`,
:func:`workbench.io._schema.check_household_parts`), so both ways in give the same processed tables and
refuse the same mistakes. Every error names the data file, the line and column and the key of the mapping or
the entry of ``sources:`` to change.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError
from workbench.io import _tables
from workbench.io._areas import block_layer, check_geometries
from workbench.io._ba import check_ba
from workbench.io._schema import ImportResult, check_household_parts
from workbench.io._sources import (
    _SEX,
    COUNT_INPUTS,
    Entry,
    _check_ids,
    _const_year,
    _parse_age,
    _Read,
    _reads,
    _record,
    _require,
    _text,
    _years,
    read_counts,
)
from workbench.settings import relative_to_root

KEYS_LABEL = "sources.keys bzw. schluessel_gebiete.csv"


def _all_reads(entries: Sequence[Entry], result: ImportResult) -> list[_Read]:
    return [r for entry in entries for r in _reads(entry, result)]


def _numbers(r: _Read, column: str, what: str) -> pd.Series:
    """A numeric column (float64, NaN when empty); text or a suppressed cell is refused with its line."""
    values = r.data[column]
    if not pd.api.types.is_numeric_dtype(values):
        text = pd.to_numeric(values, errors="coerce").isna().to_numpy() & values.notna().to_numpy()
        i = int(np.flatnonzero(text)[0])
        raise DataValidationError(
            f"Spalte enthält Text ('{values.iloc[i]}'), erwartet werden Zahlen ({what})",
            path=r.path,
            where=r.where(i, column),
            hint=r.hint(
                f"types: {{{r.name(column)}: float}} und decimal/thousands in der Zuordnung setzen oder die "
                "Spalte prüfen"
            ),
        )
    supp = r.suppressed[column].reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    if supp.any():
        i = int(np.flatnonzero(supp)[0])
        raise DataValidationError(
            f"geheim gehaltener Wert ({what})",
            path=r.path,
            where=r.where(i, column),
            hint=r.hint(
                "vollständige Daten liefern; das Zeichen nicht unter suppressed der Zuordnung führen"
            ),
        )
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _optional_text(r: _Read, column: str) -> pd.Series:
    return _text(r.data[column]) if column in r.data.columns else pd.Series("", index=r.data.index)


def _once(entries: Sequence[Entry], frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """Refuse a key that two tables of one input both deliver (each table is checked on its own before)."""
    dup = frame.duplicated(columns)
    if dup.any():
        first = frame[dup].iloc[0]
        key = ", ".join(f"{c} {first[c]}" for c in columns)
        names = ", ".join(e.key for e in entries)
        raise DataValidationError(
            f"{what} ({key}) kommt in zwei Tabellen vor",
            where=names,
            hint="jede Zeile nur in einer Tabelle liefern (Jahre oder Gebiete der Zuordnungen abgrenzen)",
        )


# ------------------------------------------------------------------------------------------------ blocks


def read_blocks(entries: Sequence[Entry], keys: pd.DataFrame, result: ImportResult) -> gpd.GeoDataFrame:
    """Geometries of the statistical blocks (format geo, column block_id) → layer ``stat_bezirk``.

    Every block must be in the key table (``block_id``), at most once; blocks without geometry are allowed.
    """
    known = set(keys["block_id"])
    frames = []
    for r in _all_reads(entries, result):
        if not isinstance(r.data, gpd.GeoDataFrame):
            raise ConfigError(
                f"die Zuordnung liest keine Geodaten (Eintrag {r.entry.key} der Berichtskonfiguration)",
                path=relative_to_root(r.entry.mapping),
                where="format",
                hint="format: geo (Shapefile, GeoJSON, GeoPackage) und file: auf die Geodaten setzen",
            )
        _require(r, ["block_id"], "die Geometrien der statistischen Bezirke")
        gdf = gpd.GeoDataFrame(
            {"block_id": _text(r.data["block_id"])}, geometry=r.data.geometry.to_numpy(), crs=r.data.crs
        )
        gdf = check_geometries(
            gdf,
            "block_id",
            path=r.path,
            what="Geometrie des statistischen Bezirks",
            objects=[int(x) for x in r.lines],
            crs_hint="Koordinatenbezugssystem mitliefern (.prj des Shapefiles, CRS im GIS setzen) und neu "
            "exportieren",
        )
        unknown = ~gdf["block_id"].isin(known)
        _tables.refuse(
            r,
            unknown,
            "statistischer Bezirk '{value}' steht nicht in der Schlüsseltabelle",
            hint="Schlüssel mit block_id der Schlüsseltabelle (sources.keys) abgleichen: id.width, "
            "id.strip_prefix oder filter in der Zuordnung",
            column="block_id",
            values=gdf["block_id"],
        )
        _tables.check_unique(r, gdf, ["block_id"], "je statistischem Bezirk genau eine Fläche")
        _record(result, r)
        frames.append(gdf.to_crs(frames[0].crs) if frames else gdf)
    blocks = pd.concat(frames, ignore_index=True)
    _once(entries, blocks, ["block_id"], "Statistischer Bezirk")
    return block_layer(blocks["block_id"], blocks.geometry.to_numpy(), frames[0].crs, keys)


# ------------------------------------------------------------------------------------------- count tables


def read_count_input(
    name: str, entries: Sequence[Entry], area_ids: set[str], result: ImportResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A count delivery of the raw folder by mapping (``households``, ``ba``, ``sgb12``, ``hze``) → (counts,
    city totals), with the rules of that delivery: households: single parents ≤ households with children ≤
    households; BA: SGB II + SGB III = Arbeitslose insgesamt, RLB unter 15 ≤ RLB, and a "Stadt insgesamt" row
    (``aggregates`` level ``stadt``) that fits the areas by the BA's suppression rule."""
    parts = [
        read_counts(
            e,
            area_ids,
            result,
            known=COUNT_INPUTS[name],
            check=_CHECKS.get(name),
            verify_totals=name != "ba",
        )
        for e in entries
    ]
    long = pd.concat([p[0] for p in parts], ignore_index=True)
    _once(entries, long, ["measure", "area_id", "year"], "Maß")
    return long, pd.concat([p[1] for p in parts], ignore_index=True)


def _check_households(r: _Read, long: pd.DataFrame, totals: pd.DataFrame, labels: dict[str, str]) -> None:
    try:
        check_household_parts(long, r.path, labels)
    except DataValidationError as exc:
        raise _in_entry(r, exc) from None


def _check_ba(r: _Read, long: pd.DataFrame, totals: pd.DataFrame, labels: dict[str, str]) -> None:
    sheet = r.part.sheet if r.part is not None else None
    for year, part in long.groupby("year", sort=True):
        try:
            check_ba(part, totals[totals["year"] == year], labels, path=r.path, sheet=sheet)
        except DataValidationError as exc:
            raise _in_entry(r, exc) from None


def _in_entry(r: _Read, exc: DataValidationError) -> DataValidationError:
    """The error of a shared check with the mapping and the entry of ``sources:`` added to its hint."""
    return DataValidationError(
        exc.problem, path=exc.path, where=exc.where, hint=r.hint(exc.hint or "Lieferung prüfen")
    )


_CHECKS = {"households": _check_households, "ba": _check_ba}


# ---------------------------------------------------------------------------------------------- movements


def read_events(entries: Sequence[Entry], area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Movements by area × year × sex × single year of age → ``events.parquet`` (columns births … out_int).

    Sex as m/w (or männlich/weiblich …), age as a whole number or "100 und älter"; an empty event cell is 0, a
    suppressed one is refused (the projection needs complete movements).
    """
    frames = []
    for r in _all_reads(entries, result):
        _require(r, ["area_id", "sex", "age", *_tables.EVENT_MEASURES], "die Bevölkerungsbewegungen")
        ids = _text(r.data["area_id"])
        _check_ids(r, ids, area_ids, KEYS_LABEL)
        sex = _text(r.data["sex"])
        labels = _text(r.data["age"])
        ages = {label: _single_age(label) for label in labels.unique()}
        tidy = pd.DataFrame(
            {
                "area_id": ids,
                "year": _years(r),
                "sex": sex.str.lower().map(_SEX).fillna(sex),
                "age": labels.map(ages).astype("float64"),
            }
        )
        for col in _tables.EVENT_MEASURES:
            tidy[col] = _numbers(r, col, f"Bewegungen {col}")
        frames.append(_tables.events_table(tidy, r, age_labels=labels))
        _record(result, r)
    events = pd.concat(frames, ignore_index=True)
    _once(entries, events, ["area_id", "year", "sex", "age"], "Bewegung")
    return events.sort_values(["area_id", "year", "sex", "age"], ignore_index=True)


def _single_age(label: str) -> float:
    """A single year of age of a label ("7", "100 und älter"); NaN for age groups (refused with the line)."""
    if label.isdigit():
        return float(int(label))
    parsed = _parse_age(label, {})
    return float(parsed[0]) if parsed is not None and parsed[0] == parsed[1] else np.nan


# --------------------------------------------------------------------------------------------- facilities


def read_facilities(
    entries: Sequence[Entry], area_ids: set[str], areas: gpd.GeoDataFrame, result: ImportResult
) -> gpd.GeoDataFrame:
    """Facilities (one row each) → ``facilities.gpkg``.

    Coordinates come from the columns x, y (in the entry's ``crs``, default EPSG:25832) or from point geodata
    (format geo). Without a column area_id every facility gets the Sozialraum it lies in (``areas``); a point
    outside all areas is refused with its line.
    """
    frames = []
    for r in _all_reads(entries, result):
        _require(r, ["facility_id", "name", "type"], "die Einrichtungen")
        tidy = pd.DataFrame({c: _optional_text(r, c) for c in _tables.FACILITY_TEXT})
        crs = r.entry.options.get("crs", _tables.FACILITY_CRS)
        if isinstance(r.data, gpd.GeoDataFrame):
            tidy["x"], tidy["y"], crs = _points(r)
        else:
            _require(r, ["x", "y"], "die Koordinaten der Einrichtungen (oder format: geo mit Punkten)")
            tidy["x"] = _numbers(r, "x", "Rechtswert")
            tidy["y"] = _numbers(r, "y", "Hochwert")
        for c in _tables.FACILITY_NUMBERS:
            if c in r.data.columns:
                tidy[c] = _numbers(r, c, c)
            else:
                tidy[c] = np.nan
        if "area_id" in r.data.columns:
            tidy["area_id"] = _text(r.data["area_id"])
            _check_ids(r, tidy["area_id"], area_ids, KEYS_LABEL)
        else:
            tidy["area_id"] = _locate(r, tidy, crs, areas)
        frames.append(_tables.facilities_table(tidy, r, crs))
        _record(result, r)
    fac = pd.concat(frames, ignore_index=True)
    _once(entries, fac, ["facility_id"], "Einrichtung")
    return gpd.GeoDataFrame(fac, geometry="geometry", crs=_tables.FACILITY_CRS)


def _points(r: _Read) -> tuple[pd.Series, pd.Series, int]:
    """x, y (EPSG:25832) of point geodata; other geometries are refused with their object number."""
    gdf = r.data
    if gdf.crs is None:
        raise DataValidationError(
            "Geodaten ohne Koordinatenbezugssystem (CRS)",
            path=r.path,
            hint=r.hint("CRS im GIS setzen und neu exportieren"),
        )
    kinds = gdf.geometry.geom_type
    _tables.refuse(
        r,
        kinds.ne("Point") | gdf.geometry.is_empty,
        "Geometrie '{value}' ist kein Punkt",
        hint="Einrichtungen als Punkte liefern (im GIS: Schwerpunkt bzw. Lage der Einrichtung)",
        values=kinds.fillna("leer"),
    )
    pts = gdf.geometry.to_crs(_tables.FACILITY_CRS)
    return pd.Series(pts.x.to_numpy()), pd.Series(pts.y.to_numpy()), _tables.FACILITY_CRS


def _locate(r: _Read, tidy: pd.DataFrame, crs: int, areas: gpd.GeoDataFrame) -> pd.Series:
    """The Sozialraum each facility lies in (rows without coordinates: "", refused later)."""
    have = tidy["x"].notna() & tidy["y"].notna()
    pts = gpd.GeoDataFrame(
        {"pos": np.flatnonzero(have.to_numpy())},
        geometry=gpd.points_from_xy(tidy.loc[have, "x"], tidy.loc[have, "y"]),
        crs=crs,
    ).to_crs(areas.crs)
    hit = gpd.sjoin(pts, areas[["area_id", "geometry"]], how="left", predicate="intersects")
    hit = hit.sort_values(["pos", "area_id"]).drop_duplicates("pos")
    out = pd.Series("", index=tidy.index, dtype=object)
    out.iloc[hit["pos"].to_numpy()] = hit["area_id"].fillna("").to_numpy()
    _tables.refuse(
        r,
        have & out.eq(""),
        "Einrichtung liegt in keinem Sozialraum",
        hint="Koordinaten und crs im Eintrag prüfen, oder eine Spalte area_id mit dem Sozialraum liefern",
        column="x",
    )
    return out


# ------------------------------------------------------------------------------------------------- survey


def read_survey(entries: Sequence[Entry], area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Survey microdata → ``survey.parquet``: respondent_id, area_id, age_group, sex, weight, the answer
    columns (entry option ``items``, default: columns named F1…, answers 1–5, empty = no answer) and text."""
    frames = []
    for r in _all_reads(entries, result):
        _require(r, ["respondent_id", "area_id", "age_group", "sex", "weight"], "die Befragung")
        items = list(r.entry.options.get("items") or _tables.survey_items(r.data.columns))
        absent = [c for c in items if c not in r.data.columns]
        if absent:
            raise r.entry.error(
                f"Spalte(n) {', '.join(absent)} aus items gibt es in der Tabelle nicht",
                "items",
                f"vorhanden: {', '.join(map(str, r.data.columns))}",
            )
        tidy = pd.DataFrame({c: _text(r.data[c]) for c in _tables.SURVEY_TEXT})
        _check_ids(r, tidy["area_id"], area_ids, KEYS_LABEL)
        tidy["weight"] = _numbers(r, "weight", "Gewicht")
        for c in items:
            tidy[c] = _numbers(r, c, f"Antwort {c}")
        for c in ("text", "text_code"):
            if c in r.data.columns:
                tidy[c] = _text(r.data[c])
        out = _tables.survey_table(tidy, r, items)
        wave = _const_year(r)  # one wave per file ({year}) or the entry's year:
        if wave is not None:
            out["year"] = int(wave)
        frames.append(out)
        _record(result, r)
    out = pd.concat(frames, ignore_index=True)
    for c in ("text", "text_code"):  # a wave without the column: empty texts, not NaN
        if c in out.columns:
            out[c] = out[c].fillna("")
    return out


# ---------------------------------------------------------------------------------------- measures register


def read_measures(
    entries: Sequence[Entry], kpi_entries: Sequence[Entry], area_ids: set[str], result: ImportResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Measures register (measure_id, name, area_ids, start, end, budget) and its KPI series (measure_id, kpi,
    year, value, target) → ``measures.parquet``, ``kpis.parquet``."""
    frames = []
    for r in _all_reads(entries, result):
        _require(r, ["measure_id", "name", "area_ids"], "das Maßnahmenregister")
        tidy = pd.DataFrame(
            {c: _optional_text(r, c) for c in ("measure_id", "name", "area_ids", "start", "end")}
        )
        tidy["budget"] = _numbers(r, "budget", "Budget") if "budget" in r.data.columns else np.nan
        if "target_indicator" in r.data.columns:  # optional: catalogue id of the measure's target indicator
            tidy["target_indicator"] = _optional_text(r, "target_indicator")
        frames.append(_tables.measures_table(tidy, r, area_ids))
        _record(result, r)
    measures = pd.concat(frames, ignore_index=True)
    _once(entries, measures, ["measure_id"], "Maßnahme")
    kpis = []
    for r in _all_reads(kpi_entries, result):
        _require(r, ["measure_id", "kpi", "value"], "die Kennzahlen der Maßnahmen")
        tidy = pd.DataFrame({c: _text(r.data[c]) for c in ("measure_id", "kpi")})
        tidy["year"] = _years(r)
        tidy["value"] = _numbers(r, "value", "Wert")
        tidy["target"] = _numbers(r, "target", "Zielwert") if "target" in r.data.columns else np.nan
        kpis.append(_tables.kpis_table(tidy, r, set(measures["measure_id"])))
        _record(result, r)
    return measures, pd.concat(kpis, ignore_index=True) if kpis else _tables.empty_kpis()


# ------------------------------------------------------------------------------------------------- costs


def read_costs(entries: Sequence[Entry], area_ids: set[str], result: ImportResult) -> pd.DataFrame:
    """Expenditure per area, year and Leistung (area_id, year, item, cases, expenditure) → ``costs.parquet``.

    Item: a Hilfeart of the Hilfen zur Erziehung (``§31`` …) or ``KdU``; cases: whole numbers ≥ 0 (HzE cases or
    Bedarfsgemeinschaften), expenditure in euros ≥ 0; a suppressed cell is refused."""
    frames = []
    for r in _all_reads(entries, result):
        _require(r, ["area_id", "item", "cases", "expenditure"], "die Ausgaben (HzE, KdU)")
        ids = _text(r.data["area_id"])
        _check_ids(r, ids, area_ids, KEYS_LABEL)
        cases = _numbers(r, "cases", "Fälle")
        spend = _numbers(r, "expenditure", "Ausgaben")
        bad = cases.isna() | (cases < 0) | (cases % 1 != 0) | spend.isna() | (spend < 0)
        if bad.any():
            raise DataValidationError(
                f"Fälle oder Ausgaben fehlen, sind negativ oder keine ganze Fallzahl (erste Zeile "
                f"{int(np.flatnonzero(bad.to_numpy())[0]) + 2})",
                path=r.path,
                hint="Fälle als ganze Zahl ≥ 0 und Ausgaben in Euro ≥ 0 liefern (keine geheimgehaltenen Werte).",
            )
        frames.append(
            pd.DataFrame(
                {
                    "area_id": ids.to_numpy(),
                    "year": _years(r).astype("int64").to_numpy(),
                    "item": _text(r.data["item"]).to_numpy(),
                    "cases": cases.astype("int64").to_numpy(),
                    "expenditure": spend.astype("float64").to_numpy(),
                }
            )
        )
        _record(result, r)
    costs = pd.concat(frames, ignore_index=True)
    _once(entries, costs, ["area_id", "year", "item"], "Ausgabenzeile")
    return costs.sort_values(["area_id", "year", "item"], ignore_index=True)
