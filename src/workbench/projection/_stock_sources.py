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


def stocks_from_population(population: pd.DataFrame, max_age: int = 100) -> dict[int, pd.DataFrame]:
    """Stocks by single year of age and sex from the processed long ``population`` table (docs/DATA_CONTRACT.md).

    ``population`` has ``area_id, year, sex, age, count`` (further columns such as ``nationality`` are summed
    over); ages ≥ ``max_age`` form the open group ``"max_age+"``. Used to run the projection from stocks (and
    its back-test) on cities whose processed data carry components, for comparison with the cohort-component
    model.
    """
    missing = {"area_id", "year", "sex", "age", "count"} - set(population.columns)
    if missing:
        raise DataValidationError(f"population: Spalten {', '.join(sorted(missing))} fehlen")
    pop = population.assign(
        age=population["age"].clip(upper=max_age), area_id=population["area_id"].astype(str)
    )
    sums = pop.groupby(["year", "area_id", "sex", "age"])["count"].sum()
    labels = {a: (f"{a}-{a + 1}" if a < max_age else f"{max_age}+") for a in range(max_age + 1)}
    sexes = sorted(pop["sex"].astype(str).unique())
    columns = pd.MultiIndex.from_product([sexes, list(labels.values())])
    out: dict[int, pd.DataFrame] = {}
    for year, part in sums.groupby(level="year"):
        wide = part.droplevel("year").unstack(["sex", "age"], fill_value=0)
        wide.columns = pd.MultiIndex.from_tuples([(str(s), labels[int(a)]) for s, a in wide.columns])
        wide = wide.reindex(columns=columns, fill_value=0).astype(float)
        wide.index = wide.index.rename("area_id")
        out[int(year)] = wide
    return out
