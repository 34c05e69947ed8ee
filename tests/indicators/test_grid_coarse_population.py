"""The indicator grid on a population coarser than single years by sex and nationality (population by mapping:
totals, age groups, several details across years). A population filter is computed only where the data present
determine it exactly; elsewhere the value is NaN — never the total in place of an age range.

All inputs are small hand-made processed tables; the right values are worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import DataValidationError
from workbench.indicators import Grid, Term, compute, hierarchy, parse_catalogue
from workbench.indicators.population import change_table, structure_counts
from workbench.vocabulary import AGE_ALL, ALL

KEYS = pd.DataFrame(
    {
        "area_id": ["01", "02"],
        "area_name": ["Altstadt", "Neustadt"],
        "district_id": ["1", "1"],
        "district_name": ["Mitte", "Mitte"],
    }
)
AREAS = hierarchy(KEYS)


def _entry(ind_id: str, numerator: dict, denominator: dict) -> dict:
    return {
        "id": ind_id,
        "label": ind_id,
        "definition": "Testindikator",
        "numerator": numerator,
        "denominator": denominator,
        "unit": "%",
        "multiplier": 100,
        "polarity": "hoch = schlecht",
        "method": "wilson",
        "topic": "soziale_lage",
        "source": "Test",
        "reference_date": "31.12.",
    }


CATALOGUE = parse_catalogue(
    [
        _entry("anteil_mh", {"measure": "migration_background"}, {"population": {}}),
        _entry("quote_u65", {"measure": "sgb2_rlb"}, {"population": {"age": [0, 64]}}),
        _entry("quote_u15", {"measure": "sgb2_rlb"}, {"population": {"age": [0, 14]}}),
    ]
)


def totals(year: int, counts: dict[str, int], sex: str = ALL) -> pd.DataFrame:
    """All-ages rows (age = -1) of one year."""
    return pd.DataFrame(
        {
            "area_id": list(counts),
            "year": year,
            "sex": sex,
            "age": AGE_ALL,
            "nationality": ALL,
            "count": list(counts.values()),
        }
    )


def groups(year: int, table: dict[str, dict[tuple[int, int], int]]) -> pd.DataFrame:
    rows = [
        (area, year, ALL, ALL, lo, hi, n)
        for area, by_group in table.items()
        for (lo, hi), n in by_group.items()
    ]
    return pd.DataFrame(
        rows, columns=["area_id", "year", "sex", "nationality", "age_from", "age_to", "count"]
    )


def counts(year: int, measure: str, values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_id": list(values),
            "year": year,
            "measure": measure,
            "value": list(values.values()),
            "suppressed": False,
        }
    )


# 2021 by the groups 0–5, 6–17, 18–64, 65 and older: Altstadt 60 + 140 + 600 + 200 = 1.000,
# Neustadt 20 + 60 + 250 + 70 = 400
GROUPS_2021 = {
    "01": {(0, 5): 60, (6, 17): 140, (18, 64): 600, (65, 100): 200},
    "02": {(0, 5): 20, (6, 17): 60, (18, 64): 250, (65, 100): 70},
}
COUNTS_2021 = pd.concat(
    [
        counts(2021, "migration_background", {"01": 250, "02": 40}),
        counts(2021, "sgb2_rlb", {"01": 80, "02": 30}),
    ],
    ignore_index=True,
)


def values(table: pd.DataFrame, indicator: str, level: str = "sozialraum") -> dict:
    sub = table[(table["indicator"] == indicator) & (table["level"] == level)]
    return {(u, int(y)): v for u, y, v in zip(sub["unit_id"], sub["year"], sub["value"], strict=True)}


def test_totals_give_whole_population_rates_and_nan_for_age_ranges():
    pop = totals(2021, {"01": 1000, "02": 400})
    table = compute(CATALOGUE, pop, COUNTS_2021, KEYS)
    # share of the whole population: 250 / 1.000 = 25 %, 40 / 400 = 10 %, city 290 / 1.400 = 20,714… %
    assert values(table, "anteil_mh") == {("01", 2021): 25.0, ("02", 2021): 10.0}
    assert values(table, "anteil_mh", "stadt")[("stadt", 2021)] == pytest.approx(100 * 290 / 1400)
    # 0–64 is unknown from totals: NaN at every level, never 80 / 1.000 (the total as denominator)
    for level in ("sozialraum", "stadtbezirk", "stadt"):
        sub = table[(table["indicator"] == "quote_u65") & (table["level"] == level)]
        assert sub["value"].isna().all() and sub["denominator"].isna().all()
        assert (sub["cmp_city"] == "nicht verglichen").all()


def test_age_groups_give_unions_of_groups_only():
    pop = totals(2021, {"01": 1000, "02": 400})
    grid = Grid(pop, None, AREAS, [], age_groups=groups(2021, GROUPS_2021))
    # 0–17 = 0–5 + 6–17: 60 + 140 = 200 and 20 + 60 = 80
    assert grid.population(Term("population", age_min=0, age_max=17)).tolist() == [[200.0], [80.0]]
    # 6 and older = 6–17 + 18–64 + 65+: 940 and 380
    assert grid.population(Term("population", age_min=6)).tolist() == [[940.0], [380.0]]
    # 0–14 cuts the group 6–17: not determined
    assert np.isnan(grid.population(Term("population", age_min=0, age_max=14))).all()
    # the whole population and 65+ as they are
    assert grid.population(Term("population")).tolist() == [[1000.0], [400.0]]
    assert grid.population(Term("population", age_min=65)).tolist() == [[200.0], [70.0]]
    # no breakdown by sex or nationality: unknown
    assert np.isnan(grid.population(Term("population", sex="w"))).all()
    assert np.isnan(grid.population(Term("population", nationality="nichtdeutsch"))).all()


def test_age_groups_in_compute():
    pop = totals(2021, {"01": 1000, "02": 400})
    table = compute(CATALOGUE, pop, COUNTS_2021, KEYS, age_groups=groups(2021, GROUPS_2021))
    # 0–64 = 0–5 + 6–17 + 18–64: 800 and 330; 80 / 800 = 10 %, 30 / 330 = 9,0909… %, city 110 / 1.130
    got = values(table, "quote_u65")
    assert got[("01", 2021)] == pytest.approx(10.0) and got[("02", 2021)] == pytest.approx(100 * 30 / 330)
    assert values(table, "quote_u65", "stadt")[("stadt", 2021)] == pytest.approx(100 * 110 / 1130)
    assert table.loc[table["indicator"] == "quote_u65", "denominator"].tolist()[:2] == [800.0, 330.0]
    assert table.loc[table["indicator"] == "quote_u15", "value"].isna().all()


def test_mixed_years():
    single = pd.DataFrame(
        [
            ("01", 2022, "m", 3, "deutsch", 10),
            ("01", 2022, "w", 10, "deutsch", 20),
            ("01", 2022, "m", 40, "nichtdeutsch", 500),
            ("01", 2022, "w", 70, "deutsch", 200),
            ("02", 2022, "w", 5, "deutsch", 4),
            ("02", 2022, "m", 30, "deutsch", 300),
        ],
        columns=["area_id", "year", "sex", "age", "nationality", "count"],
    )
    pop = pd.concat(
        [totals(2020, {"01": 950, "02": 380}), totals(2021, {"01": 1000, "02": 400}), single],
        ignore_index=True,
    )
    grid = Grid(pop, None, AREAS, [], age_groups=groups(2021, GROUPS_2021))
    under18 = grid.population(Term("population", age_min=0, age_max=17))
    # 2020 totals only: unknown; 2021 groups: 200 / 80; 2022 single years: 10 + 20 = 30 and 4
    assert np.isnan(under18[:, 0]).all() and under18[:, 1:].tolist() == [[200.0, 30.0], [80.0, 4.0]]
    assert grid.population(Term("population")).tolist() == [[950.0, 1000.0, 730.0], [380.0, 400.0, 304.0]]
    women = grid.population(Term("population", sex="w"))
    assert np.isnan(women[:, :2]).all() and women[:, 2].tolist() == [220.0, 4.0]

    cnt = pd.concat(
        [
            counts(2020, "sgb2_rlb", {"01": 70, "02": 20}),
            COUNTS_2021,
            counts(2022, "sgb2_rlb", {"01": 53, "02": 30}),
            counts(2020, "migration_background", {"01": 190, "02": 38}),
            counts(2022, "migration_background", {"01": 146, "02": 76}),
        ],
        ignore_index=True,
    )
    table = compute(
        CATALOGUE, pop, cnt, KEYS, indicators=["anteil_mh", "quote_u65"], age_groups=groups(2021, GROUPS_2021)
    )
    got = values(table, "quote_u65")
    # 2020: not computable; 2021: 80 / 800; 2022: 53 / (10 + 20 + 500) = 10 %, 30 / 304 = 9,868… %
    assert np.isnan(got[("01", 2020)]) and np.isnan(got[("02", 2020)])
    assert got[("01", 2021)] == pytest.approx(10.0)
    assert got[("01", 2022)] == pytest.approx(10.0) and got[("02", 2022)] == pytest.approx(100 * 30 / 304)
    # the whole population is known in every year: 190 / 950 = 20 %
    assert values(table, "anteil_mh")[("01", 2020)] == pytest.approx(20.0)


def test_breakdown_by_sex_without_ages():
    pop = pd.concat(
        [totals(2021, {"01": 480, "02": 190}, sex="m"), totals(2021, {"01": 520, "02": 210}, sex="w")],
        ignore_index=True,
    )
    grid = Grid(pop, None, AREAS, [])
    assert grid.population(Term("population", sex="w")).tolist() == [[520.0], [210.0]]
    assert grid.population(Term("population")).tolist() == [[1000.0], [400.0]]
    assert np.isnan(grid.population(Term("population", sex="w", age_min=15, age_max=44))).all()


def test_structure_counts_follow_the_detail():
    pop = totals(2021, {"01": 1000, "02": 400})
    s = structure_counts(pop, KEYS, 2021, age_groups=groups(2021, GROUPS_2021))
    # under 18 = 0–5 + 6–17; 65+ as given; nichtdeutsch unknown (no breakdown by nationality)
    assert s["under_18"].tolist() == [200.0, 80.0] and s["over_65"].tolist() == [200.0, 70.0]
    assert s["foreign"].isna().all()
    city = change_table(pop, KEYS, 2021, level="stadt", age_groups=groups(2021, GROUPS_2021)).iloc[0]
    assert city["population"] == 1400 and city["under_18_pct"] == pytest.approx(100 * 280 / 1400)
    assert np.isnan(city["foreign_pct"])
    only_totals = change_table(pop, KEYS, 2021)
    assert only_totals["under_18_pct"].isna().all()  # never 0 % or 100 %


def test_inconsistent_coarse_rows_are_refused():
    pop = totals(2021, {"01": 1000, "02": 400})
    wrong = groups(2021, {**GROUPS_2021, "01": {(0, 17): 200, (18, 64): 590, (65, 100): 200}})
    with pytest.raises(
        DataValidationError, match=r"Summe der Altersgruppen \(990\) ist nicht die Gesamtzahl \(1\.000\)"
    ):
        Grid(pop, None, AREAS, [], age_groups=wrong)
    gap = groups(2021, {**GROUPS_2021, "02": {(0, 5): 20, (18, 64): 310, (65, 100): 70}})
    with pytest.raises(DataValidationError, match="nicht lückenlos"):
        Grid(pop, None, AREAS, [], age_groups=gap)
    twice = pd.concat(
        [pop, pd.DataFrame([("01", 2021, "m", 30, "deutsch", 5)], columns=pop.columns)], ignore_index=True
    )
    with pytest.raises(DataValidationError, match="Sozialraum 01, Jahr 2021 überschneiden sich"):
        Grid(twice, None, AREAS, [])
    sexes = pd.concat([pop, totals(2021, {"01": 10}, sex="w")], ignore_index=True)
    with pytest.raises(DataValidationError, match="überschneiden sich"):
        Grid(sexes, None, AREAS, [])
    with pytest.raises(DataValidationError, match="ohne Gesamtzeile"):
        Grid(pop, None, AREAS, [], age_groups=groups(2021, GROUPS_2021).assign(year=2021, sex="w"))


def test_constants_agree_with_the_import():
    from workbench.io import importer

    assert (importer.AGE_ALL, importer.ALL) == (AGE_ALL, ALL)
