"""Tests of the cohort-component projection against hand-computed cases and a synthetic back-test."""

from __future__ import annotations

import doctest
import math
import time

import numpy as np
import pandas as pd
import pytest

import workbench.projection as proj
from workbench.errors import ConfigError, DataValidationError, WorkbenchError
from workbench.projection import (
    BOY_SHARE,
    N_AGES,
    Rates,
    Scenario,
    age_groups,
    backtest,
    estimate_rates,
    load_scenarios,
    project,
)
from workbench.projection._rates import _shrunk_ratio  # internal: tested directly

EVENTS = ["births", "deaths", "in_ext", "out_ext", "in_int", "out_int"]


def make_rates(n_areas: int = 1, **arrays: np.ndarray) -> Rates:
    """Rates with everything zero (no deaths, births or moves) unless given."""
    a = n_areas
    base = {
        "death_rate": np.zeros((2, N_AGES)),
        "smr": np.ones(a),
        "fertility_rate": np.zeros(N_AGES),
        "fertility_factor": np.ones(a),
        "out_ext_rate": np.zeros((a, 2, N_AGES)),
        "in_ext": np.zeros((a, 2, N_AGES)),
        "out_int_rate": np.zeros((a, 2, N_AGES)),
        "in_int_share": np.full((a, 2, N_AGES), 1.0 / a),
        "in_profile": np.full((2, N_AGES), 1.0 / (2 * N_AGES)),
    }
    base.update(arrays)
    areas = tuple(f"{i + 1:04d}" for i in range(a))
    return Rates(areas=areas, base_years=(2024,), **base)


def pop_frame(cells: dict[tuple[str, str, int], float]) -> pd.DataFrame:
    """Long population table from {(area, sex, age): count}."""
    rows = [(a, s, age, n) for (a, s, age), n in cells.items()]
    return pd.DataFrame(rows, columns=["area_id", "sex", "age", "count"])


def cell(out: pd.DataFrame, year: int, area: str, sex: str, age: int) -> float:
    sel = out[(out.year == year) & (out.area_id == area) & (out.sex == sex) & (out.age == age)]
    assert len(sel) == 1
    return float(sel["count"].iloc[0])


def area_total(out: pd.DataFrame, year: int, area: str) -> float:
    return float(out[(out.year == year) & (out.area_id == area)]["count"].sum())


# ----------------------------------------------------------------------------------------------------------
# projection step, hand-computed


def test_ageing_and_deaths_exact() -> None:
    q = np.zeros((2, N_AGES))
    q[0, 11], q[0, 12], q[0, 13] = 0.1, 0.2, 0.3
    rates = make_rates(death_rate=q)
    base = pop_frame({("0001", "m", 10): 100, ("0001", "m", 11): 200, ("0001", "m", 12): 300})
    out = project(base, rates, 2024, horizon=2)
    assert cell(out, 2024, "0001", "m", 10) == 100  # base year included unchanged
    assert cell(out, 2025, "0001", "m", 11) == pytest.approx(90)
    assert cell(out, 2025, "0001", "m", 12) == pytest.approx(160)
    assert cell(out, 2025, "0001", "m", 13) == pytest.approx(210)
    assert cell(out, 2025, "0001", "m", 10) == 0
    assert cell(out, 2026, "0001", "m", 12) == pytest.approx(72)  # 100 · 0.9 · 0.8
    assert cell(out, 2026, "0001", "m", 13) == pytest.approx(112)  # 200 · 0.8 · 0.7
    assert cell(out, 2026, "0001", "m", 14) == pytest.approx(210)  # 300 · 0.7 · 1
    assert area_total(out, 2026, "0001") == pytest.approx(394)
    assert len(out) == 3 * 2 * N_AGES
    assert list(out.columns) == ["area_id", "year", "sex", "age", "count"]


def test_area_smr_scales_death_rate() -> None:
    q = np.zeros((2, N_AGES))
    q[1, 51] = 0.1
    rates = make_rates(2, death_rate=q, smr=np.array([0.5, 2.0]))
    base = pop_frame({("0001", "w", 50): 1000, ("0002", "w", 50): 1000})
    out = project(base, rates, 2024, horizon=1)
    assert cell(out, 2025, "0001", "w", 51) == pytest.approx(950)
    assert cell(out, 2025, "0002", "w", 51) == pytest.approx(800)


def test_births_from_fertility_rate_and_sex_ratio() -> None:
    f = np.zeros(N_AGES)
    f[31] = 0.05  # women aged 30 at 31.12.2024 are 31 at 31.12.2025
    q = np.zeros((2, N_AGES))
    q[:, 0] = 0.01  # infant mortality applies to the newborn cohort
    rates = make_rates(2, fertility_rate=f, fertility_factor=np.array([1.0, 1.2]), death_rate=q)
    base = pop_frame({("0001", "w", 30): 1000, ("0002", "w", 30): 1000, ("0001", "m", 30): 1000})
    out, comp = project(base, rates, 2024, horizon=1, return_components=True)
    assert BOY_SHARE == pytest.approx(105 / 205)
    assert cell(out, 2025, "0001", "m", 0) == pytest.approx(50 * 105 / 205 * 0.99)
    assert cell(out, 2025, "0001", "w", 0) == pytest.approx(50 * 100 / 205 * 0.99)
    assert cell(out, 2025, "0002", "m", 0) == pytest.approx(60 * 105 / 205 * 0.99)
    assert comp.set_index("area_id")["births"].to_dict() == pytest.approx({"0001": 50.0, "0002": 60.0})
    assert comp["deaths"].sum() == pytest.approx(110 * 0.01)


def test_open_age_group_100() -> None:
    q = np.zeros((2, N_AGES))
    q[0, 100] = 0.5
    q[0, 99] = 0.25
    rates = make_rates(death_rate=q)
    base = pop_frame({("0001", "m", 98): 8, ("0001", "m", 99): 10, ("0001", "m", 100): 20})
    out = project(base, rates, 2024, horizon=2)
    assert cell(out, 2025, "0001", "m", 99) == pytest.approx(6)  # 8 · 0.75
    assert cell(out, 2025, "0001", "m", 100) == pytest.approx(15)  # (10 + 20) · 0.5
    assert cell(out, 2026, "0001", "m", 100) == pytest.approx((6 + 15) * 0.5)


def test_external_in_and_out_migration() -> None:
    o = np.zeros((1, 2, N_AGES))
    o[0, 0, 21] = 0.1
    i = np.zeros((1, 2, N_AGES))
    i[0, 0, 21] = 5
    i[0, 1, 0] = 2  # in-migrating infants
    rates = make_rates(out_ext_rate=o, in_ext=i)
    base = pop_frame({("0001", "m", 20): 100})
    out, comp = project(base, rates, 2024, horizon=1, return_components=True)
    assert cell(out, 2025, "0001", "m", 21) == pytest.approx(100 - 10 + 5)
    assert cell(out, 2025, "0001", "w", 0) == pytest.approx(2)
    assert comp["out_ext"].iloc[0] == pytest.approx(10)
    assert comp["in_ext"].iloc[0] == pytest.approx(7)


def test_internal_moves_hand_case_and_conservation() -> None:
    o = np.zeros((2, 2, N_AGES))
    o[0] = 0.1  # area 1 loses 10 % to internal moves, all go to area 2
    share = np.zeros((2, 2, N_AGES))
    share[1] = 1.0
    rates = make_rates(2, out_int_rate=o, in_int_share=share)
    base = pop_frame({("0001", "w", 40): 1000, ("0002", "w", 40): 500})
    out = project(base, rates, 2024, horizon=1)
    assert cell(out, 2025, "0001", "w", 41) == pytest.approx(900)
    assert cell(out, 2025, "0002", "w", 41) == pytest.approx(600)

    rng = np.random.default_rng(1)
    n = 6
    share = rng.random((n, 2, N_AGES))
    share /= share.sum(axis=0)
    rates = make_rates(n, out_int_rate=rng.uniform(0, 0.2, (n, 2, N_AGES)), in_int_share=share)
    cells = {
        (f"{a + 1:04d}", s, age): float(rng.integers(0, 50))
        for a in range(n)
        for s in "mw"
        for age in range(99)
    }
    out, comp = project(pop_frame(cells), rates, 2024, horizon=5, return_components=True)
    start = sum(cells.values())
    for year in range(2025, 2030):
        assert out[out.year == year]["count"].sum() == pytest.approx(start, rel=1e-12)
        by_year = comp[comp.year == year]
        assert by_year["in_int"].sum() == pytest.approx(by_year["out_int"].sum(), rel=1e-12)
        assert by_year["out_int"].sum() > 0
    # per sex × age too: ages shift, but each sex's total is conserved (nobody reaches the open group twice)
    assert out[(out.year == 2029) & (out.sex == "w")]["count"].sum() == pytest.approx(
        sum(v for (a, s, age), v in cells.items() if s == "w")
    )


def test_control_total_scaling() -> None:
    f = np.zeros(N_AGES)
    f[20:40] = 0.06
    rates = make_rates(2, fertility_rate=f, fertility_factor=np.array([1.0, 0.5]))
    cells = {(a, s, age): 100.0 for a in ("0001", "0002") for s in "mw" for age in range(0, 60)}
    free = project(pop_frame(cells), rates, 2024, horizon=3)
    control = pd.Series({2025: 25000.0, 2026: 26000.0, 2030: 1.0})  # 2030 lies beyond the horizon: ignored
    ctl = project(pop_frame(cells), rates, 2024, horizon=3, control_total=control)
    assert ctl[ctl.year == 2025]["count"].sum() == pytest.approx(25000)
    assert ctl[ctl.year == 2026]["count"].sum() == pytest.approx(26000)
    # first controlled year: every cell scaled by the same factor control / free total
    factor = 25000 / free[free.year == 2025]["count"].sum()
    np.testing.assert_allclose(
        ctl[ctl.year == 2025]["count"].to_numpy(), free[free.year == 2025]["count"].to_numpy() * factor
    )
    # 2027 has no control value: projected on from the scaled 2026 population (births of 2027 added)
    births_2027 = 0.06 * sum(
        cell(ctl, 2026, a, "w", age) * ff for a, ff in (("0001", 1.0), ("0002", 0.5)) for age in range(19, 39)
    )
    assert ctl[ctl.year == 2027]["count"].sum() == pytest.approx(26000 + births_2027)
    with pytest.raises(ConfigError, match="Eckwert"):
        project(pop_frame(cells), rates, 2024, horizon=2, control_total={2025: -5})


# ----------------------------------------------------------------------------------------------------------
# scenarios


def _scenario_base() -> tuple[Rates, pd.DataFrame]:
    q = np.full((2, N_AGES), 0.01)
    f = np.zeros(N_AGES)
    f[25:35] = 0.08
    o = np.full((2, 2, N_AGES), 0.05)
    i = np.full((2, 2, N_AGES), 1.0)
    profile = np.zeros((2, N_AGES))
    profile[:, 30] = 0.5
    rates = make_rates(2, death_rate=q, fertility_rate=f, out_ext_rate=o, in_ext=i, in_profile=profile)
    cells = {(a, s, age): 100.0 for a in ("0001", "0002") for s in "mw" for age in range(80)}
    return rates, pop_frame(cells)


def test_scenario_factors_change_components_by_expected_amount() -> None:
    rates, base = _scenario_base()
    _, sq = project(base, rates, 2024, horizon=1, return_components=True)
    sq = sq.set_index("area_id")
    scen = Scenario(
        name="mehr",
        label_de="Mehr",
        fertility_factor=1.1,
        mortality_factor=2.0,
        in_migration_factor=0.5,
        out_migration_factor=1.5,
    )
    _, alt = project(base, rates, 2024, horizon=1, scenario=scen, return_components=True)
    alt = alt.set_index("area_id")
    np.testing.assert_allclose(alt["births"], sq["births"] * 1.1)
    np.testing.assert_allclose(alt["in_ext"], sq["in_ext"] * 0.5)
    # age 0 is at risk too: 10 % more births mean 10 % more newborns exposed to death and out-migration
    extra_newborns = 0.1 * sq["births"]
    np.testing.assert_allclose(alt["out_ext"], 1.5 * (sq["out_ext"] + 0.05 * extra_newborns))
    np.testing.assert_allclose(alt["deaths"], 2.0 * (sq["deaths"] + 0.01 * extra_newborns))


def test_scenario_direction_over_horizon_and_extra_in_migrants() -> None:
    rates, base = _scenario_base()
    sq = project(base, rates, 2024, horizon=10)
    total = lambda df, y: df[df.year == y]["count"].sum()  # noqa: E731
    for kwargs, sign in [
        ({"fertility_factor": 1.2}, 1),
        ({"mortality_factor": 1.5}, -1),
        ({"in_migration_factor": 2.0}, 1),
        ({"out_migration_factor": 0.5}, 1),
    ]:
        alt = project(base, rates, 2024, horizon=10, scenario=Scenario(name="x", **kwargs))
        assert np.sign(total(alt, 2034) - total(sq, 2034)) == sign, kwargs
    scen = Scenario(
        name="neubau", extra_in_migrants={"0002": 100}, extra_first_year=2026, extra_last_year=2027
    )
    alt, comp = project(base, rates, 2024, horizon=3, scenario=scen, return_components=True)
    assert area_total(alt, 2025, "0002") == pytest.approx(area_total(sq, 2025, "0002"))
    # year of arrival: exactly +100 in area 0002 (distributed by the in-mover profile: 50 men, 50 women aged 30)
    assert area_total(alt, 2026, "0002") == pytest.approx(area_total(sq, 2026, "0002") + 100)
    assert cell(alt, 2026, "0002", "w", 30) == pytest.approx(cell(sq, 2026, "0002", "w", 30) + 50)
    assert area_total(alt, 2026, "0001") == pytest.approx(area_total(sq, 2026, "0001"))
    assert comp.groupby("year")["extra"].sum().to_dict() == pytest.approx({2025: 0, 2026: 100, 2027: 100})


def test_exit_rates_capped_at_one() -> None:
    q = np.full((2, N_AGES), 0.6)
    rates = make_rates(death_rate=q, out_ext_rate=np.full((1, 2, N_AGES), 0.6))
    base = pop_frame({("0001", "m", 30): 100})
    out = project(base, rates, 2024, horizon=1, scenario=Scenario(name="x", mortality_factor=1.0))
    assert cell(out, 2025, "0001", "m", 31) == pytest.approx(0)
    assert (out["count"] >= 0).all()


def test_load_scenarios() -> None:
    cfg = {
        "scenarios": [
            {"name": "neubau", "label_de": "Neubaugebiet Nord", "extra_in_migrants": {"0101": 250}},
            {"name": "geburten", "fertility_factor": 1.1},
        ]
    }
    scen = load_scenarios(cfg)
    assert [s.name for s in scen] == ["status_quo", "neubau", "geburten"]
    assert scen[0].label_de == "Status quo" and scen[0].fertility_factor == 1
    assert scen[1].extra_in_migrants == {"0101": 250.0}
    assert scen[2].label_de == "geburten"
    assert [s.name for s in load_scenarios({"scenarios": {"a": {"in_migration_factor": 0.8}}})] == [
        "status_quo",
        "a",
    ]
    assert [s.name for s in load_scenarios(None)] == ["status_quo"]
    with pytest.raises(ConfigError, match="unbekannte Schlüssel"):
        load_scenarios({"scenarios": [{"name": "a", "fertilty_factor": 1.1}]})
    with pytest.raises(ConfigError, match="≥ 0"):
        load_scenarios([{"name": "a", "mortality_factor": -1}])
    with pytest.raises(ConfigError, match="doppelt"):
        load_scenarios([{"name": "a"}, {"name": "a"}])
    with pytest.raises(ConfigError, match="name fehlt"):
        load_scenarios([{"label_de": "ohne Name"}])


# ----------------------------------------------------------------------------------------------------------
# rate estimation, hand-computed


def _tiny_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two areas, population at 31.12.2023 and events 2024, only a few non-zero cells."""
    pop = pd.DataFrame(
        [
            ("0001", 2023, "m", 59, "deutsch", 150),
            ("0001", 2023, "m", 59, "nichtdeutsch", 50),  # summed over nationality: 200 at risk at age 60
            ("0002", 2023, "m", 59, "deutsch", 300),
            ("0001", 2023, "w", 29, "deutsch", 400),
            ("0002", 2023, "w", 29, "deutsch", 100),
            ("0001", 2023, "w", 14, "deutsch", 50),
            ("0001", 2024, "m", 60, "deutsch", 190),
        ],
        columns=["area_id", "year", "sex", "age", "nationality", "count"],
    )
    ev = pd.DataFrame(
        [
            ("0001", 2024, "m", 60, 0, 10, 0, 4, 0, 6),
            ("0002", 2024, "m", 60, 0, 5, 3, 0, 2, 0),
            ("0001", 2024, "w", 30, 20, 0, 0, 0, 0, 0),
            ("0002", 2024, "w", 30, 10, 0, 0, 0, 4, 0),
            ("0001", 2024, "w", 15, 1, 0, 0, 0, 0, 0),
            ("0001", 2024, "w", 14, 1, 0, 0, 0, 0, 0),  # mother younger than 15: counted at 15
        ],
        columns=["area_id", "year", "sex", "age", *EVENTS],
    )
    return pop, ev


def test_estimate_rates_hand_values() -> None:
    pop, ev = _tiny_data()
    r = estimate_rates(pop, ev, [2024], smoothing="none", shrinkage=0)
    assert r.areas == ("0001", "0002")
    assert r.death_rate[0, 60] == pytest.approx(15 / 500)
    assert r.fertility_rate[30] == pytest.approx(30 / 500)
    assert r.fertility_rate[15] == pytest.approx(2 / 50)
    assert r.fertility_rate[14] == 0
    # expected deaths 200 · 0.03 = 6 and 300 · 0.03 = 9; raw SMR with shrinkage 0
    np.testing.assert_allclose(r.smr, [10 / 6, 5 / 9])
    np.testing.assert_allclose(r.area_stats["deaths_expected"], [6, 9])
    np.testing.assert_allclose(r.fertility_factor, [22 / (24 + 2), 10 / 6])
    assert r.out_ext_rate[0, 0, 60] == pytest.approx(4 / 200)
    assert r.out_int_rate[0, 0, 60] == pytest.approx(6 / 200)
    assert r.in_ext[1, 0, 60] == pytest.approx(3)
    # internal destination shares: men 60 all to 0002; women 30 all to 0002; elsewhere area share of all in-moves
    assert r.in_int_share[1, 0, 60] == pytest.approx(1)
    assert r.in_int_share[:, 1, 50].tolist() == pytest.approx([0, 1])
    np.testing.assert_allclose(r.in_int_share.sum(axis=0), 1)
    # smoothed 5-year bands: 60–64 pooled: 4 events over 200 persons at risk (only age 60 populated)
    rb = estimate_rates(pop, ev, [2024], smoothing="band5", shrinkage=0)
    assert rb.out_ext_rate[0, 0, 62] == pytest.approx(4 / 200)
    assert rb.in_ext[1, 0, 64] == pytest.approx(3 / 5)
    assert rb.in_ext[1].sum() == pytest.approx(3)
    rk = estimate_rates(pop, ev, [2024], smoothing="kernel", shrinkage=0)
    assert rk.in_ext[1].sum() == pytest.approx(3)
    assert rk.in_ext[1, 0, 62] == pytest.approx(3 / 9)
    # age 0 at risk = births of the year split 105:100 (no infant deaths here, so rate 0)
    assert r.death_rate[:, 0].tolist() == [0, 0]


def test_shrinkage_method_of_moments_hand_case() -> None:
    # O = (10, 30), E = (20, 20): m = 1, s² = (20·0.25 + 20·0.25)/40 − 1/20 = 0.2, k = 5
    ratio, k = _shrunk_ratio(np.array([10.0, 30.0]), np.array([20.0, 20.0]), "auto")
    assert k == pytest.approx(5)
    np.testing.assert_allclose(ratio, [15 / 25, 35 / 25])
    # no variation beyond Poisson noise → every area gets the city ratio
    ratio, k = _shrunk_ratio(np.array([19.0, 21.0]), np.array([20.0, 20.0]), "auto")
    assert math.isinf(k)
    np.testing.assert_allclose(ratio, [1, 1])
    ratio, _ = _shrunk_ratio(np.array([10.0, 30.0]), np.array([20.0, 20.0]), 10)
    np.testing.assert_allclose(ratio, [20 / 30, 40 / 30])
    # shrunk ratios always lie between the raw ratio and the city mean
    pop, ev = _tiny_data()
    r = estimate_rates(pop, ev, [2024], shrinkage=3)
    np.testing.assert_allclose(r.smr, [(10 + 3) / (6 + 3), (5 + 3) / (9 + 3)])


# ----------------------------------------------------------------------------------------------------------
# back-test on a synthetic population built from known rates (independent generator, per-cell loop)


def _synthetic(
    n_areas: int = 3, years: range = range(2015, 2025), rounding: bool = False, scale: float = 1.0
):
    rng = np.random.default_rng(7)
    ages = np.arange(N_AGES)
    q = np.vstack([0.0005 + 0.00002 * np.exp(0.1 * ages), 0.0004 + 0.00001 * np.exp(0.1 * ages)])
    q = np.minimum(q, 0.6)
    asfr = np.where((ages >= 15) & (ages <= 49), 0.09 * np.exp(-(((ages - 31) / 6.0) ** 2)), 0.0)
    band = np.minimum(ages // 5, 19)
    o_ext = rng.uniform(0.01, 0.05, (n_areas, 2, 20))[..., band]
    o_int = rng.uniform(0.02, 0.08, (n_areas, 2, 20))[..., band]
    i_ext = rng.uniform(0, 6, (n_areas, 2, 20))[..., band] * scale
    share = rng.uniform(0.5, 1.5, (n_areas, 2, 20))[..., band]
    share /= share.sum(axis=0)
    pop = rng.uniform(40, 120, (n_areas, 2, N_AGES)) * scale
    areas = [f"{i + 1:02d}01" for i in range(n_areas)]
    pop_rows, ev_rows = [], []

    def emit_pop(year, p):
        for a in range(n_areas):
            for s in range(2):
                for age in range(N_AGES):
                    pop_rows.append((areas[a], year, "mw"[s], age, p[a, s, age]))

    emit_pop(years[0], pop)
    for year in years[1:]:
        risk = np.zeros_like(pop)
        for age in range(1, N_AGES):
            risk[:, :, age] = pop[:, :, age - 1]
        risk[:, :, 100] += pop[:, :, 100]
        births_by_age = risk[:, 1, :] * asfr
        births = births_by_age.sum(axis=1)
        risk[:, 0, 0], risk[:, 1, 0] = births * 105 / 205, births * 100 / 205
        deaths, oe, oi = risk * q, risk * o_ext, risk * o_int
        ii = share * oi.sum(axis=0)
        new = risk - deaths - oe - oi + i_ext + ii
        if rounding:
            new = np.round(new)
        for a in range(n_areas):
            for s in range(2):
                for age in range(N_AGES):
                    b = births_by_age[a, age] if s == 1 else 0.0
                    row = (
                        b,
                        deaths[a, s, age],
                        i_ext[a, s, age],
                        oe[a, s, age],
                        ii[a, s, age],
                        oi[a, s, age],
                    )
                    if rounding:
                        row = tuple(np.round(row))
                    ev_rows.append((areas[a], year, "mw"[s], age, *row))
        emit_pop(year, new)
        pop = new
    population = pd.DataFrame(pop_rows, columns=["area_id", "year", "sex", "age", "count"])
    population["nationality"] = "deutsch"
    events = pd.DataFrame(ev_rows, columns=["area_id", "year", "sex", "age", *EVENTS])
    return population, events


def test_backtest_synthetic_exact() -> None:
    population, events = _synthetic()
    per_area, city = backtest(population, events, base_year=2020, target_year=2024, base_years=3)
    assert city["base_years"] == [2018, 2019, 2020]
    assert list(per_area.columns) == ["area_id", "observed", "projected", "error", "ape"]
    assert per_area["ape"].max() < 1e-8
    assert city["mape"] < 1e-8 and abs(city["error"]) < 1e-6
    assert city["observed"] == pytest.approx(population[population.year == 2024]["count"].sum())
    # the rates the back-test used are the generating ones
    r = estimate_rates(population, events, [2019, 2020])
    np.testing.assert_allclose(r.smr, 1)
    np.testing.assert_allclose(r.fertility_factor, 1)
    ages = np.arange(N_AGES)
    np.testing.assert_allclose(
        r.death_rate[0, 1:], np.minimum(0.0005 + 0.00002 * np.exp(0.1 * ages), 0.6)[1:]
    )


def test_backtest_rounded_counts_small_error() -> None:
    population, events = _synthetic(n_areas=2, years=range(2018, 2024), rounding=True, scale=10)
    per_area, city = backtest(population, events, base_year=2020, target_year=2023, base_years=5)
    assert city["base_years"] == [2019, 2020]  # 2016–2018 have no previous-year population
    assert city["mape"] < 0.5
    assert city["ape"] < 0.5
    assert city["median_ape"] == pytest.approx(per_area["ape"].median())


# ----------------------------------------------------------------------------------------------------------
# errors


def test_errors_name_table_column_year() -> None:
    pop, ev = _tiny_data()
    with pytest.raises(DataValidationError, match=r"population.*31\.12\.2022"):
        estimate_rates(pop, ev, [2023, 2024])
    with pytest.raises(DataValidationError, match="events.*2025"):
        estimate_rates(pd.concat([pop, pop.assign(year=pop.year + 1)]), ev, [2025])
    with pytest.raises(DataValidationError, match="count.*negative"):
        estimate_rates(pop.assign(count=pop["count"] - 100), ev, [2024])
    with pytest.raises(DataValidationError, match="deaths.*negative"):
        estimate_rates(pop, ev.assign(deaths=-1), [2024])
    with pytest.raises(DataValidationError, match="events.*area_id.*9999"):
        estimate_rates(pop, pd.concat([ev, ev.head(1).assign(area_id="9999")]), [2024])
    with pytest.raises(DataValidationError, match="Spalte\\(n\\) out_int"):
        estimate_rates(pop, ev.drop(columns="out_int"), [2024])
    with pytest.raises(DataValidationError, match="Geschlecht"):
        estimate_rates(pop.assign(sex="x"), ev, [2024])
    with pytest.raises(DataValidationError, match="Alter 101"):
        estimate_rates(pop.assign(age=101), ev, [2024])
    with pytest.raises(DataValidationError, match="Geburten in Zeilen von Männern"):
        estimate_rates(pop, ev.assign(births=1), [2024])
    with pytest.raises(ConfigError, match="Glättung"):
        estimate_rates(pop, ev, [2024], smoothing="loess")
    with pytest.raises(ConfigError, match="Basisjahre"):
        estimate_rates(pop, ev, [])
    rates = estimate_rates(pop, ev, [2024])
    with pytest.raises(DataValidationError, match="ohne geschätzte Raten"):
        project(pop_frame({("7777", "m", 3): 1}), rates, 2024)
    with pytest.raises(DataValidationError, match="31.12.2030"):
        project(pop, rates, 2030)
    with pytest.raises(ConfigError, match="horizon"):
        project(pop, rates, 2024, horizon=0)
    with pytest.raises(ConfigError, match="extra_in_migrants"):
        project(pop, rates, 2024, scenario=Scenario(name="x", extra_in_migrants={"7777": 5}))
    with pytest.raises(ConfigError, match="Zieljahr"):
        backtest(pop, ev, 2024, 2023)
    with pytest.raises(DataValidationError, match="Zieljahr"):
        backtest(pop, ev, 2024, 2026)
    # every error is a WorkbenchError with German text and a location
    try:
        estimate_rates(pop, ev.assign(deaths=-1), [2024])
    except WorkbenchError as exc:
        assert exc.where and "Tabelle events" in exc.where and "Zeile" in exc.where


# ----------------------------------------------------------------------------------------------------------
# helpers, doc example, speed


def test_age_groups() -> None:
    df = pd.DataFrame({"area_id": "0001", "year": 2025, "sex": "w", "age": np.arange(N_AGES), "count": 1.0})
    out = age_groups(df)
    assert out["age_group"].astype(str).tolist() == [
        "0–2", "3–5", "6–9", "10–17", "18–24", "25–44", "45–64", "65–79", "80+",
    ]  # fmt: skip
    assert out["count"].tolist() == [3, 3, 4, 8, 7, 20, 20, 15, 21]
    assert out["age_group"].cat.ordered
    assert age_groups(df, [0, 1, 100])["age_group"].astype(str).tolist() == ["0", "1–99", "100+"]
    with pytest.raises(ConfigError, match="Altersgruppen"):
        age_groups(df, [3, 6])
    with pytest.raises(ConfigError, match="Altersgruppen"):
        age_groups(df, [0, 10, 5])


def test_module_docstring_example() -> None:
    result = doctest.testmod(proj, verbose=False)
    assert result.attempted >= 8 and result.failed == 0


def test_speed_1000_areas_15_years() -> None:
    n = 1000
    rng = np.random.default_rng(3)
    share = rng.random((n, 2, N_AGES))
    share /= share.sum(axis=0)
    f = np.zeros(N_AGES)
    f[15:50] = 0.04
    rates = make_rates(
        n,
        death_rate=np.full((2, N_AGES), 0.01),
        fertility_rate=f,
        out_ext_rate=rng.uniform(0, 0.1, (n, 2, N_AGES)),
        out_int_rate=rng.uniform(0, 0.1, (n, 2, N_AGES)),
        in_ext=rng.uniform(0, 2, (n, 2, N_AGES)),
        in_int_share=share,
    )
    base = pd.DataFrame(
        {
            "area_id": np.repeat(rates.areas, 2 * N_AGES),
            "sex": np.tile(np.repeat(["m", "w"], N_AGES), n),
            "age": np.tile(np.arange(N_AGES), 2 * n),
            "count": rng.integers(0, 80, 2 * N_AGES * n),
        }
    )
    t0 = time.perf_counter()
    out = project(base, rates, 2024, horizon=15)
    elapsed = time.perf_counter() - t0
    assert len(out) == n * 2 * N_AGES * 16
    assert elapsed < 10


def test_duplicate_rows_rejected() -> None:
    pop, ev = _tiny_data()
    with pytest.raises(DataValidationError, match="doppelt.*area_id=0001"):
        estimate_rates(pd.concat([pop, pop.head(1)]), ev, [2024])
    with pytest.raises(DataValidationError, match="events.*doppelt"):
        estimate_rates(pop, pd.concat([ev, ev.head(1)]), [2024])


def test_load_scenarios_extra_in_migrants_forms() -> None:
    scen = load_scenarios({"scenarios": [{"name": "leer", "extra_in_migrants": None}]})
    assert scen[1].extra_in_migrants == {}
    with pytest.raises(ConfigError, match="Zuordnung Gebiet"):
        load_scenarios({"scenarios": [{"name": "liste", "extra_in_migrants": [100]}]})
    with pytest.raises(ConfigError, match="extra_in_migrants\\['0101'\\]"):
        load_scenarios({"scenarios": [{"name": "neg", "extra_in_migrants": {"0101": -3}}]})


def _scenario_config():
    from workbench.projection.runs import load_projection_config

    return load_projection_config(
        {
            "scenarios": [
                {
                    "name": "demo_neubau",
                    "label_de": "Neubau",
                    "extra_in_migrants": {"0203": 150},
                    "demo_only": True,
                },
                {"name": "hafen", "label_de": "Hafen", "extra_in_migrants": {"01": 80, "7": 20, "9": 5}},
                {"name": "zuzug", "label_de": "Zuzug", "in_migration_factor": 1.2},
            ]
        }
    )


def test_scenarios_checked_against_the_areas_of_the_data() -> None:
    from workbench.projection.runs import for_report, scenario_checks

    cfg = _scenario_config()
    # a city's own data (no demo): the demo scenario is left out, the unknown areas 7 and 9 are an error
    own = {c.name: c for c in scenario_checks(cfg, ["01", "02", "03"], demo=False)}
    assert list(own) == ["demo_neubau", "hafen", "zuzug"]
    assert (own["demo_neubau"].use, own["demo_neubau"].error) == (False, False)
    assert own["demo_neubau"].key == "scenarios → demo_neubau → demo_only"
    assert own["demo_neubau"].problem == (
        "Szenario „Neubau“ gehört zur Demo-Stadt (demo_only: true) und wird für diesen Bericht nicht gerechnet"
    )
    assert (own["hafen"].use, own["hafen"].error) == (False, True)
    assert own["hafen"].key == "scenarios → hafen → extra_in_migrants"
    assert own["hafen"].problem == "unbekannte Sozialräume 7, 9 – die Daten haben 3 Sozialräume (01, 02, 03)"
    assert (own["zuzug"].use, own["zuzug"].error, own["zuzug"].problem) == (True, False, "")
    # the projection of such a city leaves out only the demo scenario; the error stays for the model to refuse
    assert [s.name for s in for_report(cfg, ["01", "02", "03"], demo=False).scenarios] == [
        "status_quo", "hafen", "zuzug",
    ]  # fmt: skip
    # a demo city whose areas include 0203 computes the demo scenario; one without it leaves it out
    ids = [f"{d:02d}{a:02d}" for d in range(1, 7) for a in range(1, 8)] + ["01", "7", "9"]
    demo = {c.name: c for c in scenario_checks(cfg, ids, demo=True)}
    assert demo["demo_neubau"].use and demo["hafen"].use
    big = [f"{d:03d}{a:02d}" for d in range(1, 144) for a in range(1, 8)][:1000]
    left = {c.name: c for c in scenario_checks(cfg, big, demo=True)}["demo_neubau"]
    assert (left.use, left.error) == (False, False)
    assert left.problem == (
        "Szenario „Neubau“ der Demo-Stadt nennt Sozialräume, die diese Demo-Stadt (1.000 Sozialräume) nicht hat "
        "(0203); es wird ausgelassen"
    )
    assert [s.name for s in for_report(cfg, big, demo=True).scenarios] == ["status_quo", "hafen", "zuzug"]
    assert for_report(cfg, ids, demo=True) is cfg  # nothing left out: the same config


def test_demo_only_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="demo_only muss true oder false sein, gefunden 'ja'"):
        load_scenarios({"scenarios": [{"name": "x", "demo_only": "ja"}]})
    assert load_scenarios({"scenarios": [{"name": "x"}]})[1].demo_only is False
