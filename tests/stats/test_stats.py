"""Tests for workbench.stats against hand-worked METHODS.md values and independent references."""

from __future__ import annotations

import math
import time
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.proportion import proportion_confint

from workbench import stats
from workbench.errors import WorkbenchError

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


# ------------------------------------------------------------------------------------------------ confidence


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0.95, 0.95), (95, 0.95), (0.998, 0.998), (99.8, 0.998), (0.9, 0.9), (90, 0.9), (99.99, 0.9999)],
)
def test_normalise_confidence_accepts_fraction_and_percent(given, expected):
    assert stats.normalise_confidence(given) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "bad", [0.5, 0.89, 1.0, 1.5, 50, 89.9, 100, 120, -0.95, float("nan"), "95", None, True]
)
def test_normalise_confidence_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match="confidence"):
        stats.normalise_confidence(bad)


def test_z_values_match_methods_and_scipy():
    assert stats.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert stats.z_value(99.8) == pytest.approx(3.090232, abs=1e-6)
    assert stats.z_value(0.998) ** 2 == pytest.approx(9.5495, abs=1e-4)
    assert stats.z_value(0.9) == pytest.approx(sps.norm.ppf(0.95), abs=1e-12)


def test_errors_are_value_and_workbench_errors():
    with pytest.raises(stats.StatisticsInputError) as info:
        stats.wilson_ci(-1, 10)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, WorkbenchError)


# ------------------------------------------------------------------------------------------------ Wilson


def test_wilson_methods_example():
    lower, upper = stats.wilson_ci(65, 100)
    assert isinstance(lower, float) and isinstance(upper, float)
    assert lower == pytest.approx(0.552544, abs=1e-6)
    assert upper == pytest.approx(0.736358, abs=1e-6)


@pytest.mark.parametrize("confidence", [0.95, 0.998, 90])
def test_wilson_matches_statsmodels_including_edges(confidence):
    x = np.array([0, 1, 5, 50, 99, 100, 0, 1, 0, 3, 1_000, 500_000_000, 999_999_999, 1_000_000_000, 7])
    n = np.array([100, 100, 100, 100, 100, 100, 1, 1, 10, 10, 1_000_000_000, 1e9, 1e9, 1e9, 1e9])
    level = stats.normalise_confidence(confidence)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=1 - level, method="wilson")
    lower, upper = stats.wilson_ci(x, n, confidence)
    np.testing.assert_allclose(lower, ref_lo, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(upper, ref_hi, rtol=1e-7, atol=1e-12)
    assert lower[0] == 0.0 and upper[5] == 1.0 and lower[6] == 0.0 and upper[7] == 1.0


def test_wilson_small_x_large_n_is_accurate():
    """The METHODS formula evaluated with 50-digit decimals: no cancellation error for x = 1, n = 1e9."""
    getcontext().prec = 50
    z = Decimal(repr(stats.z_value(0.95)))
    for x_int, n_int in [(1, 10**9), (3, 10**9), (999_999_999, 10**9), (1, 1)]:
        x, n = Decimal(x_int), Decimal(n_int)
        root = z * (z * z + 4 * x * (1 - x / n)).sqrt()
        lo_ref = (2 * x + z * z - root) / (2 * (n + z * z))
        hi_ref = (2 * x + z * z + root) / (2 * (n + z * z))
        lower, upper = stats.wilson_ci(x_int, n_int)
        assert lower == pytest.approx(float(lo_ref), rel=1e-12)
        assert upper == pytest.approx(float(hi_ref), rel=1e-12)


def test_wilson_keeps_series_index_and_propagates_nan():
    idx = pd.Index(["0101", "0102", "0103"], name="area_id")
    x = pd.Series([10, np.nan, 3], index=idx)
    n = pd.Series([100, 50, 30], index=idx)
    lower, upper = stats.wilson_ci(x, n)
    assert isinstance(lower, pd.Series) and lower.index.equals(idx)
    assert np.isnan(lower["0102"]) and np.isnan(upper["0102"])
    ref = proportion_confint(3, 30, method="wilson")
    assert (lower["0103"], upper["0103"]) == pytest.approx(ref, abs=1e-12)


def test_wilson_accepts_nullable_integer_series():
    x = pd.Series([4, pd.NA, 0], dtype="Int64")
    n = pd.Series([10, 10, 10], dtype="Int64")
    lower, _ = stats.wilson_ci(x, n)
    assert lower.isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("x", "n", "pattern"),
    [
        ([1, -2, 3], [10, 10, 10], r"'x'.*negative.*-2.*Position 1"),
        ([1, 11], [10, 10], r"'x'.*größer als Nenner.*11.*Position 1"),
        ([1, 1], [10, 0], r"'n'.*Nenner ≤ 0.*Position 1"),
        (1, -5, r"'n'.*-5"),
        (np.inf, 10, r"'x'.*unendlich"),
        (["a"], [1], r"'x'"),
    ],
)
def test_wilson_rejects_invalid_input_with_position(x, n, pattern):
    with pytest.raises(ValueError, match=pattern):
        stats.wilson_ci(x, n)


def test_mismatched_lengths_and_indices_are_clear_errors():
    with pytest.raises(ValueError, match="Längen"):
        stats.wilson_ci([1, 2, 3], [10, 10])
    with pytest.raises(ValueError, match="Indizes"):
        stats.wilson_ci(pd.Series([1, 2], index=["a", "b"]), pd.Series([5, 5], index=["b", "c"]))


# ------------------------------------------------------------------------------------------------ Poisson


def test_byar_methods_example():
    lower, upper = stats.byar_ci(65)
    assert lower == pytest.approx(50.163188, abs=1e-6)
    assert upper == pytest.approx(82.849139, abs=1e-6)
    assert stats.poisson_ci(65) == pytest.approx((lower, upper), abs=1e-12)


@pytest.mark.parametrize("confidence", [0.95, 99.8])
def test_exact_poisson_matches_scipy_chi2(confidence):
    level = stats.normalise_confidence(confidence)
    alpha = 1 - level
    x = np.arange(0, 40)
    lower, upper = stats.exact_poisson_ci(x, confidence)
    ref_lo = np.where(x == 0, 0.0, sps.chi2.ppf(alpha / 2, 2 * np.maximum(x, 1)) / 2)
    ref_hi = sps.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    np.testing.assert_allclose(lower, ref_lo, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(upper, ref_hi, rtol=1e-9)
    # x = 0: upper = −ln(α/2)
    assert upper[0] == pytest.approx(-math.log(alpha / 2), rel=1e-12)


def test_poisson_ci_switches_from_exact_to_byar_at_10():
    x = np.arange(0, 30)
    lower, upper = stats.poisson_ci(x)
    ex_lo, ex_hi = stats.exact_poisson_ci(x)
    by_lo, by_hi = stats.byar_ci(x)
    np.testing.assert_array_equal(lower[:10], ex_lo[:10])
    np.testing.assert_array_equal(upper[:10], ex_hi[:10])
    np.testing.assert_array_equal(lower[10:], by_lo[10:])
    np.testing.assert_array_equal(upper[10:], by_hi[10:])
    # Byar is close to exact at x = 10 (within 1 %)
    np.testing.assert_allclose(by_lo[10:], ex_lo[10:], rtol=0.01)


def test_byar_hand_formula_for_large_counts():
    x = 1e9
    z = stats.z_value(0.95)
    lo = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    assert stats.poisson_ci(x) == pytest.approx((lo, hi), rel=1e-12)
    # and it agrees with the exact interval to 1e-6 relative at this size
    assert stats.poisson_ci(x) == pytest.approx(stats.exact_poisson_ci(x), rel=1e-6)


def test_byar_zero_and_nan():
    lower, upper = stats.byar_ci([0, np.nan])
    assert lower[0] == 0.0 and upper[0] > 0
    assert np.isnan(lower[1]) and np.isnan(upper[1])
    with pytest.raises(ValueError, match="'x'"):
        stats.poisson_ci([3, -1])


def test_rate_ci_is_count_interval_over_n():
    lower, upper = stats.rate_ci(65, 20_000, multiplier=1000)
    assert lower == pytest.approx(50.163188 / 20, abs=1e-6)
    assert upper == pytest.approx(82.849139 / 20, abs=1e-6)
    # x may exceed n for rates
    lower, upper = stats.rate_ci(pd.Series([150, 3]), pd.Series([100, 100]), multiplier=100)
    ref = stats.poisson_ci(np.array([150, 3]))
    np.testing.assert_allclose(lower.to_numpy(), ref[0])
    np.testing.assert_allclose(upper.to_numpy(), ref[1])
    with pytest.raises(ValueError, match="'n'"):
        stats.rate_ci(1, 0)
    with pytest.raises(ValueError, match="multiplier"):
        stats.rate_ci(1, 10, multiplier=-1)


def test_intervals_are_fast_on_a_million_elements():
    rng = np.random.default_rng(42)
    n = rng.integers(1, 20_000, 1_000_000)
    x = rng.binomial(n, 0.08)
    start = time.perf_counter()
    stats.wilson_ci(x, n)
    wilson_s = time.perf_counter() - start
    start = time.perf_counter()
    stats.poisson_ci(x)
    poisson_s = time.perf_counter() - start
    assert wilson_s < 1.0 and poisson_s < 1.0


# ------------------------------------------------------------------------------------------------ DSR


def test_esp2013_weights():
    assert len(stats.ESP2013) == 19
    assert stats.ESP2013.sum() == 100_000
    assert stats.ESP2013["0-4"] == 5000 and stats.ESP2013["45-49"] == 7000 and stats.ESP2013["90+"] == 1000
    assert list(stats.ESP2013.index) == list(stats.AGE_BANDS_5Y)


def test_age_band_5y():
    assert stats.age_band_5y(0) == "0-4"
    assert stats.age_band_5y(4) == "0-4"
    assert stats.age_band_5y(5) == "5-9"
    assert stats.age_band_5y(89) == "85-89"
    assert stats.age_band_5y(90) == "90+"
    assert stats.age_band_5y(100) == "90+"
    arr = stats.age_band_5y(np.array([17, np.nan, 64]))
    assert arr.tolist() == ["15-19", None, "60-64"]
    ser = stats.age_band_5y(pd.Series([30, 31, None], index=[7, 8, 9]))
    assert ser.index.tolist() == [7, 8, 9] and ser.cat.ordered
    assert ser.iloc[0] == "30-34" and pd.isna(ser.iloc[2])
    with pytest.raises(ValueError, match="Alter -1"):
        stats.age_band_5y([3, -1])


def _dobson_by_hand(events, pops, weights, multiplier, z):
    w_sum = sum(weights)
    value = sum(w * e / p for w, e, p in zip(weights, events, pops, strict=True)) / w_sum
    var = sum(w * w * e / (p * p) for w, e, p in zip(weights, events, pops, strict=True)) / w_sum**2
    o = sum(events)
    o_lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    o_hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    se = math.sqrt(var / o)
    return value * multiplier, (value + se * (o_lo - o)) * multiplier, (value + se * (o_hi - o)) * multiplier


def test_dsr_dobson_hand_computation_three_bands():
    standard = pd.Series([1.0, 2.0, 1.0], index=["young", "middle", "old"])
    events = pd.Series([5, 20, 10], index=["young", "middle", "old"])
    pops = pd.Series([1000, 2000, 500], index=["young", "middle", "old"])
    res = stats.dsr(events, pops, standard=standard, multiplier=100_000)
    # hand: rates 0.005, 0.01, 0.02 → (0.005 + 0.02 + 0.02) / 4 = 0.01125; v = 6.5e-5 / 16; O = 35
    assert res["value"] == pytest.approx(1125.0, abs=1e-9)
    assert res["events"] == 35
    o_lo = 35 * (1 - 1 / 315 - 1.959964 / (3 * math.sqrt(35))) ** 3  # Byar lower limit of O = 35
    se = math.sqrt(6.5e-5 / 16 / 35)
    assert res["lower"] == pytest.approx((0.01125 + se * (o_lo - 35)) * 1e5, abs=1e-3)
    ref = _dobson_by_hand([5, 20, 10], [1000, 2000, 500], [1, 2, 1], 100_000, stats.z_value(0.95))
    assert (res["value"], res["lower"], res["upper"]) == pytest.approx(ref, rel=1e-9)


def test_dsr_esp2013_against_loop_and_by_group():
    rng = np.random.default_rng(7)
    pops = rng.integers(50, 3000, size=(4, 19))
    events = rng.binomial(pops, np.linspace(0.001, 0.15, 19))
    weights = stats.ESP2013.to_numpy()
    rows = []
    for area in range(4):
        for band, e, p in zip(stats.AGE_BANDS_5Y, events[area], pops[area], strict=True):
            # split every band into two sexes to check that rows are summed
            rows.append({"area_id": f"A{area}", "year": 2024, "band": band, "deaths": e // 2, "pop": p // 2})
            rows.append(
                {"area_id": f"A{area}", "year": 2024, "band": band, "deaths": e - e // 2, "pop": p - p // 2}
            )
    long = pd.DataFrame(rows)
    table = stats.dsr_by_group(long, ["area_id", "year"], "band", "deaths", "pop", confidence=99.8)
    assert table.columns.tolist() == ["area_id", "year", "value", "lower", "upper", "events", "population"]
    z = stats.z_value(99.8)
    for area in range(4):
        ref = _dobson_by_hand(events[area], pops[area], weights, 100_000, z)
        single = stats.dsr(events[area], pops[area], confidence=0.998)
        row = table.iloc[area]
        assert row["area_id"] == f"A{area}"
        assert (single["value"], single["lower"], single["upper"]) == pytest.approx(ref, rel=1e-9)
        assert (row["value"], row["lower"], row["upper"]) == pytest.approx(ref, rel=1e-9)
        assert row["population"] == pops[area].sum()


def test_dsr_small_counts_missing_bands_and_errors():
    res = stats.dsr([0] * 18 + [9], [100] * 19)
    assert res["events"] == 9 and res["value"] > 0
    assert math.isnan(res["lower"]) and math.isnan(res["upper"])
    # missing band in a Series = 0 events / 0 population → contributes 0
    res = stats.dsr(pd.Series({"40-44": 20}), pd.Series({"40-44": 1000}), multiplier=1000)
    assert res["value"] == pytest.approx(20 / 1000 * 7000 / 100_000 * 1000)
    res = stats.dsr([np.nan] + [1] * 18, [100] * 19)
    assert math.isnan(res["value"])
    with pytest.raises(ValueError, match="Bevölkerung 0"):
        stats.dsr([1] * 19, [0] + [100] * 18)
    with pytest.raises(ValueError, match="unbekannte Altersgruppen"):
        stats.dsr(pd.Series({"40-45": 1}), pd.Series({"40-45": 10}))
    with pytest.raises(ValueError, match="19 Altersgruppen"):
        stats.dsr([1, 2], [10, 20])
    long = pd.DataFrame({"a": ["x"], "band": ["0-4"], "e": [1], "p": [10]})
    with pytest.raises(ValueError, match="Spalten fehlen"):
        stats.dsr_by_group(long, "a", "band", "e", "missing")
    with pytest.raises(ValueError, match="unbekannte Altersgruppen"):
        stats.dsr_by_group(long.assign(band="0 bis 4"), "a", "band", "e", "p")


def test_dsr_by_group_nan_band_makes_group_missing():
    long = pd.DataFrame(
        {"a": ["x", "x", "y"], "band": ["0-4", "5-9", "0-4"], "e": [5.0, np.nan, 12.0], "p": [100, 100, 100]}
    )
    out = stats.dsr_by_group(long, "a", "band", "e", "p").set_index("a")
    assert np.isnan(out.loc["x", "value"])
    assert out.loc["y", "value"] == pytest.approx(12 / 100 * 5000 / 100_000 * 100_000)
    assert out.loc["y", "population"] == 100


# ------------------------------------------------------------------------------------------------ compare


def test_compare_labels_by_polarity():
    lower = np.array([1.0, 1.0, 1.0, np.nan, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    upper = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    bench = np.array([1.5, 0.5, 3.0, 1.5, 1.0, 2.0, 0.5, 3.0, 0.5, np.nan])
    polarity = ["hoch = schlecht"] * 4 + [
        "high_bad",
        "hoch=schlecht",
        "hoch = gut",
        "high_good",
        "neutral",
        "neutral",
    ]
    labels = stats.compare(lower, upper, bench, polarity)
    assert labels.tolist() == [
        "ähnlich",
        "schlechter",
        "besser",
        "nicht verglichen",
        "ähnlich",
        "ähnlich",
        "besser",
        "schlechter",
        "höher",
        "nicht verglichen",
    ]
    assert stats.compare(1, 2, 0.5, "neutral") == "höher"
    assert stats.compare(1, 2, 2.5, "Hoch = Gut") == "schlechter"


def test_compare_series_keeps_index_and_validates():
    idx = pd.Index(["0101", "0102"])
    out = stats.compare(
        pd.Series([0.1, 0.3], index=idx), pd.Series([0.2, 0.4], index=idx), 0.25, "hoch = gut"
    )
    assert out.index.equals(idx) and out.tolist() == ["schlechter", "besser"]
    with pytest.raises(ValueError, match="polarity"):
        stats.compare(1, 2, 3, "gut")
    with pytest.raises(ValueError, match="Untere Grenze"):
        stats.compare(2, 1, 3, "neutral")


# ------------------------------------------------------------------------------------------------ trends


def _cochran_armitage_by_regression(x, n):
    """N·r² where r is the Pearson correlation of t and the 0/1 outcome over all N individuals."""
    t = np.arange(1, len(x) + 1, dtype=float)
    ts = np.concatenate([t, t])
    ys = np.concatenate([np.ones_like(t), np.zeros_like(t)])
    weights = np.concatenate([x, np.asarray(n) - np.asarray(x)]).astype(float)
    cov = np.cov(ts, ys, aweights=weights, bias=True)
    r2 = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1])
    return weights.sum() * r2


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([10, 14, 15, 22, 30], [100, 110, 105, 120, 118]),
        ([50, 48, 40, 41, 30], [500, 510, 490, 505, 500]),
        ([0, 1, 0, 2, 5], [40, 41, 39, 40, 42]),
        ([5, 5, 5, 5, 5], [5, 6, 7, 8, 9]),
        ([120_000_000, 121_000_000, 119_500_000, 123_000_000, 124_000_000], [1e9] * 5),
    ],
)
def test_chi2_trend_matches_independent_computations(x, n):
    chi2, p, sign = stats.chi2_trend(x, n)
    ref = _cochran_armitage_by_regression(np.asarray(x, float), np.asarray(n, float))
    assert chi2 == pytest.approx(ref, rel=1e-6)
    assert p == pytest.approx(sps.chi2.sf(ref, 1), rel=1e-6, abs=1e-300)
    # statsmodels linear-by-linear association: M² = (N − 1) r², so CA = M² · N / (N − 1)
    tab = np.c_[x, np.asarray(n) - np.asarray(x)]
    lbl = Table(tab, shift_zeros=False).test_ordinal_association(
        row_scores=np.arange(1, 6), col_scores=np.array([1, 0])
    )
    big_n = float(np.sum(n))
    assert chi2 == pytest.approx(lbl.zscore**2 * big_n / (big_n - 1), rel=1e-6)
    t = np.arange(1, 6)
    slope = np.polyfit(t, np.asarray(x) / np.asarray(n), 1, w=np.sqrt(n))[0]
    assert sign == np.sign(slope)


def test_chi2_trend_methods_formula_literally():
    x = np.array([12, 15, 19, 22, 28.0])
    n = np.array([200, 205, 198, 210, 207.0])
    t = np.arange(1, 6)
    big_x, big_n = x.sum(), n.sum()
    chi2_ref = (
        big_n
        * (big_n * (x * t).sum() - big_x * (n * t).sum()) ** 2
        / (big_x * (big_n - big_x) * (big_n * (n * t * t).sum() - (n * t).sum() ** 2))
    )
    chi2, _, sign = stats.chi2_trend(x, n)
    assert chi2 == pytest.approx(chi2_ref, rel=1e-10) and sign == 1.0


def test_chi2_trend_degenerate_and_2d():
    assert stats.chi2_trend([0, 0, 0, 0, 0], [10, 10, 10, 10, 10]) == (0.0, 1.0, 0.0)
    assert stats.chi2_trend([10, 10, 10, 10, 10], [10, 10, 10, 10, 10]) == (0.0, 1.0, 0.0)
    x = np.array([[10, 14, 15, 22, 30], [50, 48, 40, 41, 30], [1, 2, np.nan, 4, 5]])
    n = np.array([[100, 110, 105, 120, 118], [500, 510, 490, 505, 500], [10, 10, 10, 10, 10]])
    chi2, p, sign = stats.chi2_trend(x, n)
    assert chi2[0] == pytest.approx(stats.chi2_trend(x[0], n[0])[0])
    assert chi2[1] == pytest.approx(stats.chi2_trend(x[1], n[1])[0])
    assert np.isnan(chi2[2]) and np.isnan(p[2]) and np.isnan(sign[2])
    assert sign[:2].tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match="größer als Nenner"):
        stats.chi2_trend([1, 12], [10, 10])


def test_poisson_trend_matches_glm_score_test():
    x = np.array([10, 14, 15, 22, 30.0])
    n = np.array([100, 110, 105, 120, 118.0])
    t = np.arange(1, 6.0)
    null = sm.GLM(x, np.ones((5, 1)), family=sm.families.Poisson(), offset=np.log(n)).fit()
    ref = null.score_test(exog_extra=t[:, None])
    chi2, p, sign = stats.poisson_trend(x, n)
    assert chi2 == pytest.approx(float(ref.statistic[0]), rel=1e-6)
    assert p == pytest.approx(float(ref.pvalue[0]), rel=1e-6)
    assert sign == 1.0
    # brief's formula literally
    big_x, big_n = x.sum(), n.sum()
    lit = ((t * x).sum() - big_x * (t * n).sum() / big_n) ** 2 / (
        big_x * ((t * t * n).sum() / big_n - ((t * n).sum() / big_n) ** 2)
    )
    assert chi2 == pytest.approx(lit, rel=1e-10)
    # rates: x may exceed n
    chi2, _, sign = stats.poisson_trend([300, 280, 250, 220, 200], [100, 100, 100, 100, 100])
    assert chi2 > 9.5495 and sign == -1.0


def test_trend_marker_labels_and_window():
    x = np.array(
        [
            [10, 10, 12, 15, 19, 25],  # rising strongly
            [99, 60, 50, 40, 30, 20],  # falling
            [10, 10, 11, 10, 9, 10],  # flat
            [10, 10, 11, np.nan, 9, 10],  # suppressed value in window
            [np.nan, 10, 11, 10, 9, 10],  # NaN only before the window → fine
            [0, 0, 0, 0, 0, 0],  # no events at all
        ]
    )
    n = np.full(x.shape, 100.0)
    labels = stats.trend_marker(x, n)
    assert labels.tolist() == [
        "steigend",
        "fallend",
        "keine signifikante Veränderung",
        "nicht berechenbar",
        "keine signifikante Veränderung",
        "keine signifikante Veränderung",
    ]
    # the same with fewer columns than min_points
    assert set(stats.trend_marker(x[:, :4], n[:, :4]).tolist()) == {"nicht berechenbar"}
    assert stats.trend_marker([10, 12, 15, 19, 25], [100] * 5) == "steigend"
    # n = 0 in the window: proportion undefined
    assert stats.trend_marker([0, 1, 2, 3, 4], [0, 10, 10, 10, 10]) == "nicht berechenbar"


def test_trend_marker_uses_critical_value_of_confidence():
    # find a series with chi2 between the 95 % and 99.8 % critical values
    x, n = [20, 22, 25, 27, 31], [100] * 5
    chi2, _, _ = stats.chi2_trend(x, n)
    assert 3.8415 < chi2 < 9.5495
    assert stats.trend_marker(x, n, confidence=0.998) == "keine signifikante Veränderung"
    assert stats.trend_marker(x, n, confidence=95) == "steigend"


def test_trend_marker_dataframe_and_rate_kind():
    years = [2020, 2021, 2022, 2023, 2024]
    x = pd.DataFrame([[300, 280, 250, 220, 200], [5, 5, 6, 5, 5]], index=["0101", "0102"], columns=years)
    n = pd.DataFrame([[100] * 5, [100] * 5], index=["0101", "0102"], columns=years)
    out = stats.trend_marker(x, n, kind="rate")
    assert isinstance(out, pd.Series) and out.index.tolist() == ["0101", "0102"]
    assert out.tolist() == ["fallend", "keine signifikante Veränderung"]
    with pytest.raises(ValueError, match="größer als Nenner"):
        stats.trend_marker(x, n, kind="proportion")
    with pytest.raises(ValueError, match="kind"):
        stats.trend_marker(x, n, kind="share")
    with pytest.raises(ValueError, match="min_points"):
        stats.trend_marker(x, n, min_points=1)


def test_trend_marker_vectorised_many_areas_fast_and_consistent():
    rng = np.random.default_rng(3)
    areas = 5000
    n = rng.integers(50, 5000, size=(areas, 6)).astype(float)
    p = rng.uniform(0.02, 0.3, size=(areas, 1)) * np.linspace(1.0, rng.uniform(0.6, 1.6, size=areas), 6).T
    x = rng.binomial(n.astype(int), np.clip(p, 0, 1)).astype(float)
    x[::97, 4] = np.nan
    start = time.perf_counter()
    labels = stats.trend_marker(x, n)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    for i in range(0, areas, 250):
        if i % 97 == 0:
            assert labels[i] == "nicht berechenbar"
            continue
        chi2, _, sign = stats.chi2_trend(x[i, -5:], n[i, -5:])
        expected = (
            "keine signifikante Veränderung" if chi2 <= 9.5495 else ("steigend" if sign > 0 else "fallend")
        )
        assert labels[i] == expected


# ------------------------------------------------------------------------------------------------ funnel


def test_funnel_limits_are_wilson_limits_of_pbar():
    n = np.array([10, 100, 1000, 10_000])
    lower, upper = stats.funnel_limits(0.2, n, confidence=0.998)
    ref_lo, ref_hi = proportion_confint(0.2 * n, n, alpha=0.002, method="wilson")
    np.testing.assert_allclose(lower, ref_lo, rtol=1e-10)
    np.testing.assert_allclose(upper, ref_hi, rtol=1e-10)
    assert np.all(np.diff(upper) < 0) and np.all(np.diff(lower) > 0)


def test_overdispersion_tau2_by_hand_and_funnel_widening():
    x = np.array([10, 30, 50, 80])
    n = np.array([100, 150, 200, 250])
    y = np.log((x + 0.5) / (n - x + 0.5))
    w = 1 / (1 / (x + 0.5) + 1 / (n - x + 0.5))
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    tau2_ref = (q - 3) / (w.sum() - np.sum(w**2) / w.sum())
    tau2 = stats.overdispersion_tau2(x, n)
    assert tau2 == pytest.approx(tau2_ref, rel=1e-12) and tau2 > 0
    grid = np.array([50, 500, 5000, 5e6])
    lo0, hi0 = stats.funnel_limits(0.25, grid)
    lo, hi = stats.funnel_limits(0.25, grid, overdispersion=(x, n))
    assert np.all(lo < lo0) and np.all(hi > hi0)
    # large n: limits tend to logit(p̄) ± z·τ
    z = stats.z_value(0.95)
    expit = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    centre = math.log(0.25 / 0.75)
    assert hi[-1] == pytest.approx(expit(centre + z * math.sqrt(tau2)), rel=1e-3)
    # τ² = 0 reproduces plain Wilson exactly
    lo_z, hi_z = stats.funnel_limits(0.25, grid, overdispersion=0.0)
    np.testing.assert_array_equal(lo_z, lo0)
    # homogeneous data: no over-dispersion
    assert stats.overdispersion_tau2([20, 20, 20], [100, 100, 100]) == 0.0
    with pytest.raises(ValueError, match="p_bar"):
        stats.funnel_limits(1.5, 100)


# ------------------------------------------------------------------------------------------------ quantiles


def test_assign_quantiles_direction_ties_and_missing():
    values = pd.Series([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1], index=list("abcdefghij"))
    top = stats.assign_quantiles(values, q=5)
    assert str(top.dtype) == "Int64" and top.index.equals(values.index)
    assert top.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert stats.assign_quantiles(values, q=5, highest_first=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    tied = stats.assign_quantiles([1.0, 1.0, 1.0, 1.0, 2.0, np.nan], q=2, highest_first=False)
    # the four tied 1.0 share average rank 2.5 → ⌈2.5·2/5⌉ = 1; the 2.0 has rank 5 → 2
    assert tied.tolist()[:5] == [1, 1, 1, 1, 2]
    assert pd.isna(tied[5])


def test_assign_quantiles_rejects_too_few():
    with pytest.raises(ValueError, match="Nur 3 Werte"):
        stats.assign_quantiles([1.0, np.nan, 2.0, 3.0], q=5)
    with pytest.raises(ValueError, match="'q'"):
        stats.assign_quantiles([1.0, 2.0], q=0)


# ------------------------------------------------------------------------------------------------ real data


@pytest.mark.realdata
def test_real_berlin_quintiles_and_wilson_columns():
    path = SHARED_DATA / "berlin-mss-2021" / "mss_2021_index_indikatoren.csv"
    if not path.exists():
        pytest.skip("../shared/data/berlin-mss-2021 nicht vorhanden")
    df = pd.read_csv(path, dtype={"PLR_ID": str})
    valid = df[df["KOM"] == "gültig"].set_index("PLR_ID")
    groups = stats.assign_quantiles(valid["S4"], q=5)
    assert groups.notna().all() and sorted(groups.unique().tolist()) == [1, 2, 3, 4, 5]
    # group 1 = highest child poverty: every value in group 1 ≥ every value in group 2
    assert valid["S4"][groups == 1].min() >= valid["S4"][groups == 2].max()
    sizes = groups.value_counts()
    assert sizes.max() - sizes.min() <= 2 + valid["S4"].duplicated().sum()
    # approximate counts: S1 (% of residents) on EW as denominator, vectorised with index kept
    x = (valid["S1"] / 100 * valid["EW"]).round()
    lower, upper = stats.wilson_ci(x, valid["EW"])
    ref_lo, ref_hi = proportion_confint(x, valid["EW"], method="wilson")
    np.testing.assert_allclose(lower.to_numpy(), np.asarray(ref_lo), rtol=1e-7)
    assert lower.index.equals(valid.index)
