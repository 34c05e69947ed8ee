"""Population structure per area: totals, change, age groups, pyramid data (register counts at 31.12.)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    population: pd.DataFrame, keys: pd.DataFrame, year: int, level: str = "sozialraum", span: int = 5
) -> pd.DataFrame:
    """Population at ``year`` and its change against 1 and ``span`` years before (absolute and in %).

    Columns: unit_id, population, change_1y, change_1y_pct, change_span, change_span_pct, under_18_pct,
    over_65_pct, foreign_pct (shares in % of the population at ``year``).
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
    cur = population[population["year"] == year]
    for name, mask in (
        ("under_18", cur["age"] < 18),
        ("over_65", cur["age"] >= 65),
        ("foreign", cur["nationality"] == "nichtdeutsch"),
    ):
        sub = totals(cur[mask], keys, level).set_index("unit_id")["count"]
        out[f"{name}_pct"] = 100 * sub.reindex(out.index).fillna(0) / out["population"]
    return out.reset_index()


def pyramid_frame(population: pd.DataFrame, year: int, area_ids: list[str] | None = None) -> pd.DataFrame:
    """Counts by sex and single year of age for ``year`` (all areas, or the given ones): age, sex, count."""
    pop = population[population["year"] == year]
    if area_ids is not None:
        pop = pop[pop["area_id"].isin(area_ids)]
    return pop.groupby(["age", "sex"], as_index=False)["count"].sum()
