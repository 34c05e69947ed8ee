"""Confidence levels, input handling and interval estimates for proportions, counts and rates.

Part of the public :mod:`workbench.stats` API (import from there). Formulas: ``METHODS.md``
(Wilson score interval; exact Poisson limits for x < 10; Byar's approximation for x >= 10).

All functions are vectorised over NumPy arrays and pandas Series (the index is kept); scalar input returns
Python floats. Missing input (NaN, ``pd.NA``) gives NaN output; invalid input (negative counts, x > n, n <= 0,
infinite values, confidence outside 90–99.99 %) raises :class:`StatisticsInputError`, which is both a
``ValueError`` and a :class:`workbench.errors.WorkbenchError`.
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
    line shows the German message without a traceback).
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

    Accepted: 0.9 … 0.9999 or 90 … 99.99. Anything else (including NaN, booleans, text) raises
    :class:`StatisticsInputError` (a ``ValueError``).
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
    """Two-sided standard normal quantile z = Φ⁻¹(1 − α/2): 1.959964 for 95 %, 3.090232 for 99.8 %."""
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

    lower, upper = (2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²)); x = 0 gives lower 0, x = n upper 1.
    x and n may be non-integer (e.g. weighted counts on an effective sample size). Example:
    ``wilson_ci(65, 100)`` → (0.552544…, 0.736358…).

    Raises :class:`StatisticsInputError` for x < 0, n <= 0, x > n or infinite values; NaN gives NaN.
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
    """Byar's approximation to the Poisson interval for a count x (returned as counts).

    lower = x·(1 − 1/(9x) − z/(3√x))³, upper = (x + 1)·(1 − 1/(9(x + 1)) + z/(3√(x + 1)))³.
    Meant for x >= 10 (use :func:`poisson_ci` to switch automatically); for very small x the lower limit is
    clipped at 0. Example: ``byar_ci(65)`` → (50.163188…, 82.849139…).
    """
    z = z_value(confidence)
    (xa,), wrap = _prepare(x=x)
    _validate_counts(xa, "x")
    lower, upper = _byar_arrays(xa, z)
    return wrap(lower), wrap(upper)


def exact_poisson_ci(x: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Exact Poisson interval for a count x: lower = χ²_{α/2}(2x)/2 (0 for x = 0), upper = χ²_{1−α/2}(2x+2)/2."""
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
    """Poisson interval for a count x: exact limits for x < 10, Byar's approximation for x >= 10 (METHODS.md)."""
    level = normalise_confidence(confidence)
    (xa,), wrap = _prepare(x=x)
    _validate_counts(xa, "x")
    lower, upper = _poisson_arrays(xa, level)
    return wrap(lower), wrap(upper)


def rate_ci(x: Any, n: Any, multiplier: float = 1000.0, confidence: float = 0.95) -> tuple[Any, Any]:
    """Interval for a rate x/n × multiplier (e.g. per 1,000): the :func:`poisson_ci` count limits / n × multiplier.

    x may exceed n (events per population, e.g. cases per 1,000 children); n must be > 0.
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
