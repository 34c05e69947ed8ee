"""Implementation of benchmark comparison, funnel-plot limits and quantile groups for :mod:`workbench.stats`.

Private: import from :mod:`workbench.stats`; the methods are described in the function docstrings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.stats._core import (
    StatisticsInputError,
    _as_float_array,
    _prepare,
    _validate_counts,
    _validate_denominator,
    _validate_x_le_n,
    _wilson_arrays,
    z_value,
)

__all__ = [
    "POLARITIES",
    "COMPARISON_LABELS",
    "normalise_polarity",
    "compare",
    "overdispersion_tau2",
    "funnel_limits",
    "assign_quantiles",
]

HIGH_BAD = "hoch = schlecht"
HIGH_GOOD = "hoch = gut"
NEUTRAL = "neutral"
POLARITIES: tuple[str, ...] = (HIGH_BAD, HIGH_GOOD, NEUTRAL)
"""Canonical polarity strings (English aliases ``high_bad``, ``high_good``, ``neutral`` are accepted too)."""

SIMILAR = "ähnlich"
NOT_COMPARED = "nicht verglichen"
COMPARISON_LABELS: tuple[str, ...] = (SIMILAR, "besser", "schlechter", "höher", "niedriger", NOT_COMPARED)
"""All labels :func:`compare` can return."""

_POLARITY_ALIASES = {
    "hoch=schlecht": HIGH_BAD,
    "high_bad": HIGH_BAD,
    "hoch=gut": HIGH_GOOD,
    "high_good": HIGH_GOOD,
    "neutral": NEUTRAL,
}


def normalise_polarity(polarity: str) -> str:
    """Return the canonical German polarity ("hoch = schlecht", "hoch = gut", "neutral") for any accepted spelling.

    Parameters
    ----------
    polarity : str
        Polarity of an indicator. Spaces, hyphens and case are ignored ("Hoch=Schlecht" works); the English
        aliases "high_bad", "high_good" and "neutral" are accepted too.

    Returns
    -------
    str
        One of :data:`POLARITIES`.

    Raises
    ------
    StatisticsInputError
        For any other value (including non-strings).

    Notes
    -----
    Polarity turns "higher/lower than the benchmark" into "worse/better" (docs/METHODEN.md, Abschnitt
    „Polarität“).

    Examples
    --------
    >>> from workbench.stats import normalise_polarity
    >>> normalise_polarity("Hoch=Schlecht"), normalise_polarity("high_good"), normalise_polarity("Neutral")
    ('hoch = schlecht', 'hoch = gut', 'neutral')
    """
    if isinstance(polarity, str):
        key = "".join(polarity.split()).lower().replace("-", "_")
        if key in _POLARITY_ALIASES:
            return _POLARITY_ALIASES[key]
    raise StatisticsInputError(
        f"unbekannte Polarität {polarity!r} (Argument 'polarity')",
        hint="Erlaubt sind 'hoch = schlecht', 'hoch = gut' und 'neutral' (oder high_bad, high_good, neutral).",
    )


def compare(lower: Any, upper: Any, benchmark: Any, polarity: Any = HIGH_BAD) -> Any:
    """Compare an area's interval [lower, upper] with a benchmark value and return German labels.

    Parameters
    ----------
    lower, upper : float or array_like or pandas.Series
        Interval limits of the area values (e.g. from :func:`wilson_ci`), lower ≤ upper, in the unit of the
        benchmark (proportion, %, rate per 1,000 …). NaN = not computable.
    benchmark : float or array_like or pandas.Series
        Comparison value (city, parent district), same unit; broadcast against the limits.
    polarity : str or array_like of str, default "hoch = schlecht"
        One polarity for all elements or one per element (any spelling :func:`normalise_polarity` accepts).

    Returns
    -------
    str or numpy.ndarray or pandas.Series
        Labels from :data:`COMPARISON_LABELS`: a str for scalars, an object ndarray for arrays, a Series with
        the input's index for Series.

    Raises
    ------
    StatisticsInputError
        When lower > upper somewhere, for an unknown polarity, or when the shapes do not match.

    Notes
    -----
    "ähnlich" when lower ≤ benchmark ≤ upper. Otherwise the area is higher (benchmark < lower) or lower
    (benchmark > upper), labelled by polarity: "hoch = schlecht" → "schlechter"/"besser", "hoch = gut" →
    "besser"/"schlechter", "neutral" → "höher"/"niedriger". "nicht verglichen" when lower, upper or benchmark is
    missing. Method: docs/METHODEN.md, Abschnitt „Vergleich mit der Stadt“ (significance by interval comparison,
    as in the PHE Fingertips technical guidance).

    Examples
    --------
    The Wilson interval of 65/100 (0.5525 … 0.7364) against three city values:

    >>> from workbench.stats import compare, wilson_ci
    >>> lo, up = wilson_ci(65, 100)
    >>> compare(lo, up, 0.50), compare(lo, up, 0.60), compare(lo, up, 0.80)
    ('schlechter', 'ähnlich', 'besser')
    >>> compare([lo, lo, lo], [up, up, up], 0.50, ["hoch = gut", "neutral", "hoch = schlecht"]).tolist()
    ['besser', 'höher', 'schlechter']
    >>> compare(float("nan"), up, 0.5)
    'nicht verglichen'
    """
    (lo, up, bench), wrap = _prepare(lower=lower, upper=upper, benchmark=benchmark)
    if np.any(lo > up):
        bad = np.flatnonzero((lo > up).ravel())[0]
        raise StatisticsInputError(
            f"Untere Grenze größer als obere Grenze an Position {bad} ({lo.ravel()[bad]:g} > {up.ravel()[bad]:g}).",
            hint="Reihenfolge der Argumente prüfen: compare(lower, upper, benchmark, polarity).",
        )
    if isinstance(polarity, str):
        pol = np.full(lo.shape, normalise_polarity(polarity), dtype=object)
    else:
        values = (
            polarity.to_numpy(dtype=object)
            if isinstance(polarity, pd.Series)
            else np.asarray(polarity, dtype=object)
        )
        uniques = {v: normalise_polarity(v) for v in pd.unique(values.ravel())}
        mapped = np.vectorize(uniques.__getitem__, otypes=[object])(values) if values.size else values
        try:
            pol = np.broadcast_to(mapped, lo.shape)
        except ValueError:
            raise StatisticsInputError(
                f"Argument 'polarity': {values.shape[0] if values.ndim else 1} Werte passen nicht zu {lo.shape}."
            ) from None
    missing = np.isnan(lo) | np.isnan(up) | np.isnan(bench)
    higher = bench < lo
    lower_ = bench > up
    good_when_high = pol == HIGH_GOOD
    neutral = pol == NEUTRAL
    higher_label = np.where(neutral, "höher", np.where(good_when_high, "besser", "schlechter"))
    lower_label = np.where(neutral, "niedriger", np.where(good_when_high, "schlechter", "besser"))
    labels = np.select(
        [missing, higher, lower_], [NOT_COMPARED, higher_label, lower_label], default=SIMILAR
    ).astype(object)
    if labels.ndim == 0:
        return str(labels)
    index = next((v.index for v in (lower, upper, benchmark) if isinstance(v, pd.Series)), None)
    if index is not None and labels.ndim == 1:
        return pd.Series(labels, index=index, dtype=object)
    return labels


def overdispersion_tau2(x_all: Any, n_all: Any) -> float:
    """Between-area variance τ² on the logit scale (DerSimonian–Laird), for over-dispersed funnel limits.

    Parameters
    ----------
    x_all : array_like or pandas.Series
        Numerator counts of all areas, 0 ≤ x ≤ n (NaN = area ignored).
    n_all : array_like or pandas.Series
        Denominators of all areas, n > 0; same length as ``x_all``.

    Returns
    -------
    float
        The variance τ² ≥ 0 of the area effects on the logit scale (unitless); 0 with fewer than 2 areas.

    Raises
    ------
    StatisticsInputError
        For x < 0, n ≤ 0, x > n or infinite values.

    See Also
    --------
    funnel_limits : Uses τ² to widen the control limits.

    Notes
    -----
    Per area yᵢ = logit((xᵢ + ½)/(nᵢ + 1)) with variance sᵢ² = 1/(xᵢ + ½) + 1/(nᵢ − xᵢ + ½) (Haldane
    correction, so 0 and n are allowed); wᵢ = 1/sᵢ²; Q = Σ wᵢ(yᵢ − ȳ_w)²;
    τ² = max(0, (Q − (k − 1)) / (Σ wᵢ − Σ wᵢ²/Σ wᵢ)) (DerSimonian & Laird 1986; Spiegelhalter 2005;
    docs/METHODEN.md, Abschnitt „Trichterdiagramm“).

    References
    ----------
    DerSimonian, R.; Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical Trials* 7, 177–188.

    Examples
    --------
    Checked against ``statsmodels.stats.meta_analysis.combine_effects(y, s², method_re="dl").tau2`` on the same
    logits; homogeneous areas (negative DerSimonian–Laird estimate) give 0:

    >>> from workbench.stats import overdispersion_tau2
    >>> round(overdispersion_tau2([10, 20, 30, 40], [100, 100, 100, 100]), 6)
    0.405739
    >>> overdispersion_tau2([12, 15, 9, 14], [100, 120, 90, 110])
    0.0
    """
    (x, n), _ = _prepare(x=x_all, n=n_all)
    x, n = x.ravel(), n.ravel()
    _validate_counts(x, "x_all")
    _validate_denominator(n, "n_all")
    _validate_x_le_n(x, n)
    keep = ~(np.isnan(x) | np.isnan(n))
    x, n = x[keep], n[keep]
    k = x.size
    if k < 2:
        return 0.0
    y = np.log((x + 0.5) / (n - x + 0.5))
    w = 1.0 / (1.0 / (x + 0.5) + 1.0 / (n - x + 0.5))
    y_bar = (w * y).sum() / w.sum()
    q = (w * (y - y_bar) ** 2).sum()
    c = w.sum() - (w * w).sum() / w.sum()
    return float(max(0.0, (q - (k - 1)) / c)) if c > 0 else 0.0


def funnel_limits(
    p_bar: float, n: Any, confidence: float = 0.95, overdispersion: tuple[Any, Any] | float | None = None
) -> tuple[Any, Any]:
    """Funnel-plot control limits (proportions 0 … 1) around the benchmark p̄ for denominators n.

    Parameters
    ----------
    p_bar : float
        Benchmark proportion 0 … 1 (e.g. the city share as a fraction, not in %).
    n : float or array_like or pandas.Series
        Denominators at which the limits are wanted, n > 0.
    confidence : float, default 0.95
        0.95 for the 2σ funnel, 0.998 for the 3σ funnel (fractions or percent).
    overdispersion : tuple of (x_all, n_all) or float, optional
        None: plain Wilson limits. ``(x_all, n_all)``: the counts of all areas, τ² estimated by
        :func:`overdispersion_tau2`. A float: a given τ² ≥ 0.

    Returns
    -------
    lower : float or numpy.ndarray or pandas.Series
        Lower control limit as a proportion 0 … 1, shaped like ``n``.
    upper : float or numpy.ndarray or pandas.Series
        Upper control limit, likewise.

    Raises
    ------
    StatisticsInputError
        For p̄ outside 0 … 1, n ≤ 0, a negative or non-finite τ², a malformed ``overdispersion`` tuple or a bad
        confidence level.

    Notes
    -----
    Without over-dispersion the limits are the Wilson limits of p̄ at n, i.e. :func:`wilson_ci` (x = p̄·n, n).
    With τ² (additive random effects on the logit scale) each limit's distance h from logit(p̄) is widened to
    √(h² + z²·τ²): τ² = 0 reproduces the plain Wilson limits exactly, and for large n the limits tend to
    logit(p̄) ± z·τ instead of collapsing onto p̄ (Spiegelhalter 2005; docs/METHODEN.md, Abschnitt
    „Trichterdiagramm“).

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance. *Statistics in Medicine*
    24, 1185–1202.

    Examples
    --------
    p̄ = 20 %: the 95 % limits equal statsmodels' Wilson intervals of 0.2·n out of n:

    >>> import numpy as np
    >>> from workbench.stats import funnel_limits
    >>> lo, up = funnel_limits(0.2, [50, 200, 1000])
    >>> np.round(lo, 6).tolist(), np.round(up, 6).tolist()
    ([0.112438, 0.150452, 0.176377], [0.330371, 0.260855, 0.225919])

    With τ² = 0.04 the limits for very large n approach expit(logit(0.2) ± 1.959964 · 0.2) = 0.144515 … 0.270063:

    >>> [round(v, 6) for v in funnel_limits(0.2, 1e9, overdispersion=0.04)]
    [0.144515, 0.270063]
    """
    z = z_value(confidence)
    p = float(p_bar) if np.ndim(p_bar) == 0 else np.nan
    if not (0.0 <= p <= 1.0):
        raise StatisticsInputError(f"Argument 'p_bar': {p_bar!r} muss ein Anteil zwischen 0 und 1 sein.")
    (na,), wrap = _prepare(n=n)
    _validate_denominator(na, "n")
    lower, upper = _wilson_arrays(p * na, na, z)
    if overdispersion is None:
        return wrap(lower), wrap(upper)
    if isinstance(overdispersion, tuple):
        if len(overdispersion) != 2:
            raise StatisticsInputError("Argument 'overdispersion': erwartet (x_all, n_all) oder τ² als Zahl.")
        tau2 = overdispersion_tau2(*overdispersion)
    else:
        tau2 = float(_as_float_array(overdispersion, "overdispersion"))
        if not (np.isfinite(tau2) and tau2 >= 0):
            raise StatisticsInputError(f"Argument 'overdispersion': τ² = {overdispersion!r} muss ≥ 0 sein.")
    if tau2 == 0 or p in (0.0, 1.0):
        return wrap(lower), wrap(upper)
    centre = np.log(p / (1 - p))
    extra = z * z * tau2
    with np.errstate(divide="ignore"):
        h_lo = centre - np.log(lower / (1 - lower))  # +inf where lower = 0
        h_up = np.log(upper / (1 - upper)) - centre
    lower_od = 1.0 / (1.0 + np.exp(np.sqrt(h_lo**2 + extra) - centre))  # expit(centre − h')
    upper_od = 1.0 / (1.0 + np.exp(-(centre + np.sqrt(h_up**2 + extra))))
    return wrap(lower_od), wrap(upper_od)


def assign_quantiles(values: Any, q: int = 5, highest_first: bool = True) -> Any:
    """Quantile groups 1 … q by rank (quintiles for q = 5, deciles for q = 10) as nullable ``Int64``.

    Parameters
    ----------
    values : array_like or pandas.Series
        One value per area (one-dimensional); NaN = missing, infinite values are invalid.
    q : int, default 5
        Number of groups, ≥ 1.
    highest_first : bool, default True
        True: group 1 holds the highest values (e.g. most deprived by an SGB II rate); False: group 1 holds the
        lowest.

    Returns
    -------
    pandas.Series or pandas.arrays.IntegerArray
        Group numbers 1 … q (``Int64``; ``<NA>`` for missing values). Series in → Series out (same index and
        name); otherwise a pandas ``Int64`` array.

    Raises
    ------
    StatisticsInputError
        When q is not an integer ≥ 1, values are not one-dimensional or infinite, or fewer than q values are
        present.

    Notes
    -----
    Ranks use the average of tied positions, so tied values always share a group; group = ⌈rank·q/m⌉ with m
    non-missing values, computed exactly in integers (docs/METHODEN.md, Abschnitt „Quantile und Dezile“).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.stats import assign_quantiles
    >>> assign_quantiles([5.0, 1.0, 3.0, 4.0, 2.0], q=5).tolist()
    [1, 5, 3, 2, 4]

    Ties share a group (average ranks 1.5, 1.5, 3, 4 of 4 → ⌈0.75⌉, ⌈0.75⌉, ⌈1.5⌉, ⌈2⌉):

    >>> assign_quantiles([10, 10, 5, 1], q=2).tolist()
    [1, 1, 2, 2]
    >>> assign_quantiles(pd.Series([3.0, None, 1.0, 2.0], index=list("abcd")), q=3, highest_first=False).tolist()
    [3, <NA>, 1, 2]
    """
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 1:
        raise StatisticsInputError(f"Argument 'q': {q!r} muss eine ganze Zahl ≥ 1 sein.")
    arr = _as_float_array(values, "values")
    if arr.ndim > 1:
        raise StatisticsInputError("Argument 'values' muss eindimensional sein.")
    arr = np.atleast_1d(arr)
    if np.isinf(arr).any():
        bad = int(np.flatnonzero(np.isinf(arr))[0])
        raise StatisticsInputError(f"Argument 'values': unendlicher Wert an Position {bad}.")
    present = ~np.isnan(arr)
    m = int(present.sum())
    if m < q:
        raise StatisticsInputError(
            f"Nur {m} Werte vorhanden, aber {q} Gruppen verlangt.",
            hint="Weniger Gruppen wählen (z. B. Quartile statt Quintile) oder mehr Gebiete einbeziehen.",
        )
    ranks = pd.Series(arr[present]).rank(method="average", ascending=not highest_first).to_numpy()
    twice_rank = np.rint(2.0 * ranks).astype(np.int64)  # average ranks are multiples of ½
    groups = -((-twice_rank * q) // (2 * m))  # ceil(rank·q/m) in exact integer arithmetic
    out = pd.array(np.zeros(arr.shape[0], dtype=np.int64), dtype="Int64")
    out[~present] = pd.NA
    out[present] = groups
    if isinstance(values, pd.Series):
        return pd.Series(out, index=values.index, name=values.name)
    return out
