"""Implementation of the trend tests and the German trend marker for :mod:`workbench.stats`.

Private: import from :mod:`workbench.stats`. Time points run along the last axis (columns = years, oldest
first); 2-D input has one row per area and is processed without a Python loop over areas.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from workbench.stats._core import (
    StatisticsInputError,
    _as_float_array,
    _validate_counts,
    _validate_denominator,
    _validate_x_le_n,
    normalise_confidence,
    z_value,
)

__all__ = ["chi2_trend", "poisson_trend", "trend_marker", "TREND_LABELS"]

RISING = "steigend"
FALLING = "fallend"
NO_CHANGE = "keine signifikante Veränderung"
NOT_COMPUTABLE = "nicht berechenbar"
TREND_LABELS: tuple[str, ...] = (RISING, FALLING, NO_CHANGE, NOT_COMPUTABLE)
"""All labels :func:`trend_marker` can return."""


def _as_2d(x: Any, n: Any) -> tuple[np.ndarray, np.ndarray, pd.Index | None, bool]:
    """x, n as 2-D float arrays (rows = series); remember a DataFrame index and whether input was 1-D."""
    index = None
    for value in (x, n):
        if isinstance(value, pd.DataFrame):
            if index is not None and not index.equals(value.index):
                raise StatisticsInputError("Die DataFrames für x und n haben unterschiedliche Zeilenindizes.")
            index = value.index
    xa = _as_float_array(x, "x")
    na = _as_float_array(n, "n")
    one_d = xa.ndim <= 1 and na.ndim <= 1
    if xa.ndim > 2 or na.ndim > 2:
        raise StatisticsInputError(
            "x und n dürfen höchstens zweidimensional sein (Zeilen = Gebiete, Spalten = Jahre)."
        )
    xa = np.atleast_2d(xa)
    na = np.atleast_2d(na)
    try:
        xa, na = (np.array(a, dtype="float64") for a in np.broadcast_arrays(xa, na))
    except ValueError:
        raise StatisticsInputError(
            f"x und n passen nicht zusammen (Formen {xa.shape} und {na.shape})."
        ) from None
    return xa, na, index, one_d


def _trend_core(x: np.ndarray, n: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """χ², p and slope sign per row of validated 2-D arrays; rows with NaN give NaN."""
    t = np.arange(1, x.shape[1] + 1, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        big_n = n.sum(axis=1)
        big_x = x.sum(axis=1)
        t_bar = (n * t).sum(axis=1) / big_n
        u = t[None, :] - t_bar[:, None]
        score = (x * u).sum(axis=1)  # Σ x_t (t − t̄)
        s_nu2 = (n * u * u).sum(axis=1)  # Σ n_t (t − t̄)²
        if kind == "proportion":
            p_bar = big_x / big_n
            denominator = p_bar * ((big_n - big_x) / big_n) * s_nu2
        else:
            denominator = big_x * s_nu2 / big_n
        chi2 = score * score / denominator
    degenerate = (denominator == 0) & (score == 0)
    chi2 = np.where(degenerate, 0.0, chi2)
    missing = np.isnan(x).any(axis=1) | np.isnan(n).any(axis=1) | (x.shape[1] < 2)
    chi2 = np.where(missing, np.nan, chi2)
    p_value = special.chdtrc(1.0, chi2)
    sign = np.where(missing, np.nan, np.sign(np.where(degenerate, 0.0, score)))
    return chi2, p_value, sign


def _validate(x: np.ndarray, n: np.ndarray, kind: str) -> None:
    _validate_counts(x, "x")
    _validate_denominator(n, "n")
    if kind == "proportion":
        _validate_x_le_n(x, n)


def _wrap(values: np.ndarray, index: pd.Index | None, one_d: bool) -> Any:
    if one_d:
        return float(values[0])
    if index is not None:
        return pd.Series(values, index=index)
    return values


def _trend(x: Any, n: Any, kind: str) -> tuple[Any, Any, Any]:
    xa, na, index, one_d = _as_2d(x, n)
    _validate(xa, na, kind)
    chi2, p_value, sign = _trend_core(xa, na, kind)
    return _wrap(chi2, index, one_d), _wrap(p_value, index, one_d), _wrap(sign, index, one_d)


def chi2_trend(x: Any, n: Any) -> tuple[Any, Any, Any]:
    """Chi-square test for trend in proportions x_t/n_t over t = 1 … T (last axis), 1 degree of freedom.

    Parameters
    ----------
    x : array_like or pandas.DataFrame
        Numerators per time point, 0 ≤ x_t ≤ n_t. 1-D: one series (oldest year first); 2-D: one row per area,
        one column per year (processed without a Python loop over areas).
    n : array_like or pandas.DataFrame
        Denominators, n_t > 0; broadcast against ``x``.

    Returns
    -------
    chi2 : float or numpy.ndarray or pandas.Series
        The χ² statistic (1 df): a float for 1-D input, an array for 2-D arrays, a Series with the row index
        for DataFrames. NaN anywhere in a series (or fewer than 2 time points) gives NaN for that series.
    p_value : float or numpy.ndarray or pandas.Series
        Its p-value from the χ² distribution with 1 df, shaped like ``chi2``.
    slope_sign : float or numpy.ndarray or pandas.Series
        Direction: +1.0 (rising), −1.0 (falling) or 0.0, shaped like ``chi2``.

    Raises
    ------
    StatisticsInputError
        For x < 0, n ≤ 0, x > n, more than two dimensions, shapes that do not match, or DataFrames with
        different row indexes.

    Notes
    -----
    Cochran–Armitage test (Armitage 1955; docs/METHODEN.md, Abschnitt „Trend“) with X = Σ x_t, N = Σ n_t:
    χ² = N·(N·Σ x_t·t − X·Σ n_t·t)² / (X·(N − X)·(N·Σ n_t·t² − (Σ n_t·t)²)). Computed with t centred at its
    n-weighted mean (algebraically identical, numerically stable for n up to 10⁹ and beyond). When the statistic
    is 0/0 (no events at all, or every unit an event) the series shows no change: χ² = 0, p = 1, sign 0.

    References
    ----------
    Armitage, P. (1955). Tests for linear trends in proportions and frequencies. *Biometrics* 11, 375–386.

    Examples
    --------
    Shares 10, 12, 15, 19, 25 % of 100 each; statsmodels' ``Table(...).test_ordinal_association()`` uses the
    hypergeometric variance and gives z² = 10.064100 = χ²·(N − 1)/N:

    >>> import pandas as pd
    >>> from workbench.stats import chi2_trend
    >>> chi2, p, sign = chi2_trend([10, 12, 15, 19, 25], [100] * 5)
    >>> round(chi2, 6), round(p, 6), sign
    (10.084269, 0.001495, 1.0)
    >>> x = pd.DataFrame([[10, 12, 15, 19, 25], [25, 19, 15, 12, 10]], index=["0101", "0102"])
    >>> chi2, p, sign = chi2_trend(x, 100)
    >>> chi2.round(6).tolist(), sign.tolist()
    ([10.084269, 10.084269], [1.0, -1.0])
    """
    return _trend(x, n, "proportion")


def poisson_trend(x: Any, n: Any) -> tuple[Any, Any, Any]:
    """Score test for a log-linear trend in rates x_t/n_t (events x_t, exposure n_t; x may exceed n).

    Parameters
    ----------
    x : array_like or pandas.DataFrame
        Event counts per time point, x_t ≥ 0; 1-D (one series) or 2-D (rows = areas, columns = years).
    n : array_like or pandas.DataFrame
        Exposure (population, person-years), n_t > 0; broadcast against ``x``.

    Returns
    -------
    chi2 : float or numpy.ndarray or pandas.Series
        The score statistic (1 df), shaped as for :func:`chi2_trend`.
    p_value : float or numpy.ndarray or pandas.Series
        Its p-value.
    slope_sign : float or numpy.ndarray or pandas.Series
        Direction: +1.0 (rising), −1.0 (falling) or 0.0.

    Raises
    ------
    StatisticsInputError
        For x < 0, n ≤ 0, more than two dimensions or shapes that do not match.

    Notes
    -----
    Score test of β = 0 in the Poisson model log E[x_t] = log n_t + α + β·t (Breslow & Day 1987), with X = Σ x_t,
    N = Σ n_t: χ² = (Σ t·x_t − X·Σ t·n_t/N)² / (X·(Σ t²·n_t/N − (Σ t·n_t/N)²)), 1 df; computed with centred t
    like :func:`chi2_trend` (docs/METHODEN.md, Abschnitt „Trend“).

    Examples
    --------
    Checked against the score statistic of a ``statsmodels`` Poisson GLM (intercept only, offset log n):

    >>> from workbench.stats import poisson_trend
    >>> chi2, p, sign = poisson_trend([30, 34, 41, 45, 52], [1000, 1010, 1020, 1030, 1040])
    >>> round(chi2, 6), round(p, 4), sign
    (6.449263, 0.0111, 1.0)
    """
    return _trend(x, n, "rate")


def trend_marker(
    x: Any,
    n: Any,
    confidence: float = 0.998,
    min_points: int = 5,
    kind: Literal["proportion", "rate"] = "proportion",
) -> Any:
    """German trend marker over the last ``min_points`` time points (columns), vectorised over areas (rows).

    Parameters
    ----------
    x : array_like or pandas.DataFrame
        Numerators (proportions) or events (rates) per year, oldest first; 1-D or 2-D (rows = areas).
    n : array_like or pandas.DataFrame
        Denominators or exposure, broadcast against ``x``.
    confidence : float, default 0.998
        Significance level of the test as a confidence level (99.8 % as in docs/METHODEN.md, Abschnitt „Trend“).
    min_points : int, default 5
        Number of most recent time points used, ≥ 2.
    kind : {"proportion", "rate"}, default "proportion"
        :func:`chi2_trend` for proportions, :func:`poisson_trend` for rates.

    Returns
    -------
    str or numpy.ndarray or pandas.Series
        Labels from :data:`TREND_LABELS`: 1-D input → str; 2-D → object ndarray; DataFrame → Series with the
        row index.

    Raises
    ------
    StatisticsInputError
        For an unknown ``kind``, ``min_points`` < 2, a bad confidence level or invalid counts in a usable series.

    Notes
    -----
    "steigend" / "fallend" when the test is significant at ``confidence`` (χ² > z², 9.5495 at 99.8 %),
    direction from the slope sign; otherwise "keine signifikante Veränderung". "nicht berechenbar" when there
    are fewer than ``min_points`` columns or any of the last ``min_points`` values of x or n is missing (NaN,
    e.g. suppressed) or n is 0 there (docs/METHODEN.md, Abschnitt „Trend“).

    Examples
    --------
    The series of :func:`chi2_trend` (χ² = 10.08 > 9.5495) is rising; a flat and a gappy one:

    >>> import pandas as pd
    >>> from workbench.stats import trend_marker
    >>> trend_marker([10, 12, 15, 19, 25], [100] * 5)
    'steigend'
    >>> x = pd.DataFrame([[25, 19, 15, 12, 10], [20, 20, 20, 20, 20], [10, None, 15, 19, 25]], index=["a", "b", "c"])
    >>> trend_marker(x, 100).tolist()
    ['fallend', 'keine signifikante Veränderung', 'nicht berechenbar']
    >>> trend_marker([10, 12, 15, 19, 25], [100] * 5, confidence=0.999)  # χ² < 10.83
    'keine signifikante Veränderung'
    """
    level = normalise_confidence(confidence)
    if kind not in ("proportion", "rate"):
        raise StatisticsInputError(
            f"Argument 'kind': {kind!r} ist unbekannt; erlaubt sind 'proportion' und 'rate'."
        )
    if isinstance(min_points, bool) or not isinstance(min_points, (int, np.integer)) or min_points < 2:
        raise StatisticsInputError(f"Argument 'min_points': {min_points!r} muss eine ganze Zahl ≥ 2 sein.")
    xa, na, index, one_d = _as_2d(x, n)
    labels = np.full(xa.shape[0], NOT_COMPUTABLE, dtype=object)
    if xa.shape[1] >= min_points:
        xw = xa[:, -min_points:]
        nw = na[:, -min_points:]
        usable = ~(np.isnan(xw).any(axis=1) | np.isnan(nw).any(axis=1) | (nw == 0).any(axis=1))
        xw = np.where(usable[:, None], xw, np.nan)
        nw = np.where(usable[:, None], nw, np.nan)
        _validate(xw, nw, kind)
        chi2, _, sign = _trend_core(xw, nw, kind)
        significant = chi2 > z_value(level) ** 2
        labels = np.select(
            [~usable, significant & (sign > 0), significant & (sign < 0)],
            [NOT_COMPUTABLE, RISING, FALLING],
            default=NO_CHANGE,
        ).astype(object)
    if one_d:
        return str(labels[0])
    if index is not None:
        return pd.Series(labels, index=index, dtype=object)
    return labels
