"""One computation for every indicator of the catalogue, every area level and every year.

:func:`compute` turns the processed tables (``population.parquet``, ``counts.parquet``, ``keys.parquet``, see
``docs/DATA_CONTRACT.md``) and the catalogue (``config/indicators.yaml``) into one tidy table with values,
confidence intervals, comparisons with the city and the parent area, trend markers and quintiles.

Method (docs/METHODEN.md, Abschnitt „Berechnung der Indikatorwerte“):

* Counts are aggregated upward Sozialraum → Stadtbezirk → Stadt via ``keys``. A suppressed (or missing) part
  makes the aggregate unknown (NaN, ``numerator_suppressed`` True when a part was suppressed) — never 0.
* Official city totals (``city_totals``, the BA row "Stadt insgesamt") replace an unknown city sum of a
  measure, so the city value and all comparisons with the city exist despite suppressed areas.
* value = numerator / denominator × multiplier; NaN when the denominator is 0 or unknown.
* Intervals: Wilson for shares (``method: wilson``), exact Poisson (x < 10) / Byar for rates where the
  numerator can exceed the denominator (``poisson``), none for differences (``none``). Computed by
  :mod:`workbench.stats`.
* Comparisons (``cmp_city``, ``cmp_parent`` at the first confidence level, ``cmp_city_998`` etc. at the
  others): similar when the benchmark lies inside the unit's interval, otherwise higher/lower, turned into
  besser/schlechter by the indicator's polarity; "nicht verglichen" when the interval or benchmark is missing.
* Trend: on every row, the χ² trend marker (99.8 %) over the five years *ending with that row's year*
  (all data years are used for the history even when ``years`` selects fewer). So the rows of the reporting
  year carry the "last 5 years" marker; rows with fewer than five years of history say "nicht berechenbar".
  Indicators without interval (``none``) get "nicht berechenbar".
* Quintile: within level and year, 1 = highest value (no quintile when fewer finite values than 5).

Everything is vectorised over areas and years; the only Python loops run over indicators, levels and the
handful of years.
"""

from workbench.indicators._compute import (
    CITY_ID,
    COLUMNS,
    LEVELS,
    NOT_COMPARED,
    NOT_COMPUTABLE,
    QUINTILES,
    TREND_CONFIDENCE,
    TREND_POINTS,
    Catalogue,
    Grid,
    Indicator,
    Term,
    check_measures,
    compute,
    hierarchy,
    indicator_meta,
    level_tag,
    load_catalogue,
    parse_catalogue,
    require_columns,
    series,
)

__all__ = [
    "Catalogue",
    "Indicator",
    "Term",
    "indicator_meta",
    "load_catalogue",
    "parse_catalogue",
    "Grid",
    "check_measures",
    "hierarchy",
    "require_columns",
    "LEVELS",
    "CITY_ID",
    "NOT_COMPARED",
    "NOT_COMPUTABLE",
    "TREND_POINTS",
    "TREND_CONFIDENCE",
    "QUINTILES",
    "COLUMNS",
    "level_tag",
    "compute",
    "series",
]
