"""What the population's detail allows, per year: single years of age, age groups or totals only, and the
breakdown by sex and nationality (docs/DATA_CONTRACT.md, „Coarser population“).

Used by the availability rules of :mod:`workbench.chapters` (``workbench check``, the chapters' notes, the
chapter „Datenqualität und Methoden“). A population filter of the catalogue (age range, sex, nationality) is
available in a year exactly when the indicator grid (:class:`workbench.indicators.Grid`) can compute it there:
the whole population from totals, an age range from age groups when it is a union of groups, a sex or a
nationality only when the population is broken down by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.vocabulary import AGE_ALL, MAX_AGE, NATIONALITIES, SEXES

KINDS = ("total", "age_groups", "single_years")
"""Age detail of a year, coarsest first (manifest ``population_detail_by_year``)."""

KIND_WORDS = {
    "total": "nur als Gesamtzahl",
    "age_groups": "nach Altersgruppen",
    "single_years": "nach Einzelaltern",
}
"""German words of the age detail („Einwohner liegen … vor“)."""


def age_text(lo: int, hi: int) -> str:
    """German age range: „0–17 Jahre“, „65 Jahre und älter“, „alle Alter“."""
    if lo == 0 and hi >= MAX_AGE:
        return "alle Alter"
    if hi >= MAX_AGE:
        return f"{lo} Jahre und älter"
    return f"{lo}–{hi} Jahre" if lo != hi else f"{lo} Jahre"


def runs_text(years: Sequence[int]) -> str:
    """German list of years with runs of three or more as ranges: „2011 und 2017–2021“."""
    years = sorted(int(y) for y in years)
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [f"{r[0]}–{r[-1]}" if len(r) >= 3 else ", ".join(map(str, r)) for r in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " und " + parts[-1]


def groups_text(groups: Sequence[tuple[int, int]]) -> str:
    """German list of age groups: „0–17, 18–64, 65 und älter“."""
    return ", ".join(f"{lo} und älter" if hi >= MAX_AGE else f"{lo}–{hi}" for lo, hi in groups)


def source_label(sources: Mapping[str, Any] | None) -> str:
    """The mapping file(s) of ``sources: population:`` of a report config ("" = raw folder)."""
    if not sources or not sources.get("population"):
        return ""
    entries = sources["population"]
    entries = list(entries) if isinstance(entries, (list, tuple)) else [entries]
    names = [str(e.get("mapping", "")) if isinstance(e, Mapping) else str(e) for e in entries]
    return ", ".join(n for n in names if n)


@dataclass(frozen=True)
class PopulationDetail:
    """Per population year: age detail (``kinds``), the age groups of years with groups, and the sexes and
    nationalities of the rows („insgesamt“ = no breakdown). ``source``: the population mappings of the report
    (``sources: population:``) or "" for the raw folder's ``einwohner_<Jahr>.csv``; ``raw``: the raw folder as
    named in texts."""

    kinds: dict[int, str] = field(default_factory=dict)
    groups: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    sexes: dict[int, frozenset[str]] = field(default_factory=dict)
    nationalities: dict[int, frozenset[str]] = field(default_factory=dict)
    source: str = ""
    raw: str = ""

    def kind(self, year: int) -> str:
        return self.kinds.get(int(year), "single_years")

    def by_sex(self, year: int) -> bool:
        """Whether the population of ``year`` is broken down by sex."""
        return set(SEXES) <= self.sexes.get(int(year), frozenset(SEXES))

    def by_nationality(self, year: int) -> bool:
        return set(NATIONALITIES) <= self.nationalities.get(int(year), frozenset(NATIONALITIES))

    def words(self, year: int) -> str:
        """German words of the detail of ``year``: „nur als Gesamtzahl“, „nach Altersgruppen“, „nach
        Einzelaltern“ or, for single years without sex, „ohne Aufteilung nach Geschlecht“."""
        kind = self.kind(year)
        if kind == "single_years" and not self.by_sex(year):
            return "ohne Aufteilung nach Geschlecht"
        return KIND_WORDS[kind]

    def single_years_by_sex(self, year: int) -> bool:
        """Single years of age by sex in ``year`` (what the pyramid and the projection need)."""
        return self.kind(year) == "single_years" and self.by_sex(year)

    @property
    def full(self) -> bool:
        """Single years by sex and nationality in every year (the register extracts of the raw folder)."""
        return all(
            self.kind(y) == "single_years" and self.by_sex(y) and self.by_nationality(y) for y in self.kinds
        )

    # ------------------------------------------------------------------------------------- remedies
    def _remedy(self, raw_text: str, mapping_text: str) -> str:
        """The raw-folder remedy (``raw_text``, a whole sentence) or, for a population by mapping, what to deliver
        (``mapping_text``) and the mapping to deliver it in."""
        if self.source:
            return f"{mapping_text} in der Einwohner-Zuordnung liefern (sources.population: {self.source})"
        return raw_text

    def age_remedy(self, year: int, ages: str | None = None, *, any_groups: bool = False) -> str:
        """German remedy for a missing age breakdown in ``year`` (``ages``: the age range wanted; ``any_groups``:
        any age groups would do)."""
        groups = f" oder nach Altersgruppen, die {ages} ergeben (age_columns)," if ages else ""
        if any_groups:
            groups = " oder nach Altersgruppen (age_columns),"
        return self._remedy(
            f"Spalte „Alter“ der Dateien einwohner_<Jahr>.csv im Rohdatenordner ({self.raw}) in Einzeljahren "
            "liefern",
            f"Einwohner {year} nach Einzelaltern (Spalte age){groups}",
        )

    def breakdown_remedy(self, word: str, column: str) -> str:
        """German remedy for a missing breakdown by ``word`` („Geschlecht“; mapping ``column`` sex)."""
        return self._remedy(
            f"Spalte „{word}“ der Dateien einwohner_<Jahr>.csv im Rohdatenordner ({self.raw}) ergänzen",
            f"Einwohner nach {word} (Spalte {column})",
        )

    def single_years_gap(self, year: int) -> tuple[str, str] | None:
        """(what, remedy) when ``year`` has no single years of age by sex, else None."""
        if self.single_years_by_sex(year):
            return None
        kind = self.kind(year)
        if kind != "single_years":
            return (
                f"die Einwohner liegen {year} {KIND_WORDS[kind]} vor, nicht nach Einzelaltern und Geschlecht",
                self.age_remedy(year),
            )
        return f"die Einwohner liegen {year} nicht nach Geschlecht vor", self.breakdown_remedy(
            "Geschlecht", "sex"
        )

    def term_gaps(self, term: Any, year: int) -> list[tuple[str, str]]:
        """(what, remedy) of each breakdown that population filter ``term`` (a catalogue
        :class:`~workbench.indicators.Term`) needs and ``year`` lacks; [] when the grid computes it."""
        gaps: list[tuple[str, str]] = []
        lo, hi, sex, nat = term.population_key
        label = term.describe().replace(", ", " ", 1)  # „Einwohner 0–64 Jahre“
        if (lo, hi) != (0, MAX_AGE):
            kind = self.kind(year)
            ages = age_text(lo, hi)
            if kind == "total":
                gaps.append(
                    (
                        f"{label} nicht bestimmbar: die Einwohner liegen {year} nur als Gesamtzahl vor (ohne Alter)",
                        self.age_remedy(year, ages),
                    )
                )
            elif kind == "age_groups":
                groups = self.groups.get(int(year), ())
                starts = {g[0] for g in groups}
                ends = {g[1] for g in groups}
                if lo not in starts or hi not in ends:
                    gaps.append(
                        (
                            f"{label} nicht bestimmbar: die Altersgruppen {year} ({groups_text(groups)}) "
                            "ergeben diesen Altersbereich nicht",
                            self.age_remedy(year, ages),
                        )
                    )
        for value, ok, word, column in (
            (sex, self.by_sex(year), "Geschlecht", "sex"),
            (nat, self.by_nationality(year), "Staatsangehörigkeit", "nationality"),
        ):
            if value is not None and not ok:
                gaps.append(
                    (
                        f"{label} nicht bestimmbar: die Einwohner liegen {year} nicht nach {word} vor",
                        self.breakdown_remedy(word, column),
                    )
                )
        return gaps

    def summary(self) -> str:
        """German sentence on a population coarser than single years by sex and nationality ("" when full):
        „Die Einwohner liegen nur als Gesamtzahl (2011, 2017–2021) vor, ohne Aufteilung nach Geschlecht …“."""
        if not self.kinds or self.full:
            return ""
        by_kind: dict[str, list[int]] = {}
        for year in sorted(self.kinds):
            by_kind.setdefault(self.kind(year), []).append(year)
        parts = []
        for kind in KINDS:
            if kind in by_kind:
                years = by_kind[kind]
                text = f"{KIND_WORDS[kind]} ({runs_text(years)})"
                if kind == "age_groups":
                    sets = {self.groups.get(y, ()) for y in years}
                    if len(sets) == 1:
                        text = f"nach den Altersgruppen {groups_text(next(iter(sets)))} ({runs_text(years)})"
                parts.append(text)
        without = [
            word
            for word, test in (("Geschlecht", self.by_sex), ("Staatsangehörigkeit", self.by_nationality))
            if not any(test(y) for y in self.kinds)
        ]
        text = "Die Einwohner liegen " + "; ".join(parts) + " vor"
        if without:
            text += ", ohne Aufteilung nach " + " und ".join(without)
        return text


def read_detail(
    population: pd.DataFrame,
    age_groups: pd.DataFrame | None,
    manifest_kinds: Mapping[Any, str] | None,
    *,
    source: str = "",
    raw: str = "",
) -> PopulationDetail:
    """The :class:`PopulationDetail` of the processed tables.

    ``population``: at least the columns year, age, sex, nationality; ``age_groups``: the rows of
    ``population_age_groups.parquet`` (or None); ``manifest_kinds``: ``population_detail_by_year`` of the
    manifest (or None). A year is as coarse as either the manifest or the rows say (never more optimistic than
    the data: a year with all-ages rows has no single years, a year with all-ages rows and no groups is totals
    only).
    """
    kinds: dict[int, str] = {}
    years = pd.to_numeric(population["year"]).astype("int64")
    coarse_years = set(years[population["age"].to_numpy() == AGE_ALL].unique().tolist())
    group_years: set[int] = set()
    groups: dict[int, tuple[tuple[int, int], ...]] = {}
    if age_groups is not None and len(age_groups):
        g = age_groups[["year", "age_from", "age_to"]].drop_duplicates().astype("int64")
        for year, sub in g.groupby("year"):
            groups[int(year)] = tuple(sorted(zip(sub["age_from"], sub["age_to"], strict=True)))
        group_years = set(groups)
    rank = {k: i for i, k in enumerate(KINDS)}
    for year in sorted(set(years.unique().tolist())):
        kind = "single_years"
        if year in coarse_years:
            kind = "age_groups" if year in group_years else "total"
        given = (manifest_kinds or {}).get(str(year), (manifest_kinds or {}).get(year))
        if given in rank and rank[given] < rank[kind]:
            kind = given
        kinds[int(year)] = kind
    sexes = {int(y): frozenset(map(str, s)) for y, s in population.groupby(years)["sex"].unique().items()}
    nats = {
        int(y): frozenset(map(str, s)) for y, s in population.groupby(years)["nationality"].unique().items()
    }
    return PopulationDetail(kinds, groups, sexes, nats, source, raw)
