"""Implementation of the cohort-component projection, back-test and age groups for :mod:`workbench.projection`.

Private: import from :mod:`workbench.projection`, whose docstring gives the accounting identity and a worked
example.
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
    MAX_AGE,
    N_AGES,
    SEXES,
    Rates,
    _age_one_year,
    _cubes,
    _fail,
    _labels,
    _prepare_inputs,
    _validate,
    estimate_rates,
)
from workbench.projection._scenarios import Scenario

DEFAULT_AGE_BINS = (0, 3, 6, 10, 18, 25, 45, 65, 80)
"""Lower bounds of the planning age groups 0–2, 3–5, 6–9, 10–17, 18–24, 25–44, 45–64, 65–79, 80+."""

__all__ = ["DEFAULT_AGE_BINS", "age_group_labels", "age_groups", "backtest", "project"]


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
    """Project the population at 31.12.``start_year`` for ``horizon`` years (cohort-component method).

    Parameters
    ----------
    base_population : pandas.DataFrame
        Long table ``area_id, sex, age, count`` (persons at 31.12.``start_year``); a ``year`` column is
        filtered to ``start_year``, further keys such as ``nationality`` are summed. Areas of the rates missing
        from it start with zero inhabitants.
    rates : Rates
        Status-quo rates from :func:`estimate_rates` (same area ids).
    start_year : int
        Base year; the first projected year is ``start_year + 1``.
    horizon : int, default 15
        Number of projected years, ≥ 1.
    scenario : Scenario, optional
        Factors on the rates and extra in-migrants; default the status quo.
    control_total : pandas.Series or mapping of int to float, optional
        City totals by year (persons). After projecting a year every cell is multiplied by control / projected
        city total, and the scaled population is the start of the next year; years without a value are not
        scaled.
    include_base : bool, default True
        Include the base year in the result.
    return_components : bool, default False
        Also return the components of change.

    Returns
    -------
    pandas.DataFrame or tuple of (pandas.DataFrame, pandas.DataFrame)
        Population ``area_id, year, sex, age, count`` (float persons at 31.12., one row per area × year × sex
        × age 0 … 100). With ``return_components`` also a table per area × projected year with ``births,
        deaths, in_ext, out_ext, in_int, out_int, extra`` (persons per year).

    Raises
    ------
    ConfigError
        For a ``horizon`` that is not an integer ≥ 1, unknown areas in the scenario's extra in-migrants, or a
        control total that is not a positive number.
    DataValidationError
        For a malformed base population, no population at 31.12.``start_year``, or areas without rates.
    WorkbenchError
        When a projected city total is 0 in a year with a control total.

    Notes
    -----
    Accounting identity per year (see :mod:`workbench.projection`; docs/METHODEN.md, Abschnitt „Bilanzgleichung“):
    the population is aged by one year (99 and 100 end in the open group 100), births = Σ ASFR · fertility
    factor · women at risk split 105 : 100 boys : girls, then P(t) = R − deaths − out_ext − out_int + in_ext +
    in_int (+ extra in-migrants). If death and out-migration rates of a cell exceed 1 in total (large scenario
    factors), they are scaled down to 1. A control total rescales all cells proportionally, keeping each area's
    share and its age-sex structure (Abschnitt „Eckwerte“).

    Examples
    --------
    One area with 10 persons in every sex × age cell and 2 births to the women aged 30 in 2023 (ASFR(30) =
    2 / 10), nothing else. By hand: every year the cohorts move up one age, the open group 100 collects the
    99- and 100-year-olds (10 → 20 → 30 women), and 2 births (1.02439 boys, 0.97561 girls) add to the total
    2020 → 2022 → 2024:

    >>> import pandas as pd
    >>> from workbench.projection import EVENT_COLUMNS, Scenario, estimate_rates, project
    >>> grid = [(s, a) for s in ("m", "w") for a in range(101)]
    >>> pop = pd.DataFrame([("A", y, s, a, 10.0) for y in (2022, 2023) for s, a in grid],
    ...                    columns=["area_id", "year", "sex", "age", "count"])
    >>> ev = pop[pop.year == 2023].drop(columns="count").assign(**{c: 0.0 for c in EVENT_COLUMNS})
    >>> ev.loc[(ev.sex == "w") & (ev.age == 30), "births"] = 2.0
    >>> rates = estimate_rates(pop, ev, base_years=[2023])
    >>> out = project(pop, rates, start_year=2023, horizon=2)
    >>> out.groupby("year")["count"].sum().to_dict()
    {2023: 2020.0, 2024: 2022.0, 2025: 2024.0}
    >>> out.query("sex == 'w' and age == 100")["count"].tolist()
    [10.0, 20.0, 30.0]
    >>> round(float(out.query("year == 2025 and sex == 'm' and age == 0")["count"].iloc[0]), 5)
    1.02439

    A scenario with 50 % more births, and a control total of 2,000 persons in 2024:

    >>> more = project(pop, rates, 2023, horizon=2, scenario=Scenario(name="hoch", fertility_factor=1.5))
    >>> more.groupby("year")["count"].sum().to_dict()
    {2023: 2020.0, 2024: 2023.0, 2025: 2026.0}
    >>> scaled = project(pop, rates, 2023, horizon=1, control_total={2024: 2000})
    >>> round(float(scaled.query("year == 2024")["count"].sum()), 6)
    2000.0
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
    """Project from 31.12.``base_year`` with rates from years ≤ base_year and compare with 31.12.``target_year``.

    Parameters
    ----------
    population : pandas.DataFrame
        Long population table as for :func:`estimate_rates`, including 31.12.``base_year`` and
        31.12.``target_year``.
    events : pandas.DataFrame
        Long events table as for :func:`estimate_rates` (only years ≤ ``base_year`` are used).
    base_year, target_year : int
        Start and comparison year, target_year > base_year.
    base_years : int, default 3
        Number of base years for the rates: the last years ≤ base_year for which both the previous year's
        population and the events exist (fewer if the data start later).
    smoothing : str, default "band5"
        Age smoothing, see :func:`estimate_rates`.
    shrinkage : "auto" or float, default "auto"
        Empirical-Bayes shrinkage, see :func:`estimate_rates`.

    Returns
    -------
    per_area : pandas.DataFrame
        ``area_id, observed, projected, error`` (persons; error = projected − observed) and ``ape``
        (|error| / observed · 100, in %; NaN for empty areas).
    city : dict
        ``observed``, ``projected``, ``error`` (persons), ``ape`` (%), ``mape`` (mean ape over areas, %),
        ``median_ape`` (%), ``n_areas`` and ``base_years`` (the years used).

    Raises
    ------
    ConfigError
        When ``target_year`` is not after ``base_year``.
    DataValidationError
        For malformed tables, a missing population in the base or target year, no usable base year, areas that
        appear only in the target year, and the errors of :func:`estimate_rates`.

    Notes
    -----
    Back-test of docs/METHODEN.md, Abschnitt „Rückrechnung (Backtest)“: the status-quo projection is compared
    with the observed population, with the MAPE per area as the usual accuracy measure of small-area
    projections.

    Examples
    --------
    One area with 10 persons in every cell in 2022 and 2023 and no events: the projection for 2024 keeps its
    2,020 persons, but 2,030 were observed (10 more men aged 40), so error = −10 and
    ape = 10 / 2030 · 100 = 0.492611 %:

    >>> import pandas as pd
    >>> from workbench.projection import EVENT_COLUMNS, backtest
    >>> keys = pd.MultiIndex.from_product([["A"], [2022, 2023, 2024], ["m", "w"], range(101)],
    ...                                   names=["area_id", "year", "sex", "age"])
    >>> pop = pd.DataFrame({"count": 10.0}, index=keys).reset_index()
    >>> pop.loc[(pop.year == 2024) & (pop.sex == "m") & (pop.age == 40), "count"] = 20.0
    >>> ev = pop[pop.year == 2023].drop(columns="count").assign(**dict.fromkeys(EVENT_COLUMNS, 0.0))
    >>> per_area, city = backtest(pop, ev, base_year=2023, target_year=2024)
    >>> per_area.round(6).values.tolist()
    [['A', 2030.0, 2020.0, -10.0, 0.492611]]
    >>> round(city["mape"], 6), city["n_areas"], city["base_years"]
    (0.492611, 1, [2023])
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
    """German labels of age groups given by their lower bounds (the last group is open).

    Parameters
    ----------
    bins : sequence of int
        Increasing lower bounds in years, e.g. ``[0, 3, 80]``.

    Returns
    -------
    list of str
        One label per group: ``"lo–hi"`` (en dash), a single age as ``"5"``, the last group ``"lo+"``.

    Raises
    ------
    TypeError
        For bounds that are not numbers.

    See Also
    --------
    age_groups : Sums single years of age into these groups.

    Notes
    -----
    Labels of the planning age groups of docs/METHODEN.md, Abschnitt „Bevölkerungsprognose“ (e.g. 0–2, 3–5,
    6–9 for childcare planning); a last bound of 100 gives ``"100+"``.

    Examples
    --------
    >>> from workbench.projection import age_group_labels
    >>> age_group_labels([0, 3, 80])
    ['0–2', '3–79', '80+']
    >>> age_group_labels([0, 1, 100])
    ['0', '1–99', '100+']
    """
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

    Parameters
    ----------
    df : pandas.DataFrame
        Long table with an ``age`` column (0 … 100) and the value column(s), e.g. the output of :func:`project`.
    bins : sequence of int, default (0, 3, 6, 10, 18, 25, 45, 65, 80)
        Lower bounds, starting at 0 and increasing strictly up to at most 100 (the default gives the planning
        age groups 0–2, 3–5, 6–9, 10–17, 18–24, 25–44, 45–64, 65–79, 80+).
    value : str or sequence of str, default "count"
        Column(s) to sum.
    labels : sequence of str, optional
        Group labels; default :func:`age_group_labels`.

    Returns
    -------
    pandas.DataFrame
        All columns other than ``age`` and the value column(s) as keys, an ordered categorical ``age_group``
        instead of ``age``, and the summed values; sorted by the keys and the age group.

    Raises
    ------
    ConfigError
        For invalid bounds or a number of labels that does not match.
    DataValidationError
        For missing columns or ages outside 0 … 100.

    Notes
    -----
    Completed ages at 31.12. (docs/DATA_CONTRACT.md); groups as in docs/METHODEN.md, Abschnitt
    „Bevölkerungsprognose“.

    Examples
    --------
    One person of every age 0 … 100:

    >>> import pandas as pd
    >>> from workbench.projection import age_groups
    >>> df = pd.DataFrame({"area_id": "A", "age": range(101), "count": 1.0})
    >>> out = age_groups(df, [0, 18, 65])
    >>> out["age_group"].astype(str).tolist(), out["count"].tolist()
    (['0–17', '18–64', '65+'], [18.0, 47.0, 36.0])
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
