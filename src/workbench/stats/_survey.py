"""Weighted survey estimates: Kish effective sample size, design effect, weighted shares with Wilson intervals.

A resident survey with design weights (inverse response propensity × persons represented) estimates a share by
the weighted mean of a 0/1 answer. Unequal weights make the estimate less precise than a simple random sample
of the same size; Kish's effective sample size says how much:

    n_eff = (Σ w)² / Σ w²,      deff_w = n / n_eff = 1 + cv²(w)

(Kish 1965, *Survey Sampling*, § 11.7; Kish 1992, J. Off. Stat. 8:183–200). The interval of a weighted share
is the Wilson score interval on the effective sample size (the weighted share p̂ and n_eff in place of x/n and
n), as recommended for complex samples by Dean & Pagano (2015, J. Surv. Stat. Methodol. 3:484–503) and
discussed by Korn & Graubard (1998, Surv. Methodol. 24:193–201). Only the weighting effect enters (no
clustering or stratification: the survey is a simple sample per Sozialraum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.stats._core import StatisticsInputError, normalise_confidence, wilson_ci


def _weights(weights: Any) -> np.ndarray:
    w = np.asarray(weights, dtype=float).ravel()
    if w.size and (not np.all(np.isfinite(w)) or np.any(w <= 0)):
        raise StatisticsInputError("Gewichte müssen endliche positive Zahlen sein")
    return w


def kish_effective_n(weights: Any) -> float:
    """Kish's effective sample size n_eff = (Σw)² / Σw² of a set of design weights.

    Parameters
    ----------
    weights : array_like
        Positive design weights of the respondents (any scale: n_eff does not depend on it).

    Returns
    -------
    float
        n_eff (0 for no weights); equals n for equal weights and is smaller the more the weights vary.

    Raises
    ------
    StatisticsInputError
        For a weight that is not a finite positive number.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley, § 11.7.

    Examples
    --------
    >>> from workbench import stats
    >>> stats.kish_effective_n([1, 1, 1, 1])
    4.0
    >>> round(stats.kish_effective_n([1, 1, 2, 4]), 4)      # 8² / 22
    2.9091
    """
    w = _weights(weights)
    if not w.size:
        return 0.0
    return float(w.sum() ** 2 / np.sum(w**2))


def design_effect(weights: Any) -> float:
    """Kish's design effect of unequal weighting deff = n / n_eff = 1 + cv²(w) (population cv).

    Examples
    --------
    >>> from workbench import stats
    >>> round(stats.design_effect([1, 1, 2, 4]), 4)         # 4 / 2.9091
    1.375
    """
    w = _weights(weights)
    if not w.size:
        return float("nan")
    return float(w.size / kish_effective_n(w))


@dataclass(frozen=True)
class WeightedShare:
    """A weighted share with its interval: ``share``, ``lower``, ``upper`` (proportions 0 … 1), ``n``
    (respondents with a valid answer), ``n_eff`` (Kish) and ``deff`` (n / n_eff)."""

    share: float
    lower: float
    upper: float
    n: int
    n_eff: float
    deff: float


def weighted_share_ci(hit: Any, weights: Any, confidence: float = 0.95) -> WeightedShare:
    """Weighted share of respondents with a feature and its Wilson interval on the Kish effective sample size.

    Parameters
    ----------
    hit : array_like of bool or 0/1, NaN = no valid answer
        Whether each respondent has the feature (e.g. answered 4 or 5 on a 1–5 scale); NaN rows are dropped
        together with their weights.
    weights : array_like
        Positive design weights, same length as ``hit``.
    confidence : float, default 0.95
        Two-sided confidence level (fraction or percent).

    Returns
    -------
    WeightedShare
        share p̂ = Σ w·hit / Σ w; interval = :func:`wilson_ci` (p̂ · n_eff, n_eff); NaN fields for no valid
        answer.

    Raises
    ------
    StatisticsInputError
        For different lengths, a weight that is not positive, or a ``hit`` value other than 0, 1 or NaN.

    References
    ----------
    Kish (1965); Dean, N. & Pagano, M. (2015). Evaluating confidence interval methods for binomial proportions
    in clustered surveys. *J. Surv. Stat. Methodol.* 3:484–503.

    Examples
    --------
    >>> from workbench import stats
    >>> r = stats.weighted_share_ci([1, 0, 1, None], [1.0, 1.0, 2.0, 5.0])
    >>> round(r.share, 4), r.n, round(r.n_eff, 4)          # 3/4; (1+1+2)² / (1+1+4) = 16/6
    (0.75, 3, 2.6667)
    >>> round(r.lower, 4), round(r.upper, 4)
    (0.2385, 0.9664)
    """
    confidence = normalise_confidence(confidence)
    h = np.asarray(hit, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    if h.shape != w.shape:
        raise StatisticsInputError(f"hit und weights sind verschieden lang ({h.size} und {w.size})")
    ok = ~np.isnan(h)
    h, w = h[ok], _weights(w[ok])
    if np.any((h != 0) & (h != 1)):
        raise StatisticsInputError("hit darf nur 0, 1 oder NaN enthalten")
    if not h.size:
        nan = float("nan")
        return WeightedShare(nan, nan, nan, 0, 0.0, nan)
    p = float(np.sum(w * h) / np.sum(w))
    n_eff = kish_effective_n(w)
    lo, up = wilson_ci(min(p * n_eff, n_eff), n_eff, confidence)
    return WeightedShare(p, float(lo), float(up), int(h.size), n_eff, float(h.size / n_eff))


@dataclass(frozen=True)
class ShareDifference:
    """Difference of two independent weighted shares (``later − earlier``, proportions) with its interval;
    ``earlier`` and ``later`` are the two :class:`WeightedShare` results."""

    difference: float
    lower: float
    upper: float
    earlier: WeightedShare
    later: WeightedShare

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0."""
        return bool(self.lower > 0 or self.upper < 0)


def weighted_share_difference(
    hit_earlier: Any,
    weights_earlier: Any,
    hit_later: Any,
    weights_later: Any,
    confidence: float = 0.95,
) -> ShareDifference:
    """Change of a weighted share between two independent samples (e.g. two survey waves) with an interval.

    Each share and its Wilson interval come from :func:`weighted_share_ci` (Kish effective sample size); the
    interval of the difference d = p̂₂ − p̂₁ is Newcombe's hybrid score interval (method 10) on these Wilson
    limits (l₁, u₁), (l₂, u₂):

        lower = d − √((p̂₂ − l₂)² + (u₁ − p̂₁)²),      upper = d + √((u₂ − p̂₂)² + (p̂₁ − l₁)²).

    With equal weights it is exactly Newcombe's interval of two binomial samples (statsmodels
    ``confint_proportions_2indep(..., method="newcomb")``); with unequal weights the counts and sample sizes
    are the weighted share × n_eff and n_eff of each sample.

    Parameters
    ----------
    hit_earlier, weights_earlier : array_like
        0/1 answers (NaN = no valid answer) and positive design weights of the earlier sample.
    hit_later, weights_later : array_like
        Likewise for the later sample.
    confidence : float, default 0.95
        Two-sided confidence level (fraction or percent).

    Returns
    -------
    ShareDifference
        difference, lower and upper as proportions (NaN when a sample has no valid answer).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions: comparison
    of eleven methods. *Statistics in Medicine* 17:873–890 (method 10). Kish (1965) for n_eff.

    Examples
    --------
    >>> from workbench import stats
    >>> d = stats.weighted_share_difference([1, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1])
    >>> round(d.difference, 4), round(d.lower, 4), round(d.upper, 4)
    (0.5, -0.1355, 0.7891)
    """
    a = weighted_share_ci(hit_earlier, weights_earlier, confidence)
    b = weighted_share_ci(hit_later, weights_later, confidence)
    if not (a.n and b.n):
        nan = float("nan")
        return ShareDifference(nan, nan, nan, a, b)
    d = b.share - a.share
    lower = d - float(np.hypot(b.share - b.lower, a.upper - a.share))
    upper = d + float(np.hypot(b.upper - b.share, a.share - a.lower))
    return ShareDifference(float(d), lower, upper, a, b)
