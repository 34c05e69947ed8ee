"""Statistics for small-area social reporting: intervals, standardised rates, comparisons, trends, funnels.

The documented public API of the workbench: planners' notebooks, the indicator engine and external checks
call it. Formulas are those of docs/METHODEN.md (Abschnitte „Konfidenzintervalle“, „Vergleich mit der
Stadt“, „Trend“, „Trichterdiagramm“, „Quantile und Dezile“). Every function is vectorised over NumPy arrays
and pandas Series (the index is kept), scalars return floats, NaN input gives NaN output, and invalid input
raises :class:`StatisticsInputError` (a ``ValueError`` and a ``WorkbenchError`` with a German message).
Confidence levels are accepted as fractions or percent (0.95 / 95, 0.998 / 99.8).

See Also
--------
normalise_confidence, z_value : Confidence levels (fractions or percent) and normal quantiles.
wilson_ci, poisson_ci, exact_poisson_ci, byar_ci, rate_ci : Intervals for proportions (Wilson), counts (exact
    below 10, Byar from 10) and rates (e.g. je 1.000).
dsr, dsr_by_group, age_band_5y : Directly standardised rates with the Dobson interval (:data:`ESP2013`,
    :data:`AGE_BANDS_5Y`).
compare, normalise_polarity : Comparison with a benchmark (:data:`POLARITIES`, :data:`COMPARISON_LABELS`).
chi2_trend, poisson_trend, trend_marker : Trend tests for proportions and rates, German trend marker
    (:data:`TREND_LABELS`).
funnel_limits, overdispersion_tau2, assign_quantiles : Funnel-plot limits, over-dispersion, quantile groups.
kish_effective_n, design_effect, weighted_share_ci : Weighted survey shares with the Wilson interval on the
    Kish effective sample size (:class:`WeightedShare`).
StatisticsInputError : The error raised for invalid input.

Notes
-----
Many areas at once: ``stats.wilson_ci(df["x"], df["n"])`` returns two Series with ``df``'s index;
``stats.trend_marker(x_wide, n_wide)`` takes DataFrames with one row per area and one column per year;
``stats.dsr_by_group(long_df, ["area_id", "year"], "age_band", "deaths", "population")`` standardises every
area × year to the European Standard Population 2013.

The implementation lives in private modules (``_core``: confidence levels and intervals; ``_dsr``;
``_trend``; ``_compare``: comparison, funnels, quantiles); import everything from :mod:`workbench.stats`.

References
----------
Wilson (1927), Garwood (1936), Breslow & Day (1987), Dobson et al. (1991), Eurostat (2013), Armitage (1955),
DerSimonian & Laird (1986), Spiegelhalter (2005); full citations in the function docstrings and in
docs/METHODEN.md, Abschnitt „Quellen“.

Examples
--------
>>> from workbench import stats
>>> lo, up = stats.wilson_ci(65, 100)                    # share 65/100, 95 %
>>> round(100 * lo, 2), round(100 * up, 2)               # in %
(55.25, 73.64)
>>> lo, up = stats.rate_ci(65, 20_000, multiplier=1000)  # rate je 1.000, Byar limits
>>> stats.compare(lo, up, 2.0, "hoch = schlecht")         # city: 2.0 je 1.000
'schlechter'
>>> stats.trend_marker([10, 12, 15, 19, 25], [100] * 5)   # χ² trend test, 99.8 %
'steigend'
"""

from __future__ import annotations

from inspect import isfunction as _isfunction

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
from workbench.stats._survey import (
    ShareDifference,
    WeightedShare,
    design_effect,
    kish_effective_n,
    weighted_share_ci,
    weighted_share_difference,
)
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
    # weighted survey estimates (Kish effective sample size, design effect, Wilson on n_eff)
    "WeightedShare",
    "design_effect",
    "kish_effective_n",
    "weighted_share_ci",
    # change between two independent survey waves (Newcombe's hybrid score interval on n_eff)
    "ShareDifference",
    "weighted_share_difference",
]


for _obj in filter(_isfunction, (globals()[_n] for _n in __all__)):  # help() and tracebacks name the façade
    _obj.__module__ = __name__
del _obj

# Difference-in-differences with matched comparison areas (chapter „Maßnahmencontrolling“)
from workbench.stats._did import DidResult, did_estimate, match_controls, wild_cluster_bootstrap  # noqa: E402

__all__ += ["DidResult", "did_estimate", "match_controls", "wild_cluster_bootstrap"]
