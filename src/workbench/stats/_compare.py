"""Benchmark comparison labels, funnel-plot control limits and rank-based quantile groups.

Part of the public :mod:`workbench.stats` API (import from there). Methods: METHODS.md ("Comparing an area
with a benchmark", "Funnel plots", "Quantiles").
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

    Spaces and case are ignored ("Hoch=Schlecht" works); English aliases "high_bad", "high_good", "neutral".
    """
    if isinstance(polarity, str):
        key = "".join(polarity.split()).lower().replace("-", "_")
        if key in _POLARITY_ALIASES:
            return _POLARITY_ALIASES[key]
    raise StatisticsInputError(
        f"Argument 'polarity': {polarity!r} ist unbekannt.",
        hint="Erlaubt sind 'hoch = schlecht', 'hoch = gut' und 'neutral' (oder high_bad, high_good, neutral).",
    )


def compare(lower: Any, upper: Any, benchmark: Any, polarity: Any = HIGH_BAD) -> Any:
    """Compare an area's interval [lower, upper] with a benchmark value and return German labels.

    "ähnlich" when lower ≤ benchmark ≤ upper. Otherwise the area is higher (benchmark < lower) or lower
    (benchmark > upper), labelled by polarity: "hoch = schlecht" → "schlechter"/"besser",
    "hoch = gut" → "besser"/"schlechter", "neutral" → "höher"/"niedriger". "nicht verglichen" when lower,
    upper or benchmark is missing. ``polarity`` may be one string or one per element. Vectorised: scalars give
    a str, arrays an object ndarray, Series a Series with the same index.
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

    Per area yᵢ = logit((xᵢ + ½)/(nᵢ + 1)) with variance sᵢ² = 1/(xᵢ + ½) + 1/(nᵢ − xᵢ + ½) (Haldane
    correction, so 0 and n are allowed); wᵢ = 1/sᵢ²; Q = Σ wᵢ(yᵢ − ȳ_w)²;
    τ² = max(0, (Q − (k − 1)) / (Σ wᵢ − Σ wᵢ²/Σ wᵢ)). Areas with missing x or n are ignored; with fewer
    than 2 areas τ² = 0.
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

    Without over-dispersion: the Wilson limits of p̄ at n, i.e. :func:`wilson_ci` (x = p̄·n, n); use 0.95 for
    the 2σ and 0.998 for the 3σ funnel. With ``overdispersion=(x_all, n_all)`` (all areas' counts) or a
    given τ² (float): additive random effects on the logit scale. τ² is estimated by DerSimonian–Laird
    (:func:`overdispersion_tau2`) and each Wilson limit's distance from logit(p̄) is widened from h to
    √(h² + z²·τ²), so τ² = 0 reproduces the plain Wilson limits exactly and for large n the limits tend to
    logit(p̄) ± z·τ instead of collapsing onto p̄.
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
    """Quantile groups 1..q by rank (quintiles for q = 5, deciles for q = 10) as nullable Int64.

    ``highest_first=True``: group 1 holds the highest values (e.g. most deprived by an SGB II rate);
    False: group 1 holds the lowest. Ranks use the average of tied positions, so tied values always share a
    group; group = ⌈rank·q/m⌉ with m non-missing values (computed exactly in integers). Missing values stay
    ``<NA>``. Fewer non-missing values than q raise :class:`StatisticsInputError`. Series in → Series out
    (same index); otherwise a pandas ``Int64`` array.
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
