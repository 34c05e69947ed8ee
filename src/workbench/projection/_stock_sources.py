"""Readers of published stock tables into the ``stocks`` mapping of :func:`workbench.projection.backtest_stocks`.

Private helpers for the real-data back-tests (tests/projection, benchmarks/projection_stocks.py): Vienna's
district table by sex and 5-year band and the ONS ward mid-year estimates by single year of age (see the
PROVENANCE.md files of ``../shared/data``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.errors import DataValidationError

VIENNA_FILE = "vie-bez-pop-sex-age5-stk-nat-geo4-2002f.csv"


def read_vienna_stocks(folder: str | Path) -> dict[int, pd.DataFrame]:
    """Vienna, 23 districts × sex (``"m"``, ``"w"``) × 5-year bands 0–4 … 75–79 and 80+, 1 January of each year."""
    path = Path(folder) / VIENNA_FILE
    raw = pd.read_csv(path, sep=";", skiprows=1, dtype={"DISTRICT_CODE": str})
    missing = {"DISTRICT_CODE", "REF_YEAR", "SEX", "AGE5", "AUT", "EEA", "REU", "TCN"} - set(raw.columns)
    if missing:
        raise DataValidationError(f"Spalten {', '.join(sorted(missing))} fehlen", path=path)
    raw["count"] = raw[["AUT", "EEA", "REU", "TCN"]].sum(axis=1)
    raw["sex"] = raw["SEX"].map({1: "m", 2: "w"})
    raw["band"] = [f"{5 * (k - 1)}-{5 * k}" if k < 17 else "80+" for k in raw["AGE5"]]
    out: dict[int, pd.DataFrame] = {}
    for year, part in raw.groupby("REF_YEAR"):
        wide = part.pivot_table(index="DISTRICT_CODE", columns=["sex", "band"], values="count", aggfunc="sum")
        bands = [f"{5 * k}-{5 * k + 5}" for k in range(16)] + ["80+"]
        wide = wide.reindex(columns=pd.MultiIndex.from_product([["m", "w"], bands]), fill_value=0)
        wide.index = wide.index.astype(str).rename("area_id")
        out[int(year)] = wide.astype(float)
    return out


def read_trafford_stocks(folder: str | Path) -> dict[int, pd.DataFrame]:
    """Trafford, 21 wards × sex (``"m"``, ``"w"``) × single years 0 … 89 and 90+, mid-year 2017–2020."""
    out: dict[int, pd.DataFrame] = {}
    for path in sorted(Path(folder).glob("mid-*_ward.csv")):
        year = int(path.name[4:8])
        raw = pd.read_csv(path)
        raw = raw[raw["gender"].isin(["Males", "Females"])]
        raw = raw.assign(sex=raw["gender"].map({"Males": "m", "Females": "w"}))
        ages = [str(a) for a in range(91)]
        long = raw.melt(id_vars=["area_code", "sex"], value_vars=ages, var_name="age", value_name="count")
        long["band"] = [f"{a}-{int(a) + 1}" if a != "90" else "90+" for a in long["age"]]
        wide = long.pivot_table(index="area_code", columns=["sex", "band"], values="count", aggfunc="sum")
        bands = [f"{a}-{a + 1}" for a in range(90)] + ["90+"]
        wide = wide.reindex(columns=pd.MultiIndex.from_product([["m", "w"], bands]), fill_value=0)
        wide.index = wide.index.astype(str).rename("area_id")
        out[year] = wide.astype(float)
    return out
