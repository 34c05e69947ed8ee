"""Composite indices for small areas: Berlin MSS stepwise z-index, IMD-style domain index, class stability.

Methods (see ``docs`` / METHODS.md):

* :func:`mss_index` — Berlin *Monitoring Soziale Stadtentwicklung* "gestuftes Indexverfahren": z-standardise
  each status/dynamic indicator over the valid areas (population standard deviation, ddof = 0), sum, z-standardise
  the sums again, cut into 4 status and 3 dynamic classes and overlay them (12 groups).
* :func:`domain_index` — England's Index of Multiple Deprivation style: rank each domain, exponential
  transformation, weighted sum, rank again, deciles.
* :func:`class_stability` — Monte-Carlo robustness of the MSS classes given 95 % intervals of the indicators.
* :func:`typology` (in :mod:`workbench.index._typology`) — k-means area types with German descriptions.
* :func:`load_index_config` / :func:`run_index_config` — the index methods as YAML data
  (:mod:`workbench.index._config`).

All indicator values are expected so that **higher = worse** (as in the MSS: more SGB II, more child poverty;
a rising share gives a positive change, i.e. a "negative" dynamic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError

Z95 = 1.959964
"""Standard normal quantile for 95 % two-sided intervals."""

STATUS_LABELS = {1: "hoch", 2: "mittel", 3: "niedrig", 4: "sehr niedrig"}
"""MSS status classes (1 = high social status, i.e. low indicator values)."""

DYNAMIC_LABELS = {1: "positiv", 2: "stabil", 3: "negativ"}
"""MSS dynamic classes (1 = positive development, i.e. falling indicator values)."""

DYNAMIC_SIGNS = {1: "+", 2: "+/-", 3: "-"}
"""Notation of the dynamic class in the overall group, as in the official Berlin tables (``"2-"``, ``"1+/-"``)."""

BERLIN_DYNAMIC_CODES = {1: 1, 3: 2, 5: 3}
"""Official Berlin ``DI_N`` codes (1 positiv / 3 stabil / 5 negativ) → the 1/2/3 codes used here."""


def _zscore(values: np.ndarray, axis: int) -> np.ndarray:
    """z-values with mean and population SD (ddof = 0) along ``axis``."""
    mean = values.mean(axis=axis, keepdims=True)
    sd = values.std(axis=axis, ddof=0, keepdims=True)
    return (values - mean) / sd


def status_class(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """MSS status class of a Status-Index value: 1 (x < −1), 2 (−1 ≤ x ≤ 1), 3 (1 < x ≤ 1.5), 4 (x > 1.5).

    >>> status_class(np.array([-1.01, -1.0, 1.0, 1.2, 1.5, 1.51])).tolist()
    [1, 2, 2, 3, 3, 4]
    """
    x = np.asarray(x, dtype=float)
    return np.select([x < -1, x <= 1, x <= 1.5], [1, 2, 3], 4)


def dynamic_class(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """MSS dynamic class of a Dynamik-Index value: 1 positiv (x < −1), 2 stabil (−1 ≤ x ≤ 1), 3 negativ (x > 1).

    >>> dynamic_class(np.array([-1.2, 0.0, 1.0, 1.01])).tolist()
    [1, 2, 2, 3]
    """
    x = np.asarray(x, dtype=float)
    return np.select([x < -1, x <= 1], [1, 2], 3)


def _mss_core(status_values: np.ndarray, dynamic_values: np.ndarray) -> dict[str, np.ndarray]:
    """The stepwise index on arrays shaped (..., areas, indicators); leading axes are independent replicates."""
    out: dict[str, np.ndarray] = {}
    for part, values in (("status", status_values), ("dynamic", dynamic_values)):
        z = _zscore(values, axis=-2)
        total = z.sum(axis=-1)
        index = _zscore(total, axis=-1)
        out[f"{part}_z"] = z
        out[f"{part}_sum"] = total
        out[f"{part}_index"] = index
    out["status_class"] = status_class(out["status_index"])
    out["dynamic_class"] = dynamic_class(out["dynamic_index"])
    return out


def _check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> list[str]:
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise ConfigError(
            f"keine {what}-Indikatoren angegeben", where=what, hint="mindestens einen Indikator nennen"
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ConfigError(
            f"{what}-Indikator(en) {', '.join(map(str, missing))} fehlen in der Tabelle",
            where=what,
            hint=f"vorhandene Spalten: {', '.join(map(str, df.columns))}",
        )
    return columns


def valid_areas(
    df: pd.DataFrame,
    population: str | pd.Series | None = None,
    min_population: float = 300,
    exclude: Iterable | None = None,
) -> pd.Series:
    """Boolean Series: area takes part in the MSS (population ≥ ``min_population``, not in ``exclude``).

    Areas with unknown population (NaN) are not valid. Without ``population`` every area not excluded is valid.
    """
    valid = pd.Series(True, index=df.index)
    if population is not None:
        if isinstance(population, str):
            if population not in df.columns:
                raise ConfigError(f"Einwohnerspalte {population!r} fehlt", where="population")
            pop = df[population]
        else:
            pop = pd.Series(population).reindex(df.index)
        pop = pd.to_numeric(pop, errors="coerce")
        valid &= (pop >= min_population).fillna(False).astype(bool)
    if exclude is not None:
        valid &= ~df.index.isin(list(exclude))
    return valid


def mss_index(
    df: pd.DataFrame,
    status: Sequence[str],
    dynamic: Sequence[str],
    population: str | pd.Series | None = None,
    min_population: float = 300,
    exclude: Iterable | None = None,
) -> pd.DataFrame:
    """Berlin MSS stepwise z-index (Status-Index, Dynamik-Index, 12-group Gesamtindex).

    ``df`` has one row per area (index = area id) and the indicator columns named in ``status`` (shares in %,
    higher = worse) and ``dynamic`` (their changes in percentage points). Only valid areas take part
    (population ≥ ``min_population`` and id not in ``exclude``); all statistics use only them.

    Method: z = (x − mean) / SD with the population SD (ddof = 0) per indicator; ``status_sum`` = Σ z;
    ``status_index`` = z of the sum; classes 1 hoch (x < −1), 2 mittel (−1 ≤ x ≤ 1), 3 niedrig (1 < x ≤ 1.5),
    4 sehr niedrig (x > 1.5); dynamics alike with 1 positiv (x < −1), 2 stabil, 3 negativ (x > 1).
    ``overall_class`` uses the official Berlin notation: status digit + ``"+"`` (positiv), ``"+/-"`` (stabil)
    or ``"-"`` (negativ), e.g. ``"2-"``; ``overall_label`` e.g. ``"Status mittel, Dynamik negativ"``.

    Returns ``z_<indicator>``, ``status_sum, status_index, status_class, dynamic_sum, dynamic_index,
    dynamic_class, overall_class, overall_label, valid``; invalid areas have NaN / <NA>.

    >>> df = pd.DataFrame({"s": [1.0, 2, 3, 4, 10], "d": [0.5, 0, 0, 0, -0.5], "ew": [500] * 5})
    >>> r = mss_index(df, ["s"], ["d"], population="ew")
    >>> r["status_class"].tolist(), r["overall_class"].iloc[4]
    ([2, 2, 2, 2, 4], '4+')
    """
    status = _check_columns(df, status, "status")
    dynamic = _check_columns(df, dynamic, "dynamic")
    if df.index.has_duplicates:
        dups = df.index[df.index.duplicated()].unique().tolist()[:5]
        raise DataValidationError(f"Gebiets-IDs doppelt: {dups}", hint="je Gebiet genau eine Zeile übergeben")
    valid = valid_areas(df, population, min_population, exclude)
    n_valid = int(valid.sum())
    if n_valid < 3:
        raise DataValidationError(
            f"nur {n_valid} gültige Gebiete für den Index",
            hint="Mindesteinwohnerzahl oder Ausschlüsse prüfen",
        )
    indicators = list(dict.fromkeys(status + dynamic))
    values = df.loc[valid, indicators].apply(pd.to_numeric, errors="coerce")
    bad = values.isna()
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        ids = values.index[bad[col]].tolist()[:5]
        raise DataValidationError(
            f"Indikator {col!r} fehlt für gültige Gebiete {ids}",
            where=f"Spalte {col}",
            hint="Werte ergänzen oder die Gebiete über exclude / Mindesteinwohnerzahl ausschließen",
        )
    sd = values.std(ddof=0)
    if (sd == 0).any():
        col = sd.index[(sd == 0).to_numpy()][0]
        raise DataValidationError(
            f"Indikator {col!r} ist in allen gültigen Gebieten gleich; z-Werte nicht berechenbar",
            where=f"Spalte {col}",
            hint="Indikator aus dem Index nehmen",
        )
    core = _mss_core(values[status].to_numpy(float), values[dynamic].to_numpy(float))
    out = pd.DataFrame(index=df.index)
    for j, col in enumerate(status):
        out[f"z_{col}"] = pd.Series(core["status_z"][:, j], index=values.index)
    for j, col in enumerate(dynamic):
        if f"z_{col}" not in out:
            out[f"z_{col}"] = pd.Series(core["dynamic_z"][:, j], index=values.index)
    for part in ("status", "dynamic"):
        out[f"{part}_sum"] = pd.Series(core[f"{part}_sum"], index=values.index)
        out[f"{part}_index"] = pd.Series(core[f"{part}_index"], index=values.index)
        out[f"{part}_class"] = pd.Series(core[f"{part}_class"], index=values.index).astype("Int64")
    # the column order the docstring promises
    out = out[
        [c for c in out.columns if c.startswith("z_")]
        + ["status_sum", "status_index", "status_class", "dynamic_sum", "dynamic_index", "dynamic_class"]
    ]
    sc, dc = out["status_class"], out["dynamic_class"]
    overall = pd.Series(pd.NA, index=df.index, dtype="object")
    label = pd.Series(pd.NA, index=df.index, dtype="object")
    idx = valid[valid].index
    overall[idx] = [f"{s}{DYNAMIC_SIGNS[d]}" for s, d in zip(sc[idx], dc[idx], strict=True)]
    label[idx] = [
        f"Status {STATUS_LABELS[s]}, Dynamik {DYNAMIC_LABELS[d]}"
        for s, d in zip(sc[idx], dc[idx], strict=True)
    ]
    out["overall_class"] = overall
    out["overall_label"] = label
    out["valid"] = valid
    return out


def class_stability(
    values: pd.DataFrame,
    lower: pd.DataFrame,
    upper: pd.DataFrame,
    status: Sequence[str],
    dynamic: Sequence[str],
    n_draws: int = 500,
    seed: int = 0,
    threshold: float = 0.8,
    **mss_kwargs,
) -> pd.DataFrame:
    """How robust is each area's MSS class against the statistical uncertainty of its indicators?

    Each indicator of each valid area is drawn ``n_draws`` times from a normal distribution with mean = the
    point value and sd = (upper − lower) / (2 · 1.959964), i.e. ``lower``/``upper`` are 95 % interval bounds
    (same index and indicator columns as ``values``). The whole index (z-values, sums, classes) is recomputed
    per draw, vectorised over the draws; validity stays that of the point values. ``mss_kwargs`` go to
    :func:`mss_index` (``population``, ``min_population``, ``exclude``).

    Returns per area ``status_class``, ``dynamic_class`` (point estimate), ``status_share`` and
    ``dynamic_share`` (share of draws keeping that class) and ``unstable`` (either share < ``threshold``).
    Invalid areas get NaN / <NA>.
    """
    if n_draws < 10:
        raise ConfigError("n_draws muss mindestens 10 sein", where="n_draws")
    base = mss_index(values, status, dynamic, **mss_kwargs)
    valid = base["valid"]
    status = list(status) if not isinstance(status, str) else [status]
    dynamic = list(dynamic) if not isinstance(dynamic, str) else [dynamic]
    idx = valid[valid].index
    sds = {}
    for part, cols in (("status", status), ("dynamic", dynamic)):
        missing = [c for c in cols if c not in lower.columns or c not in upper.columns]
        if missing:
            raise ConfigError(
                f"Intervallgrenzen fehlen für {missing}",
                where="lower/upper",
                hint="je Indikator lower und upper",
            )
        lo = lower.reindex(idx)[cols].apply(pd.to_numeric, errors="coerce")
        hi = upper.reindex(idx)[cols].apply(pd.to_numeric, errors="coerce")
        if lo.isna().to_numpy().any() or hi.isna().to_numpy().any():
            raise DataValidationError(
                "Intervallgrenzen fehlen für gültige Gebiete",
                where=part,
                hint="für jedes gültige Gebiet lower und upper angeben (0-Breite, wenn exakt)",
            )
        if (hi.to_numpy() < lo.to_numpy()).any():
            raise DataValidationError("obere Intervallgrenze kleiner als untere", where=part)
        sds[part] = (hi.to_numpy(float) - lo.to_numpy(float)) / (2 * Z95)
    rng = np.random.default_rng(seed)
    point_s = values.loc[idx, status].to_numpy(float)
    point_d = values.loc[idx, dynamic].to_numpy(float)
    draw_s = point_s + rng.standard_normal((n_draws, *point_s.shape)) * sds["status"]
    draw_d = point_d + rng.standard_normal((n_draws, *point_d.shape)) * sds["dynamic"]
    core = _mss_core(draw_s, draw_d)
    base_s = base.loc[idx, "status_class"].to_numpy(int)
    base_d = base.loc[idx, "dynamic_class"].to_numpy(int)
    out = pd.DataFrame(index=values.index)
    out["status_class"] = base["status_class"]
    out["dynamic_class"] = base["dynamic_class"]
    out["status_share"] = pd.Series((core["status_class"] == base_s).mean(axis=0), index=idx)
    out["dynamic_share"] = pd.Series((core["dynamic_class"] == base_d).mean(axis=0), index=idx)
    unstable = (out["status_share"] < threshold) | (out["dynamic_share"] < threshold)
    out["unstable"] = unstable.astype("boolean").where(valid, pd.NA)
    return out


def imd_transform(rank_share: np.ndarray | pd.Series) -> np.ndarray:
    """IMD exponential transformation X = −23 · ln(1 − R · (1 − e^(−100/23))), R in (0, 1] → X in (0, 100].

    >>> round(float(imd_transform(1.0)), 6), round(float(imd_transform(0.5)), 4)
    (100.0, 15.6468)
    """
    r = np.asarray(rank_share, dtype=float)
    return -23.0 * np.log(1.0 - r * (1.0 - np.exp(-100.0 / 23.0)))


def domain_index(
    df: pd.DataFrame,
    weights: Mapping[str, float],
    higher_is_worse: bool | Mapping[str, bool] = True,
) -> pd.DataFrame:
    """IMD-style rank-based weighted index over domains (columns of ``df``, one row per area).

    Per domain: rank (ties: average rank) so that R = rank / N → 1 for the most deprived area
    (highest value when ``higher_is_worse``; may be a dict per domain), exponential transformation
    :func:`imd_transform`, weighted sum with the weights **normalised to sum 1** (they need not sum to 1),
    then ranked again: ``rank`` 1 = most deprived (ties share the smallest rank) and ``decile`` 1 = most deprived
    10 % (by position; ties broken by area id so the result is deterministic). Also returns ``x_<domain>``.

    >>> d = pd.DataFrame({"a": range(10), "b": range(10)}, index=list("abcdefghij"))
    >>> domain_index(d, {"a": 1, "b": 1})["decile"].tolist()
    [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    """
    if not isinstance(weights, Mapping) or not weights:
        raise ConfigError("weights muss eine Zuordnung Domäne → Gewicht sein", where="weights")
    unknown = [c for c in weights if c not in df.columns]
    if unknown:
        raise ConfigError(
            f"unbekannte Domäne(n) {', '.join(map(str, unknown))}",
            where="weights",
            hint=f"vorhandene Spalten: {', '.join(map(str, df.columns))}",
        )
    try:
        w = pd.Series({k: float(v) for k, v in weights.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError("Gewichte müssen Zahlen sein", where="weights") from exc
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ConfigError("Gewichte müssen ≥ 0 sein und eine positive Summe haben", where="weights")
    w = w / w.sum()
    n = len(df)
    if n < 10:
        raise DataValidationError(
            f"nur {n} Gebiete; Dezile brauchen mindestens 10", hint="mehr Gebiete verwenden"
        )
    out = pd.DataFrame(index=df.index)
    score = np.zeros(n)
    for col, weight in w.items():
        x = pd.to_numeric(df[col], errors="coerce")
        if x.isna().any():
            ids = x.index[x.isna()].tolist()[:5]
            raise DataValidationError(f"Domäne {col!r} fehlt für Gebiete {ids}", where=f"Spalte {col}")
        worse = higher_is_worse.get(col, True) if isinstance(higher_is_worse, Mapping) else higher_is_worse
        r = (x if worse else -x).rank(method="average") / n
        out[f"x_{col}"] = imd_transform(r.to_numpy())
        score += weight * out[f"x_{col}"].to_numpy()
    out["score"] = score
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    order = pd.DataFrame({"s": -out["score"].to_numpy(), "id": np.arange(n)})
    position = np.empty(n, dtype=int)
    position[np.lexsort((order["id"].to_numpy(), order["s"].to_numpy()))] = np.arange(n)
    out["decile"] = (position * 10 // n + 1).astype(int)
    return out
