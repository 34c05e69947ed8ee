"""Small-area cohort-component population projection (status quo and scenarios).

The model follows the cohort-component method used by German cities (SIKURS style), per Sozialraum, sex and
single year of age 0 … 100 (100 = open group "100 und älter"), one calendar year at a time. All ages are the
completed age at 31.12., as in the processed ``population`` and ``events`` tables (docs/DATA_CONTRACT.md).

Accounting identity for year t (population at 31.12.t from 31.12.(t−1))::

    R      = population(t−1) aged by one year (99 → 100 and 100 stays 100); R[age 0] = births of t
    births = Σ_{a=15..49} ASFR(a) · area fertility factor · R[women, a]       split 105 : 100 boys : girls
    P(t)   = R − deaths − out_ext − out_int + in_ext + in_int
    deaths = R · q(sex, age) · SMR(area);  out_ext = R · o_ext(area, sex, age);  out_int = R · o_int(area, sex, age)
    in_ext = average persons per year (area, sex, age);  in_int = destination share · city-wide out_int

``R`` (the population at the start of the year, already aged to its age at 31.12.t) is the *population at
risk* of every rate: death rates, fertility rates and out-migration rates are events per person at risk and
year (probabilities, unit 1/year). Internal in-moves are distributed from the projected city-wide internal
out-moves of the same sex and age, so the city-wide internal balance is exactly zero every projected year.

Worked example (two areas, 100 persons in every sex × age cell, one death per cell, births to women 20–39)::

    >>> import pandas as pd
    >>> from workbench.projection import estimate_rates, project, age_groups
    >>> rows = [(a, y, s, age, 100) for a in ("0101", "0102") for y in (2022, 2023)
    ...         for s in ("m", "w") for age in range(101)]
    >>> pop = pd.DataFrame(rows, columns=["area_id", "year", "sex", "age", "count"])
    >>> ev = pop[pop.year == 2023].drop(columns="count").assign(
    ...     births=0, deaths=1, in_ext=0, out_ext=0, in_int=0, out_int=0)
    >>> ev.loc[(ev.sex == "w") & ev.age.between(20, 39), "births"] = 5
    >>> rates = estimate_rates(pop, ev, base_years=[2023])
    >>> float(rates.death_rate[0, 50])  # 1 death / 100 persons at risk (aged 49 at 31.12.2022)
    0.01
    >>> float(rates.death_rate[0, 100])  # open group: at risk = 100 (aged 99) + 100 (aged 100)
    0.005
    >>> float(rates.fertility_rate[30])  # 5 births / 100 women at risk
    0.05
    >>> out = project(pop[pop.year == 2023], rates, start_year=2023, horizon=2)
    >>> round(float(out.query("year == 2024 and area_id == '0101'")["count"].sum()), 1)
    20098.0
    >>> age_groups(out.query("year == 2024 and area_id == '0101' and sex == 'w'"), [0, 18, 65])["count"].round(1).tolist()
    [1730.8, 4653.0, 3664.0]

Choices (all documented in the function docstrings): death and fertility rates are pooled at city level over
the base years and scaled per area by an empirical-Bayes shrunk ratio (observed / expected events);
out-migration rates and in-migrant numbers are smoothed over age (5-year bands by default); scenario factors
multiply the status-quo rates; an optional city-level control total rescales all cells proportionally.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError, WorkbenchError
from workbench.projection._rates import (
    BOY_SHARE,
    EVENT_COLUMNS,
    FERTILE_AGES,
    MAX_AGE,
    N_AGES,
    SEXES,
    SMOOTHING_OPTIONS,
    Rates,
    _age_one_year,
    _cubes,
    _fail,
    _labels,
    _prepare_inputs,
    _validate,
    estimate_rates,
)
from workbench.projection._rates import _shrunk_ratio as _shrunk_ratio
from workbench.projection._scenarios import STATUS_QUO, Scenario, load_scenarios

DEFAULT_AGE_BINS = (0, 3, 6, 10, 18, 25, 45, 65, 80)
"""Lower bounds of the planning age groups 0–2, 3–5, 6–9, 10–17, 18–24, 25–44, 45–64, 65–79, 80+."""

__all__ = [
    "BOY_SHARE",
    "DEFAULT_AGE_BINS",
    "EVENT_COLUMNS",
    "FERTILE_AGES",
    "MAX_AGE",
    "N_AGES",
    "SEXES",
    "SMOOTHING_OPTIONS",
    "STATUS_QUO",
    "Rates",
    "Scenario",
    "age_group_labels",
    "age_groups",
    "backtest",
    "estimate_rates",
    "load_scenarios",
    "project",
]


# ----------------------------------------------------------------------------------------------------------
# projection


def _control_series(control_total: Any, years: range) -> dict[int, float]:
    if control_total is None:
        return {}
    try:
        series = pd.Series(control_total, dtype=float)
        series.index = [int(y) for y in series.index]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "control_total muss eine Reihe Jahr → Einwohnerzahl sein", where="control_total"
        ) from exc
    bad = series[~np.isfinite(series.to_numpy()) | (series.to_numpy() <= 0)]
    if len(bad):
        raise ConfigError(
            f"Eckwert für {bad.index[0]} ist keine positive Zahl ({bad.iloc[0]})",
            where="control_total",
            hint="Eckwerte der Stadt als positive Einwohnerzahlen angeben",
        )
    return {y: float(v) for y, v in series.items() if y in years}


def project(
    base_population: pd.DataFrame,
    rates: Rates,
    start_year: int,
    horizon: int = 15,
    scenario: Scenario | None = None,
    control_total: pd.Series | Mapping[int, float] | None = None,
    include_base: bool = True,
    return_components: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Project the population at 31.12.``start_year`` for ``horizon`` years (cohort-component, see module).

    ``base_population``: long table (area_id, sex, age, count; a ``year`` column is filtered to start_year;
    nationality is summed). Areas of the rates missing from it start with zero inhabitants.
    ``control_total``: city totals by year; after projecting a year, every cell is multiplied by
    control / projected city total (proportional scaling keeps each area's share and its age-sex structure),
    and the scaled population is the start of the next year. Years without a control value are not scaled.
    If death + out-migration rates of a cell exceed 1 (large scenario factors), they are scaled down to 1.

    Returns (area_id, year, sex, age, count float), including the base year unless ``include_base=False``;
    with ``return_components`` also per area × year: births, deaths, in_ext, out_ext, in_int, out_int, extra.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ConfigError(f"horizon muss eine ganze Zahl ≥ 1 sein, gefunden {horizon!r}", where="horizon")
    start_year = int(start_year)
    scenario = scenario if scenario is not None else Scenario()
    has_year = isinstance(base_population, pd.DataFrame) and "year" in base_population.columns
    if has_year:  # select the start year first: validating all years of a large table is wasted time
        base_population = base_population[
            pd.to_numeric(base_population["year"], errors="coerce") == start_year
        ]
        if base_population.empty:
            raise _fail(
                "base_population", f"kein Bestand zum 31.12.{start_year}", "start_year prüfen", "Spalte year"
            )
    pop = _validate(base_population, "base_population", ["count"], need_year=has_year)
    areas = rates.area_index
    unknown = sorted(set(pop["area_id"].unique()) - set(areas))
    if unknown:
        raise _fail(
            "base_population",
            f"Gebiet(e) ohne geschätzte Raten: {', '.join(unknown[:5])}",
            "Raten aus Daten derselben Gebietsgliederung schätzen",
            "Spalte area_id",
        )
    extra_unknown = sorted(set(scenario.extra_in_migrants) - set(areas))
    if extra_unknown:
        raise ConfigError(
            f"unbekannte Gebiete in extra_in_migrants: {', '.join(extra_unknown[:5])}",
            where=f"Szenario {scenario.name!r}",
        )
    years = range(start_year + 1, start_year + horizon + 1)
    control = _control_series(control_total, years)

    q = rates.death_rate[None, :, :] * rates.smr[:, None, None] * scenario.mortality_factor
    o_ext = rates.out_ext_rate * scenario.out_migration_factor
    o_int = rates.out_int_rate * scenario.internal_migration_factor
    exits = q + o_ext + o_int
    cap = np.where(exits > 1, 1 / np.where(exits > 1, exits, 1), 1.0)
    q, o_ext, o_int = q * cap, o_ext * cap, o_int * cap
    asfr = rates.fertility_rate[None, :] * rates.fertility_factor[:, None] * scenario.fertility_factor
    in_ext = rates.in_ext * scenario.in_migration_factor
    extra = np.array([scenario.extra_in_migrants.get(a, 0.0) for a in areas])
    extra_cells = extra[:, None, None] * rates.in_profile[None, :, :]

    current = _cubes(pop, ["count"], areas, None)["count"]
    frames = [current] if include_base else []
    comp = []
    for year in years:
        risk = _age_one_year(current)
        births = (risk[:, 1, :] * asfr).sum(axis=1)
        risk[:, 0, 0] = births * BOY_SHARE
        risk[:, 1, 0] = births * (1 - BOY_SHARE)
        deaths, out_e, out_i = risk * q, risk * o_ext, risk * o_int
        in_i = rates.in_int_share * out_i.sum(axis=0)[None, :, :]
        add = extra_cells if scenario.extra_active(year) else np.zeros_like(extra_cells)
        current = risk - deaths - out_e - out_i + in_ext + in_i + add
        if year in control:
            total = current.sum()
            if total <= 0:
                raise WorkbenchError(
                    f"Eckwert {year}: projizierte Bevölkerung ist 0, Skalierung unmöglich",
                    where="control_total",
                )
            current = current * (control[year] / total)
        frames.append(current)
        if return_components:
            comp.append(
                pd.DataFrame(
                    {
                        "area_id": areas,
                        "year": year,
                        "births": births,
                        "deaths": deaths.sum(axis=(1, 2)),
                        "in_ext": in_ext.sum(axis=(1, 2)),
                        "out_ext": out_e.sum(axis=(1, 2)),
                        "in_int": in_i.sum(axis=(1, 2)),
                        "out_int": out_i.sum(axis=(1, 2)),
                        "extra": add.sum(axis=(1, 2)),
                    }
                )
            )
    out_years = ([start_year] if include_base else []) + list(years)
    n_a, n_y = len(areas), len(out_years)
    result = pd.DataFrame(
        {
            "area_id": _labels(np.tile(np.repeat(np.arange(n_a), 2 * N_AGES), n_y), list(areas)),
            "year": np.repeat(np.asarray(out_years, dtype=np.int64), n_a * 2 * N_AGES),
            "sex": _labels(np.tile(np.repeat(np.arange(2), N_AGES), n_a * n_y), list(SEXES)),
            "age": np.tile(np.arange(N_AGES, dtype=np.int64), 2 * n_a * n_y),
            "count": np.concatenate([f.reshape(-1) for f in frames]),
        }
    )
    if return_components:
        return result, pd.concat(comp, ignore_index=True)
    return result


# ----------------------------------------------------------------------------------------------------------
# back-test and helpers


def backtest(
    population: pd.DataFrame,
    events: pd.DataFrame,
    base_year: int,
    target_year: int,
    base_years: int = 3,
    smoothing: str = "band5",
    shrinkage: str | float = "auto",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Project from 31.12.``base_year`` with rates from years ≤ base_year; compare with 31.12.``target_year``.

    Rates use the last ``base_years`` years up to base_year for which both the previous year's population and
    the events exist (fewer if the data start later; the years used are returned as ``base_years``).
    Returns per area (area_id, observed, projected, error = projected − observed, ape = |error| / observed · 100
    in %, NaN for empty areas) and for the city: observed, projected, error, ape (%), mape (mean ape over
    areas, %), median_ape (%), n_areas, base_years.
    """
    base_year, target_year = int(base_year), int(target_year)
    if target_year <= base_year:
        raise ConfigError(
            f"Zieljahr {target_year} muss nach dem Basisjahr {base_year} liegen", where="target_year"
        )
    pop, ev = _prepare_inputs(population, events)
    pop_years, ev_years = set(pop["year"].unique().tolist()), set(ev["year"].unique().tolist())
    for y, name in ((base_year, "Basisjahr"), (target_year, "Zieljahr")):
        if y not in pop_years:
            raise _fail("population", f"kein Bestand zum 31.12.{y} ({name})", where="Spalte year")
    used = [
        t
        for t in range(base_year - int(base_years) + 1, base_year + 1)
        if t - 1 in pop_years and t in ev_years
    ]
    if not used:
        raise _fail(
            "events",
            f"keine Basisjahre ≤ {base_year} mit Bewegungsdaten und Vorjahresbestand",
            "früheres Zieljahr oder späteres Basisjahr wählen",
            "Spalte year",
        )
    rates = estimate_rates(
        pop[pop["year"] <= base_year], ev[ev["year"] <= base_year], used, smoothing, shrinkage
    )
    projected = project(
        pop[pop["year"] == base_year], rates, base_year, target_year - base_year, include_base=False
    )
    projected = projected[projected["year"] == target_year].groupby("area_id")["count"].sum()
    observed = pop[pop["year"] == target_year].groupby("area_id")["count"].sum()
    new_areas = sorted(set(observed.index) - set(rates.areas))
    if new_areas:
        raise _fail(
            "population",
            f"Gebiet(e) im Zieljahr {target_year}, nicht im Basisjahr: {', '.join(new_areas[:5])}",
            "Gebietsgliederung hat sich geändert; Bestände auf eine Gliederung umschlüsseln",
        )
    per_area = pd.DataFrame(
        {
            "observed": observed.reindex(rates.area_index, fill_value=0.0).astype(float),
            "projected": projected.reindex(rates.area_index, fill_value=0.0),
        }
    )
    per_area["error"] = per_area["projected"] - per_area["observed"]
    obs = per_area["observed"].to_numpy()
    per_area["ape"] = np.divide(
        np.abs(per_area["error"].to_numpy()) * 100, obs, out=np.full(len(obs), np.nan), where=obs > 0
    )
    per_area = per_area.reset_index()
    city_obs, city_proj = float(per_area["observed"].sum()), float(per_area["projected"].sum())
    city = {
        "observed": city_obs,
        "projected": city_proj,
        "error": city_proj - city_obs,
        "ape": abs(city_proj - city_obs) / city_obs * 100 if city_obs > 0 else math.nan,
        "mape": float(per_area["ape"].mean()),
        "median_ape": float(per_area["ape"].median()),
        "n_areas": int(len(per_area)),
        "base_years": list(used),
    }
    return per_area, city


def age_group_labels(bins: Sequence[int]) -> list[str]:
    """German labels for lower bounds: ``[0, 3, 80]`` → ``["0–2", "3–79", "80+"]`` (single ages as ``"5"``)."""
    labels = []
    for lo, hi in zip(bins, [*bins[1:], None], strict=True):
        if hi is None:
            labels.append(f"{lo}+" if lo < MAX_AGE else f"{MAX_AGE}+")
        elif hi - 1 == lo:
            labels.append(str(lo))
        else:
            labels.append(f"{lo}–{hi - 1}")
    return labels


def age_groups(
    df: pd.DataFrame,
    bins: Sequence[int] = DEFAULT_AGE_BINS,
    value: str | Sequence[str] = "count",
    labels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Sum single years of age into age groups given by their lower bounds (the last group is open).

    ``bins`` must start at 0 and increase strictly up to at most 100. All columns other than ``age`` and the
    value column(s) are kept as keys; the result has an ordered categorical ``age_group`` instead of ``age``.
    """
    values = [value] if isinstance(value, str) else list(value)
    bounds = [int(b) for b in bins]
    if (
        not bounds
        or bounds[0] != 0
        or any(b >= c for b, c in zip(bounds, bounds[1:], strict=False))
        or bounds[-1] > MAX_AGE
    ):
        raise ConfigError(
            f"Altersgruppen-Grenzen ungültig: {list(bins)}",
            where="bins",
            hint="aufsteigende Untergrenzen ab 0, höchstens 100, z. B. [0, 3, 6, 10, 18]",
        )
    names = list(labels) if labels is not None else age_group_labels(bounds)
    if len(names) != len(bounds):
        raise ConfigError("Anzahl der Beschriftungen passt nicht zu den Altersgruppen", where="labels")
    missing = [c for c in ["age", *values] if c not in df.columns]
    if missing:
        raise DataValidationError(f"Spalte(n) {', '.join(missing)} fehlen", where="age_groups")
    keys = [c for c in df.columns if c not in ("age", *values)]
    group = pd.cut(df["age"], bins=[*bounds, MAX_AGE + 1], right=False, labels=names)
    if group.isna().any():
        raise DataValidationError("Alter außerhalb 0 … 100", where="age_groups, Spalte age")
    tmp = df[keys + values].assign(age_group=pd.Categorical(group, categories=names, ordered=True))
    out = tmp.groupby([*keys, "age_group"], observed=True, sort=True)[values].sum().reset_index()
    return out
