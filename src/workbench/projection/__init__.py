"""Small-area cohort-component population projection (status quo and scenarios).

The model follows the cohort-component method used by German cities (SIKURS style), per Sozialraum, sex and
single year of age 0 … 100 (100 = open group "100 und älter"), one calendar year at a time. All ages are the
completed age at 31.12., as in the processed ``population`` and ``events`` tables (docs/DATA_CONTRACT.md).

See Also
--------
estimate_rates, Rates : Status-quo rates from averaged base years.
project, Scenario, load_scenarios : The projection, status quo (:data:`STATUS_QUO`) and scenarios, with
    optional control totals.
backtest : Projection from an earlier base year against the observed population (MAPE).
age_groups, age_group_labels : Planning age groups of the output.
project_stocks, backtest_stocks, backtest_summary : Projection from population stocks by age band alone
    (Hamilton–Perry cohort-change ratios), its back-test against the naive baselines and the errors of all
    feasible windows by horizon and size class with empirical error bands.

Notes
-----
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

Choices (all documented in the function docstrings): death and fertility rates are pooled at city level over
the base years and scaled per area by an empirical-Bayes shrunk ratio (observed / expected events);
out-migration rates and in-migrant numbers are smoothed over age (5-year bands by default); scenario factors
multiply the status-quo rates; an optional city-level control total rescales all cells proportionally.

The implementation lives in private modules (``_rates``: validation and rate estimation; ``_model``:
projection, back-test, age groups; ``_scenarios``); import from :mod:`workbench.projection`. The public
submodule :mod:`workbench.projection.runs` runs the configured projections of the report.

References
----------
KOSIS-Verbund: *SIKURS – Kleinräumiges Bevölkerungsprognosemodell*, Modellbeschreibung; Marshall, R. J.
(1991), *Applied Statistics* 40, 283–294 (shrinkage); docs/METHODEN.md, Abschnitt „Bevölkerungsprognose“.

Examples
--------
Two areas, 100 persons in every sex × age cell, one death per cell, births to women aged 20–39:

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
"""

from inspect import isfunction as _isfunction

from workbench.projection._model import age_group_labels, age_groups, backtest, project
from workbench.projection._rates import BOY_SHARE, EVENT_COLUMNS, N_AGES, Rates, estimate_rates
from workbench.projection._scenarios import STATUS_QUO, Scenario, load_scenarios
from workbench.projection._stocks import backtest_stocks, backtest_summary, project_stocks

__all__ = [
    "BOY_SHARE",
    "EVENT_COLUMNS",
    "N_AGES",
    "STATUS_QUO",
    "Rates",
    "Scenario",
    "age_group_labels",
    "age_groups",
    "backtest",
    "backtest_stocks",
    "backtest_summary",
    "estimate_rates",
    "load_scenarios",
    "project",
    "project_stocks",
]


for _obj in filter(_isfunction, (globals()[_n] for _n in __all__)):  # help() and tracebacks name the façade
    _obj.__module__ = __name__
del _obj
