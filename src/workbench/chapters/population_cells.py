"""Every breakdown of the population a report publishes, as cells for the joint protection.

:func:`published_population_cells` lists what the chapters and profiles print about the residents of an area
— the total, the pyramid's 5-year bands by sex, the age groups of the Bevölkerung chapter, the Kita age groups
and the numerators and denominators of the catalogue's population shares — with their true values, so that
:func:`workbench.confidentiality.protect_population` protects them together (one suppression pattern for every
table and figure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.confidentiality import age_range, derivable_breakdowns, population_measure
from workbench.indicators.catalogue import Term
from workbench.indicators.population import STRUCTURE, age_group_counts, single_years, structure_counts

BAND = 5
TOP_BAND = 90
POPULATION = population_measure()
"""Measure of all residents (the area totals)."""
KITA_AGES = ((0, 2), (3, 5))
"""Kita groups of the Kinder-und-Jugend chapter: unter 3, 3 bis unter 6 (inclusive ages)."""


def band_measure(start: int, sex: str) -> str:
    """Measure of one pyramid band: 5 years from ``start`` (90+ open), one sex."""
    return population_measure(start, None if start >= TOP_BAND else start + BAND - 1, sex)


def group_measure(label: str) -> str:
    """Measure of an age group of the Bevölkerung chapter by its German label („0 bis 5“, „80 und älter“)."""
    lo, hi = age_range(label) or (0, None)
    return population_measure(lo, None if hi is None or hi >= 100 else hi)


def _specs(
    ds, catalogue, year: int, report_year: int
) -> list[tuple[int, int | None, str | None, str | None]]:
    specs = {(0, None, None, None)}
    terms = [t for ind in getattr(catalogue, "indicators", ()) for t in (ind.numerator, ind.denominator)]
    for term in [*terms, *STRUCTURE.values()]:
        if term.kind == "population":
            hi = None if term.age_max is None or term.age_max >= 100 else term.age_max
            specs.add((term.age_min, hi, term.sex, term.nationality))
    if year == report_year:
        fine = single_years(ds.population[ds.population["year"] == year])
        sexes = sorted(set(fine["sex"].astype(str)) & {"m", "w"})
        for sx in sexes:
            for start in range(0, TOP_BAND + 1, BAND):
                specs.add((start, None if start >= TOP_BAND else start + BAND - 1, sx, None))
        for lo, hi in KITA_AGES:
            specs.add((lo, hi, None, None))
        wide = age_group_counts(ds.population, year, ds.age_groups)
        for label in wide.columns:
            rng = age_range(str(label))
            if rng is not None:
                specs.add((rng[0], None if rng[1] >= 100 else rng[1], None, None))
    return sorted(specs, key=lambda s: (s[0], s[1] if s[1] is not None else 999, s[2] or "", s[3] or ""))


def published_population_cells(
    ds, catalogue, report_year: int, years: list[int] | None = None, threshold: int = 3
) -> pd.DataFrame:
    """True residents per Sozialraum in every published breakdown: ``area_id, year, measure, value``.

    Parameters
    ----------
    ds : Dataset
        The report's processed data (population, age groups, keys).
    catalogue : Catalogue
        The indicator catalogue (population numerators and denominators).
    report_year : int
        The year of the pyramid, the age-group table and the Kita tables.
    years : list of int, optional
        Years to list (default: every year with population data).
    threshold : int
        The smallest count that may be published (a derived breakdown is listed only where it is smaller in
        some area).

    Returns
    -------
    pandas.DataFrame
        One row per area, year and measure (:func:`workbench.confidentiality.population_measure`). A breakdown
        the data do not determine in a year (age groups that do not add up to it, no breakdown by sex) is left
        out for that year: it is not published either. ``published`` is False for the breakdowns that follow
        from the published ones by differencing (:func:`workbench.confidentiality.derivable_breakdowns`).
    """
    pop = ds.population
    years = sorted(int(y) for y in pop["year"].unique()) if years is None else sorted(years)
    frames = []
    for year in years:
        terms = {
            population_measure(lo, hi, sex, nat): Term(
                "population", age_min=lo, age_max=hi, sex=sex, nationality=nat
            )
            for lo, hi, sex, nat in _specs(ds, catalogue, year, report_year)
        }
        wide = structure_counts(pop, ds.keys, year, "sozialraum", ds.age_groups, terms)
        wide = wide.loc[:, wide.notna().all(axis=0)]  # a breakdown the data do not determine is not published
        if wide.empty:
            continue
        # differences of published breakdowns (age 5 = "0 bis 5" − "0 bis 4"): protected too, never published
        derived = {m: _term(m) for m in derivable_breakdowns(list(wide.columns))}
        extra = (
            structure_counts(pop, ds.keys, year, "sozialraum", ds.age_groups, derived) if derived else None
        )
        if extra is not None:  # only those small somewhere: the others have nothing to protect
            extra = extra.loc[:, extra.notna().all(axis=0) & ((extra > 0) & (extra < threshold)).any(axis=0)]
        for part, published in ((wide, True), (extra, False)):
            if part is None or part.empty:
                continue
            long = part.rename_axis("area_id").reset_index().melt(id_vars="area_id", var_name="measure")
            frames.append(long.assign(area_id=long["area_id"].astype(str), year=year, published=published))
    if not frames:
        return pd.DataFrame({"area_id": [], "year": [], "measure": [], "value": [], "published": []})
    return pd.concat(frames, ignore_index=True)[["area_id", "year", "measure", "value", "published"]]


def _term(measure: str) -> Term:
    """The population term of a canonical measure name (inverse of :func:`population_measure`)."""
    parts = measure.split("_")[1:]
    lo, hi, sex, nat = 0, None, None, None
    for part in parts:
        if part in ("m", "w"):
            sex = part
        elif part in ("deutsch", "nichtdeutsch"):
            nat = part
        else:
            rng = age_range(part)
            lo, hi = rng[0], (None if rng[1] >= 100 else rng[1])
    return Term("population", age_min=lo, age_max=hi, sex=sex, nationality=nat)


def joint_status(
    protected: pd.DataFrame, year: int, levels: list[str], units: list[str], measures: list[str]
) -> np.ndarray:
    """Status of each (level, unit, measure) cell in the joint population protection ("secondary" for a cell
    it does not know: what was not protected is not published)."""
    sel = protected[protected["year"] == year]
    lookup = sel.set_index(
        [sel["level"].astype(str), sel["unit_id"].astype(str), sel["measure"].astype(str)]
    )["status"]
    idx = pd.MultiIndex.from_arrays([list(levels), [str(u) for u in units], list(measures)])
    return lookup.reindex(idx).fillna("secondary").to_numpy(dtype=object)


def structure_measure(term: Term) -> str:
    """Measure of a population term (numerator or denominator of a population share)."""
    hi = None if term.age_max is None or term.age_max >= 100 else term.age_max
    return population_measure(term.age_min, hi, term.sex, term.nationality)
