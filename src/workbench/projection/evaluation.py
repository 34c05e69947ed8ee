"""Which projection the data allow, its back-test over every feasible window and empirical error bands.

Used by the Demografie chapter and the chapter Kinder, Jugend und Familie. Three cases, chosen from the data
(:func:`choose_method`):

* **cohort-component** (:func:`workbench.projection.project`) when the population by single year of age and
  sex and the movements (births, deaths, moves by area and age, ``events``) exist for at least
  :data:`MIN_EVENT_YEARS` years, each with the previous year's population;
* **Hamilton–Perry** (:func:`workbench.projection.project_stocks`) when only stocks by age (single years or
  age bands) exist at two or more reference dates up to the reporting year;
* **none** otherwise (one reference date, or no ages): the chapter says so in German.

The back-test (:func:`evaluate`) projects from every feasible earlier base year B to every later year up to the
reporting year with only the data known at B, for the model and the two naive baselines (constant population;
constant growth since the previous reference date), per area for the total and the planning groups of
:data:`DEMAND_GROUPS`. :class:`Evaluation` summarises the errors (MAPE, median APE, mean signed error, share
within the band) by quantity, horizon and area size class, and gives the empirical band of a new projection:
the ``coverage`` quantile of past absolute percentage errors of the same quantity, horizon and size class
(all sizes pooled when fewer than ``min_past`` past errors; linear in the horizon beyond the longest tested
horizon, marked ``extrapolated``). docs/METHODEN.md, Abschnitt „Prognosegüte und Schwankungsbreite im Bericht“.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import DataValidationError
from workbench.projection import _stocks, estimate_rates, project
from workbench.projection._stock_sources import stocks_from_population
from workbench.render import fmt

MIN_EVENT_YEARS = 2
"""Years of movements the cohort-component projection needs at least (as the availability check)."""

METHOD_LABELS = {
    "cohort-component": "Kohorten-Komponenten-Methode",
    "hamilton-perry": "Hamilton–Perry-Verfahren (Kohortenveränderungsraten aus Beständen)",
    "none": "keine Prognose",
}
"""German names of the projection methods."""

BASELINE_LABELS = {
    "constant": "Einwohnerzahl konstant",
    "trend": "Wachstum wie zuletzt fortgeschrieben",
}
"""German names of the naive baselines of the back-test."""

TOTAL = "Insgesamt"
DEMAND_GROUPS: dict[str, tuple[int, int]] = {
    "0–2": (0, 2),
    "3–5": (3, 5),
    "6–9": (6, 9),
    "10–15": (10, 15),
}
"""Planning groups of Kita and school age (inclusive completed years): U3, Ü3, Grundschule, Sekundarstufe I."""
DEMAND_LABELS = {
    "0–2": "Kinder unter 3 Jahren (Krippe)",
    "3–5": "Kinder von 3 bis unter 6 Jahren (Kindergarten)",
    "6–9": "Kinder von 6 bis unter 10 Jahren (Grundschule)",
    "10–15": "Kinder von 10 bis unter 16 Jahren (Sekundarstufe I)",
}
SIZE_CLASSES = (0, 5_000, 20_000, 100_000)
"""Lower bounds of the size classes of the area totals (persons in the base year)."""
GROUP_SIZE_CLASSES = (0, 200, 1_000, 5_000)
"""Lower bounds of the size classes of the planning groups (children in the base year)."""


# ----------------------------------------------------------------------------------------------- method choice


@dataclass(frozen=True)
class MethodChoice:
    """The projection the data allow: ``method`` (a key of :data:`METHOD_LABELS`), the German ``reason``, the
    reference dates with population by age (``stock_years``) and the years with movements (``event_years``)."""

    method: str
    reason: str
    stock_years: tuple[int, ...] = ()
    event_years: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return METHOD_LABELS[self.method]


def _years_text(years: Sequence[int]) -> str:
    years = sorted(years)
    if not years:
        return "keinem Jahr"
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years[:-1])) + (" und " if len(years) > 1 else "") + str(years[-1])


def single_age_years(population: pd.DataFrame | None) -> list[int]:
    """Years whose population is by single year of age (0 … 79 present, ``age`` ≥ 0) and by sex (m/w)."""
    if population is None or population.empty:
        return []
    fine = population[(population["age"] >= 0) & population["sex"].isin(("m", "w"))]
    out = []
    for y, part in fine.groupby("year"):
        if set(range(80)) <= set(part["age"].astype(int).unique()):
            out.append(int(y))
    return sorted(out)


MAX_BAND_WIDTH = 20
"""Widest closed age group (years) a projection from stocks accepts: the cohort-change ratios of single years
come from the graduated groups, and groups such as 18–64 say nothing about single cohorts."""


def usable_groups(groups: Any) -> bool:
    """Whether age groups (inclusive (from, to) pairs, ``to`` 100 = open group) cover all ages from 0 without
    gap or overlap up to an open group, each closed group at most :data:`MAX_BAND_WIDTH` years wide."""
    edge = 0
    for lo, hi in sorted(groups):
        if lo != edge or (hi < 100 and hi - lo + 1 > MAX_BAND_WIDTH):
            return False
        edge = hi + 1
    return edge > 100


def age_stock_years(population: pd.DataFrame | None, age_groups: pd.DataFrame | None) -> list[int]:
    """Years with the population by age: single years (every age 0 … 79 present), or age groups that cover all
    ages from 0 without gap or overlap up to the open group (``age_to`` 100), none wider than
    :data:`MAX_BAND_WIDTH` years (:func:`usable_groups`)."""
    years = set()
    if population is not None and not population.empty:
        aged = population[population["age"] >= 0]
        for y, part in aged.groupby("year"):
            if set(range(80)) <= set(part["age"].astype(int).unique()):
                years.add(int(y))
    if age_groups is not None and not age_groups.empty:
        for y, part in age_groups.groupby("year"):
            bands = {(int(a), int(b)) for a, b in zip(part["age_from"], part["age_to"], strict=True)}
            if usable_groups(bands):
                years.add(int(y))
    return sorted(years)


def _usable_event_years(population: pd.DataFrame, events: pd.DataFrame | None, year: int) -> list[int]:
    if events is None or events.empty:
        return []
    single = set(single_age_years(population))
    return sorted(int(t) for t in events["year"].unique() if int(t) <= year and int(t) - 1 in single)


def choose_method(
    population: pd.DataFrame | None,
    events: pd.DataFrame | None,
    age_groups: pd.DataFrame | None,
    year: int,
) -> MethodChoice:
    """Choose the projection method from the data (see the module docstring).

    Parameters
    ----------
    population : pandas.DataFrame or None
        Processed ``population`` (area_id, year, sex, age, count; ``age`` −1 for rows without ages).
    events : pandas.DataFrame or None
        Processed ``events`` (movements by area, year, sex and single age), None when the city has none.
    age_groups : pandas.DataFrame or None
        Processed ``population_age_groups`` (area_id, year, sex, age_from, age_to, count) or None.
    year : int
        Reporting year (base of the projection).

    Returns
    -------
    MethodChoice

    Examples
    --------
    >>> import pandas as pd
    >>> pop = pd.DataFrame({"area_id": "01", "year": 2024, "sex": "insgesamt", "age": -1, "count": [500]})
    >>> c = choose_method(pop, None, None, 2024)
    >>> c.method, c.stock_years
    ('none', ())
    """
    year = int(year)
    pop = population if population is not None else pd.DataFrame(columns=["year", "age", "sex"])
    ev_years = _usable_event_years(pop, events, year)
    single = single_age_years(pop)
    stocks = [y for y in age_stock_years(pop, age_groups) if y <= year]
    if year in single and len(ev_years) >= MIN_EVENT_YEARS:
        return MethodChoice(
            "cohort-component",
            f"Es liegen Einwohner nach Einzelaltern und Geschlecht sowie Geburten, Sterbefälle und Wanderungen je "
            f"Sozialraum und Alter für {_years_text(ev_years)} vor; gerechnet wird daher mit der "
            "Kohorten-Komponenten-Methode.",
            tuple(stocks),
            tuple(ev_years),
        )
    if year in stocks and len(stocks) >= 2:
        why = (
            "Bewegungsdaten (Geburten, Sterbefälle, Wanderungen je Sozialraum und Alter) fehlen"
            if not ev_years
            else f"Bewegungsdaten liegen nur für {_years_text(ev_years)} vor (nötig: {MIN_EVENT_YEARS} Jahre)"
        )
        return MethodChoice(
            "hamilton-perry",
            f"{why}; es gibt aber Einwohner nach Alter zu {len(stocks)} Stichtagen ({_years_text(stocks)}). "
            "Gerechnet wird daher mit dem Hamilton–Perry-Verfahren: Es schreibt die Veränderung jedes Jahrgangs "
            "zwischen den Stichtagen fort (Kohortenveränderungsraten), ohne Geburten, Sterbefälle und Wanderungen "
            "einzeln zu kennen.",
            tuple(stocks),
            tuple(ev_years),
        )
    dates = sorted(int(y) for y in pop["year"].unique() if int(y) <= year) if len(pop) else []
    if not stocks and age_groups is not None and len(age_groups):
        what = (
            "Die Altersgruppen der Einwohner sind für eine Prognose zu grob (Gruppen breiter als "
            f"{MAX_BAND_WIDTH} Jahre) oder nicht lückenlos"
        )
    elif not stocks:
        what = "Die Einwohner liegen ohne Altersgliederung vor"
        if len(dates) == 1:
            what = f"Die Einwohner liegen nur zu einem Stichtag ({dates[0]}) und ohne Altersgliederung vor"
    elif year not in stocks:
        what = (
            f"Für das Berichtsjahr {year} liegen keine Einwohner nach Alter vor (nur {_years_text(stocks)})"
        )
    else:
        what = f"Die Einwohner nach Alter liegen nur zu einem Stichtag ({year}) vor"
    return MethodChoice(
        "none",
        f"Keine Bevölkerungsprognose möglich: {what}. Eine Prognose braucht entweder Einwohner nach Alter zu "
        "mindestens zwei Stichtagen (Hamilton–Perry-Verfahren) oder Einwohner nach Einzelaltern mit Geburten, "
        "Sterbefällen und Wanderungen je Sozialraum und Alter (Kohorten-Komponenten-Methode). Abhilfe: "
        "Einwohnertabellen nach Alter (Altersgruppen genügen) von mindestens einem früheren Stichtag im "
        "Rohdatenordner ergänzen.",
        tuple(stocks),
        tuple(ev_years),
    )


def available_base_years(
    population: pd.DataFrame, events: pd.DataFrame, year: int, max_years: int
) -> list[int]:
    """The last ``max_years`` years ≤ ``year`` with events and the previous year's population (ascending)."""
    pop_years = set(pd.unique(population["year"]).tolist())
    ev_years = set(pd.unique(events["year"]).tolist())
    usable = [t for t in sorted(ev_years) if t <= year and t - 1 in pop_years]
    if not usable:
        raise DataValidationError(
            f"keine Basisjahre ≤ {year} mit Bewegungsdaten und Vorjahresbestand",
            where="Tabellen population/events, Spalte year",
            hint="Bewegungsdaten (bewegungen.csv) und Bestände von mindestens zwei Jahren importieren",
        )
    return usable[-max_years:]


# ----------------------------------------------------------------------------------------------- stocks


def stock_tables(
    population: pd.DataFrame | None, age_groups: pd.DataFrame | None, years: Sequence[int]
) -> dict[int, pd.DataFrame]:
    """Stocks per reference year for :func:`workbench.projection.project_stocks` (persons, sexes added up).

    Single years of age from ``population`` (open group ``100+``) where a year has them, else the age groups
    (``age_from``/``age_to`` inclusive, ``age_to`` 100 = open group) as bands ``"a-b"`` and ``"a+"``.
    """
    out: dict[int, pd.DataFrame] = {}
    single = set(age_stock_years(population, None))
    for y in years:
        y = int(y)
        if y in single:
            p = population[(population["year"] == y) & (population["age"] >= 0)]
            wide = stocks_from_population(p.assign(sex="insgesamt"))[y]
            wide.columns = wide.columns.droplevel(0)
            out[y] = wide
            continue
        g = age_groups[age_groups["year"] == y]
        labels = [
            f"{int(lo)}+" if int(hi) >= 100 else f"{int(lo)}-{int(hi) + 1}"
            for lo, hi in zip(g["age_from"], g["age_to"], strict=True)
        ]
        g = g.assign(band=labels, area_id=g["area_id"].astype(str))
        wide = g.pivot_table(index="area_id", columns="band", values="count", aggfunc="sum", fill_value=0)
        order = sorted(wide.columns, key=lambda b: int(str(b).split("-")[0].rstrip("+")))
        out[y] = wide[order].astype(float)
    return out


# ----------------------------------------------------------------------------------------------- quantities


def quantities(long: pd.DataFrame, groups: Mapping[str, tuple[int, int]] = DEMAND_GROUPS) -> pd.DataFrame:
    """Area totals and planning groups from a long table (area_id, age, count; ages inclusive): one column
    per quantity (:data:`TOTAL` first), indexed by area id (sorted)."""
    codes, areas = pd.factorize(long["area_id"].astype(str).to_numpy(), sort=True)
    age = long["age"].to_numpy()
    count = long["count"].to_numpy(dtype=float)
    cols = {TOTAL: np.bincount(codes, count, len(areas))}
    for g, (lo, hi) in groups.items():
        sel = (age >= lo) & (age <= hi)
        cols[g] = np.bincount(codes[sel], count[sel], len(areas))
    return pd.DataFrame(cols, index=pd.Index(areas, name="area_id"))


def _stock_long(frame: pd.DataFrame) -> pd.DataFrame:
    """Single-year stock table (columns "a-b" / "a+", possibly (sex, band)) → long area_id, age, count."""
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.T.groupby(level=-1, sort=False).sum().T
    ages = [int(str(c).split("-")[0].rstrip("+")) for c in frame.columns]
    long = pd.DataFrame(frame.to_numpy(), index=frame.index.astype(str), columns=ages)
    long = long.stack().rename("count").reset_index()
    long.columns = ["area_id", "age", "count"]
    return long


# ----------------------------------------------------------------------------------------------- back-test


def _graduated(stocks: Mapping[int, pd.DataFrame], year: int, cache: dict[int, Any]) -> pd.DataFrame:
    """A stock graduated to single years (long area_id, age, count): the observed side of the back-test."""
    if year not in cache:
        cache[year] = _stocks._read_year(year, stocks[year])
    yr = cache[year]
    data = _stocks._fold(yr.data, yr.open_start).sum(axis=1)
    labels = [f"{a}-{a + 1}" for a in range(yr.open_start)] + [f"{yr.open_start}+"]
    return _stock_long(pd.DataFrame(data, index=yr.areas, columns=labels))


def _hp_long(
    stocks: Mapping[int, pd.DataFrame], base: int, target: int, cache: dict[int, Any]
) -> pd.DataFrame:
    """Hamilton–Perry from ``base`` to ``target`` with the stocks up to ``base`` (graduated years cached),
    as :func:`workbench.projection.project_stocks` with its default options; long area_id, age, count."""
    used, read = _stocks._prepare(stocks, base, target, cache)
    pop, areas, _sexes, top, _info = _stocks._project(
        read, used, target, "hamilton-perry", _stocks._check_options({})
    )
    labels = [f"{a}-{a + 1}" for a in range(top)] + [f"{top}+"]
    return _stock_long(pd.DataFrame(pop.sum(axis=1), index=areas, columns=labels))


def _records_for(
    method: str,
    base_year: int,
    target: int,
    base: pd.DataFrame,
    projected: pd.DataFrame,
    observed: pd.DataFrame,
) -> pd.DataFrame:
    """Long records (one per area and quantity) of one window."""
    areas = base.index
    cols = list(base.columns)
    n = len(areas)
    return pd.DataFrame(
        {
            "method": method,
            "base_year": base_year,
            "horizon": target - base_year,
            "quantity": np.repeat(np.asarray(cols, dtype=object), n),
            "area_id": np.tile(np.asarray(areas, dtype=object), len(cols)),
            "base": base.to_numpy(dtype=float).T.ravel(),
            "projected": projected.reindex(index=areas, columns=cols).to_numpy(dtype=float).T.ravel(),
            "observed": observed.reindex(index=areas, columns=cols).to_numpy(dtype=float).T.ravel(),
        }
    )


def _baselines(
    observed_q: Mapping[int, pd.DataFrame], base_year: int, target: int, prev: int | None
) -> dict[str, pd.DataFrame]:
    """The naive baselines of one window: constant (the base stock) and constant growth since ``prev``."""
    base = observed_q[base_year]
    out = {"constant": base}
    if prev is not None:
        before = observed_q[prev].reindex(base.index)
        ratio = (base / before.where(before > 0)).fillna(1.0)
        out["trend"] = base * ratio ** ((target - base_year) / (base_year - prev))
    return out


def backtest_records(
    choice: MethodChoice,
    population: pd.DataFrame | None,
    events: pd.DataFrame | None,
    age_groups: pd.DataFrame | None,
    year: int,
    *,
    horizons: Sequence[int] = range(1, 11),
    max_base_years: int = 3,
    smoothing: str = "band5",
    shrinkage: Any = "auto",
    groups: Mapping[str, tuple[int, int]] = DEMAND_GROUPS,
) -> pd.DataFrame:
    """Back-test records of every feasible window up to ``year`` for the chosen method and the baselines.

    A window is a base year B (with the data the method needs up to B and an earlier reference date for the
    trend baseline) and a target year B + h ≤ ``year`` with an observed stock, h in ``horizons``. Returns one
    row per method, base year, horizon, quantity (:data:`TOTAL` and ``groups``) and area with ``base``,
    ``projected`` and ``observed`` (persons); empty when no window is feasible. Only data up to B enter the
    projection from B.
    """
    year = int(year)
    hs = sorted({int(h) for h in horizons})
    parts: list[pd.DataFrame] = []
    if choice.method == "cohort-component":
        pop = population[(population["age"] >= 0) & population["sex"].isin(("m", "w"))]
        years = sorted(int(y) for y in pop["year"].unique() if int(y) <= year)
        observed_q = {y: quantities(pop[pop["year"] == y], groups) for y in years}
        for b in years:
            targets = [b + h for h in hs if b + h in observed_q and b + h <= year]
            if not targets or b - 1 not in observed_q:
                continue
            try:
                used = available_base_years(pop, events, b, max_base_years)
            except DataValidationError:  # no usable base year: window not feasible
                continue
            rates = estimate_rates(
                pop[pop["year"] <= b], events[events["year"] <= b], used, smoothing, shrinkage
            )
            res = project(pop[pop["year"] == b], rates, b, max(targets) - b)
            for t in targets:
                proj_q = quantities(res[res["year"] == t], groups)
                parts.append(_records_for(choice.method, b, t, observed_q[b], proj_q, observed_q[t]))
                for m, base_proj in _baselines(observed_q, b, t, b - 1).items():
                    parts.append(_records_for(m, b, t, observed_q[b], base_proj, observed_q[t]))
    elif choice.method == "hamilton-perry":
        stocks = stock_tables(population, age_groups, [y for y in choice.stock_years if y <= year])
        years = sorted(stocks)
        cache: dict[int, Any] = {}
        observed_q = {y: quantities(_graduated(stocks, y, cache), groups) for y in years}
        for i, b in enumerate(years):
            if i == 0:
                continue
            for h in hs:
                t = b + h
                if t not in stocks or t > year:
                    continue
                proj = _hp_long(stocks, b, t, cache)
                parts.append(
                    _records_for(choice.method, b, t, observed_q[b], quantities(proj, groups), observed_q[t])
                )
                for m, base_proj in _baselines(observed_q, b, t, years[i - 1]).items():
                    parts.append(_records_for(m, b, t, observed_q[b], base_proj, observed_q[t]))
    if not parts:
        return pd.DataFrame(
            columns=["method", "base_year", "horizon", "quantity", "area_id", "base", "projected", "observed"]
        )
    return pd.concat(parts, ignore_index=True)


def _size_labels(bounds: Sequence[int]) -> list[str]:
    def num(x: int) -> str:
        return fmt.number(x)

    labels = []
    for lo, hi in zip(bounds, [*bounds[1:], None], strict=True):
        if hi is None:
            labels.append(f"{num(lo)} und mehr")
        elif lo == 0:
            labels.append(f"unter {num(hi)}")
        else:
            labels.append(f"{num(lo)} bis unter {num(hi)}")
    return labels


def _size_class(values: Any, quantity: Any) -> np.ndarray:
    """Size class label of each value (area totals and planning groups have their own classes)."""
    values = np.asarray(values, dtype=float)
    quantity = np.asarray(quantity, dtype=object)
    out = np.empty(len(values), dtype=object)
    for bounds, sel in ((SIZE_CLASSES, quantity == TOTAL), (GROUP_SIZE_CLASSES, quantity != TOTAL)):
        labels = np.asarray(_size_labels(bounds), dtype=object)
        idx = np.searchsorted(bounds, values[sel], side="right") - 1
        out[sel] = labels[np.clip(idx, 0, len(labels) - 1)]
    return out


@dataclass
class Evaluation:
    """Back-test of the chosen method against the naive baselines with empirical error bands.

    ``records``: per window, quantity and area (see :func:`backtest_records`) with ``pct_error``, ``ape``,
    ``size_class``, ``band`` (half-width in % known at the base year) and ``within``; ``summary`` indexed by
    (method, quantity, horizon, size_class) with ``size_class`` "alle" for all areas: windows, n, mape,
    median_ape, mean_error, within_band (%), n_band, band (half-width in % from all windows).
    """

    method: str
    records: pd.DataFrame
    summary: pd.DataFrame
    coverage: float = 0.8
    min_past: int = 10
    horizons: tuple[int, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.records.empty

    @property
    def max_horizon(self) -> int:
        return max(self.horizons) if self.horizons else 0

    def band(self, quantity: str, horizon: int, size: float) -> tuple[float, str]:
        """Half-width q (%) of the band of a projection of ``quantity`` for an area of ``size`` (base value) at
        ``horizon`` years, and how it was obtained: "" (same size class), "alle" (all sizes pooled: fewer than
        ``min_past`` errors in the class), "extrapoliert" (linear from the longest tested horizon). NaN
        without any back-test."""
        if self.empty:
            return float("nan"), ""
        h = int(horizon)
        how = ""
        scale = 1.0
        if h > self.max_horizon:
            scale, h, how = h / self.max_horizon, self.max_horizon, "extrapoliert"
        cls = str(_size_class([size], [quantity])[0])
        s = self.summary
        key = (self.method, quantity, h, cls)
        if key in s.index and s.loc[key, "n"] >= self.min_past:
            return float(s.loc[key, "band"]) * scale, how
        key = (self.method, quantity, h, "alle")
        if key not in s.index:
            return float("nan"), ""
        return float(s.loc[key, "band"]) * scale, how or "alle"

    def interval(self, quantity: str, horizon: int, size: float, value: float) -> tuple[float, float, str]:
        """Lower and upper bound of the band around a projected ``value``: value / (1 + q/100) …
        value / (1 − q/100) (the error is relative to the observed value), lower bound ≥ 0."""
        q, how = self.band(quantity, horizon, size)
        if not np.isfinite(q):
            return float("nan"), float("nan"), how
        lo = value / (1 + q / 100)
        hi = value / (1 - q / 100) if q < 100 else float("inf")
        return max(lo, 0.0), hi, how

    def row(
        self, method: str, horizon: int, quantity: str = TOTAL, size_class: str = "alle"
    ) -> pd.Series | None:
        key = (method, quantity, int(horizon), size_class)
        return self.summary.loc[key] if key in self.summary.index else None


def summarise(
    records: pd.DataFrame, coverage: float = 0.8, min_past: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Errors of back-test ``records`` by method, quantity, horizon and size class, and the records with bands.

    The band of a record is the ``coverage`` quantile of the absolute percentage errors of the same method,
    quantity, horizon and size class whose target year is not after the record's base year (only what was
    known then), at least ``min_past`` of them (else none; not counted in ``within_band``).
    """
    rec = records[records["observed"] > 0].reset_index(drop=True).copy()
    rec["error"] = rec["projected"] - rec["observed"]
    rec["pct_error"] = rec["error"] / rec["observed"] * 100
    rec["ape"] = rec["pct_error"].abs()
    rec["size_class"] = _size_class(rec["base"], rec["quantity"])
    band = np.full(len(rec), np.nan)
    for _, idx in rec.groupby(["method", "quantity", "horizon", "size_class"]).indices.items():
        base_y = rec["base_year"].to_numpy()[idx]
        target = base_y + rec["horizon"].to_numpy()[idx]
        ape = rec["ape"].to_numpy()[idx]
        for b in np.unique(base_y):
            past = ape[target <= b]
            if len(past) >= min_past:
                band[idx[base_y == b]] = float(np.quantile(past, coverage))
    rec["band"] = band
    rec["within"] = np.where(np.isnan(band), np.nan, (rec["ape"].to_numpy() <= band).astype(float))

    def one(frame: pd.DataFrame) -> dict[str, float]:
        w = frame["within"]
        return {
            "windows": float(frame["base_year"].nunique()),
            "n": float(len(frame)),
            "mape": float(frame["ape"].mean()),
            "median_ape": float(frame["ape"].median()),
            "mean_error": float(frame["pct_error"].mean()),
            "within_band": float(w.mean() * 100) if w.notna().any() else np.nan,
            "n_band": float(w.notna().sum()),
            "band": float(frame["ape"].quantile(coverage)),
        }

    rows, index = [], []
    for (m, q, h), grp in rec.groupby(["method", "quantity", "horizon"], sort=True):
        rows.append(one(grp))
        index.append((m, q, int(h), "alle"))
        for c, sub in grp.groupby("size_class", sort=True):
            rows.append(one(sub))
            index.append((m, q, int(h), str(c)))
    summary = pd.DataFrame(
        rows,
        index=pd.MultiIndex.from_tuples(index, names=["method", "quantity", "horizon", "size_class"]),
        columns=["windows", "n", "mape", "median_ape", "mean_error", "within_band", "n_band", "band"],
    )
    return summary, rec


def evaluate(
    choice: MethodChoice,
    population: pd.DataFrame | None,
    events: pd.DataFrame | None,
    age_groups: pd.DataFrame | None,
    year: int,
    *,
    coverage: float = 0.8,
    min_past: int = 10,
    **options: Any,
) -> Evaluation:
    """Back-test (:func:`backtest_records`) and its summary with bands (:func:`summarise`) for ``choice``.

    Examples
    --------
    A city of three areas growing by 1 % a year; stocks in 5-year bands at five dates. The trend baseline is
    exact, the constant baseline is 1 − 1/1.01 ≈ 0,99 % too low per year:

    >>> import pandas as pd
    >>> rows = [(a, y, lo, hi, 100 * 1.01 ** (y - 2020)) for a in ("A", "B", "C")
    ...         for y in range(2020, 2025) for lo, hi in [(b, b + 4) for b in range(0, 80, 5)] + [(80, 100)]]
    >>> g = pd.DataFrame(rows, columns=["area_id", "year", "age_from", "age_to", "count"]).assign(sex="insgesamt")
    >>> c = choose_method(None, None, g, 2024)
    >>> c.method
    'hamilton-perry'
    >>> ev = evaluate(c, None, None, g, 2024, min_past=3)
    >>> round(float(ev.row("constant", 1)["mape"]), 4), round(float(ev.row("trend", 1)["mape"]), 4)
    (0.9901, 0.0)
    """
    records = backtest_records(choice, population, events, age_groups, year, **options)
    if records.empty:
        empty = pd.DataFrame(
            columns=["windows", "n", "mape", "median_ape", "mean_error", "within_band", "n_band", "band"],
            index=pd.MultiIndex.from_tuples([], names=["method", "quantity", "horizon", "size_class"]),
        )
        return Evaluation(choice.method, records, empty, coverage, min_past, ())
    summary, rec = summarise(records, coverage, min_past)
    hs = tuple(sorted(int(h) for h in rec.loc[rec["method"] == choice.method, "horizon"].unique()))
    return Evaluation(choice.method, rec, summary, coverage, min_past, hs)
