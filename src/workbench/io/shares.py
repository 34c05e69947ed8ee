"""Published indicator values (shares, rates, changes) that a city has without their counts.

A report config names them under ``sources: shares:`` (docs/DATA_CONTRACT.md, "Veröffentlichte Anteile")::

    sources:
      shares:
        - mapping: examples/berlin/index_indikatoren.yaml
          indicators: {S1: mss_s1_arbeitslose, S3: mss_s3_transfer}   # column → catalogue id (method: published)
        - {mapping: examples/berlin/bezirke.yaml, level: stadtbezirk, indicators: {…}}

The importer writes them to ``shares.parquet`` with the columns :data:`SHARE_COLUMNS`: ``level``
("sozialraum", "stadtbezirk", "stadt"), ``unit_id`` (area id, district id, ``"stadt"``), ``year``, ``indicator``,
``value`` (in the indicator's unit; NaN when withheld) and ``suppressed`` (the source withheld the value).
Rows of level ``stadt`` of a mapping's ``aggregates`` become the city's values; district aggregate rows are used
when they carry a ``district_id`` column. A value is taken as published: no interval, no recomputation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.io._schema import ImportResult
from workbench.io._sources import Entry, _check_ids, _duplicates, _read, _record, _text, _years
from workbench.vocabulary import CITY_ID, LEVELS

SHARE_COLUMNS = ("level", "unit_id", "year", "indicator", "value", "suppressed")
"""Columns of ``shares.parquet``."""


def empty() -> pd.DataFrame:
    """The shares table without rows."""
    return pd.DataFrame(
        {
            "level": pd.Series(dtype=str),
            "unit_id": pd.Series(dtype=str),
            "year": pd.Series(dtype="int64"),
            "indicator": pd.Series(dtype=str),
            "value": pd.Series(dtype="float64"),
            "suppressed": pd.Series(dtype=bool),
        }
    )


def _values(r, column: str, indicator: str) -> tuple[pd.Series, pd.Series]:
    values = r.data[column]
    num = pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.notna() & num.isna() & ~r.suppressed[column].reindex(values.index, fill_value=False)
    if text.any():
        i = int(np.flatnonzero(text.to_numpy())[0])
        raise DataValidationError(
            f"Wert '{values.iloc[i]}' ist keine Zahl (veröffentlichter Wert {indicator})",
            path=r.path,
            where=r.where(i, column),
            hint=r.hint(
                f"types: {{{r.name(column)}: float}} (oder percent) und decimal in der Zuordnung setzen; "
                "Zeichen für geheim gehaltene Werte unter codes.suppressed angeben"
            ),
        )
    supp = r.suppressed[column].reindex(num.index, fill_value=False).astype(bool)
    return num.where(~supp), supp


def read_shares(entry: Entry, keys: pd.DataFrame, result: ImportResult) -> pd.DataFrame:
    """One ``sources: shares:`` entry → rows of ``shares.parquet`` (:data:`SHARE_COLUMNS`).

    ``indicators`` (column → catalogue id) is required; ``level`` says what a row is (default ``sozialraum``:
    ids checked against the key table's areas; ``stadtbezirk``: a ``district_id`` column, checked against its
    districts; ``stadt``: one row per year). Raises German errors naming the data file, line, column and the
    entry of ``sources:``.
    """
    r = _read(entry, result)
    indicators = entry.options.get("indicators")
    if not indicators:
        raise entry.error(
            "indicators fehlt: welche Spalte welcher Indikator ist",
            "indicators",
            "z. B. indicators: {S1: mss_s1_arbeitslose} (Indikatoren mit method: published im Katalog)",
        )
    absent = [c for c in indicators if c not in r.data.columns]
    if absent:
        raise entry.error(
            f"Spalte(n) {', '.join(absent)} aus indicators gibt es in der Tabelle nicht",
            "indicators",
            f"vorhanden (nach rename/melt der Zuordnung): {', '.join(map(str, r.data.columns))}",
        )
    level = str(entry.options.get("level", "sozialraum"))
    if level not in LEVELS:
        raise entry.error(f"Ebene {level!r} unbekannt", "level", "erlaubt: " + ", ".join(LEVELS))
    if level == "sozialraum":
        id_col, known, label = "area_id", set(keys["area_id"]), "sources.keys (Sozialräume)"
    elif level == "stadtbezirk":
        id_col = "district_id" if "district_id" in r.data.columns else "area_id"
        known, label = set(keys["district_id"]), "sources.keys (Stadtbezirke, Spalte district_id)"
    else:
        id_col, known, label = None, set(), ""
    if id_col is not None:
        if id_col not in r.data.columns:
            raise DataValidationError(
                f"Spalte {id_col} fehlt (Schlüssel der Ebene {level})",
                path=r.path,
                where=f"vorhanden: {', '.join(map(str, r.data.columns))}",
                hint=r.hint("die Schlüsselspalte in der Zuordnung mit id: {column: …, name: " + id_col + "}"),
            )
        ids = _text(r.data[id_col])
        _check_ids(r, ids, known, label)
    else:
        ids = pd.Series(CITY_ID, index=r.data.index)
    years = _years(r)
    _duplicates(
        r,
        pd.DataFrame({"unit_id": ids, "year": years}),
        ["unit_id", "year"],
        "je Gebiet und Jahr eine Zeile (lange Tabellen: melt in der Zuordnung)",
    )
    frames = []
    for col, ind in indicators.items():
        value, supp = _values(r, col, ind)
        frames.append(
            pd.DataFrame(
                {
                    "level": level,
                    "unit_id": ids.to_numpy(),
                    "year": years.to_numpy(),
                    "indicator": str(ind),
                    "value": value.to_numpy(),
                    "suppressed": supp.to_numpy(),
                }
            )
        )
    frames += _aggregate_rows(r, indicators, set(keys["district_id"]), result)
    _record(result, r, indicators=sorted(set(map(str, indicators.values()))))
    return pd.concat(frames, ignore_index=True)


def _aggregate_rows(r, indicators: dict, districts: set[str], result: ImportResult) -> list[pd.DataFrame]:
    """City (and district, when they carry ``district_id``) values from the mapping's aggregate rows."""
    t, ts = r.totals, r.totals_suppressed
    if t.empty or "level" not in t.columns:
        return []
    ts = ts.reindex(index=t.index, columns=t.columns, fill_value=False)
    const = r.entry.options.get("year")
    out, skipped = [], 0
    for i in range(len(t)):
        row, supp = t.iloc[i], ts.iloc[i]
        level = str(row["level"])
        if level == "stadt":
            unit = CITY_ID
        elif "district_id" in row.index and str(row["district_id"]) in districts:
            unit = str(row["district_id"])
        else:
            skipped += 1
            continue
        year = const if const is not None else row.get("year")
        if year is None or pd.isna(year):
            continue
        for col, ind in indicators.items():
            hidden = bool(supp.get(col, False))
            value = pd.to_numeric(pd.Series([row.get(col)]), errors="coerce").iloc[0]
            out.append(
                pd.DataFrame(
                    {
                        "level": [level],
                        "unit_id": [unit],
                        "year": [int(year)],
                        "indicator": [str(ind)],
                        "value": [np.nan if hidden else float(value)],
                        "suppressed": [hidden],
                    }
                )
            )
    if skipped:
        result.warnings.append(
            f"{r.path.name}: {skipped} Summenzeile(n) der Stadtbezirke ohne Spalte district_id nicht übernommen"
        )
    return out
