"""Property-based tests (hypothesis) for workbench.stats: bounds, monotonicity, symmetry, vectorisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import stats

settings.register_profile("workbench", deadline=None, max_examples=80)
settings.load_profile("workbench")

CONFIDENCES = st.sampled_from([0.9, 0.95, 95, 0.99, 0.998, 99.8, 0.9999])


@st.composite
def proportion(draw, max_n: int = 10**9):
    n = draw(st.integers(min_value=1, max_value=max_n))
    x = draw(st.integers(min_value=0, max_value=n))
    return x, n


@given(proportion(), CONFIDENCES)
def test_wilson_contains_estimate_within_unit_interval(xn, confidence):
    x, n = xn
    lower, upper = stats.wilson_ci(x, n, confidence)
    assert 0.0 <= lower <= x / n <= upper <= 1.0
    assert lower < upper


@given(proportion())
def test_wilson_widens_with_confidence(xn):
    x, n = xn
    lo95, hi95 = stats.wilson_ci(x, n, 0.95)
    lo998, hi998 = stats.wilson_ci(x, n, 0.998)
    assert lo998 <= lo95 and hi998 >= hi95
    assert (hi998 - lo998) > (hi95 - lo95)


@given(proportion(max_n=10**7), CONFIDENCES)
def test_wilson_monotone_in_x(xn, confidence):
    x, n = xn
    if x == n:
        x -= 1
    if x < 0:
        return
    lo_a, hi_a = stats.wilson_ci(x, n, confidence)
    lo_b, hi_b = stats.wilson_ci(x + 1, n, confidence)
    assert lo_b >= lo_a and hi_b >= hi_a


@given(st.lists(proportion(max_n=10**6), min_size=1, max_size=30))
def test_wilson_vectorised_equals_scalar(pairs):
    x = np.array([p[0] for p in pairs], dtype=float)
    n = np.array([p[1] for p in pairs], dtype=float)
    lower, upper = stats.wilson_ci(x, n)
    for i in range(len(pairs)):
        lo_i, hi_i = stats.wilson_ci(x[i], n[i])
        assert lower[i] == lo_i and upper[i] == hi_i


@given(st.integers(min_value=0, max_value=10**9), CONFIDENCES)
def test_poisson_contains_count_and_widens(x, confidence):
    lower, upper = stats.poisson_ci(x, confidence)
    assert 0.0 <= lower <= x < upper
    lo_w, hi_w = stats.poisson_ci(x, 0.9999)
    assert lo_w <= lower and hi_w >= upper


@given(st.integers(min_value=0, max_value=10**6))
def test_poisson_monotone_in_x_including_the_switch_at_10(x):
    lo_a, hi_a = stats.poisson_ci(x)
    lo_b, hi_b = stats.poisson_ci(x + 1)
    assert lo_b >= lo_a and hi_b >= hi_a
    ex_lo, ex_hi = stats.exact_poisson_ci(x)
    assert ex_lo <= x < ex_hi


@given(
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=1.0, max_value=1e8, allow_nan=False),
    st.sampled_from([100.0, 1000.0, 100_000.0]),
)
def test_rate_interval_contains_rate(x, n, multiplier):
    lower, upper = stats.rate_ci(x, n, multiplier=multiplier)
    rate = x / n * multiplier
    assert lower <= rate * (1 + 1e-12) and upper >= rate


@given(
    st.lists(st.integers(min_value=0, max_value=400), min_size=19, max_size=19),
    st.lists(st.integers(min_value=1, max_value=50_000), min_size=19, max_size=19),
)
def test_dsr_interval_contains_value_when_computed(events, pops):
    events = np.minimum(events, pops)
    res = stats.dsr(events, pops)
    assert res["events"] == sum(events)
    if res["events"] >= 10:
        assert res["lower"] <= res["value"] <= res["upper"]
        assert res["lower"] >= 0
    else:
        assert np.isnan(res["lower"]) and np.isnan(res["upper"])
    # scaling all populations by k divides the rate by k
    scaled = stats.dsr(events, np.asarray(pops) * 2)
    assert np.isclose(scaled["value"], res["value"] / 2, rtol=1e-12)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite, finite)
def test_compare_polarity_mirrors(a, b, bench):
    lower, upper = min(a, b), max(a, b)
    bad = stats.compare(lower, upper, bench, "hoch = schlecht")
    good = stats.compare(lower, upper, bench, "high_good")
    neutral = stats.compare(lower, upper, bench, "neutral")
    mirror = {"besser": "schlechter", "schlechter": "besser", "ähnlich": "ähnlich"}
    assert good == mirror[bad]
    expected_neutral = "ähnlich" if lower <= bench <= upper else ("höher" if bench < lower else "niedriger")
    assert neutral == expected_neutral


@st.composite
def series_matrix(draw):
    years = draw(st.integers(min_value=2, max_value=8))
    rows = draw(st.integers(min_value=1, max_value=6))
    n = np.array(draw(st.lists(st.integers(1, 10**6), min_size=years * rows, max_size=years * rows)), float)
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=years * rows, max_size=years * rows)))
    x = np.floor(n * frac)
    return x.reshape(rows, years), n.reshape(rows, years)


@given(series_matrix())
def test_chi2_trend_bounds_and_time_reversal(xn):
    x, n = xn
    chi2, p, sign = stats.chi2_trend(x, n)
    assert np.all(chi2 >= 0) and np.all((p >= 0) & (p <= 1))
    chi2_r, p_r, sign_r = stats.chi2_trend(x[:, ::-1], n[:, ::-1])
    np.testing.assert_allclose(chi2_r, chi2, rtol=1e-6, atol=1e-9)
    assert np.all((sign_r == -sign) | (chi2 < 1e-9))


@given(series_matrix())
def test_poisson_trend_bounds_and_time_reversal(xn):
    x, n = xn
    chi2, p, sign = stats.poisson_trend(x, n)
    assert np.all(chi2 >= 0) and np.all((p >= 0) & (p <= 1))
    chi2_r, _, sign_r = stats.poisson_trend(x[:, ::-1], n[:, ::-1])
    np.testing.assert_allclose(chi2_r, chi2, rtol=1e-6, atol=1e-9)
    assert np.all((sign_r == -sign) | (chi2 < 1e-9))


@given(series_matrix(), st.sampled_from(["proportion", "rate"]))
def test_trend_marker_2d_equals_row_by_row(xn, kind):
    x, n = xn
    labels = stats.trend_marker(x, n, min_points=min(5, x.shape[1]), kind=kind)
    for i in range(x.shape[0]):
        assert labels[i] == stats.trend_marker(x[i], n[i], min_points=min(5, x.shape[1]), kind=kind)
        assert labels[i] in stats.TREND_LABELS


@given(
    st.lists(st.one_of(st.floats(-100, 100, allow_nan=False), st.just(np.nan)), min_size=5, max_size=60),
    st.integers(min_value=2, max_value=10),
)
def test_assign_quantiles_properties(raw, q):
    values = pd.Series(raw)
    m = int(values.notna().sum())
    if m < q:
        try:
            stats.assign_quantiles(values, q=q)
        except ValueError:
            return
        raise AssertionError("expected ValueError for too few values")
    groups = stats.assign_quantiles(values, q=q)
    assert str(groups.dtype) == "Int64"
    assert groups.isna().equals(values.isna())
    present = groups.dropna().astype(int)
    assert present.min() >= 1 and present.max() <= q
    v = values[present.index]
    # higher value → same or smaller group number (1 = highest); equal values → same group
    order = np.argsort(-v.to_numpy(), kind="stable")
    assert np.all(np.diff(present.to_numpy()[order]) >= 0)
    for _, grp in present.groupby(v):
        assert grp.nunique() == 1
    lowest = stats.assign_quantiles(values, q=q, highest_first=False).dropna().astype(int)
    if not v.duplicated().any():
        # without ties: every group used, sizes differ by at most one; directions mirror when q divides m
        sizes = present.value_counts().reindex(range(1, q + 1), fill_value=0)
        assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1
        if m % q == 0:
            assert (lowest == q + 1 - present).all()
