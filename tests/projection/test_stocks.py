"""Tests of the projection from stocks (Hamilton–Perry) and its back-test on small hand-checkable cases."""

from __future__ import annotations

import doctest
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import pytest

import workbench.projection as proj
from workbench.errors import ConfigError, DataValidationError
from workbench.projection import (
    _stocks,  # internal: graduation tested directly
    backtest_stocks,
    backtest_summary,
    project_stocks,
)

BANDS = ["0-3", "3-6", "6-10", "10-18", "18-25", "25-45", "45-65", "65-80", "80+"]


def city(
    values: list[list[float]], areas: tuple[str, ...] = ("A", "B"), bands: list[str] = BANDS
) -> pd.DataFrame:
    return pd.DataFrame(values, index=list(areas), columns=bands, dtype=float)


def sexed(men: pd.DataFrame, women: pd.DataFrame) -> pd.DataFrame:
    return pd.concat({"m": men, "w": women}, axis=1)


STATIONARY = city(
    [[90, 95, 130, 260, 240, 700, 640, 450, 150], [30, 28, 41, 90, 120, 260, 200, 140, 60]],
)


def test_public_api_and_doctests() -> None:
    for name in ("backtest_stocks", "backtest_summary", "project_stocks"):
        assert name in proj.__all__
        assert getattr(proj, name).__module__ == "workbench.projection"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name in ("backtest_stocks", "backtest_summary", "project_stocks"):
        for test in doctest.DocTestFinder().find(getattr(proj, name), name, globs={}):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 15 and result.failed == 0


def test_graduation_keeps_band_totals_and_is_non_negative() -> None:
    rng = np.random.default_rng(3)
    edges = np.array([0, 1, 3, 6, 10, 15, 18, 25, 30, 45, 65, 80])
    counts = rng.integers(0, 500, size=(40, len(edges) - 1)).astype(float)
    counts[0, 3] = 0.0  # an empty band next to full ones
    single = _stocks.graduate(counts, edges)
    assert single.shape == (40, 80)
    assert (single >= 0).all()
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        np.testing.assert_allclose(single[:, lo:hi].sum(axis=1), counts[:, k], rtol=1e-12, atol=1e-9)
    assert (single[0, 6:10] == 0).all()
    ones = np.arange(6.0).reshape(1, 6)
    np.testing.assert_array_equal(_stocks.graduate(ones, np.arange(7)), ones)  # single years unchanged


def test_graduation_is_smooth_inside_a_linear_profile() -> None:
    """A population falling linearly with age is graduated back to that line (PCHIP reproduces it)."""
    ages = np.arange(20)
    line = 100.0 - 2.0 * ages
    edges = np.array([0, 5, 10, 15, 20])
    bands = np.add.reduceat(line, edges[:-1])[None]
    np.testing.assert_allclose(_stocks.graduate(bands, edges)[0, 2:18], line[2:18], rtol=0.02)


def test_stationary_population_stays_stationary() -> None:
    """With the defaults when all areas have the same age structure; areas of different structure exactly
    without shrinkage, damping and cap (these pull each area's ratios toward the city's), nearly so with the
    defaults when the areas are large."""
    same = city([STATIONARY.iloc[0].tolist(), (STATIONARY.iloc[0] * 0.3).tolist()])
    res = backtest_stocks({2019: same, 2020: same, 2021: same, 2030: same}, 2021, 2030)
    np.testing.assert_allclose(res["projected"], same.sum(axis=1), rtol=1e-10)
    stocks = {2019: STATIONARY, 2020: STATIONARY, 2021: STATIONARY, 2026: STATIONARY}
    exact = {"shrink": 0, "damping": 1.0, "cap": 0.9}
    res = backtest_stocks(stocks, 2021, 2026, **exact)
    np.testing.assert_allclose(res["projected"], STATIONARY.sum(axis=1), rtol=1e-10)
    assert res["ape"].max() < 1e-8
    bands = backtest_stocks(stocks, 2021, 2026, by="band", **exact)
    np.testing.assert_allclose(bands["projected"], bands["observed"], rtol=1e-9)
    large = {y: f * 1000 for y, f in stocks.items()}
    assert backtest_stocks(large, 2021, 2026)["ape"].max() < 0.1
    with_sex = {y: sexed(STATIONARY * 0.48, STATIONARY * 0.52) for y in (2020, 2021, 2024)}
    res = backtest_stocks(with_sex, 2021, 2024, **exact)
    np.testing.assert_allclose(res["projected"], STATIONARY.sum(axis=1), rtol=1e-10)
    assert res.attrs["youngest"] == "child-woman ratio"


def test_hand_worked_hamilton_perry_step() -> None:
    """One area, single years 0, 1, 2 and 3+, mothers aged 1–2 (mother_ages=(1, 3)).

    Ratios 2020→2021: age 0→1: 9/10 = 0.9; 1→2: 18/20 = 0.9; into 3+: 60/(30 + 40) = 6/7.
    Child ratio (2020 and 2021 pooled): (10 + 12) / (20 + 30 + 9 + 18) = 22/77 = 2/7.
    2022: age 1 = 0.9 · 12 = 10.8; age 2 = 0.9 · 9 = 8.1; 3+ = 6/7 · (18 + 60); age 0 = 2/7 · (10.8 + 8.1) = 5.4.
    """
    cols = ["0-1", "1-2", "2-3", "3+"]
    stocks = {
        2020: pd.DataFrame([[10, 20, 30, 40]], index=["X"], columns=cols),
        2021: pd.DataFrame([[12, 9, 18, 60]], index=["X"], columns=cols),
    }
    out = project_stocks(stocks, 2021, 2022, mother_ages=(1, 3))
    np.testing.assert_allclose(out.loc["X"].to_numpy(), [5.4, 10.8, 8.1, 6 / 7 * 78], rtol=1e-12)
    assert list(out.columns) == cols
    assert out.attrs["youngest"] == "child-adult ratio"
    # two steps: the same ratios once more (one area: no deviation from the city, damping irrelevant)
    two = project_stocks(stocks, 2021, 2023, mother_ages=(1, 3)).loc["X"].to_numpy()
    p1, p2 = 0.9 * 5.4, 0.9 * 10.8
    np.testing.assert_allclose(two, [2 / 7 * (p1 + p2), p1, p2, 6 / 7 * (8.1 + 6 / 7 * 78)], rtol=1e-12)


def test_area_deviation_is_kept_then_damped_and_capped() -> None:
    """Area B grows 5 % a year in every age against a stationary A: B keeps its own ratio, damped per year."""
    cols = ["0-1", "1-2", "2-3", "3+"]
    a = [10.0, 10.0, 10.0, 30.0]
    stocks = {
        y: pd.DataFrame(
            [a, [1e4 * 1.05 ** (y - 2020)] * 3 + [3e4 * 1.05 ** (y - 2020)]], index=["A", "B"], columns=cols
        )
        for y in (2020, 2021)
    }
    undamped = project_stocks(stocks, 2021, 2023, mother_ages=(1, 3), damping=1.0, cap=0.5, shrink=0)
    damped = project_stocks(stocks, 2021, 2023, mother_ages=(1, 3), damping=0.5, cap=0.5, shrink=0)
    capped = project_stocks(stocks, 2021, 2023, mother_ages=(1, 3), damping=1.0, cap=0.01, shrink=0)
    b = stocks[2021].loc["B"]
    # B dominates the city ratio (≈ 1.05), so B's "2-3" after 2 years ≈ 1.05² · its age 0 of 2021
    assert undamped.loc["B", "2-3"] == pytest.approx(1.05**2 * b["0-1"], rel=1e-3)
    # A keeps its own ratio 1 (deviation 1/1.05 from the city) when nothing damps or caps it …
    assert undamped.loc["A", ["1-2", "2-3"]].tolist() == pytest.approx([10.0, 10.0], rel=1e-9)
    # … its deviation (full in the first projected year) fades by half in the second with damping 0.5 …
    assert damped.loc["A", "2-3"] == pytest.approx(10.0 * (1.05 * (1 + 0.5 * (1 / 1.05 - 1))), rel=1e-3)
    # … and the cap of 1 % keeps it within 0.99 × the city ratio
    assert capped.loc["A", "2-3"] == pytest.approx(10.0 * (0.99 * 1.05) ** 2, rel=1e-3)


def test_shrinkage_pulls_tiny_areas_to_the_city() -> None:
    cols = ["0-1", "1-2", "2-3", "3+"]
    y0 = pd.DataFrame(
        [[1000, 1000, 1000, 3000], [2, 2, 2, 6]], index=["big", "tiny"], columns=cols, dtype=float
    )
    y1 = pd.DataFrame(
        [[1000, 1000, 1000, 3000], [2, 4, 4, 8]], index=["big", "tiny"], columns=cols, dtype=float
    )
    stocks = {2020: y0, 2021: y1}
    raw = project_stocks(stocks, 2021, 2022, mother_ages=(1, 3), shrink=0, cap=0.99)
    shrunk = project_stocks(stocks, 2021, 2022, mother_ages=(1, 3), shrink=200, cap=0.99)
    tiny_raw = raw.loc["tiny"].sum() / y1.loc["tiny"].sum()
    tiny_shrunk = shrunk.loc["tiny"].sum() / y1.loc["tiny"].sum()
    assert tiny_raw > 1.3  # its own doubling ratios
    assert abs(tiny_shrunk - 1) < 0.1 < abs(tiny_raw - 1)


class Poisoned(Mapping):
    """A stocks mapping whose later years must never be read."""

    def __init__(self, good: dict[int, pd.DataFrame], poisoned: set[int]):
        self.good, self.poisoned = good, poisoned

    def __getitem__(self, year: int) -> pd.DataFrame:
        if year in self.poisoned:
            raise AssertionError(f"year {year} was read")
        return self.good[year]

    def __iter__(self) -> Iterator[int]:
        return iter([*self.good, *self.poisoned])

    def __len__(self) -> int:
        return len(self.good) + len(self.poisoned)


def test_only_years_up_to_the_base_year_are_read() -> None:
    grow = {y: STATIONARY * 1.01 ** (y - 2018) for y in range(2018, 2023)}
    stocks = Poisoned({y: grow[y] for y in (2018, 2019, 2020, 2022)}, poisoned={2021, 2023})
    res = backtest_stocks(stocks, 2020, 2022)
    clean = backtest_stocks({y: grow[y] for y in (2018, 2019, 2020, 2022)}, 2020, 2022)
    pd.testing.assert_frame_equal(res, clean)
    # garbage in a later year changes nothing either
    bad = {**{y: grow[y] for y in (2018, 2019, 2020, 2022)}, 2021: "kaputt", 2030: STATIONARY * -1}
    pd.testing.assert_frame_equal(backtest_stocks(bad, 2020, 2022), clean)
    with pytest.raises(AssertionError, match="2023 was read"):
        backtest_stocks(Poisoned({y: grow[y] for y in (2018, 2019, 2020)}, {2023}), 2020, 2023)


def test_naive_baselines_by_hand() -> None:
    y18 = city([[10, 10, 10, 10, 10, 10, 10, 10, 20]] * 2)  # 100 persons each
    y20 = y18 * 1.21  # 10 % growth a year over two years
    y23 = y18 * 1.5
    stocks = {2018: y18, 2020: y20, 2023: y23}
    const = backtest_stocks(stocks, 2020, 2023, method="constant")
    assert const["projected"].tolist() == pytest.approx([121.0, 121.0])
    assert const["ape"].tolist() == pytest.approx([29 / 150 * 100] * 2)
    trend = backtest_stocks(stocks, 2020, 2023, method="trend")
    assert trend["projected"].tolist() == pytest.approx([121 * 1.1**3] * 2)
    assert trend.attrs["method"] == "trend" and trend.attrs["base_periods"] == [(2018, 2020)]


def test_control_total_scales_to_the_city() -> None:
    stocks = {2020: STATIONARY, 2021: STATIONARY, 2022: STATIONARY}
    free = backtest_stocks(stocks, 2021, 2022)
    res = backtest_stocks(stocks, 2021, 2022, control_total={2022: 6000})
    assert res["projected"].sum() == pytest.approx(6000)
    np.testing.assert_allclose(res["projected"], free["projected"] * 6000 / free["projected"].sum())
    assert backtest_stocks(stocks, 2021, 2022, control_total=4000)["projected"].sum() == pytest.approx(4000)


def test_bands_of_the_target_may_differ() -> None:
    coarse = STATIONARY.T.groupby([0, 0, 0, 1, 2, 2, 2, 3, 4]).sum().T
    coarse.columns = ["0-10", "10-18", "18-65", "65-80", "80+"]
    res = backtest_stocks(
        {2020: STATIONARY, 2021: STATIONARY, 2022: coarse}, 2021, 2022, by="band", shrink=0, cap=0.9
    )
    assert res.index.get_level_values("band").unique().tolist() == list(coarse.columns)
    np.testing.assert_allclose(res["projected"], res["observed"], rtol=1e-9)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.rename(columns={"3-6": "4-6"}), "nicht lückenlos"),
        (lambda f: f.rename(columns={"80+": "80-99"}), "keine offene Altersgruppe"),
        (lambda f: f.rename(columns={"0-3": "Kinder"}), "keine Altersgruppe"),
        (lambda f: f.assign(**{"3-6": [-1.0, 5.0]}), "keine Anzahl ≥ 0"),
    ],
)
def test_malformed_stocks_give_german_errors(change, message) -> None:
    stocks = {2020: STATIONARY, 2021: change(STATIONARY), 2022: STATIONARY}
    with pytest.raises(DataValidationError, match=message):
        backtest_stocks(stocks, 2021, 2022)


def test_wrong_calls_give_german_errors() -> None:
    stocks = {2020: STATIONARY, 2021: STATIONARY, 2022: STATIONARY}
    with pytest.raises(ConfigError, match="muss nach dem Basisjahr"):
        backtest_stocks(stocks, 2021, 2021)
    with pytest.raises(DataValidationError, match="mindestens zwei Stichtage"):
        backtest_stocks(stocks, 2020, 2022)
    with pytest.raises(DataValidationError, match="kein Bestand zum Zieljahr 2025"):
        backtest_stocks(stocks, 2021, 2025)
    with pytest.raises(ConfigError, match="unbekannte Option"):
        backtest_stocks(stocks, 2021, 2022, dampig=0.5)
    with pytest.raises(ConfigError, match="mother_ages"):
        backtest_stocks(stocks, 2021, 2022, mother_ages=(0, 50))
    with pytest.raises(ConfigError, match="unbekannte Methode"):
        backtest_stocks(stocks, 2021, 2022, method="linear")
    moved = STATIONARY.rename(index={"B": "C"})
    with pytest.raises(DataValidationError, match="nicht im Basisjahr 2021: C"):
        backtest_stocks({**stocks, 2022: moved}, 2021, 2022)
    with pytest.raises(DataValidationError, match="Mütter"):
        backtest_stocks({y: STATIONARY.iloc[:, :5].assign(**{"25+": 1.0}) for y in stocks}, 2021, 2022)


def test_summary_counts_windows_and_bands() -> None:
    rng = np.random.default_rng(5)
    stocks = {y: STATIONARY * (1 + rng.normal(0, 0.01, STATIONARY.shape)) for y in range(2010, 2022)}
    summary, records = backtest_summary(stocks, [1, 3], details=True, min_past=3)
    assert summary.loc[("constant", 1, "alle"), "windows"] == 10  # base years 2011 … 2020
    assert summary.loc[("constant", 3, "alle"), "n"] == 8 * 2
    assert set(summary.index.get_level_values("size_class")) == {"alle", "unter 5.000"}
    # the band of a window only uses errors of windows that had ended by its base year
    first = records[(records.method == "constant") & (records.horizon == 1) & (records.base_year == 2012)]
    assert first["band"].isna().all() and first["within"].isna().all()  # 2 past errors (base 2011) < 3
    later = records[(records.method == "constant") & (records.horizon == 1) & (records.base_year == 2013)]
    past = records[(records.method == "constant") & (records.horizon == 1) & (records.base_year <= 2012)]
    assert len(past) == 4 and np.allclose(later["band"], past["ape"].quantile(0.8))
    assert (later["within"] == (later["ape"] <= later["band"])).all()
    hp = summary.loc[("hamilton-perry", 1, "alle")]
    assert 0 <= hp["within_band"] <= 100 and hp["mape"] > 0


def test_area_missing_in_an_earlier_year_gets_the_city_ratios() -> None:
    """A new area (absent in 2019) is projected with the city's ratios and left out of the city's pooling."""
    new = city(
        [STATIONARY.iloc[0].tolist(), STATIONARY.iloc[1].tolist(), STATIONARY.iloc[1].tolist()],
        ("A", "B", "N"),
    )
    stocks = {2019: STATIONARY, 2020: new, 2022: new}
    res = backtest_stocks(stocks, 2020, 2022, shrink=0, damping=1.0, cap=0.9)
    assert res.loc["N", "base"] == pytest.approx(969.0)
    assert res.loc[["A", "B"], "ape"].max() < 1e-8  # A and B stationary as before
    city_growth = res.loc[["A", "B"], "projected"].sum() / STATIONARY.to_numpy().sum()
    assert res.loc["N", "projected"] != pytest.approx(969.0)  # not its own (unknown) ratios …
    assert abs(res.loc["N", "projected"] / 969.0 - city_growth) < 0.05  # … but close to the city's


def test_stocks_from_the_processed_population_table() -> None:
    from workbench.projection._stock_sources import stocks_from_population

    rows = [
        (a, y, s, age, nat, 10.0 + age % 7)
        for a in ("01", "02")
        for y in (2022, 2023)
        for s in ("m", "w")
        for age in range(101)
        for nat in ("deutsch", "nichtdeutsch")
    ]
    pop = pd.DataFrame(rows, columns=["area_id", "year", "sex", "age", "nationality", "count"])
    stocks = stocks_from_population(pop, max_age=90)
    assert sorted(stocks) == [2022, 2023]
    frame = stocks[2022]
    assert frame.shape == (2, 2 * 91) and frame.columns[-1] == ("w", "90+")
    assert frame.loc["01", ("m", "5-6")] == 2 * (10 + 5)
    assert frame.loc["01", ("m", "90+")] == 2 * sum(10 + age % 7 for age in range(90, 101))
    assert frame.to_numpy().sum() == pop[pop.year == 2022]["count"].sum()
    res = backtest_stocks({2021: stocks[2022], **stocks}, 2022, 2023)  # runs on the result as it is
    assert res.attrs["youngest"] == "child-woman ratio"
