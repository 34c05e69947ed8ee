"""Population structure per area: totals, change, age groups, pyramid data (register counts at 31.12.).

The population may be coarser than single years by sex and nationality (totals or age groups of a population by
mapping, docs/DATA_CONTRACT.md): totals and change work on every detail; a structure share (under 18, 65 and
older, nichtdeutsch) and an age-group count are computed only where the detail determines them (by the
indicator grid, :class:`workbench.indicators.Grid`) and are NaN elsewhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.indicators._grid import Grid
from workbench.indicators.catalogue import Term
from workbench.vocabulary import MAX_AGE, SEXES

AGE_GROUPS: dict[str, tuple[int, int]] = {
    "0 bis 5": (0, 5),
    "6 bis 17": (6, 17),
    "18 bis 29": (18, 29),
    "30 bis 49": (30, 49),
    "50 bis 64": (50, 64),
    "65 bis 79": (65, 79),
    "80 und älter": (80, 100),
}
"""Standard age groups of the Bevölkerung chapter (inclusive bounds, 100 = 100 and older)."""

STRUCTURE: dict[str, Term] = {
    "under_18": Term("population", age_min=0, age_max=17),
    "over_65": Term("population", age_min=65),
    "foreign": Term("population", nationality="nichtdeutsch"),
}
"""The structure counts of :func:`structure_counts` (residents under 18, 65 and older, nichtdeutsch)."""


def group_label(lo: int, hi: int) -> str:
    """German label of an age group as in :data:`AGE_GROUPS`: „0 bis 5“, „80 und älter“."""
    return f"{lo} und älter" if hi >= MAX_AGE else f"{lo} bis {hi}"


def _level_of(keys: pd.DataFrame, level: str) -> pd.Series:
    """Area id → unit id at ``level`` ("sozialraum", "stadtbezirk", "stadt")."""
    areas = keys.drop_duplicates("area_id").set_index("area_id")
    if level == "sozialraum":
        return pd.Series(areas.index, index=areas.index)
    if level == "stadtbezirk":
        return areas["district_id"]
    if level == "stadt":
        return pd.Series("stadt", index=areas.index)
    raise ValueError(f"unknown level {level!r}")


def _sum_up(frame: pd.DataFrame, keys: pd.DataFrame, level: str) -> pd.DataFrame:
    """Area rows summed to ``level`` (index unit_id); a unit with an unknown (NaN) part is NaN, never a sum of
    the known parts."""
    units = _level_of(keys, level).reindex(frame.index)
    sums = frame.fillna(0).groupby(units.to_numpy()).sum()
    unknown = frame.isna().groupby(units.to_numpy()).any()
    return sums.mask(unknown).rename_axis("unit_id")


def structure_counts(
    population: pd.DataFrame,
    keys: pd.DataFrame,
    year: int,
    level: str = "sozialraum",
    age_groups: pd.DataFrame | None = None,
    terms: dict[str, Term] | None = None,
) -> pd.DataFrame:
    """Residents per unit at ``level`` in ``year`` matching each population filter of ``terms`` (default
    :data:`STRUCTURE`: under 18, 65 and older, nichtdeutsch); index unit_id, one column per term.

    NaN where the population's detail does not determine a filter (totals only, age groups without that age
    boundary, no breakdown by nationality; ``age_groups``: ``population_age_groups.parquet``).
    """
    terms = STRUCTURE if terms is None else terms
    cur = population[population["year"] == year]
    groups = None if age_groups is None else age_groups[age_groups["year"] == year]
    area_ids = pd.Index(keys["area_id"].astype(str).drop_duplicates())
    grid = Grid(cur, None, pd.DataFrame({"area_id": area_ids}), [], age_groups=groups)
    frame = pd.DataFrame({name: grid.population(term)[:, 0] for name, term in terms.items()}, index=area_ids)
    return _sum_up(frame, keys, level)


def age_group_labels(ages: pd.Series, groups: dict[str, tuple[int, int]] = AGE_GROUPS) -> pd.Series:
    """Map single years of age to the labels of ``groups`` (ordered categorical)."""
    edges = [lo for lo, _ in groups.values()] + [list(groups.values())[-1][1] + 1]
    return pd.cut(ages, bins=edges, right=False, labels=list(groups))


def totals(population: pd.DataFrame, keys: pd.DataFrame, level: str = "sozialraum") -> pd.DataFrame:
    """Population per unit and year at ``level`` ("sozialraum", "stadtbezirk", "stadt")."""
    pop = population.groupby(["area_id", "year"], as_index=False)["count"].sum()
    if level == "sozialraum":
        return pop.rename(columns={"area_id": "unit_id"})
    if level == "stadtbezirk":
        m = keys.drop_duplicates("area_id").set_index("area_id")["district_id"]
        pop["unit_id"] = pop["area_id"].map(m)
    elif level == "stadt":
        pop["unit_id"] = "stadt"
    else:
        raise ValueError(f"unknown level {level!r}")
    return pop.groupby(["unit_id", "year"], as_index=False)["count"].sum()


def change_table(
    population: pd.DataFrame,
    keys: pd.DataFrame,
    year: int,
    level: str = "sozialraum",
    span: int = 5,
    age_groups: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Population at ``year`` and its change against 1 and ``span`` years before (absolute and in %).

    Columns: unit_id, population, change_1y, change_1y_pct, change_span, change_span_pct, under_18_pct,
    over_65_pct, foreign_pct (shares in % of the population at ``year``; NaN where the population's detail
    does not determine them, see :func:`structure_counts`).
    """
    tot = totals(population, keys, level).pivot(index="unit_id", columns="year", values="count")
    out = pd.DataFrame({"population": tot[year]})
    for lag, name in ((1, "1y"), (span, "span")):
        if year - lag in tot.columns:
            out[f"change_{name}"] = tot[year] - tot[year - lag]
            out[f"change_{name}_pct"] = 100 * out[f"change_{name}"] / tot[year - lag]
        else:
            out[f"change_{name}"] = np.nan
            out[f"change_{name}_pct"] = np.nan
    structure = structure_counts(population, keys, year, level, age_groups).reindex(out.index)
    for name in STRUCTURE:
        out[f"{name}_pct"] = 100 * structure[name] / out["population"]
    return out.reset_index()


def age_group_counts(
    population: pd.DataFrame,
    year: int,
    age_groups: pd.DataFrame | None = None,
    groups: dict[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Residents per Sozialraum (rows, area_id) and age group (columns, labels) in ``year``.

    Single years of age are grouped into ``groups`` (default :data:`AGE_GROUPS`); a year with age groups
    (``age_groups``, ``population_age_groups.parquet``) keeps its own groups (labels of :func:`group_label`),
    ``groups`` being ignored. Empty frame for a year with totals only.
    """
    if age_groups is not None and (age_groups["year"] == year).any():
        cur = age_groups[age_groups["year"] == year]
        bounds = cur[["age_from", "age_to"]].drop_duplicates().sort_values(["age_from", "age_to"])
        labels = [group_label(int(lo), int(hi)) for lo, hi in bounds.itertuples(index=False)]
        wide = cur.assign(
            group=[
                group_label(int(lo), int(hi)) for lo, hi in zip(cur["age_from"], cur["age_to"], strict=True)
            ]
        )
        wide = wide.pivot_table(index="area_id", columns="group", values="count", aggfunc="sum")
        return wide.reindex(columns=labels).fillna(0)
    groups = AGE_GROUPS if groups is None else groups
    cur = population[(population["year"] == year) & (population["age"] >= 0)].copy()
    if cur.empty:
        return pd.DataFrame(columns=list(groups), dtype="float64")
    cur["group"] = age_group_labels(cur["age"], groups)
    wide = cur.pivot_table(index="area_id", columns="group", values="count", aggfunc="sum", observed=False)
    return wide.reindex(columns=list(groups)).fillna(0)


def single_years(population: pd.DataFrame) -> pd.DataFrame:
    """The rows by single year of age and sex (what projection and pyramid use): without the all-ages rows
    (``age = -1``) and the rows without a breakdown by sex of a population by mapping; unchanged for a register
    extract."""
    fine = (population["age"] >= 0) & population["sex"].isin(SEXES)
    return population if bool(fine.all()) else population[fine]


def pyramid_frame(population: pd.DataFrame, year: int, area_ids: list[str] | None = None) -> pd.DataFrame:
    """Counts by sex and single year of age for ``year`` (all areas, or the given ones): age, sex, count."""
    pop = population[population["year"] == year]
    if area_ids is not None:
        pop = pop[pop["area_id"].isin(area_ids)]
    return pop.groupby(["age", "sex"], as_index=False)["count"].sum()
