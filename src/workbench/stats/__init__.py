"""Statistics for small-area social reporting: intervals, standardised rates, comparisons, trends, funnels.

The documented public API of the workbench (planners' notebooks and external checks call it). Formulas are
those of ``METHODS.md``; every function is vectorised over NumPy arrays and pandas Series (the index is
kept), scalars return floats, NaN input gives NaN output, and invalid input raises
:class:`StatisticsInputError` (a ``ValueError`` and a ``WorkbenchError`` with a German message).
Confidence levels are accepted as fractions or percent (0.95 / 95, 0.998 / 99.8).

Usage::

    >>> from workbench import stats
    >>> lo, hi = stats.wilson_ci(65, 100)                    # proportion 65/100, 95 %
    >>> round(lo, 6), round(hi, 6)
    (0.552544, 0.736358)
    >>> lo, hi = stats.poisson_ci(65)                        # count: Byar for x >= 10, exact below
    >>> round(lo, 6), round(hi, 6)
    (50.163188, 82.849139)
    >>> lo, hi = stats.rate_ci(65, 20_000, multiplier=1000)  # rate per 1,000
    >>> stats.compare(lo, hi, 2.0, "hoch = schlecht")
    'schlechter'
    >>> stats.trend_marker([10, 12, 15, 19, 25], [100] * 5)
    'steigend'
    >>> stats.age_band_5y(93)
    '90+'
    >>> stats.assign_quantiles([5.0, 1.0, 3.0, 4.0, 2.0], q=5).tolist()
    [1, 5, 3, 2, 4]

Many areas at once: ``stats.wilson_ci(df["x"], df["n"])`` returns two Series with ``df``'s index;
``stats.trend_marker(x_wide, n_wide)`` takes DataFrames with one row per area and one column per year;
``stats.dsr_by_group(long_df, ["area_id", "year"], "age_band", "deaths", "population")`` standardises
every area × year to the European Standard Population 2013 (:data:`ESP2013`).

Submodules (implementation detail, import from here): ``stats_core`` (confidence, Wilson, Poisson, rates),
``stats_dsr`` (DSR, ESP2013), ``stats_trend`` (trend tests and markers), ``stats_compare`` (benchmark
comparison, funnel limits, quantiles).
"""

from __future__ import annotations

from workbench.stats._compare import (
    COMPARISON_LABELS,
    POLARITIES,
    assign_quantiles,
    compare,
    funnel_limits,
    normalise_polarity,
    overdispersion_tau2,
)
from workbench.stats._core import (
    StatisticsInputError,
    byar_ci,
    exact_poisson_ci,
    normalise_confidence,
    poisson_ci,
    rate_ci,
    wilson_ci,
    z_value,
)
from workbench.stats._dsr import AGE_BANDS_5Y, ESP2013, age_band_5y, dsr, dsr_by_group
from workbench.stats._trend import TREND_LABELS, chi2_trend, poisson_trend, trend_marker

__all__ = [
    "AGE_BANDS_5Y",
    "COMPARISON_LABELS",
    "ESP2013",
    "POLARITIES",
    "TREND_LABELS",
    "StatisticsInputError",
    "age_band_5y",
    "assign_quantiles",
    "byar_ci",
    "chi2_trend",
    "compare",
    "dsr",
    "dsr_by_group",
    "exact_poisson_ci",
    "funnel_limits",
    "normalise_confidence",
    "normalise_polarity",
    "overdispersion_tau2",
    "poisson_ci",
    "poisson_trend",
    "rate_ci",
    "trend_marker",
    "wilson_ci",
    "z_value",
]
