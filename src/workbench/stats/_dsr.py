"""Directly standardised rates (DSR) with the Dobson interval, European Standard Population 2013.

Part of the public :mod:`workbench.stats` API (import from there). Method (METHODS.md):
DSR = Σ wᵢ·xᵢ/nᵢ / Σ wᵢ × multiplier over the 19 five-year age bands 0–4 … 90+; Dobson interval
DSR + √(v/O)·(O_limit − O) with O = Σ xᵢ, O_limit the Poisson limit of O (Byar for O >= 10) and
v = Σ wᵢ²·xᵢ/nᵢ² / (Σ wᵢ)². No interval when O < 10.

Band labels are ASCII strings ``"0-4"``, ``"5-9"``, … ``"85-89"``, ``"90+"`` (:data:`AGE_BANDS_5Y`).
A band with population 0 and 0 events contributes a rate of 0 (common in small areas for 90+); a band
with events but population 0 is an error.
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
    """Map completed ages (years, ≥ 0; 100 = "100 and older") to the 19 ESP2013 band labels.

    Scalar → str (None for missing); array → object ndarray (None for missing); Series → ordered
    categorical Series with the same index (NaN for missing). Negative or non-finite ages raise
    :class:`StatisticsInputError`.
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
    lower = np.where(enough, value + scale * (o_lower - observed), np.nan)
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
    """Directly standardised rate for one area with the Dobson interval.

    ``events`` and ``population`` are per age band: either Series indexed by the labels of ``standard``
    (aligned by label; bands absent from the Series count as 0 events / 0 population) or sequences of the
    same length as ``standard`` (aligned by position). Returns ``{"value", "lower", "upper", "events"}``
    (rates per ``multiplier``, default per 100,000; ``events`` = observed total O). ``lower``/``upper`` are
    NaN when O < 10; all three are NaN when any band is missing (NaN).
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

    ``df`` is long: one or more rows per group and age band (rows with the same group and band are summed,
    e.g. over sex). Bands missing for a group count as 0 events and 0 population. Returns one row per group
    with the group columns and ``value``, ``lower``, ``upper`` (per ``multiplier``), ``events`` (O) and
    ``population``; intervals are NaN when O < 10, everything is NaN when a band value is missing.
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
