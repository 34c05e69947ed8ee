"""Difference-in-differences with matched comparison areas, pre-trend check and cluster-robust interval.

Used by the chapter „Maßnahmencontrolling“ (:mod:`workbench.chapters.measures`) to estimate the effect of a
measure on its target indicator (an area-level rate of the indicator catalogue) against comparison areas.

Method (docs/METHODEN.md, Abschnitt „Maßnahmencontrolling“):

* **Comparison areas** (:func:`match_controls`): every candidate area (no measure with the same target
  indicator) is described by the means of the matching indicators over the pre-period; each column is
  standardised over treated and candidate areas together (z = (x − mean) / sd, a constant column counts 0), and
  each treated area gets its ``k`` nearest candidates by Euclidean distance (ties: area id). The comparison
  group is the union of these neighbours.
* **Estimate** (:func:`did_estimate`): two-way fixed-effects regression on the balanced panel of treated and
  comparison areas, ``y_it = α_i + γ_t + β·D_it + ε_it`` with ``D_it = 1`` for a treated area from the first
  post year on. β is the effect in the unit of the indicator (percentage points for shares). Standard errors
  are cluster-robust by area (statsmodels OLS, ``cov_type="cluster"``), the interval uses the t distribution
  with G − 1 degrees of freedom (G = number of areas).
* **Wild cluster bootstrap** (next to the cluster-robust interval; few clusters make the t interval too
  narrow): the bootstrap-t interval of the unrestricted wild cluster bootstrap with Rademacher weights, areas
  as clusters (:func:`wild_cluster_bootstrap`; Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2018). Each
  draw multiplies the residuals of a whole area by +1 or −1 (all 2^G sign patterns when G ≤ 12, else
  ``draws`` random ones from a fixed seed), refits β* and its cluster-robust standard error se*, and the
  interval is [β̂ − q₁₋α/₂ · se, β̂ − q_α/₂ · se] with q the quantiles of t* = (β* − β̂) / se*.
* **Pre-trend check**: on the pre-period alone, ``y_it = α_i + γ_t + δ·(treated_i × t) + ε_it``; a
  differential linear trend δ with p < ``pretrend_alpha`` (cluster-robust, as above) flags the parallel-trends
  assumption as violated. It needs at least two pre years (else "nicht prüfbar").

References: Angrist & Pischke (2009), Mostly Harmless Econometrics, ch. 5; Cameron & Miller (2015), A
Practitioner's Guide to Cluster-Robust Inference, J. Human Resources 50(2); Cameron, Gelbach & Miller (2008),
Bootstrap-based improvements for inference with clustered errors, Rev. Econ. Stat. 90(3); MacKinnon & Webb
(2018), The wild bootstrap for few (treated) clusters, Econometrics Journal 21(2); Abadie & Imbens (2006) for
nearest-neighbour matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.stats._core import StatisticsInputError, normalise_confidence

__all__ = ["DidResult", "did_estimate", "match_controls", "wild_cluster_bootstrap"]

EXACT_MAX_CLUSTERS = 12
"""Up to this many clusters the wild bootstrap enumerates all 2^G Rademacher sign patterns (exact, no seed)."""
MIN_BOOT_CLUSTERS = 6
"""Fewer clusters give fewer than 2^6 = 64 distinct sign patterns: too few for a 95-% bootstrap interval, so
:func:`did_estimate` leaves it out (``boot_lower`` None)."""


@dataclass(frozen=True)
class DidResult:
    """Result of :func:`did_estimate`.

    Attributes
    ----------
    estimate, se, lower, upper : float
        Effect β, its cluster-robust standard error and the interval at ``level``.
    p_value : float
        Two-sided p-value of β = 0 (t distribution, G − 1 degrees of freedom).
    level : float
        Confidence level (fraction).
    treated, controls : tuple of str
        Areas in the panel (balanced: areas with a value in every year).
    pre_years, post_years : tuple of int
    pretrend_slope, pretrend_p : float or None
        Differential linear pre-trend δ per year and its p-value (None with fewer than two pre years).
    pretrend_violated : bool or None
        ``pretrend_p < pretrend_alpha`` (None when not checkable).
    pretrend_alpha : float
    boot_lower, boot_upper : float or None
        Wild cluster bootstrap interval at ``level`` (:func:`wild_cluster_bootstrap`; None when not computed).
    boot_draws : int
        Number of bootstrap draws (2^G when all sign patterns were enumerated).
    """

    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float
    level: float
    treated: tuple[str, ...]
    controls: tuple[str, ...]
    pre_years: tuple[int, ...]
    post_years: tuple[int, ...]
    pretrend_slope: float | None
    pretrend_p: float | None
    pretrend_violated: bool | None
    pretrend_alpha: float
    boot_lower: float | None = None
    boot_upper: float | None = None
    boot_draws: int = 0

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0."""
        return bool(self.lower > 0 or self.upper < 0)


def match_controls(
    features: pd.DataFrame, treated: Sequence[str], candidates: Sequence[str], k: int = 2
) -> list[str]:
    """The comparison areas: the ``k`` nearest candidates of each treated area, on standardised features.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per area (index = area id), one column per matching indicator (e.g. pre-period means).
        Rows with a missing value are not used.
    treated, candidates : sequence of str
        Area ids; candidates that are also treated are ignored.
    k : int
        Neighbours per treated area (≥ 1).

    Returns
    -------
    list of str
        Sorted union of the neighbours.
    """
    if k < 1:
        raise StatisticsInputError("k muss mindestens 1 sein")
    feats = features.dropna()
    t = [a for a in dict.fromkeys(map(str, treated)) if a in feats.index]
    c = sorted(a for a in dict.fromkeys(map(str, candidates)) if a in feats.index and a not in set(t))
    if not t or not c:
        return []
    sub = feats.loc[t + c].astype(float)
    sd = sub.std(ddof=0).replace(0.0, np.nan)
    z = ((sub - sub.mean()) / sd).fillna(0.0)
    zc = z.loc[c].to_numpy()
    chosen: set[str] = set()
    for a in t:
        d = np.sqrt(((zc - z.loc[a].to_numpy()) ** 2).sum(axis=1))
        order = sorted(range(len(c)), key=lambda i: (round(float(d[i]), 12), c[i]))
        chosen.update(c[i] for i in order[:k])
    return sorted(chosen)


def _design(frame: pd.DataFrame, regressor: str) -> pd.DataFrame:
    """Regressor, constant, area and year dummies (first area and year as reference)."""
    areas = sorted(frame["area_id"].unique())
    years = sorted(frame["year"].unique())
    x = pd.DataFrame({regressor: frame[regressor].astype(float).to_numpy()})
    x["const"] = 1.0
    for a in areas[1:]:
        x[f"a_{a}"] = (frame["area_id"] == a).astype(float).to_numpy()
    for y in years[1:]:
        x[f"y_{y}"] = (frame["year"] == y).astype(float).to_numpy()
    return x


def wild_cluster_bootstrap(
    y: np.ndarray,
    x: np.ndarray,
    groups: np.ndarray,
    column: int = 0,
    *,
    level: float = 0.95,
    draws: int = 9999,
    seed: int = 0,
) -> tuple[float, float, int, float]:
    """Wild cluster bootstrap-t interval (Rademacher weights, unrestricted) for coefficient ``column`` of OLS.

    Parameters
    ----------
    y : numpy.ndarray
        Outcome, one value per observation.
    x : numpy.ndarray
        Design matrix (observations × regressors, full column rank).
    groups : numpy.ndarray
        Cluster code of each observation (areas).
    column : int
        Column of ``x`` whose coefficient is wanted.
    level : float
        Confidence level (0.95 or 95).
    draws : int
        Random sign patterns when there are more than :data:`EXACT_MAX_CLUSTERS` clusters.
    seed : int
        Seed of those random patterns (the result is deterministic).

    Returns
    -------
    tuple of (float, float, int, float)
        Lower and upper limit, the number of draws used and the cluster-robust standard error of the
        coefficient (CR1, as statsmodels' ``cov_type="cluster"``).

    Notes
    -----
    β* = a·y* with a the row of (X'X)⁻¹X' for the coefficient; the cluster-robust variance is the CR1 one of
    statsmodels, c · Σ_g (a_g · e_g)² with c = G/(G − 1) · (N − 1)/(N − K), so se* costs one pass per draw.
    """
    lvl = float(normalise_confidence(level))
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    codes = pd.factorize(np.asarray(groups))[0]
    n, k = x.shape
    g = int(codes.max()) + 1
    if g < 2:
        raise StatisticsInputError("Wild-Cluster-Bootstrap braucht mindestens zwei Cluster")
    pinv = np.linalg.pinv(x)  # (X'X)⁻¹X'
    a = pinv[column]
    fitted = x @ (pinv @ y)
    resid = y - fitted
    beta = float(a @ y)
    c = g / (g - 1) * (n - 1) / (n - k)
    member = np.zeros((g, n))
    member[codes, np.arange(n)] = 1.0

    def se_of(e: np.ndarray) -> np.ndarray:  # e: draws × n residuals
        return np.sqrt(c * ((e * a) @ member.T) ** 2 @ np.ones(g))

    se = float(se_of(resid[None, :])[0])
    if g <= EXACT_MAX_CLUSTERS:
        signs = 1.0 - 2.0 * ((np.arange(2**g)[:, None] >> np.arange(g)) & 1)
    else:
        rng = np.random.default_rng(seed)
        signs = rng.choice([-1.0, 1.0], size=(int(draws), g))
    ystar = fitted[None, :] + signs[:, codes] * resid[None, :]
    coef = ystar @ pinv.T  # draws × k
    estar = ystar - coef @ x.T
    sestar = se_of(estar)
    ok = sestar > 1e-9 * max(se, 1e-300)  # patterns that cancel every residual's effect: no t*
    tstar = (coef[ok, column] - beta) / sestar[ok]
    lo_q, hi_q = np.quantile(tstar, [0.5 - lvl / 2, 0.5 + lvl / 2])
    return beta - float(hi_q) * se, beta - float(lo_q) * se, int(signs.shape[0]), se


def _cluster_fit(frame: pd.DataFrame, regressor: str):
    """OLS of ``y`` on area and year dummies and ``regressor``, cluster-robust by area (t with G − 1 df)."""
    import statsmodels.api as sm

    areas = sorted(frame["area_id"].unique())
    x = _design(frame, regressor)
    groups = pd.Categorical(frame["area_id"]).codes
    model = sm.OLS(frame["y"].astype(float).to_numpy(), x)
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    g = len(areas)
    coef = float(fit.params[regressor])
    se = float(fit.bse[regressor])
    return coef, se, g - 1


def did_estimate(
    panel: pd.DataFrame,
    treated: Sequence[str],
    controls: Sequence[str],
    first_post_year: int,
    *,
    level: float = 0.95,
    pretrend_alpha: float = 0.05,
    bootstrap: bool = True,
) -> DidResult:
    """Two-way fixed-effects difference-in-differences with a cluster-robust interval and a pre-trend check.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long table with ``area_id``, ``year`` and ``value`` (the target indicator per area and year).
    treated, controls : sequence of str
        Areas of the measure and comparison areas (:func:`match_controls`).
    first_post_year : int
        First year in which the measure can have acted (``D = 1`` from this year on).
    level : float
        Confidence level (0.95 or 95).
    pretrend_alpha : float
        Significance level of the pre-trend test.
    bootstrap : bool
        Also compute the wild cluster bootstrap interval (:func:`wild_cluster_bootstrap`, seed 0); only with
        at least :data:`MIN_BOOT_CLUSTERS` areas in the panel.

    Returns
    -------
    DidResult

    Raises
    ------
    StatisticsInputError
        Without a pre and a post year, or with fewer than one treated and one comparison area in the balanced
        panel (areas with a missing value in any year are dropped).
    """
    from scipy import stats as st

    lvl = float(normalise_confidence(level))
    df = panel[["area_id", "year", "value"]].copy()
    df["area_id"] = df["area_id"].astype(str)
    t_set = {str(a) for a in treated}
    c_set = {str(a) for a in controls} - t_set
    df = df[df["area_id"].isin(t_set | c_set)]
    wide = df.pivot_table(index="area_id", columns="year", values="value", aggfunc="first")
    wide = wide.dropna(axis=0, how="any")
    years = sorted(int(y) for y in wide.columns)
    pre = tuple(y for y in years if y < first_post_year)
    post = tuple(y for y in years if y >= first_post_year)
    t_in = tuple(sorted(a for a in wide.index if a in t_set))
    c_in = tuple(sorted(a for a in wide.index if a in c_set))
    if not pre or not post:
        raise StatisticsInputError(
            f"Differenz-von-Differenzen braucht Jahre vor und ab {first_post_year} (vorhanden: "
            f"{', '.join(map(str, years)) or 'keine'})"
        )
    if not t_in or not c_in:
        raise StatisticsInputError(
            "Differenz-von-Differenzen braucht Maßnahmen- und Vergleichsgebiete mit Werten"
        )
    long = wide.stack().rename("y").reset_index()
    long.columns = ["area_id", "year", "y"]
    long["year"] = long["year"].astype(int)
    long["treated"] = long["area_id"].isin(t_set)
    long["d"] = (long["treated"] & (long["year"] >= first_post_year)).astype(float)
    coef, se, dof = _cluster_fit(long, "d")
    boot_lo = boot_up = None
    n_draws = 0
    if bootstrap and len(t_in) + len(c_in) >= MIN_BOOT_CLUSTERS:
        x = _design(long, "d")
        boot_lo, boot_up, n_draws, _ = wild_cluster_bootstrap(
            long["y"].to_numpy(dtype=float),
            x.to_numpy(),
            pd.Categorical(long["area_id"]).codes,
            0,
            level=lvl,
        )
    tq = float(st.t.ppf(0.5 + lvl / 2, dof))
    p = float(2 * st.t.sf(abs(coef / se), dof)) if se > 0 else 0.0
    slope = p_pre = None
    violated = None
    if len(pre) >= 2:
        pre_frame = long[long["year"].isin(pre)].copy()
        pre_frame["trend"] = pre_frame["treated"].astype(float) * (pre_frame["year"] - pre[0])
        s, s_se, s_dof = _cluster_fit(pre_frame, "trend")
        slope = s
        p_pre = float(2 * st.t.sf(abs(s / s_se), s_dof)) if s_se > 0 else (0.0 if s != 0 else 1.0)
        violated = bool(p_pre < pretrend_alpha)
    return DidResult(
        estimate=coef,
        se=se,
        lower=coef - tq * se,
        upper=coef + tq * se,
        p_value=p,
        level=lvl,
        treated=t_in,
        controls=c_in,
        pre_years=pre,
        post_years=post,
        pretrend_slope=slope,
        pretrend_p=p_pre,
        pretrend_violated=violated,
        pretrend_alpha=pretrend_alpha,
        boot_lower=boot_lo,
        boot_upper=boot_up,
        boot_draws=n_draws,
    )
