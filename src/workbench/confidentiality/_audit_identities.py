"""Identities between published counts, derived from their count keys (``measure|level|unit|year``).

The audit links cells of different tables, files and figures that carry the same key; this module adds the
relations that hold *between* different keys of the same area and year, so that a suppressed cell that follows
from other published cells is found even when no table declares the relation:

* breakdowns of the population: ``population`` (all ages) and ``population_<range>[_<sex>][_<nationality>]``
  (``0-2``, ``3-5``, ``0 bis 5``, ``65+``, ``0-4_w`` …): every linear dependency between the published cells of
  one unit and year, exactly as the joint protection uses them (``_population._template``: the cells as sums of
  age × sex × nationality atoms, relations = the left null space);
* other age ranges (``<measure>_<range>``): a range equals the sum of every set of other published ranges that
  tiles it exactly;
* splits by sex: ``<measure>_m`` + ``<measure>_w`` = ``<measure>``;
* flows and balances: ``natural`` = ``births`` − ``deaths``, ``external`` = ``in_ext`` − ``out_ext``,
  ``internal`` = ``in_int`` − ``out_int``, ``total`` = ``natural`` + ``external`` + ``internal`` (balances may be
  negative: they are free variables of the linear programme).

A relation is a tuple of ``(variable, coefficient)`` pairs whose weighted sum is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from workbench.confidentiality._population import OPEN_END, _parse, _template, age_range

Relation = tuple[tuple[str, float], ...]

BALANCES: dict[str, tuple[tuple[str, float], ...]] = {
    "natural": (("births", 1.0), ("deaths", -1.0)),
    "external": (("in_ext", 1.0), ("out_ext", -1.0)),
    "internal": (("in_int", 1.0), ("out_int", -1.0)),
    "total": (("natural", 1.0), ("external", 1.0), ("internal", 1.0)),
}
SIGNED_MEASURES = frozenset(BALANCES)
_SEX = {"m": "m", "w": "w", "männlich": "m", "weiblich": "w"}
_MAX_TILINGS = 6


def split_key(var: str) -> tuple[str, str, str, str] | None:
    """``(measure, level, unit, year)`` of a count key, None for an unkeyed cell name."""
    parts = var.split("|")
    return (parts[0], parts[1], parts[2], parts[3]) if len(parts) == 4 else None


def _tilings(target: tuple[int, int], ranges: dict[tuple[int, int], str]) -> list[list[str]]:
    """Sets of ranges (other than ``target``) that tile ``target`` exactly (at most a few)."""
    out: list[list[str]] = []
    by_start: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for r in ranges:
        if r != target and target[0] <= r[0] and r[1] <= target[1]:
            by_start[r[0]].append(r)

    def walk(start: int, chosen: list[str]) -> None:
        if len(out) >= _MAX_TILINGS:
            return
        for r in by_start.get(start, []):
            nxt = chosen + [ranges[r]]
            if r[1] == target[1]:
                out.append(nxt)
            else:
                walk(r[1] + 1, nxt)

    walk(target[0], [])
    return out


def identities(variables: Iterable[str]) -> list[Relation]:
    """All relations between the given count keys (see module docstring)."""
    keyed = {v: k for v in set(variables) if (k := split_key(v)) is not None}
    rels: list[Relation] = []
    groups: dict[tuple[str, str, str, str], dict[tuple[int, int], str]] = defaultdict(dict)
    present = set(keyed)
    for v, (measure, level, unit, year) in keyed.items():
        base, _, suffix = measure.partition("_")
        rng = age_range(suffix) if suffix else None
        if rng is not None:
            groups[(base, level, unit, year)][rng] = v
        elif not suffix and base == "population":
            groups[(base, level, unit, year)][(0, OPEN_END)] = v
        head, _, sex = measure.rpartition("_")
        if head and sex in _SEX:
            other = next(
                (f"{head}_{s}|{level}|{unit}|{year}" for s, t in _SEX.items() if t != _SEX[sex]), None
            )
            total = f"{head}|{level}|{unit}|{year}"
            if _SEX[sex] == "m" and total in present and other:
                for s, t in _SEX.items():
                    cand = f"{head}_{s}|{level}|{unit}|{year}"
                    if t == "w" and cand in present:
                        rels.append(((total, 1.0), (v, -1.0), (cand, -1.0)))
        if measure in BALANCES:
            rels.append(((v, 1.0),) + tuple((f"{m}|{level}|{unit}|{year}", -c) for m, c in BALANCES[measure]))
    population: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for measure, level, unit, year in keyed.values():
        if _parse(measure) is not None:
            population[(level, unit, year)].append(measure)
    for (level, unit, year), measures in population.items():  # the protection's own exact relations
        ms = tuple(sorted(set(measures)))
        within, _ = _template(ms)
        for rel in within:
            rels.append(tuple((f"{ms[c]}|{level}|{unit}|{year}", float(coef)) for c, coef in rel))
    for (base, *_), ranges in groups.items():
        if base == "population":
            continue  # covered exactly above
        for target, var in ranges.items():
            for tiling in _tilings(target, ranges):
                rels.append(((var, 1.0),) + tuple((p, -1.0) for p in tiling))
    return rels


def is_signed(var: str) -> bool:
    """True for a variable that may be negative (a balance)."""
    k = split_key(var)
    return k is not None and k[0] in SIGNED_MEASURES
