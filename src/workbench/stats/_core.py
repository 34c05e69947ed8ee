"""Implementation of confidence levels and intervals (Wilson, Poisson, rates) for :mod:`workbench.stats`.

Private: import from :mod:`workbench.stats`, whose docstring describes the conventions. Also holds the input
conversion and validation helpers that the other ``workbench.stats`` modules share.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from workbench.errors import WorkbenchError

__all__ = [
    "StatisticsInputError",
    "normalise_confidence",
    "z_value",
    "wilson_ci",
    "byar_ci",
    "exact_poisson_ci",
    "poisson_ci",
    "rate_ci",
]

EXACT_BELOW = 10
"""Counts below this use exact Poisson limits in :func:`poisson_ci`, counts at or above it Byar's formula."""


class StatisticsInputError(WorkbenchError, ValueError):
    """Invalid input to a statistics function (negative count, x > n, bad confidence level, ...).

    Subclasses ``ValueError`` (what callers of a numeric API expect) and ``WorkbenchError`` (so the command
    line shows the German message without a traceback). Every function of :mod:`workbench.stats` raises it
    for invalid input; missing values (NaN) are not invalid, they give NaN results.

    Parameters
    ----------
    message : str
        German description of the problem, naming the argument and the first offending value (kept as
        ``problem``).
    path : path-like, optional
        File the input came from (keyword-only, as for every ``WorkbenchError``).
    where : str, optional
        Place in the input, e.g. a column (keyword-only).
    hint : str, optional
        German advice on how to fix the input (keyword-only).

    See Also
    --------
    workbench.errors.WorkbenchError : Base class of all errors with a German message.

    Notes
    -----
    The invalid inputs follow docs/METHODEN.md, Abschnitt „Konfidenzintervalle“ (reject x < 0, n ≤ 0 and x > n
    with a clear error).

    Examples
    --------
    >>> from workbench.stats import StatisticsInputError, wilson_ci
    >>> issubclass(StatisticsInputError, ValueError)
    True
    >>> try:
    ...     wilson_ci(12, 10)
    ... except StatisticsInputError as exc:
    ...     print(exc.problem)
    Argument 'x': Zähler größer als Nenner n, Wert 12.
    """


# ----------------------------------------------------------------------------------------------------------
# Input conversion and output wrapping
# ----------------------------------------------------------------------------------------------------------


def _as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert a scalar, list, array or Series to a float64 array (missing values become NaN)."""
    if isinstance(value, pd.DataFrame):
        frame = value
        try:
            return frame.to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise StatisticsInputError(f"Argument {name!r} enthält nicht-numerische Werte ({exc}).") from None
    if isinstance(value, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        try:
            return np.asarray(pd.Series(value).to_numpy(dtype="float64", na_value=np.nan))
        except (TypeError, ValueError) as exc:
            raise StatisticsInputError(f"Argument {name!r} enthält nicht-numerische Werte ({exc}).") from None
    if value is None or value is pd.NA:
        return np.array(np.nan)
    if isinstance(value, (str, bytes)):
        raise StatisticsInputError(
            f"Argument {name!r} muss eine Zahl sein, erhalten wurde der Text {value!r}."
        )
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        try:
            arr = pd.array(np.asarray(value, dtype=object)).to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise StatisticsInputError(f"Argument {name!r} enthält nicht-numerische Werte ({exc}).") from None
    return arr


def _series_index(*values: Any) -> pd.Index | None:
    """The common index of all Series among ``values`` (None if there is no Series)."""
    index = None
    for value in values:
        if isinstance(value, pd.Series):
            if index is None:
                index = value.index
            elif not index.equals(value.index):
                raise StatisticsInputError(
                    "Die übergebenen pandas-Series haben unterschiedliche Indizes.",
                    hint="Series vorher mit .align() oder .reindex() auf denselben Index bringen.",
                )
    return index


def _prepare(**named: Any) -> tuple[list[np.ndarray], Callable[[np.ndarray], Any]]:
    """Broadcast the named inputs to float arrays and return a function that wraps results like the input.

    The wrapper turns a 0-d result into a float, a result for Series input into a Series with that index
    and anything else into an ndarray.
    """
    index = _series_index(*named.values())
    arrays = [_as_float_array(v, k) for k, v in named.items()]
    try:
        arrays = list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(f"{k}: {a.shape}" for k, a in zip(named, arrays, strict=True))
        raise StatisticsInputError(f"Die Argumente haben nicht zusammenpassende Längen ({shapes}).") from None
    arrays = [np.array(a, dtype="float64") for a in arrays]  # writable copies

    def wrap(result: np.ndarray) -> Any:
        result = np.asarray(result, dtype="float64")
        if result.ndim == 0:
            return float(result)
        if index is not None and result.ndim == 1 and len(index) == result.shape[0]:
            return pd.Series(result, index=index)
        return result

    return arrays, wrap


def _position(arr: np.ndarray, mask: np.ndarray) -> str:
    """Describe the first offending element of ``arr`` where ``mask`` is true (value and position)."""
    flat = np.flatnonzero(mask.ravel())
    first = int(flat[0])
    value = arr.ravel()[first]
    value_text = f"{value:g}"
    if arr.ndim == 0:
        return f"Wert {value_text}"
    pos = np.unravel_index(first, arr.shape)
    pos_text = str(pos[0]) if len(pos) == 1 else str(tuple(int(p) for p in pos))
    more = f" (insgesamt {flat.size} Werte betroffen)" if flat.size > 1 else ""
    return f"Wert {value_text} an Position {pos_text}{more}"


def _check(mask: np.ndarray, arr: np.ndarray, name: str, problem: str, hint: str | None = None) -> None:
    if np.any(mask):
        raise StatisticsInputError(f"Argument {name!r}: {problem}, {_position(arr, mask)}.", hint=hint)


def _validate_counts(x: np.ndarray, name: str = "x") -> None:
    """Counts must be finite and >= 0 (NaN = missing is allowed)."""
    _check(np.isinf(x), x, name, "unendlicher Wert")
    _check(x < 0, x, name, "negative Anzahl", "Anzahlen müssen ≥ 0 sein; Eingangsdaten prüfen.")


def _validate_denominator(n: np.ndarray, name: str = "n") -> None:
    """Denominators must be finite and > 0 (NaN = missing is allowed)."""
    _check(np.isinf(n), n, name, "unendlicher Wert")
    _check(n <= 0, n, name, "Nenner ≤ 0", "Der Nenner (Bezugsgröße) muss größer als 0 sein.")


def _validate_x_le_n(x: np.ndarray, n: np.ndarray) -> None:
    _check(
        x > n,
        x,
        "x",
        "Zähler größer als Nenner n",
        "Bei Anteilen muss x ≤ n gelten; Zähler und Nenner vertauscht oder Nenner aus einem anderen Jahr?",
    )


# ----------------------------------------------------------------------------------------------------------
# Confidence levels
# ----------------------------------------------------------------------------------------------------------


def normalise_confidence(confidence: float) -> float:
    """Return a confidence level as a fraction, accepting fractions (0.95, 0.998) or percentages (95, 99.8).

    Every ``confidence`` argument of :mod:`workbench.stats` goes through this function (docs/METHODEN.md,
    Abschnitt „Konfidenzniveaus“: 95 % and 99.8 % are both standard).

    Parameters
    ----------
    confidence : float
        Two-sided confidence level as a fraction (0.9 … 0.9999) or in percent (90 … 99.99).

    Returns
    -------
    float
        The level as a fraction 0.9 … 0.9999 (percentages divided by 100, rounded to 12 decimals).

    Raises
    ------
    StatisticsInputError
        For anything else, including NaN, booleans and text.

    Examples
    --------
    >>> from workbench.stats import normalise_confidence
    >>> normalise_confidence(95), normalise_confidence(0.95), normalise_confidence(99.8)
    (0.95, 0.95, 0.998)
    >>> try:
    ...     normalise_confidence(50)
    ... except ValueError as exc:
    ...     print(exc.problem)
    Argument 'confidence': 50 liegt nicht zwischen 90 % und 99,99 %.
    """
    if isinstance(confidence, bool) or not isinstance(confidence, (Real, np.floating, np.integer)):
        raise StatisticsInputError(
            f"Argument 'confidence': {confidence!r} ist keine Zahl.",
            hint="Konfidenzniveau als Anteil (0.95, 0.998) oder in Prozent (95, 99.8) angeben.",
        )
    value = float(confidence)
    if math.isfinite(value):
        if 0.9 <= value <= 0.9999:
            return value
        if 90.0 <= value <= 99.99:
            return round(value / 100.0, 12)
    raise StatisticsInputError(
        f"Argument 'confidence': {confidence!r} liegt nicht zwischen 90 % und 99,99 %.",
        hint="Konfidenzniveau als Anteil (0.9 … 0.9999) oder in Prozent (90 … 99.99) angeben, z. B. 0.95 oder 99.8.",
    )


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal quantile z = Φ⁻¹(1 − α/2): 1.959964 for 95 %, 3.090232 for 99.8 %.

    Parameters
    ----------
    confidence : float, default 0.95
        Confidence level 1 − α as a fraction or in percent (see :func:`normalise_confidence`).

    Returns
    -------
    float
        The quantile z (unitless), computed with ``scipy.special.ndtri``.

    Raises
    ------
    StatisticsInputError
        For a confidence level outside 90 … 99.99 %.

    Notes
    -----
    Notation of docs/METHODEN.md, Abschnitt „Konfidenzniveaus“. z² = 9.5495 at 99.8 % is the significance
    threshold of the trend test (:func:`trend_marker`).

    Examples
    --------
    Checked against ``scipy.stats.norm.ppf(0.975)`` and ``norm.ppf(0.999)``:

    >>> from workbench.stats import z_value
    >>> round(z_value(0.95), 6), round(z_value(99.8), 6)
    (1.959964, 3.090232)
    >>> round(z_value(99.8) ** 2, 4)
    9.5495
    """
    level = normalise_confidence(confidence)
    return float(special.ndtri(1.0 - (1.0 - level) / 2.0))


# ----------------------------------------------------------------------------------------------------------
# Proportions
# ----------------------------------------------------------------------------------------------------------


def _wilson_arrays(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits for validated float arrays (no checks). NaN propagates."""
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        root = z * np.sqrt(z2 + 4.0 * x * (1.0 - x / n))
        upper = (2.0 * x + z2 + root) / (2.0 * (n + z2))
        # lower * upper = x² / (n (n + z²)) (product of the quadratic's roots): avoids cancellation for small x
        lower = (x / n) * (x / (n + z2)) / upper
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def wilson_ci(x: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a proportion x/n, returned as proportions (0 … 1), not percent.

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Numerator counts (persons with the feature), x ≥ 0. May be non-integer (e.g. weighted counts on an
        effective sample size). NaN or ``pd.NA`` = missing.
    n : float or array_like or pandas.Series
        Denominators (persons at risk), n > 0 and x ≤ n; broadcast against ``x``.
    confidence : float, default 0.95
        Two-sided confidence level as a fraction or in percent (0.95 / 95, 0.998 / 99.8).

    Returns
    -------
    lower : float or numpy.ndarray or pandas.Series
        Lower limit as a proportion 0 … 1 (multiply by 100 for %), same shape as the broadcast input: a float
        for scalars, a Series (with the input's index) for Series, an array otherwise. NaN where x or n is
        missing.
    upper : float or numpy.ndarray or pandas.Series
        Upper limit, likewise.

    Raises
    ------
    StatisticsInputError
        For x < 0, n ≤ 0, x > n, infinite values, Series with different indexes, or a bad confidence level.

    See Also
    --------
    funnel_limits : Wilson limits around a benchmark for many denominators.

    Notes
    -----
    lower, upper = (2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²)) with z = :func:`z_value` (Wilson 1927;
    docs/METHODEN.md, Abschnitt „Anteile: Wilson-Intervall“). x = 0 gives lower 0, x = n gives upper 1. The
    lower limit is computed as x² / (n (n + z²)) / upper (product of the roots), which avoids cancellation for
    small x.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of the
    American Statistical Association* 22, 209–212.

    Examples
    --------
    65 of 100 at 95 %, as ``statsmodels.stats.proportion.proportion_confint(65, 100, method="wilson")``:

    >>> import pandas as pd
    >>> from workbench.stats import wilson_ci
    >>> lo, up = wilson_ci(65, 100)
    >>> round(lo, 6), round(up, 6)
    (0.552544, 0.736358)

    At 99.8 % for two areas (statsmodels: 0 … 0.323170 and 0.015207 … 0.298611); x = 0 has the lower limit 0,
    and Series keep their index:

    >>> lo, up = wilson_ci(pd.Series([0, 3], index=["0101", "0102"]), pd.Series([20, 40], index=["0101", "0102"]), 99.8)
    >>> lo.round(6).to_dict(), up.round(6).to_dict()
    ({'0101': 0.0, '0102': 0.015207}, {'0101': 0.32317, '0102': 0.298611})
    """
    z = z_value(confidence)
    (xa, na), wrap = _prepare(x=x, n=n)
    _validate_counts(xa, "x")
    _validate_denominator(na, "n")
    _validate_x_le_n(xa, na)
    lower, upper = _wilson_arrays(xa, na, z)
    return wrap(lower), wrap(upper)


# ----------------------------------------------------------------------------------------------------------
# Counts (Poisson)
# ----------------------------------------------------------------------------------------------------------


def _byar_arrays(x: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * np.sqrt(x))) ** 3
        x1 = x + 1.0
        upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    lower = np.where(x == 0, 0.0, np.maximum(lower, 0.0))
    lower = np.where(np.isnan(x), np.nan, lower)
    return lower, upper


def _exact_arrays(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) limits via the regularised incomplete gamma inverse: χ²_q(2k)/2 = P⁻¹(k, q).

    Computed once per distinct value (counts repeat a lot), so 10⁶ elements take a few milliseconds.
    """
    alpha = 1.0 - confidence
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    if not ok.any():
        return lower, upper
    values, inverse = np.unique(x[ok], return_inverse=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(values > 0, special.gammaincinv(np.maximum(values, 1e-300), alpha / 2.0), 0.0)
        up = special.gammaincinv(values + 1.0, 1.0 - alpha / 2.0)
    lower[ok] = lo[inverse.ravel()]
    upper[ok] = up[inverse.ravel()]
    return lower, upper


def byar_ci(x: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Compute Byar's approximation to the Poisson interval for a count x (limits returned as counts).

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Observed counts, x ≥ 0 (NaN = missing). Meant for x ≥ 10; use :func:`poisson_ci` to switch to exact
        limits below 10 automatically.
    confidence : float, default 0.95
        Two-sided confidence level as a fraction or in percent.

    Returns
    -------
    lower : float or numpy.ndarray or pandas.Series
        Lower limit for the expected count (same unit as x, e.g. persons or cases), shaped like ``x``;
        clipped at 0 for very small x, 0 for x = 0.
    upper : float or numpy.ndarray or pandas.Series
        Upper limit, likewise.

    Raises
    ------
    StatisticsInputError
        For x < 0, infinite values or a bad confidence level.

    See Also
    --------
    poisson_ci : Exact limits below 10, Byar from 10.
    exact_poisson_ci : Exact (Garwood) limits for every x.

    Notes
    -----
    lower = x·(1 − 1/(9x) − z/(3√x))³, upper = (x + 1)·(1 − 1/(9(x + 1)) + z/(3√(x + 1)))³
    (Breslow & Day 1987; docs/METHODEN.md, Abschnitt „Fallzahlen: exaktes Poisson-Intervall und Byar-Näherung“).

    References
    ----------
    Breslow, N. E.; Day, N. E. (1987). *Statistical Methods in Cancer Research, Vol. II*. IARC Scientific
    Publications 82, Lyon.

    Examples
    --------
    x = 65 at 95 % gives 50.163188 … 82.849139
    (docs/METHODEN.md, Abschnitt „Fallzahlen: exaktes Poisson-Intervall und Byar-Näherung“);
    for x = 12 the approximation is already close to the exact limits 6.2006 … 20.9616 of :func:`exact_poisson_ci`:

    >>> from workbench.stats import byar_ci
    >>> lo, up = byar_ci(65)
    >>> round(lo, 6), round(up, 6)
    (50.163188, 82.849139)
    >>> [round(v, 4) for v in byar_ci(12)]
    [6.1935, 20.9629]
    """
    z = z_value(confidence)
    (xa,), wrap = _prepare(x=x)
    _validate_counts(xa, "x")
    lower, upper = _byar_arrays(xa, z)
    return wrap(lower), wrap(upper)


def exact_poisson_ci(x: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Exact (Garwood) Poisson interval for a count x (limits returned as counts).

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Observed counts x ≥ 0, usually the small ones (below 10); NaN = missing.
    confidence : float, default 0.95
        Level 1 − α of the two-sided interval (0.95 or 95, 0.998 or 99.8).

    Returns
    -------
    lower : float or numpy.ndarray or pandas.Series
        Lower limit for the expected count, shaped like ``x``; 0 for x = 0.
    upper : float or numpy.ndarray or pandas.Series
        Upper limit for the expected count.

    Raises
    ------
    StatisticsInputError
        For negative or infinite counts and for a level outside 90 … 99.99 %.

    See Also
    --------
    poisson_ci : Uses these limits for x < 10.

    Notes
    -----
    lower = χ²_{α/2}(2x)/2 (0 for x = 0), upper = χ²_{1−α/2}(2x + 2)/2 (Garwood 1936; docs/METHODEN.md,
    Abschnitt „Fallzahlen: exaktes Poisson-Intervall und Byar-Näherung“), computed through the inverse of the
    regularised incomplete gamma function (χ²_q(2k)/2 = P⁻¹(k, q)) once per distinct value.

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28, 437–442.

    Examples
    --------
    Checked against ``scipy.stats.chi2.ppf(0.025, 6) / 2`` and ``chi2.ppf(0.975, 8) / 2`` for x = 3, and
    ``chi2.ppf(0.975, 2) / 2`` for x = 0:

    >>> import numpy as np
    >>> from workbench.stats import exact_poisson_ci
    >>> lo, up = exact_poisson_ci(3)
    >>> round(lo, 6), round(up, 6)
    (0.618672, 8.767273)
    >>> lo, up = exact_poisson_ci(np.array([0, 7]), confidence=99.8)
    >>> np.round(lo, 4).tolist(), np.round(up, 4).tolist()
    ([0.0, 1.5203], [6.9078, 19.6262])
    """
    level = normalise_confidence(confidence)
    (xa,), wrap = _prepare(x=x)
    _validate_counts(xa, "x")
    lower, upper = _exact_arrays(xa, level)
    return wrap(lower), wrap(upper)


def _poisson_arrays(x: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    z = float(special.ndtri(1.0 - (1.0 - confidence) / 2.0))
    lower, upper = _byar_arrays(x, z)
    small = x < EXACT_BELOW
    if small.any():
        lo_ex, up_ex = _exact_arrays(np.where(small, x, np.nan), confidence)
        lower = np.where(small, lo_ex, lower)
        upper = np.where(small, up_ex, upper)
    return lower, upper


def poisson_ci(x: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Poisson interval for a count x: exact limits for x < 10, Byar's approximation for x ≥ 10.

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Observed counts x ≥ 0 (NaN = missing); the method is chosen per element.
    confidence : float, default 0.95
        Confidence level; 95 % and 99.8 % are the standard levels (fraction or percent).

    Returns
    -------
    lower : float or numpy.ndarray or pandas.Series
        Lower limit for the expected count (unit of x), shaped like ``x``.
    upper : float or numpy.ndarray or pandas.Series
        Upper limit, likewise.

    Raises
    ------
    StatisticsInputError
        When a count is negative or infinite, or the confidence level is invalid.

    See Also
    --------
    exact_poisson_ci, byar_ci : The two methods combined here.
    rate_ci : The same limits divided by a denominator.

    Notes
    -----
    Method: docs/METHODEN.md, Abschnitt „Fallzahlen: exaktes Poisson-Intervall und Byar-Näherung“ (Garwood 1936
    below 10; Byar in Breslow & Day 1987 from 10).

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.stats import poisson_ci
    >>> lo, up = poisson_ci(65)                      # Byar
    >>> round(lo, 6), round(up, 6)
    (50.163188, 82.849139)
    >>> lo, up = poisson_ci(np.array([3, np.nan]))  # exact; NaN stays NaN
    >>> np.round(lo, 6).tolist(), np.round(up, 6).tolist()
    ([0.618672, nan], [8.767273, nan])
    """
    level = normalise_confidence(confidence)
    (xa,), wrap = _prepare(x=x)
    _validate_counts(xa, "x")
    lower, upper = _poisson_arrays(xa, level)
    return wrap(lower), wrap(upper)


def rate_ci(x: Any, n: Any, multiplier: float = 1000.0, confidence: float = 0.95) -> tuple[Any, Any]:
    """Interval for a rate x/n × multiplier (e.g. per 1,000): the :func:`poisson_ci` limits / n × multiplier.

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Event counts, x ≥ 0 (NaN = missing). x may exceed n (events per population, e.g. cases per 1,000
        children).
    n : float or array_like or pandas.Series
        Denominators (population, exposure), n > 0; broadcast against ``x``.
    multiplier : float, default 1000
        Scale of the rate: 1000 gives "je 1.000", 100_000 "je 100.000".
    confidence : float, default 0.95
        Two-sided confidence level as a fraction or in percent.

    Returns
    -------
    lower : float or numpy.ndarray or pandas.Series
        Lower limit of the rate per ``multiplier`` (e.g. je 1.000), shaped like the broadcast input.
    upper : float or numpy.ndarray or pandas.Series
        Upper limit of the rate, likewise.

    Raises
    ------
    StatisticsInputError
        For x < 0, n ≤ 0, infinite values, a multiplier that is not a positive number, or a bad confidence
        level.

    Notes
    -----
    docs/METHODEN.md, Abschnitt „Raten“: the count interval (exact below 10, Byar from 10) divided by n and
    multiplied by ``multiplier``; the denominator is treated as fixed.

    Examples
    --------
    65 cases among 20,000 inhabitants, per 1,000 (Byar limits of 65 divided by 20):

    >>> from workbench.stats import rate_ci
    >>> lo, up = rate_ci(65, 20_000, multiplier=1000)
    >>> round(65 / 20_000 * 1000, 4), round(lo, 6), round(up, 6)
    (3.25, 2.508159, 4.142457)
    """
    level = normalise_confidence(confidence)
    if (
        isinstance(multiplier, bool)
        or not isinstance(multiplier, Real)
        or not (math.isfinite(multiplier) and multiplier > 0)
    ):
        raise StatisticsInputError(f"Argument 'multiplier': {multiplier!r} muss eine positive Zahl sein.")
    (xa, na), wrap = _prepare(x=x, n=n)
    _validate_counts(xa, "x")
    _validate_denominator(na, "n")
    lower, upper = _poisson_arrays(xa, level)
    return wrap(lower / na * multiplier), wrap(upper / na * multiplier)
