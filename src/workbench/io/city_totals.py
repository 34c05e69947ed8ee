"""Official city totals ("Stadt insgesamt") of count deliveries whose small-area values are suppressed.

The Bundesagentur für Arbeit suppresses small-area counts of 1 and 2 as "*", but its deliveries carry the
unsuppressed total of the whole city in a last data row "Stadt insgesamt". Without it, one "*" makes the city
sum of a measure unknown. This module reads that row, checks it against the areas and validates the processed
table ``city_totals.parquet`` (year, measure, value; docs/DATA_CONTRACT.md) before :mod:`workbench.indicators`
and :mod:`workbench.confidentiality` use it.

Consistency rule per sheet (year) and column (measure), applied by :mod:`workbench.io.importer`: with no "*" in
the column the areas must add up to the total exactly; with k cells "*" the rest ``total − Σ visible`` must be at
least k. The Bundesagentur suppresses counts of 1 and 2 **and any value from which such a count could be
derived**, so a "*" can hide any value from 1 up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError, require_table
from workbench.io import raw as rawio

TOTAL_LABELS = frozenset({"stadt insgesamt", "insgesamt", "stadt gesamt", "gesamt"})
"""First-cell texts (lower case) that mark the city total row of a delivery."""
SUPPRESSED_RANGE = (1, 2)
"""Values of a primary BA suppression ("*" for a count of 1 or 2). A "*" may also be a secondary suppression of
any larger value: :data:`SUPPRESSED_MINIMUM` is all that is known of a "*" in general."""
SUPPRESSED_MINIMUM = 1
"""Smallest value a suppressed BA cell ("*") can hold."""
COLUMNS = ["year", "measure", "value"]


def empty() -> pd.DataFrame:
    """An empty ``city_totals`` table with the contract's dtypes."""
    return pd.DataFrame(
        {
            "year": pd.Series(dtype="int64"),
            "measure": pd.Series(dtype="str"),
            "value": pd.Series(dtype="float64"),
        }
    )


def total_row(first_column: pd.Series) -> int | None:
    """Position (within ``first_column``) of the "Stadt insgesamt" row, or None when the sheet has none."""
    text = first_column.astype(str).str.strip().str.lower()
    hits = np.flatnonzero(text.isin(TOTAL_LABELS).to_numpy())
    return int(hits[0]) if len(hits) else None


def read_row(
    row: pd.Series, columns: dict[str, str], *, year: int, path: Path, sheet: str, line: int
) -> pd.DataFrame:
    """Totals of one sheet's total row: one line per measure with a number (empty or "*" cells give none).

    ``row`` holds the raw cells by source column name, ``columns`` maps source column → measure, ``line`` is
    the row's line number in the sheet (for messages).
    """
    frames = []
    for src, measure in columns.items():
        values, suppressed = rawio.parse_numbers(
            pd.Series([row[src]]), path=path, column=f"{src} (Blatt '{sheet}')", row_offset=line
        )
        rawio.check_counts(values, path=path, column=f"{src} (Blatt '{sheet}')", row_offset=line)
        if suppressed.iloc[0] or np.isnan(values.iloc[0]):
            continue
        frames.append((int(year), measure, float(values.iloc[0])))
    return pd.DataFrame(frames, columns=COLUMNS).astype({"year": "int64", "value": "float64"})


def validate(city_totals: pd.DataFrame | None, where: str = "city_totals") -> pd.DataFrame | None:
    """Checked copy of a ``city_totals`` argument (year int, measure str, value ≥ 0), None when not given.

    Rows with NaN values are dropped (no official total); duplicate (year, measure) pairs, negative values or
    missing columns raise DataValidationError.
    """
    if city_totals is None:
        return None
    require_table(
        city_totals,
        COLUMNS,
        where=where,
        hint="Tabelle city_totals.parquet mit `make data` neu erzeugen (year, measure, value)",
    )
    out = city_totals[COLUMNS].copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    out = out[out["value"].notna()]
    years = pd.to_numeric(out["year"], errors="coerce")
    if years.isna().any():
        raise DataValidationError("Jahr ist keine Zahl", where=f"{where}, Spalte year")
    out["year"] = years.astype("int64")
    out["measure"] = out["measure"].astype(str)
    if (out["value"] < 0).any():
        r = out[out["value"] < 0].iloc[0]
        raise DataValidationError(
            f"negative Gesamtzahl {r['value']:g} für {r['measure']}, Jahr {r['year']}", where=where
        )
    dup = out.duplicated(["year", "measure"])
    if dup.any():
        r = out[dup].iloc[0]
        raise DataValidationError(
            f"Gesamtzahl für {r['measure']}, Jahr {r['year']} kommt mehrfach vor",
            where=where,
            hint="Je Jahr und Maß höchstens eine Zeile",
        )
    return out.reset_index(drop=True)


def lookup(city_totals: pd.DataFrame | None) -> dict[tuple[int, str], float]:
    """{(year, measure): total} of a validated table (empty dict for None)."""
    if city_totals is None or city_totals.empty:
        return {}
    return {
        (int(y), str(m)): float(v)
        for y, m, v in zip(city_totals["year"], city_totals["measure"], city_totals["value"], strict=True)
    }
