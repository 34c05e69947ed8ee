"""Implementation of directly standardised rates (Dobson interval, ESP 2013) for :mod:`workbench.stats`.

Private: import from :mod:`workbench.stats`; the method is described in :func:`~workbench.stats.dsr`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.stats._core import StatisticsInputError, _poisson_arrays, normalise_confidence

__all__ = ["AGE_BANDS_5Y", "ESP2013", "age_band_5y", "dsr", "dsr_by_group"]

AGE_BANDS_5Y: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 90, 5)) + ("90+",)
"""The 19 five-year age band labels used by :data:`ESP2013` and :func:`age_band_5y`."""

ESP2013: pd.Series = pd.Series(
    [
        5000,
        5500,
        5500,
        5500,
        6000,
        6000,
        6500,
        7000,
        7000,
        7000,
        7000,
        6500,
        6000,
        5500,
        5000,
        4000,
        2500,
        1500,
        1000,
    ],
    index=pd.Index(AGE_BANDS_5Y, name="age_band"),
    name="esp2013",
    dtype="float64",
)
"""European Standard Population 2013 (Eurostat), 19 five-year bands 0–4 … 90+, weights summing to 100,000."""

_MIN_EVENTS_FOR_CI = 10


def age_band_5y(age: Any) -> Any:
    """Map completed ages to the 19 five-year band labels of :data:`ESP2013` (``"0-4"`` … ``"85-89"``, ``"90+"``).

    Parameters
    ----------
    age : float or array_like or pandas.Series
        Completed age in years at the reference date, ≥ 0 (100 = "100 and older"); NaN = missing.

    Returns
    -------
    str or None, numpy.ndarray or pandas.Series
        Scalar → str (None for missing); array → object ndarray (None for missing); Series → ordered
        categorical Series named ``age_band`` with the same index (NaN for missing). Labels are the ASCII
        strings of :data:`AGE_BANDS_5Y`.

    Raises
    ------
    StatisticsInputError
        For negative, infinite or non-numeric ages.

    Notes
    -----
    The 19 bands of the European Standard Population 2013 (Eurostat 2013; docs/METHODEN.md, Abschnitt „Direkt
    altersstandardisierte Raten“); ages 90 and above, including the open group 100, form the band ``90+``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.stats import age_band_5y
    >>> age_band_5y(93), age_band_5y(0), age_band_5y(float("nan"))
    ('90+', '0-4', None)
    >>> age_band_5y([4, 5, 37, 89]).tolist()
    ['0-4', '5-9', '35-39', '85-89']
    >>> age_band_5y(pd.Series([17, 64])).cat.categories[:3].tolist()
    ['0-4', '5-9', '10-14']
    """
    index = age.index if isinstance(age, pd.Series) else None
    if isinstance(age, pd.Series):
        arr = age.to_numpy(dtype="float64", na_value=np.nan)
    else:
        try:
            arr = np.asarray(age, dtype="float64")
        except (TypeError, ValueError):
            raise StatisticsInputError(
                f"Argument 'age': {age!r} enthält keine gültigen Altersangaben."
            ) from None
    bad = np.isinf(arr) | (arr < 0)
    if np.any(bad):
        first = np.flatnonzero(bad.ravel())[0]
        raise StatisticsInputError(
            f"Argument 'age': ungültiges Alter {arr.ravel()[first]:g} an Position {first}.",
            hint="Alter in vollendeten Jahren ≥ 0 angeben.",
        )
    missing = np.isnan(arr)
    codes = np.minimum(np.floor(np.where(missing, 0, arr) / 5.0), 18).astype(int)
    if index is not None:
        cat = pd.Categorical.from_codes(
            np.where(missing, -1, codes), categories=list(AGE_BANDS_5Y), ordered=True
        )
        return pd.Series(cat, index=index, name="age_band")
    labels = np.array(AGE_BANDS_5Y, dtype=object)[codes]
    labels = np.where(missing, None, labels)
    if labels.ndim == 0:
        return labels.item()
    return labels


def _standard_weights(standard: pd.Series | Sequence[float]) -> pd.Series:
    if not isinstance(standard, pd.Series):
        standard = pd.Series(np.asarray(standard, dtype="float64"))
    weights = standard.astype("float64")
    if weights.isna().any() or (weights < 0).any() or weights.sum() <= 0:
        raise StatisticsInputError(
            "Argument 'standard': die Standardbevölkerung muss nichtnegative Gewichte mit positiver Summe haben."
        )
    return weights


def _dsr_matrix(
    events: np.ndarray, population: np.ndarray, weights: np.ndarray, multiplier: float, confidence: float
) -> dict[str, np.ndarray]:
    """DSR and Dobson limits for a matrix (rows = groups, columns = age bands), fully vectorised."""
    if np.any(events < 0):
        raise StatisticsInputError("Argument 'events': negative Anzahl von Ereignissen.")
    if np.any(population < 0):
        raise StatisticsInputError("Argument 'population': negative Bevölkerungszahl.")
    zero_pop = population == 0
    bad = zero_pop & (events > 0)
    if np.any(bad):
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise StatisticsInputError(
            f"Ereignisse ohne Bevölkerung: Gruppe {row}, Altersgruppe {col} hat {events[row, col]:g} Ereignisse "
            "bei Bevölkerung 0.",
            hint="Ereignisse und Bevölkerung müssen aus demselben Gebiet und Jahr stammen.",
        )
    safe_pop = np.where(zero_pop, 1.0, population)
    rates = np.where(zero_pop, 0.0, events / safe_pop)
    w_sum = weights.sum()
    value = (rates * weights).sum(axis=1) / w_sum
    variance = (weights**2 * np.where(zero_pop, 0.0, events / safe_pop**2)).sum(axis=1) / w_sum**2
    observed = events.sum(axis=1)
    o_lower, o_upper = _poisson_arrays(observed, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(variance / observed)
    enough = observed >= _MIN_EVENTS_FOR_CI
    # Dobson's lower limit falls below 0 when a few events sit in a band of tiny population and large weight;
    # a rate cannot be negative, so it is truncated at 0 (the upper limit is unaffected)
    lower = np.where(enough, np.maximum(value + scale * (o_lower - observed), 0.0), np.nan)
    upper = np.where(enough, value + scale * (o_upper - observed), np.nan)
    # NaN anywhere in a row (missing or suppressed band) makes the whole row missing
    missing = np.isnan(events).any(axis=1) | np.isnan(population).any(axis=1)
    out = {
        "value": value * multiplier,
        "lower": lower * multiplier,
        "upper": upper * multiplier,
        "events": observed,
        "population": population.sum(axis=1),
    }
    for key in ("value", "lower", "upper"):
        out[key] = np.where(missing, np.nan, out[key])
    return out


def _check_multiplier(multiplier: float) -> float:
    try:
        value = float(multiplier)
    except (TypeError, ValueError):
        value = np.nan
    if isinstance(multiplier, bool) or not np.isfinite(value) or value <= 0:
        raise StatisticsInputError(f"Argument 'multiplier': {multiplier!r} muss eine positive Zahl sein.")
    return value


def dsr(
    events: Any,
    population: Any,
    standard: pd.Series | Sequence[float] = ESP2013,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> dict[str, float]:
    """Directly standardised rate (DSR) for one area with the Dobson interval.

    Parameters
    ----------
    events : pandas.Series or array_like
        Events per age band: a Series indexed by the band labels of ``standard`` (aligned by label; bands absent
        from the Series count as 0 events), or a sequence as long as ``standard`` (aligned by position).
    population : pandas.Series or array_like
        Population per age band (persons or person-years), aligned like ``events``. A band with population 0
        and 0 events contributes a rate of 0 (common in small areas for 90+).
    standard : pandas.Series or array_like, default ESP2013
        Standard population weights wᵢ (≥ 0, positive sum); :data:`ESP2013` by default.
    multiplier : float, default 100_000
        Scale of the rate ("je 100.000").
    confidence : float, default 0.95
        Two-sided confidence level of the Dobson interval (fraction or percent).

    Returns
    -------
    dict of str to float
        ``value`` (DSR per ``multiplier``), ``lower``, ``upper`` (Dobson limits per ``multiplier``; NaN when
        O < 10) and ``events`` (observed total O). value, lower and upper are NaN when any band is missing.

    Raises
    ------
    StatisticsInputError
        For unknown or duplicate band labels, a length that does not match ``standard``, negative events or
        population, events in a band with population 0, invalid weights or multiplier, or a bad confidence
        level.

    See Also
    --------
    dsr_by_group : The same for many areas × years at once.

    Notes
    -----
    DSR = Σ wᵢ·xᵢ/nᵢ / Σ wᵢ × multiplier. Dobson interval: DSR + √(v/O)·(O_limit − O) with O = Σ xᵢ, O_limit the
    :func:`poisson_ci` limit of O (Byar for O ≥ 10) and v = Σ wᵢ²·xᵢ/nᵢ² / (Σ wᵢ)²; no interval when O < 10
    (Dobson et al. 1991; docs/METHODEN.md, Abschnitt „Direkt altersstandardisierte Raten“).

    References
    ----------
    Dobson, A. J.; Kuulasmaa, K.; Eberle, E.; Scherer, J. (1991). Confidence intervals for weighted sums of
    Poisson parameters. *Statistics in Medicine* 10, 457–462.

    Eurostat (2013). *Revision of the European Standard Population – Report of Eurostat's task force*.

    Examples
    --------
    1,000 persons in every band, 5, 10, 20 and 40 deaths in the bands 75-79 … 90+ (rates 0.5 … 4 %). By hand:
    DSR = (4000·0.005 + 2500·0.01 + 1500·0.02 + 1000·0.04) / 100,000 × 100,000 = 115 per 100,000 (the crude
    rate is 394.7), O = 75, v = 2.275·10⁻⁸, Byar limits of 75 → 87.116 … 148.116:

    >>> from workbench.stats import dsr
    >>> deaths = [0] * 15 + [5, 10, 20, 40]
    >>> res = dsr(deaths, [1000] * 19)
    >>> {k: round(v, 3) for k, v in res.items()}
    {'value': 115.0, 'lower': 87.116, 'upper': 148.116, 'events': 75.0}
    >>> dsr([0] * 18 + [4], [1000] * 19)["lower"]  # O = 4 < 10: no interval
    nan
    """
    level = normalise_confidence(confidence)
    mult = _check_multiplier(multiplier)
    weights = _standard_weights(standard)

    def band_values(values: Any, name: str) -> np.ndarray:
        if isinstance(values, pd.Series):
            unknown = values.index.difference(weights.index)
            if len(unknown):
                raise StatisticsInputError(
                    f"Argument {name!r}: unbekannte Altersgruppen {list(unknown)[:5]}.",
                    hint=f"Erwartet werden die Bezeichnungen der Standardbevölkerung, z. B. {list(weights.index[:3])}.",
                )
            if values.index.duplicated().any():
                raise StatisticsInputError(f"Argument {name!r}: Altersgruppen kommen doppelt vor.")
            return values.reindex(weights.index, fill_value=0).to_numpy(dtype="float64", na_value=np.nan)
        arr = np.asarray(values, dtype="float64").ravel()
        if arr.shape[0] != len(weights):
            raise StatisticsInputError(
                f"Argument {name!r}: {arr.shape[0]} Werte, die Standardbevölkerung hat {len(weights)} Altersgruppen."
            )
        return arr

    ev = band_values(events, "events")
    pop = band_values(population, "population")
    res = _dsr_matrix(ev[None, :], pop[None, :], weights.to_numpy(), mult, level)
    return {key: float(res[key][0]) for key in ("value", "lower", "upper", "events")}


def dsr_by_group(
    df: pd.DataFrame,
    group_cols: str | Sequence[str],
    band_col: str,
    events_col: str,
    population_col: str,
    standard: pd.Series | Sequence[float] = ESP2013,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Directly standardised rates for many groups at once (e.g. every area × year), vectorised.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table: one or more rows per group and age band (rows with the same group and band are summed,
        e.g. over sex). Bands missing for a group count as 0 events and 0 population; a band value that is NaN
        (e.g. suppressed) makes the whole group NaN.
    group_cols : str or sequence of str
        Column(s) that define a group, e.g. ``["area_id", "year"]``.
    band_col : str
        Column with the band labels of ``standard`` (see :func:`age_band_5y`).
    events_col, population_col : str
        Numeric columns with events and population.
    standard : pandas.Series or array_like, default ESP2013
        Standard population weights, indexed by band label.
    multiplier : float, default 100_000
        Scale of the rates.
    confidence : float, default 0.95
        Two-sided confidence level of the Dobson intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by the group columns) with the group columns and ``value``, ``lower``,
        ``upper`` (per ``multiplier``), ``events`` (O) and ``population``; intervals are NaN when O < 10,
        everything is NaN when a band value is missing.

    Raises
    ------
    StatisticsInputError
        For missing columns, unknown or missing band labels, non-numeric event or population columns, and the
        errors of :func:`dsr`.

    Notes
    -----
    Same formulas as :func:`dsr` (Dobson et al. 1991; docs/METHODEN.md, Abschnitt „Direkt altersstandardisierte
    Raten“), computed on one matrix groups × bands.

    Examples
    --------
    Two areas with the same age-specific death rates (0.5 … 4 % in the bands 75-79 … 90+) but different age
    structures: the crude rates differ (394.7 and 967.7 per 100,000), the DSRs are both 115:

    >>> import pandas as pd
    >>> from workbench.stats import AGE_BANDS_5Y, dsr_by_group
    >>> rates = [0.0] * 15 + [0.005, 0.01, 0.02, 0.04]
    >>> young = pd.DataFrame({"area_id": "A", "band": AGE_BANDS_5Y, "pop": [1000] * 19})
    >>> old = pd.DataFrame({"area_id": "B", "band": AGE_BANDS_5Y, "pop": [500] * 15 + [2000] * 4})
    >>> df = pd.concat([young, old], ignore_index=True)
    >>> df["deaths"] = df["pop"] * (rates * 2)
    >>> out = dsr_by_group(df, "area_id", "band", "deaths", "pop")
    >>> out.round(3).values.tolist()
    [['A', 115.0, 87.116, 148.116, 75.0, 19000.0], ['B', 115.0, 94.932, 137.657, 150.0, 15500.0]]
    """
    level = normalise_confidence(confidence)
    mult = _check_multiplier(multiplier)
    weights = _standard_weights(standard)
    groups = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    needed = [*groups, band_col, events_col, population_col]
    missing_cols = [c for c in needed if c not in df.columns]
    if missing_cols:
        raise StatisticsInputError(
            f"Spalten fehlen: {missing_cols}.", hint=f"Vorhandene Spalten: {list(df.columns)}."
        )
    unknown = pd.Index(df[band_col].dropna().unique()).difference(weights.index.astype(object))
    if len(unknown):
        raise StatisticsInputError(
            f"Spalte {band_col!r}: unbekannte Altersgruppen {list(unknown)[:5]}.",
            hint="Mit age_band_5y() aus Einzelaltern bilden oder die Standardbevölkerung anpassen.",
        )
    if df[band_col].isna().any():
        raise StatisticsInputError(
            f"Spalte {band_col!r}: fehlende Altersgruppe in {int(df[band_col].isna().sum())} Zeilen."
        )
    for col in (events_col, population_col):
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise StatisticsInputError(f"Spalte {col!r} ist nicht numerisch.")
    work = df[needed].copy()
    work[band_col] = work[band_col].astype(object)
    # skipna=False: a band with a missing (NaN) part stays missing instead of being summed as 0
    grouped = work.groupby([*groups, band_col], sort=True, dropna=False)[[events_col, population_col]].sum(
        skipna=False
    )
    wide_e = grouped[events_col].unstack(band_col).reindex(columns=weights.index)
    wide_p = grouped[population_col].unstack(band_col).reindex(columns=weights.index)
    # a band absent for a group is 0/0; a band present with NaN stays NaN
    present = pd.Series(True, index=grouped.index).unstack(band_col).reindex(columns=weights.index)
    absent = present.isna().to_numpy()
    ev = np.where(absent, 0.0, wide_e.to_numpy(dtype="float64", na_value=np.nan))
    pop = np.where(absent, 0.0, wide_p.to_numpy(dtype="float64", na_value=np.nan))
    res = _dsr_matrix(ev, pop, weights.to_numpy(), mult, level)
    out = pd.DataFrame(res, index=wide_e.index).reset_index()
    return out[[*groups, "value", "lower", "upper", "events", "population"]]
