"""Values of ``method: published`` indicators: shares a city publishes without numerator and denominator.

``shares.parquet`` (written by the importer from ``sources: shares:``, docs/DATA_CONTRACT.md) holds one row per
level, unit, year and indicator: ``level`` ("sozialraum", "stadtbezirk", "stadt"), ``unit_id`` (area id,
district id or ``"stadt"``), ``year``, ``indicator`` (catalogue id), ``value`` (in the indicator's unit, NaN
when withheld) and ``suppressed`` (True when the source withheld the value). A share cannot be summed over
areas, so a Stadtbezirk or the city has a value only where the source publishes one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.io.shares import SHARE_COLUMNS
from workbench.io.shares import empty as empty_shares
from workbench.vocabulary import LEVELS


def validate_shares(shares: pd.DataFrame | None, needed: Sequence[str]) -> pd.DataFrame:
    """``shares`` checked for the published indicators ``needed``; the empty table when none is needed.

    Raises DataValidationError (German, naming ``shares.parquet`` and the column or row) for missing columns,
    unknown levels, duplicate rows or an indicator without any value.
    """
    if not needed:
        return empty_shares()
    if shares is None:
        raise DataValidationError(
            f"veröffentlichte Werte fehlen für {', '.join(needed)}",
            path="shares.parquet",
            hint="die Tabelle mit den veröffentlichten Anteilen unter sources: shares: angeben und make data "
            "ausführen, oder die Indikatoren mit method: published aus dem Katalog nehmen",
        )
    missing = [c for c in SHARE_COLUMNS if c not in shares.columns]
    if missing:
        raise DataValidationError(
            f"Spalten {missing} fehlen", path="shares.parquet", hint="make data erneut ausführen"
        )
    df = shares.loc[shares["indicator"].astype(str).isin(needed), list(SHARE_COLUMNS)].copy()
    bad = sorted(set(df["level"].astype(str)) - set(LEVELS))
    if bad:
        raise DataValidationError(
            f"unbekannte Gebietsebene(n) {bad}",
            path="shares.parquet",
            where="Spalte level",
            hint="Erlaubt: " + ", ".join(LEVELS),
        )
    dup = df.duplicated(["level", "unit_id", "year", "indicator"], keep=False)
    if dup.any():
        r = df.loc[dup].iloc[0]
        raise DataValidationError(
            f"Indikator {r['indicator']} für {r['level']} {r['unit_id']}, Jahr {r['year']} kommt mehrfach vor",
            path="shares.parquet",
            hint="je Gebiet, Jahr und Indikator genau einen veröffentlichten Wert angeben",
        )
    absent = [i for i in needed if i not in set(df["indicator"].astype(str))]
    if absent:
        raise DataValidationError(
            f"keine veröffentlichten Werte für {', '.join(absent)}",
            path="shares.parquet",
            where="Spalte indicator",
            hint="Spaltenzuordnung unter sources: shares: (indicators:) prüfen",
        )
    df["unit_id"] = df["unit_id"].astype(str)
    df["year"] = pd.to_numeric(df["year"]).astype("int64")
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    df.loc[df["suppressed"], "value"] = np.nan
    return df.reset_index(drop=True)


def published_values(
    shares: pd.DataFrame, indicator: str, level: str, unit_ids: Sequence[str], years: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(value, suppressed) of a published indicator, units × years (NaN where the source has no value).

    >>> shares = pd.DataFrame({"level": "sozialraum", "unit_id": ["01", "02"], "year": 2020,
    ...                        "indicator": "s1", "value": [4.2, np.nan], "suppressed": [False, True]})
    >>> value, supp = published_values(validate_shares(shares, ["s1"]), "s1", "sozialraum",
    ...                                ["01", "02", "03"], [2019, 2020])
    >>> value.tolist(), supp.tolist()
    ([[nan, 4.2], [nan, nan], [nan, nan]], [[False, False], [False, True], [False, False]])
    """
    units = pd.Index([str(u) for u in unit_ids])
    value = np.full((len(units), len(years)), np.nan)
    supp = np.zeros(value.shape, dtype=bool)
    sub = shares.loc[(shares["indicator"] == indicator) & (shares["level"] == level)]
    if sub.empty:
        return value, supp
    rows = units.get_indexer(sub["unit_id"])
    cols = pd.Index(list(years)).get_indexer(sub["year"])
    ok = (rows >= 0) & (cols >= 0)
    value[rows[ok], cols[ok]] = sub["value"].to_numpy()[ok]
    supp[rows[ok], cols[ok]] = sub["suppressed"].to_numpy()[ok]
    return value, supp
