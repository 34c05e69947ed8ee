"""The indicator computation behind :func:`workbench.indicators.compute`: aggregation up the area levels,
values, intervals, comparisons, trend markers and quintiles (the method is described in the package docstring,
:mod:`workbench.indicators`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench import stats
from workbench.errors import ConfigError, DataValidationError, WorkbenchError
from workbench.indicators._grid import Grid, check_measures, hierarchy, require_columns
from workbench.indicators._published import published_values, validate_shares
from workbench.indicators.catalogue import (
    PUBLISHED,
    Catalogue,
    Indicator,
    Term,
    indicator_meta,
    load_catalogue,
    parse_catalogue,
)
from workbench.io import city_totals as official_totals
from workbench.vocabulary import CITY_ID, LEVELS

__all__ = [
    "CITY_ID",
    "COLUMNS",
    "LEVELS",
    "NOT_COMPARED",
    "Catalogue",
    "Indicator",
    "Term",
    "compute",
    "indicator_meta",
    "level_tag",
    "load_catalogue",
    "parse_catalogue",
    "series",
]

NOT_COMPARED = stats.COMPARISON_LABELS[-1]  # "nicht verglichen", as returned by stats.compare
NOT_COMPUTABLE = stats.TREND_LABELS[-1]  # "nicht berechenbar", as returned by stats.trend_marker
TREND_POINTS = 5
TREND_CONFIDENCE = 0.998
QUINTILES = 5
COLUMNS = [
    "indicator",
    "level",
    "unit_id",
    "unit_name",
    "parent_id",
    "year",
    "numerator",
    "denominator",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "numerator_suppressed",
    "city_value",
    "parent_value",
    "cmp_city",
    "cmp_parent",
    "cmp_city_998",
    "trend",
    "quintile",
]
"""Columns of :func:`compute` with the default confidence levels (0.95, 0.998)."""


def level_tag(confidence: float) -> str:
    """Column suffix of a confidence level: 0.95 → ``"95"``, 0.998 → ``"998"``, 0.9 → ``"90"``."""
    pct = round(stats.normalise_confidence(confidence) * 100, 6)
    return f"{pct:g}".replace(".", "")


# ----------------------------------------------------------------------------------------------------------
# Statistics per indicator
# ----------------------------------------------------------------------------------------------------------


def _aggregate(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum areas × years into groups × years; NaN in any part makes the group NaN (unknown, never 0)."""
    out = np.zeros((n_groups, values.shape[1]))
    np.add.at(out, groups, values)
    return out


def _interval(ind: Indicator, x: np.ndarray, n: np.ndarray, ok: np.ndarray, confidence: float):
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    if ind.method in ("none", PUBLISHED) or not ok.any():
        return lower, upper
    if ind.method == "wilson":
        lo, up = stats.wilson_ci(x[ok], n[ok], confidence)
        lower[ok], upper[ok] = np.asarray(lo) * ind.multiplier, np.asarray(up) * ind.multiplier
    else:
        lo, up = stats.rate_ci(x[ok], n[ok], ind.multiplier, confidence)
        lower[ok], upper[ok] = lo, up
    return lower, upper


def _compare(lower: np.ndarray, upper: np.ndarray, bench: np.ndarray, polarity: str) -> np.ndarray:
    out = np.full(lower.shape, NOT_COMPARED, dtype=object)
    ok = np.isfinite(lower) & np.isfinite(upper) & np.isfinite(bench)
    if ok.any():
        out[ok] = np.asarray(stats.compare(lower[ok], upper[ok], bench[ok], polarity), dtype=object)
    return out


def _trend(ind: Indicator, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Marker per unit and year over the TREND_POINTS years ending with that year."""
    out = np.full(x.shape, NOT_COMPUTABLE, dtype=object)
    if ind.method in ("none", PUBLISHED):
        return out
    kind = "proportion" if ind.method == "wilson" else "rate"
    xs = np.where(n > 0, x, np.nan)
    ns = np.where(n > 0, n, np.nan)
    for j in range(TREND_POINTS - 1, x.shape[1]):
        window = slice(j - TREND_POINTS + 1, j + 1)
        out[:, j] = np.asarray(
            stats.trend_marker(
                xs[:, window], ns[:, window], confidence=TREND_CONFIDENCE, min_points=TREND_POINTS, kind=kind
            ),
            dtype=object,
        )
    return out


def _quintiles(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    for j in range(values.shape[1]):
        ok = np.isfinite(values[:, j])
        if ok.sum() >= QUINTILES:
            groups = stats.assign_quantiles(values[ok, j], q=QUINTILES, highest_first=True)
            out[ok, j] = pd.array(groups).to_numpy(dtype="float64", na_value=np.nan)
    return out


def _check_bounds(ind: Indicator, x: np.ndarray, n: np.ndarray, ok: np.ndarray, unit_ids, years) -> None:
    problems = []
    if ind.method != "none":
        problems.append((ok & (x < 0), "Zähler ist negativ", "Zähler-Definition und Daten prüfen"))
    if ind.method == "wilson":
        problems.append(
            (
                ok & (x > n),
                "Zähler größer als Nenner (Anteil über 100 %)",
                "Daten prüfen oder im Katalog 'method: poisson' setzen, wenn der Zähler den Nenner übersteigen darf",
            )
        )
    for mask, problem, hint in problems:
        if mask.any():
            i, j = np.argwhere(mask)[0]
            raise DataValidationError(
                f"{problem}: {x[i, j]:g} von {n[i, j]:g} ({int(mask.sum())} Werte betroffen)",
                where=f"Indikator {ind.id!r}, Gebiet {unit_ids[i]}, Jahr {years[j]}",
                hint=hint,
            )


# ----------------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------------


def compute(
    catalogue: Catalogue,
    population: pd.DataFrame,
    counts: pd.DataFrame,
    keys: pd.DataFrame,
    *,
    years: Sequence[int] | None = None,
    levels: Sequence[str] = LEVELS,
    indicators: Sequence[str] | None = None,
    confidence_levels: Sequence[float] = (0.95, 0.998),
    city_name: str = "Stadt",
    city_totals: pd.DataFrame | None = None,
    shares: pd.DataFrame | None = None,
    age_groups: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compute indicators with intervals, comparisons, trends and quintiles (one tidy table).

    Parameters: the catalogue, the processed tables ``population``, ``counts`` and ``keys`` (contract format),
    ``years`` to report (default: all population years; history for trends always uses all years),
    ``levels`` out of "sozialraum", "stadtbezirk", "stadt", ``indicators`` (ids; default all),
    ``confidence_levels`` (first = level of ``cmp_city``/``cmp_parent``; each further level adds
    ``cmp_city_<tag>``; interval columns ``lower<tag>``/``upper<tag>``, tag 95 / 998), ``city_name`` for
    the city row, ``city_totals`` (year, measure, value; ``Dataset.city_totals``): official city totals used
    for the city numerator/denominator of a measure whose area sum is unknown because parts are suppressed
    (Stadtbezirke stay unknown); the city value, its interval and every comparison with the city then exist.
    ``shares`` (level, unit_id, year, indicator, value, suppressed; ``Dataset.shares``): the values of
    ``method: published`` indicators, which a city publishes without counts. They are taken as they are at every
    level where the source has them (Stadtbezirk and Stadt only from the source's own aggregate rows: a share
    cannot be summed), without interval, comparison ("nicht verglichen") or trend test; ``numerator_suppressed``
    marks a value the source withheld.
    ``age_groups`` (``Dataset.age_groups``, ``population_age_groups.parquet``): the age groups of years without
    single years of age; a population filter is computed only where the population's detail determines it
    (totals: the whole population; age groups: ranges that are unions of groups), elsewhere it is NaN.

    Returns one row per indicator × level × unit × year with the columns of :data:`COLUMNS` (see the module
    docstring for methods). ``value`` is in the indicator's unit (% / je 100 / je 1.000).

    Raises ConfigError (unknown indicator, level, year or measure) or DataValidationError (bad tables).
    """
    if not isinstance(catalogue, Catalogue):
        raise ConfigError("erwartet einen Katalog aus load_catalogue()", hint="cat = load_catalogue()")
    selected = catalogue.select(list(indicators) if indicators is not None else None)
    levels = [levels] if isinstance(levels, str) else list(levels)
    bad_levels = [lv for lv in levels if lv not in LEVELS]
    if bad_levels or not levels:
        raise ConfigError(
            f"unbekannte Gebietsebene(n) {bad_levels}", where="levels", hint="Erlaubt: " + ", ".join(LEVELS)
        )
    try:
        conf = [stats.normalise_confidence(c) for c in confidence_levels]
    except WorkbenchError as exc:
        raise ConfigError(exc.problem, where="confidence_levels", hint=exc.hint) from None
    if not conf:
        raise ConfigError(
            "mindestens ein Konfidenzniveau angeben", where="confidence_levels", hint="z. B. (0.95, 0.998)"
        )
    tags = [level_tag(c) for c in conf]

    require_columns(counts, "counts.parquet", ["area_id", "year", "measure", "value", "suppressed"])
    totals = official_totals.lookup(official_totals.validate(city_totals, where="city_totals"))
    measures = check_measures(selected, counts, catalogue.path)
    areas = hierarchy(keys)
    grid = Grid(population, counts, areas, measures, age_groups=age_groups)
    out_years = grid.data_years if years is None else sorted(int(y) for y in years)
    missing_years = [y for y in out_years if y not in grid.data_years]
    if missing_years:
        raise ConfigError(
            f"Jahr(e) {missing_years} fehlen in den Bevölkerungsdaten",
            where="years",
            hint="Vorhandene Jahre: " + ", ".join(map(str, grid.data_years)),
        )
    col_idx = np.array([grid.years.index(y) for y in out_years])
    published = [ind.id for ind in selected if ind.published]
    share_table = validate_shares(shares, published)

    districts = areas[["district_id", "district_name"]].drop_duplicates("district_id").reset_index(drop=True)
    d_of_a = pd.Index(districts["district_id"]).get_indexer(areas["district_id"])
    units = {
        "sozialraum": (
            areas["area_id"].to_numpy(),
            areas["area_name"].to_numpy(),
            areas["district_id"].to_numpy(),
        ),
        "stadtbezirk": (
            districts["district_id"].to_numpy(),
            districts["district_name"].to_numpy(),
            np.full(len(districts), CITY_ID, dtype=object),
        ),
        "stadt": (
            np.array([CITY_ID], dtype=object),
            np.array([city_name], dtype=object),
            np.array([None], dtype=object),
        ),
    }
    groups = {"stadtbezirk": (d_of_a, len(districts)), "stadt": (np.zeros(len(areas), dtype=np.int64), 1)}

    columns: dict[str, list[np.ndarray]] = {}
    for ind in selected:
        if not ind.published:
            x_a, sx_a = grid.term(ind.numerator)
            n_a, sn_a = grid.term(ind.denominator)
        per_level: dict[str, dict[str, np.ndarray]] = {}
        for level in ("stadt", "stadtbezirk", "sozialraum"):
            if ind.published:
                value, sx = published_values(share_table, ind.id, level, units[level][0], grid.years)
                x = n = np.full(value.shape, np.nan)
                res = {"x": x, "n": n, "sx": sx, "value": value}
                for t in tags:
                    res[f"lower{t}"] = res[f"upper{t}"] = np.full(value.shape, np.nan)
                per_level[level] = res
                continue
            if level == "sozialraum":
                x, n, sx = x_a, n_a, sx_a
            elif level == "stadt" and totals:
                x, sx = grid.city_term(ind.numerator, totals)
                n, _ = grid.city_term(ind.denominator, totals)
            else:
                g, k = groups[level]
                x, n = _aggregate(x_a, g, k), _aggregate(n_a, g, k)
                sx = _aggregate(sx_a.astype(float), g, k) > 0
            ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
            _check_bounds(ind, x, n, ok, units[level][0], grid.years)
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(ok, x / np.where(ok, n, 1.0) * ind.multiplier, np.nan)
            res = {"x": x, "n": n, "sx": sx, "value": value}
            for c, t in zip(conf, tags, strict=True):
                res[f"lower{t}"], res[f"upper{t}"] = _interval(ind, x, n, ok, c)
            per_level[level] = res

        city_value = per_level["stadt"]["value"][0]
        for level in levels:
            res = per_level[level]
            n_u = res["value"].shape[0]
            city = np.broadcast_to(city_value, res["value"].shape)
            if level == "sozialraum":
                parent = per_level["stadtbezirk"]["value"][d_of_a]
            elif level == "stadtbezirk":
                parent = np.broadcast_to(city_value, res["value"].shape)
            else:
                parent = np.full(res["value"].shape, np.nan)
            is_city = level == "stadt"
            bench_city = np.full(city.shape, np.nan) if is_city else city
            cmp = {
                "cmp_city": _compare(
                    res[f"lower{tags[0]}"], res[f"upper{tags[0]}"], bench_city, ind.polarity
                ),
                "cmp_parent": _compare(res[f"lower{tags[0]}"], res[f"upper{tags[0]}"], parent, ind.polarity),
            }
            for t in tags[1:]:
                cmp[f"cmp_city_{t}"] = _compare(res[f"lower{t}"], res[f"upper{t}"], bench_city, ind.polarity)
            trend = _trend(ind, res["x"], res["n"])
            quint = _quintiles(res["value"][:, col_idx])

            ids, names, parents = units[level]
            n_y = len(col_idx)
            part = {
                "indicator": np.full(n_u * n_y, selected.index(ind), dtype=np.int32),
                "level": np.full(n_u * n_y, LEVELS.index(level), dtype=np.int32),
                "unit_id": np.repeat(ids, n_y),
                "unit_name": np.repeat(names, n_y),
                "parent_id": np.repeat(parents, n_y),
                "year": np.tile(np.array(out_years, dtype=np.int64), n_u),
                "numerator": res["x"][:, col_idx].ravel(),
                "denominator": res["n"][:, col_idx].ravel(),
                "value": res["value"][:, col_idx].ravel(),
            }
            for t in tags:
                part[f"lower{t}"] = res[f"lower{t}"][:, col_idx].ravel()
                part[f"upper{t}"] = res[f"upper{t}"][:, col_idx].ravel()
            part["numerator_suppressed"] = res["sx"][:, col_idx].ravel()
            part["city_value"] = city[:, col_idx].ravel()
            part["parent_value"] = parent[:, col_idx].ravel()
            for name, arr in cmp.items():
                part[name] = arr[:, col_idx].ravel()
            part["trend"] = trend[:, col_idx].ravel()
            part["quintile"] = quint.ravel()
            for name, arr in part.items():
                columns.setdefault(name, []).append(arr)

    if not selected:  # no indicator (e.g. none of them computable from a city's data): the empty table
        return _empty_table(tags)
    # one DataFrame at the end: building many small frames and concatenating costs more than the statistics
    table = pd.DataFrame({name: np.concatenate(arrs) for name, arrs in columns.items()})
    table["indicator"] = pd.array([ind.id for ind in selected], dtype="str").take(
        table["indicator"].to_numpy()
    )
    table["level"] = pd.array(list(LEVELS), dtype="str").take(table["level"].to_numpy())
    table["quintile"] = table["quintile"].astype("Int64")
    table["numerator_suppressed"] = table["numerator_suppressed"].astype(bool)
    return table


def _empty_table(tags: list[str]) -> pd.DataFrame:
    """The table of :func:`compute` without rows: its columns and dtypes for the confidence tags ``tags``."""
    names = ["indicator", "level", "unit_id", "unit_name", "parent_id", "year", "numerator", "denominator"]
    names += ["value", *(f"{b}{t}" for t in tags for b in ("lower", "upper"))]
    names += ["numerator_suppressed", "city_value", "parent_value", "cmp_city", "cmp_parent"]
    names += [f"cmp_city_{t}" for t in tags[1:]] + ["trend", "quintile"]
    text = ("indicator", "level", "unit_id", "unit_name", "parent_id", "trend")
    dtypes = {c: "str" for c in (*text, *(c for c in names if c.startswith("cmp_")))}
    dtypes.update({"year": "int64", "numerator_suppressed": bool, "quintile": "Int64"})
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, "float64")) for c in names})


def series(
    table: pd.DataFrame, indicator: str, level: str = "sozialraum", column: str = "value"
) -> pd.DataFrame:
    """Wide view of one indicator at one level: rows = units (``unit_id``), columns = years, cells = ``column``.

    Convenience for time-series charts and tables; raises ConfigError for an indicator/level not in ``table``.
    """
    sub = table.loc[(table["indicator"] == indicator) & (table["level"] == level)]
    if sub.empty:
        raise ConfigError(
            f"keine Werte für Indikator {indicator!r} auf Ebene {level!r}",
            hint="Indikatoren in der Tabelle: " + ", ".join(sorted(table["indicator"].unique())),
        )
    if column not in sub.columns:
        raise ConfigError(f"Spalte {column!r} fehlt", hint="Spalten: " + ", ".join(sub.columns))
    wide = sub.pivot(index="unit_id", columns="year", values=column)
    wide.columns.name = "year"
    return wide
